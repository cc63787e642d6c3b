/* mqtt.c — the MQTT ingestion client (see mqtt.h): configuration parsing,
 * one libmosquitto client driven from a thread of its own, decoding per
 * subscription format into one reading buffer, batched hand-over to the
 * sink, bad-payload accounting and the optional Sparkplug rebirth request.
 *
 * The loop: poll(wake fd, broker socket); when the socket is readable, read
 * packets with mosquitto_loop_read while more bytes are waiting (at most
 * READ_BURST), each PUBLISH decoded by on_message straight into the buffer;
 * then hand the buffer to the sink. Under load the buffer collects many
 * messages per sink call; when idle a lone message goes out at once. All
 * libmosquitto calls happen on this thread (the library's own threading is
 * not used), so the callbacks need no locks; only the counters (atomics) and
 * the last bad sample (a mutex) are shared with readers of the stats.
 *
 * The only publish call is in request_rebirth(), which returns at once unless
 * the configuration's `rebirth` is true. */
#include "ingest/mqtt.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <mosquitto.h>

#include "core/clock.h"
#include "core/log.h"
#include "ingest/sparkplug.h"

#define READ_BURST 4096
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define REBIRTH_NODES 256

/* ---- configuration ---------------------------------------------------- */

void ingest_mqtt_config_defaults(ingest_mqtt_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "127.0.0.1");
    c->port = 1883;
    snprintf(c->client_id, sizeof c->client_id, "worksafe");
    c->keepalive = 30;
    c->qos = 1;
    c->batch = 1024;
}

static ws_err cfg_string(const json_t *v, const char *field, char *dst, size_t cap, size_t min)
{
    if (!json_is_string(v)) return ws_fail(WS_EINVAL, field, "%s must be a string", field);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n) return ws_fail(WS_EINVAL, field, "%s must not contain NUL", field);
    if (n < min) return ws_fail(WS_EINVAL, field, "%s must not be empty", field);
    if (n >= cap) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, cap - 1);
    memcpy(dst, s, n + 1);
    return WS_OK;
}

static ws_err cfg_int(const json_t *v, const char *field, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v)) return ws_fail(WS_EINVAL, field, "%s must be an integer", field);
    int64_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return ws_fail(WS_EINVAL, field, "%s must be between %lld and %lld", field, (long long)lo,
                       (long long)hi);
    *out = x;
    return WS_OK;
}

static ws_err cfg_bool(const json_t *v, const char *field, bool *out)
{
    if (!json_is_boolean(v)) return ws_fail(WS_EINVAL, field, "%s must be true or false", field);
    *out = json_is_true(v);
    return WS_OK;
}

static const char *const format_names[] = {"json", "line", "sparkplug"};

static ws_err cfg_sub(const json_t *v, size_t i, ingest_mqtt_sub *out)
{
    char f[80];
    snprintf(f, sizeof f, "subscriptions[%zu]", i);
    if (!json_is_object(v)) return ws_fail(WS_EINVAL, f, "%s must be an object", f);
    bool has_topic = false, has_format = false;
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        ws_err rc;
        if (!strcmp(key, "topic")) {
            snprintf(f, sizeof f, "subscriptions[%zu].topic", i);
            rc = cfg_string(x, f, out->topic, sizeof out->topic, 1);
            if (rc) return rc;
            if (mosquitto_sub_topic_check(out->topic) != MOSQ_ERR_SUCCESS ||
                mosquitto_validate_utf8(out->topic, (int)strlen(out->topic)) != MOSQ_ERR_SUCCESS)
                return ws_fail(WS_EINVAL, f, "%s is not a valid MQTT topic pattern", f);
            has_topic = true;
        } else if (!strcmp(key, "format")) {
            snprintf(f, sizeof f, "subscriptions[%zu].format", i);
            const char *s = json_string_value(x);
            if (!s) return ws_fail(WS_EINVAL, f, "%s must be a string", f);
            size_t k = 0;
            while (k < 3 && strcmp(s, format_names[k])) k++;
            if (k == 3) return ws_fail(WS_EINVAL, f, "%s must be json, line or sparkplug", f);
            out->format = (uint8_t)k;
            has_format = true;
        } else {
            snprintf(f, sizeof f, "subscriptions[%zu].%.20s", i, key);
            return ws_fail(WS_EINVAL, f, "unknown key %s", f);
        }
    }
    if (!has_topic) {
        snprintf(f, sizeof f, "subscriptions[%zu].topic", i);
        return ws_fail(WS_EINVAL, f, "%s is required", f);
    }
    if (!has_format) {
        snprintf(f, sizeof f, "subscriptions[%zu].format", i);
        return ws_fail(WS_EINVAL, f, "%s is required", f);
    }
    return WS_OK;
}

