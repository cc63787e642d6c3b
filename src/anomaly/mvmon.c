/* mvmon.c — PCA-based multivariate monitoring (see mvmon.h): the symmetric
 * eigen-solver (cyclic Jacobi), the distribution quantiles behind the
 * textbook limits (regularised incomplete beta for F, erfc for the normal),
 * the lag-stacked PCA fit, the EWMA-smoothed T² and SPE, the held-out
 * (k-fold) limits and the complete-decomposition contributions. All written
 * here from the formulas in docs/internals/mvmon.md; only libm is used. */
#include "anomaly/mvmon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mvmon {
    size_t p, d, m, a;   /* variables, lags, stacked dimension, components */
    size_t ntrain;       /* stacked rows the model was fitted on */
    double lambda;
    double *mean, *sd;   /* m each: standardisation of the stacked vector */
    double *P;           /* m × a loadings, row-major P[i*a + k] */
    double *lam;         /* a eigenvalues of the kept components */
    double t2_lim, spe_lim;  /* textbook limits of the (smoothed) T² and SPE */
    /* The decision: phi = max_k stat_k / scale_k over the statistics in use
     * (k: smoothed T², smoothed SPE, raw T², raw SPE); alarm when phi >
     * phi_lim. Textbook mode: scales are the two limits, phi_lim 1, raw
     * statistics unused. Held-out mode: scales and phi_lim are quantiles. */
    double scale[4], phi_lim;
    int nstat;
    double stat[4];      /* last step's statistics */
    /* stream state */
    double *hist;        /* (d+1) × p raw samples, newest first */
    size_t filled;
    double *u, *t, *zt, *ze, *e; /* u m, t a (raw scores), zt a, ze m (EWMA), e m (raw residual) */
    bool have_last;
};

mvmon_opts mvmon_opts_pca(void)
{
    return (mvmon_opts){ .lags = 0, .cpv = 0.90, .ncomp = 0, .alpha = 0.99, .lambda = 1.0,
                         .empirical = 0 };
}

mvmon_opts mvmon_opts_default(void)
{
    return (mvmon_opts){ .lags = 2, .cpv = 0.70, .ncomp = 0, .alpha = 0.99, .lambda = 0.05,
                         .empirical = 5 };
}

/* ---- distributions ---------------------------------------------------- */

double mvmon_norm_quantile(double prob)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < prob) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Continued fraction of the incomplete beta function (even and odd terms
 * d_{2k} = k(b-k)x/((a+2k-1)(a+2k)), d_{2k+1} = -(a+k)(a+b+k)x/((a+2k)(a+2k+1))),
 * evaluated by the modified Lentz method. */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, dd = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(dd) < tiny) dd = tiny;
    dd = 1.0 / dd;
    double h = dd;
    for (int k = 1; k < 1000; k++) {
        double k2 = 2.0 * k;
        double num = k * (b - k) * x / ((a + k2 - 1.0) * (a + k2));
        dd = 1.0 + num * dd; if (fabs(dd) < tiny) dd = tiny;
        c = 1.0 + num / c;   if (fabs(c) < tiny) c = tiny;
        dd = 1.0 / dd; h *= dd * c;
        num = -(a + k) * (a + b + k) * x / ((a + k2) * (a + k2 + 1.0));
        dd = 1.0 + num * dd; if (fabs(dd) < tiny) dd = tiny;
        c = 1.0 + num / c;   if (fabs(c) < tiny) c = tiny;
        dd = 1.0 / dd;
        double del = dd * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15) break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lfront = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b));
    if (x < (a + 1.0) / (a + b + 2.0)) return exp(lfront) * beta_cf(a, b, x) / a;
    return 1.0 - exp(lfront) * beta_cf(b, a, 1.0 - x) / b;
}

/* P(F <= f) = I_{d1 f/(d1 f + d2)}(d1/2, d2/2): solve for x, then f. */
double mvmon_f_quantile(double prob, double d1, double d2)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (beta_inc(d1 / 2, d2 / 2, mid) < prob) lo = mid; else hi = mid;
    }
    double x = 0.5 * (lo + hi);
    return d2 * x / (d1 * (1.0 - x));
}

double mvmon_t2_limit(size_t a, size_t n, double alpha)
{
    double A = (double)a, N = (double)n;
    return A * (N - 1) * (N + 1) / (N * (N - A)) * mvmon_f_quantile(alpha, A, N - A);
}

