/* test_risk.c — the risk register (src/risk) on real stores: a fresh SQLite
 * file per test and, when WS_TEST_PG_URL is set, a fresh PostgreSQL database
 * per test. LEC and LS scores from the rule tables, at and around every
 * cut-off; values outside the tables refused naming the field; the rule set
 * stored once as a versioned row that assessments name; a unit's level is
 * the highest of its events' and an object's the highest of its units', also
 * after a child changes; a major hazard without one of its three persons is
 * refused naming it; scope; and `audit verify` clean at the end.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "org/org.h"
#include "risk/risk.h"
#include "store/store.h"
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
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "risk", f->n)) return -1;
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

/* The rank of LEC / LS values v under the built-in rules (fails the test
 * when the values are refused). */
static int lec(double l, double e, double c)
{
    double v[3] = {l, e, c};
    risk_assessment a;
    OK(risk_assess(risk_rules_builtin(), RISK_LEC, v, "inherent_", &a));
    assert_true(fabs(a.score - l * e * c) < 1e-9);
    return a.rank;
}

static int ls(double l, double s)
{
    double v[3] = {l, s, NAN};
    risk_assessment a;
    OK(risk_assess(risk_rules_builtin(), RISK_LS, v, "inherent_", &a));
    assert_true(fabs(a.score - l * s) < 1e-9);
    return a.rank;
}

enum { LOW = 1, MEDIUM = 2, HIGH = 3, MAJOR = 4 };

/* LEC: D >= 320 重大, [160, 320) 较大, [70, 160) 一般, below 70 低; every
 * cut-off at, just below and just above; then real table products around
 * each one. */
