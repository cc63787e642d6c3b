/* sparkplug.c — Sparkplug B: topic parsing, a protobuf wire-format reader for
 * the Payload message, and the session state (BIRTH alias tables, bdSeq, seq,
 * DEATH → stale). See sparkplug.h for the field numbers and the tag rule.
 *
 * The reader never recurses: it walks Payload's fields and, inside each
 * metrics field, Metric's fields; every nested message below that (metadata,
 * properties, dataset, template) is skipped whole after its length is checked
 * against the bytes that remain. So nesting is bounded at two levels whatever
 * the input. Group wire types (3, 4) are refused, as proto2 Sparkplug has none.
 *
 * Session memory: a scope table (one slot per edge node and per device) and
 * one pool of BIRTH metrics in which each scope owns a contiguous slice
 * sorted by alias (binary search on DATA). A BIRTH retires the scope's old
 * slice and appends a new one; dead entries are squeezed out in one pass when
 * the pool's tail is full. Both are allocated once in spb_session_new. */
#include "ingest/sparkplug.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------- */

/* Well-formed UTF-8 without NUL (overlongs and surrogates refused). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0) return false;
        if (c < 0x80) { i++; continue; }
        size_t k;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) { k = 1; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; min = 0x10000; }
        else return false;
        if (n - i <= k) return false;
        unsigned cp = c & (0x3F >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += k + 1;
    }
    return true;
}

/* ---- topic ------------------------------------------------------------ */

static const char *const type_names[] = {"NBIRTH", "NDEATH", "DBIRTH", "DDEATH", "NDATA",
                                         "DDATA",  "NCMD",   "DCMD",   "STATE"};

static bool id_ok(const char *s, size_t n)
{
    if (n == 0 || n > SPB_ID_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '+' || s[i] == '#') return false;
    return utf8_ok((const unsigned char *)s, n);
}

ws_err spb_topic_parse(const char *topic, size_t len, spb_topic *out)
{
    const char *part[6];
    size_t plen[6], np = 0, start = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i <= len; i++) {
        if (i == len || topic[i] == '/') {
            if (np == 6) return ws_fail(WS_EINVAL, "topic", "too many topic levels");
            part[np] = topic + start;
            plen[np++] = i - start;
            start = i + 1;
        }
    }
    if (np < 3 || plen[0] != 7 || memcmp(part[0], "spBv1.0", 7))
        return ws_fail(WS_EINVAL, "topic", "not a Sparkplug B topic (spBv1.0/<group>/<type>/<node>[/<device>])");
    if (plen[1] == 5 && !memcmp(part[1], "STATE", 5)) {
        if (np != 3 || !id_ok(part[2], plen[2])) return ws_fail(WS_EINVAL, "topic", "STATE topic is spBv1.0/STATE/<host id>");
        out->type = SPB_STATE;
        memcpy(out->node, part[2], plen[2]);
        return WS_OK;
    }
    if (np < 4) return ws_fail(WS_EINVAL, "topic", "missing edge node id");
    int t = -1;
    for (int i = 0; i < SPB_STATE; i++)
        if (strlen(type_names[i]) == plen[2] && !memcmp(type_names[i], part[2], plen[2])) t = i;
    if (t < 0) return ws_fail(WS_EINVAL, "topic", "unknown message type '%.*s'", (int)(plen[2] > 16 ? 16 : plen[2]), part[2]);
    bool dev = t == SPB_DBIRTH || t == SPB_DDEATH || t == SPB_DDATA || t == SPB_DCMD;
    if (np != (dev ? 5u : 4u))
        return ws_fail(WS_EINVAL, "topic", dev ? "%s needs a device id" : "%s takes no device id", type_names[t]);
    if (!id_ok(part[1], plen[1]) || !id_ok(part[3], plen[3]) || (dev && !id_ok(part[4], plen[4])))
        return ws_fail(WS_EINVAL, "topic", "group, node and device ids are 1..%d bytes of UTF-8 without / + #", SPB_ID_MAX);
    out->type = (uint8_t)t;
    memcpy(out->group, part[1], plen[1]);
    memcpy(out->node, part[3], plen[3]);
    if (dev) memcpy(out->device, part[4], plen[4]);
    return WS_OK;
}

