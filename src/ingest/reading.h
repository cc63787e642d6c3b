/* reading.h — what every ingest decoder produces: one reading of one point
 * (位号), as it arrived, before the point is resolved and rules run.
 *
 * Decoders (line format, JSON batch, CSV history, Sparkplug B, Modbus) fill
 * a caller-owned array of these; nothing is allocated per reading. The tag
 * is copied (bounded), so a reading outlives the payload it came from. */
#ifndef WS_INGEST_READING_H
#define WS_INGEST_READING_H

#include <stdint.h>
#include <string.h>

#define WS_TAG_MAX 63

typedef enum {
    WS_Q_GOOD = 0,      /* a valid measurement */
    WS_Q_UNCERTAIN = 1, /* the device says so (calibration, out of range but plausible) */
    WS_Q_BAD = 2,       /* a sensor fault (e.g. 4–20 mA below 3.8 mA): not a measurement */
    WS_Q_STALE = 3,     /* the source went away (Sparkplug DEATH, poll timeout) */
} ws_quality;

typedef struct ws_reading {
    char tag[WS_TAG_MAX + 1]; /* the point's tag as sent, NUL-terminated */
    int64_t source_ms;        /* the device's time, ms UTC; 0 = none (arrival time stands) */
    double value;             /* NaN only with quality BAD or STALE */
    uint8_t quality;          /* ws_quality */
} ws_reading;

#define WS_TAG_WORDS ((WS_TAG_MAX + 1) / 8)

/* A tag field (WS_TAG_MAX + 1 bytes, NUL-terminated) as 8-byte words, zero
 * past the NUL (bytes there may be stale in a reused reading), in one pass a
 * word at a time: ingest's hot path, where the engine hashes and compares
 * the words and the journal copies the tag. Returns the tag's length; the
 * words filled are length / 8 + 1. */
static inline size_t ws_tag_words(const char tag[WS_TAG_MAX + 1], uint64_t wd[WS_TAG_WORDS])
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (size_t i = 0; i < WS_TAG_WORDS; i++) {
        uint64_t x;
        memcpy(&x, tag + 8 * i, 8);
        /* the lowest zero byte's top bit (higher ones may be false hits) */
        uint64_t z = (x - UINT64_C(0x0101010101010101)) & ~x & UINT64_C(0x8080808080808080);
        if (z) {
            unsigned b = (unsigned)__builtin_ctzll(z) >> 3; /* tag bytes in this word */
            wd[i] = b ? x & (~UINT64_C(0) >> (64 - 8 * b)) : 0;
            return 8 * i + b;
        }
        wd[i] = x;
    }
    return WS_TAG_MAX; /* not reached: the field's last byte is a NUL */
#else
    size_t len = strnlen(tag, WS_TAG_MAX);
    memset(wd, 0, 8 * (len / 8 + 1));
    memcpy(wd, tag, len);
    return len;
#endif
}

#endif
