/* model.h — the dynamic risk index of one area (动态风险指数, issue 7 item 5):
 * pure computation, no store, no clock, no allocation after parsing.
 *
 * An area's index is 0–100 in the four colours of the dual-prevention
 * levels (blue 低 < yellow 一般 < orange 较大 < red 重大, cut-offs as data).
 * It is a sum of factor contributions, each ≥ 0 and capped, from:
 *   static    the area's static (assessed) risk level, rank 0–4
 *   readings  live readings relative to their alarm limits
 *   anomaly   the anomaly detectors' scores of the area's points
 *   hazards   open hidden dangers, weighted by grade and overdue days
 *   permits   active special-work permits, weighted by type and grade
 *   weather   wind, rain, temperature extremes, lightning warnings
 *   night     a night shift is on
 * and every result names its factors, largest first, with a detail line.
 * Further factors (training gaps, production load) are one more enum value,
 * one more input block and one more weight object in the parameters.
 *
 * The parameters are versioned JSON data (rx_params_parse; the default is
 * rx_params_default_json), parsed strictly: unknown keys, wrong types and
 * numbers out of range are WS_EINVAL naming the field ("factors.hazards.major").
 *
 * The projection (rx_project) looks `horizon_h` hours ahead from the current
 * inputs, the scheduled permits and shifts of those hours, and the area's
 * weekly profile (rx_profile: per hour of the week a mean and a variance of
 * the index, learnt by rx_profile_learn). When the last hours sit more than
 * k·σ from the profile ("an unusual day") the deviation is carried forward
 * instead of reverting to the profile. The projection warns when an hour
 * ahead reaches a colour above the current one. */
#ifndef WS_RISKIDX_MODEL_H
#define WS_RISKIDX_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum rx_factor {
    RX_STATIC,
    RX_READINGS,
    RX_ANOMALY,
    RX_HAZARDS,
    RX_PERMITS,
    RX_WEATHER,
    RX_NIGHT,
    RX_NFACTORS
} rx_factor;

/* "static", "readings", … (the API's and the parameters' names). */
const char *rx_factor_name(rx_factor f);

enum { RX_BLUE = 1, RX_YELLOW = 2, RX_ORANGE = 3, RX_RED = 4 };

#define RX_MAX_POINTS 64  /* readings / anomaly scores looked at per area */
#define RX_MAX_PERMITS 32
#define RX_TAG_MAX 31

/* One live point of the area. ratio = how far the value is toward its first
 * alarm limit: 0 at normal, 1 at the limit (H, or L for low-side points),
 * > 1 beyond; NaN when the point has no limit. past = how many of its alarm
 * limits the value is at or past: 0; 1 its first (H or L: 报警, GB/T 50493
 * 一级); 2 its second (HH or LL: 紧急, 二级). score = its anomaly score in
 * [0, 1] (NaN when it has no detector). climb = how fast its ratio has
 * been rising, per hour: the smallest of its last three hourly rises when
 * all three are rises, else 0 (the projection carries a climb forward). */
typedef struct rx_point {
    char tag[RX_TAG_MAX + 1];
    double ratio;
    double score;
    int past;
    double climb;
    bool monitor; /* a process monitor of the area, not a point: tag is the point
                     that contributes most to its departure, score its departure
                     (ratio NaN, past 0, climb 0) */
} rx_point;

/* Permit types (GB 30871) with grades: hot work 1 特级 2 一级 3 二级;
 * height 1..4 (I..IV, IV highest); others grade 0. */
typedef enum rx_permit_type {
    RX_HOT_WORK, RX_CONFINED, RX_BLIND_PLATE, RX_HEIGHT, RX_LIFTING,
    RX_TEMP_POWER, RX_EXCAVATION, RX_ROAD_CLOSURE, RX_NPERMIT_TYPES
} rx_permit_type;

typedef struct rx_permit {
    rx_permit_type type;
    int grade;
} rx_permit;

typedef struct rx_weather {
    bool known;          /* false: no observation in the last 3 hours */
    double wind_ms;      /* m/s */
    double rain_mmh;     /* mm/h */
    double temp_c;       /* °C */
    int lightning;       /* warning colour 0 none, 1 blue, 2 yellow, 3 orange, 4 red */
} rx_weather;

/* Everything the index of one area at one time is made from. The caller
 * owns the arrays; rx_compute only reads them. */
typedef struct rx_inputs {
    int static_rank;                 /* 0 none, 1..4 */
    int npoints;                     /* ≤ RX_MAX_POINTS (more are ignored) */
    const rx_point *points;
    int hazards_general, hazards_major;       /* open 一般 / 重大 hidden dangers */
    double hazard_overdue_days;      /* sum over open hazards of days past their deadline */
    int npermits;                    /* ≤ RX_MAX_PERMITS */
    const rx_permit *permits;
    rx_weather weather;
    bool night;                      /* a night shift is on */
} rx_inputs;

typedef struct rx_contrib {
    rx_factor factor;
    double points;                   /* its share of the index, > 0 */
    char detail[96];                 /* e.g. "GT-101 at 0.8 of its limit" / "2 重大 hidden dangers, 5 days overdue" */
} rx_contrib;

typedef struct rx_result {
    double index;                    /* 0..100 */
    int colour;                      /* RX_BLUE..RX_RED */
    int ncontrib;                    /* factors with points > 0, largest first */
    rx_contrib contrib[RX_NFACTORS];
} rx_result;

/* The factors' weights, one block per factor, named as in the parameters'
 * JSON ("factors.<factor>.<key>"); formulas in docs/internals/riskidx.md.
 * Opaque to callers: only the model reads them. */