/* ---- protobuf wire reader --------------------------------------------- */

typedef struct pbr {
    const uint8_t *p;
    size_t n, pos;
} pbr;

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static bool rd_varint(pbr *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (r->pos >= r->n) return false;
        uint8_t b = r->p[r->pos++];
        if (i == 9 && b > 1) return false; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* One field: its number, wire type and, for LEN, the slice; for I32/I64 the
 * raw little-endian value in *v. Returns NULL or a static reason. */
static const char *rd_field(pbr *r, uint32_t *field, unsigned *wt, uint64_t *v, const uint8_t **sp, size_t *sn)
{
    uint64_t key;
    if (!rd_varint(r, &key)) return "truncated or overlong field key";
    *field = (uint32_t)(key >> 3);
    *wt = (unsigned)(key & 7);
    if (key >> 3 == 0 || key >> 3 > 536870911u) return "field number out of range";
    switch (*wt) {
    case WT_VARINT:
        if (!rd_varint(r, v)) return "truncated or overlong varint";
        return NULL;
    case WT_I64:
        if (r->n - r->pos < 8) return "truncated fixed64";
        *v = 0;
        for (int i = 7; i >= 0; i--) *v = (*v << 8) | r->p[r->pos + (size_t)i];
        r->pos += 8;
        return NULL;
    case WT_I32:
        if (r->n - r->pos < 4) return "truncated fixed32";
        *v = 0;
        for (int i = 3; i >= 0; i--) *v = (*v << 8) | r->p[r->pos + (size_t)i];
        r->pos += 4;
        return NULL;
    case WT_LEN: {
        uint64_t l;
        if (!rd_varint(r, &l)) return "truncated length";
        if (l > r->n - r->pos) return "length exceeds the remaining bytes";
        *sp = r->p + r->pos;
        *sn = (size_t)l;
        r->pos += (size_t)l;
        return NULL;
    }
    default:
        return "unsupported wire type (groups or reserved)";
    }
}

/* Decode one Metric message from p[0..n). off is p's offset in the payload,
 * for the error position. Returns NULL or a reason, *at the byte offset. */
static const char *parse_metric(const uint8_t *p, size_t n, size_t off, spb_metric *m, size_t *at)
{
    pbr r = {p, n, 0};
    memset(m, 0, sizeof *m);
    while (r.pos < r.n) {
        uint32_t f;
        unsigned wt;
        uint64_t v = 0;
        const uint8_t *sp = NULL;
        size_t sn = 0;
        *at = off + r.pos;
        const char *e = rd_field(&r, &f, &wt, &v, &sp, &sn);
        if (e) return e;
        unsigned want = 99;
        switch (f) {
        case 1: want = WT_LEN; m->name = (const char *)sp; m->name_len = sn; break;
        case 2: want = WT_VARINT; m->alias = v; m->has_alias = true; break;
        case 3: want = WT_VARINT; m->timestamp = v > (uint64_t)INT64_MAX ? 0 : (int64_t)v; break;
        case 4: want = WT_VARINT; m->datatype = v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v; break;
        case 5: case 6: want = WT_VARINT; break;
        case 7: want = WT_VARINT; m->is_null = v != 0; break;
        case 8: case 9: want = WT_LEN; break;
        case 10: want = WT_VARINT; m->vkind = SPB_V_INT; m->u = (uint32_t)v; break;
        case 11: want = WT_VARINT; m->vkind = SPB_V_LONG; m->u = v; break;
        case 12: {
            want = WT_I32;
            uint32_t b = (uint32_t)v;
            memcpy(&m->f, &b, 4);
            m->vkind = SPB_V_FLOAT;
            break;
        }
        case 13: want = WT_I64; memcpy(&m->d, &v, 8); m->vkind = SPB_V_DOUBLE; break;
        case 14: want = WT_VARINT; m->vkind = SPB_V_BOOL; m->u = v != 0; break;
        case 15: want = WT_LEN; m->vkind = SPB_V_STRING; m->str = (const char *)sp; m->str_len = sn; break;
        case 16: case 17: case 18: want = WT_LEN; m->vkind = SPB_V_OTHER; break;
        default: want = wt; break; /* unknown field: skipped */
        }
        if (want != wt) return "known field with the wrong wire type";
    }
    if (m->name && !utf8_ok((const unsigned char *)m->name, m->name_len)) {
        *at = off;
        return "metric name is not UTF-8 (or holds NUL)";
    }
    return NULL;
}

ws_err spb_payload_scan(const uint8_t *p, size_t n, spb_payload *out)
{
    pbr r = {p, n, 0};
    memset(out, 0, sizeof *out);
    out->p = p;
    out->n = n;
    out->seq = -1;
    while (r.pos < r.n) {
        uint32_t f;
        unsigned wt;
        uint64_t v = 0;
        const uint8_t *sp = NULL;
        size_t sn = 0, at = r.pos;
        const char *e = rd_field(&r, &f, &wt, &v, &sp, &sn);
        if (e) return ws_fail(WS_EINVAL, "payload", "byte %zu: %s", at, e);
        unsigned want = wt;
        if (f == 1) { want = WT_VARINT; out->timestamp = v > (uint64_t)INT64_MAX ? 0 : (int64_t)v; }
        else if (f == 3) { want = WT_VARINT; out->seq = v > 255 ? 256 : (int64_t)v; }
        else if (f == 4 || f == 5) want = WT_LEN;
        else if (f == 2) {
            want = WT_LEN;
            if (wt == WT_LEN) {
                spb_metric m;
                size_t mat = 0;
                e = parse_metric(sp, sn, (size_t)(sp - p), &m, &mat);
                if (e) return ws_fail(WS_EINVAL, "payload", "metric %zu, byte %zu: %s", out->nmetrics, mat, e);
                out->nmetrics++;
            }
        }
        if (want != wt) return ws_fail(WS_EINVAL, "payload", "byte %zu: field %u with the wrong wire type", at, f);
    }
    return WS_OK;
}

bool spb_next_metric(spb_payload *pl, spb_metric *m)
{
    pbr r = {pl->p, pl->n, pl->pos};
    while (r.pos < r.n) {
        uint32_t f;
        unsigned wt;
        uint64_t v = 0;
        const uint8_t *sp = NULL;
        size_t sn = 0, at = 0;
        if (rd_field(&r, &f, &wt, &v, &sp, &sn)) return false; /* not after a good scan */
        if (f == 2 && wt == WT_LEN) {
            pl->pos = r.pos;
            return parse_metric(sp, sn, 0, m, &at) == NULL;
        }
    }
    pl->pos = r.pos;
    return false;
}

/* ---- session ---------------------------------------------------------- */

typedef struct scope {
    bool used, online, has_bdseq;
    int32_t parent;   /* node scope of a device; -1 for a node */
    int32_t last_seq; /* nodes: seq of the last message, -1 none */
    uint64_t bdseq;
    size_t off, count; /* slice of the pool */
    char group[SPB_ID_MAX + 1], node[SPB_ID_MAX + 1], device[SPB_ID_MAX + 1];
} scope;

typedef struct entry {
    int32_t scope;      /* -1 = dead */
    bool has_alias;
    bool reading;       /* yields readings (numeric, not bdSeq / Node Control) */
    uint32_t datatype;
    uint64_t alias;
    char tag[WS_TAG_MAX + 1];
} entry;

struct spb_session {
    spb_opts opts;
    scope *sc;
    size_t nsc;
    entry *pool;
    size_t cap, len, live;
};

spb_session *spb_session_new(size_t max_scopes, size_t max_points, const spb_opts *opts)
{
    if (!max_scopes || !max_points || max_scopes > 1000000 || max_points > 100000000) return NULL;
    spb_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->sc = calloc(max_scopes, sizeof *s->sc);
    s->pool = calloc(max_points, sizeof *s->pool);
    if (!s->sc || !s->pool) {
        spb_session_free(s);
        return NULL;
    }
    s->nsc = max_scopes;
    s->cap = max_points;
    if (opts) s->opts = *opts;
    return s;
}

void spb_session_free(spb_session *s)
{
    if (!s) return;
    free(s->sc);
    free(s->pool);
    free(s);
}

size_t spb_session_points(const spb_session *s) { return s->live; }

static int find_scope(const spb_session *s, const char *g, const char *node, const char *dev)
{
    for (size_t i = 0; i < s->nsc; i++) {
        const scope *c = &s->sc[i];
        if (c->used && !strcmp(c->node, node) && !strcmp(c->device, dev) && !strcmp(c->group, g)) return (int)i;
    }
    return -1;
}

static int free_scope(const spb_session *s)
{
    for (size_t i = 0; i < s->nsc; i++)
        if (!s->sc[i].used) return (int)i;
    return -1;
}

static void retire(spb_session *s, int si)
{
    scope *c = &s->sc[si];
    for (size_t i = c->off; i < c->off + c->count; i++) s->pool[i].scope = -1;
    s->live -= c->count;
    c->count = 0;
}

static void compact(spb_session *s)
{
    size_t w = 0;
    for (size_t r = 0; r < s->len; r++) {
        int32_t si = s->pool[r].scope;
        if (si < 0) continue;
        if (s->sc[si].off == r) s->sc[si].off = w;
        if (w != r) s->pool[w] = s->pool[r];
        w++;
    }
    s->len = w;
}

static int cmp_alias(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->has_alias != y->has_alias) return x->has_alias ? -1 : 1;
    return x->alias < y->alias ? -1 : x->alias > y->alias;
}

