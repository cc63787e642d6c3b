/* q_patrol.c — SQL of grid patrols (q_patrol.h has the column orders).
 * Idempotent generation rests on UNIQUE (grid_unit_id, day, slot); a nonce
 * is spent by an UPDATE that only matches while used_at IS NULL. */
#include "store/q_patrol.h"

#define PATROL_COLS                                                                          \
    "p.id, p.kind, p.grid_unit_id, p.rota_id, p.slot, p.day, p.window_start, p.window_end, " \
    "p.assignee_person_id, p.state, p.started_at, p.done_at, p.escalated_at, "              \
    "p.escalated_to, p.created_at, p.updated_at, u.name, u.path, COALESCE(pe.name, ''), "   \
    "(SELECT count(*) FROM patrol_stops s WHERE s.patrol_id = p.id), "                       \
    "(SELECT count(*) FROM patrol_stops s WHERE s.patrol_id = p.id AND s.state = 'done'), "  \
    "(SELECT count(*) FROM patrol_stops s WHERE s.patrol_id = p.id "                         \
    " AND s.hazard_ids IS NOT NULL AND s.hazard_ids <> '[]')"
#define PATROL_FROM                                                                          \
    " FROM patrols p JOIN units u ON u.id = p.grid_unit_id "                                 \
    "LEFT JOIN people pe ON pe.id = p.assignee_person_id "
#define STOP_COLS                                                                            \
    "s.id, s.patrol_id, s.point_id, s.seq, s.items, s.state, s.results, s.hazard_ids, "     \
    "s.proof, s.done_by_person_id, s.done_by, s.checked_at, s.client_time, s.received_at, " \
    "s.phone_time, pt.code, pt.name, pt.lat, pt.lon, pt.radius_m, pt.photo_required"
#define POINT_COLS                                                                           \
    "pt.id, pt.grid_unit_id, pt.code, pt.name, pt.seq, pt.template_id, pt.risk_object_id, " \
    "pt.lat, pt.lon, pt.radius_m, pt.photo_required, pt.active, pt.created_at, "            \
    "pt.updated_at, u.name, u.path"
#define POINT_FROM " FROM patrol_points pt JOIN units u ON u.id = pt.grid_unit_id "

const char Q_PATROL_TPL_INSERT[] =
    "INSERT INTO patrol_templates (enterprise_id, name, items, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, 1, $4, $4) RETURNING id";
const char Q_PATROL_TPL_UPDATE[] =
    "UPDATE patrol_templates SET name = $2, items = $3, active = $4, updated_at = $5 WHERE id = $1";
const char Q_PATROL_TPL_USERS[] =
    "SELECT (SELECT COUNT(*) FROM patrol_points WHERE template_id = $1 AND active = 1), "
    "(SELECT COUNT(*) FROM patrol_rota WHERE template_id = $1 AND active = 1)";
const char Q_PATROL_TPL_GET[] =
    "SELECT t.id, t.enterprise_id, t.name, t.items, t.active, u.path "
    "FROM patrol_templates t JOIN units u ON u.id = t.enterprise_id WHERE t.id = $1";
const char Q_PATROL_TPL_LIST[] =
    "SELECT t.id, t.enterprise_id, t.name, t.items, t.active, u.path "
    "FROM patrol_templates t JOIN units u ON u.id = t.enterprise_id "
    "WHERE t.active = 1 AND (u.path LIKE CAST($1 AS TEXT) || '%' "
    " OR CAST($1 AS TEXT) LIKE u.path || '%') ORDER BY t.id LIMIT 200";

const char Q_PATROL_POINT_INSERT[] =
    "INSERT INTO patrol_points (grid_unit_id, code, name, seq, template_id, risk_object_id, "
    "lat, lon, radius_m, photo_required, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) RETURNING id";
const char Q_PATROL_POINT_UPDATE[] =
    "UPDATE patrol_points SET name = $2, template_id = $3, photo_required = $4, active = $5, "
    "updated_at = $6 WHERE id = $1";
