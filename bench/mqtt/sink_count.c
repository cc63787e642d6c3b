/* sink_count.c — the default sink of `make bench-mqtt`: for each reading,
 * the same threshold test as the Node-RED flow's function node, counted
 * (readings and those over the threshold). See sink.h for plugging in another. */
#include <stdio.h>
#include <stdlib.h>

#include "sink.h"

typedef struct count_ctx {
    uint64_t n, over;
} count_ctx;

static ws_err count(void *ctx, const ws_reading *r, size_t n)
{
    count_ctx *c = ctx;
    for (size_t i = 0; i < n; i++) c->over += r[i].value >= BENCH_THRESHOLD;
    c->n += n;
    return WS_OK;
}

ws_err bench_mqtt_sink_open(ingest_sink_fn *fn, void **ctx)
{
    *fn = count;
    *ctx = calloc(1, sizeof(count_ctx));
    return *ctx ? WS_OK : WS_ENOMEM;
}

void bench_mqtt_sink_close(void *ctx)
{
    count_ctx *c = ctx;
    fprintf(stderr, "sink: %llu readings, %llu over %.0f\n", (unsigned long long)c->n, (unsigned long long)c->over,
            BENCH_THRESHOLD);
    free(c);
}
