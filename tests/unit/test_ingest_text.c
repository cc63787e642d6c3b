/* test_ingest_text.c — the text decoders of ingestion (src/ingest: line
 * format, JSON batch, CSV history): what a gateway sending them would check —
 * readings as sent, bad lines named by line and reason without stopping the
 * rest, the cap, exact decimals whatever the locale, time zones with DST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ingest/ingest.h"
#include "ledger/ledger.h"

/* 2026-11-28T10:00:00.123Z */
#define T_NOV INT64_C(1795860000123)

static ws_reading out[64];
static size_t n;
static ingest_errors errs;

static ws_err line(const char *s)
{
    ingest_errors_init(&errs);
    memset(out, 0, sizeof out);
    return ingest_line_decode(s, strlen(s), out, 64, &n, &errs);
}

/* Both paths of the line decoder over buf (fast: the one-pass path for the
 * common form, else every line through the general one) must agree on
 * everything: readings bit for bit, errors, where a full output stopped.
 * The text is copied to a block of its exact size, so that the sanitizer
 * sees any read past its end. */
static void same_both_ways(const char *input, size_t len, size_t cap)
{
    static ws_reading a[512], b[512];
    char *text = malloc(len ? len : 1);
    assert_non_null(text);
    memcpy(text, input, len);
    ingest_errors ea, eb;
    size_t na = 0, nb = 0;
    ingest_errors_init(&ea);
    ingest_errors_init(&eb);
    ingest_line_fast = true;
    ws_err ra = ingest_line_decode(text, len, a, cap, &na, &ea);
    ingest_line_fast = false;
    ws_err rb = ingest_line_decode(text, len, b, cap, &nb, &eb);
    ingest_line_fast = true;
    assert_int_equal(ra, rb);
    assert_int_equal(na, nb);
    assert_int_equal(ea.count, eb.count);
    assert_int_equal(ea.full, eb.full);
    assert_int_equal(ea.resume, eb.resume);
    for (size_t i = 0; i < ea.nsample; i++) {
        assert_int_equal(ea.sample[i].line, eb.sample[i].line);
        assert_int_equal(ea.sample[i].offset, eb.sample[i].offset);
        assert_int_equal(ea.sample[i].reason, eb.sample[i].reason);
    }
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(a[i].tag, b[i].tag);
        assert_memory_equal(&a[i].value, &b[i].value, sizeof a[i].value);
        assert_int_equal(a[i].source_ms, b[i].source_ms);
        assert_int_equal(a[i].quality, b[i].quality);
    }
    free(text);
}

static void pick(char *dst, size_t *len, const char *const *alts, size_t nalts, unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    const char *s = alts[(*seed >> 16) % nalts];
    memcpy(dst + *len, s, strlen(s));
    *len += strlen(s);
}

static void digits(char *dst, size_t *len, int max, unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    int k = (int)((*seed >> 16) % (unsigned)max);
    for (int i = 0; i <= k; i++) {
        *seed = *seed * 1103515245u + 12345u;
        dst[(*len)++] = (char)('0' + (*seed >> 16) % 10);
    }
}

/* Lines near the common form and around every edge of the fast path: digit
 * counts about 15 and 16, signs, exponents, NaN, tabs, double spaces, CR
 * alone and before LF, times at and past the range, qualities, comments,
 * blanks, junk, a missing last LF, long tags; and full outputs. */
