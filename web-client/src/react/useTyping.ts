import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react';
import { TypingRoster } from '../core/typing-roster.ts';
import { TypingSender } from '../core/typing-sender.ts';
import type { Timers, Topic } from '../core/types.ts';
import { useBroadcast } from './useBroadcast.ts';
import { useStreamManager } from './useStreamManager.ts';

export interface TypingOptions {
  /** At most one `start` per this many ms while typing. Default 2000. */
  throttleMs?: number;
  /** `stop` after this much silence. Default 3000. */
  idleMs?: number;
  /** A remote typist without a `start` for this long is dropped. Default 6000. */
  expireMs?: number;
  /** For tests; pass a stable object (a new one per render restarts the indicator). */
  timers?: Timers;
  now?: () => number;
  /** A failed publish (e.g. 429); default: ignored, typing is best effort. */
  onError?: (error: unknown) => void;
}

export interface Typing {
  /** Subjects typing now, in the order they started; never this tab's own subject. */
  typing: readonly string[];
  /** Call on every input event of the message field. */
  onInput: () => void;
  /** Call when the message is sent or the field cleared; also runs on unmount. */
  stop: () => void;
}

/**
 * A typing indicator over `typing` broadcasts (`{"state":"start"|"stop"}`) on `topic`: this
 * tab's input publishes throttled starts and a stop after `idleMs` of silence; other subjects'
 * starts list them until their stop or `expireMs` without a start. Holds the topic while mounted.
 */
export function useTyping(topic: Topic | null | undefined, options: TypingOptions = {}): Typing {
  const manager = useStreamManager();
  const { throttleMs, idleMs, expireMs, timers, now, onError } = options;
  const roster = useMemo(
    () => new TypingRoster({ self: manager.selfSub, expireMs, timers }),
    [manager, topic, expireMs, timers],
  );
  const sender = useMemo(() => {
    if (!topic) return null;
    const report = onError ?? (() => {});
    return new TypingSender({
      publish: (state) => void manager.publish(topic, 'typing', { state }).catch(report),
      throttleMs,
      idleMs,
      timers,
      now,
    });
    // `onError` and `now` are taken when the sender is made (inline functions would remake it).
  }, [manager, topic, throttleMs, idleMs, timers]);
  useEffect(() => () => roster.clear(), [roster]);
  useEffect(() => () => sender?.stop(), [sender]);
  useBroadcast(topic, 'typing', roster.onBroadcast);
  const typing = useSyncExternalStore(roster.subscribe, roster.list, roster.list);
  const onInput = useCallback(() => sender?.onInput(), [sender]);
  const stop = useCallback(() => sender?.stop(), [sender]);
  return { typing, onInput, stop };
}
