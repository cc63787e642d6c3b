/* sink_warn.c — the worksafe side of `make bench-mqtt` through the whole
 * early-warning engine: a fresh SQLite data directory with the 100 points
 * the publisher uses (GT-000..GT-099, combustible gas, GB/T 50493 limits),
 * the series store and the ingest journal, so each MQTT reading is
 * journaled, compressed, evaluated and (over 25 %LEL) raises an alarm with
 * its fsynced record — what `serve` does with an integrations.json "mqtt".
 * Selected by bench/ingest/run.sh (the mqtt_ratio of bench-ingest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alarm/ruleset.h"
#include "auth/auth.h"
#include "org/org.h"
#include "sink.h"
#include "telemetry/point.h"
#include "telemetry/series.h"
#include "warn/warn.h"

typedef struct warn_bench {
    char dir[64];
    store *db;
    series *ser;
    warn *w;
    warn_sink_ctx sink;
} warn_bench;

ws_err bench_mqtt_sink_open(ingest_sink_fn *fn, void **ctx)
{
    warn_bench *b = calloc(1, sizeof *b);
    if (!b) return WS_ENOMEM;
    snprintf(b->dir, sizeof b->dir, "/tmp/ws-bench-mqtt-XXXXXX");
    if (!mkdtemp(b->dir)) return WS_EIO;
    char url[128], surl[160], wal[96];
    snprintf(url, sizeof url, "sqlite:%s/worksafe.db", b->dir);
    snprintf(wal, sizeof wal, "%s/journal", b->dir);
    store_conn *c = NULL;
    static const audit_actor who = {"bench"};
    const org_caller by = {&who, NULL};
    int64_t unit = 0;
    ws_err rc = auth_init();
    if (!rc) rc = org_init();
    if (!rc) rc = point_init();
    if (!rc) rc = warn_init();
    if (!rc) rc = alarm_ruleset_init();
    if (!rc) rc = store_open(url, 4, &b->db);
    if (!rc) rc = store_acquire(b->db, &c);
    if (!rc) rc = store_migrate(c);
    if (!rc) rc = org_create_root(c, &who, "enterprise", "BENCH", "bench", &unit);
    for (int k = 0; !rc && k < 100; k++) {
        char tag[16];
        snprintf(tag, sizeof tag, "GT-%03d", k);
        point_in in = {.set = POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME | POINT_SET_KIND,
                       .unit_id = unit, .tag = tag, .name = tag, .kind = "combustible",
                       .range_low = 0.0 / 0.0, .range_high = 0.0 / 0.0, .resolution = 0.0 / 0.0,
                       .exposure_limit = 0.0 / 0.0, .ll = 0.0 / 0.0, .l = 0.0 / 0.0, .h = 0.0 / 0.0,
                       .hh = 0.0 / 0.0, .deadband = 0.0 / 0.0, .active = true};
        int64_t id;
        rc = point_create(c, &by, &in, &id);
    }
    if (c) store_release(c);
    if (!rc) rc = series_url(url, b->dir, surl, sizeof surl);
    if (!rc) rc = series_open(surl, NULL, &b->ser);
    warn_config wc = {.db = b->db, .db_url = url, .series = b->ser, .wal_dir = wal};
    if (!rc) rc = warn_open(&wc, &b->w);
    if (rc) {
        fprintf(stderr, "sink_warn: %s\n", ws_err_message());
        return rc;
    }
    b->sink = (warn_sink_ctx){b->w, WARN_SRC_MQTT};
    *fn = warn_sink;
    *ctx = &b->sink;
    return WS_OK;
}

void bench_mqtt_sink_close(void *ctx)
{
    warn_bench *b = (warn_bench *)((char *)ctx - offsetof(warn_bench, sink));
    warn_stats_out s;
    warn_stats(b->w, &s);
    fprintf(stderr, "sink_warn: %llu readings through the engine, %llu alarm events, %zu open alarms\n",
            (unsigned long long)s.readings, (unsigned long long)s.alarm_events, s.open_alarms);
    warn_close(b->w);
    (void)series_close(b->ser);
    store_close(b->db);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
    if (system(cmd)) { /* left behind in /tmp */ }
    free(b);
}
