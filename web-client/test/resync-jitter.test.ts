import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JitteredBatch, StreamManager } from '../src/core/index.ts';
import { bindReplicache } from '../src/replicache/index.ts';
import { EventSourceRecorder, FakeProber } from './fakes.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('JitteredBatch', () => {
  it('runs once after random * maxMs with every key added meanwhile', () => {
    // Invariant: the delay is uniform in [0, maxMs) as drawn by `random`; keys coalesce.
    const runs: string[][] = [];
    const draws = [0.25, 0.9];
    const batch = new JitteredBatch<string>({ maxMs: 400, random: () => draws.shift()! }, (k) => runs.push(k));
    batch.add(['a']);
    batch.add(['b', 'a']);
    vi.advanceTimersByTime(99);
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual([['a', 'b']]);
    batch.add(['c']);
    vi.advanceTimersByTime(359);
    expect(runs).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual([['a', 'b'], ['c']]);
  });

  it('runs at once with maxMs 0 and runs nothing after cancel', () => {
    // Invariant: 0 disables the jitter; a cancelled batch never fires.
    const runs: number[][] = [];
    new JitteredBatch<number>({ maxMs: 0 }, (k) => runs.push(k)).add([1]);
    expect(runs).toEqual([[1]]);
    const later = new JitteredBatch<number>({ maxMs: 500, random: () => 0.5 }, (k) => runs.push(k));
    later.add([2]);
    later.cancel();
    vi.advanceTimersByTime(1000);
    expect(runs).toEqual([[1]]);
  });
});

describe('Replicache binding under a resync storm', () => {
  it('pulls once, after the jittered delay, for resyncs arriving together; pokes pull at once', () => {
    // Invariant: resync-driven pulls are spread over the window; pokes are not delayed.
    const sources = new EventSourceRecorder();
    const manager = new StreamManager({ eventSource: sources.factory, probe: new FakeProber().probe });
    let pulls = 0;
    const unbind = bindReplicache(manager, { pull: () => void (pulls += 1) }, {
      kinds: ['org'],
      resyncJitterMs: 500,
      random: () => 0.8,
    });
    manager.subscribe(['org:1']);
    vi.advanceTimersByTime(20);
    sources.last.emit('poke', { topic: 'org:1' }, 'e-1'); // before ready: a poke still pulls
    expect(pulls).toBe(1);
    sources.last.ready(['org:1']);
    expect(pulls).toBe(2); // the fresh ready
    sources.last.emit('resync', { topics: ['org:1'], reason: 'listener-reconnected' });
    sources.last.emit('resync', { topics: ['org:1'], reason: 'listener-reconnected' });
    vi.advanceTimersByTime(399);
    expect(pulls).toBe(2);
    vi.advanceTimersByTime(1);
    expect(pulls).toBe(3);
    sources.last.emit('resync', { topics: ['org:1'], reason: 'x' });
    unbind();
    vi.advanceTimersByTime(1000);
    expect(pulls).toBe(3);
  });
});
