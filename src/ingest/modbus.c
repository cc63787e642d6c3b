/* modbus.c — the Modbus TCP poller (see modbus.h): strict JSON device
 * configuration, the request plan, value conversion, and one polling thread
 * per device over libmodbus.
 *
 * Per device thread:
 *
 *     connect ──fail──► STALE once, wait backoff (doubling), retry
 *        │ ok
 *        ▼
 *     wait for the next due time ──► read every planned request ──► one batch to the sink
 *        ▲                               │ transport error / timeout
 *        └───────────────────────────────┴──► close, STALE once, wait backoff, reconnect
 *
 * A Modbus exception reply (illegal address, busy…) is the device answering:
 * that request's points are delivered BAD, the connection stays. Nothing is
 * allocated per poll: register/bit buffers and the readings array are sized
 * from the plan at start. libmodbus's float helpers are not used: in 3.1.6
 * (Debian 12) modbus_set_float_abcd writes BADC on little-endian hosts, so
 * the word orders are decoded here from their definition. */
#include "ingest/modbus.h"

#include <errno.h>
#include <math.h>
#include <modbus/modbus.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

/* ================================================================ config */

static const char *const TYPE_NAME[] = {"bool", "u16", "i16", "u32", "i32", "f32", "f64"};
static const char *const ORDER_NAME[] = {"ABCD", "CDAB", "BADC", "DCBA"};

unsigned modbus_type_width(uint8_t function, uint8_t type)
{
    if (function == MB_FC_COILS || function == MB_FC_DISCRETE) return 1;
    switch (type) {
    case MB_T_U32: case MB_T_I32: case MB_T_F32: return 2;
    case MB_T_F64: return 4;
    default: return 1;
    }
}

void modbus_device_free(modbus_device *d)
{
    if (!d) return;
    free(d->points);
    free(d->reqs);
    free(d);
}

/* An integer field in [lo, hi]; JSON reals (1.0) are refused. */
static ws_err get_int(const json_t *v, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v)) return ws_fail(WS_EINVAL, path, "%s must be an integer", path);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi) return ws_fail(WS_EINVAL, path, "%s must be in %lld..%lld", path, (long long)lo, (long long)hi);
    *out = (int64_t)x;
    return WS_OK;
}

static ws_err get_num(const json_t *v, const char *path, double *out)
{
    if (!json_is_number(v)) return ws_fail(WS_EINVAL, path, "%s must be a number", path);
    double x = json_number_value(v);
    if (!isfinite(x)) return ws_fail(WS_EINVAL, path, "%s must be finite", path);
    *out = x;
    return WS_OK;
}

static int name_index(const char *s, const char *const *names, int n, bool nocase)
{
    for (int i = 0; i < n; i++)
        if (nocase ? !strcasecmp(s, names[i]) : !strcmp(s, names[i])) return i;
    return -1;
}

static ws_err parse_ma(const json_t *o, const char *pbase, modbus_point *p)
{
    char base[48], path[128];
    snprintf(base, sizeof base, "%.30s.ma4_20", pbase);
    snprintf(path, sizeof path, "%s", base);
    if (!json_is_object(o)) return ws_fail(WS_EINVAL, path, "%s must be an object", path);
    static const char *const keys[] = {"raw_at_4ma", "raw_at_20ma", "eng_low", "eng_high"};
    double *dst[] = {&p->raw_at_4ma, &p->raw_at_20ma, &p->eng_low, &p->eng_high};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        snprintf(path, sizeof path, "%s.%s", base, k);
        int i = name_index(k, keys, 4, false);
        if (i < 0) return ws_fail(WS_EINVAL, path, "unknown field %s", path);
        ws_err rc = get_num(v, path, dst[i]);
        if (rc) return rc;
    }
    for (int i = 0; i < 4; i++) {
        if (!json_object_get(o, keys[i])) {
            snprintf(path, sizeof path, "%s.%s", base, keys[i]);
            return ws_fail(WS_EINVAL, path, "%s is required", path);
        }
    }
    if (p->raw_at_4ma == p->raw_at_20ma) {
        snprintf(path, sizeof path, "%s.raw_at_20ma", base);
        return ws_fail(WS_EINVAL, path, "raw_at_20ma must differ from raw_at_4ma");
    }
    if (p->eng_low == p->eng_high) {
        snprintf(path, sizeof path, "%s.eng_high", base);
        return ws_fail(WS_EINVAL, path, "eng_high must differ from eng_low");
    }
    p->ma = true;
    return WS_OK;
}

