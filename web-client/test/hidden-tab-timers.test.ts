import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hiddenTabTimers } from '../src/core/hidden-tab-timers.ts';
import type { Timers } from '../src/core/types.ts';

const base: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as never),
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const nextTask = () => new Promise((r) => setImmediate(r));

/** A few turns of the event loop: a MessageChannel message is delivered within them. */
async function tasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await nextTask();
}

describe('hiddenTabTimers', () => {
  it('runs a short wait as the next task in a hidden page, not on the throttled timer', async () => {
    // Invariant: a hidden leader applies a follower's topic change without waiting for a timer.
    const env = { document: { visibilityState: 'hidden' }, MessageChannel };
    const timers = hiddenTabTimers(base, 20, env);
    const ran: string[] = [];
    timers.setTimeout(() => ran.push('batch'), 10);
    const cancelled = timers.setTimeout(() => ran.push('cancelled'), 10);
    timers.clearTimeout(cancelled);
    timers.setTimeout(() => ran.push('gather'), 30);
    await tasks();
    expect(ran).toEqual(['batch']);
    vi.advanceTimersByTime(30);
    expect(ran).toEqual(['batch', 'gather']);
  });

  it('uses the real timer in a visible page', async () => {
    // Invariant: a visible tab keeps the batch window (changes within it coalesce).
    const timers = hiddenTabTimers(base, 20, { document: { visibilityState: 'visible' }, MessageChannel });
    const ran: string[] = [];
    timers.setTimeout(() => ran.push('batch'), 10);
    await tasks();
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(ran).toEqual(['batch']);
  });
});
