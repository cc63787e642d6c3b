/* ingest.h — the text decoders of ingestion: the compact line format, the
 * JSON batch and CSV history exports, all producing ws_reading (reading.h).
 *
 * They are pure: no I/O (except ingest_csv_read_fd, a convenience loop),
 * no allocation per reading, no locale dependence. Bad input never stops a
 * batch: a bad line (reading, CSV cell) produces no reading and is recorded
 * in an ingest_errors (the first INGEST_ERR_SAMPLES with line, byte offset,
 * path and reason, plus a count of all). Whether to accept the valid part is
 * the caller's choice (the HTTP layer accepts it and reports the bad ones,
 * 207-like). The formats are documented in docs/internals/ingest.md, "Text
 * formats". Shared by the HTTP handlers, the MQTT JSON payloads and the
 * history import; the other decoders (sparkplug.h, camera.h) reuse
 * ingest_errors. */
#ifndef WS_INGEST_INGEST_H
#define WS_INGEST_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/reading.h"

typedef enum ingest_reason {
    INGEST_E_NONE = 0,
    INGEST_E_TAG_MISSING,   /* no tag */
    INGEST_E_TAG_LONG,      /* over WS_TAG_MAX bytes */
    INGEST_E_TAG_CHAR,      /* a byte outside [A-Za-z0-9_.:/-] */
    INGEST_E_VALUE_MISSING, /* no value */
    INGEST_E_VALUE_SYNTAX,  /* not a decimal number */
    INGEST_E_VALUE_RANGE,   /* overflows a double (e.g. 1e309) */
    INGEST_E_VALUE_NAN,     /* NaN (or null) without quality bad/stale */
    INGEST_E_TIME_SYNTAX,   /* not a time this format accepts */
    INGEST_E_TIME_RANGE,    /* before 1970 or after 9999-12-31, or a bad date */
    INGEST_E_TIME_GAP,      /* a local time that does not exist (DST gap) */
    INGEST_E_QUALITY,       /* not one of the qualities */
    INGEST_E_EXTRA,         /* trailing fields or bytes */
    INGEST_E_UTF8,          /* invalid UTF-8 */
    INGEST_E_SYNTAX,        /* malformed JSON / CSV structure */
    INGEST_E_DUP_KEY,       /* a JSON key given twice */
    INGEST_E_UNKNOWN_KEY,   /* a JSON key this format does not have */
    INGEST_E_TYPE,          /* a JSON value of the wrong type */
    INGEST_E_DEPTH,         /* JSON nested too deeply */
    INGEST_E_COLUMNS,       /* a CSV row with more cells than the header */
    INGEST_E_TOO_LONG,      /* a line or CSV row over its byte cap */
    INGEST_E_HEADER,        /* CSV header: no time column, bad tag column */
    INGEST_E_REASON_COUNT
} ingest_reason;

/* Snake-case name of a reason, e.g. "value_syntax". Static. */
const char *ingest_reason_name(ingest_reason r);
/* A sentence for a person, e.g. "the value is not a decimal number". Static. */
const char *ingest_reason_text(ingest_reason r);

#define INGEST_ERR_SAMPLES 16
#define INGEST_PATH_MAX 48

typedef struct ingest_error {
    size_t line;                 /* 1-based line (CSV: record; header = 1) */
    size_t offset;               /* byte offset of the line / value in the input */
    ingest_reason reason;
    char path[INGEST_PATH_MAX];  /* "readings[3].value", CSV column name, or "" */
} ingest_error;

/* Filled by a decoder; zero it (or ingest_errors_init) before the first call.
 * A decoder called repeatedly on parts of one input keeps adding. */
typedef struct ingest_errors {
    size_t count;                /* bad lines/readings seen, all of them */
    size_t nsample;              /* <= INGEST_ERR_SAMPLES: the first ones */
    ingest_error sample[INGEST_ERR_SAMPLES];
    bool full;                   /* a decoder stopped because out[] was full */
    size_t resume;               /* then: byte offset to continue from */
} ingest_errors;

void ingest_errors_init(ingest_errors *e);
/* Record one error (counted always, sampled while there is room). */
void ingest_errors_add(ingest_errors *e, size_t line, size_t offset, ingest_reason r,
                       const char *path);

/* A decimal float, strtod-exact, in the C locale whatever the process's:
 * [+-]?(D+(.D*)?|.D+)([eE][+-]?D+)?  — no hex, no inf/nan, no spaces.
 * Returns 0, or the reason (VALUE_SYNTAX, VALUE_RANGE when it overflows;
 * underflow to a subnormal or zero is accepted). */
ingest_reason ingest_parse_double(const char *s, size_t n, double *out);

/* --------------------------------------------------------- line format
 *
 *     TAG SP VALUE [SP TIME_MS|- [SP QUALITY]] LF
 *
 * Fields are separated by spaces or tabs; CRLF is accepted; blank lines and
 * lines starting with '#' are skipped; the last line may lack LF. TAG is
 * 1..63 bytes of [A-Za-z0-9_.:/-]. VALUE is a decimal float or NaN/nan (only
 * with quality bad or stale). TIME_MS is ms since the epoch (UTC), digits
 * only; '-' or absent means none. QUALITY is 0..3 or good|uncertain|bad|stale.
 *
 * Decodes buf[0..len) into out[0..cap), *n readings. Bad lines are added to
 * errs and skipped. Returns WS_OK when the whole input was read; WS_ETOOBIG
 * when out filled before the end (errs->full, errs->resume = offset of the
 * first line not read: call again with buf + resume to go on; line numbers
 * then restart at 1 unless line_base says otherwise). */
