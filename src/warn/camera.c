/* camera.c — AI-camera events into alarms (issue 4 item 2): Hikvision ISAPI
 * pushes arrive at POST /api/v1/cameras/{code}/events, Dahua eventManager
 * streams are read by dahua_stream (started by serve); both are decoded in
 * src/ingest and mapped to a violation here:
 *
 *   violation    level   rule id      alarm source
 *   fire 烟火     紧急 3   204          the camera (device id), area = its unit
 *   smoking 吸烟  报警 2   203
 *   intrusion    报警 2   202
 *   no helmet    预警 1   201
 *
 * An event that starts (Hikvision active, Dahua Start) raises; Stop clears;
 * a one-shot event (Dahua Pulse, a Hikvision push without a state) raises and
 * clears at once, so the alarm waits for acknowledgement and its handling
 * record like any other. Heartbeats and "other" events only count.
 *
 * Cameras are configured in DATA/integrations.json "cameras": each names a
 * device of the register (kind camera) by code, its vendor, credentials (the
 * Hikvision push carries them as HTTP Basic, unless it comes from an address
 * of the camera's "allow" list — for cameras that cannot authenticate their
 * pushes; the Dahua stream uses them for digest) and an optional mapping of
 * vendor event names to violations.
 * Pictures of a push go through the attachment store (its quotas and
 * metadata stripping) and are linked to the alarm. */
#include "warn/warn_int.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "core/clock.h"
#include "core/log.h"
#include "ingest/hikvision.h"
#include "store/q_telemetry.h"
#include "store/q_warn.h"
#include "telemetry/point.h"

static const uint8_t viol_level[] = {0, ALARM_LVL_NOTICE, ALARM_LVL_ALARM, ALARM_LVL_ALARM,
                                     ALARM_LVL_EMERGENCY};
static const char *const viol_title[] = {"", "未戴安全帽", "区域入侵", "吸烟", "烟火"};

static int viol_of(const char *s)
{
    for (int v = 1; v <= WS_VIOL_FIRE; v++)
        if (!strcmp(s, ws_violation_name(v))) return v;
    return -1;
}

/* "10.0.2.8", "fe80::1" or "10.0.2.0/24". */
static bool allow_valid(const char *a)
{
    char ip[48];
    unsigned char b[16];
    const char *slash = strchr(a, '/');
    if (strlen(a) >= sizeof ip) return false;
    if (!slash) return inet_pton(AF_INET, a, b) == 1 || inet_pton(AF_INET6, a, b) == 1;
    snprintf(ip, sizeof ip, "%.*s", (int)(slash - a), a);
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    return !*end && slash[1] && bits >= 0 && bits <= 32 && inet_pton(AF_INET, ip, b) == 1;
}

/* Whether peer is on the camera's allow-list. */
static bool allowed(const warn_camera *cam, const char *peer)
{
    if (!peer || !*peer) return false;
    struct in_addr p4;
    bool v4 = inet_pton(AF_INET, peer, &p4) == 1;
    for (unsigned i = 0; i < cam->nallow; i++) {
        const char *a = cam->allow[i], *slash = strchr(a, '/');
        if (!slash) {
            if (!strcmp(a, peer)) return true;
            continue;
        }
        char ip[48];
        snprintf(ip, sizeof ip, "%.*s", (int)(slash - a), a);
        struct in_addr net;
        int bits = atoi(slash + 1);
        if (!v4 || inet_pton(AF_INET, ip, &net) != 1) continue;
        uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;
        if ((p4.s_addr & mask) == (net.s_addr & mask)) return true;
    }
    return false;
}

