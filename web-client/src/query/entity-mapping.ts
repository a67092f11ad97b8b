import type { QueryKey } from '@tanstack/query-core';
import type { EntityId, Row, Topic } from '../core/types.ts';

/**
 * How one wire entity lives in the TanStack Query cache.
 *
 * `queryKey(topic)` is the key (used as a prefix filter) of the queries holding the topic's
 * rows. For `shape: 'single'` (one row per query) `queryKey(topic, id)` is the row's key and
 * `queryKey(topic)` must be a prefix of it, so that a resync can invalidate them all.
 */
export interface EntityMapping<R extends object = Row> {
  /** The `entity` field of the events, e.g. `ChatMessageContent`. */
  entity: string;
  /** The topic kind that carries it: `chat` for `chat:42`. */
  topicKind: string;
  shape: 'list' | 'single';
  queryKey: (topic: Topic, id?: EntityId) => QueryKey;
  /** Default `id`. */
  idField?: string;
  /** Default `version`. Rows without one are always taken as newer. */
  versionField?: string;
  /** Order of a list after a merge; default: updated rows in place, new rows appended. */
  compare?: (a: R, b: R) => number;
  /** The server sends a snapshot for fresh streams of this kind (a `snapshot` query). */
  snapshot?: boolean;
}

/** Kept here for existing imports; the helper lives in core (shared by every adapter). */
export { topicKind } from '../core/topic-set.ts';

/** Ids as map keys: 42 and "42" are the same row (bigint ids may arrive as strings). */
export function idKey(id: unknown): string {
  return String(id);
}

/** Sign of a − b for versions (numbers, bigints, numeric or ISO strings); null if incomparable. */
export function compareVersions(a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  const big = (v: unknown): bigint | null => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
    return null;
  };
  const x = big(a);
  const y = big(b);
  if (x !== null && y !== null) return x === y ? 0 : x > y ? 1 : -1;
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : a > b ? 1 : -1;
  return null;
}

/** True when `incoming` should replace `existing`: strictly newer, or unversioned. */
export function isNewer(incoming: Row, existing: Row | undefined, versionField: string): boolean {
  if (existing === undefined) return true;
  const a = incoming[versionField];
  const b = existing[versionField];
  if (a == null || b == null) return true;
  const c = compareVersions(a, b);
  return c === null || c > 0;
}