static void test_line_fast_path_agrees(void **state)
{
    (void)state;
    static const char *const tags[] = {"P1", "FT-101.PV", "a/b:c_d", "", " P2", "x#", "TAG_ABCDEFGHIJKLMNOPQRSTU",
                                       "U3-GT-1234.PV", "ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOPQ",
                                       "Z123456789012345678901234567890", "Z1234567890123456789012345678901",
                                       "T2345678901234567890123456789012345678901234567890123456789012",
                                       "T23456789012345678901234567890123456789012345678901234567890123"};
    static const char *const seps[] = {" ", " ", " ", "  ", "\t", ""};
    static const char *const signs[] = {"", "", "", "-", "+", "--"};
    static const char *const mids[] = {"", "", ".", ".", "e3", ".e", "NaN", "nan", "x"};
    static const char *const tails[] = {"", " ", " -", " good", " 2", " bad", " 7", " stale extra", "\t"};
    static const char *const ends[] = {"\n", "\n", "\n", "\r\n", "\r", "\r\r\n", " \n", "\n\n", "\n# c\n"};
    char text[16384];
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        int lines = 1 + (int)(seed >> 20) % 40;
        for (int l = 0; l < lines && len < sizeof text - 400; l++) {
            pick(text, &len, tags, sizeof tags / sizeof *tags, &seed);
            pick(text, &len, seps, sizeof seps / sizeof *seps, &seed);
            pick(text, &len, signs, sizeof signs / sizeof *signs, &seed);
            digits(text, &len, 17, &seed);
            pick(text, &len, mids, sizeof mids / sizeof *mids, &seed);
            if (seed & 0x100) digits(text, &len, 17, &seed);
            if (seed & 0x200) {
                text[len++] = ' ';
                digits(text, &len, 17, &seed);
            }
            pick(text, &len, tails, sizeof tails / sizeof *tails, &seed);
            pick(text, &len, ends, sizeof ends / sizeof *ends, &seed);
        }
        if (seed & 0x400 && len) len--; /* no LF (or CR) at the end */
        same_both_ways(text, len, 512);
        same_both_ways(text, len, (size_t)(seed >> 24) % 8); /* full outputs, 0 included */
    }
    /* the edges, by hand */
    static const char *const edge[] = {
        "P1 123456789012345 1\n",     "P1 1234567890123456 1\n", "P1 1.23456789012345\n",
        "P1 0.000000000000001\n",      "P1 -0\n",                 "P1 -0.0 5\n",
        "P1 5 253402300799999\n",      "P1 5 253402300800000\n",  "P1 5 999999999999999\n",
        "P1 5 1000000000000000\n",     "P1 5 99999999999999999999999\n", "P1 5\r",
        "P1 5 1\r\n",                   "P1 1.\n",                 "P1 .5\n",
        "P1 5 -\n",                     "P1 5 12x\n",              "P1 5 12 3\n",
        "P1 00000000000000012.5 7\n",
    };
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) same_both_ways(edge[i], strlen(edge[i]), 8);
    /* and what the fast path reads, read right */
    assert_int_equal(line("FT-101.PV -12.25 1795860000123\r\nP2 3\n"), WS_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].tag, "FT-101.PV");
    assert_true(out[0].value == -12.25);
    assert_int_equal(out[0].source_ms, T_NOV);
    assert_int_equal(out[1].source_ms, 0);
    assert_true(out[1].value == 3);
}

/* Edges of the fast path: every byte value in every kind of tag position
 * (first, inside, last, at the 8- and 16-byte word edges, the 63rd and 64th
 * byte), and lines at every distance from the buffer's end, must come out
 * as the general path has them (and, under ASan, read nothing past it). */
static void test_line_fast_path_edges(void **state)
{
    (void)state;
    static const size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 62, 63, 64, 65};
    char text[256];
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        size_t L = lens[li];
        size_t at[] = {0, L / 2, L - 1};
        for (size_t ai = 0; ai < 3; ai++)
            for (int c = 0; c < 256; c++) {
                memset(text, 'T', L);
                text[at[ai]] = (char)c;
                memcpy(text + L, " 12.5 1795860000123\nP2 1\n", 26);
                same_both_ways(text, L + 26, 8);
                same_both_ways(text, L + 19, 8); /* the line alone, no LF */
            }
    }
    static const char *const lines[] = {
        "U3-GT-1234.PV -4.125 1795860000123\n", "P1 5 12345678\n", "P1 5 123456789\n", "P1 5 1234567\n",
        "P1 0.1234567 1\r\n", "P1 12345678.1234567 1\n", "P1 5 1795860000123", "P1 5 1795860000123\r",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_ -123456789012345 253402300799999\n",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_ 1.23456789012345 253402300800000\n",
        "P1 5 \n", "P1 5 1 \n", "P1 5 1x\n", "P1 5.\n", "P1 .5\n", "P1 -\n", "P1 5 12345678x\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        size_t ll = strlen(lines[i]);
        for (size_t tail = 0; tail < 140; tail++) { /* then a comment line of tail bytes */
            memcpy(text, lines[i], ll);
            size_t len = ll;
            if (tail) {
                text[len++] = '\n';
                memset(text + len, '#', tail - 1);
                len += tail - 1;
            }
            same_both_ways(text, len, 8);
        }
    }
}