static void test_lec_cutoffs(void **state)
{
    const risk_rules *r = risk_rules_builtin();
    struct { double d; int rank; } at[] = {
        {0.05, LOW}, {19.999, LOW}, {20, LOW}, {20.001, LOW}, {69.999, LOW}, {70, MEDIUM},
        {70.001, MEDIUM}, {159.999, MEDIUM}, {160, HIGH}, {160.001, HIGH}, {319.999, HIGH},
        {320, MAJOR}, {320.001, MAJOR}, {10000, MAJOR},
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        if (risk_rank_of_score(r, RISK_LEC, at[i].d) != at[i].rank)
            fail_msg("LEC D=%g: rank %d, want %d", at[i].d,
                     risk_rank_of_score(r, RISK_LEC, at[i].d), at[i].rank);
    assert_int_equal(lec(0.1, 0.5, 1), LOW);   /* 0.05 */
    assert_int_equal(lec(10, 2, 1), LOW);      /* 20 */
    assert_int_equal(lec(3, 3, 7), LOW);       /* 63 */
    assert_int_equal(lec(1, 10, 7), MEDIUM);   /* 70: at the cut-off */
    assert_int_equal(lec(0.2, 10, 40), MEDIUM); /* 80: tenths stay exact */
    assert_int_equal(lec(1, 10, 15), MEDIUM);  /* 150 */
    assert_int_equal(lec(6, 2, 15), HIGH);     /* 180 */
    assert_int_equal(lec(0.5, 10, 40), HIGH);  /* 200 */
    assert_int_equal(lec(0.2, 10, 100), HIGH); /* 200 */
    assert_int_equal(lec(10, 2, 15), HIGH);    /* 300 */
    assert_int_equal(lec(3, 3, 40), MAJOR);    /* 360 */
    assert_int_equal(lec(10, 10, 100), MAJOR); /* 10000 */
    /* A value not in its table is refused, naming the field. */
    double bad[][3] = {{2, 6, 15}, {0.3, 6, 15}, {3, 4, 15}, {3, 6, 50}, {3, 6, NAN}};
    const char *field[] = {"inherent_l", "inherent_l", "inherent_e", "inherent_c", "inherent_c"};
    for (int i = 0; i < 5; i++) {
        risk_assessment a;
        assert_int_equal(risk_assess(r, RISK_LEC, bad[i], "inherent_", &a), WS_EINVAL);
        assert_string_equal(ws_err_field(), field[i]);
    }
}

/* LS: R >= 20 重大, 15-16 较大, 9-12 一般, <= 8 低. */
static void test_ls_cutoffs(void **state)
{
    const risk_rules *r = risk_rules_builtin();
    struct { double d; int rank; } at[] = {
        {1, LOW}, {8, LOW}, {8.999, LOW}, {9, MEDIUM}, {12, MEDIUM}, {14.999, MEDIUM},
        {15, HIGH}, {16, HIGH}, {19.999, HIGH}, {20, MAJOR}, {25, MAJOR},
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        if (risk_rank_of_score(r, RISK_LS, at[i].d) != at[i].rank)
            fail_msg("LS R=%g: rank %d, want %d", at[i].d, risk_rank_of_score(r, RISK_LS, at[i].d),
                     at[i].rank);
    assert_int_equal(ls(2, 4), LOW);    /* 8 */
    assert_int_equal(ls(3, 3), MEDIUM); /* 9 */
    assert_int_equal(ls(3, 4), MEDIUM); /* 12 */
    assert_int_equal(ls(3, 5), HIGH);   /* 15 */
    assert_int_equal(ls(4, 4), HIGH);   /* 16 */
    assert_int_equal(ls(4, 5), MAJOR);  /* 20 */
    assert_int_equal(ls(5, 5), MAJOR);  /* 25 */
    double bad[][3] = {{6, 3, NAN}, {3, 0, NAN}, {2.5, 3, NAN}, {3, 3, 15}};
    const char *field[] = {"residual_l", "residual_s", "residual_l", "residual_c"};
    for (int i = 0; i < 4; i++) {
        risk_assessment a;
        assert_int_equal(risk_assess(r, RISK_LS, bad[i], "residual_", &a), WS_EINVAL);
        assert_string_equal(ws_err_field(), field[i]);
    }
    /* Levels carry names and colours. */
    assert_string_equal(risk_level_of_rank(MAJOR).name, "重大");
    assert_string_equal(risk_level_of_rank(MAJOR).colour, "red");
    assert_string_equal(risk_level_of_rank(HIGH).colour, "orange");
    assert_string_equal(risk_level_of_rank(MEDIUM).colour, "yellow");
    assert_string_equal(risk_level_of_rank(LOW).colour, "blue");
}

/* ------------------------------------------------------------ on a store */

typedef struct org_fix {
    int64_t ent, site, ent2, boss, tech, op, worker, other_ent_person, post;
} org_fix;

static int64_t mk_person(store_conn *c, int64_t unit, const char *name)
{
    org_person_in in = {.unit_id = unit, .name = name};
    int64_t id = 0;
    OK(org_person_create(c, &TRUSTED, &in, &id));
    return id;
}

static org_fix org_world(store_conn *c)
{
    org_fix o = {0};
    int64_t park = 0;
    OK(org_create_root(c, &WHO, "park", "PARK", "化工园区", &park));
    org_unit_in e = {.parent_id = park, .kind = "enterprise", .code = "E1", .name = "甲化工"};
    OK(org_unit_create(c, &TRUSTED, &e, &o.ent));
    org_unit_in s = {.parent_id = o.ent, .kind = "site", .code = "E1-S1", .name = "一厂区"};
    OK(org_unit_create(c, &TRUSTED, &s, &o.site));
    org_unit_in e2 = {.parent_id = park, .kind = "enterprise", .code = "E2", .name = "乙化工"};
    OK(org_unit_create(c, &TRUSTED, &e2, &o.ent2));
    o.boss = mk_person(c, o.ent, "张总");
    o.tech = mk_person(c, o.site, "李工");
    o.op = mk_person(c, o.site, "王班长");
    o.worker = mk_person(c, o.site, "赵操作");
    o.other_ent_person = mk_person(c, o.ent2, "外企人员");
    OK(org_post_create(c, &TRUSTED, o.ent, 0, "op", "操作工", &o.post));
    return o;
}

static int64_t mk_object(store_conn *c, const org_fix *o, bool mh)
{
    risk_object_in in = {.unit_id = o->site, .kind = "installation", .name = "加氢装置",
                         .responsible_person_id = o->tech, .major_hazard = mh,
                         .mh_principal_person_id = o->boss, .mh_technical_person_id = o->tech,
                         .mh_operational_person_id = o->op};
    int64_t id = 0;
    OK(risk_object_create(c, &TRUSTED, &in, &id));
    return id;
}

static int64_t mk_unit(store_conn *c, const org_fix *o, int64_t obj, const char *name)
{
    risk_unit_in in = {.object_id = obj, .name = name, .responsible_person_id = o->op};
    int64_t id = 0;
    OK(risk_unit_create(c, &TRUSTED, &in, &id));
    return id;
}

/* An LEC event with inherent (6, 6, 15) = 540 重大 and residual values r. */
static int64_t mk_event(store_conn *c, int64_t unit, double l, double e, double cc)
{
    risk_event_in in = {.risk_unit_id = unit, .description = "反应釜超压爆炸",
                        .accident_type = "17", .method = "LEC", .inherent = {6, 6, 15},
                        .residual = {l, e, cc}, .has_residual = true};
    int64_t id = 0;
    OK(risk_event_create(c, &TRUSTED, &in, &id));
    return id;
}

static int unit_rank(store_conn *c, int64_t id)
{
    risk_unit u;
    OK(risk_unit_get(c, id, &u));
    return u.level_rank;
}

static int object_rank(store_conn *c, int64_t id)
{
    risk_object o;
    OK(risk_object_get(c, id, &o));
    return o.level_rank;
}

/* The rule set is stored once as a versioned row, read back equal to the
 * compiled-in tables, and named by every assessment. */
static void test_rules_stored(void **state)
{
    tctx *t = *state;
    risk_rules a, b;
    OK(risk_rules_active(t->c, &a));
    assert_true(a.id > 0);
    assert_string_equal(a.code, "chem-default");
    assert_int_equal(a.version, 1);
    assert_string_equal(a.profile, "chemical");
    assert_string_equal(a.effective_on, "2021-01-01");
    assert_non_null(strstr(a.source, "xiaomilidoc.com"));
    OK(risk_rules_active(t->c, &b));
    assert_int_equal(a.id, b.id);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM risk_rule_sets"), 1);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM audit_leaf WHERE entity = 'risk_rule_set'"), 1);
    const risk_rules *bi = risk_rules_builtin();
    assert_memory_equal(&a.lec, &bi->lec, sizeof a.lec);
    assert_memory_equal(&a.ls, &bi->ls, sizeof a.ls);
    /* Every assessment records the rule set it used. */
    org_fix o = org_world(t->c);
    int64_t ev = mk_event(t->c, mk_unit(t->c, &o, mk_object(t->c, &o, false), "U"), 1, 6, 15);
    risk_event e;
    OK(risk_event_get(t->c, ev, &e));
    assert_int_equal(e.rule_set_id, a.id);
    assert_int_equal(e.inherent.rank, MAJOR); /* 540 */
    assert_int_equal(e.residual.rank, MEDIUM); /* 90 */
    assert_true(fabs(e.residual.score - 90) < 1e-9);
    verify_clean(t->c);
}

