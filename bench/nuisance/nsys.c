/* nsys.c — the baseline and the worksafe alarm systems of nsys.h over one
 * generated plant, minute by minute, and their scores.
 *
 * worksafe, per reading of a point (in this order):
 *  1. det_step (anomaly/detector.h, default parameters): the sensor-fault
 *     flags STUCK / DRIFT / SPIKE of this reading;
 *  2. rule_on_reading (alarm/rule.h) with the set of ns_rule_set_json():
 *     flatline 6 h at the resolution, the anomaly rule (score > 0.35 for
 *     120 s, 预警); each DET_SPIKE is fed to the count rule "sensor_spike"
 *     (3 in 24 h → a corrective work order); rule_on_tick once a minute
 *     raises stale (no reading for 300 s);
 *  3. thr_eval (alarm/threshold.h) with the kind's limits, deadband and
 *     on-delay (limit_config below).
 * Routing:
 *  - a limit raise (L/LL/H/HH) goes to the operator, unless the sensor is
 *    known to be stuck (flatline active, or DET_STUCK in the last
 *    suspect_min): then to maintenance. A drift flag never diverts a limit
 *    alarm: a slow real rise looks like drift, and a safety alarm is not
 *    withheld on a suspicion;
 *  - an anomaly raise goes to the operator as a notice (预警), unless the
 *    sensor is suspect or had a STUCK / DRIFT / SPIKE flag in the last
 *    suspect_min: then to maintenance ("this sensor behaves oddly");
 *  - maintenance notifications: stale and flatline raises, the first
 *    DET_STUCK of a run, every DET_DRIFT that moves the detector's slow
 *    level further from the level it learnt (a step back toward it is the
 *    return after a real disturbance or a recalibration: counted in
 *    drift_returns, no ticket), DET_DROPOUT (the first reading
 *    after a gap: stale has usually opened the ticket), the spike work
 *    order and the
 *    diverted alarms, at most one per point per maint_dedup_min (an open
 *    ticket takes the rest). All are counted; none is dropped silently.
 * The detector runs twice per reading here: once inside the rule engine (the
 * anomaly rule's own state) and once for the flags, which the engine does
 * not expose; the two see the same readings with the same fault parameters. */
#include "nsys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"
#include "alarm/threshold.h"
#include "anomaly/detector.h"

#define T0_MS 1764288000000LL /* 2025-11-28 00:00 UTC: minute 0 of the plant */
#define MIN_MS 60000LL
#define NONE INT32_MIN
#define NS_BLOCK 5 /* minutes of readings per point between timer runs */

enum { TRIG_STALE, TRIG_FLATLINE, TRIG_STUCK, TRIG_DRIFT, TRIG_SPIKES, TRIG_REROUTED, TRIG_DROPOUT };

static const char RULES[] =
    "{\"rules\":["
    "{\"id\":1001,\"kind\":\"stale\",\"name\":\"no reading for 300 s\",\"level\":1,"
    "\"select\":{\"kinds\":[\"combustible\",\"toxic\",\"oxygen\",\"temperature\",\"pressure\",\"level\",\"flow\"]},"
    "\"max_gap_s\":300},"
    "{\"id\":1003,\"kind\":\"flatline\",\"name\":\"moved less than the resolution in 6 h\",\"level\":1,"
    "\"select\":{\"kinds\":[\"combustible\",\"toxic\",\"oxygen\",\"temperature\",\"pressure\",\"level\",\"flow\"]},"
    "\"window_s\":21600,\"epsilon\":\"resolution\"},"
    "{\"id\":1005,\"kind\":\"count\",\"name\":\"3 spikes in 24 h\",\"level\":1,\"key\":\"sensor_spike\","
    "\"n\":3,\"window_s\":86400,\"action\":\"work_order\",\"action_kind\":\"corrective\",\"alarm\":false},"
    "{\"id\":2101,\"kind\":\"anomaly\",\"name\":\"behaviour changed\",\"level\":1,"
    "\"select\":{\"kinds\":[\"combustible\",\"toxic\",\"oxygen\",\"temperature\",\"pressure\",\"level\",\"flow\"]},"
    "\"score_above\":0.35,\"for_s\":120}"
    "]}";

