// The demo app's REST calls (served by demo/server.mjs).

export interface Session {
  user: string;
  org: number;
}

export interface Message {
  id: number;
  chat_id: number;
  seq: number;
  role: 'user' | 'agent';
  body: string;
  done: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ChatSummary {
  id: number;
  title: string;
  orgId: number;
  updatedAt: number;
  lastBody: string;
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const fetchSession = () => call<Session>('/api/session');

export const fetchMessages = (chatId: number) => call<Message[]>(`/api/chats/${chatId}/messages`);

export const askAgent = (chatId: number, prompt: string) =>
  call<{ queued: boolean }>(`/api/chats/${chatId}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });

export const messagesKey = (chatId: number) => ['chat', chatId, 'messages'] as const;
