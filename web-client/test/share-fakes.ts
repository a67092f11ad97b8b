import type { ChannelFactory, ChannelLike, LockManagerLike } from '../src/core/index.ts';

interface Request {
  owner: string;
  callback: () => Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * FakeLockHub: Web Locks for several fake tabs. Exclusive locks granted in request order, in a
 * microtask like the browser; `crash(tab)` releases every lock the tab holds and forgets its
 * queued requests, as closing or crashing a tab does.
 */
export class FakeLockHub {
  private readonly held_ = new Map<string, { owner: string; grant: number }>();
  private readonly queues_ = new Map<string, Request[]>();
  private grants_ = 0;

  forTab(owner: string): LockManagerLike {
    return {
      request: (name, callback) =>
        new Promise<void>((resolve, reject) => {
          const queue = this.queues_.get(name) ?? [];
          queue.push({ owner, callback, resolve, reject });
          this.queues_.set(name, queue);
          queueMicrotask(() => this.pump(name));
        }),
    };
  }

  holder(name: string): string | null {
    return this.held_.get(name)?.owner ?? null;
  }

  crash(owner: string): void {
    for (const [name, queue] of this.queues_) this.queues_.set(name, queue.filter((r) => r.owner !== owner));
    for (const [name, h] of [...this.held_]) {
      if (h.owner !== owner) continue;
      this.held_.delete(name);
      queueMicrotask(() => this.pump(name));
    }
  }

  private pump(name: string): void {
    if (this.held_.has(name)) return;
    const next = this.queues_.get(name)?.shift();
    if (!next) return;
    const grant = ++this.grants_;
    this.held_.set(name, { owner: next.owner, grant });
    const done = () => {
      if (this.held_.get(name)?.grant !== grant) return; // crashed meanwhile
      this.held_.delete(name);
      next.resolve();
      this.pump(name);
    };
    next.callback().then(done, (e) => {
      next.reject(e);
      done();
    });
  }
}

interface FakeChannel extends ChannelLike {
  owner: string;
  name: string;
  closed: boolean;
  deliver(data: unknown): void;
}

/**
 * FakeChannelHub: BroadcastChannels of several fake tabs. A post reaches every other open
 * channel of the same name, structured-cloned, in a microtask, in order; `log` keeps each post.
 * `dropNextTo(tab)` loses the next message to a tab (a relay interrupted).
 */
export class FakeChannelHub {
  readonly log: Array<{ owner: string; name: string; message: unknown }> = [];
  private readonly channels_: FakeChannel[] = [];
  private readonly drops_ = new Map<string, number>();

  factory(owner: string): ChannelFactory {
    return (name) => {
      const listeners: Array<(ev: { data: unknown }) => void> = [];
      const channel: FakeChannel = {
        owner,
        name,
        closed: false,
        postMessage: (message) => {
          if (channel.closed) throw new Error('posted to a closed channel');
          this.log.push({ owner, name, message });
          const copy = structuredClone(message);
          for (const other of this.channels_) {
            if (other === channel || other.closed || other.name !== name) continue;
            const drops = this.drops_.get(other.owner) ?? 0;
            if (drops > 0) {
              this.drops_.set(other.owner, drops - 1);
              continue;
            }
            queueMicrotask(() => other.deliver(copy));
          }
        },
        addEventListener: (_type, listener) => listeners.push(listener),
        close: () => {
          channel.closed = true;
        },
        deliver: (data) => {
          if (!channel.closed) for (const l of listeners) l({ data });
        },
      };
      this.channels_.push(channel);
      return channel;
    };
  }

  dropNextTo(owner: string, count = 1): void {
    this.drops_.set(owner, count);
  }

  crash(owner: string): void {
    for (const c of this.channels_) if (c.owner === owner) c.closed = true;
  }
}
