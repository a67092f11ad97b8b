import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamManager } from '../src/core/index.ts';
import { EventSourceRecorder, FakeProber } from './fakes.ts';
import { eventsOf, FakeBrowser, step } from './shared-helpers.ts';

let browser: FakeBrowser;

beforeEach(() => {
  vi.useFakeTimers();
  browser = new FakeBrowser();
});
afterEach(() => {
  vi.useRealTimers();
});

const upsert = (topic: string) => ({ topic, entity: 'M', rows: [{ id: 1 }] });

describe('election and relay', () => {
  it('opens one stream with the union of every tab topics, led by the first tab', async () => {
    // Invariant: N tabs of one user hold ONE EventSource, opened by the leader, with every topic.
    const a = browser.tab('a');
    a.m.subscribe(['org:1', 'chat:1']);
    await step();
    expect(a.m.shareRole()).toBe('leader');
    browser.only().ready();
    browser.only().emit('poke', { topic: 'org:1' }, 'e1-1');
    const b = browser.tab('b');
    b.m.subscribe(['org:1', 'chat:2']);
    const c = browser.tab('c');
    c.m.subscribe('chat:3');
    await step();
    expect([b.m.shareRole(), c.m.shareRole()]).toEqual(['follower', 'follower']);
    const stream = browser.only();
    expect(stream.topics).toEqual(['chat:1', 'chat:2', 'chat:3', 'org:1']);
    expect(stream.lastEventIdParam).toBe('e1-1');
    expect(a.sources.all).toHaveLength(2); // the first stream, then one reopen for both joiners
    expect(b.sources.all).toHaveLength(0);
    stream.ready();
    await step();
    expect(b.m.getState()).toEqual({ status: 'open', topics: ['chat:2', 'org:1'], epoch: 'e1' });
    expect(c.m.getState()).toEqual({ status: 'open', topics: ['chat:3'], epoch: 'e1' });
    expect(eventsOf(b, 'ready')).toEqual([
      { epoch: 'e1', topics: ['org:1'], resumed: true, added: ['org:1'] }, // carried already
      { epoch: 'e1', topics: ['chat:2', 'org:1'], resumed: true, added: ['chat:2'] },
    ]);
    expect(eventsOf(a, 'ready')).toEqual([
      { epoch: 'e1', topics: ['chat:1', 'org:1'], resumed: false, added: ['chat:1', 'org:1'] },
      { epoch: 'e1', topics: ['chat:1', 'org:1'], resumed: true, added: [] },
    ]);
  });

  it('relays each event only to the tabs holding its topic, and tracks the last id in every tab', async () => {
    // Invariant: a follower sees exactly the events of its topics, as a tab of its own would.
    const [a, b, c] = [browser.tab('a'), browser.tab('b'), browser.tab('c')];
    a.m.subscribe(['org:1', 'chat:1']);
    b.m.subscribe(['org:1', 'chat:2']);
    c.m.subscribe('chat:3');
    await step();
    const stream = browser.only();
    stream.ready();
    stream.emit('entity-upsert', upsert('chat:2'), 'e1-5');
    stream.emit('poke', { topic: 'org:1' }, 'e1-6');
    stream.emit('resync', { topics: ['chat:1', 'chat:3'], reason: 'listener-reconnected' });
    stream.emit('entity-delete', { topic: 'chat:3', entity: 'M', ids: [4] }, 'e1-7');
    await step();
    expect(eventsOf(b, 'entity-upsert')).toEqual([upsert('chat:2')]);
    expect(eventsOf(a, 'entity-upsert')).toEqual([]);
    expect(eventsOf(a, 'poke')).toEqual([{ topic: 'org:1' }]);
    expect(eventsOf(b, 'poke')).toEqual([{ topic: 'org:1' }]);
    expect(eventsOf(c, 'poke')).toEqual([]);
    expect(eventsOf(a, 'resync')).toEqual([{ topics: ['chat:1'], reason: 'listener-reconnected' }]);
    expect(eventsOf(c, 'resync')).toEqual([{ topics: ['chat:3'], reason: 'listener-reconnected' }]);
    expect(eventsOf(b, 'resync')).toEqual([]);
    expect(eventsOf(c, 'entity-delete')).toEqual([{ topic: 'chat:3', entity: 'M', ids: [4] }]);
    expect([a.m.lastEventId, b.m.lastEventId, c.m.lastEventId]).toEqual(['e1-7', 'e1-7', 'e1-7']);
  });

  it('tells a tab at once when its topics are already carried, without reopening', async () => {
    // Invariant: joining a topic the stream has is `ready` (resumed, added) for that tab, no new stream.
    const a = browser.tab('a');
    a.m.subscribe(['org:1', 'chat:1']);
    await step();
    browser.only().ready();
    const d = browser.tab('d');
    d.m.subscribe('org:1');
    await step();
    expect(browser.openStreams()).toHaveLength(1);
    expect(a.sources.all).toHaveLength(1);
    expect(eventsOf(d, 'ready')).toEqual([{ epoch: 'e1', topics: ['org:1'], resumed: true, added: ['org:1'] }]);
    expect(d.m.getState()).toEqual({ status: 'open', topics: ['org:1'], epoch: 'e1' });
  });

  it('batches the topic changes of all tabs into one reopen, and closes when no tab holds a topic', async () => {
    // Invariant: tab changes within the batch window are ONE reopen with the last id; none left, no stream.
    const [a, b] = [browser.tab('a'), browser.tab('b')];
    const releaseA = a.m.subscribe('org:1');
    await step();
    browser.only().ready();
    browser.only().emit('poke', { topic: 'org:1' }, 'e1-2');
    const releaseB = b.m.subscribe(['chat:2', 'chat:3']);
    const releaseB2 = b.m.subscribe('chat:4');
    releaseB2();
    await step();
    expect(a.sources.all).toHaveLength(2);
    expect(browser.only().topics).toEqual(['chat:2', 'chat:3', 'org:1']);
    releaseA();
    releaseB();
    await step();
    expect(browser.openStreams()).toHaveLength(0);
    expect(b.m.getState()).toEqual({ status: 'closed', reason: { kind: 'idle' } });
  });

  it('forgets a follower that closes, and one that disposes its manager', async () => {
    // Invariant: a gone tab's topics leave the union (its lock tells the leader).
    const [a, b, c] = [browser.tab('a'), browser.tab('b'), browser.tab('c')];
    a.m.subscribe('org:1');
    b.m.subscribe('chat:2');
    c.m.subscribe('chat:3');
    await step();
    browser.only().ready();
    browser.crash(b);
    await step();
    expect(browser.only().topics).toEqual(['chat:3', 'org:1']);
    c.m.dispose();
    await step();
    expect(browser.only().topics).toEqual(['org:1']);
  });

  it('splits a union above the topic limit over as many streams as needed', async () => {
    // Invariant: no stream carries more than maxTopicsPerStream topics; a change reopens only its stream.
    const a = browser.tab('a', { maxTopicsPerStream: 2 });
    const b = browser.tab('b', { maxTopicsPerStream: 2 });
    a.m.subscribe(['t:1', 't:2', 't:3']);
    b.m.subscribe(['t:4', 't:5']);
    await step();
    const open = browser.openStreams();
    expect(open.map((es) => es.topics)).toEqual([['t:1', 't:2'], ['t:3', 't:4'], ['t:5']]);
    for (const es of open) es.ready();
    await step();
    expect(b.m.getState()).toMatchObject({ status: 'open', topics: ['t:4', 't:5'] });
    const before = a.sources.all.length;
    a.m.subscribe('t:6');
    await step();
    expect(a.sources.all.length).toBe(before + 1);
    expect(browser.openStreams().map((es) => es.topics)).toEqual([['t:1', 't:2'], ['t:3', 't:4'], ['t:5', 't:6']]);
  });
});