const char Q_PATROL_POINT_GET[] = "SELECT " POINT_COLS POINT_FROM "WHERE pt.id = $1";
const char Q_PATROL_POINT_BY_CODE[] = "SELECT " POINT_COLS POINT_FROM "WHERE pt.code = $1";
const char Q_PATROL_POINT_LIST[] =
    "SELECT " POINT_COLS POINT_FROM
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR pt.grid_unit_id = $2) AND pt.id > $3 "
    "ORDER BY pt.id LIMIT $4";
const char Q_PATROL_POINTS_OF_GRID[] =
    "SELECT " POINT_COLS POINT_FROM
    "WHERE pt.grid_unit_id = $1 AND pt.active = 1 ORDER BY pt.seq, pt.id LIMIT 200";
const char Q_PATROL_POINT_MAXSEQ[] = "SELECT MAX(seq) FROM patrol_points WHERE grid_unit_id = $1";

const char Q_PATROL_GRIDS_DUE[] =
    "SELECT u.id, u.tz, u.leader_person_id, u.path FROM units u "
    "WHERE u.kind = 'grid' AND u.active = 1 AND u.id > $1 AND EXISTS "
    "(SELECT 1 FROM patrol_points pt WHERE pt.grid_unit_id = u.id AND pt.active = 1) "
    "ORDER BY u.id LIMIT $2";
const char Q_PATROL_ROTA_DUE[] =
    "SELECT r.id, r.inspector_grid_id, r.weekdays, gi.leader_person_id, t.items "
    "FROM patrol_rota r JOIN units gi ON gi.id = r.inspector_grid_id "
    "JOIN patrol_templates t ON t.id = r.template_id "
    "WHERE r.target_grid_id = $1 AND r.active = 1 AND t.active = 1 AND gi.active = 1 "
    "ORDER BY r.id LIMIT 50";
const char Q_PATROL_MEASURES[] =
    "SELECT m.id, m.content, o.id, e.id, e.accident_type FROM risk_measures m "
    "JOIN risk_events e ON e.id = m.event_id JOIN risk_units ru ON ru.id = e.risk_unit_id "
    "JOIN risk_objects o ON o.id = ru.object_id JOIN units u ON u.id = o.unit_id "
    "WHERE m.active = 1 AND e.active = 1 AND ru.active = 1 AND o.active = 1 "
    "AND u.path LIKE CAST($1 AS TEXT) || '%' ORDER BY o.id, m.id LIMIT 200";
const char Q_PATROL_INSERT[] =
    "INSERT INTO patrols (kind, grid_unit_id, rota_id, slot, day, window_start, window_end, "
    "assignee_person_id, state, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9) "
    "ON CONFLICT (grid_unit_id, day, slot) DO NOTHING RETURNING id";
const char Q_PATROL_STOP_INSERT[] =
    "INSERT INTO patrol_stops (patrol_id, point_id, seq, items, state, phone_time) "
    "VALUES ($1, $2, $3, $4, 'pending', 0) RETURNING id";

const char Q_PATROL_GET[] = "SELECT " PATROL_COLS PATROL_FROM "WHERE p.id = $1";
const char Q_PATROL_STOPS[] =
    "SELECT " STOP_COLS " FROM patrol_stops s JOIN patrol_points pt ON pt.id = s.point_id "
    "WHERE s.patrol_id = $1 ORDER BY s.seq, s.id";
const char Q_PATROL_LIST[] =
    "SELECT " PATROL_COLS PATROL_FROM
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS TEXT) = '' OR p.state = $2) "
    "AND (CAST($3 AS TEXT) = '' OR p.day = $3) "
    "AND (CAST($4 AS BIGINT) = 0 OR p.assignee_person_id = $4 "
    " OR (p.kind = 'own' AND EXISTS (SELECT 1 FROM people x JOIN units xu ON xu.id = x.unit_id "
    "   WHERE x.id = $4 AND x.active = 1 AND xu.path LIKE u.path || '%'))) "
    "AND (CAST($5 AS BIGINT) = 0 OR p.id < $5) "
    "ORDER BY p.id DESC LIMIT $6";
const char Q_PATROL_MISSED_DUE[] =
    "SELECT id FROM patrols WHERE state IN ('pending', 'in_progress') AND window_end <= $1 "
    "ORDER BY id LIMIT $2";
