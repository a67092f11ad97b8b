import { useState, type ReactNode } from 'react';
import { StreamManager, type StreamManagerOptions } from '../core/stream-manager.ts';
import { StreamContext } from './context.ts';

export interface StreamProviderProps {
  /** The tab's manager; recommended: created once at module level next to the QueryClient. */
  manager?: StreamManager;
  /** Used only when no manager is given: the provider creates one on first render. */
  options?: StreamManagerOptions;
  children?: ReactNode;
}

/**
 * StreamProvider: makes one StreamManager available to the hooks below it. Creating a
 * manager has no side effect (it opens a stream only once a component subscribes), so
 * StrictMode's double render cannot open two streams; the stream closes by itself when the
 * last subscribing component unmounts, hence no dispose on unmount (StrictMode would run it
 * between its two effect passes).
 */
export function StreamProvider({ manager, options, children }: StreamProviderProps) {
  const [own] = useState(() => manager ?? new StreamManager(options));
  return <StreamContext.Provider value={manager ?? own}>{children}</StreamContext.Provider>;
}
