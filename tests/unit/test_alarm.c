/* test_alarm.c — the pure alarm core (src/alarm): threshold evaluation and the
 * alarm lifecycle, driven by explicit times (the same numbers the test build's
 * clock would give; nothing here reads a clock).
 *
 * What a user would check: a gas reading at exactly 25 %LEL raises 报警 and
 * at 50 %LEL 紧急, and the alarm clears only below the deadband; an on-delay
 * raises at exactly the delay, not a millisecond earlier; O₂ alarms both low
 * and high; a faulty or stale sensor raises its own condition and never looks
 * safe; late or out-of-order readings never raise; a second raise of the same
 * (rule, source) counts, it does not open a second alarm; a chattering alarm
 * stays one alarm; shelving ends at the exact expiry ms; a 紧急 alarm cannot
 * be shelved without a different approver; escalation goes grid leader →
 * safety officer → manager at 0, 5 and 15 minutes unless acknowledged; close
 * needs cleared + acknowledged + cause/action/person; an alarm serialised and
 * restored continues its escalation at the right time; a full table says so;
 * more than 10 alarms in 10 minutes in an area form a flood; and every
 * invariant of alarm.c holds after each of 10,000 random operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/alarm.h"
#include "core/buf.h"
#include "alarm/threshold.h"
#include "ingest/reading.h"

#define T0 1764300000000LL /* 2025-11-28T03:20:00Z */
#define MIN 60000LL

/* ============================================================ thresholds */

typedef struct tev {
    int n;
    thr_event e[THR_MAX_EVENTS];
} tev;

static thr_result ev(const thr_config *c, thr_state *s, int64_t t, double v, uint8_t q, tev *o)
{
    return thr_eval(c, s, t, v, q, o->e, &o->n);
}

/* The one event for cond in o, or NULL. */
static const thr_event *has(const tev *o, int cond)
{
    for (int i = 0; i < o->n; i++)
        if (o->e[i].cond == cond) return &o->e[i];
    return NULL;
}

static void quality_values_match_reading_h(void **state)
{
    (void)state;
    assert_int_equal(THR_Q_GOOD, WS_Q_GOOD);
    assert_int_equal(THR_Q_UNCERTAIN, WS_Q_UNCERTAIN);
    assert_int_equal(THR_Q_BAD, WS_Q_BAD);
    assert_int_equal(THR_Q_STALE, WS_Q_STALE);
}

static void combustible_setpoints_and_hysteresis(void **state)
{
    (void)state;
    thr_config c;
    thr_state s;
    tev o;
    thr_preset_combustible(&c, 0.8);
    assert_int_equal(thr_config_check(&c), WS_OK);
    thr_state_init(&s);
    int64_t t = T0;
    ev(&c, &s, t += 1000, 19.999, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 20.0, THR_Q_GOOD, &o); /* 0.8 × 25: 预警 */
    assert_int_equal(o.n, 1);
    assert_non_null(has(&o, THR_PRE_H));
    assert_int_equal(has(&o, THR_PRE_H)->level, ALARM_LVL_NOTICE);
    ev(&c, &s, t += 1000, 24.999, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 25.0, THR_Q_GOOD, &o); /* 一级 at exactly 25 %LEL */
    assert_int_equal(o.n, 1);
    const thr_event *h = has(&o, THR_H);
    assert_non_null(h);
    assert_true(h->raised);
    assert_int_equal(h->level, ALARM_LVL_ALARM);
    assert_int_equal(h->at_ms, t);
    ev(&c, &s, t += 1000, 49.999, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 50.0, THR_Q_GOOD, &o); /* 二级 */
    assert_int_equal(o.n, 1);
    assert_int_equal(has(&o, THR_HH)->level, ALARM_LVL_EMERGENCY);
    /* deadband 1 %LEL: HH clears below 49, H below 24 */
    ev(&c, &s, t += 1000, 49.0, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 48.999, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 1);
    assert_false(has(&o, THR_HH)->raised);
    ev(&c, &s, t += 1000, 24.0, THR_Q_GOOD, &o); /* inside the band: holds */
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 25.5, THR_Q_GOOD, &o); /* back up inside H: no second raise */
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 23.999, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 1);
    assert_false(has(&o, THR_H)->raised);
    ev(&c, &s, t += 1000, 18.9, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 1);
    assert_false(has(&o, THR_PRE_H)->raised);
    /* toxic: 100 % and 200 % of the exposure limit (H₂S MAC 10 mg/m³) */
    thr_preset_toxic(&c, 10.0, 0);
    thr_state_init(&s);
    ev(&c, &s, t += 1000, 10.0, THR_Q_GOOD, &o);
    assert_non_null(has(&o, THR_H));
    ev(&c, &s, t += 1000, 20.0, THR_Q_GOOD, &o);
    assert_non_null(has(&o, THR_HH));
}

static void o2_alarms_in_both_directions(void **state)
{
    (void)state;
    thr_config c;
    thr_state s;
    tev o;
    thr_preset_o2(&c);
    assert_int_equal(thr_config_check(&c), WS_OK);
    thr_state_init(&s);
    int64_t t = T0;
    ev(&c, &s, t += 1000, 20.9, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 19.5, THR_Q_GOOD, &o); /* deficiency */
    assert_int_equal(o.n, 1);
    assert_int_equal(has(&o, THR_L)->level, ALARM_LVL_ALARM);
    ev(&c, &s, t += 1000, 19.7, THR_Q_GOOD, &o); /* clears above 19.7 only */
    assert_int_equal(o.n, 0);
    ev(&c, &s, t += 1000, 19.71, THR_Q_GOOD, &o);
    assert_false(has(&o, THR_L)->raised);
    ev(&c, &s, t += 1000, 23.5, THR_Q_GOOD, &o); /* enrichment */
    assert_true(has(&o, THR_H)->raised);
    assert_int_equal(has(&o, THR_H)->level, ALARM_LVL_ALARM);
}

