/* clock.c — wall and monotonic time, RFC 3339 formatting and parsing. */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef WS_TEST_CLOCK
static _Atomic int64_t test_offset_ms;
void clock_test_advance(int64_t ms) { atomic_fetch_add(&test_offset_ms, ms); }
#endif

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#ifdef WS_TEST_CLOCK
    ms += atomic_load(&test_offset_ms);
#endif
    return ms;
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_mono_ms(void) { return clock_mono_ns() / 1000000; }

char *clock_format_rfc3339_off(int64_t ms, int offset_min, char *out, size_t cap)
{
    int64_t local = ms + (int64_t)offset_min * 60000;
    time_t secs = (time_t)(local >= 0 ? local / 1000 : (local - 999) / 1000);
    int frac = (int)(local - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char off[16];
    if (offset_min == 0) snprintf(off, sizeof off, "Z");
    else {
        int a = offset_min < 0 ? -offset_min : offset_min;
        snprintf(off, sizeof off, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
    }
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac, off);
    return out;
}

char *clock_format_rfc3339(int64_t ms, char *out, size_t cap)
{
    return clock_format_rfc3339_off(ms, 0, out, cap);
}

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int clock_parse_rfc3339(const char *s, int64_t *ms)
{
    int Y, M, D, h, mi, se, frac = 0;
    if (!s || strlen(s) < 20) return -1;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &se))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || se > 60) return -1;
    if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0)) return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 3) frac = frac * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 0) return -1;
        for (int i = nd; i < 3; i++) frac *= 10;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') p++;
    else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else return -1;
    if (*p) return -1;
    if (se == 60) se = 59; /* leap second: clamp */
    int64_t secs = clock_days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + se - off * 60;
    *ms = secs * 1000 + frac;
    return 0;
}
