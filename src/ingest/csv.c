/* csv.c — CSV history import (DCS and LIMS exports) into readings, streamed:
 * the file is fed in chunks of any size, readings go to a sink in batches,
 * and a progress callback hears bytes done / total, so a page can draw a bar
 * for a file of gigabytes while memory stays at one row plus one batch.
 *
 * The header row is read by org_table_read (org/table.c): UTF-8 with or
 * without BOM, else GBK as GB18030, RFC 4180 quoting, trimmed cells — the
 * same reading as every other import. It decides the form:
 *   long  — columns tag, time, value (and optionally quality), any order,
 *           other columns ignored;
 *   wide  — a time column and one column per tag ("GT-101 可燃气 %LEL" is
 *           tag GT-101; text after a space, '(' or a non-ASCII byte is a
 *           description; empty header cells mark ignored columns).
 * Data rows are scanned here without allocation (quoted cells are taken
 * between their quotes; numbers, times and tags never need "" escapes).
 * Data cells are ASCII, so GBK needs no conversion after the header.
 *
 * Local times are turned into UTC with the caller's zone function (the
 * ledger's TZif reader, passed in so ingest depends on core only): of the
 * offsets in force a day before and a day after, the ones that map the wall
 * time back to themselves; two = the repeated hour of a DST end, the
 * earlier instant is taken; none = the skipped hour of a DST start, the row
 * is refused (time_gap). The result is memoised per local minute. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "org/org.h"

#define BATCH 1024
#define CHUNK (1u << 20)

enum { COL_IGNORE = 0, COL_TIME, COL_TAG, COL_VALUE, COL_QUALITY, COL_POINT };

struct ingest_csv {
    ingest_csv_opts o;
    bool header_done, is_long, skipping, in_quote;
    ws_err failed;
    size_t ncols;
    unsigned char *kind;             /* per column: COL_* */
    char (*tags)[WS_TAG_MAX + 1];    /* per column (wide): the tag */
    char *carry;                     /* a record split across feeds */
    size_t carry_len;
    uint64_t carry_off;              /* file offset of the carry's first byte */
    uint64_t off;                    /* file offset of the next fed byte */
    size_t row;                      /* records seen (header = 1) */
    uint64_t done, count;
    int64_t memo_minute;             /* local minute of the last zone lookup */
    int64_t memo_shift;              /* its UTC - local, ms; */
    int memo_state;                  /* 0 none, 1 ok, 2 gap */
    size_t nb, bcap;
    ws_reading *batch;               /* bcap >= one wide row */
};

ingest_csv *ingest_csv_new(const ingest_csv_opts *opts)
{
    ingest_csv *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->o = *opts;
    c->carry = malloc(INGEST_CSV_MAX_ROW);
    if (!c->carry) {
        free(c);
        return NULL;
    }
    return c;
}

void ingest_csv_free(ingest_csv *c)
{
    if (!c) return;
    free(c->carry);
    free(c->kind);
    free(c->tags);
    free(c->batch);
    free(c);
}

uint64_t ingest_csv_count(const ingest_csv *c)
{
    return c->count;
}

bool ingest_csv_is_long(const ingest_csv *c)
{
    return c->is_long;
}

/* ---------------------------------------------------------------- header */

static bool name_in(const char *cell, const char *const *names)
{
    for (; *names; names++)
        if (strcasecmp(cell, *names) == 0) return true;
    return false;
}

static const char *const time_names[] = {"time", "timestamp", "datetime", "date_time",
                                         "date/time", "ts", "t", "时间", "日期时间",
                                         "采集时间", "时间戳", NULL};
static const char *const tag_names[] = {"tag", "tagname", "tag_name", "point", "name",
                                        "位号", "点位", "测点", NULL};
static const char *const value_names[] = {"value", "val", "v", "值", "数值", "测量值", NULL};
static const char *const quality_names[] = {"quality", "q", "质量", NULL};

static ws_err header_fail(ingest_csv *c, ingest_errors *errs, const char *col, const char *fmt,
                          const char *arg)
{
    ingest_errors_add(errs, 1, 0, INGEST_E_HEADER, col);
    c->failed = ws_fail(WS_EINVAL, "header", fmt, arg);
    return c->failed;
}

static ws_err header_cells(ingest_csv *c, char **cells, size_t n, ingest_errors *errs);

/* An ASCII header split here (org_table_read keeps at most 64 columns; wide
 * exports have hundreds): cells copied into one block *mem, trimmed,
 * quotes removed ("" inside a quoted cell is one quote). */
