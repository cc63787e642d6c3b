/* test_rule.c — the alarm rule core (src/alarm/rule.h): the strict rule-set
 * parser and the engine, driven by explicit times.
 *
 * What a user would check: the default set parses and says what the docs say
 * (stale 300 s, flatline 6 h at the resolution, 3 faults in 30 days → a
 * preventive work order); a typing mistake in a rule is refused naming the
 * exact field; a gas point that stops reporting raises stale at exactly
 * 300 s, a late or back-filled old reading never clears or re-raises it, a
 * fresh one clears it; a device whose every point is stale is offline; a
 * stuck sensor (readings keep coming, value does not move) raises flatline
 * after 6 h and a real move clears it; a fast rise raises rate-of-change; the
 * third fault on one pump within 30 days asks for a work order and the third
 * outside does not; "GT-101 >= 10 and GT-102 >= 10" raises after its on-delay
 * on the area and a context fact takes part; late readings are never
 * evaluated; an anomaly rule raises only after the detector's score has
 * stayed above its limit for its hold time, with the score as the value, and
 * clears when the series settles; and an engine restored from exported state
 * (the detectors' states included) continues exactly like one that ran
 * through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"
#include "core/err.h"

#define T0 1764300000000LL
#define SEC 1000LL
#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

static rule_set *parse_ok(const char *doc)
{
    rule_set *s = malloc(sizeof *s);
    assert_non_null(s);
    ws_err rc = rule_set_parse(doc, strlen(doc), s);
    if (rc) fail_msg("parse: %s (%s)", ws_err_message(), ws_err_field());
    return s;
}

static void refused(const char *doc, const char *field)
{
    rule_set *s = malloc(sizeof *s);
    assert_non_null(s);
    ws_err rc = rule_set_parse(doc, strlen(doc), s);
    free(s);
    if (rc != WS_EINVAL) fail_msg("accepted: %s", doc);
    if (strcmp(ws_err_field(), field))
        fail_msg("field %s (want %s): %s", ws_err_field(), field, ws_err_message());
}

typedef struct evs {
    int n;
    rule_event e[RULE_READING_EVENTS];
} evs;

static const rule_event *find(const evs *o, int64_t rule_id, int kind)
{
    for (int i = 0; i < o->n; i++)
        if (o->e[i].rule_id == rule_id && o->e[i].kind == kind) return &o->e[i];
    return NULL;
}

static void rd(rule_engine *e, const rule_point *p, int64_t t, double v, uint8_t q, evs *o)
{
    assert_int_equal(rule_on_reading(e, p, t, v, q, o->e, RULE_READING_EVENTS, &o->n), WS_OK);
}

static void tick(rule_engine *e, int64_t now, evs *o)
{
    assert_int_equal(rule_on_tick(e, now, o->e, RULE_READING_EVENTS, &o->n), WS_OK);
}

static rule_point gas(int64_t id, int64_t dev, const char *tag)
{
    rule_point p = {id, 9, dev, "/1/4/9/", "combustible", tag, 1.0, 0, 100}; /* 0–100 %LEL */
    return p;
}

static rule_engine *engine(const rule_set *s)
{
    rule_engine_config c = {64, 256, 16, 16, 16};
    rule_engine *e = NULL;
    assert_int_equal(rule_engine_init(s, &c, &e), WS_OK);
    return e;
}

/* ================================================================ parsing */

static void default_set_parses_as_documented(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    assert_int_equal(s->n, 4);
    assert_int_equal(s->rules[0].kind, RULE_STALE);
    assert_int_equal(s->rules[0].max_gap_ms, 300 * SEC);
    assert_int_equal(s->rules[0].sel.nkinds, 3);
    assert_true(s->rules[1].offline);
    assert_int_equal(s->rules[2].kind, RULE_FLATLINE);
    assert_int_equal(s->rules[2].window_ms, 6 * HOUR);
    assert_true(s->rules[2].eps_resolution);
    assert_int_equal(s->rules[3].kind, RULE_COUNT);
    assert_int_equal(s->rules[3].n, 3);
    assert_int_equal(s->rules[3].window_ms, 30 * DAY);
    assert_string_equal(s->rules[3].action, "work_order");
    assert_string_equal(s->rules[3].action_kind, "preventive");
    /* The canonical form parses to the same set (same fingerprint). */
    char *canon = rule_set_to_json(s);
    rule_set *t = parse_ok(canon);
    assert_true(s->fingerprint == t->fingerprint);
    assert_true(s->fingerprint != 0);
    free(canon);
    free(s);
    free(t);
}

