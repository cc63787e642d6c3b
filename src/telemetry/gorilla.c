/* gorilla.c — the series store's chunk codec (see gorilla.h for the contract
 * and docs/internals/telemetry.md for the layout drawn as bits).
 *
 * Chunk = header, then a bit stream, most significant bit first:
 *   header   [0] version  [1] flags (bit 0: scaled)  [2..3] zero
 *            [4..7] count (u32 BE)  [8..15] first timestamp ms (i64 BE)
 *            [16..23] resolution (IEEE-754 double BE, scaled chunks only)
 *   reading 1: the stored word (64 bits); its time is the header's
 *   reading i>1: timestamp bucket, then value code
 *     timestamp: dod = (t_i - t_i-1) - (t_i-1 - t_i-2), the first delta
 *       counting from a previous delta of 0; buckets sized for milliseconds:
 *       '0' dod 0 | '10' +7 bits [-63,64] | '110' +12 bits [-2047,2048]
 *       | '1110' +20 bits [-524287,524288] | '1111' +64 bits (two's complement)
 *       the n-bit fields hold dod + 2^(n-1) - 1 (an unsigned offset).
 *     value: x = word ^ previous word
 *       '0' x = 0 | '10' + len bits in the current window
 *       | '11' + 5 bits leading zeros + 6 bits (len - 1) + len bits
 *   padding: zero bits to the byte boundary
 *   trailer  CRC-32C of every byte before it (u32 BE); the chunk ends there.
 * The stored word is the double's bit pattern (raw), or in scaled mode the
 * bit pattern of k = v / resolution as a double when v is finite. */
#include "telemetry/gorilla.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* ---- bit writer / reader ---- */

/* x's bytes in big-endian order, as a word to memcpy. */
static uint64_t be64(uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return x;
#else
    return __builtin_bswap64(x);
#endif
}

/* Write the low n (1..56) bits of x at enc->bits in one step. The caller
 * has checked the room: every reading's size is computed before any of it is
 * written. The partial byte and the new bits are shifted into the top of a
 * 64-bit word, whose bytes are stored big-endian (eight at once when the
 * buffer has room past them: the bytes beyond the new bits are zeros, which
 * is what an unwritten byte must hold). */
static inline void put_word(gorilla_enc *e, uint64_t x, int n)
{
    x &= (UINT64_C(1) << n) - 1;
    size_t i = e->bits >> 3;
    int used = (int)(e->bits & 7);
    uint64_t old = used ? (uint64_t)(e->buf[i] >> (8 - used)) : 0;
    uint64_t w = ((old << n) | x) << (64 - used - n);
    if (i + 8 <= e->cap + GORILLA_TRAILER) {
        uint64_t be = be64(w);
        memcpy(e->buf + i, &be, 8);
    } else {
        int bytes = (used + n + 7) / 8;
        for (int k = 0; k < bytes; k++) e->buf[i + (size_t)k] = (uint8_t)(w >> (56 - 8 * k));
    }
    e->bits += (size_t)n;
}

/* put_word for any n (0..64): more than 56 bits go in two steps. */
static void put(gorilla_enc *e, uint64_t x, int n)
{
    if (n > 56) {
        put_word(e, x >> 32, n - 32);
        n = 32;
    }
    if (n > 0) put_word(e, x, n);
}

/* A reading's fields gathered into one word before they are written: most
 * readings take one put (a time bucket bit and a few value bits), not one
 * a field. Fields go in order; a field that would pass put's 56-bit step
 * flushes what is gathered first. */
typedef struct gather {
    uint64_t w;
    int n;
} gather;

static inline void gather_add(gorilla_enc *e, gather *g, uint64_t x, int n)
{
    if (g->n + n > 56) {
        put(e, g->w, g->n);
        g->w = 0;
        g->n = 0;
        if (n > 56) {
            put(e, x, n);
            return;
        }
    }
    if (n <= 0) return;
    g->w = g->w << n | (x & ((UINT64_C(1) << n) - 1));
    g->n += n;
}

/* Read n (0..64) bits; WS_ECORRUPT if they run past the chunk's end. Up to
 * 56 bits in one step, from a big-endian 64-bit load (the trailer's four
 * bytes follow the bit stream, so a load near its end stays in the buffer). */
