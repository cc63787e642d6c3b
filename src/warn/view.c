/* view.c — what the rest of the server reads of the early-warning engine
 * (see warn.h): one point's latest value, the points of a unit as the
 * dynamic risk index sees them (how near their limits, how many limits
 * past, how fast they climb), the hubs, and the counters for /metrics.
 * Each takes the engine mutex for as long as it copies, nothing longer. */
#include "warn/warn_int.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"
#include "core/clock.h"
#include "core/log.h"

ws_err warn_point_latest(warn *w, int64_t point_id, warn_latest *out)
{
    memset(out, 0, sizeof *out);
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    pthread_mutex_lock(&w->mu);
    const wpoint *p = warn_find_point(w, point_id);
    if (p) {
        out->value = p->last_value;
        out->quality = p->last_q;
        out->src_ms = p->last_src_ms;
        out->arrival_ms = p->last_arrival_ms;
        out->unit_id = p->unit_id;
        warn_copy_trunc(out->kind, sizeof out->kind, p->kind);
        warn_copy_trunc(out->tag, sizeof out->tag, p->tag);
    }
    pthread_mutex_unlock(&w->mu);
    return p ? WS_OK : ws_fail(WS_ENOTFOUND, "point_id", "the engine has no point %lld", (long long)point_id);
}

/* How far v is toward the first alarm limit of its side (warn.h). */
static double limit_ratio(const thr_config *c, double v)
{
    const thr_limit *hi = c->lim[THR_H].enabled ? &c->lim[THR_H] : c->lim[THR_HH].enabled ? &c->lim[THR_HH] : NULL;
    const thr_limit *lo = c->lim[THR_L].enabled ? &c->lim[THR_L] : c->lim[THR_LL].enabled ? &c->lim[THR_LL] : NULL;
    if (hi && lo && hi->value > lo->value) {
        double mid = (hi->value + lo->value) / 2;
        return v >= mid ? (v - mid) / (hi->value - mid) : (mid - v) / (mid - lo->value);
    }
    if (hi && hi->value > 0) return v > 0 ? v / hi->value : 0;
    if (lo && lo->value > 0) return v <= lo->value ? 1 + (lo->value - v) / lo->value : lo->value / v;
    return NAN;
}

/* How many alarm limits v is at or past on its side: 2 at or past LL or HH,
 * 1 at or past L or H, else 0 (disabled limits do not count). */
static int limits_past(const thr_config *c, double v)
{
    const thr_limit *l = c->lim;
    if ((l[THR_HH].enabled && v >= l[THR_HH].value) || (l[THR_LL].enabled && v <= l[THR_LL].value)) return 2;
    if ((l[THR_H].enabled && v >= l[THR_H].value) || (l[THR_L].enabled && v <= l[THR_L].value)) return 1;
    return 0;
}

/* How fast p's ratio has climbed, per hour: the smallest of its last three
 * hourly rises when all three are rises and the newest hour kept ended
 * within the last two, else 0. */
static double climb_of(const wpoint *p, int64_t now_ms)
{
    if (p->nhours < WARN_HOURS || now_ms - p->hour_kept >= 2 * 3600000) return 0;
    double c = INFINITY;
    for (int k = 0; k + 1 < WARN_HOURS; k++) {
        double rise = limit_ratio(&p->thr, p->hour_v[k]) - limit_ratio(&p->thr, p->hour_v[k + 1]);
        if (!(rise < c)) continue; /* also NaN: no limits */
        c = rise;
    }
    return c > 0 && isfinite(c) ? c : 0;
}

/* Worst first: more alarm limits past, then the higher ratio. */
static int by_worst(const void *a, const void *b)
{
    const warn_point_state *p = a, *q = b;
    if (p->past != q->past) return p->past < q->past ? 1 : -1;
    double x = p->ratio, y = q->ratio;
    if (isnan(x)) x = -1;
    if (isnan(y)) y = -1;
    return x < y ? 1 : x > y ? -1 : 0;
}

ws_err warn_points_under(warn *w, const char *unit_path, int64_t now_ms, warn_point_state *out, int cap,
                         int *n)
{
    *n = 0;
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    size_t plen = strlen(unit_path);
    int total = 0;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->npts; i++) {
        const wpoint *p = &w->pts[i];
        if (strncmp(p->unit_path, unit_path, plen) || p->maint_until > now_ms) continue;
        warn_point_state x = {.id = p->id, .value = p->last_value, .ratio = NAN, .score = NAN};
        warn_copy_trunc(x.tag, sizeof x.tag, p->tag);
        if (p->last_src_ms && p->last_q == THR_Q_GOOD && isfinite(p->last_value)) {
            x.ratio = limit_ratio(&p->thr, p->last_value);
            x.past = limits_past(&p->thr, p->last_value);
            x.climb = climb_of(p, now_ms);
        }
        if (w->rules) x.score = rule_point_score(w->rules, p->id);
        if (total < cap) out[total++] = x;
        else { /* keep the worst: replace the best kept when this one is worse */
            int best = 0;
            for (int k = 1; k < cap; k++)
                if (by_worst(&out[k], &out[best]) > 0) best = k;
            if (cap > 0 && by_worst(&x, &out[best]) < 0) out[best] = x;
        }
    }
    pthread_mutex_unlock(&w->mu);
    qsort(out, (size_t)total, sizeof *out, by_worst);
    *n = total;
    return WS_OK;
}

struct hub *warn_alarm_hub(warn *w) { return w ? w->ahub : NULL; }
struct hub *warn_value_hub(warn *w) { return w ? w->vhub : NULL; }

