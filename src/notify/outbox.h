/* outbox.h — the notification outbox (issue 4 item 6): messages to people
 * through DingTalk robots (signed, sign.h), WeCom robots and generic webhooks,
 * persisted in the store and sent by a sender pass with retries.
 *
 * notify_enqueue() writes a row inside the caller's transaction when one is
 * open, so an alarm and its message commit together. notify_send_due() is
 * one pass of the single sender: per channel a token bucket (rate per minute,
 * burst NOTIFY_BURST), more than one due non-emergency message merged into
 * ONE markdown digest, emergencies (紧急) first and never merged, failures
 * backed off 1 s, 2 s, 4 s … capped at 10 min, a throttled robot (DingTalk
 * 130101, WeCom 45009) paused for at least a minute. No database transaction
 * is held while a request is in flight. Channel URLs and secrets are never
 * logged and never stored in last_error. See docs/internals/notify.md. */
#ifndef WS_NOTIFY_OUTBOX_H
#define WS_NOTIFY_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

typedef enum { NOTIFY_NOTICE, NOTIFY_ALARM, NOTIFY_EMERGENCY } notify_level; /* 预警 报警 紧急 */

#define NOTIFY_RATE_DEFAULT 18        /* DingTalk/WeCom allow 20 a minute; keep a margin */
#define NOTIFY_BURST 2                /* bucket size: any minute sees <= rate + 2 requests */
#define NOTIFY_BACKOFF_MAX_MS 600000  /* 10 min */
#define NOTIFY_THROTTLE_MS 60000      /* pause after 130101 / 45009 */
#define NOTIFY_MAX_ATTEMPTS 40        /* then state 'failed' (~5 h of retries) */
#define NOTIFY_MENTIONS_MAX 20
#define NOTIFY_TITLE_MAX 200          /* bytes */
#define NOTIFY_BODY_MAX 3500          /* bytes: WeCom markdown takes 4096 */

#define NOTIFY_HTTP_HEADERS 4

/* One HTTP request (a POST unless method says "GET"). The real one is
 * notify_http_curl; tests wrap it to count. */
typedef struct notify_http_req {
    const char *url;          /* secret: never log */
    const char *content_type;
    const char *body;         /* NULL for a GET */
    long timeout_ms;
    const char *proxy;        /* "" or NULL: direct (environment proxies ignored) */
    const char *method;       /* NULL or "POST"; "GET" (the heartbeat) */
    const char *headers[NOTIFY_HTTP_HEADERS]; /* extra "Name: value" lines, NULL-ended */
} notify_http_req;
/* Fill *status with the HTTP status and reply with (the first cap bytes of)
 * the reply body. WS_EIO for a transport failure, with a message that names
 * neither the URL nor a secret. */
typedef ws_err (*notify_http_fn)(void *arg, const notify_http_req *rq, long *status, buf *reply);

/* Told after each request of a pass: which channel, delivered or not
 * (the sender counts consecutive failures per channel with it). */
typedef void (*notify_result_fn)(void *arg, int64_t channel_id, bool ok);

typedef struct notify_http {
    notify_http_fn post;
    void *arg;
    long timeout_ms;          /* 0: 10 s */
    const char *proxy;        /* outbound proxy URL, e.g. http://10.0.0.1:3128, or NULL */
    notify_result_fn on_result; /* may be NULL */
    void *result_arg;
} notify_http;

/* libcurl: POST with Content-Type (or GET), the extra headers, a total
 * timeout, no redirects, http/https only, the proxy when set. arg is unused. */
ws_err notify_http_curl(void *arg, const notify_http_req *rq, long *status, buf *reply);

/* Add a channel: kind "dingtalk" | "wecom" | "webhook", a unique name, the
 * robot URL (https://oapi.dingtalk.com/robot/send?access_token=…), the
 * DingTalk 加签 secret or the webhook's HMAC key (sign.h) or NULL (WeCom
 * robots take none), rate per minute (0: NOTIFY_RATE_DEFAULT). */
ws_err notify_channel_add(store_conn *c, const char *kind, const char *name, const char *url,
                          const char *secret, int rate_per_min, int64_t now, int64_t *id);

/* Queue a message (pending, due at now). mentions: n mobiles (11 digits) or
 * WeCom userids, mentioned in the message. *id may be NULL. */
ws_err notify_enqueue(store_conn *c, int64_t channel, notify_level level, const char *title,
                      const char *body, const char *const *mentions, int n, int64_t now, int64_t *id);

/* Queue the message on every active channel (a robot posts to its group;
 * people are reached through the mentions). A channel that cannot take it
 * is logged as "<what> not queued", never an error: what the message tells
 * of stands. Joins the caller's transaction like notify_enqueue. */
void notify_to_all(store_conn *c, notify_level level, const char *title, const char *body,
                   const char *const *mentions, int n, int64_t now, const char *what);

typedef struct notify_pass_stats {
    int requests;  /* HTTP requests made */
    int sent;      /* rows sent (a digest counts once) */
    int failed;    /* requests that failed */
    int merged;    /* rows merged into digests */
    int digests;   /* digest rows written */
} notify_pass_stats;

/* One pass over every active channel at time now (ms UTC; the DingTalk
 * timestamp). stats may be NULL. Fails only when the store does; a failing
 * robot is recorded on its rows and the pass goes on. */
ws_err notify_send_due(store_conn *c, int64_t now, const notify_http *http, notify_pass_stats *stats);

/* One outbox row, for tests and the console. Strings owned by the struct:
 * notify_row_free. */
typedef struct notify_row {
    int64_t id, channel_id, items, created_at, next_attempt_at, attempts, merged_into, sent_at;
    notify_level level;
    char *title, *body, *mentions, *state, *last_error;
} notify_row;
ws_err notify_get(store_conn *c, int64_t id, notify_row *out);
void notify_row_free(notify_row *r);

const char *notify_level_name(notify_level l); /* "notice" "alarm" "emergency" */

#endif
