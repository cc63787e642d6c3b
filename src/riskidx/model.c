/* model.c — the dynamic risk index of one area (model.h): the factor
 * contributions and their explanations (rx_compute), the versioned parameters
 * as strict JSON (rx_params_parse, rx_params_to_json, the default document),
 * the weekly profile (rx_profile_learn) and the projection of the next hours
 * with the unusual-day test (rx_project).
 *
 * Pure: no store, no clock, no allocation except the JSON text that
 * rx_params_to_json returns and jansson's tree while parsing. rx_compute and
 * rx_project work in the caller's memory and a few stack variables.
 *
 * The formulas, the default weights and the reasons for them are in
 * docs/internals/riskidx.md ("Factors and default weights", "Projection");
 * the symbols in the comments here (M_h, Q_h, δ_h, D, σ, s) are that page's. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskidx/model.h"

/* ------------------------------------------------------------- names */

static const char *const factor_names[RX_NFACTORS] = {"static",  "readings", "anomaly", "hazards",
                                                      "permits", "weather",  "night"};

const char *rx_factor_name(rx_factor f)
{
    return (int)f >= 0 && f < RX_NFACTORS ? factor_names[f] : "unknown";
}

static const char *const permit_names[RX_NPERMIT_TYPES] = {
    "hot_work", "confined_space", "blind_plate",    "work_at_height",
    "lifting",  "temporary_power", "excavation",    "road_closure"};

static const char *const colour_names[5] = {"none", "blue", "yellow", "orange", "red"};

/* ---------------------------------------------------- parameter fields */

/* One number (or a fixed-length array of numbers) of the parameters: where it
 * sits in the JSON ("factors.hazards" + "major"), where in rx_params, and its
 * range. The same table drives the parser and the serialiser, so the
 * canonical JSON has exactly these keys in this order. */
typedef struct pfield {
    int group;          /* index into groups[] */
    const char *key;
    size_t off;
    int n;              /* 1: a number; > 1: an array of exactly n numbers */
    bool is_int;
    double lo, hi;
} pfield;

enum { G_CUTOFFS, G_STATIC, G_READINGS, G_ANOMALY, G_HAZARDS, G_PERMITS, G_WEATHER, G_NIGHT,
       G_PROJECTION, G_COUNT };
static const char *const groups[G_COUNT] = {
    "cutoffs",          "factors.static",  "factors.readings", "factors.anomaly", "factors.hazards",
    "factors.permits",  "factors.weather", "factors.night",    "projection"};

#define OFF(m) offsetof(rx_params, m)
/* a factor's cap: w.cap[RX_<f>] in group G_<f> */
#define CAP(f) {G_##f, "cap", OFF(w.cap) + (size_t)RX_##f * sizeof(double), 1, false, 0, 100}

