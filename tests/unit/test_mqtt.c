/* test_mqtt.c — MQTT ingestion (src/ingest/mqtt.c) against a real mosquitto
 * broker that this test starts on a free 127.0.0.1 port (a mosquitto.conf in
 * a temp dir, everything logged to a file so the test can see who published
 * what). Publishers and a spy subscribed to '#' are libmosquitto clients in
 * this process; the worksafe client delivers into a recording sink.
 *
 * What a user would check: JSON and line payloads arrive with their values,
 * times and qualities; only topics matching the configured patterns are
 * taken; Sparkplug B BIRTH/DATA/DEATH (payloads built here by hand from the
 * field numbers of the spec) become readings and DEATH makes them STALE; a
 * garbage payload is counted with a sample and later good ones still arrive;
 * a broker restart is survived; and worksafe publishes nothing unless
 * rebirth is on, then exactly one NCMD rebirth per node. The config parser is
 * checked for strictness. Skipped only when /usr/sbin/mosquitto is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "ingest/mqtt.h"
#include "ingest/sparkplug.h"

#define BROKER "/usr/sbin/mosquitto"

/* ---- broker ----------------------------------------------------------- */

static char g_dir[256];
static char g_log[300];
static int g_port;
static pid_t g_pid = -1;

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &n), 0);
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

static void broker_start(void)
{
    char conf[300];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", g_dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\npersistence false\n"
               "log_dest file %s\nlog_type all\nconnection_messages true\n",
            g_port, g_log);
    /* as root mosquitto would switch to user mosquitto, who cannot write the log */
    if (geteuid() == 0) fprintf(f, "user root\n");
    fclose(f);
    g_pid = fork();
    assert_true(g_pid >= 0);
    if (g_pid == 0) {
        execl(BROKER, BROKER, "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !port_open(g_port); i++) msleep(10);
    assert_true(port_open(g_port));
}

static void broker_stop(void)
{
    if (g_pid <= 0) return;
    kill(g_pid, SIGTERM);
    waitpid(g_pid, NULL, 0);
    g_pid = -1;
}

/* Lines of the broker log naming a PUBLISH received from client id. */
static int published_by(const char *id)
{
    FILE *f = fopen(g_log, "r");
    if (!f) return 0;
    char line[1024], pat[128];
    snprintf(pat, sizeof pat, "Received PUBLISH from %s ", id);
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, pat)) n++;
    fclose(f);
    return n;
}

static bool have_broker(void) { return access(BROKER, X_OK) == 0; }

