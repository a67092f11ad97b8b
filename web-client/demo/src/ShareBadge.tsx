import { useSyncExternalStore } from 'react';
import { useStreamManager } from '../../src/react/index.ts';

const LABELS = { leader: 'leader', follower: 'shared', alone: 'own stream' } as const;

/** Whether this tab holds the user's stream (`leader`), shares another tab's (`shared`), or has its own. */
export function ShareBadge() {
  const manager = useStreamManager();
  const role = useSyncExternalStore(manager.subscribeState, () => manager.shareRole());
  const label = LABELS[role];
  return (
    <span className={`badge share ${label}`} data-testid="share-role" data-role={label === 'own stream' ? 'alone' : label}>
      {label}
    </span>
  );
}
