import type { EntityId, Row } from '../core/types.ts';
import { idKey, isNewer, type EntityMapping } from './entity-mapping.ts';
import type { RowStore } from './row-store.ts';

export interface ResolvedMapping extends EntityMapping {
  idField: string;
  versionField: string;
}

/**
 * Applies the store's verdict for `keys` to a cached list: deleted rows leave, newer rows
 * replace older ones in place, unknown rows are appended, and `compare` (if any) re-sorts.
 * Returns the same array when nothing changed, so unchanged queries do not re-render.
 */
export function mergeList(list: readonly Row[], keys: Iterable<string>, store: RowStore, m: ResolvedMapping): Row[] {
  const index = new Map<string, number>();
  list.forEach((row, i) => index.set(idKey(row[m.idField]), i));
  let next: Row[] | null = null;
  const removed = new Set<number>();
  for (const key of keys) {
    const row = store.get(key);
    if (row === undefined) continue;
    const at = index.get(key);
    if (row === null) {
      if (at !== undefined) removed.add(at);
      continue;
    }
    if (at === undefined) {
      next ??= [...list];
      index.set(key, next.length);
      next.push(row);
    } else if (isNewer(row, (next ?? list)[at], m.versionField)) {
      next ??= [...list];
      next[at] = row;
    }
  }
  if (next === null && removed.size === 0) return list as Row[];
  let out = (next ?? [...list]).filter((_, i) => !removed.has(i));
  if (m.compare) out = out.sort(m.compare);
  return out;
}

/** The newer of a cached single row and the store's; `null` once deleted. */
export function mergeSingle(old: unknown, key: string, store: RowStore, m: ResolvedMapping): unknown {
  const row = store.get(key);
  if (row === undefined) return old;
  if (row === null) return old === undefined ? undefined : null;
  if (old === undefined) return undefined; // not fetched yet: the fetch is reconciled later
  if (old !== null && typeof old === 'object' && !isNewer(row, old as Row, m.versionField)) return old;
  return row;
}

/** Every key the store has an opinion on (rows and deletions). */
export function storeKeys(store: RowStore, m: ResolvedMapping): string[] {
  const keys = [...store.deletedKeys()];
  for (const row of store.rows()) keys.push(idKey(row[m.idField]));
  return keys;
}

export function rowId(row: Row, m: ResolvedMapping): EntityId {
  return row[m.idField] as EntityId;
}
