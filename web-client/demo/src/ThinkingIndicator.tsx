import { useEffect, useState } from 'react';
import { useBroadcast } from '../../src/react/index.ts';

/** A lost `stop` (the agent crashed, the stream dropped) must not leave the indicator on. */
const SAFETY_MS = 30_000;

/**
 * "Agent is thinking…": shown from the agent's `thinking` `{"state":"start"}` broadcast until its
 * `{"state":"stop"}` (sent after the last token), or for at most 30 s.
 */
export function ThinkingIndicator({ topic }: { topic: string }) {
  const [since, setSince] = useState<number | null>(null);
  useBroadcast(topic, 'thinking', (e) => {
    if (e.from !== 'agent') return;
    const state = (e.data as { state?: unknown } | null)?.state;
    if (state === 'start') setSince(Date.now());
    else if (state === 'stop') setSince(null);
  });
  useEffect(() => {
    if (since === null) return undefined;
    const timer = setTimeout(() => setSince(null), SAFETY_MS);
    return () => clearTimeout(timer);
  }, [since]);
  if (since === null) return null;
  return (
    <p className="thinking" data-testid="thinking-indicator">
      Agent is thinking…
    </p>
  );
}
