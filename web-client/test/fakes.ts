import type { EventSourceLike, ProbeResult, Prober } from '../src/core/types.ts';

type Listener = (event: MessageEvent | Event) => void;

/** FakeEventSource: what the manager opened; the test drives it (open, events, errors). */
export class FakeEventSource implements EventSourceLike {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readyState = FakeEventSource.CONNECTING;
  closed = false;
  private readonly listeners_ = new Map<string, Listener[]>();

  constructor(
    readonly url: string,
    readonly withCredentials: boolean,
  ) {}

  addEventListener(type: string, listener: Listener): void {
    const list = this.listeners_.get(type) ?? [];
    list.push(listener);
    this.listeners_.set(type, list);
  }

  close(): void {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }

  get topics(): string[] {
    return (new URL(this.url, 'http://x').searchParams.get('topics') ?? '').split(',');
  }

  get lastEventIdParam(): string | null {
    return new URL(this.url, 'http://x').searchParams.get('lastEventId');
  }

  open(): void {
    this.readyState = FakeEventSource.OPEN;
    this.dispatch('open', new Event('open'));
  }

  /** Delivers one SSE event; `id` plays the role of the `id:` field. */
  emit(type: string, data: unknown, id = ''): void {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    this.dispatch(type, new MessageEvent(type, { data: text, lastEventId: id }));
  }

  ready(topics = this.topics, epoch = 'e1'): void {
    if (this.readyState !== FakeEventSource.OPEN) this.open();
    this.emit('ready', { epoch, topics });
  }

  /** A failed open (CLOSED) or a dropped connection the browser would retry (CONNECTING). */
  fail(readyState = FakeEventSource.CLOSED): void {
    this.readyState = readyState;
    this.dispatch('error', new Event('error'));
  }

  private dispatch(type: string, event: MessageEvent | Event): void {
    if (this.closed) return;
    for (const l of this.listeners_.get(type) ?? []) l(event);
  }
}

/** Records every EventSource the manager creates. */
export class EventSourceRecorder {
  readonly all: FakeEventSource[] = [];
  readonly factory = (url: string, init: { withCredentials: boolean }) => {
    const es = new FakeEventSource(url, init.withCredentials);
    this.all.push(es);
    return es;
  };

  get last(): FakeEventSource {
    const es = this.all[this.all.length - 1];
    if (!es) throw new Error('no EventSource was opened');
    return es;
  }

  get openCount(): number {
    return this.all.filter((es) => !es.closed).length;
  }
}

/**
 * A prober answering `next` (default: a network error), or, while `held` is set, keeping
 * each answer pending until the test calls one of the held resolvers.
 */
export class FakeProber {
  readonly calls: string[] = [];
  next: ProbeResult = { status: 0, body: null, retryAfterMs: null };
  held: Array<(r: ProbeResult) => void> | null = null;
  readonly probe: Prober = (url) => {
    this.calls.push(url);
    const held = this.held;
    if (held) return new Promise((resolve) => held.push(resolve));
    return Promise.resolve(this.next);
  };
}

/** Lets pending promise callbacks (the probe) run under fake timers. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
}
