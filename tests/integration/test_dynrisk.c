/* test_dynrisk.c — the dynamic risk index over the wire (issue 7 items 5–6),
 * on SQLite and PostgreSQL.
 *
 * What a safety manager would check: a quiet new area reads low and says
 * so; a lightning warning and a gale raise it and the explanation names the
 * weather, and when they are forecast for two hours ahead the projection
 * rises from that hour and warns; a gas reading near its alarm limit, a 重大 hidden danger and an
 * overdue one each raise it further and are named; a hot-work 特级 permit
 * applied for three hours from now shows in the projection of those hours;
 * the server's timer stores the history and the area list puts the worst
 * area first; bad weather input is refused naming the field and stores
 * nothing; the parameters are versioned data that only an admin changes,
 * refused naming the field inside "params"; an area projected to turn orange
 * gets one 预警 from the server's timer; and a unit outside the caller's
 * scope is 404. */
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
    char admin[65], so[65], other[65];
    long long ent, area, area2, person;
} T;

static void iso(long long ms, char out[40])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The area's index now (the reply in *o, caller decrefs). */
static double index_of(T *t, long long unit, json_t **o)
{
    char p[80];
    snprintf(p, sizeof p, "/api/v1/risk-index/%lld", unit);
    json_t *r = NULL;
    long st = ws_req(&t->s, "GET", p, t->so, NULL, &r);
    if (st != 200) fail_msg("GET %s -> %ld %s", p, st, ws_err_field_of(r));
    double v = json_number_value(json_object_get(r, "index"));
    if (o) *o = r;
    else json_decref(r);
    return v;
}

/* The factor's entry in a reply, or NULL. */
static json_t *factor(json_t *o, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(o, "factors"), i, f)
        if (!strcmp(json_string_value(json_object_get(f, "factor")), name)) return f;
    return NULL;
}

/* RFC 3339 of now + s seconds, in a static buffer. */
static const char *fc_now(int s)
{
    static char out[40];
    iso((long long)time(NULL) * 1000 + s * 1000LL, out);
    return out;
}

static void weather_refused(T *t, const char *body, const char *field)
{
    json_t *r = NULL;
    long st = ws_req(&t->s, "POST", "/api/v1/weather", t->admin, body, &r);
    if (st != 400) fail_msg("weather %s -> %ld (want 400)", body, st);
    if (strcmp(ws_err_field_of(r), field)) fail_msg("weather %s: field %s (want %s)", body, ws_err_field_of(r), field);
    json_decref(r);
}

/* A hot-work 二级 permit (一级 at night or on a holiday) applied for in the
 * area, planned for [from, to): certificates, draft, submitted. Returns its id. */
static long long apply_hot_work(T *t, long long from, long long to)
{
    long long now = (long long)time(NULL) * 1000;
    char b[900], p[160], from_s[40], to_s[40], until[40];
    iso(from, from_s);
    iso(to, to_s);
    iso(now + 400LL * 86400000, until);
    static int n;
    snprintf(b, sizeof b, "{\"person_id\":%lld,\"type\":\"welding_cutting\",\"number\":\"DH-%d\","
             "\"expires_at\":\"%s\"}", t->person, ++n, until);
    ws_post_id(&t->s, t->admin, "/api/v1/certificates", b);
    snprintf(b, sizeof b, "{\"person_id\":%lld,\"type\":\"guardian\",\"number\":\"JH-%d\","
             "\"expires_at\":\"%s\"}", t->person, n, until);
    ws_post_id(&t->s, t->admin, "/api/v1/certificates", b);
    snprintf(b, sizeof b, "{\"type\":\"hot_work\",\"grade\":\"2\",\"unit_id\":%lld,"
             "\"title\":\"T-301 罐顶动火\",\"location\":\"罐区 T-301\",\"planned_start\":\"%s\","
             "\"planned_end\":\"%s\",\"workers\":[{\"person_id\":%lld,\"cert_type\":\"welding_cutting\","
             "\"cert_no\":\"DH-%d\"}],\"guardian_person_id\":%lld}", t->area, from_s, to_s, t->person, n, t->person);
    long long pid = ws_post_id(&t->s, t->so, "/api/v1/permits", b);
    snprintf(p, sizeof p, "/api/v1/permits/%lld/actions/submit", pid);
    json_t *r = NULL;
    long st = ws_req(&t->s, "POST", p, t->so, "{}", &r);
    if (st != 200) fail_msg("submit -> %ld %s %s", st, ws_err_field_of(r),
                            json_string_value(json_object_get(json_object_get(r, "error"), "message")));
    json_decref(r);
    return pid;
}