static const pfield fields[] = {
    {G_CUTOFFS, "yellow", OFF(cut_yellow), 1, false, 0, 100},
    {G_CUTOFFS, "orange", OFF(cut_orange), 1, false, 0, 100},
    {G_CUTOFFS, "red", OFF(cut_red), 1, false, 0, 100},
    {G_CUTOFFS, "hysteresis", OFF(hysteresis), 1, false, 0, 20},
    CAP(STATIC),
    {G_STATIC, "rank", OFF(w.st.rank), 5, false, 0, 100},
    CAP(READINGS),
    {G_READINGS, "from", OFF(w.rd.from), 1, false, 0, 0.99},
    {G_READINGS, "at_limit", OFF(w.rd.at_limit), 1, false, 0, 100},
    {G_READINGS, "power", OFF(w.rd.power), 1, false, 0.25, 4},
    {G_READINGS, "second", OFF(w.rd.second), 1, false, 0, 1},
    {G_READINGS, "floor", OFF(w.rd.floor), 2, false, 0, 100},
    CAP(ANOMALY),
    {G_ANOMALY, "from", OFF(w.an.from), 1, false, 0, 0.99},
    {G_ANOMALY, "at_one", OFF(w.an.at_one), 1, false, 0, 100},
    {G_ANOMALY, "power", OFF(w.an.power), 1, false, 0.25, 4},
    CAP(HAZARDS),
    {G_HAZARDS, "general", OFF(w.hz.general), 1, false, 0, 100},
    {G_HAZARDS, "major", OFF(w.hz.major), 1, false, 0, 100},
    {G_HAZARDS, "per_overdue_day", OFF(w.hz.per_overdue_day), 1, false, 0, 100},
    CAP(PERMITS),
    {G_PERMITS, "hot_work", OFF(w.pm.hot_work), 3, false, 0, 100},
    {G_PERMITS, "confined_space", OFF(w.pm.confined_space), 1, false, 0, 100},
    {G_PERMITS, "blind_plate", OFF(w.pm.blind_plate), 1, false, 0, 100},
    {G_PERMITS, "work_at_height", OFF(w.pm.work_at_height), 4, false, 0, 100},
    {G_PERMITS, "lifting", OFF(w.pm.lifting), 1, false, 0, 100},
    {G_PERMITS, "temporary_power", OFF(w.pm.temporary_power), 1, false, 0, 100},
    {G_PERMITS, "excavation", OFF(w.pm.excavation), 1, false, 0, 100},
    {G_PERMITS, "road_closure", OFF(w.pm.road_closure), 1, false, 0, 100},
    CAP(WEATHER),
    {G_WEATHER, "wind_from", OFF(w.wx.wind_from), 1, false, 0, 100},
    {G_WEATHER, "wind", OFF(w.wx.wind), 1, false, 0, 100},
    {G_WEATHER, "wind_per_ms", OFF(w.wx.wind_per_ms), 1, false, 0, 100},
    {G_WEATHER, "rain_from", OFF(w.wx.rain_from), 1, false, 0, 1000},
    {G_WEATHER, "rain", OFF(w.wx.rain), 1, false, 0, 100},
    {G_WEATHER, "rain_per_mmh", OFF(w.wx.rain_per_mmh), 1, false, 0, 100},
    {G_WEATHER, "heat_from", OFF(w.wx.heat_from), 1, false, 0, 60},
    {G_WEATHER, "heat", OFF(w.wx.heat), 1, false, 0, 100},
    {G_WEATHER, "cold_from", OFF(w.wx.cold_from), 1, false, -60, 0},
    {G_WEATHER, "cold", OFF(w.wx.cold), 1, false, 0, 100},
    {G_WEATHER, "lightning", OFF(w.wx.lightning), 4, false, 0, 100},
    CAP(NIGHT),
    {G_NIGHT, "points", OFF(w.nt.points), 1, false, 0, 100},
    {G_PROJECTION, "horizon_h", OFF(horizon_h), 1, true, 1, RX_MAX_HORIZON},
    {G_PROJECTION, "k_sigma", OFF(k_sigma), 1, false, 0.1, 10},
    {G_PROJECTION, "unusual_window_h", OFF(unusual_window_h), 1, true, 1, RX_MAX_HORIZON},
    {G_PROJECTION, "half_life_h", OFF(pj.half_life_h), 1, false, 0.1, 168},
    {G_PROJECTION, "blend", OFF(pj.blend), 1, false, 0, 1},
    {G_PROJECTION, "blend_sigma", OFF(pj.blend_sigma), 1, false, 0, 5},
    {G_PROJECTION, "sigma_min", OFF(pj.sigma_min), 1, false, 0, 50},
    {G_PROJECTION, "trend", OFF(pj.trend), 1, false, 0, 2},
    {G_PROJECTION, "climb", OFF(pj.climb), 1, false, 0, 2},
    {G_PROJECTION, "min_n", OFF(pj.min_n), 1, true, 1, 1000},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* The defaults (docs/internals/riskidx.md, "Default weights"). The default
 * document below is exactly rx_params_to_json of these (a unit test holds
 * the two together). */
static void set_defaults(rx_params *p)
{
    memset(p, 0, sizeof *p);
    p->version = 1;
    p->cut_yellow = 25, p->cut_orange = 50, p->cut_red = 75, p->hysteresis = 2;
    rx_weights *w = &p->w;
    w->cap[RX_STATIC] = 40;
    const double rank[5] = {0, 5, 12, 25, 40};
    memcpy(w->st.rank, rank, sizeof rank);
    w->cap[RX_READINGS] = 45;
    w->rd.from = 0.5, w->rd.at_limit = 30, w->rd.power = 2, w->rd.second = 0.25;
    w->rd.floor[0] = 50, w->rd.floor[1] = 75; /* the orange and red cut-offs */
    w->cap[RX_ANOMALY] = 20;
    w->an.from = 0.3, w->an.at_one = 20, w->an.power = 1;
    w->cap[RX_HAZARDS] = 35;
    w->hz.general = 3, w->hz.major = 15, w->hz.per_overdue_day = 0.5;
    w->cap[RX_PERMITS] = 35;
    w->pm.hot_work[0] = 22, w->pm.hot_work[1] = 12, w->pm.hot_work[2] = 6;
    w->pm.confined_space = 15, w->pm.blind_plate = 5;
    w->pm.work_at_height[0] = 3, w->pm.work_at_height[1] = 5, w->pm.work_at_height[2] = 8,
    w->pm.work_at_height[3] = 12;
    w->pm.lifting = 6, w->pm.temporary_power = 3, w->pm.excavation = 4, w->pm.road_closure = 2;
    w->cap[RX_WEATHER] = 25;
    w->wx.wind_from = 10.8, w->wx.wind = 5, w->wx.wind_per_ms = 1.5;
    w->wx.rain_from = 16, w->wx.rain = 8, w->wx.rain_per_mmh = 0.2;
    w->wx.heat_from = 35, w->wx.heat = 6, w->wx.cold_from = -10, w->wx.cold = 5;
    w->wx.lightning[0] = 3, w->wx.lightning[1] = 6, w->wx.lightning[2] = 10, w->wx.lightning[3] = 15;
    w->cap[RX_NIGHT] = 5;
    w->nt.points = 5;
    p->horizon_h = 8, p->k_sigma = 2.0, p->unusual_window_h = 6;
    p->pj.half_life_h = 2, p->pj.blend = 0.5, p->pj.blend_sigma = 0, p->pj.sigma_min = 2, p->pj.trend = 0.5, p->pj.min_n = 2;
    p->pj.climb = 0.6;
}

static const char default_json[] =
    "{\"version\":1,"
    "\"cutoffs\":{\"yellow\":25,\"orange\":50,\"red\":75,\"hysteresis\":2},"
    "\"factors\":{"
    "\"static\":{\"cap\":40,\"rank\":[0,5,12,25,40]},"
    "\"readings\":{\"cap\":45,\"from\":0.5,\"at_limit\":30,\"power\":2,\"second\":0.25,\"floor\":[50,75]},"
    "\"anomaly\":{\"cap\":20,\"from\":0.3,\"at_one\":20,\"power\":1},"
    "\"hazards\":{\"cap\":35,\"general\":3,\"major\":15,\"per_overdue_day\":0.5},"
    "\"permits\":{\"cap\":35,\"hot_work\":[22,12,6],\"confined_space\":15,\"blind_plate\":5,"
    "\"work_at_height\":[3,5,8,12],\"lifting\":6,\"temporary_power\":3,\"excavation\":4,"
    "\"road_closure\":2},"
    "\"weather\":{\"cap\":25,\"wind_from\":10.8,\"wind\":5,\"wind_per_ms\":1.5,\"rain_from\":16,"
    "\"rain\":8,\"rain_per_mmh\":0.2,\"heat_from\":35,\"heat\":6,\"cold_from\":-10,\"cold\":5,"
    "\"lightning\":[3,6,10,15]},"
    "\"night\":{\"cap\":5,\"points\":5}},"
    "\"projection\":{\"horizon_h\":8,\"k_sigma\":2,\"unusual_window_h\":6,\"half_life_h\":2,"
    "\"blend\":0.5,\"blend_sigma\":0,\"sigma_min\":2,\"trend\":0.5,\"climb\":0.6,\"min_n\":2}}";

const char *rx_params_default_json(void) { return default_json; }

/* ------------------------------------------------------------- parsing */

#define RX_DOC_MAX 65536

static ws_err unknown_key(const char *path, const char *key, const char *what)
{
    char f[160];
    snprintf(f, sizeof f, "%s%s%.60s", path, *path ? "." : "", *key ? key : "\"\"");
    return ws_fail(WS_EINVAL, f, "%s: unknown key for %s", f, what);
}

/* Only the keys of group g may appear in o. */
static ws_err check_group_keys(int g, json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool ok = false;
        for (size_t i = 0; i < NFIELDS && !ok; i++)
            ok = fields[i].group == g && !strcmp(fields[i].key, k);
        if (!ok) return unknown_key(groups[g], k, groups[g]);
    }
    return WS_OK;
}

