/* api.h — the REST API: routes, the request and reply shapes the HTTP layer
 * hands over, and the dispatcher that authenticates, authorises and maps
 * errors to the envelope {"error":{"code","message","field"}}.
 *
 * The HTTP layer (src/http) knows nothing of JSON shapes; it matches a route
 * from api_route_table(), fills an api_req and calls api_dispatch(). */
#ifndef WS_API_H
#define WS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/json.h"
#include "store/store.h"

#define API_MAX_PARAMS 4
#define API_MAX_HEADERS 4

typedef struct api_req {
    const char *method;
    const char *path;
    const char *body; /* may be NULL when body_len is 0 */
    size_t body_len;
    const char *params[API_MAX_PARAMS]; /* path parameters in pattern order */
    int nparams;
    /* Lookups supplied by the HTTP layer; return NULL when absent. */
    const char *(*header)(void *hctx, const char *name);
    const char *(*query)(void *hctx, const char *name);
    void *hctx;
    bool tls;
    const char *peer; /* the client's numeric address ("10.0.2.8", "::1"), "" unknown */
    /* The first query parameter whose name or value is not UTF-8 ("query"
     * when its name is not), NULL when all are: refused with a 400 naming it
     * before the handler runs, so no handler hands bad bytes to the store. */
    const char *bad_query;
    /* bad_query is given twice (?state=a&state=b): which one a handler
     * would read is the server's choice, so it is refused as well. */
    bool query_repeated;
} api_req;

/* A live reply (server-sent events, src/api/api_stream.c): a handler that
 * answers with a stream fills resp->stream and status 200; the HTTP layer
 * sends it as text/event-stream, calling next() whenever the connection can
 * take bytes and parking the connection (no thread) when next() has none.
 * The HTTP layer owns it from then on and calls free() once. */
typedef struct api_stream {
    /* Write at most cap bytes of whole or continued events into buf; runs
     * on a server thread and never blocks. Returns the bytes written, 0 when
     * there is nothing now, -1 when the stream is over. */
    long (*next)(void *ctx, char *buf, size_t cap);
    /* Arrange for wake(arg) to be called once, from any thread, when next()
     * may have more. Returns false (nothing arranged) when next() has more
     * already. */
    bool (*park)(void *ctx, void (*wake)(void *arg), void *arg);
    /* Undo park (no wake after it returns) and free ctx. */
    void (*free)(void *ctx);
    void *ctx;
} api_stream;

typedef struct api_resp {
    int status;
    buf body;
    const char *content_type; /* static; "application/json; charset=utf-8" by default */
    const char *hname[API_MAX_HEADERS]; /* static names */
    char *hvalue[API_MAX_HEADERS];      /* owned values */
    int nheaders;
    api_stream stream; /* a live reply when stream.next is set (api_stream above) */
} api_resp;

/* What a handler gets. conn is acquired for the request; the handler opens
 * its own write transaction when it writes. */
typedef struct api_ctx {
    const api_req *req;
    api_resp *resp;
    store_conn *conn;
    auth_subject who;     /* valid when authenticated */
    bool authenticated;
    bool via_cookie;      /* token came from the cookie: writes need an Origin check */
} api_ctx;

typedef ws_err (*api_handler)(api_ctx *ctx);

/* API_ANON (issue 6, anonymous reports): public, and the dispatcher does not
 * even look at the Authorization header or the cookie, so a signed-in
 * browser's session never reaches the handler; nothing about the caller is
 * read but the peer address, which only the in-memory rate limiter sees. */
typedef enum { API_AUTH = 0, API_PUBLIC = 1, API_ANON = 2 } api_access;

typedef struct api_route {
    const char *method;   /* "GET", "POST", "PATCH", "DELETE" */
    const char *pattern;  /* "/api/v1/units/{id}" */
    api_handler fn;
    api_access access;
    const char *action;   /* role-level permission checked before fn; NULL = any signed-in account */
    const char *summary;  /* OpenAPI summary */
    const char *tag;      /* OpenAPI tag */
    const json_field *body; /* request body fields, for OpenAPI (NULL when none) */
    size_t nbody;
    size_t max_body;      /* body cap in bytes for this route; 0 = the server's (1 MiB) */
} api_route;

/* Route tables, one per resource file (api_<resource>.c). */
extern const api_route api_auth_routes[];
extern const size_t api_auth_nroutes;
extern const api_route api_org_routes[];
extern const size_t api_org_nroutes;
extern const api_route api_account_routes[];
extern const size_t api_account_nroutes;
extern const api_route api_audit_routes[];
extern const size_t api_audit_nroutes;
extern const api_route api_meta_routes[];
extern const size_t api_meta_nroutes;
extern const api_route api_workflow_routes[];
extern const size_t api_workflow_nroutes;
extern const api_route api_hazard_routes[];
extern const size_t api_hazard_nroutes;
extern const api_route api_risk_routes[];
extern const size_t api_risk_nroutes;
extern const api_route api_attach_routes[];
extern const size_t api_attach_nroutes;
extern const api_route api_riskmap_routes[];
extern const size_t api_riskmap_nroutes;
extern const api_route api_inspection_routes[];
extern const size_t api_inspection_nroutes;
extern const api_route api_telemetry_routes[];
extern const size_t api_telemetry_nroutes;
extern const api_route api_plant_routes[];
extern const size_t api_plant_nroutes;
extern const api_route api_alarmrule_routes[];
extern const size_t api_alarmrule_nroutes;
extern const api_route api_stream_routes[];
extern const size_t api_stream_nroutes;
extern const api_route api_ingest_routes[];
extern const size_t api_ingest_nroutes;
extern const api_route api_alarm_routes[];
extern const size_t api_alarm_nroutes;
extern const api_route api_notify_routes[];
extern const size_t api_notify_nroutes;
extern const api_route api_alarmkpi_routes[];
extern const size_t api_alarmkpi_nroutes;
extern const api_route api_permit_routes[];
extern const size_t api_permit_nroutes;
extern const api_route api_taskforce_routes[];
extern const size_t api_taskforce_nroutes;
extern const api_route api_duty_routes[];
extern const api_route api_handover_routes[];
extern const size_t api_handover_nroutes;
extern const size_t api_duty_nroutes;
extern const api_route api_dashboard_routes[];
extern const size_t api_dashboard_nroutes;
/* Grid patrols (issue 6, src/patrol). */
extern const api_route api_patrol_routes[];
extern const size_t api_patrol_nroutes;
/* issue 6: anonymous reports and the points bank */
extern const api_route api_voice_routes[];
extern const size_t api_voice_nroutes;
extern const api_route api_bank_routes[];
extern const size_t api_bank_nroutes;
extern const api_route api_dynrisk_routes[];
extern const size_t api_dynrisk_nroutes;
extern const api_route api_monitor_routes[];
extern const size_t api_monitor_nroutes;

