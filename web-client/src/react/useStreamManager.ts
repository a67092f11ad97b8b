import { useContext } from 'react';
import type { StreamManager } from '../core/stream-manager.ts';
import { StreamContext } from './context.ts';

/** The StreamManager of the nearest StreamProvider; throws outside one. */
export function useStreamManager(): StreamManager {
  const manager = useContext(StreamContext);
  if (!manager) throw new Error('deltacast: useStreamManager needs a <StreamProvider> above it');
  return manager;
}
