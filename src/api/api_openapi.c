/* api_openapi.c — GET /api/v1/openapi.json: an OpenAPI 3.0 document generated
 * from the route tables (api_route_table()), so the description cannot drift
 * from what the server answers.
 *
 * From each route it takes the method and pattern, the summary and tag, the
 * path parameters ({id} and {..._id} become int64 >= 1, others strings),
 * the query parameters that the summary names in the route tables' house
 * style "(?parent_id=&kind=)" (optional strings: the handler validates),
 * whether it is public (security: []) or needs a session, the permission
 * action (as the extension x-permission), and the request body schema from
 * the route's json_field table: types, required fields, nullable, string
 * byte caps as maxLength, integer bounds, array item caps and
 * additionalProperties: false (the decoder refuses unknown fields). Every
 * error is the envelope schema Error. Import routes (POST /api/v1/imports/...)
 * take the file itself as the body: CSV or XLSX. /healthz and /metrics, which the HTTP
 * layer answers itself, are described by hand at the end.
 *
 * The document never changes while the process runs: it is built once, on
 * the first request, and the same bytes are served after that. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/json.h"

static ws_err openapi_get(api_ctx *ctx);

const api_route api_meta_routes[] = {
    {"GET", "/api/v1/openapi.json", openapi_get, API_PUBLIC, NULL,
     "This OpenAPI document, generated from the route tables", "meta", NULL, 0},
};
const size_t api_meta_nroutes = sizeof api_meta_routes / sizeof api_meta_routes[0];

/* Builders that count failures instead of checking each call: one OOM makes
 * the whole document fail rather than come out with holes. */
typedef struct gen {
    int failed;
} gen;

static json_t *set(gen *g, json_t *obj, const char *key, json_t *v)
{
    if (!obj || !v || json_object_set_new(obj, key, v)) g->failed = 1;
    return v;
}

static void push(gen *g, json_t *arr, json_t *v)
{
    if (!arr || !v || json_array_append_new(arr, v)) g->failed = 1;
}

static json_t *ref(gen *g, const char *target)
{
    json_t *o = json_object();
    set(g, o, "$ref", json_string(target));
    return o;
}

/* Schema of one decoder field. */
static json_t *field_schema(gen *g, const json_field *f)
{
    json_t *s = json_object();
    switch (f->type) {
    case JF_STRING: {
        size_t cap = f->max_len ? f->max_len : 255;
        set(g, s, "type", json_string("string"));
        set(g, s, "maxLength", json_integer((json_int_t)cap));
        char d[96];
        snprintf(d, sizeof d, "UTF-8, at most %zu bytes, no NUL", cap);
        set(g, s, "description", json_string(d));
        break;
    }
    case JF_INT:
        set(g, s, "type", json_string("integer"));
        set(g, s, "format", json_string("int64"));
        if (f->min || f->max) {
            set(g, s, "minimum", json_integer(f->min));
            set(g, s, "maximum", json_integer(f->max));
        }
        break;
    case JF_BOOL:
        set(g, s, "type", json_string("boolean"));
        break;
    case JF_NUMBER:
        set(g, s, "type", json_string("number"));
        break;
    case JF_TIME:
        set(g, s, "type", json_string("string"));
        set(g, s, "format", json_string("date-time"));
        set(g, s, "description", json_string("RFC 3339 with an offset"));
        break;
    case JF_ID:
        set(g, s, "type", json_string("integer"));
        set(g, s, "format", json_string("int64"));
        set(g, s, "minimum", json_integer(1));
        break;
    case JF_ARRAY:
        set(g, s, "type", json_string("array"));
        set(g, s, "items", json_object());
        set(g, s, "maxItems", json_integer((json_int_t)(f->max_len ? f->max_len : 100)));
        break;
    case JF_OBJECT:
        set(g, s, "type", json_string("object"));
        break;
    }
    if (f->nullable) set(g, s, "nullable", json_true());
    return s;
}

static json_t *body_schema(gen *g, const json_field *f, size_t n)
{
    json_t *s = json_object(), *props = json_object(), *req = json_array();
    set(g, s, "type", json_string("object"));
    for (size_t i = 0; i < n; i++) {
        set(g, props, f[i].name, field_schema(g, &f[i]));
        if (f[i].required) push(g, req, json_string(f[i].name));
    }
    set(g, s, "properties", props);
    if (json_array_size(req)) set(g, s, "required", req);
    else json_decref(req);
    set(g, s, "additionalProperties", json_false());
    return s;
}