static void setup(T *t, const char *backend)
{
    memset(t, 0, sizeof *t);
    const char *extra[] = {"--org-kind", "park", "--org-name", "风险园区", NULL};
    ws_serve_extra[0] = "--tick-seconds";
    ws_serve_extra[1] = "1";
    assert_int_equal(ws_server_start(&t->s, backend, extra), 0);
    ws_serve_extra[0] = NULL;
    assert_int_equal(ws_login(&t->s, "admin", WS_ADMIN_PW, t->admin), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/me", t->admin, NULL, &r), 200);
    long long park = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[600];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E1\",\"name\":\"化工\"}", park);
    t->ent = ws_post_id(&t->s, t->admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A1\",\"name\":\"罐区\"}", t->ent);
    t->area = ws_post_id(&t->s, t->admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A2\",\"name\":\"仓库\"}", t->ent);
    t->area2 = ws_post_id(&t->s, t->admin, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"安全员\"}", t->area);
    t->person = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"username\":\"so\",\"password\":\"Risk-Pass-2026\",\"roles\":[\"safety_officer\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", t->ent, t->person);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, "so", "Risk-Pass-2026", t->so), 200);
    /* someone scoped to the other area only */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"仓管员\"}", t->area2);
    long long p2 = ws_post_id(&t->s, t->admin, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"username\":\"w2\",\"password\":\"Risk-Pass-2026\",\"roles\":[\"worker\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}", t->area2, p2);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, "w2", "Risk-Pass-2026", t->other), 200);
}

