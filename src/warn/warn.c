/* warn.c — the early-warning engine: readings in, alarms out (see warn.h).
 *
 * One batch, under the engine mutex:
 *
 *   journal_write (write(2) of the record built before the lock was
 *   taken: the batch now survives kill -9)
 *     └ 32,768 readings at a time: tag → cached point (open-addressed hash,
 *       no allocation), then point by point unless a composite rule judges
 *       points together (group); 256 of them at a time:
 *         ├ series appends collected (stage 2, below)
 *         ├ device in maintenance/calibration → recorded, not evaluated
 *         └ thr_eval → alarm_raise / alarm_clear → events queued
 *   take the queued alarm events (persist_take): publish them to the
 *   alarm hub (SSE) at once, snapshot each changed alarm's row, queue them
 *   with a ticket
 * then the append mutex is taken and the engine mutex let go, so the next
 * batch is evaluated meanwhile:
 *   stage 2: series_append_batch (compressed chunks, sealed by the series
 *   store's writer thread; a refusal raises the "series store failed"
 *   system alarm); batches append in journal order, as they took the
 *   append mutex before letting go of the engine's
 *   write the events (persist_write) in ticket order, grouped: one
 *   transaction on the engine's own connection (alarm_events rows, the
 *   alarms row, an evidence leaf per changed alarm) for every commit
 *   queued — committed (it survives kill -9) before the batch is
 *   answered, and fsynced right after by the syncer thread while the next
 *   is written. A failed transaction's events go first into the next one.
 *   Values go to the value hub from the timer (1 Hz).
 * Operator actions, the timer and other modules' alarms take their
 * events under the mutex and write them after letting it go
 * (persist_unlock), after every ticket taken before theirs, and are
 * answered after their own fsync: an operator's fsync never holds up
 * ingest. The journal replay writes under the mutex
 * (persist); it and batches over 32,768 readings append under it.
 *
 * Restart: open alarms come back from their rows (alarm_from_json keeps the
 * timers); each point's evaluation resumes at the source time of its last
 * alarm change (src_ms), so a journal replay never raises or clears twice;
 * the journal is replayed, skipping readings the series store has sealed.
 *
 * Time: readings carry source time (device clock) and the engine adds the
 * arrival time (clock_now_ms). A source time more than skew_ms ahead of
 * arrival is clock skew: the arrival time is used and the point flagged. */
#include "warn/warn_int.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alarm/rule.h"
#include "alarm/ruleset.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/hub.h"
#include "core/log.h"
#include "store/q_warn.h"
#include "plant/plant.h"
#include "telemetry/point.h"
#include "telemetry/series.h"

static const audit_col alarm_cols[] = {
    {"id", AC_INT},          {"rule_id", AC_INT},       {"source_id", AC_INT},
    {"point_id", AC_INT},    {"unit_id", AC_INT},       {"level", AC_INT},
    {"state", AC_TEXT},      {"open", AC_INT},          {"title", AC_TEXT},
    {"value", AC_REAL},      {"count", AC_INT},         {"raised_at", AC_INT},
    {"acked_at", AC_INT},    {"acked_by_person_id", AC_INT}, {"cleared_at", AC_INT},
    {"closed_at", AC_INT},   {"closed_by_person_id", AC_INT}, {"cause", AC_TEXT},
    {"action", AC_TEXT},
};
const audit_entity WARN_ENTITY_ALARM = {"alarm", "alarms", alarm_cols,
                                        (int)(sizeof alarm_cols / sizeof alarm_cols[0])};

ws_err warn_init(void)
{
    ws_err rc = audit_register(&WARN_ENTITY_ALARM);
    return rc ? rc : audit_register(&WARN_ENTITY_MONITOR);
}

/* ------------------------------------------------------------ tag index */

/* The point of tag (a tag field, as ws_tag_words). A slot holds the hash's
 * high half beside the index, and the tags are compared, a word at a time,
 * in their own dense array of zero-padded fields: a lookup touches no
 * point's record (whose lines are cold when readings come point after
 * point). */
static wpoint *find_tag(const warn *w, const char *tag)
{
    if (!w->index_cap) return NULL;
    uint64_t wd[WS_TAG_WORDS];
    int n = (int)(ws_tag_words(tag, wd) / 8) + 1;
    size_t m = w->index_cap - 1;
    uint64_t h = warn_tag_hash(wd, n);
    for (size_t i = h & m;; i = (i + 1) & m) {
        uint32_t k = w->index[i].k;
        if (!k) return NULL;
        if (w->index[i].h != (uint32_t)(h >> 32)) continue;
        const char *t = w->tags[k - 1];
        int j = 0;
        for (; j < n; j++) {
            uint64_t x;
            memcpy(&x, t + 8 * j, 8);
            if (x != wd[j]) break;
        }
        if (j == n) return &w->pts[k - 1];
    }
}

/* Copy at most cap - 1 bytes, cut at a UTF-8 character boundary (a title
 * never ends in half a character; a too deep unit path fails closed in
 * scope checks). */
void warn_copy_trunc(char *dst, size_t cap, const char *src)
{
    dst[0] = 0;
    str_append_utf8(dst, cap, src, cap);
}

