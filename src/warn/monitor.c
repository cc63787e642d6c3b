/* monitor.c — process monitors (多变量过程监控, warn.h): a unit's correlated
 * points watched together by anomaly/mvmon.
 *
 *  - Training (warn_monitor_create): the 1-minute means of the points over
 *    a window of normal operation, read from the series store (the same
 *    1-minute buckets the trend charts show). A point without a reading in
 *    a minute keeps its last mean for up to its hold: WARN_MON_HOLD
 *    minutes, or twice the sampling interval of a point sampled less often
 *    (an analyser every 15 minutes holds 30: sample and hold, as a DCS
 *    shows it), the interval being the median gap between its minutes in
 *    the window. Minutes in which some point has no value are left out,
 *    and with a run condition (运行工况: a point's mean inside a range),
 *    the minutes in which the unit does not run. The run point's value
 *    stands until it changes (RUN_HOLD_MIN), read back from before the
 *    minutes judged when there is none: a state may report only on change.
 *    The matrix and the holds are stored with the monitor (migrations 26,
 *    27) and the model is refitted from them at every start: mvmon's fit
 *    is deterministic, so the model is the same one.
 *  - Judging (monitor_tick, from warn_tick): minute M of a monitor is judged
 *    once every point that is still reporting (a reading arrived in the last
 *    LIVE_MS) has a reading of a later minute — so the minute is complete,
 *    whether the data is live or a back-fill of the last hours. Held points
 *    (a hold over WARN_MON_HOLD) are not waited for: their last sample
 *    stands, and a sample that arrives after its minute was judged is
 *    picked up for the minutes after, within its hold. The means come from
 *    the series store after ingest's appends have drained (the append_mu
 *    barrier below). The same carry-forward fills a gap; a minute still
 *    missing a value is no verdict (state no_data) and restarts the model's
 *    lag history; so is a minute in which the unit does not run (state
 *    idle), which counts as normal for clearing an alarm that is up.
 *  - The alarm (rule WARN_RULE_MVMON, source = the monitor): raised when the
 *    group has been outside its normal region on_delay_min minutes in a row,
 *    with the three largest contributors in its title; cleared after
 *    CLEAR_MIN normal minutes. Its time is the end of the minute judged.
 *
 * After a restart the model's history (lags, EWMA) is rebuilt by judging
 * the last WARM_MIN minutes again without moving the alarm; the alarm's
 * state comes from the alarm table, which survives the restart.
 *
 *     waiting ──minute judged──▶ normal ◀──CLEAR_MIN normal minutes── abnormal (alarm up)
 *                                  │ ▲                                  ▲
 *                                  │ └──── a complete minute ─┐         │
 *                                  ▼                          │         │
 *                          no_data / idle ────────────────────┘   on_delay_min
 *                                                           minutes outside
 *     (idle minutes count as normal ones towards CLEAR_MIN)
 *
 * Threads: the active monitors live in w->mons under w->mon_mu; judging
 * holds it and takes w->mu and w->append_mu only briefly, one at a time
 * (lock order mon_mu, then mu). Nothing here runs on the ingest path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/mvmon.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/q_monitor.h"
#include "telemetry/point.h"
#include "warn/warn_int.h"

#define MINUTE SERIES_MINUTE_MS
#define CLEAR_MIN 5          /* normal minutes in a row that clear the alarm */
#define WARM_MIN 60          /* minutes judged again after a restart, the alarm left alone */
#define CATCHUP_MIN 1440     /* at most a day judged at once (a back-fill); older minutes are skipped */
#define LIVE_MS (5 * MINUTE) /* a point silent longer does not hold the monitor's minutes back */
/* A run point's value stands until it changes, a week at most: a state
 * (运行/停车) may be reported only on change, as Sparkplug B does. */
#define RUN_HOLD_MIN (7 * 1440)
/* At least a day of complete minutes: a plant's load, ambient temperature
 * and shift pattern run on a daily cycle, and a model that has not seen a
 * whole one takes the rest of the day for a departure (a monitor trained on
 * 6.5 hours of a daily cycle was outside its limits 24 % of the next days'
 * minutes; on a day, 1.8 %; on six, 0.2 %). */
#define TRAIN_SAMPLES_MIN 1440
#define TRAIN_SPAN_MIN (24 * SERIES_HOUR_MS)
/* The limits. The bench's 99 % is per sample: judged every minute it puts a
 * normal unit over its limit some 14 minutes a day, and the EWMA holds each
 * excursion for several: a nuisance alarm or more a day. The held-out
 * minutes cannot show a rarer quantile (EWMA statistics of 1,440 minutes are
 * a few hundred independent windows; an empirical 99.9 % limit still gave
 * 0.3 false alarms a day on the demo's reactor), so each statistic's limit is
 * the 99.99 % point of a scaled χ² fitted to its held-out values (mvmon
 * opts.tail): 0.1 a day there, and its two real departures raised as fast
 * (the 2nd minute either way). */
#define ALPHA 0.9999
#define TRAIN_SPAN_MAX (14 * 24 * SERIES_HOUR_MS)

struct wmon {
    int64_t id, unit_id;
    char unit_path[128];
    char name[WARN_MON_NAME_MAX + 1];
    int level, on_delay, np;
    int ncol;                           /* np, and the run point's column at np when it has one */
    int64_t pid[WARN_MON_POINTS_MAX + 1];
    double run_min, run_max;            /* the run condition on column np (NaN: open) */
    mvmon *m;
    int64_t next;       /* start of the next minute to judge */
    int64_t live_from;  /* minutes before only warm the model (a restart) */
    int hold[WARN_MON_POINTS_MAX + 1];        /* minutes carry[j] stands in for (warn_monitor.hold_min) */
    double carry[WARN_MON_POINTS_MAX + 1];
    int64_t carry_t[WARN_MON_POINTS_MAX + 1]; /* the minute of carry[j]; 0 none */
    int above, below;   /* minutes in a row outside / inside */
    bool on;            /* its alarm is up */
    warn_mon_state state;
    int64_t last_minute, missing;
    double ratio, contrib[WARN_MON_POINTS_MAX];
    int hist_n, hist_head; /* ring of the last WARN_MON_HIST minutes */
    int64_t hist_t[WARN_MON_HIST];
    float hist_r[WARN_MON_HIST];
};

