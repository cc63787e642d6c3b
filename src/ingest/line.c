/* line.c — the compact line format of ingestion (TAG VALUE [TIME] [QUALITY],
 * one reading per line; see ingest.h and docs/internals/ingest.md) and the
 * pieces every text decoder shares: error lists, tag check, the
 * locale-free decimal parser and the date-time parser.
 *
 * The hot path (ingest_line_decode) makes one pass over the bytes: memchr
 * for the line end, a table for tag bytes, Clinger's fast path for the
 * value (a mantissa below 2^53 and a power of ten up to 22 are both exact
 * doubles, so one multiply or divide is correctly rounded, as strtod is);
 * other numbers go to strtod_l in the C locale, so a server started with
 * LC_NUMERIC=de_DE still reads "12.5" as 12.5. Nothing is allocated. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ingest/ingest.h"

/* ------------------------------------------------------------- reasons */

static const char *const reason_names[INGEST_E_REASON_COUNT] = {
    "none", "tag_missing", "tag_long", "tag_char", "value_missing", "value_syntax",
    "value_range", "value_nan", "time_syntax", "time_range", "time_gap", "quality",
    "extra", "utf8", "syntax", "duplicate_key", "unknown_key", "type", "depth",
    "columns", "too_long", "header",
};

static const char *const reason_texts[INGEST_E_REASON_COUNT] = {
    "no error",
    "the tag is missing",
    "the tag is longer than 63 bytes",
    "the tag has a byte outside A-Z a-z 0-9 _ . : / -",
    "the value is missing",
    "the value is not a decimal number",
    "the value does not fit a double",
    "NaN or null needs quality bad or stale",
    "the time is not in a form this format accepts",
    "the time is out of range (1970 to 9999) or not a real date",
    "the local time does not exist in the zone (daylight saving gap)",
    "the quality is not 0..3 or good/uncertain/bad/stale",
    "unexpected extra fields",
    "the text is not valid UTF-8",
    "malformed input",
    "a key is given twice",
    "unknown key",
    "the value has the wrong type",
    "nested too deeply",
    "the row has more cells than the header",
    "the line is too long",
    "bad header row",
};

const char *ingest_reason_name(ingest_reason r)
{
    return (unsigned)r < INGEST_E_REASON_COUNT ? reason_names[r] : "unknown";
}

const char *ingest_reason_text(ingest_reason r)
{
    return (unsigned)r < INGEST_E_REASON_COUNT ? reason_texts[r] : "unknown";
}

void ingest_errors_init(ingest_errors *e)
{
    memset(e, 0, sizeof *e);
}

void ingest_errors_add(ingest_errors *e, size_t line, size_t offset, ingest_reason r,
                       const char *path)
{
    e->count++;
    if (e->nsample >= INGEST_ERR_SAMPLES) return;
    ingest_error *s = &e->sample[e->nsample++];
    s->line = line;
    s->offset = offset;
    s->reason = r;
    snprintf(s->path, sizeof s->path, "%s", path ? path : "");
}

/* ---------------------------------------------------------------- tags */