ws_err ingest_line_decode(const char *buf, size_t len, ws_reading *out, size_t cap, size_t *n,
                          ingest_errors *errs);
/* As above, numbering the first line line_base + 1 and offsets from
 * offset_base (for a continued input). */
ws_err ingest_line_decode_at(const char *buf, size_t len, size_t line_base, size_t offset_base,
                             ws_reading *out, size_t cap, size_t *n, ingest_errors *errs);
/* Whether the common line form takes the one-pass path (default true);
 * false only for tests that check both paths give the same results. */
extern bool ingest_line_fast;

/* ----------------------------------------------------------- JSON batch
 *
 *     {"readings":[{"tag":"GT-101","value":12.5,"t":1795832797123,"q":0},...],
 *      "series":[{"tag":"GT-102","t0":1795832797000,"dt":1000,"values":[1.5,null,2]}]}
 *
 * Either key may be absent. "t" is ms or an RFC 3339 string
 * ("2026-11-28T10:00:00.123Z", "...+08:00"); "q" 0..3; "value" a number,
 * or null with q 2 or 3. A series' null value is a gap (no reading). Strict:
 * UTF-8, duplicate and unknown keys, types. A bad reading is reported by
 * path ("readings[3].value") and skipped; a malformed document (syntax,
 * nesting, bad top level) returns WS_EINVAL with *n = 0 and the error in
 * errs (and ws_fail). WS_ETOOBIG as for the line format, but there is no
 * resume: a JSON batch must fit (the HTTP layer sizes out[] from the body). */
ws_err ingest_batch_decode(const char *buf, size_t len, ws_reading *out, size_t cap, size_t *n,
                           ingest_errors *errs);

/* ------------------------------------------------------- CSV history
 *
 * Header row first. Long form: columns tag, time, value (and quality),
 * any order, names as in ingest.md. Wide form otherwise: one time column
 * (named time/timestamp/时间/... or else the first) and one column per tag
 * (the header cell's tag; text after a space or '(' is a description).
 * Times: "YYYY-MM-DD[ T]HH:MM[:SS[.fff]]" (also with '/'), optionally
 * ending Z or ±HH:MM, which wins; otherwise local time in opts' zone. Or an
 * integer ms since the epoch. UTF-8 with or without BOM, else GBK (the
 * header is read by org_table_read; data cells must be ASCII). */

/* Offset from UTC in minutes at UTC instant ms in zone tz (e.g.
 * ledger_tz_offset). Supplied by the caller so ingest depends on core only. */
typedef int (*ingest_tz_fn)(const char *tz, int64_t ms);
/* Receives decoded readings in batches; the array is borrowed for the call.
 * Return WS_OK to go on; anything else stops the import with that error. */
typedef ws_err (*ingest_sink_fn)(void *ctx, const ws_reading *r, size_t n);
typedef void (*ingest_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct ingest_csv_opts {
    const char *tz;            /* IANA zone of local times, with tz_offset */
    ingest_tz_fn tz_offset;    /* NULL: use offset_min */
    int offset_min;            /* fixed offset of local times (e.g. +480) */
    ingest_sink_fn sink;       /* required */
    ingest_progress_fn progress; /* optional; called per chunk fed */
    void *ctx;                 /* for sink and progress */
    uint64_t total;            /* bytes expected, for progress (0: unknown) */
} ingest_csv_opts;

typedef struct ingest_csv ingest_csv;

#define INGEST_CSV_MAX_COLS 4096
#define INGEST_CSV_MAX_ROW (256u << 10)

/* A decoder for one file; allocated once (NULL on no memory). opts is
 * copied (the tz string is borrowed and must outlive the decoder). */
ingest_csv *ingest_csv_new(const ingest_csv_opts *opts);
void ingest_csv_free(ingest_csv *c);
/* Feed the next bytes of the file (any split). Bad rows go to errs. Fails
 * (and stays failed) on a bad header (WS_EINVAL, field "header") or when the
 * sink fails. */
ws_err ingest_csv_feed(ingest_csv *c, const char *data, size_t len, ingest_errors *errs);
/* The end of the file: decodes a last row without a line end, flushes the
 * sink. An empty file (no header) is WS_EINVAL. */
ws_err ingest_csv_finish(ingest_csv *c, ingest_errors *errs);
/* Readings handed to the sink so far; whether the file is long-form. */
uint64_t ingest_csv_count(const ingest_csv *c);
bool ingest_csv_is_long(const ingest_csv *c);
/* Reads fd to its end in 1 MiB chunks through a decoder (opts.total taken
 * from fstat when 0). */
ws_err ingest_csv_read_fd(int fd, const ingest_csv_opts *opts, ingest_errors *errs);

/* ------------------------------------------- shared by the decoders */

/* 0 when s[0..n) is a valid tag, else TAG_MISSING / TAG_LONG / TAG_CHAR. */
ingest_reason ingest_tag_check(const char *s, size_t n);
/* "YYYY-MM-DD[T| ]HH:MM[:SS[.f{1,9}]][Z|±HH:MM|±HHMM]" ('/' also between
 * date parts). *ms is the wall time read as if UTC; *has_off says whether
 * an offset was given, *off_min what it was (Z = 0). Fractions beyond ms are
 * truncated. Returns 0 or TIME_SYNTAX / TIME_RANGE. */
ingest_reason ingest_parse_datetime(const char *s, size_t n, int64_t *ms, bool *has_off,
                                    int *off_min);
/* Latest instant accepted: 9999-12-31T23:59:59.999Z. */
#define INGEST_MS_MAX INT64_C(253402300799999)

#endif
