/* sender.c — the outbox sender thread and the heartbeat thread (see sender.h).
 *
 * Sender loop:  now = clock_now_ms() (the test build's clock in tests);
 *               acquire a connection; notify_send_due(); judge channel
 *               health; count pending; read the next due time; release;
 *               sleep until the next due time, a wake, or 1 s at most.
 * Health: consecutive failed requests per channel (told by the pass through
 * notify_http.on_result) and the age of each active channel's oldest pending
 * row. Transitions only are reported, so the engine raises one alarm per
 * outage. A channel switched off while failing is reported recovered.
 * Heartbeat loop: one request, count it, sleep heartbeat_s (stop wakes it). */
#include "notify/sender.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "notify/channel.h"
#include "store/q_notify.h"

#define MAX_WAIT_MS 1000
#define MAX_SENDERS 8

typedef struct health {
    int64_t id;
    int consecutive; /* failed requests in a row */
    bool failing;    /* as last reported */
    bool stale;      /* this pass: a message waited too long */
} health;

struct notify_sender {
    store *db;
    notify_sender_config cfg; /* strings point at the copies below */
    char *proxy, *heartbeat_url;
    notify_http http;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    bool stop, woken;
    pthread_t th, hb;
    bool th_started, hb_started;
    notify_sender_stats st; /* under mu */

    /* The sender thread's own. */
    health *hv;
    size_t hn, hcap;
    bool store_failing;
};

/* ---------------------------------------------------------------- registry */

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static notify_sender *reg[MAX_SENDERS];

static void reg_add(notify_sender *s)
{
    pthread_mutex_lock(&reg_mu);
    for (int i = 0; i < MAX_SENDERS; i++)
        if (!reg[i]) {
            reg[i] = s;
            break;
        }
    pthread_mutex_unlock(&reg_mu);
}

static void reg_del(notify_sender *s)
{
    pthread_mutex_lock(&reg_mu);
    for (int i = 0; i < MAX_SENDERS; i++)
        if (reg[i] == s) reg[i] = NULL;
    pthread_mutex_unlock(&reg_mu);
}

void notify_sender_poke(void)
{
    pthread_mutex_lock(&reg_mu);
    for (int i = 0; i < MAX_SENDERS; i++)
        if (reg[i]) notify_sender_wake(reg[i]);
    pthread_mutex_unlock(&reg_mu);
}

void notify_sender_wake(notify_sender *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->woken = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void notify_sender_stats_get(notify_sender *s, notify_sender_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    pthread_mutex_unlock(&s->mu);
}

/* Sleep up to ms on the condition variable; returns false once stopping.
 * wake_flag: a wake ends the sleep (the heartbeat ignores wakes). */
static bool nap(notify_sender *s, int64_t ms, bool wake_flag)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stop && !(wake_flag && s->woken))
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT) break;
    if (wake_flag) s->woken = false;
    bool go = !s->stop;
    pthread_mutex_unlock(&s->mu);
    return go;
}

/* ---------------------------------------------------------------- health */

static health *health_of(notify_sender *s, int64_t id)
{
    for (size_t i = 0; i < s->hn; i++)
        if (s->hv[i].id == id) return &s->hv[i];
    if (s->hn == s->hcap) {
        size_t nc = s->hcap ? s->hcap * 2 : 16;
        health *nv = realloc(s->hv, nc * sizeof *nv);
        if (!nv) return NULL;
        s->hv = nv;
        s->hcap = nc;
    }
    health *h = &s->hv[s->hn++];
    memset(h, 0, sizeof *h);
    h->id = id;
    return h;
}

static void on_result(void *arg, int64_t channel_id, bool ok)
{
    notify_sender *s = arg;
    health *h = health_of(s, channel_id);
    if (!h) return;
    h->consecutive = ok ? 0 : h->consecutive + 1;
}

static void report(notify_sender *s, store_conn *c, health *h, bool failing)
{
    notify_channel ch;
    bool found = notify_channel_get(c, h->id, &ch) == WS_OK;
    if (failing && found && !ch.active) failing = false; /* switched off: nothing to alarm about */
    if (failing == h->failing) return;
    h->failing = failing;
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, h->id);
    const char *name = found ? ch.name : "";
    if (failing)
        log_warn("notify: channel failing", "channel_id", ids, "channel", name);
    else
        log_info("notify: channel recovered", "channel_id", ids, "channel", name);
    if (s->cfg.on_health) s->cfg.on_health(s->cfg.health_ctx, h->id, name, failing);
}

