import pg from 'pg';

/** A connection to the e2e database (the stack's PG* settings). */
export async function connect(env: Record<string, string>): Promise<pg.Client> {
  const client = new pg.Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    user: env.PGUSER,
    database: env.PGDATABASE,
    password: env.PGPASSWORD,
  });
  await client.connect();
  return client;
}

/** A new chat in org 1 with u1 and u2 as members and one message of history. */
export async function createChat(db: pg.Client, title: string): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO chats (id, org_id, title) SELECT coalesce(max(id), 1000) + 1, 1, $1 FROM chats RETURNING id',
    [title],
  );
  const id = Number(rows[0]!.id);
  await db.query("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, 'u1'), ($1, 'u2')", [id]);
  await db.query(
    "INSERT INTO chat_message_content (chat_id, seq, role, body, done) VALUES ($1, 1, 'user', $2, true)",
    [id, `history of ${title}`],
  );
  return id;
}

export interface MessageRow {
  id: number;
  body: string;
  done: boolean;
  version: number;
}

/** Polls until the chat has an agent message with id > afterId that is done. */
export async function waitForReply(db: pg.Client, chatId: number, afterId: number, ms = 60_000): Promise<MessageRow> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const { rows } = await db.query(
      `SELECT id, body, done, version FROM chat_message_content
        WHERE chat_id = $1 AND role = 'agent' AND id > $2 ORDER BY id DESC LIMIT 1`,
      [chatId, afterId],
    );
    const row = rows[0];
    if (row?.done) return { id: Number(row.id), body: row.body, done: true, version: Number(row.version) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no finished agent reply in chat ${chatId} within ${ms} ms`);
}

export async function maxMessageId(db: pg.Client): Promise<number> {
  const { rows } = await db.query('SELECT coalesce(max(id), 0) AS id FROM chat_message_content');
  return Number(rows[0].id);
}

/** The agent's tokens: words that keep their trailing space (tools/agent/agent.cpp). */
export function tokensOf(body: string): string[] {
  return body.split(/(?<= )/);
}

/** Every text the reply shows while it streams: the cumulative token prefixes. */
export function prefixesOf(body: string): string[] {
  const out: string[] = [];
  let acc = '';
  for (const t of tokensOf(body)) out.push((acc += t));
  return out;
}
