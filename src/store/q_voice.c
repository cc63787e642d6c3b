/* q_voice.c — SQL of the anonymous reports; parameters and column orders in
 * q_voice.h. Written once for SQLite 3.40 and PostgreSQL 15. */
#include "store/q_voice.h"

const char Q_VOICE_PARAM[] = "SELECT value FROM voice_params WHERE name = $1";
const char Q_VOICE_PARAMS[] = "SELECT name, value FROM voice_params ORDER BY name";
const char Q_VOICE_PARAM_SET[] = "UPDATE voice_params SET value = $2 WHERE name = $1";

const char Q_VOICE_PUBLIC_UNITS[] =
    "SELECT u.id, u.name, u.kind, e.id, e.name FROM units u JOIN units e ON e.id = u.enterprise_id "
    "WHERE u.active = 1 AND e.active = 1 AND u.kind IN ('enterprise', 'site', 'area', 'workshop') "
    "ORDER BY e.id, u.path LIMIT 2000";
const char Q_VOICE_PUBLIC_UNIT[] =
    "SELECT u.id FROM units u JOIN units e ON e.id = u.enterprise_id WHERE u.id = $1 AND u.active = 1 "
    "AND e.active = 1 AND u.kind IN ('enterprise', 'site', 'area', 'workshop')";

const char Q_VOICE_INSERT[] =
    "INSERT INTO voice_reports (code_hash, unit_id, category, body, photo_ids, state, validity, due_at, "
    "escalations, next_escalation_at, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, 'open', 'pending', $6, 0, $6, $7, $7) RETURNING id";

#define REPORT_COLS                                                                              \
    "r.id, r.unit_id, r.category, r.body, r.photo_ids, r.state, r.validity, r.due_at, r.escalations, " \
    "r.next_escalation_at, r.first_reply_at, r.rating, r.hazard_id, r.revealed_person_id, "       \
    "r.created_at, r.updated_at, u.path, u.name, u.leader_person_id"
#define REPORT_FROM " FROM voice_reports r JOIN units u ON u.id = r.unit_id "
const char Q_VOICE_GET[] = "SELECT " REPORT_COLS REPORT_FROM "WHERE r.id = $1";
const char Q_VOICE_BY_CODE[] = "SELECT " REPORT_COLS REPORT_FROM "WHERE r.code_hash = $1";
const char Q_VOICE_LIST[] =
    "SELECT " REPORT_COLS REPORT_FROM
    "WHERE u.path LIKE $1 || '%' AND (CAST($3 AS BIGINT) = 0 OR r.id < $3) "
    "AND ($2 = '' OR r.state = $2 OR ($2 = 'overdue' AND r.state = 'open' AND r.due_at <= $5)) "
    "ORDER BY r.id DESC LIMIT $4";
const char Q_VOICE_SET_STATE[] =
    "UPDATE voice_reports SET state = $2, next_escalation_at = $3, "
    "first_reply_at = COALESCE(first_reply_at, $4), updated_at = $5 WHERE id = $1";
const char Q_VOICE_SET_RATING[] = "UPDATE voice_reports SET rating = $2, updated_at = $3 WHERE id = $1";
const char Q_VOICE_SET_VALIDITY[] = "UPDATE voice_reports SET validity = $2, updated_at = $3 WHERE id = $1";
const char Q_VOICE_SET_HAZARD[] = "UPDATE voice_reports SET hazard_id = $2, updated_at = $3 WHERE id = $1";
const char Q_VOICE_SET_REVEALED[] =
    "UPDATE voice_reports SET revealed_person_id = $2, updated_at = $3 WHERE id = $1";
const char Q_VOICE_ESCALATE[] =
    "UPDATE voice_reports SET escalations = escalations + 1, next_escalation_at = $2, updated_at = $3 "
    "WHERE id = $1";
const char Q_VOICE_DUE[] =
    "SELECT id FROM voice_reports WHERE state = 'open' AND next_escalation_at <= $1 "
    "ORDER BY next_escalation_at, id LIMIT $2";
const char Q_VOICE_STATS[] =
    "SELECT COALESCE(SUM(CASE WHEN r.state = 'open' THEN 1 ELSE 0 END), 0), "
    "COALESCE(SUM(CASE WHEN r.state = 'open' AND r.due_at <= $2 THEN 1 ELSE 0 END), 0), "
    "COALESCE(SUM(CASE WHEN r.state = 'answered' THEN 1 ELSE 0 END), 0), "
    "COALESCE(SUM(CASE WHEN r.state = 'closed' THEN 1 ELSE 0 END), 0)" REPORT_FROM
    "WHERE u.path LIKE $1 || '%'";

const char Q_VOICE_BACKDATE[] =
    "UPDATE voice_reports SET created_at = $2, due_at = $3, next_escalation_at = $3, updated_at = $2 "
    "WHERE id = $1";

const char Q_VOICE_MSG_INSERT[] =
    "INSERT INTO voice_messages (report_id, author, account_id, body, created_at) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING id";
const char Q_VOICE_MSGS[] =
    "SELECT id, author, account_id, body, created_at FROM voice_messages WHERE report_id = $1 ORDER BY id";
