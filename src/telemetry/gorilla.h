/* gorilla.h — the compressed chunk codec of the series store: one chunk holds
 * the readings of one point as (time in ms, double) pairs, timestamps as
 * delta-of-delta in variable-length buckets and values XORed with the previous
 * one, as in Facebook's Gorilla (Pelkonen et al., VLDB 2015). The series store
 * (next step of issue 4) seals chunks and hashes them into the evidence log;
 * this file knows nothing of storage, points or SQL.
 *
 * Layout, buckets and measured bytes per reading: docs/internals/telemetry.md.
 *
 * Two value modes, chosen per chunk when the encoder starts:
 *   raw    — the doubles' 64-bit patterns are XORed (the paper's scheme);
 *            every double (NaN payloads, ±inf, -0.0) round-trips bit for bit.
 *   scaled — for readings quantised to a sensor resolution r (gorilla_quantise):
 *            the integer k = v / r is XORed as a double instead of v. Integers
 *            of similar size share exponent and most mantissa bits, so a change
 *            of a few steps costs a few bits, where 0.3 vs 0.4 as doubles
 *            differ in ~50 mantissa bits. Decoding gives back k scaled exactly
 *            as gorilla_quantise computes it, so a quantised value round-trips
 *            bit for bit; non-finite values are stored as raw bits.
 *
 * Timestamps may come in any order (late data is stored where it arrives;
 * deltas and delta-of-deltas are signed), repeat, and jump by anything; they
 * are limited to |t| <= GORILLA_T_MAX so no arithmetic overflows.
 *
 * Each chunk ends with a CRC-32C of all its other bytes: a flipped bit on disk
 * or on the wire is refused, not decoded into another reading (the format has
 * no slack to catch every flip structurally, e.g. a count off by one can read
 * zero padding as a repeat). The series store additionally hashes sealed
 * chunks into the evidence log; the CRC is the cheap local check.
 *
 * The encoder writes into a caller-given buffer and never past its capacity:
 * a reading that does not fit is refused with WS_ETOOBIG and the chunk stays
 * valid (finish it and start the next one). The decoder reads only `len`
 * bytes and checks everything (header, every bucket and window, timestamp
 * range, the exact length, the checksum); a truncated or corrupt chunk is WS_ECORRUPT (or
 * WS_EINVAL for a header from an unknown version), never a crash. Nothing is
 * allocated; both state structs live where the caller puts them. */
#ifndef WS_TELEMETRY_GORILLA_H
#define WS_TELEMETRY_GORILLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define GORILLA_VERSION 1
#define GORILLA_HDR_RAW 16     /* bytes of a raw chunk's header */
#define GORILLA_HDR_SCALED 24  /* ... of a scaled chunk's (adds the resolution) */
#define GORILLA_TRAILER 4      /* the CRC-32C after the bit stream */
#define GORILLA_T_MAX (INT64_C(1) << 60) /* |t_ms| bound: ~36 million years */
#define GORILLA_K_MAX (INT64_C(1) << 50) /* |v / resolution| bound in scaled mode */
#define GORILLA_RES_MIN 1e-9   /* resolutions outside [MIN, MAX] are refused */
#define GORILLA_RES_MAX 1e9

typedef struct gorilla_enc {
    uint8_t *buf;
    size_t cap;
    size_t bits;          /* bits written so far, header included */
    uint32_t count;
    bool scaled;
    double res;           /* scaled mode: the resolution */
    double inv;           /* scaled mode: N when res is 1/N, else 0 */
    int64_t t_prev, d_prev;
    uint64_t v_prev;      /* bit pattern of the previous stored word */
    int lead, len;        /* the current XOR window; len 0 = none yet */
} gorilla_enc;

typedef struct gorilla_dec {
    const uint8_t *buf;
    size_t len;
    size_t bits;          /* bits read so far */
    uint32_t count, done; /* readings in the chunk, readings returned */
    bool scaled;
    double res;
    int64_t t_prev, d_prev;
    uint64_t v_prev;
    int lead, wlen;
} gorilla_dec;

