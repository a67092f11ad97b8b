import type { Timers } from './types.ts';

interface Env {
  document?: { visibilityState?: string };
  MessageChannel?: typeof MessageChannel;
}

type Handle = { task: true; cancelled: boolean } | { task: false; timer: unknown };

/**
 * Timers for the short waits of sharing (the batch window, a new leader's gather). Browsers
 * throttle the timers of a hidden tab to about one wake-up a second, and the leader is often a
 * hidden tab (the one opened first), so a follower's chat switch would wait for it. In a hidden
 * page a wait of at most `shortMs` (the 10 ms batch window) therefore runs as the next task (a
 * MessageChannel message, which is not throttled); longer waits use `base`: backoff, and a new
 * leader's gather (30 ms), which must leave the other tabs time to answer even if it takes a second.
 */
export function hiddenTabTimers(base: Timers, shortMs = 20, env: Env = globalThis as Env): Timers {
  const hidden = () => env.document?.visibilityState === 'hidden' && typeof env.MessageChannel === 'function';
  return {
    setTimeout(fn, ms): Handle {
      if (ms > shortMs || !hidden()) return { task: false, timer: base.setTimeout(fn, ms) };
      const handle: Handle = { task: true, cancelled: false };
      const channel = new env.MessageChannel!();
      channel.port1.onmessage = () => {
        channel.port1.close();
        if (!handle.cancelled) fn();
      };
      channel.port2.postMessage(null);
      channel.port2.close();
      return handle;
    },
    clearTimeout(handle) {
      const h = handle as Handle;
      if (h.task) h.cancelled = true;
      else base.clearTimeout(h.timer);
    },
  };
}
