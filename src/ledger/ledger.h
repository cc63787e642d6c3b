/* ledger.h — ledgers (台账) out to Excel and CSV: a column spec plus rows
 * pushed cell by cell become an XLSX workbook (libxlsxwriter) or a CSV file
 * that Excel on a Chinese Windows opens as it is.
 *
 * How it fits: ledger depends on core only. The API layer (api/api_ledger.c)
 * runs a list with the same filters and scope as its JSON twin, pushes every
 * matching row here and sends what ledger_finish() produced; hazards and the
 * risk register reuse the same writer. docs/internals/ledger.md has the
 * details and the reasons.
 *
 *   XLSX  one sheet named after the ledger ("人员台账"), an optional title
 *         row, a bold header row frozen in place, column widths from the
 *         spec, times as real Excel date-times ("yyyy-mm-dd hh:mm") in the
 *         zone given per cell. Text is always written as a string cell, so
 *         "=1+1" stays text (no formula injection). Written in libxlsxwriter's
 *         constant-memory mode (inline strings) into a private directory
 *         made with mkdtemp (0700), read back and removed.
 *   CSV   UTF-8 with a BOM, RFC 4180 quoting, CRLF line ends; a text cell
 *         starting with = + - @ (or a tab or CR) gets a leading apostrophe
 *         so a spreadsheet never runs it as a formula.
 *
 * Usage:
 *     ledger *l; rc = ledger_open(&spec, LEDGER_XLSX, &l);
 *     for each row: ledger_text(l, ..); ledger_time(l, ms, tz); ...; ledger_row_end(l);
 *     rc = ledger_finish(l, &out); ledger_free(l);
 * Each row gives exactly one cell per spec column, in order. */
#ifndef WS_LEDGER_H
#define WS_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define LEDGER_MAX_ROWS 100000 /* data rows of one export; beyond: WS_ETOOBIG naming "limit" */
#define LEDGER_DEFAULT_TZ "Asia/Shanghai"
#define LEDGER_XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define LEDGER_CSV_TYPE "text/csv; charset=utf-8"

typedef enum { LEDGER_XLSX = 1, LEDGER_CSV = 2 } ledger_format;

typedef enum {
    LEDGER_TEXT, /* ledger_text */
    LEDGER_INT,  /* ledger_int */
    LEDGER_TIME, /* ledger_time: date and minute, "2026-11-28 09:05" */
    LEDGER_DATE, /* ledger_time: the date only, "2026-11-28" */
} ledger_type;

typedef struct ledger_col {
    const char *heading; /* "单位名称" */
    ledger_type type;
    double width;        /* Excel character units; 0 = 12 */
} ledger_col;

typedef struct ledger_spec {
    const char *name;  /* sheet name and file stem, e.g. "人员台账" (at most 31 characters) */
    const char *title; /* optional first row above the header, NULL = none */
    bool numbered;     /* a first column 序号 numbered 1..N by the writer */
    const ledger_col *cols;
    size_t ncols;
    size_t max_rows;   /* 0 = LEDGER_MAX_ROWS */
} ledger_spec;

typedef struct ledger ledger;

/* "xlsx" or "csv" (case-insensitive); anything else is WS_EINVAL naming
 * "format". */
ws_err ledger_format_parse(const char *s, ledger_format *f);
/* The reply Content-Type and the file extension ("xlsx", "csv"). Static. */
const char *ledger_content_type(ledger_format f);
const char *ledger_extension(ledger_format f);

/* Start a ledger; *out: free with ledger_free. */
ws_err ledger_open(const ledger_spec *spec, ledger_format f, ledger **out);
/* One cell of the current row. s NULL or "" is an empty cell. */
ws_err ledger_text(ledger *l, const char *s);
ws_err ledger_int(ledger *l, int64_t v);
/* An instant (ms UTC; <= 0 is an empty cell) shown in zone tz (an IANA name;
 * NULL, "" or an unknown zone: Asia/Shanghai). */
ws_err ledger_time(ledger *l, int64_t ms, const char *tz);
/* Close the row (missing cells are left empty). WS_ETOOBIG naming "limit"
 * when this row is past max_rows. */
ws_err ledger_row_end(ledger *l);
/* Data rows written so far. */
size_t ledger_rows(const ledger *l);
/* Finish and append the file's bytes to out. The ledger can only be freed
 * afterwards. */
ws_err ledger_finish(ledger *l, buf *out);
void ledger_free(ledger *l);

/* "<name>-YYYYMMDD.<ext>" with the date of now_ms in tz, into out. */
ws_err ledger_filename(const ledger_spec *spec, ledger_format f, int64_t now_ms, const char *tz,
                       char *out, size_t cap);
/* A Content-Disposition value for filename (UTF-8): an ASCII fallback
 * "ledger-YYYYMMDD.ext" and the real name in RFC 5987 form,
 *     attachment; filename="ledger-20261128.xlsx"; filename*=UTF-8''%E4%BA%BA...
 * Fails with WS_ETOOBIG when out is too small. */
ws_err ledger_disposition(const char *filename, char *out, size_t cap);

/* The offset from UTC in minutes of zone tz at instant ms, read from the
 * system's TZif files (/usr/share/zoneinfo) and cached; thread-safe. Unknown
 * zones fall back to Asia/Shanghai (+480). */
int ledger_tz_offset(const char *tz, int64_t ms);
/* ms shown in tz as "YYYY-MM-DD HH:MM" (with_time) or "YYYY-MM-DD" into out
 * (cap >= 20). Returns out. */
char *ledger_format_time(int64_t ms, const char *tz, bool with_time, char *out, size_t cap);

#endif
