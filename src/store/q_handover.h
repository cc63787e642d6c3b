/* q_handover.h — named queries of the shift handover record (src/handover);
 * the schema is migration 30 of src/store/migrations.c.
 *
 * Column orders the readers in src/handover rely on:
 *   handover rows: id, unit_id, shift_id, period_from, period_to, state,
 *                  handed_by_person_id, handed_note, summary, snapshot
 *                  (Q_HANDOVER_GET only; '' in lists), taken_by_person_id,
 *                  taken_at, taken_note, created_at, updated_at, unit path,
 *                  unit name, shift name, handed-by name, taken-by name,
 *                  taken_on_roster (NULL, 0 or 1)
 *   snapshot alarm rows: id, level, title, state, raised_at, acked-by name,
 *                  closed-by name
 * The snapshot reads take $1 the unit's path (its subtree) and $2 a row
 * limit; the alarm reads $3 the window's end (alarms raised after it are
 * not listed: a handover recorded for a past instant, as the demo's, lists
 * none newer) and Q_HANDOVER_RAISED $4 its start (ms UTC). Bypasses, permits
 * and work orders are read in the state they have now, those made after the
 * window's end ($3) left out. */
#ifndef WS_Q_HANDOVER_H
#define WS_Q_HANDOVER_H

extern const char Q_HANDOVER_INSERT[];   /* $1 unit .. $9 created_at -> id */
extern const char Q_HANDOVER_TAKE[];     /* $1 id, $2 state, $3 person, $4 at, $5 note, $6 on the
                                          * next shift's roster (NULL, 0, 1); only a handed one */
extern const char Q_HANDOVER_ROSTER[];   /* $1 shift, $2 day -> person id, name, role, crew name
                                          * (NULL: rostered alone) of its active people rostered
                                          * that day, by person */
extern const char Q_HANDOVER_GET[];      /* $1 id */
extern const char Q_HANDOVER_LIST[];     /* $1 scope, $2 unit subtree or 0, $3 cursor (ids below it; 0 none), $4 limit, $5 state or '' */
extern const char Q_HANDOVER_WAITING[];  /* $1 unit -> id of the handover waiting to be taken */
extern const char Q_HANDOVER_LAST[];     /* $1 unit -> period_to of the latest accepted one */
extern const char Q_HANDOVER_SHIFTS[];   /* $1 unit path -> active shifts of the unit and its ancestors,
                                          * deepest unit first: id, name, start_min, length_min, tz, path */

/* The timer's and the figures' queries take the default wait and early
 * window (minutes) as parameters and use a unit's handover_settings over them. */
extern const char Q_HANDOVER_SETTINGS_GET[]; /* $1 unit -> required, wait_min, early_min, updated_at */
extern const char Q_HANDOVER_SETTINGS_PUT[]; /* $1 unit, $2 required, $3 wait, $4 early, $5 at (upsert) */
extern const char Q_HANDOVER_OVERDUE[];  /* $1 now, $2 rule, $3 default wait -> id, unit_id, handed_at,
                                          * unit name, giver's name: waiting longer than the unit's
                                          * wait and never alarmed */
extern const char Q_HANDOVER_TAKEN[];    /* $1 rule -> source (handover) id, unit_id of its open alarms
                                          * whose handover is no longer waiting */
extern const char Q_HANDOVER_KEEPERS[];  /* $1 from, $2 to, $3 default wait, $4 default early,
                                          * $5 after this unit id -> unit id, path, name, wait, early
                                          * of active units with a handover created in [from, to] or
                                          * required to hand over; 64 at a time by id */
extern const char Q_HANDOVER_SINCE[];    /* $1 unit, $2 from, $3 to -> handovers created in [from, to] */
extern const char Q_HANDOVER_MISSED_RAISED[]; /* $1 rule, $2 unit, $3 since -> times its alarm was
                                          * raised since (first, again, or once more after returning) */
extern const char Q_HANDOVER_MISSED_DONE[];   /* $1 rule, $2 default wait, $3 now, $4 default early
                                          * -> units of active missed-handover alarms with a handover
                                          * since the last raise less the unit's wait and early window */

extern const char Q_HANDOVER_KPI_ROWS[]; /* $1 scope, $2 unit subtree or 0, $3 from, $4 to, $5 default
                                          * wait, $6 default early -> unit id, path, name, state,
                                          * created_at, taken_at, taken_on_roster, the unit's wait and
                                          * early window; by unit, then time */

extern const char Q_HANDOVER_RAISED[];   /* alarm rows raised in the window, newest first */
extern const char Q_HANDOVER_LEVELS[];   /* $1 path, $2 from, $3 to -> level, count */
extern const char Q_HANDOVER_OPEN[];     /* open alarm rows raised by the end, newest first */
extern const char Q_HANDOVER_BYPASSES[]; /* id, interlock, state, expires_at, measures: active or expired */
extern const char Q_HANDOVER_PERMITS[];  /* id, code, type, grade, title, state, planned_end: active or suspended */
extern const char Q_HANDOVER_ORDERS[];   /* id, title, kind, state, due_at: open or in progress */

#endif
