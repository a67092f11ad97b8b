-- Demo data for sql/example_chat.sql: org 1 with two chats, users u1 and u2 in both, and
-- a short exchange in chat 42. Idempotent: loading it twice adds nothing.
INSERT INTO chats (id, org_id, title) VALUES
    (42, 1, 'Welcome'),
    (43, 1, 'Agent playground')
ON CONFLICT (id) DO NOTHING;

INSERT INTO chat_members (chat_id, user_id) VALUES
    (42, 'u1'), (42, 'u2'), (43, 'u1'), (43, 'u2')
ON CONFLICT DO NOTHING;

-- ids come from the sequence (explicit ids would collide with later inserts).
INSERT INTO chat_message_content (chat_id, seq, role, body, done)
SELECT 42, m.seq, m.role, m.body, true
FROM (VALUES
        (1, 'user', 'Hi! What is this chat?'),
        (2, 'agent', 'Welcome to deltacast. Replies here stream in token by token.')
     ) AS m (seq, role, body)
WHERE NOT EXISTS (SELECT 1 FROM chat_message_content WHERE chat_id = 42);
