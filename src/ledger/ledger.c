/* ledger.c — the ledger writer: one spec, rows pushed cell by cell, an XLSX
 * workbook or a CSV file out (interface and format notes in ledger.h; the
 * reasons in docs/internals/ledger.md).
 *
 * XLSX goes through libxlsxwriter, which can only write to a named file:
 * the workbook is written into a fresh directory from mkdtemp (mode 0700,
 * created exclusively, under $TMPDIR or /tmp), which also holds
 * libxlsxwriter's own temporary files; ledger_finish() reads the file back
 * and ledger_free() removes the file and the directory, on every path. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "ledger/ledger.h"

#define CSV_CAP (48u << 20)  /* bytes of one CSV export */
#define XLSX_CAP (48u << 20) /* bytes of one workbook */
#define DEFAULT_WIDTH 12.0
#define NUMBER_HEADING "序号"

struct ledger {
    ledger_format fmt;
    const ledger_col *cols;
    size_t ncols;     /* spec columns */
    bool numbered;
    size_t col;       /* next spec column of the current row */
    size_t rows, max; /* data rows written, cap */
    bool finished;
    /* CSV */
    buf csv;
    /* XLSX */
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *fmt_head, *fmt_title, *fmt_time, *fmt_date;
    lxw_row_t xrow;   /* sheet row of the current data row */
    char dir[256], path[300];
};

ws_err ledger_format_parse(const char *s, ledger_format *f)
{
    if (s && strcasecmp(s, "xlsx") == 0) *f = LEDGER_XLSX;
    else if (s && strcasecmp(s, "csv") == 0) *f = LEDGER_CSV;
    else return ws_fail(WS_EINVAL, "format", "format must be xlsx or csv");
    return WS_OK;
}

const char *ledger_content_type(ledger_format f)
{
    return f == LEDGER_XLSX ? LEDGER_XLSX_TYPE : LEDGER_CSV_TYPE;
}

const char *ledger_extension(ledger_format f) { return f == LEDGER_XLSX ? "xlsx" : "csv"; }

static ws_err xlsx_fail(lxw_error e, const char *what)
{
    return ws_fail(WS_EIO, NULL, "writing the workbook failed (%s): %s", what, lxw_strerror(e));
}

/* ---------------------------------------------------------------- CSV --- */

/* Would a spreadsheet read this cell as a formula? */
static bool formula_like(const char *s)
{
    return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
           s[0] == '\r';
}

static ws_err csv_cell(ledger *l, const char *s, bool guard)
{
    ws_err rc = WS_OK;
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) rc = buf_putc(&l->csv, '"');
    if (!rc && guard && formula_like(s)) rc = buf_putc(&l->csv, '\'');
    for (const char *p = s; !rc && *p; p++) {
        if (*p == '"') rc = buf_putc(&l->csv, '"');
        if (!rc) rc = buf_putc(&l->csv, *p);
    }
    if (!rc && quote) rc = buf_putc(&l->csv, '"');
    return rc;
}

/* ------------------------------------------------------------ shared --- */

static ws_err too_big(const ledger *l)
{
    return ws_fail(WS_ETOOBIG, "limit",
                   "an export holds at most %zu rows; narrow the filter and export again",
                   l->max);
}

static ws_err buf_err(ws_err rc, const ledger *l)
{
    (void)l;
    if (rc == WS_ETOOBIG)
        return ws_fail(WS_ETOOBIG, "limit",
                       "the export is larger than %u MiB; narrow the filter and export again",
                       CSV_CAP >> 20);
    return rc;
}

