/* warn_fixture.h — what test_warn.c and test_warn_plant.c share: a real
 * store (SQLite, or PostgreSQL with WS_TEST_PG_URL) with an enterprise, the
 * engine with its series store and journal, points, readings, a safety
 * officer. Included by one test file each (static, so each binary has its
 * own); the helpers are static inline so a file need not use them all. */
#ifndef WS_TEST_WARN_FIXTURE_H
#define WS_TEST_WARN_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alarm/ruleset.h"
#include "alarm/threshold.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/hub.h"
#include "notify/channel.h"
#include "org/org.h"
#include "ledger/ledger.h"
#include "plant/plant.h"
#include "store/store.h"
#include "telemetry/gorilla.h"
#include "telemetry/point.h"
#include "telemetry/series.h"
#include "unit/pgdb.h"
#include "warn/journal.h"
#include "warn/warn.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};
static char tmpdir[128];

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct tctx {
    fixture *f;
    store *s;
    char url[1024];
    char sdir[256];
    testdb db;
    int64_t unit_id;
    char unit_path[256];
    series *ser;
    warn *w;
    int retention_days; /* of the next engine_open (warn_config.retention_days) */
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;

#define OK(call)                                                                    \
    do {                                                                            \
        ws_err rc_ = (call);                                                        \
        if (rc_) fail_msg("%s: %s (%s)", #call, ws_err_message(), ws_err_field()); \
    } while (0)

static inline int64_t sql_int(const char *sql, int64_t arg)
{
    store_conn *c;
    store_stmt *st = NULL;
    bool row = false;
    OK(store_acquire(tc.s, &c));
    OK(store_prepare(c, sql, &st));
    if (strstr(sql, "$1")) OK(store_bind_int(st, 1, arg));
    OK(store_step(st, &row));
    assert_true(row);
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    store_release(c);
    return v;
}

/* The series store (sc NULL: its defaults) and the engine, with its journal
 * in the fixture's directory (journal_keep 0: the default bound). */
static inline void engine_open_with(const series_config *sc, uint64_t journal_keep)
{
    char surl[1200], wal[300];
    OK(series_url(tc.url, tc.sdir, surl, sizeof surl));
    /* a test's points fit 256 slots: the default 4,096 zeroes ~37 MB an open */
    const series_config small = {.capacity = 256};
    OK(series_open(surl, sc ? sc : &small, &tc.ser));
    snprintf(wal, sizeof wal, "%s/journal", tc.sdir);
    warn_config wc = {.db = tc.s, .db_url = tc.url, .series = tc.ser, .wal_dir = wal, .no_thread = true,
                      .journal_keep = journal_keep, .retention_days = tc.retention_days};
    OK(warn_open(&wc, &tc.w));
}

static inline void engine_open(void) { engine_open_with(NULL, 0); }

static inline void engine_close(void)
{
    warn_close(tc.w);
    tc.w = NULL;
    OK(series_close(tc.ser));
    tc.ser = NULL;
}

/* A point of kind (gas kinds get GB/T 50493 default limits, others none) on
 * device (0: none). */
static inline int64_t add_point_kind(const char *tag, int64_t device, const char *kind)
{
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    point_in in = {.set = (device ? POINT_SET_DEVICE : 0u) | POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME |
                          POINT_SET_KIND,
                   .device_id = device, .unit_id = tc.unit_id, .tag = tag, .name = "罐区可燃气体",
                   .kind = kind, .range_low = NAN, .range_high = NAN, .resolution = NAN,
                   .exposure_limit = NAN, .ll = NAN, .l = NAN, .h = NAN, .hh = NAN, .deadband = NAN, .active = true};
    int64_t id = 0;
    OK(point_create(c, &TRUSTED, &in, &id));
    store_release(c);
    return id;
}

/* A combustible gas point on device (0: none). */
static inline int64_t add_point_on(const char *tag, int64_t device) { return add_point_kind(tag, device, "combustible"); }
static inline int64_t add_point(const char *tag) { return add_point_on(tag, 0); }

/* A gas detector, in maintenance until maint (0: not). */
static inline int64_t add_device(const char *code, int64_t maint)
{
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    point_device_in d = {.unit_id = tc.unit_id, .code = code, .name = "可燃气体探测器", .kind = "gas_detector",
                         .protocol = "http", .maintenance_until = maint, .active = true};
    int64_t id = 0;
    OK(point_device_create(c, &TRUSTED, &d, &id));
    store_release(c);
    return id;
}

static inline int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    snprintf(tc.sdir, sizeof tc.sdir, "%s/d%d", tmpdir, f->n + (f->kind == STORE_POSTGRES ? 100 : 0));
    mkdir(tc.sdir, 0700);
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tc.sdir, "main", 0)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    store_conn *c = NULL;
    if (store_acquire(tc.s, &c)) return -1;
    if (org_create_root(c, &WHO, "enterprise", "E1", "测试化工", &tc.unit_id)) return -1;
    org_unit ou;
    if (org_unit_get(c, tc.unit_id, &ou)) return -1;
    snprintf(tc.unit_path, sizeof tc.unit_path, "%s", ou.path);
    store_release(c);
    *state = &tc;
    return 0;
}

