/* q_telemetry.c — SQL of the points (位号) and devices register; see
 * q_telemetry.h for parameters and column orders. Written once for SQLite
 * 3.40 and PostgreSQL 15. Rows reach their scope through their own org unit. */
#include "store/q_telemetry.h"

#define DEVICE_COLS                                                                       \
    "d.id, d.unit_id, d.code, d.name, d.kind, d.vendor, d.model, d.protocol, "           \
    "d.calibration_due, d.maintenance_until, d.active, d.created_at, d.updated_at, u.path"
#define DEVICE_FROM " FROM devices d JOIN units u ON u.id = d.unit_id "

#define POINT_COLS                                                                        \
    "p.id, p.device_id, p.unit_id, p.tag, p.name, p.kind, p.uom, p.range_low, "          \
    "p.range_high, p.resolution, p.exposure_limit, p.ll, p.l, p.h, p.hh, p.deadband, "   \
    "p.on_delay_ms, p.active, p.created_at, p.updated_at, u.path"
#define POINT_FROM " FROM points p JOIN units u ON u.id = p.unit_id "

/* Scope, unit subtree, kind, active, text; then the page. */
#define LIST_WHERE(alias, code)                                                           \
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "                                          \
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') " \
    "AND (CAST($3 AS TEXT) = '' OR " alias ".kind = $3) "                                 \
    "AND (CAST($4 AS BIGINT) < 0 OR " alias ".active = $4) "                              \
    "AND (CAST($5 AS TEXT) = '' OR LOWER(" alias "." code ") LIKE '%' || LOWER($5) || '%' " \
    "OR " alias ".name LIKE '%' || $5 || '%') "
#define LIST_PAGE(alias) "AND " alias ".id > $6 ORDER BY " alias ".id LIMIT $7"

/* ---------------------------------------------------------------- devices */
const char Q_DEVICE_INSERT[] =
    "INSERT INTO devices (unit_id, code, name, kind, vendor, model, protocol, calibration_due, "
    "maintenance_until, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING id";
const char Q_DEVICE_UPDATE[] =
    "UPDATE devices SET unit_id = $2, code = $3, name = $4, kind = $5, vendor = $6, "
    "model = $7, protocol = $8, calibration_due = $9, maintenance_until = $10, active = $11, "
    "updated_at = $12 WHERE id = $1";
const char Q_DEVICE_GET[] = "SELECT " DEVICE_COLS DEVICE_FROM "WHERE d.id = $1";
const char Q_DEVICE_BY_CODE[] = "SELECT id FROM devices WHERE code = $1";
const char Q_DEVICE_LIST[] =
    "SELECT " DEVICE_COLS DEVICE_FROM LIST_WHERE("d", "code") LIST_PAGE("d");

/* ----------------------------------------------------------------- points */
const char Q_POINT_INSERT[] =
    "INSERT INTO points (device_id, unit_id, tag, name, kind, uom, range_low, range_high, "
    "resolution, exposure_limit, ll, l, h, hh, deadband, on_delay_ms, active, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
    "$16, 1, $17, $17) RETURNING id";
const char Q_POINT_UPDATE[] =
    "UPDATE points SET device_id = $2, unit_id = $3, tag = $4, name = $5, kind = $6, uom = $7, "
    "range_low = $8, range_high = $9, resolution = $10, exposure_limit = $11, ll = $12, "
    "l = $13, h = $14, hh = $15, deadband = $16, on_delay_ms = $17, active = $18, "
    "updated_at = $19 WHERE id = $1";
const char Q_POINT_GET[] = "SELECT " POINT_COLS POINT_FROM "WHERE p.id = $1";
const char Q_POINT_BY_TAG[] = "SELECT id FROM points WHERE tag = $1";
const char Q_POINT_LIST[] =
    "SELECT " POINT_COLS POINT_FROM LIST_WHERE("p", "tag")
    "AND (CAST($8 AS BIGINT) = 0 OR p.device_id = $8) " LIST_PAGE("p");