const char *ns_rule_set_json(void) { return RULES; }

ns_options ns_options_default(void)
{
    ns_options o = {200, 15, 60, 1440};
    return o;
}

/* The point's limits in worksafe: the GB/T 50493 gas presets (their
 * deadbands) with a 60 s on-delay (one confirming reading at one a minute);
 * process points H 报警 / HH 紧急 with the deadbands of ISA-18.2's table
 * (temperature 1 %, pressure 2 %, level and flow 5 % of the span) and a
 * 120 s on-delay (two confirming readings). Every limit has a 5-minute
 * off-delay: a raised alarm clears only after five minutes back inside the
 * deadband, so noise at the limit cannot clear and re-raise it (ISA-18.2's
 * re-alarm suppression; it delays the clear, never the raise). */
#define NS_OFF_DELAY_MS 300000
static void limit_config(const pg_point *pt, thr_config *c)
{
    int32_t delay = 60000;
    double share = 0;
    switch (pt->kind) {
    case PG_COMBUSTIBLE: thr_preset_combustible(c, 0); break;
    case PG_TOXIC: thr_preset_toxic(c, 10, 0); break;
    case PG_OXYGEN: thr_preset_o2(c); break;
    case PG_TEMPERATURE: share = 0.01; break;
    case PG_PRESSURE: share = 0.02; break;
    default: share = 0.05; break;
    }
    if (share > 0) {
        thr_config_init(c);
        double db = share * (pt->hi - pt->lo);
        c->lim[THR_H] = (thr_limit){true, ALARM_LVL_ALARM, pt->h, db, 0, 0};
        c->lim[THR_HH] = (thr_limit){true, ALARM_LVL_EMERGENCY, pt->hh, db, 0, 0};
        delay = 120000;
    }
    for (int i = 0; i < THR_NLIMIT; i++) {
        c->lim[i].on_delay_ms = c->lim[i].enabled ? delay : 0;
        c->lim[i].off_delay_ms = c->lim[i].enabled ? NS_OFF_DELAY_MS : 0;
    }
}

/* ------------------------------------------------------------- scoring */

typedef struct acc {
    ns_result *r;
    int32_t *first_alarm;   /* per excursion: minute of its first operator alarm, NONE */
    int32_t *first_notice;  /* per excursion: minute of its first notice, NONE */
    int32_t *per10, *per10_all; /* operators × windows */
} acc;

typedef struct ctx {
    pg_plant *pl;
    ns_options o;
    int nexc, nev, nops, nwin;
    int *exc0, *ev0;        /* per point: index of its first excursion / event */
    int32_t *exc_start;
    uint8_t *exc_gas;       /* per excursion: on a gas point (combustible, toxic, O2) */
    uint8_t *found;         /* per event: a maintenance notification (spike: a flag) */
    acc base, ws;
    /* worksafe per point */
    thr_config *thr;
    thr_state *ts;
    det_state *det;
    uint8_t *flat;          /* flatline active */
    int32_t *stuck_last, *flag_last, *maint_last;
    double *ref;            /* the detector's learnt level (NaN until learnt) */
    char (*tags)[16];
    rule_point *rp;
    rule_engine *eng;
    rule_event *rev;
    uint8_t *bstate;        /* baseline: bit 0 H, 1 HH, 2 L active */
} ctx;

static int match_excursion(const ctx *c, int p, int32_t m)
{
    const pg_point *pt = &c->pl->pts[p];
    int k = c->exc0[p];
    for (int i = 0; i < pt->nev; i++) {
        const pg_event *e = &pt->ev[i];
        if (e->type != PG_EXCURSION) continue;
        if (m >= e->x0 - c->o.grace_min && m < e->x1 + c->o.grace_min) return k;
        k++;
    }
    return -1;
}