/* Parse one camera object strictly; the device is looked up by code. */
static ws_err parse_camera(store_conn *c, const json_t *o, size_t i, warn_camera *cam)
{
    char f[64];
    memset(cam, 0, sizeof *cam);
    if (!json_is_object(o)) {
        snprintf(f, sizeof f, "cameras[%zu]", i);
        return ws_fail(WS_EINVAL, f, "a camera is an object");
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        snprintf(f, sizeof f, "cameras[%zu].%s", i, k);
        if (!strcmp(k, "code") || !strcmp(k, "user") || !strcmp(k, "password") ||
            !strcmp(k, "vendor") || !strcmp(k, "base_url")) {
            const char *s = json_string_value(v);
            char *dst = !strcmp(k, "code") ? cam->code : !strcmp(k, "user") ? cam->user
                        : !strcmp(k, "password") ? cam->password : !strcmp(k, "vendor") ? cam->vendor_name
                        : cam->base_url;
            size_t cap = !strcmp(k, "code") ? sizeof cam->code : !strcmp(k, "user") ? sizeof cam->user
                         : !strcmp(k, "password") ? sizeof cam->password
                         : !strcmp(k, "vendor") ? sizeof cam->vendor_name : sizeof cam->base_url;
            if (!s || !*s || strlen(s) >= cap) return ws_fail(WS_EINVAL, f, "a string of 1..%zu bytes", cap - 1);
            memcpy(dst, s, strlen(s) + 1);
        } else if (!strcmp(k, "utc_offset_min")) {
            if (!json_is_integer(v) || json_integer_value(v) < -720 || json_integer_value(v) > 840)
                return ws_fail(WS_EINVAL, f, "minutes east of UTC, -720..840");
            cam->offset_min = (int)json_integer_value(v);
        } else if (!strcmp(k, "allow")) {
            if (!json_is_array(v) || json_array_size(v) > WARN_CAM_ALLOW_MAX)
                return ws_fail(WS_EINVAL, f, "a list of up to %d addresses or IPv4 CIDR blocks", WARN_CAM_ALLOW_MAX);
            size_t ai;
            json_t *av;
            json_array_foreach(v, ai, av) {
                const char *a = json_string_value(av);
                if (!a || !allow_valid(a))
                    return ws_fail(WS_EINVAL, f, "allow[%zu]: an IPv4/IPv6 address or an IPv4 CIDR block", ai);
                snprintf(cam->allow[cam->nallow++], sizeof cam->allow[0], "%s", a);
            }
        } else if (!strcmp(k, "map")) {
            if (!json_is_object(v) || json_object_size(v) > WARN_CAM_MAP_MAX)
                return ws_fail(WS_EINVAL, f, "an object of up to %d vendor names → violation", WARN_CAM_MAP_MAX);
            const char *mk;
            json_t *mv;
            json_object_foreach(v, mk, mv) {
                int vi = json_is_string(mv) ? viol_of(json_string_value(mv)) : -1;
                if (vi < 0 || strlen(mk) >= sizeof cam->match[0] || !*mk)
                    return ws_fail(WS_EINVAL, f, "map %s: no_helmet, intrusion, smoking or fire", mk);
                snprintf(cam->match[cam->nmap], sizeof cam->match[0], "%s", mk);
                cam->map[cam->nmap] = (ws_cam_rule){cam->match[cam->nmap], (uint8_t)vi};
                cam->nmap++;
            }
        } else {
            return ws_fail(WS_EINVAL, f, "unknown key");
        }
    }
    snprintf(f, sizeof f, "cameras[%zu]", i);
    if (!cam->code[0]) return ws_fail(WS_EINVAL, f, "a camera needs code (the device's code)");
    if (!strcmp(cam->vendor_name, "hikvision")) cam->vendor = WS_CAM_HIKVISION;
    else if (!strcmp(cam->vendor_name, "dahua")) cam->vendor = WS_CAM_DAHUA;
    else return ws_fail(WS_EINVAL, f, "vendor is hikvision or dahua");
    if ((!cam->user[0] || !cam->password[0]) && !cam->nallow)
        return ws_fail(WS_EINVAL, f, "a camera needs user and password, or an allow-list of its addresses");
    if (cam->vendor == WS_CAM_DAHUA && (!cam->user[0] || !cam->password[0]))
        return ws_fail(WS_EINVAL, f, "a Dahua camera needs user and password (its stream is read with them)");
    if (cam->vendor == WS_CAM_DAHUA && !cam->base_url[0])
        return ws_fail(WS_EINVAL, f, "a Dahua camera needs base_url (its event stream is read)");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DEVICE_BY_CODE, &st);
    if (!rc) rc = store_bind_text(st, 1, cam->code);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) cam->device_id = store_col_int(st, 0);
    store_finalize(st);
    if (rc) return rc;
    point_device d;
    if (!row || point_device_get(c, cam->device_id, &d))
        return ws_fail(WS_EINVAL, f, "no device with code %s in the register", cam->code);
    cam->unit_id = d.unit_id;
    snprintf(cam->name, sizeof cam->name, "%.*s", (int)sizeof cam->name - 1, d.name);
    snprintf(cam->unit_path, sizeof cam->unit_path, "%.*s", (int)sizeof cam->unit_path - 1, d.unit_path);
    return WS_OK;
}