static ws_err parse_field(const pfield *f, json_t *o, rx_params *out)
{
    json_t *v = json_object_get(o, f->key);
    if (!v) return WS_OK;                       /* a missing key keeps its default */
    char name[120];
    snprintf(name, sizeof name, "%s.%s", groups[f->group], f->key);
    char *base = (char *)out + f->off;
    if (f->n > 1) {
        if (!json_is_array(v) || json_array_size(v) != (size_t)f->n)
            return ws_fail(WS_EINVAL, name, "%s must be an array of %d numbers", name, f->n);
        for (int i = 0; i < f->n; i++) {
            json_t *x = json_array_get(v, (size_t)i);
            double d = json_is_number(x) ? json_number_value(x) : NAN;
            if (!isfinite(d) || d < f->lo || d > f->hi) {
                char el[140];
                snprintf(el, sizeof el, "%s[%d]", name, i);
                return ws_fail(WS_EINVAL, el, "%s must be a number from %g to %g", el, f->lo, f->hi);
            }
            ((double *)(void *)base)[i] = d;
        }
        return WS_OK;
    }
    if (f->is_int) {
        if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)f->lo ||
            json_integer_value(v) > (json_int_t)f->hi)
            return ws_fail(WS_EINVAL, name, "%s must be an integer from %g to %g", name, f->lo, f->hi);
        *(int *)(void *)base = (int)json_integer_value(v);
        return WS_OK;
    }
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(d) || d < f->lo || d > f->hi)
        return ws_fail(WS_EINVAL, name, "%s must be a number from %g to %g", name, f->lo, f->hi);
    *(double *)(void *)base = d;
    return WS_OK;
}

/* The object at path "a" or "factors.b" of root, checked to be an object
 * with only its group's keys; *o NULL when absent. */
