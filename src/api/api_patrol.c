/* api_patrol.c — grid patrols over REST (src/patrol/patrol.h; contract in
 * docs/internals/patrol.md).
 *
 *   GET  /api/v1/patrols                         list (?mine=1, unit_id, state, day, pages)
 *   GET  /api/v1/patrols/{id}                    one, with its stops and their proof
 *   POST /api/v1/patrols/{id}/actions/start      start: offline nonces for every open stop
 *   POST /api/v1/patrols/{id}/nonces             {point_id}: a scan nonce (10 min)
 *   POST /api/v1/patrols/{id}/actions/check      the check of one point, with its proof
 *   GET  /api/v1/patrol-points                   (?unit_id, grid_id, code, pages)
 *   POST /api/v1/patrol-points                   a point in a grid
 *   PATCH /api/v1/patrol-points/{id}             rename, checklist, photo rule, retire
 *   PATCH /api/v1/patrol-templates/{id}          rename, new items, retire
 *   GET  /api/v1/patrol-points/{id}/qr.svg       its QR code (names /patrol/scan/<code>)
 *   GET  /api/v1/patrol-templates                checklist templates
 *   POST /api/v1/patrol-templates                one template
 *   GET  /api/v1/patrol-rota                     the cross-supervision rota (?unit_id)
 *   PUT  /api/v1/patrol-rota                     replace it: rows or a ring
 *   GET  /api/v1/hazards/{id}/patrol             the patrol stop a hazard came from
 *
 * Reads need patrol.read in scope; checks patrol.do (then the assignee or
 * the grid's people, checked by src/patrol); registers patrol.admin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "hazard/hazard.h"
#include "patrol/patrol.h"

static void actor(api_ctx *ctx, audit_actor *who, char *name, size_t cap)
{
    who->name = api_actor(ctx, name, cap);
}

/* The caller's scope narrowed to ?unit_id= (a subtree inside the scope). */
static ws_err list_path(api_ctx *ctx, char *path, size_t cap)
{
    int64_t unit_id = 0;
    ws_err rc = api_query_id(ctx, "unit_id", &unit_id);
    if (rc) return rc;
    snprintf(path, cap, "%s", ctx->who.scope_path);
    if (!unit_id) return WS_OK;
    char up[AUTH_PATH_MAX];
    rc = auth_unit_path(ctx->conn, unit_id, "unit_id", up, sizeof up);
    if (rc) return rc;
    if (!auth_in_scope(&ctx->who, up)) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    snprintf(path, cap, "%s", up);
    return WS_OK;
}

/* ------------------------------------------------------------- patrols */

