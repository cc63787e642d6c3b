/* test_modbus.c — the Modbus TCP poller (src/ingest/modbus.c) against a real
 * Modbus TCP server running inside this test: libmodbus on 127.0.0.1 (a free
 * port), a modbus_mapping_t whose registers the test sets, and a thread doing
 * accept / modbus_receive / modbus_reply that counts and records every
 * request it sees.
 *
 * Checks: every type x word order (register values written by hand from the
 * value's IEEE/two's-complement bytes, not with libmodbus's float helpers),
 * scale/offset, 4–20 mA in range, NE 43 under/over range (UNCERTAIN) and
 * fault (BAD, NaN), coils and discrete inputs, an exception reply spoiling
 * only its own block, request grouping (the requests the server saw), server
 * gone -> STALE exactly once, server back -> readings again, a mute server ->
 * timeout -> STALE, a prompt stop, and config refusals naming the field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "ingest/modbus.h"

#define NM(a) (sizeof(a) / sizeof((a)[0]))

/* ================================================================ server */

typedef struct seen_req {
    uint8_t fc;
    uint16_t start, count;
} seen_req;

typedef struct srv {
    int port;
    int lfd;
    modbus_t *ctx;
    modbus_mapping_t *map;
    pthread_mutex_t lock; /* the mapping and the request log */
    pthread_t th;
    atomic_bool stop, mute;
    atomic_int requests;
    seen_req log[4096];
    size_t nlog;
} srv;

static void *srv_main(void *arg)
{
    srv *s = arg;
    uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
    int hl = modbus_get_header_length(s->ctx);
    while (!atomic_load(&s->stop)) {
        struct pollfd pf = {.fd = s->lfd, .events = POLLIN};
        if (poll(&pf, 1, 20) <= 0) continue;
        int lfd = s->lfd;
        int cfd = modbus_tcp_accept(s->ctx, &lfd);
        if (cfd < 0) continue;
        while (!atomic_load(&s->stop)) {
            struct pollfd pc = {.fd = cfd, .events = POLLIN};
            if (poll(&pc, 1, 20) <= 0) continue;
            int n = modbus_receive(s->ctx, q);
            if (n < 0) break; /* the client went away */
            if (n == 0) continue;
            atomic_fetch_add(&s->requests, 1);
            pthread_mutex_lock(&s->lock);
            if (s->nlog < NM(s->log))
                s->log[s->nlog++] = (seen_req){q[hl], (uint16_t)(q[hl + 1] << 8 | q[hl + 2]),
                                               (uint16_t)(q[hl + 3] << 8 | q[hl + 4])};
            if (!atomic_load(&s->mute)) modbus_reply(s->ctx, q, n, s->map);
            pthread_mutex_unlock(&s->lock);
        }
        close(cfd);
        modbus_set_socket(s->ctx, -1);
    }
    return NULL;
}

