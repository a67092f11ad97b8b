import type pg from 'pg';
import { Replicache } from 'replicache';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signSession } from '../demo/lib/session.mjs';
import { connect, createChat } from './db.ts';

const baseUrl = inject('baseUrl');
let db: pg.Client;

beforeAll(async () => {
  db = await connect(inject('pgEnv'));
});
afterAll(async () => {
  await db?.end();
});

type Chat = { id: number; title: string; updatedAt: number };

describe("the demo's Replicache pull endpoint", () => {
  it('serves a real Replicache the org conversation list, and a later pull sees changes', async () => {
    // Invariant: pull brings the member's chats (and only those) and a change after a pull.
    const mine = await createChat(db, 'e2e pull mine');
    const { rows } = await db.query<{ id: string }>(
      "INSERT INTO chats (id, org_id, title) SELECT max(id) + 1, 1, 'e2e pull not mine' FROM chats RETURNING id",
    );
    const notMine = Number(rows[0]!.id);
    const rep = new Replicache({
      name: `e2e-pull-${Date.now()}`,
      kvStore: 'mem',
      pullURL: `${baseUrl}/api/replicache/pull`,
      auth: `Bearer ${signSession(inject('secret'), 'u1', 1)}`,
      pullInterval: null,
      logLevel: 'error',
    });
    const chats = () => rep.query((tx) => tx.scan({ prefix: 'chat/' }).values().toArray()) as Promise<Chat[]>;
    try {
      await rep.pull({ now: true });
      let ids = (await chats()).map((c) => c.id);
      expect(ids).toContain(mine);
      expect(ids).not.toContain(notMine);

      await db.query("UPDATE chats SET title = 'renamed', updated_at = now() WHERE id = $1", [mine]);
      await rep.pull({ now: true });
      expect((await chats()).find((c) => c.id === mine)?.title).toBe('renamed');
      ids = (await chats()).map((c) => c.id);
      expect(ids).not.toContain(notMine);
    } finally {
      await rep.close();
    }
  });
});
