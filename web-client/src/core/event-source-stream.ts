import { Backoff, type BackoffOptions } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { createFetchProber } from './probe.ts';
import { TopicSet, normalizeTopics, sameTopics } from './topic-set.ts';
import type { StreamCore } from './stream-core.ts';
import type {
  CloseReason,
  ConnectionState,
  EventSourceFactory,
  EventSourceLike,
  ProbeResult,
  Prober,
  RevokedData,
  StreamEventMap,
  StreamEventType,
  Timers,
  Topic,
} from './types.ts';

export interface EventSourceStreamOptions {
  /** The stream endpoint; default `/api/sse/stream` (same origin). */
  url?: string;
  /** Send cookies to a cross-origin deltacast (SPEC §2 CORS). Default false. */
  withCredentials?: boolean;
  /** Topic changes within this many ms become one reopen. Default 10. */
  batchMs?: number;
  backoff?: BackoffOptions;
  eventSource?: EventSourceFactory;
  timers?: Timers;
  /** Learns the HTTP status of a failed open; default: a fetch of the same URL. */
  probe?: Prober;
  /** Malformed event data and throwing listeners; default console.error. */
  onError?: (error: unknown) => void;
  /** The id to resume from on the first open (a new leader continues where the relay stopped). */
  lastEventId?: string | null;
  /**
   * When set, data events (entity-upsert, entity-delete, poke, resync, presence, broadcast) are handed over
   * unparsed instead of being emitted: the leader relays the text as it came. `ready` and
   * `revoked` are still parsed and emitted, since they drive the stream's own state.
   */
  onRawEvent?: (type: DataEventType, data: string, id: string) => void;
}

/**
 * The events that carry data for components (as opposed to `ready` and `revoked`). `presence`
 * and `broadcast` come without an `id:` line and leave the last event id as it was.
 */
export type DataEventType = 'entity-upsert' | 'entity-delete' | 'poke' | 'resync' | 'presence' | 'broadcast';

const EVENT_TYPES: readonly StreamEventType[] = [
  'ready',
  'entity-upsert',
  'entity-delete',
  'poke',
  'resync',
  'revoked',
  'presence',
  'broadcast',
];

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

const defaultEventSource: EventSourceFactory = (url, init) => new EventSource(url, init);

/** One attempt: an EventSource and what it was opened with. */
interface Attempt {
  es: EventSourceLike;
  url: string;
  topics: Topic[];
  resumed: boolean;
  opened: boolean;
}

/**
 * EventSourceStream: one EventSource (what a tab opens when it does not share, and what the
 * leader of shared tabs opens for all of them). Components add and remove topics
 * (ref-counted); changes are batched for `batchMs` and applied by reopening the stream with
 * the new list and the last event id. It reconnects by itself with jittered backoff, learns
 * why an open failed with a probe, and stops (state `closed`) on 400/401/403 instead of
 * looping. Single-threaded like the page; listeners are called synchronously from
 * EventSource callbacks and may call back into the manager.
 */
export class EventSourceStream implements StreamCore {
  private readonly url_: string;
  private readonly withCredentials_: boolean;
  private readonly batchMs_: number;
  private readonly timers_: Timers;
  private readonly createEventSource_: EventSourceFactory;
  private readonly probe_: Prober;
  private readonly onError_: (error: unknown) => void;
  private readonly backoff_: Backoff;
  private readonly emitter_: Emitter<StreamEventMap>;
  private readonly stateListeners_ = new Set<() => void>();
  private readonly topics_ = new TopicSet();
  private readonly revoked_ = new Set<Topic>();
  private state_: ConnectionState = { status: 'closed', reason: { kind: 'idle' } };
  private attempt_: Attempt | null = null;
  private attemptSeq_ = 0;
  private lastEventId_: string | null = null;
  private readyTopics_: Topic[] = [];
  private halted_: { reason: CloseReason; topics: Topic[] } | null = null;
  private batchTimer_: unknown = null;
  private retryTimer_: unknown = null;
  private retryTopics_: Topic[] | null = null;
  private disposed_ = false;
  private readonly onRawEvent_: EventSourceStreamOptions['onRawEvent'] | null;

  constructor(options: EventSourceStreamOptions = {}) {
    this.url_ = options.url ?? '/api/sse/stream';
    this.withCredentials_ = options.withCredentials ?? false;
    this.batchMs_ = options.batchMs ?? 10;
    this.timers_ = options.timers ?? defaultTimers;
    this.createEventSource_ = options.eventSource ?? defaultEventSource;
    this.probe_ = options.probe ?? createFetchProber();
    this.onError_ = options.onError ?? ((e) => console.error('deltacast:', e));
    this.backoff_ = new Backoff(options.backoff);
    this.emitter_ = new Emitter(this.onError_);
    this.lastEventId_ = options.lastEventId ?? null;
    this.onRawEvent_ = options.onRawEvent ?? null;
  }

