/* q_duty.h — named queries of the duty lists (src/duty); schema migration 21.
 *
 * Duty rows: id, enterprise_id, post_id, mh_role, title, description,
 *   frequency, statutory, source, active, created_at, updated_at, post name
 * Task rows: id, duty_id, person_id, risk_object_id, unit_id, period, due_at,
 *   state, done_at, note, created_at, updated_at, duty title, frequency,
 *   person name, unit path, risk object name */
#ifndef WS_Q_DUTY_H
#define WS_Q_DUTY_H

extern const char Q_DUTY_INSERT[];       /* $1 enterprise, $2 post, $3 title, $4 description, $5 frequency, $6 now -> id */
extern const char Q_DUTY_STATUTORY_COUNT[]; /* -> count of statutory duties */
extern const char Q_DUTY_STATUTORY_INSERT[]; /* $1 mh_role, $2 title, $3 description, $4 frequency, $5 source,
                                               $6 now -> id */
extern const char Q_DUTY_UPDATE[];       /* $1 id, $2 title, $3 description, $4 frequency, $5 active, $6 now */
extern const char Q_DUTY_GET[];          /* $1 id -> duty row */
extern const char Q_DUTY_LIST[];         /* $1 enterprise (0: statutory only) -> duty rows (the enterprise's and the
                                            statutory ones) */
extern const char Q_DUTY_ACTIVE[];       /* -> id, enterprise_id, post_id, mh_role, frequency */
extern const char Q_DUTY_POST_HOLDERS[]; /* $1 post -> person id, unit id, unit tz (active people) */
extern const char Q_DUTY_MH_HOLDERS[];   /* $1 role -> risk object id, unit id, person id (NULL when none), unit tz */
extern const char Q_DUTY_TASK_INSERT[];  /* $1 duty, $2 person, $3 risk object, $4 unit, $5 period, $6 due, $7 now
                                            -> id (nothing when made already) */
extern const char Q_DUTY_TASK_GET[];     /* $1 id -> task row */
extern const char Q_DUTY_TASK_SET[];     /* $1 id, $2 state, $3 done_at, $4 note, $5 now */
extern const char Q_DUTY_OVERDUE[];      /* $1 now, $2 limit -> ids of open tasks past their due time */
extern const char Q_DUTY_MY[];           /* $1 person, $2 since -> task rows: open, or done/missed since */
extern const char Q_DUTY_OF_PERSON[];    /* $1 person, $2 scope path -> task rows (open first, newest) */
extern const char Q_DUTY_COMPLETION[];   /* $1 scope path, $2 since -> person id, name, unit path, tasks, done,
                                            missed, open */

#endif