static int cause_of(const ctx *c, int p, int32_t m)
{
    const pg_point *pt = &c->pl->pts[p];
    for (int i = 0; i < pt->nev; i++) {
        const pg_event *e = &pt->ev[i];
        if (m >= e->x0 - c->o.grace_min && m < e->x1 + c->o.grace_min) return e->type;
    }
    return NS_CAUSE_NONE;
}

static void to_operator(ctx *c, acc *a, int p, int32_t m, bool notice)
{
    int op = p / c->o.points_per_operator, w = m / 10;
    a->per10_all[op * c->nwin + w]++;
    if (notice) a->r->notices++;
    else {
        a->per10[op * c->nwin + w]++;
        a->r->alarms++;
    }
    int k = match_excursion(c, p, m);
    if (k < 0) {
        a->r->nuisance++;
        if (notice) {
            a->r->nuisance_notices++;
            a->r->nuisance_notices_learning += m < (int32_t)(c->pl->cfg.quiet_days * 1440);
        }
        else {
            a->r->nuisance_alarms++;
            a->r->nuisance_alarms_by[cause_of(c, p, m)]++;
        }
        a->r->nuisance_by[cause_of(c, p, m)]++;
        return;
    }
    int32_t *first = notice ? a->first_notice : a->first_alarm;
    if (first[k] == NONE) first[k] = m;
}

/* A sensor-fault event of point p that m belongs to (up to an hour after it). */
static int fault_at(const ctx *c, int p, int32_t m)
{
    const pg_point *pt = &c->pl->pts[p];
    for (int i = 0; i < pt->nev; i++) {
        const pg_event *e = &pt->ev[i];
        if (e->type == PG_EXCURSION || e->type == PG_FLAPPING) continue;
        if (m >= e->start && m < e->end + 60) return c->ev0[p] + i;
    }
    return -1;
}

static void to_maintenance(ctx *c, int p, int32_t m, int trig)
{
    ns_result *r = c->ws.r;
    r->maint_triggers[trig]++;
    if (trig == TRIG_REROUTED) r->rerouted++;
    int f = fault_at(c, p, m);
    /* (a spike counts as found by its own flag, see worksafe_reading) */
    if (f >= 0 && trig != TRIG_REROUTED && c->pl->pts[p].ev[f - c->ev0[p]].type != PG_SPIKE)
        c->found[f] = 1;
    if (c->maint_last[p] != NONE && m - c->maint_last[p] < c->o.maint_dedup_min) return;
    c->maint_last[p] = m;
    r->maint++;
    if (f >= 0) r->maint_matched++;
    else {
        r->maint_unmatched_by[trig]++;
        r->maint_unmatched_during[cause_of(c, p, m)]++;
    }
}

/* ------------------------------------------------------------ the systems */

static void baseline_reading(ctx *c, int p, int32_t m, double v)
{
    const pg_point *pt = &c->pl->pts[p];
    uint8_t s = c->bstate[p], now = 0;
    if (!isnan(pt->h) && v >= pt->h) now |= 1;
    if (!isnan(pt->hh) && v >= pt->hh) now |= 2;
    if (!isnan(pt->l) && v <= pt->l) now |= 4;
    for (int b = 0; b < 3; b++)
        if ((now & (1u << b)) && !(s & (1u << b))) to_operator(c, &c->base, p, m, false);
    c->bstate[p] = now;
}

static bool suspect(const ctx *c, int p, int32_t m)
{
    return c->flat[p] || (c->stuck_last[p] != NONE && m - c->stuck_last[p] <= c->o.suspect_min);
}