describe('who shares', () => {
  it('never shares between tabs of different share keys (users)', async () => {
    // Invariant: the share key names the user; two users in one browser hold two streams.
    const a = browser.tab('a', { key: 'u1' });
    const x = browser.tab('x', { key: 'u2' });
    a.m.subscribe('chat:1');
    x.m.subscribe('chat:1');
    await step();
    expect([a.m.shareRole(), x.m.shareRole()]).toEqual(['leader', 'leader']);
    expect(browser.openStreams()).toHaveLength(2);
  });

  it('shares by default: tabs without a key but with the same stream URL and credentials', async () => {
    // Invariant: sharing needs no option (SPEC §9); cookie auth makes a profile's tabs one user.
    const a = browser.tab('a', { key: undefined });
    const b = browser.tab('b', { key: undefined });
    a.m.subscribe('chat:1');
    b.m.subscribe('chat:2');
    await step();
    expect([a.m.shareRole(), b.m.shareRole()]).toEqual(['leader', 'follower']);
    expect(browser.only().topics).toEqual(['chat:1', 'chat:2']);
  });

  it('keys the share by the resolved stream URL (query included) and withCredentials', async () => {
    // Invariant: a token in the URL or other credentials make another share; relative = absolute.
    vi.stubGlobal('location', { href: 'http://app.test/chat/1' });
    const tabs = [
      browser.tab('a', { key: undefined }, { url: '/api/sse/stream' }),
      browser.tab('b', { key: undefined }, { url: 'http://app.test/api/sse/stream' }),
      browser.tab('c', { key: undefined }, { url: '/api/sse/stream?access_token=t1' }),
      browser.tab('d', { key: undefined }, { url: '/api/sse/stream?access_token=t2' }),
      browser.tab('e', { key: undefined }, { url: '/api/sse/stream', withCredentials: true }),
    ];
    vi.unstubAllGlobals();
    for (const t of tabs) t.m.subscribe('chat:1');
    await step();
    expect(tabs.map((t) => t.m.shareRole())).toEqual(['leader', 'follower', 'leader', 'leader', 'leader']);
    expect(browser.openStreams()).toHaveLength(4);
  });

  it('falls back to a stream per tab without Web Locks, and with share: false', () => {
    // Invariant: no locks (this Node has none) or share: false → today's one stream per tab.
    const sources = new EventSourceRecorder();
    const options = { eventSource: sources.factory, probe: new FakeProber().probe };
    const byDefault = new StreamManager(options);
    const missing = new StreamManager({ ...options, share: { key: 'u1' } });
    const off = new StreamManager({ ...options, share: false });
    byDefault.subscribe('org:1');
    missing.subscribe('org:1');
    off.subscribe('org:1');
    vi.advanceTimersByTime(20);
    expect([byDefault.shareRole(), missing.shareRole(), off.shareRole()]).toEqual(['alone', 'alone', 'alone']);
    expect(sources.all).toHaveLength(3);
  });
});
