-- A second factor for logins (issue 29, 身份鉴别): a TOTP secret confirmed by a first code, the
-- last step accepted (a code is never accepted twice), a secret offered but not yet confirmed,
-- and one-time recovery codes kept as hashes. A session waits at the second factor until the
-- code is given (stage 'second_factor'), and is of no use before.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'done';
-- When the session was last used: one idle longer than the install allows has ended.
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;

-- Roles whose accounts must have a second factor: the administrator's, from this release on (an
-- administrator of an existing install sets it up at the next login).
ALTER TABLE roles ADD COLUMN requires_second_factor BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE roles SET requires_second_factor = TRUE WHERE role_key = 'admin';
