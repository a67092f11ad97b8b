import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamManager, type BroadcastData } from '../src/core/index.ts';
import { EventSourceRecorder, FakeProber } from './fakes.ts';
import { eventsOf, FakeBrowser, step } from './shared-helpers.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const ada = { sub: 'u1', meta: { name: 'Ada' } };
const bob = { sub: 'u2', meta: { name: 'Bob' } };
const cy = { sub: 'u3', meta: {} };
const typing = (topic: string, from: string) => ({ topic, name: 'typing', from, data: { state: 'start' } });

describe('live rooms on a tab of its own', () => {
  it('applies presence, hands broadcasts to matching handlers, and keeps the last event id', () => {
    // Invariant: presence/broadcast carry no id and never move the resume position (SPEC §8).
    const sources = new EventSourceRecorder();
    const m = new StreamManager({
      eventSource: sources.factory,
      probe: new FakeProber().probe,
      share: false,
      self: { sub: 'u1' },
    });
    m.subscribe('chat:1');
    vi.advanceTimersByTime(20);
    const es = sources.last;
    es.ready();
    es.emit('entity-upsert', { topic: 'chat:1', entity: 'M', rows: [] }, 'e1-4');
    es.emit('presence', { topic: 'chat:1', state: [ada, bob] });
    es.emit('presence', { topic: 'chat:1', leaves: [{ sub: 'u2' }] });
    const heard: BroadcastData[] = [];
    m.onBroadcast('chat:1', 'typing', (e) => heard.push(e));
    es.emit('broadcast', typing('chat:1', 'u2'));
    es.emit('broadcast', { ...typing('chat:1', 'u2'), name: 'thinking' });
    expect(m.presence('chat:1')).toEqual({ members: [{ ...ada, self: true }] });
    expect(heard).toEqual([typing('chat:1', 'u2')]);
    expect(m.lastEventId).toBe('e1-4');
    m.subscribe('chat:2');
    vi.advanceTimersByTime(20);
    expect(sources.last.lastEventIdParam).toBe('e1-4');
  });
});

describe('live rooms through a shared stream', () => {
  let browser: FakeBrowser;
  beforeEach(() => {
    browser = new FakeBrowser();
  });

  it('relays presence and broadcasts only to the tabs holding the topic, without moving their ids', async () => {
    // Invariant: ephemeral events reach exactly the tabs of their topic; positions stay put.
    const [a, b, c] = [browser.tab('a'), browser.tab('b'), browser.tab('c')];
    a.m.subscribe('chat:1');
    b.m.subscribe(['chat:1', 'chat:2']);
    c.m.subscribe('chat:3');
    await step();
    const es = browser.only();
    es.ready();
    es.emit('poke', { topic: 'chat:3' }, 'e1-9');
    es.emit('presence', { topic: 'chat:1', state: [ada, bob] });
    es.emit('presence', { topic: 'chat:2', count: 250 });
    es.emit('broadcast', typing('chat:1', 'u2'));
    es.emit('broadcast', typing('chat:3', 'u2'));
    await step();
    expect(eventsOf(a, 'presence')).toEqual([{ topic: 'chat:1', state: [ada, bob] }]);
    expect(eventsOf(b, 'presence')).toHaveLength(2);
    expect(eventsOf(c, 'presence')).toEqual([]);
    expect(eventsOf(a, 'broadcast')).toEqual([typing('chat:1', 'u2')]);
    expect(eventsOf(b, 'broadcast')).toEqual([typing('chat:1', 'u2')]);
    expect(eventsOf(c, 'broadcast')).toEqual([typing('chat:3', 'u2')]);
    expect(b.m.presence('chat:1')).toEqual({ members: [{ ...ada, self: true }, { ...bob, self: false }] });
    expect(b.m.presence('chat:2')).toEqual({ members: [], count: 250 });
    expect(c.m.presence('chat:1')).toBeUndefined();
    expect([a.m.lastEventId, b.m.lastEventId, c.m.lastEventId]).toEqual(['e1-9', 'e1-9', 'e1-9']);
  });

  it('gives a tab that joins a live topic the current presence (state with diffs applied)', async () => {
    // Invariant: the server sends `state` only on open; the leader hands its view to a joining tab.
    const [a, b] = [browser.tab('a'), browser.tab('b')];
    a.m.subscribe('org:1');
    b.m.subscribe('chat:1');
    await step();
    const es = browser.only();
    es.ready();
    es.emit('presence', { topic: 'chat:1', state: [ada] });
    es.emit('presence', { topic: 'chat:1', joins: [bob, cy], leaves: [{ sub: 'u1' }] });
    await step();
    const c = browser.tab('c');
    c.m.subscribe('chat:1'); // follower joining a carried topic
    a.m.subscribe('chat:1'); // the leader's own tab too
    await step();
    expect(browser.openStreams()).toEqual([es]); // no reopen
    const current = { topic: 'chat:1', state: [bob, cy] };
    expect(eventsOf(c, 'presence')).toEqual([current]);
    expect(eventsOf(a, 'presence')).toEqual([current]);
    expect(eventsOf(b, 'presence')).toHaveLength(2); // the addressed copies are not b's
    expect(c.m.presence('chat:1')).toEqual(b.m.presence('chat:1'));
    expect(c.m.getState()).toMatchObject({ status: 'open', topics: ['chat:1'] });
  });

  it('forgets a topic presence once the tab no longer holds it, not while it is held again', async () => {
    // Invariant: presence only for held topics; a release undone in the batch window keeps it.
    const a = browser.tab('a');
    const release = a.m.subscribe('chat:1');
    await step();
    browser.only().ready();
    browser.only().emit('presence', { topic: 'chat:1', state: [ada] });
    await step();
    let changes = 0;
    a.m.subscribePresence('chat:1', () => changes++);
    expect(a.m.presence('chat:1')?.members).toHaveLength(1);
    release();
    a.m.subscribe('chat:1')(); // held again and released within the batch window: kept meanwhile
    expect(a.m.presence('chat:1')?.members).toHaveLength(1);
    const again = a.m.subscribe('chat:1');
    await step();
    expect(a.m.presence('chat:1')?.members).toHaveLength(1); // still held: the stream sends no new state
    again();
    await step();
    expect(a.m.presence('chat:1')).toBeUndefined();
    expect(changes).toBe(1);
  });
});
