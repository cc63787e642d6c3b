/* ingest_bench.c — HTTP line-batch load for `make bench-ingest`.
 *
 *   ingest_bench --port P [--token T] [--points N] [--threads K] [--batch B]
 *                [--seconds S] [--setup] [--unit U] [--from-ms T]
 *
 * With --setup it first creates N combustible gas points P00000.. in unit U
 * (POST /api/v1/points, GB/T 50493 limits by default). Then K threads, each
 * on its own keep-alive connection and owning every K-th point, post batches
 * of B readings in the line format (`TAG VALUE TIME_MS`) for S seconds: one
 * reading per point per simulated second, values wandering under the limits
 * with an excursion over H now and then, so the engine stores, evaluates and
 * raises for real. Simulated time starts at T (ms UTC; default a day ago).
 * Counts only readings of batches answered 200 and prints
 *
 *   ingest_http readings=N seconds=S readings_per_s=N batches=N next_ms=T
 *               client_cpu_ns_per_reading=N
 *
 * where T is past every time sent: the next run's --from-ms, so that its
 * readings are new to the engine, not late ones stored without evaluation;
 * client_cpu_ns_per_reading is this tool's own CPU (user + system) over the
 * readings counted, the share of the two cores the server does not get.
 *
 * The same tool drives the raw-append peer (bench/ingest/raw_sink.c), which
 * answers every POST after appending its body to a file. Nothing here is
 * worksafe code: plain sockets, so the client's own cost stays small. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port = 0, npoints = 2000, nthreads = 4, batch = 20000, seconds = 10;
static const char *token = "";
static unsigned long long from_ms; /* the first simulated second; 0: a day ago */
static atomic_ullong total_readings, total_batches, next_ms;
static atomic_bool stop_flag;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of this process so far. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) {
            perror("send");
            exit(1);
        }
        p += k;
        n -= (size_t)k;
    }
}

/* Read one response; returns the status, body into out (cap). */
static int recv_reply(int fd, char *out, size_t cap)
{
    static __thread char buf[65536];
    size_t n = 0;
    char *hdr_end = NULL;
    while (!hdr_end) {
        ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (k <= 0) return -1;
        n += (size_t)k;
        buf[n] = 0;
        hdr_end = strstr(buf, "\r\n\r\n");
    }
    int status = atoi(buf + 9);
    const char *cl = strcasestr(buf, "Content-Length:");
    size_t len = cl ? (size_t)atol(cl + 15) : 0;
    size_t have = n - (size_t)(hdr_end + 4 - buf);
    while (have < len) {
        ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (k <= 0) return -1;
        n += (size_t)k;
        have += (size_t)k;
    }
    if (out) snprintf(out, cap, "%.*s", (int)len, hdr_end + 4);
    return status;
}

static int post(int fd, const char *path, const char *ctype, const char *body, size_t len, char *out,
                size_t cap)
{
    char h[512];
    int hn = snprintf(h, sizeof h,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                      path, token, ctype, len);
    send_all(fd, h, (size_t)hn);
    send_all(fd, body, len);
    return recv_reply(fd, out, cap);
}

