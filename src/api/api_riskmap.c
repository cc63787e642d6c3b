/* api_riskmap.c — the four-colour map and the risk card over REST
 * (docs/internals/risk.md, "Four-colour map and risk card"):
 *
 *   GET    /api/v1/risk/maps/{id}                      the map of unit {id}: its plan (or
 *                                                      null), the polygons of its areas with
 *                                                      each area's level, colour and counts
 *   PUT    /api/v1/risk/maps/{id}                      {attachment_id}: set the plan image
 *   PUT    /api/v1/risk/maps/{id}/shapes/{area_id}     {points: [[x,y],...]}: an area's polygon
 *   DELETE /api/v1/risk/maps/{id}/shapes/{area_id}     remove it
 *   GET    /api/v1/risk/objects/{id}/card              the risk card (风险告知卡) as JSON
 *   GET    /api/v1/risk/objects/{id}/qr.svg            QR code of the point's phone page
 *
 * Permissions: risk.read / risk.write on the map's unit or the object's unit
 * (outside the scope 404), as for the register (api_risk.c). The QR code
 * encodes <origin>/risk/objects/<id>, where origin is the configured public
 * origin when there is one, else the scheme of the connection and the
 * request's Host header (checked to be host[:port]). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "risk/risk.h"

static org_caller caller(api_ctx *ctx, audit_actor *a, char *name, size_t cap)
{
    a->name = api_actor(ctx, name, cap);
    org_caller by = {a, &ctx->who};
    return by;
}

/* action on path for the caller; outside the scope WS_ENOTFOUND naming
 * field ("no such what"). */
static ws_err check(api_ctx *ctx, ws_err rc, const char *action, const char *path,
                    const char *field, const char *what)
{
    if (!rc) {
        auth_resource r = api_unit_resource(ctx, path);
        rc = auth_decide(&ctx->who, action, &r);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, field, "no such %s", what);
    return rc;
}

static void level_into(json_t *o, int rank)
{
    risk_level l = risk_level_of_rank(rank);
    json_object_set_new(o, "level", json_str(l.code));
    json_object_set_new(o, "level_name", json_str(l.name));
    json_object_set_new(o, "colour", json_str(l.colour));
}

/* {"major": n, "high": n, "medium": n, "low": n, "none": n} */
static json_t *counts_json(const int64_t counts[5])
{
    json_t *o = json_object();
    for (int r = 4; r >= 1; r--)
        json_object_set_new(o, risk_level_of_rank(r).code, json_integer(counts[r]));
    json_object_set_new(o, "none", json_integer(counts[0]));
    return o;
}

/* ------------------------------------------------------------------- maps */

static ws_err reply_map(api_ctx *ctx, int status, const org_unit *u)
{
    risk_plan p;
    int64_t counts[5];
    int rank = 0;
    ws_err rc = risk_plan_get(ctx->conn, u->id, &p);
    bool has = !rc;
    if (rc == WS_ENOTFOUND) {
        ws_err_clear();
        rc = WS_OK;
    }
    if (!rc) rc = risk_map_counts(ctx->conn, u->path, counts, &rank);
    risk_shape *shapes = NULL;
    size_t n = 0;
    if (!rc && has) rc = risk_shape_list(ctx->conn, p.id, &shapes, &n);
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "unit_id", json_id(u->id));
    json_object_set_new(o, "unit_name", json_str(u->name));
    json_object_set_new(o, "unit_kind", json_str(u->kind));
    level_into(o, rank);
    json_object_set_new(o, "counts", counts_json(counts));
    auth_resource r = {0};
    r.unit_path = u->path;
    json_object_set_new(o, "can_edit", json_boolean(!auth_decide(&ctx->who, "risk.write", &r)));
    ws_err_clear();
    if (has) {
        json_t *pl = json_object();
        char url[64];
        snprintf(url, sizeof url, "/api/v1/attachments/%lld", (long long)p.attachment_id);
        json_object_set_new(pl, "attachment_id", json_id(p.attachment_id));
        json_object_set_new(pl, "url", json_str(url));
        json_object_set_new(pl, "width", json_integer(p.width));
        json_object_set_new(pl, "height", json_integer(p.height));
        json_object_set_new(pl, "updated_at", json_time(p.updated_at));
        json_object_set_new(o, "plan", pl);
    } else {
        json_object_set_new(o, "plan", json_null());
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const risk_shape *s = &shapes[i];
        json_t *x = json_object();
        json_object_set_new(x, "area_unit_id", json_id(s->unit_id));
        json_object_set_new(x, "name", json_str(s->name));
        json_object_set_new(x, "kind", json_str(s->kind));
        json_t *pts = json_loads(s->points, 0, NULL);
        json_object_set_new(x, "points", pts ? pts : json_array());
        level_into(x, s->level_rank);
        json_object_set_new(x, "counts", counts_json(s->counts));
        json_object_set_new(x, "updated_at", json_time(s->updated_at));
        json_array_append_new(a, x);
    }
    free(shapes);
    json_object_set_new(o, "areas", a);
    return api_reply_json(ctx, status, o);
}

