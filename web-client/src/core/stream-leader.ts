import { assignChunks } from './chunks.ts';
import { oldestEventId } from './event-id.ts';
import type { DataEventType, EventSourceStream } from './event-source-stream.ts';
import { PresenceStore } from './presence-store.ts';
import type { LeaderToTabMessage, ReadyMessage, StateMessage, TabMessage } from './relay-protocol.ts';
import type { ReadyInfo, RevokedData, Timers, Topic } from './types.ts';

export interface StreamLeaderOptions {
  /** The leader tab's id; sent as `lid` in every message. */
  lid: string;
  /** Opens stream number `c` (an EventSourceStream that hands data events over raw). */
  createStream: (
    lastEventId: string | null,
    onRawEvent: (type: DataEventType, data: string, id: string) => void,
  ) => EventSourceStream;
  /** Delivers a message to every tab, the leader's own included, in order. */
  post: (message: LeaderToTabMessage) => void;
  /** The server's max_topics_per_connection; the union is split over as many streams as needed. */
  maxTopicsPerStream: number;
  /** How long a new leader collects the tabs' registrations before its first open. */
  gatherMs: number;
  timers: Timers;
}

interface Stream {
  topics: Topic[];
  engine: EventSourceStream;
  release: (() => void) | null;
  /** The last ready relayed for this stream (null until its first ready). */
  ready: ReadyMessage | null;
  offs: Array<() => void>;
}

interface Registration {
  topics: Topic[];
  lastEventId: string | null;
}

/**
 * StreamLeader: the leader tab's side of a shared stream. It keeps every tab's topics, opens
 * the union (less topics the server refused) over as few EventSourceStreams as the topic
 * limit allows, and relays their events, readiness and state to all tabs. A tab whose topics
 * are already carried is told so at once (a `ready` addressed to it), followed by the last
 * known presence of those topics (the server sends a presence `state` only when a stream
 * opens, so the leader keeps each topic's state with the later diffs applied). Runs on the page's
 * thread; `post` may call back into the leader (its own tab registering again).
 */
export class StreamLeader {
  private readonly tabs_ = new Map<string, Registration>();
  private readonly streams_: Stream[] = [];
  /** Topics a 403 named, kept out of the union while held, with the body of that answer. */
  private readonly forbidden_ = new Map<Topic, unknown>();
  /** The last known presence of every topic in the union. */
  private readonly presence_ = new PresenceStore();
  private n_ = 0;
  private started_ = false;
  private resumeFrom_: string | null = null;
  private gatherTimer_: unknown = null;
  private disposed_ = false;

  constructor(private readonly options_: StreamLeaderOptions) {}

  /** Announces the new leader (tabs answer with their topics), then opens after `gatherMs`. */
  start(): void {
    this.post({ t: 'leader' });
    this.gatherTimer_ = this.options_.timers.setTimeout(() => {
      this.gatherTimer_ = null;
      this.started_ = true;
      this.resumeFrom_ = oldestEventId(
        [...this.tabs_.values()].map((r) => r.lastEventId).filter((id): id is string => id !== null),
      );
      this.apply();
    }, this.options_.gatherMs);
  }

  onTabMessage(tab: string, message: TabMessage): void {
    if (this.disposed_) return;
    if (message.t === 'reconnect') {
      this.forbidden_.clear();
      for (const s of this.streams_) s.engine.reconnect();
      this.apply();
      return;
    }
    this.tabs_.set(tab, { topics: message.topics, lastEventId: message.lastEventId });
    if (!this.started_) return;
    this.apply();
    this.answerLive(tab, message.topics);
  }

  /** A tab closed (its lock was released) or disposed its manager. */
  removeTab(tab: string): void {
    if (this.disposed_ || !this.tabs_.delete(tab)) return;
    if (this.started_) this.apply();
  }

  hasTab(tab: string): boolean {
    return this.tabs_.has(tab);
  }

  dispose(): void {
    if (this.disposed_) return;
    this.disposed_ = true;
    if (this.gatherTimer_ !== null) this.options_.timers.clearTimeout(this.gatherTimer_);
    for (const s of this.streams_.splice(0)) this.closeStream(s);
  }

