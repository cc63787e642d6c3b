/* test_notify_sender.c — the outbox sender thread and heartbeat
 * (src/notify/sender.c) on real stores (SQLite file; PostgreSQL when
 * WS_TEST_PG_URL is set), sending through real libcurl to loopback receivers
 * in this process:
 *   - a libmicrohttpd server acting as a DingTalk robot that checks each
 *     request's timestamp and sign (INTEGRATIONS.md §1) recomputed here with
 *     gnutls HMAC-SHA256, Base64 and its own percent-encoding of the raw
 *     query string; a WeCom robot; a generic webhook that checks the
 *     X-Worksafe-Signature header with gnutls; a heartbeat monitor;
 *   - a tiny HTTP proxy (a socket server) that counts the requests it gets.
 * Time: the sender reads the test build's clock, which the tests move with
 * clock_test_advance() to step through backoff and staleness.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "notify/outbox.h"
#include "notify/sender.h"
#include "store/store.h"
#include "unit/pgdb.h"

#define SECRET "SECa1b2c3d4e5f60718293a4b5c6d7e8f9secretvalue"
#define TOKEN "tok9f8e7d6c5b4a3928"
#define HOOK_SECRET "hook-shared-secret-4711"
#define PING_KEY "5f0c2a4e-ping-uuid-0001"

static char tmpdir[128];

/* ============================================================ receivers */

#define RX_MAX 128
typedef struct rxreq {
    char path[64];
    char method[8];
    char *body;
    bool sign_ok, hook_sig, hook_sig_ok;
} rxreq;

static struct rx {
    pthread_mutex_t mu;
    struct MHD_Daemon *d;
    unsigned short port;
    int fail_robot;  /* 1: /robot/send answers 500 */
    int fail_ping;   /* 1: /ping answers 500 */
    int n;
    rxreq req[RX_MAX];
} rx = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void rx_clear(void)
{
    pthread_mutex_lock(&rx.mu);
    for (int i = 0; i < RX_MAX; i++) free(rx.req[i].body);
    memset(rx.req, 0, sizeof rx.req);
    rx.n = 0;
    rx.fail_robot = rx.fail_ping = 0;
    pthread_mutex_unlock(&rx.mu);
}

static int rx_count(const char *path_prefix)
{
    pthread_mutex_lock(&rx.mu);
    int k = 0;
    for (int i = 0; i < rx.n && i < RX_MAX; i++)
        if (!strncmp(rx.req[i].path, path_prefix, strlen(path_prefix))) k++;
    pthread_mutex_unlock(&rx.mu);
    return k;
}

/* The k-th request to path_prefix (a copy; caller frees the body). */
static rxreq rx_get(const char *path_prefix, int k)
{
    rxreq out = {0};
    pthread_mutex_lock(&rx.mu);
    for (int i = 0; i < rx.n && i < RX_MAX; i++)
        if (!strncmp(rx.req[i].path, path_prefix, strlen(path_prefix)) && k-- == 0) {
            out = rx.req[i];
            out.body = strdup(rx.req[i].body ? rx.req[i].body : "");
            break;
        }
    pthread_mutex_unlock(&rx.mu);
    return out;
}

/* Percent-encoding as Java's URLEncoder, written here again. */
static void urlenc(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < cap; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '*')
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
    }
    out[o] = 0;
}

/* ?name= of a raw query string, still percent-encoded. */
static bool raw_param(const char *uri, const char *name, char *out, size_t cap)
{
    const char *q = strchr(uri, '?');
    size_t nl = strlen(name);
    while (q) {
        q++;
        if (!strncmp(q, name, nl) && q[nl] == '=') {
            size_t vl = strcspn(q + nl + 1, "&");
            snprintf(out, cap, "%.*s", (int)vl, q + nl + 1);
            return true;
        }
        q = strchr(q, '&');
    }
    return false;
}

/* DingTalk's check: sign == urlencode(base64(HMAC-SHA256(secret, ts "\n"
 * secret))) in the raw query, ts within an hour of the test clock. */
