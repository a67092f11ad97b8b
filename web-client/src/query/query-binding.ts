import {
  notifyManager,
  partialMatchKey,
  type Query,
  type QueryCacheNotifyEvent,
  type QueryClient,
} from '@tanstack/query-core';
import type { StreamManager } from '../core/stream-manager.ts';
import type {
  Timers,
  EntityDeleteData,
  EntityId,
  EntityUpsertData,
  ReadyInfo,
  ResyncData,
  Topic,
} from '../core/types.ts';
import { JitteredBatch } from '../core/jittered-batch.ts';
import { topicKind } from '../core/topic-set.ts';
import { idKey, type EntityMapping } from './entity-mapping.ts';
import { mergeList, mergeSingle, storeKeys, type ResolvedMapping } from './merge.ts';
import { RowStore } from './row-store.ts';

export interface QueryBindingOptions {
  /** Schedules the flush; default requestAnimationFrame (a 16 ms timeout without one). */
  scheduleFrame?: (flush: () => void) => void;
  /** Rows remembered per (entity, topic) for version checks; default 2000. */
  maxRowsPerTopic?: number;
  /**
   * A `resync` invalidates after a uniform random delay in [0, resyncJitterMs), so that the
   * clients a server resyncs together do not refetch in the same instant. Default 500; 0: at once.
   */
  resyncJitterMs?: number;
  /** Seams for the jitter (tests): a number in [0, 1), and the timers. */
  random?: () => number;
  timers?: Timers;
}

export interface QueryBinding {
  /** Applies pending changes now (tests, or before reading the cache synchronously). */
  flush(): void;
  dispose(): void;
}

const defaultScheduleFrame = (flush: () => void): void => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => flush());
  else setTimeout(flush, 16);
};

/**
 * Applies a StreamManager's entity events to a QueryClient through `mappings`. Rows are
 * collected per (entity, topic) and written with setQueriesData inside one
 * notifyManager.batch per animation frame; a row never replaces a newer one (version
 * compare), including when a fetch returns older data than the stream already delivered.
 * `resync` (after a jittered delay) and a fresh stream of a kind without snapshot invalidate
 * the topics' queries.
 * Runs on the page's single thread; the cache listener only writes with `manual` set, so it
 * does not re-enter itself.
 */
