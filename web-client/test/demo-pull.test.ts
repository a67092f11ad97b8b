import { describe, expect, it } from 'vitest';
import { pullResponse } from '../demo/lib/pull.mjs';

const row = (id: number, updated: string, activity = updated) => ({
  id: String(id),
  title: `chat ${id}`,
  org_id: '1',
  updated_at: new Date(updated),
  activity_at: new Date(activity),
  last_body: 'hi',
});

describe('demo Replicache pull endpoint (reset strategy)', () => {
  const rows = [row(42, '2026-01-01T00:00:00Z', '2026-01-01T00:00:05Z'), row(43, '2026-01-01T00:00:01Z')];
  const newest = Date.parse('2026-01-01T00:00:05Z');

  it('returns the whole list with the newest activity as cookie', () => {
    // Invariant: a client behind gets clear + every chat, and a cookie that covers message activity.
    const out = pullResponse({ pullVersion: 1, cookie: null }, rows);
    expect(out.status).toBe(200);
    expect(out.body.cookie).toBe(newest);
    expect(out.body.patch!.map((p: { op: string; key?: string }) => p.key ?? p.op)).toEqual(['clear', 'chat/42', 'chat/43']);
  });

  it('answers an up-to-date client with an empty patch', () => {
    // Invariant: an unchanged cookie never comes with a patch (Replicache rejects that).
    expect(pullResponse({ pullVersion: 1, cookie: newest }, rows).body.patch).toEqual([]);
  });

  it('never moves a client cookie backwards', () => {
    // Invariant: cookies only grow (Replicache throws on an older one), even after a database reset.
    const out = pullResponse({ pullVersion: 1, cookie: newest + 1000 }, rows);
    expect(out.body.cookie).toBe(newest + 1001);
    expect(out.body.patch).toHaveLength(3);
  });

  it('refuses other pull versions', () => {
    // Invariant: a client speaking another protocol version gets VersionNotSupported.
    expect(pullResponse({ pullVersion: 0 }, rows)).toMatchObject({ status: 400, body: { error: 'VersionNotSupported' } });
  });
});
