/* session.c — log in, resolve a bearer token, log out; failure counting,
 * backoff and lockout.
 *
 * Tokens: 32 bytes from randombytes_buf, shown to the client once as 64 hex
 * characters; the database keeps only SHA-256 of the 32 bytes
 * (sessions.token_hash), so a copy of the database cannot be used to sign in.
 * A session lives for the configured TTL (default 12 h) from login; logout
 * revokes it, as do deactivation, an admin reset and a password change
 * (which keeps the session that made it).
 *
 * Failed logins (account_security, a side table the audit log does not hash):
 *   every wrong password adds one to failed_count; each time the count
 *   reaches a multiple of AUTH_LOCK_AFTER (5) the account is locked, first
 *   for 15 minutes, then twice as long at each further lockout up to 24 h
 *   (the backoff). While locked, login answers WS_ELOCKED without checking
 *   the password. A successful login or an admin unlock clears the count.
 * Unknown users cost the same argon2id verification as known ones (against
 * a dummy hash), and both get the one message "wrong username or password".
 *
 * Every attempt appends a leaf: entity "session", id = the account's id (0
 * for an unknown name), action "login" or "logout", fields {username,
 * outcome}. Never the password. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/sha256.h"
#include "store/q_auth.h"

#define AUTH_LOCK_AFTER 5
#define AUTH_LOCK_FIRST_MS (15 * 60 * 1000LL)
#define AUTH_LOCK_MAX_MS (24 * 60 * 60 * 1000LL)
#define AUTH_DEFAULT_TTL_MS (12 * 60 * 60 * 1000LL)

static _Atomic int64_t session_ttl_ms = AUTH_DEFAULT_TTL_MS;

void auth_set_session_ttl(int64_t ms) { session_ttl_ms = ms > 0 ? ms : AUTH_DEFAULT_TTL_MS; }

/* The dummy hash verified for unknown users, made once. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void dummy_run(void)
{
    char pw[17];
    auth_random_password(pw, sizeof pw);
    if (auth_hash_password(pw, dummy_hash, sizeof dummy_hash) != WS_OK) dummy_hash[0] = 0;
    sodium_memzero(pw, sizeof pw);
}

static void burn_verification(const char *password)
{
    pthread_once(&dummy_once, dummy_run);
    if (dummy_hash[0]) (void)auth_verify_password(password, dummy_hash);
}

static ws_err login_event(store_conn *c, int64_t account_id, const char *username,
                          const char *action, const char *outcome)
{
    char actor[32];
    if (account_id > 0) snprintf(actor, sizeof actor, "account:%lld", (long long)account_id);
    else snprintf(actor, sizeof actor, "anonymous");
    audit_actor who = {actor};
    audit_field f[2] = {
        {.name = "username", .type = AC_TEXT, .s = username},
        {.name = "outcome", .type = AC_TEXT, .s = outcome},
    };
    return audit_event(c, &who, "session", account_id, action, f, 2, NULL);
}

/* Lock length after the k-th lockout (k >= 1). */
static int64_t lock_ms(int64_t k)
{
    int64_t ms = AUTH_LOCK_FIRST_MS;
    while (--k > 0 && ms < AUTH_LOCK_MAX_MS) ms *= 2;
    return ms < AUTH_LOCK_MAX_MS ? ms : AUTH_LOCK_MAX_MS;
}

