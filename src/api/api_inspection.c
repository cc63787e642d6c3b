/* api_inspection.c — inspection occurrences of risk tasks over REST
 * (src/hazard/inspection.h; contract in docs/internals/hazard.md,
 * "Inspection tasks").
 *
 *   GET  /api/v1/inspections                          list (?mine, state, unit_id,
 *                                                     task_id, from, to, pages)
 *   GET  /api/v1/inspections/{id}                     one, with its record
 *   POST /api/v1/inspections/{id}/actions/complete    record the results
 *
 * Reads need inspection.read in scope; completing needs inspection.do in
 * scope, and then the task's post or grid unless the role is admin, manager
 * or safety officer (checked by inspection_complete). The body's items are
 * decoded strictly here, each refusal naming items[i].field. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "hazard/inspection.h"

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

static ws_err query_time(api_ctx *ctx, const char *name, int64_t *out)
{
    ws_err rc = api_query_time(ctx, name, 0, out);
    if (!rc && api_query(ctx, name) && *out <= 0)
        rc = ws_fail(WS_EINVAL, name, "%s must be a time in RFC 3339 (2026-03-01T08:00:00+08:00)", name);
    return rc;
}

static ws_err list(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    inspection_filter f = {.path = path};
    int mine = -1;
    ws_err rc = api_page(ctx, &f.limit, &f.cursor);
    if (!rc) rc = list_path(ctx, path, sizeof path);
    if (!rc) rc = api_query_bool(ctx, "mine", &mine);
    if (!rc) rc = api_query_id(ctx, "task_id", &f.task_id);
    if (!rc) rc = query_time(ctx, "from", &f.from);
    if (!rc) rc = query_time(ctx, "to", &f.to);
    if (rc) return rc;
    f.state = api_query(ctx, "state");
    if (mine == 1) {
        /* An account without a person holds no post and no grid. */
        if (ctx->who.person_id <= 0) {
            if (f.state && strcmp(f.state, "pending") && strcmp(f.state, "done") &&
                strcmp(f.state, "missed"))
                return ws_fail(WS_EINVAL, "state", "state must be pending, done or missed");
            return api_reply_json(ctx, 200, api_page_json(json_array(), 0));
        }
        f.person_id = ctx->who.person_id;
    }
    json_t *a = NULL;
    int64_t next = 0;
    rc = inspection_list(ctx->conn, &f, &a, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = inspection_get_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

typedef struct complete_body {
    json_t *items;
} complete_body;
static const json_field complete_fields[] = {
    {"items", JF_ARRAY, true, false, offsetof(complete_body, items), INSP_ITEMS_MAX, 0, 0, -1},
};

/* One item {ok, note?, photo_ids?} into r (borrowing from it). */
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
    json_t *ok = json_object_get(it, "ok"), *note = json_object_get(it, "note"),
           *ph = json_object_get(it, "photo_ids");
    if (!json_is_boolean(ok)) {
        snprintf(f, sizeof f, "items[%zu].ok", i);
        return ws_fail(WS_EINVAL, f, "ok is required: true (合格) or false (不合格)");
    }
    if (note && !json_is_null(note) && !json_is_string(note)) {
        snprintf(f, sizeof f, "items[%zu].note", i);
        return ws_fail(WS_EINVAL, f, "note must be text");
    }
    memset(r, 0, sizeof *r);
    r->ok = json_is_true(ok);
    r->note = json_string_value(note);
    r->photo_ids = photos;
    if (ph && !json_is_null(ph)) {
        snprintf(f, sizeof f, "items[%zu].photo_ids", i);
        if (!json_is_array(ph) || json_array_size(ph) > INSP_PHOTOS_MAX)
            return ws_fail(WS_EINVAL, f, "photo_ids is a list of at most %d attachment ids",
                           INSP_PHOTOS_MAX);
        size_t k;
        json_t *p;
        json_array_foreach(ph, k, p) {
            if (!json_is_integer(p) || json_integer_value(p) < 1)
                return ws_fail(WS_EINVAL, f, "photo_ids holds attachment ids");
            photos[r->n_photos++] = json_integer_value(p);
        }
    }
    return WS_OK;
}

static ws_err complete(api_ctx *ctx)
{
    int64_t id;
    complete_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, complete_fields, 1, &b, NULL, &root);
    if (rc) return rc;
    size_t n = json_array_size(b.items);
    inspection_result *res = calloc(n ? n : 1, sizeof *res);
    int64_t *photos = calloc((n ? n : 1) * INSP_PHOTOS_MAX, sizeof *photos);
    if (!res || !photos) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        rc = decode_item(json_array_get(b.items, i), i, &res[i], photos + i * INSP_PHOTOS_MAX);
    if (!rc) {
        char abuf[32];
        audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
        wf_actor by = {&who, &ctx->who};
        rc = inspection_complete(ctx->conn, &by, id, res, n, NULL);
    }
    free(res);
    free(photos);
    json_decref(root);
    json_t *o = NULL;
    if (!rc) rc = inspection_get_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

const api_route api_inspection_routes[] = {
    {"GET", "/api/v1/inspections", list, API_AUTH, "inspection.read",
     "Inspection checks of risk tasks: ?mine=1 (the caller's posts and grids), state "
     "(pending|done|missed), unit_id (subtree), task_id, from, to (windows overlapping), pages",
     "inspections", NULL, 0},
    {"GET", "/api/v1/inspections/{id}", get, API_AUTH, "inspection.read",
     "One inspection check with its items, results and the hazards it opened", "inspections",
     NULL, 0},
    {"POST", "/api/v1/inspections/{id}/actions/complete", complete, API_AUTH, "inspection.do",
     "Record a check: items [{ok, note, photo_ids}] one per item; each failed item opens a "
     "hidden danger from the risk event",
     "inspections", complete_fields, 1},
};
const size_t api_inspection_nroutes =
    sizeof api_inspection_routes / sizeof api_inspection_routes[0];