static void refusals_name_the_field(void **state)
{
    (void)state;
    refused("[]", "doc");
    refused("{\"rules\":[], \"version\":2}", "version");
    refused("{\"rules\":1}", "rules");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"stale\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"kinds\":[\"combustible\"]},\"max_gap_s\":300,\"window_s\":60}]}",
            "rules[0].window_s");
    refused("{\"rules\":[{\"id\":999,\"kind\":\"stale\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"kinds\":[\"combustible\"]},\"max_gap_s\":300}]}",
            "rules[0].id");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"stale\",\"name\":\"x\",\"level\":4,"
            "\"select\":{\"kinds\":[\"combustible\"]},\"max_gap_s\":300}]}",
            "rules[0].level");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"stale\",\"name\":\"x\",\"level\":1,"
            "\"select\":{},\"max_gap_s\":300}]}",
            "rules[0].select");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"stale\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT 1\"]},\"max_gap_s\":300}]}",
            "rules[0].select.tags[0]");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"roc\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"limit_per_s\":0,\"window_s\":60}]}",
            "rules[0].limit_per_s");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"flatline\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"window_s\":3600,\"epsilon\":\"res\"}]}",
            "rules[0].epsilon");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"count\",\"name\":\"x\",\"level\":1,"
            "\"key\":\"equipment_fault\",\"n\":3,\"window_s\":60,\"action\":\"work_order\"}]}",
            "rules[0].action_kind");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"composite\",\"name\":\"x\",\"level\":3,"
            "\"unit_id\":9,\"mode\":\"all\",\"conditions\":[{\"tag\":\"GT-101\",\"op\":\"=>\","
            "\"value\":10}]}]}",
            "rules[0].conditions[0].op");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"composite\",\"name\":\"x\",\"level\":3,"
            "\"unit_id\":9,\"mode\":\"all\",\"conditions\":[{\"fact\":\"hot_work_active\","
            "\"on\":true}]}]}",
            "rules[0].conditions[0].on");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"stale\",\"name\":\"a\",\"level\":1,"
            "\"select\":{\"kinds\":[\"toxic\"]},\"max_gap_s\":300},"
            "{\"id\":1001,\"kind\":\"stale\",\"name\":\"b\",\"level\":1,"
            "\"select\":{\"kinds\":[\"toxic\"]},\"max_gap_s\":300}]}",
            "rules[1].id");
    refused("{\"rules\":[{\"id\":1001,\"kind\":\"magic\",\"name\":\"x\",\"level\":1}]}",
            "rules[0].kind");
    refused("{\"rules\":[{\"id\":1001,\"id\":1002,\"kind\":\"stale\"}]}", "doc");
}

/* ================================================================== stale */

static void stale_raises_at_max_gap_and_late_data_never_clears(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine *e = engine(s);
    rule_point p = gas(1, 0, "GT-101");
    evs o;
    rd(e, &p, T0, 3, 0, &o);
    assert_int_equal(o.n, 0);
    tick(e, T0 + 300 * SEC - 1, &o);
    assert_int_equal(o.n, 0);
    tick(e, T0 + 300 * SEC, &o);
    const rule_event *ev = find(&o, 1001, RULE_EV_RAISE);
    assert_non_null(ev);
    assert_int_equal(ev->at_ms, T0 + 300 * SEC);
    assert_int_equal(ev->source_id, 1);
    assert_int_equal(ev->level, 1);
    assert_true(rule_active(e, 1001, 1));
    /* A second tick does not raise it again. */
    tick(e, T0 + 400 * SEC, &o);
    assert_int_equal(o.n, 0);
    /* A late reading (not newer than the last evaluated) does nothing. */
    rd(e, &p, T0, 3, 0, &o);
    assert_int_equal(o.n, 0);
    rd(e, &p, T0 - MIN, 3, 0, &o);
    assert_int_equal(o.n, 0);
    assert_true(rule_active(e, 1001, 1));
    /* A back-filled reading older than (latest tick - max_gap) is newer than
     * the last evaluated one, but no sign of life: it does not clear. */
    rd(e, &p, T0 + 50 * SEC, 3, 0, &o);
    assert_null(find(&o, 1001, RULE_EV_CLEAR));
    assert_true(rule_active(e, 1001, 1));
    /* A fresh one clears at its time. */
    rd(e, &p, T0 + 399 * SEC, 3, 0, &o);
    ev = find(&o, 1001, RULE_EV_CLEAR);
    assert_non_null(ev);
    assert_int_equal(ev->at_ms, T0 + 399 * SEC);
    assert_false(rule_active(e, 1001, 1));
    /* Readings never raise stale; the next gap does, from the last reading. */
    tick(e, T0 + 698 * SEC, &o);
    assert_int_equal(o.n, 0);
    tick(e, T0 + 699 * SEC, &o);
    assert_non_null(find(&o, 1001, RULE_EV_RAISE));
    rule_engine_free(e);
    free(s);
}

/* A caller's kept place of a point (rule_point.slot): filled at the first
 * reading; a place that is another point's (a kept place from an engine
 * since replaced) is looked up again, so readings never land on the wrong
 * point's state. */
static void kept_place_is_checked(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine *e = engine(s);
    int32_t sa = -1, sb = -1;
    rule_point a = gas(1, 0, "GT-101"), b = gas(2, 0, "GT-102");
    a.slot = &sa;
    b.slot = &sb;
    evs o;
    rd(e, &a, T0, 3, 0, &o);
    rd(e, &b, T0, 3, 0, &o);
    assert_true(sa >= 0 && sb >= 0 && sa != sb);
    int32_t kept_b = sb;
    sb = sa; /* wrong: a's place */
    rd(e, &b, T0 + 290 * SEC, 3, 0, &o);
    assert_int_equal(sb, kept_b);
    tick(e, T0 + 300 * SEC, &o); /* a is silent for 300 s, b is not */
    assert_true(rule_active(e, 1001, 1));
    assert_false(rule_active(e, 1001, 2));
    rule_engine_free(e);
    free(s);
}