static void on_and_off_delay_at_the_exact_ms(void **state)
{
    (void)state;
    thr_config c;
    thr_state s;
    tev o;
    thr_preset_combustible(&c, 0);
    c.lim[THR_H].on_delay_ms = 5000;
    c.lim[THR_H].off_delay_ms = 3000;
    c.lim[THR_HH].enabled = false;
    thr_state_init(&s);
    ev(&c, &s, T0, 30, THR_Q_GOOD, &o); /* condition starts at T0 */
    assert_int_equal(o.n, 0);
    ev(&c, &s, T0 + 4999, 30, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, T0 + 5000, 30, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 1);
    assert_int_equal(has(&o, THR_H)->at_ms, T0 + 5000);
    /* off-delay */
    ev(&c, &s, T0 + 6000, 10, THR_Q_GOOD, &o);
    ev(&c, &s, T0 + 8999, 10, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, T0 + 9000, 10, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 1);
    assert_false(has(&o, THR_H)->raised);
    /* an interruption restarts the on-delay: 30, 20 (out), 30 ... */
    ev(&c, &s, T0 + 10000, 30, THR_Q_GOOD, &o);
    ev(&c, &s, T0 + 12000, 20, THR_Q_GOOD, &o);
    ev(&c, &s, T0 + 13000, 30, THR_Q_GOOD, &o);
    ev(&c, &s, T0 + 17999, 30, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 0);
    ev(&c, &s, T0 + 18000, 30, THR_Q_GOOD, &o);
    assert_int_equal(o.n, 1);
}

static void bad_and_stale_raise_their_own_condition(void **state)
{
    (void)state;
    thr_config c;
    thr_state s;
    tev o;
    thr_preset_combustible(&c, 0);
    c.lim[THR_H].on_delay_ms = 2000;
    thr_state_init(&s);
    int64_t t = T0;
    ev(&c, &s, t, 30, THR_Q_GOOD, &o); /* on-delay pending */
    ev(&c, &s, t += 1000, NAN, THR_Q_BAD, &o);
    assert_int_equal(o.n, 1);
    assert_true(has(&o, THR_FAULT)->raised);
    assert_int_equal(has(&o, THR_FAULT)->level, ALARM_LVL_ALARM);
    ev(&c, &s, t += 1000, 30, THR_Q_GOOD, &o); /* fault clears; the delay starts again */
    assert_int_equal(o.n, 1);
    assert_false(has(&o, THR_FAULT)->raised);
    ev(&c, &s, t += 1999, 30, THR_Q_GOOD, &o);
    assert_null(has(&o, THR_H));
    ev(&c, &s, t += 1, 30, THR_Q_GOOD, &o);
    assert_true(has(&o, THR_H)->raised);
    /* while H is raised a BAD value of 0 does not clear it, nor a STALE one */
    ev(&c, &s, t += 1000, 0, THR_Q_BAD, &o);
    assert_null(has(&o, THR_H));
    assert_true(s.active[THR_H]);
    ev(&c, &s, t += 1000, NAN, THR_Q_STALE, &o);
    assert_true(has(&o, THR_STALE)->raised);
    assert_int_equal(has(&o, THR_STALE)->level, ALARM_LVL_NOTICE);
    assert_true(s.active[THR_H]);
    /* a GOOD value marked non-finite is a fault, not a reading */
    ev(&c, &s, t += 1000, INFINITY, THR_Q_GOOD, &o);
    assert_false(has(&o, THR_STALE)->raised);
    assert_true(s.active[THR_FAULT]);
    assert_true(s.active[THR_H]);
    /* uncertain is evaluated */
    ev(&c, &s, t += 1000, 5, THR_Q_UNCERTAIN, &o);
    assert_false(has(&o, THR_H)->raised);
    assert_false(has(&o, THR_FAULT)->raised);
}

static void rate_of_change_raises_prealarm(void **state)
{
    (void)state;
    thr_config c;
    thr_state s;
    tev o;
    thr_config_init(&c);
    c.lim[THR_ROC] = (thr_limit){.enabled = true, .level = ALARM_LVL_NOTICE, .value = 2.0,
                                 .deadband = 0.5};
    assert_int_equal(thr_config_check(&c), WS_OK);
    thr_state_init(&s);
    ev(&c, &s, T0, 5, THR_Q_GOOD, &o);
    ev(&c, &s, T0 + 1000, 6.9, THR_Q_GOOD, &o); /* 1.9 /s */
    assert_int_equal(o.n, 0);
    ev(&c, &s, T0 + 2000, 8.9, THR_Q_GOOD, &o); /* 2.0 /s */
    assert_true(has(&o, THR_ROC)->raised);
    ev(&c, &s, T0 + 4000, 11.9, THR_Q_GOOD, &o); /* 1.5 /s: inside the band */
    assert_int_equal(o.n, 0);
    ev(&c, &s, T0 + 5000, 12.0, THR_Q_GOOD, &o);
    assert_false(has(&o, THR_ROC)->raised);
}

/* Low limits with an on-delay, and a rate-of-change limit, beside the high ones. */
static void set_low_and_roc(thr_config *c, int32_t delay_ms)
{
    c->lim[THR_LL] = (thr_limit){.enabled = true, .level = ALARM_LVL_EMERGENCY, .value = 2, .deadband = 0.5};
    c->lim[THR_L] = (thr_limit){.enabled = true, .level = ALARM_LVL_ALARM, .value = 5, .deadband = 0.5,
                                .on_delay_ms = delay_ms, .off_delay_ms = delay_ms};
    c->lim[THR_ROC] = (thr_limit){.enabled = true, .level = ALARM_LVL_NOTICE, .value = 9000, .deadband = 100};
}

/* The shortcut for a calm point (threshold.c: stays_calm) decides as the
 * full evaluation would: 200,000 random readings, limits with delays and
 * deadbands switched on and off, faults, stale and late ones, through two
 * states, one of them made to take the full path at every reading. */
static void calm_shortcut_matches_full_evaluation(void **state)
{
    (void)state;
    uint64_t x = 0x2545F4914F6CDD1DULL;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    for (int run = 0; run < 200; run++) {
        thr_config c;
        thr_preset_combustible(&c, run % 2 ? 0.6 : 0);
        if (run % 3 == 0) set_low_and_roc(&c, (int32_t)(RND() % 3) * 1000);
        if (run % 5 == 0) c.lim[THR_H].on_delay_ms = c.lim[THR_H].off_delay_ms = 2000;
        thr_state fast, full;
        thr_state_init(&fast);
        thr_state_init(&full);
        int64_t t = T0;
        int calm_seen = 0;
        for (int i = 0; i < 1000; i++) {
            uint64_t r = RND();
            t += (int64_t)(r % 7) - 1; /* sometimes late or equal */
            double v = r % 5 ? 10 + (double)(RND() % 1000) / 100.0 : (double)(RND() % 6000) / 100.0;
            if (r % 97 == 0) v = NAN;
            if (r % 50 == 1) c.lim[THR_PRE_H].enabled = !c.lim[THR_PRE_H].enabled;
            uint8_t q = r % 61 == 0 ? THR_Q_STALE : r % 67 == 0 ? THR_Q_BAD : r % 3 == 0 ? THR_Q_UNCERTAIN : THR_Q_GOOD;
            tev a, b;
            calm_seen += fast.calm;
            full.calm = false;
            thr_result ra = ev(&c, &fast, t, v, q, &a), rb = ev(&c, &full, t, v, q, &b);
            assert_int_equal(ra, rb);
            assert_int_equal(a.n, b.n);
            for (int k = 0; k < a.n; k++) {
                assert_int_equal(a.e[k].cond, b.e[k].cond);
                assert_int_equal(a.e[k].raised, b.e[k].raised);
            }
            assert_memory_equal(fast.active, full.active, sizeof fast.active);
            assert_memory_equal(fast.since, full.since, sizeof fast.since);
            assert_true(fast.last_ms == full.last_ms && fast.have_prev == full.have_prev);
            if (full.have_prev) assert_true(fast.prev_ms == full.prev_ms && fast.prev_v == full.prev_v);
        }
        assert_true(calm_seen > 0); /* the shortcut was taken */
    }
#undef RND
}

