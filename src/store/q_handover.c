/* q_handover.c — the SQL of q_handover.h (shift handovers, migration 30). */
#include "store/q_handover.h"

/* a unit's settings, else the defaults: d the default wait, e the default early
 * window (minutes, parameters) */
#define HS_JOIN(unit) " LEFT JOIN handover_settings hs ON hs.id = " unit " "
#define HS_WAIT(d) "COALESCE(hs.wait_min, CAST(" d " AS BIGINT))"
#define HS_EARLY(e) "COALESCE(hs.early_min, CAST(" e " AS BIGINT))"

#define HO_COLS(snapshot)                                                                        \
    "h.id, h.unit_id, h.shift_id, h.period_from, h.period_to, h.state, h.handed_by_person_id, " \
    "h.handed_note, h.summary, " snapshot ", h.taken_by_person_id, h.taken_at, h.taken_note, "  \
    "h.created_at, h.updated_at, u.path, u.name, s.name, pg.name, pt.name, h.taken_on_roster"
#define HO_FROM                                                                                  \
    " FROM handovers h JOIN units u ON u.id = h.unit_id LEFT JOIN shifts s ON s.id = h.shift_id " \
    "JOIN people pg ON pg.id = h.handed_by_person_id "                                          \
    "LEFT JOIN people pt ON pt.id = h.taken_by_person_id "

const char Q_HANDOVER_INSERT[] =
    "INSERT INTO handovers (unit_id, shift_id, period_from, period_to, state, handed_by_person_id, "
    "handed_note, summary, snapshot, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, 'handed', $5, $6, $7, $8, $9, $9) RETURNING id";
const char Q_HANDOVER_TAKE[] =
    "UPDATE handovers SET state = $2, taken_by_person_id = $3, taken_at = $4, taken_note = $5, "
    "taken_on_roster = $6, updated_at = $4 WHERE id = $1 AND state = 'handed'";
const char Q_HANDOVER_ROSTER[] =
    "SELECT r.person_id, p.name, r.role, c.name FROM roster_entries r JOIN people p ON p.id = r.person_id "
    "LEFT JOIN crews c ON c.id = r.crew_id "
    "WHERE r.shift_id = $1 AND r.day = $2 AND p.active = 1 ORDER BY r.person_id, r.role";
const char Q_HANDOVER_GET[] = "SELECT " HO_COLS("h.snapshot") HO_FROM "WHERE h.id = $1";
const char Q_HANDOVER_LIST[] =
    "SELECT " HO_COLS("''") HO_FROM
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND (CAST($3 AS BIGINT) = 0 OR h.id < $3) "
    "AND (CAST($5 AS TEXT) = '' OR h.state = $5) ORDER BY h.id DESC LIMIT $4";
const char Q_HANDOVER_KPI_ROWS[] =
    "SELECT h.unit_id, u.path, u.name, h.state, h.created_at, h.taken_at, h.taken_on_roster, "
    HS_WAIT("$5") ", " HS_EARLY("$6") " FROM handovers h JOIN units u ON u.id = h.unit_id" HS_JOIN("h.unit_id")
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND h.created_at >= $3 AND h.created_at <= $4 ORDER BY h.unit_id, h.created_at, h.id LIMIT 50000";
const char Q_HANDOVER_WAITING[] = "SELECT id FROM handovers WHERE unit_id = $1 AND state = 'handed'";
const char Q_HANDOVER_LAST[] =
    "SELECT MAX(period_to) FROM handovers WHERE unit_id = $1 AND state = 'accepted'";
const char Q_HANDOVER_SHIFTS[] =
    "SELECT s.id, s.name, s.start_min, s.length_min, su.tz, su.path FROM shifts s "
    "JOIN units su ON su.id = s.unit_id "
    "WHERE s.active = 1 AND CAST($1 AS TEXT) LIKE su.path || '%' "
    "ORDER BY LENGTH(su.path) DESC, s.id";
const char Q_HANDOVER_SETTINGS_GET[] =
    "SELECT required, wait_min, early_min, updated_at FROM handover_settings WHERE id = $1";
const char Q_HANDOVER_SETTINGS_PUT[] =
    "INSERT INTO handover_settings (id, required, wait_min, early_min, updated_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (id) DO UPDATE SET required = excluded.required, wait_min = excluded.wait_min, "
    "early_min = excluded.early_min, updated_at = excluded.updated_at";
const char Q_HANDOVER_OVERDUE[] =
    "SELECT h.id, h.unit_id, h.created_at, u.name, pg.name FROM handovers h "
    "JOIN units u ON u.id = h.unit_id JOIN people pg ON pg.id = h.handed_by_person_id" HS_JOIN("h.unit_id")
    "WHERE h.state = 'handed' AND h.created_at <= $1 - " HS_WAIT("$3") " * 60000 "
    "AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.unit_id = h.unit_id AND a.rule_id = $2 "
    "AND a.source_id = h.id) "
    "ORDER BY h.id LIMIT 64";
