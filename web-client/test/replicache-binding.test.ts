import { Replicache, type PullResponseV1, type PullerResult } from 'replicache';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamManager } from '../src/core/index.ts';
import { bindReplicache } from '../src/replicache/index.ts';
import { EventSourceRecorder, FakeEventSource, FakeProber } from './fakes.ts';

let sources: EventSourceRecorder;
let manager: StreamManager;
let rep: Replicache;
let pulls: number;
let titles: string[];
let unbind: () => void;

// A real Replicache (in-memory store) whose puller plays the demo's reset-strategy endpoint.
function makeReplicache(): Replicache {
  return new Replicache({
    name: `test-${Math.random()}`,
    kvStore: 'mem',
    pullInterval: null,
    logLevel: 'error',
    puller: async (): Promise<PullerResult> => {
      pulls += 1;
      const response: PullResponseV1 = {
        cookie: pulls,
        lastMutationIDChanges: {},
        patch: [{ op: 'clear' }, ...titles.map((t, i) => ({ op: 'put' as const, key: `chat/${i}`, value: t }))],
      };
      return { response, httpRequestInfo: { httpStatusCode: 200, errorMessage: '' } };
    },
  });
}

async function waitFor(check: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const scan = () => rep.query((tx) => tx.scan({ prefix: 'chat/' }).values().toArray());

beforeEach(async () => {
  sources = new EventSourceRecorder();
  manager = new StreamManager({ eventSource: sources.factory, probe: new FakeProber().probe, batchMs: 1 });
  pulls = 0;
  titles = ['Welcome'];
  rep = makeReplicache();
  unbind = bindReplicache(manager, rep, { kinds: ['org'] });
  manager.subscribe(['org:1', 'chat:42']);
  await waitFor(() => sources.all.length === 1);
  sources.last.ready();
  await waitFor(async () => (await scan()).length === 1);
  await quiet(); // Replicache's own start-up pull may still be in flight
});

/** Waits until no pull has started for 150 ms. */
async function quiet(): Promise<void> {
  let last = -1;
  while (last !== pulls) {
    last = pulls;
    await new Promise((r) => setTimeout(r, 150));
  }
}
afterEach(async () => {
  unbind();
  manager.dispose();
  await rep.close();
});

describe('Replicache binding', () => {
  it('pulls on a fresh ready and on a poke, and Replicache applies the patch', async () => {
    // Invariant: a poke of a Replicache topic brings the server's new state into the client.
    const before = pulls;
    titles = ['Welcome', 'Agent playground'];
    sources.last.emit('poke', { topic: 'org:1' }, 'e-1');
    await waitFor(async () => (await scan()).length === 2);
    expect(await scan()).toEqual(['Welcome', 'Agent playground']);
    expect(pulls).toBe(before + 1);
  });

  it('coalesces a burst of pokes into far fewer pulls', async () => {
    // Invariant: pokes do not become one request each (Replicache coalesces pull()).
    const before = pulls;
    titles = ['A', 'B', 'C'];
    for (let i = 0; i < 20; i++) sources.last.emit('poke', { topic: 'org:1' }, `e-${i}`);
    await waitFor(async () => (await scan()).length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(pulls - before).toBeGreaterThanOrEqual(1);
    expect(pulls - before).toBeLessThanOrEqual(2);
  });

  it('pulls on resync of its topics and ignores other kinds', async () => {
    // Invariant: only the configured kinds trigger pulls; a resync of them does.
    const before = pulls;
    sources.last.emit('poke', { topic: 'chat:42' }, 'e-5');
    sources.last.emit('resync', { topics: ['chat:42'], reason: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    expect(pulls).toBe(before);
    titles = [];
    sources.last.emit('resync', { topics: ['chat:42', 'org:1'], reason: 'listener-reconnected' });
    await waitFor(async () => (await scan()).length === 0);
    expect(pulls).toBe(before + 1);
  });

  it('does not pull on a resumed ready (the server resyncs instead)', async () => {
    // Invariant: a resumed stream's ready alone causes no pull.
    sources.last.emit('poke', { topic: 'org:1' }, 'e-9');
    await quiet();
    const before = pulls;
    sources.last.fail(FakeEventSource.CONNECTING);
    await waitFor(() => sources.all.length === 2, 5000);
    expect(sources.last.lastEventIdParam).toBe('e-9');
    sources.last.ready();
    await new Promise((r) => setTimeout(r, 100));
    expect(pulls).toBe(before);
  });
});

