/* rule.c — the rule engine of rule.h: per-(rule, point) states for rate of
 * change, stale and flatline, per-device offline aggregates, count-in-window
 * counters and composite rules over point conditions and area facts.
 *
 * Memory: every table is allocated once in rule_engine_init (points, their
 * (rule, point) slots, devices, counters, facts) and never grows; a point's
 * slots are a contiguous run of the slot pool given at its first sight
 * (append-only: points are not forgotten; rebuild the engine after a change
 * of the register or the rule set). Point and device ids are found through
 * open-addressed index arrays (linear probing, load <= 1/2).
 *
 * Decisions (docs/internals/alarm.md "Rules"):
 *  - roc: a ring of RULE_ROC_RING samples taken at least window/(RING-2)
 *    apart; the rate is (v_now - v_s)/(t_now - t_s) against the oldest kept
 *    sample s inside the window, judged only when that span is at least half
 *    the window (so one noisy pair of readings 1 ms apart cannot raise it).
 *    Raise at |rate| >= limit, clear below.
 *  - flatline, restart-on-change: an anchor time t0 and the band [lo, hi] of
 *    the readings since t0; a reading that widens the band to epsilon or more
 *    restarts the anchor at itself (and clears); the rule raises at the first
 *    reading with t - t0 >= window while the band stays below epsilon (a band
 *    of exactly 0 always counts as flat, so epsilon 0 means "identical").
 *    O(1) per reading and 32 bytes a slot; unlike a true sliding min/max it
 *    may raise up to one window later after a last small move — accepted for
 *    a 6-hour stuck-sensor rule.
 *  - stale: judged by rule_on_tick only; at_ms = last sign of life +
 *    max_gap. A reading clears it when it is fresh (t > latest tick −
 *    max_gap); an old back-filled reading updates nothing of that.
 *  - composite: a point condition is true while at least one matching point's
 *    last GOOD/UNCERTAIN reading satisfies it (a per-point bit and a count of
 *    true points per condition); the rule raises at since + on_delay when it
 *    stayed true, judged at readings, contexts and ticks; clears when false.
 *  - count: per (rule, key, source) the times of the last occurrences within
 *    the window; the N-th emits the action (and, with "alarm": true, a raise
 *    and an immediate clear: a one-shot alarm to acknowledge and close) and
 *    starts counting again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"
#include "core/bigmem.h"
#include "anomaly/detector.h"

#define NONE INT64_MIN
#define Q_GOOD 0
#define Q_UNCERTAIN 1

typedef struct slot {
    int32_t rule;     /* index into the set */
    int32_t det;      /* anomaly: index of its detector state, -1 none */
    double score;     /* anomaly: the latest score */
    int64_t fault_ms; /* anomaly: when the last sensor-fault work order was asked for */
    bool active;      /* raised (stale: the point is stale for this rule) */
    uint8_t rn;       /* roc: samples in the ring */
    uint8_t rh;       /* roc: index of the newest */
    int32_t nflat;    /* flatline: readings since t0 (0 = no anchor) */
    int64_t t0;       /* flatline anchor; stale: raise time */
    double lo, hi;
    int64_t rt[RULE_ROC_RING];
    double rv[RULE_ROC_RING];
} slot;

typedef struct pt {
    int64_t id, unit_id, device_id;
    int64_t last_ms;  /* last evaluated source time */
    int64_t seen_ms;  /* last sign of life (evaluated reading or tracking) */
    bool evaluated;
    int32_t slot0, nslot;
    int32_t dev;      /* device index, -1 none */
    double resolution;
    uint64_t cmask;   /* composite conditions this point belongs to */
    uint64_t ctrue;   /* ... true now */
} pt;

typedef struct dev {
    int64_t id, unit_id;
    int32_t npts[RULE_OFFLINE_MAX];
    int32_t nstale[RULE_OFFLINE_MAX];
    int64_t stale_at[RULE_OFFLINE_MAX]; /* latest point raise time */
    bool active[RULE_OFFLINE_MAX];
} dev;

typedef struct ctr {
    int32_t rule;     /* -1 = free */
    int32_t n;
    int64_t source_id, unit_id;
    char key[RULE_KEY_MAX + 1];
    int64_t t[RULE_COUNT_N_MAX];
} ctr;

typedef struct fact {
    int64_t unit_id;  /* 0 = free */
    bool on;
    int64_t until_ms;
    char name[RULE_FACT_MAX + 1];
} fact;

typedef struct rstate {
    bool active;
    int64_t since;    /* composite: true since (NONE = false) */
} rstate;

/* Everything that changes, in one header plus arrays (export/import). */
typedef struct core {
    uint64_t npts, nslots, ndevs, ndets;
    int64_t now_ms;   /* latest tick */
    rstate rs[RULE_MAX];
    int32_t ntrue[RULE_CONDS_TOTAL];
    int32_t offidx[RULE_MAX]; /* rule → k among offline rules, -1 */
} core;

struct rule_engine {
    rule_set set;
    rule_engine_config cfg;
    core c;
    pt *pts;
    slot *slots;
    dev *devs;
    ctr *ctrs;
    fact *facts;
    det_state *dets;      /* anomaly rules' detector states (NULL when the set has none) */
    det_params dparams;
    int32_t *pidx; size_t pmask; /* index arrays: -1 empty */
    int32_t *didx; size_t dmask;
    int16_t cond_rule[RULE_CONDS_TOTAL];
};

/* -------------------------------------------------------------- utilities */

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

static size_t hash64(int64_t k)
{
    uint64_t x = (uint64_t)k * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(x ^ (x >> 29));
}

/* Index of id in idx (-1 when absent); *slot_out the probe position. */
static int32_t idx_find(const int32_t *idx, size_t mask, int64_t id, const void *arr, size_t stride,
                        size_t *slot_out)
{
    size_t i = hash64(id) & mask;
    for (;;) {
        if (idx[i] < 0) {
            *slot_out = i;
            return -1;
        }
        if (*(const int64_t *)((const char *)arr + (size_t)idx[i] * stride) == id) {
            *slot_out = i;
            return idx[i];
        }
        i = (i + 1) & mask;
    }
}