const char Q_HANDOVER_KEEPERS[] =
    "SELECT u.id, u.path, u.name, " HS_WAIT("$3") ", " HS_EARLY("$4") " FROM units u" HS_JOIN("u.id")
    "WHERE u.active = 1 AND u.id > $5 AND u.id IN (SELECT unit_id FROM handovers "
    "WHERE created_at >= $1 AND created_at <= $2 UNION SELECT id FROM handover_settings WHERE required = 1) "
    "ORDER BY u.id LIMIT 64";
const char Q_HANDOVER_SINCE[] =
    "SELECT count(*) FROM handovers WHERE unit_id = $1 AND created_at >= $2 AND created_at <= $3";
/* raised, raised again while active (repeat) or after it returned (reactivate) */
#define HANDOVER_RAISE_KINDS "('raise', 'repeat', 'reactivate')"
const char Q_HANDOVER_MISSED_RAISED[] =
    "SELECT count(*) FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id "
    "WHERE a.unit_id = $2 AND a.rule_id = $1 AND a.source_id = $2 "  /* the source is the unit: alarms_unit */
    "AND e.kind IN " HANDOVER_RAISE_KINDS " AND e.at >= $3";
const char Q_HANDOVER_MISSED_DONE[] =
    "SELECT a.source_id FROM alarms a" HS_JOIN("a.source_id") "WHERE a.rule_id = $1 AND a.open = 1 "
    "AND a.state IN ('unack', 'acked', 'shelved') "
    "AND EXISTS (SELECT 1 FROM handovers h WHERE h.unit_id = a.source_id AND h.created_at <= $3 "
    "AND h.created_at >= (SELECT MAX(e.at) FROM alarm_events e WHERE e.alarm_id = a.id "
    "AND e.kind IN " HANDOVER_RAISE_KINDS ") - (" HS_WAIT("$2") " + " HS_EARLY("$4") ") * 60000) LIMIT 64";
const char Q_HANDOVER_TAKEN[] =
    "SELECT a.source_id, a.unit_id FROM alarms a JOIN handovers h ON h.id = a.source_id "
    "WHERE a.rule_id = $1 AND a.open = 1 AND a.cleared_at IS NULL AND h.state <> 'handed' LIMIT 64";

#define IN_UNIT " JOIN units u ON u.id = a.unit_id WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
#define ALARM_ROW                                                                       \
    "SELECT a.id, a.level, a.title, a.state, a.raised_at, pa.name, pc.name FROM alarms a " \
    "LEFT JOIN people pa ON pa.id = a.acked_by_person_id "                               \
    "LEFT JOIN people pc ON pc.id = a.closed_by_person_id" IN_UNIT
const char Q_HANDOVER_RAISED[] =
    ALARM_ROW "AND a.raised_at >= $4 AND a.raised_at <= $3 ORDER BY a.raised_at DESC, a.id DESC LIMIT $2";
const char Q_HANDOVER_LEVELS[] =
    "SELECT a.level, COUNT(*) FROM alarms a" IN_UNIT
    "AND a.raised_at >= $2 AND a.raised_at <= $3 GROUP BY a.level";
const char Q_HANDOVER_OPEN[] =
    ALARM_ROW "AND a.open = 1 AND a.raised_at <= $3 ORDER BY a.raised_at DESC, a.id DESC LIMIT $2";
const char Q_HANDOVER_BYPASSES[] =
    "SELECT b.id, b.interlock, b.state, b.expires_at, b.measures FROM bypasses b "
    "JOIN units u ON u.id = b.unit_id WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND b.state IN ('active', 'expired') AND b.created_at <= $3 ORDER BY b.expires_at, b.id LIMIT $2";
const char Q_HANDOVER_PERMITS[] =
    "SELECT p.id, p.code, p.type, p.grade, p.title, p.state, p.planned_end FROM permits p "
    "JOIN units u ON u.id = p.unit_id WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND p.state IN ('active', 'suspended') AND p.created_at <= $3 ORDER BY p.planned_end, p.id LIMIT $2";
const char Q_HANDOVER_ORDERS[] =
    "SELECT w.id, w.title, w.kind, w.state, w.due_at FROM work_orders w "
    "JOIN units u ON u.id = w.unit_id WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND w.state IN ('open', 'in_progress') AND w.created_at <= $3 ORDER BY (w.due_at IS NULL), w.due_at, w.id LIMIT $2";
