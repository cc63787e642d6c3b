/* json.c — strict decoding of request bodies against a field table, and the
 * small reply builders of json.h.
 *
 * The decoder is the API's first line of defence: every request body passes
 * through json_decode_body() before a handler touches the store, so anything
 * it lets through must already be well-formed, of the right type and within
 * its bounds. It refuses (WS_EINVAL unless noted, field named through
 * ws_fail):
 *   - bodies over max_body bytes (WS_ETOOBIG, field "body");
 *   - malformed JSON, invalid UTF-8, "\u0000" in strings and duplicate keys
 *     (jansson, JSON_REJECT_DUPLICATES, without JSON_ALLOW_NUL; field "body",
 *     with jansson's line and column);
 *   - a top level that is not an object (field "body");
 *   - keys not in the table (field = the key, "unknown field");
 *   - required keys that are absent, values of the wrong type, strings longer
 *     than max_len bytes (never truncated), integers outside [min, max], ids
 *     below 1, times that are not RFC 3339, arrays with too many items.
 * Control characters other than U+0000 are accepted in strings: they are
 * legal JSON and a multi-line description needs \n; callers that store names
 * check their own character sets.
 *
 * It depends only on core (err, clock), so the libFuzzer target links it with
 * no database (tests/fuzz/fuzz_json.c). */
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

#define DEFAULT_MAX_BODY (1u << 20)
#define DEFAULT_MAX_STRING 255
#define DEFAULT_MAX_ITEMS 100
#define MAX_TIME_LEN 64

static const json_field *find_field(const json_field *f, size_t n, const char *key, size_t *idx)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, key) == 0) {
            *idx = i;
            return &f[i];
        }
    return NULL;
}

static const char *type_phrase(jf_type t)
{
    switch (t) {
    case JF_STRING: return "must be a string";
    case JF_INT: return "must be an integer";
    case JF_BOOL: return "must be true or false";
    case JF_NUMBER: return "must be a number";
    case JF_TIME: return "must be an RFC 3339 time such as \"2026-01-31T08:00:00+08:00\"";
    case JF_ID: return "must be an id (an integer of at least 1)";
    case JF_ARRAY: return "must be an array";
    case JF_OBJECT: return "must be an object";
    }
    return "has the wrong type";
}

static void put(void *out, size_t off, const void *v, size_t n) { memcpy((char *)out + off, v, n); }

/* Store the zero value of f (JSON null on a nullable field). */
static void put_zero(void *out, const json_field *f)
{
    switch (f->type) {
    case JF_STRING:
    case JF_ARRAY:
    case JF_OBJECT: {
        const void *p = NULL;
        put(out, f->offset, &p, sizeof p);
        break;
    }
    case JF_INT:
    case JF_TIME:
    case JF_ID: {
        int64_t z = 0;
        put(out, f->offset, &z, sizeof z);
        break;
    }
    case JF_BOOL: {
        bool b = false;
        put(out, f->offset, &b, sizeof b);
        break;
    }
    case JF_NUMBER: {
        double d = 0;
        put(out, f->offset, &d, sizeof d);
        break;
    }
    }
}