static int group_setup(void **state)
{
    if (!have_broker()) return 0;
    snprintf(g_dir, sizeof g_dir, "/tmp/ws-test-mqtt-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_log, sizeof g_log, "%s/broker.log", g_dir);
    g_port = free_port();
    mosquitto_lib_init();
    broker_start();
    return 0;
}

static int group_teardown(void **state)
{
    broker_stop();
    if (g_dir[0] && !getenv("WS_TEST_KEEP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
        if (system(cmd)) { /* a leftover temp dir is harmless */ }
    }
    return 0;
}

/* ---- recording sink --------------------------------------------------- */

#define SINK_MAX 4096
static struct {
    pthread_mutex_t mu;
    ws_reading r[SINK_MAX];
    size_t n;
    size_t calls;
} g_sink = {.mu = PTHREAD_MUTEX_INITIALIZER};

static ws_err sink(void *ctx, const ws_reading *r, size_t n)
{
    pthread_mutex_lock(&g_sink.mu);
    for (size_t i = 0; i < n && g_sink.n < SINK_MAX; i++) g_sink.r[g_sink.n++] = r[i];
    g_sink.calls++;
    pthread_mutex_unlock(&g_sink.mu);
    return WS_OK;
}

static void sink_reset(void)
{
    pthread_mutex_lock(&g_sink.mu);
    g_sink.n = 0;
    g_sink.calls = 0;
    pthread_mutex_unlock(&g_sink.mu);
}

static size_t sink_count(void)
{
    pthread_mutex_lock(&g_sink.mu);
    size_t n = g_sink.n;
    pthread_mutex_unlock(&g_sink.mu);
    return n;
}

/* Wait until the sink holds at least n readings (5 s at most). */
static size_t sink_wait(size_t n)
{
    for (int i = 0; i < 500 && sink_count() < n; i++) msleep(10);
    return sink_count();
}

static const ws_reading *sink_find(const char *tag)
{
    for (size_t i = 0; i < g_sink.n; i++)
        if (!strcmp(g_sink.r[i].tag, tag)) return &g_sink.r[i];
    return NULL;
}

/* ---- test clients ----------------------------------------------------- */

typedef struct spy {
    struct mosquitto *m;
    pthread_mutex_t mu;
    bool subscribed;
    int n;
    char topic[64][128];
    uint8_t payload[64][256];
    int len[64];
} spy;

static void spy_msg(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
    spy *s = obj;
    pthread_mutex_lock(&s->mu);
    if (s->n < 64) {
        snprintf(s->topic[s->n], sizeof s->topic[0], "%s", msg->topic);
        int k = msg->payloadlen < 256 ? msg->payloadlen : 256;
        memcpy(s->payload[s->n], msg->payload, (size_t)k);
        s->len[s->n] = k;
    }
    s->n++;
    pthread_mutex_unlock(&s->mu);
}

static void spy_sub(struct mosquitto *m, void *obj, int mid, int n, const int *q)
{
    spy *s = obj;
    pthread_mutex_lock(&s->mu);
    s->subscribed = true;
    pthread_mutex_unlock(&s->mu);
}

static struct mosquitto *client(const char *id, void *obj)
{
    struct mosquitto *m = mosquitto_new(id, true, obj);
    assert_non_null(m);
    assert_int_equal(mosquitto_connect(m, "127.0.0.1", g_port, 30), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_loop_start(m), MOSQ_ERR_SUCCESS);
    return m;
}

static void client_free(struct mosquitto *m)
{
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
}

static spy *spy_new(void)
{
    spy *s = calloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->m = mosquitto_new("test-spy", true, s);
    mosquitto_message_callback_set(s->m, spy_msg);
    mosquitto_subscribe_callback_set(s->m, spy_sub);
    assert_int_equal(mosquitto_connect(s->m, "127.0.0.1", g_port, 30), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_subscribe(s->m, NULL, "#", 1), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_loop_start(s->m), MOSQ_ERR_SUCCESS);
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s->mu);
        bool ok = s->subscribed;
        pthread_mutex_unlock(&s->mu);
        if (ok) break;
        msleep(10);
    }
    assert_true(s->subscribed);
    return s;
}

static int spy_count(spy *s, const char *topic_part)
{
    pthread_mutex_lock(&s->mu);
    int k = 0;
    for (int i = 0; i < s->n && i < 64; i++)
        if (strstr(s->topic[i], topic_part)) k++;
    pthread_mutex_unlock(&s->mu);
    return k;
}

