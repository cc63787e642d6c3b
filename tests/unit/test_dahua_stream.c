/* test_dahua_stream.c — the Dahua event stream client (src/ingest/
 * dahua_stream.c) against a fake Dahua device written here: a loopback
 * socket server thread that answers the first request with a digest
 * challenge (401, qop=auth), checks the Authorization's response field by
 * computing MD5(HA1:nonce:nc:cnonce:qop:HA2) itself (the MD5 digest recipe
 * is first checked on RFC 2617's worked example), and then streams
 * hand-written multipart parts (heartbeats, events, a malformed block).
 *
 * Scenario: stream 1 sends events and drops the connection -> the client
 * reconnects; stream 2 (another boundary, quoted) sends an event and then
 * goes quiet while holding the connection -> the client notices (dead_ms)
 * and reconnects; stream 3 heartbeats until the client is stopped, which
 * must be prompt. A wrong password gets only 401s: counted, no events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "ingest/dahua_stream.h"

#define NM(a) (sizeof(a) / sizeof((a)[0]))

static const char REALM[] = "Login to 4L0A1B2CPAZ", NONCE[] = "2114757925a0b7b6c31d", USER[] = "admin",
                  PASS[] = "S3cret;pass";

/* ================================================================ digest */

static void md5_hex(const char *s, char out[33])
{
    unsigned char d[16];
    gnutls_hash_fast(GNUTLS_DIG_MD5, s, strlen(s), d);
    for (int i = 0; i < 16; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

/* RFC 2617 / 7616 digest with qop=auth, computed by hand from its parts. */
static void digest_response(const char *user, const char *realm, const char *pass, const char *method,
                            const char *uri, const char *nonce, const char *nc, const char *cnonce, char out[33])
{
    char b[1024], ha1[33], ha2[33];
    snprintf(b, sizeof b, "%s:%s:%s", user, realm, pass);
    md5_hex(b, ha1);
    snprintf(b, sizeof b, "%s:%s", method, uri);
    md5_hex(b, ha2);
    snprintf(b, sizeof b, "%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
    md5_hex(b, out);
}

/* value of key in a Digest Authorization header (quoted or not) */
static bool auth_param(const char *h, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = h; (p = strstr(p, key)); p += kl) {
        if (p > h && p[-1] != ' ' && p[-1] != ',') continue;
        if (p[kl] != '=') continue;
        const char *v = p + kl + 1;
        bool q = *v == '"';
        if (q) v++;
        size_t n = 0;
        while (v[n] && n + 1 < cap && (q ? v[n] != '"' : (v[n] != ',' && v[n] != '\r'))) n++;
        memcpy(out, v, n);
        out[n] = 0;
        return true;
    }
    return false;
}

/* ========================================================= fake device */

typedef struct dev {
    int lfd, port;
    pthread_t th;
    atomic_bool stop;
    atomic_int challenges, good_auth, bad_auth, streams;
    char uri[256];        /* the request target of the last request */
    char cnonce[64];
    bool uri_ok;          /* every Authorization's uri was the request target */
} dev;

static bool send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0) return false;
        s += k, n -= (size_t)k;
    }
    return true;
}

static bool send_str(int fd, const char *s) { return send_all(fd, s, strlen(s)); }

static bool send_part(int fd, const char *boundary, const char *block)
{
    char b[2048];
    int n = snprintf(b, sizeof b, "--%s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s\r\n\r\n", boundary,
                     strlen(block), block);
    return send_all(fd, b, (size_t)n);
}

/* Sleep ms unless stopping; false when stopping. */
static bool nap(dev *d, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (atomic_load(&d->stop)) return false;
        usleep(10000);
    }
    return !atomic_load(&d->stop);
}

