/* test_series.c — the series store (src/telemetry/series.c) on real stores:
 * a fresh SQLite file per test and, when WS_TEST_PG_URL is set, a fresh
 * PostgreSQL database per test. 100,000 readings of three points come back
 * exactly as quantised (open and sealed chunks); out-of-order and late
 * readings are stored in place and merged into the rollups; chunks seal by
 * size and by age; rollups equal a brute-force computation; history never
 * returns more than max_points and its buckets add up to every reading; a
 * corrupt stored chunk is WS_ECORRUPT; the open-chunk table grows by
 * segments, and a point past its limit and unstorable values are named
 * errors. (Tests may hold SQL text; production code keeps it in
 * src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/store.h"
#include "telemetry/gorilla.h"
#include "telemetry/series.h"
#include "unit/pgdb.h"

#define OK(x) assert_int_equal((x), WS_OK)
#define T0 INT64_C(1794999600000) /* a whole hour */

static char tmpdir[128];

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct tctx {
    fixture *f;
    char url[1024];
    char pg_db[64];
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;

static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (f->kind == STORE_SQLITE) {
        snprintf(tc.url, sizeof tc.url, "sqlite:%s/series%d.db", tmpdir, f->n);
    } else {
        snprintf(tc.pg_db, sizeof tc.pg_db, "ws_series_test_%ld_%d", (long)getpid(), f->n);
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", tc.pg_db);
        pgdb_exec(f->pg_admin, sql);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", tc.pg_db);
        if (!pgdb_exec(f->pg_admin, sql)) return -1;
        pgdb_url_for(f->pg_admin, tc.pg_db, tc.url, sizeof tc.url);
    }
    *state = &tc;
    return 0;
}

static int db_teardown(void **state)
{
    tctx *t = *state;
    if (t->f->kind == STORE_POSTGRES) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", t->pg_db);
        pgdb_exec(t->f->pg_admin, sql);
    }
    *state = t->f;
    return 0;
}

static series *open_series(tctx *t, int capacity, size_t chunk_bytes, int64_t max_age)
{
    series_config cfg = {capacity, chunk_bytes, max_age};
    series *s = NULL;
    ws_err rc = series_open(t->url, &cfg, &s);
    if (rc) fail_msg("series_open: %s", ws_err_message());
    return s;
}

static int64_t sql_int(series *s, const char *sql)
{
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    OK(store_acquire(series_store(s), &c));
    OK(store_prepare(c, sql, &st));
    OK(store_step(st, &row));
    assert_true(row);
    int64_t v = store_col_int(st, 0);
    store_finalize(st);
    store_release(c);
    return v;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t xr(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double unif(void) { return (double)(xr() >> 11) / 9007199254740992.0; }

/* ------------------------------------------------------------- round trip */

#define RT_N 33334 /* per point: 3 points, 100,002 readings */

static void check_point(series *s, int64_t pid, const int64_t *t, const double *v, size_t n)
{
    series_sample *out = malloc((n + 10) * sizeof *out);
    assert_non_null(out);
    size_t got = 0;
    series_history_info info;
    OK(series_history(s, pid, T0 - 1000, T0 + INT64_C(100000000), n + 10, out, &got, &info));
    assert_int_equal(info.tier, SERIES_TIER_RAW);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].t, t[i]);
        if (memcmp(&out[i].last, &v[i], sizeof(double)) != 0)
            fail_msg("point %lld reading %zu: %.17g != %.17g", (long long)pid, i, out[i].last, v[i]);
        assert_int_equal(out[i].n, 1);
    }
    free(out);
}

static void test_round_trip(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 16, 0, 0);
    static const double res[3] = {0.1, 0.01, NAN};
    int64_t *ts = malloc(3 * RT_N * sizeof *ts);
    double *vs = malloc(3 * RT_N * sizeof *vs);
    assert_non_null(ts);
    assert_non_null(vs);
    for (int p = 0; p < 3; p++) OK(series_point_resolution(s, p + 1, res[p]));
    for (size_t i = 0; i < RT_N; i++) {
        for (int p = 0; p < 3; p++) {
            int64_t tm = T0 + (int64_t)i * 1000 + (p == 2 ? (int64_t)(xr() % 41) - 20 : 0);
            double v = p == 0   ? 5 + 4 * sin((double)i / 600) + 0.04 * (unif() - 0.5)
                       : p == 1 ? 0.35 + 0.002 * (unif() - 0.5)
                                : 100 * unif();
            ts[p * RT_N + i] = tm;
            vs[p * RT_N + i] = isnan(res[p]) ? v : gorilla_quantise(v, res[p]);
            OK(series_append(s, p + 1, tm, v, 0));
        }
    }
    /* Some chunks sealed by size, the rest open: all come back exact (a
     * history read waits for its point's chunks still queued for the writer). */
    for (int p = 0; p < 3; p++) check_point(s, p + 1, ts + p * RT_N, vs + p * RT_N, RT_N);
    assert_true(sql_int(s, "SELECT COUNT(*) FROM series_chunks") >= 3);
    OK(series_close(s));
    s = open_series(t, 16, 0, 0);
    assert_int_equal(sql_int(s, "SELECT SUM(n) FROM series_chunks"), 3 * RT_N);
    assert_true(sql_int(s, "SELECT MAX(LENGTH(data)) FROM series_chunks") <= SERIES_CHUNK_BYTES);
    for (int p = 0; p < 3; p++) check_point(s, p + 1, ts + p * RT_N, vs + p * RT_N, RT_N);
    /* The scaled point costs far less than the raw one. */
    int64_t b1 = sql_int(s, "SELECT SUM(LENGTH(data)) FROM series_chunks WHERE point_id = 1");
    int64_t b3 = sql_int(s, "SELECT SUM(LENGTH(data)) FROM series_chunks WHERE point_id = 3");
    assert_true(b1 * 3 < b3);
    assert_true((double)b1 / RT_N < 2.0);
    OK(series_close(s));
    free(ts);
    free(vs);
}

