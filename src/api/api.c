/* api.c — the API dispatcher: one door for every REST call.
 *
 * The HTTP layer matches a route and calls api_dispatch(), which
 *   1. clears the thread's error detail and takes a store connection;
 *   2. authenticates: a token from `Authorization: Bearer <64 hex>` or, for
 *      pages, from the `ws_session` cookie (HttpOnly, SameSite=Strict). A
 *      write (any method but GET/HEAD/OPTIONS) authenticated by the cookie
 *      must carry an Origin equal to scheme://Host or the configured public
 *      origin, else 403 naming "Origin" (cross-site request forgery);
 *   3. on API_AUTH routes: 401 without a valid session; 403 while the
 *      account must change its password, except for GET /me, the password
 *      change and logout; 403 when no role of the account may perform the
 *      route's action (auth_decide with no resource; handlers repeat the
 *      check with the resource, which can give 404 outside the scope);
 *   4. runs the handler; on failure rolls back any open transaction and
 *      replies with the envelope {"error":{"code","message","field"}} whose
 *      status comes from api_status_of(), the one table from ws_err to HTTP;
 *   5. gives the connection back.
 * 5xx details go to the log, not to the client.
 *
 * Also here: the helpers handlers share (reply, decode, path ids, paging,
 * actor) and the route table that concatenates the per-resource tables. */
#include "api/api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "ledger/ledger.h"
#include "org/org.h"
#include "plant/plant.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define REPLY_CAP (64u << 20)
#define DEFAULT_MAX_BODY (1u << 20)
#define DEFAULT_TTL_MS (12 * 3600 * 1000LL)
#define MAX_ROUTES 512

static struct {
    bool ready;
    store *db;
    size_t max_body;
    char public_origin[256];
} cfg;

static struct series *series_store_ptr;
static struct warn *warn_ptr;
static struct permit_svc *permits_ptr;

ws_err api_init(const api_config *c)
{
    ws_err rc = auth_init();
    /* the plant registers compute shifts in units' zones (api_plant, on-duty) */
    if (!rc) rc = plant_init(ledger_tz_offset);
    if (rc) return rc;
    cfg.db = c ? c->db : NULL;
    series_store_ptr = c ? c->series : NULL;
    warn_ptr = c ? c->warn : NULL;
    permits_ptr = c ? c->permits : NULL;
    cfg.max_body = c && c->max_body ? c->max_body : DEFAULT_MAX_BODY;
    cfg.public_origin[0] = 0;
    if (c && c->public_origin) {
        size_t n = strlen(c->public_origin);
        if (n >= sizeof cfg.public_origin)
            return ws_fail(WS_EINVAL, "public_origin", "public_origin is too long");
        memcpy(cfg.public_origin, c->public_origin, n + 1);
        /* "https://safety.example.com/" and ".../" are the same origin */
        if (n > 1 && cfg.public_origin[n - 1] == '/') cfg.public_origin[n - 1] = 0;
    }
    auth_set_session_ttl(c && c->session_ttl_ms > 0 ? c->session_ttl_ms : DEFAULT_TTL_MS);
    cfg.ready = true;
    return WS_OK;
}

const char *api_public_origin(void) { return cfg.public_origin; }

struct series *api_series(void) { return series_store_ptr; }
struct warn *api_warn(void) { return warn_ptr; }
struct permit_svc *api_permits(void) { return permits_ptr; }

/* ---- route table ------------------------------------------------------- */

static const api_route *routes[MAX_ROUTES];
static size_t nroutes;
static pthread_once_t routes_once = PTHREAD_ONCE_INIT;

static void add_routes(const api_route *t, size_t n)
{
    for (size_t i = 0; i < n && nroutes < MAX_ROUTES; i++) routes[nroutes++] = &t[i];
    if (nroutes == MAX_ROUTES) log_error("route table full: raise MAX_ROUTES in api.c");
}