static void spy_free(spy *s)
{
    client_free(s->m);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static void pub(struct mosquitto *m, const char *topic, const void *p, size_t n)
{
    assert_int_equal(mosquitto_publish(m, NULL, topic, (int)n, p, 1, false), MOSQ_ERR_SUCCESS);
}
#define PUBS(m, topic, s) pub(m, topic, s, strlen(s))

static ingest_mqtt *ws_start(const char *id, const char *topic, int format, bool rebirth)
{
    ingest_mqtt_config c;
    ingest_mqtt_config_defaults(&c);
    c.port = g_port;
    snprintf(c.client_id, sizeof c.client_id, "%s", id);
    c.nsubs = 1;
    snprintf(c.subs[0].topic, sizeof c.subs[0].topic, "%s", topic);
    c.subs[0].format = (uint8_t)format;
    c.rebirth = rebirth;
    ingest_mqtt *m = NULL;
    assert_int_equal(ingest_mqtt_start(&c, sink, NULL, &m), WS_OK);
    ingest_mqtt_counts st;
    for (int i = 0; i < 500; i++) {
        ingest_mqtt_stats(m, &st);
        if (st.connected) break;
        msleep(10);
    }
    assert_true(st.connected);
    return m;
}

/* ---- Sparkplug B fixtures: a tiny protobuf encoder (test code only) ---- */

enum { TV_NONE, TV_LONG, TV_DOUBLE };
typedef struct tmetric {
    const char *name; /* NULL = absent */
    int64_t alias;    /* -1 = absent */
    uint32_t dt;      /* 0 = absent */
    int kind;
    uint64_t u;
    double d;
} tmetric;
typedef struct enc { uint8_t b[1024]; size_t n; } enc;

static void e_byte(enc *e, uint8_t v) { assert_true(e->n < sizeof e->b); e->b[e->n++] = v; }
static void e_varint(enc *e, uint64_t v)
{
    do { uint8_t c = v & 0x7F; v >>= 7; e_byte(e, c | (v ? 0x80 : 0)); } while (v);
}
static void e_key(enc *e, unsigned field, unsigned wt) { e_varint(e, (uint64_t)field << 3 | wt); }
static void e_bytes(enc *e, unsigned field, const void *p, size_t n)
{
    e_key(e, field, 2);
    e_varint(e, n);
    for (size_t i = 0; i < n; i++) e_byte(e, ((const uint8_t *)p)[i]);
}

/* Payload{timestamp=1 ts, metrics=2 [...], seq=3} (seq < 0: absent). */
static enc *spb_enc(enc *e, uint64_t ts, int seq, const tmetric *m, size_t nm)
{
    e->n = 0;
    e_key(e, 1, 0); e_varint(e, ts);
    for (size_t i = 0; i < nm; i++) {
        enc x = {.n = 0};
        if (m[i].name) e_bytes(&x, 1, m[i].name, strlen(m[i].name));
        if (m[i].alias >= 0) { e_key(&x, 2, 0); e_varint(&x, (uint64_t)m[i].alias); }
        if (m[i].dt) { e_key(&x, 4, 0); e_varint(&x, m[i].dt); }
        if (m[i].kind == TV_LONG) { e_key(&x, 11, 0); e_varint(&x, m[i].u); }
        if (m[i].kind == TV_DOUBLE) {
            uint64_t b;
            memcpy(&b, &m[i].d, 8);
            e_key(&x, 13, 1);
            for (int k = 0; k < 8; k++) e_byte(&x, (uint8_t)(b >> (8 * k)));
        }
        e_bytes(e, 2, x.b, x.n);
    }
    if (seq >= 0) { e_key(e, 3, 0); e_varint(e, (uint64_t)seq); }
    return e;
}
#define NM(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1795860000000ull

/* ---- tests ------------------------------------------------------------ */

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *v = json_loads(s, JSON_REJECT_DUPLICATES, &e);
    assert_non_null(v);
    return v;
}

static void expect_cfg_error(const char *doc, const char *field)
{
    ingest_mqtt_config c;
    json_t *v = J(doc);
    assert_int_equal(ingest_mqtt_config_parse(v, &c), WS_EINVAL);
    assert_string_equal(ws_err_field(), field);
    json_decref(v);
}

static void config_is_strict(void **state)
{
    ingest_mqtt_config c;
    json_t *v = J("{\"host\":\"broker.plant\",\"port\":8883,\"client_id\":\"ws-1\",\"username\":\"u\","
                  "\"password\":\"s3cret\",\"keepalive\":60,\"qos\":0,\"rebirth\":true,\"batch\":64,"
                  "\"subscriptions\":[{\"topic\":\"plant/+/json\",\"format\":\"json\"},"
                  "{\"topic\":\"spBv1.0/#\",\"format\":\"sparkplug\"},{\"format\":\"line\",\"topic\":\"l/#\"}]}");
    assert_int_equal(ingest_mqtt_config_parse(v, &c), WS_OK);
    json_decref(v);
    assert_string_equal(c.host, "broker.plant");
    assert_int_equal(c.port, 8883);
    assert_string_equal(c.client_id, "ws-1");
    assert_string_equal(c.username, "u");
    assert_string_equal(c.password, "s3cret");
    assert_int_equal(c.keepalive, 60);
    assert_int_equal(c.qos, 0);
    assert_true(c.rebirth);
    assert_int_equal(c.batch, 64);
    assert_int_equal(c.nsubs, 3);
    assert_int_equal(c.subs[1].format, INGEST_MQTT_SPARKPLUG);
    assert_int_equal(c.subs[2].format, INGEST_MQTT_LINE);
    assert_string_equal(c.subs[2].topic, "l/#");

    /* defaults: rebirth off, qos 1, port 1883 */
    v = J("{\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}");
    assert_int_equal(ingest_mqtt_config_parse(v, &c), WS_OK);
    json_decref(v);
    assert_false(c.rebirth);
    assert_int_equal(c.qos, 1);
    assert_int_equal(c.port, 1883);
    assert_string_equal(c.host, "127.0.0.1");

    expect_cfg_error("[]", "mqtt");
    expect_cfg_error("{\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}],\"hots\":\"x\"}", "hots");
    expect_cfg_error("{\"port\":\"1883\",\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}", "port");
    expect_cfg_error("{\"port\":0,\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}", "port");
    expect_cfg_error("{\"qos\":3,\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}", "qos");
    expect_cfg_error("{\"rebirth\":1,\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}", "rebirth");
    expect_cfg_error("{\"host\":\"\",\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}", "host");
    expect_cfg_error("{\"client_id\":\"a b\",\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}",
                     "client_id");
    expect_cfg_error("{\"password\":\"p\",\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"}]}", "password");
    expect_cfg_error("{\"host\":\"h\"}", "subscriptions");
    expect_cfg_error("{\"subscriptions\":[]}", "subscriptions");
    expect_cfg_error("{\"subscriptions\":[{\"topic\":\"a/#/b\",\"format\":\"line\"}]}", "subscriptions[0].topic");
    expect_cfg_error("{\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\"},{\"topic\":\"b\",\"format\":\"xml\"}]}",
                     "subscriptions[1].format");
    expect_cfg_error("{\"subscriptions\":[{\"topic\":\"a\"}]}", "subscriptions[0].format");
    expect_cfg_error("{\"subscriptions\":[{\"topic\":\"a\",\"format\":\"line\",\"qos\":1}]}", "subscriptions[0].qos");
    expect_cfg_error("{\"subscriptions\":[\"a\"]}", "subscriptions[0]");

    /* start refuses what the parser would */
    ingest_mqtt_config_defaults(&c);
    ingest_mqtt *m = NULL;
    assert_int_equal(ingest_mqtt_start(&c, sink, NULL, &m), WS_EINVAL);
    assert_string_equal(ws_err_field(), "subscriptions");
    assert_null(m);
}