static ws_err list(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    patrol_filter f = {.path = path};
    int mine = -1;
    ws_err rc = api_page(ctx, &f.limit, &f.cursor);
    if (!rc) rc = list_path(ctx, path, sizeof path);
    if (!rc) rc = api_query_bool(ctx, "mine", &mine);
    if (rc) return rc;
    f.state = api_query(ctx, "state");
    f.day = api_query(ctx, "day");
    if (mine == 1) f.person_id = ctx->who.person_id > 0 ? ctx->who.person_id : -1;
    json_t *a = NULL;
    int64_t next = 0;
    if (f.person_id < 0) { /* an account without a person patrols nothing */
        f.person_id = 0;
        f.limit = 1;
        rc = patrol_list(ctx->conn, &f, &a, &next);
        if (rc) return rc;
        json_array_clear(a);
        return api_reply_json(ctx, 200, api_page_json(a, 0));
    }
    rc = patrol_list(ctx->conn, &f, &a, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = patrol_get_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err start(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    int64_t id;
    char abuf[32];
    audit_actor who;
    actor(ctx, &who, abuf, sizeof abuf);
    wf_actor by = {&who, &ctx->who};
    json_t *nonces = NULL, *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = patrol_start(ctx->conn, &by, id, &nonces);
    if (!rc) rc = patrol_get_json(ctx->conn, &ctx->who, id, &o);
    if (rc) {
        json_decref(nonces);
        return rc;
    }
    json_object_set_new(o, "offline_nonces", nonces);
    return api_reply_json(ctx, 200, o);
}

typedef struct nonce_body {
    int64_t point_id;
} nonce_body;
static const json_field nonce_fields[] = {
    {"point_id", JF_ID, true, false, offsetof(nonce_body, point_id), 0, 0, 0, -1},
};

static ws_err nonce(api_ctx *ctx)
{
    int64_t id;
    nonce_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, nonce_fields, 1, &b, NULL, &root);
    if (rc) return rc;
    json_decref(root);
    char abuf[32];
    audit_actor who;
    actor(ctx, &who, abuf, sizeof abuf);
    wf_actor by = {&who, &ctx->who};
    char n[PATROL_NONCE_LEN + 1];
    int64_t issued = 0, expires = 0;
    rc = patrol_nonce_issue(ctx->conn, &by, id, b.point_id, n, &issued, &expires);
    if (rc) return rc;
    char a[40], e[40];
    return api_reply_json(ctx, 201, json_pack("{s:I,s:I,s:s,s:s,s:s}", "patrol_id", (json_int_t)id,
                                              "point_id", (json_int_t)b.point_id, "nonce", n,
                                              "issued_at", clock_format_rfc3339(issued, a, sizeof a),
                                              "expires_at",
                                              clock_format_rfc3339(expires, e, sizeof e)));
}

typedef struct check_body {
    int64_t point_id;
    const char *nonce;
    json_t *items, *photo_ids;
    double lat, lon, accuracy_m;
    bool offline;
    int64_t client_time;
    uint64_t present;
} check_body;
static const json_field check_fields[] = {
    {"point_id", JF_ID, true, false, offsetof(check_body, point_id), 0, 0, 0, -1},
    {"nonce", JF_STRING, false, true, offsetof(check_body, nonce), 64, 0, 0, -1},
    {"items", JF_ARRAY, true, false, offsetof(check_body, items), PATROL_ITEMS_MAX, 0, 0, -1},
    {"photo_ids", JF_ARRAY, false, true, offsetof(check_body, photo_ids), PATROL_PHOTOS_MAX, 0, 0, -1},
    {"lat", JF_NUMBER, false, true, offsetof(check_body, lat), 0, 0, 0, -1},
    {"lon", JF_NUMBER, false, true, offsetof(check_body, lon), 0, 0, 0, -1},
    {"accuracy_m", JF_NUMBER, false, true, offsetof(check_body, accuracy_m), 0, 0, 0, -1},
    {"offline", JF_BOOL, false, false, offsetof(check_body, offline), 0, 0, 0, -1},
    {"client_time", JF_TIME, false, true, offsetof(check_body, client_time), 0, 0, 0, -1},
};
#define NCHECK (sizeof check_fields / sizeof check_fields[0])

/* An id list (photo_ids) into out (cap), naming field on a refusal. */
static ws_err ids_of(json_t *a, int64_t *out, size_t cap, size_t *n, const char *field)
{
    *n = 0;
    if (!a || json_is_null(a)) return WS_OK;
    if (!json_is_array(a) || json_array_size(a) > cap)
        return ws_fail(WS_EINVAL, field, "%s is a list of at most %zu attachment ids", field, cap);
    size_t k;
    json_t *p;
    json_array_foreach(a, k, p) {
        if (!json_is_integer(p) || json_integer_value(p) < 1)
            return ws_fail(WS_EINVAL, field, "%s holds attachment ids", field);
        for (size_t j = 0; j < *n; j++)
            if (out[j] == json_integer_value(p))
                return ws_fail(WS_EINVAL, field, "photo %lld is listed twice",
                               (long long)out[j]);
        out[(*n)++] = json_integer_value(p);
    }
    return WS_OK;
}

static ws_err decode_item(json_t *it, size_t i, inspection_result *r, int64_t *photos)
{
    char f[64];
    if (!json_is_object(it)) {
        snprintf(f, sizeof f, "items[%zu]", i);
        return ws_fail(WS_EINVAL, f, "each item is {ok, note, photo_ids}");
    }
    const char *key;
    json_t *v;
    json_object_foreach(it, key, v) {
        if (strcmp(key, "ok") && strcmp(key, "note") && strcmp(key, "photo_ids")) {
            snprintf(f, sizeof f, "items[%zu].%.20s", i, key);
            return ws_fail(WS_EINVAL, f, "unknown field (an item has ok, note, photo_ids)");
        }
    }
    json_t *ok = json_object_get(it, "ok"), *note = json_object_get(it, "note");
    if (!json_is_boolean(ok)) {
        snprintf(f, sizeof f, "items[%zu].ok", i);
        return ws_fail(WS_EINVAL, f, "ok is required: true (正常) or false (异常)");
    }
    if (note && !json_is_null(note) && !json_is_string(note)) {
        snprintf(f, sizeof f, "items[%zu].note", i);
        return ws_fail(WS_EINVAL, f, "note must be text");
    }
    memset(r, 0, sizeof *r);
    r->ok = json_is_true(ok);
    r->note = json_string_value(note);
    r->photo_ids = photos;
    snprintf(f, sizeof f, "items[%zu].photo_ids", i);
    return ids_of(json_object_get(it, "photo_ids"), photos, INSP_PHOTOS_MAX, &r->n_photos, f);
}

static ws_err check(api_ctx *ctx)
{
    int64_t id;
    check_body b = {0};
    json_t *root = NULL;
    uint64_t present = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, check_fields, NCHECK, &b, &present, &root);
    if (rc) return rc;
    bool has_lat = (present >> 4) & 1 && json_is_number(json_object_get(root, "lat"));
    bool has_lon = (present >> 5) & 1 && json_is_number(json_object_get(root, "lon"));
    if (has_lat != has_lon) rc = ws_fail(WS_EINVAL, has_lat ? "lon" : "lat", "give lat and lon together");
    size_t n = json_array_size(b.items);
    inspection_result *res = calloc(n ? n : 1, sizeof *res);
    int64_t *photos = calloc((n ? n : 1) * INSP_PHOTOS_MAX, sizeof *photos);
    int64_t pids[PATROL_PHOTOS_MAX];
    size_t npids = 0;
    if (!rc && (!res || !photos)) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        rc = decode_item(json_array_get(b.items, i), i, &res[i], photos + i * INSP_PHOTOS_MAX);
    if (!rc) rc = ids_of(b.photo_ids, pids, PATROL_PHOTOS_MAX, &npids, "photo_ids");
    int opened = 0;
    if (!rc) {
        char abuf[32];
        audit_actor who;
        actor(ctx, &who, abuf, sizeof abuf);
        wf_actor by = {&who, &ctx->who};
        patrol_check_in in = {.point_id = b.point_id, .nonce = b.nonce, .items = res, .n = n,
                              .has_gps = has_lat && has_lon, .lat = b.lat, .lon = b.lon,
                              .accuracy_m = b.accuracy_m, .photo_ids = pids, .n_photos = npids,
                              .offline = b.offline, .client_time = b.client_time};
        rc = patrol_check(ctx->conn, &by, id, &in, &opened);
    }
    free(res);
    free(photos);
    json_decref(root);
    json_t *o = NULL;
    if (!rc) rc = patrol_get_json(ctx->conn, &ctx->who, id, &o);
    if (rc) return rc;
    json_object_set_new(o, "hazards_opened", json_integer(opened));
    return api_reply_json(ctx, 200, o);
}