/* Start a cell: separator in CSV, the sheet column in XLSX. */
static ws_err cell_start(ledger *l, lxw_col_t *xcol)
{
    if (l->finished) return ws_fail(WS_EINTERNAL, NULL, "ledger already finished");
    if (l->col >= l->ncols)
        return ws_fail(WS_EINTERNAL, NULL, "ledger row has more cells than columns");
    if (l->rows >= l->max) return too_big(l);
    bool first = l->col == 0;
    if (first && l->numbered) { /* the 序号 cell */
        if (l->fmt == LEDGER_CSV) {
            ws_err rc = buf_printf(&l->csv, "%zu", l->rows + 1);
            if (rc) return buf_err(rc, l);
        } else {
            lxw_error e = worksheet_write_number(l->ws, l->xrow, 0, (double)(l->rows + 1), NULL);
            if (e) return xlsx_fail(e, "number");
        }
        first = false;
    }
    if (l->fmt == LEDGER_CSV && !first) {
        ws_err rc = buf_putc(&l->csv, ',');
        if (rc) return buf_err(rc, l);
    }
    *xcol = (lxw_col_t)(l->col + (l->numbered ? 1 : 0));
    return WS_OK;
}

ws_err ledger_text(ledger *l, const char *s)
{
    lxw_col_t c;
    ws_err rc = cell_start(l, &c);
    if (rc) return rc;
    l->col++;
    if (!s || !*s) return WS_OK;
    if (l->fmt == LEDGER_CSV) return buf_err(csv_cell(l, s, true), l);
    /* A string cell: Excel never evaluates it, whatever it starts with. */
    lxw_error e = worksheet_write_string(l->ws, l->xrow, c, s, NULL);
    return e ? xlsx_fail(e, "text") : WS_OK;
}

ws_err ledger_int(ledger *l, int64_t v)
{
    lxw_col_t c;
    ws_err rc = cell_start(l, &c);
    if (rc) return rc;
    l->col++;
    if (l->fmt == LEDGER_CSV) return buf_err(buf_printf(&l->csv, "%lld", (long long)v), l);
    lxw_error e = worksheet_write_number(l->ws, l->xrow, c, (double)v, NULL);
    return e ? xlsx_fail(e, "number") : WS_OK;
}

ws_err ledger_time(ledger *l, int64_t ms, const char *tz)
{
    lxw_col_t c;
    ws_err rc = cell_start(l, &c);
    if (rc) return rc;
    bool with_time = l->cols[l->col].type != LEDGER_DATE;
    l->col++;
    if (ms <= 0) return WS_OK;
    if (l->fmt == LEDGER_CSV) {
        char s[32];
        ledger_format_time(ms, tz, with_time, s, sizeof s);
        return buf_err(csv_cell(l, s, false), l);
    }
    int off = ledger_tz_offset(tz, ms);
    time_t t = (time_t)(ms / 1000 + (int64_t)off * 60);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return WS_OK;
    lxw_datetime dt = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0};
    if (with_time) {
        dt.hour = tm.tm_hour;
        dt.min = tm.tm_min;
        dt.sec = tm.tm_sec;
    }
    lxw_error e = worksheet_write_datetime(l->ws, l->xrow, c, &dt,
                                           with_time ? l->fmt_time : l->fmt_date);
    return e ? xlsx_fail(e, "date") : WS_OK;
}

ws_err ledger_row_end(ledger *l)
{
    ws_err rc = WS_OK;
    if (l->rows >= l->max) return too_big(l);
    while (l->col < l->ncols && !rc) rc = ledger_text(l, NULL); /* missing cells: empty */
    if (rc) return rc;
    if (l->fmt == LEDGER_CSV) {
        rc = buf_puts(&l->csv, "\r\n");
        if (rc) return buf_err(rc, l);
    }
    l->col = 0;
    l->rows++;
    l->xrow++;
    return WS_OK;
}

size_t ledger_rows(const ledger *l) { return l->rows; }

/* --------------------------------------------------------------- open --- */