/* Checks shared by the parser and ingest_mqtt_start (a config built in C). */
static ws_err cfg_check(const ingest_mqtt_config *c)
{
    if (!c->host[0] || memchr(c->host, 0, sizeof c->host) == NULL)
        return ws_fail(WS_EINVAL, "host", "host must not be empty");
    if (c->port < 1 || c->port > 65535) return ws_fail(WS_EINVAL, "port", "port must be 1..65535");
    size_t n = strnlen(c->client_id, sizeof c->client_id);
    if (n == 0 || n >= sizeof c->client_id)
        return ws_fail(WS_EINVAL, "client_id", "client_id must be 1..64 bytes");
    for (size_t i = 0; i < n; i++)
        if (c->client_id[i] < 0x21 || c->client_id[i] > 0x7E)
            return ws_fail(WS_EINVAL, "client_id", "client_id must be printable ASCII without spaces");
    if (c->password[0] && !c->username[0])
        return ws_fail(WS_EINVAL, "password", "a password needs a username");
    if (c->keepalive < 5 || c->keepalive > 3600)
        return ws_fail(WS_EINVAL, "keepalive", "keepalive must be 5..3600 seconds");
    if (c->qos < 0 || c->qos > 2) return ws_fail(WS_EINVAL, "qos", "qos must be 0, 1 or 2");
    if (c->batch < 1 || c->batch > INGEST_MQTT_BUF)
        return ws_fail(WS_EINVAL, "batch", "batch must be 1..%d", INGEST_MQTT_BUF);
    if (c->nsubs < 1 || c->nsubs > INGEST_MQTT_SUBS_MAX)
        return ws_fail(WS_EINVAL, "subscriptions", "subscriptions must hold 1..%d entries",
                       INGEST_MQTT_SUBS_MAX);
    for (size_t i = 0; i < c->nsubs; i++) {
        char f[80];
        snprintf(f, sizeof f, "subscriptions[%zu].topic", i);
        if (!c->subs[i].topic[0] || mosquitto_sub_topic_check(c->subs[i].topic) != MOSQ_ERR_SUCCESS)
            return ws_fail(WS_EINVAL, f, "%s is not a valid MQTT topic pattern", f);
        if (c->subs[i].format > INGEST_MQTT_SPARKPLUG) {
            snprintf(f, sizeof f, "subscriptions[%zu].format", i);
            return ws_fail(WS_EINVAL, f, "%s must be json, line or sparkplug", f);
        }
    }
    return WS_OK;
}