static const entry *lookup(const spb_session *s, const scope *c, uint64_t alias)
{
    size_t lo = c->off, hi = c->off + c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const entry *e = &s->pool[mid];
        if (!e->has_alias || e->alias > alias) hi = mid;
        else if (e->alias < alias) lo = mid + 1;
        else return e;
    }
    return NULL;
}

/* tag for metric name in topic t; false when it does not fit. */
static bool make_tag(const spb_session *s, const spb_topic *t, const char *name, size_t nlen, char *tag)
{
    int k;
    if (s->opts.include_group)
        k = t->device[0] ? snprintf(tag, WS_TAG_MAX + 1, "%s/%s/%s/", t->group, t->node, t->device)
                         : snprintf(tag, WS_TAG_MAX + 1, "%s/%s/", t->group, t->node);
    else
        k = t->device[0] ? snprintf(tag, WS_TAG_MAX + 1, "%s/%s/", t->node, t->device)
                         : snprintf(tag, WS_TAG_MAX + 1, "%s/", t->node);
    if (k < 0 || (size_t)k + nlen > WS_TAG_MAX) return false;
    memcpy(tag + k, name, nlen);
    tag[k + nlen] = 0;
    return true;
}

static bool is_control(const spb_metric *m)
{
    static const char *const pre[] = {"Node Control/", "Device Control/", "Node Info/", "Device Info/"};
    if (m->name_len == 5 && !memcmp(m->name, "bdSeq", 5)) return true;
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        size_t l = strlen(pre[i]);
        if (m->name_len >= l && !memcmp(m->name, pre[i], l)) return true;
    }
    return false;
}

