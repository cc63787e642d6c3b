/* q_dashboard.c — SQL of the collaboration dashboard; see q_dashboard.h.
 * Written once for SQLite 3.40 and PostgreSQL 15. */
#include "store/q_dashboard.h"

#define IN_SCOPE(u)                                                                               \
    u ".path LIKE CAST($1 AS TEXT) || '%' AND (CAST($2 AS BIGINT) = 0 OR " u ".path LIKE "         \
    "(SELECT path FROM units WHERE id = $2) || '%')"

const char Q_DASH_HAZARD_EVENTS[] =
    "SELECT h.id, e.at, e.kind, e.action FROM hazards h JOIN units u ON u.id = h.unit_id "
    "JOIN workflow_events e ON e.instance_id = h.instance_id "
    "WHERE " IN_SCOPE("u") " AND h.found_at >= $3 AND h.found_at < $4 ORDER BY h.id, e.id LIMIT 100000";
const char Q_DASH_OVERDUE_HAZARDS[] =
    "SELECT coalesce(d.name, '未指派部门'), count(*) FROM hazards h JOIN units u ON u.id = h.unit_id "
    "LEFT JOIN people p ON p.id = h.assignee_person_id LEFT JOIN departments d ON d.id = p.department_id "
    "WHERE " IN_SCOPE("u") " AND h.overdue = 1 AND h.state NOT IN ('closed', 'rejected') "
    "GROUP BY coalesce(d.name, '未指派部门') ORDER BY count(*) DESC";
const char Q_DASH_OVERDUE_TASKS[] =
    "SELECT coalesce(d.name, '未指派部门'), count(*) FROM task_force_tasks t JOIN task_forces f ON f.id = t.force_id "
    "JOIN units u ON u.id = f.unit_id LEFT JOIN departments d ON d.id = t.department_id "
    "WHERE " IN_SCOPE("u") " AND t.state = 'open' AND t.due_at IS NOT NULL AND t.due_at < $3 "
    "GROUP BY coalesce(d.name, '未指派部门') ORDER BY count(*) DESC";
const char Q_DASH_MISSED_DUTIES[] =
    "SELECT coalesce(d.name, '未指派部门'), count(*) FROM duty_tasks t JOIN people p ON p.id = t.person_id "
    "JOIN units u ON u.id = t.unit_id LEFT JOIN departments d ON d.id = p.department_id "
    "WHERE " IN_SCOPE("u") " AND t.state = 'missed' AND t.due_at >= $3 AND t.due_at < $4 "
    "GROUP BY coalesce(d.name, '未指派部门') ORDER BY count(*) DESC";
const char Q_DASH_RISKS[] =
    "SELECT o.id, o.name, max(e.residual_rank), coalesce(d.name, ''), u.name FROM risk_objects o "
    "JOIN units u ON u.id = o.unit_id JOIN risk_units ru ON ru.object_id = o.id "
    "JOIN risk_events e ON e.risk_unit_id = ru.id "
    "LEFT JOIN people p ON p.id = o.responsible_person_id LEFT JOIN departments d ON d.id = p.department_id "
    "WHERE " IN_SCOPE("u") " AND o.active = 1 AND e.active = 1 AND e.residual_level IN ('major', 'high') "
    "GROUP BY o.id, o.name, d.name, u.name ORDER BY max(e.residual_rank) DESC, o.id LIMIT 500";
const char Q_DASH_OPEN_MAJOR[] =
    "SELECT h.id, h.title, h.state, h.overdue, coalesce(d.name, ''), h.found_at FROM hazards h "
    "JOIN units u ON u.id = h.unit_id LEFT JOIN people p ON p.id = h.assignee_person_id "
    "LEFT JOIN departments d ON d.id = p.department_id "
    "WHERE " IN_SCOPE("u") " AND h.state NOT IN ('closed', 'rejected') AND (h.grade = 'major' OR h.overdue = 1) "
    "ORDER BY h.grade DESC, h.found_at LIMIT 500";
const char Q_DASH_OPEN_FORCES[] =
    "SELECT f.id, f.title, f.trigger_kind, f.opened_at, "
    "(SELECT count(*) FROM task_force_tasks t WHERE t.force_id = f.id AND t.state = 'open') "
    "FROM task_forces f JOIN units u ON u.id = f.unit_id WHERE " IN_SCOPE("u") " AND f.state = 'open' "
    "ORDER BY f.opened_at LIMIT 500";
const char Q_DASH_SATISFACTION[] =
    "SELECT count(r.rating), avg(CAST(r.rating AS REAL)), "
    "sum(CASE WHEN r.first_reply_at IS NOT NULL THEN 1 ELSE 0 END) FROM voice_reports r "
    "JOIN units u ON u.id = r.unit_id WHERE " IN_SCOPE("u") " AND r.created_at >= $3 AND r.created_at < $4";
