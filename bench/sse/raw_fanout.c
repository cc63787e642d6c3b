/* raw_fanout.c — the ceiling of `make bench-sse`: the least a server can do to
 * push one event to N open event streams over loopback TCP on this machine.
 *
 * It speaks just enough HTTP/1.1 for sse_bench, with nothing between the event
 * and the sockets:
 *   GET  any path   -> 200 text/event-stream (chunked), "retry: 3000"; the
 *                      connection then belongs to one of the writer threads
 *                      (one per CPU, as worksafe's libmicrohttpd pool is
 *                      sized by the CPUs);
 *   POST any path   -> the body is read and dropped, 200 "{}"; when the body
 *                      starts with the alarm prefix (sse_bench's probe, "SSEA")
 *                      the reply is sent first and then every writer is woken
 *                      (an eventfd each) and writes one alarm frame the size of
 *                      worksafe's to each of its streams, one send(2) each, in a
 *                      fresh random order per event (worksafe wakes streams in
 *                      no order that favours sse_bench's probes, so neither may
 *                      the ceiling).
 * Each writer renders the frame once per event; nothing is allocated per
 * event; no rules, no storage, no authentication, no TLS. Its latency is what
 * the kernel's loopback path, the scheduler of this VM and the bench's own
 * reader cost: the floor under worksafe's sse_p99_ms and sse_all_ms.
 *
 * Usage: raw_fanout PORT [ALARM_PREFIX [WRITERS]]   (runs until killed;
 * WRITERS defaults to the number of CPUs) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 20480  /* connections (fds index the table) */
#define INCAP 8192  /* a request's head */

typedef struct cn {
    size_t inlen;  /* bytes of the head read so far */
    size_t body;   /* body bytes still to drop */
    bool probe_checked, probe;
    char in[INCAP];
} cn;

/* One writer thread and the streams it owns (added under mu by the loop
 * thread, written and closed by the writer). */
typedef struct writer {
    pthread_t th;
    int efd;
    pthread_mutex_t mu;
    int fds[MAXC], n;
    uint64_t rng;
    char frame[1024];
} writer;

