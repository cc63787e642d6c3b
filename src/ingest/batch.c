/* batch.c — the JSON batch of ingestion (HTTP bodies, MQTT JSON payloads):
 *
 *     {"readings":[{"tag":"GT-101","value":12.5,"t":1795832797123,"q":0},...],
 *      "series":[{"tag":"GT-102","t0":1795832797000,"dt":1000,"values":[1.5,null]}]}
 *
 * A strict one-pass scanner of its own instead of jansson: no tree, no
 * allocation, and errors that name the path ("readings[3].value"). Strict
 * means RFC 8259 grammar, UTF-8 checked in every string (also escapes:
 * unpaired surrogates are refused), no duplicate or unknown keys, types as
 * documented. A bad reading (or series value) is recorded and skipped; a
 * document that is not well-formed JSON, nests deeper than 32 or has a bad
 * top level is refused whole (*n = 0), since nothing after the error can be
 * trusted. See ingest.h for the contract. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"

#define MAX_DEPTH 32

typedef struct jp {
    const char *s;
    size_t n, i;
    ingest_errors *errs;
    bool fatal;
    size_t fatal_at;
    ingest_reason fatal_why;
    char fatal_path[INGEST_PATH_MAX];
} jp;

static size_t line_of(const jp *p, size_t off)
{
    size_t line = 1;
    const char *s = p->s, *end = p->s + (off < p->n ? off : p->n);
    while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        line++;
        s++;
    }
    return line;
}

static void report(jp *p, size_t off, ingest_reason r, const char *path)
{
    size_t line = p->errs->nsample < INGEST_ERR_SAMPLES ? line_of(p, off) : 0;
    ingest_errors_add(p->errs, line, off, r, path);
}

/* A document-level error: stops the scan. The first one wins. */
static void fail(jp *p, ingest_reason r, const char *path)
{
    if (p->fatal) return;
    p->fatal = true;
    p->fatal_at = p->i;
    p->fatal_why = r;
    snprintf(p->fatal_path, sizeof p->fatal_path, "%s", path);
}

/* dst = a + sep + b, cut to INGEST_PATH_MAX - 1 bytes. */
static void path_join(char *dst, const char *a, const char *sep, const char *b)
{
    size_t k = 0;
    const char *parts[3] = {a, sep, b};
    for (int j = 0; j < 3; j++)
        for (const char *c = parts[j]; *c && k < INGEST_PATH_MAX - 1; c++) dst[k++] = *c;
    dst[k] = 0;
}