const char Q_PATROL_MARK_MISSED[] =
    "UPDATE patrols SET state = 'missed', updated_at = $2 "
    "WHERE id = $1 AND state IN ('pending', 'in_progress') AND window_end <= $3";
const char Q_PATROL_SET_ESCALATED[] =
    "UPDATE patrols SET escalated_at = $2, escalated_to = $3, updated_at = $2 WHERE id = $1";
const char Q_PATROL_SET_STATE[] =
    "UPDATE patrols SET state = CAST($2 AS TEXT), started_at = COALESCE(started_at, $3), "
    "done_at = CASE WHEN CAST($2 AS TEXT) = 'done' THEN $3 ELSE done_at END, updated_at = $3 "
    "WHERE id = $1 AND state IN ('pending', 'in_progress')";
const char Q_PATROL_STOPS_PENDING[] =
    "SELECT COUNT(*) FROM patrol_stops WHERE patrol_id = $1 AND state = 'pending'";

const char Q_PATROL_NONCE_INSERT[] =
    "INSERT INTO patrol_nonces (hash, patrol_id, point_id, kind, issued_at, expires_at, issued_to) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
const char Q_PATROL_NONCE_GET[] =
    "SELECT id, patrol_id, point_id, kind, issued_at, expires_at, used_at FROM patrol_nonces "
    "WHERE hash = $1";
const char Q_PATROL_NONCE_USE[] =
    "UPDATE patrol_nonces SET used_at = $2 WHERE id = $1 AND used_at IS NULL";

const char Q_PATROL_STOP_DONE[] =
    "UPDATE patrol_stops SET state = 'done', results = $2, hazard_ids = $3, proof = $4, "
    "done_by_person_id = $5, done_by = $6, checked_at = $7, client_time = $8, "
    "received_at = $9, phone_time = $10 WHERE id = $1 AND state = 'pending'";
const char Q_PATROL_HAZARD_LINK[] =
    "INSERT INTO patrol_hazards (hazard_id, patrol_id, stop_id) VALUES ($1, $2, $3)";
const char Q_PATROL_OF_HAZARD[] =
    "SELECT patrol_id, stop_id FROM patrol_hazards WHERE hazard_id = $1";
const char Q_PATROL_PERSON_IN_GRID[] =
    "SELECT 1 FROM people p JOIN units pu ON pu.id = p.unit_id, units g "
    "WHERE p.id = $1 AND p.active = 1 AND g.id = $2 "
    "AND (g.leader_person_id = p.id OR pu.path LIKE g.path || '%')";

const char Q_PATROL_ROTA_INSERT[] =
    "INSERT INTO patrol_rota (inspector_grid_id, target_grid_id, template_id, weekdays, active, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id";
const char Q_PATROL_ROTA_LIST[] =
    "SELECT r.id, r.inspector_grid_id, gi.name, r.target_grid_id, gt.name, r.template_id, "
    "t.name, r.weekdays FROM patrol_rota r JOIN units gi ON gi.id = r.inspector_grid_id "
    "JOIN units gt ON gt.id = r.target_grid_id JOIN patrol_templates t ON t.id = r.template_id "
    "WHERE r.active = 1 AND gt.path LIKE CAST($1 AS TEXT) || '%' ORDER BY r.id LIMIT 500";
const char Q_PATROL_ROTA_UNDER[] =
    "SELECT r.id, r.inspector_grid_id, r.target_grid_id, r.template_id, r.weekdays "
    "FROM patrol_rota r JOIN units gt ON gt.id = r.target_grid_id "
    "WHERE r.active = 1 AND gt.path LIKE CAST($1 AS TEXT) || '%' ORDER BY r.id LIMIT 500";
const char Q_PATROL_ROTA_RETIRE_ONE[] =
    "UPDATE patrol_rota SET active = 0, updated_at = $2 WHERE id = $1 AND active = 1";
const char Q_PATROL_GRIDS_UNDER[] =
    "SELECT id, code, leader_person_id FROM units WHERE kind = 'grid' AND active = 1 "
    "AND path LIKE CAST($1 AS TEXT) || '%' ORDER BY code LIMIT 500";
