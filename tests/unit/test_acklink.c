/* test_acklink.c — signed one-time acknowledge links (src/notify/acklink.c)
 * on real stores (a fresh SQLite file per test; a fresh PostgreSQL database
 * per test when WS_TEST_PG_URL is set): the server key is made once and kept
 * in meta; a link redeems once for what it was made for; every single
 * character changed, a wrong key, truncation or padding is refused without
 * using the link up; expiry; replay; a redeem rolled back with its caller's
 * transaction leaves the link usable; purge of expired nonces.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify/acklink.h"
#include "store/store.h"
#include "unit/pgdb.h"

#define T0 1800000000000LL
#define HOUR 3600000LL

static char tmpdir[128];

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct tctx {
    testdb db;
    fixture *f;
    store *s;
    store_conn *c;
    char url[1024];
    unsigned char key[NOTIFY_ACKLINK_KEYBYTES];
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;

static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "ack", f->n)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    if (store_acquire(tc.s, &tc.c)) return -1;
    if (notify_acklink_key(tc.c, tc.key)) return -1;
    *state = &tc;
    return 0;
}

static int db_teardown(void **state)
{
    tctx *t = *state;
    if (t->c) store_release(t->c);
    testdb_close(&t->db);
    *state = t->f;
    return 0;
}

static int64_t count_sql(store_conn *c, const char *sql)
{
    store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(store_prepare(c, sql, &st), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    return v;
}

static void make(tctx *t, int64_t alarm, int64_t person, int64_t exp, char tok[NOTIFY_ACKLINK_TOKEN_MAX])
{
    assert_int_equal(notify_acklink_make(t->key, alarm, person, exp, tok, NOTIFY_ACKLINK_TOKEN_MAX), WS_OK);
}

/* The redeem's outcome; on failure checks the field is "token". */
static ws_err redeem(tctx *t, const char *tok, int64_t now, int64_t *alarm, int64_t *person)
{
    int64_t a = -1, p = -1;
    ws_err rc = notify_acklink_redeem(t->c, t->key, tok, now, &a, &p);
    if (rc) {
        assert_string_equal(ws_err_field(), "token");
        assert_int_equal(a, 0);
        assert_int_equal(p, 0);
    }
    if (alarm) *alarm = a;
    if (person) *person = p;
    return rc;
}

/* ============================================================ tests */

/* The key is made at first use, kept in meta, and read back the same. */
static void test_key_kept(void **state)
{
    tctx *t = *state;
    unsigned char again[NOTIFY_ACKLINK_KEYBYTES];
    assert_int_equal(notify_acklink_key(t->c, again), WS_OK);
    assert_memory_equal(again, t->key, sizeof again);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM meta WHERE key = 'notify.acklink_key' "
                                     "AND length(value) = 64"),
                     1);
    unsigned char zero[NOTIFY_ACKLINK_KEYBYTES] = {0};
    assert_memory_not_equal(t->key, zero, sizeof zero);
}

/* A link is URL-safe, 96 characters, different each time, and redeems once
 * for the alarm and person it was made for. */
static void test_roundtrip_once(void **state)
{
    tctx *t = *state;
    char a[NOTIFY_ACKLINK_TOKEN_MAX], b[NOTIFY_ACKLINK_TOKEN_MAX];
    make(t, 4242, 17, T0 + HOUR, a);
    make(t, 4242, 17, T0 + HOUR, b);
    assert_int_equal(strlen(a), NOTIFY_ACKLINK_TOKEN_LEN);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     NOTIFY_ACKLINK_TOKEN_LEN);
    assert_string_not_equal(a, b);
    int64_t alarm = 0, person = 0;
    /* checking (the link's page) reads it and uses nothing up, however often */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(notify_acklink_check(t->key, a, T0, &alarm, &person), WS_OK);
        assert_int_equal(alarm, 4242);
        assert_int_equal(person, 17);
    }
    assert_int_equal(notify_acklink_check(t->key, a, T0 + HOUR, &alarm, &person), WS_EFORBIDDEN); /* expired */
    assert_int_equal(alarm, 0);
    assert_int_equal(redeem(t, a, T0, &alarm, &person), WS_OK);
    assert_int_equal(alarm, 4242);
    assert_int_equal(person, 17);
    /* replay */
    assert_int_equal(redeem(t, a, T0 + 1000, NULL, NULL), WS_ECONFLICT);
    /* the other link for the same alarm and person is its own */
    assert_int_equal(redeem(t, b, T0, &alarm, &person), WS_OK);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_acklinks WHERE alarm_id = 4242 "
                                     "AND person_id = 17 AND used_at = 1800000000000"),
                     2);
}

