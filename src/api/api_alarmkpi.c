/* api_alarmkpi.c — alarm KPIs for the alarm-management review (issue 4 item 5,
 * page /alarms/kpi; docs/internals/web.md "Alarm KPIs"):
 *
 *   GET /api/v1/alarms/kpi ?unit_id=&from=&to=     (RFC 3339; default the last 7 days)
 *
 * Computed from the stored alarm events and alarms (migration 12; queries in
 * store/q_alarmkpi.c) for the caller's scope, or the subtree of unit_id:
 *  - per area (the alarm's unit, which stands for one operator position, as
 *    the alarm core's flood grouping does): new alarms raised (by level),
 *    alarms open now, annunciations (new, reactivated, un-shelved while
 *    active) per 10-minute period — average over the window and peak —,
 *    the periods in flood (more than 10 in 10 minutes, EEMUA 191), their
 *    share and the time in flood (periods x 10 min), and the time to
 *    acknowledge (each ack, from the annunciation before it) and to close
 *    (raised to closed) as count, mean, p90 and max;
 *  - per person: the acknowledgements they made per 10 minutes (average,
 *    peak, flood periods) and their times to acknowledge and close; who was
 *    on duty when an alarm was raised needs the rosters, which come later;
 *  - the most frequent alarms (bad actors; an alarm is its rule and source,
 *    across the rows a close and a new raise make): the top 10 by
 *    annunciations with their share of the load, and which of them chatter
 *    (three annunciations within 60 s); the share of the top 10 and the
 *    number of chattering alarms in the window;
 *  - response cards: whether each frequent alarm's point has one, and the
 *    share of point alarms' annunciations whose point has one;
 *  - response on time: of the acknowledgements of alarms whose point has a
 *    response card (telemetry/response.h), those within its time limit —
 *    per area, per person and in all;
 *  - stale alarms: open alarms still in alarm (not returned to normal, not
 *    shelved) whose latest annunciation is 24 hours old or more, now —
 *    their number and the 20 oldest;
 *  - the reference figures of ANSI/ISA-18.2 and EEMUA 191 beside them, so
 *    the page can show targets.
 * Periods are 10 minutes counted from `from`. Permission alarm.read on the
 * unit (outside the scope 404 naming unit_id). Times are seconds (reals). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "org/org.h"
#include "store/q_alarmkpi.h"

#define PERIOD_MS 600000LL
#define FLOOD_OVER 10            /* a flood: more than 10 in a period (EEMUA 191) */
#define MAX_SPAN_MS (400LL * 86400000LL)
#define MAX_GROUPS 1024          /* areas or people in one answer */
#define TOP_N 10                 /* the most frequent alarms listed (ISA-18.2's "top 10") */
#define STALE_MS 86400000LL      /* in alarm this long: stale */
#define STALE_LIST 20

typedef struct kstat {
    int64_t n, sum_ms, p90_ms, max_ms;
} kstat;

typedef struct group {
    int64_t id;
    int64_t raised, by_level[3], open_now;
    int64_t card_acks, on_time; /* acks of alarms with a response card; within its limit */
    int64_t events, peak, flood; /* annunciations (areas) or acks (people) per period */
    kstat tta, ttc;
} group;

typedef struct groups {
    group *g;
    size_t n;
} groups;

/* The group of id, added when new; NULL (with the error set) when full. */
static group *group_of(groups *gs, int64_t id)
{
    for (size_t i = 0; i < gs->n; i++)
        if (gs->g[i].id == id) return &gs->g[i];
    if (gs->n == MAX_GROUPS) {
        ws_fail(WS_ETOOBIG, "unit_id", "more than %d areas or people: choose a smaller unit",
                MAX_GROUPS);
        return NULL;
    }
    group *g = &gs->g[gs->n++];
    memset(g, 0, sizeof *g);
    g->id = id;
    return g;
}