static void point_tracked_but_silent_goes_stale(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine *e = engine(s);
    rule_point p = gas(5, 0, "GT-105");
    rule_point temp = {6, 9, 0, "/1/4/9/", "temperature", "TT-1", 0.1};
    assert_int_equal(rule_track(e, &p, T0), WS_OK);
    assert_int_equal(rule_track(e, &temp, T0), WS_OK);
    evs o;
    tick(e, T0 + 10 * MIN, &o);
    assert_int_equal(o.n, 1); /* the gas point only: the set selects gas kinds */
    assert_int_equal(o.e[0].source_id, 5);
    assert_int_equal(o.e[0].at_ms, T0 + 300 * SEC);
    rule_engine_free(e);
    free(s);
}

static void device_offline_when_all_points_stale(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine *e = engine(s);
    rule_point a = gas(1, 77, "GT-101"), b = gas(2, 77, "GT-102");
    evs o;
    rd(e, &a, T0, 3, 0, &o);
    rd(e, &b, T0 + 100 * SEC, 3, 0, &o);
    tick(e, T0 + 320 * SEC, &o); /* a stale, b not: no offline */
    assert_non_null(find(&o, 1001, RULE_EV_RAISE));
    assert_null(find(&o, 1002, RULE_EV_RAISE));
    tick(e, T0 + 400 * SEC, &o);
    const rule_event *ev = find(&o, 1002, RULE_EV_RAISE);
    assert_non_null(ev);
    assert_int_equal(ev->source_id, 77);
    assert_int_equal(ev->at_ms, T0 + 400 * SEC); /* when the last point went stale */
    assert_int_equal(ev->level, 2);
    assert_true(rule_active(e, 1002, 77));
    /* One point back: the device is back. */
    rd(e, &a, T0 + 401 * SEC, 3, 0, &o);
    assert_non_null(find(&o, 1002, RULE_EV_CLEAR));
    assert_non_null(find(&o, 1001, RULE_EV_CLEAR));
    assert_false(rule_active(e, 1002, 77));
    rule_engine_free(e);
    free(s);
}

/* =============================================================== flatline */

static void stuck_sensor_raises_flatline_after_six_hours(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine *e = engine(s);
    rule_point p = gas(1, 0, "GT-101"); /* resolution 1 %LEL */
    evs o;
    int64_t t = T0;
    rd(e, &p, t, 0, 0, &o);
    for (int i = 1; i < 360; i++) { /* a reading a minute, stuck at 0 */
        rd(e, &p, t + i * MIN, 0, 0, &o);
        assert_null(find(&o, 1003, RULE_EV_RAISE));
    }
    rd(e, &p, t + 360 * MIN, 0, 0, &o);
    const rule_event *ev = find(&o, 1003, RULE_EV_RAISE);
    assert_non_null(ev);
    assert_int_equal(ev->at_ms, t + 6 * HOUR);
    /* Moving by less than the resolution keeps it; by the resolution clears. */
    rd(e, &p, t + 361 * MIN, 0.5, 0, &o);
    assert_int_equal(o.n, 0);
    rd(e, &p, t + 362 * MIN, 1.0, 0, &o);
    assert_non_null(find(&o, 1003, RULE_EV_CLEAR));
    /* A live sensor jittering by one step never raises. */
    for (int i = 363; i < 363 + 500; i++) {
        rd(e, &p, t + i * MIN, (i & 1) ? 2.0 : 3.0, 0, &o);
        assert_null(find(&o, 1003, RULE_EV_RAISE));
    }
    rule_engine_free(e);
    free(s);
}

static void bad_quality_restarts_flatline(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine *e = engine(s);
    rule_point p = gas(1, 0, "GT-101");
    evs o;
    rd(e, &p, T0, 0, 0, &o);
    rd(e, &p, T0 + 3 * HOUR, NAN, 2, &o); /* BAD */
    rd(e, &p, T0 + 3 * HOUR + MIN, 0, 0, &o);
    rd(e, &p, T0 + 6 * HOUR, 0, 0, &o);
    assert_null(find(&o, 1003, RULE_EV_RAISE));
    rd(e, &p, T0 + 9 * HOUR + MIN, 0, 0, &o);
    assert_non_null(find(&o, 1003, RULE_EV_RAISE));
    rule_engine_free(e);
    free(s);
}

/* ==================================================================== roc */

static void fast_rise_raises_rate_of_change(void **state)
{
    (void)state;
    const char *doc = "{\"rules\":[{\"id\":2001,\"kind\":\"roc\",\"name\":\"升速过快\",\"level\":1,"
                      "\"select\":{\"tags\":[\"GT-101\"]},\"limit_per_s\":0.1,\"window_s\":60}]}";
    rule_set *s = parse_ok(doc);
    rule_engine *e = engine(s);
    rule_point p = gas(1, 0, "GT-101");
    evs o;
    /* Slow drift: 0.05 %LEL/s for 5 minutes. */
    for (int i = 0; i <= 300; i++) {
        rd(e, &p, T0 + i * SEC, 0.05 * i, 0, &o);
        assert_int_equal(o.n, 0);
    }
    /* Then 0.5 %LEL/s: raised within the window. */
    int64_t raised = 0;
    for (int i = 1; i <= 60 && !raised; i++) {
        rd(e, &p, T0 + (300 + i) * SEC, 15 + 0.5 * i, 0, &o);
        const rule_event *ev = find(&o, 2001, RULE_EV_RAISE);
        if (ev) {
            raised = ev->at_ms;
            assert_true(ev->value >= 0.1);
        }
    }
    assert_true(raised > T0 + 300 * SEC && raised <= T0 + 360 * SEC);
    /* Flat again: cleared within about a window. */
    bool cleared = false;
    for (int i = 0; i < 120 && !cleared; i++) {
        rd(e, &p, T0 + (400 + i) * SEC, 60, 0, &o);
        cleared = find(&o, 2001, RULE_EV_CLEAR) != NULL;
    }
    assert_true(cleared);
    rule_engine_free(e);
    free(s);
}

