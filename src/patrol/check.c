/* check.c — the proof at a patrol point: one-time scan nonces and the
 * check of a point (patrol.h has the rules and invariants).
 *
 * A nonce is 32 bytes from randombytes_buf, shown as base64url (43 chars),
 * stored only as its SHA-256 in hex: the database never holds a usable
 * nonce. It is spent by an UPDATE that matches only while unused, inside
 * the check's transaction, so two concurrent checks with one nonce cannot
 * both commit. */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "bank/bank.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/sha256.h"
#include "hazard/hazard.h"
#include "patrol/patrol_int.h"
#include "store/q_patrol.h"

static const audit_actor SYSTEM = {"system:patrol"};

static void hash_hex(const char *nonce, char out[65])
{
    unsigned char h[WS_SHA256_LEN];
    ws_sha256(h, (const unsigned char *)nonce, strlen(nonce));
    sodium_bin2hex(out, 65, h, sizeof h);
}

ws_err patrol_may_check(store_conn *c, const auth_subject *s, const patrol_row *r)
{
    if (!s) return WS_OK;
    auth_resource res = {.unit_path = r->path, .state = r->state};
    ws_err rc = auth_decide(s, "patrol.do", &res);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such patrol");
    if (rc) return rc;
    if (s->roles & (ROLE_ADMIN | ROLE_MANAGER | ROLE_SAFETY_OFFICER)) return WS_OK;
    if (s->person_id > 0 && s->person_id == r->assignee_person_id) return WS_OK;
    if (s->person_id > 0 && !strcmp(r->kind, "own")) {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_PATROL_PERSON_IN_GRID, &st);
        if (!rc) rc = store_bind_int(st, 1, s->person_id);
        if (!rc) rc = store_bind_int(st, 2, r->grid_unit_id);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (rc) return rc;
        if (row) return WS_OK;
    }
    return ws_fail(WS_EFORBIDDEN, "id", !strcmp(r->kind, "own")
                   ? "only the grid's leader and members record its patrol"
                   : "only the inspector named by the rota records this cross patrol");
}

static ws_err open_check(store_conn *c, const wf_actor *by, int64_t patrol_id, patrol_row *r)
{
    ws_err rc = patrol_load(c, patrol_id, r, NULL);
    if (!rc) rc = patrol_may_check(c, by ? by->subject : NULL, r);
    if (!rc && strcmp(r->state, "pending") && strcmp(r->state, "in_progress"))
        rc = ws_fail(WS_ECONFLICT, "state", "this patrol is %s: a finished record does not change",
                     r->state);
    return rc;
}

/* The stop of point_id in the patrol: its id, state and items. */
static ws_err stop_of(store_conn *c, int64_t patrol_id, int64_t point_id, int64_t *sid,
                      char state[16], json_t **items, bool *photo_required, double gps[3],
                      bool *has_gps, char name[256])
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PATROL_STOPS, &st);
    if (!rc) rc = store_bind_int(st, 1, patrol_id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (store_col_int(st, 2) != point_id) continue;
        *sid = store_col_int(st, 0);
        snprintf(state, 16, "%s", store_col_text(st, 5));
        if (items) *items = json_loads(store_col_text(st, 4), 0, NULL);
        if (photo_required) *photo_required = store_col_int(st, 20) != 0;
        if (has_gps) {
            *has_gps = !store_col_null(st, 17) && !store_col_null(st, 18);
            gps[0] = store_col_opt_double(st, 17);
            gps[1] = store_col_opt_double(st, 18);
            gps[2] = store_col_null(st, 19) ? 30 : store_col_double(st, 19);
        }
        if (name) snprintf(name, 256, "%s（%s）", store_col_text(st, 16), store_col_text(st, 15));
        break;
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_EINVAL, "point_id", "the point is not a stop of this patrol");
    return rc;
}

