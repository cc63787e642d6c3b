/* series_bytes.c — `make bench-series`: bytes per stored reading of the series
 * store's chunk codec (telemetry/gorilla.c), per corpus, with encode and
 * decode throughput on one core (issue 4, Numbers: at most 2 bytes per
 * reading on 2,000 points at 1 s quantised to sensor resolution).
 *
 * Each point's readings go, in time order, into chunks of at most CHUNK_CAP
 * bytes (a chunk is sealed when the next reading is refused with WS_ETOOBIG,
 * as the store will do); bytes are everything stored: headers, bit streams,
 * padding, checksums. Every chunk is decoded again and compared bit for bit;
 * any difference fails the run.
 *
 * Corpora:
 *   tep-raw     ../shared/data/tep-train/d00.dat, each of the 52 variables one
 *               point sampled every 3 minutes (the file is stored transposed:
 *               line v holds variable v; a row-major file of 52 columns is
 *               read too), raw chunks: the paper's plain XOR of doubles.
 *   tep-scaled  the same values in scaled chunks at the precision they are
 *               printed with (5 significant digits: resolution 10^(e-4) for
 *               the column's smallest decimal exponent e), when quantising
 *               leaves every value of the column unchanged, else raw.
 *   plant-1s    2,000 generated points at 1 s for one hour (see gen below),
 *               quantised to sensor resolution, in scaled chunks.
 *   plant-1s-raw  the same readings in raw chunks (the paper's scheme), the peer.
 *   plant-1s-noisy the same plant with twice the noise, scaled: how the figure
 *               moves when sensors are noisier than assumed.
 *   plant-1s-store the plant through the series store itself, sealed as serve
 *               seals: bytes of the chunks, of their minute roll-ups and of
 *               the whole file per reading (plant-1s-store-10s: every chunk
 *               sealed each 10 s, the policy before 2026-11-30).
 *
 *   build/bench/series_bytes [path/to/d00.dat]      (make bench-series) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/log.h"
#include "telemetry/gorilla.h"
#include "telemetry/series.h"

#define CHUNK_CAP 4096
#define MAXN 4000

typedef struct tally {
    const char *name;
    long readings, bytes, chunks, fallbacks;
    double enc_s, dec_s;
} tally;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t bits_of(double v) { uint64_t u; memcpy(&u, &v, 8); return u; }

static uint8_t chunk_store[MAXN * 20];
static size_t chunk_off[MAXN + 1], chunk_len[MAXN + 1];

/* Encode one point's series into chunks (res > 0: scaled), decode and check. */
static void run_series(tally *t, const int64_t *ts, const double *v, size_t n, double res)
{
    gorilla_enc e;
    size_t nc = 0, off = 0, len;
    ws_err rc;
    double t0 = now();
    rc = res > 0 ? gorilla_enc_init_scaled(&e, chunk_store, CHUNK_CAP, res) : gorilla_enc_init(&e, chunk_store, CHUNK_CAP);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = gorilla_enc_add(&e, ts[i], v[i]);
        if (rc == WS_ETOOBIG) {
            if ((rc = gorilla_enc_finish(&e, &len))) break;
            chunk_off[nc] = off;
            chunk_len[nc++] = len;
            off += len;
            rc = res > 0 ? gorilla_enc_init_scaled(&e, chunk_store + off, CHUNK_CAP, res)
                         : gorilla_enc_init(&e, chunk_store + off, CHUNK_CAP);
            if (!rc) rc = gorilla_enc_add(&e, ts[i], v[i]);
        }
    }
    if (!rc) rc = gorilla_enc_finish(&e, &len);
    if (rc) {
        fprintf(stderr, "series_bytes: %s: encode failed: %s\n", t->name, ws_err_message());
        exit(1);
    }
    chunk_off[nc] = off;
    chunk_len[nc++] = len;
    off += len;
    double t1 = now();

    size_t i = 0;
    for (size_t c = 0; c < nc; c++) {
        gorilla_dec d;
        bool done = false;
        if ((rc = gorilla_dec_init(&d, chunk_store + chunk_off[c], chunk_len[c]))) break;
        while (!rc) {
            int64_t tt;
            double vv;
            if ((rc = gorilla_dec_next(&d, &tt, &vv, &done)) || done) break;
            if (i >= n || tt != ts[i] || bits_of(vv) != bits_of(v[i])) {
                fprintf(stderr, "series_bytes: %s: reading %zu differs after decoding\n", t->name, i);
                exit(1);
            }
            i++;
        }
        if (rc) break;
    }
    if (rc || i != n) {
        fprintf(stderr, "series_bytes: %s: decode failed (%zu of %zu): %s\n", t->name, i, n, ws_err_message());
        exit(1);
    }
    t->dec_s += now() - t1;
    t->enc_s += t1 - t0;
    t->readings += (long)n;
    t->bytes += (long)off;
    t->chunks += (long)nc;
}

