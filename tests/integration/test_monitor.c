/* test_monitor.c — process monitors (多变量过程监控) over REST, on SQLite and
 * PostgreSQL, the way a process engineer uses one.
 *
 * Four points of a reactor move together: a temperature TI-1 on a slow
 * cycle, a second temperature TI-2 that follows it, a feed FI-3 and a
 * pressure PI-4 set by it. Twenty-five hours of normal operation train a
 * monitor. Forty normal minutes later nothing is raised; then TI-2 drops
 * 2.5 °C below where TI-1 puts it, for 20 minutes — a reading every one of
 * whose points stays inside its own normal range, so no limit of any single
 * point sees it — and the monitor raises one 预警 naming TI-2 first, its
 * state abnormal with TI-2 the largest share. After two hours back to
 * normal the alarm is cleared. Bad requests are refused naming the field
 * (a window too short, a constant point, a point listed twice or outside the
 * unit, a window without data); a dry run of the same training backtests
 * the minutes after it to the same alarm at the same minute and stores
 * nothing; the monitor survives a restart with the same model; deactivating
 * it is final and leaves an evidence log that verifies. */
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
#include <unistd.h>

#include "core/clock.h"
#include "integration/common.h"

#define MIN 60000LL
#define NTRAIN 1500
#define NNORMAL 40
#define NFAULT 20
#define NBACK 100
#define NLAST 14 /* TI-2 off again for the last minutes: a departure now */

static const char *const tags[4] = {"TI-1", "TI-2", "FI-3", "PI-4"};

/* Minute i's values (i from the start of training); fault: TI-2 off. */
static void values(int i, bool fault, double v[4])
{
    unsigned r = 2654435761u * (unsigned)(i + 1);
    double n[4];
    for (int k = 0; k < 4; k++) {
        r = r * 1103515245u + 12345u;
        n[k] = ((double)(r >> 8 & 0xffff) / 65536.0 - 0.5) * 2; /* -1..1 */
    }
    double a = 80 + 4 * sin(i / 40.0) + 0.3 * n[0];
    v[0] = a;
    v[1] = 0.8 * a + 10 + 0.3 * n[1] - (fault ? 2.5 : 0);
    v[2] = 2 * a - 60 + 0.5 * n[2];
    v[3] = 1.5 + 0.02 * a + 0.02 * n[3];
}

/* Minutes [i0, i1) of the timeline starting at t0, as a line batch. */
static void ingest(ws_server *s, const char *tok, long long t0, int i0, int i1, int fault0, int fault1)
{
    size_t cap = (size_t)(i1 - i0) * 4 * 48 + 1, len = 0;
    char *b = malloc(cap);
    for (int i = i0; i < i1; i++) {
        double v[4];
        values(i, i >= fault0 && i < fault1, v);
        for (int k = 0; k < 4; k++)
            len += (size_t)snprintf(b + len, cap - len, "%s %.4f %lld\n", tags[k], v[k], t0 + i * MIN + 1500);
    }
    json_t *r = NULL;
    long st = ws_http(s, "POST", "/api/v1/ingest", tok, b, len, "text/plain", &r, NULL);
    free(b);
    if (st != 200 || json_integer_value(json_object_get(r, "accepted")) != (i1 - i0) * 4)
        fail_msg("ingest %d..%d -> %ld", i0, i1, st);
    json_decref(r);
}

/* GET the monitor until its last judged minute is t (10 s at most). */
static json_t *wait_minute(ws_server *s, const char *tok, long long id, long long t)
{
    char p[80], want[40];
    snprintf(p, sizeof p, "/api/v1/process-monitors/%lld", id);
    clock_format_rfc3339(t, want, sizeof want);
    for (int tries = 0; tries < 200; tries++) {
        json_t *r = NULL;
        assert_int_equal(ws_req(s, "GET", p, tok, NULL, &r), 200);
        const char *lm = json_string_value(json_object_get(r, "last_minute"));
        if (lm && !strcmp(lm, want)) return r;
        json_decref(r);
        usleep(50000);
    }
    fail_msg("monitor %lld never judged minute %s", id, want);
    return NULL;
}

