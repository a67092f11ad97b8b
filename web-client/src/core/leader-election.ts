import type { LockManagerLike } from './share-seams.ts';

/**
 * LeaderElection: the tabs of one share key queue for one Web Lock; the holder leads until it
 * resigns or its tab closes or crashes (the browser releases the lock), and the next tab in the
 * queue is elected. Each tab also holds a lock of its own for its whole life, so the leader can
 * learn that a tab went away by queueing for that lock (`watchTab`).
 */
export class LeaderElection {
  private resign_: (() => void) | null = null;
  private releaseTab_: (() => void) | null = null;
  private resigned_ = false;

  constructor(
    private readonly locks_: LockManagerLike,
    private readonly name_: string,
    private readonly tabId_: string,
  ) {}

  /**
   * Takes this tab's own lock, then calls `onHeld` (the tab may now announce itself), then
   * queues for leadership: `onElected` runs when this tab becomes leader.
   */
  start(onHeld: () => void, onElected: () => void, onError: (e: unknown) => void): void {
    this.locks_
      .request(tabLockName(this.name_, this.tabId_), () => {
        if (this.resigned_) return Promise.resolve();
        onHeld();
        return new Promise<void>((resolve) => (this.releaseTab_ = resolve));
      })
      .catch(onError);
    this.locks_
      .request(`${this.name_}:leader`, () => {
        if (this.resigned_) return Promise.resolve();
        onElected();
        return new Promise<void>((resolve) => (this.resign_ = resolve));
      })
      .catch(onError);
  }

  /** Calls `onGone` once tab `tabId` has closed, crashed or resigned. */
  watchTab(tabId: string, onGone: () => void, onError: (e: unknown) => void): void {
    this.locks_
      .request(tabLockName(this.name_, tabId), () => {
        onGone();
        return Promise.resolve();
      })
      .catch(onError);
  }

  /** Gives up leadership (if held) and this tab's own lock; a queued request is let go when granted. */
  resign(): void {
    this.resigned_ = true;
    this.resign_?.();
    this.releaseTab_?.();
  }
}

function tabLockName(name: string, tabId: string): string {
  return `${name}:tab:${tabId}`;
}
