/* integrations.c — the plant-side connections `serve` starts from
 * DATA/integrations.json (optional; absent = none):
 *
 *   {"mqtt":   { … ingest/mqtt.h config … },
 *    "modbus": [ { … one device, ingest/modbus.h … }, … ],
 *    "notify": {"proxy", "timeout_ms", "fail_after", "stale_after_s",
 *               "heartbeat_url", "heartbeat_s", "heartbeat_post"},
 *    "cameras": [ {"code", "vendor": "hikvision"|"dahua", "user", "password",
 *                  "base_url" (Dahua), "utc_offset_min", "map"} … ]}
 *
 * Each adapter delivers readings to the early-warning engine (warn_sink)
 * and publishes its counters on /metrics. The file is read strictly: an
 * unknown key or a bad value stops the start with the field named, because
 * a silently ignored gas-detector feed is worse than a refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "http/http.h"
#include "ingest/dahua_stream.h"
#include "ingest/modbus.h"
#include "notify/sender.h"
#include "ingest/mqtt.h"
#include "warn/warn.h"

struct cli_integrations {
    ingest_mqtt *mqtt;
    warn_sink_ctx mqtt_sink;
    modbus_poller *modbus;
    warn_sink_ctx modbus_sink;
    warn *w;
    notify_sender *sender;
    size_t ndahua;
    struct dahua_cam { cli_integrations *x; const warn_camera *cam; dahua_stream *s; } *dahua;
};

static void dahua_event(void *ud, const ws_camera_event *ev, json_t *data)
{
    (void)data;
    struct dahua_cam *d = ud;
    warn_camera_event(d->x->w, d->cam, ev);
}

/* The "cameras" array: configured in the engine; Dahua streams started. */
static ws_err start_cameras(cli_integrations *x, const json_t *arr)
{
    ws_err rc = warn_cameras_configure(x->w, arr);
    if (rc) return rc;
    size_t n = warn_camera_count(x->w);
    x->dahua = calloc(n ? n : 1, sizeof *x->dahua);
    if (!x->dahua) return WS_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const warn_camera *cam = warn_camera_at(x->w, i);
        if (cam->vendor != WS_CAM_DAHUA) continue;
        struct dahua_cam *d = &x->dahua[x->ndahua++];
        d->x = x;
        d->cam = cam;
        dahua_stream_opts o = {.base_url = cam->base_url, .user = cam->user, .password = cam->password,
                               .map = cam->map, .nmap = cam->nmap, .cb = dahua_event, .ud = d};
        rc = dahua_stream_start(&o, &d->s);
    }
    return rc;
}

static ws_err mqtt_metrics(void *ctx, buf *out)
{
    ingest_mqtt_counts k;
    ingest_mqtt_stats(ctx, &k);
    ws_err rc = buf_printf(out,
        "# HELP mqtt_messages_total MQTT messages received.\n# TYPE mqtt_messages_total counter\n"
        "mqtt_messages_total %llu\n"
        "# HELP mqtt_readings_total Readings decoded from MQTT.\n# TYPE mqtt_readings_total counter\n"
        "mqtt_readings_total %llu\n"
        "# HELP mqtt_bad_payloads_total MQTT payloads with a refused part, by reason.\n"
        "# TYPE mqtt_bad_payloads_total counter\n",
        (unsigned long long)k.messages, (unsigned long long)k.readings);
    for (int r = 0; !rc && r < INGEST_MQTT_REASON_COUNT; r++)
        if (k.bad[r])
            rc = buf_printf(out, "mqtt_bad_payloads_total{reason=\"%s\"} %llu\n",
                            ingest_mqtt_reason_name(r), (unsigned long long)k.bad[r]);
    if (!rc)
        rc = buf_printf(out,
            "# HELP mqtt_reconnects_total Reconnections to the broker.\n"
            "# TYPE mqtt_reconnects_total counter\nmqtt_reconnects_total %llu\n"
            "# HELP mqtt_connected Whether the MQTT client is connected and subscribed.\n"
            "# TYPE mqtt_connected gauge\nmqtt_connected %d\n",
            (unsigned long long)k.reconnects, k.connected ? 1 : 0);
    return rc;
}

