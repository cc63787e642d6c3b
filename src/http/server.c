/* server.c — libmicrohttpd daemons and the request life cycle; see http.h.
 *
 * One daemon per listener (plain HTTP on loopback, HTTPS), each an epoll
 * thread pool. libmicrohttpd calls on_request() several times per request:
 *
 *   first call (headers read)  -> begin(): classify the request (req_kind)
 *       /api/...   router match (API route, 404 or 405); a Content-Length
 *                  over max_body is answered with 413 at once and the
 *                  connection closed when the client waits for 100 Continue
 *                  or it exceeds the cap by more than DRAIN_MAX, else read
 *                  and dropped like a streamed one; otherwise a capped body
 *                  buffer is set up
 *       /healthz, /metrics, anything else: static files
 *   calls with upload data     -> API routes: appended to the capped buffer,
 *                  past the cap the rest is discarded and the reply is 413;
 *                  other kinds: discarded
 *   last call (no more data)   -> respond(): for API routes dispatch() fills
 *                  an api_req from the connection, calls api_dispatch() and
 *                  turns the api_resp into a response; the rest is answered
 *                  here. (Replies are queued on the last call, not the first:
 *                  libmicrohttpd closes the connection after an early reply,
 *                  which would cost keep-alive.)
 *   send_reply()               -> metrics (route, method, status, latency
 *                  from the headers to the queued reply), 5xx logged
 *   on_completed()             -> free the request context
 *
 * Every reply gets the security headers (CSP, nosniff, no-referrer, DENY,
 * HSTS on TLS); API replies are never cached. Shutdown (http_stop): quiesce
 * (stop accepting), answer with "Connection: close" from then on, end the
 * live streams, wait for the requests in flight (at most 10 s), then stop
 * the daemons.
 *
 * Live streams (server-sent events): a handler may answer with an
 * api_stream (api.h). send_stream() makes it a callback response; sse_read()
 * asks the stream for bytes whenever the socket can take them, and when it
 * has none parks the stream and suspends the connection, which then costs
 * no thread and no polling. The stream's wake (a hub publish, any thread)
 * hands it on. The race between parking and suspending is settled by a
 * small state machine, so a resume never precedes its suspend
 * (libmicrohttpd would cancel the resume and the wake would be lost):
 *
 *   RUN --sse_read: nothing to send--> PARKING --suspended--> SUSP
 *    ^                                  ^   | wake              | wake, ping
 *    |                                  |   v                   | timer, stop
 *    +--- sse_read resumes itself --- WOKEN                     v
 *    |                                  ^                     WRITE
 *    |                     wake while   |                (on a writer's
 *    |                     parking      |                 ready stack)
 *    |                                  |                       |
 *    |              plain: the writer sends; nothing left -> PARKING -> SUSP
 *    +-- MHD_resume_connection <-- the writer: TLS (always), or a plain
 *        stream handed back (socket full, error, end of stream, shutdown);
 *        after the writers stop, sse_wake resumes itself (SUSP -> RUN)
 *
 * Direct writes: a stream on the plain listener (loopback; a reverse proxy
 * or a local client) is sent without chunked encoding and ends by closing
 * (MHD_RF_HTTP_1_0_COMPATIBLE_STRICT), so its body is a plain byte stream.
 * While its connection is suspended, libmicrohttpd does not touch the
 * socket, so a wake puts the stream on a writer thread's ready stack (a
 * push, no lock, one eventfd write when the stack was empty) and the
 * writer renders its frames and send(2)s them itself, without resuming the
 * connection. A publish to 1,000 streams is then 1,000 pushes instead of
 * 1,000 resumes (a mutex, an eventfd write, two epoll changes and a pass of
 * libmicrohttpd's state machine each). When a send would block or fails,
 * the stream is handed back: the unsent rest of its frame stays in the
 * stream (toff < tlen), the connection is resumed, and sse_read returns
 * that rest before anything else, so the byte stream stays whole. TLS
 * streams are always written by libmicrohttpd (gnutls must retry a record
 * that would block with the same bytes, which libmicrohttpd would not know
 * to do); a wake puts them on a writer's stack too, and the writer only
 * resumes them, so a publish never calls MHD_resume_connection on the
 * publisher's thread, which holds the engine's lock.
 *
 * A timer thread (1 s) ends the parked streams whose client hung up (one
 * poll(2) over their sockets, sse_reap: a suspended connection cannot
 * notice), and wakes those whose 15 s comment ping is due, so proxies keep
 * the link and a client gone without a word (a cable pulled) is noticed
 * when the write fails. */
#include "http/http.h"
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "org/org.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define CSP "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; " \
            "frame-ancestors 'none'; base-uri 'self'"
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define STOP_WAIT_MS 10000
/* All request bodies being received at once may hold at most this much
 * memory; past it new body bytes get 429 (the client retries), so many slow
 * uploads cannot exhaust memory even though each is under max_body. */
#define BODY_BUDGET ((size_t)256 << 20)
/* A declared body at most this far over its cap is read through before the
 * 413 (see begin()); a larger one is refused at once. */
#define DRAIN_MAX ((unsigned long long)8 << 20)
/* Connections per listener: 10,000 parked event streams plus requests. */
#define CONN_LIMIT 12000
#define SSE_PING_MS 15000
/* The response buffer libmicrohttpd allocates per stream, and the stream's
 * own buffer for direct writes (sse.out). */
#define SSE_BLOCK 1024
/* The send buffer of a stream's socket (the kernel doubles it): about 140
 * alarm frames. */
#define SSE_SNDBUF (64 * 1024)
/* Writer threads for direct stream writes: one per CPU, within these. */
#define SSE_WRITERS_MIN 1
#define SSE_WRITERS_MAX 8

