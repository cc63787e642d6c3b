/* tz.c — offsets of IANA time zones for the ledgers, read from the system's
 * TZif files (RFC 8536) under /usr/share/zoneinfo.
 *
 * Why not setenv("TZ") + localtime_r: the server is multi-threaded and TZ is
 * process-global. Here a zone is parsed once (the 64-bit data block of a
 * version 2+ file, else the 32-bit one), kept in a small cache behind a
 * mutex for the life of the process, and looked up by binary search over its
 * transitions. Past the last transition the last offset holds: Debian ships
 * "fat" files with transitions listed up to 2037, and the zones Chinese sites
 * use (Asia/Shanghai, Asia/Urumqi) have had no change since 1991. The POSIX
 * rule in the file's footer is not read. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZ_FILE_MAX (256u << 10)
#define TZ_CACHE 32
#define TZ_NAME_MAX 64
#define SHANGHAI_MIN 480

typedef struct tz_zone {
    char name[TZ_NAME_MAX + 1];
    bool ok;           /* false: unknown zone, use Shanghai */
    size_t n;          /* transitions */
    int64_t *at;       /* transition instants, seconds, ascending */
    int32_t *off;      /* offset in seconds from each transition on */
    int32_t first_off; /* before the first transition */
} tz_zone;

static tz_zone cache[TZ_CACHE];
static size_t ncache;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool name_ok(const char *tz)
{
    size_t n = strlen(tz);
    if (!n || n > TZ_NAME_MAX || tz[0] == '/' || strstr(tz, "..")) return false;
    for (const char *p = tz; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parse a TZif image into z; false when it is not one. */
static bool parse(const unsigned char *d, size_t len, tz_zone *z)
{
    if (len < 44 || memcmp(d, "TZif", 4) != 0) return false;
    int wide = d[4] >= '2';
    const unsigned char *h = d;
    for (int pass = 0; pass < 2; pass++) {
        if ((size_t)(h - d) + 44 > len || memcmp(h, "TZif", 4) != 0) return false;
        uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28),
                 timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
        size_t tsz = pass == 1 ? 8 : 4;
        size_t body = timecnt * tsz + timecnt + typecnt * 6 + charcnt + leap * (tsz + 4) + isstd +
                      isut;
        const unsigned char *p = h + 44;
        if (typecnt == 0 || timecnt > 10000 || typecnt > 256 || (size_t)(p - d) + body > len)
            return false;
        if (wide && pass == 0) { /* skip the 32-bit block */
            h = p + body;
            continue;
        }
        const unsigned char *times = p, *idx = p + timecnt * tsz, *types = idx + timecnt;
        z->at = calloc(timecnt ? timecnt : 1, sizeof *z->at);
        z->off = calloc(timecnt ? timecnt : 1, sizeof *z->off);
        if (!z->at || !z->off) return false;
        for (uint32_t i = 0; i < timecnt; i++) {
            if (idx[i] >= typecnt) return false;
            z->at[i] = tsz == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
            z->off[i] = (int32_t)be32(types + 6 * idx[i]);
        }
        z->n = timecnt;
        z->first_off = (int32_t)be32(types); /* type 0: the zone before any transition */
        return true;
    }
    return false;
}

static void load(tz_zone *z)
{
    char path[sizeof TZ_DIR + TZ_NAME_MAX + 1];
    snprintf(path, sizeof path, "%s%s", TZ_DIR, z->name);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    unsigned char *d = malloc(TZ_FILE_MAX);
    size_t len = d ? fread(d, 1, TZ_FILE_MAX, f) : 0;
    fclose(f);
    if (d && parse(d, len, z)) {
        z->ok = true;
    } else {
        free(z->at);
        free(z->off);
        z->at = NULL;
        z->off = NULL;
        z->n = 0;
    }
    free(d);
}

static int offset_in(const tz_zone *z, int64_t s)
{
    if (!z->ok) return SHANGHAI_MIN * 60;
    if (z->n == 0 || s < z->at[0]) return z->first_off;
    size_t lo = 0, hi = z->n; /* the last transition <= s */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= s) lo = mid;
        else hi = mid;
    }
    return z->off[lo];
}

int ledger_tz_offset(const char *tz, int64_t ms)
{
    if (!tz || !*tz) tz = LEDGER_DEFAULT_TZ;
    if (!name_ok(tz)) tz = LEDGER_DEFAULT_TZ;
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int off = SHANGHAI_MIN * 60;
    pthread_mutex_lock(&lock);
    tz_zone *z = NULL;
    for (size_t i = 0; i < ncache && !z; i++)
        if (strcmp(cache[i].name, tz) == 0) z = &cache[i];
    if (!z && ncache < TZ_CACHE) {
        z = &cache[ncache++];
        snprintf(z->name, sizeof z->name, "%s", tz);
        load(z);
    }
    if (z) {
        off = offset_in(z, s);
    } else { /* cache full: read once without keeping */
        tz_zone t = {0};
        snprintf(t.name, sizeof t.name, "%s", tz);
        load(&t);
        off = offset_in(&t, s);
        free(t.at);
        free(t.off);
    }
    pthread_mutex_unlock(&lock);
    return off / 60;
}

char *ledger_format_time(int64_t ms, const char *tz, bool with_time, char *out, size_t cap)
{
    int off = ledger_tz_offset(tz, ms);
    time_t t = (time_t)((ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)) + (int64_t)off * 60);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, cap, "%s", "");
        return out;
    }
    if (with_time)
        snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min);
    else
        snprintf(out, cap, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return out;
}