static ws_err get(gorilla_dec *d, int n, uint64_t *out)
{
    if ((size_t)n > d->len * 8 - d->bits)
        return ws_fail(WS_ECORRUPT, "chunk", "chunk truncated at bit %zu", d->bits);
    if (n > 56) {
        uint64_t hi = 0, lo = 0; /* the room for both was checked above */
        (void)get(d, n - 32, &hi);
        (void)get(d, 32, &lo);
        *out = hi << 32 | lo;
        return WS_OK;
    }
    if (n == 0) {
        *out = 0;
        return WS_OK;
    }
    size_t i = d->bits >> 3;
    int used = (int)(d->bits & 7);
    uint64_t w = 0;
    if (i + 8 <= d->len + GORILLA_TRAILER) {
        memcpy(&w, d->buf + i, 8);
        w = be64(w);
    } else {
        for (size_t k = 0; i + k < d->len; k++) w |= (uint64_t)d->buf[i + k] << (56 - 8 * k);
    }
    *out = (w << used) >> (64 - n);
    d->bits += (size_t)n;
    return WS_OK;
}

static void be_put(uint8_t *p, uint64_t x, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) { p[i] = (uint8_t)x; x >>= 8; }
}

static uint64_t be_get(const uint8_t *p, int bytes)
{
    uint64_t x = 0;
    for (int i = 0; i < bytes; i++) x = x << 8 | p[i];
    return x;
}

static uint64_t bits_of(double v) { uint64_t u; memcpy(&u, &v, 8); return u; }
static double double_of(uint64_t u) { double v; memcpy(&v, &u, 8); return v; }

/* CRC-32C (Castagnoli, reflected 0x82F63B78). The ingest journal sums every
 * batch with it, so it is on the hot path: the SSE4.2 crc32 instruction
 * when the CPU has it (8 bytes a step), else a 256-entry table. Both give
 * the same sums (the unit test checks the RFC 3720 vectors). */
static uint32_t crc_table[256];
static int crc_mode; /* 0 unknown, 1 table, 2 hardware */

static void crc_setup(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_table[i] = c;
    }
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_mode = __builtin_cpu_supports("sse4.2") ? 2 : 1;
#else
    crc_mode = 1;
#endif
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
    uint64_t c64 = c;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
    }
    c = (uint32_t)c64;
    for (; n; p++, n--) c = _mm_crc32_u8(c, *p);
    return c;
}
#endif

uint32_t gorilla_crc32c(const uint8_t *p, size_t n)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, crc_setup);
    uint32_t c = 0xFFFFFFFFu;
#if defined(__x86_64__)
    if (crc_mode == 2) return ~crc_hw(c, p, n);
#endif
    for (size_t i = 0; i < n; i++) c = (c >> 8) ^ crc_table[(c ^ p[i]) & 0xFF];
    return ~c;
}

/* ---- quantisation ---- */

/* The divisor N when resolution is 1/N for an integer N (0.1 -> 10), else 0.
 * Deterministic in the resolution's bits, so encoder and decoder agree. */
static double inverse_of(double res)
{
    if (res >= 1) return 0;
    double n = round(1 / res);
    return fabs(n * res - 1) < 1e-9 ? n : 0;
}

static bool res_ok(double res) { return res >= GORILLA_RES_MIN && res <= GORILLA_RES_MAX; }

/* k -> value, the one formula used by gorilla_quantise and the decoder. */
static double scale(double k, double res, double inv) { return inv ? k / inv : k * res; }

/* round(x) (halves away from zero), without the libm call below 2^52,
 * where a double converts to an integer and back exactly: the ingest path
 * quantises every reading. */
static inline double round_fast(double x)
{
    if (!(fabs(x) < 0x1p52)) return round(x);
    double t = (double)(int64_t)x, d = x - t; /* t = trunc(x); d exact */
    if (d >= 0.5) t += 1;
    else if (d <= -0.5) t -= 1;
    return copysign(t, x); /* -0.3 rounds to -0.0, as round does */
}

static inline double steps_of(double v, double res, double inv) { return round_fast(inv ? v * inv : v / res); }

double gorilla_quantise(double v, double resolution)
{
    if (!isfinite(v) || !res_ok(resolution)) return v;
    double inv = inverse_of(resolution);
    double k = steps_of(v, resolution, inv);
    if (fabs(k) > (double)GORILLA_K_MAX) return v;
    if (k == 0) return 0.0;
    return scale(k, resolution, inv);
}

/* ---- encoder ---- */

