/* test_auth.c — accounts, passwords, sessions and the permission decision
 * (src/auth).
 *
 * Pure part: role names, the policy matrix (every role x action, a resource
 * inside and outside the scope -> WS_OK / WS_EFORBIDDEN / WS_ENOTFOUND), the
 * scope prefix rule, the password policy, argon2id hash and verify.
 * Store part, on a SQLite file in a temp dir and, when WS_TEST_PG_URL is set,
 * on a fresh PostgreSQL database: login, one message for a wrong user or
 * password, lockout after 5 failures and its expiry (the test clock), token
 * lookup and what is stored of it, session expiry, logout, account changes
 * with their leaves (never the password), and audit verify catching a role
 * changed behind worksafe's back.
 * Dispatcher part (src/api/api.c with the auth and account routes, no HTTP
 * server): 401/403/404 and the error envelope, the cookie and its Origin
 * check, the must-change-password gate, and bad bodies writing nothing.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/clock.h"
#include "store/store.h"

#define PW "Correct-Horse-7"
#define ORIGIN "auth.test/audit/v1"

/* ---- pure: roles -------------------------------------------------------- */

static void roles_round_trip(void **state)
{
    (void)state;
    unsigned r = 0;
    char out[160];
    assert_int_equal(auth_roles_parse("admin", &r), WS_OK);
    assert_int_equal(r, ROLE_ADMIN);
    /* any order in, the fixed order out */
    assert_int_equal(auth_roles_parse("regulator,worker,safety_officer", &r), WS_OK);
    assert_int_equal(r, ROLE_REGULATOR | ROLE_WORKER | ROLE_SAFETY_OFFICER);
    auth_roles_format(r, out, sizeof out);
    assert_string_equal(out, "safety_officer,worker,regulator");
    auth_roles_format(ROLE_ALL, out, sizeof out);
    assert_string_equal(out, "admin,manager,safety_officer,dept_head,grid_leader,worker,regulator");
    assert_int_equal(auth_roles_parse(out, &r), WS_OK);
    assert_int_equal(r, ROLE_ALL);
    /* a small buffer truncates but stays a string */
    auth_roles_format(ROLE_ALL, out, 8);
    assert_true(strlen(out) < 8);

    const char *bad[] = {"", "root", "admin,", ",admin", "admin,,worker", "Admin", "admin manager"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ws_err_clear();
        assert_int_equal(auth_roles_parse(bad[i], &r), WS_EINVAL);
        assert_string_equal(ws_err_field(), "roles");
    }
    assert_int_equal(auth_roles_check(ROLE_MANAGER | ROLE_REGULATOR), WS_OK);
    assert_int_equal(auth_roles_check(ROLE_ADMIN | ROLE_REGULATOR), WS_EINVAL);
    assert_string_equal(ws_err_field(), "roles");
    assert_int_equal(auth_roles_check(0), WS_EINVAL);
}

/* ---- pure: policy ------------------------------------------------------- */

static auth_subject subject(unsigned roles, const char *scope)
{
    auth_subject s;
    memset(&s, 0, sizeof s);
    s.account_id = 10;
    s.person_id = 20;
    s.roles = roles;
    s.scope_unit_id = 2;
    snprintf(s.scope_path, sizeof s.scope_path, "%s", scope);
    snprintf(s.username, sizeof s.username, "u");
    return s;
}

static void scope_is_a_path_prefix(void **state)
{
    (void)state;
    auth_subject s = subject(ROLE_WORKER, "/1/4/");
    assert_true(auth_in_scope(&s, "/1/4/"));
    assert_true(auth_in_scope(&s, "/1/4/9/"));
    assert_false(auth_in_scope(&s, "/1/40/")); /* not a sibling that shares digits */
    assert_false(auth_in_scope(&s, "/1/"));    /* not the parent */
    assert_false(auth_in_scope(&s, "/2/4/"));
    assert_false(auth_in_scope(&s, NULL));
    /* a malformed scope grants nothing */
    s = subject(ROLE_WORKER, "");
    assert_false(auth_in_scope(&s, "/1/"));
    s = subject(ROLE_WORKER, "/1");
    assert_false(auth_in_scope(&s, "/1/"));
    assert_false(auth_in_scope(&s, "/10/"));
}

enum { O = 0, F = 1, N = 2 }; /* expected: OK, forbidden, not found */

static const unsigned role_of[7] = {ROLE_ADMIN,       ROLE_MANAGER, ROLE_SAFETY_OFFICER,
                                    ROLE_DEPT_HEAD,   ROLE_GRID_LEADER, ROLE_WORKER,
                                    ROLE_REGULATOR};

/* The matrix of docs/internals/auth.md and the API contract, written by hand:
 * per action, per role (admin, manager, safety_officer, dept_head,
 * grid_leader, worker, regulator): inside the scope, outside it. */
static const struct {
    const char *action;
    int in[7], out[7];
} matrix[] = {
    {"me.read", {O, O, O, O, O, O, O}, {O, O, O, O, O, O, O}},
    {"auth.password", {O, O, O, O, O, O, O}, {O, O, O, O, O, O, O}},
    {"unit.read", {O, O, O, O, O, O, O}, {N, N, N, N, N, N, N}},
    {"unit.write", {O, O, F, F, F, F, F}, {N, N, F, F, F, F, F}},
    {"org.write", {O, O, F, F, F, F, F}, {N, N, F, F, F, F, F}},
    {"person.read", {O, O, O, O, O, O, O}, {N, N, N, N, N, N, N}},
    {"person.write", {O, O, F, O, F, F, F}, {N, N, F, N, F, F, F}},
    {"person.erase", {O, F, F, F, F, F, F}, {N, F, F, F, F, F, F}},
    {"person.contact", {O, O, O, O, O, O, F}, {N, N, N, N, N, N, F}},
    {"import.run", {O, O, F, F, F, F, F}, {N, N, F, F, F, F, F}},
    {"account.read", {O, O, F, F, F, F, F}, {N, N, F, F, F, F, F}},
    {"account.write", {O, F, F, F, F, F, F}, {N, F, F, F, F, F, F}},
    {"audit.read", {O, O, O, F, F, F, O}, {N, N, N, F, F, F, N}},
    {"plant.read", {O, O, O, O, O, O, O}, {N, N, N, N, N, N, N}},
    {"handover.write", {O, O, O, O, O, O, F}, {N, N, N, N, N, N, F}},
};

static ws_err expect_code(int e) { return e == O ? WS_OK : e == F ? WS_EFORBIDDEN : WS_ENOTFOUND; }

static void policy_matrix(void **state)
{
    (void)state;
    auth_resource in = {.unit_path = "/1/2/5/"}, out = {.unit_path = "/1/3/"};
    for (size_t a = 0; a < sizeof matrix / sizeof matrix[0]; a++) {
        for (int r = 0; r < 7; r++) {
            auth_subject s = subject(role_of[r], "/1/2/");
            ws_err got_in = auth_decide(&s, matrix[a].action, &in);
            ws_err got_out = auth_decide(&s, matrix[a].action, &out);
            ws_err route = auth_decide(&s, matrix[a].action, NULL);
            if (got_in != expect_code(matrix[a].in[r]) || got_out != expect_code(matrix[a].out[r]))
                fail_msg("%s role %d: in %d (want %d), out %d (want %d)", matrix[a].action, r,
                         got_in, expect_code(matrix[a].in[r]), got_out,
                         expect_code(matrix[a].out[r]));
            /* route level: the role alone */
            assert_int_equal(route, matrix[a].in[r] == F ? WS_EFORBIDDEN : WS_OK);
        }
    }
    /* roles add up: a worker who is also a manager may write units */
    auth_subject s = subject(ROLE_WORKER | ROLE_MANAGER, "/1/2/");
    assert_int_equal(auth_decide(&s, "unit.write", &in), WS_OK);
    /* a resource bound to no unit: only the role decides */
    auth_resource none = {0};
    s = subject(ROLE_WORKER, "/1/2/");
    assert_int_equal(auth_decide(&s, "unit.read", &none), WS_OK);
    assert_int_equal(auth_decide(&s, "unit.write", &none), WS_EFORBIDDEN);
    /* unknown actions are bugs, never grants; no subject is 401 */
    assert_int_equal(auth_decide(&s, "unit.wirte", NULL), WS_EINTERNAL);
    assert_int_equal(auth_decide(NULL, "unit.read", NULL), WS_EUNAUTH);
    auth_subject nobody;
    memset(&nobody, 0, sizeof nobody);
    assert_int_equal(auth_decide(&nobody, "me.read", NULL), WS_EUNAUTH);
    /* an account with no roles may do nothing but is not "not found" */
    s = subject(0, "/1/2/");
    assert_int_equal(auth_decide(&s, "unit.read", &out), WS_EFORBIDDEN);
}