/* The cache is in id order (register.c reads the register by id). */
wpoint *warn_find_point(const warn *w, int64_t id)
{
    size_t lo = 0, hi = w->npts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->pts[mid].id == id) return &w->pts[mid];
        if (w->pts[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* ------------------------------------------------- alarm events, the hub */

static const char *cond_title(int cond)
{
    switch (cond) {
    case THR_LL: return "低低报 LL";
    case THR_L: return "低报 L";
    case THR_PRE_L: return "接近低限 预警";
    case THR_PRE_H: return "接近高限 预警";
    case THR_H: return "高报 H";
    case THR_HH: return "高高报 HH";
    case THR_ROC: return "变化率超限";
    case THR_FAULT: return "传感器故障";
    case THR_STALE: return "数据中断";
    default: return "报警";
    }
}

static void queue_events(warn *w, const alarm_events *ev, const wpoint *p, int cond, double value,
                         int64_t src_ms, int64_t person_id, const char *title);

void queue_events_ext(warn *w, const alarm_events *ev, const wpoint *p, int64_t src_ms, const char *title)
{
    queue_events(w, ev, p, -1, NAN, src_ms, 0, title);
}

static ws_err area_path(warn *w, int64_t unit_id, char *out, size_t cap);

void warn_publish(warn *w, const pend *p)
{
    if (!w->ahub) return;
    const alarm_event *e = &p->ev;
    warn_alarm_msg m;
    memset(&m, 0, sizeof m);
    m.seq = e->seq;
    m.alarm_id = e->alarm_id;
    m.rule_id = e->rule_id;
    m.source_id = e->source_id;
    m.point_id = p->point_id;
    m.unit_id = e->area_id;
    m.at_ms = e->at_ms;
    m.kind = e->kind;
    m.level = e->level;
    m.state = e->to;
    m.count = e->count;
    m.value = p->value;
    const wpoint *pt = p->point_id ? warn_find_point(w, p->point_id) : NULL;
    char path[AUTH_PATH_MAX] = "";
    if (!pt && area_path(w, e->area_id, path, sizeof path)) path[0] = 0; /* fails closed */
    warn_copy_trunc(m.unit_path, sizeof m.unit_path, pt ? pt->unit_path : path);
    snprintf(m.tag, sizeof m.tag, "%s", p->tag);
    warn_copy_trunc(m.title, sizeof m.title, p->title);
    snprintf(m.who, sizeof m.who, "%s", e->who);
    hub_publish(w->ahub, &m);
}

static void queue_events(warn *w, const alarm_events *ev, const wpoint *p, int cond, double value,
                         int64_t src_ms, int64_t person_id, const char *title)
{
    for (int i = 0; i < ev->n; i++) {
        if (w->npend == PEND_MAX && persist(w, NULL)) {
            log_warn("alarm event queue full; an event is not persisted", "alarm", "");
            return;
        }
        pend *q = &w->pend[w->npend++];
        memset(q, 0, sizeof *q);
        q->ev = ev->ev[i];
        q->value = value;
        q->src_ms = src_ms;
        q->person_id = person_id;
        q->point_id = p ? p->id : 0;
        if (p) snprintf(q->tag, sizeof q->tag, "%s", p->tag);
        int k = ev->ev[i].kind;
        if (title && (k == AEV_RAISE || k == AEV_REACTIVATE || k == AEV_LEVEL_UP))
            warn_copy_trunc(q->title, sizeof q->title, title);
        else if (p && cond >= 0 && (k == AEV_RAISE || k == AEV_REACTIVATE || k == AEV_LEVEL_UP))
        {
            char t[WS_TAG_MAX + sizeof p->name + 48];
            snprintf(t, sizeof t, "%s %s %s", p->tag, p->name, cond_title(cond));
            warn_copy_trunc(q->title, sizeof q->title, t);
        }
    }
}

/* The source-time bookkeeping of an alarm's row, for pend entries that
 * carry no reading (operator actions, timers): the row's src_ms is kept. */
static int64_t row_src_ms(warn *w, int64_t source)
{
    const wpoint *p = warn_find_point(w, source);
    return p ? p->st.last_ms : 0;
}

/* ------------------------------------------------------------ evaluation */

static void system_alarm(warn *w, int64_t rule_id, bool on, const char *title, int64_t now)
{
    alarm_events ev = {0};
    ws_err rc;
    if (on) {
        alarm_raise_in in = {.rule_id = rule_id, .source_id = 1, .area_id = 1, .level = ALARM_LVL_ALARM};
        rc = alarm_raise(w->alarms, &in, now, &ev);
    } else {
        rc = alarm_clear(w->alarms, rule_id, 1, now, &ev);
    }
    if (!rc) queue_events(w, &ev, NULL, -1, NAN, now, 0, title);
}

/* ------------------------------------------------------------ rules */

static const char *rule_name(warn *w, int64_t id)
{
    const rule_set *set = w->rules ? rule_engine_set(w->rules) : NULL;
    for (int i = 0; set && i < set->n; i++)
        if (set->rules[i].id == id) return set->rules[i].name;
    return "规则";
}

/* Rule events into alarms and queued work orders. Under w->mu. */
static void rules_apply(warn *w, const rule_event *ev, int n)
{
    for (int i = 0; i < n; i++) {
        const rule_event *e = &ev[i];
        const wpoint *p = (e->rule_kind == RULE_ROC || e->rule_kind == RULE_FLATLINE || e->rule_kind == RULE_ANOMALY ||
                           (e->rule_kind == RULE_STALE && e->source_id && warn_find_point(w, e->source_id)))
                              ? warn_find_point(w, e->source_id) : NULL;
        alarm_events ae = {0};
        char title[160], what[48] = "";
        int tlen = snprintf(title, sizeof title, "%.*s %.*s", 56, p ? p->tag : "", 100, rule_name(w, e->rule_id));
        /* An alarm's value is shown in its point's unit, so a point's alarm
         * carries the reading (none when the point fell silent); a rate or an
         * anomaly score is said in the title. A unit's rule keeps its own
         * value (a count). */
        double value = e->value;
        if (p) {
            value = e->rule_kind == RULE_STALE ? NAN : p->last_value;
            if (e->rule_kind == RULE_ROC) snprintf(what, sizeof what, "（%.3g/秒）", e->value);
            if (e->rule_kind == RULE_ANOMALY) snprintf(what, sizeof what, "（异常评分 %.2f）", e->value);
            if (tlen > 0 && (size_t)tlen + strlen(what) < sizeof title) strcat(title, what);
        }
        if (e->kind == RULE_EV_RAISE) {
            alarm_raise_in in = {.rule_id = e->rule_id, .source_id = e->source_id, .area_id = e->unit_id,
                                 .level = e->level, .respond_ms = p ? p->respond_ms : 0};
            if (alarm_raise(w->alarms, &in, e->at_ms, &ae))
                log_warn("rule alarm not raised", "detail", ws_err_message());
            else queue_events(w, &ae, p, -1, value, e->at_ms, 0, title);
        } else if (e->kind == RULE_EV_CLEAR) {
            if (!alarm_clear(w->alarms, e->rule_id, e->source_id, e->at_ms, &ae))
                queue_events(w, &ae, p, -1, NAN, e->at_ms, 0, NULL);
        } else if (e->kind == RULE_EV_ACTION && !strcmp(e->action, "work_order") &&
                   w->nwo < (int)(sizeof w->wo / sizeof w->wo[0])) {
            /* the source is a point for an anomaly rule and for a fault of a
             * point without a device, else a device (RULE_FAULT_*) */
            const char *sfx = strrchr(e->key, ':');
            bool of_point = e->rule_kind == RULE_ANOMALY || (sfx && !strcmp(sfx, ":point"));
            const wpoint *src = of_point ? warn_find_point(w, e->source_id) : NULL;
            w->wo[w->nwo].device_id = of_point ? (src ? src->device_id : 0) : e->source_id;
            w->wo[w->nwo].point_id = src ? src->id : 0;
            w->wo[w->nwo].unit_id = e->unit_id;
            w->wo[w->nwo].rule_id = e->rule_id;
            snprintf(w->wo[w->nwo].kind, sizeof w->wo[0].kind, "%s", e->action_kind[0] ? e->action_kind : "preventive");
            snprintf(w->wo[w->nwo].rule_name, sizeof w->wo[0].rule_name, "%.127s", rule_name(w, e->rule_id));
            w->wo[w->nwo].fault[0] = 0;
            if (e->rule_kind == RULE_ANOMALY) { /* value: the DET_* flags seen */
                static const char *const zh[4] = {"卡滞", "漂移", "尖峰", "断线丢数"};
                unsigned f = (unsigned)e->value;
                char *o = w->wo[w->nwo].fault;
                size_t cap = sizeof w->wo[0].fault;
                int len = snprintf(o, cap, "%.40s 疑似", src ? src->tag : "");
                for (int k = 0; k < 4 && len > 0 && (size_t)len < cap; k++)
                    if (f & (1u << k)) len += snprintf(o + len, cap - (size_t)len, " %s", zh[k]);
            }
            w->nwo++;
        }
    }
}

/* Open the work orders count rules asked for (outside w->mu: a transaction
 * of the plant register). An open order of the same source is reused. */
static void open_work_orders(warn *w)
{
    warn_wo wo[sizeof w->wo / sizeof w->wo[0]];
    pthread_mutex_lock(&w->mu);
    int n = w->nwo;
    memcpy(wo, w->wo, sizeof wo);
    w->nwo = 0;
    pthread_mutex_unlock(&w->mu);
    if (!n) return;
    store_conn *c = NULL;
    if (store_acquire(w->cfg.db, &c)) return;
    for (int i = 0; i < n; i++) {
        if (!wo[i].device_id) continue;
        char title[320];
        if (wo[i].fault[0]) { /* the rule's name too when the title stays within 200 bytes */
            int len = snprintf(title, sizeof title, "传感器故障：%s（%s）", wo[i].fault, wo[i].rule_name);
            if (len > 200) snprintf(title, sizeof title, "传感器故障：%s", wo[i].fault);
        } else
            snprintf(title, sizeof title, "预防性维护：%.127s 在窗口内多次故障", wo[i].rule_name);
        plant_workorder_in in = {.device_id = wo[i].device_id, .kind = wo[i].kind, .title = title,
                                 .description = wo[i].fault[0]
                                                    ? "由异常检测规则自动生成（检测器识别出传感器故障，请检查、清洁或校准）"
                                                    : "由报警规则自动生成（同一设备在时间窗内故障达到次数）",
                                 .source_kind = "rule", .source_id = wo[i].rule_id};
        int64_t id;
        bool created;
        if (plant_workorder_open(c, NULL, &in, &id, &created))
            log_warn("work order not opened", "detail", ws_err_message());
    }
    store_release(c);
}

/* Build the engine of the active rule set (or keep the one in force when
 * the version is the same). Caller holds w->mu or is warn_open. */
static ws_err load_rules(warn *w, int64_t now)
{
    store_conn *c = NULL;
    ws_err rc = store_acquire(w->cfg.db, &c);
    if (rc) return rc;
    rule_set *set = malloc(sizeof *set);
    int64_t version = 0;
    rc = set ? alarm_ruleset_load_active(c, set, &version) : WS_ENOMEM;
    store_release(c);
    if (!rc && version == w->rules_version && w->rules) {
        free(set);
        return WS_OK;
    }
    rule_engine *e = NULL;
    if (!rc) rc = rule_engine_init(set, NULL, &e);
    free(set);
    if (rc) return rc;
    for (size_t i = 0; i < w->npts && !rc; i++) {
        rule_point rp = warn_rule_point(&w->pts[i]);
        rc = rule_track(e, &rp, now);
    }
    if (rc) {
        rule_engine_free(e);
        return rc;
    }
    rule_engine_free(w->rules);
    w->rules = e;
    w->rules_version = version;
    return WS_OK;
}

ws_err warn_reload_rules(warn *w)
{
    pthread_mutex_lock(&w->mu);
    ws_err rc = load_rules(w, clock_now_ms());
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* The "series store failing" system alarm follows the store: up while it
 * refuses readings (refused) or its writer fails to commit sealed chunks
 * (which wait in its queue meanwhile), down once neither. Under w->mu. */
static void series_health(warn *w, bool refused, int64_t now)
{
    if (!w->cfg.series) return;
    bool down = refused || series_failing(w->cfg.series);
    if (down == w->series_down) return;
    w->series_down = down;
    system_alarm(w, WARN_RULE_SERIES, down, down ? "时序库写入失败 series store failing" : NULL, now);
}

/* Whether readings may be applied point by point rather than as they came:
 * every rule judges one point's readings on their own, unless a composite
 * has a point condition (it judges points together, at each reading). */
static bool point_major_ok(const warn *w)
{
    return !w->rules || !rule_set_cross_point(rule_engine_set(w->rules));
}

#define GRP_OUT UINT32_MAX /* grp_cnt of a point outside the caller's scope */

/* Resolve the points of r[0..n) (n <= WARN_GROUP) into w->grp_pt and copy the
 * known ones into w->grp_rd in the order they are to be applied: point-major
 * when major (a counting sort, stable: each point's readings keep their
 * order; points in the order first met), else as they came. A point outside
 * the caller's scope counts as unknown; the scope is checked once a point,
 * not once a reading. Returns how many are in grp_rd. Under w->mu. */
static size_t group(warn *w, const ws_reading *r, size_t n, const char *scope, size_t scope_len,
                    bool major, warn_result *res)
{
    uint32_t *pt = w->grp_pt, *met = w->grp_met, *cnt = w->grp_cnt;
    warn_grp_rd *rd = w->grp_rd;
    size_t nmet = 0, known = 0;
    for (size_t j = 0; j < n; j++) {
        const wpoint *p = find_tag(w, r[j].tag);
        if (!p) {
            res->unknown_tag++;
            pt[j] = UINT32_MAX;
            continue;
        }
        uint32_t k = (uint32_t)(p - w->pts);
        pt[j] = k;
        if (cnt[k]++ == 0) met[nmet++] = k;
    }
    uint32_t at = 0; /* counts become each point's next place */
    for (size_t i = 0; i < nmet; i++) {
        uint32_t k = met[i], c = cnt[k];
        if (scope_len && strncmp(w->pts[k].unit_path, scope, scope_len)) {
            res->unknown_tag += c;
            cnt[k] = GRP_OUT;
            continue;
        }
        cnt[k] = at;
        at += c;
    }
    for (size_t j = 0; j < n; j++) {
        uint32_t k = pt[j];
        if (k == UINT32_MAX || cnt[k] == GRP_OUT) continue;
        rd[major ? cnt[k]++ : known] =
            (warn_grp_rd){r[j].source_ms, r[j].value, (uint32_t)j, r[j].quality};
        known++;
    }
    for (size_t i = 0; i < nmet; i++) cnt[met[i]] = 0;
    return known;
}

/* Append in[0..n) to the series store, a window (one lock) at a time so
 * readers get in between; the first refusal is logged unless quiet (the
 * store is known to be failing). Returns how many were refused. */
static size_t append_series(warn *w, const series_in *in, size_t n, bool quiet)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i += WARN_WIN) {
        ws_err first;
        size_t m = n - i < WARN_WIN ? n - i : WARN_WIN, b = series_append_batch(w->cfg.series, in + i, m, &first);
        if (b && !bad && !quiet) log_warn("series store refused a reading", "detail", ws_err_message());
        bad += b;
    }
    return bad;
}

/* A reading at t, past the hour of p's last one: that last value closes its
 * hour. Kept when good, after the hours kept before if the closed hour
 * follows them, else as the first of a new row. Under w->mu. */
static void note_hour(wpoint *p, int64_t t)
{
    const int64_t H = 3600000;
    if (p->hour_end) {
        if (p->last_q != THR_Q_GOOD || !isfinite(p->last_value)) p->nhours = 0;
        else {
            if (p->hour_kept != p->hour_end - H) p->nhours = 0; /* an hour missing in between */
            memmove(p->hour_v + 1, p->hour_v, (WARN_HOURS - 1) * sizeof p->hour_v[0]);
            p->hour_v[0] = p->last_value;
            if (p->nhours < WARN_HOURS) p->nhours++;
            p->hour_kept = p->hour_end;
        }
    }
    p->hour_end = (t / H + 1) * H; /* source times are > 0 */
}

/* Apply readings r[0..n) (n <= WARN_GROUP) with sequences first_seq.. (0: no
 * journal). Under w->mu.
 *
 * Their points first, then point by point when no rule judges points
 * together (group): a point's state is then fetched into the cache once for
 * its several readings of a batch instead of once a reading (with 2,000
 * points and 20,000 readings, about a third of the engine's time). Each
 * point's readings keep their order and their journal sequence, so replay
 * and the late-reading checks see what they would. Then a window of readings
 * at a time, in two passes: the window's series appends in one call (one
 * lock), then evaluation. */
static void apply_group(warn *w, const ws_reading *r, size_t n, int64_t first_seq, int64_t now,
                        bool replay, const char *scope, size_t scope_len, bool history,
                        series_in *defer, size_t *ndefer, warn_result *res)
{
    thr_event te[THR_MAX_EVENTS];
    wpoint **wp = w->win_p;
    int64_t *wt = w->win_t;
    size_t known = group(w, r, n, scope, scope_len, point_major_ok(w), res);
    for (size_t base = 0; base < known; base += WARN_WIN) {
        size_t m = known - base < WARN_WIN ? known - base : WARN_WIN, ns = 0;
        series_in *sin = defer ? defer + *ndefer : w->win_s; /* deferred: straight into the batch's */
        const warn_grp_rd *rd = w->grp_rd + base;
        for (size_t j = 0; j < m; j++) {
            const warn_grp_rd *x = &rd[j];
            wpoint *p = &w->pts[w->grp_pt[x->j]];
            int64_t seq = first_seq ? first_seq + (int64_t)x->j : 0;
            int64_t t = x->source_ms ? x->source_ms : now;
            if (t > now + w->cfg.skew_ms && !replay) {
                res->skewed++;
                if (!p->skewed) {
                    p->skewed = true;
                    log_warn("device clock ahead of the server: arrival time used", "tag", p->tag);
                }
                t = now;
            }
            wp[j] = p;
            wt[j] = t;
            if (w->cfg.series && !(replay && seq && seq <= p->sealed_seq))
                sin[ns++] = (series_in){p->id, t, seq, x->value, x->quality};
        }
        if (defer) *ndefer += ns;
        else if (ns) res->failed += append_series(w, w->win_s, ns, res->failed || w->series_down);
        for (size_t j = 0; j < m; j++) {
            wpoint *p = wp[j];
            const warn_grp_rd *x = &rd[j];
            int64_t t = wt[j];
            if (t > p->last_src_ms) {
                if (t >= p->hour_end) note_hour(p, t);
                p->last_src_ms = t;
                p->last_value = x->value;
                p->last_q = x->quality;
                p->dirty = true;
            }
            p->last_arrival_ms = now;
            if (p->maint_until > t) { res->accepted++; continue; } /* recorded, nobody paged */
            if (history) { res->accepted++; continue; }             /* imported history: the backtest's */
            int ne = 0;
            if (thr_eval(&p->thr, &p->st, t, x->value, x->quality, te, &ne) == THR_LATE) {
                res->late++;
                continue;
            }
            res->accepted++;
            for (int k = 0; k < ne; k++) {
                alarm_events ev = {0};
                int64_t rid = WARN_RULE_THR_BASE + te[k].cond;
                ws_err rc;
                if (te[k].raised) {
                    alarm_raise_in in = {.rule_id = rid, .source_id = p->id, .area_id = p->unit_id,
                                         .level = te[k].level, .respond_ms = p->respond_ms};
                    rc = alarm_raise(w->alarms, &in, t, &ev);
                } else {
                    rc = alarm_clear(w->alarms, rid, p->id, t, &ev);
                    if (rc == WS_ENOTFOUND || rc == WS_ECONFLICT) rc = WS_OK, ev.n = 0;
                }
                if (rc) log_warn("alarm not raised", "tag", p->tag, "detail", ws_err_message());
                else queue_events(w, &ev, p, te[k].cond, te[k].value, t, 0, NULL);
                if (w->rules && te[k].cond == THR_FAULT && te[k].raised) {
                    /* counted per device, or per point without one; the key
                     * says which (their ids are separate sequences) */
                    int nr = 0;
                    if (!rule_on_fact_event(w->rules, p->device_id ? RULE_FAULT_DEVICE : RULE_FAULT_POINT,
                                            p->device_id ? p->device_id : p->id, p->unit_id, t, w->rev,
                                            RULE_READING_EVENTS, &nr))
                        rules_apply(w, w->rev, nr);
                }
            }
            if (w->rules) {
                rule_point rp = warn_rule_point(p);
                int nr = 0;
                if (!rule_on_reading(w->rules, &rp, t, x->value, x->quality, w->rev, RULE_READING_EVENTS, &nr) && nr)
                    rules_apply(w, w->rev, nr);
            }
        }
    }
}

/* Apply readings r[0..n) with sequences first_seq.. (0: no journal),
 * WARN_GROUP at a time. Under w->mu. With defer (n <= WARN_GROUP), the
 * series appends are not made but put in defer[0..*ndefer), for the
 * caller to make after the lock (stage 2 in warn_ingest_scoped). */
static void apply(warn *w, const ws_reading *r, size_t n, int64_t first_seq, int64_t now,
                  bool replay, const char *scope, bool history, series_in *defer, size_t *ndefer,
                  warn_result *res)
{
    size_t scope_len = scope && strcmp(scope, "/") ? strlen(scope) : 0; /* "/" holds every point */
    for (size_t g0 = 0; g0 < n; g0 += WARN_GROUP) {
        size_t gn = n - g0 < WARN_GROUP ? n - g0 : WARN_GROUP;
        apply_group(w, r + g0, gn, first_seq ? first_seq + (int64_t)g0 : 0, now, replay, scope, scope_len,
                    history, defer, ndefer, res);
    }
    if (n) series_health(w, res->failed > 0, now);
}

static void publish_values(warn *w, int64_t now)
{
    if (!w->vhub) return;
    for (size_t i = 0; i < w->npts; i++) {
        wpoint *p = &w->pts[i];
        if (!p->dirty || now - p->pub_ms < 1000) continue;
        warn_value_msg m = {.point_id = p->id, .unit_id = p->unit_id, .t_ms = p->last_src_ms,
                            .value = p->last_value, .quality = p->last_q};
        warn_copy_trunc(m.unit_path, sizeof m.unit_path, p->unit_path);
        hub_publish(w->vhub, &m);
        p->pub_ms = now;
        p->dirty = false;
    }
}

ws_err warn_ingest(warn *w, warn_src src, const ws_reading *r, size_t n, warn_result *res)
{
    return warn_ingest_scoped(w, src, NULL, r, n, res);
}

ws_err warn_ingest_scoped(warn *w, warn_src src, const char *scope, const ws_reading *r, size_t n,
                          warn_result *res)
{
    warn_result local = {0};
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    if (!n) return WS_OK;
    int64_t now = clock_now_ms();
    journal_rec rec = {0}; /* built before the lock: only its write is serial */
    ws_err rc = w->journaled ? journal_record(r, n, &rec) : WS_OK;
    if (rc) return rc;
    pthread_mutex_lock(&w->mu);
    int64_t first = 0;
    if (w->journaled && (rc = journal_write(&w->j, &rec, &first))) {
        pthread_mutex_unlock(&w->mu);
        journal_rec_free(&rec);
        return rc;
    }
    series_in *defer = NULL; /* the series appends after the lock, when a batch is one group */
    size_t ndefer = 0;
    if (w->cfg.series && n <= WARN_GROUP) defer = w->defer[w->defer_turn], w->defer_turn ^= 1;
    apply(w, r, n, first, now, false, scope, src == WARN_SRC_CSV, defer, &ndefer, res);
    /* values go to their hub from the timer (≤ 1 Hz a point), not per batch;
     * the alarm events are written after the lock is let go (grouped with
     * those of batches waiting), so the next batch is applied meanwhile */
    warn_commit commit;
    rc = persist_take(w, NULL, true, &commit); /* lazy: answered once written, synced right after */
    bool orders = w->nwo > 0;
    if (defer) pthread_mutex_lock(&w->append_mu); /* before mu goes: batches append in journal order */
    pthread_mutex_unlock(&w->mu);
    if (defer) { /* stage 2 */
        size_t bad = append_series(w, defer, ndefer, false);
        pthread_mutex_unlock(&w->append_mu); /* before mu again: the lock order is mu, append_mu */
        res->failed += bad;
        if (bad) { /* the series store's system alarm (rare) */
            pthread_mutex_lock(&w->mu);
            series_health(w, true, now);
            pthread_mutex_unlock(&w->mu);
        }
    }
    journal_rec_free(&rec);
    if (!rc) rc = persist_write(w, &commit);
    if (orders) open_work_orders(w);
    atomic_fetch_add(&w->n_readings, res->accepted + res->late);
    atomic_fetch_add(&w->n_late, res->late);
    atomic_fetch_add(&w->n_unknown, res->unknown_tag);
    atomic_fetch_add(&w->n_skewed, res->skewed);
    atomic_fetch_add(&w->n_failed, res->failed);
    return rc;
}

ws_err warn_sink(void *ctx, const ws_reading *r, size_t n)
{
    warn_sink_ctx *s = ctx;
    return warn_ingest(s->w, s->src, r, n, NULL);
}

/* ------------------------------------------------------------ restart */

static ws_err restore_alarms(warn *w)
{
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_acquire(w->dur, &c);
    if (rc) return rc;
    if ((rc = store_prepare(c, Q_ALARM_OPEN_DOCS, &st))) goto done;
    while (!(rc = store_step(st, &row)) && row) {
        json_error_t je;
        const char *doc = store_col_text(st, 0);
        json_t *j = doc ? json_loads(doc, 0, &je) : NULL;
        alarm a;
        rc = j ? alarm_from_json(j, &a) : WS_ECORRUPT;
        json_decref(j);
        if (!rc) rc = alarm_table_restore(w->alarms, &a);
        if (rc) {
            log_warn("open alarm not restored", "detail", ws_err_message());
            break;
        }
        wpoint *p = warn_find_point(w, a.source_id);
        int cond = (int)(a.rule_id - WARN_RULE_THR_BASE);
        if (p && cond >= 0 && cond < THR_NCOND) p->st.active[cond] = a.raw_active, p->st.calm = false;
    }
    store_finalize(st);
    st = NULL;
    if (rc) goto done;
    /* evaluation resumes after each point's last alarm change */
    if ((rc = store_prepare(c, Q_ALARM_POINT_SRC_MS, &st))) goto done;
    while (!(rc = store_step(st, &row)) && row) {
        wpoint *p = warn_find_point(w, store_col_int(st, 0));
        if (p) {
            p->st.last_ms = store_col_int(st, 1);
            p->st.evaluated = true;
        }
    }
    store_finalize(st);
    st = NULL;
    if (rc) goto done;
    if ((rc = store_prepare(c, Q_ALARM_COUNTERS, &st)) || (rc = store_step(st, &row))) goto done;
    if (row) alarm_table_set_counters(w->alarms, store_col_int(st, 0) + 1, store_col_int(st, 1) + 1);
done:
    if (st) store_finalize(st);
    store_release(c);
    return rc;
}

static void note_sealed(void *ctx, int64_t point_id, int64_t seq)
{
    warn *w = ctx;
    wpoint *p = warn_find_point(w, point_id);
    if (p && seq > p->sealed_seq) p->sealed_seq = seq;
    if (seq > w->max_sealed) w->max_sealed = seq;
}

static ws_err replay_batch(void *ctx, const ws_reading *r, size_t n, int64_t first_seq)
{
    warn *w = ctx;
    warn_result res = {0};
    apply(w, r, n, first_seq, clock_now_ms(), true, NULL, false, NULL, NULL, &res);
    return persist(w, NULL);
}

/* ------------------------------------------------------------ timer */

/* One evidence-log leaf for the chunks sealed since the last one: their
 * range, count and SHA-256 (series_digest), so a change to stored readings
 * shows when the digest is recomputed. The leaf goes first, then the mark in
 * the series store: a crash between repeats the range, never skips it. */
static ws_err seal_evidence(warn *w)
{
    int64_t last = 0;
    series_digest_out d;
    ws_err rc = series_digest_last(w->cfg.series, &last);
    if (!rc) rc = series_digest(w->cfg.series, last, 100000, &d);
    if (rc || !d.chunks) return rc;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, d.sha256, sizeof d.sha256);
    const audit_field f[] = {{"from_id", AC_INT, d.from_id, NULL}, {"to_id", AC_INT, d.to_id, NULL},
                             {"chunks", AC_INT, d.chunks, NULL},   {"readings", AC_INT, d.readings, NULL},
                             {"sha256", AC_TEXT, 0, hex}};
    static const audit_actor who = {"system:series"};
    store_conn *c = NULL;
    if ((rc = store_acquire(w->dur, &c))) return rc;
    rc = audit_event(c, &who, "series", d.to_id, "seal", f, 5, NULL);
    store_release(c);
    if (!rc) rc = series_digest_mark(w->cfg.series, d.to_id);
    return rc;
}

