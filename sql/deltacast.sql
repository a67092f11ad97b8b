-- deltacast writer-side helpers: send the signals that deltacast turns into live updates.
--
-- Load (idempotent, safe to run again after an upgrade):
--     psql -v ON_ERROR_STOP=1 -f sql/deltacast.sql
-- Install into a schema on the writers' search_path (public by default): the trigger
-- function calls deltacast_signal unqualified.
--
-- A writer changes rows, then in the SAME short transaction names them:
--     BEGIN;
--     UPDATE chat_message_content SET body = body || 'lo' WHERE id = 101;
--     SELECT deltacast_signal('chat:42', 'contentIds', ARRAY[101]::bigint[]);
--     COMMIT;
-- Postgres delivers the notification at commit, so deltacast never reads a row before the
-- write is visible. Every notifying commit takes a cluster-wide lock: notify once per
-- transaction with all of its ids, not once per row.
--
-- Signal format (SPEC section 4): channel '<prefix><kind>:<id>' (prefix 'signal:'),
-- payload {"<ids_key>":[ids...]}, ids only, never row data. Postgres rejects payloads of
-- 8000 bytes or more, so long id lists go out as several notifications.
--
-- Overloads take bigint[] (sent as JSON numbers), text[] or uuid[] (sent as JSON strings).
-- Cast untyped literals: '{1,2}'::bigint[]; a bare '{1,2}' is ambiguous and fails.

