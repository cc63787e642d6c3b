/* engine_cost.c — the early-warning engine alone, without HTTP: what one
 * reading costs the thread that applies it, and the whole process.
 *
 *   engine_cost DATA_DIR [POINTS] [SECONDS]
 *
 * DATA_DIR is a stopped worksafe data directory whose register holds the
 * combustible-gas points P00000.. (bench/ingest/run.sh makes it with
 * ingest_bench --setup). The tool opens the store, series store and engine
 * as `serve` does and calls warn_ingest with batches of 20,000 readings from
 * one thread for SECONDS (default 5): the same line-format values as
 * ingest_bench (one reading per point per simulated second, an excursion
 * over H now and then), decoded beforehand, so what is measured is the
 * journal, series appends, limits, rules and alarm persistence. The series
 * store's writer thread commits sealed chunks meanwhile; its time shows as
 * the difference of the two figures. Prints
 *
 *   engine readings=N readings_per_s=N engine_thread_ns=N process_ns=N
 *
 * (CPU time per reading of the calling thread and of the whole process). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "telemetry/series.h"
#include "warn/warn.h"

#define SLICE 20000 /* a batch of bench/ingest (the HTTP path hands it to the engine whole) */
#define ROUNDS_HELD 64 /* slices generated up front, reused with later times */

static double secs(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: engine_cost DATA_DIR [POINTS] [SECONDS]\n");
        return 2;
    }
    cli_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.data, sizeof o.data, "%s", argv[1]);
    int npts = argc > 2 ? atoi(argv[2]) : 2000;
    double run_s = argc > 3 ? atof(argv[3]) : 5;
    if (npts < 1 || npts > 99999 || !(run_s > 0)) {
        fprintf(stderr, "engine_cost: POINTS 1..99999, SECONDS > 0\n");
        return 2;
    }
    store *db = NULL;
    series *ser = NULL;
    warn *w = NULL;
    char surl[CLI_PATH_MAX + 32], wal[CLI_PATH_MAX + 16];
    snprintf(wal, sizeof wal, "%s/journal", o.data);
    if (cli_open_for_serve(&o, 4, &db) || series_url(cli_db_url(&o), o.data, surl, sizeof surl) ||
        series_open(surl, NULL, &ser)) {
        fprintf(stderr, "engine_cost: cannot open %s: %s\n", o.data, ws_err_message());
        return 1;
    }
    warn_config wc = {.db = db, .db_url = cli_db_url(&o), .series = ser, .wal_dir = wal};
    if (warn_open(&wc, &w)) {
        fprintf(stderr, "engine_cost: cannot start the engine: %s\n", ws_err_message());
        return 1;
    }
    size_t n = (size_t)SLICE * ROUNDS_HELD;
    ws_reading *r = calloc(n, sizeof *r);
    if (!r) return 1;
    int64_t t0 = (int64_t)time(NULL) * 1000 - 86400000; /* yesterday on, as ingest_bench */
    unsigned seed = 1;
    int64_t round = 0;
    int p = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(r[i].tag, sizeof r[i].tag, "P%05d", p);
        seed = seed * 1103515245u + 12345u;
        unsigned v = 50 + (seed >> 16) % 100; /* 5.0 .. 14.9 %LEL */
        if ((round + p) % 3600 == 0) v = 300; /* an excursion over H now and then */
        r[i].value = v / 10.0;
        r[i].source_ms = t0 + round * 1000;
        if (++p >= npts) p = 0, round++;
    }
    size_t done = 0, off = 0;
    double c0 = secs(CLOCK_THREAD_CPUTIME_ID), p0 = secs(CLOCK_PROCESS_CPUTIME_ID), m0 = secs(CLOCK_MONOTONIC);
    while (secs(CLOCK_MONOTONIC) - m0 < run_s) {
        warn_result res;
        if (warn_ingest(w, WARN_SRC_HTTP, r + off, SLICE, &res) || res.accepted + res.late != SLICE) {
            fprintf(stderr, "engine_cost: a slice was not applied whole: %s\n", ws_err_message());
            return 1;
        }
        done += SLICE;
        if ((off += SLICE) == n) { /* the next pass carries on in time */
            off = 0;
            for (size_t i = 0; i < n; i++) r[i].source_ms += round * 1000;
        }
    }
    double c1 = secs(CLOCK_THREAD_CPUTIME_ID), p1 = secs(CLOCK_PROCESS_CPUTIME_ID), m1 = secs(CLOCK_MONOTONIC);
    printf("engine readings=%zu readings_per_s=%.0f engine_thread_ns=%.1f process_ns=%.1f\n", done,
           (double)done / (m1 - m0), (c1 - c0) * 1e9 / (double)done, (p1 - p0) * 1e9 / (double)done);
    warn_close(w);
    series_close(ser);
    store_close(db);
    free(r);
    return 0;
}
