/* backtest.c — replay stored history through the points' limits, an alarm
 * rule set and the active process monitors, and count what would have been
 * raised per rule and source (backtest.h).
 *
 * How it works: the points (point register under the scope, all or the
 * given tags) and their LL/L/H/HH limits become thr_configs (alarm/
 * threshold.h: LL and HH 紧急, L and H 报警, the point's deadband and
 * on-delay); the rule set an engine (alarm/rule.h). Raw readings come from
 * the series store (series_history, tier raw; it returns at most FETCH_MAX,
 * so each point's readings are read window by window, halving a window that
 * comes back as rollups) in time slabs sized to about a million readings,
 * merged across points in time order, and fed to both. The timer runs at
 * 10 s boundaries of data time (stale raises carry their own time, so the
 * tick's phase does not matter) and once at `to`. A sensor fault (THR_FAULT
 * raise) is also an "equipment_fault" event on the point's device (or the
 * point) for count rules, as the engine does live. Context facts (hot work)
 * are not stored with history, so composites that need one do not fire here.
 *
 * The active process monitors (多变量过程监控, rule 107; not part of a rule
 * set) under the scope are replayed too, over the same range from the end
 * of each one's training window (warn_monitor_replay: the 1-minute means,
 * the on-delay and the clear, as they judge live); with tags, those
 * watching one of the points.
 *
 * Memory: the points, one slab of readings and one line per (rule, source)
 * that raised, all owned by the warn_backtest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/threshold.h"
#include "core/buf.h"
#include "core/clock.h"
#include "telemetry/point.h"
#include "telemetry/series.h"
#include "warn/backtest.h"
#include "warn/warn.h"

#define FETCH_MAX 65536              /* samples per series_history call */
#define TICK_MS INT64_C(10000)
#define SLAB_TARGET 1000000          /* readings per slab, about */
#define FIRST_N 3

typedef struct bt_point {
    point p;
    thr_config cfg;
    thr_state st;
    rule_point rp;
} bt_point;

typedef struct rd {
    int64_t t;
    int32_t pi;
    uint8_t q;
    double v;
} rd;

/* One (rule, source) line of the report. Threshold conditions have
 * rule_id = -(cond + 1). */
typedef struct stat {
    int64_t rule_id, source_id;
    uint8_t level, src_kind; /* 0 point, 1 device, 2 unit, 3 count source, 4 process monitor */
    int64_t raises, actions;
    int64_t active_since; /* INT64_MIN = not active */
    int64_t active_ms;
    int nfirst;
    int64_t first_at[FIRST_N];
    double first_v[FIRST_N];
} stat;

struct warn_backtest {
    bt_point *pts;
    size_t npts;
    rule_engine *eng;
    const rule_set *set;
    stat *stats;
    size_t nstats, capstats;
    int64_t readings, late, last_tick;
    rule_event ev[RULE_READING_EVENTS];
    bool tags_only; /* only the monitors of the tagged points */
    size_t nmons;
    struct {
        int64_t id;
        char name[WARN_MON_NAME_MAX + 1];
    } mons[WARN_MON_MAX];
    const char *scope;       /* borrowed for the run */
    int64_t from, to, max_readings;
};
typedef struct warn_backtest bt;

static stat *stat_of(bt *b, int64_t rule_id, int64_t source, uint8_t level, uint8_t src_kind)
{
    for (size_t i = 0; i < b->nstats; i++)
        if (b->stats[i].rule_id == rule_id && b->stats[i].source_id == source) return &b->stats[i];
    if (b->nstats == b->capstats) {
        size_t cap = b->capstats ? b->capstats * 2 : 64;
        stat *p = realloc(b->stats, cap * sizeof *p);
        if (!p) return NULL;
        b->stats = p;
        b->capstats = cap;
    }
    stat *s = &b->stats[b->nstats++];
    memset(s, 0, sizeof *s);
    s->rule_id = rule_id;
    s->source_id = source;
    s->level = level;
    s->src_kind = src_kind;
    s->active_since = INT64_MIN;
    return s;
}