/* Listen on 127.0.0.1:port (0 = any free port) and serve in a thread. */
static void srv_start(srv *s, int port)
{
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    s->ctx = modbus_new_tcp("127.0.0.1", s->port);
    assert_non_null(s->ctx);
    atomic_store(&s->stop, false);
    assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(srv *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    close(s->lfd);
    modbus_free(s->ctx);
}

static void srv_set(srv *s, uint16_t *tab, int at, const uint16_t *v, int n)
{
    pthread_mutex_lock(&s->lock);
    memcpy(tab + at, v, (size_t)n * sizeof *v);
    pthread_mutex_unlock(&s->lock);
}

/* ================================================================== sink */

typedef struct sink {
    pthread_mutex_t m;
    int batches, stale, good;
    ws_reading last[512];
    size_t nlast;
    ws_reading last_good[512];
    size_t ngood;
} sink;

static ws_err sink_fn(void *ctx, const ws_reading *r, size_t n)
{
    sink *k = ctx;
    pthread_mutex_lock(&k->m);
    k->batches++;
    assert_true(n <= NM(k->last));
    memcpy(k->last, r, n * sizeof *r);
    k->nlast = n;
    bool all_stale = true;
    for (size_t i = 0; i < n; i++) {
        if (r[i].quality != WS_Q_STALE) all_stale = false;
        if (isnan(r[i].value) && r[i].quality < WS_Q_BAD) fail_msg("NaN with quality %u", r[i].quality);
        if (r[i].source_ms <= 0) fail_msg("no poll time");
    }
    if (all_stale) k->stale++;
    else {
        k->good++;
        memcpy(k->last_good, r, n * sizeof *r);
        k->ngood = n;
    }
    pthread_mutex_unlock(&k->m);
    return WS_OK;
}

static int sink_get(sink *k, int which)
{
    pthread_mutex_lock(&k->m);
    int v = which == 0 ? k->batches : which == 1 ? k->stale : k->good;
    pthread_mutex_unlock(&k->m);
    return v;
}

/* Wait until counter `which` reaches at least v (5 s at most). */
static bool sink_wait(sink *k, int which, int v)
{
    for (int i = 0; i < 500; i++) {
        if (sink_get(k, which) >= v) return true;
        usleep(10000);
    }
    return false;
}

static const ws_reading *find(const ws_reading *r, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r[i].tag, tag)) return &r[i];
    fail_msg("no reading for %s", tag);
    return NULL;
}

/* ============================================================== fixtures */

static const char *const ORD[] = {"ABCD", "CDAB", "BADC", "DCBA"};

/* Hand-written registers: each value's big-endian bytes placed per order.
 *   u16 0x1234 (4660)         i16 0xCFC7 (-12345)
 *   u32 0x12345678            i32 0xF8A432EB (-123456789)
 *   f32 0xC2F6E979 (-123.456f) f64 0xC05EDD2F1A9FBE77 (-123.456) */
static const uint16_t REG_U16[4][1] = {{0x1234}, {0x1234}, {0x3412}, {0x3412}};
static const uint16_t REG_I16[4][1] = {{0xCFC7}, {0xCFC7}, {0xC7CF}, {0xC7CF}};
static const uint16_t REG_U32[4][2] = {{0x1234, 0x5678}, {0x5678, 0x1234}, {0x3412, 0x7856}, {0x7856, 0x3412}};
static const uint16_t REG_I32[4][2] = {{0xF8A4, 0x32EB}, {0x32EB, 0xF8A4}, {0xA4F8, 0xEB32}, {0xEB32, 0xA4F8}};
static const uint16_t REG_F32[4][2] = {{0xC2F6, 0xE979}, {0xE979, 0xC2F6}, {0xF6C2, 0x79E9}, {0x79E9, 0xF6C2}};
static const uint16_t REG_F64[4][4] = {{0xC05E, 0xDD2F, 0x1A9F, 0xBE77},
                                       {0xBE77, 0x1A9F, 0xDD2F, 0xC05E},
                                       {0x5EC0, 0x2FDD, 0x9F1A, 0x77BE},
                                       {0x77BE, 0x9F1A, 0x2FDD, 0x5EC0}};

/* The device JSON for the server at port: 13 registers per word order from
 * address 0 (bool u16 i16 u32 i32 f32 f64), a scaled u16 at 100, an
 * exception at 500 (past the mapping), 4–20 mA inputs at FC4 0..5, 130
 * contiguous u16 inputs at FC4 1000 (two requests), 4 coils, 2 discrete
 * inputs with a gap. */
