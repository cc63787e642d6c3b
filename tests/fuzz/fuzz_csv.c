/* fuzz_csv.c — libFuzzer target for CSV history import (src/ingest/csv.c,
 * with the header read by org/table.c): the input is fed in two pieces
 * split at a byte the input chooses, so rows across feed boundaries are
 * covered; readings reaching the sink are well formed and the decoder
 * never crashes or leaks. Times use a fixed +08:00 offset.
 *   make build/fuzz/fuzz_csv && build/fuzz/fuzz_csv -max_total_time=20 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ws_err sink(void *ctx, const ws_reading *r, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        size_t tl = strnlen(r[i].tag, sizeof r[i].tag);
        if (tl == sizeof r[i].tag || ingest_tag_check(r[i].tag, tl)) abort();
        if (isnan(r[i].value) && r[i].quality < WS_Q_BAD) abort();
        if (isinf(r[i].value) || r[i].quality > WS_Q_STALE) abort();
        if (r[i].source_ms < 0 || r[i].source_ms > INGEST_MS_MAX) abort();
    }
    return WS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t cut = data[0] % size;
    data++;
    size--;
    if (cut > size) cut = size;
    ingest_csv_opts o = {.offset_min = 480, .sink = sink};
    ingest_errors e;
    ingest_errors_init(&e);
    ingest_csv *c = ingest_csv_new(&o);
    if (!c) return 0;
    ws_err rc = ingest_csv_feed(c, (const char *)data, cut, &e);
    if (!rc) rc = ingest_csv_feed(c, (const char *)data + cut, size - cut, &e);
    if (!rc) rc = ingest_csv_finish(c, &e);
    if (rc != WS_OK && rc != WS_EINVAL && rc != WS_ETOOBIG && rc != WS_ENOMEM) abort();
    ingest_csv_free(c);
    return 0;
}
