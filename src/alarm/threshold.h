/* threshold.h — limit evaluation of one point (位号): LL/L/H/HH limits with a
 * deadband (hysteresis), an on-delay and an off-delay per limit, pre-alarm
 * (预警) limits approaching L or H, a rate-of-change limit, and the point's
 * own sensor-fault and stale conditions.
 *
 * Pure and deterministic: thr_eval() takes the reading's source time as an
 * explicit argument and reads no clock; it allocates nothing, so the ingest
 * path calls it once per reading. The caller keeps one thr_config (the
 * point's limits, data from the rule set) and one thr_state per point, and
 * turns each returned thr_event into alarm_raise()/alarm_clear() calls of
 * src/alarm/alarm.h with its own (rule id, source id) for each condition.
 *
 * This module may not include src/ingest (same layer); the quality argument
 * takes the values of ws_quality in ingest/reading.h (GOOD 0, UNCERTAIN 1,
 * BAD 2, STALE 3), which the THR_Q_* constants repeat and the unit test pins.
 *
 * Decisions (docs/internals/alarm.md has the reasons):
 *  - A high limit raises when value >= limit and clears when value < limit -
 *    deadband; a low limit raises when value <= limit and clears when value >
 *    limit + deadband. Between the two the condition keeps its state.
 *  - On-delay: the raise region must hold at every evaluated reading from the
 *    first one in it (time t0) to a reading at t >= t0 + on_delay; the raise
 *    happens at that reading. Off-delay likewise for the clear region.
 *  - Readings whose source time is not newer than the last evaluated one are
 *    late: thr_eval returns THR_LATE, changes nothing and emits nothing (the
 *    caller stores them in place). A late reading can never raise or clear.
 *  - BAD (or a non-finite value) raises THR_FAULT; STALE raises THR_STALE;
 *    neither raises nor clears a limit condition, and both break the
 *    continuity an on-/off-delay needs. The next GOOD/UNCERTAIN reading
 *    clears FAULT and STALE at once. UNCERTAIN is evaluated like GOOD. */
#ifndef WS_ALARM_THRESHOLD_H
#define WS_ALARM_THRESHOLD_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "alarm/level.h"
#include "core/err.h"

#define THR_Q_GOOD 0
#define THR_Q_UNCERTAIN 1
#define THR_Q_BAD 2
#define THR_Q_STALE 3

/* Conditions of one point; each is its own alarm (rule) for the caller. */
typedef enum thr_cond {
    THR_LL = 0, /* low-low        (紧急 by default)   low  */
    THR_L,      /* low            (报警)              low  */
    THR_PRE_L,  /* approaching L  (预警)              low  */
    THR_PRE_H,  /* approaching H  (预警)              high */
    THR_H,      /* high           (报警)              high */
    THR_HH,     /* high-high      (紧急)              high */
    THR_ROC,    /* |rate of change| per second (预警)  high */
    THR_FAULT,  /* BAD quality or non-finite value: sensor fault */
    THR_STALE,  /* STALE quality: the source went away */
    THR_NCOND
} thr_cond;

#define THR_NLIMIT 7 /* THR_LL .. THR_ROC carry a thr_limit */

typedef struct thr_limit {
    bool enabled;
    uint8_t level;       /* alarm_level of the raise */
    double value;        /* the set-point, engineering units (ROC: units per second) */
    double deadband;     /* >= 0, same units */
    int32_t on_delay_ms; /* 0 .. 86,400,000 */
    int32_t off_delay_ms;
} thr_limit;

typedef struct thr_config {
    thr_limit lim[THR_NLIMIT]; /* indexed by thr_cond THR_LL .. THR_ROC */
    uint8_t fault_level;       /* level of THR_FAULT (default 报警) */
    uint8_t stale_level;       /* level of THR_STALE (default 预警) */
} thr_config;

/* Per-point evaluation state; zero it with thr_state_init. Plain data: the
 * caller may copy it (e.g. to persist with the point). */
typedef struct thr_state {
    int64_t last_ms;              /* source time of the last evaluated reading */
    int64_t prev_ms;              /* last GOOD/UNCERTAIN reading, for ROC */
    double prev_v;
    bool evaluated;               /* last_ms is meaningful */
    bool have_prev;               /* prev_* is meaningful */
    bool active[THR_NCOND];       /* condition raised */
    int64_t since[THR_NCOND];     /* start of the pending on/off delay, THR_NONE = none */
    bool calm;                    /* set by thr_eval only: no condition raised, no delay
                                   * pending, prev_* set. Whoever sets active[] clears it */
} thr_state;

