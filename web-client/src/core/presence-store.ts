import type { PresenceData, PresenceMemberData, Topic } from './types.ts';

/** A present member as the app sees it; `self` marks this tab's own subject. */
export interface PresenceMember {
  sub: string;
  meta: Record<string, unknown>;
  self: boolean;
}

/**
 * A topic's presence: the members (in the order the server listed or joined them), or, above
 * the server's member limit, `count` only (and no members).
 */
export interface PresenceView {
  members: readonly PresenceMember[];
  count?: number;
}

interface Entry {
  members: Map<string, Record<string, unknown>>;
  count: number | null;
  view: PresenceView;
}

/**
 * PresenceStore: the last known presence per topic, built from `presence` events (SPEC §8):
 * a `state` replaces the members, a diff applies its joins then its leaves, a `count` replaces
 * everything with the count. A diff while only the count is known is ignored (it cannot be
 * applied to a count; the server sends `state` when it lists members again). Views are
 * immutable and kept while nothing changes (useSyncExternalStore snapshots). Listeners are
 * called synchronously after a change and may call back into the store.
 */
export class PresenceStore {
  private readonly topics_ = new Map<Topic, Entry>();
  private readonly listeners_ = new Map<Topic, Set<() => void>>();

  /**
   * `self`: the subject of this tab's user, marked `self: true` (null: nobody is); a throwing
   * listener is reported to `onError` and does not stop the others.
   */
  constructor(
    private readonly self_: string | null = null,
    private readonly onError_: (error: unknown) => void = (e) => console.error('deltacast:', e),
  ) {}

  /** Applies one event; false when it was malformed or changed nothing. */
  apply(data: PresenceData): boolean {
    if (typeof data !== 'object' || data === null || typeof data.topic !== 'string') return false;
    const previous = this.topics_.get(data.topic);
    let members = new Map(previous?.members ?? []);
    let count = previous?.count ?? null;
    if (typeof data.count === 'number') {
      members = new Map();
      count = data.count;
    } else if (Array.isArray(data.state)) {
      members = new Map(validMembers(data.state));
      count = null;
    } else if (Array.isArray(data.joins) || Array.isArray(data.leaves)) {
      if (count !== null) return false;
      for (const [sub, meta] of validMembers(data.joins ?? [])) members.set(sub, meta);
      for (const leave of Array.isArray(data.leaves) ? data.leaves : []) {
        if (typeof leave?.sub === 'string') members.delete(leave.sub);
      }
    } else {
      return false;
    }
    const view = this.viewOf(members, count);
    if (previous && JSON.stringify(previous.view) === JSON.stringify(view)) return false;
    this.topics_.set(data.topic, { members, count, view });
    this.notify(data.topic);
    return true;
  }

  get(topic: Topic): PresenceView | undefined {
    return this.topics_.get(topic)?.view;
  }

  /** The event that recreates what is known of `topic` (a `state` or a `count`). */
  snapshot(topic: Topic): PresenceData | undefined {
    const entry = this.topics_.get(topic);
    if (!entry) return undefined;
    if (entry.count !== null) return { topic, count: entry.count };
    return { topic, state: [...entry.members].map(([sub, meta]) => ({ sub, meta })) };
  }

  topics(): Topic[] {
    return [...this.topics_.keys()];
  }

  /** Forgets a topic (no longer held); its listeners see `undefined`. */
  delete(topic: Topic): void {
    if (this.topics_.delete(topic)) this.notify(topic);
  }

  subscribe(topic: Topic, listener: () => void): () => void {
    let set = this.listeners_.get(topic);
    if (!set) {
      set = new Set();
      this.listeners_.set(topic, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners_.get(topic) === set) this.listeners_.delete(topic);
    };
  }

  private viewOf(members: Map<string, Record<string, unknown>>, count: number | null): PresenceView {
    const list = [...members].map(([sub, meta]) => ({ sub, meta, self: sub === this.self_ }));
    return count !== null ? { members: list, count } : { members: list };
  }

  private notify(topic: Topic): void {
    for (const listener of [...(this.listeners_.get(topic) ?? [])]) {
      try {
        listener();
      } catch (error) {
        this.onError_(error);
      }
    }
  }
}

function validMembers(list: readonly PresenceMemberData[]): Array<[string, Record<string, unknown>]> {
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const m of list) {
    if (typeof m?.sub !== 'string') continue;
    const meta = typeof m.meta === 'object' && m.meta !== null && !Array.isArray(m.meta) ? m.meta : {};
    out.push([m.sub, meta]);
  }
  return out;
}
