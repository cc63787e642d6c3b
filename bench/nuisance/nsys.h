/* nsys.h — the two alarm systems of the nuisance bench, run side by side
 * over one generated plant (plantgen.h), and how their alarms are scored
 * against the plant's labels.
 *
 *   baseline   "plain thresholds": an alarm each time a reading crosses one
 *              of the point's limits (H, HH, L), no deadband, no delay;
 *   worksafe   the real code: thr_eval (src/alarm/threshold.h) with the
 *              presets / deadbands / on-delays of nsys.c, the rule engine
 *              (src/alarm/rule.h: stale, flatline, anomaly, a count rule on
 *              spikes) and the streaming detector's sensor-fault flags
 *              (src/anomaly/detector.h), which route what a faulty sensor
 *              causes to maintenance instead of the operator.
 *
 * Scoring: an operator alarm raised on a point within [start − grace,
 * end + grace) of one of its real excursions matches it (the first one
 * catches it); any other operator alarm is a nuisance. Operator load: one
 * operator per `points_per_operator` consecutive points, counted in fixed
 * 10-minute windows of plant time. The combination rules and the reasons:
 * docs/internals/nuisance.md. Allocates once in ns_run, nothing per reading. */
#ifndef WS_BENCH_NSYS_H
#define WS_BENCH_NSYS_H

#include "plantgen.h"

typedef struct ns_options {
    int points_per_operator;   /* 200 */
    int grace_min;             /* 15: an alarm this close to an excursion matches it */
    int suspect_min;           /* 60: a sensor-fault flag makes the point suspect this long */
    int maint_dedup_min;       /* 1440: one maintenance notification per point per day */
} ns_options;

/* Causes of a nuisance alarm: the event covering it (plantgen types) or none. */
#define NS_CAUSE_NONE PG_NTYPES

typedef struct ns_result {
    /* real excursions */
    int excursions, caught, missed;
    double catch_median_min, catch_p90_min, catch_max_min; /* from the label's start, >= 0 */
    double catch_mean_min;
    double catch_median_gas_min, catch_median_process_min; /* gas: 60 s on-delay; process: 120 s */
    int catch_gas;               /* caught excursions on gas points */
    double first_median_min;     /* first operator notification (notice or alarm) from the
                                    start; negative: before it */
    int caught_before_start;     /* an alarm in the grace before the start (counted as 0) */
    /* operator */
    long alarms;                 /* operator alarms (limit alarms, 报警/紧急) */
    long nuisance;               /* operator alarms and notices matching no excursion */
    long nuisance_alarms;        /* … of which limit alarms */
    long nuisance_by[PG_NTYPES + 1]; /* by cause (covering event type; NS_CAUSE_NONE) */
    long nuisance_alarms_by[PG_NTYPES + 1]; /* … limit alarms only */
    long notices;                /* worksafe: anomaly notices (预警) to the operator */
    long nuisance_notices;
    long nuisance_notices_learning; /* … of which in the first quiet_days (detectors learning) */
    int notice_first;            /* excursions where a notice came before the first alarm */
    double notice_lead_median_min;
    int operators;
    double per10_mean, per10_mean_all;   /* alarms; alarms + notices, per operator per 10 min */
    int per10_max, per10_max_all;        /* the worst window of one operator */
    double flood_share;          /* share of operator windows with more than 10 alarms */
    /* maintenance (worksafe only): sensor-fault notifications */
    long maint;                  /* notifications after the per-point dedup */
    long maint_matched;          /* … raised during (or within an hour after) an injected fault */
    long maint_triggers[7];      /* raw triggers: stale, flatline, stuck, drift, spike burst, rerouted,
                                    dropout (DET_DROPOUT at the return) */
    long maint_unmatched_by[7];
    long maint_unmatched_during[PG_NTYPES + 1]; /* … by the event they fell in (flapping, excursion; none) */  /* notifications outside any injected fault, by the trigger that opened them */
    long drift_returns;          /* DET_DRIFT steps back toward the learnt level: no ticket */
    long rerouted;               /* limit alarms and notices routed to maintenance */
    int faults[PG_NTYPES], faults_found[PG_NTYPES]; /* injected sensor faults and how many got a notification */
} ns_result;

ns_options ns_options_default(void);

/* Run both systems over the whole plant (time-major, in blocks of five
 * minutes: every point's five readings, then the timer for each minute). 0 on success, -1 on an error (message on stderr). */
int ns_run(pg_plant *pl, const ns_options *o, ns_result *baseline, ns_result *worksafe);

/* The worksafe rule set used (JSON text; static). */
const char *ns_rule_set_json(void);

#endif
