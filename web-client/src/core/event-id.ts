/**
 * Event ids are `<epoch>-<seq>` (SPEC §3): seq grows within one server process, across all of
 * its connections. Ids of different epochs cannot be ordered.
 */
function parse(id: string): { epoch: string; seq: number } | null {
  const dash = id.lastIndexOf('-');
  if (dash <= 0) return null;
  const seq = Number(id.slice(dash + 1));
  return Number.isSafeInteger(seq) ? { epoch: id.slice(0, dash), seq } : null;
}

/** -1, 0 or 1 when `a` is before, equal to or after `b`; null when they cannot be ordered. */
export function compareEventIds(a: string, b: string): number | null {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb || pa.epoch !== pb.epoch) return null;
  return Math.sign(pa.seq - pb.seq);
}

/**
 * The id to resume from so that none of the given positions misses an event: the oldest.
 * Null (a fresh stream: snapshot, and a non-resumed ready that makes bindings refetch) when
 * any position is null or two cannot be ordered.
 */
export function oldestEventId(ids: ReadonlyArray<string | null>): string | null {
  let oldest: string | null = null;
  for (const id of ids) {
    if (id === null) return null;
    if (oldest === null) {
      oldest = id;
      continue;
    }
    const order = compareEventIds(id, oldest);
    if (order === null) return null;
    if (order < 0) oldest = id;
  }
  return oldest;
}

/**
 * True when a tab that has seen events up to `seen` misses nothing from a stream resumed from
 * `from` (which replays what follows `from`): `seen` is not older than `from`.
 */
export function coversFrom(seen: string | null, from: string | null): boolean {
  if (from === null) return true; // a fresh stream: the bindings refetch on its ready
  if (seen === null) return false;
  const order = compareEventIds(seen, from);
  return order !== null && order >= 0;
}
