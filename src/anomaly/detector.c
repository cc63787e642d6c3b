/* detector.c — the streaming detector of detector.h. Per reading:
 * 1. surprise e: the largest of the level's distance from its EWMA at three
 *    time scales, each in units of that scale's mean absolute deviation;
 * 2. the recent mean of log(1 + e) compared with its long-run mean and
 *    variance gives z (how much more surprising the last readings are than
 *    this series usually is), mapped to [0, 1];
 * 2b. context novelty: a run of value buckets (over the point's measuring
 *    range when known, else the range seen), or a (time of day, value) pair,
 *    never seen before in this series;
 * 2c. distribution check: the histogram of the last readings against the
 *    readings before them (a level, spread or shape that has changed even
 *    where each reading alone is unremarkable);
 * 3. after an alarm, the following readings are damped so that one event
 *    raises one alarm;
 * 4. sensor-fault checks run beside it on statistics of their own.
 * Why each step, and how the constants were chosen: docs/internals/anomaly.md. */
#include "anomaly/detector.h"

#include <math.h>
#include <string.h>

det_params det_params_default(void)
{
    det_params p = {
        .alpha = { 0.5, 0.3, 0.005 },
        .alpha_short = 0.1,
        .alpha_long = 0.01,
        .z_scale = 3.0,
        .suppress_at = 0.3,
        .suppress_n = 200,
        .suppress_gain = 0.7,
        .suppress_frac = 0.15,
        .warmup = 10,
        .dev_cap = 0.1,
        .peak_pow = 0.25,
        .peak_decay = 0.9999,
        .w_ctx = 0.8,
        .ctx_k = 5,
        .alpha_ctx = 1.0,
        .ctx_floor = 0.3,
        .ctx_order = 2,
        .w_dist = 0.4,
        .dist_w = 160,
        .dist_k = 12,
        .dist_rate = 0.003,
        .dist_alpha = 0.01,
        .w_tod = 1.2,
        .tod_k = 7,
        .tod_h = 8,
        .stuck_n = 30,
        .spike_k = 8.0,
        .drift_h = 3.0,
        .gap_k = 5.0,
    };
    return p;
}

void det_init(det_state *s, const det_params *p)
{
    memset(s, 0, sizeof *s);
    s->p = *p;
}

/* The point's measuring range: contexts are bucketed over it from now on. */
void det_set_range(det_state *s, double lo, double hi)
{
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo)) return;
    s->fixed = 1;
    s->rlo = lo;
    s->rhi = hi;
}

static double ewma(double m, double x, double a) { return m + a * (x - m); }

