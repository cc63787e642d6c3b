/* test_store.c — the store API (src/store) on both backends.
 *
 * The same suite runs on a SQLite file in a fresh temp directory and, when
 * WS_TEST_PG_URL is set, on a fresh PostgreSQL database ws_store_test_<pid>
 * created through that URL and dropped at the end. It checks what a module
 * above the store relies on: migrations and the version guard, typed values
 * that read back exactly, transactions, conflicts reported as WS_ECONFLICT
 * naming the column, the pool under concurrent writers, the generic table
 * scan, the statement cache, and a backup/restore round trip.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_be.h" /* store_migration_sql, to build a test table in each dialect */

typedef struct fixture {
    store_kind kind;
    char url[1024];
    char dir[128];        /* SQLite: temp dir; both: where backups go */
    char pg_admin[512];   /* PostgreSQL: the URL we create/drop the test db through */
    char pg_db[64];
    store *s;
} fixture;

static fixture fx_sqlite, fx_pg;

/* ---- helpers ------------------------------------------------------------ */

/* Connections a test holds, so that a failed assertion (which leaves the
 * test early) does not drain the pool and hang the next test. */
static store_conn *held[32];
static int nheld;

static store_conn *acq(fixture *f)
{
    store_conn *c = NULL;
    assert_int_equal(store_acquire(f->s, &c), WS_OK);
    held[nheld++] = c;
    return c;
}

static void rel(store_conn *c)
{
    for (int i = 0; i < nheld; i++)
        if (held[i] == c) {
            held[i] = held[--nheld];
            break;
        }
    store_release(c);
}

static int release_held(void **state)
{
    (void)state;
    while (nheld > 0)
        store_release(held[--nheld]);
    return 0;
}

static void exec_ok(store_conn *c, const char *sql)
{
    ws_err rc = store_exec(c, sql);
    if (rc)
        fail_msg("exec failed: %s: %s", sql, ws_err_message());
}