/* Once a day: readings older than the retention go (raw chunks, then minute
 * buckets at twice the age); an evidence leaf records the cut. */
static void retain(warn *w, int64_t now)
{
    if (!w->cfg.retention_days || !w->cfg.series || now - w->last_retain_ms < 86400000) return;
    w->last_retain_ms = now;
    int64_t raw = now - (int64_t)w->cfg.retention_days * 86400000;
    int64_t minute = now - 2 * (int64_t)w->cfg.retention_days * 86400000;
    if (seal_evidence(w) || series_retain(w->cfg.series, raw, minute)) {
        log_warn("series retention failed", "detail", ws_err_message());
        return;
    }
    const audit_field f[] = {{"raw_before", AC_INT, raw, NULL}, {"minute_before", AC_INT, minute, NULL}};
    static const audit_actor who = {"system:series"};
    store_conn *c = NULL;
    if (!store_acquire(w->dur, &c)) {
        (void)audit_event(c, &who, "series", 0, "retain", f, 2, NULL);
        store_release(c);
    }
}

/* Every 10 s: a new journal segment, then the segments whose readings are
 * all committed to the series store go. Chunks are sealed when full, or by
 * the series store's age rule (series_flush, SERIES_MAX_AGE_MS); until then
 * the journal keeps their readings, from series_journal_floor on. When what
 * it keeps has grown past journal_keep bytes (a point that reports
 * rarely beside busy ones pins old segments), every open chunk is sealed,
 * so that a restart never replays much more than that; with all (a clean
 * stop), every one is. */
