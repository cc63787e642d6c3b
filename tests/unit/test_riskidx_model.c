/* test_riskidx_model.c — the pure risk-index model (riskidx/model.c).
 *
 * For each factor: from a baseline area, raising that factor alone makes the
 * index strictly higher and the explanation names the factor with its driver
 * (tag and ratio, counts and overdue days, permit types, weather item);
 * lowering it makes the index lower. Then: the caps, the clamp to 100, the
 * colour cut-offs at their boundaries, contributions largest first, strict
 * parameter parsing (each refusal names the field), the canonical default
 * document's round trip, the weekly profile's bias-corrected EWMA, and the
 * projection: a scheduled 特级 hot-work permit, a scheduled night shift, a
 * weather warning forecast for some hours ahead
 * warn at the hour they start, the profile's usual rise is blended in, and
 * the unusual-day test switches on when the recent hours sit well above the
 * profile or climb steeply (carrying the deviation and its trend forward)
 * and off when they match it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskidx/model.h"

static rx_params P;

static int setup(void **st)
{
    (void)st;
    const char *d = rx_params_default_json();
    return rx_params_parse(d, strlen(d), &P) == WS_OK ? 0 : -1;
}

/* ------------------------------------------------------------ baseline */

/* A yellow area with a little of every factor, so each can go up and down. */
typedef struct area {
    rx_point pts[4]; /* three points, and room for a process monitor (test_anomaly) */
    rx_permit permits[RX_MAX_PERMITS];
    rx_inputs in;
} area;

static void baseline(area *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->pts[0].tag, sizeof a->pts[0].tag, "GT-101");
    a->pts[0].ratio = 0.7, a->pts[0].score = 0.6;
    snprintf(a->pts[1].tag, sizeof a->pts[1].tag, "PT-205");
    a->pts[1].ratio = 0.3, a->pts[1].score = 0.1;
    snprintf(a->pts[2].tag, sizeof a->pts[2].tag, "TT-9");
    a->pts[2].ratio = NAN, a->pts[2].score = NAN;    /* no limit, no detector */
    a->permits[0] = (rx_permit){RX_HEIGHT, 2};
    a->in = (rx_inputs){
        .static_rank = 2,
        .npoints = 3,
        .points = a->pts,
        .hazards_general = 1,
        .hazards_major = 0,
        .hazard_overdue_days = 0,
        .npermits = 1,
        .permits = a->permits,
        .weather = {.known = true, .wind_ms = 12, .rain_mmh = 0, .temp_c = 20, .lightning = 0},
        .night = true,
    };
}

static const rx_contrib *contrib_of(const rx_result *r, rx_factor f)
{
    for (int i = 0; i < r->ncontrib; i++)
        if (r->contrib[i].factor == f) return &r->contrib[i];
    return NULL;
}

static double compute(const area *a, rx_result *r)
{
    rx_compute(&P, &a->in, r);
    return r->index;
}

/* The factor is in the explanation and its detail mentions each driver. */
static void assert_named(const rx_result *r, rx_factor f, const char *d1, const char *d2)
{
    const rx_contrib *c = contrib_of(r, f);
    assert_non_null(c);
    assert_true(c->points > 0);
    if (!strstr(c->detail, d1) || (d2 && !strstr(c->detail, d2)))
        fail_msg("%s detail \"%s\" should name \"%s\"%s%s", rx_factor_name(f), c->detail, d1,
                 d2 ? " and " : "", d2 ? d2 : "");
}

static void test_baseline_explained(void **st)
{
    (void)st;
    area a;
    baseline(&a);
    rx_result r;
    double x = compute(&a, &r);
    assert_true(x > 25 && x < 50);
    assert_int_equal(r.colour, RX_YELLOW);
    assert_int_equal(r.ncontrib, RX_NFACTORS);      /* every factor present */
    double sum = 0;
    for (int i = 0; i < r.ncontrib; i++) {
        sum += r.contrib[i].points;
        if (i) assert_true(r.contrib[i - 1].points >= r.contrib[i].points);   /* largest first */
        assert_true(strlen(r.contrib[i].detail) > 0);
    }
    assert_true(fabs(sum - x) < 1e-9);
    assert_string_equal(rx_factor_name(RX_HAZARDS), "hazards");
    assert_string_equal(rx_factor_name(RX_NIGHT), "night");
}

static void test_static(void **st)
{
    (void)st;
    area a;
    rx_result r0, r1, r2;
    baseline(&a);
    double x0 = compute(&a, &r0);
    a.in.static_rank = 4;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_STATIC, "level 4", "red");
    a.in.static_rank = 1;
    assert_true(compute(&a, &r2) < x0);
    assert_named(&r2, RX_STATIC, "level 1", NULL);
    a.in.static_rank = 0;
    compute(&a, &r2);
    assert_null(contrib_of(&r2, RX_STATIC));
}

static double sum_of(const rx_result *r)
{
    double s = 0;
    for (int i = 0; i < r->ncontrib; i++) s += r->contrib[i].points;
    return s;
}

/* A reading past an alarm limit holds the index at that limit's floor (by
 * default past H or L orange, past HH or LL red), whatever else the area
 * has: the readings contribution takes up the difference, so the factors
 * still sum to the index, and it names the point and the limit. Above the
 * floor the factors add as before; floors of 0 switch it off. */
