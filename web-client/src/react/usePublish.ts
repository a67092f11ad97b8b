import type { Publish } from '../core/publisher.ts';
import { useStreamManager } from './useStreamManager.ts';

/**
 * The manager's `publish(topic, name, data)`: a stable function that POSTs an ephemeral event
 * and resolves on 202, or rejects with a PublishError (status, body, retryAfterMs).
 */
export function usePublish(): Publish {
  return useStreamManager().publish;
}