static bool numeric_type(uint32_t dt) { return dt >= 1 && dt <= 11; }

/* The metric's value as a reading value; false when it is not a number. */
static bool metric_value(const spb_metric *m, uint32_t dt, double *out)
{
    switch (m->vkind) {
    case SPB_V_INT:
    case SPB_V_LONG:
        switch (dt) {
        case 1: *out = (int8_t)(uint8_t)m->u; return true;
        case 2: *out = (int16_t)(uint16_t)m->u; return true;
        case 3: *out = (int32_t)(uint32_t)m->u; return true;
        case 4: *out = (double)(int64_t)m->u; return true;
        default: *out = (double)m->u; return true;
        }
    case SPB_V_FLOAT: *out = m->f; return true;
    case SPB_V_DOUBLE: *out = m->d; return true;
    case SPB_V_BOOL: *out = m->u ? 1.0 : 0.0; return true;
    default: return false;
    }
}

/* Append one reading for m (tag given) or count it. */
static void emit(const spb_metric *m, uint32_t dt, const char *tag, int64_t pts, ws_reading *out, size_t cap,
                 spb_result *res)
{
    double v = NAN;
    uint8_t q = WS_Q_GOOD;
    if (dt && !numeric_type(dt)) { res->skipped++; return; }
    if (m->is_null) q = WS_Q_BAD;
    else if (m->vkind == SPB_V_STRING || m->vkind == SPB_V_OTHER) { res->skipped++; return; }
    else if (!metric_value(m, dt, &v)) { res->bad++; return; }
    else if (!isfinite(v)) { v = NAN; q = WS_Q_BAD; }
    if (res->nout >= cap) { res->bad++; return; } /* not reached: cap is checked first */
    ws_reading *r = &out[res->nout++];
    memset(r->tag, 0, sizeof r->tag);
    strcpy(r->tag, tag);
    r->source_ms = m->timestamp ? m->timestamp : pts;
    r->value = v;
    r->quality = q;
}