static char *device_json(int port, int interval_ms, int timeout_ms)
{
    static char b[32768];
    size_t n = (size_t)snprintf(b, sizeof b,
                                "{\"name\":\"GDS-1\",\"host\":\"127.0.0.1\",\"port\":%d,\"unit_id\":1,"
                                "\"interval_ms\":%d,\"timeout_ms\":%d,\"points\":[",
                                port, interval_ms, timeout_ms);
    static const char *const ty[] = {"bool", "u16", "i16", "u32", "i32", "f32", "f64"};
    static const int w[] = {1, 1, 1, 2, 2, 2, 4};
    int addr = 0;
    for (int o = 0; o < 4; o++)
        for (int t = 0; t < 7; t++) {
            n += (size_t)snprintf(b + n, sizeof b - n,
                                  "{\"tag\":\"%s-%s\",\"function\":3,\"address\":%d,\"type\":\"%s\",\"word_order\":\"%s\"},",
                                  ty[t], ORD[o], addr, ty[t], ORD[o]);
            addr += w[t];
        }
    n += (size_t)snprintf(b + n, sizeof b - n,
                          "{\"tag\":\"SCALED\",\"function\":3,\"address\":100,\"type\":\"u16\",\"scale\":0.1,\"offset\":-20},"
                          "{\"tag\":\"MISSING\",\"function\":3,\"address\":500,\"type\":\"u16\"},");
    static const char *const ma[] = {"MA-4", "MA-12", "MA-20", "MA-3.7", "MA-20.6", "MA-3.9"};
    for (int i = 0; i < 6; i++)
        n += (size_t)snprintf(b + n, sizeof b - n,
                              "{\"tag\":\"%s\",\"function\":4,\"address\":%d,\"type\":\"u16\",\"ma4_20\":"
                              "{\"raw_at_4ma\":4000,\"raw_at_20ma\":20000,\"eng_low\":0,\"eng_high\":100}},",
                              ma[i], i);
    for (int i = 0; i < 130; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, "{\"tag\":\"IR-%d\",\"function\":4,\"address\":%d,\"type\":\"u16\"},",
                              1000 + i, 1000 + i);
    for (int i = 0; i < 4; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, "{\"tag\":\"COIL-%d\",\"function\":1,\"address\":%d,\"type\":\"bool\"},",
                              i, i);
    n += (size_t)snprintf(b + n, sizeof b - n,
                          "{\"tag\":\"DI-10\",\"function\":2,\"address\":10,\"type\":\"bool\"},"
                          "{\"tag\":\"DI-12\",\"function\":2,\"address\":12,\"type\":\"bool\"}]}");
    assert_true(n < sizeof b - 1);
    return b;
}

static void fill_server(srv *s)
{
    s->map = modbus_mapping_new(16, 16, 200, 2000);
    assert_non_null(s->map);
    int addr = 0;
    for (int o = 0; o < 4; o++) {
        uint16_t one = 0x0100;
        srv_set(s, s->map->tab_registers, addr, &one, 1), addr += 1;
        srv_set(s, s->map->tab_registers, addr, REG_U16[o], 1), addr += 1;
        srv_set(s, s->map->tab_registers, addr, REG_I16[o], 1), addr += 1;
        srv_set(s, s->map->tab_registers, addr, REG_U32[o], 2), addr += 2;
        srv_set(s, s->map->tab_registers, addr, REG_I32[o], 2), addr += 2;
        srv_set(s, s->map->tab_registers, addr, REG_F32[o], 2), addr += 2;
        srv_set(s, s->map->tab_registers, addr, REG_F64[o], 4), addr += 4;
    }
    uint16_t raw = 1234;
    srv_set(s, s->map->tab_registers, 100, &raw, 1);
    const uint16_t ma[] = {4000, 12000, 20000, 3700, 20600, 3900};
    srv_set(s, s->map->tab_input_registers, 0, ma, 6);
    for (uint16_t i = 0; i < 130; i++) {
        uint16_t v = (uint16_t)(7 * i + 1);
        srv_set(s, s->map->tab_input_registers, 1000 + i, &v, 1);
    }
    s->map->tab_bits[0] = 1, s->map->tab_bits[1] = 0, s->map->tab_bits[2] = 1, s->map->tab_bits[3] = 1;
    s->map->tab_input_bits[10] = 1, s->map->tab_input_bits[12] = 0;
}

