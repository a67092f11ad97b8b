import { useQuery } from '@tanstack/react-query';
import { StreamProvider, useStreamSubscription } from '../../src/react/index.ts';
import { fetchSession, type Session } from './api.ts';
import { ChatList } from './ChatList.tsx';
import { ChatView } from './ChatView.tsx';
import { ConnectionBadge } from './ConnectionBadge.tsx';
import { replicacheFor } from './replicache.ts';
import { managerFor } from './setup.ts';
import { ShareBadge } from './ShareBadge.tsx';
import { useChats } from './useChats.ts';
import { useHashChat } from './useHashChat.ts';

export function App() {
  const session = useQuery({ queryKey: ['session'], queryFn: fetchSession });
  if (session.isPending) return <p className="note">Loading…</p>;
  if (session.isError) return <p className="note">Cannot load the session: {String(session.error)}</p>;
  // The stream is shared by this user's tabs: the manager exists once the user is known.
  return (
    <StreamProvider manager={managerFor(session.data.user)}>
      <ChatApp session={session.data} />
    </StreamProvider>
  );
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
        <ShareBadge />
      </header>
      <nav>
        <ChatList chats={chats} selected={chatId} />
      </nav>
      <main>{chatId === null ? <p className="note">No chat yet.</p> : <ChatView key={chatId} chatId={chatId} />}</main>
    </div>
  );
}