/* ----------------------------------------------------------- out of order */

/* The minute buckets of pid as its chunks' minutes hold them, entries of
 * one minute (from different chunks) merged; sorted by bucket. Returns
 * how many (at most cap). */
static int minutes_of(series *s, int64_t pid, series_sample *out, int cap)
{
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    int k = 0;
    OK(store_acquire(series_store(s), &c));
    OK(store_prepare(c, "SELECT minutes FROM series_chunks WHERE point_id = $1 ORDER BY id", &st));
    OK(store_bind_int(st, 1, pid));
    for (;;) {
        OK(store_step(st, &row));
        if (!row) break;
        size_t len = 0, used = 0;
        const uint8_t *b = store_col_blob(st, 0, &len);
        series_minutes_it it;
        series_sample x;
        for (series_minutes_begin(&it, b, len); series_minutes_next(&it, &x);) {
            used = (size_t)(it.p - b);
            assert_int_equal(x.t % SERIES_MINUTE_MS, 0);
            assert_true(x.n >= 1 && x.last_t >= x.t && x.last_t < x.t + SERIES_MINUTE_MS);
            int i = 0;
            while (i < k && out[i].t != x.t) i++;
            if (i == k) {
                assert_true(k < cap);
                out[k++] = x;
                continue;
            }
            out[i].n += x.n;
            out[i].min = fmin(out[i].min, x.min);
            out[i].max = fmax(out[i].max, x.max);
            out[i].avg += x.avg;
            if (x.last_t >= out[i].last_t) out[i].last = x.last, out[i].last_t = x.last_t;
        }
        assert_int_equal(used, len); /* every byte read: no entry cut short */
    }
    store_finalize(st);
    store_release(c);
    for (int i = 1; i < k; i++) /* insertion sort by bucket */
        for (int j = i; j > 0 && out[j - 1].t > out[j].t; j--) {
            series_sample x = out[j];
            out[j] = out[j - 1];
            out[j - 1] = x;
        }
    return k;
}

/* The rollup of pid's bucket: minutes from the chunks, hours from series_1h. */
static void rollup(series *s, const char *table, int64_t pid, int64_t bucket, int64_t *n,
                   double *mn, double *mx, double *sum, double *last)
{
    if (!strcmp(table, "minutes")) {
        series_sample m[64];
        int k = minutes_of(s, pid, m, 64), i = 0;
        while (i < k && m[i].t != bucket) i++;
        assert_true(i < k);
        *n = m[i].n, *mn = m[i].min, *mx = m[i].max, *sum = m[i].avg, *last = m[i].last;
        return;
    }
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT n, v_min, v_max, v_sum, v_last FROM %s WHERE point_id = %lld AND bucket = %lld",
             table, (long long)pid, (long long)bucket);
    OK(store_acquire(series_store(s), &c));
    OK(store_prepare(c, sql, &st));
    OK(store_step(st, &row));
    assert_true(row);
    *n = store_col_int(st, 0);
    *mn = store_col_double(st, 1);
    *mx = store_col_double(st, 2);
    *sum = store_col_double(st, 3);
    *last = store_col_double(st, 4);
    store_finalize(st);
    store_release(c);
}