/* -------------------------------------------------------------- points */

static ws_err points(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    int limit = 0;
    int64_t cursor = 0, grid = 0;
    ws_err rc = api_page(ctx, &limit, &cursor);
    if (!rc) rc = list_path(ctx, path, sizeof path);
    if (!rc) rc = api_query_id(ctx, "grid_id", &grid);
    if (rc) return rc;
    const char *code = api_query(ctx, "code");
    json_t *a = NULL;
    int64_t next = 0;
    if (code) { /* the phone after a scan: the point of a code, as a list of one */
        json_t *p = NULL;
        rc = patrol_point_get_json(ctx->conn, &ctx->who, 0, code, &p);
        if (rc == WS_ENOTFOUND) {
            ws_err_clear();
            return api_reply_json(ctx, 200, api_page_json(json_array(), 0));
        }
        if (rc) return rc;
        a = json_array();
        json_array_append_new(a, p);
        return api_reply_json(ctx, 200, api_page_json(a, 0));
    }
    rc = patrol_point_list(ctx->conn, path, grid, cursor, limit, &a, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, next));
}

typedef struct point_body {
    int64_t grid_unit_id, template_id, risk_object_id;
    const char *code, *name;
    double lat, lon, radius_m;
    bool photo_required;
} point_body;
static const json_field point_fields[] = {
    {"grid_unit_id", JF_ID, true, false, offsetof(point_body, grid_unit_id), 0, 0, 0, -1},
    {"code", JF_STRING, true, false, offsetof(point_body, code), PATROL_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(point_body, name), 300, 0, 0, -1},
    {"template_id", JF_ID, false, true, offsetof(point_body, template_id), 0, 0, 0, -1},
    {"risk_object_id", JF_ID, false, true, offsetof(point_body, risk_object_id), 0, 0, 0, -1},
    {"lat", JF_NUMBER, false, true, offsetof(point_body, lat), 0, 0, 0, -1},
    {"lon", JF_NUMBER, false, true, offsetof(point_body, lon), 0, 0, 0, -1},
    {"radius_m", JF_NUMBER, false, true, offsetof(point_body, radius_m), 0, 0, 0, -1},
    {"photo_required", JF_BOOL, false, false, offsetof(point_body, photo_required), 0, 0, 0, -1},
};
#define NPOINT (sizeof point_fields / sizeof point_fields[0])