static bool has_unit(const char *path, int64_t unit)
{
    if (!path) return false;
    char needle[32];
    snprintf(needle, sizeof needle, "/%lld/", (long long)unit);
    return strstr(path, needle) != NULL;
}

static bool sel_match(const rule_select *s, const rule_point *p)
{
    if (s->ntags) {
        bool ok = false;
        for (int i = 0; i < s->ntags && !ok; i++) ok = p->tag && !strcmp(s->tags[i], p->tag);
        if (!ok) return false;
    }
    if (s->nkinds) {
        bool ok = false;
        for (int i = 0; i < s->nkinds && !ok; i++) ok = p->kind && !strcmp(s->kinds[i], p->kind);
        if (!ok) return false;
    }
    if (s->nunits) {
        bool ok = false;
        for (int i = 0; i < s->nunits && !ok; i++)
            ok = p->unit_id == s->units[i] || has_unit(p->unit_path, s->units[i]);
        if (!ok) return false;
    }
    return true;
}

static bool op_true(uint8_t op, double v, double x)
{
    switch (op) {
    case RULE_OP_GE: return v >= x;
    case RULE_OP_GT: return v > x;
    case RULE_OP_LE: return v <= x;
    default: return v < x;
    }
}

static void emit(rule_event *out, int *n, const rule *r, uint8_t kind, int64_t source,
                 int64_t unit, int64_t at, double value)
{
    rule_event *ev = &out[(*n)++];
    memset(ev, 0, sizeof *ev);
    ev->rule_id = r->id;
    ev->source_id = source;
    ev->unit_id = unit;
    ev->level = r->level;
    ev->kind = kind;
    ev->rule_kind = r->kind;
    ev->at_ms = at;
    ev->value = value;
}

/* ------------------------------------------------------------------- init */

