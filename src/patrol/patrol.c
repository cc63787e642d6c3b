/* patrol.c — the registers of grid patrols (templates, points, the rota),
 * the patrol day, the timer that makes and escalates patrols, and the
 * views. patrol.h has the rules and invariants; check.c the proof. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "notify/outbox.h"
#include "patrol/patrol_int.h"
#include "plant/plant.h"
#include "risk/risk.h"
#include "store/q_patrol.h"

static const audit_col tpl_cols[] = {
    {"id", AC_INT}, {"enterprise_id", AC_INT}, {"name", AC_TEXT}, {"items", AC_TEXT},
    {"active", AC_INT}, {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col point_cols[] = {
    {"id", AC_INT},          {"grid_unit_id", AC_INT},   {"code", AC_TEXT},
    {"name", AC_TEXT},       {"seq", AC_INT},            {"template_id", AC_INT},
    {"risk_object_id", AC_INT}, {"lat", AC_REAL},        {"lon", AC_REAL},
    {"radius_m", AC_REAL},   {"photo_required", AC_INT}, {"active", AC_INT},
    {"created_at", AC_INT},  {"updated_at", AC_INT},
};
static const audit_col rota_cols[] = {
    {"id", AC_INT},       {"inspector_grid_id", AC_INT}, {"target_grid_id", AC_INT},
    {"template_id", AC_INT}, {"weekdays", AC_INT},       {"active", AC_INT},
    {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col patrol_cols[] = {
    {"id", AC_INT},          {"kind", AC_TEXT},        {"grid_unit_id", AC_INT},
    {"rota_id", AC_INT},     {"slot", AC_TEXT},        {"day", AC_TEXT},
    {"window_start", AC_INT}, {"window_end", AC_INT},  {"assignee_person_id", AC_INT},
    {"state", AC_TEXT},      {"started_at", AC_INT},   {"done_at", AC_INT},
    {"escalated_at", AC_INT}, {"escalated_to", AC_TEXT}, {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col stop_cols[] = {
    {"id", AC_INT},          {"patrol_id", AC_INT},    {"point_id", AC_INT},
    {"seq", AC_INT},         {"items", AC_TEXT},       {"state", AC_TEXT},
    {"results", AC_TEXT},    {"hazard_ids", AC_TEXT},  {"proof", AC_TEXT},
    {"done_by_person_id", AC_INT}, {"done_by", AC_TEXT}, {"checked_at", AC_INT},
    {"client_time", AC_INT}, {"received_at", AC_INT},  {"phone_time", AC_INT},
};
#define NCOLS(a) ((int)(sizeof a / sizeof a[0]))
const audit_entity PATROL_TEMPLATE_ENTITY = {"patrol_template", "patrol_templates", tpl_cols,
                                             NCOLS(tpl_cols)};
const audit_entity PATROL_POINT_ENTITY = {"patrol_point", "patrol_points", point_cols,
                                          NCOLS(point_cols)};
const audit_entity PATROL_ROTA_ENTITY = {"patrol_rota", "patrol_rota", rota_cols,
                                         NCOLS(rota_cols)};
const audit_entity PATROL_ENTITY = {"patrol", "patrols", patrol_cols, NCOLS(patrol_cols)};
const audit_entity PATROL_STOP_ENTITY = {"patrol_stop", "patrol_stops", stop_cols,
                                         NCOLS(stop_cols)};

static const audit_actor SYSTEM = {"system:patrol"};

ws_err patrol_init(void)
{
    static bool done;
    if (done) return WS_OK;
    const audit_entity *all[] = {&PATROL_TEMPLATE_ENTITY, &PATROL_POINT_ENTITY,
                                 &PATROL_ROTA_ENTITY, &PATROL_ENTITY, &PATROL_STOP_ENTITY};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

/* ------------------------------------------------------------- helpers */

json_t *patrol_time_json(int64_t ms)
{
    char t[40];
    return ms > 0 ? json_string(clock_format_rfc3339(ms, t, sizeof t)) : json_null();
}

static json_t *id_or_null(int64_t id) { return id > 0 ? json_integer(id) : json_null(); }

static json_t *json_of_text(const char *s)
{
    json_t *v = s && *s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

/* A text field: 1..max bytes of UTF-8 without control characters. */
static ws_err check_text(const char *s, const char *field, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (!n) return ws_fail(WS_EINVAL, field, "%s is required", field);
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    if (!org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not UTF-8", field);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s contains a control character", field);
    return WS_OK;
}

/* Permission action on the unit's path; 404 keeps its field. */
static ws_err decide(const org_caller *by, const char *action, const char *path,
                     const char *field)
{
    if (!by || !by->subject) return WS_OK;
    auth_resource res = {.unit_path = path};
    ws_err rc = auth_decide(by->subject, action, &res);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, field, "no such unit");
    return rc;
}

static const audit_actor *actor_of(const org_caller *by)
{
    return by && by->actor ? by->actor : &SYSTEM;
}

/* The zone of a unit: its own, else the nearest ancestor's. */
static void zone_of(store_conn *c, int64_t unit_id, char *tz, size_t cap)
{
    tz[0] = 0;
    for (int depth = 0; !tz[0] && unit_id > 0 && depth < 64; depth++) {
        org_unit u;
        if (org_unit_get(c, unit_id, &u)) break;
        snprintf(tz, cap, "%s", u.tz);
        unit_id = u.parent_id;
    }
    ws_err_clear();
    if (!tz[0]) snprintf(tz, cap, "Asia/Shanghai");
}

/* --------------------------------------------------------- templates */

static ws_err check_items(const json_t *items, const char *field)
{
    if (!json_is_array(items) || json_array_size(items) < 1 ||
        json_array_size(items) > PATROL_ITEMS_MAX)
        return ws_fail(WS_EINVAL, field, "%s is a list of 1 to %d check items", field,
                       PATROL_ITEMS_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) {
        char f[48];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (!json_is_string(v)) return ws_fail(WS_EINVAL, f, "a check item is text");
        ws_err rc = check_text(json_string_value(v), f, PATROL_ITEM_MAX);
        if (rc) return rc;
    }
    return WS_OK;
}