static ws_err ascii_header(const char *rec, size_t len, char ***cells, size_t *n, char **mem)
{
    size_t cols = 1;
    for (size_t i = 0; i < len; i++) cols += rec[i] == ',';
    *cells = calloc(cols, sizeof **cells);
    *mem = malloc(len + cols + 1);
    if (!*cells || !*mem) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    char *w = *mem;
    size_t i = 0, k = 0;
    while (len && (rec[len - 1] == '\r' || rec[len - 1] == '\n')) len--;
    for (;;) {
        while (i < len && (rec[i] == ' ' || rec[i] == '\t')) i++;
        char *cell = w;
        if (i < len && rec[i] == '"') {
            for (i++; i < len; i++) {
                if (rec[i] == '"') {
                    if (i + 1 < len && rec[i + 1] == '"') *w++ = rec[i++];
                    else break;
                } else {
                    *w++ = rec[i];
                }
            }
            if (i < len) i++;
            while (i < len && rec[i] != ',') i++;
        } else {
            while (i < len && rec[i] != ',') *w++ = rec[i++];
            while (w > cell && (w[-1] == ' ' || w[-1] == '\t')) w--;
        }
        *w++ = 0;
        (*cells)[k++] = cell;
        if (i >= len || k == cols) break;
        i++;
    }
    *n = k;
    return WS_OK;
}

static ws_err header(ingest_csv *c, const char *rec, size_t len, ingest_errors *errs)
{
    org_table t = {0};
    char **cells = NULL, *mem = NULL;
    size_t n = 0;
    bool ascii = true;
    for (size_t i = 0; i < len && ascii; i++) ascii = (unsigned char)rec[i] < 0x80;
    ws_err rc = ascii ? ascii_header(rec, len, &cells, &n, &mem)
                      : org_table_read(rec, len, 0, &t);
    if (rc) {
        free(cells);
        free(mem);
        ingest_errors_add(errs, 1, 0, INGEST_E_HEADER, "");
        c->failed = rc;
        return rc;
    }
    if (!ascii) {
        cells = t.rows[0].cells;
        n = (size_t)t.rows[0].ncells;
    }
    rc = header_cells(c, cells, n, errs);
    if (ascii) {
        free(cells);
        free(mem);
    } else {
        org_table_free(&t);
    }
    return rc;
}

static ws_err header_cells(ingest_csv *c, char **cells, size_t n, ingest_errors *errs)
{
    if (n > INGEST_CSV_MAX_COLS) return header_fail(c, errs, "", "more than %s columns", "4096");
    c->ncols = n;
    c->kind = calloc(n ? n : 1, 1);
    c->tags = calloc(n ? n : 1, sizeof *c->tags);
    c->bcap = n > BATCH ? n : BATCH;
    c->batch = malloc(c->bcap * sizeof *c->batch);
    if (!c->kind || !c->tags || !c->batch) {
        c->failed = ws_fail(WS_ENOMEM, NULL, "out of memory");
        return c->failed;
    }
    int ti = -1, gi = -1, vi = -1, qi = -1;
    for (size_t i = 0; i < n; i++) {
        const char *s = cells[i];
        if (ti < 0 && name_in(s, time_names)) ti = (int)i;
        else if (gi < 0 && name_in(s, tag_names)) gi = (int)i;
        else if (vi < 0 && name_in(s, value_names)) vi = (int)i;
        else if (qi < 0 && name_in(s, quality_names)) qi = (int)i;
    }
    if (ti >= 0 && gi >= 0 && vi >= 0) {
        c->is_long = true;
        c->kind[ti] = COL_TIME;
        c->kind[gi] = COL_TAG;
        c->kind[vi] = COL_VALUE;
        if (qi >= 0) c->kind[qi] = COL_QUALITY;
        return WS_OK;
    }
    if (ti < 0) ti = 0;
    c->kind[ti] = COL_TIME;
    for (size_t i = 0; i < n; i++) {
        if ((int)i == ti) continue;
        const char *s = cells[i];
        if (!*s) continue; /* an unnamed column: ignored */
        size_t k = 0;
        while (s[k] && ingest_tag_check(s + k, 1) == INGEST_E_NONE) k++;
        unsigned char after = (unsigned char)s[k];
        if (k == 0 || k > WS_TAG_MAX ||
            !(after == 0 || after == ' ' || after == '(' || after == '[' || after >= 0x80)) {
            return header_fail(c, errs, s, "column \"%s\" does not start with a tag", s);
        }
        memcpy(c->tags[i], s, k);
        c->tags[i][k] = 0;
        for (size_t j = 0; j < i; j++) {
            if (c->kind[j] == COL_POINT && strcmp(c->tags[j], c->tags[i]) == 0) {
                return header_fail(c, errs, c->tags[i], "tag %s has two columns", c->tags[i]);
            }
        }
        c->kind[i] = COL_POINT;
    }
    return WS_OK;
}

