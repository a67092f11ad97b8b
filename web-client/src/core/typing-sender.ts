import type { Timers } from './types.ts';

export interface TypingSenderOptions {
  /** Publishes `typing` with `{"state": state}`; failures are the caller's to report. */
  publish: (state: 'start' | 'stop') => void;
  /** At most one `start` per this many ms while the user types. Default 2000. */
  throttleMs?: number;
  /** `stop` after this many ms without input. Default 3000. */
  idleMs?: number;
  timers?: Timers;
  now?: () => number;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * TypingSender: the local side of a typing indicator. `onInput()` on every keystroke publishes
 * `start` at once, then again at most once per `throttleMs` while input continues (each start
 * renews the receivers' expiry); `idleMs` after the last input, or on `stop()`, it publishes
 * `stop` once. Reusable after `stop()`. Single-threaded; `publish` is called synchronously.
 */
export class TypingSender {
  private readonly throttleMs_: number;
  private readonly idleMs_: number;
  private readonly timers_: Timers;
  private readonly now_: () => number;
  private typing_ = false;
  private lastStart_ = 0;
  private idleTimer_: unknown = null;

  constructor(private readonly options_: TypingSenderOptions) {
    this.throttleMs_ = options_.throttleMs ?? 2000;
    this.idleMs_ = options_.idleMs ?? 3000;
    this.timers_ = options_.timers ?? defaultTimers;
    this.now_ = options_.now ?? Date.now;
  }

  onInput(): void {
    const now = this.now_();
    if (!this.typing_ || now - this.lastStart_ >= this.throttleMs_) {
      this.typing_ = true;
      this.lastStart_ = now;
      this.options_.publish('start');
    }
    this.clearIdle();
    this.idleTimer_ = this.timers_.setTimeout(() => {
      this.idleTimer_ = null;
      this.stop();
    }, this.idleMs_);
  }

  /** Publishes `stop` if a `start` is outstanding (message sent, input cleared, unmount). */
  stop(): void {
    this.clearIdle();
    if (!this.typing_) return;
    this.typing_ = false;
    this.options_.publish('stop');
  }

  get typing(): boolean {
    return this.typing_;
  }

  private clearIdle(): void {
    if (this.idleTimer_ === null) return;
    this.timers_.clearTimeout(this.idleTimer_);
    this.idleTimer_ = null;
  }
}
