export { StreamManager, type StreamManagerOptions } from './stream-manager.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
export { TopicSet, normalizeTopics, sameTopics, topicKind } from './topic-set.ts';
export { JitteredBatch, type JitterOptions } from './jittered-batch.ts';
export { createFetchProber } from './probe.ts';
export type * from './types.ts';
