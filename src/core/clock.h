/* clock.h — the one way worksafe reads time.
 *
 * Production builds read CLOCK_REALTIME. A test build (compiled with
 * -DWS_TEST_CLOCK, a separate binary never installed) also honours an offset
 * that tests move with clock_test_advance(); the symbol does not exist in the
 * production binary, so no configuration can move a permit's clock. */
#ifndef WS_CLOCK_H
#define WS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch, UTC. */
int64_t clock_now_ms(void);
/* Monotonic milliseconds for measuring durations. */
int64_t clock_mono_ms(void);
/* Monotonic nanoseconds, for latency histograms. */
int64_t clock_mono_ns(void);

/* "2026-11-28T10:26:37.123Z" into out (cap >= 32). Returns out. */
char *clock_format_rfc3339(int64_t ms, char *out, size_t cap);
/* Same instant shown at a fixed offset in minutes, e.g. +08:00 for 480. */
char *clock_format_rfc3339_off(int64_t ms, int offset_min, char *out, size_t cap);
/* Parse RFC 3339 with offset ("Z" or ±hh:mm), fractional seconds optional.
 * Returns 0 and sets *ms, or -1 when s is not such a time. */
int clock_parse_rfc3339(const char *s, int64_t *ms);

/* Days from 1970-01-01 to y-m-d (m 1..12) in the proleptic Gregorian
 * calendar (H. Hinnant's days_from_civil). Inline: ingest calls it per
 * reading with a text time. */
static inline int64_t clock_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse: y-m-d of day z (days from 1970-01-01), proleptic Gregorian
 * (H. Hinnant's civil_from_days). */
static inline void clock_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

#ifdef WS_TEST_CLOCK
void clock_test_advance(int64_t ms);
#endif

#endif
