// The messages tabs of one share key exchange over their BroadcastChannel (SPEC §9).
// Leader → tabs carry `lid` (the leader's tab id) and `n` (its message counter, +1 per
// message) so a tab can tell a new leader and a lost message apart.
import type { DataEventType } from './event-source-stream.ts';
import type { ConnectionState, Topic } from './types.ts';

export const PROTOCOL_VERSION = 1;

/** A tab tells the leader every topic it holds (the whole set: idempotent) and where it is. */
export interface TopicsMessage {
  v: 1;
  t: 'topics';
  tab: string;
  topics: Topic[];
  /** The oldest position of the streams this tab has followed; a new leader resumes from it. */
  lastEventId: string | null;
}

/** A tab asks the leader to try again (after 401/403, like StreamManager.reconnect()). */
export interface ReconnectMessage {
  v: 1;
  t: 'reconnect';
  tab: string;
}

export type TabMessage = TopicsMessage | ReconnectMessage;

interface FromLeader {
  v: 1;
  lid: string;
  n: number;
}

/** A tab became leader: every tab sends its topics again. */
export interface LeaderMessage extends FromLeader {
  t: 'leader';
}

/**
 * A data event of stream `c`, relayed as the SSE `data` text the leader received (`id` is ''
 * for events without an `id:` line: they keep every tab's last id). With `tab` set, it is for
 * that tab only: the leader's last known presence of a topic that just became live for it.
 */
export interface EventMessage extends FromLeader {
  t: 'event';
  c: number;
  type: DataEventType;
  data: string;
  id: string;
  tab?: string;
}

/**
 * Stream `c` became ready (the leader's EventSource got `ready`), or, with `tab` set, the
 * answer to that tab's registration: the tab's topics in `topics` are carried by stream `c`
 * already. `from` is the id the stream was opened with (null: a fresh stream).
 */
export interface ReadyMessage extends FromLeader {
  t: 'ready';
  c: number;
  tab?: string;
  epoch: string;
  topics: Topic[];
  resumed: boolean;
  from: string | null;
}

export interface RevokedMessage extends FromLeader {
  t: 'revoked';
  topics: Topic[];
  reason?: string;
}

/** One stream of the leader, as tabs need it to compute their own state. */
export interface StreamStatus {
  state: ConnectionState;
  lastEventId: string | null;
}

/** The leader's streams and the topics the server refused (403), after every change. */
export interface StateMessage extends FromLeader {
  t: 'state';
  streams: StreamStatus[];
  forbidden: { topics: Topic[]; body: unknown } | null;
}

export type LeaderToTabMessage = LeaderMessage | EventMessage | ReadyMessage | RevokedMessage | StateMessage;

export type RelayMessage = TabMessage | LeaderToTabMessage;

const TYPES = new Set(['topics', 'reconnect', 'leader', 'event', 'ready', 'revoked', 'state']);

/** A message of this protocol version (others, e.g. from a tab of an older build, are ignored). */
export function isRelayMessage(value: unknown): value is RelayMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { v?: unknown; t?: unknown };
  return m.v === PROTOCOL_VERSION && typeof m.t === 'string' && TYPES.has(m.t);
}

export function isFromLeader(m: RelayMessage): m is LeaderToTabMessage {
  return m.t !== 'topics' && m.t !== 'reconnect';
}