ws_err ingest_mqtt_config_parse(const json_t *obj, ingest_mqtt_config *out)
{
    ingest_mqtt_config c;
    ingest_mqtt_config_defaults(&c);
    if (!json_is_object(obj)) return ws_fail(WS_EINVAL, "mqtt", "mqtt must be an object");
    bool has_subs = false;
    const char *key;
    json_t *v;
    ws_err rc = WS_OK;
    json_object_foreach((json_t *)obj, key, v) {
        int64_t x = 0;
        if (!strcmp(key, "host")) rc = cfg_string(v, key, c.host, sizeof c.host, 1);
        else if (!strcmp(key, "port")) { rc = cfg_int(v, key, 1, 65535, &x); c.port = (int)x; }
        else if (!strcmp(key, "client_id")) rc = cfg_string(v, key, c.client_id, sizeof c.client_id, 1);
        else if (!strcmp(key, "username")) rc = cfg_string(v, key, c.username, sizeof c.username, 0);
        else if (!strcmp(key, "password")) rc = cfg_string(v, key, c.password, sizeof c.password, 0);
        else if (!strcmp(key, "tls_ca_file")) rc = cfg_string(v, key, c.tls_ca_file, sizeof c.tls_ca_file, 1);
        else if (!strcmp(key, "keepalive")) { rc = cfg_int(v, key, 5, 3600, &x); c.keepalive = (int)x; }
        else if (!strcmp(key, "qos")) { rc = cfg_int(v, key, 0, 2, &x); c.qos = (int)x; }
        else if (!strcmp(key, "batch")) { rc = cfg_int(v, key, 1, INGEST_MQTT_BUF, &x); c.batch = (size_t)x; }
        else if (!strcmp(key, "rebirth")) rc = cfg_bool(v, key, &c.rebirth);
        else if (!strcmp(key, "include_group")) rc = cfg_bool(v, key, &c.include_group);
        else if (!strcmp(key, "subscriptions")) {
            if (!json_is_array(v)) { rc = ws_fail(WS_EINVAL, key, "subscriptions must be an array"); break; }
            size_t n = json_array_size(v);
            if (n < 1 || n > INGEST_MQTT_SUBS_MAX) {
                rc = ws_fail(WS_EINVAL, key, "subscriptions must hold 1..%d entries", INGEST_MQTT_SUBS_MAX);
                break;
            }
            for (size_t i = 0; i < n && !rc; i++) rc = cfg_sub(json_array_get(v, i), i, &c.subs[i]);
            c.nsubs = n;
            has_subs = true;
        } else {
            char f[64];
            snprintf(f, sizeof f, "%.60s", key);
            rc = ws_fail(WS_EINVAL, f, "unknown key %s", f);
        }
        if (rc) break;
    }
    if (!rc && !has_subs) rc = ws_fail(WS_EINVAL, "subscriptions", "subscriptions is required");
    if (!rc) rc = cfg_check(&c);
    if (!rc) *out = c;
    explicit_bzero(c.password, sizeof c.password);
    return rc;
}

/* ---- the client ------------------------------------------------------- */

typedef struct rebirth_slot {
    char group[SPB_ID_MAX + 1];
    char node[SPB_ID_MAX + 1];
    int64_t last_ms; /* monotonic; 0 = free */
} rebirth_slot;

#define CTR(x) _Atomic uint64_t x
struct ingest_mqtt {
    ingest_mqtt_config cfg;
    ingest_sink_fn sink;
    void *ctx;
    struct mosquitto *mosq;
    pthread_t thread;
    int wake_fd;
    atomic_bool stop;

    /* loop thread only */
    ws_reading *buf;
    size_t n;
    spb_session *spb;
    ingest_errors errs;
    bool up;            /* this connection got its CONNACK */
    bool refused;       /* this connection's CONNACK refused it (counted) */
    int64_t log_next_ms;
    uint64_t log_suppressed;
    int64_t sink_log_next_ms;
    rebirth_slot rebirth[REBIRTH_NODES];

    /* stats */
    CTR(messages); CTR(readings); CTR(bad_payloads); CTR(bad_readings); CTR(sink_errors);
    CTR(connects); CTR(reconnects); CTR(connect_errors); CTR(rebirths_sent);
    _Atomic uint64_t bad[INGEST_MQTT_REASON_COUNT];
    atomic_bool connected;
    pthread_mutex_t lock; /* the last bad sample */
    int64_t last_bad_ms;
    int last_bad_reason;
    char last_bad_topic[INGEST_MQTT_SAMPLE_MAX + 1];
    char last_bad_sample[INGEST_MQTT_SAMPLE_MAX + 1];
};

#define ADD(m, f, v) atomic_fetch_add_explicit(&(m)->f, (uint64_t)(v), memory_order_relaxed)
#define GET(m, f) atomic_load_explicit(&(m)->f, memory_order_relaxed)

static const char *const extra_reasons[] = {"spb_topic", "spb_payload", "spb_metric", "too_big", "unmatched"};

