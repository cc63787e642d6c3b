/* test_gorilla.c — the series store's chunk codec (telemetry/gorilla.c).
 * What the store relies on: every reading comes back bit for bit (NaN
 * payloads, ±inf, -0.0, subnormals, repeats) with its timestamp, whatever
 * the order (late data: timestamps may go backwards or repeat) and however
 * far apart; a full chunk refuses the next reading without writing past its
 * buffer and stays decodable; a truncated, extended or corrupted chunk is
 * refused (or, for flips the format cannot detect, decoded without harm);
 * quantised readings round-trip through scaled chunks and are small. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/gorilla.h"

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static double uni(void) { return (double)(next() >> 11) / 9007199254740992.0; }

static uint64_t bits(double v) { uint64_t u; memcpy(&u, &v, 8); return u; }
static double dbl(uint64_t u) { double v; memcpy(&v, &u, 8); return v; }

#define N 4000
static int64_t ts[N], got_t[N];
static double vs[N], got_v[N];
static uint8_t chunk[N * 20];

/* Encode ts/vs[0..n) into one chunk (asserting it fits), decode, compare bits. */
static size_t round_trip(size_t n, double res)
{
    gorilla_enc e;
    size_t len, m;
    if (res > 0) assert_int_equal(gorilla_enc_init_scaled(&e, chunk, sizeof chunk, res), WS_OK);
    else assert_int_equal(gorilla_enc_init(&e, chunk, sizeof chunk), WS_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(gorilla_enc_add(&e, ts[i], vs[i]), WS_OK);
    assert_int_equal(gorilla_enc_finish(&e, &len), WS_OK);
    assert_int_equal(gorilla_decode(chunk, len, got_t, got_v, N, &m), WS_OK);
    assert_int_equal(m, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(got_t[i], ts[i]);
        if (bits(got_v[i]) != bits(vs[i])) fail_msg("reading %zu: %.17g came back as %.17g", i, vs[i], got_v[i]);
    }
    return len;
}

static void random_bits_and_times(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        int64_t t = (int64_t)(next() % 2000000000000u);
        for (size_t i = 0; i < N; i++) {
            uint64_t r = next() % 100;
            /* Regular, jittered, backwards, repeated and huge steps, mixed. */
            if (r < 40) t += 1000;
            else if (r < 60) t += 1000 + (int64_t)(next() % 61) - 30;
            else if (r < 70) t -= (int64_t)(next() % 5000);
            else if (r < 75) t += 0;
            else if (r < 80) t += (int64_t)(next() % 600000);
            else if (r < 83) t += (int64_t)(next() % 100000000000u) - 50000000000;
            else t += 180000;
            ts[i] = t;
            uint64_t k = next() % 10;
            vs[i] = k < 3 ? dbl(next())                      /* any pattern, NaN payloads included */
                    : k < 6 && i ? vs[i - 1]                 /* repeats */
                    : k < 8 ? 20 + uni()                     /* a noisy signal */
                            : (double)(int)(next() % 50) / 10; /* decimals */
        }
        round_trip(N, 0);
    }
}

static void special_values(void **state)
{
    (void)state;
    double sp[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308,
                   1.7976931348623157e308, -1.7976931348623157e308, dbl(0x7FF0000000000001u),
                   dbl(0xFFF8DEADBEEF0000u), 1.0, 1.0, 1.0, -0.0, -0.0, 0.1, 0.2, 0.30000000000000004};
    size_t n = sizeof sp / sizeof sp[0];
    for (size_t i = 0; i < n; i++) {
        ts[i] = 1700000000000 + (int64_t)i * 1000;
        vs[i] = sp[i];
    }
    round_trip(n, 0);
    /* Scaled chunks keep non-finite values and signed zeros as they are. */
    double sc[] = {NAN, dbl(0xFFF8DEADBEEF0000u), INFINITY, -INFINITY, -0.0, 0.0, 0.3, 25.0, -0.0, 0.1};
    n = sizeof sc / sizeof sc[0];
    memcpy(vs, sc, sizeof sc);
    round_trip(n, 0.1);
}