/* 1 for [A-Za-z0-9_.:/-]. */
static const unsigned char tagc[256] = {
    ['-'] = 1, ['.'] = 1, ['/'] = 1, [':'] = 1, ['_'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

ingest_reason ingest_tag_check(const char *s, size_t n)
{
    if (n == 0) return INGEST_E_TAG_MISSING;
    for (size_t i = 0; i < n; i++)
        if (!tagc[(unsigned char)s[i]]) return INGEST_E_TAG_CHAR;
    if (n > WS_TAG_MAX) return INGEST_E_TAG_LONG;
    return INGEST_E_NONE;
}

/* ------------------------------------------------------------- numbers */

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

#define NUM_TEXT_MAX 400

ingest_reason ingest_parse_double(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    uint64_t w = 0;
    int nd = 0;       /* significant digits in w */
    bool slow = false; /* more than 19 significant digits */
    int e10 = 0;
    size_t digits = 0;
    for (; i < n && (unsigned)(s[i] - '0') < 10; i++, digits++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (nd < 19) {
            w = w * 10 + d;
            if (w) nd++;
        } else {
            slow = true;
        }
    }
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && (unsigned)(s[i] - '0') < 10; i++, digits++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (nd < 19) {
                w = w * 10 + d;
                if (w) nd++;
                e10--;
            } else {
                slow = true;
            }
        }
    }
    if (digits == 0) return INGEST_E_VALUE_SYNTAX;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i == n || (unsigned)(s[i] - '0') >= 10) return INGEST_E_VALUE_SYNTAX;
        int x = 0;
        for (; i < n && (unsigned)(s[i] - '0') < 10; i++)
            if (x < 100000) x = x * 10 + (s[i] - '0');
        e10 += eneg ? -x : x;
    }
    if (i != n) return INGEST_E_VALUE_SYNTAX;
    if (!slow) {
        if (w == 0) {
            *out = neg ? -0.0 : 0.0;
            return INGEST_E_NONE;
        }
        if (w <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
            double v = (double)w;
            v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
            *out = neg ? -v : v;
            return INGEST_E_NONE;
        }
    }
    /* Rare: long mantissas, large exponents. strtod_l in the C locale. */
    if (n > NUM_TEXT_MAX) return INGEST_E_VALUE_SYNTAX;
    char tmp[NUM_TEXT_MAX + 1];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    pthread_once(&c_locale_once, c_locale_init);
    if (!c_locale) return INGEST_E_VALUE_SYNTAX;
    char *end = NULL;
    double v = strtod_l(tmp, &end, c_locale);
    if (end != tmp + n) return INGEST_E_VALUE_SYNTAX;
    if (isinf(v)) return INGEST_E_VALUE_RANGE;
    *out = v;
    return INGEST_E_NONE;
}

/* --------------------------------------------------------------- times */

static bool dig(const char *s, size_t n, size_t at, size_t count, int *v)
{
    if (at + count > n) return false;
    int x = 0;
    for (size_t k = 0; k < count; k++) {
        unsigned d = (unsigned)(s[at + k] - '0');
        if (d >= 10) return false;
        x = x * 10 + (int)d;
    }
    *v = x;
    return true;
}

ingest_reason ingest_parse_datetime(const char *s, size_t n, int64_t *ms, bool *has_off,
                                    int *off_min)
{
    int y, mo, d, h, mi, sec = 0, frac = 0;
    *has_off = false;
    *off_min = 0;
    if (!dig(s, n, 0, 4, &y) || n < 10 || (s[4] != '-' && s[4] != '/') || s[7] != s[4])
        return INGEST_E_TIME_SYNTAX;
    if (!dig(s, n, 5, 2, &mo) || !dig(s, n, 8, 2, &d)) return INGEST_E_TIME_SYNTAX;
    if (n < 16 || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':')
        return INGEST_E_TIME_SYNTAX;
    if (!dig(s, n, 11, 2, &h) || !dig(s, n, 14, 2, &mi)) return INGEST_E_TIME_SYNTAX;
    size_t i = 16;
    if (i < n && s[i] == ':') {
        if (!dig(s, n, i + 1, 2, &sec)) return INGEST_E_TIME_SYNTAX;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            size_t k = 0;
            for (; i < n && (unsigned)(s[i] - '0') < 10 && k < 9; i++, k++)
                if (k < 3) frac = frac * 10 + (s[i] - '0');
            if (k == 0) return INGEST_E_TIME_SYNTAX;
            for (; k < 3; k++) frac *= 10;
        }
    }
    if (i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            *has_off = true;
        } else if (s[i] == '+' || s[i] == '-') {
            int oh, om;
            int sign = s[i] == '-' ? -1 : 1;
            if (!dig(s, n, i + 1, 2, &oh)) return INGEST_E_TIME_SYNTAX;
            size_t j = i + 3;
            if (j < n && s[j] == ':') j++;
            if (!dig(s, n, j, 2, &om) || j + 2 != n) return INGEST_E_TIME_SYNTAX;
            if (oh > 23 || om > 59) return INGEST_E_TIME_RANGE;
            *has_off = true;
            *off_min = sign * (oh * 60 + om);
        } else {
            return INGEST_E_TIME_SYNTAX;
        }
    }
    static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 60)
        return INGEST_E_TIME_RANGE;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return INGEST_E_TIME_RANGE;
    if (sec == 60) sec = 59; /* a leap second: POSIX time has none */
    int64_t days = clock_days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi) * INT64_C(60000) + sec * 1000 + frac;
    return INGEST_E_NONE;
}