/* A unit's level is the highest of its active events'; an object's the
 * highest of its units'; both follow a child's change at once. */
static void test_levels_follow_children(void **state)
{
    tctx *t = *state;
    org_fix o = org_world(t->c);
    int64_t obj = mk_object(t->c, &o, false);
    int64_t u1 = mk_unit(t->c, &o, obj, "反应单元"), u2 = mk_unit(t->c, &o, obj, "储存单元");
    assert_int_equal(unit_rank(t->c, u1), 0); /* not assessed */
    assert_int_equal(object_rank(t->c, obj), 0);
    int64_t e1 = mk_event(t->c, u1, 1, 3, 15);  /* 45 低 */
    int64_t e2 = mk_event(t->c, u1, 1, 6, 15);  /* 90 一般 */
    mk_event(t->c, u2, 0.5, 3, 7);              /* 10.5 低 */
    assert_int_equal(unit_rank(t->c, u1), MEDIUM);
    assert_int_equal(unit_rank(t->c, u2), LOW);
    assert_int_equal(object_rank(t->c, obj), MEDIUM);
    /* A child is reassessed upwards: unit and object follow. */
    risk_event_in up = {.set = RISK_SET_EV_ASSESS, .method = "LEC", .inherent = {6, 6, 15},
                        .residual = {3, 6, 15}, .has_residual = true}; /* 270 较大 */
    OK(risk_event_update(t->c, &TRUSTED, e1, &up));
    assert_int_equal(unit_rank(t->c, u1), HIGH);
    assert_int_equal(object_rank(t->c, obj), HIGH);
    /* ...and downwards: the max falls back to the other event. */
    risk_event_in down = up;
    down.residual[0] = 0.1; /* 0.1 x 6 x 15 = 9 低 */
    OK(risk_event_update(t->c, &TRUSTED, e1, &down));
    assert_int_equal(unit_rank(t->c, u1), MEDIUM);
    /* A retired event no longer counts. */
    risk_event_in off = {.set = RISK_SET_EV_ACTIVE, .active = false};
    OK(risk_event_update(t->c, &TRUSTED, e2, &off));
    assert_int_equal(unit_rank(t->c, u1), LOW);
    assert_int_equal(object_rank(t->c, obj), LOW);
    /* A major residual in the other unit makes the object major. */
    mk_event(t->c, u2, 10, 10, 40); /* 4000 重大 */
    assert_int_equal(unit_rank(t->c, u2), MAJOR);
    assert_int_equal(object_rank(t->c, obj), MAJOR);
    /* A retired unit no longer counts for its object. */
    risk_unit_in uoff = {.set = RISK_SET_ACTIVE, .active = false};
    OK(risk_unit_update(t->c, &TRUSTED, u2, &uoff));
    assert_int_equal(object_rank(t->c, obj), LOW);
    /* Lists show the same levels. */
    risk_filter f = {.scope_path = "/", .parent_id = obj, .active = -1, .limit = 50};
    risk_unit *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(risk_unit_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 2);
    assert_int_equal(items[0].level_rank, LOW);
    assert_int_equal(items[1].level_rank, MAJOR);
    free(items);
    verify_clean(t->c);
}