static void config_check_names_the_field(void **state)
{
    (void)state;
    thr_config c;
    thr_preset_combustible(&c, 0);
    c.lim[THR_HH].value = 20; /* below H */
    assert_int_equal(thr_config_check(&c), WS_EINVAL);
    assert_string_equal(ws_err_field(), "lim.hh");
    thr_preset_combustible(&c, 0);
    c.lim[THR_H].deadband = -1;
    assert_int_equal(thr_config_check(&c), WS_EINVAL);
    assert_string_equal(ws_err_field(), "lim.h");
}

static void late_and_out_of_order_never_raise(void **state)
{
    (void)state;
    thr_config c;
    thr_state s, before;
    tev o;
    thr_preset_combustible(&c, 0.8);
    thr_state_init(&s);
    assert_int_equal(ev(&c, &s, T0 + 10000, 5, THR_Q_GOOD, &o), THR_EVALUATED);
    before = s;
    /* older and equal source times, all far above every limit */
    int64_t late[] = {T0 + 9999, T0, T0 + 10000, T0 - 86400000LL, T0 + 5000};
    for (size_t i = 0; i < sizeof late / sizeof late[0]; i++) {
        assert_int_equal(ev(&c, &s, late[i], 99.0, THR_Q_GOOD, &o), THR_LATE);
        assert_int_equal(o.n, 0);
        assert_memory_equal(&s, &before, sizeof s);
        assert_int_equal(ev(&c, &s, late[i], NAN, THR_Q_STALE, &o), THR_LATE);
        assert_int_equal(o.n, 0);
    }
    /* a shuffled burst: only readings newer than the last evaluated count;
     * every high one here is late, so nothing raises, and no alarm opens */
    alarm_config ac;
    alarm_table *t = NULL;
    alarm_config_default(&ac, 8, 4);
    assert_int_equal(alarm_table_init(&ac, &t), WS_OK);
    struct { int64_t at; double v; } burst[] = {
        {T0 + 11000, 6}, {T0 + 10500, 60}, {T0 + 12000, 7}, {T0 + 11500, 55},
        {T0 + 12000, 70}, {T0 + 13000, 8}, {T0 + 9000, 90}, {T0 + 12999, 45}};
    for (size_t i = 0; i < sizeof burst / sizeof burst[0]; i++) {
        thr_result r = ev(&c, &s, burst[i].at, burst[i].v, THR_Q_GOOD, &o);
        assert_int_equal(r, burst[i].v > 10 ? THR_LATE : THR_EVALUATED);
        for (int k = 0; k < o.n; k++) {
            alarm_events aev;
            alarm_raise_in in = {.rule_id = 100 + o.e[k].cond, .source_id = 1, .area_id = 1,
                                 .level = o.e[k].level};
            if (o.e[k].raised) assert_int_equal(alarm_raise(t, &in, o.e[k].at_ms, &aev), WS_OK);
        }
    }
    assert_int_equal(alarm_table_count(t), 0);
    assert_int_equal(s.last_ms, T0 + 13000);
    alarm_table_free(t);
}

/* ============================================================ lifecycle */

static alarm_table *table(size_t cap, void (*tweak)(alarm_config *))
{
    alarm_config c;
    alarm_config_default(&c, cap, 16);
    if (tweak) tweak(&c);
    alarm_table *t = NULL;
    assert_int_equal(alarm_table_init(&c, &t), WS_OK);
    return t;
}

static alarm_raise_in RIN(int64_t rule, int64_t src, int level)
{
    return (alarm_raise_in){.rule_id = rule, .source_id = src, .area_id = 1, .level = (uint8_t)level};
}

static int count_kind(const alarm_events *e, int kind)
{
    int n = 0;
    for (int i = 0; i < e->n; i++) n += e->ev[i].kind == kind;
    return n;
}

static void dedup_counts_without_a_new_alarm(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_raise_in in = RIN(1, 42, ALARM_LVL_ALARM);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.ev[0].kind, AEV_RAISE);
    int64_t id = e.ev[0].alarm_id;
    assert_int_equal(alarm_raise(t, &in, T0 + 1000, &e), WS_OK);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.ev[0].kind, AEV_REPEAT);
    assert_int_equal(e.ev[0].alarm_id, id);
    assert_int_equal(e.ev[0].count, 2);
    assert_int_equal(alarm_table_count(t), 1);
    /* cleared but not closed: a raise re-activates the same alarm */
    assert_int_equal(alarm_clear(t, 1, 42, T0 + 2000, &e), WS_OK);
    assert_int_equal(e.ev[0].to, ALARM_ST_RTN_UNACK);
    assert_int_equal(alarm_raise(t, &in, T0 + 3000, &e), WS_OK);
    assert_int_equal(e.ev[0].kind, AEV_REACTIVATE);
    assert_int_equal(e.ev[0].alarm_id, id);
    const alarm *a = alarm_table_get(t, 1, 42);
    assert_int_equal(a->count, 3);
    assert_int_equal(alarm_state_of(a), ALARM_ST_UNACK);
    assert_int_equal(alarm_table_count(t), 1);
    assert_int_equal(alarm_check(a, 0), 0);
    /* another source is another alarm */
    in.source_id = 43;
    assert_int_equal(alarm_raise(t, &in, T0 + 3000, &e), WS_OK);
    assert_int_equal(alarm_table_count(t), 2);
    assert_true(e.ev[0].alarm_id != id);
    alarm_table_free(t);
}

static void flap_tweak(alarm_config *c)
{
    c->flap_transitions = 4; /* more than 4 transitions in 10 s */
    c->flap_window_ms = 10000;
}

