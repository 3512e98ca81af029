-- Revocation counters for the per-instance principal cache (SECURITY C5, S4; twin of
-- postgres/010). An instance may serve a request from a principal it cached (token or session
-- hash -> user, permission mask, scope) only while the counters it read with that principal are
-- unchanged: row 0 is the global counter (roles, group roles, groups, tenants: changes that reach
-- many users), row N is user N's (its row, its links, its sessions and tokens). A missing row
-- reads as 0. The triggers below bump them inside the writing transaction, so no writer path can
-- change what a principal is made of without the counter read by the next request moving too.
CREATE TABLE auth_epochs (
    id INTEGER PRIMARY KEY, -- 0: global; otherwise a user id
    n  INTEGER NOT NULL
);
INSERT INTO auth_epochs (id, n) VALUES (0, 1);

-- user's columns that a principal is made of or filtered by (status, login, ban, scope)
CREATE TRIGGER auth_epoch_users_update AFTER UPDATE OF status, login_enabled, banned_until,
    is_superadmin, access_level, access_all, access_account_id, provider_id, username ON users
WHEN OLD.status IS NOT NEW.status OR OLD.login_enabled IS NOT NEW.login_enabled
    OR OLD.banned_until IS NOT NEW.banned_until OR OLD.is_superadmin IS NOT NEW.is_superadmin
    OR OLD.access_level IS NOT NEW.access_level OR OLD.access_all IS NOT NEW.access_all
    OR OLD.access_account_id IS NOT NEW.access_account_id
    OR OLD.provider_id IS NOT NEW.provider_id OR OLD.username IS NOT NEW.username
BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (NEW.id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_users_delete AFTER DELETE ON users BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;

-- a user's links: access list, roles, groups
CREATE TRIGGER auth_epoch_user_access_insert AFTER INSERT ON user_access BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (NEW.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_user_access_delete AFTER DELETE ON user_access BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_user_access_update AFTER UPDATE ON user_access BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
    INSERT INTO auth_epochs (id, n) VALUES (NEW.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_user_roles_insert AFTER INSERT ON user_roles BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (NEW.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_user_roles_delete AFTER DELETE ON user_roles BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_user_roles_update AFTER UPDATE ON user_roles BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
    INSERT INTO auth_epochs (id, n) VALUES (NEW.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_members_insert AFTER INSERT ON user_group_members BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (NEW.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_members_delete AFTER DELETE ON user_group_members BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_members_update AFTER UPDATE ON user_group_members BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
    INSERT INTO auth_epochs (id, n) VALUES (NEW.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;

-- a user's credentials: a session's end, stage or lifetime, a token's end or lifetime (not a
-- session's last_seen_at: the cache checks idleness itself and reloads when in doubt)
CREATE TRIGGER auth_epoch_sessions_update AFTER UPDATE OF user_id, stage, expires_at, token_hash
    ON sessions BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_sessions_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_tokens_update AFTER UPDATE ON api_tokens BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_tokens_delete AFTER DELETE ON api_tokens BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;

-- what reaches many users: a role's permissions, a group's roles, groups, tenants
CREATE TRIGGER auth_epoch_roles_update AFTER UPDATE ON roles BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
CREATE TRIGGER auth_epoch_roles_delete AFTER DELETE ON roles BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
CREATE TRIGGER auth_epoch_group_roles_insert AFTER INSERT ON user_group_roles BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
CREATE TRIGGER auth_epoch_group_roles_delete AFTER DELETE ON user_group_roles BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
CREATE TRIGGER auth_epoch_group_roles_update AFTER UPDATE ON user_group_roles BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
CREATE TRIGGER auth_epoch_groups_delete AFTER DELETE ON user_group BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
CREATE TRIGGER auth_epoch_tenants_update AFTER UPDATE ON tenants BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
CREATE TRIGGER auth_epoch_tenants_delete AFTER DELETE ON tenants BEGIN
    UPDATE auth_epochs SET n = n + 1 WHERE id = 0;
END;
