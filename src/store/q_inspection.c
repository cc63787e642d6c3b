/* q_inspection.c — SQL of inspection occurrences (q_inspection.h has the
 * column orders). Idempotent generation rests on UNIQUE (task_id,
 * window_start): the insert does nothing when the window exists. */
#include "store/q_inspection.h"

#define ROW_COLS                                                                           \
    "i.id, i.task_id, i.unit_id, i.risk_event_id, i.window_start, i.window_end, i.state, " \
    "i.post_id, i.grid_unit_id, i.items, i.results, i.hazard_ids, i.done_by_person_id, "   \
    "i.done_by, i.done_at, i.created_at, i.updated_at, u.name, u.path, t.frequency, "      \
    "t.every_hours"
#define FROM                                                                               \
    " FROM inspections i JOIN units u ON u.id = i.unit_id "                                \
    "JOIN risk_tasks t ON t.id = i.task_id "

const char Q_INSP_TASKS_DUE[] =
    "SELECT t.id, t.frequency, t.every_hours, t.post_id, t.grid_unit_id, t.what, "
    "t.created_at, o.unit_id, u.tz, e.id, COALESCE(t.grid_unit_id, o.unit_id) "
    "FROM risk_tasks t JOIN risk_measures m ON m.id = t.measure_id "
    "JOIN risk_events e ON e.id = m.event_id JOIN risk_units ru ON ru.id = e.risk_unit_id "
    "JOIN risk_objects o ON o.id = ru.object_id JOIN units u ON u.id = o.unit_id "
    "WHERE t.active = 1 AND m.active = 1 AND e.active = 1 AND ru.active = 1 AND o.active = 1 "
    "AND u.active = 1 AND t.id > $1 ORDER BY t.id LIMIT $2";
const char Q_INSP_INSERT[] =
    "INSERT INTO inspections (task_id, unit_id, risk_event_id, window_start, window_end, "
    "state, post_id, grid_unit_id, items, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $9) "
    "ON CONFLICT (task_id, window_start) DO NOTHING RETURNING id";
const char Q_INSP_GET[] = "SELECT " ROW_COLS FROM "WHERE i.id = $1";
const char Q_INSP_LIST[] =
    "SELECT " ROW_COLS FROM
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS TEXT) = '' OR i.state = $2) "
    "AND i.window_end > $3 AND (CAST($4 AS BIGINT) = 0 OR i.window_start < $4) "
    "AND (CAST($5 AS BIGINT) = 0 "
    " OR EXISTS (SELECT 1 FROM person_posts pp JOIN people p ON p.id = pp.person_id "
    "   WHERE pp.person_id = $5 AND pp.post_id = i.post_id AND p.active = 1) "
    " OR EXISTS (SELECT 1 FROM units g, people p JOIN units pu ON pu.id = p.unit_id "
    "   WHERE g.id = i.grid_unit_id AND p.id = $5 AND p.active = 1 "
    "   AND (g.leader_person_id = p.id OR pu.path LIKE g.path || '%'))) "
    "AND (CAST($6 AS BIGINT) = 0 OR i.task_id = $6) "
    "AND (CAST($7 AS BIGINT) = 0 OR i.id < $7) "
    "ORDER BY i.id DESC LIMIT $8";
const char Q_INSP_MISSED_DUE[] =
    "SELECT id FROM inspections WHERE state = 'pending' AND window_end <= $1 ORDER BY id LIMIT $2";
const char Q_INSP_MARK_MISSED[] =
    "UPDATE inspections SET state = 'missed', updated_at = $2 "
    "WHERE id = $1 AND state = 'pending' AND window_end <= $2";
const char Q_INSP_COMPLETE[] =
    "UPDATE inspections SET state = 'done', results = $2, hazard_ids = $3, "
    "done_by_person_id = $4, done_by = $5, done_at = $6, updated_at = $6 "
    "WHERE id = $1 AND state = 'pending'";
const char Q_INSP_PERSON_FITS[] =
    "SELECT 1 FROM people p JOIN units pu ON pu.id = p.unit_id WHERE p.id = $1 AND p.active = 1 "
    "AND (EXISTS (SELECT 1 FROM person_posts pp WHERE pp.person_id = p.id "
    "  AND pp.post_id = CAST($2 AS BIGINT)) "
    " OR EXISTS (SELECT 1 FROM units g WHERE g.id = CAST($3 AS BIGINT) "
    "  AND (g.leader_person_id = p.id OR pu.path LIKE g.path || '%')))";