double mvmon_spe_limit_jm(const double *ev, size_t k, double alpha)
{
    double th1 = 0, th2 = 0, th3 = 0;
    for (size_t i = 0; i < k; i++) {
        double l = ev[i] > 0 ? ev[i] : 0;
        th1 += l; th2 += l * l; th3 += l * l * l;
    }
    if (th1 <= 0 || th2 <= 0) return 0;
    double h0 = 1.0 - 2.0 * th1 * th3 / (3.0 * th2 * th2);
    if (h0 < 1e-3) h0 = 1e-3;  /* extreme eigenvalue spread: keep the root defined */
    double c = mvmon_norm_quantile(alpha);
    double base = c * sqrt(2.0 * th2 * h0 * h0) / th1 + 1.0 + th2 * h0 * (h0 - 1.0) / (th1 * th1);
    if (base <= 0) return 0;
    return th1 * pow(base, 1.0 / h0);
}

/* ---- linear algebra --------------------------------------------------- */

/* Eigen-decomposition of the symmetric m × m matrix A (destroyed) by cyclic
 * Jacobi rotations: A ← JᵀAJ with tan φ = sgn θ/(|θ| + √(θ²+1)),
 * θ = (A_qq − A_pp)/(2A_pq), which zeroes A_pq. V (m × m, row-major) gets the
 * eigenvectors as columns, ev the eigenvalues, both sorted descending. */