/* ----------------------------------------------------------------- rows */

static ws_err flush(ingest_csv *c)
{
    if (!c->nb) return WS_OK;
    ws_err rc = c->o.sink(c->o.ctx, c->batch, c->nb);
    c->count += c->nb;
    c->nb = 0;
    if (rc) c->failed = rc;
    return rc;
}

static ws_reading *slot(ingest_csv *c)
{
    if (c->nb == c->bcap && flush(c)) return NULL;
    return &c->batch[c->nb];
}

/* Wall time L (ms, as if UTC) in the zone to UTC. */
static ingest_reason to_utc(ingest_csv *c, int64_t L, int64_t *out)
{
    if (!c->o.tz_offset) {
        *out = L - (int64_t)c->o.offset_min * 60000;
        return INGEST_E_NONE;
    }
    int64_t minute = L >= 0 ? L / 60000 : -1;
    if (c->memo_state && minute == c->memo_minute) {
        if (c->memo_state == 2) return INGEST_E_TIME_GAP;
        *out = L + c->memo_shift;
        return INGEST_E_NONE;
    }
    int64_t m0 = minute * 60000;
    int oa = c->o.tz_offset(c->o.tz, m0 - 86400000);
    int ob = c->o.tz_offset(c->o.tz, m0 + 86400000);
    int64_t ua = m0 - (int64_t)oa * 60000, ub = m0 - (int64_t)ob * 60000;
    bool va = c->o.tz_offset(c->o.tz, ua) == oa;
    bool vb = oa == ob ? va : c->o.tz_offset(c->o.tz, ub) == ob;
    c->memo_minute = minute;
    if (!va && !vb) {
        c->memo_state = 2;
        return INGEST_E_TIME_GAP;
    }
    int64_t u = va && vb ? (ua < ub ? ua : ub) : va ? ua : ub;
    c->memo_state = 1;
    c->memo_shift = u - m0;
    *out = L + c->memo_shift;
    return INGEST_E_NONE;
}

static ingest_reason time_cell(ingest_csv *c, const char *s, size_t n, int64_t *ms)
{
    if (n == 0) return INGEST_E_TIME_SYNTAX;
    size_t k = 0;
    while (k < n && (unsigned)(s[k] - '0') < 10) k++;
    if (k == n) { /* ms since the epoch */
        if (n > 15) return INGEST_E_TIME_RANGE;
        int64_t t = 0;
        for (k = 0; k < n; k++) t = t * 10 + (s[k] - '0');
        if (t > INGEST_MS_MAX) return INGEST_E_TIME_RANGE;
        *ms = t;
        return INGEST_E_NONE;
    }
    int64_t L;
    bool has_off;
    int off;
    ingest_reason r = ingest_parse_datetime(s, n, &L, &has_off, &off);
    if (r) return r;
    int64_t u;
    if (has_off) u = L - (int64_t)off * 60000;
    else if ((r = to_utc(c, L, &u))) return r;
    if (u < 0 || u > INGEST_MS_MAX) return INGEST_E_TIME_RANGE;
    *ms = u;
    return INGEST_E_NONE;
}

static int quality_cell(const char *s, size_t n)
{
    if (n == 1 && s[0] >= '0' && s[0] <= '3') return s[0] - '0';
    if (n == 4 && strncasecmp(s, "good", 4) == 0) return WS_Q_GOOD;
    if (n == 9 && strncasecmp(s, "uncertain", 9) == 0) return WS_Q_UNCERTAIN;
    if (n == 3 && strncasecmp(s, "bad", 3) == 0) return WS_Q_BAD;
    if (n == 5 && strncasecmp(s, "stale", 5) == 0) return WS_Q_STALE;
    return -1;
}

static bool is_nan(const char *s, size_t n)
{
    return n == 3 && strncasecmp(s, "nan", 3) == 0;
}

typedef struct cell {
    const char *s;
    size_t n;
} cell;

