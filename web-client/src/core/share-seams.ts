// The browser APIs that sharing needs, narrowed to what it uses, so tests can pass fakes.

/** The part of a BroadcastChannel sharing uses. A channel does not receive its own posts. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

export type ChannelFactory = (name: string) => ChannelLike;

/**
 * The part of `navigator.locks` sharing uses: `request(name, callback)` grants the exclusive
 * lock to one caller at a time, in request order; the lock is held until the promise returned
 * by the callback settles, or until the tab holding it closes or crashes.
 */
export interface LockManagerLike {
  request(name: string, callback: () => Promise<void>): Promise<void>;
}

/** The platform's Web Locks and BroadcastChannel, or null when either is missing. */
export function platformSharing(): { locks: LockManagerLike; channel: ChannelFactory } | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  const locks = nav?.locks;
  if (!locks || typeof locks.request !== 'function' || typeof globalThis.BroadcastChannel !== 'function') {
    return null;
  }
  return {
    locks: { request: (name, callback) => locks.request(name, callback) },
    channel: (name) => new BroadcastChannel(name) as unknown as ChannelLike,
  };
}