static int handle_rule_events(ctx *c, int32_t m, const rule_event *ev, int n)
{
    for (int i = 0; i < n; i++) {
        const rule_event *e = &ev[i];
        int p = (int)e->source_id - 1;
        if (p < 0 || p >= c->pl->npoints) continue;
        int32_t at = (int32_t)((e->at_ms - T0_MS) / MIN_MS);
        if (at > m) at = m;
        if (e->rule_id == 1003) {
            c->flat[p] = e->kind == RULE_EV_RAISE;
            if (e->kind == RULE_EV_RAISE) to_maintenance(c, p, at, TRIG_FLATLINE);
        } else if (e->rule_id == 1001 && e->kind == RULE_EV_RAISE) {
            to_maintenance(c, p, at, TRIG_STALE);
        } else if (e->rule_id == 1005 && e->kind == RULE_EV_ACTION) {
            to_maintenance(c, p, at, TRIG_SPIKES);
        } else if (e->rule_id == 2101 && e->kind == RULE_EV_RAISE) {
            bool odd = suspect(c, p, at) ||
                       (c->flag_last[p] != NONE && at - c->flag_last[p] <= c->o.suspect_min);
            if (odd) to_maintenance(c, p, at, TRIG_REROUTED);
            else to_operator(c, &c->ws, p, at, true);
        }
    }
    return 0;
}

static int worksafe_reading(ctx *c, int p, int32_t m, double v)
{
    int64_t t = T0_MS + (int64_t)m * MIN_MS;
    det_state *ds = &c->det[p];
    double base_before = ds->drift_base;
    det_out d = det_step(ds, (double)t / 1000.0, v);
    if (isnan(c->ref[p]) && ds->n == DET_DRIFT_LEARN + 1) c->ref[p] = ds->drift_base;
    /* A drift step back toward the learnt level is the level's return after
     * a real disturbance or a recalibration, not a fault: counted, no ticket. */
    if ((d.flags & DET_DRIFT) && !isnan(c->ref[p]) &&
        fabs(ds->drift_base - c->ref[p]) < fabs(base_before - c->ref[p])) {
        d.flags &= ~(unsigned)DET_DRIFT;
        c->ws.r->drift_returns++;
    }
    if (d.flags & DET_STUCK) {
        if (c->stuck_last[p] != m - 1) to_maintenance(c, p, m, TRIG_STUCK);
        c->stuck_last[p] = m;
    }
    if (d.flags & DET_DRIFT) to_maintenance(c, p, m, TRIG_DRIFT);
    if (d.flags & DET_DROPOUT) to_maintenance(c, p, m, TRIG_DROPOUT); /* usually stale's open ticket */
    if (d.flags & (DET_STUCK | DET_DRIFT | DET_SPIKE)) c->flag_last[p] = m;
    int n = 0;
    if (d.flags & DET_SPIKE) {
        if (m > 0) { /* the spike was the previous reading */
            const pg_point *pt = &c->pl->pts[p];
            for (int i = 0; i < pt->nev; i++)
                if (pt->ev[i].type == PG_SPIKE && pt->ev[i].start == m - 1) c->found[c->ev0[p] + i] = 1;
        }
        if (rule_on_fact_event(c->eng, "sensor_spike", p + 1, c->rp[p].unit_id, t, c->rev,
                               RULE_READING_EVENTS, &n)) {
            fprintf(stderr, "rule_on_fact_event: %s\n", ws_err_message());
            return -1;
        }
        handle_rule_events(c, m, c->rev, n);
    }
    if (rule_on_reading(c->eng, &c->rp[p], t, v, THR_Q_GOOD, c->rev, RULE_READING_EVENTS, &n)) {
        fprintf(stderr, "rule_on_reading: %s (%s)\n", ws_err_message(), ws_err_field());
        return -1;
    }
    handle_rule_events(c, m, c->rev, n);
    thr_event te[THR_MAX_EVENTS];
    thr_eval(&c->thr[p], &c->ts[p], t, v, THR_Q_GOOD, te, &n);
    for (int i = 0; i < n; i++) {
        if (!te[i].raised) continue;
        int cond = te[i].cond;
        if (cond != THR_LL && cond != THR_L && cond != THR_H && cond != THR_HH) continue;
        if (suspect(c, p, m)) to_maintenance(c, p, m, TRIG_REROUTED);
        else to_operator(c, &c->ws, p, m, false);
    }
    return 0;
}

