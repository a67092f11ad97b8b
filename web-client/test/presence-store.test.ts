import { describe, expect, it } from 'vitest';
import { PresenceStore } from '../src/core/index.ts';

const T = 'chat:42';

describe('PresenceStore', () => {
  it('applies a state, then diffs (joins before leaves), and marks self', () => {
    // Invariant: members equal the last state with every later diff applied, in order.
    const store = new PresenceStore('u1');
    store.apply({ topic: T, state: [{ sub: 'u1', meta: { name: 'Ada' } }, { sub: 'u2', meta: {} }] });
    expect(store.get(T)).toEqual({
      members: [
        { sub: 'u1', meta: { name: 'Ada' }, self: true },
        { sub: 'u2', meta: {}, self: false },
      ],
    });
    store.apply({ topic: T, joins: [{ sub: 'u3', meta: { name: 'Cy' } }], leaves: [{ sub: 'u2' }] });
    store.apply({ topic: T, joins: [{ sub: 'u1', meta: { name: 'Ada L.' } }] }); // meta update
    store.apply({ topic: T, leaves: [{ sub: 'nobody' }] });
    expect(store.get(T)?.members.map((m) => [m.sub, m.meta['name']])).toEqual([
      ['u1', 'Ada L.'],
      ['u3', 'Cy'],
    ]);
    store.apply({ topic: T, state: [{ sub: 'u4' }] }); // a state replaces everything; meta defaults to {}
    expect(store.get(T)).toEqual({ members: [{ sub: 'u4', meta: {}, self: false }] });
  });

  it('shows count only above the member limit, ignores diffs then, and lists again on a state', () => {
    // Invariant: a count replaces the list; a diff cannot be applied to a count.
    const store = new PresenceStore('u1');
    store.apply({ topic: T, state: [{ sub: 'u1' }] });
    store.apply({ topic: T, count: 1503 });
    expect(store.get(T)).toEqual({ members: [], count: 1503 });
    expect(store.apply({ topic: T, joins: [{ sub: 'u9' }] })).toBe(false);
    expect(store.snapshot(T)).toEqual({ topic: T, count: 1503 });
    store.apply({ topic: T, state: [{ sub: 'u9', meta: {} }] });
    expect(store.get(T)).toEqual({ members: [{ sub: 'u9', meta: {}, self: false }] });
    expect(store.snapshot(T)).toEqual({ topic: T, state: [{ sub: 'u9', meta: {} }] });
  });

  it('keeps the view object while nothing changes and notifies per topic', () => {
    // Invariant: useSyncExternalStore snapshots are stable; listeners hear only their topic.
    const store = new PresenceStore(null);
    let calls = 0;
    let other = 0;
    store.subscribe(T, () => calls++);
    store.subscribe('chat:7', () => other++);
    store.apply({ topic: T, state: [{ sub: 'u1', meta: {} }] });
    const view = store.get(T);
    expect(store.apply({ topic: T, state: [{ sub: 'u1', meta: {} }] })).toBe(false);
    expect(store.apply({ topic: T, joins: [] })).toBe(false);
    expect(store.get(T)).toBe(view);
    store.delete(T);
    expect(store.get(T)).toBeUndefined();
    expect([calls, other]).toEqual([2, 0]);
  });

  it('ignores malformed events and members without a sub', () => {
    // Invariant: bad input never throws and never invents a member.
    const store = new PresenceStore(null);
    expect(store.apply({ topic: T } as never)).toBe(false);
    expect(store.apply(null as never)).toBe(false);
    store.apply({ topic: T, state: [{ meta: {} } as never, { sub: 'u2', meta: [] as never }] });
    expect(store.get(T)).toEqual({ members: [{ sub: 'u2', meta: {}, self: false }] });
  });
});
