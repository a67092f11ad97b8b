import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypingRoster, TypingSender } from '../src/core/index.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const timers = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as never),
};

describe('TypingSender', () => {
  it('publishes start at most once per throttleMs while typing, and stop after idleMs', () => {
    // Invariant: keystrokes cost one start per throttle window and exactly one stop.
    const sent: string[] = [];
    const s = new TypingSender({ publish: (st) => sent.push(st), timers, now: () => Date.now() });
    for (let i = 0; i < 25; i++) {
      s.onInput();
      vi.advanceTimersByTime(200); // 5 s of typing, one key every 200 ms
    }
    expect(sent).toEqual(['start', 'start', 'start']); // at 0, 2000 and 4000 ms
    vi.advanceTimersByTime(2799);
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(1); // 3000 ms after the last key
    expect(sent).toEqual(['start', 'start', 'start', 'stop']);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(4);
  });

  it('stops at once on stop(), once only, and starts afresh on the next input', () => {
    // Invariant: stop() ends the indicator now; a new input after it is a new start.
    const sent: string[] = [];
    const s = new TypingSender({ publish: (st) => sent.push(st), timers, throttleMs: 1000, idleMs: 500 });
    s.onInput();
    s.stop();
    s.stop();
    vi.advanceTimersByTime(5000);
    s.onInput();
    expect(sent).toEqual(['start', 'stop', 'start']);
    expect(s.typing).toBe(true);
  });
});

describe('TypingRoster', () => {
  const ev = (from: string, state: string, name = 'typing') => ({ topic: 'chat:1', name, from, data: { state } });

  it('lists others from start until stop or expireMs without a start, never self', () => {
    // Invariant: a crashed typist clears after expireMs; renewed starts keep it listed.
    const r = new TypingRoster({ self: 'u1', timers });
    let changes = 0;
    r.subscribe(() => changes++);
    r.onBroadcast(ev('u1', 'start'));
    r.onBroadcast(ev('u2', 'start'));
    r.onBroadcast(ev('u3', 'start'));
    r.onBroadcast(ev('u4', 'start', 'thinking'));
    expect(r.list()).toEqual(['u2', 'u3']);
    r.onBroadcast(ev('u3', 'stop'));
    expect(r.list()).toEqual(['u2']);
    vi.advanceTimersByTime(5000);
    r.onBroadcast(ev('u2', 'start')); // renewed
    vi.advanceTimersByTime(5999);
    expect(r.list()).toEqual(['u2']);
    const snapshot = r.list();
    r.onBroadcast(ev('u2', 'start'));
    expect(r.list()).toBe(snapshot); // unchanged list, same array
    vi.advanceTimersByTime(6000);
    expect(r.list()).toEqual([]);
    expect(changes).toBe(4); // u2, u3, u3 gone, u2 expired
  });
});