ws_err patrol_template_create(store_conn *c, const org_caller *by, int64_t enterprise_id,
                              const char *name, const json_t *items, int64_t *id)
{
    org_unit e;
    ws_err rc = org_unit_get(c, enterprise_id, &e);
    if (rc || strcmp(e.kind, "enterprise"))
        return ws_fail(rc == WS_OK ? WS_EINVAL : WS_ENOTFOUND, "enterprise_id",
                       "enterprise_id must name an enterprise");
    if ((rc = decide(by, "patrol.admin", e.path, "enterprise_id"))) return rc;
    if ((rc = check_text(name, "name", PATROL_NAME_MAX * 2))) return rc;
    if ((rc = check_items(items, "items"))) return rc;
    char *txt = json_dumps(items, JSON_COMPACT);
    if (!txt) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    bool own = false;
    store_stmt *st = NULL;
    bool row = false;
    int64_t now = clock_now_ms();
    rc = store_tx_join(c, &own);
    if (!rc) rc = store_prepare(c, Q_PATROL_TPL_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, enterprise_id);
    if (!rc) rc = store_bind_text(st, 2, name);
    if (!rc) rc = store_bind_text(st, 3, txt);
    if (!rc) rc = store_bind_int(st, 4, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, actor_of(by), &PATROL_TEMPLATE_ENTITY, *id, "create", NULL);
    free(txt);
    return store_tx_finish(c, own, rc);
}

static json_t *tpl_json(store_stmt *st)
{
    return json_pack("{s:I,s:I,s:s,s:o,s:b}", "id", (json_int_t)store_col_int(st, 0),
                     "enterprise_id", (json_int_t)store_col_int(st, 1), "name",
                     store_col_text(st, 2), "items", json_of_text(store_col_text(st, 3)),
                     "active", store_col_int(st, 4) != 0);
}

ws_err patrol_template_update(store_conn *c, const org_caller *by, int64_t id, const char *name,
                              const json_t *items, int active, json_t **out)
{
    if (out) *out = NULL;
    store_stmt *st = NULL;
    bool row = false;
    json_t *cur = NULL;
    char path[512] = "";
    ws_err rc = store_prepare(c, Q_PATROL_TPL_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        cur = tpl_json(st);
        snprintf(path, sizeof path, "%s", store_col_text(st, 5));
    }
    store_finalize(st);
    if (!rc && !cur) rc = ws_fail(WS_ENOTFOUND, "id", "no such patrol template");
    if (!rc) rc = decide(by, "patrol.admin", path, "id");
    if (!rc && name) rc = check_text(name, "name", PATROL_NAME_MAX * 2);
    if (!rc && items) rc = check_items(items, "items");
    if (!rc && active == 0 && json_is_true(json_object_get(cur, "active"))) {
        int64_t points = 0, rota = 0;
        st = NULL;
        rc = store_prepare(c, Q_PATROL_TPL_USERS, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) points = store_col_int(st, 0), rota = store_col_int(st, 1);
        store_finalize(st);
        if (!rc && (points || rota))
            rc = ws_fail(WS_ECONFLICT, "active", "%lld active points and %lld rota rows use this template: "
                         "give them another first", (long long)points, (long long)rota);
    }
    if (rc) {
        json_decref(cur);
        return rc;
    }
    if (name) json_object_set_new(cur, "name", json_string(name));
    if (items) json_object_set_new(cur, "items", json_deep_copy(items));
    if (active >= 0) json_object_set_new(cur, "active", json_boolean(active));
    char *txt = json_dumps(json_object_get(cur, "items"), JSON_COMPACT);
    bool own = false;
    rc = txt ? store_tx_join(c, &own) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) {
        st = NULL;
        rc = store_prepare(c, Q_PATROL_TPL_UPDATE, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_text(st, 2, json_string_value(json_object_get(cur, "name")));
        if (!rc) rc = store_bind_text(st, 3, txt);
        if (!rc) rc = store_bind_int(st, 4, json_is_true(json_object_get(cur, "active")) ? 1 : 0);
        if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (!rc) rc = audit_record(c, actor_of(by), &PATROL_TEMPLATE_ENTITY, id, "update", NULL);
        rc = store_tx_finish(c, own, rc);
    }
    free(txt);
    if (!rc && out) *out = cur;
    else json_decref(cur);
    return rc;
}

ws_err patrol_template_list(store_conn *c, const char *path, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    ws_err rc = store_prepare(c, Q_PATROL_TPL_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, path ? path : "/");
    while (!rc && !(rc = store_step(st, &row)) && row) json_array_append_new(a, tpl_json(st));
    store_finalize(st);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return WS_OK;
}

/* ------------------------------------------------------------- points */

static bool code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > PATROL_CODE_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

static json_t *point_json(store_stmt *st, char *path, size_t cap)
{
    if (path) snprintf(path, cap, "%s", store_col_text(st, 15));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(store_col_int(st, 0)));
    json_object_set_new(o, "grid_unit_id", json_integer(store_col_int(st, 1)));
    json_object_set_new(o, "grid_name", json_string(store_col_text(st, 14)));
    json_object_set_new(o, "code", json_string(store_col_text(st, 2)));
    json_object_set_new(o, "name", json_string(store_col_text(st, 3)));
    json_object_set_new(o, "seq", json_integer(store_col_int(st, 4)));
    json_object_set_new(o, "template_id", id_or_null(store_col_opt_int(st, 5)));
    json_object_set_new(o, "risk_object_id", id_or_null(store_col_opt_int(st, 6)));
    bool gps = !store_col_null(st, 7) && !store_col_null(st, 8);
    json_object_set_new(o, "lat", gps ? json_real(store_col_double(st, 7)) : json_null());
    json_object_set_new(o, "lon", gps ? json_real(store_col_double(st, 8)) : json_null());
    json_object_set_new(o, "radius_m", gps && !store_col_null(st, 9)
                                           ? json_real(store_col_double(st, 9)) : json_null());
    json_object_set_new(o, "photo_required", json_boolean(store_col_int(st, 10)));
    json_object_set_new(o, "active", json_boolean(store_col_int(st, 11)));
    char url[80];
    snprintf(url, sizeof url, "/patrol/scan/%s", store_col_text(st, 2));
    json_object_set_new(o, "scan_path", json_string(url));
    return o;
}