ws_err warn_cameras_configure(warn *w, const json_t *arr)
{
    if (!json_is_array(arr) || json_array_size(arr) > WARN_CAMERAS_MAX)
        return ws_fail(WS_EINVAL, "cameras", "cameras is an array of at most %d", WARN_CAMERAS_MAX);
    size_t n = json_array_size(arr);
    warn_camera *cams = calloc(n ? n : 1, sizeof *cams);
    if (!cams) return WS_ENOMEM;
    store_conn *c = NULL;
    ws_err rc = store_acquire(w->cfg.db, &c);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = parse_camera(c, json_array_get(arr, i), i, &cams[i]);
        for (size_t k = 0; k < i && !rc; k++)
            if (!strcmp(cams[k].code, cams[i].code)) rc = ws_fail(WS_EINVAL, "cameras", "camera %s twice", cams[i].code);
    }
    if (c) store_release(c);
    if (rc) {
        free(cams);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    free(w->cams);
    w->cams = cams;
    w->ncams = n;
    pthread_mutex_unlock(&w->mu);
    return WS_OK;
}

size_t warn_camera_count(warn *w) { return w->ncams; }
const warn_camera *warn_camera_at(warn *w, size_t i) { return i < w->ncams ? &w->cams[i] : NULL; }

/* Raise/clear the camera's alarm for ev; the new alarm's id into *alarm_id
 * (0 when none). Under w->mu. */
static void camera_alarm(warn *w, const warn_camera *cam, const ws_camera_event *ev, int64_t now,
                         int64_t *alarm_id)
{
    *alarm_id = 0;
    atomic_fetch_add(&w->n_camera_events, 1);
    if (ev->heartbeat || ev->violation == WS_VIOL_OTHER || ev->violation > WS_VIOL_FIRE) return;
    int64_t rule_id = WARN_RULE_CAMERA_BASE + ev->violation;
    int64_t t = ev->source_ms && ev->source_ms <= now + w->cfg.skew_ms ? ev->source_ms : now;
    char t2[sizeof cam->code + sizeof cam->name + 32], title[160];
    snprintf(t2, sizeof t2, "%s %s %s", cam->code, cam->name, viol_title[ev->violation]);
    snprintf(title, sizeof title, "%.*s", (int)sizeof title - 1, t2);
    alarm_events e = {0};
    if (ev->action == WS_CAM_STOP) {
        if (!alarm_clear(w->alarms, rule_id, cam->device_id, t, &e)) queue_events_ext(w, &e, NULL, t, title);
        return;
    }
    alarm_raise_in in = {.rule_id = rule_id, .source_id = cam->device_id, .area_id = cam->unit_id,
                         .level = viol_level[ev->violation]};
    if (alarm_raise(w->alarms, &in, t, &e)) {
        log_warn("camera alarm not raised", "camera", cam->code, "detail", ws_err_message());
        return;
    }
    queue_events_ext(w, &e, NULL, t, title);
    const alarm *a = alarm_table_get(w->alarms, rule_id, cam->device_id);
    if (a) *alarm_id = a->id;
    bool pulse = ev->action == WS_CAM_PULSE || (cam->vendor == WS_CAM_HIKVISION && ev->post_count == 0 &&
                                                ev->action != WS_CAM_START);
    if (pulse && !alarm_clear(w->alarms, rule_id, cam->device_id, t + 1, &e)) queue_events_ext(w, &e, NULL, t + 1, NULL);
}