/* ------------------------------------------------------------- summaries */

static int cmp_int(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static double pct(const int32_t *v, int n, double q)
{
    if (n == 0) return NAN;
    int i = (int)ceil(q * n) - 1;
    if (i < 0) i = 0;
    if (i >= n) i = n - 1;
    return v[i];
}

static void summarise(ctx *c, acc *a, int32_t *tmp)
{
    ns_result *r = a->r;
    r->excursions = c->nexc;
    int n = 0, nl = 0, ng = 0, nf = 0;
    int32_t *lead = tmp + c->nexc, *gas = tmp + 2 * c->nexc, *first = tmp + 3 * c->nexc;
    double sum = 0;
    for (int k = 0; k < c->nexc; k++) {
        if (a->first_alarm[k] == NONE) continue;
        int32_t d = a->first_alarm[k] - c->exc_start[k];
        if (d < 0) { r->caught_before_start++; d = 0; }
        sum += d;
        if (c->exc_gas[k]) gas[ng++] = d;
        tmp[n++] = d;
        int32_t f = a->first_alarm[k];
        if (a->first_notice[k] != NONE && a->first_notice[k] < a->first_alarm[k]) {
            lead[nl++] = a->first_alarm[k] - a->first_notice[k];
            f = a->first_notice[k];
        }
        first[nf++] = f - c->exc_start[k];
    }
    r->caught = n;
    r->missed = c->nexc - n;
    r->catch_mean_min = n ? sum / n : NAN;
    qsort(gas, (size_t)ng, sizeof *gas, cmp_int);
    r->catch_median_gas_min = pct(gas, ng, 0.5);
    r->catch_gas = ng;
    qsort(first, (size_t)nf, sizeof *first, cmp_int);
    r->first_median_min = pct(first, nf, 0.5);
    /* the process points' excursions: the caught ones that are not gas */
    for (int k = 0, j = 0; k < c->nexc; k++)
        if (a->first_alarm[k] != NONE && !c->exc_gas[k]) {
            int32_t d = a->first_alarm[k] - c->exc_start[k];
            gas[j++] = d < 0 ? 0 : d;
        }
    qsort(gas, (size_t)(n - ng), sizeof *gas, cmp_int);
    r->catch_median_process_min = pct(gas, n - ng, 0.5);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_int);
    r->catch_median_min = pct(tmp, n, 0.5);
    r->catch_p90_min = pct(tmp, n, 0.9);
    r->catch_max_min = n ? tmp[n - 1] : NAN;
    qsort(lead, (size_t)nl, sizeof *lead, cmp_int);
    r->notice_first = nl;
    r->notice_lead_median_min = pct(lead, nl, 0.5);
    long tot = 0, tot_all = 0, flood = 0, cells = (long)c->nops * c->nwin;
    for (long i = 0; i < cells; i++) {
        tot += a->per10[i];
        tot_all += a->per10_all[i];
        if (a->per10[i] > r->per10_max) r->per10_max = a->per10[i];
        if (a->per10_all[i] > r->per10_max_all) r->per10_max_all = a->per10_all[i];
        flood += a->per10[i] > 10;
    }
    r->operators = c->nops;
    r->per10_mean = (double)tot / (double)cells;
    r->per10_mean_all = (double)tot_all / (double)cells;
    r->flood_share = (double)flood / (double)cells;
}

static void *zalloc(size_t n, size_t size, int *bad)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) *bad = 1;
    return p;
}