static void check_values(const ws_reading *r, size_t n)
{
    char tag[32];
    for (int o = 0; o < 4; o++) {
        const struct { const char *t; double v; } want[] = {
            {"bool", 1}, {"u16", 4660}, {"i16", -12345}, {"u32", 305419896}, {"i32", -123456789},
            {"f32", (double)-123.456f}, {"f64", -123.456},
        };
        for (size_t i = 0; i < NM(want); i++) {
            snprintf(tag, sizeof tag, "%s-%s", want[i].t, ORD[o]);
            const ws_reading *x = find(r, n, tag);
            if (x->quality != WS_Q_GOOD || x->value != want[i].v)
                fail_msg("%s: %.17g q%u, want %.17g", tag, x->value, x->quality, want[i].v);
        }
    }
    assert_float_equal(find(r, n, "SCALED")->value, 1234 * 0.1 - 20, 1e-9);
    assert_int_equal(find(r, n, "MISSING")->quality, WS_Q_BAD); /* exception reply: illegal address */
    assert_true(isnan(find(r, n, "MISSING")->value));
    assert_float_equal(find(r, n, "MA-4")->value, 0, 1e-9);
    assert_int_equal(find(r, n, "MA-4")->quality, WS_Q_GOOD);
    assert_float_equal(find(r, n, "MA-12")->value, 50, 1e-9);
    assert_float_equal(find(r, n, "MA-20")->value, 100, 1e-9);
    assert_int_equal(find(r, n, "MA-20")->quality, WS_Q_GOOD);
    assert_int_equal(find(r, n, "MA-3.7")->quality, WS_Q_BAD);
    assert_true(isnan(find(r, n, "MA-3.7")->value));
    assert_int_equal(find(r, n, "MA-20.6")->quality, WS_Q_BAD);
    assert_true(isnan(find(r, n, "MA-20.6")->value));
    assert_int_equal(find(r, n, "MA-3.9")->quality, WS_Q_UNCERTAIN); /* NE 43 under range, still measured */
    assert_float_equal(find(r, n, "MA-3.9")->value, -0.625, 1e-9);
    for (int i = 0; i < 130; i++) {
        snprintf(tag, sizeof tag, "IR-%d", 1000 + i);
        assert_float_equal(find(r, n, tag)->value, 7 * i + 1, 0);
    }
    assert_float_equal(find(r, n, "COIL-0")->value, 1, 0);
    assert_float_equal(find(r, n, "COIL-1")->value, 0, 0);
    assert_float_equal(find(r, n, "COIL-2")->value, 1, 0);
    assert_float_equal(find(r, n, "COIL-3")->value, 1, 0);
    assert_float_equal(find(r, n, "DI-10")->value, 1, 0);
    assert_float_equal(find(r, n, "DI-12")->value, 0, 0);
}

/* ================================================================= tests */

static void plan_groups_requests(void **state)
{
    (void)state;
    modbus_device *d = NULL;
    const char *j = device_json(502, 1000, 1000);
    assert_int_equal(modbus_device_parse(j, strlen(j), &d), WS_OK);
    assert_int_equal(d->npoints, 28 + 2 + 6 + 130 + 4 + 2);
    /* FC1 0..3; FC2 10, 12; FC3 0..51, 100, 500; FC4 0..5, 1000..1124, 1125..1129 */
    static const modbus_request want[] = {{1, 0, 4},   {2, 10, 1},  {2, 12, 1},    {3, 0, 52},
                                          {3, 100, 1}, {3, 500, 1}, {4, 0, 6},     {4, 1000, 125},
                                          {4, 1125, 5}};
    assert_int_equal(d->nreq, NM(want));
    for (size_t i = 0; i < NM(want); i++) {
        if (d->reqs[i].function != want[i].function || d->reqs[i].start != want[i].start ||
            d->reqs[i].count != want[i].count)
            fail_msg("request %zu: fc %u %u x%u", i, d->reqs[i].function, d->reqs[i].start, d->reqs[i].count);
    }
    assert_string_equal(d->name, "GDS-1");
    modbus_device_free(d);

    /* overlapping points share a read; 2000 bits per request at most */
    char b[200000];
    size_t n = (size_t)snprintf(b, sizeof b, "{\"host\":\"h\",\"points\":["
                                "{\"tag\":\"A\",\"function\":3,\"address\":10,\"type\":\"f64\"},"
                                "{\"tag\":\"B\",\"function\":3,\"address\":12,\"type\":\"u16\"},"
                                "{\"tag\":\"C\",\"function\":3,\"address\":14,\"type\":\"u32\"}");
    for (int i = 0; i < 2001; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, ",{\"tag\":\"K%d\",\"function\":1,\"address\":%d,\"type\":\"bool\"}", i, i);
    n += (size_t)snprintf(b + n, sizeof b - n, "]}");
    assert_int_equal(modbus_device_parse(b, n, &d), WS_OK);
    assert_int_equal(d->nreq, 3);
    assert_int_equal(d->reqs[0].function, 1);
    assert_int_equal(d->reqs[0].count, 2000);
    assert_int_equal(d->reqs[1].start, 2000);
    assert_int_equal(d->reqs[2].function, 3);
    assert_int_equal(d->reqs[2].start, 10);
    assert_int_equal(d->reqs[2].count, 6);
    assert_string_equal(d->name, "h:502/1");
    assert_int_equal(d->port, 502);
    modbus_device_free(d);
}