static const audit_col mon_cols[] = {
    {"id", AC_INT}, {"unit_id", AC_INT}, {"name", AC_TEXT}, {"comment", AC_TEXT}, {"level", AC_INT},
    {"on_delay_min", AC_INT}, {"point_ids", AC_TEXT}, {"train_from", AC_INT}, {"train_to", AC_INT},
    {"samples", AC_INT}, {"train", AC_BLOB}, {"created_by_person_id", AC_INT}, {"created_at", AC_INT},
    {"active", AC_INT}, {"deactivated_at", AC_INT}, {"hold_min", AC_TEXT}, {"run_point_id", AC_INT},
    {"run_min", AC_REAL}, {"run_max", AC_REAL},
};
const audit_entity WARN_ENTITY_MONITOR = {"process_monitor", "process_monitors", mon_cols,
                                          (int)(sizeof mon_cols / sizeof mon_cols[0])};

static void wmon_free(struct wmon *mo)
{
    if (!mo) return;
    mvmon_free(mo->m);
    free(mo);
}

void monitor_free_all(warn *w)
{
    for (int i = 0; i < w->nmons; i++) wmon_free(w->mons[i]);
    w->nmons = 0;
}

/* ------------------------------------------------------------ the data */

/* The mean of point pid over each minute [from + i·MINUTE, +MINUTE), i < nmin,
 * into out[i·stride] (NaN: no finite reading). sbuf and cnt have room for
 * nmin. The history read returns raw readings or 1-minute buckets, which are
 * binned alike. */
static ws_err minute_means(series *s, int64_t pid, int64_t from, int nmin, series_sample *sbuf,
                           double *cnt, double *out, int stride)
{
    size_t n = 0;
    ws_err rc = series_history(s, pid, from, from + nmin * MINUTE, (size_t)nmin, sbuf, &n, NULL);
    if (rc) return rc;
    for (int i = 0; i < nmin; i++) out[(size_t)i * stride] = 0, cnt[i] = 0;
    for (size_t k = 0; k < n; k++) {
        if (sbuf[k].n <= 0 || !isfinite(sbuf[k].avg) || sbuf[k].t < from) continue;
        int64_t i = (sbuf[k].t - from) / MINUTE;
        if (i >= nmin) continue;
        out[(size_t)i * stride] += sbuf[k].avg * (double)sbuf[k].n;
        cnt[i] += (double)sbuf[k].n;
    }
    for (int i = 0; i < nmin; i++) out[(size_t)i * stride] = cnt[i] > 0 ? out[(size_t)i * stride] / cnt[i] : NAN;
    return WS_OK;
}

/* A minute's values of the monitor's columns (row: ncol means) with the
 * carry-forward; the index of a column still without one, or -1. */
static int fill_minute(struct wmon *mo, const double *row, int64_t t, double *x)
{
    int missing = -1;
    for (int j = 0; j < mo->ncol; j++) {
        if (isfinite(row[j])) {
            mo->carry[j] = row[j];
            mo->carry_t[j] = t;
        }
        if (mo->carry_t[j] && t - mo->carry_t[j] <= mo->hold[j] * MINUTE) x[j] = mo->carry[j];
        else if (missing < 0) missing = j;
    }
    return missing;
}

/* The minute means of np points over [from, from + nmin minutes), row-major
 * (minute i, point j at [i·np + j]); the caller frees. NULL with *rc set when
 * the series store fails or memory runs out. */
static double *points_minutes(series *s, const int64_t *pid, int np, int64_t from, int nmin, ws_err *rc)
{
    double *vals = malloc((size_t)nmin * (size_t)np * sizeof *vals), *cnt = malloc((size_t)nmin * sizeof *cnt);
    series_sample *sbuf = malloc((size_t)nmin * sizeof *sbuf);
    *rc = vals && cnt && sbuf ? WS_OK : ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (int j = 0; !*rc && j < np; j++) *rc = minute_means(s, pid[j], from, nmin, sbuf, cnt, vals + j, np);
    free(cnt), free(sbuf);
    if (*rc) {
        free(vals);
        return NULL;
    }
    return vals;
}

/* Whether the unit runs in minute x (its columns' values): the run point
 * inside [run_min, run_max], or no run condition. */
static bool running(const struct wmon *mo, const double *x)
{
    if (mo->ncol == mo->np) return true;
    double v = x[mo->np];
    return (isnan(mo->run_min) || v >= mo->run_min) && (isnan(mo->run_max) || v <= mo->run_max);
}

#define MINUTE_IDLE (-2)
/* Minute t of mo (row: its columns' means) through the model, with the
 * carry-forward: the index of a column still without a value (no verdict;
 * the lag history restarts, as the lags need consecutive minutes),
 * MINUTE_IDLE when the unit is not running (the same), or -1 with *r
 * filled (r->ready false while the lags fill). */
static int step_minute(struct wmon *mo, const double *row, int64_t t, mvmon_result *r)
{
    double x[WARN_MON_POINTS_MAX + 1];
    int miss = fill_minute(mo, row, t, x);
    if (miss < 0 && !running(mo, x)) miss = MINUTE_IDLE;
    if (miss != -1) {
        mvmon_reset(mo->m);
        return miss;
    }
    mvmon_step(mo->m, x, r);
    return -1;
}

/* ------------------------------------------------------------ judging */

static void hist_push(struct wmon *mo, int64_t t, double ratio)
{
    int k = (mo->hist_head + mo->hist_n) % WARN_MON_HIST;
    if (mo->hist_n == WARN_MON_HIST) mo->hist_head = (mo->hist_head + 1) % WARN_MON_HIST;
    else mo->hist_n++;
    mo->hist_t[k] = t;
    mo->hist_r[k] = (float)ratio;
}

/* The alarm's title: the name and the three largest contributors, cut at
 * whole items so that it fits the alarm's 160 bytes. */
