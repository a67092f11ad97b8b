import { EventSourceStream, type EventSourceStreamOptions } from './event-source-stream.ts';
import { hiddenTabTimers } from './hidden-tab-timers.ts';
import { shareName } from './share-key.ts';
import { PresenceStore, type PresenceView } from './presence-store.ts';
import { createPublisher, type Publish } from './publisher.ts';
import { platformSharing, type ChannelFactory, type LockManagerLike } from './share-seams.ts';
import { SharedStream } from './shared-stream.ts';
import type { StreamCore } from './stream-core.ts';
import { normalizeTopics } from './topic-set.ts';
import type { BroadcastData, ConnectionState, StreamEventMap, StreamEventType, Timers, Topic } from './types.ts';

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
  /** This tab's subject (the token's `sub`), marked `self` in presence; default `share.key`. */
  self?: { sub: string };
  /** Where `publish` posts; default the stream URL's origin + `/api/sse/broadcast`. */
  broadcastUrl?: string;
  /** For `publish`; default the global fetch. */
  fetch?: typeof fetch;
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
 * Replicache bindings work unchanged in every tab. Live rooms (SPEC §8): presence per topic,
 * ephemeral `broadcast` events, and `publish` (a POST, which needs no stream). Creating one
 * opens nothing.
 */
export class StreamManager implements StreamCore {
  private readonly core_: StreamCore;
  private readonly shared_: SharedStream | null;
  private readonly presence_: PresenceStore;
  private readonly self_: string | null;
  private readonly timers_: Timers;
  private readonly batchMs_: number;
  /** Posts an ephemeral event (SPEC §8) with the stream's credentials; see createPublisher. */
  readonly publish: Publish;

  constructor(options: StreamManagerOptions = {}) {
    const { share: shareOption, self, broadcastUrl, fetch: fetchFn, ...streamOptions } = options;
    const share = shareOption === false ? null : (shareOption ?? {});
    const onError = options.onError ?? ((e: unknown) => console.error('deltacast:', e));
    this.shared_ = share ? createShared(options, share, streamOptions, onError) : null;
    this.core_ = this.shared_ ?? new EventSourceStream(streamOptions);
    this.self_ = self?.sub ?? share?.key ?? null;
    this.timers_ = options.timers ?? defaultTimers;
    this.batchMs_ = options.batchMs ?? 10;
    this.presence_ = new PresenceStore(this.self_, onError);
    this.core_.on('presence', (data) => this.presence_.apply(data));
    this.core_.on('revoked', ({ topics }) => {
      for (const t of topics) this.presence_.delete(t);
    });
    const streamUrl = options.url ?? '/api/sse/stream';
    this.publish = createPublisher({
      streamUrl,
      withCredentials: options.withCredentials ?? false,
      ...(broadcastUrl !== undefined ? { broadcastUrl } : {}),
      ...(fetchFn !== undefined ? { fetch: fetchFn } : {}),
    });
  }

  /**
   * Holds a reference on each topic until the returned release is called (idempotent). A topic
   * still not held one batch window after its release loses its presence (held again within the
   * window, it stays in the stream, which sends no new `state`, so its presence is kept).
   */
  subscribe(topics: readonly Topic[] | Topic): () => void {
    const release = this.core_.subscribe(topics);
    const list = normalizeTopics(topics);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      this.timers_.setTimeout(() => {
        const held = new Set(this.core_.wantedTopics());
        for (const t of list) if (!held.has(t)) this.presence_.delete(t);
      }, this.batchMs_);
    };
  }

  /**
   * Who is in a live room (a held topic whose kind has `presence = true`): the members, this
   * tab's subject marked `self`, or `count` only above the server's member limit. Undefined until
   * the stream's first presence event for the topic, and again once the topic is released.
   * Kept across reconnects until the new stream's `state` replaces it.
   */
  presence(topic: Topic): PresenceView | undefined {
    return this.presence_.get(topic);
  }

  /** Calls `listener` (no arguments) whenever `presence(topic)` changes. */
  subscribePresence(topic: Topic, listener: () => void): () => void {
    return this.presence_.subscribe(topic, listener);
  }

  /** Calls `handler` for every ephemeral event `name` on `topic`; the topic must be held. */
  onBroadcast(topic: Topic, name: string, handler: (event: BroadcastData) => void): () => void {
    return this.core_.on('broadcast', (event) => {
      if (event.topic === topic && event.name === name) handler(event);
    });
  }

  /** The subject this manager was told is its own (`self.sub`, else `share.key`), or null. */
  get selfSub(): string | null {
    return this.self_;
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

/** The shared stream, or null when the browser lacks Web Locks or BroadcastChannel. */
function createShared(
  options: StreamManagerOptions,
  share: ShareOptions,
  streamOptions: EventSourceStreamOptions,
  onError: (error: unknown) => void,
): SharedStream | null {
  const platform = share.locks && share.channel ? null : platformSharing();
  const locks = share.locks ?? platform?.locks;
  const channel = share.channel ?? platform?.channel;
  if (!locks || !channel) return null;
  const name = shareName(options.url ?? '/api/sse/stream', options.withCredentials ?? false, share.key);
  // Injected timers are the test's; the browser's are throttled in hidden tabs (see there).
  const timers = options.timers ?? hiddenTabTimers(defaultTimers);
  return new SharedStream({
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
}
