/* sse_bench.c — live alarm stream latency under load (make bench-sse).
 *
 * Against a running worksafe (bench/sse/run.sh starts one):
 *   1. opens N streams GET /api/v1/alarms/stream plus 10 probe streams
 *      (raising its own open-file limit); once all are open the N are read by
 *      the main thread's epoll loop and the 10 probes by a thread of their own,
 *      as 10 dashboards would each read their own connection: a probe's
 *      receipt does not wait while the bench reads the N others;
 *   2. a load thread POSTs text/plain line-format batches to
 *      /api/v1/ingest at --rate readings a second (tags --load-prefix0000..,
 *      values under every limit, so they raise nothing);
 *   3. a prober POSTs one reading over the H limit (or back to 0, clearing
 *      it) of one of --alarm-tags points at a time, and for each POST takes
 *      the time from the POST returning to the first new alarm event on
 *      each stream (0 when the event came before the reply); and, as a
 *      detail line, the probes' time from the POST being sent (the whole
 *      path: request, evaluation, fan-out), which does not depend on when
 *      the server replies.
 * Prints `sse p99_ms=N clients=N all_ms=N` (p99 over the probes and all
 * events; all_ms = p99 over events of the time until every one of the N
 * streams had it), plus detail lines starting with '#'.
 *
 * With --tls-port the streams are HTTPS (gnutls, the server's self-signed
 * certificate taken as it is: the bench measures, it does not authenticate);
 * the POSTs stay on --port. An operator's console reaches worksafe over
 * HTTPS, where libmicrohttpd writes the frames (docs/internals/http.md).
 *
 * Usage: sse_bench --port P --token T [--clients N] [--events E]
 *                  [--rate R] [--load-prefix L] [--load-tags K]
 *                  [--alarm-prefix A] [--alarm-tags M] [--value V]
 *                  [--tls-port Q] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define NPROBE 10

static int port = 8080, nclients = 1000, nevents = 100, load_tags = 1000, alarm_tags = 50;
static long rate = 100000;
static const char *token = "", *load_prefix = "SSEL", *alarm_prefix = "SSEA";
static double value = 60;
static long unit_id; /* --unit: create the points first (409 = there already) */
static int tls_port;  /* --tls-port: the streams over HTTPS */
static gnutls_certificate_credentials_t tls_cred;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int dial_port(bool nonblock, int to)
{
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)to)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static int dial(bool nonblock) { return dial_port(nonblock, port); }

/* ---- one blocking keep-alive HTTP client (load and prober) --------------- */

static bool quiet_post;

typedef struct hc {
    int fd;
    char rbuf[65536];
} hc;

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* POST body to path; returns the status (or -1); the body is read and dropped. */
static int post(hc *c, const char *path, const char *ctype, const char *body, size_t len)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0 && (c->fd = dial(false)) < 0) return -1;
        char h[512];
        int hn = snprintf(h, sizeof h,
                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                          "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                          path, token, ctype, len);
        if (write_all(c->fd, h, (size_t)hn) || write_all(c->fd, body, len)) goto again;
        size_t have = 0;
        for (;;) {
            ssize_t k = read(c->fd, c->rbuf + have, sizeof c->rbuf - 1 - have);
            if (k <= 0) goto again;
            have += (size_t)k;
            c->rbuf[have] = 0;
            char *eoh = strstr(c->rbuf, "\r\n\r\n");
            if (!eoh) continue;
            int status = atoi(c->rbuf + 9);
            const char *cl = strcasestr(c->rbuf, "\r\nContent-Length:");
            size_t blen = cl ? strtoul(cl + 17, NULL, 10) : 0;
            size_t need = (size_t)(eoh + 4 - c->rbuf) + blen;
            while (have < need && have < sizeof c->rbuf - 1) {
                k = read(c->fd, c->rbuf + have, sizeof c->rbuf - 1 - have);
                if (k <= 0) goto again;
                have += (size_t)k;
            }
            if (status != 200 && !quiet_post) {
                c->rbuf[have] = 0;
                fprintf(stderr, "# POST %s -> %d: %.300s\n", path, status, eoh + 4);
            }
            return status;
        }
    again:
        close(c->fd);
        c->fd = -1;
    }
    return -1;
}

/* ---- set-up: the points (combustible gas, GB/T 50493 defaults: H 25 %LEL) -- */