/* One data record rec[0..len) (no line end) at file offset off. */
static ws_err data_row(ingest_csv *c, const char *rec, size_t len, uint64_t off,
                       ingest_errors *errs)
{
    size_t i = 0, col = 0;
    int64_t t = 0;
    bool have_time = false;
    cell tagc = {0}, valc = {0}, qc = {0};
    /* The time cell may come after value cells: a wide row's values wait in
     * the batch (room for a whole row is made first) until the time is known. */
    if (c->nb + c->ncols > c->bcap && flush(c)) return c->failed;
    size_t first = c->nb;
    for (;;) {
        /* one cell */
        const char *s;
        size_t n;
        if (i < len && rec[i] == '"') {
            size_t j = i + 1;
            while (j < len && rec[j] != '"') j++;
            s = rec + i + 1;
            n = j - i - 1;
            i = j < len ? j + 1 : j;
            while (i < len && (rec[i] == ' ' || rec[i] == '\t')) i++;
            if (i < len && rec[i] != ',') {
                ingest_errors_add(errs, c->row, off, INGEST_E_SYNTAX, "");
                c->nb = first;
                return WS_OK;
            }
        } else {
            const char *e = memchr(rec + i, ',', len - i);
            size_t j = e ? (size_t)(e - rec) : len;
            s = rec + i;
            n = j - i;
            i = j;
            while (n && (*s == ' ' || *s == '\t')) s++, n--;
            while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
        }
        if (col >= c->ncols) {
            if (n) {
                ingest_errors_add(errs, c->row, off, INGEST_E_COLUMNS, "");
                c->nb = first;
                return WS_OK;
            }
        } else {
            switch (c->kind[col]) {
            case COL_TIME: {
                ingest_reason r = time_cell(c, s, n, &t);
                if (r) {
                    ingest_errors_add(errs, c->row, off, r, "time");
                    c->nb = first;
                    return WS_OK;
                }
                have_time = true;
                break;
            }
            case COL_TAG: tagc = (cell){s, n}; break;
            case COL_VALUE: valc = (cell){s, n}; break;
            case COL_QUALITY: qc = (cell){s, n}; break;
            case COL_POINT:
                if (n) {
                    double v;
                    ingest_reason r = is_nan(s, n) ? INGEST_E_VALUE_NAN
                                                   : ingest_parse_double(s, n, &v);
                    if (r) {
                        ingest_errors_add(errs, c->row, off, r, c->tags[col]);
                        break;
                    }
                    ws_reading *rd = &c->batch[c->nb];
                    memcpy(rd->tag, c->tags[col], sizeof rd->tag);
                    rd->value = v;
                    rd->quality = WS_Q_GOOD;
                    rd->source_ms = 0;
                    c->nb++;
                }
                break;
            default: break;
            }
        }
        col++;
        if (i >= len) break;
        i++; /* the comma */
    }
    if (!have_time) {
        ingest_errors_add(errs, c->row, off, INGEST_E_TIME_SYNTAX, "time");
        c->nb = first;
        return WS_OK;
    }
    if (!c->is_long) {
        for (size_t k = first; k < c->nb; k++) c->batch[k].source_ms = t;
        return WS_OK;
    }
    ingest_reason r = ingest_tag_check(tagc.s, tagc.n);
    const char *path = "tag";
    int q = WS_Q_GOOD;
    double v = 0;
    if (!r && qc.n && (q = quality_cell(qc.s, qc.n)) < 0) r = INGEST_E_QUALITY, path = "quality";
    if (!r) {
        path = "value";
        if (!valc.n) r = INGEST_E_VALUE_MISSING;
        else if (is_nan(valc.s, valc.n)) {
            if (q < WS_Q_BAD) r = INGEST_E_VALUE_NAN;
            else v = __builtin_nan("");
        } else {
            r = ingest_parse_double(valc.s, valc.n, &v);
        }
    }
    if (r) {
        ingest_errors_add(errs, c->row, off, r, path);
        return WS_OK;
    }
    ws_reading *rd = slot(c);
    if (!rd) return c->failed;
    memcpy(rd->tag, tagc.s, tagc.n);
    rd->tag[tagc.n] = 0;
    rd->source_ms = t;
    rd->value = v;
    rd->quality = (uint8_t)q;
    c->nb++;
    return WS_OK;
}

/* A whole record (without its LF). */
static ws_err record(ingest_csv *c, const char *rec, size_t len, uint64_t off,
                     ingest_errors *errs)
{
    c->row++;
    if (!c->header_done) {
        c->header_done = true;
        return header(c, rec, len, errs);
    }
    if (len && rec[len - 1] == '\r') len--;
    size_t k = 0; /* a blank row (",,," too) is skipped; its number counts */
    while (k < len && (rec[k] == ',' || rec[k] == ' ' || rec[k] == '\t' || rec[k] == '"')) k++;
    if (k == len) return WS_OK;
    return data_row(c, rec, len, off, errs);
}

