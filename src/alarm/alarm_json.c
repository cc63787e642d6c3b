/* alarm_json.c — an alarm's whole state as JSON (alarm_to_text) and its
 * strict restore (alarm_from_json), so the persistence step stores open
 * alarms and a restart puts them back with their timers (alarm.h).
 *
 * The document is one flat object, times as integer ms UTC (exact, no time
 * zone), with "v": 1. It is written straight into a buffer: an alarm flood
 * writes one per event, and building it as a jansson tree first was two
 * thirds of writing the alarm's row. Restore refuses unknown keys, missing
 * keys, wrong types, out-of-range numbers and over-long strings, naming the
 * field, and finally the invariants (alarm_check), so an edited or
 * truncated row never becomes a live alarm. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alarm/alarm.h"
#include "core/buf.h"

enum { F_I64, F_I32, F_U8, F_BOOL, F_STR };

typedef struct fdesc {
    const char *name;
    int type;
    size_t off;
    size_t cap;       /* F_STR: buffer size */
    int64_t min, max; /* numbers */
} fdesc;

#define I64(n, lo) {#n, F_I64, offsetof(alarm, n), 0, lo, INT64_MAX}
#define I32(n, lo, hi) {#n, F_I32, offsetof(alarm, n), 0, lo, hi}
#define U8(n, lo, hi) {#n, F_U8, offsetof(alarm, n), 0, lo, hi}
#define BOOL(n) {#n, F_BOOL, offsetof(alarm, n), 0, 0, 1}
#define STR(n) {#n, F_STR, offsetof(alarm, n), sizeof(((alarm *)0)->n), 0, 0}

static const fdesc FIELDS[] = {
    I64(id, 1),           I64(rule_id, 1),         I64(source_id, 1),
    I64(area_id, 0),      U8(level, 1, 3),         U8(mode, 0, 2),
    BOOL(active),         BOOL(raw_active),        BOOL(acked),
    BOOL(closed),         BOOL(chattering),        I32(count, 1, INT32_MAX),
    I64(raised_ms, 1),    I64(last_raise_ms, 1),   I64(cleared_ms, 0),
    I64(acked_ms, 0),     STR(acked_by),           I64(mode_ms, 0),
    I64(shelved_until, 0), STR(mode_by),           STR(mode_approver),
    STR(mode_reason),     I64(esc_base_ms, 0),     I32(esc_step, 0, ALARM_ESC_MAX),
    I64(esc_next_ms, 0),  I64(chatter_ms, 0),      I64(flood_group, 0),
    I64(closed_ms, 0),    STR(cause),              STR(action),
    STR(person),
};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

/* Decimal digits of v at p; returns the end. */
static char *put_int(char *p, int64_t v)
{
    char d[20];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do d[n++] = (char)('0' + u % 10), u /= 10; while (u);
    if (v < 0) *p++ = '-';
    while (n) *p++ = d[--n];
    return p;
}

/* s as a JSON string at p (quotes, backslashes and control characters
 * escaped; UTF-8 as it is, as jansson writes it); returns the end. At most
 * 2 + 6 * strlen(s) bytes. */
static char *put_str(char *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') *p++ = '\\', *p++ = (char)c;
        else if (c >= 0x20) *p++ = (char)c;
        else if (c == '\n') *p++ = '\\', *p++ = 'n';
        else if (c == '\t') *p++ = '\\', *p++ = 't';
        else if (c == '\r') *p++ = '\\', *p++ = 'r';
        else {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        }
    }
    *p++ = '"';
    return p;
}

static char *put_key(char *p, const char *k)
{
    *p++ = '"';
    size_t n = strlen(k);
    memcpy(p, k, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    return p;
}

/* Room for any document: every string of the struct escaped at six bytes a
 * byte, and numbers and keys in what is left (the struct's other bytes are
 * its numbers, each written in at most 20 digits, and keys are short). */
#define DOC_MAX (6 * sizeof(alarm) + 2048)

ws_err alarm_to_text(const alarm *a, buf *out)
{
    ws_err rc = buf_reserve(out, DOC_MAX);
    if (rc) return rc;
    char *p0 = out->data + out->len, *p = p0;
    memcpy(p, "{\"v\":1", 6);
    p += 6;
    for (size_t i = 0; i < NFIELDS; i++) {
        const fdesc *f = &FIELDS[i];
        const char *x = (const char *)a + f->off;
        *p++ = ',';
        p = put_key(p, f->name);
        switch (f->type) {
        case F_I64: p = put_int(p, *(const int64_t *)x); break;
        case F_I32: p = put_int(p, *(const int32_t *)x); break;
        case F_U8: p = put_int(p, *(const uint8_t *)x); break;
        case F_BOOL: {
            const char *b = *(const bool *)x ? "true" : "false";
            size_t n = strlen(b);
            memcpy(p, b, n);
            p += n;
            break;
        }
        default: p = put_str(p, x); break;
        }
    }
    *p++ = ',';
    p = put_key(p, "chain");
    *p++ = '[';
    for (int i = 0; i < a->chain.n && i < ALARM_ESC_MAX; i++) {
        if (i) *p++ = ',';
        *p++ = '{';
        p = put_key(p, "after_ms");
        p = put_int(p, a->chain.step[i].after_ms);
        *p++ = ',';
        p = put_key(p, "target");
        p = put_str(p, a->chain.step[i].target);
        *p++ = '}';
    }
    *p++ = ']';
    *p++ = ',';
    p = put_key(p, "flap");
    *p++ = '[';
    for (int i = 0; i < a->flap_n && i < ALARM_FLAP_MAX; i++) {
        if (i) *p++ = ',';
        p = put_int(p, a->flap[i]);
    }
    memcpy(p, "]}", 2);
    p += 2;
    out->len += (size_t)(p - p0);
    out->data[out->len] = 0;
    return WS_OK;
}

static ws_err int_in(const json_t *v, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v)) return ws_fail(WS_EINVAL, name, "%s must be an integer", name);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return ws_fail(WS_EINVAL, name, "%s must be in %lld..%lld", name, (long long)lo,
                       (long long)hi);
    *out = (int64_t)x;
    return WS_OK;
}