static ws_err checkpoint(warn *w, int64_t now, bool all)
{
    if (!w->journaled || !w->cfg.series) return WS_OK;
    int64_t boundary;
    pthread_mutex_lock(&w->mu);
    ws_err rc = journal_rotate(&w->j, &boundary);
    /* a batch journaled before still appending holds append_mu: wait for it */
    pthread_mutex_lock(&w->append_mu);
    pthread_mutex_unlock(&w->append_mu);
    pthread_mutex_unlock(&w->mu);
    if (rc) return rc;
    /* every reading below boundary was appended before the rotation, or
     * since, by a batch that was applied before it (under mu) */
    uint64_t keep = w->cfg.journal_keep ? w->cfg.journal_keep : WARN_JOURNAL_KEEP;
    rc = all || w->journal_kept > keep ? series_flush_all(w->cfg.series, NULL)
                                       : series_flush(w->cfg.series, now, NULL);
    if (rc) return rc;
    int64_t low = series_journal_floor(w->cfg.series);
    pthread_mutex_lock(&w->mu);
    rc = journal_drop_before(&w->j, low && low < boundary ? low : boundary, &w->journal_kept);
    pthread_mutex_unlock(&w->mu);
    if (!rc) rc = seal_evidence(w);
    return rc;
}

ws_err warn_tick(warn *w, int64_t now)
{
    alarm_event due[64];
    int n = 0;
    pthread_mutex_lock(&w->mu);
    do {
        if (alarm_due(w->alarms, now, due, 64, &n)) break;
        for (int i = 0; i < n; i++) {
            alarm_events ev = {.n = 1};
            ev.ev[0] = due[i];
            const wpoint *p = warn_find_point(w, due[i].source_id);
            /* the point's latest value goes with an escalation (the page shows it) */
            queue_events(w, &ev, due[i].rule_id < 100 ? p : NULL, -1,
                         due[i].rule_id < 100 && p ? p->last_value : NAN,
                         row_src_ms(w, due[i].source_id), 0, NULL);
        }
    } while (n == 64);
    for (int guard = 0; w->rules && guard < 64; guard++) {
        int nr = 0;
        if (rule_on_tick(w->rules, now, w->rev, RULE_READING_EVENTS, &nr) || !nr) break;
        rules_apply(w, w->rev, nr);
    }
    series_health(w, false, now);
    publish_values(w, now);
    ws_err rc = persist_unlock(w, NULL);
    open_work_orders(w);
    page_flush(w);
    plant_alarms(w, now);
    monitor_tick(w, now);
    if (now - w->last_checkpoint_ms >= 10000) {
        w->last_checkpoint_ms = now;
        ws_err c = checkpoint(w, now, false);
        if (c) log_warn("ingest journal checkpoint failed", "detail", ws_err_message());
        retain(w, now);
    }
    return rc;
}