static void note(bt *b, int64_t rule_id, int64_t source, uint8_t level, uint8_t src_kind, int kind,
                 int64_t at, double v)
{
    stat *s = stat_of(b, rule_id, source, level, src_kind);
    if (!s) return;
    if (kind == RULE_EV_ACTION) {
        s->actions++;
        return;
    }
    if (kind == RULE_EV_RAISE) {
        s->raises++;
        if (s->nfirst < FIRST_N) {
            s->first_at[s->nfirst] = at;
            s->first_v[s->nfirst++] = v;
        }
        if (level > s->level) s->level = level;
        if (s->active_since == INT64_MIN) s->active_since = at;
    } else if (s->active_since != INT64_MIN) {
        if (at > s->active_since) s->active_ms += at - s->active_since;
        s->active_since = INT64_MIN;
    }
}

static uint8_t src_kind_of(const rule_set *set, int64_t rule_id)
{
    for (int i = 0; i < set->n; i++) {
        const rule *r = &set->rules[i];
        if (r->id != rule_id) continue;
        if (r->kind == RULE_COMPOSITE) return 2;
        if (r->kind == RULE_COUNT) return 3;
        if (r->kind == RULE_STALE && r->offline) return 1;
    }
    return 0;
}

static void rule_events(bt *b, int n)
{
    for (int i = 0; i < n; i++) {
        const rule_event *e = &b->ev[i];
        note(b, e->rule_id, e->source_id, e->level, src_kind_of(b->set, e->rule_id), e->kind,
             e->at_ms, e->value);
    }
}

static ws_err tick(bt *b, int64_t now)
{
    int n;
    do {
        ws_err rc = rule_on_tick(b->eng, now, b->ev, RULE_READING_EVENTS, &n);
        if (rc) return rc;
        rule_events(b, n);
    } while (n > 0);
    b->last_tick = now;
    return WS_OK;
}

static ws_err feed(bt *b, const rd *r)
{
    bt_point *p = &b->pts[r->pi];
    int64_t boundary = r->t - (((r->t % TICK_MS) + TICK_MS) % TICK_MS);
    ws_err rc;
    if (boundary > b->last_tick && (rc = tick(b, boundary))) return rc;
    b->readings++;
    thr_event te[THR_MAX_EVENTS];
    int tn = 0;
    if (thr_eval(&p->cfg, &p->st, r->t, r->v, r->q, te, &tn) == THR_LATE) b->late++;
    for (int i = 0; i < tn; i++) {
        note(b, -(int64_t)(te[i].cond + 1), p->p.id, te[i].level, 0,
             te[i].raised ? RULE_EV_RAISE : RULE_EV_CLEAR, te[i].at_ms, te[i].value);
        if (te[i].cond == THR_FAULT && te[i].raised) {
            int n = 0;
            int64_t src = p->p.device_id > 0 ? p->p.device_id : p->p.id;
            rc = rule_on_fact_event(b->eng, p->p.device_id > 0 ? RULE_FAULT_DEVICE : RULE_FAULT_POINT, src,
                                    p->p.unit_id, te[i].at_ms, b->ev, RULE_READING_EVENTS, &n);
            if (rc) return rc;
            rule_events(b, n);
        }
    }
    int n = 0;
    rc = rule_on_reading(b->eng, &p->rp, r->t, r->v, r->q, b->ev, RULE_READING_EVENTS, &n);
    if (rc) return rc;
    rule_events(b, n);
    return WS_OK;
}

static int rd_cmp(const void *a, const void *b)
{
    const rd *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->pi > y->pi) - (x->pi < y->pi);
}

typedef struct rdbuf {
    rd *a;
    size_t n, cap;
} rdbuf;

static ws_err push(rdbuf *r, const rd *x)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4096;
        rd *p = realloc(r->a, cap * sizeof *p);
        if (!p) return ws_fail(WS_ENOMEM, NULL, "out of memory");
        r->a = p;
        r->cap = cap;
    }
    r->a[r->n++] = *x;
    return WS_OK;
}