static bool dingtalk_sign_ok(const char *uri)
{
    char ts[32], sign[200];
    if (!raw_param(uri, "timestamp", ts, sizeof ts) || !raw_param(uri, "sign", sign, sizeof sign)) return false;
    if (llabs(atoll(ts) - clock_now_ms()) > 3600000LL) return false;
    char msg[256];
    int ml = snprintf(msg, sizeof msg, "%s\n%s", ts, SECRET);
    unsigned char mac[32];
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, SECRET, strlen(SECRET), msg, (size_t)ml, mac) != 0) return false;
    char b64[64], want[200];
    sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    urlenc(b64, want, sizeof want);
    return strcmp(want, sign) == 0;
}

/* The webhook's check: X-Worksafe-Signature == "sha256=" hex(HMAC-SHA256(
 * secret, ts "." body)), ts within five minutes. */
static bool hook_sig_ok(const char *ts, const char *sig, const char *body, size_t n)
{
    if (!ts || !sig) return false;
    if (llabs(atoll(ts) - clock_now_ms()) > 300000LL) return false;
    size_t tl = strlen(ts);
    char *msg = malloc(tl + 1 + n);
    memcpy(msg, ts, tl);
    msg[tl] = '.';
    memcpy(msg + tl + 1, body, n);
    unsigned char mac[32];
    int rc = gnutls_hmac_fast(GNUTLS_MAC_SHA256, HOOK_SECRET, strlen(HOOK_SECRET), msg, tl + 1 + n, mac);
    free(msg);
    if (rc) return false;
    char want[80] = "sha256=";
    for (int i = 0; i < 32; i++) snprintf(want + 7 + 2 * i, 3, "%02x", mac[i]);
    return strcmp(want, sig) == 0;
}

typedef struct upload {
    bool started; /* the first call (headers) has been seen */
    char *uri;
    char *p;
    size_t n;
} upload;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    upload *u = calloc(1, sizeof *u);
    if (u) u->uri = strdup(uri);
    return u;
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    upload *u = *con_cls;
    if (!u) return MHD_NO;
    if (!u->started) {
        u->started = true;
        return MHD_YES;
    }
    if (*data_size) {
        char *np = realloc(u->p, u->n + *data_size + 1);
        if (!np) return MHD_NO;
        u->p = np;
        memcpy(u->p + u->n, data, *data_size);
        u->n += *data_size;
        u->p[u->n] = '\0';
        *data_size = 0;
        return MHD_YES;
    }
    if (!u->p) u->p = strdup("");
    const char *reply = "{\"errcode\":0,\"errmsg\":\"ok\"}";
    unsigned status = 200;
    pthread_mutex_lock(&rx.mu);
    if (rx.n < RX_MAX) {
        rxreq *r = &rx.req[rx.n];
        snprintf(r->path, sizeof r->path, "%s", url);
        snprintf(r->method, sizeof r->method, "%s", method);
        r->body = strdup(u->p);
        if (strstr(url, "/robot/send")) r->sign_ok = dingtalk_sign_ok(u->uri ? u->uri : "");
        const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Worksafe-Signature");
        r->hook_sig = sig != NULL;
        r->hook_sig_ok = hook_sig_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Worksafe-Timestamp"),
                                     sig, u->p, u->n);
    }
    rx.n++;
    if ((rx.fail_robot && strstr(url, "/robot/send")) || (rx.fail_ping && strstr(url, "/ping"))) {
        status = 500;
        reply = "oops";
    }
    pthread_mutex_unlock(&rx.mu);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(reply), (void *)reply, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)conn;
    (void)t;
    upload *u = *con_cls;
    if (u) {
        free(u->uri);
        free(u->p);
        free(u);
    }
    *con_cls = NULL;
}

static int rx_start(void)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rx.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_req, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                            NULL, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_END);
    if (!rx.d) return -1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(rx.d, MHD_DAEMON_INFO_BIND_PORT);
    rx.port = di ? di->port : 0;
    return rx.port ? 0 : -1;
}

/* ------------------------------------------------------------ the proxy */