static void test_reading_floor(void **st)
{
    (void)st;
    area a;
    rx_result r;
    baseline(&a); /* a quiet area: one point and nothing else */
    a.in.static_rank = 0, a.in.hazards_general = 0, a.in.npermits = 0, a.in.night = false;
    a.in.weather.known = false, a.pts[0].score = NAN, a.pts[1].score = NAN;
    a.pts[0].ratio = 1.1, a.pts[0].past = 1; /* past H: a 报警 reading */
    assert_true(compute(&a, &r) >= 50);
    assert_int_equal(r.colour, RX_ORANGE);
    assert_int_equal(r.ncontrib, 1);
    assert_named(&r, RX_READINGS, "GT-101 at 1.10", "past its first limit");
    assert_true(fabs(sum_of(&r) - r.index) < 1e-9);
    a.pts[0].ratio = 2.24, a.pts[0].past = 2; /* past HH: 紧急 */
    assert_true(compute(&a, &r) >= 75);
    assert_int_equal(r.colour, RX_RED);
    assert_named(&r, RX_READINGS, "GT-101 at 2.24", "past its second limit");
    a.pts[1].ratio = 0.9; /* the limit is named with its point, before the next */
    compute(&a, &r);
    assert_named(&r, RX_READINGS, "GT-101 at 2.24 of its limit, past its second limit, PT-205 at 0.90", NULL);
    a.pts[1].ratio = 0.3;
    assert_true(fabs(sum_of(&r) - r.index) < 1e-9);
    /* the point past a limit need not be the worst by ratio (an O2 point
     * past LL beside a high-side point nearer its H): named by its tag */
    a.pts[0].ratio = 0.9, a.pts[0].past = 0;
    a.pts[1].ratio = 0.6, a.pts[1].past = 2;
    assert_true(compute(&a, &r) >= 75);
    assert_named(&r, RX_READINGS, "GT-101 at 0.90", "PT-205 past its second limit");
    /* past a limit with a ratio under the ramp (a limit set inside the
     * normal band): the floor alone */
    a.pts[0].ratio = NAN, a.pts[1].ratio = 0.2, a.pts[1].past = 1;
    assert_true(compute(&a, &r) >= 50);
    assert_named(&r, RX_READINGS, "PT-205 at 0.20", "past its first limit");
    /* above the floor the other factors still count */
    area b;
    baseline(&b);
    b.pts[0].ratio = 2.24, b.pts[0].past = 2;
    rx_result rb;
    double xb = compute(&b, &rb);
    assert_true(xb > 75);
    b.in.hazards_major = 1;
    assert_true(compute(&b, &rb) > xb || rb.index == 100);
    /* floors of 0: the ramp alone (capped at 45: yellow) */
    rx_params keep = P;
    P.w.rd.floor[0] = P.w.rd.floor[1] = 0;
    a.pts[0].ratio = 2.24, a.pts[0].past = 2, a.pts[1].past = 0;
    assert_true(compute(&a, &r) <= 45.0 + 1e-9);
    assert_int_equal(r.colour, RX_YELLOW);
    P = keep;
}

static void test_readings(void **st)
{
    (void)st;
    area a;
    rx_result r0, r1, r2;
    baseline(&a);
    double x0 = compute(&a, &r0);
    a.pts[1].ratio = 0.95;                      /* PT-205 becomes the worst */
    double x1 = compute(&a, &r1);
    assert_true(x1 > x0);
    assert_named(&r1, RX_READINGS, "PT-205", "0.95");
    a.pts[1].ratio = 1.2;                       /* beyond the limit: steeper still */
    rx_result r3;
    double x3 = compute(&a, &r3);
    assert_true(x3 - x1 > 0.25 * 30 * (1.4 * 1.4 - 0.9 * 0.9) * 0.99);
    baseline(&a);
    a.pts[0].ratio = 0.55;
    assert_true(compute(&a, &r2) < x0);
    assert_named(&r2, RX_READINGS, "GT-101", "0.55");
    a.pts[0].ratio = 0.2;                       /* everything at normal: no readings factor */
    compute(&a, &r2);
    assert_null(contrib_of(&r2, RX_READINGS));
    /* the second-worst point adds a little */
    baseline(&a);
    a.pts[1].ratio = 0.69;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_READINGS, "GT-101", "PT-205");
}

static void test_anomaly(void **st)
{
    (void)st;
    area a;
    rx_result r0, r1, r2;
    baseline(&a);
    double x0 = compute(&a, &r0);
    a.pts[1].score = 0.9;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_ANOMALY, "PT-205", "0.90");
    baseline(&a);
    a.pts[0].score = 0.45;
    assert_true(compute(&a, &r2) < x0);
    assert_named(&r2, RX_ANOMALY, "GT-101", "0.45");
    a.pts[0].score = 0.25;                      /* below 0.3: no anomaly factor */
    compute(&a, &r2);
    assert_null(contrib_of(&r2, RX_ANOMALY));
    /* a process monitor of the area off its normal region (ratio 24: score
     * 0.96) moves the index up like a point's detector, and is named as a
     * monitor by the point that contributes most */
    baseline(&a);
    rx_point *m = &a.pts[a.in.npoints++];
    memset(m, 0, sizeof *m);
    snprintf(m->tag, sizeof m->tag, "TI-202");
    m->ratio = NAN;
    m->score = 0.96;
    m->monitor = true;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_ANOMALY, "TI-202 process monitor score", "0.96");
}

static void test_hazards(void **st)
{
    (void)st;
    area a;
    rx_result r0, r1, r2, r3;
    baseline(&a);
    double x0 = compute(&a, &r0);
    a.in.hazards_major = 1;
    double x1 = compute(&a, &r1);
    assert_true(x1 > x0);
    assert_named(&r1, RX_HAZARDS, "1 major", "1 general");
    /* a major hazard weighs much more than a general one */
    baseline(&a);
    a.in.hazards_general = 2;
    double xg = compute(&a, &r2);
    assert_true(xg > x0 && x1 - x0 > 3 * (xg - x0));
    /* overdue days add */
    baseline(&a);
    a.in.hazard_overdue_days = 5;
    assert_true(compute(&a, &r3) > x0);
    assert_named(&r3, RX_HAZARDS, "5.0 days overdue", NULL);
    baseline(&a);
    a.in.hazards_general = 0;
    compute(&a, &r2);
    assert_true(r2.index < x0);
    assert_null(contrib_of(&r2, RX_HAZARDS));
}