/* Global set-up: the store the API works on and the body cap. */
typedef struct api_config {
    store *db;
    size_t max_body;          /* bytes, default 1 MiB */
    int64_t session_ttl_ms;   /* default 12 h */
    const char *public_origin; /* allowed Origin for cookie writes, NULL = same host */
    struct series *series;     /* the series store for point histories; NULL = none */
    struct warn *warn;         /* the early-warning engine; NULL = none (503 on its routes) */
    struct permit_svc *permits; /* the permit service; NULL = none (503 on its routes) */
} api_config;
ws_err api_init(const api_config *cfg);
/* The series store given to api_init (borrowed), NULL when none. */
struct series *api_series(void);
/* The engine given to api_init (borrowed), NULL when none. */
struct warn *api_warn(void);
/* The permit service given to api_init (borrowed), NULL when none. */
struct permit_svc *api_permits(void);
/* The configured public origin ("https://safety.example.com"), "" when none. Static. */
const char *api_public_origin(void);

/* All routes, in a stable order. */
const api_route *const *api_route_table(size_t *n);

/* Authenticate, authorise, run the handler, and fill resp (status, body);
 * every error becomes the envelope with its status from api_status_of. */
void api_dispatch(const api_route *r, const api_req *req, api_resp *resp);
void api_resp_init(api_resp *resp);
void api_resp_free(api_resp *resp);

/* The one table from error code to HTTP status. */
int api_status_of(ws_err e);
/* Fill resp with the error envelope of e and this thread's error detail. */
void api_error(api_resp *resp, ws_err e);

/* Helpers for handlers. */
ws_err api_reply_json(api_ctx *ctx, int status, json_t *v); /* steals v */
/* An alarm response card (telemetry/response.h) as JSON (api_telemetry.c). */
struct point_response;
json_t *api_response_json(const struct point_response *r);
ws_err api_decode(api_ctx *ctx, const json_field *f, size_t n, void *out, uint64_t *present,
                  json_t **root);
/* The body as a JSON object, for handlers that read it member by member
 * (*out owned by the caller); an empty body is {} when optional. Like
 * api_decode: a Content-Type other than application/json is 415 naming it. */
ws_err api_body_object(api_ctx *ctx, bool optional, json_t **out);
/* WS_EMEDIA naming Content-Type unless it is absent or application/json
 * (parameters such as "; charset=utf-8" allowed). */
ws_err api_json_type(api_ctx *ctx);
/* Is the media type of Content-Type value ct (before any parameters) type,
 * ignoring case? ct NULL: no. */
bool api_media_is(const char *ct, const char *type);
/* For an action that takes no body: none, whitespace or an empty JSON
 * object passes; a member is refused by name ("<name>: unknown member"),
 * anything else names "body" — data sent to such a route is never dropped
 * silently. */
ws_err api_no_body(api_ctx *ctx);
/* Path parameter i as an id (>= 1), else WS_ENOTFOUND. */
ws_err api_param_id(api_ctx *ctx, int i, int64_t *id);
/* ?limit= (1..200, default 50) and ?cursor= (an opaque id, 0 = start). */
ws_err api_page(api_ctx *ctx, int *limit, int64_t *cursor);
/* The resource of a record on unit_path (borrowed) for auth_decide: its path,
 * and whether its unit is an area when it lies above the caller's scope
 * (REL_AREA_ABOVE; one read then, none otherwise). */
auth_resource api_unit_resource(api_ctx *ctx, const char *unit_path);
/* ?name=, or NULL when absent or empty. Borrowed from the request. */
const char *api_query(api_ctx *ctx, const char *name);
/* ?name= as an id (>= 1); 0 when absent; WS_EINVAL naming name otherwise. */
ws_err api_query_id(api_ctx *ctx, const char *name, int64_t *out);
/* ?name= as an instant (RFC 3339, ms UTC); dflt when absent, else WS_EINVAL
 * naming it. */
ws_err api_query_time(api_ctx *ctx, const char *name, int64_t dflt, int64_t *out);
/* ?name= as a boolean filter: -1 absent, 0, 1 (accepts 1/0/true/false). */
ws_err api_query_bool(api_ctx *ctx, const char *name, int *out);
/* {"items": items, "next_cursor": next or null}; steals items. */
json_t *api_page_json(json_t *items, int64_t next);
/* The actor name of the caller for the audit log ("account:12"). */
const char *api_actor(api_ctx *ctx, char *out, size_t cap);
/* Add a reply header: name static, value copied (e.g. Set-Cookie). */
void api_add_header(api_resp *resp, const char *name, const char *value);

#endif
