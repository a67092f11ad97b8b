import { useEffect, useRef } from 'react';
import type { BroadcastData, Topic } from '../core/types.ts';
import { useStreamManager } from './useStreamManager.ts';

/**
 * Calls the latest `handler` for every ephemeral event `name` on `topic` while mounted, and
 * holds the topic in the stream meanwhile (a null topic holds and hears nothing). At most once:
 * events sent while the stream was down are not replayed.
 */
export function useBroadcast(
  topic: Topic | null | undefined,
  name: string,
  handler: (event: BroadcastData) => void,
): void {
  const manager = useStreamManager();
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => {
    if (!topic) return undefined;
    const off = manager.onBroadcast(topic, name, (event) => ref.current(event));
    const release = manager.subscribe(topic);
    return () => {
      off();
      release();
    };
  }, [manager, topic, name]);
}