/* Decimal of v into p, returns the length. */
static int put_u64(char *p, unsigned long long v)
{
    char t[24];
    int n = 0;
    do t[n++] = (char)('0' + v % 10); while (v /= 10);
    for (int i = 0; i < n; i++) p[i] = t[n - 1 - i];
    return n;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    int fd = dial();
    char *body = malloc((size_t)batch * 40 + 64);
    unsigned long long t0 = from_ms ? from_ms : (unsigned long long)time(NULL) * 1000 - 86400000ull;
    unsigned long long round = 0;
    int mine = 0;
    for (int p = id; p < npoints; p += nthreads) mine++;
    if (!mine) return NULL;
    int p = id;
    unsigned seed = (unsigned)id * 2654435761u;
    while (!atomic_load(&stop_flag)) {
        size_t n = 0;
        for (int i = 0; i < batch; i++) {
            char *q = body + n;
            memcpy(q, "P", 1);
            q += 1;
            q[0] = (char)('0' + p / 10000 % 10), q[1] = (char)('0' + p / 1000 % 10),
            q[2] = (char)('0' + p / 100 % 10), q[3] = (char)('0' + p / 10 % 10), q[4] = (char)('0' + p % 10);
            q += 5;
            *q++ = ' ';
            seed = seed * 1103515245u + 12345u;
            unsigned v = 50 + (seed >> 16) % 100; /* 5.0 .. 14.9 %LEL */
            if ((round + (unsigned long long)p) % 3600 == 0) v = 300; /* an excursion over H now and then */
            q += put_u64(q, v / 10);
            *q++ = '.';
            *q++ = (char)('0' + v % 10);
            *q++ = ' ';
            q += put_u64(q, t0 + round * 1000);
            *q++ = '\n';
            n = (size_t)(q - body);
            p += nthreads;
            if (p >= npoints) {
                p = id;
                round++;
            }
        }
        int st = post(fd, "/api/v1/ingest", "text/plain", body, n, NULL, 0);
        if (st != 200) {
            fprintf(stderr, "ingest_bench: POST answered %d\n", st);
            exit(1);
        }
        atomic_fetch_add(&total_readings, (unsigned long long)batch);
        atomic_fetch_add(&total_batches, 1);
    }
    /* the next run starts past every time sent, so that it is not late */
    unsigned long long next = t0 + (round + 1) * 1000, seen = atomic_load(&next_ms);
    while (next > seen && !atomic_compare_exchange_weak(&next_ms, &seen, next)) {}
    close(fd);
    free(body);
    return NULL;
}

static void setup_points(long long unit)
{
    int fd = dial();
    char b[256], out[512];
    for (int p = 0; p < npoints; p++) {
        int n = snprintf(b, sizeof b,
                         "{\"unit_id\":%lld,\"tag\":\"P%05d\",\"name\":\"bench %d\",\"kind\":\"combustible\","
                         "\"resolution\":0.1}",
                         unit, p, p);
        int st = post(fd, "/api/v1/points", "application/json", b, (size_t)n, out, sizeof out);
        if (st != 201 && st != 409) {
            fprintf(stderr, "ingest_bench: creating P%05d answered %d %s\n", p, st, out);
            exit(1);
        }
    }
    close(fd);
}

int main(int argc, char **argv)
{
    long long unit = 0;
    int setup = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--port")) port = atoi(v), i++;
        else if (!strcmp(a, "--token")) token = v, i++;
        else if (!strcmp(a, "--points")) npoints = atoi(v), i++;
        else if (!strcmp(a, "--threads")) nthreads = atoi(v), i++;
        else if (!strcmp(a, "--batch")) batch = atoi(v), i++;
        else if (!strcmp(a, "--seconds")) seconds = atoi(v), i++;
        else if (!strcmp(a, "--unit")) unit = atoll(v), i++;
        else if (!strcmp(a, "--from-ms")) from_ms = strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--setup")) setup = 1;
        else {
            fprintf(stderr, "ingest_bench: unknown argument %s\n", a);
            return 2;
        }
    }
    if (!port || npoints < 1 || nthreads < 1 || batch < 1) return 2;
    if (setup) setup_points(unit);
    pthread_t th[64];
    if (nthreads > 64) nthreads = 64;
    double t0 = now_s(), cpu0 = cpu_s();
    for (int i = 0; i < nthreads; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    struct timespec ts = {seconds, 0};
    nanosleep(&ts, NULL);
    atomic_store(&stop_flag, true);
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    double el = now_s() - t0;
    unsigned long long r = atomic_load(&total_readings);
    double cpu = cpu_s() - cpu0; /* the load's, not the setup's */
    printf("ingest_http readings=%llu seconds=%.2f readings_per_s=%.0f batches=%llu next_ms=%llu"
           " client_cpu_ns_per_reading=%.1f\n",
           r, el, (double)r / el, (unsigned long long)atomic_load(&total_batches),
           (unsigned long long)atomic_load(&next_ms), r ? cpu * 1e9 / (double)r : 0.0);
    return 0;
}
