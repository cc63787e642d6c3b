/* test_risk_import.c — bulk import of an existing risk register
 * (src/risk/import.c) and rule-set management (src/risk/ruleset.c), on a
 * fresh SQLite file per test and, when WS_TEST_PG_URL is set, a fresh
 * PostgreSQL database per test: a register of three objects imports from
 * CSV, from XLSX (written with libxlsxwriter) and from GBK CSV; bad rows are
 * all reported as "row N: field" and nothing is written; a re-import is
 * idempotent and a changed value updates; a rule set with bad tables is
 * refused naming the field; activating a version switches what new
 * assessments use while old events keep theirs; `audit verify` clean.
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

#include "org_samples.h" /* slurp, to_gbk (uses tmpdir) */

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
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "riskimp", f->n)) return -1;
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


/* ------------------------------------------------------------ the world */

typedef struct world {
    int64_t ent, site, ent2, zhang, li, wang, post;
} world;

static int64_t mk_person(store_conn *c, int64_t unit, const char *no, const char *name)
{
    org_person_in in = {.unit_id = unit, .employee_no = no, .name = name};
    int64_t id = 0;
    OK(org_person_create(c, &TRUSTED, &in, &id));
    return id;
}

static world mk_world(store_conn *c)
{
    world w = {0};
    int64_t park = 0, s2 = 0;
    OK(org_create_root(c, &WHO, "park", "PARK", "化工园区", &park));
    org_unit_in e = {.parent_id = park, .kind = "enterprise", .code = "E1", .name = "甲化工"};
    OK(org_unit_create(c, &TRUSTED, &e, &w.ent));
    org_unit_in s = {.parent_id = w.ent, .kind = "site", .code = "E1-S1", .name = "一厂区"};
    OK(org_unit_create(c, &TRUSTED, &s, &w.site));
    org_unit_in e2 = {.parent_id = park, .kind = "enterprise", .code = "E2", .name = "乙化工"};
    OK(org_unit_create(c, &TRUSTED, &e2, &w.ent2));
    org_unit_in s2in = {.parent_id = w.ent2, .kind = "site", .code = "E2-S1", .name = "乙厂区"};
    OK(org_unit_create(c, &TRUSTED, &s2in, &s2));
    w.zhang = mk_person(c, w.site, "T001", "张工");
    w.li = mk_person(c, w.site, "T002", "李班长");
    w.wang = mk_person(c, w.ent, "T003", "王主任");
    mk_person(c, s2, "T009", "乙企业员工");
    OK(org_post_create(c, &TRUSTED, w.ent, 0, "op", "操作工", &w.post));
    return w;
}

/* ------------------------------------------------------------ the files */

#define HEAD                                                                                  \
    "风险分析对象编码,风险分析对象名称,对象类型,所属单位编码,责任人工号,风险分析单元,风险事件,事故类型," \
    "评价方法,L,E,C,S,残余L,残余E,残余C,残余S,管控措施类别,管控措施,排查内容,排查频次,岗位编码\n"

/* Three objects: a major-risk reactor with two measures (two tasks), a tank
 * farm assessed by LS with one measure, and a loading activity without a
 * code and without a measure. */
static const char REGISTER[] =
    HEAD
    "HYD-01,加氢装置,装置,E1-S1,T001,反应单元,反应釜超压爆炸,容器爆炸,LEC,6,6,15,,3,6,15,,工程技术,"
    "安全阀定期校验,检查安全阀铅封完好,每天,op\n"
    "HYD-01,加氢装置,装置,E1-S1,T001,反应单元,反应釜超压爆炸,17,LEC,6,6,15,,3,6,15,,管理,"
    "严格执行操作规程,检查交接班记录,每8小时,操作工\n"
    "TANK-01,罐区,单元,E1-S1,T002,储罐区,储罐泄漏引发火灾,火灾,LS,4,,,4,2,,,4,应急处置,"
    "每季度应急演练,,,\n"
    ",装卸作业,作业活动,E1-S1,T003,装车,静电引燃,08,LS,3,,,3,,,,,,,,,\n";

static int64_t n_rows(store_conn *c, const char *table)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    return count_sql(c, sql);
}

static ws_err import(store_conn *c, const char *data, size_t len, bool dry, risk_import_result *r)
{
    ws_err rc = risk_import(c, &TRUSTED, data, len, dry, r);
    if (rc && rc != WS_EINVAL) fail_msg("import: %s (%s)", ws_err_message(), ws_err_field());
    if (rc == WS_EINVAL && !r->base.nerrors) fail_msg("import: %s (%s)", ws_err_message(), ws_err_field());
    for (size_t i = 0; rc && i < r->base.nerrors; i++) /* shown when a test fails */
        fprintf(stderr, "  row %d: %s: %s\n", r->base.errors[i].row, r->base.errors[i].field,
                r->base.errors[i].message);
    return rc;
}

