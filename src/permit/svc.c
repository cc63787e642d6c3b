/* svc.c — the permit service: the parsed rule profiles and holiday calendar,
 * and the timer that makes windows run out by themselves.
 *
 * Every second the timer reads the linked gas detectors of active permits
 * through the early-warning engine: a reading beyond the permit's pass limit
 * (or a detector gone quiet for gas_stale_s) suspends the permit and raises
 * one 紧急 alarm for it (rule WARN_RULE_PERMIT_GAS, source = the permit), so
 * the alarm is paged, acknowledged and closed like every other; the alarm's
 * condition clears when the detectors read normal again, the permit stays
 * suspended until someone resumes it with a new gas test. Every five seconds
 * it judges each open permit at RUNNING: validity over -> expired, a periodic
 * test missing -> suspended; a permit never activated whose window passed
 * expires. The people on a permit that moved by itself are told through
 * the notification channels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "ledger/ledger.h"
#include "notify/outbox.h"
#include "permit/permit_int.h"
#include "store/q_permit.h"
#include "warn/warn.h"

#define RUNNING_EVERY_MS 5000

int permit_tz_offset(const char *tz, int64_t ms) { return ledger_tz_offset(tz && tz[0] ? tz : NULL, ms); }

/* --------------------------------------------------------- profiles, calendar */

static ws_err build_calendar(permit_svc *s, store_conn *c)
{
    json_error_t je;
    json_t *all = json_loads(pr_calendar_builtin(), 0, &je);
    if (!all) return ws_fail(WS_EINTERNAL, NULL, "the built-in calendar does not parse");
    if (json_is_object(all)) {
        json_t *arr = json_array();
        json_array_append_new(arr, all);
        all = arr;
    }
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_CALENDAR_LIST, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t year = store_col_int(st, 0);
        json_t *doc = json_loads(store_col_text(st, 1), 0, &je);
        if (!doc) continue;
        /* a stored year replaces the built-in one */
        for (size_t i = json_array_size(all); i-- > 0;)
            if (json_integer_value(json_object_get(json_array_get(all, i), "year")) == year)
                json_array_remove(all, i);
        json_array_append_new(all, doc);
    }
    store_finalize(st);
    pr_calendar *cal = NULL;
    if (!rc) rc = pr_calendar_parse(all, &cal);
    json_decref(all);
    if (rc) return rc;
    pr_calendar_free(s->cal);
    s->cal = cal;
    s->cal_stale = false;
    return WS_OK;
}

ws_err permit_rules_of(permit_svc *s, store_conn *c, const char *key, const pr_profile **pf,
                       const pr_calendar **cal)
{
    *pf = NULL;
    *cal = NULL;
    if (!s) return ws_fail(WS_EUNAVAILABLE, NULL, "the permit service is not running");
    char active[40] = "";
    ws_err rc = WS_OK;
    if (!key || !key[0]) {
        rc = permit_param(c, "profile", active, sizeof active);
        key = active;
    }
    pthread_mutex_lock(&s->mu);
    if (!rc && (s->cal_stale || !s->cal)) rc = build_calendar(s, c);
    for (size_t i = 0; !rc && i < s->nprofiles; i++)
        if (!strcmp(pr_profile_key(s->profiles[i]), key)) *pf = s->profiles[i];
    if (!rc && !*pf && s->nprofiles) *pf = s->profiles[0];
    *cal = s->cal;
    pthread_mutex_unlock(&s->mu);
    if (!rc && !*pf) rc = ws_fail(WS_EINTERNAL, NULL, "no permit rule profile is loaded");
    return rc;
}

void permit_calendar_changed(permit_svc *s)
{
    pthread_mutex_lock(&s->mu);
    s->cal_stale = true;
    pthread_mutex_unlock(&s->mu);
}

/* ----------------------------------------------------------------- telling */

/* Tell the people on permit p (applicant, guardian, workers: their phones
 * are mentioned) through every active channel. Failures are logged: the
 * move itself stands. */
static void tell(store_conn *c, const permit_row *p, notify_level level, const char *title,
                 const char *body, int64_t now)
{
    char phones[PR_MAX_WORKERS + 2][24];
    const char *mention[PR_MAX_WORKERS + 2];
    int nm = 0;
    int64_t ids[PR_MAX_WORKERS + 2];
    int nid = 0;
    ids[nid++] = p->applicant_person_id;
    if (p->guardian_person_id > 0) ids[nid++] = p->guardian_person_id;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(p->doc, "workers"), i, w) if (nid < PR_MAX_WORKERS + 2)
        ids[nid++] = json_integer_value(json_object_get(w, "person_id"));
    for (int k = 0; k < nid; k++) {
        org_person per;
        if (org_person_get(c, ids[k], &per) || !per.phone[0]) continue;
        permit_copy(phones[nm], sizeof phones[nm], per.phone);
        mention[nm] = phones[nm];
        nm++;
    }
    notify_to_all(c, level, title, body, mention, nm, now, "permit notice");
}

