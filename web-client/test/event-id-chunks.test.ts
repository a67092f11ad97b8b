import { describe, expect, it } from 'vitest';
import { assignChunks } from '../src/core/chunks.ts';
import { compareEventIds, coversFrom, oldestEventId } from '../src/core/event-id.ts';

describe('event ids', () => {
  it('orders ids of one epoch by seq and refuses to order different epochs', () => {
    // Invariant: only ids of the same server process are comparable.
    expect(compareEventIds('ab-9', 'ab-10')).toBe(-1);
    expect(compareEventIds('ab-10', 'ab-10')).toBe(0);
    expect(compareEventIds('ab-10', 'cd-1')).toBeNull();
    expect(compareEventIds('junk', 'ab-1')).toBeNull();
  });

  it('resumes from the oldest position, or fresh when positions cannot be ordered', () => {
    // Invariant: a handover never resumes past a position some tab still needs.
    expect(oldestEventId(['ab-7', 'ab-3', 'ab-5'])).toBe('ab-3');
    expect(oldestEventId(['ab-7', 'cd-3'])).toBeNull();
    expect(oldestEventId(['ab-7', null])).toBeNull();
    expect(coversFrom('ab-5', 'ab-3')).toBe(true);
    expect(coversFrom('ab-2', 'ab-3')).toBe(false);
    expect(coversFrom(null, 'ab-3')).toBe(false);
    expect(coversFrom('ab-2', null)).toBe(true);
  });
});

describe('assignChunks', () => {
  it('keeps topics in their stream, fills gaps first, and never exceeds the limit', () => {
    // Invariant: a change reopens only the streams it touches; each stream stays within the limit.
    const first = assignChunks([], ['a', 'b', 'c', 'd', 'e'], 2);
    expect(first).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(assignChunks(first, ['a', 'b', 'd', 'e', 'f'], 2)).toEqual([['a', 'b'], ['d', 'f'], ['e']]);
    expect(assignChunks(first, ['a', 'b'], 2)).toEqual([['a', 'b']]);
    expect(assignChunks(first, ['e'], 2)).toEqual([[], [], ['e']]);
  });
});