/* The map's unit from path parameter 0, checked for action. */
static ws_err map_unit(api_ctx *ctx, const char *action, org_unit *u)
{
    int64_t id = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = org_unit_get(ctx->conn, id, u);
    return check(ctx, rc, action, u->path, "unit_id", "unit");
}

static ws_err map_get(api_ctx *ctx)
{
    org_unit u;
    ws_err rc = map_unit(ctx, "risk.read", &u);
    if (rc) return rc;
    return reply_map(ctx, 200, &u);
}

typedef struct {
    int64_t attachment_id;
} plan_body;
static const json_field plan_fields[] = {
    {"attachment_id", JF_ID, true, false, offsetof(plan_body, attachment_id), 0, 0, 0, -1},
};

static ws_err map_put(api_ctx *ctx)
{
    org_unit u;
    ws_err rc = map_unit(ctx, "risk.read", &u);
    if (rc) return rc;
    plan_body b = {0};
    json_t *root = NULL;
    rc = api_decode(ctx, plan_fields, 1, &b, NULL, &root);
    if (rc) return rc;
    json_decref(root);
    char name[32];
    audit_actor actor;
    org_caller by = caller(ctx, &actor, name, sizeof name);
    rc = risk_plan_set(ctx->conn, &by, u.id, b.attachment_id, NULL);
    if (rc) return rc;
    return reply_map(ctx, 200, &u);
}

typedef struct {
    json_t *points;
} shape_body;
static const json_field shape_fields[] = {
    {"points", JF_ARRAY, true, false, offsetof(shape_body, points), RISK_SHAPE_MAX_POINTS, 0, 0,
     -1},
};

static ws_err shape_put(api_ctx *ctx)
{
    org_unit u;
    int64_t area = 0;
    ws_err rc = map_unit(ctx, "risk.read", &u);
    if (!rc && api_param_id(ctx, 1, &area))
        rc = ws_fail(WS_ENOTFOUND, "area_unit_id", "no such unit");
    if (rc) return rc;
    shape_body b = {0};
    json_t *root = NULL;
    rc = api_decode(ctx, shape_fields, 1, &b, NULL, &root);
    if (rc) return rc;
    size_t n = json_array_size(b.points);
    double xy[2 * RISK_SHAPE_MAX_POINTS];
    for (size_t i = 0; !rc && i < n && i < RISK_SHAPE_MAX_POINTS; i++) {
        json_t *p = json_array_get(b.points, i);
        json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
        if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_number(x) ||
            !json_is_number(y)) {
            char f[24];
            snprintf(f, sizeof f, "points[%zu]", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be a pair of numbers [x, y]", f);
            break;
        }
        xy[2 * i] = json_number_value(x);
        xy[2 * i + 1] = json_number_value(y);
    }
    json_decref(root);
    if (rc) return rc;
    char name[32];
    audit_actor actor;
    org_caller by = caller(ctx, &actor, name, sizeof name);
    bool created = false;
    rc = risk_shape_set(ctx->conn, &by, u.id, area, xy, n, &created);
    if (rc) return rc;
    return reply_map(ctx, created ? 201 : 200, &u);
}