  /** Brings the streams in line with the union of the tabs' topics; the streams batch reopens. */
  private apply(): void {
    if (this.disposed_) return;
    const union = new Set<Topic>();
    for (const r of this.tabs_.values()) for (const t of r.topics) union.add(t);
    for (const t of [...this.forbidden_.keys()]) if (!union.has(t)) this.forbidden_.delete(t);
    const wanted = [...union].filter((t) => !this.forbidden_.has(t));
    const chunks = assignChunks(
      this.streams_.map((s) => s.topics),
      wanted,
      this.options_.maxTopicsPerStream,
    );
    chunks.forEach((topics, c) => this.setTopics(c, topics));
    for (const s of this.streams_.splice(chunks.length)) this.closeStream(s);
    const carried = new Set(wanted);
    for (const t of this.presence_.topics()) if (!carried.has(t)) this.presence_.delete(t);
    this.postState();
  }

  private setTopics(c: number, topics: Topic[]): void {
    const s = this.streams_[c] ?? this.openStream(c);
    if (s.release && s.topics.join(',') === topics.join(',')) return;
    const previous = s.release;
    s.topics = topics;
    s.release = topics.length > 0 ? s.engine.subscribe(topics) : null;
    previous?.(); // after the new hold, so topics in both keep their count
  }

  private openStream(c: number): Stream {
    // A stream opened later resumes where the others are, so it gets no snapshot for topics
    // the tabs already fetched; the first ones resume from the oldest tab position.
    const from =
      this.streams_.length === 0
        ? this.resumeFrom_
        : oldestEventId(this.streams_.map((s) => s.engine.lastEventId).filter((id): id is string => id !== null));
    const engine = this.options_.createStream(from, (type, data, id) => {
      if (type === 'presence') this.notePresence(data);
      this.post({ t: 'event', c, type, data, id });
    });
    const s: Stream = { topics: [], engine, release: null, ready: null, offs: [] };
    s.offs.push(
      engine.on('ready', (info) => this.onReady(c, s, info)),
      engine.on('revoked', (r) => this.onRevoked(r)),
      engine.subscribeState(() => this.onStreamState(s)),
    );
    this.streams_[c] = s;
    return s;
  }

  private closeStream(s: Stream): void {
    for (const off of s.offs) off();
    s.engine.dispose();
  }

  private onReady(c: number, s: Stream, info: ReadyInfo): void {
    // Nothing arrives before ready, so the stream's last id is the one it was opened with.
    const from = info.resumed ? s.engine.lastEventId : null;
    const message: ReadyMessage = {
      v: 1, t: 'ready', lid: this.options_.lid, n: 0,
      c, epoch: info.epoch, topics: info.topics, resumed: info.resumed, from,
    };
    s.ready = message;
    this.post(message);
  }

  private onRevoked(r: RevokedData): void {
    this.post({ t: 'revoked', topics: r.topics, ...(r.reason !== undefined ? { reason: r.reason } : {}) });
  }

  private onStreamState(s: Stream): void {
    const state = s.engine.getState();
    if (state.status !== 'open') s.ready = null;
    if (state.status === 'closed' && state.reason.kind === 'forbidden') {
      // Only the tabs holding these topics see the 403; the others go on without them.
      for (const t of state.reason.topics) this.forbidden_.set(t, state.reason.body);
      this.apply();
      return;
    }
    this.postState();
  }

  /** A registering tab whose topics some open stream carries learns it now, not at the next ready. */
  private answerLive(tab: string, topics: Topic[]): void {
    this.streams_.forEach((s, c) => {
      if (!s.ready || s.engine.getState().status !== 'open') return;
      const carried = topics.filter((t) => s.ready!.topics.includes(t));
      if (carried.length === 0) return;
      const { v: _v, lid: _lid, n: _n, ...ready } = s.ready;
      this.post({ ...ready, tab, topics: carried, resumed: true });
      for (const topic of carried) {
        const presence = this.presence_.snapshot(topic);
        if (presence) this.post({ t: 'event', c, type: 'presence', data: JSON.stringify(presence), id: '', tab });
      }
    });
  }

  private notePresence(data: string): void {
    try {
      this.presence_.apply(JSON.parse(data));
    } catch {
      // Malformed: every tab reports it when it parses the relayed text.
    }
  }

  private postState(): void {
    const forbidden = [...this.forbidden_.keys()];
    const message: Omit<StateMessage, 'v' | 'lid' | 'n'> = {
      t: 'state',
      streams: this.streams_.map((s) => ({ state: s.engine.getState(), lastEventId: s.engine.lastEventId })),
      forbidden: forbidden.length > 0 ? { topics: forbidden, body: this.forbidden_.get(forbidden[0]!) } : null,
    };
    this.post(message);
  }

  private post(message: DistributiveOmit<LeaderToTabMessage, 'v' | 'lid' | 'n'>): void {
    if (this.disposed_) return;
    this.n_ += 1;
    this.options_.post({ ...message, v: 1, lid: this.options_.lid, n: this.n_ } as LeaderToTabMessage);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
