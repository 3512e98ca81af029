/* Sessions, sign-in credentials, lock-out counters and two-factor state. */
#include <string.h>

#include "store/query.h"

#define SESSION_COLS                                                                               \
    "s.id, s.user_id, s.stage, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent, "   \
    "s.sso_source_id"

static void read_session(gh_stmt *st, gh_arena *a, int col, gh_session *s)
{
    s->id = gh_stmt_int(st, col);
    s->user_id = gh_stmt_int(st, col + 1);
    s->stage = gh_store_stage_from(gh_stmt_text(st, col + 2, a));
    s->created_at = gh_stmt_int(st, col + 3);
    s->last_seen_at = gh_stmt_int(st, col + 4);
    s->expires_at = gh_stmt_int(st, col + 5);
    s->ip = gh_stmt_text(st, col + 6, a);
    s->user_agent = gh_stmt_text(st, col + 7, a);
    s->sso_source_id = gh_stmt_int(st, col + 8);
}

gh_err gh_store_session_insert(gh_db *db, const gh_session *s, const char *hash, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO sessions (token_hash, user_id, stage, created_at, "
                               "last_seen_at, expires_at, ip, user_agent, sso_source_id) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, s->user_id);
    gh_stmt_bind_text(st, 3, gh_signin_stage_name(s->stage));
    gh_stmt_bind_int(st, 4, s->created_at);
    gh_stmt_bind_int(st, 5, s->created_at);
    gh_stmt_bind_int(st, 6, s->expires_at);
    gh_stmt_bind_text(st, 7, s->ip ? s->ip : "");
    gh_stmt_bind_text(st, 8, s->user_agent ? s->user_agent : "");
    gh_store_bind_opt_id(st, 9, s->sso_source_id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *id = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_EINTERNAL : err;
}

gh_err gh_store_session_auth(gh_db *db, gh_arena *a, const char *hash, int64_t now,
                             int64_t idle_cutoff, gh_session *s, gh_principal *p,
                             gh_auth_stamp *stamp)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db,
                      "SELECT " SESSION_COLS ", " GH_STORE_PRINCIPAL_COLS ", " GH_STORE_STAMP_COLS
                      " FROM sessions s JOIN users u ON u.id = s.user_id "
                      "WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ? "
                      "AND u.status = 'active' AND u.login_enabled = 1 AND u.banned_until <= ?",
                      &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, idle_cutoff);
    gh_stmt_bind_int(st, 4, now);
    bool row = false;
    if ((err = gh_stmt_step(st, &row)) != GH_OK || !row) {
        gh_stmt_done(st);
        return err != GH_OK ? err : GH_EUNAUTH;
    }
    enum { SESSION_NCOLS = 9, STAMP = SESSION_NCOLS + GH_STORE_PRINCIPAL_NCOLS };
    read_session(st, a, 0, s);
    gh_store_read_principal(st, a, SESSION_NCOLS, p);
    if (stamp != NULL)
        *stamp = (gh_auth_stamp){.global = gh_stmt_int(st, STAMP),
                                 .user = gh_stmt_int(st, STAMP + 1),
                                 .expires_at = s->expires_at};
    gh_stmt_done(st);
    return GH_OK;
}

gh_err gh_store_session_touch(gh_db *db, int64_t id, int64_t now)
{
    int64_t v[2] = {now, id};
    return gh_store_exec_ints(db, "UPDATE sessions SET last_seen_at = ? WHERE id = ?", 2, v);
}

gh_err gh_store_session_set_stage(gh_db *db, int64_t id, gh_signin_stage stage)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "UPDATE sessions SET stage = ? WHERE id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, gh_signin_stage_name(stage));
    gh_stmt_bind_int(st, 2, id);
    return gh_store_step_changing(st);
}

