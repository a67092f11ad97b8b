export { StreamManager, type StreamManagerOptions, type ShareOptions, type ShareRole } from './stream-manager.ts';
export { EventSourceStream, type EventSourceStreamOptions, type DataEventType } from './event-source-stream.ts';
export type { StreamCore } from './stream-core.ts';
export { PresenceStore, type PresenceMember, type PresenceView } from './presence-store.ts';
export {
  createPublisher,
  broadcastUrlOf,
  PublishError,
  BROADCAST_NAME,
  type Publish,
  type PublisherOptions,
} from './publisher.ts';
export { TypingSender, type TypingSenderOptions } from './typing-sender.ts';
export { TypingRoster, type TypingRosterOptions } from './typing-roster.ts';
export type { ChannelLike, ChannelFactory, LockManagerLike } from './share-seams.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
export { TopicSet, normalizeTopics, sameTopics, topicKind } from './topic-set.ts';
export { JitteredBatch, type JitterOptions } from './jittered-batch.ts';
export { createFetchProber } from './probe.ts';
export type * from './types.ts';