static ws_err judge(notify_sender *s, store_conn *c, int64_t now)
{
    for (size_t i = 0; i < s->hn; i++) s->hv[i].stale = false;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_OLDEST_PENDING, &st);
    if (rc) return rc;
    int64_t limit = (int64_t)s->cfg.stale_after_s * 1000;
    while (!(rc = store_step(st, &row)) && row) {
        int64_t id = store_col_int(st, 0), oldest = store_col_int(st, 2);
        if (now - oldest < limit) continue;
        health *h = health_of(s, id);
        if (h) h->stale = true;
    }
    store_finalize(st);
    if (rc) return rc;
    int failing = 0;
    for (size_t i = 0; i < s->hn; i++) {
        health *h = &s->hv[i];
        bool f = h->stale || h->consecutive >= s->cfg.fail_after;
        if (f != h->failing) report(s, c, h, f);
        if (h->failing) failing++;
    }
    pthread_mutex_lock(&s->mu);
    s->st.channels_failing = failing;
    pthread_mutex_unlock(&s->mu);
    return WS_OK;
}

static ws_err query_int(store_conn *c, const char *sql, int64_t *v, bool *null)
{
    store_stmt *st = NULL;
    bool row = false;
    *v = 0;
    *null = true;
    ws_err rc = store_prepare(c, sql, &st);
    if (rc) return rc;
    if (!(rc = store_step(st, &row)) && row && !store_col_null(st, 0)) {
        *v = store_col_int(st, 0);
        *null = false;
    }
    store_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------- threads */

/* One pass; returns how long to sleep (ms). */
static int64_t pass(notify_sender *s)
{
    int64_t now = clock_now_ms();
    store_conn *c = NULL;
    notify_pass_stats ps = {0};
    int64_t pending = 0, next = 0;
    bool none = true, pnull = true;
    ws_err rc = store_acquire(s->db, &c);
    if (!rc) rc = notify_send_due(c, now, &s->http, &ps);
    if (!rc) rc = judge(s, c, now);
    if (!rc) rc = query_int(c, Q_NOTIFY_PENDING_COUNT, &pending, &pnull);
    if (!rc) rc = query_int(c, Q_NOTIFY_NEXT_DUE, &next, &none);
    if (c) store_release(c);
    if (rc && !s->store_failing) log_warn("notify: sender pass failed", "detail", ws_err_message());
    if (!rc && s->store_failing) log_info("notify: sender pass works again");
    s->store_failing = rc != WS_OK;
    pthread_mutex_lock(&s->mu);
    s->st.passes++;
    s->st.requests += (uint64_t)ps.requests;
    s->st.sent += (uint64_t)ps.sent;
    s->st.failed += (uint64_t)ps.failed;
    s->st.digests += (uint64_t)ps.digests;
    s->st.merged += (uint64_t)ps.merged;
    if (rc) s->st.store_errors++;
    else s->st.pending = pending;
    pthread_mutex_unlock(&s->mu);
    /* Due rows still waiting after the pass wait for a token or a paused
     * robot: look again within the second, never spin. */
    if (rc || none || next <= now) return MAX_WAIT_MS;
    return next - now < MAX_WAIT_MS ? next - now : MAX_WAIT_MS;
}

static void *sender_main(void *arg)
{
    notify_sender *s = arg;
    int64_t wait = 0;
    while (nap(s, wait, true)) wait = pass(s);
    return NULL;
}

static void beat(notify_sender *s, bool *was_ok)
{
    char body[160];
    notify_sender_stats st;
    notify_sender_stats_get(s, &st);
    snprintf(body, sizeof body, "{\"service\":\"worksafe\",\"pending\":%" PRId64 ",\"failing_channels\":%d}",
             st.pending, st.channels_failing);
    notify_http_req rq = {s->heartbeat_url, "application/json", s->cfg.heartbeat_post ? body : NULL,
                          s->cfg.timeout_ms, s->proxy, s->cfg.heartbeat_post ? "POST" : "GET", {NULL}};
    buf reply = BUF_INIT(1024);
    long status = 0;
    ws_err rc = s->http.post(s->http.arg, &rq, &status, &reply);
    buf_free(&reply);
    bool ok = !rc && status >= 200 && status <= 299;
    pthread_mutex_lock(&s->mu);
    if (ok) s->st.heartbeat_ok++;
    else s->st.heartbeat_fail++;
    pthread_mutex_unlock(&s->mu);
    if (!ok && *was_ok) {
        char sts[24];
        snprintf(sts, sizeof sts, "%ld", status);
        /* curl's message names no URL; the URL itself is never logged. */
        log_warn("notify: heartbeat failed", "status", sts, "error", rc ? ws_err_message() : "");
    } else if (ok && !*was_ok) {
        log_info("notify: heartbeat works again");
    }
    *was_ok = ok;
}

static void *heartbeat_main(void *arg)
{
    notify_sender *s = arg;
    bool was_ok = true;
    do beat(s, &was_ok);
    while (nap(s, (int64_t)s->cfg.heartbeat_s * 1000, false));
    return NULL;
}

/* ---------------------------------------------------------------- start/stop */

static void sender_free(notify_sender *s)
{
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->proxy);
    free(s->heartbeat_url);
    free(s->hv);
    free(s);
}

