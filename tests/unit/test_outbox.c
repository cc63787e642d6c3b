/* test_outbox.c — the notification outbox (src/notify/outbox.c) on real stores
 * (a fresh SQLite file per test; a fresh PostgreSQL database per test when
 * WS_TEST_PG_URL is set), sending through the real libcurl path to a loopback
 * receiver (libmicrohttpd on 127.0.0.1, port 0) that checks each DingTalk
 * request's signature with its own HMAC-SHA256 (timestamp within an hour of
 * the pass's time, sign recomputed from the channel secret) and records the
 * bodies. The sender's clock is driven explicitly through `now`.
 * (Tests may hold SQL text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify/outbox.h"
#include "store/store.h"
#include "unit/pgdb.h"

#define SECRET "SECa1b2c3d4e5f60718293a4b5c6d7e8f9secretvalue"
#define TOKEN "tok9f8e7d6c5b4a3928"
#define T0 1800000000000LL

static char tmpdir[128];

/* ============================================================ the receiver */

enum { RX_OK, RX_500, RX_THROTTLE };

static struct rx {
    pthread_mutex_t mu;
    struct MHD_Daemon *d;
    unsigned short port;
    int mode;
    int64_t expect_now; /* the pass's time: DingTalk timestamps must be within 1 h */
    int requests, sign_bad, sign_checked;
    char *bodies[64];
    char paths[64][64];
} rx = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void rx_clear(void)
{
    pthread_mutex_lock(&rx.mu);
    for (int i = 0; i < 64; i++) {
        free(rx.bodies[i]);
        rx.bodies[i] = NULL;
    }
    rx.requests = rx.sign_bad = rx.sign_checked = 0;
    rx.mode = RX_OK;
    pthread_mutex_unlock(&rx.mu);
}

/* The signature as DingTalk checks it, written here independently of
 * src/notify/sign.c: Base64(HMAC-SHA256(secret, ts "\n" secret)), compared
 * with the URL-decoded sign parameter. */
static bool sign_ok(const char *ts, const char *sign)
{
    if (!ts || !sign) return false;
    long long t = atoll(ts);
    if (llabs(t - rx.expect_now) > 3600000LL) return false;
    char msg[256];
    snprintf(msg, sizeof msg, "%s\n%s", ts, SECRET);
    crypto_auth_hmacsha256_state st;
    unsigned char mac[32];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, mac);
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, mac, 32, sodium_base64_VARIANT_ORIGINAL);
    return strcmp(b64, sign) == 0;
}

typedef struct upload {
    char *p;
    size_t n;
} upload;

static enum MHD_Result on_req(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)method;
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof *u);
        return *con_cls ? MHD_YES : MHD_NO;
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
    const char *reply = "{\"errcode\":0,\"errmsg\":\"ok\"}";
    unsigned status = 200;
    pthread_mutex_lock(&rx.mu);
    if (strstr(url, "/robot/send")) {
        rx.sign_checked++;
        if (!sign_ok(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timestamp"),
                     MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sign")))
            rx.sign_bad++;
    }
    if (rx.requests < 64) {
        rx.bodies[rx.requests] = u->p ? strdup(u->p) : strdup("");
        snprintf(rx.paths[rx.requests], sizeof rx.paths[0], "%s", url);
    }
    rx.requests++;
    if (rx.mode == RX_500) {
        status = 500;
        reply = "oops";
    } else if (rx.mode == RX_THROTTLE) {
        /* A reply that quotes the credentials: they must not reach last_error. */
        reply = "{\"errcode\":130101,\"errmsg\":\"send too fast, exceed 20 times per minute "
                "token=" TOKEN " secret=" SECRET "\"}";
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
        free(u->p);
        free(u);
    }
    *con_cls = NULL;
}

static int rx_start(void)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rx.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_req, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                            NULL, MHD_OPTION_END);
    if (!rx.d) return -1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(rx.d, MHD_DAEMON_INFO_BIND_PORT);
    rx.port = di ? di->port : 0;
    return rx.port ? 0 : -1;
}

/* The real libcurl path, counted. */
static int http_calls;
static ws_err counting_post(void *arg, const notify_http_req *rq, long *status, buf *reply)
{
    http_calls++;
    return notify_http_curl(arg, rq, status, reply);
}
static const notify_http HTTP = {counting_post, NULL, 3000, NULL};

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
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "outbox", f->n)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    if (store_acquire(tc.s, &tc.c)) return -1;
    rx_clear();
    http_calls = 0;
    *state = &tc;
    return 0;
}

