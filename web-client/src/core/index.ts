export { StreamManager, type StreamManagerOptions } from './stream-manager.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
export { TopicSet, normalizeTopics, sameTopics } from './topic-set.ts';
export { createFetchProber } from './probe.ts';
export type * from './types.ts';