static ws_err parse_point(const json_t *o, size_t idx, modbus_point *p)
{
    char base[32], path[128];
    snprintf(base, sizeof base, "points[%zu]", idx);
    if (!json_is_object(o)) return ws_fail(WS_EINVAL, base, "%s must be an object", base);
    memset(p, 0, sizeof *p);
    p->scale = 1;
    p->order = MB_ABCD;
    bool have_tag = false, have_fc = false, have_addr = false, have_type = false, have_so = false;
    const char *k;
    const json_t *v;
    ws_err rc = WS_OK;
    json_object_foreach((json_t *)o, k, v) {
        snprintf(path, sizeof path, "%s.%s", base, k);
        int64_t x;
        if (!strcmp(k, "tag")) {
            if (!json_is_string(v)) return ws_fail(WS_EINVAL, path, "%s must be a string", path);
            const char *s = json_string_value(v);
            size_t n = json_string_length(v);
            if (ingest_tag_check(s, n) || memchr(s, 0, n))
                return ws_fail(WS_EINVAL, path, "%s must be 1..%d bytes of A-Z a-z 0-9 _ . : / -", path, WS_TAG_MAX);
            memcpy(p->tag, s, n + 1);
            have_tag = true;
        } else if (!strcmp(k, "function")) {
            if ((rc = get_int(v, path, 1, 4, &x))) return rc;
            p->function = (uint8_t)x;
            have_fc = true;
        } else if (!strcmp(k, "address")) {
            if ((rc = get_int(v, path, 0, 65535, &x))) return rc;
            p->address = (uint16_t)x;
            have_addr = true;
        } else if (!strcmp(k, "type")) {
            int t = json_is_string(v) ? name_index(json_string_value(v), TYPE_NAME, 7, false) : -1;
            if (t < 0) return ws_fail(WS_EINVAL, path, "%s must be bool, u16, i16, u32, i32, f32 or f64", path);
            p->type = (uint8_t)t;
            have_type = true;
        } else if (!strcmp(k, "word_order")) {
            int t = json_is_string(v) ? name_index(json_string_value(v), ORDER_NAME, 4, true) : -1;
            if (t < 0) return ws_fail(WS_EINVAL, path, "%s must be ABCD, CDAB, BADC or DCBA", path);
            p->order = (uint8_t)t;
        } else if (!strcmp(k, "scale")) {
            if ((rc = get_num(v, path, &p->scale))) return rc;
            if (p->scale == 0) return ws_fail(WS_EINVAL, path, "%s must not be 0", path);
            have_so = true;
        } else if (!strcmp(k, "offset")) {
            if ((rc = get_num(v, path, &p->offset))) return rc;
            have_so = true;
        } else if (!strcmp(k, "ma4_20")) {
            if ((rc = parse_ma(v, base, p))) return rc;
        } else {
            return ws_fail(WS_EINVAL, path, "unknown field %s", path);
        }
    }
    static const char *const req[] = {"tag", "function", "address", "type"};
    bool have[] = {have_tag, have_fc, have_addr, have_type};
    for (int i = 0; i < 4; i++) {
        if (!have[i]) {
            snprintf(path, sizeof path, "%s.%s", base, req[i]);
            return ws_fail(WS_EINVAL, path, "%s is required", path);
        }
    }
    if ((p->function == MB_FC_COILS || p->function == MB_FC_DISCRETE) && p->type != MB_T_BOOL) {
        snprintf(path, sizeof path, "%s.type", base);
        return ws_fail(WS_EINVAL, path, "coils and discrete inputs (function 1, 2) are bool");
    }
    if (p->ma && have_so) {
        snprintf(path, sizeof path, "%s.%s", base, json_object_get(o, "scale") ? "scale" : "offset");
        return ws_fail(WS_EINVAL, path, "scale and offset do not apply with ma4_20 (use eng_low/eng_high)");
    }
    if (p->ma && p->type == MB_T_BOOL) {
        snprintf(path, sizeof path, "%s.ma4_20", base);
        return ws_fail(WS_EINVAL, path, "a bool cannot be a 4-20 mA signal");
    }
    if ((unsigned)p->address + modbus_type_width(p->function, p->type) > 65536u) {
        snprintf(path, sizeof path, "%s.address", base);
        return ws_fail(WS_EINVAL, path, "the value runs past address 65535");
    }
    return WS_OK;
}