enum { L_PLAIN = 0, L_TLS = 1 };

typedef struct listener {
    struct http_server *srv;
    struct MHD_Daemon *d;
    bool tls;
    int port;
} listener;

typedef struct sse sse;

/* A writer thread for direct stream writes (see the top of this file).
 * ready is a stack of streams in state SSE_WRITE, pushed by any thread
 * (sse_wake) and taken whole by the writer; efd wakes the writer when a
 * push finds the stack empty. */
typedef struct sse_writer {
    struct http_server *srv;
    _Atomic(sse *) ready;
    int efd;
    bool on;
    pthread_t th;
} sse_writer;

struct http_server {
    listener l[2];
    http_router *router;
    http_metrics *metrics;
    const api_route *const *routes;
    size_t nroutes;
    char *web_dir;
    size_t max_body;
    store *db;
    char *cert_pem, *key_pem;
    _Atomic int in_flight;
    _Atomic bool stopping;
    _Atomic size_t body_bytes; /* bytes held in request bodies now, <= BODY_BUDGET */
    /* Live streams: every open one is on this list (the ping timer and
     * shutdown walk it); smu guards the list, tcond wakes the timer. */
    pthread_mutex_t smu;
    pthread_cond_t tcond;
    sse *streams;
    _Atomic int nstreams;
    bool timer_on, timer_stop;
    pthread_t timer;
    struct pollfd *hup_fd; /* the timer's: suspended streams' sockets, polled for a hang-up */
    sse **hup_of;          /* the stream of each */
    size_t hup_cap;
    sse_writer wr[SSE_WRITERS_MAX];
    int nwr;
    _Atomic unsigned wr_turn; /* streams are dealt to writers in turn */
    _Atomic bool wr_stop;     /* no new pushes: sse_wake resumes instead */
    _Atomic int wr_pushers;   /* sse_wake calls between their wr_stop check and push */
    _Atomic bool wr_exit;     /* set once no push can come: writers end when empty */
};

enum { SSE_RUN = 0, SSE_PARKING, SSE_WOKEN, SSE_SUSP, SSE_WRITE };

/* One open event stream; freed by libmicrohttpd's response free callback.
 * Who may touch st, out, toff and tlen: libmicrohttpd's thread in RUN and
 * PARKING (sse_read), the stream's writer in WRITE and PARKING (its own
 * park); nobody in SUSP. */
struct sse {
    sse *prev, *next;
    http_server *srv;
    struct MHD_Connection *conn;
    api_stream st;
    _Atomic int state;
    _Atomic int64_t ping_at; /* monotonic ms when a comment ping is due */
    int fd;                  /* the socket for direct writes; -1: always through libmicrohttpd */
    int sock;                /* the socket, plain or TLS, for the hang-up check; -1 unknown */
    _Atomic bool gone;       /* the client hung up: the stream ends */
    bool fd_pushes;          /* TCP_NODELAY set and cork off, for direct writes */
    sse_writer *wr;
    sse *qnext;              /* on wr->ready */
    uint32_t toff, tlen;     /* out[toff, tlen): rendered, not yet sent */
    char out[SSE_BLOCK];
};

typedef enum {
    K_API = 0,       /* a route matched: body is read, then api_dispatch */
    K_API_NOT_FOUND, /* under /api/, no route: 404 envelope */
    K_API_METHOD,    /* under /api/, path known, method not: 405 envelope with Allow */
    K_HEALTHZ,
    K_METRICS,
    K_STATIC,
    K_TEXT_METHOD,   /* not GET/HEAD outside /api/: 405 */
} req_kind;

/* Per request; lives from the first call of on_request to on_completed. */
typedef struct reqctx {
    int64_t t0;
    int route;              /* metrics index, -1 until known */
    int status;             /* queued status, 0 until a reply is queued */
    char method[8];         /* for metrics; "other" when longer */
    req_kind kind;
    const api_route *r;     /* the matched route when kind is K_API */
    bool too_big;
    bool over_budget;       /* the server-wide body budget was exhausted */
    size_t reserved;        /* bytes of body_bytes this request holds */
    size_t declared;        /* Content-Length (<= the route's cap), 0 when absent */
    buf body;
    http_match m;
} reqctx;

/* ---- replies ------------------------------------------------------------ */

static void add_common_headers(const listener *l, struct MHD_Response *r, bool no_store)
{
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    if (l->tls) MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    if (no_store) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (atomic_load_explicit(&l->srv->stopping, memory_order_relaxed))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
}

/* Queue r (consumed) with status; NULL r means out of memory: close. */
static enum MHD_Result send_reply(const listener *l, struct MHD_Connection *conn, reqctx *rq,
                                  int status, struct MHD_Response *r, bool no_store)
{
    if (!r) return MHD_NO;
    add_common_headers(l, r, no_store);
    rq->status = status;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    /* Counted here, before the client can see the reply, so a scrape that
     * follows a reply always includes it (on_completed may run later). */
    int64_t ns = clock_mono_ns() - rq->t0;
    http_metrics_record(l->srv->metrics, rq->route, rq->method, status, ns);
    if (status >= 500) {
        char st[16], ms[32];
        snprintf(st, sizeof st, "%d", status);
        snprintf(ms, sizeof ms, "%.3f", (double)ns / 1e6);
        log_warn("request failed", "method", rq->method, "route", rq->r ? rq->r->pattern : "-", "status",
                 st, "ms", ms);
    }
    return ret;
}