/* Move p (already loaded) to state by the timer, with reason. */
static ws_err auto_move(permit_svc *s, store_conn *c, permit_row *p, const char *state, const char *reason,
                        int64_t now)
{
    static const audit_actor sys = {"system:permit"};
    const org_caller by = {&sys, NULL};
    char from[16];
    permit_copy(from, sizeof from, p->state);
    bool was_active = !strcmp(p->state, "active");
    permit_copy(p->state, sizeof p->state, state);
    permit_copy(p->reason, sizeof p->reason, reason);
    if (!strcmp(state, "suspended")) p->suspended_at = now;
    else p->closed_at = now;
    json_t *detail = json_pack("{s:s}", "reason", reason);
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (!rc) rc = store_tx_finish(c, own, permit_save(c, &by, p, !strcmp(state, "expired") ? "expire" : "suspend",
                                                       from, detail, now));
    json_decref(detail);
    if (rc) return rc;
    if (!strcmp(state, "expired") && s->cfg.warn)
        (void)warn_external_alarm(s->cfg.warn, WARN_RULE_PERMIT_GAS, p->id, p->unit_id, 3, false, NULL, now);
    if (was_active && s->cfg.warn) {
        const char *fact = !strcmp(p->type, "hot_work") ? "hot_work_active"
                           : !strcmp(p->type, "confined_space") ? "confined_space_active" : NULL;
        if (fact) (void)warn_context_set(s->cfg.warn, p->unit_id, fact, false, 0);
    }
    char title[200], body[600];
    snprintf(title, sizeof title, "作业票%s：%s %.80s", !strcmp(state, "expired") ? "已失效" : "已暂停", p->code,
             p->title);
    snprintf(body, sizeof body, "%.120s %.120s\n%.300s", p->code, p->location, reason);
    tell(c, p, !strcmp(state, "expired") ? NOTIFY_ALARM : NOTIFY_EMERGENCY, title, body, now);
    return WS_OK;
}

/* ---------------------------------------------------------------- gas link */

/* Is the detector's newest reading beyond what the permit allows? why gets
 * the evidence. Returns 1 beyond, 2 stale or faulty, 0 fine. */
static int detector_state(permit_svc *s, int64_t point, const pr_report *r, bool enriched, int64_t now,
                          int64_t stale_ms, char *why, size_t cap)
{
    warn_latest l;
    if (warn_point_latest(s->cfg.warn, point, &l)) {
        snprintf(why, cap, "联锁检测器 %lld 不在预警引擎中 (linked detector unknown)", (long long)point);
        return 2;
    }
    /* silence counts from the newest reading, or from the service's start
     * (a restart must not suspend every permit before its detectors report) */
    int64_t heard = l.arrival_ms > s->started_ms ? l.arrival_ms : s->started_ms;
    if (now - heard > stale_ms || (l.src_ms && l.quality != 0)) {
        snprintf(why, cap, "联锁检测器 %s 无有效数据超过 %lld s (detector stale or faulty)", l.tag,
                 (long long)(stale_ms / 1000));
        return 2;
    }
    if (!strcmp(l.kind, "combustible") && r->pass_limit_lel > 0 && l.value > r->pass_limit_lel) {
        snprintf(why, cap, "联锁检测器 %s = %.1f %%LEL，超过作业合格限 %.1f %%LEL", l.tag, l.value, r->pass_limit_lel);
        return 1;
    }
    if (!strcmp(l.kind, "oxygen") && (l.value < 19.5 || l.value > (enriched ? 23.5 : 21.0))) {
        snprintf(why, cap, "联锁检测器 %s 氧含量 %.1f %%VOL，超出 19.5–%.1f %%VOL", l.tag, l.value,
                 enriched ? 23.5 : 21.0);
        return 1;
    }
    return 0;
}

static int64_t stale_ms_of(store_conn *c)
{
    char v[24] = "";
    if (permit_param(c, "gas_stale_s", v, sizeof v)) return 120000;
    long long sec = atoll(v);
    return sec >= 5 && sec <= 86400 ? sec * 1000 : 120000;
}