void warn_stats(warn *w, warn_stats_out *s)
{
    memset(s, 0, sizeof *s);
    s->readings = atomic_load(&w->n_readings);
    s->late = atomic_load(&w->n_late);
    s->unknown_tag = atomic_load(&w->n_unknown);
    s->skewed = atomic_load(&w->n_skewed);
    s->failed = atomic_load(&w->n_failed);
    s->alarm_events = atomic_load(&w->n_alarm_events);
    s->syncs = atomic_load(&w->n_syncs);
    s->sync_failed = atomic_load(&w->n_sync_failed);
    pthread_mutex_lock(&w->mu);
    s->open_alarms = alarm_table_count(w->alarms);
    s->points = w->npts;
    pthread_mutex_unlock(&w->mu);
}

void warn_note_refused(warn *w, warn_src src, const char *sample)
{
    static const char *const names[WARN_SRC_COUNT] = {"http", "mqtt", "modbus", "csv"};
    atomic_fetch_add(&w->n_refused, 1);
    int64_t now = clock_now_ms();
    pthread_mutex_lock(&w->mu);
    snprintf(w->refused_sample, sizeof w->refused_sample, "%s: %.200s", names[src % WARN_SRC_COUNT], sample);
    bool log_it = now - w->refused_logged_ms >= 60000;
    if (log_it) w->refused_logged_ms = now;
    pthread_mutex_unlock(&w->mu);
    if (log_it) log_warn("ingest batch refused (first of this minute)", "source", names[src % WARN_SRC_COUNT],
                         "sample", sample);
}

static void put_escaped(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (; *src && n + 3 < cap; src++) {
        if (*src == '"' || *src == '\\') dst[n++] = '\\';
        dst[n++] = *src == '\n' ? ' ' : *src;
    }
    dst[n] = 0;
}

static ws_err refused_metrics(warn *w, buf *out);

ws_err warn_metrics(void *ctx, buf *out)
{
    ws_err rc0 = refused_metrics(ctx, out);
    if (rc0) return rc0;
    warn_stats_out s;
    warn_stats(ctx, &s);
    return buf_printf(out,
        "# HELP ingest_readings_total Readings applied by the engine (stored; late ones not evaluated).\n"
        "# TYPE ingest_readings_total counter\ningest_readings_total %llu\n"
        "# HELP ingest_late_total Readings older than the last evaluated of their point.\n"
        "# TYPE ingest_late_total counter\ningest_late_total %llu\n"
        "# HELP ingest_unknown_tag_total Readings of tags not in the register (not stored).\n"
        "# TYPE ingest_unknown_tag_total counter\ningest_unknown_tag_total %llu\n"
        "# HELP ingest_clock_skew_total Readings whose device clock ran ahead (arrival time used).\n"
        "# TYPE ingest_clock_skew_total counter\ningest_clock_skew_total %llu\n"
        "# HELP ingest_store_failed_total Readings the series store refused.\n"
        "# TYPE ingest_store_failed_total counter\ningest_store_failed_total %llu\n"
        "# HELP alarm_events_total Alarm events persisted (raise, clear, ack, escalate, ...).\n"
        "# TYPE alarm_events_total counter\nalarm_events_total %llu\n"
        "# HELP alarm_syncs_total Syncs of committed alarm events to the disk (one covers every commit before it).\n"
        "# TYPE alarm_syncs_total counter\nalarm_syncs_total %llu\n"
        "# HELP alarm_sync_failures_total Syncs of committed alarm events to the disk that failed.\n"
        "# TYPE alarm_sync_failures_total counter\nalarm_sync_failures_total %llu\n"
        "# HELP alarms_open Open alarms.\n# TYPE alarms_open gauge\nalarms_open %zu\n"
        "# HELP points_evaluated Points in the engine's cache.\n# TYPE points_evaluated gauge\n"
        "points_evaluated %zu\n"
        "# HELP camera_events_total AI-camera events received (heartbeats included).\n"
        "# TYPE camera_events_total counter\ncamera_events_total %llu\n"
        "# HELP camera_refused_total Camera pushes refused for their credentials.\n"
        "# TYPE camera_refused_total counter\ncamera_refused_total %llu\n"
        "# HELP camera_bad_payloads_total Camera pushes that did not decode.\n"
        "# TYPE camera_bad_payloads_total counter\ncamera_bad_payloads_total %llu\n",
        (unsigned long long)s.readings, (unsigned long long)s.late, (unsigned long long)s.unknown_tag,
        (unsigned long long)s.skewed, (unsigned long long)s.failed,
        (unsigned long long)s.alarm_events, (unsigned long long)s.syncs, (unsigned long long)s.sync_failed,
        s.open_alarms, s.points,
        (unsigned long long)atomic_load(&((warn *)ctx)->n_camera_events),
        (unsigned long long)atomic_load(&((warn *)ctx)->n_camera_refused),
        (unsigned long long)atomic_load(&((warn *)ctx)->n_camera_bad));
}

static ws_err refused_metrics(warn *w, buf *out)
{
    char sample[600];
    pthread_mutex_lock(&w->mu);
    put_escaped(sample, sizeof sample, w->refused_sample);
    pthread_mutex_unlock(&w->mu);
    return buf_printf(out,
        "# HELP ingest_refused_batches_total Batches refused as malformed (HTTP, CSV); nothing of them stored.\n"
        "# TYPE ingest_refused_batches_total counter\ningest_refused_batches_total %llu\n"
        "# HELP ingest_refused_last The last refusal, as a label (reason and where, no payload).\n"
        "# TYPE ingest_refused_last gauge\ningest_refused_last{sample=\"%s\"} 1\n",
        (unsigned long long)atomic_load(&w->n_refused), sample);
}