static void test_out_of_order(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 4, 0, 0);
    OK(series_point_resolution(s, 7, 0.1));
    OK(series_append(s, 7, T0 + 10000, 1.0, 0));
    OK(series_append(s, 7, T0 + 5000, 2.0, 0));
    OK(series_append(s, 7, T0 + 20000, 3.0, 0));
    OK(series_append(s, 7, T0 + 15000, 4.0, 0));
    series_sample out[16];
    size_t n = 0;
    OK(series_history(s, 7, T0, T0 + 60000, 16, out, &n, NULL));
    assert_int_equal(n, 4);
    static const int64_t want_t[] = {5000, 10000, 15000, 20000};
    static const double want_v[] = {2.0, 1.0, 4.0, 3.0};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(out[i].t, T0 + want_t[i]);
        assert_true(out[i].last == want_v[i]);
    }
    int sealed = 0;
    OK(series_flush_all(s, &sealed));
    assert_int_equal(sealed, 1);
    /* Late readings after the seal: a new chunk, merged into the same buckets. */
    OK(series_append(s, 7, T0 + 7000, 5.0, 0));
    OK(series_append(s, 7, T0 + 1000, 0.5, 0));
    OK(series_append(s, 7, T0 + 30000, 9.9, 2)); /* BAD: stored as NaN, not in rollups */
    OK(series_flush_all(s, &sealed));
    assert_int_equal(sealed, 1);
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_chunks"), 2);
    OK(series_history(s, 7, T0, T0 + 60000, 16, out, &n, NULL));
    assert_int_equal(n, 7);
    assert_int_equal(out[0].t, T0 + 1000);
    assert_int_equal(out[2].t, T0 + 7000);
    assert_int_equal(out[6].t, T0 + 30000);
    assert_int_equal(out[6].n, 0);
    assert_true(isnan(out[6].last));
    int64_t rn;
    double mn, mx, sum, last;
    rollup(s, "minutes", 7, T0, &rn, &mn, &mx, &sum, &last);
    assert_int_equal(rn, 6);
    assert_true(mn == 0.5 && mx == 5.0 && last == 3.0);
    assert_true(fabs(sum - 15.5) < 1e-9);
    rollup(s, "series_1h", 7, T0, &rn, &mn, &mx, &sum, &last);
    assert_int_equal(rn, 6);
    /* A later late reading moves `last`. */
    OK(series_append(s, 7, T0 + 25000, 2.5, 0));
    OK(series_flush_all(s, NULL));
    rollup(s, "minutes", 7, T0, &rn, &mn, &mx, &sum, &last);
    assert_int_equal(rn, 7);
    assert_true(last == 2.5);
    OK(series_close(s));
}

/* ------------------------------------------------------------ size and age */

static void test_seal_size_and_age(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 4, 0, 10000);
    OK(series_point_resolution(s, 1, 0.1));
    int64_t now = clock_now_ms();
    OK(series_append(s, 1, T0, 20.9, 0));
    int sealed = -1;
    OK(series_flush(s, now + 9000, &sealed));
    assert_int_equal(sealed, 0);
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_chunks"), 0);
    OK(series_flush(s, clock_now_ms() + 10000, &sealed));
    assert_int_equal(sealed, 1);
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_chunks"), 1);
    /* Raw random doubles: about 8 bytes each, so 2,000 fill several chunks. */
    for (int i = 0; i < 2000; i++) OK(series_append(s, 2, T0 + i * 1000, unif(), 0));
    /* full chunks went to the writer thread; a flush that seals nothing by
     * age returns once they are committed */
    OK(series_flush(s, 0, &sealed));
    assert_int_equal(sealed, 0);
    int64_t by_size = sql_int(s, "SELECT COUNT(*) FROM series_chunks WHERE point_id = 2");
    assert_true(by_size >= 3);
    assert_true(sql_int(s, "SELECT MAX(LENGTH(data)) FROM series_chunks") <= SERIES_CHUNK_BYTES);
    assert_true(sql_int(s, "SELECT MIN(LENGTH(data)) FROM series_chunks WHERE point_id = 2") >
                SERIES_CHUNK_BYTES - 16);
    OK(series_close(s)); /* seals the rest */
    s = open_series(t, 4, 0, 10000);
    assert_int_equal(sql_int(s, "SELECT SUM(n) FROM series_chunks WHERE point_id = 2"), 2000);
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_chunks WHERE point_id = 2"),
                     by_size + 1);
    OK(series_close(s));
}

/* The journal floor: the lowest journal sequence of a reading not yet
 * committed, over the open chunks (the lowest of each, whatever the order
 * its readings came in); a sealed and written chunk no longer holds it. */
static void test_journal_floor(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 4, 0, 10000);
    assert_int_equal(series_journal_floor(s), 0);
    OK(series_append_seq(s, 1, T0, 1.0, 0, 12));
    OK(series_append_seq(s, 2, T0, 1.0, 0, 9));
    OK(series_append_seq(s, 2, T0 + 1000, 1.5, 0, 14));
    OK(series_append(s, 3, T0, 1.0, 0)); /* not journaled: no part of the floor */
    assert_int_equal(series_journal_floor(s), 9);
    int sealed = 0;
    OK(series_flush(s, clock_now_ms() + 10000, &sealed)); /* all old enough: sealed and written */
    assert_int_equal(sealed, 3);
    assert_int_equal(series_journal_floor(s), 0);
    OK(series_append_seq(s, 2, T0 + 2000, 2.0, 0, 20));
    OK(series_append_seq(s, 1, T0 + 1000, 2.0, 0, 21));
    assert_int_equal(series_journal_floor(s), 20);
    OK(series_close(s));
}