static ws_err get_group(json_t *root, int g, json_t **o)
{
    const char *path = groups[g];
    json_t *parent = root;
    const char *key = path;
    if (!strncmp(path, "factors.", 8)) {
        parent = json_object_get(root, "factors");
        key = path + 8;
    }
    *o = parent ? json_object_get(parent, key) : NULL;
    if (!*o) return WS_OK;
    if (!json_is_object(*o)) return ws_fail(WS_EINVAL, path, "%s must be an object", path);
    return check_group_keys(g, *o);
}

static ws_err parse_root(json_t *root, rx_params *out)
{
    if (!json_is_object(root))
        return ws_fail(WS_EINVAL, "doc", "the risk-index parameters must be a JSON object");
    static const char *const top[] = {"version", "cutoffs", "factors", "projection", NULL};
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        bool ok = false;
        for (int i = 0; top[i]; i++) ok = ok || !strcmp(k, top[i]);
        if (!ok) return unknown_key("", k, "the parameters (version, cutoffs, factors, projection)");
    }
    json_t *ver = json_object_get(root, "version");
    if (!ver) return ws_fail(WS_EINVAL, "version", "version is required");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        return ws_fail(WS_EINVAL, "version", "version must be 1 (the only version this server reads)");
    json_t *fac = json_object_get(root, "factors");
    if (fac) {
        if (!json_is_object(fac)) return ws_fail(WS_EINVAL, "factors", "factors must be an object");
        json_object_foreach(fac, k, v) {
            bool ok = false;
            for (int f = 0; f < RX_NFACTORS; f++) ok = ok || !strcmp(k, factor_names[f]);
            if (!ok)
                return unknown_key("factors", k,
                                   "factors (static, readings, anomaly, hazards, permits, weather, night)");
        }
    }
    for (int g = 0; g < G_COUNT; g++) {
        json_t *o;
        ws_err rc = get_group(root, g, &o);
        if (rc) return rc;
        if (!o) continue;
        for (size_t i = 0; i < NFIELDS; i++)
            if (fields[i].group == g && (rc = parse_field(&fields[i], o, out))) return rc;
    }
    if (!(out->cut_yellow > 0))
        return ws_fail(WS_EINVAL, "cutoffs.yellow", "cutoffs.yellow must be above 0");
    if (!(out->cut_orange > out->cut_yellow))
        return ws_fail(WS_EINVAL, "cutoffs.orange", "cutoffs.orange must be above cutoffs.yellow");
    if (!(out->cut_red > out->cut_orange))
        return ws_fail(WS_EINVAL, "cutoffs.red", "cutoffs.red must be above cutoffs.orange");
    return WS_OK;
}

ws_err rx_params_parse(const char *json, size_t len, rx_params *out)
{
    rx_params p;
    set_defaults(&p);
    if (!json || len > RX_DOC_MAX)
        return ws_fail(WS_EINVAL, "doc", "the risk-index parameters must be a JSON document of at most 64 KiB");
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return ws_fail(WS_EINVAL, "doc", "the risk-index parameters are not valid JSON (line %d, column %d): %s",
                       jerr.line, jerr.column, jerr.text);
    ws_err rc = parse_root(root, &p);
    json_decref(root);
    if (rc) return rc;
    *out = p;
    return WS_OK;
}

/* ---------------------------------------------------------- serialising */

/* The shortest of %.15g, %.16g, %.17g that reads back as x. */
static int put_num(char *b, size_t n, double x)
{
    char t[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, x);
        if (strtod(t, NULL) == x) break;
    }
    return snprintf(b, n, "%s", t);
}

#define JSON_MAX 4096

char *rx_params_to_json(const rx_params *p)
{
    for (size_t i = 0; i < NFIELDS; i++)   /* NaN or inf has no JSON form: refuse, do not guess */
        for (int k = 0; !fields[i].is_int && k < fields[i].n; k++)
            if (!isfinite(((const double *)(const void *)((const char *)p + fields[i].off))[k])) return NULL;
    char *b = malloc(JSON_MAX);
    if (!b) return NULL;
    size_t at = 0;
#define PUT(...) (at += (size_t)snprintf(b + at, at < JSON_MAX ? JSON_MAX - at : 0, __VA_ARGS__))
    PUT("{\"version\":%d", p->version);
    int open = -1; /* group whose object is open */
    for (size_t i = 0; i < NFIELDS; i++) {
        const pfield *f = &fields[i];
        if (f->group != open) {
            bool was_factor = open >= G_STATIC && open <= G_NIGHT;
            bool is_factor = f->group >= G_STATIC && f->group <= G_NIGHT;
            if (open >= 0) PUT("}");
            if (was_factor && !is_factor) PUT("}");
            PUT(",");
            if (is_factor && !was_factor) PUT("\"factors\":{");
            const char *g = groups[f->group];
            PUT("\"%s\":{", is_factor ? g + 8 : g);
            open = f->group;
        } else {
            PUT(",");
        }
        PUT("\"%s\":", f->key);
        const char *base = (const char *)p + f->off;
        if (f->is_int) {
            PUT("%d", *(const int *)(const void *)base);
        } else if (f->n > 1) {
            PUT("[");
            for (int k = 0; k < f->n; k++) {
                if (k) PUT(",");
                if (at < JSON_MAX) at += (size_t)put_num(b + at, JSON_MAX - at, ((const double *)(const void *)base)[k]);
            }
            PUT("]");
        } else if (at < JSON_MAX) {
            at += (size_t)put_num(b + at, JSON_MAX - at, *(const double *)(const void *)base);
        }
    }
    PUT("}}");
#undef PUT
    if (at >= JSON_MAX) { /* cannot happen with the fixed table; refuse rather than truncate */
        free(b);
        return NULL;
    }
    return b;
}