ws_err rule_engine_init(const rule_set *set, const rule_engine_config *cfg, rule_engine **out)
{
    *out = NULL;
    rule_engine_config c = cfg ? *cfg : (rule_engine_config){0};
    if (!c.points) c.points = 65536;
    if (!c.slots) c.slots = 4 * c.points;
    if (!c.devices) c.devices = c.points / 4 ? c.points / 4 : 1;
    if (!c.counters) c.counters = 4096;
    if (!c.facts) c.facts = 1024;
    if (!c.detectors) c.detectors = 4096;
    if (c.points > (1u << 30) || c.slots > (1u << 30) || c.devices > (1u << 30) ||
        c.counters > (1u << 24) || c.facts > (1u << 20) || c.detectors > (1u << 20))
        return ws_fail(WS_EINVAL, "capacity", "rule engine capacities too large");
    rule_engine *e = calloc(1, sizeof *e);
    if (!e) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    e->set = *set;
    e->cfg = c;
    size_t pcap = pow2_at_least(2 * c.points), dcap = pow2_at_least(2 * c.devices);
    /* Handed out in order from the front: pages as used (plain data). */
    e->pts = bigmem_sparse(c.points, sizeof *e->pts);
    e->slots = bigmem_sparse(c.slots, sizeof *e->slots);
    e->devs = calloc(c.devices, sizeof *e->devs);
    e->ctrs = calloc(c.counters, sizeof *e->ctrs);
    e->facts = calloc(c.facts, sizeof *e->facts);
    e->pidx = malloc(pcap * sizeof *e->pidx);
    e->didx = malloc(dcap * sizeof *e->didx);
    bool anomaly = false;
    for (int i = 0; i < set->n; i++) anomaly |= set->rules[i].kind == RULE_ANOMALY;
    if (anomaly) e->dets = calloc(c.detectors, sizeof *e->dets);
    /* A hold-time rule needs the score to stay up while the series stays
     * unusual, so NAB's one-alarm-per-event damping (and the damping below
     * the past peak) is off here; the rest is the NAB-chosen default. */
    e->dparams = det_params_default();
    e->dparams.suppress_n = 0;
    e->dparams.suppress_frac = 0;
    e->dparams.peak_pow = 0;
    if (!e->pts || !e->slots || !e->devs || !e->ctrs || !e->facts || !e->pidx || !e->didx || (anomaly && !e->dets)) {
        rule_engine_free(e);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    memset(e->pidx, 0xff, pcap * sizeof *e->pidx);
    memset(e->didx, 0xff, dcap * sizeof *e->didx);
    e->pmask = pcap - 1;
    e->dmask = dcap - 1;
    for (size_t i = 0; i < c.counters; i++) e->ctrs[i].rule = -1;
    int k = 0;
    for (int i = 0; i < set->n; i++) {
        e->c.rs[i].since = NONE;
        e->c.offidx[i] = -1;
        const rule *r = &set->rules[i];
        if (r->kind == RULE_STALE && r->offline) e->c.offidx[i] = k++;
        if (r->kind == RULE_COMPOSITE)
            for (int j = 0; j < r->ncond; j++) e->cond_rule[r->cond0 + j] = (int16_t)i;
        if (r->while_cond) e->cond_rule[r->while_cond - 1] = (int16_t)i;
    }
    e->c.now_ms = NONE;
    *out = e;
    return WS_OK;
}

void rule_engine_free(rule_engine *e)
{
    if (!e) return;
    bigmem_sparse_free(e->pts, e->cfg.points, sizeof *e->pts);
    bigmem_sparse_free(e->slots, e->cfg.slots, sizeof *e->slots);
    free(e->devs);
    free(e->ctrs);
    free(e->facts);
    free(e->dets);
    free(e->pidx);
    free(e->didx);
    free(e);
}

const rule_set *rule_engine_set(const rule_engine *e) { return &e->set; }

bool rule_set_cross_point(const rule_set *s)
{
    for (int i = 0; i < s->n; i++) {
        const rule *r = &s->rules[i];
        if (r->kind != RULE_COMPOSITE || !r->enabled) continue;
        for (int j = 0; j < r->ncond; j++)
            if (!s->conds[r->cond0 + j].is_fact) return true;
    }
    return false;
}

/* Whether rule r has a per-point slot. */
static bool per_point(const rule *r)
{
    return r->enabled && (r->kind == RULE_ROC || r->kind == RULE_STALE || r->kind == RULE_FLATLINE ||
                          r->kind == RULE_ANOMALY);
}

static ws_err dev_get(rule_engine *e, int64_t id, int64_t unit_id, int32_t *out)
{
    size_t pos;
    int32_t i = idx_find(e->didx, e->dmask, id, e->devs, sizeof *e->devs, &pos);
    if (i < 0) {
        if (e->c.ndevs >= e->cfg.devices)
            return ws_fail(WS_ETOOBIG, "rule_devices", "rule engine device table full");
        i = (int32_t)e->c.ndevs++;
        memset(&e->devs[i], 0, sizeof e->devs[i]);
        e->devs[i].id = id;
        e->devs[i].unit_id = unit_id;
        e->didx[pos] = i;
    }
    *out = i;
    return WS_OK;
}

/* The point's index when p->slot is not (yet) it: found, or tracked from t
 * when new; p->slot is kept. */
static ws_err pt_find(rule_engine *e, const rule_point *p, int64_t t, int32_t *out)
{
    size_t pos;
    if (p->id <= 0) return ws_fail(WS_EINVAL, "point_id", "a point id must be >= 1");
    int32_t i = idx_find(e->pidx, e->pmask, p->id, e->pts, sizeof *e->pts, &pos);
    if (i >= 0) {
        if (p->slot) *p->slot = i;
        *out = i;
        return WS_OK;
    }
    if (e->c.npts >= e->cfg.points)
        return ws_fail(WS_ETOOBIG, "rule_points", "rule engine point table full");
    int need = 0, need_det = 0;
    for (int r = 0; r < e->set.n; r++)
        if (per_point(&e->set.rules[r]) && sel_match(&e->set.rules[r].sel, p)) {
            need++;
            need_det += e->set.rules[r].kind == RULE_ANOMALY;
        }
    if (e->c.nslots + (uint64_t)need > e->cfg.slots)
        return ws_fail(WS_ETOOBIG, "rule_slots", "rule engine slot pool full");
    if (e->c.ndets + (uint64_t)need_det > e->cfg.detectors)
        return ws_fail(WS_ETOOBIG, "rule_detectors", "rule engine detector pool full");
    int32_t d = -1;
    if (p->device_id > 0 && e->set.noffline) {
        ws_err rc = dev_get(e, p->device_id, p->unit_id, &d);
        if (rc) return rc;
    }
    i = (int32_t)e->c.npts++;
    pt *q = &e->pts[i];
    memset(q, 0, sizeof *q);
    q->id = p->id;
    q->unit_id = p->unit_id;
    q->device_id = p->device_id;
    q->seen_ms = t;
    q->last_ms = NONE;
    q->dev = d;
    q->resolution = isfinite(p->resolution) && p->resolution > 0 ? p->resolution : 0;
    q->slot0 = (int32_t)e->c.nslots;
    for (int r = 0; r < e->set.n; r++) {
        const rule *ru = &e->set.rules[r];
        if (!per_point(ru) || !sel_match(&ru->sel, p)) continue;
        slot *s = &e->slots[e->c.nslots++];
        memset(s, 0, sizeof *s);
        s->rule = r;
        s->det = -1;
        if (ru->kind == RULE_ANOMALY) {
            s->det = (int32_t)e->c.ndets++;
            det_init(&e->dets[s->det], &e->dparams);
            det_set_range(&e->dets[s->det], p->range_low, p->range_high);
        }
        int k = e->c.offidx[r];
        if (k >= 0 && d >= 0) e->devs[d].npts[k]++;
        q->nslot++;
    }
    for (int ci = 0; ci < e->set.ncond; ci++) {
        const rule_cond *c = &e->set.conds[ci];
        const rule *ru = &e->set.rules[e->cond_rule[ci]];
        if (c->is_fact || !ru->enabled || !sel_match(&c->sel, p)) continue;
        if (ru->kind == RULE_COMPOSITE && ru->unit_id != p->unit_id && !has_unit(p->unit_path, ru->unit_id))
            continue; /* a composite's points lie in its area; an operating state's anywhere */
        q->cmask |= UINT64_C(1) << ci;
    }
    e->pidx[pos] = i;
    if (p->slot) *p->slot = i;
    *out = i;
    return WS_OK;
}

/* The point's index: its remembered slot (every reading but a point's first), else pt_find. */
static inline ws_err pt_get(rule_engine *e, const rule_point *p, int64_t t, int32_t *out)
{
    if (p->slot && *p->slot >= 0 && (uint64_t)*p->slot < e->c.npts && e->pts[*p->slot].id == p->id) {
        *out = *p->slot;
        return WS_OK;
    }
    return pt_find(e, p, t, out);
}

ws_err rule_track(rule_engine *e, const rule_point *p, int64_t now_ms)
{
    int32_t i;
    return pt_get(e, p, now_ms, &i);
}

/* -------------------------------------------------------------- composite */

static bool fact_on(const rule_engine *e, int64_t unit, const char *name)
{
    for (size_t i = 0; i < e->cfg.facts; i++) {
        const fact *f = &e->facts[i];
        if (f->unit_id == unit && f->on && !strcmp(f->name, name)) return true;
    }
    return false;
}

static bool comp_truth(const rule_engine *e, const rule *r)
{
    for (int j = 0; j < r->ncond; j++) {
        int ci = r->cond0 + j;
        const rule_cond *c = &e->set.conds[ci];
        bool t = c->is_fact ? fact_on(e, r->unit_id, c->fact) : e->c.ntrue[ci] > 0;
        if (r->any && t) return true;
        if (!r->any && !t) return false;
    }
    return !r->any;
}

/* Re-judge composite ri at now; may emit one event. */
static void comp_eval(rule_engine *e, int ri, int64_t now, rule_event *out, int *n)
{
    const rule *r = &e->set.rules[ri];
    rstate *st = &e->c.rs[ri];
    if (!r->enabled) return;
    bool t = comp_truth(e, r);
    if (t) {
        if (st->since == NONE) st->since = now;
        if (!st->active && now >= st->since + r->on_delay_ms) {
            st->active = true;
            emit(out, n, r, RULE_EV_RAISE, r->unit_id, r->unit_id, st->since + r->on_delay_ms, NAN);
        }
    } else {
        st->since = NONE;
        if (st->active) {
            st->active = false;
            emit(out, n, r, RULE_EV_CLEAR, r->unit_id, r->unit_id, now, NAN);
        }
    }
}

/* Set the composite bits of point q from a reading; re-judge the rules of the
 * conditions that changed. */
static void comp_reading(rule_engine *e, pt *q, double v, bool good, int64_t t, rule_event *out,
                         int *n)
{
    if (!q->cmask) return;
    bool touched[RULE_MAX] = {0};
    for (int ci = 0; ci < e->set.ncond; ci++) {
        uint64_t bit = UINT64_C(1) << ci;
        if (!(q->cmask & bit)) continue;
        bool now_t = good && op_true(e->set.conds[ci].op, v, e->set.conds[ci].value);
        bool was = (q->ctrue & bit) != 0;
        if (now_t == was) continue;
        if (now_t) {
            q->ctrue |= bit;
            e->c.ntrue[ci]++;
        } else {
            q->ctrue &= ~bit;
            e->c.ntrue[ci]--;
        }
        touched[e->cond_rule[ci]] = true;
    }
    for (int ri = 0; ri < e->set.n; ri++)
        if (touched[ri] && e->set.rules[ri].kind == RULE_COMPOSITE) comp_eval(e, ri, t, out, n);
}

/* ---------------------------------------------------------------- reading */

static void roc_reading(const rule *r, slot *s, int64_t t, double v, bool good, const pt *q,
                        rule_event *out, int *n)
{
    if (!good) {
        s->rn = 0;
        return;
    }
    int64_t w = r->window_ms;
    /* The oldest kept sample inside the window. */
    int best = -1;
    for (int k = 0; k < s->rn; k++) {
        int i = (s->rh + RULE_ROC_RING - k) % RULE_ROC_RING;
        if (t - s->rt[i] <= w) best = i;
        else break;
    }
    if (best >= 0 && t - s->rt[best] >= w / 2 && t > s->rt[best]) {
        double rate = (v - s->rv[best]) * 1000.0 / (double)(t - s->rt[best]);
        bool hi = fabs(rate) >= r->limit_per_s;
        if (hi && !s->active) {
            s->active = true;
            emit(out, n, r, RULE_EV_RAISE, q->id, q->unit_id, t, rate);
        } else if (!hi && s->active) {
            s->active = false;
            emit(out, n, r, RULE_EV_CLEAR, q->id, q->unit_id, t, rate);
        }
    }
    int64_t spacing = w / (RULE_ROC_RING - 2);
    if (spacing < 1) spacing = 1;
    if (s->rn == 0 || t - s->rt[s->rh] >= spacing) {
        s->rh = (uint8_t)((s->rh + 1) % RULE_ROC_RING);
        s->rt[s->rh] = t;
        s->rv[s->rh] = v;
        if (s->rn < RULE_ROC_RING) s->rn++;
    }
}

static void flat_reading(const rule *r, slot *s, int64_t t, double v, bool good, const pt *q,
                         rule_event *out, int *n)
{
    double eps = r->eps_resolution ? q->resolution : r->epsilon;
    if (good && s->nflat > 0) {
        double lo = v < s->lo ? v : s->lo, hi = v > s->hi ? v : s->hi;
        double band = hi - lo;
        bool flat = band == 0 || band < eps * (1 - 1e-9);
        if (flat) {
            s->lo = lo;
            s->hi = hi;
            if (s->nflat < INT32_MAX) s->nflat++;
            if (!s->active && t - s->t0 >= r->window_ms) {
                s->active = true;
                emit(out, n, r, RULE_EV_RAISE, q->id, q->unit_id, t, band);
            }
            return;
        }
    }
    if (s->active) {
        s->active = false;
        emit(out, n, r, RULE_EV_CLEAR, q->id, q->unit_id, t, good ? fabs(v - s->lo) : NAN);
    }
    s->nflat = good ? 1 : 0;
    s->t0 = t;
    s->lo = s->hi = good ? v : 0;
}

/* Anomaly: the point's detector scores every reading (a bad one is a missing
 * value to it, so dropouts count); the rule raises when the score stays
 * above score_above for on_delay_ms (t0 = since when, 0 = not above) and
 * clears when it falls back. The event's value is the score. A sensor fault
 * the rule watches (faults) asks for a corrective work order, at most once
 * a day per point (value = the DET_* flags seen). */
static void anomaly_reading(rule_engine *e, const rule *r, slot *s, int64_t t, double v, bool good, const pt *q,
                            rule_event *out, int *n)
{
    if (s->det < 0 || !e->dets) return;
    det_out o = det_step(&e->dets[s->det], (double)t / 1000.0, good ? v : NAN);
    s->score = o.score;
    if ((o.flags & r->faults) && (!s->fault_ms || t - s->fault_ms >= 86400000LL)) {
        /* a sensor fault the rule watches: a corrective work order, once a day */
        s->fault_ms = t;
        emit(out, n, r, RULE_EV_ACTION, q->id, q->unit_id, t, (double)(o.flags & r->faults));
        snprintf(out[*n - 1].action, sizeof out[0].action, "work_order");
        snprintf(out[*n - 1].action_kind, sizeof out[0].action_kind, "corrective");
    }
    if (o.score > r->score_above) {
        if (!s->t0) s->t0 = t;
        if (!s->active && t - s->t0 >= r->on_delay_ms) {
            s->active = true;
            emit(out, n, r, RULE_EV_RAISE, q->id, q->unit_id, t, o.score);
        }
        return;
    }
    s->t0 = 0;
    if (s->active) {
        s->active = false;
        emit(out, n, r, RULE_EV_CLEAR, q->id, q->unit_id, t, o.score);
    }
}

static void stale_reading(rule_engine *e, const rule *r, slot *s, pt *q, int64_t t, rule_event *out,
                          int *n, int ri)
{
    if (!s->active) return;
    /* Fresh: not older than max_gap before the latest tick. */
    if (e->c.now_ms != NONE && t + r->max_gap_ms <= e->c.now_ms) return;
    s->active = false;
    int k = e->c.offidx[ri];
    if (k < 0) {
        emit(out, n, r, RULE_EV_CLEAR, q->id, q->unit_id, t, NAN);
        return;
    }
    if (q->dev < 0) return;
    dev *d = &e->devs[q->dev];
    if (d->nstale[k] > 0) d->nstale[k]--;
    if (d->active[k]) {
        d->active[k] = false;
        emit(out, n, r, RULE_EV_CLEAR, d->id, d->unit_id, t, NAN);
    }
}

/* A reading while rule r's operating state does not hold: what it raised
 * clears, its window and anchor start again once the state holds, and an
 * anomaly detector does not step (it learns the running unit, not the
 * stopped one). */
static void suppressed(const rule *r, slot *s, const pt *q, int64_t t, rule_event *out, int *n)
{
    s->rn = 0;
    s->nflat = 0;
    s->t0 = 0;
    if (!s->active) return;
    s->active = false;
    emit(out, n, r, RULE_EV_CLEAR, q->id, q->unit_id, t, NAN);
}

ws_err rule_on_reading(rule_engine *e, const rule_point *p, int64_t t_ms, double value,
                       uint8_t quality, rule_event *out, int cap, int *n)
{
    *n = 0;
    if (cap < RULE_READING_EVENTS)
        return ws_fail(WS_EINVAL, "cap", "room for RULE_READING_EVENTS events is needed");
    int32_t i;
    ws_err rc = pt_get(e, p, t_ms, &i);
    if (rc) return rc;
    pt *q = &e->pts[i];
    if (q->evaluated && t_ms <= q->last_ms) return WS_OK; /* late: never evaluated */
    q->evaluated = true;
    q->last_ms = t_ms;
    if (t_ms > q->seen_ms) q->seen_ms = t_ms;
    bool good = (quality == Q_GOOD || quality == Q_UNCERTAIN) && isfinite(value);
    for (int k = 0; k < q->nslot; k++) {
        slot *s = &e->slots[q->slot0 + k];
        const rule *r = &e->set.rules[s->rule];
        if (r->while_cond && e->c.ntrue[r->while_cond - 1] <= 0) { /* outside its operating state */
            suppressed(r, s, q, t_ms, out, n);
            continue;
        }
        switch (r->kind) {
        case RULE_ROC: roc_reading(r, s, t_ms, value, good, q, out, n); break;
        case RULE_FLATLINE: flat_reading(r, s, t_ms, value, good, q, out, n); break;
        case RULE_ANOMALY: anomaly_reading(e, r, s, t_ms, value, good, q, out, n); break;
        case RULE_STALE: stale_reading(e, r, s, q, t_ms, out, n, s->rule); break;
        default: break;
        }
    }
    if (q->cmask) comp_reading(e, q, value, good, t_ms, out, n); /* a call only for points in a composite */
    return WS_OK;
}

/* ------------------------------------------------------------------- tick */

ws_err rule_on_tick(rule_engine *e, int64_t now_ms, rule_event *out, int cap, int *n)
{
    *n = 0;
    if (cap < RULE_READING_EVENTS)
        return ws_fail(WS_EINVAL, "cap", "room for RULE_READING_EVENTS events is needed");
    if (e->c.now_ms == NONE || now_ms > e->c.now_ms) e->c.now_ms = now_ms;
    int64_t now = e->c.now_ms;
    /* Facts that expired (each may move every composite of its area). */
    for (size_t f = 0; f < e->cfg.facts; f++) {
        fact *x = &e->facts[f];
        if (!x->unit_id || !x->on || !x->until_ms || now < x->until_ms) continue;
        if (cap - *n < e->set.n) return WS_OK;
        x->on = false;
        for (int ri = 0; ri < e->set.n; ri++) {
            const rule *r = &e->set.rules[ri];
            if (r->kind == RULE_COMPOSITE && r->unit_id == x->unit_id) comp_eval(e, ri, x->until_ms, out, n);
        }
    }
    /* Stale points. */
    for (uint64_t i = 0; i < e->c.npts; i++) {
        pt *q = &e->pts[i];
        for (int k = 0; k < q->nslot; k++) {
            slot *s = &e->slots[q->slot0 + k];
            const rule *r = &e->set.rules[s->rule];
            if (r->kind != RULE_STALE || s->active || now < q->seen_ms + r->max_gap_ms) continue;
            int ok = e->c.offidx[s->rule];
            if (ok < 0) {
                if (*n >= cap) return WS_OK;
                emit(out, n, r, RULE_EV_RAISE, q->id, q->unit_id, q->seen_ms + r->max_gap_ms,
                     (double)(now - q->seen_ms));
            } else if (q->dev >= 0) {
                dev *d = &e->devs[q->dev];
                d->nstale[ok]++;
                if (q->seen_ms + r->max_gap_ms > d->stale_at[ok]) d->stale_at[ok] = q->seen_ms + r->max_gap_ms;
            }
            s->active = true;
            s->t0 = q->seen_ms + r->max_gap_ms;
        }
    }
    /* Devices whose every point is stale. */
    for (uint64_t di = 0; di < e->c.ndevs; di++) {
        dev *d = &e->devs[di];
        for (int ri = 0; ri < e->set.n; ri++) {
            int k = e->c.offidx[ri];
            if (k < 0 || d->active[k] || !d->npts[k] || d->nstale[k] < d->npts[k]) continue;
            if (*n >= cap) return WS_OK;
            d->active[k] = true;
            emit(out, n, &e->set.rules[ri], RULE_EV_RAISE, d->id, d->unit_id, d->stale_at[k], NAN);
        }
    }
    /* Composite on-delays that fell due. */
    for (int ri = 0; ri < e->set.n; ri++) {
        const rule *r = &e->set.rules[ri];
        rstate *st = &e->c.rs[ri];
        if (r->kind != RULE_COMPOSITE || !r->enabled || st->active || st->since == NONE) continue;
        if (now < st->since + r->on_delay_ms) continue;
        if (*n >= cap) return WS_OK;
        comp_eval(e, ri, now, out, n);
    }
    return WS_OK;
}

/* ---------------------------------------------------------------- context */

static bool fact_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > RULE_FACT_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

ws_err rule_on_context(rule_engine *e, int64_t unit_id, const char *name, bool on,
                       int64_t until_ms, int64_t now_ms, rule_event *out, int cap, int *n)
{
    *n = 0;
    if (cap < RULE_READING_EVENTS)
        return ws_fail(WS_EINVAL, "cap", "room for RULE_READING_EVENTS events is needed");
    if (!fact_name_ok(name)) return ws_fail(WS_EINVAL, "fact", "a fact name is [a-z0-9_.-], 1..31 bytes");
    if (unit_id <= 0) return ws_fail(WS_EINVAL, "unit_id", "a context fact needs a unit");
    fact *x = NULL, *free_slot = NULL;
    for (size_t f = 0; f < e->cfg.facts; f++) {
        fact *y = &e->facts[f];
        if (y->unit_id == unit_id && !strcmp(y->name, name)) {
            x = y;
            break;
        }
        if (!free_slot && (!y->unit_id || !y->on)) free_slot = y;
    }
    if (!x) {
        if (!on) return WS_OK; /* off and unknown: nothing to do */
        if (!free_slot) return ws_fail(WS_ETOOBIG, "rule_facts", "rule engine fact table full");
        x = free_slot;
        memset(x, 0, sizeof *x);
        x->unit_id = unit_id;
        snprintf(x->name, sizeof x->name, "%s", name);
    }
    x->on = on && !(until_ms > 0 && until_ms <= now_ms);
    x->until_ms = on ? until_ms : 0;
    for (int ri = 0; ri < e->set.n; ri++) {
        const rule *r = &e->set.rules[ri];
        if (r->kind != RULE_COMPOSITE || r->unit_id != unit_id) continue;
        bool uses = false;
        for (int j = 0; j < r->ncond; j++) {
            const rule_cond *c = &e->set.conds[r->cond0 + j];
            if (c->is_fact && !strcmp(c->fact, name)) uses = true;
        }
        if (uses) comp_eval(e, ri, now_ms, out, n);
    }
    return WS_OK;
}

/* ------------------------------------------------------------------ count */

static bool key_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > RULE_KEY_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-' || c == ':'))
            return false;
    }
    return true;
}

