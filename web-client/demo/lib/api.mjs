// The demo app's own endpoints, against Postgres (node-postgres, PG* variables).
import { CHATS_SQL, pullResponse } from './pull.mjs';

const MEMBER_SQL = 'SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2';
const MESSAGES_SQL = `
  SELECT id, chat_id, seq, role, body, done, version, created_at, updated_at
    FROM chat_message_content WHERE chat_id = $1 ORDER BY seq, id`;

export function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  try {
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
  } catch {
    throw Object.assign(new Error('malformed JSON'), { status: 400 });
  }
}

/** Numeric ids as the database has them (bigint -> number; they stay below 2^53 here). */
function messageRow(r) {
  return { ...r, id: Number(r.id), chat_id: Number(r.chat_id), version: Number(r.version) };
}

/**
 * Handles /api/* except the stream; returns false when no route matched. `session` is the
 * verified claims {sub, org}.
 */
export async function handleApi(req, res, url, session, pool) {
  const chat = url.pathname.match(/^\/api\/chats\/(\d{1,18})\/(messages|ask)$/);
  if (url.pathname === '/api/session' && req.method === 'GET') {
    json(res, 200, { user: session.sub, org: session.org });
  } else if (chat) {
    const chatId = chat[1];
    const member = await pool.query(MEMBER_SQL, [chatId, session.sub]);
    if (member.rowCount === 0) return json(res, 403, { error: 'forbidden' }), true;
    if (chat[2] === 'messages' && req.method === 'GET') {
      const { rows } = await pool.query(MESSAGES_SQL, [chatId]);
      json(res, 200, rows.map(messageRow));
    } else if (chat[2] === 'ask' && req.method === 'POST') {
      const { prompt } = await readJson(req);
      if (typeof prompt !== 'string' || prompt.trim() === '' || prompt.length > 2000) {
        return json(res, 400, { error: 'prompt must be 1-2000 characters' }), true;
      }
      const payload = JSON.stringify({ chatId: Number(chatId), prompt: prompt.trim() });
      await pool.query("SELECT pg_notify('deltacast_agent_requests', $1)", [payload]);
      json(res, 202, { queued: true });
    } else {
      json(res, 405, { error: 'method not allowed' });
    }
  } else if (url.pathname === '/api/replicache/pull' && req.method === 'POST') {
    const request = await readJson(req);
    const { rows } = await pool.query(CHATS_SQL, [session.sub, session.org]);
    const out = pullResponse(request, rows);
    json(res, out.status, out.body);
  } else {
    return false;
  }
  return true;
}