static void alarm_title(warn *w, const struct wmon *mo, char *out, size_t cap)
{
    int len = snprintf(out, cap, "多变量监控「%s」偏离正常工况", mo->name);
    if (len < 0 || (size_t)len >= cap) {
        snprintf(out, cap, "多变量监控偏离正常工况");
        return;
    }
    int order[WARN_MON_POINTS_MAX];
    for (int j = 0; j < mo->np; j++) order[j] = j;
    for (int a = 0; a < mo->np && a < 3; a++)
        for (int b = a + 1; b < mo->np; b++)
            if (mo->contrib[order[b]] > mo->contrib[order[a]]) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    pthread_mutex_lock(&w->mu);
    for (int a = 0; a < mo->np && a < 3; a++) {
        const wpoint *p = warn_find_point(w, mo->pid[order[a]]);
        char item[WS_TAG_MAX + 32];
        int il = snprintf(item, sizeof item, "%s%s %.0f%%", a ? "、" : "：主要贡献 ", p ? p->tag : "?",
                          100 * mo->contrib[order[a]]);
        if (il < 0 || (size_t)(len + il) >= cap) break;
        memcpy(out + len, item, (size_t)il + 1);
        len += il;
    }
    pthread_mutex_unlock(&w->mu);
}

static void raise_or_clear(warn *w, struct wmon *mo, bool on, int64_t at)
{
    char title[160];
    if (on) alarm_title(w, mo, title, sizeof title);
    if (warn_external_alarm(w, WARN_RULE_MVMON, mo->id, mo->unit_id, mo->level, on, on ? title : NULL, at))
        log_warn("process monitor alarm not changed", "detail", ws_err_message());
    else mo->on = on;
}

/* For each held point, its newest mean of the hold before mo->next when
 * newer than its carry: a sample that reached the store after its minute
 * was judged (an analyser reports a sample minutes after it was drawn). */
static void refresh_held(warn *w, struct wmon *mo)
{
    series_sample sbuf[WARN_MON_HOLD_MAX];
    double cnt[WARN_MON_HOLD_MAX], v[WARN_MON_HOLD_MAX];
    for (int j = 0; j < mo->np; j++) {
        int h = mo->hold[j];
        int64_t from = mo->next - h * MINUTE;
        if (h <= WARN_MON_HOLD || minute_means(w->cfg.series, mo->pid[j], from, h, sbuf, cnt, v, 1)) continue;
        int i = h - 1;
        while (i >= 0 && !isfinite(v[i])) i--;
        if (i >= 0 && from + i * MINUTE > mo->carry_t[j]) mo->carry[j] = v[i], mo->carry_t[j] = from + i * MINUTE;
    }
}

/* The run point's last reading before t into its carry when it has none
 * (a start, a restart, a replay): a state reported on change may be days
 * old. */
static void seed_run(series *s, struct wmon *mo, int64_t t)
{
    series_sample x;
    size_t n = 0;
    if (mo->ncol == mo->np || mo->carry_t[mo->np] ||
        series_history(s, mo->pid[mo->np], t - RUN_HOLD_MIN * MINUTE, t, 1, &x, &n, NULL) || !n || x.n <= 0 ||
        !isfinite(x.last))
        return;
    mo->carry[mo->np] = x.last;
    mo->carry_t[mo->np] = x.last_t - ((x.last_t % MINUTE) + MINUTE) % MINUTE;
}

/* Judge the minutes of mo before bound (a minute's start). Under w->mon_mu. */
static void judge_to(warn *w, struct wmon *mo, int64_t bound)
{
    if (bound <= mo->next) return;
    if (bound - mo->next > CATCHUP_MIN * MINUTE) {
        mo->next = bound - CATCHUP_MIN * MINUTE;
        mvmon_reset(mo->m);
    }
    refresh_held(w, mo);
    seed_run(w->cfg.series, mo, mo->next);
    int nmin = (int)((bound - mo->next) / MINUTE), np = mo->np;
    ws_err rc;
    double *vals = points_minutes(w->cfg.series, mo->pid, mo->ncol, mo->next, nmin, &rc);
    if (!vals) return; /* the series store is failing (its own alarm says so): later */
    for (int i = 0; i < nmin; i++) {
        int64_t t = mo->next + i * MINUTE;
        mvmon_result r;
        int miss = step_minute(mo, vals + (size_t)i * mo->ncol, t, &r);
        if (miss == MINUTE_IDLE) { /* nothing to judge: an alarm up clears as after normal minutes */
            mo->state = WARN_MON_IDLE;
            mo->last_minute = t;
            mo->missing = 0;
            mo->below++, mo->above = 0;
            if (t >= mo->live_from && mo->on && mo->below >= CLEAR_MIN) raise_or_clear(w, mo, false, t + MINUTE);
            continue;
        }
        if (miss >= 0) {
            mo->state = WARN_MON_NO_DATA;
            mo->missing = mo->pid[miss];
            mo->last_minute = t;
            continue;
        }
        if (!r.ready) continue;
        double c[WARN_MON_POINTS_MAX], sum = 0;
        mvmon_contrib(mo->m, c);
        for (int j = 0; j < np; j++) sum += c[j] > 0 ? c[j] : 0;
        for (int j = 0; j < np; j++) mo->contrib[j] = sum > 0 && c[j] > 0 ? c[j] / sum : 0;
        mo->ratio = r.phi_lim > 0 ? r.phi / r.phi_lim : 0;
        mo->last_minute = t;
        mo->missing = 0;
        hist_push(mo, t, mo->ratio);
        if (r.alarm) mo->above++, mo->below = 0;
        else mo->below++, mo->above = 0;
        if (t >= mo->live_from) {
            if (!mo->on && mo->above >= mo->on_delay) raise_or_clear(w, mo, true, t + MINUTE);
            else if (mo->on && mo->below >= CLEAR_MIN) raise_or_clear(w, mo, false, t + MINUTE);
        }
        mo->state = mo->on ? WARN_MON_ABNORMAL : WARN_MON_NORMAL;
    }
    mo->next = bound;
    free(vals);
}

/* Judge the minutes of mo that are complete: before the newest minute of
 * its slowest point still reporting, held points aside (unless it has only
 * held ones). Under w->mon_mu. */
static void judge(warn *w, struct wmon *mo, int64_t now)
{
    int64_t bound = INT64_MAX, held = INT64_MAX;
    pthread_mutex_lock(&w->mu);
    for (int j = 0; j < mo->ncol; j++) {
        const wpoint *p = warn_find_point(w, mo->pid[j]);
        int64_t live = mo->hold[j] > WARN_MON_HOLD ? mo->hold[j] * MINUTE : LIVE_MS;
        if (!p || !p->last_arrival_ms || now - p->last_arrival_ms > live) continue;
        int64_t m0 = p->last_src_ms - ((p->last_src_ms % MINUTE) + MINUTE) % MINUTE;
        int64_t *b = mo->hold[j] > WARN_MON_HOLD ? &held : &bound;
        if (m0 < *b) *b = m0;
    }
    pthread_mutex_unlock(&w->mu);
    if (bound == INT64_MAX) bound = held;
    if (bound == INT64_MAX || bound <= mo->next) return;
    /* a batch takes append_mu before it lets go of mu: once we hold it, the
     * appends of every reading seen above are in the series store */
    pthread_mutex_lock(&w->append_mu);
    pthread_mutex_unlock(&w->append_mu);
    judge_to(w, mo, bound);
}