/* "GET", "/api/v1/units/{id}/tree" -> "get_units_id_tree". */
static json_t *operation_id(const char *method, const char *pattern)
{
    char out[256];
    size_t n = 0;
    for (const char *m = method; *m && n < 16; m++) out[n++] = (char)(*m | 0x20);
    if (!strncmp(pattern, "/api/v1", 7)) pattern += 7;
    for (const char *p = pattern; *p && n + 2 < sizeof out; p++) {
        char c = *p;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum) out[n++] = c;
        else if (out[n - 1] != '_') out[n++] = '_';
    }
    while (n && out[n - 1] == '_') n--;
    out[n] = 0;
    return json_string(out);
}

static json_t *path_params(gen *g, const char *pattern)
{
    json_t *arr = json_array();
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        if (!e) break;
        char name[64];
        size_t len = (size_t)(e - p - 1);
        if (len >= sizeof name) continue;
        memcpy(name, p + 1, len);
        name[len] = 0;
        json_t *prm = json_object(), *sch = json_object();
        set(g, prm, "name", json_string(name));
        set(g, prm, "in", json_string("path"));
        set(g, prm, "required", json_true());
        bool id = !strcmp(name, "id") || (len > 3 && !strcmp(name + len - 3, "_id"));
        if (id) {
            set(g, sch, "type", json_string("integer"));
            set(g, sch, "format", json_string("int64"));
            set(g, sch, "minimum", json_integer(1));
        } else {
            set(g, sch, "type", json_string("string"));
        }
        set(g, prm, "schema", sch);
        push(g, arr, prm);
    }
    return arr;
}

/* Query parameters named in the summary as "?name=" or "&name=". */
static void query_params(gen *g, const char *summary, json_t *arr)
{
    if (!summary) return;
    for (const char *p = summary; *p; p++) {
        if (*p != '?' && *p != '&') continue;
        const char *s = p + 1, *e = s;
        while ((*e >= 'a' && *e <= 'z') || *e == '_' || (e > s && *e >= '0' && *e <= '9')) e++;
        if (e == s || *e != '=' || (size_t)(e - s) >= 64) continue;
        char name[64];
        memcpy(name, s, (size_t)(e - s));
        name[e - s] = 0;
        bool seen = false;
        for (size_t i = 0; i < json_array_size(arr); i++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(arr, i), "name")), name)) seen = true;
        if (seen) continue;
        json_t *prm = json_object(), *sch = json_object();
        set(g, prm, "name", json_string(name));
        set(g, prm, "in", json_string("query"));
        set(g, prm, "required", json_false());
        set(g, sch, "type", json_string("string"));
        set(g, prm, "schema", sch);
        push(g, arr, prm);
    }
}

/* Import routes: the body is the file. */
static json_t *file_body(gen *g)
{
    json_t *rb = json_object(), *content = json_object(), *csv = json_object(), *xlsx = json_object(),
           *cs = json_object(), *xs = json_object();
    set(g, cs, "type", json_string("string"));
    set(g, cs, "description", json_string("CSV with a header row, UTF-8 (with or without BOM) or GBK"));
    set(g, csv, "schema", cs);
    set(g, xs, "type", json_string("string"));
    set(g, xs, "format", json_string("binary"));
    set(g, xlsx, "schema", xs);
    set(g, content, "text/csv", csv);
    set(g, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx);
    set(g, rb, "required", json_true());
    set(g, rb, "content", content);
    return rb;
}

static json_t *responses(gen *g, const char *success)
{
    json_t *r = json_object(), *ok = json_object();
    set(g, ok, "description", json_string(success));
    set(g, r, "2XX", ok);
    set(g, r, "4XX", ref(g, "#/components/responses/Error"));
    set(g, r, "5XX", ref(g, "#/components/responses/Error"));
    return r;
}

