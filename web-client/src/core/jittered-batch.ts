import type { Timers } from './types.ts';

export interface JitterOptions {
  /** Work is delayed by a uniform random time in [0, maxMs); 0 runs it at once. */
  maxMs: number;
  /** Returns a number in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
  timers?: Timers;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * JitteredBatch: collects keys and hands them to `run` once, after a random delay. When the
 * server tells every client `resync` at once (its listener reconnected, Postgres restarted),
 * this spreads the clients' refetches over the window instead of sending them all in the same
 * instant. Keys added while a run is pending join it. Single-threaded; `run` may add again.
 */
export class JitteredBatch<K> {
  private readonly pending_ = new Set<K>();
  private timer_: unknown = null;
  private readonly timers_: Timers;
  private readonly random_: () => number;

  constructor(
    private readonly options_: JitterOptions,
    private readonly run_: (keys: K[]) => void,
  ) {
    this.timers_ = options_.timers ?? defaultTimers;
    this.random_ = options_.random ?? Math.random;
  }

  add(keys: Iterable<K>): void {
    for (const k of keys) this.pending_.add(k);
    if (this.pending_.size === 0 || this.timer_ !== null) return;
    const delay = Math.floor(this.random_() * Math.max(0, this.options_.maxMs));
    if (delay <= 0) return this.fire();
    this.timer_ = this.timers_.setTimeout(() => {
      this.timer_ = null;
      this.fire();
    }, delay);
  }

  /** Drops what is pending (the binding was disposed). */
  cancel(): void {
    if (this.timer_ !== null) this.timers_.clearTimeout(this.timer_);
    this.timer_ = null;
    this.pending_.clear();
  }

  private fire(): void {
    const keys = [...this.pending_];
    this.pending_.clear();
    if (keys.length > 0) this.run_(keys);
  }
}