static ws_err batch(const char *s)
{
    ingest_errors_init(&errs);
    memset(out, 0, sizeof out);
    return ingest_batch_decode(s, strlen(s), out, 64, &n, &errs);
}

static void test_days(void **state)
{
    (void)state;
    assert_int_equal(clock_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(clock_days_from_civil(2000, 3, 1), 11017);
    int64_t ms;
    bool off;
    int om;
    assert_int_equal(ingest_parse_datetime("2026-11-28T10:00:00.123Z", 24, &ms, &off, &om), 0);
    assert_true(off);
    assert_int_equal(ms, T_NOV);
    assert_int_equal(ingest_parse_datetime("2026-02-29 10:00", 16, &ms, &off, &om),
                     INGEST_E_TIME_RANGE);
    assert_int_equal(ingest_parse_datetime("2026-11-28 10:00:00+08:00", 25, &ms, &off, &om), 0);
    assert_int_equal(om, 480);
}

static void test_exact_floats(void **state)
{
    (void)state;
    double v;
    const char *cases[] = {"0.1", "12.5", "-0", "1e308", "4.9e-324", "2.2250738585072014e-308",
                           "123456789012345678901234567890", "0.30000000000000004",
                           "9007199254740993", "1.7976931348623157e308", ".5", "5.", "1E-5"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(ingest_parse_double(cases[i], strlen(cases[i]), &v), 0);
        double want = strtod(cases[i], NULL);
        assert_memory_equal(&v, &want, sizeof v);
    }
    assert_int_equal(ingest_parse_double("0.1", 3, &v), 0);
    assert_true(v == 0.1);
    assert_int_equal(ingest_parse_double("-0", 2, &v), 0);
    assert_true(v == 0 && signbit(v));
    assert_int_equal(ingest_parse_double("1e309", 5, &v), INGEST_E_VALUE_RANGE);
    const char *bad[] = {"", "-", "1e", "0x10", "inf", "NaN", "1,5", " 1", "1 ", "1e+", ".", "+-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ingest_parse_double(bad[i], strlen(bad[i]), &v), INGEST_E_VALUE_SYNTAX);
}

/* A German numeric locale must not turn "12.5" into 12 (strtod would). */
static void test_locale_independent(void **state)
{
    (void)state;
    if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && !setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
        skip();
        return;
    }
    double v;
    assert_int_equal(ingest_parse_double("12.5", 4, &v), 0);
    assert_true(v == 12.5);
    assert_int_equal(ingest_parse_double("1.00000000000000000000001", 25, &v), 0);
    assert_true(v == 1.0);
    setlocale(LC_NUMERIC, "C");
}

static void test_line_happy(void **state)
{
    (void)state;
    assert_int_equal(line("GT-101 12.5\n"
                          "# a comment\n"
                          "\n"
                          "PI-2001.PV\t-0.1 1795860000123\r\n"
                          "unit1/TT:3 7 - uncertain\n"
                          "FT_9 NaN 1795860000123 bad\n"
                          "LT-1 1e3 1795860000123 3"),
                     WS_OK);
    assert_int_equal(n, 5);
    assert_int_equal(errs.count, 0);
    assert_string_equal(out[0].tag, "GT-101");
    assert_true(out[0].value == 12.5);
    assert_int_equal(out[0].source_ms, 0);
    assert_int_equal(out[0].quality, WS_Q_GOOD);
    assert_string_equal(out[1].tag, "PI-2001.PV");
    assert_true(out[1].value == -0.1);
    assert_int_equal(out[1].source_ms, T_NOV);
    assert_string_equal(out[2].tag, "unit1/TT:3");
    assert_int_equal(out[2].quality, WS_Q_UNCERTAIN);
    assert_true(isnan(out[3].value));
    assert_int_equal(out[3].quality, WS_Q_BAD);
    assert_int_equal(out[4].quality, WS_Q_STALE);
    assert_true(out[4].value == 1000);
}

static void test_line_bad(void **state)
{
    (void)state;
    char longtag[80];
    memset(longtag, 'A', 64);
    strcpy(longtag + 64, " 1\n");
    struct {
        const char *text;
        ingest_reason why;
    } cases[] = {
        {"GT-101\n", INGEST_E_VALUE_MISSING},
        {"GT-101 abc\n", INGEST_E_VALUE_SYNTAX},
        {"GT-101 12,5\n", INGEST_E_VALUE_SYNTAX},
        {"GT-101 1e999\n", INGEST_E_VALUE_RANGE},
        {"GT-101 NaN\n", INGEST_E_VALUE_NAN},
        {"GT-101 NaN 0 good\n", INGEST_E_VALUE_NAN},
        {"GT-101 inf\n", INGEST_E_VALUE_SYNTAX},
        {"GT-101 1 12:00\n", INGEST_E_TIME_SYNTAX},
        {"GT-101 1 -5\n", INGEST_E_TIME_SYNTAX},
        {"GT-101 1 9999999999999999\n", INGEST_E_TIME_RANGE},
        {"GT-101 1 1 ok\n", INGEST_E_QUALITY},
        {"GT-101 1 1 0 extra\n", INGEST_E_EXTRA},
        {"可燃气 1\n", INGEST_E_TAG_CHAR},
        {"GT,101 1\n", INGEST_E_TAG_CHAR},
        {longtag, INGEST_E_TAG_LONG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(line(cases[i].text), WS_OK);
        assert_int_equal(n, 0);
        assert_int_equal(errs.count, 1);
        assert_int_equal(errs.sample[0].reason, cases[i].why);
        assert_int_equal(errs.sample[0].line, 1);
    }
    /* Bad lines never stop the batch: line numbers and offsets of each. */
    assert_int_equal(line("A 1\nB x\nC 3\n\nD\nE 5\n"), WS_OK);
    assert_int_equal(n, 3);
    assert_string_equal(out[2].tag, "E");
    assert_int_equal(errs.count, 2);
    assert_int_equal(errs.sample[0].line, 2);
    assert_int_equal(errs.sample[0].offset, 4);
    assert_int_equal(errs.sample[0].reason, INGEST_E_VALUE_SYNTAX);
    assert_int_equal(errs.sample[1].line, 5);
    assert_int_equal(errs.sample[1].reason, INGEST_E_VALUE_MISSING);
    assert_string_equal(ingest_reason_name(errs.sample[1].reason), "value_missing");
}

static void test_line_samples_and_cap(void **state)
{
    (void)state;
    char big[4096] = "";
    for (int i = 0; i < 40; i++) strcat(big, "X bad\n");
    assert_int_equal(line(big), WS_OK);
    assert_int_equal(errs.count, 40);
    assert_int_equal(errs.nsample, INGEST_ERR_SAMPLES);
    assert_int_equal(errs.sample[INGEST_ERR_SAMPLES - 1].line, INGEST_ERR_SAMPLES);
    /* The cap: stop, say where, resume from there. */
    const char *s = "A 1\nB 2\nC 3\nD 4\n";
    ingest_errors_init(&errs);
    assert_int_equal(ingest_line_decode(s, strlen(s), out, 3, &n, &errs), WS_ETOOBIG);
    assert_int_equal(n, 3);
    assert_true(errs.full);
    assert_int_equal(errs.resume, 12);
    ingest_errors_init(&errs);
    assert_int_equal(ingest_line_decode_at(s + 12, strlen(s) - 12, 3, 12, out, 3, &n, &errs),
                     WS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].tag, "D");
}

static void test_batch_happy(void **state)
{
    (void)state;
    assert_int_equal(
        batch("{\"readings\":[{\"tag\":\"GT-101\",\"value\":12.5,\"t\":\"2026-11-28T10:00:00.123Z\","
              "\"q\":0},\n {\"value\":0.1,\"tag\":\"GT\\u002d102\",\"t\":1795860000123},"
              "{\"tag\":\"X\",\"value\":null,\"q\":2},"
              "{\"tag\":\"Y\",\"value\":1,\"t\":\"2026-11-28T18:00:00.123+08:00\"}],"
              "\"series\":[{\"tag\":\"S1\",\"t0\":1000,\"dt\":500,\"values\":[1,null,3]}]}"),
        WS_OK);
    assert_int_equal(errs.count, 0);
    assert_int_equal(n, 6);
    assert_string_equal(out[0].tag, "GT-101");
    assert_int_equal(out[0].source_ms, T_NOV);
    assert_string_equal(out[1].tag, "GT-102");
    assert_true(out[1].value == 0.1);
    assert_true(isnan(out[2].value));
    assert_int_equal(out[3].source_ms, T_NOV);
    assert_string_equal(out[4].tag, "S1");
    assert_int_equal(out[4].source_ms, 1000);
    assert_true(out[5].value == 3);
    assert_int_equal(out[5].source_ms, 2000);
    assert_int_equal(batch("{}"), WS_OK);
    assert_int_equal(n, 0);
}

static void test_batch_bad(void **state)
{
    (void)state;
    struct {
        const char *text;
        const char *path;
        ingest_reason why;
    } cases[] = {
        {"{\"tag\":\"A\",\"tag\":\"B\",\"value\":1}", "readings[1].tag", INGEST_E_DUP_KEY},
        {"{\"tag\":\"A\",\"value\":\"1\"}", "readings[1].value", INGEST_E_TYPE},
        {"{\"tag\":\"A\",\"value\":1,\"unit\":\"%\"}", "readings[1]", INGEST_E_UNKNOWN_KEY},
        {"{\"tag\":\"A\\u00e9\",\"value\":1}", "readings[1].tag", INGEST_E_TAG_CHAR},
        {"{\"tag\":\"A\xff\",\"value\":1}", "readings[1].tag", INGEST_E_UTF8},
        {"{\"tag\":\"A\\ud800\",\"value\":1}", "readings[1].tag", INGEST_E_UTF8},
        {"{\"tag\":\"A\",\"value\":null}", "readings[1].value", INGEST_E_VALUE_NAN},
        {"{\"tag\":\"A\",\"value\":1e400}", "readings[1].value", INGEST_E_VALUE_RANGE},
        {"{\"tag\":\"A\",\"value\":1,\"t\":\"2026-11-28T10:00:00\"}", "readings[1].t",
         INGEST_E_TIME_SYNTAX},
        {"{\"tag\":\"A\",\"value\":1,\"q\":4}", "readings[1].q", INGEST_E_QUALITY},
        {"{\"value\":1}", "readings[1].tag", INGEST_E_TAG_MISSING},
        {"[1]", "readings[1]", INGEST_E_TYPE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char doc[256];
        snprintf(doc, sizeof doc,
                 "{\"readings\":[{\"tag\":\"OK\",\"value\":1},\n%s,{\"tag\":\"OK2\",\"value\":2}]}",
                 cases[i].text);
        assert_int_equal(batch(doc), WS_OK);
        assert_int_equal(n, 2);
        assert_string_equal(out[1].tag, "OK2");
        assert_int_equal(errs.count, 1);
        assert_string_equal(errs.sample[0].path, cases[i].path);
        assert_int_equal(errs.sample[0].reason, cases[i].why);
        assert_int_equal(errs.sample[0].line, 2);
    }
    /* A series value of the wrong type is skipped alone. */
    assert_int_equal(
        batch("{\"series\":[{\"tag\":\"S\",\"t0\":0,\"dt\":1000,\"values\":[1,\"x\",3]}]}"),
        WS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[1].source_ms, 2000);
    assert_string_equal(errs.sample[0].path, "series[0].values[1]");
    /* Malformed documents are refused whole. */
    const char *fatal[] = {"", "[]", "{\"readings\":[{\"tag\":\"A\",\"value\":1}", "{\"x\":1}",
                           "{\"readings\":[],\"readings\":[]}", "{\"readings\":[{\"tag\":01}]}",
                           "{\"readings\":[{\"tag\":\"A\",\"value\":1}]} x",
                           "{\"readings\":[{\"tag\":\"A\",\"value\":1,\"v\":[[[[[[[[[[[[[[[[[["
                           "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}"};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) {
        assert_int_equal(batch(fatal[i]), WS_EINVAL);
        assert_int_equal(n, 0);
        assert_true(errs.count >= 1);
    }
    /* The cap. */
    ingest_errors_init(&errs);
    const char *three = "{\"readings\":[{\"tag\":\"A\",\"value\":1},{\"tag\":\"B\",\"value\":1},"
                        "{\"tag\":\"C\",\"value\":1}]}";
    assert_int_equal(ingest_batch_decode(three, strlen(three), out, 2, &n, &errs), WS_ETOOBIG);
    assert_int_equal(n, 2);
    assert_true(errs.full);
}

/* ------------------------------------------------------------------ CSV */

static ws_reading got[256];
static size_t ngot;
static uint64_t last_done, last_total;

static ws_err sink(void *ctx, const ws_reading *r, size_t k)
{
    (void)ctx;
    for (size_t i = 0; i < k && ngot < 256; i++) got[ngot++] = r[i];
    return WS_OK;
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
    (void)ctx;
    last_done = done;
    last_total = total;
}

/* Feeds s in pieces of `step` bytes. */
static ws_err csv(const char *s, size_t len, const char *tz, int offset_min, size_t step)
{
    ingest_csv_opts o = {.tz = tz, .tz_offset = tz ? ledger_tz_offset : NULL,
                         .offset_min = offset_min, .sink = sink, .progress = progress,
                         .total = len};
    ngot = 0;
    ingest_errors_init(&errs);
    ingest_csv *c = ingest_csv_new(&o);
    assert_non_null(c);
    ws_err rc = WS_OK;
    for (size_t i = 0; i < len && !rc; i += step)
        rc = ingest_csv_feed(c, s + i, len - i < step ? len - i : step, &errs);
    if (!rc) rc = ingest_csv_finish(c, &errs);
    ingest_csv_free(c);
    return rc;
}

static void test_csv_wide(void **state)
{
    (void)state;
    const char *s = "\xEF\xBB\xBF时间,GT-101 可燃气 %LEL,\"PT-2(MPa)\",,TT-3\r\n"
                    "2026-11-28 18:00:00.123,12.5,0.1,note,\r\n"
                    "2026/11/28 18:00:01,,0.2,,-3\r\n"
                    "2026-11-28 18:00:02,x,0.3,,\r\n"
                    "bad time,1,2,,3\r\n"
                    "2026-11-28T10:00:03Z,1,2,,3,9\r\n"
                    "\r\n"
                    "2026-11-28T10:00:04Z,4,\"5\",,";
    for (size_t step = 1; step <= strlen(s); step += strlen(s) - 1) {
        assert_int_equal(csv(s, strlen(s), NULL, 480, step), WS_OK);
        assert_int_equal(ngot, 7);
        assert_string_equal(got[0].tag, "GT-101");
        assert_int_equal(got[0].source_ms, T_NOV);
        assert_true(got[0].value == 12.5);
        assert_string_equal(got[1].tag, "PT-2");
        assert_true(got[1].value == 0.1);
        assert_string_equal(got[3].tag, "TT-3");
        assert_int_equal(got[3].source_ms, T_NOV - 123 + 1000);
        assert_string_equal(got[4].tag, "PT-2");
        assert_int_equal(got[5].source_ms, T_NOV - 123 + 4000);
        assert_int_equal(errs.count, 3);
        assert_int_equal(errs.sample[0].line, 4);
        assert_string_equal(errs.sample[0].path, "GT-101");
        assert_int_equal(errs.sample[0].reason, INGEST_E_VALUE_SYNTAX);
        assert_int_equal(errs.sample[1].line, 5);
        assert_int_equal(errs.sample[1].reason, INGEST_E_TIME_SYNTAX);
        assert_int_equal(errs.sample[2].line, 6);
        assert_int_equal(errs.sample[2].reason, INGEST_E_COLUMNS);
        assert_int_equal(last_done, strlen(s));
        assert_int_equal(last_total, strlen(s));
    }
}

static void test_csv_long_gbk(void **state)
{
    (void)state;
    /* "位号,时间,值,质量" in GBK. */
    const char *s = "\xce\xbb\xba\xc5,\xca\xb1\xbc\xe4,\xd6\xb5,\xd6\xca\xc1\xbf\n"
                    "GT-101,1795860000123,12.5,good\n"
                    "GT-102,2026-11-28 18:00:00.123,NaN,bad\n"
                    "GT-103,2026-11-28 18:00:00.123,NaN,\n"
                    "GT 104,2026-11-28 18:00:00.123,1,\n";
    assert_int_equal(csv(s, strlen(s), "Asia/Shanghai", 0, 7), WS_OK);
    assert_int_equal(ngot, 2);
    assert_string_equal(got[1].tag, "GT-102");
    assert_int_equal(got[1].source_ms, T_NOV);
    assert_true(isnan(got[1].value));
    assert_int_equal(got[1].quality, WS_Q_BAD);
    assert_int_equal(errs.count, 2);
    assert_int_equal(errs.sample[0].reason, INGEST_E_VALUE_NAN);
    assert_int_equal(errs.sample[0].line, 4);
    assert_int_equal(errs.sample[1].reason, INGEST_E_TAG_CHAR);
}

/* Europe/Berlin: 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25
 * 03:00 CEST falls back to 02:00 CET. */
static void test_csv_dst(void **state)
{
    (void)state;
    const char *s = "time,value,tag\n"
                    "2026-03-29 01:59:00,1,A\n"  /* CET: 00:59Z */
                    "2026-03-29 02:30:00,2,A\n"  /* does not exist */
                    "2026-03-29 03:00:00,3,A\n"  /* CEST: 01:00Z */
                    "2026-10-25 02:30:00,4,A\n"  /* twice: the first, CEST, 00:30Z */
                    "2026-10-25 03:30:00,5,A\n"  /* CET: 02:30Z */
                    "2026-07-01 12:00:00+00:00,6,A\n";
    assert_int_equal(csv(s, strlen(s), "Europe/Berlin", 0, 4096), WS_OK);
    int64_t d0329 = clock_days_from_civil(2026, 3, 29) * 86400000;
    int64_t d1025 = clock_days_from_civil(2026, 10, 25) * 86400000;
    assert_int_equal(ngot, 5);
    assert_int_equal(got[0].source_ms, d0329 + 59 * 60000);
    assert_int_equal(got[1].source_ms, d0329 + 3600000);
    assert_int_equal(got[2].source_ms, d1025 + 30 * 60000);
    assert_int_equal(got[3].source_ms, d1025 + 150 * 60000);
    assert_int_equal(got[4].source_ms, clock_days_from_civil(2026, 7, 1) * 86400000 + 43200000);
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.sample[0].reason, INGEST_E_TIME_GAP);
    assert_int_equal(errs.sample[0].line, 3);
}