static const modbus_point *sort_pts;
static int cmp_pt(const void *a, const void *b)
{
    const modbus_point *x = &sort_pts[*(const size_t *)a], *y = &sort_pts[*(const size_t *)b];
    if (x->function != y->function) return x->function < y->function ? -1 : 1;
    if (x->address != y->address) return x->address < y->address ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER; /* qsort has no context argument */

/* Group the points: sorted by (function, address), a point joins the open
 * request when it is the same function, starts at or before the request's
 * end (contiguous or overlapping) and the request stays within the cap. Gaps
 * are never bridged: a device may answer an unmapped register with an
 * exception, which would spoil the whole block. */
static ws_err plan(modbus_device *d)
{
    size_t *idx = malloc(d->npoints * sizeof *idx);
    d->reqs = calloc(d->npoints, sizeof *d->reqs);
    if (!idx || !d->reqs) {
        free(idx);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < d->npoints; i++) idx[i] = i;
    pthread_mutex_lock(&plan_lock);
    sort_pts = d->points;
    qsort(idx, d->npoints, sizeof *idx, cmp_pt);
    pthread_mutex_unlock(&plan_lock);
    size_t nreq = 0;
    for (size_t j = 0; j < d->npoints; j++) {
        modbus_point *p = &d->points[idx[j]];
        unsigned w = modbus_type_width(p->function, p->type);
        unsigned cap = p->function <= MB_FC_DISCRETE ? MODBUS_MAX_READ_BITS : MODBUS_MAX_READ_REGISTERS;
        modbus_request *r = nreq ? &d->reqs[nreq - 1] : NULL;
        uint32_t end = r ? (uint32_t)r->start + r->count : 0;
        uint32_t pend = (uint32_t)p->address + w;
        if (r && r->function == p->function && p->address <= end &&
            (pend > end ? pend : end) - r->start <= cap) {
            if (pend > end) r->count = (uint16_t)(pend - r->start);
        } else {
            r = &d->reqs[nreq++];
            r->function = p->function;
            r->start = p->address;
            r->count = (uint16_t)w;
        }
        p->req = (uint16_t)(nreq - 1);
        p->at = (uint16_t)(p->address - r->start);
    }
    d->nreq = nreq;
    free(idx);
    return WS_OK;
}

ws_err modbus_device_from_json(const json_t *obj, modbus_device **out)
{
    *out = NULL;
    if (!json_is_object(obj)) return ws_fail(WS_EINVAL, "device", "a Modbus device must be a JSON object");
    modbus_device *d = calloc(1, sizeof *d);
    if (!d) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    d->port = 502;
    d->unit_id = 1;
    d->interval_ms = 1000;
    d->timeout_ms = 1000;
    const json_t *points = NULL;
    const char *k;
    const json_t *v;
    ws_err rc = WS_OK;
    json_object_foreach((json_t *)obj, k, v) {
        int64_t x;
        if (!strcmp(k, "host")) {
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > MODBUS_HOST_MAX ||
                strcspn(json_string_value(v), " \t\r\n/") != json_string_length(v)) {
                rc = ws_fail(WS_EINVAL, "host", "host must be a host name or address");
                goto fail;
            }
            memcpy(d->host, json_string_value(v), json_string_length(v) + 1);
        } else if (!strcmp(k, "name")) {
            if (!json_is_string(v) || json_string_length(v) >= sizeof d->name) {
                rc = ws_fail(WS_EINVAL, "name", "name must be a string of at most %zu bytes", sizeof d->name - 1);
                goto fail;
            }
            memcpy(d->name, json_string_value(v), json_string_length(v) + 1);
        } else if (!strcmp(k, "port")) {
            if ((rc = get_int(v, "port", 1, 65535, &x))) goto fail;
            d->port = (int)x;
        } else if (!strcmp(k, "unit_id")) {
            if ((rc = get_int(v, "unit_id", 0, 255, &x))) goto fail;
            d->unit_id = (int)x;
        } else if (!strcmp(k, "interval_ms")) {
            if ((rc = get_int(v, "interval_ms", 10, 86400000, &x))) goto fail;
            d->interval_ms = (int)x;
        } else if (!strcmp(k, "timeout_ms")) {
            if ((rc = get_int(v, "timeout_ms", 10, 60000, &x))) goto fail;
            d->timeout_ms = (int)x;
        } else if (!strcmp(k, "points")) {
            points = v;
        } else {
            rc = ws_fail(WS_EINVAL, *k ? k : "device", "unknown field \"%s\"", k);
            goto fail;
        }
    }
    if (!d->host[0]) {
        rc = ws_fail(WS_EINVAL, "host", "host is required");
        goto fail;
    }
    if (!json_is_array(points) || json_array_size(points) == 0 || json_array_size(points) > MODBUS_CFG_MAX_POINTS) {
        rc = ws_fail(WS_EINVAL, "points", "points must be an array of 1..%d points", MODBUS_CFG_MAX_POINTS);
        goto fail;
    }
    d->npoints = json_array_size(points);
    d->points = calloc(d->npoints, sizeof *d->points);
    if (!d->points) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < d->npoints; i++) {
        if ((rc = parse_point(json_array_get(points, i), i, &d->points[i]))) goto fail;
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(d->points[j].tag, d->points[i].tag)) {
                char path[48];
                snprintf(path, sizeof path, "points[%zu].tag", i);
                rc = ws_fail(WS_EINVAL, path, "tag %s is already points[%zu]", d->points[i].tag, j);
                goto fail;
            }
        }
    }
    if (!d->name[0]) snprintf(d->name, sizeof d->name, "%.64s:%d/%d", d->host, d->port, d->unit_id);
    if ((rc = plan(d))) goto fail;
    *out = d;
    return WS_OK;