static void test_permits(void **st)
{
    (void)st;
    area a;
    rx_result r0, r1, r2;
    baseline(&a);
    double x0 = compute(&a, &r0);
    a.permits[a.in.npermits++] = (rx_permit){RX_HOT_WORK, 1};
    double x1 = compute(&a, &r1);
    assert_true(x1 > x0);
    assert_named(&r1, RX_PERMITS, "hot_work grade 1", "work_at_height grade 2");
    /* 特级 > 一级 > 二级 */
    double hw[4];
    for (int g = 1; g <= 3; g++) {
        baseline(&a);
        a.permits[a.in.npermits++] = (rx_permit){RX_HOT_WORK, g};
        hw[g] = compute(&a, &r2);
    }
    assert_true(hw[1] > hw[2] && hw[2] > hw[3] && hw[3] > x0);
    /* confined space high, height graded */
    baseline(&a);
    a.permits[0] = (rx_permit){RX_CONFINED, 0};
    assert_true(compute(&a, &r2) > x0);
    assert_named(&r2, RX_PERMITS, "confined_space", NULL);
    baseline(&a);
    a.permits[0] = (rx_permit){RX_HEIGHT, 4};
    assert_true(compute(&a, &r2) > x0);
    a.permits[0] = (rx_permit){RX_HEIGHT, 1};
    assert_true(compute(&a, &r2) < x0);
    a.in.npermits = 0;
    compute(&a, &r2);
    assert_null(contrib_of(&r2, RX_PERMITS));
}

static void test_weather(void **st)
{
    (void)st;
    area a;
    rx_result r0, r1, r2;
    baseline(&a);
    double x0 = compute(&a, &r0);
    a.in.weather.lightning = 3;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_WEATHER, "lightning warning orange", "wind 12.0 m/s");
    baseline(&a);
    a.in.weather.rain_mmh = 20;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_WEATHER, "rain 20.0 mm/h", NULL);
    baseline(&a);
    a.in.weather.temp_c = 38;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_WEATHER, "heat", NULL);
    baseline(&a);
    a.in.weather.temp_c = -15;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_WEATHER, "cold", NULL);
    baseline(&a);
    a.in.weather.wind_ms = 18;
    assert_true(compute(&a, &r1) > x0);
    assert_named(&r1, RX_WEATHER, "wind 18.0 m/s", NULL);
    /* calmer: lower; below level 6 (10.8 m/s) or unknown: no weather factor */
    a.in.weather.wind_ms = 11;
    assert_true(compute(&a, &r2) < x0);
    a.in.weather.wind_ms = 8;
    compute(&a, &r2);
    assert_null(contrib_of(&r2, RX_WEATHER));
    baseline(&a);
    a.in.weather.known = false;
    compute(&a, &r2);
    assert_null(contrib_of(&r2, RX_WEATHER));
}

static void test_night(void **st)
{
    (void)st;
    area a;
    rx_result r0, r1, r2;
    baseline(&a);
    a.in.night = false;
    double day = compute(&a, &r0);
    assert_null(contrib_of(&r0, RX_NIGHT));
    a.in.night = true;
    assert_true(compute(&a, &r1) > day);
    assert_named(&r1, RX_NIGHT, "night shift", NULL);
    a.in.night = false;
    assert_true(compute(&a, &r2) < r1.index);
}

/* ---------------------------------------------------- caps, clamp, colours */

static void test_caps_and_clamp(void **st)
{
    (void)st;
    area a;
    rx_result r;
    baseline(&a);
    a.in.hazards_major = 10;
    a.in.hazard_overdue_days = 300;
    compute(&a, &r);
    assert_true(fabs(contrib_of(&r, RX_HAZARDS)->points - 35) < 1e-9);
    for (int i = 0; i < RX_MAX_PERMITS; i++) a.permits[i] = (rx_permit){RX_HOT_WORK, 1};
    a.in.npermits = RX_MAX_PERMITS + 5;          /* more than the cap of entries: ignored */
    compute(&a, &r);
    assert_true(fabs(contrib_of(&r, RX_PERMITS)->points - 35) < 1e-9);
    assert_non_null(strstr(contrib_of(&r, RX_PERMITS)->detail, "more)"));
    assert_true(strlen(contrib_of(&r, RX_PERMITS)->detail) < sizeof r.contrib[0].detail);
    a.pts[0].ratio = 7;
    compute(&a, &r);
    assert_true(fabs(contrib_of(&r, RX_READINGS)->points - 45) < 1e-9);
    a.in.weather = (rx_weather){true, 40, 120, 45, 4};
    compute(&a, &r);
    assert_true(fabs(contrib_of(&r, RX_WEATHER)->points - 25) < 1e-9);
    /* the sum is far above 100: clamped, red */
    a.in.static_rank = 4;
    compute(&a, &r);
    double sum = 0;
    for (int i = 0; i < r.ncontrib; i++) sum += r.contrib[i].points;
    assert_true(sum > 150);
    assert_true(r.index == 100);
    assert_int_equal(r.colour, RX_RED);
    /* nothing at all: 0, blue, no factors */
    rx_inputs none = {0};
    rx_compute(&P, &none, &r);
    assert_true(r.index == 0);
    assert_int_equal(r.colour, RX_BLUE);
    assert_int_equal(r.ncontrib, 0);
}