/* WS_OK when id is an active checklist template of the enterprise. */
static ws_err template_of(store_conn *c, int64_t id, int64_t enterprise, const char *field)
{
    store_stmt *st = NULL;
    bool row = false, ok = false;
    ws_err rc = store_prepare(c, Q_PATROL_TPL_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) ok = store_col_int(st, 4) && store_col_int(st, 1) == enterprise;
    store_finalize(st);
    if (!rc && !ok) rc = ws_fail(WS_EINVAL, field, "no such active template of the enterprise");
    return rc;
}

ws_err patrol_point_create(store_conn *c, const org_caller *by, const patrol_point_in *in,
                           int64_t *id)
{
    org_unit g;
    ws_err rc = org_unit_get(c, in->grid_unit_id, &g);
    if (rc) return ws_fail(WS_ENOTFOUND, "grid_unit_id", "no such unit");
    if ((rc = decide(by, "patrol.admin", g.path, "grid_unit_id"))) return rc;
    if (strcmp(g.kind, "grid") || !g.active)
        return ws_fail(WS_EINVAL, "grid_unit_id", "patrol points belong to an active unit of kind grid");
    if (!code_ok(in->code))
        return ws_fail(WS_EINVAL, "code", "code is 1 to %d letters, digits, - or _",
                       PATROL_CODE_MAX);
    if ((rc = check_text(in->name, "name", PATROL_NAME_MAX * 3))) return rc;
    if (in->template_id && (rc = template_of(c, in->template_id, g.enterprise_id, "template_id"))) return rc;
    if (in->risk_object_id) {
        risk_object o;
        org_unit ou;
        if (risk_object_get(c, in->risk_object_id, &o) || org_unit_get(c, o.unit_id, &ou) ||
            strncmp(ou.path, g.path, strlen(g.path))) {
            ws_err_clear();
            return ws_fail(WS_EINVAL, "risk_object_id", "the risk object must lie in the grid");
        }
    }
    if (in->has_gps) {
        if (!(in->lat >= -90 && in->lat <= 90)) return ws_fail(WS_EINVAL, "lat", "lat is -90..90");
        if (!(in->lon >= -180 && in->lon <= 180)) return ws_fail(WS_EINVAL, "lon", "lon is -180..180");
        if (in->radius_m != 0 && !(in->radius_m >= 1 && in->radius_m <= 5000))
            return ws_fail(WS_EINVAL, "radius_m", "radius_m is 1..5000 metres");
    }
    store_stmt *st = NULL;
    bool row = false, own = false;
    int64_t now = clock_now_ms(), seq = 1;
    rc = store_tx_join(c, &own);
    if (!rc) rc = store_prepare(c, Q_PATROL_POINT_MAXSEQ, &st);
    if (!rc) rc = store_bind_int(st, 1, g.id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row && !store_col_null(st, 0)) seq = store_col_int(st, 0) + 1;
    store_finalize(st);
    st = NULL;
    if (!rc) {
        store_stmt *q = NULL;
        bool taken = false;
        rc = store_prepare(c, Q_PATROL_POINT_BY_CODE, &q);
        if (!rc) rc = store_bind_text(q, 1, in->code);
        if (!rc) rc = store_step(q, &taken);
        store_finalize(q);
        if (!rc && taken) rc = ws_fail(WS_ECONFLICT, "code", "code %s is taken", in->code);
    }
    if (!rc) rc = store_prepare(c, Q_PATROL_POINT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, g.id);
    if (!rc) rc = store_bind_text(st, 2, in->code);
    if (!rc) rc = store_bind_text(st, 3, in->name);
    if (!rc) rc = store_bind_int(st, 4, seq);
    if (!rc) rc = store_bind_opt_int(st, 5, in->template_id);
    if (!rc) rc = store_bind_opt_int(st, 6, in->risk_object_id);
    if (!rc) rc = in->has_gps ? store_bind_double(st, 7, in->lat) : store_bind_null(st, 7);
    if (!rc) rc = in->has_gps ? store_bind_double(st, 8, in->lon) : store_bind_null(st, 8);
    if (!rc) rc = in->has_gps ? store_bind_double(st, 9, in->radius_m > 0 ? in->radius_m : 30)
                              : store_bind_null(st, 9);
    if (!rc) rc = store_bind_int(st, 10, in->photo_required ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 11, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, actor_of(by), &PATROL_POINT_ENTITY, *id, "create", NULL);
    return store_tx_finish(c, own, rc);
}

ws_err patrol_point_update(store_conn *c, const org_caller *by, int64_t id, const patrol_point_patch *in)
{
    store_stmt *st = NULL;
    bool row = false;
    char path[512] = "", name[PATROL_NAME_MAX * 3 + 1] = "";
    int64_t grid = 0, tpl = 0;
    bool photo = false, active = false;
    ws_err rc = store_prepare(c, Q_PATROL_POINT_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        grid = store_col_int(st, 1);
        snprintf(name, sizeof name, "%s", store_col_text(st, 3));
        tpl = store_col_null(st, 5) ? 0 : store_col_int(st, 5);
        photo = store_col_int(st, 10) != 0;
        active = store_col_int(st, 11) != 0;
        snprintf(path, sizeof path, "%s", store_col_text(st, 15));
    }
    store_finalize(st);
    if (rc) return rc;
    if (!row) return ws_fail(WS_ENOTFOUND, "id", "no such patrol point");
    if ((rc = decide(by, "patrol.admin", path, "id"))) return rc;
    if (in->has_name) {
        if ((rc = check_text(in->name, "name", PATROL_NAME_MAX * 3))) return rc;
        snprintf(name, sizeof name, "%s", in->name);
    }
    if (in->has_template && in->template_id) {
        org_unit g;
        if ((rc = org_unit_get(c, grid, &g))) return rc;
        if ((rc = template_of(c, in->template_id, g.enterprise_id, "template_id"))) return rc;
    }
    if (in->has_template) tpl = in->template_id;
    if (in->has_photo) photo = in->photo_required;
    if (in->has_active) active = in->active;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    st = NULL;
    rc = store_prepare(c, Q_PATROL_POINT_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, name);
    if (!rc) rc = store_bind_opt_int(st, 3, tpl);
    if (!rc) rc = store_bind_int(st, 4, photo ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 5, active ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 6, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = audit_record(c, actor_of(by), &PATROL_POINT_ENTITY, id, "update", NULL);
    return store_tx_finish(c, own, rc);
}

ws_err patrol_point_get_json(store_conn *c, const auth_subject *s, int64_t id, const char *code,
                             json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    char path[AUTH_PATH_MAX] = "";
    ws_err rc = store_prepare(c, id ? Q_PATROL_POINT_GET : Q_PATROL_POINT_BY_CODE, &st);
    if (!rc) rc = id ? store_bind_int(st, 1, id) : store_bind_text(st, 1, code ? code : "");
    if (!rc) rc = store_step(st, &row);
    json_t *o = !rc && row ? point_json(st, path, sizeof path) : NULL;
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, id ? "id" : "code", "no such patrol point");
    if (!rc && s) {
        auth_resource res = {.unit_path = path};
        rc = auth_decide(s, "patrol.read", &res);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, id ? "id" : "code", "no such patrol point");
    }
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