static json_t *operation(gen *g, const api_route *r)
{
    json_t *op = json_object(), *tags = json_array();
    set(g, op, "operationId", operation_id(r->method, r->pattern));
    set(g, op, "summary", json_string(r->summary ? r->summary : ""));
    push(g, tags, json_string(r->tag ? r->tag : "other"));
    set(g, op, "tags", tags);
    json_t *prm = path_params(g, r->pattern);
    query_params(g, r->summary, prm);
    if (json_array_size(prm)) set(g, op, "parameters", prm);
    else json_decref(prm);
    if (!strcmp(r->method, "POST") && !strncmp(r->pattern, "/api/v1/imports/", 16)) {
        set(g, op, "requestBody", file_body(g));
    } else if (r->body && r->nbody) {
        json_t *rb = json_object(), *content = json_object(), *media = json_object();
        set(g, media, "schema", body_schema(g, r->body, r->nbody));
        set(g, content, "application/json", media);
        set(g, rb, "required", json_true());
        set(g, rb, "content", content);
        set(g, op, "requestBody", rb);
    }
    set(g, op, "responses", responses(g, "Success"));
    if (r->access != API_AUTH) set(g, op, "security", json_array());
    if (r->action) set(g, op, "x-permission", json_string(r->action));
    return op;
}

static void add_op(gen *g, json_t *paths, const char *pattern, const char *method, json_t *op)
{
    json_t *item = json_object_get(paths, pattern);
    if (!item) item = set(g, paths, pattern, json_object());
    char m[16];
    size_t i = 0;
    for (; method[i] && i + 1 < sizeof m; i++) m[i] = (char)(method[i] | 0x20);
    m[i] = 0;
    set(g, item, m, op);
}

/* /healthz and /metrics are answered by src/http, outside the route table. */
static void add_http_endpoints(gen *g, json_t *paths)
{
    static const struct {
        const char *path, *id, *summary, *type;
    } ep[] = {
        {"/healthz", "get_healthz", "Liveness: {\"status\":\"ok\",\"version\":...}", "application/json"},
        {"/metrics", "get_metrics", "Prometheus text: requests by route and status, latency, store timings",
         "text/plain"},
    };
    for (size_t i = 0; i < sizeof ep / sizeof ep[0]; i++) {
        json_t *op = json_object(), *tags = json_array(), *r = json_object(), *ok = json_object(),
               *content = json_object();
        set(g, op, "operationId", json_string(ep[i].id));
        set(g, op, "summary", json_string(ep[i].summary));
        push(g, tags, json_string("meta"));
        set(g, op, "tags", tags);
        set(g, ok, "description", json_string("OK"));
        set(g, content, ep[i].type, json_object());
        set(g, ok, "content", content);
        set(g, r, "200", ok);
        set(g, op, "responses", r);
        set(g, op, "security", json_array());
        add_op(g, paths, ep[i].path, "GET", op);
    }
}

static json_t *components(gen *g)
{
    json_t *c = json_object(), *schemas = json_object(), *resp = json_object(), *sec = json_object();

    /* Error: {"error":{"code","message","field"}} with every code. */
    json_t *codes = json_array();
    for (int e = WS_OK + 1; e < WS_ERR_COUNT; e++) push(g, codes, json_string(ws_err_code((ws_err)e)));
    json_t *code = json_object(), *msg = json_object(), *field = json_object();
    set(g, code, "type", json_string("string"));
    set(g, code, "enum", codes);
    set(g, msg, "type", json_string("string"));
    set(g, msg, "description", json_string("For a person: what is wrong and how to fix it"));
    set(g, field, "type", json_string("string"));
    set(g, field, "nullable", json_true());
    set(g, field, "description", json_string("The offending field, e.g. \"name\" or \"row 7: code\""));
    json_t *inner = json_object(), *iprops = json_object(), *ireq = json_array();
    set(g, iprops, "code", code);
    set(g, iprops, "message", msg);
    set(g, iprops, "field", field);
    push(g, ireq, json_string("code"));
    push(g, ireq, json_string("message"));
    set(g, inner, "type", json_string("object"));
    set(g, inner, "properties", iprops);
    set(g, inner, "required", ireq);
    json_t *err = json_object(), *eprops = json_object(), *ereq = json_array();
    set(g, eprops, "error", inner);
    push(g, ereq, json_string("error"));
    set(g, err, "type", json_string("object"));
    set(g, err, "properties", eprops);
    set(g, err, "required", ereq);
    set(g, schemas, "Error", err);

    /* Page: the list convention {"items":[...],"next_cursor":N|null}. */
    json_t *page = json_object(), *pprops = json_object(), *items = json_object(), *next = json_object();
    set(g, items, "type", json_string("array"));
    set(g, items, "items", json_object());
    set(g, next, "type", json_string("integer"));
    set(g, next, "format", json_string("int64"));
    set(g, next, "nullable", json_true());
    set(g, next, "description", json_string("Pass as ?cursor= for the next page; null on the last"));
    set(g, pprops, "items", items);
    set(g, pprops, "next_cursor", next);
    set(g, page, "type", json_string("object"));
    set(g, page, "properties", pprops);
    set(g, page, "description",
        json_string("Lists take ?limit=1..200 (default 50) and ?cursor=, filters as query parameters"));
    set(g, schemas, "Page", page);

    json_t *er = json_object(), *ec = json_object(), *em = json_object();
    set(g, em, "schema", ref(g, "#/components/schemas/Error"));
    set(g, ec, "application/json", em);
    set(g, er, "description", json_string("Error envelope"));
    set(g, er, "content", ec);
    set(g, resp, "Error", er);

    json_t *bearer = json_object(), *cookie = json_object();
    set(g, bearer, "type", json_string("http"));
    set(g, bearer, "scheme", json_string("bearer"));
    set(g, bearer, "bearerFormat", json_string("64 hex characters from POST /api/v1/auth/login"));
    set(g, cookie, "type", json_string("apiKey"));
    set(g, cookie, "in", json_string("cookie"));
    set(g, cookie, "name", json_string("ws_session"));
    set(g, cookie, "description",
        json_string("HttpOnly, SameSite=Strict; writes also need an Origin header matching the host"));
    set(g, sec, "bearerAuth", bearer);
    set(g, sec, "cookieAuth", cookie);

    set(g, c, "schemas", schemas);
    set(g, c, "responses", resp);
    set(g, c, "securitySchemes", sec);
    return c;
}