det_out det_step(det_state *s, double t, double x)
{
    const det_params *p = &s->p;
    det_out o = { 0.0, 0 };
    if (isnan(x) || isinf(x)) {               /* a missing reading */
        o.flags |= DET_DROPOUT;
        return o;
    }
    if (s->n == 0) {
        s->last_t = t; s->last_x = x; s->lo = s->hi = x;
        for (int k = 0; k < DET_SCALES; k++) s->m[k] = x;
        s->drift_m = x;
        s->sp_m = x;
        s->n = 1;
        return o;
    }
    /* dropouts: an interval far over the usual one */
    double gap = t - s->last_t;
    if (s->n > 10 && s->dt > 0 && gap > p->gap_k * s->dt) o.flags |= DET_DROPOUT;
    s->dt = s->n == 1 ? gap : ewma(s->dt, gap < 0 ? 0 : gap, 0.05);

    if (x < s->lo) s->lo = x;
    if (x > s->hi) s->hi = x;
    double eps = 1e-3 * (s->hi - s->lo) + 1e-12;

    /* 1. surprise */
    double e = 0;
    for (int k = 0; k < DET_SCALES; k++) {
        double dev = fabs(x - s->m[k]);
        double z = dev / (s->d[k] + eps);
        if (z > e) e = z;
        double ak = p->alpha[k], inv = 1.0 / (double)s->n;   /* bias-corrected start */
        if (ak < inv) ak = inv;
        double ad = ak < p->dev_cap ? ak : p->dev_cap;
        if (ad < inv) ad = inv;
        s->d[k] = ewma(s->d[k], dev, ad);
        s->m[k] = ewma(s->m[k], x, ak);
    }
    /* 2. recent surprise against the series' usual surprise */
    double le = log1p(e);
    s->sh = s->n == 1 ? le : ewma(s->sh, le, p->alpha_short);
    double sd = sqrt(s->var) + 1e-6;
    double z = (s->sh - s->mu) / sd;
    double a = s->n < 2 ? 1.0 : p->alpha_long > 1.0 / (double)s->n ? p->alpha_long
                                                                    : 1.0 / (double)s->n;
    double dmu = le - s->mu;
    s->mu += a * dmu;
    s->var = (1 - a) * (s->var + a * dmu * dmu);
    double score = z > 0 ? z / (z + p->z_scale) : 0.0;
    /* novelty against this series' own past: damp what is no more surprising
     * than the (slowly forgotten) largest surprise seen so far */
    if (p->peak_pow > 0 && s->n >= p->warmup) {
        if (z < s->zpk && s->zpk > 0) score *= pow(z > 0 ? z / s->zpk : 0.0, p->peak_pow);
        s->zpk *= p->peak_decay;
        if (z > s->zpk) s->zpk = z;
    }
    if (s->n < p->warmup) score = 0;

    /* 2b. context novelty: the run of the last ctx_order + 1 value buckets
     * (over the measuring range, else the range seen so far), remembered in
     * a bitset; a run never seen before is a behaviour this series has not
     * shown */
    double clo = s->fixed ? s->rlo : s->lo, chi = s->fixed ? s->rhi : s->hi;
    double xc = x < clo ? clo : x > chi ? chi : x;
    if (p->w_ctx > 0 && chi > clo) {
        double kb = p->ctx_k;
        uint32_t b = (uint32_t)((xc - clo) / (chi - clo) * (kb - 1) + 0.5);
        uint32_t h = b + 1;
        for (uint32_t j = 0; j < p->ctx_order && j < DET_CTX_HIST; j++)
            h = (h * 2654435761u) ^ (s->ctx_hist[j] + 1);
        h = (h ^ (h >> 15)) * 2246822519u;
        h = (h ^ (h >> 13)) & (DET_CTX_BITS - 1);
        int seen = (s->ctx[h >> 3] >> (h & 7)) & 1;
        s->ctx[h >> 3] |= (uint8_t)(1u << (h & 7));
        s->ctx_nov = ewma(s->ctx_nov, seen ? 0.0 : 1.0, p->alpha_ctx);
        memmove(s->ctx_hist + 1, s->ctx_hist, (DET_CTX_HIST - 1) * sizeof s->ctx_hist[0]);
        s->ctx_hist[0] = b;
        double cs = p->w_ctx * s->ctx_nov * (p->ctx_floor + (1 - p->ctx_floor) * score);
        /* the same for (time of day, value): a level never seen at this hour */
        if (p->w_tod > 0) {
            double tb = floor(fmod(t, 86400.0) / (3600.0 * p->tod_h));
            uint32_t vb = (uint32_t)((xc - clo) / (chi - clo) * (p->tod_k - 1) + 0.5);
            uint32_t g = ((uint32_t)tb * 0x9E3779B1u) ^ ((vb + 7) * 0x85EBCA6Bu) ^ 0x5bd1e995u;
            g = (g ^ (g >> 15)) * 2246822519u;
            g = (g ^ (g >> 13)) & (DET_CTX_BITS - 1);
            int seen2 = (s->ctx[g >> 3] >> (g & 7)) & 1;
            s->ctx[g >> 3] |= (uint8_t)(1u << (g & 7));
            double ct = seen2 ? 0.0 : p->w_tod * (p->ctx_floor + (1 - p->ctx_floor) * score);
            if (ct > cs) cs = ct;
        }
        if (cs > score) score = cs > 1 ? 1 : cs;
    }
    /* 2c. distribution check: the last dist_w readings, counted in dist_k
     * buckets over the same range, against the readings before them; the
     * Hellinger distance between the two, as surprising as it is against
     * this series' usual distance */
    if (p->w_dist > 0 && chi > clo) {
        uint32_t W = p->dist_w < 2 ? 2 : p->dist_w > DET_DIST_MAX ? DET_DIST_MAX : (uint32_t)p->dist_w;
        uint32_t K = p->dist_k < 2 ? 2 : p->dist_k > DET_DIST_KMAX ? DET_DIST_KMAX : (uint32_t)p->dist_k;
        uint32_t b = (uint32_t)((xc - clo) / (chi - clo) * (double)(K - 1) + 0.5);
        if (s->dn == W) {                       /* the oldest leaves for the reference */
            uint32_t old = s->dring[s->dpos];
            s->dcnt[old]--;
            for (uint32_t j = 0; j < K; j++) s->dref[j] *= 1 - p->dist_rate;
            s->dref[old] += p->dist_rate;
            s->dref_sum = s->dref_sum * (1 - p->dist_rate) + p->dist_rate;
            s->dleft++;
        } else {
            s->dn++;
        }
        s->dring[s->dpos] = (uint8_t)b;
        s->dcnt[b]++;
        s->dpos = s->dpos + 1 == W ? 0 : s->dpos + 1;
        if (s->dleft >= W) {
            double bc = 0;
            for (uint32_t j = 0; j < K; j++)
                if (s->dcnt[j]) bc += sqrt((double)s->dcnt[j] / (double)W * s->dref[j] / s->dref_sum);
            double hd = bc < 1 ? sqrt(1 - bc) : 0;
            double zd = (hd - s->dmu) / (sqrt(s->dvar) + 1e-6);
            double ad = 1.0 / (double)(s->dleft - W + 1);
            if (ad < p->dist_alpha) ad = p->dist_alpha;
            double dd = hd - s->dmu;
            s->dmu += ad * dd;
            s->dvar = (1 - ad) * (s->dvar + ad * dd * dd);
            double ds = zd > 0 ? p->w_dist * zd / (zd + p->z_scale) : 0;
            if (ds > score) score = ds > 1 ? 1 : ds;
        }
    }
    if (s->n < p->warmup) score = 0;

    /* 3. one alarm per event */
    if (s->quiet > 0) {
        s->quiet--;
        score *= p->suppress_gain;
    } else if (score >= p->suppress_at) {
        double qn = p->suppress_frac * (double)s->n;    /* longer series, longer events */
        s->quiet = qn > (double)p->suppress_n ? (uint32_t)qn : p->suppress_n;
    }
    o.score = score;

    /* 4. sensor faults, each on its own statistics so the score's tuning
     * does not move them */
    double fa = 1.0 / (double)s->n > 0.01 ? 1.0 / (double)s->n : 0.01;
    s->same = x == s->last_x ? s->same + 1 : 0;
    if (s->same + 1 >= p->stuck_n && s->sp_d > eps) o.flags |= DET_STUCK;
    double dev_now = (x - s->sp_m) / (s->sp_d + eps);
    if (s->n > p->warmup && fabs(s->prev_dev) > p->spike_k && fabs(dev_now) < 0.5 * p->spike_k)
        o.flags |= DET_SPIKE;
    s->prev_dev = s->n > p->warmup ? dev_now : 0;
    s->sp_d = ewma(s->sp_d, fabs(x - s->sp_m), fa);
    s->sp_m = ewma(s->sp_m, x, fa);
    if (s->n <= DET_DRIFT_LEARN) {        /* learn the reference level and spread */
        double dm0 = x - s->drift_m;      /* Welford: drift_d holds the sum of squares */
        s->drift_m += dm0 / (double)s->n;
        s->drift_d += dm0 * (x - s->drift_m);
        s->drift_base = s->drift_ref = s->drift_m;
        if (s->n == DET_DRIFT_LEARN) s->drift_d = sqrt(s->drift_d / (double)s->n);
    } else {
        s->drift_m = ewma(s->drift_m, x, 0.001);
        if (fabs(s->drift_m - s->drift_base) > p->drift_h * (s->drift_d + eps)) {
            /* once per step; only a step away from the learnt level is drift —
             * the way back (after a real disturbance, a recalibration) is not */
            if (fabs(s->drift_m - s->drift_ref) > fabs(s->drift_base - s->drift_ref)) o.flags |= DET_DRIFT;
            s->drift_base = s->drift_m;
        }
    }

    s->last_t = t;
    s->last_x = x;
    s->n++;
    if (o.score > 1) o.score = 1;
    return o;
}