/* ================================================================== count */

static void third_fault_in_thirty_days_asks_for_work_order(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine *e = engine(s);
    evs o;
    assert_int_equal(rule_on_fact_event(e, "equipment_fault:E42", 500, 9, T0, o.e,
                                        RULE_READING_EVENTS, &o.n), WS_OK);
    assert_int_equal(o.n, 0);
    assert_int_equal(rule_on_fact_event(e, "equipment_fault:E42", 500, 9, T0 + 10 * DAY, o.e,
                                        RULE_READING_EVENTS, &o.n), WS_OK);
    assert_int_equal(o.n, 0);
    /* Another pump's fault does not count for this one. */
    assert_int_equal(rule_on_fact_event(e, "equipment_fault:E42", 501, 9, T0 + 11 * DAY, o.e,
                                        RULE_READING_EVENTS, &o.n), WS_OK);
    assert_int_equal(o.n, 0);
    /* Third within 30 days (exclusive of the first one's exact 30 days). */
    assert_int_equal(rule_on_fact_event(e, "equipment_fault:E42", 500, 9, T0 + 30 * DAY - 1, o.e,
                                        RULE_READING_EVENTS, &o.n), WS_OK);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.e[0].kind, RULE_EV_ACTION);
    assert_string_equal(o.e[0].action, "work_order");
    assert_string_equal(o.e[0].action_kind, "preventive");
    assert_int_equal(o.e[0].source_id, 500);
    assert_int_equal(o.e[0].rule_id, 1004);
    /* Counting starts again: a fourth does nothing. */
    assert_int_equal(rule_on_fact_event(e, "equipment_fault:E42", 500, 9, T0 + 31 * DAY, o.e,
                                        RULE_READING_EVENTS, &o.n), WS_OK);
    assert_int_equal(o.n, 0);
    /* Three spread over more than 30 days: nothing. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rule_on_fact_event(e, "equipment_fault", 600, 9, T0 + i * 16 * DAY, o.e,
                                            RULE_READING_EVENTS, &o.n), WS_OK);
        assert_int_equal(o.n, 0);
    }
    /* Keys of other families never match. */
    assert_int_equal(rule_on_fact_event(e, "equipment_faulty", 600, 9, T0 + 33 * DAY, o.e,
                                        RULE_READING_EVENTS, &o.n), WS_OK);
    assert_int_equal(o.n, 0);
    rule_engine_free(e);
    free(s);
}

/* ============================================================== composite */

static const char comp_doc[] =
    "{\"rules\":[{\"id\":3001,\"kind\":\"composite\",\"name\":\"两点同时超 10 %LEL\",\"level\":3,"
    "\"unit_id\":4,\"mode\":\"all\",\"on_delay_s\":10,\"conditions\":["
    "{\"tag\":\"GT-101\",\"op\":\">=\",\"value\":10},{\"tag\":\"GT-102\",\"op\":\">=\",\"value\":10}]},"
    "{\"id\":3002,\"kind\":\"composite\",\"name\":\"动火作业附近可燃气体\",\"level\":3,"
    "\"unit_id\":9,\"mode\":\"all\",\"conditions\":["
    "{\"select\":{\"kinds\":[\"combustible\"]},\"op\":\">=\",\"value\":5},{\"fact\":\"hot_work_active\"}]}]}";

static void composite_two_points_with_on_delay(void **state)
{
    (void)state;
    rule_set *s = parse_ok(comp_doc);
    rule_engine *e = engine(s);
    rule_point a = gas(1, 0, "GT-101"), b = gas(2, 0, "GT-102");
    evs o;
    rd(e, &a, T0, 12, 0, &o);
    assert_null(find(&o, 3001, RULE_EV_RAISE));
    rd(e, &b, T0 + SEC, 11, 0, &o); /* both true from T0+1 s */
    assert_null(find(&o, 3001, RULE_EV_RAISE));
    tick(e, T0 + 10 * SEC, &o);
    assert_null(find(&o, 3001, RULE_EV_RAISE));
    tick(e, T0 + 11 * SEC, &o);
    const rule_event *ev = find(&o, 3001, RULE_EV_RAISE);
    assert_non_null(ev);
    assert_int_equal(ev->at_ms, T0 + 11 * SEC);
    assert_int_equal(ev->source_id, 4); /* the area */
    assert_int_equal(ev->unit_id, 4);
    assert_int_equal(ev->level, 3);
    /* One point drops: cleared at once. */
    rd(e, &b, T0 + 20 * SEC, 9, 0, &o);
    assert_non_null(find(&o, 3001, RULE_EV_CLEAR));
    /* A short coincidence (shorter than the on-delay) raises nothing. */
    rd(e, &b, T0 + 30 * SEC, 15, 0, &o);
    rd(e, &b, T0 + 35 * SEC, 2, 0, &o);
    tick(e, T0 + 60 * SEC, &o);
    assert_null(find(&o, 3001, RULE_EV_RAISE));
    /* A BAD reading makes the condition false. */
    rd(e, &b, T0 + 70 * SEC, 20, 0, &o);
    rd(e, &b, T0 + 75 * SEC, NAN, 2, &o);
    tick(e, T0 + 90 * SEC, &o);
    assert_null(find(&o, 3001, RULE_EV_RAISE));
    rule_engine_free(e);
    free(s);
}