/* The minutes column in both forms: the compact one the store writes (steps
 * of the resolution for a scaled point: a few bytes a minute; doubles for a
 * raw one), and the 48-byte entries of chunks sealed before it, which are
 * still read. Values come back bit for bit. */
static void test_minutes_forms(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 4, 0, 10000);
    OK(series_point_resolution(s, 1, 0.1));
    for (int i = 0; i < 600; i++) { /* ten minutes at 1 Hz, from -3 to 6.9 */
        OK(series_append(s, 1, T0 + i * 1000, (i * 37 % 100) / 10.0 - 3, 0));
        OK(series_append(s, 2, T0 + i * 1000, 1.0 / (i + 3), 0)); /* no resolution: raw */
    }
    OK(series_flush_all(s, NULL));
    int64_t l1 = sql_int(s, "SELECT LENGTH(minutes) FROM series_chunks WHERE point_id = 1");
    int64_t l2 = sql_int(s, "SELECT LENGTH(minutes) FROM series_chunks WHERE point_id = 2");
    assert_true(l1 <= 10 + 10 * 18); /* steps: 17 bytes a minute here (175), against 48 */
    assert_true(l2 <= 2 + 10 * 45);  /* doubles: 37 a minute (375) */
    series_sample m[16];
    assert_int_equal(minutes_of(s, 1, m, 16), 10);
    for (int k = 0; k < 10; k++) {
        double mn = INFINITY, mx = -INFINITY, sum = 0;
        for (int i = k * 60; i < k * 60 + 60; i++) {
            double v = gorilla_quantise((i * 37 % 100) / 10.0 - 3, 0.1);
            mn = fmin(mn, v), mx = fmax(mx, v), sum += v;
        }
        assert_int_equal(m[k].n, 60);
        assert_true(m[k].min == mn && m[k].max == mx && m[k].avg == sum);
        assert_true(m[k].last == gorilla_quantise(((k * 60 + 59) * 37 % 100) / 10.0 - 3, 0.1));
    }
    assert_int_equal(minutes_of(s, 2, m, 16), 10);
    assert_true(m[9].last == 1.0 / 602 && m[0].max == 1.0 / 3);
    OK(series_close(s));
    /* 48-byte entries, as chunks sealed before the compact form hold them */
    uint8_t old[2 * SERIES_MINUTE_BYTES];
    const int64_t bucket[2] = {T0, T0 + 60000};
    const double f[2][4] = {{1.5, 2.5, 10.0, 2.0}, {0.5, 0.75, 3.0, 0.5}};
    for (int e = 0; e < 2; e++) {
        uint8_t *p = old + e * SERIES_MINUTE_BYTES;
        uint64_t w[7] = {(uint64_t)bucket[e], 5, 59000};
        for (int k = 0; k < 4; k++) memcpy(&w[3 + k], &f[e][k], 8);
        for (int k = 0, at = 0; k < 7; at += k == 1 || k == 2 ? 4 : 8, k++)
            for (int b = 0; b < (k == 1 || k == 2 ? 4 : 8); b++) p[at + b] = (uint8_t)(w[k] >> (8 * b));
    }
    series_minutes_it it;
    series_sample x;
    series_minutes_begin(&it, old, sizeof old);
    for (int e = 0; e < 2; e++) {
        assert_true(series_minutes_next(&it, &x));
        assert_int_equal(x.t, bucket[e]);
        assert_int_equal(x.n, 5);
        assert_int_equal(x.last_t, bucket[e] + 59000);
        assert_true(x.min == f[e][0] && x.max == f[e][1] && x.avg == f[e][2] && x.last == f[e][3]);
    }
    assert_false(series_minutes_next(&it, &x));
    series_minutes_begin(&it, old, SERIES_MINUTE_BYTES + 7); /* a cut entry is not read */
    assert_true(series_minutes_next(&it, &x));
    assert_false(series_minutes_next(&it, &x));
    /* damaged compact blobs: read up to where they stop making sense, no
     * further (the sanitizers watch the arithmetic and the bounds) */
    uint8_t junk[64];
    uint32_t seed = 7;
    for (int r = 0; r < 2000; r++) {
        size_t len = 1 + (size_t)(r % 64);
        for (size_t i = 0; i < len; i++) junk[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
        junk[0] = 0xFF;
        int entries = 0;
        for (series_minutes_begin(&it, junk, len); series_minutes_next(&it, &x); entries++)
            assert_true(it.p <= junk + len);
        assert_true(entries <= (int)len);
    }
}

