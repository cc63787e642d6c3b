/* test_rules.c — alarm rule sets over REST and `worksafe rules backtest` on
 * history written through the series store, on SQLite and PostgreSQL.
 *
 * What a user (the safety office doing the quarterly rule review) would
 * check: the install has the default rule set as version 1; a new version
 * with a typing mistake is refused naming "rules[1].window_s"; a dry run
 * stores nothing; a good version is stored as 2 and activated; then the
 * backtest of twelve hours of two gas detectors reports exactly what the data
 * holds — GT-101 stuck at 2 %LEL for six hours (flatline at 06:00), its
 * excursion to 30 %LEL at 08:00 (H 报警, 10 minutes), its 20-minute silence
 * (stale), both detectors over 10 %LEL together (the composite on the area),
 * GT-101's detector seeing the stuck sensor come back to life (anomaly;
 * the same rule in an operating state GT-102 never reaches raises nothing),
 * and three sensor faults of GT-102 (a preventive work order) — and nothing
 * for the healthy, moving GT-102; --tag narrows it to one point; a version
 * that does not exist is an error.
 *
 * The rule editor's 试算 over HTTP (POST /api/v1/alarm-rules/backtest) gives
 * the same lines for the stored version; a draft whose flatline window is
 * longer than the sensor was stuck does not raise it; bad ranges, a draft
 * with a mistake and unknown tags or versions are refused naming the field.
 * Who may run it: tests/data/permissions.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "integration/common.h"
#include "telemetry/series.h"

#define T0 1767571200000LL /* 2026-01-05T00:00:00Z */
#define MIN 60000LL
#define HOUR 3600000LL

/* The result line of rule (name or id) for source, or NULL. */
static json_t *result(json_t *out, const char *rule, long long rule_id, const char *source)
{
    json_t *a = json_object_get(out, "results"), *x;
    size_t i;
    json_array_foreach(a, i, x) {
        bool r = rule_id ? json_integer_value(json_object_get(x, "rule_id")) == rule_id
                         : !strcmp(json_string_value(json_object_get(x, "rule")), rule);
        if (r && !strcmp(json_string_value(json_object_get(x, "source")), source)) return x;
    }
    return NULL;
}

static void write_history(ws_server *s, long long p1, long long p2)
{
    char url[600];
    char main_url[600];
    if (s->pg) snprintf(main_url, sizeof main_url, "%s", s->db);
    else snprintf(main_url, sizeof main_url, "%s/worksafe.db", s->dir);
    assert_int_equal(series_url(main_url, s->dir, url, sizeof url), WS_OK);
    series *ser = NULL;
    if (series_open(url, NULL, &ser)) fail_msg("series_open %s", url);
    for (int i = 0; i < 12 * 60; i++) {
        int64_t t = T0 + i * MIN;
        /* GT-101: 2 %LEL without moving for 7 h, then 30 for 10 min at 08:00,
         * silent 10:00..10:20, otherwise 3..5 moving. */
        double v1 = i < 7 * 60 ? 2.0 : (i >= 8 * 60 && i < 8 * 60 + 10) ? 30.0 : 3.0 + (i % 3);
        if (!(i >= 10 * 60 && i < 10 * 60 + 20))
            assert_int_equal(series_append(ser, p1, t, v1, 0), WS_OK);
        /* GT-102: moving 1..2, 12 at 08:00..08:05, BAD at 01:00, 02:00, 03:00. */
        double v2 = (i >= 8 * 60 && i < 8 * 60 + 5) ? 12.0 : 1.0 + (i % 2);
        bool bad = i == 60 || i == 120 || i == 180;
        assert_int_equal(series_append(ser, p2, t + 1000, bad ? NAN : v2, bad ? 2 : 0), WS_OK);
    }
    assert_int_equal(series_close(ser), WS_OK);
}

static json_t *bt_post(ws_server *s, const char *tok, const char *body, int want)
{
    json_t *r = NULL;
    int st = ws_req(s, "POST", "/api/v1/alarm-rules/backtest", tok, body, &r);
    if (st != want) fail_msg("backtest %s: %d, not %d", body, st, want);
    return r;
}

static void refused(ws_server *s, const char *tok, const char *body, int want, const char *field)
{
    json_t *r = bt_post(s, tok, body, want);
    if (strcmp(ws_err_field_of(r), field)) fail_msg("backtest %s: field %s, not %s", body, ws_err_field_of(r), field);
    json_decref(r);
}

/* The backtest over HTTP, on the history write_history left (the server
 * stopped; started again here). */
