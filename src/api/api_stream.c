/* api_stream.c — the live streams (server-sent events) of the early-warning
 * engine (docs/internals/http.md "Streams"):
 *
 *   GET /api/v1/alarms/stream            alarm.read   event: alarm
 *   GET /api/v1/points/stream?ids=1,2,3  point.read   event: value
 *
 * Each stream subscribes to one of the engine's hubs (core/hub.h:
 * warn_alarm_hub, warn_value_hub) and renders the records after its cursor
 * as SSE frames into the buffer the HTTP layer hands it (api_stream in
 * api.h); when there are none the HTTP layer parks the connection and the
 * hub's publish wakes it. The hub's wake filter runs on the engine's thread
 * under its lock, so it only compares: the caller's scope prefix for
 * alarms, a sorted id list for values. A record's frame is the same bytes
 * for every stream, so each thread that writes streams renders it once
 * (a per-thread cache of the last 64 frames, made on the thread's first
 * frame); rendering allocates nothing else.
 *
 * Frames: `id:` is the hub's sequence number, so a reconnecting EventSource
 * (Last-Event-ID) gets what it missed while the ring still holds it; if not
 * (the ring moved on, or the server restarted) the stream starts with
 * `event: reset` and the page reloads its list. The same when this reader
 * falls more than the ring behind. The first frame is `retry: 3000`.
 * Scope: an alarm reaches a caller only when its unit lies in the caller's
 * scope (auth_decide "alarm.read" on the alarm's unit path; an alarm with
 * no unit path reaches nobody); the points of a value stream are checked
 * once, at subscribe, like GET /api/v1/points/{id}. A stream ends after
 * 30 minutes (plus a per-account spread) so the browser reconnects through
 * authentication: a revoked session does not keep a stream for ever.
 * Without an engine (api_warn() NULL) both routes answer 503. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/alarm.h"
#include "api/api.h"
#include "core/clock.h"
#include "core/hub.h"
#include "telemetry/point.h"
#include "warn/warn.h"

#define MAX_IDS 100
#define LIFETIME_MS (30 * 60 * 1000LL)
#define PEND_CAP 2048

enum { S_ALARMS = 0, S_VALUES = 1 };

typedef struct stream {
    hub *h;
    hub_sub sub;
    int kind;
    bool hello_due, gap;
    int64_t until_ms;             /* monotonic; the stream ends then */
    void (*wake)(void *arg);      /* the HTTP layer's, while parked */
    void *wake_arg;
    auth_subject who;
    size_t plen, poff;            /* a frame that did not fit the last buffer */
    char ok_path[sizeof(((warn_alarm_msg *)0)->unit_path)]; /* the last alarm unit decided, */
    bool ok_set, ok;                                          /* and the decision */
    char pend[PEND_CAP];
    union {
        warn_alarm_msg a;
        warn_value_msg v;
    } rec;
    int nids;
    int64_t ids[]; /* sorted */
} stream;

/* ---- rendering ------------------------------------------------------------ */

typedef struct out {
    char *p;
    size_t len, cap;
    bool over;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->over || o->len + n > o->cap) {
        o->over = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }

static void putf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(out *o, const char *fmt, ...)
{
    if (o->over) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) o->over = true;
    else o->len += (size_t)n;
}

/* A JSON string of s (at most max bytes of it; UTF-8 passed through,
 * controls escaped). */
static void put_jstr(out *o, const char *s, size_t max)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < max && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(o, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            putf(o, "\\u%04x", c);
        } else {
            put(o, (const char *)&c, 1);
        }
    }
    put(o, "\"", 1);
}

static void put_num(out *o, double v)
{
    if (isnan(v) || isinf(v)) puts_(o, "null");
    else putf(o, "%.10g", v);
}

static void put_time(out *o, int64_t ms)
{
    char t[40];
    put_jstr(o, clock_format_rfc3339(ms, t, sizeof t), sizeof t);
}

static const char *quality_name(int q)
{
    switch (q) {
    case WS_Q_GOOD: return "good";
    case WS_Q_UNCERTAIN: return "uncertain";
    case WS_Q_BAD: return "bad";
    case WS_Q_STALE: return "stale";
    }
    return "bad";
}