static void stream(dev *d, int fd, int which)
{
    if (which == 1) {
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n"
                     "Connection: close\r\n\r\n");
        send_part(fd, "myboundary", "Heartbeat");
        send_part(fd, "myboundary",
                  "Code=CrossRegionDetection;action=Start;index=0;data={\n   \"Name\":\"north fence\",\"RuleID\":3,"
                  "\"EventID\":101,\"Action\":\"Appear\",\n   \"Object\":{\"ObjectType\":\"Human\",\"ObjectID\":99,"
                  "\"BoundingBox\":[10,20,4000,8191]}\n}");
        send_part(fd, "myboundary", "Code=SmokingDetection;action=Pulse;index=2;data={\"Name\":\"a=b;c\",\"EventID\":102}");
        send_part(fd, "myboundary", "Code=VideoMotion;action=Launch;index=0"); /* malformed: counted, skipped */
        nap(d, 50);
        /* then the camera drops the connection */
    } else if (which == 2) {
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=\"evt-2\"\r\n"
                     "Connection: close\r\n\r\n");
        send_part(fd, "evt-2", "Heartbeat");
        send_part(fd, "evt-2", "Code=FireWarning;action=Start;index=1;data={\"Name\":\"tank 3\",\"EventID\":201}");
        /* then it goes quiet, holding the connection until the client gives up */
        char c;
        while (nap(d, 20) && recv(fd, &c, 1, MSG_DONTWAIT) != 0) {
        }
    } else {
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n"
                     "Connection: close\r\n\r\n");
        while (send_part(fd, "myboundary", "Heartbeat") && nap(d, 100)) {
        }
    }
}

static void serve_conn(dev *d, int fd)
{
    char req[8192];
    size_t len = 0;
    while (!atomic_load(&d->stop)) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 20) <= 0) continue;
        ssize_t k = recv(fd, req + len, sizeof req - 1 - len, 0);
        if (k <= 0) return;
        len += (size_t)k;
        req[len] = 0;
        char *end = strstr(req, "\r\n\r\n");
        if (!end) continue;
        /* one request: GET <target> HTTP/1.1 */
        char target[256] = "";
        sscanf(req, "GET %255s HTTP/1.1", target);
        snprintf(d->uri, sizeof d->uri, "%s", target);
        char *auth = strcasestr(req, "\r\nAuthorization: Digest ");
        bool ok = false;
        if (auth) {
            char h[2048];
            size_t hn = strcspn(auth + 2, "\r");
            snprintf(h, sizeof h, "%.*s", (int)hn, auth + 2);
            char user[64] = "", realm[64] = "", nonce[64] = "", uri[256] = "", nc[16] = "", cnonce[64] = "",
                 qop[16] = "", resp[40] = "", want[33];
            auth_param(h, "username", user, sizeof user);
            auth_param(h, "realm", realm, sizeof realm);
            auth_param(h, "nonce", nonce, sizeof nonce);
            auth_param(h, "uri", uri, sizeof uri);
            auth_param(h, "nc", nc, sizeof nc);
            auth_param(h, "cnonce", cnonce, sizeof cnonce);
            auth_param(h, "qop", qop, sizeof qop);
            auth_param(h, "response", resp, sizeof resp);
            if (strcmp(uri, target)) d->uri_ok = false;
            snprintf(d->cnonce, sizeof d->cnonce, "%s", cnonce);
            digest_response(USER, REALM, PASS, "GET", uri, NONCE, nc, cnonce, want);
            ok = !strcmp(user, USER) && !strcmp(realm, REALM) && !strcmp(nonce, NONCE) && !strcmp(qop, "auth") &&
                 !strcmp(resp, want);
            atomic_fetch_add(ok ? &d->good_auth : &d->bad_auth, 1);
        }
        if (!ok) {
            atomic_fetch_add(&d->challenges, 1);
            char b[512];
            int n = snprintf(b, sizeof b,
                             "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"%s\", qop=\"auth\", "
                             "nonce=\"%s\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\nContent-Type: text/plain\r\n"
                             "Content-Length: 12\r\n\r\nUnauthorized",
                             REALM, NONCE);
            if (!send_all(fd, b, (size_t)n)) return;
            size_t used = (size_t)(end + 4 - req);
            memmove(req, req + used, len - used);
            len -= used;
            continue;
        }
        stream(d, fd, atomic_fetch_add(&d->streams, 1) + 1);
        return;
    }
}

static void *dev_main(void *arg)
{
    dev *d = arg;
    while (!atomic_load(&d->stop)) {
        struct pollfd pf = {.fd = d->lfd, .events = POLLIN};
        if (poll(&pf, 1, 20) <= 0) continue;
        int fd = accept(d->lfd, NULL, NULL);
        if (fd < 0) continue;
        serve_conn(d, fd);
        close(fd);
    }
    return NULL;
}

