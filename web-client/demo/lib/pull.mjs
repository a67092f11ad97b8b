// Replicache pull (v1) for the org's conversation list, reset strategy: a pull whose cookie
// is behind returns the whole list (clear + put). The cookie is the newest activity (a
// chat's or one of its messages' updated_at, in ms): Replicache requires cookies that never
// decrease, and an unchanged cookie must come with an empty patch.

export const CHATS_SQL = `
  SELECT c.id, c.title, c.org_id, c.updated_at,
         greatest(c.updated_at, (SELECT max(m.updated_at) FROM chat_message_content m
                                  WHERE m.chat_id = c.id)) AS activity_at,
         (SELECT left(m.body, 80) FROM chat_message_content m
           WHERE m.chat_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_body
    FROM chats c
    JOIN chat_members cm ON cm.chat_id = c.id AND cm.user_id = $1
   WHERE c.org_id = $2
   ORDER BY c.updated_at DESC, c.id`;

/** Builds the pull response from the rows of CHATS_SQL; `request` is the client's body. */
export function pullResponse(request, rows) {
  if (!request || request.pullVersion !== 1) {
    return { status: 400, body: { error: 'VersionNotSupported', versionType: 'pull' } };
  }
  let cookie = 0;
  const patch = [{ op: 'clear' }];
  for (const r of rows) {
    const updatedAt = new Date(r.updated_at).getTime();
    cookie = Math.max(cookie, new Date(r.activity_at).getTime());
    patch.push({
      op: 'put',
      key: `chat/${r.id}`,
      value: { id: Number(r.id), title: r.title, orgId: Number(r.org_id), updatedAt, lastBody: r.last_body ?? '' },
    });
  }
  const theirs = typeof request.cookie === 'number' ? request.cookie : null;
  if (theirs !== null && cookie === theirs) return { status: 200, body: { cookie, lastMutationIDChanges: {}, patch: [] } };
  // A client ahead of us (the database was reset) is moved forward with a full reset.
  if (theirs !== null && cookie < theirs) cookie = theirs + 1;
  return { status: 200, body: { cookie, lastMutationIDChanges: {}, patch } };
}