fail:
    modbus_device_free(d);
    return rc;
}

ws_err modbus_device_parse(const char *text, size_t len, modbus_device **out)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return ws_fail(WS_EINVAL, "device", "not valid JSON at line %d column %d: %s", je.line, je.column, je.text);
    ws_err rc = modbus_device_from_json(root, out);
    json_decref(root);
    return rc;
}

/* ============================================================ conversion */

/* The value's bits, big-endian, from nw registers in the given order. */
static uint64_t gather(const uint16_t *r, unsigned nw, uint8_t order)
{
    uint64_t v = 0;
    bool wswap = order == MB_CDAB || order == MB_DCBA, bswap = order == MB_BADC || order == MB_DCBA;
    for (unsigned i = 0; i < nw; i++) {
        uint16_t w = r[wswap ? nw - 1 - i : i];
        if (bswap) w = (uint16_t)((w >> 8) | (w << 8));
        v = (v << 16) | w;
    }
    return v;
}

bool modbus_point_convert(const modbus_point *p, const uint16_t *regs, uint8_t bit, ws_reading *out)
{
    memcpy(out->tag, p->tag, sizeof out->tag);
    double raw;
    if (p->function == MB_FC_COILS || p->function == MB_FC_DISCRETE) {
        raw = bit ? 1 : 0;
    } else {
        uint64_t v = gather(regs, modbus_type_width(p->function, p->type), p->order);
        switch (p->type) {
        case MB_T_BOOL: raw = v ? 1 : 0; break;
        case MB_T_U16: raw = (double)(uint16_t)v; break;
        case MB_T_I16: raw = (double)(int16_t)(uint16_t)v; break;
        case MB_T_U32: raw = (double)(uint32_t)v; break;
        case MB_T_I32: raw = (double)(int32_t)(uint32_t)v; break;
        case MB_T_F32: {
            uint32_t u = (uint32_t)v;
            float f;
            memcpy(&f, &u, sizeof f);
            raw = (double)f;
            break;
        }
        default: {
            double f;
            memcpy(&f, &v, sizeof f);
            raw = f;
            break;
        }
        }
    }
    double val;
    uint8_t q = WS_Q_GOOD;
    if (!isfinite(raw)) goto fault;
    if (p->ma) {
        double ma = 4.0 + 16.0 * (raw - p->raw_at_4ma) / (p->raw_at_20ma - p->raw_at_4ma);
        /* NAMUR NE 43: below 3.8 or above 20.5 mA is a failure signal */
        if (!(ma >= 3.8 - 1e-9 && ma <= 20.5 + 1e-9)) goto fault;
        if (ma < 4.0 - 1e-9 || ma > 20.0 + 1e-9) q = WS_Q_UNCERTAIN;
        val = p->eng_low + (ma - 4.0) / 16.0 * (p->eng_high - p->eng_low);
    } else {
        val = raw * p->scale + p->offset;
    }
    if (!isfinite(val)) goto fault;
    out->value = val;
    out->quality = q;
    return true;
fault:
    out->value = NAN;
    out->quality = WS_Q_BAD;
    return false;
}

