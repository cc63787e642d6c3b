/* test_input.c — bad input over the wire, on SQLite and PostgreSQL: malformed
 * JSON, wrong types, missing and unknown fields, duplicate keys, oversized
 * bodies and fields, bad UTF-8 (in a body or a query parameter) and a wrong
 * content type each get a 4xx whose envelope names the field, and nothing is
 * written (the unit list and the evidence log are unchanged). Also: unknown
 * routes and methods. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_bodies_name_the_field),
    };
    return cmocka_run_group_tests_name("input", tests, NULL, NULL);
}
