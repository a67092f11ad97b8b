import type { Topic } from './types.ts';

/**
 * TopicSet: reference counts per topic. Pure data, no timers: the manager asks it for the
 * current list when a batch is flushed. `add`/`remove` say whether the set of topics with a
 * positive count changed.
 */
export class TopicSet {
  private readonly counts_ = new Map<Topic, number>();

  add(topic: Topic): boolean {
    const n = this.counts_.get(topic) ?? 0;
    this.counts_.set(topic, n + 1);
    return n === 0;
  }

  /** Removing a topic that has no reference is a no-op (a release called twice). */
  remove(topic: Topic): boolean {
    const n = this.counts_.get(topic);
    if (n === undefined) return false;
    if (n > 1) {
      this.counts_.set(topic, n - 1);
      return false;
    }
    this.counts_.delete(topic);
    return true;
  }

  count(topic: Topic): number {
    return this.counts_.get(topic) ?? 0;
  }

  /** The topics with a positive count, sorted so that equal sets give equal URLs. */
  list(): Topic[] {
    return [...this.counts_.keys()].sort();
  }
}

/** Trims, drops empty entries and duplicates; a comma inside a topic is rejected. */
export function normalizeTopics(topics: readonly Topic[] | Topic | null | undefined): Topic[] {
  if (topics == null) return [];
  const list = typeof topics === 'string' ? [topics] : topics;
  const out = new Set<Topic>();
  for (const raw of list) {
    const t = raw.trim();
    if (t === '') continue;
    if (t.includes(',')) throw new Error(`deltacast: a topic cannot contain a comma: ${t}`);
    out.add(t);
  }
  return [...out];
}

export function sameTopics(a: readonly Topic[], b: readonly Topic[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** The kind of a topic: `chat` for `chat:42`. */
export function topicKind(topic: Topic): string {
  const i = topic.indexOf(':');
  return i < 0 ? topic : topic.slice(0, i);
}
