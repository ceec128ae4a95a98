-- Foundation: units, people, posts, access, audit. Same version and tables as postgres/0001.
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES units(id),
    path TEXT NOT NULL,
    depth INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    code TEXT UNIQUE,
    tags TEXT NOT NULL DEFAULT '',
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX units_path ON units(path);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_kind_path ON units(kind, path);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    party_status TEXT NOT NULL,
    rank TEXT NOT NULL,
    specialties TEXT,
    birthday TEXT,
    phone TEXT,
    home_unit_id INTEGER NOT NULL REFERENCES units(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX people_home_unit ON people(home_unit_id);
CREATE INDEX people_name ON people(name);

CREATE TABLE postings (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT
);
CREATE INDEX postings_person ON postings(person_id);
CREATE INDEX postings_unit ON postings(unit_id);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX posts_unit ON posts(unit_id);

CREATE TABLE tenures (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    end_reason TEXT
);
CREATE INDEX tenures_post ON tenures(post_id);
CREATE INDEX tenures_person ON tenures(person_id);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    role_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    data_scope TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE role_units (
    role_id INTEGER NOT NULL REFERENCES roles(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (role_id, unit_id)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id),
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id),
    role_id INTEGER NOT NULL REFERENCES roles(id),
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_name TEXT NOT NULL,
    ip TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id INTEGER,
    before_state TEXT NOT NULL,
    after_state TEXT NOT NULL,
    unit_path TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_kind, object_id);
