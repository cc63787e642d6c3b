/* series.c — the series store: open Gorilla chunks per point in a fixed
 * table, sealed with their 1-minute and 1-hour rollups in one transaction,
 * and a history read that picks raw chunks or rollups to fit a chart. See
 * series.h for the contract and docs/internals/telemetry.md "Series store".
 * SQL lives in store/q_telemetry.c. */
#include "telemetry/series.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bigmem.h"
#include "core/clock.h"
#include "core/sha256.h"
#include "store/q_meta.h"
#include "store/q_telemetry.h"
#include "telemetry/gorilla.h"

enum { Q_BAD = 2, Q_STALE = 3 }; /* ws_quality of ingest/reading.h (a layer above) */

/* One minute's rollup of finite readings (the minutes column's entry). */
typedef struct minute {
    int64_t bucket, last_t;
    int64_t n;
    double min, max, sum, last;
} minute;

#define MINUTES_KEPT 128 /* minutes an open chunk rolls up as readings come (a
                            4 KiB chunk of 1 Hz readings spans 45-90); past
                            that (or a reading for a minute between two
                            kept), the writer decodes the chunk to roll it up */

/* The minutes column's compact form (series.h). */
#define MIN2_MARK 0xFF    /* its first byte; a 48-byte entry's first is a bucket's lowest, a multiple of 32 */
#define MIN2_STEPS 1      /* flags: min, max and last are steps of the resolution that follows */
#define MIN2_ENTRY_MAX 64 /* the most bytes an entry takes (54: three 10-byte varints, two of 3, a double) */

typedef struct slot {
    int64_t point_id;
    double res;        /* NaN: raw chunks */
    uint32_t n;        /* readings in the open chunk; 0 = no chunk started */
    int64_t t_min, t_max, opened_at;
    int64_t wal_seq;   /* highest ingest-journal sequence in the open chunk (0 none) */
    int64_t first_seq; /* lowest (0 none): the journal keeps it until the chunk is written */
    gorilla_enc enc;
    uint8_t *buf;      /* chunk_bytes in bufs, apart so that slots stay dense */
    minute *mins;      /* MINUTES_KEPT in s->mins: the open chunk's minutes, by bucket */
    int nmin;
    bool mins_lost;    /* they did not fit: the writer rolls the chunk up itself */
} slot;

typedef struct pair {
    int64_t t;
    double v;
    uint32_t i; /* stored order, to break ties of t */
} pair;

/* A finished chunk waiting for the writer: its bytes (trailer included) and
 * what its row records. */
typedef struct sealed_chunk {
    int64_t point_id, t_min, t_max, wal_seq, first_seq;
    double res;
    uint32_t n;
    size_t len;
    uint8_t bytes[SERIES_CHUNK_BYTES];
    int nmin;          /* -1: roll the chunk up from its readings */
    minute mins[MINUTES_KEPT];
} sealed_chunk;

#define SEAL_QUEUE 1024     /* finished chunks waiting to be written (bounded) */
#define SEAL_GROUP 64       /* chunks written in one transaction at most */
#define SEGS_MAX 256        /* segments of the open chunks' table (below) */
#define RETRY_MIN_MS 100    /* the writer's first wait after a failure, doubled up to */
#define RETRY_MAX_MS 5000

struct series {
    store *st;
    series_config cfg;
    /* mu guards the open chunks, the queue's counters, failing and stop */
    pthread_mutex_t mu;
    pthread_cond_t work;    /* writer: a chunk was queued, or stop */
    pthread_cond_t room;    /* sealers: the queue has room, or the writer failed */
    pthread_cond_t written; /* flushers: q_head moved, or the writer failed */
    /* The open chunks' table, in segments of 1 << seg_bits slots that never
     * move once made: the first at open, one more whenever the table is full
     * (under mu, at most SEGS_MAX). Slot k is seg[k >> seg_bits].slots[k & mask]. */
    struct segment {
        slot *slots;
        uint8_t *bufs; /* the open chunks' bytes, chunk_bytes per slot */
        minute *mins;  /* the open chunks' minutes, MINUTES_KEPT per slot */
    } seg[SEGS_MAX];
    int nseg, seg_bits;
    int used;
    int32_t *index; /* open addressing by point id: slot number or -1; at most half full */
    size_t mask;
    /* The seal queue: q[i % SEAL_QUEUE] for q_head <= i < q_tail. A sealer
     * fills q[q_tail] and moves q_tail under mu; the writer reads entries
     * [q_head, q_tail) outside mu (no one else touches them) and moves q_head
     * once they are committed. */
    sealed_chunk *q;
    uint64_t q_head, q_tail;
    bool failing;            /* the last write failed; the writer retries */
    char fail_msg[256];
    bool stop;
    pthread_t writer;
    /* writer scratch (the writer thread only) */
    int64_t dt[SERIES_READINGS_MAX];
    double dv[SERIES_READINGS_MAX];
    pair pairs[SERIES_READINGS_MAX];
    minute rolled[SERIES_READINGS_MAX];                         /* a decoded chunk's minutes */
    uint8_t minutes[SERIES_READINGS_MAX * MIN2_ENTRY_MAX + 16]; /* a chunk's minutes blob */
};

static int64_t floor_to(int64_t t, int64_t w)
{
    int64_t q = t / w;
    if (t % w != 0 && t < 0) q--;
    return q * w;
}

