import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useStreamSubscription, useTyping, type Typing } from '../../src/react/index.ts';
import { askAgent, fetchMessages, messagesKey } from './api.ts';
import { PresenceList } from './PresenceList.tsx';
import { ThinkingIndicator } from './ThinkingIndicator.tsx';
import { TypingLine } from './TypingLine.tsx';

/**
 * One chat: its history from a fetch, then live rows from the chat topic (the stream's
 * snapshot or resync covers the time between the fetch and `ready`), plus its live room: who is
 * here, who is typing, whether the agent is thinking (ephemeral, SPEC §8).
 */
export function ChatView({ chatId }: { chatId: number }) {
  const topic = `chat:${chatId}`;
  const live = useStreamSubscription(topic);
  const typing = useTyping(topic);
  const messages = useQuery({ queryKey: messagesKey(chatId), queryFn: () => fetchMessages(chatId) });
  return (
    <section className="chat" data-testid="chat" data-chat-id={chatId} data-live={live}>
      <PresenceList topic={topic} />
      {messages.isError && <p className="note">Cannot load messages: {String(messages.error)}</p>}
      <ul className="messages" data-testid="messages">
        {messages.data?.map((m) => (
          <li key={m.id} className={m.role} data-message-id={m.id} data-role={m.role} data-done={String(m.done)}>
            <span className="role">{m.role === 'agent' ? 'agent' : 'you'}</span>
            <span className="body">{m.body}</span>
            {!m.done && <span className="cursor" aria-hidden="true" />}
          </li>
        ))}
      </ul>
      <ThinkingIndicator topic={topic} />
      <TypingLine typing={typing.typing} />
      <AskForm chatId={chatId} typing={typing} />
    </section>
  );
}

function AskForm({ chatId, typing }: { chatId: number; typing: Typing }) {
  const [prompt, setPrompt] = useState('Explain how deltacast streams a reply');
  const ask = useMutation({ mutationFn: (text: string) => askAgent(chatId, text) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    typing.stop();
    if (prompt.trim() !== '') ask.mutate(prompt);
  };
  return (
    <form className="ask" onSubmit={submit}>
      <input
        aria-label="prompt"
        value={prompt}
        onChange={(e) => {
          setPrompt(e.target.value);
          typing.onInput(); // the other people in the chat see "… is typing"
        }}
        onBlur={typing.stop}
        maxLength={2000}
      />
      <button type="submit" disabled={ask.isPending}>
        Ask the agent
      </button>
      {ask.isError && <span className="note">{String(ask.error)}</span>}
    </form>
  );
}