static void index_moves_with_each_factor(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int bi = 0; bi < nb; bi++) {
        T t;
        setup(&t, be[bi]);
        char b[900], p[160];
        json_t *o = NULL;

        /* A quiet new area. */
        double base = index_of(&t, t.area, &o);
        assert_true(base >= 0 && base < 25);
        assert_string_equal(json_string_value(json_object_get(o, "colour")), "blue");
        assert_non_null(json_object_get(o, "projection"));
        json_decref(o);

        /* Bad weather input: refused naming the field, nothing stored. */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"wind_ms\":-3}", t.ent);
        weather_refused(&t, b, "wind_ms");
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"lightning\":\"purple\"}", t.ent);
        weather_refused(&t, b, "lightning");
        snprintf(b, sizeof b, "{\"unit_id\":%lld}", t.ent);
        weather_refused(&t, b, "wind_ms");
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"temp_c\":\"hot\"}", t.ent);
        weather_refused(&t, b, "temp_c");
        weather_refused(&t, "{\"wind_ms\":3}", "unit_id");
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"rain_mmh\":2,\"observed_at\":\"2099-01-01T00:00:00Z\"}", t.ent);
        weather_refused(&t, b, "observed_at");
        snprintf(p, sizeof p, "/api/v1/weather?unit_id=%lld", t.ent);
        assert_int_equal(ws_req(&t.s, "GET", p, t.so, NULL, &o), 200);
        assert_int_equal(json_array_size(json_object_get(o, "items")), 0);
        json_decref(o);
        /* a worker cannot post weather */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"wind_ms\":3}", t.area2);
        assert_int_equal(ws_req(&t.s, "POST", "/api/v1/weather", t.other, b, NULL), 403);

        /* A red lightning warning with a gale, forecast for two hours from
         * now in the quiet area: its projection rises from that hour and
         * warns; its index now does not move. */
        long long t_fc = (long long)time(NULL) * 1000 + 2 * 3600000LL;
        char fc[40], far[40];
        iso(t_fc, fc);
        iso(t_fc + 100 * 3600000LL, far);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"lightning\":\"red\",\"forecast\":true}", t.area2);
        weather_refused(&t, b, "observed_at");
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"lightning\":\"red\",\"forecast\":true,\"observed_at\":\"%s\"}",
                 t.area2, far);
        weather_refused(&t, b, "observed_at");
        double quiet = index_of(&t, t.area2, NULL);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"wind_ms\":20,\"lightning\":\"red\",\"forecast\":true,"
                 "\"observed_at\":\"%s\",\"source\":\"气象台预警\"}", t.area2, fc);
        ws_post_id(&t.s, t.admin, "/api/v1/weather", b);
        assert_true(fabs(index_of(&t, t.area2, &o) - quiet) < 1e-9);
        json_t *fh = json_object_get(json_object_get(o, "projection"), "hours");
        double h1 = json_number_value(json_object_get(json_array_get(fh, 0), "index"));
        double h2 = json_number_value(json_object_get(json_array_get(fh, 1), "index"));
        if (!(h2 - h1 >= 20)) fail_msg("forecast not projected: %s", json_dumps(fh, 0));
        json_t *fw = json_object_get(json_object_get(o, "projection"), "warning");
        assert_true(json_is_object(fw));
        assert_int_equal(json_integer_value(json_object_get(fw, "in_h")), 2);
        json_decref(o);

        /* Weather on the enterprise applies to its areas. */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"wind_ms\":18.5,\"rain_mmh\":1,\"temp_c\":31,"
                 "\"lightning\":\"red\",\"source\":\"园区气象站\"}", t.ent);
        ws_post_id(&t.s, t.admin, "/api/v1/weather", b);
        double wx = index_of(&t, t.area, &o);
        assert_true(wx > base);
        json_t *f = factor(o, "weather");
        assert_non_null(f);
        assert_true(json_number_value(json_object_get(f, "points")) > 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(o, "inputs"), "weather"),
                                                              "lightning")), "red");
        json_decref(o);

        /* A gas detector at 80 % of its alarm limit (H 25 %LEL → 20). */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"GT-301\",\"name\":\"罐区可燃气体\","
                 "\"kind\":\"combustible\"}", t.area);
        ws_post_id(&t.s, t.admin, "/api/v1/points", b);
        json_t *r = NULL;
        long st = ws_http(&t.s, "POST", "/api/v1/ingest", t.admin, "GT-301 20\n", 10, "text/plain", &r, NULL);
        if (st != 200 && st != 202) fail_msg("ingest -> %ld", st);
        json_decref(r);
        double rd = index_of(&t, t.area, &o);
        assert_true(rd > wx);
        f = factor(o, "readings");
        if (!f) fail_msg("no readings factor: %s", json_dumps(o, 0));
        assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "GT-301"));
        json_decref(o);

        /* A 重大 hidden danger, and an ordinary one already overdue. */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"罐区紧急切断阀失效\",\"accident_type\":\"13\","
                 "\"grade\":\"major\"}", t.area);
        ws_post_id(&t.s, t.admin, "/api/v1/hazards", b);
        double hz = index_of(&t, t.area, &o);
        assert_true(hz > rd);
        f = factor(o, "hazards");
        assert_non_null(f);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(o, "inputs"), "hazards"),
                                                            "major")), 1);
        json_decref(o);

        /* A hot-work 二级 permit (一级 at night or on a holiday) applied for, planned three hours from now:
         * the projection carries it in the hours it is planned, not before. */
        long long now = (long long)time(NULL) * 1000;
        assert_int_equal(index_of(&t, t.area, &o) > 0, 1);
        json_t *before = json_deep_copy(json_object_get(json_object_get(o, "projection"), "hours"));
        json_decref(o);
        apply_hot_work(&t, now + 3 * 3600000LL + 600000, now + 9 * 3600000LL);
        index_of(&t, t.area, &o);
        json_t *pj = json_object_get(o, "projection"), *hours = json_object_get(pj, "hours");
        assert_true(json_array_size(hours) >= 5);
        for (size_t h = 0; h < json_array_size(hours); h++) {
            double was = json_number_value(json_object_get(json_array_get(before, h), "index"));
            double now_v = json_number_value(json_object_get(json_array_get(hours, h), "index"));
            if (h < 3) assert_true(fabs(now_v - was) < 1e-9); /* not yet planned */
            else if (h < 8) assert_true(now_v > was);         /* the permit's hours */
        }
        json_decref(before);
        json_decref(o);

        /* The list: the worse area first, both in scope of the enterprise. */
        snprintf(p, sizeof p, "/api/v1/risk-index?unit_id=%lld", t.ent);
        assert_int_equal(ws_req(&t.s, "GET", p, t.so, NULL, &o), 200);
        json_t *items = json_object_get(o, "items");
        assert_int_equal(json_array_size(items), 2);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "unit_id")), t.area);
        json_decref(o);

        /* The server's timer stores the history (one row per 15 minutes). */
        int rows = 0;
        for (int k = 0; k < 50 && !rows; k++) {
            usleep(100000);
            snprintf(p, sizeof p, "/api/v1/risk-index/%lld/history", t.area);
            assert_int_equal(ws_req(&t.s, "GET", p, t.so, NULL, &o), 200);
            json_t *it = json_object_get(o, "items");
            rows = (int)json_array_size(it);
            if (rows) assert_non_null(json_object_get(json_array_get(it, 0), "factors"));
            json_decref(o);
        }
        assert_true(rows >= 1);

        /* A detector climbing for five hours (ratio +0.1 an hour, now 0.9 of
         * H): the projection carries it past H, so it warns of orange and
         * names the point; the forecast is owed to the climb. */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"GT-902\",\"name\":\"装车台可燃气体\","
                 "\"kind\":\"combustible\"}", t.area2);
        ws_post_id(&t.s, t.admin, "/api/v1/points", b);
        {
            const long long H = 3600000;
            long long t0 = ((long long)time(NULL) * 1000 / H - 5) * H;
            char body[2048];
            size_t bl = 0;
            for (int i = 0; i <= 30; i++) /* every 10 minutes: 10 → 22.5 %LEL */
                bl += (size_t)snprintf(body + bl, sizeof body - bl, "GT-902 %.4f %lld\n", 10 + 2.5 * i / 6.0,
                                       t0 + i * 600000LL);
            st = ws_http(&t.s, "POST", "/api/v1/ingest", t.admin, body, bl, "text/plain", &r, NULL);
            if (st != 200 && st != 202) fail_msg("ingest -> %ld", st);
            json_decref(r);
        }
        index_of(&t, t.area2, &o);
        json_t *wn = json_object_get(json_object_get(o, "projection"), "warning");
        if (!json_is_object(wn)) fail_msg("no forecast warning: %s", json_dumps(o, 0));
        assert_string_equal(json_string_value(json_object_get(json_object_get(wn, "climbing"), "tag")), "GT-902");
        assert_true(fabs(json_number_value(json_object_get(json_object_get(wn, "climbing"), "climb_per_h")) - 0.1) < 0.01);
        json_decref(o);

        /* A detector past HH (combustible: 50 %LEL) holds the quiet second
         * area at red, whatever else it has, and says why. */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"GT-901\",\"name\":\"装车台可燃气体\","
                 "\"kind\":\"combustible\"}", t.area2);
        ws_post_id(&t.s, t.admin, "/api/v1/points", b);
        st = ws_http(&t.s, "POST", "/api/v1/ingest", t.admin, "GT-901 62\n", 10, "text/plain", &r, NULL);
        if (st != 200 && st != 202) fail_msg("ingest -> %ld", st);
        json_decref(r);
        assert_true(index_of(&t, t.area2, &o) >= 75);
        assert_string_equal(json_string_value(json_object_get(o, "colour")), "red");
        f = factor(o, "readings");
        if (!f || !strstr(json_string_value(json_object_get(f, "detail")), "GT-901 at 2.48 of its limit, past its second limit"))
            fail_msg("readings factor: %s", json_dumps(o, 0));
        json_t *p0 = json_array_get(json_object_get(json_object_get(o, "inputs"), "points"), 0);
        assert_int_equal(json_integer_value(json_object_get(p0, "past")), 2);
        assert_true(json_is_number(json_object_get(p0, "climb_per_h"))); /* one reading: 0 */
        json_decref(o);

        /* Scope: the worker of the other area sees neither this area nor its history. */
        snprintf(p, sizeof p, "/api/v1/risk-index/%lld", t.area);
        assert_int_equal(ws_req(&t.s, "GET", p, t.other, NULL, &o), 404);
        assert_string_equal(ws_err_field_of(o), "unit_id");
        json_decref(o);
        snprintf(p, sizeof p, "/api/v1/risk-index/%lld", t.area2);
        assert_int_equal(ws_req(&t.s, "GET", p, t.other, NULL, NULL), 200);
        assert_int_equal(ws_req(&t.s, "GET", "/api/v1/risk-index?unit_id=999999", t.so, NULL, NULL), 404);
        /* A worker scoped to a grid inside the area reads the area's index (its
         * list, the area itself and its history), not the other area's nor
         * the enterprise's. */
        char b2[400], grid_tok[65];
        snprintf(b2, sizeof b2, "{\"parent_id\":%lld,\"kind\":\"grid\",\"code\":\"G1\",\"name\":\"罐区一网格\"}", t.area);
        long long grid = ws_post_id(&t.s, t.admin, "/api/v1/units", b2);
        snprintf(b2, sizeof b2, "{\"unit_id\":%lld,\"name\":\"网格员\"}", grid);
        long long gp = ws_post_id(&t.s, t.admin, "/api/v1/people", b2);
        snprintf(b2, sizeof b2, "{\"username\":\"g1\",\"password\":\"Risk-Pass-2026\",\"roles\":[\"worker\"],"
                 "\"scope_unit_id\":%lld,\"person_id\":%lld}", grid, gp);
        ws_post_id(&t.s, t.admin, "/api/v1/accounts", b2);
        assert_int_equal(ws_login(&t.s, "g1", "Risk-Pass-2026", grid_tok), 200);
        for (int q = 0; q < 2; q++) {
            snprintf(p, sizeof p, q ? "/api/v1/risk-index?unit_id=%lld" : "/api/v1/risk-index", t.area);
            assert_int_equal(ws_req(&t.s, "GET", p, grid_tok, NULL, &o), 200);
            json_t *its = json_object_get(o, "items");
            if (json_array_size(its) != 1 ||
                json_integer_value(json_object_get(json_array_get(its, 0), "unit_id")) != t.area)
                fail_msg("%s as the grid's worker: %s", p, json_dumps(o, 0));
            json_decref(o);
        }
        snprintf(p, sizeof p, "/api/v1/risk-index/%lld", t.area);
        assert_int_equal(ws_req(&t.s, "GET", p, grid_tok, NULL, NULL), 200);
        snprintf(p, sizeof p, "/api/v1/risk-index/%lld/history", t.area);
        assert_int_equal(ws_req(&t.s, "GET", p, grid_tok, NULL, NULL), 200);
        long long other_units[] = {t.area2, t.ent};
        for (int q = 0; q < 2; q++) {
            snprintf(p, sizeof p, "/api/v1/risk-index/%lld", other_units[q]);
            assert_int_equal(ws_req(&t.s, "GET", p, grid_tok, NULL, NULL), 404);
            snprintf(p, sizeof p, "/api/v1/risk-index?unit_id=%lld", other_units[q]);
            assert_int_equal(ws_req(&t.s, "GET", p, grid_tok, NULL, NULL), 404);
        }
        snprintf(p, sizeof p, "/api/v1/risk-index/%lld/history?from=yesterday", t.area);
        assert_int_equal(ws_req(&t.s, "GET", p, t.so, NULL, &o), 400);
        assert_string_equal(ws_err_field_of(o), "from");
        json_decref(o);
        ws_server_destroy(&t.s);
    }
}