static ws_err shape_delete(api_ctx *ctx)
{
    org_unit u;
    int64_t area = 0;
    ws_err rc = map_unit(ctx, "risk.read", &u);
    if (!rc && api_param_id(ctx, 1, &area))
        rc = ws_fail(WS_ENOTFOUND, "area_unit_id", "no such unit");
    if (rc) return rc;
    char name[32];
    audit_actor actor;
    org_caller by = caller(ctx, &actor, name, sizeof name);
    return risk_shape_delete(ctx->conn, &by, u.id, area);
}

/* ------------------------------------------------------------------- card */

/* host[:port]: a DNS name or IPv4 address of letters, digits, '.', '-', or
 * an [IPv6] literal, then an optional port 1..65535. */
static bool host_ok(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (!n || n > 255) return false;
    const char *p = h;
    if (*p == '[') {
        for (p++; *p && *p != ']'; p++)
            if (!strchr("0123456789abcdefABCDEF:.", *p)) return false;
        if (*p++ != ']' || p == h + 2) return false;
    } else {
        const char *s = p;
        for (; *p && *p != ':'; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                  *p == '.' || *p == '-'))
                return false;
        if (p == s) return false;
    }
    if (!*p) return true;
    if (*p++ != ':' || !*p || strlen(p) > 5) return false;
    long port = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535;
}

/* The absolute URL of the phone page of risk object id into out. */
static ws_err point_url(api_ctx *ctx, int64_t id, char *out, size_t cap)
{
    const char *origin = api_public_origin();
    if (origin && origin[0]) {
        snprintf(out, cap, "%s/risk/objects/%lld", origin, (long long)id);
        return WS_OK;
    }
    const char *host = ctx->req->header ? ctx->req->header(ctx->req->hctx, "Host") : NULL;
    if (!host_ok(host))
        return ws_fail(WS_EINVAL, "Host", "the Host header must be host[:port] to build the "
                                          "page's address (or configure public_origin)");
    snprintf(out, cap, "%s://%s/risk/objects/%lld", ctx->req->tls ? "https" : "http", host,
             (long long)id);
    return WS_OK;
}

/* The object of path parameter 0, readable by the caller. */
static ws_err card_object(api_ctx *ctx, risk_object *o)
{
    int64_t id = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_object_get(ctx->conn, id, o);
    return check(ctx, rc, "risk.read", o->unit_path, "id", "risk object");
}

/* {"person_id", "name"} of a person, null when id is 0. */
static json_t *person_json(api_ctx *ctx, int64_t id, const char *title)
{
    if (id <= 0) return json_null();
    org_person p;
    json_t *o = json_object();
    json_object_set_new(o, "title", json_str(title));
    json_object_set_new(o, "person_id", json_id(id));
    json_object_set_new(o, "name", org_person_get(ctx->conn, id, &p) ? json_null() : json_str(p.name));
    ws_err_clear();
    return o;
}

/* Every active child (all pages) of parent with lister into *items. */
typedef ws_err (*lister)(store_conn *, const risk_filter *, void **, size_t *, int64_t *);
static ws_err list_all(api_ctx *ctx, lister fn, size_t size, int64_t parent, void **items, size_t *n)
{
    risk_filter f = {.scope_path = "/", .parent_id = parent, .active = 1, .limit = 200};
    char *all = NULL;
    size_t total = 0;
    *items = NULL;
    *n = 0;
    for (;;) {
        void *page = NULL;
        size_t k = 0;
        int64_t next = 0;
        ws_err rc = fn(ctx->conn, &f, &page, &k, &next);
        if (rc) {
            free(all);
            return rc;
        }
        char *grown = k ? realloc(all, (total + k) * size) : all;
        if (k && !grown) {
            free(page);
            free(all);
            return ws_fail(WS_ENOMEM, NULL, "out of memory");
        }
        all = grown;
        if (k) memcpy(all + total * size, page, k * size);
        total += k;
        free(page);
        if (!next) break;
        f.cursor = next;
    }
    *items = all;
    *n = total;
    return WS_OK;
}

