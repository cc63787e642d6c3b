/* q_warn.c — SQL of q_warn.h (SQLite 3.40 and PostgreSQL 15). */
#include "store/q_warn.h"

const char Q_ALARM_UPSERT[] =
    "INSERT INTO alarms (id, rule_id, source_id, point_id, unit_id, level, state, open, title, "
    "value, count, raised_at, acked_at, acked_by_person_id, cleared_at, closed_at, "
    "closed_by_person_id, cause, action, doc, src_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
    "$20, $21) "
    "ON CONFLICT (id) DO UPDATE SET level = excluded.level, state = excluded.state, "
    "open = excluded.open, "
    "title = CASE WHEN excluded.title = '' THEN alarms.title ELSE excluded.title END, "
    "value = CASE WHEN excluded.title = '' THEN alarms.value ELSE excluded.value END, "
    "count = excluded.count, acked_at = excluded.acked_at, "
    "acked_by_person_id = coalesce(excluded.acked_by_person_id, alarms.acked_by_person_id), "
    "cleared_at = excluded.cleared_at, closed_at = excluded.closed_at, "
    "closed_by_person_id = coalesce(excluded.closed_by_person_id, alarms.closed_by_person_id), "
    "cause = excluded.cause, action = excluded.action, doc = excluded.doc, "
    "src_ms = CASE WHEN excluded.src_ms > alarms.src_ms THEN excluded.src_ms ELSE alarms.src_ms END";

const char Q_ALARM_EVENT_INSERT[] =
    "INSERT INTO alarm_events (seq, alarm_id, unit_id, at, kind, level, state_from, state_to, "
    "person_id, who, flood_group, flood_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

const char Q_ALARM_OPEN_DOCS[] = "SELECT doc FROM alarms WHERE open = 1 ORDER BY id";

const char Q_ALARM_TITLE[] = "SELECT title FROM alarms WHERE id = $1";

const char Q_ALARM_POINT_SRC_MS[] =
    "SELECT point_id, max(src_ms) FROM alarms WHERE point_id IS NOT NULL GROUP BY point_id";

const char Q_ALARM_COUNTERS[] =
    "SELECT coalesce((SELECT max(id) FROM alarms), 0), "
    "coalesce((SELECT max(seq) FROM alarm_events), 0)";

/* Who acknowledged or closed, when no person is linked (an account without
 * one, such as the admin): the username its last such event recorded. */
#define ALARM_ACTOR(kind) \
    "(SELECT e.who FROM alarm_events e WHERE e.alarm_id = a.id AND e.kind = '" kind "' ORDER BY e.seq DESC LIMIT 1)"
#define ALARM_COLS                                                                              \
    "a.id, a.rule_id, a.source_id, coalesce(a.point_id, 0), a.unit_id, a.level, a.state, "     \
    "a.open, a.title, a.value, a.count, a.raised_at, coalesce(a.acked_at, 0), "                \
    "coalesce(a.acked_by_person_id, 0), coalesce(a.cleared_at, 0), coalesce(a.closed_at, 0), " \
    "coalesce(a.closed_by_person_id, 0), a.cause, a.action, a.doc, u.path, u.name, "           \
    "coalesce(p.tag, ''), coalesce(pa.name, " ALARM_ACTOR("ack") ", ''), "                    \
    "coalesce(pc.name, " ALARM_ACTOR("close") ", ''), coalesce(p.uom, ''), "                 \
    "coalesce(r.action, ''), coalesce(r.response_min, 0) "
#define ALARM_FROM                                                          \
    "FROM alarms a JOIN units u ON u.id = a.unit_id "                       \
    "LEFT JOIN points p ON p.id = a.point_id "                              \
    "LEFT JOIN people pa ON pa.id = a.acked_by_person_id "                  \
    "LEFT JOIN people pc ON pc.id = a.closed_by_person_id "                 \
    "LEFT JOIN alarm_responses r ON r.id = a.point_id "

/* $1 scope path prefix, $2 open (-1 any), $3 unit subtree (0 any), $4 level
 * (0 any), $5 before id (0 none), $6 limit, $7/$8 raised at or after / before
 * (ms, 0 unbounded), $9 a LIKE pattern (store_like_contains) the tag (any
 * case) or the title matches ('' any). Newest first. */
#define ALARM_LIST_WHERE                                                                                     \
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' AND (CAST($2 AS BIGINT) < 0 OR a.open = $2) "                 \
    "AND (CAST($3 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $3) || '%') "             \
    "AND (CAST($4 AS BIGINT) = 0 OR a.level = $4) AND (CAST($5 AS BIGINT) = 0 OR a.id < $5) "                \
    "AND (CAST($7 AS BIGINT) = 0 OR a.raised_at >= $7) AND (CAST($8 AS BIGINT) = 0 OR a.raised_at < $8) "    \
    "AND (CAST($9 AS TEXT) = '' OR lower(coalesce(p.tag, '')) LIKE lower($9) ESCAPE '\\' "                   \
    "     OR a.title LIKE $9 ESCAPE '\\') "                                                                  \
    "ORDER BY a.id DESC LIMIT $6"
const char Q_ALARM_LIST[] = "SELECT " ALARM_COLS ALARM_FROM ALARM_LIST_WHERE;

/* The list's rows and, last, when the alarm was last announced before its
 * last acknowledgement (0 when never acknowledged). */
const char Q_ALARM_LEDGER[] =
    "SELECT " ALARM_COLS ", coalesce((SELECT max(e.at) FROM alarm_events e WHERE e.alarm_id = a.id AND "
    Q_ANNUNCIATION("e") " AND e.seq < (SELECT max(k.seq) FROM alarm_events k "
    "WHERE k.alarm_id = a.id AND k.kind = 'ack')), 0) " ALARM_FROM ALARM_LIST_WHERE;

const char Q_ALARM_GET[] = "SELECT " ALARM_COLS ALARM_FROM "WHERE a.id = $1";

const char Q_ALARM_EVENTS[] =
    "SELECT e.seq, e.at, e.kind, e.level, coalesce(e.state_from, ''), coalesce(e.state_to, ''), "
    "coalesce(e.who, ''), coalesce(e.person_id, 0), coalesce(pp.name, '') "
    "FROM alarm_events e LEFT JOIN people pp ON pp.id = e.person_id WHERE e.alarm_id = $1 ORDER BY e.seq";

const char Q_ALARM_PICTURE_INSERT[] =
    "INSERT INTO alarm_pictures (alarm_id, attachment_id, at) VALUES ($1, $2, $3)";

const char Q_ALARM_PICTURES[] =
    "SELECT attachment_id FROM alarm_pictures WHERE alarm_id = $1 ORDER BY attachment_id";
const char Q_ALARM_CTX_AREA[] =
    "SELECT a.id, a.name, a.path FROM units u JOIN units a ON u.path LIKE a.path || '%' "
    "WHERE u.id = $1 AND a.kind = 'area' ORDER BY length(a.path) DESC LIMIT 1";
const char Q_ALARM_CTX_PERMITS[] =
    "SELECT p.id, p.code, p.type, p.grade, p.state, p.title, p.location, p.planned_end FROM permits p "
    "JOIN units u ON u.id = p.unit_id WHERE u.path LIKE $1 || '%' AND p.state IN ('active', 'suspended') "
    "ORDER BY p.id LIMIT $2";
