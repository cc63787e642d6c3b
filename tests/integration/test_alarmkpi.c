/* test_alarmkpi.c — GET /api/v1/alarms/kpi over the wire, on SQLite and
 * PostgreSQL, from real rows in the tables of migration 12 (alarms,
 * alarm_events) written beside the running server, so every figure is
 * known to the second:
 *
 *   window [T0, T0 + 1 h): 6 periods of 10 minutes.
 *   area A (合成车间): 12 alarms (报警) in the first 3 min 40 s, the i-th
 *     acknowledged by P1 after 10 i s (i = 1..12) and closed by P1 600 s
 *     after it was raised; a 13th at T0 + 35 min acknowledged by P2 after
 *     300 s, closed 900 s after it was raised.
 *   area B (仓库): one 紧急 alarm at T0 + 30 min, acknowledged by P2 after
 *     60 s, cleared, reactivated at + 5 min and acknowledged again after
 *     30 s, closed by P2 at + 20 min; one raise an hour before T0 (outside).
 *
 * So A has 13 raised, peak 12 (a flood: more than 10), 1 flood period of 6
 * (16.7 %), 600 s in flood; time to acknowledge n 13, mean 1080/13 s, p90
 * (rank 12 of 13) 120 s, max 300 s. B: 1 raised, 2 annunciations, acks 60
 * and 30 s measured from the annunciation before each. P1: 12 acks in one
 * period (a flood for the person), mean 65 s, p90 (rank 11) 110 s. A safety
 * officer scoped to B sees only B, and unit_id of A answers 404 naming
 * unit_id. When the server has the ingest route, a reading over H on a new
 * point in A is counted as a raise. A's 13 alarms are of a point whose
 * response card says one minute: 6 of the 13 acknowledgements are in time.
 *
 * Bad actors, in the window [T0 + 2 h, T0 + 3 h): alarm (rule 5, source 500)
 * in A annunciated 4 times, three of them within 40 s (chattering); (6, 600)
 * raised twice as two alarm rows 10 minutes apart, the second flap-
 * suppressed by the alarm core (chattering too); (7, 700) in B once. So
 * the frequent list is 4, 2, 1 (57.1 %, ...), two chattering alarms, the
 * top 10 are 100 % of the load. In the first window B's alarm (2 annunciations)
 * leads, and the top 10 carry 11 of 15 (73.3 %). Stale now: of four open
 * alarms raised three days ago, only the acknowledged one still in alarm
 * (not the one returned to normal, not the shelved one, not the one
 * reactivated an hour ago) — and not for the officer scoped to B. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "integration/common.h"
#include "store/store.h"

typedef struct T {
    ws_server s;
    char tok[65];
    long long park, ent, site, area_a, area_b, p1, p2, point;
    long long t0;
    store *db;
    store_conn *c;
    long long next_alarm, next_seq;
} T;

static void exec(T *t, const char *sql)
{
    if (store_exec(t->c, sql)) fail_msg("%s: %s", sql, ws_err_message());
}

static void event(T *t, long long alarm, long long unit, long long at, const char *kind, int level,
                  const char *from, const char *to, long long person)
{
    char sql[512], pid[24];
    snprintf(pid, sizeof pid, "%lld", person);
    snprintf(sql, sizeof sql,
             "INSERT INTO alarm_events (seq, alarm_id, unit_id, at, kind, level, state_from, state_to, "
             "person_id, who, flood_group, flood_ms) VALUES (%lld, %lld, %lld, %lld, '%s', %d, %s%s%s, "
             "'%s', %s, %s, 0, 0)",
             ++t->next_seq, alarm, unit, at, kind, level, from ? "'" : "", from ? from : "NULL",
             from ? "'" : "", to, person ? pid : "NULL", person ? "'测试'" : "NULL");
    exec(t, sql);
}

/* A closed alarm of unit raised at `raised`, acked after tta ms by `acker`,
 * closed at raised + ttc by `closer`; returns its id. */
