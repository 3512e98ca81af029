-- Gatehouse schema, SQLite dialect. Times are Unix seconds (UTC); 0 means "never".

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    kind        TEXT NOT NULL CHECK (kind IN ('service_provider', 'platform_account', 'sub_account')),
    parent_id   INTEGER REFERENCES tenants (id),
    provider_id INTEGER REFERENCES tenants (id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX tenants_name ON tenants (COALESCE(parent_id, 0), name);
CREATE INDEX tenants_parent ON tenants (parent_id);
CREATE INDEX tenants_provider ON tenants (provider_id);

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    provider_id INTEGER REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL CHECK (kind IN ('service_provider', 'platform_account', 'platform_user')),
    permissions INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX roles_name ON roles (COALESCE(provider_id, 0), name);

CREATE TABLE user_group (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    provider_id INTEGER REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX user_group_name ON user_group (COALESCE(provider_id, 0), name);

CREATE TABLE user_group_roles (
    group_id INTEGER NOT NULL REFERENCES user_group (id) ON DELETE CASCADE,
    role_id  INTEGER NOT NULL REFERENCES roles (id),
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX user_group_roles_role ON user_group_roles (role_id);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    provider_id       INTEGER REFERENCES tenants (id),
    username          TEXT NOT NULL,
    username_key      TEXT NOT NULL UNIQUE,
    first_name        TEXT NOT NULL DEFAULT '',
    last_name         TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL,
    phone             TEXT NOT NULL DEFAULT '',
    language          TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh')),
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    country           TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled', 'deleted')),
    banned_until      INTEGER NOT NULL DEFAULT 0,
    failed_logins     INTEGER NOT NULL DEFAULT 0,
    login_enabled     INTEGER NOT NULL DEFAULT 1,
    enforce_sso       INTEGER NOT NULL DEFAULT 0,
    sso_source        TEXT,
    sso_id            TEXT,
    mfa_required      INTEGER NOT NULL DEFAULT 0,
    mfa_enrolled      INTEGER NOT NULL DEFAULT 0,
    is_superadmin     INTEGER NOT NULL DEFAULT 0,
    password_hash     TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    access_level      TEXT NOT NULL CHECK (access_level IN ('platform', 'provider', 'account', 'sub_account')),
    access_all        INTEGER NOT NULL DEFAULT 0,
    access_account_id INTEGER REFERENCES tenants (id),
    sort_name         TEXT NOT NULL,
    search_text       TEXT GENERATED ALWAYS AS
                      (lower(username || ' ' || first_name || ' ' || last_name || ' ' || email)) STORED,
    last_login_at     INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    created_by        INTEGER,
    updated_by        INTEGER,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_sort_name ON users (sort_name, id);
CREATE INDEX users_email ON users (lower(email), id);
CREATE INDEX users_last_login ON users (last_login_at, id);
CREATE INDEX users_created ON users (created_at, id);
CREATE INDEX users_provider_name ON users (provider_id, sort_name, id);
CREATE INDEX users_banned ON users (banned_until) WHERE banned_until > 0;
CREATE INDEX users_account ON users (access_account_id) WHERE access_account_id IS NOT NULL;

CREATE VIRTUAL TABLE users_fts USING fts5 (
    search_text, content = 'users', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF username, first_name, last_name, email ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO users_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

CREATE TABLE user_access (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX user_access_tenant ON user_access (tenant_id);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id),
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE user_group_members (
    group_id INTEGER NOT NULL REFERENCES user_group (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX user_group_members_user ON user_group_members (user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit (
    id             INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    actor_id       INTEGER,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_type    TEXT NOT NULL,
    target_id      INTEGER,
    target_user_id INTEGER,
    provider_id    INTEGER,
    outcome        TEXT NOT NULL,
    ip             TEXT NOT NULL DEFAULT '',
    request_id     TEXT NOT NULL DEFAULT '',
    before_json    TEXT,
    after_json     TEXT
);
CREATE INDEX audit_actor ON audit (actor_id, id);
CREATE INDEX audit_target ON audit (target_type, target_id, id);
CREATE INDEX audit_target_user ON audit (target_user_id, id);
CREATE INDEX audit_provider ON audit (provider_id, id);
CREATE INDEX audit_at ON audit (at);
