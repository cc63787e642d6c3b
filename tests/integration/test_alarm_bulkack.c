/* test_alarm_bulkack.c — acknowledging several alarms in one request
 * (POST /api/v1/alarms/actions/ack, the alarm console's "acknowledge the
 * selected"), over the wire against the real server, on SQLite and
 * PostgreSQL:
 *
 *  - alarms raised by readings in two areas; a safety officer scoped to one
 *    acknowledges two of them at once: both are acknowledged by her person,
 *    each with its own ack event, and the third is left alone;
 *  - bad bodies (no ids, an empty list, a non-id, more than 200, an id
 *    twice, not a list) are refused with 400 naming "ids"; an alarm outside
 *    her scope or unknown is a 404 naming "ids", and none of the list is
 *    acknowledged; a regulator (no alarm.ack) gets 403;
 *  - an alarm already acknowledged, or closed, comes back in "skipped";
 *  - the literal route is not taken for /api/v1/alarms/{id};
 *  - on SQLite, 200 alarms in one request (the cap) are all acknowledged;
 *    the time is printed (the release build's figure is in
 *    docs/internals/alarm.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "integration/common.h"

#define PW "Bulk-Pass-2026"

typedef struct T {
    ws_server s;
    char admin[65], officer[65], reg[65];
    long long area_a, area_b, person;
} T;

static long long unit(T *t, long long parent, const char *code, const char *name)
{
    char b[256];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"%s\",\"name\":\"%s\"}", parent, code,
             name);
    return ws_post_id(&t->s, t->admin, "/api/v1/units", b);
}

static void point(T *t, long long area, const char *tag)
{
    char b[256];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"%s\",\"name\":\"%s\",\"kind\":\"combustible\"}", area, tag,
             tag);
    ws_post_id(&t->s, t->admin, "/api/v1/points", b);
}

static void ingest(T *t, const char *lines)
{
    json_t *r = NULL;
    long st = ws_http(&t->s, "POST", "/api/v1/ingest", t->admin, lines, strlen(lines), "text/plain", &r, NULL);
    if (st != 200) fail_msg("ingest -> %ld %s", st, ws_err_field_of(r));
    json_decref(r);
}

/* The id of the open alarm of tag (0 when none). */
static long long alarm_of(T *t, const char *tag)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/alarms?state=open&limit=500", t->admin, NULL, &r), 200);
    long long id = 0;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r, "items"), i, a) {
        const char *g = json_string_value(json_object_get(a, "tag"));
        if (g && !strcmp(g, tag)) id = json_integer_value(json_object_get(a, "id"));
    }
    json_decref(r);
    return id;
}

/* GET /api/v1/alarms/{id} as the admin; caller decrefs. */
static json_t *get_alarm(T *t, long long id)
{
    char p[64];
    json_t *r = NULL;
    snprintf(p, sizeof p, "/api/v1/alarms/%lld", id);
    assert_int_equal(ws_req(&t->s, "GET", p, t->admin, NULL, &r), 200);
    return r;
}

static void assert_state(T *t, long long id, const char *want)
{
    json_t *r = get_alarm(t, id);
    const char *st = json_string_value(json_object_get(r, "state"));
    if (!st || strcmp(st, want)) fail_msg("alarm %lld is %s, not %s", id, st ? st : "(none)", want);
    json_decref(r);
}

static long bulk(T *t, const char *tok, const char *body, json_t **r)
{
    return ws_req(&t->s, "POST", "/api/v1/alarms/actions/ack", tok, body, r);
}

/* A refused body: status and field. */
static void refused(T *t, const char *body, long status, const char *field)
{
    json_t *r = NULL;
    long st = bulk(t, t->officer, body, &r);
    if (st != status || strcmp(ws_err_field_of(r), field))
        fail_msg("%.80s -> %ld field \"%s\" (want %ld \"%s\")", body, st, ws_err_field_of(r), status, field);
    json_decref(r);
}

static bool has_id(json_t *arr, long long id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_integer_value(v) == id) return true;
    return false;
}