static void ws(jp *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static bool eat(jp *p, char c)
{
    ws(p);
    if (p->i < p->n && p->s[p->i] == c) {
        p->i++;
        return true;
    }
    return false;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool hex4(jp *p, unsigned *v)
{
    if (p->i + 4 > p->n) return false;
    unsigned x = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexv(p->s[p->i + k]);
        if (h < 0) return false;
        x = x << 4 | (unsigned)h;
    }
    p->i += 4;
    *v = x;
    return true;
}

static void put(char *dst, size_t cap, size_t *len, const char *b, size_t n)
{
    if (dst && *len + n <= cap) memcpy(dst + *len, b, n);
    *len += n;
}

/* A string at p->i (after ws, at '"'). Decoded bytes go to dst (up to cap;
 * *len counts all). Returns 0 or UTF8 (string consumed, not fatal); grammar
 * errors are fatal (p->fatal). */
static ingest_reason string(jp *p, char *dst, size_t cap, size_t *len, const char *path)
{
    *len = 0;
    if (p->i >= p->n || p->s[p->i] != '"') {
        fail(p, INGEST_E_SYNTAX, path);
        return INGEST_E_SYNTAX;
    }
    p->i++;
    ingest_reason bad = INGEST_E_NONE;
    const unsigned char *s = (const unsigned char *)p->s;
    for (;;) {
        size_t st = p->i;
        while (p->i < p->n) {
            unsigned char c = s[p->i];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            p->i++;
        }
        put(dst, cap, len, p->s + st, p->i - st);
        if (p->i >= p->n) {
            fail(p, INGEST_E_SYNTAX, path);
            return INGEST_E_SYNTAX;
        }
        unsigned char c = s[p->i];
        if (c == '"') {
            p->i++;
            return bad;
        }
        if (c < 0x20) {
            fail(p, INGEST_E_SYNTAX, path);
            return INGEST_E_SYNTAX;
        }
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n) {
                fail(p, INGEST_E_SYNTAX, path);
                return INGEST_E_SYNTAX;
            }
            char e = p->s[p->i++];
            char one;
            switch (e) {
            case '"': one = '"'; break;
            case '\\': one = '\\'; break;
            case '/': one = '/'; break;
            case 'b': one = '\b'; break;
            case 'f': one = '\f'; break;
            case 'n': one = '\n'; break;
            case 'r': one = '\r'; break;
            case 't': one = '\t'; break;
            case 'u': {
                unsigned cp;
                if (!hex4(p, &cp)) {
                    fail(p, INGEST_E_SYNTAX, path);
                    return INGEST_E_SYNTAX;
                }
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    bad = INGEST_E_UTF8;
                    continue;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (p->i + 1 < p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                        p->i += 2;
                        if (!hex4(p, &lo)) {
                            fail(p, INGEST_E_SYNTAX, path);
                            return INGEST_E_SYNTAX;
                        }
                        if (lo < 0xDC00 || lo > 0xDFFF) {
                            bad = INGEST_E_UTF8;
                            continue;
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        bad = INGEST_E_UTF8;
                        continue;
                    }
                }
                char u[4];
                size_t un;
                if (cp < 0x80) {
                    u[0] = (char)cp;
                    un = 1;
                } else if (cp < 0x800) {
                    u[0] = (char)(0xC0 | cp >> 6);
                    u[1] = (char)(0x80 | (cp & 0x3F));
                    un = 2;
                } else if (cp < 0x10000) {
                    u[0] = (char)(0xE0 | cp >> 12);
                    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    u[2] = (char)(0x80 | (cp & 0x3F));
                    un = 3;
                } else {
                    u[0] = (char)(0xF0 | cp >> 18);
                    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    u[3] = (char)(0x80 | (cp & 0x3F));
                    un = 4;
                }
                put(dst, cap, len, u, un);
                continue;
            }
            default:
                fail(p, INGEST_E_SYNTAX, path);
                return INGEST_E_SYNTAX;
            }
            put(dst, cap, len, &one, 1);
            continue;
        }
        /* c >= 0x80: one UTF-8 sequence, checked strictly. */
        size_t ln;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) ln = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) ln = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) ln = 4, cp = c & 0x07;
        else {
            bad = INGEST_E_UTF8;
            p->i++;
            continue;
        }
        size_t k = 1;
        for (; k < ln && p->i + k < p->n; k++) {
            if ((s[p->i + k] & 0xC0) != 0x80) break;
            cp = cp << 6 | (s[p->i + k] & 0x3F);
        }
        if (k < ln || (ln == 3 && cp < 0x800) || (ln == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            bad = INGEST_E_UTF8;
            p->i++;
            continue;
        }
        put(dst, cap, len, p->s + p->i, ln);
        p->i += ln;
    }
}

/* A number token per RFC 8259 at p->i; its text in [*a, p->i). *integer is
 * true when it has no fraction or exponent. */
static bool number(jp *p, size_t *a, bool *integer)
{
    const char *s = p->s;
    size_t i = p->i, n = p->n;
    *a = i;
    *integer = true;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && (unsigned)(s[i] - '0') < 10) i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        *integer = false;
        i++;
        if (i >= n || (unsigned)(s[i] - '0') >= 10) return false;
        while (i < n && (unsigned)(s[i] - '0') < 10) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *integer = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || (unsigned)(s[i] - '0') >= 10) return false;
        while (i < n && (unsigned)(s[i] - '0') < 10) i++;
    }
    p->i = i;
    return true;
}

static bool literal(jp *p, const char *w, size_t wn)
{
    if (p->i + wn <= p->n && memcmp(p->s + p->i, w, wn) == 0) {
        p->i += wn;
        return true;
    }
    return false;
}

