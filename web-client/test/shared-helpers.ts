import { vi } from 'vitest';
import {
  StreamManager,
  type ShareOptions,
  type StreamEventMap,
  type StreamEventType,
  type StreamManagerOptions,
} from '../src/core/index.ts';
import { EventSourceRecorder, type FakeEventSource, FakeProber, settle } from './fakes.ts';
import { FakeChannelHub, FakeLockHub } from './share-fakes.ts';

/** One fake tab: its manager, the EventSources it opened, and every event it emitted. */
export interface Tab {
  id: string;
  m: StreamManager;
  sources: EventSourceRecorder;
  seen: Array<[StreamEventType, unknown]>;
}

/** A fake browser: tabs sharing fake locks and channels, one prober answering for all. */
export class FakeBrowser {
  readonly locks = new FakeLockHub();
  readonly channels = new FakeChannelHub();
  readonly prober = new FakeProber();
  readonly tabs: Tab[] = [];
  readonly errors: unknown[] = [];

  tab(id: string, share: Partial<ShareOptions> = {}, options: Partial<StreamManagerOptions> = {}): Tab {
    const sources = new EventSourceRecorder();
    const m = new StreamManager({
      eventSource: sources.factory,
      probe: this.prober.probe,
      backoff: { baseMs: 1000, random: () => 0.5 },
      timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) },
      onError: (e) => this.errors.push(e),
      share: {
        key: 'u1',
        locks: this.locks.forTab(id),
        channel: this.channels.factory(id),
        tabId: id,
        gatherMs: 30,
        ...share,
      },
      ...options,
    });
    const seen: Tab['seen'] = [];
    const types: StreamEventType[] = [
      'ready', 'entity-upsert', 'entity-delete', 'poke', 'resync', 'revoked', 'presence', 'broadcast',
    ];
    for (const type of types) m.on(type, (d: StreamEventMap[typeof type]) => seen.push([type, d]));
    const tab = { id, m, sources, seen };
    this.tabs.push(tab);
    return tab;
  }

  /** Closes a tab the hard way: its locks are released, its channel and EventSources die. */
  crash(tab: Tab): void {
    this.locks.crash(tab.id);
    this.channels.crash(tab.id);
    for (const es of tab.sources.all) es.close();
  }

  /** Every EventSource of every tab that is still open. */
  openStreams(): FakeEventSource[] {
    return this.tabs.flatMap((t) => t.sources.all.filter((es) => !es.closed));
  }

  only(): FakeEventSource {
    const open = this.openStreams();
    if (open.length !== 1) throw new Error(`${open.length} open streams, expected 1`);
    return open[0]!;
  }
}

/** Lets lock grants, channel deliveries and the batch / gather timers run. */
export async function step(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await settle();
    vi.advanceTimersByTime(20);
  }
  await settle();
}

export function eventsOf(tab: Tab, type: StreamEventType): unknown[] {
  return tab.seen.filter(([t]) => t === type).map(([, d]) => d);
}