/* ================================================================ poller */

typedef struct mb_dev {
    struct modbus_poller *p;
    modbus_device *cfg;
    pthread_t th;
    bool started;
    int fd;                 /* the connected socket, -1; under p->lock */
    uint16_t *regs;         /* all register requests' words, back to back */
    uint8_t *bits;          /* all bit requests' bits */
    size_t *off;            /* per request: its offset in regs or bits */
    uint8_t *req_ok;        /* per request: read this poll */
    ws_reading *out;        /* npoints */
    modbus_stats st;        /* under p->lock */
    char last_error[160];   /* under p->lock */
} mb_dev;

struct modbus_poller {
    pthread_mutex_t lock;
    pthread_cond_t cond;    /* CLOCK_MONOTONIC: stop wakes every wait */
    pthread_mutex_t sink_lock;
    bool stop;
    modbus_poller_opts o;
    size_t n;
    mb_dev *d;
};

static void set_error(mb_dev *d, const char *what, int err)
{
    pthread_mutex_lock(&d->p->lock);
    snprintf(d->last_error, sizeof d->last_error, "%s: %s", what, modbus_strerror(err));
    pthread_mutex_unlock(&d->p->lock);
}

static void bump(mb_dev *d, uint64_t *counter, uint64_t k)
{
    pthread_mutex_lock(&d->p->lock);
    *counter += k;
    pthread_mutex_unlock(&d->p->lock);
}

/* Sleep until mono time `until` (ms) or stop; returns true when stopping. */
static bool wait_until(modbus_poller *p, int64_t until_ms)
{
    struct timespec ts = {.tv_sec = until_ms / 1000, .tv_nsec = (long)(until_ms % 1000) * 1000000L};
    pthread_mutex_lock(&p->lock);
    while (!p->stop && clock_mono_ms() < until_ms)
        if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) == ETIMEDOUT) break;
    bool s = p->stop;
    pthread_mutex_unlock(&p->lock);
    return s;
}

static void deliver(mb_dev *d, size_t n)
{
    modbus_poller *p = d->p;
    pthread_mutex_lock(&p->sink_lock);
    ws_err rc = p->o.sink(p->o.ctx, d->out, n);
    pthread_mutex_unlock(&p->sink_lock);
    if (rc) log_warn("modbus: the sink refused a batch", "device", d->cfg->name, "error", ws_err_code(rc));
}

static void deliver_stale(mb_dev *d, bool *stale_sent)
{
    if (*stale_sent) return;
    int64_t now = clock_now_ms();
    for (size_t i = 0; i < d->cfg->npoints; i++) {
        memcpy(d->out[i].tag, d->cfg->points[i].tag, sizeof d->out[i].tag);
        d->out[i].source_ms = now;
        d->out[i].value = NAN;
        d->out[i].quality = WS_Q_STALE;
    }
    deliver(d, d->cfg->npoints);
    bump(d, &d->st.stale, 1);
    *stale_sent = true;
}

static void drop_conn(mb_dev *d, modbus_t *ctx)
{
    pthread_mutex_lock(&d->p->lock);
    d->fd = -1;
    d->st.connected = false;
    pthread_mutex_unlock(&d->p->lock);
    modbus_close(ctx);
}

static bool is_exception(int err) { return err >= EMBXILFUN && err <= EMBXGTAR; }

/* One poll: every request, then one batch. Returns false on a transport
 * failure (the caller reconnects); exceptions only spoil their request. */