void monitor_judge_until(warn *w, int64_t id, int64_t until)
{
    pthread_mutex_lock(&w->mon_mu);
    for (int i = 0; i < w->nmons; i++)
        if (w->mons[i]->id == id) judge_to(w, w->mons[i], until - ((until % MINUTE) + MINUTE) % MINUTE);
    pthread_mutex_unlock(&w->mon_mu);
}

void monitor_tick(warn *w, int64_t now)
{
    if (!w->cfg.series) return;
    pthread_mutex_lock(&w->mon_mu);
    if (now - w->last_mon_ms >= 1000) {
        w->last_mon_ms = now;
        for (int i = 0; i < w->nmons; i++) judge(w, w->mons[i], now);
    }
    pthread_mutex_unlock(&w->mon_mu);
}

/* ------------------------------------------------------------ rows */

static ws_err parse_ids(const char *s, warn_monitor *v)
{
    v->npoints = 0;
    while (*s && v->npoints < WARN_MON_POINTS_MAX) {
        char *end;
        long long id = strtoll(s, &end, 10);
        if (end == s || id <= 0) break;
        v->point_ids[v->npoints++] = id;
        s = *end == ',' ? end + 1 : end;
    }
    if (*s || v->npoints < WARN_MON_POINTS_MIN) return ws_fail(WS_ECORRUPT, "point_ids", "a stored monitor's points do not parse");
    return WS_OK;
}

/* The stored holds ("5,5,30"; NULL: every point the default) into v. */
static ws_err parse_holds(const char *s, warn_monitor *v)
{
    for (int j = 0; j < v->npoints; j++) {
        char *end = NULL;
        long h = s ? strtol(s, &end, 10) : WARN_MON_HOLD;
        if (s && (end == s || h < WARN_MON_HOLD || h > WARN_MON_HOLD_MAX || (*end != ',' && *end)))
            return ws_fail(WS_ECORRUPT, "hold_min", "a stored monitor's holds do not parse");
        v->hold_min[j] = (int)h;
        if (s) s = *end == ',' ? end + 1 : end;
    }
    if (s && *s) return ws_fail(WS_ECORRUPT, "hold_min", "a stored monitor's holds do not parse");
    return WS_OK;
}

/* A row (q_monitor.h's column order) into v; with train, the matrix too
 * (*train the caller's). */
static ws_err read_row(store_stmt *st, warn_monitor *v, double **train)
{
    memset(v, 0, sizeof *v);
    v->id = store_col_int(st, 0);
    v->unit_id = store_col_int(st, 1);
    snprintf(v->name, sizeof v->name, "%s", store_col_text(st, 2));
    snprintf(v->comment, sizeof v->comment, "%s", store_col_text(st, 3));
    v->level = (int)store_col_int(st, 4);
    v->on_delay_min = (int)store_col_int(st, 5);
    ws_err rc = parse_ids(store_col_text(st, 6), v);
    v->train_from = store_col_int(st, 7);
    v->train_to = store_col_int(st, 8);
    v->samples = (int)store_col_int(st, 9);
    v->created_by_person_id = store_col_opt_int(st, 10);
    v->created_at = store_col_int(st, 11);
    v->active = store_col_int(st, 12) != 0;
    v->deactivated_at = store_col_opt_int(st, 13);
    snprintf(v->unit_path, sizeof v->unit_path, "%s", store_col_text(st, 14));
    if (!rc) rc = parse_holds(store_col_null(st, 15) ? NULL : store_col_text(st, 15), v);
    v->run_point_id = store_col_opt_int(st, 16);
    v->run_min = store_col_opt_double(st, 17);
    v->run_max = store_col_opt_double(st, 18);
    v->state = v->active ? WARN_MON_WAITING : WARN_MON_INACTIVE;
    if (rc || !train) return rc;
    size_t len = 0;
    const void *blob = store_col_blob(st, 19, &len);
    size_t want = (size_t)v->samples * (size_t)v->npoints * sizeof(double);
    if (v->samples <= 0 || len != want) return ws_fail(WS_ECORRUPT, "train", "a stored monitor's training data is damaged");
    if (!(*train = malloc(len))) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    memcpy(*train, blob, len); /* little-endian hosts only, as the series chunks */
    return WS_OK;
}

/* The engine's side of a monitor from its row and training matrix. */
static ws_err wmon_new(const warn_monitor *v, const double *train, struct wmon **out)
{
    struct wmon *mo = calloc(1, sizeof *mo);
    if (!mo) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    mo->id = v->id;
    mo->unit_id = v->unit_id;
    warn_copy_trunc(mo->unit_path, sizeof mo->unit_path, v->unit_path);
    snprintf(mo->name, sizeof mo->name, "%s", v->name);
    mo->level = v->level;
    mo->on_delay = v->on_delay_min;
    mo->np = mo->ncol = v->npoints;
    memcpy(mo->pid, v->point_ids, sizeof v->point_ids);
    memcpy(mo->hold, v->hold_min, sizeof v->hold_min);
    if (v->run_point_id > 0) {
        mo->pid[mo->ncol] = v->run_point_id;
        mo->hold[mo->ncol++] = RUN_HOLD_MIN;
    }
    mo->run_min = v->run_min, mo->run_max = v->run_max;
    mvmon_opts o = mvmon_opts_default();
    o.alpha = ALPHA;
    o.tail = true;
    ws_err rc = mvmon_train(train, (size_t)v->samples, (size_t)v->npoints, &o, &mo->m);
    if (rc) {
        free(mo);
        return rc;
    }
    mo->state = WARN_MON_WAITING;
    *out = mo;
    return WS_OK;
}