static struct proxy {
    int fd;
    unsigned short port;
    pthread_t th;
    volatile int stop;
    pthread_mutex_t mu;
    int n;
    char first_line[512];
} px = {.fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

/* Answer every request itself with a robot's "ok", recording its request
 * line (an absolute URI: it came as a proxy request). */
static void *proxy_main(void *arg)
{
    (void)arg;
    while (!px.stop) {
        struct pollfd pf = {px.fd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0) continue;
        int c = accept(px.fd, NULL, NULL);
        if (c < 0) continue;
        char b[16384];
        size_t n = 0;
        long want = -1;
        for (;;) {
            ssize_t r = recv(c, b + n, sizeof b - 1 - n, 0);
            if (r <= 0) break;
            n += (size_t)r;
            b[n] = 0;
            char *eoh = strstr(b, "\r\n\r\n");
            if (eoh && want < 0) {
                const char *cl = strcasestr(b, "\r\nContent-Length:");
                want = (long)(eoh + 4 - b) + (cl && cl < eoh ? atol(cl + 17) : 0);
            }
            if (want >= 0 && (long)n >= want) break;
            if (n >= sizeof b - 1) break;
        }
        pthread_mutex_lock(&px.mu);
        px.n++;
        snprintf(px.first_line, sizeof px.first_line, "%.*s", (int)strcspn(b, "\r\n"), b);
        pthread_mutex_unlock(&px.mu);
        const char *ok = "{\"errcode\":0,\"errmsg\":\"ok\"}";
        char resp[256];
        int rl = snprintf(resp, sizeof resp,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n%s",
                          strlen(ok), ok);
        if (send(c, resp, (size_t)rl, MSG_NOSIGNAL) < 0) { /* the test sees the count */
        }
        close(c);
    }
    return NULL;
}

static int proxy_start(void)
{
    px.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (px.fd < 0 || bind(px.fd, (struct sockaddr *)&sa, sizeof sa) || listen(px.fd, 16) ||
        getsockname(px.fd, (struct sockaddr *)&sa, &sl))
        return -1;
    px.port = ntohs(sa.sin_port);
    return pthread_create(&px.th, NULL, proxy_main, NULL) ? -1 : 0;
}

static int proxy_count(void)
{
    pthread_mutex_lock(&px.mu);
    int n = px.n;
    pthread_mutex_unlock(&px.mu);
    return n;
}

/* ============================================================ health events */

static struct hev {
    pthread_mutex_t mu;
    int n;
    int64_t id[32];
    bool failing[32];
    char name[32][64];
} hev = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void on_health(void *ctx, int64_t channel_id, const char *name, bool failing)
{
    (void)ctx;
    pthread_mutex_lock(&hev.mu);
    if (hev.n < 32) {
        hev.id[hev.n] = channel_id;
        hev.failing[hev.n] = failing;
        snprintf(hev.name[hev.n], sizeof hev.name[0], "%s", name);
    }
    hev.n++;
    pthread_mutex_unlock(&hev.mu);
}

static int hev_count(void)
{
    pthread_mutex_lock(&hev.mu);
    int n = hev.n;
    pthread_mutex_unlock(&hev.mu);
    return n;
}

/* ============================================================ on a store */

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct tctx {
    testdb db;
    fixture *f;
    store *s;
    store_conn *c;
    notify_sender *snd;
    char url[1024];
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;

static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "sender", f->n)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    if (store_acquire(tc.s, &tc.c)) return -1;
    rx_clear();
    pthread_mutex_lock(&hev.mu);
    hev.n = 0;
    pthread_mutex_unlock(&hev.mu);
    *state = &tc;
    return 0;
}

static int db_teardown(void **state)
{
    tctx *t = *state;
    notify_sender_stop(t->snd);
    if (t->c) store_release(t->c);
    testdb_close(&t->db);
    *state = t->f;
    return 0;
}

static void start(tctx *t, notify_sender_config *cfg)
{
    cfg->on_health = on_health;
    if (!cfg->timeout_ms) cfg->timeout_ms = 3000;
    assert_int_equal(notify_sender_start(t->s, cfg, &t->snd), WS_OK);
}