static ws_err open_csv(ledger *l, const ledger_spec *s)
{
    buf_init(&l->csv, CSV_CAP);
    ws_err rc = buf_puts(&l->csv, "\xEF\xBB\xBF"); /* BOM: Excel then reads UTF-8 */
    if (!rc && s->title) {
        rc = csv_cell(l, s->title, true);
        if (!rc) rc = buf_puts(&l->csv, "\r\n");
    }
    if (!rc && l->numbered) rc = buf_puts(&l->csv, NUMBER_HEADING);
    for (size_t i = 0; !rc && i < l->ncols; i++) {
        if (i > 0 || l->numbered) rc = buf_putc(&l->csv, ',');
        if (!rc) rc = csv_cell(l, l->cols[i].heading, true);
    }
    if (!rc) rc = buf_puts(&l->csv, "\r\n");
    return rc;
}

static ws_err open_xlsx(ledger *l, const ledger_spec *s)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 200) tmp = "/tmp";
    snprintf(l->dir, sizeof l->dir, "%s/ws-ledger-XXXXXX", tmp);
    if (!mkdtemp(l->dir)) {
        l->dir[0] = 0;
        return ws_fail(WS_EIO, NULL, "cannot create a temporary directory for the workbook");
    }
    snprintf(l->path, sizeof l->path, "%s/ledger.xlsx", l->dir);
    lxw_workbook_options o = {.constant_memory = LXW_TRUE, .tmpdir = l->dir, .use_zip64 = 0};
    l->wb = workbook_new_opt(l->path, &o);
    if (!l->wb) return ws_fail(WS_EIO, NULL, "cannot start the workbook");
    /* Sheet names: at most 31 characters, none of []:*?/\ . */
    const char *name = s->name;
    if (!name || !*name || workbook_validate_sheet_name(l->wb, name) != LXW_NO_ERROR)
        name = NULL;
    l->ws = workbook_add_worksheet(l->wb, name);
    if (!l->ws) return ws_fail(WS_EIO, NULL, "cannot add the worksheet");
    l->fmt_head = workbook_add_format(l->wb);
    format_set_bold(l->fmt_head);
    format_set_bg_color(l->fmt_head, 0xD9E1F2);
    format_set_border(l->fmt_head, LXW_BORDER_THIN);
    format_set_align(l->fmt_head, LXW_ALIGN_CENTER);
    l->fmt_title = workbook_add_format(l->wb);
    format_set_bold(l->fmt_title);
    format_set_font_size(l->fmt_title, 14);
    l->fmt_time = workbook_add_format(l->wb);
    format_set_num_format(l->fmt_time, "yyyy-mm-dd hh:mm");
    l->fmt_date = workbook_add_format(l->wb);
    format_set_num_format(l->fmt_date, "yyyy-mm-dd");
    lxw_col_t c0 = l->numbered ? 1 : 0;
    lxw_error e = LXW_NO_ERROR;
    if (l->numbered) e = worksheet_set_column(l->ws, 0, 0, 6, NULL);
    for (size_t i = 0; !e && i < l->ncols; i++) {
        double w = l->cols[i].width > 0 ? l->cols[i].width : DEFAULT_WIDTH;
        e = worksheet_set_column(l->ws, (lxw_col_t)(c0 + i), (lxw_col_t)(c0 + i), w, NULL);
    }
    lxw_row_t r = 0;
    if (!e && s->title) {
        e = worksheet_set_row(l->ws, 0, 22, NULL);
        if (!e) e = worksheet_write_string(l->ws, 0, 0, s->title, l->fmt_title);
        r = 1;
    }
    if (!e && l->numbered) e = worksheet_write_string(l->ws, r, 0, NUMBER_HEADING, l->fmt_head);
    for (size_t i = 0; !e && i < l->ncols; i++)
        e = worksheet_write_string(l->ws, r, (lxw_col_t)(c0 + i), l->cols[i].heading, l->fmt_head);
    if (e) return xlsx_fail(e, "header");
    worksheet_freeze_panes(l->ws, r + 1, 0);
    l->xrow = r + 1;
    return WS_OK;
}