static ws_err issue(store_conn *c, const wf_actor *by, int64_t patrol_id, int64_t point_id,
                    const char *kind, int64_t now, int64_t expires, char out[PATROL_NONCE_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, PATROL_NONCE_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char hex[65];
    hash_hex(out, hex);
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PATROL_NONCE_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, hex);
    if (!rc) rc = store_bind_int(st, 2, patrol_id);
    if (!rc) rc = store_bind_int(st, 3, point_id);
    if (!rc) rc = store_bind_text(st, 4, kind);
    if (!rc) rc = store_bind_int(st, 5, now);
    if (!rc) rc = store_bind_int(st, 6, expires);
    if (!rc) rc = store_bind_opt_int(st, 7, by && by->subject ? by->subject->account_id : 0);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

ws_err patrol_nonce_issue(store_conn *c, const wf_actor *by, int64_t patrol_id, int64_t point_id,
                          char out[PATROL_NONCE_LEN + 1], int64_t *issued_at, int64_t *expires_at)
{
    patrol_row r;
    int64_t sid = 0, now = wf_now(by);
    char state[16];
    ws_err rc = open_check(c, by, patrol_id, &r);
    if (!rc) rc = stop_of(c, patrol_id, point_id, &sid, state, NULL, NULL, NULL, NULL, NULL);
    if (!rc && strcmp(state, "pending"))
        rc = ws_fail(WS_ECONFLICT, "point_id", "this point has been checked already");
    if (!rc && now < r.window_start)
        rc = ws_fail(WS_ECONFLICT, "state", "this patrol's day has not begun");
    if (!rc && now >= r.window_end)
        rc = ws_fail(WS_ECONFLICT, "state", "this patrol's day has ended");
    bool own = false;
    if (!rc) rc = store_tx_join(c, &own);
    if (!rc) rc = issue(c, by, patrol_id, point_id, "scan", now, now + PATROL_SCAN_TTL_MS, out);
    rc = store_tx_finish(c, own, rc);
    if (!rc) {
        *issued_at = now;
        *expires_at = now + PATROL_SCAN_TTL_MS;
    }
    return rc;
}

ws_err patrol_start(store_conn *c, const wf_actor *by, int64_t patrol_id, json_t **out)
{
    patrol_row r;
    int64_t now = wf_now(by);
    ws_err rc = open_check(c, by, patrol_id, &r);
    if (!rc && now < r.window_start)
        rc = ws_fail(WS_ECONFLICT, "state", "this patrol's day has not begun");
    if (!rc && now >= r.window_end)
        rc = ws_fail(WS_ECONFLICT, "state", "this patrol's day has ended");
    if (rc) return rc;
    int64_t points[200];
    int n = 0;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_PATROL_STOPS, &st);
    if (!rc) rc = store_bind_int(st, 1, patrol_id);
    while (!rc && n < 200 && !(rc = store_step(st, &row)) && row)
        if (!strcmp(store_col_text(st, 5), "pending")) points[n++] = store_col_int(st, 2);
    store_finalize(st);
    json_t *a = json_array();
    bool own = false;
    if (!rc) rc = store_tx_join(c, &own);
    int64_t expires = r.window_end + PATROL_SYNC_GRACE_MS;
    for (int i = 0; !rc && i < n; i++) {
        char nonce[PATROL_NONCE_LEN + 1];
        rc = issue(c, by, patrol_id, points[i], "offline", now, expires, nonce);
        if (!rc)
            json_array_append_new(a, json_pack("{s:I,s:s,s:o,s:o}", "point_id",
                                               (json_int_t)points[i], "nonce", nonce, "issued_at",
                                               patrol_time_json(now), "expires_at",
                                               patrol_time_json(expires)));
    }
    if (!rc && !strcmp(r.state, "pending")) {
        st = NULL;
        rc = store_prepare(c, Q_PATROL_SET_STATE, &st);
        if (!rc) rc = store_bind_int(st, 1, patrol_id);
        if (!rc) rc = store_bind_text(st, 2, "in_progress");
        if (!rc) rc = store_bind_int(st, 3, now);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        const audit_actor *who = by && by->actor ? by->actor : &SYSTEM;
        if (!rc) rc = audit_record(c, who, &PATROL_ENTITY, patrol_id, "start", NULL);
    }
    rc = store_tx_finish(c, own, rc);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return WS_OK;
}