static void routes_build(void)
{
    add_routes(api_auth_routes, api_auth_nroutes);
    add_routes(api_org_routes, api_org_nroutes);
    add_routes(api_account_routes, api_account_nroutes);
    add_routes(api_audit_routes, api_audit_nroutes);
    add_routes(api_meta_routes, api_meta_nroutes);
    add_routes(api_workflow_routes, api_workflow_nroutes);
    add_routes(api_hazard_routes, api_hazard_nroutes);
    add_routes(api_inspection_routes, api_inspection_nroutes);
    add_routes(api_risk_routes, api_risk_nroutes);
    add_routes(api_attach_routes, api_attach_nroutes);
    add_routes(api_riskmap_routes, api_riskmap_nroutes);
    add_routes(api_telemetry_routes, api_telemetry_nroutes);
    add_routes(api_plant_routes, api_plant_nroutes);
    add_routes(api_alarmrule_routes, api_alarmrule_nroutes);
    add_routes(api_stream_routes, api_stream_nroutes);
    add_routes(api_ingest_routes, api_ingest_nroutes);
    add_routes(api_alarm_routes, api_alarm_nroutes);
    add_routes(api_notify_routes, api_notify_nroutes);
    add_routes(api_alarmkpi_routes, api_alarmkpi_nroutes);
    add_routes(api_permit_routes, api_permit_nroutes);
    add_routes(api_taskforce_routes, api_taskforce_nroutes);
    add_routes(api_duty_routes, api_duty_nroutes);
    add_routes(api_handover_routes, api_handover_nroutes);
    add_routes(api_dashboard_routes, api_dashboard_nroutes);
    add_routes(api_patrol_routes, api_patrol_nroutes); /* grid patrols (issue 6) */
    add_routes(api_voice_routes, api_voice_nroutes); /* issue 6: anonymous reports */
    add_routes(api_bank_routes, api_bank_nroutes);   /* issue 6: the points bank */
    add_routes(api_dynrisk_routes, api_dynrisk_nroutes); /* issue 7: the dynamic risk index */
    add_routes(api_monitor_routes, api_monitor_nroutes); /* issue 7: process monitors */
}

const api_route *const *api_route_table(size_t *n)
{
    pthread_once(&routes_once, routes_build);
    *n = nroutes;
    return routes;
}

/* ---- replies ------------------------------------------------------------ */

void api_resp_init(api_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    buf_init(&resp->body, REPLY_CAP);
    resp->content_type = JSON_TYPE;
}

static void drop_headers(api_resp *resp)
{
    for (int i = 0; i < resp->nheaders && i < API_MAX_HEADERS; i++) {
        free(resp->hvalue[i]);
        resp->hvalue[i] = NULL;
        resp->hname[i] = NULL;
    }
    resp->nheaders = 0;
}

void api_resp_free(api_resp *resp)
{
    buf_free(&resp->body);
    drop_headers(resp);
}

/* Add a header; the value is copied. Silently dropped when full (a bug the
 * tests would show: no handler sets more than two). */
static void add_header(api_resp *resp, const char *name, const char *value)
{
    if (resp->nheaders >= API_MAX_HEADERS) {
        log_error("too many reply headers", "header", name);
        return;
    }
    char *v = strdup(value);
    if (!v) return;
    resp->hname[resp->nheaders] = name;
    resp->hvalue[resp->nheaders++] = v;
}

int api_status_of(ws_err e)
{
    static const int status[WS_ERR_COUNT] = {
        [WS_OK] = 200,         [WS_EINVAL] = 400,   [WS_EUNAUTH] = 401,    [WS_EFORBIDDEN] = 403,
        [WS_ENOTFOUND] = 404,  [WS_EMETHOD] = 405,  [WS_ECONFLICT] = 409,  [WS_ETOOBIG] = 413,
        [WS_EMEDIA] = 415,     [WS_ELOCKED] = 423,  [WS_ERATE] = 429,      [WS_ENOMEM] = 500,
        [WS_EIO] = 500,        [WS_ESTORE] = 500,   [WS_ECORRUPT] = 500,   [WS_ESCHEMA] = 500,
        [WS_EINTERNAL] = 500,
        [WS_EUNAVAILABLE] = 503,
    };
    if ((unsigned)e >= WS_ERR_COUNT || !status[e]) return 500;
    return status[e];
}

static const char *default_message(ws_err e)
{
    switch (e) {
    case WS_EINVAL: return "the request is not valid";
    case WS_EUNAUTH: return "sign in first";
    case WS_EFORBIDDEN: return "you may not do this";
    case WS_ENOTFOUND: return "not found";
    case WS_EMETHOD: return "method not allowed";
    case WS_ECONFLICT: return "this conflicts with the current state";
    case WS_ETOOBIG: return "the request is too large";
    case WS_EMEDIA: return "unsupported content type";
    case WS_ELOCKED: return "the account is locked";
    case WS_ERATE: return "too many requests; try again later";
    default: return "internal error";
    }
}