/* Every raw reading of point pi in [from, to) into out, window by window. */
static ws_err fetch(series *s, int32_t pi, int64_t pid, int64_t from, int64_t to,
                    series_sample *samples, rdbuf *out)
{
    int64_t w = to - from, t = from;
    while (t < to) {
        int64_t end = w >= to - t ? to : t + w;
        size_t n = 0;
        series_history_info info;
        ws_err rc = series_history(s, pid, t, end, FETCH_MAX, samples, &n, &info);
        if (rc) return rc;
        if (info.tier != SERIES_TIER_RAW) {
            if (w <= 1000)
                return ws_fail(WS_ETOOBIG, "point_id", "point %lld has more than %d readings "
                               "in one second", (long long)pid, FETCH_MAX);
            w /= 4;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            rd x = {samples[i].t, pi, samples[i].n ? THR_Q_GOOD : THR_Q_BAD, samples[i].n ? samples[i].last : NAN};
            if ((rc = push(out, &x))) return rc;
        }
        t = end;
        if (n < FETCH_MAX / 4 && w < INT64_MAX / 2) w *= 2;
    }
    return WS_OK;
}

/* The point's limits as a threshold configuration. */
static void thr_of_point(const point *p, thr_config *c)
{
    thr_config_init(c);
    const struct {
        int cond;
        double v;
        uint8_t level;
    } lim[] = {{THR_LL, p->ll, ALARM_LVL_EMERGENCY}, {THR_L, p->l, ALARM_LVL_ALARM},
               {THR_H, p->h, ALARM_LVL_ALARM}, {THR_HH, p->hh, ALARM_LVL_EMERGENCY}};
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        if (!isfinite(lim[i].v)) continue;
        thr_limit *l = &c->lim[lim[i].cond];
        l->enabled = true;
        l->level = lim[i].level;
        l->value = lim[i].v;
        l->deadband = isfinite(p->deadband) && p->deadband > 0 ? p->deadband : 0;
        l->on_delay_ms = (int32_t)(p->on_delay_ms > 0 && p->on_delay_ms <= POINT_DELAY_MAX_MS ? p->on_delay_ms : 0);
    }
}

static ws_err load_points(store_conn *c, const char *const *tags, int ntags, bt *b)
{
    size_t cap = 0;
    point_filter f = {0};
    f.scope_path = b->scope;
    f.active = -1;
    f.limit = 200;
    for (;;) {
        point *items = NULL;
        size_t n = 0;
        int64_t next = 0;
        ws_err rc = point_list(c, &f, &items, &n, &next);
        if (rc) return rc;
        for (size_t i = 0; i < n; i++) {
            bool want = ntags == 0;
            for (int k = 0; k < ntags && !want; k++) want = !strcmp(tags[k], items[i].tag);
            if (!want) continue;
            if (b->npts == cap) {
                cap = cap ? cap * 2 : 64;
                bt_point *p = realloc(b->pts, cap * sizeof *p);
                if (!p) {
                    free(items);
                    return ws_fail(WS_ENOMEM, NULL, "out of memory");
                }
                b->pts = p;
            }
            bt_point *q = &b->pts[b->npts++];
            memset(q, 0, sizeof *q);
            q->p = items[i];
            thr_of_point(&q->p, &q->cfg);
            thr_state_init(&q->st);
        }
        free(items);
        if (!next) break;
        f.cursor = next;
    }
    /* rule_point borrows strings of the copies (stable now). */
    for (size_t i = 0; i < b->npts; i++) {
        bt_point *q = &b->pts[i];
        q->rp = (rule_point){q->p.id, q->p.unit_id, q->p.device_id, q->p.unit_path, q->p.kind,
                             q->p.tag, q->p.resolution, q->p.range_low, q->p.range_high};
    }
    for (int k = 0; k < ntags; k++) {
        bool found = false;
        for (size_t i = 0; i < b->npts && !found; i++) found = !strcmp(tags[k], b->pts[i].p.tag);
        if (!found) return ws_fail(WS_ENOTFOUND, "tags", "no point has the tag %s", tags[k]);
    }
    return WS_OK;
}