static void extreme_times_and_gaps(void **state)
{
    (void)state;
    int64_t t[] = {0, GORILLA_T_MAX, -GORILLA_T_MAX, GORILLA_T_MAX, 1, 1, 1, 0, -1, 86400000LL * 365 * 30,
                   86400000LL * 365 * 30 + 1, 1700000000000};
    size_t n = sizeof t / sizeof t[0];
    for (size_t i = 0; i < n; i++) {
        ts[i] = t[i];
        vs[i] = (double)i;
    }
    round_trip(n, 0);
    gorilla_enc e;
    assert_int_equal(gorilla_enc_init(&e, chunk, sizeof chunk), WS_OK);
    assert_int_equal(gorilla_enc_add(&e, GORILLA_T_MAX + 1, 1), WS_EINVAL);
    assert_int_equal(gorilla_enc_add(&e, INT64_MIN, 1), WS_EINVAL);
    assert_int_equal(gorilla_enc_add(&e, 5, 1), WS_OK);
    assert_int_equal(gorilla_enc_add(&e, -GORILLA_T_MAX - 1, 1), WS_EINVAL);
}

static void one_reading_and_empty(void **state)
{
    (void)state;
    ts[0] = 1700000000123;
    vs[0] = 21.5;
    assert_int_equal(round_trip(1, 0), GORILLA_HDR_RAW + 8 + GORILLA_TRAILER);
    assert_int_equal(round_trip(1, 0.5), GORILLA_HDR_SCALED + 8 + GORILLA_TRAILER);
    gorilla_enc e;
    size_t len;
    assert_int_equal(gorilla_enc_init(&e, chunk, sizeof chunk), WS_OK);
    assert_int_equal(gorilla_enc_finish(&e, &len), WS_EINVAL);
    assert_int_equal(gorilla_enc_init(&e, chunk, GORILLA_HDR_RAW + 8 + GORILLA_TRAILER - 1), WS_ETOOBIG);
    assert_int_equal(gorilla_enc_init_scaled(&e, chunk, sizeof chunk, 0), WS_EINVAL);
    assert_int_equal(gorilla_enc_init_scaled(&e, chunk, sizeof chunk, NAN), WS_EINVAL);
}

/* Regular 1 s readings of a steady value cost 2 bits each (dod '0', XOR '0'). */
static void steady_series_costs_two_bits(void **state)
{
    (void)state;
    ts[0] = 1700000000000;
    vs[0] = 0;
    for (size_t i = 1; i < 1000; i++) {
        ts[i] = ts[i - 1] + 1000;
        vs[i] = 0;
    }
    /* The first delta (1000 ms) takes '110' + 12 bits, then 998 x 2 bits. */
    size_t bits = GORILLA_HDR_RAW * 8 + 64 + (3 + 12 + 1) + 998 * 2;
    assert_int_equal(round_trip(1000, 0), (bits + 7) / 8 + GORILLA_TRAILER);
}

static void full_chunk_refuses_and_stays_valid(void **state)
{
    (void)state;
    for (size_t cap = GORILLA_HDR_RAW + 8 + GORILLA_TRAILER; cap < 200; cap += 7) {
        uint8_t buf[256];
        memset(buf, 0xA5, sizeof buf);
        gorilla_enc e;
        assert_int_equal(gorilla_enc_init(&e, buf, cap), WS_OK);
        size_t n = 0;
        ws_err rc = WS_OK;
        while (n < N) {
            ts[n] = 1000 * (int64_t)n + (int64_t)(next() % 3000);
            vs[n] = uni() * 100;
            rc = gorilla_enc_add(&e, ts[n], vs[n]);
            if (rc) break;
            n++;
            assert_true(gorilla_enc_size(&e) <= cap);
        }
        assert_int_equal(rc, WS_ETOOBIG);
        assert_true(n >= 1);
        /* Refused again: still refused, still unchanged. */
        assert_int_equal(gorilla_enc_add(&e, ts[n], vs[n]), WS_ETOOBIG);
        for (size_t i = cap; i < sizeof buf; i++) assert_int_equal(buf[i], 0xA5);
        size_t len, m;
        assert_int_equal(gorilla_enc_finish(&e, &len), WS_OK);
        assert_true(len <= cap);
        assert_int_equal(gorilla_decode(buf, len, got_t, got_v, N, &m), WS_OK);
        assert_int_equal(m, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(got_t[i], ts[i]);
            assert_true(bits(got_v[i]) == bits(vs[i]));
        }
        /* Too little room for the caller's arrays: refused, not overrun. */
        if (n > 1) assert_int_equal(gorilla_decode(buf, len, got_t, got_v, n - 1, &m), WS_ETOOBIG);
    }
}

