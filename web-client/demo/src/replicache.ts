import type { Replicache } from 'replicache';
import { createReplicache } from './setup.ts';

const instances = new Map<string, Replicache>();

/** One Replicache per user per tab (not per render: StrictMode renders twice). */
export function replicacheFor(user: string): Replicache {
  let rep = instances.get(user);
  if (!rep) {
    rep = createReplicache(user);
    instances.set(user, rep);
  }
  return rep;
}
