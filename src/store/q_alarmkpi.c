/* q_alarmkpi.c — SQL of the alarm KPIs (see q_alarmkpi.h). Percentiles are
 * nearest-rank over ROW_NUMBER/COUNT windows, which SQLite 3.40 and
 * PostgreSQL 15 both have; the p90 of n values is the smallest value whose
 * rank r has 10 r >= 9 n. */
#include "store/q_alarmkpi.h"
#include "store/q_warn.h"

/* Events of units under $1 in [$2, $3). */
#define AKPI_SCOPE                                                     \
    "JOIN units u ON u.id = e.unit_id "                                \
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "                       \
    "AND e.at >= CAST($2 AS BIGINT) AND e.at < CAST($3 AS BIGINT) "

/* n, sum, p90 and max of d(g, v) per g. */
#define AKPI_STATS                                                                          \
    ", r AS (SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, "           \
    "COUNT(*) OVER (PARTITION BY g) AS n FROM d WHERE v IS NOT NULL) "                       \
    "SELECT g, COUNT(*), SUM(v), MIN(CASE WHEN rn * 10 >= n * 9 THEN v END), MAX(v) "       \
    "FROM r GROUP BY g ORDER BY g"

const char Q_AKPI_RATE[] =
    "SELECT CASE WHEN CAST($4 AS BIGINT) = 2 THEN COALESCE(e.person_id, 0) ELSE e.unit_id END AS g, "
    "(e.at - CAST($2 AS BIGINT)) / 600000 AS b, COUNT(*) "
    "FROM alarm_events e " AKPI_SCOPE
    "AND ((CAST($4 AS BIGINT) = 1 AND " Q_ANNUNCIATION("e") ") "
    "OR (CAST($4 AS BIGINT) = 2 AND e.kind = 'ack')) "
    "GROUP BY 1, 2 ORDER BY 1, 2";

const char Q_AKPI_RAISED[] =
    "SELECT e.unit_id, e.level, COUNT(*) FROM alarm_events e " AKPI_SCOPE
    "AND e.kind = 'raise' GROUP BY e.unit_id, e.level ORDER BY 1, 2";

const char Q_AKPI_OPEN[] =
    "SELECT a.unit_id, COUNT(*) FROM alarms a JOIN units u ON u.id = a.unit_id "
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' AND a.open = 1 GROUP BY a.unit_id ORDER BY 1";

const char Q_AKPI_TTA[] =
    "WITH d AS (SELECT CASE CAST($4 AS BIGINT) WHEN 1 THEN e.unit_id "
    "WHEN 2 THEN COALESCE(e.person_id, 0) ELSE 0 END AS g, "
    "e.at - (SELECT MAX(p.at) FROM alarm_events p WHERE p.alarm_id = e.alarm_id "
    "AND p.seq < e.seq AND " Q_ANNUNCIATION("p") ") AS v "
    "FROM alarm_events e " AKPI_SCOPE "AND e.kind = 'ack')" AKPI_STATS;

const char Q_AKPI_TTC[] =
    "WITH d AS (SELECT CASE CAST($4 AS BIGINT) WHEN 1 THEN e.unit_id "
    "WHEN 2 THEN COALESCE(e.closed_by_person_id, 0) ELSE 0 END AS g, "
    "e.closed_at - e.raised_at AS v "
    "FROM alarms e JOIN units u ON u.id = e.unit_id "
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' AND e.closed_at IS NOT NULL "
    "AND e.closed_at >= CAST($2 AS BIGINT) AND e.closed_at < CAST($3 AS BIGINT))" AKPI_STATS;
