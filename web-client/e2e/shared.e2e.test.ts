import type pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ask, launch, openChat, renders, waitLive } from './browser.ts';
import { connect, createChat, maxMessageId, prefixesOf, waitForReply } from './db.ts';
import { metric, waitMetric } from './metrics.ts';

// SPEC §9 in a real browser: the tabs of one user share ONE deltacast stream over the demo's
// HTTP/1.1 origin; the leader relays to the others and hands over when it closes.

const TABS = 8;
const baseUrl = inject('baseUrl');
const deltacastUrl = inject('deltacastUrl');
let browser: Browser;
let db: pg.Client;
let context: BrowserContext;
let pages: Page[] = [];
let chatId: number;

/**
 * Records, in the page, every relay message of user u1's shared stream as seen by a channel of
 * its own: kind, leader, arrival time, the message's size and the SSE data size it carries.
 */
const RELAY_OBSERVER = `
  window.__relay = [];
  // The share name (src/core/share-key.ts): the resolved stream URL, the credentials mode, the key.
  const shareName = 'deltacast:' + JSON.stringify([new URL('/api/sse/stream', location.href).href, 'same-origin', 'user=u1']);
  new BroadcastChannel(shareName).onmessage = (e) => {
    const m = e.data;
    const dataBytes = typeof m.data === 'string' ? m.data.length : 0;
    // The envelope as JSON plus the data string as it is cloned (not JSON-escaped a second time).
    const bytes = JSON.stringify({ ...m, data: '' }).length + dataBytes;
    window.__relay.push({ t: m.t, lid: m.lid, type: m.type, at: Date.now(), bytes, dataBytes });
  };
`;

interface Relayed {
  t: string;
  lid: string;
  type?: string;
  at: number;
  bytes: number;
  dataBytes: number;
}

const relayed = (page: Page) => page.evaluate(() => (window as unknown as { __relay: Relayed[] }).__relay);
const role = (page: Page) => page.getAttribute('[data-testid="share-role"]', 'data-role');

async function waitDone(page: Page, messageId: number): Promise<string | null> {
  const done = `li[data-message-id="${messageId}"][data-done="true"]`;
  await page.waitForSelector(done, { timeout: 30_000 });
  return page.textContent(`${done} .body`);
}

/** The texts shown while streaming are in-order prefixes of the final reply, never anything else. */
async function expectPrefixesOnly(page: Page, messageId: number, body: string): Promise<void> {
  const prefixes = prefixesOf(body);
  const shown = await renders(page, messageId);
  expect(shown.filter((t) => !prefixes.includes(t))).toEqual([]);
  const positions = shown.map((t) => prefixes.indexOf(t));
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
}

beforeAll(async () => {
  db = await connect(inject('pgEnv'));
  browser = await launch();
  context = await browser.newContext();
  await context.addInitScript(RELAY_OBSERVER);
  chatId = await createChat(db, 'e2e shared tabs');
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await db?.end();
});