/* Metres between two WGS-84 points (haversine, mean Earth radius). */
static double distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double k = M_PI / 180.0, R = 6371008.8;
    double dlat = (lat2 - lat1) * k, dlon = (lon2 - lon1) * k;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * k) * cos(lat2 * k) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * R * asin(fmin(1.0, sqrt(a)));
}

static ws_err check_note(const char *s, const char *field)
{
    size_t n = s ? strlen(s) : 0;
    if (n > INSP_NOTE_MAX)
        return ws_fail(WS_EINVAL, field, "%s is longer than %d bytes", field, INSP_NOTE_MAX);
    if (s && !org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not UTF-8", field);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s contains a control character", field);
    }
    return WS_OK;
}

static ws_err check_photos(store_conn *c, const auth_subject *s, const int64_t *ids, size_t n,
                           size_t max, const char *field)
{
    if (n > max) return ws_fail(WS_EINVAL, field, "at most %zu photos", max);
    for (size_t i = 0; i < n; i++) {
        attach_info a;
        if (ids[i] < 1 || attach_get(c, s, ids[i], &a)) {
            ws_err_clear();
            return ws_fail(WS_EINVAL, field, "photo %lld does not exist", (long long)ids[i]);
        }
        if (strncmp(a.media_type, "image/", 6))
            return ws_fail(WS_EINVAL, field, "attachment %lld is not an image", (long long)ids[i]);
    }
    return WS_OK;
}

/* The nonce's verdict: WS_OK with *kind and *issued, or a 409 naming it. */
static ws_err judge_nonce(store_conn *c, const char *nonce, int64_t patrol_id, int64_t point_id,
                          int64_t now, bool offline, int64_t *nid, char kind[16], int64_t *issued)
{
    if (!nonce || strlen(nonce) != PATROL_NONCE_LEN)
        return ws_fail(WS_EINVAL, "nonce", "nonce must be the %d characters the server issued",
                       PATROL_NONCE_LEN);
    char hex[65];
    hash_hex(nonce, hex);
    store_stmt *st = NULL;
    bool row = false;
    int64_t pid = 0, ptid = 0, exp = 0, used = 0;
    ws_err rc = store_prepare(c, Q_PATROL_NONCE_GET, &st);
    if (!rc) rc = store_bind_text(st, 1, hex);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *nid = store_col_int(st, 0);
        pid = store_col_int(st, 1);
        ptid = store_col_int(st, 2);
        snprintf(kind, 16, "%s", store_col_text(st, 3));
        *issued = store_col_int(st, 4);
        exp = store_col_int(st, 5);
        used = store_col_opt_int(st, 6);
    }
    store_finalize(st);
    if (rc) return rc;
    if (!row) return ws_fail(WS_ECONFLICT, "nonce", "this nonce was not issued by the server");
    if (used) return ws_fail(WS_ECONFLICT, "nonce", "this nonce has been used already");
    if (pid != patrol_id) return ws_fail(WS_ECONFLICT, "nonce", "this nonce was issued for another patrol");
    if (ptid != point_id) return ws_fail(WS_ECONFLICT, "nonce", "this nonce was issued for another point");
    if (now > exp) return ws_fail(WS_ECONFLICT, "nonce", "this nonce has expired: scan the point again");
    if (!strcmp(kind, "offline") && !offline)
        return ws_fail(WS_EINVAL, "nonce", "an offline nonce proves a check recorded offline only");
    return WS_OK;
}

