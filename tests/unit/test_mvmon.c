/* test_mvmon.c — the multivariate monitor of src/anomaly/mvmon on synthetic
 * correlated data (6 points driven by 2 hidden factors plus noise):
 * the distribution quantiles and textbook limits against table values, the
 * false-alarm rate of normal samples near the nominal 1 %, and a shift of
 * one point detected with that point named as the top contributor — by the
 * PCA peer and by worksafe's monitor (lags, EWMA, held-out limits). Fast:
 * everything is small and deterministic (own PRNG, fixed seed). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "anomaly/mvmon.h"

#define NP 6

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double uni(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
    return sqrt(-2.0 * log(uni())) * cos(6.283185307179586 * uni());
}

/* x = L f + 0.3 e, f ~ N(0, I2), e ~ N(0, I6) */
static void sample(double *x)
{
    static const double L[NP][2] = { { 1, 0 }, { 0.8, 0.3 }, { 0.5, 0.5 }, { 0, 1 }, { -0.6, 0.7 }, { 0.9, -0.4 } };
    double f0 = gauss(), f1 = gauss();
    for (int j = 0; j < NP; j++) x[j] = L[j][0] * f0 + L[j][1] * f1 + 0.3 * gauss() + 10.0 * j;
}

static double *normal_data(size_t n)
{
    double *x = malloc(n * NP * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) sample(x + i * NP);
    return x;
}

static void test_quantiles_and_limits(void **state)
{
    (void)state;
    assert_float_equal(mvmon_norm_quantile(0.99), 2.3263, 1e-3);
    assert_float_equal(mvmon_norm_quantile(0.975), 1.9600, 1e-3);
    /* F tables: F_0.99(2, 10) = 7.559, F_0.95(3, 20) = 3.098, F_0.99(10, 100) = 2.503 */
    assert_float_equal(mvmon_f_quantile(0.99, 2, 10), 7.559, 2e-3);
    assert_float_equal(mvmon_f_quantile(0.95, 3, 20), 3.098, 2e-3);
    assert_float_equal(mvmon_f_quantile(0.99, 10, 100), 2.503, 2e-3);
    /* T² limit a(n-1)(n+1)/(n(n-a)) F_a,n-a: a 2, n 12, 95 % → 286/120 · 4.103 */
    assert_float_equal(mvmon_t2_limit(2, 12, 0.95), 286.0 / 120.0 * 4.1028, 5e-3);
    /* Ten equal residual eigenvalues of 1: SPE is chi-square with 10 degrees
     * of freedom, whose 99 % quantile is 23.209; Jackson–Mudholkar is an
     * approximation of it (23.24 by hand). */
    double ev[10];
    for (int i = 0; i < 10; i++) ev[i] = 1.0;
    assert_float_equal(mvmon_spe_limit_jm(ev, 10, 0.99), 23.24, 0.02);
    assert_true(fabs(mvmon_spe_limit_jm(ev, 10, 0.99) - 23.209) < 0.1);
    /* scaling the eigenvalues scales the limit */
    for (int i = 0; i < 10; i++) ev[i] = 3.0;
    assert_float_equal(mvmon_spe_limit_jm(ev, 10, 0.99), 3 * 23.24, 0.06);
}

static void test_normal_rate_pca(void **state)
{
    (void)state;
    size_t n = 3000, m = 20000;
    double *x = normal_data(n);
    mvmon_opts o = mvmon_opts_pca();
    o.ncomp = 2;
    mvmon *mv = NULL;
    assert_int_equal(mvmon_train(x, n, NP, &o, &mv), WS_OK);
    assert_int_equal(mvmon_ncomp(mv), 2);
    unsigned t2 = 0, spe = 0;
    double xs[NP];
    for (size_t i = 0; i < m; i++) {
        mvmon_result r;
        sample(xs);
        mvmon_step(mv, xs, &r);
        assert_true(r.ready);
        t2 += r.alarm_t2; spe += r.alarm_spe;
    }
    /* 1 % each; 20,000 samples give a binomial SD of 0.07 % */
    assert_in_range(t2, m * 6 / 1000, m * 14 / 1000);
    assert_in_range(spe, m * 6 / 1000, m * 14 / 1000);
    mvmon_free(mv);
    free(x);
}

static void test_shift_named_pca(void **state)
{
    (void)state;
    double *x = normal_data(2000);
    mvmon_opts o = mvmon_opts_pca();
    o.ncomp = 2;
    mvmon *mv = NULL;
    assert_int_equal(mvmon_train(x, 2000, NP, &o, &mv), WS_OK);
    double xs[NP], c[NP];
    unsigned alarms = 0, named = 0;
    for (int i = 0; i < 200; i++) {
        mvmon_result r;
        sample(xs);
        xs[3] += 3.0;   /* point 3 off its correlation with the others */
        mvmon_step(mv, xs, &r);
        if (r.alarm) {
            alarms++;
            if (mvmon_contrib(mv, c) == 3) named++;
        }
    }
    print_message("pca shift: %u alarms, %u named\n", alarms, named);
    assert_true(alarms > 190);
    assert_true(named > alarms * 9 / 10);
    mvmon_free(mv);
    free(x);
}