/* Skip any value (after ws); fatal on bad grammar. */
static void skip_value(jp *p, int depth, const char *path)
{
    ws(p);
    if (p->i >= p->n) {
        fail(p, INGEST_E_SYNTAX, path);
        return;
    }
    if (depth > MAX_DEPTH) {
        fail(p, INGEST_E_DEPTH, path);
        return;
    }
    char c = p->s[p->i];
    size_t len, a;
    bool integer;
    if (c == '"') {
        string(p, NULL, 0, &len, path);
    } else if (c == '{') {
        p->i++;
        if (eat(p, '}')) return;
        do {
            ws(p);
            string(p, NULL, 0, &len, path);
            if (p->fatal) return;
            if (!eat(p, ':')) {
                fail(p, INGEST_E_SYNTAX, path);
                return;
            }
            skip_value(p, depth + 1, path);
            if (p->fatal) return;
        } while (eat(p, ','));
        if (!eat(p, '}')) fail(p, INGEST_E_SYNTAX, path);
    } else if (c == '[') {
        p->i++;
        if (eat(p, ']')) return;
        do {
            skip_value(p, depth + 1, path);
            if (p->fatal) return;
        } while (eat(p, ','));
        if (!eat(p, ']')) fail(p, INGEST_E_SYNTAX, path);
    } else if (literal(p, "true", 4) || literal(p, "false", 5) || literal(p, "null", 4)) {
        return;
    } else if (!number(p, &a, &integer)) {
        fail(p, INGEST_E_SYNTAX, path);
    }
}

/* What a value at p->i is, without consuming it. */
static char kind(jp *p)
{
    ws(p);
    if (p->i >= p->n) return 0;
    char c = p->s[p->i];
    if (c == '-' || (c >= '0' && c <= '9')) return '0';
    return c;
}

/* "t"/"t0": ms (integer >= 0) or an RFC 3339 string with an offset. */
static ingest_reason time_value(jp *p, int64_t *out, const char *path)
{
    char k = kind(p);
    if (k == '0') {
        size_t a;
        bool integer;
        if (!number(p, &a, &integer)) {
            fail(p, INGEST_E_SYNTAX, path);
            return INGEST_E_SYNTAX;
        }
        if (!integer || p->s[a] == '-') return INGEST_E_TIME_SYNTAX;
        if (p->i - a > 15) return INGEST_E_TIME_RANGE;
        int64_t t = 0;
        for (size_t i = a; i < p->i; i++) t = t * 10 + (p->s[i] - '0');
        if (t > INGEST_MS_MAX) return INGEST_E_TIME_RANGE;
        *out = t;
        return INGEST_E_NONE;
    }
    if (k == '"') {
        char b[48];
        size_t len;
        ingest_reason r = string(p, b, sizeof b, &len, path);
        if (r) return r;
        if (len > sizeof b) return INGEST_E_TIME_SYNTAX;
        int64_t ms;
        bool has_off;
        int off;
        r = ingest_parse_datetime(b, len, &ms, &has_off, &off);
        if (r) return r;
        if (!has_off) return INGEST_E_TIME_SYNTAX;
        ms -= (int64_t)off * 60000;
        if (ms < 0 || ms > INGEST_MS_MAX) return INGEST_E_TIME_RANGE;
        *out = ms;
        return INGEST_E_NONE;
    }
    skip_value(p, 1, path);
    return INGEST_E_TYPE;
}

static ingest_reason tag_value(jp *p, char *tag, const char *path)
{
    if (kind(p) != '"') {
        skip_value(p, 1, path);
        return INGEST_E_TYPE;
    }
    char b[WS_TAG_MAX + 1];
    size_t len;
    ingest_reason r = string(p, b, sizeof b, &len, path);
    if (r) return r;
    if (len > WS_TAG_MAX) return INGEST_E_TAG_LONG;
    r = ingest_tag_check(b, len);
    if (r) return r;
    memcpy(tag, b, len);
    tag[len] = 0;
    return INGEST_E_NONE;
}