static size_t sample_chunk(void)
{
    for (size_t i = 0; i < 300; i++) {
        ts[i] = 1700000000000 + (int64_t)i * 1000 + (int64_t)(next() % 40) - (i % 50 == 7 ? 9000 : 0);
        vs[i] = i % 3 ? 20.25 + (double)(next() % 8) / 4 : vs[i ? i - 1 : 0];
    }
    return round_trip(300, 0);
}

static ws_err decode_copy(const uint8_t *p, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan catches any over-read */
    memcpy(copy, p, len);
    size_t m;
    ws_err rc = gorilla_decode(copy, len, got_t, got_v, N, &m);
    free(copy);
    return rc;
}

static void truncated_and_extended_refused(void **state)
{
    (void)state;
    size_t len = sample_chunk();
    for (size_t cut = 0; cut < len; cut++) {
        ws_err rc = decode_copy(chunk, cut);
        if (rc != WS_ECORRUPT) fail_msg("a chunk cut to %zu of %zu bytes gave %d", cut, len, rc);
    }
    chunk[len] = 0;
    assert_int_equal(decode_copy(chunk, len + 1), WS_ECORRUPT);
    chunk[len] = 0xFF;
    assert_int_equal(decode_copy(chunk, len + 1), WS_ECORRUPT);
}

/* Rewrite the checksum after an edit, so the structural checks behind it are
 * what refuses the chunk. */
static void reseal(uint8_t *c, size_t len)
{
    uint32_t crc = gorilla_crc32c(c, len - 4);
    for (int i = 0; i < 4; i++) c[len - 4 + i] = (uint8_t)(crc >> (24 - 8 * i));
}

static void corrupt_headers_refused(void **state)
{
    (void)state;
    size_t len = sample_chunk();
    uint8_t c[sizeof chunk];
    /* Any edit without a new checksum. */
    memcpy(c, chunk, len);
    c[len / 2] ^= 0x10;
    assert_int_equal(decode_copy(c, len), WS_ECORRUPT);
    struct { size_t at; uint8_t val; ws_err want; } cases[] = {
        {0, 2, WS_EINVAL},     /* another version */
        {1, 2, WS_ECORRUPT},   /* unknown flag */
        {1, 1, WS_ECORRUPT},   /* says scaled: resolution bytes are bit-stream garbage or the count fails */
        {3, 1, WS_ECORRUPT},   /* reserved */
        {4, 0xFF, WS_ECORRUPT}, /* count far beyond the bits */
        {8, 0x7F, WS_ECORRUPT}, /* first timestamp out of range */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(c, chunk, len);
        c[cases[i].at] = cases[i].val;
        reseal(c, len);
        assert_int_equal(decode_copy(c, len), cases[i].want);
    }
    /* Count ten more or one fewer than written: runs off the end (more than
     * the 7 padding bits), or leaves
     * bytes after the last reading. */
    memcpy(c, chunk, len);
    c[7] += 10;
    reseal(c, len);
    assert_int_equal(decode_copy(c, len), WS_ECORRUPT);
    memcpy(c, chunk, len);
    c[7] -= 1;
    reseal(c, len);
    assert_int_equal(decode_copy(c, len), WS_ECORRUPT);
    /* Count zero. */
    memcpy(c, chunk, len);
    memset(c + 4, 0, 4);
    reseal(c, len);
    assert_int_equal(decode_copy(c, len), WS_ECORRUPT);
    /* Non-zero padding or a window past 64 bits behind a valid checksum:
     * a one-reading chunk whose second reading says '11' lead 31 len 64. */
    gorilla_enc e;
    size_t n;
    assert_int_equal(gorilla_enc_init(&e, c, sizeof c), WS_OK);
    assert_int_equal(gorilla_enc_add(&e, 0, 1.0), WS_OK);
    assert_int_equal(gorilla_enc_add(&e, 0, 1.0), WS_OK); /* '0' '0': 2 bits, 6 padding */
    assert_int_equal(gorilla_enc_finish(&e, &n), WS_OK);
    assert_int_equal(decode_copy(c, n), WS_OK);
    c[n - 5] |= 1; /* a padding bit */
    reseal(c, n);
    assert_int_equal(decode_copy(c, n), WS_ECORRUPT);
    /* bits after the first reading: '0' (dod 0) '11' lead=11111 len-1=111111 */
    uint8_t w[] = {0x7F, 0xFC, 0x00}; /* 0 11 11111 111111, then zero padding */
    memcpy(c + GORILLA_HDR_RAW + 8, w, sizeof w);
    c[7] = 2;
    n = GORILLA_HDR_RAW + 8 + sizeof w + 4;
    reseal(c, n);
    assert_int_equal(decode_copy(c, n), WS_ECORRUPT);
    assert_string_equal(ws_err_message(), "corrupt chunk: XOR window past 64 bits");
}