/* Turn an api_resp into a reply; frees what resp holds. */
static enum MHD_Result send_api(const listener *l, struct MHD_Connection *conn, reqctx *rq,
                                api_resp *resp)
{
    size_t len = resp->body.len;
    char *data = buf_steal(&resp->body);
    struct MHD_Response *r =
        data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) free(data);
    if (r) {
        if (len) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                         resp->content_type ? resp->content_type : JSON_TYPE);
        for (int i = 0; i < resp->nheaders && i < API_MAX_HEADERS; i++)
            if (resp->hname[i] && resp->hvalue[i])
                MHD_add_response_header(r, resp->hname[i], resp->hvalue[i]);
    }
    int status = resp->status ? resp->status : 500;
    api_resp_free(resp);
    return send_reply(l, conn, rq, status, r, true);
}

/* The error envelope for e with the detail recorded by ws_fail(); hname and
 * hvalue add one header (e.g. Allow) when not NULL. */
static enum MHD_Result send_error(const listener *l, struct MHD_Connection *conn, reqctx *rq,
                                  ws_err e, const char *hname, const char *hvalue)
{
    api_resp resp;
    api_resp_init(&resp);
    api_error(&resp, e);
    if (!resp.status) resp.status = api_status_of(e);
    if (hname && hvalue && resp.nheaders < API_MAX_HEADERS) {
        char *v = strdup(hvalue);
        if (v) {
            resp.hname[resp.nheaders] = hname;
            resp.hvalue[resp.nheaders++] = v;
        }
    }
    return send_api(l, conn, rq, &resp);
}

static enum MHD_Result send_text(const listener *l, struct MHD_Connection *conn, reqctx *rq,
                                 int status, const char *text, const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    }
    return send_reply(l, conn, rq, status, r, true);
}

/* ---- live streams (server-sent events) ------------------------------------ */

/* Put x (state SSE_WRITE) on its writer's ready stack; any thread. */
static void sse_push(sse *x)
{
    sse_writer *w = x->wr;
    sse *top = atomic_load_explicit(&w->ready, memory_order_relaxed);
    do {
        x->qnext = top;
    } while (!atomic_compare_exchange_weak_explicit(&w->ready, &top, x, memory_order_release,
                                                    memory_order_relaxed));
    if (!top) {
        uint64_t one = 1;
        if (write(w->efd, &one, sizeof one) < 0) { /* the counter cannot overflow */ }
    }
}

/* Hand x on if it is suspended: to its writer (direct writes) or back to
 * libmicrohttpd; any thread. Callers guarantee x is alive: the hub calls
 * it before the stream's free returns (hub_unsubscribe), the timer and
 * http_stop hold smu, which sse_free takes to unlink x. */
static void sse_wake(void *arg)
{
    sse *x = arg;
    http_server *s = x->srv;
    for (;;) {
        int st = atomic_load(&x->state);
        if (st == SSE_SUSP) {
            if (x->wr) {
                /* counted, so sse_writers_stop knows when no push can come */
                atomic_fetch_add(&s->wr_pushers, 1);
                if (!atomic_load(&s->wr_stop)) {
                    bool mine = atomic_compare_exchange_weak(&x->state, &st, SSE_WRITE);
                    if (mine) sse_push(x);
                    atomic_fetch_sub(&s->wr_pushers, 1);
                    if (mine) return;
                    continue;
                }
                atomic_fetch_sub(&s->wr_pushers, 1);
            }
            if (atomic_compare_exchange_weak(&x->state, &st, SSE_RUN)) {
                MHD_resume_connection(x->conn);
                return;
            }
        } else if (st == SSE_PARKING) {
            if (atomic_compare_exchange_weak(&x->state, &st, SSE_WOKEN)) return;
        } else {
            return; /* running, being written, or woken already */
        }
    }
}

/* The stream's next bytes into out (at most max): the unsent rest of a
 * direct write first, then the stream's frames, or a ping when one is due.
 * Returns the bytes, 0 when there is nothing now, -1 when the stream is
 * over. Runs on whoever owns x (see struct sse). */
static long sse_fill(sse *x, char *out, size_t max)
{
    if (atomic_load_explicit(&x->gone, memory_order_relaxed)) return -1;
    if (x->toff < x->tlen) {
        size_t k = x->tlen - x->toff;
        if (k > max) k = max;
        memcpy(out, x->out + x->toff, k);
        x->toff += (uint32_t)k;
        if (x->toff == x->tlen) x->toff = x->tlen = 0;
        return (long)k;
    }
    long n = x->st.next(x->st.ctx, out, max);
    int64_t now = clock_mono_ms();
    if (n > 0) atomic_store(&x->ping_at, now + SSE_PING_MS);
    if (n != 0) return n;
    static const char ping[] = ": ping\n\n";
    if (now >= atomic_load(&x->ping_at) && max >= sizeof ping - 1) {
        memcpy(out, ping, sizeof ping - 1);
        atomic_store(&x->ping_at, now + SSE_PING_MS);
        return (long)(sizeof ping - 1);
    }
    return 0;
}

/* libmicrohttpd's content reader: the stream's bytes, or park and suspend. */
static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    sse *x = cls;
    http_server *s = x->srv;
    for (;;) {
        if (atomic_load(&s->stopping)) return MHD_CONTENT_READER_END_OF_STREAM;
        long n = sse_fill(x, out, max);
        if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
        if (n > 0) return (ssize_t)n;
        atomic_store(&x->state, SSE_PARKING);
        if (!x->st.park(x->st.ctx, sse_wake, x)) {
            atomic_store(&x->state, SSE_RUN);
            continue;
        }
        MHD_suspend_connection(x->conn);
        int expect = SSE_PARKING;
        if (!atomic_compare_exchange_strong(&x->state, &expect, SSE_SUSP)) {
            /* Woken between park and suspend: resume now that it is suspended. */
            atomic_store(&x->state, SSE_RUN);
            MHD_resume_connection(x->conn);
        } else if (atomic_load(&s->stopping)) {
            /* http_stop may have swept the streams before we were SUSP. */
            sse_wake(x);
        }
        return 0;
    }
}

