/* page.c — alarms out to people (issue 4 item 6) and the plant timer's
 * alarms.
 *
 * Paging follows the escalation chain of the alarm core: each AEV_ESCALATE
 * event names a duty role (grid_leader at once, safety_officer after 5 min,
 * manager after 15 min unless acknowledged). The people on duty for that role
 * in the alarm's unit (plant_on_duty: the unit's roster in its own time zone,
 * else the nearest ancestor's) are mentioned by phone in a message to every
 * active robot channel (DingTalk, WeCom, webhook), each with a signed
 * one-time link to acknowledge as themselves (notify/acklink.h) when the
 * server knows its public URL. When the alarm's point has a response card
 * (telemetry/response.h), the message says within how many minutes to act
 * and begins the action (the link's page shows it whole); the special work
 * under way in the alarm's area is listed (what to stop first). 紧急 goes out at
 * once (the outbox never digests it); the sender is woken after each
 * enqueue.
 *
 * Devices in maintenance/calibration mode raise no alarm, so they page no
 * one. Paging runs on the engine's timer thread, outside the engine mutex.
 *
 * The plant timer (once a minute): an interlock bypass past its expiry
 * raises 联锁旁路超期 (报警), which clears once the bypass is restored,
 * extended or cancelled. */
#include "warn/warn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "notify/acklink.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "notify/sender.h"
#include "org/org.h"
#include "plant/plant.h"
#include "store/q_warn.h"
#include "telemetry/response.h"

#define PAGE_PEOPLE 8
#define LINK_TTL_MS (24 * 3600 * 1000LL)
#define PAGE_ACTION_MAX 600 /* bytes of a response card's action in a message */

void page_queue(warn *w, const pend *p)
{
    if (p->ev.kind != AEV_ESCALATE || w->npage == WARN_PAGE_MAX) return;
    warn_page *g = &w->page[w->npage++];
    memset(g, 0, sizeof *g);
    g->alarm_id = p->ev.alarm_id;
    g->unit_id = p->ev.area_id;
    g->level = p->ev.level;
    g->at_ms = p->ev.at_ms;
    snprintf(g->role, sizeof g->role, "%s", p->ev.who);
    snprintf(g->title, sizeof g->title, "%s", p->title);
    g->value = p->value;
}

static const char *role_zh(const char *r)
{
    if (!strcmp(r, "grid_leader")) return "网格长";
    if (!strcmp(r, "safety_officer")) return "安全员";
    if (!strcmp(r, "manager")) return "负责人";
    return r;
}

static const char *level_zh(int l) { return l >= 3 ? "紧急" : l == 2 ? "报警" : "预警"; }

/* An escalation event carries no title (only a raise does): the alarm's, as
 * its raise stored it (written before the page is sent), into g. */
static void page_title(store_conn *c, warn_page *g)
{
    if (g->title[0]) return;
    store_stmt *st = NULL;
    bool row = false;
    if (!store_prepare(c, Q_ALARM_TITLE, &st) && !store_bind_int(st, 1, g->alarm_id) && !store_step(st, &row) && row)
        warn_copy_trunc(g->title, sizeof g->title, store_col_text(st, 0));
    store_finalize(st);
    if (!g->title[0]) snprintf(g->title, sizeof g->title, "报警 #%lld", (long long)g->alarm_id);
}

ws_err warn_area_of(store_conn *c, int64_t unit_id, int64_t *area_id, char *name, size_t name_cap, char *path,
                    size_t path_cap)
{
    *area_id = 0;
    if (name_cap) name[0] = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_ALARM_CTX_AREA, &st);
    if (!rc) rc = store_bind_int(st, 1, unit_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *area_id = store_col_int(st, 0);
        if (name_cap) snprintf(name, name_cap, "%s", store_col_text(st, 1));
        snprintf(path, path_cap, "%s", store_col_text(st, 2));
    }
    store_finalize(st);
    if (!rc && !row) rc = auth_unit_path(c, unit_id, "unit_id", path, path_cap);
    return rc;
}

/* The special work active or suspended in the area of unit_id
 * (warn_area_of), as one message line: "- 区域内作业：DH-… T-103 罐顶动火；…"
 * with at most PAGE_WORK permits (a gas alarm beside hot work means stopping
 * the hot work first). Appends to body at len; returns the new length. */
#define PAGE_WORK 3
static int area_work(store_conn *c, int64_t unit_id, char *body, size_t cap, int len)
{
    char path[AUTH_PATH_MAX] = "";
    int64_t area = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = warn_area_of(c, unit_id, &area, NULL, 0, path, sizeof path);
    if (!rc) rc = store_prepare(c, Q_ALARM_CTX_PERMITS, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, PAGE_WORK + 1);
    int n = 0;
    while (!rc && !(rc = store_step(st, &row)) && row && len < (int)cap - 400) {
        if (n == PAGE_WORK) {
            len += snprintf(body + len, cap - (size_t)len, "；等");
            break;
        }
        char one[200] = "";
        str_append_utf8(one, sizeof one, store_col_text(st, 5), 120);
        len += snprintf(body + len, cap - (size_t)len, "%s%s %s%s", n ? "；" : "- 区域内作业：", store_col_text(st, 1),
                        one, strcmp(store_col_text(st, 4), "suspended") ? "" : "（已暂停）");
        n++;
    }
    store_finalize(st);
    if (n) len += snprintf(body + len, cap - (size_t)len, "\n");
    return len;
}