static ws_err link_pictures(warn *w, int64_t alarm_id, const int64_t *att, size_t n, int64_t now)
{
    if (!alarm_id || !n) return WS_OK;
    store_conn *c = NULL;
    ws_err rc = store_acquire(w->cfg.db, &c);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        store_stmt *st = NULL;
        bool row;
        rc = store_prepare(c, Q_ALARM_PICTURE_INSERT, &st);
        if (!rc) rc = store_bind_int(st, 1, alarm_id);
        if (!rc) rc = store_bind_int(st, 2, att[i]);
        if (!rc) rc = store_bind_int(st, 3, now);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
    }
    store_release(c);
    return rc;
}

void warn_camera_event(warn *w, const warn_camera *cam, const ws_camera_event *ev)
{
    int64_t now = clock_now_ms(), id;
    pthread_mutex_lock(&w->mu);
    camera_alarm(w, cam, ev, now, &id);
    (void)persist_unlock(w, NULL);
}

/* Constant-time check of "Basic base64(user:password)". */
static bool basic_ok(const warn_camera *cam, const char *auth)
{
    if (!auth || strncmp(auth, "Basic ", 6)) return false;
    char want[sizeof cam->user + sizeof cam->password + 2];
    snprintf(want, sizeof want, "%s:%s", cam->user, cam->password);
    char b64[sodium_base64_ENCODED_LEN(sizeof want, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)want, strlen(want),
                      sodium_base64_VARIANT_ORIGINAL);
    const char *got = auth + 6;
    size_t n = strlen(b64);
    bool ok = strlen(got) == n && sodium_memcmp(got, b64, n) == 0;
    sodium_memzero(want, sizeof want);
    return ok;
}

ws_err warn_camera_push(warn *w, const char *code, const char *peer, const char *authorization,
                        const char *content_type, const void *body, size_t len, warn_camera_result *res)
{
    memset(res, 0, sizeof *res);
    const warn_camera *cam = NULL;
    for (size_t i = 0; i < w->ncams; i++)
        if (!strcmp(w->cams[i].code, code)) cam = &w->cams[i];
    /* an unknown camera and a wrong password look the same from outside */
    if (!cam || cam->vendor != WS_CAM_HIKVISION ||
        !(allowed(cam, peer) || (cam->user[0] && basic_ok(cam, authorization)))) {
        atomic_fetch_add(&w->n_camera_refused, 1);
        return ws_fail(WS_EUNAUTH, "authorization", "camera credentials required");
    }
    hik_event *he = malloc(sizeof *he);
    if (!he) return WS_ENOMEM;
    ws_err rc = hik_decode(content_type, body, len, cam->offset_min, cam->map, cam->nmap, he);
    if (rc) {
        atomic_fetch_add(&w->n_camera_bad, 1);
        pthread_mutex_lock(&w->mu);
        snprintf(w->camera_bad_sample, sizeof w->camera_bad_sample, "%s: %s", code, ws_err_message());
        pthread_mutex_unlock(&w->mu);
        free(he);
        return rc;
    }
    res->violation = he->ev.violation;
    int64_t now = clock_now_ms();
    /* pictures first (outside the engine lock: decoding and writing files) */
    int64_t att[HIK_PICS_MAX];
    size_t natt = 0;
    if (he->ev.violation != WS_VIOL_OTHER && !he->ev.heartbeat) {
        store_conn *c = NULL;
        if (!store_acquire(w->cfg.db, &c)) {
            static const audit_actor cam_actor = {"system:camera"};
            for (size_t i = 0; i < he->npics; i++) {
                attach_info ai;
                char fn[96];
                snprintf(fn, sizeof fn, "%s-%lld-%zu.jpg", cam->code, (long long)now, i);
                if (attach_put(c, &cam_actor, NULL, cam->unit_id, fn,
                               (const uint8_t *)body + he->pics[i].off, he->pics[i].len, &ai)) {
                    res->pictures_refused++;
                    log_warn("camera picture not stored", "camera", cam->code, "detail", ws_err_message());
                } else {
                    att[natt++] = ai.id;
                }
            }
            store_release(c);
        }
    }
    res->pictures = natt;
    pthread_mutex_lock(&w->mu);
    camera_alarm(w, cam, &he->ev, now, &res->alarm_id);
    rc = persist_unlock(w, NULL);
    free(he);
    if (!rc) rc = link_pictures(w, res->alarm_id, att, natt, now);
    return rc;
}