static void expect_counts(const int *a, int objects, int units, int events, int measures,
                          int tasks)
{
    assert_int_equal(a[RISK_IMP_OBJECT], objects);
    assert_int_equal(a[RISK_IMP_UNIT], units);
    assert_int_equal(a[RISK_IMP_EVENT], events);
    assert_int_equal(a[RISK_IMP_MEASURE], measures);
    assert_int_equal(a[RISK_IMP_TASK], tasks);
}

/* The whole register as the import should leave it. */
static void check_register(store_conn *c, const world *w)
{
    assert_int_equal(n_rows(c, "risk_objects"), 3);
    assert_int_equal(n_rows(c, "risk_units"), 3);
    assert_int_equal(n_rows(c, "risk_events"), 3);
    assert_int_equal(n_rows(c, "risk_measures"), 3);
    assert_int_equal(n_rows(c, "risk_tasks"), 2);
    risk_filter f = {.scope_path = "/", .active = -1, .limit = 50};
    risk_object *o = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(risk_object_list(c, &f, &o, &n, &next));
    assert_int_equal(n, 3);
    assert_string_equal(o[0].code, "HYD-01");
    assert_string_equal(o[0].kind, "installation");
    assert_int_equal(o[0].unit_id, w->site);
    assert_int_equal(o[0].responsible_person_id, w->zhang);
    assert_int_equal(o[0].level_rank, 3); /* residual 3 x 6 x 15 = 270: 较大 */
    assert_string_equal(o[1].kind, "unit");
    assert_int_equal(o[1].responsible_person_id, w->li);
    assert_int_equal(o[1].level_rank, 1); /* residual LS 2 x 4 = 8: 低 */
    assert_string_equal(o[2].code, "");
    assert_string_equal(o[2].kind, "activity");
    assert_int_equal(o[2].responsible_person_id, w->wang);
    assert_int_equal(o[2].level_rank, 2); /* LS 3 x 3 = 9: 一般 (residual = inherent) */
    free(o);
    risk_event *e = NULL;
    OK(risk_event_list(c, &f, &e, &n, &next));
    assert_int_equal(n, 3);
    assert_string_equal(e[0].accident_type, "17");
    assert_int_equal(e[0].inherent.rank, 4); /* 540 */
    assert_true(fabs(e[0].residual.score - 270) < 1e-9);
    assert_string_equal(e[1].accident_type, "08");
    assert_int_equal(e[1].method, RISK_LS);
    assert_true(fabs(e[1].inherent.score - 16) < 1e-9);
    free(e);
    risk_task *t = NULL;
    OK(risk_task_list(c, &f, &t, &n, &next));
    assert_int_equal(n, 2);
    assert_string_equal(t[0].frequency, "daily");
    assert_string_equal(t[1].frequency, "hours");
    assert_int_equal(t[1].every_hours, 8);
    assert_int_equal(t[0].post_id, w->post);
    assert_int_equal(t[1].post_id, w->post);
    free(t);
}

/* ------------------------------------------------------------------ tests */

/* A register of three objects imports; importing it again changes nothing
 * and duplicates nothing; a changed value updates that event only; a dry
 * run writes nothing. */
static void test_import_idempotent(void **state)
{
    tctx *t = *state;
    world w = mk_world(t->c);
    risk_import_result r;
    assert_int_equal(import(t->c, REGISTER, sizeof REGISTER - 1, true, &r), WS_OK);
    expect_counts(r.created, 3, 3, 3, 3, 2);
    risk_import_result_free(&r);
    assert_int_equal(n_rows(t->c, "risk_objects"), 0); /* dry run */

    assert_int_equal(import(t->c, REGISTER, sizeof REGISTER - 1, false, &r), WS_OK);
    expect_counts(r.created, 3, 3, 3, 3, 2);
    assert_int_equal(r.base.created, 14);
    risk_import_result_free(&r);
    check_register(t->c, &w);
    int64_t leaves = count_sql(t->c, "SELECT COUNT(*) FROM audit_leaf");

    assert_int_equal(import(t->c, REGISTER, sizeof REGISTER - 1, false, &r), WS_OK);
    expect_counts(r.created, 0, 0, 0, 0, 0);
    expect_counts(r.updated, 0, 0, 0, 0, 0);
    expect_counts(r.unchanged, 3, 3, 3, 3, 2);
    risk_import_result_free(&r);
    check_register(t->c, &w);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM audit_leaf"), leaves);

    /* The tank farm's residual likelihood goes from 2 to 1: one event
     * reassessed, nothing else touched. */
    char *changed = strdup(REGISTER);
    char *p = strstr(changed, "LS,4,,,4,2,,,4");
    assert_non_null(p);
    p[strlen("LS,4,,,4,")] = '1';
    assert_int_equal(import(t->c, changed, strlen(changed), false, &r), WS_OK);
    expect_counts(r.updated, 0, 0, 1, 0, 0);
    expect_counts(r.unchanged, 3, 3, 2, 3, 2);
    risk_import_result_free(&r);
    free(changed);
    assert_int_equal(n_rows(t->c, "risk_events"), 3);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM risk_events WHERE residual_l = 1"), 1);
    verify_clean(t->c);
}