static void *engine_thread(void *arg)
{
    warn *w = arg;
    while (!atomic_load(&w->stop)) {
        (void)warn_tick(w, clock_now_ms());
        pthread_mutex_lock(&w->wait_mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        if (!atomic_load(&w->stop)) pthread_cond_timedwait(&w->wait_cv, &w->wait_mu, &ts);
        pthread_mutex_unlock(&w->wait_mu);
    }
    return NULL;
}

/* The rule engine's state across restarts (stale timers, counters, facts):
 * DATA/journal/rules.state, written at a clean stop; an engine of another
 * rule set or a damaged file starts fresh. */
static void rules_state_save(warn *w, const char *dir)
{
    size_t cap = rule_state_size(w->rules), len = 0;
    void *blob = malloc(cap);
    char path[WARN_PATH_MAX + 32], tmp[WARN_PATH_MAX + 40];
    snprintf(path, sizeof path, "%s/rules.state", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = blob && !rule_state_export(w->rules, blob, cap, &len) ? fopen(tmp, "wb") : NULL;
    if (f) {
        bool ok = fwrite(blob, 1, len, f) == len;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(tmp, path)) log_warn("rule state not saved", "path", path);
    }
    free(blob);
}

static void rules_state_load(warn *w, const char *dir)
{
    char path[WARN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/rules.state", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t cap = rule_state_size(w->rules);
    void *blob = malloc(cap + 1);
    size_t len = blob ? fread(blob, 1, cap + 1, f) : 0;
    fclose(f);
    remove(path); /* used once: a crash later must not bring back an old state */
    if (blob && len <= cap && rule_state_import(w->rules, blob, len)) {
        log_warn("rule state not restored (rule set changed or file damaged); starting fresh",
                 "detail", ws_err_message());
        /* import may leave the engine half-replaced: rebuild it */
        rule_engine_free(w->rules);
        w->rules = NULL;
        w->rules_version = 0;
        (void)load_rules(w, clock_now_ms());
    }
    free(blob);
}

/* ------------------------------------------------------------ open/close */

ws_err warn_open(const warn_config *cfg, warn **out)
{
    *out = NULL;
    if (!cfg || !cfg->db || !cfg->db_url) return ws_fail(WS_EINVAL, "db", "the engine needs the main store");
    warn *w = calloc(1, sizeof *w);
    if (!w) return WS_ENOMEM;
    w->cfg = *cfg;
    if (cfg->wal_dir) { /* kept: the caller's string need not outlive the call */
        if (snprintf(w->wal_dir, sizeof w->wal_dir, "%s", cfg->wal_dir) >= (int)sizeof w->wal_dir) {
            free(w);
            return ws_fail(WS_ETOOBIG, "wal_dir", "journal directory path too long");
        }
        w->cfg.wal_dir = w->wal_dir;
    }
    if (!w->cfg.alarm_capacity) w->cfg.alarm_capacity = 65536;
    if (!w->cfg.max_points) w->cfg.max_points = 65536;
    if (!w->cfg.skew_ms) w->cfg.skew_ms = 5000;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->reload_mu, NULL);
    pthread_mutex_init(&w->wait_mu, NULL);
    pthread_cond_init(&w->wait_cv, NULL);
    pthread_mutex_init(&w->commit_mu, NULL);
    pthread_mutex_init(&w->append_mu, NULL);
    pthread_mutex_init(&w->mon_mu, NULL);
    pthread_cond_init(&w->commit_cv, NULL);
    pthread_cond_init(&w->sync_cv, NULL);
    w->j.fd = -1;
    alarm_config ac;
    alarm_config_default(&ac, w->cfg.alarm_capacity, 4096);
    ws_err rc = alarm_table_init(&ac, &w->alarms);
    if (rc) goto fail;
    if (!(w->pend = calloc(PEND_MAX, sizeof *w->pend)) || !(w->retry = calloc(PEND_MAX, sizeof *w->retry)) ||
        !(w->defer[0] = malloc(WARN_GROUP * sizeof *w->defer[0])) ||
        !(w->defer[1] = malloc(WARN_GROUP * sizeof *w->defer[1]))) {
        rc = WS_ENOMEM;
        goto fail;
    }
    if ((rc = store_open(cfg->db_url, 1, &w->dur))) goto fail;
    if (store_backend(w->dur) == STORE_SQLITE) {
        store_conn *c;
        if ((rc = store_acquire(w->dur, &c))) goto fail;
        /* synchronous=NORMAL, as every connection: a commit is written to
         * the WAL, and persist.c fsyncs it (store_sync). In an alarm flood
         * each commit rewrites the same hot pages (alarm rows, the evidence
         * index): checkpointed every 10,000 WAL pages (40 MB) instead of
         * SQLite's 1,000, each is copied to the database a tenth as often.
         * Other connections keep the default. */
        rc = store_exec(c, "PRAGMA wal_autocheckpoint = 10000");
        store_release(c);
        if (rc) goto fail;
    }
    /* PostgreSQL flushes every commit itself: no syncs to make there */
    w->syncs = store_backend(w->dur) == STORE_SQLITE;
    if (w->syncs && (rc = syncer_start(w))) goto fail;
    if ((rc = hub_new(sizeof(warn_alarm_msg), HUB_ALARM_SLOTS, &w->ahub)) ||
        (rc = hub_new(sizeof(warn_value_msg), HUB_VALUE_SLOTS, &w->vhub)))
        goto fail;
    if (!(w->rev = calloc(RULE_READING_EVENTS, sizeof *w->rev))) { rc = WS_ENOMEM; goto fail; }
    if ((rc = warn_load_points(w)) || (rc = restore_alarms(w))) goto fail;
    if (cfg->series && (rc = monitor_load(w))) goto fail;
    if ((rc = load_rules(w, clock_now_ms()))) {
        log_warn("alarm rules not loaded; limits still evaluated", "detail", ws_err_message());
        rc = WS_OK;
    }
    if (cfg->wal_dir && w->rules) rules_state_load(w, cfg->wal_dir);
    if (cfg->wal_dir) {
        if ((rc = journal_open(&w->j, cfg->wal_dir))) goto fail;
        w->journaled = true;
        uint64_t replayed = 0;
        if (cfg->series) {
            /* which journaled readings the series store has sealed already */
            if ((rc = series_wal_sealed(cfg->series, 1, note_sealed, w))) goto fail;
        }
        if ((rc = journal_replay(&w->j, replay_batch, w, &replayed))) goto fail;
        /* new sequences above the sealed marks of earlier runs, even when
         * the journal's directory was emptied by hand */
        if (w->j.next_seq <= w->max_sealed && (rc = journal_skip_to(&w->j, w->max_sealed + 1))) goto fail;
        if (replayed) {
            char s[24];
            snprintf(s, sizeof s, "%llu", (unsigned long long)replayed);
            log_info("ingest journal replayed", "readings", s);
        }
    }
    w->last_checkpoint_ms = clock_now_ms();
    if (!cfg->no_thread) {
        if (pthread_create(&w->thread, NULL, engine_thread, w)) { rc = WS_EINTERNAL; goto fail; }
        w->thread_on = true;
    }
    *out = w;
    return WS_OK;
fail:
    warn_close(w);
    return rc;
}

void warn_close(warn *w)
{
    if (!w) return;
    if (w->thread_on) {
        atomic_store(&w->stop, true);
        pthread_mutex_lock(&w->wait_mu);
        pthread_cond_signal(&w->wait_cv);
        pthread_mutex_unlock(&w->wait_mu);
        pthread_join(w->thread, NULL);
    }
    if (w->npend) (void)persist(w, NULL);
    syncer_stop(w); /* after the last commit: it syncs what is left */
    if (w->rules && w->cfg.wal_dir) rules_state_save(w, w->cfg.wal_dir);
    rule_engine_free(w->rules);
    free(w->rev);
    if (w->journaled) {
        /* seal what the journal holds, then it can go */
        if (w->cfg.series && checkpoint(w, clock_now_ms(), true))
            log_warn("ingest journal not checkpointed at stop; it is replayed at the next start", "detail",
                     ws_err_message());
        journal_close(&w->j);
    }
    monitor_free_all(w);
    alarm_table_free(w->alarms);
    if (w->dur) store_close(w->dur);
    hub_free(w->ahub);
    hub_free(w->vhub);
    free(w->pend);
    free(w->retry);
    free(w->defer[0]);
    free(w->defer[1]);
    free(w->stage);
    free(w->cams);
    free(w->pts);
    free(w->index);
    free(w->tags);
    free(w->grp_cnt);
    pthread_cond_destroy(&w->wait_cv);
    pthread_mutex_destroy(&w->commit_mu);
    pthread_mutex_destroy(&w->append_mu);
    pthread_mutex_destroy(&w->mon_mu);
    pthread_cond_destroy(&w->commit_cv);
    pthread_cond_destroy(&w->sync_cv);
    pthread_mutex_destroy(&w->wait_mu);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->reload_mu);
    free(w);
}