/* One permit at now: gas link always (active ones), RUNNING rules when full. */
static ws_err tick_one(permit_svc *s, store_conn *c, int64_t id, int64_t now, bool full, int64_t stale_ms,
                       int *changed, bool *watched)
{
    permit_row p;
    ws_err rc = permit_get(c, id, &p);
    if (rc) return rc == WS_ENOTFOUND ? WS_OK : rc;
    pr_report *r = calloc(1, sizeof *r);
    if (!r) {
        permit_row_free(&p);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    bool active = !strcmp(p.state, "active"), suspended = !strcmp(p.state, "suspended");
    const json_t *points = json_object_get(p.doc, "gas_points");
    bool linked = json_array_size(points) > 0 && s->cfg.warn;
    if (!active && !suspended && !full) goto done;
    if (!active && !suspended) {
        /* approved (or earlier) and never started: the window passed */
        if (p.planned_end <= now) {
            rc = auto_move(s, c, &p, "expired", "作业时间已过而未开始 (window passed before the work started)", now);
            if (!rc) (*changed)++;
        }
        goto done;
    }
    if ((active && (full || linked)) || (suspended && linked))
        rc = permit_check(s, c, &p, now, PR_STAGE_RUNNING, r);
    if (rc) goto done;
    if (linked) {
        bool enriched = json_is_true(json_object_get(p.doc, "enriched_oxygen"));
        char why[300] = "";
        int worst = 0;
        size_t i;
        json_t *v;
        json_array_foreach(points, i, v) {
            char w[300];
            int st = detector_state(s, json_integer_value(v), r, enriched, now, stale_ms, w, sizeof w);
            if (st > worst || (st && !worst)) {
                worst = st;
                permit_copy(why, sizeof why, w);
            }
        }
        if (worst && active) {
            char title[400];
            snprintf(title, sizeof title, "%s：%s %.60s — %.80s", worst == 1 ? "作业气体超限" : "作业检测器失联",
                     p.code, p.location, why);
            if (warn_external_alarm(s->cfg.warn, WARN_RULE_PERMIT_GAS, p.id, p.unit_id, 3, true, title, now))
                log_warn("permit gas alarm not raised", "detail", ws_err_message());
            rc = auto_move(s, c, &p, "suspended", why, now);
            if (!rc) (*changed)++;
            goto done;
        }
        if (!worst && suspended)
            (void)warn_external_alarm(s->cfg.warn, WARN_RULE_PERMIT_GAS, p.id, p.unit_id, 3, false, NULL, now);
    }
    if (suspended && p.planned_end <= now && full) {
        rc = auto_move(s, c, &p, "expired", "作业票有效期已到 (validity over while suspended)", now);
        if (!rc) (*changed)++;
        goto done;
    }
    if (active && full) {
        const pr_verdict *expire = NULL, *suspend = NULL;
        for (int i = 0; i < r->n; i++) {
            if (r->v[i].result != PR_FAIL) continue;
            if (r->v[i].effect == PR_EFFECT_EXPIRE && !expire) expire = &r->v[i];
            if (r->v[i].effect == PR_EFFECT_SUSPEND && !suspend) suspend = &r->v[i];
        }
        if (!expire && p.planned_end <= now) {
            rc = auto_move(s, c, &p, "expired", "作业票有效期已到 (planned end passed)", now);
            if (!rc) (*changed)++;
        } else if (expire || suspend) {
            const pr_verdict *v = expire ? expire : suspend;
            char why[400];
            snprintf(why, sizeof why, "%s (%s): %s", v->rule, v->clause, v->evidence);
            rc = auto_move(s, c, &p, expire ? "expired" : "suspended", why, now);
            if (!rc) (*changed)++;
        }
    }
done:
    /* still watched afterwards: active or suspended, with detectors */
    *watched = linked && (!strcmp(p.state, "active") || !strcmp(p.state, "suspended"));
    free(r);
    permit_row_free(&p);
    return rc;
}

void permit_relink(permit_svc *s)
{
    if (s) atomic_store(&s->relink, true);
}

ws_err permit_tick_at(permit_svc *s, int64_t now, bool full, int *changed)
{
    int local = 0;
    if (!changed) changed = &local;
    *changed = 0;
    store_conn *c = NULL;
    ws_err rc = store_acquire(s->cfg.db, &c);
    if (rc) return rc;
    int64_t stale_ms = stale_ms_of(c);
    if (atomic_exchange(&s->relink, false)) full = true;
    if (!full) {
        /* the 1 s pass: only the permits whose detectors are watched */
        for (size_t i = 0; i < s->nlinked; i++) {
            bool linked = false;
            if (tick_one(s, c, s->linked[i], now, false, stale_ms, changed, &linked))
                log_warn("permit timer: a permit was not judged", "detail", ws_err_message());
        }
        store_release(c);
        return WS_OK;
    }
    /* every open permit, page by page; the watched list is rebuilt */
    int64_t after = 0, ids[PERMIT_TICK_PAGE];
    size_t nlinked = 0;
    for (;;) {
        size_t n = 0;
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_PERMIT_DUE, &st);
        if (!rc) rc = store_bind_int(st, 1, after);
        if (!rc) rc = store_bind_int(st, 2, PERMIT_TICK_PAGE);
        while (!rc && n < PERMIT_TICK_PAGE && !(rc = store_step(st, &row)) && row) ids[n++] = store_col_int(st, 0);
        store_finalize(st);
        for (size_t i = 0; !rc && i < n; i++) {
            bool linked = false;
            if (tick_one(s, c, ids[i], now, true, stale_ms, changed, &linked))
                log_warn("permit timer: a permit was not judged", "detail", ws_err_message());
            if (linked && nlinked < PERMIT_LINKED_MAX) s->linked[nlinked++] = ids[i];
        }
        if (rc || n < PERMIT_TICK_PAGE) break;
        after = ids[n - 1];
    }
    s->nlinked = nlinked;
    store_release(c);
    return rc;
}