static void json_line_and_wildcards(void **state)
{
    if (!have_broker()) skip();
    sink_reset();
    ingest_mqtt *w = NULL;
    {
        ingest_mqtt_config c;
        ingest_mqtt_config_defaults(&c);
        c.port = g_port;
        snprintf(c.client_id, sizeof c.client_id, "ws-text");
        c.nsubs = 2;
        snprintf(c.subs[0].topic, sizeof c.subs[0].topic, "plant/+/json");
        c.subs[0].format = INGEST_MQTT_JSON;
        snprintf(c.subs[1].topic, sizeof c.subs[1].topic, "lines/#");
        c.subs[1].format = INGEST_MQTT_LINE;
        assert_int_equal(ingest_mqtt_start(&c, sink, NULL, &w), WS_OK);
        ingest_mqtt_counts st;
        for (int i = 0; i < 500; i++) {
            ingest_mqtt_stats(w, &st);
            if (st.connected) break;
            msleep(10);
        }
        assert_true(st.connected);
    }
    struct mosquitto *p = client("test-pub-1", NULL);
    PUBS(p, "plant/u1/json", "{\"readings\":[{\"tag\":\"GT-101\",\"value\":12.5,\"t\":1795860000123,\"q\":0},"
                             "{\"tag\":\"FT-9\",\"value\":null,\"q\":2}]}");
    PUBS(p, "other/u1/json", "{\"readings\":[{\"tag\":\"NOT-1\",\"value\":1}]}");     /* not subscribed */
    PUBS(p, "plant/u1/json/x", "{\"readings\":[{\"tag\":\"NOT-2\",\"value\":1}]}");   /* '+' is one level */
    PUBS(p, "lines/a/b", "LT-1 3.25 1795860000999 uncertain\nPT-2 -0.5\n");
    PUBS(p, "plant/u2/json", "{\"series\":[{\"tag\":\"GT-102\",\"t0\":1795860000000,\"dt\":1000,\"values\":[1.5,null,2]}]}");
    assert_int_equal(sink_wait(6), 6);
    msleep(100);
    pthread_mutex_lock(&g_sink.mu);
    assert_int_equal(g_sink.n, 6);
    const ws_reading *r = sink_find("GT-101");
    assert_non_null(r);
    assert_true(r->value == 12.5);
    assert_int_equal(r->source_ms, 1795860000123);
    assert_int_equal(r->quality, WS_Q_GOOD);
    r = sink_find("FT-9");
    assert_non_null(r);
    assert_true(isnan(r->value));
    assert_int_equal(r->quality, WS_Q_BAD);
    r = sink_find("LT-1");
    assert_non_null(r);
    assert_true(r->value == 3.25);
    assert_int_equal(r->quality, WS_Q_UNCERTAIN);
    assert_int_equal(r->source_ms, 1795860000999);
    assert_non_null(sink_find("PT-2"));
    assert_null(sink_find("NOT-1"));
    assert_null(sink_find("NOT-2"));
    size_t g102 = 0;
    for (size_t i = 0; i < g_sink.n; i++) g102 += !strcmp(g_sink.r[i].tag, "GT-102");
    assert_int_equal(g102, 2); /* null in a series is a gap */
    pthread_mutex_unlock(&g_sink.mu);

    /* garbage is counted with a sample; good payloads after it still arrive */
    ingest_mqtt_counts st;
    ingest_mqtt_stats(w, &st);
    assert_int_equal(st.bad_payloads, 0);
    assert_int_equal(st.readings, 6);
    assert_int_equal(st.messages, 3);
    static const char garbage[] = "{\"readings\":[\x01\"oops\\";
    pub(p, "plant/u3/json", garbage, sizeof garbage - 1);
    PUBS(p, "lines/x", "GT-7 1..5\nGT-8 7\n"); /* one bad line, one good */
    PUBS(p, "plant/u3/json", "{\"readings\":[{\"tag\":\"GT-103\",\"value\":40}]}");
    assert_int_equal(sink_wait(8), 8);
    pthread_mutex_lock(&g_sink.mu);
    assert_non_null(sink_find("GT-8"));
    assert_non_null(sink_find("GT-103"));
    assert_null(sink_find("GT-7"));
    pthread_mutex_unlock(&g_sink.mu);
    ingest_mqtt_stats(w, &st);
    assert_int_equal(st.messages, 6);
    assert_int_equal(st.readings, 8);
    assert_int_equal(st.bad_payloads, 2);
    assert_int_equal(st.bad[INGEST_E_SYNTAX], 1);
    assert_int_equal(st.bad[INGEST_E_VALUE_SYNTAX], 1);
    assert_string_equal(ingest_mqtt_reason_name(INGEST_E_VALUE_SYNTAX), "value_syntax");
    /* the last sample: the line payload, escaped and bounded */
    assert_int_equal(st.last_bad_reason, INGEST_E_VALUE_SYNTAX);
    assert_string_equal(st.last_bad_topic, "lines/x");
    assert_string_equal(st.last_bad_sample, "GT-7 1..5\\nGT-8 7\\n");
    assert_true(st.last_bad_ms > 0);

    /* a big garbage payload: the sample stays within 256 bytes, escaped */
    char big[2000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i % 7 == 0 ? 0x01 : '"');
    pub(p, "plant/u4/json", big, sizeof big);
    PUBS(p, "lines/y", "GT-9 1\n");
    assert_int_equal(sink_wait(9), 9);
    ingest_mqtt_stats(w, &st);
    assert_int_equal(st.bad_payloads, 3);
    assert_true(strlen(st.last_bad_sample) <= INGEST_MQTT_SAMPLE_MAX);
    assert_true(strlen(st.last_bad_sample) > 200);
    assert_null(strchr(st.last_bad_sample, '"'));
    assert_memory_equal(st.last_bad_sample, "\\x01\\x22", 8);
    assert_true(st.connected);

    client_free(p);
    ingest_mqtt_stop(w);
    assert_int_equal(published_by("ws-text"), 0);
}

