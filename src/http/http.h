/* http.h — the HTTP server of worksafe: libmicrohttpd with an epoll thread
 * pool, plain HTTP on loopback and HTTPS (GnuTLS) for everything else.
 *
 * The server adapts libmicrohttpd to the API layer: it matches a request
 * against api_route_table(), fills an api_req and calls api_dispatch()
 * (src/api/api.h). Besides the API it answers /healthz, /metrics (Prometheus
 * text) and serves the built web assets from web_dir, adding the security
 * headers to every reply. It knows nothing of JSON shapes.
 *
 * Layering: core, store (for timings in /metrics) and api below; main.c above.
 * Internals (router, static files, metrics) are in http_int.h. */
#ifndef WS_HTTP_H
#define WS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

typedef struct http_config {
    /* Plain HTTP, e.g. "127.0.0.1:8080" or "[::1]:8080". Loopback only:
     * anything else is refused with WS_EINVAL naming "listen", because
     * HTTPS is mandatory off the machine. NULL = off. */
    const char *listen;
    /* HTTPS, e.g. "0.0.0.0:8443" or "[::]:8443"; NULL = off. */
    const char *listen_tls;
    const char *cert_path; /* PEM certificate (chain); required with listen_tls */
    const char *key_path;  /* PEM private key; required with listen_tls */
    const char *web_dir;   /* built web assets served at /; NULL = none */
    size_t max_body;       /* request body cap in bytes; 0 = 1 MiB */
    int threads;           /* worker threads per listener; 0 = 2 x CPUs, at least 4 */
    store *db;             /* borrowed, for store timings in /metrics; may be NULL */
} http_config;

typedef struct http_server http_server;

/* Start listening. The API must be initialised (api_init) first. cfg and
 * the strings in it are copied. Port 0 binds an ephemeral port (tests), see
 * http_port(). Caller owns *out and ends it with http_stop(). Errors:
 * WS_EINVAL (bad address, plain HTTP off loopback; field "listen" or
 * "listen_tls"), WS_EIO (certificate unreadable, port taken). */
ws_err http_start(const http_config *cfg, http_server **out);

/* Stop accepting connections, let the requests in flight finish (at most
 * a few seconds), then stop and free s. NULL is ignored. */
void http_stop(http_server *s);

/* The port a listener is bound to; 0 when that listener is off. */
int http_port(const http_server *s, bool tls);

/* More families for /metrics: fn appends Prometheus text to out (called on
 * the request's thread, must not block). Register before http_start; at
 * most 8; cleared with http_metrics_clear_sources at shutdown. */
typedef ws_err (*http_metrics_source_fn)(void *ctx, buf *out);
ws_err http_metrics_add_source(http_metrics_source_fn fn, void *ctx);
void http_metrics_clear_sources(void);

/* Make a self-signed certificate for the LAN (ECDSA P-256, SHA-256,
 * 825 days, SAN DNS:localhost, DNS:<hostname> (or IP when it is an address)
 * and IP:127.0.0.1), written as PEM to cert_path (mode 0644) and key_path
 * (mode 0600), each atomically (temporary file, rename). hostname may be
 * NULL (then gethostname()). Used by `worksafe init`. */
ws_err http_tls_selfsigned(const char *cert_path, const char *key_path, const char *hostname);

#endif