static void stale_scope(const spb_session *s, const scope *c, int64_t ts, ws_reading *out, spb_result *res)
{
    for (size_t i = c->off; i < c->off + c->count; i++) {
        const entry *e = &s->pool[i];
        if (!e->reading) continue;
        ws_reading *r = &out[res->nout++];
        memset(r->tag, 0, sizeof r->tag);
        strcpy(r->tag, e->tag);
        r->source_ms = ts;
        r->value = NAN;
        r->quality = WS_Q_STALE;
    }
}

static size_t reading_count(const spb_session *s, const scope *c)
{
    size_t k = 0;
    for (size_t i = c->off; i < c->off + c->count; i++) k += s->pool[i].reading;
    return k;
}

static bool find_bdseq(spb_payload pl, uint64_t *v)
{
    spb_metric m;
    pl.pos = 0;
    while (spb_next_metric(&pl, &m))
        if (m.name && m.name_len == 5 && !memcmp(m.name, "bdSeq", 5) &&
            (m.vkind == SPB_V_LONG || m.vkind == SPB_V_INT)) {
            *v = m.u;
            return true;
        }
    return false;
}

static ws_err handle_birth(spb_session *s, const spb_topic *t, spb_payload *pl, ws_reading *out, size_t cap,
                           spb_result *res)
{
    bool node = t->type == SPB_NBIRTH;
    int ni = find_scope(s, t->group, t->node, "");
    if (!node && (ni < 0 || !s->sc[ni].online)) { /* a device of a node we have no live birth of */
        res->bad += (uint32_t)pl->nmetrics;
        res->rebirth = true;
        return WS_OK;
    }
    int si = node ? ni : find_scope(s, t->group, t->node, t->device);
    /* Room: everything this birth retires is freed before the new slice. */
    size_t freed = 0, new_scopes = si < 0;
    if (si >= 0) freed += s->sc[si].count;
    if (node && si >= 0)
        for (size_t i = 0; i < s->nsc; i++)
            if (s->sc[i].used && s->sc[i].parent == si) freed += s->sc[i].count;
    if (s->live - freed + pl->nmetrics > s->cap)
        return ws_fail(WS_ETOOBIG, "payload", "BIRTH of %zu metrics does not fit the session (%zu points)",
                       pl->nmetrics, s->cap);
    if (pl->nmetrics > cap) return ws_fail(WS_ETOOBIG, "payload", "more metrics (%zu) than readings room (%zu)", pl->nmetrics, cap);
    if (new_scopes && free_scope(s) < 0) return ws_fail(WS_ETOOBIG, "topic", "no room for another node or device");

    /* Commit. */
    if (si < 0) {
        si = free_scope(s);
        scope *c = &s->sc[si];
        memset(c, 0, sizeof *c);
        c->used = true;
        c->parent = node ? -1 : ni;
        c->last_seq = -1;
        memcpy(c->group, t->group, sizeof c->group);
        memcpy(c->node, t->node, sizeof c->node);
        memcpy(c->device, t->device, sizeof c->device);
    } else {
        retire(s, si);
    }
    if (node)
        for (size_t i = 0; i < s->nsc; i++)
            if (s->sc[i].used && s->sc[i].parent == si) {
                retire(s, (int)i);
                s->sc[i].used = false; /* the node's new session re-births its devices */
            }
    if (s->len + pl->nmetrics > s->cap) compact(s);
    scope *c = &s->sc[si];
    c->online = true;
    c->off = s->len;
    c->count = 0;
    if (node) {
        c->has_bdseq = find_bdseq(*pl, &c->bdseq);
        res->has_bdseq = c->has_bdseq;
        res->bdseq = c->bdseq;
        c->last_seq = pl->seq >= 0 && pl->seq <= 255 ? (int32_t)pl->seq : -1;
    }
    spb_metric m;
    pl->pos = 0;
    while (spb_next_metric(pl, &m)) {
        if (!m.name) { res->bad++; continue; } /* a BIRTH names every metric */
        entry *e = &s->pool[s->len];
        memset(e, 0, sizeof *e);
        bool ctl = is_control(&m);
        if (!make_tag(s, t, m.name, m.name_len, e->tag)) {
            if (!ctl) { res->bad++; continue; }
            e->tag[0] = 0;
        }
        e->scope = si;
        e->has_alias = m.has_alias;
        e->alias = m.alias;
        e->datatype = m.datatype;
        e->reading = !ctl && (m.datatype == 0 || numeric_type(m.datatype));
        s->len++;
        c->count++;
        s->live++;
        if (ctl) res->skipped++;
        else emit(&m, m.datatype, e->tag, pl->timestamp, out, cap, res);
    }
    qsort(s->pool + c->off, c->count, sizeof(entry), cmp_alias);
    for (size_t i = c->off + 1; i < c->off + c->count; i++) { /* a duplicate alias is ambiguous */
        entry *a = &s->pool[i - 1], *b = &s->pool[i];
        if (a->has_alias && b->has_alias && a->alias == b->alias) {
            res->bad++;
            res->rebirth = true;
        }
    }
    return WS_OK;
}

