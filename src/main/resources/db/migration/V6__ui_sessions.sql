-- The web UI's sign-in sessions, shared by every node (the nodes keep no session state), and who made each tag
-- assignment, which the UI shows next to a tag. Written once for H2 (in PostgreSQL mode) and PostgreSQL alike.

-- A signed-in browser. The cookie carries a long random value; only its SHA-256 is stored, so a copy of the
-- database signs nobody in. A session ends when idle for longer than ui.session-idle-timeout, when it is older
-- than ui.session-max-age (expires_at), at sign-out, and with its user.
CREATE TABLE ui_session (
    id_hash       VARCHAR(64) PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    csrf_token    VARCHAR(64) NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ui_session_expires_idx ON ui_session (expires_at);
CREATE INDEX ui_session_user_idx ON ui_session (user_id);

-- The principal (user or owner+robot) whose push made the assignment; null for pushes before this column, for
-- anonymous pushes on a registry without access control, and for assignments made by the registry itself.
ALTER TABLE tag_history ADD COLUMN pushed_by VARCHAR(255);