/* Make the socket send each write at once (libmicrohttpd may have left it
 * corked, and direct writes are small) and bound what the kernel holds for
 * a reader that does not keep up (autotuning would let it grow to
 * megabytes a stream); past that the stream waits in libmicrohttpd and
 * then in the hub's ring. Once per stream. */
static void sse_fd_push(sse *x)
{
    int off = 0, on = 1, sndbuf = SSE_SNDBUF;
    (void)setsockopt(x->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    (void)setsockopt(x->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    (void)setsockopt(x->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    x->fd_pushes = true;
}

/* Write x's frames to its socket until it has none (park it again) or the
 * socket cannot take them (hand it back to libmicrohttpd, which waits for
 * the socket and then reads the rest through sse_read). The writer owns x
 * (state SSE_WRITE); x's connection is suspended throughout. */
static void sse_write(sse *x, uint64_t *sends, uint64_t *handbacks)
{
    http_server *s = x->srv;
    if (x->fd < 0) { /* TLS: only its resume is done here, off the publisher's thread */
        atomic_store(&x->state, SSE_RUN);
        MHD_resume_connection(x->conn);
        return;
    }
    if (!x->fd_pushes) sse_fd_push(x);
    for (;;) {
        if (atomic_load(&s->stopping) || atomic_load(&s->wr_stop)) break;
        if (x->toff == x->tlen) {
            x->toff = x->tlen = 0;
            long n = sse_fill(x, x->out, sizeof x->out);
            if (n < 0) break; /* over: libmicrohttpd ends it */
            if (n == 0) {
                atomic_store(&x->state, SSE_PARKING);
                if (!x->st.park(x->st.ctx, sse_wake, x)) {
                    atomic_store(&x->state, SSE_WRITE);
                    continue;
                }
                int expect = SSE_PARKING;
                if (atomic_compare_exchange_strong(&x->state, &expect, SSE_SUSP)) {
                    /* http_stop may have swept the streams before we were SUSP */
                    if (atomic_load(&s->stopping)) sse_wake(x);
                    return;
                }
                atomic_store(&x->state, SSE_WRITE); /* woken while parking */
                continue;
            }
            x->tlen = (uint32_t)n;
        }
        ssize_t k = send(x->fd, x->out + x->toff, x->tlen - x->toff, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k <= 0) break; /* full, or an error libmicrohttpd will meet and close on */
        x->toff += (uint32_t)k;
        ++*sends;
    }
    ++*handbacks;
    atomic_store(&x->state, SSE_RUN);
    MHD_resume_connection(x->conn);
}

/* A writer thread: takes its whole ready stack, oldest first, and writes
 * each stream; sleeps on its eventfd when the stack is empty. At stop it
 * hands back whatever is left. */
static void *sse_writer_main(void *arg)
{
    sse_writer *w = arg;
    pthread_setname_np(pthread_self(), "ws-sse-writer");
    for (;;) {
        sse *list = atomic_exchange_explicit(&w->ready, NULL, memory_order_acquire);
        if (!list) {
            if (atomic_load(&w->srv->wr_exit)) break;
            uint64_t n;
            if (read(w->efd, &n, sizeof n) < 0 && errno != EINTR && errno != EAGAIN) break;
            continue;
        }
        sse *fifo = NULL; /* the stack is newest first */
        while (list) {
            sse *nx = list->qnext;
            list->qnext = fifo;
            fifo = list;
            list = nx;
        }
        uint64_t sends = 0, handbacks = 0;
        while (fifo) {
            sse *nx = fifo->qnext;
            sse_write(fifo, &sends, &handbacks);
            fifo = nx;
        }
        http_metrics_stream_io(w->srv->metrics, sends, handbacks);
    }
    return NULL;
}

/* Stop the writers: from now on sse_wake resumes streams itself; once no
 * push can be under way, the writers hand back what is on their stacks and
 * end. */
static void sse_writers_stop(http_server *s)
{
    atomic_store(&s->wr_stop, true);
    while (atomic_load(&s->wr_pushers) > 0) sched_yield();
    atomic_store(&s->wr_exit, true);
    for (int i = 0; i < s->nwr; i++) {
        sse_writer *w = &s->wr[i];
        if (!w->on) continue;
        uint64_t one = 1;
        if (write(w->efd, &one, sizeof one) < 0) { /* see sse_push */ }
        pthread_join(w->th, NULL);
        w->on = false;
    }
}

static void sse_free(void *cls)
{
    sse *x = cls;
    http_server *s = x->srv;
    pthread_mutex_lock(&s->smu);
    if (x->prev) x->prev->next = x->next;
    else s->streams = x->next;
    if (x->next) x->next->prev = x->prev;
    pthread_mutex_unlock(&s->smu);
    if (x->st.free) x->st.free(x->st.ctx); /* no stream wake after this */
    free(x);
    http_metrics_streams(s->metrics, -1);
    atomic_fetch_sub(&s->nstreams, 1);
}

/* Resume every parked stream (due ones only when due_only): the ping timer
 * and shutdown. */
static void sse_sweep(http_server *s, bool due_only)
{
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&s->smu);
    for (sse *x = s->streams; x; x = x->next)
        if (!due_only || now >= atomic_load(&x->ping_at)) sse_wake(x);
    pthread_mutex_unlock(&s->smu);
}

/* End the suspended streams whose client hung up: one poll(2) over their
 * sockets, and each one found closed is marked gone and woken, so that its
 * writer or libmicrohttpd ends it (sse_fill says -1) and the connection is
 * let go. Without this a console that left kept its socket and its hub
 * subscription until the next frame or ping (up to 15 s), and a crowd of
 * consoles reconnecting at once held two sockets each for that long. A
 * suspended connection's socket stays open (libmicrohttpd closes none while
 * suspended); a stream that was resumed meanwhile and whose socket number
 * was reused is ending anyway. Under smu, on the timer thread. */
static void sse_reap(http_server *s)
{
    size_t n = 0;
    for (sse *x = s->streams; x; x = x->next) {
        if (x->sock < 0 || atomic_load(&x->state) != SSE_SUSP) continue;
        if (n == s->hup_cap) {
            size_t cap = s->hup_cap ? 2 * s->hup_cap : 256;
            struct pollfd *f = realloc(s->hup_fd, cap * sizeof *f);
            if (f) s->hup_fd = f;
            sse **o = f ? realloc(s->hup_of, cap * sizeof *o) : NULL;
            if (o) s->hup_of = o;
            if (!f || !o) break; /* out of memory: the rest waits for its ping */
            s->hup_cap = cap;
        }
        s->hup_fd[n] = (struct pollfd){.fd = x->sock, .events = POLLRDHUP};
        s->hup_of[n++] = x;
    }
    if (!n || poll(s->hup_fd, (nfds_t)n, 0) <= 0) return;
    uint64_t gone = 0;
    for (size_t i = 0; i < n; i++)
        if (s->hup_fd[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
            atomic_store(&s->hup_of[i]->gone, true);
            sse_wake(s->hup_of[i]);
            gone++;
        }
    http_metrics_streams_hung_up(s->metrics, gone);
}

static void *sse_timer(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->smu);
    while (!s->timer_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->tcond, &s->smu, &ts);
        if (s->timer_stop) break;
        sse_reap(s);
        pthread_mutex_unlock(&s->smu);
        sse_sweep(s, true);
        pthread_mutex_lock(&s->smu);
    }
    pthread_mutex_unlock(&s->smu);
    return NULL;
}

/* Answer with resp->stream (taken; resp freed). */
static enum MHD_Result send_stream(const listener *l, struct MHD_Connection *conn, reqctx *rq,
                                   api_resp *resp)
{
    http_server *s = l->srv;
    sse *x = calloc(1, sizeof *x);
    if (!x) {
        resp->stream.free(resp->stream.ctx);
        memset(&resp->stream, 0, sizeof resp->stream);
        ws_fail(WS_ENOMEM, NULL, "out of memory");
        api_error(resp, WS_ENOMEM);
        return send_api(l, conn, rq, resp);
    }
    x->srv = s;
    x->conn = conn;
    x->st = resp->stream;
    memset(&resp->stream, 0, sizeof resp->stream);
    atomic_init(&x->state, SSE_RUN);
    atomic_init(&x->ping_at, clock_mono_ms() + SSE_PING_MS);
    x->fd = -1;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    x->sock = ci ? ci->connect_fd : -1;
    if (s->nwr > 0) x->wr = &s->wr[atomic_fetch_add(&s->wr_turn, 1) % (unsigned)s->nwr];
    if (!l->tls && x->wr) x->fd = x->sock;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read, x, sse_free);
    /* Direct writes need the body as a plain byte stream: no chunks, and
     * the stream ends by closing the connection. */
    if (r && x->fd >= 0 &&
        MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END) != MHD_YES)
        x->fd = -1;
    if (!r) {
        x->st.free(x->st.ctx);
        free(x);
        api_resp_free(resp);
        return MHD_NO;
    }
    atomic_fetch_add(&s->nstreams, 1);
    http_metrics_streams(s->metrics, 1);
    pthread_mutex_lock(&s->smu);
    x->next = s->streams;
    if (s->streams) s->streams->prev = x;
    s->streams = x;
    pthread_mutex_unlock(&s->smu);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    for (int i = 0; i < resp->nheaders && i < API_MAX_HEADERS; i++)
        if (resp->hname[i] && resp->hvalue[i]) MHD_add_response_header(r, resp->hname[i], resp->hvalue[i]);
    api_resp_free(resp);
    return send_reply(l, conn, rq, 200, r, false);
}

