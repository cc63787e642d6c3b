/* account.c — accounts as records: create, read, list, change roles and
 * scope, activate/deactivate, unlock, password reset and change; and the two
 * reads of units and people that scope checks and GET /me need.
 *
 * Every change to an accounts row appends a leaf through audit_record() with
 * AUDIT_ENTITY_ACCOUNT, in the same transaction as the change (actions
 * "create", "update", "permission_change" for roles or scope, "deactivate",
 * "activate", "password_reset", "password_change", and "purge" when the
 * account is erased with its person). The password hash is one
 * of the hashed columns, so a password set behind worksafe's back is caught
 * by `worksafe audit verify`. The lock state lives in account_security, which
 * is not hashed; an unlock is an event leaf (entity "session").
 *
 * Password hashing is slow (argon2id) and is done before the write
 * transaction opens, so it never holds the database's write lock. Checks of
 * the caller's scope are the API's (api_account.c); this file checks that the
 * rows referred to exist and that the account itself is well-formed. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"
#include "core/clock.h"
#include "store/q_auth.h"

static const audit_col account_cols[] = {
    {"id", AC_INT},
    {"username", AC_TEXT},
    {"person_id", AC_INT},
    {"password_hash", AC_TEXT},
    {"roles", AC_TEXT},
    {"scope_unit_id", AC_INT},
    {"active", AC_INT},
    {"must_change_password", AC_INT},
    {"created_at", AC_INT},
    {"updated_at", AC_INT},
};

const audit_entity AUDIT_ENTITY_ACCOUNT = {
    "account", "accounts", account_cols, (int)(sizeof account_cols / sizeof account_cols[0]),
};

/* Run a statement that returns no rows: st is finalized. */
static ws_err run(store_stmt *st)
{
    bool row;
    ws_err rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

static ws_err check_username(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    if (n == 0) return ws_fail(WS_EINVAL, "username", "username must not be empty");
    if (n > 63) return ws_fail(WS_EINVAL, "username", "username is longer than 63 bytes");
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p <= 0x20 || *p == 0x7F)
            return ws_fail(WS_EINVAL, "username",
                           "username must not contain spaces or control characters");
    if (strncmp(u, AUTH_ERASED_PREFIX, strlen(AUTH_ERASED_PREFIX)) == 0)
        return ws_fail(WS_EINVAL, "username",
                       "usernames beginning with " AUTH_ERASED_PREFIX " are reserved for erased accounts");
    return WS_OK;
}

static ws_err path_of(store_conn *c, const char *q, int64_t id, const char *field, char *path,
                      size_t cap)
{
    store_stmt *st = NULL;
    bool row = false;
    if (id <= 0) return ws_fail(WS_ENOTFOUND, field, "%s: no such record", field ? field : "id");
    ws_err rc = store_prepare(c, q, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, field, "%s: no such record", field ? field : "id");
    if (!rc) auth_copy(path, cap, store_col_text(st, 0));
    store_finalize(st);
    return rc;
}

ws_err auth_unit_path(store_conn *c, int64_t unit_id, const char *field, char *path, size_t cap)
{
    return path_of(c, Q_AUTH_UNIT_PATH, unit_id, field, path, cap);
}

ws_err auth_person_unit_path(store_conn *c, int64_t person_id, const char *field, char *path,
                             size_t cap)
{
    return path_of(c, Q_AUTH_PERSON_UNIT_PATH, person_id, field, path, cap);
}

ws_err auth_unit_info_get(store_conn *c, int64_t id, auth_unit_info *u)
{
    store_stmt *st = NULL;
    bool row = false;
    memset(u, 0, sizeof *u);
    ws_err rc = store_prepare(c, Q_AUTH_UNIT_INFO, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, NULL, "no such unit");
    if (!rc) {
        u->id = store_col_int(st, 0);
        auth_copy(u->name, sizeof u->name, store_col_text(st, 1));
        auth_copy(u->kind, sizeof u->kind, store_col_text(st, 2));
        auth_copy(u->path, sizeof u->path, store_col_text(st, 3));
    }
    store_finalize(st);
    return rc;
}

ws_err auth_person_info_get(store_conn *c, int64_t id, auth_person_info *p)
{
    store_stmt *st = NULL;
    bool row = false;
    memset(p, 0, sizeof *p);
    ws_err rc = store_prepare(c, Q_AUTH_PERSON_INFO, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, NULL, "no such person");
    if (!rc) {
        p->id = store_col_int(st, 0);
        p->unit_id = store_col_int(st, 1);
        p->department_id = store_col_null(st, 2) ? 0 : store_col_int(st, 2);
        auth_copy(p->name, sizeof p->name, store_col_text(st, 3));
        auth_copy(p->employee_no, sizeof p->employee_no, store_col_text(st, 4));
    }
    store_finalize(st);
    return rc;
}