static void test_monitor_small_shift(void **state)
{
    (void)state;
    size_t n = 1500;
    double *x = normal_data(n);
    mvmon_opts o = { .lags = 1, .ncomp = 4, .alpha = 0.99, .lambda = 0.2, .empirical = 5 };
    mvmon *mv = NULL, *pca = NULL;
    assert_int_equal(mvmon_train(x, n, NP, &o, &mv), WS_OK);
    mvmon_opts po = mvmon_opts_pca();
    po.ncomp = 2;
    assert_int_equal(mvmon_train(x, n, NP, &po, &pca), WS_OK);

    /* normal operation: about the nominal rate (held-out limits are noisy) */
    double xs[NP], c[NP];
    unsigned fa = 0, m = 6000;
    for (unsigned i = 0; i < m; i++) {
        mvmon_result r;
        sample(xs);
        mvmon_step(mv, xs, &r);
        fa += r.alarm;
    }
    assert_true(fa < m * 3 / 100);

    /* a small shift (1.7 noise SDs) in point 2: the smoothed monitor
     * catches it far more often than PCA on single samples, and names it */
    unsigned own = 0, peer = 0, named = 0;
    for (unsigned i = 0; i < 600; i++) {
        mvmon_result r, q;
        sample(xs);
        xs[2] += 0.5;
        mvmon_step(mv, xs, &r);
        mvmon_step(pca, xs, &q);
        own += r.alarm; peer += q.alarm;
        if (r.alarm && mvmon_contrib(mv, c) == 2) named++;
    }
    print_message("small shift: own %u peer %u named %u fa %u\n", own, peer, named, fa);
    assert_true(own > 400);
    assert_true(own > 2 * peer);
    assert_true(named > own * 8 / 10);
    mvmon_free(mv);
    mvmon_free(pca);
    free(x);
}

/* The server's limits (src/warn/monitor.c): 99.99 % points of a scaled χ²
 * fitted to the held-out statistics. On normal data a rate far below the
 * empirical 99 %'s, yet a 3-SD shift of one point is caught within a few
 * samples and named. */
static void test_tail_limits(void **state)
{
    (void)state;
    size_t n = 3000;
    double *x = normal_data(n);
    mvmon_opts o = mvmon_opts_default();
    mvmon_opts t = o;
    t.alpha = 0.9999;
    t.tail = true;
    mvmon *emp = NULL, *tl = NULL;
    assert_int_equal(mvmon_train(x, n, NP, &o, &emp), WS_OK);
    assert_int_equal(mvmon_train(x, n, NP, &t, &tl), WS_OK);
    assert_true(mvmon_phi_limit(tl) == 1.0);
    double xs[NP], c[NP];
    unsigned fe = 0, ft = 0, m = 20000;
    for (unsigned i = 0; i < m; i++) {
        mvmon_result r, q;
        sample(xs);
        mvmon_step(emp, xs, &r);
        mvmon_step(tl, xs, &q);
        fe += r.alarm, ft += q.alarm;
    }
    print_message("tail: empirical 99%% %u, tail 99.99%% %u of %u normal samples\n", fe, ft, m);
    assert_true(fe > 0 && ft * 10 < fe);
    assert_true(ft < m / 1000);
    unsigned first = 0, named = 0;
    for (unsigned i = 1; i <= 60; i++) {
        mvmon_result r;
        sample(xs);
        xs[4] += 0.9;
        mvmon_step(tl, xs, &r);
        if (r.alarm && !first) first = i;
        if (r.alarm && mvmon_contrib(tl, c) == 4) named++;
    }
    assert_true(first > 0 && first <= 10);
    assert_true(named > 0);
    mvmon_free(emp);
    mvmon_free(tl);
    free(x);
}

static void test_rejects_bad_input(void **state)
{
    (void)state;
    double x[40 * NP] = { 0 };   /* constant variables */
    mvmon_opts o = mvmon_opts_pca();
    mvmon *mv = NULL;
    assert_int_equal(mvmon_train(x, 40, NP, &o, &mv), WS_EINVAL);
    assert_null(mv);
    o.lambda = 0;
    assert_int_equal(mvmon_train(x, 40, NP, &o, &mv), WS_EINVAL);
    double *y = normal_data(5);  /* fewer samples than variables + 2 */
    o = mvmon_opts_pca();
    assert_int_equal(mvmon_train(y, 5, NP, &o, &mv), WS_EINVAL);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_and_limits),
        cmocka_unit_test(test_normal_rate_pca),
        cmocka_unit_test(test_shift_named_pca),
        cmocka_unit_test(test_monitor_small_shift),
        cmocka_unit_test(test_tail_limits),
        cmocka_unit_test(test_rejects_bad_input),
    };
    return cmocka_run_group_tests_name("mvmon", tests, NULL, NULL);
}