typedef struct rx_weights {
    double cap[RX_NFACTORS];         /* each factor's contribution ≤ cap */
    struct { double rank[5]; } st;   /* points per static rank 0..4 */
    struct { double from, at_limit, power, second, floor[2]; } rd; /* readings; floor: past 1st, 2nd limit */
    struct { double from, at_one, power; } an;             /* anomaly */
    struct { double general, major, per_overdue_day; } hz;
    struct {
        double hot_work[3];          /* grade 1 特级, 2 一级, 3 二级 */
        double confined_space, blind_plate;
        double work_at_height[4];    /* grade I..IV */
        double lifting, temporary_power, excavation, road_closure;
    } pm;
    struct {
        double wind_from, wind, wind_per_ms;
        double rain_from, rain, rain_per_mmh;
        double heat_from, heat, cold_from, cold;
        double lightning[4];         /* warning colour blue, yellow, orange, red */
    } wx;
    struct { double points; } nt;
} rx_weights;

/* The projection's settings beyond the three documented in rx_params
 * ("projection.<key>"). Opaque to callers. */
typedef struct rx_proj_settings {
    double half_life_h;              /* readings/anomaly decay and a normal day's deviation */
    double blend;                    /* share of the profile's excess taken on a normal day */
    double blend_sigma;              /* σ of the hour taken off its profile mean before blending */
    double sigma_min;                /* floor of σ in the unusual-day test */
    double trend;                    /* weight of the deviation's slope on an unusual day */
    double climb;                    /* weight of a climbing point's rise per hour ahead */
    int min_n;                       /* profile hours with fewer values are "no data" */
} rx_proj_settings;

/* The parameters: weights, caps, colour cut-offs, projection settings. */
typedef struct rx_params {
    int version;
    double cut_yellow, cut_orange, cut_red;    /* index ≥ cut → colour */
    double hysteresis;               /* a colour is kept until the index falls this far below its cut */
    rx_weights w;                    /* opaque to callers (docs/internals/riskidx.md) */
    int horizon_h;                   /* projection horizon, 1..72 */
    double k_sigma;                  /* unusual-day test */
    int unusual_window_h;            /* hours compared with the profile */
    rx_proj_settings pj;             /* opaque to callers */
} rx_params;

const char *rx_params_default_json(void);
ws_err rx_params_parse(const char *json, size_t len, rx_params *out);
/* Canonical JSON of p (malloc'd; caller frees). NULL when out of memory or
 * when p holds a number JSON cannot carry (NaN, inf: never after a parse). */
char *rx_params_to_json(const rx_params *p);

void rx_compute(const rx_params *p, const rx_inputs *in, rx_result *out);
int rx_colour_of(const rx_params *p, double index);
/* The colour with hysteresis: the previous colour prev (0 = none) is kept
 * while the index stays within p->hysteresis below prev's cut-off, so an
 * index hovering at a cut-off does not flip colour every reading; rising is
 * at once. */
int rx_colour_held(const rx_params *p, double index, int prev);

/* ---------------------------------------------------------------- profile */

#define RX_WEEK_H 168

/* The weekly profile of one area: per hour of the week (0 = Monday 00:00
 * local time), an EWMA mean and variance of the hourly index. Plain data:
 * stored and restored by copying. */
typedef struct rx_profile {
    double mean[RX_WEEK_H], var[RX_WEEK_H];
    uint32_t n[RX_WEEK_H];
} rx_profile;

/* Weight of a new value in an hour's mean and variance once that hour has
 * 1/RX_PROFILE_ALPHA values (before: 1/n, the plain average). */
#define RX_PROFILE_ALPHA 0.2

void rx_profile_init(rx_profile *pr);
/* Learn one hourly value at hour-of-week how. */
void rx_profile_learn(rx_profile *pr, int how, double index);

/* ------------------------------------------------------------- projection */

#define RX_MAX_HORIZON 72

/* What is known about the coming hours: per hour ahead (index 0 = the next
 * hour) the permits scheduled to be active, whether it is a night shift, and
 * the weather forecast for it when there is one (a warning issued ahead,
 * 雷电/大风预警). The other inputs (static level, hazards, and the weather of
 * hours without a forecast) are carried forward. */
typedef struct rx_schedule {
    int nhours;                                  /* ≤ RX_MAX_HORIZON */
    int npermits[RX_MAX_HORIZON];
    rx_permit permits[RX_MAX_HORIZON][RX_MAX_PERMITS];
    bool night[RX_MAX_HORIZON];
    bool forecast[RX_MAX_HORIZON];               /* weather[h] is a forecast for that hour */
    rx_weather weather[RX_MAX_HORIZON];
} rx_schedule;

typedef struct rx_projection {
    int nhours;
    double index[RX_MAX_HORIZON];
    int colour[RX_MAX_HORIZON];
    bool unusual;                    /* the last hours were more than k·σ off the profile */
    double deviation;                /* their mean deviation from the profile */
    int warn_in_h;                   /* first hour ahead whose colour is above the current, 0 = none */
    int warn_colour;
    /* Why, per hour ahead: each factor's points in the model part M_h, and
     * what the weekly profile added on top of it (index − M_h, ≥ 0) with the
     * profile's mean for that hour (NaN when it has no data). */
    double factor_pts[RX_MAX_HORIZON][RX_NFACTORS];
    double profile_pts[RX_MAX_HORIZON];
    double profile_mean[RX_MAX_HORIZON];
    rx_result warn_model;            /* M at warn_in_h, with the factors' details */
} rx_projection;

/* recent: the last p->unusual_window_h hourly indexes, oldest first, the
 * last being the current hour's (how_now). */
void rx_project(const rx_params *p, const rx_profile *pr, const rx_inputs *now, const rx_result *cur,
                int how_now, const double *recent, int nrecent, const rx_schedule *sched,
                rx_projection *out);

#endif