static cn *tab;
static writer *wr;
static int nwr = 1;
static atomic_ullong event_seq;
static const char *prefix = "SSEA";

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false; /* a full socket buffer counts as a failure */
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* One alarm frame, chunk-encoded as libmicrohttpd sends worksafe's. */
static size_t render(char *frame, size_t cap, unsigned long long seq)
{
    char body[700];
    int n = snprintf(body, sizeof body,
                     "event: alarm\nid: %llu\ndata: {\"seq\":%llu,\"alarm_id\":%llu,\"kind\":\"raised\","
                     "\"level\":2,\"state\":\"active\",\"count\":1,\"value\":60,\"tag\":\"SSEA000\","
                     "\"title\":\"SSEA000 bench SSEA000 可燃气体浓度高报 (H)\",\"unit_id\":1,"
                     "\"at\":\"2026-11-29T06:00:00.000Z\"}\n\n",
                     seq, seq, seq);
    return (size_t)snprintf(frame, cap, "%x\r\n%s\r\n", n, body);
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    for (;;) {
        uint64_t v;
        if (read(w->efd, &v, sizeof v) != sizeof v) continue;
        size_t len = render(w->frame, sizeof w->frame, atomic_load(&event_seq));
        pthread_mutex_lock(&w->mu);
        /* a fresh random order: Fisher-Yates (xorshift) */
        for (int i = w->n - 1; i > 0; i--) {
            w->rng ^= w->rng << 13;
            w->rng ^= w->rng >> 7;
            w->rng ^= w->rng << 17;
            int j = (int)(w->rng % (uint64_t)(i + 1)), t = w->fds[i];
            w->fds[i] = w->fds[j];
            w->fds[j] = t;
        }
        for (int i = 0; i < w->n; i++)
            if (!send_all(w->fds[i], w->frame, len)) {
                close(w->fds[i]);
                w->fds[i--] = w->fds[--w->n];
            }
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

static void fan_out(void)
{
    atomic_fetch_add(&event_seq, 1);
    uint64_t one = 1;
    for (int i = 0; i < nwr; i++)
        if (write(wr[i].efd, &one, sizeof one) != sizeof one) perror("raw_fanout: eventfd");
}

static void drop(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    memset(&tab[fd], 0, sizeof tab[fd]);
}

/* Hand a stream to its writer: the loop thread no longer watches it. */
static void adopt(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    memset(&tab[fd], 0, sizeof tab[fd]);
    writer *w = &wr[fd % nwr];
    pthread_mutex_lock(&w->mu);
    w->fds[w->n++] = fd;
    pthread_mutex_unlock(&w->mu);
}

/* Handle what arrived on fd; false when it is to be closed. */
static bool on_readable(int ep, int fd)
{
    cn *c = &tab[fd];
    for (;;) {
        if (c->body) { /* drop a POST body, noting whether it is a probe */
            char junk[65536];
            size_t want = c->body < sizeof junk ? c->body : sizeof junk;
            ssize_t k = read(fd, junk, want);
            if (k == 0) return false;
            if (k < 0) return errno == EAGAIN || errno == EINTR;
            if (!c->probe_checked) {
                c->probe_checked = true;
                c->probe = (size_t)k >= strlen(prefix) && !memcmp(junk, prefix, strlen(prefix));
            }
            c->body -= (size_t)k;
            if (c->body == 0) {
                static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                         "Content-Length: 2\r\n\r\n{}";
                if (!send_all(fd, ok, sizeof ok - 1)) return false;
                if (c->probe) fan_out();
                c->probe = c->probe_checked = false;
            }
            continue;
        }
        ssize_t k = read(fd, c->in + c->inlen, INCAP - 1 - c->inlen);
        if (k == 0) return false;
        if (k < 0) return errno == EAGAIN || errno == EINTR;
        c->inlen += (size_t)k;
        c->in[c->inlen] = 0;
        char *eoh = strstr(c->in, "\r\n\r\n");
        if (!eoh) {
            if (c->inlen == INCAP - 1) return false; /* head too long */
            continue;
        }
        size_t head = (size_t)(eoh + 4 - c->in);
        if (!strncmp(c->in, "GET ", 4)) {
            static const char hello[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\nd\r\nretry: 3000\n\n\r\n";
            if (!send_all(fd, hello, sizeof hello - 1)) return false;
            adopt(ep, fd); /* the client sends nothing more on a stream */
            return true;
        }
        if (strncmp(c->in, "POST ", 5)) return false;
        const char *cl = strcasestr(c->in, "\r\nContent-Length:");
        size_t blen = cl ? strtoul(cl + 17, NULL, 10) : 0;
        /* bytes of the body already read with the head */
        size_t extra = c->inlen - head;
        if (extra > blen) return false; /* pipelining is not needed here */
        if (extra) {
            c->probe_checked = true;
            c->probe = extra >= strlen(prefix) && !memcmp(c->in + head, prefix, strlen(prefix));
        }
        c->body = blen - extra;
        c->inlen = 0;
        if (c->body == 0) {
            static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 2\r\n\r\n{}";
            if (!send_all(fd, ok, sizeof ok - 1)) return false;
            if (c->probe) fan_out();
            c->probe = c->probe_checked = false;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: raw_fanout PORT [ALARM_PREFIX [WRITERS]]\n");
        return 2;
    }
    if (argc > 2) prefix = argv[2];
    nwr = argc > 3 ? atoi(argv[3]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nwr < 1) nwr = 1;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    tab = calloc(MAXC, sizeof *tab);
    wr = calloc((size_t)nwr, sizeof *wr);
    for (int i = 0; tab && wr && i < nwr; i++) {
        wr[i].efd = eventfd(0, 0);
        wr[i].rng = 0x9e3779b97f4a7c15ull + (uint64_t)i;
        pthread_mutex_init(&wr[i].mu, NULL);
        pthread_create(&wr[i].th, NULL, writer_main, &wr[i]);
    }
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!tab || !wr || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4096)) {
        perror("raw_fanout: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event le = {.events = EPOLLIN, .data.fd = l};
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &le);
    for (;;) {
        struct epoll_event ev[256];
        int n = epoll_wait(ep, ev, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            if (fd == l) {
                int s;
                while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (s >= MAXC) {
                        close(s);
                        continue;
                    }
                    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = s};
                    epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
                }
                continue;
            }
            if ((ev[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) || !on_readable(ep, fd)) drop(ep, fd);
        }
    }
}
