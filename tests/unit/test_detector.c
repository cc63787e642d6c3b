/* test_detector.c — the streaming detector (anomaly/detector.c): scores stay
 * in [0, 1]; a run saved (struct copied) and restored mid-stream gives the same
 * scores as an uninterrupted one; a level shift in a noisy series scores far
 * above the quiet part; and the sensor-fault flags fire on a stuck value, a
 * drift, a spike and a dropout (gap or missing value) in a synthetic plant
 * signal, and stay quiet on the clean signal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "anomaly/detector.h"

static uint64_t rng = 42;
static double uni(void)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (double)(rng >> 11) / 9007199254740992.0;
}
/* roughly normal noise (sum of uniforms) */
static double noise(void) { return uni() + uni() + uni() + uni() - 2.0; }

#define N 6000
static double xs[N], ts[N];

static void clean_signal(void)
{
    rng = 42;
    for (int i = 0; i < N; i++) {
        ts[i] = 60.0 * i;
        xs[i] = 20.0 + 2.0 * sin(2 * M_PI * i / 1440.0) + 0.3 * noise();
    }
}

static void test_save_restore(void **st)
{
    (void)st;
    clean_signal();
    for (int i = 3000; i < 3100; i++) xs[i] += 5;
    det_params p = det_params_default();
    det_state a, b, saved;
    det_init(&a, &p);
    static double sa[N];
    for (int i = 0; i < N; i++) {
        sa[i] = det_step(&a, ts[i], xs[i]).score;
        assert_true(sa[i] >= 0.0 && sa[i] <= 1.0);
    }
    det_init(&b, &p);
    for (int i = 0; i < 2500; i++) det_step(&b, ts[i], xs[i]);
    memcpy(&saved, &b, sizeof saved);        /* saved to disk, process restarted */
    memset(&b, 0xA5, sizeof b);
    memcpy(&b, &saved, sizeof b);
    for (int i = 2500; i < N; i++) {
        det_out o = det_step(&b, ts[i], xs[i]);
        assert_true(o.score == sa[i]);
    }
}

static void test_level_shift_scores_high(void **st)
{
    (void)st;
    clean_signal();
    for (int i = 4000; i < N; i++) xs[i] += 4;
    det_params p = det_params_default();
    det_state s;
    det_init(&s, &p);
    double quiet_max = 0, event_max = 0;
    for (int i = 0; i < N; i++) {
        double sc = det_step(&s, ts[i], xs[i]).score;
        if (i >= 1500 && i < 4000 && sc > quiet_max)   /* after a first day */ quiet_max = sc;
        if (i >= 4000 && i < 4050 && sc > event_max) event_max = sc;
    }
    printf("quiet max %.3f, after the shift %.3f\n", quiet_max, event_max);
    assert_true(event_max > 0.25);
    assert_true(event_max > quiet_max);   /* the shift outranks every quiet reading */
}

static unsigned flags_in(int from, int to, const unsigned *fl)
{
    unsigned u = 0;
    for (int i = from; i < to; i++) u |= fl[i];
    return u;
}

static void test_sensor_faults(void **st)
{
    (void)st;
    static unsigned fl[N];
    det_params p = det_params_default();
    det_state s;

    clean_signal();
    det_init(&s, &p);
    for (int i = 0; i < N; i++) fl[i] = det_step(&s, ts[i], xs[i]).flags;
    assert_int_equal(flags_in(0, N, fl), 0);          /* clean: no fault */

    clean_signal();
    for (int i = 1500; i < 1600; i++) xs[i] = xs[1499];           /* stuck */
    xs[2500] += 15;                                               /* spike */
    for (int i = 3500; i < N; i++) xs[i] += 0.004 * (i - 3500);   /* drift */
    for (int i = 3000; i < N; i++) ts[i] += 3600;                 /* a 1 h gap */
    xs[3200] = NAN;                                               /* missing */
    det_init(&s, &p);
    for (int i = 0; i < N; i++) fl[i] = det_step(&s, ts[i], xs[i]).flags;
    assert_true(flags_in(1500, 1600, fl) & DET_STUCK);
    assert_false(flags_in(0, 1500, fl) & DET_STUCK);
    assert_true(flags_in(2500, 2502, fl) & DET_SPIKE);
    assert_false(flags_in(0, 2500, fl) & DET_SPIKE);
    assert_true(fl[3000] & DET_DROPOUT);
    assert_true(fl[3200] & DET_DROPOUT);
    assert_false(flags_in(0, 3000, fl) & DET_DROPOUT);
    assert_true(flags_in(3500, N, fl) & DET_DRIFT);
    assert_false(flags_in(0, 3500, fl) & DET_DRIFT);

    /* A level that moves away and comes back: the way out is drift, the
     * way back (a recalibration, the process returning) is not. */
    clean_signal();
    for (int i = 2100; i < 3600; i++) xs[i] += 40;
    det_init(&s, &p);
    for (int i = 0; i < N; i++) fl[i] = det_step(&s, ts[i], xs[i]).flags;
    assert_true(flags_in(2100, 3600, fl) & DET_DRIFT);
    assert_false(flags_in(3600, N, fl) & DET_DRIFT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_restore),
        cmocka_unit_test(test_level_shift_scores_high),
        cmocka_unit_test(test_sensor_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