int ns_run(pg_plant *pl, const ns_options *o, ns_result *rb, ns_result *rw)
{
    ctx cx, *c = &cx;
    memset(c, 0, sizeof *c);
    memset(rb, 0, sizeof *rb);
    memset(rw, 0, sizeof *rw);
    c->pl = pl;
    c->o = *o;
    int np = pl->npoints, bad = 0, rc = -1;
    c->nops = (np + o->points_per_operator - 1) / o->points_per_operator;
    c->nwin = (pl->minutes + 9) / 10;
    acc *as[2] = {&c->base, &c->ws};
    ns_result *rs[2] = {rb, rw};
    int32_t *tmp = NULL;
    rule_set *set = NULL;
    c->exc0 = zalloc((size_t)np, sizeof *c->exc0, &bad);
    c->ev0 = zalloc((size_t)np, sizeof *c->ev0, &bad);
    if (bad) goto out_tmp;
    for (int p = 0; p < np; p++) {
        c->exc0[p] = c->nexc;
        c->ev0[p] = c->nev;
        for (int i = 0; i < pl->pts[p].nev; i++) {
            c->nexc += pl->pts[p].ev[i].type == PG_EXCURSION;
            rw->faults[pl->pts[p].ev[i].type]++;
        }
        c->nev += pl->pts[p].nev;
    }
    memcpy(rb->faults, rw->faults, sizeof rb->faults);
    c->exc_start = zalloc((size_t)c->nexc, sizeof *c->exc_start, &bad);
    c->exc_gas = zalloc((size_t)c->nexc, 1, &bad);
    c->found = zalloc((size_t)c->nev, 1, &bad);
    for (int s = 0; s < 2; s++) {
        as[s]->r = rs[s];
        as[s]->first_alarm = zalloc((size_t)c->nexc, sizeof(int32_t), &bad);
        as[s]->first_notice = zalloc((size_t)c->nexc, sizeof(int32_t), &bad);
        as[s]->per10 = zalloc((size_t)c->nops * (size_t)c->nwin, sizeof(int32_t), &bad);
        as[s]->per10_all = zalloc((size_t)c->nops * (size_t)c->nwin, sizeof(int32_t), &bad);
    }
    c->thr = zalloc((size_t)np, sizeof *c->thr, &bad);
    c->ts = zalloc((size_t)np, sizeof *c->ts, &bad);
    c->det = zalloc((size_t)np, sizeof *c->det, &bad);
    c->flat = zalloc((size_t)np, 1, &bad);
    c->stuck_last = zalloc((size_t)np, sizeof(int32_t), &bad);
    c->flag_last = zalloc((size_t)np, sizeof(int32_t), &bad);
    c->maint_last = zalloc((size_t)np, sizeof(int32_t), &bad);
    c->ref = zalloc((size_t)np, sizeof(double), &bad);
    c->tags = zalloc((size_t)np, sizeof *c->tags, &bad);
    c->rp = zalloc((size_t)np, sizeof *c->rp, &bad);
    c->rev = zalloc(RULE_READING_EVENTS, sizeof *c->rev, &bad);
    c->bstate = zalloc((size_t)np, 1, &bad);
    tmp = zalloc(4 * (size_t)c->nexc + 1, sizeof(int32_t), &bad);
    set = zalloc(1, sizeof *set, &bad);
    if (bad) { fprintf(stderr, "nsys: out of memory\n"); goto out_tmp; }
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < c->nexc; k++) as[s]->first_alarm[k] = as[s]->first_notice[k] = NONE;
    for (int p = 0, k = 0; p < np; p++)
        for (int i = 0; i < pl->pts[p].nev; i++)
            if (pl->pts[p].ev[i].type == PG_EXCURSION) {
                c->exc_gas[k] = pl->pts[p].kind <= PG_OXYGEN;
                c->exc_start[k++] = pl->pts[p].ev[i].start;
            }

    det_params dp = det_params_default();
    for (int p = 0; p < np; p++) {
        const pg_point *pt = &pl->pts[p];
        limit_config(pt, &c->thr[p]);
        if (thr_config_check(&c->thr[p])) {
            fprintf(stderr, "point %d: %s (%s)\n", p + 1, ws_err_message(), ws_err_field());
            goto out_tmp;
        }
        thr_state_init(&c->ts[p]);
        det_init(&c->det[p], &dp);
        det_set_range(&c->det[p], pt->lo, pt->hi);
        c->stuck_last[p] = c->flag_last[p] = c->maint_last[p] = NONE;
        c->ref[p] = NAN;
        snprintf(c->tags[p], sizeof c->tags[p], "P%05d", p + 1);
        c->rp[p] = (rule_point){p + 1, p / o->points_per_operator + 1, 0, "/1/",
                                pg_kind_name(pt->kind), c->tags[p], pt->res, pt->lo, pt->hi};
    }
    if (rule_set_parse(RULES, sizeof RULES - 1, set)) {
        fprintf(stderr, "rule set: %s (%s)\n", ws_err_message(), ws_err_field());
        goto out_tmp;
    }
    rule_engine_config ec = {(size_t)np + 16, 4 * ((size_t)np + 16), 16, (size_t)np + 16, 16,
                             (size_t)np + 16};
    if (rule_engine_init(set, &ec, &c->eng)) {
        fprintf(stderr, "rule engine: %s (%s)\n", ws_err_message(), ws_err_field());
        goto out_tmp;
    }
    for (int p = 0; p < np; p++)
        if (rule_track(c->eng, &c->rp[p], T0_MS)) {
            fprintf(stderr, "rule_track: %s\n", ws_err_message());
            goto out_eng;
        }

    /* Time-major in blocks of NS_BLOCK minutes: each point's readings of the
     * block, then the timer once for each minute of it. Points are
     * independent, and a stale raise carries last reading + max_gap
     * whatever the tick's phase; a block shorter than the shortest dropout
     * (10 min) minus max_gap keeps every stale raise before the point's
     * return. The block keeps a point's state in cache for 5 readings. */
    for (int32_t m0 = 0; m0 < pl->minutes; m0 += NS_BLOCK) {
        int32_t m1 = m0 + NS_BLOCK < pl->minutes ? m0 + NS_BLOCK : pl->minutes;
        for (int p = 0; p < np; p++)
            for (int32_t m = m0; m < m1; m++) {
                double v;
                if (!pg_reading(pl, p, m, &v, NULL, NULL)) continue;
                baseline_reading(c, p, m, v);
                if (worksafe_reading(c, p, m, v)) goto out_eng;
            }
        for (int32_t m = m0; m < m1; m++) {
            int n;
            do {
                if (rule_on_tick(c->eng, T0_MS + (int64_t)m * MIN_MS, c->rev, RULE_READING_EVENTS, &n)) {
                    fprintf(stderr, "rule_on_tick: %s\n", ws_err_message());
                    goto out_eng;
                }
                handle_rule_events(c, m, c->rev, n);
            } while (n == RULE_READING_EVENTS);
        }
    }
    for (int s = 0; s < 2; s++) summarise(c, as[s], tmp);
    for (int p = 0; p < np; p++)
        for (int i = 0; i < pl->pts[p].nev; i++)
            if (c->found[c->ev0[p] + i]) rw->faults_found[pl->pts[p].ev[i].type]++;
    rc = 0;
out_eng:
    rule_engine_free(c->eng);
out_tmp:
    free(tmp);
    free(set);
    for (int s = 0; s < 2; s++) {
        free(as[s]->first_alarm);
        free(as[s]->first_notice);
        free(as[s]->per10);
        free(as[s]->per10_all);
    }
    free(c->exc0); free(c->ev0); free(c->exc_start); free(c->exc_gas); free(c->found);
    free(c->thr); free(c->ts); free(c->det); free(c->flat);
    free(c->stuck_last); free(c->flag_last); free(c->maint_last); free(c->ref);
    free(c->tags); free(c->rp); free(c->rev); free(c->bstate);
    return rc;
}
