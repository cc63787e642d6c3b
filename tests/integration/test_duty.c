/* test_duty.c — duty lists over the wire, on SQLite and PostgreSQL, with the
 * server's timer every second.
 *
 * A duty of a post becomes a task for each person holding the post, once per
 * period however often the timer runs; it shows in that person's duties and
 * is done by that person only (a colleague is refused; done twice is a
 * conflict). A major hazard installation with its three responsible persons
 * gives each of them the statutory duty of their role; a statutory duty
 * cannot be switched off. Completion per person counts the done task; bad
 * input names the field. The ISO week key is checked at the year's edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duty/duty.h"
#include "integration/common.h"

typedef struct T {
    ws_server s;
    char admin[65], a[65], b[65];
    long long ent, area, post, pa, pb, pc;
} T;

static void account(T *t, const char *user, long long person, char tok[65])
{
    char b[300];
    snprintf(b, sizeof b, "{\"username\":\"%s\",\"password\":\"Duty-Pass-2026\",\"roles\":[\"worker\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", user, t->ent, person);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, user, "Duty-Pass-2026", tok), 200);
}

/* The caller's duties, waiting up to 10 s for at least n. */
static json_t *my_duties(T *t, const char *tok, size_t n)
{
    for (int i = 0; i < 500; i++) {
        json_t *r = NULL;
        ws_server_tick(&t->s);
        assert_int_equal(ws_req(&t->s, "GET", "/api/v1/me/duties", tok, NULL, &r), 200);
        if (json_array_size(json_object_get(r, "items")) >= n || i == 499) return r;
        json_decref(r);
        usleep(20000);
    }
    return NULL;
}