const char *ingest_mqtt_reason_name(int r)
{
    if (r > 0 && r < INGEST_E_REASON_COUNT) return ingest_reason_name((ingest_reason)r);
    if (r >= INGEST_E_REASON_COUNT && r < INGEST_MQTT_REASON_COUNT) return extra_reasons[r - INGEST_E_REASON_COUNT];
    return "none";
}

/* Printable ASCII except '"' and '\' as is; \n \r \t and \\ escaped; any
 * other byte as \xHH. Stops before an escape that would not fit (dst is
 * always NUL-terminated, at most cap-1 bytes). Safe in logs, JSON strings
 * and /metrics label values (after the usual backslash escaping). */
static void escape(char *dst, size_t cap, const void *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        char e[4];
        size_t w;
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') { e[0] = (char)c; w = 1; }
        else if (c == '\\') { e[0] = '\\'; e[1] = '\\'; w = 2; }
        else if (c == '\n') { e[0] = '\\'; e[1] = 'n'; w = 2; }
        else if (c == '\r') { e[0] = '\\'; e[1] = 'r'; w = 2; }
        else if (c == '\t') { e[0] = '\\'; e[1] = 't'; w = 2; }
        else { e[0] = '\\'; e[1] = 'x'; e[2] = hex[c >> 4]; e[3] = hex[c & 15]; w = 4; }
        if (k + w >= cap) break;
        memcpy(dst + k, e, w);
        k += w;
    }
    dst[k] = 0;
}

/* Count a refused payload (or refused parts of one) and keep it as the sample. */
static void bad(ingest_mqtt *m, const struct mosquitto_message *msg, int reason, uint64_t nbad)
{
    if (reason <= 0 || reason >= INGEST_MQTT_REASON_COUNT) reason = INGEST_E_SYNTAX;
    ADD(m, bad_payloads, 1);
    ADD(m, bad_readings, nbad);
    atomic_fetch_add_explicit(&m->bad[reason], 1, memory_order_relaxed);
    char topic[INGEST_MQTT_SAMPLE_MAX + 1], sample[INGEST_MQTT_SAMPLE_MAX + 1];
    escape(topic, sizeof topic, msg->topic, strlen(msg->topic));
    escape(sample, sizeof sample, msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0);
    pthread_mutex_lock(&m->lock);
    m->last_bad_ms = clock_now_ms();
    m->last_bad_reason = reason;
    memcpy(m->last_bad_topic, topic, sizeof topic);
    memcpy(m->last_bad_sample, sample, sizeof sample);
    pthread_mutex_unlock(&m->lock);
    int64_t now = clock_mono_ms();
    if (now < m->log_next_ms) { m->log_suppressed++; return; }
    char nb[24], sup[24], len[24];
    snprintf(nb, sizeof nb, "%llu", (unsigned long long)nbad);
    snprintf(sup, sizeof sup, "%llu", (unsigned long long)m->log_suppressed);
    snprintf(len, sizeof len, "%d", msg->payloadlen);
    log_warn("mqtt payload refused", "topic", topic, "reason", ingest_mqtt_reason_name(reason), "bad", nb,
             "bytes", len, "sample", sample, "suppressed", sup);
    m->log_next_ms = now + INGEST_MQTT_LOG_MS;
    m->log_suppressed = 0;
}

/* Hand the buffered readings to the sink in batches of at most cfg.batch. */
static void flush(ingest_mqtt *m)
{
    size_t off = 0;
    while (off < m->n) {
        size_t k = m->n - off;
        if (k > m->cfg.batch) k = m->cfg.batch;
        ws_err rc = m->sink(m->ctx, m->buf + off, k);
        if (rc) {
            ADD(m, sink_errors, 1);
            int64_t now = clock_mono_ms();
            if (now >= m->sink_log_next_ms) {
                log_warn("mqtt sink refused a batch", "error", ws_err_code(rc), "detail", ws_err_message());
                m->sink_log_next_ms = now + INGEST_MQTT_LOG_MS;
            }
        } else {
            ADD(m, readings, k);
        }
        off += k;
    }
    m->n = 0;
}

/* Protobuf bytes of Payload{timestamp, metrics=[{name "Node Control/Rebirth",
 * timestamp, datatype Boolean, boolean_value true}]} into b (>= 64 bytes). */