  /** Holds a reference on each topic until the returned release is called (idempotent). */
  subscribe(topics: readonly Topic[] | Topic): () => void {
    const list = normalizeTopics(topics);
    let changed = false;
    for (const t of list) changed = this.topics_.add(t) || changed;
    if (changed) this.scheduleFlush();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      let removed = false;
      for (const t of list) {
        if (this.topics_.remove(t)) {
          removed = true;
          this.revoked_.delete(t);
        }
      }
      if (removed) this.scheduleFlush();
    };
  }

  on<K extends StreamEventType>(type: K, listener: (data: StreamEventMap[K]) => void): () => void {
    return this.emitter_.on(type, listener);
  }

  getState = (): ConnectionState => this.state_;

  subscribeState = (listener: () => void): (() => void) => {
    this.stateListeners_.add(listener);
    return () => {
      this.stateListeners_.delete(listener);
    };
  };

  /** The topics components hold, sorted (what the next stream will carry, less revoked). */
  wantedTopics(): Topic[] {
    return this.topics_.list();
  }

  /** Topics that the server revoked while still held; they are left out of the stream. */
  revokedTopics(): Topic[] {
    return [...this.revoked_].sort();
  }

  get lastEventId(): string | null {
    return this.lastEventId_;
  }

  /** Tries again now: after a 401 (the user logged in again), a 403 or a long backoff. */
  reconnect(): void {
    if (this.disposed_) return;
    this.halted_ = null;
    this.revoked_.clear();
    this.backoff_.reset();
    this.clearRetry();
    this.closeAttempt();
    this.flush();
  }

  /** Closes the stream for good; later subscriptions do nothing. */
  dispose(): void {
    if (this.disposed_) return;
    this.disposed_ = true;
    this.cancelFlush();
    this.clearRetry();
    this.closeAttempt();
    this.setState({ status: 'closed', reason: { kind: 'stopped' } });
  }

  private scheduleFlush(): void {
    if (this.disposed_ || this.batchTimer_ !== null) return;
    this.batchTimer_ = this.timers_.setTimeout(() => {
      this.batchTimer_ = null;
      this.flush();
    }, this.batchMs_);
  }

  private cancelFlush(): void {
    if (this.batchTimer_ === null) return;
    this.timers_.clearTimeout(this.batchTimer_);
    this.batchTimer_ = null;
  }

  /** Brings the stream in line with the wanted topics; no-op when it already is. */
  private flush(): void {
    if (this.disposed_) return;
    const wanted = this.topics_.list().filter((t) => !this.revoked_.has(t));
    if (wanted.length === 0) {
      this.clearRetry();
      this.closeAttempt();
      this.halted_ = null;
      const revoked = this.revokedTopics();
      this.setState({
        status: 'closed',
        reason: revoked.length > 0 ? { kind: 'revoked', topics: revoked } : { kind: 'idle' },
      });
      return;
    }
    if (this.halted_ && sameTopics(this.halted_.topics, wanted)) return;
    this.halted_ = null;
    if (this.attempt_ && sameTopics(this.attempt_.topics, wanted)) return;
    // A retry is scheduled or a failed open is being probed for exactly these topics.
    if (this.retryTopics_ && sameTopics(this.retryTopics_, wanted)) return;
    this.clearRetry();
    this.open(wanted);
  }

  private open(topics: Topic[]): void {
    this.closeAttempt();
    const resumed = this.lastEventId_ !== null;
    const url = this.buildUrl(topics);
    const seq = ++this.attemptSeq_;
    const es = this.createEventSource_(url, { withCredentials: this.withCredentials_ });
    const attempt: Attempt = { es, url, topics, resumed, opened: false };
    this.attempt_ = attempt;
    es.addEventListener('open', () => {
      if (seq === this.attemptSeq_) attempt.opened = true;
    });
    es.addEventListener('error', () => {
      if (seq === this.attemptSeq_) this.onAttemptError(attempt);
    });
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (ev) => {
        if (seq === this.attemptSeq_) this.onEvent(attempt, type, ev as MessageEvent);
      });
    }
    this.setState({ status: 'connecting', topics, attempt: this.backoff_.attempt });
  }

  private buildUrl(topics: Topic[]): string {
    const enc = (s: string) =>
      encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%40/gi, '@');
    let url = `${this.url_}${this.url_.includes('?') ? '&' : '?'}topics=${enc(topics.join(','))}`;
    if (this.lastEventId_ !== null) url += `&lastEventId=${enc(this.lastEventId_)}`;
    return url;
  }

  private onEvent(attempt: Attempt, type: StreamEventType, ev: MessageEvent): void {
    attempt.opened = true;
    if (typeof ev.lastEventId === 'string' && ev.lastEventId !== '') {
      this.lastEventId_ = ev.lastEventId;
    }
    if (this.onRawEvent_ && type !== 'ready' && type !== 'revoked') {
      this.onRawEvent_(type, String(ev.data), typeof ev.lastEventId === 'string' ? ev.lastEventId : '');
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(String(ev.data));
    } catch {
      this.onError_(new Error(`deltacast: malformed ${type} data: ${String(ev.data).slice(0, 200)}`));
      return;
    }
    if (type === 'ready') {
      this.onReady(attempt, data as StreamEventMap['ready']);
    } else if (type === 'revoked') {
      this.onRevoked(attempt, data as Partial<RevokedData> & { topic?: Topic });
    } else {
      this.emitter_.emit(type, data as StreamEventMap[typeof type]);
    }
  }

  private onReady(attempt: Attempt, data: { epoch: string; topics?: Topic[] }): void {
    const topics = Array.isArray(data.topics) ? data.topics : attempt.topics;
    const previous = new Set(this.readyTopics_);
    const added = topics.filter((t) => !previous.has(t));
    this.readyTopics_ = topics;
    this.backoff_.reset();
    this.setState({ status: 'open', topics, epoch: data.epoch });
    this.emitter_.emit('ready', { epoch: data.epoch, topics, resumed: attempt.resumed, added });
  }

  /** The server withdrew topics and closes the stream: carry on without them. */
  private onRevoked(attempt: Attempt, data: Partial<RevokedData> & { topic?: Topic }): void {
    const topics = Array.isArray(data.topics)
      ? data.topics
      : typeof data.topic === 'string'
        ? [data.topic]
        : attempt.topics;
    for (const t of topics) this.revoked_.add(t);
    this.emitter_.emit('revoked', { topics, reason: data.reason });
    this.closeAttempt();
    this.scheduleRetry('revoked', 0);
  }

  private onAttemptError(attempt: Attempt): void {
    this.closeAttempt();
    if (attempt.opened) {
      this.scheduleRetry('connection lost', 0);
      return;
    }
    const seq = this.attemptSeq_;
    this.retryTopics_ = attempt.topics;
    this.probe_(attempt.url, this.withCredentials_).then(
      (result) => {
        // A newer open (topic change, reconnect()) makes this answer stale.
        if (seq === this.attemptSeq_ && !this.disposed_) this.onOpenFailed(attempt, result);
      },
      (error) => this.onError_(error),
    );
  }

  private onOpenFailed(attempt: Attempt, result: ProbeResult): void {
    switch (result.status) {
      case 401:
        return this.halt(attempt, { kind: 'unauthorized', status: 401, body: result.body });
      case 403: {
        const body = result.body as { topics?: unknown } | null;
        const topics = Array.isArray(body?.topics) ? (body.topics as Topic[]) : attempt.topics;
        return this.halt(attempt, { kind: 'forbidden', status: 403, topics, body: result.body });
      }
      case 400:
        return this.halt(attempt, { kind: 'bad-request', status: 400, body: result.body });
      default: {
        const why = result.status === 0 ? 'network error' : `HTTP ${result.status}`;
        return this.scheduleRetry(why, result.retryAfterMs ?? 0);
      }
    }
  }

  private halt(attempt: Attempt, reason: CloseReason): void {
    this.clearRetry();
    this.halted_ = { reason, topics: attempt.topics };
    this.setState({ status: 'closed', reason });
  }

  private scheduleRetry(error: string, floorMs: number): void {
    this.clearRetry();
    const topics = this.topics_.list().filter((t) => !this.revoked_.has(t));
    if (topics.length === 0) {
      this.flush();
      return;
    }
    const attempt = this.backoff_.attempt + 1;
    const delayMs = this.backoff_.next(floorMs);
    this.retryTopics_ = topics;
    this.retryTimer_ = this.timers_.setTimeout(() => {
      this.retryTimer_ = null;
      this.retryTopics_ = null;
      const wanted = this.topics_.list().filter((t) => !this.revoked_.has(t));
      if (wanted.length === 0) this.flush();
      else this.open(wanted);
    }, delayMs);
    this.setState({ status: 'reconnecting', topics, attempt, delayMs, error });
  }

  private clearRetry(): void {
    this.retryTopics_ = null;
    if (this.retryTimer_ === null) return;
    this.timers_.clearTimeout(this.retryTimer_);
    this.retryTimer_ = null;
  }

  private closeAttempt(): void {
    const attempt = this.attempt_;
    if (!attempt) return;
    this.attempt_ = null;
    this.attemptSeq_ += 1; // late callbacks of the closed EventSource are ignored
    attempt.es.close();
  }

  private setState(next: ConnectionState): void {
    this.state_ = next;
    for (const listener of [...this.stateListeners_]) {
      try {
        listener();
      } catch (error) {
        this.onError_(error);
      }
    }
  }
}
