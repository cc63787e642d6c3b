/* test_taskforce.c — task forces over the wire, on SQLite and PostgreSQL.
 *
 * A 重大 hidden danger reported over HTTP forms a task force by itself
 * within seconds (the server's 5 s timer), with a member from each
 * department the rules name — the department's manager where it has one —
 * and one task each; a budget task is done only with its amount; a task is
 * closed by its own assignee (a worker account) but not by another worker;
 * the force closes when its last task does and then takes no new task. A
 * serious incident forms its force at once, a minor one none; a force forms
 * once per source. The rules are data: replaced by the admin, a bad rule is
 * named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integration/common.h"

typedef struct T {
    ws_server s;
    char admin[65], fin[65], other[65];
    long long ent, area, dept[8], people[8], manager;
} T;

static const char *const depts[] = {"safety", "production", "equipment", "technology", "finance"};

static long long dept_id(T *t, const char *code)
{
    json_t *r = NULL;
    char p[128];
    snprintf(p, sizeof p, "/api/v1/departments?enterprise_id=%lld&limit=50", t->ent);
    assert_int_equal(ws_req(&t->s, "GET", p, t->admin, NULL, &r), 200);
    long long id = 0;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(r, "items"), i, d)
        if (!strcmp(json_string_value(json_object_get(d, "code")), code)) id = json_integer_value(json_object_get(d, "id"));
    json_decref(r);
    assert_true(id > 0);
    return id;
}

static void setup(T *t, const char *backend)
{
    memset(t, 0, sizeof *t);
    const char *extra[] = {"--org-kind", "park", "--org-name", "专项组园区", NULL};
    assert_int_equal(ws_server_start(&t->s, backend, extra), 0);
    assert_int_equal(ws_login(&t->s, "admin", WS_ADMIN_PW, t->admin), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/me", t->admin, NULL, &r), 200);
    long long park = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[512];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E1\",\"name\":\"化工\"}", park);
    t->ent = ws_post_id(&t->s, t->admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A1\",\"name\":\"罐区\"}", t->ent);
    t->area = ws_post_id(&t->s, t->admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"code\":\"dept_manager\",\"name\":\"部门经理\"}", t->ent);
    long long mgr_post = ws_post_id(&t->s, t->admin, "/api/v1/posts", b);
    for (int i = 0; i < 5; i++) {
        t->dept[i] = dept_id(t, depts[i]);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"department_id\":%lld,\"name\":\"%s员\"}", t->area, t->dept[i], depts[i]);
        t->people[i] = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    }
    /* production has a manager, created after its first person: the manager is chosen */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"department_id\":%lld,\"name\":\"生产经理\",\"post_ids\":[%lld]}",
             t->area, t->dept[1], mgr_post);
    t->manager = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"username\":\"fin\",\"password\":\"Force-Pass-2026\",\"roles\":[\"worker\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", t->ent, t->people[4]);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, "fin", "Force-Pass-2026", t->fin), 200);
    snprintf(b, sizeof b, "{\"username\":\"other\",\"password\":\"Force-Pass-2026\",\"roles\":[\"worker\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", t->ent, t->people[0]);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, "other", "Force-Pass-2026", t->other), 200);
}

/* The force of source (kind, id), waiting up to 15 s; 0 when none. */
static long long force_of(T *t, const char *kind, long long id, int wait_s)
{
    for (int i = 0; i <= wait_s * 4; i++) {
        json_t *r = NULL;
        assert_int_equal(ws_req(&t->s, "GET", "/api/v1/task-forces?limit=200", t->admin, NULL, &r), 200);
        long long found = 0;
        int n = 0;
        size_t k;
        json_t *f;
        json_array_foreach(json_object_get(r, "items"), k, f)
            if (!strcmp(json_string_value(json_object_get(f, "source_kind")), kind) &&
                json_integer_value(json_object_get(f, "source_id")) == id) {
                found = json_integer_value(json_object_get(f, "id"));
                n++;
            }
        json_decref(r);
        assert_true(n <= 1); /* one force per source */
        if (found || i == wait_s * 4) return found;
        ws_server_tick(&t->s); /* the main and the task-force timers run now */
        usleep(250000);
    }
    return 0;
}

