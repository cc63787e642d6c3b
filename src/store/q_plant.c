/* q_plant.c — SQL of the plant registers (shift rosters, equipment and work
 * orders, interlock bypasses); see q_plant.h for parameters and column
 * orders. Written once for SQLite 3.40 and PostgreSQL 15. Rows reach their
 * scope through their own org unit. */
#include "store/q_plant.h"

/* Scope and unit subtree; then the page. */
#define SCOPE_WHERE                                                                        \
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "                                           \
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
#define PAGE(alias) "AND " alias ".id > $3 ORDER BY " alias ".id LIMIT $4"

const char Q_PLANT_PARAM[] = "SELECT value FROM plant_params WHERE name = $1";

/* ----------------------------------------------------------------- shifts */
#define SHIFT_COLS "s.id, s.unit_id, s.name, s.start_min, s.length_min, s.active, s.created_at, " \
                   "s.updated_at, u.path"
#define SHIFT_FROM " FROM shifts s JOIN units u ON u.id = s.unit_id "
const char Q_SHIFT_INSERT[] =
    "INSERT INTO shifts (unit_id, name, start_min, length_min, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id";
const char Q_SHIFT_UPDATE[] =
    "UPDATE shifts SET name = $2, start_min = $3, length_min = $4, active = $5, updated_at = $6 "
    "WHERE id = $1";
const char Q_SHIFT_GET[] = "SELECT " SHIFT_COLS SHIFT_FROM "WHERE s.id = $1";
const char Q_SHIFT_BY_NAME[] = "SELECT id FROM shifts WHERE unit_id = $1 AND name = $2";
const char Q_SHIFT_LIST[] =
    "SELECT " SHIFT_COLS SHIFT_FROM SCOPE_WHERE
    "AND (CAST($5 AS BIGINT) < 0 OR s.active = $5) " PAGE("s");

/* ----------------------------------------------------------------- roster */
#define ROSTER_COLS "r.id, r.unit_id, r.day, r.shift_id, r.person_id, r.role, r.created_at, " \
                    "s.name, p.name, u.path, COALESCE(r.crew_id, 0), COALESCE(c.name, ''), p.active"
#define ROSTER_FROM                                                                        \
    " FROM roster_entries r JOIN shifts s ON s.id = r.shift_id "                           \
    "JOIN people p ON p.id = r.person_id JOIN units u ON u.id = r.unit_id "                \
    "LEFT JOIN crews c ON c.id = r.crew_id "
const char Q_ROSTER_INSERT[] =
    "INSERT INTO roster_entries (unit_id, day, shift_id, person_id, role, created_at, crew_id) "
    "VALUES ($1, $2, $3, $4, $5, $6, NULLIF(CAST($7 AS BIGINT), 0)) RETURNING id";
const char Q_ROSTER_EXISTS[] =
    "SELECT id FROM roster_entries WHERE shift_id = $1 AND day = $2 AND person_id = $3 AND role = $4";
const char Q_ROSTER_DELETE[] = "DELETE FROM roster_entries WHERE id = $1";
const char Q_ROSTER_GET[] = "SELECT " ROSTER_COLS ROSTER_FROM "WHERE r.id = $1";
const char Q_ROSTER_LIST[] =
    "SELECT " ROSTER_COLS ROSTER_FROM SCOPE_WHERE
    "AND (CAST($5 AS TEXT) = '' OR r.role = $5) "
    "AND (CAST($6 AS TEXT) = '' OR r.day >= $6) "
    "AND (CAST($7 AS TEXT) = '' OR r.day <= $7) "
    "AND (CAST($8 AS BIGINT) = 0 OR r.person_id = $8) "
    "AND (CAST($9 AS BIGINT) = 0 OR r.shift_id = $9) " PAGE("r");
const char Q_ROSTER_DUTY[] =
    "SELECT r.person_id, r.day, s.start_min, s.length_min FROM roster_entries r "
    "JOIN shifts s ON s.id = r.shift_id JOIN people p ON p.id = r.person_id "
    "WHERE r.unit_id = $1 AND r.role = $2 AND r.day >= $3 AND r.day <= $4 "
    "AND s.active = 1 AND p.active = 1 ORDER BY r.person_id, r.id";