#define THR_NONE INT64_MIN

typedef struct thr_event {
    int64_t at_ms;  /* the reading's source time */
    double value;   /* the reading (ROC: the rate per second) */
    uint8_t cond;   /* thr_cond */
    uint8_t level;  /* alarm_level of the condition */
    bool raised;    /* true: raised; false: cleared */
} thr_event;

#define THR_MAX_EVENTS THR_NCOND /* one transition per condition per reading at most */

typedef enum thr_result {
    THR_EVALUATED = 0, /* the reading was evaluated (possibly no events) */
    THR_LATE = 1,      /* not newer than the last evaluated: not evaluated, state unchanged */
} thr_result;

/* All limits off, fault 报警, stale 预警. */
void thr_config_init(thr_config *c);
/* GB/T 50493-2019 combustible gas in %LEL: H 25 → 报警 (一级), HH 50 → 紧急
 * (二级); pre_fraction in (0,1) adds PRE_H at pre_fraction × 25 → 预警 (0 =
 * none). Deadband 1 %LEL, no delays. Editable data: change c afterwards. */
void thr_preset_combustible(thr_config *c, double pre_fraction);
/* Toxic gas against its exposure limit oel (mg/m³ or ppm): H = 100 % OEL →
 * 报警, HH = 200 % OEL → 紧急, PRE_H as above; deadband 5 % of OEL. */
void thr_preset_toxic(thr_config *c, double oel, double pre_fraction);
/* Oxygen %VOL, both directions: L 19.5 → 报警 (deficiency), H 23.5 → 报警
 * (enrichment); deadband 0.2 %VOL. */
void thr_preset_o2(thr_config *c);

/* Refuses (WS_EINVAL, field e.g. "lim.h.deadband") a config that is not
 * consistent: levels 1..3, finite values, deadband >= 0, delays in range,
 * enabled limits ordered LL <= L <= PRE_L < PRE_H <= H <= HH. */
ws_err thr_config_check(const thr_config *c);

void thr_state_init(thr_state *s);

thr_result thr_eval_full(const thr_config *c, thr_state *s, int64_t t_ms, double value,
                         uint8_t quality, thr_event *out, int *n);

/* Evaluate one reading at source time t_ms. Writes up to THR_MAX_EVENTS
 * events to out (caller-owned, at least THR_MAX_EVENTS long) and their
 * number to *n. Returns THR_LATE, with *n = 0 and s unchanged, when t_ms
 * <= the last evaluated time. No allocation, no clock.
 *
 * Inline, for most readings of a plant: a calm point (nothing raised, no
 * delay pending) takes a good reading inside every enabled limit and under
 * its rate of change by noting its time, as the full evaluation would
 * conclude; six compares without a branch each (| not ||). Anything else
 * goes to thr_eval_full (test_alarm checks the two agree). */
static inline thr_result thr_eval(const thr_config *c, thr_state *s, int64_t t_ms, double value,
                                  uint8_t quality, thr_event *out, int *n)
{
    const thr_limit *l = c->lim;
    double v = value;
    if (s->calm && t_ms > s->last_ms && quality <= THR_Q_UNCERTAIN && isfinite(v) &&
        !((l[THR_LL].enabled & (v <= l[THR_LL].value)) | (l[THR_L].enabled & (v <= l[THR_L].value)) |
          (l[THR_PRE_L].enabled & (v <= l[THR_PRE_L].value)) | (l[THR_PRE_H].enabled & (v >= l[THR_PRE_H].value)) |
          (l[THR_H].enabled & (v >= l[THR_H].value)) | (l[THR_HH].enabled & (v >= l[THR_HH].value))) &&
        (!l[THR_ROC].enabled || fabs(v - s->prev_v) * 1000.0 / (double)(t_ms - s->prev_ms) < l[THR_ROC].value)) {
        *n = 0;
        s->last_ms = s->prev_ms = t_ms;
        s->prev_v = v;
        return THR_EVALUATED;
    }
    return thr_eval_full(c, s, t_ms, value, quality, out, n);
}

/* "LL", "L", "PRE_L", … ; static. */
const char *thr_cond_name(int cond);

#endif
