// The tab's singletons: one StreamManager and one Replicache per user, one QueryClient, and
// the bindings between them. Created once per page load, outside React.
import { QueryClient } from '@tanstack/react-query';
import { Replicache } from 'replicache';
import { StreamManager } from '../../src/core/index.ts';
import { bindQueryClient, type EntityMapping } from '../../src/query/index.ts';
import { bindReplicache } from '../../src/replicache/index.ts';
import { messagesKey, type Message } from './api.ts';

export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 } },
});

const bySeq = (a: Message, b: Message) => a.seq - b.seq || a.id - b.id;

export const chatMessages: EntityMapping<Message> = {
  entity: 'ChatMessageContent',
  topicKind: 'chat',
  shape: 'list',
  queryKey: (topic) => messagesKey(Number(topic.slice('chat:'.length))),
  compare: bySeq,
  snapshot: true, // deltacast.example.toml's chat kind has a snapshot query
};

const managers = new Map<string, StreamManager>();

/**
 * The tab's StreamManager for `user`. The share key is the user, so this user's tabs share
 * one stream and another user's tabs (another browser profile) never join it.
 */
export function managerFor(user: string): StreamManager {
  let manager = managers.get(user);
  if (!manager) {
    manager = new StreamManager({ url: '/api/sse/stream', share: { key: user } });
    bindQueryClient(manager, queryClient, [chatMessages]);
    managers.set(user, manager);
  }
  return manager;
}

export function createReplicache(user: string): Replicache {
  const rep = new Replicache({
    name: `deltacast-demo-${user}`,
    pullURL: '/api/replicache/pull',
    pullInterval: null, // pokes drive the pulls
    logLevel: 'error',
  });
  bindReplicache(managerFor(user), rep, { kinds: ['org'] });
  return rep;
}