static size_t put_varint(uint8_t *b, size_t k, uint64_t v)
{
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        b[k++] = c | (v ? 0x80 : 0);
    } while (v);
    return k;
}

static size_t rebirth_payload(uint8_t *b, uint64_t now_ms)
{
    static const char name[] = "Node Control/Rebirth";
    uint8_t mt[48];
    size_t k = 0;
    mt[k++] = 0x0A; /* name */
    mt[k++] = (uint8_t)(sizeof name - 1);
    memcpy(mt + k, name, sizeof name - 1);
    k += sizeof name - 1;
    mt[k++] = 0x18; /* timestamp */
    k = put_varint(mt, k, now_ms);
    mt[k++] = 0x20; /* datatype */
    mt[k++] = 11;   /* Boolean */
    mt[k++] = 0x70; /* boolean_value */
    mt[k++] = 1;
    size_t n = 0;
    b[n++] = 0x08; /* Payload.timestamp */
    n = put_varint(b, n, now_ms);
    b[n++] = 0x12; /* Payload.metrics */
    n = put_varint(b, n, k);
    memcpy(b + n, mt, k);
    return n + k;
}

/* The only place worksafe publishes: NCMD Node Control/Rebirth to t's edge
 * node, when the admin allowed it, at most once per node per REBIRTH_MS. */
static void request_rebirth(ingest_mqtt *m, const spb_topic *t)
{
    if (!m->cfg.rebirth) return;
    int64_t now = clock_mono_ms();
    rebirth_slot *slot = NULL, *oldest = &m->rebirth[0];
    for (size_t i = 0; i < REBIRTH_NODES; i++) {
        rebirth_slot *s = &m->rebirth[i];
        if (s->last_ms && !strcmp(s->group, t->group) && !strcmp(s->node, t->node)) { slot = s; break; }
        if (s->last_ms < oldest->last_ms) oldest = s;
    }
    if (slot && now - slot->last_ms < INGEST_MQTT_REBIRTH_MS) return;
    if (!slot) {
        slot = oldest; /* a free slot (0) or the least recently asked node */
        snprintf(slot->group, sizeof slot->group, "%s", t->group);
        snprintf(slot->node, sizeof slot->node, "%s", t->node);
    }
    slot->last_ms = now > 0 ? now : 1;
    char topic[2 * SPB_ID_MAX + 32];
    snprintf(topic, sizeof topic, "spBv1.0/%s/NCMD/%s", t->group, t->node);
    uint8_t pl[96];
    size_t n = rebirth_payload(pl, (uint64_t)clock_now_ms());
    int rc = mosquitto_publish(m->mosq, NULL, topic, (int)n, pl, 0, false);
    if (rc == MOSQ_ERR_SUCCESS) {
        ADD(m, rebirths_sent, 1);
        log_info("mqtt rebirth requested", "group", t->group, "node", t->node);
    } else {
        log_warn("mqtt rebirth request failed", "node", t->node, "error", mosquitto_strerror(rc));
    }
}

static int first_reason(const ingest_errors *e)
{
    return e->nsample ? (int)e->sample[0].reason : INGEST_E_SYNTAX;
}

static void on_line(ingest_mqtt *m, const struct mosquitto_message *msg)
{
    const char *p = msg->payload;
    size_t len = (size_t)msg->payloadlen, off = 0;
    ingest_errors_init(&m->errs);
    for (;;) {
        size_t k = 0;
        ws_err rc = ingest_line_decode_at(p + off, len - off, 0, off, m->buf + m->n, INGEST_MQTT_BUF - m->n, &k,
                                          &m->errs);
        m->n += k;
        if (rc != WS_ETOOBIG) break;
        if (m->errs.resume <= off && m->n == 0) break; /* cannot happen: a line is one reading */
        if (m->errs.resume > off) off = m->errs.resume;
        m->errs.full = false;
        flush(m);
    }
    if (m->errs.count) bad(m, msg, first_reason(&m->errs), m->errs.count);
}