static ws_err prepare(api_ctx *ctx, const char *q, const char *path, int64_t from, int64_t to,
                      int mode, int nparam, store_stmt **st)
{
    ws_err rc = store_prepare(ctx->conn, q, st);
    if (!rc) rc = store_bind_text(*st, 1, path);
    if (!rc && nparam >= 3) rc = store_bind_int(*st, 2, from);
    if (!rc && nparam >= 3) rc = store_bind_int(*st, 3, to);
    if (!rc && nparam >= 4) rc = store_bind_int(*st, 4, mode);
    return rc;
}

/* Rows (g, period, n): per group the events, the peak and the flood periods. */
static ws_err load_rate(api_ctx *ctx, const char *path, int64_t from, int64_t to, int mode,
                        groups *gs)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = prepare(ctx, Q_AKPI_RATE, path, from, to, mode, 4, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        group *g = group_of(gs, store_col_int(st, 0));
        if (!g) {
            rc = WS_ETOOBIG;
            break;
        }
        int64_t n = store_col_int(st, 2);
        g->events += n;
        if (n > g->peak) g->peak = n;
        if (n > FLOOD_OVER) g->flood++;
    }
    store_finalize(st);
    return rc;
}

/* Rows (g, n, sum, p90, max) of Q_AKPI_TTA/TTC into the kstat at offset off
 * of each group (mode 0: the one group 0). */
static ws_err load_stat(api_ctx *ctx, const char *q, const char *path, int64_t from, int64_t to,
                        int mode, groups *gs, size_t off)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = prepare(ctx, q, path, from, to, mode, 4, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        group *g = group_of(gs, store_col_int(st, 0));
        if (!g) {
            rc = WS_ETOOBIG;
            break;
        }
        kstat *s = (kstat *)((char *)g + off);
        s->n = store_col_int(st, 1);
        s->sum_ms = store_col_int(st, 2);
        s->p90_ms = store_col_int(st, 3);
        s->max_ms = store_col_int(st, 4);
    }
    store_finalize(st);
    return rc;
}

/* Rows (g, acks, on time) of Q_AKPI_ONTIME into each group. */
static ws_err load_ontime(api_ctx *ctx, const char *path, int64_t from, int64_t to, int mode, groups *gs)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = prepare(ctx, Q_AKPI_ONTIME, path, from, to, mode, 4, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        group *g = group_of(gs, store_col_int(st, 0));
        if (!g) {
            rc = WS_ETOOBIG;
            break;
        }
        g->card_acks = store_col_int(st, 1);
        g->on_time = store_col_int(st, 2);
    }
    store_finalize(st);
    return rc;
}

/* {"acks","on_time","pct"}: pct null without acks. */
static json_t *ontime_json(const group *g)
{
    return json_pack("{s:I, s:I, s:o}", "acks", (json_int_t)g->card_acks, "on_time", (json_int_t)g->on_time, "pct",
                     g->card_acks ? json_real(100.0 * (double)g->on_time / (double)g->card_acks) : json_null());
}

static ws_err load_raised(api_ctx *ctx, const char *path, int64_t from, int64_t to, groups *gs)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = prepare(ctx, Q_AKPI_RAISED, path, from, to, 0, 3, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        group *g = group_of(gs, store_col_int(st, 0));
        if (!g) {
            rc = WS_ETOOBIG;
            break;
        }
        int64_t level = store_col_int(st, 1), n = store_col_int(st, 2);
        g->raised += n;
        if (level >= 1 && level <= 3) g->by_level[level - 1] += n;
    }
    store_finalize(st);
    return rc;
}

static ws_err load_open(api_ctx *ctx, const char *path, groups *gs)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = prepare(ctx, Q_AKPI_OPEN, path, 0, 0, 0, 1, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        group *g = group_of(gs, store_col_int(st, 0));
        if (!g) {
            rc = WS_ETOOBIG;
            break;
        }
        g->open_now = store_col_int(st, 1);
    }
    store_finalize(st);
    return rc;
}

