import { EventSourceStream, type EventSourceStreamOptions } from './event-source-stream.ts';
import { hiddenTabTimers } from './hidden-tab-timers.ts';
import { shareName } from './share-key.ts';
import { platformSharing, type ChannelFactory, type LockManagerLike } from './share-seams.ts';
import { SharedStream } from './shared-stream.ts';
import type { StreamCore } from './stream-core.ts';
import type { ConnectionState, StreamEventMap, StreamEventType, Topic } from './types.ts';

/**
 * Sharing one stream among the tabs of one user (SPEC §9); on by default. Tabs share when their
 * stream URL (resolved, query included), `withCredentials` and `key` are equal (see share-key.ts).
 */
export interface ShareOptions {
  /**
   * The user (e.g. the session's user id). Optional with cookie auth, where every tab of a
   * browser profile is the same user; required when tabs of one profile can be different users
   * without different cookies or stream URLs (e.g. per-tab tokens).
   */
  key?: string;
  /** The server's `max_topics_per_connection`; a larger union opens several streams. Default 64. */
  maxTopicsPerStream?: number;
  /** How long a new leader waits for the other tabs' topics before it opens. Default 30 ms. */
  gatherMs?: number;
  /** Seams for tests; default the browser's `navigator.locks` and BroadcastChannel. */
  locks?: LockManagerLike;
  channel?: ChannelFactory;
  tabId?: string;
}

export interface StreamManagerOptions extends Omit<EventSourceStreamOptions, 'lastEventId' | 'onRawEvent'> {
  /**
   * Default (omitted or `{}`): the tabs of this origin, stream URL and credentials share one
   * stream (one leader tab holds the EventSource and relays); `{ key: userId }` also keys it by
   * user; `false`: one stream per tab. Without Web Locks or BroadcastChannel the tab falls back
   * to its own stream.
   */
  share?: false | ShareOptions;
}

/** `alone`: this tab has its own stream; `leader`/`follower`: it shares one. */
export type ShareRole = 'alone' | 'leader' | 'follower';

const defaultTimers = {
  setTimeout: (fn: () => void, ms: number): unknown => globalThis.setTimeout(fn, ms),
  clearTimeout: (h: unknown) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

function randomTabId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * StreamManager: the tab's entry point, one per tab (create it at module level). Components
 * add and remove topics (ref-counted); events, state and errors look the same whether the tab
 * has its own EventSource or shares the leader tab's: the React hooks and the Query and
 * Replicache bindings work unchanged in every tab. Creating one opens nothing.
 */
export class StreamManager implements StreamCore {
  private readonly core_: StreamCore;
  private readonly shared_: SharedStream | null;

  constructor(options: StreamManagerOptions = {}) {
    const { share: shareOption, ...streamOptions } = options;
    const share = shareOption === false ? null : (shareOption ?? {});
    const platform = share ? (share.locks && share.channel ? null : platformSharing()) : null;
    const locks = share ? (share.locks ?? platform?.locks) : undefined;
    const channel = share ? (share.channel ?? platform?.channel) : undefined;
    if (!share || !locks || !channel) {
      this.shared_ = null;
      this.core_ = new EventSourceStream(streamOptions);
      return;
    }
    const name = shareName(options.url ?? '/api/sse/stream', options.withCredentials ?? false, share.key);
    const onError = options.onError ?? ((e: unknown) => console.error('deltacast:', e));
    // Injected timers are the test's; the browser's are throttled in hidden tabs (see there).
    const timers = options.timers ?? hiddenTabTimers(defaultTimers);
    this.shared_ = new SharedStream({
      name,
      tabId: share.tabId ?? randomTabId(),
      locks,
      channel: channel(name),
      createStream: (lastEventId, onRawEvent) =>
        new EventSourceStream({ ...streamOptions, timers, lastEventId, onRawEvent }),
      maxTopicsPerStream: share.maxTopicsPerStream ?? 64,
      gatherMs: share.gatherMs ?? 30,
      batchMs: options.batchMs ?? 10,
      timers,
      onError,
    });
    this.core_ = this.shared_;
  }

  subscribe(topics: readonly Topic[] | Topic): () => void {
    return this.core_.subscribe(topics);
  }

  on<K extends StreamEventType>(type: K, listener: (data: StreamEventMap[K]) => void): () => void {
    return this.core_.on(type, listener);
  }

  getState = (): ConnectionState => this.core_.getState();

  /** Also called when the share role changes. */
  subscribeState = (listener: () => void): (() => void) => this.core_.subscribeState(listener);

  wantedTopics(): Topic[] {
    return this.core_.wantedTopics();
  }

  revokedTopics(): Topic[] {
    return this.core_.revokedTopics();
  }

  get lastEventId(): string | null {
    return this.core_.lastEventId;
  }

  /** Whether this tab holds the stream (`leader`), shares another tab's, or has its own. */
  shareRole(): ShareRole {
    return this.shared_ ? this.shared_.role : 'alone';
  }

  reconnect(): void {
    this.core_.reconnect();
  }

  dispose(): void {
    this.core_.dispose();
  }
}