static void composite_with_context_fact(void **state)
{
    (void)state;
    rule_set *s = parse_ok(comp_doc);
    rule_engine *e = engine(s);
    rule_point a = gas(1, 0, "GT-101");
    rule_point far = {3, 12, 0, "/1/12/", "combustible", "GT-900", 1};
    evs o;
    rd(e, &a, T0, 6, 0, &o);
    rd(e, &far, T0, 50, 0, &o);
    assert_null(find(&o, 3002, RULE_EV_RAISE));
    assert_int_equal(rule_on_context(e, 9, "hot_work_active", true, T0 + HOUR, T0 + SEC, o.e,
                                     RULE_READING_EVENTS, &o.n), WS_OK);
    const rule_event *ev = find(&o, 3002, RULE_EV_RAISE);
    assert_non_null(ev);
    assert_int_equal(ev->source_id, 9);
    /* The permit ends (its expiry, at a tick): cleared at until. */
    tick(e, T0 + 2 * HOUR, &o);
    ev = find(&o, 3002, RULE_EV_CLEAR);
    assert_non_null(ev);
    assert_int_equal(ev->at_ms, T0 + HOUR);
    /* A point outside the area never counts, even with hot work. */
    assert_int_equal(rule_on_context(e, 9, "hot_work_active", true, 0, T0 + 3 * HOUR, o.e,
                                     RULE_READING_EVENTS, &o.n), WS_OK);
    rd(e, &a, T0 + 3 * HOUR + SEC, 0, 0, &o);
    assert_non_null(find(&o, 3002, RULE_EV_CLEAR));
    rd(e, &far, T0 + 3 * HOUR + 2 * SEC, 80, 0, &o);
    assert_int_equal(o.n, 0);
    assert_int_equal(rule_on_context(e, 9, "Hot Work", true, 0, T0, o.e, RULE_READING_EVENTS, &o.n),
                     WS_EINVAL);
    rule_engine_free(e);
    free(s);
}

/* ===================================================== late, export/import */

static void late_readings_never_evaluated(void **state)
{
    (void)state;
    rule_set *s = parse_ok(comp_doc);
    rule_engine *e = engine(s);
    rule_point a = gas(1, 0, "GT-101"), b = gas(2, 0, "GT-102");
    evs o;
    rd(e, &a, T0 + MIN, 1, 0, &o);
    rd(e, &b, T0 + MIN, 1, 0, &o);
    /* Older readings over the limit: not evaluated, nothing raised. */
    rd(e, &a, T0, 50, 0, &o);
    assert_int_equal(o.n, 0);
    rd(e, &b, T0 + MIN, 50, 0, &o); /* duplicate time: late too */
    assert_int_equal(o.n, 0);
    tick(e, T0 + 2 * MIN, &o);
    assert_null(find(&o, 3001, RULE_EV_RAISE));
    rule_engine_free(e);
    free(s);
}

/* Drive a fixed scenario from step `from` to `to`, appending event lines. */
static void scenario(rule_engine *e, int from, int to, char *log, size_t cap)
{
    rule_point a = gas(1, 77, "GT-101"), b = gas(2, 77, "GT-102");
    evs o;
    for (int i = from; i < to; i++) {
        int64_t t = T0 + i * 30 * SEC;
        double v = (i >= 200 && i < 1200) ? 0 : (i % 7) * 3.0;
        if (i % 500 < 480) rd(e, &a, t, v, 0, &o);
        else o.n = 0;
        for (int k = 0; k < o.n; k++) {
            size_t l = strlen(log);
            snprintf(log + l, cap - l, "%lld:%lld:%d:%lld;", (long long)o.e[k].rule_id,
                     (long long)o.e[k].source_id, o.e[k].kind, (long long)o.e[k].at_ms);
        }
        if (i % 3 == 0) rd(e, &b, t + SEC, v * 2, 0, &o);
        else o.n = 0;
        for (int k = 0; k < o.n; k++) {
            size_t l = strlen(log);
            snprintf(log + l, cap - l, "%lld:%lld:%d:%lld;", (long long)o.e[k].rule_id,
                     (long long)o.e[k].source_id, o.e[k].kind, (long long)o.e[k].at_ms);
        }
        tick(e, t + 2 * SEC, &o);
        for (int k = 0; k < o.n; k++) {
            size_t l = strlen(log);
            snprintf(log + l, cap - l, "%lld:%lld:%d:%lld;", (long long)o.e[k].rule_id,
                     (long long)o.e[k].source_id, o.e[k].kind, (long long)o.e[k].at_ms);
        }
        if (i % 400 == 5) {
            rule_on_fact_event(e, "equipment_fault", 77, 9, t, o.e, RULE_READING_EVENTS, &o.n);
            for (int k = 0; k < o.n; k++) {
                size_t l = strlen(log);
                snprintf(log + l, cap - l, "A%lld;", (long long)o.e[k].rule_id);
            }
        }
    }
}