static ws_err point_create(api_ctx *ctx)
{
    point_body b = {0};
    json_t *root = NULL;
    uint64_t present = 0;
    ws_err rc = api_decode(ctx, point_fields, NPOINT, &b, &present, &root);
    if (rc) return rc;
    bool lat = json_is_number(json_object_get(root, "lat")),
         lon = json_is_number(json_object_get(root, "lon"));
    if (lat != lon) rc = ws_fail(WS_EINVAL, lat ? "lon" : "lat", "give lat and lon together");
    if (!rc && !lat && json_is_number(json_object_get(root, "radius_m")))
        rc = ws_fail(WS_EINVAL, "radius_m", "a radius needs the point's lat and lon");
    char abuf[32];
    audit_actor who;
    actor(ctx, &who, abuf, sizeof abuf);
    org_caller by = {&who, &ctx->who};
    patrol_point_in in = {.grid_unit_id = b.grid_unit_id, .code = b.code, .name = b.name,
                          .template_id = b.template_id, .risk_object_id = b.risk_object_id,
                          .has_gps = lat && lon, .lat = b.lat, .lon = b.lon,
                          .radius_m = b.radius_m, .photo_required = b.photo_required};
    int64_t id = 0;
    if (!rc) rc = patrol_point_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    json_t *o = NULL;
    if (!rc) rc = patrol_point_get_json(ctx->conn, &ctx->who, id, NULL, &o);
    return rc ? rc : api_reply_json(ctx, 201, o);
}

typedef struct point_patch_body {
    const char *name;
    int64_t template_id;
    bool photo_required, active;
} point_patch_body;
static const json_field point_patch_fields[] = {
    {"name", JF_STRING, false, false, offsetof(point_patch_body, name), 300, 0, 0, -1},
    {"template_id", JF_ID, false, true, offsetof(point_patch_body, template_id), 0, 0, 0, -1},
    {"photo_required", JF_BOOL, false, false, offsetof(point_patch_body, photo_required), 0, 0, 0, -1},
    {"active", JF_BOOL, false, false, offsetof(point_patch_body, active), 0, 0, 0, -1},
};