static int64_t ceil_div(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

ws_err series_url(const char *main_url, const char *data_dir, char *out, size_t cap)
{
    int w;
    if (!strncmp(main_url, "postgres://", 11) || !strncmp(main_url, "postgresql://", 13))
        w = snprintf(out, cap, "%s", main_url);
    else
        w = snprintf(out, cap, "%s/series.db", data_dir);
    if (w < 0 || (size_t)w >= cap) return ws_fail(WS_ETOOBIG, "url", "series store URL too long");
    return WS_OK;
}

static void *writer_main(void *arg);

/* A point id's home in an index of mask + 1 entries (a power of two). */
static size_t slot_hash(int64_t point_id, size_t mask)
{
    return (size_t)(((uint64_t)point_id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;
}

static slot *slot_at(series *s, int k)
{
    return &s->seg[k >> s->seg_bits].slots[k & ((1 << s->seg_bits) - 1)];
}

/* One more segment of the table, its tables zeroed up front (bigmem: no page
 * fault when a point's chunk opens later). WS_ENOMEM leaves s as it was. */
static ws_err add_segment(series *s)
{
    size_t n = (size_t)1 << s->seg_bits;
    struct segment g = {bigmem_calloc(n, sizeof(slot)), bigmem_calloc(n, s->cfg.chunk_bytes),
                        bigmem_calloc(n * MINUTES_KEPT, sizeof(minute))};
    if (!g.slots || !g.bufs || !g.mins) {
        free(g.slots);
        free(g.bufs);
        free(g.mins);
        return ws_fail(WS_ENOMEM, NULL, "series: out of memory for %zu more points", n);
    }
    s->seg[s->nseg++] = g;
    return WS_OK;
}

/* The index for `slots` slots, at most half full: a larger one, refilled
 * from the slots in use, when it would be more. */
static ws_err fit_index(series *s, size_t slots)
{
    size_t hcap = 16;
    while (hcap < slots * 2) hcap <<= 1;
    if (s->index && hcap <= s->mask + 1) return WS_OK;
    int32_t *ix = malloc(hcap * sizeof *ix);
    if (!ix) return ws_fail(WS_ENOMEM, NULL, "series: out of memory for the index");
    memset(ix, 0xff, hcap * sizeof *ix);
    for (int k = 0; k < s->used; k++) {
        size_t h = slot_hash(slot_at(s, k)->point_id, hcap - 1);
        while (ix[h] >= 0) h = (h + 1) & (hcap - 1);
        ix[h] = k;
    }
    free(s->index);
    s->index = ix;
    s->mask = hcap - 1;
    return WS_OK;
}

/* Free what series_open allocated (the store is closed by the caller). */
static void free_series(series *s)
{
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->room);
    pthread_cond_destroy(&s->written);
    for (int i = 0; i < s->nseg; i++) {
        free(s->seg[i].slots);
        free(s->seg[i].bufs);
        free(s->seg[i].mins);
    }
    free(s->index);
    free(s->q);
    free(s);
}

ws_err series_open(const char *url, const series_config *cfg, series **out)
{
    *out = NULL;
    series_config c = {4096, SERIES_CHUNK_BYTES, SERIES_MAX_AGE_MS};
    if (cfg) {
        if (cfg->capacity) c.capacity = cfg->capacity;
        if (cfg->chunk_bytes) c.chunk_bytes = cfg->chunk_bytes;
        if (cfg->max_age_ms) c.max_age_ms = cfg->max_age_ms;
    }
    if (c.capacity < 1 || c.capacity > SERIES_POINTS_MAX)
        return ws_fail(WS_EINVAL, "capacity", "series capacity must be 1..%d", SERIES_POINTS_MAX);
    if (c.chunk_bytes < 64 || c.chunk_bytes > SERIES_CHUNK_BYTES)
        return ws_fail(WS_EINVAL, "chunk_bytes", "series chunk size must be 64..%d",
                       SERIES_CHUNK_BYTES);
    if (c.max_age_ms < 0) return ws_fail(WS_EINVAL, "max_age_ms", "series max age must be >= 0");
    series *s = calloc(1, sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "series: out of memory");
    s->cfg = c;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->room, NULL);
    pthread_cond_init(&s->written, NULL);
    while ((1 << s->seg_bits) < c.capacity) s->seg_bits++;
    s->q = malloc(SEAL_QUEUE * sizeof *s->q);
    if (!s->q || add_segment(s) || fit_index(s, (size_t)1 << s->seg_bits)) {
        free_series(s);
        return ws_fail(WS_ENOMEM, NULL, "series: out of memory");
    }
    store_conn *conn = NULL;
    /* three connections: the writer, a history read, the engine's digest */
    ws_err rc = store_open(url, 3, &s->st);
    if (!rc) rc = store_acquire(s->st, &conn);
    if (!rc) rc = store_migrate(conn);
    if (conn) store_release(conn);
    if (!rc && pthread_create(&s->writer, NULL, writer_main, s))
        rc = ws_fail(WS_EINTERNAL, NULL, "series: cannot start the writer thread");
    if (rc) {
        store_close(s->st);
        free_series(s);
        return rc;
    }
    *out = s;
    return WS_OK;
}

store *series_store(series *s) { return s->st; }

/* The slot of point_id; with claim, a new one when it has none, the table
 * grown by a segment when full. NULL and WS_ETOOBIG past SERIES_POINTS_MAX
 * points, WS_ENOMEM when no memory is left for a segment (or WS_ENOTFOUND
 * without claim). Under mu. */
static ws_err find_slot(series *s, int64_t point_id, bool claim, slot **out)
{
    size_t h = slot_hash(point_id, s->mask);
    for (;;) {
        int32_t k = s->index[h];
        if (k < 0) break;
        if (slot_at(s, k)->point_id == point_id) {
            *out = slot_at(s, k);
            return WS_OK;
        }
        h = (h + 1) & s->mask;
    }
    *out = NULL;
    if (!claim) return WS_ENOTFOUND;
    if (s->used >= SERIES_POINTS_MAX || (s->used >> s->seg_bits) >= SEGS_MAX)
        return ws_fail(WS_ETOOBIG, "point_id", "series: %d points open, the most it holds; point %lld not stored",
                       s->used, (long long)point_id);
    if (s->used == s->nseg << s->seg_bits) {
        ws_err rc = add_segment(s);
        if (!rc) rc = fit_index(s, (size_t)s->nseg << s->seg_bits);
        if (rc) return rc;
        return find_slot(s, point_id, claim, out); /* the index may have moved */
    }
    int k = s->used++;
    slot *sl = slot_at(s, k);
    s->index[h] = k;
    struct segment *g = &s->seg[k >> s->seg_bits];
    size_t j = (size_t)(k & ((1 << s->seg_bits) - 1));
    sl->point_id = point_id;
    sl->buf = g->bufs + j * s->cfg.chunk_bytes;
    sl->mins = g->mins + j * MINUTES_KEPT;
    sl->res = NAN;
    sl->n = 0;
    *out = sl;
    return WS_OK;
}

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static void le_put(uint8_t *p, uint64_t x, int bytes)
{
    for (int i = 0; i < bytes; i++, x >>= 8) p[i] = (uint8_t)x;
}

static uint64_t le_get(const uint8_t *p, int bytes)
{
    uint64_t x = 0;
    for (int i = bytes - 1; i >= 0; i--) x = x << 8 | p[i];
    return x;
}

static uint64_t dbits(double v) { uint64_t u; memcpy(&u, &v, 8); return u; }
static double dval(uint64_t u) { double v; memcpy(&v, &u, 8); return v; }

/* ---- the minutes column (series.h has both formats) ---- */

static uint8_t *put_uv(uint8_t *p, uint64_t x)
{
    for (; x >= 0x80; x >>= 7) *p++ = (uint8_t)(x | 0x80);
    *p++ = (uint8_t)x;
    return p;
}

static uint64_t zz(int64_t x) { return ((uint64_t)x << 1) ^ (uint64_t)(x >> 63); }
static int64_t unzz(uint64_t x) { return (int64_t)(x >> 1) ^ -(int64_t)(x & 1); }

/* A varint at it->p, or false when it runs past the end or past 64 bits. */
static bool get_uv(series_minutes_it *it, uint64_t *x)
{
    *x = 0;
    for (int sh = 0; sh < 64 && it->p < it->end; sh += 7) {
        uint8_t b = *it->p++;
        *x |= (uint64_t)(b & 0x7F) << sh;
        if (!(b & 0x80)) return true;
    }
    return false;
}

static bool get_f64(series_minutes_it *it, double *v)
{
    if (it->end - it->p < 8) return false;
    *v = dval(le_get(it->p, 8));
    it->p += 8;
    return true;
}

/* v as a step count of res when the value the codec stores for that count
 * is v itself, bit for bit. */
static bool steps_exact(double v, double res, int64_t *k)
{
    double q = nearbyint(v / res);
    if (!(fabs(q) < 0x1p52)) return false;
    *k = (int64_t)q;
    return dbits(gorilla_quantise((double)*k * res, res)) == dbits(v);
}

static double from_steps(int64_t k, double res) { return gorilla_quantise((double)k * res, res); }

void series_minutes_begin(series_minutes_it *it, const uint8_t *blob, size_t len)
{
    *it = (series_minutes_it){blob, blob ? blob + len : blob, false, false, 0, 0, 0};
    if (!blob || !len || blob[0] != MIN2_MARK) return;
    it->compact = true;
    it->p++;
    if (it->p >= it->end) return;
    it->steps = *it->p++ & MIN2_STEPS;
    if (it->steps && !get_f64(it, &it->res)) it->p = it->end;
}

bool series_minutes_next(series_minutes_it *it, series_sample *out)
{
    if (!it->compact) { /* 48-byte entries */
        if (it->end - it->p < SERIES_MINUTE_BYTES) return false;
        const uint8_t *p = it->p;
        out->t = (int64_t)le_get(p, 8);
        out->n = (int64_t)le_get(p + 8, 4);
        out->last_t = out->t + (int64_t)le_get(p + 12, 4);
        out->min = dval(le_get(p + 16, 8));
        out->max = dval(le_get(p + 24, 8));
        out->avg = dval(le_get(p + 32, 8));
        out->last = dval(le_get(p + 40, 8));
        it->p += SERIES_MINUTE_BYTES;
        return true;
    }
    uint64_t db, n, off;
    if (it->p >= it->end || !get_uv(it, &db) || !get_uv(it, &n) || !get_uv(it, &off) || off >= SERIES_MINUTE_MS)
        return false;
    it->minute = (int64_t)((uint64_t)it->minute + (uint64_t)unzz(db)); /* wraps on a damaged blob, no UB */
    if (it->minute > GORILLA_T_MAX / SERIES_MINUTE_MS || it->minute < -GORILLA_T_MAX / SERIES_MINUTE_MS) return false;
    out->t = it->minute * SERIES_MINUTE_MS;
    out->n = (int64_t)n;
    out->last_t = out->t + (int64_t)off;
    if (it->steps) {
        uint64_t a, b, c;
        if (!get_uv(it, &a) || !get_uv(it, &b) || !get_uv(it, &c)) return false;
        int64_t kmin = (int64_t)((uint64_t)it->klast + (uint64_t)unzz(a));
        it->klast = (int64_t)((uint64_t)kmin + c);
        out->min = from_steps(kmin, it->res);
        out->max = from_steps((int64_t)((uint64_t)kmin + b), it->res);
        out->last = from_steps(it->klast, it->res);
    } else if (!get_f64(it, &out->min) || !get_f64(it, &out->max) || !get_f64(it, &out->last)) {
        return false;
    }
    return get_f64(it, &out->avg);
}

/* Fold finite reading (t, v) into minute m, or start it (n == 0). */
static inline void minute_add(minute *m, int64_t t, double v)
{
    if (m->n == 0) {
        *m = (minute){floor_to(t, SERIES_MINUTE_MS), t, 1, v, v, v, v};
        return;
    }
    m->n++;
    if (v < m->min) m->min = v;
    if (v > m->max) m->max = v;
    m->sum += v;
    if (t >= m->last_t) m->last = v, m->last_t = t;
}

/* Fold minute x into the rollup r of a longer bucket (r->n == 0: start it). */
static void minute_merge(minute *r, const minute *x)
{
    if (r->n == 0) {
        *r = *x;
        return;
    }
    r->n += x->n;
    if (x->min < r->min) r->min = x->min;
    if (x->max > r->max) r->max = x->max;
    r->sum += x->sum;
    if (x->last_t >= r->last_t) r->last = x->last, r->last_t = x->last_t;
}

/* The minutes of pairs[0..np) (sorted by time) into out; returns how many. */
static size_t minutes_of_pairs(const pair *p, size_t np, minute *out)
{
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        if (!k || floor_to(p[i].t, SERIES_MINUTE_MS) != out[k - 1].bucket) out[k++].n = 0;
        minute_add(&out[k - 1], p[i].t, p[i].v);
    }
    return k;
}