/* REL_AREA_ABOVE: someone scoped to a grid reads the risk register, the
 * risk index and the permits (属地) of an area that holds the grid, and
 * nothing else above it. */
static void area_above_reads(void **state)
{
    (void)state;
    auth_subject grid = subject(ROLE_WORKER, "/1/2/5/9/"); /* a grid in area 5 */
    auth_resource area = {.unit_path = "/1/2/5/", .unit_is_area = true};
    auth_resource outer = {.unit_path = "/1/2/", .unit_is_area = true}; /* an area holding area 5 */
    auth_resource site = {.unit_path = "/1/2/5/", .unit_is_area = false};
    auth_resource sibling = {.unit_path = "/1/2/6/", .unit_is_area = true};
    auth_resource digits = {.unit_path = "/1/2/5/9", .unit_is_area = true}; /* not a whole path */
    auth_resource self = {.unit_path = "/1/2/5/9/", .unit_is_area = true};
    for (int k = 0; k < 3; k++) {
        const char *act = k == 2 ? "permit.read" : k ? "riskidx.read" : "risk.read";
        assert_int_equal(auth_decide(&grid, act, &area), WS_OK);
        assert_int_equal(auth_decide(&grid, act, &outer), WS_OK);
        assert_int_equal(auth_decide(&grid, act, &self), WS_OK); /* in scope, as before */
        assert_int_equal(auth_decide(&grid, act, &site), WS_ENOTFOUND);
        assert_int_equal(auth_decide(&grid, act, &sibling), WS_ENOTFOUND);
        assert_int_equal(auth_decide(&grid, act, &digits), WS_ENOTFOUND);
    }
    /* reading only: nobody keeps the register of an area above them */
    auth_subject so = subject(ROLE_SAFETY_OFFICER, "/1/2/5/9/");
    assert_int_equal(auth_decide(&so, "risk.write", &area), WS_ENOTFOUND);
    assert_int_equal(auth_decide(&so, "permit.write", &area), WS_ENOTFOUND);
    assert_int_equal(auth_decide(&so, "permit.approve", &area), WS_ENOTFOUND);
    /* and only those three: hidden dangers and alarms of the area stay out */
    assert_int_equal(auth_decide(&grid, "hazard.read", &area), WS_ENOTFOUND);
    assert_int_equal(auth_decide(&grid, "alarm.read", &area), WS_ENOTFOUND);
}

/* ---- pure: passwords ---------------------------------------------------- */

static void password_policy_and_hashing(void **state)
{
    (void)state;
    assert_int_equal(auth_init(), WS_OK);
    assert_int_equal(auth_check_password_policy("abcdefghij", "pw"), WS_EINVAL); /* one class */
    assert_string_equal(ws_err_field(), "pw");
    assert_int_equal(auth_check_password_policy("abcdefghi1", "pw"), WS_OK);     /* 10 bytes */
    assert_int_equal(auth_check_password_policy("abcdefgh1", "pw"), WS_EINVAL);  /* 9 */
    assert_int_equal(auth_check_password_policy("安全生产管理", "pw"), WS_EINVAL); /* one class */
    assert_int_equal(auth_check_password_policy("安全生产2026", "pw"), WS_OK);    /* 16 bytes */
    assert_int_equal(auth_check_password_policy("安全1", "pw"), WS_EINVAL);       /* 7 bytes */
    char big[130];
    memset(big, 'a', 128);
    big[0] = '1';
    big[128] = 0;
    assert_int_equal(auth_check_password_policy(big, "pw"), WS_OK);
    big[128] = 'b';
    big[129] = 0;
    assert_int_equal(auth_check_password_policy(big, "pw"), WS_EINVAL);

    char h[128], h2[128];
    assert_int_equal(auth_hash_password(PW, h, sizeof h), WS_OK);
    assert_non_null(strstr(h, "$argon2id$"));
    assert_null(strstr(h, PW));
    assert_int_equal(auth_verify_password(PW, h), WS_OK);
    assert_int_equal(auth_verify_password("Correct-Horse-8", h), WS_EUNAUTH);
    assert_int_equal(auth_verify_password("", h), WS_EUNAUTH);
    /* salted: the same password hashes differently */
    assert_int_equal(auth_hash_password(PW, h2, sizeof h2), WS_OK);
    assert_string_not_equal(h, h2);
    assert_int_equal(auth_hash_password(PW, h2, 64), WS_EINTERNAL);

    char a[17], b[17];
    auth_random_password(a, sizeof a);
    auth_random_password(b, sizeof b);
    assert_int_equal(strlen(a), 16);
    assert_string_not_equal(a, b);
    assert_int_equal(auth_check_password_policy(a, "pw"), WS_OK);
}

/* ---- store fixture -------------------------------------------------------- */

typedef struct fixture {
    store_kind kind;
    char url[1024];
    char dir[128];
    char key[256];
    char pg_admin[512];
    char pg_db[64];
    store *s;
} fixture;

static fixture fx_sqlite, fx_pg;
static const audit_actor SYSTEM = {"system"};

static store_conn *acq(fixture *f)
{
    store_conn *c = NULL;
    assert_int_equal(store_acquire(f->s, &c), WS_OK);
    return c;
}

static void exec_ok(store_conn *c, const char *sql)
{
    if (store_exec(c, sql)) fail_msg("exec failed: %s: %s", sql, ws_err_message());
}