static void exported_state_continues_like_uninterrupted(void **state)
{
    (void)state;
    char *doc = malloc(8192);
    /* The default set plus the composites: every kind of state. */
    const char *d = rule_set_default_json();
    snprintf(doc, 8192, "%.*s,%s", (int)(strrchr(d, ']') - d), d, comp_doc + 10);
    rule_set *s = parse_ok(doc);
    free(doc);
    size_t cap = 1 << 20;
    char *whole = calloc(1, cap), *split = calloc(1, cap);
    rule_engine *e1 = engine(s);
    scenario(e1, 0, 3000, whole, cap);
    rule_engine_free(e1);
    assert_true(strlen(whole) > 100);
    assert_non_null(strstr(whole, "1003:1:1:")); /* flatline raised */
    assert_non_null(strstr(whole, "1001:1:1:")); /* stale raised */
    assert_non_null(strstr(whole, "3001:4:1:")); /* composite raised */
    assert_non_null(strstr(whole, "A1004;"));    /* work order */
    rule_engine *e2 = engine(s);
    scenario(e2, 0, 1700, split, cap);
    size_t n = rule_state_size(e2), len = 0;
    char *blob = malloc(n);
    assert_int_equal(rule_state_export(e2, blob, n, &len), WS_OK);
    assert_int_equal(len, n);
    rule_engine_free(e2);
    rule_engine *e3 = engine(s);
    /* A damaged blob is refused and changes nothing. */
    blob[n / 2] ^= 1;
    assert_int_equal(rule_state_import(e3, blob, n), WS_ECORRUPT);
    blob[n / 2] ^= 1;
    assert_int_equal(rule_state_import(e3, blob, n - 1), WS_ECORRUPT);
    assert_int_equal(rule_state_import(e3, blob, n), WS_OK);
    scenario(e3, 1700, 3000, split, cap);
    assert_string_equal(whole, split);
    /* Another set's engine refuses it. */
    rule_set *other = parse_ok(rule_set_default_json());
    rule_engine *e4 = engine(other);
    assert_int_equal(rule_state_import(e4, blob, n), WS_ECONFLICT);
    rule_engine_free(e3);
    rule_engine_free(e4);
    free(blob);
    free(whole);
    free(split);
    free(s);
    free(other);
}

/* ================================================================ anomaly */

static const char anom_doc[] =
    "{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"异常\",\"level\":1,"
    "\"select\":{\"tags\":[\"GT-101\"]},\"score_above\":0.3,\"for_s\":120}]}";

/* A noisy daily cycle around 20 (deterministic), one reading a minute. */
static double normal_value(int i, uint32_t *rng)
{
    *rng = *rng * 1664525u + 1013904223u;
    return 20 + 3 * sin(i * 2 * M_PI / 1440) + ((*rng >> 8) % 1000) / 1000.0;
}

static void anomaly_rule_needs_sustained_score(void **state)
{
    (void)state;
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"score_above\":1,\"for_s\":60}]}",
            "rules[0].score_above");
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"score_above\":0.5,\"for_s\":-1}]}",
            "rules[0].for_s");
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"score_above\":0.5,\"for_s\":60,\"window_s\":60}]}",
            "rules[0].window_s");
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"score_above\":0.5,\"for_s\":60,\"faults\":[\"stuck\",\"rust\"]}]}",
            "rules[0].faults[1]");
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"score_above\":0.5,\"for_s\":60,\"faults\":[\"drift\",\"drift\"]}]}",
            "rules[0].faults[1]");
    rule_set *f = parse_ok("{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"x\",\"level\":1,"
                           "\"select\":{\"tags\":[\"GT-1\"]},\"score_above\":0.5,\"for_s\":60,"
                           "\"faults\":[\"dropout\",\"stuck\"]}]}");
    char *fj = rule_set_to_json(f);
    assert_non_null(strstr(fj, "\"faults\":[\"stuck\",\"dropout\"]"));
    assert_int_equal(f->rules[0].faults, 9);
    free(fj);
    free(f);
    rule_set *s = parse_ok(anom_doc);
    char *canon = rule_set_to_json(s);
    rule_set *t = parse_ok(canon);
    assert_true(s->fingerprint == t->fingerprint);
    assert_true(t->rules[0].kind == RULE_ANOMALY && t->rules[0].on_delay_ms == 120 * SEC);
    free(canon);
    free(t);
    rule_engine *e = engine(s);
    rule_point p = gas(1, 0, "GT-101"), other = gas(2, 0, "GT-102");
    evs o;
    uint32_t rng = 7;
    int i = 0;
    for (; i < 3 * 1440; i++) { /* three normal days: nothing */
        rd(e, &p, T0 + i * MIN, normal_value(i, &rng), 0, &o);
        assert_null(find(&o, 2001, RULE_EV_RAISE));
    }
    /* A step to 60 that stays: raised once, no sooner than two minutes
     * after the score first passed 0.3, with the score as the value. (In
     * the quiet days the score stays under 0.2 over the point's 0–100
     * range; on the first day single readings reach 0.40 while the daily
     * cycle is new: the hold time is what keeps them quiet.) */
    int64_t raised = 0, cleared = 0;
    for (int k = 0; k < 30; k++, i++) {
        rd(e, &p, T0 + i * MIN, 60 + (k & 1), 0, &o);
        if (find(&o, 2001, RULE_EV_CLEAR)) cleared = T0 + i * MIN;
        const rule_event *ev = find(&o, 2001, RULE_EV_RAISE);
        if (ev) {
            assert_int_equal(raised, 0);
            raised = ev->at_ms;
            assert_true(ev->value > 0.3 && ev->value <= 1);
            assert_int_equal(ev->source_id, 1);
        }
    }
    assert_true(raised >= T0 + (3 * 1440 + 2) * MIN);
    assert_true(raised <= T0 + (3 * 1440 + 10) * MIN);
    /* Cleared once the detector has learnt the new level (the score says
     * "changed", not "high": limits say that) or the series is back. */
    for (int k = 0; k < 1440 && !cleared; k++, i++) {
        rd(e, &p, T0 + i * MIN, normal_value(i, &rng), 0, &o);
        if (find(&o, 2001, RULE_EV_CLEAR)) cleared = T0 + i * MIN;
    }
    assert_true(cleared > raised);
    /* A point the rule does not select is never scored. */
    for (int k = 0; k < 100; k++) {
        rd(e, &other, T0 + k * MIN, k % 2 ? 0 : 1000, 0, &o);
        assert_int_equal(o.n, 0);
    }
    rule_engine_free(e);
    free(s);
}