ws_err monitor_load(warn *w)
{
    store_conn *c = NULL;
    ws_err rc = store_acquire(w->cfg.db, &c);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    int64_t now = clock_now_ms(), minute = now - now % MINUTE;
    rc = store_prepare(c, Q_MONITOR_ACTIVE, &st);
    while (!rc && !(rc = store_step(st, &row)) && row && w->nmons < WARN_MON_MAX) {
        warn_monitor v;
        double *train = NULL;
        struct wmon *mo = NULL;
        ws_err e = read_row(st, &v, &train);
        if (!e) e = wmon_new(&v, train, &mo);
        free(train);
        if (e) { /* the others still run */
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)v.id);
            log_warn("process monitor not started", "id", id);
            continue;
        }
        mo->next = minute - WARM_MIN * MINUTE;
        mo->live_from = minute - MINUTE;
        pthread_mutex_lock(&w->mu);
        const alarm *a = alarm_table_get(w->alarms, WARN_RULE_MVMON, mo->id);
        mo->on = a && a->active;
        pthread_mutex_unlock(&w->mu);
        if (mo->on) mo->above = mo->on_delay;
        w->mons[w->nmons++] = mo;
    }
    store_finalize(st);
    store_release(c);
    return rc;
}

/* Copy the engine's status of monitor v->id into v. Under w->mon_mu. */
static void status_of(warn *w, warn_monitor *v)
{
    for (int i = 0; i < w->nmons; i++) {
        const struct wmon *mo = w->mons[i];
        if (mo->id != v->id) continue;
        v->state = mo->state;
        v->components = (int)mvmon_ncomp(mo->m);
        v->last_minute = mo->last_minute;
        v->ratio = mo->ratio;
        v->missing_point_id = mo->missing;
        memcpy(v->contrib, mo->contrib, sizeof v->contrib);
        v->nhist = mo->hist_n;
        for (int k = 0; k < mo->hist_n; k++) {
            int at = (mo->hist_head + k) % WARN_MON_HIST;
            v->hist_t[k] = mo->hist_t[at];
            v->hist_ratio[k] = mo->hist_r[at];
        }
        return;
    }
}

ws_err warn_monitor_get(warn *w, store_conn *c, int64_t id, warn_monitor *out)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_MONITOR_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such process monitor");
    if (!rc) rc = read_row(st, out, NULL);
    store_finalize(st);
    if (rc || !w) return rc;
    pthread_mutex_lock(&w->mon_mu);
    status_of(w, out);
    pthread_mutex_unlock(&w->mon_mu);
    return WS_OK;
}

ws_err warn_monitor_list(warn *w, store_conn *c, const char *scope_path, int64_t unit_id, int active,
                         warn_monitor **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    size_t cap = 8, k = 0;
    warn_monitor *a = malloc(cap * sizeof *a);
    if (!a) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_MONITOR_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, scope_path ? scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, unit_id);
    if (!rc) rc = store_bind_int(st, 3, active);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (k == cap) {
            warn_monitor *p = realloc(a, cap * 2 * sizeof *a);
            if (!p) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            a = p;
            cap *= 2;
        }
        rc = read_row(st, &a[k++], NULL);
    }
    store_finalize(st);
    if (rc) {
        free(a);
        return rc;
    }
    if (w) {
        pthread_mutex_lock(&w->mon_mu);
        for (size_t i = 0; i < k; i++) status_of(w, &a[i]);
        pthread_mutex_unlock(&w->mon_mu);
    }
    *items = a;
    *n = k;
    return WS_OK;
}

ws_err warn_monitors_under(warn *w, const char *unit_path, int64_t now_ms, warn_monitor_score *out, int cap,
                           int *n)
{
    *n = 0;
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    size_t plen = strlen(unit_path);
    pthread_mutex_lock(&w->mon_mu);
    for (int i = 0; i < w->nmons && *n < cap; i++) {
        const struct wmon *mo = w->mons[i];
        bool judged = mo->state == WARN_MON_NORMAL || mo->state == WARN_MON_ABNORMAL;
        if (strncmp(mo->unit_path, unit_path, plen) || !judged || now_ms - mo->last_minute > 10 * MINUTE) continue;
        int top = 0;
        for (int j = 1; j < mo->np; j++)
            if (mo->contrib[j] > mo->contrib[top]) top = j;
        warn_monitor_score *x = &out[(*n)++];
        x->id = mo->id;
        x->score = mo->ratio > 0 ? mo->ratio / (1 + mo->ratio) : 0;
        pthread_mutex_lock(&w->mu);
        const wpoint *p = warn_find_point(w, mo->pid[top]);
        warn_copy_trunc(x->top, sizeof x->top, p ? p->tag : "?");
        pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_unlock(&w->mon_mu);
    return WS_OK;
}

/* ------------------------------------------------------------ create */

static ws_err check_text(const char *s, size_t max, bool required, const char *field)
{
    size_t n = s ? strlen(s) : 0;
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s must not contain control characters", field);
        if (s[i] != ' ') blank = false;
    }
    if (required && blank) return ws_fail(WS_EINVAL, field, "%s is required", field);
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    if (!org_utf8_valid(s ? s : "", n)) return ws_fail(WS_EINVAL, field, "%s is not valid UTF-8", field);
    return WS_OK;
}

/* Point id, active, in u's subtree; WS_EINVAL naming field otherwise (an
 * unknown point and one out of scope read alike). */
static ws_err unit_point(store_conn *c, int64_t id, const org_unit *u, const char *field)
{
    point p;
    ws_err rc = id > 0 ? point_get(c, id, &p) : WS_ENOTFOUND;
    if (rc == WS_ENOTFOUND || (!rc && strncmp(p.unit_path, u->path, strlen(u->path))))
        return ws_fail(WS_EINVAL, field, "no such point in the unit");
    if (rc) return rc;
    if (!p.active) return ws_fail(WS_EINVAL, field, "the point %s is deactivated", p.tag);
    return WS_OK;
}

/* The request, checked against the register: the unit in the caller's
 * scope, every point in the unit's subtree (an unknown point and one out of
 * scope read alike). */