static json_t *unit_name_json(api_ctx *ctx, int64_t unit_id)
{
    org_unit u;
    return org_unit_get(ctx->conn, unit_id, &u) ? json_null() : json_str(u.name);
}

/* One alarm's identity columns (id, title, unit_id, point_id, level from
 * column c on) into o. */
static void alarm_cols(api_ctx *ctx, store_stmt *st, int c, json_t *o)
{
    int64_t unit = store_col_int(st, c + 2);
    json_object_set_new(o, "alarm_id", json_id(store_col_int(st, c)));
    json_object_set_new(o, "title", json_str(store_col_text(st, c + 1)));
    json_object_set_new(o, "unit_id", json_id(unit));
    json_object_set_new(o, "unit_name", unit_name_json(ctx, unit));
    json_object_set_new(o, "point_id", store_col_null(st, c + 3) ? json_null() : json_id(store_col_int(st, c + 3)));
    json_object_set_new(o, "level", json_integer(store_col_int(st, c + 4)));
}

/* The most frequent alarms: the first TOP_N into top, with the total of
 * annunciations, those of the top, the alarms that chattered, and of the
 * annunciations of point alarms, cover[0], those whose point has a
 * response card, cover[1]. */
static ws_err load_frequent(api_ctx *ctx, const char *path, int64_t from, int64_t to, json_t *top,
                            int64_t *total, int64_t *in_top, int64_t *chattering, int64_t cover[2])
{
    store_stmt *st = NULL;
    bool row = false;
    size_t k = 0;
    ws_err rc = prepare(ctx, Q_AKPI_FREQUENT, path, from, to, 0, 3, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t n = store_col_int(st, 2);
        bool chat = store_col_int(st, 3) != 0, point = !store_col_null(st, 8), card = store_col_int(st, 10) != 0;
        *total += n;
        *chattering += chat;
        if (point) cover[0] += n, cover[1] += card ? n : 0;
        if (k++ >= TOP_N) continue;
        *in_top += n;
        json_t *o = json_object();
        json_object_set_new(o, "rule_id", json_integer(store_col_int(st, 0)));
        json_object_set_new(o, "source_id", json_integer(store_col_int(st, 1)));
        json_object_set_new(o, "annunciated", json_integer(n));
        json_object_set_new(o, "chattering", json_boolean(chat));
        json_object_set_new(o, "last_at", json_time(store_col_int(st, 4)));
        alarm_cols(ctx, st, 5, o);
        json_object_set_new(o, "has_card", point ? json_boolean(card) : json_null());
        json_array_append_new(top, o);
    }
    store_finalize(st);
    size_t i;
    json_t *o;
    json_array_foreach(top, i, o) /* each one's share of the load */
        json_object_set_new(o, "pct", json_real(100.0 * (double)json_integer_value(json_object_get(o, "annunciated")) /
                                                (double)*total));
    return rc;
}

/* Stale alarms now: their number and the STALE_LIST oldest into list. */
static ws_err load_stale(api_ctx *ctx, const char *path, int64_t now, json_t *list, int64_t *n)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(ctx->conn, Q_AKPI_STALE, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, now - STALE_MS);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if ((*n)++ >= STALE_LIST) continue;
        json_t *o = json_object();
        alarm_cols(ctx, st, 0, o);
        json_object_set_new(o, "state", json_str(store_col_text(st, 5)));
        json_object_set_new(o, "since", json_time(store_col_int(st, 6)));
        json_array_append_new(list, o);
    }
    store_finalize(st);
    return rc;
}

static json_t *secs(int64_t ms) { return json_real((double)ms / 1000.0); }

/* {"n","mean_s","p90_s","max_s"}; the times null when n is 0. */
static json_t *stat_json(const kstat *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer(s->n));
    json_object_set_new(o, "mean_s", s->n ? json_real((double)s->sum_ms / 1000.0 / (double)s->n)
                                          : json_null());
    json_object_set_new(o, "p90_s", s->n ? secs(s->p90_ms) : json_null());
    json_object_set_new(o, "max_s", s->n ? secs(s->max_ms) : json_null());
    return o;
}

