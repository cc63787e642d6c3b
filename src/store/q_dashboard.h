/* q_dashboard.h — the collaboration dashboard's queries (src/dashboard):
 * read-only, over the hazards and their workflow timeline, task forces,
 * duty tasks and the risk register. $1 is always the scope path (the
 * caller's), $2 a unit whose subtree narrows it or 0. */
#ifndef WS_Q_DASHBOARD_H
#define WS_Q_DASHBOARD_H

extern const char Q_DASH_HAZARD_EVENTS[];  /* $1 scope, $2 unit, $3 from, $4 to -> hazard id, event at, kind, action
                                              (hazards reported in [from, to), their events in order) */
extern const char Q_DASH_OVERDUE_HAZARDS[]; /* $1 scope, $2 unit -> department name, count (open and overdue) */
extern const char Q_DASH_OVERDUE_TASKS[];  /* $1 scope, $2 unit, $3 now -> department name, count (task-force tasks open
                                              past due) */
extern const char Q_DASH_MISSED_DUTIES[];  /* $1 scope, $2 unit, $3 from, $4 to -> department name, count */
extern const char Q_DASH_RISKS[];          /* $1 scope, $2 unit -> risk object id, name, highest residual rank (4 major, 3 high), department,
                                              unit name (the highest residual level of its events) */
extern const char Q_DASH_OPEN_MAJOR[];     /* $1 scope, $2 unit -> hazard id, title, state, overdue, department, found_at */
extern const char Q_DASH_OPEN_FORCES[];    /* $1 scope, $2 unit -> force id, title, trigger, opened_at, open tasks */

extern const char Q_DASH_SATISFACTION[];   /* $1 scope, $2 unit, $3 from, $4 to -> rated, average rating, answered */

#endif