static void test_csv_header_and_limits(void **state)
{
    (void)state;
    assert_int_equal(csv("", 0, NULL, 0, 1), WS_EINVAL);
    const char *badcol = "time,GT-101,=SUM(A1)\n2026-11-28 10:00,1,2\n";
    assert_int_equal(csv(badcol, strlen(badcol), NULL, 0, 5), WS_EINVAL);
    assert_int_equal(ngot, 0);
    assert_int_equal(errs.sample[0].reason, INGEST_E_HEADER);
    const char *dup = "time,A,A\n";
    assert_int_equal(csv(dup, strlen(dup), NULL, 0, 5), WS_EINVAL);
    /* Wide exports have hundreds of tag columns. */
    char wide[4096] = "time";
    for (int i = 0; i < 300; i++) sprintf(wide + strlen(wide), ",T%d", i);
    strcat(wide, "\n1000");
    for (int i = 0; i < 300; i++) strcat(wide, i == 299 ? ",7" : ",");
    assert_int_equal(csv(wide, strlen(wide), NULL, 0, 100), WS_OK);
    assert_int_equal(ngot, 1);
    assert_string_equal(got[0].tag, "T299");
    /* An over-long row is one error; the rows after it still count. */
    size_t big = INGEST_CSV_MAX_ROW + 100;
    char *s = malloc(big + 64);
    assert_non_null(s);
    strcpy(s, "time,A\n1000,");
    size_t k = strlen(s);
    memset(s + k, '1', big);
    k += big;
    strcpy(s + k, "\n2000,2\n");
    assert_int_equal(csv(s, strlen(s), NULL, 0, 65536), WS_OK);
    assert_int_equal(ngot, 1);
    assert_int_equal(got[0].source_ms, 2000);
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.sample[0].reason, INGEST_E_TOO_LONG);
    assert_int_equal(errs.sample[0].line, 2);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_exact_floats),
        cmocka_unit_test(test_locale_independent),
        cmocka_unit_test(test_line_happy),
        cmocka_unit_test(test_line_bad),
        cmocka_unit_test(test_line_samples_and_cap),
        cmocka_unit_test(test_line_fast_path_agrees),
        cmocka_unit_test(test_line_fast_path_edges),
        cmocka_unit_test(test_batch_happy),
        cmocka_unit_test(test_batch_bad),
        cmocka_unit_test(test_csv_wide),
        cmocka_unit_test(test_csv_long_gbk),
        cmocka_unit_test(test_csv_dst),
        cmocka_unit_test(test_csv_header_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