static ingest_reason quality_value(jp *p, int *q, const char *path)
{
    if (kind(p) != '0') {
        skip_value(p, 1, path);
        return INGEST_E_TYPE;
    }
    size_t a;
    bool integer;
    if (!number(p, &a, &integer)) {
        fail(p, INGEST_E_SYNTAX, path);
        return INGEST_E_SYNTAX;
    }
    if (!integer || p->i - a != 1 || p->s[a] < '0' || p->s[a] > '3') return INGEST_E_QUALITY;
    *q = p->s[a] - '0';
    return INGEST_E_NONE;
}

/* A number value (or null when nullable: *is_null). */
static ingest_reason number_value(jp *p, double *v, bool *is_null, const char *path)
{
    char k = kind(p);
    *is_null = false;
    if (k == 'n' && literal(p, "null", 4)) {
        *is_null = true;
        return INGEST_E_NONE;
    }
    if (k != '0') {
        skip_value(p, 1, path);
        return INGEST_E_TYPE;
    }
    size_t a;
    bool integer;
    if (!number(p, &a, &integer)) {
        fail(p, INGEST_E_SYNTAX, path);
        return INGEST_E_SYNTAX;
    }
    return ingest_parse_double(p->s + a, p->i - a, v);
}

/* The key of an object member: decoded into k (16 bytes; longer keys are
 * unknown anyway), then ':' is eaten. false on a fatal error. */
static bool key(jp *p, char *k, size_t kcap, const char *path)
{
    size_t len;
    ws(p);
    ingest_reason r = string(p, k, kcap - 1, &len, path);
    if (p->fatal) return false;
    k[len < kcap - 1 ? len : 0] = 0;
    if (r || len >= kcap - 1) k[0] = 0; /* unknown */
    if (!eat(p, ':')) {
        fail(p, INGEST_E_SYNTAX, path);
        return false;
    }
    return true;
}

typedef struct outv {
    ws_reading *out;
    size_t cap, k;
    bool full;
} outv;

/* readings[idx]: one object. */
static void reading_obj(jp *p, size_t idx, outv *o)
{
    char path[INGEST_PATH_MAX];
    ws(p);
    size_t start = p->i;
    snprintf(path, sizeof path, "readings[%zu]", idx);
    if (kind(p) != '{') {
        skip_value(p, 1, path);
        if (!p->fatal) report(p, start, INGEST_E_TYPE, path);
        return;
    }
    p->i++;
    ws_reading r = {.quality = WS_Q_GOOD};
    int q = WS_Q_GOOD;
    double v = 0;
    bool is_null = false;
    unsigned seen = 0;
    ingest_reason err = INGEST_E_NONE;
    const char *efield = "";
    if (!eat(p, '}')) {
        do {
            char k[16];
            if (!key(p, k, sizeof k, path)) return;
            unsigned bit;
            ingest_reason r1;
            const char *f;
            if (strcmp(k, "tag") == 0) bit = 1, f = "tag";
            else if (strcmp(k, "value") == 0) bit = 2, f = "value";
            else if (strcmp(k, "t") == 0) bit = 4, f = "t";
            else if (strcmp(k, "q") == 0) bit = 8, f = "q";
            else bit = 0, f = "";
            if (bit && (seen & bit)) {
                skip_value(p, 1, path);
                r1 = INGEST_E_DUP_KEY;
            } else if (bit == 1) {
                r1 = tag_value(p, r.tag, path);
            } else if (bit == 2) {
                r1 = number_value(p, &v, &is_null, path);
            } else if (bit == 4) {
                r1 = time_value(p, &r.source_ms, path);
            } else if (bit == 8) {
                r1 = quality_value(p, &q, path);
            } else {
                skip_value(p, 1, path);
                r1 = INGEST_E_UNKNOWN_KEY;
            }
            if (p->fatal) return;
            seen |= bit;
            if (r1 && !err) {
                err = r1;
                efield = bit ? f : "";
            }
        } while (eat(p, ','));
        if (!eat(p, '}')) {
            fail(p, INGEST_E_SYNTAX, path);
            return;
        }
    }
    if (!err && !(seen & 1)) err = INGEST_E_TAG_MISSING, efield = "tag";
    if (!err && !(seen & 2)) err = INGEST_E_VALUE_MISSING, efield = "value";
    if (!err && is_null && q < WS_Q_BAD) err = INGEST_E_VALUE_NAN, efield = "value";
    if (err) {
        char full[INGEST_PATH_MAX];
        path_join(full, path, *efield ? "." : "", efield);
        report(p, start, err, full);
        return;
    }
    if (o->k == o->cap) {
        o->full = true;
        return;
    }
    r.value = is_null ? NAN : v;
    r.quality = (uint8_t)q;
    o->out[o->k++] = r;
}

