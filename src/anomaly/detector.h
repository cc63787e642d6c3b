/* detector.h — a streaming anomaly detector for one sensor series: one call
 * per reading, constant time and memory, no training step. Gives a score in
 * [0, 1] per reading (how unusual the recent readings are for this series)
 * and flags the plant's own sensor faults: stuck value, drift, spikes,
 * dropouts. Its whole state is the plain struct below: copying its bytes
 * saves it, copying them back restores it (no pointers inside).
 * Method and its reasons: docs/internals/anomaly.md. */
#ifndef WS_ANOMALY_DETECTOR_H
#define WS_ANOMALY_DETECTOR_H

#include <stdint.h>

#define DET_SCALES 3
#define DET_CTX_BITS (1u << 14)
#define DET_CTX_HIST 6
#define DET_DIST_MAX 256       /* longest window of the distribution check */
#define DET_DIST_KMAX 16       /* most value buckets of its histograms */
#define DET_DRIFT_LEARN 2000  /* readings that set the drift reference (a day at 1/min) */

/* Tunable constants; det_params_default() gives the values chosen on half A
 * of the NAB corpus (bench/nab). */
typedef struct {
    double alpha[DET_SCALES];  /* EWMA weights of the level at three time scales */
    double alpha_short;        /* averaging of the surprise over the recent readings */
    double alpha_long;         /* its long-run mean and variance */
    double z_scale;            /* score = z / (z + z_scale) for z > 0 */
    double suppress_at;        /* after a score this high ... */
    uint32_t suppress_n;       /* ... the next readings are damped for this many */
    double suppress_gain;      /* by this factor */
    double suppress_frac;      /* or for this share of the readings seen, if longer */
    uint32_t warmup;           /* readings learnt before any score */
    double dev_cap;            /* largest EWMA weight of the deviations */
    double peak_pow;           /* damping of surprises below the past peak (0 = off) */
    double peak_decay;         /* per-reading forgetting of that peak */
    double w_ctx;              /* weight of context novelty (0 = off) */
    double ctx_k;              /* value buckets over the measuring range (or the range seen) */
    double alpha_ctx;          /* averaging of the "new context" indicator */
    uint32_t ctx_order;        /* previous buckets in a context */
    double w_tod;              /* weight of (time of day, value) novelty (0 = off) */
    double tod_k, tod_h;       /* its value buckets and hours per time bucket */
    double ctx_floor;          /* a new context scores this, plus the rest times the surprise score */
    double w_dist;             /* weight of the distribution check (0 = off) */
    double dist_w;             /* its window: the last this many readings ... */
    double dist_k;             /* ... in this many value buckets, against the readings before */
    double dist_rate;          /* the reference's EWMA weight per reading leaving the window */
    double dist_alpha;         /* averaging of the distance's long-run mean and variance */
    /* sensor faults */
    uint32_t stuck_n;          /* this many identical readings in a row = stuck */
    double spike_k;            /* a reading this many deviations away that returns = spike */
    double drift_h;            /* slow level this many start spreads away = drift */
    double gap_k;              /* interval over this many typical intervals = dropout */
} det_params;

enum {
    DET_STUCK = 1u << 0,
    DET_DRIFT = 1u << 1,
    DET_SPIKE = 1u << 2,
    DET_DROPOUT = 1u << 3,
};

typedef struct {
    det_params p;
    uint64_t n;                 /* readings learnt */
    double last_t, last_x, dt;  /* previous timestamp and value; typical interval */
    double lo, hi;              /* range seen */
    double m[DET_SCALES], d[DET_SCALES];   /* level EWMA and mean absolute deviation */
    double sh, mu, var;         /* surprise: recent mean; long-run mean and variance */
    uint8_t ctx[DET_CTX_BITS / 8];   /* contexts seen (hashed) */
    uint32_t ctx_hist[DET_CTX_HIST]; /* previous buckets, latest first */
    double ctx_nov;                  /* recent share of new contexts */
    double zpk;                 /* decayed peak of z */
    uint32_t quiet;             /* readings still damped after an alarm */
    uint32_t same;              /* identical readings in a row */
    double prev_dev;            /* previous reading's deviation (for spikes) */
    double sp_m, sp_d;          /* medium level and deviation (spikes, stuck) */
    double drift_m, drift_d;    /* slow level; standard deviation learnt at the start */
    double drift_base;          /* the level drift is measured from */
    double rlo, rhi;            /* the point's measuring range, when known */
    int fixed;                  /* 1: contexts are bucketed over rlo..rhi */
    double drift_ref;           /* the level learnt at the start: steps back toward it are no drift */
    /* distribution check: the window's bucket counts against the reference */
    uint8_t dring[DET_DIST_MAX];     /* buckets of the window's readings, oldest at dpos when full */
    uint16_t dcnt[DET_DIST_KMAX];    /* readings per bucket in the window */
    double dref[DET_DIST_KMAX];      /* reference: EWMA of readings that left the window */
    double dref_sum;                 /* its mass */
    uint32_t dpos, dn;               /* ring position; readings in the window */
    uint32_t dleft;                  /* readings that have left the window */
    double dmu, dvar;                /* the distance's long-run mean and variance */
} det_state;

typedef struct {
    double score;               /* [0, 1] */
    unsigned flags;             /* DET_* sensor faults at this reading */
} det_out;

det_params det_params_default(void);
void det_init(det_state *s, const det_params *p);
/* The point's measuring range (lo < hi, both finite; otherwise ignored): value
 * contexts are bucketed over it instead of over the range seen so far. Set it
 * once, before the first reading: moving it later makes learnt contexts new. */
void det_set_range(det_state *s, double lo, double hi);
/* One reading: t in seconds (any origin, increasing), x the value (NaN = missing). */
det_out det_step(det_state *s, double t, double x);

#endif