static void convert_boundaries(void **state)
{
    (void)state;
    modbus_point p = {.function = 4, .type = MB_T_U16, .ma = true, .raw_at_4ma = 4000, .raw_at_20ma = 20000,
                      .eng_low = 0, .eng_high = 100, .scale = 1};
    strcpy(p.tag, "GT-1");
    ws_reading r;
    static const struct { uint16_t raw; int q; double v; } c[] = {
        {3799, WS_Q_BAD, NAN}, {3800, WS_Q_UNCERTAIN, -1.25}, {4000, WS_Q_GOOD, 0}, {20000, WS_Q_GOOD, 100},
        {20001, WS_Q_UNCERTAIN, 100.00625}, {20500, WS_Q_UNCERTAIN, 103.125}, {20501, WS_Q_BAD, NAN},
        {0, WS_Q_BAD, NAN}, /* the 0 mA of a broken loop */ {2000, WS_Q_BAD, NAN}, /* 2 mA: many CN detectors' fault */
    };
    for (size_t i = 0; i < NM(c); i++) {
        bool ok = modbus_point_convert(&p, &c[i].raw, 0, &r);
        if (r.quality != c[i].q) fail_msg("raw %u: quality %u", c[i].raw, r.quality);
        assert_string_equal(r.tag, "GT-1");
        if (c[i].q == WS_Q_BAD) {
            assert_false(ok);
            assert_true(isnan(r.value));
        } else {
            assert_true(ok);
            assert_float_equal(r.value, c[i].v, 1e-9);
        }
    }
    /* reversed raw span (a 20000..4000 transmitter) and an inverted eng range */
    p.raw_at_4ma = 20000, p.raw_at_20ma = 4000, p.eng_low = 25, p.eng_high = 19.5;
    uint16_t raw = 12000;
    assert_true(modbus_point_convert(&p, &raw, 0, &r));
    assert_float_equal(r.value, 22.25, 1e-9);
    /* a float NaN from the device is a fault, not a reading */
    modbus_point f = {.function = 3, .type = MB_T_F32, .scale = 1};
    const uint16_t nan_regs[2] = {0x7FC0, 0x0000};
    assert_false(modbus_point_convert(&f, nan_regs, 0, &r));
    assert_int_equal(r.quality, WS_Q_BAD);
}