/* Check v against f and store it. */
static ws_err decode_value(const json_field *f, json_t *v, void *out)
{
    if (json_is_null(v)) {
        if (!f->nullable) return ws_fail(WS_EINVAL, f->name, "%s %s, not null", f->name, type_phrase(f->type));
        put_zero(out, f);
        return WS_OK;
    }
    switch (f->type) {
    case JF_STRING: {
        if (!json_is_string(v)) break;
        size_t max = f->max_len ? f->max_len : DEFAULT_MAX_STRING;
        if (json_string_length(v) > max)
            return ws_fail(WS_EINVAL, f->name, "%s is longer than %zu bytes", f->name, max);
        const char *s = json_string_value(v);
        put(out, f->offset, &s, sizeof s);
        return WS_OK;
    }
    case JF_INT: {
        if (!json_is_integer(v)) break;
        int64_t i = (int64_t)json_integer_value(v);
        if ((f->min || f->max) && (i < f->min || i > f->max))
            return ws_fail(WS_EINVAL, f->name, "%s must be between %lld and %lld", f->name,
                           (long long)f->min, (long long)f->max);
        put(out, f->offset, &i, sizeof i);
        return WS_OK;
    }
    case JF_BOOL: {
        if (!json_is_boolean(v)) break;
        bool b = json_is_true(v);
        put(out, f->offset, &b, sizeof b);
        return WS_OK;
    }
    case JF_NUMBER: {
        if (!json_is_number(v)) break;
        double d = json_number_value(v);
        put(out, f->offset, &d, sizeof d);
        return WS_OK;
    }
    case JF_TIME: {
        int64_t ms;
        if (!json_is_string(v) || json_string_length(v) > MAX_TIME_LEN ||
            clock_parse_rfc3339(json_string_value(v), &ms) != 0)
            break;
        put(out, f->offset, &ms, sizeof ms);
        return WS_OK;
    }
    case JF_ID: {
        if (!json_is_integer(v) || json_integer_value(v) < 1) break;
        int64_t id = (int64_t)json_integer_value(v);
        put(out, f->offset, &id, sizeof id);
        return WS_OK;
    }
    case JF_ARRAY: {
        if (!json_is_array(v)) break;
        size_t max = f->max_len ? f->max_len : DEFAULT_MAX_ITEMS;
        if (json_array_size(v) > max)
            return ws_fail(WS_EINVAL, f->name, "%s has more than %zu items", f->name, max);
        put(out, f->offset, &v, sizeof v);
        return WS_OK;
    }
    case JF_OBJECT: {
        if (!json_is_object(v)) break;
        put(out, f->offset, &v, sizeof v);
        return WS_OK;
    }
    }
    return ws_fail(WS_EINVAL, f->name, "%s %s", f->name, type_phrase(f->type));
}

ws_err json_decode_body(const char *body, size_t len, size_t max_body, const json_field *fields,
                        size_t nfields, void *out, uint64_t *present, json_t **root)
{
    *root = NULL;
    if (present) *present = 0;
    if (!max_body) max_body = DEFAULT_MAX_BODY;
    if (len > max_body)
        return ws_fail(WS_ETOOBIG, "body", "the body is larger than %zu bytes", max_body);
    if (present && nfields > 64)
        return ws_fail(WS_EINTERNAL, NULL, "field table too long for a presence mask");
    if (!body || !len) return ws_fail(WS_EINVAL, "body", "the body must be a JSON object, not empty");

    json_error_t jerr;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!doc) {
        if (json_error_code(&jerr) == json_error_invalid_utf8)
            return ws_fail(WS_EINVAL, "body", "invalid UTF-8 at line %d column %d", jerr.line,
                           jerr.column);
        return ws_fail(WS_EINVAL, "body", "malformed JSON at line %d column %d: %s", jerr.line,
                       jerr.column, jerr.text);
    }
    ws_err rc;
    if (!json_is_object(doc)) {
        rc = ws_fail(WS_EINVAL, "body", "the body must be a JSON object");
        goto fail;
    }

    uint64_t seen = 0;
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        size_t idx;
        const json_field *f = find_field(fields, nfields, key, &idx);
        if (!f) {
            rc = ws_fail(WS_EINVAL, *key ? key : "body", *key ? "unknown field" : "unknown field with an empty name");
            goto fail;
        }
        rc = decode_value(f, v, out);
        if (rc) goto fail;
        if (idx < 64) seen |= (uint64_t)1 << idx;
    }
    for (size_t i = 0; i < nfields; i++) {
        if (!fields[i].required) continue;
        if (!json_object_get(doc, fields[i].name)) {
            rc = ws_fail(WS_EINVAL, fields[i].name, "%s is required", fields[i].name);
            goto fail;
        }
    }
    if (present) *present = seen;
    *root = doc;
    return WS_OK;
fail:
    json_decref(doc);
    return rc;
}

/* The shortest of 15, 16 or 17 significant digits that reads back as the
 * number written in tok[0..n) (jansson's "%.17g", with its ".0"), into out;
 * false when that is the original or not shorter. */
