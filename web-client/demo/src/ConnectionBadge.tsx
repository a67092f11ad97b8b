import type { ConnectionState } from '../../src/core/index.ts';
import { useStreamManager, useStreamState } from '../../src/react/index.ts';

function describe(state: ConnectionState): string {
  switch (state.status) {
    case 'open':
      return `live: ${state.topics.join(', ')}`;
    case 'connecting':
      return 'connecting…';
    case 'reconnecting':
      return `reconnecting in ${Math.round(state.delayMs / 100) / 10} s (${state.error})`;
    case 'closed':
      switch (state.reason.kind) {
        case 'forbidden':
          return `forbidden: ${state.reason.topics.join(', ')}`;
        case 'unauthorized':
          return 'signed out: reload the page';
        default:
          return `closed (${state.reason.kind})`;
      }
  }
}

export function ConnectionBadge() {
  const state = useStreamState();
  const manager = useStreamManager();
  const detail = state.status === 'closed' ? state.reason.kind : state.status;
  return (
    <span className={`badge ${state.status}`} data-testid="connection" data-status={state.status} data-detail={detail}>
      {describe(state)}
      {state.status === 'closed' && state.reason.kind !== 'idle' && (
        <button type="button" onClick={() => manager.reconnect()}>
          retry
        </button>
      )}
    </span>
  );
}