static ws_err point_patch(api_ctx *ctx)
{
    int64_t id;
    point_patch_body b = {0};
    json_t *root = NULL;
    uint64_t present = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, point_patch_fields, sizeof point_patch_fields / sizeof point_patch_fields[0], &b,
                             &present, &root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who;
    actor(ctx, &who, abuf, sizeof abuf);
    org_caller by = {&who, &ctx->who};
    patrol_point_patch in = {.has_name = present & 1, .has_template = present & 2, .has_photo = present & 4,
                             .has_active = present & 8, .name = b.name, .template_id = b.template_id,
                             .photo_required = b.photo_required, .active = b.active};
    rc = patrol_point_update(ctx->conn, &by, id, &in);
    json_decref(root);
    json_t *o = NULL;
    if (!rc) rc = patrol_point_get_json(ctx->conn, &ctx->who, id, NULL, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err origin_of(api_ctx *ctx, char *out, size_t cap)
{
    const char *origin = api_public_origin();
    if (origin && origin[0]) {
        snprintf(out, cap, "%s", origin);
        return WS_OK;
    }
    const char *host = ctx->req->header ? ctx->req->header(ctx->req->hctx, "Host") : NULL;
    size_t n = host ? strlen(host) : 0;
    bool ok = n > 0 && n < 200;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = host[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']';
    }
    if (!ok)
        return ws_fail(WS_EINVAL, "Host", "the Host header must be host[:port] to build the "
                                          "point's address (or configure public_origin)");
    snprintf(out, cap, "%s://%s", ctx->req->tls ? "https" : "http", host);
    return WS_OK;
}

static ws_err point_qr(api_ctx *ctx)
{
    int64_t id;
    char origin[256];
    char *svg = NULL;
    size_t len = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = origin_of(ctx, origin, sizeof origin);
    if (!rc) rc = patrol_point_qr(ctx->conn, &ctx->who, id, origin, &svg, &len);
    if (rc) return rc;
    buf_reset(&ctx->resp->body);
    rc = buf_append(&ctx->resp->body, svg, len);
    free(svg);
    if (rc) return rc;
    ctx->resp->status = 200;
    ctx->resp->content_type = "image/svg+xml";
    api_add_header(ctx->resp, "Cache-Control", "private, max-age=300");
    return WS_OK;
}

/* ------------------------------------------------- templates and rota */

static ws_err templates(api_ctx *ctx)
{
    json_t *a = NULL;
    ws_err rc = patrol_template_list(ctx->conn, ctx->who.scope_path, &a);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, 0));
}

typedef struct tpl_body {
    int64_t enterprise_id;
    const char *name;
    json_t *items;
} tpl_body;
static const json_field tpl_fields[] = {
    {"enterprise_id", JF_ID, true, false, offsetof(tpl_body, enterprise_id), 0, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(tpl_body, name), 200, 0, 0, -1},
    {"items", JF_ARRAY, true, false, offsetof(tpl_body, items), PATROL_ITEMS_MAX, 0, 0, -1},
};

static ws_err template_create(api_ctx *ctx)
{
    tpl_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, tpl_fields, 3, &b, NULL, &root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who;
    actor(ctx, &who, abuf, sizeof abuf);
    org_caller by = {&who, &ctx->who};
    int64_t id = 0;
    rc = patrol_template_create(ctx->conn, &by, b.enterprise_id, b.name, b.items, &id);
    json_t *o = rc ? NULL : json_pack("{s:I,s:I,s:s,s:O}", "id", (json_int_t)id, "enterprise_id",
                                      (json_int_t)b.enterprise_id, "name", b.name, "items", b.items);
    json_decref(root);
    return rc ? rc : api_reply_json(ctx, 201, o);
}