static bool key_match(const char *rule_key, const char *key)
{
    size_t n = strlen(rule_key);
    return !strncmp(rule_key, key, n) && (key[n] == 0 || key[n] == ':');
}

ws_err rule_on_fact_event(rule_engine *e, const char *key, int64_t source_id, int64_t unit_id,
                          int64_t now_ms, rule_event *out, int cap, int *n)
{
    *n = 0;
    if (cap < RULE_READING_EVENTS)
        return ws_fail(WS_EINVAL, "cap", "room for RULE_READING_EVENTS events is needed");
    if (!key_ok(key)) return ws_fail(WS_EINVAL, "key", "an event key is [A-Za-z0-9_.:-], 1..63 bytes");
    if (source_id <= 0) return ws_fail(WS_EINVAL, "source_id", "an event needs a source id >= 1");
    for (int ri = 0; ri < e->set.n; ri++) {
        const rule *r = &e->set.rules[ri];
        if (r->kind != RULE_COUNT || !r->enabled || !key_match(r->key, key)) continue;
        ctr *c = NULL, *spare = NULL;
        for (size_t i = 0; i < e->cfg.counters; i++) {
            ctr *x = &e->ctrs[i];
            if (x->rule == ri && x->source_id == source_id && !strcmp(x->key, key)) {
                c = x;
                break;
            }
            /* Free, or every kept time outside its rule's window. */
            if (!spare && (x->rule < 0 || x->n == 0 ||
                           x->t[x->n - 1] <= now_ms - e->set.rules[x->rule].window_ms))
                spare = x;
        }
        if (!c) {
            if (!spare) return ws_fail(WS_ETOOBIG, "rule_counters", "rule engine counter table full");
            c = spare;
            memset(c, 0, sizeof *c);
            c->rule = ri;
            c->source_id = source_id;
            snprintf(c->key, sizeof c->key, "%s", key);
        }
        c->unit_id = unit_id;
        /* Drop times outside (now - window, now]; keep the rest in order. */
        int k = 0;
        for (int i = 0; i < c->n; i++)
            if (c->t[i] > now_ms - r->window_ms) c->t[k++] = c->t[i];
        c->n = k;
        if (c->n == RULE_COUNT_N_MAX) {
            memmove(c->t, c->t + 1, (size_t)(c->n - 1) * sizeof c->t[0]);
            c->n--;
        }
        int pos = c->n;
        while (pos > 0 && c->t[pos - 1] > now_ms) pos--;
        memmove(c->t + pos + 1, c->t + pos, (size_t)(c->n - pos) * sizeof c->t[0]);
        c->t[pos] = now_ms;
        c->n++;
        if (c->n >= r->n) {
            if (r->alarm) {
                emit(out, n, r, RULE_EV_RAISE, source_id, unit_id, now_ms, c->n);
                emit(out, n, r, RULE_EV_CLEAR, source_id, unit_id, now_ms, c->n);
            }
            if (!strcmp(r->action, "work_order")) {
                emit(out, n, r, RULE_EV_ACTION, source_id, unit_id, now_ms, c->n);
                rule_event *ev = &out[*n - 1];
                snprintf(ev->action, sizeof ev->action, "%s", r->action);
                snprintf(ev->action_kind, sizeof ev->action_kind, "%s", r->action_kind);
                snprintf(ev->key, sizeof ev->key, "%s", key);
            }
            c->n = 0;
        }
    }
    return WS_OK;
}

