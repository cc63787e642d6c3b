/* q_taskforce.h — named queries of task forces and incidents
 * (src/taskforce); schema migration 20 of src/store/migrations.c.
 *
 * Force rows: id, unit_id, source_kind, source_id, trigger_kind, title,
 *   state, drill, links, opened_at, closed_at, created_by, updated_at,
 *   unit path
 * Task rows: id, force_id, department_id, assignee_person_id, title, kind,
 *   amount_cents, state, due_at, done_at, note, created_at, updated_at,
 *   department name, assignee name, force unit path, force state
 * Incident rows: id, unit_id, title, description, occurred_at, severity,
 *   people_affected, injuries, fatalities, reported_by, reporter_person_id,
 *   state, created_at, updated_at, unit path */
#ifndef WS_Q_TASKFORCE_H
#define WS_Q_TASKFORCE_H

extern const char Q_TF_INSERT[];        /* $1 unit, $2 source_kind, $3 source_id, $4 trigger, $5 title, $6 drill,
                                           $7 links, $8 created_by, $9 now -> id (nothing on a duplicate source) */
extern const char Q_TF_BY_SOURCE[];     /* $1 source_kind, $2 source_id -> id */
extern const char Q_TF_GET[];           /* $1 id -> force row */
extern const char Q_TF_CLOSE[];         /* $1 id, $2 now */
extern const char Q_TF_LIST[];          /* $1 scope, $2 unit or 0, $3 state '' any, $4 cursor (ids below), $5 limit */
extern const char Q_TF_RULES[];         /* $1 trigger -> department_code, task_title, task_kind, due_hours */
extern const char Q_TF_RULES_ALL[];     /* -> trigger_kind, department_code, task_title, task_kind, due_hours, position */
extern const char Q_TF_RULES_CLEAR[];
extern const char Q_TF_RULE_INSERT[];   /* $1 trigger, $2 dept code, $3 title, $4 kind, $5 due_hours, $6 position */
extern const char Q_TF_DEPT_BY_CODE[];  /* $1 enterprise, $2 code -> id, name */
extern const char Q_TF_DEPT_LEAD[];     /* $1 department -> person id: its dept_manager, else its first active person */
extern const char Q_TF_MEMBER_ADD[];    /* $1 force, $2 person, $3 department, $4 role, $5 now -> id (nothing when in) */
extern const char Q_TF_MEMBERS[];       /* $1 force -> id, person_id, department_id, role, joined_at, person name,
                                           department name */
extern const char Q_TF_TASK_INSERT[];   /* $1 force, $2 department, $3 assignee, $4 title, $5 kind, $6 due, $7 now -> id */
extern const char Q_TF_TASK_GET[];      /* $1 id -> task row */
extern const char Q_TF_TASKS[];         /* $1 force -> task rows */
extern const char Q_TF_TASK_SET[];      /* $1 id, $2 state, $3 done_at, $4 note, $5 amount_cents, $6 now */
extern const char Q_TF_OPEN_TASKS[];    /* $1 force -> count of open tasks */
extern const char Q_TF_MY_TASKS[];      /* $1 person, $2 state '' any -> task rows */
extern const char Q_TF_EVENT_INSERT[];  /* $1 force, $2 at, $3 kind, $4 actor, $5 detail -> id */
extern const char Q_TF_EVENTS[];        /* $1 force -> id, at, kind, actor, detail */
/* Triggers not yet answered by a force */
extern const char Q_TF_NEW_MAJOR_HAZARDS[];  /* $1 limit -> hazard id, unit_id, title, accident_type, hazard_factor,
                                                photo_ids */
extern const char Q_TF_NEW_EMERGENCIES[];    /* $1 since, $2 limit -> alarm id, unit_id, title */
extern const char Q_TF_NEW_INCIDENTS[];      /* $1 limit -> incident id, unit_id, title, severity */
extern const char Q_TF_SIMILAR_HAZARDS[];    /* $1 enterprise path, $2 accident_type, $3 hazard_factor, $4 self ->
                                                id, title, state, found_at (newest 5) */
extern const char Q_TF_HAZARD_OF_INSTANCE[]; /* $1 workflow instance -> hazard id, title */
extern const char Q_TF_HAZARD_SOURCE[];      /* $1 hazard id -> unit_id, title, accident_type, hazard_factor, photo_ids */

extern const char Q_INCIDENT_INSERT[];  /* $1 unit, $2 title, $3 description, $4 occurred, $5 severity, $6 affected,
                                           $7 injuries, $8 fatalities, $9 by, $10 reporter person, $11 now -> id */
extern const char Q_INCIDENT_GET[];     /* $1 id -> incident row */
extern const char Q_INCIDENT_LIST[];    /* $1 scope, $2 unit or 0, $3 cursor, $4 limit -> incident rows */

/* Drills (migration 22) */
extern const char Q_DRILL_SCENARIO[];   /* $1 key -> title, description, alarm_level */
extern const char Q_DRILL_SCENARIOS[];  /* -> key, title, description, alarm_level */
extern const char Q_DRILL_INSERT[];     /* $1 scenario, $2 unit, $3 alarm_level, $4 by, $5 now -> id */
extern const char Q_DRILL_SET_FORCE[];  /* $1 id, $2 force */
extern const char Q_DRILL_GET[];        /* $1 id -> id, scenario, unit_id, force_id, alarm_level, started_at, started_by,
                                           unit path, scenario title */
extern const char Q_DRILL_LIST[];       /* $1 scope, $2 scenario '' any, $3 limit -> drill rows as Q_DRILL_GET */
extern const char Q_DRILL_OF_CLOSED_TASK[]; /* $1 task -> drill id, unit, alarm_level, when its force is closed */
extern const char Q_DRILL_ALARM[];      /* $1 rule, $2 drill id -> raised_at, acked_at, acked_by name, state */

#endif
