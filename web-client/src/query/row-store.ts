import type { EntityId, Row } from '../core/types.ts';
import { idKey, isNewer } from './entity-mapping.ts';

/**
 * RowStore: the newest version of each row the stream delivered for one (entity, topic),
 * and the ids it deleted. It lets the binding keep fetched data from overwriting newer
 * streamed rows, and keeps a snapshot (which may arrive after a live frame) from reviving a
 * row deleted meanwhile. Bounded: the oldest entries are forgotten past `maxRows`.
 */
export class RowStore {
  private readonly rows_ = new Map<string, Row>();
  private readonly deleted_ = new Set<string>();

  constructor(
    private readonly idField_: string,
    private readonly versionField_: string,
    private readonly maxRows_ = 2000,
  ) {}

  /** Takes the rows that are newer than what it holds; returns their ids. */
  upsert(rows: readonly Row[], snapshot: boolean): string[] {
    const changed: string[] = [];
    for (const row of rows) {
      const key = idKey(row[this.idField_]);
      if (this.deleted_.has(key)) {
        if (snapshot) continue; // the snapshot was taken before the delete
        this.deleted_.delete(key);
      }
      if (!isNewer(row, this.rows_.get(key), this.versionField_)) continue;
      this.rows_.delete(key); // re-insert: Map order is the eviction order
      this.rows_.set(key, row);
      changed.push(key);
    }
    this.trim();
    return changed;
  }

  delete(ids: readonly EntityId[]): string[] {
    const keys = ids.map(idKey);
    for (const key of keys) {
      this.rows_.delete(key);
      this.deleted_.delete(key);
      this.deleted_.add(key);
    }
    this.trim();
    return keys;
  }

  /** The newest row, `null` when deleted, `undefined` when unknown. */
  get(key: string): Row | null | undefined {
    if (this.deleted_.has(key)) return null;
    return this.rows_.get(key);
  }

  rows(): IterableIterator<Row> {
    return this.rows_.values();
  }

  deletedKeys(): ReadonlySet<string> {
    return this.deleted_;
  }

  get size(): number {
    return this.rows_.size + this.deleted_.size;
  }

  private trim(): void {
    for (const set of [this.rows_, this.deleted_] as const) {
      while (set.size > this.maxRows_) {
        const first = set.keys().next();
        if (first.done) break;
        set.delete(first.value);
      }
    }
  }
}
