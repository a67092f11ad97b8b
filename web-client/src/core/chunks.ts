import type { Topic } from './types.ts';

/**
 * Splits `wanted` into lists of at most `max` topics (the server's max_topics_per_connection),
 * keeping each topic in the list it was in before so that a change reopens only the streams
 * it touches. Released topics leave their list; new topics fill the first lists with room;
 * empty lists are dropped from the end only (indices of the others stay). Lists come back sorted.
 */
export function assignChunks(previous: readonly (readonly Topic[])[], wanted: readonly Topic[], max: number): Topic[][] {
  const want = new Set(wanted);
  const placed = new Set<Topic>();
  const out = previous.map((list) =>
    list.filter((t) => {
      if (!want.has(t) || placed.has(t)) return false;
      placed.add(t);
      return true;
    }),
  );
  for (const t of [...want].sort()) {
    if (placed.has(t)) continue;
    let list = out.find((l) => l.length < max);
    if (!list) out.push((list = []));
    list.push(t);
  }
  while (out.length > 0 && out[out.length - 1]!.length === 0) out.pop();
  return out.map((l) => [...l].sort());
}