static int db_teardown(void **state)
{
    tctx *t = *state;
    if (t->c) store_release(t->c);
    testdb_close(&t->db);
    *state = t->f;
    return 0;
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

static int64_t add_dingtalk(store_conn *c, int rate)
{
    char url[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/robot/send?access_token=%s", rx.port, TOKEN);
    int64_t id = 0;
    assert_int_equal(notify_channel_add(c, "dingtalk", "plant-robot", url, SECRET, rate, T0, &id), WS_OK);
    return id;
}

static int64_t enqueue(store_conn *c, int64_t ch, notify_level lv, const char *title, const char *mention,
                       int64_t now)
{
    int64_t id = 0;
    const char *m[1] = {mention};
    assert_int_equal(notify_enqueue(c, ch, lv, title, "**GT-101** 30 %LEL，请立即处置", m, mention ? 1 : 0, now, &id),
                     WS_OK);
    return id;
}

static int pass(store_conn *c, int64_t now)
{
    notify_pass_stats ps;
    rx.expect_now = now;
    int before = http_calls;
    assert_int_equal(notify_send_due(c, now, &HTTP, &ps), WS_OK);
    assert_int_equal(ps.requests, http_calls - before);
    return http_calls - before;
}

static notify_row get(store_conn *c, int64_t id)
{
    notify_row r;
    assert_int_equal(notify_get(c, id, &r), WS_OK);
    return r;
}

/* ============================================================ tests */

/* 30 notices and one emergency in one pass: the emergency alone in the first
 * request, the 30 in one digest, far fewer requests than the rate. */
static void test_burst_digest_emergency_first(void **state)
{
    tctx *t = *state;
    int64_t ch = add_dingtalk(t->c, 18);
    int64_t ids[30], em = 0;
    for (int i = 0; i < 30; i++) {
        char title[64];
        snprintf(title, sizeof title, "GT-%03d 可燃气体预警", i);
        ids[i] = enqueue(t->c, ch, i % 3 ? NOTIFY_NOTICE : NOTIFY_ALARM, title, i == 4 ? "13900002222" : NULL, T0);
        if (i == 14) em = enqueue(t->c, ch, NOTIFY_EMERGENCY, "GT-777 二级报警", "13800001111", T0);
    }
    int n = pass(t->c, T0);
    assert_true(n <= 18);
    assert_int_equal(n, 2);
    assert_int_equal(rx.requests, 2);
    assert_int_equal(rx.sign_checked, 2);
    assert_int_equal(rx.sign_bad, 0);

    /* First request: the emergency, alone, with its mention in at and text. */
    json_error_t je;
    json_t *b0 = json_loads(rx.bodies[0], 0, &je);
    assert_non_null(b0);
    assert_string_equal(json_string_value(json_object_get(b0, "msgtype")), "markdown");
    const char *text = json_string_value(json_object_get(json_object_get(b0, "markdown"), "text"));
    assert_non_null(strstr(text, "【紧急】GT-777"));
    assert_null(strstr(text, "GT-000"));
    assert_non_null(strstr(text, "@13800001111"));
    json_t *atm = json_object_get(json_object_get(b0, "at"), "atMobiles");
    assert_int_equal(json_array_size(atm), 1);
    assert_string_equal(json_string_value(json_array_get(atm, 0)), "13800001111");
    json_decref(b0);

    /* Second: one digest holding all 30, its level the highest, mentions kept. */
    json_t *b1 = json_loads(rx.bodies[1], 0, &je);
    assert_non_null(b1);
    text = json_string_value(json_object_get(json_object_get(b1, "markdown"), "text"));
    assert_non_null(strstr(text, "30 条消息汇总"));
    assert_non_null(strstr(text, "【报警】30"));
    for (int i = 0; i < 30; i++) {
        char title[64];
        snprintf(title, sizeof title, "GT-%03d ", i);
        assert_non_null(strstr(text, title));
    }
    assert_non_null(strstr(text, "@13900002222"));
    assert_null(strstr(text, "GT-777"));
    json_decref(b1);

    notify_row e = get(t->c, em);
    assert_string_equal(e.state, "sent");
    assert_int_equal(e.sent_at, T0);
    notify_row_free(&e);
    notify_row r0 = get(t->c, ids[0]);
    assert_string_equal(r0.state, "merged");
    int64_t digest = r0.merged_into;
    assert_true(digest > 0);
    notify_row_free(&r0);
    for (int i = 1; i < 30; i++) {
        notify_row r = get(t->c, ids[i]);
        assert_string_equal(r.state, "merged");
        assert_int_equal(r.merged_into, digest);
        notify_row_free(&r);
    }
    notify_row d = get(t->c, digest);
    assert_string_equal(d.state, "sent");
    assert_int_equal(d.items, 30);
    notify_row_free(&d);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_outbox WHERE state = 'pending'"), 0);

    /* Nothing due: a second pass sends nothing. */
    assert_int_equal(pass(t->c, T0 + 1), 0);
}

/* The bucket: a burst of NOTIFY_BURST, then `rate` a minute; in any minute
 * at most rate + burst requests; emergencies are never merged. */
static void test_rate_limit(void **state)
{
    tctx *t = *state;
    int64_t ch = add_dingtalk(t->c, 6);
    for (int i = 0; i < 20; i++) {
        char title[32];
        snprintf(title, sizeof title, "E-%d", i);
        enqueue(t->c, ch, NOTIFY_EMERGENCY, title, NULL, T0);
    }
    assert_int_equal(pass(t->c, T0), NOTIFY_BURST);
    assert_int_equal(pass(t->c, T0 + 9999), 0);
    assert_int_equal(pass(t->c, T0 + 10000), 1); /* 6 a minute: one per 10 s */
    int total = NOTIFY_BURST + 1;
    for (int64_t s = 11; s < 60; s++) total += pass(t->c, T0 + s * 1000);
    assert_true(total <= 6 + NOTIFY_BURST);
    assert_int_equal(total, NOTIFY_BURST + 5); /* burst, then t = 10, 20, 30, 40, 50 s */
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_outbox WHERE state = 'merged'"), 0);
    assert_int_equal(rx.sign_bad, 0);
    /* Emergencies go in the order they were raised. */
    assert_non_null(strstr(rx.bodies[0], "E-0"));
    assert_non_null(strstr(rx.bodies[1], "E-1"));
}

/* A receiver answering 500: retried at +1 s, +2 s, +4 s … capped at 10 min,
 * the error recorded; delivered once it answers again. */
static void test_retry_backoff(void **state)
{
    tctx *t = *state;
    int64_t ch = add_dingtalk(t->c, 600);
    int64_t id = enqueue(t->c, ch, NOTIFY_ALARM, "PT-201 高压报警", NULL, T0);
    rx.mode = RX_500;
    int64_t now = T0;
    for (int k = 1; k <= 12; k++) {
        assert_int_equal(pass(t->c, now), 1);
        notify_row r = get(t->c, id);
        int64_t want = 1000LL << (k - 1);
        if (want > NOTIFY_BACKOFF_MAX_MS) want = NOTIFY_BACKOFF_MAX_MS;
        assert_int_equal(r.attempts, k);
        assert_string_equal(r.state, "pending");
        assert_int_equal(r.next_attempt_at - now, want);
        assert_string_equal(r.last_error, "HTTP 500");
        /* not before its time */
        assert_int_equal(pass(t->c, r.next_attempt_at - 1), 0);
        now = r.next_attempt_at;
        notify_row_free(&r);
    }
    rx.mode = RX_OK;
    assert_int_equal(pass(t->c, now), 1);
    notify_row r = get(t->c, id);
    assert_string_equal(r.state, "sent");
    assert_int_equal(r.attempts, 13);
    assert_string_equal(r.last_error, "");
    notify_row_free(&r);
    assert_int_equal(rx.sign_bad, 0);
}

/* errcode 130101: the robot is paused for at least a minute (emergencies
 * too: DingTalk would refuse them), the error recorded without the secret or
 * the access token, in the row and in the log. */
static void test_throttled(void **state)
{
    tctx *t = *state;
    int64_t ch = add_dingtalk(t->c, 18);
    int64_t a = enqueue(t->c, ch, NOTIFY_ALARM, "LT-301 液位报警", NULL, T0);
    rx.mode = RX_THROTTLE;

    char logpath[300];
    snprintf(logpath, sizeof logpath, "%s/log.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2), fd = open(logpath, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    assert_int_equal(pass(t->c, T0), 1);
    int64_t e = enqueue(t->c, ch, NOTIFY_EMERGENCY, "GT-900 二级报警", NULL, T0 + 1000);
    assert_int_equal(pass(t->c, T0 + 1000), 0);
    assert_int_equal(pass(t->c, T0 + 59999), 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);

    notify_row r = get(t->c, a);
    assert_string_equal(r.state, "pending");
    assert_true(r.next_attempt_at - T0 >= 60000);
    assert_non_null(strstr(r.last_error, "130101"));
    assert_null(strstr(r.last_error, SECRET));
    assert_null(strstr(r.last_error, TOKEN));
    notify_row_free(&r);

    char log[8192] = "";
    FILE *lf = fopen(logpath, "r");
    assert_non_null(lf);
    size_t ln = fread(log, 1, sizeof log - 1, lf);
    fclose(lf);
    log[ln] = '\0';
    assert_non_null(strstr(log, "notify: send failed"));
    assert_non_null(strstr(log, "130101"));
    assert_null(strstr(log, SECRET));
    assert_null(strstr(log, TOKEN));

    rx.mode = RX_OK;
    assert_int_equal(pass(t->c, T0 + 60000), 2);
    assert_non_null(strstr(rx.bodies[1], "GT-900")); /* the emergency first */
    assert_non_null(strstr(rx.bodies[2], "LT-301"));
    r = get(t->c, e);
    assert_string_equal(r.state, "sent");
    notify_row_free(&r);
    assert_int_equal(rx.sign_bad, 0);
}

/* WeCom and webhook bodies; userids as <@id> in markdown, mobiles through a
 * text message's mentioned_mobile_list. */
static void test_wecom_and_webhook(void **state)
{
    tctx *t = *state;
    char url[200];
    int64_t wc = 0, wh = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/cgi-bin/webhook/send?key=%s", rx.port, TOKEN);
    assert_int_equal(notify_channel_add(t->c, "wecom", "wecom-robot", url, NULL, 0, T0, &wc), WS_OK);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", rx.port);
    assert_int_equal(notify_channel_add(t->c, "webhook", "sms-gateway", url, NULL, 0, T0, &wh), WS_OK);
    enqueue(t->c, wc, NOTIFY_EMERGENCY, "A 紧急", "zhangsan", T0);
    enqueue(t->c, wc, NOTIFY_EMERGENCY, "B 紧急", "13800001111", T0);
    enqueue(t->c, wh, NOTIFY_ALARM, "C 报警", "13800001111", T0);
    assert_int_equal(pass(t->c, T0), 3);
    json_error_t je;
    json_t *a = json_loads(rx.bodies[0], 0, &je), *b = json_loads(rx.bodies[1], 0, &je),
           *c = json_loads(rx.bodies[2], 0, &je);
    assert_true(a && b && c);
    assert_string_equal(json_string_value(json_object_get(a, "msgtype")), "markdown");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "markdown"), "content")),
                           "<@zhangsan>"));
    assert_string_equal(json_string_value(json_object_get(b, "msgtype")), "text");
    json_t *mm = json_object_get(json_object_get(b, "text"), "mentioned_mobile_list");
    assert_string_equal(json_string_value(json_array_get(mm, 0)), "13800001111");
    assert_string_equal(json_string_value(json_object_get(c, "level")), "alarm");
    assert_string_equal(json_string_value(json_object_get(c, "title")), "C 报警");
    json_decref(a);
    json_decref(b);
    json_decref(c);
    assert_null(strstr(rx.paths[0], "sign"));
}

