/* test_permits.c — special-work permits over the wire, on SQLite and
 * PostgreSQL: the real server, real accounts linked to people and posts.
 *
 * A work-at-height permit (grade from its height, no night upgrade, so the
 * test does not depend on the hour) fails its pre-check for the worker's
 * missing certificate; submit answers 409 naming the rule with every
 * verdict; the certificate is registered (bad input named), the permit fixed
 * and submitted, approved by the workshop head, refused at check-in to
 * anyone but the guardian, activated by the guardian. With the conflict
 * matrix changed by the admin, a third permit in the same area is refused
 * at check-in naming the active one. The compliance report comes as JSON and
 * as xlsx; the certificate import refuses a bad row naming it and stores
 * nothing, then takes a good file; a bad holiday calendar is refused naming
 * the member; the QR code is an SVG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "integration/common.h"

typedef struct T {
    ws_server s;
    char admin[65], app[65], head[65], guard[65];
    long long ent, area, applicant, worker, guardian, head_p;
    char start[40], end[40];
} T;

static void account(T *t, const char *user, const char *role, long long person, char tok[65])
{
    char b[400];
    snprintf(b, sizeof b, "{\"username\":\"%s\",\"password\":\"Permit-Pass-2026\",\"roles\":[\"%s\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", user, role, t->ent, person);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, user, "Permit-Pass-2026", tok), 200);
}

static void iso(long long ms, char *out)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void setup(T *t, const char *backend)
{
    memset(t, 0, sizeof *t);
    const char *extra[] = {"--org-kind", "park", "--org-name", "作业票园区", NULL};
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
    snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"code\":\"workshop_head\",\"name\":\"车间主任\"}", t->ent);
    long long post = ws_post_id(&t->s, t->admin, "/api/v1/posts", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"申请人\"}", t->area);
    t->applicant = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"作业人\",\"employee_no\":\"E-0042\"}", t->area);
    t->worker = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"监护人\"}", t->area);
    t->guardian = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"车间主任\",\"post_ids\":[%lld]}", t->area, post);
    t->head_p = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    account(t, "app", "worker", t->applicant, t->app);
    account(t, "head", "dept_head", t->head_p, t->head);
    account(t, "guard", "grid_leader", t->guardian, t->guard);
    long long now = (long long)time(NULL) * 1000;
    iso(now - 60000, t->start);
    iso(now + 4 * 3600000LL, t->end);
    char until[40];
    iso(now + 400LL * 86400000, until);
    snprintf(b, sizeof b, "{\"person_id\":%lld,\"type\":\"guardian\",\"number\":\"JH-1\",\"expires_at\":\"%s\"}",
             t->guardian, until);
    ws_post_id(&t->s, t->admin, "/api/v1/certificates", b);
}

static long long height_permit_in(T *t, long long unit, const char *cert_no)
{
    char b[800];
    snprintf(b, sizeof b, "{\"type\":\"work_at_height\",\"unit_id\":%lld,\"title\":\"管廊保温修补\",\"location\":\"东侧管廊\","
             "\"height_m\":4,\"planned_start\":\"%s\",\"planned_end\":\"%s\",\"guardian_person_id\":%lld,"
             "\"workers\":[{\"person_id\":%lld,\"cert_type\":\"work_at_height\",\"cert_no\":\"%s\"}]}",
             unit, t->start, t->end, t->guardian, t->worker, cert_no);
    return ws_post_id(&t->s, t->app, "/api/v1/permits", b);
}

static long long height_permit(T *t, const char *cert_no) { return height_permit_in(t, t->area, cert_no); }

static long act(T *t, const char *tok, long long id, const char *action, const char *body, json_t **r)
{
    char p[96];
    snprintf(p, sizeof p, "/api/v1/permits/%lld/actions/%s", id, action);
    return ws_req(&t->s, "POST", p, tok, body ? body : "{}", r);
}

/* 属地: someone scoped to a grid of the area lists and reads the area's
 * permits and job packages, read only ("writable": false; an action is 404),
 * and not those of a sibling area; the applicant, scoped to the enterprise,
 * may still act. */
