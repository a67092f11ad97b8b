// The wire format of deltacast's stream (SPEC §3) and the client's public types.

/** A topic is `kind:id`, e.g. `chat:42`, `org:1`. */
export type Topic = string;

export type EntityId = string | number;

export type Row = Record<string, unknown>;

/** `ready`: the first event of every stream; every topic is LISTENed when it arrives. */
export interface ReadyData {
  epoch: string;
  topics: Topic[];
}

/** What the manager tells listeners about a `ready`, beyond the wire data. */
export interface ReadyInfo extends ReadyData {
  /** The stream was opened with a `lastEventId` (the server replays or resyncs). */
  resumed: boolean;
  /** Topics of this stream that the previous ready stream of this manager did not have. */
  added: Topic[];
}

export interface EntityUpsertData {
  topic: Topic;
  entity: string;
  rows: Row[];
  /** Sent right after `ready` for fresh streams when the topic kind has a snapshot query. */
  snapshot?: boolean;
}

export interface EntityDeleteData {
  topic: Topic;
  entity: string;
  ids: EntityId[];
}

export interface PokeData {
  topic: Topic;
}

export interface ResyncData {
  topics: Topic[];
  reason: string;
}

/** `revoked`: access to these topics was withdrawn; the server closes the stream. */
export interface RevokedData {
  topics: Topic[];
  reason?: string;
}

/** A present member of a live room (SPEC §8): a subject, not a connection. */
export interface PresenceMemberData {
  sub: string;
  meta?: Record<string, unknown>;
}

/**
 * `presence` (no `id:`, never replayed): exactly one of a full `state`, a diff (`joins` and/or
 * `leaves`), or `count` only (above the server's member limit).
 */
export interface PresenceData {
  topic: Topic;
  state?: PresenceMemberData[];
  joins?: PresenceMemberData[];
  leaves?: Array<{ sub: string }>;
  count?: number;
}

/** `broadcast` (no `id:`, at most once): an ephemeral event; `from` is set by the server. */
export interface BroadcastData {
  topic: Topic;
  name: string;
  from: string;
  data: unknown;
}

export interface StreamEventMap {
  ready: ReadyInfo;
  'entity-upsert': EntityUpsertData;
  'entity-delete': EntityDeleteData;
  poke: PokeData;
  resync: ResyncData;
  revoked: RevokedData;
  presence: PresenceData;
  broadcast: BroadcastData;
}

export type StreamEventType = keyof StreamEventMap;

/** Why the stream is closed. Only `idle` and `stopped` are normal. */
export type CloseReason =
  | { kind: 'idle' } // no topics wanted
  | { kind: 'stopped' } // dispose() was called
  | { kind: 'unauthorized'; status: 401; body: unknown } // log in again, then reconnect()
  | { kind: 'forbidden'; status: 403; topics: Topic[]; body: unknown }
  | { kind: 'bad-request'; status: 400; body: unknown } // a malformed topic list
  | { kind: 'revoked'; topics: Topic[] };

/**
 * The connection as the UI should show it. `open` means subscribed (`ready` received);
 * `reconnecting` means a reopen is scheduled after `delayMs`.
 */
export type ConnectionState =
  | { status: 'connecting'; topics: Topic[]; attempt: number }
  | { status: 'open'; topics: Topic[]; epoch: string }
  | { status: 'reconnecting'; topics: Topic[]; attempt: number; delayMs: number; error: string }
  | { status: 'closed'; reason: CloseReason };

/** The subset of the DOM EventSource the manager uses (so tests can pass a fake). */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent | Event) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string, init: { withCredentials: boolean }) => EventSourceLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What a status probe learned about a failed open (status 0 = no HTTP answer). */
export interface ProbeResult {
  status: number;
  body: unknown;
  retryAfterMs: number | null;
}

export type Prober = (url: string, withCredentials: boolean) => Promise<ProbeResult>;
