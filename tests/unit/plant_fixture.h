/* plant_fixture.h — what the plant register tests (test_roster.c,
 * test_equipment.c, test_bypass.c) share: a fresh migrated store per test
 * (a SQLite file, or a fresh PostgreSQL database when WS_TEST_PG_URL is set),
 * an org world of two enterprises in different zones, the OK/REFUSED
 * assertions and `audit verify`. Included once per test binary. */
#ifndef WS_TEST_PLANT_FIXTURE_H
#define WS_TEST_PLANT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "ledger/ledger.h"
#include "org/org.h"
#include "plant/plant.h"
#include "store/store.h"
#include "telemetry/point.h"
#include "unit/pgdb.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};
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
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;
static const char *test_name = "plant";


static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, test_name, f->n)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    if (store_acquire(tc.s, &tc.c)) return -1;
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

static void no_findings(const audit_finding *f, void *arg)
{
    (void)arg;
    fail_msg("audit verify: %s %lld: %s", f->entity, (long long)f->id, f->what);
}

static void verify_clean(store_conn *c)
{
    uint64_t n = 0;
    ws_err rc = audit_verify(c, NULL, no_findings, NULL, &n);
    if (rc) fail_msg("audit verify: %s", ws_err_message());
    assert_true(n > 0);
}

static inline int64_t count_sql(store_conn *c, const char *sql)
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

#define OK(call)                                                                        \
    do {                                                                                \
        ws_err rc_ = (call);                                                            \
        if (rc_) fail_msg("%s: %s (%s)", #call, ws_err_message(), ws_err_field());     \
    } while (0)

#define REFUSED(call, want, field)                                                      \
    do {                                                                                \
        ws_err rc_ = (call);                                                            \
        if (rc_ != (want))                                                              \
            fail_msg("%s: got %d (%s), want %d", #call, rc_, ws_err_message(), want);  \
        assert_string_equal(ws_err_field(), field);                                     \
    } while (0)

/* E1 (Asia/Shanghai): site > area, people p[0..3]; E2 (Europe/Berlin):
 * area2, people q[0..1]. */
typedef struct world {
    int64_t park, ent, site, area, ent2, area2;
    int64_t p[4], q[2];
    char ent_path[AUTH_PATH_MAX], ent2_path[AUTH_PATH_MAX];
} world;

static world org_world(store_conn *c)
{
    world w = {0};
    OK(org_create_root(c, &WHO, "park", "PARK", "化工园区", &w.park));
    org_unit_in e = {.parent_id = w.park, .kind = "enterprise", .code = "E1", .name = "甲化工",
                     .tz = "Asia/Shanghai"};
    OK(org_unit_create(c, &TRUSTED, &e, &w.ent));
    org_unit_in s = {.parent_id = w.ent, .kind = "site", .code = "E1-S1", .name = "一厂区"};
    OK(org_unit_create(c, &TRUSTED, &s, &w.site));
    org_unit_in a = {.parent_id = w.site, .kind = "area", .code = "E1-A1", .name = "罐区"};
    OK(org_unit_create(c, &TRUSTED, &a, &w.area));
    org_unit_in e2 = {.parent_id = w.park, .kind = "enterprise", .code = "E2", .name = "乙化工",
                      .tz = "Europe/Berlin"};
    OK(org_unit_create(c, &TRUSTED, &e2, &w.ent2));
    org_unit_in a2 = {.parent_id = w.ent2, .kind = "area", .code = "E2-A1", .name = "Tanklager"};
    OK(org_unit_create(c, &TRUSTED, &a2, &w.area2));
    static const char *const names[] = {"张伟", "李娜", "王强", "刘洋"};
    for (int i = 0; i < 4; i++) {
        org_person_in p = {.unit_id = i < 2 ? w.area : w.site, .name = names[i]};
        OK(org_person_create(c, &TRUSTED, &p, &w.p[i]));
    }
    for (int i = 0; i < 2; i++) {
        org_person_in p = {.unit_id = w.area2, .name = i ? "Anna" : "Jonas"};
        OK(org_person_create(c, &TRUSTED, &p, &w.q[i]));
    }
    org_unit u;
    OK(org_unit_get(c, w.ent, &u));
    snprintf(w.ent_path, sizeof w.ent_path, "%s", u.path);
    OK(org_unit_get(c, w.ent2, &u));
    snprintf(w.ent2_path, sizeof w.ent2_path, "%s", u.path);
    return w;
}

/* A subject of roles scoped to a unit path. */
static inline auth_subject subject(unsigned roles, int64_t person, const char *path)
{
    auth_subject s = {.account_id = 7, .person_id = person, .roles = roles};
    snprintf(s.scope_path, sizeof s.scope_path, "%s", path);
    return s;
}

/* ms of a UTC wall time "YYYY-MM-DD", hour, minute. */
static inline int64_t utc(const char *date, int h, int m)
{
    int64_t day = 0;
    assert_true(plant_date_parse(date, &day));
    return day * 86400000LL + (int64_t)(h * 60 + m) * 60000LL;
}

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/plant/v1")) {
        fprintf(stderr, "audit: %s\n", ws_err_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_sqlite(void **state) { return group_setup(state, &fx_sqlite); }
static int setup_pg(void **state) { return group_setup(state, &fx_pg); }
static int group_teardown(void **state)
{
    (void)state;
    audit_close();
    return 0;
}

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

/* Run tests on SQLite and, when WS_TEST_PG_URL is set, PostgreSQL. */
static int run_all(const char *name, const struct CMUnitTest *tests, size_t n)
{
    test_name = name;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_%s_test_XXXXXX", name);
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || point_init() || auth_init() || plant_init(ledger_tz_offset)) return 1;
    char gname[64];
    snprintf(gname, sizeof gname, "%s_sqlite", name);
    int failed = _cmocka_run_group_tests(gname, tests, n, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    snprintf(gname, sizeof gname, "%s_postgres", name);
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += _cmocka_run_group_tests(gname, tests, n, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "%s: skipped (WS_TEST_PG_URL not set)\n", gname);
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}

#endif
