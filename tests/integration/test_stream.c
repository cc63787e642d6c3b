/* test_stream.c — the live alarm stream (GET /api/v1/alarms/stream) end to
 * end: frames reach streams on the plain listener through the stream
 * writers (direct writes) and over HTTPS through libmicrohttpd; a stream
 * whose reader stops reading is handed back to libmicrohttpd when its socket
 * is full and later gets every frame, whole and in order; a client that
 * hangs up is noticed; shutdown ends every stream. Raw sockets, so the
 * bytes on the wire are what is checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "integration/common.h"

#define NPOINTS 40

typedef struct T {
    ws_server s;
    char tok[65];
    long long area;
    long long first_point; /* ST-000 */
    int tls_port;
} T;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A value of /metrics (the first line starting with name and a space). */
static double metric(T *t, const char *name)
{
    char *raw = NULL;
    assert_int_equal(ws_http(&t->s, "GET", "/metrics", NULL, NULL, 0, NULL, NULL, &raw), 200);
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    char *p = strstr(raw, key);
    if (!p) fail_msg("no %s in /metrics", name);
    double v = strtod(p + strlen(key), NULL);
    free(raw);
    return v;
}

/* ---- a raw stream client -------------------------------------------------- */

typedef struct stream {
    int fd;
    char *buf; /* everything read, NUL-terminated */
    size_t len, cap;
    bool eof;
} stream;

/* Connect and ask for the stream at path; rcvbuf > 0 shrinks the socket's
 * receive buffer first (so the server's sends fill it soon). */
static void stream_open(T *t, stream *st, const char *path, int rcvbuf)
{
    memset(st, 0, sizeof *st);
    st->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(st->fd >= 0);
    if (rcvbuf > 0) assert_int_equal(setsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->s.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(st->fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Accept: text/event-stream\r\n\r\n",
                     path, t->tok);
    assert_int_equal(write(st->fd, req, (size_t)n), n);
    st->cap = 1 << 16;
    st->buf = malloc(st->cap);
    assert_non_null(st->buf);
    st->buf[0] = 0;
}

/* Read what is there, waiting at most wait_ms for the first bytes. */
static void stream_pump(stream *st, int wait_ms)
{
    struct pollfd p = {.fd = st->fd, .events = POLLIN};
    while (!st->eof && poll(&p, 1, wait_ms) > 0) {
        if (st->len + 4096 + 1 > st->cap) {
            st->cap *= 2;
            st->buf = realloc(st->buf, st->cap);
            assert_non_null(st->buf);
        }
        ssize_t k = read(st->fd, st->buf + st->len, 4096);
        if (k <= 0) {
            st->eof = true;
            break;
        }
        st->len += (size_t)k;
        st->buf[st->len] = 0;
        wait_ms = 0;
    }
}

/* Read until needle appears (after the headers) or ms pass. */
static bool stream_wait(stream *st, const char *needle, int ms)
{
    long long until = mono_ms() + ms;
    for (;;) {
        const char *body = strstr(st->buf, "\r\n\r\n");
        if (body && strstr(body, needle)) return true;
        if (st->eof || mono_ms() > until) return false;
        stream_pump(st, 50);
    }
}

/* Read until the server closes the stream or ms pass: a stream with frames
 * still queued may take more than one pump to reach its end. */
static bool stream_wait_eof(stream *st, int ms)
{
    for (long long until = mono_ms() + ms; !st->eof && mono_ms() < until;) stream_pump(st, 50);
    return st->eof;
}

/* Hang up (ends: buf stays for frames()); free. */
static void stream_hangup(stream *st)
{
    if (st->fd >= 0) close(st->fd);
    st->fd = -1;
}

static void stream_close(stream *st)
{
    stream_hangup(st);
    free(st->buf);
    st->buf = NULL;
}

/* The ids of the alarm frames in st's body, checking that every frame is
 * whole ("event: alarm\nid: N\ndata: {json}\n\n" with JSON that parses) and
 * that ids rise. Returns the count; ids (cap) gets them. */
static int frames(const stream *st, unsigned long long *ids, int cap)
{
    const char *p = strstr(st->buf, "\r\n\r\n");
    assert_non_null(p);
    p += 4;
    int n = 0;
    unsigned long long last = 0;
    while (*p) {
        const char *end = strstr(p, "\n\n");
        if (!end) break; /* a frame still on its way */
        if (!strncmp(p, "event: alarm\nid: ", 17)) {
            char *q;
            unsigned long long id = strtoull(p + 17, &q, 10);
            if (strncmp(q, "\ndata: ", 7)) fail_msg("a frame without data: %.80s", p);
            json_error_t e;
            json_t *j = json_loadb(q + 7, (size_t)(end - (q + 7)), 0, &e);
            if (!j) fail_msg("a frame's data is not JSON (%s): %.200s", e.text, q + 7);
            json_decref(j);
            if (id <= last) fail_msg("ids out of order: %llu after %llu", id, last);
            last = id;
            if (n < cap) ids[n] = id;
            n++;
        } else if (strncmp(p, "retry: ", 7) && strncmp(p, ": ping", 6)) {
            fail_msg("an unexpected frame: %.80s", p);
        }
        p = end + 2;
    }
    return n;
}

/* ---- setup ------------------------------------------------------------------ */

static char tls_arg[64];

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    t->tls_port = ws_free_port();
    snprintf(tls_arg, sizeof tls_arg, "127.0.0.1:%d", t->tls_port);
    ws_serve_extra[0] = "--listen-tls";
    ws_serve_extra[1] = tls_arg;
    const char *extra[] = {"--org-kind", "enterprise", "--org-name", "流化工", NULL};
    if (ws_server_start(&t->s, "sqlite", extra) != 0) return -1;
    if (ws_login(&t->s, "admin", WS_ADMIN_PW, t->tok) != 200) return -1;
    json_t *r = NULL;
    if (ws_req(&t->s, "GET", "/api/v1/me", t->tok, NULL, &r) != 200) return -1;
    long long ent = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[256];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"RX\",\"name\":\"反应区\"}", ent);
    t->area = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    for (int i = 0; i < NPOINTS; i++) {
        snprintf(b, sizeof b,
                 "{\"unit_id\":%lld,\"tag\":\"ST-%03d\",\"name\":\"可燃气体 %d\",\"kind\":\"combustible\"}",
                 t->area, i, i);
        long long id = ws_post_id(&t->s, t->tok, "/api/v1/points", b);
        if (i == 0) t->first_point = id;
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    ws_server_destroy(&t->s);
    free(t);
    return 0;
}

