import type { StateMessage } from './relay-protocol.ts';
import type { ConnectionState, Topic } from './types.ts';

export interface TabView {
  /** The topics the tab's components hold, less revoked ones, sorted. */
  held: readonly Topic[];
  revoked: readonly Topic[];
  /** Held topics a `ready` (of a stream or addressed to this tab) has confirmed. */
  live: ReadonlySet<Topic>;
  /** The leader's last state message; null while no leader has reported. */
  leader: StateMessage | null;
  disposed: boolean;
}

/**
 * The connection state a sharing tab shows, derived from the leader's streams as if the tab
 * had its own: `open` once every held topic is live, `closed` with `forbidden` for this tab's
 * topics only, the leader's 401/400 for every tab, else the state of the stream carrying them.
 */
export function tabState(view: TabView): ConnectionState {
  const { held, leader } = view;
  if (view.disposed) return { status: 'closed', reason: { kind: 'stopped' } };
  if (held.length === 0) {
    return view.revoked.length > 0
      ? { status: 'closed', reason: { kind: 'revoked', topics: [...view.revoked] } }
      : { status: 'closed', reason: { kind: 'idle' } };
  }
  const denied = held.filter((t) => leader?.forbidden?.topics.includes(t));
  if (denied.length > 0) {
    return { status: 'closed', reason: { kind: 'forbidden', status: 403, topics: denied, body: leader?.forbidden?.body } };
  }
  if (!leader) return { status: 'connecting', topics: [...held], attempt: 0 };
  const states = leader.streams.map((s) => s.state);
  const fatal = states.find(
    (s) => s.status === 'closed' && (s.reason.kind === 'unauthorized' || s.reason.kind === 'bad-request'),
  );
  if (fatal) return fatal;
  const carried = new Set<Topic>();
  let epoch = '';
  for (const s of states) {
    if (s.status !== 'open') continue;
    epoch ||= s.epoch;
    for (const t of s.topics) carried.add(t);
  }
  const live = held.filter((t) => view.live.has(t) && carried.has(t));
  if (live.length === held.length) return { status: 'open', topics: live, epoch };
  const mine = (topics: readonly Topic[]) => topics.some((t) => held.includes(t));
  const pending = states.find((s) => (s.status === 'connecting' || s.status === 'reconnecting') && mine(s.topics));
  if (pending?.status === 'reconnecting') return { ...pending, topics: [...held] };
  if (pending?.status === 'connecting') return { status: 'connecting', topics: [...held], attempt: pending.attempt };
  if (live.length > 0) return { status: 'open', topics: live, epoch };
  return { status: 'connecting', topics: [...held], attempt: 0 };
}

export function sameState(a: ConnectionState, b: ConnectionState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