static void flapping_alarm_stays_one_chattering_alarm(void **state)
{
    (void)state;
    alarm_table *t = table(8, flap_tweak);
    alarm_events e;
    alarm_raise_in in = RIN(1, 1, ALARM_LVL_ALARM);
    int64_t now = T0;
    assert_int_equal(alarm_raise(t, &in, now, &e), WS_OK); /* transition 1 */
    int64_t id = e.ev[0].alarm_id;
    assert_int_equal(alarm_clear(t, 1, 1, now += 1000, &e), WS_OK); /* 2 */
    assert_int_equal(count_kind(&e, AEV_CLEAR), 1);
    assert_int_equal(alarm_raise(t, &in, now += 1000, &e), WS_OK); /* 3 */
    assert_int_equal(alarm_clear(t, 1, 1, now += 1000, &e), WS_OK); /* 4 */
    assert_int_equal(alarm_raise(t, &in, now += 1000, &e), WS_OK); /* 5: chattering */
    assert_int_equal(count_kind(&e, AEV_CHATTER_BEGIN), 1);
    assert_int_equal(count_kind(&e, AEV_REACTIVATE), 1);
    const alarm *a = alarm_table_get(t, 1, 1);
    assert_true(a->chattering);
    for (int i = 0; i < 20; i++) { /* keeps flapping: one alarm, stays up, counts */
        assert_int_equal(alarm_clear(t, 1, 1, now += 500, &e), WS_OK);
        assert_int_equal(e.n, 0);
        a = alarm_table_get(t, 1, 1);
        assert_true(a->active);
        assert_int_equal(alarm_raise(t, &in, now += 500, &e), WS_OK);
        assert_int_equal(e.n, 1);
        assert_int_equal(e.ev[0].kind, AEV_REPEAT);
        assert_int_equal(e.ev[0].alarm_id, id);
    }
    a = alarm_table_get(t, 1, 1);
    assert_int_equal(a->count, 3 + 20);
    assert_int_equal(alarm_table_count(t), 1);
    assert_int_equal(alarm_check(a, 0), 0);
    /* the last transition is a clear, held back until 10 s of quiet */
    assert_int_equal(alarm_clear(t, 1, 1, now += 500, &e), WS_OK);
    alarm_event out[16];
    int n;
    /* acknowledged, so only the chatter timer is left */
    assert_int_equal(alarm_ack(t, 1, 1, "op1", now, &e), WS_OK);
    assert_int_equal(alarm_next_due(t), now + 10000);
    assert_int_equal(alarm_due(t, now + 9999, out, 16, &n), WS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alarm_due(t, now + 10000, out, 16, &n), WS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].kind, AEV_CHATTER_END);
    assert_int_equal(out[1].kind, AEV_CLEAR);
    assert_int_equal(out[1].at_ms, now + 10000);
    a = alarm_table_get(t, 1, 1);
    assert_false(a->chattering);
    assert_int_equal(alarm_state_of(a), ALARM_ST_RTN_ACKED);
    assert_int_equal(alarm_check(a, now + 10000), 0);
    alarm_table_free(t);
}

static void shelving_ends_at_the_exact_expiry(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_raise_in in = RIN(1, 1, ALARM_LVL_ALARM);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_ack(t, 1, 1, "op1", T0 + 1000, &e), WS_OK);
    int64_t until = T0 + 30 * MIN;
    alarm_shelve_in sh = {.by = "op1", .reason = "detector being recalibrated", .until_ms = until};
    assert_int_equal(alarm_shelve(t, 1, 1, &sh, T0 + 2000, &e), WS_OK);
    assert_int_equal(e.ev[0].kind, AEV_SHELVE);
    assert_int_equal(alarm_state_of(alarm_table_get(t, 1, 1)), ALARM_ST_SHELVED);
    assert_int_equal(alarm_next_due(t), until);
    alarm_event out[16];
    int n;
    assert_int_equal(alarm_due(t, until - 1, out, 16, &n), WS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alarm_state_of(alarm_table_get(t, 1, 1)), ALARM_ST_SHELVED);
    /* shelved: no escalation even though unacknowledged later */
    assert_int_equal(alarm_due(t, until, out, 16, &n), WS_OK);
    assert_true(n >= 1);
    assert_int_equal(out[0].kind, AEV_UNSHELVE);
    assert_int_equal(out[0].at_ms, until);
    assert_string_equal(out[0].who, "expiry");
    const alarm *a = alarm_table_get(t, 1, 1);
    /* still active: it annunciates again, unacknowledged, and escalation restarts */
    assert_int_equal(alarm_state_of(a), ALARM_ST_UNACK);
    assert_int_equal(a->esc_base_ms, until);
    assert_int_equal(n, 2); /* step 0 is due at once (after 0 ms) */
    assert_int_equal(out[1].kind, AEV_ESCALATE);
    assert_int_equal(out[1].at_ms, until);
    assert_int_equal(alarm_check(a, until), 0);
    /* limits on shelving */
    sh.until_ms = until; /* not after now */
    assert_int_equal(alarm_shelve(t, 1, 1, &sh, until, &e), WS_EINVAL);
    assert_string_equal(ws_err_field(), "until");
    sh.until_ms = until + 9 * 60 * MIN; /* over 8 h */
    assert_int_equal(alarm_shelve(t, 1, 1, &sh, until, &e), WS_EINVAL);
    sh.until_ms = until + MIN;
    sh.reason = "  ";
    assert_int_equal(alarm_shelve(t, 1, 1, &sh, until, &e), WS_EINVAL);
    assert_string_equal(ws_err_field(), "reason");
    alarm_table_free(t);
}

static void emergency_shelve_needs_a_different_approver(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_raise_in in = RIN(2, 9, ALARM_LVL_EMERGENCY);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    alarm_shelve_in sh = {.by = "op1", .reason = "known leak, crew on site", .until_ms = T0 + MIN};
    assert_int_equal(alarm_shelve(t, 2, 9, &sh, T0 + 1, &e), WS_EFORBIDDEN);
    assert_string_equal(ws_err_field(), "approver");
    sh.approver = "op1";
    assert_int_equal(alarm_shelve(t, 2, 9, &sh, T0 + 1, &e), WS_EFORBIDDEN);
    assert_string_equal(ws_err_field(), "approver");
    assert_int_equal(alarm_suppress(t, 2, 9, &sh, T0 + 1, &e), WS_EFORBIDDEN);
    assert_int_equal(alarm_state_of(alarm_table_get(t, 2, 9)), ALARM_ST_UNACK);
    assert_int_equal(e.n, 0);
    sh.approver = "safety_officer_wang";
    assert_int_equal(alarm_shelve(t, 2, 9, &sh, T0 + 1, &e), WS_OK);
    const alarm *a = alarm_table_get(t, 2, 9);
    assert_string_equal(a->mode_approver, "safety_officer_wang");
    assert_int_equal(alarm_check(a, 0), 0);
    /* 报警 needs none */
    in = RIN(3, 9, ALARM_LVL_ALARM);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    sh.approver = NULL;
    assert_int_equal(alarm_shelve(t, 3, 9, &sh, T0 + 1, &e), WS_OK);
    alarm_table_free(t);
}

