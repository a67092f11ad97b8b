import { coversFrom, oldestEventId } from './event-id.ts';
import { Emitter } from './emitter.ts';
import type { DataEventType, EventSourceStream } from './event-source-stream.ts';
import { LeaderElection } from './leader-election.ts';
import {
  isFromLeader,
  isRelayMessage,
  type EventMessage,
  type LeaderToTabMessage,
  type ReadyMessage,
  type StateMessage,
  type TabMessage,
} from './relay-protocol.ts';
import type { ChannelLike, LockManagerLike } from './share-seams.ts';
import type { StreamCore } from './stream-core.ts';
import { StreamLeader } from './stream-leader.ts';
import { sameState, tabState } from './tab-state.ts';
import { TopicSet, normalizeTopics } from './topic-set.ts';
import type { ConnectionState, StreamEventMap, StreamEventType, Timers, Topic } from './types.ts';

export interface SharedStreamOptions {
  /** Lock and channel name: the stream URL and the share key (which names the user). */
  name: string;
  tabId: string;
  locks: LockManagerLike;
  channel: ChannelLike;
  /** Opens one EventSourceStream when this tab leads. */
  createStream: (
    lastEventId: string | null,
    onRawEvent: (type: DataEventType, data: string, id: string) => void,
  ) => EventSourceStream;
  maxTopicsPerStream: number;
  gatherMs: number;
  batchMs: number;
  timers: Timers;
  onError: (error: unknown) => void;
}

export type ShareRole = 'leader' | 'follower';

/**
 * SharedStream: a tab's stream when tabs share one (SPEC §9). Every tab keeps its own topic
 * references, listeners and state, and tells the leader its topic set; the leader tab also
 * runs a StreamLeader that holds the EventSources. Events, readiness and state come back as
 * relay messages (over the channel, or directly in the leader's tab) and are filtered to the
 * topics this tab holds. After a leader change, a tab whose position is older than the new
 * stream's resume point, or that lost a relay message, gets `resync` for its topics.
 * Single-threaded like the page; listeners may call back into it.
 */
export class SharedStream implements StreamCore {
  private readonly o_: SharedStreamOptions;
  private readonly election_: LeaderElection;
  private readonly emitter_: Emitter<StreamEventMap>;
  private readonly stateListeners_ = new Set<() => void>();
  private readonly topics_ = new TopicSet();
  private readonly revoked_ = new Set<Topic>();
  private readonly live_ = new Set<Topic>();
  /** Topics made live by a `ready` addressed to this tab, until the leader's presence for them. */
  private readonly awaitingPresence_ = new Set<Topic>();
  /** Last id per leader stream; the oldest is where a new leader must resume for this tab. */
  private readonly positions_ = new Map<number, string>();
  private readonly watched_ = new Set<string>();
  private state_: ConnectionState = { status: 'closed', reason: { kind: 'idle' } };
  private role_: ShareRole = 'follower';
  private leader_: StreamLeader | null = null;
  private leaderState_: StateMessage | null = null;
  private lid_: string | null = null;
  private expectN_ = 0;
  private needsCover_ = new Set<Topic>();
  private coverSeen_: string | null = null;
  private handoverPosition_: string | null = null;
  private lastEventId_: string | null = null;
  private started_ = false;
  private tabLockHeld_ = false;
  private registerTimer_: unknown = null;
  private disposed_ = false;

  constructor(options: SharedStreamOptions) {
    this.o_ = options;
    this.emitter_ = new Emitter(options.onError);
    this.election_ = new LeaderElection(options.locks, options.name, options.tabId);
    options.channel.addEventListener('message', (ev) => this.onChannelMessage(ev.data));
  }