static void dev_start(dev *d)
{
    memset(d, 0, sizeof *d);
    d->uri_ok = true;
    d->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(d->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(d->lfd, 4), 0);
    socklen_t al = sizeof a;
    getsockname(d->lfd, (struct sockaddr *)&a, &al);
    d->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&d->th, NULL, dev_main, d), 0);
}

static void dev_stop(dev *d)
{
    atomic_store(&d->stop, true);
    pthread_join(d->th, NULL);
    close(d->lfd);
}

/* ============================================================ collector */

typedef struct got {
    pthread_mutex_t m;
    ws_camera_event ev[16];
    long event_id[16];
    size_t n;
} got;

static void on_ev(void *ud, const ws_camera_event *ev, json_t *data)
{
    got *g = ud;
    pthread_mutex_lock(&g->m);
    if (g->n < NM(g->ev)) {
        g->ev[g->n] = *ev;
        json_t *id = json_object_get(data, "EventID");
        g->event_id[g->n++] = json_is_integer(id) ? (long)json_integer_value(id) : -1;
    }
    pthread_mutex_unlock(&g->m);
}

static size_t got_n(got *g)
{
    pthread_mutex_lock(&g->m);
    size_t n = g->n;
    pthread_mutex_unlock(&g->m);
    return n;
}

/* ================================================================= tests */

static void digest_recipe_matches_rfc2617(void **state)
{
    (void)state;
    char r[33];
    /* RFC 2617 section 3.5 */
    digest_response("Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
                    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", r);
    assert_string_equal(r, "6629fae49393a05397450978507c4ef1");
}

static void stream_reconnects(void **state)
{
    (void)state;
    static dev d;
    dev_start(&d);
    static got g;
    memset(&g, 0, sizeof g);
    pthread_mutex_init(&g.m, NULL);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/", d.port);
    dahua_stream_opts o = {.base_url = base, .user = USER, .password = PASS, .heartbeat_s = 1, .dead_ms = 400,
                           .backoff_min_ms = 50, .backoff_max_ms = 200, .cb = on_ev, .ud = &g};
    dahua_stream *s = NULL;
    assert_int_equal(dahua_stream_start(&o, &s), WS_OK);

    dahua_stream_stats st;
    char err[160];
    for (int i = 0; i < 1000; i++) {
        dahua_stream_get_stats(s, &st, NULL, 0);
        if (st.streams >= 3 && st.parser.heartbeats >= 4) break;
        usleep(10000);
    }
    dahua_stream_get_stats(s, &st, err, sizeof err);
    if (st.streams < 3)
        fail_msg("streams %llu connects %llu drops %llu dead %llu http %llu auth %llu hb %llu: %s",
                 (unsigned long long)st.streams, (unsigned long long)st.connects, (unsigned long long)st.drops,
                 (unsigned long long)st.dead, (unsigned long long)st.http_errors, (unsigned long long)st.auth_failures,
                 (unsigned long long)st.parser.heartbeats, err);
    assert_true(st.connected);

    /* events of stream 1 and 2, heartbeats not passed on */
    assert_int_equal(got_n(&g), 3);
    assert_string_equal(g.ev[0].raw_type, "CrossRegionDetection");
    assert_int_equal(g.ev[0].violation, WS_VIOL_INTRUSION);
    assert_int_equal(g.ev[0].action, WS_CAM_START);
    assert_int_equal(g.ev[0].channel, 0);
    assert_string_equal(g.ev[0].rule, "north fence");
    assert_string_equal(g.ev[0].target, "Human");
    assert_int_equal(g.event_id[0], 101);
    assert_int_equal(g.ev[1].violation, WS_VIOL_SMOKING);
    assert_int_equal(g.ev[1].action, WS_CAM_PULSE);
    assert_int_equal(g.ev[1].channel, 2);
    assert_string_equal(g.ev[1].rule, "a=b;c");
    assert_string_equal(g.ev[2].raw_type, "FireWarning"); /* stream 2, boundary "evt-2" from its header */
    assert_int_equal(g.ev[2].violation, WS_VIOL_FIRE);
    assert_int_equal(g.event_id[2], 201);

    /* counters: drop of stream 1, the quiet stream 2 noticed, parser counts summed */
    assert_true(st.connects >= 3);
    assert_true(st.drops >= 2);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.auth_failures, 0);
    assert_int_equal(st.parser.malformed, 1);
    assert_true(st.parser.heartbeats >= 4); /* 1 + 1 + stream 3's */
    assert_int_equal(st.parser.events, 3 + st.parser.heartbeats);
    assert_true(st.last_event_ms > 0);

    /* the digest exchange: a challenge per connection, answers right, the uri as requested */
    assert_true(atomic_load(&d.challenges) >= 3);
    assert_int_equal(atomic_load(&d.good_auth), 3);
    assert_int_equal(atomic_load(&d.bad_auth), 0);
    assert_true(d.uri_ok);
    assert_string_equal(d.uri, "/cgi-bin/eventManager.cgi?action=attach&codes=%5BAll%5D&heartbeat=1");
    assert_true(d.cnonce[0]);

    /* stop is prompt although the stream is open and heartbeating */
    int64_t t = clock_mono_ms();
    dahua_stream_stop(s);
    int64_t took = clock_mono_ms() - t;
    if (took > 300) fail_msg("stop took %lld ms", (long long)took);
    dev_stop(&d);
}

