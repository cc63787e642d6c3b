/* fuzz_hikvision.c — libFuzzer target for the Hikvision ISAPI push decoder
 * (ingest/hikvision.c: expat, jansson, multipart).
 *
 * The first byte picks the Content-Type (XML, JSON, multipart with boundary
 * "b", or none = sniffed); the rest is the body. Checks: a refusal names a
 * field and leaves nothing decoded; an accepted event has a type, a valid
 * violation and action, NUL-terminated strings, and every picture slice lies
 * inside the body.
 *   make build/fuzz/fuzz_hikvision && build/fuzz/fuzz_hikvision -max_total_time=20 tests/fuzz/seeds-hikvision */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/hikvision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {"application/xml", "application/json", "multipart/form-data; boundary=b", NULL};

#define TERMINATED(a) (memchr((a), 0, sizeof(a)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    hik_event h;
    const ws_cam_rule map[] = {{"rule7", WS_VIOL_SMOKING}};
    ws_err_clear();
    ws_err rc = hik_decode(types[data[0] & 3], data + 1, size - 1, 480, map, 1, &h);
    if (rc) {
        if (rc != WS_EINVAL && rc != WS_EMEDIA && rc != WS_ETOOBIG) abort();
        if (!ws_err_field()[0] || !ws_err_message()[0]) abort();
        if (h.ev.raw_type[0] || h.npics) abort();
        return 0;
    }
    const ws_camera_event *e = &h.ev;
    if (!e->raw_type[0] || e->violation > WS_VIOL_FIRE || e->action > WS_CAM_PULSE) abort();
    if (!TERMINATED(e->raw_type) || !TERMINATED(e->rule) || !TERMINATED(e->rule_id) || !TERMINATED(e->target) ||
        !TERMINATED(e->ip) || !TERMINATED(e->mac) || !TERMINATED(e->device_id) || !TERMINATED(e->channel_name) ||
        !TERMINATED(e->description))
        abort();
    if (h.npics > HIK_PICS_MAX) abort();
    for (size_t i = 0; i < h.npics; i++)
        if (h.pics[i].off > size - 1 || h.pics[i].len > size - 1 - h.pics[i].off) abort();
    return 0;
}
