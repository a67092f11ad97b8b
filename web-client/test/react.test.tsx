// @vitest-environment happy-dom
import { StrictMode, act, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamManager } from '../src/core/index.ts';
import {
  StreamProvider,
  useStreamState,
  useStreamSubscription,
  type SubscriptionStatus,
} from '../src/react/index.ts';
import { EventSourceRecorder, FakeProber } from './fakes.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let sources: EventSourceRecorder;
let manager: StreamManager;
let root: Root;
let container: HTMLElement;

beforeEach(() => {
  vi.useFakeTimers();
  sources = new EventSourceRecorder();
  manager = new StreamManager({ eventSource: sources.factory, probe: new FakeProber().probe });
  container = document.createElement('div');
  root = createRoot(container);
});
afterEach(() => {
  act(() => root.unmount());
  vi.useRealTimers();
});

const statuses: SubscriptionStatus[] = [];

function Chat({ id }: { id: number }) {
  const status = useStreamSubscription(['org:1', `chat:${id}`]);
  statuses.push(status);
  return <span id="status">{status}</span>;
}

function StateView() {
  const state = useStreamState();
  return <span id="state">{state.status}</span>;
}

let setChat: (id: number) => void = () => {};
function App() {
  const [chat, set] = useState(42);
  setChat = set;
  return (
    <StrictMode>
      <StreamProvider manager={manager}>
        <Chat id={chat} />
        <Chat id={chat} />
        <StateView />
      </StreamProvider>
    </StrictMode>
  );
}

function text(id: string): string | undefined {
  return container.querySelector(`#${id}`)?.textContent ?? undefined;
}

describe('React bindings', () => {
  it('opens exactly one stream under StrictMode and reports it live after ready', () => {
    // Invariant: StrictMode's double mount and two subscribers of one topic give one EventSource.
    act(() => root.render(<App />));
    act(() => vi.advanceTimersByTime(20));
    expect(sources.all).toHaveLength(1);
    expect(sources.last.topics).toEqual(['chat:42', 'org:1']);
    expect(text('status')).toBe('pending');
    expect(text('state')).toBe('connecting');
    act(() => sources.last.ready());
    expect(text('status')).toBe('live');
    expect(text('state')).toBe('open');
  });

  it('switches topics with one reopen and closes the stream on unmount', () => {
    // Invariant: a re-render with other topics is one reopen; unmounting leaves no stream.
    act(() => root.render(<App />));
    act(() => vi.advanceTimersByTime(20));
    act(() => sources.last.ready());
    act(() => setChat(43));
    act(() => vi.advanceTimersByTime(20));
    expect(sources.all).toHaveLength(2);
    expect(sources.all[0]?.closed).toBe(true);
    expect(sources.last.topics).toEqual(['chat:43', 'org:1']);
    expect(text('status')).toBe('pending');
    act(() => root.render(<div />));
    act(() => vi.advanceTimersByTime(20));
    expect(sources.openCount).toBe(0);
    expect(manager.getState()).toEqual({ status: 'closed', reason: { kind: 'idle' } });
  });

  it('does not re-render or resubscribe for an equal inline topic array', () => {
    // Invariant: topics are compared by value, so re-renders do not churn the stream.
    act(() => root.render(<App />));
    act(() => vi.advanceTimersByTime(20));
    act(() => root.render(<App />));
    act(() => vi.advanceTimersByTime(20));
    expect(sources.all).toHaveLength(1);
  });

  it('creates its own manager lazily when none is given', () => {
    // Invariant: a provider without a manager still yields one stream under StrictMode.
    const made: string[] = [];
    const factory = (url: string) => {
      made.push(url);
      return sources.factory(url, { withCredentials: false });
    };
    function Own() {
      return (
        <StrictMode>
          <StreamProvider options={{ eventSource: factory }}>
            <Chat id={7} />
          </StreamProvider>
        </StrictMode>
      );
    }
    act(() => root.render(<Own />));
    act(() => vi.advanceTimersByTime(20));
    expect(made).toEqual(['/api/sse/stream?topics=chat:7,org:1']);
  });
});
