/* api_dynrisk.c — the dynamic risk index and the weather it reads
 * (src/dynrisk; docs/internals/riskidx.md "Integration"):
 *
 *   GET  /api/v1/risk-index ?unit_id=            every area under the unit (or the scope), worst first
 *   GET  /api/v1/risk-index/{unit_id}            one unit now: factors, inputs, projection
 *   GET  /api/v1/risk-index/{unit_id}/history ?from=&to=   (default the last 7 days)
 *   GET  /api/v1/risk-index/params               the active parameters and the versions
 *   PUT  /api/v1/risk-index/params               a new version {"comment", "params": {...}} (admin)
 *   POST /api/v1/weather                         one observation or warning for a unit (or a forecast)
 *   GET  /api/v1/weather ?unit_id=&from=&to=&limit=
 *
 * Permissions: riskidx.read in scope (everyone); weather in needs
 * reading.write on its unit (the integration accounts); parameters
 * riskidx.rules (admin). A unit outside the scope is 404 naming unit_id,
 * except an area above the scope (REL_AREA_ABOVE in src/auth/policy.c): a
 * grid leader or a worker scoped to a grid reads the index and the weather
 * of the area the grid lies in (as the area's risk notice board, 风险告知,
 * is posted for everyone working there), not its sibling areas'. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "dynrisk/dynrisk.h"
#include "org/org.h"

#define DAY_MS 86400000LL

/* The unit id if the caller may read its index (riskidx.read: in scope, or
 * an area above it, *above then set). */
static ws_err unit_at(api_ctx *ctx, int64_t id, const char *field, org_unit *u, bool *above)
{
    ws_err rc = org_unit_get(ctx->conn, id, u);
    if (!rc) {
        auth_resource r = api_unit_resource(ctx, u->path);
        rc = auth_decide(&ctx->who, "riskidx.read", &r);
        if (above) *above = !rc && !auth_in_scope(&ctx->who, u->path);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, field, "no such unit (%s)", field);
    return rc;
}

/* The nearest active area above the caller's scope unit, if any (*found).
 * The scope's path lists its ancestors ("/1/5/9/"): at most a few reads. */
static ws_err nearest_area_above(api_ctx *ctx, org_unit *u, bool *found)
{
    *found = false;
    char path[sizeof ctx->who.scope_path];
    snprintf(path, sizeof path, "%s", ctx->who.scope_path);
    size_t n = strlen(path);
    if (n < 2) return WS_OK;
    path[n - 1] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) return WS_OK;
    *slash = '\0'; /* "/1/5": the scope unit itself (9) is not above it */
    for (; (slash = strrchr(path, '/')) != NULL; *slash = '\0') {
        long long id = atoll(slash + 1);
        if (id <= 0) continue;
        ws_err rc = org_unit_get(ctx->conn, id, u);
        if (rc == WS_ENOTFOUND) continue;
        if (rc) return rc;
        if (!strcmp(u->kind, "area") && u->active) {
            *found = true;
            return WS_OK;
        }
    }
    return WS_OK;
}

static ws_err span(api_ctx *ctx, int64_t def_ms, int64_t *from, int64_t *to)
{
    int64_t now = clock_now_ms();
    *to = now + 1;
    *from = now - def_ms;
    const char *f = api_query(ctx, "from"), *t = api_query(ctx, "to");
    if (f && clock_parse_rfc3339(f, from)) return ws_fail(WS_EINVAL, "from", "from is a time (RFC 3339)");
    if (t && clock_parse_rfc3339(t, to)) return ws_fail(WS_EINVAL, "to", "to is a time (RFC 3339)");
    if (*to <= *from) return ws_fail(WS_EINVAL, "to", "to must be after from");
    if (*to - *from > 400 * DAY_MS) return ws_fail(WS_EINVAL, "from", "at most 400 days at a time");
    return WS_OK;
}