static int64_t count_sql(store_conn *c, const char *sql)
{
    store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(store_prepare(c, sql, &st), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    return v;
}

static void exec_sql(store_conn *c, const char *sql)
{
    assert_int_equal(store_exec(c, sql), WS_OK);
}

static int64_t add_channel(tctx *t, const char *kind, const char *name, const char *path, const char *secret,
                           int rate)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", rx.port, path);
    int64_t id = 0;
    assert_int_equal(notify_channel_add(t->c, kind, name, url, secret, rate, clock_now_ms(), &id), WS_OK);
    return id;
}

static int64_t enqueue_at(tctx *t, int64_t ch, notify_level lv, const char *title, const char *const *m, int nm,
                          int64_t at)
{
    int64_t id = 0;
    assert_int_equal(notify_enqueue(t->c, ch, lv, title, "**GT-101** 30 %LEL，请立即处置", m, nm, at, &id), WS_OK);
    return id;
}

static int64_t enqueue(tctx *t, int64_t ch, notify_level lv, const char *title, const char *const *m, int nm)
{
    return enqueue_at(t, ch, lv, title, m, nm, clock_now_ms());
}

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait up to ms for the count of path to reach n; returns the count. */
static int wait_rx(const char *path, int n, int ms)
{
    int64_t end = mono() + ms;
    int k;
    while ((k = rx_count(path)) < n && mono() < end) sleep_ms(10);
    return k;
}

static int wait_hev(int n, int ms)
{
    int64_t end = mono() + ms;
    int k;
    while ((k = hev_count()) < n && mono() < end) sleep_ms(10);
    return k;
}

static notify_sender_stats stats(tctx *t)
{
    notify_sender_stats st;
    notify_sender_stats_get(t->snd, &st);
    return st;
}

/* Wait until the sender has run one more full pass than before. */
static void wait_pass(tctx *t)
{
    uint64_t p0 = stats(t).passes;
    int64_t end = mono() + 3000;
    for (uint64_t k = 1; k <= 2; k++) {
        notify_sender_wake(t->snd);
        while (stats(t).passes < p0 + k && mono() < end) sleep_ms(5);
    }
}

/* ============================================================ tests */

/* An emergency goes out at once on a wake, signed as DingTalk checks it,
 * mentioning the people on duty by mobile and userid. */
static void test_dingtalk_signed_mentions(void **state)
{
    tctx *t = *state;
    notify_sender_config cfg = {0};
    start(t, &cfg);
    sleep_ms(200); /* let the first (empty) pass run */
    int64_t ch = add_channel(t, "dingtalk", "plant-robot", "/robot/send?access_token=" TOKEN, SECRET, 18);
    const char *m[] = {"13800001111", "zhangsan"};
    int64_t t0 = mono();
    int64_t id = enqueue(t, ch, NOTIFY_EMERGENCY, "GT-101 可燃气体 二级报警", m, 2);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 1, 3000), 1);
    int64_t took = mono() - t0;
    assert_true(took < 800); /* woken, not waiting for the next second */
    rxreq r = rx_get("/robot/send", 0);
    assert_true(r.sign_ok);
    json_error_t je;
    json_t *b = json_loads(r.body, 0, &je);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "msgtype")), "markdown");
    json_t *at = json_object_get(b, "at");
    assert_string_equal(json_string_value(json_array_get(json_object_get(at, "atMobiles"), 0)), "13800001111");
    assert_string_equal(json_string_value(json_array_get(json_object_get(at, "atUserIds"), 0)), "zhangsan");
    const char *text = json_string_value(json_object_get(json_object_get(b, "markdown"), "text"));
    assert_non_null(strstr(text, "@13800001111"));
    assert_non_null(strstr(text, "【紧急】GT-101"));
    json_decref(b);
    free(r.body);
    wait_pass(t);
    notify_row row;
    assert_int_equal(notify_get(t->c, id, &row), WS_OK);
    assert_string_equal(row.state, "sent");
    notify_row_free(&row);
    notify_sender_stats st = stats(t);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.failed, 0);
}

/* WeCom: a mobile mention makes a text message with mentioned_mobile_list;
 * the webhook carries the HMAC header the gateway checks; a webhook without
 * a secret sends none. */