static ws_err enc_start(gorilla_enc *e, uint8_t *buf, size_t cap, bool scaled, double res)
{
    size_t hdr = scaled ? GORILLA_HDR_SCALED : GORILLA_HDR_RAW;
    memset(e, 0, sizeof *e);
    if (!buf || cap < hdr + 8 + GORILLA_TRAILER || cap > SIZE_MAX / 8)
        return ws_fail(WS_ETOOBIG, "chunk", "a chunk needs at least %zu bytes", hdr + 8 + GORILLA_TRAILER);
    e->buf = buf;
    e->cap = cap - GORILLA_TRAILER; /* room for the bit stream */
    e->scaled = scaled;
    e->res = res;
    e->inv = scaled ? inverse_of(res) : 0;
    memset(buf, 0, hdr);
    buf[0] = GORILLA_VERSION;
    buf[1] = scaled ? 1 : 0;
    if (scaled) be_put(buf + 16, bits_of(res), 8);
    e->bits = hdr * 8;
    return WS_OK;
}

ws_err gorilla_enc_init(gorilla_enc *enc, uint8_t *buf, size_t cap)
{
    return enc_start(enc, buf, cap, false, 0);
}

ws_err gorilla_enc_init_scaled(gorilla_enc *enc, uint8_t *buf, size_t cap, double resolution)
{
    if (!res_ok(resolution)) {
        memset(enc, 0, sizeof *enc);
        return ws_fail(WS_EINVAL, "resolution", "resolution must be within [%g, %g]", GORILLA_RES_MIN,
                       GORILLA_RES_MAX);
    }
    return enc_start(enc, buf, cap, true, resolution);
}

/* Timestamp bucket of dod: number of prefix bits, payload bits. */
static void bucket_of(int64_t dod, int *pre, int *pay)
{
    if (dod == 0) { *pre = 1; *pay = 0; }
    else if (dod >= -63 && dod <= 64) { *pre = 2; *pay = 7; }
    else if (dod >= -2047 && dod <= 2048) { *pre = 3; *pay = 12; }
    else if (dod >= -524287 && dod <= 524288) { *pre = 4; *pay = 20; }
    else { *pre = 4; *pay = 64; }
}

static ws_err add_word(gorilla_enc *e, int64_t t, uint64_t word);
static void put_fields(gorilla_enc *e, int64_t dod, int pay, int pre, uint64_t x, bool reuse, int lead,
                       int len);

ws_err gorilla_enc_add(gorilla_enc *e, int64_t t, double v)
{
    if (!e->buf) return ws_fail(WS_EINVAL, "chunk", "encoder not initialised");
    uint64_t word = bits_of(v);
    if (e->scaled && isfinite(v)) {
        double k = steps_of(v, e->res, e->inv);
        if (fabs(k) > (double)GORILLA_K_MAX || bits_of(scale(k, e->res, e->inv)) != word)
            return ws_fail(WS_EINVAL, "value", "value %.17g is not quantised to %g", v, e->res);
        word = bits_of(k);
    }
    return add_word(e, t, word);
}

ws_err gorilla_enc_add_quantised(gorilla_enc *e, int64_t t, double v, double *stored)
{
    if (!e->buf) return ws_fail(WS_EINVAL, "chunk", "encoder not initialised");
    uint64_t word = bits_of(v);
    double back = v;
    if (e->scaled && isfinite(v)) {
        double k = steps_of(v, e->res, e->inv);
        if (fabs(k) > (double)GORILLA_K_MAX)
            return ws_fail(WS_EINVAL, "value", "value %.17g is too large for steps of %g", v, e->res);
        word = k == 0 ? 0 : bits_of(k); /* zero is +0.0, as gorilla_quantise makes it */
        back = scale(double_of(word), e->res, e->inv);
    }
    ws_err rc = add_word(e, t, word);
    if (!rc && stored) *stored = back;
    return rc;
}