static void escalation_step_by_step(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_event out[16];
    int n;
    alarm_raise_in in = RIN(1, 7, ALARM_LVL_ALARM);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_next_due(t), T0);
    assert_int_equal(alarm_due(t, T0 - 1, out, 16, &n), WS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alarm_due(t, T0, out, 16, &n), WS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].kind, AEV_ESCALATE);
    assert_int_equal(out[0].esc_step, 0);
    assert_string_equal(out[0].who, "grid_leader");
    assert_int_equal(alarm_due(t, T0, out, 16, &n), WS_OK); /* idempotent */
    assert_int_equal(n, 0);
    assert_int_equal(alarm_due(t, T0 + 5 * MIN - 1, out, 16, &n), WS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alarm_due(t, T0 + 5 * MIN, out, 16, &n), WS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].who, "safety_officer");
    assert_int_equal(out[0].at_ms, T0 + 5 * MIN);
    assert_int_equal(alarm_next_due(t), T0 + 15 * MIN);
    /* acknowledged at 10 min: the manager is never called */
    assert_int_equal(alarm_ack(t, 1, 7, "grid_leader_li", T0 + 10 * MIN, &e), WS_OK);
    assert_int_equal(alarm_due(t, T0 + 60 * MIN, out, 16, &n), WS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alarm_next_due(t), INT64_MAX);
    /* a timer that did not run for 20 min takes every overdue step, each at its time */
    in = RIN(1, 8, ALARM_LVL_ALARM);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_due(t, T0 + 20 * MIN, out, 16, &n), WS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].at_ms, T0);
    assert_int_equal(out[1].at_ms, T0 + 5 * MIN);
    assert_int_equal(out[2].at_ms, T0 + 15 * MIN);
    assert_string_equal(out[2].who, "manager");
    assert_true(out[0].seq < out[1].seq && out[1].seq < out[2].seq);
    /* a full output buffer leaves the rest due, nothing lost */
    in = RIN(1, 9, ALARM_LVL_ALARM);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    int total = 0;
    for (int calls = 0; calls < 10; calls++) {
        assert_int_equal(alarm_due(t, T0 + 20 * MIN, out, ALARM_EVBUF, &n), WS_OK);
        assert_true(n <= ALARM_EVBUF);
        total += n;
    }
    assert_int_equal(total, 3);
    alarm_table_free(t);
}

static void close_needs_cleared_acked_and_record(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_raise_in in = RIN(1, 5, ALARM_LVL_ALARM);
    alarm_record rec = {.cause = "valve packing leak", .action = "packing replaced, area vented",
                        .person = "zhang_san"};
    alarm closed;
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_close(t, 1, 5, &rec, T0 + 1, &closed, &e), WS_ECONFLICT); /* UNACK */
    assert_string_equal(ws_err_field(), "state");
    assert_int_equal(alarm_ack(t, 1, 5, "op1", T0 + 2, &e), WS_OK);
    assert_int_equal(alarm_ack(t, 1, 5, "op1", T0 + 3, &e), WS_ECONFLICT);
    assert_int_equal(alarm_close(t, 1, 5, &rec, T0 + 3, &closed, &e), WS_ECONFLICT); /* active */
    in.source_id = 6;
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_clear(t, 1, 6, T0 + 4, &e), WS_OK);
    assert_int_equal(alarm_close(t, 1, 6, &rec, T0 + 5, &closed, &e), WS_ECONFLICT); /* RTN_UNACK */
    assert_int_equal(alarm_clear(t, 1, 5, T0 + 4, &e), WS_OK);
    assert_int_equal(alarm_state_of(alarm_table_get(t, 1, 5)), ALARM_ST_RTN_ACKED);
    alarm_record bad = rec;
    bad.cause = NULL;
    assert_int_equal(alarm_close(t, 1, 5, &bad, T0 + 5, &closed, &e), WS_EINVAL);
    assert_string_equal(ws_err_field(), "cause");
    bad = rec;
    bad.action = "";
    assert_int_equal(alarm_close(t, 1, 5, &bad, T0 + 5, &closed, &e), WS_EINVAL);
    assert_string_equal(ws_err_field(), "action");
    bad = rec;
    bad.person = " \t";
    assert_int_equal(alarm_close(t, 1, 5, &bad, T0 + 5, &closed, &e), WS_EINVAL);
    assert_string_equal(ws_err_field(), "person");
    assert_int_equal(alarm_close(t, 1, 5, NULL, T0 + 5, &closed, &e), WS_EINVAL);
    assert_int_equal(alarm_table_count(t), 2);
    assert_int_equal(alarm_close(t, 1, 5, &rec, T0 + 5, &closed, &e), WS_OK);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.ev[0].kind, AEV_CLOSE);
    assert_int_equal(e.ev[0].from, ALARM_ST_RTN_ACKED);
    assert_int_equal(e.ev[0].to, ALARM_ST_CLOSED);
    assert_string_equal(closed.cause, "valve packing leak");
    assert_string_equal(closed.person, "zhang_san");
    assert_true(closed.closed);
    assert_int_equal(alarm_check(&closed, 0), 0);
    assert_null(alarm_table_get(t, 1, 5));
    assert_int_equal(alarm_table_count(t), 1);
    assert_int_equal(alarm_clear(t, 1, 5, T0 + 6, &e), WS_ENOTFOUND);
    /* after close the next raise is a new alarm */
    in.source_id = 5;
    assert_int_equal(alarm_raise(t, &in, T0 + 7, &e), WS_OK);
    assert_int_equal(e.ev[0].kind, AEV_RAISE);
    assert_true(e.ev[0].alarm_id != closed.id);
    assert_int_equal(e.ev[0].count, 1);
    alarm_table_free(t);
}

/* The document written straight into a buffer reads back through the
 * strict restore field for field, with text that needs escaping (quotes,
 * backslashes, control characters, Chinese) in every kind of string:
 * acknowledged by, closing record, chain targets. */
