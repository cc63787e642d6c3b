/* encode.c — the canonical byte encodings of the evidence log: the leaf
 * content that RFC 6962 hashes, and the record and event encodings whose
 * salted SHA-256 a leaf commits to. docs/internals/audit.md specifies every
 * byte so that a regulator can re-implement them; this file and that page
 * must change together (and a change means a new format version byte or
 * magic, never an edit of an existing one).
 *
 * All integers are big-endian. lp(x) is a uint32 length followed by the bytes.
 *   leaf    = 0x01 || u64 seq || i64 ts_ms || lp(actor) || lp(entity) ||
 *             lp(action) || i64 entity_id || content_hash[32]
 *   record  = "WSR1" || lp(entity) || { lp(column) || value } per non-NULL column
 *   event   = "WSE1" || lp(entity) || { lp(field) || value } per non-NULL field
 *   value   = 0x01 i64 | 0x02 lp(UTF-8) | 0x03 lp(bytes) | 0x04 IEEE-754 binary64
 * NULLs are left out, so adding a nullable column to an audited table does
 * not change the encoding of existing rows. (0x00, null, is still read.) */
#include "audit/audit_int.h"

#include <math.h>
#include <string.h>

static ws_err put_u32(buf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return buf_append(b, p, 4);
}

static ws_err put_u64(buf *b, uint64_t v)
{
    uint8_t p[8];
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
    return buf_append(b, p, 8);
}

static ws_err put_lp(buf *b, const void *p, size_t n)
{
    if (n > UINT32_MAX) return ws_fail(WS_ETOOBIG, NULL, "audit: value too long");
    ws_err rc = put_u32(b, (uint32_t)n);
    if (rc) return rc;
    return buf_append(b, p, n);
}

static ws_err put_str(buf *b, const char *s)
{
    return put_lp(b, s, strlen(s));
}

static ws_err put_type(buf *b, int t)
{
    return buf_putc(b, (char)t);
}

static ws_err put_real(buf *b, double d)
{
    uint64_t bits;
    if (isnan(d)) bits = UINT64_C(0x7ff8000000000000); /* one NaN for all */
    else memcpy(&bits, &d, sizeof bits);
    return put_u64(b, bits);
}

ws_err audit_enc_leaf(buf *b, const audit_leaf_fields *l)
{
    ws_err rc;
    if ((rc = buf_putc(b, (char)AUDIT_LEAF_VERSION))) return rc;
    if ((rc = put_u64(b, l->seq))) return rc;
    if ((rc = put_u64(b, (uint64_t)l->ts))) return rc;
    if ((rc = put_str(b, l->actor))) return rc;
    if ((rc = put_str(b, l->entity))) return rc;
    if ((rc = put_str(b, l->action))) return rc;
    if ((rc = put_u64(b, (uint64_t)l->entity_id))) return rc;
    return buf_append(b, l->content_hash, AUDIT_HASH_LEN);
}

static ws_err enc_head(buf *b, const char *magic, const char *entity)
{
    ws_err rc = buf_append(b, magic, 4);
    if (rc) return rc;
    return put_str(b, entity);
}

ws_err audit_enc_row(buf *b, const audit_entity *e, store_stmt *st)
{
    ws_err rc = enc_head(b, AUDIT_MAGIC_RECORD, e->name);
    for (int i = 0; !rc && i < e->ncols; i++) {
        /* A NULL column is left out: a later migration that adds a nullable
         * column then leaves every existing record's encoding unchanged. */
        if (store_col_null(st, i)) continue;
        rc = put_str(b, e->cols[i].name);
        if (rc) break;
        switch (e->cols[i].type) {
        case AC_INT:
            rc = put_type(b, AUDIT_T_INT);
            if (!rc) rc = put_u64(b, (uint64_t)store_col_int(st, i));
            break;
        case AC_TEXT:
            rc = put_type(b, AUDIT_T_TEXT);
            if (!rc) rc = put_str(b, store_col_text(st, i));
            break;
        case AC_BLOB: {
            size_t n = 0;
            const void *p = store_col_blob(st, i, &n);
            rc = put_type(b, AUDIT_T_BLOB);
            if (!rc) rc = put_lp(b, p, p ? n : 0);
            break;
        }
        case AC_REAL:
            rc = put_type(b, AUDIT_T_REAL);
            if (!rc) rc = put_real(b, store_col_double(st, i));
            break;
        default:
            rc = ws_fail(WS_EINTERNAL, NULL, "audit: column %s of %s has no type", e->cols[i].name,
                         e->name);
        }
    }
    return rc;
}

ws_err audit_enc_deleted(buf *b, const char *entity)
{
    return enc_head(b, AUDIT_MAGIC_RECORD, entity);
}