static int create_points(void)
{
    hc *c = calloc(1, sizeof *c);
    c->fd = -1;
    int made = 0;
    for (int i = 0; i < load_tags + alarm_tags; i++) {
        char tag[64], body[256];
        if (i < load_tags) snprintf(tag, sizeof tag, "%s%04d", load_prefix, i);
        else snprintf(tag, sizeof tag, "%s%03d", alarm_prefix, i - load_tags);
        int n = snprintf(body, sizeof body,
                         "{\"unit_id\":%ld,\"tag\":\"%s\",\"name\":\"bench %s\",\"kind\":\"combustible\"}",
                         unit_id, tag, tag);
        quiet_post = true;
        int st = post(c, "/api/v1/points", "application/json", body, (size_t)n);
        quiet_post = false;
        if (st == 201) made++;
        else if (st != 409) {
            fprintf(stderr, "creating %s: status %d: %.300s\n", tag, st, c->rbuf);
            return -1;
        }
    }
    if (c->fd >= 0) close(c->fd);
    free(c);
    printf("# points: %d made, %d in all\n", made, load_tags + alarm_tags);
    return 0;
}

/* ---- load ----------------------------------------------------------------- */

static atomic_bool load_stop;
static atomic_long load_sent;
static _Atomic int64_t load_t0;

static void *load_main(void *arg)
{
    (void)arg;
    hc *c = calloc(1, sizeof *c);
    c->fd = -1;
    const int per_post = 5000;
    char *body = malloc((size_t)per_post * 64);
    int64_t t0 = now_ns();
    atomic_store(&load_t0, t0);
    long sent = 0;
    unsigned k = 0;
    while (!atomic_load(&load_stop)) {
        size_t n = 0;
        for (int i = 0; i < per_post; i++, k++)
            n += (size_t)sprintf(body + n, "%s%04u %.2f\n", load_prefix, k % (unsigned)load_tags,
                                 1.0 + (k % 7) * 0.25);
        if (post(c, "/api/v1/ingest", "text/plain", body, n) == 200) sent += per_post;
        atomic_store(&load_sent, sent);
        /* pace to `rate` readings a second */
        int64_t due = t0 + (int64_t)((double)sent / (double)rate * 1e9);
        int64_t wait = due - now_ns();
        if (wait > 0) {
            struct timespec ts = {wait / 1000000000, wait % 1000000000};
            nanosleep(&ts, NULL);
        }
    }
    atomic_store(&load_sent, sent);
    if (c->fd >= 0) close(c->fd);
    free(body);
    free(c);
    return NULL;
}

/* ---- streams ---------------------------------------------------------------- */

typedef struct conn {
    int fd;
    gnutls_session_t tls; /* --tls-port: the stream's session, else NULL */
    bool open;        /* the first bytes (headers, retry) came */
    int events;       /* alarm frames seen */
    int64_t first_ns; /* arrival of the first frame after `mark` */
    char tail[16];    /* last bytes of the previous read, for a split marker */
    size_t tlen;
} conn;

static conn *conns;
static int nconn, nopen;
static int64_t mark_ns; /* frames arriving after this count for the current probe */

