import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ask, launch, openChat, renders, waitLive } from './browser.ts';
import { connect, createChat, maxMessageId, prefixesOf, waitForReply } from './db.ts';
import { metric, waitMetric } from './metrics.ts';
import { NGINX, startNginx, startReplica, type Nginx, type Replica } from './nginx.ts';

// The shipped deployment files, tested: deploy/nginx/deltacast.conf in front of the real stack
// over HTTPS + HTTP/2 with headless Chromium, and the systemd units through systemd-analyze.

/**
 * The Content-Encoding deltacast picks for Chromium's stream request over HTTPS. Chromium
 * offers `gzip, deflate, br, zstd` there and the default order puts zstd first, so this test
 * also proves Chromium's own zstd decoder reads deltacast's stream (flushed per event, window
 * within 8 MiB) through nginx to the complete reply.
 */
const EXPECTED_STREAM_ENCODING = 'zstd';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.resolve(process.env.DELTACAST_SOURCE_DIR ?? path.join(webDir, '..'));
const binaryDir = path.resolve(process.env.DELTACAST_BINARY_DIR ?? path.join(sourceDir, 'build/release'));
const baseUrl = inject('baseUrl');
const deltacastUrl = inject('deltacastUrl');
let nginx: Nginx;
let replica: Replica;
let browser: Browser;
let db: pg.Client;

beforeAll(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} not found: install nginx-light (scripts/deps.sh)`);
  replica = await startReplica(sourceDir, binaryDir, inject('pgEnv'), inject('secret'), path.join(webDir, '.e2e'));
  nginx = await startNginx(sourceDir, [new URL(deltacastUrl).host, new URL(replica.url).host], new URL(baseUrl).host);
  browser = await launch(['--ignore-certificate-errors']);
  db = await connect(inject('pgEnv'));
});
afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await replica?.stop();
  await db?.end();
});

describe('behind nginx (HTTPS, HTTP/2)', () => {
  it('serves the demo and its stream over HTTP/2 with the compressed frames passed through', async () => {
    // Invariant: the shipped config streams SSE unbuffered over h2, encoding intact, reply complete.
    const chatId = await createChat(db, 'e2e nginx');
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const { page } = await openChat(context, nginx.url, chatId);
    const streamResponse = page.waitForResponse((r) => r.url().includes('/api/sse/stream'));
    await waitLive(page, chatId);
    const response = await streamResponse;
    const offered = (await response.request().allHeaders())['accept-encoding'];
    const encoding = (await response.allHeaders())['content-encoding'];
    const protocol = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
    );
    console.log(`[measure] through nginx: page ${protocol}, stream Accept-Encoding "${offered}" → Content-Encoding ${encoding}`);
    expect(protocol).toBe('h2');
    expect(encoding).toBe(EXPECTED_STREAM_ENCODING);

    const before = await maxMessageId(db);
    await ask(page, 'Does the stream survive the proxy?');
    const reply = await waitForReply(db, chatId, before);
    const done = `li[data-message-id="${reply.id}"][data-done="true"]`;
    await page.waitForSelector(done, { timeout: 20_000 });
    expect(await page.textContent(`${done} .body`)).toBe(reply.body);
    // Unbuffered: the reply arrived token by token, not in one piece at the end.
    const shown = await renders(page, reply.id);
    const prefixes = prefixesOf(reply.body);
    expect(shown.filter((t) => !prefixes.includes(t))).toEqual([]);
    expect(shown.length).toBeGreaterThan(prefixes.length / 2);
    await context.close();
    // nginx logs a request when it ends: the stream's line appears once the tab is gone.
    const streamLine = async () => nginx.accessLog().find((l) => l.startsWith('/api/sse/stream'));
    await expect.poll(streamLine, { timeout: 10_000 }).toBeDefined();
    console.log(`[measure] nginx access log: ${await streamLine()}`);
    expect(await streamLine()).toMatch(/^\/api\/sse\/stream\?topics=\S+ HTTP\/2\.0 200 127\.0\.0\.1:\d+$/);
  });

  it('spreads the browsers over two replicas on one Postgres, each streaming its own', async () => {
    // Invariant: least_conn puts two users' streams on two replicas; both get the reply.
    const chatId = await createChat(db, 'e2e two replicas');
    const replicas = [deltacastUrl, replica.url];
    const count = () => Promise.all(replicas.map((r) => metric(r, 'deltacast_connections')));
    await expect.poll(count, { timeout: 10_000 }).toEqual([0, 0]);
    const contexts = [];
    const pages = [];
    for (const user of ['u1', 'u2']) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const { page } = await openChat(context, nginx.url, chatId, `?user=${user}`);
      await waitLive(page, chatId);
      contexts.push(context);
      pages.push(page);
    }
    const perReplica = await count();
    console.log(`[measure] two users behind nginx: streams per replica ${perReplica.join(', ')}`);
    expect(perReplica).toEqual([1, 1]);
    const before = await maxMessageId(db);
    await ask(pages[1]!, 'Do both replicas see it?');
    const reply = await waitForReply(db, chatId, before);
    for (const page of pages) {
      const done = `li[data-message-id="${reply.id}"][data-done="true"]`;
      await page.waitForSelector(done, { timeout: 20_000 });
      expect(await page.textContent(`${done} .body`)).toBe(reply.body);
    }
    await Promise.all(contexts.map((c) => c.close()));
    expect(await waitMetric(replica.url, 'deltacast_connections', 0)).toBe(0);
  });

  it.skipIf(spawnSync('systemd-analyze', ['--version']).status !== 0)(
    'ships systemd units that systemd-analyze verifies clean',
    () => {
      // Invariant: deploy/systemd/*.service have no errors or warnings (binary path aside).
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dc-units-'));
      try {
        const units = readdirSync(path.join(sourceDir, 'deploy/systemd')).filter((f) => f.endsWith('.service'));
        expect(units).toEqual(['deltacast.service', 'deltacast@.service']);
        for (const unit of units) {
          const text = readFileSync(path.join(sourceDir, 'deploy/systemd', unit), 'utf8');
          // The units name the installed binary; point them at the one under test.
          const name = unit === 'deltacast@.service' ? 'deltacast@8081.service' : unit;
          writeFileSync(path.join(dir, name), text.replaceAll('/usr/local/bin/deltacast', path.join(binaryDir, 'deltacast')));
          const r = spawnSync('systemd-analyze', ['verify', path.join(dir, name)], { encoding: 'utf8' });
          expect({ unit, status: r.status, stderr: r.stderr }).toEqual({ unit, status: 0, stderr: '' });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
