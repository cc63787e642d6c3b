/* taskforce.h — task forces that form by themselves (跨部门专项工作组), and
 * the minimal incident record that can trigger one.
 *
 * When a 重大 hidden danger, a 紧急 alarm or a serious incident opens, a force
 * is assembled by rules (task_force_rules, data): for each department the
 * trigger needs, the department's manager (post dept_manager, else its first
 * active person) joins and gets the department's task ("finance: 审批治理资金
 * 预算", with the amount when done). The force carries its links: the
 * source's photos, similar past cases (hazards of the same accident type or
 * hazard factor in the enterprise) and earlier forces of the unit. Progress
 * is tracked task by task; when the last open task closes, the force closes.
 *
 *   open ──(each task: open → done | cancelled)──► closed (when no task is open)
 *
 * Invariants (tests/unit/test_taskforce.c):
 *  1. One force per source (a hazard, an alarm, an incident): forming twice
 *     changes nothing.
 *  2. A force is closed exactly when it has tasks and none is open; a closed
 *     force takes no new task and its tasks do not change.
 *  3. Every change (force, member, task, incident) has its audit leaf and a
 *     timeline entry in the same transaction.
 *
 * Triggers are found by taskforce_tick (the service's 5 s timer; also the
 * hazard workflow's "open_task_force" effect, inside the hazard's move), so a
 * force exists within seconds of its cause, whatever path raised it.
 * Permissions: taskforce.read (every role in scope), taskforce.write (open a
 * force by hand, add tasks: admin, manager, safety officer, department head),
 * a task's own assignee or taskforce.write closes it; incident.write (report
 * an incident: all but the regulator). */
#ifndef WS_TASKFORCE_H
#define WS_TASKFORCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "org/org.h"
#include "store/store.h"

extern const audit_entity TF_ENTITY_FORCE;    /* "task_force" */
extern const audit_entity TF_ENTITY_MEMBER;   /* "task_force_member" */
extern const audit_entity TF_ENTITY_TASK;     /* "task_force_task" */
extern const audit_entity TF_ENTITY_EVENT;    /* "task_force_event" */
extern const audit_entity TF_ENTITY_INCIDENT; /* "incident" */

#define TF_TEXT_MAX 2000
#define TF_TITLE_MAX 200

ws_err taskforce_init(void);

/* Form the force of a source if it has none: trigger is major_hazard,
 * emergency_alarm, serious_incident, drill or manual. *id gets the force (the
 * existing one when formed already; *created says which). In the caller's
 * transaction when one is open. by may be NULL (the system). */
typedef struct taskforce_source {
    const char *kind;       /* hazard, alarm, incident, drill, manual */
    int64_t id;             /* the source's id (manual: 0 = a new one) */
    const char *trigger;
    int64_t unit_id;
    const char *title;
    bool drill;             /* marked as a drill everywhere */
} taskforce_source;
ws_err taskforce_form(store_conn *c, const org_caller *by, const taskforce_source *src, int64_t *id,
                      bool *created);

/* The triggers not yet answered (major hazards, 紧急 alarms of the last day,
 * serious incidents): form their forces. *formed (may be NULL) the count. */
ws_err taskforce_tick(store_conn *c, int64_t now, int *formed);

/* The hazard workflow's "open_task_force" effect (workflow_set_effect_hook). */
void taskforce_hook_workflow(void);

/* A task: done {note, amount (budget tasks, yuan)}, cancel {note}, by its
 * assignee or taskforce.write; closes the force after its last open task. */
ws_err taskforce_task_act(store_conn *c, const org_caller *by, int64_t task_id, const char *action,
                          const json_t *body);
/* Add a task to an open force (taskforce.write): {title, department_id?,
 * assignee_person_id?, kind?, due_at?}. */
ws_err taskforce_task_add(store_conn *c, const org_caller *by, int64_t force_id, const json_t *body,
                          int64_t *task_id);

/* JSON views (new references); scope checks are done with subject s (NULL:
 * trusted). */
ws_err taskforce_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out);
ws_err taskforce_list(store_conn *c, const char *scope_path, int64_t unit_id, const char *state, int limit,
                      int64_t cursor, json_t **items, int64_t *next);
/* The tasks assigned to person (state "" = all). */
ws_err taskforce_my_tasks(store_conn *c, int64_t person_id, const char *state, json_t **items);
ws_err taskforce_rules_json(store_conn *c, json_t **out);
ws_err taskforce_rules_put(store_conn *c, const org_caller *by, const json_t *items);

/* ---------------------------------------------------------------- incidents */

/* Report an incident: {unit_id, title, description, occurred_at, severity
 * (minor, serious, major, critical), people_affected, injuries, fatalities}.
 * serious and above form a task force at once. */
ws_err incident_report(store_conn *c, const org_caller *by, const json_t *body, int64_t *id);
ws_err incident_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out);
ws_err incident_list(store_conn *c, const char *scope_path, int64_t unit_id, int limit, int64_t cursor,
                     json_t **items, int64_t *next);

/* ------------------------------------------------------------------ drills */

/* Start a drill of scenario at unit (permission drill.run): the drill row and
 * its task force (marked a drill), in one transaction. *alarm_level (0 none)
 * and title ("【演练】硫化氢泄漏：罐区") tell the caller which alarm to raise
 * through the early-warning engine (source = the drill id). */
ws_err drill_start(store_conn *c, const org_caller *by, const char *scenario, int64_t unit_id, int64_t *drill_id,
                   int *alarm_level, char *title, size_t cap);
/* A drill's report: the alarm's acknowledgement (alarm_rule: the engine's
 * rule id of drill alarms), each step's time by department and person, the
 * whole, and the earlier drills of the scenario (new reference). */
ws_err drill_json(store_conn *c, const auth_subject *s, int64_t id, int64_t alarm_rule, json_t **out);

/* The drill whose task force task_id closed (its last task done or
 * cancelled): *drill_id, *unit_id and *alarm_level; *drill_id 0 when the
 * task's force is no drill's or is still open. The API layer then clears the
 * drill's alarm: the simulated event is over. */
ws_err drill_of_closed_task(store_conn *c, int64_t task_id, int64_t *drill_id, int64_t *unit_id, int *alarm_level);
ws_err drill_list(store_conn *c, const char *scope, json_t **items);
ws_err drill_scenarios_json(store_conn *c, json_t **items);

/* The demo: a force for the demo's major hazard with some tasks done. */
ws_err taskforce_demo_seed(store_conn *c, const org_demo_ids *ids);

#endif
