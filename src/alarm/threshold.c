/* threshold.c — limit evaluation of one point (see threshold.h for the
 * semantics). The hot path is thr_eval: a few comparisons per enabled limit,
 * no allocation, no clock, no locks. */
#include <math.h>
#include <string.h>

#include "alarm/threshold.h"

#define DELAY_MAX_MS 86400000

static const char *const COND_NAMES[THR_NCOND] = {"LL", "L", "PRE_L", "PRE_H", "H", "HH",
                                                  "ROC", "FAULT", "STALE"};
/* +1 high limit (raise at >=), -1 low limit (raise at <=). */
static const int COND_DIR[THR_NLIMIT] = {-1, -1, -1, +1, +1, +1, +1};
static const char *const LIM_FIELD[THR_NLIMIT] = {"lim.ll", "lim.l", "lim.pre_l", "lim.pre_h",
                                                  "lim.h", "lim.hh", "lim.roc"};

const char *thr_cond_name(int cond)
{
    return cond >= 0 && cond < THR_NCOND ? COND_NAMES[cond] : "?";
}

const char *alarm_level_name(int level)
{
    switch (level) {
    case ALARM_LVL_NOTICE: return "notice";
    case ALARM_LVL_ALARM: return "alarm";
    case ALARM_LVL_EMERGENCY: return "emergency";
    default: return "none";
    }
}

void thr_config_init(thr_config *c)
{
    memset(c, 0, sizeof *c);
    c->fault_level = ALARM_LVL_ALARM;
    c->stale_level = ALARM_LVL_NOTICE;
}

static void set_lim(thr_limit *l, double value, double deadband, uint8_t level)
{
    l->enabled = true;
    l->value = value;
    l->deadband = deadband;
    l->level = level;
    l->on_delay_ms = 0;
    l->off_delay_ms = 0;
}

static void high_pair(thr_config *c, double h, double hh, double db, double pre_fraction)
{
    thr_config_init(c);
    set_lim(&c->lim[THR_H], h, db, ALARM_LVL_ALARM);
    set_lim(&c->lim[THR_HH], hh, db, ALARM_LVL_EMERGENCY);
    if (pre_fraction > 0 && pre_fraction < 1)
        set_lim(&c->lim[THR_PRE_H], h * pre_fraction, db, ALARM_LVL_NOTICE);
}

void thr_preset_combustible(thr_config *c, double pre_fraction)
{
    high_pair(c, 25.0, 50.0, 1.0, pre_fraction);
}

void thr_preset_toxic(thr_config *c, double oel, double pre_fraction)
{
    high_pair(c, oel, 2.0 * oel, 0.05 * oel, pre_fraction);
}

void thr_preset_o2(thr_config *c)
{
    thr_config_init(c);
    set_lim(&c->lim[THR_L], 19.5, 0.2, ALARM_LVL_ALARM);
    set_lim(&c->lim[THR_H], 23.5, 0.2, ALARM_LVL_ALARM);
}

ws_err thr_config_check(const thr_config *c)
{
    if (c->fault_level < ALARM_LVL_NOTICE || c->fault_level > ALARM_LVL_EMERGENCY)
        return ws_fail(WS_EINVAL, "fault_level", "fault_level must be 1..3");
    if (c->stale_level < ALARM_LVL_NOTICE || c->stale_level > ALARM_LVL_EMERGENCY)
        return ws_fail(WS_EINVAL, "stale_level", "stale_level must be 1..3");
    double prev = -INFINITY;
    int prev_i = -1;
    for (int i = 0; i < THR_NLIMIT; i++) {
        const thr_limit *l = &c->lim[i];
        if (!l->enabled) continue;
        if (l->level < ALARM_LVL_NOTICE || l->level > ALARM_LVL_EMERGENCY)
            return ws_fail(WS_EINVAL, LIM_FIELD[i], "%s.level must be 1..3", LIM_FIELD[i]);
        if (!isfinite(l->value))
            return ws_fail(WS_EINVAL, LIM_FIELD[i], "%s.value must be finite", LIM_FIELD[i]);
        if (!isfinite(l->deadband) || l->deadband < 0)
            return ws_fail(WS_EINVAL, LIM_FIELD[i], "%s.deadband must be >= 0", LIM_FIELD[i]);
        if (l->on_delay_ms < 0 || l->on_delay_ms > DELAY_MAX_MS || l->off_delay_ms < 0 ||
            l->off_delay_ms > DELAY_MAX_MS)
            return ws_fail(WS_EINVAL, LIM_FIELD[i], "%s delays must be 0..86400000 ms",
                           LIM_FIELD[i]);
        if (i == THR_ROC) {
            if (l->value <= 0)
                return ws_fail(WS_EINVAL, LIM_FIELD[i], "lim.roc.value must be > 0");
            continue;
        }
        /* PRE_L < PRE_H strictly (the same value cannot be both); others may tie. */
        bool strict = prev_i == THR_PRE_L && i == THR_PRE_H;
        if (l->value < prev || (strict && l->value <= prev))
            return ws_fail(WS_EINVAL, LIM_FIELD[i], "%s (%g) is out of order after %s (%g)",
                           LIM_FIELD[i], l->value, LIM_FIELD[prev_i], prev);
        prev = l->value;
        prev_i = i;
    }
    return WS_OK;
}