ws_err audit_enc_event(buf *b, const char *entity, const audit_field *fields, int nfields)
{
    ws_err rc = enc_head(b, AUDIT_MAGIC_EVENT, entity);
    for (int i = 0; !rc && i < nfields; i++) {
        const audit_field *f = &fields[i];
        if (!f->name || !*f->name) return ws_fail(WS_EINTERNAL, NULL, "audit: unnamed event field");
        if (f->type == AC_TEXT && !f->s) continue; /* NULL: left out, as in records */
        rc = put_str(b, f->name);
        if (rc) break;
        switch (f->type) {
        case AC_INT:
            rc = put_type(b, AUDIT_T_INT);
            if (!rc) rc = put_u64(b, (uint64_t)f->i);
            break;
        case AC_TEXT:
            rc = put_type(b, AUDIT_T_TEXT);
            if (!rc) rc = put_str(b, f->s);
            break;
        default:
            /* audit_field carries only integers and text. */
            rc = ws_fail(WS_EINTERNAL, NULL, "audit: event field %s must be AC_INT or AC_TEXT",
                         f->name);
        }
    }
    return rc;
}

bool audit_enc_is_event(const uint8_t *p, size_t n)
{
    return p && n >= 4 && memcmp(p, AUDIT_MAGIC_EVENT, 4) == 0;
}

/* ---- parsing, for naming the changed columns of a finding ---------------- */

#define PARSE_MAX_COLS 128

typedef struct parsed_col {
    const uint8_t *name, *val;
    size_t name_len, val_len; /* val includes the type byte */
} parsed_col;

static uint32_t get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Splits a record encoding into its columns; -1 when malformed. */
static int parse_record(const uint8_t *p, size_t n, parsed_col *cols, int *ncols)
{
    size_t o = 0;
    *ncols = 0;
    if (n < 8 || memcmp(p, AUDIT_MAGIC_RECORD, 4) != 0) return -1;
    o = 4;
    uint32_t el = get_u32(p + o);
    o += 4;
    if (el > n - o) return -1;
    o += el;
    while (o < n) {
        if (*ncols == PARSE_MAX_COLS || n - o < 5) return -1;
        parsed_col *c = &cols[(*ncols)++];
        uint32_t nl = get_u32(p + o);
        o += 4;
        if (nl > n - o) return -1;
        c->name = p + o;
        c->name_len = nl;
        o += nl;
        if (o >= n) return -1;
        c->val = p + o;
        uint8_t t = p[o++];
        size_t need;
        if (t == AUDIT_T_NULL) need = 0;
        else if (t == AUDIT_T_INT || t == AUDIT_T_REAL) need = 8;
        else if (t == AUDIT_T_TEXT || t == AUDIT_T_BLOB) {
            if (n - o < 4) return -1;
            need = 4 + (size_t)get_u32(p + o);
        } else return -1;
        if (need > n - o) return -1;
        o += need;
        c->val_len = 1 + need;
    }
    return 0;
}

static void add_name(char *out, size_t cap, const uint8_t *name, size_t len)
{
    size_t used = strlen(out);
    size_t sep = used ? 2 : 0;
    if (used + sep + len + 1 > cap) return; /* keep what fits */
    if (sep) memcpy(out + used, ", ", 2);
    memcpy(out + used + sep, name, len);
    out[used + sep + len] = 0;
}

static const parsed_col *find_col(const parsed_col *cols, int n, const parsed_col *want)
{
    for (int i = 0; i < n; i++)
        if (cols[i].name_len == want->name_len &&
            memcmp(cols[i].name, want->name, want->name_len) == 0)
            return &cols[i];
    return NULL;
}

void audit_enc_diff(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, char *out,
                    size_t cap)
{
    parsed_col ca[PARSE_MAX_COLS], cb[PARSE_MAX_COLS];
    int na, nb;
    if (cap) out[0] = 0;
    if (!a || !b || cap == 0) return;
    if (parse_record(a, an, ca, &na) || parse_record(b, bn, cb, &nb)) return;
    for (int i = 0; i < na; i++) {
        const parsed_col *o = find_col(cb, nb, &ca[i]);
        if (!o || o->val_len != ca[i].val_len || memcmp(o->val, ca[i].val, o->val_len) != 0)
            add_name(out, cap, ca[i].name, ca[i].name_len);
    }
    for (int i = 0; i < nb; i++)
        if (!find_col(ca, na, &cb[i])) add_name(out, cap, cb[i].name, cb[i].name_len);
}

bool audit_enc_int(const uint8_t *p, size_t n, const char *name, int64_t *out)
{
    parsed_col cols[PARSE_MAX_COLS];
    int nc;
    size_t len = strlen(name);
    if (!p || parse_record(p, n, cols, &nc)) return false;
    for (int i = 0; i < nc; i++) {
        if (cols[i].name_len != len || memcmp(cols[i].name, name, len) != 0) continue;
        if (cols[i].val[0] != AUDIT_T_INT) return false;
        uint64_t v = 0;
        for (int k = 1; k <= 8; k++) v = v << 8 | cols[i].val[k];
        *out = (int64_t)v;
        return true;
    }
    return false;
}