void api_error(api_resp *resp, ws_err e)
{
    if (e == WS_OK) e = WS_EINTERNAL;
    int status = api_status_of(e);
    const char *msg = ws_err_message(), *field = ws_err_field();
    if (status >= 500) {
        log_error("request failed", "code", ws_err_code(e), "detail", msg, "field", field);
        msg = "internal error; the server log has the details";
        field = "";
    } else if (!msg[0]) {
        msg = default_message(e);
    }
    drop_headers(resp);
    buf_reset(&resp->body);
    resp->status = status;
    resp->content_type = JSON_TYPE;
    json_t *err = json_object();
    json_object_set_new(err, "code", json_string(ws_err_code(e)));
    json_object_set_new(err, "message", json_str(msg));
    json_object_set_new(err, "field", field[0] ? json_str(field) : json_null());
    json_t *env = json_object();
    json_object_set_new(env, "error", err);
    char *s = json_dump_compact(env);
    json_decref(env);
    if (!s || buf_puts(&resp->body, s) != WS_OK)
        (void)buf_puts(&resp->body, "{\"error\":{\"code\":\"internal_error\",\"message\":"
                                    "\"internal error\",\"field\":null}}");
    free(s);
    if (status == 401) add_header(resp, "WWW-Authenticate", "Bearer");
}

ws_err api_reply_json(api_ctx *ctx, int status, json_t *v)
{
    if (!v) return ws_fail(WS_ENOMEM, NULL, "out of memory building the reply");
    char *s = json_dump_compact(v);
    json_decref(v);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory serialising the reply");
    buf_reset(&ctx->resp->body);
    ws_err rc = buf_puts(&ctx->resp->body, s);
    free(s);
    if (rc) return rc;
    ctx->resp->status = status;
    ctx->resp->content_type = JSON_TYPE;
    return WS_OK;
}

/* ---- request helpers ------------------------------------------------------ */

/* Decimal without sign, at most 18 digits (so it fits int64); -1 otherwise. */
static int parse_uint(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t n = 0;
    if (!s || !*s) return -1;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 18) return -1;
        v = v * 10 + (s[n] - '0');
    }
    *out = v;
    return 0;
}

bool api_media_is(const char *ct, const char *type)
{
    size_t n = ct ? strcspn(ct, "; \t") : 0;
    return ct && n == strlen(type) && !strncasecmp(ct, type, n);
}

ws_err api_json_type(api_ctx *ctx)
{
    const api_req *req = ctx->req;
    const char *ct = req->header ? req->header(req->hctx, "Content-Type") : NULL;
    if (ct && !api_media_is(ct, "application/json"))
        return ws_fail(WS_EMEDIA, "Content-Type", "send the body as application/json");
    return WS_OK;
}

ws_err api_decode(api_ctx *ctx, const json_field *f, size_t n, void *out, uint64_t *present,
                  json_t **root)
{
    const api_req *req = ctx->req;
    ws_err rc = api_json_type(ctx);
    return rc ? rc : json_decode_body(req->body, req->body_len, cfg.max_body, f, n, out, present, root);
}

ws_err api_body_object(api_ctx *ctx, bool optional, json_t **out)
{
    *out = NULL;
    ws_err rc = ctx->req->body_len ? api_json_type(ctx) : WS_OK;
    if (rc) return rc;
    if (!ctx->req->body_len) {
        if (!optional) return ws_fail(WS_EINVAL, "body", "a JSON object is required");
        *out = json_object();
        return WS_OK;
    }
    json_error_t e;
    json_t *v = json_loadb(ctx->req->body, ctx->req->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(v)) {
        json_decref(v);
        return ws_fail(WS_EINVAL, "body", "the body must be a JSON object (%s)", e.text);
    }
    *out = v;
    return WS_OK;
}

ws_err api_no_body(api_ctx *ctx)
{
    const char *b = ctx->req->body;
    size_t n = ctx->req->body_len, i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
    if (i == n) return WS_OK;
    ws_err rc = api_json_type(ctx);
    if (rc) return rc;
    json_t *o = json_loadb(b, n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return ws_fail(WS_EINVAL, "body", "this action takes no body (send none, or {})");
    }
    static const char *const none[] = {NULL};
    rc = json_known_keys(o, NULL, none);
    json_decref(o);
    return rc;
}

ws_err api_param_id(api_ctx *ctx, int i, int64_t *id)
{
    int64_t v;
    if (i < 0 || i >= ctx->req->nparams || parse_uint(ctx->req->params[i], &v) != 0 || v < 1)
        return ws_fail(WS_ENOTFOUND, "id", "not found");
    *id = v;
    return WS_OK;
}

