/* api_workflow.c — workflow definitions over REST (docs/internals/workflow.md).
 *
 *   GET  /api/v1/workflows                          keys with their latest version
 *   GET  /api/v1/workflows/{key}                    the latest definition
 *   GET  /api/v1/workflows/{key}/versions/{version} one version
 *   POST /api/v1/workflows/{key}/versions           save a new version (body: the
 *                                                   definition document)
 *
 * Permissions: workflow.read (admin, manager, safety_officer, regulator) and
 * workflow.write (admin). Definitions belong to the installation, not to a
 * unit, so there is no scope check beyond the role. The body's top level is
 * decoded strictly here (unknown members, duplicate keys, bad UTF-8); the
 * nested structure and the statutory locks are checked by
 * workflow_def_save(), which names the offending path or guard. Instances
 * are reached through the modules that use them (hazards: their own
 * /actions/ routes), not here. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "workflow/workflow.h"

typedef struct def_body {
    const char *name, *description, *initial;
    json_t *states, *actions, *fields, *start;
} def_body;

static const json_field def_fields[] = {
    {"name", JF_STRING, true, false, offsetof(def_body, name), 200, 0, 0, -1},
    {"description", JF_STRING, false, false, offsetof(def_body, description), 2000, 0, 0, -1},
    {"initial", JF_STRING, true, false, offsetof(def_body, initial), WF_ID_MAX, 0, 0, -1},
    {"states", JF_ARRAY, true, false, offsetof(def_body, states), 40, 0, 0, -1},
    {"actions", JF_ARRAY, true, false, offsetof(def_body, actions), 80, 0, 0, -1},
    {"fields", JF_ARRAY, false, false, offsetof(def_body, fields), 60, 0, 0, -1},
    {"start", JF_OBJECT, false, false, offsetof(def_body, start), 0, 0, 0, -1},
};
#define N_DEF_FIELDS (sizeof def_fields / sizeof def_fields[0])

static const char *key_param(api_ctx *ctx)
{
    return ctx->req->nparams > 0 ? ctx->req->params[0] : "";
}

static ws_err workflows_list(api_ctx *ctx)
{
    json_t *items = NULL;
    ws_err rc = workflow_def_list(ctx->conn, &items);
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next_cursor", json_null());
    return api_reply_json(ctx, 200, o);
}

static ws_err workflows_get(api_ctx *ctx)
{
    json_t *d = NULL;
    ws_err rc = workflow_def_get(ctx->conn, key_param(ctx), 0, &d);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "key", "no such workflow");
    if (rc) return rc;
    return api_reply_json(ctx, 200, d);
}

static ws_err workflows_version(api_ctx *ctx)
{
    const char *s = ctx->req->nparams > 1 ? ctx->req->params[1] : "";
    int v = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 9) return ws_fail(WS_ENOTFOUND, "version", "no such version");
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1) return ws_fail(WS_ENOTFOUND, "version", "no such version");
    json_t *d = NULL;
    ws_err rc = workflow_def_get(ctx->conn, key_param(ctx), v, &d);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "version", "no such workflow or version");
    if (rc) return rc;
    return api_reply_json(ctx, 200, d);
}

static ws_err workflows_save(api_ctx *ctx)
{
    def_body b;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, def_fields, N_DEF_FIELDS, &b, NULL, &root);
    if (rc) return rc;
    char actor[32];
    audit_actor who = {api_actor(ctx, actor, sizeof actor)};
    int v = 0;
    rc = workflow_def_save(ctx->conn, &who, key_param(ctx), root, &v);
    json_decref(root);
    if (rc) return rc;
    json_t *d = NULL;
    rc = workflow_def_get(ctx->conn, key_param(ctx), v, &d);
    if (rc) return rc;
    return api_reply_json(ctx, 201, d);
}

const api_route api_workflow_routes[] = {
    {"GET", "/api/v1/workflows", workflows_list, API_AUTH, "workflow.read",
     "Workflow keys with their latest version", "workflows", NULL, 0},
    {"GET", "/api/v1/workflows/{key}", workflows_get, API_AUTH, "workflow.read",
     "The latest definition of a workflow (states, actions, fields, SLA, effects, guards)",
     "workflows", NULL, 0},
    {"GET", "/api/v1/workflows/{key}/versions/{version}", workflows_version, API_AUTH,
     "workflow.read", "One version of a workflow definition", "workflows", NULL, 0},
    {"POST", "/api/v1/workflows/{key}/versions", workflows_save, API_AUTH, "workflow.write",
     "Save a new version of a workflow definition; new instances use it, running ones keep "
     "theirs; removing or bypassing a statutory guard is refused naming the guard",
     "workflows", def_fields, N_DEF_FIELDS, WF_DEF_MAX_BYTES},
};
const size_t api_workflow_nroutes = sizeof api_workflow_routes / sizeof api_workflow_routes[0];