typedef struct tpl_patch_body {
    const char *name;
    json_t *items;
    bool active;
} tpl_patch_body;
static const json_field tpl_patch_fields[] = {
    {"name", JF_STRING, false, false, offsetof(tpl_patch_body, name), 200, 0, 0, -1},
    {"items", JF_ARRAY, false, false, offsetof(tpl_patch_body, items), PATROL_ITEMS_MAX, 0, 0, -1},
    {"active", JF_BOOL, false, false, offsetof(tpl_patch_body, active), 0, 0, 0, -1},
};

static ws_err template_patch(api_ctx *ctx)
{
    int64_t id;
    tpl_patch_body b = {0};
    json_t *root = NULL, *o = NULL;
    uint64_t present = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, tpl_patch_fields, 3, &b, &present, &root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who;
    actor(ctx, &who, abuf, sizeof abuf);
    org_caller by = {&who, &ctx->who};
    rc = patrol_template_update(ctx->conn, &by, id, present & 1 ? b.name : NULL, present & 2 ? b.items : NULL,
                                present & 4 ? (int)b.active : -1, &o);
    json_decref(root);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err rota(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    json_t *a = NULL;
    ws_err rc = list_path(ctx, path, sizeof path);
    if (!rc) rc = patrol_rota_list(ctx->conn, path, &a);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, 0));
}

typedef struct rota_body {
    int64_t unit_id, ring_template_id;
    json_t *items;
} rota_body;
static const json_field rota_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(rota_body, unit_id), 0, 0, 0, -1},
    {"items", JF_ARRAY, false, false, offsetof(rota_body, items), 200, 0, 0, -1},
    {"ring_template_id", JF_ID, false, true, offsetof(rota_body, ring_template_id), 0, 0, 0, -1},
};

static ws_err rota_put(api_ctx *ctx)
{
    rota_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, rota_fields, 3, &b, NULL, &root);
    if (rc) return rc;
    size_t n = json_array_size(b.items);
    patrol_rota_in *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc && !n && !b.ring_template_id && !b.items)
        rc = ws_fail(WS_EINVAL, "items", "give items (the rota rows) or ring_template_id");
    static const char *const keys[] = {"inspector_grid_id", "target_grid_id", "template_id",
                                       "weekdays"};
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *it = json_array_get(b.items, i);
        char f[64];
        if (!json_is_object(it)) {
            snprintf(f, sizeof f, "items[%zu]", i);
            rc = ws_fail(WS_EINVAL, f, "each row is {inspector_grid_id, target_grid_id, "
                         "template_id, weekdays}");
            break;
        }
        const char *key;
        json_t *v;
        json_object_foreach(it, key, v) {
            int k = 0;
            while (k < 4 && strcmp(key, keys[k])) k++;
            snprintf(f, sizeof f, "items[%zu].%.24s", i, key);
            if (k == 4) rc = ws_fail(WS_EINVAL, f, "unknown field");
            else if (!json_is_integer(v)) rc = ws_fail(WS_EINVAL, f, "%s is a number", key);
            if (rc) break;
        }
        if (rc) break;
        rows[i].inspector_grid_id = json_integer_value(json_object_get(it, "inspector_grid_id"));
        rows[i].target_grid_id = json_integer_value(json_object_get(it, "target_grid_id"));
        rows[i].template_id = json_integer_value(json_object_get(it, "template_id"));
        rows[i].weekdays = (int)json_integer_value(json_object_get(it, "weekdays"));
    }
    int count = 0;
    if (!rc) {
        char abuf[32];
        audit_actor who;
        actor(ctx, &who, abuf, sizeof abuf);
        org_caller by = {&who, &ctx->who};
        rc = patrol_rota_set(ctx->conn, &by, b.unit_id, rows, n, b.ring_template_id, &count);
    }
    free(rows);
    json_decref(root);
    if (rc) return rc;
    char up[AUTH_PATH_MAX];
    json_t *a = NULL;
    rc = auth_unit_path(ctx->conn, b.unit_id, "unit_id", up, sizeof up);
    if (!rc) rc = patrol_rota_list(ctx->conn, up, &a);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, 0));
}