static void run(const char *backend)
{
    T t;
    memset(&t, 0, sizeof t);
    const char *extra[] = {"--org-kind", "park", "--org-name", "履职园区", NULL};
    ws_serve_extra[0] = "--tick-seconds";
    ws_serve_extra[1] = "1";
    assert_int_equal(ws_server_start(&t.s, backend, extra), 0);
    assert_int_equal(ws_login(&t.s, "admin", WS_ADMIN_PW, t.admin), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/me", t.admin, NULL, &r), 200);
    long long park = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[600];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E1\",\"name\":\"化工\"}", park);
    t.ent = ws_post_id(&t.s, t.admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A1\",\"name\":\"罐区\"}", t.ent);
    t.area = ws_post_id(&t.s, t.admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"code\":\"operator\",\"name\":\"操作工\"}", t.ent);
    t.post = ws_post_id(&t.s, t.admin, "/api/v1/posts", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"操作工甲\",\"post_ids\":[%lld]}", t.area, t.post);
    t.pa = ws_post_id(&t.s, t.admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"操作工乙\"}", t.area);
    t.pb = ws_post_id(&t.s, t.admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"技术员丙\"}", t.area);
    t.pc = ws_post_id(&t.s, t.admin, "/api/v1/people", b);
    account(&t, "a", t.pa, t.a);
    account(&t, "b", t.pb, t.b);
    /* bad input named */
    snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"post_id\":%lld,\"title\":\"x\",\"frequency\":\"hourly\"}", t.ent, t.post);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/duties", t.admin, b, &r), 400);
    assert_string_equal(ws_err_field_of(r), "frequency");
    json_decref(r);
    snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"post_id\":999999,\"title\":\"x\",\"frequency\":\"daily\"}", t.ent);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/duties", t.admin, b, &r), 400);
    assert_string_equal(ws_err_field_of(r), "post_id");
    json_decref(r);
    snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"post_id\":%lld,\"title\":\"检查本区域机泵接地电阻\",\"frequency\":\"monthly\"}",
             t.ent, t.post);
    ws_post_id(&t.s, t.admin, "/api/v1/duties", b);
    /* the holder of the post gets the task; the other person nothing */
    r = my_duties(&t, t.a, 1);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_t *task = json_array_get(json_object_get(r, "items"), 0);
    long long tid = json_integer_value(json_object_get(task, "id"));
    assert_string_equal(json_string_value(json_object_get(task, "state")), "open");
    assert_int_equal(strlen(json_string_value(json_object_get(task, "period"))), 7); /* YYYY-MM */
    json_decref(r);
    r = my_duties(&t, t.b, 0);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
    sleep(2); /* more timer passes make nothing twice */
    r = my_duties(&t, t.a, 1);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    char p[96];
    snprintf(p, sizeof p, "/api/v1/duty-tasks/%lld/actions/done", tid);
    assert_int_equal(ws_req(&t.s, "POST", p, t.b, "{}", &r), 403);
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "POST", p, t.a, "{\"note\":\"接地电阻 2.1 Ω，合格\"}", NULL), 200);
    assert_int_equal(ws_req(&t.s, "POST", p, t.a, "{}", &r), 409);
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/duty-completion", t.admin, NULL, &r), 200);
    bool counted = false;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "items"), i, x)
        if (json_integer_value(json_object_get(x, "person_id")) == t.pa)
            counted = json_integer_value(json_object_get(x, "done")) == 1;
    assert_true(counted);
    json_decref(r);
    /* a major hazard installation: its three persons get their statutory duties */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"kind\":\"installation\",\"name\":\"甲醇罐区\",\"responsible_person_id\":%lld,"
             "\"major_hazard\":true,\"mh_principal_person_id\":%lld,\"mh_technical_person_id\":%lld,"
             "\"mh_operational_person_id\":%lld}", t.area, t.pc, t.pc, t.pb, t.pa);
    ws_post_id(&t.s, t.admin, "/api/v1/risk/objects", b);
    r = my_duties(&t, t.b, 1); /* the technical person: monthly */
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "frequency")),
                        "monthly");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "installation")),
                        "甲醇罐区");
    json_decref(r);
    r = my_duties(&t, t.a, 2); /* the operational person: his post's (done) and the weekly one */
    bool weekly = false;
    json_array_foreach(json_object_get(r, "items"), i, x)
        weekly |= !strcmp(json_string_value(json_object_get(x, "frequency")), "weekly") &&
                  strchr(json_string_value(json_object_get(x, "period")), 'W');
    assert_true(weekly);
    json_decref(r);
    /* the statutory duties cannot be switched off */
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/duties", t.admin, NULL, &r), 200);
    long long statutory = 0;
    json_array_foreach(json_object_get(r, "items"), i, x)
        if (json_is_true(json_object_get(x, "statutory"))) statutory = json_integer_value(json_object_get(x, "id"));
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/duties/%lld", statutory);
    assert_int_equal(ws_req(&t.s, "PATCH", p, t.admin, "{\"active\":false}", &r), 409);
    assert_string_equal(ws_err_field_of(r), "active");
    json_decref(r);
    ws_server_destroy(&t.s);
    ws_serve_extra[0] = NULL;
    ws_serve_extra[1] = NULL;
}

/* ISO weeks at the edges: 2026-12-31 (Thu) is 2026-W53, 2027-01-03 (Sun)
 * too, 2027-01-04 (Mon) is 2027-W01; 2026-01-01 (Thu) is 2026-W01. */
static void test_periods(void **state)
{
    (void)state;
    char key[16];
    int64_t end = 0;
    /* days since 1970-01-01 */
    assert_int_equal(duty_period("weekly", 20818, key, &end), 0); /* 2026-12-31 */
    assert_string_equal(key, "2026-W53");
    assert_int_equal(duty_period("weekly", 20821, key, &end), 0); /* 2027-01-03 */
    assert_string_equal(key, "2026-W53");
    assert_int_equal(end, 20822);
    assert_int_equal(duty_period("weekly", 20822, key, &end), 0); /* 2027-01-04 */
    assert_string_equal(key, "2027-W01");
    assert_int_equal(duty_period("weekly", 20454, key, &end), 0); /* 2026-01-01 */
    assert_string_equal(key, "2026-W01");
    assert_int_equal(duty_period("quarterly", 20818, key, &end), 0);
    assert_string_equal(key, "2026-Q4");
    assert_int_equal(end, 20819); /* 2027-01-01 */
    assert_int_equal(duty_period("monthly", 20513, key, &end), 0); /* 2026-03-01 */
    assert_string_equal(key, "2026-03");
    assert_int_equal(duty_period("hourly", 20513, key, &end), -1);
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
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_sqlite),
        cmocka_unit_test(test_postgres),
    };
    return cmocka_run_group_tests_name("duty", tests, NULL, NULL);
}