/* ------------------------------------------------- rollups and the history */

#define RB_N 5000
static int64_t rb_t[RB_N];
static double rb_v[RB_N];
static int rb_q[RB_N];

/* 5,000 readings at distinct seconds of three hours in scrambled order, in
 * 256-byte chunks so buckets span chunks; one in 50 BAD. */
static series *rollup_data(tctx *t)
{
    series *s = open_series(t, 4, 256, 0);
    OK(series_point_resolution(s, 5, 0.5));
    for (int i = 0; i < RB_N; i++) {
        rb_t[i] = T0 + (int64_t)((i * 7919) % 10800) * 1000;
        rb_q[i] = i % 50 == 17 ? 2 : 0;
        rb_v[i] = rb_q[i] ? NAN : gorilla_quantise(40 * unif() - 10, 0.5);
        OK(series_append(s, 5, rb_t[i], rb_v[i], rb_q[i]));
    }
    OK(series_flush_all(s, NULL));
    return s;
}

/* The readings buckets are checked against (rollup_data's by default). */
static const int64_t *ck_t = rb_t;
static const double *ck_v = rb_v;
static const int *ck_q = rb_q;
static int ck_n = RB_N;

/* One bucket against those readings, computed here. */
static void check_bucket(int64_t b, int64_t w, int64_t n_got, double mn_got, double mx_got, double sum_got,
                         double last_got, int64_t *total)
{
    int64_t n = 0, last_t = INT64_MIN;
    double mn = INFINITY, mx = -INFINITY, sum = 0, last = NAN;
    for (int i = 0; i < ck_n; i++) {
        if (ck_q[i] || ck_t[i] < b || ck_t[i] >= b + w) continue;
        n++;
        mn = fmin(mn, ck_v[i]);
        mx = fmax(mx, ck_v[i]);
        sum += ck_v[i];
        if (ck_t[i] > last_t) last_t = ck_t[i], last = ck_v[i];
    }
    assert_int_equal(n_got, n);
    assert_true(mn_got == mn);
    assert_true(mx_got == mx);
    assert_true(fabs(sum_got - sum) <= 1e-9 * (1 + fabs(sum)));
    assert_true(last_got == last);
    *total += n;
}

static int64_t finite_readings(void)
{
    int64_t finite = 0;
    for (int i = 0; i < ck_n; i++) finite += !ck_q[i];
    return finite;
}

/* Point pid's minutes, merged, against a brute-force computation. */
static void check_minutes_of(series *s, int64_t pid, int want)
{
    static series_sample m[256];
    int k = minutes_of(s, pid, m, 256);
    int64_t total = 0;
    for (int i = 0; i < k; i++)
        check_bucket(m[i].t, SERIES_MINUTE_MS, m[i].n, m[i].min, m[i].max, m[i].avg, m[i].last, &total);
    assert_int_equal(total, finite_readings());
    assert_int_equal(k, want);
}

static void check_minutes(series *s) { check_minutes_of(s, 5, 180); }

/* The hour rollups (series_1h), likewise. */
static void check_hours_of(series *s, int64_t pid)
{
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row = false;
    OK(store_acquire(series_store(s), &c));
    OK(store_prepare(c, "SELECT bucket, n, v_min, v_max, v_sum, v_last FROM series_1h WHERE point_id = $1 "
                        "ORDER BY bucket", &st));
    OK(store_bind_int(st, 1, pid));
    int buckets = 0;
    int64_t total = 0;
    for (;;) {
        OK(store_step(st, &row));
        if (!row) break;
        check_bucket(store_col_int(st, 0), SERIES_HOUR_MS, store_col_int(st, 1), store_col_double(st, 2),
                     store_col_double(st, 3), store_col_double(st, 4), store_col_double(st, 5), &total);
        buckets++;
    }
    store_finalize(st);
    store_release(c);
    assert_int_equal(total, finite_readings());
    assert_int_equal(buckets, 3);
}

static void check_hours(series *s) { check_hours_of(s, 5); }

static void test_rollups_brute_force(void **state)
{
    tctx *t = *state;
    series *s = rollup_data(t);
    assert_true(sql_int(s, "SELECT COUNT(*) FROM series_chunks") > 10);
    check_minutes(s);
    check_hours(s);
    OK(series_close(s));
}

/* Readings in time order: each chunk rolls its minutes up as they come
 * (the writer need not decode it); the same sums as computed here. One
 * reading a second for three hours, 256-byte chunks of a few minutes each,
 * one in 50 BAD, and two late readings (one inside a kept minute, one in a
 * minute before the chunk's first, which the writer then rolls up itself). */