/* ----------------------------------------------------------------- status */

bool rule_active(const rule_engine *e, int64_t rule_id, int64_t source_id)
{
    int ri = -1;
    for (int i = 0; i < e->set.n; i++)
        if (e->set.rules[i].id == rule_id) ri = i;
    if (ri < 0) return false;
    const rule *r = &e->set.rules[ri];
    if (r->kind == RULE_COMPOSITE) return r->unit_id == source_id && e->c.rs[ri].active;
    int k = e->c.offidx[ri];
    if (k >= 0) {
        size_t pos;
        int32_t d = idx_find(e->didx, e->dmask, source_id, e->devs, sizeof *e->devs, &pos);
        return d >= 0 && e->devs[d].active[k];
    }
    size_t pos;
    int32_t i = idx_find(e->pidx, e->pmask, source_id, e->pts, sizeof *e->pts, &pos);
    if (i < 0) return false;
    const pt *q = &e->pts[i];
    for (int k2 = 0; k2 < q->nslot; k2++)
        if (e->slots[q->slot0 + k2].rule == ri) return e->slots[q->slot0 + k2].active;
    return false;
}

double rule_point_score(const rule_engine *e, int64_t point_id)
{
    size_t pos;
    int32_t i = idx_find(e->pidx, e->pmask, point_id, e->pts, sizeof *e->pts, &pos);
    double best = NAN;
    if (i < 0) return best;
    const pt *q = &e->pts[i];
    for (int k = 0; k < q->nslot; k++) {
        const slot *s = &e->slots[q->slot0 + k];
        if (s->det >= 0 && (isnan(best) || s->score > best)) best = s->score;
    }
    return best;
}