static void test_colour_cutoffs(void **st)
{
    (void)st;
    assert_int_equal(rx_colour_of(&P, 0), RX_BLUE);
    assert_int_equal(rx_colour_of(&P, 24.999), RX_BLUE);
    assert_int_equal(rx_colour_of(&P, 25), RX_YELLOW);
    assert_int_equal(rx_colour_of(&P, 49.999), RX_YELLOW);
    assert_int_equal(rx_colour_of(&P, 50), RX_ORANGE);
    assert_int_equal(rx_colour_of(&P, 74.999), RX_ORANGE);
    assert_int_equal(rx_colour_of(&P, 75), RX_RED);
    assert_int_equal(rx_colour_of(&P, 100), RX_RED);
    /* through rx_compute: a static rank-3 area alone sits exactly on yellow */
    rx_inputs in = {.static_rank = 3};
    rx_result r;
    rx_compute(&P, &in, &r);
    assert_true(r.index == 25);
    assert_int_equal(r.colour, RX_YELLOW);
    /* cut-offs are data */
    const char *doc = "{\"version\":1,\"cutoffs\":{\"yellow\":10,\"orange\":20,\"red\":30}}";
    rx_params q;
    assert_int_equal(rx_params_parse(doc, strlen(doc), &q), WS_OK);
    rx_compute(&q, &in, &r);
    assert_int_equal(r.colour, RX_ORANGE);
    /* hysteresis (default 2): orange held down to 48, yellow below; rising at once;
     * a fall of two colours is not held */
    assert_int_equal(rx_colour_held(&P, 49, RX_ORANGE), RX_ORANGE);
    assert_int_equal(rx_colour_held(&P, 48, RX_ORANGE), RX_ORANGE);
    assert_int_equal(rx_colour_held(&P, 47.9, RX_ORANGE), RX_YELLOW);
    assert_int_equal(rx_colour_held(&P, 49, RX_YELLOW), RX_YELLOW);
    assert_int_equal(rx_colour_held(&P, 50, RX_YELLOW), RX_ORANGE);
    assert_int_equal(rx_colour_held(&P, 24, RX_ORANGE), RX_BLUE);
    assert_int_equal(rx_colour_held(&P, 49, 0), RX_YELLOW);
    const char *nh = "{\"version\":1,\"cutoffs\":{\"yellow\":25,\"orange\":50,\"red\":75,\"hysteresis\":0}}";
    assert_int_equal(rx_params_parse(nh, strlen(nh), &q), WS_OK);
    assert_int_equal(rx_colour_held(&q, 49.9, RX_ORANGE), RX_YELLOW);
}

/* -------------------------------------------------------------- parameters */

static void refused(const char *doc, const char *field)
{
    rx_params q;
    memset(&q, 0x5a, sizeof q);
    rx_params before = q;
    ws_err rc = rx_params_parse(doc, strlen(doc), &q);
    if (rc != WS_EINVAL) fail_msg("%s: expected WS_EINVAL, got %d", doc, rc);
    if (strcmp(ws_err_field(), field))
        fail_msg("%s: expected field %s, got %s (%s)", doc, field, ws_err_field(), ws_err_message());
    if (strcmp(field, "doc")) assert_non_null(strstr(ws_err_message(), field));
    assert_memory_equal(&q, &before, sizeof q);          /* nothing written on refusal */
}

static void test_params_refusals(void **st)
{
    (void)st;
    refused("{\"version\":1,\"factors\":{\"hazards\":{\"majr\":10}}}", "factors.hazards.majr");
    refused("{\"version\":1,\"factors\":{\"hazards\":{\"major\":\"ten\"}}}", "factors.hazards.major");
    refused("{\"version\":1,\"factors\":{\"hazards\":{\"major\":-1}}}", "factors.hazards.major");
    refused("{\"version\":1,\"projection\":{\"horizon_h\":100}}", "projection.horizon_h");
    refused("{\"version\":1,\"projection\":{\"horizon_h\":8.5}}", "projection.horizon_h");
    refused("{\"version\":1,\"projection\":{\"k_sigma\":0}}", "projection.k_sigma");
    refused("{\"version\":1,\"factors\":{\"static\":{\"rank\":[0,1]}}}", "factors.static.rank");
    refused("{\"version\":1,\"factors\":{\"permits\":{\"hot_work\":[20,null,6]}}}", "factors.permits.hot_work[1]");
    refused("{\"version\":1,\"factors\":{\"readings\":{\"from\":1}}}", "factors.readings.from");
    refused("{\"version\":1,\"cutoffs\":{\"yellow\":30,\"orange\":20}}", "cutoffs.orange");
    refused("{\"version\":1,\"cutoffs\":{\"red\":40}}", "cutoffs.red");
    refused("{\"version\":1,\"factors\":{\"training\":{}}}", "factors.training");
    refused("{\"version\":1,\"factors\":{\"weather\":[]}}", "factors.weather");
    refused("{\"version\":1,\"factors\":[]}", "factors");
    refused("{\"version\":1,\"colours\":{}}", "colours");
    refused("{\"cutoffs\":{\"yellow\":20}}", "version");
    refused("{\"version\":2}", "version");
    refused("{\"version\":1,", "doc");
    refused("{\"version\":1,\"version\":1}", "doc");
    refused("[1]", "doc");
}

static void test_params_round_trip(void **st)
{
    (void)st;
    /* the default document is canonical: it serialises to itself */
    char *j = rx_params_to_json(&P);
    assert_non_null(j);
    assert_string_equal(j, rx_params_default_json());
    free(j);
    assert_int_equal(P.version, 1);
    assert_true(P.cut_yellow == 25 && P.cut_orange == 50 && P.cut_red == 75);
    assert_int_equal(P.horizon_h, 8);
    assert_true(P.k_sigma == 2.0);
    assert_int_equal(P.unusual_window_h, 6);
    /* a partial document keeps the defaults elsewhere, and round-trips */
    const char *doc = "{\"version\":1,\"factors\":{\"night\":{\"points\":0.1},"
                      "\"permits\":{\"hot_work\":[30,15.25,1e-3]}},\"projection\":{\"horizon_h\":12}}";
    rx_params q, q2;
    assert_int_equal(rx_params_parse(doc, strlen(doc), &q), WS_OK);
    assert_int_equal(q.horizon_h, 12);
    j = rx_params_to_json(&q);
    assert_non_null(strstr(j, "\"night\":{\"cap\":5,\"points\":0.1}"));
    assert_non_null(strstr(j, "\"hot_work\":[30,15.25,0.001]"));
    assert_int_equal(rx_params_parse(j, strlen(j), &q2), WS_OK);
    char *j2 = rx_params_to_json(&q2);
    assert_string_equal(j, j2);
    assert_memory_equal(&q, &q2, sizeof q);
    free(j);
    free(j2);
    /* and the weights are used */
    rx_inputs in = {.night = true};
    rx_result r;
    rx_compute(&q, &in, &r);
    assert_true(fabs(r.index - 0.1) < 1e-12);
}