static void on_json(ingest_mqtt *m, const struct mosquitto_message *msg)
{
    size_t k = 0;
    ws_err rc;
    for (int tries = 0;; tries++) {
        ingest_errors_init(&m->errs);
        rc = ingest_batch_decode(msg->payload, (size_t)msg->payloadlen, m->buf + m->n, INGEST_MQTT_BUF - m->n, &k,
                                 &m->errs);
        if (rc != WS_ETOOBIG || m->n == 0 || tries) break;
        flush(m);
    }
    if (rc == WS_ETOOBIG) { bad(m, msg, INGEST_MQTT_BAD_TOO_BIG, 1); return; }
    if (rc) { bad(m, msg, first_reason(&m->errs), m->errs.count ? m->errs.count : 1); return; }
    m->n += k;
    if (m->errs.count) bad(m, msg, first_reason(&m->errs), m->errs.count);
}

static void on_sparkplug(ingest_mqtt *m, const struct mosquitto_message *msg)
{
    spb_result res;
    ws_err rc;
    size_t tlen = strlen(msg->topic);
    for (int tries = 0;; tries++) {
        rc = spb_session_handle(m->spb, msg->topic, tlen, msg->payload, (size_t)msg->payloadlen, m->buf + m->n,
                                INGEST_MQTT_BUF - m->n, &res);
        if (rc != WS_ETOOBIG || m->n == 0 || tries) break;
        flush(m);
    }
    if (rc == WS_ETOOBIG) { bad(m, msg, INGEST_MQTT_BAD_TOO_BIG, 1); return; }
    if (rc) {
        bool topic = !strcmp(ws_err_field(), "topic");
        bad(m, msg, topic ? INGEST_MQTT_BAD_SPB_TOPIC : INGEST_MQTT_BAD_SPB_PAYLOAD, 1);
        return;
    }
    m->n += res.nout;
    if (res.bad) bad(m, msg, INGEST_MQTT_BAD_SPB_METRIC, res.bad);
    if (res.rebirth || res.seq_gap) request_rebirth(m, &res.topic);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    ingest_mqtt *m = obj;
    ADD(m, messages, 1);
    if (msg->payloadlen < 0 || (size_t)msg->payloadlen > INGEST_MQTT_MAX_PAYLOAD) {
        bad(m, msg, INGEST_MQTT_BAD_TOO_BIG, 1);
        return;
    }
    const ingest_mqtt_sub *sub = NULL;
    for (size_t i = 0; i < m->cfg.nsubs && !sub; i++) {
        bool match = false;
        if (mosquitto_topic_matches_sub(m->cfg.subs[i].topic, msg->topic, &match) == MOSQ_ERR_SUCCESS && match)
            sub = &m->cfg.subs[i];
    }
    if (!sub) { bad(m, msg, INGEST_MQTT_BAD_UNMATCHED, 1); return; }
    switch (sub->format) {
    case INGEST_MQTT_LINE: on_line(m, msg); break;
    case INGEST_MQTT_JSON: on_json(m, msg); break;
    default: on_sparkplug(m, msg); break;
    }
    if (m->n >= m->cfg.batch) flush(m);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    ingest_mqtt *m = obj;
    char code[16];
    snprintf(code, sizeof code, "%d", rc);
    if (rc) {
        ADD(m, connect_errors, 1);
        m->refused = true;
        log_warn("mqtt connection refused", "host", m->cfg.host, "code", code,
                 "reason", mosquitto_connack_string(rc));
        return;
    }
    if (ADD(m, connects, 1) > 0) ADD(m, reconnects, 1);
    m->up = true;
    char *topics[INGEST_MQTT_SUBS_MAX];
    for (size_t i = 0; i < m->cfg.nsubs; i++) topics[i] = m->cfg.subs[i].topic;
    int src = mosquitto_subscribe_multiple(mosq, NULL, (int)m->cfg.nsubs, topics, m->cfg.qos, 0, NULL);
    if (src != MOSQ_ERR_SUCCESS) log_warn("mqtt subscribe failed", "error", mosquitto_strerror(src));
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int nqos, const int *granted)
{
    ingest_mqtt *m = obj;
    for (int i = 0; i < nqos; i++)
        if (granted[i] > 2) {
            log_warn("mqtt subscription refused by the broker", "topic",
                     i < (int)m->cfg.nsubs ? m->cfg.subs[i].topic : "?");
        }
    atomic_store(&m->connected, true);
    char port[8];
    snprintf(port, sizeof port, "%d", m->cfg.port);
    log_info("mqtt connected", "host", m->cfg.host, "port", port, "client_id", m->cfg.client_id);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    ingest_mqtt *m = obj;
    atomic_store(&m->connected, false);
}

