/* test_org.c — the organisation module (src/org) on real stores: a fresh
 * SQLite file per test and, when WS_TEST_PG_URL is set, a fresh PostgreSQL
 * database per test: unit tree paths, moves with their subtree, cycle
 * refusal, default departments, isolation between enterprises, deactivation
 * instead of deletion (and the leaver's accounts ending with it), erasure of
 * a leaver's personal data, transfer history, imports (all or nothing, dry
 * runs, updates), the audit leaves of every change, and that `audit verify`
 * finds the org tables clean. Reading the files alone is test_org_files.c.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <iconv.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "audit/audit.h"
#include "org/org.h"
#include "store/store.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};

static char tmpdir[128];

#include "unit/org_samples.h"
#include "unit/pgdb.h"

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
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "org", f->n)) return -1;
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

static int64_t count_sql(store_conn *c, const char *sql, const char *arg)
{
    store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(store_prepare(c, sql, &st), WS_OK);
    if (arg) assert_int_equal(store_bind_text(st, 1, arg), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    return v;
}

static const char Q_LEAVES[] = "SELECT COUNT(*) FROM audit_leaf";
static const char Q_LEAVES_OF[] = "SELECT COUNT(*) FROM audit_leaf WHERE entity = $1";
static const char Q_LEAVES_UNIT[] =
    "SELECT COUNT(*) FROM audit_leaf WHERE entity = 'unit' AND entity_id = CAST($1 AS BIGINT)";
static const char Q_UNITS[] = "SELECT COUNT(*) FROM units";
static const char Q_PEOPLE[] = "SELECT COUNT(*) FROM people";

static int64_t leaves_of_unit(store_conn *c, int64_t id)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)id);
    return count_sql(c, Q_LEAVES_UNIT, s);
}

static void no_findings(const audit_finding *f, void *arg)
{
    (void)arg;
    fail_msg("audit verify: %s %lld: %s", f->entity, (long long)f->id, f->what);
}

/* audit verify finds every org record as its last leaf says. */
static void verify_clean(store_conn *c)
{
    uint64_t n = 0;
    ws_err rc = audit_verify(c, NULL, no_findings, NULL, &n);
    if (rc) fail_msg("audit verify: %s", ws_err_message());
    assert_true(n > 0);
}

static int64_t unit(store_conn *c, int64_t parent, const char *kind, const char *code,
                    const char *name)
{
    org_unit_in in = {.parent_id = parent, .kind = kind, .code = code, .name = name};
    int64_t id = 0;
    ws_err rc = org_unit_create(c, &TRUSTED, &in, &id);
    if (rc) fail_msg("create %s: %s (%s)", code, ws_err_message(), ws_err_field());
    return id;
}

static org_unit get_unit(store_conn *c, int64_t id)
{
    org_unit u;
    assert_int_equal(org_unit_get(c, id, &u), WS_OK);
    return u;
}

static int64_t person(store_conn *c, int64_t unit_id, const char *empno, const char *name)
{
    org_person_in in = {.unit_id = unit_id, .employee_no = empno, .name = name,
                        .phone = "13900000000"};
    int64_t id = 0;
    ws_err rc = org_person_create(c, &TRUSTED, &in, &id);
    if (rc) fail_msg("person %s: %s (%s)", name, ws_err_message(), ws_err_field());
    return id;
}

static int64_t dept_of(store_conn *c, int64_t ent, const char *code)
{
    org_dept d;
    assert_int_equal(org_dept_find(c, ent, code, &d), WS_OK);
    return d.id;
}

/* A park with two enterprises; E1 has a site, an area and a grid. */
typedef struct plant {
    int64_t park, e1, e2, site, site_b, area, grid, e2site;
} plant;

static plant make_plant(store_conn *c)
{
    plant p;
    assert_int_equal(org_create_root(c, &WHO, "park", "PARK", "滨江化工园区", &p.park), WS_OK);
    p.e1 = unit(c, p.park, "enterprise", "E1", "华东精细化工");
    p.e2 = unit(c, p.park, "enterprise", "E2", "滨江新材料");
    p.site = unit(c, p.e1, "site", "E1-S1", "一厂区");
    p.site_b = unit(c, p.e1, "site", "E1-S2", "二厂区");
    p.area = unit(c, p.site, "area", "E1-S1-A1", "合成车间");
    p.grid = unit(c, p.area, "grid", "E1-S1-A1-G1", "反应釜区网格");
    p.e2site = unit(c, p.e2, "site", "E2-S1", "厂区");
    return p;
}

static void test_tree_paths(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    char want[64];
    org_unit park = get_unit(c, p.park), e1 = get_unit(c, p.e1), grid = get_unit(c, p.grid);
    snprintf(want, sizeof want, "/%lld/", (long long)p.park);
    assert_string_equal(park.path, want);
    assert_int_equal(park.enterprise_id, 0);
    assert_int_equal(park.parent_id, 0);
    assert_string_equal(park.tz, "Asia/Shanghai");
    snprintf(want, sizeof want, "/%lld/%lld/", (long long)p.park, (long long)p.e1);
    assert_string_equal(e1.path, want);
    assert_int_equal(e1.enterprise_id, p.e1);
    snprintf(want, sizeof want, "/%lld/%lld/%lld/%lld/%lld/", (long long)p.park, (long long)p.e1,
             (long long)p.site, (long long)p.area, (long long)p.grid);
    assert_string_equal(grid.path, want);
    assert_int_equal(grid.enterprise_id, p.e1);
    assert_string_equal(grid.kind, "grid");
    assert_true(grid.active);

    /* A zone is inherited from the parent unless given. */
    org_unit_in in = {.parent_id = p.e1, .kind = "site", .code = "E1-XJ", .name = "新疆分厂",
                      .tz = "Asia/Urumqi"};
    int64_t xj = 0;
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_OK);
    int64_t xj_area = unit(c, xj, "area", "E1-XJ-A", "装置区");
    assert_string_equal(get_unit(c, xj_area).tz, "Asia/Urumqi");

    /* Placement, codes and zones are checked, naming the field. */
    in = (org_unit_in){.parent_id = p.park, .kind = "site", .code = "S-X", .name = "x"};
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_EINVAL);
    assert_string_equal(ws_err_field(), "parent_id");
    in = (org_unit_in){.parent_id = p.site, .kind = "enterprise", .code = "E-X", .name = "x"};
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_EINVAL);
    assert_string_equal(ws_err_field(), "parent_id");
    in = (org_unit_in){.parent_id = p.site, .kind = "department", .code = "D-X", .name = "x"};
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_EINVAL);
    assert_string_equal(ws_err_field(), "kind");
    in = (org_unit_in){.parent_id = p.site, .kind = "area", .code = "E1-S1-A1", .name = "dup"};
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "code");
    in = (org_unit_in){.parent_id = p.site, .kind = "area", .code = "has space", .name = "x"};
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_EINVAL);
    assert_string_equal(ws_err_field(), "code");
    in = (org_unit_in){.parent_id = p.site, .kind = "area", .code = "TZ", .name = "x",
                       .tz = "../../etc/passwd"};
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_EINVAL);
    assert_string_equal(ws_err_field(), "tz");
    in = (org_unit_in){.parent_id = 999999, .kind = "area", .code = "NP", .name = "x"};
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &xj), WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "parent_id");

    /* Subtree: parents before children, and the list filters. */
    org_unit *items = NULL;
    size_t n = 0;
    assert_int_equal(org_unit_subtree(c, &e1, 100, &items, &n), WS_OK);
    assert_int_equal(n, 7); /* E1, two sites, area, grid, XJ site and its area */
    assert_int_equal(items[0].id, p.e1);
    for (size_t i = 1; i < n; i++) {
        bool parent_seen = false;
        for (size_t k = 0; k < i; k++)
            if (items[k].id == items[i].parent_id) parent_seen = true;
        assert_true(parent_seen);
    }
    free(items);
    assert_int_equal(org_unit_subtree(c, &e1, 3, &items, &n), WS_ETOOBIG);
    org_unit_filter f = {.scope_path = e1.path, .kind = "site", .active = -1, .limit = 2};
    int64_t next = 0;
    assert_int_equal(org_unit_list(c, &f, &items, &n, &next), WS_OK);
    assert_int_equal(n, 2);
    assert_true(next > 0);
    free(items);
    f.cursor = next;
    assert_int_equal(org_unit_list(c, &f, &items, &n, &next), WS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, xj);
    assert_int_equal(next, 0);
    free(items);
    verify_clean(c);
}