static void check_seq(spb_session *s, int ni, const spb_payload *pl, spb_result *res)
{
    if (ni < 0 || pl->seq < 0) return;
    scope *n = &s->sc[ni];
    if (pl->seq > 255) { res->seq_gap = true; return; }
    if (n->last_seq >= 0 && pl->seq != (n->last_seq + 1) % 256) res->seq_gap = true;
    n->last_seq = (int32_t)pl->seq;
}

ws_err spb_session_handle(spb_session *s, const char *topic, size_t topic_len, const uint8_t *payload, size_t n,
                          ws_reading *out, size_t cap, spb_result *res)
{
    spb_payload pl;
    memset(res, 0, sizeof *res);
    ws_err rc = spb_topic_parse(topic, topic_len, &res->topic);
    if (rc) return rc;
    const spb_topic *t = &res->topic;
    if (t->type == SPB_NCMD || t->type == SPB_DCMD || t->type == SPB_STATE) {
        res->ignored = true;
        return WS_OK;
    }
    rc = spb_payload_scan(payload, n, &pl);
    if (rc) return rc;
    int ni = find_scope(s, t->group, t->node, "");

    switch (t->type) {
    case SPB_NBIRTH:
    case SPB_DBIRTH:
        if (t->type == SPB_DBIRTH) check_seq(s, ni, &pl, res);
        return handle_birth(s, t, &pl, out, cap, res);
    case SPB_NDEATH: {
        uint64_t bd = 0;
        res->has_bdseq = find_bdseq(pl, &bd);
        res->bdseq = bd;
        if (ni < 0 || !s->sc[ni].online || (res->has_bdseq && s->sc[ni].has_bdseq && bd != s->sc[ni].bdseq)) {
            res->ignored = true; /* nothing live, or the will of an older session */
            return WS_OK;
        }
        size_t need = reading_count(s, &s->sc[ni]);
        for (size_t i = 0; i < s->nsc; i++)
            if (s->sc[i].used && s->sc[i].parent == ni && s->sc[i].online) need += reading_count(s, &s->sc[i]);
        if (need > cap) return ws_fail(WS_ETOOBIG, "payload", "NDEATH marks %zu points stale, room for %zu", need, cap);
        stale_scope(s, &s->sc[ni], pl.timestamp, out, res);
        s->sc[ni].online = false;
        for (size_t i = 0; i < s->nsc; i++)
            if (s->sc[i].used && s->sc[i].parent == ni && s->sc[i].online) {
                stale_scope(s, &s->sc[i], pl.timestamp, out, res);
                s->sc[i].online = false;
            }
        return WS_OK;
    }
    case SPB_DDEATH: {
        int di = find_scope(s, t->group, t->node, t->device);
        if (di < 0 || !s->sc[di].online) {
            res->ignored = true;
            return WS_OK;
        }
        size_t need = reading_count(s, &s->sc[di]);
        if (need > cap) return ws_fail(WS_ETOOBIG, "payload", "DDEATH marks %zu points stale, room for %zu", need, cap);
        check_seq(s, ni, &pl, res);
        stale_scope(s, &s->sc[di], pl.timestamp, out, res);
        s->sc[di].online = false;
        return WS_OK;
    }
    default: break; /* NDATA, DDATA */
    }

    if (pl.nmetrics > cap) return ws_fail(WS_ETOOBIG, "payload", "more metrics (%zu) than readings room (%zu)", pl.nmetrics, cap);
    int si = t->type == SPB_NDATA ? ni : find_scope(s, t->group, t->node, t->device);
    check_seq(s, ni, &pl, res);
    if (si < 0 || !s->sc[si].online || ni < 0 || !s->sc[ni].online) {
        res->bad += (uint32_t)pl.nmetrics;
        res->rebirth = true;
        return WS_OK;
    }
    const scope *c = &s->sc[si];
    spb_metric m;
    char tag[WS_TAG_MAX + 1];
    while (spb_next_metric(&pl, &m)) {
        if (m.has_alias) {
            const entry *e = lookup(s, c, m.alias);
            if (!e) {
                res->bad++;
                res->rebirth = true;
                continue;
            }
            if (!e->reading) { res->skipped++; continue; }
            emit(&m, m.datatype ? m.datatype : e->datatype, e->tag, pl.timestamp, out, cap, res);
        } else if (m.name) {
            if (is_control(&m)) { res->skipped++; continue; }
            if (!make_tag(s, t, m.name, m.name_len, tag)) { res->bad++; continue; }
            uint32_t dt = m.datatype;
            for (size_t i = c->off; !dt && i < c->off + c->count; i++) /* signedness from the BIRTH */
                if (!strcmp(s->pool[i].tag, tag)) dt = s->pool[i].datatype;
            emit(&m, dt, tag, pl.timestamp, out, cap, res);
        } else {
            res->bad++;
        }
    }
    return WS_OK;
}
