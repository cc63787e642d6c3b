/* test_points.c — the points (位号) and devices register (src/telemetry/point.c)
 * on real stores: a fresh SQLite file per test and, when WS_TEST_PG_URL is
 * set, a fresh PostgreSQL database per test. GB/T 50493-2019 defaults applied
 * to gas points created without limits (and kept as editable data); a toxic
 * point without its exposure limit refused naming the field; limits out of
 * order or outside the range refused naming the field; duplicate tags and
 * device codes 409; rows outside the caller's scope not found; devices in
 * maintenance; and `audit verify` clean at the end.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "org/org.h"
#include "store/store.h"
#include "telemetry/point.h"
#include "unit/pgdb.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};

static char tmpdir[128];

/* ============================================================ on a store */

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n; /* databases made */
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


/* A fresh, migrated database for one test. */
static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "points", f->n)) return -1;
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

#define OK(call)                                                                        \
    do {                                                                                \
        ws_err rc_ = (call);                                                            \
        if (rc_) fail_msg("%s: %s (%s)", #call, ws_err_message(), ws_err_field());     \
    } while (0)

/* The refusal of call: code want, naming field. */
#define REFUSED(call, want, field)                                                      \
    do {                                                                                \
        ws_err rc_ = (call);                                                            \
        if (rc_ != (want))                                                              \
            fail_msg("%s: got %d (%s), want %d", #call, rc_, ws_err_message(), want);  \
        assert_string_equal(ws_err_field(), field);                                     \
    } while (0)

typedef struct world {
    int64_t ent, site, area, ent2;
} world;

static world org_world(store_conn *c)
{
    world w = {0};
    int64_t park = 0;
    OK(org_create_root(c, &WHO, "park", "PARK", "化工园区", &park));
    org_unit_in e = {.parent_id = park, .kind = "enterprise", .code = "E1", .name = "甲化工"};
    OK(org_unit_create(c, &TRUSTED, &e, &w.ent));
    org_unit_in s = {.parent_id = w.ent, .kind = "site", .code = "E1-S1", .name = "一厂区"};
    OK(org_unit_create(c, &TRUSTED, &s, &w.site));
    org_unit_in a = {.parent_id = w.site, .kind = "area", .code = "E1-A1", .name = "罐区"};
    OK(org_unit_create(c, &TRUSTED, &a, &w.area));
    org_unit_in e2 = {.parent_id = park, .kind = "enterprise", .code = "E2", .name = "乙化工"};
    OK(org_unit_create(c, &TRUSTED, &e2, &w.ent2));
    return w;
}

/* A point_in with nothing set but unit, tag, name and kind. */
static point_in pin(int64_t unit, const char *tag, const char *kind)
{
    point_in in = {.set = POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME | POINT_SET_KIND,
                   .unit_id = unit, .tag = tag, .name = "测点", .kind = kind,
                   .range_low = NAN, .range_high = NAN, .resolution = NAN,
                   .exposure_limit = NAN, .ll = NAN, .l = NAN, .h = NAN, .hh = NAN,
                   .deadband = NAN};
    return in;
}

#define NONE(x) assert_true(isnan(x))
#define NEAR(x, want) assert_true(fabs((x) - (want)) < 1e-9)

/* GB/T 50493-2019: combustible 25/50 %LEL, O2 19.5/23.5 %VOL, toxic 100 %/200 %
 * of the exposure limit; editable afterwards; limits given are kept as given. */
static void test_gb50493_defaults(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t id = 0;
    point p;

    point_in in = pin(w.area, "GT-101", "combustible");
    OK(point_create(t->c, &TRUSTED, &in, &id));
    OK(point_get(t->c, id, &p));
    NONE(p.ll);
    NONE(p.l);
    NEAR(p.h, 25);
    NEAR(p.hh, 50);
    NEAR(p.deadband, 1);
    assert_string_equal(p.uom, "%LEL");
    NEAR(p.range_low, 0);
    NEAR(p.range_high, 100);
    assert_true(p.active);

    in = pin(w.area, "AT-O2-1", "oxygen");
    OK(point_create(t->c, &TRUSTED, &in, &id));
    OK(point_get(t->c, id, &p));
    NONE(p.ll);
    NEAR(p.l, 19.5);
    NEAR(p.h, 23.5);
    NONE(p.hh);
    assert_string_equal(p.uom, "%VOL");

    in = pin(w.area, "AT-H2S-1", "toxic");
    in.set |= POINT_SET_EXPOSURE | POINT_SET_UOM;
    in.exposure_limit = 10; /* H2S, mg/m³ */
    in.uom = "mg/m3";
    OK(point_create(t->c, &TRUSTED, &in, &id));
    int64_t h2s = id;
    OK(point_get(t->c, id, &p));
    NEAR(p.h, 10);
    NEAR(p.hh, 20);
    NEAR(p.deadband, 0.5);
    NEAR(p.exposure_limit, 10);
    assert_string_equal(p.uom, "mg/m³");

    /* Limits given at creation are the point's, no defaults mixed in. */
    in = pin(w.area, "GT-102", "combustible");
    in.set |= POINT_SET_H;
    in.h = 20;
    OK(point_create(t->c, &TRUSTED, &in, &id));
    OK(point_get(t->c, id, &p));
    NEAR(p.h, 20);
    NONE(p.hh);

    /* Not a gas: no limits made up. */
    in = pin(w.area, "TI-201", "temperature");
    OK(point_create(t->c, &TRUSTED, &in, &id));
    OK(point_get(t->c, id, &p));
    NONE(p.h);
    NONE(p.hh);
    NEAR(p.deadband, 0);

    /* Editable data: a stricter HH for the H2S point, then remove HH. */
    point_in up = {.set = POINT_SET_HH, .hh = 15};
    OK(point_update(t->c, &TRUSTED, h2s, &up));
    OK(point_get(t->c, h2s, &p));
    NEAR(p.hh, 15);
    NEAR(p.h, 10);
    up.hh = NAN;
    OK(point_update(t->c, &TRUSTED, h2s, &up));
    OK(point_get(t->c, h2s, &p));
    NONE(p.hh);
    point got;
    OK(point_get_by_tag(t->c, "AT-H2S-1", &got));
    assert_int_equal(got.id, h2s);
    REFUSED(point_get_by_tag(t->c, "NOPE", &got), WS_ENOTFOUND, "tag");
    verify_clean(t->c);
}

/* A toxic point needs its exposure limit, at creation and afterwards. */
static void test_toxic_needs_exposure_limit(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t id = 0;
    point_in in = pin(w.area, "AT-NH3-1", "toxic");
    in.set |= POINT_SET_UOM;
    in.uom = "ppm";
    REFUSED(point_create(t->c, &TRUSTED, &in, &id), WS_EINVAL, "exposure_limit");
    /* Even with limits of its own. */
    in.set |= POINT_SET_H | POINT_SET_HH;
    in.h = 20, in.hh = 40;
    REFUSED(point_create(t->c, &TRUSTED, &in, &id), WS_EINVAL, "exposure_limit");
    in.set |= POINT_SET_EXPOSURE;
    in.exposure_limit = 0;
    REFUSED(point_create(t->c, &TRUSTED, &in, &id), WS_EINVAL, "exposure_limit");
    in.exposure_limit = 20;
    OK(point_create(t->c, &TRUSTED, &in, &id));
    point_in up = {.set = POINT_SET_EXPOSURE, .exposure_limit = NAN};
    REFUSED(point_update(t->c, &TRUSTED, id, &up), WS_EINVAL, "exposure_limit");
    /* Toxic readings are ppm or mg/m³. */
    point_in bad = pin(w.area, "AT-NH3-2", "toxic");
    bad.set |= POINT_SET_EXPOSURE | POINT_SET_UOM;
    bad.exposure_limit = 20;
    bad.uom = "%LEL";
    REFUSED(point_create(t->c, &TRUSTED, &bad, &id), WS_EINVAL, "uom");
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM points"), 1);
    verify_clean(t->c);
}

/* LL < L < H < HH where present, within the range; each refusal names the
 * field that breaks the order; nothing is written. */
static void test_limit_order(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t id = 0;
    struct {
        double ll, l, h, hh, lo, hi;
        const char *field;
    } bad[] = {
        {NAN, NAN, 50, 25, NAN, NAN, "hh"},   /* HH below H */
        {NAN, NAN, 25, 25, NAN, NAN, "hh"},   /* equal is not strictly above */
        {10, 5, NAN, NAN, NAN, NAN, "l"},     /* L below LL */
        {NAN, 30, 20, NAN, NAN, NAN, "h"},    /* H below L */
        {5, NAN, NAN, 4, NAN, NAN, "hh"},     /* HH below LL with L, H absent */
        {NAN, NAN, 120, NAN, 0, 100, "h"},    /* above the range */
        {-1, NAN, NAN, NAN, 0, 100, "ll"},    /* below the range */
        {NAN, NAN, 10, 20, 50, 50, "range_high"},
        {NAN, NAN, INFINITY, NAN, NAN, NAN, "h"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "PT-%zu", i);
        point_in in = pin(w.area, tag, "pressure");
        in.set |= POINT_SET_LIMITS | POINT_SET_RANGE_LOW | POINT_SET_RANGE_HIGH;
        in.ll = bad[i].ll, in.l = bad[i].l, in.h = bad[i].h, in.hh = bad[i].hh;
        in.range_low = bad[i].lo, in.range_high = bad[i].hi;
        ws_err rc = point_create(t->c, &TRUSTED, &in, &id);
        if (rc != WS_EINVAL) fail_msg("case %zu: rc %d", i, rc);
        if (strcmp(ws_err_field(), bad[i].field))
            fail_msg("case %zu: field %s, want %s", i, ws_err_field(), bad[i].field);
    }
    /* A combustible point with a given H above its default HH... no: given
     * limits replace the defaults, so only the order of what is given counts. */
    point_in ok = pin(w.area, "PT-OK", "pressure");
    ok.set |= POINT_SET_LIMITS | POINT_SET_DEADBAND | POINT_SET_ON_DELAY | POINT_SET_RESOLUTION;
    ok.ll = 0.1, ok.l = 0.2, ok.h = 1.6, ok.hh = 1.8, ok.deadband = 0.02, ok.on_delay_ms = 5000;
    ok.resolution = 0.01;
    OK(point_create(t->c, &TRUSTED, &ok, &id));
    /* A PATCH is checked against what is stored. */
    point_in up = {.set = POINT_SET_H, .h = 2.0};
    REFUSED(point_update(t->c, &TRUSTED, id, &up), WS_EINVAL, "hh");
    up = (point_in){.set = POINT_SET_DEADBAND, .deadband = -1};
    REFUSED(point_update(t->c, &TRUSTED, id, &up), WS_EINVAL, "deadband");
    up = (point_in){.set = POINT_SET_ON_DELAY, .on_delay_ms = POINT_DELAY_MAX_MS + 1};
    REFUSED(point_update(t->c, &TRUSTED, id, &up), WS_EINVAL, "on_delay_ms");
    up = (point_in){.set = POINT_SET_RESOLUTION, .resolution = 0};
    REFUSED(point_update(t->c, &TRUSTED, id, &up), WS_EINVAL, "resolution");
    point p;
    OK(point_get(t->c, id, &p));
    NEAR(p.h, 1.6);
    NEAR(p.resolution, 0.01);
    assert_int_equal(p.on_delay_ms, 5000);
    /* Tags: ASCII letters, digits and _ . : / -, 1..63. */
    const char *tags[] = {"", "含中文", "A B", "A;B", "X123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        point_in in = pin(w.area, tags[i], "flow");
        REFUSED(point_create(t->c, &TRUSTED, &in, &id), WS_EINVAL, "tag");
    }
    point_in in = pin(w.area, "plant1/FI-301.PV:a_b-c", "flow");
    OK(point_create(t->c, &TRUSTED, &in, &id));
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM points"), 2);
    verify_clean(t->c);
}

/* Tags and device codes are unique across the install: 409 naming them. */
static void test_duplicates(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t id = 0, id2 = 0;
    point_in in = pin(w.area, "GT-101", "combustible");
    OK(point_create(t->c, &TRUSTED, &in, &id));
    in.unit_id = w.ent2; /* another enterprise, same tag */
    REFUSED(point_create(t->c, &TRUSTED, &in, &id2), WS_ECONFLICT, "tag");
    in = pin(w.area, "GT-102", "combustible");
    OK(point_create(t->c, &TRUSTED, &in, &id2));
    point_in up = {.set = POINT_SET_TAG, .tag = "GT-101"};
    REFUSED(point_update(t->c, &TRUSTED, id2, &up), WS_ECONFLICT, "tag");
    up.tag = "GT-102"; /* its own tag again */
    OK(point_update(t->c, &TRUSTED, id2, &up));

    point_device_in d = {.unit_id = w.area, .code = "GD-01", .name = "可燃气体探测器",
                         .kind = "gas_detector", .vendor = "汉威", .model = "BS01",
                         .protocol = "modbus", .calibration_due = "2027-02-28"};
    int64_t dev = 0, dev2 = 0;
    OK(point_device_create(t->c, &TRUSTED, &d, &dev));
    d.unit_id = w.ent2;
    REFUSED(point_device_create(t->c, &TRUSTED, &d, &dev2), WS_ECONFLICT, "code");
    d.code = "GD-02";
    d.calibration_due = "2027-02-29";
    REFUSED(point_device_create(t->c, &TRUSTED, &d, &dev2), WS_EINVAL, "calibration_due");
    d.calibration_due = NULL;
    d.kind = "sensor";
    REFUSED(point_device_create(t->c, &TRUSTED, &d, &dev2), WS_EINVAL, "kind");
    d.kind = "plc";
    d.protocol = "opcua";
    REFUSED(point_device_create(t->c, &TRUSTED, &d, &dev2), WS_EINVAL, "protocol");
    d.protocol = "modbus";
    OK(point_device_create(t->c, &TRUSTED, &d, &dev2)); /* GD-02 in enterprise 2 */

    /* A point's device is in its enterprise. */
    up = (point_in){.set = POINT_SET_DEVICE, .device_id = dev2};
    REFUSED(point_update(t->c, &TRUSTED, id, &up), WS_EINVAL, "device_id");
    up.device_id = dev;
    OK(point_update(t->c, &TRUSTED, id, &up));
    point p;
    OK(point_get(t->c, id, &p));
    assert_int_equal(p.device_id, dev);

    /* Maintenance mode: data, until a time. */
    point_device pd;
    OK(point_device_get(t->c, dev, &pd));
    assert_false(point_device_in_maintenance(&pd, 1000));
    assert_string_equal(pd.calibration_due, "2027-02-28");
    point_device_in m = {.set = POINT_DSET_MAINT, .maintenance_until = 2000000};
    OK(point_device_update(t->c, &TRUSTED, dev, &m));
    OK(point_device_get(t->c, dev, &pd));
    assert_true(point_device_in_maintenance(&pd, 1999999));
    assert_false(point_device_in_maintenance(&pd, 2000000));
    verify_clean(t->c);
}

/* A caller scoped to one enterprise neither sees nor writes the other's
 * rows (not found); a worker may read but not write; lists filter by scope,
 * subtree, kind and text. */
static void test_scope(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t mine = 0, theirs = 0, id = 0, dev_theirs = 0;
    point_in in = pin(w.area, "E1-GT-1", "combustible");
    in.name = "罐区可燃气体";
    OK(point_create(t->c, &TRUSTED, &in, &mine));
    in = pin(w.site, "E1-TI-1", "temperature");
    OK(point_create(t->c, &TRUSTED, &in, &id));
    in = pin(w.ent2, "E2-GT-1", "combustible");
    OK(point_create(t->c, &TRUSTED, &in, &theirs));
    point_device_in d = {.unit_id = w.ent2, .code = "E2-D1", .name = "PLC", .kind = "plc",
                         .protocol = "modbus"};
    OK(point_device_create(t->c, &TRUSTED, &d, &dev_theirs));

    org_unit e1;
    OK(org_unit_get(t->c, w.ent, &e1));
    auth_subject so = {.account_id = 5, .roles = ROLE_SAFETY_OFFICER, .scope_unit_id = w.ent};
    snprintf(so.scope_path, sizeof so.scope_path, "%s", e1.path);
    org_caller by = {&WHO, &so};

    /* Writes outside the scope: not found. */
    in = pin(w.ent2, "E2-GT-2", "combustible");
    REFUSED(point_create(t->c, &by, &in, &id), WS_ENOTFOUND, "unit_id");
    point_in up = {.set = POINT_SET_NAME, .name = "改名"};
    REFUSED(point_update(t->c, &by, theirs, &up), WS_ENOTFOUND, "id");
    point_device_in dup = {.set = POINT_DSET_NAME, .name = "改名"};
    REFUSED(point_device_update(t->c, &by, dev_theirs, &dup), WS_ENOTFOUND, "id");
    /* Nor move one of mine there. */
    up = (point_in){.set = POINT_SET_UNIT, .unit_id = w.ent2};
    REFUSED(point_update(t->c, &by, mine, &up), WS_ENOTFOUND, "unit_id");
    up = (point_in){.set = POINT_SET_NAME, .name = "一号罐可燃气体"};
    OK(point_update(t->c, &by, mine, &up));

    /* Lists: scope, subtree, kind, text. */
    point_filter f = {.scope_path = e1.path, .active = -1, .limit = 50};
    point *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(point_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 2);
    free(items);
    f.unit_id = w.area;
    OK(point_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, mine);
    free(items);
    f.unit_id = 0;
    f.kind = "temperature";
    OK(point_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    assert_string_equal(items[0].tag, "E1-TI-1");
    free(items);
    f.kind = NULL;
    f.q = "e1-gt"; /* tags case-insensitively */
    OK(point_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    free(items);
    f.q = "罐可燃"; /* names */
    OK(point_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, mine);
    free(items);
    f.q = NULL;
    f.limit = 1; /* paging */
    OK(point_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    assert_true(next > 0);
    free(items);
    point_device *devs = NULL;
    f.limit = 50;
    OK(point_device_list(t->c, &f, &devs, &n, &next));
    assert_int_equal(n, 0);
    free(devs);

    /* A worker of the enterprise reads (the API decides) but never writes. */
    auth_subject wk = {.account_id = 6, .roles = ROLE_WORKER, .scope_unit_id = w.ent};
    snprintf(wk.scope_path, sizeof wk.scope_path, "%s", e1.path);
    org_caller wby = {&WHO, &wk};
    REFUSED(point_update(t->c, &wby, mine, &up), WS_EFORBIDDEN, "");
    verify_clean(t->c);
}

/* ------------------------------------------------------------------ main */

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/points/v1")) {
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

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_points_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || point_init() || auth_init()) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_gb50493_defaults),
        DB_TEST(test_toxic_needs_exposure_limit),
        DB_TEST(test_limit_order),
        DB_TEST(test_duplicates),
        DB_TEST(test_scope),
    };
    int failed = cmocka_run_group_tests_name("points_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("points_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "points_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