/* ------------------------------------------------------------ operators */

/* The open alarm with this id (under mu), NULL when none. */
static const alarm *by_id(warn *w, int64_t id)
{
    size_t pos = 0;
    const alarm *a;
    while ((a = alarm_table_next(w->alarms, &pos)))
        if (a->id == id) return a;
    return NULL;
}

/* The unit path of an alarm's area, for the permission check. */
static ws_err area_path(warn *w, int64_t unit_id, char *out, size_t cap)
{
    for (size_t i = 0; i < w->npts; i++)
        if (w->pts[i].unit_id == unit_id) {
            snprintf(out, cap, "%s", w->pts[i].unit_path);
            return WS_OK;
        }
    store_conn *c = NULL;
    ws_err rc = store_acquire(w->cfg.db, &c);
    if (rc) return rc;
    org_unit u;
    rc = org_unit_get(c, unit_id, &u);
    store_release(c);
    if (!rc) snprintf(out, cap, "%s", u.path);
    return rc;
}

static ws_err operate(warn *w, const org_caller *by, int64_t alarm_id, op_kind op, const op_args *a,
                      bool trusted)
{
    return warn_operate_at(w, by, alarm_id, op, a, trusted, clock_now_ms());
}

ws_err warn_operate_at(warn *w, const org_caller *by, int64_t alarm_id, op_kind op, const op_args *a,
                       bool trusted, int64_t now)
{
    const auth_subject *s = by->subject;
    char name[ALARM_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", s->username);
    pthread_mutex_lock(&w->mu);
    ws_err rc = WS_OK;
    const alarm *al = by_id(w, alarm_id);
    if (!al) {
        rc = ws_fail(WS_ENOTFOUND, "id", "no open alarm %lld", (long long)alarm_id);
        goto out;
    }
    char path[AUTH_PATH_MAX];
    if ((rc = area_path(w, al->area_id, path, sizeof path))) goto out;
    auth_resource res = {.unit_path = path};
    if (!trusted && (rc = auth_decide(s, "alarm.ack", &res))) goto out;
    int64_t rid = al->rule_id, src = al->source_id;
    const wpoint *p = rid < 100 ? warn_find_point(w, src) : NULL;
    alarm_events ev = {0};
    alarm closed;
    switch (op) {
    case OP_ACK: rc = alarm_ack(w->alarms, rid, src, name, now, &ev); break;
    case OP_SHELVE: {
        alarm_shelve_in in = {.by = name, .approver = a->approver_name, .reason = a->reason,
                              .until_ms = a->until_ms};
        rc = alarm_shelve(w->alarms, rid, src, &in, now, &ev);
        break;
    }
    case OP_UNSHELVE: rc = alarm_unshelve(w->alarms, rid, src, name, now, &ev); break;
    case OP_CLOSE: {
        char person[ALARM_NAME_MAX + 1];
        snprintf(person, sizeof person, "%s", name);
        alarm_record rec = {.cause = a->cause, .action = a->action, .person = person};
        rc = alarm_close(w->alarms, rid, src, &rec, now, &closed, &ev);
        break;
    }
    }
    if (rc) goto out;
    int base = w->npend;
    queue_events(w, &ev, p, -1, NAN, row_src_ms(w, src), s->person_id, NULL);
    for (int i = base; i < w->npend; i++)
        if (w->pend[i].ev.kind == AEV_CLOSE) w->pend[i].row = closed;
    return persist_unlock(w, by->actor);
out:
    pthread_mutex_unlock(&w->mu);
    return rc;
}

ws_err warn_ack(warn *w, const org_caller *by, int64_t alarm_id)
{
    return operate(w, by, alarm_id, OP_ACK, &(op_args){0}, false);
}

ws_err warn_shelve(warn *w, const org_caller *by, int64_t alarm_id, const char *reason,
                   int64_t until_ms, int64_t approver_person_id)
{
    char approver_name[32] = "";
    if (approver_person_id) snprintf(approver_name, sizeof approver_name, "person:%lld",
                                     (long long)approver_person_id);
    if (!reason || !*reason) return ws_fail(WS_EINVAL, "reason", "a reason is required to shelve an alarm");
    if (approver_person_id && approver_person_id == by->subject->person_id)
        return ws_fail(WS_EFORBIDDEN, "approver", "the approver must be another person");
    return operate(w, by, alarm_id, OP_SHELVE,
                   &(op_args){.reason = reason, .until_ms = until_ms, .approver_id = approver_person_id,
                              .approver_name = approver_name[0] ? approver_name : NULL},
                   false);
}

ws_err warn_ack_link(warn *w, int64_t person_id, const char *person_name, int64_t alarm_id)
{
    auth_subject su;
    memset(&su, 0, sizeof su);
    su.person_id = person_id;
    snprintf(su.username, sizeof su.username, "%.63s", person_name ? person_name : "");
    char actor_name[40];
    snprintf(actor_name, sizeof actor_name, "person:%lld", (long long)person_id);
    audit_actor act = {actor_name};
    org_caller by = {&act, &su};
    return operate(w, &by, alarm_id, OP_ACK, &(op_args){0}, true);
}

ws_err warn_unshelve(warn *w, const org_caller *by, int64_t alarm_id)
{
    return operate(w, by, alarm_id, OP_UNSHELVE, &(op_args){0}, false);
}

ws_err warn_close_alarm(warn *w, const org_caller *by, int64_t alarm_id, const char *cause,
                        const char *action)
{
    return operate(w, by, alarm_id, OP_CLOSE, &(op_args){.cause = cause, .action = action}, false);
}

ws_err warn_context_set(warn *w, int64_t unit_id, const char *fact, bool on, int64_t until_ms)
{
    int64_t now = clock_now_ms();
    pthread_mutex_lock(&w->mu);
    ws_err rc = WS_OK;
    if (w->rules) {
        int nr = 0;
        rc = rule_on_context(w->rules, unit_id, fact, on, until_ms, now, w->rev, RULE_READING_EVENTS, &nr);
        if (!rc) rules_apply(w, w->rev, nr);
        if (!rc) return persist_unlock(w, NULL);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}
