-- Revocation counters for the per-instance principal cache (SECURITY C5, S4; twin of
-- sqlite/010). An instance may serve a request from a principal it cached (token or session
-- hash -> user, permission mask, scope) only while the counters it read with that principal are
-- unchanged: row 0 is the global counter (roles, group roles, groups, tenants: changes that reach
-- many users), row N is user N's (its row, its links, its sessions and tokens). A missing row
-- reads as 0. The triggers below bump them inside the writing transaction, so no writer path can
-- change what a principal is made of without the counter read by the next request moving too.
CREATE TABLE auth_epochs (
    id BIGINT PRIMARY KEY, -- 0: global; otherwise a user id
    n  BIGINT NOT NULL
);
INSERT INTO auth_epochs (id, n) VALUES (0, 1);

CREATE FUNCTION auth_epoch_bump(uid BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO auth_epochs (id, n) VALUES (uid, 1)
    ON CONFLICT (id) DO UPDATE SET n = auth_epochs.n + 1
$$;

-- a row of users, user_access, user_roles, user_group_members, sessions or api_tokens changed:
-- the user's counter (both users' when a link moved from one to another)
CREATE FUNCTION auth_epoch_user_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_uid BIGINT;
    new_uid BIGINT;
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        IF TG_OP <> 'INSERT' THEN old_uid := OLD.id; END IF;
        IF TG_OP <> 'DELETE' THEN new_uid := NEW.id; END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN old_uid := OLD.user_id; END IF;
        IF TG_OP <> 'DELETE' THEN new_uid := NEW.user_id; END IF;
    END IF;
    IF old_uid IS NOT NULL THEN PERFORM auth_epoch_bump(old_uid); END IF;
    IF new_uid IS NOT NULL AND new_uid IS DISTINCT FROM old_uid THEN
        PERFORM auth_epoch_bump(new_uid);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION auth_epoch_global() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
    RETURN NULL;
END
$$;

-- user's columns that a principal is made of or filtered by (status, login, ban, scope)
CREATE TRIGGER auth_epoch_users_update AFTER UPDATE OF status, login_enabled, banned_until,
    is_superadmin, access_level, access_all, access_account_id, provider_id, username ON users
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.login_enabled IS DISTINCT FROM NEW.login_enabled
        OR OLD.banned_until IS DISTINCT FROM NEW.banned_until
        OR OLD.is_superadmin IS DISTINCT FROM NEW.is_superadmin
        OR OLD.access_level IS DISTINCT FROM NEW.access_level
        OR OLD.access_all IS DISTINCT FROM NEW.access_all
        OR OLD.access_account_id IS DISTINCT FROM NEW.access_account_id
        OR OLD.provider_id IS DISTINCT FROM NEW.provider_id
        OR OLD.username IS DISTINCT FROM NEW.username)
    EXECUTE FUNCTION auth_epoch_user_row();
CREATE TRIGGER auth_epoch_users_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_user_row();

-- a user's links: access list, roles, groups
CREATE TRIGGER auth_epoch_user_access AFTER INSERT OR UPDATE OR DELETE ON user_access
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_user_row();
CREATE TRIGGER auth_epoch_user_roles AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_user_row();
CREATE TRIGGER auth_epoch_members AFTER INSERT OR UPDATE OR DELETE ON user_group_members
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_user_row();

-- a user's credentials: a session's end, stage or lifetime, a token's end or lifetime (not a
-- session's last_seen_at: the cache checks idleness itself and reloads when in doubt)
CREATE TRIGGER auth_epoch_sessions_update AFTER UPDATE OF user_id, stage, expires_at, token_hash
    ON sessions FOR EACH ROW EXECUTE FUNCTION auth_epoch_user_row();
CREATE TRIGGER auth_epoch_sessions_delete AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_user_row();
CREATE TRIGGER auth_epoch_tokens AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_user_row();

-- what reaches many users: a role's permissions, a group's roles, groups, tenants (once per
-- statement: one row lock on the global counter)
CREATE TRIGGER auth_epoch_roles AFTER UPDATE OR DELETE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_global();
CREATE TRIGGER auth_epoch_group_roles AFTER INSERT OR UPDATE OR DELETE ON user_group_roles
    FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_global();
CREATE TRIGGER auth_epoch_groups AFTER DELETE ON user_group
    FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_global();
CREATE TRIGGER auth_epoch_tenants AFTER UPDATE OR DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_global();