gh_err gh_store_session_delete(gh_db *db, int64_t user_id, int64_t id, int64_t *count)
{
    const char *sql = id > 0    ? "DELETE FROM sessions WHERE user_id = ? AND id = ?"
                      : id == 0 ? "DELETE FROM sessions WHERE user_id = ? AND ? = 0"
                                : "DELETE FROM sessions WHERE user_id = ? AND id <> ?";
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_int(st, 2, id < 0 ? -id : id);
    bool row;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && count != NULL)
        *count = gh_stmt_changes(st);
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_session_list(gh_db *db, gh_arena *a, int64_t user_id, int64_t now,
                             int64_t idle_cutoff, gh_session **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " SESSION_COLS " FROM sessions s WHERE s.user_id = ? AND "
                               "s.expires_at > ? AND s.last_seen_at > ? ORDER BY s.id DESC "
                               "LIMIT 200",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, idle_cutoff);
    gh_session *v = gh_arena_alloc(a, 200 * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < 200 && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_session(st, a, 0, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

/* Two-factor is required by the user's own flag or by any role it holds, directly or through a
 * group. */
#define SQL_MFA_REQUIRED                                                                           \
    "(mfa_required = 1 OR EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id "  \
    "WHERE ur.user_id = users.id AND r.mfa_required = 1) OR EXISTS (SELECT 1 FROM "                \
    "user_group_members m JOIN user_group_roles gr ON gr.group_id = m.group_id JOIN roles r ON "   \
    "r.id = gr.role_id WHERE m.user_id = users.id AND r.mfa_required = 1))"

#define SQL_CREDENTIALS                                                                            \
    "SELECT id, provider_id, banned_until, totp_last_step, username, status, password_hash, "      \
    "totp_secret, totp_pending, login_enabled, enforce_sso, " SQL_MFA_REQUIRED ", mfa_enrolled, "  \
    "must_change_password, EXISTS (SELECT 1 FROM passkeys pk WHERE pk.user_id = users.id) "        \
    "FROM users "

static gh_err read_credentials(gh_db *db, gh_arena *a, const char *sql, const char *username,
                               int64_t user_id, gh_credentials *out);

gh_err gh_store_credentials(gh_db *db, gh_arena *a, const char *username, int64_t user_id,
                            gh_credentials *out)
{
    return read_credentials(db, a,
                            username != NULL ? SQL_CREDENTIALS "WHERE username_key = lower(?)"
                                             : SQL_CREDENTIALS "WHERE id = ?",
                            username, user_id, out);
}

gh_err gh_store_credentials_locked(gh_db *db, gh_arena *a, int64_t user_id, gh_credentials *out)
{
    const char *sql = gh_arena_printf(a, "%sWHERE id = ?%s", SQL_CREDENTIALS, gh_db_for_update(db));
    return read_credentials(db, a, sql, NULL, user_id, out);
}

static void credentials_row(gh_stmt *st, gh_arena *a, gh_credentials *out);

gh_err gh_store_credentials_by_sso(gh_db *db, gh_arena *a, const char *source, const char *sso_id,
                                   gh_credentials *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               SQL_CREDENTIALS "WHERE sso_source = ? AND sso_id = ? AND status <> "
                                               "'deleted' ORDER BY id LIMIT 2",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, source);
    gh_stmt_bind_text(st, 2, sso_id);
    bool row = false;
    gh_credentials c;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row) {
        credentials_row(st, a, &c);
        err = gh_stmt_step(st, &row);
        if (err == GH_OK && row)
            err = GH_ECONFLICT;
        else if (err == GH_OK)
            *out = c;
        row = true;
    }
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

static void credentials_row(gh_stmt *st, gh_arena *a, gh_credentials *out)
{
    *out = (gh_credentials){
        .user_id = gh_stmt_int(st, 0),
        .provider_id = gh_stmt_int(st, 1),
        .banned_until = gh_stmt_int(st, 2),
        .totp_last_step = gh_stmt_int(st, 3),
        .username = gh_stmt_text(st, 4, a),
        .status = gh_store_status_from(gh_stmt_text(st, 5, a)),
        .password_hash = gh_stmt_text(st, 6, a),
        .totp_secret = gh_stmt_text(st, 7, a),
        .totp_pending = gh_stmt_text(st, 8, a),
        .login_enabled = gh_stmt_int(st, 9) != 0,
        .enforce_sso = gh_stmt_int(st, 10) != 0,
        .mfa_required = gh_stmt_int(st, 11) != 0,
        .mfa_enrolled = gh_stmt_int(st, 12) != 0,
        .must_change_password = gh_stmt_int(st, 13) != 0,
        .has_passkeys = gh_stmt_int(st, 14) != 0,
    };
}

static gh_err read_credentials(gh_db *db, gh_arena *a, const char *sql, const char *username,
                               int64_t user_id, gh_credentials *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    if (username != NULL)
        gh_stmt_bind_text(st, 1, username);
    else
        gh_stmt_bind_int(st, 1, user_id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        credentials_row(st, a, out);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_login_failed(gh_db *db, int64_t user_id, int64_t now, int max_failures,
                             int64_t ban_seconds, bool *banned_now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        "UPDATE users SET "
        "banned_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE banned_until END, "
        "failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END "
        "WHERE id = ? AND banned_until <= ? RETURNING banned_until",
        &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, max_failures);
    gh_stmt_bind_int(st, 2, now + ban_seconds);
    gh_stmt_bind_int(st, 3, max_failures);
    gh_stmt_bind_int(st, 4, user_id);
    gh_stmt_bind_int(st, 5, now);
    bool row = false;
    err = gh_stmt_step(st, &row);
    *banned_now = err == GH_OK && row && gh_stmt_int(st, 0) > now;
    gh_stmt_done(st); /* SQLite applies an UPDATE ... RETURNING in full at its first step */
    return err;
}

gh_err gh_store_login_reset(gh_db *db, int64_t user_id)
{
    return gh_store_exec_ints(
        db, "UPDATE users SET failed_logins = 0 WHERE id = ? AND failed_logins <> 0", 1, &user_id);
}

gh_err gh_store_set_last_login(gh_db *db, int64_t user_id, int64_t now)
{
    int64_t v[2] = {now, user_id};
    return gh_store_exec_ints(db, "UPDATE users SET last_login_at = ? WHERE id = ?", 2, v);
}

gh_err gh_store_user_unban(gh_db *db, int64_t user_id, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE users SET banned_until = 0, failed_logins = 0, "
                               "version = version + 1 WHERE id = ? AND banned_until > ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_int(st, 2, now);
    return gh_store_step_changing(st);
}

gh_err gh_store_set_must_change(gh_db *db, int64_t user_id, bool must_change)
{
    int64_t v[2] = {must_change, user_id};
    return gh_store_exec_ints(
        db, "UPDATE users SET must_change_password = ?, version = version + 1 WHERE id = ?", 2, v);
}

static gh_err set_text_for_user(gh_db *db, const char *sql, const char *text, int64_t user_id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, text);
    gh_stmt_bind_int(st, 2, user_id);
    return gh_store_step_changing(st);
}

gh_err gh_store_totp_pending(gh_db *db, int64_t user_id, const char *sealed)
{
    return set_text_for_user(db, "UPDATE users SET totp_pending = ? WHERE id = ?", sealed, user_id);
}

gh_err gh_store_totp_confirm(gh_db *db, int64_t user_id, int64_t last_step)
{
    int64_t v[2] = {last_step, user_id};
    return gh_store_exec_ints(db,
                              "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, "
                              "mfa_enrolled = 1, totp_last_step = ?, version = version + 1 "
                              "WHERE id = ? AND totp_pending IS NOT NULL",
                              2, v);
}

gh_err gh_store_totp_advance(gh_db *db, int64_t user_id, int64_t old_step, int64_t new_step)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE users SET totp_last_step = ? WHERE id = ? AND "
                               "totp_last_step = ? AND totp_last_step < ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, new_step);
    gh_stmt_bind_int(st, 2, user_id);
    gh_stmt_bind_int(st, 3, old_step);
    gh_stmt_bind_int(st, 4, new_step);
    err = gh_store_step_changing(st);
    return err == GH_ENOTFOUND ? GH_ECONFLICT : err;
}