static void api_backtest(ws_server *s)
{
    char tok[65];
    assert_int_equal(ws_server_restart(s), 0);
    assert_int_equal(ws_login(s, "admin", WS_ADMIN_PW, tok), 200);
#define RANGE "\"from\":\"2026-01-05T00:00:00Z\",\"to\":\"2026-01-05T12:00:00Z\""
    json_t *o = bt_post(s, tok, "{\"version\":2," RANGE "}", 200);
    assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "points")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "readings")), 2 * 720 - 20);
    assert_true(json_is_integer(json_object_get(o, "elapsed_ms")));
    json_t *x = result(o, NULL, 1003, "GT-101"); /* the same flatline as the CLI's */
    assert_non_null(x);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(x, "first"), 0), "at")),
                        "2026-01-05T06:00:00.000Z");
    assert_non_null(result(o, "H", 0, "GT-101"));
    json_decref(o);

    /* A draft: version 2's rules with the flatline window at 8 h, longer
     * than GT-101 was stuck (7 h): it would not have raised. */
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "GET", "/api/v1/alarm-rules/2", tok, NULL, &r), 200);
    json_t *rules = json_deep_copy(json_object_get(r, "rules"));
    json_decref(r);
    json_object_set_new(json_array_get(rules, 2), "window_s", json_integer(8 * 3600));
    json_t *body = json_loads("{" RANGE "}", 0, NULL);
    json_object_set(body, "rules", rules);
    char *txt = json_dumps(body, JSON_COMPACT);
    o = bt_post(s, tok, txt, 200);
    free(txt);
    assert_true(json_is_null(json_object_get(o, "version")));
    assert_null(result(o, NULL, 1003, "GT-101"));
    assert_non_null(result(o, NULL, 1001, "GT-101")); /* the other rules as before */
    json_decref(o);
    /* the same draft with a mistake */
    json_object_set_new(json_array_get(rules, 2), "window_s", json_integer(30));
    txt = json_dumps(body, JSON_COMPACT);
    refused(s, tok, txt, 400, "rules[2].window_s");
    free(txt);
    json_decref(body);
    json_decref(rules);

    /* Bad input names the field. */
    refused(s, tok, "{" RANGE "}", 400, "version");
    refused(s, tok, "{\"version\":2,\"rules\":[]," RANGE "}", 400, "rules");
    refused(s, tok, "{\"version\":2,\"from\":\"2026-01-05T12:00:00Z\",\"to\":\"2026-01-05T12:00:00Z\"}", 400, "from");
    refused(s, tok, "{\"version\":2,\"from\":\"2025-01-01T00:00:00Z\",\"to\":\"2026-01-05T12:00:00Z\"}", 400, "from");
    refused(s, tok, "{\"version\":2,\"to\":\"2099-01-01T00:00:00Z\"}", 400, "to");
    /* a client's clock an hour ahead: the range ends now */
    char ahead[160], t1[32], t2[32];
    time_t f = time(NULL) - 86400, a = time(NULL) + 3600;
    strftime(t1, sizeof t1, "%Y-%m-%dT%H:%M:%SZ", gmtime(&f));
    strftime(t2, sizeof t2, "%Y-%m-%dT%H:%M:%SZ", gmtime(&a));
    snprintf(ahead, sizeof ahead, "{\"version\":2,\"from\":\"%s\",\"to\":\"%s\"}", t1, t2);
    o = bt_post(s, tok, ahead, 200);
    assert_true(strcmp(json_string_value(json_object_get(o, "to")), t2) < 0);
    json_decref(o);
    refused(s, tok, "{\"version\":2,\"from\":\"yesterday\"}", 400, "from");
    refused(s, tok, "{\"version\":9," RANGE "}", 404, "version");
    refused(s, tok, "{\"version\":2,\"tags\":[\"GT-109\"]," RANGE "}", 404, "tags");
    refused(s, tok, "{\"version\":2,\"tags\":[7]," RANGE "}", 400, "tags[0]");
    /* One tag: one point. */
    o = bt_post(s, tok, "{\"version\":2,\"tags\":[\"GT-102\"]," RANGE "}", 200);
    assert_int_equal(json_integer_value(json_object_get(o, "points")), 1);
    assert_null(result(o, NULL, 1003, "GT-101"));
    assert_non_null(result(o, "FAULT", 0, "GT-102"));
    json_decref(o);
#undef RANGE
}

