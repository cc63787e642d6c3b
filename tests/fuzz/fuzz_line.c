/* fuzz_line.c — libFuzzer target for the compact line format
 * (src/ingest/line.c): arbitrary bytes never crash the decoder, every
 * reading it returns is well formed (tag of [A-Za-z0-9_.:/-]{1,63}, NaN only
 * with quality bad/stale, time in range) and the error count plus readings
 * never exceed the lines. A small cap exercises the stop-and-resume path.
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
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    if (total + e.count > lines) abort();
    return 0;
}