static void test_default_departments(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    static const char *const codes[] = {"safety", "production", "technology", "equipment",
                                        "finance", "purchasing", "hr"};
    static const char *const names[] = {"安全", "生产", "技术", "设备", "财务", "采购", "人力"};
    for (int i = 0; i < 7; i++) {
        org_dept d;
        assert_int_equal(org_dept_find(c, p.e1, codes[i], &d), WS_OK);
        assert_string_equal(d.name, names[i]);
        assert_int_equal(d.enterprise_id, p.e1);
        assert_int_equal(org_dept_find(c, p.e2, names[i], &d), WS_OK); /* by name */
        assert_int_equal(d.enterprise_id, p.e2);
    }
    /* A park and a site get none; a root enterprise gets them too. */
    org_ref_filter f = {.scope_path = "/", .limit = 200};
    org_dept *ds = NULL;
    size_t n = 0;
    int64_t next;
    assert_int_equal(org_dept_list(c, &f, &ds, &n, &next), WS_OK);
    assert_int_equal(n, 14);
    free(ds);
    int64_t root2 = 0;
    assert_int_equal(org_create_root(c, &WHO, "enterprise", "ROOT2", "独立企业", &root2), WS_OK);
    f.enterprise_id = root2;
    assert_int_equal(org_dept_list(c, &f, &ds, &n, &next), WS_OK);
    assert_int_equal(n, 7);
    free(ds);
    assert_int_equal(count_sql(c, Q_LEAVES_OF, "department"), 21);

    /* Departments and posts: unique codes per enterprise, same code elsewhere is fine. */
    int64_t id;
    assert_int_equal(org_dept_create(c, &TRUSTED, p.e1, "safety", "安全二", &id), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "code");
    assert_int_equal(org_dept_create(c, &TRUSTED, p.e1, "quality", "质量", &id), WS_OK);
    assert_int_equal(org_dept_create(c, &TRUSTED, p.site, "x", "x", &id), WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "enterprise_id");
    int64_t post = 0;
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, dept_of(c, p.e1, "production"), "operator",
                                     "操作工", &post), WS_OK);
    assert_int_equal(org_post_create(c, &TRUSTED, p.e2, 0, "operator", "操作工", &id), WS_OK);
    /* A post cannot hang under another enterprise's department. */
    assert_int_equal(org_post_create(c, &TRUSTED, p.e2, dept_of(c, p.e1, "safety"), "so", "安全员",
                                     &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "department_id");
    /* Deactivating a department with active people is refused. */
    org_person_in in = {.unit_id = p.grid, .name = "甲", .department_id = dept_of(c, p.e1, "hr")};
    int64_t who;
    assert_int_equal(org_person_create(c, &TRUSTED, &in, &who), WS_OK);
    assert_int_equal(org_dept_update(c, &TRUSTED, dept_of(c, p.e1, "hr"), ORG_SET_DEPT_ACTIVE, NULL,
                                     NULL, false), WS_ECONFLICT);
    assert_int_equal(org_dept_update(c, &TRUSTED, dept_of(c, p.e1, "finance"),
                                     ORG_SET_DEPT_ACTIVE | ORG_SET_DEPT_NAME, NULL, "财务部", false),
                     WS_OK);
    org_dept d;
    assert_int_equal(org_dept_get(c, dept_of(c, p.e1, "finance"), &d), WS_OK);
    assert_false(d.active);
    assert_string_equal(d.name, "财务部");
    verify_clean(c);
}

static void test_move_subtree(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t grid2 = unit(c, p.area, "grid", "E1-S1-A1-G2", "投料区网格");
    int64_t sub = unit(c, p.grid, "workshop", "E1-S1-A1-G1-W", "工段");
    int64_t before_grid = leaves_of_unit(c, p.grid), before_sub = leaves_of_unit(c, sub);

    /* Move the area (with both grids and the workshop) to site B. */
    org_unit_patch mv = {.set = ORG_SET_PARENT, .parent_id = p.site_b};
    assert_int_equal(org_unit_update(c, &TRUSTED, p.area, &mv), WS_OK);
    char want[96];
    org_unit a = get_unit(c, p.area);
    snprintf(want, sizeof want, "/%lld/%lld/%lld/%lld/", (long long)p.park, (long long)p.e1,
             (long long)p.site_b, (long long)p.area);
    assert_string_equal(a.path, want);
    assert_int_equal(a.parent_id, p.site_b);
    snprintf(want, sizeof want, "/%lld/%lld/%lld/%lld/%lld/%lld/", (long long)p.park,
             (long long)p.e1, (long long)p.site_b, (long long)p.area, (long long)p.grid,
             (long long)sub);
    assert_string_equal(get_unit(c, sub).path, want);
    snprintf(want, sizeof want, "/%lld/%lld/%lld/%lld/%lld/", (long long)p.park, (long long)p.e1,
             (long long)p.site_b, (long long)p.area, (long long)grid2);
    assert_string_equal(get_unit(c, grid2).path, want);
    /* Site A's subtree no longer holds them. */
    org_unit sa = get_unit(c, p.site);
    org_unit *items;
    size_t n;
    assert_int_equal(org_unit_subtree(c, &sa, 100, &items, &n), WS_OK);
    assert_int_equal(n, 1);
    free(items);
    /* Each rewritten descendant got its leaf (its path is hashed). */
    assert_int_equal(leaves_of_unit(c, p.grid), before_grid + 1);
    assert_int_equal(leaves_of_unit(c, sub), before_sub + 1);

    /* Cycles are refused: under itself, under its grid, under its workshop. */
    mv.parent_id = p.area;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.area, &mv), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "parent_id");
    mv.parent_id = p.grid;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.area, &mv), WS_ECONFLICT);
    mv.parent_id = sub;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.site_b, &mv), WS_ECONFLICT);
    assert_non_null(strstr(ws_err_message(), "cycle"));
    /* Nothing moved. */
    assert_int_equal(get_unit(c, p.area).parent_id, p.site_b);
    /* Not into another enterprise, and the root does not move. */
    mv.parent_id = p.e2site;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.area, &mv), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "parent_id");
    mv.parent_id = p.e1;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.park, &mv), WS_ECONFLICT);
    /* An enterprise may move between parks, keeping its own subtree. */
    int64_t park2 = 0;
    assert_int_equal(org_create_root(c, &WHO, "park", "PARK2", "第二园区", &park2), WS_OK);
    mv.parent_id = park2;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.e1, &mv), WS_OK);
    org_unit g = get_unit(c, p.grid);
    snprintf(want, sizeof want, "/%lld/%lld/", (long long)park2, (long long)p.e1);
    assert_true(strncmp(g.path, want, strlen(want)) == 0);
    assert_int_equal(g.enterprise_id, p.e1);

    /* Kinds change only among the inner kinds; codes stay unique. */
    org_unit_patch k = {.set = ORG_SET_KIND, .kind = "workshop"};
    assert_int_equal(org_unit_update(c, &TRUSTED, grid2, &k), WS_OK);
    k.kind = "enterprise";
    assert_int_equal(org_unit_update(c, &TRUSTED, grid2, &k), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "kind");
    org_unit_patch cd = {.set = ORG_SET_CODE | ORG_SET_NAME, .code = "E2", .name = "x"};
    assert_int_equal(org_unit_update(c, &TRUSTED, grid2, &cd), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "code");
    assert_string_equal(get_unit(c, grid2).name, "投料区网格");
    verify_clean(c);
}