static void on_data(conn *c, const char *p, size_t n, int64_t t)
{
    static const char m[] = "event: alarm\n";
    const size_t ml = sizeof m - 1;
    char joined[16 + 65536];
    memcpy(joined, c->tail, c->tlen);
    memcpy(joined + c->tlen, p, n);
    size_t len = c->tlen + n;
    int found = 0;
    for (const char *q = joined; (q = memmem(q, (size_t)(joined + len - q), m, ml)); q += ml) found++;
    if (!c->open) {
        c->open = true;
        nopen++;
    }
    if (found) {
        if (!__atomic_load_n(&c->first_ns, __ATOMIC_ACQUIRE)) __atomic_store_n(&c->first_ns, t, __ATOMIC_RELEASE);
        c->events += found;
    }
    size_t keep = len < ml - 1 ? len : ml - 1;
    memcpy(c->tail, joined + len - keep, keep);
    c->tlen = keep;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(int64_t *v, size_t n, double p)
{
    if (!n) return -1;
    qsort(v, n, sizeof *v, cmp_i64);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

static void pump(int ep, int timeout_ms)
{
    struct epoll_event ev[256];
    int n = epoll_wait(ep, ev, 256, timeout_ms);
    int64_t t = now_ns();
    static _Thread_local char buf[65536];
    for (int i = 0; i < n; i++) {
        conn *c = &conns[ev[i].data.u32];
        for (;;) {
            ssize_t k;
            bool again;
            if (c->tls) {
                k = gnutls_record_recv(c->tls, buf, sizeof buf);
                again = k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED;
            } else {
                k = read(c->fd, buf, sizeof buf);
                again = k < 0 && (errno == EAGAIN || errno == EINTR);
            }
            if (k > 0) {
                on_data(c, buf, (size_t)k, t);
                continue;
            }
            if (!again) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                __atomic_store_n(&c->fd, -1, __ATOMIC_RELEASE);
            }
            break;
        }
    }
}

/* A blocking TLS handshake on c->fd (the stream is read non-blocking after). */
static int tls_open(conn *c)
{
    if (!tls_cred && gnutls_certificate_allocate_credentials(&tls_cred) != GNUTLS_E_SUCCESS) return -1;
    if (gnutls_init(&c->tls, GNUTLS_CLIENT) != GNUTLS_E_SUCCESS) return -1;
    gnutls_set_default_priority(c->tls);
    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, tls_cred);
    gnutls_transport_set_int(c->tls, c->fd);
    int rc;
    do rc = gnutls_handshake(c->tls);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    return rc < 0 ? -1 : 0;
}

