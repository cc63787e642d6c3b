/* fuzz_batch.c — libFuzzer target for the JSON batch (src/ingest/batch.c):
 * arbitrary bytes never crash the scanner; a refused document yields no
 * readings and at least one error; readings are well formed (see
 * fuzz_line.c), and a batch accepted with no error is also valid JSON to
 * jansson (the scanner is not more lenient than RFC 8259).
 *   make build/fuzz/fuzz_batch && build/fuzz/fuzz_batch -max_total_time=20 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ws_reading out[16];
    ingest_errors e;
    ingest_errors_init(&e);
    size_t n = 99;
    ws_err rc = ingest_batch_decode((const char *)data, size, out, 16, &n, &e);
    if (rc == WS_EINVAL && (n != 0 || e.count == 0)) abort();
    if (rc != WS_OK && rc != WS_EINVAL && rc != WS_ETOOBIG) abort();
    if (n > 16) abort();
    for (size_t i = 0; i < n; i++) {
        const ws_reading *r = &out[i];
        size_t tl = strnlen(r->tag, sizeof r->tag);
        if (tl == sizeof r->tag || ingest_tag_check(r->tag, tl)) abort();
        if (isnan(r->value) && r->quality < WS_Q_BAD) abort();
        if (isinf(r->value) || r->quality > WS_Q_STALE) abort();
        if (r->source_ms < 0 || r->source_ms > INGEST_MS_MAX) abort();
    }
    if (rc == WS_OK && e.count == 0) {
        json_error_t je;
        /* Integers beyond 64 bits are valid JSON numbers (read as doubles). */
        json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
        if (!j) abort();
        json_decref(j);
    }
    return 0;
}
