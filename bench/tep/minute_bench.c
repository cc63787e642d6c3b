/* minute_bench.c — false alarms a day of a process monitor judged every
 * minute (src/warn/monitor.c), for three kinds of limits, on data shaped like
 * the demo's R-201 reactor (hazard/demo.c reactor_value): TI-201, PI-201,
 * FI-201 and TI-202 driven by one load (a daily triangle and a 173-minute
 * swing) plus uniform noise, quantised to their resolutions; TI-202 runs
 * 2.5 °C low for 30 minutes 8 h into the judged day and for its last 25.
 * Each run trains on six days and judges the seventh with the server's
 * on-delay (3 minutes) and clear (5 normal minutes); 30 runs, each starting
 * 97 minutes later. A raise outside the two departures (and the hour after
 * the first, while the EWMA forgets it) is a false alarm.
 *
 *   make bench-mvmon-minute
 *
 * Last line: mvmon_minute emp99=N emp999=N tail9999=N detect_min=N
 * (false alarms a day for each kind of limits; the latest minute of either
 * departure at which the server's limits raised). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "anomaly/mvmon.h"

#define DAY 1440
#define RUNS 30

static double noise(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0 - 0.5;
}

static bool departure(int i, int *start)
{
    if (i >= 6 * DAY + 480 && i < 6 * DAY + 510) { *start = 6 * DAY + 480; return true; }
    if (i >= 7 * DAY - 25) { *start = 7 * DAY - 25; return true; }
    return false;
}

static void minute(long m, int i, uint64_t *st, double *x)
{
    static const double res[4] = {0.1, 0.01, 0.01, 0.1};
    double day = (double)(m % DAY) / DAY;
    double load = 2 * (day < 0.5 ? day : 1 - day) + 0.15 * sin(2 * 3.14159265358979 * (double)(m % 173) / 173.0);
    int s0;
    double v[4] = {72 + 6 * load + noise(&st[0]), 0.40 + 0.05 * load + 0.02 * noise(&st[1]),
                   6.0 + 1.2 * load + 0.1 * noise(&st[2]),
                   41 + 4.5 * load + 0.5 * noise(&st[3]) - (departure(i, &s0) ? 2.5 : 0)};
    for (int k = 0; k < 4; k++) x[k] = round(v[k] / res[k]) * res[k];
}

/* False alarms over RUNS judged days; *late: the latest minute into a
 * departure at which it was raised (-1 when one was missed). */
static int judge(double alpha, bool tail, int *late)
{
    int n = 7 * DAY, falses = 0;
    double *x = malloc(sizeof *x * 4 * (size_t)n);
    if (!x) exit(1);
    *late = 0;
    for (int r = 0; r < RUNS; r++) {
        long start = 29000000L + r * 97L;
        uint64_t st[4];
        for (int k = 0; k < 4; k++) st[k] = (uint64_t)(10 + k) * 7919u;
        for (int i = 0; i < n; i++) minute(start + i, i, st, x + 4 * i);
        mvmon_opts o = mvmon_opts_default();
        o.alpha = alpha;
        o.tail = tail;
        mvmon *m = NULL;
        if (mvmon_train(x, 6 * DAY, 4, &o, &m)) { fprintf(stderr, "train failed\n"); exit(1); }
        int above = 0, below = 0, caught = 0;
        bool on = false;
        for (int i = 6 * DAY; i < n; i++) {
            mvmon_result res;
            mvmon_step(m, x + 4 * i, &res);
            if (!res.ready) continue;
            if (res.alarm) above++, below = 0;
            else below++, above = 0;
            if (!on && above >= 3) {
                on = true;
                int s0 = 0;
                bool real = departure(i, &s0) || (i >= 6 * DAY + 510 && i < 6 * DAY + 570);
                if (!real) falses++;
                else if (departure(i, &s0)) {
                    caught++;
                    if (i - s0 + 1 > *late) *late = i - s0 + 1;
                }
            } else if (on && below >= 5)
                on = false;
        }
        if (caught < 2) *late = -1;
        mvmon_free(m);
    }
    free(x);
    return falses;
}

int main(void)
{
    int l1, l2, l3;
    int f1 = judge(0.99, false, &l1), f2 = judge(0.999, false, &l2), f3 = judge(0.9999, true, &l3);
    printf("%d judged days of a 4-point reactor (6 days of training each), on-delay 3 minutes:\n", RUNS);
    printf("  empirical 99 %% (the bench's)      %5.2f false alarms a day, departures raised by minute %d\n", (double)f1 / RUNS, l1);
    printf("  empirical 99.9 %%                  %5.2f false alarms a day, departures raised by minute %d\n", (double)f2 / RUNS, l2);
    printf("  scaled chi-square 99.99 %% (server) %5.2f false alarms a day, departures raised by minute %d\n", (double)f3 / RUNS, l3);
    printf("mvmon_minute emp99=%.2f emp999=%.2f tail9999=%.2f detect_min=%d\n", (double)f1 / RUNS,
           (double)f2 / RUNS, (double)f3 / RUNS, l3);
    return 0;
}