/* Every character changed to every other of the alphabet at a few sample
 * values, and each single position changed, is refused with forbidden; none
 * of it uses the link, which still redeems afterwards. */
static void test_tamper_each_byte(void **state)
{
    tctx *t = *state;
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char tok[NOTIFY_ACKLINK_TOKEN_MAX], bad[NOTIFY_ACKLINK_TOKEN_MAX];
    make(t, 7, 8, T0 + HOUR, tok);
    int refused = 0;
    for (int i = 0; i < NOTIFY_ACKLINK_TOKEN_LEN; i++) {
        for (int k = 0; k < 64; k += (i % 8 == 0) ? 1 : 21) { /* every letter at every 8th position */
            if (alpha[k] == tok[i]) continue;
            memcpy(bad, tok, sizeof bad);
            bad[i] = alpha[k];
            assert_int_equal(redeem(t, bad, T0, NULL, NULL), WS_EFORBIDDEN);
            refused++;
        }
        /* and a character outside the alphabet */
        memcpy(bad, tok, sizeof bad);
        bad[i] = '+';
        assert_int_equal(redeem(t, bad, T0, NULL, NULL), WS_EFORBIDDEN);
    }
    assert_true(refused > NOTIFY_ACKLINK_TOKEN_LEN * 3);
    /* Each byte of the signed bytes flipped, re-encoded (so the Base64 is
     * well-formed and only the MAC can tell). */
    unsigned char raw[72];
    size_t rn = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, tok, strlen(tok), NULL, &rn, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(rn, 72);
    for (size_t i = 0; i < rn; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            unsigned char m[72];
            memcpy(m, raw, sizeof m);
            m[i] ^= (unsigned char)(1u << bit);
            sodium_bin2base64(bad, sizeof bad, m, sizeof m, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
            assert_int_equal(redeem(t, bad, T0, NULL, NULL), WS_EFORBIDDEN);
        }
    }
    /* shape: truncated, extended, empty, NULL, standard Base64 padding */
    snprintf(bad, sizeof bad, "%.95s", tok);
    assert_int_equal(redeem(t, bad, T0, NULL, NULL), WS_EFORBIDDEN);
    char longer[NOTIFY_ACKLINK_TOKEN_MAX + 4];
    snprintf(longer, sizeof longer, "%sA", tok);
    assert_int_equal(redeem(t, longer, T0, NULL, NULL), WS_EFORBIDDEN);
    snprintf(longer, sizeof longer, "%s==", tok);
    assert_int_equal(redeem(t, longer, T0, NULL, NULL), WS_EFORBIDDEN);
    assert_int_equal(redeem(t, "", T0, NULL, NULL), WS_EFORBIDDEN);
    assert_int_equal(redeem(t, NULL, T0, NULL, NULL), WS_EFORBIDDEN);
    /* a valid link under another server's key */
    unsigned char other[NOTIFY_ACKLINK_KEYBYTES];
    crypto_auth_keygen(other);
    assert_int_equal(notify_acklink_make(other, 7, 8, T0 + HOUR, bad, sizeof bad), WS_OK);
    assert_int_equal(redeem(t, bad, T0, NULL, NULL), WS_EFORBIDDEN);
    /* nothing was used up */
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_acklinks"), 0);
    int64_t alarm = 0, person = 0;
    assert_int_equal(redeem(t, tok, T0, &alarm, &person), WS_OK);
    assert_int_equal(alarm, 7);
    assert_int_equal(person, 8);
}