/* ---------------------------------------------------------- export/import */

#define STATE_MAGIC UINT64_C(0x3154535255535357) /* "WSSURST1" little-endian-ish tag */
#define STATE_FORMAT 1

typedef struct state_hdr {
    uint64_t magic;
    uint64_t format;
    uint64_t fingerprint;
    uint64_t points, slots, devices, counters, facts, detectors; /* capacities */
    uint64_t sizes[7]; /* sizeof of core, pt, slot, dev, ctr, fact, det_state */
} state_hdr;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

size_t rule_state_size(const rule_engine *e)
{
    return sizeof(state_hdr) + sizeof(core) + e->c.npts * sizeof(pt) + e->c.nslots * sizeof(slot) +
           e->c.ndevs * sizeof(dev) + e->cfg.counters * sizeof(ctr) + e->cfg.facts * sizeof(fact) +
           e->c.ndets * sizeof(det_state) + sizeof(uint64_t);
}

static void hdr_of(const rule_engine *e, state_hdr *h)
{
    memset(h, 0, sizeof *h);
    h->magic = STATE_MAGIC;
    h->format = STATE_FORMAT;
    h->fingerprint = e->set.fingerprint;
    h->points = e->cfg.points;
    h->slots = e->cfg.slots;
    h->devices = e->cfg.devices;
    h->counters = e->cfg.counters;
    h->facts = e->cfg.facts;
    h->detectors = e->cfg.detectors;
    h->sizes[0] = sizeof(core);
    h->sizes[1] = sizeof(pt);
    h->sizes[2] = sizeof(slot);
    h->sizes[3] = sizeof(dev);
    h->sizes[4] = sizeof(ctr);
    h->sizes[5] = sizeof(fact);
    h->sizes[6] = sizeof(det_state);
}