static void wrong_password(void **state)
{
    (void)state;
    static dev d;
    dev_start(&d);
    static got g;
    memset(&g, 0, sizeof g);
    pthread_mutex_init(&g.m, NULL);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", d.port);
    dahua_stream_opts o = {.base_url = base, .user = USER, .password = "guess", .codes = "CrossLineDetection,FireWarning",
                           .backoff_min_ms = 20, .backoff_max_ms = 40, .cb = on_ev, .ud = &g};
    dahua_stream *s = NULL;
    assert_int_equal(dahua_stream_start(&o, &s), WS_OK);
    dahua_stream_stats st;
    char err[160];
    for (int i = 0; i < 500; i++) {
        dahua_stream_get_stats(s, &st, NULL, 0);
        if (st.auth_failures >= 2) break;
        usleep(10000);
    }
    dahua_stream_get_stats(s, &st, err, sizeof err);
    dahua_stream_stop(s);
    assert_true(st.auth_failures >= 2);
    assert_int_equal(st.streams, 0);
    assert_int_equal(got_n(&g), 0);
    assert_true(atomic_load(&d.bad_auth) >= 2);
    assert_int_equal(atomic_load(&d.good_auth), 0);
    assert_non_null(strstr(err, "401"));
    assert_null(strstr(err, "guess"));
    assert_string_equal(d.uri, "/cgi-bin/eventManager.cgi?action=attach&codes=%5BCrossLineDetection,FireWarning%5D&heartbeat=5");
    dev_stop(&d);

    /* nobody listening: connection errors, retried */
    o.base_url = base; /* the port is closed now */
    o.password = PASS;
    assert_int_equal(dahua_stream_start(&o, &s), WS_OK);
    for (int i = 0; i < 500; i++) {
        dahua_stream_get_stats(s, &st, NULL, 0);
        if (st.http_errors >= 2) break;
        usleep(10000);
    }
    dahua_stream_stop(s);
    assert_true(st.http_errors >= 2);
}

static void option_refusals(void **state)
{
    (void)state;
    static const struct { const char *url, *codes, *field; } bad[] = {
        {NULL, NULL, "base_url"},
        {"ftp://cam", NULL, "base_url"},
        {"http://admin:pw@cam", NULL, "base_url"},
        {"http://cam/x?y", NULL, "base_url"},
        {"http://", NULL, "base_url"},
        {"http://cam", "All]&x=[", "codes"},
    };
    for (size_t i = 0; i < NM(bad); i++) {
        dahua_stream_opts o = {.base_url = bad[i].url, .codes = bad[i].codes, .cb = on_ev};
        dahua_stream *s = (dahua_stream *)1;
        ws_err_clear();
        assert_int_equal(dahua_stream_start(&o, &s), WS_EINVAL);
        assert_null(s);
        assert_string_equal(ws_err_field(), bad[i].field);
    }
    dahua_stream_opts o = {.base_url = "http://cam"};
    dahua_stream *s = NULL;
    assert_int_equal(dahua_stream_start(&o, &s), WS_EINVAL);
    assert_string_equal(ws_err_field(), "cb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digest_recipe_matches_rfc2617),
        cmocka_unit_test(stream_reconnects),
        cmocka_unit_test(wrong_password),
        cmocka_unit_test(option_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