static void doc_round_trip(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_raise_in in = RIN(4, 11, ALARM_LVL_EMERGENCY);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    const char *who = "张伟 \"班长\" \\ a\tb\nc\x01\x1f/";
    assert_int_equal(alarm_ack(t, 4, 11, who, T0 + 1000, &e), WS_OK);
    assert_int_equal(alarm_clear(t, 4, 11, T0 + 2000, &e), WS_OK);
    const alarm *live = alarm_table_get(t, 4, 11);
    buf doc = BUF_INIT(1 << 20);
    assert_int_equal(alarm_to_text(live, &doc), WS_OK);
    json_error_t jerr;
    json_t *j = json_loads(doc.data, 0, &jerr);
    assert_non_null(j);
    alarm a;
    assert_int_equal(alarm_from_json(j, &a), WS_OK);
    buf again = BUF_INIT(1 << 20); /* every field: the restored alarm writes the same document */
    assert_int_equal(alarm_to_text(&a, &again), WS_OK);
    assert_string_equal(again.data, doc.data);
    assert_string_equal(a.acked_by, who);
    buf_free(&again);
    json_decref(j);
    alarm closed;
    alarm_record rec = {.cause = "法兰\\泄漏 \"A\"", .action = "紧固\r\n复测", .person = "李\x7f娜"};
    assert_int_equal(alarm_close(t, 4, 11, &rec, T0 + 3000, &closed, &e), WS_OK);
    buf_reset(&doc);
    assert_int_equal(alarm_to_text(&closed, &doc), WS_OK);
    assert_non_null(j = json_loads(doc.data, 0, &jerr));
    assert_int_equal(alarm_from_json(j, &a), WS_OK);
    assert_string_equal(a.cause, rec.cause);
    assert_string_equal(a.action, rec.action);
    assert_string_equal(a.person, rec.person);
    assert_string_equal(a.acked_by, who);
    assert_int_equal(a.chain.n, closed.chain.n);
    for (int i = 0; i < a.chain.n; i++) assert_string_equal(a.chain.step[i].target, closed.chain.step[i].target);
    json_decref(j);
    /* the longest document: every string full of bytes written as \u00XX */
    alarm worst = closed;
    char *strs[] = {worst.acked_by, worst.mode_by, worst.mode_approver, worst.mode_reason,
                    worst.cause,    worst.action,  worst.person};
    size_t caps[] = {sizeof worst.acked_by, sizeof worst.mode_by, sizeof worst.mode_approver,
                     sizeof worst.mode_reason, sizeof worst.cause, sizeof worst.action, sizeof worst.person};
    for (int i = 0; i < 7; i++) memset(strs[i], 1, caps[i] - 1), strs[i][caps[i] - 1] = 0;
    for (int i = 0; i < ALARM_ESC_MAX; i++) {
        memset(worst.chain.step[i].target, 1, sizeof worst.chain.step[i].target - 1);
        worst.chain.step[i].target[sizeof worst.chain.step[i].target - 1] = 0;
        worst.chain.step[i].after_ms = INT64_MIN;
    }
    worst.chain.n = ALARM_ESC_MAX;
    worst.flap_n = ALARM_FLAP_MAX;
    for (int i = 0; i < ALARM_FLAP_MAX; i++) worst.flap[i] = INT64_MIN;
    buf big = BUF_INIT(1 << 20);
    assert_int_equal(alarm_to_text(&worst, &big), WS_OK); /* within its reserve (ASan) */
    assert_non_null(j = json_loads(big.data, 0, &jerr));  /* and still JSON */
    json_decref(j);
    buf_free(&big);
    buf_free(&doc);
    alarm_table_free(t);
}

/* A source with a response card of 3 minutes: the safety officer is paged
 * at 3 minutes and the manager at 13, not at 5 and 15; a card longer than
 * the chain's 5 minutes changes nothing; the fitted chain goes with the
 * alarm's document, so a restore keeps it. */
static void escalation_follows_response_card(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_event out[16];
    int n;
    alarm_raise_in in = RIN(1, 7, ALARM_LVL_ALARM);
    in.respond_ms = 3 * MIN;
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_due(t, T0 + 20 * MIN, out, 16, &n), WS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].at_ms, T0);
    assert_int_equal(out[1].at_ms, T0 + 3 * MIN);
    assert_string_equal(out[1].who, "safety_officer");
    assert_int_equal(out[2].at_ms, T0 + 13 * MIN);
    assert_string_equal(out[2].who, "manager");
    in = RIN(1, 8, ALARM_LVL_ALARM);
    in.respond_ms = 10 * MIN; /* later than the chain: the chain stands */
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_due(t, T0 + 20 * MIN, out, 16, &n), WS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[1].at_ms, T0 + 5 * MIN);
    assert_int_equal(out[2].at_ms, T0 + 15 * MIN);
    in = RIN(1, 9, ALARM_LVL_ALARM);
    in.respond_ms = 2 * MIN;
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    const alarm *a = alarm_table_get(t, 1, 9);
    assert_non_null(a);
    buf doc = BUF_INIT(1 << 20);
    assert_int_equal(alarm_to_text(a, &doc), WS_OK);
    json_t *j = json_loads(doc.data, 0, NULL);
    assert_non_null(j);
    alarm back;
    assert_int_equal(alarm_from_json(j, &back), WS_OK);
    json_decref(j);
    buf_free(&doc);
    assert_int_equal(back.chain.step[1].after_ms, 2 * MIN);
    assert_int_equal(back.chain.step[2].after_ms, 12 * MIN);
    alarm_table_free(t);
}