/* ------------------------------------------------------------- compute */

int rx_colour_of(const rx_params *p, double index)
{
    return index >= p->cut_red ? RX_RED : index >= p->cut_orange ? RX_ORANGE
         : index >= p->cut_yellow ? RX_YELLOW : RX_BLUE;
}

int rx_colour_held(const rx_params *p, double index, int prev)
{
    int c = rx_colour_of(p, index);
    if (prev <= c || prev > RX_RED) return c;
    double cut = prev == RX_RED ? p->cut_red : prev == RX_ORANGE ? p->cut_orange : p->cut_yellow;
    return prev == c + 1 && index >= cut - p->hysteresis ? prev : c;
}

/* ((x − from) / (1 − from))^power above from, else 0: 0 at from, 1 at 1. */
static double ramp(double x, double from, double power)
{
    if (!(x > from)) return 0;
    return pow((x - from) / (1.0 - from), power);
}

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

static double permit_points(const rx_weights *w, const rx_permit *pm)
{
    switch (pm->type) {
    case RX_HOT_WORK: {  /* an unknown grade counts as 特级, the most hazardous */
        int g = pm->grade >= 1 && pm->grade <= 3 ? pm->grade : 1;
        return w->pm.hot_work[g - 1];
    }
    case RX_CONFINED: return w->pm.confined_space;
    case RX_BLIND_PLATE: return w->pm.blind_plate;
    case RX_HEIGHT: {    /* an unknown grade counts as IV, the highest */
        int g = pm->grade >= 1 && pm->grade <= 4 ? pm->grade : 4;
        return w->pm.work_at_height[g - 1];
    }
    case RX_LIFTING: return w->pm.lifting;
    case RX_TEMP_POWER: return w->pm.temporary_power;
    case RX_EXCAVATION: return w->pm.excavation;
    case RX_ROAD_CLOSURE: return w->pm.road_closure;
    default: return 0;
    }
}

/* Append to a detail line, bounded (truncated when full). */
static void cat(char *d, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *d, size_t n, const char *fmt, ...)
{
    size_t at = strlen(d);
    if (at + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d + at, n - at, fmt, ap);
    va_end(ap);
}

/* The points of in that are read: at most RX_MAX_POINTS, none without an array. */
static int npoints_of(const rx_inputs *in)
{
    if (!in->points || in->npoints < 0) return 0;
    return in->npoints > RX_MAX_POINTS ? RX_MAX_POINTS : in->npoints;
}

/* A point the projection carries on up: a climb and a ratio to add it to. */
static bool climbing(const rx_point *q) { return q->climb > 0 && isfinite(q->climb) && isfinite(q->ratio); }

/* The most limits any of the first np points is past (0..2), and *at which
 * one (the first with that many); *at = -1 when none is. */
static int worst_past(const rx_inputs *in, int np, int *at)
{
    int k = 0;
    *at = -1;
    for (int i = 0; i < np; i++) {
        int x = in->points[i].past < 0 ? 0 : in->points[i].past > 2 ? 2 : in->points[i].past;
        if (x > k) k = x, *at = i;
    }
    return k;
}

