/* table.c — reads the files of a bulk import into rows of UTF-8 cells.
 *
 * CSV: RFC 4180 (comma separated; fields may be quoted with "", a quote inside
 * doubled; records end with CRLF, LF or CR; quoted fields may span lines).
 * The text is UTF-8 (a BOM is dropped) or, when it is not valid UTF-8, GBK
 * (decoded as its superset GB18030 with iconv(3)), as Excel on a Chinese
 * Windows saves "CSV (逗号分隔)".
 *
 * XLSX: a ZIP (libzip, read from memory) of XML parts (expat): the first
 * sheet of xl/workbook.xml, resolved through xl/_rels/workbook.xml.rels
 * (falling back to xl/worksheets/sheet1.xml), with cells of shared strings
 * (xl/sharedStrings.xml), inline strings, formula strings, numbers and
 * booleans. Only cell values are read; styles and formulas are ignored.
 *
 * Every size is bounded: data rows (max_rows), columns (64), bytes per cell
 * (4 KiB), bytes per ZIP part (64 MiB) and bytes of all cells (64 MiB).
 * Cells are trimmed of spaces (ASCII, U+00A0, U+3000); blank rows are
 * skipped but keep their numbers, so "row 7" is row 7 in the spreadsheet. */
#include <errno.h>
#include <expat.h>
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "core/buf.h"
#include "org/org.h"

#define MAX_COLS 64
#define MAX_CELL 4096
#define MAX_PART (64u << 20)
#define MAX_BYTES (64u << 20)

bool org_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* ------------------------------------------------------------ table builder */

typedef struct builder {
    org_table *t;
    size_t alloc_rows;
    size_t max_rows;
    size_t bytes;
    char *cells[MAX_COLS];
    int ncells;
    int rownum; /* row being built, for messages */
    bool have_header;
} builder;

static void free_cells(char **cells, int n)
{
    for (int i = 0; i < n; i++) free(cells[i]);
}

void org_table_free(org_table *t)
{
    if (!t) return;
    for (size_t r = 0; r < t->nrows; r++) {
        free_cells(t->rows[r].cells, t->rows[r].ncells);
        free(t->rows[r].cells);
    }
    free(t->rows);
    t->rows = NULL;
    t->nrows = 0;
}