/* Record a wrong password: count it, lock when due, append the leaf. */
static ws_err record_failure(store_conn *c, int64_t id, const char *username, int64_t *locked_until)
{
    store_stmt *st = NULL;
    bool own, row;
    int64_t count = 0;
    *locked_until = 0;
    ws_err rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = store_prepare(c, Q_AUTH_FAIL, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) count = store_col_int(st, 0);
    store_finalize(st);
    st = NULL;
    if (rc) goto done;
    if (count > 0 && count % AUTH_LOCK_AFTER == 0) {
        *locked_until = clock_now_ms() + lock_ms(count / AUTH_LOCK_AFTER);
        rc = store_prepare(c, Q_AUTH_LOCK, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_int(st, 2, *locked_until);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (rc) goto done;
    }
    rc = login_event(c, id, username, "login", *locked_until ? "wrong_password_locked" : "wrong_password");
done:
    return auth_tx_end(c, own, rc);
}

/* Create the session row for a successful login and append the leaf. */
static ws_err record_success(store_conn *c, int64_t id, const char *username,
                             const uint8_t hash[32], int64_t now, int64_t expires,
                             int64_t *session_id)
{
    store_stmt *st = NULL;
    bool own, row;
    ws_err rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = store_prepare(c, Q_AUTH_LOGIN_OK, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_int(st, 2, now);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (rc) goto done;
    /* Expired sessions are of no use to anyone: drop them as we go. */
    rc = store_prepare(c, Q_AUTH_SESSIONS_PURGE, &st);
    if (!rc) rc = store_bind_int(st, 1, now);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (rc) goto done;
    rc = store_prepare(c, Q_AUTH_SESSION_INSERT, &st);
    if (!rc) rc = store_bind_blob(st, 1, hash, 32);
    if (!rc) rc = store_bind_int(st, 2, id);
    if (!rc) rc = store_bind_int(st, 3, now);
    if (!rc) rc = store_bind_int(st, 4, expires);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ESTORE, NULL, "session insert returned no id");
    if (!rc) *session_id = store_col_int(st, 0);
    store_finalize(st);
    if (rc) goto done;
    rc = login_event(c, id, username, "login", "success");
done:
    return auth_tx_end(c, own, rc);
}

static ws_err wrong_credentials(void)
{
    return ws_fail(WS_EUNAUTH, "password", "wrong username or password");
}

ws_err auth_login(store_conn *c, const char *username, const char *password, char token[65],
                  auth_subject *s, int64_t *expires_at_ms)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = auth_init();
    if (rc) return rc;
    if (!username || !password) return wrong_credentials();
    /* Look the account up; copy what we need before the statement goes. */
    int64_t id = 0, locked_until = 0;
    bool active = false;
    char hash[crypto_pwhash_STRBYTES + 1] = "";
    if (strlen(username) < sizeof s->username) {
        rc = store_prepare(c, Q_AUTH_LOGIN_LOOKUP, &st);
        if (!rc) rc = store_bind_text(st, 1, username);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) {
            id = store_col_int(st, 0);
            auth_copy(hash, sizeof hash, store_col_text(st, 1));
            active = store_col_int(st, 2) != 0;
            locked_until = store_col_int(st, 4);
        }
        store_finalize(st);
        if (rc) return rc;
    }
    int64_t now = clock_now_ms();
    if (!id) {
        burn_verification(password);
        rc = login_event(c, 0, username, "login", "unknown_user");
        return rc ? rc : wrong_credentials();
    }
    if (locked_until > now) {
        char t[40];
        rc = login_event(c, id, username, "login", "locked");
        if (rc) return rc;
        return ws_fail(WS_ELOCKED, "username",
                       "too many failed sign-ins: the account is locked until %s; try again "
                       "later or ask an administrator to unlock it",
                       clock_format_rfc3339(locked_until, t, sizeof t));
    }
    bool ok = auth_verify_password(password, hash) == WS_OK;
    sodium_memzero(hash, sizeof hash);
    if (!active) {
        rc = login_event(c, id, username, "login", "inactive");
        return rc ? rc : wrong_credentials();
    }
    if (!ok) {
        int64_t until;
        rc = record_failure(c, id, username, &until);
        if (rc) return rc;
        return wrong_credentials();
    }

    /* Success: a fresh token, its hash stored, the subject filled. */
    uint8_t raw[32], th[32];
    randombytes_buf(raw, sizeof raw);
    ws_sha256(th, raw, sizeof raw);
    int64_t expires = now + session_ttl_ms;
    int64_t sid = 0;
    rc = record_success(c, id, username, th, now, expires, &sid);
    if (rc) goto fail;
    rc = auth_session(c, hex_encode(raw, sizeof raw, token), s);
    if (rc) goto fail;
    sodium_memzero(raw, sizeof raw);
    if (expires_at_ms) *expires_at_ms = expires;
    return WS_OK;
fail:
    sodium_memzero(raw, sizeof raw);
    token[0] = 0;
    return rc;
}

static ws_err bad_session(void)
{
    return ws_fail(WS_EUNAUTH, NULL, "the session is invalid or has expired; sign in again");
}

ws_err auth_session(store_conn *c, const char *token, auth_subject *s)
{
    uint8_t raw[32], th[32];
    store_stmt *st = NULL;
    bool row = false;
    memset(s, 0, sizeof *s);
    if (!token || strlen(token) != 64 || hex_decode(token, raw, sizeof raw) != 0) return bad_session();
    ws_sha256(th, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    ws_err rc = store_prepare(c, Q_AUTH_SESSION_LOOKUP, &st);
    if (!rc) rc = store_bind_blob(st, 1, th, sizeof th);
    if (!rc) rc = store_step(st, &row);
    if (rc) goto done;
    if (!row) {
        rc = bad_session();
        goto done;
    }
    int64_t expires = store_col_int(st, 1);
    bool revoked = store_col_int(st, 2) != 0, active = store_col_int(st, 8) != 0;
    if (revoked || !active || expires <= clock_now_ms()) {
        rc = bad_session();
        goto done;
    }
    s->session_id = store_col_int(st, 0);
    s->account_id = store_col_int(st, 3);
    auth_copy(s->username, sizeof s->username, store_col_text(st, 4));
    s->person_id = store_col_null(st, 5) ? 0 : store_col_int(st, 5);
    rc = auth_roles_parse(store_col_text(st, 6), &s->roles);
    if (rc) {
        char aid[24];
        snprintf(aid, sizeof aid, "%lld", (long long)store_col_int(st, 3));
        log_error("account has unreadable roles", "account", aid);
        rc = ws_fail(WS_ECORRUPT, NULL, "the account's roles cannot be read");
        goto done;
    }
    s->scope_unit_id = store_col_int(st, 7);
    s->must_change_password = store_col_int(st, 9) != 0;
    auth_copy(s->scope_path, sizeof s->scope_path, store_col_text(st, 10));
done:
    store_finalize(st);
    if (rc) memset(s, 0, sizeof *s);
    return rc;
}

ws_err auth_logout(store_conn *c, const auth_subject *s)
{
    store_stmt *st = NULL;
    bool own, row;
    if (!s || !s->session_id) return ws_fail(WS_EUNAUTH, NULL, "not signed in");
    ws_err rc = auth_tx_begin(c, &own);
    if (rc) return rc;
    rc = store_prepare(c, Q_AUTH_SESSION_REVOKE, &st);
    if (!rc) rc = store_bind_int(st, 1, s->session_id);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = login_event(c, s->account_id, s->username, "logout", "success");
    return auth_tx_end(c, own, rc);
}