/* Start a raw chunk in buf[0..cap). WS_ETOOBIG when cap cannot hold the header,
 * one reading and the checksum (GORILLA_HDR_RAW + 8 + GORILLA_TRAILER bytes).
 * The buffer stays the caller's. */
ws_err gorilla_enc_init(gorilla_enc *enc, uint8_t *buf, size_t cap);

/* Start a scaled chunk: every value added must be gorilla_quantise(v, res)
 * (or non-finite). WS_EINVAL for a resolution outside [RES_MIN, RES_MAX]. */
ws_err gorilla_enc_init_scaled(gorilla_enc *enc, uint8_t *buf, size_t cap, double resolution);

/* Append one reading. WS_ETOOBIG: it does not fit (or the chunk holds
 * UINT32_MAX readings); the chunk is unchanged and can be finished.
 * WS_EINVAL: |t_ms| > GORILLA_T_MAX, or in scaled mode a finite value that is
 * not a multiple of the resolution as gorilla_quantise makes it, or too large
 * (|v / res| > GORILLA_K_MAX). */
ws_err gorilla_enc_add(gorilla_enc *enc, int64_t t_ms, double v);

/* gorilla_enc_add of gorilla_quantise(v, the chunk's resolution) in one step
 * (the series store's path): in a scaled chunk a finite v is rounded to its
 * step here, and WS_EINVAL only when |v / res| > GORILLA_K_MAX. In a raw
 * chunk, the same as gorilla_enc_add. When added and stored is not NULL,
 * *stored is the value the decoder will return for it (the quantised one in
 * a scaled chunk). */
ws_err gorilla_enc_add_quantised(gorilla_enc *enc, int64_t t_ms, double v, double *stored);

/* Seal the chunk: writes the count into the header and the checksum after the
 * zero padding; *len is the chunk's size in bytes. WS_EINVAL for an empty chunk.
 * The encoder may be re-initialised afterwards. */
ws_err gorilla_enc_finish(gorilla_enc *enc, size_t *len);

/* Bytes the chunk would occupy if sealed now (header, bits, padding, checksum). */
size_t gorilla_enc_size(const gorilla_enc *enc);

/* Check a chunk's header and checksum: WS_EINVAL for another version,
 * WS_ECORRUPT for a short chunk, a checksum mismatch or an inconsistent
 * header. buf is borrowed until decoding ends. */
ws_err gorilla_dec_init(gorilla_dec *dec, const uint8_t *buf, size_t len);

/* The number of readings the header announces (valid after dec_init). */
uint32_t gorilla_dec_count(const gorilla_dec *dec);

/* Next reading in stored order. *done is set (and nothing else written) once
 * all readings were returned and the chunk ended exactly at len with zero
 * padding; WS_ECORRUPT for anything else. */
ws_err gorilla_dec_next(gorilla_dec *dec, int64_t *t_ms, double *v, bool *done);

/* Decode a whole chunk into caller arrays of room `max`: *n readings.
 * WS_ETOOBIG when the chunk holds more than max (nothing partial is usable). */
ws_err gorilla_decode(const uint8_t *buf, size_t len, int64_t *t_ms, double *v, size_t max, size_t *n);

/* CRC-32C (Castagnoli) of p[0..n), as stored in a chunk's last 4 bytes (BE). */
uint32_t gorilla_crc32c(const uint8_t *p, size_t n);

/* v rounded to the nearest multiple of resolution, computed the same way every
 * time, so repeated readings have identical bits and scaled chunks can hold
 * them exactly. For r = 1/N (0.1, 0.01, 0.5 ...) the result is k / N, the
 * double nearest to the decimal k·r — the same double strtod gives for the
 * decimal text a device sends ("0.3" quantises to itself). Otherwise k * r.
 * Ties round half away from zero; zero is +0.0. Non-finite v, a resolution
 * outside [RES_MIN, RES_MAX] or |v / r| > GORILLA_K_MAX: v unchanged. */
double gorilla_quantise(double v, double resolution);

#endif