/* GET /api/v1/risk-index */
static ws_err index_list(api_ctx *ctx)
{
    int64_t unit = 0;
    ws_err rc = api_query_id(ctx, "unit_id", &unit);
    org_unit u, up;
    bool above = false;
    const char *path = ctx->who.scope_path;
    if (!rc && unit) {
        rc = unit_at(ctx, unit, "unit_id", &u, &above);
        path = u.path;
    } else if (!rc) {
        rc = nearest_area_above(ctx, &up, &above); /* the grid's area, beside any under the scope */
    }
    json_t *o = NULL;
    if (!rc && above && unit) /* that area alone: the areas under it are not all in scope */
        rc = dynrisk_areas(ctx->conn, api_warn(), NULL, &u, clock_now_ms(), &o);
    else if (!rc)
        rc = dynrisk_areas(ctx->conn, api_warn(), path, above ? &up : NULL, clock_now_ms(), &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

/* GET /api/v1/risk-index/{unit_id} */
static ws_err index_get(api_ctx *ctx)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    org_unit u;
    if (!rc) rc = unit_at(ctx, id, "unit_id", &u, NULL);
    json_t *o = NULL;
    if (!rc) rc = dynrisk_area(ctx->conn, api_warn(), &u, clock_now_ms(), true, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

/* GET /api/v1/risk-index/{unit_id}/history */
static ws_err index_history(api_ctx *ctx)
{
    int64_t id, from, to;
    ws_err rc = api_param_id(ctx, 0, &id);
    org_unit u;
    if (!rc) rc = unit_at(ctx, id, "unit_id", &u, NULL);
    if (!rc) rc = span(ctx, 7 * DAY_MS, &from, &to);
    json_t *o = NULL;
    if (!rc) rc = dynrisk_history(ctx->conn, id, from, to, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

/* GET /api/v1/risk-index/params */
static ws_err params_get(api_ctx *ctx)
{
    json_t *o = NULL;
    ws_err rc = dynrisk_params_json(ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

typedef struct params_body {
    const char *comment;
    json_t *params;
} params_body;

static const json_field params_fields[] = {
    {"comment", JF_STRING, true, false, offsetof(params_body, comment), 500, 0, 0, -1},
    {"params", JF_OBJECT, true, false, offsetof(params_body, params), 0, 0, 0, -1},
};

/* PUT /api/v1/risk-index/params */
static ws_err params_put(api_ctx *ctx)
{
    params_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, params_fields, 2, &b, NULL, &root);
    if (rc) return rc;
    char *txt = json_dumps(b.params, JSON_COMPACT);
    char comment[501];
    snprintf(comment, sizeof comment, "%s", b.comment);
    json_decref(root);
    if (!txt) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    char name[32];
    audit_actor a = {api_actor(ctx, name, sizeof name)};
    org_caller by = {&a, &ctx->who};
    int64_t v = 0;
    rc = dynrisk_params_put(ctx->conn, &by, txt, strlen(txt), comment, &v);
    free(txt);
    if (rc) {
        /* the model names fields inside the document: say where they are */
        if (rc == WS_EINVAL && ws_err_field() && strncmp(ws_err_field(), "params", 6) &&
            strcmp(ws_err_field(), "comment")) {
            char f[160], msg[400];
            snprintf(f, sizeof f, "params.%s", ws_err_field());
            snprintf(msg, sizeof msg, "%s", ws_err_message());
            return ws_fail(WS_EINVAL, f, "%s", msg);
        }
        return rc;
    }
    json_t *o = NULL;
    rc = dynrisk_params_json(ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

typedef struct weather_body {
    int64_t unit_id, observed_at;
    double wind_ms, rain_mmh, temp_c;
    const char *lightning, *source;
    bool forecast;
} weather_body;

static const json_field weather_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(weather_body, unit_id), 0, 0, 0, -1},
    {"observed_at", JF_TIME, false, false, offsetof(weather_body, observed_at), 0, 0, 0, -1},
    {"wind_ms", JF_NUMBER, false, true, offsetof(weather_body, wind_ms), 0, 0, 0, 0},
    {"rain_mmh", JF_NUMBER, false, true, offsetof(weather_body, rain_mmh), 0, 0, 0, 1},
    {"temp_c", JF_NUMBER, false, true, offsetof(weather_body, temp_c), 0, 0, 0, 2},
    {"lightning", JF_STRING, false, true, offsetof(weather_body, lightning), 8, 0, 0, -1},
    {"source", JF_STRING, false, false, offsetof(weather_body, source), 64, 0, 0, -1},
    {"forecast", JF_BOOL, false, false, offsetof(weather_body, forecast), 0, 0, 0, -1},
};

/* POST /api/v1/weather */
static ws_err weather_post(api_ctx *ctx)
{
    weather_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, weather_fields, sizeof weather_fields / sizeof weather_fields[0], &b, &present, &root);
    if (rc) return rc;
    dynrisk_weather_in in = {.unit_id = b.unit_id, .observed_at = b.observed_at ? b.observed_at : clock_now_ms(),
                             .wind_ms = NAN, .rain_mmh = NAN, .temp_c = NAN, .source = b.source,
                             .forecast = b.forecast};
    if (b.forecast && !b.observed_at) {
        json_decref(root);
        return ws_fail(WS_EINVAL, "observed_at", "a forecast needs observed_at: the time it is for");
    }
    json_t *v;
    if ((v = json_object_get(root, "wind_ms")) && !json_is_null(v)) in.wind_ms = b.wind_ms;
    if ((v = json_object_get(root, "rain_mmh")) && !json_is_null(v)) in.rain_mmh = b.rain_mmh;
    if ((v = json_object_get(root, "temp_c")) && !json_is_null(v)) in.temp_c = b.temp_c;
    static const char *const colours[] = {"none", "blue", "yellow", "orange", "red"};
    if (b.lightning) {
        in.lightning = -1;
        for (int i = 0; i < 5; i++)
            if (!strcmp(b.lightning, colours[i])) in.lightning = i;
        if (in.lightning < 0) {
            json_decref(root);
            return ws_fail(WS_EINVAL, "lightning", "lightning is none, blue, yellow, orange or red (雷电预警信号)");
        }
    }
    char name[32];
    audit_actor a = {api_actor(ctx, name, sizeof name)};
    org_caller by = {&a, &ctx->who};
    int64_t id = 0;
    rc = dynrisk_weather_add(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return api_reply_json(ctx, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

/* GET /api/v1/weather */
static ws_err weather_list(api_ctx *ctx)
{
    int64_t unit = 0, from, to;
    ws_err rc = api_query_id(ctx, "unit_id", &unit);
    org_unit u;
    const char *path = ctx->who.scope_path;
    if (!rc && unit) {
        rc = unit_at(ctx, unit, "unit_id", &u, NULL);
        path = u.path;
    }
    if (!rc) rc = span(ctx, 2 * DAY_MS, &from, &to);
    int limit = 100;
    const char *l = api_query(ctx, "limit");
    if (!rc && l) {
        char *end;
        long x = strtol(l, &end, 10);
        if (*end || x < 1 || x > 1000) rc = ws_fail(WS_EINVAL, "limit", "limit is 1 to 1000");
        else limit = (int)x;
    }
    json_t *items = NULL;
    if (!rc) rc = dynrisk_weather_list(ctx->conn, path, from, to, limit, &items);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "risk-index", body, nbody, 0}
const api_route api_dynrisk_routes[] = {
    R("GET", "/api/v1/risk-index", index_list, "riskidx.read",
      "The dynamic risk index (0–100, four colours) of every area under ?unit_id= (default the scope), worst "
      "first, each with its top factors and, where a forecast alarm is active, its warning (projected again)",
      NULL, 0),
    R("GET", "/api/v1/risk-index/params", params_get, "riskidx.read",
      "The risk index's parameters in force (weights, colour cut-offs, projection horizon, k·σ test) and the "
      "versions",
      NULL, 0),
    R("PUT", "/api/v1/risk-index/params", params_put, "riskidx.rules",
      "A new version of the parameters, checked strictly (a mistake names the field) and in force at once",
      params_fields, 2),
    R("GET", "/api/v1/risk-index/{unit_id}", index_get, "riskidx.read",
      "One unit's index now: value, colour, the factors with what drives them, the inputs, and the projection "
      "of the next hours (each hour's points per factor) with its warning: why, and the permits planned by then",
      NULL, 0),
    R("GET", "/api/v1/risk-index/{unit_id}/history", index_history, "riskidx.read",
      "The stored index of a unit every 15 minutes (?from=&to=, default the last 7 days)", NULL, 0),
    R("POST", "/api/v1/weather", weather_post, "reading.write",
      "A weather observation or warning for a unit and its subtree: wind_ms, rain_mmh, temp_c, lightning "
      "(none/blue/yellow/orange/red); \"forecast\": true for a forecast or warning issued ahead, observed_at "
      "being the time it is for (up to 72 h ahead), which the projection uses for its hours",
      weather_fields, sizeof weather_fields / sizeof weather_fields[0]),
    R("GET", "/api/v1/weather", weather_list, "riskidx.read",
      "Weather observations at or around a unit (?unit_id=&from=&to=&limit=, default the last 2 days)", NULL, 0),
};
const size_t api_dynrisk_nroutes = sizeof api_dynrisk_routes / sizeof api_dynrisk_routes[0];
