/* fuzz_sparkplug.c — libFuzzer target for the Sparkplug B decoder
 * (ingest/sparkplug.c).
 *
 * The first byte picks a topic (NBIRTH/DBIRTH/NDATA/DDATA/NDEATH/DDEATH of
 * one node and device, or a topic made of the next bytes); the rest is the
 * payload, handed to one session that lives across inputs so BIRTH tables,
 * bdSeq and DEATH meet each other. Checks: a refused message names its field
 * and leaves the point count unchanged; readings stay in the array, tags are
 * NUL-terminated within WS_TAG_MAX, qualities are valid and NaN only comes
 * with BAD or STALE; a scanned payload iterates exactly its metric count.
 *   make build/fuzz/fuzz_sparkplug && build/fuzz/fuzz_sparkplug -max_total_time=20 tests/fuzz/seeds-sparkplug */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/sparkplug.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const topics[] = {
    "spBv1.0/g/NBIRTH/n", "spBv1.0/g/DBIRTH/n/d", "spBv1.0/g/NDATA/n", "spBv1.0/g/DDATA/n/d",
    "spBv1.0/g/NDEATH/n", "spBv1.0/g/DDEATH/n/d", "spBv1.0/g/NBIRTH/m", "spBv1.0/g/NDATA/m",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static spb_session *s;
    static ws_reading out[64];
    if (!s) s = spb_session_new(8, 256, NULL);
    if (!s) abort();
    if (size == 0) return 0;
    const char *topic;
    size_t tlen;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    if (data[0] < 0xF0) {
        topic = topics[data[0] % 8];
        tlen = strlen(topic);
    } else { /* the topic is the next bytes up to a NUL */
        const uint8_t *z = memchr(p, 0, n);
        if (!z) return 0;
        topic = (const char *)p;
        tlen = (size_t)(z - p);
        n -= tlen + 1;
        p = z + 1;
    }
    size_t before = spb_session_points(s);
    spb_result res;
    ws_err_clear();
    ws_err rc = spb_session_handle(s, topic, tlen, p, n, out, 64, &res);
    if (rc) {
        if (rc != WS_EINVAL && rc != WS_ETOOBIG) abort();
        if (!ws_err_field()[0] || !ws_err_message()[0]) abort();
        if (spb_session_points(s) != before) abort();
    } else {
        if (res.nout > 64) abort();
        for (size_t i = 0; i < res.nout; i++) {
            const ws_reading *r = &out[i];
            if (memchr(r->tag, 0, sizeof r->tag) == NULL || strlen(r->tag) > WS_TAG_MAX) abort();
            if (r->quality > WS_Q_STALE) abort();
            if (isnan(r->value) && r->quality != WS_Q_BAD && r->quality != WS_Q_STALE) abort();
        }
        if (spb_session_points(s) > 256) abort();
    }
    spb_payload pl;
    if (spb_payload_scan(p, n, &pl) == WS_OK) {
        spb_metric m;
        size_t k = 0;
        while (spb_next_metric(&pl, &m)) {
            if (m.name && (m.name < (const char *)p || m.name + m.name_len > (const char *)p + n)) abort();
            k++;
        }
        if (k != pl.nmetrics) abort();
    }
    return 0;
}