static void config_refusals(void **state)
{
    (void)state;
#define P(x) "{\"host\":\"127.0.0.1\",\"points\":[{\"tag\":\"A\",\"function\":3,\"address\":0,\"type\":\"u16\"}" x "]}"
    static const struct { const char *json, *field; } bad[] = {
        {"[]", "device"},
        {"{\"host\":\"h\",\"points\":[]}", "points"},
        {"{\"points\":[{\"tag\":\"A\",\"function\":3,\"address\":0,\"type\":\"u16\"}]}", "host"},
        {"{\"host\":\"h\",\"port\":0,\"points\":[]}", "port"},
        {"{\"host\":\"h\",\"port\":\"502\",\"points\":[]}", "port"},
        {"{\"host\":\"h\",\"unit_id\":256,\"points\":[]}", "unit_id"},
        {"{\"host\":\"h\",\"interval_ms\":1.5,\"points\":[]}", "interval_ms"},
        {"{\"host\":\"h\",\"timeout_ms\":0,\"points\":[]}", "timeout_ms"},
        {"{\"host\":\"h\",\"colour\":1,\"points\":[]}", "colour"},
        {"{\"host\":\"h\",\"host\":\"g\",\"points\":[]}", "device"}, /* duplicate key */
        {P(",{\"tag\":\"B\",\"function\":5,\"address\":0,\"type\":\"u16\"}"), "points[1].function"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":65536,\"type\":\"u16\"}"), "points[1].address"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":65534,\"type\":\"f64\"}"), "points[1].address"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u64\"}"), "points[1].type"},
        {P(",{\"tag\":\"B\",\"function\":1,\"address\":1,\"type\":\"u16\"}"), "points[1].type"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"f32\",\"word_order\":\"ACBD\"}"), "points[1].word_order"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"f32\",\"word_order\":\"CDAB\"},"
           "{\"tag\":\"C\",\"function\":3,\"address\":1,\"type\":\"u16\",\"word_order\":1}"), "points[2].word_order"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"scale\":0}"), "points[1].scale"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"scale\":\"2\"}"), "points[1].scale"},
        {P(",{\"tag\":\"A\",\"function\":3,\"address\":1,\"type\":\"u16\"}"), "points[1].tag"},
        {P(",{\"tag\":\"B C\",\"function\":3,\"address\":1,\"type\":\"u16\"}"), "points[1].tag"},
        {P(",{\"function\":3,\"address\":1,\"type\":\"u16\"}"), "points[1].tag"},
        {P(",{\"tag\":\"B\",\"address\":1,\"type\":\"u16\"}"), "points[1].function"},
        {P(",{\"tag\":\"B\",\"function\":3,\"type\":\"u16\"}"), "points[1].address"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1}"), "points[1].type"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"unit\":\"%LEL\"}"), "points[1].unit"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"ma4_20\":"
           "{\"raw_at_4ma\":4000,\"raw_at_20ma\":4000,\"eng_low\":0,\"eng_high\":100}}"), "points[1].ma4_20.raw_at_20ma"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"ma4_20\":"
           "{\"raw_at_4ma\":4000,\"raw_at_20ma\":20000,\"eng_low\":0}}"), "points[1].ma4_20.eng_high"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"ma4_20\":"
           "{\"raw_at_4ma\":4000,\"raw_at_20ma\":20000,\"eng_low\":5,\"eng_high\":5}}"), "points[1].ma4_20.eng_high"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"ma4_20\":"
           "{\"raw_at_4ma\":4000,\"raw_at_20ma\":20000,\"eng_low\":0,\"eng_high\":100,\"lrv\":1}}"), "points[1].ma4_20.lrv"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"u16\",\"scale\":2,\"ma4_20\":"
           "{\"raw_at_4ma\":4000,\"raw_at_20ma\":20000,\"eng_low\":0,\"eng_high\":100}}"), "points[1].scale"},
        {P(",{\"tag\":\"B\",\"function\":3,\"address\":1,\"type\":\"bool\",\"ma4_20\":"
           "{\"raw_at_4ma\":4000,\"raw_at_20ma\":20000,\"eng_low\":0,\"eng_high\":100}}"), "points[1].ma4_20"},
        {P(",7"), "points[1]"},
    };