/* The rate figures of a group over `periods` periods into o. */
static void rate_into(json_t *o, const group *g, int64_t periods)
{
    json_object_set_new(o, "per_10min_avg", json_real((double)g->events / (double)periods));
    json_object_set_new(o, "per_10min_peak", json_integer(g->peak));
    json_object_set_new(o, "flood_periods", json_integer(g->flood));
    json_object_set_new(o, "flood_pct", json_real(100.0 * (double)g->flood / (double)periods));
    json_object_set_new(o, "time_in_flood_s", json_integer(g->flood * (PERIOD_MS / 1000)));
}

static json_t *levels_json(const int64_t v[3])
{
    json_t *o = json_object();
    json_object_set_new(o, "1", json_integer(v[0]));
    json_object_set_new(o, "2", json_integer(v[1]));
    json_object_set_new(o, "3", json_integer(v[2]));
    return o;
}

/* ISA-18.2 (2016) / EEMUA 191 (2013) reference figures for the page. */
static json_t *reference_json(void)
{
    json_t *o = json_object();
    json_object_set_new(o, "source", json_string("ANSI/ISA-18.2-2016; EEMUA 191"));
    json_object_set_new(o, "period_minutes", json_integer(PERIOD_MS / 60000));
    json_object_set_new(o, "acceptable_per_10min", json_integer(1));
    json_object_set_new(o, "manageable_per_10min", json_integer(2));
    json_object_set_new(o, "flood_over_per_10min", json_integer(FLOOD_OVER));
    json_object_set_new(o, "flood_pct_max", json_real(1.0));
    json_t *p = json_object(); /* annunciated priority distribution: 3 levels */
    json_object_set_new(p, "1", json_integer(80));
    json_object_set_new(p, "2", json_integer(15));
    json_object_set_new(p, "3", json_integer(5));
    json_object_set_new(o, "level_pct", p);
    json_object_set_new(o, "top_n", json_integer(TOP_N));
    json_object_set_new(o, "top_pct_max", json_integer(5)); /* "~1 % to 5 % maximum" */
    json_object_set_new(o, "chattering_max", json_integer(0));
    json_object_set_new(o, "chattering_n", json_integer(3));  /* annunciations ... */
    json_object_set_new(o, "chattering_s", json_integer(60)); /* ... within this */
    json_object_set_new(o, "stale_h", json_integer(STALE_MS / 3600000));
    json_object_set_new(o, "stale_below", json_integer(5));   /* "less than 5 present on any day" */
    return o;
}