/* The raw (uncapped) points of one factor and its detail line. */
static double factor_raw(const rx_params *p, const rx_inputs *in, rx_factor f, char *d, size_t dn)
{
    const rx_weights *w = &p->w;
    d[0] = 0;
    int np = npoints_of(in);
    switch (f) {
    case RX_STATIC: {
        int r = in->static_rank < 0 ? 0 : in->static_rank > 4 ? 4 : in->static_rank;
        snprintf(d, dn, "static risk level %d (%s)", r, colour_names[r]);
        return w->st.rank[r];
    }
    case RX_READINGS: {
        int i1 = -1, i2 = -1;
        double r1 = 0, r2 = 0;
        for (int i = 0; i < np; i++) {
            double r = in->points[i].ratio;
            if (isnan(r)) continue;
            r = clampd(r, 0, 10);
            if (i1 < 0 || r > r1) {
                i2 = i1, r2 = r1;
                i1 = i, r1 = r;
            } else if (i2 < 0 || r > r2) {
                i2 = i, r2 = r;
            }
        }
        int ip, k = worst_past(in, np, &ip);
        if (i1 < 0 && !k) return 0;
        double g1 = i1 >= 0 ? w->rd.at_limit * ramp(r1, w->rd.from, w->rd.power) : 0;
        double g2 = i2 >= 0 ? w->rd.second * w->rd.at_limit * ramp(r2, w->rd.from, w->rd.power) : 0;
        /* the floor (compute_scaled) is named with its point: right after
         * it when it is the worst by ratio, else by its tag at the end */
        const char *which = k == 2 ? "second" : "first";
        if (i1 >= 0) snprintf(d, dn, "%.31s at %.2f of its limit", in->points[i1].tag, r1);
        if (k && ip == i1) cat(d, dn, ", past its %s limit", which);
        if (g2 > 0) cat(d, dn, ", %.31s at %.2f", in->points[i2].tag, r2);
        if (k && ip != i1) cat(d, dn, "%s%.31s past its %s limit", d[0] ? ", " : "", in->points[ip].tag, which);
        return g1 + g2;
    }
    case RX_ANOMALY: {
        int i1 = -1;
        double s1 = 0;
        for (int i = 0; i < np; i++) {
            double s = in->points[i].score;
            if (isnan(s)) continue;
            s = clampd(s, 0, 1);
            if (i1 < 0 || s > s1) i1 = i, s1 = s;
        }
        if (i1 < 0) return 0;
        snprintf(d, dn, in->points[i1].monitor ? "%.31s process monitor score %.2f" : "%.31s anomaly score %.2f",
                 in->points[i1].tag, s1);
        return w->an.at_one * ramp(s1, w->an.from, w->an.power);
    }
    case RX_HAZARDS: {
        int ng = in->hazards_general > 0 ? in->hazards_general : 0;
        int nm = in->hazards_major > 0 ? in->hazards_major : 0;
        double od = in->hazard_overdue_days > 0 && isfinite(in->hazard_overdue_days) ? in->hazard_overdue_days : 0;
        snprintf(d, dn, "%d major, %d general hidden dangers", nm, ng);
        if (od > 0) cat(d, dn, ", %.1f days overdue", od);
        return w->hz.general * ng + w->hz.major * nm + w->hz.per_overdue_day * od;
    }
    case RX_PERMITS: {
        int n = in->npermits < 0 || !in->permits ? 0 : in->npermits > RX_MAX_PERMITS ? RX_MAX_PERMITS : in->npermits;
        /* list the permits largest first: pick the next largest each round */
        double sum = 0;
        bool used[RX_MAX_PERMITS] = {false};
        int listed = 0, weighted = 0;
        for (int i = 0; i < n; i++) {
            double x = permit_points(w, &in->permits[i]);
            if (x > 0) sum += x, weighted++;
        }
        for (int round = 0; round < n; round++) {
            int best = -1;
            double bx = 0;
            for (int i = 0; i < n; i++) {
                double x = permit_points(w, &in->permits[i]);
                if (!used[i] && x > 0 && (best < 0 || x > bx)) best = i, bx = x;
            }
            if (best < 0) break;
            used[best] = true;
            char one[48];
            const rx_permit *pm = &in->permits[best];
            const char *name = (int)pm->type >= 0 && pm->type < RX_NPERMIT_TYPES ? permit_names[pm->type] : "permit";
            if (pm->type == RX_HOT_WORK || pm->type == RX_HEIGHT)
                snprintf(one, sizeof one, "%s grade %d", name, pm->grade);
            else
                snprintf(one, sizeof one, "%s", name);
            if (strlen(d) + strlen(one) + 16 >= dn) break;
            cat(d, dn, "%s%s", listed ? ", " : "", one);
            listed++;
        }
        if (weighted > listed) cat(d, dn, " (+%d more)", weighted - listed);
        return sum;
    }
    case RX_WEATHER: {
        const rx_weather *x = &in->weather;
        if (!x->known) return 0;
        double sum = 0;
        if (isfinite(x->wind_ms) && x->wind_ms >= w->wx.wind_from) {
            sum += w->wx.wind + w->wx.wind_per_ms * (x->wind_ms - w->wx.wind_from);
            cat(d, dn, "%swind %.1f m/s", *d ? ", " : "", x->wind_ms);
        }
        if (isfinite(x->rain_mmh) && x->rain_mmh >= w->wx.rain_from) {
            sum += w->wx.rain + w->wx.rain_per_mmh * (x->rain_mmh - w->wx.rain_from);
            cat(d, dn, "%srain %.1f mm/h", *d ? ", " : "", x->rain_mmh);
        }
        if (isfinite(x->temp_c) && x->temp_c >= w->wx.heat_from) {
            sum += w->wx.heat;
            cat(d, dn, "%sheat %.1f C", *d ? ", " : "", x->temp_c);
        }
        if (isfinite(x->temp_c) && x->temp_c <= w->wx.cold_from) {
            sum += w->wx.cold;
            cat(d, dn, "%scold %.1f C", *d ? ", " : "", x->temp_c);
        }
        if (x->lightning >= 1 && x->lightning <= 4) {
            sum += w->wx.lightning[x->lightning - 1];
            cat(d, dn, "%slightning warning %s", *d ? ", " : "", colour_names[x->lightning]);
        }
        return sum;
    }
    case RX_NIGHT:
        if (!in->night) return 0;
        snprintf(d, dn, "night shift");
        return w->nt.points;
    default:
        return 0;
    }
}