#undef P
    for (size_t i = 0; i < NM(bad); i++) {
        modbus_device *d = (modbus_device *)1;
        ws_err_clear();
        ws_err rc = modbus_device_parse(bad[i].json, strlen(bad[i].json), &d);
        if (rc != WS_EINVAL) fail_msg("case %zu (%s): accepted", i, bad[i].field);
        assert_null(d);
        if (strcmp(ws_err_field(), bad[i].field))
            fail_msg("case %zu: field %s, want %s (%s)", i, ws_err_field(), bad[i].field, ws_err_message());
    }
    /* word order is case-insensitive; defaults */
    modbus_device *d = NULL;
    const char ok[] = "{\"host\":\"plc.local\",\"points\":[{\"tag\":\"A\",\"function\":3,\"address\":0,\"type\":\"f32\","
                      "\"word_order\":\"cdab\"}]}";
    assert_int_equal(modbus_device_parse(ok, sizeof ok - 1, &d), WS_OK);
    assert_int_equal(d->points[0].order, MB_CDAB);
    assert_int_equal(d->unit_id, 1);
    assert_int_equal(d->interval_ms, 1000);
    assert_float_equal(d->points[0].scale, 1, 0);
    modbus_device_free(d);
}

static void poll_real_server(void **state)
{
    (void)state;
    static srv s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    fill_server(&s);
    srv_start(&s, 0);
    int port = s.port;

    static sink k;
    memset(&k, 0, sizeof k);
    pthread_mutex_init(&k.m, NULL);
    modbus_device *d = NULL;
    const char *j = device_json(port, 50, 300);
    assert_int_equal(modbus_device_parse(j, strlen(j), &d), WS_OK);
    size_t npts = d->npoints;
    modbus_poller *p = NULL;
    modbus_poller_opts o = {.sink = sink_fn, .ctx = &k, .backoff_min_ms = 20, .backoff_max_ms = 100};
    int64_t t0 = clock_now_ms();
    assert_int_equal(modbus_poller_start(&o, &d, 1, &p), WS_OK);

    /* readings */
    assert_true(sink_wait(&k, 2, 2));
    pthread_mutex_lock(&k.m);
    assert_int_equal(k.ngood, npts);
    check_values(k.last_good, k.ngood);
    assert_true(k.last_good[0].source_ms >= t0 && k.last_good[0].source_ms <= clock_now_ms());
    pthread_mutex_unlock(&k.m);

    /* grouping: 9 requests a poll, as planned (FC, start, count) */
    modbus_stats st;
    modbus_poller_stats(p, &st);
    pthread_mutex_lock(&s.lock);
    assert_true(s.nlog >= 9);
    static const seen_req want[] = {{1, 0, 4},   {2, 10, 1},  {2, 12, 1},    {3, 0, 52}, {3, 100, 1},
                                    {3, 500, 1}, {4, 0, 6},   {4, 1000, 125}, {4, 1125, 5}};
    for (size_t i = 0; i < s.nlog; i++) /* every poll sends exactly these, in this order */
        if (s.log[i].fc != want[i % 9].fc || s.log[i].start != want[i % 9].start || s.log[i].count != want[i % 9].count)
            fail_msg("request %zu seen: fc %u %u x%u", i, s.log[i].fc, s.log[i].start, s.log[i].count);
    pthread_mutex_unlock(&s.lock);
    assert_true(st.polls >= 2);
    assert_true(st.faults >= 3 * st.polls - 3); /* MISSING, MA-3.7, MA-20.6 per poll */
    assert_true(st.connected);

    /* a value changes on the device */
    const uint16_t gas[] = {8000}; /* 8 mA -> 25 %LEL */
    srv_set(&s, s.map->tab_input_registers, 0, gas, 1);
    int g = sink_get(&k, 2);
    assert_true(sink_wait(&k, 2, g + 2));
    pthread_mutex_lock(&k.m);
    assert_float_equal(find(k.last_good, k.ngood, "MA-4")->value, 25, 1e-9);
    pthread_mutex_unlock(&k.m);
    const uint16_t back[] = {4000};
    srv_set(&s, s.map->tab_input_registers, 0, back, 1);

    /* the device goes away: STALE once, however many retries */
    srv_stop(&s);
    assert_true(sink_wait(&k, 1, 1));
    pthread_mutex_lock(&k.m);
    assert_int_equal(k.nlast, npts);
    for (size_t i = 0; i < k.nlast; i++) {
        assert_int_equal(k.last[i].quality, WS_Q_STALE);
        assert_true(isnan(k.last[i].value));
    }
    pthread_mutex_unlock(&k.m);
    usleep(500000); /* ~10 reconnect attempts at 20..100 ms */
    modbus_poller_stats(p, &st);
    assert_int_equal(st.stale, 1);
    assert_int_equal(sink_get(&k, 1), 1);
    assert_true(st.failures >= 3);
    assert_false(st.connected);
    char err[160];
    modbus_stats ds;
    assert_int_equal(modbus_poller_device_stats(p, 0, &ds, err, sizeof err), WS_OK);
    assert_non_null(strstr(err, "connect"));
    assert_int_equal(modbus_poller_device_stats(p, 1, &ds, NULL, 0), WS_ENOTFOUND);

    /* the device is back on the same port: readings again */
    g = sink_get(&k, 2);
    srv_start(&s, port);
    assert_true(sink_wait(&k, 2, g + 2));
    modbus_poller_stats(p, &st);
    assert_int_equal(st.reconnects, 1);
    assert_true(st.connected);
    pthread_mutex_lock(&k.m);
    check_values(k.last_good, k.ngood);
    pthread_mutex_unlock(&k.m);

    /* a mute device (accepts, never answers): timeout -> STALE once more */
    atomic_store(&s.mute, true);
    assert_true(sink_wait(&k, 1, 2));
    atomic_store(&s.mute, false);
    g = sink_get(&k, 2);
    assert_true(sink_wait(&k, 2, g + 1));
    modbus_poller_stats(p, &st);
    assert_int_equal(st.stale, 2);
    assert_true(st.reconnects >= 2);

    modbus_poller_stop(p);
    srv_stop(&s);
    modbus_mapping_free(s.map);
}

