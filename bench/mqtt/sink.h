/* sink.h — the pluggable worksafe side of `make bench-mqtt`: where the MQTT
 * client's readings go. The default (sink_count.c) applies the bench's
 * threshold and counts; a sink into the real engine (warn_sink) is another
 * file with these two functions, chosen with
 *     make bench-mqtt MQTT_BENCH_SINK=bench/mqtt/sink_warn.c MQTT_BENCH_LIBS=build/rel/libworksafe.a
 * The bench measures readings through ingest_mqtt_stats, so a sink only has
 * to return WS_OK for what it accepted. */
#ifndef WS_BENCH_MQTT_SINK_H
#define WS_BENCH_MQTT_SINK_H

#include "ingest/ingest.h"

/* The threshold the bench's peers apply too (Node-RED's function node). */
#define BENCH_THRESHOLD 25.0

/* Set up the sink; *ctx is passed to fn. WS_OK or an error (printed). */
ws_err bench_mqtt_sink_open(ingest_sink_fn *fn, void **ctx);
/* After the client stopped: free what open made; may print a summary line. */
void bench_mqtt_sink_close(void *ctx);

#endif
