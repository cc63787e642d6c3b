/* test_input.c — bad input over the wire, on SQLite and PostgreSQL: malformed
 * JSON, wrong types, missing and unknown fields, duplicate keys, oversized
 * bodies and fields, bad UTF-8 (in a body or a query parameter) and a wrong
 * content type each get a 4xx whose envelope names the field, and nothing is
 * written (the unit list and the evidence log are unchanged). Also: unknown
 * routes and methods, and the routes that read their body member by member
 * (found by a sweep of every route with bad input, 2026-12-01). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/common.h"

static size_t count_units(ws_server *s, const char *tok)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "GET", "/api/v1/units?limit=200", tok, NULL, &r), 200);
    size_t n = json_array_size(json_object_get(r, "items"));
    json_decref(r);
    return n;
}

static long log_size(ws_server *s, const char *tok)
{
    char *note = NULL;
    assert_int_equal(ws_http(s, "GET", "/api/v1/audit/checkpoint", tok, NULL, 0, NULL, NULL, &note), 200);
    long n = -1;
    const char *nl = strchr(note, '\n');
    if (nl) n = strtol(nl + 1, NULL, 10);
    free(note);
    return n;
}

typedef struct bad_case {
    const char *name;
    const char *body; /* "%lld" is replaced by the root unit id */
    long status;
    const char *field;
} bad_case;

static void bad_bodies_name_the_field(void **state)
{
    static const bad_case cases[] = {
        {"malformed", "{\"parent_id\":%lld,", 400, "body"},
        {"not an object", "[1,2,3]", 400, "body"},
        {"wrong type", "{\"parent_id\":\"%lld\",\"kind\":\"site\",\"code\":\"X1\",\"name\":\"n\"}", 400, "parent_id"},
        {"wrong type string", "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":7,\"name\":\"n\"}", 400, "code"},
        {"missing", "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"X1\"}", 400, "name"},
        {"unknown", "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"X1\",\"name\":\"n\",\"colour\":\"red\"}", 400, "colour"},
        {"duplicate key", "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"X1\",\"code\":\"X2\",\"name\":\"n\"}", 400, "body"},
        {"bad utf-8", "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"X1\",\"name\":\"\xff\xfe\"}", 400, "body"},
        {"bad kind", "{\"parent_id\":%lld,\"kind\":\"galaxy\",\"code\":\"X1\",\"name\":\"n\"}", 400, "kind"},
        {"bad tz", "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"X1\",\"name\":\"n\",\"tz\":\"Mars/Base\"}", 400, "tz"},
        {"empty", "", 400, "body"},
    };
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        char tok[65];
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        size_t units = count_units(&s, tok);
        long size = log_size(&s, tok);
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            char body[512];
            snprintf(body, sizeof body, cases[i].body, root);
            long st = ws_http(&s, "POST", "/api/v1/units", tok, body, strlen(body), NULL, &r, NULL);
            if (st != cases[i].status || strcmp(ws_err_field_of(r), cases[i].field) != 0)
                fail_msg("%s: %s: status %ld field '%s' (want %ld '%s')", be[b], cases[i].name, st,
                         ws_err_field_of(r), cases[i].status, cases[i].field);
            assert_true(strlen(json_string_value(json_object_get(json_object_get(r, "error"), "message"))) > 0);
            json_decref(r);
        }
        /* A string one byte over its cap: refused, not truncated. */
        char big[1200];
        char name[300];
        memset(name, 'a', 201);
        name[201] = 0;
        snprintf(big, sizeof big, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"X1\",\"name\":\"%s\"}", root, name);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/units", tok, big, &r), 400);
        assert_string_equal(ws_err_field_of(r), "name");
        json_decref(r);
        /* An oversized body: 413, naming the body. */
        size_t n = 3u << 20;
        char *huge = malloc(n + 1);
        memset(huge, ' ', n);
        huge[0] = '{';
        huge[n - 1] = '}';
        huge[n] = 0;
        assert_int_equal(ws_http(&s, "POST", "/api/v1/units", tok, huge, n, NULL, &r, NULL), 413);
        assert_string_equal(ws_err_code_of(r), "too_large");
        json_decref(r);
        free(huge);
        /* A body that is not JSON by its content type. */
        assert_int_equal(ws_http(&s, "POST", "/api/v1/units", tok, "a,b", 3, "text/csv", &r, NULL), 415);
        json_decref(r);
        /* Nothing was written by any of them. */
        assert_int_equal(count_units(&s, tok), units);
        assert_int_equal(log_size(&s, tok), size);

        /* Login with wrong types names the field and writes no session. */
        assert_int_equal(ws_req(&s, "POST", "/api/v1/auth/login", NULL, "{\"username\":1,\"password\":\"x\"}", &r), 400);
        assert_string_equal(ws_err_field_of(r), "username");
        json_decref(r);
        /* A query parameter that is not UTF-8 names itself (PostgreSQL refused
         * such text with a 500 on every list with a search term). */
        static const char *const lists[] = {"/api/v1/alarms?q=%FF", "/api/v1/people?q=%C3%28",
                                            "/api/v1/points?q=%ED%A0%80", "/api/v1/devices?q=%FF",
                                            "/api/v1/hazards?q=%FF", "/api/v1/units?code=%FF"};
        for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
            long st = ws_req(&s, "GET", lists[i], tok, NULL, &r);
            const char *want = i == 5 ? "code" : "q";
            if (st != 400 || strcmp(ws_err_field_of(r), want))
                fail_msg("%s: %s: status %ld field '%s'", be[b], lists[i], st, ws_err_field_of(r));
            json_decref(r);
        }
        assert_int_equal(ws_req(&s, "GET", "/api/v1/units?%FF=1", tok, NULL, &r), 400);
        assert_string_equal(ws_err_field_of(r), "query");
        json_decref(r);
        /* Unknown routes and methods. */
        assert_int_equal(ws_req(&s, "GET", "/api/v1/no-such-thing", tok, NULL, &r), 404);
        assert_string_equal(ws_err_code_of(r), "not_found");
        json_decref(r);
        assert_int_equal(ws_req(&s, "DELETE", "/api/v1/me", tok, NULL, &r), 405);
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/units/abc", tok, NULL, &r), 404);
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/units/99999999", tok, NULL, &r), 404);
        json_decref(r);
        ws_server_destroy(&s);
    }
}