/* The monitor's alarm in the alarm list (open ones), or NULL. */
static json_t *monitor_alarm(ws_server *s, const char *tok, long long id)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "GET", "/api/v1/alarms?limit=200", tok, NULL, &r), 200);
    json_t *x, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(r, "items"), i, x) {
        if (json_integer_value(json_object_get(x, "rule_id")) == 107 &&
            json_integer_value(json_object_get(x, "source_id")) == id)
            found = json_incref(x);
    }
    json_decref(r);
    return found;
}

static void expect_refusal(ws_server *s, const char *tok, const char *body, long status, const char *field)
{
    json_t *r = NULL;
    long st = ws_req(s, "POST", "/api/v1/process-monitors", tok, body, &r);
    if (st != status || strcmp(ws_err_field_of(r), field))
        fail_msg("%s -> %ld %s (want %ld %s)", body, st, ws_err_field_of(r), status, field);
    json_decref(r);
}

static void monitor_lifecycle(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int bi = 0; bi < nb; bi++) {
        ws_server s;
        char tok[65], b[1024], from[40], to[40], p[96];
        assert_int_equal(ws_server_start(&s, be[bi], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"R-100\",\"name\":\"反应区\",\"tz\":\"Asia/Shanghai\"}", root);
        long long area = ws_post_id(&s, tok, "/api/v1/units", b);
        snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"T-200\",\"name\":\"罐区\",\"tz\":\"Asia/Shanghai\"}", root);
        long long other = ws_post_id(&s, tok, "/api/v1/units", b);
        static const char *const kinds[4] = {"temperature", "temperature", "flow", "pressure"};
        long long pt[4];
        for (int k = 0; k < 4; k++) {
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"%s\",\"name\":\"反应器%s\",\"kind\":\"%s\"}", area,
                     tags[k], tags[k], kinds[k]);
            pt[k] = ws_post_id(&s, tok, "/api/v1/points", b);
        }
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"TK-1\",\"name\":\"罐温\",\"kind\":\"temperature\"}", other);
        long long elsewhere = ws_post_id(&s, tok, "/api/v1/points", b);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"ST-1\",\"name\":\"运行状态\",\"kind\":\"status\"}", area);
        long long flat = ws_post_id(&s, tok, "/api/v1/points", b);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"AN-1\",\"name\":\"出料分析\",\"kind\":\"analysis\",\"uom\":\"%%\"}", area);
        long long slow = ws_post_id(&s, tok, "/api/v1/points", b); /* a sample every 45 minutes */

        /* 25 hours of normal operation, ending 3 hours ago */
        long long now_min = (long long)time(NULL) / 60 * MIN;
        long long t0 = now_min - (NTRAIN + NNORMAL + NFAULT + NBACK + NLAST + 2) * MIN;
        ingest(&s, tok, t0, 0, NTRAIN, -1, -1);
        static char flatb[NTRAIN * 48];
        size_t fl = 0;
        for (int i = 0; i < NTRAIN; i++) {
            fl += (size_t)snprintf(flatb + fl, sizeof flatb - fl, "ST-1 1 %lld\n", t0 + i * MIN + 1500);
            if (i % 45 == 0) fl += (size_t)snprintf(flatb + fl, sizeof flatb - fl, "AN-1 %d %lld\n", 90 + i % 7, t0 + i * MIN + 2500);
        }
        assert_int_equal(ws_http(&s, "POST", "/api/v1/ingest", tok, flatb, fl, "text/plain", NULL, NULL), 200);
        clock_format_rfc3339(t0, from, sizeof from);
        clock_format_rfc3339(t0 + NTRAIN * MIN, to, sizeof to);

        /* refusals name the field, and store nothing */