static void test_wecom_webhook(void **state)
{
    tctx *t = *state;
    notify_sender_config cfg = {0};
    start(t, &cfg);
    int64_t wc = add_channel(t, "wecom", "wecom-robot", "/cgi-bin/webhook/send?key=" TOKEN, NULL, 18);
    int64_t wh = add_channel(t, "webhook", "sms-gateway", "/hook/sms", HOOK_SECRET, 18);
    int64_t wn = add_channel(t, "webhook", "plain-hook", "/hook/plain", NULL, 18);
    const char *m[] = {"13900002222"};
    enqueue(t, wc, NOTIFY_ALARM, "GT-102 一级报警", m, 1);
    enqueue(t, wh, NOTIFY_EMERGENCY, "GT-103 二级报警", m, 1);
    enqueue(t, wn, NOTIFY_NOTICE, "GT-104 预警", NULL, 0);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/cgi-bin/webhook/send", 1, 3000), 1);
    assert_int_equal(wait_rx("/hook/sms", 1, 3000), 1);
    assert_int_equal(wait_rx("/hook/plain", 1, 3000), 1);

    rxreq r = rx_get("/cgi-bin/webhook/send", 0);
    json_t *b = json_loads(r.body, 0, NULL);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "msgtype")), "text");
    json_t *tx = json_object_get(b, "text");
    assert_string_equal(json_string_value(json_array_get(json_object_get(tx, "mentioned_mobile_list"), 0)),
                        "13900002222");
    assert_non_null(strstr(json_string_value(json_object_get(tx, "content")), "GT-102"));
    json_decref(b);
    free(r.body);

    r = rx_get("/hook/sms", 0);
    assert_true(r.hook_sig);
    assert_true(r.hook_sig_ok);
    b = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(b, "level")), "emergency");
    assert_string_equal(json_string_value(json_object_get(b, "title")), "GT-103 二级报警");
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "mentions"), 0)), "13900002222");
    json_decref(b);
    free(r.body);

    r = rx_get("/hook/plain", 0);
    assert_false(r.hook_sig);
    free(r.body);
}

/* Over the thread: 30 notices become one digest request; 10 emergencies are
 * never merged but wait for tokens (burst 2, then the rate on the clock). */
static void test_rate_and_digest(void **state)
{
    tctx *t = *state;
    notify_sender_config cfg = {0};
    start(t, &cfg);
    int64_t ch = add_channel(t, "dingtalk", "digest-robot", "/robot/send?access_token=" TOKEN, SECRET, 6);
    /* One transaction, all due already: a pass that takes its time while
     * the rows are written must find them all due once they commit. */
    int64_t at = clock_now_ms() - 1000;
    assert_int_equal(store_begin(t->c), WS_OK);
    for (int i = 0; i < 30; i++) {
        char title[64];
        snprintf(title, sizeof title, "GT-%03d 可燃气体预警", i);
        enqueue_at(t, ch, NOTIFY_NOTICE, title, NULL, 0, at);
    }
    assert_int_equal(store_commit(t->c), WS_OK);
    notify_sender_wake(t->snd);
    int got = wait_rx("/robot/send", 1, 3000);
    sleep_ms(300);
    if (got != 1 || rx_count("/robot/send") != 1)
        for (int i = 0; i < rx_count("/robot/send"); i++) {
            rxreq x = rx_get("/robot/send", i);
            fprintf(stderr, "request %d: %.300s\n", i, x.body);
            free(x.body);
        }
    assert_int_equal(got, 1);
    assert_int_equal(rx_count("/robot/send"), 1);
    rxreq r = rx_get("/robot/send", 0);
    assert_true(r.sign_ok);
    assert_non_null(strstr(r.body, "30 条消息汇总"));
    assert_non_null(strstr(r.body, "GT-029"));
    free(r.body);
    wait_pass(t);
    notify_sender_stats st = stats(t);
    assert_int_equal(st.digests, 1);
    assert_int_equal(st.merged, 30);
    assert_int_equal(st.sent, 1);

    /* One token left of the burst of 2: the first emergency goes at once. */
    assert_int_equal(store_begin(t->c), WS_OK);
    for (int i = 0; i < 10; i++) enqueue(t, ch, NOTIFY_EMERGENCY, "GT-900 二级报警", NULL, 0);
    assert_int_equal(store_commit(t->c), WS_OK);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 2, 3000), 2);
    sleep_ms(600);
    wait_pass(t);
    assert_int_equal(rx_count("/robot/send"), 2); /* no token: the rest wait */
    /* 20 s on the clock: 2 tokens at 6/min. */
    clock_test_advance(20000);
    wait_pass(t);
    wait_pass(t);
    assert_int_equal(rx_count("/robot/send"), 4);
    /* A minute later: 6 tokens' worth, but the bucket holds 2. */
    clock_test_advance(60000);
    wait_pass(t);
    assert_int_equal(rx_count("/robot/send"), 6);
    st = stats(t);
    assert_int_equal(st.digests, 1); /* emergencies were never merged */
    assert_int_equal(st.pending, 5);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_outbox WHERE level = 'emergency' "
                                     "AND state = 'sent'"),
                     5);
}

