/* fuzz_gorilla.c — libFuzzer target for the series store's chunk decoder
 * (telemetry/gorilla.c), the one decoder of bytes read back from disk or
 * another node.
 *
 * Each input is decoded twice: as given (nearly always refused by the CRC),
 * and with its last 4 bytes replaced by the right CRC-32C, so the fuzzer
 * reaches the header checks, the buckets and the XOR windows behind it. Both
 * must end in WS_OK, WS_ECORRUPT or WS_EINVAL, never read outside the exact
 * buffer (a malloc'd copy of the input's size), and one-call decoding must
 * agree with the streaming decoder. What decodes is encoded again in the same
 * mode and must decode to the same readings bit for bit (the encoding may
 * differ: the decoder accepts wider buckets and windows than needed).
 *   make build/fuzz/fuzz_gorilla && build/fuzz/fuzz_gorilla -max_total_time=20 tests/fuzz/seeds-gorilla */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/gorilla.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXR 8192
static int64_t t1[MAXR], t2[MAXR];
static double v1[MAXR], v2[MAXR];

static uint64_t bits(double v) { uint64_t u; memcpy(&u, &v, 8); return u; }

static void check(const uint8_t *p, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return;
    memcpy(copy, p, len);
    size_t n = 0;
    ws_err rc = gorilla_decode(copy, len, t1, v1, MAXR, &n);
    if (rc != WS_OK && rc != WS_ECORRUPT && rc != WS_EINVAL && rc != WS_ETOOBIG) abort();
    if (rc) {
        if (n) abort();
        free(copy);
        return;
    }
    gorilla_dec d;
    if (gorilla_dec_init(&d, copy, len) || gorilla_dec_count(&d) != n || n == 0) abort();
    /* Re-encode in the chunk's own mode. */
    bool scaled = copy[1] & 1;
    double res = 0;
    if (scaled) {
        uint64_t u = 0;
        for (int i = 16; i < 24; i++) u = u << 8 | copy[i];
        memcpy(&res, &u, 8);
    }
    size_t cap = GORILLA_HDR_SCALED + GORILLA_TRAILER + n * 20;
    uint8_t *out = malloc(cap);
    if (!out) abort();
    gorilla_enc e;
    if (scaled ? gorilla_enc_init_scaled(&e, out, cap, res) : gorilla_enc_init(&e, out, cap)) abort();
    for (size_t i = 0; i < n; i++)
        if (gorilla_enc_add(&e, t1[i], v1[i])) abort();
    size_t olen, m;
    if (gorilla_enc_finish(&e, &olen) || olen > cap) abort();
    if (gorilla_decode(out, olen, t2, v2, MAXR, &m) || m != n) abort();
    for (size_t i = 0; i < n; i++)
        if (t2[i] != t1[i] || bits(v2[i]) != bits(v1[i])) abort();
    free(out);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size >= 4 && size <= 65536) {
        uint8_t *fixed = malloc(size);
        if (!fixed) return 0;
        memcpy(fixed, data, size);
        uint32_t crc = gorilla_crc32c(fixed, size - 4);
        for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (24 - 8 * i));
        check(fixed, size);
        free(fixed);
    }
    return 0;
}
