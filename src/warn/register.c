/* register.c — the point register as the engine keeps it (see warn_int.h,
 * struct warn): each active point's limits, device maintenance window,
 * response card's time limit (its alarms' escalation) and evaluation state
 * in id order, and the open-addressed tag index that
 * ingest looks tags up in (find_tag in warn.c).
 *
 * Read whole at start (warn_load_points) and after an edit of points or
 * devices (warn_reload_points: read without the engine's mutex, installed
 * under it, each point keeping its evaluation state); a point just created
 * is appended alone (warn_add_point), so that a register made point by
 * point through the API costs one read a point. */
#include "warn/warn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"
#include "core/clock.h"
#include "store/q_response.h"
#include "telemetry/point.h"
#include "telemetry/series.h"

/* Limits of the register as a threshold configuration (GB/T 50493 levels:
 * H/L 报警 (一级), HH/LL 紧急 (二级); the oxygen limits both 报警). */
static void thr_from_point(const point *p, thr_config *c)
{
    thr_config_init(c);
    struct { int cond; double v; uint8_t level; } l[] = {
        {THR_LL, p->ll, ALARM_LVL_EMERGENCY}, {THR_L, p->l, ALARM_LVL_ALARM},
        {THR_H, p->h, ALARM_LVL_ALARM},       {THR_HH, p->hh, ALARM_LVL_EMERGENCY},
    };
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++) {
        if (isnan(l[i].v)) continue;
        thr_limit *t = &c->lim[l[i].cond];
        t->enabled = true;
        t->level = l[i].level;
        t->value = l[i].v;
        t->deadband = isnan(p->deadband) ? 0 : p->deadband;
        t->on_delay_ms = (int32_t)p->on_delay_ms;
    }
    if (thr_config_check(c)) thr_config_init(c); /* the register checked it; never page on a broken one */
}

/* The point register as the engine keeps it, read from the store. */
typedef struct reg_cache {
    wpoint *pts;
    size_t n, cap;
    wtag_slot *idx;
    size_t icap;
    uint32_t *cnt;
    char (*tags)[WS_TAG_MAX + 1];
} reg_cache;

/* The engine's entry for register row p (fresh evaluation state), whose
 * device is in maintenance until maint (0: not). */
static void point_in_cache(warn *w, const point *p, int64_t maint, wpoint *q)
{
    memset(q, 0, sizeof *q);
    q->id = p->id;
    q->unit_id = p->unit_id;
    q->device_id = p->device_id;
    snprintf(q->tag, sizeof q->tag, "%s", p->tag);
    warn_copy_trunc(q->name, sizeof q->name, p->name);
    snprintf(q->kind, sizeof q->kind, "%s", p->kind);
    warn_copy_trunc(q->unit_path, sizeof q->unit_path, p->unit_path);
    thr_from_point(p, &q->thr);
    q->resolution = p->resolution;
    q->range_low = p->range_low;
    q->range_high = p->range_high;
    thr_state_init(&q->st);
    q->last_value = NAN;
    q->rule_slot = -1;
    q->maint_until = maint;
    if (w->cfg.series && !isnan(p->resolution) && p->resolution > 0)
        (void)series_point_resolution(w->cfg.series, p->id, p->resolution);
}

/* A tag zero-padded to its slot (find_tag compares whole words). */
static void tag_pad(char out[WS_TAG_MAX + 1], const char *tag)
{
    memset(out, 0, WS_TAG_MAX + 1);
    memcpy(out, tag, strnlen(tag, WS_TAG_MAX));
}

/* Index slot i + 1 of tag (padded) in idx (icap slots, a power of two, never full). */
static void tag_index_put(wtag_slot *idx, size_t icap, const char *tag, size_t i)
{
    uint64_t wd[WS_TAG_WORDS];
    uint64_t th = warn_tag_hash(wd, (int)(ws_tag_words(tag, wd) / 8) + 1);
    for (size_t h = th & (icap - 1);; h = (h + 1) & (icap - 1))
        if (!idx[h].k) { idx[h] = (wtag_slot){(uint32_t)(i + 1), (uint32_t)(th >> 32)}; return; }
}

/* A new index of tags[0..n) with room for twice as many (*icap slots), in
 * their order: of two points with one tag, the first is found. Caller frees. */
static wtag_slot *tag_index(char (*tags)[WS_TAG_MAX + 1], size_t n, size_t *icap)
{
    size_t cap = 64;
    while (cap < n * 2) cap *= 2;
    wtag_slot *idx = calloc(cap, sizeof *idx);
    if (!idx) return NULL;
    for (size_t i = 0; i < n; i++) tag_index_put(idx, cap, tags[i], i);
    *icap = cap;
    return idx;
}

