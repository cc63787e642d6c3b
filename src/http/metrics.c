/* metrics.c — request counters and latency histograms behind /metrics, in
 * the Prometheus text format (version 0.0.4); see http_int.h.
 *
 * Every counter lives in one fixed array allocated at start, indexed by
 * route x method x status slot; the histogram by route x bucket. Recording is
 * a few relaxed atomic additions, no lock and no allocation, so the request
 * path never waits for a scrape. A scrape reads the counters one by one: the
 * totals may be a request apart, which Prometheus tolerates.
 *
 * Label sets are bounded: route is a pattern of the route table (never the
 * raw path) or one of "unmatched", "static", "/healthz", "/metrics"; method
 * one of eight names; status one of the codes below or "other". */
#include "http/http.h"
#include "http/http_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

static const char *const method_names[] = {"GET",   "HEAD",   "POST",    "PUT",
                                           "PATCH", "DELETE", "OPTIONS", "other"};
#define NMETHODS ((int)(sizeof method_names / sizeof method_names[0]))

static const int status_codes[] = {200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405,
                                   406, 409, 410, 411, 413, 414, 415, 422, 423, 429, 431, 500, 501,
                                   502, 503, 504};
#define NCODES ((int)(sizeof status_codes / sizeof status_codes[0]))
#define NSTATUS (NCODES + 1) /* the last slot is "other" */

/* Upper bounds of the latency buckets, in seconds and in nanoseconds. */
static const char *const bucket_le[] = {"0.001", "0.0025", "0.005", "0.01", "0.025",
                                        "0.05",  "0.1",    "0.25",  "0.5",  "1",
                                        "2.5",   "5",      "10"};
static const int64_t bucket_ns[] = {1000000,   2500000,   5000000,    10000000,   25000000,
                                    50000000,  100000000, 250000000,  500000000,  1000000000,
                                    2500000000, 5000000000, 10000000000};
#define NBUCKETS ((int)(sizeof bucket_ns / sizeof bucket_ns[0]))

static const char *const extra_names[HTTP_R_EXTRA] = {
    [HTTP_R_UNMATCHED] = "unmatched",
    [HTTP_R_STATIC] = "static",
    [HTTP_R_HEALTHZ] = "/healthz",
    [HTTP_R_METRICS] = "/metrics",
};

struct http_metrics {
    const api_route *const *routes;
    size_t nroutes; /* API routes */
    size_t ntotal;  /* API routes + HTTP_R_EXTRA */
    _Atomic uint64_t *count; /* [ntotal][NMETHODS][NSTATUS] */
    _Atomic uint64_t *hist;  /* [ntotal][NBUCKETS + 1], not cumulative */
    _Atomic uint64_t *sum_ns; /* [ntotal] */
    _Atomic int64_t in_flight;
    _Atomic int64_t streams;
    _Atomic uint64_t stream_sends, stream_handbacks, streams_hung_up;
    int64_t start_ms;
};