/* Odd inputs: unknown grades count as the most hazardous, points past
 * RX_MAX_POINTS are ignored, negative counts are none, long tags stay
 * within the detail line. */
static void test_input_edges(void **st)
{
    (void)st;
    rx_permit a[1], b[1];
    rx_inputs in = {.npermits = 1, .permits = a};
    rx_inputs jn = {.npermits = 1, .permits = b};
    rx_result ra, rb;
    a[0] = (rx_permit){RX_HOT_WORK, 0}, b[0] = (rx_permit){RX_HOT_WORK, 1};
    rx_compute(&P, &in, &ra), rx_compute(&P, &jn, &rb);
    assert_true(ra.index == rb.index && ra.index > 0);
    a[0] = (rx_permit){RX_HEIGHT, 9}, b[0] = (rx_permit){RX_HEIGHT, 4};
    rx_compute(&P, &in, &ra), rx_compute(&P, &jn, &rb);
    assert_true(ra.index == rb.index && ra.index > 0);

    static rx_point many[RX_MAX_POINTS + 1];
    for (int i = 0; i <= RX_MAX_POINTS; i++) {
        snprintf(many[i].tag, sizeof many[i].tag, "P%d", i);
        many[i].ratio = 0.1, many[i].score = 0.1;
    }
    many[RX_MAX_POINTS].ratio = 3;                 /* the 65th point: not looked at */
    rx_inputs pts = {.npoints = RX_MAX_POINTS + 1, .points = many};
    rx_compute(&P, &pts, &ra);
    assert_true(ra.index == 0);
    many[RX_MAX_POINTS - 1].ratio = 3;             /* the 64th is */
    memset(many[RX_MAX_POINTS - 1].tag, 'X', RX_TAG_MAX);
    many[RX_MAX_POINTS - 1].tag[RX_TAG_MAX] = 0;
    many[RX_MAX_POINTS - 2].ratio = 2.5;
    memset(many[RX_MAX_POINTS - 2].tag, 'Y', RX_TAG_MAX);
    many[RX_MAX_POINTS - 2].tag[RX_TAG_MAX] = 0;
    rx_compute(&P, &pts, &ra);
    assert_true(ra.index > 0);
    const rx_contrib *c = contrib_of(&ra, RX_READINGS);
    assert_non_null(c);
    assert_true(strlen(c->detail) < sizeof c->detail);
    assert_non_null(strstr(c->detail, "XXXXXXXX"));
    assert_non_null(strstr(c->detail, "3.00"));

    rx_inputs neg = {.hazards_general = -3, .hazards_major = -1, .hazard_overdue_days = -5,
                     .npermits = -2, .npoints = -1, .static_rank = 9};
    rx_compute(&P, &neg, &ra);
    assert_null(contrib_of(&ra, RX_HAZARDS));
    assert_null(contrib_of(&ra, RX_PERMITS));
    assert_true(fabs(ra.index - 40) < 1e-9);       /* a rank above 4 counts as 4 */
}


/* Every one-byte change of the default document is either accepted (and then
 * round-trips) or refused with WS_EINVAL and a field; nothing else happens. */
static void test_params_mutations(void **st)
{
    (void)st;
    const char *d = rx_params_default_json();
    size_t n = strlen(d);
    char *buf = malloc(n + 1);
    static const char subst[] = {'x', '}', '9', '"', '-', ',', '['};
    int accepted = 0, refused_n = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(buf, d, n + 1);
            if (buf[i] == subst[k]) continue;
            buf[i] = subst[k];
            rx_params q;
            ws_err rc = rx_params_parse(buf, n, &q);
            if (rc == WS_OK) {
                accepted++;
                char *j = rx_params_to_json(&q);
                assert_non_null(j);
                rx_params q2;
                assert_int_equal(rx_params_parse(j, strlen(j), &q2), WS_OK);
                assert_memory_equal(&q, &q2, sizeof q);
                free(j);
            } else {
                assert_int_equal(rc, WS_EINVAL);
                assert_true(strlen(ws_err_field()) > 0);
                refused_n++;
            }
        }
    free(buf);
    assert_true(accepted > 50 && refused_n > 1000);   /* digits change weights; the rest breaks */
    rx_params bad = P;
    bad.w.nt.points = NAN;
    assert_null(rx_params_to_json(&bad));
}

/* ----------------------------------------------------------------- profile */

static void test_profile_learning(void **st)
{
    (void)st;
    rx_profile pr;
    rx_profile_init(&pr);
    for (int h = 0; h < RX_WEEK_H; h++) assert_true(pr.n[h] == 0 && pr.mean[h] == 0 && pr.var[h] == 0);
    rx_profile_learn(&pr, 5, 10);
    assert_true(pr.n[5] == 1 && pr.mean[5] == 10 && pr.var[5] == 0);   /* first value taken whole */
    rx_profile_learn(&pr, 5 + RX_WEEK_H, 20);                            /* next week, same hour */
    assert_true(pr.n[5] == 2);
    assert_true(fabs(pr.mean[5] - 15) < 1e-12);                          /* 1/n: the plain mean */
    assert_true(fabs(pr.var[5] - 25) < 1e-12);                           /* and variance */
    rx_profile_learn(&pr, -1, 7);                                        /* Sunday 23:00 of last week */
    assert_true(pr.n[RX_WEEK_H - 1] == 1 && pr.mean[RX_WEEK_H - 1] == 7);
    rx_profile_learn(&pr, 5, NAN);                                       /* ignored */
    assert_true(pr.n[5] == 2);
    /* after many weeks the weight is RX_PROFILE_ALPHA: a new level is reached geometrically */
    for (int w = 0; w < 80; w++) rx_profile_learn(&pr, 5, 30);
    assert_true(fabs(pr.mean[5] - 30) < 1e-3 && pr.var[5] < 1e-3);
    double m0 = pr.mean[5];
    rx_profile_learn(&pr, 5, 40);
    assert_true(fabs(pr.mean[5] - (m0 + RX_PROFILE_ALPHA * (40 - m0))) < 1e-9);
    assert_true(pr.n[6] == 0);                                           /* other hours untouched */
}