/* Minutes m[0..n) (by bucket) as a compact minutes blob (series.h) into out
 * (room for MIN2_ENTRY_MAX bytes an entry and 10 more); its length. min, max
 * and last go as steps of res when every one of them is one exactly (the
 * values of a scaled chunk are), else as doubles. */
static size_t minutes_blob(const minute *m, size_t n, double res, uint8_t *out)
{
    bool steps = isfinite(res) && res > 0;
    int64_t k;
    for (size_t i = 0; i < n && steps; i++)
        steps = steps_exact(m[i].min, res, &k) && steps_exact(m[i].max, res, &k) &&
                steps_exact(m[i].last, res, &k);
    uint8_t *p = out;
    *p++ = MIN2_MARK;
    *p++ = steps ? MIN2_STEPS : 0;
    if (steps) le_put(p, dbits(res), 8), p += 8;
    int64_t prev = 0, klast = 0; /* the previous entry's minute number and last */
    for (size_t i = 0; i < n; i++) {
        int64_t b = m[i].bucket / SERIES_MINUTE_MS; /* buckets are whole minutes */
        p = put_uv(p, zz(b - prev));
        p = put_uv(p, (uint64_t)m[i].n);
        p = put_uv(p, (uint64_t)(m[i].last_t - m[i].bucket));
        prev = b;
        if (steps) {
            int64_t kmin = 0, kmax = 0, kl = 0;
            (void)steps_exact(m[i].min, res, &kmin);
            (void)steps_exact(m[i].max, res, &kmax);
            (void)steps_exact(m[i].last, res, &kl);
            p = put_uv(p, zz(kmin - klast));
            p = put_uv(p, (uint64_t)(kmax - kmin));
            p = put_uv(p, (uint64_t)(kl - kmin));
            klast = kl;
        } else {
            le_put(p, dbits(m[i].min), 8);
            le_put(p + 8, dbits(m[i].max), 8);
            le_put(p + 16, dbits(m[i].last), 8);
            p += 24;
        }
        le_put(p, dbits(m[i].sum), 8);
        p += 8;
    }
    return (size_t)(p - out);
}