ws_err http_metrics_new(const api_route *const *routes, size_t n, http_metrics **out)
{
    *out = NULL;
    http_metrics *m = calloc(1, sizeof *m);
    if (!m) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    m->routes = routes;
    m->nroutes = n;
    m->ntotal = n + HTTP_R_EXTRA;
    m->count = calloc(m->ntotal * NMETHODS * NSTATUS, sizeof *m->count);
    m->hist = calloc(m->ntotal * (NBUCKETS + 1), sizeof *m->hist);
    m->sum_ns = calloc(m->ntotal, sizeof *m->sum_ns);
    if (!m->count || !m->hist || !m->sum_ns) {
        http_metrics_free(m);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    m->start_ms = clock_now_ms();
    *out = m;
    return WS_OK;
}

void http_metrics_free(http_metrics *m)
{
    if (!m) return;
    free(m->count);
    free(m->hist);
    free(m->sum_ns);
    free(m);
}

int http_metrics_extra(const http_metrics *m, int e) { return (int)m->nroutes + e; }

static int method_slot(const char *method)
{
    for (int i = 0; i < NMETHODS - 1; i++)
        if (!strcmp(method, method_names[i])) return i;
    return NMETHODS - 1;
}

static int status_slot(int status)
{
    for (int i = 0; i < NCODES; i++)
        if (status_codes[i] == status) return i;
    return NCODES;
}

void http_metrics_record(http_metrics *m, int route, const char *method, int status,
                         int64_t duration_ns)
{
    if (route < 0 || (size_t)route >= m->ntotal) return;
    size_t r = (size_t)route;
    size_t ci = (r * NMETHODS + (size_t)method_slot(method ? method : "")) * NSTATUS +
                (size_t)status_slot(status);
    atomic_fetch_add_explicit(&m->count[ci], 1, memory_order_relaxed);
    int b = 0;
    if (duration_ns < 0) duration_ns = 0;
    while (b < NBUCKETS && duration_ns > bucket_ns[b]) b++;
    atomic_fetch_add_explicit(&m->hist[r * (NBUCKETS + 1) + (size_t)b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_ns[r], (uint64_t)duration_ns, memory_order_relaxed);
}

void http_metrics_in_flight(http_metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->in_flight, delta, memory_order_relaxed);
}

/* Route label, escaped for the exposition format (backslash, quote, newline). */
void http_metrics_streams(http_metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->streams, delta, memory_order_relaxed);
}

void http_metrics_stream_io(http_metrics *m, uint64_t direct_sends, uint64_t handbacks)
{
    if (direct_sends) atomic_fetch_add_explicit(&m->stream_sends, direct_sends, memory_order_relaxed);
    if (handbacks) atomic_fetch_add_explicit(&m->stream_handbacks, handbacks, memory_order_relaxed);
}

void http_metrics_streams_hung_up(http_metrics *m, uint64_t n)
{
    if (n) atomic_fetch_add_explicit(&m->streams_hung_up, n, memory_order_relaxed);
}

static ws_err put_label(buf *out, const char *s)
{
    ws_err rc = WS_OK;
    for (; *s && !rc; s++) {
        if (*s == '\\' || *s == '"') rc = buf_putc(out, '\\');
        if (!rc) rc = *s == '\n' ? buf_puts(out, "\\n") : buf_putc(out, *s);
    }
    return rc;
}

static const char *route_name(const http_metrics *m, size_t r)
{
    return r < m->nroutes ? m->routes[r]->pattern : extra_names[r - m->nroutes];
}

/* More metric families from the modules (engine, MQTT, Modbus, outbox). */
#define MAX_SOURCES 8
static struct { http_metrics_source_fn fn; void *ctx; } sources[MAX_SOURCES];
static int nsources;

ws_err http_metrics_add_source(http_metrics_source_fn fn, void *ctx)
{
    if (nsources == MAX_SOURCES) return ws_fail(WS_ETOOBIG, "metrics", "too many metric sources");
    sources[nsources].fn = fn;
    sources[nsources].ctx = ctx;
    nsources++;
    return WS_OK;
}

void http_metrics_clear_sources(void) { nsources = 0; }