/* ---- the request life cycle --------------------------------------------- */

static const char *lookup_header(void *hctx, const char *name)
{
    return MHD_lookup_connection_value(hctx, MHD_HEADER_KIND, name);
}

/* A query argument; "" for "?flag" without a value, NULL when absent. */
static const char *lookup_query(void *hctx, const char *name)
{
    const char *v = NULL;
    size_t vlen = 0;
    if (MHD_lookup_connection_value_n(hctx, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, &vlen) !=
        MHD_YES)
        return NULL;
    return v ? v : "";
}

static bool is_get(const char *method) { return !strcmp(method, "GET") || !strcmp(method, "HEAD"); }

static enum MHD_Result serve_healthz(const listener *l, struct MHD_Connection *conn, reqctx *rq)
{
    static const char body[] = "{\"status\":\"ok\",\"version\":\"" WS_VERSION "\"}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE);
    return send_reply(l, conn, rq, MHD_HTTP_OK, r, true);
}

static enum MHD_Result serve_metrics(const listener *l, struct MHD_Connection *conn, reqctx *rq)
{
    http_server *s = l->srv;
    buf b = BUF_INIT(4u << 20);
    if (http_metrics_render(s->metrics, s->db, &b)) {
        buf_free(&b);
        return send_text(l, conn, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable\n", NULL);
    }
    size_t len = b.len;
    char *data = buf_steal(&b);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!r) free(data);
    else MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    return send_reply(l, conn, rq, MHD_HTTP_OK, r, true);
}

/* The query parameters seen so far (the first QUERY_KEYS_MAX names are
 * compared; libmicrohttpd keeps the strings for the connection). */
#define QUERY_KEYS_MAX 32
typedef struct {
    api_req *req;
    const char *key[QUERY_KEYS_MAX];
    size_t klen[QUERY_KEYS_MAX];
    int n;
} query_scan;