ws_err ledger_open(const ledger_spec *spec, ledger_format f, ledger **out)
{
    *out = NULL;
    if (!spec || !spec->ncols || !spec->cols || (f != LEDGER_XLSX && f != LEDGER_CSV))
        return ws_fail(WS_EINTERNAL, NULL, "bad ledger spec");
    ledger *l = calloc(1, sizeof *l);
    if (!l) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    l->fmt = f;
    l->cols = spec->cols;
    l->ncols = spec->ncols;
    l->numbered = spec->numbered;
    l->max = spec->max_rows ? spec->max_rows : LEDGER_MAX_ROWS;
    ws_err rc = f == LEDGER_CSV ? open_csv(l, spec) : open_xlsx(l, spec);
    if (rc) {
        ledger_free(l);
        return rc;
    }
    *out = l;
    return WS_OK;
}

/* ------------------------------------------------------------- finish --- */

static ws_err read_file(const char *path, buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ws_fail(WS_EIO, NULL, "cannot read the workbook back");
    char chunk[65536];
    size_t n;
    ws_err rc = WS_OK;
    size_t total = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        total += n;
        if (total > XLSX_CAP)
            rc = ws_fail(WS_ETOOBIG, "limit",
                         "the workbook is larger than %u MiB; narrow the filter and export again",
                         XLSX_CAP >> 20);
        else
            rc = buf_append(out, chunk, n);
    }
    if (!rc && ferror(f)) rc = ws_fail(WS_EIO, NULL, "cannot read the workbook back");
    fclose(f);
    return rc;
}

ws_err ledger_finish(ledger *l, buf *out)
{
    if (l->finished) return ws_fail(WS_EINTERNAL, NULL, "ledger already finished");
    l->finished = true;
    if (l->fmt == LEDGER_CSV) return buf_append(out, l->csv.data, l->csv.len);
    lxw_error e = workbook_close(l->wb);
    l->wb = NULL;
    if (e) return xlsx_fail(e, "close");
    return read_file(l->path, out);
}

/* Remove the private directory and whatever libxlsxwriter left in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *ent;
        char p[512];
        while ((ent = readdir(d))) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", dir, ent->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

void ledger_free(ledger *l)
{
    if (!l) return;
    if (l->wb) workbook_close(l->wb); /* unfinished: frees the workbook, file removed below */
    buf_free(&l->csv);
    if (l->dir[0]) remove_dir(l->dir);
    free(l);
}

/* ---------------------------------------------------------- file names --- */

ws_err ledger_filename(const ledger_spec *spec, ledger_format f, int64_t now_ms, const char *tz,
                       char *out, size_t cap)
{
    char day[32];
    ledger_format_time(now_ms, tz, false, day, sizeof day);
    /* "2026-11-28" -> "20261128" */
    char ymd[9] = {day[0], day[1], day[2], day[3], day[5], day[6], day[8], day[9], 0};
    int n = snprintf(out, cap, "%s-%s.%s", spec->name && *spec->name ? spec->name : "ledger", ymd,
                     ledger_extension(f));
    if (n < 0 || (size_t)n >= cap) return ws_fail(WS_ETOOBIG, NULL, "file name too long");
    return WS_OK;
}

ws_err ledger_disposition(const char *filename, char *out, size_t cap)
{
    buf b = BUF_INIT(cap ? cap - 1 : 0);
    /* ASCII fallback: keep the date and extension of "人员台账-20261128.xlsx". */
    const char *dash = strrchr(filename, '-');
    const char *tail = dash ? dash : strrchr(filename, '.');
    ws_err rc = buf_puts(&b, "attachment; filename=\"ledger");
    for (const char *p = tail; !rc && p && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') rc = buf_putc(&b, (char)c);
    }
    if (!rc) rc = buf_puts(&b, "\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)filename; !rc && *p; p++) {
        unsigned char c = *p;
        bool attr = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    strchr("!#$&+-.^_`|~", c);
        rc = attr && c ? buf_putc(&b, (char)c) : buf_printf(&b, "%%%02X", c);
    }
    if (!rc) {
        memcpy(out, b.data, b.len + 1);
    } else {
        rc = ws_fail(WS_ETOOBIG, NULL, "Content-Disposition too long");
    }
    buf_free(&b);
    return rc;
}