/* Sleep up to ms, woken early by ingest_mqtt_stop. */
static void nap(ingest_mqtt *m, int64_t ms)
{
    struct pollfd p = {.fd = m->wake_fd, .events = POLLIN};
    if (ms > 0) poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
}

static void *run(void *arg)
{
    ingest_mqtt *m = arg;
    int64_t backoff = BACKOFF_MIN_MS, next_try = 0;
    bool live = false;
    while (!atomic_load(&m->stop)) {
        int64_t now = clock_mono_ms();
        if (!live) {
            if (now < next_try) { nap(m, next_try - now); continue; }
            m->up = m->refused = false;
            int rc = mosquitto_connect_async(m->mosq, m->cfg.host, m->cfg.port, m->cfg.keepalive);
            if (rc != MOSQ_ERR_SUCCESS) {
                ADD(m, connect_errors, 1);
                log_warn("mqtt connect failed", "host", m->cfg.host, "error",
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
                next_try = now + backoff;
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            live = true;
        }
        int fd = mosquitto_socket(m->mosq);
        int rc = MOSQ_ERR_NO_CONN;
        if (fd >= 0) {
            struct pollfd p[2] = {{.fd = m->wake_fd, .events = POLLIN},
                                  {.fd = fd, .events = POLLIN | (mosquitto_want_write(m->mosq) ? POLLOUT : 0)}};
            poll(p, 2, 1000);
            rc = MOSQ_ERR_SUCCESS;
            if (p[1].revents & (POLLIN | POLLERR | POLLHUP)) {
                for (int k = 0; k < READ_BURST; k++) {
                    rc = mosquitto_loop_read(m->mosq, 1);
                    if (rc) break;
                    struct pollfd q = {.fd = fd, .events = POLLIN};
                    if (poll(&q, 1, 0) <= 0) break;
                }
            }
            if (!rc && mosquitto_want_write(m->mosq)) rc = mosquitto_loop_write(m->mosq, 1);
            if (!rc) rc = mosquitto_loop_misc(m->mosq);
        }
        flush(m);
        if (m->up) backoff = BACKOFF_MIN_MS;
        if (rc) {
            const char *why = rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
            atomic_store(&m->connected, false);
            if (m->up) log_warn("mqtt connection lost", "host", m->cfg.host, "error", why);
            else if (!m->refused) {
                ADD(m, connect_errors, 1);
                log_warn("mqtt connect failed", "host", m->cfg.host, "error", why);
            }
            live = false;
            next_try = clock_mono_ms() + backoff;
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        }
    }
    flush(m);
    if (live) {
        mosquitto_disconnect(m->mosq);
        mosquitto_loop_write(m->mosq, 1);
    }
    atomic_store(&m->connected, false);
    return NULL;
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static void lib_init(void) { mosquitto_lib_init(); }

ws_err ingest_mqtt_start(const ingest_mqtt_config *cfg, ingest_sink_fn sink, void *ctx, ingest_mqtt **out)
{
    *out = NULL;
    if (!sink) return ws_fail(WS_EINVAL, "sink", "a sink is required");
    ws_err rc = cfg_check(cfg);
    if (rc) return rc;
    if (cfg->tls_ca_file[0] && access(cfg->tls_ca_file, R_OK))
        return ws_fail(WS_EINVAL, "tls_ca_file", "tls_ca_file cannot be read: %s", strerror(errno));
    pthread_once(&lib_once, lib_init);
    ingest_mqtt *m = calloc(1, sizeof *m);
    if (!m) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    m->cfg = *cfg;
    m->sink = sink;
    m->ctx = ctx;
    m->wake_fd = -1;
    pthread_mutex_init(&m->lock, NULL);
    rc = WS_ENOMEM;
    m->buf = malloc(INGEST_MQTT_BUF * sizeof *m->buf);
    if (!m->buf) goto fail;
    bool spb = false;
    for (size_t i = 0; i < cfg->nsubs; i++) spb |= cfg->subs[i].format == INGEST_MQTT_SPARKPLUG;
    if (spb) {
        spb_opts o = {.include_group = cfg->include_group};
        m->spb = spb_session_new(INGEST_MQTT_SPB_SCOPES, INGEST_MQTT_SPB_POINTS, &o);
        if (!m->spb) goto fail;
    }
    m->mosq = mosquitto_new(cfg->client_id, true, m);
    if (!m->mosq) goto fail;
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_subscribe_callback_set(m->mosq, on_subscribe);
    mosquitto_message_callback_set(m->mosq, on_message);
    mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    rc = WS_EINVAL;
    if (cfg->username[0] &&
        mosquitto_username_pw_set(m->mosq, cfg->username, cfg->password[0] ? cfg->password : NULL)) {
        ws_fail(rc, "username", "the username or password was refused by libmosquitto");
        goto fail;
    }
    if (cfg->tls_ca_file[0] && mosquitto_tls_set(m->mosq, cfg->tls_ca_file, NULL, NULL, NULL, NULL)) {
        ws_fail(rc, "tls_ca_file", "TLS could not be set up with tls_ca_file");
        goto fail;
    }
    explicit_bzero(m->cfg.password, sizeof m->cfg.password); /* libmosquitto holds its copy */
    m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->wake_fd < 0) { rc = ws_fail(WS_EIO, NULL, "eventfd: %s", strerror(errno)); goto fail; }
    if (pthread_create(&m->thread, NULL, run, m)) {
        rc = ws_fail(WS_EIO, NULL, "cannot start the MQTT thread");
        goto fail;
    }
    *out = m;
    return WS_OK;
fail:
    if (rc == WS_ENOMEM) ws_fail(rc, NULL, "out of memory");
    if (m->mosq) mosquitto_destroy(m->mosq);
    if (m->wake_fd >= 0) close(m->wake_fd);
    spb_session_free(m->spb);
    free(m->buf);
    pthread_mutex_destroy(&m->lock);
    explicit_bzero(m->cfg.password, sizeof m->cfg.password);
    free(m);
    return rc;
}

void ingest_mqtt_stop(ingest_mqtt *m)
{
    if (!m) return;
    atomic_store(&m->stop, true);
    uint64_t one = 1;
    if (write(m->wake_fd, &one, sizeof one) < 0) { /* the loop also wakes within 1 s */ }
    pthread_join(m->thread, NULL);
    mosquitto_destroy(m->mosq);
    close(m->wake_fd);
    spb_session_free(m->spb);
    free(m->buf);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void ingest_mqtt_stats(const ingest_mqtt *cm, ingest_mqtt_counts *out)
{
    ingest_mqtt *m = (ingest_mqtt *)cm;
    memset(out, 0, sizeof *out);
    out->messages = GET(m, messages);
    out->readings = GET(m, readings);
    out->bad_payloads = GET(m, bad_payloads);
    out->bad_readings = GET(m, bad_readings);
    for (int i = 0; i < INGEST_MQTT_REASON_COUNT; i++) out->bad[i] = GET(m, bad[i]);
    out->sink_errors = GET(m, sink_errors);
    out->connects = GET(m, connects);
    out->reconnects = GET(m, reconnects);
    out->connect_errors = GET(m, connect_errors);
    out->rebirths_sent = GET(m, rebirths_sent);
    out->connected = atomic_load(&m->connected);
    pthread_mutex_lock(&m->lock);
    out->last_bad_ms = m->last_bad_ms;
    out->last_bad_reason = m->last_bad_reason;
    memcpy(out->last_bad_topic, m->last_bad_topic, sizeof out->last_bad_topic);
    memcpy(out->last_bad_sample, m->last_bad_sample, sizeof out->last_bad_sample);
    pthread_mutex_unlock(&m->lock);
}
