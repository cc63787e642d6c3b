/* nuisance_bench.c — `make bench-nuisance` (issue 7 item 4): plain
 * thresholds against worksafe's limits + rules + detector on a generated
 * plant (plantgen.h: 2,000 points, 30 days, one reading a minute, labelled
 * excursions, flapping, stuck sensors, drifts, spikes and dropouts), scored
 * by nsys.c. Prints the data set, both systems' figures side by side, and
 * ends with exactly one line:
 *     nuisance caught=N missed=N nuisance=N baseline_nuisance=N
 * (caught / missed / nuisance of worksafe's system).
 * Usage: nuisance_bench [points [days [seed]]] (defaults 2000 30 20261129).
 * Method, labels and decisions: docs/internals/nuisance.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nsys.h"
#include "plantgen.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void describe(const pg_plant *pl)
{
    int kinds[PG_NKINDS] = {0}, types[PG_NTYPES] = {0};
    long exc_min = 0;
    for (int p = 0; p < pl->npoints; p++) {
        kinds[pl->pts[p].kind]++;
        for (int i = 0; i < pl->pts[p].nev; i++) {
            types[pl->pts[p].ev[i].type]++;
            if (pl->pts[p].ev[i].type == PG_EXCURSION)
                exc_min += pl->pts[p].ev[i].end - pl->pts[p].ev[i].start;
        }
    }
    printf("plant: %d points x %d days at one reading a minute = %.1f M readings, seed %llu\n",
           pl->npoints, pl->cfg.days, (double)pl->npoints * pl->minutes / 1e6,
           (unsigned long long)pl->cfg.seed);
    printf("points by kind:");
    for (int k = 0; k < PG_NKINDS; k++) printf(" %s %d", pg_kind_name(k), kinds[k]);
    printf("\ninjected events (rate per point per 30 days; none before day %.0f):\n",
           pl->cfg.quiet_days);
    for (int t = 0; t < PG_NTYPES; t++)
        printf("  %-10s %6d  (rate %.2f)\n", pg_type_name(t), types[t], pl->cfg.rate[t]);
    printf("excursions: %ld minutes beyond the limit in all, %.0f–%.0f min each (log-uniform)\n",
           exc_min, pl->cfg.min_excursion_min, pl->cfg.max_excursion_min);
}

static void row_l(const char *name, long a, long b) { printf("  %-44s %12ld %12ld\n", name, a, b); }
static void row_d(const char *name, double a, double b) { printf("  %-44s %12.2f %12.2f\n", name, a, b); }
static void row_s(const char *name, const char *a, long b) { printf("  %-44s %12s %12ld\n", name, a, b); }

int main(int argc, char **argv)
{
    pg_config cfg = pg_config_default();
    if (argc > 1) cfg.npoints = atoi(argv[1]);
    if (argc > 2) cfg.days = atoi(argv[2]);
    if (argc > 3) cfg.seed = strtoull(argv[3], NULL, 10);
    pg_plant pl;
    double t0 = now_s();
    if (pg_plant_init(&pl, &cfg)) {
        fprintf(stderr, "bad plant configuration\n");
        return 1;
    }
    describe(&pl);
    ns_options o = ns_options_default();
    ns_result b, w;
    double t1 = now_s();
    if (ns_run(&pl, &o, &b, &w)) return 1;
    double t2 = now_s();
    printf("run: %.1f s (generation %.2f s); %.0f readings/s through both systems, one thread\n",
           t2 - t0, t1 - t0, (double)pl.npoints * pl.minutes / (t2 - t1));
    printf("baseline: an alarm at every crossing of H, HH or L (no deadband, no delay)\n"
           "worksafe limits (thr_eval): gas presets (combustible H 25 / HH 50 %%LEL db 1, toxic H 10 /"
           " HH 20 ppm db 0.5, O2 L 19.5 / H 23.5 %%VOL db 0.2) on-delay 60 s; process H / HH with"
           " deadband 1 / 2 / 5 / 5 %% of span (temperature / pressure / level / flow) on-delay 120 s;"
           " off-delay 300 s on every limit\n"
           "worksafe rules (rule engine): stale 300 s, flatline 6 h at the resolution, anomaly score >"
           " 0.35 for 120 s (notice), 3 detector spikes in 24 h -> corrective work order; detector flags"
           " route a stuck sensor's alarms and an odd sensor's notices to maintenance\n");
    printf("operators: %d (one per %d points); a match: within %d min of an excursion's ramps\n\n",
           w.operators, o.points_per_operator, o.grace_min);

    printf("  %-44s %12s %12s\n", "", "baseline", "worksafe");
    row_l("real excursions", b.excursions, w.excursions);
    row_l("  caught (an operator alarm)", b.caught, w.caught);
    row_l("  missed", b.missed, w.missed);
    row_d("  time to catch, median (min after start)", b.catch_median_min, w.catch_median_min);
    row_d("  time to catch, p90 (min)", b.catch_p90_min, w.catch_p90_min);
    row_d("  time to catch, worst (min)", b.catch_max_min, w.catch_max_min);
    row_d("  time to catch, mean (min)", b.catch_mean_min, w.catch_mean_min);
    row_d("  median on gas points (min)", b.catch_median_gas_min, w.catch_median_gas_min);
    row_d("  median on process points (min)", b.catch_median_process_min, w.catch_median_process_min);
    row_l("  alarm before the label's start (as 0)", b.caught_before_start, w.caught_before_start);
    row_l("operator alarms (H/HH/L: alarm, emergency)", b.alarms, w.alarms);
    row_l("  nuisance alarms", b.nuisance_alarms, w.nuisance_alarms);
    row_s("operator notices (anomaly rule, level notice)", "-", w.notices);
    row_s("  nuisance notices", "-", w.nuisance_notices);
    row_s("  in the first days (detectors learning)", "-", w.nuisance_notices_learning);
    row_s("  excursions with a notice before the alarm", "-", w.notice_first);
    row_d("  notice's lead, median (min)", NAN, w.notice_lead_median_min);
    row_d("  first notification, median (min from start)", b.first_median_min, w.first_median_min);
    row_l("nuisance (alarms + notices, no excursion)", b.nuisance, w.nuisance);
    static const char *const cause[PG_NTYPES + 1] = {"excursion ramps", "flapping", "stuck", "drift",
                                                     "spike", "dropout", "normal operation"};
    for (int k = 0; k <= PG_NTYPES; k++) {
        char name[64];
        snprintf(name, sizeof name, "  during %s", cause[k]);
        row_l(name, b.nuisance_by[k], w.nuisance_by[k]);
    }
    printf("  worksafe's nuisance limit alarms by cause:");
    for (int k = 0; k <= PG_NTYPES; k++) printf(" %s %ld", cause[k], w.nuisance_alarms_by[k]);
    printf("\n");
    row_d("alarms / operator / 10 min, mean", b.per10_mean, w.per10_mean);
    row_l("alarms / operator / 10 min, worst window", b.per10_max, w.per10_max);
    row_d("  with notices, mean", b.per10_mean_all, w.per10_mean_all);
    row_l("  with notices, worst window", b.per10_max_all, w.per10_max_all);
    row_d("windows in flood (>10 alarms), %", 100 * b.flood_share, 100 * w.flood_share);
    row_s("maintenance notifications (sensor faults)", "-", w.maint);
    row_s("  during an injected sensor fault", "-", w.maint_matched);
    row_s("  alarms/notices diverted to maintenance", "-", w.rerouted);
    printf("  maintenance triggers before the per-point daily dedup: stale %ld, flatline %ld, "
           "stuck %ld, drift %ld, spike work orders %ld, diverted %ld, dropout %ld\n",
           w.maint_triggers[0], w.maint_triggers[1], w.maint_triggers[2], w.maint_triggers[3],
           w.maint_triggers[4], w.maint_triggers[5], w.maint_triggers[6]);
    printf("  notifications outside any injected fault, by what opened them: stale %ld, flatline %ld, "
           "stuck %ld, drift %ld, spike work orders %ld, diverted %ld, dropout %ld\n",
           w.maint_unmatched_by[0], w.maint_unmatched_by[1], w.maint_unmatched_by[2],
           w.maint_unmatched_by[3], w.maint_unmatched_by[4], w.maint_unmatched_by[5],
           w.maint_unmatched_by[6]);
    printf("  … and the labelled event they fell in (within %d min):", o.grace_min);
    for (int k = 0; k <= PG_NTYPES; k++) printf(" %s %ld", cause[k], w.maint_unmatched_during[k]);
    printf("\n");
    printf("  drift flags back toward the learnt level (a return, not a fault: no ticket): %ld\n",
           w.drift_returns);
    printf("  injected sensor faults found: stuck %d/%d, drift %d/%d, dropout %d/%d (a notification "
           "during it); spikes flagged by the detector %d/%d\n",
           w.faults_found[PG_STUCK], w.faults[PG_STUCK], w.faults_found[PG_DRIFT], w.faults[PG_DRIFT],
           w.faults_found[PG_DROPOUT], w.faults[PG_DROPOUT], w.faults_found[PG_SPIKE], w.faults[PG_SPIKE]);
    pg_plant_free(&pl);
    printf("nuisance caught=%d missed=%d nuisance=%ld baseline_nuisance=%ld\n", w.caught, w.missed,
           w.nuisance, b.nuisance);
    return 0;
}