static bool has_error(const risk_import_result *r, int row, const char *field)
{
    for (size_t i = 0; i < r->base.nerrors; i++)
        if (r->base.errors[i].row == row && !strcmp(r->base.errors[i].field, field)) return true;
    return false;
}

/* Every bad row is reported as row N: field, and nothing is written. */
static void test_import_bad_rows(void **state)
{
    tctx *t = *state;
    world w = mk_world(t->c);
    int64_t ent1 = w.ent;
    static const char bad[] =
        HEAD
        "A-01,甲装置,装置,E1-S1,T001,单元一,事件一,,LEC,6,6,15,,,,,,工程技术,联锁,,,\n"
        "A-02,乙装置,装置,NOPE,T001,单元二,事件二,,LEC,6,6,15,,,,,,工程技术,联锁,,,\n"
        "A-03,丙装置,装置,E1-S1,T001,单元三,事件三,,LEC,7,6,15,,,,,,工程技术,联锁,,,\n"
        "A-04,丁装置,装置,E1-S1,T001,单元四,事件四,,LEC,6,6,15,,,,,,,没有类别的措施,,,\n"
        "A-05,戊装置,装置,E2-S1,T009,单元五,事件五,,LEC,6,6,15,,,,,,工程技术,联锁,,,\n"
        "A-06,己装置,装置,E1-S1,T404,单元六,事件六,,LS,3,,,3,,,,,,,,,\n"
        "A-01,甲装置,装置,E1-S1,T001,单元一,事件一,,LEC,6,6,40,,,,,,管理,制度,,,\n";
    risk_import_result r;
    assert_int_equal(import(t->c, bad, sizeof bad - 1, false, &r), WS_EINVAL);
    assert_string_equal(ws_err_field(), "row 3: unit_code");
    assert_true(has_error(&r, 3, "unit_code"));
    assert_true(has_error(&r, 4, "l"));          /* 7 is not in the LEC table */
    assert_true(has_error(&r, 5, "measure_category"));
    assert_true(has_error(&r, 7, "responsible_no"));
    assert_true(has_error(&r, 8, "c"));          /* the same event, another C */
    assert_false(has_error(&r, 2, "unit_code"));
    assert_int_equal(r.base.nerrors, 5);
    for (size_t i = 0; i < r.base.nerrors; i++)
        assert_true(r.base.errors[i].message[0]);
    risk_import_result_free(&r);
    /* Row 6 is of another enterprise: fine for a trusted caller (E2's own
     * person), so 5 errors; nothing of the good rows was kept. */
    assert_int_equal(n_rows(t->c, "risk_objects"), 0);
    assert_int_equal(n_rows(t->c, "risk_events"), 0);

    /* A missing required column is named. */
    static const char nocol[] = "风险分析对象名称,对象类型,所属单位编码,责任人工号\nX,装置,E1-S1,T001\n";
    assert_int_equal(import(t->c, nocol, sizeof nocol - 1, false, &r), WS_EINVAL);
    assert_true(has_error(&r, 1, "risk_unit"));
    assert_true(has_error(&r, 1, "method"));
    risk_import_result_free(&r);

    /* Outside the caller's scope a unit does not exist. */
    auth_subject s = {.account_id = 7, .roles = ROLE_ADMIN};
    org_unit e1;
    OK(org_unit_get(t->c, ent1, &e1));
    snprintf(s.scope_path, sizeof s.scope_path, "%s", e1.path);
    org_caller by = {&WHO, &s};
    static const char other[] =
        HEAD "B-01,乙装置,装置,E2-S1,T009,单元,事件,,LS,3,,,3,,,,,,,,,\n";
    assert_int_equal(risk_import(t->c, &by, other, sizeof other - 1, false, &r), WS_EINVAL);
    assert_true(has_error(&r, 2, "unit_code"));
    risk_import_result_free(&r);
    assert_int_equal(n_rows(t->c, "risk_objects"), 0);
}

