import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamManager, type StreamManagerOptions } from '../src/core/index.ts';
import { EventSourceRecorder, FakeEventSource, FakeProber, settle } from './fakes.ts';

let sources: EventSourceRecorder;
let prober: FakeProber;
let errors: unknown[];

function manager(options: StreamManagerOptions = {}): StreamManager {
  return new StreamManager({
    eventSource: sources.factory,
    probe: prober.probe,
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) },
    backoff: { baseMs: 1000, maxMs: 30_000, random: () => 0.5 },
    onError: (e) => errors.push(e),
    ...options,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  sources = new EventSourceRecorder();
  prober = new FakeProber();
  errors = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('topic batching', () => {
  it('opens one stream for topic changes made within the batch window', () => {
    // Invariant: changes within batchMs become a single EventSource carrying every topic.
    const m = manager();
    m.subscribe(['org:1']);
    vi.advanceTimersByTime(3);
    m.subscribe('chat:42');
    m.subscribe(['chat:43', 'chat:42']);
    expect(sources.all).toHaveLength(0);
    vi.advanceTimersByTime(10);
    expect(sources.all).toHaveLength(1);
    expect(sources.last.topics).toEqual(['chat:42', 'chat:43', 'org:1']);
    expect(m.getState()).toMatchObject({ status: 'connecting' });
  });

  it('does not reopen when a change is undone within the window', () => {
    // Invariant: add-then-remove (StrictMode's mount, unmount, mount) costs no reopen.
    const m = manager();
    m.subscribe('org:1');
    vi.advanceTimersByTime(20);
    sources.last.ready();
    const release = m.subscribe('chat:42');
    release();
    const again = m.subscribe('chat:42');
    again();
    vi.advanceTimersByTime(50);
    expect(sources.all).toHaveLength(1);
  });

  it('reopens with the new topics and the last event id, closing the old stream first', () => {
    // Invariant: a topic change is one reopen that carries lastEventId; never two streams.
    const m = manager();
    const releaseChat = m.subscribe(['org:1', 'chat:42']);
    vi.advanceTimersByTime(20);
    const first = sources.last;
    expect(first.lastEventIdParam).toBeNull();
    first.ready();
    first.emit('entity-upsert', { topic: 'chat:42', entity: 'M', rows: [] }, 'e1-7');
    first.emit('resync', { topics: ['chat:42'], reason: 'x' }); // no id: keeps e1-7
    m.subscribe(['org:1', 'chat:43']);
    releaseChat();
    vi.advanceTimersByTime(20);
    expect(sources.all).toHaveLength(2);
    expect(first.closed).toBe(true);
    expect(sources.last.topics).toEqual(['chat:43', 'org:1']);
    expect(sources.last.lastEventIdParam).toBe('e1-7');
    expect(sources.openCount).toBe(1);
    expect(sources.last.url).toBe('/api/sse/stream?topics=chat:43,org:1&lastEventId=e1-7');
  });

  it('ignores events of a stream it has closed', () => {
    // Invariant: a late callback of a replaced EventSource cannot reach listeners.
    const m = manager();
    const seen: string[] = [];
    m.on('poke', (p) => seen.push(p.topic));
    const release = m.subscribe('org:1');
    vi.advanceTimersByTime(20);
    const old = sources.last;
    old.ready();
    release();
    m.subscribe('org:2');
    vi.advanceTimersByTime(20);
    old.closed = false; // simulate a browser delivering an already queued event
    old.emit('poke', { topic: 'org:1' }, 'e1-1');
    expect(seen).toEqual([]);
    expect(m.lastEventId).toBeNull();
  });
});

describe('ref-counting', () => {
  it('keeps a topic while any holder remains and closes when none does', () => {
    // Invariant: a topic leaves the stream only when its last holder releases it.
    const m = manager();
    const a = m.subscribe('chat:42');
    const b = m.subscribe(['chat:42', 'org:1']);
    vi.advanceTimersByTime(20);
    sources.last.ready();
    a();
    a(); // a second release must not steal b's reference
    vi.advanceTimersByTime(20);
    expect(sources.all).toHaveLength(1);
    b();
    vi.advanceTimersByTime(20);
    expect(sources.last.closed).toBe(true);
    expect(m.getState()).toEqual({ status: 'closed', reason: { kind: 'idle' } });
  });
});

describe('events', () => {
  it('reports ready as open, with resumed and added topics, and dispatches typed events', () => {
    // Invariant: listeners get parsed data; ready says whether the server may replay.
    const m = manager();
    const got: unknown[] = [];
    m.on('ready', (r) => got.push(['ready', r.resumed, r.added]));
    m.on('entity-upsert', (u) => got.push(['upsert', u.topic, u.rows.length, u.snapshot]));
    m.on('entity-delete', (d) => got.push(['delete', d.ids]));
    m.on('poke', (p) => got.push(['poke', p.topic]));
    m.on('resync', (r) => got.push(['resync', r.topics]));
    m.subscribe(['org:1', 'chat:42']);
    vi.advanceTimersByTime(20);
    const es = sources.last;
    es.ready(['chat:42', 'org:1'], 'abc');
    expect(m.getState()).toEqual({ status: 'open', topics: ['chat:42', 'org:1'], epoch: 'abc' });
    es.emit('entity-upsert', { topic: 'chat:42', entity: 'M', rows: [{ id: 1 }], snapshot: true });
    es.emit('entity-delete', { topic: 'chat:42', entity: 'M', ids: [3] }, 'abc-2');
    es.emit('poke', { topic: 'org:1' }, 'abc-3');
    es.emit('resync', { topics: ['chat:42'], reason: 'r' });
    es.emit('poke', '{not json');
    m.subscribe('chat:43');
    vi.advanceTimersByTime(20);
    sources.last.ready(['chat:42', 'chat:43', 'org:1'], 'abc');
    expect(got).toEqual([
      ['ready', false, ['chat:42', 'org:1']],
      ['upsert', 'chat:42', 1, true],
      ['delete', [3]],
      ['poke', 'org:1'],
      ['resync', ['chat:42']],
      ['ready', true, ['chat:43']],
    ]);
    expect(errors).toHaveLength(1);
  });

  it('keeps dispatching when a listener throws', () => {
    // Invariant: one failing listener cannot starve the others.
    const m = manager();
    const seen: string[] = [];
    m.on('poke', () => {
      throw new Error('boom');
    });
    m.on('poke', (p) => seen.push(p.topic));
    m.subscribe('org:1');
    vi.advanceTimersByTime(20);
    sources.last.ready();
    sources.last.emit('poke', { topic: 'org:1' }, 'e-1');
    expect(seen).toEqual(['org:1']);
    expect(errors).toHaveLength(1);
  });
});

describe('reconnects', () => {
  it('reopens a dropped stream after a jittered delay, with the last id, without probing', () => {
    // Invariant: a drop of an open stream is retried by the manager itself, with backoff.
    const m = manager({ backoff: { baseMs: 1000, random: () => 0.9 } });
    m.subscribe('chat:42');
    vi.advanceTimersByTime(20);
    sources.last.ready();
    sources.last.emit('entity-delete', { topic: 'chat:42', entity: 'M', ids: [1] }, 'e1-3');
    sources.last.fail(FakeEventSource.CONNECTING);
    expect(sources.last.closed).toBe(true); // the browser's own retry is cancelled
    const state = m.getState();
    expect(state).toMatchObject({ status: 'reconnecting', attempt: 1, error: 'connection lost' });
    expect(state.status === 'reconnecting' && state.delayMs).toBe(950);
    vi.advanceTimersByTime(949);
    expect(sources.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sources.all).toHaveLength(2);
    expect(sources.last.lastEventIdParam).toBe('e1-3');
    expect(prober.calls).toHaveLength(0);
  });

  it('grows the delay over consecutive failures and resets it after ready', async () => {
    // Invariant: backoff is exponential while failing and starts over once subscribed.
    const m = manager({ backoff: { baseMs: 1000, random: () => 0 } });
    m.subscribe('chat:42');
    vi.advanceTimersByTime(20);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      sources.last.fail();
      await settle();
      const s = m.getState();
      if (s.status !== 'reconnecting') throw new Error(`state ${s.status}`);
      delays.push(s.delayMs);
      vi.advanceTimersByTime(s.delayMs);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
    expect(sources.all).toHaveLength(5);
    sources.last.ready();
    sources.last.fail(FakeEventSource.CONNECTING);
    expect(m.getState()).toMatchObject({ status: 'reconnecting', delayMs: 500, attempt: 1 });
  });

  it('probes a failed open and retries on 503 no sooner than Retry-After', async () => {
    // Invariant: an overloaded server is retried, honouring Retry-After as a floor.
    const m = manager();
    m.subscribe('chat:42');
    vi.advanceTimersByTime(20);
    prober.next = { status: 503, body: { error: 'overloaded' }, retryAfterMs: 5000 };
    sources.last.fail();
    await settle();
    expect(prober.calls).toEqual(['/api/sse/stream?topics=chat:42']);
    expect(m.getState()).toMatchObject({ status: 'reconnecting', delayMs: 5000, error: 'HTTP 503' });
    vi.advanceTimersByTime(4999);
    expect(sources.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sources.all).toHaveLength(2);
  });
});
