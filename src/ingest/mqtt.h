/* mqtt.h — MQTT ingestion: a subscriber client (libmosquitto) that decodes
 * what the plant publishes — the JSON batch format, the line format or
 * Sparkplug B — and hands the readings to an ingest_sink_fn in batches.
 *
 * One client = one broker connection and one thread of its own (the client
 * drives libmosquitto's read/write/misc calls from its own poll loop, so it
 * can batch every message that is already waiting on the socket into one sink
 * call). Memory is allocated once at start: a reading buffer, the Sparkplug
 * session and the rebirth table; nothing per message or per reading beyond
 * what libmosquitto itself allocates for a packet.
 *
 * worksafe is a listener on the plant network: it never publishes, has no
 * will message and is not a Sparkplug primary host (no STATE). The one
 * exception is `rebirth` (off by default, an admin setting): then, on a
 * Sparkplug DATA message with an unknown alias, from a node/device without a
 * live BIRTH, or after a seq gap, it publishes an NCMD "Node Control/Rebirth"
 * to that edge node, at most once per node per INGEST_MQTT_REBIRTH_MS.
 *
 * Bad payloads never stop the client: they are counted per reason, the last
 * one is kept as a bounded escaped sample, and logged at most once per
 * INGEST_MQTT_LOG_MS. Connection loss is retried with exponential backoff
 * (0.5 s doubling to 30 s, reset by a successful CONNACK); subscriptions are
 * made again on every connection. Readings are handed over at most once:
 * QoS 1/2 are acknowledged by libmosquitto on receipt, so what the sink does
 * with a batch (journal, store) is what makes it durable.
 *
 * Configuration (server config key "mqtt"), parsed strictly by
 * ingest_mqtt_config_parse; see docs/internals/ingest.md, "MQTT". */
#ifndef WS_INGEST_MQTT_H
#define WS_INGEST_MQTT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/ingest.h"

#define INGEST_MQTT_SUBS_MAX 16
#define INGEST_MQTT_TOPIC_MAX 255
#define INGEST_MQTT_BUF 16384          /* readings held: one message must fit (a DEATH's points too) */
#define INGEST_MQTT_MAX_PAYLOAD (1u << 20) /* bigger messages are refused (too_big) */
#define INGEST_MQTT_SPB_SCOPES 1024    /* Sparkplug edge nodes + devices tracked */
#define INGEST_MQTT_SPB_POINTS INGEST_MQTT_BUF /* Sparkplug BIRTH metrics tracked */
#define INGEST_MQTT_REBIRTH_MS 30000   /* at most one rebirth request per node this often */
#define INGEST_MQTT_LOG_MS 10000       /* at most one bad-payload log line this often */
#define INGEST_MQTT_SAMPLE_MAX 256     /* escaped bytes of the last bad payload kept */

typedef enum { INGEST_MQTT_JSON = 0, INGEST_MQTT_LINE, INGEST_MQTT_SPARKPLUG } ingest_mqtt_format;

typedef struct ingest_mqtt_sub {
    char topic[INGEST_MQTT_TOPIC_MAX + 1]; /* a subscription pattern: '+' and '#' wildcards */
    uint8_t format;                        /* ingest_mqtt_format */
} ingest_mqtt_sub;

typedef struct ingest_mqtt_config {
    char host[256];           /* "host": default "127.0.0.1" */
    int port;                 /* "port": 1..65535, default 1883 */
    char client_id[65];       /* "client_id": 1..64 printable ASCII, default "worksafe" */
    char username[256];       /* "username": optional */
    char password[256];       /* "password": optional, needs username; never logged */
    char tls_ca_file[1024];   /* "tls_ca_file": optional; set = TLS, broker checked against it */
    int keepalive;            /* "keepalive": seconds 5..3600, default 30 */
    int qos;                  /* "qos": 0..2, default 1 */
    bool rebirth;             /* "rebirth": default false (worksafe never publishes) */
    bool include_group;       /* "include_group": Sparkplug tags start with the group id */
    size_t batch;             /* "batch": readings per sink call 1..INGEST_MQTT_BUF, default 1024 */
    size_t nsubs;             /* "subscriptions": 1..INGEST_MQTT_SUBS_MAX of {"topic","format"} */
    ingest_mqtt_sub subs[INGEST_MQTT_SUBS_MAX];
} ingest_mqtt_config;

