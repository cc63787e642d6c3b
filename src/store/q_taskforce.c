/* q_taskforce.c — SQL of task forces and incidents; parameters and column
 * orders in q_taskforce.h. Written once for SQLite 3.40 and PostgreSQL 15. */
#include "store/q_taskforce.h"

#define TF_COLS                                                                                 \
    "f.id, f.unit_id, f.source_kind, f.source_id, f.trigger_kind, f.title, f.state, f.drill, "  \
    "f.links, f.opened_at, f.closed_at, f.created_by, f.updated_at, u.path"
#define TF_FROM " FROM task_forces f JOIN units u ON u.id = f.unit_id "

const char Q_TF_INSERT[] =
    "INSERT INTO task_forces (unit_id, source_kind, source_id, trigger_kind, title, state, drill, links, "
    "opened_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $9, $8, $9) "
    "ON CONFLICT (source_kind, source_id) DO NOTHING RETURNING id";
const char Q_TF_BY_SOURCE[] = "SELECT id FROM task_forces WHERE source_kind = $1 AND source_id = $2";
const char Q_TF_GET[] = "SELECT " TF_COLS TF_FROM "WHERE f.id = $1";
const char Q_TF_CLOSE[] = "UPDATE task_forces SET state = 'closed', closed_at = $2, updated_at = $2 WHERE id = $1";
const char Q_TF_LIST[] =
    "SELECT " TF_COLS TF_FROM "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND (CAST($3 AS TEXT) = '' OR f.state = $3) AND (CAST($4 AS BIGINT) = 0 OR f.id < $4) "
    "ORDER BY f.id DESC LIMIT $5";
const char Q_TF_RULES[] =
    "SELECT department_code, task_title, task_kind, due_hours FROM task_force_rules WHERE trigger_kind = $1 "
    "ORDER BY position, id";
const char Q_TF_RULES_ALL[] =
    "SELECT trigger_kind, department_code, task_title, task_kind, due_hours, position FROM task_force_rules "
    "ORDER BY trigger_kind, position, id";
const char Q_TF_RULES_CLEAR[] = "DELETE FROM task_force_rules";
const char Q_TF_RULE_INSERT[] =
    "INSERT INTO task_force_rules (trigger_kind, department_code, task_title, task_kind, due_hours, position) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
const char Q_TF_DEPT_BY_CODE[] = "SELECT id, name FROM departments WHERE enterprise_id = $1 AND code = $2 AND active = 1";
const char Q_TF_DEPT_LEAD[] =
    "SELECT p.id FROM people p WHERE p.department_id = $1 AND p.active = 1 ORDER BY "
    "(SELECT count(*) FROM person_posts pp JOIN posts o ON o.id = pp.post_id "
    " WHERE pp.person_id = p.id AND o.code = 'dept_manager') DESC, p.id LIMIT 1";
const char Q_TF_MEMBER_ADD[] =
    "INSERT INTO task_force_members (force_id, person_id, department_id, role, joined_at) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (force_id, person_id) DO NOTHING RETURNING id";
const char Q_TF_MEMBERS[] =
    "SELECT m.id, m.person_id, m.department_id, m.role, m.joined_at, p.name, d.name FROM task_force_members m "
    "JOIN people p ON p.id = m.person_id LEFT JOIN departments d ON d.id = m.department_id "
    "WHERE m.force_id = $1 ORDER BY m.id";

#define TASK_COLS                                                                                   \
    "t.id, t.force_id, t.department_id, t.assignee_person_id, t.title, t.kind, t.amount_cents, t.state, " \
    "t.due_at, t.done_at, t.note, t.created_at, t.updated_at, d.name, p.name, u.path, f.state"
#define TASK_FROM                                                                                     \
    " FROM task_force_tasks t JOIN task_forces f ON f.id = t.force_id JOIN units u ON u.id = f.unit_id " \
    "LEFT JOIN departments d ON d.id = t.department_id LEFT JOIN people p ON p.id = t.assignee_person_id "
const char Q_TF_TASK_INSERT[] =
    "INSERT INTO task_force_tasks (force_id, department_id, assignee_person_id, title, kind, state, due_at, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7) RETURNING id";
const char Q_TF_TASK_GET[] = "SELECT " TASK_COLS TASK_FROM "WHERE t.id = $1";
const char Q_TF_TASKS[] = "SELECT " TASK_COLS TASK_FROM "WHERE t.force_id = $1 ORDER BY t.id";
const char Q_TF_TASK_SET[] =
    "UPDATE task_force_tasks SET state = $2, done_at = $3, note = $4, amount_cents = $5, updated_at = $6 "
    "WHERE id = $1";
const char Q_TF_OPEN_TASKS[] = "SELECT count(*) FROM task_force_tasks WHERE force_id = $1 AND state = 'open'";
const char Q_TF_MY_TASKS[] =
    "SELECT " TASK_COLS TASK_FROM "WHERE t.assignee_person_id = $1 AND (CAST($2 AS TEXT) = '' OR t.state = $2) "
    "ORDER BY t.state DESC, t.due_at, t.id LIMIT 200";
const char Q_TF_EVENT_INSERT[] =
    "INSERT INTO task_force_events (force_id, at, kind, actor, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id";
