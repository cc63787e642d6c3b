/* q_hazard.h — named queries of hidden dangers (src/hazard).
 *
 * Row-returning queries of hazards return HAZARD_ROW columns, in this order:
 *   id, unit_id, instance_id, title, accident_type, hazard_factor,
 *   risk_event_id, location, grade, state, source, sup_level, found_at,
 *   deadline, created_at, updated_at, closed_at, reporter_person_id,
 *   assignee_person_id, rectifier_person_id, acceptor_person_id,
 *   recurrence_of, overdue, unit name, unit path
 * The list queries take $1 the unit-subtree path prefix, $2 grade ('' any),
 * $3 supervised only (0/1), $4 cursor (ids below it, 0 = newest first), $5
 * limit, then their own parameters. */
#ifndef WS_Q_HAZARD_H
#define WS_Q_HAZARD_H

extern const char Q_HAZARD_INSERT[];      /* 22 columns, see q_hazard.c -> id */
extern const char Q_HAZARD_GET[];         /* $1 id -> row + description, lat, lon, photo_ids,
                                             sup_document_no, sup_note, sup_regulator_acceptance,
                                             sup_at, sup_by */
extern const char Q_HAZARD_SYNC[];        /* $1 id, $2 state, $3 grade, $4 deadline,
                                             $5 assignee, $6 rectifier, $7 acceptor,
                                             $8 overdue, $9 now, $10 closed_at */
extern const char Q_HAZARD_BY_INSTANCE[]; /* $1 instance id -> id */
extern const char Q_HAZARD_SUPERVISE[];   /* $1 id, $2 level, $3 doc, $4 note, $5 reg_acc,
                                             $6 at, $7 by */
extern const char Q_HAZARD_SET_RECURRENCE[]; /* $1 id, $2 earlier id */
extern const char Q_HAZARD_RECURRENCE[];  /* $1 unit, $2 risk event (0 none), $3 accident
                                             type, $4 factor ('' none), $5 since, $6 id -> id */
extern const char Q_HAZARD_OVERDUE_DUE[]; /* $1 now, $2 limit -> id, instance id */
extern const char Q_HAZARD_MARK_OVERDUE[];/* $1 id, $2 now (only when still open and due) */

extern const char Q_HAZARD_LIST[];         /* filters only, $6 state ('' any), $7 overdue only */
extern const char Q_HAZARD_LIST_STATE[];   /* $6 state (by the state index) */
extern const char Q_HAZARD_LIST_OVERDUE[]; /* overdue ones (by the overdue index), $6 state|'' */
extern const char Q_HAZARD_LIST_TERMS[];   /* $6..$9 terms (repeat the last when fewer),
                                             $10..$13 lower-case LIKE patterns ('%' unused),
                                             $14 state|'', $15 overdue only,
                                             $16 hi, $17 lo: the window hazard_id in [lo, hi) */
extern const char Q_HAZARD_TERM_WINDOW[];  /* $1 term, $2 hi, $3 offset -> the lower bound */
extern const char Q_HAZARD_STATS[];        /* $1 path -> state, count, overdue, major open,
                                             supervised open (grouped by state) */

extern const char Q_HAZARD_TERMS_DELETE[]; /* $1 hazard id */
extern const char Q_HAZARD_TERM_INSERT[];  /* $1 term, $2 hazard id */

extern const char Q_HAZARD_FACTOR_LIST[];  /* -> code, name, parent */
extern const char Q_HAZARD_FACTOR_GET[];   /* $1 code -> name */
extern const char Q_HAZARD_FACTOR_INSERT[];/* $1 code, $2 name, $3 parent, $4 now -> id */

#endif