/* Upsert the hours of minutes m[0..n) (by bucket) through the prepared
 * hour upsert st. */
static ws_err upsert_hours(store_stmt *st, int64_t point_id, const minute *m, size_t n)
{
    ws_err rc = WS_OK;
    for (size_t i = 0; i < n && !rc;) {
        int64_t b = floor_to(m[i].bucket, SERIES_HOUR_MS);
        minute h = {0};
        for (; i < n && floor_to(m[i].bucket, SERIES_HOUR_MS) == b; i++) minute_merge(&h, &m[i]);
        bool row;
        if ((rc = store_reset(st)) || (rc = store_bind_int(st, 1, point_id)) ||
            (rc = store_bind_int(st, 2, b)) || (rc = store_bind_int(st, 3, h.n)) ||
            (rc = store_bind_double(st, 4, h.min)) || (rc = store_bind_double(st, 5, h.max)) ||
            (rc = store_bind_double(st, 6, h.sum)) || (rc = store_bind_double(st, 7, h.last)) ||
            (rc = store_bind_int(st, 8, h.last_t)))
            break;
        rc = store_step(st, &row);
    }
    return rc;
}

/* The minutes of a sealed chunk: those kept as its readings came, or else
 * rolled up from its decoded readings into s->rolled. Writer thread. */
static ws_err chunk_minutes(series *s, const sealed_chunk *e, const minute **m, size_t *n)
{
    if (e->nmin >= 0) {
        *m = e->mins;
        *n = (size_t)e->nmin;
        return WS_OK;
    }
    size_t k = 0;
    ws_err rc = gorilla_decode(e->bytes, e->len, s->dt, s->dv, SERIES_READINGS_MAX, &k);
    if (rc || k != e->n)
        return ws_fail(WS_EINTERNAL, NULL, "series: chunk of point %lld does not decode",
                       (long long)e->point_id);
    size_t np = 0;
    for (size_t i = 0; i < k; i++)
        if (isfinite(s->dv[i])) s->pairs[np++] = (pair){s->dt[i], s->dv[i], (uint32_t)i};
    bool sorted = true; /* readings mostly come in order: sort only when they did not */
    for (size_t i = 1; i < np && sorted; i++) sorted = pair_cmp(&s->pairs[i - 1], &s->pairs[i]) <= 0;
    if (!sorted) qsort(s->pairs, np, sizeof *s->pairs, pair_cmp);
    *m = s->rolled;
    *n = minutes_of_pairs(s->pairs, np, s->rolled);
    return WS_OK;
}

/* Write one finished chunk, its minutes in its row, and its hour rollups
 * with the prepared statements (chunk insert, hour upsert). Writer thread. */
static ws_err write_chunk(series *s, const sealed_chunk *e, store_stmt *const st[2])
{
    const minute *m = NULL;
    size_t nm = 0;
    ws_err rc = chunk_minutes(s, e, &m, &nm);
    if (rc) return rc;
    size_t mlen = minutes_blob(m, nm, e->res, s->minutes);
    bool row;
    if ((rc = store_reset(st[0])) || (rc = store_bind_int(st[0], 1, e->point_id)) ||
        (rc = store_bind_int(st[0], 2, e->t_min)) || (rc = store_bind_int(st[0], 3, e->t_max)) ||
        (rc = store_bind_int(st[0], 4, e->n)) || (rc = store_bind_blob(st[0], 5, e->bytes, e->len)) ||
        (rc = store_bind_opt_double(st[0], 6, e->res)) ||
        (rc = store_bind_int(st[0], 7, clock_now_ms())) || (rc = store_bind_int(st[0], 8, e->wal_seq)) ||
        (rc = store_bind_blob(st[0], 9, s->minutes, mlen)) || (rc = store_step(st[0], &row)))
        return rc;
    return upsert_hours(st[1], e->point_id, m, nm);
}

/* Write queue entries [from, to) in one transaction. Writer thread, outside
 * mu: those entries are its own until q_head passes them. */
static ws_err write_group(series *s, uint64_t from, uint64_t to)
{
    static const char *const q[2] = {Q_SERIES_CHUNK_INSERT, Q_SERIES_1H_UPSERT};
    store_stmt *st[2] = {0};
    store_conn *c = NULL;
    ws_err rc = store_acquire(s->st, &c);
    if (rc) return rc;
    if ((rc = store_begin(c))) goto done;
    for (int k = 0; k < 2 && !rc; k++) rc = store_prepare(c, q[k], &st[k]);
    for (uint64_t i = from; i < to && !rc; i++) rc = write_chunk(s, &s->q[i % SEAL_QUEUE], st);
    for (int k = 0; k < 2; k++)
        if (st[k]) store_finalize(st[k]);
    if (!rc) rc = store_commit(c);
done:
    if (rc) store_rollback(c);
    store_release(c);
    return rc;
}