const char Q_TF_EVENTS[] = "SELECT id, at, kind, actor, detail FROM task_force_events WHERE force_id = $1 ORDER BY id";

const char Q_TF_NEW_MAJOR_HAZARDS[] =
    "SELECT h.id, h.unit_id, h.title, h.accident_type, h.hazard_factor, h.photo_ids FROM hazards h "
    "WHERE h.grade = 'major' AND h.state NOT IN ('closed', 'rejected') AND NOT EXISTS "
    "(SELECT 1 FROM task_forces f WHERE f.source_kind = 'hazard' AND f.source_id = h.id) ORDER BY h.id LIMIT $1";
const char Q_TF_NEW_EMERGENCIES[] =
    "SELECT a.id, a.unit_id, a.title FROM alarms a WHERE a.level = 3 AND a.open = 1 AND a.raised_at >= $1 "
    "AND NOT EXISTS (SELECT 1 FROM task_forces f WHERE f.source_kind = 'alarm' AND f.source_id = a.id) "
    "ORDER BY a.id LIMIT $2";
const char Q_TF_NEW_INCIDENTS[] =
    "SELECT i.id, i.unit_id, i.title, i.severity FROM incidents i WHERE i.severity IN ('serious', 'major', "
    "'critical') AND i.state = 'open' AND NOT EXISTS "
    "(SELECT 1 FROM task_forces f WHERE f.source_kind = 'incident' AND f.source_id = i.id) ORDER BY i.id LIMIT $1";
const char Q_TF_SIMILAR_HAZARDS[] =
    "SELECT h.id, h.title, h.state, h.found_at FROM hazards h JOIN units u ON u.id = h.unit_id "
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' AND h.id <> $4 AND (h.accident_type = $2 OR "
    "(CAST($3 AS TEXT) <> '' AND h.hazard_factor = $3)) ORDER BY h.found_at DESC, h.id DESC LIMIT 5";
const char Q_TF_HAZARD_OF_INSTANCE[] = "SELECT id, title FROM hazards WHERE instance_id = $1";
const char Q_TF_HAZARD_SOURCE[] =
    "SELECT unit_id, title, accident_type, hazard_factor, photo_ids FROM hazards WHERE id = $1";

#define INC_COLS                                                                                        \
    "i.id, i.unit_id, i.title, i.description, i.occurred_at, i.severity, i.people_affected, i.injuries, " \
    "i.fatalities, i.reported_by, i.reporter_person_id, i.state, i.created_at, i.updated_at, u.path"
const char Q_INCIDENT_INSERT[] =
    "INSERT INTO incidents (unit_id, title, description, occurred_at, severity, people_affected, injuries, "
    "fatalities, reported_by, reporter_person_id, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
    "$6, $7, $8, $9, $10, 'open', $11, $11) RETURNING id";
const char Q_INCIDENT_GET[] = "SELECT " INC_COLS " FROM incidents i JOIN units u ON u.id = i.unit_id WHERE i.id = $1";
const char Q_INCIDENT_LIST[] =
    "SELECT " INC_COLS " FROM incidents i JOIN units u ON u.id = i.unit_id WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND (CAST($3 AS BIGINT) = 0 OR i.id < $3) ORDER BY i.id DESC LIMIT $4";

const char Q_DRILL_SCENARIO[] = "SELECT title, description, alarm_level FROM drill_scenarios WHERE key = $1";
const char Q_DRILL_SCENARIOS[] = "SELECT key, title, description, alarm_level FROM drill_scenarios ORDER BY key";
const char Q_DRILL_INSERT[] =
    "INSERT INTO drills (scenario, unit_id, alarm_level, started_at, started_by, created_at) "
    "VALUES ($1, $2, $3, $5, $4, $5) RETURNING id";
const char Q_DRILL_SET_FORCE[] = "UPDATE drills SET force_id = $2 WHERE id = $1";
#define DRILL_COLS                                                                                          \
    "d.id, d.scenario, d.unit_id, d.force_id, d.alarm_level, d.started_at, d.started_by, u.path, s.title"
#define DRILL_FROM " FROM drills d JOIN units u ON u.id = d.unit_id JOIN drill_scenarios s ON s.key = d.scenario "
const char Q_DRILL_GET[] = "SELECT " DRILL_COLS DRILL_FROM "WHERE d.id = $1";
const char Q_DRILL_LIST[] =
    "SELECT " DRILL_COLS DRILL_FROM "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS TEXT) = '' OR d.scenario = $2) ORDER BY d.id DESC LIMIT $3";
const char Q_DRILL_OF_CLOSED_TASK[] =
    "SELECT d.id, d.unit_id, d.alarm_level FROM task_force_tasks t JOIN task_forces f ON f.id = t.force_id "
    "JOIN drills d ON d.force_id = f.id WHERE t.id = $1 AND f.state = 'closed'";
const char Q_DRILL_ALARM[] =
    "SELECT a.raised_at, a.acked_at, p.name, a.state FROM alarms a LEFT JOIN people p ON p.id = a.acked_by_person_id "
    "WHERE a.rule_id = $1 AND a.source_id = $2 ORDER BY a.id LIMIT 1";
