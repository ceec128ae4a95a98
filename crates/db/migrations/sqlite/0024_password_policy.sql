-- Password ageing and history (issue 29, 身份鉴别): when each password was set, whether its
-- holder must change it at the next login (one an administrator set or generated), the hashes
-- it replaced (none of the last few may come back), and the install's security settings
-- (the password policy among them) as the security administrator sets them.
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
-- An account made before this release counts its password from the account's creation.
UPDATE users SET password_changed_at = created_at;

CREATE TABLE password_history (
    user_id INTEGER NOT NULL REFERENCES users(id),
    password_hash TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, replaced_at);

CREATE TABLE security_settings (
    setting_key TEXT PRIMARY KEY,
    setting_value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