/* A major hazard names its three responsible persons; a missing one is
 * refused by name, and so is a person of another enterprise. */
static void test_major_hazard_persons(void **state)
{
    tctx *t = *state;
    org_fix o = org_world(t->c);
    const char *fields[3] = {"mh_principal_person_id", "mh_technical_person_id",
                             "mh_operational_person_id"};
    for (int i = 0; i < 3; i++) {
        risk_object_in in = {.unit_id = o.site, .kind = "installation", .name = "液氯储罐区",
                             .responsible_person_id = o.tech, .major_hazard = true,
                             .mh_principal_person_id = i == 0 ? 0 : o.boss,
                             .mh_technical_person_id = i == 1 ? 0 : o.tech,
                             .mh_operational_person_id = i == 2 ? 0 : o.op};
        int64_t id = 0;
        assert_int_equal(risk_object_create(t->c, &TRUSTED, &in, &id), WS_EINVAL);
        assert_string_equal(ws_err_field(), fields[i]);
    }
    risk_object_in alien = {.unit_id = o.site, .kind = "installation", .name = "液氯储罐区",
                            .responsible_person_id = o.tech, .major_hazard = true,
                            .mh_principal_person_id = o.boss, .mh_technical_person_id = o.tech,
                            .mh_operational_person_id = o.other_ent_person};
    int64_t id = 0;
    assert_int_equal(risk_object_create(t->c, &TRUSTED, &alien, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "mh_operational_person_id");
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM risk_objects"), 0);
    int64_t obj = mk_object(t->c, &o, true);
    risk_object got;
    OK(risk_object_get(t->c, obj, &got));
    assert_true(got.major_hazard);
    assert_int_equal(got.mh_technical_person_id, o.tech);
    /* Clearing one of them later is refused too. */
    risk_object_in clear = {.set = RISK_SET_MH_TECHNICAL, .mh_technical_person_id = 0};
    assert_int_equal(risk_object_update(t->c, &TRUSTED, obj, &clear), WS_EINVAL);
    assert_string_equal(ws_err_field(), "mh_technical_person_id");
    /* An ordinary object needs none; setting the flag then needs all three. */
    int64_t plain = mk_object(t->c, &o, false);
    risk_object_in flag = {.set = RISK_SET_MH, .major_hazard = true};
    assert_int_equal(risk_object_update(t->c, &TRUSTED, plain, &flag), WS_EINVAL);
    assert_string_equal(ws_err_field(), "mh_principal_person_id");
    verify_clean(t->c);
}

/* Measures and tasks: categories and frequencies from their lists, a task
 * names a post or a grid; a caller scoped to another enterprise sees
 * nothing and writes nothing (not found). */
static void test_measures_tasks_scope(void **state)
{
    tctx *t = *state;
    org_fix o = org_world(t->c);
    int64_t obj = mk_object(t->c, &o, false);
    int64_t ev = mk_event(t->c, mk_unit(t->c, &o, obj, "U"), 1, 6, 15);
    risk_measure_in bad = {.event_id = ev, .category = "prayer", .text = "x"};
    int64_t m = 0, tk = 0;
    assert_int_equal(risk_measure_create(t->c, &TRUSTED, &bad, &m), WS_EINVAL);
    assert_string_equal(ws_err_field(), "category");
    risk_measure_in min = {.event_id = ev, .category = "engineering", .text = "安装可燃气体报警器"};
    OK(risk_measure_create(t->c, &TRUSTED, &min, &m));
    risk_task_in tin = {.measure_id = m, .what = "检查报警器", .frequency = "hours"};
    assert_int_equal(risk_task_create(t->c, &TRUSTED, &tin, &tk), WS_EINVAL);
    assert_string_equal(ws_err_field(), "every_hours");
    tin.every_hours = 4;
    assert_int_equal(risk_task_create(t->c, &TRUSTED, &tin, &tk), WS_EINVAL);
    assert_string_equal(ws_err_field(), "post_id");
    tin.post_id = o.post;
    OK(risk_task_create(t->c, &TRUSTED, &tin, &tk));
    risk_task task;
    OK(risk_task_get(t->c, tk, &task));
    assert_int_equal(task.every_hours, 4);
    assert_int_equal(task.post_id, o.post);
    /* Scope: a safety officer of the other enterprise. */
    org_unit e2;
    OK(org_unit_get(t->c, o.ent2, &e2));
    auth_subject so = {.account_id = 5, .roles = ROLE_SAFETY_OFFICER, .scope_unit_id = o.ent2};
    snprintf(so.scope_path, sizeof so.scope_path, "%s", e2.path);
    org_caller by = {&WHO, &so};
    risk_measure_in m2 = {.event_id = ev, .category = "ppe", .text = "佩戴防毒面具"};
    assert_int_equal(risk_measure_create(t->c, &by, &m2, &m), WS_ENOTFOUND);
    risk_filter f = {.scope_path = e2.path, .active = -1, .limit = 50};
    risk_object *items = NULL;
    size_t n = 9;
    int64_t next = 0;
    OK(risk_object_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 0);
    free(items);
    /* A worker of the enterprise may not write at all. */
    org_unit e1;
    OK(org_unit_get(t->c, o.ent, &e1));
    auth_subject w = {.account_id = 6, .roles = ROLE_WORKER, .scope_unit_id = o.ent};
    snprintf(w.scope_path, sizeof w.scope_path, "%s", e1.path);
    org_caller wby = {&WHO, &w};
    assert_int_equal(risk_measure_create(t->c, &wby, &m2, &m), WS_EFORBIDDEN);
    verify_clean(t->c);
}

/* ------------------------------------------------------------------ main */

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/risk/v1")) {
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_risk_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || risk_init() || auth_init()) return 1;
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_lec_cutoffs),
        cmocka_unit_test(test_ls_cutoffs),
    };
    int failed = cmocka_run_group_tests_name("risk_rules", pure, NULL, NULL);
    const struct CMUnitTest db[] = {
        DB_TEST(test_rules_stored),
        DB_TEST(test_levels_follow_children),
        DB_TEST(test_major_hazard_persons),
        DB_TEST(test_measures_tasks_scope),
    };
    failed += cmocka_run_group_tests_name("risk_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("risk_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "risk_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
