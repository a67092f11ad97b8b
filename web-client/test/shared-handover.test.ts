import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventsOf, FakeBrowser, step, type Tab } from './shared-helpers.ts';

let browser: FakeBrowser;

beforeEach(() => {
  vi.useFakeTimers();
  browser = new FakeBrowser();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Tabs a (leader), b, c with a live stream that has relayed events up to e1-3. */
async function threeTabs(): Promise<[Tab, Tab, Tab]> {
  const [a, b, c] = [browser.tab('a'), browser.tab('b'), browser.tab('c')];
  a.m.subscribe('org:1');
  b.m.subscribe(['org:1', 'chat:2']);
  c.m.subscribe('chat:3');
  await step();
  const stream = browser.only();
  stream.ready();
  stream.emit('poke', { topic: 'org:1' }, 'e1-1');
  stream.emit('entity-upsert', { topic: 'chat:2', entity: 'M', rows: [] }, 'e1-2');
  stream.emit('entity-upsert', { topic: 'chat:3', entity: 'M', rows: [] }, 'e1-3');
  await step();
  return [a, b, c];
}

describe('handover', () => {
  it('a crashed leader is replaced by a follower that resumes with the last relayed id', async () => {
    // Invariant: leader gone mid-stream → one new stream, lastEventId = last relayed id, no resync needed.
    const [a, b, c] = await threeTabs();
    browser.crash(a);
    await step();
    expect(b.m.shareRole()).toBe('leader');
    expect(c.m.shareRole()).toBe('follower');
    const stream = browser.only();
    expect(b.sources.all).toEqual([stream]);
    expect(stream.topics).toEqual(['chat:2', 'chat:3', 'org:1']);
    expect(stream.lastEventIdParam).toBe('e1-3');
    expect(c.m.getState().status).toBe('connecting'); // the new leader announced itself
    stream.ready();
    stream.emit('entity-upsert', { topic: 'chat:3', entity: 'M', rows: [{ id: 9 }] }, 'e1-4');
    await step();
    expect(eventsOf(c, 'resync')).toEqual([]);
    expect(eventsOf(c, 'ready').at(-1)).toEqual({ epoch: 'e1', topics: ['chat:3'], resumed: true, added: [] });
    expect(eventsOf(c, 'entity-upsert')).toHaveLength(2);
    expect(c.m.lastEventId).toBe('e1-4');
    expect(c.m.getState()).toEqual({ status: 'open', topics: ['chat:3'], epoch: 'e1' });
  });

  it('resumes from the oldest position any tab reports, so a lagging tab misses nothing', async () => {
    // Invariant: the new stream starts at or before every tab's last event; duplicates, never gaps.
    const [a, b, c] = await threeTabs();
    browser.channels.dropNextTo('c'); // c never gets e1-4 (and cannot notice: no later message)
    browser.only().emit('entity-upsert', { topic: 'chat:3', entity: 'M', rows: [] }, 'e1-4');
    await step();
    browser.crash(a);
    await step();
    expect(browser.only().lastEventIdParam).toBe('e1-3');
    browser.only().ready();
    await step();
    expect(eventsOf(c, 'resync')).toEqual([]);
  });

  it('a tab whose position is older than the new stream resyncs its topics', async () => {
    // Invariant: a follower that registers after the new leader opened, from an older position, refetches.
    const [a, b, c] = await threeTabs();
    browser.channels.dropNextTo('c');
    browser.only().emit('entity-upsert', { topic: 'chat:2', entity: 'M', rows: [] }, 'e1-4');
    await step();
    browser.crash(a);
    browser.channels.dropNextTo('c'); // c misses the new leader's announcement
    await step();
    const stream = browser.only();
    expect(stream.lastEventIdParam).toBe('e1-4');
    stream.ready();
    await step();
    expect(b.m.shareRole()).toBe('leader');
    expect(eventsOf(c, 'resync')).toEqual([{ topics: ['chat:3'], reason: 'handover' }]);
    expect(c.m.getState()).toEqual({ status: 'open', topics: ['chat:3'], epoch: 'e1' });
  });

  it('a follower that lost a relayed message resyncs its topics', async () => {
    // Invariant: a gap in the leader's message numbers is reported as resync, never ignored.
    const [, b, c] = await threeTabs();
    browser.channels.dropNextTo('c');
    browser.only().emit('entity-upsert', { topic: 'chat:3', entity: 'M', rows: [] }, 'e1-4');
    browser.only().emit('poke', { topic: 'org:1' }, 'e1-5');
    await step();
    expect(eventsOf(c, 'resync')).toEqual([{ topics: ['chat:3'], reason: 'relay-gap' }]);
    expect(eventsOf(b, 'resync')).toEqual([]);
  });

  it('a leader that disposes hands over at once', async () => {
    // Invariant: leadership follows the lock; the next tab in line opens the union of the remaining tabs.
    const [a, b] = await threeTabs();
    a.m.dispose();
    await step();
    expect(a.sources.all.every((es) => es.closed)).toBe(true);
    expect(b.m.shareRole()).toBe('leader');
    expect(browser.only().topics).toEqual(['chat:2', 'chat:3', 'org:1']);
    expect(browser.only().lastEventIdParam).toBe('e1-3');
  });
});

describe('positions', () => {
  it('a stream left without topics does not hold the next handover back', async () => {
    // Invariant: the resume point is the oldest position of the streams that still carry topics.
    const a = browser.tab('a', { maxTopicsPerStream: 1 });
    const b = browser.tab('b', { maxTopicsPerStream: 1 });
    const c = browser.tab('c', { maxTopicsPerStream: 1 });
    a.m.subscribe('org:1');
    const releaseChat = b.m.subscribe('chat:2');
    c.m.subscribe('org:1');
    await step();
    const org = browser.openStreams().find((es) => es.topics.includes('org:1'));
    const chat = browser.openStreams().find((es) => es.topics.includes('chat:2'));
    org!.ready();
    chat!.ready();
    chat!.emit('entity-upsert', { topic: 'chat:2', entity: 'M', rows: [] }, 'e1-1');
    org!.emit('poke', { topic: 'org:1' }, 'e1-2');
    releaseChat();
    await step();
    org!.emit('poke', { topic: 'org:1' }, 'e1-3');
    await step();
    a.m.dispose();
    await step();
    expect(browser.openStreams().map((es) => [es.topics, es.lastEventIdParam])).toEqual([[['org:1'], 'e1-3']]);
  });
});