/* The writer thread: commits queued chunks a group at a time; after a
 * failure it keeps the chunks, says so (failing, with the message) and
 * retries with a growing wait. At stop it drains the queue, unless the
 * store is failing: those chunks stay in the ingest journal, which is only
 * cut after a flush has committed them. */
static void *writer_main(void *arg)
{
    series *s = arg;
    int64_t wait_ms = RETRY_MIN_MS;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stop && s->q_head == s->q_tail) pthread_cond_wait(&s->work, &s->mu);
        if (s->q_head == s->q_tail || (s->stop && s->failing)) break;
        uint64_t from = s->q_head, to = s->q_tail;
        if (to - from > SEAL_GROUP) to = from + SEAL_GROUP;
        pthread_mutex_unlock(&s->mu);
        ws_err rc = write_group(s, from, to);
        pthread_mutex_lock(&s->mu);
        if (!rc) {
            s->q_head = to;
            s->failing = false;
            wait_ms = RETRY_MIN_MS;
        } else {
            s->failing = true;
            snprintf(s->fail_msg, sizeof s->fail_msg, "%s", ws_err_message());
        }
        pthread_cond_broadcast(&s->room);
        pthread_cond_broadcast(&s->written);
        if (rc) { /* wait before the retry; a queued chunk does not cut it short */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            int64_t ns = until.tv_nsec + (wait_ms % 1000) * 1000000;
            until.tv_sec += (time_t)(wait_ms / 1000 + ns / 1000000000);
            until.tv_nsec = (long)(ns % 1000000000);
            while (!s->stop && pthread_cond_timedwait(&s->work, &s->mu, &until) == 0) {}
            if (wait_ms < RETRY_MAX_MS) wait_ms *= 2;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static ws_err failing_err(const series *s)
{
    return ws_fail(WS_ESTORE, NULL, "series store failing, chunks wait: %s", s->fail_msg);
}

/* Finish sl's open chunk into the seal queue and empty the slot: the writer
 * commits it with its rollups. Waits while the queue is full (the writer is
 * behind); WS_ESTORE, the chunk left open, when it is full because the
 * store is failing. Under mu (released while waiting). */
static ws_err seal(series *s, slot *sl)
{
    while (sl->n > 0 && s->q_tail - s->q_head >= SEAL_QUEUE) {
        if (s->failing) return failing_err(s);
        pthread_cond_wait(&s->room, &s->mu);
    }
    if (sl->n == 0) return WS_OK; /* sealed by another thread meanwhile */
    sealed_chunk *e = &s->q[s->q_tail % SEAL_QUEUE];
    gorilla_enc tmp = sl->enc;
    memcpy(e->bytes, sl->buf, s->cfg.chunk_bytes);
    tmp.buf = e->bytes;
    if (gorilla_enc_finish(&tmp, &e->len))
        return ws_fail(WS_EINTERNAL, NULL, "series: chunk of point %lld cannot be finished",
                       (long long)sl->point_id);
    e->point_id = sl->point_id;
    e->t_min = sl->t_min;
    e->t_max = sl->t_max;
    e->wal_seq = sl->wal_seq;
    e->first_seq = sl->first_seq;
    e->res = sl->res;
    e->n = sl->n;
    e->nmin = sl->mins_lost ? -1 : sl->nmin;
    if (e->nmin > 0) memcpy(e->mins, sl->mins, (size_t)e->nmin * sizeof *e->mins);
    s->q_tail++;
    pthread_cond_signal(&s->work);
    sl->n = 0;
    sl->wal_seq = 0;
    sl->first_seq = 0;
    return WS_OK;
}

/* Wait until the writer has committed every chunk queued before upto.
 * WS_ESTORE when the store is failing. Under mu. */
static ws_err wait_written(series *s, uint64_t upto)
{
    while (s->q_head < upto && !s->failing) pthread_cond_wait(&s->written, &s->mu);
    return s->q_head < upto ? failing_err(s) : WS_OK;
}

static ws_err start_chunk(series *s, slot *sl)
{
    ws_err rc = isnan(sl->res)
                    ? gorilla_enc_init(&sl->enc, sl->buf, s->cfg.chunk_bytes)
                    : gorilla_enc_init_scaled(&sl->enc, sl->buf, s->cfg.chunk_bytes, sl->res);
    sl->opened_at = clock_now_ms();
    sl->nmin = 0;
    sl->mins_lost = false;
    return rc;
}

ws_err series_point_resolution(series *s, int64_t point_id, double resolution)
{
    double r = NAN;
    if (!isnan(resolution) && resolution != 0) {
        if (!(resolution >= GORILLA_RES_MIN && resolution <= GORILLA_RES_MAX))
            return ws_fail(WS_EINVAL, "resolution", "resolution must be in [1e-9, 1e9]");
        r = resolution;
    }
    pthread_mutex_lock(&s->mu);
    slot *sl;
    ws_err rc = find_slot(s, point_id, true, &sl);
    if (!rc && !(isnan(r) && isnan(sl->res)) && r != sl->res) {
        rc = seal(s, sl);
        if (!rc) sl->res = r;
        if (!rc) rc = wait_written(s, s->q_tail); /* rare: the old step's chunk is stored on return */
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ws_err series_append(series *s, int64_t point_id, int64_t t_ms, double value, int quality)
{
    return series_append_seq(s, point_id, t_ms, value, quality, 0);
}

static bool time_ok(int64_t t_ms) { return t_ms <= GORILLA_T_MAX && t_ms >= -GORILLA_T_MAX; }
static ws_err bad_time(void) { return ws_fail(WS_EINVAL, "t_ms", "reading time out of range"); }

/* Fold a finite stored reading into the open chunk's kept minutes: the
 * minute it falls in, or a new one after the last; one that would fall
 * between two kept ones, or past MINUTES_KEPT, leaves the roll-up to the
 * writer. Under mu. */
static void keep_minute(slot *sl, int64_t t, double v)
{
    if (sl->mins_lost) return;
    minute *last = sl->nmin ? &sl->mins[sl->nmin - 1] : NULL;
    if (last && t >= last->bucket && t - last->bucket < SERIES_MINUTE_MS) { /* most do: no division */
        minute_add(last, t, v);
        return;
    }
    int64_t b = floor_to(t, SERIES_MINUTE_MS);
    for (int i = sl->nmin - 1; i >= 0 && sl->mins[i].bucket >= b; i--)
        if (sl->mins[i].bucket == b) {
            minute_add(&sl->mins[i], t, v);
            return;
        }
    if ((sl->nmin && sl->mins[sl->nmin - 1].bucket > b) || sl->nmin == MINUTES_KEPT) {
        sl->mins_lost = true;
        return;
    }
    sl->mins[sl->nmin].n = 0;
    minute_add(&sl->mins[sl->nmin++], t, v);
}

/* Append one reading to sl's open chunk (t_ms checked by the caller, before
 * a slot is claimed for it). Under mu. */
static ws_err append_locked(series *s, slot *sl, int64_t t_ms, double value, int quality, int64_t wal_seq)
{
    ws_err rc;
    double v = quality == Q_BAD || quality == Q_STALE ? NAN : value; /* quantised by the chunk */
    if (sl->n == 0 && (rc = start_chunk(s, sl))) return rc;
    double stored;
    rc = gorilla_enc_add_quantised(&sl->enc, t_ms, v, &stored);
    if (rc == WS_ETOOBIG) {
        if ((rc = seal(s, sl)) || (rc = start_chunk(s, sl))) return rc;
        rc = gorilla_enc_add_quantised(&sl->enc, t_ms, v, &stored);
    }
    if (rc)
        return ws_fail(rc == WS_ETOOBIG ? WS_EINTERNAL : WS_EINVAL, "value",
                       "series: value of point %lld cannot be stored", (long long)sl->point_id);
    if (isfinite(stored)) keep_minute(sl, t_ms, stored);
    if (sl->n == 0 || t_ms < sl->t_min) sl->t_min = t_ms;
    if (sl->n == 0 || t_ms > sl->t_max) sl->t_max = t_ms;
    if (wal_seq > sl->wal_seq) sl->wal_seq = wal_seq;
    if (wal_seq > 0 && (!sl->first_seq || wal_seq < sl->first_seq)) sl->first_seq = wal_seq;
    sl->n++;
    return WS_OK;
}

ws_err series_append_seq(series *s, int64_t point_id, int64_t t_ms, double value, int quality,
                         int64_t wal_seq)
{
    if (!time_ok(t_ms)) return bad_time();
    pthread_mutex_lock(&s->mu);
    slot *sl;
    ws_err rc = find_slot(s, point_id, true, &sl);
    if (!rc) rc = append_locked(s, sl, t_ms, value, quality, wal_seq);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

size_t series_append_batch(series *s, const series_in *in, size_t n, ws_err *first)
{
    size_t refused = 0;
    *first = WS_OK;
    slot *sl = NULL; /* the last reading's: a batch comes point by point */
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        ws_err rc = WS_OK;
        if (!time_ok(in[i].t_ms)) rc = bad_time();
        else if (!sl || sl->point_id != in[i].point_id) rc = find_slot(s, in[i].point_id, true, &sl);
        if (!rc) rc = append_locked(s, sl, in[i].t_ms, in[i].value, in[i].quality, in[i].wal_seq);
        if (rc && !refused++) *first = rc;
    }
    pthread_mutex_unlock(&s->mu);
    return refused;
}

ws_err series_wal_sealed(series *s, int64_t from_seq,
                         void (*fn)(void *ctx, int64_t point_id, int64_t seq), void *ctx)
{
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_acquire(s->st, &c);
    if (rc) return rc;
    if ((rc = store_prepare(c, Q_SERIES_WAL_SEALED, &st)) || (rc = store_bind_int(st, 1, from_seq)))
        goto done;
    while (!(rc = store_step(st, &row)) && row)
        fn(ctx, store_col_int(st, 0), store_col_int(st, 1));
done:
    if (st) store_finalize(st);
    store_release(c);
    return rc;
}

ws_err series_digest(series *s, int64_t after_id, int64_t max_chunks, series_digest_out *out)
{
    memset(out, 0, sizeof *out);
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    ws_sha256_ctx h;
    ws_sha256_init(&h);
    ws_err rc = store_acquire(s->st, &c);
    if (rc) return rc;
    if ((rc = store_prepare(c, Q_SERIES_DIGEST_ROWS, &st)) || (rc = store_bind_int(st, 1, after_id)) ||
        (rc = store_bind_int(st, 2, max_chunks)))
        goto done;
    while (!(rc = store_step(st, &row)) && row) {
        size_t len = 0;
        const void *data = store_col_blob(st, 5, &len);
        uint8_t rec[40 + 32];
        int64_t f[5] = {store_col_int(st, 0), store_col_int(st, 1), store_col_int(st, 2),
                        store_col_int(st, 3), store_col_int(st, 4)};
        for (int i = 0; i < 5; i++)
            for (int b = 0; b < 8; b++) rec[i * 8 + b] = (uint8_t)((uint64_t)f[i] >> (56 - 8 * b));
        ws_sha256(rec + 40, data, len);
        ws_sha256_update(&h, rec, sizeof rec);
        if (!out->chunks) out->from_id = f[0];
        out->to_id = f[0];
        out->chunks++;
        out->readings += f[4];
    }
    if (!rc) ws_sha256_final(&h, out->sha256);
done:
    if (st) store_finalize(st);
    store_release(c);
    return rc;
}

#define DIGEST_KEY "series.digest_last_id"

ws_err series_digest_last(series *s, int64_t *last_id)
{
    *last_id = 0;
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_acquire(s->st, &c);
    if (rc) return rc;
    if (!(rc = store_prepare(c, Q_META_GET, &st)) && !(rc = store_bind_text(st, 1, DIGEST_KEY)) &&
        !(rc = store_step(st, &row)) && row)
        *last_id = strtoll(store_col_text(st, 0), NULL, 10);
    if (st) store_finalize(st);
    store_release(c);
    return rc;
}

ws_err series_digest_mark(series *s, int64_t last_id)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)last_id);
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_acquire(s->st, &c);
    if (rc) return rc;
    if (!(rc = store_prepare(c, Q_META_PUT, &st)) && !(rc = store_bind_text(st, 1, DIGEST_KEY)) &&
        !(rc = store_bind_text(st, 2, v)))
        rc = store_step(st, &row);
    if (st) store_finalize(st);
    store_release(c);
    return rc;
}