static int64_t query_int(store_conn *c, const char *sql)
{
    store_stmt *st;
    bool row = false;
    assert_int_equal(store_prepare(c, sql, &st), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    return v;
}

static const char Q_INSERT_UNIT[] =
    "INSERT INTO units (parent_id, kind, code, name, tz, path, active, created_at, updated_at) "
    "VALUES ($1, 'site', $2, $3, 'Asia/Shanghai', '/', 1, $4, $4) RETURNING id";

static ws_err insert_unit(store_conn *c, const char *code, int64_t *id)
{
    store_stmt *st;
    bool row = false;
    ws_err rc = store_prepare(c, Q_INSERT_UNIT, &st);
    if (rc)
        return rc;
    rc = store_bind_null(st, 1);
    if (!rc)
        rc = store_bind_text(st, 2, code);
    if (!rc)
        rc = store_bind_text(st, 3, "单位");
    if (!rc)
        rc = store_bind_int(st, 4, 1700000000000);
    if (!rc)
        rc = store_step(st, &row);
    if (!rc && id)
        *id = row ? store_col_int(st, 0) : -1;
    store_finalize(st);
    return rc;
}

static int64_t count_units(store_conn *c) { return query_int(c, "SELECT count(*) FROM units"); }

static void migrate_ok(fixture *f)
{
    store_conn *c = acq(f);
    assert_int_equal(store_migrate(c), WS_OK);
    rel(c);
}

/* ---- fixtures ----------------------------------------------------------- */

static int setup_sqlite(void **state)
{
    fixture *f = &fx_sqlite;
    f->kind = STORE_SQLITE;
    snprintf(f->dir, sizeof f->dir, "/tmp/ws_store_test_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/ws.db", f->dir);
    if (store_open(f->url, 4, &f->s) != WS_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown_sqlite(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void no_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static bool pg_admin_exec(const char *admin, const char *sql)
{
    PGconn *pc = PQconnectdb(admin);
    bool ok = false;
    if (PQstatus(pc) == CONNECTION_OK) {
        PQsetNoticeProcessor(pc, no_notice, NULL);
        PGresult *r = PQexec(pc, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "pg admin: %s", PQerrorMessage(pc));
        PQclear(r);
    } else {
        fprintf(stderr, "pg admin connect: %s", PQerrorMessage(pc));
    }
    PQfinish(pc);
    return ok;
}

static int setup_pg(void **state)
{
    fixture *f = &fx_pg;
    const char *base = getenv("WS_TEST_PG_URL");
    f->kind = STORE_POSTGRES;
    snprintf(f->pg_admin, sizeof f->pg_admin, "%s", base);
    snprintf(f->pg_db, sizeof f->pg_db, "ws_store_test_%ld", (long)getpid());
    /* Same URL with the database name replaced. */
    const char *hostpart = strstr(base, "://");
    const char *slash = hostpart ? strchr(hostpart + 3, '/') : NULL;
    const char *query = strchr(base, '?');
    int hostlen = slash ? (int)(slash - base) : (int)(query ? query - base : (long)strlen(base));
    snprintf(f->url, sizeof f->url, "%.*s/%s%s", hostlen, base, f->pg_db, query ? query : "");
    snprintf(f->dir, sizeof f->dir, "/tmp/ws_store_pgtest_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", f->pg_db);
    pg_admin_exec(f->pg_admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->pg_db);
    if (!pg_admin_exec(f->pg_admin, sql))
        return -1;
    if (store_open(f->url, 4, &f->s) != WS_OK) {
        fprintf(stderr, "store_open: %s\n", ws_err_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_pg(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->pg_db);
    bool ok = pg_admin_exec(f->pg_admin, sql);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return ok && system(cmd) == 0 ? 0 : -1;
}

/* ---- tests --------------------------------------------------------------- */

static void t_url_rejected(void **state)
{
    (void)state;
    store *s = NULL;
    assert_int_equal(store_open("", 1, &s), WS_EINVAL);
    assert_int_equal(store_open("mysql://x/y", 1, &s), WS_EINVAL);
    assert_int_equal(store_open("/tmp/x.db", 0, &s), WS_EINVAL);
    assert_null(s);
}

/* A search term as a LIKE pattern: wrapped, the three special characters
 * escaped, and refused whole (never cut short) when it does not fit. */
static void t_like_contains(void **state)
{
    (void)state;
    char out[16];
    assert_true(store_like_contains("GT-1", out, sizeof out));
    assert_string_equal(out, "%GT-1%");
    assert_true(store_like_contains("5%_a\\", out, sizeof out));
    assert_string_equal(out, "%5\\%\\_a\\\\%");
    assert_true(store_like_contains("", out, sizeof out));
    assert_string_equal(out, "%%");
    assert_true(store_like_contains("abcdefghijklm", out, sizeof out)); /* 15 bytes and NUL */
    assert_false(store_like_contains("abcdefghijklmn", out, sizeof out));
    assert_string_equal(out, "");
    assert_false(store_like_contains("%%%%%%%", out, sizeof out));
    assert_false(store_like_contains("a", out, 2));
}

static void t_migrate_from_empty(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f);
    int v = -1;
    assert_int_equal(store_schema_version(c, &v), WS_OK);
    assert_int_equal(v, 0);
    assert_true(store_schema_latest() >= 1);
    assert_int_equal(store_migrate(c), WS_OK);
    assert_int_equal(store_schema_version(c, &v), WS_OK);
    assert_int_equal(v, store_schema_latest());
    /* Again: a no-op. */
    assert_int_equal(store_migrate(c), WS_OK);
    assert_int_equal(store_schema_version(c, &v), WS_OK);
    assert_int_equal(v, store_schema_latest());
    assert_int_equal(query_int(c, "SELECT count(*) FROM schema_version"), 1);
    /* The schema is usable and ids are assigned by the engine. */
    int64_t a = 0, b = 0;
    assert_int_equal(insert_unit(c, "M-1", &a), WS_OK);
    assert_int_equal(insert_unit(c, "M-2", &b), WS_OK);
    assert_true(a > 0);
    assert_true(b > a);
    exec_ok(c, "DELETE FROM units");
    if (f->kind == STORE_SQLITE) {
        /* Every pool connection runs with the promised settings. */
        store_stmt *st;
        bool row;
        assert_int_equal(store_prepare(c, "PRAGMA journal_mode", &st), WS_OK);
        assert_int_equal(store_step(st, &row), WS_OK);
        assert_string_equal(store_col_text(st, 0), "wal");
        store_finalize(st);
        assert_int_equal(query_int(c, "PRAGMA foreign_keys"), 1);
        assert_int_equal(query_int(c, "PRAGMA busy_timeout"), 5000);
        assert_int_equal(query_int(c, "PRAGMA synchronous"), 1);   /* NORMAL */
    }
    if (f->kind == STORE_POSTGRES) {
        /* The dialect mapping produced 64-bit columns and byte arrays. */
        assert_int_equal(query_int(c, "SELECT count(*) FROM information_schema.columns WHERE "
                                      "table_name = 'units' AND column_name = 'id' AND data_type = "
                                      "'bigint' AND is_identity = 'YES'"),
                         1);
        assert_int_equal(query_int(c, "SELECT count(*) FROM information_schema.columns WHERE "
                                      "table_name = 'sessions' AND column_name = 'token_hash' AND "
                                      "data_type = 'bytea'"),
                         1);
        assert_int_equal(query_int(c, "SELECT count(*) FROM information_schema.columns WHERE "
                                      "table_name = 'units' AND column_name = 'created_at' AND "
                                      "data_type = 'bigint'"),
                         1);
    }
    rel(c);
}

static void t_newer_schema_refused(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    store_conn *c = acq(f);
    char sql[128];
    int latest = store_schema_latest(), v = 0;
    snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d", latest + 1);
    exec_ok(c, sql);
    assert_int_equal(store_migrate(c), WS_ESCHEMA);
    assert_non_null(strstr(ws_err_message(), "newer"));
    assert_false(store_in_tx(c));
    assert_int_equal(store_schema_version(c, &v), WS_OK);
    assert_int_equal(v, latest + 1);   /* left untouched */
    snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d", latest);
    exec_ok(c, sql);
    assert_int_equal(store_migrate(c), WS_OK);
    rel(c);
}

static void make_types_table(store_conn *c)
{
    buf b = BUF_INIT(4096);
    assert_int_equal(store_migration_sql(store_conn_backend(c),
                                         "CREATE TABLE IF NOT EXISTS t_types (id ID_PK, i INTEGER, "
                                         "d REAL, s TEXT, b BLOB)",
                                         &b),
                     WS_OK);
    exec_ok(c, b.data);
    buf_free(&b);
    exec_ok(c, "DELETE FROM t_types");
}

static const char Q_TYPES_INS[] = "INSERT INTO t_types (i, d, s, b) VALUES ($1, $2, $3, $4) RETURNING id";
static const char Q_TYPES_GET[] = "SELECT i, d, s, b FROM t_types WHERE id = $1";

static void t_typed_roundtrip(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f);
    make_types_table(c);
    const int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1, 1700000000123};
    const double dbls[] = {0.1, -1e308, 5e-324, 1.0 / 3.0, DBL_MAX, 2.5e-310, 123456789.125};
    const char *texts[] = {"安全生产 重大隐患 ✓ 🚧", "", "it's \"quoted\" $1 \\x00", "a\tb\nc"};
    const uint8_t blob1[] = {0, 1, 0, 255, 0, 0x5c, 0x78};
    for (int k = 0; k < 7; k++) {
        store_stmt *st;
        bool row = false;
        int64_t id;
        assert_int_equal(store_prepare(c, Q_TYPES_INS, &st), WS_OK);
        assert_int_equal(store_bind_int(st, 1, ints[k % 5]), WS_OK);
        assert_int_equal(store_bind_double(st, 2, dbls[k]), WS_OK);
        assert_int_equal(store_bind_text(st, 3, texts[k % 4]), WS_OK);
        if (k == 1)
            assert_int_equal(store_bind_blob(st, 4, "", 0), WS_OK);
        else
            assert_int_equal(store_bind_blob(st, 4, blob1, sizeof blob1 - (size_t)(k % 3)), WS_OK);
        assert_int_equal(store_step(st, &row), WS_OK);
        assert_true(row);
        id = store_col_int(st, 0);
        assert_int_equal(store_changes(st), 1);
        store_finalize(st);

        assert_int_equal(store_prepare(c, Q_TYPES_GET, &st), WS_OK);
        assert_int_equal(store_bind_int(st, 1, id), WS_OK);
        assert_int_equal(store_step(st, &row), WS_OK);
        assert_true(row);
        assert_int_equal(store_col_count(st), 4);
        assert_false(store_col_null(st, 0));
        assert_true(store_col_int(st, 0) == ints[k % 5]);
        double d = store_col_double(st, 1);
        assert_memory_equal(&d, &dbls[k], sizeof d);   /* bit-exact (SQLite stores -0.0 as 0) */
        assert_string_equal(store_col_text(st, 2), texts[k % 4]);
        size_t n = 99;
        const void *p = store_col_blob(st, 3, &n);
        assert_false(store_col_null(st, 3));
        if (k == 1) {
            assert_int_equal(n, 0);
        } else {
            assert_int_equal(n, sizeof blob1 - (size_t)(k % 3));
            assert_memory_equal(p, blob1, n);
        }
        assert_int_equal(store_step(st, &row), WS_OK);
        assert_false(row);
        store_finalize(st);
    }
    /* NULL in every column. */
    store_stmt *st;
    bool row = false;
    assert_int_equal(store_prepare(c, Q_TYPES_INS, &st), WS_OK);
    assert_int_equal(store_bind_null(st, 1), WS_OK);
    assert_int_equal(store_bind_null(st, 2), WS_OK);
    assert_int_equal(store_bind_text(st, 3, NULL), WS_OK);
    assert_int_equal(store_bind_null(st, 4), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    int64_t id = store_col_int(st, 0);
    store_finalize(st);
    assert_int_equal(store_prepare(c, Q_TYPES_GET, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, id), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    for (int i = 0; i < 4; i++)
        assert_true(store_col_null(st, i));
    assert_int_equal(store_col_int(st, 0), 0);
    assert_string_equal(store_col_text(st, 2), "");
    size_t n = 7;
    assert_null(store_col_blob(st, 3, &n));
    assert_int_equal(n, 0);
    store_finalize(st);

    /* A "$1" inside a string literal is text, not a placeholder. */
    assert_int_equal(store_prepare(c, "SELECT '$1 it''s', $1 || 'x'", &st), WS_OK);
    assert_int_equal(store_bind_text(st, 1, "中"), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    assert_string_equal(store_col_text(st, 0), "$1 it's");
    assert_string_equal(store_col_text(st, 1), "中x");
    store_finalize(st);

    /* Binding past the last placeholder is a bug the store reports. */
    assert_int_equal(store_prepare(c, Q_TYPES_GET, &st), WS_OK);
    assert_int_not_equal(store_bind_int(st, 2, 1), WS_OK);
    store_finalize(st);

    /* changes() of an UPDATE, and a statement without rows. */
    assert_int_equal(store_prepare(c, "UPDATE t_types SET s = $1 WHERE i = $2", &st), WS_OK);
    assert_int_equal(store_bind_text(st, 1, "upd"), WS_OK);
    assert_int_equal(store_bind_int(st, 2, 0), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_false(row);
    assert_int_equal(store_changes(st), 1);
    /* Stepping a finished statement neither re-runs it nor fails. */
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_false(row);
    /* reset + rebind runs it again. */
    assert_int_equal(store_reset(st), WS_OK);
    assert_int_equal(store_bind_text(st, 1, "upd2"), WS_OK);
    assert_int_equal(store_bind_int(st, 2, -1), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_int_equal(store_changes(st), 1);
    store_finalize(st);
    assert_int_equal(query_int(c, "SELECT count(*) FROM t_types WHERE s LIKE 'upd%'"), 2);
    rel(c);
}

static void t_rollback_leaves_nothing(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    store_conn *c = acq(f);
    exec_ok(c, "DELETE FROM units");
    assert_int_equal(store_begin(c), WS_OK);
    assert_true(store_in_tx(c));
    assert_int_equal(insert_unit(c, "RB-1", NULL), WS_OK);
    assert_int_equal(insert_unit(c, "RB-2", NULL), WS_OK);
    assert_int_equal(count_units(c), 2);   /* visible inside */
    store_rollback(c);
    assert_false(store_in_tx(c));
    assert_int_equal(count_units(c), 0);
    store_rollback(c);   /* harmless without a transaction */

    assert_int_equal(store_begin(c), WS_OK);
    assert_int_equal(insert_unit(c, "RB-3", NULL), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    assert_int_equal(count_units(c), 1);

    /* A failure inside a transaction, then rollback: nothing of it stays. */
    assert_int_equal(store_begin(c), WS_OK);
    assert_int_equal(insert_unit(c, "RB-4", NULL), WS_OK);
    assert_int_equal(insert_unit(c, "RB-3", NULL), WS_ECONFLICT);
    store_rollback(c);
    assert_int_equal(count_units(c), 1);

    /* Releasing with an open transaction rolls it back. */
    assert_int_equal(store_begin(c), WS_OK);
    assert_int_equal(insert_unit(c, "RB-5", NULL), WS_OK);
    rel(c);
    c = acq(f);
    assert_false(store_in_tx(c));
    assert_int_equal(query_int(c, "SELECT count(*) FROM units WHERE code = 'RB-5'"), 0);
    exec_ok(c, "DELETE FROM units");
    rel(c);
}

static void t_constraint_conflict(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    store_conn *c = acq(f);
    int64_t id;
    assert_int_equal(insert_unit(c, "DUP", &id), WS_OK);
    ws_err_clear();
    assert_int_equal(insert_unit(c, "DUP", NULL), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "code");
    assert_non_null(strstr(ws_err_message(), "units.code"));
    assert_null(strstr(ws_err_message(), "DUP"));   /* values stay out of messages */

    /* Composite unique key: the distinguishing column is named. */
    exec_ok(c, "INSERT INTO departments (enterprise_id, code, name, active, created_at, updated_at) "
               "VALUES ((SELECT min(id) FROM units), 'safety', '安全', 1, 0, 0)");
    assert_int_equal(store_exec(c, "INSERT INTO departments (enterprise_id, code, name, active, "
                                   "created_at, updated_at) VALUES ((SELECT min(id) FROM units), "
                                   "'safety', 'x', 1, 0, 0)"),
                     WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "code");

    /* Foreign key. */
    store_stmt *st;
    bool row;
    assert_int_equal(store_prepare(c, "INSERT INTO people (unit_id, name, active, created_at, "
                                      "updated_at) VALUES ($1, 'x', 1, 0, 0)",
                                   &st),
                     WS_OK);
    assert_int_equal(store_bind_int(st, 1, 987654321), WS_OK);
    assert_int_equal(store_step(st, &row), WS_ECONFLICT);
    assert_non_null(strstr(ws_err_message(), "foreign key"));
    store_finalize(st);

    /* NOT NULL. */
    assert_int_equal(store_prepare(c, "INSERT INTO units (kind, code, name, tz, path, active, "
                                      "created_at, updated_at) VALUES ('site', 'NN', $1, 'UTC', "
                                      "'/', 1, 0, 0)",
                                   &st),
                     WS_OK);
    assert_int_equal(store_bind_null(st, 1), WS_OK);
    assert_int_equal(store_step(st, &row), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "name");
    store_finalize(st);

    /* Not a conflict: a syntax error is WS_ESTORE. */
    assert_int_equal(store_exec(c, "SELEC nonsense"), WS_ESTORE);
    exec_ok(c, "DELETE FROM departments");
    exec_ok(c, "DELETE FROM units");
    rel(c);
}

typedef struct worker_arg {
    store *s;
    int n, base;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        store_conn *c;
        char code[32];
        snprintf(code, sizeof code, "T%d-%d", a->base, i);
        if (store_acquire(a->s, &c)) {
            a->failures++;
            continue;
        }
        ws_err rc = store_begin(c);
        if (!rc)
            rc = insert_unit(c, code, NULL);
        if (!rc)
            rc = store_commit(c);
        if (rc) {
            store_rollback(c);
            a->failures++;
        }
        rel(c);
    }
    return NULL;
}

static void t_pool_threads(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    uint64_t stmts0 = 0, ns0 = 0, stmts1 = 0, ns1 = 0;
    store_stats(f->s, &stmts0, &ns0);
    enum { NT = 8, PER = 40 };
    pthread_t th[NT];
    worker_arg args[NT];
    for (int i = 0; i < NT; i++) {
        args[i] = (worker_arg){f->s, PER, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    store_conn *c = acq(f);
    assert_int_equal(query_int(c, "SELECT count(*) FROM units WHERE code LIKE 'T%'"), NT * PER);
    exec_ok(c, "DELETE FROM units");
    rel(c);
    store_stats(f->s, &stmts1, &ns1);
    assert_true(stmts1 - stmts0 >= (uint64_t)NT * PER * 3);   /* begin, insert, commit */
    assert_true(ns1 > ns0);
}

static void t_scan_table(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    store_conn *c = acq(f);
    int64_t ids[3];
    const char *codes[3] = {"S-a", "S-b", "S-c"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(insert_unit(c, codes[i], &ids[i]), WS_OK);
    const char *cols[] = {"id", "code", "name"};
    store_stmt *st;
    bool row;
    assert_int_equal(store_scan_table(c, "units", cols, 3, 0, &st), WS_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_step(st, &row), WS_OK);
        assert_true(row);
        assert_int_equal(store_col_int(st, 0), ids[i]);
        assert_string_equal(store_col_text(st, 1), codes[i]);
        assert_string_equal(store_col_text(st, 2), "单位");
    }
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_false(row);
    store_finalize(st);

    assert_int_equal(store_scan_table(c, "units", cols, 2, ids[1], &st), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    assert_string_equal(store_col_text(st, 1), "S-b");
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_false(row);
    store_stmt *first = st;
    store_finalize(st);
    /* The same scan by another id: the cached statement (its SQL is kept),
     * bound afresh; the same scan nested inside it: a statement of its own. */
    assert_int_equal(store_scan_table(c, "units", cols, 2, ids[2], &st), WS_OK);
    assert_ptr_equal(st, first);
    store_stmt *inner;
    assert_int_equal(store_scan_table(c, "units", cols, 2, ids[0], &inner), WS_OK);
    assert_ptr_not_equal(inner, st);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    assert_string_equal(store_col_text(st, 1), "S-c");
    assert_int_equal(store_step(inner, &row), WS_OK);
    assert_true(row);
    assert_string_equal(store_col_text(inner, 1), "S-a");
    store_finalize(inner);
    store_finalize(st);

    const char *bad_cols[] = {"id", "name; DROP TABLE units"};
    assert_int_equal(store_scan_table(c, "units", bad_cols, 2, 0, &st), WS_EINVAL);
    assert_int_equal(store_scan_table(c, "units--", cols, 1, 0, &st), WS_EINVAL);
    assert_int_equal(store_scan_table(c, "Units", cols, 1, 0, &st), WS_EINVAL);
    assert_int_equal(store_scan_table(c, "units", cols, 0, 0, &st), WS_EINVAL);
    assert_int_equal(count_units(c), 3);
    exec_ok(c, "DELETE FROM units");
    rel(c);
}

static const char Q_CACHE[] = "SELECT count(*) FROM units WHERE code <> $1";

static void t_statement_cache(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    store_conn *c = acq(f);
    store_stmt *a, *b, *a2;
    bool row;
    assert_int_equal(store_prepare(c, Q_CACHE, &a), WS_OK);
    assert_int_equal(store_bind_text(a, 1, "x"), WS_OK);
    assert_int_equal(store_step(a, &row), WS_OK);
    assert_true(row);
    /* The same query nested while the first is open: a separate statement. */
    assert_int_equal(store_prepare(c, Q_CACHE, &b), WS_OK);
    assert_ptr_not_equal(a, b);
    assert_int_equal(store_bind_text(b, 1, "y"), WS_OK);
    assert_int_equal(store_step(b, &row), WS_OK);
    assert_true(row);
    store_finalize(b);
    store_finalize(a);
    /* Prepared again: the cached statement comes back, binds cleared. */
    assert_int_equal(store_prepare(c, Q_CACHE, &a2), WS_OK);
    assert_ptr_equal(a, a2);
    assert_int_equal(store_bind_text(a2, 1, "z"), WS_OK);
    assert_int_equal(store_step(a2, &row), WS_OK);
    assert_true(row);
    assert_int_equal(store_col_int(a2, 0), count_units(c));
    store_finalize(a2);

    /* Same address, different text (a reused buffer): never the old statement. */
    char dyn[64];
    snprintf(dyn, sizeof dyn, "SELECT 1");
    assert_int_equal(store_prepare(c, dyn, &a), WS_OK);
    assert_int_equal(store_step(a, &row), WS_OK);
    assert_int_equal(store_col_int(a, 0), 1);
    store_finalize(a);
    snprintf(dyn, sizeof dyn, "SELECT 2");
    assert_int_equal(store_prepare(c, dyn, &a), WS_OK);
    assert_int_equal(store_step(a, &row), WS_OK);
    assert_int_equal(store_col_int(a, 0), 2);
    store_finalize(a);
    rel(c);
}

static void t_backup_restore(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    store_conn *c = acq(f);
    exec_ok(c, "DELETE FROM units");
    assert_int_equal(insert_unit(c, "BEFORE", NULL), WS_OK);
    rel(c);

    char path[400];
    snprintf(path, sizeof path, "%s/backup.%s", f->dir, f->kind == STORE_SQLITE ? "db" : "dump");
    assert_int_equal(store_backup(f->s, path), WS_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 0);
    /* Never overwrite an existing file. */
    assert_int_equal(store_backup(f->s, path), WS_EINVAL);

    c = acq(f);
    assert_int_equal(insert_unit(c, "AFTER", NULL), WS_OK);
    assert_int_equal(count_units(c), 2);
    rel(c);

    store_close(f->s);
    f->s = NULL;
    assert_int_equal(store_restore(f->url, path), WS_OK);
    assert_int_equal(store_open(f->url, 4, &f->s), WS_OK);
    c = acq(f);
    int v = 0;
    assert_int_equal(store_schema_version(c, &v), WS_OK);
    assert_int_equal(v, store_schema_latest());
    assert_int_equal(count_units(c), 1);
    assert_int_equal(query_int(c, "SELECT count(*) FROM units WHERE code = 'BEFORE'"), 1);
    /* Writable after restore, and ids continue above the restored ones. */
    int64_t id = 0;
    assert_int_equal(insert_unit(c, "AFTER-RESTORE", &id), WS_OK);
    assert_true(id > query_int(c, "SELECT min(id) FROM units"));
    rel(c);

    /* A missing or bogus backup file is refused and the database is kept. */
    char bogus[400];
    snprintf(bogus, sizeof bogus, "%s/nothing-here", f->dir);
    assert_int_equal(store_restore(f->url, bogus), WS_EINVAL);
    snprintf(bogus, sizeof bogus, "%s/bogus.db", f->dir);
    FILE *fp = fopen(bogus, "w");
    assert_non_null(fp);
    fputs("not a database", fp);
    fclose(fp);
    store_close(f->s);
    f->s = NULL;
    assert_int_not_equal(store_restore(f->url, bogus), WS_OK);
    assert_int_equal(store_open(f->url, 4, &f->s), WS_OK);
    c = acq(f);
    assert_int_equal(count_units(c), 2);
    rel(c);
}

/* store_sync after a commit; on SQLite it fdatasyncs the WAL by name: a
 * WAL that is gone is nothing to sync, one that cannot be opened is an
 * error naming the database. */
static void t_sync(void **state)
{
    fixture *f = *state;
    migrate_ok(f);
    store_conn *c = acq(f);
    assert_int_equal(insert_unit(c, "SYNCED", NULL), WS_OK);
    rel(c);
    assert_int_equal(store_sync(f->s), WS_OK);
    if (f->kind != STORE_SQLITE) return;
    char wal[400], kept[420];
    snprintf(wal, sizeof wal, "%s/ws.db-wal", f->dir);
    snprintf(kept, sizeof kept, "%s.kept", wal);
    assert_int_equal(rename(wal, kept), 0); /* the connections keep theirs open */
    assert_int_equal(store_sync(f->s), WS_OK);
    assert_int_equal(symlink(wal, wal), 0); /* a loop: open fails with ELOOP */
    assert_int_equal(store_sync(f->s), WS_EIO);
    assert_string_equal(ws_err_field(), "db");
    assert_int_equal(unlink(wal), 0);
    assert_int_equal(rename(kept, wal), 0);
    assert_int_equal(store_sync(f->s), WS_OK);
}

#define T(fn) cmocka_unit_test_teardown(fn, release_held)
#define SUITE                                                                                      \
    T(t_migrate_from_empty), T(t_newer_schema_refused), T(t_typed_roundtrip),                      \
        T(t_rollback_leaves_nothing), T(t_constraint_conflict), T(t_pool_threads), T(t_scan_table), \
        T(t_statement_cache), T(t_backup_restore), T(t_sync)

int main(void)
{
    log_set_level(getenv("WS_TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
    const struct CMUnitTest basics[] = {cmocka_unit_test(t_url_rejected), cmocka_unit_test(t_like_contains)};
    const struct CMUnitTest sqlite_tests[] = {SUITE};
    const struct CMUnitTest pg_tests[] = {SUITE};
    int failed = cmocka_run_group_tests_name("store", basics, NULL, NULL);
    failed += cmocka_run_group_tests_name("store_sqlite", sqlite_tests, setup_sqlite, teardown_sqlite);
    if (getenv("WS_TEST_PG_URL") && *getenv("WS_TEST_PG_URL"))
        failed += cmocka_run_group_tests_name("store_postgres", pg_tests, setup_pg, teardown_pg);
    else
        fprintf(stderr, "store_postgres: skipped (WS_TEST_PG_URL not set)\n");
    return failed ? 1 : 0;
}