static bool poll_once(mb_dev *d, modbus_t *ctx)
{
    const modbus_device *c = d->cfg;
    int64_t t = clock_now_ms();
    uint64_t faults = 0;
    for (size_t r = 0; r < c->nreq; r++) {
        const modbus_request *q = &c->reqs[r];
        int rc;
        bump(d, &d->st.requests, 1);
        switch (q->function) {
        case MB_FC_COILS: rc = modbus_read_bits(ctx, q->start, q->count, d->bits + d->off[r]); break;
        case MB_FC_DISCRETE: rc = modbus_read_input_bits(ctx, q->start, q->count, d->bits + d->off[r]); break;
        case MB_FC_HOLDING: rc = modbus_read_registers(ctx, q->start, q->count, d->regs + d->off[r]); break;
        default: rc = modbus_read_input_registers(ctx, q->start, q->count, d->regs + d->off[r]); break;
        }
        int err = errno;
        if (rc == q->count) {
            d->req_ok[r] = 1;
            continue;
        }
        if (rc >= 0) err = EMBMDATA;
        char what[64];
        snprintf(what, sizeof what, "read fc %u at %u x%u", q->function, q->start, q->count);
        set_error(d, what, err);
        if (!is_exception(err)) return false;
        d->req_ok[r] = 0;
    }
    for (size_t i = 0; i < c->npoints; i++) {
        const modbus_point *pt = &c->points[i];
        ws_reading *o = &d->out[i];
        o->source_ms = t;
        if (!d->req_ok[pt->req]) {
            memcpy(o->tag, pt->tag, sizeof o->tag);
            o->value = NAN;
            o->quality = WS_Q_BAD;
            faults++;
            continue;
        }
        size_t base = d->off[pt->req] + pt->at;
        if (!modbus_point_convert(pt, d->regs + (pt->function >= MB_FC_HOLDING ? base : 0),
                                  pt->function <= MB_FC_DISCRETE ? d->bits[base] : 0, o))
            faults++;
    }
    deliver(d, c->npoints);
    pthread_mutex_lock(&d->p->lock);
    d->st.polls++;
    d->st.faults += faults;
    pthread_mutex_unlock(&d->p->lock);
    return true;
}

static void *device_thread(void *arg)
{
    mb_dev *d = arg;
    modbus_poller *p = d->p;
    const modbus_device *c = d->cfg;
    char port[8];
    snprintf(port, sizeof port, "%d", c->port);
    modbus_t *ctx = modbus_new_tcp_pi(c->host, port);
    if (!ctx) {
        set_error(d, "modbus_new_tcp_pi", errno);
        return NULL;
    }
    modbus_set_slave(ctx, c->unit_id);
    uint32_t ts = (uint32_t)(c->timeout_ms / 1000), tus = (uint32_t)(c->timeout_ms % 1000) * 1000u;
    modbus_set_response_timeout(ctx, ts, tus);
    modbus_set_byte_timeout(ctx, ts, tus);
    int backoff = p->o.backoff_min_ms;
    bool stale_sent = false, ever = false, conn = false;
    int64_t next = clock_mono_ms();
    for (;;) {
        if (!conn) {
            if (modbus_connect(ctx) != 0) {
                set_error(d, "connect", errno);
                bump(d, &d->st.failures, 1);
                if (wait_until(p, 0)) break; /* stopping: no STALE batch for our own stop */
                deliver_stale(d, &stale_sent);
                if (wait_until(p, clock_mono_ms() + backoff)) break;
                backoff = backoff * 2 > p->o.backoff_max_ms ? p->o.backoff_max_ms : backoff * 2;
                continue;
            }
            pthread_mutex_lock(&p->lock);
            bool stopping = p->stop;
            if (!stopping) {
                d->fd = modbus_get_socket(ctx);
                d->st.connected = true;
                if (ever) d->st.reconnects++;
            }
            pthread_mutex_unlock(&p->lock);
            if (stopping) {
                modbus_close(ctx);
                break;
            }
            ever = conn = true;
            backoff = p->o.backoff_min_ms;
            next = clock_mono_ms();
        }
        if (wait_until(p, next)) break;
        int64_t now = clock_mono_ms();
        next += c->interval_ms;
        if (next <= now) next = now + c->interval_ms; /* fell behind: skip, never burst */
        if (poll_once(d, ctx)) {
            stale_sent = false;
            continue;
        }
        drop_conn(d, ctx);
        conn = false;
        bump(d, &d->st.failures, 1);
        pthread_mutex_lock(&p->lock);
        bool stopping = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stopping) break; /* the failure was the stop's shutdown */
        deliver_stale(d, &stale_sent);
        if (wait_until(p, clock_mono_ms() + backoff)) break;
        backoff = backoff * 2 > p->o.backoff_max_ms ? p->o.backoff_max_ms : backoff * 2;
    }
    if (conn) drop_conn(d, ctx);
    modbus_free(ctx);
    return NULL;
}