gh_err gh_store_totp_clear(gh_db *db, int64_t user_id)
{
    gh_err err = gh_store_exec_ints(db,
                                    "UPDATE users SET totp_secret = NULL, totp_pending = NULL, "
                                    "mfa_enrolled = 0, version = version + 1 WHERE id = ?",
                                    1, &user_id);
    if (err == GH_OK)
        err = gh_store_exec_ints(db, "DELETE FROM recovery_codes WHERE user_id = ?", 1, &user_id);
    return err;
}

gh_err gh_store_set_mfa_required(gh_db *db, int64_t user_id)
{
    return gh_store_exec_ints(db, "UPDATE users SET mfa_required = 1 WHERE id = ?", 1, &user_id);
}

gh_err gh_store_recovery_replace(gh_db *db, int64_t user_id, const char *const *hashes, size_t n)
{
    gh_err err =
        gh_store_exec_ints(db, "DELETE FROM recovery_codes WHERE user_id = ?", 1, &user_id);
    for (size_t i = 0; err == GH_OK && i < n; i++) {
        gh_stmt *st = NULL;
        if ((err =
                 gh_db_prepare(db, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)",
                               &st)) != GH_OK)
            break;
        gh_stmt_bind_int(st, 1, user_id);
        gh_stmt_bind_text(st, 2, hashes[i]);
        bool row;
        err = gh_stmt_step(st, &row);
        gh_stmt_done(st);
    }
    return err;
}

gh_err gh_store_recovery_use(gh_db *db, int64_t user_id, const char *hash, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND "
                               "code_hash = ? AND used_at = 0",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now);
    gh_stmt_bind_int(st, 2, user_id);
    gh_stmt_bind_text(st, 3, hash);
    return gh_store_step_changing(st);
}