ws_err patrol_check(store_conn *c, const wf_actor *by, int64_t patrol_id,
                    const patrol_check_in *in, int *hazards)
{
    const auth_subject *s = by ? by->subject : NULL;
    const audit_actor *who = by && by->actor ? by->actor : &SYSTEM;
    int64_t now = wf_now(by);
    patrol_row r;
    int64_t sid = 0;
    char state[16], pname[256];
    json_t *items = NULL;
    bool photo_required = false, has_ref = false;
    double ref[3] = {0, 0, 0};
    ws_err rc = open_check(c, by, patrol_id, &r);
    if (!rc) rc = stop_of(c, patrol_id, in->point_id, &sid, state, &items, &photo_required, ref,
                          &has_ref, pname);
    if (!rc && strcmp(state, "pending"))
        rc = ws_fail(WS_ECONFLICT, "point_id", "this point has been checked already");
    /* Time: the server's, or the phone's for a check recorded offline. */
    int64_t at = now;
    if (!rc && in->offline) {
        if (in->client_time <= 0)
            rc = ws_fail(WS_EINVAL, "client_time", "a check recorded offline carries the phone's time");
        else if (in->client_time > now + PATROL_SKEW_MS)
            rc = ws_fail(WS_EINVAL, "client_time", "client_time lies in the future");
        else if (in->client_time < r.window_start || in->client_time >= r.window_end)
            rc = ws_fail(WS_ECONFLICT, "client_time", "client_time lies outside this patrol's day");
        else if (now >= r.window_end + PATROL_SYNC_GRACE_MS)
            rc = ws_fail(WS_ECONFLICT, "state", "this patrol's day has ended");
        at = in->client_time;
    } else if (!rc) {
        if (now < r.window_start) rc = ws_fail(WS_ECONFLICT, "state", "this patrol's day has not begun");
        else if (now >= r.window_end) rc = ws_fail(WS_ECONFLICT, "state", "this patrol's day has ended");
    }
    size_t nitems = json_array_size(items);
    if (!rc && (in->n != nitems || !in->items))
        rc = ws_fail(WS_EINVAL, "items", "items must hold one result per check item (%zu)", nitems);
    size_t nphotos = in->n_photos;
    for (size_t i = 0; !rc && i < in->n; i++) {
        char f[48];
        snprintf(f, sizeof f, "items[%zu].note", i);
        rc = check_note(in->items[i].note, f);
        snprintf(f, sizeof f, "items[%zu].photo_ids", i);
        if (!rc) rc = check_photos(c, s, in->items[i].photo_ids, in->items[i].n_photos,
                                   INSP_PHOTOS_MAX, f);
        nphotos += in->items[i].n_photos;
    }
    if (!rc) rc = check_photos(c, s, in->photo_ids, in->n_photos, PATROL_PHOTOS_MAX, "photo_ids");
    if (!rc && photo_required && !nphotos)
        rc = ws_fail(WS_EINVAL, "photo_ids", "this point needs a photo");
    if (!rc && in->has_gps &&
        (!(in->lat >= -90 && in->lat <= 90) || !(in->lon >= -180 && in->lon <= 180)))
        rc = ws_fail(WS_EINVAL, "lat", "lat/lon are WGS-84 degrees");
    /* The nonce. */
    int64_t nid = 0, issued = 0;
    char kind[16] = "none";
    if (!rc && in->nonce) {
        rc = judge_nonce(c, in->nonce, patrol_id, in->point_id, now, in->offline, &nid, kind, &issued);
        if (!rc && in->offline && at < issued)
            rc = ws_fail(WS_ECONFLICT, "client_time", "client_time is before the nonce was issued");
    } else if (!rc && !in->offline) {
        rc = ws_fail(WS_EINVAL, "nonce", "scan the point's QR code: a check needs the nonce the "
                     "server issued for it");
    }
    bool own = false;
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) {
        json_decref(items);
        return rc;
    }
    if (nid) {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_PATROL_NONCE_USE, &st);
        if (!rc) rc = store_bind_int(st, 1, nid);
        if (!rc) rc = store_bind_int(st, 2, now);
        if (!rc) rc = store_step(st, &row);
        if (!rc && store_changes(st) != 1)
            rc = ws_fail(WS_ECONFLICT, "nonce", "this nonce has been used already");
        store_finalize(st);
    }
    /* Failed items open hidden dangers at the grid. */
    json_t *results = json_array(), *hids = json_array();
    int opened = 0;
    org_unit g;
    bool have_grid = !org_unit_get(c, r.grid_unit_id, &g);
    ws_err_clear();
    for (size_t i = 0; !rc && i < in->n; i++) {
        json_t *it = json_array_get(items, i);
        const char *text = json_string_value(json_object_get(it, "text"));
        int64_t hid = 0;
        if (!in->items[i].ok) {
            char title[HAZARD_TITLE_MAX + 1] = "巡查不合格：";
            str_append_utf8(title, sizeof title, text ? text : "", HAZARD_TITLE_MAX);
            char desc[HAZARD_TEXT_MAX + 1] = "";
            if (in->items[i].note && *in->items[i].note) {
                str_append_utf8(desc, sizeof desc, in->items[i].note, INSP_NOTE_MAX);
                str_append_utf8(desc, sizeof desc, "\n", 1);
            }
            char line[512];
            snprintf(line, sizeof line, "巡查：%s %s，巡查点 %s，检查项：", have_grid ? g.name : "",
                     r.day, pname);
            str_append_utf8(desc, sizeof desc, line, sizeof line);
            str_append_utf8(desc, sizeof desc, text ? text : "", 1000);
            if (in->offline) str_append_utf8(desc, sizeof desc, "\n（离线记录，发现时间来自手机）", 128);
            const char *acc = json_string_value(json_object_get(it, "accident_type"));
            int64_t ev = json_integer_value(json_object_get(it, "event_id"));
            char loc[HAZARD_LOCATION_MAX + 1] = "";
            str_append_utf8(loc, sizeof loc, pname, HAZARD_LOCATION_MAX);
            hazard_in hin = {.unit_id = r.grid_unit_id, .title = title, .description = desc,
                             .accident_type = acc && *acc ? acc : INSP_DEFAULT_ACCIDENT,
                             .location = loc, .risk_event_id = ev,
                             .has_gps = in->has_gps, .lat = in->lat, .lon = in->lon,
                             .photo_ids = in->items[i].photo_ids,
                             .n_photos = in->items[i].n_photos, .found_at = at,
                             .source = "inspection", .event_vouched = ev > 0};
            rc = hazard_report(c, by, &hin, &hid);
            if (rc) {
                char msg[256], field[96];
                snprintf(msg, sizeof msg, "%s", ws_err_message());
                snprintf(field, sizeof field, "items[%zu]%s%s", i, ws_err_field()[0] ? "." : "",
                         ws_err_field());
                rc = ws_fail(rc, field, "%s", msg);
                break;
            }
            store_stmt *st = NULL;
            bool row = false;
            rc = store_prepare(c, Q_PATROL_HAZARD_LINK, &st);
            if (!rc) rc = store_bind_int(st, 1, hid);
            if (!rc) rc = store_bind_int(st, 2, patrol_id);
            if (!rc) rc = store_bind_int(st, 3, sid);
            if (!rc) rc = store_step(st, &row);
            store_finalize(st);
            json_array_append_new(hids, json_integer(hid));
            opened++;
        }
        json_t *photos = json_array();
        for (size_t k = 0; k < in->items[i].n_photos; k++)
            json_array_append_new(photos, json_integer(in->items[i].photo_ids[k]));
        json_array_append_new(results, json_pack("{s:s,s:b,s:o,s:o,s:o}", "item", text ? text : "",
                                                 "ok", in->items[i].ok, "note",
                                                 in->items[i].note && *in->items[i].note
                                                     ? json_string(in->items[i].note) : json_null(),
                                                 "photo_ids", photos, "hazard_id",
                                                 hid > 0 ? json_integer(hid) : json_null()));
    }
    /* What was and was not proved. */
    json_t *proof = json_object();
    json_object_set_new(proof, "nonce", json_string(nid ? kind : "none"));
    json_object_set_new(proof, "nonce_issued_at", patrol_time_json(nid ? issued : 0));
    const char *gps = "not_given";
    if (in->has_gps && has_ref) {
        double d = distance_m(ref[0], ref[1], in->lat, in->lon);
        gps = d <= ref[2] ? "within" : "outside";
        json_object_set_new(proof, "distance_m", json_real(round(d * 10) / 10));
        json_object_set_new(proof, "radius_m", json_real(ref[2]));
    } else if (in->has_gps) {
        gps = "no_reference";
    }
    json_object_set_new(proof, "gps", json_string(gps));
    if (in->has_gps) {
        json_object_set_new(proof, "lat", json_real(in->lat));
        json_object_set_new(proof, "lon", json_real(in->lon));
        if (in->accuracy_m > 0) json_object_set_new(proof, "accuracy_m", json_real(in->accuracy_m));
    }
    json_t *ph = json_array();
    for (size_t k = 0; k < in->n_photos; k++) json_array_append_new(ph, json_integer(in->photo_ids[k]));
    json_object_set_new(proof, "photo", json_boolean(nphotos > 0));
    json_object_set_new(proof, "photo_ids", ph);
    json_object_set_new(proof, "time_source", json_string(in->offline ? "phone" : "server"));
    json_object_set_new(proof, "offline", json_boolean(in->offline));
    char *rtext = rc ? NULL : json_dumps(results, JSON_COMPACT);
    char *htext = rc ? NULL : json_dumps(hids, JSON_COMPACT);
    char *ptext = rc ? NULL : json_dumps(proof, JSON_COMPACT);
    if (!rc && (!rtext || !htext || !ptext)) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_PATROL_STOP_DONE, &st);
        if (!rc) rc = store_bind_int(st, 1, sid);
        if (!rc) rc = store_bind_text(st, 2, rtext);
        if (!rc) rc = store_bind_text(st, 3, htext);
        if (!rc) rc = store_bind_text(st, 4, ptext);
        if (!rc) rc = store_bind_opt_int(st, 5, s ? s->person_id : 0);
        if (!rc) rc = store_bind_text(st, 6, who->name);
        if (!rc) rc = store_bind_int(st, 7, at);
        if (!rc) rc = store_bind_opt_int(st, 8, in->client_time);
        if (!rc) rc = store_bind_int(st, 9, now);
        if (!rc) rc = store_bind_int(st, 10, in->offline ? 1 : 0);
        if (!rc) rc = store_step(st, &row);
        if (!rc && store_changes(st) != 1)
            rc = ws_fail(WS_ECONFLICT, "point_id", "this point was checked meanwhile");
        store_finalize(st);
    }
    if (!rc) rc = audit_record(c, who, &PATROL_STOP_ENTITY, sid, "check", NULL);
    /* The patrol's state: in progress, or done with its last stop. */
    if (!rc) {
        store_stmt *st = NULL;
        bool row = false;
        int64_t pending = 0;
        rc = store_prepare(c, Q_PATROL_STOPS_PENDING, &st);
        if (!rc) rc = store_bind_int(st, 1, patrol_id);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) pending = store_col_int(st, 0);
        store_finalize(st);
        const char *to = pending ? "in_progress" : "done";
        if (!rc && strcmp(r.state, to)) {
            st = NULL;
            rc = store_prepare(c, Q_PATROL_SET_STATE, &st);
            if (!rc) rc = store_bind_int(st, 1, patrol_id);
            if (!rc) rc = store_bind_text(st, 2, to);
            if (!rc) rc = store_bind_int(st, 3, now);
            if (!rc) rc = store_step(st, &row);
            store_finalize(st);
            if (!rc) rc = audit_record(c, who, &PATROL_ENTITY, patrol_id, pending ? "start" : "done", NULL);
            /* a patrol done earns its assignee the points bank's patrol_done (once per patrol) */
            if (!rc && !pending && r.assignee_person_id > 0) {
                bank_holder_ref holder = {.person_id = r.assignee_person_id};
                rc = bank_earn(c, who, "patrol_done", holder, "patrol", patrol_id, NULL);
            }
        }
    }
    rc = store_tx_finish(c, own, rc);
    free(rtext);
    free(htext);
    free(ptext);
    json_decref(results);
    json_decref(hids);
    json_decref(proof);
    json_decref(items);
    if (!rc && hazards) *hazards = opened;
    return rc;
}
