-- The example chat schema used by the demo, the agent (tools/agent) and the integration
-- tests. Idempotent: safe to load twice.
--     psql -v ON_ERROR_STOP=1 -f sql/deltacast.sql -f sql/example_chat.sql
--
-- Topics (see deltacast.example.toml): org:<org_id> is a poke topic for the conversation
-- list (chats); chat:<chat_id> streams chat_message_content rows, signalled with the key
-- contentIds. Access to chat:<id> is checked against chat_members.

-- An org's conversation list.
CREATE TABLE IF NOT EXISTS chats (
    id         bigint PRIMARY KEY,
    org_id     bigint NOT NULL,
    title      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS chat_members (
    chat_id bigint REFERENCES chats (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);

-- One message; an agent's reply grows token by token (body appended, version bumped).
CREATE TABLE IF NOT EXISTS chat_message_content (
    id         bigserial PRIMARY KEY,
    chat_id    bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    role       text NOT NULL CHECK (role IN ('user', 'agent')),
    body       text NOT NULL DEFAULT '',
    done       boolean NOT NULL DEFAULT false,
    version    bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Serves deltacast's per-chat queries (WHERE id = ANY($1) AND chat_id = $2, and the
-- snapshot's WHERE chat_id = $1 ORDER BY id DESC).
CREATE INDEX IF NOT EXISTS chat_message_content_chat_id_id_idx
    ON chat_message_content (chat_id, id);
