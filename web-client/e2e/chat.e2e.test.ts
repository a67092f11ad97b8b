import type pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ask, launch, openChat, renders, topicsOf, waitLive } from './browser.ts';
import { connect, createChat, maxMessageId, prefixesOf, waitForReply } from './db.ts';

/**
 * Every token's text was shown, in order: first that the renders are an in-order subset of
 * the token prefixes (never a text the reply did not have), then that none is missing.
 */
function expectEveryToken(shown: string[], body: string): void {
  const prefixes = prefixesOf(body);
  expect(shown.filter((t) => !prefixes.includes(t)), 'texts that are no prefix of the reply').toEqual([]);
  const positions = shown.map((t) => prefixes.indexOf(t));
  expect(positions, 'texts shown out of order').toEqual([...positions].sort((a, b) => a - b));
  expect(prefixes.filter((p) => !shown.includes(p)), 'token prefixes never shown').toEqual([]);
}

const baseUrl = inject('baseUrl');
let browser: Browser;
let db: pg.Client;

beforeAll(async () => {
  db = await connect(inject('pgEnv'));
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await db?.end();
});

describe('the demo in a real browser', () => {
  it('streams the agent reply token by token, compressed, and refreshes the sidebar', async () => {
    // Invariant: every token renders, in order, and the reply ends complete (done, full body).
    const chatId = await createChat(db, 'e2e tokens');
    const context = await browser.newContext();
    const { page, streams } = await openChat(context, baseUrl, chatId);
    const streamResponse = page.waitForResponse((r) => r.url().includes('/api/sse/stream'));
    await waitLive(page, chatId);
    await page.waitForSelector('li[data-role="user"] >> text=history of e2e tokens');

    const response = await streamResponse;
    expect(response.status()).toBe(200);
    // The server's default order is zstd, gzip, br. Chromium offers zstd in secure contexts,
    // localhost included, so this page gets zstd and Chromium's own decoder reads the reply.
    const offered = (await response.request().allHeaders())['accept-encoding'] ?? '';
    const expected = ['zstd', 'gzip', 'br'].find((e) => offered.split(/\s*,\s*/).includes(e));
    console.log(`[measure] demo over HTTP/1.1: Accept-Encoding "${offered}" → ${expected}`);
    expect(expected).toBeDefined();
    expect((await response.allHeaders())['content-encoding']).toBe(expected);
    expect(topicsOf(streams[0]!)).toEqual([`chat:${chatId}`, 'org:1']);

    const before = await maxMessageId(db);
    await ask(page, 'Explain how deltacast streams a reply');
    const reply = await waitForReply(db, chatId, before);
    const done = `li[data-message-id="${reply.id}"][data-done="true"]`;
    await page.waitForSelector(done, { timeout: 10_000 });
    expect(await page.textContent(`${done} .body`)).toBe(reply.body);
    expectEveryToken(await renders(page, reply.id), reply.body);
    expect(prefixesOf(reply.body).length).toBeGreaterThanOrEqual(30);

    // org:1 poke -> Replicache pull: the chat moves to the top with the reply as preview.
    const first = page.locator('[data-testid="chats"] a').first();
    await expect.poll(() => first.getAttribute('data-chat-id'), { timeout: 10_000 }).toBe(String(chatId));
    await expect.poll(() => first.locator('small').textContent()).toBe(reply.body.slice(0, 80));
    await context.close();
  });

  it('renders the same reply in two browser contexts watching the chat', async () => {
    // Invariant: fan-out reaches every tab; each renders every token.
    const chatId = await createChat(db, 'e2e two tabs');
    const contexts = [await browser.newContext(), await browser.newContext()];
    const pages = [];
    for (const [i, ctx] of contexts.entries()) {
      const { page } = await openChat(ctx, baseUrl, chatId, i === 1 ? '?user=u2' : '');
      await waitLive(page, chatId);
      pages.push(page);
    }
    const before = await maxMessageId(db);
    await ask(pages[0]!, 'Why coalesce signals into windows?');
    const reply = await waitForReply(db, chatId, before);
    for (const page of pages) {
      const done = `li[data-message-id="${reply.id}"][data-done="true"]`;
      await page.waitForSelector(done, { timeout: 10_000 });
      expect(await page.textContent(`${done} .body`)).toBe(reply.body);
      expectEveryToken(await renders(page, reply.id), reply.body);
    }
    await Promise.all(contexts.map((c) => c.close()));
  });

  it('reopens exactly one stream with the new topics when switching chats', async () => {
    // Invariant: a chat switch is one reopen carrying the new topic list and the last event id.
    const a = await createChat(db, 'e2e switch a');
    const b = await createChat(db, 'e2e switch b');
    const context = await browser.newContext();
    const { page, streams } = await openChat(context, baseUrl, a);
    await waitLive(page, a);
    expect(streams).toHaveLength(1);
    // A live write gives the stream an event id to resume from.
    await db.query(
      `WITH m AS (INSERT INTO chat_message_content (chat_id, seq, role, body, done)
                  VALUES ($1, 2, 'agent', 'an id-carrying write', true) RETURNING id)
       SELECT deltacast_signal('chat:' || $1, 'contentIds', ARRAY(SELECT id FROM m))`,
      [a],
    );
    await page.waitForSelector('text=an id-carrying write');
    const firstClosed = new Promise((resolve) => {
      page.on('requestfailed', (r) => r === streams[0] && resolve('failed'));
      page.on('requestfinished', (r) => r === streams[0] && resolve('finished'));
    });

    await page.click(`[data-testid="chats"] a[data-chat-id="${b}"]`);
    await waitLive(page, b);
    await page.waitForSelector('text=history of e2e switch b');
    await page.waitForTimeout(500); // a second reopen, if any, would come within the batch window
    expect(streams).toHaveLength(2);
    expect(topicsOf(streams[1]!)).toEqual([`chat:${b}`, 'org:1']);
    expect(new URL(streams[1]!.url()).searchParams.get('lastEventId')).toMatch(/^[0-9a-f]+-\d+$/);
    await expect(firstClosed).resolves.toBeDefined();
    await context.close();
  });

  it('surfaces 403 for a chat the user may not see, without a reconnect loop', async () => {
    // Invariant: a forbidden topic is reported to the app and not retried; the rest streams on.
    const chatId = await createChat(db, 'e2e forbidden');
    const context = await browser.newContext();
    const { page, streams } = await openChat(context, baseUrl, chatId, '?user=u3');
    await page.waitForSelector('[data-testid="connection"][data-detail="forbidden"]', { timeout: 20_000 });
    expect(await page.textContent('[data-testid="connection"]')).toContain(`chat:${chatId}`);
    await page.waitForTimeout(3000);
    // The shared stream reopens once without the denied topic (other tabs may need org:1).
    expect(streams.map(topicsOf)).toEqual([[`chat:${chatId}`, 'org:1'], ['org:1']]);
    await context.close();
  });
});
