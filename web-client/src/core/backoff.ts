export interface BackoffOptions {
  /** Delay scale of the first retry (ms). */
  baseMs?: number;
  /** Upper bound of any delay (ms). */
  maxMs?: number;
  /** Returns a number in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Backoff: "equal jitter" exponential backoff. Attempt n waits between half and all of
 * min(max, base * 2^n), so that tabs dropped together (a deploy) do not return together,
 * while no retry is ever immediate.
 */
export class Backoff {
  private readonly baseMs_: number;
  private readonly maxMs_: number;
  private readonly random_: () => number;
  private attempt_ = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs_ = options.baseMs ?? 1000;
    this.maxMs_ = options.maxMs ?? 30_000;
    this.random_ = options.random ?? Math.random;
  }

  get attempt(): number {
    return this.attempt_;
  }

  /** The delay before the next attempt; advances the attempt counter. */
  next(floorMs = 0): number {
    const ceiling = Math.min(this.maxMs_, this.baseMs_ * 2 ** Math.min(this.attempt_, 30));
    this.attempt_ += 1;
    const delay = ceiling / 2 + (this.random_() * ceiling) / 2;
    return Math.round(Math.max(delay, Math.min(floorMs, this.maxMs_ * 4)));
  }

  reset(): void {
    this.attempt_ = 0;
  }
}