static void test_isolation(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t e2grid = unit(c, p.e2site, "grid", "E2-G", "网格");
    int64_t post_e2 = 0, post_e1 = 0;
    assert_int_equal(org_post_create(c, &TRUSTED, p.e2, 0, "op", "操作工", &post_e2), WS_OK);
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, 0, "op", "操作工", &post_e1), WS_OK);
    int64_t bob = person(c, p.e2site, "B1", "乙");
    int64_t al = person(c, p.grid, "A1", "甲");

    /* A person of E1 cannot take E2's department or post. */
    org_person_in in = {.unit_id = p.grid, .name = "丙", .department_id = dept_of(c, p.e2, "safety")};
    int64_t id;
    assert_int_equal(org_person_create(c, &TRUSTED, &in, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "department_id");
    in = (org_person_in){.unit_id = p.grid, .name = "丙", .post_ids = &post_e2, .npost = 1};
    assert_int_equal(org_person_create(c, &TRUSTED, &in, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "post_ids");
    /* People live inside an enterprise, not in a park. */
    in = (org_person_in){.unit_id = p.park, .name = "丁"};
    assert_int_equal(org_person_create(c, &TRUSTED, &in, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "unit_id");
    /* E1's grid cannot be led by E2's person, and nobody moves across. */
    org_unit_patch lead = {.set = ORG_SET_LEADER, .leader_person_id = bob};
    assert_int_equal(org_unit_update(c, &TRUSTED, p.grid, &lead), WS_EINVAL);
    assert_string_equal(ws_err_field(), "leader_person_id");
    lead.leader_person_id = al;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.grid, &lead), WS_OK);
    assert_int_equal(get_unit(c, p.grid).leader_person_id, al);
    assert_int_equal(org_person_transfer(c, &TRUSTED, al, e2grid, 0, "跳槽"), WS_EINVAL);
    assert_string_equal(ws_err_field(), "unit_id");

    /* An admin scoped to E1 sees E1 only, and cannot write into E2. */
    org_unit e1 = get_unit(c, p.e1);
    auth_subject s = {.account_id = 7, .roles = ROLE_ADMIN, .scope_unit_id = p.e1};
    snprintf(s.scope_path, sizeof s.scope_path, "%s", e1.path);
    org_caller by = {&WHO, &s};
    org_unit_in ui = {.parent_id = p.e2site, .kind = "area", .code = "EVIL", .name = "x"};
    assert_int_equal(org_unit_create(c, &by, &ui, &id), WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "parent_id");
    ui.parent_id = p.site;
    assert_int_equal(org_unit_create(c, &by, &ui, &id), WS_OK);
    org_unit_patch mv = {.set = ORG_SET_PARENT, .parent_id = p.e2site};
    assert_int_equal(org_unit_update(c, &by, e2grid, &mv), WS_ENOTFOUND);
    in = (org_person_in){.unit_id = e2grid, .name = "戊"};
    assert_int_equal(org_person_create(c, &by, &in, &id), WS_ENOTFOUND);
    assert_int_equal(org_person_update(c, &by, bob, &(org_person_patch){.set = ORG_SET_P_NAME,
                                                                        .name = "x"}),
                     WS_ENOTFOUND);
    assert_int_equal(org_dept_create(c, &by, p.e2, "x", "x", &id), WS_ENOTFOUND);
    /* A grid leader (no unit.write) is refused by role. */
    auth_subject gl = s;
    gl.roles = ROLE_GRID_LEADER;
    org_caller by_gl = {&WHO, &gl};
    ui.code = "GL-TRY";
    assert_int_equal(org_unit_create(c, &by_gl, &ui, &id), WS_EFORBIDDEN);

    org_unit_filter uf = {.scope_path = e1.path, .active = -1, .limit = 200};
    org_unit *us;
    size_t n;
    int64_t next;
    assert_int_equal(org_unit_list(c, &uf, &us, &n, &next), WS_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(us[i].enterprise_id, p.e1);
    assert_int_equal(n, 6); /* E1, 2 sites, area, grid, EVIL */
    free(us);
    org_person_filter pf = {.scope_path = e1.path, .active = -1, .limit = 200};
    org_person *ps;
    assert_int_equal(org_person_list(c, &pf, &ps, &n, &next), WS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ps[0].id, al);
    free(ps);
    /* Departments: those of E1 for E1's scope, and for a scope inside E1. */
    org_ref_filter rf = {.scope_path = e1.path, .limit = 200};
    org_dept *ds;
    assert_int_equal(org_dept_list(c, &rf, &ds, &n, &next), WS_OK);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) assert_int_equal(ds[i].enterprise_id, p.e1);
    free(ds);
    rf.scope_path = get_unit(c, p.grid).path;
    assert_int_equal(org_dept_list(c, &rf, &ds, &n, &next), WS_OK);
    assert_int_equal(n, 7);
    free(ds);
    verify_clean(c);
}

static void test_deactivate_not_delete(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t a = person(c, p.grid, "A1", "甲");
    int64_t b = person(c, p.grid, "A2", "乙");
    org_unit_patch lead = {.set = ORG_SET_LEADER, .leader_person_id = a};
    assert_int_equal(org_unit_update(c, &TRUSTED, p.grid, &lead), WS_OK);
    assert_int_equal(org_unit_update(c, &TRUSTED, p.area, &lead), WS_OK);

    /* Units with active children or people stay. */
    assert_int_equal(org_unit_deactivate(c, &TRUSTED, p.area), WS_ECONFLICT);
    assert_non_null(strstr(ws_err_message(), "child"));
    assert_int_equal(org_unit_deactivate(c, &TRUSTED, p.grid), WS_ECONFLICT);
    assert_non_null(strstr(ws_err_message(), "people"));

    int64_t people_before = count_sql(c, Q_PEOPLE, NULL);
    assert_int_equal(org_person_deactivate(c, &TRUSTED, a, "退休"), WS_OK);
    org_person pa;
    assert_int_equal(org_person_get(c, a, &pa), WS_OK); /* still there */
    assert_false(pa.active);
    assert_true(pa.left_at > 0);
    assert_int_equal(count_sql(c, Q_PEOPLE, NULL), people_before);
    /* A leaver leads nothing. */
    assert_int_equal(get_unit(c, p.grid).leader_person_id, 0);
    assert_int_equal(get_unit(c, p.area).leader_person_id, 0);
    /* And is not changed, transferred or deactivated again. */
    org_person_patch np = {.set = ORG_SET_P_NAME, .name = "x"};
    assert_int_equal(org_person_update(c, &TRUSTED, a, &np), WS_ECONFLICT);
    assert_int_equal(org_person_transfer(c, &TRUSTED, a, p.site, 0, NULL), WS_ECONFLICT);
    assert_int_equal(org_person_deactivate(c, &TRUSTED, a, NULL), WS_ECONFLICT);
    lead.leader_person_id = a;
    assert_int_equal(org_unit_update(c, &TRUSTED, p.grid, &lead), WS_ECONFLICT);
    /* Lists: active=1 leaves the leaver out, active=0 shows only them. */
    org_unit g = get_unit(c, p.grid);
    org_person_filter f = {.scope_path = g.path, .active = 1, .limit = 50};
    org_person *ps;
    size_t n;
    int64_t next;
    assert_int_equal(org_person_list(c, &f, &ps, &n, &next), WS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ps[0].id, b);
    free(ps);
    f.active = 0;
    assert_int_equal(org_person_list(c, &f, &ps, &n, &next), WS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ps[0].id, a);
    free(ps);
    /* Bottom-up: the last person leaves, then the grid, then the area. */
    assert_int_equal(org_person_deactivate(c, &TRUSTED, b, NULL), WS_OK);
    assert_int_equal(org_unit_deactivate(c, &TRUSTED, p.grid), WS_OK);
    assert_int_equal(org_unit_deactivate(c, &TRUSTED, p.grid), WS_ECONFLICT);
    assert_int_equal(org_unit_deactivate(c, &TRUSTED, p.area), WS_OK);
    assert_false(get_unit(c, p.area).active);
    assert_int_equal(count_sql(c, Q_UNITS, NULL), 8); /* deactivated, not deleted */
    /* Nothing is created under an inactive unit. */
    org_unit_in in = {.parent_id = p.area, .kind = "grid", .code = "LATE", .name = "x"};
    int64_t id;
    assert_int_equal(org_unit_create(c, &TRUSTED, &in, &id), WS_ECONFLICT);
    verify_clean(c);
}

