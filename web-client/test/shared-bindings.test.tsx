// @vitest-environment happy-dom
import { QueryClient } from '@tanstack/query-core';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bindQueryClient } from '../src/query/index.ts';
import { StreamProvider, useStreamSubscription } from '../src/react/index.ts';
import { bindReplicache } from '../src/replicache/index.ts';
import { FakeBrowser, step } from './shared-helpers.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let browser: FakeBrowser;

beforeEach(() => {
  vi.useFakeTimers();
  browser = new FakeBrowser();
});
afterEach(() => {
  vi.useRealTimers();
});

type Msg = { id: number; version: number; body: string };

function Chat({ id }: { id: number }) {
  return <span id="status">{useStreamSubscription(`chat:${id}`)}</span>;
}

describe('the bindings in a follower tab', () => {
  it('React, TanStack Query and Replicache work unchanged on a shared stream', async () => {
    // Invariant: a follower's hooks and bindings see what they would see on a stream of their own.
    const a = browser.tab('a');
    a.m.subscribe('org:1');
    await step();
    browser.only().ready();
    browser.only().emit('poke', { topic: 'org:1' }, 'e1-1');
    await step();

    const b = browser.tab('b');
    const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    client.setQueryData(['chat', 2], [{ id: 1, version: 1, body: 'fetched' }]);
    bindQueryClient(b.m, client, [{ entity: 'M', topicKind: 'chat', shape: 'list', queryKey: (t) => ['chat', Number(t.slice(5))] }], {
      scheduleFrame: (f) => f(),
      random: () => 0.5,
    });
    let pulls = 0;
    bindReplicache(b.m, { pull: () => void (pulls += 1) }, { kinds: ['org'] });
    const container = document.createElement('div');
    const root = createRoot(container);
    act(() =>
      root.render(
        <StreamProvider manager={b.m}>
          <Chat id={2} />
        </StreamProvider>,
      ),
    );
    const unsubscribeOrg = b.m.subscribe('org:1');
    await act(() => step());
    expect(container.textContent).toBe('pending');
    const stream = browser.only();
    expect(stream.topics).toEqual(['chat:2', 'org:1']);
    expect(stream.lastEventIdParam).toBe('e1-1');
    await act(async () => {
      stream.ready();
      await step();
    });
    expect(container.textContent).toBe('live');
    expect(pulls).toBe(0); // a resumed ready: the server replays or resyncs, no pull needed

    stream.emit('entity-upsert', { topic: 'chat:2', entity: 'M', rows: [{ id: 1, version: 2, body: 'streamed' }] }, 'e1-2');
    stream.emit('poke', { topic: 'org:1' }, 'e1-3');
    await step();
    expect(client.getQueryData<Msg[]>(['chat', 2])).toEqual([{ id: 1, version: 2, body: 'streamed' }]);
    expect(pulls).toBe(1);
    stream.emit('resync', { topics: ['chat:2'], reason: 'listener-reconnected' });
    await step(20); // past the 250 ms jitter
    expect(client.getQueryState(['chat', 2])?.isInvalidated).toBe(true);
    unsubscribeOrg();
    act(() => root.unmount());
  });
});