/* -------------------------------------------------------------- projection */

static void sched_empty(rx_schedule *s, int n, bool night)
{
    memset(s, 0, sizeof *s);
    s->nhours = n;
    for (int h = 0; h < n; h++) s->night[h] = night;
}

static void test_project_scheduled_hot_work(void **st)
{
    (void)st;
    /* static orange area with a general hazard: 25 + 3 + 12 (一级 hot work now) = 40, yellow */
    rx_permit now_permits[1] = {{RX_HOT_WORK, 2}};
    rx_inputs in = {.static_rank = 3, .hazards_general = 1, .npermits = 1, .permits = now_permits};
    rx_result cur;
    rx_compute(&P, &in, &cur);
    assert_int_equal(cur.colour, RX_YELLOW);
    static rx_schedule s;
    sched_empty(&s, 8, false);
    for (int h = 0; h < 8; h++) s.permits[h][s.npermits[h]++] = (rx_permit){RX_HOT_WORK, 2};
    rx_projection pj;
    rx_project(&P, NULL, &in, &cur, 10, NULL, 0, &s, &pj);
    assert_int_equal(pj.nhours, 8);
    assert_int_equal(pj.warn_in_h, 0);                       /* nothing new: no warning */
    for (int h = 0; h < 8; h++) assert_true(fabs(pj.index[h] - cur.index) < 1e-9);
    /* a 特级 hot-work job from the third hour ahead on: 40 + 22 = 62, orange */
    for (int h = 2; h < 6; h++) s.permits[h][s.npermits[h]++] = (rx_permit){RX_HOT_WORK, 1};
    rx_project(&P, NULL, &in, &cur, 10, NULL, 0, &s, &pj);
    assert_int_equal(pj.warn_in_h, 3);
    assert_int_equal(pj.warn_colour, RX_ORANGE);
    assert_int_equal(pj.colour[1], RX_YELLOW);
    assert_int_equal(pj.colour[2], RX_ORANGE);
    assert_int_equal(pj.colour[6], RX_YELLOW);               /* the job ends */
    /* why: the permits factor holds the 特级 job from that hour on, the
     * model part at the warning hour names it, the profile adds nothing */
    assert_true(fabs(pj.factor_pts[2][RX_PERMITS] - pj.factor_pts[1][RX_PERMITS] - 22) < 1e-9);
    assert_true(fabs(pj.factor_pts[2][RX_STATIC] - 25) < 1e-9);
    assert_true(fabs(pj.warn_model.index - pj.index[2]) < 1e-9);
    assert_named(&pj.warn_model, RX_PERMITS, "hot_work grade 1", NULL);
    for (int h = 0; h < 8; h++) assert_true(pj.profile_pts[h] == 0 && isnan(pj.profile_mean[h]));
    /* the same with a learnt flat profile: the schedule still wins */
    static rx_profile pr;
    rx_profile_init(&pr);
    for (int w = 0; w < 4; w++)
        for (int h = 0; h < RX_WEEK_H; h++) rx_profile_learn(&pr, h, 40);
    double recent[6] = {40, 40, 40, 40, 40, 40};
    rx_project(&P, &pr, &in, &cur, 10, recent, 6, &s, &pj);
    assert_int_equal(pj.warn_in_h, 3);
    assert_false(pj.unusual);
}

static void test_project_night_shift(void **st)
{
    (void)st;
    /* 12 + 3·3 = 21, blue; a night shift from the fourth hour: 26, yellow */
    rx_inputs in = {.static_rank = 2, .hazards_general = 3};
    rx_result cur;
    rx_compute(&P, &in, &cur);
    assert_int_equal(cur.colour, RX_BLUE);
    static rx_schedule s;
    sched_empty(&s, 8, false);
    for (int h = 3; h < 8; h++) s.night[h] = true;
    rx_projection pj;
    rx_project(&P, NULL, &in, &cur, 0, NULL, 0, &s, &pj);
    assert_int_equal(pj.warn_in_h, 4);
    assert_int_equal(pj.warn_colour, RX_YELLOW);
    assert_true(fabs(pj.index[3] - (cur.index + 5)) < 1e-9);
    /* no schedule: the current shift is carried forward */
    rx_project(&P, NULL, &in, &cur, 0, NULL, 0, NULL, &pj);
    assert_int_equal(pj.warn_in_h, 0);
}

static void test_project_weather_forecast(void **st)
{
    (void)st;
    /* 12 + 3 = 15, blue, calm now; a red lightning warning with a gale
     * forecast for the third and fourth hours ahead: 15 + 25 (the weather
     * cap) = 40, yellow, warned 3 hours ahead; calm again after it */
    rx_inputs in = {.static_rank = 2, .hazards_general = 1,
                    .weather = {.known = true, .wind_ms = 3, .rain_mmh = 0, .temp_c = 15}};
    rx_result cur;
    rx_compute(&P, &in, &cur);
    assert_int_equal(cur.colour, RX_BLUE);
    static rx_schedule s;
    sched_empty(&s, 8, false);
    for (int h = 2; h < 4; h++) {
        s.forecast[h] = true;
        s.weather[h] = (rx_weather){.known = true, .wind_ms = 20, .rain_mmh = 30, .temp_c = 12, .lightning = 4};
    }
    rx_projection pj;
    rx_project(&P, NULL, &in, &cur, 0, NULL, 0, &s, &pj);
    assert_int_equal(pj.warn_in_h, 3);
    assert_int_equal(pj.warn_colour, RX_YELLOW);
    assert_true(fabs(pj.index[2] - (cur.index + 25)) < 1e-9);
    assert_true(fabs(pj.index[4] - cur.index) < 1e-9);        /* the forecast hours only */
    /* without the forecast the calm weather is carried forward */
    sched_empty(&s, 8, false);
    rx_project(&P, NULL, &in, &cur, 0, NULL, 0, &s, &pj);
    assert_int_equal(pj.warn_in_h, 0);
}