/* Fill a from a row of the Q_AUTH_ACCOUNT_* column list. */
static ws_err read_account(store_stmt *st, auth_account *a)
{
    memset(a, 0, sizeof *a);
    a->id = store_col_int(st, 0);
    auth_copy(a->username, sizeof a->username, store_col_text(st, 1));
    a->person_id = store_col_null(st, 2) ? 0 : store_col_int(st, 2);
    ws_err rc = auth_roles_parse(store_col_text(st, 3), &a->roles);
    if (rc) return ws_fail(WS_ECORRUPT, NULL, "account %lld has unreadable roles", (long long)a->id);
    a->scope_unit_id = store_col_int(st, 4);
    auth_copy(a->scope_path, sizeof a->scope_path, store_col_text(st, 5));
    a->active = store_col_int(st, 6) != 0;
    a->must_change_password = store_col_int(st, 7) != 0;
    a->created_at = store_col_int(st, 8);
    a->updated_at = store_col_int(st, 9);
    a->failed_count = (int)store_col_int(st, 10);
    a->locked_until = store_col_int(st, 11);
    a->last_login_at = store_col_int(st, 12);
    return WS_OK;
}

ws_err auth_account_get(store_conn *c, int64_t id, auth_account *a)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_AUTH_ACCOUNT_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such account");
    if (!rc) rc = read_account(st, a);
    store_finalize(st);
    return rc;
}

ws_err auth_account_list(store_conn *c, const char *scope_path, int64_t after_id, int limit,
                         auth_account *out, int *n)
{
    store_stmt *st = NULL;
    bool row = false;
    char pattern[AUTH_PATH_MAX + 2];
    *n = 0;
    if (!scope_path || !*scope_path || strchr(scope_path, '%') || strchr(scope_path, '_'))
        return ws_fail(WS_EINTERNAL, NULL, "bad scope path");
    snprintf(pattern, sizeof pattern, "%s%%", scope_path);
    ws_err rc = store_prepare(c, Q_AUTH_ACCOUNT_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, pattern);
    if (!rc) rc = store_bind_int(st, 2, after_id);
    if (!rc) rc = store_bind_int(st, 3, limit);
    while (!rc && *n < limit) {
        rc = store_step(st, &row);
        if (rc || !row) break;
        rc = read_account(st, &out[*n]);
        if (!rc) (*n)++;
    }
    store_finalize(st);
    return rc;
}

static ws_err username_free(store_conn *c, const char *username)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_AUTH_LOGIN_LOOKUP, &st);
    if (!rc) rc = store_bind_text(st, 1, username);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc && row) rc = ws_fail(WS_ECONFLICT, "username", "the username is already taken");
    return rc;
}

ws_err auth_create_account(store_conn *c, const audit_actor *who, const char *username,
                           const char *password, unsigned roles, int64_t scope_unit_id,
                           int64_t person_id, bool must_change, int64_t *id)
{
    char hash[crypto_pwhash_STRBYTES], path[AUTH_PATH_MAX];
    char roles_txt[128];
    store_stmt *st = NULL;
    bool own, row = false;
    ws_err rc = check_username(username);
    if (!rc) rc = auth_roles_check(roles);
    if (!rc) rc = auth_check_password_policy(password, "password");
    if (!rc) rc = auth_unit_path(c, scope_unit_id, "scope_unit_id", path, sizeof path);
    if (!rc && person_id) rc = auth_person_unit_path(c, person_id, "person_id", path, sizeof path);
    if (!rc) rc = auth_hash_password(password, hash, sizeof hash);
    if (rc) return rc;
    auth_roles_format(roles, roles_txt, sizeof roles_txt);

    rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = username_free(c, username);
    if (rc) goto done;
    rc = store_prepare(c, Q_AUTH_ACCOUNT_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, username);
    if (!rc) rc = person_id ? store_bind_int(st, 2, person_id) : store_bind_null(st, 2);
    if (!rc) rc = store_bind_text(st, 3, hash);
    if (!rc) rc = store_bind_text(st, 4, roles_txt);
    if (!rc) rc = store_bind_int(st, 5, scope_unit_id);
    if (!rc) rc = store_bind_int(st, 6, must_change ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 7, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ESTORE, NULL, "account insert returned no id");
    int64_t new_id = rc ? 0 : store_col_int(st, 0);
    store_finalize(st);
    if (rc) goto done;
    rc = audit_record(c, who, &AUDIT_ENTITY_ACCOUNT, new_id, "create", NULL);
    if (!rc && id) *id = new_id;
done:
    sodium_memzero(hash, sizeof hash);
    return auth_tx_end(c, own, rc);
}