/* The whole document; caller owns it. NULL when out of memory. */
static json_t *build(const api_route *const *routes, size_t n)
{
    gen g = {0};
    json_t *doc = json_object(), *info = json_object(), *paths = json_object(), *tags = json_array();
    set(&g, doc, "openapi", json_string("3.0.3"));
    set(&g, info, "title", json_string("worksafe API"));
    set(&g, info, "version", json_string(WS_VERSION));
    set(&g, info, "description",
        json_string("Work-safety management server. JSON in and out (UTF-8), times in RFC 3339, "
                    "errors as {\"error\":{\"code\",\"message\",\"field\"}}, lists as "
                    "{\"items\",\"next_cursor\"}. Sign in with POST /api/v1/auth/login."));
    set(&g, doc, "info", info);
    for (size_t i = 0; i < n; i++) {
        const api_route *r = routes[i];
        add_op(&g, paths, r->pattern, r->method, operation(&g, r));
        const char *tag = r->tag ? r->tag : "other";
        bool seen = false;
        for (size_t t = 0; t < json_array_size(tags); t++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(tags, t), "name")), tag)) seen = true;
        if (!seen) {
            json_t *t = json_object();
            set(&g, t, "name", json_string(tag));
            push(&g, tags, t);
        }
    }
    add_http_endpoints(&g, paths);
    set(&g, doc, "tags", tags);
    set(&g, doc, "paths", paths);
    set(&g, doc, "components", components(&g));
    json_t *security = json_array(), *b = json_object(), *c = json_object();
    set(&g, b, "bearerAuth", json_array());
    set(&g, c, "cookieAuth", json_array());
    push(&g, security, b);
    push(&g, security, c);
    set(&g, doc, "security", security);
    if (g.failed) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *doc_text; /* built once, never freed: it lives as long as the process */
static size_t doc_len;

static void build_once(void)
{
    size_t n = 0;
    const api_route *const *routes = api_route_table(&n);
    json_t *doc = build(routes, n);
    if (!doc) return;
    doc_text = json_dump_compact(doc);
    doc_len = doc_text ? strlen(doc_text) : 0;
    json_decref(doc);
}

static ws_err openapi_get(api_ctx *ctx)
{
    pthread_once(&once, build_once);
    if (!doc_text) return ws_fail(WS_ENOMEM, NULL, "could not build the OpenAPI document");
    buf_reset(&ctx->resp->body);
    ws_err rc = buf_append(&ctx->resp->body, doc_text, doc_len);
    if (rc) return rc;
    ctx->resp->status = 200;
    ctx->resp->content_type = "application/json; charset=utf-8";
    return WS_OK;
}
