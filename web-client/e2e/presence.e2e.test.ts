import type pg from 'pg';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signSession } from '../demo/lib/session.mjs';
import { ask, launch, openChat, waitLive } from './browser.ts';
import { connect, createChat, maxMessageId, waitForReply } from './db.ts';

// SPEC §8 in a real browser: presence, typing and the agent's thinking broadcasts reach the
// demo's chat through deltacast (two users in two browser contexts, so two streams).

const baseUrl = inject('baseUrl');
const deltacastUrl = inject('deltacastUrl');
let browser: Browser;
let db: pg.Client;
let contexts: BrowserContext[] = [];
let u1: Page;
let u2: Page;
let u1Streams: Request[] = [];
let chatId: number;

/**
 * Records, in the page, when the thinking indicator first appeared and disappeared, and when
 * each agent message first showed text: window.__live = {thinkingAt, thinkingGoneAt, firstText}.
 */
const LIVE_RECORDER = `
  window.__live = { thinkingAt: null, thinkingGoneAt: null, firstText: {} };
  new MutationObserver(() => {
    const now = performance.timeOrigin + performance.now();
    const live = window.__live;
    const shown = document.querySelector('[data-testid="thinking-indicator"]') !== null;
    if (shown && live.thinkingAt === null) live.thinkingAt = now;
    if (!shown && live.thinkingAt !== null && live.thinkingGoneAt === null) live.thinkingGoneAt = now;
    for (const li of document.querySelectorAll('li[data-role="agent"]')) {
      const id = li.getAttribute('data-message-id');
      if ((li.querySelector('.body')?.textContent ?? '') !== '') live.firstText[id] ??= now;
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

interface LiveTimes {
  thinkingAt: number | null;
  thinkingGoneAt: number | null;
  firstText: Record<string, number>;
}

const liveTimes = (page: Page) => page.evaluate(() => (window as unknown as { __live: LiveTimes }).__live);

const members = (page: Page) =>
  page.$$eval('[data-testid="presence-member"]', (els) =>
    els.map((e) => `${e.getAttribute('data-sub')}${e.getAttribute('data-self') === 'true' ? '*' : ''}`).sort(),
  );

/**
 * Whether the stack has live rooms: the SQL loaded defines `deltacast_broadcast` (the agent's
 * thinking) and deltacast answers the presence endpoint for a chat (`presence = true`). A source
 * tree from before live rooms skips these tests, loudly.
 */
async function hasLiveRooms(): Promise<boolean> {
  const probe = await connect(inject('pgEnv'));
  try {
    const { rows } = await probe.query("SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'deltacast_broadcast'");
    const chat = await createChat(probe, 'e2e live room probe');
    const res = await fetch(`${deltacastUrl}/api/sse/presence?topic=chat:${chat}`, {
      headers: { cookie: `session=${signSession(inject('secret'), 'u1', 1)}` },
    });
    return rows[0].n > 0 && res.status === 200;
  } finally {
    await probe.end();
  }
}

const liveRooms = await hasLiveRooms();
if (!liveRooms) console.warn('[skip] presence.e2e: this deltacast/SQL has no live rooms (SPEC §8)');

beforeAll(async () => {
  if (!liveRooms) return;
  db = await connect(inject('pgEnv'));
  browser = await launch();
  chatId = await createChat(db, 'e2e live room');
  for (const query of ['', '?user=u2']) {
    const context = await browser.newContext();
    await context.addInitScript(LIVE_RECORDER);
    contexts.push(context);
    const { page, streams } = await openChat(context, baseUrl, chatId, query);
    await waitLive(page, chatId);
    if (query === '') [u1, u1Streams] = [page, streams];
    else u2 = page;
  }
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  contexts = [];
  await browser?.close();
  await db?.end();
});

describe.skipIf(!liveRooms)('live rooms in the demo (presence, typing, thinking)', () => {
  it('shows both users present on the chat in both pages, each marking itself', async () => {
    // Invariant: presence state/joins reach every stream of the topic; self comes from the share key.
    await expect.poll(() => members(u1), { timeout: 15_000 }).toEqual(['u1*', 'u2']);
    await expect.poll(() => members(u2), { timeout: 15_000 }).toEqual(['u1', 'u2*']);
  });

  it('gives a second tab of u1, joining the live chat through the shared stream, the current presence', async () => {
    // Invariant: the server sends `state` only on open; the leader tab hands it to a joining follower.
    const before = u1Streams.length;
    const { page, streams } = await openChat(contexts[0]!, baseUrl, chatId);
    try {
      await waitLive(page, chatId);
      await expect.poll(() => members(page), { timeout: 10_000 }).toEqual(['u1*', 'u2']);
      expect(await page.getAttribute('[data-testid="share-role"]', 'data-role')).toBe('shared');
      expect([streams.length, u1Streams.length]).toEqual([0, before]); // no new stream, no reopen
    } finally {
      await page.close();
    }
  });

  it('shows "u2 is typing" in u1 page while u2 types, and clears it when u2 stops', async () => {
    // Invariant: typing start/stop broadcasts cross users; a stop clears at once (not by expiry).
    const published: string[] = [];
    u2.on('response', (r) => {
      const body = r.request().postData() ?? '';
      if (r.url().endsWith('/api/sse/broadcast')) published.push(`${JSON.parse(body).data.state}:${r.status()}`);
    });
    const input = u2.locator('input[aria-label="prompt"]');
    await input.click();
    await input.pressSequentially(' and presence', { delay: 40 });
    await expect.poll(() => published, { timeout: 5_000 }).toEqual(['start:202']); // one start per throttle window
    const indicator = u1.locator('[data-testid="typing-indicator"]');
    await indicator.waitFor({ timeout: 10_000 });
    expect(await indicator.getAttribute('data-subs')).toBe('u2');
    expect(await indicator.textContent()).toContain('u2 is typing');
    expect(await u2.locator('[data-testid="typing-indicator"]').count()).toBe(0); // never self
    const stoppedAt = Date.now();
    await input.blur();
    await indicator.waitFor({ state: 'detached', timeout: 10_000 });
    // Well before the 3 s idle stop and the 6 s expiry: the explicit stop did it.
    expect(Date.now() - stoppedAt).toBeLessThan(2500);
    expect(published).toEqual(['start:202', 'stop:202']);
  });

  it('shows "Agent is thinking…" before the first token renders and hides it after the reply', async () => {
    // Invariant: the agent's thinking start arrives before its first row; its stop hides the indicator.
    const before = await maxMessageId(db);
    await ask(u1, 'Explain how deltacast streams a reply');
    const reply = await waitForReply(db, chatId, before);
    await u1.waitForSelector(`li[data-message-id="${reply.id}"][data-done="true"]`, { timeout: 15_000 });
    await u1.waitForSelector('[data-testid="thinking-indicator"]', { state: 'detached', timeout: 10_000 });
    for (const page of [u1, u2]) {
      const t = await liveTimes(page);
      const firstToken = t.firstText[String(reply.id)];
      expect(t.thinkingAt, 'thinking indicator shown').not.toBeNull();
      expect(firstToken, 'first token rendered').toBeDefined();
      expect(t.thinkingAt!).toBeLessThan(firstToken!);
      expect(t.thinkingGoneAt, 'thinking indicator hidden').not.toBeNull();
      console.log(
        `[measure] thinking shown ${(firstToken! - t.thinkingAt!).toFixed(0)} ms before the first token; ` +
          `hidden ${(t.thinkingGoneAt! - firstToken!).toFixed(0)} ms after it`,
      );
    }
  });
});