/* series[idx]: {"tag","t0","dt","values",["q"]}. Values are written to out
 * as they come (their index in source_ms) and finished at the end. */
static void series_obj(jp *p, size_t idx, outv *o)
{
    char path[INGEST_PATH_MAX];
    ws(p);
    size_t start = p->i;
    snprintf(path, sizeof path, "series[%zu]", idx);
    if (kind(p) != '{') {
        skip_value(p, 1, path);
        if (!p->fatal) report(p, start, INGEST_E_TYPE, path);
        return;
    }
    p->i++;
    size_t first = o->k;
    char tag[WS_TAG_MAX + 1] = "";
    int64_t t0 = 0, dt = 0;
    int q = WS_Q_GOOD;
    unsigned seen = 0;
    ingest_reason err = INGEST_E_NONE;
    const char *efield = "";
    if (!eat(p, '}')) {
        do {
            char k[16];
            if (!key(p, k, sizeof k, path)) return;
            unsigned bit;
            ingest_reason r1 = INGEST_E_NONE;
            const char *f;
            if (strcmp(k, "tag") == 0) bit = 1, f = "tag";
            else if (strcmp(k, "t0") == 0) bit = 2, f = "t0";
            else if (strcmp(k, "dt") == 0) bit = 4, f = "dt";
            else if (strcmp(k, "values") == 0) bit = 8, f = "values";
            else if (strcmp(k, "q") == 0) bit = 16, f = "q";
            else bit = 0, f = "";
            if (bit && (seen & bit)) {
                skip_value(p, 1, path);
                r1 = INGEST_E_DUP_KEY;
            } else if (bit == 1) {
                r1 = tag_value(p, tag, path);
            } else if (bit == 2) {
                r1 = time_value(p, &t0, path);
            } else if (bit == 4) {
                r1 = time_value(p, &dt, path);
                if (!r1 && (dt < 1 || dt > 86400000)) r1 = INGEST_E_TIME_RANGE;
            } else if (bit == 16) {
                r1 = quality_value(p, &q, path);
            } else if (bit == 8) {
                if (kind(p) != '[') {
                    skip_value(p, 1, path);
                    r1 = INGEST_E_TYPE;
                } else {
                    p->i++;
                    size_t vi = 0;
                    if (!eat(p, ']')) {
                        do {
                            size_t at = p->i;
                            double v;
                            bool is_null;
                            ingest_reason rv = number_value(p, &v, &is_null, path);
                            if (p->fatal) return;
                            if (rv) {
                                char vp[INGEST_PATH_MAX];
                                char ix[32];
                                snprintf(ix, sizeof ix, "values[%zu]", vi);
                                path_join(vp, path, ".", ix);
                                report(p, at, rv, vp);
                            } else if (!is_null) {
                                if (o->k == o->cap) o->full = true;
                                else {
                                    ws_reading *r = &o->out[o->k++];
                                    r->source_ms = (int64_t)vi;
                                    r->value = v;
                                }
                            }
                            vi++;
                        } while (eat(p, ','));
                        if (!eat(p, ']')) {
                            fail(p, INGEST_E_SYNTAX, path);
                            return;
                        }
                    }
                }
            } else {
                skip_value(p, 1, path);
                r1 = INGEST_E_UNKNOWN_KEY;
            }
            if (p->fatal) return;
            seen |= bit;
            if (r1 && !err) {
                err = r1;
                efield = bit ? f : "";
            }
        } while (eat(p, ','));
        if (!eat(p, '}')) {
            fail(p, INGEST_E_SYNTAX, path);
            return;
        }
    }
    if (!err && !(seen & 1)) err = INGEST_E_TAG_MISSING, efield = "tag";
    if (!err && !(seen & 2)) err = INGEST_E_TIME_SYNTAX, efield = "t0";
    if (!err && !(seen & 4)) err = INGEST_E_TIME_SYNTAX, efield = "dt";
    if (!err && !(seen & 8)) err = INGEST_E_VALUE_MISSING, efield = "values";
    if (err) {
        char full[INGEST_PATH_MAX];
        path_join(full, path, *efield ? "." : "", efield);
        report(p, start, err, full);
        o->k = first;
        return;
    }
    size_t tl = strlen(tag);
    for (size_t j = first; j < o->k; j++) {
        ws_reading *r = &o->out[j];
        int64_t t = t0 + r->source_ms * dt;
        if (r->source_ms > INGEST_MS_MAX / dt || t > INGEST_MS_MAX) {
            char vp[INGEST_PATH_MAX];
            char ix[32];
            snprintf(ix, sizeof ix, "values[%lld]", (long long)r->source_ms);
            path_join(vp, path, ".", ix);
            report(p, start, INGEST_E_TIME_RANGE, vp);
            o->k = j; /* the later ones are out of range too */
            return;
        }
        memcpy(r->tag, tag, tl + 1);
        r->source_ms = t;
        r->quality = (uint8_t)q;
    }
}

