/* q_plant.h — named queries of the plant registers (src/plant: shift
 * rosters, equipment and work orders, interlock bypasses); the schema is
 * migrations 15 and 34 of src/store/migrations.c.
 *
 * Column orders of the row-returning queries (the readers in src/plant rely
 * on them); every row carries the path of its org unit (the scope):
 *   shift rows:     id, unit_id, name, start_min, length_min, active,
 *                   created_at, updated_at, unit path
 *   roster rows:    id, unit_id, day, shift_id, person_id, role, created_at,
 *                   shift name, person name, unit path, crew_id (0: none),
 *                   crew name ('' none), person active
 *   crew rows:      id, unit_id, name, members ("person_id:role,..."),
 *                   active, created_at, updated_at, unit path
 *   equipment rows: id, unit_id, code, name, kind, device_id, status,
 *                   created_at, updated_at, unit path
 *   work order rows: id, unit_id, equipment_id, device_id, kind, title,
 *                   description, state, due_at, assignee_person_id,
 *                   source_kind, source_id, source_ref, created_by,
 *                   closed_at, closed_by, close_note, created_at,
 *                   updated_at, unit path
 *   bypass rows:    id, unit_id, point_id, equipment_id, interlock, reason,
 *                   measures, requested_by_person_id, approver_person_id,
 *                   state, expires_at, requested_at, approved_at,
 *                   activated_at, expired_at, closed_at, closed_by,
 *                   extensions, created_at, updated_at, unit path
 * Lists: $1 scope path, $2 unit id (its subtree) or 0, $3 cursor (ids above
 * it), $4 limit, then the list's own filters ('' or 0 = any). */
#ifndef WS_Q_PLANT_H
#define WS_Q_PLANT_H

extern const char Q_PLANT_PARAM[];        /* $1 name -> value */

/* ----------------------------------------------------------------- shifts */
extern const char Q_SHIFT_INSERT[];       /* $1 unit_id, $2 name, $3 start_min, $4 length_min,
                                             $5 now -> id */
extern const char Q_SHIFT_UPDATE[];       /* $1 id, $2 name, $3 start_min, $4 length_min,
                                             $5 active, $6 now */
extern const char Q_SHIFT_GET[];          /* $1 id */
extern const char Q_SHIFT_BY_NAME[];      /* $1 unit_id, $2 name -> id */
extern const char Q_SHIFT_LIST[];         /* $5 active or -1 */

/* ----------------------------------------------------------------- roster */
extern const char Q_ROSTER_INSERT[];      /* $1 unit_id, $2 day, $3 shift_id, $4 person_id,
                                             $5 role, $6 now, $7 crew_id or 0 -> id */
extern const char Q_ROSTER_EXISTS[];      /* $1 shift_id, $2 day, $3 person_id, $4 role -> id */
extern const char Q_ROSTER_DELETE[];      /* $1 id */
extern const char Q_ROSTER_GET[];         /* $1 id */
extern const char Q_ROSTER_LIST[];        /* $5 role or '', $6 from day or '', $7 to day or
                                             '' (inclusive), $8 person_id or 0, $9 shift_id
                                             or 0 */
extern const char Q_ROSTER_DUTY[];        /* $1 unit_id, $2 role, $3 first day, $4 last day ->
                                             person_id, day, start_min, length_min of active
                                             shifts and active people, by person_id */

/* ------------------------------------------------------------------ crews */
extern const char Q_CREW_INSERT[];        /* $1 unit_id, $2 name, $3 members, $4 now -> id */
extern const char Q_CREW_UPDATE[];        /* $1 id, $2 name, $3 members, $4 active, $5 now */
extern const char Q_CREW_GET[];           /* $1 id */
extern const char Q_CREW_UNIT[];          /* $1 id -> unit_id */
extern const char Q_CREW_BY_NAME[];       /* $1 unit_id, $2 name -> id */
extern const char Q_CREW_OF_UNIT[];       /* $1 unit_id -> id, name, members of its active
                                             crews */