/* Every point up to v at time ms (one batch). */
static void all_points(T *t, double v, long long ms)
{
    char b[NPOINTS * 48];
    size_t n = 0;
    for (int i = 0; i < NPOINTS; i++) n += (size_t)snprintf(b + n, sizeof b - n, "ST-%03d %g %lld\n", i, v, ms);
    assert_int_equal(ws_http(&t->s, "POST", "/api/v1/ingest", t->tok, b, n, "text/plain", NULL, NULL), 200);
}

/* ---- HTTPS: through libmicrohttpd --------------------------------------------- */

typedef struct tls_reader {
    T *t;
    char got[1 << 17]; /* curl hands over up to 16 KiB a call */
    size_t len;
    _Atomic bool open, seen, done;
    long status;
} tls_reader;

/* Keeps the last bytes only: enough to find a frame across two calls. */
static size_t tls_body(char *d, size_t sz, size_t nm, void *u)
{
    tls_reader *r = u;
    size_t n = sz * nm;
    if (n >= sizeof r->got / 2) return 0;
    if (r->len + n >= sizeof r->got) {
        size_t keep = sizeof r->got / 4;
        memmove(r->got, r->got + r->len - keep, keep);
        r->len = keep;
    }
    memcpy(r->got + r->len, d, n);
    r->len += n;
    r->got[r->len] = 0;
    if (strstr(r->got, "retry: 3000")) atomic_store(&r->open, true);
    if (strstr(r->got, "\"tag\":\"ST-039\"")) {
        atomic_store(&r->seen, true);
        return 0; /* hang up */
    }
    return n;
}