ws_err patrol_point_list(store_conn *c, const char *path, int64_t grid, int64_t cursor, int limit,
                         json_t **items, int64_t *next)
{
    if (limit < 1 || limit > 200) limit = 50;
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    int64_t last = 0;
    *next = 0;
    ws_err rc = store_prepare(c, Q_PATROL_POINT_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, path ? path : "/");
    if (!rc) rc = store_bind_int(st, 2, grid);
    if (!rc) rc = store_bind_int(st, 3, cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if ((int)json_array_size(a) == limit) {
            *next = last;
            break;
        }
        last = store_col_int(st, 0);
        json_array_append_new(a, point_json(st, NULL, 0));
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        *next = 0;
        return rc;
    }
    *items = a;
    return WS_OK;
}

ws_err patrol_point_qr(store_conn *c, const auth_subject *s, int64_t id, const char *origin,
                       char **svg, size_t *len)
{
    json_t *p = NULL;
    ws_err rc = patrol_point_get_json(c, s, id, NULL, &p);
    if (rc) return rc;
    char text[512];
    snprintf(text, sizeof text, "%s/patrol/scan/%s", origin ? origin : "",
             json_string_value(json_object_get(p, "code")));
    json_decref(p);
    return risk_qr_svg(text, svg, len, NULL);
}

/* --------------------------------------------------------------- rota */

static ws_err grid_of(store_conn *c, const org_caller *by, int64_t id, const char *field,
                      org_unit *g)
{
    if (id <= 0 || org_unit_get(c, id, g)) {
        ws_err_clear();
        return ws_fail(WS_EINVAL, field, "%s must name a grid", field);
    }
    ws_err rc = decide(by, "patrol.admin", g->path, field);
    if (!rc && (strcmp(g->kind, "grid") || !g->active))
        rc = ws_fail(WS_EINVAL, field, "%s must name an active grid", field);
    return rc;
}

static ws_err rota_insert(store_conn *c, const org_caller *by, const patrol_rota_in *r,
                          int64_t now)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    ws_err rc = store_prepare(c, Q_PATROL_ROTA_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, r->inspector_grid_id);
    if (!rc) rc = store_bind_int(st, 2, r->target_grid_id);
    if (!rc) rc = store_bind_int(st, 3, r->template_id);
    if (!rc) rc = store_bind_int(st, 4, r->weekdays ? r->weekdays : 127);
    if (!rc) rc = store_bind_int(st, 5, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, actor_of(by), &PATROL_ROTA_ENTITY, id, "create", NULL);
    return rc;
}

ws_err patrol_rota_set(store_conn *c, const org_caller *by, int64_t unit_id,
                       const patrol_rota_in *rows, size_t n, int64_t ring_template_id, int *count)
{
    org_unit u;
    if (org_unit_get(c, unit_id, &u)) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    ws_err rc = decide(by, "patrol.admin", u.path, "unit_id");
    if (rc) return rc;
    if (n > 200) return ws_fail(WS_EINVAL, "items", "at most 200 rota rows");
    for (size_t i = 0; i < n; i++) {
        char f[48];
        org_unit gi, gt;
        snprintf(f, sizeof f, "items[%zu].inspector_grid_id", i);
        if ((rc = grid_of(c, by, rows[i].inspector_grid_id, f, &gi))) return rc;
        snprintf(f, sizeof f, "items[%zu].target_grid_id", i);
        if ((rc = grid_of(c, by, rows[i].target_grid_id, f, &gt))) return rc;
        if (strncmp(gt.path, u.path, strlen(u.path)))
            return ws_fail(WS_EINVAL, f, "the target grid must lie under unit_id");
        if (gi.id == gt.id)
            return ws_fail(WS_EINVAL, f, "a grid leader inspects another grid, not their own");
        snprintf(f, sizeof f, "items[%zu].template_id", i);
        if ((rc = template_of(c, rows[i].template_id, gt.enterprise_id, f))) return rc;
        snprintf(f, sizeof f, "items[%zu].weekdays", i);
        if (rows[i].weekdays < 0 || rows[i].weekdays > 127)
            return ws_fail(WS_EINVAL, f, "weekdays is a mask 1..127 (bit 0 Monday)");
    }
    if (!n && ring_template_id > 0 &&
        (rc = template_of(c, ring_template_id, u.enterprise_id, "template_id")))
        return rc;
    bool own = false;
    int64_t now = clock_now_ms();
    rc = store_tx_join(c, &own);
    /* The rows wanted: the items, or the ring (each grid by code inspects
     * the next, the last the first). */
    patrol_rota_in ring[500];
    const patrol_rota_in *want = rows;
    size_t nw = n;
    store_stmt *st = NULL;
    bool row = false;
    if (!rc && !n && ring_template_id > 0) {
        int64_t grids[500];
        int ng = 0;
        rc = store_prepare(c, Q_PATROL_GRIDS_UNDER, &st);
        if (!rc) rc = store_bind_text(st, 1, u.path);
        while (!rc && !(rc = store_step(st, &row)) && row)
            if (ng < 500) grids[ng++] = store_col_int(st, 0);
        store_finalize(st);
        st = NULL;
        for (int i = 0; ng > 1 && i < ng; i++)
            ring[i] = (patrol_rota_in){.inspector_grid_id = grids[i], .target_grid_id = grids[(i + 1) % ng],
                                       .template_id = ring_template_id, .weekdays = 127};
        want = ring;
        nw = ng > 1 ? (size_t)ng : 0;
    }
    /* The rows in force under the unit: one the same as a wanted row stays
     * (with its id, which names the day's cross patrol, slot rota:<id>, so
     * an edit elsewhere in the rota does not make today's patrols again);
     * the others are retired, and the wanted rows left over are inserted. */
    struct rota_row { int64_t id; patrol_rota_in r; } old[500];
    int nold = 0;
    bool matched[500] = {false};
    if (!rc) rc = store_prepare(c, Q_PATROL_ROTA_UNDER, &st);
    if (!rc) rc = store_bind_text(st, 1, u.path);
    while (!rc && !(rc = store_step(st, &row)) && row)
        if (nold < 500)
            old[nold++] = (struct rota_row){store_col_int(st, 0),
                                            {store_col_int(st, 1), store_col_int(st, 2), store_col_int(st, 3),
                                             (int)store_col_int(st, 4)}};
    store_finalize(st);
    for (int i = 0; !rc && i < nold; i++) {
        size_t j = 0;
        for (; j < nw; j++) {
            const patrol_rota_in *x = &want[j];
            if (!matched[j] && x->inspector_grid_id == old[i].r.inspector_grid_id &&
                x->target_grid_id == old[i].r.target_grid_id && x->template_id == old[i].r.template_id &&
                (x->weekdays ? x->weekdays : 127) == old[i].r.weekdays)
                break;
        }
        if (j < nw) {
            matched[j] = true;
            continue;
        }
        st = NULL;
        rc = store_prepare(c, Q_PATROL_ROTA_RETIRE_ONE, &st);
        if (!rc) rc = store_bind_int(st, 1, old[i].id);
        if (!rc) rc = store_bind_int(st, 2, now);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (!rc) rc = audit_record(c, actor_of(by), &PATROL_ROTA_ENTITY, old[i].id, "retire", NULL);
    }
    for (size_t j = 0; !rc && j < nw; j++)
        if (!matched[j]) rc = rota_insert(c, by, &want[j], now);
    int written = (int)nw;
    rc = store_tx_finish(c, own, rc);
    if (!rc && count) *count = written;
    return rc;
}