  subscribe(topics: readonly Topic[] | Topic): () => void {
    const list = normalizeTopics(topics);
    let changed = false;
    for (const t of list) changed = this.topics_.add(t) || changed;
    if (changed) this.topicsChanged();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      let removed = false;
      for (const t of list) {
        if (!this.topics_.remove(t)) continue;
        removed = true;
        this.revoked_.delete(t);
        this.live_.delete(t);
        this.awaitingPresence_.delete(t);
        this.needsCover_.delete(t);
      }
      if (removed) this.topicsChanged();
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

  wantedTopics(): Topic[] {
    return this.topics_.list();
  }

  revokedTopics(): Topic[] {
    return [...this.revoked_].sort();
  }

  get lastEventId(): string | null {
    return this.lastEventId_;
  }

  /** `leader` while this tab holds the EventSource(s), else `follower`. */
  get role(): ShareRole {
    return this.role_;
  }

  reconnect(): void {
    if (this.disposed_) return;
    this.revoked_.clear();
    this.send({ v: 1, t: 'reconnect', tab: this.o_.tabId });
    this.register();
  }

  dispose(): void {
    if (this.disposed_) return;
    this.disposed_ = true;
    if (this.registerTimer_ !== null) this.o_.timers.clearTimeout(this.registerTimer_);
    this.leader_?.dispose();
    this.leader_ = null;
    this.election_.resign();
    this.o_.channel.close();
    this.updateState();
  }

  private topicsChanged(): void {
    if (this.disposed_) return;
    if (!this.started_) {
      // Nothing is shared before the first subscription (creating a manager opens nothing).
      this.started_ = true;
      this.election_.start(
        () => this.onTabLockHeld(),
        () => this.onElected(),
        this.o_.onError,
      );
    }
    this.updateState();
    if (this.registerTimer_ !== null) return;
    this.registerTimer_ = this.o_.timers.setTimeout(() => {
      this.registerTimer_ = null;
      this.register();
    }, this.o_.batchMs);
  }

  private held(): Topic[] {
    return this.topics_.list().filter((t) => !this.revoked_.has(t));
  }

  private isHeld(topic: Topic): boolean {
    return this.topics_.count(topic) > 0 && !this.revoked_.has(topic);
  }

  private position(): string | null {
    return this.positions_.size > 0 ? oldestEventId([...this.positions_.values()]) : this.handoverPosition_;
  }

  /** Sends this tab's whole topic set to the leader (idempotent). */
  private register(): void {
    if (this.disposed_) return;
    if (this.registerTimer_ !== null) {
      this.o_.timers.clearTimeout(this.registerTimer_);
      this.registerTimer_ = null;
    }
    this.send({ v: 1, t: 'topics', tab: this.o_.tabId, topics: this.held(), lastEventId: this.position() });
  }

  private send(message: TabMessage): void {
    if (this.leader_) this.leader_.onTabMessage(this.o_.tabId, message);
    // Before this tab holds its own lock, a leader watching it would think it gone.
    else if (this.tabLockHeld_) this.o_.channel.postMessage(message);
  }

  private onTabLockHeld(): void {
    this.tabLockHeld_ = true;
    if (!this.disposed_) this.register();
  }

  private onElected(): void {
    if (this.disposed_) return;
    this.role_ = 'leader';
    this.watched_.clear();
    this.leader_ = new StreamLeader({
      lid: this.o_.tabId,
      createStream: this.o_.createStream,
      post: (m) => {
        this.o_.channel.postMessage(m);
        this.onLeaderMessage(m);
      },
      maxTopicsPerStream: this.o_.maxTopicsPerStream,
      gatherMs: this.o_.gatherMs,
      timers: this.o_.timers,
    });
    this.leader_.start();
    this.notify();
  }

  private onChannelMessage(data: unknown): void {
    if (this.disposed_ || !isRelayMessage(data)) return;
    if (isFromLeader(data)) {
      if (data.lid !== this.o_.tabId) this.onLeaderMessage(data);
      return;
    }
    const leader = this.leader_;
    if (!leader || data.tab === this.o_.tabId) return;
    if (data.t === 'topics' && !this.watched_.has(data.tab)) {
      const tab = data.tab;
      this.watched_.add(tab);
      this.election_.watchTab(tab, () => {
        this.watched_.delete(tab);
        leader.removeTab(tab);
      }, this.o_.onError);
    }
    leader.onTabMessage(data.tab, data);
  }

  private onLeaderMessage(m: LeaderToTabMessage): void {
    if (this.disposed_) return;
    if (m.lid !== this.lid_) this.onLeaderChanged(m);
    else if (m.n !== this.expectN_) this.onRelayGap();
    this.expectN_ = m.n + 1;
    switch (m.t) {
      case 'leader':
        break;
      case 'event':
        return this.onEvent(m);
      case 'ready':
        if (m.tab === undefined || m.tab === this.o_.tabId) this.onReady(m);
        return;
      case 'revoked': {
        const mine = m.topics.filter((t) => this.isHeld(t));
        if (mine.length === 0) return;
        for (const t of mine) this.revoked_.add(t);
        this.emitter_.emit('revoked', { topics: mine, ...(m.reason !== undefined ? { reason: m.reason } : {}) });
        this.topicsChanged();
        return;
      }
      case 'state':
        this.leaderState_ = m;
        // A stream that carries no topic (closed, or idle) no longer holds a handover back.
        for (const c of [...this.positions_.keys()]) if (c >= m.streams.length) this.positions_.delete(c);
        m.streams.forEach((s, c) => {
          const idle = s.state.status === 'closed' && s.state.reason.kind === 'idle';
          if (idle) this.positions_.delete(c);
          else if (s.lastEventId !== null) this.positions_.set(c, s.lastEventId);
        });
        break;
    }
    this.updateState();
  }

  private onLeaderChanged(m: LeaderToTabMessage): void {
    const handover = this.lid_ !== null;
    this.lid_ = m.lid;
    this.leaderState_ = null;
    if (handover) {
      this.coverSeen_ = this.position();
      this.needsCover_ = new Set(this.held());
    }
    this.handoverPosition_ = this.position();
    this.positions_.clear();
    // The new leader knows nothing of this tab yet (its announcement asks for exactly this).
    if (this.started_) this.register();
  }

  /** A relay message never arrived: this tab cannot prove it missed nothing. */
  private onRelayGap(): void {
    const topics = this.held();
    if (topics.length > 0) this.emitter_.emit('resync', { topics, reason: 'relay-gap' });
  }

  private onEvent(m: EventMessage): void {
    if (m.tab !== undefined && m.tab !== this.o_.tabId) return;
    // An event without `id:` (presence, broadcast, resync) keeps the last id, as in SSE.
    if (m.id !== '') {
      this.positions_.set(m.c, m.id);
      this.lastEventId_ = m.id;
    }
    let data: unknown;
    try {
      data = JSON.parse(m.data);
    } catch {
      this.o_.onError(new Error(`deltacast: malformed ${m.type} data: ${m.data.slice(0, 200)}`));
      return;
    }
    if (m.type === 'resync') {
      const d = data as StreamEventMap['resync'];
      const topics = Array.isArray(d.topics) ? d.topics.filter((t) => this.isHeld(t)) : [];
      if (topics.length > 0) this.emitter_.emit('resync', { ...d, topics });
      return;
    }
    const d = data as { topic?: unknown };
    if (m.type === 'presence' && typeof d.topic === 'string') {
      // A handed-over state is for a topic that just became live here (once); the stream's own
      // presence events supersede it.
      if (!this.awaitingPresence_.delete(d.topic) && m.tab !== undefined) return;
    }
    if (typeof d.topic === 'string' && this.isHeld(d.topic)) {
      this.emitter_.emit(m.type, data as StreamEventMap[typeof m.type]);
    }
  }

  private onReady(m: ReadyMessage): void {
    const mine = m.topics.filter((t) => this.isHeld(t));
    if (mine.length === 0) return;
    const uncovered = mine.filter((t) => this.needsCover_.delete(t));
    if (uncovered.length > 0 && !coversFrom(this.coverSeen_, m.from)) {
      this.emitter_.emit('resync', { topics: uncovered, reason: 'handover' });
    }
    const added = mine.filter((t) => !this.live_.has(t));
    // An answer to a registration says nothing new when this tab already had these topics live.
    if (m.tab !== undefined && added.length === 0) return;
    for (const t of added) this.live_.add(t);
    if (m.tab !== undefined) for (const t of added) this.awaitingPresence_.add(t);
    if (m.from !== null && !this.positions_.has(m.c)) this.positions_.set(m.c, m.from);
    this.updateState();
    this.emitter_.emit('ready', { epoch: m.epoch, topics: mine, resumed: m.resumed, added });
  }

  private updateState(): void {
    const next = tabState({
      held: this.held(),
      revoked: this.revokedTopics().filter((t) => this.topics_.count(t) > 0),
      live: this.live_,
      leader: this.leaderState_,
      disposed: this.disposed_,
    });
    if (sameState(next, this.state_)) return;
    this.state_ = next;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.stateListeners_]) {
      try {
        listener();
      } catch (error) {
        this.o_.onError(error);
      }
    }
  }
}