/* Read the register into a new cache, without the engine's lock: only the
 * constant configuration of w is used. The points' evaluation state is
 * fresh (install_points carries it over). Caller owns out on success. */
static ws_err read_points(warn *w, reg_cache *out)
{
    store_conn *c = NULL;
    ws_err rc = store_acquire(w->cfg.db, &c);
    if (rc) return rc;
    size_t cap = 256, n = 0;
    wpoint *pts = calloc(cap, sizeof *pts);
    if (!pts) { store_release(c); return WS_ENOMEM; }
    /* devices: maintenance windows */
    typedef struct { int64_t id, until; } dm;
    dm *devs = NULL;
    size_t ndev = 0;
    int64_t cur = 0;
    for (;;) {
        point_filter f = {.scope_path = "/", .active = 1, .cursor = cur, .limit = 200};
        point_device *items = NULL;
        size_t k = 0;
        int64_t next = 0;
        if ((rc = point_device_list(c, &f, &items, &k, &next))) goto fail;
        dm *g = realloc(devs, (ndev + k + 1) * sizeof *g);
        if (!g) { free(items); rc = WS_ENOMEM; goto fail; }
        devs = g;
        for (size_t i = 0; i < k; i++) devs[ndev++] = (dm){items[i].id, items[i].maintenance_until};
        free(items);
        if (!next) break;
        cur = next;
    }
    cur = 0;
    for (;;) {
        point_filter f = {.scope_path = "/", .active = 1, .cursor = cur, .limit = 200};
        point *items = NULL;
        size_t k = 0;
        int64_t next = 0;
        if ((rc = point_list(c, &f, &items, &k, &next))) goto fail;
        for (size_t i = 0; i < k; i++) {
            if (n == w->cfg.max_points) {
                free(items);
                rc = ws_fail(WS_ETOOBIG, "max_points", "more than %zu points", w->cfg.max_points);
                goto fail;
            }
            if (n == cap) {
                wpoint *g = realloc(pts, cap * 2 * sizeof *g);
                if (!g) { free(items); rc = WS_ENOMEM; goto fail; }
                memset(g + cap, 0, cap * sizeof *g);
                pts = g;
                cap *= 2;
            }
            int64_t maint = 0; /* devs is in id order (the list's cursor) */
            for (size_t lo = 0, hi = ndev; lo < hi;) {
                size_t mid = lo + (hi - lo) / 2;
                if (devs[mid].id == items[i].device_id) { maint = devs[mid].until; break; }
                if (devs[mid].id < items[i].device_id) lo = mid + 1;
                else hi = mid;
            }
            point_in_cache(w, &items[i], maint, &pts[n++]);
        }
        free(items);
        if (!next) break;
        cur = next;
    }
    /* response cards: each point's time limit (pts is in id order) */
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_RESPONSE_LIMITS, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t id = store_col_int(st, 0);
        for (size_t lo = 0, hi = n; lo < hi;) {
            size_t mid = lo + (hi - lo) / 2;
            if (pts[mid].id == id) { pts[mid].respond_ms = store_col_int(st, 1) * 60000; break; }
            if (pts[mid].id < id) lo = mid + 1;
            else hi = mid;
        }
    }
    store_finalize(st);
    if (rc) goto fail;
    size_t icap = 0;
    wtag_slot *idx = NULL;
    uint32_t *cnt = calloc(cap, sizeof *cnt);
    char(*tags)[WS_TAG_MAX + 1] = malloc((n ? n : 1) * sizeof *tags);
    if (cnt && tags) {
        for (size_t i = 0; i < n; i++) tag_pad(tags[i], pts[i].tag);
        idx = tag_index(tags, n, &icap);
    }
    if (!idx || !cnt || !tags) { free(idx); free(cnt); free(tags); rc = WS_ENOMEM; goto fail; }
    *out = (reg_cache){pts, n, cap, idx, icap, cnt, tags};
    free(devs);
    store_release(c);
    return WS_OK;
fail:
    free(pts);
    free(devs);
    store_release(c);
    return rc;
}

/* Make r the engine's cache (taken): each point that stays keeps its
 * evaluation state. Caller holds w->mu (or is warn_open). */