static void sparkplug_birth_data_death(void **state)
{
    if (!have_broker()) skip();
    sink_reset();
    spy *s = spy_new();
    ingest_mqtt *w = ws_start("ws-spb", "spBv1.0/#", INGEST_MQTT_SPARKPLUG, false);
    struct mosquitto *p = client("test-pub-2", NULL);
    enc e;
    const tmetric nbirth[] = {
        {"bdSeq", -1, 8, TV_LONG, 3, 0},
        {"GT-101", 1, 10, TV_DOUBLE, 0, 12.5},
        {"PT-2", 2, 10, TV_DOUBLE, 0, 0.8},
    };
    spb_enc(&e, T0, 0, nbirth, NM(nbirth));
    pub(p, "spBv1.0/plant1/NBIRTH/edge7", e.b, e.n);
    const tmetric dbirth[] = {{"O2", 10, 10, TV_DOUBLE, 0, 20.9}};
    spb_enc(&e, T0 + 1, 1, dbirth, NM(dbirth));
    pub(p, "spBv1.0/plant1/DBIRTH/edge7/gas-09", e.b, e.n);
    const tmetric ndata[] = {{NULL, 1, 0, TV_DOUBLE, 0, 30.0}};
    spb_enc(&e, T0 + 2, 2, ndata, NM(ndata));
    pub(p, "spBv1.0/plant1/NDATA/edge7", e.b, e.n);
    const tmetric ddata[] = {{NULL, 10, 0, TV_DOUBLE, 0, 18.5}};
    spb_enc(&e, T0 + 3, 3, ddata, NM(ddata));
    pub(p, "spBv1.0/plant1/DDATA/edge7/gas-09", e.b, e.n);
    assert_int_equal(sink_wait(5), 5);
    pthread_mutex_lock(&g_sink.mu);
    assert_string_equal(g_sink.r[2].tag, "edge7/gas-09/O2");
    assert_string_equal(g_sink.r[3].tag, "edge7/GT-101");
    assert_true(g_sink.r[3].value == 30.0);
    assert_int_equal(g_sink.r[3].source_ms, (int64_t)T0 + 2);
    assert_string_equal(g_sink.r[4].tag, "edge7/gas-09/O2");
    assert_true(g_sink.r[4].value == 18.5);
    pthread_mutex_unlock(&g_sink.mu);

    /* an unknown alias: counted bad; with rebirth off nothing is published */
    const tmetric unknown[] = {{NULL, 99, 0, TV_DOUBLE, 0, 1.0}};
    spb_enc(&e, T0 + 4, 4, unknown, NM(unknown));
    pub(p, "spBv1.0/plant1/NDATA/edge7", e.b, e.n);
    /* garbage protobuf (a length past the end), then a good message */
    static const uint8_t junk[] = {0x12, 0x7F, 0x0A};
    pub(p, "spBv1.0/plant1/NDATA/edge7", junk, sizeof junk);
    spb_enc(&e, T0 + 5, 5, ndata, NM(ndata));
    pub(p, "spBv1.0/plant1/NDATA/edge7", e.b, e.n);
    assert_int_equal(sink_wait(6), 6);

    /* NDEATH with the birth's bdSeq: every point of the node goes STALE */
    const tmetric ndeath[] = {{"bdSeq", -1, 8, TV_LONG, 3, 0}};
    spb_enc(&e, T0 + 9, -1, ndeath, NM(ndeath));
    pub(p, "spBv1.0/plant1/NDEATH/edge7", e.b, e.n);
    assert_int_equal(sink_wait(9), 9);
    pthread_mutex_lock(&g_sink.mu);
    const char *stale[] = {"edge7/GT-101", "edge7/PT-2", "edge7/gas-09/O2"};
    for (size_t k = 0; k < 3; k++) {
        bool found = false;
        for (size_t i = 6; i < g_sink.n; i++)
            if (!strcmp(g_sink.r[i].tag, stale[k])) {
                found = true;
                assert_int_equal(g_sink.r[i].quality, WS_Q_STALE);
                assert_true(isnan(g_sink.r[i].value));
            }
        assert_true(found);
    }
    pthread_mutex_unlock(&g_sink.mu);

    ingest_mqtt_counts st;
    ingest_mqtt_stats(w, &st);
    assert_int_equal(st.bad[INGEST_MQTT_BAD_SPB_METRIC], 1);
    assert_int_equal(st.bad[INGEST_MQTT_BAD_SPB_PAYLOAD], 1);
    assert_string_equal(st.last_bad_sample, "\\x12\\x7f\\n");
    assert_int_equal(st.rebirths_sent, 0);
    assert_int_equal(st.messages, 8);
    assert_int_equal(st.readings, 9);

    msleep(200);
    assert_int_equal(spy_count(s, "NCMD"), 0);
    assert_int_equal(spy_count(s, "spBv1.0/"), 8); /* exactly what the test published */
    assert_int_equal(published_by("ws-spb"), 0);
    assert_true(published_by("test-pub-2") >= 8); /* the log does show publishers */
    client_free(p);
    ingest_mqtt_stop(w);
    spy_free(s);
}