static ws_err hazard_patrol(api_ctx *ctx)
{
    int64_t id, pid = 0, sid = 0;
    json_t *h = NULL, *p = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = hazard_get_json(ctx->conn, &ctx->who, id, &h);
    json_decref(h);
    if (!rc) rc = patrol_of_hazard(ctx->conn, id, &pid, &sid);
    if (!rc) rc = patrol_get_json(ctx->conn, &ctx->who, pid, &p);
    if (rc) return rc;
    json_object_set_new(p, "hazard_stop_id", json_integer(sid));
    return api_reply_json(ctx, 200, p);
}

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "patrols", body, nbody, 0}
const api_route api_patrol_routes[] = {
    R("GET", "/api/v1/patrols", list, "patrol.read",
      "Grid patrols: ?mine=1 (assigned to the caller or of a grid they belong to), unit_id "
      "(subtree), state (pending|in_progress|done|missed), day (YYYY-MM-DD), pages", NULL, 0),
    R("GET", "/api/v1/patrols/{id}", get, "patrol.read",
      "One patrol with its stops, their check items, results and proof (nonce, GPS, photo, "
      "whose clock)", NULL, 0),
    R("POST", "/api/v1/patrols/{id}/actions/start", start, "patrol.do",
      "Start a patrol: one offline nonce per open stop, for checks recorded without a signal",
      NULL, 0),
    R("POST", "/api/v1/patrols/{id}/nonces", nonce, "patrol.do",
      "A one-time scan nonce for (patrol, point), valid 10 minutes", nonce_fields, 1),
    R("POST", "/api/v1/patrols/{id}/actions/check", check, "patrol.do",
      "The check of one point: nonce, items [{ok, note, photo_ids}], lat/lon, photo_ids, "
      "offline + client_time; failed items open hidden dangers", check_fields, NCHECK),
    R("GET", "/api/v1/patrol-points", points, "patrol.read",
      "Patrol points: ?unit_id (subtree), grid_id, code (the point a QR code names), pages",
      NULL, 0),
    R("POST", "/api/v1/patrol-points", point_create, "patrol.admin",
      "A patrol point in a grid: code, name, template, risk object, lat/lon/radius_m, "
      "photo_required", point_fields, NPOINT),
    R("PATCH", "/api/v1/patrol-points/{id}", point_patch, "patrol.admin",
      "Change a point {name, template_id (null: none), photo_required, active (false retires it from the "
      "next patrols on)}; its code and place stay",
      point_patch_fields, sizeof point_patch_fields / sizeof point_patch_fields[0]),
    R("GET", "/api/v1/patrol-points/{id}/qr.svg", point_qr, "patrol.read",
      "The point's QR code (SVG) naming <origin>/patrol/scan/<code>", NULL, 0),
    R("GET", "/api/v1/patrol-templates", templates, "patrol.read",
      "Checklist templates of the enterprises in scope", NULL, 0),
    R("POST", "/api/v1/patrol-templates", template_create, "patrol.admin",
      "A checklist template: enterprise_id, name, items", tpl_fields, 3),
    R("PATCH", "/api/v1/patrol-templates/{id}", template_patch, "patrol.admin",
      "Change a template {name, items, active (false retires it; refused while a point or rota row uses "
      "it)}; patrols already made keep their items", tpl_patch_fields, 3),
    R("GET", "/api/v1/patrol-rota", rota, "patrol.read",
      "The cross-supervision rota (?unit_id subtree)", NULL, 0),
    R("PUT", "/api/v1/patrol-rota", rota_put, "patrol.admin",
      "Replace the rota of the grids under unit_id: items [{inspector_grid_id, target_grid_id, "
      "template_id, weekdays}] or ring_template_id (each grid inspects the next)",
      rota_fields, 3),
    R("GET", "/api/v1/hazards/{id}/patrol", hazard_patrol, "hazard.read",
      "The patrol (and stop) a hidden danger was opened from", NULL, 0),
};
const size_t api_patrol_nroutes = sizeof api_patrol_routes / sizeof api_patrol_routes[0];