static void test_transfer_history(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t grid2 = unit(c, p.area, "grid", "E1-S1-A1-G2", "投料区网格");
    int64_t prod = dept_of(c, p.e1, "production"), safety = dept_of(c, p.e1, "safety");
    org_person_in in = {.unit_id = p.grid, .department_id = prod, .employee_no = "HD01",
                        .name = "王磊", .phone = "139 0000 0001"};
    int64_t w = 0;
    assert_int_equal(org_person_create(c, &TRUSTED, &in, &w), WS_OK);
    person(c, grid2, "HD01", "同号"); /* the same number in another unit is fine */

    /* Into grid2 the number collides; into the site it does not. */
    assert_int_equal(org_person_transfer(c, &TRUSTED, w, grid2, 0, NULL), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "employee_no");
    assert_int_equal(org_person_transfer(c, &TRUSTED, w, p.site, safety, "调安全部"), WS_OK);
    assert_int_equal(org_person_transfer(c, &TRUSTED, w, p.site, 0, NULL), WS_EINVAL); /* no change */
    assert_int_equal(org_person_transfer(c, &TRUSTED, w, p.site_b, 0, "支援二厂"), WS_OK);
    org_person pw;
    assert_int_equal(org_person_get(c, w, &pw), WS_OK);
    assert_int_equal(pw.unit_id, p.site_b);
    assert_int_equal(pw.department_id, safety); /* kept when not given */
    assert_int_equal(org_person_deactivate(c, &TRUSTED, w, "辞职"), WS_OK);

    org_transfer *tr = NULL;
    size_t n = 0;
    assert_int_equal(org_person_transfers(c, w, &tr, &n), WS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(tr[0].from_unit_id, p.grid);
    assert_int_equal(tr[0].to_unit_id, p.site);
    assert_int_equal(tr[0].from_department_id, prod);
    assert_int_equal(tr[0].to_department_id, safety);
    assert_string_equal(tr[0].reason, "调安全部");
    assert_string_equal(tr[0].actor, "account:1");
    assert_int_equal(tr[1].from_unit_id, p.site);
    assert_int_equal(tr[1].to_unit_id, p.site_b);
    assert_int_equal(tr[2].from_unit_id, p.site_b);
    assert_int_equal(tr[2].to_unit_id, 0); /* left */
    assert_string_equal(tr[2].reason, "辞职");
    assert_true(tr[0].at <= tr[1].at && tr[1].at <= tr[2].at);
    free(tr);
    assert_int_equal(count_sql(c, Q_LEAVES_OF, "person_transfer"), 3);
    /* person: create, 2 transfers, deactivate (+ create of the namesake) */
    assert_int_equal(count_sql(c, Q_LEAVES_OF, "person"), 5);

    /* Posts: replaced as a set, each link a leaf; unit_id is not patchable here. */
    int64_t op = 0, sl = 0;
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, prod, "operator", "操作工", &op), WS_OK);
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, prod, "shift_leader", "班长", &sl), WS_OK);
    int64_t ids[2] = {op, sl};
    in = (org_person_in){.unit_id = p.grid, .name = "冯超", .post_ids = ids, .npost = 2};
    int64_t f = 0;
    assert_int_equal(org_person_create(c, &TRUSTED, &in, &f), WS_OK);
    org_person_patch pp = {.set = ORG_SET_P_POSTS, .post_ids = &sl, .npost = 1};
    assert_int_equal(org_person_update(c, &TRUSTED, f, &pp), WS_OK);
    org_person pf;
    assert_int_equal(org_person_get(c, f, &pf), WS_OK);
    assert_int_equal(pf.npost, 1);
    assert_int_equal(pf.post_ids[0], sl);
    assert_int_equal(count_sql(c, Q_LEAVES_OF, "person_post"), 3); /* 2 creates, 1 delete */
    int64_t twice[2] = {sl, sl};
    pp = (org_person_patch){.set = ORG_SET_P_POSTS, .post_ids = twice, .npost = 2};
    assert_int_equal(org_person_update(c, &TRUSTED, f, &pp), WS_EINVAL);
    pp = (org_person_patch){.set = ORG_SET_P_PHONE, .phone = "12ab"};
    assert_int_equal(org_person_update(c, &TRUSTED, f, &pp), WS_EINVAL);
    assert_string_equal(ws_err_field(), "phone");
    verify_clean(c);
}

/* Two writers move X under Y and Y under X at the same moment, twenty
 * times: one must lose (a cycle), never both win. On PostgreSQL this needs
 * the org lock; on SQLite writers are serialised anyway. */
typedef struct mover {
    store *s;
    pthread_barrier_t *go;
    int64_t unit, parent;
    ws_err rc;
} mover;

static void *move_one(void *arg)
{
    mover *m = arg;
    store_conn *c = NULL;
    m->rc = store_acquire(m->s, &c);
    pthread_barrier_wait(m->go);
    if (!m->rc) {
        org_unit_patch mv = {.set = ORG_SET_PARENT, .parent_id = m->parent};
        m->rc = org_unit_update(c, &TRUSTED, m->unit, &mv);
        store_release(c);
    }
    return NULL;
}

static void test_concurrent_moves(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    for (int i = 0; i < 20; i++) {
        char cx[32], cy[32];
        snprintf(cx, sizeof cx, "X%d", i);
        snprintf(cy, sizeof cy, "Y%d", i);
        int64_t x = unit(c, p.site, "area", cx, "x"), y = unit(c, p.site, "area", cy, "y");
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        mover a = {t->s, &go, x, y, WS_OK}, b = {t->s, &go, y, x, WS_OK};
        pthread_t ta, tb;
        assert_int_equal(pthread_create(&ta, NULL, move_one, &a), 0);
        assert_int_equal(pthread_create(&tb, NULL, move_one, &b), 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&go);
        assert_true((a.rc == WS_OK && b.rc == WS_ECONFLICT) ||
                    (a.rc == WS_ECONFLICT && b.rc == WS_OK));
        org_unit ux = get_unit(c, x), uy = get_unit(c, y);
        assert_true(ux.parent_id == y || uy.parent_id == x);
        assert_false(ux.parent_id == y && uy.parent_id == x);
        /* The paths agree with the parents. */
        org_unit inner = ux.parent_id == y ? ux : uy, outer = ux.parent_id == y ? uy : ux;
        assert_true(strncmp(inner.path, outer.path, strlen(outer.path)) == 0);
    }
    verify_clean(c);
}

/* ------------------------------------------------------------- imports */

static const char UNITS_CSV[] =
    "\xEF\xBB\xBF"
    "编码,名称,类型,上级编码,时区\r\n"
    "E1-S3-A1-G1,甲类储罐网格,网格,E1-S3-A1,\r\n" /* the child before its parent */
    "E1-S3,三厂区,厂区,E1,\r\n"
    "E1-S3-A1,罐区,area,E1-S3,Asia/Shanghai\r\n";

