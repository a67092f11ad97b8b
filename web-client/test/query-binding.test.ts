import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamManager } from '../src/core/index.ts';
import { bindQueryClient, type EntityMapping, type QueryBinding } from '../src/query/index.ts';
import { EventSourceRecorder, FakeEventSource, FakeProber } from './fakes.ts';

type Msg = { id: number; chat_id: number; body: string; version: number };

const messages: EntityMapping = {
  entity: 'ChatMessageContent',
  topicKind: 'chat',
  shape: 'list',
  queryKey: (topic) => ['chat', Number(topic.split(':')[1]), 'messages'],
  compare: (a, b) => (a.id as number) - (b.id as number),
  snapshot: true,
};
const single: EntityMapping = {
  entity: 'ChatMessageContent',
  topicKind: 'chat',
  shape: 'single',
  queryKey: (topic, id) => ['message', topic, ...(id === undefined ? [] : [id])],
};
const profile: EntityMapping = {
  entity: 'Profile',
  topicKind: 'user',
  shape: 'single',
  queryKey: (topic, id) => ['profile', topic, ...(id === undefined ? [] : [id])],
};

let sources: EventSourceRecorder;
let manager: StreamManager;
let client: QueryClient;
let frames: Array<() => void>;
let binding: QueryBinding;
let es: FakeEventSource;

const msg = (id: number, version: number, body = `b${version}`): Msg => ({ id, chat_id: 42, body, version });
const list = (chat = 42) => client.getQueryData<Msg[]>(['chat', chat, 'messages']);
const runFrames = () => frames.splice(0).forEach((f) => f());
const upsert = (rows: Msg[], extra: Record<string, unknown> = {}, id = '') =>
  es.emit('entity-upsert', { topic: 'chat:42', entity: 'ChatMessageContent', rows, ...extra }, id);

beforeEach(() => {
  vi.useFakeTimers();
  sources = new EventSourceRecorder();
  manager = new StreamManager({ eventSource: sources.factory, probe: new FakeProber().probe });
  client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  frames = [];
  binding = bindQueryClient(manager, client, [messages, single, profile], {
    scheduleFrame: (f) => frames.push(f),
    random: () => 0.6, // resyncs invalidate after 300 of the default 500 ms
  });
  manager.subscribe(['chat:42', 'chat:43', 'user:u1']);
  vi.advanceTimersByTime(20);
  es = sources.last;
  es.ready();
});
afterEach(() => {
  binding.dispose();
  client.clear();
  vi.useRealTimers();
});

describe('merging upserts and deletes', () => {
  it('writes once per animation frame, in one notification batch', () => {
    // Invariant: N frames' worth of events cost one cache write per query per animation frame.
    client.setQueryData(['chat', 42, 'messages'], [msg(1, 1)]);
    const observer = new QueryObserver(client, { queryKey: ['chat', 42, 'messages'], enabled: false });
    const results: unknown[] = [];
    const unsubscribe = observer.subscribe((r) => results.push(r.data));
    for (let v = 2; v <= 6; v++) upsert([msg(1, v)]);
    upsert([msg(2, 1)]);
    expect(list()).toEqual([msg(1, 1)]);
    expect(frames).toHaveLength(1);
    runFrames();
    vi.runAllTimers(); // notifyManager's scheduler
    expect(list()).toEqual([msg(1, 6), msg(2, 1)]);
    expect(results).toHaveLength(1);
    unsubscribe();
  });

  it('never replaces a newer row by an older one', () => {
    // Invariant: version compare decides; arrival order does not.
    client.setQueryData(['chat', 42, 'messages'], [msg(1, 5, 'cached')]);
    upsert([msg(1, 3)]);
    runFrames();
    expect(list()).toEqual([msg(1, 5, 'cached')]);
    upsert([msg(1, 7)]);
    upsert([msg(1, 6)]);
    runFrames();
    expect(list()).toEqual([msg(1, 7)]);
  });

  it('keeps list order with compare and removes deleted rows', () => {
    // Invariant: new rows land in order; entity-delete removes the row from every list.
    client.setQueryData(['chat', 42, 'messages'], [msg(1, 1), msg(5, 1)]);
    upsert([msg(3, 1)]);
    es.emit('entity-delete', { topic: 'chat:42', entity: 'ChatMessageContent', ids: [5] });
    runFrames();
    expect(list()?.map((m) => m.id)).toEqual([1, 3]);
  });

  it('does not let a late snapshot revive a deleted row, but lets a live upsert', () => {
    // Invariant: a snapshot taken before a delete cannot undo it.
    client.setQueryData(['chat', 42, 'messages'], [msg(1, 1), msg(2, 1)]);
    es.emit('entity-delete', { topic: 'chat:42', entity: 'ChatMessageContent', ids: [2] });
    upsert([msg(1, 1), msg(2, 1)], { snapshot: true });
    runFrames();
    expect(list()?.map((m) => m.id)).toEqual([1]);
    upsert([msg(2, 2)]);
    runFrames();
    expect(list()?.map((m) => m.id)).toEqual([1, 2]);
  });

  it('updates single-row queries by id and ignores other entities and topics', () => {
    // Invariant: only the mapped (entity, topic kind) reaches a query; deletes become null.
    client.setQueryData(['message', 'chat:42', 7], msg(7, 1));
    client.setQueryData(['profile', 'user:u1', 'u1'], { id: 'u1', version: 1 });
    upsert([msg(7, 2)]);
    es.emit('entity-upsert', { topic: 'user:u1', entity: 'Other', rows: [{ id: 'u1', version: 9 }] });
    runFrames();
    expect(client.getQueryData(['message', 'chat:42', 7])).toEqual(msg(7, 2));
    expect(client.getQueryData(['profile', 'user:u1', 'u1'])).toEqual({ id: 'u1', version: 1 });
    es.emit('entity-delete', { topic: 'chat:42', entity: 'ChatMessageContent', ids: [7] });
    runFrames();
    expect(client.getQueryData(['message', 'chat:42', 7])).toBeNull();
  });

  it('brings fetched data up to rows the stream delivered before the fetch returned', async () => {
    // Invariant: a fetch that started before a streamed update cannot roll it back.
    let answer: (rows: Msg[]) => void = () => {};
    const fetching = client.fetchQuery({
      queryKey: ['chat', 42, 'messages'],
      queryFn: () => new Promise<Msg[]>((resolve) => (answer = resolve)),
    });
    upsert([msg(1, 5, 'streamed'), msg(9, 1, 'new')]);
    runFrames(); // the query has no data yet: nothing to write
    answer([msg(1, 4, 'fetched'), msg(2, 1, 'old')]);
    await fetching;
    expect(list()).toEqual([msg(1, 5, 'streamed'), msg(2, 1, 'old'), msg(9, 1, 'new')]);
  });
});