static void grid_reads_area(T *t, long long id)
{
    char b[400], p[96];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"grid\",\"code\":\"A1-G1\",\"name\":\"罐区一网格\"}", t->area);
    long long grid = ws_post_id(&t->s, t->admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A2\",\"name\":\"装卸区\"}", t->ent);
    long long other = ws_post_id(&t->s, t->admin, "/api/v1/units", b);
    long long elsewhere = height_permit_in(t, other, "GC-7788");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"网格员\"}", grid);
    long long person = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"username\":\"gridw\",\"password\":\"Permit-Pass-2026\",\"roles\":[\"worker\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", grid, person);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    char tok[65];
    assert_int_equal(ws_login(&t->s, "gridw", "Permit-Pass-2026", tok), 200);
    json_t *r = NULL, *x;
    size_t i;
    bool mine = false, theirs = false;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/permits?limit=200", tok, NULL, &r), 200);
    json_array_foreach(json_object_get(r, "items"), i, x) {
        long long pid = json_integer_value(json_object_get(x, "id"));
        mine |= pid == id;
        theirs |= pid == elsewhere;
    }
    json_decref(r);
    assert_true(mine);
    assert_false(theirs);
    snprintf(p, sizeof p, "/api/v1/permits/%lld", id);
    assert_int_equal(ws_req(&t->s, "GET", p, tok, NULL, &r), 200);
    assert_true(json_is_false(json_object_get(r, "writable")));
    json_decref(r);
    assert_int_equal(ws_req(&t->s, "GET", p, t->app, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r, "writable")));
    json_decref(r);
    assert_int_equal(act(t, tok, id, "suspend", "{\"reason\":\"看看\"}", &r), 404);
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/permits/%lld", elsewhere);
    assert_int_equal(ws_req(&t->s, "GET", p, tok, NULL, &r), 404);
    json_decref(r);
    /* a job package of the area reads too; one of another area does not */
    long long pk[2];
    for (int k = 0; k < 2; k++) {
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"检修作业包 %d\"}", k ? other : t->area, k);
        pk[k] = ws_post_id(&t->s, t->admin, "/api/v1/permit-packages", b);
        snprintf(p, sizeof p, "/api/v1/permit-packages/%lld", pk[k]);
        assert_int_equal(ws_req(&t->s, "GET", p, tok, NULL, &r), k ? 404 : 200);
        json_decref(r);
    }
}


static bool verdict_fails(json_t *verdicts, const char *rule)
{
    size_t i;
    json_t *v;
    json_array_foreach(verdicts, i, v)
        if (!strcmp(json_string_value(json_object_get(v, "rule")), rule) &&
            !strcmp(json_string_value(json_object_get(v, "result")), "fail"))
            return true;
    return false;
}