-- The channel for a topic, or a clear error when the topic is not 'kind:id' or the channel
-- would exceed Postgres' 63-byte identifier limit.
CREATE OR REPLACE FUNCTION deltacast_channel(topic text, channel_prefix text DEFAULT 'signal:')
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    channel text;
BEGIN
    IF topic IS NULL OR topic !~ '^[A-Za-z_][A-Za-z0-9_-]*:[^[:space:][:cntrl:],]+$' THEN
        RAISE EXCEPTION 'deltacast: topic % is not of the form kind:id',
                coalesce(quote_literal(topic), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A topic is a kind, a colon and an id without spaces or commas, '
                         'e.g. chat:42 or org:7.';
    END IF;
    channel := coalesce(channel_prefix, '') || topic;
    IF octet_length(channel) > 63 THEN
        RAISE EXCEPTION 'deltacast: channel % is longer than 63 bytes', quote_literal(channel)
            USING ERRCODE = 'name_too_long';
    END IF;
    RETURN channel;
END
$$;

-- Sends {"<ids_key>":[elems]} on channel, as many notifications as needed to keep every
-- payload under 8000 bytes. elems are JSON values already encoded (numbers or strings);
-- NULL elements are skipped. Returns the number of notifications sent.
CREATE OR REPLACE FUNCTION deltacast_notify_ids(channel text, ids_key text, elems text[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    max_bytes constant integer := 7999;  -- Postgres: payload must be shorter than 8000 bytes
    head text;
    head_bytes integer;
    body text := '';
    body_bytes integer := 0;
    elem text;
    elem_bytes integer;
    sent integer := 0;
BEGIN
    IF ids_key IS NULL OR ids_key = '' THEN
        RAISE EXCEPTION 'deltacast: ids_key must be a non-empty string'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    head := '{' || to_json(ids_key)::text || ':[';
    head_bytes := octet_length(head) + 2;  -- plus the closing ']}'
    FOREACH elem IN ARRAY coalesce(elems, '{}'::text[]) LOOP
        CONTINUE WHEN elem IS NULL;
        elem_bytes := octet_length(elem);
        IF head_bytes + elem_bytes > max_bytes THEN
            RAISE EXCEPTION 'deltacast: id % alone does not fit in one notification',
                    left(elem, 40) || '...'
                USING ERRCODE = 'program_limit_exceeded';
        END IF;
        IF body_bytes > 0 AND head_bytes + body_bytes + 1 + elem_bytes > max_bytes THEN
            PERFORM pg_notify(channel, head || body || ']}');
            sent := sent + 1;
            body := '';
            body_bytes := 0;
        END IF;
        IF body_bytes = 0 THEN
            body := elem;
            body_bytes := elem_bytes;
        ELSE
            body := body || ',' || elem;
            body_bytes := body_bytes + 1 + elem_bytes;
        END IF;
    END LOOP;
    IF body_bytes > 0 THEN
        PERFORM pg_notify(channel, head || body || ']}');
        sent := sent + 1;
    END IF;
    RETURN sent;
END
$$;

-- Signals bigint ids (JSON numbers): deltacast_signal('chat:42', 'contentIds', ARRAY[101,102]).
-- Returns the number of notifications sent (0 for an empty or NULL list).
CREATE OR REPLACE FUNCTION deltacast_signal(topic text, ids_key text, ids bigint[],
                                            channel_prefix text DEFAULT 'signal:')
RETURNS integer
LANGUAGE sql AS $$
    SELECT deltacast_notify_ids(deltacast_channel(topic, channel_prefix), ids_key, ids::text[])
$$;

-- Signals text or uuid ids (JSON strings), e.g. ARRAY['u1','u2'].
CREATE OR REPLACE FUNCTION deltacast_signal(topic text, ids_key text, ids text[],
                                            channel_prefix text DEFAULT 'signal:')
RETURNS integer
LANGUAGE sql AS $$
    SELECT deltacast_notify_ids(
        deltacast_channel(topic, channel_prefix), ids_key,
        ARRAY(SELECT to_json(x)::text FROM unnest(ids) WITH ORDINALITY AS u(x, n) ORDER BY n))
$$;

-- Same for uuid[] (uuid has no implicit cast to text, so it needs its own overload).
CREATE OR REPLACE FUNCTION deltacast_signal(topic text, ids_key text, ids uuid[],
                                            channel_prefix text DEFAULT 'signal:')
RETURNS integer
LANGUAGE sql AS $$
    SELECT deltacast_signal(topic, ids_key, ids::text[], channel_prefix)
$$;

-- Pokes a coarse topic (payload '{}'): deltacast_poke('org:7') makes its clients pull.
CREATE OR REPLACE FUNCTION deltacast_poke(topic text, channel_prefix text DEFAULT 'signal:')
RETURNS void
LANGUAGE sql AS $$
    SELECT pg_notify(deltacast_channel(topic, channel_prefix), '{}')
$$;

-- Sends an ephemeral event (SPEC §8 "live rooms") to every stream holding `topic`, on every
-- replica: deltacast_broadcast('chat:42', 'thinking', '{"state":"start"}', 'agent'). `sender`
-- is the `from` clients see. Nothing is stored, replayed or resynced (at most once). The
-- message rides the topic's own channel, marked by its first key "deltacast"; Postgres refuses
-- payloads of 8000 bytes or more. `name` must match [A-Za-z0-9_.:-]{1,64}.
CREATE OR REPLACE FUNCTION deltacast_broadcast(topic text, name text, data jsonb, sender text,
                                               channel_prefix text DEFAULT 'signal:')
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF name IS NULL OR name !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'deltacast_broadcast: name must match [A-Za-z0-9_.:-]{1,64}';
    END IF;
    PERFORM pg_notify(deltacast_channel(topic, channel_prefix),
                      '{"deltacast":"broadcast","name":' || to_json(name)::text ||
                      ',"from":' || to_json(coalesce(sender, ''))::text ||
                      ',"data":' || coalesce(data, 'null'::jsonb)::text || '}');
END
$$;

-- Presence across replicas: deltacast creates these itself at start (when a topic kind has
-- presence = true) if it may; they are here for installs that create schema ahead of time.
-- UNLOGGED: presence is rebuilt from the live replicas, so it needs no WAL.
CREATE UNLOGGED TABLE IF NOT EXISTS deltacast_replicas (
    replica text PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL DEFAULT now());
CREATE UNLOGGED TABLE IF NOT EXISTS deltacast_presence (
    topic text NOT NULL,
    sub text NOT NULL,
    replica text NOT NULL,
    meta jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (topic, sub, replica));
CREATE INDEX IF NOT EXISTS deltacast_presence_replica ON deltacast_presence (replica);

-- deltacast_signal_trigger(): signals the rows a statement touched, for tables whose
-- writers cannot be changed to call deltacast_signal themselves.
--
-- A STATEMENT-level AFTER trigger with transition tables, one trigger per event (Postgres
-- forbids transition tables on triggers for several events). Arguments:
--     topic_kind       kind of the topic, e.g. 'chat'
--     topic_id_column  column holding the topic id, e.g. 'chat_id'
--     ids_key          payload key, e.g. 'contentIds'
--     id_column        column holding the row id, e.g. 'id'
--     channel_prefix   optional, default 'signal:'
-- It sends ONE signal per topic id per statement with all of that topic's row ids (split
-- only past 8000 bytes). INSERT reads new_rows, DELETE old_rows, UPDATE both, so that a
-- row moved to another topic is signalled on the old topic as well (where deltacast's
-- query no longer finds it and sends entity-delete). Integer id columns are sent as JSON
-- numbers, every other type (uuid, text) as strings. Example:
--
--     CREATE TRIGGER chat_message_content_signal_ins
--         AFTER INSERT ON chat_message_content
--         REFERENCING NEW TABLE AS new_rows
--         FOR EACH STATEMENT
--         EXECUTE FUNCTION deltacast_signal_trigger('chat', 'chat_id', 'contentIds', 'id');
--     CREATE TRIGGER chat_message_content_signal_upd
--         AFTER UPDATE ON chat_message_content
--         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
--         FOR EACH STATEMENT
--         EXECUTE FUNCTION deltacast_signal_trigger('chat', 'chat_id', 'contentIds', 'id');
--     CREATE TRIGGER chat_message_content_signal_del
--         AFTER DELETE ON chat_message_content
--         REFERENCING OLD TABLE AS old_rows
--         FOR EACH STATEMENT
--         EXECUTE FUNCTION deltacast_signal_trigger('chat', 'chat_id', 'contentIds', 'id');
--
-- The transition tables must be named new_rows and old_rows exactly as above. A writer
-- that also calls deltacast_signal itself should not have these triggers: it would signal
-- twice (harmless, but twice the work).
CREATE OR REPLACE FUNCTION deltacast_signal_trigger()
RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    topic_kind text;
    topic_col text;
    ids_key text;
    id_col text;
    prefix text := 'signal:';
    id_is_int boolean;
    pairs text;
    agg text;
    r record;
BEGIN
    IF TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'deltacast_signal_trigger on %: must be an AFTER INSERT, UPDATE or '
                        'DELETE trigger FOR EACH STATEMENT', TG_TABLE_NAME;
    END IF;
    IF TG_NARGS NOT IN (4, 5) THEN
        RAISE EXCEPTION 'deltacast_signal_trigger on %: expected arguments (topic_kind, '
                        'topic_id_column, ids_key, id_column [, channel_prefix]), got %',
                TG_TABLE_NAME, TG_NARGS;
    END IF;
    topic_kind := TG_ARGV[0];
    topic_col := TG_ARGV[1];
    ids_key := TG_ARGV[2];
    id_col := TG_ARGV[3];
    IF TG_NARGS = 5 THEN
        prefix := TG_ARGV[4];
    END IF;

    PERFORM 1 FROM pg_attribute
        WHERE attrelid = TG_RELID AND attname = topic_col AND attnum > 0 AND NOT attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'deltacast_signal_trigger on %: no column %', TG_TABLE_NAME, topic_col;
    END IF;
    SELECT atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) INTO id_is_int
        FROM pg_attribute
        WHERE attrelid = TG_RELID AND attname = id_col AND attnum > 0 AND NOT attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'deltacast_signal_trigger on %: no column %', TG_TABLE_NAME, id_col;
    END IF;

    pairs := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %I AS t, %I AS i FROM new_rows', topic_col, id_col)
        WHEN 'DELETE' THEN format('SELECT %I AS t, %I AS i FROM old_rows', topic_col, id_col)
        ELSE format('SELECT %1$I AS t, %2$I AS i FROM new_rows UNION ALL '
                    'SELECT %1$I, %2$I FROM old_rows', topic_col, id_col)
    END;
    -- ids always come back as text[] (integers sorted numerically first) so that the
    -- record's field type does not change between tables and break plpgsql's cached plans.
    agg := CASE WHEN id_is_int THEN 'array_agg(DISTINCT i::bigint)::text[]'
                ELSE 'array_agg(DISTINCT i::text)' END;
    FOR r IN EXECUTE format('SELECT t::text AS topic_id, %s AS ids FROM (%s) p '
                            'WHERE t IS NOT NULL AND i IS NOT NULL GROUP BY t ORDER BY 1',
                            agg, pairs) LOOP
        IF id_is_int THEN
            PERFORM deltacast_signal(topic_kind || ':' || r.topic_id, ids_key,
                                     r.ids::bigint[], prefix);
        ELSE
            PERFORM deltacast_signal(topic_kind || ':' || r.topic_id, ids_key, r.ids, prefix);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
