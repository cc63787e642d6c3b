/* dynrisk.h — the dynamic risk index (动态风险指数) in the server (issue 7
 * items 5–6): gathers each area's inputs from the other modules' records and
 * the live engine, computes the index with the pure model
 * (riskidx/model.h), explains it, projects it hours ahead, stores its
 * history and learns each area's weekly profile. docs/internals/riskidx.md
 * "Integration".
 *
 *   inputs of an area (a unit of kind area; its subtree)
 *     static     the highest residual risk level under it (risk_map_counts)
 *     readings   its points' newest values against their limits  ┐ the early-warning
 *     anomaly    its points' anomaly scores (anomaly rules)       ┘ engine, when running
 *     hazards    open hidden dangers: 一般 / 重大, days past deadline
 *     permits    active permits (type, effective grade)
 *     weather    the newest observation at or above the area, ≤ 3 h old
 *                (forecasts: the projection's hours they are for)
 *     night      the shift on now is a night shift (its unit's or the nearest
 *                ancestor's shifts; none defined: 22:00–06:00 local)
 *   projection  the same, hour by hour: permits planned to be active, the
 *               shifts of those hours, the weekly profile (rx_project)
 *
 * dynrisk_tick (the server's minute timer) upserts one history row per area
 * and 15-minute bucket, and learns each finished hour into the area's weekly
 * profile. The parameters are versioned data (risk_index_params, exactly one
 * active; version 1 is the model's default, stored on first use), each new
 * version with its evidence-log leaf.
 *
 * Permissions are the API's (riskidx.read in scope; weather through
 * reading.write on its unit; parameters riskidx.rules). */
#ifndef WS_DYNRISK_H
#define WS_DYNRISK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "org/org.h"
#include "riskidx/model.h"
#include "store/store.h"

struct warn;

extern const audit_entity DYNRISK_ENTITY_PARAMS; /* "risk_index_params" */

/* Register the audited entity (idempotent). */
ws_err dynrisk_init(void);

#define DYNRISK_BUCKET_MS (15 * 60000LL)
#define DYNRISK_WEATHER_MAX_AGE_MS (3 * 3600000LL)

/* ------------------------------------------------------------- parameters */

/* The active parameters and their version (the default stored as version 1
 * when none is). */
ws_err dynrisk_params_active(store_conn *c, rx_params *p, int64_t *version);
/* {"version", "comment", "created_at", "params": {...}, "versions": [...]} */
ws_err dynrisk_params_json(store_conn *c, json_t **out);
/* Check doc strictly (WS_EINVAL naming the field), store its canonical form
 * as the next version and make it active. Permission riskidx.rules. */
ws_err dynrisk_params_put(store_conn *c, const org_caller *by, const char *doc, size_t len,
                          const char *comment, int64_t *version);

/* ---------------------------------------------------------------- weather */

typedef struct dynrisk_weather_in {
    int64_t unit_id;
    int64_t observed_at;           /* ms UTC */
    double wind_ms, rain_mmh, temp_c; /* NaN = not observed */
    int lightning;                 /* 0 none, 1 blue .. 4 red warning */
    const char *source;            /* e.g. "气象站", "api"; NULL = "api" */
    bool forecast;                 /* a forecast or warning issued ahead, for observed_at */
} dynrisk_weather_in;

/* Store one observation for a unit (it applies to the unit's subtree).
 * Values are checked (WS_EINVAL naming the field); at least one of wind,
 * rain, temperature or a lightning warning; observed_at not in the future,
 * or for a forecast within the last 3 and the next 72 hours. A forecast
 * counts for the projection's hours from its time for 3 hours (an
 * observation of those hours wins once it is there). Permission
 * reading.write. */
ws_err dynrisk_weather_add(store_conn *c, const org_caller *by, const dynrisk_weather_in *in, int64_t *id);
/* Observations for units at or above / below path in [from, to), newest first. */
ws_err dynrisk_weather_list(store_conn *c, const char *path, int64_t from, int64_t to, int limit, json_t **items);

/* ------------------------------------------------------------------ index */

/* One area now: index, colour, factors, inputs and (project) the projection.
 * w may be NULL (then readings and anomaly scores are unknown). */
ws_err dynrisk_area(store_conn *c, struct warn *w, const org_unit *area, int64_t now, bool project,
                    json_t **out);
/* Every active area under path (NULL: none), and above (an area over
 * path, or NULL), worst first, each without its projection. */
ws_err dynrisk_areas(store_conn *c, struct warn *w, const char *path, const org_unit *above, int64_t now,
                     json_t **out);
/* Stored history of an area in [from, to), at most 5,000 rows, oldest first. */
ws_err dynrisk_history(store_conn *c, int64_t unit_id, int64_t from, int64_t to, json_t **out);
/* Store the current bucket of every area and learn finished hours. */
ws_err dynrisk_tick(store_conn *c, struct warn *w, int64_t now, int *stored);

/* The demo plant: a week of hourly weather at the site (a thunderstorm two
 * days ago, a lightning warning now, a red one forecast three hours ahead)
 * and a week of each area's history computed from its records as they were
 * then (readings and anomaly scores are live only, so the back-filled week
 * leaves them out), its profile learnt. */
ws_err dynrisk_demo_seed(store_conn *c, int64_t site_unit_id, int64_t now);

#endif
