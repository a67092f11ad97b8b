import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { StreamManager } from '../core/stream-manager.ts';
import { normalizeTopics } from '../core/topic-set.ts';
import type { Topic } from '../core/types.ts';
import { useStreamManager } from './useStreamManager.ts';

/**
 * `live`: every topic is in the open stream (`ready` seen); `pending`: waiting for a stream
 * that carries them; `reconnecting`; `revoked`: the server withdrew one of them; `closed`:
 * the stream stopped (see useStreamState for the reason); `idle`: no topics given.
 */
export type SubscriptionStatus = 'idle' | 'pending' | 'live' | 'reconnecting' | 'revoked' | 'closed';

function statusOf(manager: StreamManager, topics: readonly Topic[]): SubscriptionStatus {
  if (topics.length === 0) return 'idle';
  const revoked = manager.revokedTopics();
  if (topics.some((t) => revoked.includes(t))) return 'revoked';
  const state = manager.getState();
  switch (state.status) {
    case 'open':
      return topics.every((t) => state.topics.includes(t)) ? 'live' : 'pending';
    case 'reconnecting':
      return 'reconnecting';
    case 'connecting':
      return 'pending';
    case 'closed':
      return state.reason.kind === 'idle' ? 'pending' : 'closed';
  }
}

/**
 * Holds `topics` in the tab's stream while the component is mounted. The list is compared by
 * value, so an inline array does not resubscribe on every render.
 */
export function useStreamSubscription(topics: readonly Topic[] | Topic | null | undefined): SubscriptionStatus {
  const manager = useStreamManager();
  const key = normalizeTopics(topics).join(',');
  useEffect(() => {
    if (key === '') return undefined;
    return manager.subscribe(key.split(','));
  }, [manager, key]);
  const getSnapshot = useCallback(
    () => statusOf(manager, key === '' ? [] : key.split(',')),
    [manager, key],
  );
  return useSyncExternalStore(manager.subscribeState, getSnapshot, getSnapshot);
}