/* ----------------------------------------------------------------- report */

static const char *thr_label(int64_t rule_id)
{
    return thr_cond_name((int)(-rule_id - 1));
}

static const rule *rule_by_id(const rule_set *s, int64_t id)
{
    for (int i = 0; i < s->n; i++)
        if (s->rules[i].id == id) return &s->rules[i];
    return NULL;
}

static const char *const src_kinds[] = {"point", "device", "unit", "source", "monitor"};

/* A process monitor's replay into the report: rule WARN_RULE_MVMON, source
 * the monitor, listed even when it would have raised nothing. */
static bool monitor_event(void *arg, const warn_monitor *m, warn_replay_ev ev, int64_t at, double ratio)
{
    bt *b = arg;
    if (ev != WARN_REPLAY_START) {
        note(b, WARN_RULE_MVMON, m->id, (uint8_t)m->level, 4, ev == WARN_REPLAY_RAISE ? RULE_EV_RAISE : RULE_EV_CLEAR,
             at, ratio);
        return true;
    }
    if (strncmp(m->unit_path, b->scope, strlen(b->scope)) != 0) return false;
    bool watched = !b->tags_only;
    for (int j = 0; j < m->npoints && !watched; j++)
        for (size_t i = 0; i < b->npts && !watched; i++) watched = b->pts[i].p.id == m->point_ids[j];
    if (!watched || b->nmons == WARN_MON_MAX || !stat_of(b, WARN_RULE_MVMON, m->id, (uint8_t)m->level, 4)) return false;
    b->mons[b->nmons].id = m->id;
    snprintf(b->mons[b->nmons++].name, sizeof b->mons[0].name, "%s", m->name);
    return true;
}

static const char *source_name(const bt *b, const stat *s, char *out, size_t cap)
{
    if (s->src_kind == 4) {
        for (size_t i = 0; i < b->nmons; i++)
            if (b->mons[i].id == s->source_id) return b->mons[i].name;
        snprintf(out, cap, "monitor %lld", (long long)s->source_id);
    } else if (s->src_kind == 0) {
        for (size_t i = 0; i < b->npts; i++)
            if (b->pts[i].p.id == s->source_id) return b->pts[i].p.tag;
        snprintf(out, cap, "point %lld", (long long)s->source_id);
    } else {
        snprintf(out, cap, "%s %lld", src_kinds[s->src_kind], (long long)s->source_id);
    }
    return out;
}

static int stat_cmp(const void *a, const void *b)
{
    const stat *x = a, *y = b;
    /* Limits (negative ids) first in condition order, then rules by id. */
    int64_t kx = x->rule_id < 0 ? -x->rule_id : x->rule_id + 100, ky = y->rule_id < 0 ? -y->rule_id : y->rule_id + 100;
    if (kx != ky) return kx < ky ? -1 : 1;
    return (x->source_id > y->source_id) - (x->source_id < y->source_id);
}

static void fmt_dur(int64_t ms, char *out, size_t cap)
{
    int64_t s = ms / 1000;
    if (s >= 86400) snprintf(out, cap, "%lldd%02lldh%02lldm", (long long)(s / 86400), (long long)(s % 86400 / 3600), (long long)(s % 3600 / 60));
    else snprintf(out, cap, "%lldh%02lldm%02llds", (long long)(s / 3600), (long long)(s % 3600 / 60), (long long)(s % 60));
}