ws_err auth_account_update(store_conn *c, const audit_actor *who, int64_t id,
                           const unsigned *roles, const int64_t *scope_unit_id,
                           const int64_t *person_id)
{
    auth_account a;
    char path[AUTH_PATH_MAX], roles_txt[128];
    store_stmt *st = NULL;
    bool own;
    ws_err rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = auth_account_get(c, id, &a);
    if (rc) goto done;
    unsigned new_roles = roles ? *roles : a.roles;
    int64_t new_scope = scope_unit_id ? *scope_unit_id : a.scope_unit_id;
    int64_t new_person = person_id ? *person_id : a.person_id;
    rc = auth_roles_check(new_roles);
    if (!rc && new_scope != a.scope_unit_id)
        rc = auth_unit_path(c, new_scope, "scope_unit_id", path, sizeof path);
    if (!rc && new_person && new_person != a.person_id)
        rc = auth_person_unit_path(c, new_person, "person_id", path, sizeof path);
    if (rc) goto done;
    bool perm = new_roles != a.roles || new_scope != a.scope_unit_id;
    if (!perm && new_person == a.person_id) goto done; /* nothing changes, nothing to log */
    auth_roles_format(new_roles, roles_txt, sizeof roles_txt);
    rc = store_prepare(c, Q_AUTH_ACCOUNT_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, roles_txt);
    if (!rc) rc = store_bind_int(st, 3, new_scope);
    if (!rc) rc = new_person ? store_bind_int(st, 4, new_person) : store_bind_null(st, 4);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (rc) {
        store_finalize(st);
        goto done;
    }
    rc = run(st);
    if (!rc)
        rc = audit_record(c, who, &AUDIT_ENTITY_ACCOUNT, id, perm ? "permission_change" : "update",
                          NULL);
done:
    return auth_tx_end(c, own, rc);
}

static ws_err revoke_all(store_conn *c, int64_t id)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_AUTH_SESSIONS_REVOKE_ACCOUNT, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (rc) {
        store_finalize(st);
        return rc;
    }
    return run(st);
}

static ws_err clear_lock(store_conn *c, int64_t id)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_AUTH_UNLOCK, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (rc) {
        store_finalize(st);
        return rc;
    }
    return run(st);
}

ws_err auth_account_set_active(store_conn *c, const audit_actor *who, int64_t id, bool active)
{
    auth_account a;
    store_stmt *st = NULL;
    bool own;
    ws_err rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = auth_account_get(c, id, &a);
    if (rc || a.active == active) goto done; /* already so: nothing to log */
    rc = store_prepare(c, Q_AUTH_ACCOUNT_SET_ACTIVE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_int(st, 2, active ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 3, clock_now_ms());
    if (rc) {
        store_finalize(st);
        goto done;
    }
    rc = run(st);
    if (!rc && !active) rc = revoke_all(c, id);
    if (!rc)
        rc = audit_record(c, who, &AUDIT_ENTITY_ACCOUNT, id, active ? "activate" : "deactivate",
                          NULL);
done:
    return auth_tx_end(c, own, rc);
}

ws_err auth_account_unlock(store_conn *c, const audit_actor *who, int64_t id)
{
    auth_account a;
    bool own;
    ws_err rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = auth_account_get(c, id, &a);
    if (!rc) rc = clear_lock(c, id);
    if (!rc) {
        audit_field f[2] = {
            {.name = "username", .type = AC_TEXT, .s = a.username},
            {.name = "outcome", .type = AC_TEXT, .s = "unlocked"},
        };
        rc = audit_event(c, who, "session", id, "unlock", f, 2, NULL);
    }
    return auth_tx_end(c, own, rc);
}

/* Set the password hash and must_change flag of id, then log action. */
static ws_err set_password(store_conn *c, const audit_actor *who, int64_t id, const char *hash,
                           bool must_change, const char *action)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_AUTH_ACCOUNT_SET_PASSWORD, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, hash);
    if (!rc) rc = store_bind_int(st, 3, must_change ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (rc) {
        store_finalize(st);
        return rc;
    }
    rc = run(st);
    if (!rc) rc = audit_record(c, who, &AUDIT_ENTITY_ACCOUNT, id, action, NULL);
    return rc;
}

