import type { ConnectionState, StreamEventMap, StreamEventType, Topic } from './types.ts';

/**
 * StreamCore: what a StreamManager delegates to. Two implementations: EventSourceStream (the
 * tab opens its own EventSource) and SharedStream (the tab shares the stream of a leader tab).
 * Both are single-threaded like the page; listeners may call back into them.
 */
export interface StreamCore {
  /** Holds a reference on each topic until the returned release is called (idempotent). */
  subscribe(topics: readonly Topic[] | Topic): () => void;
  on<K extends StreamEventType>(type: K, listener: (data: StreamEventMap[K]) => void): () => void;
  getState(): ConnectionState;
  subscribeState(listener: () => void): () => void;
  /** The topics this tab's components hold, sorted. */
  wantedTopics(): Topic[];
  /** Held topics that the server revoked; they are left out of the stream. */
  revokedTopics(): Topic[];
  /** The last `id:` this tab saw (its own stream's, or the last relayed one). */
  readonly lastEventId: string | null;
  /** Tries again now: after a 401 (the user logged in again), a 403 or a long backoff. */
  reconnect(): void;
  /** Closes for good; later subscriptions do nothing. */
  dispose(): void;
}
