/* Passkeys (WebAuthn credentials), the users' WebAuthn handles, the ceremonies' single-use
 * challenges and the providers' password-less setting. */
#include <string.h>

#include "store/query.h"

#define PASSKEY_COLS                                                                               \
    "id, user_id, name, credential_id, public_key, alg, sign_count, aaguid, uv, backup_eligible, " \
    "backed_up, transports, created_at, last_used_at"

static void read_passkey(gh_stmt *st, gh_arena *a, gh_passkey *p)
{
    *p = (gh_passkey){
        .id = gh_stmt_int(st, 0),
        .user_id = gh_stmt_int(st, 1),
        .name = gh_stmt_text(st, 2, a),
        .credential_id = gh_stmt_text(st, 3, a),
        .public_key = gh_stmt_text(st, 4, a),
        .alg = (int)gh_stmt_int(st, 5),
        .sign_count = gh_stmt_int(st, 6),
        .aaguid = gh_stmt_text(st, 7, a),
        .uv = gh_stmt_int(st, 8) != 0,
        .backup_eligible = gh_stmt_int(st, 9) != 0,
        .backed_up = gh_stmt_int(st, 10) != 0,
        .transports = gh_stmt_text(st, 11, a),
        .created_at = gh_stmt_int(st, 12),
        .last_used_at = gh_stmt_int(st, 13),
    };
}

gh_err gh_store_passkey_insert(gh_db *db, const gh_passkey *p, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        "INSERT INTO passkeys (user_id, name, credential_id, public_key, alg, sign_count, aaguid, "
        "uv, backup_eligible, backed_up, transports, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?) RETURNING id",
        &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, p->user_id);
    gh_stmt_bind_text(st, 2, p->name);
    gh_stmt_bind_text(st, 3, p->credential_id);
    gh_stmt_bind_text(st, 4, p->public_key);
    gh_stmt_bind_int(st, 5, p->alg);
    gh_stmt_bind_int(st, 6, p->sign_count);
    gh_stmt_bind_text(st, 7, p->aaguid);
    gh_stmt_bind_int(st, 8, p->uv);
    gh_stmt_bind_int(st, 9, p->backup_eligible);
    gh_stmt_bind_int(st, 10, p->backed_up);
    gh_stmt_bind_text(st, 11, p->transports != NULL ? p->transports : "");
    gh_stmt_bind_int(st, 12, p->created_at);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_passkey_list(gh_db *db, gh_arena *a, int64_t user_id, gh_passkey **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db, "SELECT " PASSKEY_COLS " FROM passkeys WHERE user_id = ? ORDER BY id LIMIT ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_int(st, 2, GH_STORE_MAX_PASSKEYS);
    gh_passkey *v = gh_arena_alloc(a, GH_STORE_MAX_PASSKEYS * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < GH_STORE_MAX_PASSKEYS && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_passkey(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_passkey_by_credential(gh_db *db, gh_arena *a, const char *credential_id,
                                      gh_passkey *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT " PASSKEY_COLS " FROM passkeys WHERE credential_id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, credential_id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_passkey(st, a, out);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_passkey_rename(gh_db *db, int64_t user_id, int64_t id, const char *name)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, name);
    gh_stmt_bind_int(st, 2, id);
    gh_stmt_bind_int(st, 3, user_id);
    return gh_store_step_changing(st);
}

gh_err gh_store_passkey_delete(gh_db *db, int64_t user_id, int64_t id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "DELETE FROM passkeys WHERE id = ? AND user_id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    gh_stmt_bind_int(st, 2, user_id);
    return gh_store_step_changing(st);
}

gh_err gh_store_passkeys_clear(gh_db *db, int64_t user_id, int64_t *count)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "DELETE FROM passkeys WHERE user_id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    bool row;
    err = gh_stmt_step(st, &row);
    int64_t n = gh_stmt_changes(st);
    gh_stmt_done(st);
    if (err == GH_OK && count != NULL)
        *count = n;
    return err;
}

gh_err gh_store_passkey_used(gh_db *db, int64_t id, int64_t old_count, int64_t new_count,
                             int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE id = ? "
                               "AND sign_count = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, new_count);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, id);
    gh_stmt_bind_int(st, 4, old_count);
    err = gh_store_step_changing(st);
    return err == GH_ENOTFOUND ? GH_ECONFLICT : err;
}

/* Reads one text column of a statement with one int parameter; NULL when the row has NULL. */
static gh_err one_text(gh_db *db, gh_arena *a, const char *sql, int64_t id, const char **out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *out = gh_stmt_text(st, 0, a);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_webauthn_handle(gh_db *db, gh_arena *a, int64_t user_id, const char *fresh,
                                const char **out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE users SET webauthn_handle = ? WHERE id = ? AND "
                               "webauthn_handle IS NULL",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, fresh);
    gh_stmt_bind_int(st, 2, user_id);
    err = gh_store_step_changing(st);
    if (err != GH_OK && err != GH_ENOTFOUND)
        return err;
    return one_text(db, a, "SELECT webauthn_handle FROM users WHERE id = ?", user_id, out);
}

gh_err gh_store_webauthn_handle_of(gh_db *db, gh_arena *a, int64_t user_id, const char **out)
{
    return one_text(db, a, "SELECT webauthn_handle FROM users WHERE id = ?", user_id, out);
}

gh_err gh_store_challenge_insert(gh_db *db, const char *challenge, const char *purpose,
                                 int64_t session_id, int64_t user_id, int64_t now,
                                 int64_t expires_at)
{
    /* the spent and expired ones go as new ones come (they are worth nothing afterwards) */
    int64_t cutoff = now;
    gh_err err =
        gh_store_exec_ints(db, "DELETE FROM webauthn_challenges WHERE expires_at < ?", 1, &cutoff);
    gh_stmt *st = NULL;
    if (err == GH_OK)
        err = gh_db_prepare(db,
                            "INSERT INTO webauthn_challenges (challenge, purpose, session_id, "
                            "user_id, expires_at) VALUES (?, ?, ?, ?, ?)",
                            &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, challenge);
    gh_stmt_bind_text(st, 2, purpose);
    gh_stmt_bind_int(st, 3, session_id);
    gh_stmt_bind_int(st, 4, user_id);
    gh_stmt_bind_int(st, 5, expires_at);
    bool row;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_challenge_use(gh_db *db, const char *challenge, const char *purpose,
                              int64_t session_id, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE webauthn_challenges SET used_at = ? WHERE challenge = ? AND "
                               "purpose = ? AND session_id = ? AND used_at = 0 AND expires_at > ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now);
    gh_stmt_bind_text(st, 2, challenge);
    gh_stmt_bind_text(st, 3, purpose);
    gh_stmt_bind_int(st, 4, session_id);
    gh_stmt_bind_int(st, 5, now);
    return gh_store_step_changing(st);
}

gh_err gh_store_passkey_signin_allowed(gh_db *db, int64_t provider_id, bool *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db, "SELECT passkey_signin FROM tenants WHERE id = ? AND kind = 'service_provider'", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    bool v = err == GH_OK && row && gh_stmt_int(st, 0) != 0;
    gh_stmt_done(st);
    if (err == GH_OK)
        *out = v;
    return err;
}

gh_err gh_store_tenant_set_passkey_signin(gh_db *db, int64_t tenant_id, bool on)
{
    int64_t v[2] = {on ? 1 : 0, tenant_id};
    return gh_store_exec_ints(
        db, "UPDATE tenants SET passkey_signin = ?, version = version + 1 WHERE id = ?", 2, v);
}
