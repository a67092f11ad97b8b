import { useSyncExternalStore } from 'react';
import type { ConnectionState } from '../core/types.ts';
import { useStreamManager } from './useStreamManager.ts';

/** The connection state (connecting, open, reconnecting, closed with its reason). */
export function useStreamState(): ConnectionState {
  const manager = useStreamManager();
  return useSyncExternalStore(manager.subscribeState, manager.getState, manager.getState);
}