static inline int db_teardown(void **state)
{
    tctx *t = *state;
    if (t->w) engine_close();
    testdb_close(&t->db);
    *state = t->f;
    return 0;
}

static inline ws_reading rd(const char *tag, double v, int64_t t)
{
    ws_reading r = {.source_ms = t, .value = v, .quality = 0};
    snprintf(r.tag, sizeof r.tag, "%s", tag);
    return r;
}

/* Store doc as the next alarm rule set and make it the active one. */
static inline void activate_rules(store_conn *c, const char *doc, const char *comment)
{
    int64_t v = 0;
    OK(alarm_ruleset_create(c, &TRUSTED, doc, strlen(doc), comment, false, &v));
    OK(alarm_ruleset_activate(c, &TRUSTED, v));
}

static inline void in1(const char *tag, double v, int64_t t, warn_result *res)
{
    ws_reading r = rd(tag, v, t);
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, &r, 1, res));
}

static inline int64_t open_alarms(void) { return sql_int("SELECT count(*) FROM alarms WHERE open = 1", 0); }
static inline int64_t events_of(const char *kind)
{
    store_conn *c;
    store_stmt *st = NULL;
    bool row = false;
    OK(store_acquire(tc.s, &c));
    OK(store_prepare(c, "SELECT count(*) FROM alarm_events WHERE kind = $1", &st));
    OK(store_bind_text(st, 1, kind));
    OK(store_step(st, &row));
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    store_release(c);
    return v;
}


static inline const char *scope_root(void) { return tc.unit_path; }

/* A safety officer over the whole plant, as the API passes one to the
 * engine. by points into the struct: initialise in place, do not copy. */
typedef struct officer {
    auth_subject su;
    audit_actor act;
    org_caller by;
} officer;

static inline void officer_init(officer *o, int64_t person_id)
{
    *o = (officer){.su = {.account_id = 1, .person_id = person_id, .roles = ROLE_SAFETY_OFFICER},
                   .act = {"account:1"}};
    snprintf(o->su.username, sizeof o->su.username, "zhang.wei");
    snprintf(o->su.scope_path, sizeof o->su.scope_path, "%s", scope_root());
    o->by = (org_caller){&o->act, &o->su};
}

static inline int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws-test-warn-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    if (auth_init() || org_init() || point_init() || warn_init() || alarm_ruleset_init() ||
        plant_init(ledger_tz_offset))
        return -1;
    return 0;
}

static inline int group_teardown(void **state)
{
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#define T(fn, fx) cmocka_unit_test_prestate_setup_teardown(fn, db_setup, db_teardown, fx)

#endif
