/* dashboard.h — the collaboration dashboard (issue 6 item 7): how fast the
 * organisation responds, read from the records it already keeps. Nothing is
 * stored here; every figure is computed from the scope and period asked for.
 *
 * Figures (hidden dangers reported in [from, to) in the scope):
 *  - report_to_first_action: from the report (the lifecycle's start) to the
 *    first action anyone took on it (assessment, rejection, ...), median and
 *    90th percentile in seconds, n;
 *  - assignment_to_done: from the first assignment to the acceptance that
 *    closed it;
 *  - return_rate: assignments returned (return_assignment) per assignment;
 *    rejection_rate: acceptances refused (reject_acceptance) per acceptance
 *    decision;
 *  - satisfaction: the reporters' ratings (1..5) of anonymous reports made
 *    in the period: how many rated, the average, how many were answered
 *    (null when none was rated);
 *  - overdue_by_department: open overdue hazards by the assignee's
 *    department, open task-force tasks past due by department, duty tasks
 *    missed in the period by the person's department.
 * The committee list (the monthly cross-department risk list for the safety
 * committee): risk objects whose residual level is major or high, open major
 * or overdue hazards, and open task forces, each with its department. */
#ifndef WS_DASHBOARD_H
#define WS_DASHBOARD_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* The figures above for the scope (a unit path; unit 0 or a unit whose
 * subtree narrows it) and [from, to) (at most a year). satisfaction
 * (borrowed, may be NULL) is copied in. *out new reference. */
ws_err dashboard_collaboration(store_conn *c, const char *scope, int64_t unit, int64_t from, int64_t to,
                               const json_t *satisfaction, json_t **out);
/* The cross-department risk list: [{kind risk|hazard|task_force, id, title,
 * level|state, department, ...}] (new reference). */
ws_err dashboard_committee_list(store_conn *c, const char *scope, int64_t unit, json_t **out);

#endif