/* Defaults as listed above, no subscriptions. */
void ingest_mqtt_config_defaults(ingest_mqtt_config *c);

/* Parse the "mqtt" object of the server config into out (defaults for absent
 * keys). Strict: a non-object, an unknown key, a wrong type, a value out of
 * range, a bad topic pattern or format name is WS_EINVAL naming the field
 * ("port", "subscriptions[1].format"). Strings are copied; obj is borrowed. */
ws_err ingest_mqtt_config_parse(const json_t *obj, ingest_mqtt_config *out);

/* Why a payload was refused. The first INGEST_E_REASON_COUNT values are the
 * text decoders' ingest_reason (a JSON or line payload counts under the
 * reason of its first bad reading); the rest are MQTT's own. */
enum {
    INGEST_MQTT_BAD_SPB_TOPIC = INGEST_E_REASON_COUNT, /* not a Sparkplug B topic */
    INGEST_MQTT_BAD_SPB_PAYLOAD,  /* protobuf malformed */
    INGEST_MQTT_BAD_SPB_METRIC,   /* metrics refused: unknown alias, no live BIRTH, tag too long */
    INGEST_MQTT_BAD_TOO_BIG,      /* payload over INGEST_MQTT_MAX_PAYLOAD, or more readings than fit */
    INGEST_MQTT_BAD_UNMATCHED,    /* a topic no subscription pattern matches */
    INGEST_MQTT_REASON_COUNT
};
/* Snake-case name of a reason ("value_syntax", "spb_payload", …). Static. */
const char *ingest_mqtt_reason_name(int reason);

typedef struct ingest_mqtt_counts {
    uint64_t messages;        /* PUBLISH messages received */
    uint64_t readings;        /* readings handed to the sink */
    uint64_t bad_payloads;    /* messages with at least one refused part */
    uint64_t bad_readings;    /* readings / lines / metrics refused in them */
    uint64_t bad[INGEST_MQTT_REASON_COUNT]; /* bad payloads by their (first) reason */
    uint64_t sink_errors;     /* batches the sink refused (their readings are lost) */
    uint64_t connects;        /* successful CONNACKs */
    uint64_t reconnects;      /* of which after a lost connection or failed attempt */
    uint64_t connect_errors;  /* attempts that failed (refused, unreachable, bad CONNACK) */
    uint64_t rebirths_sent;   /* NCMD rebirth requests published (0 unless rebirth) */
    bool connected;           /* connected and subscribed */
    int64_t last_bad_ms;      /* wall time of the last bad payload, 0 = none */
    int last_bad_reason;      /* its reason */
    char last_bad_topic[INGEST_MQTT_SAMPLE_MAX + 1];  /* escaped, cut */
    char last_bad_sample[INGEST_MQTT_SAMPLE_MAX + 1]; /* escaped payload bytes, cut */
} ingest_mqtt_counts;

typedef struct ingest_mqtt ingest_mqtt;

/* Start a client: validates the config (the same checks as the parser, and
 * the TLS CA file), allocates everything and starts the client's thread,
 * which connects (retrying with backoff: an absent broker is not an error
 * here) and subscribes. sink(ctx, readings, n) is called on that thread,
 * with batches of at most cfg->batch readings (one message's readings may be
 * split across calls; a DEATH's stale readings arrive like any others).
 * cfg is copied. Caller owns *out: ingest_mqtt_stop. */
ws_err ingest_mqtt_start(const ingest_mqtt_config *cfg, ingest_sink_fn sink, void *ctx, ingest_mqtt **out);

/* Stop the thread (readings already decoded are handed to the sink first),
 * disconnect and free. NULL is fine. */
void ingest_mqtt_stop(ingest_mqtt *m);

/* A snapshot of the counters, safe from any thread (for /metrics). */
void ingest_mqtt_stats(const ingest_mqtt *m, ingest_mqtt_counts *out);

#endif