ws_err rule_state_export(const rule_engine *e, void *buf, size_t cap, size_t *len)
{
    size_t need = rule_state_size(e);
    *len = need;
    if (cap < need) return ws_fail(WS_ETOOBIG, "state", "the state needs %zu bytes", need);
    char *p = buf;
    state_hdr h;
    hdr_of(e, &h);
#define PUT(src, n)                              \
    do {                                         \
        size_t n_ = (n);                         \
        if (n_ > 0) memcpy(p, (src), n_);        \
        p += n_;                                 \
    } while (0)
    PUT(&h, sizeof h);
    PUT(&e->c, sizeof e->c);
    PUT(e->pts, e->c.npts * sizeof(pt));
    PUT(e->slots, e->c.nslots * sizeof(slot));
    PUT(e->devs, e->c.ndevs * sizeof(dev));
    PUT(e->ctrs, e->cfg.counters * sizeof(ctr));
    PUT(e->facts, e->cfg.facts * sizeof(fact));
    if (e->dets) PUT(e->dets, e->c.ndets * sizeof(det_state));
#undef PUT
    uint64_t sum = fnv(UINT64_C(14695981039346656037), buf, (size_t)(p - (char *)buf));
    memcpy(p, &sum, sizeof sum);
    return WS_OK;
}