ws_err patrol_rota_list(store_conn *c, const char *path, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    ws_err rc = store_prepare(c, Q_PATROL_ROTA_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, path ? path : "/");
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:I,s:s,s:I,s:s,s:I}", "id",
                                           (json_int_t)store_col_int(st, 0), "inspector_grid_id",
                                           (json_int_t)store_col_int(st, 1), "inspector_grid_name",
                                           store_col_text(st, 2), "target_grid_id",
                                           (json_int_t)store_col_int(st, 3), "target_grid_name",
                                           store_col_text(st, 4), "template_id",
                                           (json_int_t)store_col_int(st, 5), "template_name",
                                           store_col_text(st, 6), "weekdays",
                                           (json_int_t)store_col_int(st, 7)));
    store_finalize(st);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return WS_OK;
}

/* --------------------------------------------------------------- days */

/* The earliest start (local minutes) of the active shifts of the grid or
 * its nearest ancestor with shifts; 0 (midnight) when none. */
static int day_start_min(store_conn *c, int64_t unit_id)
{
    for (int depth = 0; unit_id > 0 && depth < 64; depth++) {
        plant_filter f = {.unit_id = unit_id, .active = 1, .limit = 200};
        plant_shift *v = NULL;
        size_t n = 0;
        int64_t next = 0;
        int best = -1;
        if (!plant_shift_list(c, &f, &v, &n, &next))
            for (size_t i = 0; i < n; i++)
                if (v[i].unit_id == unit_id && (best < 0 || v[i].start_min < best))
                    best = v[i].start_min;
        free(v);
        ws_err_clear();
        if (best >= 0) return best;
        org_unit u;
        if (org_unit_get(c, unit_id, &u)) break;
        unit_id = u.parent_id;
    }
    ws_err_clear();
    return 0;
}

ws_err patrol_day_of(store_conn *c, int64_t grid_unit_id, int64_t at, int64_t *day,
                     int64_t *start, int64_t *end)
{
    char tz[ORG_TZ_MAX + 1];
    zone_of(c, grid_unit_id, tz, sizeof tz);
    int m = day_start_min(c, grid_unit_id);
    int64_t d = 0, s = 0, e = 0;
    ws_err rc = plant_local_day(tz, at, &d);
    if (!rc) rc = plant_local_to_utc(tz, d, m, &s);
    if (!rc && at < s) {
        d--;
        rc = plant_local_to_utc(tz, d, m, &s);
    }
    if (!rc) rc = plant_local_to_utc(tz, d + 1, m, &e);
    if (!rc && at >= e) { /* a DST change moved the next start before now */
        d++;
        s = e;
        rc = plant_local_to_utc(tz, d + 1, m, &e);
    }
    if (rc) return rc;
    *day = d;
    *start = s;
    *end = e;
    return WS_OK;
}

/* --------------------------------------------------------------- tick */

typedef struct grid_due {
    int64_t id, leader;
    char path[AUTH_PATH_MAX];
} grid_due;

/* The items of each point of the grid: the template's (or tpl_items, for
 * a cross patrol) then, for an own patrol, the measures. Caller owns. */