static bool shortest_real(const char *tok, size_t n, char *out, size_t cap)
{
    char orig[40];
    if (n >= sizeof orig) return false;
    memcpy(orig, tok, n);
    orig[n] = 0;
    double x = strtod(orig, NULL);
    for (int prec = 15; prec <= 16; prec++) {
        int k = snprintf(out, cap, "%.*g", prec, x);
        if (k <= 0 || (size_t)k >= cap || strtod(out, NULL) != x) continue;
        if (!strpbrk(out, ".e")) {
            if ((size_t)k + 2 >= cap) return false;
            memcpy(out + k, ".0", 3);
            k += 2;
        }
        return (size_t)k < n;
    }
    return false;
}

/* jansson writes every real with 17 significant digits, so a value stored as
 * 19.1 would go out as 19.100000000000001. Each real of 16 or more digits is
 * rewritten, in place, as the shortest text that reads back as the same
 * double (never longer, so the string only shrinks); strings and integers
 * are copied as they are. */
static void shorten_reals(char *s)
{
    char *w = s;
    const char *r = s;
    while (*r) {
        if (*r == '"') { /* a string: up to its unescaped closing quote */
            *w++ = *r++;
            while (*r && *r != '"') {
                if (*r == '\\' && r[1]) *w++ = *r++;
                *w++ = *r++;
            }
            if (*r) *w++ = *r++;
            continue;
        }
        if (*r != '-' && (*r < '0' || *r > '9')) {
            *w++ = *r++;
            continue;
        }
        const char *t = r;
        int digits = 0; /* of the mantissa */
        bool real = false, exponent = false;
        while (*r == '-' || *r == '+' || *r == '.' || *r == 'e' || *r == 'E' || (*r >= '0' && *r <= '9')) {
            char c = *r++;
            if (c == 'e' || c == 'E') real = exponent = true;
            else if (c == '.') real = true;
            else if (c >= '0' && c <= '9' && !exponent) digits++;
        }
        char sh[40];
        if (real && digits >= 16 && shortest_real(t, (size_t)(r - t), sh, sizeof sh)) {
            size_t k = strlen(sh);
            memmove(w, sh, k);
            w += k;
        } else {
            memmove(w, t, (size_t)(r - t));
            w += r - t;
        }
    }
    *w = 0;
}

char *json_dump_compact(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    if (s) shorten_reals(s);
    return s;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* A JSON string of s with each invalid UTF-8 byte replaced by U+FFFD, so that
 * text that reached the database around the API still serialises. */
static json_t *str_repaired(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n * 3 + 1);
    if (!o) return json_null();
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq((const unsigned char *)s + i, n - i);
        if (l) {
            memcpy(o + k, s + i, l);
            k += l;
            i += l;
        } else {
            memcpy(o + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
        }
    }
    json_t *v = json_stringn(o, k);
    free(o);
    return v ? v : json_null();
}

json_t *json_str(const char *s)
{
    if (!s) return json_null();
    json_t *v = json_string(s);
    return v ? v : str_repaired(s);
}

json_t *json_int(int64_t v) { return json_integer((json_int_t)v); }

json_t *json_id(int64_t v) { return v <= 0 ? json_null() : json_integer((json_int_t)v); }

json_t *json_time(int64_t ms)
{
    if (ms <= 0) return json_null();
    char t[40];
    return json_string(clock_format_rfc3339(ms, t, sizeof t));
}

ws_err json_opt_text(const json_t *obj, const char *key, const char *field, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) return WS_OK;
    if (!json_is_string(v)) return ws_fail(WS_EINVAL, field, "%s must be text", field);
    *out = json_string_value(v);
    return WS_OK;
}

ws_err json_opt_id(const json_t *obj, const char *key, const char *field, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v || json_is_null(v)) return WS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return ws_fail(WS_EINVAL, field, "%s is an id: a whole number of at least 1", field);
    *out = (int64_t)json_integer_value(v);
    return WS_OK;
}

ws_err json_known_keys(const json_t *obj, const char *prefix, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++) known = !strcmp(k, keys[i]);
        if (known) continue;
        char f[128];
        if (!k[0]) snprintf(f, sizeof f, "%s", prefix ? prefix : "body"); /* "" names nothing findable */
        else if (prefix) snprintf(f, sizeof f, "%s.%s", prefix, k);
        else snprintf(f, sizeof f, "%s", k);
        return ws_fail(WS_EINVAL, f, "%s: unknown member", k[0] ? f : "a member with an empty name");
    }
    return WS_OK;
}
