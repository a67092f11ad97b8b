-- The benchmark's table: one streaming message per chat (row id = chat id). Every token bumps
-- version and stamps ts_us (the writer's clock, microseconds since the epoch, read just before
-- the transaction's COMMIT is sent), so a client can compute commit -> arrival latency from
-- the row alone and tell a missed version from a coalesced one.
CREATE TABLE IF NOT EXISTS bench_message (
    id      bigint PRIMARY KEY,
    chat_id bigint NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    ts_us   bigint NOT NULL DEFAULT 0,
    body    text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS bench_message_chat_id_id_idx ON bench_message (chat_id, id);
