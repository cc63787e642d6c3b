/* mvmon.h — multivariate process monitoring of a group of correlated points
 * (e.g. the 52 measurements of one unit): trained on normal operation only,
 * it says when the group as a whole leaves its normal region, even when no
 * single point crosses its own limit, and names the points that contribute
 * most to the departure.
 *
 * Two monitors share this code (docs/internals/mvmon.md has the derivations):
 *  - the classic peer: PCA on standardised variables, Hotelling's T² in the
 *    principal subspace with its 99 % limit from the F distribution, and the
 *    squared prediction error SPE (Q) in the residual subspace with the
 *    Jackson–Mudholkar limit (opts: lags 0, lambda 1, empirical 0);
 *  - worksafe's monitor: the same PCA on lag-stacked samples (dynamic PCA),
 *    whose scores and residuals are smoothed by an EWMA before T² and SPE are
 *    taken; the smoothed and the raw T² and SPE are each scaled by their
 *    quantile on normal data held out from the fit (k-fold, contiguous
 *    blocks) and the alarm is on their maximum, whose limit is again a
 *    held-out quantile — smoothing autocorrelated residuals breaks the
 *    textbook distributions, and too few samples make them optimistic.
 *
 * Pure C11 + libm, no I/O, no clock. A model is trained once (mvmon_train),
 * then samples are fed one at a time in time order (mvmon_step); the model
 * keeps the short history the lags and the EWMA need (mvmon_reset clears it),
 * so one model serves one stream from one thread at a time. */
#ifndef WS_ANOMALY_MVMON_H
#define WS_ANOMALY_MVMON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

typedef struct mvmon_opts {
    int lags;          /* d: the monitored vector stacks x_t, x_{t-1} .. x_{t-d} */
    double cpv;        /* keep the fewest components explaining this share of
                        * variance (0 < cpv < 1), unless ncomp > 0 */
    int ncomp;         /* number of principal components, when > 0 */
    double alpha;      /* confidence of the limits, e.g. 0.99 */
    double lambda;     /* EWMA weight of the newest sample, 0 < lambda <= 1 */
    int empirical;     /* 0: textbook limits (F for T², Jackson–Mudholkar for
                        * SPE); k >= 2: quantiles over k held-out folds */
    bool tail;         /* with empirical: each statistic's limit is the alpha
                        * quantile of g·χ²_h fitted to its held-out values by
                        * their mean and variance, and the alarm is any
                        * statistic over its own limit (phi_lim 1) — for alpha
                        * beyond what the held-out samples can show (99.9 %
                        * of EWMA statistics: a few hundred independent
                        * windows) */
} mvmon_opts;

/* The classic PCA peer: no lags, no smoothing, textbook limits, 90 % CPV. */
mvmon_opts mvmon_opts_pca(void);
/* worksafe's monitor as measured by `make bench-tep` and run by the server
 * (src/warn/monitor.c): lags 2, 70 % CPV, EWMA lambda 0.05, 99 % limits
 * from 5 held-out folds. */
mvmon_opts mvmon_opts_default(void);

typedef struct mvmon mvmon;

typedef struct mvmon_result {
    bool ready;        /* false until the lag history is full: no verdict */
    double t2, t2_lim; /* Hotelling's T² (of the smoothed scores) and limit */
    double spe, spe_lim; /* squared prediction error (of the smoothed residual) and limit */
    double t2_raw, spe_raw; /* the same of this sample alone (= t2, spe when lambda is 1) */
    double phi, phi_lim; /* the decision: phi = max of the statistics in use,
                          * each over its own scale; alarm when phi > phi_lim */
    bool alarm_t2, alarm_spe; /* the T² side (smoothed or raw), the SPE side */
    bool alarm;        /* alarm_t2 || alarm_spe */
} mvmon_result;

/* Fit on n normal samples of p variables, row-major x[i*p + j]. Needs
 * n > 3·p·(lags+1)/2 or so to be meaningful; requires n >= p·(lags+1)+2 and no
 * constant variable. On success *out is the caller's (mvmon_free). */
ws_err mvmon_train(const double *x, size_t n, size_t p, const mvmon_opts *o, mvmon **out);
void mvmon_free(mvmon *m);

/* Forget the lag history and the EWMA state (start of a new stream). */
void mvmon_reset(mvmon *m);

/* Feed the next sample (p values) and fill *r. */
void mvmon_step(mvmon *m, const double *x, mvmon_result *r);

/* Contributions of each of the p points to the statistic that decided the
 * last mvmon_step (the largest of T², SPE — smoothed or raw — over its
 * scale): c[j] = its share of that statistic / the scale, summed over its
 * lagged copies; the shares add up to the statistic exactly (complete
 * decomposition). c has room for p values. Zero before the first ready step.
 * Returns the index of the largest contributor. */
size_t mvmon_contrib(const mvmon *m, double *c);

size_t mvmon_ncomp(const mvmon *m);  /* components kept */
double mvmon_phi_limit(const mvmon *m); /* the alarm limit on phi */
size_t mvmon_dim(const mvmon *m);    /* p·(lags+1) */

/* Distribution helpers, exposed for the unit test: quantiles of the standard
 * normal and of F(d1, d2); the textbook T² limit a(n-1)(n+1)/(n(n-a))·F and
 * the Jackson–Mudholkar SPE limit from the residual eigenvalues. */
double mvmon_norm_quantile(double prob);
double mvmon_f_quantile(double prob, double d1, double d2);
double mvmon_t2_limit(size_t a, size_t n, double alpha);
double mvmon_spe_limit_jm(const double *resid_eig, size_t k, double alpha);

#endif