static void test_rollups_in_order(void **state)
{
    tctx *t = *state;
    enum { N = 10800 + 2 };
    static int64_t ts[N];
    static double vs[N];
    static int qs[N];
    series *s = open_series(t, 4, 256, 0);
    OK(series_point_resolution(s, 6, 0.5));
    for (int i = 0; i < N; i++) {
        ts[i] = T0 + (int64_t)i * 1000;
        if (i == 10800) ts[i] = T0 + 10795500;        /* late, in the last minute */
        if (i == 10801) ts[i] = T0 + 10700000 - 30000; /* late, minutes back */
        qs[i] = i % 50 == 17 ? 2 : 0;
        vs[i] = qs[i] ? NAN : gorilla_quantise(40 * unif() - 10, 0.5);
        OK(series_append(s, 6, ts[i], vs[i], qs[i]));
    }
    OK(series_flush_all(s, NULL));
    assert_true(sql_int(s, "SELECT COUNT(*) FROM series_chunks WHERE point_id = 6") > 20);
    ck_t = ts, ck_v = vs, ck_q = qs, ck_n = N;
    check_minutes_of(s, 6, 180);
    check_hours_of(s, 6);
    ck_t = rb_t, ck_v = rb_v, ck_q = rb_q, ck_n = RB_N;
    OK(series_close(s));
}

/* Retention: raw readings go first (the minutes stay, so charts of the
 * period still draw), then the minutes; hours stay. */
static void test_retention(void **state)
{
    tctx *t = *state;
    series *s = rollup_data(t);
    int64_t end = T0 + 3 * SERIES_HOUR_MS;
    series_sample *out = malloc(6000 * sizeof *out);
    assert_non_null(out);
    size_t n = 0;
    series_history_info info;
    OK(series_retain(s, end, 0));
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_chunks WHERE LENGTH(data) > 0"), 0);
    assert_true(sql_int(s, "SELECT COUNT(*) FROM series_chunks") > 10);
    check_minutes(s);
    /* with room for every reading too: the raw ones are gone, the minutes answer */
    for (size_t room = 180; room <= 6000; room += 5820) {
        OK(series_history(s, 5, T0, end, room, out, &n, &info));
        assert_int_equal(info.tier, SERIES_TIER_1M);
        assert_int_equal(n, 180);
        int64_t sum_n = 0;
        for (size_t i = 0; i < n; i++) sum_n += out[i].n;
        assert_int_equal(sum_n, finite_readings());
    }
    /* a minute written by a version before the chunks carried them: merged */
    OK(series_history(s, 5, T0, end, 180, out, &n, &info));
    int64_t n0 = out[0].n;
    double last0 = out[0].last;
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row;
    OK(store_acquire(series_store(s), &c));
    OK(store_prepare(c, "INSERT INTO series_1m (point_id, bucket, n, v_min, v_max, v_sum, v_last, last_t) "
                        "VALUES (5, $1, 3, -1000.0, 4.0, 7.5, 2.5, $2)", &st));
    OK(store_bind_int(st, 1, T0));
    OK(store_bind_int(st, 2, T0)); /* not after the minute's readings: its last stays */
    OK(store_step(st, &row));
    store_finalize(st);
    store_release(c);
    OK(series_history(s, 5, T0, end, 180, out, &n, &info));
    assert_int_equal(info.tier, SERIES_TIER_1M);
    assert_true(out[0].t == T0 && out[0].n == n0 + 3 && out[0].min == -1000.0 && out[0].last == last0);
    OK(series_retain(s, end, end));
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_chunks"), 0);
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_1m"), 0);
    OK(series_history(s, 5, T0, end, 180, out, &n, &info));
    assert_int_equal(n, 0);
    check_hours(s);
    free(out);
    OK(series_close(s));
}

