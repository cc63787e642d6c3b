/* q_dynrisk.h — the dynamic risk index's queries (src/dynrisk, migration 23):
 * the inputs it gathers from other modules' tables (read-only: areas, open
 * hidden dangers, permits, shifts) and its own tables (weather, history,
 * profiles, parameter versions). A "path" is a unit path like '/1/4/9/';
 * "under $1" means the unit's path starts with $1. */
#ifndef WS_Q_DYNRISK_H
#define WS_Q_DYNRISK_H

extern const char Q_DYN_AREAS[];          /* $1 path -> id, path, name, code, tz (active areas under $1, by path) */
extern const char Q_DYN_HAZARDS[];        /* $1 path -> grade, deadline (open hidden dangers under $1) */
extern const char Q_DYN_PERMITS[];        /* $1 path, $2 from, $3 to -> type, grade, state, planned_start, planned_end
                                             (permits under $1 active now, or live and planned to overlap [from, to)) */
extern const char Q_DYN_SHIFTS[];         /* $1 path -> start_min, length_min, unit path (active shifts of $1's unit
                                             and its ancestors, nearest first) */
extern const char Q_DYN_HAZARDS_AT[];     /* $1 path, $2 t -> grade, deadline (hidden dangers under $1 open at t) */
extern const char Q_DYN_PERMITS_AT[];     /* $1 path, $2 t -> type, grade (permits under $1 that were active at t) */
extern const char Q_DYN_WEATHER_LATEST[]; /* $1 path, $2 since, $3 until -> wind, rain, temp, lightning, observed_at (the
                                             newest observation at or above the unit in [since, until]; a
                                             forecast for that time only when no observation is) */
extern const char Q_DYN_FORECASTS[];      /* $1 path, $2 from, $3 to -> wind, rain, temp, lightning, observed_at (forecasts
                                             at or above the unit for [from, to], oldest first) */
extern const char Q_DYN_WEATHER_INSERT[]; /* $1 unit, $2 at, $3 wind, $4 rain, $5 temp, $6 lightning, $7 source, $8 now,
                                             $9 forecast -> id */
extern const char Q_DYN_WEATHER_LIST[];   /* $1 path, $2 from, $3 to, $4 limit -> id, unit_id, observed_at, wind, rain,
                                             temp, lightning, source, forecast (at or below $1's subtree, newest first) */
extern const char Q_DYN_HISTORY_PUT[];    /* $1 unit, $2 at, $3 idx, $4 colour, $5 factors (upsert) */
extern const char Q_DYN_FORECAST_ALARMS[]; /* $1 rule -> source (area), id: active forecast alarms */
extern const char Q_DYN_LAST_COLOUR[];    /* $1 unit, $2 since -> colour (the newest stored since $2) */
extern const char Q_DYN_HISTORY[];        /* $1 unit, $2 from, $3 to, $4 limit -> at, idx, colour, factors (oldest first) */
extern const char Q_DYN_PROFILE_GET[];    /* $1 unit -> learnt_hour, profile */
extern const char Q_DYN_PROFILE_PUT[];    /* $1 unit, $2 learnt_hour, $3 profile (upsert) */
extern const char Q_DYN_PARAMS_ACTIVE[];  /* -> id, doc, comment, created_by_person_id, created_at */
extern const char Q_DYN_PARAMS_LIST[];    /* -> id, comment, created_by_person_id, created_at, active (by id) */
extern const char Q_DYN_PARAMS_NEXT[];    /* -> the next version */
extern const char Q_DYN_PARAMS_INSERT[];  /* $1 id, $2 doc, $3 comment, $4 person or NULL, $5 now, $6 active */
extern const char Q_DYN_PARAMS_OFF[];     /* deactivate every version -> ids changed */

#endif