/* ---------------------------------------------------------- the format */

static bool is_sp(char c)
{
    return c == ' ' || c == '\t';
}

static int quality_of(const char *s, size_t n)
{
    if (n == 1 && s[0] >= '0' && s[0] <= '3') return s[0] - '0';
    if (n == 4 && memcmp(s, "good", 4) == 0) return WS_Q_GOOD;
    if (n == 9 && memcmp(s, "uncertain", 9) == 0) return WS_Q_UNCERTAIN;
    if (n == 3 && memcmp(s, "bad", 3) == 0) return WS_Q_BAD;
    if (n == 5 && memcmp(s, "stale", 5) == 0) return WS_Q_STALE;
    return -1;
}

/* Decode one line p[0..n) (no LF, no CR) into r; 0 or the reason. */
static ingest_reason decode_line(const char *p, size_t n, ws_reading *r)
{
    size_t i = 0;
    size_t t0 = i;
    while (i < n && tagc[(unsigned char)p[i]]) i++;
    size_t tlen = i - t0;
    if (i < n && !is_sp(p[i])) return INGEST_E_TAG_CHAR;
    if (tlen > WS_TAG_MAX) return INGEST_E_TAG_LONG;
    /* tlen >= 1: the caller skipped blank lines and leading spaces. */
    while (i < n && is_sp(p[i])) i++;
    size_t v0 = i;
    while (i < n && !is_sp(p[i])) i++;
    size_t vlen = i - v0;
    if (vlen == 0) return INGEST_E_VALUE_MISSING;
    bool nan = false;
    double v = 0;
    if (vlen == 3 && (memcmp(p + v0, "NaN", 3) == 0 || memcmp(p + v0, "nan", 3) == 0)) {
        nan = true;
        v = NAN;
    } else {
        ingest_reason e = ingest_parse_double(p + v0, vlen, &v);
        if (e) return e;
    }
    while (i < n && is_sp(p[i])) i++;
    int64_t t = 0;
    int q = WS_Q_GOOD;
    if (i < n) {
        size_t s0 = i;
        while (i < n && !is_sp(p[i])) i++;
        if (!(i - s0 == 1 && p[s0] == '-')) {
            if (i - s0 > 15) {
                for (size_t k = s0; k < i; k++)
                    if ((unsigned)(p[k] - '0') >= 10) return INGEST_E_TIME_SYNTAX;
                return INGEST_E_TIME_RANGE;
            }
            for (size_t k = s0; k < i; k++) {
                unsigned d = (unsigned)(p[k] - '0');
                if (d >= 10) return INGEST_E_TIME_SYNTAX;
                t = t * 10 + d;
            }
            if (t > INGEST_MS_MAX) return INGEST_E_TIME_RANGE;
        }
        while (i < n && is_sp(p[i])) i++;
        if (i < n) {
            size_t q0 = i;
            while (i < n && !is_sp(p[i])) i++;
            q = quality_of(p + q0, i - q0);
            if (q < 0) return INGEST_E_QUALITY;
            while (i < n && is_sp(p[i])) i++;
            if (i < n) return INGEST_E_EXTRA;
        }
    }
    if (nan && q < WS_Q_BAD) return INGEST_E_VALUE_NAN;
    memcpy(r->tag, p + t0, tlen);
    r->tag[tlen] = 0;
    r->source_ms = t;
    r->value = v;
    r->quality = (uint8_t)q;
    return INGEST_E_NONE;
}

bool ingest_line_fast = true;