static void test_import_units(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t units0 = count_sql(c, Q_UNITS, NULL), leaves0 = count_sql(c, Q_LEAVES, NULL);
    org_import_result r;

    /* A dry run checks everything and writes nothing. */
    assert_int_equal(org_import_units(c, &TRUSTED, UNITS_CSV, sizeof UNITS_CSV - 1, true, &r),
                     WS_OK);
    assert_int_equal(r.created, 3);
    assert_int_equal(r.nerrors, 0);
    org_import_result_free(&r);
    assert_int_equal(count_sql(c, Q_UNITS, NULL), units0);
    assert_int_equal(count_sql(c, Q_LEAVES, NULL), leaves0);

    assert_int_equal(org_import_units(c, &TRUSTED, UNITS_CSV, sizeof UNITS_CSV - 1, false, &r),
                     WS_OK);
    assert_int_equal(r.created, 3);
    org_import_result_free(&r);
    assert_int_equal(count_sql(c, Q_UNITS, NULL), units0 + 3);
    assert_int_equal(count_sql(c, Q_LEAVES, NULL), leaves0 + 3);
    org_unit g;
    assert_int_equal(org_unit_by_code(c, "E1-S3-A1-G1", &g), WS_OK);
    assert_string_equal(g.kind, "grid");
    assert_string_equal(g.name, "甲类储罐网格");
    assert_int_equal(g.enterprise_id, p.e1);

    /* Again, with one name changed and English headers: one update. */
    const char again[] = "code,name,kind,parent_code\n"
                         "E1-S3,三厂区（新）,site,E1\n"
                         "E1-S3-A1,罐区,area,E1-S3\n";
    assert_int_equal(org_import_units(c, &TRUSTED, again, sizeof again - 1, false, &r), WS_OK);
    assert_int_equal(r.created, 0);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.unchanged, 1);
    org_import_result_free(&r);
    org_unit s3;
    assert_int_equal(org_unit_by_code(c, "E1-S3", &s3), WS_OK);
    assert_string_equal(s3.name, "三厂区（新）");

    /* Cycles inside the file are named. */
    const char cyc[] = "code,name,kind,parent_code\nC1,a,site,C2\nC2,b,site,C1\n";
    assert_int_equal(org_import_units(c, &TRUSTED, cyc, sizeof cyc - 1, false, &r), WS_EINVAL);
    assert_true(r.nerrors >= 1);
    assert_string_equal(r.errors[0].field, "parent_code");
    org_import_result_free(&r);
    verify_clean(c);
}

static void test_import_bad_row_writes_nothing(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    make_plant(c);
    int64_t units0 = count_sql(c, Q_UNITS, NULL), leaves0 = count_sql(c, Q_LEAVES, NULL);
    org_import_result r;
    /* Row 2 is good, row 3 has a bad kind, row 4 an unknown parent (found
     * only when applying), row 5 is good. */
    const char csv[] = "编码,名称,类型,上级编码\n"
                       "OK-1,好,site,E1\n"
                       "BAD-KIND,坏,department,E1\n"
                       "OK-2,好,site,E1\n";
    assert_int_equal(org_import_units(c, &TRUSTED, csv, sizeof csv - 1, false, &r), WS_EINVAL);
    assert_int_equal(r.nerrors, 1);
    assert_int_equal(r.errors[0].row, 3);
    assert_string_equal(r.errors[0].field, "kind");
    assert_string_equal(ws_err_field(), "row 3: kind");
    org_import_result_free(&r);

    const char late[] = "编码,名称,类型,上级编码\n"
                        "OK-1,好,site,E1\n"
                        "OK-2,好,site,E1\n"
                        "LOST,迷路,area,NOWHERE\n"
                        "OK-3,好,area,E2\n"; /* an area under an enterprise is fine */
    assert_int_equal(org_import_units(c, &TRUSTED, late, sizeof late - 1, false, &r), WS_EINVAL);
    assert_int_equal(r.nerrors, 1);
    assert_int_equal(r.errors[0].row, 4);
    assert_string_equal(r.errors[0].field, "parent_code");
    assert_string_equal(ws_err_field(), "row 4: parent_code");
    org_import_result_free(&r);
    assert_int_equal(count_sql(c, Q_UNITS, NULL), units0);
    assert_int_equal(count_sql(c, Q_LEAVES, NULL), leaves0);

    /* Unknown and missing columns are errors of row 1. */
    const char hdr[] = "编码,名称,颜色\nX,y,red\n";
    assert_int_equal(org_import_units(c, &TRUSTED, hdr, sizeof hdr - 1, false, &r), WS_EINVAL);
    assert_true(r.nerrors >= 2);
    assert_int_equal(r.errors[0].row, 1);
    org_import_result_free(&r);

    /* Duplicate codes in the file name both rows. */
    const char dup[] = "code,name,kind,parent_code\nD,a,site,E1\nD,b,site,E1\n";
    assert_int_equal(org_import_units(c, &TRUSTED, dup, sizeof dup - 1, false, &r), WS_EINVAL);
    assert_int_equal(r.errors[0].row, 3);
    assert_non_null(strstr(r.errors[0].message, "row 2"));
    org_import_result_free(&r);
    assert_int_equal(count_sql(c, Q_UNITS, NULL), units0);
}

static void test_import_people_gbk(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t prod = dept_of(c, p.e1, "production");
    int64_t op = 0, sl = 0;
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, prod, "operator", "操作工", &op), WS_OK);
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, prod, "shift_leader", "班长", &sl), WS_OK);
    size_t n;
    char *gbk = to_gbk("姓名,工号,手机,单位编码,部门,岗位\r\n"
                       "张三,HD9001,13900009001,E1-S1-A1-G1,生产,操作工；班长\r\n"
                       "李四,HD9002,,E1-S1-A1-G1,safety,operator\r\n"
                       "王五,,139-0000-9003,E1-S1,,\r\n",
                       &n);
    org_import_result r;
    assert_int_equal(org_import_people(c, &TRUSTED, gbk, n, false, &r), WS_OK);
    assert_int_equal(r.created, 3);
    org_import_result_free(&r);
    org_unit g = get_unit(c, p.grid);
    org_person_filter f = {.scope_path = g.path, .active = -1, .q = "HD9001", .limit = 10};
    org_person *ps;
    size_t k;
    int64_t next;
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 1);
    assert_string_equal(ps[0].name, "张三");
    assert_string_equal(ps[0].phone, "13900009001");
    assert_int_equal(ps[0].department_id, prod);
    assert_int_equal(ps[0].npost, 2);
    free(ps);
    f.q = "李";
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 1);
    assert_string_equal(ps[0].phone, "");
    assert_int_equal(ps[0].department_id, dept_of(c, p.e1, "safety"));
    free(ps);

    /* Re-import: the same numbers update (phone, posts), nothing duplicates;
     * the row without a number creates again. */
    free(gbk);
    gbk = to_gbk("姓名,工号,手机,单位编码,部门,岗位\r\n"
                 "张三,HD9001,13900009999,E1-S1-A1-G1,生产,班长\r\n"
                 "李四,HD9002,,E1-S1-A1-G1,safety,operator\r\n",
                 &n);
    assert_int_equal(org_import_people(c, &TRUSTED, gbk, n, false, &r), WS_OK);
    assert_int_equal(r.created, 0);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.unchanged, 1);
    org_import_result_free(&r);
    f.q = "HD9001";
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 1);
    assert_string_equal(ps[0].phone, "13900009999");
    assert_int_equal(ps[0].npost, 1);
    assert_int_equal(ps[0].post_ids[0], sl);
    free(ps);
    /* Phone search only for callers who may see phones. */
    f.q = "0000999";
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 0);
    free(ps);
    f.q_phone = true;
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 1);
    assert_string_equal(ps[0].name, "张三");
    free(ps);
    f.q_phone = false;
    f.q = "%"; /* LIKE wildcards are literal */
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 0);
    free(ps);
    free(gbk);

    /* Bad rows: unknown department, post of nobody, bad phone, duplicate
     * number, a post of another enterprise. Every row is checked and
     * reported, by row, and nothing is written. */
    int64_t people0 = count_sql(c, Q_PEOPLE, NULL);
    const char bad[] = "name,employee_no,phone,unit_code,department,posts\n"
                       "甲,N1,13900000001,E1-S1,质检,\n"
                       "乙,N2,13900000002,E1-S1,,焊工\n"
                       "丙,N3,phone?,E1-S1,,\n"
                       "丁,N4,,E1-S1,,\n"
                       "戊,N4,,E1-S1,,\n"
                       "己,N6,,E2-S1,生产,operator\n"
                       "庚,N7,,E1-S1,,\n";
    assert_int_equal(org_import_people(c, &TRUSTED, bad, sizeof bad - 1, false, &r), WS_EINVAL);
    static const struct {
        int row;
        const char *field;
    } want[] = {{2, "department"}, {3, "posts"}, {4, "phone"}, {6, "employee_no"}, {7, "posts"}};
    assert_int_equal(r.nerrors, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(r.errors[i].row, want[i].row);
        assert_string_equal(r.errors[i].field, want[i].field);
    }
    /* E2 has its own 生产 department, but only E1 has the "operator" post. */
    assert_non_null(strstr(r.errors[4].message, "operator"));
    assert_string_equal(ws_err_field(), "row 2: department");
    assert_non_null(strstr(ws_err_message(), "and 4 more errors"));
    org_import_result_free(&r);
    assert_int_equal(count_sql(c, Q_PEOPLE, NULL), people0);
    verify_clean(c);
}