auth_resource api_unit_resource(api_ctx *ctx, const char *unit_path)
{
    auth_resource r = {.unit_path = unit_path};
    size_t n = unit_path ? strlen(unit_path) : 0;
    const char *scope = ctx->who.scope_path;
    if (n < 2 || unit_path[n - 1] != '/' || strlen(scope) <= n || strncmp(scope, unit_path, n)) return r;
    const char *last = unit_path + n - 1; /* "/1/5/": the unit is 5 */
    while (last > unit_path && last[-1] != '/') last--;
    org_unit u;
    if (!org_unit_get(ctx->conn, atoll(last), &u)) r.unit_is_area = !strcmp(u.kind, "area");
    return r;
}

ws_err api_page(api_ctx *ctx, int *limit, int64_t *cursor)
{
    const api_req *req = ctx->req;
    const char *l = req->query ? req->query(req->hctx, "limit") : NULL;
    const char *c = req->query ? req->query(req->hctx, "cursor") : NULL;
    int64_t v;
    *limit = 50;
    *cursor = 0;
    if (l) {
        if (parse_uint(l, &v) != 0 || v < 1 || v > 200)
            return ws_fail(WS_EINVAL, "limit", "limit must be an integer from 1 to 200");
        *limit = (int)v;
    }
    if (c && *c) {
        if (parse_uint(c, &v) != 0)
            return ws_fail(WS_EINVAL, "cursor", "cursor must be a next_cursor from a previous page");
        *cursor = v;
    }
    return WS_OK;
}

const char *api_query(api_ctx *ctx, const char *name)
{
    const api_req *r = ctx->req;
    const char *v = r->query ? r->query(r->hctx, name) : NULL;
    return v && *v ? v : NULL;
}

ws_err api_query_id(api_ctx *ctx, const char *name, int64_t *out)
{
    const char *s = api_query(ctx, name);
    *out = 0;
    if (!s) return WS_OK;
    int64_t v = 0;
    for (size_t n = 0; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 18)
            return ws_fail(WS_EINVAL, name, "%s must be an id", name);
        v = v * 10 + (s[n] - '0');
    }
    if (v < 1) return ws_fail(WS_EINVAL, name, "%s must be an id", name);
    *out = v;
    return WS_OK;
}

ws_err api_query_time(api_ctx *ctx, const char *name, int64_t dflt, int64_t *out)
{
    const char *v = api_query(ctx, name);
    *out = dflt;
    if (v && clock_parse_rfc3339(v, out))
        return ws_fail(WS_EINVAL, name, "%s must be an RFC 3339 time (2026-03-01T08:00:00+08:00)", name);
    return WS_OK;
}

ws_err api_query_bool(api_ctx *ctx, const char *name, int *out)
{
    const char *s = api_query(ctx, name);
    *out = -1;
    if (!s) return WS_OK;
    if (!strcmp(s, "1") || !strcmp(s, "true")) *out = 1;
    else if (!strcmp(s, "0") || !strcmp(s, "false")) *out = 0;
    else return ws_fail(WS_EINVAL, name, "%s must be 1, 0, true or false", name);
    return WS_OK;
}

json_t *api_page_json(json_t *items, int64_t next)
{
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next_cursor", next > 0 ? json_integer(next) : json_null());
    return o;
}

const char *api_actor(api_ctx *ctx, char *out, size_t cap)
{
    if (ctx->authenticated && ctx->who.account_id > 0)
        snprintf(out, cap, "account:%lld", (long long)ctx->who.account_id);
    else
        snprintf(out, cap, "anonymous");
    return out;
}

/* ---- authentication ------------------------------------------------------- */

static const char *hdr(const api_req *req, const char *name)
{
    return req->header ? req->header(req->hctx, name) : NULL;
}

static bool is_write(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

/* The ws_session cookie's value into tok (cap 65); false when absent. */
static bool cookie_token(const char *cookies, char tok[65])
{
    const char *p = cookies;
    while (p && *p) {
        while (*p == ' ' || *p == ';') p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 11 && strncmp(p, "ws_session=", 11) == 0) {
            size_t vn = n - 11;
            while (vn && p[11 + vn - 1] == ' ') vn--;
            if (vn == 64) {
                memcpy(tok, p + 11, 64);
                tok[64] = 0;
                return true;
            }
        }
        p = end;
    }
    return false;
}

/* Origin of a cookie-authenticated write: scheme://Host or the configured
 * public origin. */
static bool origin_ok(const api_req *req)
{
    const char *origin = hdr(req, "Origin"), *host = hdr(req, "Host");
    if (!origin || !*origin) return false;
    if (cfg.public_origin[0] && strcasecmp(origin, cfg.public_origin) == 0) return true;
    if (!host || !*host) return false;
    char self[300];
    int n = snprintf(self, sizeof self, "%s://%s", req->tls ? "https" : "http", host);
    return n > 0 && (size_t)n < sizeof self && strcasecmp(origin, self) == 0;
}

