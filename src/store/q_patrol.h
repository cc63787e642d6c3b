/* q_patrol.h — named queries of grid patrols (src/patrol, migration 19).
 *
 * Row-returning queries of patrols return PATROL_ROW columns, in order:
 *   0 id, 1 kind, 2 grid_unit_id, 3 rota_id, 4 slot, 5 day, 6 window_start,
 *   7 window_end, 8 assignee_person_id, 9 state, 10 started_at, 11 done_at,
 *   12 escalated_at, 13 escalated_to, 14 created_at, 15 updated_at,
 *   16 grid name, 17 grid path, 18 assignee name
 * of stops STOP_ROW:
 *   0 id, 1 patrol_id, 2 point_id, 3 seq, 4 items, 5 state, 6 results,
 *   7 hazard_ids, 8 proof, 9 done_by_person_id, 10 done_by, 11 checked_at,
 *   12 client_time, 13 received_at, 14 phone_time, 15 point code,
 *   16 point name, 17 lat, 18 lon, 19 radius_m, 20 photo_required
 * of points POINT_ROW:
 *   0 id, 1 grid_unit_id, 2 code, 3 name, 4 seq, 5 template_id,
 *   6 risk_object_id, 7 lat, 8 lon, 9 radius_m, 10 photo_required,
 *   11 active, 12 created_at, 13 updated_at, 14 grid name, 15 grid path */
#ifndef WS_Q_PATROL_H
#define WS_Q_PATROL_H

/* templates: $1 enterprise, $2 name, $3 items, $4 now -> id */
extern const char Q_PATROL_TPL_INSERT[];
/* $1 id -> id, enterprise_id, name, items, active, enterprise path */
extern const char Q_PATROL_TPL_GET[];
/* $1 id, $2 name, $3 items (JSON), $4 active, $5 now */
extern const char Q_PATROL_TPL_UPDATE[];
/* $1 template -> active points using it, active rota rows using it */
extern const char Q_PATROL_TPL_USERS[];
/* $1 scope path -> the same columns: templates of enterprises in or above the scope */
extern const char Q_PATROL_TPL_LIST[];

/* points: $1 grid, $2 code, $3 name, $4 seq, $5 template, $6 object, $7 lat,
 * $8 lon, $9 radius_m, $10 photo_required, $11 now -> id */
extern const char Q_PATROL_POINT_INSERT[];
extern const char Q_PATROL_POINT_GET[];     /* $1 id -> POINT_ROW */
/* $1 id, $2 name, $3 template or NULL, $4 photo_required, $5 active, $6 now */
extern const char Q_PATROL_POINT_UPDATE[];
extern const char Q_PATROL_POINT_BY_CODE[]; /* $1 code -> POINT_ROW */
/* $1 path, $2 grid or 0, $3 after id, $4 limit -> POINT_ROW, by id */
extern const char Q_PATROL_POINT_LIST[];
/* $1 grid -> POINT_ROW of its active points by seq, id */
extern const char Q_PATROL_POINTS_OF_GRID[];
/* $1 grid -> MAX(seq) or NULL */
extern const char Q_PATROL_POINT_MAXSEQ[];

/* generation: $1 after id, $2 limit -> id, tz, leader_person_id, path of the
 * active grids that have an active point */
extern const char Q_PATROL_GRIDS_DUE[];
/* $1 target grid -> rota id, inspector grid, weekdays, inspector's leader,
 * template items: the active rota rows with an active template */
extern const char Q_PATROL_ROTA_DUE[];
/* $1 grid path -> measure id, content, object id, event id, accident type:
 * the active control measures of risk objects in the grid's subtree */
extern const char Q_PATROL_MEASURES[];
/* $1 kind, $2 grid, $3 rota, $4 slot, $5 day, $6 start, $7 end, $8 assignee,
 * $9 now -> id; no row when (grid, day, slot) exists */
extern const char Q_PATROL_INSERT[];
/* $1 patrol, $2 point, $3 seq, $4 items -> id */
extern const char Q_PATROL_STOP_INSERT[];

extern const char Q_PATROL_GET[];   /* $1 id -> PATROL_ROW */
extern const char Q_PATROL_STOPS[]; /* $1 patrol -> STOP_ROW by seq */
/* $1 path, $2 state or '', $3 day or '', $4 person or 0 (assigned, or a
 * member of the grid for own patrols), $5 before id or 0, $6 limit */
extern const char Q_PATROL_LIST[];
/* $1 cutoff (window_end <= cutoff), $2 limit -> id of open patrols */
extern const char Q_PATROL_MISSED_DUE[];
/* $1 id, $2 now, $3 cutoff */
extern const char Q_PATROL_MARK_MISSED[];
/* $1 id, $2 at, $3 JSON */
extern const char Q_PATROL_SET_ESCALATED[];
/* $1 id, $2 state (in_progress, done), $3 now */
extern const char Q_PATROL_SET_STATE[];
/* $1 patrol -> number of stops still pending */
extern const char Q_PATROL_STOPS_PENDING[];

/* nonces: $1 hash, $2 patrol, $3 point, $4 kind, $5 issued, $6 expires, $7 account */
extern const char Q_PATROL_NONCE_INSERT[];
/* $1 hash -> id, patrol_id, point_id, kind, issued_at, expires_at, used_at */
extern const char Q_PATROL_NONCE_GET[];
/* $1 id, $2 now: only when unused */
extern const char Q_PATROL_NONCE_USE[];

/* $1 stop, $2 results, $3 hazard_ids, $4 proof, $5 person, $6 by, $7
 * checked_at, $8 client_time, $9 received_at, $10 phone_time: only pending */
extern const char Q_PATROL_STOP_DONE[];
extern const char Q_PATROL_HAZARD_LINK[]; /* $1 hazard, $2 patrol, $3 stop */
extern const char Q_PATROL_OF_HAZARD[];   /* $1 hazard -> patrol_id, stop_id */
/* $1 person, $2 grid -> a row when the person is active and leads the grid
 * or belongs to a unit in its subtree */
extern const char Q_PATROL_PERSON_IN_GRID[];

/* rota: $1 inspector grid, $2 target grid, $3 template, $4 weekdays, $5 now -> id */
extern const char Q_PATROL_ROTA_INSERT[];
/* $1 path -> id, inspector grid, its name, target grid, its name, template,
 * its name, weekdays: active rows whose target lies in the path */
extern const char Q_PATROL_ROTA_LIST[];
/* $1 path -> id, inspector grid, target grid, template, weekdays: the active
 * rows whose target lies in the path */
extern const char Q_PATROL_ROTA_UNDER[];
/* $1 id, $2 now: retire one row */
extern const char Q_PATROL_ROTA_RETIRE_ONE[];
/* $1 path -> id, code, leader_person_id of the active grids in the subtree, by code */
extern const char Q_PATROL_GRIDS_UNDER[];

#endif