static ws_err kpi_get(api_ctx *ctx)
{
    int64_t unit_id = 0, from, to, now = clock_now_ms();
    char path[AUTH_PATH_MAX];
    ws_err rc = api_query_id(ctx, "unit_id", &unit_id);
    if (!rc) rc = api_query_time(ctx, "to", now, &to);
    if (!rc) rc = api_query_time(ctx, "from", to - 7 * 86400000LL, &from);
    if (rc) return rc;
    if (from >= to) return ws_fail(WS_EINVAL, "from", "from must be before to");
    if (to - from > MAX_SPAN_MS) return ws_fail(WS_EINVAL, "from", "at most 400 days at once");
    org_unit u;
    if (unit_id) {
        rc = org_unit_get(ctx->conn, unit_id, &u);
        if (!rc) {
            auth_resource r = {0};
            r.unit_path = u.path;
            rc = auth_decide(&ctx->who, "alarm.read", &r);
        }
        if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
        if (rc) return rc;
        snprintf(path, sizeof path, "%s", u.path);
    } else {
        snprintf(path, sizeof path, "%s", ctx->who.scope_path);
    }
    int64_t periods = (to - from + PERIOD_MS - 1) / PERIOD_MS;

    groups areas = {calloc(MAX_GROUPS, sizeof(group)), 0};
    groups people = {calloc(MAX_GROUPS, sizeof(group)), 0};
    groups all = {calloc(1, sizeof(group)), 0};
    if (!areas.g || !people.g || !all.g) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto done;
    }
    rc = load_raised(ctx, path, from, to, &areas);
    if (!rc) rc = load_open(ctx, path, &areas);
    if (!rc) rc = load_rate(ctx, path, from, to, 1, &areas);
    if (!rc) rc = load_stat(ctx, Q_AKPI_TTA, path, from, to, 1, &areas, offsetof(group, tta));
    if (!rc) rc = load_stat(ctx, Q_AKPI_TTC, path, from, to, 1, &areas, offsetof(group, ttc));
    if (!rc) rc = load_rate(ctx, path, from, to, 2, &people);
    if (!rc) rc = load_stat(ctx, Q_AKPI_TTA, path, from, to, 2, &people, offsetof(group, tta));
    if (!rc) rc = load_stat(ctx, Q_AKPI_TTC, path, from, to, 2, &people, offsetof(group, ttc));
    if (!rc) rc = load_stat(ctx, Q_AKPI_TTA, path, from, to, 0, &all, offsetof(group, tta));
    if (!rc) rc = load_stat(ctx, Q_AKPI_TTC, path, from, to, 0, &all, offsetof(group, ttc));
    if (!rc) rc = load_ontime(ctx, path, from, to, 1, &areas);
    if (!rc) rc = load_ontime(ctx, path, from, to, 2, &people);
    if (!rc) rc = load_ontime(ctx, path, from, to, 0, &all);
    int64_t ann = 0, in_top = 0, chattering = 0, stale = 0, cover[2] = {0, 0};
    json_t *top = json_array(), *stale_list = json_array();
    if (!rc) rc = load_frequent(ctx, path, from, to, top, &ann, &in_top, &chattering, cover);
    if (!rc) rc = load_stale(ctx, path, now, stale_list, &stale);
    if (rc) {
        json_decref(top);
        json_decref(stale_list);
        goto done;
    }

    /* The summary: totals; the rate figures of the busiest area. */
    group sum = {0};
    double worst_avg = 0, worst_pct = 0;
    json_t *aj = json_array();
    for (size_t i = 0; i < areas.n; i++) {
        const group *g = &areas.g[i];
        json_t *o = json_object();
        json_object_set_new(o, "unit_id", json_id(g->id));
        json_object_set_new(o, "unit_name", unit_name_json(ctx, g->id));
        json_object_set_new(o, "raised", json_integer(g->raised));
        json_object_set_new(o, "by_level", levels_json(g->by_level));
        json_object_set_new(o, "open_now", json_integer(g->open_now));
        json_object_set_new(o, "annunciated", json_integer(g->events));
        rate_into(o, g, periods);
        json_object_set_new(o, "ack", stat_json(&g->tta));
        json_object_set_new(o, "close", stat_json(&g->ttc));
        json_object_set_new(o, "on_time", ontime_json(g));
        json_array_append_new(aj, o);
        sum.raised += g->raised;
        for (int l = 0; l < 3; l++) sum.by_level[l] += g->by_level[l];
        sum.open_now += g->open_now;
        sum.events += g->events;
        sum.flood += g->flood;
        if (g->peak > sum.peak) sum.peak = g->peak;
        double avg = (double)g->events / (double)periods, pct = 100.0 * (double)g->flood / (double)periods;
        if (avg > worst_avg) worst_avg = avg;
        if (pct > worst_pct) worst_pct = pct;
    }
    json_t *pj = json_array();
    for (size_t i = 0; i < people.n; i++) {
        const group *g = &people.g[i];
        org_person pp;
        json_t *o = json_object();
        json_object_set_new(o, "person_id", json_id(g->id));
        json_object_set_new(o, "name", g->id > 0 && !org_person_get(ctx->conn, g->id, &pp)
                                           ? json_str(pp.name) : json_null());
        json_object_set_new(o, "acked", json_integer(g->events));
        json_object_set_new(o, "closed", json_integer(g->ttc.n));
        rate_into(o, g, periods);
        json_object_set_new(o, "ack", stat_json(&g->tta));
        json_object_set_new(o, "close", stat_json(&g->ttc));
        json_object_set_new(o, "on_time", ontime_json(g));
        json_array_append_new(pj, o);
    }
    ws_err_clear();
    const group *a0 = all.n ? &all.g[0] : &sum; /* sum's stats are zero */
    json_t *s = json_object();
    json_object_set_new(s, "raised", json_integer(sum.raised));
    json_object_set_new(s, "by_level", levels_json(sum.by_level));
    json_object_set_new(s, "open_now", json_integer(sum.open_now));
    json_object_set_new(s, "annunciated", json_integer(sum.events));
    json_object_set_new(s, "areas", json_integer((json_int_t)areas.n));
    json_object_set_new(s, "worst_per_10min_avg", json_real(worst_avg));
    json_object_set_new(s, "per_10min_peak", json_integer(sum.peak));
    json_object_set_new(s, "flood_periods", json_integer(sum.flood));
    json_object_set_new(s, "worst_flood_pct", json_real(worst_pct));
    json_object_set_new(s, "time_in_flood_s", json_integer(sum.flood * (PERIOD_MS / 1000)));
    json_object_set_new(s, "ack", stat_json(&a0->tta));
    json_object_set_new(s, "close", stat_json(&a0->ttc));
    json_object_set_new(s, "on_time", ontime_json(a0));
    json_object_set_new(s, "top_pct", ann ? json_real(100.0 * (double)in_top / (double)ann) : json_null());
    json_object_set_new(s, "top_annunciated", json_integer(in_top));
    /* of the point alarms' annunciations, those with a response card */
    json_object_set_new(s, "card_pct", cover[0] ? json_real(100.0 * (double)cover[1] / (double)cover[0]) : json_null());
    json_object_set_new(s, "chattering", json_integer(chattering));
    json_object_set_new(s, "stale_now", json_integer(stale));

    json_t *r = json_object();
    json_object_set_new(r, "from", json_time(from));
    json_object_set_new(r, "to", json_time(to));
    json_object_set_new(r, "unit_id", json_id(unit_id));
    json_object_set_new(r, "period_minutes", json_integer(PERIOD_MS / 60000));
    json_object_set_new(r, "periods", json_integer(periods));
    json_object_set_new(r, "reference", reference_json());
    json_object_set_new(r, "summary", s);
    json_object_set_new(r, "areas", aj);
    json_object_set_new(r, "people", pj);
    json_object_set_new(r, "frequent", top);
    json_object_set_new(r, "stale", stale_list);
    rc = api_reply_json(ctx, 200, r);
done:
    free(areas.g);
    free(people.g);
    free(all.g);
    return rc;
}

const api_route api_alarmkpi_routes[] = {
    {"GET", "/api/v1/alarms/kpi", kpi_get, API_AUTH, "alarm.read",
     "Alarm KPIs per area and per person over ?from..to (default the last 7 days) for the scope "
     "or ?unit_id's subtree: alarms raised, annunciations per 10 minutes (average, peak), "
     "periods and time in flood (more than 10 in 10 minutes), time to acknowledge and to close "
     "(mean, p90), the 10 most frequent alarms with their share and chattering, the stale "
     "alarms (in alarm 24 h or more) now, with the ISA-18.2 / EEMUA 191 reference figures",
     "alarm", NULL, 0, 0},
};
const size_t api_alarmkpi_nroutes = sizeof api_alarmkpi_routes / sizeof api_alarmkpi_routes[0];