static void jacobi_eig(double *A, size_t m, double *V, double *ev)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) V[i * m + j] = (i == j);
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (size_t i = 0; i < m; i++) {
            diag += A[i * m + i] * A[i * m + i];
            for (size_t j = i + 1; j < m; j++) off += A[i * m + j] * A[i * m + j];
        }
        if (off <= 1e-26 * diag) break;
        for (size_t p = 0; p < m; p++) {
            for (size_t q = p + 1; q < m; q++) {
                double apq = A[p * m + q];
                if (fabs(apq) < 1e-300) continue;
                double theta = (A[q * m + q] - A[p * m + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (size_t k = 0; k < m; k++) {   /* columns: A J */
                    double akp = A[k * m + p], akq = A[k * m + q];
                    A[k * m + p] = c * akp - s * akq;
                    A[k * m + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < m; k++) {   /* rows: Jᵀ (A J) */
                    double apk = A[p * m + k], aqk = A[q * m + k];
                    A[p * m + k] = c * apk - s * aqk;
                    A[q * m + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < m; k++) {   /* V J */
                    double vkp = V[k * m + p], vkq = V[k * m + q];
                    V[k * m + p] = c * vkp - s * vkq;
                    V[k * m + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    for (size_t i = 0; i < m; i++) ev[i] = A[i * m + i];
    /* selection sort, descending, moving eigenvector columns along */
    for (size_t i = 0; i < m; i++) {
        size_t b = i;
        for (size_t j = i + 1; j < m; j++) if (ev[j] > ev[b]) b = j;
        if (b == i) continue;
        double tmp = ev[i]; ev[i] = ev[b]; ev[b] = tmp;
        for (size_t k = 0; k < m; k++) {
            tmp = V[k * m + i]; V[k * m + i] = V[k * m + b]; V[k * m + b] = tmp;
        }
    }
}

/* ---- model ------------------------------------------------------------ */

void mvmon_free(mvmon *m)
{
    if (!m) return;
    free(m->mean); free(m->sd); free(m->P); free(m->lam); free(m->hist);
    free(m->u); free(m->t); free(m->zt); free(m->ze); free(m->e);
    free(m);
}

void mvmon_reset(mvmon *m)
{
    m->filled = 0;
    m->have_last = false;
    memset(m->zt, 0, m->a * sizeof *m->zt);
    memset(m->ze, 0, m->m * sizeof *m->ze);
}

/* Row t of the stacked matrix is valid when rows t-d..t exist and are used. */
static bool stack_ok(const unsigned char *use, size_t t, size_t d)
{
    if (t < d) return false;
    for (size_t l = 0; l <= d; l++) if (use && !use[t - l]) return false;
    return true;
}

/* Fit on the rows of x marked in use (all when NULL); a_fixed > 0 forces the
 * number of components. Textbook limits. Caller owns *out. */
static ws_err fit(const double *x, size_t n, size_t p, const unsigned char *use,
                  const mvmon_opts *o, size_t a_fixed, mvmon **out)
{
    size_t d = (size_t)o->lags, dim = p * (d + 1);
    ws_err rc = WS_ENOMEM;
    double *C = NULL, *V = NULL, *ev = NULL, *row = NULL;
    mvmon *m = calloc(1, sizeof *m);
    if (!m) return ws_fail(WS_ENOMEM, NULL, "mvmon: out of memory");
    m->p = p; m->d = d; m->m = dim; m->lambda = o->lambda;
    m->mean = calloc(dim, sizeof *m->mean); m->sd = calloc(dim, sizeof *m->sd);
    m->hist = calloc(dim, sizeof *m->hist); m->u = calloc(dim, sizeof *m->u);
    m->ze = calloc(dim, sizeof *m->ze); m->e = calloc(dim, sizeof *m->e);
    C = calloc(dim * dim, sizeof *C); V = calloc(dim * dim, sizeof *V);
    ev = calloc(dim, sizeof *ev); row = calloc(dim, sizeof *row);
    if (!m->mean || !m->sd || !m->hist || !m->u || !m->ze || !m->e || !C || !V || !ev || !row) goto fail;

    size_t N = 0;
    for (size_t t = 0; t < n; t++) {
        if (!stack_ok(use, t, d)) continue;
        N++;
        for (size_t l = 0; l <= d; l++)
            for (size_t j = 0; j < p; j++) m->mean[l * p + j] += x[(t - l) * p + j];
    }
    if (N < dim + 2) { rc = ws_fail(WS_EINVAL, "n", "mvmon: %zu usable samples for %zu variables", N, dim); goto fail; }
    for (size_t i = 0; i < dim; i++) m->mean[i] /= (double)N;
    for (size_t t = 0; t < n; t++) {
        if (!stack_ok(use, t, d)) continue;
        for (size_t l = 0; l <= d; l++)
            for (size_t j = 0; j < p; j++) {
                double v = x[(t - l) * p + j] - m->mean[l * p + j];
                m->sd[l * p + j] += v * v;
            }
    }
    for (size_t i = 0; i < dim; i++) {
        m->sd[i] = sqrt(m->sd[i] / (double)(N - 1));
        if (!(m->sd[i] > 1e-12)) { rc = ws_fail(WS_EINVAL, "x", "mvmon: variable %zu is constant", i % p); goto fail; }
    }
    for (size_t t = 0; t < n; t++) {   /* correlation matrix, upper triangle */
        if (!stack_ok(use, t, d)) continue;
        for (size_t l = 0; l <= d; l++)
            for (size_t j = 0; j < p; j++)
                row[l * p + j] = (x[(t - l) * p + j] - m->mean[l * p + j]) / m->sd[l * p + j];
        for (size_t i = 0; i < dim; i++) {
            double ri = row[i];
            double *ci = C + i * dim;
            for (size_t j = i; j < dim; j++) ci[j] += ri * row[j];
        }
    }
    for (size_t i = 0; i < dim; i++)
        for (size_t j = i; j < dim; j++) {
            C[i * dim + j] /= (double)(N - 1);
            C[j * dim + i] = C[i * dim + j];
        }
    jacobi_eig(C, dim, V, ev);

    size_t a = a_fixed;
    if (a == 0 && o->ncomp > 0) a = (size_t)o->ncomp;
    if (a == 0) {
        double tot = 0, acc = 0;
        for (size_t i = 0; i < dim; i++) tot += ev[i] > 0 ? ev[i] : 0;
        while (a < dim && acc < o->cpv * tot) acc += ev[a++];
    }
    if (a < 1) a = 1;
    if (a >= dim) a = dim - 1;
    if (a >= N - 1) a = N - 2;
    m->a = a; m->ntrain = N;
    m->P = calloc(dim * a, sizeof *m->P); m->lam = calloc(a, sizeof *m->lam);
    m->t = calloc(a, sizeof *m->t); m->zt = calloc(a, sizeof *m->zt);
    if (!m->P || !m->lam || !m->t || !m->zt) goto fail;
    for (size_t k = 0; k < a; k++) {
        m->lam[k] = ev[k];
        for (size_t i = 0; i < dim; i++) m->P[i * a + k] = V[i * dim + k];
    }
    /* Textbook limits; an EWMA of independent samples has λ/(2−λ) of their
     * variance, so both limits scale by that factor (exact only when
     * samples are independent — the held-out limits replace them). */
    double f = o->lambda / (2.0 - o->lambda);
    m->t2_lim = f * mvmon_t2_limit(a, N, o->alpha);
    m->spe_lim = f * mvmon_spe_limit_jm(ev + a, dim - a, o->alpha);
    m->scale[0] = m->t2_lim; m->scale[1] = m->spe_lim; m->nstat = 2; m->phi_lim = 1.0;
    mvmon_reset(m);
    free(C); free(V); free(ev); free(row);
    *out = m;
    return WS_OK;
fail:
    free(C); free(V); free(ev); free(row);
    mvmon_free(m);
    if (rc == WS_ENOMEM) ws_fail(WS_ENOMEM, NULL, "mvmon: out of memory");
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between order statistics at position q·(k−1). */
static double quantile(double *v, size_t k, double q)
{
    qsort(v, k, sizeof *v, cmp_double);
    double pos = q * (double)(k - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= k) return v[k - 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

ws_err mvmon_train(const double *x, size_t n, size_t p, const mvmon_opts *o, mvmon **out)
{
    if (!x || !o || !out || p == 0 || o->lags < 0 || !(o->lambda > 0 && o->lambda <= 1) ||
        !(o->alpha > 0.5 && o->alpha < 1) || (o->ncomp <= 0 && !(o->cpv > 0 && o->cpv < 1)))
        return ws_fail(WS_EINVAL, NULL, "mvmon: bad options");
    mvmon *m = NULL;
    ws_err rc = fit(x, n, p, NULL, o, 0, &m);
    if (rc) return rc;
    if (o->empirical < 2) { *out = m; return WS_OK; }

    /* Held-out limits: k contiguous folds; each is monitored by a model
     * fitted on the other rows, from a fresh stream; the first d + 2/λ
     * samples of a fold (history filling, EWMA start-up) are not counted. */
    size_t k = (size_t)o->empirical;
    size_t warm = m->d + (size_t)ceil(2.0 / o->lambda) - 1;
    int ns = o->lambda < 1 ? 4 : 2;
    unsigned char *use = malloc(n);
    double *st = malloc(4 * n * sizeof *st), *col = malloc(n * sizeof *col);
    size_t cnt = 0;
    rc = WS_ENOMEM;
    if (!use || !st || !col) { ws_fail(WS_ENOMEM, NULL, "mvmon: out of memory"); goto fail; }
    for (size_t f = 0; f < k; f++) {
        size_t lo = n * f / k, hi = n * (f + 1) / k;
        for (size_t i = 0; i < n; i++) use[i] = (i < lo || i >= hi);
        mvmon *fm = NULL;
        rc = fit(x, n, p, use, o, m->a, &fm);
        if (rc) goto fail;
        for (size_t i = lo; i < hi; i++) {
            mvmon_result r;
            mvmon_step(fm, x + i * p, &r);
            if (r.ready && i - lo >= warm) { memcpy(st + 4 * cnt, fm->stat, sizeof fm->stat); cnt++; }
        }
        mvmon_free(fm);
    }
    if (cnt < 20) { rc = ws_fail(WS_EINVAL, "n", "mvmon: too few held-out samples (%zu)", cnt); goto fail; }
    if (o->tail) {
        /* moment-matched g·χ²_h (Box), its quantile by Wilson–Hilferty */
        double z = mvmon_norm_quantile(o->alpha);
        for (int s = 0; s < ns; s++) {
            double mu = 0, var = 0;
            for (size_t i = 0; i < cnt; i++) mu += st[4 * i + s];
            mu /= (double)cnt;
            for (size_t i = 0; i < cnt; i++) var += (st[4 * i + s] - mu) * (st[4 * i + s] - mu);
            var /= (double)(cnt - 1);
            double lim = 1e-12;
            if (mu > 0 && var > 0) {
                double g = var / (2 * mu), h = 2 * mu * mu / var, c = 2.0 / (9 * h);
                double w = 1 - c + z * sqrt(c);
                lim = g * h * w * w * w;
            }
            m->scale[s] = lim > 1e-12 ? lim : 1e-12;
        }
        m->phi_lim = 1;
        m->nstat = ns;
        m->t2_lim = m->scale[0];
        m->spe_lim = m->scale[1];
        free(use); free(st); free(col);
        *out = m;
        return WS_OK;
    }
    /* each statistic scaled by its own held-out quantile, then the quantile
     * of their maximum is the one limit */
    for (int s = 0; s < ns; s++) {
        for (size_t i = 0; i < cnt; i++) col[i] = st[4 * i + s];
        m->scale[s] = quantile(col, cnt, o->alpha);
        if (!(m->scale[s] > 0)) m->scale[s] = 1e-12;
    }
    for (size_t i = 0; i < cnt; i++) {
        double phi = 0;
        for (int s = 0; s < ns; s++) if (st[4 * i + s] / m->scale[s] > phi) phi = st[4 * i + s] / m->scale[s];
        col[i] = phi;
    }
    m->phi_lim = quantile(col, cnt, o->alpha);
    m->nstat = ns;
    m->t2_lim = m->scale[0] * m->phi_lim;
    m->spe_lim = m->scale[1] * m->phi_lim;
    free(use); free(st); free(col);
    *out = m;
    return WS_OK;
fail:
    free(use); free(st); free(col);
    mvmon_free(m);
    return rc;
}

void mvmon_step(mvmon *m, const double *x, mvmon_result *r)
{
    size_t p = m->p, a = m->a, dim = m->m;
    memmove(m->hist + p, m->hist, m->d * p * sizeof *m->hist);
    memcpy(m->hist, x, p * sizeof *x);
    if (m->filled < m->d + 1) m->filled++;
    memset(r, 0, sizeof *r);
    r->t2_lim = m->t2_lim; r->spe_lim = m->spe_lim;
    if (m->filled < m->d + 1) return;
    for (size_t i = 0; i < dim; i++) m->u[i] = (m->hist[i] - m->mean[i]) / m->sd[i];
    for (size_t k = 0; k < a; k++) m->t[k] = 0;
    for (size_t i = 0; i < dim; i++) {
        const double *Pi = m->P + i * a;
        for (size_t k = 0; k < a; k++) m->t[k] += Pi[k] * m->u[i];
    }
    double lam = m->lambda, t2 = 0, spe = 0, t2r = 0, sper = 0;
    for (size_t k = 0; k < a; k++) {
        m->zt[k] = lam * m->t[k] + (1 - lam) * m->zt[k];
        t2 += m->zt[k] * m->zt[k] / m->lam[k];
        t2r += m->t[k] * m->t[k] / m->lam[k];
    }
    for (size_t i = 0; i < dim; i++) {
        const double *Pi = m->P + i * a;
        double e = m->u[i];
        for (size_t k = 0; k < a; k++) e -= Pi[k] * m->t[k];
        m->e[i] = e;
        m->ze[i] = lam * e + (1 - lam) * m->ze[i];
        spe += m->ze[i] * m->ze[i];
        sper += e * e;
    }
    m->stat[0] = t2; m->stat[1] = spe; m->stat[2] = t2r; m->stat[3] = sper;
    m->have_last = true;
    double pt = t2 / m->scale[0], ps = spe / m->scale[1];
    if (m->nstat == 4) {
        if (t2r / m->scale[2] > pt) pt = t2r / m->scale[2];
        if (sper / m->scale[3] > ps) ps = sper / m->scale[3];
    }
    r->ready = true;
    r->t2 = t2; r->spe = spe; r->t2_raw = t2r; r->spe_raw = sper;
    r->phi = pt > ps ? pt : ps;
    r->phi_lim = m->phi_lim;
    r->alarm_t2 = pt > m->phi_lim;
    r->alarm_spe = ps > m->phi_lim;
    r->alarm = r->alarm_t2 || r->alarm_spe;
}

size_t mvmon_contrib(const mvmon *m, double *c)
{
    size_t p = m->p, a = m->a;
    for (size_t j = 0; j < p; j++) c[j] = 0;
    if (!m->have_last) return 0;
    /* the statistic that decides phi, and its scores or residuals */
    int w = 0;
    for (int s = 1; s < m->nstat; s++) if (m->stat[s] / m->scale[s] > m->stat[w] / m->scale[w]) w = s;
    const double *sc = w == 2 ? m->t : m->zt, *res = w == 3 ? m->e : m->ze;
    for (size_t i = 0; i < m->m; i++) {
        double v;
        if (w == 0 || w == 2) {   /* (P Λ^{-1/2} t)_i: its square is i's share of T² */
            const double *Pi = m->P + i * a;
            v = 0;
            for (size_t k = 0; k < a; k++) v += Pi[k] * sc[k] / sqrt(m->lam[k]);
        } else {
            v = res[i];           /* e_i²: its share of SPE */
        }
        c[i % p] += v * v / m->scale[w];
    }
    size_t best = 0;
    for (size_t j = 1; j < p; j++) if (c[j] > c[best]) best = j;
    return best;
}
size_t mvmon_ncomp(const mvmon *m) { return m->a; }
size_t mvmon_dim(const mvmon *m) { return m->m; }
double mvmon_phi_limit(const mvmon *m) { return m->phi_lim; }
