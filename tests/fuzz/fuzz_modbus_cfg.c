/* fuzz_modbus_cfg.c — libFuzzer target for the Modbus device configuration
 * parser and request planner (ingest/modbus.c).
 *
 * Any input is parsed as a device. A refusal must name a field and leave no
 * device; an accepted device must have a plan that covers every point
 * exactly where it lies (same function, inside its request, request within
 * 125 registers / 2000 bits and address 65535), requests in ascending order
 * without overlap per function, and every point must convert from zeroed
 * registers to a reading whose NaN goes with quality BAD only.
 *   make build/fuzz/fuzz_modbus_cfg && build/fuzz/fuzz_modbus_cfg -max_total_time=20 tests/fuzz/seeds-modbus_cfg */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/modbus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    modbus_device *d = (modbus_device *)&size;
    ws_err_clear();
    ws_err rc = modbus_device_parse((const char *)data, size, &d);
    if (rc) {
        if (d) abort();
        if (rc == WS_EINVAL && !ws_err_field()[0]) abort();
        return 0;
    }
    if (!d || d->npoints == 0 || d->npoints > MODBUS_CFG_MAX_POINTS || d->nreq == 0 || d->nreq > d->npoints) abort();
    for (size_t r = 0; r < d->nreq; r++) {
        const modbus_request *q = &d->reqs[r];
        unsigned cap = q->function <= MB_FC_DISCRETE ? 2000 : 125;
        if (q->function < 1 || q->function > 4 || q->count == 0 || q->count > cap) abort();
        if ((uint32_t)q->start + q->count > 65536u) abort();
        if (r && d->reqs[r - 1].function == q->function &&
            (uint32_t)d->reqs[r - 1].start + d->reqs[r - 1].count > q->start)
            abort();
        if (r && d->reqs[r - 1].function > q->function) abort();
    }
    static const uint16_t zero[4];
    for (size_t i = 0; i < d->npoints; i++) {
        const modbus_point *p = &d->points[i];
        if (p->req >= d->nreq) abort();
        const modbus_request *q = &d->reqs[p->req];
        if (q->function != p->function || (uint32_t)q->start + p->at != p->address) abort();
        if ((uint32_t)p->at + modbus_type_width(p->function, p->type) > q->count) abort();
        if (!p->tag[0] || !memchr(p->tag, 0, sizeof p->tag)) abort();
        ws_reading r;
        modbus_point_convert(p, zero, 0, &r);
        if (strcmp(r.tag, p->tag)) abort();
        if (isnan(r.value) != (r.quality == WS_Q_BAD)) abort();
        if (r.quality > WS_Q_BAD) abort();
    }
    modbus_device_free(d);
    return 0;
}
