/* series.h — the series store: every reading of every point, compressed into
 * Gorilla chunks (telemetry/gorilla.h), with 1-minute and 1-hour rollups and
 * a history read that downsamples for charts.
 *
 * How it fits: the store keeps its OWN store (store/store.h) — on SQLite a
 * second database file (DATA/series.db, series_url), so a big ingest holds
 * that file's write lock and never the main file's, where alarm
 * acknowledgements are written; on PostgreSQL the same database (its tables,
 * migration 10, on their own rows and locks). SQL in store/q_telemetry.c.
 *
 * Appending: each point being written has one open chunk in memory, in a
 * table that grows by segments of `capacity` slots when a new point finds it
 * full (no allocation per reading). A reading is quantised to the point's resolution
 * (series_point_resolution; gorilla_quantise) and added to a 4 KiB scaled
 * chunk (a raw chunk when the point has no resolution). A chunk is SEALED
 * when the next reading does not fit, when it is older than max_age_ms at
 * series_flush(now), or at series_close: finished into a bounded queue, from
 * which the store's writer thread commits up to 64 chunks with their rollups
 * in one transaction, so the appending thread never waits on the database
 * (only on a full queue). Late and out-of-order readings go into the open chunk as
 * they come (the codec keeps signed deltas) or, after a seal, into a new
 * chunk; the rollup upserts merge a late chunk into the buckets already
 * written. Nothing is dropped silently: a reading that cannot be stored is
 * an error naming why (table full, value not storable, store failure).
 *
 * Quality: BAD and STALE readings are stored as NaN (a gap in charts, not in
 * rollups, which cover finite values only); UNCERTAIN keeps its value (the
 * chunk format has no quality bits).
 *
 * Threads: one mutex guards the open chunks and the queue; the writer
 * thread (started by series_open, joined by series_close) writes outside
 * it. When a write fails the writer keeps the chunks, retries with a
 * growing wait (0.1 s to 5 s) and series_failing says so; once the queue
 * is full, appends that need a seal fail (WS_ESTORE) and their readings
 * are left to the ingest journal. series_flush and series_flush_all return
 * once what they sealed is committed (WS_ESTORE while the store fails).
 * series_history waits for queued chunks of its point, then copies the
 * open chunk under the mutex. */
#ifndef WS_TELEMETRY_SERIES_H
#define WS_TELEMETRY_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define SERIES_CHUNK_BYTES 4096    /* the largest chunk (and the default) */
#define SERIES_READINGS_MAX 16384  /* more than a 4 KiB chunk can hold (2 bits a reading) */
#define SERIES_MINUTE_MS INT64_C(60000)
#define SERIES_HOUR_MS INT64_C(3600000)
/* How long a chunk stays open at most (series_flush): long enough that a
 * 1 Hz point's chunk holds 1,800 readings, over which a chunk's fixed cost
 * (header, first value, checksum, row and index entry: about 100 bytes)
 * is spread thin; short enough that the ingest journal, which keeps the
 * readings of open chunks, stays small, and that a reading reaches a sealed
 * chunk (and the evidence log's digest) within it. */
#define SERIES_MAX_AGE_MS (INT64_C(30) * 60000)

typedef struct series series;

#define SERIES_POINTS_MAX (1 << 20) /* points the store keeps open chunks for */

typedef struct series_config {
    int capacity;       /* open-chunk slots made at a time (rounded up to a power of two; default
                         * 4096): the table starts with one such segment and adds one whenever
                         * a new point finds it full, up to SERIES_POINTS_MAX points */
    size_t chunk_bytes; /* 64 .. SERIES_CHUNK_BYTES; default SERIES_CHUNK_BYTES */
    int64_t max_age_ms; /* series_flush seals chunks opened this long ago; default SERIES_MAX_AGE_MS */
} series_config;

/* Where the series store lives for a main store url: the same URL for
 * PostgreSQL, "<data_dir>/series.db" otherwise. WS_ETOOBIG when out is short. */
ws_err series_url(const char *main_url, const char *data_dir, char *out, size_t cap);

/* Open (store_open, pool of 2) and migrate the store at url; cfg NULL or
 * zero fields take the defaults. Caller owns *out (series_close). */
ws_err series_open(const char *url, const series_config *cfg, series **out);
/* Seal every open chunk, then close. Returns the first seal failure (the
 * store is closed and freed either way). NULL is a no-op. */
ws_err series_close(series *s);
/* The series store's own store (tests, backups). Borrowed. */
store *series_store(series *s);

/* Set the quantisation step of a point (NaN or 0: raw chunks). An open chunk
 * with another step is sealed (and committed) first. WS_EINVAL outside [GORILLA_RES_MIN,
 * GORILLA_RES_MAX]; WS_ETOOBIG naming point_id past SERIES_POINTS_MAX points. */
ws_err series_point_resolution(series *s, int64_t point_id, double resolution);

/* Append one reading (quality a ws_quality of ingest/reading.h). WS_ETOOBIG
 * naming point_id: past the open-chunk table's limit; WS_ENOMEM: no memory
 * for another segment; WS_EINVAL naming t_ms or
 * value: out of the codec's range; WS_ESTORE: the full chunk cannot be
 * queued because the store is failing (the reading is not stored; the chunk
 * stays open for the next try). */
ws_err series_append(series *s, int64_t point_id, int64_t t_ms, double value, int quality);

/* series_append with the reading's ingest-journal sequence (src/warn): each
 * sealed chunk records the highest sequence it holds, so a journal replay
 * after a crash skips readings already sealed (series_wal_sealed). */