static void to_active(T *t, long long id)
{
    json_t *r = NULL;
    assert_int_equal(act(t, t->app, id, "submit", NULL, NULL), 200);
    assert_int_equal(act(t, t->app, id, "confirm_measures", NULL, NULL), 200);
    assert_int_equal(act(t, t->head, id, "approve", "{\"post\":\"workshop_head\"}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "approved");
    json_decref(r);
    assert_int_equal(act(t, t->guard, id, "check_in", NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "active");
    json_decref(r);
}

static void run(const char *backend)
{
    T t;
    setup(&t, backend);
    json_t *r = NULL;
    char p[256], b[800];
    /* the certificate is not on record: the pre-check says so, submit refuses naming it */
    long long id = height_permit(&t, "GC-7788");
    snprintf(p, sizeof p, "/api/v1/permits/%lld/precheck", id);
    assert_int_equal(ws_req(&t.s, "GET", p, t.app, NULL, &r), 200);
    assert_false(json_is_true(json_object_get(r, "ready")));
    assert_true(verdict_fails(json_object_get(r, "verdicts"), "certificate"));
    json_decref(r);
    assert_int_equal(act(&t, t.app, id, "submit", NULL, &r), 409);
    assert_string_equal(ws_err_field_of(r), "certificate");
    assert_true(verdict_fails(json_object_get(r, "verdicts"), "certificate"));
    json_decref(r);
    /* registering it: bad input named, then the real one */
    snprintf(b, sizeof b, "{\"person_id\":%lld,\"type\":\"work_at_height\",\"number\":\"GC-7788\"}", t.worker);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/certificates", t.admin, b, &r), 400);
    assert_string_equal(ws_err_field_of(r), "expires_at");
    json_decref(r);
    snprintf(b, sizeof b, "{\"person_id\":%lld,\"type\":\"flying\",\"number\":\"GC-7788\",\"expires_at\":\"%s\"}",
             t.worker, t.end);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/certificates", t.admin, b, &r), 400);
    assert_string_equal(ws_err_field_of(r), "type");
    json_decref(r);
    char until[40];
    iso((long long)time(NULL) * 1000 + 400LL * 86400000, until);
    snprintf(b, sizeof b, "{\"person_id\":%lld,\"type\":\"work_at_height\",\"number\":\"GC-7788\",\"expires_at\":\"%s\"}",
             t.worker, until);
    ws_post_id(&t.s, t.admin, "/api/v1/certificates", b);
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/certificates", t.admin, b, &r), 409);
    json_decref(r);
    /* now it goes through; only the guardian checks in */
    assert_int_equal(act(&t, t.app, id, "submit", NULL, NULL), 200);
    assert_int_equal(act(&t, t.app, id, "confirm_measures", NULL, NULL), 200);
    assert_int_equal(act(&t, t.app, id, "approve", "{\"post\":\"workshop_head\"}", &r), 403);
    json_decref(r);
    /* each action takes its own members: a misspelt one, or an opinion that is not text, is named */
    assert_int_equal(act(&t, t.head, id, "approve", "{\"post\":\"workshop_head\",\"opinon\":\"同意\"}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "opinon");
    json_decref(r);
    assert_int_equal(act(&t, t.head, id, "approve", "{\"post\":\"workshop_head\",\"opinion\":1}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "opinion");
    json_decref(r);
    assert_int_equal(act(&t, t.head, id, "approve", "{\"post\":\"workshop_head\"}", NULL), 200);
    assert_int_equal(act(&t, t.app, id, "check_in", "{\"reason\":\"x\"}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "reason");
    json_decref(r);
    assert_int_equal(act(&t, t.app, id, "check_in", NULL, &r), 403);
    assert_string_equal(ws_err_field_of(r), "guardian_person_id");
    json_decref(r);
    assert_int_equal(act(&t, t.guard, id, "check_in", NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "active");
    json_t *tl = json_object_get(r, "timeline");
    assert_int_equal(json_array_size(tl), 5); /* refusals leave no trace */
    /* who did each step, by name: the applicant first, the guardian last */
    assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 0), "actor_name")), "申请人");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 4), "actor_name")), "监护人");
    assert_true(json_is_object(json_object_get(r, "evidence")));
    json_decref(r);
    /* two height jobs at once are fine under the default matrix */
    long long second = height_permit(&t, "GC-7788");
    to_active(&t, second);
    /* the admin makes them conflict: a third is refused naming an active one */
    assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/permit-conflicts", t.admin,
                            "{\"items\":[{\"type_a\":\"work_at_height\",\"type_b\":\"work_at_height\","
                            "\"verdict\":\"refuse\",\"note\":\"同区交叉高处作业\"}]}", &r), 200);
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/permit-conflicts", t.admin,
                            "{\"items\":[{\"type_a\":\"work_at_height\",\"type_b\":\"ladder\",\"verdict\":\"refuse\"}]}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "items[0].type_b");
    json_decref(r);
    long long third = height_permit(&t, "GC-7788");
    assert_int_equal(act(&t, t.app, third, "submit", NULL, NULL), 200);
    assert_int_equal(act(&t, t.app, third, "confirm_measures", NULL, NULL), 200);
    assert_int_equal(act(&t, t.head, third, "approve", "{\"post\":\"workshop_head\"}", NULL), 200);
    assert_int_equal(act(&t, t.guard, third, "check_in", NULL, &r), 409);
    assert_string_equal(ws_err_field_of(r), "conflict");
    const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    assert_non_null(strstr(msg, "GC-"));
    json_decref(r);
    /* the compliance report, as JSON and as a workbook */
    snprintf(p, sizeof p, "/api/v1/permit-report?unit_id=%lld&from=%s&to=%s", t.area, t.start, t.end);
    assert_int_equal(ws_req(&t.s, "GET", p, t.admin, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "permits")), 3);
    json_decref(r);
    char *raw = NULL;
    strcat(p, "&format=xlsx");
    assert_int_equal(ws_http(&t.s, "GET", p, t.admin, NULL, 0, NULL, NULL, &raw), 200);
    assert_true(raw && raw[0] == 'P' && raw[1] == 'K');
    free(raw);
    /* the certificate import: a bad row refuses the file, naming it */
    snprintf(p, sizeof p, "/api/v1/certificates/import?enterprise_id=%lld", t.ent);
    const char *bad = "工号,证书类型,证书编号,有效期至\nE-0042,电工作业,DG-1,2030-01-01\nE-0042,电工作业,DG-2,someday\n";
    assert_int_equal(ws_http(&t.s, "POST", p, t.admin, bad, strlen(bad), "text/csv", &r, NULL), 400);
    assert_string_equal(ws_err_field_of(r), "file");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")), "row 3"));
    json_decref(r);
    snprintf(b, sizeof b, "/api/v1/certificates?person_id=%lld", t.worker);
    assert_int_equal(ws_req(&t.s, "GET", b, t.admin, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1); /* DG-1 was not kept */
    json_decref(r);
    const char *good = "工号,证书类型,证书编号,有效期至,发证机关\nE-0042,电工作业,DG-1,2030-01-01,应急管理局\n";
    assert_int_equal(ws_http(&t.s, "POST", p, t.admin, good, strlen(good), "text/csv", &r, NULL), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "imported")), 1);
    json_decref(r);
    /* Certificate numbers (an identity-card number inside) are whole in the
     * register for its keepers only: the applicant reads them masked, and so
     * does everyone in a permit; a permit given the type alone (or a masked
     * number read back) records the worker's certificate of that type. */
    snprintf(b, sizeof b, "/api/v1/certificates?person_id=%lld", t.worker);
    assert_int_equal(ws_req(&t.s, "GET", b, t.app, NULL, &r), 200);
    json_t *it;
    size_t k;
    int seen = 0;
    json_array_foreach(json_object_get(r, "items"), k, it) {
        const char *no = json_string_value(json_object_get(it, "number"));
        if (!strcmp(json_string_value(json_object_get(it, "type")), "work_at_height")) {
            assert_string_equal(no, "G*****8"); /* GC-7788 */
            seen++;
        }
    }
    assert_int_equal(seen, 1);
    json_decref(r);
    long long by_type = height_permit(&t, "");
    long long by_mask = height_permit(&t, "G*****8");
    for (int m = 0; m < 2; m++) {
        snprintf(p, sizeof p, "/api/v1/permits/%lld", m ? by_mask : by_type);
        assert_int_equal(ws_req(&t.s, "GET", p, t.admin, NULL, &r), 200);
        json_t *w0 = json_array_get(json_object_get(json_object_get(r, "record"), "workers"), 0);
        assert_string_equal(json_string_value(json_object_get(w0, "cert_no")), "G*****8");
        char *all = json_dumps(r, 0);
        assert_null(strstr(all, "GC-7788"));
        free(all);
        /* the register's certificate was found: the rule passes */
        const char *cert_rule = NULL;
        json_array_foreach(json_object_get(json_object_get(r, "verdicts"), "verdicts"), k, it)
            if (!strcmp(json_string_value(json_object_get(it, "rule")), "certificate"))
                cert_rule = json_string_value(json_object_get(it, "result"));
        assert_non_null(cert_rule);
        assert_string_equal(cert_rule, "pass");
        json_decref(r);
    }
    /* a bad calendar is refused naming the member */
    assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/holiday-calendars/2031", t.admin,
                            "{\"year\":2031,\"source\":\"国办发明电\",\"holidays\":[{\"from\":\"2031-02-30\",\"to\":\"2031-03-01\",\"name\":\"x\"}]}",
                            &r), 400);
    assert_non_null(strstr(ws_err_field_of(r), "holidays"));
    json_decref(r);
    /* the types as data: the lifecycle is the same locked one; hot work has its chain */
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/permit-types", t.app, NULL, &r), 200);
    json_t *hot = json_array_get(json_object_get(r, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(hot, "type")), "hot_work");
    assert_true(json_is_true(json_object_get(hot, "gas_analysis")));
    assert_true(json_array_size(json_object_get(hot, "statutory_measures")) >= 5);
    assert_true(json_array_size(json_object_get(hot, "rules")) >= 8);
    json_decref(r);
    /* the QR code of the permit */
    snprintf(p, sizeof p, "/api/v1/permits/%lld/qr.svg", id);
    assert_int_equal(ws_http(&t.s, "GET", p, t.app, NULL, 0, NULL, NULL, &raw), 200);
    assert_non_null(raw && strstr(raw, "<svg") ? raw : NULL);
    free(raw);
    grid_reads_area(&t, id);
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
    return cmocka_run_group_tests_name("permits", tests, NULL, NULL);
}