static long long alarm(T *t, long long unit, int level, long long raised, long long tta,
                       long long acker, long long ttc, long long closer)
{
    long long id = ++t->next_alarm;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO alarms (id, rule_id, source_id, point_id, unit_id, level, state, open, title, "
             "value, count, raised_at, acked_at, acked_by_person_id, cleared_at, closed_at, "
             "closed_by_person_id, cause, action, doc, src_ms) VALUES (%lld, 1, %lld, NULL, %lld, %d, "
             "'closed', 0, 'KPI 测试', 30, 1, %lld, %lld, %lld, %lld, %lld, %lld, '测试', '复位', '{}', %lld)",
             id, id, unit, level, raised, raised + tta, acker, raised + tta + 1, raised + ttc, closer,
             raised);
    exec(t, sql);
    event(t, id, unit, raised, "raise", level, NULL, "unack", 0);
    event(t, id, unit, raised + tta, "ack", level, "unack", "acked", acker);
    event(t, id, unit, raised + tta + 1, "clear", level, "acked", "rtn_acked", 0);
    event(t, id, unit, raised + ttc, "close", level, "rtn_acked", "closed", closer);
    return id;
}

/* An alarm row of identity (rule, source) in `state`, raised at `raised`
 * (open unless closed), without events; returns its id. */
static long long alarm_row(T *t, int rule, long long source, long long unit, int level, const char *state,
                           long long raised)
{
    long long id = ++t->next_alarm;
    char sql[1024];
    bool closed = !strcmp(state, "closed");
    snprintf(sql, sizeof sql,
             "INSERT INTO alarms (id, rule_id, source_id, point_id, unit_id, level, state, open, title, "
             "value, count, raised_at, doc, src_ms) VALUES (%lld, %d, %lld, NULL, %lld, %d, '%s', %d, "
             "'KPI 坏分子 %d', 30, 1, %lld, '{}', %lld)",
             id, rule, source, unit, level, state, closed ? 0 : 1, rule, raised, raised);
    exec(t, sql);
    return id;
}

/* The alarms of the bad-actor window and the stale ones (see the top). */
static void seed_bad_actors(T *t)
{
    long long w2 = t->t0 + 2 * 3600000LL, A = t->area_a, B = t->area_b;
    long long x = alarm_row(t, 5, 500, A, 1, "closed", w2);
    event(t, x, A, w2, "raise", 1, NULL, "unack", 0);
    const long long off[] = {10000, 20000, 30000, 40000, 50000, 30 * 60000LL};
    for (int i = 0; i < 6; i++)
        event(t, x, A, w2 + off[i], i % 2 ? "reactivate" : "clear", 1, i % 2 ? "rtn_unack" : "unack",
              i % 2 ? "unack" : "rtn_unack", 0);
    for (int i = 1; i <= 2; i++) {
        long long y = alarm_row(t, 6, 600, A, 2, "closed", w2 + i * 10 * 60000LL);
        event(t, y, A, w2 + i * 10 * 60000LL, "raise", 2, NULL, "unack", 0);
        /* the alarm core's flap suppression began on the second (its
         * raises then count without being annunciated) */
        if (i == 2) event(t, y, A, w2 + i * 10 * 60000LL + 1000, "chatter_begin", 2, "unack", "unack", 0);
    }
    long long z = alarm_row(t, 7, 700, B, 1, "closed", w2 + 5 * 60000LL);
    event(t, z, B, w2 + 5 * 60000LL, "raise", 1, NULL, "unack", 0);
    long long now = (long long)time(NULL) * 1000, d3 = now - 3 * 86400000LL;
    alarm_row(t, 8, 800, A, 2, "acked", d3);     /* stale */
    alarm_row(t, 9, 900, A, 2, "rtn_unack", d3); /* returned to normal */
    alarm_row(t, 11, 1100, B, 3, "shelved", d3);
    long long r = alarm_row(t, 10, 1000, B, 2, "unack", d3);
    event(t, r, B, now - 3600000LL, "reactivate", 2, "rtn_unack", "unack", 0);
}