/* A robot answering 500: retried at +1 s, +2 s (backoff), and after 3 failed
 * requests in a row the channel is reported failing once; when the robot
 * works again the message goes out and the channel is reported recovered. */
static void test_failing_then_recovered(void **state)
{
    tctx *t = *state;
    notify_sender_config cfg = {.fail_after = 3, .stale_after_s = 3600};
    start(t, &cfg);
    rx.fail_robot = 1;
    int64_t ch = add_channel(t, "dingtalk", "broken-robot", "/robot/send?access_token=" TOKEN, SECRET, 60);
    int64_t id = enqueue(t, ch, NOTIFY_ALARM, "GT-201 一级报警", NULL, 0);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 1, 3000), 1);
    /* not due again yet: a wake sends nothing */
    notify_sender_wake(t->snd);
    sleep_ms(150);
    assert_int_equal(rx_count("/robot/send"), 1);
    notify_row row;
    assert_int_equal(notify_get(t->c, id, &row), WS_OK);
    assert_int_equal(row.attempts, 1);
    assert_string_equal(row.state, "pending");
    assert_string_equal(row.last_error, "HTTP 500");
    int64_t next1 = row.next_attempt_at;
    notify_row_free(&row);
    assert_int_equal(hev_count(), 0);
    clock_test_advance(1000);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 2, 3000), 2);
    wait_pass(t);
    assert_int_equal(notify_get(t->c, id, &row), WS_OK);
    assert_int_equal(row.attempts, 2);
    /* tried again >= 1 s later, then backed off 2 s */
    assert_true(row.next_attempt_at - next1 >= 2000 && row.next_attempt_at - next1 < 5000);
    notify_row_free(&row);
    assert_int_equal(hev_count(), 0);
    clock_test_advance(2000);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 3, 3000), 3);
    assert_int_equal(wait_hev(1, 3000), 1);
    assert_int_equal(hev.id[0], ch);
    assert_true(hev.failing[0]);
    assert_string_equal(hev.name[0], "broken-robot");
    wait_pass(t);
    assert_int_equal(stats(t).channels_failing, 1);
    assert_int_equal(hev_count(), 1); /* reported once */
    /* the robot works again */
    rx.fail_robot = 0;
    clock_test_advance(4000);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 4, 3000), 4);
    assert_int_equal(wait_hev(2, 3000), 2);
    assert_false(hev.failing[1]);
    assert_int_equal(hev.id[1], ch);
    assert_int_equal(notify_get(t->c, id, &row), WS_OK);
    assert_string_equal(row.state, "sent");
    notify_row_free(&row);
    wait_pass(t);
    notify_sender_stats st = stats(t);
    assert_int_equal(st.failed, 3);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.channels_failing, 0);
}

/* A message unsent for longer than stale_after_s (a paused robot) makes its
 * channel failing without any failed request; sent, it recovers. */