json_t *warn_backtest_json(const warn_backtest *b, int64_t version)
{
    char src[48];
    json_t *o = json_object(), *a = json_array();
    json_object_set_new(o, "version", version > 0 ? json_integer(version) : json_null());
    json_object_set_new(o, "from", json_time(b->from));
    json_object_set_new(o, "to", json_time(b->to));
    json_object_set_new(o, "points", json_integer((json_int_t)b->npts));
    json_object_set_new(o, "readings", json_integer(b->readings));
    json_object_set_new(o, "late", json_integer(b->late));
    json_object_set_new(o, "monitors", json_integer((json_int_t)b->nmons));
    for (size_t i = 0; i < b->nstats; i++) {
        const stat *s = &b->stats[i];
        json_t *x = json_object();
        const rule *r = s->rule_id > 0 && s->src_kind != 4 ? rule_by_id(b->set, s->rule_id) : NULL;
        const char *kind = s->src_kind == 4 ? "process_monitor" : r ? rule_kind_name(r->kind) : thr_label(s->rule_id);
        json_object_set_new(x, "rule", json_string(kind));
        json_object_set_new(x, "rule_id", s->rule_id > 0 ? json_integer(s->rule_id) : json_null());
        json_object_set_new(x, "name", json_string(s->src_kind == 4 ? source_name(b, s, src, sizeof src) : r ? r->name : "limit"));
        json_object_set_new(x, "level", json_integer(s->level));
        json_object_set_new(x, "source_kind", json_string(src_kinds[s->src_kind]));
        json_object_set_new(x, "source_id", json_integer(s->source_id));
        json_object_set_new(x, "source", json_string(source_name(b, s, src, sizeof src)));
        json_object_set_new(x, "raises", json_integer(s->raises));
        json_object_set_new(x, "actions", json_integer(s->actions));
        json_object_set_new(x, "active_ms", json_integer(s->active_ms));
        json_object_set_new(x, "active_at_end", json_boolean(s->active_since != INT64_MIN));
        json_t *fa = json_array();
        for (int k = 0; k < s->nfirst; k++) {
            json_t *e = json_object();
            json_object_set_new(e, "at", json_time(s->first_at[k]));
            json_object_set_new(e, "value", isfinite(s->first_v[k]) ? json_real(s->first_v[k]) : json_null());
            json_array_append_new(fa, e);
        }
        json_object_set_new(x, "first", fa);
        json_array_append_new(a, x);
    }
    json_object_set_new(o, "results", a);
    return o;
}

void warn_backtest_print(const warn_backtest *b, int64_t version, FILE *f)
{
    char f1[40], f2[40], src[48];
    clock_format_rfc3339(b->from, f1, sizeof f1);
    clock_format_rfc3339(b->to, f2, sizeof f2);
    fprintf(f, "rule-set version %lld, %s .. %s: %zu points, %lld readings (%lld late, not evaluated), "
            "%zu process monitors\n",
            (long long)version, f1, f2, b->npts, (long long)b->readings, (long long)b->late, b->nmons);
    if (!b->nstats) {
        fprintf(f, "nothing would have been raised\n");
        return;
    }
    fprintf(f, "%-34s %-16s %3s %7s %13s  %s\n", "RULE", "SOURCE", "LVL", "RAISES", "ACTIVE", "FIRST RAISES");
    for (size_t i = 0; i < b->nstats; i++) {
        const stat *s = &b->stats[i];
        const rule *r = s->rule_id > 0 && s->src_kind != 4 ? rule_by_id(b->set, s->rule_id) : NULL;
        char label[160], dur[32], first[200] = "";
        if (s->src_kind == 4) snprintf(label, sizeof label, "%d process_monitor", WARN_RULE_MVMON);
        else if (r) {
            snprintf(label, sizeof label, "%lld %s ", (long long)r->id, rule_kind_name(r->kind));
            str_append_utf8(label, sizeof label, r->name, 40);
        }
        else snprintf(label, sizeof label, "%s (limit)", thr_label(s->rule_id));
        fmt_dur(s->active_ms, dur, sizeof dur);
        for (int k = 0; k < s->nfirst; k++) {
            char t[40];
            size_t l = strlen(first);
            clock_format_rfc3339(s->first_at[k], t, sizeof t);
            snprintf(first + l, sizeof first - l, "%s%s %.6g", k ? "; " : "", t, s->first_v[k]);
        }
        if (s->actions) {
            size_t l = strlen(first);
            snprintf(first + l, sizeof first - l, "%s%lld work order(s)", l ? "; " : "", (long long)s->actions);
        }
        fprintf(f, "%-34s %-16s %3d %7lld %13s  %s\n", label, source_name(b, s, src, sizeof src),
               s->level, (long long)(r && r->kind == RULE_COUNT ? s->raises + s->actions : s->raises),
               dur, first);
    }
}