/* ------------------------------------------------------------------ crews */
#define CREW_COLS "c.id, c.unit_id, c.name, c.members, c.active, c.created_at, c.updated_at, u.path"
#define CREW_FROM " FROM crews c JOIN units u ON u.id = c.unit_id "
const char Q_CREW_INSERT[] =
    "INSERT INTO crews (unit_id, name, members, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, 1, $4, $4) RETURNING id";
const char Q_CREW_UPDATE[] =
    "UPDATE crews SET name = $2, members = $3, active = $4, updated_at = $5 WHERE id = $1";
const char Q_CREW_GET[] = "SELECT " CREW_COLS CREW_FROM "WHERE c.id = $1";
const char Q_CREW_UNIT[] = "SELECT unit_id FROM crews WHERE id = $1";
const char Q_CREW_BY_NAME[] = "SELECT id FROM crews WHERE unit_id = $1 AND name = $2";
const char Q_CREW_OF_UNIT[] =
    "SELECT id, name, members FROM crews WHERE unit_id = $1 AND active = 1 ORDER BY id";
const char Q_CREW_LIST[] =
    "SELECT " CREW_COLS CREW_FROM SCOPE_WHERE
    "AND (CAST($5 AS BIGINT) < 0 OR c.active = $5) " PAGE("c");
const char Q_PLANT_PERSON_NAME[] = "SELECT name, active FROM people WHERE id = $1";

/* -------------------------------------------------------------- equipment */
#define EQ_COLS "e.id, e.unit_id, e.code, e.name, e.kind, e.device_id, e.status, e.created_at, " \
                "e.updated_at, u.path"
#define EQ_FROM " FROM equipment e JOIN units u ON u.id = e.unit_id "
const char Q_EQUIPMENT_INSERT[] =
    "INSERT INTO equipment (unit_id, code, name, kind, device_id, status, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
const char Q_EQUIPMENT_UPDATE[] =
    "UPDATE equipment SET unit_id = $2, code = $3, name = $4, kind = $5, device_id = $6, "
    "status = $7, updated_at = $8 WHERE id = $1";
const char Q_EQUIPMENT_GET[] = "SELECT " EQ_COLS EQ_FROM "WHERE e.id = $1";
const char Q_EQUIPMENT_BY_CODE[] = "SELECT id FROM equipment WHERE code = $1";
const char Q_EQUIPMENT_OF_DEVICE[] =
    "SELECT id FROM equipment WHERE device_id = $1 ORDER BY id LIMIT 1";
const char Q_EQUIPMENT_LIST[] =
    "SELECT " EQ_COLS EQ_FROM SCOPE_WHERE
    "AND (CAST($5 AS TEXT) = '' OR e.kind = $5) "
    "AND (CAST($6 AS TEXT) = '' OR e.status = $6) "
    "AND (CAST($7 AS BIGINT) = 0 OR e.device_id = $7) "
    "AND (CAST($8 AS TEXT) = '' OR LOWER(e.code) LIKE '%' || LOWER($8) || '%' "
    "OR e.name LIKE '%' || $8 || '%') " PAGE("e");
const char Q_PLANT_DEVICE_UNIT[] =
    "SELECT d.unit_id, u.enterprise_id FROM devices d JOIN units u ON u.id = d.unit_id "
    "WHERE d.id = $1";
const char Q_PLANT_POINT_UNIT[] =
    "SELECT p.unit_id, u.enterprise_id FROM points p JOIN units u ON u.id = p.unit_id "
    "WHERE p.id = $1";

/* ------------------------------------------------------------ work orders */
#define WO_COLS                                                                            \
    "w.id, w.unit_id, w.equipment_id, w.device_id, w.kind, w.title, w.description, "       \
    "w.state, w.due_at, w.assignee_person_id, w.source_kind, w.source_id, w.source_ref, "  \
    "w.created_by, w.closed_at, w.closed_by, w.close_note, w.created_at, w.updated_at, "   \
    "u.path"
#define WO_FROM " FROM work_orders w JOIN units u ON u.id = w.unit_id "
const char Q_WORKORDER_INSERT[] =
    "INSERT INTO work_orders (unit_id, equipment_id, device_id, kind, title, description, "
    "state, due_at, assignee_person_id, source_kind, source_id, source_ref, created_by, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11, "
    "$12, $13, $13) RETURNING id";