/* One request and the status and field it must get. */
static void expect(ws_server *s, const char *tok, const char *method, const char *path, const char *body,
                   const char *type, long status, const char *field)
{
    json_t *r = NULL;
    long st = ws_http(s, method, path, tok, body, strlen(body), type, &r, NULL);
    if (st != status || (field && strcmp(ws_err_field_of(r), field)))
        fail_msg("%s %s %s: status %ld field '%s' (want %ld '%s')", method, path, body, st, ws_err_field_of(r), status,
                 field ? field : "");
    json_decref(r);
}

/* Routes that read their body member by member (permits, task forces,
 * incidents, the conflict matrix, hazard actions, crews): a wrong type is refused
 * by name, never read as "none" or as empty text; a body that is not JSON
 * by its Content-Type is 415; a member with an empty name names the body;
 * query dates and the values of the plant lists' filters are checked. On SQLite only: this is the API layer, the same
 * on both backends. */
static void hand_read_bodies(void **state)
{
    (void)state;
    ws_server s;
    const char *park[] = {"--org-kind", "park", "--org-name", "输入园区", NULL};
    assert_int_equal(ws_server_start(&s, "sqlite", park), 0);
    char tok[65], b[900];
    assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
    long long root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E9\",\"name\":\"输入化工\"}", root);
    long long ent = ws_post_id(&s, tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A9\",\"name\":\"罐区\"}", ent);
    long long area = ws_post_id(&s, tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"申请人\"}", area);
    long long p1 = ws_post_id(&s, tok, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"监护人\"}", area);
    long long p2 = ws_post_id(&s, tok, "/api/v1/people", b);
    /* permits: an id that is text, a certificate number that is a number */
    const char *permit = "{\"type\":\"hot_work\",\"grade\":\"2\",\"unit_id\":%lld,\"title\":\"动火\",\"location\":\"T-1\","
                         "\"planned_start\":\"2030-01-10T08:00:00+08:00\",\"planned_end\":\"2030-01-10T12:00:00+08:00\","
                         "\"applicant_person_id\":%lld,\"guardian_person_id\":%lld,%s}";
    snprintf(b, sizeof b, permit, area, p1, p2, "\"package_id\":\"7\"");
    expect(&s, tok, "POST", "/api/v1/permits", b, NULL, 400, "package_id");
    snprintf(b, sizeof b, permit, area, p1, p2, "\"package_id\":0");
    expect(&s, tok, "POST", "/api/v1/permits", b, NULL, 400, "package_id");
    char w[200];
    snprintf(w, sizeof w, "\"workers\":[{\"person_id\":%lld,\"cert_type\":\"welding_cutting\",\"cert_no\":12345}]", p1);
    snprintf(b, sizeof b, permit, area, p1, p2, w);
    expect(&s, tok, "POST", "/api/v1/permits", b, NULL, 400, "workers[0].cert_no");
    snprintf(w, sizeof w, "\"workers\":[{\"person_id\":%lld,\"cert_type\":{\"a\":1},\"cert_no\":\"T1\"}]", p1);
    snprintf(b, sizeof b, permit, area, p1, p2, w);
    expect(&s, tok, "POST", "/api/v1/permits", b, NULL, 400, "workers[0].cert_type");
    snprintf(b, sizeof b, permit, area, p1, p2, "\"package_id\":null");
    expect(&s, tok, "POST", "/api/v1/permits", b, "text/plain", 415, "Content-Type");
    expect(&s, tok, "POST", "/api/v1/permits", b, "application/jsonx", 415, "Content-Type");
    /* task forces: an assignee that is text */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"专项组\"}", area);
    long long force = ws_post_id(&s, tok, "/api/v1/task-forces", b);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/task-forces/%lld/tasks", force);
    expect(&s, tok, "POST", path, "{\"title\":\"t\",\"assignee_person_id\":\"12\"}", NULL, 400, "assignee_person_id");
    expect(&s, tok, "POST", path, "{\"title\":\"t\",\"department_id\":[1]}", NULL, 400, "department_id");
    /* incidents and hazard actions: a member with an empty name */
    expect(&s, tok, "POST", "/api/v1/incidents", "{\"\":1}", NULL, 400, "body");
    snprintf(b, sizeof b, "{\"unit_id\":\"%lld\",\"title\":\"t\",\"severity\":\"minor\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", area);
    expect(&s, tok, "POST", "/api/v1/incidents", b, NULL, 400, "unit_id");
    /* the conflict matrix keeps its notes */
    const char *cm = "{\"items\":[{\"type_a\":\"hot_work\",\"type_b\":\"lifting\",\"verdict\":\"refuse\",\"note\":\"吊装区域内不得动火\"}]}";
    r = NULL;
    assert_int_equal(ws_req(&s, "PUT", "/api/v1/permit-conflicts", tok, cm, &r), 200);
    const char *note = json_string_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "note"));
    if (!note || strcmp(note, "吊装区域内不得动火")) fail_msg("the conflict note came back as '%s'", note ? note : "(null)");
    json_decref(r);
    /* crews (班组): members and days read one by one; nothing made on a refusal */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"甲班\",\"members\":[7]}", area);
    expect(&s, tok, "POST", "/api/v1/crews", b, NULL, 400, "members[0]");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"甲班\",\"members\":[{\"person_id\":\"%lld\",\"role\":\"operator\"}]}", area, p1);
    expect(&s, tok, "POST", "/api/v1/crews", b, NULL, 400, "members[0].person_id");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"甲班\",\"members\":[{\"person_id\":%lld,\"role\":1}]}", area, p1);
    expect(&s, tok, "POST", "/api/v1/crews", b, NULL, 400, "members[0].role");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"甲班\",\"members\":[]}", area);
    expect(&s, tok, "POST", "/api/v1/crews", b, NULL, 400, "members");
    expect(&s, tok, "GET", "/api/v1/crews", "", NULL, 200, NULL);
    r = NULL;
    assert_int_equal(ws_req(&s, "GET", "/api/v1/crews", tok, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"甲班\",\"members\":[{\"person_id\":%lld,\"role\":\"grid_leader\"}]}", area, p1);
    long long crew = ws_post_id(&s, tok, "/api/v1/crews", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"白班\",\"start\":\"08:00\",\"length_min\":720}", area);
    long long shift = ws_post_id(&s, tok, "/api/v1/shifts", b);
    snprintf(path, sizeof path, "/api/v1/crews/%lld/actions/schedule", crew);
    snprintf(b, sizeof b, "{\"shift_id\":%lld,\"days\":[\"2026-03-10\",20260311]}", shift);
    expect(&s, tok, "POST", path, b, NULL, 400, "days[1]");
    snprintf(b, sizeof b, "{\"shift_id\":\"%lld\",\"days\":[\"2026-03-10\"]}", shift);
    expect(&s, tok, "POST", path, b, NULL, 400, "shift_id");
    snprintf(b, sizeof b, "{\"entries\":[{\"shift_id\":%lld,\"person_id\":%lld,\"day\":\"2026-03-10\",\"role\":\"operator\",\"crew_id\":\"%lld\"}]}",
             shift, p2, crew);
    expect(&s, tok, "POST", "/api/v1/roster-entries", b, NULL, 400, "entries[0].crew_id");
    snprintf(b, sizeof b, "{\"shift_id\":%lld,\"days\":[\"2026-03-10\"]}", shift);
    expect(&s, tok, "POST", path, b, NULL, 200, NULL);
    r = NULL;
    assert_int_equal(ws_req(&s, "GET", "/api/v1/roster-entries", tok, NULL, &r), 200);
    json_t *e0 = json_array_get(json_object_get(r, "items"), 0);
    if (json_array_size(json_object_get(r, "items")) != 1 || json_integer_value(json_object_get(e0, "crew_id")) != crew ||
        strcmp(json_string_value(json_object_get(e0, "crew_name")), "甲班"))
        fail_msg("the roster after the crew's schedule is not its one entry named 甲班");
    json_decref(r);
    /* query dates and the person filter of the roster */
    expect(&s, tok, "GET", "/api/v1/roster-entries?to=2026-13-45", "", NULL, 400, "to");
    expect(&s, tok, "GET", "/api/v1/roster-entries?from=yesterday", "", NULL, 400, "from");
    expect(&s, tok, "GET", "/api/v1/roster-entries?person_id=abc", "", NULL, 400, "person_id");
    /* an unknown value of a list filter is an error, not an empty list */
    expect(&s, tok, "GET", "/api/v1/work-orders?state=abc", "", NULL, 400, "state");
    expect(&s, tok, "GET", "/api/v1/work-orders?kind=abc", "", NULL, 400, "kind");
    expect(&s, tok, "GET", "/api/v1/equipment?status=abc", "", NULL, 400, "status");
    expect(&s, tok, "GET", "/api/v1/bypasses?state=abc", "", NULL, 400, "state");
    expect(&s, tok, "GET", "/api/v1/roster-entries?role=abc", "", NULL, 400, "role");
    expect(&s, tok, "GET", "/api/v1/bypasses?state=active", "", NULL, 200, NULL);
    expect(&s, tok, "GET", "/api/v1/permits?state=abc", "", NULL, 400, "state");
    expect(&s, tok, "GET", "/api/v1/permits?state=open", "", NULL, 200, NULL);
    expect(&s, tok, "GET", "/api/v1/notify/outbox?state=abc", "", NULL, 400, "state");
    expect(&s, tok, "GET", "/api/v1/points?kind=abc", "", NULL, 400, "kind");
    expect(&s, tok, "GET", "/api/v1/devices?kind=abc", "", NULL, 400, "kind");
    expect(&s, tok, "GET", "/api/v1/risk/objects?kind=abc", "", NULL, 400, "kind");
    expect(&s, tok, "GET", "/api/v1/points?kind=combustible", "", NULL, 200, NULL);
    /* a parameter given twice: which one counts would be the server's guess */
    expect(&s, tok, "GET", "/api/v1/hazards?state=closed&state=rectifying", "", NULL, 400, "state");
    expect(&s, tok, "GET", "/api/v1/alarms?limit=5&limit=5", "", NULL, 400, "limit");
    /* hazard states are workflow data: checked against the lifecycle in force */
    expect(&s, tok, "GET", "/api/v1/hazards?state=abc", "", NULL, 400, "state");
    expect(&s, tok, "GET", "/api/v1/hazards?state=rectifying", "", NULL, 200, NULL);
    expect(&s, tok, "GET", "/api/v1/hazards?state=abc&format=csv", "", NULL, 400, "state");
    ws_server_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_bodies_name_the_field),
        cmocka_unit_test(hand_read_bodies),
    };
    return cmocka_run_group_tests_name("input", tests, NULL, NULL);
}