static ws_err modbus_metrics(void *ctx, buf *out)
{
    modbus_stats k;
    modbus_poller_stats(ctx, &k);
    return buf_printf(out,
        "# HELP modbus_polls_total Modbus polls done.\n# TYPE modbus_polls_total counter\n"
        "modbus_polls_total %llu\n"
        "# HELP modbus_poll_failures_total Modbus polls that failed (timeout, connection).\n"
        "# TYPE modbus_poll_failures_total counter\nmodbus_poll_failures_total %llu\n"
        "# HELP modbus_sensor_faults_total 4-20 mA values out of range (sensor fault, not a reading).\n"
        "# TYPE modbus_sensor_faults_total counter\nmodbus_sensor_faults_total %llu\n",
        (unsigned long long)k.polls, (unsigned long long)k.failures, (unsigned long long)k.faults);
}

/* The "modbus" array: one device each; a refusal names modbus[i] and the
 * field inside it. */
static ws_err start_modbus(const json_t *arr, warn_sink_ctx *sink, modbus_poller **out)
{
    if (!json_is_array(arr) || !json_array_size(arr) || json_array_size(arr) > 256)
        return ws_fail(WS_EINVAL, "modbus", "modbus is an array of 1..256 devices");
    size_t n = json_array_size(arr);
    modbus_device **devs = calloc(n, sizeof *devs);
    if (!devs) return WS_ENOMEM;
    ws_err rc = WS_OK;
    for (size_t i = 0; i < n && !rc; i++)
        if ((rc = modbus_device_from_json(json_array_get(arr, i), &devs[i]))) {
            char field[96];
            snprintf(field, sizeof field, "modbus[%zu].%s", i, ws_err_field() ? ws_err_field() : "");
            rc = ws_fail(rc, field, "%s", ws_err_message());
        }
    if (!rc) {
        modbus_poller_opts po = {.sink = warn_sink, .ctx = sink};
        rc = modbus_poller_start(&po, devs, n, out);
    }
    if (rc)
        for (size_t i = 0; i < n; i++) modbus_device_free(devs[i]);
    free(devs);
    return rc;
}

static ws_err sender_metrics(void *ctx, buf *out)
{
    notify_sender_stats k;
    notify_sender_stats_get(ctx, &k);
    return buf_printf(out,
        "# HELP notify_sent_total Messages delivered to robot channels.\n# TYPE notify_sent_total counter\n"
        "notify_sent_total %llu\n"
        "# HELP notify_failed_total Requests to robot channels that failed.\n"
        "# TYPE notify_failed_total counter\nnotify_failed_total %llu\n"
        "# HELP notify_pending Messages waiting in the outbox.\n# TYPE notify_pending gauge\n"
        "notify_pending %lld\n"
        "# HELP notify_channels_failing Robot channels failing now.\n# TYPE notify_channels_failing gauge\n"
        "notify_channels_failing %d\n"
        "# HELP notify_heartbeat_failed_total Heartbeats the external monitor did not take.\n"
        "# TYPE notify_heartbeat_failed_total counter\nnotify_heartbeat_failed_total %llu\n",
        (unsigned long long)k.sent, (unsigned long long)k.failed, (long long)k.pending, k.channels_failing,
        (unsigned long long)k.heartbeat_fail);
}

/* The "notify" object: outbound proxy, timeouts, failure thresholds and the
 * heartbeat to an outside monitor. */