/* Append the stored word of one reading (see the layout above). */
static ws_err add_word(gorilla_enc *e, int64_t t, uint64_t word)
{
    if (t > GORILLA_T_MAX || t < -GORILLA_T_MAX)
        return ws_fail(WS_EINVAL, "t", "timestamp out of range");
    if (e->count == UINT32_MAX) return ws_fail(WS_ETOOBIG, "chunk", "chunk holds too many readings");
    size_t room = e->cap * 8 - e->bits;
    if (e->count == 0) {
        if (room < 64) return ws_fail(WS_ETOOBIG, "chunk", "chunk full");
        be_put(e->buf + 8, (uint64_t)t, 8);
        put(e, word, 64);
        e->t_prev = t;
        e->d_prev = 0;
        e->v_prev = word;
        e->count = 1;
        return WS_OK;
    }
    /* Size first: nothing is written unless all of it fits. */
    int64_t delta = t - e->t_prev; /* |t| <= 2^60: no overflow */
    int64_t dod = delta - e->d_prev;
    int pre, pay;
    bucket_of(dod, &pre, &pay);
    uint64_t x = word ^ e->v_prev;
    int vbits, lead = 0, len = 0;
    bool reuse = false;
    if (!x) vbits = 1;
    else {
        lead = __builtin_clzll(x);
        if (lead > 31) lead = 31;
        len = 64 - lead - __builtin_ctzll(x);
        /* The paper reuses a window whenever x fits in it; a wide window kept
         * for small changes wastes bits, so reuse only when not dearer. */
        reuse = e->len && lead >= e->lead && 64 - __builtin_ctzll(x) <= e->lead + e->len &&
                e->len <= 11 + len;
        vbits = reuse ? 2 + e->len : 13 + len;
    }
    if ((size_t)(pre + pay + vbits) > room) return ws_fail(WS_ETOOBIG, "chunk", "chunk full");
    if (dod == 0 && (!x || (reuse && e->len <= 53))) {
        /* most readings: on time ('0') and the value unchanged ('0') or in
         * the window ('10' + e->len bits), one word of at most 56 bits */
        if (!x) put_word(e, 0, 2);
        else put_word(e, UINT64_C(2) << e->len | x >> (64 - e->lead - e->len), 3 + e->len);
    } else {
        put_fields(e, dod, pay, pre, x, reuse, lead, len);
    }
    e->t_prev = t;
    e->d_prev = delta;
    e->v_prev = word;
    e->count++;
    return WS_OK;
}

/* The other readings' fields, gathered (add_word has checked the room). */
static void put_fields(gorilla_enc *e, int64_t dod, int pay, int pre, uint64_t x, bool reuse, int lead,
                       int len)
{
    static const uint64_t prefix[] = {0, 0x0, 0x2, 0x6, 0xe};
    gather g = {0, 0};
    if (pay == 64) {
        gather_add(e, &g, 0xf, 4);
        gather_add(e, &g, (uint64_t)dod, 64);
    } else {
        gather_add(e, &g, prefix[pre], pre);
        if (pay) gather_add(e, &g, (uint64_t)(dod + ((INT64_C(1) << (pay - 1)) - 1)), pay);
    }
    if (!x) gather_add(e, &g, 0, 1);
    else if (reuse) {
        gather_add(e, &g, 2, 2);
        gather_add(e, &g, x >> (64 - e->lead - e->len), e->len);
    } else {
        gather_add(e, &g, 3, 2);
        gather_add(e, &g, (uint64_t)lead, 5);
        gather_add(e, &g, (uint64_t)(len - 1), 6);
        gather_add(e, &g, x >> (64 - lead - len), len);
        e->lead = lead;
        e->len = len;
    }
    put(e, g.w, g.n);
}

size_t gorilla_enc_size(const gorilla_enc *e) { return (e->bits + 7) / 8 + GORILLA_TRAILER; }

ws_err gorilla_enc_finish(gorilla_enc *e, size_t *len)
{
    if (!e->buf || !e->count) return ws_fail(WS_EINVAL, "chunk", "an empty chunk cannot be sealed");
    be_put(e->buf + 4, e->count, 4);
    size_t body = (e->bits + 7) / 8; /* padding bits are zero: put() clears each new byte */
    be_put(e->buf + body, gorilla_crc32c(e->buf, body), 4);
    *len = body + GORILLA_TRAILER;
    return WS_OK;
}

/* ---- decoder ---- */

ws_err gorilla_dec_init(gorilla_dec *d, const uint8_t *buf, size_t len)
{
    memset(d, 0, sizeof *d);
    if (!buf || len < GORILLA_HDR_RAW + 8 + GORILLA_TRAILER || len > SIZE_MAX / 8)
        return ws_fail(WS_ECORRUPT, "chunk", "chunk shorter than a header and one reading");
    if (buf[0] != GORILLA_VERSION)
        return ws_fail(WS_EINVAL, "chunk", "unknown chunk version %u", buf[0]);
    if ((buf[1] & ~1u) || buf[2] || buf[3])
        return ws_fail(WS_ECORRUPT, "chunk", "unknown chunk flags");
    d->scaled = buf[1] & 1;
    size_t hdr = d->scaled ? GORILLA_HDR_SCALED : GORILLA_HDR_RAW;
    if (len < hdr + 8 + GORILLA_TRAILER) return ws_fail(WS_ECORRUPT, "chunk", "chunk truncated");
    len -= GORILLA_TRAILER;
    if (gorilla_crc32c(buf, len) != (uint32_t)be_get(buf + len, 4))
        return ws_fail(WS_ECORRUPT, "chunk", "chunk checksum mismatch");
    d->count = (uint32_t)be_get(buf + 4, 4);
    int64_t t0 = (int64_t)be_get(buf + 8, 8);
    if (!d->count) return ws_fail(WS_ECORRUPT, "chunk", "chunk holds no reading");
    if (t0 > GORILLA_T_MAX || t0 < -GORILLA_T_MAX)
        return ws_fail(WS_ECORRUPT, "chunk", "first timestamp out of range");
    if (d->scaled) {
        d->res = double_of(be_get(buf + 16, 8));
        if (!res_ok(d->res)) return ws_fail(WS_ECORRUPT, "chunk", "resolution out of range");
    }
    /* Each reading after the first takes at least 2 bits. */
    if ((uint64_t)d->count - 1 > (len * 8 - hdr * 8 - 64) / 2)
        return ws_fail(WS_ECORRUPT, "chunk", "count larger than the chunk can hold");
    d->buf = buf;
    d->len = len;
    d->bits = hdr * 8;
    d->t_prev = t0;
    return WS_OK;
}