ws_err ingest_batch_decode(const char *buf, size_t len, ws_reading *out, size_t cap, size_t *n,
                           ingest_errors *errs)
{
    jp p = {.s = buf, .n = len, .errs = errs};
    outv o = {.out = out, .cap = cap};
    *n = 0;
    unsigned seen = 0;
    if (!eat(&p, '{')) {
        fail(&p, INGEST_E_TYPE, "");
        goto done;
    }
    if (!eat(&p, '}')) {
        do {
            char k[16];
            if (!key(&p, k, sizeof k, "")) goto done;
            unsigned bit = strcmp(k, "readings") == 0 ? 1 : strcmp(k, "series") == 0 ? 2 : 0;
            const char *name = bit == 1 ? "readings" : bit == 2 ? "series" : "";
            if (!bit) {
                fail(&p, INGEST_E_UNKNOWN_KEY, "");
                goto done;
            }
            if (seen & bit) {
                fail(&p, INGEST_E_DUP_KEY, name);
                goto done;
            }
            seen |= bit;
            if (kind(&p) != '[') {
                fail(&p, INGEST_E_TYPE, name);
                goto done;
            }
            p.i++;
            if (eat(&p, ']')) continue;
            size_t idx = 0;
            do {
                if (bit == 1) reading_obj(&p, idx, &o);
                else series_obj(&p, idx, &o);
                if (p.fatal || o.full) goto done;
                idx++;
            } while (eat(&p, ','));
            if (!eat(&p, ']')) {
                fail(&p, INGEST_E_SYNTAX, name);
                goto done;
            }
        } while (eat(&p, ','));
        if (!eat(&p, '}')) {
            fail(&p, INGEST_E_SYNTAX, "");
            goto done;
        }
    }
    ws(&p);
    if (p.i != p.n) fail(&p, INGEST_E_EXTRA, "");
done:
    if (p.fatal) {
        report(&p, p.fatal_at, p.fatal_why, p.fatal_path);
        *n = 0;
        return ws_fail(WS_EINVAL, p.fatal_path[0] ? p.fatal_path : "body",
                       "%s (at byte %zu)", ingest_reason_text(p.fatal_why), p.fatal_at);
    }
    *n = o.k;
    if (o.full) {
        errs->full = true;
        errs->resume = p.i;
        return ws_fail(WS_ETOOBIG, "readings", "more than %zu readings in the batch", cap);
    }
    return WS_OK;
}
