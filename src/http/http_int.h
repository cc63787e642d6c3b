/* http_int.h — internals of the HTTP module shared by its files and its unit
 * test: the router (router.c), static-file path rules (static.c) and the
 * request counters behind /metrics (metrics.c). Not for other modules. */
#ifndef WS_HTTP_INT_H
#define WS_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <sys/socket.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

/* ---- router ------------------------------------------------------------
 * Built once at start from the route table: each pattern is split into
 * literal and {param} segments. Matching splits the request path in place
 * (offsets on the stack) and allocates nothing. When several patterns fit,
 * the one with a literal segment earliest wins ("/x/new" before "/x/{id}"). */
#define HTTP_MAX_SEGS 16
#define HTTP_PARAM_BUF 256

typedef struct http_router http_router;

typedef enum {
    HTTP_MATCH_OK = 0,     /* m->route and m->params are set */
    HTTP_MATCH_NOT_FOUND,  /* no pattern fits the path */
    HTTP_MATCH_METHOD,     /* a pattern fits but not with this method; m->allow lists them */
} http_match_kind;

typedef struct http_match {
    int route;                            /* index into the table given to build */
    const char *params[API_MAX_PARAMS];   /* point into pbuf, NUL-terminated */
    int nparams;
    char pbuf[HTTP_PARAM_BUF];
    char allow[64];                       /* "GET, PATCH" for the Allow header */
} http_match;

/* Check and compile the patterns. Fails with WS_EINTERNAL (detail names the
 * pattern) on a malformed pattern, too many parameters or segments, or two
 * routes with the same method and the same shape. The router borrows the
 * route array (static tables). Caller owns *out (http_router_free). */
ws_err http_router_build(const api_route *const *routes, size_t n, http_router **out);
void http_router_free(http_router *r);
/* Match method and path (no query string). HEAD matches GET routes. */
http_match_kind http_router_match(const http_router *r, const char *method, const char *path,
                                  http_match *m);

/* ---- listen addresses --------------------------------------------------
 * "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8443", ":8443" (any IPv4),
 * "localhost:8080". Numeric only. Fails with WS_EINVAL naming field.
 * *loopback is true for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
ws_err http_parse_listen(const char *addr, const char *field, struct sockaddr_storage *ss,
                         bool *loopback);

/* ---- TLS ----------------------------------------------------------------
 * Read the PEM certificate and key (at most 1 MiB each) into NUL-terminated
 * strings for libmicrohttpd; warns in the log when the certificate expires
 * within 30 days. Caller frees both (and wipes the key). */
ws_err http_tls_load(const char *cert_path, const char *key_path, char **cert, char **key);

/* ---- static files ------------------------------------------------------ */
/* Map a URL path to a file below web_dir: "/" is "/index.html". Refuses
 * (returns -1) a path that does not start with '/', or has an empty, "." or
 * ".." segment, a segment starting with '.', a backslash or a control byte,
 * or does not fit in cap. Returns 0 and writes web_dir + path into out. */
int http_static_path(const char *web_dir, const char *url, char *out, size_t cap);
/* Content type for a file name by its extension; static string. */
const char *http_content_type(const char *name);
/* True when the last segment of the URL has no dot: a page route of the
 * single-page app, answered with index.html when no such file exists. */
bool http_is_page_route(const char *url);
/* The reply for a GET/HEAD of url: the file, index.html for a page route, a
 * 304 when inm (If-None-Match, may be NULL) names the current ETag, or a
 * plain 404. Sets *status. Caller queues and destroys; NULL when out of
 * memory. */
struct MHD_Response *http_static_response(const char *web_dir, const char *url, const char *inm,
                                          int *status);

/* ---- metrics ------------------------------------------------------------
 * Counters indexed by route x method x status slot, and a latency histogram
 * per route; plain relaxed atomics, no locks. Route indices are the API
 * routes 0..n-1 followed by the HTTP_R_* extras. */
enum {
    HTTP_R_UNMATCHED = 0, /* under /api/ but no route (404/405) */
    HTTP_R_STATIC,
    HTTP_R_HEALTHZ,
    HTTP_R_METRICS,
    HTTP_R_EXTRA
};

typedef struct http_metrics http_metrics;

/* Borrows the route array. Caller owns *out (http_metrics_free). */
ws_err http_metrics_new(const api_route *const *routes, size_t n, http_metrics **out);
void http_metrics_free(http_metrics *m);
/* Index of the extra route e (HTTP_R_*). */
int http_metrics_extra(const http_metrics *m, int e);
/* Count one answered request. route < 0 is ignored. */
void http_metrics_record(http_metrics *m, int route, const char *method, int status,
                         int64_t duration_ns);
void http_metrics_in_flight(http_metrics *m, int delta);
/* Live streams: open ones (delta), and what the writers did: frames sent
 * directly, streams handed back to libmicrohttpd (server.c). */
void http_metrics_streams(http_metrics *m, int delta);
void http_metrics_stream_io(http_metrics *m, uint64_t direct_sends, uint64_t handbacks);
/* Parked streams ended because their client hung up (server.c, sse_reap). */
void http_metrics_streams_hung_up(http_metrics *m, uint64_t n);
/* Append the Prometheus text exposition to out. db may be NULL. */
ws_err http_metrics_render(http_metrics *m, store *db, buf *out);

#endif
