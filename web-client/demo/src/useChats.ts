import { useEffect, useState } from 'react';
import type { Replicache } from 'replicache';
import type { ChatSummary } from './api.ts';

/** The org's conversations from Replicache (`chat/<id>` keys), newest activity first. */
export function useChats(rep: Replicache): ChatSummary[] | null {
  const [chats, setChats] = useState<ChatSummary[] | null>(null);
  useEffect(
    () =>
      rep.subscribe(
        async (tx) => (await tx.scan({ prefix: 'chat/' }).values().toArray()) as unknown as ChatSummary[],
        {
          onData: (list) => setChats([...list].sort((a, b) => b.updatedAt - a.updatedAt || a.id - b.id)),
        },
      ),
    [rep],
  );
  return chats;
}
