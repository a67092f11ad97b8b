import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { PresenceView } from '../core/presence-store.ts';
import type { Topic } from '../core/types.ts';
import { useStreamManager } from './useStreamManager.ts';

const none = () => () => {};

/**
 * Who is in the live room `topic` (SPEC §8): members with this tab's subject marked `self`, or
 * `count` only above the server's member limit; undefined until the first presence event.
 * Holds the topic in the stream while mounted (a null topic holds nothing).
 */
export function usePresence(topic: Topic | null | undefined): PresenceView | undefined {
  const manager = useStreamManager();
  useEffect(() => (topic ? manager.subscribe(topic) : undefined), [manager, topic]);
  const subscribe = useCallback(
    (listener: () => void) => (topic ? manager.subscribePresence(topic, listener) : none()),
    [manager, topic],
  );
  const get = useCallback(() => (topic ? manager.presence(topic) : undefined), [manager, topic]);
  return useSyncExternalStore(subscribe, get, get);
}