static void report(const tally *t)
{
    printf("%-15s readings=%-8ld bytes=%-9ld bytes_per_reading=%.3f chunks=%-5ld encode_per_s=%.0f "
           "decode_per_s=%.0f%s\n",
           t->name, t->readings, t->bytes, (double)t->bytes / (double)t->readings, t->chunks,
           t->readings / t->enc_s, t->readings / t->dec_s, t->fallbacks ? " (some columns raw)" : "");
}

/* ---- (a) Tennessee Eastman ---- */

static void tep(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "series_bytes: cannot open %s (skipping the TEP corpus)\n", path);
        return;
    }
    /* Count lines and values, then decide the orientation. */
    static double all[60000];
    size_t n = 0, lines = 0;
    int c, in_line = 0;
    char tok[64];
    size_t tl = 0;
    while ((c = fgetc(f)) != EOF) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (tl) {
                tok[tl] = 0;
                if (n < sizeof all / sizeof all[0]) all[n++] = strtod(tok, NULL);
                tl = 0;
                in_line = 1;
            }
            if (c == '\n' && in_line) lines++, in_line = 0;
        } else if (tl < sizeof tok - 1) tok[tl++] = (char)c;
    }
    if (tl) { tok[tl] = 0; all[n++] = strtod(tok, NULL); in_line = 1; }
    if (in_line) lines++;
    fclose(f);
    if (!lines || n % lines) {
        fprintf(stderr, "series_bytes: %s: ragged file\n", path);
        exit(1);
    }
    size_t per_line = n / lines, vars, samples;
    int transposed = per_line != 52; /* d00.dat: 52 lines of 500 samples */
    vars = transposed ? lines : per_line;
    samples = transposed ? per_line : lines;
    static int64_t ts[MAXN];
    static double v[MAXN], q[MAXN];
    tally raw = {.name = "tep-raw"}, sc = {.name = "tep-scaled"};
    for (size_t s = 0; s < samples && s < MAXN; s++) ts[s] = 1700000000000 + (int64_t)s * 180000;
    for (size_t var = 0; var < vars; var++) {
        int emin = 999;
        for (size_t s = 0; s < samples; s++) {
            v[s] = transposed ? all[var * samples + s] : all[s * vars + var];
            if (v[s] != 0) {
                int e = (int)floor(log10(fabs(v[s])));
                if (e < emin) emin = e;
            }
        }
        run_series(&raw, ts, v, samples, 0);
        double res = pow(10, emin - 4);
        int exact = emin != 999;
        for (size_t s = 0; s < samples && exact; s++) {
            q[s] = gorilla_quantise(v[s], res);
            exact = bits_of(q[s]) == bits_of(v[s]) || (v[s] == 0 && q[s] == 0);
        }
        if (exact && res >= GORILLA_RES_MIN) run_series(&sc, ts, v, samples, res);
        else {
            sc.fallbacks++;
            run_series(&sc, ts, v, samples, 0);
        }
    }
    printf("# TEP %s: %zu variables x %zu samples every 3 min (%s)\n", path, vars, samples,
           transposed ? "stored transposed" : "row-major");
    report(&raw);
    report(&sc);
}

/* ---- (b) a generated plant ---- */

static uint64_t rng;
static double uni(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(uni())) * cos(2 * M_PI * uni()); }

#define POINTS 2000
#define SECONDS 3600