static void rule_sets_and_backtest(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int bi = 0; bi < nb; bi++) {
        ws_server s;
        char tok[65], b[4096];
        assert_int_equal(ws_server_start(&s, be[bi], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"GT-101\",\"name\":\"罐区可燃气体1\","
                 "\"kind\":\"combustible\"}", root);
        long long p1 = ws_post_id(&s, tok, "/api/v1/points", b);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"GT-102\",\"name\":\"罐区可燃气体2\","
                 "\"kind\":\"combustible\"}", root);
        long long p2 = ws_post_id(&s, tok, "/api/v1/points", b);

        /* Version 1 is the default. */
        assert_int_equal(ws_req(&s, "GET", "/api/v1/alarm-rules", tok, NULL, &r), 200);
        json_t *items = json_object_get(r, "items");
        assert_int_equal(json_array_size(items), 1);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "version")), 1);
        assert_true(json_is_true(json_object_get(json_array_get(items, 0), "active")));
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/alarm-rules/1", tok, NULL, &r), 200);
        json_t *rules = json_deep_copy(json_object_get(r, "rules"));
        assert_int_equal(json_array_size(rules), 4);
        json_decref(r);

        /* A typing mistake is refused naming the field. */
        const char *typo = "{\"comment\":\"x\",\"rules\":[{\"id\":1001,\"kind\":\"stale\",\"name\":\"a\","
                           "\"level\":1,\"select\":{\"kinds\":[\"toxic\"]},\"max_gap_s\":60},"
                           "{\"id\":1002,\"kind\":\"stale\",\"name\":\"b\",\"level\":1,"
                           "\"select\":{\"kinds\":[\"toxic\"]},\"max_gap_s\":60,\"window_s\":3}]}";
        assert_int_equal(ws_req(&s, "POST", "/api/v1/alarm-rules", tok, typo, &r), 400);
        assert_string_equal(ws_err_field_of(r), "rules[1].window_s");
        json_decref(r);

        /* The default rules plus a composite on the area. */
        json_t *comp = json_loads("{\"id\":3001,\"kind\":\"composite\",\"name\":\"两点同时超 10 %LEL\","
                                  "\"level\":3,\"mode\":\"all\",\"conditions\":["
                                  "{\"tag\":\"GT-101\",\"op\":\">=\",\"value\":10},"
                                  "{\"tag\":\"GT-102\",\"op\":\">=\",\"value\":10}]}", 0, NULL);
        json_object_set_new(comp, "unit_id", json_integer(root));
        json_array_append_new(rules, comp);
        json_array_append_new(rules, json_loads("{\"id\":2101,\"kind\":\"anomaly\",\"name\":\"GT-101 异常\","
                                                "\"level\":1,\"select\":{\"tags\":[\"GT-101\"]},"
                                                "\"score_above\":0.3,\"for_s\":180}", 0, NULL));
        /* the same, in an operating state the history never reaches */
        json_array_append_new(rules, json_loads("{\"id\":2102,\"kind\":\"anomaly\",\"name\":\"GT-101 异常（运行时）\","
                                                "\"level\":1,\"select\":{\"tags\":[\"GT-101\"]},"
                                                "\"score_above\":0.3,\"for_s\":180,"
                                                "\"while\":{\"tag\":\"GT-102\",\"op\":\">=\",\"value\":50}}", 0, NULL));
        json_t *body = json_object();
        json_object_set_new(body, "comment", json_string("季度评审：增加两点联合规则"));
        json_object_set_new(body, "rules", rules);
        char *txt = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/alarm-rules?dry_run=1", tok, txt, &r), 200);
        assert_true(json_is_true(json_object_get(r, "valid")));
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/alarm-rules", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
        json_decref(r);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/alarm-rules", tok, txt, &r), 201); /* a version, no id */
        long long v = json_integer_value(json_object_get(r, "version"));
        json_decref(r);
        free(txt);
        assert_int_equal(v, 2);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/alarm-rules/2/actions/activate", tok, "{}", &r), 200);
        assert_true(json_is_true(json_object_get(r, "active")));
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/alarm-rules/1", tok, NULL, &r), 200);
        assert_true(json_is_false(json_object_get(r, "active")));
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/alarm-rules/2", tok, NULL, &r), 200);
        json_t *w2 = json_object_get(json_array_get(json_object_get(r, "rules"), 6), "while");
        assert_string_equal(json_string_value(json_object_get(w2, "op")), ">="); /* stored with its operating state */
        assert_true(json_number_value(json_object_get(w2, "value")) == 50);
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/alarm-rules/99", tok, NULL, &r), 404);
        json_decref(r);
        assert_int_equal(ws_server_stop(&s), 0);

        /* Twelve hours of history through the series store. */
        write_history(&s, p1, p2);

        static char out[1 << 16];
        const char *args[] = {"rules", "backtest", "--version", "2", "--from", "2026-01-05T00:00:00Z",
                              "--to", "2026-01-05T12:00:00Z", "--json", NULL};
        int rc = ws_cli(&s, true, out, sizeof out, args);
        if (rc != 0) fail_msg("backtest exit %d: %s", rc, out);
        const char *brace = strstr(out, "{\"version\"");
        assert_non_null(brace);
        json_t *o = json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL);
        if (!o) fail_msg("not JSON: %s", out);
        assert_int_equal(json_integer_value(json_object_get(o, "points")), 2);
        assert_int_equal(json_integer_value(json_object_get(o, "readings")), 2 * 720 - 20);
        json_t *x = result(o, "H", 0, "GT-101");
        if (!x) fail_msg("no H for GT-101: %s", out);
        assert_int_equal(json_integer_value(json_object_get(x, "raises")), 1);
        assert_int_equal(json_integer_value(json_object_get(x, "level")), 2);
        assert_int_equal(json_integer_value(json_object_get(x, "active_ms")), 10 * MIN);
        json_t *f = json_array_get(json_object_get(x, "first"), 0);
        assert_string_equal(json_string_value(json_object_get(f, "at")), "2026-01-05T08:00:00.000Z");
        assert_true(fabs(json_number_value(json_object_get(f, "value")) - 30) < 1e-9);
        assert_null(result(o, "HH", 0, "GT-101"));
        x = result(o, NULL, 1003, "GT-101"); /* flatline at 06:00 */
        if (!x) fail_msg("no flatline: %s", out);
        assert_int_equal(json_integer_value(json_object_get(x, "raises")), 1);
        f = json_array_get(json_object_get(x, "first"), 0);
        assert_string_equal(json_string_value(json_object_get(f, "at")), "2026-01-05T06:00:00.000Z");
        assert_null(result(o, NULL, 1003, "GT-102")); /* moving: never flat */
        x = result(o, NULL, 1001, "GT-101"); /* silent 10:00..10:20: stale at 10:04 */
        if (!x) fail_msg("no stale: %s", out);
        assert_int_equal(json_integer_value(json_object_get(x, "raises")), 1);
        f = json_array_get(json_object_get(x, "first"), 0);
        assert_string_equal(json_string_value(json_object_get(f, "at")), "2026-01-05T10:04:00.000Z");
        assert_null(result(o, NULL, 1001, "GT-102"));
        char unit_src[48];
        snprintf(unit_src, sizeof unit_src, "unit %lld", root);
        x = result(o, NULL, 3001, unit_src);
        if (!x) fail_msg("no composite: %s", out);
        assert_int_equal(json_integer_value(json_object_get(x, "raises")), 1);
        assert_int_equal(json_integer_value(json_object_get(x, "level")), 3);
        f = json_array_get(json_object_get(x, "first"), 0);
        assert_string_equal(json_string_value(json_object_get(f, "at")), "2026-01-05T08:00:01.000Z");
        /* The anomaly rule: the stuck detector coming back to life at 07:00 is
         * a change its detector holds above 0.3 for three minutes (07:03); the
         * 08:00 excursion is the H limit's (its score, over the point's
         * 0–100 %LEL range, is above 0.3 for two minutes only). */
        x = result(o, NULL, 2101, "GT-101");
        if (!x) fail_msg("no anomaly: %s", out);
        f = json_array_get(json_object_get(x, "first"), 0);
        assert_string_equal(json_string_value(json_object_get(f, "at")), "2026-01-05T07:03:00.000Z");
        assert_true(json_number_value(json_object_get(f, "value")) > 0.3);
        assert_int_equal(json_integer_value(json_object_get(x, "raises")), 1);
        assert_null(result(o, NULL, 2101, "GT-102"));
        assert_null(result(o, NULL, 2102, "GT-101")); /* GT-102 never reached 50: it never applied */
        x = result(o, "FAULT", 0, "GT-102");
        if (!x) fail_msg("no fault: %s", out);
        assert_int_equal(json_integer_value(json_object_get(x, "raises")), 3);
        char p2src[48];
        snprintf(p2src, sizeof p2src, "source %lld", p2);
        x = result(o, NULL, 1004, p2src);
        if (!x) fail_msg("no work order: %s", out);
        assert_int_equal(json_integer_value(json_object_get(x, "actions")), 1);
        json_decref(o);

        /* Text form, one tag. */
        const char *args2[] = {"rules", "backtest", "--version", "2", "--from", "2026-01-05T00:00:00Z",
                               "--to", "2026-01-05T12:00:00Z", "--tag", "GT-102", NULL};
        rc = ws_cli(&s, true, out, sizeof out, args2);
        if (rc != 0) fail_msg("backtest exit %d: %s", rc, out);
        assert_non_null(strstr(out, "1 points"));
        assert_non_null(strstr(out, "FAULT (limit)"));
        assert_null(strstr(out, "GT-101"));
        /* No such version. */
        const char *args3[] = {"rules", "backtest", "--version", "9", NULL};
        assert_int_equal(ws_cli(&s, true, out, sizeof out, args3), 2);
        assert_non_null(strstr(out, "version"));
        api_backtest(&s);
        ws_server_destroy(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rule_sets_and_backtest),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