static int64_t query_int(store_conn *c, const char *sql, const char *arg)
{
    store_stmt *st;
    bool row = false;
    assert_int_equal(store_prepare(c, sql, &st), WS_OK);
    if (arg) assert_int_equal(store_bind_text(st, 1, arg), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    return v;
}

static void pg_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static bool pg_admin_exec(const char *url, const char *sql)
{
    PGconn *pc = PQconnectdb(url);
    bool ok = false;
    if (PQstatus(pc) == CONNECTION_OK) {
        PQsetNoticeProcessor(pc, pg_quiet, NULL); /* "does not exist, skipping" */
        PGresult *r = PQexec(pc, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) fprintf(stderr, "pg admin: %s", PQerrorMessage(pc));
        PQclear(r);
    } else {
        fprintf(stderr, "pg admin connect: %s", PQerrorMessage(pc));
    }
    PQfinish(pc);
    return ok;
}

/* A park (1) with enterprises A (2) and B (3), a site of A (4), and a person
 * in A's site. */
static void seed(store_conn *c)
{
    exec_ok(c, "INSERT INTO units (id, parent_id, kind, code, name, tz, path, enterprise_id, active, "
               "created_at, updated_at) VALUES "
               "(1, NULL, 'park', 'P', '化工园区', 'Asia/Shanghai', '/1/', NULL, 1, 1, 1), "
               "(2, 1, 'enterprise', 'A', '企业A', 'Asia/Shanghai', '/1/2/', 2, 1, 1, 1), "
               "(3, 1, 'enterprise', 'B', '企业B', 'Asia/Shanghai', '/1/3/', 3, 1, 1, 1), "
               "(4, 2, 'site', 'A1', '厂区A1', 'Asia/Shanghai', '/1/2/4/', 2, 1, 1, 1)");
    exec_ok(c, "INSERT INTO people (id, unit_id, name, phone, active, created_at, updated_at) "
               "VALUES (1, 4, '张三', '13900000000', 1, 1, 1)");
}

static int open_common(fixture *f)
{
    snprintf(f->key, sizeof f->key, "%s/audit.key", f->dir);
    if (store_open(f->url, 4, &f->s)) {
        fprintf(stderr, "store_open: %s\n", ws_err_message());
        return -1;
    }
    store_conn *c = NULL;
    if (store_acquire(f->s, &c) || store_migrate(c)) {
        fprintf(stderr, "migrate: %s\n", ws_err_message());
        if (c) store_release(c);
        return -1;
    }
    seed(c);
    store_release(c);
    if (auth_init() || audit_keygen(f->key) || audit_open(f->key, ORIGIN)) {
        fprintf(stderr, "audit: %s\n", ws_err_message());
        return -1;
    }
    auth_set_session_ttl(12 * 3600 * 1000LL);
    return 0;
}

static int setup_sqlite(void **state)
{
    fixture *f = &fx_sqlite;
    f->kind = STORE_SQLITE;
    snprintf(f->dir, sizeof f->dir, "/tmp/ws_auth_test_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->url, sizeof f->url, "%s/worksafe.db", f->dir);
    *state = f;
    return open_common(f);
}

static int setup_pg(void **state)
{
    fixture *f = &fx_pg;
    const char *base = getenv("WS_TEST_PG_URL");
    f->kind = STORE_POSTGRES;
    snprintf(f->pg_admin, sizeof f->pg_admin, "%s", base);
    snprintf(f->pg_db, sizeof f->pg_db, "ws_auth_test_%ld", (long)getpid());
    const char *hostpart = strstr(base, "://");
    const char *slash = hostpart ? strchr(hostpart + 3, '/') : NULL;
    const char *query = strchr(base, '?');
    int hostlen = slash ? (int)(slash - base) : (int)(query ? query - base : (long)strlen(base));
    snprintf(f->url, sizeof f->url, "%.*s/%s%s", hostlen, base, f->pg_db, query ? query : "");
    snprintf(f->dir, sizeof f->dir, "/tmp/ws_auth_pgtest_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", f->pg_db);
    pg_admin_exec(f->pg_admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->pg_db);
    if (!pg_admin_exec(f->pg_admin, sql)) return -1;
    *state = f;
    return open_common(f);
}

static int teardown_common(fixture *f)
{
    store_close(f->s);
    f->s = NULL;
    audit_close();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown_sqlite(void **state) { return teardown_common(*state); }

static int teardown_pg(void **state)
{
    fixture *f = *state;
    int rc = teardown_common(f);
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->pg_db);
    return pg_admin_exec(f->pg_admin, sql) && rc == 0 ? 0 : -1;
}

static int64_t make_account(store_conn *c, const char *user, unsigned roles, int64_t unit)
{
    int64_t id = 0;
    ws_err rc = auth_create_account(c, &SYSTEM, user, PW, roles, unit, 0, false, &id);
    if (rc) fail_msg("create %s: %s (%s)", user, ws_err_message(), ws_err_field());
    assert_true(id > 0);
    return id;
}

/* Leaves of entity/action for entity id (0 for events of no account). */
static int64_t leaves(store_conn *c, const char *entity, const char *action, int64_t id)
{
    static const char q[] =
        "SELECT count(*) FROM audit_leaf WHERE entity = $1 AND action = $2 AND entity_id = $3";
    store_stmt *st;
    bool row = false;
    assert_int_equal(store_prepare(c, q, &st), WS_OK);
    assert_int_equal(store_bind_text(st, 1, entity), WS_OK);
    assert_int_equal(store_bind_text(st, 2, action), WS_OK);
    assert_int_equal(store_bind_int(st, 3, id), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    int64_t n = store_col_int(st, 0);
    store_finalize(st);
    return n;
}

/* True when any stored record version contains the bytes of s. */
static bool log_contains(store_conn *c, const char *s)
{
    static const char q[] = "SELECT content FROM record_version";
    store_stmt *st;
    bool row = false, found = false;
    assert_int_equal(store_prepare(c, q, &st), WS_OK);
    while (store_step(st, &row) == WS_OK && row) {
        size_t n = 0;
        const void *p = store_col_blob(st, 0, &n);
        if (p && memmem(p, n, s, strlen(s))) found = true;
    }
    store_finalize(st);
    return found;
}

/* ---- store: login and sessions ------------------------------------------ */

static void login_and_token(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f);
    int64_t id = make_account(c, "zhang", ROLE_SAFETY_OFFICER | ROLE_WORKER, 2);
    char tok[65];
    auth_subject s;
    int64_t exp = 0, t0 = clock_now_ms();
    assert_int_equal(auth_login(c, "zhang", PW, tok, &s, &exp), WS_OK);
    assert_int_equal(strlen(tok), 64);
    assert_int_equal(strspn(tok, "0123456789abcdef"), 64);
    assert_int_equal(s.account_id, id);
    assert_string_equal(s.username, "zhang");
    assert_int_equal(s.roles, ROLE_SAFETY_OFFICER | ROLE_WORKER);
    assert_int_equal(s.scope_unit_id, 2);
    assert_string_equal(s.scope_path, "/1/2/");
    assert_false(s.must_change_password);
    assert_true(s.session_id > 0);
    assert_true(exp >= t0 + 12 * 3600 * 1000LL && exp <= clock_now_ms() + 12 * 3600 * 1000LL);

    /* the token resolves to the same subject */
    auth_subject t;
    assert_int_equal(auth_session(c, tok, &t), WS_OK);
    assert_int_equal(t.account_id, id);
    assert_int_equal(t.session_id, s.session_id);
    assert_string_equal(t.scope_path, "/1/2/");

    /* the database holds SHA-256 of the token's 32 bytes, never the token */
    uint8_t raw[32], h[32];
    assert_int_equal(hex_decode(tok, raw, 32), 0);
    crypto_hash_sha256(h, raw, 32);
    store_stmt *st;
    bool row = false;
    assert_int_equal(store_prepare(c, "SELECT count(*) FROM sessions WHERE token_hash = $1", &st), WS_OK);
    assert_int_equal(store_bind_blob(st, 1, h, 32), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_int_equal(store_col_int(st, 0), 1);
    store_finalize(st);
    assert_int_equal(store_prepare(c, "SELECT count(*) FROM sessions WHERE token_hash = $1", &st), WS_OK);
    assert_int_equal(store_bind_blob(st, 1, raw, 32), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_int_equal(store_col_int(st, 0), 0);
    store_finalize(st);

    /* malformed and unknown tokens */
    char other[65];
    memcpy(other, tok, 65);
    other[0] = other[0] == 'a' ? 'b' : 'a';
    const char *bad[] = {"", "abc", other, NULL};
    for (int i = 0; bad[i]; i++) assert_int_equal(auth_session(c, bad[i], &t), WS_EUNAUTH);
    assert_int_equal(t.account_id, 0); /* cleared on failure */
    char longer[80];
    snprintf(longer, sizeof longer, "%s00", tok);
    assert_int_equal(auth_session(c, longer, &t), WS_EUNAUTH);
    assert_int_equal(auth_session(c, NULL, &t), WS_EUNAUTH);

    /* a success leaf for the account; the password is nowhere in the log */
    assert_int_equal(leaves(c, "session", "login", id), 1);
    assert_int_equal(leaves(c, "account", "create", id), 1);
    assert_false(log_contains(c, PW));
    assert_true(log_contains(c, "zhang"));
    store_release(c);
}

static void wrong_password_and_lockout(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f);
    int64_t id = make_account(c, "li", ROLE_WORKER, 4);
    char tok[65], wrong_msg[256], unknown_msg[256];
    auth_subject s;
    int64_t exp;

    assert_int_equal(auth_login(c, "li", "Wrong-Pass-1", tok, &s, &exp), WS_EUNAUTH);
    snprintf(wrong_msg, sizeof wrong_msg, "%s", ws_err_message());
    assert_int_equal(auth_login(c, "nobody", "Wrong-Pass-1", tok, &s, &exp), WS_EUNAUTH);
    snprintf(unknown_msg, sizeof unknown_msg, "%s", ws_err_message());
    /* one message for both, so a caller cannot tell which usernames exist */
    assert_string_equal(wrong_msg, unknown_msg);
    assert_int_equal(leaves(c, "session", "login", 0), 1); /* the unknown user */

    for (int i = 2; i <= 4; i++)
        assert_int_equal(auth_login(c, "li", "Wrong-Pass-1", tok, &s, &exp), WS_EUNAUTH);
    /* a success in between would reset the count; here: the 5th failure locks */
    assert_int_equal(auth_login(c, "li", "Wrong-Pass-1", tok, &s, &exp), WS_EUNAUTH);
    ws_err_clear();
    assert_int_equal(auth_login(c, "li", PW, tok, &s, &exp), WS_ELOCKED);
    assert_non_null(strstr(ws_err_message(), "locked until"));
    auth_account a;
    assert_int_equal(auth_account_get(c, id, &a), WS_OK);
    assert_true(a.locked_until > clock_now_ms() + 14 * 60 * 1000);
    assert_true(a.locked_until <= clock_now_ms() + 15 * 60 * 1000);
    assert_int_equal(leaves(c, "session", "login", id), 6);

    /* 14 minutes later still locked; after 15 the right password works */
    clock_test_advance(14 * 60 * 1000);
    assert_int_equal(auth_login(c, "li", PW, tok, &s, &exp), WS_ELOCKED);
    clock_test_advance(61 * 1000);
    assert_int_equal(auth_login(c, "li", PW, tok, &s, &exp), WS_OK);
    assert_int_equal(auth_account_get(c, id, &a), WS_OK);
    assert_int_equal(a.failed_count, 0);
    assert_true(a.last_login_at > 0);

    /* backoff: without a success in between, the second lockout lasts 30
     * minutes; attempts while locked are refused and not counted */
    for (int i = 0; i < 10; i++)
        assert_int_equal(auth_login(c, "li", "Wrong-Pass-1", tok, &s, &exp),
                         i < 5 ? WS_EUNAUTH : WS_ELOCKED);
    assert_int_equal(auth_account_get(c, id, &a), WS_OK);
    assert_true(a.locked_until > clock_now_ms() + 14 * 60 * 1000);
    assert_true(a.locked_until <= clock_now_ms() + 15 * 60 * 1000);
    assert_int_equal(a.failed_count, 5);
    clock_test_advance(16 * 60 * 1000);
    for (int i = 0; i < 5; i++) (void)auth_login(c, "li", "Wrong-Pass-1", tok, &s, &exp);
    assert_int_equal(auth_account_get(c, id, &a), WS_OK);
    assert_int_equal(a.failed_count, 10);
    assert_true(a.locked_until > clock_now_ms() + 29 * 60 * 1000);

    /* an admin unlock clears it at once */
    assert_int_equal(auth_account_unlock(c, &SYSTEM, id), WS_OK);
    assert_int_equal(auth_login(c, "li", PW, tok, &s, &exp), WS_OK);
    assert_int_equal(leaves(c, "session", "unlock", id), 1);
    assert_false(log_contains(c, "Wrong-Pass-1"));
    store_release(c);
}

static void expiry_and_logout(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f);
    make_account(c, "wang", ROLE_GRID_LEADER, 4);
    char tok[65], tok2[65];
    auth_subject s, t;
    int64_t exp;
    auth_set_session_ttl(3600 * 1000LL);
    assert_int_equal(auth_login(c, "wang", PW, tok, &s, &exp), WS_OK);
    assert_int_equal(auth_login(c, "wang", PW, tok2, &t, &exp), WS_OK);
    assert_string_not_equal(tok, tok2);
    /* A minute of margin: the second login's argon2id may take seconds under load. */
    clock_test_advance(3600 * 1000LL - 60 * 1000);
    assert_int_equal(auth_session(c, tok, &t), WS_OK);
    clock_test_advance(60 * 1000 + 1);
    assert_int_equal(auth_session(c, tok, &t), WS_EUNAUTH);
    auth_set_session_ttl(12 * 3600 * 1000LL);

    /* logout revokes that session only */
    assert_int_equal(auth_login(c, "wang", PW, tok, &s, &exp), WS_OK);
    assert_int_equal(auth_login(c, "wang", PW, tok2, &t, &exp), WS_OK);
    assert_int_equal(auth_logout(c, &s), WS_OK);
    assert_int_equal(auth_session(c, tok, &t), WS_EUNAUTH);
    assert_int_equal(auth_session(c, tok2, &t), WS_OK);
    assert_int_equal(leaves(c, "session", "logout", s.account_id), 1);
    store_release(c);
}

/* ---- store: accounts ------------------------------------------------------ */

static void account_rules(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f);
    int64_t id = 0;
    int64_t admin = make_account(c, "admin_a", ROLE_ADMIN, 2);
    assert_int_equal(auth_create_account(c, &SYSTEM, "admin_a", PW, ROLE_WORKER, 2, 0, false, &id),
                     WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "username");
    assert_int_equal(auth_create_account(c, &SYSTEM, "reg", PW, ROLE_ADMIN | ROLE_REGULATOR, 1, 0,
                                         false, &id),
                     WS_EINVAL);
    assert_string_equal(ws_err_field(), "roles");
    assert_int_equal(auth_create_account(c, &SYSTEM, "x", PW, ROLE_WORKER, 99, 0, false, &id),
                     WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "scope_unit_id");
    assert_int_equal(auth_create_account(c, &SYSTEM, "x", PW, ROLE_WORKER, 2, 99, false, &id),
                     WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "person_id");
    assert_int_equal(auth_create_account(c, &SYSTEM, "x", "short", ROLE_WORKER, 2, 0, false, &id),
                     WS_EINVAL);
    assert_string_equal(ws_err_field(), "password");
    assert_int_equal(auth_create_account(c, &SYSTEM, "a b", PW, ROLE_WORKER, 2, 0, false, &id),
                     WS_EINVAL);
    assert_string_equal(ws_err_field(), "username");
    assert_int_equal(auth_create_account(c, &SYSTEM, "", PW, ROLE_WORKER, 2, 0, false, &id),
                     WS_EINVAL);
    assert_int_equal(auth_create_account(c, &SYSTEM, "x", PW, 0, 2, 0, false, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "roles");

    /* a person-linked account in B, must change its password */
    int64_t w = 0;
    assert_int_equal(auth_create_account(c, &SYSTEM, "worker_b", PW, ROLE_WORKER, 3, 1, true, &w),
                     WS_OK);
    auth_account a;
    assert_int_equal(auth_account_get(c, w, &a), WS_OK);
    assert_int_equal(a.person_id, 1);
    assert_true(a.must_change_password);
    assert_true(a.active);
    assert_string_equal(a.scope_path, "/1/3/");

    /* listing by scope: A's subtree does not show B's account */
    auth_account rows[50];
    int n = 0;
    assert_int_equal(auth_account_list(c, "/1/2/", 0, 50, rows, &n), WS_OK);
    for (int i = 0; i < n; i++) {
        assert_int_not_equal(rows[i].id, w);
        assert_int_equal(strncmp(rows[i].scope_path, "/1/2/", 5), 0);
    }
    assert_true(n >= 1);
    int n_all = 0;
    assert_int_equal(auth_account_list(c, "/1/", 0, 50, rows, &n_all), WS_OK);
    assert_true(n_all > n);
    /* paging by id */
    int n1 = 0, n2 = 0;
    auth_account page[1];
    assert_int_equal(auth_account_list(c, "/1/", 0, 1, page, &n1), WS_OK);
    assert_int_equal(n1, 1);
    assert_int_equal(auth_account_list(c, "/1/", page[0].id, 50, rows, &n2), WS_OK);
    assert_int_equal(n2, n_all - 1);

    /* a role change is a permission change; a person change an update; no
     * change no leaf */
    unsigned roles = ROLE_WORKER | ROLE_GRID_LEADER;
    int64_t scope = 2, person = 0;
    assert_int_equal(auth_account_update(c, &SYSTEM, w, &roles, &scope, NULL), WS_OK);
    assert_int_equal(leaves(c, "account", "permission_change", w), 1);
    assert_int_equal(auth_account_update(c, &SYSTEM, w, &roles, &scope, NULL), WS_OK);
    assert_int_equal(leaves(c, "account", "permission_change", w), 1);
    assert_int_equal(auth_account_update(c, &SYSTEM, w, NULL, NULL, &person), WS_OK);
    assert_int_equal(leaves(c, "account", "update", w), 1);
    assert_int_equal(auth_account_get(c, w, &a), WS_OK);
    assert_int_equal(a.roles, ROLE_WORKER | ROLE_GRID_LEADER);
    assert_string_equal(a.scope_path, "/1/2/");
    assert_int_equal(a.person_id, 0);
    roles = ROLE_ADMIN | ROLE_REGULATOR;
    assert_int_equal(auth_account_update(c, &SYSTEM, w, &roles, NULL, NULL), WS_EINVAL);
    scope = 77;
    assert_int_equal(auth_account_update(c, &SYSTEM, w, NULL, &scope, NULL), WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "scope_unit_id");
    assert_int_equal(auth_account_update(c, &SYSTEM, 9999, NULL, NULL, NULL), WS_ENOTFOUND);

    /* must change: the first login says so; changing needs the old password */
    char tok[65], tok2[65];
    auth_subject s, s2;
    int64_t exp;
    assert_int_equal(auth_login(c, "worker_b", PW, tok, &s, &exp), WS_OK);
    assert_true(s.must_change_password);
    assert_int_equal(auth_login(c, "worker_b", PW, tok2, &s2, &exp), WS_OK);
    assert_int_equal(auth_change_password(c, &s, "Not-The-Pass-1", "New-Pass-2026"), WS_EINVAL);
    assert_string_equal(ws_err_field(), "old_password");
    assert_int_equal(auth_change_password(c, &s, PW, "short"), WS_EINVAL);
    assert_string_equal(ws_err_field(), "new_password");
    assert_int_equal(auth_change_password(c, &s, PW, PW), WS_EINVAL);
    assert_string_equal(ws_err_field(), "new_password");
    assert_int_equal(auth_change_password(c, &s, PW, "New-Pass-2026"), WS_OK);
    assert_int_equal(leaves(c, "account", "password_change", w), 1);
    assert_int_equal(auth_session(c, tok, &s), WS_OK);    /* this session stays */
    assert_false(s.must_change_password);
    assert_int_equal(auth_session(c, tok2, &s2), WS_EUNAUTH); /* the others end */
    assert_int_equal(auth_login(c, "worker_b", PW, tok2, &s2, &exp), WS_EUNAUTH);
    assert_int_equal(auth_login(c, "worker_b", "New-Pass-2026", tok2, &s2, &exp), WS_OK);

    /* admin reset: a new random password, must change, sessions end */
    char np[17];
    assert_int_equal(auth_reset_password(c, &SYSTEM, w, np, sizeof np), WS_OK);
    assert_int_equal(strlen(np), 16);
    assert_int_equal(auth_session(c, tok, &s), WS_EUNAUTH);
    assert_int_equal(auth_login(c, "worker_b", "New-Pass-2026", tok, &s, &exp), WS_EUNAUTH);
    assert_int_equal(auth_login(c, "worker_b", np, tok, &s, &exp), WS_OK);
    assert_true(s.must_change_password);
    assert_int_equal(leaves(c, "account", "password_reset", w), 1);
    assert_false(log_contains(c, np));
    assert_false(log_contains(c, "New-Pass-2026"));

    /* deactivation ends sessions and refuses login with the usual message */
    assert_int_equal(auth_account_set_active(c, &SYSTEM, w, false), WS_OK);
    assert_int_equal(auth_session(c, tok, &s), WS_EUNAUTH);
    assert_int_equal(auth_login(c, "worker_b", np, tok, &s, &exp), WS_EUNAUTH);
    assert_string_equal(ws_err_message(), "wrong username or password");
    assert_int_equal(auth_account_set_active(c, &SYSTEM, w, false), WS_OK); /* idempotent */
    assert_int_equal(leaves(c, "account", "deactivate", w), 1);
    assert_int_equal(auth_account_set_active(c, &SYSTEM, w, true), WS_OK);
    assert_int_equal(auth_login(c, "worker_b", np, tok, &s, &exp), WS_OK);
    (void)admin;

    /* GET /me's reads */
    auth_unit_info u;
    auth_person_info p;
    assert_int_equal(auth_unit_info_get(c, 4, &u), WS_OK);
    assert_string_equal(u.name, "厂区A1");
    assert_string_equal(u.kind, "site");
    assert_string_equal(u.path, "/1/2/4/");
    assert_int_equal(auth_person_info_get(c, 1, &p), WS_OK);
    assert_string_equal(p.name, "张三");
    assert_int_equal(p.unit_id, 4);
    assert_int_equal(auth_person_info_get(c, 2, &p), WS_ENOTFOUND);
    char path[AUTH_PATH_MAX];
    assert_int_equal(auth_person_unit_path(c, 1, "person_id", path, sizeof path), WS_OK);
    assert_string_equal(path, "/1/2/4/");
    store_release(c);
}

static void report_finding(const audit_finding *fnd, void *arg)
{
    int *n = arg;
    if (strcmp(fnd->entity, "account") == 0) (*n)++;
}

/* Runs last in its group: tampers with the database. */
static void verify_catches_role_change(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f);
    uint64_t checked = 0;
    int found = 0;
    ws_err rc = audit_verify(c, NULL, report_finding, &found, &checked);
    if (rc) fail_msg("verify of an untouched log: %s", ws_err_message());
    assert_true(checked > 10);
    int64_t id = query_int(c, "SELECT id FROM accounts WHERE username = $1", "zhang");
    (void)id;
    exec_ok(c, "UPDATE accounts SET roles = 'admin' WHERE username = 'zhang'");
    assert_int_equal(audit_verify(c, NULL, report_finding, &found, &checked), WS_ECORRUPT);
    assert_int_equal(found, 1);
    store_release(c);
}

/* ---- dispatcher ----------------------------------------------------------- */

typedef struct fake {
    const char *h[8][2]; /* header name, value */
    const char *q[4][2]; /* query name, value */
} fake;

static const char *fake_header(void *ctx, const char *name)
{
    fake *f = ctx;
    for (int i = 0; i < 8 && f->h[i][0]; i++)
        if (strcasecmp(f->h[i][0], name) == 0) return f->h[i][1];
    return NULL;
}

static const char *fake_query(void *ctx, const char *name)
{
    fake *f = ctx;
    for (int i = 0; i < 4 && f->q[i][0]; i++)
        if (strcmp(f->q[i][0], name) == 0) return f->q[i][1];
    return NULL;
}

static const api_route *find_route(const char *method, const char *pattern)
{
    size_t n;
    const api_route *const *t = api_route_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i]->method, method) == 0 && strcmp(t[i]->pattern, pattern) == 0) return t[i];
    fail_msg("no route %s %s", method, pattern);
    return NULL;
}