uint32_t gorilla_dec_count(const gorilla_dec *d) { return d->count; }

static ws_err corrupt(const char *what) { return ws_fail(WS_ECORRUPT, "chunk", "corrupt chunk: %s", what); }

ws_err gorilla_dec_next(gorilla_dec *d, int64_t *t, double *v, bool *done)
{
    ws_err rc;
    uint64_t b, x;
    *done = false;
    if (!d->buf) return corrupt("decoder not initialised");
    if (d->done == d->count) {
        size_t used = (d->bits + 7) / 8;
        if (used != d->len) return corrupt("bytes after the last reading");
        if (d->bits & 7) {
            unsigned pad = d->buf[d->len - 1] & ((1u << (8 - (d->bits & 7))) - 1);
            if (pad) return corrupt("non-zero padding");
        }
        *done = true;
        return WS_OK;
    }
    uint64_t word = 0;
    if (d->done == 0) {
        if ((rc = get(d, 64, &word))) return rc;
    } else {
        int pre = 0;
        for (; pre < 4; pre++) {
            if ((rc = get(d, 1, &b))) return rc;
            if (!b) break;
        }
        int64_t dod;
        static const int pay_of[] = {0, 7, 12, 20, 64};
        int pay = pay_of[pre];
        if ((rc = get(d, pay, &b))) return rc;
        if (pay == 64) dod = (int64_t)b;
        else if (pay) dod = (int64_t)b - ((INT64_C(1) << (pay - 1)) - 1);
        else dod = 0;
        int64_t delta, nt;
        if (__builtin_add_overflow(d->d_prev, dod, &delta) || __builtin_add_overflow(d->t_prev, delta, &nt) ||
            nt > GORILLA_T_MAX || nt < -GORILLA_T_MAX)
            return corrupt("timestamp out of range");
        d->t_prev = nt;
        d->d_prev = delta;
        if ((rc = get(d, 1, &b))) return rc;
        if (!b) x = 0;
        else {
            if ((rc = get(d, 1, &b))) return rc;
            if (b) {
                uint64_t lead, len;
                if ((rc = get(d, 5, &lead)) || (rc = get(d, 6, &len))) return rc;
                len += 1;
                if (lead + len > 64) return corrupt("XOR window past 64 bits");
                d->lead = (int)lead;
                d->wlen = (int)len;
            } else if (!d->wlen) return corrupt("XOR window reused before one was set");
            if ((rc = get(d, d->wlen, &x))) return rc;
            if (!x) return corrupt("empty XOR");
            x <<= 64 - d->lead - d->wlen;
        }
        word = d->v_prev ^ x;
    }
    double val = double_of(word);
    if (d->scaled && isfinite(val)) {
        if (val != trunc(val) || fabs(val) > (double)GORILLA_K_MAX) return corrupt("scaled value not an integer step");
        val = scale(val, d->res, inverse_of(d->res));
    }
    d->v_prev = word;
    d->done++;
    *t = d->t_prev;
    *v = val;
    return WS_OK;
}

ws_err gorilla_decode(const uint8_t *buf, size_t len, int64_t *t, double *v, size_t max, size_t *n)
{
    gorilla_dec d;
    ws_err rc = gorilla_dec_init(&d, buf, len);
    *n = 0;
    if (rc) return rc;
    if (d.count > max) return ws_fail(WS_ETOOBIG, "chunk", "chunk holds %u readings, room for %zu", d.count, max);
    size_t i = 0;
    for (;;) {
        bool done;
        int64_t tt;
        double vv;
        if ((rc = gorilla_dec_next(&d, &tt, &vv, &done))) return rc;
        if (done) break;
        t[i] = tt;
        v[i] = vv;
        i++;
    }
    *n = i;
    return WS_OK;
}