static ws_err exec1(store_conn *c, const char *q, int64_t arg)
{
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, q, &st);
    if (!rc) rc = store_bind_int(st, 1, arg);
    if (!rc) rc = store_step(st, &row);
    if (st) store_finalize(st);
    return rc;
}

ws_err series_retain(series *s, int64_t raw_before_ms, int64_t minute_before_ms)
{
    store_conn *c = NULL;
    ws_err rc = store_acquire(s->st, &c);
    if (rc) return rc;
    if (raw_before_ms > 0) rc = exec1(c, Q_SERIES_RETAIN_RAW, raw_before_ms);
    if (!rc && raw_before_ms > 0) rc = exec1(c, Q_SERIES_RETAIN_CHUNKS, raw_before_ms);
    if (!rc && minute_before_ms > 0) rc = exec1(c, Q_SERIES_RETAIN_MINUTES, minute_before_ms);
    if (!rc && minute_before_ms > 0) rc = exec1(c, Q_SERIES_RETAIN_1M, minute_before_ms);
    store_release(c);
    return rc;
}

static ws_err flush(series *s, bool all, int64_t now_ms, int *sealed)
{
    int k = 0;
    ws_err rc = WS_OK;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->used && !rc; i++) {
        slot *sl = slot_at(s, i);
        if (sl->n == 0 || (!all && now_ms - sl->opened_at < s->cfg.max_age_ms)) continue;
        rc = seal(s, sl);
        if (!rc) k++;
    }
    if (!rc) rc = wait_written(s, s->q_tail);
    pthread_mutex_unlock(&s->mu);
    if (sealed) *sealed = k;
    return rc;
}