static int tls_write_all(gnutls_session_t s, const char *p, size_t n)
{
    while (n) {
        ssize_t k = gnutls_record_send(s, p, n);
        if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static atomic_bool probe_stop;

/* The probes' reader: its own epoll set, its own thread. */
static void *probe_main(void *arg)
{
    int ep = *(int *)arg;
    while (!atomic_load(&probe_stop)) pump(ep, 5);
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--token")) token = v;
        else if (!strcmp(k, "--clients")) nclients = atoi(v);
        else if (!strcmp(k, "--events")) nevents = atoi(v);
        else if (!strcmp(k, "--rate")) rate = atol(v);
        else if (!strcmp(k, "--load-prefix")) load_prefix = v;
        else if (!strcmp(k, "--load-tags")) load_tags = atoi(v);
        else if (!strcmp(k, "--alarm-prefix")) alarm_prefix = v;
        else if (!strcmp(k, "--alarm-tags")) alarm_tags = atoi(v);
        else if (!strcmp(k, "--value")) value = atof(v);
        else if (!strcmp(k, "--unit")) unit_id = atol(v);
        else if (!strcmp(k, "--tls-port")) tls_port = atoi(v);
        else {
            fprintf(stderr, "unknown option %s\n", k);
            return 2;
        }
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)nclients + NPROBE + 64 > rl.rlim_cur) {
        fprintf(stderr, "open-file limit %llu is too low for %d clients\n", (unsigned long long)rl.rlim_cur,
                nclients);
        return 1;
    }
    if (unit_id > 0 && create_points() != 0) return 1;
    nconn = nclients + NPROBE;
    conns = calloc((size_t)nconn, sizeof *conns);
    int ep = epoll_create1(0);
    char req[512];
    int rn = snprintf(req, sizeof req,
                      "GET /api/v1/alarms/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                      "Accept: text/event-stream\r\n\r\n",
                      token);
    /* Connect in waves so the listen backlog is never the limit. */
    int64_t t_conn = now_ns();
    for (int i = 0; i < nconn; i++) {
        conn *c = &conns[i];
        c->fd = tls_port ? dial_port(false, tls_port) : dial(false);
        if (c->fd >= 0 && tls_port && tls_open(c)) {
            fprintf(stderr, "TLS handshake %d failed\n", i);
            return 1;
        }
        if (c->fd < 0 || (c->tls ? tls_write_all(c->tls, req, (size_t)rn) : write_all(c->fd, req, (size_t)rn))) {
            fprintf(stderr, "connect %d failed: %s\n", i, strerror(errno));
            return 1;
        }
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
        if (i % 500 == 499) pump(ep, 0);
    }
    int64_t until = now_ns() + 60 * (int64_t)1000000000;
    while (nopen < nconn && now_ns() < until) pump(ep, 100);
    if (nopen < nconn) {
        fprintf(stderr, "only %d of %d streams opened\n", nopen, nconn);
        return 1;
    }
    printf("# %d streams open in %.1f s\n", nconn, (double)(now_ns() - t_conn) / 1e9);
    /* the probes move to their own reader */
    int pep = epoll_create1(0);
    for (int i = 0; i < NPROBE; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_DEL, conns[i].fd, NULL);
        epoll_ctl(pep, EPOLL_CTL_ADD, conns[i].fd, &e);
    }
    pthread_t pt;
    pthread_create(&pt, NULL, probe_main, &pep);

    pthread_t lt;
    if (rate > 0) pthread_create(&lt, NULL, load_main, NULL);
    struct timespec warm = {1, 0};
    nanosleep(&warm, NULL);

    hc *pc = calloc(1, sizeof *pc);
    pc->fd = -1;
    int64_t *probe = calloc((size_t)nevents * NPROBE, sizeof *probe), *all = calloc((size_t)nevents, sizeof *all);
    int64_t *from_send = calloc((size_t)nevents * NPROBE, sizeof *from_send);
    int64_t *reply = calloc((size_t)nevents, sizeof *reply);
    size_t np = 0, na = 0;
    int missed = 0;
    int64_t t_run = now_ns();
    for (int e = 0; e < nevents; e++) {
        for (int i = 0; i < nconn; i++) __atomic_store_n(&conns[i].first_ns, 0, __ATOMIC_RELEASE);
        int tag = e % alarm_tags;
        bool up = (e / alarm_tags) % 2 == 0; /* raise every point, then clear every point */
        char line[128];
        int ln = snprintf(line, sizeof line, "%s%03d %g\n", alarm_prefix, tag, up ? value : 0.0);
        mark_ns = now_ns();
        int st = post(pc, "/api/v1/ingest", "text/plain", line, (size_t)ln);
        int64_t t_ret = now_ns();
        reply[e] = t_ret - mark_ns;
        if (st != 200) {
            fprintf(stderr, "probe POST failed (%d)\n", st);
            return 1;
        }
        int64_t deadline = t_ret + 5 * (int64_t)1000000000;
        int have;
        do {
            pump(ep, 5);
            have = 0;
            for (int i = 0; i < nconn; i++)
                have += __atomic_load_n(&conns[i].first_ns, __ATOMIC_ACQUIRE) != 0 ||
                        __atomic_load_n(&conns[i].fd, __ATOMIC_ACQUIRE) < 0;
        } while (have < nconn && now_ns() < deadline);
        if (have < nconn) missed++;
        int64_t worst = 0;
        for (int i = 0; i < nconn; i++) {
            int64_t first = __atomic_load_n(&conns[i].first_ns, __ATOMIC_ACQUIRE);
            if (!first) continue;
            int64_t d = first - t_ret;
            if (d < 0) d = 0;
            if (i < NPROBE) from_send[np] = first - mark_ns, probe[np++] = d;
            else if (d > worst) worst = d;
        }
        all[na++] = worst;
        /* let the rest of this reading's events (e.g. a level change) land */
        int64_t settle = now_ns() + 20 * 1000000;
        while (now_ns() < settle) pump(ep, 2);
    }
    printf("# run %.1f s\n", (double)(now_ns() - t_run) / 1e9);
    atomic_store(&load_stop, true);
    if (rate > 0) pthread_join(lt, NULL);
    atomic_store(&probe_stop, true);
    pthread_join(pt, NULL);
    long sent = atomic_load(&load_sent);
    double load_secs = rate > 0 ? (double)(now_ns() - atomic_load(&load_t0)) / 1e9 : 1;
    int closed = 0;
    for (int i = 0; i < nconn; i++) closed += conns[i].fd < 0;
    printf("# events=%d missed=%d streams_closed=%d load_readings_per_s=%.0f probe_p50_ms=%.2f all_max_ms=%.2f"
           " probe_from_send_p50_ms=%.2f probe_from_send_p99_ms=%.2f reply_p50_ms=%.2f\n",
           nevents, missed, closed, (double)sent / load_secs, pct(probe, np, 0.5), pct(all, na, 1.0),
           pct(from_send, np, 0.5), pct(from_send, np, 0.99), pct(reply, (size_t)nevents, 0.5));
    double p99 = pct(probe, np, 0.99), allp = pct(all, na, 0.99);
    printf("sse p99_ms=%.2f clients=%d all_ms=%.2f%s\n", p99, nclients, allp, tls_port ? " tls=1" : "");
    return missed ? 3 : 0;
}
