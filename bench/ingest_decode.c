/* ingest_decode.c — `make bench-decode`: readings per second of each text
 * decoder (line format, JSON batch "readings", JSON "series", CSV long and
 * wide) on one core, over ~10 MB of generated input held in memory, next to
 * memchr over the same bytes (a ceiling: the least any decoder must do is
 * find the line ends). Best of 5 runs. Release build (-O2). Generated data:
 * 2,000 tags "U<n>-GT-<n>.PV", values with 1..3 decimals, ms times 1 s apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"

#define TARGET (10u << 20)
#define CAP (3u << 20)

static ws_reading *out;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void gen_value(char *b, size_t cap, unsigned i)
{
    unsigned x = i * 2654435761u;
    switch (x % 3) {
    case 0: snprintf(b, cap, "%u.%u", x % 100, (x >> 8) % 10); break;
    case 1: snprintf(b, cap, "%u.%02u", x % 1000, (x >> 8) % 100); break;
    default: snprintf(b, cap, "-%u.%03u", x % 10, (x >> 8) % 1000); break;
    }
}

static char *gen(int kind, size_t *len, size_t *readings)
{
    char *s = malloc(TARGET + 4096);
    size_t k = 0, r = 0;
    int64_t t = INT64_C(1795860000000);
    char v[32];
    if (kind == 1) k += (size_t)sprintf(s, "{\"readings\":[");
    if (kind == 2) k += (size_t)sprintf(s, "{\"series\":[");
    if (kind == 3) k += (size_t)sprintf(s, "tag,time,value\n");
    if (kind == 4) {
        k += (size_t)sprintf(s, "time");
        for (int c = 0; c < 100; c++) k += (size_t)sprintf(s + k, ",U%d-GT-%d.PV", c % 7, c);
        s[k++] = '\n';
    }
    unsigned i = 0;
    while (k < TARGET - 2048) {
        gen_value(v, sizeof v, i);
        unsigned tag = i % 2000;
        switch (kind) {
        case 0:
            k += (size_t)sprintf(s + k, "U%u-GT-%u.PV %s %lld\n", tag % 7, tag, v,
                                 (long long)(t + i / 2000 * 1000));
            r++;
            break;
        case 1:
            k += (size_t)sprintf(s + k, "%s{\"tag\":\"U%u-GT-%u.PV\",\"value\":%s,\"t\":%lld}",
                                 i ? "," : "", tag % 7, tag, v, (long long)(t + i / 2000 * 1000));
            r++;
            break;
        case 2:
            k += (size_t)sprintf(s + k, "%s{\"tag\":\"U%u-GT-%u.PV\",\"t0\":%lld,\"dt\":1000,"
                                 "\"values\":[", i ? "," : "", tag % 7, tag, (long long)t);
            for (int j = 0; j < 600; j++) {
                gen_value(v, sizeof v, i * 600 + (unsigned)j);
                k += (size_t)sprintf(s + k, "%s%s", j ? "," : "", v);
            }
            k += (size_t)sprintf(s + k, "]}");
            r += 600;
            break;
        case 3:
            k += (size_t)sprintf(s + k, "U%u-GT-%u.PV,%lld,%s\n", tag % 7, tag,
                                 (long long)(t + i / 2000 * 1000), v);
            r++;
            break;
        case 4:
            k += (size_t)sprintf(s + k, "2026-11-28 %02u:%02u:%02u", i / 3600 % 24, i / 60 % 60,
                                 i % 60);
            for (int c = 0; c < 100; c++) {
                gen_value(v, sizeof v, i * 100 + (unsigned)c);
                k += (size_t)sprintf(s + k, ",%s", v);
            }
            s[k++] = '\n';
            r += 100;
            break;
        }
        i++;
    }
    if (kind == 1 || kind == 2) k += (size_t)sprintf(s + k, "]}");
    *len = k;
    *readings = r;
    return s;
}

static uint64_t sunk;
static ws_err sink(void *ctx, const ws_reading *r, size_t n)
{
    (void)ctx;
    (void)r;
    sunk += n;
    return WS_OK;
}

static size_t run(int kind, const char *s, size_t len)
{
    size_t n = 0, total = 0;
    ingest_errors e;
    ingest_errors_init(&e);
    if (kind == 0) {
        size_t pos = 0, line = 0;
        for (;;) {
            ws_err rc = ingest_line_decode_at(s + pos, len - pos, line, pos, out, CAP, &n, &e);
            total += n;
            if (rc != WS_ETOOBIG) break;
            pos = e.resume;
            e.full = false;
        }
    } else if (kind <= 2) {
        ingest_batch_decode(s, len, out, CAP, &n, &e);
        total = n;
    } else {
        ingest_csv_opts o = {.offset_min = 480, .sink = sink};
        sunk = 0;
        ingest_csv *c = ingest_csv_new(&o);
        for (size_t i = 0; i < len; i += 1u << 20)
            ingest_csv_feed(c, s + i, len - i < (1u << 20) ? len - i : 1u << 20, &e);
        ingest_csv_finish(c, &e);
        ingest_csv_free(c);
        total = sunk;
    }
    if (e.count) fprintf(stderr, "unexpected errors: %zu (%s)\n", e.count,
                         ingest_reason_name(e.sample[0].reason));
    return total;
}

int main(void)
{
    static const char *names[] = {"line", "json_readings", "json_series", "csv_long", "csv_wide"};
    out = malloc(CAP * sizeof *out);
    printf("%-14s %8s %10s %12s %8s %10s\n", "decoder", "MB", "readings", "readings/s", "ns/rdg",
           "memchr_GB/s");
    for (int kind = 0; kind < 5; kind++) {
        size_t len, expect;
        char *s = gen(kind, &len, &expect);
        double best = 1e9, bestm = 1e9;
        size_t got = 0;
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now();
            got = run(kind, s, len);
            double t1 = now();
            if (t1 - t0 < best) best = t1 - t0;
            t0 = now();
            size_t lines = 0;
            for (const char *p = s; (p = memchr(p, '\n', len - (size_t)(p - s))); p++) lines++;
            t1 = now();
            if (t1 - t0 < bestm) bestm = t1 - t0;
            if (lines == (size_t)-1) puts("");
        }
        if (got != expect) fprintf(stderr, "%s: %zu readings, expected %zu\n", names[kind], got, expect);
        printf("%-14s %8.1f %10zu %12.0f %8.1f %10.2f\n", names[kind], len / 1048576.0, got,
               got / best, best * 1e9 / got, len / bestm / 1e9);
        free(s);
    }
    free(out);
    return 0;
}
