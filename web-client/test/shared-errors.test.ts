import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settle } from './fakes.ts';
import { eventsOf, FakeBrowser, step } from './shared-helpers.ts';

let browser: FakeBrowser;

beforeEach(() => {
  vi.useFakeTimers();
  browser = new FakeBrowser();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('errors stay with their owner', () => {
  it('a 403 closes only the tabs that asked for the denied topics; the stream reopens without them', async () => {
    // Invariant: one tab's forbidden topic does not disturb the other tabs' streaming.
    const [a, b, c] = [browser.tab('a'), browser.tab('b'), browser.tab('c')];
    a.m.subscribe('org:1');
    b.m.subscribe(['org:1', 'chat:99']);
    c.m.subscribe('chat:3');
    await step();
    browser.prober.next = { status: 403, body: { error: 'forbidden', topics: ['chat:99'] }, retryAfterMs: null };
    browser.only().fail();
    await step();
    const stream = browser.only();
    expect(stream.topics).toEqual(['chat:3', 'org:1']);
    stream.ready();
    stream.emit('poke', { topic: 'org:1' }, 'e1-1');
    await step();
    expect(b.m.getState()).toEqual({
      status: 'closed',
      reason: { kind: 'forbidden', status: 403, topics: ['chat:99'], body: { error: 'forbidden', topics: ['chat:99'] } },
    });
    expect(a.m.getState()).toEqual({ status: 'open', topics: ['org:1'], epoch: 'e1' });
    expect(c.m.getState()).toEqual({ status: 'open', topics: ['chat:3'], epoch: 'e1' });
    expect(eventsOf(b, 'poke')).toEqual([{ topic: 'org:1' }]); // its allowed topics still flow
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(a.sources.all).toHaveLength(2); // the denied list is not retried
  });

  it('a 401 reaches every tab, and reconnect() from any tab tries again', async () => {
    // Invariant: an unauthenticated shared stream stops for all tabs until a tab reconnects.
    const [a, b] = [browser.tab('a'), browser.tab('b')];
    a.m.subscribe('org:1');
    b.m.subscribe('chat:2');
    await step();
    browser.prober.next = { status: 401, body: { error: 'unauthorized' }, retryAfterMs: null };
    browser.only().fail();
    await step();
    const closed = { status: 'closed', reason: { kind: 'unauthorized', status: 401, body: { error: 'unauthorized' } } };
    expect(a.m.getState()).toEqual(closed);
    expect(b.m.getState()).toEqual(closed);
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(browser.openStreams()).toHaveLength(0);
    b.m.reconnect();
    await step();
    browser.only().ready();
    await step();
    expect(b.m.getState()).toEqual({ status: 'open', topics: ['chat:2'], epoch: 'e1' });
  });

  it('revoked reaches only the tabs holding the revoked topics; the stream goes on without them', async () => {
    // Invariant: a revoked topic is dropped for its holders only, the others keep streaming.
    const [a, b] = [browser.tab('a'), browser.tab('b')];
    a.m.subscribe('org:1');
    b.m.subscribe(['org:1', 'chat:2']);
    await step();
    browser.only().ready();
    browser.only().emit('revoked', { topics: ['chat:2'], reason: 'access' });
    await step(60);
    expect(eventsOf(b, 'revoked')).toEqual([{ topics: ['chat:2'], reason: 'access' }]);
    expect(eventsOf(a, 'revoked')).toEqual([]);
    expect(b.m.revokedTopics()).toEqual(['chat:2']);
    expect(browser.only().topics).toEqual(['org:1']);
    browser.only().ready();
    await step();
    expect(a.m.getState()).toEqual({ status: 'open', topics: ['org:1'], epoch: 'e1' });
    expect(b.m.getState()).toEqual({ status: 'open', topics: ['org:1'], epoch: 'e1' });
  });
});
