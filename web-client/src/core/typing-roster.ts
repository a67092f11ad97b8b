import type { BroadcastData, Timers } from './types.ts';

export interface TypingRosterOptions {
  /** This tab's subject: its own `typing` events are not listed. */
  self: string | null;
  /** A typist without a `start` for this long is dropped (a crashed tab). Default 6000. */
  expireMs?: number;
  timers?: Timers;
  onError?: (error: unknown) => void;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * TypingRoster: the receiving side of a typing indicator, fed `typing` broadcasts of one topic
 * (`{"state":"start"|"stop"}`). A subject is listed from its `start` until its `stop`, or until
 * `expireMs` pass without another `start`. `list()` is an immutable array kept while nothing
 * changes (a useSyncExternalStore snapshot), in the order typists started. Listeners run
 * synchronously after a change and may call back in.
 */
export class TypingRoster {
  private readonly expireMs_: number;
  private readonly timers_: Timers;
  private readonly expiry_ = new Map<string, unknown>();
  private readonly listeners_ = new Set<() => void>();
  private list_: readonly string[] = [];

  constructor(private readonly options_: TypingRosterOptions) {
    this.expireMs_ = options_.expireMs ?? 6000;
    this.timers_ = options_.timers ?? defaultTimers;
  }

  /** Takes one broadcast; events of other names, and this tab's own, are ignored. */
  onBroadcast = (event: BroadcastData): void => {
    if (event.name !== 'typing' || event.from === this.options_.self) return;
    const state = (event.data as { state?: unknown } | null)?.state;
    if (state === 'start') this.start(event.from);
    else if (state === 'stop') this.drop(event.from);
  };

  list = (): readonly string[] => this.list_;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners_.add(listener);
    return () => {
      this.listeners_.delete(listener);
    };
  };

  /** Forgets every typist and cancels their timers (the roster stays usable). */
  clear(): void {
    for (const handle of this.expiry_.values()) this.timers_.clearTimeout(handle);
    this.expiry_.clear();
    this.changed();
  }

  private start(sub: string): void {
    const previous = this.expiry_.get(sub);
    if (previous !== undefined) this.timers_.clearTimeout(previous);
    this.expiry_.set(sub, this.timers_.setTimeout(() => this.drop(sub), this.expireMs_));
    if (previous === undefined) this.changed();
  }

  private drop(sub: string): void {
    const handle = this.expiry_.get(sub);
    if (handle === undefined) return;
    this.timers_.clearTimeout(handle);
    this.expiry_.delete(sub);
    this.changed();
  }

  private changed(): void {
    const next = [...this.expiry_.keys()];
    if (next.length === this.list_.length && next.every((s, i) => s === this.list_[i])) return;
    this.list_ = next;
    for (const listener of [...this.listeners_]) {
      try {
        listener();
      } catch (error) {
        (this.options_.onError ?? console.error)(error);
      }
    }
  }
}