static void test_history_bounds(void **state)
{
    tctx *t = *state;
    series *s = rollup_data(t);
    int64_t finite = 0;
    double gmin = INFINITY, gmax = -INFINITY;
    for (int i = 0; i < RB_N; i++)
        if (!rb_q[i]) finite++, gmin = fmin(gmin, rb_v[i]), gmax = fmax(gmax, rb_v[i]);
    /* One reading still in the open chunk counts too. */
    OK(series_append(s, 5, T0 + 500, 1000.0, 0));
    finite++;
    gmax = 1000.0;
    static const size_t maxes[] = {1, 2, 7, 50, 180, 1000, 5000, 5001, 100000};
    series_sample *out = malloc(100000 * sizeof *out);
    assert_non_null(out);
    for (size_t k = 0; k < sizeof maxes / sizeof maxes[0]; k++) {
        size_t n = 0;
        series_history_info info;
        OK(series_history(s, 5, T0, T0 + 3 * SERIES_HOUR_MS, maxes[k], out, &n, &info));
        assert_true(n >= 1 && n <= maxes[k]);
        int64_t sum_n = 0;
        double mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (i) assert_true(out[i].t > out[i - 1].t);
            sum_n += out[i].n;
            if (out[i].n) {
                mn = fmin(mn, out[i].min), mx = fmax(mx, out[i].max);
                assert_true(out[i].min <= out[i].avg && out[i].avg <= out[i].max);
            }
        }
        assert_int_equal(sum_n, finite);
        assert_true(mn == gmin && mx == gmax);
        if (maxes[k] >= 5001) {
            assert_int_equal(info.tier, SERIES_TIER_RAW);
            assert_int_equal(n, RB_N + 1);
        } else if (maxes[k] >= 180) {
            assert_int_equal(info.tier, SERIES_TIER_1M);
            assert_int_equal(info.width_ms, SERIES_MINUTE_MS);
        } else if (maxes[k] >= 3) {
            assert_int_equal(info.tier, SERIES_TIER_1M);
        } else {
            assert_int_equal(info.tier, SERIES_TIER_1H);
        }
    }
    /* A sub-range: buckets start at or after the minute of from and before to. */
    size_t n = 0;
    int64_t from = T0 + 30 * SERIES_MINUTE_MS + 17000, to = T0 + 90 * SERIES_MINUTE_MS;
    OK(series_history(s, 5, from, to, 10, out, &n, NULL));
    assert_true(n >= 1 && n <= 10);
    for (size_t i = 0; i < n; i++) {
        assert_true(out[i].t >= from - 17000 && out[i].t < to);
        assert_true(out[i].last_t >= out[i].t);
    }
    /* Bad arguments are refused. */
    assert_int_equal(series_history(s, 5, to, from, 10, out, &n, NULL), WS_EINVAL);
    assert_int_equal(series_history(s, 5, from, to, 0, out, &n, NULL), WS_EINVAL);
    /* An unknown point has no history. */
    OK(series_history(s, 99, from, to, 10, out, &n, NULL));
    assert_int_equal(n, 0);
    free(out);
    OK(series_close(s));
}

/* ---------------------------------------------------------------- corrupt */

static void rewrite_chunk(series *s, int64_t id, const uint8_t *data, size_t len)
{
    store_conn *c = NULL;
    store_stmt *st = NULL;
    bool row;
    OK(store_acquire(series_store(s), &c));
    OK(store_prepare(c, "UPDATE series_chunks SET data = $1 WHERE id = $2", &st));
    OK(store_bind_blob(st, 1, data, len));
    OK(store_bind_int(st, 2, id));
    OK(store_step(st, &row));
    assert_int_equal(store_changes(st), 1);
    store_finalize(st);
    store_release(c);
}

static void test_corrupt_chunk(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 4, 0, 0);
    OK(series_point_resolution(s, 1, 0.1));
    for (int i = 0; i < 100; i++) OK(series_append(s, 1, T0 + i * 1000, 0.1 * i, 0));
    OK(series_flush_all(s, NULL));
    int64_t id = sql_int(s, "SELECT MIN(id) FROM series_chunks");
    uint8_t data[SERIES_CHUNK_BYTES];
    size_t len = 0;
    {
        store_conn *c = NULL;
        store_stmt *st = NULL;
        bool row = false;
        OK(store_acquire(series_store(s), &c));
        OK(store_prepare(c, "SELECT data FROM series_chunks", &st));
        OK(store_step(st, &row));
        assert_true(row);
        const void *b = store_col_blob(st, 0, &len);
        assert_true(len > 40 && len <= sizeof data);
        memcpy(data, b, len);
        store_finalize(st);
        store_release(c);
    }
    series_sample out[200];
    size_t n = 0;
    OK(series_history(s, 1, T0, T0 + 100000, 200, out, &n, NULL));
    assert_int_equal(n, 100);
    data[len / 2] ^= 0x10;
    rewrite_chunk(s, id, data, len);
    assert_int_equal(series_history(s, 1, T0, T0 + 100000, 200, out, &n, NULL), WS_ECORRUPT);
    assert_string_equal(ws_err_field(), "chunk");
    assert_int_equal(n, 0);
    data[len / 2] ^= 0x10;
    rewrite_chunk(s, id, data, 3); /* truncated */
    assert_int_equal(series_history(s, 1, T0, T0 + 100000, 200, out, &n, NULL), WS_ECORRUPT);
    rewrite_chunk(s, id, data, len); /* repaired: readable again */
    OK(series_history(s, 1, T0, T0 + 100000, 200, out, &n, NULL));
    assert_int_equal(n, 100);
    OK(series_close(s));
}

/* ------------------------------------------------------- refused, by name */

