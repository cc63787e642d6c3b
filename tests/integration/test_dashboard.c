/* test_dashboard.c — the collaboration dashboard over the wire, on SQLite
 * and PostgreSQL, from hazards taken through their real lifecycle.
 *
 * H1 (general): assessed, assigned to P, returned by P, assigned again,
 * rectified, its acceptance refused once, rectified again, accepted. So two
 * assignments with one return (return rate 0.5), one refused and one
 * granted acceptance (rejection rate 0.5), one first action, one
 * assignment-to-done. H2 (major) is untouched: it counts as reported, is on
 * the committee's list, and its task force too. H3 is assigned to P with a
 * deadline already past: the timer marks it overdue, and P's department has
 * one overdue hazard. A worker may not read the dashboard; a unit outside
 * the scope is 404; a bad period names the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integration/common.h"

typedef struct T {
    ws_server s;
    char admin[65], p[65], so[65];
    long long ent, area, person, dept;
} T;

static void act(T *t, const char *tok, long long h, const char *action, const char *body)
{
    char p[96];
    json_t *r = NULL;
    snprintf(p, sizeof p, "/api/v1/hazards/%lld/actions/%s", h, action);
    long st = ws_req(&t->s, "POST", p, tok, body, &r);
    if (st != 200) fail_msg("%s -> %ld %s %s", p, st, ws_err_field_of(r),
                            json_string_value(json_object_get(json_object_get(r, "error"), "message")));
    json_decref(r);
}

static void iso(long long ms, char out[40])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double num(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b) v = json_object_get(v, b);
    return json_number_value(v);
}

static void run(const char *backend)
{
    T t;
    memset(&t, 0, sizeof t);
    const char *extra[] = {"--org-kind", "park", "--org-name", "协同园区", NULL};
    ws_serve_extra[0] = "--tick-seconds";
    ws_serve_extra[1] = "1";
    assert_int_equal(ws_server_start(&t.s, backend, extra), 0);
    assert_int_equal(ws_login(&t.s, "admin", WS_ADMIN_PW, t.admin), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/me", t.admin, NULL, &r), 200);
    long long park = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[700], now_s[40], past[40], later[40];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E1\",\"name\":\"化工\"}", park);
    t.ent = ws_post_id(&t.s, t.admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A1\",\"name\":\"罐区\"}", t.ent);
    t.area = ws_post_id(&t.s, t.admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "/api/v1/departments?enterprise_id=%lld&limit=50", t.ent);
    assert_int_equal(ws_req(&t.s, "GET", b, t.admin, NULL, &r), 200);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "items"), i, x)
        if (!strcmp(json_string_value(json_object_get(x, "code")), "equipment")) t.dept = json_integer_value(json_object_get(x, "id"));
    json_decref(r);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"department_id\":%lld,\"name\":\"设备员\"}", t.area, t.dept);
    t.person = ws_post_id(&t.s, t.admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"username\":\"p\",\"password\":\"Dash-Pass-2026\",\"roles\":[\"worker\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", t.ent, t.person);
    ws_post_id(&t.s, t.admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t.s, "p", "Dash-Pass-2026", t.p), 200);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"安全员\"}", t.area);
    long long inspector = ws_post_id(&t.s, t.admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"username\":\"so\",\"password\":\"Dash-Pass-2026\",\"roles\":[\"safety_officer\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", t.ent, inspector);
    ws_post_id(&t.s, t.admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t.s, "so", "Dash-Pass-2026", t.so), 200);
    long long now = (long long)time(NULL) * 1000;
    iso(now, now_s);
    iso(now - 3600000, past);
    iso(now + 7 * 86400000LL, later);
    /* H1 */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"P-201 机封渗漏\",\"accident_type\":\"13\"}", t.area);
    long long h1 = ws_post_id(&t.s, t.admin, "/api/v1/hazards", b);
    act(&t, t.admin, h1, "assess", "{\"grade\":\"general\"}");
    snprintf(b, sizeof b, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"}", t.person, later);
    act(&t, t.admin, h1, "assign", b);
    act(&t, t.p, h1, "return_assignment", "{\"reason\":\"不属设备部门\"}");
    act(&t, t.admin, h1, "assign", b);
    act(&t, t.p, h1, "start_rectification", "{}");
    snprintf(b, sizeof b, "{\"rectified_at\":\"%s\"}", now_s);
    act(&t, t.p, h1, "rectify", b);
    act(&t, t.so, h1, "reject_acceptance", "{\"reason\":\"仍有渗漏\"}");
    sleep(1);
    long long now2 = (long long)time(NULL) * 1000;
    char n2[40];
    iso(now2, n2);
    snprintf(b, sizeof b, "{\"rectified_at\":\"%s\"}", n2);
    act(&t, t.p, h1, "rectify", b);
    snprintf(b, sizeof b, "{\"accepted_at\":\"%s\"}", n2);
    act(&t, t.so, h1, "accept", b);
    /* H2: major, untouched */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"罐区紧急切断阀失效\",\"accident_type\":\"13\",\"grade\":\"major\"}", t.area);
    long long h2 = ws_post_id(&t.s, t.admin, "/api/v1/hazards", b);
    /* H3: a deadline already past */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"防雷接地测试超期\",\"accident_type\":\"13\"}", t.area);
    long long h3 = ws_post_id(&t.s, t.admin, "/api/v1/hazards", b);
    act(&t, t.admin, h3, "assess", "{\"grade\":\"general\"}");
    snprintf(b, sizeof b, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"}", t.person, past);
    act(&t, t.admin, h3, "assign", b);
    /* the timers: overdue marked, the major hazard's task force formed */
    json_t *d = NULL;
    for (int k = 0; k < 60; k++) {
        sleep(1);
        assert_int_equal(ws_req(&t.s, "GET", "/api/v1/dashboard/collaboration", t.admin, NULL, &d), 200);
        json_t *od = json_object_get(json_object_get(d, "overdue_by_department"), "hazards");
        json_t *l = NULL;
        assert_int_equal(ws_req(&t.s, "GET", "/api/v1/dashboard/committee-list", t.admin, NULL, &l), 200);
        bool force = false;
        json_array_foreach(json_object_get(l, "items"), i, x) force |= !strcmp(json_string_value(json_object_get(x, "kind")), "task_force");
        json_decref(l);
        if (json_array_size(od) && force) break;
        json_decref(d);
        d = NULL;
    }
    assert_non_null(d);
    assert_int_equal((int)num(d, "hazards_reported", NULL), 3);
    /* H1 assigned twice, H3 once; one return */
    assert_true(fabs(num(d, "return_rate", NULL) - 1.0 / 3) < 1e-9);
    assert_true(fabs(num(d, "rejection_rate", NULL) - 0.5) < 1e-9);
    assert_int_equal((int)num(d, "report_to_first_action", "n"), 2);
    assert_int_equal((int)num(d, "assignment_to_done", "n"), 1);
    assert_true(num(d, "assignment_to_done", "median_s") >= 1.0); /* at least the second's sleep */
    json_t *od = json_array_get(json_object_get(json_object_get(d, "overdue_by_department"), "hazards"), 0);
    assert_string_equal(json_string_value(json_object_get(od, "department")), "设备");
    assert_int_equal(json_integer_value(json_object_get(od, "count")), 1);
    json_decref(d);
    json_t *l = NULL;
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/dashboard/committee-list", t.admin, NULL, &l), 200);
    bool has_h2 = false, has_h3 = false;
    json_array_foreach(json_object_get(l, "items"), i, x) {
        if (strcmp(json_string_value(json_object_get(x, "kind")), "hazard")) continue;
        has_h2 |= json_integer_value(json_object_get(x, "id")) == h2;
        has_h3 |= json_integer_value(json_object_get(x, "id")) == h3;
    }
    assert_true(has_h2 && has_h3);
    json_decref(l);
    char *raw = NULL;
    assert_int_equal(ws_http(&t.s, "GET", "/api/v1/dashboard/committee-list?format=xlsx", t.admin, NULL, 0, NULL, NULL, &raw), 200);
    assert_true(raw && raw[0] == 'P' && raw[1] == 'K');
    free(raw);
    /* the status column in the page's words, not ids */
    raw = NULL;
    assert_int_equal(ws_http(&t.s, "GET", "/api/v1/dashboard/committee-list?format=csv", t.admin, NULL, 0, NULL, NULL, &raw), 200);
    assert_non_null(strstr(raw, "已超期"));      /* H3 */
    assert_non_null(strstr(raw, "项任务未完成")); /* the major hazard's task force */
    static const char *const ids[] = {",assessed,", ",assigned,", ",rectifying,", ",acceptance,"};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) assert_null(strstr(raw, ids[k]));
    free(raw);
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/dashboard/collaboration", t.p, NULL, &l), 403);
    json_decref(l);
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/dashboard/collaboration?from=yesterday", t.admin, NULL, &l), 400);
    assert_string_equal(ws_err_field_of(l), "from");
    json_decref(l);
    ws_server_destroy(&t.s);
    ws_serve_extra[0] = NULL;
    ws_serve_extra[1] = NULL;
}

static void test_sqlite(void **state)
{
    (void)state;
    run("sqlite");
}

static void test_postgres(void **state)
{
    (void)state;
    const char *b[2];
    if (ws_backends(b) < 2) skip();
    run("postgres");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite),
        cmocka_unit_test(test_postgres),
    };
    return cmocka_run_group_tests_name("dashboard", tests, NULL, NULL);
}