static ws_err check_in(store_conn *c, const org_caller *by, const warn_monitor_in *in, org_unit *u, int64_t now)
{
    ws_err rc = check_text(in->name, WARN_MON_NAME_MAX, true, "name");
    if (!rc) rc = check_text(in->comment, WARN_MON_COMMENT_MAX, false, "comment");
    if (rc) return rc;
    if (in->level < 0 || in->level > 3) return ws_fail(WS_EINVAL, "level", "level is 1 (预警), 2 (报警) or 3 (紧急)");
    if (in->on_delay_min < 0 || in->on_delay_min > 60)
        return ws_fail(WS_EINVAL, "on_delay_min", "on_delay_min is 1..60 minutes");
    rc = in->unit_id > 0 ? org_unit_get(c, in->unit_id, u) : WS_ENOTFOUND;
    if (!rc && by && by->subject) {
        auth_resource r = {0};
        r.unit_path = u->path;
        rc = auth_decide(by->subject, "monitor.write", &r);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (rc) return rc;
    if (!u->active) return ws_fail(WS_ECONFLICT, "unit_id", "the unit is deactivated");
    if (in->npoints < WARN_MON_POINTS_MIN || in->npoints > WARN_MON_POINTS_MAX)
        return ws_fail(WS_EINVAL, "point_ids", "a monitor watches %d to %d points together", WARN_MON_POINTS_MIN,
                       WARN_MON_POINTS_MAX);
    for (int j = 0; j < in->npoints; j++) {
        char f[24];
        snprintf(f, sizeof f, "point_ids[%d]", j);
        for (int k = 0; k < j; k++)
            if (in->point_ids[k] == in->point_ids[j]) return ws_fail(WS_EINVAL, f, "the point is listed twice");
        if ((rc = unit_point(c, in->point_ids[j], u, f))) return rc;
    }
    if (in->run_point_id) {
        if ((rc = unit_point(c, in->run_point_id, u, "run_point_id"))) return rc;
        if (isnan(in->run_min) && isnan(in->run_max))
            return ws_fail(WS_EINVAL, "run_min", "a run condition needs run_min, run_max or both");
        if (isinf(in->run_min) || isinf(in->run_max) || in->run_min >= in->run_max)
            return ws_fail(WS_EINVAL, "run_max", "run_max must be above run_min");
    }
    if (in->train_to > now) return ws_fail(WS_EINVAL, "train_to", "the training window must lie in the past");
    if (in->train_to - in->train_from < TRAIN_SPAN_MIN)
        return ws_fail(WS_EINVAL, "train_from", "the training window is shorter than 24 hours of normal operation");
    if (in->train_to - in->train_from > TRAIN_SPAN_MAX)
        return ws_fail(WS_EINVAL, "train_from", "the training window is longer than 14 days");
    return WS_OK;
}

/* Each point's hold from its minutes in the window (vals: nmin × np, NaN
 * for a minute without a reading): WARN_MON_HOLD, or twice the median gap
 * between its minutes with a reading when that is longer. A point sampled
 * less often than every WARN_MON_HOLD_MAX / 2 minutes is refused by name. */
static ws_err learn_holds(const double *vals, int nmin, int stride, int np, int *hold)
{
    enum { GMAX = WARN_MON_HOLD_MAX / 2 };
    for (int j = 0; j < np; j++) {
        int gaps[GMAX + 2] = {0}, n = 0, last = -1;
        for (int i = 0; i < nmin; i++) {
            if (!isfinite(vals[(size_t)i * stride + j])) continue;
            if (last >= 0) gaps[i - last <= GMAX ? i - last : GMAX + 1]++, n++;
            last = i;
        }
        int med = 1; /* no two minutes with a reading: the count of complete minutes refuses it */
        for (int g = 1, acc = 0; n && g <= GMAX + 1; g++)
            if (2 * (acc += gaps[g]) >= n) {
                med = g;
                break;
            }
        if (med > GMAX) {
            char f[24];
            snprintf(f, sizeof f, "point_ids[%d]", j);
            return ws_fail(WS_EINVAL, f, "the point reported less often than every %d minutes in the training window; a monitor judges every minute and holds a value at most %d minutes",
                           GMAX, WARN_MON_HOLD_MAX);
        }
        hold[j] = 2 * med > WARN_MON_HOLD ? 2 * med : WARN_MON_HOLD;
    }
    return WS_OK;
}

/* The training matrix (rows: complete minutes in which the unit runs) of
 * the request's points and their holds; *x the caller's. */
static ws_err training_data(warn *w, const warn_monitor_in *in, int *hold, double **x, int *rows)
{
    int np = in->npoints;
    struct wmon *tmp = calloc(1, sizeof *tmp);
    if (!tmp) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    tmp->np = tmp->ncol = np;
    memcpy(tmp->pid, in->point_ids, (size_t)np * sizeof *in->point_ids);
    if (in->run_point_id > 0) {
        tmp->pid[tmp->ncol] = in->run_point_id;
        tmp->hold[tmp->ncol++] = RUN_HOLD_MIN;
    }
    tmp->run_min = in->run_min, tmp->run_max = in->run_max;
    int nc = tmp->ncol;
    int64_t from = in->train_from - ((in->train_from % MINUTE) + MINUTE) % MINUTE;
    int nmin = (int)((in->train_to - from) / MINUTE);
    ws_err rc;
    double *vals = points_minutes(w->cfg.series, tmp->pid, nc, from, nmin, &rc);
    if (vals) rc = learn_holds(vals, nmin, nc, np, hold);
    if (rc) {
        free(vals);
        free(tmp);
        return rc;
    }
    memcpy(tmp->hold, hold, (size_t)np * sizeof *hold);
    seed_run(w->cfg.series, tmp, from);
    /* complete running minutes, in place (row k of np before row i of nc),
     * with the carry-forward of the judging */
    int k = 0, idle = 0;
    for (int i = 0; i < nmin; i++) {
        double row[WARN_MON_POINTS_MAX + 1];
        if (fill_minute(tmp, vals + (size_t)i * nc, from + i * MINUTE, row) >= 0) continue;
        if (running(tmp, row)) memcpy(vals + (size_t)k++ * np, row, (size_t)np * sizeof *row);
        else idle++;
    }
    free(tmp);
    int need = 12 * np > TRAIN_SAMPLES_MIN ? 12 * np : TRAIN_SAMPLES_MIN;
    if (k < need) {
        free(vals);
        return ws_fail(WS_EINVAL, "train_from",
                       "the training window holds %d minutes with a value of every point%s (%d more with the unit "
                       "not running); %d points need at least %d",
                       k, in->run_point_id > 0 ? " and the unit running" : "", idle, np, need);
    }
    for (int j = 0; j < np; j++) {
        double lo = vals[j], hi = vals[j];
        for (int i = 1; i < k; i++) {
            double v = vals[(size_t)i * np + j];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (!(hi > lo)) {
            free(vals);
            char f[24];
            snprintf(f, sizeof f, "point_ids[%d]", j);
            return ws_fail(WS_EINVAL, f, "the point did not vary over the training window: nothing to learn from it");
        }
    }
    *x = vals;
    *rows = k;
    return WS_OK;
}

/* mo judged over the stored minutes [from, to) as it judges live, without
 * the engine: the on-delay and the clear; a day of minutes read at a time
 * (from a minute's start; to rounded down to one).
 * The counts into *bt, each raise and clear to fn (may be NULL) as
 * monitor v's. mo's history and carry are reset after. */
static ws_err replay(series *s, struct wmon *mo, int64_t from, int64_t to, const warn_monitor *v,
                     warn_replay_fn fn, void *arg, warn_monitor_backtest *bt)
{
    memset(bt, 0, sizeof *bt);
    to -= ((to % MINUTE) + MINUTE) % MINUTE; /* whole minutes: a part of one is no verdict */
    bt->from = from;
    bt->to = to > from ? to : from;
    int above = 0, below = 0, nc = mo->ncol;
    bool on = false, stop = false;
    ws_err rc = WS_OK;
    seed_run(s, mo, from);
    for (int64_t t0 = from; !rc && !stop && t0 < to; t0 += CATCHUP_MIN * MINUTE) {
        int nmin = (int)((to - t0) / MINUTE < CATCHUP_MIN ? (to - t0) / MINUTE : CATCHUP_MIN);
        double *vals = points_minutes(s, mo->pid, nc, t0, nmin, &rc);
        for (int i = 0; vals && !stop && i < nmin; i++) {
            int64_t t = t0 + i * MINUTE;
            mvmon_result r;
            int miss = step_minute(mo, vals + (size_t)i * nc, t, &r);
            double ratio = 0;
            if (miss == MINUTE_IDLE) { /* not running: as a normal minute for the clear */
                below++, above = 0;
            } else if (miss >= 0 || !r.ready) {
                continue;
            } else {
                ratio = r.phi_lim > 0 ? r.phi / r.phi_lim : 0;
                bt->minutes++;
                if (ratio > bt->max_ratio) bt->max_ratio = ratio;
                if (r.alarm) bt->outside++, above++, below = 0;
                else below++, above = 0;
            }
            if (!on && above >= mo->on_delay) {
                on = true;
                if (bt->nlisted < WARN_MON_BACKTEST_ALARMS) bt->raised[bt->nlisted++] = t + MINUTE;
                bt->alarms++;
            } else if (on && below >= CLEAR_MIN) {
                on = false;
                if (bt->alarms <= WARN_MON_BACKTEST_ALARMS) bt->cleared[bt->alarms - 1] = t + MINUTE;
            } else
                continue;
            stop = fn && !fn(arg, v, on ? WARN_REPLAY_RAISE : WARN_REPLAY_CLEAR, t + MINUTE, ratio);
        }
        free(vals);
    }
    mvmon_reset(mo->m);
    memset(mo->carry_t, 0, sizeof mo->carry_t);
    return rc;
}

/* The backtest of a freshly trained mo over the stored minutes after its
 * window, up to WARN_MON_BACKTEST_DAYS and the current minute. */
static ws_err backtest(warn *w, struct wmon *mo, int64_t train_to, int64_t now, warn_monitor_backtest *bt)
{
    int64_t from = train_to - ((train_to % MINUTE) + MINUTE) % MINUTE;
    if (from < train_to) from += MINUTE;
    int64_t to = now - ((now % MINUTE) + MINUTE) % MINUTE; /* the current minute is not complete */
    if (to > from + WARN_MON_BACKTEST_DAYS * 24 * SERIES_HOUR_MS) to = from + WARN_MON_BACKTEST_DAYS * 24 * SERIES_HOUR_MS;
    return replay(w->cfg.series, mo, from, to, NULL, NULL, NULL, bt);
}

ws_err warn_monitor_replay(store_conn *c, series *s, int64_t from, int64_t to, warn_replay_fn fn, void *arg)
{
    store_stmt *st = NULL;
    bool row = false;
    warn_monitor *v = malloc(sizeof *v);
    ws_err rc = v ? store_prepare(c, Q_MONITOR_ACTIVE, &st) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    while (!rc && !(rc = store_step(st, &row)) && row) {
        double *train = NULL;
        struct wmon *mo = NULL;
        rc = read_row(st, v, &train);
        if (!rc) rc = wmon_new(v, train, &mo);
        free(train);
        if (rc) break;
        /* from the end of its window: the minutes before it trained on */
        int64_t start = v->train_to - ((v->train_to % MINUTE) + MINUTE) % MINUTE;
        if (start < v->train_to) start += MINUTE;
        if (start < from) start = from - ((from % MINUTE) + MINUTE) % MINUTE;
        warn_monitor_backtest bt;
        if (fn(arg, v, WARN_REPLAY_START, start, 0) && start < to) rc = replay(s, mo, start, to, v, fn, arg, &bt);
        wmon_free(mo);
    }
    store_finalize(st);
    free(v);
    return rc;
}

static int64_t row_count(store_conn *c, const char *sql)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t n = -1;
    if (!store_prepare(c, sql, &st) && !store_step(st, &row) && row) n = store_col_int(st, 0);
    store_finalize(st);
    return n;
}

ws_err warn_monitor_create(warn *w, store_conn *c, const org_caller *by, const warn_monitor_in *in, bool dry_run,
                           warn_monitor_backtest *bt, warn_monitor_fit *fit, int64_t *id)
{
    *id = 0;
    if (!w || !w->cfg.series) return ws_fail(WS_EUNAVAILABLE, NULL, "the series store is not running");
    org_unit u;
    int64_t now = clock_now_ms();
    ws_err rc = check_in(c, by, in, &u, now);
    if (rc) return rc;
    double *x = NULL;
    int rows = 0;
    warn_monitor v;
    memset(&v, 0, sizeof v);
    if ((rc = training_data(w, in, v.hold_min, &x, &rows))) return rc;
    snprintf(v.name, sizeof v.name, "%s", in->name);
    v.unit_id = in->unit_id;
    warn_copy_trunc(v.unit_path, sizeof v.unit_path, u.path);
    v.level = in->level ? in->level : ALARM_LVL_NOTICE;
    v.on_delay_min = in->on_delay_min ? in->on_delay_min : 3;
    v.npoints = in->npoints;
    memcpy(v.point_ids, in->point_ids, (size_t)in->npoints * sizeof *in->point_ids);
    v.run_point_id = in->run_point_id > 0 ? in->run_point_id : 0;
    v.run_min = v.run_point_id ? in->run_min : NAN;
    v.run_max = v.run_point_id ? in->run_max : NAN;
    v.samples = rows;
    struct wmon *mo = NULL;
    rc = wmon_new(&v, x, &mo);
    if (rc == WS_EINVAL) {
        char why[160];
        snprintf(why, sizeof why, "%s", ws_err_message());
        rc = ws_fail(WS_EINVAL, "train_from", "the model could not be fitted on this window: %s", why);
    }
    if (!rc) {
        if (fit) {
            fit->components = (int)mvmon_ncomp(mo->m);
            memcpy(fit->hold_min, v.hold_min, sizeof fit->hold_min);
        }
        warn_monitor_backtest tmp;
        rc = backtest(w, mo, in->train_to, now, bt ? bt : &tmp);
    }
    if (rc || dry_run) {
        free(x);
        wmon_free(mo);
        return rc;
    }
    char ids[WARN_MON_POINTS_MAX * 21], holds[WARN_MON_POINTS_MAX * 3] = "";
    size_t il = 0, hl = 0;
    bool held = false;
    for (int j = 0; j < in->npoints; j++) {
        il += (size_t)snprintf(ids + il, sizeof ids - il, "%s%lld", j ? "," : "", (long long)in->point_ids[j]);
        hl += (size_t)snprintf(holds + hl, sizeof holds - hl, "%s%d", j ? "," : "", v.hold_min[j]);
        held |= v.hold_min[j] != WARN_MON_HOLD;
    }
    bool own = false;
    rc = store_tx_join(c, &own);
    if (!rc) {
        int64_t active = row_count(c, Q_MONITOR_COUNT_ACTIVE);
        if (active < 0) rc = ws_fail(WS_ESTORE, NULL, "process monitors not counted");
        else if (active >= WARN_MON_MAX)
            rc = ws_fail(WS_ECONFLICT, NULL, "%d process monitors are active already; deactivate one first", WARN_MON_MAX);
        store_stmt *st = NULL;
        bool row = false;
        if (!rc) rc = store_prepare(c, Q_MONITOR_INSERT, &st);
        if (!rc) rc = store_bind_int(st, 1, in->unit_id);
        if (!rc) rc = store_bind_text(st, 2, in->name);
        if (!rc) rc = store_bind_text(st, 3, in->comment ? in->comment : "");
        if (!rc) rc = store_bind_int(st, 4, v.level);
        if (!rc) rc = store_bind_int(st, 5, v.on_delay_min);
        if (!rc) rc = store_bind_text(st, 6, ids);
        if (!rc) rc = store_bind_int(st, 7, in->train_from);
        if (!rc) rc = store_bind_int(st, 8, in->train_to);
        if (!rc) rc = store_bind_int(st, 9, rows);
        if (!rc) rc = store_bind_blob(st, 10, x, (size_t)rows * (size_t)in->npoints * sizeof *x);
        if (!rc) rc = store_bind_opt_int(st, 11, by && by->subject ? by->subject->person_id : 0);
        if (!rc) rc = store_bind_int(st, 12, now);
        if (!rc) rc = store_bind_opt_text(st, 13, held ? holds : NULL);
        bool run = in->run_point_id > 0;
        if (!rc) rc = store_bind_opt_int(st, 14, in->run_point_id);
        if (!rc) rc = store_bind_opt_double(st, 15, run ? in->run_min : NAN);
        if (!rc) rc = store_bind_opt_double(st, 16, run ? in->run_max : NAN);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) *id = store_col_int(st, 0);
        store_finalize(st);
        audit_actor sys = {"system"};
        if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &WARN_ENTITY_MONITOR, *id, "create", NULL);
        rc = store_tx_finish(c, own, rc);
    }
    free(x);
    if (rc) {
        wmon_free(mo);
        return rc;
    }
    mo->id = *id;
    int64_t first = in->train_to - ((in->train_to % MINUTE) + MINUTE) % MINUTE;
    int64_t minute = now - now % MINUTE;
    mo->next = first > minute - CATCHUP_MIN * MINUTE ? first : minute - CATCHUP_MIN * MINUTE;
    mo->live_from = mo->next;
    pthread_mutex_lock(&w->mon_mu);
    if (w->nmons < WARN_MON_MAX) w->mons[w->nmons++] = mo, mo = NULL;
    pthread_mutex_unlock(&w->mon_mu);
    wmon_free(mo);
    return WS_OK;
}

