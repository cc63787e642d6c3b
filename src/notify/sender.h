/* sender.h — the server's outbox sender thread and heartbeat (issue 4 item 6).
 *
 * One thread runs notify_send_due() (outbox.h) over the store: at the next
 * due time, when woken (notify_sender_wake after an enqueue, so a 紧急
 * message goes out at once), and at least every second. Requests go through
 * libcurl with the configured timeout and outbound proxy. After each pass it
 * judges every channel: FAILING when its last fail_after requests all failed
 * or a message has waited unsent longer than stale_after_s; on each change
 * on_health(ctx, channel_id, name, failing) is called on the sender thread
 * (the engine raises the alarm "通知通道故障" and clears it on recovery).
 *
 * A second thread sends a heartbeat every heartbeat_s seconds to an outside
 * monitor (a healthchecks-style URL: GET, or POST with a small JSON), so the
 * monitor notices when worksafe itself is down; failures are counted and
 * logged, never fatal.
 *
 * Logs name channels by id and name only: robot URLs, secrets and the
 * heartbeat URL are credentials and never logged. */
#ifndef WS_NOTIFY_SENDER_H
#define WS_NOTIFY_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "notify/outbox.h"

typedef struct notify_sender notify_sender;

/* Called on the sender thread when a channel turns failing or recovers. name
 * is borrowed for the call. Must not call notify_sender_stop. */
typedef void (*notify_health_fn)(void *ctx, int64_t channel_id, const char *name, bool failing);

typedef struct notify_sender_config {
    const char *proxy;          /* outbound proxy URL (http://10.0.0.1:3128); NULL, "" or "none": direct */
    long timeout_ms;            /* per request; 0: 10 s */
    int fail_after;             /* consecutive failed requests that make a channel failing; 0: 3 */
    int stale_after_s;          /* a message unsent this long makes its channel failing; 0: 300 */
    notify_health_fn on_health; /* may be NULL */
    void *health_ctx;
    const char *heartbeat_url;  /* NULL or "": no heartbeat. A credential: never logged */
    int heartbeat_s;            /* 0: 60 */
    bool heartbeat_post;        /* POST {"service","pending","failing_channels"} instead of GET */
    notify_http_fn http;        /* NULL: notify_http_curl (tests wrap it to count) */
    void *http_arg;
} notify_sender_config;

typedef struct notify_sender_stats {
    uint64_t passes;            /* sender passes run */
    uint64_t requests, sent, failed; /* requests made; rows delivered; requests failed */
    uint64_t digests, merged;   /* digest rows written; rows merged into them */
    int64_t pending;            /* pending rows after the last pass */
    int channels_failing;
    uint64_t heartbeat_ok, heartbeat_fail;
    uint64_t store_errors;      /* passes the store failed */
} notify_sender_stats;

/* Start both threads on db (borrowed; it must outlive the sender). cfg's
 * strings are copied. Caller owns *out (notify_sender_stop). */
ws_err notify_sender_start(store *db, const notify_sender_config *cfg, notify_sender **out);
/* Stop and join the threads (a request in flight finishes or times out
 * first), free s. NULL is a no-op. */
void notify_sender_stop(notify_sender *s);
/* Run a pass now (after an enqueue). Safe from any thread. */
void notify_sender_wake(notify_sender *s);
/* Wake every running sender (for callers that do not hold one: the API's
 * test message). */
void notify_sender_poke(void);
/* A snapshot of the counters, for /metrics. */
void notify_sender_stats_get(notify_sender *s, notify_sender_stats *out);

#endif