/* The fast path: the line at p (end: the buffer's end) when it is exactly
 * `TAG SP DIGITS[.DIGITS] [SP DIGITS]` with at most 15 digits in the value
 * and at most 15 in the time, ended by LF, CRLF or the buffer's end: what a
 * DCS gateway sends line after line. Decodes it into r in one pass (no line
 * search first, no second scan of the value) and returns the length of the
 * line with its end; 0 when the line is anything else, for decode_line to
 * judge. The results are those decode_line gives (a mantissa below 10^15 and
 * at most 15 decimals take Clinger's exact path there too); the unit test
 * and fuzz_line compare the two. */
static size_t fast_line(const char *p, const char *end, ws_reading *r)
{
    const char *q = p;
    while (q < end && tagc[(unsigned char)*q]) q++;
    size_t tlen = (size_t)(q - p);
    if (tlen == 0 || tlen > WS_TAG_MAX || q == end || *q != ' ') return 0;
    q++;
    bool neg = q < end && *q == '-';
    q += neg;
    uint64_t w = 0; /* unsigned: a run too long to fit wraps harmlessly, and is refused */
    int digits = 0, frac = 0;
    for (; q < end && (unsigned)(*q - '0') < 10; q++, digits++) w = w * 10 + (unsigned)(*q - '0');
    if (digits == 0) return 0;
    if (q < end && *q == '.') {
        q++;
        for (; q < end && (unsigned)(*q - '0') < 10; q++, frac++) w = w * 10 + (unsigned)(*q - '0');
        if (frac == 0) return 0;
    }
    if (digits + frac > 15) return 0;
    uint64_t t = 0;
    if (q < end && *q == ' ') {
        q++;
        const char *t0 = q;
        for (; q < end && (unsigned)(*q - '0') < 10; q++) t = t * 10 + (unsigned)(*q - '0');
        if (q == t0 || q - t0 > 15 || t > (uint64_t)INGEST_MS_MAX) return 0;
    }
    if (q < end && *q == '\r') q++; /* CRLF, or a CR ending the buffer (decode_line drops it too) */
    if (q < end && *q++ != '\n') return 0;
    double v = (double)w;
    if (frac) v /= pow10_exact[frac];
    r->value = neg ? -v : v;
    if (p + 16 <= end) { /* the tag: a fixed-size copy while the buffer has room */
        memcpy(r->tag, p, 16);
        if (tlen < 16) r->tag[tlen] = 0;
        else memcpy(r->tag, p, tlen), r->tag[tlen] = 0;
    } else {
        memcpy(r->tag, p, tlen);
        r->tag[tlen] = 0;
    }
    r->source_ms = (int64_t)t;
    r->quality = WS_Q_GOOD;
    return (size_t)(q - p);
}

ws_err ingest_line_decode_at(const char *buf, size_t len, size_t line_base, size_t offset_base,
                             ws_reading *out, size_t cap, size_t *n, ingest_errors *errs)
{
    size_t pos = 0, line = line_base, k = 0;
    while (pos < len) {
        const char *p = buf + pos;
        if (k < cap && ingest_line_fast) {
            size_t used = fast_line(p, buf + len, &out[k]);
            if (used) {
                line++;
                k++;
                pos += used;
                continue;
            }
        }
        const char *nl = memchr(p, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - p) : len - pos;
        size_t next = pos + ll + (nl ? 1 : 0);
        line++;
        size_t e = ll;
        if (e && p[e - 1] == '\r') e--;
        size_t s = 0;
        while (s < e && is_sp(p[s])) s++;
        if (s == e || p[s] == '#') {
            pos = next;
            continue;
        }
        if (k == cap) {
            *n = k;
            errs->full = true;
            errs->resume = offset_base + pos;
            return ws_fail(WS_ETOOBIG, "readings", "more than %zu readings (stopped at line %zu)",
                           cap, line);
        }
        ingest_reason r = decode_line(p + s, e - s, &out[k]);
        if (r) ingest_errors_add(errs, line, offset_base + pos, r, "");
        else k++;
        pos = next;
    }
    *n = k;
    return WS_OK;
}

ws_err ingest_line_decode(const char *buf, size_t len, ws_reading *out, size_t cap, size_t *n,
                          ingest_errors *errs)
{
    return ingest_line_decode_at(buf, len, 0, 0, out, cap, n, errs);
}
