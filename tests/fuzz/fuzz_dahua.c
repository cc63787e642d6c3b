/* fuzz_dahua.c — libFuzzer target for the Dahua eventManager stream parser
 * (ingest/dahua.c).
 *
 * The input is fed to one parser in chunks whose sizes come from the first
 * bytes, then the same bytes again in one piece to a second parser: both
 * must deliver the same events (chunking never changes the result). Every
 * delivered event has a code, a valid action and violation; the counters add
 * up; the whole input is also tried as a single block.
 *   make build/fuzz/fuzz_dahua && build/fuzz/fuzz_dahua -max_total_time=20 tests/fuzz/seeds-dahua */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/dahua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
    uint64_t n;
    uint64_t hash;
} seen;

static void cb(void *ud, const ws_camera_event *ev, json_t *d)
{
    seen *s = ud;
    if (!ev->raw_type[0] || !memchr(ev->raw_type, 0, sizeof ev->raw_type)) abort();
    if (ev->action > WS_CAM_PULSE || ev->violation > WS_VIOL_FIRE) abort();
    if (d && !json_is_object(d)) abort();
    s->n++;
    for (const char *c = ev->raw_type; *c; c++) s->hash = s->hash * 131 + (uint8_t)*c;
    s->hash = s->hash * 7 + ev->action + (uint64_t)ev->channel * 3 + (d != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dahua_parser a, b;
    if (size < 2) return 0;
    seen sa = {0, 0}, sb = {0, 0};
    unsigned step = (unsigned)data[0] % 64 + 1;
    dahua_init(&a, "myboundary", NULL, 0);
    dahua_init(&b, "myboundary", NULL, 0);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    for (size_t i = 0; i < n; i += step) dahua_feed(&a, p + i, n - i < step ? n - i : step, cb, &sa);
    dahua_feed(&b, p, n, cb, &sb);
    if (sa.n != sb.n || sa.hash != sb.hash) abort();
    if (memcmp(&a.stats, &b.stats, sizeof a.stats)) abort();
    if (a.stats.heartbeats > a.stats.events || a.stats.events != sa.n) abort();
    ws_camera_event ev;
    json_t *d = NULL;
    if (dahua_parse_block((const char *)p, n, NULL, 0, &ev, &d) == WS_OK) {
        if (!ev.raw_type[0]) abort();
    }
    json_decref(d);
    return 0;
}