/* Stop cuts a read that would block for seconds (mute device, 5 s timeout). */
static void stop_is_prompt(void **state)
{
    (void)state;
    static srv s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    s.map = modbus_mapping_new(0, 0, 10, 0);
    atomic_store(&s.mute, true);
    srv_start(&s, 0);
    static sink k;
    memset(&k, 0, sizeof k);
    pthread_mutex_init(&k.m, NULL);
    char j[256];
    int n = snprintf(j, sizeof j, "{\"host\":\"127.0.0.1\",\"port\":%d,\"interval_ms\":10000,\"timeout_ms\":5000,"
                     "\"points\":[{\"tag\":\"A\",\"function\":3,\"address\":0,\"type\":\"u16\"}]}", s.port);
    modbus_device *d = NULL;
    assert_int_equal(modbus_device_parse(j, (size_t)n, &d), WS_OK);
    modbus_poller *p = NULL;
    modbus_poller_opts o = {.sink = sink_fn, .ctx = &k};
    assert_int_equal(modbus_poller_start(&o, &d, 1, &p), WS_OK);
    for (int i = 0; i < 200 && atomic_load(&s.requests) == 0; i++) usleep(10000);
    assert_int_equal(atomic_load(&s.requests), 1); /* the poller is now blocked waiting for the reply */
    int64_t t = clock_mono_ms();
    modbus_poller_stop(p);
    int64_t took = clock_mono_ms() - t;
    if (took > 500) fail_msg("stop took %lld ms", (long long)took);
    assert_int_equal(sink_get(&k, 0), 0); /* no batch: no reply came, and stopping is not an outage */
    srv_stop(&s);
    modbus_mapping_free(s.map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_groups_requests),
        cmocka_unit_test(convert_boundaries),
        cmocka_unit_test(config_refusals),
        cmocka_unit_test(poll_real_server),
        cmocka_unit_test(stop_is_prompt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