static ws_err units_of(store_conn *c, const risk_filter *f, void **v, size_t *n, int64_t *next)
{
    return risk_unit_list(c, f, (risk_unit **)v, n, next);
}
static ws_err events_of(store_conn *c, const risk_filter *f, void **v, size_t *n, int64_t *next)
{
    return risk_event_list(c, f, (risk_event **)v, n, next);
}
static ws_err measures_of(store_conn *c, const risk_filter *f, void **v, size_t *n, int64_t *next)
{
    return risk_measure_list(c, f, (risk_measure **)v, n, next);
}

static ws_err card_get(api_ctx *ctx)
{
    risk_object o;
    org_unit u;
    char url[400];
    ws_err rc = card_object(ctx, &o);
    if (!rc) rc = org_unit_get(ctx->conn, o.unit_id, &u);
    if (!rc) rc = point_url(ctx, o.id, url, sizeof url);
    if (rc) return rc;
    json_t *c = json_object();
    json_t *obj = json_object();
    json_object_set_new(obj, "id", json_id(o.id));
    json_object_set_new(obj, "code", o.code[0] ? json_str(o.code) : json_null());
    json_object_set_new(obj, "name", json_str(o.name));
    json_object_set_new(obj, "kind", json_str(o.kind));
    json_object_set_new(obj, "description", json_str(o.description));
    json_object_set_new(obj, "major_hazard", json_boolean(o.major_hazard));
    json_object_set_new(obj, "active", json_boolean(o.active));
    level_into(obj, o.level_rank);
    json_object_set_new(c, "object", obj);
    json_t *un = json_object();
    json_object_set_new(un, "id", json_id(u.id));
    json_object_set_new(un, "name", json_str(u.name));
    json_object_set_new(un, "kind", json_str(u.kind));
    json_object_set_new(c, "unit", un);
    json_t *resp = json_array();
    json_array_append_new(resp, person_json(ctx, o.responsible_person_id, "责任人"));
    if (o.major_hazard) {
        json_array_append_new(resp, person_json(ctx, o.mh_principal_person_id, "重大危险源主要负责人"));
        json_array_append_new(resp, person_json(ctx, o.mh_technical_person_id, "重大危险源技术负责人"));
        json_array_append_new(resp, person_json(ctx, o.mh_operational_person_id, "重大危险源操作负责人"));
    }
    json_object_set_new(c, "responsible", resp);
    json_t *emergency = json_array(), *units = json_array();
    risk_unit *ru = NULL;
    size_t nu = 0;
    rc = list_all(ctx, units_of, sizeof *ru, o.id, (void **)&ru, &nu);
    for (size_t i = 0; !rc && i < nu; i++) {
        json_t *x = json_object();
        json_object_set_new(x, "id", json_id(ru[i].id));
        json_object_set_new(x, "name", json_str(ru[i].name));
        level_into(x, ru[i].level_rank);
        json_object_set_new(x, "responsible", person_json(ctx, ru[i].responsible_person_id, "责任人"));
        json_t *evs = json_array();
        risk_event *ev = NULL;
        size_t ne = 0;
        rc = list_all(ctx, events_of, sizeof *ev, ru[i].id, (void **)&ev, &ne);
        for (size_t j = 0; !rc && j < ne; j++) {
            json_t *e = json_object();
            const char *tname = NULL;
            bool typed = risk_accident_type(ev[j].accident_type, &tname);
            json_object_set_new(e, "id", json_id(ev[j].id));
            json_object_set_new(e, "description", json_str(ev[j].description));
            json_object_set_new(e, "accident_type", typed ? json_str(ev[j].accident_type) : json_null());
            json_object_set_new(e, "accident_type_name", typed ? json_str(tname) : json_null());
            json_object_set_new(e, "method", json_str(ev[j].method == RISK_LS ? "LS" : "LEC"));
            json_object_set_new(e, "inherent_level", json_str(risk_level_of_rank(ev[j].inherent.rank).code));
            level_into(e, ev[j].residual.rank);
            json_t *ms = json_array();
            risk_measure *m = NULL;
            size_t nm = 0;
            rc = list_all(ctx, measures_of, sizeof *m, ev[j].id, (void **)&m, &nm);
            for (size_t k = 0; !rc && k < nm; k++) {
                json_t *mm = json_object();
                json_object_set_new(mm, "id", json_id(m[k].id));
                json_object_set_new(mm, "category", json_str(m[k].category));
                json_object_set_new(mm, "text", json_str(m[k].text));
                if (!strcmp(m[k].category, "emergency")) {
                    json_t *em = json_deep_copy(mm);
                    json_object_set_new(em, "event_id", json_id(ev[j].id));
                    json_array_append_new(emergency, em);
                }
                json_array_append_new(ms, mm);
            }
            free(m);
            json_object_set_new(e, "measures", ms);
            json_array_append_new(evs, e);
        }
        free(ev);
        json_object_set_new(x, "events", evs);
        json_array_append_new(units, x);
    }
    free(ru);
    json_object_set_new(c, "units", units);
    json_object_set_new(c, "emergency_measures", emergency);
    json_object_set_new(c, "url", json_str(url));
    char qr[80];
    snprintf(qr, sizeof qr, "/api/v1/risk/objects/%lld/qr.svg", (long long)o.id);
    json_object_set_new(c, "qr_url", json_str(qr));
    if (rc) {
        json_decref(c);
        return rc;
    }
    return api_reply_json(ctx, 200, c);
}