extern const char Q_CREW_LIST[];          /* $5 active or -1 */
extern const char Q_PLANT_PERSON_NAME[];  /* $1 person id -> name, active */

/* -------------------------------------------------------------- equipment */
extern const char Q_EQUIPMENT_INSERT[];   /* $1 unit_id, $2 code, $3 name, $4 kind,
                                             $5 device_id, $6 status, $7 now -> id */
extern const char Q_EQUIPMENT_UPDATE[];   /* $1 id, $2..$7 as insert, $8 now */
extern const char Q_EQUIPMENT_GET[];      /* $1 id */
extern const char Q_EQUIPMENT_BY_CODE[];  /* $1 code -> id */
extern const char Q_EQUIPMENT_OF_DEVICE[];/* $1 device_id -> id (lowest) */
extern const char Q_EQUIPMENT_LIST[];     /* $5 kind or '', $6 status or '', $7 device_id or
                                             0, $8 text in code or name or '' */
extern const char Q_PLANT_DEVICE_UNIT[];  /* $1 device_id -> unit_id, enterprise_id */
extern const char Q_PLANT_POINT_UNIT[];   /* $1 point_id -> unit_id, enterprise_id */

/* ------------------------------------------------------------ work orders */
extern const char Q_WORKORDER_INSERT[];   /* $1 unit_id, $2 equipment_id, $3 device_id,
                                             $4 kind, $5 title, $6 description, $7 due_at,
                                             $8 assignee, $9 source_kind, $10 source_id,
                                             $11 source_ref, $12 created_by, $13 now -> id
                                             (state open) */
extern const char Q_WORKORDER_UPDATE[];   /* $1 id, $2 title, $3 description, $4 due_at,
                                             $5 assignee, $6 state, $7 closed_at,
                                             $8 closed_by, $9 close_note, $10 now */
extern const char Q_WORKORDER_GET[];      /* $1 id */
extern const char Q_WORKORDER_OPEN_DUP[]; /* $1 equipment_id or 0, $2 device_id or 0,
                                             $3 kind, $4 source_kind, $5 source_id -> id of
                                             an open or in_progress order */
extern const char Q_WORKORDER_LIST[];     /* $5 state or '', $6 kind or '', $7 equipment_id
                                             or 0, $8 device_id or 0, $9 assignee or 0,
                                             $10 source_kind or '' */
extern const char Q_CALIBRATION_DUE[];    /* $1 last due day (YYYY-MM-DD), $2 limit -> device
                                             id, unit_id, code, name, calibration_due, unit
                                             tz, linked equipment id or NULL: active devices
                                             due by then without a calibration order for that
                                             due date */
extern const char Q_CALIBRATION_LAST[];   /* $1 device_id -> closed_at of the latest done
                                             calibration order, or no row */

/* --------------------------------------------------------------- bypasses */
extern const char Q_BYPASS_INSERT[];      /* $1 unit_id, $2 point_id, $3 equipment_id,
                                             $4 interlock, $5 reason, $6 measures,
                                             $7 requested_by, $8 expires_at, $9 now -> id
                                             (state requested) */
extern const char Q_BYPASS_UPDATE[];      /* $1 id, $2 approver, $3 state, $4 expires_at,
                                             $5 approved_at, $6 activated_at, $7 expired_at,
                                             $8 closed_at, $9 closed_by, $10 extensions,
                                             $11 now */
extern const char Q_BYPASS_GET[];         /* $1 id */
extern const char Q_BYPASS_LIST[];        /* $5 state or '', $6 point_id or 0,
                                             $7 equipment_id or 0 */
extern const char Q_BYPASS_OVERDUE[];     /* $1 now, $2 limit -> ids of active bypasses whose
                                             expires_at <= now, oldest first */

#endif