static void seed(T *t)
{
    char url[600];
    if (t->s.db[0]) snprintf(url, sizeof url, "%s", t->s.db);
    else snprintf(url, sizeof url, "%s/worksafe.db", t->s.dir);
    assert_int_equal(store_open(url, 1, &t->db), WS_OK);
    assert_int_equal(store_acquire(t->db, &t->c), WS_OK);
    t->next_alarm = 900000;
    t->next_seq = 900000;
    long long T0 = t->t0;
    for (int i = 1; i <= 12; i++)
        alarm(t, t->area_a, 2, T0 + (i - 1) * 20000LL, i * 10000LL, t->p1, 600000, t->p1);
    alarm(t, t->area_a, 2, T0 + 35 * 60000LL, 300000, t->p2, 900000, t->p2);
    /* B: raise, ack after 60 s, clear, reactivate at +5 min, ack after 30 s, close at +20 min. */
    long long b = ++t->next_alarm, rb = T0 + 30 * 60000LL;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO alarms (id, rule_id, source_id, point_id, unit_id, level, state, open, title, "
             "value, count, raised_at, acked_at, acked_by_person_id, cleared_at, closed_at, "
             "closed_by_person_id, cause, action, doc, src_ms) VALUES (%lld, 2, %lld, NULL, %lld, 3, "
             "'closed', 0, 'KPI 紧急', 60, 2, %lld, %lld, %lld, %lld, %lld, %lld, '泄漏', '堵漏', '{}', %lld)",
             b, b, t->area_b, rb, rb + 330000, t->p2, rb + 400000, rb + 1200000, t->p2, rb);
    exec(t, sql);
    event(t, b, t->area_b, rb, "raise", 3, NULL, "unack", 0);
    event(t, b, t->area_b, rb + 60000, "ack", 3, "unack", "acked", t->p2);
    event(t, b, t->area_b, rb + 120000, "clear", 3, "acked", "rtn_acked", 0);
    event(t, b, t->area_b, rb + 300000, "reactivate", 3, "rtn_acked", "unack", 0);
    event(t, b, t->area_b, rb + 330000, "ack", 3, "unack", "acked", t->p2);
    event(t, b, t->area_b, rb + 400000, "clear", 3, "acked", "rtn_acked", 0);
    event(t, b, t->area_b, rb + 1200000, "close", 3, "rtn_acked", "closed", t->p2);
    /* Outside the window: an hour before T0. */
    alarm(t, t->area_b, 1, T0 - 3600000LL, 5000, t->p2, 60000, t->p2);
    seed_bad_actors(t);
    snprintf(sql, sizeof sql, "UPDATE alarms SET point_id = %lld WHERE unit_id = %lld AND rule_id = 1", t->point, t->area_a);
    exec(t, sql);
    store_release(t->c);
    store_close(t->db);
}

static void setup(T *t, const char *backend)
{
    memset(t, 0, sizeof *t);
    const char *extra[] = {"--org-kind", "park", "--org-name", "报警园区", NULL};
    assert_int_equal(ws_server_start(&t->s, backend, extra), 0);
    assert_int_equal(ws_login(&t->s, "admin", WS_ADMIN_PW, t->tok), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/me", t->tok, NULL, &r), 200);
    t->park = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[512];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E1\",\"name\":\"企业\"}", t->park);
    t->ent = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂区\"}", t->ent);
    t->site = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A\",\"name\":\"合成车间\"}", t->site);
    t->area_a = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"B\",\"name\":\"仓库\"}", t->site);
    t->area_b = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"操作员甲\"}", t->area_a);
    t->p1 = ws_post_id(&t->s, t->tok, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"操作员乙\"}", t->area_b);
    t->p2 = ws_post_id(&t->s, t->tok, "/api/v1/people", b);
    /* A's alarms of rule 1 are of a point whose response card says act
     * within a minute. */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"KPI-P\",\"name\":\"合成釜可燃气体\",\"kind\":\"combustible\"}",
             t->area_a);
    t->point = ws_post_id(&t->s, t->tok, "/api/v1/points", b);
    snprintf(b, sizeof b, "/api/v1/points/%lld/response", t->point);
    assert_int_equal(ws_req(&t->s, "PUT", b, t->tok, "{\"action\":\"关阀\",\"response_min\":1}", NULL), 200);
    /* Two days ago, on a whole 10 minutes. */
    t->t0 = ((long long)time(NULL) * 1000 - 2 * 86400000LL) / 600000 * 600000;
    seed(t);
}