/* One call. param is the {id} path parameter (or NULL). *out gets the parsed
 * body (NULL when empty; caller decrefs). Returns the status. */
static int call(const char *method, const char *pattern, const char *param, fake *f,
                const char *body, bool tls, json_t **out, api_resp *keep)
{
    api_req req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = pattern;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    if (param) {
        req.params[0] = param;
        req.nparams = 1;
    }
    req.header = fake_header;
    req.query = fake_query;
    req.hctx = f;
    req.tls = tls;
    api_resp resp;
    api_resp_init(&resp);
    api_dispatch(find_route(method, pattern), &req, &resp);
    int st = resp.status;
    if (out) {
        json_error_t e;
        *out = resp.body.len ? json_loadb(resp.body.data, resp.body.len, 0, &e) : NULL;
        if (resp.body.len && !*out) fail_msg("reply is not JSON: %s", resp.body.data);
    }
    if (keep) *keep = resp;
    else api_resp_free(&resp);
    return st;
}

static const char *err_field(json_t *r)
{
    json_t *f = json_object_get(json_object_get(r, "error"), "field");
    return json_is_string(f) ? json_string_value(f) : "";
}

static const char *err_code(json_t *r)
{
    return json_string_value(json_object_get(json_object_get(r, "error"), "code"));
}