ws_err http_metrics_render(http_metrics *m, store *db, buf *out)
{
    ws_err rc = WS_OK;
#define P(...) do { if ((rc = buf_printf(out, __VA_ARGS__))) goto fail; } while (0)
#define L(s) do { if ((rc = put_label(out, (s)))) goto fail; } while (0)
    P("# HELP http_requests_total HTTP requests answered, by route pattern, method and status.\n"
      "# TYPE http_requests_total counter\n");
    for (size_t r = 0; r < m->ntotal; r++)
        for (int me = 0; me < NMETHODS; me++)
            for (int s = 0; s < NSTATUS; s++) {
                uint64_t v = atomic_load_explicit(&m->count[(r * NMETHODS + (size_t)me) * NSTATUS + (size_t)s],
                                                  memory_order_relaxed);
                if (!v) continue;
                P("http_requests_total{route=\"");
                L(route_name(m, r));
                if (s < NCODES) P("\",method=\"%s\",status=\"%d\"} %llu\n", method_names[me],
                                  status_codes[s], (unsigned long long)v);
                else P("\",method=\"%s\",status=\"other\"} %llu\n", method_names[me],
                       (unsigned long long)v);
            }

    P("# HELP http_request_duration_seconds Time from the request headers to the reply being ready to send.\n"
      "# TYPE http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < m->ntotal; r++) {
        uint64_t b[NBUCKETS + 1], total = 0;
        for (int i = 0; i <= NBUCKETS; i++) {
            b[i] = atomic_load_explicit(&m->hist[r * (NBUCKETS + 1) + (size_t)i], memory_order_relaxed);
            total += b[i];
        }
        if (!total) continue;
        uint64_t cum = 0;
        for (int i = 0; i <= NBUCKETS; i++) {
            cum += b[i];
            P("http_request_duration_seconds_bucket{route=\"");
            L(route_name(m, r));
            P("\",le=\"%s\"} %llu\n", i < NBUCKETS ? bucket_le[i] : "+Inf", (unsigned long long)cum);
        }
        uint64_t ns = atomic_load_explicit(&m->sum_ns[r], memory_order_relaxed);
        P("http_request_duration_seconds_sum{route=\"");
        L(route_name(m, r));
        P("\"} %.9f\n", (double)ns / 1e9);
        P("http_request_duration_seconds_count{route=\"");
        L(route_name(m, r));
        P("\"} %llu\n", (unsigned long long)total);
    }

    P("# HELP http_requests_in_flight Requests being processed now.\n"
      "# TYPE http_requests_in_flight gauge\n"
      "http_requests_in_flight %lld\n",
      (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
    P("# HELP http_streams_open Live event streams open now.\n"
      "# TYPE http_streams_open gauge\n"
      "http_streams_open %lld\n"
      "# HELP http_stream_direct_sends_total Stream writes sent by the stream writers, not libmicrohttpd.\n"
      "# TYPE http_stream_direct_sends_total counter\n"
      "http_stream_direct_sends_total %llu\n"
      "# HELP http_stream_handbacks_total Streams handed back to libmicrohttpd (socket full, closed, ended).\n"
      "# TYPE http_stream_handbacks_total counter\n"
      "http_stream_handbacks_total %llu\n"
      "# HELP http_streams_hung_up_total Parked streams ended because their client hung up.\n"
      "# TYPE http_streams_hung_up_total counter\n"
      "http_streams_hung_up_total %llu\n",
      (long long)atomic_load_explicit(&m->streams, memory_order_relaxed),
      (unsigned long long)atomic_load_explicit(&m->stream_sends, memory_order_relaxed),
      (unsigned long long)atomic_load_explicit(&m->stream_handbacks, memory_order_relaxed),
      (unsigned long long)atomic_load_explicit(&m->streams_hung_up, memory_order_relaxed));

    if (db) {
        uint64_t st = 0, ns = 0;
        store_stats(db, &st, &ns);
        P("# HELP store_statements_total SQL statements executed.\n"
          "# TYPE store_statements_total counter\n"
          "store_statements_total %llu\n"
          "# HELP store_statement_seconds_total Time spent executing SQL statements.\n"
          "# TYPE store_statement_seconds_total counter\n"
          "store_statement_seconds_total %.9f\n",
          (unsigned long long)st, (double)ns / 1e9);
    }
    P("# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n"
      "# TYPE process_start_time_seconds gauge\n"
      "process_start_time_seconds %.3f\n",
      (double)m->start_ms / 1000.0);
    for (int i = 0; i < nsources; i++)
        if ((rc = sources[i].fn(sources[i].ctx, out))) goto fail;
#undef P
#undef L
fail:
    return rc;
}