/* MHD_get_connection_values_n's callback: stops at the first query
 * parameter that is not UTF-8, or given twice, and names it in the request. */
static enum MHD_Result find_bad_query(void *arg, enum MHD_ValueKind kind, const char *key, size_t klen,
                                      const char *value, size_t vlen)
{
    (void)kind;
    query_scan *q = arg;
    bool key_ok = org_utf8_valid(key, klen);
    if (!key_ok || (value && !org_utf8_valid(value, vlen))) {
        q->req->bad_query = key_ok ? key : "query";
        return MHD_NO;
    }
    for (int i = 0; i < q->n; i++)
        if (q->klen[i] == klen && !memcmp(q->key[i], key, klen)) {
            q->req->bad_query = key;
            q->req->query_repeated = true;
            return MHD_NO;
        }
    if (q->n < QUERY_KEYS_MAX) {
        q->key[q->n] = key;
        q->klen[q->n++] = klen;
    }
    return MHD_YES;
}

/* Last call: the whole body is in rq->body. */
static enum MHD_Result dispatch(const listener *l, struct MHD_Connection *conn, const char *url,
                                const char *method, reqctx *rq)
{
    api_req req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.body = rq->body.len ? rq->body.data : NULL;
    req.body_len = rq->body.len;
    for (int i = 0; i < rq->m.nparams; i++) req.params[i] = rq->m.params[i];
    req.nparams = rq->m.nparams;
    req.header = lookup_header;
    req.query = lookup_query;
    req.hctx = conn;
    query_scan qs = {.req = &req};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, find_bad_query, &qs);
    req.tls = l->tls;
    /* the peer's address, numeric (camera allow-lists); never logged with a request */
    char peer[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, peer, sizeof peer);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof peer);
    }
    req.peer = peer;
    api_resp resp;
    api_resp_init(&resp);
    ws_err_clear();
    api_dispatch(rq->r, &req, &resp);
    buf_free(&rq->body);
    if (resp.stream.next) {
        if (resp.status == 200) return send_stream(l, conn, rq, &resp);
        if (resp.stream.free) resp.stream.free(resp.stream.ctx);
        memset(&resp.stream, 0, sizeof resp.stream);
    }
    return send_api(l, conn, rq, &resp);
}

/* First call: headers are in, no body read yet. Decide what the request is;
 * answer only an oversized declared body now (libmicrohttpd closes the
 * connection after a reply queued this early, which is what a 413 wants, and
 * keeps it alive otherwise). */
static enum MHD_Result begin(const listener *l, struct MHD_Connection *conn, const char *url,
                             const char *method, reqctx *rq)
{
    http_server *s = l->srv;
    if (!strncmp(url, "/api/", 5) || !strcmp(url, "/api")) {
        switch (http_router_match(s->router, method, url, &rq->m)) {
        case HTTP_MATCH_NOT_FOUND:
            rq->route = http_metrics_extra(s->metrics, HTTP_R_UNMATCHED);
            rq->kind = K_API_NOT_FOUND;
            return MHD_YES;
        case HTTP_MATCH_METHOD:
            rq->route = http_metrics_extra(s->metrics, HTTP_R_UNMATCHED);
            rq->kind = K_API_METHOD;
            return MHD_YES;
        case HTTP_MATCH_OK:
            break;
        }
        rq->kind = K_API;
        rq->route = rq->m.route;
        rq->r = s->routes[rq->m.route];
        size_t cap = rq->r->max_body ? rq->r->max_body : s->max_body;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *e;
            errno = 0;
            unsigned long long n = strtoull(cl, &e, 10);
            if (errno || *e || n > cap) {
                /* At once when the client waits for "100 Continue" or the body
                 * is too large to read through. Otherwise it is read and
                 * dropped, and the 413 comes at its end: a reply queued while
                 * the client still sends is often lost to the reset that a
                 * close with unread data causes. */
                const char *ex = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
                if (errno || *e || n - cap > DRAIN_MAX || (ex && !strcasecmp(ex, "100-continue"))) {
                    ws_fail(WS_ETOOBIG, "body", "the request body is larger than %zu bytes", cap);
                    return send_error(l, conn, rq, WS_ETOOBIG, MHD_HTTP_HEADER_CONNECTION, "close");
                }
                rq->too_big = true;
            } else {
                rq->declared = (size_t)n;
            }
        }
        buf_init(&rq->body, cap);
        return MHD_YES;
    }
    if (!strcmp(url, "/healthz")) {
        rq->route = http_metrics_extra(s->metrics, HTTP_R_HEALTHZ);
        rq->kind = is_get(method) ? K_HEALTHZ : K_TEXT_METHOD;
    } else if (!strcmp(url, "/metrics")) {
        rq->route = http_metrics_extra(s->metrics, HTTP_R_METRICS);
        rq->kind = is_get(method) ? K_METRICS : K_TEXT_METHOD;
    } else {
        rq->route = http_metrics_extra(s->metrics, HTTP_R_STATIC);
        rq->kind = is_get(method) ? K_STATIC : K_TEXT_METHOD;
    }
    return MHD_YES;
}