static void sparkplug_rebirth_when_allowed(void **state)
{
    if (!have_broker()) skip();
    sink_reset();
    spy *s = spy_new();
    ingest_mqtt *w = ws_start("ws-rebirth", "spBv1.0/plant2/#", INGEST_MQTT_SPARKPLUG, true);
    struct mosquitto *p = client("test-pub-3", NULL);
    enc e;
    const tmetric nbirth[] = {{"bdSeq", -1, 8, TV_LONG, 1, 0}, {"GT-201", 1, 10, TV_DOUBLE, 0, 1.0}};
    spb_enc(&e, T0, 0, nbirth, NM(nbirth));
    pub(p, "spBv1.0/plant2/NBIRTH/edge9", e.b, e.n);
    const tmetric unknown[] = {{NULL, 42, 0, TV_DOUBLE, 0, 1.0}};
    for (int i = 0; i < 3; i++) {
        spb_enc(&e, T0 + 1 + (uint64_t)i, 1 + i, unknown, NM(unknown));
        pub(p, "spBv1.0/plant2/NDATA/edge9", e.b, e.n);
    }
    const tmetric ok[] = {{NULL, 1, 0, TV_DOUBLE, 0, 2.0}};
    spb_enc(&e, T0 + 5, 4, ok, NM(ok));
    pub(p, "spBv1.0/plant2/NDATA/edge9", e.b, e.n);
    assert_int_equal(sink_wait(2), 2);
    for (int i = 0; i < 200 && spy_count(s, "/NCMD/") < 1; i++) msleep(10);
    msleep(200);
    assert_int_equal(spy_count(s, "spBv1.0/plant2/NCMD/edge9"), 1); /* once, though asked 3 times */
    assert_int_equal(published_by("ws-rebirth"), 1);

    /* the NCMD is a Sparkplug payload with Node Control/Rebirth = true */
    pthread_mutex_lock(&s->mu);
    int at = -1;
    for (int i = 0; i < s->n && i < 64; i++)
        if (strstr(s->topic[i], "/NCMD/")) at = i;
    assert_true(at >= 0);
    spb_payload pl;
    assert_int_equal(spb_payload_scan(s->payload[at], (size_t)s->len[at], &pl), WS_OK);
    assert_int_equal(pl.nmetrics, 1);
    spb_metric m;
    assert_true(spb_next_metric(&pl, &m));
    assert_int_equal(m.name_len, strlen("Node Control/Rebirth"));
    assert_memory_equal(m.name, "Node Control/Rebirth", m.name_len);
    assert_int_equal(m.datatype, 11);
    assert_int_equal(m.vkind, SPB_V_BOOL);
    assert_int_equal(m.u, 1);
    pthread_mutex_unlock(&s->mu);

    ingest_mqtt_counts st;
    ingest_mqtt_stats(w, &st);
    assert_int_equal(st.rebirths_sent, 1);
    client_free(p);
    ingest_mqtt_stop(w);
    spy_free(s);
}

