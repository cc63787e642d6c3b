/* api_duty.c — duty lists (岗位安全履职清单) over REST (docs/internals/duty.md):
 *
 *   GET/POST /api/v1/duties ?enterprise_id=     PATCH /api/v1/duties/{id}
 *   GET      /api/v1/me/duties                  the caller's duties today
 *   POST     /api/v1/duty-tasks/{id}/actions/done {note}
 *   GET      /api/v1/duty-tasks ?person_id=     a person's tasks (managers)
 *   GET      /api/v1/duty-completion ?since=    completion per person in scope
 *
 * Permissions: duty.read, duty.write, duty.statutory (src/auth/policy.c); a
 * task is done by its own person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "duty/duty.h"

static org_caller caller(api_ctx *ctx, audit_actor *a, char *name, size_t cap)
{
    a->name = api_actor(ctx, name, cap);
    org_caller by = {a, &ctx->who};
    return by;
}

#define CALLER                                   \
    char actor_name_[32];                        \
    audit_actor actor_;                          \
    org_caller by = caller(ctx, &actor_, actor_name_, sizeof actor_name_)

static ws_err duties_list(api_ctx *ctx)
{
    int64_t ent = 0;
    ws_err rc = api_query_id(ctx, "enterprise_id", &ent);
    json_t *items = NULL;
    if (!rc) rc = duty_list(ctx->conn, ent, &items);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static ws_err duties_create(api_ctx *ctx)
{
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    int64_t id = 0;
    rc = duty_create(ctx->conn, &by, body, &id);
    json_decref(body);
    return rc ? rc : api_reply_json(ctx, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

static ws_err duties_patch(api_ctx *ctx)
{
    int64_t id;
    json_t *body = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    rc = duty_update(ctx->conn, &by, id, body);
    json_decref(body);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:I}", "id", (json_int_t)id));
}

static ws_err my_duties(api_ctx *ctx)
{
    json_t *items = NULL;
    ws_err rc = ctx->who.person_id > 0 ? duty_my(ctx->conn, ctx->who.person_id, clock_now_ms(), &items) : WS_OK;
    if (!items) items = json_array();
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static ws_err task_done(api_ctx *ctx)
{
    int64_t id;
    json_t *body = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_body_object(ctx, true, &body);
    if (rc) return rc;
    if (strcmp(ctx->req->params[1], "done")) {
        json_decref(body);
        return ws_fail(WS_ENOTFOUND, "action", "no such action (done)");
    }
    CALLER;
    rc = duty_task_done(ctx->conn, &by, id, body);
    json_decref(body);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", "done"));
}

static ws_err tasks_of(api_ctx *ctx)
{
    int64_t person = 0;
    ws_err rc = api_query_id(ctx, "person_id", &person);
    if (!rc && !person) rc = ws_fail(WS_EINVAL, "person_id", "?person_id= names the person");
    json_t *items = NULL;
    if (!rc) rc = duty_tasks_of(ctx->conn, ctx->who.scope_path, person, &items);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static ws_err completion(api_ctx *ctx)
{
    int64_t since = clock_now_ms() - 30LL * 86400000;
    const char *s = api_query(ctx, "since");
    if (s && clock_parse_rfc3339(s, &since)) return ws_fail(WS_EINVAL, "since", "since is a time (RFC 3339)");
    json_t *items = NULL;
    ws_err rc = duty_completion(ctx->conn, ctx->who.scope_path, since, &items);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

#define R(m, p, fn, act, sum) {m, p, fn, API_AUTH, act, sum, "duties", NULL, 0, 0}
const api_route api_duty_routes[] = {
    R("GET", "/api/v1/duties", duties_list, "duty.read",
      "Duties 岗位安全履职清单 of an enterprise's posts (?enterprise_id=) and the statutory duties of the three "
      "responsible persons of major hazard installations"),
    R("POST", "/api/v1/duties", duties_create, "duty.write",
      "Define a duty of a post {enterprise_id, post_id, title, description, frequency daily|weekly|monthly|"
      "quarterly|yearly}"),
    R("PATCH", "/api/v1/duties/{id}", duties_patch, "duty.write",
      "Change a duty's title, description, frequency or active (a statutory duty: admins, never off)"),
    R("GET", "/api/v1/me/duties", my_duties, "duty.read", "The caller's duties: open, and those closed in the last day"),
    R("POST", "/api/v1/duty-tasks/{id}/actions/{action}", task_done, "duty.read",
      "done {note}: by the person the task belongs to"),
    R("GET", "/api/v1/duty-tasks", tasks_of, "duty.write",
      "A person's duty tasks (?person_id=, a person in the caller's scope): open first, then the last 200"),
    R("GET", "/api/v1/duty-completion", completion, "duty.write",
      "Completion per person in the caller's scope since ?since= (default 30 days): tasks, done, missed, open"),
};
const size_t api_duty_nroutes = sizeof api_duty_routes / sizeof api_duty_routes[0];