ws_err notify_sender_start(store *db, const notify_sender_config *cfg, notify_sender **out)
{
    *out = NULL;
    if (!db || !cfg) return ws_fail(WS_EINVAL, NULL, "no store or configuration");
    const char *proxy = cfg->proxy && strcmp(cfg->proxy, "none") ? cfg->proxy : "";
    if (*proxy && strncmp(proxy, "http://", 7) && strncmp(proxy, "https://", 8) && strncmp(proxy, "socks5://", 9) &&
        strncmp(proxy, "socks5h://", 10))
        return ws_fail(WS_EINVAL, "proxy", "proxy must be none or an http(s):// or socks5:// URL");
    const char *hb = cfg->heartbeat_url ? cfg->heartbeat_url : "";
    if (*hb && strncmp(hb, "http://", 7) && strncmp(hb, "https://", 8))
        return ws_fail(WS_EINVAL, "heartbeat_url", "heartbeat_url must be an http(s) URL");
    if (cfg->timeout_ms < 0 || cfg->fail_after < 0 || cfg->stale_after_s < 0 || cfg->heartbeat_s < 0)
        return ws_fail(WS_EINVAL, NULL, "negative notification setting");
    notify_sender *s = calloc(1, sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    s->db = db;
    s->cfg = *cfg;
    if (!s->cfg.timeout_ms) s->cfg.timeout_ms = 10000;
    if (!s->cfg.fail_after) s->cfg.fail_after = 3;
    if (!s->cfg.stale_after_s) s->cfg.stale_after_s = 300;
    if (!s->cfg.heartbeat_s) s->cfg.heartbeat_s = 60;
    s->proxy = strdup(proxy);
    s->heartbeat_url = strdup(hb);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!s->proxy || !s->heartbeat_url) {
        sender_free(s);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    s->cfg.proxy = s->proxy;
    s->cfg.heartbeat_url = s->heartbeat_url;
    s->http = (notify_http){cfg->http ? cfg->http : notify_http_curl, cfg->http_arg, s->cfg.timeout_ms,
                            s->proxy, on_result, s};
    if (pthread_create(&s->th, NULL, sender_main, s)) {
        sender_free(s);
        return ws_fail(WS_EINTERNAL, NULL, "cannot start the notification sender");
    }
    s->th_started = true;
    if (*hb) {
        if (pthread_create(&s->hb, NULL, heartbeat_main, s)) {
            notify_sender_stop(s);
            return ws_fail(WS_EINTERNAL, NULL, "cannot start the heartbeat");
        }
        s->hb_started = true;
    }
    reg_add(s);
    log_info("notify: sender started", "proxy", *proxy ? "set" : "none", "heartbeat", *hb ? "on" : "off");
    *out = s;
    return WS_OK;
}

void notify_sender_stop(notify_sender *s)
{
    if (!s) return;
    reg_del(s);
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->th_started) pthread_join(s->th, NULL);
    if (s->hb_started) pthread_join(s->hb, NULL);
    sender_free(s);
}