void thr_state_init(thr_state *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < THR_NCOND; i++) s->since[i] = THR_NONE;
}

static inline void emit(thr_event *out, int *n, int64_t t, double v, int cond, uint8_t level,
                        bool raised)
{
    thr_event *e = &out[(*n)++];
    e->at_ms = t;
    e->value = v;
    e->cond = (uint8_t)cond;
    e->level = level;
    e->raised = raised;
}

/* One limit at one reading: the hysteresis and delay state machine
 *   inactive --(raise region held >= on_delay)--> active
 *   active   --(clear region held >= off_delay)--> inactive */
static inline void step(const thr_limit *l, int dir, int cond, double x, int64_t t, thr_state *s,
                        thr_event *out, int *n)
{
    if (!l->enabled) {
        if (s->active[cond]) { /* limit switched off: the condition is gone */
            s->active[cond] = false;
            emit(out, n, t, x, cond, l->level, false);
        }
        s->since[cond] = THR_NONE;
        return;
    }
    if (!s->active[cond]) {
        bool in = dir > 0 ? x >= l->value : x <= l->value;
        if (!in) {
            s->since[cond] = THR_NONE;
            return;
        }
        if (s->since[cond] == THR_NONE) s->since[cond] = t;
        if (t - s->since[cond] >= l->on_delay_ms) {
            s->active[cond] = true;
            s->since[cond] = THR_NONE;
            emit(out, n, t, x, cond, l->level, true);
        }
    } else {
        bool out_of = dir > 0 ? x < l->value - l->deadband : x > l->value + l->deadband;
        if (!out_of) {
            s->since[cond] = THR_NONE;
            return;
        }
        if (s->since[cond] == THR_NONE) s->since[cond] = t;
        if (t - s->since[cond] >= l->off_delay_ms) {
            s->active[cond] = false;
            s->since[cond] = THR_NONE;
            emit(out, n, t, x, cond, l->level, false);
        }
    }
}

static inline void set_flag(thr_state *s, int cond, bool on, int64_t t, double v, uint8_t level,
                            thr_event *out, int *n)
{
    if (s->active[cond] == on) return;
    s->active[cond] = on;
    emit(out, n, t, v, cond, level, on);
}

/* The full evaluation (thr_eval's inline part in threshold.h has found the
 * reading is not one a calm point simply takes). */
thr_result thr_eval_full(const thr_config *c, thr_state *s, int64_t t, double v, uint8_t quality,
                         thr_event *out, int *n)
{
    *n = 0;
    if (s->evaluated && t <= s->last_ms) return THR_LATE;
    s->evaluated = true;
    s->last_ms = t;
    s->calm = false;

    bool stale = quality == THR_Q_STALE;
    bool bad = quality == THR_Q_BAD || (!stale && !isfinite(v));
    if (stale || bad) {
        if (stale) set_flag(s, THR_STALE, true, t, v, c->stale_level, out, n);
        else {
            set_flag(s, THR_STALE, false, t, v, c->stale_level, out, n);
            set_flag(s, THR_FAULT, true, t, v, c->fault_level, out, n);
        }
        /* Not a measurement: limit conditions keep their state, and a pending
         * on-/off-delay starts again at the next good reading. */
        for (int i = 0; i < THR_NLIMIT; i++) s->since[i] = THR_NONE;
        s->have_prev = false;
        return THR_EVALUATED;
    }
    set_flag(s, THR_STALE, false, t, v, c->stale_level, out, n);
    set_flag(s, THR_FAULT, false, t, v, c->fault_level, out, n);
    for (int i = 0; i < THR_ROC; i++) step(&c->lim[i], COND_DIR[i], i, v, t, s, out, n);
    if (c->lim[THR_ROC].enabled || s->active[THR_ROC]) {
        if (s->have_prev) {
            double rate = fabs(v - s->prev_v) * 1000.0 / (double)(t - s->prev_ms);
            step(&c->lim[THR_ROC], +1, THR_ROC, rate, t, s, out, n);
        }
    }
    s->prev_ms = t;
    s->prev_v = v;
    s->have_prev = true;
    s->calm = true;
    for (int i = 0; i < THR_NCOND; i++)
        if (s->active[i] || s->since[i] != THR_NONE) s->calm = false;
    return THR_EVALUATED;
}