static void restore_continues_escalation(void **state)
{
    (void)state;
    alarm_table *t = table(8, NULL);
    alarm_events e;
    alarm_event out[16];
    int n;
    alarm_raise_in in = RIN(4, 11, ALARM_LVL_EMERGENCY);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    assert_int_equal(alarm_raise(t, &in, T0 + 100, &e), WS_OK);
    assert_int_equal(alarm_due(t, T0 + 1000, out, 16, &n), WS_OK);
    assert_int_equal(n, 1); /* grid leader */
    buf doc = BUF_INIT(1 << 20);
    assert_int_equal(alarm_to_text(alarm_table_get(t, 4, 11), &doc), WS_OK);
    char *text = buf_steal(&doc);
    alarm_table_free(t); /* the process dies */

    json_error_t jerr;
    json_t *back = json_loads(text, 0, &jerr);
    assert_non_null(back);
    alarm a;
    assert_int_equal(alarm_from_json(back, &a), WS_OK);
    assert_int_equal(a.count, 2);
    assert_int_equal(a.esc_step, 1);
    assert_int_equal(a.esc_next_ms, T0 + 5 * MIN);
    alarm_table *t2 = table(8, NULL);
    assert_int_equal(alarm_table_restore(t2, &a), WS_OK);
    assert_int_equal(alarm_table_restore(t2, &a), WS_ECONFLICT);
    assert_int_equal(alarm_due(t2, T0 + 5 * MIN - 1, out, 16, &n), WS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alarm_due(t2, T0 + 5 * MIN, out, 16, &n), WS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].who, "safety_officer");
    assert_int_equal(out[0].alarm_id, a.id);
    /* the restored alarm keeps deduplicating, and new alarms get fresh ids */
    assert_int_equal(alarm_raise(t2, &in, T0 + 6 * MIN, &e), WS_OK);
    assert_int_equal(e.ev[0].count, 3);
    in.source_id = 12;
    assert_int_equal(alarm_raise(t2, &in, T0 + 6 * MIN, &e), WS_OK);
    assert_true(e.ev[0].alarm_id > a.id);

    /* strict restore: unknown, missing, wrong type, inconsistent */
    json_t *x = json_deep_copy(back);
    json_object_set_new(x, "colour", json_string("red"));
    assert_int_equal(alarm_from_json(x, &a), WS_EINVAL);
    assert_string_equal(ws_err_field(), "colour");
    json_decref(x);
    x = json_deep_copy(back);
    json_object_del(x, "esc_next_ms");
    assert_int_equal(alarm_from_json(x, &a), WS_EINVAL);
    assert_string_equal(ws_err_field(), "esc_next_ms");
    json_decref(x);
    x = json_deep_copy(back);
    json_object_set_new(x, "acked", json_integer(1));
    assert_int_equal(alarm_from_json(x, &a), WS_EINVAL);
    assert_string_equal(ws_err_field(), "acked");
    json_decref(x);
    x = json_deep_copy(back);
    json_object_set_new(x, "level", json_integer(4));
    assert_int_equal(alarm_from_json(x, &a), WS_EINVAL);
    assert_string_equal(ws_err_field(), "level");
    json_decref(x);
    x = json_deep_copy(back);
    json_object_set_new(x, "esc_next_ms", json_integer(T0 + 99 * MIN)); /* timers tampered */
    assert_int_equal(alarm_from_json(x, &a), WS_EINVAL);
    assert_string_equal(ws_err_field(), "alarm");
    json_decref(x);
    json_decref(back);
    free(text);
    alarm_table_free(t2);
}

static void cap_tweak(alarm_config *c) { c->capacity = 3; }

static void full_table_is_a_named_error(void **state)
{
    (void)state;
    alarm_table *t = table(3, cap_tweak);
    alarm_events e;
    for (int i = 1; i <= 3; i++) {
        alarm_raise_in in = RIN(1, i, ALARM_LVL_ALARM);
        assert_int_equal(alarm_raise(t, &in, T0, &e), WS_OK);
    }
    alarm_raise_in in = RIN(1, 4, ALARM_LVL_ALARM);
    assert_int_equal(alarm_raise(t, &in, T0, &e), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "alarm_table");
    assert_non_null(strstr(ws_err_message(), "full"));
    assert_int_equal(e.n, 0);
    assert_int_equal(alarm_table_count(t), 3);
    in.source_id = 2; /* an open key still counts */
    assert_int_equal(alarm_raise(t, &in, T0 + 1, &e), WS_OK);
    assert_int_equal(e.ev[0].count, 2);
    alarm_table_free(t);
}

static void flood_groups_an_area(void **state)
{
    (void)state;
    alarm_table *t = table(64, NULL);
    alarm_events e;
    int64_t now = T0;
    for (int i = 1; i <= 10; i++) { /* 10 in 10 minutes: not a flood */
        alarm_raise_in in = {.rule_id = 1, .source_id = i, .area_id = 7, .level = ALARM_LVL_ALARM};
        assert_int_equal(alarm_raise(t, &in, now, &e), WS_OK);
        assert_int_equal(count_kind(&e, AEV_FLOOD_BEGIN), 0);
        now += 50000;
    }
    alarm_raise_in other = {.rule_id = 1, .source_id = 99, .area_id = 8, .level = ALARM_LVL_ALARM};
    assert_int_equal(alarm_raise(t, &other, now, &e), WS_OK); /* another area */
    assert_int_equal(count_kind(&e, AEV_FLOOD_BEGIN), 0);
    /* the 11th at T0 + 500 s is within 600 s of the first */
    alarm_raise_in in = {.rule_id = 1, .source_id = 11, .area_id = 7, .level = ALARM_LVL_ALARM};
    assert_int_equal(alarm_raise(t, &in, now, &e), WS_OK);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.ev[0].kind, AEV_FLOOD_BEGIN);
    assert_int_equal(e.ev[0].area_id, 7);
    assert_int_equal(e.ev[1].kind, AEV_RAISE);
    assert_int_equal(e.ev[1].flood_group, e.ev[0].flood_group);
    int64_t group = e.ev[0].flood_group;
    assert_int_equal(alarm_table_count(t), 12); /* the alarms still exist */
    alarm_area_stats st;
    assert_int_equal(alarm_area_get(t, 7, &st), WS_OK);
    assert_true(st.in_flood);
    assert_int_equal(st.flood_since, now);
    /* it ends when fewer than 11 remain within 10 minutes: oldest (T0) + 600 s */
    alarm_event out[128];
    int n;
    for (int i = 1; i <= 11; i++) assert_int_equal(alarm_ack(t, 1, i, "op", now, &e), WS_OK);
    assert_int_equal(alarm_ack(t, 1, 99, "op", now, &e), WS_OK);
    assert_int_equal(alarm_due(t, T0 + 600000 - 1, out, 128, &n), WS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(alarm_due(t, T0 + 600000, out, 128, &n), WS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].kind, AEV_FLOOD_END);
    assert_int_equal(out[0].flood_group, group);
    assert_int_equal(out[0].flood_ms, T0 + 600000 - now);
    assert_int_equal(alarm_area_get(t, 7, &st), WS_OK);
    assert_false(st.in_flood);
    assert_int_equal(st.flood_ms, T0 + 600000 - now);
    assert_int_equal(st.floods, 1);
    alarm_table_free(t);
}

/* ============================================================ random walk */

static uint64_t rng = 0x5eed2026ULL;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33) % n;
}

#define NR 4
#define NS 8
static int model_count[NR + 1][NS + 1]; /* occurrences of the open alarm, 0 = none */