static ws_err notify_opts(const json_t *o, notify_sender_config *c)
{
    if (!json_is_object(o)) return ws_fail(WS_EINVAL, "notify", "notify is an object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        char f[64];
        snprintf(f, sizeof f, "notify.%s", k);
        if (!strcmp(k, "proxy") || !strcmp(k, "heartbeat_url")) {
            if (!json_is_string(v) || strlen(json_string_value(v)) > 1000)
                return ws_fail(WS_EINVAL, f, "a URL (or \"none\" for proxy)");
            if (k[0] == 'p') c->proxy = json_string_value(v);
            else c->heartbeat_url = json_string_value(v);
        } else if (!strcmp(k, "heartbeat_post")) {
            if (!json_is_boolean(v)) return ws_fail(WS_EINVAL, f, "true or false");
            c->heartbeat_post = json_is_true(v);
        } else if (!strcmp(k, "heartbeat_s") || !strcmp(k, "timeout_ms") || !strcmp(k, "fail_after") ||
                   !strcmp(k, "stale_after_s")) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 86400000)
                return ws_fail(WS_EINVAL, f, "a positive integer");
            int64_t x = json_integer_value(v);
            if (!strcmp(k, "heartbeat_s")) c->heartbeat_s = (int)x;
            else if (!strcmp(k, "timeout_ms")) c->timeout_ms = (long)x;
            else if (!strcmp(k, "fail_after")) c->fail_after = (int)x;
            else c->stale_after_s = (int)x;
        } else {
            return ws_fail(WS_EINVAL, f, "unknown key");
        }
    }
    return WS_OK;
}

ws_err cli_integrations_start(const cli_opts *o, store *db, warn *w, cli_integrations **out)
{
    *out = NULL;
    char path[CLI_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/integrations.json", o->data);
    FILE *f = fopen(path, "rb");
    json_error_t je;
    json_t *root = f ? json_loadf(f, JSON_REJECT_DUPLICATES, &je) : json_object();
    if (f) fclose(f);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return ws_fail(WS_EINVAL, "integrations.json", "%s: line %d: %s", path, je.line, je.text);
    }
    cli_integrations *x = calloc(1, sizeof *x);
    ws_err rc = x ? WS_OK : WS_ENOMEM;
    if (x) x->w = w;
    /* the outbox sender always runs (channels are configured over the API) */
    notify_sender_config nc = {.on_health = warn_notify_health, .health_ctx = w};
    json_t *no = json_object_get(root, "notify");
    if (!rc && no) rc = notify_opts(no, &nc);
    if (!rc) rc = notify_sender_start(db, &nc, &x->sender);
    if (!rc) rc = http_metrics_add_source(sender_metrics, x->sender);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (rc) break;
        if (!strcmp(key, "mqtt")) {
            ingest_mqtt_config mc;
            if ((rc = ingest_mqtt_config_parse(v, &mc))) break;
            x->mqtt_sink = (warn_sink_ctx){w, WARN_SRC_MQTT};
            if ((rc = ingest_mqtt_start(&mc, warn_sink, &x->mqtt_sink, &x->mqtt))) break;
            rc = http_metrics_add_source(mqtt_metrics, x->mqtt);
            log_info("MQTT ingest started", "broker", mc.host);
        } else if (!strcmp(key, "modbus")) {
            x->modbus_sink = (warn_sink_ctx){w, WARN_SRC_MODBUS};
            if ((rc = start_modbus(v, &x->modbus_sink, &x->modbus))) break;
            rc = http_metrics_add_source(modbus_metrics, x->modbus);
            log_info("Modbus polling started");
        } else if (!strcmp(key, "notify")) {
            /* read above */
        } else if (!strcmp(key, "cameras")) {
            rc = start_cameras(x, v);
        } else {
            rc = ws_fail(WS_EINVAL, key, "integrations.json: unknown key %s (mqtt, modbus, cameras, notify)", key);
        }
    }
    json_decref(root);
    if (rc) {
        cli_integrations_stop(x);
        return rc;
    }
    *out = x;
    return WS_OK;
}

void cli_integrations_stop(cli_integrations *x)
{
    if (!x) return;
    ingest_mqtt_stop(x->mqtt);
    modbus_poller_stop(x->modbus);
    for (size_t i = 0; i < x->ndahua; i++) dahua_stream_stop(x->dahua[i].s);
    free(x->dahua);
    notify_sender_stop(x->sender);
    free(x);
}