ws_err warn_monitor_deactivate(warn *w, store_conn *c, const org_caller *by, int64_t id)
{
    warn_monitor *v = malloc(sizeof *v);
    if (!v) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = warn_monitor_get(NULL, c, id, v);
    if (!rc && by && by->subject) {
        auth_resource r = {0};
        r.unit_path = v->unit_path;
        rc = auth_decide(by->subject, "monitor.write", &r);
    }
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such process monitor");
    if (!rc && !v->active) rc = ws_fail(WS_ECONFLICT, "state", "the monitor is inactive already");
    int64_t unit_id = rc ? 0 : v->unit_id;
    free(v);
    if (rc) return rc;
    bool own = false;
    rc = store_tx_join(c, &own);
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_MONITOR_DEACTIVATE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_int(st, 2, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && store_changes(st) != 1) rc = ws_fail(WS_ECONFLICT, "state", "the monitor is inactive already");
    store_finalize(st);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &WARN_ENTITY_MONITOR, id, "deactivate", NULL);
    rc = store_tx_finish(c, own, rc);
    if (rc || !w) return rc;
    struct wmon *gone = NULL;
    pthread_mutex_lock(&w->mon_mu);
    for (int i = 0; i < w->nmons; i++)
        if (w->mons[i]->id == id) {
            gone = w->mons[i];
            w->mons[i] = w->mons[--w->nmons];
            break;
        }
    pthread_mutex_unlock(&w->mon_mu);
    if (gone && gone->on && warn_external_alarm(w, WARN_RULE_MVMON, id, unit_id, gone->level, false, NULL, clock_now_ms()))
        log_warn("process monitor alarm not cleared", "detail", ws_err_message());
    wmon_free(gone);
    return WS_OK;
}
