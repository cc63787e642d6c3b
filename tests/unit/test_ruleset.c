/* test_ruleset.c — the stored versions of the alarm rule set
 * (src/alarm/ruleset.c, migration 14) on SQLite and PostgreSQL.
 *
 * What a user would check: a new install has exactly one active set, the
 * default (version 1: stale 300 s, flatline 6 h, 3 faults in 30 days); a
 * new version is stored inactive under the next number and in canonical form;
 * a dry run stores nothing; a bad rule is refused naming "rules[0].window_s"
 * and stores nothing; activating a version leaves exactly one active; a
 * non-admin may not add or activate; every version and activation is in the
 * evidence log and the log verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alarm/ruleset.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "org/org.h"
#include "store/store.h"
#include "unit/pgdb.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};

static char tmpdir[128];

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
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "ruleset", f->n)) return -1;
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

#define OK(call)                                                                        \
    do {                                                                                \
        ws_err rc_ = (call);                                                            \
        if (rc_) fail_msg("%s: %s (%s)", #call, ws_err_message(), ws_err_field());      \
    } while (0)

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

static const char ROC[] =
    "{\"rules\":[{\"id\":2001,\"kind\":\"roc\",\"name\":\"升速\",\"level\":1,"
    "\"select\":{\"kinds\":[\"combustible\"]},\"limit_per_s\":0.5,\"window_s\":60}]}";

static void default_is_version_one_and_active(void **state)
{
    tctx *t = *state;
    alarm_ruleset_row r;
    OK(alarm_ruleset_active(t->c, &r));
    assert_int_equal(r.version, 1);
    assert_true(r.active);
    assert_int_equal(r.created_by_person_id, 0);
    assert_non_null(strstr(r.doc, "\"max_gap_s\":300"));
    assert_non_null(strstr(r.doc, "\"window_s\":21600"));
    assert_non_null(strstr(r.doc, "\"action_kind\":\"preventive\""));
    alarm_ruleset_row_free(&r);
    /* Reading again does not store it twice. */
    OK(alarm_ruleset_active(t->c, &r));
    alarm_ruleset_row_free(&r);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM alarm_rule_sets"), 1);
    rule_set *s = malloc(sizeof *s);
    int64_t v = 0;
    OK(alarm_ruleset_load_active(t->c, s, &v));
    assert_int_equal(v, 1);
    assert_int_equal(s->n, 4);
    free(s);
}

static void versions_dry_run_refusal_and_activation(void **state)
{
    tctx *t = *state;
    int64_t v = -1;
    /* Dry run: checked, nothing stored. */
    OK(alarm_ruleset_create(t->c, &TRUSTED, ROC, strlen(ROC), "试运行", true, &v));
    assert_int_equal(v, 0);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM alarm_rule_sets"), 0);
    /* A refusal names the field and stores nothing. */
    const char *bad = "{\"rules\":[{\"id\":2001,\"kind\":\"stale\",\"name\":\"x\",\"level\":1,"
                      "\"select\":{\"kinds\":[\"toxic\"]},\"max_gap_s\":60,\"window_s\":5}]}";
    assert_int_equal(alarm_ruleset_create(t->c, &TRUSTED, bad, strlen(bad), "bad", false, &v),
                     WS_EINVAL);
    assert_string_equal(ws_err_field(), "rules[0].window_s");
    assert_int_equal(alarm_ruleset_create(t->c, &TRUSTED, ROC, strlen(ROC), " ", false, &v),
                     WS_EINVAL);
    assert_string_equal(ws_err_field(), "comment");
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM alarm_rule_sets"), 0);
    /* A new version: 2, inactive, canonical; the default stays active. */
    OK(alarm_ruleset_create(t->c, &TRUSTED, ROC, strlen(ROC), "增加升速规则", false, &v));
    assert_int_equal(v, 2);
    alarm_ruleset_row r;
    OK(alarm_ruleset_get(t->c, 2, &r));
    assert_false(r.active);
    assert_string_equal(r.comment, "增加升速规则");
    assert_non_null(strstr(r.doc, "\"enabled\":true")); /* canonical: defaults spelled out */
    alarm_ruleset_row_free(&r);
    OK(alarm_ruleset_active(t->c, &r));
    assert_int_equal(r.version, 1);
    alarm_ruleset_row_free(&r);
    assert_int_equal(alarm_ruleset_get(t->c, 9, &r), WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "version");
    /* Activate 2: exactly one active. */
    OK(alarm_ruleset_activate(t->c, &TRUSTED, 2));
    OK(alarm_ruleset_active(t->c, &r));
    assert_int_equal(r.version, 2);
    alarm_ruleset_row_free(&r);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM alarm_rule_sets WHERE active = 1"), 1);
    OK(alarm_ruleset_activate(t->c, &TRUSTED, 2)); /* again: no change */
    OK(alarm_ruleset_activate(t->c, &TRUSTED, 1));
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM alarm_rule_sets WHERE active = 1"), 1);
    assert_int_equal(alarm_ruleset_activate(t->c, &TRUSTED, 7), WS_ENOTFOUND);
    alarm_ruleset_row *items = NULL;
    size_t n = 0;
    OK(alarm_ruleset_list(t->c, &items, &n));
    assert_int_equal(n, 2);
    assert_int_equal(items[0].version, 1);
    assert_true(items[0].active);
    assert_false(items[1].active);
    assert_null(items[1].doc);
    free(items);
    /* Leaves: create 1, create 2, activate 2 (2 rows), activate 1 (2 rows). */
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM audit_leaf"), 6);
    uint64_t leaves = 0;
    OK(audit_verify(t->c, NULL, no_findings, NULL, &leaves));
}

static void only_admins_change_rules(void **state)
{
    tctx *t = *state;
    auth_subject so = {.account_id = 5, .person_id = 7, .roles = ROLE_SAFETY_OFFICER,
                       .scope_unit_id = 1, .scope_path = "/1/"};
    auth_subject ad = {.account_id = 1, .person_id = 3, .roles = ROLE_ADMIN, .scope_unit_id = 1,
                       .scope_path = "/1/"};
    org_caller by_so = {&WHO, &so}, by_ad = {&WHO, &ad};
    int64_t v = 0;
    assert_int_equal(alarm_ruleset_create(t->c, &by_so, ROC, strlen(ROC), "x", false, &v),
                     WS_EFORBIDDEN);
    OK(alarm_ruleset_create(t->c, &by_ad, ROC, strlen(ROC), "管理员新增", false, &v));
    assert_int_equal(alarm_ruleset_activate(t->c, &by_so, v), WS_EFORBIDDEN);
    OK(alarm_ruleset_activate(t->c, &by_ad, v));
    alarm_ruleset_row r;
    OK(alarm_ruleset_get(t->c, v, &r));
    assert_int_equal(r.created_by_person_id, 3);
    assert_true(r.active);
    alarm_ruleset_row_free(&r);
}

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/ruleset/v1")) {
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


#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_ruleset_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || auth_init() || alarm_ruleset_init()) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(default_is_version_one_and_active),
        DB_TEST(versions_dry_run_refusal_and_activation),
        DB_TEST(only_admins_change_rules),
    };
    int failed = cmocka_run_group_tests_name("ruleset_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("ruleset_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "ruleset_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
