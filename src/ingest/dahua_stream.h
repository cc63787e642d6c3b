/* dahua_stream.h — the client side of a Dahua camera's event stream: a
 * thread that holds GET /cgi-bin/eventManager.cgi?action=attach&codes=[All]
 * &heartbeat=N open with HTTP digest authentication (libcurl), feeds the
 * never-ending multipart body to the decoder of dahua.h and hands each camera
 * event to a callback; heartbeats keep the stream alive and are not passed
 * on; a stream that goes quiet, drops or is refused is reconnected with
 * backoff.
 *
 * How it fits: an ingest adapter (src/ingest; depends on src/core, jansson
 * and libcurl). The server starts one per configured camera and maps events
 * to alarms above; /metrics reads dahua_stream_get_stats. Details:
 * docs/internals/ingest.md, "Dahua event stream client". */
#ifndef WS_INGEST_DAHUA_STREAM_H
#define WS_INGEST_DAHUA_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/dahua.h"

typedef struct dahua_stream_opts {
    const char *base_url;   /* "http://192.168.1.108" or "https://cam:443"; required; copied */
    const char *user;       /* digest credentials; copied, never logged */
    const char *password;
    const char *codes;      /* "All" (NULL) or "CrossLineDetection,CrossRegionDetection"; copied */
    int heartbeat_s;        /* asked of the camera; default 5 */
    int dead_ms;            /* no byte for this long: reconnect; default 3 x heartbeat */
    int connect_timeout_ms; /* default 5000 */
    int backoff_min_ms;     /* default 1000 */
    int backoff_max_ms;     /* default 60000 */
    const ws_cam_rule *map; /* the camera's own mapping; borrowed for the stream's life */
    unsigned nmap;
    dahua_cb cb;            /* required; called on the stream's thread, data borrowed */
    void *ud;
} dahua_stream_opts;

typedef struct dahua_stream_stats {
    uint64_t connects;      /* attempts */
    uint64_t streams;       /* attempts answered 200 with a multipart body */
    uint64_t drops;         /* streams that ended (closed, error, gone quiet) */
    uint64_t dead;          /* of those: no byte for dead_ms */
    uint64_t auth_failures; /* answered 401 after the digest (wrong user/password) */
    uint64_t http_errors;   /* other statuses, and connection failures */
    dahua_stats parser;     /* summed over every connection (events include heartbeats) */
    int64_t last_event_ms;  /* wall time of the last block (heartbeat too); 0 = never */
    bool connected;         /* a 200 stream is open now */
} dahua_stream_stats;

typedef struct dahua_stream dahua_stream;

/* Start the thread. Caller owns *out (dahua_stream_stop). */
ws_err dahua_stream_start(const dahua_stream_opts *o, dahua_stream **out);
/* Stop promptly (the transfer is woken, not waited out), join, free. NULL ok. */
void dahua_stream_stop(dahua_stream *s);
/* A snapshot of the counters; last_error (may be NULL) gets the last
 * failure's text (no URL credentials, no password). */
void dahua_stream_get_stats(dahua_stream *s, dahua_stream_stats *st, char *last_error, size_t cap);

#endif