/* notify_enqueue joins the caller's transaction: rolled back with it. */
static void test_enqueue_in_caller_tx(void **state)
{
    tctx *t = *state;
    int64_t ch = add_dingtalk(t->c, 18);
    assert_int_equal(store_begin(t->c), WS_OK);
    enqueue(t->c, ch, NOTIFY_ALARM, "rolled back", NULL, T0);
    store_rollback(t->c);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_outbox"), 0);
    assert_int_equal(store_begin(t->c), WS_OK);
    enqueue(t->c, ch, NOTIFY_ALARM, "committed", NULL, T0);
    assert_int_equal(store_commit(t->c), WS_OK);
    assert_int_equal(count_sql(t->c, "SELECT count(*) FROM notify_outbox"), 1);
    const char *bad[1] = {"13800001111,x"};
    assert_int_equal(notify_enqueue(t->c, ch, NOTIFY_ALARM, "t", "b", bad, 1, T0, NULL), WS_EINVAL);
    assert_int_equal(notify_enqueue(t->c, ch, NOTIFY_ALARM, "", "b", NULL, 0, T0, NULL), WS_EINVAL);
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_outbox_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (sodium_init() < 0 || rx_start()) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_burst_digest_emergency_first),
        DB_TEST(test_rate_limit),
        DB_TEST(test_retry_backoff),
        DB_TEST(test_throttled),
        DB_TEST(test_wecom_and_webhook),
        DB_TEST(test_enqueue_in_caller_tx),
    };
    int failed = cmocka_run_group_tests_name("outbox_sqlite", db, setup_sqlite, NULL);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("outbox_postgres", db, setup_pg, NULL);
    } else {
        fprintf(stderr, "outbox_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    MHD_stop_daemon(rx.d);
    rx_clear();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
