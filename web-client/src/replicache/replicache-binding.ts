import type { StreamManager } from '../core/stream-manager.ts';
import { JitteredBatch } from '../core/jittered-batch.ts';
import type { Timers, Topic } from '../core/types.ts';
import { topicKind } from '../core/topic-set.ts';

/** The part of a Replicache instance the binding uses. */
export interface Pullable {
  pull(): Promise<void> | void;
}

export interface ReplicacheBindingOptions {
  /** Topic kinds whose changes this Replicache pulls, e.g. `['org']`. */
  kinds: readonly string[];
  /** A failed pull (Replicache retries it with its own backoff); default console.warn. */
  onError?: (error: unknown) => void;
  /**
   * A `resync` pulls after a uniform random delay in [0, resyncJitterMs), so that the clients a
   * server resyncs together do not pull in the same instant. Default 500; 0: at once.
   */
  resyncJitterMs?: number;
  /** Seams for the jitter (tests): a number in [0, 1), and the timers. */
  random?: () => number;
  timers?: Timers;
}

/**
 * Pulls `rep` when one of its topics is poked, resynced (after a jittered delay), or (re)joined by a fresh stream
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
  const resyncs = new JitteredBatch<'pull'>(
    { maxMs: options.resyncJitterMs ?? 500, random: options.random, timers: options.timers },
    pull,
  );
  const offs = [
    manager.on('poke', (p) => mine([p.topic]) && pull()),
    manager.on('resync', (r) => mine(r.topics) && resyncs.add(['pull'])),
    manager.on('ready', (r) => !r.resumed && mine(r.topics) && pull()),
  ];
  return () => {
    resyncs.cancel();
    offs.forEach((off) => off());
  };
}