static ws_err stop_items(store_conn *c, const grid_due *g, const json_t *tpl_items, int64_t *pids,
                         json_t **items, size_t *npoints)
{
    store_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    int64_t objs[200], tpls[200];
    ws_err rc = store_prepare(c, Q_PATROL_POINTS_OF_GRID, &st);
    if (!rc) rc = store_bind_int(st, 1, g->id);
    while (!rc && n < 200 && !(rc = store_step(st, &row)) && row) {
        pids[n] = store_col_int(st, 0);
        tpls[n] = store_col_opt_int(st, 5);
        objs[n] = store_col_opt_int(st, 6);
        items[n] = json_array();
        n++;
    }
    store_finalize(st);
    *npoints = n;
    if (rc || !n) return rc;
    for (size_t i = 0; !rc && i < n; i++) {
        const json_t *src = tpl_items;
        json_t *loaded = NULL;
        if (!src && tpls[i]) {
            st = NULL;
            rc = store_prepare(c, Q_PATROL_TPL_GET, &st);
            if (!rc) rc = store_bind_int(st, 1, tpls[i]);
            if (!rc) rc = store_step(st, &row);
            if (!rc && row && store_col_int(st, 4)) loaded = json_of_text(store_col_text(st, 3));
            store_finalize(st);
            src = loaded;
        }
        size_t k;
        json_t *v;
        json_array_foreach(src, k, v) if (json_is_string(v))
            json_array_append_new(items[i], json_pack("{s:s}", "text", json_string_value(v)));
        json_decref(loaded);
    }
    if (!rc && !tpl_items) {
        st = NULL;
        rc = store_prepare(c, Q_PATROL_MEASURES, &st);
        if (!rc) rc = store_bind_text(st, 1, g->path);
        while (!rc && !(rc = store_step(st, &row)) && row) {
            size_t at = 0;
            for (size_t i = 0; i < n; i++)
                if (objs[i] == store_col_int(st, 2)) {
                    at = i;
                    break;
                }
            if (json_array_size(items[at]) >= PATROL_ITEMS_MAX) continue;
            const char *acc = store_col_text(st, 4);
            json_array_append_new(items[at],
                                  json_pack("{s:s,s:I,s:I,s:o}", "text", store_col_text(st, 1),
                                            "measure_id", (json_int_t)store_col_int(st, 0),
                                            "event_id", (json_int_t)store_col_int(st, 3),
                                            "accident_type",
                                            acc && *acc ? json_string(acc) : json_null()));
        }
        store_finalize(st);
    }
    /* A point without any item still asks one thing. */
    for (size_t i = 0; i < n; i++)
        if (!json_array_size(items[i]))
            json_array_append_new(items[i], json_pack("{s:s}", "text", "现场无异常"));
    return rc;
}

/* Make one patrol with its stops; *made 1 when new. */
static ws_err make_patrol(store_conn *c, const grid_due *g, const char *kind, int64_t rota,
                          const char *slot, int64_t day, int64_t s, int64_t e, int64_t assignee,
                          const json_t *tpl_items, int64_t now, int *made)
{
    int64_t pids[200];
    json_t *items[200];
    size_t np = 0;
    char dtxt[11];
    plant_date_format(day, dtxt);
    ws_err rc = store_begin(c);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    rc = store_prepare(c, Q_PATROL_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, kind);
    if (!rc) rc = store_bind_int(st, 2, g->id);
    if (!rc) rc = store_bind_opt_int(st, 3, rota);
    if (!rc) rc = store_bind_text(st, 4, slot);
    if (!rc) rc = store_bind_text(st, 5, dtxt);
    if (!rc) rc = store_bind_int(st, 6, s);
    if (!rc) rc = store_bind_int(st, 7, e);
    if (!rc) rc = store_bind_opt_int(st, 8, assignee);
    if (!rc) rc = store_bind_int(st, 9, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && id) rc = stop_items(c, g, tpl_items, pids, items, &np);
    for (size_t i = 0; !rc && i < np; i++) {
        char *txt = json_dumps(items[i], JSON_COMPACT);
        int64_t sid = 0;
        st = NULL;
        rc = txt ? store_prepare(c, Q_PATROL_STOP_INSERT, &st)
                 : ws_fail(WS_ENOMEM, NULL, "out of memory");
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_int(st, 2, pids[i]);
        if (!rc) rc = store_bind_int(st, 3, (int64_t)i + 1);
        if (!rc) rc = store_bind_text(st, 4, txt);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) sid = store_col_int(st, 0);
        store_finalize(st);
        free(txt);
        if (!rc) rc = audit_record(c, &SYSTEM, &PATROL_STOP_ENTITY, sid, "create", NULL);
    }
    for (size_t i = 0; i < np; i++) json_decref(items[i]);
    if (!rc && id) rc = audit_record(c, &SYSTEM, &PATROL_ENTITY, id, "create", NULL);
    rc = store_tx_finish(c, true, rc);
    if (!rc && id) (*made)++;
    return rc;
}

static ws_err generate(store_conn *c, const grid_due *g, int64_t now, int *made)
{
    int64_t day, s, e;
    ws_err rc = patrol_day_of(c, g->id, now, &day, &s, &e);
    if (rc) return rc;
    rc = make_patrol(c, g, "own", 0, "own", day, s, e, g->leader, NULL, now, made);
    /* Cross patrols of the rota due on this weekday (1970-01-01 was a Thursday). */
    int wd = (int)(((day % 7) + 7 + 3) % 7); /* 0 Monday */
    typedef struct { int64_t id, leader; int mask; json_t *items; } rrow;
    rrow rr[50];
    int nr = 0;
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_PATROL_ROTA_DUE, &st);
    if (!rc) rc = store_bind_int(st, 1, g->id);
    while (!rc && nr < 50 && !(rc = store_step(st, &row)) && row) {
        rr[nr].id = store_col_int(st, 0);
        rr[nr].mask = (int)store_col_int(st, 2);
        rr[nr].leader = store_col_opt_int(st, 3);
        rr[nr].items = json_of_text(store_col_text(st, 4));
        nr++;
    }
    store_finalize(st);
    for (int i = 0; i < nr; i++) {
        if (!rc && (rr[i].mask & (1 << wd))) {
            char slot[40];
            snprintf(slot, sizeof slot, "rota:%lld", (long long)rr[i].id);
            rc = make_patrol(c, g, "cross", rr[i].id, slot, day, s, e, rr[i].leader, rr[i].items,
                             now, made);
        }
        json_decref(rr[i].items);
    }
    return rc;
}

/* Tell the nearest ancestor leader (not the assignee) through every active
 * channel; returns whom, as JSON (caller owns). */