ws_err rule_state_import(rule_engine *e, const void *buf, size_t len)
{
    const char *p = buf;
    state_hdr h, want;
    hdr_of(e, &want);
    if (len < sizeof h + sizeof(core) + sizeof(uint64_t))
        return ws_fail(WS_ECORRUPT, "state", "the rule state is truncated");
    memcpy(&h, p, sizeof h);
    if (h.magic != STATE_MAGIC) return ws_fail(WS_ECORRUPT, "state", "not a rule state");
    if (memcmp(&h, &want, sizeof h))
        return ws_fail(WS_ECONFLICT, "state",
                       "the rule state belongs to another rule set or capacities");
    uint64_t sum;
    memcpy(&sum, p + len - sizeof sum, sizeof sum);
    if (fnv(UINT64_C(14695981039346656037), buf, len - sizeof sum) != sum)
        return ws_fail(WS_ECORRUPT, "state", "the rule state's checksum does not match");
    core c;
    memcpy(&c, p + sizeof h, sizeof c);
    if (c.npts > e->cfg.points || c.nslots > e->cfg.slots || c.ndevs > e->cfg.devices ||
        c.ndets > (e->dets ? e->cfg.detectors : 0))
        return ws_fail(WS_ECORRUPT, "state", "the rule state's counts exceed the capacities");
    size_t need = sizeof h + sizeof c + c.npts * sizeof(pt) + c.nslots * sizeof(slot) +
                  c.ndevs * sizeof(dev) + e->cfg.counters * sizeof(ctr) +
                  e->cfg.facts * sizeof(fact) + c.ndets * sizeof(det_state) + sizeof sum;
    if (need != len) return ws_fail(WS_ECORRUPT, "state", "the rule state has the wrong length");
    const char *q = p + sizeof h + sizeof c;
    const pt *pts = (const void *)q;
    const slot *sl = (const void *)(q + c.npts * sizeof(pt));
    /* Check the references before touching the engine. */
    for (uint64_t i = 0; i < c.npts; i++) {
        pt x;
        memcpy(&x, &pts[i], sizeof x);
        if (x.id <= 0 || x.slot0 < 0 || x.nslot < 0 || (uint64_t)x.slot0 + (uint64_t)x.nslot > c.nslots ||
            x.dev < -1 || (x.dev >= 0 && (uint64_t)x.dev >= c.ndevs))
            return ws_fail(WS_ECORRUPT, "state", "point %llu of the rule state is damaged",
                           (unsigned long long)i);
    }
    for (uint64_t i = 0; i < c.nslots; i++) {
        slot x;
        memcpy(&x, &sl[i], sizeof x);
        if (x.rule < 0 || x.rule >= e->set.n || x.rn > RULE_ROC_RING || x.rh >= RULE_ROC_RING || x.det < -1 ||
            (x.det >= 0 && (uint64_t)x.det >= c.ndets))
            return ws_fail(WS_ECORRUPT, "state", "slot %llu of the rule state is damaged",
                           (unsigned long long)i);
    }
    const ctr *cs = (const void *)(q + c.npts * sizeof(pt) + c.nslots * sizeof(slot) + c.ndevs * sizeof(dev));
    for (size_t i = 0; i < e->cfg.counters; i++) {
        ctr x;
        memcpy(&x, &cs[i], sizeof x);
        if (x.rule < -1 || x.rule >= e->set.n || x.n < 0 || x.n > RULE_COUNT_N_MAX)
            return ws_fail(WS_ECORRUPT, "state", "counter %zu of the rule state is damaged", i);
    }
    for (int i = 0; i < RULE_CONDS_TOTAL; i++)
        if (c.ntrue[i] < 0 || (uint64_t)c.ntrue[i] > c.npts)
            return ws_fail(WS_ECORRUPT, "state", "the rule state's condition counts are damaged");
    e->c = c;
    memcpy(e->pts, q, c.npts * sizeof(pt));
    q += c.npts * sizeof(pt);
    memcpy(e->slots, q, c.nslots * sizeof(slot));
    q += c.nslots * sizeof(slot);
    memcpy(e->devs, q, c.ndevs * sizeof(dev));
    q += c.ndevs * sizeof(dev);
    memcpy(e->ctrs, q, e->cfg.counters * sizeof(ctr));
    q += e->cfg.counters * sizeof(ctr);
    memcpy(e->facts, q, e->cfg.facts * sizeof(fact));
    q += e->cfg.facts * sizeof(fact);
    if (c.ndets) memcpy(e->dets, q, c.ndets * sizeof(det_state));
    for (uint64_t i = 0; i < c.ndets; i++) e->dets[i].p = e->dparams; /* the tuning is the program's */
    for (size_t i = 0; i < e->cfg.facts; i++) e->facts[i].name[RULE_FACT_MAX] = 0;
    for (size_t i = 0; i < e->cfg.counters; i++) e->ctrs[i].key[RULE_KEY_MAX] = 0;
    /* Rebuild the indexes. */
    memset(e->pidx, 0xff, (e->pmask + 1) * sizeof *e->pidx);
    memset(e->didx, 0xff, (e->dmask + 1) * sizeof *e->didx);
    for (uint64_t i = 0; i < c.npts; i++) {
        size_t pos;
        if (idx_find(e->pidx, e->pmask, e->pts[i].id, e->pts, sizeof *e->pts, &pos) >= 0)
            return ws_fail(WS_ECORRUPT, "state", "the rule state repeats a point");
        e->pidx[pos] = (int32_t)i;
    }
    for (uint64_t i = 0; i < c.ndevs; i++) {
        size_t pos;
        if (idx_find(e->didx, e->dmask, e->devs[i].id, e->devs, sizeof *e->devs, &pos) >= 0)
            return ws_fail(WS_ECORRUPT, "state", "the rule state repeats a device");
        e->didx[pos] = (int32_t)i;
    }
    return WS_OK;
}