/* ------------------------------------------------------------------- run */

void warn_backtest_free(warn_backtest *b)
{
    if (!b) return;
    rule_engine_free(b->eng);
    free(b->pts);
    free(b->stats);
    free(b);
}

ws_err warn_backtest_run(store_conn *c, struct series *s, const rule_set *set, const warn_backtest_opts *o,
                         warn_backtest **out)
{
    *out = NULL;
    if (o->from >= o->to) return ws_fail(WS_EINVAL, "from", "from must be before to");
    bt *b = calloc(1, sizeof *b);
    series_sample *samples = calloc(FETCH_MAX, sizeof *samples);
    rdbuf slab = {0};
    ws_err rc = WS_OK;
    if (!b || !samples) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto fail;
    }
    b->scope = o->scope_path ? o->scope_path : "/";
    b->from = o->from;
    b->to = o->to;
    b->max_readings = o->max_readings;
    b->tags_only = o->ntags > 0;
    if ((rc = load_points(c, o->tags, o->ntags, b))) goto fail;
    rule_engine_config ec = {b->npts + 1, 0, 0, 0, 0};
    if ((rc = rule_engine_init(set, &ec, &b->eng))) goto fail;
    b->set = rule_engine_set(b->eng);
    b->last_tick = INT64_MIN;
    for (size_t i = 0; i < b->npts; i++)
        if ((rc = rule_track(b->eng, &b->pts[i].rp, o->from))) goto fail;
    int64_t width = 3600000, t = o->from;
    while (t < o->to) {
        int64_t end = width >= o->to - t ? o->to : t + width;
        slab.n = 0;
        for (size_t i = 0; i < b->npts; i++)
            if ((rc = fetch(s, (int32_t)i, b->pts[i].p.id, t, end, samples, &slab))) goto fail;
        if (b->max_readings > 0 && b->readings + (int64_t)slab.n > b->max_readings) {
            rc = ws_fail(WS_ETOOBIG, "to", "the range holds more than %lld readings: choose a shorter "
                         "range or fewer points, or run `worksafe rules backtest` beside the server",
                         (long long)b->max_readings);
            goto fail;
        }
        if (slab.n) qsort(slab.a, slab.n, sizeof *slab.a, rd_cmp);
        for (size_t i = 0; i < slab.n; i++)
            if ((rc = feed(b, &slab.a[i]))) goto fail;
        t = end;
        /* About SLAB_TARGET readings per slab: sparse history, wide slabs. */
        double k = slab.n ? (double)SLAB_TARGET / (double)slab.n : 8;
        if (k > 8) k = 8;
        if (k < 0.125) k = 0.125;
        width = (int64_t)((double)width * k);
        if (width < 60000) width = 60000;
        if (width > INT64_C(30) * 86400000) width = INT64_C(30) * 86400000;
    }
    if ((rc = tick(b, o->to))) goto fail;
    if ((rc = warn_monitor_replay(c, s, o->from, o->to, monitor_event, b))) goto fail;
    /* Close what is still active at the end of the range. */
    for (size_t i = 0; i < b->nstats; i++) {
        stat *x = &b->stats[i];
        if (x->active_since != INT64_MIN && o->to > x->active_since) x->active_ms += o->to - x->active_since;
    }
    if (b->nstats) qsort(b->stats, b->nstats, sizeof *b->stats, stat_cmp);
    b->scope = NULL;
    free(samples);
    free(slab.a);
    *out = b;
    return WS_OK;
fail:
    free(samples);
    free(slab.a);
    warn_backtest_free(b);
    return rc;
}