static const char *resp_header(api_resp *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcmp(r->hname[i], name) == 0) return r->hvalue[i];
    return NULL;
}

/* Log in through the dispatcher; token into tok. */
static void api_login(const char *user, const char *pw, char tok[65])
{
    fake f = {.h = {{"Content-Type", "application/json"}}};
    char body[200];
    json_t *r = NULL;
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
    int st = call("POST", "/api/v1/auth/login", NULL, &f, body, false, &r, NULL);
    if (st != 200) fail_msg("login %s: %d", user, st);
    snprintf(tok, 65, "%s", json_string_value(json_object_get(r, "token")));
    json_decref(r);
}

static void bearer(fake *f, const char *tok, char *hdr, size_t cap)
{
    snprintf(hdr, cap, "Bearer %s", tok);
    memset(f, 0, sizeof *f);
    f->h[0][0] = "Authorization";
    f->h[0][1] = hdr;
    f->h[1][0] = "Content-Type";
    f->h[1][1] = "application/json";
}

static void dispatch_auth_and_cookies(void **state)
{
    fixture *fx = *state;
    api_config cfg = {.db = fx->s, .max_body = 4096, .session_ttl_ms = 0, .public_origin = NULL};
    assert_int_equal(api_init(&cfg), WS_OK);
    store_conn *c = acq(fx);
    make_account(c, "api_admin", ROLE_ADMIN, 2);
    make_account(c, "api_worker", ROLE_WORKER, 4);
    store_release(c);

    /* login: token, user, cookie (Secure only over TLS) */
    fake f = {.h = {{"Content-Type", "application/json"}}};
    json_t *r = NULL;
    api_resp keep;
    assert_int_equal(call("POST", "/api/v1/auth/login", NULL, &f,
                          "{\"username\":\"api_admin\",\"password\":\"" PW "\"}", false, &r, &keep),
                     200);
    const char *tok = json_string_value(json_object_get(r, "token"));
    assert_int_equal(strlen(tok), 64);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "user"), "username")),
                        "api_admin");
    assert_true(json_is_string(json_object_get(r, "expires_at")));
    char want[160];
    snprintf(want, sizeof want, "ws_session=%s; Path=/; HttpOnly; SameSite=Strict", tok);
    assert_string_equal(resp_header(&keep, "Set-Cookie"), want);
    api_resp_free(&keep);
    char admin_tok[65];
    snprintf(admin_tok, sizeof admin_tok, "%s", tok);
    json_decref(r);
    assert_int_equal(call("POST", "/api/v1/auth/login", NULL, &f,
                          "{\"username\":\"api_admin\",\"password\":\"" PW "\"}", true, NULL, &keep),
                     200);
    assert_non_null(strstr(resp_header(&keep, "Set-Cookie"), "; Secure"));
    api_resp_free(&keep);

    /* bad credentials: 401 envelope, same for an unknown user */
    assert_int_equal(call("POST", "/api/v1/auth/login", NULL, &f,
                          "{\"username\":\"api_admin\",\"password\":\"nope-nope-1\"}", false, &r, NULL),
                     401);
    assert_string_equal(err_code(r), "unauthenticated");
    json_decref(r);
    assert_int_equal(call("POST", "/api/v1/auth/login", NULL, &f,
                          "{\"username\":\"api_admin\"}", false, &r, NULL), 400);
    assert_string_equal(err_field(r), "password");
    json_decref(r);

    /* GET /me: no token 401 (with WWW-Authenticate), bearer 200 */
    fake none = {.h = {{NULL, NULL}}};
    assert_int_equal(call("GET", "/api/v1/me", NULL, &none, NULL, false, &r, &keep), 401);
    assert_string_equal(err_code(r), "unauthenticated");
    assert_string_equal(resp_header(&keep, "WWW-Authenticate"), "Bearer");
    api_resp_free(&keep);
    json_decref(r);
    char hdr[100];
    bearer(&f, admin_tok, hdr, sizeof hdr);
    assert_int_equal(call("GET", "/api/v1/me", NULL, &f, NULL, false, &r, NULL), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "scope"), "path")), "/1/2/");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "scope"), "name")), "企业A");
    assert_true(json_is_null(json_object_get(r, "person")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "roles"), 0)), "admin");
    json_decref(r);
    fake badtok = {.h = {{"Authorization", "Bearer 0000000000000000000000000000000000000000000000000000000000000000"}}};
    assert_int_equal(call("GET", "/api/v1/me", NULL, &badtok, NULL, false, NULL, NULL), 401);
    fake basic = {.h = {{"Authorization", "Basic YWRtaW46YWRtaW4="}}};
    assert_int_equal(call("GET", "/api/v1/me", NULL, &basic, NULL, false, NULL, NULL), 401);

    /* the cookie: reads pass; writes need Origin == scheme://Host */
    char cookie[120];
    snprintf(cookie, sizeof cookie, "lang=zh-CN; ws_session=%s", admin_tok);
    fake ck = {.h = {{"Cookie", cookie}, {"Host", "plant.local:8443"}}};
    assert_int_equal(call("GET", "/api/v1/me", NULL, &ck, NULL, true, NULL, NULL), 200);
    assert_int_equal(call("POST", "/api/v1/accounts/{id}/actions/unlock", "1", &ck, NULL, true, &r, NULL), 403);
    assert_string_equal(err_field(r), "Origin");
    json_decref(r);
    fake ck_evil = {.h = {{"Cookie", cookie}, {"Host", "plant.local:8443"}, {"Origin", "https://evil.example"}}};
    assert_int_equal(call("POST", "/api/v1/auth/logout", NULL, &ck_evil, NULL, true, &r, NULL), 403);
    assert_string_equal(err_field(r), "Origin");
    json_decref(r);
    fake ck_http = {.h = {{"Cookie", cookie}, {"Host", "plant.local:8443"}, {"Origin", "http://plant.local:8443"}}};
    assert_int_equal(call("POST", "/api/v1/auth/logout", NULL, &ck_http, NULL, true, NULL, NULL), 403);
    fake ck_ok = {.h = {{"Cookie", cookie}, {"Host", "plant.local:8443"}, {"Origin", "https://plant.local:8443"}}};
    assert_int_equal(call("POST", "/api/v1/auth/logout", NULL, &ck_ok, NULL, true, NULL, &keep), 204);
    assert_non_null(strstr(resp_header(&keep, "Set-Cookie"), "Max-Age=0"));
    api_resp_free(&keep);
    /* logged out: the token no longer works either way */
    assert_int_equal(call("GET", "/api/v1/me", NULL, &f, NULL, false, NULL, NULL), 401);
    assert_int_equal(call("GET", "/api/v1/me", NULL, &ck, NULL, true, NULL, NULL), 401);

    /* a configured public origin is accepted too (behind a reverse proxy) */
    cfg.public_origin = "https://safety.example.com/";
    assert_int_equal(api_init(&cfg), WS_OK);
    api_login("api_admin", PW, admin_tok);
    snprintf(cookie, sizeof cookie, "ws_session=%s", admin_tok);
    fake ck_pub = {.h = {{"Cookie", cookie}, {"Host", "127.0.0.1:8080"}, {"Origin", "https://safety.example.com"}}};
    assert_int_equal(call("POST", "/api/v1/auth/logout", NULL, &ck_pub, NULL, false, NULL, NULL), 204);
    cfg.public_origin = NULL;
    assert_int_equal(api_init(&cfg), WS_OK);
}