/* The same register as an Excel workbook (numbers typed as numbers) and as
 * GBK CSV: both import; the second finds everything in place. */
static void test_import_xlsx_gbk(void **state)
{
    tctx *t = *state;
    world w = mk_world(t->c);
    char path[256];
    snprintf(path, sizeof path, "%s/register.xlsx", tmpdir);
    lxw_workbook *wb = workbook_new(path);
    assert_non_null(wb);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "风险分级管控清单");
    /* The CSV above, cell by cell; numeric columns as numbers. */
    char *copy = strdup(REGISTER);
    int row = 0;
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"), row++) {
        int col = 0;
        for (char *p = line;; col++) {
            char *comma = strchr(p, ',');
            if (comma) *comma = 0;
            char *end = NULL;
            double v = strtod(p, &end);
            bool numeric = row > 0 && *p && end && !*end && col >= 9 && col <= 16;
            if (numeric) worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v, NULL);
            else if (*p) worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, p, NULL);
            if (!comma) break;
            p = comma + 1;
        }
    }
    free(copy);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    size_t len = 0;
    char *xlsx = slurp(path, &len);
    unlink(path);
    risk_import_result r;
    assert_int_equal(import(t->c, xlsx, len, false, &r), WS_OK);
    expect_counts(r.created, 3, 3, 3, 3, 2);
    risk_import_result_free(&r);
    free(xlsx);
    check_register(t->c, &w);

    char *gbk = to_gbk(REGISTER, &len);
    assert_int_equal(import(t->c, gbk, len, false, &r), WS_OK);
    expect_counts(r.created, 0, 0, 0, 0, 0);
    expect_counts(r.unchanged, 3, 3, 3, 3, 2);
    risk_import_result_free(&r);
    free(gbk);
    check_register(t->c, &w);
    verify_clean(t->c);
}

/* ------------------------------------------------------------- rule sets */

/* The built-in tables as JSON, to edit. Caller decrefs. */
static json_t *builtin_tables(void)
{
    char *s = risk_rules_tables_json(risk_rules_builtin());
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(j);
    return j;
}

static void expect_refused(json_t *tables, const char *field)
{
    risk_rules r = {0};
    assert_int_equal(risk_ruleset_check_tables(tables, &r), WS_EINVAL);
    assert_string_equal(ws_err_field(), field);
    json_decref(tables);
}

#define FACTOR(j, m, f, k) json_array_get(json_object_get(json_object_get(json_object_get(j, m), "factors"), f), k)
#define CUT(j, m, k) json_array_get(json_object_get(json_object_get(j, m), "cutoffs"), k)