static ws_err str_in(const json_t *v, const char *name, char *dst, size_t cap)
{
    if (!json_is_string(v)) return ws_fail(WS_EINVAL, name, "%s must be a string", name);
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n >= cap) return ws_fail(WS_EINVAL, name, "%s is longer than %zu bytes", name, cap - 1);
    if (memchr(s, 0, n)) return ws_fail(WS_EINVAL, name, "%s contains NUL", name);
    memcpy(dst, s, n + 1);
    return WS_OK;
}

static ws_err chain_in(const json_t *v, alarm_chain *c)
{
    if (!json_is_array(v) || json_array_size(v) > ALARM_ESC_MAX)
        return ws_fail(WS_EINVAL, "chain", "chain must be an array of at most %d steps",
                       ALARM_ESC_MAX);
    c->n = (int)json_array_size(v);
    for (int i = 0; i < c->n; i++) {
        const json_t *s = json_array_get(v, (size_t)i);
        if (!json_is_object(s) || json_object_size(s) != 2)
            return ws_fail(WS_EINVAL, "chain", "chain[%d] must be {after_ms, target}", i);
        ws_err rc = int_in(json_object_get(s, "after_ms"), "chain.after_ms", 0,
                           366 * 86400000LL, &c->step[i].after_ms);
        if (!rc)
            rc = str_in(json_object_get(s, "target"), "chain.target", c->step[i].target,
                        sizeof c->step[i].target);
        if (rc) return rc;
    }
    return WS_OK;
}

ws_err alarm_from_json(const json_t *j, alarm *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j)) return ws_fail(WS_EINVAL, "alarm", "an alarm must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        bool known = !strcmp(key, "v") || !strcmp(key, "chain") || !strcmp(key, "flap");
        for (size_t i = 0; !known && i < NFIELDS; i++) known = !strcmp(key, FIELDS[i].name);
        if (!known) return ws_fail(WS_EINVAL, key, "unknown field %s", key);
    }
    int64_t ver = 0;
    ws_err rc = int_in(json_object_get(j, "v"), "v", 1, 1, &ver);
    if (rc) return rc;
    for (size_t i = 0; i < NFIELDS; i++) {
        const fdesc *f = &FIELDS[i];
        json_t *x = json_object_get(j, f->name);
        char *p = (char *)out + f->off;
        if (!x) return ws_fail(WS_EINVAL, f->name, "%s is missing", f->name);
        int64_t n = 0;
        switch (f->type) {
        case F_BOOL:
            if (!json_is_boolean(x))
                return ws_fail(WS_EINVAL, f->name, "%s must be true or false", f->name);
            *(bool *)p = json_is_true(x);
            break;
        case F_STR:
            rc = str_in(x, f->name, p, f->cap);
            if (rc) return rc;
            break;
        default:
            rc = int_in(x, f->name, f->min, f->max, &n);
            if (rc) return rc;
            if (f->type == F_I64) *(int64_t *)p = n;
            else if (f->type == F_I32) *(int32_t *)p = (int32_t)n;
            else *(uint8_t *)p = (uint8_t)n;
        }
    }
    json_t *ch = json_object_get(j, "chain");
    if (!ch) return ws_fail(WS_EINVAL, "chain", "chain is missing");
    rc = chain_in(ch, &out->chain);
    if (rc) return rc;
    json_t *fl = json_object_get(j, "flap");
    if (!json_is_array(fl) || json_array_size(fl) > ALARM_FLAP_MAX)
        return ws_fail(WS_EINVAL, "flap", "flap must be an array of at most %d times",
                       ALARM_FLAP_MAX);
    out->flap_n = (int32_t)json_array_size(fl);
    for (int i = 0; i < out->flap_n; i++) {
        rc = int_in(json_array_get(fl, (size_t)i), "flap", 1, INT64_MAX, &out->flap[i]);
        if (rc) return rc;
    }
    if (alarm_check(out, 0)) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", ws_err_message());
        return ws_fail(WS_EINVAL, "alarm", "inconsistent alarm: %s", msg);
    }
    return WS_OK;
}