static json_t *escalate(store_conn *c, const patrol_row *p, int64_t now)
{
    json_t *to = json_array();
    org_unit g;
    if (org_unit_get(c, p->grid_unit_id, &g)) {
        ws_err_clear();
        return to;
    }
    int64_t unit = g.parent_id;
    for (int depth = 0; unit > 0 && depth < 64 && !json_array_size(to); depth++) {
        org_unit u;
        if (org_unit_get(c, unit, &u)) break;
        if (u.leader_person_id > 0 && u.leader_person_id != p->assignee_person_id) {
            org_person per;
            bool have = !org_person_get(c, u.leader_person_id, &per);
            json_array_append_new(to, json_pack("{s:I,s:s,s:I,s:s}", "person_id",
                                                (json_int_t)u.leader_person_id, "name",
                                                have ? per.name : "", "unit_id",
                                                (json_int_t)u.id, "unit_name", u.name));
            char title[256], body[1024];
            snprintf(title, sizeof title, "巡查未完成：%s %s", g.name, p->day);
            snprintf(body, sizeof body,
                     "网格 %s 在 %s 的%s巡查未在当日完成，已升级至 %s（%s）。",
                     g.name, p->day, strcmp(p->kind, "cross") ? "" : "交叉监督", u.name,
                     have ? per.name : "");
            const char *mention[1] = {have && per.phone[0] ? per.phone : NULL};
            notify_to_all(c, NOTIFY_ALARM, title, body, mention, mention[0] ? 1 : 0, now, "patrol escalation");
        }
        unit = u.parent_id;
    }
    ws_err_clear();
    return to;
}

static ws_err mark_missed(store_conn *c, int64_t now, int *missed)
{
    int64_t cutoff = now - PATROL_SYNC_GRACE_MS, ids[200];
    int n = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PATROL_MISSED_DUE, &st);
    if (!rc) rc = store_bind_int(st, 1, cutoff);
    if (!rc) rc = store_bind_int(st, 2, 200);
    while (!rc && n < 200 && !(rc = store_step(st, &row)) && row) ids[n++] = store_col_int(st, 0);
    store_finalize(st);
    for (int i = 0; !rc && i < n; i++) {
        patrol_row p;
        if ((rc = store_begin(c))) break;
        int64_t changed = 0;
        st = NULL;
        rc = store_prepare(c, Q_PATROL_MARK_MISSED, &st);
        if (!rc) rc = store_bind_int(st, 1, ids[i]);
        if (!rc) rc = store_bind_int(st, 2, now);
        if (!rc) rc = store_bind_int(st, 3, cutoff);
        if (!rc) rc = store_step(st, &row);
        if (!rc) changed = store_changes(st);
        store_finalize(st);
        if (!rc && changed == 1) rc = patrol_load(c, ids[i], &p, NULL);
        if (!rc && changed == 1) {
            json_t *to = escalate(c, &p, now);
            char *txt = json_dumps(to, JSON_COMPACT);
            json_decref(to);
            st = NULL;
            rc = store_prepare(c, Q_PATROL_SET_ESCALATED, &st);
            if (!rc) rc = store_bind_int(st, 1, ids[i]);
            if (!rc) rc = store_bind_int(st, 2, now);
            if (!rc) rc = store_bind_text(st, 3, txt ? txt : "[]");
            if (!rc) rc = store_step(st, &row);
            store_finalize(st);
            free(txt);
            if (!rc) rc = audit_record(c, &SYSTEM, &PATROL_ENTITY, ids[i], "missed", NULL);
            if (!rc) (*missed)++;
        }
        rc = store_tx_finish(c, true, rc);
    }
    return rc;
}

ws_err patrol_tick(store_conn *c, int64_t now, int *created, int *missed)
{
    int made = 0, nmissed = 0;
    int64_t after = 0;
    ws_err rc = WS_OK;
    grid_due *v = calloc(100, sizeof *v);
    if (!v) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (;;) {
        int n = 0;
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_PATROL_GRIDS_DUE, &st);
        if (!rc) rc = store_bind_int(st, 1, after);
        if (!rc) rc = store_bind_int(st, 2, 100);
        while (!rc && n < 100 && !(rc = store_step(st, &row)) && row) {
            v[n].id = store_col_int(st, 0);
            v[n].leader = store_col_opt_int(st, 2);
            snprintf(v[n].path, sizeof v[n].path, "%s", store_col_text(st, 3));
            n++;
        }
        store_finalize(st);
        for (int i = 0; !rc && i < n; i++) rc = generate(c, &v[i], now, &made);
        if (rc || n < 100) break;
        after = v[n - 1].id;
    }
    free(v);
    if (!rc) rc = mark_missed(c, now, &nmissed);
    if (created) *created = made;
    if (missed) *missed = nmissed;
    return rc;
}

/* ------------------------------------------------------------ reading */

static json_t *patrol_json(store_stmt *st, patrol_row *r)
{
    patrol_row tmp;
    if (!r) r = &tmp;
    memset(r, 0, sizeof *r);
    r->id = store_col_int(st, 0);
    snprintf(r->kind, sizeof r->kind, "%s", store_col_text(st, 1));
    r->grid_unit_id = store_col_int(st, 2);
    r->rota_id = store_col_opt_int(st, 3);
    snprintf(r->day, sizeof r->day, "%s", store_col_text(st, 5));
    r->window_start = store_col_int(st, 6);
    r->window_end = store_col_int(st, 7);
    r->assignee_person_id = store_col_opt_int(st, 8);
    snprintf(r->state, sizeof r->state, "%s", store_col_text(st, 9));
    snprintf(r->path, sizeof r->path, "%s", store_col_text(st, 17));
    json_t *o = json_object();
    char code[48];
    snprintf(code, sizeof code, "XC-%.4s%.2s%.2s-%06lld", r->day, r->day + 5, r->day + 8,
             (long long)r->id);
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "code", json_string(code));
    json_object_set_new(o, "kind", json_string(r->kind));
    json_object_set_new(o, "grid_unit_id", json_integer(r->grid_unit_id));
    json_object_set_new(o, "grid_name", json_string(store_col_text(st, 16)));
    json_object_set_new(o, "rota_id", id_or_null(r->rota_id));
    json_object_set_new(o, "day", json_string(r->day));
    json_object_set_new(o, "window_start", patrol_time_json(r->window_start));
    json_object_set_new(o, "window_end", patrol_time_json(r->window_end));
    json_object_set_new(o, "assignee_person_id", id_or_null(r->assignee_person_id));
    json_object_set_new(o, "assignee_name", json_string(store_col_text(st, 18)));
    json_object_set_new(o, "state", json_string(r->state));
    json_object_set_new(o, "started_at", patrol_time_json(store_col_opt_int(st, 10)));
    json_object_set_new(o, "done_at", patrol_time_json(store_col_opt_int(st, 11)));
    json_object_set_new(o, "escalated_at", patrol_time_json(store_col_opt_int(st, 12)));
    json_t *to = json_of_text(store_col_text(st, 13));
    json_object_set_new(o, "escalated_to", json_is_array(to) ? to : json_array());
    if (!json_is_array(to)) json_decref(to);
    /* progress, for lists: stops checked of all, and stops whose check found
     * something wrong (each opened hidden dangers) */
    json_object_set_new(o, "stops_total", json_integer(store_col_int(st, 19)));
    json_object_set_new(o, "stops_done", json_integer(store_col_int(st, 20)));
    json_object_set_new(o, "stops_flagged", json_integer(store_col_int(st, 21)));
    return o;
}

