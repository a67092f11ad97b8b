import { useQuery } from '@tanstack/react-query';
import { useStreamSubscription } from '../../src/react/index.ts';
import { fetchSession, type Session } from './api.ts';
import { ChatList } from './ChatList.tsx';
import { ChatView } from './ChatView.tsx';
import { ConnectionBadge } from './ConnectionBadge.tsx';
import { replicacheFor } from './replicache.ts';
import { useChats } from './useChats.ts';
import { useHashChat } from './useHashChat.ts';

export function App() {
  const session = useQuery({ queryKey: ['session'], queryFn: fetchSession });
  if (session.isPending) return <p className="note">Loading…</p>;
  if (session.isError) return <p className="note">Cannot load the session: {String(session.error)}</p>;
  return <ChatApp session={session.data} />;
}

function ChatApp({ session }: { session: Session }) {
  const rep = replicacheFor(session.user);
  const chats = useChats(rep);
  const hashChat = useHashChat();
  const chatId = hashChat ?? chats?.[0]?.id ?? null;
  // The org's conversation list is a poke topic: pokes make Replicache pull.
  useStreamSubscription(`org:${session.org}`);
  return (
    <div className="layout">
      <header>
        <h1>deltacast chat</h1>
        <span className="who">
          {session.user} · org {session.org}
        </span>
        <ConnectionBadge />
      </header>
      <nav>
        <ChatList chats={chats} selected={chatId} />
      </nav>
      <main>{chatId === null ? <p className="note">No chat yet.</p> : <ChatView key={chatId} chatId={chatId} />}</main>
    </div>
  );
}
