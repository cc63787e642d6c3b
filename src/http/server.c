/* server.c — libmicrohttpd daemons and the request life cycle; see http.h.
 *
 * One daemon per listener (plain HTTP on loopback, HTTPS), each an epoll
 * thread pool. libmicrohttpd calls on_request() several times per request:
 *
 *   first call (headers read)  -> begin(): classify the request (req_kind)
 *       /api/...   router match (API route, 404 or 405); a Content-Length
 *                  over max_body is answered with 413 at once and the
 *                  connection closed; otherwise a capped body buffer is set up
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
 * (stop accepting), answer with "Connection: close" from then on, wait for
 * the requests in flight (at most 10 s), then stop the daemons. */
#include "http/http.h"
#include "http/http_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define CSP "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; " \
            "frame-ancestors 'none'; base-uri 'self'"
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define STOP_WAIT_MS 10000
/* All request bodies being received at once may hold at most this much
 * memory; past it new body bytes get 429 (the client retries), so many slow
 * uploads cannot exhaust memory even though each is under max_body. */
#define BODY_BUDGET ((size_t)256 << 20)

enum { L_PLAIN = 0, L_TLS = 1 };

typedef struct listener {
    struct http_server *srv;
    struct MHD_Daemon *d;
    bool tls;
    int port;
} listener;

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
    req.tls = l->tls;
    api_resp resp;
    api_resp_init(&resp);
    ws_err_clear();
    api_dispatch(rq->r, &req, &resp);
    buf_free(&rq->body);
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
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *e;
            errno = 0;
            unsigned long long n = strtoull(cl, &e, 10);
            size_t cap = rq->r->max_body ? rq->r->max_body : s->max_body;
            if (errno || *e || n > cap) {
                ws_fail(WS_ETOOBIG, "body", "the request body is larger than %zu bytes", cap);
                return send_error(l, conn, rq, WS_ETOOBIG, MHD_HTTP_HEADER_CONNECTION, "close");
            }
        }
        buf_init(&rq->body, rq->r->max_body ? rq->r->max_body : s->max_body);
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
            if (atomic_fetch_add(&s->body_bytes, n) + n > BODY_BUDGET) {
                atomic_fetch_sub(&s->body_bytes, n);
                rq->over_budget = true;
            } else {
                rq->reserved += n;
                if (buf_append(&rq->body, upload, n)) rq->too_big = true;
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
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    struct MHD_OptionItem ops[16];
    int n = 0;
#define OPT(o, v, p) ops[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
    OPT(MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l); /* first, so it sees every message */
    OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, 4096, NULL);
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
    http_router_free(s->router);
    http_metrics_free(s->metrics);
    free(s);
}

ws_err http_start(const http_config *cfg, http_server **out)
{
    *out = NULL;
    if (!cfg->listen && !cfg->listen_tls)
        return ws_fail(WS_EINVAL, "listen", "nothing to listen on: set listen or listen_tls");
    http_server *s = calloc(1, sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = WS_OK;
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

    if (cfg->listen_tls &&
        (rc = http_tls_load(cfg->cert_path, cfg->key_path, &s->cert_pem, &s->key_pem)))
        goto fail;
    if (cfg->listen && (rc = start_listener(s, L_PLAIN, cfg->listen, (unsigned)threads))) goto fail;
    if (cfg->listen_tls && (rc = start_listener(s, L_TLS, cfg->listen_tls, (unsigned)threads)))
        goto fail;
    char nt[16];
    snprintf(nt, sizeof nt, "%d", threads);
    log_info("http listening", "http", cfg->listen ? cfg->listen : "off", "https",
             cfg->listen_tls ? cfg->listen_tls : "off", "threads", nt);
    *out = s;
    return WS_OK;
fail:
    for (int i = 0; i < 2; i++)
        if (s->l[i].d) MHD_stop_daemon(s->l[i].d);
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
    int64_t until = clock_mono_ms() + STOP_WAIT_MS;
    while (atomic_load(&s->in_flight) > 0 && clock_mono_ms() < until) {
        struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    int left = atomic_load(&s->in_flight);
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