static void test_named_errors(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 2, 0, 0);
    OK(series_point_resolution(s, 1, 0.1));
    /* The table grows a segment (here of two slots) at a time, to 256
     * segments; a point past that is refused by name. */
    for (int64_t p = 1; p <= 512; p++) OK(series_append(s, p, T0, (double)p, 0));
    assert_int_equal(series_append(s, 513, T0, 1.0, 0), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "point_id");
    assert_int_equal(series_point_resolution(s, 513, 0.1), WS_ETOOBIG);
    series_sample one[2];
    size_t k = 0;
    OK(series_history(s, 500, T0, T0 + 1000, 2, one, &k, NULL));
    assert_int_equal(k, 1);
    assert_true(one[0].last == 500.0);
    assert_int_equal(series_append(s, 1, T0 + 1000, 1e300, 0), WS_EINVAL);
    assert_string_equal(ws_err_field(), "value");
    assert_int_equal(series_append(s, 1, INT64_MAX, 1.0, 0), WS_EINVAL);
    assert_string_equal(ws_err_field(), "t_ms");
    assert_int_equal(series_point_resolution(s, 1, -1), WS_EINVAL);
    /* The points already held keep working. */
    OK(series_append(s, 1, T0 + 2000, 2.04, 0));
    series_sample out[8];
    size_t n = 0;
    OK(series_history(s, 1, T0, T0 + 10000, 8, out, &n, NULL));
    assert_int_equal(n, 2);
    assert_true(out[1].last == 2.0);
    /* A new resolution seals the open chunk first. */
    OK(series_point_resolution(s, 1, 0.01));
    assert_int_equal(sql_int(s, "SELECT COUNT(*) FROM series_chunks WHERE point_id = 1"), 1);
    OK(series_append(s, 1, T0 + 3000, 2.04, 0));
    OK(series_history(s, 1, T0, T0 + 10000, 8, out, &n, NULL));
    assert_int_equal(n, 3);
    assert_true(out[2].last == 2.04);
    OK(series_close(s));

    char url[256];
    OK(series_url("postgres://u@h/db", "/data", url, sizeof url));
    assert_string_equal(url, "postgres://u@h/db");
    OK(series_url("sqlite:/data/worksafe.db", "/data", url, sizeof url));
    assert_string_equal(url, "/data/series.db");
    assert_int_equal(series_url("x.db", "/data", url, 8), WS_ETOOBIG);
}

/* The store refuses writes (its chunk table renamed away, as a broken disk
 * would): full chunks wait in the writer's queue and appends go on until it
 * is full, then they fail naming the store; series_failing says so and a
 * flush returns the failure. Once the table is back, the writer's retry
 * commits every queued chunk: nothing accepted is lost. */
static void test_writer_failure(void **state)
{
    tctx *t = *state;
    series *s = open_series(t, 4, 64, 0);
    store_conn *c;
    OK(store_acquire(series_store(s), &c));
    OK(store_exec(c, "ALTER TABLE series_chunks RENAME TO series_chunks_away"));
    store_release(c);
    int accepted = 0;
    ws_err rc = WS_OK;
    for (int i = 0; i < 100000 && !rc; i++) {
        rc = series_append(s, 1, T0 + i * 1000, unif(), 0);
        if (!rc) accepted++;
    }
    assert_int_equal(rc, WS_ESTORE);
    assert_true(series_failing(s));
    assert_true(accepted > 1024); /* a queue's worth of chunks was held */
    int sealed = 0;
    assert_int_equal(series_flush_all(s, &sealed), WS_ESTORE);
    OK(store_acquire(series_store(s), &c));
    OK(store_exec(c, "ALTER TABLE series_chunks_away RENAME TO series_chunks"));
    store_release(c);
    for (int i = 0; i < 200 && series_failing(s); i++) {
        struct timespec ms50 = {0, 50000000};
        nanosleep(&ms50, NULL);
    }
    assert_false(series_failing(s));
    OK(series_close(s)); /* seals the open chunk and waits for the queue */
    s = open_series(t, 4, 64, 0);
    assert_int_equal(sql_int(s, "SELECT SUM(n) FROM series_chunks WHERE point_id = 1"), accepted);
    OK(series_close(s));
}

/* ------------------------------------------------------------------ main */

static int setup_sqlite(void **state) { *state = &fx_sqlite; return 0; }
static int setup_pg(void **state) { *state = &fx_pg; return 0; }

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_series_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_round_trip),          DB_TEST(test_out_of_order),
        DB_TEST(test_seal_size_and_age),   DB_TEST(test_rollups_brute_force),
        DB_TEST(test_history_bounds),      DB_TEST(test_corrupt_chunk),
        DB_TEST(test_named_errors),        DB_TEST(test_retention),
        DB_TEST(test_rollups_in_order),
        DB_TEST(test_writer_failure),      DB_TEST(test_journal_floor),
        DB_TEST(test_minutes_forms),
    };
    int failed = cmocka_run_group_tests_name("series_sqlite", db, setup_sqlite, NULL);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("series_postgres", db, setup_pg, NULL);
    } else {
        fprintf(stderr, "series_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