/* Every single flipped bit is refused (the checksum), and the decoder
 * behind the checksum never crashes or over-reads on a resealed flip. */
static void bit_flips_never_crash(void **state)
{
    (void)state;
    size_t len = sample_chunk();
    uint8_t c[sizeof chunk];
    int refused = 0;
    for (size_t bit = 0; bit < len * 8; bit++) {
        memcpy(c, chunk, len);
        c[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
        ws_err rc = decode_copy(c, len);
        assert_true(rc == WS_ECORRUPT || rc == WS_EINVAL);
        if (bit < (len - 4) * 8) {
            reseal(c, len);
            rc = decode_copy(c, len);
            assert_true(rc == WS_OK || rc == WS_ECORRUPT || rc == WS_EINVAL);
            refused += rc != WS_OK;
        }
    }
    print_message("resealed single-bit flips refused by structure: %d of %zu\n", refused, (len - 4) * 8);
}

static void quantise_is_exact_and_repeatable(void **state)
{
    (void)state;
    /* 3 * 0.1 is 0.30000000000000004; quantising gives the double of "0.3". */
    assert_true(bits(gorilla_quantise(0.30000000000000004, 0.1)) == bits(0.3));
    assert_true(bits(gorilla_quantise(0.1 + 0.2, 0.1)) == bits(strtod("0.3", NULL)));
    assert_true(bits(gorilla_quantise(25.04999, 0.1)) == bits(25.0));
    assert_true(bits(gorilla_quantise(1.2345, 0.01)) == bits(1.23));
    assert_true(bits(gorilla_quantise(-0.04, 0.1)) == bits(0.0)); /* +0, not -0 */
    assert_true(bits(gorilla_quantise(12.0, 5)) == bits(10.0));
    assert_true(bits(gorilla_quantise(13.0, 5)) == bits(15.0));
    assert_true(isnan(gorilla_quantise(NAN, 0.1)));
    assert_true(gorilla_quantise(INFINITY, 0.1) == INFINITY);
    assert_true(gorilla_quantise(1.23456, 0) == 1.23456); /* no resolution: unchanged */
    assert_true(gorilla_quantise(1e300, 0.1) == 1e300);   /* beyond K_MAX steps: unchanged */
    /* Every decimal a device sends at 0.1 / 0.01 quantises to itself, and
     * quantising is idempotent on anything. */
    char s[32];
    for (int k = -100000; k <= 100000; k += 7) {
        snprintf(s, sizeof s, "%d.%d", k / 10, abs(k % 10));
        if (k < 0 && k > -10) snprintf(s, sizeof s, "-0.%d", -k);
        double d = strtod(s, NULL);
        assert_true(bits(gorilla_quantise(d, 0.1)) == bits(d) || d == 0);
        snprintf(s, sizeof s, "%.2f", k / 100.0);
        d = strtod(s, NULL);
        assert_true(bits(gorilla_quantise(d, 0.01)) == bits(d) || d == 0);
        double r = uni() * 2000 - 1000, q = gorilla_quantise(r, 0.1);
        assert_true(bits(gorilla_quantise(q, 0.1)) == bits(q));
        assert_true(fabs(q - r) <= 0.05 + 1e-12);
    }
    /* The steps are rounded as round(3) does, halves away from zero, near
     * ties and far out too (the encoder rounds without libm below 2^52). */
    for (int i = 0; i < 200000; i++) {
        double res = i % 3 ? 0.1 : 0.25, e = (uni() - 0.5) * 1e-12;
        double v = i % 2 ? (double)((int64_t)(uni() * 2e6) - 1000000) / 2 * res + e /* at or near a tie */
                         : (uni() - 0.5) * ldexp(1, (int)(uni() * 60)) * res;
        double k = res == 0.1 ? round(v * 10) : round(v / res);
        double want = fabs(k) > (double)GORILLA_K_MAX ? v : k == 0 ? 0.0 : res == 0.1 ? k / 10 : k * res;
        if (bits(gorilla_quantise(v, res)) != bits(want)) fail_msg("quantise(%.17g, %g)", v, res);
    }
}

static void scaled_chunks_hold_quantised_values_small(void **state)
{
    (void)state;
    /* A temperature at 0.1 °C resolution wandering by a step or two. */
    double x = 85.0;
    for (size_t i = 0; i < N; i++) {
        ts[i] = 1700000000000 + (int64_t)i * 1000;
        x += (uni() - 0.5) * 0.3;
        vs[i] = gorilla_quantise(x, 0.1);
    }
    size_t scaled = round_trip(N, 0.1), raw = round_trip(N, 0);
    print_message("0.1-quantised walk: raw %.2f B/reading, scaled %.2f B/reading\n", (double)raw / N,
                  (double)scaled / N);
    assert_true(scaled * 2 < raw);
    assert_true(scaled < N * 2);
    /* Not a multiple of the resolution: refused, so nothing is silently rounded. */
    gorilla_enc e;
    assert_int_equal(gorilla_enc_init_scaled(&e, chunk, sizeof chunk, 0.1), WS_OK);
    assert_int_equal(gorilla_enc_add(&e, 0, 0.30000000000000004), WS_EINVAL);
    assert_int_equal(gorilla_enc_add(&e, 0, 0.25), WS_EINVAL);
    assert_int_equal(gorilla_enc_add(&e, 0, 1e300), WS_EINVAL);
    assert_int_equal(gorilla_enc_add(&e, 0, 0.3), WS_OK);
    /* Resolutions that are not 1/N: multiples of 5 and of 0.3. */
    for (size_t i = 0; i < 500; i++) vs[i] = gorilla_quantise(uni() * 1000, i % 2 ? 5 : 5);
    round_trip(500, 5);
    for (size_t i = 0; i < 500; i++) vs[i] = gorilla_quantise(uni() * 1000 - 500, 0.3);
    round_trip(500, 0.3);
    /* The series store's path: unquantised values in, and the value it is
     * told was stored is, bit for bit, what the decoder gives back. */
    for (int r = 0; r < 3; r++) {
        double res = r == 0 ? 0.1 : r == 1 ? 0.3 : 0;
        double back[500];
        assert_int_equal(res ? gorilla_enc_init_scaled(&e, chunk, sizeof chunk, res) : gorilla_enc_init(&e, chunk, sizeof chunk), WS_OK);
        for (int i = 0; i < 500; i++) {
            double v = i % 97 == 5 ? NAN : i % 50 == 7 ? 0.0 : (uni() - 0.5) * 400;
            assert_int_equal(gorilla_enc_add_quantised(&e, 1700000000000 + i * 1000, v, &back[i]), WS_OK);
        }
        size_t len;
        assert_int_equal(gorilla_enc_finish(&e, &len), WS_OK);
        gorilla_dec d;
        assert_int_equal(gorilla_dec_init(&d, chunk, len), WS_OK);
        for (int i = 0; i < 500; i++) {
            int64_t t;
            double v;
            bool done;
            assert_int_equal(gorilla_dec_next(&d, &t, &v, &done), WS_OK);
            assert_false(done);
            assert_memory_equal(&v, &back[i], sizeof v);
        }
    }
}

/* CRC-32C: the RFC 3720 (iSCSI) check values, and a bit-at-a-time reference
 * on random buffers of every length up to 100 (the fast path's tail). */
static uint32_t crc_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

static void crc32c_vectors(void **state)
{
    (void)state;
    assert_int_equal(gorilla_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
    uint8_t z[32] = {0}, f[32];
    memset(f, 0xFF, sizeof f);
    assert_int_equal(gorilla_crc32c(z, 32), 0x8A9136AAu);
    assert_int_equal(gorilla_crc32c(f, 32), 0x62A8AB43u);
    uint8_t b[100];
    uint32_t x = 12345;
    for (size_t n = 0; n <= sizeof b; n++) {
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
        assert_int_equal(gorilla_crc32c(b, n), crc_ref(b, n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_vectors),
        cmocka_unit_test(random_bits_and_times),
        cmocka_unit_test(special_values),
        cmocka_unit_test(extreme_times_and_gaps),
        cmocka_unit_test(one_reading_and_empty),
        cmocka_unit_test(steady_series_costs_two_bits),
        cmocka_unit_test(full_chunk_refuses_and_stays_valid),
        cmocka_unit_test(truncated_and_extended_refused),
        cmocka_unit_test(corrupt_headers_refused),
        cmocka_unit_test(bit_flips_never_crash),
        cmocka_unit_test(quantise_is_exact_and_repeatable),
        cmocka_unit_test(scaled_chunks_hold_quantised_values_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