static void test_project_readings_decay(void **st)
{
    (void)st;
    area a;
    baseline(&a);
    a.pts[0].ratio = 1.0;                 /* at the limit now */
    rx_result cur;
    rx_compute(&P, &a.in, &cur);
    static rx_schedule s;
    sched_empty(&s, 8, true);
    s.npermits[0] = 0;
    for (int h = 0; h < 8; h++) s.permits[h][s.npermits[h]++] = a.permits[0];
    rx_projection pj;
    rx_project(&P, NULL, &a.in, &cur, 0, NULL, 0, &s, &pj);
    for (int h = 1; h < 8; h++) assert_true(pj.index[h] < pj.index[h - 1]);
    assert_true(pj.index[0] < cur.index);
    assert_int_equal(pj.warn_in_h, 0);
}

/* A point that has been climbing is carried on up (projection.climb · its
 * climb · h) instead of fading: the projection rises, warns by
 * the hour its ratio would pass the limit, and holds the floor from then.
 * Without a climb, or with the weight at 0, the same area only fades. */
static void test_project_climb(void **st)
{
    (void)st;
    area a;
    baseline(&a);
    a.pts[0].ratio = 0.7, a.pts[0].climb = 0.1; /* +0.06 an hour at the default 0.6: past 1.0 in 5 h */
    rx_result cur;
    rx_compute(&P, &a.in, &cur);
    assert_true(cur.colour < RX_ORANGE);
    static rx_schedule s;
    sched_empty(&s, 8, true);
    for (int h = 0; h < 8; h++) s.permits[h][s.npermits[h]++] = a.permits[0];
    rx_projection pj;
    rx_project(&P, NULL, &a.in, &cur, 0, NULL, 0, &s, &pj);
    assert_true(pj.index[0] > cur.index && pj.index[2] > pj.index[0]);
    assert_true(pj.warn_in_h >= 1 && pj.warn_in_h <= 5); /* the ramp may get there first */
    assert_true(pj.warn_colour >= RX_ORANGE);
    assert_true(pj.index[4] >= 50); /* past the limit at h = 5: the floor */
    /* no climb: nothing to warn of */
    a.pts[0].climb = 0;
    rx_project(&P, NULL, &a.in, &cur, 0, NULL, 0, &s, &pj);
    assert_int_equal(pj.warn_in_h, 0);
    /* the weight is data: 0 switches it off */
    a.pts[0].climb = 0.1;
    const char *doc = "{\"version\":1,\"projection\":{\"climb\":0}}";
    rx_params q;
    assert_int_equal(rx_params_parse(doc, strlen(doc), &q), WS_OK);
    rx_project(&q, NULL, &a.in, &cur, 0, NULL, 0, &s, &pj);
    assert_int_equal(pj.warn_in_h, 0);
}

/* A schedule shorter than the horizon: the hours past it carry the current
 * permits and shift; the horizon is data; cur may be left to rx_project. */
static void test_project_short_schedule(void **st)
{
    (void)st;
    rx_permit now_permits[1] = {{RX_CONFINED, 0}};
    rx_inputs in = {.static_rank = 2, .npermits = 1, .permits = now_permits};     /* 12 + 15 */
    static rx_schedule s;
    sched_empty(&s, 2, false);                     /* the next two hours: no permit */
    const char *doc = "{\"version\":1,\"projection\":{\"horizon_h\":12}}";
    rx_params q;
    assert_int_equal(rx_params_parse(doc, strlen(doc), &q), WS_OK);
    rx_projection pj;
    rx_project(&q, NULL, &in, NULL, 0, NULL, 0, &s, &pj);
    assert_int_equal(pj.nhours, 12);
    assert_true(pj.index[0] == 12 && pj.index[1] == 12);
    for (int h = 2; h < 12; h++) assert_true(pj.index[h] == 27);
    assert_int_equal(pj.warn_in_h, 0);             /* back to the current colour, not above */
}

/* A flat profile at 20 (±0.5) on every hour for six weeks. */
static void flat_profile(rx_profile *pr)
{
    rx_profile_init(pr);
    for (int w = 0; w < 6; w++)
        for (int h = 0; h < RX_WEEK_H; h++) rx_profile_learn(pr, h, 20 + ((w + h) % 2 ? 0.5 : -0.5));
}

static void test_project_profile_shape(void **st)
{
    (void)st;
    static rx_profile pr;
    flat_profile(&pr);
    /* the usual morning rise two hours ahead */
    for (int w = 0; w < 6; w++) rx_profile_learn(&pr, 50, 60);
    rx_inputs in = {.static_rank = 2, .hazards_general = 1, .npermits = 0};     /* 15 */
    rx_result cur;
    rx_compute(&P, &in, &cur);
    double recent[6] = {20, 20, 20, 20, 20, 20};
    rx_projection pj;
    rx_project(&P, &pr, &in, &cur, 48, recent, 6, NULL, &pj);
    assert_false(pj.unusual);
    assert_true(pj.index[1] > pj.index[0] + 15);               /* blended toward the usual rise */
    assert_int_equal(pj.warn_in_h, 2);
    /* why: the profile, not the model (whose factors stay as now) */
    assert_true(fabs(pj.profile_mean[1] - pr.mean[50]) < 1e-9);
    assert_true(fabs(pj.profile_pts[1] - (pj.index[1] - pj.warn_model.index)) < 1e-9);
    assert_true(pj.profile_pts[1] > 15);
    assert_true(fabs(pj.warn_model.index - cur.index) < 1e-9);
    /* without data for an hour the model alone speaks */
    rx_profile empty;
    rx_profile_init(&empty);
    rx_project(&P, &empty, &in, &cur, 48, recent, 6, NULL, &pj);
    assert_true(fabs(pj.index[1] - cur.index) < 1e-9);
}