/* One message per active channel for page g. */
static void send_page(warn *w, store_conn *c, const notify_channel *ch, size_t nch, const warn_page *g,
                      const unsigned char *key, bool have_key)
{
    int64_t ids[PAGE_PEOPLE];
    size_t n = 0;
    if (plant_on_duty(c, g->unit_id, g->role, g->at_ms, ids, PAGE_PEOPLE, &n)) n = 0;
    char phones[PAGE_PEOPLE][ORG_PHONE_MAX + 1];
    const char *mentions[PAGE_PEOPLE];
    int nm = 0;
    char body[4096];
    int len = snprintf(body, sizeof body, "**【%s】%s**\n\n", level_zh(g->level), g->title);
    char ts[40];
    clock_format_rfc3339_off(g->at_ms, 480, ts, sizeof ts);
    len += snprintf(body + len, sizeof body - (size_t)len, "- 时间：%s\n", ts);
    if (!isnan(g->value)) len += snprintf(body + len, sizeof body - (size_t)len, "- 数值：%g\n", g->value);
    len += snprintf(body + len, sizeof body - (size_t)len, "- 通知：%s（未确认时逐级上报）\n", role_zh(g->role));
    point_response *card = malloc(sizeof *card);
    bool found = false;
    if (card && !point_response_of_alarm(c, g->alarm_id, card, &found) && found) {
        len += snprintf(body + len, sizeof body - (size_t)len, "- 响应时限：%d 分钟内\n- 处置：", card->response_min);
        /* one line of the message: the card's line breaks become spaces */
        char act[PAGE_ACTION_MAX + 4] = "";
        str_append_utf8(act, sizeof act, card->action, PAGE_ACTION_MAX);
        for (char *q = act; *q; q++)
            if (*q == '\r' || *q == '\n') *q = ' ';
        len += snprintf(body + len, sizeof body - (size_t)len, "%s%s\n", act,
                        strlen(card->action) > PAGE_ACTION_MAX ? "…" : "");
    }
    free(card);
    len = area_work(c, g->unit_id, body, sizeof body, len);
    for (size_t i = 0; i < n && len < (int)sizeof body - 400; i++) {
        org_person pp;
        if (org_person_get(c, ids[i], &pp)) continue;
        if (pp.phone[0]) {
            snprintf(phones[nm], sizeof phones[nm], "%s", pp.phone);
            mentions[nm] = phones[nm];
            nm++;
        }
        len += snprintf(body + len, sizeof body - (size_t)len, "- 值班：%s%s%s", pp.name,
                        pp.phone[0] ? " @" : "", pp.phone);
        char tok[NOTIFY_ACKLINK_TOKEN_MAX];
        if (have_key && w->cfg.public_url && *w->cfg.public_url &&
            !notify_acklink_make(key, g->alarm_id, ids[i], g->at_ms + LINK_TTL_MS, tok, sizeof tok))
            len += snprintf(body + len, sizeof body - (size_t)len, " [本人确认](%s/ack/%s)",
                            w->cfg.public_url, tok);
        len += snprintf(body + len, sizeof body - (size_t)len, "\n");
    }
    if (!n) len += snprintf(body + len, sizeof body - (size_t)len, "- 值班表中无%s，请安排\n", role_zh(g->role));
    notify_level lv = g->level >= 3 ? NOTIFY_EMERGENCY : g->level == 2 ? NOTIFY_ALARM : NOTIFY_NOTICE;
    char title[200];
    snprintf(title, sizeof title, "【%s】%.160s", level_zh(g->level), g->title);
    for (size_t k = 0; k < nch; k++) {
        if (!ch[k].active) continue;
        int64_t id;
        if (notify_enqueue(c, ch[k].id, lv, title, body, mentions, nm, clock_now_ms(), &id))
            log_warn("page not queued", "channel", ch[k].name, "detail", ws_err_message());
    }
}

void page_flush(warn *w)
{
    warn_page *pg = NULL;
    pthread_mutex_lock(&w->mu);
    int n = w->npage;
    if (n) {
        pg = malloc((size_t)n * sizeof *pg);
        if (pg) memcpy(pg, w->page, (size_t)n * sizeof *pg);
        w->npage = 0;
    }
    pthread_mutex_unlock(&w->mu);
    if (!pg) return;
    store_conn *c = NULL;
    notify_channel *ch = NULL;
    size_t nch = 0;
    if (!store_acquire(w->cfg.db, &c) && !notify_channel_list(c, &ch, &nch) && nch) {
        unsigned char key[NOTIFY_ACKLINK_KEYBYTES];
        bool have_key = !notify_acklink_key(c, key);
        for (int i = 0; i < n; i++) {
            page_title(c, &pg[i]);
            send_page(w, c, ch, nch, &pg[i], key, have_key);
        }
        notify_sender_poke();
    }
    free(ch);
    if (c) store_release(c);
    free(pg);
}