ws_err series_append_seq(series *s, int64_t point_id, int64_t t_ms, double value, int quality,
                         int64_t wal_seq);
/* series_append_seq for n readings under one lock (the engine's path).
 * Returns how many were refused; *first is the first refusal's error (WS_OK
 * when none), ws_err_message that of the last. */
typedef struct series_in {
    int64_t point_id, t_ms, wal_seq;
    double value;
    int quality;
} series_in;
size_t series_append_batch(series *s, const series_in *in, size_t n, ws_err *first);

/* For each point with a chunk sealed holding journal sequence >= from_seq,
 * calls fn(ctx, point_id, highest sealed sequence). */
ws_err series_wal_sealed(series *s, int64_t from_seq,
                         void (*fn)(void *ctx, int64_t point_id, int64_t seq), void *ctx);

/* Evidence for sealed chunks: a SHA-256 over the chunks with id > after_id
 * (at most max_chunks, in id order), each contributing its id, point, first
 * and last time, count and the SHA-256 of its bytes. The engine writes one
 * evidence-log leaf per digest; recomputing it later over the same range
 * shows whether any chunk was changed. last_id: where the previous leaf
 * ended (kept in the series store's meta table). */
typedef struct series_digest_out {
    int64_t from_id, to_id; /* the range covered (0, 0 when nothing new) */
    int64_t chunks, readings;
    uint8_t sha256[32];
} series_digest_out;
ws_err series_digest(series *s, int64_t after_id, int64_t max_chunks, series_digest_out *out);
ws_err series_digest_last(series *s, int64_t *last_id);
ws_err series_digest_mark(series *s, int64_t last_id);

/* Retention: remove the raw readings of chunks that ended before
 * raw_before_ms and the minute buckets before minute_before_ms (0 = keep);
 * hour buckets are kept. */
ws_err series_retain(series *s, int64_t raw_before_ms, int64_t minute_before_ms);

/* Seal the chunks opened at least max_age_ms before now_ms (clock_now_ms time
 * of their first reading). *sealed (may be NULL): how many. Stops at the
 * first failure, which it returns. */
ws_err series_flush(series *s, int64_t now_ms, int *sealed);
/* Seal every open chunk. */
ws_err series_flush_all(series *s, int *sealed);
/* The lowest ingest-journal sequence (series_append_seq's wal_seq) of a
 * reading not yet committed to the store (in an open chunk or in the seal
 * queue); 0 when there is none. The journal must keep it and what follows. */
int64_t series_journal_floor(series *s);
/* Whether the last write of sealed chunks failed (the writer is retrying). */
bool series_failing(series *s);

typedef enum { SERIES_TIER_RAW, SERIES_TIER_1M, SERIES_TIER_1H } series_tier;

/* One point of a history: a reading (tier raw: n 1, or 0 for a NaN/BAD one,
 * min = max = avg = last = its value) or a bucket [t, t + width) of finite
 * readings (n >= 1). */
typedef struct series_sample {
    int64_t t;
    int64_t n;
    double min, max, avg, last;
    int64_t last_t; /* time of `last` */
} series_sample;

/* A chunk's minutes (the minutes column, migration 24): one entry per minute
 * with a finite reading, in time order, in one of two forms.
 *   Compact (since 2026-11-30): byte 0xFF, a flags byte (bit 0: steps),
 *     with steps the resolution (f64 LE); then per minute, varints (LEB128,
 *     signed ones zigzagged): the minute number's change from the previous
 *     entry (the first counts from 0), n, ms from the minute's start to the
 *     last reading; with steps, min - the previous entry's last (signed;
 *     the first counts from 0), max - min and last - min, each in steps of
 *     the resolution (the codec's value of a step count, gorilla_quantise,
 *     is the stored value bit for bit), else min, max and last as f64 LE;
 *     then the sum (f64 LE). About 17 bytes a minute for a scaled point.
 *   48-byte entries (chunks sealed before): bucket start ms (i64), n (u32),
 *     ms from the bucket's start to the last reading (u32), min, max, sum,
 *     last (f64 each), little-endian. A bucket start is a multiple of
 *     60,000, so its lowest byte is a multiple of 32, never 0xFF. */
#define SERIES_MINUTE_BYTES 48
typedef struct series_minutes_it {
    const uint8_t *p, *end;
    bool compact, steps;
    double res;
    int64_t minute, klast;
} series_minutes_it;
/* Read a minutes blob (either form) entry by entry: each into out as a
 * bucket sample (t = the minute's start, avg = the sum); false at the end,
 * or at an entry that runs past it (the rest is ignored). */
void series_minutes_begin(series_minutes_it *it, const uint8_t *blob, size_t len);
bool series_minutes_next(series_minutes_it *it, series_sample *out);

typedef struct series_history_info {
    series_tier tier;
    int64_t width_ms; /* bucket width; 0 for raw */
} series_history_info;

/* At most max_points samples of point_id over [from_ms, to_ms), in time
 * order, into out (room for max_points). Raw readings when the chunks
 * overlapping the range hold no more than max_points; otherwise buckets of
 * whole minutes (the chunks' minutes, and series_1m of older chunks) or, when each output bucket spans an hour
 * or more, whole hours (series_1h), merged k at a time so that they fit —
 * bucket starts aligned down from from_ms; a bucket is included when it
 * starts before to_ms. The open chunk counts too. Only chunks overlapping
 * the range are decoded. WS_ECORRUPT naming "chunk" for a stored chunk that
 * does not decode. info may be NULL. */
ws_err series_history(series *s, int64_t point_id, int64_t from_ms, int64_t to_ms,
                      size_t max_points, series_sample *out, size_t *n,
                      series_history_info *info);

#endif