static void test_project_unusual_day(void **st)
{
    (void)st;
    static rx_profile pr;
    flat_profile(&pr);
    /* now: GT-101 at 0.9 of its limit in a static-yellow area: 12 + 19.2 = 31.2 */
    rx_point pt = {"GT-101", 0.9, NAN};
    rx_inputs in = {.static_rank = 2, .npoints = 1, .points = &pt};
    rx_result cur;
    rx_compute(&P, &in, &cur);
    assert_true(fabs(cur.index - 31.2) < 1e-9);
    rx_projection on, off, match;

    /* the last six hours all sat 11 points above the profile (σ floor 2, k 2): unusual,
     * the deviation is carried forward instead of reverting */
    double high[6] = {31.2, 31.2, 31.2, 31.2, 31.2, 31.2};
    rx_project(&P, &pr, &in, &cur, 100, high, 6, NULL, &on);
    assert_true(on.unusual);
    assert_true(fabs(on.deviation - 11.2) < 0.6);
    for (int h = 0; h < on.nhours; h++) assert_true(on.index[h] > 30);

    /* only the current hour is high: not unusual, the projection reverts */
    double spike[6] = {20, 20, 20, 20, 20, 31.2};
    rx_project(&P, &pr, &in, &cur, 100, spike, 6, NULL, &off);
    assert_false(off.unusual);
    assert_true(off.index[7] < off.index[0] && off.index[7] < 20);
    assert_true(on.index[7] > off.index[7] + 10);

    /* the recent hours match the profile */
    rx_inputs quiet = {.static_rank = 2, .hazards_general = 1, .npermits = 0, .night = false};
    rx_result qcur;
    rx_compute(&P, &quiet, &qcur);
    double same[6] = {20, 19.5, 20.5, 20, 20, 15};
    rx_project(&P, &pr, &quiet, &qcur, 100, same, 6, NULL, &match);
    assert_false(match.unusual);
    assert_true(fabs(match.deviation) < 2);
    assert_int_equal(match.warn_in_h, 0);

    /* a rising unusual day: the deviation's trend is carried too, and warns.
     * now 25 + 15 + 3 = 43; deviations -2, 3, .., 23 (slope 5/h): 43 + 0.5·5·h ≥ 50 from h = 3 */
    rx_inputs rise = {.static_rank = 3, .hazards_major = 1, .hazards_general = 1};
    rx_result rcur;
    rx_compute(&P, &rise, &rcur);
    assert_true(fabs(rcur.index - 43) < 1e-9);
    double ramp[6] = {18, 23, 28, 33, 38, 43};
    rx_projection up;
    rx_project(&P, &pr, &rise, &rcur, 100, ramp, 6, NULL, &up);
    assert_true(up.unusual);
    assert_int_equal(up.warn_in_h, 3);
    assert_int_equal(up.warn_colour, RX_ORANGE);
    /* a climb of more than k·σ over the last three hours is unusual before the
     * window's mean deviation (here 2 < k·σ = 4) says so: 3 + 3 + 3 > 4 */
    rx_inputs climb = {.static_rank = 3, .hazards_general = 1};          /* 28 */
    rx_result ccur;
    rx_compute(&P, &climb, &ccur);
    double steps[6] = {19, 19, 19, 22, 25, 28};
    rx_projection cl;
    rx_project(&P, &pr, &climb, &ccur, 100, steps, 6, NULL, &cl);
    assert_true(cl.unusual);
    assert_true(fabs(cl.deviation) < 4);
    assert_true(cl.index[7] > 28 + 0.5 * 3 * 8 - 1);                     /* level and trend carried */
    double flat_steps[6] = {19, 19, 19, 25, 22, 28};                      /* not three rises */
    rx_project(&P, &pr, &climb, &ccur, 100, flat_steps, 6, NULL, &cl);
    assert_false(cl.unusual);

    /* the same hours judged with a k that calls them usual: no warning */
    rx_params lax = P;
    lax.k_sigma = 10;
    rx_project(&lax, &pr, &rise, &rcur, 100, ramp, 6, NULL, &up);
    assert_false(up.unusual);
    assert_int_equal(up.warn_in_h, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_explained),
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_readings),
        cmocka_unit_test(test_reading_floor),
        cmocka_unit_test(test_anomaly),
        cmocka_unit_test(test_hazards),
        cmocka_unit_test(test_permits),
        cmocka_unit_test(test_weather),
        cmocka_unit_test(test_night),
        cmocka_unit_test(test_caps_and_clamp),
        cmocka_unit_test(test_colour_cutoffs),
        cmocka_unit_test(test_input_edges),
        cmocka_unit_test(test_params_refusals),
        cmocka_unit_test(test_params_round_trip),
        cmocka_unit_test(test_params_mutations),
        cmocka_unit_test(test_profile_learning),
        cmocka_unit_test(test_project_scheduled_hot_work),
        cmocka_unit_test(test_project_night_shift),
        cmocka_unit_test(test_project_weather_forecast),
        cmocka_unit_test(test_project_readings_decay),
        cmocka_unit_test(test_project_climb),
        cmocka_unit_test(test_project_short_schedule),
        cmocka_unit_test(test_project_profile_shape),
        cmocka_unit_test(test_project_unusual_day),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
