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

/* Annunciations per alarm identity (rule, source), each with the one two
 * before it (LAG 2: a third within 60 s is chattering), and the identities
 * whose flap suppression began in the window (cb). */
const char Q_AKPI_FREQUENT[] =
    "WITH ev AS (SELECT a.rule_id AS r, a.source_id AS s, a.id AS aid, e.at AS at "
    "FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id " AKPI_SCOPE "AND " Q_ANNUNCIATION("e") "), "
    "cb AS (SELECT DISTINCT a.rule_id AS r, a.source_id AS s "
    "FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id " AKPI_SCOPE "AND e.kind = 'chatter_begin'), "
    "w AS (SELECT r, s, aid, at, LAG(at, 2) OVER (PARTITION BY r, s ORDER BY at) AS at2 FROM ev), "
    "g AS (SELECT r, s, COUNT(*) AS n, MAX(CASE WHEN at - at2 <= 60000 THEN 1 ELSE 0 END) AS chat, "
    "MAX(at) AS last, MAX(aid) AS aid FROM w GROUP BY r, s) "
    "SELECT g.r, g.s, g.n, CASE WHEN g.chat = 1 OR EXISTS (SELECT 1 FROM cb WHERE cb.r = g.r AND cb.s = g.s) "
    "THEN 1 ELSE 0 END, g.last, a.id, a.title, a.unit_id, a.point_id, a.level, "
    "CASE WHEN EXISTS (SELECT 1 FROM alarm_responses rc WHERE rc.id = a.point_id) THEN 1 ELSE 0 END "
    "FROM g JOIN alarms a ON a.id = g.aid ORDER BY g.n DESC, g.last DESC, g.r, g.s";

const char Q_AKPI_STALE[] =
    "SELECT id, title, unit_id, point_id, level, state, since FROM (SELECT a.id, a.title, a.unit_id, "
    "a.point_id, a.level, a.state, COALESCE((SELECT MAX(p.at) FROM alarm_events p WHERE p.alarm_id = a.id "
    "AND " Q_ANNUNCIATION("p") "), a.raised_at) AS since "
    "FROM alarms a JOIN units u ON u.id = a.unit_id WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND a.open = 1 AND a.state IN ('unack', 'acked')) x "
    "WHERE since <= CAST($2 AS BIGINT) ORDER BY since, id";

const char Q_AKPI_ONTIME[] =
    "WITH d AS (SELECT CASE CAST($4 AS BIGINT) WHEN 1 THEN e.unit_id "
    "WHEN 2 THEN COALESCE(e.person_id, 0) ELSE 0 END AS g, r.response_min AS m, "
    "e.at - (SELECT MAX(p.at) FROM alarm_events p WHERE p.alarm_id = e.alarm_id "
    "AND p.seq < e.seq AND " Q_ANNUNCIATION("p") ") AS v "
    "FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id JOIN alarm_responses r ON r.id = a.point_id "
    AKPI_SCOPE "AND e.kind = 'ack') "
    "SELECT g, COUNT(*), SUM(CASE WHEN v <= m * 60000 THEN 1 ELSE 0 END) FROM d WHERE v IS NOT NULL "
    "GROUP BY g ORDER BY g";