/* ------------------------------------------------------- plant timer */

#define BYPASS_CHECK_MAX 64

/* The bypasses of the open 联锁旁路超期 alarms still raised that are no longer
 * expired (restored, extended, cancelled): their alarm clears, so it can be
 * closed with its record. At most BYPASS_CHECK_MAX a minute. */
static size_t bypasses_back(warn *w, store_conn *c, int64_t *done)
{
    int64_t ids[BYPASS_CHECK_MAX];
    size_t n = 0, k = 0, pos = 0;
    pthread_mutex_lock(&w->mu);
    for (const alarm *a; n < BYPASS_CHECK_MAX && (a = alarm_table_next(w->alarms, &pos));)
        if (a->rule_id == WARN_RULE_BYPASS && a->raw_active) ids[n++] = a->source_id;
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < n; i++) {
        plant_bypass b;
        ws_err rc = plant_bypass_get(c, ids[i], &b);
        if (rc == WS_ENOTFOUND || (!rc && strcmp(b.state, "expired"))) done[k++] = ids[i];
    }
    return k;
}

void plant_alarms(warn *w, int64_t now)
{
    if (now - w->last_plant_ms < 60000) return;
    w->last_plant_ms = now;
    store_conn *c = NULL;
    plant_tick_out out;
    int64_t back[BYPASS_CHECK_MAX];
    if (store_acquire(w->cfg.db, &c)) return;
    ws_err rc = plant_tick(c, now, &out);
    size_t nback = rc ? 0 : bypasses_back(w, c, back);
    store_release(c);
    if (rc) {
        log_warn("plant timer failed", "detail", ws_err_message());
        return;
    }
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < nback; i++) {
        alarm_events e = {0};
        if (!alarm_clear(w->alarms, WARN_RULE_BYPASS, back[i], now, &e)) queue_events_ext(w, &e, NULL, now, NULL);
    }
    for (size_t i = 0; i < out.n_expired; i++) {
        const plant_expired *x = &out.expired[i];
        alarm_events e = {0};
        alarm_raise_in in = {.rule_id = WARN_RULE_BYPASS, .source_id = x->bypass_id, .area_id = x->unit_id,
                             .level = ALARM_LVL_ALARM};
        char title[160];
        snprintf(title, sizeof title, "联锁旁路超期：%.120s", x->interlock);
        if (!alarm_raise(w->alarms, &in, now, &e)) queue_events_ext(w, &e, NULL, now, title);
    }
    (void)persist_unlock(w, NULL);
}

/* -------------------------------------------------- outbox health */

void warn_notify_health(void *ctx, int64_t channel_id, const char *name, bool failing)
{
    warn *w = ctx;
    int64_t now = clock_now_ms();
    pthread_mutex_lock(&w->mu);
    alarm_events e = {0};
    char title[160];
    snprintf(title, sizeof title, "通知通道故障：%.120s", name ? name : "");
    if (failing) {
        alarm_raise_in in = {.rule_id = WARN_RULE_OUTBOX, .source_id = channel_id, .area_id = 1,
                             .level = ALARM_LVL_ALARM};
        if (!alarm_raise(w->alarms, &in, now, &e)) queue_events_ext(w, &e, NULL, now, title);
    } else if (!alarm_clear(w->alarms, WARN_RULE_OUTBOX, channel_id, now, &e)) {
        queue_events_ext(w, &e, NULL, now, NULL);
    }
    (void)persist_unlock(w, NULL);
}

/* -------------------------------------------------- other modules' alarms */

ws_err warn_external_alarm(warn *w, int64_t rule_id, int64_t source_id, int64_t unit_id, int level,
                           bool on, const char *title, int64_t now)
{
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    if (level < ALARM_LVL_NOTICE || level > ALARM_LVL_EMERGENCY)
        return ws_fail(WS_EINVAL, "level", "an alarm level is 1 (预警), 2 (报警) or 3 (紧急)");
    pthread_mutex_lock(&w->mu);
    alarm_events e = {0};
    ws_err rc;
    if (on) {
        alarm_raise_in in = {.rule_id = rule_id, .source_id = source_id, .area_id = unit_id,
                             .level = (uint8_t)level};
        rc = alarm_raise(w->alarms, &in, now, &e);
    } else {
        rc = alarm_clear(w->alarms, rule_id, source_id, now, &e);
        if (rc == WS_ENOTFOUND || rc == WS_ECONFLICT) rc = WS_OK, e.n = 0;
    }
    if (!rc) queue_events_ext(w, &e, NULL, now, title);
    if (!rc) return persist_unlock(w, NULL);
    pthread_mutex_unlock(&w->mu);
    return rc;
}