/* rx_compute with each factor's capped contribution multiplied by scale[f]
 * (the projection decays readings and anomaly this way). */
static void compute_scaled(const rx_params *p, const rx_inputs *in, const double *scale, rx_result *out)
{
    memset(out, 0, sizeof *out);
    double sum = 0;
    for (int f = 0; f < RX_NFACTORS; f++) {
        char d[sizeof out->contrib[0].detail];
        double x = factor_raw(p, in, (rx_factor)f, d, sizeof d);
        if (!(x > 0)) continue;                               /* also NaN */
        if (x > p->w.cap[f]) x = p->w.cap[f];
        if (scale) x *= scale[f];
        if (!(x > 0)) continue;
        rx_contrib *c = &out->contrib[out->ncontrib++];
        c->factor = (rx_factor)f;
        c->points = x;
        memcpy(c->detail, d, sizeof d);
        sum += x;
    }
    /* A reading past an alarm limit holds the index at that limit's floor
     * (by default: past H or L orange, past HH or LL red), whatever the other
     * factors add up to; the readings contribution takes up the difference,
     * so the factors still sum to the index and the explanation names the
     * point. In the projection the floor decays with the readings. */
    int ip, k = worst_past(in, npoints_of(in), &ip);
    double fl = k ? p->w.rd.floor[k - 1] * (scale ? scale[RX_READINGS] : 1) : 0;
    if (fl > sum) {
        rx_contrib *c = NULL;
        for (int i = 0; i < out->ncontrib; i++)
            if (out->contrib[i].factor == RX_READINGS) c = &out->contrib[i];
        if (!c) { /* past a limit with its ratio under the ramp: the floor alone */
            c = &out->contrib[out->ncontrib++];
            *c = (rx_contrib){.factor = RX_READINGS};
            factor_raw(p, in, RX_READINGS, c->detail, sizeof c->detail);
        }
        c->points += fl - sum;
        sum = fl;
    }
    /* largest first; ties keep the factor order (insertion sort is stable) */
    for (int i = 1; i < out->ncontrib; i++) {
        rx_contrib t = out->contrib[i];
        int j = i;
        for (; j > 0 && out->contrib[j - 1].points < t.points; j--) out->contrib[j] = out->contrib[j - 1];
        out->contrib[j] = t;
    }
    out->index = clampd(sum, 0, 100);
    out->colour = rx_colour_of(p, out->index);
}

void rx_compute(const rx_params *p, const rx_inputs *in, rx_result *out)
{
    compute_scaled(p, in, NULL, out);
}

/* ------------------------------------------------------------- profile */

void rx_profile_init(rx_profile *pr) { memset(pr, 0, sizeof *pr); }

static int wrap_how(int how) { return ((how % RX_WEEK_H) + RX_WEEK_H) % RX_WEEK_H; }

void rx_profile_learn(rx_profile *pr, int how, double index)
{
    if (!isfinite(index)) return;
    int h = wrap_how(how);
    if (pr->n[h] < UINT32_MAX) pr->n[h]++;
    double a = 1.0 / (double)pr->n[h];
    if (a < RX_PROFILE_ALPHA) a = RX_PROFILE_ALPHA;
    double d = index - pr->mean[h];
    pr->mean[h] += a * d;
    pr->var[h] = (1 - a) * (pr->var[h] + a * d * d);
}

/* ---------------------------------------------------------- projection */

