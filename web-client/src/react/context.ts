import { createContext } from 'react';
import type { StreamManager } from '../core/stream-manager.ts';

export const StreamContext = createContext<StreamManager | null>(null);
