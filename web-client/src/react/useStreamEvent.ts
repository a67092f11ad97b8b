import { useEffect, useRef } from 'react';
import type { StreamEventMap, StreamEventType } from '../core/types.ts';
import { useStreamManager } from './useStreamManager.ts';

/** Calls the latest `handler` for every event of `type` while the component is mounted. */
export function useStreamEvent<K extends StreamEventType>(
  type: K,
  handler: (data: StreamEventMap[K]) => void,
): void {
  const manager = useStreamManager();
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => manager.on(type, (data) => ref.current(data)), [manager, type]);
}