static void test_stale_channel(void **state)
{
    tctx *t = *state;
    notify_sender_config cfg = {.fail_after = 3, .stale_after_s = 300};
    int64_t ch = add_channel(t, "wecom", "paused-robot", "/cgi-bin/webhook/send?key=" TOKEN, NULL, 18);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE notify_channels SET paused_until = %lld WHERE id = %lld",
             (long long)(clock_now_ms() + 3600000LL), (long long)ch);
    exec_sql(t->c, sql);
    /* the sender starts after the pause is written: a pass that read the
     * channel before would write its bucket back over it (the sender owns
     * tokens, bucket_at and paused_until; only this test writes them too) */
    start(t, &cfg);
    enqueue(t, ch, NOTIFY_ALARM, "GT-301 一级报警", NULL, 0);
    wait_pass(t);
    assert_int_equal(rx_count("/cgi-bin/"), 0);
    /* the test clock runs on with real time as well: a wide margin under the
     * limit, then past it */
    clock_test_advance(240000);
    wait_pass(t);
    assert_int_equal(hev_count(), 0);
    clock_test_advance(70000);
    wait_pass(t);
    assert_int_equal(wait_hev(1, 3000), 1);
    assert_true(hev.failing[0]);
    assert_int_equal(hev.id[0], ch);
    /* lift the pause until the message goes: a pass that read the channel
     * before this UPDATE writes the pause back with its bucket (a CI run with
     * four jobs failed here once) */
    snprintf(sql, sizeof sql, "UPDATE notify_channels SET paused_until = 0 WHERE id = %lld", (long long)ch);
    int64_t end = mono() + 3000;
    do {
        exec_sql(t->c, sql);
        notify_sender_wake(t->snd);
    } while (wait_rx("/cgi-bin/", 1, 300) < 1 && mono() < end);
    assert_int_equal(rx_count("/cgi-bin/"), 1);
    assert_int_equal(wait_hev(2, 3000), 2);
    assert_false(hev.failing[1]);
}

/* The outbound proxy setting: requests go through it; "none" goes direct
 * even with http_proxy in the environment. */
static void test_proxy(void **state)
{
    tctx *t = *state;
    char purl[64];
    snprintf(purl, sizeof purl, "http://127.0.0.1:%u", px.port);
    notify_sender_config cfg = {.proxy = purl};
    start(t, &cfg);
    int64_t ch = add_channel(t, "dingtalk", "proxied-robot", "/robot/send?access_token=" TOKEN, SECRET, 18);
    int before = proxy_count();
    int64_t id = enqueue(t, ch, NOTIFY_EMERGENCY, "GT-401 二级报警", NULL, 0);
    notify_sender_wake(t->snd);
    int64_t end = mono() + 3000;
    while (proxy_count() == before && mono() < end) sleep_ms(10);
    assert_int_equal(proxy_count(), before + 1);
    char want[128];
    snprintf(want, sizeof want, "POST http://127.0.0.1:%u/robot/send?access_token=", rx.port);
    pthread_mutex_lock(&px.mu);
    assert_true(!strncmp(px.first_line, want, strlen(want)));
    pthread_mutex_unlock(&px.mu);
    assert_int_equal(rx_count("/robot/send"), 0);
    wait_pass(t);
    notify_row row;
    assert_int_equal(notify_get(t->c, id, &row), WS_OK);
    assert_string_equal(row.state, "sent");
    notify_row_free(&row);
    notify_sender_stop(t->snd);
    t->snd = NULL;

    /* "none": direct, the environment's proxy ignored */
    setenv("http_proxy", purl, 1);
    setenv("HTTP_PROXY", purl, 1);
    notify_sender_config direct = {.proxy = "none"};
    start(t, &direct);
    before = proxy_count();
    enqueue(t, ch, NOTIFY_EMERGENCY, "GT-402 二级报警", NULL, 0);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 1, 3000), 1);
    assert_int_equal(proxy_count(), before);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");

    /* a bad proxy setting is refused at start */
    notify_sender *x = NULL;
    notify_sender_config bad = {.proxy = "ftp://127.0.0.1:21"};
    assert_int_equal(notify_sender_start(t->s, &bad, &x), WS_EINVAL);
    assert_string_equal(ws_err_field(), "proxy");
    assert_null(x);
}