static void test_rule_sets(void **state)
{
    tctx *t = *state;
    world w = mk_world(t->c);

    /* Strict checks, each naming the field. */
    json_t *j = builtin_tables();
    json_object_set_new(FACTOR(j, "lec", "e", 1), "value", json_real(10)); /* twice 10 */
    expect_refused(j, "lec.factors.e[1].value");
    j = builtin_tables();
    json_object_set_new(FACTOR(j, "ls", "s", 0), "value", json_real(-1));
    expect_refused(j, "ls.factors.s[0].value");
    j = builtin_tables();
    json_object_set_new(FACTOR(j, "lec", "l", 2), "value", json_real(0.25));
    expect_refused(j, "lec.factors.l[2].value");
    j = builtin_tables();
    json_object_set_new(CUT(j, "lec", 2), "min", json_real(160)); /* equal to the one above */
    expect_refused(j, "lec.cutoffs[2].min");
    j = builtin_tables();
    json_array_remove(json_object_get(json_object_get(j, "ls"), "cutoffs"), 3);
    expect_refused(j, "ls.cutoffs");
    j = builtin_tables();
    json_object_set_new(CUT(j, "ls", 1), "level", json_string("medium"));
    expect_refused(j, "ls.cutoffs[1].level");
    j = builtin_tables();
    json_object_del(json_object_get(json_object_get(j, "lec"), "factors"), "c");
    expect_refused(j, "lec.factors.c");

    /* A new edition: 重大 from D >= 270 instead of 320. */
    risk_rules act;
    OK(risk_rules_active(t->c, &act));
    risk_object_in oi = {.unit_id = w.site, .kind = "installation", .name = "加氢装置",
                         .responsible_person_id = w.zhang};
    int64_t obj = 0, ru = 0, old_ev = 0, new_ev = 0;
    OK(risk_object_create(t->c, &TRUSTED, &oi, &obj));
    risk_unit_in ui = {.object_id = obj, .name = "反应单元", .responsible_person_id = w.li};
    OK(risk_unit_create(t->c, &TRUSTED, &ui, &ru));
    risk_event_in ei = {.risk_unit_id = ru, .description = "超压", .method = "LEC",
                        .inherent = {3, 6, 15}}; /* 270 */
    OK(risk_event_create(t->c, &TRUSTED, &ei, &old_ev));

    risk_rules nr = {0};
    snprintf(nr.code, sizeof nr.code, "chem-default");
    snprintf(nr.name, sizeof nr.name, "省级 规则 2024");
    snprintf(nr.source, sizeof nr.source, "某省应急管理厅 双重预防机制建设实施指南");
    snprintf(nr.edition, sizeof nr.edition, "2024版");
    snprintf(nr.effective_on, sizeof nr.effective_on, "2024-07-01");
    snprintf(nr.profile, sizeof nr.profile, "chemical");
    j = builtin_tables();
    json_object_set_new(CUT(j, "lec", 0), "min", json_real(270));
    OK(risk_ruleset_check_tables(j, &nr));
    json_decref(j);
    snprintf(nr.effective_on, sizeof nr.effective_on, "2024-02-30");
    int64_t id = 0;
    assert_int_equal(risk_ruleset_create(t->c, &TRUSTED, &nr, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "effective_on");
    snprintf(nr.effective_on, sizeof nr.effective_on, "2024-07-01");
    OK(risk_ruleset_create(t->c, &TRUSTED, &nr, &id));
    assert_true(id != act.id);

    /* Stored inactive: new assessments still use the built-in set. */
    risk_rule_set_row *rows = NULL;
    size_t n = 0;
    OK(risk_ruleset_list(t->c, &rows, &n));
    assert_int_equal(n, 2);
    assert_true(rows[0].active);
    assert_false(rows[1].active);
    assert_int_equal(rows[1].r.version, 2);
    assert_int_equal(rows[1].r.lec.cut[0].min_scaled, 270000);
    free(rows);
    risk_rules cur;
    OK(risk_rules_active(t->c, &cur));
    assert_int_equal(cur.id, act.id);

    /* Only admins change rule sets. */
    auth_subject so = {.account_id = 9, .roles = ROLE_SAFETY_OFFICER};
    snprintf(so.scope_path, sizeof so.scope_path, "/");
    org_caller sby = {&WHO, &so};
    assert_int_equal(risk_ruleset_activate(t->c, &sby, id), WS_EFORBIDDEN);
    assert_int_equal(risk_ruleset_create(t->c, &sby, &nr, &id), WS_EFORBIDDEN);
    assert_int_equal(risk_ruleset_activate(t->c, &TRUSTED, 9999), WS_ENOTFOUND);

    OK(risk_ruleset_activate(t->c, &TRUSTED, id));
    OK(risk_rules_active(t->c, &cur));
    assert_int_equal(cur.id, id);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM risk_rule_sets WHERE active = 1"), 1);
    OK(risk_event_create(t->c, &TRUSTED, &ei, &new_ev));
    risk_event eo, en;
    OK(risk_event_get(t->c, old_ev, &eo));
    OK(risk_event_get(t->c, new_ev, &en));
    assert_int_equal(eo.rule_set_id, act.id);
    assert_int_equal(eo.residual.rank, 3); /* 270 was 较大 */
    assert_int_equal(en.rule_set_id, id);
    assert_int_equal(en.residual.rank, 4); /* and is 重大 under the new edition */
    /* Activating again changes nothing; back to the built-in one works. */
    OK(risk_ruleset_activate(t->c, &TRUSTED, id));
    OK(risk_ruleset_activate(t->c, &TRUSTED, act.id));
    OK(risk_rules_active(t->c, &cur));
    assert_int_equal(cur.id, act.id);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM audit_leaf WHERE entity = 'risk_rule_set' "
                                     "AND action = 'update'"), 4);
    verify_clean(t->c);
}

/* ------------------------------------------------------------------ main */

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/riskimp/v1")) {
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_risk_imp_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || risk_init() || auth_init()) return 1;
    int failed = 0;
    const struct CMUnitTest db[] = {
        DB_TEST(test_import_idempotent),
        DB_TEST(test_import_bad_rows),
        DB_TEST(test_import_xlsx_gbk),
        DB_TEST(test_rule_sets),
    };
    failed += cmocka_run_group_tests_name("risk_import_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("risk_import_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "risk_import_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