ws_err auth_reset_password(store_conn *c, const audit_actor *who, int64_t id, char *out,
                           size_t cap)
{
    char pw[17], hash[crypto_pwhash_STRBYTES];
    auth_account a;
    bool own;
    if (cap < sizeof pw) return ws_fail(WS_EINTERNAL, NULL, "password buffer too small");
    ws_err rc = auth_account_get(c, id, &a);
    if (rc) return rc;
    auth_random_password(pw, sizeof pw);
    rc = auth_hash_password(pw, hash, sizeof hash);
    if (rc) goto out;
    rc = auth_tx_begin(c, &own);
    if (rc) goto out;
    rc = set_password(c, who, id, hash, true, "password_reset");
    if (!rc) rc = clear_lock(c, id);
    if (!rc) rc = revoke_all(c, id);
    rc = auth_tx_end(c, own, rc);
    if (!rc) memcpy(out, pw, sizeof pw);
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

ws_err auth_change_password(store_conn *c, const auth_subject *s, const char *old_pw,
                            const char *new_pw)
{
    char old_hash[crypto_pwhash_STRBYTES + 1] = "", hash[crypto_pwhash_STRBYTES];
    char actor[32];
    audit_actor who = {actor};
    store_stmt *st = NULL;
    bool own, row = false;
    if (!s || !s->account_id) return ws_fail(WS_EUNAUTH, NULL, "sign in first");
    ws_err rc = store_prepare(c, Q_AUTH_ACCOUNT_HASH, &st);
    if (!rc) rc = store_bind_int(st, 1, s->account_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, NULL, "no such account");
    if (!rc) auth_copy(old_hash, sizeof old_hash, store_col_text(st, 0));
    store_finalize(st);
    if (rc) return rc;
    if (!old_pw || auth_verify_password(old_pw, old_hash) != WS_OK) {
        rc = ws_fail(WS_EINVAL, "old_password", "the current password is wrong");
        goto out;
    }
    rc = auth_check_password_policy(new_pw, "new_password");
    if (rc) goto out;
    if (strcmp(old_pw, new_pw) == 0) {
        rc = ws_fail(WS_EINVAL, "new_password", "the new password must differ from the current one");
        goto out;
    }
    rc = auth_hash_password(new_pw, hash, sizeof hash);
    if (rc) goto out;
    snprintf(actor, sizeof actor, "account:%lld", (long long)s->account_id);
    rc = auth_tx_begin(c, &own);
    if (rc) goto out;
    rc = set_password(c, &who, s->account_id, hash, false, "password_change");
    if (!rc) {
        rc = store_prepare(c, Q_AUTH_SESSIONS_REVOKE_OTHERS, &st);
        if (!rc) rc = store_bind_int(st, 1, s->account_id);
        if (!rc) rc = store_bind_int(st, 2, s->session_id);
        if (rc) store_finalize(st);
        else rc = run(st);
    }
    rc = auth_tx_end(c, own, rc);
out:
    sodium_memzero(old_hash, sizeof old_hash);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

ws_err auth_accounts_of_person(store_conn *c, int64_t person_id, int64_t *ids, int cap, int *n)
{
    store_stmt *st = NULL;
    bool row = false;
    *n = 0;
    ws_err rc = store_prepare(c, Q_AUTH_ACCOUNTS_OF_PERSON, &st);
    if (!rc) rc = store_bind_int(st, 1, person_id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (*n == cap) {
            rc = ws_fail(WS_ETOOBIG, "person_id", "the person has more than %d accounts", cap);
            break;
        }
        ids[(*n)++] = store_col_int(st, 0);
    }
    store_finalize(st);
    return rc;
}

/* Stored in place of an erased account's password hash: not an argon2id
 * string, so no password ever verifies against it (even if the account is
 * activated again, it needs an admin reset first). */
#define ERASED_HASH "!erased"

ws_err auth_account_erase(store_conn *c, const audit_actor *who, int64_t id, const char *reason)
{
    auth_account a;
    char name[32];
    store_stmt *st = NULL;
    bool own;
    ws_err rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = auth_account_get(c, id, &a);
    if (rc) goto done;
    snprintf(name, sizeof name, AUTH_ERASED_PREFIX "%lld", (long long)id);
    rc = store_prepare(c, Q_AUTH_ACCOUNT_ERASE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, name);
    if (!rc) rc = store_bind_text(st, 3, ERASED_HASH);
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (rc) {
        store_finalize(st);
        goto done;
    }
    rc = run(st);
    if (!rc) rc = revoke_all(c, id);
    if (!rc) rc = audit_purge(c, who, &AUDIT_ENTITY_ACCOUNT, id, reason, NULL);
    if (!rc) rc = audit_purge_events(c, who, "session", id, reason, NULL);
done:
    return auth_tx_end(c, own, rc);
}