/* Trim spaces (ASCII, U+00A0, U+3000) at both ends of s[0..*n). */
static const char *trim(const char *s, size_t *n)
{
    size_t a = 0, b = *n;
    for (;;) {
        if (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n')) a++;
        else if (b - a >= 2 && (unsigned char)s[a] == 0xC2 && (unsigned char)s[a + 1] == 0xA0)
            a += 2;
        else if (b - a >= 3 && memcmp(s + a, "\xE3\x80\x80", 3) == 0) a += 3;
        else break;
    }
    for (;;) {
        if (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r' || s[b - 1] == '\n'))
            b--;
        else if (b - a >= 2 && (unsigned char)s[b - 2] == 0xC2 && (unsigned char)s[b - 1] == 0xA0)
            b -= 2;
        else if (b - a >= 3 && memcmp(s + b - 3, "\xE3\x80\x80", 3) == 0) b -= 3;
        else break;
    }
    *n = b - a;
    return s + a;
}

/* Set cell col of the row being built. */
static ws_err put_cell(builder *b, int col, const char *s, size_t n)
{
    if (n > MAX_CELL)
        return ws_fail(WS_EINVAL, "file", "row %d: a cell is longer than %d bytes", b->rownum,
                       MAX_CELL);
    s = trim(s, &n);
    /* Empty cells far to the right (formatted columns, trailing commas) do
     * not count; a value there does. */
    if (col >= MAX_COLS && n == 0) return WS_OK;
    if (col < 0 || col >= MAX_COLS)
        return ws_fail(WS_EINVAL, "file", "row %d has more than %d columns", b->rownum, MAX_COLS);
    if (memchr(s, 0, n))
        return ws_fail(WS_EINVAL, "file", "row %d: a cell contains a NUL byte", b->rownum);
    if (b->bytes + n + 1 > MAX_BYTES)
        return ws_fail(WS_ETOOBIG, "file", "the file holds more than %u bytes of text",
                       MAX_BYTES);
    while (b->ncells <= col) {
        b->cells[b->ncells] = NULL;
        b->ncells++;
    }
    char *v = malloc(n + 1);
    if (!v) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    memcpy(v, s, n);
    v[n] = 0;
    free(b->cells[col]);
    b->cells[col] = v;
    b->bytes += n + 1;
    return WS_OK;
}

/* Finish the row being built: skip it when blank, else append it. */
static ws_err end_row(builder *b)
{
    bool blank = true;
    for (int i = 0; i < b->ncells; i++)
        if (b->cells[i] && b->cells[i][0]) blank = false;
    if (blank) {
        free_cells(b->cells, b->ncells);
        b->ncells = 0;
        return WS_OK;
    }
    org_table *t = b->t;
    if (t->nrows > b->max_rows) {
        free_cells(b->cells, b->ncells);
        b->ncells = 0;
        return ws_fail(WS_ETOOBIG, "file", "the file has more than %zu rows", b->max_rows);
    }
    ws_err rc = WS_OK;
    if (t->nrows == b->alloc_rows) {
        size_t na = b->alloc_rows ? b->alloc_rows * 2 : 64;
        org_table_row *p = realloc(t->rows, na * sizeof *p);
        if (!p) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        else {
            t->rows = p;
            b->alloc_rows = na;
        }
    }
    char **cells = NULL;
    if (!rc) {
        cells = calloc((size_t)b->ncells, sizeof *cells);
        if (!cells) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    if (rc) {
        free_cells(b->cells, b->ncells);
        b->ncells = 0;
        return rc;
    }
    for (int i = 0; i < b->ncells; i++) {
        cells[i] = b->cells[i] ? b->cells[i] : strdup("");
        if (!cells[i]) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    org_table_row *r = &t->rows[t->nrows++];
    r->rownum = b->rownum;
    r->ncells = b->ncells;
    r->cells = cells;
    b->ncells = 0;
    return rc;
}

static void builder_abort(builder *b)
{
    free_cells(b->cells, b->ncells);
    b->ncells = 0;
    org_table_free(b->t);
}

/* -------------------------------------------------------------------- CSV */

static ws_err csv_parse(const char *s, size_t n, builder *b)
{
    buf f = BUF_INIT(MAX_CELL + 1);
    ws_err rc = WS_OK;
    size_t i = 0;
    int rownum = 0;
    while (!rc && i < n) {
        b->rownum = ++rownum;
        int col = 0;
        for (;;) {
            buf_reset(&f);
            if (i < n && s[i] == '"') {
                i++;
                for (;;) {
                    if (i >= n) {
                        rc = ws_fail(WS_EINVAL, "file", "row %d: a quoted field is not closed",
                                     rownum);
                        break;
                    }
                    if (s[i] == '"') {
                        if (i + 1 < n && s[i + 1] == '"') {
                            rc = buf_putc(&f, '"');
                            i += 2;
                            if (rc) break;
                            continue;
                        }
                        i++;
                        break;
                    }
                    rc = buf_putc(&f, s[i++]);
                    if (rc) break;
                }
                while (!rc && i < n && (s[i] == ' ' || s[i] == '\t')) i++;
                if (!rc && i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
                    rc = ws_fail(WS_EINVAL, "file",
                                 "row %d: text after the closing quote of a field", rownum);
            } else {
                while (!rc && i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
                    rc = buf_putc(&f, s[i++]);
            }
            if (rc == WS_ETOOBIG)
                rc = ws_fail(WS_EINVAL, "file", "row %d: a cell is longer than %d bytes", rownum,
                             MAX_CELL);
            if (!rc) rc = put_cell(b, col++, f.data ? f.data : "", f.len);
            if (rc) break;
            if (i < n && s[i] == ',') {
                i++;
                continue;
            }
            if (i < n && s[i] == '\r') {
                i++;
                if (i < n && s[i] == '\n') i++;
            } else if (i < n && s[i] == '\n') {
                i++;
            }
            break;
        }
        if (!rc) rc = end_row(b);
    }
    buf_free(&f);
    return rc;
}

/* GBK (as GB18030) to UTF-8; caller frees *out. */
static ws_err from_gbk(const char *s, size_t n, char **out, size_t *outlen)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return ws_fail(WS_EINTERNAL, NULL, "iconv cannot convert GB18030");
    size_t cap = n * 2 + 16;
    char *o = malloc(cap);
    if (!o) {
        iconv_close(cd);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    char *in = (char *)s, *op = o;
    size_t inleft = n, oleft = cap - 1;
    size_t r = iconv(cd, &in, &inleft, &op, &oleft);
    int err = errno;
    iconv_close(cd);
    if (r == (size_t)-1) {
        free(o);
        if (err == E2BIG) return ws_fail(WS_EINTERNAL, NULL, "GBK conversion overflow");
        return ws_fail(WS_EINVAL, "file",
                       "the file is neither UTF-8 nor GBK text (bad byte at offset %zu)",
                       n - inleft);
    }
    *op = 0;
    *outlen = (size_t)(op - o);
    *out = o;
    return WS_OK;
}

static ws_err read_csv(const char *data, size_t len, builder *b)
{
    if (memchr(data, 0, len))
        return ws_fail(WS_EINVAL, "file", "the file is not text (it contains NUL bytes)");
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (org_utf8_valid(data, len)) return csv_parse(data, len, b);
    char *u = NULL;
    size_t ulen = 0;
    ws_err rc = from_gbk(data, len, &u, &ulen);
    if (rc) return rc;
    rc = csv_parse(u, ulen, b);
    free(u);
    return rc;
}

/* ------------------------------------------------------------------- XLSX */

/* Read a ZIP member (case-insensitive name) into a NUL-terminated buffer.
 * *found is false when there is no such member. */
static ws_err zip_part(zip_t *z, const char *name, char **out, size_t *len, bool *found)
{
    zip_stat_t sb;
    *out = NULL;
    *len = 0;
    *found = false;
    zip_stat_init(&sb);
    if (zip_stat(z, name, ZIP_FL_NOCASE, &sb) != 0) return WS_OK;
    *found = true;
    if ((sb.valid & ZIP_STAT_SIZE) && sb.size > MAX_PART)
        return ws_fail(WS_ETOOBIG, "file", "%s is larger than %u bytes", name, MAX_PART);
    zip_file_t *f = zip_fopen(z, name, ZIP_FL_NOCASE);
    if (!f) return ws_fail(WS_EINVAL, "file", "cannot read %s from the workbook", name);
    size_t alloc = (sb.valid & ZIP_STAT_SIZE) ? (size_t)sb.size + 1 : 65536;
    char *p = malloc(alloc);
    ws_err rc = p ? WS_OK : ws_fail(WS_ENOMEM, NULL, "out of memory");
    size_t n = 0;
    while (!rc) {
        if (n + 1 >= alloc) {
            if (alloc > MAX_PART) {
                rc = ws_fail(WS_ETOOBIG, "file", "%s is larger than %u bytes", name, MAX_PART);
                break;
            }
            char *q = realloc(p, alloc * 2);
            if (!q) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            p = q;
            alloc *= 2;
        }
        zip_int64_t r = zip_fread(f, p + n, alloc - 1 - n);
        if (r < 0) rc = ws_fail(WS_EINVAL, "file", "%s in the workbook is damaged", name);
        else if (r == 0) break;
        else n += (size_t)r;
    }
    zip_fclose(f);
    if (rc) {
        free(p);
        return rc;
    }
    p[n] = 0;
    *out = p;
    *len = n;
    return WS_OK;
}

/* Local name of a possibly prefixed XML name ("x:sheet" -> "sheet"). */
static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0) return atts[i + 1];
    return NULL;
}

typedef struct xml_job {
    XML_Parser p;
    ws_err rc;
    const char *part;
} xml_job;

static void xml_fail(xml_job *j, ws_err rc)
{
    if (!j->rc) j->rc = rc;
    XML_StopParser(j->p, XML_FALSE);
}

static ws_err xml_run(xml_job *j, const char *text, size_t len, void *ud, XML_StartElementHandler s,
                      XML_EndElementHandler e, XML_CharacterDataHandler ch)
{
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (!p) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    j->p = p;
    j->rc = WS_OK;
    XML_SetUserData(p, ud);
    XML_SetElementHandler(p, s, e);
    if (ch) XML_SetCharacterDataHandler(p, ch);
    enum XML_Status st = XML_Parse(p, text, (int)len, XML_TRUE);
    ws_err rc = j->rc;
    if (!rc && st != XML_STATUS_OK)
        rc = ws_fail(WS_EINVAL, "file", "%s in the workbook is not valid XML (line %lu: %s)",
                     j->part, (unsigned long)XML_GetCurrentLineNumber(p),
                     XML_ErrorString(XML_GetErrorCode(p)));
    XML_ParserFree(p);
    return rc;
}

/* workbook.xml: the relationship id of the first sheet. */
typedef struct wb_job {
    xml_job j;
    char rid[64];
} wb_job;

static void wb_start(void *ud, const char *name, const char **atts)
{
    wb_job *w = ud;
    if (w->rid[0] || strcmp(local(name), "sheet") != 0) return;
    for (int i = 0; atts[i]; i += 2) {
        const char *c = strchr(atts[i], ':');
        if (c && strcmp(c + 1, "id") == 0) snprintf(w->rid, sizeof w->rid, "%s", atts[i + 1]);
    }
}
static void no_end(void *ud, const char *name) { (void)ud, (void)name; }

typedef struct rel_job {
    xml_job j;
    const char *rid;
    char target[256];
} rel_job;

static void rel_start(void *ud, const char *name, const char **atts)
{
    rel_job *r = ud;
    if (r->target[0] || strcmp(local(name), "Relationship") != 0) return;
    const char *id = attr(atts, "Id"), *target = attr(atts, "Target");
    if (id && target && strcmp(id, r->rid) == 0) {
        if (target[0] == '/') snprintf(r->target, sizeof r->target, "%s", target + 1);
        else snprintf(r->target, sizeof r->target, "xl/%s", target);
    }
}

/* The ZIP name of the first sheet. */
static ws_err first_sheet(zip_t *z, char *out, size_t cap)
{
    snprintf(out, cap, "xl/worksheets/sheet1.xml");
    char *text = NULL;
    size_t len;
    bool found;
    ws_err rc = zip_part(z, "xl/workbook.xml", &text, &len, &found);
    if (rc || !found) return rc;
    wb_job w = {.j.part = "xl/workbook.xml"};
    rc = xml_run(&w.j, text, len, &w, wb_start, no_end, NULL);
    free(text);
    if (rc || !w.rid[0]) return rc;
    rc = zip_part(z, "xl/_rels/workbook.xml.rels", &text, &len, &found);
    if (rc || !found) return rc;
    rel_job r = {.j.part = "xl/_rels/workbook.xml.rels", .rid = w.rid};
    rc = xml_run(&r.j, text, len, &r, rel_start, no_end, NULL);
    free(text);
    if (!rc && r.target[0] && !strstr(r.target, "..")) snprintf(out, cap, "%s", r.target);
    return rc;
}

/* sharedStrings.xml: <si> items, the text of their <t> outside <rPh>. */
typedef struct sst_job {
    xml_job j;
    char **s;
    size_t n, alloc;
    buf cur;
    bool in_si, in_t;
    int rph;
    size_t bytes;
} sst_job;

static void sst_start(void *ud, const char *name, const char **atts)
{
    sst_job *x = ud;
    const char *l = local(name);
    (void)atts;
    if (strcmp(l, "si") == 0) {
        x->in_si = true;
        buf_reset(&x->cur);
    } else if (strcmp(l, "rPh") == 0) x->rph++;
    else if (strcmp(l, "t") == 0 && x->in_si && !x->rph) x->in_t = true;
}

static void sst_end(void *ud, const char *name)
{
    sst_job *x = ud;
    const char *l = local(name);
    if (strcmp(l, "t") == 0) x->in_t = false;
    else if (strcmp(l, "rPh") == 0 && x->rph) x->rph--;
    else if (strcmp(l, "si") == 0 && x->in_si) {
        x->in_si = false;
        if (x->n == x->alloc) {
            size_t na = x->alloc ? x->alloc * 2 : 256;
            char **p = realloc(x->s, na * sizeof *p);
            if (!p) {
                xml_fail(&x->j, ws_fail(WS_ENOMEM, NULL, "out of memory"));
                return;
            }
            x->s = p;
            x->alloc = na;
        }
        x->s[x->n] = strdup(x->cur.data ? x->cur.data : "");
        if (!x->s[x->n]) {
            xml_fail(&x->j, ws_fail(WS_ENOMEM, NULL, "out of memory"));
            return;
        }
        x->bytes += x->cur.len + 1;
        x->n++;
        if (x->bytes > MAX_BYTES)
            xml_fail(&x->j, ws_fail(WS_ETOOBIG, "file", "the shared strings are too large"));
    }
}

static void sst_text(void *ud, const char *s, int len)
{
    sst_job *x = ud;
    if (!x->in_t) return;
    /* Longer strings are cut here and refused as too long cells later. */
    if (x->cur.len + (size_t)len <= MAX_CELL + 1) buf_append(&x->cur, s, (size_t)len);
}

static void sst_free(sst_job *x)
{
    for (size_t i = 0; i < x->n; i++) free(x->s[i]);
    free(x->s);
    buf_free(&x->cur);
}

/* The worksheet: <row r><c r t><v/> | <is><t/></is></c></row>. */
typedef struct sheet_job {
    xml_job j;
    builder *b;
    sst_job *sst;
    int prev_row, col, prev_col;
    char type[16];
    bool in_cell, in_v, in_is, in_t, in_row;
    int rph;
    buf val;
} sheet_job;

/* "BC12" -> column 54 (0-based), -1 when malformed. */
static int col_of(const char *ref)
{
    int c = 0, n = 0;
    for (; *ref >= 'A' && *ref <= 'Z'; ref++, n++) {
        c = c * 26 + (*ref - 'A' + 1);
        if (c > 16384) return -1;
    }
    return n ? c - 1 : -1;
}

static void sheet_start(void *ud, const char *name, const char **atts)
{
    sheet_job *x = ud;
    const char *l = local(name);
    if (strcmp(l, "row") == 0) {
        const char *r = attr(atts, "r");
        int rn = r ? atoi(r) : x->prev_row + 1;
        if (rn <= x->prev_row || rn > 1048576) {
            xml_fail(&x->j, ws_fail(WS_EINVAL, "file", "the sheet's rows are out of order"));
            return;
        }
        x->prev_row = rn;
        x->b->rownum = rn;
        x->prev_col = -1;
        x->in_row = true;
    } else if (strcmp(l, "c") == 0 && x->in_row) {
        const char *r = attr(atts, "r"), *t = attr(atts, "t");
        x->col = r ? col_of(r) : x->prev_col + 1;
        if (x->col < 0) {
            xml_fail(&x->j,
                     ws_fail(WS_EINVAL, "file", "row %d: a bad cell reference", x->b->rownum));
            return;
        }
        x->prev_col = x->col;
        snprintf(x->type, sizeof x->type, "%s", t ? t : "n");
        buf_reset(&x->val);
        x->in_cell = true;
    } else if (x->in_cell && strcmp(l, "v") == 0) x->in_v = true;
    else if (x->in_cell && strcmp(l, "is") == 0) x->in_is = true;
    else if (x->in_is && strcmp(l, "rPh") == 0) x->rph++;
    else if (x->in_is && strcmp(l, "t") == 0 && !x->rph) x->in_t = true;
}

static void sheet_cell(sheet_job *x)
{
    const char *v = x->val.data ? x->val.data : "";
    char num[64];
    if (strcmp(x->type, "s") == 0) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (end == v || *end || i >= x->sst->n) {
            xml_fail(&x->j, ws_fail(WS_EINVAL, "file",
                                    "row %d: a shared string that does not exist", x->b->rownum));
            return;
        }
        v = x->sst->s[i];
    } else if (strcmp(x->type, "n") == 0 && (strchr(v, 'E') || strchr(v, 'e') || strchr(v, '.'))) {
        /* Excel keeps numbers as doubles: 1.3900001234E10 is a phone number. */
        char *end;
        double d = strtod(v, &end);
        if (end != v && !*end && isfinite(d) && fabs(d) < 1e15 && d == floor(d)) {
            snprintf(num, sizeof num, "%.0f", d);
            v = num;
        }
    } else if (strcmp(x->type, "b") == 0) {
        v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
    }
    ws_err rc = put_cell(x->b, x->col, v, strlen(v));
    if (rc) xml_fail(&x->j, rc);
}

static void sheet_end(void *ud, const char *name)
{
    sheet_job *x = ud;
    const char *l = local(name);
    if (strcmp(l, "row") == 0 && x->in_row) {
        x->in_row = false;
        ws_err rc = end_row(x->b);
        if (rc) xml_fail(&x->j, rc);
    } else if (strcmp(l, "c") == 0 && x->in_cell) {
        x->in_cell = x->in_v = x->in_is = x->in_t = false;
        x->rph = 0;
        sheet_cell(x);
    } else if (strcmp(l, "v") == 0) x->in_v = false;
    else if (strcmp(l, "is") == 0) x->in_is = false;
    else if (strcmp(l, "rPh") == 0 && x->rph) x->rph--;
    else if (strcmp(l, "t") == 0) x->in_t = false;
}

static void sheet_text(void *ud, const char *s, int len)
{
    sheet_job *x = ud;
    if (!x->in_v && !x->in_t) return;
    if (x->val.len + (size_t)len > MAX_CELL + 1) return; /* refused by put_cell */
    if (buf_append(&x->val, s, (size_t)len)) xml_fail(&x->j, WS_ENOMEM);
}

static ws_err read_xlsx(const char *data, size_t len, builder *b)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (!src) {
        zip_error_fini(&ze);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (!z) {
        zip_source_free(src);
        zip_error_fini(&ze);
        return ws_fail(WS_EINVAL, "file", "the file is not a readable XLSX workbook");
    }
    zip_error_fini(&ze);

    sst_job sst = {.j.part = "xl/sharedStrings.xml"};
    buf_init(&sst.cur, MAX_CELL + 2);
    sheet_job sh = {.b = b, .sst = &sst};
    buf_init(&sh.val, MAX_CELL + 2);
    char *text = NULL;
    size_t tlen = 0;
    bool found;
    char sheet[256];
    ws_err rc = zip_part(z, "xl/sharedStrings.xml", &text, &tlen, &found);
    if (!rc && found) rc = xml_run(&sst.j, text, tlen, &sst, sst_start, sst_end, sst_text);
    free(text);
    text = NULL;
    if (!rc) rc = first_sheet(z, sheet, sizeof sheet);
    if (!rc) rc = zip_part(z, sheet, &text, &tlen, &found);
    if (!rc && !found)
        rc = ws_fail(WS_EINVAL, "file", "the workbook has no worksheet %s", sheet);
    sh.j.part = sheet;
    if (!rc) rc = xml_run(&sh.j, text, tlen, &sh, sheet_start, sheet_end, sheet_text);
    free(text);
    sst_free(&sst);
    buf_free(&sh.val);
    zip_discard(z); /* also frees the source */
    return rc;
}

ws_err org_table_read(const char *data, size_t len, size_t max_rows, org_table *t)
{
    memset(t, 0, sizeof *t);
    builder b = {.t = t, .max_rows = max_rows};
    if (!data || len == 0) return ws_fail(WS_EINVAL, "file", "the file is empty");
    ws_err rc;
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) rc = read_xlsx(data, len, &b);
    else rc = read_csv(data, len, &b);
    if (!rc && t->nrows == 0) rc = ws_fail(WS_EINVAL, "file", "the file has no header row");
    if (rc) builder_abort(&b);
    return rc;
}