static void setup(T *t, const char *backend)
{
    memset(t, 0, sizeof *t);
    const char *extra[] = {"--org-kind", "enterprise", "--org-name", "批量确认化工", NULL};
    assert_int_equal(ws_server_start(&t->s, backend, extra), 0);
    assert_int_equal(ws_login(&t->s, "admin", WS_ADMIN_PW, t->admin), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/me", t->admin, NULL, &r), 200);
    long long ent = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    t->area_a = unit(t, ent, "TA", "罐区");
    t->area_b = unit(t, ent, "LD", "装卸区");
    char b[512];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"李安全\"}", t->area_a);
    t->person = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"username\":\"so_a\",\"password\":\"" PW "\",\"roles\":[\"safety_officer\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", t->area_a, t->person);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, "so_a", PW, t->officer), 200);
    snprintf(b, sizeof b, "{\"username\":\"reg\",\"password\":\"" PW "\",\"roles\":[\"regulator\"],"
             "\"scope_unit_id\":%lld}", ent);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, "reg", PW, t->reg), 200);
}

static void bulk_ack(const char *backend)
{
    T t;
    setup(&t, backend);
    point(&t, t.area_a, "GT-A1");
    point(&t, t.area_a, "GT-A2");
    point(&t, t.area_a, "GT-A3");
    point(&t, t.area_b, "GT-B1");
    /* over H (25 %LEL), under HH: one 报警 each */
    ingest(&t, "GT-A1 30\nGT-A2 31\nGT-A3 32\nGT-B1 33\n");
    long long a1 = alarm_of(&t, "GT-A1"), a2 = alarm_of(&t, "GT-A2"), a3 = alarm_of(&t, "GT-A3"),
              b1 = alarm_of(&t, "GT-B1");
    assert_true(a1 > 0 && a2 > 0 && a3 > 0 && b1 > 0);
    char b[8192];
    json_t *r = NULL;

    /* bad bodies: 400 naming ids, nothing acknowledged */
    refused(&t, "{}", 400, "ids");
    refused(&t, "{\"ids\":[]}", 400, "ids");
    refused(&t, "{\"ids\":null}", 400, "ids");
    refused(&t, "{\"ids\":7}", 400, "ids");
    snprintf(b, sizeof b, "{\"ids\":[%lld,\"%lld\"]}", a1, a2);
    refused(&t, b, 400, "ids");
    snprintf(b, sizeof b, "{\"ids\":[%lld,1.5]}", a1);
    refused(&t, b, 400, "ids");
    snprintf(b, sizeof b, "{\"ids\":[%lld,0]}", a1);
    refused(&t, b, 400, "ids");
    snprintf(b, sizeof b, "{\"ids\":[%lld,-3]}", a1);
    refused(&t, b, 400, "ids");
    snprintf(b, sizeof b, "{\"ids\":[%lld,%lld,%lld]}", a1, a2, a1);
    refused(&t, b, 400, "ids");
    size_t n = (size_t)snprintf(b, sizeof b, "{\"ids\":[%lld", a1);
    for (int i = 0; i < 200; i++) n += (size_t)snprintf(b + n, sizeof b - n, ",%d", 100000 + i);
    snprintf(b + n, sizeof b - n, "]}");
    refused(&t, b, 400, "ids"); /* 201 ids */
    snprintf(b, sizeof b, "{\"ids\":[%lld],\"note\":\"x\"}", a1);
    refused(&t, b, 400, "note");

    /* outside her scope, or unknown: 404 naming ids, and none acknowledged */
    snprintf(b, sizeof b, "{\"ids\":[%lld,%lld]}", a1, b1);
    refused(&t, b, 404, "ids");
    snprintf(b, sizeof b, "{\"ids\":[%lld,%lld]}", a1, b1 + 1000);
    refused(&t, b, 404, "ids");
    /* a regulator may not acknowledge */
    snprintf(b, sizeof b, "{\"ids\":[%lld,%lld]}", a1, a2);
    assert_int_equal(bulk(&t, t.reg, b, &r), 403);
    json_decref(r);
    long long all[] = {a1, a2, a3, b1};
    for (int i = 0; i < 4; i++) assert_state(&t, all[i], "unack");

    /* the literal route is its own: not /api/v1/alarms/{id} with id "actions" */
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms/actions", t.officer, NULL, &r), 404);
    json_decref(r);

    /* two at once, as her */
    snprintf(b, sizeof b, "{\"ids\":[%lld,%lld]}", a1, a2);
    assert_int_equal(bulk(&t, t.officer, b, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r, "acked")), 2);
    assert_true(has_id(json_object_get(r, "acked"), a1) && has_id(json_object_get(r, "acked"), a2));
    assert_int_equal(json_array_size(json_object_get(r, "skipped")), 0);
    json_decref(r);
    long long two[] = {a1, a2};
    for (int i = 0; i < 2; i++) {
        json_t *a = get_alarm(&t, two[i]);
        assert_string_equal(json_string_value(json_object_get(a, "state")), "acked");
        assert_string_equal(json_string_value(json_object_get(a, "acked_by")), "李安全");
        assert_non_null(json_string_value(json_object_get(a, "acked_at")));
        int acks = 0;
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(a, "events"), k, e) {
            if (strcmp(json_string_value(json_object_get(e, "kind")), "ack")) continue;
            acks++;
            assert_int_equal(json_integer_value(json_object_get(e, "person_id")), t.person);
        }
        assert_int_equal(acks, 1);
        json_decref(a);
    }
    assert_state(&t, a3, "unack");
    assert_state(&t, b1, "unack");

    /* one already acknowledged: skipped with its reason, the other acknowledged */
    snprintf(b, sizeof b, "{\"ids\":[%lld,%lld]}", a2, a3);
    assert_int_equal(bulk(&t, t.officer, b, &r), 200);
    json_t *acked = json_object_get(r, "acked"), *skipped = json_object_get(r, "skipped");
    assert_int_equal(json_array_size(acked), 1);
    assert_int_equal(json_integer_value(json_array_get(acked, 0)), a3);
    assert_int_equal(json_array_size(skipped), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(skipped, 0), "id")), a2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(skipped, 0), "reason")),
                        "already acknowledged");
    json_decref(r);
    assert_state(&t, a3, "acked");

    /* a closed one: skipped as closed */
    ingest(&t, "GT-A1 4\n");
    assert_state(&t, a1, "rtn_acked");
    snprintf(b, sizeof b, "/api/v1/alarms/%lld/actions/close", a1);
    assert_int_equal(ws_req(&t.s, "POST", b, t.officer, "{\"cause\":\"法兰泄漏\",\"action\":\"紧固\"}", NULL), 200);
    snprintf(b, sizeof b, "{\"ids\":[%lld]}", a1);
    assert_int_equal(bulk(&t, t.officer, b, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r, "acked")), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "skipped"), 0), "reason")),
                        "closed");
    json_decref(r);
    assert_state(&t, b1, "unack"); /* never touched */
    ws_server_destroy(&t.s);
}