#define BODY(pts, f, t) \
    (snprintf(b, sizeof b, "{\"name\":\"R-100 反应器\",\"unit_id\":%lld,\"point_ids\":[%s],\"train_from\":\"%s\",\"train_to\":\"%s\"}", area, pts, f, t), b)
        char ids[128], shortto[40], early[40], early_to[40];
        snprintf(ids, sizeof ids, "%lld,%lld,%lld,%lld", pt[0], pt[1], pt[2], pt[3]);
        clock_format_rfc3339(t0 + 20 * 60 * MIN, shortto, sizeof shortto);
        expect_refusal(&s, tok, BODY(ids, from, shortto), 400, "train_from"); /* 20 h */
        clock_format_rfc3339(t0 - 32 * 60 * MIN, early, sizeof early);
        clock_format_rfc3339(t0 - 2 * 60 * MIN, early_to, sizeof early_to);
        expect_refusal(&s, tok, BODY(ids, early, early_to), 400, "train_from"); /* no data then */
        char bad[160];
        snprintf(bad, sizeof bad, "%lld,%lld,%lld", pt[0], pt[1], pt[1]);
        expect_refusal(&s, tok, BODY(bad, from, to), 400, "point_ids[2]");
        snprintf(bad, sizeof bad, "%lld,%lld", pt[0], elsewhere);
        expect_refusal(&s, tok, BODY(bad, from, to), 400, "point_ids[1]");
        snprintf(bad, sizeof bad, "%lld,%lld,%lld", pt[0], flat, pt[1]);
        expect_refusal(&s, tok, BODY(bad, from, to), 400, "point_ids[1]");
        snprintf(bad, sizeof bad, "%lld,%lld,%lld", pt[0], pt[1], slow);
        expect_refusal(&s, tok, BODY(bad, from, to), 400, "point_ids[2]"); /* sampled every 45 minutes */
        snprintf(bad, sizeof bad, "%lld", pt[0]);
        expect_refusal(&s, tok, BODY(bad, from, to), 400, "point_ids");
        snprintf(bad, sizeof bad, "%lld,\"x\"", pt[0]);
        expect_refusal(&s, tok, BODY(bad, from, to), 400, "point_ids[1]");
        char future[40];
        clock_format_rfc3339(now_min + 3600 * 1000, future, sizeof future);
        expect_refusal(&s, tok, BODY(ids, from, future), 400, "train_to");
        snprintf(b, sizeof b, "{\"name\":\" \",\"unit_id\":%lld,\"point_ids\":[%s],\"train_from\":\"%s\",\"train_to\":\"%s\"}", area, ids, from, to);
        expect_refusal(&s, tok, b, 400, "name");
        BODY(ids, from, to); /* a run condition on a point of another unit */
        snprintf(b + strlen(b) - 1, sizeof b - strlen(b) + 1, ",\"run_point_id\":%lld,\"run_min\":1}", elsewhere);
        expect_refusal(&s, tok, b, 400, "run_point_id");
        BODY(ids, from, to); /* a bound without its point: not dropped */
        snprintf(b + strlen(b) - 1, sizeof b - strlen(b) + 1, ",\"run_min\":1}");
        expect_refusal(&s, tok, b, 400, "run_point_id");
        BODY(ids, from, to); /* a run condition without a bound */
        snprintf(b + strlen(b) - 1, sizeof b - strlen(b) + 1, ",\"run_point_id\":%lld}", pt[2]);
        expect_refusal(&s, tok, b, 400, "run_min");
        assert_int_equal(ws_req(&s, "GET", "/api/v1/process-monitors", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
        json_decref(r);

        /* train */
        BODY(ids, from, to);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/process-monitors", tok, b, &r), 201);
        long long id = json_integer_value(json_object_get(r, "id"));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "backtest"), "minutes")), 0);
        json_decref(r);
        snprintf(p, sizeof p, "/api/v1/process-monitors/%lld", id);
        assert_int_equal(ws_req(&s, "GET", p, tok, NULL, &r), 200);
        assert_int_equal(json_integer_value(json_object_get(r, "samples")), NTRAIN);
        assert_true(json_is_null(json_object_get(r, "run")));
        long long comps = json_integer_value(json_object_get(r, "components"));
        assert_true(comps >= 1 && comps < 12);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "waiting");
        assert_int_equal(json_integer_value(json_object_get(r, "level")), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "points"), 1), "tag")), "TI-2");
        json_decref(r);

        /* forty normal minutes: judged, nothing raised */
        ingest(&s, tok, t0, NTRAIN, NTRAIN + NNORMAL, -1, -1);
        r = wait_minute(&s, tok, id, t0 + (NTRAIN + NNORMAL - 2) * MIN);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "normal");
        assert_true(json_array_size(json_object_get(r, "history")) >= NNORMAL - 4);
        json_decref(r);
        assert_null(monitor_alarm(&s, tok, id));

        /* TI-2 off its relation for 20 minutes, each point inside its own range */
        int f0 = NTRAIN + NNORMAL, f1 = f0 + NFAULT;
        ingest(&s, tok, t0, f0, f1 + 1, f0, f1);
        r = wait_minute(&s, tok, id, t0 + (f1 - 1) * MIN);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "abnormal");
        assert_true(json_real_value(json_object_get(r, "ratio")) > 1);
        json_t *pts = json_object_get(r, "points");
        double top = 0;
        int at = -1;
        for (int k = 0; k < 4; k++) {
            double c = json_real_value(json_object_get(json_array_get(pts, (size_t)k), "contribution"));
            if (c > top) top = c, at = k;
        }
        assert_int_equal(at, 1);
        json_decref(r);
        json_t *a = monitor_alarm(&s, tok, id);
        assert_non_null(a);
        assert_int_equal(json_integer_value(json_object_get(a, "level")), 1);
        assert_int_equal(json_integer_value(json_object_get(a, "unit_id")), area);
        const char *title = json_string_value(json_object_get(a, "title"));
        assert_non_null(strstr(title, "R-100 反应器"));
        assert_non_null(strstr(title, "主要贡献 TI-2"));
        assert_true(json_is_true(json_object_get(a, "active")));
        /* raised within on_delay (3) + a few minutes of the fault's start */
        char fstart[40], flate[40];
        clock_format_rfc3339(t0 + (f0 + 3) * MIN, fstart, sizeof fstart);
        clock_format_rfc3339(t0 + (f0 + 8) * MIN, flate, sizeof flate);
        const char *raised = json_string_value(json_object_get(a, "raised_at"));
        assert_true(strcmp(raised, fstart) >= 0 && strcmp(raised, flate) <= 0);
        char raised_at[40];
        snprintf(raised_at, sizeof raised_at, "%s", raised);
        json_decref(a);
        /* TI-2 alone never crossed a limit of its own: no alarm of a point */
        assert_int_equal(ws_req(&s, "GET", "/api/v1/alarms?limit=200", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
        json_decref(r);

        /* back to normal: cleared */
        ingest(&s, tok, t0, f1 + 1, f1 + NBACK, -1, -1);
        r = wait_minute(&s, tok, id, t0 + (f1 + NBACK - 2) * MIN);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "normal");
        json_decref(r);
        a = monitor_alarm(&s, tok, id);
        assert_non_null(a);
        assert_false(json_is_true(json_object_get(a, "active")));
        json_decref(a);
        /* TI-2 off again for the last minutes: raised again; the area's
         * dynamic risk index takes the departure, now, into its anomaly
         * factor, naming the monitor by its largest contributor */
        int g0 = f1 + NBACK, g1 = g0 + NLAST;
        ingest(&s, tok, t0, g0, g1 + 1, g0, g1);
        r = wait_minute(&s, tok, id, t0 + (g1 - 1) * MIN);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "abnormal");
        json_decref(r);
        char rp[64];
        snprintf(rp, sizeof rp, "/api/v1/risk-index/%lld", area);
        assert_int_equal(ws_req(&s, "GET", rp, tok, NULL, &r), 200);
        json_t *fx;
        size_t fi;
        bool named = false;
        json_array_foreach(json_object_get(r, "factors"), fi, fx) {
            const char *d = json_string_value(json_object_get(fx, "detail"));
            if (!strcmp(json_string_value(json_object_get(fx, "factor")), "anomaly") && d &&
                !strncmp(d, "TI-2 process monitor score", 26))
                named = true;
        }
        if (!named) fail_msg("the risk index does not name the monitor");
        json_decref(r);

        /* a dry run of the same training backtests the minutes after it: the
         * same two alarms, the first at the same minute and cleared; nothing
         * is stored */
        BODY(ids, from, to);
        snprintf(b + strlen(b) - 1, sizeof b - strlen(b) + 1, ",\"on_delay_min\":3}");
        assert_int_equal(ws_req(&s, "POST", "/api/v1/process-monitors?dry_run=1", tok, b, &r), 200);
        json_t *bt = json_object_get(r, "backtest");
        assert_int_equal(json_integer_value(json_object_get(r, "components")), comps);
        assert_int_equal(json_array_size(json_object_get(r, "hold_min")), 4); /* every point read each minute */
        for (size_t j = 0; j < 4; j++) assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "hold_min"), j)), 5);
        assert_int_equal(json_integer_value(json_object_get(bt, "alarms")), 2);
        assert_true(json_integer_value(json_object_get(bt, "minutes")) >= NNORMAL + NFAULT + NBACK + NLAST - 8);
        assert_true(json_integer_value(json_object_get(bt, "outside")) >= NFAULT);
        json_t *l0 = json_array_get(json_object_get(bt, "listed"), 0);
        assert_string_equal(json_string_value(json_object_get(l0, "raised_at")), raised_at);
        assert_non_null(json_string_value(json_object_get(l0, "cleared_at")));
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/process-monitors", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
        json_decref(r);

        /* the quarterly review: `worksafe rules backtest` replays the monitor
         * over the stored minutes after its window, the same two alarms, the
         * first at the live one's minute; --tag of a point it does not watch
         * leaves it out */
        assert_int_equal(ws_server_stop(&s), 0);
        static char out[1 << 16];
        const char *rb[] = {"rules", "backtest", "--version", "1", "--json", NULL};
        if (ws_cli(&s, true, out, sizeof out, rb) != 0) fail_msg("rules backtest: %s", out);
        json_t *o = json_loads(strstr(out, "{\"version\""), JSON_DISABLE_EOF_CHECK, NULL);
        if (!o) fail_msg("not JSON: %s", out);
        assert_int_equal(json_integer_value(json_object_get(o, "monitors")), 1);
        json_t *x = NULL, *e;
        size_t k;
        json_array_foreach(json_object_get(o, "results"), k, e)
            if (json_integer_value(json_object_get(e, "rule_id")) == 107) x = e;
        if (!x) fail_msg("no monitor line: %s", out);
        assert_string_equal(json_string_value(json_object_get(x, "source_kind")), "monitor");
        assert_string_equal(json_string_value(json_object_get(x, "source")), "R-100 反应器");
        assert_int_equal(json_integer_value(json_object_get(x, "raises")), 2);
        json_t *first0 = json_array_get(json_object_get(x, "first"), 0);
        assert_string_equal(json_string_value(json_object_get(first0, "at")), raised_at);
        assert_true(json_number_value(json_object_get(first0, "value")) > 1); /* over its limit */
        assert_true(json_integer_value(json_object_get(x, "active_ms")) >= (NFAULT - 5) * MIN);
        json_decref(o);
        const char *rt[] = {"rules", "backtest", "--version", "1", "--tag", "TK-1", NULL};
        if (ws_cli(&s, true, out, sizeof out, rt) != 0) fail_msg("rules backtest --tag: %s", out);
        assert_non_null(strstr(out, "0 process monitors"));
        assert_null(strstr(out, "process_monitor "));

        /* a restart refits the same model from the stored matrix */
        assert_int_equal(ws_server_restart(&s), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        assert_int_equal(ws_req(&s, "GET", p, tok, NULL, &r), 200);
        assert_true(json_is_true(json_object_get(r, "active")));
        assert_int_equal(json_integer_value(json_object_get(r, "components")), comps);
        json_decref(r);

        /* deactivate: final */
        snprintf(b, sizeof b, "%s/actions/deactivate", p);
        assert_int_equal(ws_req(&s, "POST", b, tok, "{}", &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "inactive");
        assert_false(json_is_true(json_object_get(r, "active")));
        json_decref(r);
        assert_int_equal(ws_req(&s, "POST", b, tok, "{}", &r), 409);
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/process-monitors?active=1", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
        json_decref(r);
        const char *vf[] = {"audit", "verify", NULL};
        assert_int_equal(ws_server_stop(&s), 0);
        if (ws_cli(&s, true, out, sizeof out, vf) != 0) fail_msg("audit verify: %s", out);
        ws_server_destroy(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(monitor_lifecycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