static void *tls_main(void *arg)
{
    tls_reader *r = arg;
    char url[128], cert[400], auth[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/api/v1/alarms/stream", r->t->tls_port);
    snprintf(cert, sizeof cert, "%s/tls/cert.pem", r->t->s.dir);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", r->t->tok);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, auth);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, cert);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tls_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    atomic_store(&r->done, true);
    return NULL;
}

/* ---- the test ------------------------------------------------------------------- */

static void streams_end_to_end(void **state)
{
    T *t = *state;
    stream a, b, c, v;
    const char *alarms = "/api/v1/alarms/stream";
    stream_open(t, &a, alarms, 0);    /* reads all the time */
    stream_open(t, &b, alarms, 2048); /* stops reading: its socket fills */
    stream_open(t, &c, alarms, 0);    /* hangs up */
    char vpath[96];
    snprintf(vpath, sizeof vpath, "/api/v1/points/stream?ids=%lld", t->first_point);
    stream_open(t, &v, vpath, 0); /* ST-000's values */
    assert_true(stream_wait(&v, "retry: 3000", 5000));
    assert_true(stream_wait(&a, "retry: 3000", 5000));
    assert_true(stream_wait(&b, "retry: 3000", 5000));
    assert_true(stream_wait(&c, "retry: 3000", 5000));
    /* A plain byte stream that ends by closing: what direct writes need. */
    assert_non_null(strstr(a.buf, "HTTP/1.1 200"));
    assert_non_null(strstr(a.buf, "text/event-stream"));
    assert_null(strstr(a.buf, "chunked"));
    assert_int_equal((int)metric(t, "http_streams_open"), 4);

    tls_reader tr = {.t = t};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, tls_main, &tr), 0);
    for (long long until = mono_ms() + 10000; !atomic_load(&tr.open) && mono_ms() < until;) usleep(20000);
    assert_true(atomic_load(&tr.open));
    assert_int_equal((int)metric(t, "http_streams_open"), 5);

    /* One raise reaches every stream; the plain ones through the writers. */
    double sends0 = metric(t, "http_stream_direct_sends_total");
    long long ms = now_ms() - 600000;
    char one[64];
    snprintf(one, sizeof one, "ST-000 60 %lld\n", ms);
    assert_int_equal(ws_http(&t->s, "POST", "/api/v1/ingest", t->tok, one, strlen(one), "text/plain", NULL, NULL), 200);
    assert_true(stream_wait(&a, "\"tag\":\"ST-000\"", 5000));
    assert_true(stream_wait(&c, "\"tag\":\"ST-000\"", 5000));
    char want[64];
    snprintf(want, sizeof want, "event: value\nid: ");
    assert_true(stream_wait(&v, want, 5000)); /* the value stream too */
    snprintf(want, sizeof want, "\"point_id\":%lld,", t->first_point);
    assert_true(stream_wait(&v, want, 5000));
    assert_true(metric(t, "http_stream_direct_sends_total") >= sends0 + 3);
    double hung0 = metric(t, "http_streams_hung_up_total"); /* before v goes */
    stream_close(&v);

    /* v closed, c hangs up: with nothing sent to them, the server notices
     * within a few seconds (each second it polls parked streams' sockets),
     * not at the next 15-s ping, and lets both connections go. */
    stream_hangup(&c);
    long long gone_by = mono_ms() + 5000;
    while (metric(t, "http_streams_open") > 3 && mono_ms() < gone_by) usleep(100000);
    assert_int_equal((int)metric(t, "http_streams_open"), 3);
    assert_true(metric(t, "http_streams_hung_up_total") >= hung0 + 2);
    double handbacks0 = metric(t, "http_stream_handbacks_total");

    /* A flood: every point up and down, 30 times. b does not read. */
    for (int round = 0; round < 30; round++) {
        ms += 2000;
        all_points(t, 60, ms);
        ms += 2000;
        all_points(t, 0, ms);
        stream_pump(&a, 0);
    }
    /* A last raise marks the flood's end: frames come in id order, so a has
     * every frame of the flood once it has this one. (A pause of 300 ms in
     * the frames had been taken for the end, and on a loaded machine it was
     * not.) */
    ms += 2000;
    snprintf(one, sizeof one, "ST-000 87.5 %lld\n", ms);
    assert_int_equal(ws_http(&t->s, "POST", "/api/v1/ingest", t->tok, one, strlen(one), "text/plain", NULL, NULL), 200);
    assert_true(stream_wait(&a, "\"value\":87.5", 30000));
    static unsigned long long ida[20000], idb[20000];
    int na = frames(&a, ida, 20000);
    assert_true(na > 2 * 30 * NPOINTS);
    assert_true(na <= 20000);

    /* b was handed back to libmicrohttpd when its socket filled; now it
     * reads, and gets the same frames, whole and in order. */
    assert_true(metric(t, "http_stream_handbacks_total") > handbacks0);
    /* On a loaded machine a stream handed back drains at the pace of the
     * server's event loop, not of the socket: wait as long as it moves. */
    int nb = 0;
    for (long long still = mono_ms() + 15000; mono_ms() < still;) {
        stream_pump(&b, 200);
        int k = frames(&b, idb, 20000);
        if (k > nb) still = mono_ms() + 15000;
        nb = k;
        if (nb >= na) break;
    }
    if (nb < na) fprintf(stderr, "b stopped at %d frames of a's %d (eof %d)\n", nb, na, (int)b.eof);
    assert_true(nb >= na); /* b may have frames a had not yet read */
    assert_memory_equal(ida, idb, (size_t)na * sizeof ida[0]);

    /* The HTTPS stream got the flood too; it hangs up at ST-039. */
    pthread_join(th, NULL);
    assert_int_equal(tr.status, 200);
    assert_true(atomic_load(&tr.seen));

    /* The HTTPS stream, hung up at ST-039, is let go too (by the poll, or
     * when a frame meets it closed). */
    for (long long until = mono_ms() + 10000; metric(t, "http_streams_open") > 2 && mono_ms() < until;) {
        ms += 1000;
        snprintf(one, sizeof one, "ST-000 %d %lld\nST-001 %d %lld\n", (int)(ms / 1000 % 2) * 60, ms,
                 (int)(ms / 1000 % 2) * 60, ms);
        ws_http(&t->s, "POST", "/api/v1/ingest", t->tok, one, strlen(one), "text/plain", NULL, NULL);
        stream_pump(&a, 0);
        stream_pump(&b, 0);
        usleep(50000);
    }
    assert_int_equal((int)metric(t, "http_streams_open"), 2);

    /* Shutdown ends the open streams and exits cleanly. */
    assert_int_equal(ws_server_stop(&t->s), 0);
    assert_true(stream_wait_eof(&a, 5000));
    assert_true(stream_wait_eof(&b, 5000));
    stream_close(&a);
    stream_close(&b);
    stream_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(streams_end_to_end),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