static int64_t count_accounts(fixture *fx)
{
    store_conn *c = acq(fx);
    int64_t n = query_int(c, "SELECT count(*) FROM accounts", NULL);
    store_release(c);
    return n;
}

static void dispatch_accounts(void **state)
{
    fixture *fx = *state;
    api_config cfg = {.db = fx->s};
    assert_int_equal(api_init(&cfg), WS_OK);
    char admin_tok[65], worker_tok[65], mgr_tok[65], hdr[100];
    json_t *r = NULL;
    fake f;
    store_conn *c = acq(fx);
    make_account(c, "acc_admin", ROLE_ADMIN, 2);
    make_account(c, "acc_mgr", ROLE_MANAGER, 2);
    make_account(c, "acc_worker", ROLE_WORKER, 4);
    int64_t b_acc = make_account(c, "acc_in_b", ROLE_WORKER, 3);
    store_release(c);
    api_login("acc_admin", PW, admin_tok);
    api_login("acc_worker", PW, worker_tok);
    api_login("acc_mgr", PW, mgr_tok);
    char b_id[24];
    snprintf(b_id, sizeof b_id, "%lld", (long long)b_acc);

    /* role lacks the action: 403; outside the scope: 404 */
    bearer(&f, worker_tok, hdr, sizeof hdr);
    assert_int_equal(call("GET", "/api/v1/accounts", NULL, &f, NULL, false, &r, NULL), 403);
    assert_string_equal(err_code(r), "forbidden");
    json_decref(r);
    bearer(&f, mgr_tok, hdr, sizeof hdr);
    assert_int_equal(call("POST", "/api/v1/accounts", NULL, &f, "{}", false, NULL, NULL), 403);
    assert_int_equal(call("GET", "/api/v1/accounts/{id}", b_id, &f, NULL, false, &r, NULL), 404);
    assert_string_equal(err_code(r), "not_found");
    json_decref(r);
    assert_int_equal(call("GET", "/api/v1/accounts/{id}", "abc", &f, NULL, false, NULL, NULL), 404);
    bearer(&f, admin_tok, hdr, sizeof hdr);
    assert_int_equal(call("POST", "/api/v1/accounts/{id}/actions/reset_password", b_id, &f, NULL,
                          false, NULL, NULL),
                     404);

    /* listing is scope-filtered and paged */
    fake fl;
    bearer(&fl, admin_tok, hdr, sizeof hdr);
    fl.q[0][0] = "limit";
    fl.q[0][1] = "2";
    assert_int_equal(call("GET", "/api/v1/accounts", NULL, &fl, NULL, false, &r, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
    assert_true(json_is_integer(json_object_get(r, "next_cursor")));
    json_decref(r);
    fl.q[0][1] = "200";
    assert_int_equal(call("GET", "/api/v1/accounts", NULL, &fl, NULL, false, &r, NULL), 200);
    json_t *items = json_object_get(r, "items");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        assert_string_not_equal(json_string_value(json_object_get(it, "username")), "acc_in_b");
        assert_null(json_object_get(it, "password_hash"));
    }
    assert_true(json_is_null(json_object_get(r, "next_cursor")));
    json_decref(r);
    fl.q[0][1] = "0";
    assert_int_equal(call("GET", "/api/v1/accounts", NULL, &fl, NULL, false, &r, NULL), 400);
    assert_string_equal(err_field(r), "limit");
    json_decref(r);

    /* bad bodies: named field, nothing written */
    int64_t before = count_accounts(fx);
    static const struct {
        const char *body;
        int status;
        const char *field;
    } bad[] = {
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":3}", 404, "scope_unit_id"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":1}", 404, "scope_unit_id"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":999}", 404, "scope_unit_id"},
        {"{\"username\":\"n1\",\"roles\":[\"admin\",\"regulator\"],\"scope_unit_id\":2}", 400, "roles"},
        {"{\"username\":\"n1\",\"roles\":[\"root\"],\"scope_unit_id\":2}", 400, "roles"},
        {"{\"username\":\"n1\",\"roles\":[],\"scope_unit_id\":2}", 400, "roles"},
        {"{\"username\":\"n1\",\"roles\":[1],\"scope_unit_id\":2}", 400, "roles"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":2,\"password\":\"short\"}", 400, "password"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":2,\"admin\":true}", 400, "admin"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"]}", 400, "scope_unit_id"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":\"2\"}", 400, "scope_unit_id"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":2,", 400, "body"},
        {"{\"username\":\"acc_worker\",\"roles\":[\"worker\"],\"scope_unit_id\":2}", 409, "username"},
        {"{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":2,\"person_id\":99}", 404, "person_id"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int st = call("POST", "/api/v1/accounts", NULL, &f, bad[k].body, false, &r, NULL);
        if (st != bad[k].status || strcmp(err_field(r), bad[k].field) != 0)
            fail_msg("%s -> %d %s (want %d %s)", bad[k].body, st, err_field(r), bad[k].status,
                     bad[k].field);
        json_decref(r);
    }
    assert_int_equal(count_accounts(fx), before);
    fake txt;
    bearer(&txt, admin_tok, hdr, sizeof hdr);
    txt.h[1][1] = "text/plain";
    assert_int_equal(call("POST", "/api/v1/accounts", NULL, &txt,
                          "{\"username\":\"n1\",\"roles\":[\"worker\"],\"scope_unit_id\":2}", false, &r, NULL),
                     415);
    json_decref(r);

    /* create with a generated password: must change before anything else */
    assert_int_equal(call("POST", "/api/v1/accounts", NULL, &f,
                          "{\"username\":\"new_w\",\"roles\":[\"worker\",\"grid_leader\"],"
                          "\"scope_unit_id\":4,\"person_id\":1}",
                          false, &r, NULL),
                     201);
    assert_int_equal(count_accounts(fx), before + 1);
    const char *ip = json_string_value(json_object_get(r, "initial_password"));
    assert_non_null(ip);
    char initial[17];
    snprintf(initial, sizeof initial, "%s", ip);
    assert_true(json_is_true(json_object_get(r, "must_change_password")));
    assert_int_equal(json_integer_value(json_object_get(r, "person_id")), 1);
    char new_id[24];
    snprintf(new_id, sizeof new_id, "%lld", (long long)json_integer_value(json_object_get(r, "id")));
    json_decref(r);
    char new_tok[65];
    api_login("new_w", initial, new_tok);
    fake fn;
    char hdr2[100];
    bearer(&fn, new_tok, hdr2, sizeof hdr2);
    assert_int_equal(call("GET", "/api/v1/me", NULL, &fn, NULL, false, &r, NULL), 200);
    assert_true(json_is_true(json_object_get(r, "must_change_password")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "person"), "name")), "张三");
    json_decref(r);
    assert_int_equal(call("GET", "/api/v1/units", NULL, &fn, NULL, false, &r, NULL), 403);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
                           "password_change_required"));
    json_decref(r);
    char pwbody[160];
    snprintf(pwbody, sizeof pwbody, "{\"old_password\":\"%s\",\"new_password\":\"Fresh-Pass-2026\"}", initial);
    assert_int_equal(call("POST", "/api/v1/auth/password", NULL, &fn,
                          "{\"old_password\":\"wrong-wrong-1\",\"new_password\":\"Fresh-Pass-2026\"}",
                          false, &r, NULL),
                     400);
    assert_string_equal(err_field(r), "old_password");
    json_decref(r);
    assert_int_equal(call("POST", "/api/v1/auth/password", NULL, &fn, pwbody, false, NULL, NULL), 204);
    assert_int_equal(call("GET", "/api/v1/units", NULL, &fn, NULL, false, NULL, NULL), 200);

    /* patch: roles are a permission change; nobody changes their own */
    assert_int_equal(call("PATCH", "/api/v1/accounts/{id}", new_id, &f, "{\"roles\":[\"dept_head\"]}",
                          false, &r, NULL),
                     200);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "roles"), 0)), "dept_head");
    json_decref(r);
    assert_int_equal(call("PATCH", "/api/v1/accounts/{id}", new_id, &f, "{\"scope_unit_id\":3}",
                          false, &r, NULL),
                     404);
    assert_string_equal(err_field(r), "scope_unit_id");
    json_decref(r);
    assert_int_equal(call("PATCH", "/api/v1/accounts/{id}", new_id, &f, "{\"person_id\":null}",
                          false, &r, NULL),
                     200);
    assert_true(json_is_null(json_object_get(r, "person_id")));
    json_decref(r);
    c = acq(fx);
    assert_int_equal(leaves(c, "account", "permission_change", atoll(new_id)), 1);
    assert_int_equal(leaves(c, "account", "update", atoll(new_id)), 1);
    int64_t me_id = query_int(c, "SELECT id FROM accounts WHERE username = $1", "acc_admin");
    store_release(c);
    char me[24];
    snprintf(me, sizeof me, "%lld", (long long)me_id);
    assert_int_equal(call("PATCH", "/api/v1/accounts/{id}", me, &f, "{\"roles\":[\"worker\"]}", false,
                          &r, NULL),
                     403);
    assert_string_equal(err_field(r), "roles");
    json_decref(r);
    assert_int_equal(call("POST", "/api/v1/accounts/{id}/actions/deactivate", me, &f, NULL, false,
                          NULL, NULL),
                     409);

    /* reset, deactivate, activate, unlock */
    assert_int_equal(call("POST", "/api/v1/accounts/{id}/actions/reset_password", new_id, &f, NULL,
                          false, &r, NULL),
                     200);
    assert_int_equal(strlen(json_string_value(json_object_get(r, "initial_password"))), 16);
    json_decref(r);
    assert_int_equal(call("GET", "/api/v1/units", NULL, &fn, NULL, false, NULL, NULL), 401);
    assert_int_equal(call("POST", "/api/v1/accounts/{id}/actions/deactivate", new_id, &f, NULL,
                          false, &r, NULL),
                     200);
    assert_true(json_is_false(json_object_get(r, "active")));
    json_decref(r);
    assert_int_equal(call("POST", "/api/v1/accounts/{id}/actions/activate", new_id, &f, NULL, false,
                          &r, NULL),
                     200);
    assert_true(json_is_true(json_object_get(r, "active")));
    json_decref(r);
    assert_int_equal(call("POST", "/api/v1/accounts/{id}/actions/unlock", new_id, &f, NULL, false,
                          &r, NULL),
                     200);
    assert_true(json_is_false(json_object_get(r, "locked")));
    json_decref(r);
}