static void test_import_xlsx_and_scope(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t prod = dept_of(c, p.e1, "production");
    int64_t id;
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, prod, "operator", "操作工", &id), WS_OK);
    assert_int_equal(org_post_create(c, &TRUSTED, p.e1, prod, "shift_leader", "班长", &id), WS_OK);
    size_t n;
    char *x = people_xlsx("E1-S1-A1-G1", &n);
    org_import_result r;
    int64_t leaves0 = count_sql(c, Q_LEAVES, NULL);
    assert_int_equal(org_import_people(c, &TRUSTED, x, n, true, &r), WS_OK); /* dry */
    assert_int_equal(r.created, 3);
    org_import_result_free(&r);
    assert_int_equal(count_sql(c, Q_LEAVES, NULL), leaves0);

    /* An admin of E2 may not import into E1: the unit is not found for them. */
    org_unit e2 = get_unit(c, p.e2);
    auth_subject s = {.account_id = 9, .roles = ROLE_ADMIN, .scope_unit_id = p.e2};
    snprintf(s.scope_path, sizeof s.scope_path, "%s", e2.path);
    org_caller by = {&WHO, &s};
    assert_int_equal(org_import_people(c, &by, x, n, false, &r), WS_EINVAL);
    assert_int_equal(r.nerrors, 3);
    assert_string_equal(r.errors[0].field, "unit_code");
    org_import_result_free(&r);
    /* A worker may not import at all. */
    s.roles = ROLE_WORKER;
    assert_int_equal(org_import_people(c, &by, x, n, false, &r), WS_EFORBIDDEN);
    org_import_result_free(&r);

    /* An admin of E1 may. */
    org_unit e1 = get_unit(c, p.e1);
    s.roles = ROLE_ADMIN;
    snprintf(s.scope_path, sizeof s.scope_path, "%s", e1.path);
    assert_int_equal(org_import_people(c, &by, x, n, false, &r), WS_OK);
    assert_int_equal(r.created, 3);
    org_import_result_free(&r);
    org_person_filter f = {.scope_path = e1.path, .active = 1, .q = "X001", .limit = 10};
    org_person *ps;
    size_t k;
    int64_t next;
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 1);
    assert_string_equal(ps[0].name, "赵一");
    assert_string_equal(ps[0].phone, "13900000100");
    assert_int_equal(ps[0].npost, 2);
    free(ps);
    /* person + person_post leaves: 3 people, 4 post links. */
    assert_int_equal(count_sql(c, Q_LEAVES, NULL), leaves0 + 3 + 4);
    free(x);

    /* Units outside the scope cannot be parents in an import either. */
    const char u[] = "code,name,kind,parent_code\nSNEAK,x,area,E2-S1\n";
    assert_int_equal(org_import_units(c, &by, u, sizeof u - 1, false, &r), WS_EINVAL);
    assert_string_equal(r.errors[0].field, "parent_code");
    org_import_result_free(&r);
    verify_clean(c);
}

static void test_demo_seed(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    org_demo_ids ids;
    assert_int_equal(org_demo_seed(c, &WHO, &ids), WS_OK);
    assert_true(ids.park > 0 && ids.enterprise > 0 && ids.enterprise2 > 0);
    assert_true(ids.npeople >= 40);
    org_unit park = get_unit(c, ids.park), ent = get_unit(c, ids.enterprise);
    assert_string_equal(park.name, "江苏滨江化工园区");
    assert_string_equal(park.kind, "park");
    assert_string_equal(ent.name, "华东精细化工有限公司");
    assert_int_equal(ent.parent_id, ids.park);
    org_unit grid = get_unit(c, ids.grid_synthesis);
    assert_string_equal(grid.kind, "grid");
    assert_int_equal(grid.leader_person_id, ids.person_grid_leader);
    org_person w;
    assert_int_equal(org_person_get(c, ids.person_worker, &w), WS_OK);
    assert_int_equal(w.unit_id, ids.grid_synthesis);
    assert_true(org_phone_valid(w.phone));
    assert_int_equal(org_person_get(c, ids.person_e2_manager, &w), WS_OK);
    assert_int_equal(w.enterprise_id, ids.enterprise2);
    /* Every grid has a leader. */
    org_unit_filter f = {.scope_path = "/", .kind = "grid", .active = -1, .limit = 200};
    org_unit *us;
    size_t n;
    int64_t next;
    assert_int_equal(org_unit_list(c, &f, &us, &n, &next), WS_OK);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) assert_true(us[i].leader_person_id > 0);
    free(us);
    /* Every crew and on-call place is a person; the worker is in crew 0 and
     * the grid leader leads crew 1; nobody is in two crews. */
    for (int i = 0; i < ORG_DEMO_CREWS; i++)
        for (int j = 0; j < ORG_DEMO_CREW_SIZE; j++) {
            assert_true(ids.crew[i][j] > 0);
            for (int k = 0; k < ORG_DEMO_CREWS * ORG_DEMO_CREW_SIZE; k++)
                if (k != i * ORG_DEMO_CREW_SIZE + j)
                    assert_true(ids.crew[k / ORG_DEMO_CREW_SIZE][k % ORG_DEMO_CREW_SIZE] != ids.crew[i][j]);
        }
    assert_int_equal(ids.crew[0][ORG_CREW_SYNTHESIS], ids.person_worker);
    assert_int_equal(ids.crew[1][ORG_CREW_LEADER], ids.person_grid_leader);
    for (int i = 0; i < 4; i++) assert_true(ids.duty_manager[i] > 0);
    assert_int_equal(ids.duty_manager[0], ids.person_manager);
    assert_int_equal(ids.duty_safety[0], ids.person_safety_officer);
    assert_true(ids.duty_safety[1] > 0 && ids.duty_safety[1] != ids.duty_safety[0]);
    /* A second seed is refused; an empty root park is taken over. */
    assert_int_equal(org_demo_seed(c, &WHO, &ids), WS_ECONFLICT);
    verify_clean(c);
}