static void iso(long long ms, char *out, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *kpi_at(T *t, long long at, const char *tok, const char *extra, long want)
{
    char from[32], to[32], p[256];
    iso(at, from, sizeof from);
    iso(at + 3600000LL, to, sizeof to);
    snprintf(p, sizeof p, "/api/v1/alarms/kpi?from=%s&to=%s%s", from, to, extra ? extra : "");
    json_t *r = NULL;
    long st = ws_req(&t->s, "GET", p, tok, NULL, &r);
    if (st != want) fail_msg("GET %s -> %ld (%s %s), want %ld", p, st, ws_err_code_of(r), ws_err_field_of(r), want);
    return r;
}

static json_t *kpi(T *t, const char *tok, const char *extra, long want)
{
    return kpi_at(t, t->t0, tok, extra, want);
}

static json_t *group_of(json_t *arr, const char *key, long long id)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) if (json_integer_value(json_object_get(x, key)) == id) return x;
    fail_msg("no %s %lld in the answer", key, id);
    return NULL;
}

static double num(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b) v = json_object_get(v, b);
    if (!json_is_number(v)) fail_msg("%s%s%s is not a number", a, b ? "." : "", b ? b : "");
    return json_number_value(v);
}

static void near(double got, double want, const char *what)
{
    if (fabs(got - want) > 0.01) fail_msg("%s: got %g, want %g", what, got, want);
}