static void t_bulk_sqlite(void **s) { (void)s; bulk_ack("sqlite"); }
static void t_bulk_pg(void **s)
{
    (void)s;
    if (!getenv("WS_TEST_PG_URL")) skip();
    bulk_ack("postgres");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The cap: 200 alarms acknowledged in one request, every one of them. */
static void t_two_hundred(void **s)
{
    (void)s;
    T t;
    setup(&t, "sqlite");
    enum { N = 200 };
    char lines[N * 16], tag[16];
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        snprintf(tag, sizeof tag, "FL-%03d", i);
        point(&t, t.area_a, tag);
        n += (size_t)snprintf(lines + n, sizeof lines - n, "%s 30\n", tag);
    }
    ingest(&t, lines);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?state=open&limit=500", t.admin, NULL, &r), 200);
    char *b = malloc(N * 24 + 16);
    assert_non_null(b);
    n = (size_t)sprintf(b, "{\"ids\":[");
    size_t i, got = 0;
    json_t *a;
    json_array_foreach(json_object_get(r, "items"), i, a)
        n += (size_t)sprintf(b + n, "%s%lld", got++ ? "," : "", (long long)json_integer_value(json_object_get(a, "id")));
    sprintf(b + n, "]}");
    json_decref(r);
    assert_int_equal(got, N);
    double t0 = now_s();
    assert_int_equal(bulk(&t, t.officer, b, &r), 200);
    print_message("  200 acknowledgements in one request: %.2f s (test build, sanitizers on)\n", now_s() - t0);
    assert_int_equal(json_array_size(json_object_get(r, "acked")), N);
    json_decref(r);
    free(b);
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?state=open&limit=500", t.admin, NULL, &r), 200);
    json_array_foreach(json_object_get(r, "items"), i, a)
        assert_string_equal(json_string_value(json_object_get(a, "state")), "acked");
    json_decref(r);
    ws_server_destroy(&t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_bulk_sqlite),
        cmocka_unit_test(t_bulk_pg),
        cmocka_unit_test(t_two_hundred),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