static void render_alarm(out *o, uint64_t seq, const warn_alarm_msg *m)
{
    putf(o, "event: alarm\nid: %llu\ndata: {\"seq\":%lld,\"alarm_id\":%lld,\"kind\":", (unsigned long long)seq,
         (long long)m->seq, (long long)m->alarm_id);
    put_jstr(o, alarm_ev_name(m->kind), 32);
    putf(o, ",\"level\":%d,\"state\":", (int)m->level);
    put_jstr(o, alarm_state_name(m->state), 32);
    putf(o, ",\"count\":%d,\"value\":", (int)m->count);
    put_num(o, m->value);
    puts_(o, ",\"tag\":");
    put_jstr(o, m->tag, sizeof m->tag);
    puts_(o, ",\"title\":");
    put_jstr(o, m->title, sizeof m->title);
    puts_(o, ",\"unit_id\":");
    if (m->unit_id > 0) putf(o, "%lld", (long long)m->unit_id);
    else puts_(o, "null");
    puts_(o, ",\"at\":");
    put_time(o, m->at_ms);
    puts_(o, "}\n\n");
}

static void render_value(out *o, uint64_t seq, const warn_value_msg *m)
{
    putf(o, "event: value\nid: %llu\ndata: {\"point_id\":%lld,\"t\":", (unsigned long long)seq,
         (long long)m->point_id);
    put_time(o, m->t_ms);
    puts_(o, ",\"value\":");
    put_num(o, m->quality == WS_Q_BAD || m->quality == WS_Q_STALE ? NAN : m->value);
    puts_(o, ",\"quality\":");
    put_jstr(o, quality_name(m->quality), 16);
    puts_(o, "}\n\n");
}