/* The demo's 四班两倒: from shift 0 (a day or a night shift), crew 0 then
 * crew 1; every crew works a day shift, the night after the next day shift,
 * then has two days off: two shifts in any eight running, never two running,
 * before shift 0 as after it. */
static void test_demo_rota(void **state)
{
    (void)state;
    for (int d = 0; d < 2; d++) {
        const bool s0_day = d == 0;
        assert_int_equal(org_demo_crew_on(0, s0_day), 0);
        assert_int_equal(org_demo_crew_on(1, s0_day), 1);
        for (int64_t k = -40; k < 40; k++) {
            const int c = org_demo_crew_on(k, s0_day);
            assert_true(c >= 0 && c < ORG_DEMO_CREWS);
            assert_int_equal(org_demo_crew_on(k + 8, s0_day), c); /* an 8-shift cycle */
            assert_true(org_demo_crew_on(k + 1, s0_day) != c);    /* never twelve hours more */
            int n = 0;
            for (int64_t j = k; j < k + 8; j++) n += org_demo_crew_on(j, s0_day) == c;
            assert_int_equal(n, 2);
            /* shift k is a day shift when k has s0's parity, for a day shift 0 */
            const bool day = ((k % 2) == 0) == s0_day;
            if (day) assert_int_equal(org_demo_crew_on(k + 3, s0_day), c); /* the next day's night */
        }
    }
}

static void test_demo_on_init_root(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    int64_t root = 0;
    assert_int_equal(store_begin(c), WS_OK); /* as `worksafe init` does */
    assert_int_equal(org_create_root(c, &WHO, "park", "ROOT", "园区", &root), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    org_demo_ids ids;
    assert_int_equal(org_demo_seed(c, &WHO, &ids), WS_OK);
    assert_int_equal(ids.park, root);
    assert_string_equal(get_unit(c, root).name, "江苏滨江化工园区");
    verify_clean(c);
}

/* The samples in tests/data/import apply to the demo park. */
static void test_import_samples(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    org_demo_ids ids;
    assert_int_equal(org_demo_seed(c, &WHO, &ids), WS_OK);
    static const struct {
        const char *file;
        bool people;
        int created;
    } samples[] = {{"tests/data/import/units_utf8_bom.csv", false, 6},
                   {"tests/data/import/people_gbk.csv", true, 6},
                   {"tests/data/import/people.xlsx", true, 3}};
    for (size_t i = 0; i < 3; i++) {
        size_t n;
        char *data = slurp(samples[i].file, &n);
        org_import_result r;
        ws_err rc = samples[i].people ? org_import_people(c, &TRUSTED, data, n, false, &r)
                                      : org_import_units(c, &TRUSTED, data, n, false, &r);
        if (rc)
            fail_msg("%s: %s (%s)", samples[i].file, ws_err_message(), ws_err_field());
        assert_int_equal(r.created, samples[i].created);
        org_import_result_free(&r);
        free(data);
    }
    org_unit g;
    assert_int_equal(org_unit_by_code(c, "HDJX-S3-YL-G1", &g), WS_OK);
    assert_int_equal(g.enterprise_id, ids.enterprise);
    org_person_filter f = {.scope_path = g.path, .active = 1, .limit = 50};
    org_person *ps;
    size_t k;
    int64_t next;
    assert_int_equal(org_person_list(c, &f, &ps, &k, &next), WS_OK);
    assert_int_equal(k, 3); /* 高翔, 罗琳 and 韩梅 */
    free(ps);
    verify_clean(c);
}

/* ------------------------------------------------- leavers and erasure */

#define ACC_PW "Leaver-Pass-2026"
static const char Q_LIVE_SESSIONS[] =
    "SELECT COUNT(*) FROM sessions WHERE revoked = 0 AND account_id = CAST($1 AS BIGINT)";
static const char Q_LEAVES_ACTION[] = "SELECT COUNT(*) FROM audit_leaf WHERE action = $1";
static const char Q_CONTENTS[] = "SELECT content FROM record_version WHERE content IS NOT NULL";

static int64_t account_for(store_conn *c, const char *user, int64_t scope, int64_t person_id)
{
    int64_t id = 0;
    ws_err rc = auth_create_account(c, &WHO, user, ACC_PW, ROLE_WORKER, scope, person_id, false, &id);
    if (rc) fail_msg("account %s: %s (%s)", user, ws_err_message(), ws_err_field());
    return id;
}

static int64_t live_sessions(store_conn *c, int64_t account)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)account);
    return count_sql(c, Q_LIVE_SESSIONS, s);
}

/* Stored versions that still hold the bytes of text. */
static int versions_holding(store_conn *c, const char *text)
{
    store_stmt *st = NULL;
    bool row = false;
    int n = 0;
    assert_int_equal(store_prepare(c, Q_CONTENTS, &st), WS_OK);
    while (store_step(st, &row) == WS_OK && row) {
        size_t len = 0;
        const void *p = store_col_blob(st, 0, &len);
        if (p && memmem(p, len, text, strlen(text))) n++;
    }
    store_finalize(st);
    return n;
}

/* Whether the file at path (a missing file holds nothing) contains text. */
static bool file_holds(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fclose(f);
    size_t n = 0;
    char *p = slurp(path, &n);
    bool found = memmem(p, n, text, strlen(text)) != NULL;
    free(p);
    return found;
}

/* A leaver loses access at once: deactivating the person deactivates every
 * account linked to them and revokes their sessions, in the same transaction. */
static void test_leaver_loses_accounts(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    int64_t a = person(c, p.grid, "L1", "离职者");
    int64_t acc1 = account_for(c, "leaver.one", p.grid, a);
    int64_t acc2 = account_for(c, "leaver.two", p.site, a);
    int64_t other = account_for(c, "stayer", p.grid, 0);
    char tok[65], tok2[65];
    auth_subject s;
    assert_int_equal(auth_login(c, "leaver.one", ACC_PW, tok, &s, NULL), WS_OK);
    assert_int_equal(auth_login(c, "stayer", ACC_PW, tok2, &s, NULL), WS_OK);
    assert_int_equal(live_sessions(c, acc1), 1);

    /* In a caller's transaction that rolls back, nothing ends. */
    assert_int_equal(store_begin(c), WS_OK);
    assert_int_equal(org_person_deactivate(c, &TRUSTED, a, "离职"), WS_OK);
    store_rollback(c);
    auth_account ac;
    assert_int_equal(auth_account_get(c, acc1, &ac), WS_OK);
    assert_true(ac.active);
    assert_int_equal(auth_session(c, tok, &s), WS_OK);

    int64_t deact_before = count_sql(c, Q_LEAVES_ACTION, "deactivate");
    assert_int_equal(org_person_deactivate(c, &TRUSTED, a, "离职"), WS_OK);
    assert_int_equal(auth_account_get(c, acc1, &ac), WS_OK);
    assert_false(ac.active);
    assert_int_equal(auth_account_get(c, acc2, &ac), WS_OK);
    assert_false(ac.active);
    assert_int_equal(auth_account_get(c, other, &ac), WS_OK);
    assert_true(ac.active);
    assert_int_equal(live_sessions(c, acc1), 0);
    assert_int_equal(auth_session(c, tok, &s), WS_EUNAUTH);
    assert_int_equal(auth_session(c, tok2, &s), WS_OK);
    assert_int_equal(auth_login(c, "leaver.one", ACC_PW, tok, &s, NULL), WS_EUNAUTH);
    /* One leaf for the person, one per account. */
    assert_int_equal(count_sql(c, Q_LEAVES_ACTION, "deactivate"), deact_before + 3);
    verify_clean(c);
}

