import type { ChatSummary } from './api.ts';

export function ChatList({ chats, selected }: { chats: ChatSummary[] | null; selected: number | null }) {
  if (chats === null) return <p className="note">Loading conversations…</p>;
  return (
    <ul className="chats" data-testid="chats">
      {chats.map((c) => (
        <li key={c.id}>
          <a href={`#/chat/${c.id}`} data-chat-id={c.id} className={c.id === selected ? 'selected' : undefined}>
            <strong>{c.title}</strong>
            <small>{c.lastBody}</small>
          </a>
        </li>
      ))}
    </ul>
  );
}