/* The operating state ("while", designed suppression): an anomaly rule on
 * GT-101 that applies while the feed FI-1 is at least 3. A stop (FI-1 0)
 * with GT-101 far off its running level raises nothing, and running again
 * nothing either; an alarm raised while running clears at the first reading
 * once the unit stops. "while" is a point condition on roc, flatline and
 * anomaly rules only, refused by name otherwise, and survives the canonical
 * form. */
static void operating_state_suppresses_point_rules(void **state)
{
    (void)state;
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"x\",\"level\":1,"
            "\"select\":{\"tags\":[\"GT-1\"]},\"score_above\":0.5,\"for_s\":60,\"while\":{\"fact\":\"hot_work_active\"}}]}",
            "rules[0].while.fact");
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"roc\",\"name\":\"x\",\"level\":1,\"select\":{\"tags\":[\"GT-1\"]},"
            "\"limit_per_s\":1,\"window_s\":60,\"while\":{\"tag\":\"FI-1\",\"op\":\"=\",\"value\":3}}]}",
            "rules[0].while.op");
    refused("{\"rules\":[{\"id\":2001,\"kind\":\"stale\",\"name\":\"x\",\"level\":1,\"select\":{\"tags\":[\"GT-1\"]},"
            "\"max_gap_s\":60,\"while\":{\"tag\":\"FI-1\",\"op\":\">=\",\"value\":3}}]}",
            "rules[0].while");
    const char *doc = "{\"rules\":[{\"id\":2001,\"kind\":\"anomaly\",\"name\":\"运行时异常\",\"level\":1,"
                      "\"select\":{\"tags\":[\"GT-101\"]},\"score_above\":0.3,\"for_s\":120,"
                      "\"while\":{\"tag\":\"FI-1\",\"op\":\">=\",\"value\":3}}]}";
    rule_set *s = parse_ok(doc);
    char *canon = rule_set_to_json(s);
    assert_non_null(strstr(canon, "\"while\":{\"select\":{\"tags\":[\"FI-1\"]},\"op\":\">=\",\"value\":3"));
    rule_set *t = parse_ok(canon);
    assert_true(s->fingerprint == t->fingerprint && t->rules[0].while_cond == 1);
    free(canon);
    free(t);
    rule_engine *e = engine(s);
    rule_point p = gas(1, 0, "GT-101");
    rule_point f = {2, 7, 0, "/1/4/7/", "flow", "FI-1", 0.1, 0, 50}; /* another unit: the state may be anywhere */
    evs o;
    uint32_t rng = 7;
    int i = 0;
    for (; i < 3 * 1440; i++) { /* three days running */
        rd(e, &f, T0 + i * MIN, 10, 0, &o);
        rd(e, &p, T0 + i * MIN + SEC, normal_value(i, &rng), 0, &o);
        assert_int_equal(o.n, 0);
    }
    for (int k = 0; k < 60; k++, i++) { /* an hour's stop, GT-101 far off: suppressed */
        rd(e, &f, T0 + i * MIN, 0, 0, &o);
        rd(e, &p, T0 + i * MIN + SEC, 60 + (k & 1), 0, &o);
        assert_int_equal(o.n, 0);
    }
    for (int k = 0; k < 240; k++, i++) { /* running again, as before */
        rd(e, &f, T0 + i * MIN, 10, 0, &o);
        rd(e, &p, T0 + i * MIN + SEC, normal_value(i, &rng), 0, &o);
        assert_null(find(&o, 2001, RULE_EV_RAISE));
    }
    int64_t raised = 0; /* running, the same departure: raised */
    for (int k = 0; k < 30 && !raised; k++, i++) {
        rd(e, &f, T0 + i * MIN, 10, 0, &o);
        rd(e, &p, T0 + i * MIN + SEC, 60 + (k & 1), 0, &o);
        if (find(&o, 2001, RULE_EV_RAISE)) raised = T0 + i * MIN;
    }
    assert_true(raised > 0);
    rd(e, &f, T0 + i * MIN, 0, 0, &o); /* the unit stops: its alarm clears at GT-101's next reading */
    rd(e, &p, T0 + i * MIN + SEC, 61, 0, &o);
    assert_non_null(find(&o, 2001, RULE_EV_CLEAR));
    rule_engine_free(e);
    free(s);
}

