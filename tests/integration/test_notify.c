/* test_notify.c — the notification channels API over the wire, on SQLite and
 * PostgreSQL: an admin adds DingTalk, WeCom and webhook channels; refusals
 * name the field (kind, url, secret on WeCom, rate, a taken name); the secret
 * and the robot's token never come back (has_secret, masked URL); PATCH
 * changes and removes the secret; the test action queues a message that the
 * outbox view lists with its state and attempts; filters are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/common.h"

#define TOKEN "tok-integration-7f3a9c"
#define SECRET "SECintegration0123456789abcdef"

typedef struct T {
    ws_server s;
    char tok[65];
} T;

static long req(T *t, const char *m, const char *path, const char *body, json_t **r, char **raw)
{
    return ws_http(&t->s, m, path, t->tok, body, body ? strlen(body) : 0, NULL, r, raw);
}

static void refused(T *t, const char *m, const char *path, const char *body, long want, const char *field)
{
    json_t *r = NULL;
    long st = req(t, m, path, body, &r, NULL);
    if (st != want || strcmp(ws_err_field_of(r), field))
        fail_msg("%s %s %s -> %ld field '%s' (want %ld '%s')", m, path, body, st, ws_err_field_of(r), want, field);
    json_decref(r);
}

static void run(const char *backend)
{
    T t = {0};
    assert_int_equal(ws_server_start(&t.s, backend, NULL), 0);
    assert_int_equal(ws_login(&t.s, "admin", WS_ADMIN_PW, t.tok), 200);
    json_t *r = NULL;
    char *raw = NULL;
    const char *P = "/api/v1/notify/channels";

    /* refusals name the field */
    refused(&t, "POST", P, "{\"kind\":\"sms\",\"name\":\"a\",\"url\":\"https://x.example/h\"}", 400, "kind");
    refused(&t, "POST", P, "{\"kind\":\"webhook\",\"name\":\"a\",\"url\":\"ftp://x.example/h\"}", 400, "url");
    refused(&t, "POST", P, "{\"kind\":\"webhook\",\"name\":\"a\",\"url\":\"https://x.example/a b\"}", 400, "url");
    refused(&t, "POST", P,
            "{\"kind\":\"wecom\",\"name\":\"a\",\"url\":\"https://qyapi.weixin.qq.com/cgi-bin/webhook/"
            "send?key=k\",\"secret\":\"s\"}",
            400, "secret");
    refused(&t, "POST", P,
            "{\"kind\":\"webhook\",\"name\":\"a\",\"url\":\"https://x.example/h\",\"rate_per_min\":0}", 400,
            "rate_per_min");
    refused(&t, "POST", P, "{\"kind\":\"webhook\",\"url\":\"https://x.example/h\"}", 400, "name");

    /* a DingTalk robot with its secret */
    long st = req(&t, "POST", P,
                  "{\"kind\":\"dingtalk\",\"name\":\"一车间钉钉群\",\"url\":\"https://oapi.dingtalk.com/robot/"
                  "send?access_token=" TOKEN "\",\"secret\":\"" SECRET "\",\"rate_per_min\":18}",
                  &r, &raw);
    assert_int_equal(st, 201);
    assert_null(strstr(raw, TOKEN));
    assert_null(strstr(raw, SECRET));
    free(raw);
    long long ding = json_integer_value(json_object_get(r, "id"));
    assert_true(json_is_true(json_object_get(r, "has_secret")));
    assert_null(json_object_get(r, "secret"));
    assert_string_equal(json_string_value(json_object_get(r, "url")),
                        "https://oapi.dingtalk.com/robot/send?access_token=***");
    assert_true(json_is_true(json_object_get(r, "active")));
    json_decref(r);
    refused(&t, "POST", P,
            "{\"kind\":\"webhook\",\"name\":\"一车间钉钉群\",\"url\":\"https://x.example/h\"}", 409, "name");

    /* a webhook, switched off at creation */
    assert_int_equal(req(&t, "POST", P,
                         "{\"kind\":\"webhook\",\"name\":\"短信网关\",\"url\":\"http://127.0.0.1:9/sms\","
                         "\"secret\":\"hook-secret\",\"active\":false}",
                         &r, NULL),
                     201);
    long long hook = json_integer_value(json_object_get(r, "id"));
    assert_true(json_is_false(json_object_get(r, "active")));
    json_decref(r);

    /* the list never holds a secret or a token */
    assert_int_equal(req(&t, "GET", P, NULL, &r, &raw), 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
    assert_null(strstr(raw, TOKEN));
    assert_null(strstr(raw, SECRET));
    assert_null(strstr(raw, "hook-secret"));
    free(raw);
    json_decref(r);

    /* PATCH: a masked URL sent back is refused; the secret removed */
    char p[128];
    snprintf(p, sizeof p, "%s/%lld", P, ding);
    refused(&t, "PATCH", p, "{\"url\":\"https://oapi.dingtalk.com/robot/send?access_token=***\"}", 400, "url");
    refused(&t, "PATCH", p, "{\"kind\":\"wecom\"}", 400, "secret");
    assert_int_equal(req(&t, "PATCH", p, "{\"secret\":null,\"rate_per_min\":10}", &r, NULL), 200);
    assert_true(json_is_false(json_object_get(r, "has_secret")));
    assert_int_equal(json_integer_value(json_object_get(r, "rate_per_min")), 10);
    json_decref(r);
    assert_int_equal(req(&t, "PATCH", p, "{\"secret\":\"" SECRET "\"}", &r, NULL), 200);
    assert_true(json_is_true(json_object_get(r, "has_secret")));
    json_decref(r);
    snprintf(p, sizeof p, "%s/99999", P);
    refused(&t, "PATCH", p, "{\"name\":\"x\"}", 404, "id");

    /* the test action queues a message; a switched-off channel refuses */
    snprintf(p, sizeof p, "%s/%lld/actions/test", P, hook);
    refused(&t, "POST", p, "{}", 409, "active");
    snprintf(p, sizeof p, "%s/%lld/actions/test", P, ding);
    assert_int_equal(req(&t, "POST", p, "{}", &r, NULL), 202);
    long long oid = json_integer_value(json_object_get(r, "outbox_id"));
    assert_true(oid > 0);
    json_decref(r);

    snprintf(p, sizeof p, "/api/v1/notify/outbox?channel_id=%lld", ding);
    assert_int_equal(req(&t, "GET", p, NULL, &r, NULL), 200);
    json_t *items = json_object_get(r, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *it = json_array_get(items, 0);
    assert_int_equal(json_integer_value(json_object_get(it, "id")), oid);
    assert_string_equal(json_string_value(json_object_get(it, "title")), "通知通道测试");
    assert_string_equal(json_string_value(json_object_get(it, "channel_name")), "一车间钉钉群");
    const char *state = json_string_value(json_object_get(it, "state"));
    assert_true(!strcmp(state, "pending") || !strcmp(state, "sent") || !strcmp(state, "merged"));
    assert_true(json_is_integer(json_object_get(it, "attempts")));
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/notify/outbox?channel_id=%lld", hook);
    assert_int_equal(req(&t, "GET", p, NULL, &r, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
    refused(&t, "GET", "/api/v1/notify/outbox?state=lost", NULL, 400, "state");
    refused(&t, "GET", "/api/v1/notify/outbox?channel_id=x", NULL, 400, "channel_id");

    assert_int_equal(ws_server_stop(&t.s), 0);
    ws_server_destroy(&t.s);
}

static void test_notify_api(void **state)
{
    (void)state;
    const char *b[2];
    int n = ws_backends(b);
    for (int i = 0; i < n; i++) run(b[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_notify_api)};
    return cmocka_run_group_tests_name("notify_api", tests, NULL, NULL);
}