void rx_project(const rx_params *p, const rx_profile *pr, const rx_inputs *now, const rx_result *cur,
                int how_now, const double *recent, int nrecent, const rx_schedule *sched,
                rx_projection *out)
{
    memset(out, 0, sizeof *out);
    rx_result cur_local;
    if (!cur) {
        rx_compute(p, now, &cur_local);
        cur = &cur_local;
    }
    int H = p->horizon_h < 1 ? 1 : p->horizon_h > RX_MAX_HORIZON ? RX_MAX_HORIZON : p->horizon_h;
    out->nhours = H;
    int min_n = p->pj.min_n < 1 ? 1 : p->pj.min_n;
#define HAS(h) (pr && pr->n[h] >= (uint32_t)min_n)

    /* 1. the unusual-day test over the last unusual_window_h hours:
     * d_i = recent_i − mean(how_i) over the hours with profile data */
    int W = p->unusual_window_h < 1 ? 1 : p->unusual_window_h;
    if (!recent || nrecent < 0) nrecent = 0;
    if (nrecent > W) {
        recent += nrecent - W;
        nrecent = W;
    }
    double sdev = 0, svar = 0;
    int m = 0;
    for (int i = 0; i < nrecent; i++) {
        int h = wrap_how(how_now - (nrecent - 1 - i));
        if (!HAS(h) || !isfinite(recent[i])) continue;
        sdev += recent[i] - pr->mean[h], svar += pr->var[h];
        m++;
    }
    double sigma = 0;
    if (m > 0) {
        out->deviation = sdev / m;
        sigma = sqrt(svar / m);
        if (sigma < p->pj.sigma_min) sigma = p->pj.sigma_min;
        /* at least half the window must have profile data to call a day unusual */
        out->unusual = 2 * m >= nrecent && fabs(out->deviation) > p->k_sigma * sigma;
    }
    /* the trend: the smallest of the last three hourly rises of d when all
     * three are rises (a ramp), else 0 — a step (a hazard found) or noise
     * gives no trend, a steady climb (a reading heading for its limit) its
     * slowest recent slope. Needs the last four hours, with profile data. */
    double slope = 0;
    if (nrecent >= 4) {
        slope = INFINITY;
        for (int i = nrecent - 3; i < nrecent && slope > 0; i++) {
            int h0 = wrap_how(how_now - (nrecent - i)), h1 = wrap_how(how_now - (nrecent - 1 - i));
            if (!HAS(h0) || !HAS(h1) || !isfinite(recent[i - 1]) || !isfinite(recent[i])) {
                slope = 0;
                break;
            }
            double rise = (recent[i] - pr->mean[h1]) - (recent[i - 1] - pr->mean[h0]);
            if (rise < slope) slope = rise;
        }
        if (!(slope > 0)) slope = 0;
    }
    /* a climb of more than k·σ over the last three hours is unusual too,
     * before the window's mean has caught up with it */
    if (m > 0 && slope > 0 && 3 * slope > p->k_sigma * sigma) out->unusual = true;
    int hn = wrap_how(how_now);
    double dev_now = HAS(hn) ? cur->index - pr->mean[hn] : out->deviation;

    /* 2. each hour ahead: the model on the projected inputs, then the profile */
    rx_inputs in = *now;
    double scale[RX_NFACTORS];
    for (int f = 0; f < RX_NFACTORS; f++) scale[f] = 1;
    /* A point whose ratio has been climbing is carried on up, climb·h
     * (times the climb weight), and may pass its first limit (the floor);
     * while one climbs the readings do not fade. */
    int np = npoints_of(now);
    bool climbs = false;
    for (int i = 0; i < np && p->pj.climb > 0; i++) climbs |= climbing(&now->points[i]);
    rx_point ahead[RX_MAX_POINTS];
    if (climbs) memcpy(ahead, now->points, (size_t)np * sizeof *ahead), in.points = ahead;
    for (int h = 1; h <= H; h++) {
        double decay = pow(0.5, h / p->pj.half_life_h);
        scale[RX_READINGS] = scale[RX_ANOMALY] = decay;
        if (climbs) {
            scale[RX_READINGS] = 1;
            for (int i = 0; i < np; i++) {
                const rx_point *q = &now->points[i];
                if (!climbing(q)) continue;
                ahead[i].ratio = q->ratio + p->pj.climb * q->climb * h;
                if (ahead[i].ratio >= 1 && ahead[i].past < 1) ahead[i].past = 1;
            }
        }
        if (sched && h <= sched->nhours && h <= RX_MAX_HORIZON) {
            int n = sched->npermits[h - 1];
            in.npermits = n < 0 ? 0 : n > RX_MAX_PERMITS ? RX_MAX_PERMITS : n;
            in.permits = sched->permits[h - 1];
            in.night = sched->night[h - 1];
            in.weather = sched->forecast[h - 1] ? sched->weather[h - 1] : now->weather;
        } else {
            in.npermits = now->npermits, in.permits = now->permits, in.night = now->night;
            in.weather = now->weather;
        }
        rx_result r;
        compute_scaled(p, &in, scale, &r);
        for (int i = 0; i < r.ncontrib; i++) out->factor_pts[h - 1][r.contrib[i].factor] = r.contrib[i].points;
        double x = r.index;                                         /* M_h (δ_h = decay) */
        int hh = wrap_how(how_now + h);
        out->profile_mean[h - 1] = HAS(hh) ? pr->mean[hh] : NAN;
        if (HAS(hh)) {
            double q;                                               /* Q_h */
            if (out->unusual)
                q = pr->mean[hh] + dev_now + p->pj.trend * slope * h;
            else
                q = pr->mean[hh] - p->pj.blend_sigma * sqrt(pr->var[hh]) + dev_now * decay;
            double beta = out->unusual ? 1.0 : p->pj.blend;
            if (q > x) x += beta * (q - x);
        }
        x = clampd(x, 0, 100);
        out->index[h - 1] = x;
        out->profile_pts[h - 1] = x > r.index ? x - r.index : 0;
        out->colour[h - 1] = rx_colour_of(p, x);
        if (!out->warn_in_h && out->colour[h - 1] > cur->colour) {
            out->warn_in_h = h;
            out->warn_colour = out->colour[h - 1];
            out->warn_model = r;
        }
    }
#undef HAS
}