static void free_poller(modbus_poller *p, bool free_devices)
{
    for (size_t i = 0; i < p->n; i++) {
        mb_dev *d = &p->d[i];
        free(d->regs);
        free(d->bits);
        free(d->off);
        free(d->req_ok);
        free(d->out);
        if (free_devices) modbus_device_free(d->cfg);
    }
    free(p->d);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->sink_lock);
    free(p);
}

static void stop_threads(modbus_poller *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    for (size_t i = 0; i < p->n; i++)
        if (p->d[i].fd >= 0) shutdown(p->d[i].fd, SHUT_RDWR); /* cuts a blocking read */
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->n; i++)
        if (p->d[i].started) pthread_join(p->d[i].th, NULL);
}

ws_err modbus_poller_start(const modbus_poller_opts *o, modbus_device **devs, size_t n, modbus_poller **out)
{
    *out = NULL;
    if (!o || !o->sink) return ws_fail(WS_EINVAL, "sink", "a Modbus poller needs a sink");
    modbus_poller *p = calloc(1, sizeof *p);
    if (!p) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    p->o = *o;
    if (p->o.backoff_min_ms <= 0) p->o.backoff_min_ms = 500;
    if (p->o.backoff_max_ms <= 0) p->o.backoff_max_ms = 30000;
    if (p->o.backoff_max_ms < p->o.backoff_min_ms) p->o.backoff_max_ms = p->o.backoff_min_ms;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->sink_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    p->d = calloc(n ? n : 1, sizeof *p->d);
    if (!p->d) {
        free_poller(p, false);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    p->n = n;
    ws_err rc = WS_OK;
    for (size_t i = 0; i < n; i++) {
        mb_dev *d = &p->d[i];
        modbus_device *c = devs[i];
        d->p = p;
        d->cfg = c;
        d->fd = -1;
        size_t nregs = 0, nbits = 0;
        d->off = calloc(c->nreq ? c->nreq : 1, sizeof *d->off);
        d->req_ok = calloc(c->nreq ? c->nreq : 1, 1);
        if (!d->off || !d->req_ok) goto nomem;
        for (size_t r = 0; r < c->nreq; r++) {
            size_t *acc = c->reqs[r].function <= MB_FC_DISCRETE ? &nbits : &nregs;
            d->off[r] = *acc;
            *acc += c->reqs[r].count;
        }
        d->regs = calloc(nregs ? nregs : 1, sizeof *d->regs);
        d->bits = calloc(nbits ? nbits : 1, 1);
        d->out = calloc(c->npoints ? c->npoints : 1, sizeof *d->out);
        if (!d->regs || !d->bits || !d->out) goto nomem;
    }
    for (size_t i = 0; i < n; i++) {
        if (pthread_create(&p->d[i].th, NULL, device_thread, &p->d[i])) {
            rc = ws_fail(WS_EINTERNAL, NULL, "could not start a Modbus polling thread");
            stop_threads(p);
            free_poller(p, false);
            return rc;
        }
        p->d[i].started = true;
    }
    *out = p;
    return WS_OK;
nomem:
    free_poller(p, false);
    return ws_fail(WS_ENOMEM, NULL, "out of memory");
}

void modbus_poller_stop(modbus_poller *p)
{
    if (!p) return;
    stop_threads(p);
    free_poller(p, true);
}

void modbus_poller_stats(modbus_poller *p, modbus_stats *t)
{
    memset(t, 0, sizeof *t);
    t->connected = true;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n; i++) {
        const modbus_stats *s = &p->d[i].st;
        t->polls += s->polls;
        t->failures += s->failures;
        t->faults += s->faults;
        t->reconnects += s->reconnects;
        t->requests += s->requests;
        t->stale += s->stale;
        t->connected = t->connected && s->connected;
    }
    pthread_mutex_unlock(&p->lock);
}

ws_err modbus_poller_device_stats(modbus_poller *p, size_t i, modbus_stats *st, char *last_error, size_t cap)
{
    if (i >= p->n) return ws_fail(WS_ENOTFOUND, "device", "no Modbus device %zu", i);
    pthread_mutex_lock(&p->lock);
    *st = p->d[i].st;
    if (last_error && cap) snprintf(last_error, cap, "%s", p->d[i].last_error);
    pthread_mutex_unlock(&p->lock);
    return WS_OK;
}
