/* q_monitor.h — named queries of the process monitors (src/warn/monitor.c);
 * the schema is migrations 26 to 28 of src/store/migrations.c.
 *
 * Column order of the row-returning queries (monitor.c relies on it):
 *   id, unit_id, name, comment, level, on_delay_min, point_ids, train_from,
 *   train_to, samples, created_by_person_id, created_at, active,
 *   deactivated_at, the unit's path, hold_min (NULL: every point 5),
 *   run_point_id, run_min, run_max (NULL: none, open), then train (GET and
 *   ACTIVE only). */
#ifndef WS_Q_MONITOR_H
#define WS_Q_MONITOR_H

extern const char Q_MONITOR_INSERT[];  /* $1 unit, $2 name, $3 comment, $4 level, $5 on_delay_min,
                                          $6 point_ids, $7 train_from, $8 train_to, $9 samples,
                                          $10 train, $11 person (NULL), $12 created_at,
                                          $13 hold_min (NULL), $14 run_point_id, $15 run_min,
                                          $16 run_max (NULLs) -> id */
extern const char Q_MONITOR_GET[];     /* $1 id -> row with train */
extern const char Q_MONITOR_ACTIVE[];  /* -> active rows with train, by id */
extern const char Q_MONITOR_LIST[];    /* $1 scope path prefix, $2 unit id (0 = any; its subtree),
                                          $3 active (-1 any, 0, 1) -> rows, newest first, 500 at most */
extern const char Q_MONITOR_COUNT_ACTIVE[]; /* -> count of active rows */
extern const char Q_MONITOR_DEACTIVATE[];   /* $1 id, $2 at: only an active row */

#endif