describe('one stream per browser (shared by the tabs of one user)', () => {
  it(`${TABS} tabs on one HTTP/1.1 origin all load and go live over ONE deltacast stream`, async () => {
    // Invariant: N tabs of a user hold exactly one server stream; one tab leads, the others share.
    expect(await waitMetric(deltacastUrl, 'deltacast_connections', 0)).toBe(0);
    for (let i = 0; i < TABS; i++) {
      const { page } = await openChat(context, baseUrl, chatId);
      pages.push(page);
    }
    for (const page of pages) await waitLive(page, chatId);
    await new Promise((r) => setTimeout(r, 1000));
    const streams = await metric(deltacastUrl, 'deltacast_connections');
    const roles = await Promise.all(pages.map(role));
    console.log(`[measure] ${TABS} tabs of one user: ${streams} deltacast stream(s); roles ${roles.join(',')}`);
    expect(streams).toBe(1);
    expect(roles.filter((r) => r === 'leader')).toHaveLength(1);
    expect(roles.filter((r) => r === 'shared')).toHaveLength(TABS - 1);
  });

  it('a reply asked from a follower tab renders fully in every tab', async () => {
    // Invariant: relayed events reach every tab holding the topic; each ends with the DB's row.
    const follower = pages[(await Promise.all(pages.map(role))).indexOf('shared')]!;
    const before = await maxMessageId(db);
    await ask(follower, 'Why share one stream among tabs?');
    const reply = await waitForReply(db, chatId, before);
    for (const page of pages) {
      expect(await waitDone(page, reply.id)).toBe(reply.body);
      await expectPrefixesOnly(page, reply.id, reply.body);
    }
    // Bytes relayed per event: the BroadcastChannel message vs the SSE data it carries.
    const events = (await relayed(follower)).filter((m) => m.t === 'event');
    const bytes = events.reduce((s, m) => s + m.bytes, 0) / events.length;
    const data = events.reduce((s, m) => s + m.dataBytes, 0) / events.length;
    console.log(
      `[measure] relayed ${events.length} events: ${bytes.toFixed(0)} B per BroadcastChannel message ` +
        `for ${data.toFixed(0)} B of SSE data (+${(bytes - data).toFixed(0)} B envelope)`,
    );
    expect(events.length).toBeGreaterThanOrEqual(prefixesOf(reply.body).length);
  });

  it('closing the leader tab mid-reply leaves every other tab with the complete reply', async () => {
    // Invariant: handover resumes from the last relayed id: no token lost in any remaining tab.
    const roles = await Promise.all(pages.map(role));
    const leader = pages[roles.indexOf('leader')]!;
    const rest = pages.filter((p) => p !== leader);
    const before = await maxMessageId(db);
    await ask(rest[0]!, 'What happens when the leader tab closes?');
    const streaming = await leader.waitForSelector('li[data-role="agent"][data-done="false"]', { timeout: 20_000 });
    const id = Number(await streaming.getAttribute('data-message-id'));
    await leader.waitForFunction(
      (sel) => (document.querySelector(sel)?.textContent ?? '').split(' ').length > 4,
      `li[data-message-id="${id}"] .body`,
    );
    const oldLid = (await relayed(rest[0]!)).at(-1)!.lid;
    const closedAt = Date.now();
    await leader.close();
    pages = rest;
    const reply = await waitForReply(db, chatId, before);
    expect(reply.id).toBe(id);
    for (const page of pages) {
      expect(await waitDone(page, reply.id)).toBe(reply.body);
      await expectPrefixesOnly(page, reply.id, reply.body);
    }
    const newRoles = await Promise.all(pages.map(role));
    expect(newRoles.filter((r) => r === 'leader')).toHaveLength(1);
    const seen = (await Promise.all(pages.map(relayed))).flat().filter((m) => m.lid !== oldLid);
    const firstReady = Math.min(...seen.filter((m) => m.t === 'ready').map((m) => m.at));
    const firstEvent = Math.min(...seen.filter((m) => m.t === 'event').map((m) => m.at));
    console.log(
      `[measure] handover: leader closed → new stream ready relayed ${firstReady - closedAt} ms, ` +
        `first relayed event ${firstEvent - closedAt} ms`,
    );
    expect(firstEvent).toBeGreaterThan(closedAt);
    expect(await waitMetric(deltacastUrl, 'deltacast_connections', 1)).toBe(1);
  });

  it('a leader tab whose renderer crashes mid-reply leaves every other tab with the complete reply', async () => {
    // Invariant: a crash (no unload, no goodbye on the channel) releases the Web Lock with the
    // process; another tab takes over and resumes from its last relayed id: no token lost.
    const roles = await Promise.all(pages.map(role));
    const leader = pages[roles.indexOf('leader')]!;
    const rest = pages.filter((p) => p !== leader);
    const crashed: Page[] = [];
    for (const page of pages) page.on('crash', () => crashed.push(page));
    const before = await maxMessageId(db);
    await ask(rest[0]!, 'And when the leader tab crashes?');
    const streaming = await leader.waitForSelector('li[data-role="agent"][data-done="false"]', { timeout: 20_000 });
    const id = Number(await streaming.getAttribute('data-message-id'));
    await leader.waitForFunction(
      (sel) => (document.querySelector(sel)?.textContent ?? '').split(' ').length > 4,
      `li[data-message-id="${id}"] .body`,
    );
    const cdp = await context.newCDPSession(leader);
    const crashedAt = Date.now();
    void cdp.send('Page.crash').catch(() => undefined); // never answers: the renderer is gone
    await expect.poll(() => crashed.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(crashed).toEqual([leader]); // the other tabs live in other renderer processes
    pages = rest;
    const reply = await waitForReply(db, chatId, before);
    expect(reply.id).toBe(id);
    for (const page of pages) {
      expect(await waitDone(page, reply.id)).toBe(reply.body);
      await expectPrefixesOnly(page, reply.id, reply.body);
    }
    const newRoles = await Promise.all(pages.map(role));
    expect(newRoles.filter((r) => r === 'leader')).toHaveLength(1);
    console.log(`[measure] leader renderer crashed: every other tab complete ${Date.now() - crashedAt} ms later`);
    await leader.close().catch(() => undefined);
    expect(await waitMetric(deltacastUrl, 'deltacast_connections', 1)).toBe(1);
  });

  it('a second user in another browser context gets its own stream', async () => {
    // Invariant: the share key names the user: another user's tabs never join u1's stream.
    const other = await browser.newContext();
    try {
      const { page } = await openChat(other, baseUrl, chatId, '?user=u2');
      await waitLive(page, chatId);
      expect(await role(page)).toBe('leader');
      expect(await waitMetric(deltacastUrl, 'deltacast_connections', 2)).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('a forbidden topic in one tab does not disturb the other tabs', async () => {
    // Invariant: only the tab that asked for the denied topic sees 403; the others stay live.
    const { rows } = await db.query<{ id: string }>(
      "INSERT INTO chats (id, org_id, title) SELECT max(id) + 1, 1, 'e2e not u1''s' FROM chats RETURNING id",
    );
    const denied = Number(rows[0]!.id);
    await db.query("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, 'u2')", [denied]);
    const { page: intruder, streams } = await openChat(context, baseUrl, denied);
    await intruder.waitForSelector('[data-testid="connection"][data-detail="forbidden"]', { timeout: 20_000 });
    expect(await intruder.textContent('[data-testid="connection"]')).toContain(`chat:${denied}`);
    expect(streams).toHaveLength(0); // the intruder tab is a follower: it opened no stream
    for (const page of pages) await waitLive(page, chatId);
    const before = await maxMessageId(db);
    await ask(pages[0]!, 'Still streaming?');
    const reply = await waitForReply(db, chatId, before);
    for (const page of pages) expect(await waitDone(page, reply.id)).toBe(reply.body);
    expect(await metric(deltacastUrl, 'deltacast_connections')).toBe(1);
  });
});