static ws_err qr_get(api_ctx *ctx)
{
    risk_object o;
    char url[400];
    ws_err rc = card_object(ctx, &o);
    if (!rc) rc = point_url(ctx, o.id, url, sizeof url);
    if (rc) return rc;
    char *svg = NULL;
    size_t len = 0;
    rc = risk_qr_svg(url, &svg, &len, NULL);
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

/* ----------------------------------------------------------------- routes */

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "risk", body, nbody, 0}
const api_route api_riskmap_routes[] = {
    R("GET", "/api/v1/risk/maps/{id}", map_get, "risk.read",
      "The four-colour map of a unit: its site plan (or null), each area's polygon with the "
      "area's level (the highest of the risk objects below it), colour and counts per level",
      NULL, 0),
    R("PUT", "/api/v1/risk/maps/{id}", map_put, "risk.write",
      "Set the site plan of a unit to an image attachment", plan_fields, 1),
    R("PUT", "/api/v1/risk/maps/{id}/shapes/{area_id}", shape_put, "risk.write",
      "Set the polygon of an area below the unit: points [[x,y],...] as fractions of the "
      "image (0..1 from the left and the top), 3 to 200 points",
      shape_fields, 1),
    R("DELETE", "/api/v1/risk/maps/{id}/shapes/{area_id}", shape_delete, "risk.write",
      "Remove the polygon of an area", NULL, 0),
    R("GET", "/api/v1/risk/objects/{id}/card", card_get, "risk.read",
      "The risk card (风险告知卡) of a risk object: units, events with levels, control and "
      "emergency measures, responsible persons, the phone page's address",
      NULL, 0),
    R("GET", "/api/v1/risk/objects/{id}/qr.svg", qr_get, "risk.read",
      "QR code (SVG) of the address of the risk object's phone page", NULL, 0),
};
const size_t api_riskmap_nroutes = sizeof api_riskmap_routes / sizeof api_riskmap_routes[0];
