// @vitest-environment happy-dom
import { StrictMode, act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamManager, type BroadcastData } from '../src/core/index.ts';
import { StreamProvider, useBroadcast, usePresence, useTyping, type Typing } from '../src/react/index.ts';
import { EventSourceRecorder, FakeProber } from './fakes.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let sources: EventSourceRecorder;
let posts: Array<{ topic: string; name: string; data: unknown }>;
let manager: StreamManager;
let root: Root;

beforeEach(() => {
  vi.useFakeTimers();
  sources = new EventSourceRecorder();
  posts = [];
  const fetchFn = (async (_url: string, init: RequestInit) => {
    posts.push(JSON.parse(String(init.body)));
    return new Response('{"delivered":"queued"}', { status: 202 });
  }) as unknown as typeof fetch;
  manager = new StreamManager({
    eventSource: sources.factory,
    probe: new FakeProber().probe,
    share: { key: 'u1' }, // no Web Locks here: an own stream, self = the key
    fetch: fetchFn,
  });
  root = createRoot(document.createElement('div'));
});
afterEach(() => {
  act(() => root.unmount());
  vi.useRealTimers();
});

function render(node: React.ReactNode): void {
  act(() => root.render(<StrictMode><StreamProvider manager={manager}>{node}</StreamProvider></StrictMode>));
}

function live(): void {
  act(() => vi.advanceTimersByTime(20));
  act(() => sources.last.ready());
}

const typing = (from: string, state: string) => ({ topic: 'chat:1', name: 'typing', from, data: { state } });

describe('live-room hooks', () => {
  it('usePresence holds the topic and marks the own subject', () => {
    // Invariant: the room's members render with self marked; the topic is streamed while mounted.
    let seen: ReturnType<typeof usePresence>;
    function Here() {
      seen = usePresence('chat:1');
      return null;
    }
    render(<Here />);
    live();
    expect(sources.last.topics).toEqual(['chat:1']);
    expect(seen).toBeUndefined();
    const state = [{ sub: 'u2', meta: { name: 'Bob' } }, { sub: 'u1', meta: {} }];
    act(() => sources.last.emit('presence', { topic: 'chat:1', state }));
    expect(seen!.members.map((m) => [m.sub, m.self])).toEqual([['u2', false], ['u1', true]]);
    act(() => sources.last.emit('presence', { topic: 'chat:1', count: 500 }));
    expect(seen!).toEqual({ members: [], count: 500 });
    act(() => root.render(null));
    act(() => vi.advanceTimersByTime(20));
    expect(sources.openCount).toBe(0);
  });

  it('useBroadcast calls the latest handler for its topic and name only', () => {
    // Invariant: a handler hears exactly the events it named.
    const heard: BroadcastData[] = [];
    function Listener() {
      useBroadcast('chat:1', 'thinking', (e) => heard.push(e));
      return null;
    }
    render(<Listener />);
    live();
    act(() => {
      sources.last.emit('broadcast', { topic: 'chat:1', name: 'thinking', from: 'agent', data: { state: 'start' } });
      sources.last.emit('broadcast', typing('u2', 'start'));
    });
    expect(heard.map((e) => e.from)).toEqual(['agent']);
  });

  it('useTyping publishes throttled starts and an idle stop, and lists other typists until they expire', async () => {
    // Invariant: input → start/stop on the wire; remote starts show until stop or expiry; self never.
    let t: Typing;
    function Input() {
      t = useTyping('chat:1', { throttleMs: 1000, idleMs: 1500, expireMs: 3000 });
      return null;
    }
    render(<Input />);
    live();
    act(() => {
      t.onInput();
      t.onInput();
    });
    await act(async () => {
      vi.advanceTimersByTime(1000);
      t.onInput();
      vi.advanceTimersByTime(1500);
    });
    expect(posts).toEqual([
      { topic: 'chat:1', name: 'typing', data: { state: 'start' } },
      { topic: 'chat:1', name: 'typing', data: { state: 'start' } },
      { topic: 'chat:1', name: 'typing', data: { state: 'stop' } },
    ]);
    act(() => {
      sources.last.emit('broadcast', typing('u1', 'start')); // our own echo
      sources.last.emit('broadcast', typing('u2', 'start'));
      sources.last.emit('broadcast', typing('u3', 'start'));
    });
    expect(t!.typing).toEqual(['u2', 'u3']);
    act(() => sources.last.emit('broadcast', typing('u3', 'stop')));
    expect(t!.typing).toEqual(['u2']);
    act(() => vi.advanceTimersByTime(3000));
    expect(t!.typing).toEqual([]);
    await act(async () => t.onInput());
    await act(async () => root.render(null)); // unmount while typing → stop
    expect(posts.map((p) => (p.data as { state: string }).state)).toEqual(['start', 'start', 'stop', 'start', 'stop']);
  });
});