/* Index of the LF ending the record that starts in state *inq, or n. */
static size_t record_end(const char *s, size_t n, bool *inq)
{
    size_t i = 0;
    for (;;) {
        if (!*inq) {
            const char *nl = memchr(s + i, '\n', n - i);
            size_t e = nl ? (size_t)(nl - s) : n;
            const char *q = memchr(s + i, '"', e - i);
            if (!q) return e;
            i = (size_t)(q - s) + 1;
            *inq = true;
        }
        const char *q = memchr(s + i, '"', n - i);
        if (!q) return n;
        i = (size_t)(q - s) + 1;
        *inq = false; /* "" inside a quoted cell toggles twice */
    }
}

ws_err ingest_csv_feed(ingest_csv *c, const char *data, size_t len, ingest_errors *errs)
{
    if (c->failed) return c->failed;
    size_t pos = 0;
    ws_err rc = WS_OK;
    while (pos < len) {
        const char *p = data + pos;
        size_t avail = len - pos;
        if (c->skipping) { /* the rest of an over-long record */
            const char *nl = memchr(p, '\n', avail);
            if (!nl) break;
            pos += (size_t)(nl - p) + 1;
            c->skipping = false;
            c->in_quote = false;
            continue;
        }
        size_t e = record_end(p, avail, &c->in_quote);
        if (e == avail) { /* incomplete: keep */
            if (c->carry_len + avail > INGEST_CSV_MAX_ROW) {
                c->row++;
                ingest_errors_add(errs, c->row, c->carry_len ? c->carry_off : c->off + pos,
                                  INGEST_E_TOO_LONG, "");
                c->carry_len = 0;
                c->skipping = true;
                if (!c->header_done) {
                    c->failed = ws_fail(WS_EINVAL, "header", "the header row is too long");
                    return c->failed;
                }
                break;
            }
            if (!c->carry_len) c->carry_off = c->off + pos;
            memcpy(c->carry + c->carry_len, p, avail);
            c->carry_len += avail;
            break;
        }
        if (c->carry_len) {
            if (c->carry_len + e > INGEST_CSV_MAX_ROW) {
                c->row++;
                ingest_errors_add(errs, c->row, c->carry_off, INGEST_E_TOO_LONG, "");
                c->carry_len = 0;
            } else {
                memcpy(c->carry + c->carry_len, p, e);
                rc = record(c, c->carry, c->carry_len + e, c->carry_off, errs);
                c->carry_len = 0;
            }
        } else {
            rc = record(c, p, e, c->off + pos, errs);
        }
        c->in_quote = false;
        pos += e + 1;
        if (rc) break;
    }
    c->off += len;
    c->done += len;
    if (c->o.progress) c->o.progress(c->o.ctx, c->done, c->o.total);
    if (rc) c->failed = rc;
    return rc;
}

ws_err ingest_csv_finish(ingest_csv *c, ingest_errors *errs)
{
    if (c->failed) return c->failed;
    ws_err rc = WS_OK;
    if (c->carry_len && !c->skipping) {
        if (c->in_quote) {
            c->row++;
            ingest_errors_add(errs, c->row, c->carry_off, INGEST_E_SYNTAX, "");
        } else {
            rc = record(c, c->carry, c->carry_len, c->carry_off, errs);
        }
        c->carry_len = 0;
    }
    if (!rc && !c->header_done) {
        ingest_errors_add(errs, 1, 0, INGEST_E_HEADER, "");
        rc = ws_fail(WS_EINVAL, "file", "the file is empty (no header row)");
    }
    if (!rc) rc = flush(c);
    if (rc) c->failed = rc;
    return rc;
}

ws_err ingest_csv_read_fd(int fd, const ingest_csv_opts *opts, ingest_errors *errs)
{
    ingest_csv_opts o = *opts;
    struct stat st;
    if (!o.total && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) o.total = (uint64_t)st.st_size;
    ingest_csv *c = ingest_csv_new(&o);
    char *b = malloc(CHUNK);
    ws_err rc = WS_OK;
    if (!c || !b) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, b, CHUNK);
        if (r < 0) {
            rc = ws_fail(WS_EIO, "file", "read failed");
            goto out;
        }
        if (r == 0) break;
        rc = ingest_csv_feed(c, b, (size_t)r, errs);
        if (rc) goto out;
    }
    rc = ingest_csv_finish(c, errs);
out:
    free(b);
    ingest_csv_free(c);
    return rc;
}