/* Last call, the body (if any) is in: answer according to rq->kind. */
static enum MHD_Result respond(const listener *l, struct MHD_Connection *conn, const char *url,
                               const char *method, reqctx *rq)
{
    http_server *s = l->srv;
    switch (rq->kind) {
    case K_API:
        if (rq->too_big) {
            ws_fail(WS_ETOOBIG, "body", "the request body is larger than %zu bytes", rq->body.cap);
            return send_error(l, conn, rq, WS_ETOOBIG, MHD_HTTP_HEADER_CONNECTION, "close");
        }
        if (rq->over_budget) {
            ws_fail(WS_ERATE, NULL, "the server is receiving too many uploads; retry shortly");
            return send_error(l, conn, rq, WS_ERATE, MHD_HTTP_HEADER_RETRY_AFTER, "2");
        }
        return dispatch(l, conn, url, method, rq);
    case K_API_NOT_FOUND:
        ws_fail(WS_ENOTFOUND, NULL, "no API route at this path");
        return send_error(l, conn, rq, WS_ENOTFOUND, NULL, NULL);
    case K_API_METHOD:
        ws_fail(WS_EMETHOD, NULL, "method %.16s is not allowed here; allowed: %s", method, rq->m.allow);
        return send_error(l, conn, rq, WS_EMETHOD, MHD_HTTP_HEADER_ALLOW, rq->m.allow);
    case K_HEALTHZ:
        return serve_healthz(l, conn, rq);
    case K_METRICS:
        return serve_metrics(l, conn, rq);
    case K_STATIC: {
        int status = 404;
        const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        struct MHD_Response *r = http_static_response(s->web_dir, url, inm, &status);
        return send_reply(l, conn, rq, status, r, false);
    }
    case K_TEXT_METHOD:
        break;
    }
    return send_text(l, conn, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    listener *l = cls;
    reqctx *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        rq->t0 = clock_mono_ns();
        rq->route = -1;
        snprintf(rq->method, sizeof rq->method, "%s", strlen(method) < sizeof rq->method ? method : "other");
        *con_cls = rq;
        atomic_fetch_add(&l->srv->in_flight, 1);
        http_metrics_in_flight(l->srv->metrics, 1);
        return begin(l, conn, url, method, rq);
    }
    if (rq->status) { /* already answered (e.g. 413): drop whatever else comes */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Only API routes read a body; anything else sent is dropped. */
        size_t n = *upload_size;
        if (rq->kind == K_API && !rq->too_big && !rq->over_budget) {
            http_server *s = l->srv;
            /* The declared length is held (and allocated) from the first
             * byte, so a body is copied once, not regrown as it arrives. */
            size_t hold = rq->body.len + n > rq->declared ? rq->body.len + n : rq->declared;
            size_t extra = hold - rq->reserved;
            if (extra && atomic_fetch_add(&s->body_bytes, extra) + extra > BODY_BUDGET) {
                atomic_fetch_sub(&s->body_bytes, extra);
                rq->over_budget = true;
            } else {
                rq->reserved = hold;
                if ((!rq->body.alloc && buf_reserve(&rq->body, hold)) ||
                    buf_append(&rq->body, upload, n))
                    rq->too_big = true;
            }
            if (rq->too_big || rq->over_budget) buf_free(&rq->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return respond(l, conn, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    listener *l = cls;
    reqctx *rq = *con_cls;
    if (!rq) return;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        char why[16];
        snprintf(why, sizeof why, "%d", (int)toe);
        log_debug("request ended early", "method", rq->method, "route", rq->r ? rq->r->pattern : "-",
                  "termination", why);
    }
    buf_free(&rq->body);
    if (rq->reserved) atomic_fetch_sub(&l->srv->body_bytes, rq->reserved);
    free(rq);
    *con_cls = NULL;
    http_metrics_in_flight(l->srv->metrics, -1);
    atomic_fetch_sub(&l->srv->in_flight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
    const listener *l = cls;
    log_warn("libmicrohttpd", "listener", l->tls ? "https" : "http", "detail", msg);
}

/* ---- start and stop ------------------------------------------------------ */

static ws_err start_listener(http_server *s, int which, const char *addr, unsigned threads)
{
    listener *l = &s->l[which];
    const char *field = which == L_TLS ? "listen_tls" : "listen";
    struct sockaddr_storage ss;
    bool loop;
    ws_err rc = http_parse_listen(addr, field, &ss, &loop);
    if (rc) return rc;
    if (which == L_PLAIN && !loop)
        return ws_fail(WS_EINVAL, "listen",
                       "%s: plain HTTP listens on loopback only (127.0.0.0/8, ::1); "
                       "use listen_tls for other addresses",
                       addr);
    l->srv = s;
    l->tls = which == L_TLS;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    struct MHD_OptionItem ops[16];
    int n = 0;
#define OPT(o, v, p) ops[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
    OPT(MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l); /* first, so it sees every message */
    OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT, NULL);
    /* Per-connection pool for request headers and reply headers: 16 KiB
     * takes ~12 KiB of request headers (431 beyond) and halves the pool
     * clearing libmicrohttpd does on every request (measured with perf). */
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, NULL);
    OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL);
    /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: on Linux it sets SO_REUSEPORT,
     * which lets a second server bind the same port and silently take half
     * the connections. The default (SO_REUSEADDR) already allows a restart
     * while old connections sit in TIME_WAIT. */
    OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, l);
    if (l->tls) {
        flags |= MHD_USE_TLS;
        OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem);
        OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem);
        OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    if (!l->d)
        return ws_fail(WS_EIO, field, "cannot listen on %s (address in use, or a bad certificate?)", addr);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
    l->port = di ? di->port : 0;
    return WS_OK;
}

static void free_server(http_server *s)
{
    if (s->key_pem) {
        explicit_bzero(s->key_pem, strlen(s->key_pem));
        free(s->key_pem);
    }
    free(s->cert_pem);
    free(s->web_dir);
    free(s->hup_fd);
    free(s->hup_of);
    http_router_free(s->router);
    http_metrics_free(s->metrics);
    for (int i = 0; i < SSE_WRITERS_MAX; i++)
        if (s->wr[i].efd >= 0) close(s->wr[i].efd);
    pthread_cond_destroy(&s->tcond);
    pthread_mutex_destroy(&s->smu);
    free(s);
}