static void parameters_are_versioned_data(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int bi = 0; bi < nb; bi++) {
        T t;
        setup(&t, be[bi]);
        json_t *o = NULL;
        assert_int_equal(ws_req(&t.s, "GET", "/api/v1/risk-index/params", t.so, NULL, &o), 200);
        assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
        json_t *params = json_deep_copy(json_object_get(o, "params"));
        assert_non_null(json_object_get(params, "projection"));
        json_decref(o);
        /* Only an admin changes them. */
        json_t *body = json_pack("{s:s,s:O}", "comment", "夜班权重上调", "params", params);
        char *txt = json_dumps(body, JSON_COMPACT);
        assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/risk-index/params", t.so, txt, NULL), 403);
        free(txt);
        /* A mistake is refused naming the field inside params. */
        json_t *bad = json_deep_copy(params);
        json_object_set_new(json_object_get(bad, "projection"), "horizon_h", json_integer(1000));
        json_object_set_new(body, "params", bad);
        txt = json_dumps(body, JSON_COMPACT);
        assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/risk-index/params", t.admin, txt, &o), 400);
        assert_string_equal(ws_err_field_of(o), "params.projection.horizon_h");
        json_decref(o);
        free(txt);
        /* A good one is version 2, in force at once. */
        json_t *good = json_deep_copy(params);
        json_object_set_new(json_object_get(good, "projection"), "horizon_h", json_integer(12));
        json_object_set_new(body, "params", good);
        txt = json_dumps(body, JSON_COMPACT);
        assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/risk-index/params", t.admin, txt, &o), 200);
        assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
        assert_int_equal(json_array_size(json_object_get(o, "versions")), 2);
        json_decref(o);
        free(txt);
        char p[80];
        snprintf(p, sizeof p, "/api/v1/risk-index/%lld", t.area);
        assert_int_equal(ws_req(&t.s, "GET", p, t.so, NULL, &o), 200);
        assert_int_equal(json_integer_value(json_object_get(o, "params_version")), 2);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "projection"), "horizon_h")), 12);
        json_decref(o);

        /* The forecast alarm: with orange from 5.5 points (version 3), the
         * quiet area (0, or 5 during a night shift: blue under 5.2) is
         * projected orange once a hot-work permit is planned in it, and the
         * server's timer raises one 预警 saying so. */
        json_t *low = json_deep_copy(good);
        json_t *cut = json_object_get(low, "cutoffs");
        json_object_set_new(cut, "yellow", json_real(5.2));
        json_object_set_new(cut, "orange", json_real(5.5));
        json_object_set_new(cut, "red", json_real(99));
        json_object_set_new(body, "params", low);
        txt = json_dumps(body, JSON_COMPACT);
        assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/risk-index/params", t.admin, txt, &o), 200);
        assert_int_equal(json_integer_value(json_object_get(o, "version")), 3);
        json_decref(o);
        free(txt);
        long long now = (long long)time(NULL) * 1000;
        long long planned = apply_hot_work(&t, now + 2 * 3600000LL, now + 8 * 3600000LL);
        assert_int_equal(ws_req(&t.s, "GET", p, t.so, NULL, &o), 200);
        assert_string_equal(json_string_value(json_object_get(o, "colour")), "blue");
        json_t *warning = json_object_get(json_object_get(o, "projection"), "warning");
        if (!json_is_object(warning)) fail_msg("no warning: %s", json_dumps(json_object_get(o, "projection"), 0));
        assert_string_equal(json_string_value(json_object_get(warning, "colour")), "orange");
        long long in_h = json_integer_value(json_object_get(warning, "in_h"));
        assert_true(in_h >= 2);
        /* It says why: the permits factor rises by then, by the permit planned
         * (listed with its code), and that hour's factors show it. */
        json_t *why0 = json_array_get(json_object_get(warning, "why"), 0);
        assert_string_equal(json_string_value(json_object_get(why0, "factor")), "permits");
        assert_true(json_number_value(json_object_get(why0, "change")) > 0);
        size_t ip;
        json_t *pm;
        int listed = 0;
        json_array_foreach(json_object_get(warning, "permits"), ip, pm) {
            listed += json_integer_value(json_object_get(pm, "id")) == planned &&
                      !strcmp(json_string_value(json_object_get(pm, "type")), "hot_work") &&
                      strlen(json_string_value(json_object_get(pm, "code"))) > 0;
        }
        assert_int_equal(listed, 1);
        json_t *hours = json_object_get(json_object_get(o, "projection"), "hours");
        json_t *then = json_object_get(json_array_get(hours, (size_t)in_h - 1), "factors");
        json_t *next = json_object_get(json_array_get(hours, 0), "factors"); /* before the job */
        assert_true(json_number_value(json_object_get(then, "permits")) > 0);
        assert_null(json_object_get(next, "permits"));
        json_decref(o);
        int found = 0;
        for (int k = 0; k < 60 && !found; k++) {
            usleep(100000);
            assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?state=open&limit=200", t.admin, NULL, &o), 200);
            size_t i;
            json_t *x;
            json_array_foreach(json_object_get(o, "items"), i, x) {
                const char *title = json_string_value(json_object_get(x, "title"));
                found += title && strstr(title, "动态风险预警") && strstr(title, "罐区") && strstr(title, "橙") &&
                         strstr(title, "计划动火作业");
            }
            json_decref(o);
        }
        assert_int_equal(found, 1);
        /* The list shows the coming colour of the area with the active
         * forecast alarm, projected again (how far off it is now, and why). */
        assert_int_equal(ws_req(&t.s, "GET", "/api/v1/risk-index", t.so, NULL, &o), 200);
        int warned = 0;
        size_t ia;
        json_t *item;
        json_array_foreach(json_object_get(o, "items"), ia, item) {
            json_t *lw = json_object_get(item, "warning");
            if (json_integer_value(json_object_get(item, "unit_id")) != t.area) {
                assert_true(json_is_null(lw));
                continue;
            }
            assert_true(json_is_object(lw));
            assert_string_equal(json_string_value(json_object_get(lw, "colour")), "orange");
            assert_true(json_integer_value(json_object_get(lw, "in_h")) >= 1);
            assert_true(json_integer_value(json_object_get(lw, "alarm_id")) > 0);
            assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(lw, "why"), 0), "factor")),
                                "permits");
            warned++;
        }
        assert_int_equal(warned, 1);
        json_decref(o);

        /* Hysteresis (version 4: yellow from 10, held 20 points below): a
         * gale with a red lightning warning makes the area yellow and the
         * timer stores it; when calm returns the index falls under 10 but
         * the colour stays yellow. */
        json_t *hy = json_deep_copy(json_object_get(body, "params"));
        cut = json_object_get(hy, "cutoffs");
        json_object_set_new(cut, "yellow", json_real(10));
        json_object_set_new(cut, "orange", json_real(40));
        json_object_set_new(cut, "hysteresis", json_real(20));
        json_object_set_new(body, "params", hy);
        txt = json_dumps(body, JSON_COMPACT);
        assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/risk-index/params", t.admin, txt, &o), 200);
        json_decref(o);
        free(txt);
        char wb[300];
        snprintf(wb, sizeof wb, "{\"unit_id\":%lld,\"wind_ms\":20,\"lightning\":\"red\"}", t.area);
        ws_post_id(&t.s, t.admin, "/api/v1/weather", wb);
        char hp[100];
        snprintf(hp, sizeof hp, "/api/v1/risk-index/%lld/history?from=%s", t.area, fc_now(-1200));
        const char *last = "";
        o = NULL;
        for (int k = 0; k < 60 && strcmp(last, "yellow"); k++) {
            usleep(100000);
            json_decref(o);
            o = NULL;
            assert_int_equal(ws_req(&t.s, "GET", hp, t.so, NULL, &o), 200);
            json_t *it = json_object_get(o, "items");
            last = json_array_size(it) ? json_string_value(json_object_get(json_array_get(it, json_array_size(it) - 1), "colour")) : "";
        }
        assert_string_equal(last, "yellow");
        json_decref(o);
        usleep(10000);
        snprintf(wb, sizeof wb, "{\"unit_id\":%lld,\"wind_ms\":2,\"lightning\":\"none\"}", t.area);
        ws_post_id(&t.s, t.admin, "/api/v1/weather", wb);
        assert_int_equal(ws_req(&t.s, "GET", p, t.so, NULL, &o), 200);
        assert_true(json_number_value(json_object_get(o, "index")) < 10);
        assert_string_equal(json_string_value(json_object_get(o, "colour")), "yellow");
        json_decref(o);
        json_decref(body);
        json_decref(params);
        ws_server_destroy(&t.s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_moves_with_each_factor),
        cmocka_unit_test(parameters_are_versioned_data),
    };
    return cmocka_run_group_tests_name("dynrisk", tests, NULL, NULL);
}
