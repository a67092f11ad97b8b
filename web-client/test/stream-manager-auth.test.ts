import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamManager } from '../src/core/index.ts';
import { EventSourceRecorder, FakeProber, settle } from './fakes.ts';

let sources: EventSourceRecorder;
let prober: FakeProber;

function manager(): StreamManager {
  return new StreamManager({
    eventSource: sources.factory,
    probe: prober.probe,
    backoff: { baseMs: 1000, random: () => 0.5 },
    onError: () => {},
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  sources = new EventSourceRecorder();
  prober = new FakeProber();
});
afterEach(() => {
  vi.useRealTimers();
});

async function failOpen(m: StreamManager, status: number, body: unknown): Promise<void> {
  prober.next = { status, body, retryAfterMs: null };
  sources.last.fail();
  await settle();
  expect(m.getState().status).not.toBe('connecting');
}

describe('open failures surfaced to the app', () => {
  it('stops on 401 instead of looping, until reconnect()', async () => {
    // Invariant: an unauthenticated stream is never retried on its own.
    const m = manager();
    m.subscribe(['org:1', 'chat:42']);
    vi.advanceTimersByTime(20);
    await failOpen(m, 401, { error: 'unauthorized', reason: 'expired' });
    expect(m.getState()).toEqual({
      status: 'closed',
      reason: { kind: 'unauthorized', status: 401, body: { error: 'unauthorized', reason: 'expired' } },
    });
    vi.advanceTimersByTime(10 * 60_000);
    expect(sources.all).toHaveLength(1);
    expect(prober.calls).toHaveLength(1);
    m.reconnect();
    expect(sources.all).toHaveLength(2);
    sources.last.ready();
    expect(m.getState().status).toBe('open');
  });

  it('stops on 403 naming the denied topics, and tries again when the topics change', async () => {
    // Invariant: a forbidden topic list is not retried; a different list is.
    const m = manager();
    m.subscribe('org:1');
    const releaseSecret = m.subscribe('chat:99');
    vi.advanceTimersByTime(20);
    await failOpen(m, 403, { error: 'forbidden', topics: ['chat:99'] });
    expect(m.getState()).toMatchObject({
      status: 'closed',
      reason: { kind: 'forbidden', status: 403, topics: ['chat:99'] },
    });
    m.subscribe('org:1'); // a second holder of a topic already wanted: no change
    vi.advanceTimersByTime(60_000);
    expect(sources.all).toHaveLength(1);
    releaseSecret();
    vi.advanceTimersByTime(20);
    expect(sources.all).toHaveLength(2);
    expect(sources.last.topics).toEqual(['org:1']);
  });

  it('stops on 400 (a malformed topic list)', async () => {
    // Invariant: a request the server rejects as malformed is not repeated.
    const m = manager();
    m.subscribe('nope:1');
    vi.advanceTimersByTime(20);
    await failOpen(m, 400, { error: 'unknown topic kind', topic: 'nope:1' });
    expect(m.getState()).toMatchObject({ status: 'closed', reason: { kind: 'bad-request' } });
    vi.advanceTimersByTime(60_000);
    expect(sources.all).toHaveLength(1);
  });

  it('ignores a probe answer that a newer open made stale', async () => {
    // Invariant: the 401 of an old topic list cannot close the stream of a new one.
    const m = manager();
    const release = m.subscribe('chat:99');
    vi.advanceTimersByTime(20);
    prober.held = [];
    sources.last.fail();
    release();
    m.subscribe('chat:42');
    vi.advanceTimersByTime(20);
    expect(sources.all).toHaveLength(2);
    expect(sources.last.topics).toEqual(['chat:42']);
    prober.held[0]?.({ status: 401, body: null, retryAfterMs: null });
    await settle();
    expect(m.getState()).toMatchObject({ status: 'connecting', topics: ['chat:42'] });
    sources.last.ready();
    expect(m.getState().status).toBe('open');
  });

  it('does not open a second stream while a failed open is being probed', async () => {
    // Invariant: a batch flush during the probe of the same topics opens nothing.
    const m = manager();
    m.subscribe('chat:42');
    vi.advanceTimersByTime(20);
    prober.held = [];
    sources.last.fail();
    m.subscribe('chat:1')();
    vi.advanceTimersByTime(20);
    expect(sources.all).toHaveLength(1);
    prober.held[0]?.({ status: 503, body: null, retryAfterMs: null });
    await settle();
    expect(m.getState().status).toBe('reconnecting');
  });
});

describe('revocation and disposal', () => {
  it('drops revoked topics and carries on with the others', () => {
    // Invariant: a revoked topic is not requested again while held; the rest keep streaming.
    const m = manager();
    const seen: string[][] = [];
    m.on('revoked', (r) => seen.push(r.topics));
    m.subscribe('org:1');
    const releaseChat = m.subscribe('chat:42');
    vi.advanceTimersByTime(20);
    sources.last.ready();
    sources.last.emit('revoked', { topics: ['chat:42'], reason: 'access' });
    expect(seen).toEqual([['chat:42']]);
    expect(sources.last.closed).toBe(true);
    expect(m.getState().status).toBe('reconnecting');
    vi.advanceTimersByTime(1000);
    expect(sources.all).toHaveLength(2);
    expect(sources.last.topics).toEqual(['org:1']);
    expect(m.revokedTopics()).toEqual(['chat:42']);
    releaseChat();
    expect(m.revokedTopics()).toEqual([]);
  });

  it('closes for good on dispose', () => {
    // Invariant: after dispose no EventSource is opened, whatever components do.
    const m = manager();
    m.subscribe('org:1');
    vi.advanceTimersByTime(20);
    m.dispose();
    expect(sources.last.closed).toBe(true);
    m.subscribe('chat:42');
    vi.advanceTimersByTime(60_000);
    expect(sources.all).toHaveLength(1);
    expect(m.getState()).toEqual({ status: 'closed', reason: { kind: 'stopped' } });
  });
});
