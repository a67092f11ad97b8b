import type { StreamManager } from '../core/stream-manager.ts';
import type { Topic } from '../core/types.ts';
import { topicKind } from '../query/entity-mapping.ts';

/** The part of a Replicache instance the binding uses. */
export interface Pullable {
  pull(): Promise<void> | void;
}

export interface ReplicacheBindingOptions {
  /** Topic kinds whose changes this Replicache pulls, e.g. `['org']`. */
  kinds: readonly string[];
  /** A failed pull (Replicache retries it with its own backoff); default console.warn. */
  onError?: (error: unknown) => void;
}

/**
 * Pulls `rep` when one of its topics is poked, resynced, or (re)joined by a fresh stream
 * (a fresh stream promises nothing about pokes sent before its `ready`). Replicache
 * coalesces overlapping pull() calls into one request, so this adds no throttling of its
 * own. Returns the unbind function.
 */
export function bindReplicache(
  manager: StreamManager,
  rep: Pullable,
  options: ReplicacheBindingOptions,
): () => void {
  const kinds = new Set(options.kinds);
  const onError = options.onError ?? ((e: unknown) => console.warn('deltacast: pull failed', e));
  const mine = (topics: readonly Topic[]) => topics.some((t) => kinds.has(topicKind(t)));
  const pull = () => {
    try {
      Promise.resolve(rep.pull()).catch(onError);
    } catch (error) {
      onError(error);
    }
  };
  const offs = [
    manager.on('poke', (p) => mine([p.topic]) && pull()),
    manager.on('resync', (r) => mine(r.topics) && pull()),
    manager.on('ready', (r) => !r.resumed && mine(r.topics) && pull()),
  ];
  return () => offs.forEach((off) => off());
}