static long act(T *t, const char *tok, long long task, const char *action, const char *body, json_t **r)
{
    char p[96];
    snprintf(p, sizeof p, "/api/v1/task-force-tasks/%lld/actions/%s", task, action);
    return ws_req(&t->s, "POST", p, tok, body, r);
}

static void run(const char *backend)
{
    T t;
    setup(&t, backend);
    json_t *r = NULL;
    char b[600], p[96];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"T-101 罐顶呼吸阀严重腐蚀\",\"accident_type\":\"13\","
             "\"grade\":\"major\"}", t.area);
    long long hazard = ws_post_id(&t.s, t.admin, "/api/v1/hazards", b);
    long long force = force_of(&t, "hazard", hazard, 15);
    assert_true(force > 0);
    snprintf(p, sizeof p, "/api/v1/task-forces/%lld", force);
    assert_int_equal(ws_req(&t.s, "GET", p, t.admin, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "open");
    json_t *tasks = json_object_get(r, "tasks"), *members = json_object_get(r, "members");
    assert_int_equal(json_array_size(tasks), 5);
    /* one member per department; production's is its manager */
    long long budget = 0, fin_task = 0, first = 0;
    bool manager_in = false, first_production_in = false;
    size_t i;
    json_t *x;
    json_array_foreach(members, i, x) {
        long long pid = json_integer_value(json_object_get(x, "person_id"));
        manager_in |= pid == t.manager;
        first_production_in |= pid == t.people[1];
    }
    assert_true(manager_in);
    assert_false(first_production_in);
    json_array_foreach(tasks, i, x) {
        long long id = json_integer_value(json_object_get(x, "id"));
        if (!first) first = id;
        if (!strcmp(json_string_value(json_object_get(x, "kind")), "budget")) budget = id;
        if (json_integer_value(json_object_get(x, "assignee_person_id")) == t.people[4]) fin_task = id;
    }
    assert_true(budget > 0 && budget == fin_task);
    json_decref(r);
    /* the finance person closes the budget task, with its amount; another worker may not */
    assert_int_equal(act(&t, t.other, budget, "done", "{\"amount\":150000}", &r), 403);
    json_decref(r);
    assert_int_equal(act(&t, t.fin, budget, "done", "{\"note\":\"已批\"}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "amount");
    json_decref(r);
    assert_int_equal(act(&t, t.fin, budget, "done", "{\"amount\":150000,\"note\":\"治理资金 15 万元已批\"}", NULL), 200);
    assert_int_equal(act(&t, t.fin, budget, "done", "{\"amount\":1}", &r), 409);
    json_decref(r);
    assert_int_equal(act(&t, t.admin, first, "cancel", "{}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "note");
    json_decref(r);
    /* the rest by the admin: the force closes with the last */
    assert_int_equal(ws_req(&t.s, "GET", p, t.admin, NULL, &r), 200);
    json_array_foreach(json_object_get(r, "tasks"), i, x) {
        if (strcmp(json_string_value(json_object_get(x, "state")), "open")) continue;
        long long id = json_integer_value(json_object_get(x, "id"));
        const char *body = !strcmp(json_string_value(json_object_get(x, "kind")), "budget") ? "{\"amount\":1}" : "{\"note\":\"ok\"}";
        assert_int_equal(act(&t, t.admin, id, "done", body, NULL), 200);
    }
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "GET", p, t.admin, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "closed");
    json_decref(r);
    snprintf(b, sizeof b, "/api/v1/task-forces/%lld/tasks", force);
    assert_int_equal(ws_req(&t.s, "POST", b, t.admin, "{\"title\":\"补一项\"}", &r), 409);
    json_decref(r);
    /* still one force for the hazard after more timer passes */
    for (int pass = 0; pass < 3; pass++) {
        ws_server_tick(&t.s);
        usleep(300000);
    }
    assert_int_equal(force_of(&t, "hazard", hazard, 0), force);
    /* incidents: serious forms at once, minor none; bad input named */
    char at[40];
    time_t now = time(NULL) - 600;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"泵房甲醇泄漏一人轻度中毒\",\"occurred_at\":\"%s\","
             "\"severity\":\"serious\",\"people_affected\":3,\"injuries\":1}", t.area, at);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/incidents", t.other, b, &r), 201);
    assert_true(json_integer_value(json_object_get(r, "task_force_id")) > 0);
    json_decref(r);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"手指划伤\",\"occurred_at\":\"%s\",\"severity\":\"minor\"}",
             t.area, at);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/incidents", t.other, b, &r), 201);
    assert_true(json_is_null(json_object_get(r, "task_force_id")));
    json_decref(r);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"x\",\"occurred_at\":\"%s\",\"severity\":\"bad\"}", t.area, at);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/incidents", t.other, b, &r), 400);
    assert_string_equal(ws_err_field_of(r), "severity");
    json_decref(r);
    /* a drill: played out as if real (a force marked as a drill, a 【演练】 紧急 alarm), measured, and
     * set next to the earlier drill of the scenario */
    long long drills[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        snprintf(b, sizeof b, "{\"scenario\":\"h2s_leak\",\"unit_id\":%lld}", t.area);
        assert_int_equal(ws_req(&t.s, "POST", "/api/v1/drills", t.admin, b, &r), 201);
        drills[k] = json_integer_value(json_object_get(r, "id"));
        long long df = json_integer_value(json_object_get(r, "force_id"));
        assert_true(json_is_object(json_object_get(r, "alarm")));
        assert_int_equal(json_array_size(json_object_get(r, "steps")), 4);
        assert_int_equal(json_array_size(json_object_get(r, "earlier")), (size_t)k);
        json_decref(r);
        snprintf(p, sizeof p, "/api/v1/task-forces/%lld", df);
        assert_int_equal(ws_req(&t.s, "GET", p, t.admin, NULL, &r), 200);
        assert_true(json_is_true(json_object_get(r, "drill")));
        assert_non_null(strstr(json_string_value(json_object_get(r, "title")), "【演练】"));
        json_array_foreach(json_object_get(r, "tasks"), i, x)
            assert_int_equal(act(&t, t.admin, json_integer_value(json_object_get(x, "id")), "done", "{\"note\":\"演练完成\"}", NULL), 200);
        json_decref(r);
    }
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?state=open&limit=200", t.admin, NULL, &r), 200);
    int drill_alarms = 0;
    json_array_foreach(json_object_get(r, "items"), i, x)
        drill_alarms += strstr(json_string_value(json_object_get(x, "title")), "【演练】") != NULL;
    assert_int_equal(drill_alarms, 2);
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/drills/%lld", drills[1]);
    assert_int_equal(ws_req(&t.s, "GET", p, t.admin, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "closed");
    assert_true(json_number_value(json_object_get(r, "total_seconds")) >= 0);
    json_t *earlier = json_array_get(json_object_get(r, "earlier"), 0);
    assert_int_equal(json_integer_value(json_object_get(earlier, "id")), drills[0]);
    assert_string_equal(json_string_value(json_object_get(earlier, "state")), "closed");
    json_decref(r);
    snprintf(b, sizeof b, "{\"scenario\":\"volcano\",\"unit_id\":%lld}", t.area);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/drills", t.admin, b, &r), 400);
    assert_string_equal(ws_err_field_of(r), "scenario");
    json_decref(r);
    /* rules as data */
    assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/task-force-rules", t.admin,
                            "{\"items\":[{\"trigger\":\"fire\",\"department_code\":\"safety\",\"task_title\":\"x\","
                            "\"task_kind\":\"action\",\"due_hours\":1}]}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "items[0].trigger");
    json_decref(r);
    ws_server_destroy(&t.s);
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
    return cmocka_run_group_tests_name("taskforce", tests, NULL, NULL);
}