describe('invalidation', () => {
  const isInvalidated = (key: unknown[]) => client.getQueryState(key)?.isInvalidated ?? false;

  it('invalidates the queries of resynced topics only', () => {
    // Invariant: resync refetches exactly the affected topics' queries.
    client.setQueryData(['chat', 42, 'messages'], [msg(1, 1)]);
    client.setQueryData(['chat', 43, 'messages'], []);
    client.setQueryData(['message', 'chat:42', 1], msg(1, 1));
    es.emit('resync', { topics: ['chat:42'], reason: 'listener-reconnected' });
    vi.advanceTimersByTime(300);
    expect(isInvalidated(['chat', 42, 'messages'])).toBe(true);
    expect(isInvalidated(['message', 'chat:42', 1])).toBe(true);
    expect(isInvalidated(['chat', 43, 'messages'])).toBe(false);
  });

  it('forgets streamed rows on resync so the refetch decides', async () => {
    // Invariant: after resync, a row the stream knew but the database no longer has is not re-added.
    client.setQueryData(['chat', 42, 'messages'], []);
    upsert([msg(8, 1)]);
    runFrames();
    es.emit('resync', { topics: ['chat:42'], reason: 'slow-consumer' });
    vi.advanceTimersByTime(300);
    await client.fetchQuery({ queryKey: ['chat', 42, 'messages'], queryFn: async () => [msg(1, 1)] });
    expect(list()).toEqual([msg(1, 1)]);
  });

  it('spreads resync refetches over the jitter window and coalesces resyncs within it', () => {
    // Invariant: a resync invalidates after random * resyncJitterMs, once for every resync in between.
    client.setQueryData(['chat', 42, 'messages'], []);
    client.setQueryData(['chat', 43, 'messages'], []);
    const invalidations: unknown[] = [];
    const original = client.invalidateQueries.bind(client);
    client.invalidateQueries = ((filters: { queryKey?: unknown }) => {
      invalidations.push(filters.queryKey);
      return original(filters as Parameters<typeof original>[0]);
    }) as typeof client.invalidateQueries;
    es.emit('resync', { topics: ['chat:42'], reason: 'listener-reconnected' });
    vi.advanceTimersByTime(200);
    es.emit('resync', { topics: ['chat:43', 'chat:42'], reason: 'listener-reconnected' });
    vi.advanceTimersByTime(99);
    expect(invalidations).toEqual([]);
    expect(isInvalidated(['chat', 42, 'messages'])).toBe(false);
    vi.advanceTimersByTime(1);
    expect(invalidations).toEqual([
      ['chat', 42, 'messages'],
      ['message', 'chat:42'],
      ['chat', 43, 'messages'],
      ['message', 'chat:43'],
    ]);
    expect(isInvalidated(['chat', 43, 'messages'])).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(invalidations).toHaveLength(4);
  });

  it('refetches on a fresh stream unless the kind sends a snapshot for a new topic', () => {
    // Invariant: no gap between a query's fetch and a fresh stream's ready.
    client.setQueryData(['chat', 42, 'messages'], []);
    client.setQueryData(['message', 'chat:42', 1], msg(1, 1));
    client.setQueryData(['profile', 'user:u1', 'u1'], { id: 'u1' });
    es.fail(FakeEventSource.CONNECTING);
    // The beforeEach's ready was the first: every topic was new, only snapshot mappings skipped.
    vi.advanceTimersByTime(60_000);
    const fresh = sources.last;
    expect(fresh.lastEventIdParam).toBeNull();
    fresh.ready(); // same topics again, still no event id: nothing is new now
    expect(isInvalidated(['chat', 42, 'messages'])).toBe(true);
    expect(isInvalidated(['message', 'chat:42', 1])).toBe(true);
    expect(isInvalidated(['profile', 'user:u1', 'u1'])).toBe(true);
  });

  it('leaves a resumed stream to the server (resync or replay)', () => {
    // Invariant: a resumed ready invalidates nothing by itself.
    client.setQueryData(['profile', 'user:u1', 'u1'], { id: 'u1' });
    es.emit('poke', { topic: 'user:u1' }, 'e1-4');
    es.fail(FakeEventSource.CONNECTING);
    vi.advanceTimersByTime(60_000);
    expect(sources.last.lastEventIdParam).toBe('e1-4');
    sources.last.ready();
    expect(isInvalidated(['profile', 'user:u1', 'u1'])).toBe(false);
  });
});
