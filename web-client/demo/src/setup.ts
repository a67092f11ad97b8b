// The tab's singletons: one StreamManager, one QueryClient, one Replicache, and the
// bindings between them. Created once per page load, outside React.
import { QueryClient } from '@tanstack/react-query';
import { Replicache } from 'replicache';
import { StreamManager } from '../../src/core/index.ts';
import { bindQueryClient, type EntityMapping } from '../../src/query/index.ts';
import { bindReplicache } from '../../src/replicache/index.ts';
import { messagesKey, type Message } from './api.ts';

export const manager = new StreamManager({ url: '/api/sse/stream' });

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

bindQueryClient(manager, queryClient, [chatMessages]);

export function createReplicache(user: string): Replicache {
  const rep = new Replicache({
    name: `deltacast-demo-${user}`,
    pullURL: '/api/replicache/pull',
    pullInterval: null, // pokes drive the pulls
    logLevel: 'error',
  });
  bindReplicache(manager, rep, { kinds: ['org'] });
  return rep;
}