ws_err permit_tick(permit_svc *s, int64_t now, int *changed) { return permit_tick_at(s, now, true, changed); }

static void *timer_thread(void *arg)
{
    permit_svc *s = arg;
    int64_t last_full = 0;
    while (!atomic_load(&s->stop)) {
        int64_t now = clock_now_ms();
        bool full = now - last_full >= RUNNING_EVERY_MS;
        if (full) last_full = now;
        if (permit_tick_at(s, now, full, NULL)) log_warn("permit timer failed", "detail", ws_err_message());
        pthread_mutex_lock(&s->wait_mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        if (!atomic_load(&s->stop)) pthread_cond_timedwait(&s->wait_cv, &s->wait_mu, &ts);
        pthread_mutex_unlock(&s->wait_mu);
    }
    return NULL;
}

/* ------------------------------------------------------------ open, close */

ws_err permit_open(const permit_config *cfg, permit_svc **out)
{
    *out = NULL;
    if (!cfg || !cfg->db) return ws_fail(WS_EINVAL, "db", "the permit service needs the store");
    permit_svc *s = calloc(1, sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    s->cfg = *cfg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->wait_mu, NULL);
    pthread_cond_init(&s->wait_cv, NULL);
    s->cal_stale = true;
    s->started_ms = clock_now_ms();
    s->linked = calloc(PERMIT_LINKED_MAX, sizeof *s->linked);
    atomic_store(&s->relink, true);
    ws_err rc = s->linked ? WS_OK : ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; !rc && pr_profile_builtin_key(i) && s->nprofiles < PERMIT_MAX_PROFILES; i++) {
        json_error_t je;
        json_t *doc = json_loads(pr_profile_builtin(pr_profile_builtin_key(i)), 0, &je);
        rc = doc ? pr_profile_parse(doc, &s->profiles[s->nprofiles]) : ws_fail(WS_EINTERNAL, NULL, "a built-in profile does not parse");
        json_decref(doc);
        if (!rc) s->nprofiles++;
    }
    if (!rc && !cfg->no_thread) {
        if (pthread_create(&s->thread, NULL, timer_thread, s)) rc = ws_fail(WS_EINTERNAL, NULL, "no timer thread");
        else s->thread_on = true;
    }
    if (rc) {
        permit_close(s);
        return rc;
    }
    *out = s;
    return WS_OK;
}

void permit_close(permit_svc *s)
{
    if (!s) return;
    if (s->thread_on) {
        atomic_store(&s->stop, true);
        pthread_mutex_lock(&s->wait_mu);
        pthread_cond_signal(&s->wait_cv);
        pthread_mutex_unlock(&s->wait_mu);
        pthread_join(s->thread, NULL);
    }
    for (size_t i = 0; i < s->nprofiles; i++) pr_profile_free(s->profiles[i]);
    pr_calendar_free(s->cal);
    free(s->linked);
    pthread_cond_destroy(&s->wait_cv);
    pthread_mutex_destroy(&s->wait_mu);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