/* ----------------------------------------------------------------- series */
const char Q_SERIES_CHUNK_INSERT[] =
    "INSERT INTO series_chunks (point_id, t_first, t_last, n, data, resolution, sealed_at, wal_seq, minutes) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/* Per point, the highest ingest-journal sequence stored in a sealed chunk at
 * or above $1 (the journal's first sequence): what a replay skips. */
const char Q_SERIES_WAL_SEALED[] =
    "SELECT point_id, max(wal_seq) FROM series_chunks WHERE wal_seq >= $1 GROUP BY point_id";

#define SERIES_UPSERT(table)                                                              \
    "INSERT INTO " table " (point_id, bucket, n, v_min, v_max, v_sum, v_last, last_t) "   \
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "                                            \
    "ON CONFLICT (point_id, bucket) DO UPDATE SET n = " table ".n + excluded.n, "         \
    "v_min = CASE WHEN excluded.v_min < " table ".v_min THEN excluded.v_min "             \
    "ELSE " table ".v_min END, "                                                          \
    "v_max = CASE WHEN excluded.v_max > " table ".v_max THEN excluded.v_max "             \
    "ELSE " table ".v_max END, "                                                          \
    "v_sum = " table ".v_sum + excluded.v_sum, "                                          \
    "v_last = CASE WHEN excluded.last_t >= " table ".last_t THEN excluded.v_last "        \
    "ELSE " table ".v_last END, "                                                         \
    "last_t = CASE WHEN excluded.last_t >= " table ".last_t THEN excluded.last_t "        \
    "ELSE " table ".last_t END"
const char Q_SERIES_1H_UPSERT[] = SERIES_UPSERT("series_1h");

#define SERIES_OVERLAP " FROM series_chunks WHERE point_id = $1 AND t_first < $3 AND t_last >= $2"
/* the readings of the overlapping chunks, and how many of them retention
 * emptied (their raw readings are gone) */
const char Q_SERIES_CHUNK_COUNT[] =
    "SELECT COALESCE(SUM(n), 0), COALESCE(SUM(CASE WHEN length(data) = 0 THEN 1 ELSE 0 END), 0)"
    SERIES_OVERLAP;
const char Q_SERIES_CHUNK_RANGE[] =
    "SELECT id, t_first, t_last, n, data, resolution" SERIES_OVERLAP " AND length(data) > 0 "
    "ORDER BY t_first, id";

#define SERIES_ROLLUP_RANGE(table)                                                        \
    "SELECT bucket, n, v_min, v_max, v_sum, v_last, last_t FROM " table                  \
    " WHERE point_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket"
const char Q_SERIES_1M_RANGE[] = SERIES_ROLLUP_RANGE("series_1m");
const char Q_SERIES_1H_RANGE[] = SERIES_ROLLUP_RANGE("series_1h");
const char Q_SERIES_MINUTES_RANGE[] =
    "SELECT minutes FROM series_chunks WHERE point_id = $1 AND t_first < $3 AND t_last >= $2 "
    "AND minutes IS NOT NULL";

/* Sealed chunks after $1 in id order, at most $2: what a digest covers. */
const char Q_SERIES_DIGEST_ROWS[] =
    "SELECT id, point_id, t_first, t_last, n, data FROM series_chunks WHERE id > $1 ORDER BY id LIMIT $2";
/* Retention, each before $1: the raw readings of chunks (a chunk with
 * minutes keeps them, with empty data; one without goes); the minutes of
 * chunks and of series_1m. */
const char Q_SERIES_RETAIN_RAW[] =
    "UPDATE series_chunks SET data = substr(data, 1, 0) WHERE t_last < $1 AND minutes IS NOT NULL "
    "AND length(data) > 0";
const char Q_SERIES_RETAIN_CHUNKS[] = "DELETE FROM series_chunks WHERE t_last < $1 AND minutes IS NULL";
const char Q_SERIES_RETAIN_MINUTES[] = "DELETE FROM series_chunks WHERE t_last < $1";
const char Q_SERIES_RETAIN_1M[] = "DELETE FROM series_1m WHERE bucket < $1";

/* ------------------------------------------------------------ locations */
const char Q_LOCATION_PUT[] =
    "INSERT INTO point_locations (id, lat, lon, note, updated_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, note = excluded.note, "
    "updated_at = excluded.updated_at";
const char Q_LOCATION_GET[] = "SELECT lat, lon, note, updated_at FROM point_locations WHERE id = $1";
const char Q_LOCATION_NEAR[] =
    "SELECT p.id, p.tag, p.kind, l.lat, l.lon FROM point_locations l JOIN points p ON p.id = l.id "
    "JOIN units u ON u.id = p.unit_id WHERE l.lat BETWEEN $1 AND $2 AND l.lon BETWEEN $3 AND $4 "
    "AND u.path LIKE CAST($5 AS TEXT) || '%' AND p.active = 1 ORDER BY p.id LIMIT $6";