export function bindQueryClient(
  manager: StreamManager,
  client: QueryClient,
  // `never`: a mapping of any row type is accepted; the wire's rows are untyped anyway.
  mappings: ReadonlyArray<EntityMapping<never>>,
  options: QueryBindingOptions = {},
): QueryBinding {
  const resolved: ResolvedMapping[] = (mappings as unknown as readonly EntityMapping[]).map((m) => ({
    ...m,
    idField: m.idField ?? 'id',
    versionField: m.versionField ?? 'version',
  }));
  const scheduleFrame = options.scheduleFrame ?? defaultScheduleFrame;
  const stores = new Map<ResolvedMapping, Map<Topic, RowStore>>(resolved.map((m) => [m, new Map()]));
  const dirty = new Map<ResolvedMapping, Map<Topic, Map<string, EntityId>>>();
  let frameScheduled = false;
  let disposed = false;

  const mappingsOf = (topic: Topic, entity?: string) =>
    resolved.filter((m) => m.topicKind === topicKind(topic) && (entity === undefined || m.entity === entity));

  const storeOf = (m: ResolvedMapping, topic: Topic): RowStore => {
    const byTopic = stores.get(m)!;
    let store = byTopic.get(topic);
    if (!store) {
      store = new RowStore(m.idField, m.versionField, options.maxRowsPerTopic);
      byTopic.set(topic, store);
    }
    return store;
  };

  const markDirty = (m: ResolvedMapping, topic: Topic, ids: Map<string, EntityId>) => {
    if (ids.size === 0) return;
    let byTopic = dirty.get(m);
    if (!byTopic) dirty.set(m, (byTopic = new Map()));
    const set = byTopic.get(topic) ?? new Map<string, EntityId>();
    for (const [k, id] of ids) set.set(k, id);
    byTopic.set(topic, set);
    if (!frameScheduled) {
      frameScheduled = true;
      scheduleFrame(flush);
    }
  };

  function flush(): void {
    frameScheduled = false;
    if (disposed || dirty.size === 0) return;
    const work = [...dirty];
    dirty.clear();
    notifyManager.batch(() => {
      for (const [m, byTopic] of work) {
        for (const [topic, ids] of byTopic) writeTopic(m, topic, ids);
      }
    });
  }

  function writeTopic(m: ResolvedMapping, topic: Topic, ids: Map<string, EntityId>): void {
    const store = stores.get(m)?.get(topic);
    if (!store) return;
    if (m.shape === 'list') {
      client.setQueriesData({ queryKey: m.queryKey(topic) }, (old: unknown) =>
        Array.isArray(old) ? mergeList(old, ids.keys(), store, m) : old,
      );
      return;
    }
    for (const [key, id] of ids) {
      client.setQueriesData({ queryKey: m.queryKey(topic, id) }, (old: unknown) =>
        mergeSingle(old, key, store, m),
      );
    }
  }

  const forget = (m: ResolvedMapping, topic: Topic) => {
    stores.get(m)?.delete(topic);
    dirty.get(m)?.delete(topic);
  };

  const invalidate = (targets: Array<[ResolvedMapping, Topic]>) => {
    if (targets.length === 0) return;
    notifyManager.batch(() => {
      for (const [m, topic] of targets) {
        forget(m, topic);
        void client.invalidateQueries({ queryKey: m.queryKey(topic) });
      }
    });
  };

  const onUpsert = (d: EntityUpsertData) => {
    for (const m of mappingsOf(d.topic, d.entity)) {
      const changed = storeOf(m, d.topic).upsert(d.rows, d.snapshot === true);
      const ids = new Map<string, EntityId>();
      for (const row of d.rows) {
        const key = idKey(row[m.idField]);
        if (changed.includes(key)) ids.set(key, row[m.idField] as EntityId);
      }
      markDirty(m, d.topic, ids);
    }
  };

  const onDelete = (d: EntityDeleteData) => {
    for (const m of mappingsOf(d.topic, d.entity)) {
      storeOf(m, d.topic).delete(d.ids);
      markDirty(m, d.topic, new Map(d.ids.map((id) => [idKey(id), id])));
    }
  };

  // The stream keeps applying rows meanwhile; the remembered versions are dropped at refetch time.
  const resyncs = new JitteredBatch<Topic>(
    { maxMs: options.resyncJitterMs ?? 500, random: options.random, timers: options.timers },
    (topics) => invalidate(topics.flatMap((t) => mappingsOf(t).map((m): [ResolvedMapping, Topic] => [m, t]))),
  );
  const onResync = (d: ResyncData) => resyncs.add(d.topics.filter((t) => mappingsOf(t).length > 0));

  // A fresh stream (no lastEventId) promises nothing about the time before `ready`: refetch
  // unless the kind sends a snapshot and the topic is new (its first fetch raced only ready).
  const onReady = (info: ReadyInfo) => {
    for (const [m, byTopic] of stores) {
      for (const topic of [...byTopic.keys()]) if (!info.topics.includes(topic)) forget(m, topic);
    }
    if (info.resumed) return; // the server replays or sends resync
    const targets: Array<[ResolvedMapping, Topic]> = [];
    for (const topic of info.topics) {
      for (const m of mappingsOf(topic)) {
        if (!m.snapshot || !info.added.includes(topic)) targets.push([m, topic]);
      }
    }
    invalidate(targets);
  };

  // Fetched data (not our own writes) is brought up to the rows the stream already delivered.
  const onCacheEvent = (event: QueryCacheNotifyEvent) => {
    if (event.type !== 'updated' || event.action.type !== 'success' || event.action.manual) return;
    reconcile(event.query);
  };

  function reconcile(query: Query): void {
    for (const [m, byTopic] of stores) {
      for (const [topic, store] of byTopic) {
        if (!partialMatchKey(query.queryKey, m.queryKey(topic))) continue;
        const data = query.state.data;
        let next: unknown = data;
        if (m.shape === 'list' && Array.isArray(data)) {
          next = mergeList(data, storeKeys(store, m), store, m);
        } else if (m.shape === 'single' && data !== null && typeof data === 'object') {
          next = mergeSingle(data, idKey((data as Record<string, unknown>)[m.idField]), store, m);
        }
        if (next !== data) client.setQueryData(query.queryKey, next);
      }
    }
  }

  const unsubscribers = [
    manager.on('entity-upsert', onUpsert),
    manager.on('entity-delete', onDelete),
    manager.on('resync', onResync),
    manager.on('ready', onReady),
    client.getQueryCache().subscribe(onCacheEvent),
  ];

  return {
    flush,
    dispose() {
      disposed = true;
      resyncs.cancel();
      for (const u of unsubscribers) u();
    },
  };
}