static void broker_restart_reconnects(void **state)
{
    if (!have_broker()) skip();
    sink_reset();
    ingest_mqtt *w = ws_start("ws-restart", "r/#", INGEST_MQTT_LINE, false);
    struct mosquitto *p = client("test-pub-4", NULL);
    PUBS(p, "r/1", "GT-301 1\n");
    assert_int_equal(sink_wait(1), 1);
    client_free(p);

    broker_stop();
    ingest_mqtt_counts st;
    for (int i = 0; i < 500; i++) {
        ingest_mqtt_stats(w, &st);
        if (!st.connected) break;
        msleep(10);
    }
    assert_false(st.connected);
    msleep(700); /* at least one failed attempt while it is down */
    broker_start();
    for (int i = 0; i < 1000; i++) {
        ingest_mqtt_stats(w, &st);
        if (st.connected) break;
        msleep(10);
    }
    assert_true(st.connected);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(st.connects, 2);

    p = client("test-pub-5", NULL);
    PUBS(p, "r/2", "GT-302 2\n");
    assert_int_equal(sink_wait(2), 2);
    pthread_mutex_lock(&g_sink.mu);
    assert_string_equal(g_sink.r[1].tag, "GT-302");
    pthread_mutex_unlock(&g_sink.mu);
    client_free(p);
    ingest_mqtt_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_is_strict),
        cmocka_unit_test(json_line_and_wildcards),
        cmocka_unit_test(sparkplug_birth_data_death),
        cmocka_unit_test(sparkplug_rebirth_when_allowed),
        cmocka_unit_test(broker_restart_reconnects),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