static void test_erase_personal_data(void **state)
{
    tctx *t = *state;
    store_conn *c = t->c;
    plant p = make_plant(c);
    const char *name = "钟离秘", *phone = "13987654321", *empno = "ZL-7781";
    org_person_in in = {.unit_id = p.grid, .employee_no = empno, .name = name, .phone = phone};
    int64_t id = 0;
    assert_int_equal(org_person_create(c, &TRUSTED, &in, &id), WS_OK);
    int64_t keep = person(c, p.grid, "K1", "留任者");
    assert_int_equal(org_person_transfer(c, &TRUSTED, id, p.site_b, 0, "钟离秘调岗"), WS_OK);
    int64_t acc = account_for(c, "zhongli.mi", p.grid, id);
    char tok[65];
    auth_subject s;
    assert_int_equal(auth_login(c, "zhongli.mi", ACC_PW, tok, &s, NULL), WS_OK);

    /* Only a person who has left can be erased, with a reason, by an admin
     * whose scope holds the person. */
    assert_int_equal(org_person_erase(c, &TRUSTED, id, "本人申请删除"), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "active");
    assert_non_null(strstr(ws_err_message(), "active"));
    assert_int_equal(org_person_deactivate(c, &TRUSTED, id, "钟离秘因病离职"), WS_OK);
    assert_int_equal(org_person_erase(c, &TRUSTED, id, ""), WS_EINVAL);
    assert_string_equal(ws_err_field(), "reason");
    org_unit park = get_unit(c, p.park), e2 = get_unit(c, p.e2);
    auth_subject dh = {.account_id = 90, .roles = ROLE_DEPT_HEAD | ROLE_MANAGER};
    snprintf(dh.scope_path, sizeof dh.scope_path, "%s", park.path);
    org_caller by_dh = {&WHO, &dh};
    assert_int_equal(org_person_erase(c, &by_dh, id, "本人申请删除"), WS_EFORBIDDEN);
    auth_subject adm = {.account_id = 91, .roles = ROLE_ADMIN};
    snprintf(adm.scope_path, sizeof adm.scope_path, "%s", e2.path);
    org_caller by_other = {&WHO, &adm};
    assert_int_equal(org_person_erase(c, &by_other, id, "本人申请删除"), WS_ENOTFOUND);
    assert_int_equal(org_person_erase(c, &TRUSTED, 999999, "本人申请删除"), WS_ENOTFOUND);

    /* All or nothing: in a caller's transaction that rolls back, nothing is erased. */
    assert_int_equal(store_begin(c), WS_OK);
    assert_int_equal(org_person_erase(c, &TRUSTED, id, "本人申请删除"), WS_OK);
    store_rollback(c);
    org_person pe;
    assert_int_equal(org_person_get(c, id, &pe), WS_OK);
    assert_string_equal(pe.name, name);
    assert_true(versions_holding(c, phone) > 0);
    auth_account ac;
    assert_int_equal(auth_account_get(c, acc, &ac), WS_OK);
    assert_string_equal(ac.username, "zhongli.mi");

    int64_t purges = count_sql(c, Q_LEAVES_ACTION, "purge");
    adm = (auth_subject){.account_id = 91, .roles = ROLE_ADMIN};
    snprintf(adm.scope_path, sizeof adm.scope_path, "%s", park.path);
    org_caller by_admin = {&WHO, &adm};
    assert_int_equal(org_person_erase(c, &by_admin, id, "本人申请删除"), WS_OK);

    /* No stored version holds the personal data any more; tombstones: the
     * person, two transfers, the account; the reason is logged. (Checked
     * before the login attempts below: one with the old username records what
     * was typed, as an unknown_user event.) */
    assert_int_equal(versions_holding(c, name), 0);
    assert_int_equal(versions_holding(c, phone), 0);
    assert_int_equal(versions_holding(c, empno), 0);
    assert_int_equal(versions_holding(c, "zhongli.mi"), 0);
    assert_int_equal(versions_holding(c, "因病离职"), 0);
    assert_true(versions_holding(c, "本人申请删除") >= 5);
    assert_int_equal(count_sql(c, Q_LEAVES_ACTION, "purge"), purges + 4 + 5);
    assert_int_equal(count_sql(c, Q_LEAVES_OF, "erasure"), 5);
    /* The row stays, anonymised; left_at and the unit are kept. */
    assert_int_equal(org_person_get(c, id, &pe), WS_OK);
    assert_string_equal(pe.name, ORG_ERASED_NAME);
    assert_string_equal(pe.phone, "");
    assert_string_equal(pe.employee_no, "");
    assert_false(pe.active);
    assert_true(pe.left_at > 0);
    assert_int_equal(pe.unit_id, p.site_b);
    org_transfer *tr = NULL;
    size_t n = 0;
    assert_int_equal(org_person_transfers(c, id, &tr, &n), WS_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) assert_string_equal(tr[i].reason, "");
    free(tr);
    /* The account: renamed, closed, sessions gone, no way back in. */
    char want[32];
    snprintf(want, sizeof want, "erased-%lld", (long long)acc);
    assert_int_equal(auth_account_get(c, acc, &ac), WS_OK);
    assert_string_equal(ac.username, want);
    assert_false(ac.active);
    assert_int_equal(live_sessions(c, acc), 0);
    assert_int_equal(auth_session(c, tok, &s), WS_EUNAUTH);
    assert_int_equal(auth_login(c, "zhongli.mi", ACC_PW, tok, &s, NULL), WS_EUNAUTH);
    assert_int_equal(auth_account_set_active(c, &WHO, acc, true), WS_OK);
    assert_int_equal(auth_login(c, want, ACC_PW, tok, &s, NULL), WS_EUNAUTH); /* no password left */
    assert_int_equal(auth_account_set_active(c, &WHO, acc, false), WS_OK);
    /* The reserved prefix cannot be taken by a new account. */
    int64_t dummy = 0;
    assert_int_equal(auth_create_account(c, &WHO, "erased-77", ACC_PW, ROLE_WORKER, p.grid, 0,
                                         false, &dummy), WS_EINVAL);

    /* Others are untouched. */
    org_person pk;
    assert_int_equal(org_person_get(c, keep, &pk), WS_OK);
    assert_string_equal(pk.name, "留任者");
    assert_int_equal(versions_holding(c, "留任者"), 1);
    verify_clean(c);

    /* SQLite: neither the database file nor its WAL holds the bytes, while
     * the store is still open (secure_delete, then the checkpoint). */
    if (t->f->kind == STORE_SQLITE) {
        char path[1100];
        const char *file = t->url + strlen("sqlite:");
        snprintf(path, sizeof path, "%s", file);
        assert_true(file_holds(path, "留任者")); /* the check can see data */
        assert_false(file_holds(path, name));
        assert_false(file_holds(path, phone));
        assert_false(file_holds(path, "zhongli.mi"));
        snprintf(path, sizeof path, "%s-wal", file);
        assert_false(file_holds(path, name));
        assert_false(file_holds(path, phone));
    }
}

/* ------------------------------------------------------------------ main */

/* One evidence-log key per group; the group state is the fixture. */
static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/org/v1")) {
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_org_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || auth_init()) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_tree_paths),
        DB_TEST(test_default_departments),
        DB_TEST(test_move_subtree),
        DB_TEST(test_isolation),
        DB_TEST(test_deactivate_not_delete),
        DB_TEST(test_leaver_loses_accounts),
        DB_TEST(test_erase_personal_data),
        DB_TEST(test_transfer_history),
        DB_TEST(test_concurrent_moves),
        DB_TEST(test_import_units),
        DB_TEST(test_import_bad_row_writes_nothing),
        DB_TEST(test_import_people_gbk),
        DB_TEST(test_import_xlsx_and_scope),
        DB_TEST(test_demo_seed),
        cmocka_unit_test(test_demo_rota),
        DB_TEST(test_demo_on_init_root),
        DB_TEST(test_import_samples),
    };
    int failed = cmocka_run_group_tests_name("org_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("org_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "org_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