/* One point's hour. Kinds by share of the 2,000 points:
 *   40 % gas %LEL, res 0.1: a clean-air baseline 0..2 %LEL, noise sd 0.04,
 *        a slow sine (0.2..0.5 over 20..60 min); one in 40 has a leak that
 *        ramps to 15..40 %LEL over minutes and decays; clipped at 0.
 *   20 % temperature °C, res 0.1: 20..350, noise sd 0.03, sine 0.5..2 over 30..120 min.
 *   15 % pressure MPa, res 0.01: 0.1..4.0, noise sd 0.002, sine 0.01..0.03.
 *   15 % level %, res 0.1: 20..80, a ramp of up to ±5 %/h, noise sd 0.03.
 *   10 % status 0/1, res 1: flips about twice an hour.
 * Timestamps: 3 of 4 points are polled on the second (exact 1,000 ms steps);
 * every 4th stamps its own time with ±20 ms jitter. */
static void gen_point(int p, double noise, int64_t *ts, double *v, double *res)
{
    int kind = p % 20 < 8 ? 0 : p % 20 < 12 ? 1 : p % 20 < 15 ? 2 : p % 20 < 18 ? 3 : 4;
    int64_t t0 = 1700000000000;
    double base, amp, period, sd;
    switch (kind) {
    case 0: base = 2 * uni(); amp = 0.2 + 0.3 * uni(); period = 1200 + 2400 * uni(); sd = 0.04; *res = 0.1; break;
    case 1: base = 20 + 330 * uni(); amp = 0.5 + 1.5 * uni(); period = 1800 + 5400 * uni(); sd = 0.03; *res = 0.1; break;
    case 2: base = 0.1 + 3.9 * uni(); amp = 0.01 + 0.02 * uni(); period = 1800 + 5400 * uni(); sd = 0.002; *res = 0.01; break;
    case 3: base = 20 + 60 * uni(); amp = (uni() - 0.5) * 10; period = 0; sd = 0.03; *res = 0.1; break;
    default: base = uni() < 0.5; amp = 0; period = 0; sd = 0; *res = 1; break;
    }
    double phase = 2 * M_PI * uni();
    int leak = kind == 0 && p % 40 == 0;
    double leak_at = 600 + 2400 * uni(), leak_peak = 15 + 25 * uni(), leak_rise = 120 + 480 * uni();
    double state = base;
    for (int s = 0; s < SECONDS; s++) {
        ts[s] = t0 + (int64_t)s * 1000 + (p % 4 == 3 ? (int64_t)(uni() * 41) - 20 : 0);
        double x;
        if (kind == 4) {
            if (uni() < 1.0 / 1800) state = 1 - state;
            x = state;
        } else if (kind == 3) {
            x = base + amp * s / 3600.0 + noise * sd * gauss();
        } else {
            x = base + amp * sin(phase + 2 * M_PI * s / period) + noise * sd * gauss();
            if (leak && s >= leak_at) {
                double u = (s - leak_at) / leak_rise;
                x += u < 1 ? leak_peak * u : leak_peak * exp(-(u - 1) / 3);
            }
            if (kind == 0 && x < 0) x = 0;
        }
        v[s] = gorilla_quantise(x, *res);
    }
}

static void plant(double noise, const char *name, int also_raw)
{
    static int64_t ts[SECONDS];
    static double v[SECONDS];
    tally sc = {.name = name}, raw = {.name = "plant-1s-raw"};
    rng = 0x5EED;
    for (int p = 0; p < POINTS; p++) {
        double res;
        gen_point(p, noise, ts, v, &res);
        run_series(&sc, ts, v, SECONDS, res);
        if (also_raw) run_series(&raw, ts, v, SECONDS, 0);
    }
    report(&sc);
    if (also_raw) report(&raw);
}

/* ---- (c) the plant through the series store itself ---- */

/* The plant above, second by second across its points as ingest delivers
 * it, into the series store (telemetry/series.c, a SQLite file in /tmp),
 * sealing as `serve` does: a chunk when it is full or SERIES_MAX_AGE_MS
 * after it opened (here: a series_flush every SERIES_MAX_AGE_MS of plant
 * time, which seals every chunk then open), the rest at close. seal_s > 0
 * instead seals every open chunk each seal_s seconds of plant time (what
 * the engine's 10-s journal checkpoint did until 2026-11-30). Reports the
 * chunk bytes, the minute roll-ups kept in the chunk rows, and the whole
 * file (rows, index, hour roll-ups, SQLite's pages) per reading. */
