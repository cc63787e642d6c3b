/* reading.h — what every ingest decoder produces: one reading of one point
 * (位号), as it arrived, before the point is resolved and rules run.
 *
 * Decoders (line format, JSON batch, CSV history, Sparkplug B, Modbus) fill
 * a caller-owned array of these; nothing is allocated per reading. The tag
 * is copied (bounded), so a reading outlives the payload it came from. */
#ifndef WS_INGEST_READING_H
#define WS_INGEST_READING_H

#include <stdint.h>

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

#endif