static void install_points(warn *w, reg_cache *r)
{
    for (size_t i = 0; i < r->n; i++) {
        wpoint *q = &r->pts[i];
        const wpoint *old = warn_find_point(w, q->id);
        if (!old) continue;
        q->st = old->st;
        q->sealed_seq = old->sealed_seq;
        q->last_src_ms = old->last_src_ms;
        q->last_arrival_ms = old->last_arrival_ms;
        q->last_value = old->last_value;
        q->last_q = old->last_q;
        q->pub_ms = old->pub_ms;
        q->hour_end = old->hour_end, q->hour_kept = old->hour_kept, q->nhours = old->nhours;
        memcpy(q->hour_v, old->hour_v, sizeof q->hour_v);
    }
    free(w->pts);
    free(w->index);
    free(w->tags);
    free(w->grp_cnt);
    w->pts = r->pts;
    w->npts = r->n;
    w->cap_pts = r->cap;
    w->index = r->idx;
    w->grp_cnt = r->cnt;
    w->tags = r->tags;
    w->index_cap = r->icap;
    memset(r, 0, sizeof *r);
}

ws_err warn_load_points(warn *w)
{
    reg_cache r;
    ws_err rc = read_points(w, &r);
    if (!rc) install_points(w, &r);
    return rc;
}

ws_err warn_reload_points(warn *w)
{
    /* Reloads run one at a time, each reading after its caller's commit,
     * so the last one installed is never older than one before it. The
     * store is read without the engine's lock: ingest and alarm actions
     * wait only for the swap. */
    pthread_mutex_lock(&w->reload_mu);
    reg_cache r;
    ws_err rc = read_points(w, &r);
    if (rc) {
        pthread_mutex_unlock(&w->reload_mu);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    install_points(w, &r);
    int64_t now = clock_now_ms();
    for (size_t i = 0; !rc && w->rules && i < w->npts; i++) {
        rule_point rp = warn_rule_point(&w->pts[i]);
        rc = rule_track(w->rules, &rp, now); /* new points: silence counts from now */
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_unlock(&w->reload_mu);
    return rc;
}

ws_err warn_add_point(warn *w, int64_t id)
{
    pthread_mutex_lock(&w->reload_mu);
    store_conn *c = NULL;
    point p;
    int64_t maint = 0;
    ws_err rc = store_acquire(w->cfg.db, &c);
    if (!rc) rc = point_get(c, id, &p);
    if (!rc && p.device_id) {
        point_device d;
        if (!point_device_get(c, p.device_id, &d)) maint = d.maintenance_until;
        ws_err_clear();
    }
    if (c) store_release(c);
    if (rc || !p.active) {
        pthread_mutex_unlock(&w->reload_mu);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    size_t n = w->npts;
    bool newest = !n || w->pts[n - 1].id < id; /* the register stays in id order */
    if (!newest || n == w->cfg.max_points) {
        pthread_mutex_unlock(&w->mu);
        pthread_mutex_unlock(&w->reload_mu);
        return warn_reload_points(w); /* the general case (and its refusal past max_points) */
    }
    if (n == w->cap_pts) {
        size_t cap = w->cap_pts ? w->cap_pts * 2 : 256;
        wpoint *g = realloc(w->pts, cap * sizeof *g);
        if (g) w->pts = g;
        uint32_t *k = g ? realloc(w->grp_cnt, cap * sizeof *k) : NULL;
        if (k) w->grp_cnt = k;
        if (!g || !k) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        else {
            memset(w->pts + w->cap_pts, 0, (cap - w->cap_pts) * sizeof *g);
            memset(w->grp_cnt + w->cap_pts, 0, (cap - w->cap_pts) * sizeof *k);
            w->cap_pts = cap;
        }
    }
    char(*tags)[WS_TAG_MAX + 1] = rc ? NULL : realloc(w->tags, (n + 1) * sizeof *tags);
    if (!rc && !tags) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) {
        w->tags = tags;
        tag_pad(tags[n], p.tag);
        if ((n + 1) * 2 > w->index_cap) { /* keep it at most half full */
            size_t icap = 0;
            wtag_slot *idx = tag_index(tags, n + 1, &icap);
            if (!idx) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
            else {
                free(w->index);
                w->index = idx;
                w->index_cap = icap;
            }
        } else {
            tag_index_put(w->index, w->index_cap, tags[n], n);
        }
    }
    if (!rc) {
        point_in_cache(w, &p, maint, &w->pts[n]);
        w->npts = n + 1;
        if (w->rules) {
            rule_point rp = warn_rule_point(&w->pts[n]);
            rc = rule_track(w->rules, &rp, clock_now_ms()); /* silence counts from now */
        }
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_unlock(&w->reload_mu);
    return rc;
}