/* Valid until the millisecond before its expiry; refused from then on. */
static void test_expiry(void **state)
{
    tctx *t = *state;
    char a[NOTIFY_ACKLINK_TOKEN_MAX], b[NOTIFY_ACKLINK_TOKEN_MAX];
    make(t, 1, 2, T0 + HOUR, a);
    make(t, 1, 2, T0 + HOUR, b);
    assert_int_equal(redeem(t, a, T0 + HOUR, NULL, NULL), WS_EFORBIDDEN);
    assert_non_null(strstr(ws_err_message(), "expired"));
    assert_int_equal(redeem(t, a, T0 + 5 * HOUR, NULL, NULL), WS_EFORBIDDEN);
    assert_int_equal(redeem(t, b, T0 + HOUR - 1, NULL, NULL), WS_OK);
}

/* Redeeming inside the caller's transaction: rolled back (the
 * acknowledgement failed), the link is still unused; committed, it is used. */
static void test_caller_tx(void **state)
{
    tctx *t = *state;
    char a[NOTIFY_ACKLINK_TOKEN_MAX];
    make(t, 9, 3, T0 + HOUR, a);
    assert_int_equal(store_begin(t->c), WS_OK);
    assert_int_equal(redeem(t, a, T0, NULL, NULL), WS_OK);
    store_rollback(t->c);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_acklinks"), 0);
    assert_int_equal(store_begin(t->c), WS_OK);
    assert_int_equal(redeem(t, a, T0, NULL, NULL), WS_OK);
    assert_int_equal(store_commit(t->c), WS_OK);
    /* a second use inside a transaction: refused, and the transaction is
     * still usable (no aborted PostgreSQL transaction) */
    assert_int_equal(store_begin(t->c), WS_OK);
    assert_int_equal(redeem(t, a, T0, NULL, NULL), WS_ECONFLICT);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_acklinks"), 1);
    assert_int_equal(store_commit(t->c), WS_OK);
}

/* Used nonces of expired links are purged; live ones stay. */
static void test_purge(void **state)
{
    tctx *t = *state;
    char a[NOTIFY_ACKLINK_TOKEN_MAX], b[NOTIFY_ACKLINK_TOKEN_MAX];
    make(t, 1, 1, T0 + HOUR, a);
    make(t, 1, 1, T0 + 3 * HOUR, b);
    assert_int_equal(redeem(t, a, T0, NULL, NULL), WS_OK);
    assert_int_equal(redeem(t, b, T0, NULL, NULL), WS_OK);
    assert_int_equal(notify_acklink_purge(t->c, T0 + 2 * HOUR), WS_OK);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_acklinks"), 1);
    /* b stays used */
    assert_int_equal(redeem(t, b, T0 + 2 * HOUR, NULL, NULL), WS_ECONFLICT);
}

/* Bad arguments to make. */
static void test_make_args(void **state)
{
    tctx *t = *state;
    char tok[NOTIFY_ACKLINK_TOKEN_MAX];
    assert_int_equal(notify_acklink_make(t->key, 1, 1, T0, tok, NOTIFY_ACKLINK_TOKEN_LEN), WS_ETOOBIG);
    assert_int_equal(notify_acklink_make(t->key, 0, 1, T0, tok, sizeof tok), WS_EINVAL);
    assert_string_equal(ws_err_field(), "alarm_id");
    assert_int_equal(notify_acklink_make(t->key, 1, 0, T0, tok, sizeof tok), WS_EINVAL);
    assert_string_equal(ws_err_field(), "person_id");
    assert_int_equal(notify_acklink_make(t->key, 1, 1, 0, tok, sizeof tok), WS_EINVAL);
}

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

static int setup_sqlite(void **state)
{
    *state = &fx_sqlite;
    return 0;
}
static int setup_pg(void **state)
{
    *state = &fx_pg;
    return 0;
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_acklink_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_key_kept),     DB_TEST(test_roundtrip_once), DB_TEST(test_tamper_each_byte),
        DB_TEST(test_expiry),       DB_TEST(test_caller_tx),      DB_TEST(test_purge),
        DB_TEST(test_make_args),
    };
    int failed = cmocka_run_group_tests_name("acklink_sqlite", db, setup_sqlite, NULL);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("acklink_postgres", db, setup_pg, NULL);
    } else {
        fprintf(stderr, "acklink_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