/* Fill ctx->who from the request's token. On public routes a missing or bad
 * token just leaves the request anonymous. */
static ws_err authenticate(api_ctx *ctx, const api_route *r)
{
    const api_req *req = ctx->req;
    bool need = r->access == API_AUTH;
    char tok[65] = "";
    bool cookie = false;
    const char *authz = hdr(req, "Authorization");
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0) {
            if (!need) return WS_OK;
            return ws_fail(WS_EUNAUTH, "Authorization", "use Authorization: Bearer <token>");
        }
        const char *t = authz + 7;
        while (*t == ' ') t++;
        size_t n = strlen(t);
        while (n && t[n - 1] == ' ') n--;
        if (n != 64) {
            if (!need) return WS_OK;
            return ws_fail(WS_EUNAUTH, "Authorization", "the session is invalid or has expired; sign in again");
        }
        memcpy(tok, t, 64);
        tok[64] = 0;
    } else if (cookie_token(hdr(req, "Cookie"), tok)) {
        cookie = true;
    } else {
        return need ? ws_fail(WS_EUNAUTH, NULL, "sign in first") : WS_OK;
    }
    if (!ctx->conn) return ws_fail(WS_EINTERNAL, NULL, "the API has no store");
    ws_err rc = auth_session(ctx->conn, tok, &ctx->who);
    if (rc == WS_EUNAUTH && !need) {
        ws_err_clear();
        return WS_OK;
    }
    if (rc) return rc;
    if (cookie && is_write(req->method) && !origin_ok(req)) {
        memset(&ctx->who, 0, sizeof ctx->who);
        if (!need) return WS_OK;
        return ws_fail(WS_EFORBIDDEN, "Origin",
                       "a write signed in by cookie must come from this site's own pages");
    }
    ctx->authenticated = true;
    ctx->via_cookie = cookie;
    return WS_OK;
}

/* Routes an account that must change its password may still call. */
static bool allowed_before_password_change(const api_route *r)
{
    static const char *const ok[] = {"/api/v1/me", "/api/v1/auth/password", "/api/v1/auth/logout"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(r->pattern, ok[i]) == 0) return true;
    return false;
}

void api_dispatch(const api_route *r, const api_req *req, api_resp *resp)
{
    api_ctx ctx;
    ws_err rc;
    memset(&ctx, 0, sizeof ctx);
    ctx.req = req;
    ctx.resp = resp;
    ws_err_clear();
    if (!cfg.ready || !r || !r->fn) {
        rc = ws_fail(WS_EINTERNAL, NULL, "the API is not initialised");
        goto fail;
    }
    if (cfg.db) {
        rc = store_acquire(cfg.db, &ctx.conn);
        if (rc) goto fail;
    }
    rc = r->access == API_ANON ? WS_OK : authenticate(&ctx, r); /* API_ANON: no credentials read */
    if (rc) goto fail;
    if (r->access == API_AUTH) {
        if (ctx.who.must_change_password && !allowed_before_password_change(r)) {
            rc = ws_fail(WS_EFORBIDDEN, "password",
                         "password_change_required: set a new password first "
                         "(POST /api/v1/auth/password)");
            goto fail;
        }
        if (r->action) {
            rc = auth_decide(&ctx.who, r->action, NULL);
            if (rc) goto fail;
        }
    }
    if (req->bad_query) {
        rc = req->query_repeated ? ws_fail(WS_EINVAL, req->bad_query, "%s is given more than once", req->bad_query)
                                 : ws_fail(WS_EINVAL, req->bad_query, "%s is not UTF-8", req->bad_query);
        goto fail;
    }
    rc = r->fn(&ctx);
    if (rc) goto fail;
    if (!resp->status) {
        resp->status = 204;
        buf_reset(&resp->body);
    }
    goto out;
fail:
    if (ctx.conn && store_in_tx(ctx.conn)) store_rollback(ctx.conn);
    api_error(resp, rc);
out:
    if (ctx.conn) {
        if (store_in_tx(ctx.conn)) {
            log_error("handler returned with an open transaction; rolled back", "route",
                      r ? r->pattern : "?");
            store_rollback(ctx.conn);
        }
        store_release(ctx.conn);
    }
}

void api_add_header(api_resp *resp, const char *name, const char *value)
{
    add_header(resp, name, value);
}