ws_err series_flush(series *s, int64_t now_ms, int *sealed) { return flush(s, false, now_ms, sealed); }

ws_err series_flush_all(series *s, int *sealed) { return flush(s, true, 0, sealed); }

int64_t series_journal_floor(series *s)
{
    int64_t low = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->used; i++) {
        int64_t f = slot_at(s, i)->n ? slot_at(s, i)->first_seq : 0;
        if (f && (!low || f < low)) low = f;
    }
    for (uint64_t i = s->q_head; i < s->q_tail; i++) { /* sealed, not yet committed */
        int64_t f = s->q[i % SEAL_QUEUE].first_seq;
        if (f && (!low || f < low)) low = f;
    }
    pthread_mutex_unlock(&s->mu);
    return low;
}

bool series_failing(series *s)
{
    pthread_mutex_lock(&s->mu);
    bool f = s->failing;
    pthread_mutex_unlock(&s->mu);
    return f;
}

ws_err series_close(series *s)
{
    if (!s) return WS_OK;
    ws_err rc = series_flush_all(s, NULL);
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    store_close(s->st);
    free_series(s);
    return rc;
}

/* ---------------------------------------------------------------- history */

static int sample_cmp(const void *a, const void *b)
{
    const series_sample *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

static void fold(series_sample *o, int64_t n, double mn, double mx, double sum, double last,
                 int64_t last_t)
{
    if (o->n == 0) {
        o->min = mn, o->max = mx, o->avg = sum, o->last = last, o->last_t = last_t;
    } else {
        if (mn < o->min) o->min = mn;
        if (mx > o->max) o->max = mx;
        o->avg += sum;
        if (last_t >= o->last_t) o->last = last, o->last_t = last_t;
    }
    o->n += n;
}

/* Whether a chunk of point_id waits in the seal queue. Under mu. */
static bool queued(const series *s, int64_t point_id)
{
    for (uint64_t i = s->q_head; i < s->q_tail; i++)
        if (s->q[i % SEAL_QUEUE].point_id == point_id) return true;
    return false;
}

ws_err series_history(series *s, int64_t point_id, int64_t from_ms, int64_t to_ms,
                      size_t max_points, series_sample *out, size_t *n,
                      series_history_info *info)
{
    *n = 0;
    if (from_ms >= to_ms || from_ms < -GORILLA_T_MAX || to_ms > GORILLA_T_MAX)
        return ws_fail(WS_EINVAL, "to", "history range must be from < to, within the codec's");
    if (max_points < 1) return ws_fail(WS_EINVAL, "max_points", "max_points must be >= 1");
    int64_t *ot = malloc(SERIES_READINGS_MAX * 2 * sizeof *ot);
    double *ov = malloc(SERIES_READINGS_MAX * 2 * sizeof *ov);
    if (!ot || !ov) {
        free(ot);
        free(ov);
        return ws_fail(WS_ENOMEM, NULL, "series: out of memory");
    }
    int64_t *ct = ot + SERIES_READINGS_MAX;
    double *cv = ov + SERIES_READINGS_MAX;
    size_t on = 0; /* open chunk readings */
    ws_err rc = WS_OK;

    /* Copy the open chunk (if it overlaps) and decode it outside the lock. */
    uint8_t ob[SERIES_CHUNK_BYTES];
    size_t olen = 0;
    pthread_mutex_lock(&s->mu);
    while (queued(s, point_id) && !wait_written(s, s->q_tail)) {} /* its sealed chunks are in the store */
    slot *sl;
    if (!find_slot(s, point_id, false, &sl) && sl->n > 0 && sl->t_max >= from_ms &&
        sl->t_min < to_ms) {
        gorilla_enc tmp = sl->enc;
        memcpy(ob, sl->buf, s->cfg.chunk_bytes);
        tmp.buf = ob;
        rc = gorilla_enc_finish(&tmp, &olen);
    }
    pthread_mutex_unlock(&s->mu);
    if (!rc && olen) rc = gorilla_decode(ob, olen, ot, ov, SERIES_READINGS_MAX, &on);
    if (rc) {
        rc = ws_fail(WS_EINTERNAL, NULL, "series: open chunk does not decode");
        goto free_out;
    }

    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row;
    if ((rc = store_acquire(s->st, &c))) goto free_out;
    int64_t stored = 0;
    if ((rc = store_prepare(c, Q_SERIES_CHUNK_COUNT, &st)) ||
        (rc = store_bind_int(st, 1, point_id)) || (rc = store_bind_int(st, 2, from_ms)) ||
        (rc = store_bind_int(st, 3, to_ms)) || (rc = store_step(st, &row)))
        goto done;
    stored = row ? store_col_int(st, 0) : 0;
    int64_t emptied = row ? store_col_int(st, 1) : 0;
    store_finalize(st);
    st = NULL;
    size_t open_in = 0;
    for (size_t i = 0; i < on; i++) open_in += ot[i] >= from_ms && ot[i] < to_ms;

    /* raw when they fit and every overlapping chunk still has its readings */
    if (!emptied && (uint64_t)stored + open_in <= max_points) {
        /* Raw: decode the overlapping chunks. */
        if (info) *info = (series_history_info){SERIES_TIER_RAW, 0};
        if ((rc = store_prepare(c, Q_SERIES_CHUNK_RANGE, &st)) ||
            (rc = store_bind_int(st, 1, point_id)) || (rc = store_bind_int(st, 2, from_ms)) ||
            (rc = store_bind_int(st, 3, to_ms)))
            goto done;
        for (;;) {
            if ((rc = store_step(st, &row)) || !row) break;
            int64_t id = store_col_int(st, 0), want = store_col_int(st, 3);
            size_t blen = 0, m = 0;
            const void *b = store_col_blob(st, 4, &blen);
            ws_err d = gorilla_decode(b, blen, ct, cv, SERIES_READINGS_MAX, &m);
            if (d || (int64_t)m != want) {
                rc = ws_fail(WS_ECORRUPT, "chunk", "series: stored chunk %lld of point %lld is corrupt",
                             (long long)id, (long long)point_id);
                goto done;
            }
            for (size_t i = 0; i < m; i++) {
                if (ct[i] < from_ms || ct[i] >= to_ms) continue;
                if (*n >= max_points) {
                    rc = ws_fail(WS_ECORRUPT, "chunk", "series: chunk %lld holds more than its count",
                                 (long long)id);
                    goto done;
                }
                double v = cv[i];
                out[(*n)++] = (series_sample){ct[i], isfinite(v) ? 1 : 0, v, v, v, v, ct[i]};
            }
        }
        if (rc) goto done;
        for (size_t i = 0; i < on; i++) {
            if (ot[i] < from_ms || ot[i] >= to_ms || *n >= max_points) continue;
            double v = ov[i];
            out[(*n)++] = (series_sample){ot[i], isfinite(v) ? 1 : 0, v, v, v, v, ot[i]};
        }
        qsort(out, *n, sizeof *out, sample_cmp);
        goto done;
    }

    /* Rollups: whole minutes, or whole hours when every output bucket spans one. */
    int64_t w = SERIES_MINUTE_MS, base = floor_to(from_ms, w);
    int64_t k = ceil_div(ceil_div(to_ms - base, w), (int64_t)max_points);
    const char *q = Q_SERIES_1M_RANGE;
    series_tier tier = SERIES_TIER_1M;
    if (k >= 60) {
        w = SERIES_HOUR_MS, base = floor_to(from_ms, w), q = Q_SERIES_1H_RANGE;
        tier = SERIES_TIER_1H;
        k = ceil_div(ceil_div(to_ms - base, w), (int64_t)max_points);
    }
    if (k < 1) k = 1;
    int64_t bw = k * w, slots = ceil_div(to_ms - base, bw);
    if (info) *info = (series_history_info){tier, bw};
    for (int64_t i = 0; i < slots; i++) out[i] = (series_sample){.t = base + i * bw};
    if ((rc = store_prepare(c, q, &st)) || (rc = store_bind_int(st, 1, point_id)) ||
        (rc = store_bind_int(st, 2, base)) || (rc = store_bind_int(st, 3, to_ms)))
        goto done;
    for (;;) {
        if ((rc = store_step(st, &row)) || !row) break;
        int64_t i = (store_col_int(st, 0) - base) / bw;
        if (i < 0 || i >= slots) continue;
        fold(&out[i], store_col_int(st, 1), store_col_double(st, 2), store_col_double(st, 3),
             store_col_double(st, 4), store_col_double(st, 5), store_col_int(st, 6));
    }
    if (rc) goto done;
    if (tier == SERIES_TIER_1M) { /* the chunks' own minutes (series_1m holds older ones) */
        store_finalize(st);
        st = NULL;
        if ((rc = store_prepare(c, Q_SERIES_MINUTES_RANGE, &st)) || (rc = store_bind_int(st, 1, point_id)) ||
            (rc = store_bind_int(st, 2, base)) || (rc = store_bind_int(st, 3, to_ms)))
            goto done;
        for (;;) {
            if ((rc = store_step(st, &row)) || !row) break;
            size_t blen = 0;
            const uint8_t *b = store_col_blob(st, 0, &blen);
            series_minutes_it it;
            series_sample x;
            for (series_minutes_begin(&it, b, blen); series_minutes_next(&it, &x);) {
                if (x.t < base || x.t >= to_ms) continue;
                int64_t i = (x.t - base) / bw;
                if (i < slots) fold(&out[i], x.n, x.min, x.max, x.avg, x.last, x.last_t);
            }
        }
        if (rc) goto done;
    }
    int64_t end = floor_to(to_ms - 1, w) + w; /* the last included bucket's end */
    for (size_t i = 0; i < on; i++) {
        if (ot[i] < base || ot[i] >= end || !isfinite(ov[i])) continue;
        int64_t j = (ot[i] - base) / bw;
        if (j < slots) fold(&out[j], 1, ov[i], ov[i], ov[i], ov[i], ot[i]);
    }
    for (int64_t i = 0; i < slots; i++) {
        if (out[i].n == 0) continue;
        out[i].avg /= (double)out[i].n;
        out[(*n)++] = out[i];
    }
done:
    if (st) store_finalize(st);
    store_release(c);
free_out:
    free(ot);
    free(ov);
    if (rc) *n = 0;
    return rc;
}
