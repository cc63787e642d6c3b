/* q_inspection.h — named queries of inspection occurrences (src/hazard/
 * inspection.c): 隐患排查任务 turned into one row per task and period.
 *
 * Row-returning queries of inspections return INSP_ROW columns, in order:
 *   id, task_id, unit_id, risk_event_id, window_start, window_end, state,
 *   post_id, grid_unit_id, items, results, hazard_ids, done_by_person_id,
 *   done_by, done_at, created_at, updated_at, unit name, unit path,
 *   task frequency, task every_hours */
#ifndef WS_Q_INSPECTION_H
#define WS_Q_INSPECTION_H

/* $1 after task id, $2 limit -> id, frequency, every_hours, post_id,
 * grid_unit_id, what, created_at, object's unit id, its tz, event id, the
 * place (the grid when the task names one, else the object's unit): the
 * active tasks whose measure, event, risk unit, object and org unit are
 * active. */
extern const char Q_INSP_TASKS_DUE[];
/* $1 task, $2 place (unit), $3 event, $4 start, $5 end, $6 post, $7 grid, $8 items,
 * $9 now -> id; no row when (task, start) exists already. */
extern const char Q_INSP_INSERT[];
extern const char Q_INSP_GET[];           /* $1 id -> INSP_ROW */
/* $1 path prefix, $2 state ('' any), $3 from (window_end > it), $4 to
 * (window_start < it; 0 none), $5 person (0: everyone's; else the person's
 * posts and grids), $6 task (0 any), $7 cursor (ids below, 0 newest), $8
 * limit -> INSP_ROW, newest first */
extern const char Q_INSP_LIST[];
extern const char Q_INSP_MISSED_DUE[];    /* $1 now, $2 limit -> id */
extern const char Q_INSP_MARK_MISSED[];   /* $1 id, $2 now: pending and ended only */
/* $1 id, $2 results, $3 hazard_ids, $4 person, $5 actor, $6 now: pending only */
extern const char Q_INSP_COMPLETE[];
/* $1 person, $2 post, $3 grid unit -> a row when the person holds the post
 * or is the grid's leader or an active member of a unit in its subtree */
extern const char Q_INSP_PERSON_FITS[];

#endif