static bool has_id(const stream *s, int64_t id)
{
    int lo = 0, hi = s->nids - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (s->ids[mid] == id) return true;
        if (s->ids[mid] < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return false;
}

/* Whether this caller gets the record (the exact check, on the stream's
 * thread). The decision for an alarm depends only on its unit path (the
 * caller is fixed for the stream), so the last one is kept: a flood from
 * one unit costs one auth_decide a stream, not one an event. */
static bool wanted(stream *s)
{
    if (s->kind == S_VALUES) return has_id(s, s->rec.v.point_id);
    const char *path = s->rec.a.unit_path;
    if (!path[0]) return false;
    if (s->ok_set && !strncmp(s->ok_path, path, sizeof s->ok_path)) return s->ok;
    auth_resource r = {0};
    r.unit_path = path;
    s->ok = auth_decide(&s->who, "alarm.read", &r) == WS_OK;
    memcpy(s->ok_path, path, sizeof s->ok_path);
    s->ok_set = true;
    return s->ok;
}

/* The last frames this thread rendered, by hub and sequence: a record goes
 * to every stream that wants it with the same bytes, so a thread that
 * writes it to many streams renders it once. Per thread, so it needs no
 * lock; direct-mapped on the sequence, with room for a burst of records
 * (a stream reads a burst record by record, so fewer slots than the burst
 * would make every stream render every record). Made on a thread's first
 * frame and freed when the thread ends. */
#define FRAME_SLOTS 64
typedef struct frame_slot {
    const hub *h;
    uint64_t first, seq; /* first: a hub made later at the same address is another */
    size_t len;
    char bytes[PEND_CAP];
} frame_slot;
static pthread_key_t frames_key;
static pthread_once_t frames_once = PTHREAD_ONCE_INIT;
static void frames_key_make(void) { (void)pthread_key_create(&frames_key, free); }

/* This thread's frame cache; NULL when out of memory (render every time). */
static frame_slot *thread_frames(void)
{
    static _Thread_local frame_slot *frames;
    if (frames) return frames;
    pthread_once(&frames_once, frames_key_make);
    frames = calloc(FRAME_SLOTS, sizeof *frames);
    if (frames && pthread_setspecific(frames_key, frames) != 0) {
        free(frames);
        frames = NULL;
    }
    return frames;
}

/* Append record seq's frame (s->rec) to o. */
static void put_frame(out *o, stream *s, uint64_t seq)
{
    frame_slot *all = thread_frames();
    if (!all) {
        if (s->kind == S_ALARMS) render_alarm(o, seq, &s->rec.a);
        else render_value(o, seq, &s->rec.v);
        return;
    }
    frame_slot *f = &all[seq % FRAME_SLOTS];
    uint64_t first = hub_first_seq(s->h);
    if (f->h != s->h || f->first != first || f->seq != seq || !f->len) {
        out fo = {f->bytes, 0, sizeof f->bytes, false};
        if (s->kind == S_ALARMS) render_alarm(&fo, seq, &s->rec.a);
        else render_value(&fo, seq, &s->rec.v);
        f->h = s->h;
        f->first = first;
        f->seq = seq;
        f->len = fo.over ? 0 : fo.len;
        if (fo.over) { /* cannot happen with PEND_CAP: let the caller see it */
            o->over = true;
            return;
        }
    }
    put(o, f->bytes, f->len);
}

/* ---- the api_stream callbacks -------------------------------------------------- */

static long st_next(void *ctx, char *dst, size_t cap)
{
    stream *s = ctx;
    size_t n = 0;
    for (;;) {
        if (s->poff < s->plen) {
            size_t k = s->plen - s->poff;
            if (k > cap - n) k = cap - n;
            memcpy(dst + n, s->pend + s->poff, k);
            n += k;
            s->poff += k;
            if (s->poff < s->plen) return (long)n; /* buffer full */
        }
        s->plen = s->poff = 0;
        out o = {s->pend, 0, sizeof s->pend, false};
        if (s->hello_due) {
            s->hello_due = false;
            puts_(&o, "retry: 3000\n\n");
            if (s->gap) puts_(&o, "event: reset\ndata: {\"lost\":null}\n\n");
            s->plen = o.len;
            continue;
        }
        if (clock_mono_ms() >= s->until_ms) return n ? (long)n : -1;
        uint64_t seq, lost;
        int got = hub_read(s->h, &s->sub, &s->rec, &seq, &lost);
        if (lost) putf(&o, "event: reset\ndata: {\"lost\":%llu}\n\n", (unsigned long long)lost);
        if (got && wanted(s)) put_frame(&o, s, seq);
        if (o.over) { /* cannot happen with PEND_CAP; never send half a frame */
            o.len = 0;
            o.over = false;
            puts_(&o, "event: reset\ndata: {\"lost\":1}\n\n");
        }
        s->plen = o.len;
        if (!got && !s->plen) return (long)n;
        if (n == cap) return (long)n;
    }
}

/* The hub's filter, on the publisher's thread under the hub's mutex: a cheap
 * pre-check (wanted() repeats the exact one). */
static bool st_filter(void *arg, const void *rec)
{
    stream *s = arg;
    bool want;
    if (s->kind == S_VALUES) {
        want = has_id(s, ((const warn_value_msg *)rec)->point_id);
    } else {
        const warn_alarm_msg *m = rec;
        want = m->unit_path[0] && auth_in_scope(&s->who, m->unit_path);
    }
    if (want) s->wake(s->wake_arg);
    return want;
}

static bool st_park(void *ctx, void (*wake)(void *arg), void *arg)
{
    stream *s = ctx;
    if (s->poff < s->plen || s->hello_due) return false;
    s->wake = wake;
    s->wake_arg = arg;
    return hub_park(s->h, &s->sub, st_filter, s);
}

static void st_free(void *ctx)
{
    stream *s = ctx;
    hub_unsubscribe(s->h, &s->sub);
    free(s);
}

/* ---- the routes ------------------------------------------------------------------- */

/* Last-Event-ID as a sequence; 0 when absent or not a number. */
static uint64_t last_event_id(api_ctx *ctx)
{
    const api_req *req = ctx->req;
    const char *v = req->header ? req->header(req->hctx, "Last-Event-ID") : NULL;
    if (!v || !*v) return 0;
    uint64_t x = 0;
    for (size_t i = 0; v[i]; i++) {
        if (v[i] < '0' || v[i] > '9' || i >= 19) return 0;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    return x;
}

static ws_err start(api_ctx *ctx, hub *h, int kind, const int64_t *ids, int nids)
{
    stream *s = calloc(1, sizeof *s + (size_t)nids * sizeof(int64_t));
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (hub_rec_size(h) != (kind == S_ALARMS ? sizeof(warn_alarm_msg) : sizeof(warn_value_msg))) {
        free(s);
        return ws_fail(WS_EINTERNAL, NULL, "the engine's hub carries records of another size");
    }
    s->h = h;
    s->kind = kind;
    s->who = ctx->who;
    s->hello_due = true;
    s->until_ms = clock_mono_ms() + LIFETIME_MS + (ctx->who.account_id * 7919 % 300) * 1000;
    s->nids = nids;
    if (nids) memcpy(s->ids, ids, (size_t)nids * sizeof *ids);
    hub_subscribe(h, &s->sub, last_event_id(ctx), &s->gap);
    api_resp *r = ctx->resp;
    r->status = 200;
    buf_reset(&r->body);
    r->stream = (api_stream){st_next, st_park, st_free, s};
    return WS_OK;
}

static ws_err unavailable(void)
{
    return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
}

static ws_err alarms_stream(api_ctx *ctx)
{
    warn *w = api_warn();
    hub *h = w ? warn_alarm_hub(w) : NULL;
    if (!h) return unavailable();
    return start(ctx, h, S_ALARMS, NULL, 0);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static ws_err points_stream(api_ctx *ctx)
{
    const char *q = api_query(ctx, "ids");
    if (!q) return ws_fail(WS_EINVAL, "ids", "ids is required: ?ids=1,2,3 (at most %d)", MAX_IDS);
    int64_t ids[MAX_IDS];
    int n = 0;
    for (const char *p = q; *p;) {
        int64_t v = 0;
        size_t k = 0;
        while (p[k] >= '0' && p[k] <= '9' && k < 18) v = v * 10 + (p[k++] - '0');
        if (k == 0 || v < 1 || (p[k] && p[k] != ','))
            return ws_fail(WS_EINVAL, "ids", "ids must be point ids separated by commas");
        if (n == MAX_IDS) return ws_fail(WS_EINVAL, "ids", "at most %d ids per stream", MAX_IDS);
        ids[n++] = v;
        p += k;
        if (*p == ',') {
            p++;
            if (!*p) return ws_fail(WS_EINVAL, "ids", "ids must be point ids separated by commas");
        }
    }
    qsort(ids, (size_t)n, sizeof ids[0], cmp_id);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || ids[m - 1] != ids[i]) ids[m++] = ids[i];
    for (int i = 0; i < m; i++) {
        point p;
        ws_err rc = point_get(ctx->conn, ids[i], &p);
        if (!rc) {
            auth_resource r = {0};
            r.unit_path = p.unit_path;
            rc = auth_decide(&ctx->who, "point.read", &r);
        }
        if (rc == WS_ENOTFOUND)
            return ws_fail(WS_ENOTFOUND, "ids", "no such point: %lld", (long long)ids[i]);
        if (rc) return rc;
    }
    warn *w = api_warn();
    hub *h = w ? warn_value_hub(w) : NULL;
    if (!h) return unavailable();
    return start(ctx, h, S_VALUES, ids, m);
}

#define R(m, p, fn, act, sum) {m, p, fn, API_AUTH, act, sum, "streams", NULL, 0, 0}

const api_route api_stream_routes[] = {
    R("GET", "/api/v1/alarms/stream", alarms_stream, "alarm.read",
      "Live alarm events in the caller's scope as server-sent events (event: alarm; id for "
      "Last-Event-ID; event: reset when events were missed: reload the list)"),
    R("GET", "/api/v1/points/stream", points_stream, "point.read",
      "Live values of up to 100 points, at most one a second each, as server-sent events "
      "(?ids=1,2,3; event: value)"),
};
const size_t api_stream_nroutes = sizeof api_stream_routes / sizeof api_stream_routes[0];
