/* q_duty.c — SQL of the duty lists; parameters and column orders in
 * q_duty.h. Written once for SQLite 3.40 and PostgreSQL 15. */
#include "store/q_duty.h"

#define DUTY_COLS                                                                                     \
    "d.id, d.enterprise_id, d.post_id, d.mh_role, d.title, d.description, d.frequency, d.statutory, " \
    "d.source, d.active, d.created_at, d.updated_at, p.name"
#define DUTY_FROM " FROM duties d LEFT JOIN posts p ON p.id = d.post_id "

const char Q_DUTY_INSERT[] =
    "INSERT INTO duties (enterprise_id, post_id, mh_role, title, description, frequency, statutory, source, "
    "active, created_at, updated_at) VALUES ($1, $2, NULL, $3, $4, $5, 0, NULL, 1, $6, $6) RETURNING id";
const char Q_DUTY_STATUTORY_COUNT[] = "SELECT count(*) FROM duties WHERE statutory = 1";
const char Q_DUTY_STATUTORY_INSERT[] =
    "INSERT INTO duties (enterprise_id, post_id, mh_role, title, description, frequency, statutory, source, "
    "active, created_at, updated_at) VALUES (NULL, NULL, $1, $2, $3, $4, 1, $5, 1, $6, $6) RETURNING id";
const char Q_DUTY_UPDATE[] =
    "UPDATE duties SET title = $2, description = $3, frequency = $4, active = $5, updated_at = $6 WHERE id = $1";
const char Q_DUTY_GET[] = "SELECT " DUTY_COLS DUTY_FROM "WHERE d.id = $1";
const char Q_DUTY_LIST[] =
    "SELECT " DUTY_COLS DUTY_FROM "WHERE d.enterprise_id IS NULL OR d.enterprise_id = $1 "
    "ORDER BY d.statutory DESC, d.id";
const char Q_DUTY_ACTIVE[] =
    "SELECT id, enterprise_id, post_id, mh_role, frequency FROM duties WHERE active = 1 ORDER BY id";
const char Q_DUTY_POST_HOLDERS[] =
    "SELECT pe.id, pe.unit_id, u.tz FROM person_posts pp JOIN people pe ON pe.id = pp.person_id "
    "JOIN units u ON u.id = pe.unit_id WHERE pp.post_id = $1 AND pe.active = 1 ORDER BY pe.id";
const char Q_DUTY_MH_HOLDERS[] =
    "SELECT o.id, o.unit_id, CASE CAST($1 AS TEXT) WHEN 'principal' THEN o.mh_principal_person_id "
    "WHEN 'technical' THEN o.mh_technical_person_id ELSE o.mh_operational_person_id END, u.tz "
    "FROM risk_objects o JOIN units u ON u.id = o.unit_id WHERE o.major_hazard = 1 AND o.active = 1 ORDER BY o.id";

#define TASK_COLS                                                                                   \
    "t.id, t.duty_id, t.person_id, t.risk_object_id, t.unit_id, t.period, t.due_at, t.state, t.done_at, " \
    "t.note, t.created_at, t.updated_at, d.title, d.frequency, pe.name, u.path, o.name"
#define TASK_FROM                                                                                       \
    " FROM duty_tasks t JOIN duties d ON d.id = t.duty_id JOIN people pe ON pe.id = t.person_id "        \
    "JOIN units u ON u.id = t.unit_id LEFT JOIN risk_objects o ON o.id = t.risk_object_id "
const char Q_DUTY_TASK_INSERT[] =
    "INSERT INTO duty_tasks (duty_id, person_id, risk_object_id, unit_id, period, due_at, state, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7) "
    "ON CONFLICT (duty_id, person_id, risk_object_id, period) DO NOTHING RETURNING id";
const char Q_DUTY_TASK_GET[] = "SELECT " TASK_COLS TASK_FROM "WHERE t.id = $1";
const char Q_DUTY_TASK_SET[] =
    "UPDATE duty_tasks SET state = $2, done_at = $3, note = $4, updated_at = $5 WHERE id = $1";
const char Q_DUTY_OVERDUE[] =
    "SELECT id FROM duty_tasks WHERE state = 'open' AND due_at <= $1 ORDER BY id LIMIT $2";
const char Q_DUTY_MY[] =
    "SELECT " TASK_COLS TASK_FROM "WHERE t.person_id = $1 AND (t.state = 'open' OR t.updated_at >= $2) "
    "ORDER BY t.state DESC, t.due_at, t.id LIMIT 200";
const char Q_DUTY_COMPLETION[] =
    "SELECT pe.id, pe.name, u.path, count(*), sum(CASE WHEN t.state = 'done' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN t.state = 'missed' THEN 1 ELSE 0 END), sum(CASE WHEN t.state = 'open' THEN 1 ELSE 0 END) "
    "FROM duty_tasks t JOIN people pe ON pe.id = t.person_id JOIN units u ON u.id = pe.unit_id "
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' AND t.created_at >= $2 "
    "GROUP BY pe.id, pe.name, u.path ORDER BY pe.id LIMIT 1000";
const char Q_DUTY_OF_PERSON[] =
    "SELECT " TASK_COLS TASK_FROM "JOIN units pu ON pu.id = pe.unit_id WHERE t.person_id = $1 "
    "AND pu.path LIKE CAST($2 AS TEXT) || '%' ORDER BY CASE t.state WHEN 'open' THEN 0 ELSE 1 END, t.id DESC LIMIT 200";
