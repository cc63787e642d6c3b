/* fuzz_line.c — libFuzzer target for the compact line format
 * (src/ingest/line.c): arbitrary bytes never crash the decoder, every
 * reading it returns is well formed (tag of [A-Za-z0-9_.:/-]{1,63}, NaN only
 * with quality bad/stale, time in range) and the error count plus readings
 * never exceed the lines. A small cap exercises the stop-and-resume path.
 * The one-pass path for the common form and the general one must agree
 * bit for bit (ingest_line_fast off for the second decode).
 *   make build/fuzz/fuzz_line && build/fuzz/fuzz_line -max_total_time=20 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ws_reading *r)
{
    size_t tl = strnlen(r->tag, sizeof r->tag);
    if (tl == sizeof r->tag || ingest_tag_check(r->tag, tl)) abort();
    if (isnan(r->value) && r->quality < WS_Q_BAD) abort();
    if (isinf(r->value) || r->quality > WS_Q_STALE) abort();
    if (r->source_ms < 0 || r->source_ms > INGEST_MS_MAX) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ws_reading out[8];
    ingest_errors e;
    ingest_errors_init(&e);
    const char *s = (const char *)data;
    size_t pos = 0, line = 0, total = 0;
    for (int guard = 0; guard < 100000; guard++) {
        size_t n = 0;
        ws_err rc = ingest_line_decode_at(s + pos, size - pos, line, pos, out, 8, &n, &e);
        for (size_t i = 0; i < n; i++) check(&out[i]);
        total += n;
        if (rc == WS_OK) break;
        if (rc != WS_ETOOBIG || !e.full || e.resume <= pos || e.resume > size) abort();
        for (size_t i = pos; i < e.resume; i++) line += s[i] == '\n';
        pos = e.resume;
        e.full = false;
    }
    static ws_reading fa[64], sb[64];
    ingest_errors e1, e2;
    ingest_errors_init(&e1);
    ingest_errors_init(&e2);
    size_t n1 = 0, n2 = 0;
    ws_err r1 = ingest_line_decode(s, size, fa, 64, &n1, &e1);
    ingest_line_fast = false;
    ws_err r2 = ingest_line_decode(s, size, sb, 64, &n2, &e2);
    ingest_line_fast = true;
    if (r1 != r2 || n1 != n2 || e1.count != e2.count || e1.resume != e2.resume) abort();
    for (size_t i = 0; i < e1.nsample; i++)
        if (e1.sample[i].line != e2.sample[i].line || e1.sample[i].reason != e2.sample[i].reason) abort();
    for (size_t i = 0; i < n1; i++)
        if (strcmp(fa[i].tag, sb[i].tag) || memcmp(&fa[i].value, &sb[i].value, sizeof fa[i].value) ||
            fa[i].source_ms != sb[i].source_ms || fa[i].quality != sb[i].quality)
            abort();
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    if (total + e.count > lines) abort();
    return 0;
}