/* The heartbeat reaches a loopback monitor every heartbeat_s; a failing
 * monitor is counted and does not stop the sender; the monitor's key, the
 * robot token and secrets never reach the log. */
static void test_heartbeat(void **state)
{
    tctx *t = *state;
    /* capture stderr (the log) */
    char logpath[256];
    snprintf(logpath, sizeof logpath, "%s/log.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    FILE *lf = fopen(logpath, "w+");
    assert_non_null(lf);
    dup2(fileno(lf), 2);

    char hb[128];
    snprintf(hb, sizeof hb, "http://127.0.0.1:%u/ping/" PING_KEY, rx.port);
    notify_sender_config cfg = {.heartbeat_url = hb, .heartbeat_s = 1};
    start(t, &cfg);
    assert_true(wait_rx("/ping/", 2, 3500) >= 2);
    rxreq r = rx_get("/ping/", 0);
    assert_string_equal(r.method, "GET");
    free(r.body);
    /* the monitor fails: counted, and messages still go out */
    rx.fail_ping = 1;
    rx.fail_robot = 1;
    int64_t ch = add_channel(t, "dingtalk", "hb-robot", "/robot/send?access_token=" TOKEN, SECRET, 18);
    enqueue(t, ch, NOTIFY_EMERGENCY, "GT-501 二级报警", NULL, 0);
    notify_sender_wake(t->snd);
    assert_int_equal(wait_rx("/robot/send", 1, 3000), 1);
    int64_t end = mono() + 3000;
    while (stats(t).heartbeat_fail < 1 && mono() < end) sleep_ms(20);
    notify_sender_stats st = stats(t);
    assert_true(st.heartbeat_ok >= 2);
    assert_true(st.heartbeat_fail >= 1);
    notify_sender_stop(t->snd);
    t->snd = NULL;
    rx.fail_ping = 0;
    rx.fail_robot = 0;

    /* POST form */
    notify_sender_config post = {.heartbeat_url = hb, .heartbeat_s = 60, .heartbeat_post = true};
    int before = rx_count("/ping/");
    start(t, &post);
    assert_int_equal(wait_rx("/ping/", before + 1, 3000), before + 1);
    r = rx_get("/ping/", before);
    assert_string_equal(r.method, "POST");
    json_t *b = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(b, "service")), "worksafe");
    assert_true(json_is_integer(json_object_get(b, "pending")));
    json_decref(b);
    free(r.body);
    notify_sender_stop(t->snd);
    t->snd = NULL;

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(lf, 0, SEEK_END);
    long n = ftell(lf);
    rewind(lf);
    char *log = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(log, 1, (size_t)n, lf), (size_t)n);
    fclose(lf);
    assert_non_null(strstr(log, "heartbeat failed"));
    assert_non_null(strstr(log, "hb-robot"));  /* channels are named by name */
    assert_null(strstr(log, PING_KEY));
    assert_null(strstr(log, TOKEN));
    assert_null(strstr(log, SECRET));
    free(log);
}

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

static int setup_sqlite(void **state)
{
    *state = &fx_sqlite;
    return 0;
}
static int setup_pg(void **state)
{
    *state = &fx_pg;
    return 0;
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_sender_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("all_proxy");
    if (sodium_init() < 0 || gnutls_global_init() < 0 || rx_start() || proxy_start()) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_dingtalk_signed_mentions),
        DB_TEST(test_wecom_webhook),
        DB_TEST(test_rate_and_digest),
        DB_TEST(test_failing_then_recovered),
        DB_TEST(test_stale_channel),
        DB_TEST(test_proxy),
        DB_TEST(test_heartbeat),
    };
    int failed = cmocka_run_group_tests_name("sender_sqlite", db, setup_sqlite, NULL);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("sender_postgres", db, setup_pg, NULL);
    } else {
        fprintf(stderr, "sender_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    px.stop = 1;
    pthread_join(px.th, NULL);
    close(px.fd);
    MHD_stop_daemon(rx.d);
    rx_clear();
    gnutls_global_deinit();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
