/* plantgen.c — the generated plant of plantgen.h. Two sources of chance:
 * a sequential splitmix64 stream drawn only in pg_plant_init (point
 * parameters, event placement and sizes), and a hash of (seed, point,
 * minute) for the measurement noise, so a reading is a pure function of
 * (plant, point, minute). The true process value is
 *     base(m) = mean + amp sin(2π m/1440 + phase) + amp2 sin(2π m/period2 + phase2)
 * bent by an excursion's or a flapping episode's shape (max toward the
 * limit); the reading is quantise(clamp(truth + noise)) with the sensor
 * faults applied on top. The limit is never reached by base(m) (limits are
 * set beyond the cycle's peak), so "truth beyond the limit" holds exactly on
 * an excursion's label. */
#include "plantgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MIN 1440
#define GAP_MIN 60 /* quiet minutes between two events of one point */

/* ------------------------------------------------------------ randomness */

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static double u01_of(uint64_t h) { return ((double)(h >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

typedef struct { uint64_t s; } rng;

static double uni(rng *r, double a, double b)
{
    r->s += 0x9E3779B97F4A7C15ull;
    return a + (b - a) * u01_of(mix64(r->s));
}

static double loguni(rng *r, double a, double b) { return exp(uni(r, log(a), log(b))); }

static int poisson(rng *r, double lambda)
{
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    do { k++; p *= uni(r, 0, 1); } while (p > l && k < 1000);
    return k - 1;
}

/* Standard normal noise of (point, minute): Box–Muller on two hashes. */
static double noise(uint64_t seed, int p, int32_t m)
{
    uint64_t h1 = mix64(seed ^ ((uint64_t)(uint32_t)p << 32) ^ (uint64_t)(uint32_t)m);
    uint64_t h2 = mix64(h1 ^ 0x5851F42D4C957F2Dull);
    return sqrt(-2.0 * log(u01_of(h1))) * cos(2.0 * M_PI * u01_of(h2));
}

/* ------------------------------------------------------------------ kinds */

static const char *const KIND_NAMES[PG_NKINDS] = {"combustible", "toxic", "oxygen", "temperature",
                                                  "pressure", "level", "flow"};
static const char *const TYPE_NAMES[PG_NTYPES] = {"excursion", "flapping", "stuck",
                                                  "drift", "spike", "dropout"};

const char *pg_kind_name(int kind) { return kind >= 0 && kind < PG_NKINDS ? KIND_NAMES[kind] : "?"; }
const char *pg_type_name(int type) { return type >= 0 && type < PG_NTYPES ? TYPE_NAMES[type] : "?"; }

/* Share of the points per kind, in points per hundred (interleaved, so each
 * operator's block of points has the same mix). */
static const int KIND_SHARE[PG_NKINDS] = {25, 15, 10, 15, 12, 12, 11};

static int kind_of(int i)
{
    int k = i % 100, acc = 0;
    for (int j = 0; j < PG_NKINDS; j++) {
        acc += KIND_SHARE[j];
        if (k < acc) return j;
    }
    return PG_FLOW;
}

/* Process limits beyond the cycle's peak: H = peak + (10..25) σ, HH half as
 * far again above H (capped under the instrument's top). */
static void process_limits(pg_point *pt, rng *r)
{
    double peak = pt->mean + pt->amp + pt->amp2;
    pt->h = peak + uni(r, 10, 25) * pt->sigma;
    pt->hh = pt->h + 0.5 * (pt->h - pt->mean);
    pt->l = NAN;
    pt->lo = 0;
    pt->hi = 1.5 * pt->hh;
}

static void point_params(pg_point *pt, int i, rng *r)
{
    memset(pt, 0, sizeof *pt);
    pt->id = i + 1;
    pt->kind = (uint8_t)kind_of(i);
    pt->dir = +1;
    pt->phase = uni(r, 0, 2 * M_PI);
    pt->period2 = uni(r, 120, 540);
    switch (pt->kind) {
    case PG_COMBUSTIBLE: /* %LEL; GB/T 50493: H 25 (一级), HH 50 (二级) */
        pt->mean = uni(r, 0.5, 3.0); pt->amp = uni(r, 0.1, 0.5); pt->amp2 = uni(r, 0, 0.3);
        pt->sigma = uni(r, 0.25, 0.5); pt->res = 0.1; pt->lo = 0; pt->hi = 100;
        pt->h = 25; pt->hh = 50; pt->l = NAN;
        break;
    case PG_TOXIC: /* H2S ppm against an OEL of 10: H 100 %, HH 200 % */
        pt->mean = uni(r, 0.8, 2.0); pt->amp = uni(r, 0.05, 0.3); pt->amp2 = uni(r, 0, 0.2);
        pt->sigma = uni(r, 0.15, 0.3); pt->res = 0.1; pt->lo = 0; pt->hi = 100;
        pt->h = 10; pt->hh = 20; pt->l = NAN;
        break;
    case PG_OXYGEN: /* %VOL: L 19.5 (deficiency), H 23.5 (enrichment) */
        pt->mean = uni(r, 20.8, 21.0); pt->amp = uni(r, 0.03, 0.1); pt->amp2 = uni(r, 0, 0.05);
        pt->sigma = uni(r, 0.03, 0.06); pt->res = 0.01; pt->lo = 0; pt->hi = 30;
        pt->l = 19.5; pt->h = 23.5; pt->hh = NAN; pt->dir = -1;
        break;
    case PG_TEMPERATURE: /* °C */
        pt->mean = uni(r, 40, 180); pt->amp = uni(r, 1, 5); pt->amp2 = uni(r, 0, 2);
        pt->sigma = uni(r, 0.2, 0.8); pt->res = 0.1;
        process_limits(pt, r);
        break;
    case PG_PRESSURE: /* MPa */
        pt->mean = uni(r, 0.3, 4.0); pt->amp = pt->mean * uni(r, 0.01, 0.04);
        pt->amp2 = pt->mean * uni(r, 0, 0.02); pt->sigma = pt->mean * uni(r, 0.003, 0.01);
        pt->res = 0.001;
        process_limits(pt, r);
        break;
    case PG_LEVEL: /* % of the vessel */
        pt->mean = uni(r, 30, 50); pt->amp = uni(r, 2, 6); pt->amp2 = uni(r, 0, 3);
        pt->sigma = uni(r, 0.3, 0.8); pt->res = 0.1;
        process_limits(pt, r);
        pt->hi = 100;
        if (pt->hh > 98) pt->hh = 98;
        break;
    default: /* flow, m³/h */
        pt->mean = uni(r, 20, 500); pt->amp = pt->mean * uni(r, 0.03, 0.08);
        pt->amp2 = pt->mean * uni(r, 0, 0.04); pt->sigma = pt->mean * uni(r, 0.01, 0.02);
        pt->res = 0.1;
        process_limits(pt, r);
        break;
    }
    pt->limit = pt->dir > 0 ? pt->h : pt->l;
}

/* ------------------------------------------------------------ the signal */

static double base_at(const pg_point *pt, int32_t m)
{
    double x = (double)m;
    return pt->mean + pt->amp * sin(2 * M_PI * x / DAY_MIN + pt->phase) +
           pt->amp2 * sin(2 * M_PI * x / pt->period2 + 1.7 * pt->phase);
}

/* Distance from the limit to the far side of the normal band. */
static double far_gap(const pg_point *pt) { return fabs(pt->limit - pt->mean) + pt->amp + pt->amp2; }

/* The shape of an excursion or flapping episode at m, as a signed distance
 * toward the limit direction from the limit (> 0: beyond the limit). */
static double shape_at(const pg_point *pt, const pg_event *e, int32_t m)
{
    double g = far_gap(pt);
    double top = e->type == PG_EXCURSION ? fabs(e->level - pt->limit) : -fabs(pt->limit - e->level);
    double v0 = e->type == PG_FLAPPING ? top : 0.0; /* the value at the held part's edge */
    if (m < e->start) return v0 - (v0 + g) * (double)(e->start - m) / e->ramp;
    if (m >= e->end) return v0 - (v0 + g) * (double)(m - e->end + 1) / e->ramp;
    if (e->type == PG_FLAPPING) return top;
    if (m < e->start + e->rise) return top * (double)(m - e->start + 1) / (e->rise + 1);
    if (m >= e->end - e->fall) return top * (double)(e->end - m) / (e->fall + 1);
    return top;
}

static double truth_with(const pg_point *pt, const pg_event *e, int32_t m)
{
    double b = base_at(pt, m);
    if (!e || (e->type != PG_EXCURSION && e->type != PG_FLAPPING)) return b;
    double s = pt->limit + pt->dir * shape_at(pt, e, m);
    return pt->dir > 0 ? (s > b ? s : b) : (s < b ? s : b);
}

static const pg_event *covering(const pg_point *pt, int32_t m)
{
    for (int i = 0; i < pt->nev; i++)
        if (pt->ev[i].x0 <= m && m < pt->ev[i].x1) return &pt->ev[i];
    return NULL;
}

double pg_truth(const pg_point *pt, int32_t m) { return truth_with(pt, covering(pt, m), m); }

static double measure(const pg_plant *pl, const pg_point *pt, int p, double truth, int32_t m)
{
    double v = truth + pt->sigma * noise(pl->cfg.seed, p, m);
    if (v < pt->lo) v = pt->lo;
    if (v > pt->hi) v = pt->hi;
    return floor(v / pt->res + 0.5) * pt->res;
}

bool pg_reading(pg_plant *pl, int p, int32_t m, double *value, double *truth, const pg_event **evp)
{
    pg_point *pt = &pl->pts[p];
    if (pt->cur > 0 && m < pt->ev[pt->cur - 1].x1) pt->cur = 0; /* went back in time */
    while (pt->cur < pt->nev && pt->ev[pt->cur].x1 <= m) pt->cur++;
    const pg_event *e = pt->cur < pt->nev && pt->ev[pt->cur].x0 <= m ? &pt->ev[pt->cur] : NULL;
    double t = truth_with(pt, e, m);
    if (truth) *truth = t;
    if (evp) *evp = e;
    if (e && e->type == PG_DROPOUT) return false;
    double v;
    if (e && e->type == PG_STUCK) {
        v = measure(pl, pt, p, truth_with(pt, e, e->start), e->start);
    } else {
        v = measure(pl, pt, p, t, m);
        double off = !e ? 0.0
                     : e->type == PG_DRIFT ? e->amount * (double)(m - e->start + 1) / (e->end - e->start)
                     : e->type == PG_SPIKE ? e->amount : 0.0;
        if (off != 0.0) {
            v += off;
            if (v < pt->lo) v = pt->lo;
            if (v > pt->hi) v = pt->hi;
            v = floor(v / pt->res + 0.5) * pt->res;
        }
    }
    *value = v;
    return true;
}

/* ---------------------------------------------------------------- events */

static bool place(pg_point *pt, pg_event *e)
{
    if (pt->nev >= PG_MAX_EVENTS) return false;
    int i = 0;
    for (; i < pt->nev; i++) {
        const pg_event *o = &pt->ev[i];
        if (e->x0 < o->x1 + GAP_MIN && o->x0 < e->x1 + GAP_MIN) return false;
        if (o->x0 > e->x0) break;
    }
    for (int j = i; j < pt->nev; j++) {
        const pg_event *o = &pt->ev[j];
        if (e->x0 < o->x1 + GAP_MIN && o->x0 < e->x1 + GAP_MIN) return false;
    }
    memmove(&pt->ev[i + 1], &pt->ev[i], (size_t)(pt->nev - i) * sizeof *e);
    pt->ev[i] = *e;
    pt->nev++;
    return true;
}

/* Draw one event of the type and try to place it (50 tries). */
static void add_event(const pg_plant *pl, pg_point *pt, int type, rng *r)
{
    const pg_config *c = &pl->cfg;
    int32_t first = (int32_t)(c->quiet_days * DAY_MIN), last = pl->minutes;
    double gap = fabs(pt->limit - pt->mean);
    for (int tries = 0; tries < 50; tries++) {
        pg_event e;
        memset(&e, 0, sizeof e);
        e.type = (uint8_t)type;
        int32_t len = 1, pre = 0, post = 0;
        switch (type) {
        case PG_EXCURSION: {
            len = (int32_t)loguni(r, c->min_excursion_min, c->max_excursion_min);
            if (len < 1) len = 1;
            e.rise = (int32_t)(uni(r, 0, 0.3) * len);
            e.fall = (int32_t)(uni(r, 0, 0.3) * len);
            if (e.rise + e.fall > len - 1) e.fall = len - 1 - e.rise;
            if (e.fall < 0) e.fall = 0;
            e.ramp = (int32_t)uni(r, 5, 30);
            double over = uni(r, 0.05, 1.3) * gap;
            if (over < 4 * pt->sigma) over = 4 * pt->sigma;
            e.level = pt->limit + pt->dir * over;
            if (e.level > pt->hi - pt->res) e.level = pt->hi - pt->res;
            if (e.level < pt->lo + pt->res) e.level = pt->lo + pt->res;
            pre = post = e.ramp;
            break;
        }
        case PG_FLAPPING:
            len = (int32_t)uni(r, 60, 720);
            e.ramp = (int32_t)uni(r, 20, 60);
            e.level = pt->limit - pt->dir * uni(r, 1.0, 2.5) * pt->sigma;
            pre = post = e.ramp;
            break;
        case PG_STUCK: len = (int32_t)loguni(r, 60, 3 * DAY_MIN); break;
        case PG_DRIFT:
            len = (int32_t)uni(r, 1 * DAY_MIN, 7 * DAY_MIN);
            e.amount = (uni(r, 0, 1) < 0.7 ? pt->dir : -pt->dir) * uni(r, 0.5, 1.5) * gap;
            break;
        case PG_SPIKE:
            len = 1;
            e.amount = (uni(r, 0, 1) < 0.7 ? pt->dir : -pt->dir) * uni(r, 6 * pt->sigma, 1.5 * gap);
            break;
        default: len = (int32_t)loguni(r, 10, 480); break; /* dropout */
        }
        if (last - post - len - GAP_MIN <= first + pre) return;
        e.start = (int32_t)uni(r, first + pre, last - post - len - GAP_MIN);
        e.end = e.start + len;
        e.x0 = e.start - pre;
        e.x1 = e.end + post;
        if (place(pt, &e)) return;
    }
}

pg_config pg_config_default(void)
{
    pg_config c;
    memset(&c, 0, sizeof c);
    c.npoints = 2000;
    c.days = 30;
    c.seed = 20261129;
    c.quiet_days = 2;
    c.rate[PG_EXCURSION] = 0.10;
    c.rate[PG_FLAPPING] = 0.10;
    c.rate[PG_STUCK] = 0.03;
    c.rate[PG_DRIFT] = 0.03;
    c.rate[PG_SPIKE] = 3.0;
    c.rate[PG_DROPOUT] = 0.03;
    c.min_excursion_min = 5;
    c.max_excursion_min = 480;
    return c;
}

int pg_plant_init(pg_plant *pl, const pg_config *cfg)
{
    memset(pl, 0, sizeof *pl);
    if (cfg->npoints < 1 || cfg->days < 1 || cfg->quiet_days < 0 || cfg->quiet_days >= cfg->days ||
        cfg->min_excursion_min < 1 || cfg->max_excursion_min < cfg->min_excursion_min)
        return -1;
    pl->cfg = *cfg;
    pl->npoints = cfg->npoints;
    pl->minutes = (int32_t)cfg->days * DAY_MIN;
    pl->pts = calloc((size_t)cfg->npoints, sizeof *pl->pts);
    if (!pl->pts) return -1;
    rng r = {cfg->seed * 0x2545F4914F6CDD1Dull + 1};
    double scale = cfg->days / 30.0;
    for (int i = 0; i < cfg->npoints; i++) {
        pg_point *pt = &pl->pts[i];
        point_params(pt, i, &r);
        /* Long events first, so the many spikes fill the gaps left. */
        static const int order[PG_NTYPES] = {PG_EXCURSION, PG_FLAPPING, PG_DRIFT, PG_STUCK,
                                             PG_DROPOUT, PG_SPIKE};
        for (int k = 0; k < PG_NTYPES; k++) {
            int n = poisson(&r, cfg->rate[order[k]] * scale);
            for (int j = 0; j < n; j++) add_event(pl, pt, order[k], &r);
        }
    }
    return 0;
}

void pg_plant_free(pg_plant *pl)
{
    free(pl->pts);
    pl->pts = NULL;
}