static void walk_tweak(alarm_config *c)
{
    c->capacity = 24; /* fewer than the 32 keys: the table fills up */
    c->areas = 2;     /* three areas: flood tracking evicts idle ones */
    c->flap_transitions = 4;
    c->flap_window_ms = 20000;
    c->flood_alarms = 5;
    c->flood_window_ms = 120000;
    c->chain[ALARM_LVL_NOTICE].n = 0; /* a level without escalation */
}

static int64_t last_seq;

static void check_events(const alarm_event *ev, int n, alarm_table *t)
{
    for (int i = 0; i < n; i++) {
        assert_true(ev[i].seq > last_seq);
        last_seq = ev[i].seq;
        if (ev[i].kind == AEV_ESCALATE) /* only unacknowledged alarms escalate */
            assert_true(ev[i].from == ALARM_ST_UNACK || ev[i].from == ALARM_ST_RTN_UNACK);
        if (ev[i].kind == AEV_RAISE) assert_int_equal(ev[i].count, 1);
    }
    (void)t;
}

static void check_table(alarm_table *t, int64_t now)
{
    size_t pos = 0, seen = 0;
    const alarm *a;
    while ((a = alarm_table_next(t, &pos))) {
        seen++;
        int bad = alarm_check(a, now);
        if (bad) fail_msg("invariant %d broken: %s", bad, ws_err_message());
        assert_false(a->closed);
        assert_ptr_equal(alarm_table_get(t, a->rule_id, a->source_id), a); /* one per key */
        assert_int_equal(a->count, model_count[a->rule_id][a->source_id]);
    }
    assert_int_equal(seen, alarm_table_count(t));
    assert_true(seen <= alarm_table_capacity(t));
    int open = 0;
    for (int r = 1; r <= NR; r++)
        for (int s = 1; s <= NS; s++)
            if (model_count[r][s]) {
                open++;
                assert_non_null(alarm_table_get(t, r, s));
            }
    assert_int_equal(open, (int)seen);
    if (now > 0) assert_true(alarm_next_due(t) > now);
}

static void invariants_hold_after_random_operations(void **state)
{
    (void)state;
    alarm_table *t = table(24, walk_tweak);
    memset(model_count, 0, sizeof model_count);
    last_seq = 0;
    static const char *people[] = {"op1", "op2", "safety_officer_wang", " "};
    int64_t now = T0;
    alarm_events e;
    alarm_event out[64];
    int n, ok_ops = 0, full = 0, closes = 0;
    for (int step = 0; step < 10000; step++) {
        int64_t r = 1 + rnd(NR), s = 1 + rnd(NS);
        now += rnd(4) == 0 ? rnd(10 * MIN) : rnd(3000);
        ws_err rc = WS_OK;
        e.n = 0;
        switch (rnd(10)) {
        case 0:
        case 1:
        case 2: {
            alarm_raise_in in = {.rule_id = r, .source_id = s, .area_id = s % 3,
                                 .level = (uint8_t)(1 + (r - 1) % 3),
                                 .respond_ms = s % 2 ? (int64_t)(s % 7) * MIN : 0}; /* some with a card */
            rc = alarm_raise(t, &in, now, &e);
            if (rc == WS_OK) {
                model_count[r][s] = e.ev[e.n - 1].kind == AEV_RAISE ? 1 : model_count[r][s] + 1;
            } else {
                assert_int_equal(rc, WS_ETOOBIG);
                assert_string_equal(ws_err_field(), "alarm_table");
                assert_int_equal(alarm_table_count(t), 24);
                full++;
            }
            break;
        }
        case 3: rc = alarm_clear(t, r, s, now, &e); break;
        case 4: rc = alarm_ack(t, r, s, people[rnd(4)], now, &e); break;
        case 5: {
            alarm_shelve_in sh = {.by = people[rnd(3)], .approver = rnd(2) ? people[rnd(4)] : NULL,
                                  .reason = "test", .until_ms = now + 1 + rnd(60 * MIN)};
            rc = rnd(3) ? alarm_shelve(t, r, s, &sh, now, &e) : alarm_suppress(t, r, s, &sh, now, &e);
            break;
        }
        case 6: rc = alarm_unshelve(t, r, s, people[rnd(3)], now, &e); break;
        case 7:
        case 8: {
            alarm_record rec = {.cause = rnd(8) ? "cause" : NULL, .action = "action",
                                .person = people[rnd(4)]};
            alarm closed;
            rc = alarm_close(t, r, s, &rec, now, &closed, &e);
            if (rc == WS_OK) {
                assert_int_equal(alarm_check(&closed, 0), 0);
                assert_true(closed.closed && !closed.active && closed.acked);
                model_count[r][s] = 0;
                closes++;
            }
            break;
        }
        default:
            break;
        }
        if (rc == WS_OK) ok_ops++;
        else assert_int_equal(e.n, 0); /* a refusal changes nothing and says nothing */
        check_events(e.ev, e.n, t);
        check_table(t, 0);
        /* the timer runs at now (every few operations, as a real one would) */
        if (rnd(3) == 0) {
            do {
                assert_int_equal(alarm_due(t, now, out, 64, &n), WS_OK);
                check_events(out, n, t);
            } while (n > 64 - ALARM_EVBUF);
            check_table(t, now);
        }
    }
    /* the walk reached the interesting places */
    assert_true(ok_ops > 3000);
    assert_true(full > 0);
    assert_true(closes > 50);
    alarm_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quality_values_match_reading_h),
        cmocka_unit_test(combustible_setpoints_and_hysteresis),
        cmocka_unit_test(o2_alarms_in_both_directions),
        cmocka_unit_test(on_and_off_delay_at_the_exact_ms),
        cmocka_unit_test(bad_and_stale_raise_their_own_condition),
        cmocka_unit_test(rate_of_change_raises_prealarm),
        cmocka_unit_test(calm_shortcut_matches_full_evaluation),
        cmocka_unit_test(config_check_names_the_field),
        cmocka_unit_test(late_and_out_of_order_never_raise),
        cmocka_unit_test(dedup_counts_without_a_new_alarm),
        cmocka_unit_test(flapping_alarm_stays_one_chattering_alarm),
        cmocka_unit_test(shelving_ends_at_the_exact_expiry),
        cmocka_unit_test(emergency_shelve_needs_a_different_approver),
        cmocka_unit_test(escalation_step_by_step), cmocka_unit_test(escalation_follows_response_card),
        cmocka_unit_test(close_needs_cleared_acked_and_record),
        cmocka_unit_test(doc_round_trip), cmocka_unit_test(restore_continues_escalation),
        cmocka_unit_test(full_table_is_a_named_error),
        cmocka_unit_test(flood_groups_an_area),
        cmocka_unit_test(invariants_hold_after_random_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