/* Raise the open-file limit to its hard limit: each event stream holds a
 * socket, and the default soft limit (1,024) would stop at a few hundred. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    char a[24], b[24];
    snprintf(a, sizeof a, "%llu", (unsigned long long)was);
    snprintf(b, sizeof b, "%llu", (unsigned long long)rl.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) log_warn("cannot raise the open-file limit", "soft", a);
    else log_debug("open-file limit raised", "from", a, "to", b);
    if (rl.rlim_max < 2 * CONN_LIMIT)
        log_info("the open-file hard limit caps live streams", "limit", b);
}

ws_err http_start(const http_config *cfg, http_server **out)
{
    *out = NULL;
    if (!cfg->listen && !cfg->listen_tls)
        return ws_fail(WS_EINVAL, "listen", "nothing to listen on: set listen or listen_tls");
    http_server *s = calloc(1, sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = WS_OK;
    pthread_mutex_init(&s->smu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->tcond, &ca);
    pthread_condattr_destroy(&ca);
    for (int i = 0; i < SSE_WRITERS_MAX; i++) s->wr[i].efd = -1;
    raise_nofile();
    s->max_body = cfg->max_body ? cfg->max_body : (size_t)1 << 20;
    s->db = cfg->db;
    if (cfg->web_dir && !(s->web_dir = strdup(cfg->web_dir))) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto fail;
    }
    s->routes = api_route_table(&s->nroutes);
    if ((rc = http_router_build(s->routes, s->nroutes, &s->router))) goto fail;
    if ((rc = http_metrics_new(s->routes, s->nroutes, &s->metrics))) goto fail;

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cfg->threads > 0 ? cfg->threads : (int)(cpus > 0 ? cpus : 1) * 2;
    if (cfg->threads <= 0 && threads < 4) threads = 4;
    if (threads > 256) threads = 256;

    /* writers first: a stream may open as soon as a listener is up */
    s->nwr = (int)(cpus > SSE_WRITERS_MAX ? SSE_WRITERS_MAX : cpus < SSE_WRITERS_MIN ? SSE_WRITERS_MIN : cpus);
    for (int i = 0; i < s->nwr; i++) {
        sse_writer *w = &s->wr[i];
        w->srv = s;
        w->efd = eventfd(0, EFD_CLOEXEC);
        if (w->efd < 0 || pthread_create(&w->th, NULL, sse_writer_main, w) != 0) {
            rc = ws_fail(WS_EINTERNAL, NULL, "cannot start the stream writer threads");
            goto fail;
        }
        w->on = true;
    }
    if (cfg->listen_tls &&
        (rc = http_tls_load(cfg->cert_path, cfg->key_path, &s->cert_pem, &s->key_pem)))
        goto fail;
    /* HTTPS first: once the plain listener answers (a health check on
     * loopback), every listener is up */
    if (cfg->listen_tls && (rc = start_listener(s, L_TLS, cfg->listen_tls, (unsigned)threads)))
        goto fail;
    if (cfg->listen && (rc = start_listener(s, L_PLAIN, cfg->listen, (unsigned)threads))) goto fail;
    if (pthread_create(&s->timer, NULL, sse_timer, s) != 0) {
        rc = ws_fail(WS_EINTERNAL, NULL, "cannot start the stream timer thread");
        goto fail;
    }
    s->timer_on = true;
    char nt[16];
    snprintf(nt, sizeof nt, "%d", threads);
    log_info("http listening", "http", cfg->listen ? cfg->listen : "off", "https",
             cfg->listen_tls ? cfg->listen_tls : "off", "threads", nt);
    *out = s;
    return WS_OK;
fail:
    for (int i = 0; i < 2; i++)
        if (s->l[i].d) MHD_stop_daemon(s->l[i].d);
    sse_writers_stop(s);
    free_server(s);
    return rc;
}

void http_stop(http_server *s)
{
    if (!s) return;
    atomic_store(&s->stopping, true);
    MHD_socket ls[2] = {MHD_INVALID_SOCKET, MHD_INVALID_SOCKET};
    for (int i = 0; i < 2; i++)
        if (s->l[i].d) ls[i] = MHD_quiesce_daemon(s->l[i].d);
    /* Streams end at their next read (sse_read sees stopping); parked ones
     * are resumed here, and one that parks after this sweep resumes itself.
     * They do not hold up the wait for ordinary requests. */
    sse_sweep(s, false);
    int64_t until = clock_mono_ms() + STOP_WAIT_MS;
    while (atomic_load(&s->in_flight) > atomic_load(&s->nstreams) && clock_mono_ms() < until) {
        struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    /* Give the streams a moment to send their last chunk and close. */
    int64_t streams_until = clock_mono_ms() + 2000;
    while (atomic_load(&s->nstreams) > 0 && clock_mono_ms() < streams_until) {
        sse_sweep(s, false);
        struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    if (s->timer_on) {
        pthread_mutex_lock(&s->smu);
        s->timer_stop = true;
        pthread_cond_signal(&s->tcond);
        pthread_mutex_unlock(&s->smu);
        pthread_join(s->timer, NULL);
        s->timer_on = false;
    }
    sse_writers_stop(s); /* before the daemons: a writer may hold a stream */
    int left = atomic_load(&s->in_flight) - atomic_load(&s->nstreams);
    if (left > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", left);
        log_warn("stopping with requests still in flight", "requests", n);
    }
    for (int i = 0; i < 2; i++) {
        if (s->l[i].d) MHD_stop_daemon(s->l[i].d);
        if (ls[i] != MHD_INVALID_SOCKET) close(ls[i]);
    }
    free_server(s);
}

int http_port(const http_server *s, bool tls) { return s ? s->l[tls ? L_TLS : L_PLAIN].port : 0; }
