/* alarm_eval.c — `make bench-alarm`: threshold evaluations per second on one
 * core for 2,000 gas points with realistic noise, next to a ceiling in the
 * same run (a bare loop reading the same values and comparing each with one
 * set-point), and the full path with the events fed into the alarm table.
 *
 * The readings are generated before timing (a per-point baseline of 0–22
 * %LEL, a slow drift, ±0.4 %LEL noise quantised to 0.1, occasional excursions
 * over 25 and 50, one point in 500 flapping around its limit, 0.1 % BAD
 * readings), 1 s apart, so the timed loops read memory and evaluate only.
 * Then the engine's timer scan (alarm_due) on a table of the server's size.
 * Prints one line: alarm_eval points=… readings=… evals_per_s=…
 * ceiling_per_s=… ratio=… with_table_per_s=… raises=… tick_scan_us=… */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alarm/alarm.h"
#include "alarm/threshold.h"

#define POINTS 2000
#define STEPS 600 /* 10 minutes at 1 s */
#define T0 1764300000000LL

static uint64_t rng = 42;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    size_t nr = (size_t)POINTS * STEPS;
    float *val = malloc(nr * sizeof *val);
    uint8_t *q = malloc(nr);
    thr_config *cfg = malloc(POINTS * sizeof *cfg);
    thr_state *st = malloc(POINTS * sizeof *st);
    if (!val || !q || !cfg || !st) return 1;
    for (int p = 0; p < POINTS; p++) {
        thr_preset_combustible(&cfg[p], 0.8);
        cfg[p].lim[THR_H].on_delay_ms = 2000;
        double base = urand() * 22.0, drift = (urand() - 0.5) * 0.02;
        bool flapper = p % 500 == 0;
        for (int s = 0; s < STEPS; s++) {
            double v = base + drift * s + (urand() - 0.5) * 0.8;
            if (flapper) v = 25.0 + (urand() - 0.5) * 3.0;
            if (urand() < 0.0005) v += 30.0 * urand(); /* an excursion */
            v = round(v * 10.0) / 10.0;
            if (v < 0) v = 0;
            val[(size_t)s * POINTS + p] = (float)v;
            q[(size_t)s * POINTS + p] = urand() < 0.001 ? THR_Q_BAD : THR_Q_GOOD;
        }
    }
    thr_event ev[THR_MAX_EVENTS];
    double best_eval = 1e30, best_ceiling = 1e30, best_table = 1e30;
    long raises = 0, sink = 0;
    alarm_config ac;
    alarm_config_default(&ac, 4096, 64);
    for (int r = 0; r < rounds; r++) {
        /* ceiling: the same memory, one comparison per reading */
        double t0 = now_s();
        long over = 0;
        for (size_t i = 0; i < nr; i++) over += (val[i] >= 25.0f) & (q[i] == THR_Q_GOOD);
        double dt = now_s() - t0;
        sink += over;
        if (dt < best_ceiling) best_ceiling = dt;

        for (int p = 0; p < POINTS; p++) thr_state_init(&st[p]);
        long events = 0;
        t0 = now_s();
        for (int s = 0; s < STEPS; s++) {
            int64_t t = T0 + (int64_t)s * 1000;
            const float *row = val + (size_t)s * POINTS;
            const uint8_t *qr = q + (size_t)s * POINTS;
            for (int p = 0; p < POINTS; p++) {
                int n;
                thr_eval(&cfg[p], &st[p], t, row[p], qr[p], ev, &n);
                events += n;
            }
        }
        dt = now_s() - t0;
        sink += events;
        if (dt < best_eval) best_eval = dt;

        /* the full core path: evaluation, then raise/clear in the table */
        alarm_table *tab = NULL;
        if (alarm_table_init(&ac, &tab)) return 1;
        for (int p = 0; p < POINTS; p++) thr_state_init(&st[p]);
        long rs = 0;
        alarm_events aev;
        t0 = now_s();
        for (int s = 0; s < STEPS; s++) {
            int64_t t = T0 + (int64_t)s * 1000;
            const float *row = val + (size_t)s * POINTS;
            const uint8_t *qr = q + (size_t)s * POINTS;
            for (int p = 0; p < POINTS; p++) {
                int n;
                thr_eval(&cfg[p], &st[p], t, row[p], qr[p], ev, &n);
                for (int k = 0; k < n; k++) {
                    int64_t rule = 1 + ev[k].cond;
                    if (ev[k].raised) {
                        alarm_raise_in in = {rule, p + 1, 1 + p / 100, ev[k].level};
                        if (alarm_raise(tab, &in, t, &aev) == WS_OK) rs++;
                    } else {
                        alarm_clear(tab, rule, p + 1, t, &aev);
                    }
                }
            }
        }
        dt = now_s() - t0;
        if (dt < best_table) best_table = dt;
        raises = rs;
        alarm_table_free(tab);
    }
    /* The engine's timer scan (alarm_due, every 250 ms under its lock) on a
     * table of the server's size (65,536 alarms, 4,096 areas) holding 200
     * open alarms in 50 areas, none in flood: the best of 5 x 2,000 scans. */
    alarm_config big;
    alarm_config_default(&big, 65536, 4096);
    alarm_table *srv = NULL;
    if (alarm_table_init(&big, &srv)) return 1;
    for (int i = 0; i < 200; i++) {
        alarm_events aev;
        alarm_raise_in in = {1, i + 1, 1 + i % 50, ALARM_LVL_ALARM};
        alarm_raise(srv, &in, T0 + (int64_t)i * 60000, &aev);
    }
    double best_scan = 1e9;
    for (int r = 0; r < 5; r++) {
        alarm_event due[64];
        int n = 0;
        double t0 = now_s();
        for (int k = 0; k < 2000; k++) {
            alarm_due(srv, T0 + 200 * 60000LL, due, 64, &n);
            sink += n;
        }
        double dt = (now_s() - t0) / 2000;
        if (dt < best_scan) best_scan = dt;
    }
    alarm_table_free(srv);
    double eps = (double)nr / best_eval, cps = (double)nr / best_ceiling,
           tps = (double)nr / best_table;
    printf("alarm_eval points=%d readings=%zu evals_per_s=%.0f ceiling_per_s=%.0f ratio=%.3f "
           "with_table_per_s=%.0f raises=%ld tick_scan_us=%.1f\n",
           POINTS, nr, eps, cps, eps / cps, tps, raises, best_scan * 1e6);
    fprintf(stderr, "(sink %ld)\n", sink);
    free(val);
    free(q);
    free(cfg);
    free(st);
    return 0;
}
