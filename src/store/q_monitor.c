/* q_monitor.c — SQL of q_monitor.h (process monitors, migrations 26-28). */
#include "store/q_monitor.h"

#define COLS                                                                                  \
    "m.id, m.unit_id, m.name, m.comment, m.level, m.on_delay_min, m.point_ids, m.train_from, " \
    "m.train_to, m.samples, m.created_by_person_id, m.created_at, m.active, m.deactivated_at, " \
    "u.path, m.hold_min, m.run_point_id, m.run_min, m.run_max"
#define FROM " FROM process_monitors m JOIN units u ON u.id = m.unit_id "

const char Q_MONITOR_INSERT[] =
    "INSERT INTO process_monitors (unit_id, name, comment, level, on_delay_min, point_ids, "
    "train_from, train_to, samples, train, created_by_person_id, created_at, active, hold_min, "
    "run_point_id, run_min, run_max) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $15, $16) RETURNING id";
const char Q_MONITOR_GET[] = "SELECT " COLS ", m.train" FROM "WHERE m.id = $1";
const char Q_MONITOR_ACTIVE[] = "SELECT " COLS ", m.train" FROM "WHERE m.active = 1 ORDER BY m.id";
const char Q_MONITOR_LIST[] =
    "SELECT " COLS FROM
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND (CAST($3 AS BIGINT) < 0 OR m.active = $3) ORDER BY m.id DESC LIMIT 500";
const char Q_MONITOR_COUNT_ACTIVE[] = "SELECT count(*) FROM process_monitors WHERE active = 1";
const char Q_MONITOR_DEACTIVATE[] =
    "UPDATE process_monitors SET active = 0, deactivated_at = $2 WHERE id = $1 AND active = 1";