static void status_table(void **state)
{
    (void)state;
    assert_int_equal(api_status_of(WS_OK), 200);
    assert_int_equal(api_status_of(WS_EINVAL), 400);
    assert_int_equal(api_status_of(WS_EUNAUTH), 401);
    assert_int_equal(api_status_of(WS_EFORBIDDEN), 403);
    assert_int_equal(api_status_of(WS_ENOTFOUND), 404);
    assert_int_equal(api_status_of(WS_EMETHOD), 405);
    assert_int_equal(api_status_of(WS_ECONFLICT), 409);
    assert_int_equal(api_status_of(WS_ETOOBIG), 413);
    assert_int_equal(api_status_of(WS_EMEDIA), 415);
    assert_int_equal(api_status_of(WS_ELOCKED), 423);
    assert_int_equal(api_status_of(WS_ERATE), 429);
    for (int e = WS_ENOMEM; e <= WS_EINTERNAL; e++) assert_int_equal(api_status_of((ws_err)e), 500);
    assert_int_equal(api_status_of(WS_EUNAVAILABLE), 503);
    assert_int_equal(api_status_of((ws_err)999), 500);
    /* 5xx never leak their detail */
    api_resp r;
    api_resp_init(&r);
    ws_fail(WS_ESTORE, "x", "SQL secret detail");
    api_error(&r, WS_ESTORE);
    assert_int_equal(r.status, 500);
    assert_null(strstr(r.body.data, "secret"));
    assert_non_null(strstr(r.body.data, "\"field\":null"));
    ws_fail(WS_EINVAL, "name", "name is required");
    api_error(&r, WS_EINVAL);
    assert_string_equal(r.body.data,
                        "{\"error\":{\"code\":\"invalid_input\",\"message\":\"name is required\","
                        "\"field\":\"name\"}}");
    api_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(roles_round_trip),
        cmocka_unit_test(scope_is_a_path_prefix),
        cmocka_unit_test(policy_matrix),
        cmocka_unit_test(area_above_reads),
        cmocka_unit_test(password_policy_and_hashing),
    };
    const struct CMUnitTest on_store[] = {
        cmocka_unit_test(login_and_token),
        cmocka_unit_test(wrong_password_and_lockout),
        cmocka_unit_test(expiry_and_logout),
        cmocka_unit_test(account_rules),
        cmocka_unit_test(verify_catches_role_change),
    };
    const struct CMUnitTest api[] = {
        cmocka_unit_test(status_table),
        cmocka_unit_test(dispatch_auth_and_cookies),
        cmocka_unit_test(dispatch_accounts),
    };
    int failed = cmocka_run_group_tests_name("auth_pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("auth_sqlite", on_store, setup_sqlite, teardown_sqlite);
    failed += cmocka_run_group_tests_name("api_sqlite", api, setup_sqlite, teardown_sqlite);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        failed += cmocka_run_group_tests_name("auth_postgres", on_store, setup_pg, teardown_pg);
        failed += cmocka_run_group_tests_name("api_postgres", api, setup_pg, teardown_pg);
    } else {
        fprintf(stderr, "auth_postgres, api_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    return failed ? 1 : 0;
}