const char Q_WORKORDER_UPDATE[] =
    "UPDATE work_orders SET title = $2, description = $3, due_at = $4, "
    "assignee_person_id = $5, state = $6, closed_at = $7, closed_by = $8, close_note = $9, "
    "updated_at = $10 WHERE id = $1";
const char Q_WORKORDER_GET[] = "SELECT " WO_COLS WO_FROM "WHERE w.id = $1";
const char Q_WORKORDER_OPEN_DUP[] =
    "SELECT id FROM work_orders WHERE COALESCE(equipment_id, 0) = $1 "
    "AND COALESCE(device_id, 0) = $2 AND kind = $3 AND source_kind = $4 AND source_id = $5 "
    "AND state IN ('open', 'in_progress') ORDER BY id LIMIT 1";
const char Q_WORKORDER_LIST[] =
    "SELECT " WO_COLS WO_FROM SCOPE_WHERE
    "AND (CAST($5 AS TEXT) = '' OR w.state = $5) "
    "AND (CAST($6 AS TEXT) = '' OR w.kind = $6) "
    "AND (CAST($7 AS BIGINT) = 0 OR w.equipment_id = $7) "
    "AND (CAST($8 AS BIGINT) = 0 OR w.device_id = $8) "
    "AND (CAST($9 AS BIGINT) = 0 OR w.assignee_person_id = $9) "
    "AND (CAST($10 AS TEXT) = '' OR w.source_kind = $10) " PAGE("w");
const char Q_CALIBRATION_DUE[] =
    "SELECT d.id, d.unit_id, d.code, d.name, d.calibration_due, u.tz, "
    "(SELECT MIN(e.id) FROM equipment e WHERE e.device_id = d.id) "
    "FROM devices d JOIN units u ON u.id = d.unit_id "
    "WHERE d.active = 1 AND d.calibration_due IS NOT NULL AND d.calibration_due <> '' "
    "AND d.calibration_due <= $1 AND NOT EXISTS (SELECT 1 FROM work_orders w "
    "WHERE w.device_id = d.id AND w.kind = 'calibration' AND w.source_kind = 'calibration' "
    "AND w.source_ref = d.calibration_due) ORDER BY d.id LIMIT $2";
const char Q_CALIBRATION_LAST[] =
    "SELECT MAX(closed_at) FROM work_orders WHERE device_id = $1 AND kind = 'calibration' "
    "AND state = 'done'";

/* --------------------------------------------------------------- bypasses */
#define BP_COLS                                                                            \
    "b.id, b.unit_id, b.point_id, b.equipment_id, b.interlock, b.reason, b.measures, "     \
    "b.requested_by_person_id, b.approver_person_id, b.state, b.expires_at, "             \
    "b.requested_at, b.approved_at, b.activated_at, b.expired_at, b.closed_at, "          \
    "b.closed_by, b.extensions, b.created_at, b.updated_at, u.path"
#define BP_FROM " FROM bypasses b JOIN units u ON u.id = b.unit_id "
const char Q_BYPASS_INSERT[] =
    "INSERT INTO bypasses (unit_id, point_id, equipment_id, interlock, reason, measures, "
    "requested_by_person_id, state, expires_at, requested_at, extensions, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9, 0, $9, $9) "
    "RETURNING id";
const char Q_BYPASS_UPDATE[] =
    "UPDATE bypasses SET approver_person_id = $2, state = $3, expires_at = $4, "
    "approved_at = $5, activated_at = $6, expired_at = $7, closed_at = $8, closed_by = $9, "
    "extensions = $10, updated_at = $11 WHERE id = $1";
const char Q_BYPASS_GET[] = "SELECT " BP_COLS BP_FROM "WHERE b.id = $1";
const char Q_BYPASS_LIST[] =
    "SELECT " BP_COLS BP_FROM SCOPE_WHERE
    "AND (CAST($5 AS TEXT) = '' OR b.state = $5) "
    "AND (CAST($6 AS BIGINT) = 0 OR b.point_id = $6) "
    "AND (CAST($7 AS BIGINT) = 0 OR b.equipment_id = $7) " PAGE("b");
const char Q_BYPASS_OVERDUE[] =
    "SELECT id FROM bypasses WHERE state = 'active' AND expires_at <= $1 "
    "ORDER BY expires_at, id LIMIT $2";