static void run(const char *backend)
{
    T t;
    setup(&t, backend);
    json_t *r = kpi(&t, t.tok, NULL, 200);
    near(num(r, "periods", NULL), 6, "periods");
    json_t *ref = json_object_get(r, "reference");
    near(num(ref, "acceptable_per_10min", NULL), 1, "reference acceptable");
    near(num(ref, "manageable_per_10min", NULL), 2, "reference manageable");
    near(num(ref, "flood_over_per_10min", NULL), 10, "reference flood");
    json_t *s = json_object_get(r, "summary");
    near(num(s, "raised", NULL), 14, "summary raised (the raise before the window is not counted)");
    near(num(json_object_get(s, "by_level"), "2", NULL), 13, "summary 报警");
    near(num(json_object_get(s, "by_level"), "3", NULL), 1, "summary 紧急");
    near(num(json_object_get(s, "by_level"), "1", NULL), 0, "summary 预警 (outside the window)");
    near(num(s, "per_10min_peak", NULL), 12, "summary peak");
    near(num(s, "flood_periods", NULL), 1, "summary flood periods");
    near(num(s, "ack", "n"), 15, "summary acks");

    json_t *a = group_of(json_object_get(r, "areas"), "unit_id", t.area_a);
    assert_string_equal(json_string_value(json_object_get(a, "unit_name")), "合成车间");
    near(num(a, "raised", NULL), 13, "A raised");
    near(num(a, "annunciated", NULL), 13, "A annunciated");
    near(num(a, "per_10min_avg", NULL), 13.0 / 6, "A average per 10 min");
    near(num(a, "per_10min_peak", NULL), 12, "A peak");
    near(num(a, "flood_periods", NULL), 1, "A flood periods");
    near(num(a, "flood_pct", NULL), 100.0 / 6, "A % of periods in flood");
    near(num(a, "time_in_flood_s", NULL), 600, "A time in flood");
    near(num(a, "ack", "n"), 13, "A acks");
    near(num(a, "ack", "mean_s"), 1080.0 / 13, "A mean time to acknowledge");
    near(num(a, "ack", "p90_s"), 120, "A p90 time to acknowledge");
    near(num(a, "ack", "max_s"), 300, "A max time to acknowledge");
    near(num(a, "close", "n"), 13, "A closes");
    near(num(a, "close", "mean_s"), (12 * 600.0 + 900) / 13, "A mean time to close");
    near(num(a, "on_time", "acks"), 13, "A acks of alarms with a response card");
    near(num(a, "on_time", "on_time"), 6, "A acks within its minute (10 .. 60 s)");
    near(num(json_object_get(r, "summary"), "on_time", "pct"), 600.0 / 13, "on time in all");

    json_t *b = group_of(json_object_get(r, "areas"), "unit_id", t.area_b);
    near(num(b, "raised", NULL), 1, "B raised");
    near(num(b, "annunciated", NULL), 2, "B annunciations (raise + reactivate)");
    near(num(b, "ack", "mean_s"), 45, "B mean ack, each from the annunciation before it");
    near(num(b, "ack", "max_s"), 60, "B max ack");
    near(num(b, "close", "mean_s"), 1200, "B time to close");
    near(num(b, "flood_periods", NULL), 0, "B flood periods");
    assert_true(json_is_null(json_object_get(json_object_get(b, "on_time"), "pct"))); /* no card in B */

    json_t *p1 = group_of(json_object_get(r, "people"), "person_id", t.p1);
    assert_string_equal(json_string_value(json_object_get(p1, "name")), "操作员甲");
    near(num(p1, "acked", NULL), 12, "P1 acks");
    near(num(p1, "closed", NULL), 12, "P1 closes");
    near(num(p1, "per_10min_peak", NULL), 12, "P1 peak");
    near(num(p1, "flood_periods", NULL), 1, "P1 flood periods");
    near(num(p1, "ack", "mean_s"), 65, "P1 mean ack");
    near(num(p1, "ack", "p90_s"), 110, "P1 p90 ack");
    json_t *p2 = group_of(json_object_get(r, "people"), "person_id", t.p2);
    near(num(p2, "acked", NULL), 3, "P2 acks");
    near(num(p2, "ack", "p90_s"), 300, "P2 p90 ack");
    json_t *f0 = json_array_get(json_object_get(r, "frequent"), 0);
    near(num(f0, "rule_id", NULL), 2, "first window: B's alarm leads");
    near(num(f0, "annunciated", NULL), 2, "its annunciations");
    assert_true(json_is_null(json_object_get(f0, "has_card"))); /* no point */
    assert_true(json_is_true(json_object_get(json_array_get(json_object_get(r, "frequent"), 1), "has_card")));
    near(num(s, "card_pct", NULL), 100, "A's point alarms all have a card");
    assert_int_equal(json_array_size(json_object_get(r, "frequent")), 10);
    near(num(s, "top_pct", NULL), 1100.0 / 15, "first window: the top 10's share");
    near(num(s, "chattering", NULL), 0, "first window: none chatter");
    near(num(s, "stale_now", NULL), 1, "stale now");
    json_t *st0 = json_array_get(json_object_get(r, "stale"), 0);
    assert_string_equal(json_string_value(json_object_get(st0, "state")), "acked");
    assert_string_equal(json_string_value(json_object_get(st0, "title")), "KPI 坏分子 8");
    assert_string_equal(json_string_value(json_object_get(st0, "unit_name")), "合成车间");
    near(num(ref, "top_pct_max", NULL), 5, "reference top 10 share");
    near(num(ref, "stale_below", NULL), 5, "reference stale");
    json_decref(r);

    /* The bad-actor window. */
    r = kpi_at(&t, t.t0 + 2 * 3600000LL, t.tok, NULL, 200);
    json_t *fr = json_object_get(r, "frequent");
    assert_int_equal(json_array_size(fr), 3);
    const long long want_rule[] = {5, 6, 7}, want_n[] = {4, 2, 1};
    for (size_t i = 0; i < 3; i++) {
        json_t *x = json_array_get(fr, i);
        near(num(x, "rule_id", NULL), (double)want_rule[i], "frequent order");
        near(num(x, "source_id", NULL), (double)want_rule[i] * 100, "frequent source");
        near(num(x, "annunciated", NULL), (double)want_n[i], "frequent annunciations");
        near(num(x, "pct", NULL), 100.0 * (double)want_n[i] / 7, "frequent share");
        assert_true(json_is_true(json_object_get(x, "chattering")) == (i < 2));
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(fr, 1), "title")), "KPI 坏分子 6");
    near(num(json_object_get(r, "summary"), "chattering", NULL), 2, "chattering alarms");
    near(num(json_object_get(r, "summary"), "top_pct", NULL), 100, "top 10 share with 3 alarms");
    json_decref(r);

    /* unit_id narrows to the subtree. */
    char q[64];
    snprintf(q, sizeof q, "&unit_id=%lld", t.area_b);
    r = kpi(&t, t.tok, q, 200);
    assert_int_equal(json_array_size(json_object_get(r, "areas")), 1);
    near(num(json_object_get(r, "summary"), "raised", NULL), 1, "B only: raised");
    json_decref(r);

    /* A safety officer scoped to B sees B only; A is outside the scope. */
    char body[512], so[65];
    snprintf(body, sizeof body,
             "{\"username\":\"so_b\",\"password\":\"Role-Pass-2026\",\"roles\":[\"safety_officer\"],"
             "\"scope_unit_id\":%lld}", t.area_b);
    ws_post_id(&t.s, t.tok, "/api/v1/accounts", body);
    assert_int_equal(ws_login(&t.s, "so_b", "Role-Pass-2026", so), 200);
    r = kpi(&t, so, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "areas")), 1);
    near(num(json_object_get(r, "summary"), "raised", NULL), 1, "scoped: raised");
    near(num(json_object_get(r, "summary"), "stale_now", NULL), 0, "scoped: A's stale alarm is not B's");
    json_decref(r);
    snprintf(q, sizeof q, "&unit_id=%lld", t.area_a);
    r = kpi(&t, so, q, 404);
    assert_string_equal(ws_err_field_of(r), "unit_id");
    json_decref(r);
    r = NULL;
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms/kpi?from=yesterday", t.tok, NULL, &r), 400);
    assert_string_equal(ws_err_field_of(r), "from");
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms/kpi", NULL, NULL, NULL), 401);

    /* A live alarm through the engine, when the server has the ingest route. */
    snprintf(body, sizeof body,
             "{\"unit_id\":%lld,\"tag\":\"KPI-1\",\"name\":\"可燃气体\",\"kind\":\"combustible\"}", t.area_a);
    ws_post_id(&t.s, t.tok, "/api/v1/points", body);
    long st = ws_http(&t.s, "POST", "/api/v1/ingest", t.tok, "KPI-1 40\n", 9, "text/plain", &r, NULL);
    json_decref(r);
    if (st == 404) {
        print_message("  (no /api/v1/ingest yet: the live part is skipped)\n");
    } else {
        assert_int_equal(st, 200);
        snprintf(q, sizeof q, "/api/v1/alarms/kpi?unit_id=%lld", t.area_a);
        assert_int_equal(ws_req(&t.s, "GET", q, t.tok, NULL, &r), 200);
        /* the default window (7 days) holds the seeded 13, the bad-actor
         * window's 3 raises and the new one */
        near(num(json_object_get(r, "summary"), "raised", NULL), 17, "raised after a live reading over H");
        json_decref(r);
    }
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
    return cmocka_run_group_tests_name("alarmkpi", tests, NULL, NULL);
}
