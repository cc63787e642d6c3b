/* plantgen.h — a deterministic, generated plant for the nuisance-alarm bench
 * (issue 7 item 4, `make bench-nuisance`) and its unit test: N points of
 * seven kinds (combustible gas %LEL, toxic gas ppm, O2 %VOL, temperature,
 * pressure, level, flow) read once a minute for D days, with daily cycles,
 * slower process swings, measurement noise, quantisation, limits (H/HH, or
 * L/H for O2) and injected events whose labels are known by construction:
 *
 *   excursion  the PROCESS value really crosses the limit: true value >= H
 *              (<= L for O2) exactly on the minutes [start, end) of the label;
 *   flapping   the process sits 1–2.5 noise deviations inside the limit for
 *              hours: only the noise carries readings across (nuisance);
 *   stuck      the reading freezes at its value of the first minute (exact);
 *   drift      the reading walks away from the true value linearly, and is
 *              recalibrated (back to true) at the end of the label;
 *   spike      one reading far off, the next one normal again;
 *   dropout    no reading at all on [start, end).
 *
 * Events of one point never overlap (an hour apart at least, ramps
 * included), and none starts before `quiet_days` (the detectors' learning).
 * Everything follows from the seed: the points and events from a sequential
 * PRNG at pg_plant_init, the noise of (point, minute) from a hash, so any
 * reading can be recomputed in any order (pg_reading is random-access; it
 * is fastest when each point is read minute after minute).
 * Pure C and libm; one allocation at init, none per reading.
 * Method and the rates chosen: docs/internals/nuisance.md. */
#ifndef WS_BENCH_PLANTGEN_H
#define WS_BENCH_PLANTGEN_H

#include <stdbool.h>
#include <stdint.h>

typedef enum pg_kind {
    PG_COMBUSTIBLE = 0, PG_TOXIC, PG_OXYGEN, PG_TEMPERATURE, PG_PRESSURE, PG_LEVEL, PG_FLOW,
    PG_NKINDS
} pg_kind;

typedef enum pg_ev_type {
    PG_EXCURSION = 0, PG_FLAPPING, PG_STUCK, PG_DRIFT, PG_SPIKE, PG_DROPOUT, PG_NTYPES
} pg_ev_type;

/* One labelled event. The label is [start, end) in minutes from the plant's
 * time 0; [x0, x1) is everything the event touches (approach and return
 * ramps of an excursion or a flapping episode). */
typedef struct pg_event {
    uint8_t type;      /* pg_ev_type */
    int32_t start, end;
    int32_t x0, x1;
    int32_t rise, fall;  /* excursion: minutes from the limit to the plateau and back */
    int32_t ramp;        /* excursion / flapping: approach and return, minutes */
    double level;        /* excursion: plateau; flapping: the held true value */
    double amount;       /* drift: total offset at the end; spike: the offset */
} pg_event;

#define PG_MAX_EVENTS 40

typedef struct pg_point {
    int32_t id;
    uint8_t kind;        /* pg_kind */
    int8_t dir;          /* +1: the events go up toward H; -1: down toward L (O2) */
    double mean, amp, phase;     /* daily cycle: mean + amp sin(2π(m/1440) + phase) */
    double amp2, period2;        /* slower swing of the process, minutes */
    double sigma, res;           /* noise deviation; quantum of the readings */
    double lo, hi;               /* physical range of the instrument (readings clamped) */
    double l, h, hh;             /* limits; l = NaN when none */
    double limit;                /* the one the events aim at: h (dir +1) or l (dir -1) */
    int nev;
    pg_event ev[PG_MAX_EVENTS];  /* sorted by x0 */
    int cur;                     /* cursor of pg_reading (sequential access) */
} pg_point;

/* Rates are expected events per point per 30 days (Poisson counts). */
typedef struct pg_config {
    int npoints;
    int days;
    uint64_t seed;
    double quiet_days;           /* no event starts before this */
    double rate[PG_NTYPES];
    double min_excursion_min, max_excursion_min; /* log-uniform duration of the label */
} pg_config;

typedef struct pg_plant {
    pg_config cfg;
    int npoints;
    int32_t minutes;
    pg_point *pts;               /* npoints; owned */
} pg_plant;

/* The bench's defaults (2,000 points, 30 days, the rates of the doc). */
pg_config pg_config_default(void);
/* 0 on success, -1 on a bad config or no memory. */
int pg_plant_init(pg_plant *pl, const pg_config *cfg);
void pg_plant_free(pg_plant *pl);

/* The reading of point p at minute m: false when there is none (dropout).
 * *value: what the sensor reports; *truth: the process value (may be NULL).
 * *ev: the event whose extent covers m, or NULL (may be NULL). */
bool pg_reading(pg_plant *pl, int p, int32_t m, double *value, double *truth,
                const pg_event **ev);
/* The process value alone (no noise, no sensor fault). */
double pg_truth(const pg_point *pt, int32_t m);

const char *pg_kind_name(int kind);   /* "combustible", "toxic", "oxygen", … ; static */
const char *pg_type_name(int type);   /* "excursion", … ; static */

#endif