ws_err patrol_load(store_conn *c, int64_t id, patrol_row *r, json_t **json)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PATROL_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    json_t *o = !rc && row ? patrol_json(st, r) : NULL;
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such patrol");
    if (rc || !json) json_decref(o);
    if (!rc && json) *json = o;
    return rc;
}

static json_t *stop_json(store_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(store_col_int(st, 0)));
    json_object_set_new(o, "point_id", json_integer(store_col_int(st, 2)));
    json_object_set_new(o, "seq", json_integer(store_col_int(st, 3)));
    json_object_set_new(o, "code", json_string(store_col_text(st, 15)));
    json_object_set_new(o, "name", json_string(store_col_text(st, 16)));
    bool gps = !store_col_null(st, 17) && !store_col_null(st, 18);
    json_object_set_new(o, "lat", gps ? json_real(store_col_double(st, 17)) : json_null());
    json_object_set_new(o, "lon", gps ? json_real(store_col_double(st, 18)) : json_null());
    json_object_set_new(o, "radius_m", gps && !store_col_null(st, 19)
                                           ? json_real(store_col_double(st, 19)) : json_null());
    json_object_set_new(o, "photo_required", json_boolean(store_col_int(st, 20)));
    json_object_set_new(o, "items", json_of_text(store_col_text(st, 4)));
    json_object_set_new(o, "state", json_string(store_col_text(st, 5)));
    json_object_set_new(o, "results", json_of_text(store_col_text(st, 6)));
    json_t *h = json_of_text(store_col_text(st, 7));
    json_object_set_new(o, "hazard_ids", json_is_array(h) ? h : json_array());
    if (!json_is_array(h)) json_decref(h);
    json_object_set_new(o, "proof", json_of_text(store_col_text(st, 8)));
    json_object_set_new(o, "done_by_person_id", id_or_null(store_col_opt_int(st, 9)));
    json_object_set_new(o, "checked_at", patrol_time_json(store_col_opt_int(st, 11)));
    json_object_set_new(o, "client_time", patrol_time_json(store_col_opt_int(st, 12)));
    json_object_set_new(o, "received_at", patrol_time_json(store_col_opt_int(st, 13)));
    bool done = !strcmp(store_col_text(st, 5), "done");
    json_object_set_new(o, "time_source", !done ? json_null()
                                          : json_string(store_col_int(st, 14) ? "phone" : "server"));
    return o;
}

ws_err patrol_get_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    patrol_row r;
    json_t *o = NULL;
    ws_err rc = patrol_load(c, id, &r, &o);
    if (rc) return rc;
    if (s) {
        auth_resource res = {.unit_path = r.path};
        rc = auth_decide(s, "patrol.read", &res);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such patrol");
    }
    store_stmt *st = NULL;
    bool row = false;
    json_t *stops = json_array();
    int done = 0, total = 0;
    if (!rc) rc = store_prepare(c, Q_PATROL_STOPS, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_t *x = stop_json(st);
        total++;
        if (!strcmp(json_string_value(json_object_get(x, "state")), "done")) done++;
        json_array_append_new(stops, x);
    }
    store_finalize(st);
    if (rc) {
        json_decref(o);
        json_decref(stops);
        return rc;
    }
    json_object_set_new(o, "stops", stops);
    json_object_set_new(o, "stops_done", json_integer(done));
    json_object_set_new(o, "stops_total", json_integer(total));
    /* whether the reader may record it (a supervisor reading a grid's
     * patrol is offered no start or check) */
    if (s) json_object_set_new(o, "can_check", json_boolean(patrol_may_check(c, s, &r) == WS_OK));
    *out = o;
    return WS_OK;
}

ws_err patrol_list(store_conn *c, const patrol_filter *f, json_t **items, int64_t *next)
{
    int limit = f->limit < 1 || f->limit > 200 ? 50 : f->limit;
    *next = 0;
    if (f->state && strcmp(f->state, "pending") && strcmp(f->state, "in_progress") &&
        strcmp(f->state, "done") && strcmp(f->state, "missed"))
        return ws_fail(WS_EINVAL, "state", "state must be pending, in_progress, done or missed");
    int64_t d;
    if (f->day && !plant_date_parse(f->day, &d))
        return ws_fail(WS_EINVAL, "day", "day must be a date YYYY-MM-DD");
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    int64_t last = 0;
    ws_err rc = store_prepare(c, Q_PATROL_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, f->path ? f->path : "/");
    if (!rc) rc = store_bind_text(st, 2, f->state ? f->state : "");
    if (!rc) rc = store_bind_text(st, 3, f->day ? f->day : "");
    if (!rc) rc = store_bind_int(st, 4, f->person_id > 0 ? f->person_id : 0);
    if (!rc) rc = store_bind_int(st, 5, f->cursor);
    if (!rc) rc = store_bind_int(st, 6, limit + 1);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if ((int)json_array_size(a) == limit) {
            *next = last;
            break;
        }
        patrol_row r;
        json_array_append_new(a, patrol_json(st, &r));
        last = r.id;
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        *next = 0;
        return rc;
    }
    *items = a;
    return WS_OK;
}

ws_err patrol_of_hazard(store_conn *c, int64_t hazard_id, int64_t *patrol_id, int64_t *stop_id)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PATROL_OF_HAZARD, &st);
    if (!rc) rc = store_bind_int(st, 1, hazard_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *patrol_id = store_col_int(st, 0);
        *stop_id = store_col_int(st, 1);
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "the hazard was not opened by a patrol");
    return rc;
}