static void plant_store(const char *name, int seal_s)
{
    static int64_t ts[SECONDS];
    static double v[SECONDS];
    double *all = malloc((size_t)POINTS * SECONDS * sizeof *all);
    int64_t *allt = malloc((size_t)POINTS * SECONDS * sizeof *allt);
    double res[POINTS];
    char dir[] = "/tmp/ws-series-bytes-XXXXXX", url[64];
    series *st = NULL;
    if (!all || !allt || !mkdtemp(dir)) {
        fprintf(stderr, "series_bytes: no memory or temporary directory\n");
        exit(1);
    }
    snprintf(url, sizeof url, "%s/series.db", dir);
    rng = 0x5EED; /* the same plant as plant(1, ...) */
    for (int p = 0; p < POINTS; p++) {
        gen_point(p, 1, ts, v, &res[p]);
        memcpy(all + (size_t)p * SECONDS, v, sizeof v);
        memcpy(allt + (size_t)p * SECONDS, ts, sizeof ts);
    }
    if (series_open(url, NULL, &st)) goto fail;
    for (int p = 0; p < POINTS; p++)
        if (series_point_resolution(st, p + 1, res[p])) goto fail;
    double t0 = now();
    for (int sec = 0; sec < SECONDS; sec++) {
        for (int p = 0; p < POINTS; p++)
            if (series_append(st, p + 1, allt[(size_t)p * SECONDS + sec], all[(size_t)p * SECONDS + sec], 0))
                goto fail;
        int tick = sec + 1;
        if (seal_s > 0 && tick % seal_s == 0 && series_flush_all(st, NULL)) goto fail;
        if (seal_s == 0 && tick % (int)(SERIES_MAX_AGE_MS / 1000) == 0 &&
            series_flush(st, clock_now_ms() + SERIES_MAX_AGE_MS, NULL))
            goto fail;
    }
    if (series_close(st)) { st = NULL; goto fail; }
    st = NULL;
    double el = now() - t0;
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    long long rows = 0, data = 0, mins = 0, n = 0;
    if (sqlite3_open(url, &db) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT count(*), sum(length(data)), sum(length(minutes)), sum(n) FROM series_chunks",
                           -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
        goto fail_db;
    rows = sqlite3_column_int64(q, 0), data = sqlite3_column_int64(q, 1);
    mins = sqlite3_column_int64(q, 2), n = sqlite3_column_int64(q, 3);
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) goto fail_db;
    sqlite3_close(db);
    struct stat fs;
    if (stat(url, &fs) || n != (long long)POINTS * SECONDS) {
        fprintf(stderr, "series_bytes: %s: %lld readings stored of %d\n", name, n, POINTS * SECONDS);
        exit(1);
    }
    printf("%-15s readings=%lld chunks=%lld readings_per_chunk=%.0f chunk_bytes_per_reading=%.3f "
           "minute_bytes_per_reading=%.3f file_bytes_per_reading=%.3f append_per_s=%.0f\n",
           name, n, rows, (double)n / (double)rows, (double)data / (double)n, (double)mins / (double)n,
           (double)fs.st_size / (double)n, (double)n / el);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    free(all);
    free(allt);
    return;
fail_db:
    fprintf(stderr, "series_bytes: %s: %s\n", name, db ? sqlite3_errmsg(db) : "cannot open");
    exit(1);
fail:
    fprintf(stderr, "series_bytes: %s: %s\n", name, ws_err_message());
    exit(1);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "../shared/data/tep-train/d00.dat";
    printf("# chunk cap %d bytes; bytes = headers + bit streams + padding + CRC; one core\n", CHUNK_CAP);
    tep(path);
    printf("# generated plant: %d points x %d s at 1 s, quantised to sensor resolution\n", POINTS, SECONDS);
    plant(1, "plant-1s", 1);
    plant(2, "plant-1s-noisy", 0);
    printf("# the plant through the series store (SQLite file), sealed as serve does, and every 10 s\n");
    log_set_level(LOG_WARN); /* not the store's migration lines */
    plant_store("plant-1s-store", 0);
    plant_store("plant-1s-store-10s", 10);
    return 0;
}