/* Anomaly scenario for the restart test: every event with its score. */
static void anomaly_run(rule_engine *e, int from, int to, char *log, size_t cap)
{
    rule_point p = gas(1, 0, "GT-101");
    evs o;
    for (int i = from; i < to; i++) {
        uint32_t rng = (uint32_t)i * 2654435761u;
        double v = normal_value(i, &rng) + ((i / 700) % 2 ? 10 * (i / 700) : 0); /* new levels */
        rd(e, &p, T0 + i * MIN, v, i % 97 == 0 ? 1 : 0, &o);
        for (int k = 0; k < o.n; k++) {
            size_t l = strlen(log);
            snprintf(log + l, cap - l, "%lld:%d:%lld:%.17g;", (long long)o.e[k].rule_id, o.e[k].kind,
                     (long long)o.e[k].at_ms, o.e[k].value);
        }
    }
}

static void anomaly_state_survives_restart(void **state)
{
    (void)state;
    rule_set *s = parse_ok(anom_doc);
    size_t cap = 1 << 16;
    char *whole = calloc(1, cap), *split = calloc(1, cap);
    rule_engine *e1 = engine(s);
    anomaly_run(e1, 0, 6000, whole, cap);
    rule_engine_free(e1);
    assert_non_null(strstr(whole, "2001:1:")); /* raised at some step */
    rule_engine *e2 = engine(s);
    anomaly_run(e2, 0, 3100, split, cap);
    size_t n = rule_state_size(e2), len = 0;
    char *blob = malloc(n);
    assert_int_equal(rule_state_export(e2, blob, n, &len), WS_OK);
    rule_engine_free(e2);
    rule_engine *e3 = engine(s);
    assert_int_equal(rule_state_import(e3, blob, len), WS_OK);
    size_t before = strlen(split);
    anomaly_run(e3, 3100, 6000, split, cap);
    assert_string_equal(whole, split);
    assert_true(strlen(split) > before);
    double sc = rule_point_score(e3, 1);
    assert_true(sc >= 0 && sc <= 1);
    assert_true(isnan(rule_point_score(e3, 99)));
    /* Without the state the same readings score differently. */
    char *fresh = calloc(1, cap);
    rule_engine *e4 = engine(s);
    anomaly_run(e4, 3100, 6000, fresh, cap);
    assert_string_not_equal(split + before, fresh);
    rule_engine_free(e3);
    rule_engine_free(e4);
    free(blob);
    free(whole);
    free(split);
    free(fresh);
    free(s);
}

static void full_tables_are_named_errors(void **state)
{
    (void)state;
    rule_set *s = parse_ok(rule_set_default_json());
    rule_engine_config c = {2, 100, 2, 1, 1};
    rule_engine *e = NULL;
    assert_int_equal(rule_engine_init(s, &c, &e), WS_OK);
    evs o;
    rule_point a = gas(1, 0, "A"), b = gas(2, 0, "B"), cc = gas(3, 0, "C");
    rd(e, &a, T0, 0, 0, &o);
    rd(e, &b, T0, 0, 0, &o);
    assert_int_equal(rule_on_reading(e, &cc, T0, 0, 0, o.e, RULE_READING_EVENTS, &o.n), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "rule_points");
    assert_int_equal(rule_on_reading(e, &a, T0 + 1, 0, 0, o.e, 3, &o.n), WS_EINVAL);
    assert_int_equal(rule_on_fact_event(e, "equipment_fault", 1, 9, T0, o.e, RULE_READING_EVENTS, &o.n), WS_OK);
    assert_int_equal(rule_on_fact_event(e, "equipment_fault", 2, 9, T0, o.e, RULE_READING_EVENTS, &o.n),
                     WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "rule_counters");
    rule_engine_free(e);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_set_parses_as_documented),
        cmocka_unit_test(refusals_name_the_field),
        cmocka_unit_test(stale_raises_at_max_gap_and_late_data_never_clears),
        cmocka_unit_test(kept_place_is_checked),
        cmocka_unit_test(point_tracked_but_silent_goes_stale),
        cmocka_unit_test(device_offline_when_all_points_stale),
        cmocka_unit_test(stuck_sensor_raises_flatline_after_six_hours),
        cmocka_unit_test(bad_quality_restarts_flatline),
        cmocka_unit_test(fast_rise_raises_rate_of_change),
        cmocka_unit_test(third_fault_in_thirty_days_asks_for_work_order),
        cmocka_unit_test(composite_two_points_with_on_delay),
        cmocka_unit_test(composite_with_context_fact),
        cmocka_unit_test(late_readings_never_evaluated),
        cmocka_unit_test(exported_state_continues_like_uninterrupted),
        cmocka_unit_test(anomaly_rule_needs_sustained_score),
        cmocka_unit_test(anomaly_state_survives_restart),
        cmocka_unit_test(operating_state_suppresses_point_rules),
        cmocka_unit_test(full_tables_are_named_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
