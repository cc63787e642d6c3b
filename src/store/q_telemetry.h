/* q_telemetry.h — named queries of the points (位号) and devices register
 * (src/telemetry/point.c); the schema is migration 9 "points and devices" of
 * src/store/migrations.c.
 *
 * Column orders of the row-returning queries (the readers in point.c rely
 * on them):
 *   device rows: id, unit_id, code, name, kind, vendor, model, protocol,
 *                calibration_due, maintenance_until, active, created_at,
 *                updated_at, unit path
 *   point rows:  id, device_id, unit_id, tag, name, kind, uom, range_low,
 *                range_high, resolution, exposure_limit, ll, l, h, hh,
 *                deadband, on_delay_ms, active, created_at, updated_at,
 *                unit path
 * The unit path is that of the row's org unit (the scope). List parameters:
 * $1 scope path, $2 unit id (its subtree) or 0, $3 kind or '', $4 active or
 * -1, $5 text to find in code/tag or name or '', $6 cursor, $7 limit, and for
 * points $8 device id or 0. */
#ifndef WS_Q_TELEMETRY_H
#define WS_Q_TELEMETRY_H

extern const char Q_DEVICE_INSERT[];  /* $1 unit_id, $2 code, $3 name, $4 kind, $5 vendor,
                                         $6 model, $7 protocol, $8 calibration_due,
                                         $9 maintenance_until, $10 now -> id */
extern const char Q_DEVICE_UPDATE[];  /* $1 id, $2..$9 as insert, $10 maintenance_until,
                                         $11 active, $12 now */
extern const char Q_DEVICE_GET[];     /* $1 id */
extern const char Q_DEVICE_BY_CODE[]; /* $1 code -> id */
extern const char Q_DEVICE_LIST[];

extern const char Q_POINT_INSERT[];   /* $1 device_id, $2 unit_id, $3 tag, $4 name, $5 kind,
                                         $6 uom, $7 range_low, $8 range_high, $9 resolution,
                                         $10 exposure_limit, $11 ll, $12 l, $13 h, $14 hh,
                                         $15 deadband, $16 on_delay_ms, $17 now -> id */
extern const char Q_POINT_UPDATE[];   /* $1 id, $2..$17 as insert, $18 active, $19 now */
extern const char Q_POINT_GET[];      /* $1 id */
extern const char Q_POINT_BY_TAG[];   /* $1 tag -> id */
extern const char Q_POINT_LIST[];

/* Series store (src/telemetry/series.c), in the series store's own database.
 * Chunk rows: id, t_first, t_last, n, data, resolution. Rollup rows: bucket,
 * n, v_min, v_max, v_sum, v_last, last_t. */
extern const char Q_SERIES_CHUNK_INSERT[]; /* $1 point_id, $2 t_first, $3 t_last, $4 n,
                                              $5 data, $6 resolution or NULL, $7 sealed_at,
                                              $8 wal_seq, $9 minutes */
extern const char Q_SERIES_WAL_SEALED[];
extern const char Q_SERIES_DIGEST_ROWS[];
extern const char Q_SERIES_RETAIN_RAW[];     /* $1: empty data of chunks with minutes */
extern const char Q_SERIES_RETAIN_CHUNKS[];  /* $1: delete chunks without minutes */
extern const char Q_SERIES_RETAIN_MINUTES[]; /* $1: delete chunks (their minutes) */
extern const char Q_SERIES_RETAIN_1M[];      /* $1: delete series_1m buckets */
extern const char Q_SERIES_1H_UPSERT[];    /* $1 point_id, $2 bucket, $3 n, $4 min, $5 max,
                                              $6 sum, $7 last, $8 last_t: merged */
extern const char Q_SERIES_CHUNK_COUNT[];  /* $1 point_id, $2 from, $3 to -> SUM(n) of the
                                              chunks overlapping [from, to), how many of
                                              them have their data emptied */
extern const char Q_SERIES_CHUNK_RANGE[];  /* the same parameters -> chunk rows with data
                                              by t_first */
extern const char Q_SERIES_1M_RANGE[];     /* $1 point_id, $2 from, $3 to -> rollup rows of
                                              buckets starting in [from, to) by bucket */
extern const char Q_SERIES_1H_RANGE[];
extern const char Q_SERIES_MINUTES_RANGE[]; /* $1 point_id, $2 from, $3 to -> the minutes of
                                               chunks overlapping [from, to) */

/* Point locations (migration 17) */
extern const char Q_LOCATION_PUT[];    /* $1 point, $2 lat, $3 lon, $4 note, $5 now (upsert) */
extern const char Q_LOCATION_GET[];    /* $1 point -> lat, lon, note, updated_at */
extern const char Q_LOCATION_NEAR[];   /* $1 lat min, $2 lat max, $3 lon min, $4 lon max, $5 unit path prefix,
                                          $6 limit -> point id, tag, kind, lat, lon (active points) */

#endif
