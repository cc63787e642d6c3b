/* api_taskforce.c — task forces and incidents over REST
 * (docs/internals/taskforce.md):
 *
 *   GET/POST /api/v1/task-forces ?unit_id=&state=      GET /api/v1/task-forces/{id}
 *   POST     /api/v1/task-forces/{id}/tasks            add a task
 *   POST     /api/v1/task-force-tasks/{id}/actions/{done|cancel}
 *   GET      /api/v1/me/tasks ?state=                  the caller's tasks
 *   GET/PUT  /api/v1/task-force-rules                  which department gets which task
 *   GET/POST /api/v1/incidents ?unit_id=               GET /api/v1/incidents/{id}
 *   GET      /api/v1/drill-scenarios                   GET/POST /api/v1/drills   GET /api/v1/drills/{id}
 *
 * Permissions: taskforce.read, taskforce.write, taskforce.rules,
 * incident.write (src/auth/policy.c); a task's assignee closes it without
 * taskforce.write; outside the scope 404. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/clock.h"
#include "core/log.h"
#include "taskforce/taskforce.h"
#include "warn/warn.h"

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

static ws_err forces_list(api_ctx *ctx)
{
    int limit;
    int64_t cursor, unit = 0, next = 0;
    ws_err rc = api_page(ctx, &limit, &cursor);
    if (!rc) rc = api_query_id(ctx, "unit_id", &unit);
    const char *state = api_query(ctx, "state");
    if (!rc && state && strcmp(state, "open") && strcmp(state, "closed"))
        rc = ws_fail(WS_EINVAL, "state", "state is open or closed");
    json_t *items = NULL;
    if (!rc) rc = taskforce_list(ctx->conn, ctx->who.scope_path, unit, state, limit, cursor, &items, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(items, next));
}

static ws_err reply_force(api_ctx *ctx, int status, int64_t id)
{
    json_t *o = NULL;
    ws_err rc = taskforce_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, status, o);
}

static ws_err forces_create(api_ctx *ctx)
{
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    static const char *const keys[] = {"title", "drill", "unit_id", NULL};
    const char *title = json_string_value(json_object_get(body, "title"));
    const json_t *drill = json_object_get(body, "drill");
    rc = json_known_keys(body, NULL, keys);
    if (!rc && (!title || !title[0] || strlen(title) > TF_TITLE_MAX))
        rc = ws_fail(WS_EINVAL, "title", "title is 1..200 bytes");
    if (!rc && drill && !json_is_boolean(drill)) rc = ws_fail(WS_EINVAL, "drill", "drill is true or false");
    if (!rc && !json_is_integer(json_object_get(body, "unit_id")))
        rc = ws_fail(WS_EINVAL, "unit_id", "unit_id is required");
    taskforce_source src = {.kind = json_is_true(drill) ? "drill" : "manual", .id = 0,
                            .trigger = json_is_true(drill) ? "drill" : "manual",
                            .unit_id = json_integer_value(json_object_get(body, "unit_id")), .title = title,
                            .drill = json_is_true(drill)};
    int64_t id = 0;
    if (!rc) rc = taskforce_form(ctx->conn, &by, &src, &id, NULL);
    json_decref(body);
    if (rc == WS_EINVAL && !strcmp(ws_err_field(), "unit_id") && strstr(ws_err_message(), "no such"))
        rc = ws_fail(WS_ENOTFOUND, "unit_id", "no such unit (unit_id)");
    return rc ? rc : reply_force(ctx, 201, id);
}

static ws_err forces_get(api_ctx *ctx)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    return rc ? rc : reply_force(ctx, 200, id);
}

static ws_err forces_add_task(api_ctx *ctx)
{
    int64_t id, task = 0;
    json_t *body = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    rc = taskforce_task_add(ctx->conn, &by, id, body, &task);
    json_decref(body);
    return rc ? rc : reply_force(ctx, 201, id);
}

static ws_err tasks_act(api_ctx *ctx)
{
    int64_t id;
    json_t *body = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_body_object(ctx, true, &body);
    if (rc) return rc;
    CALLER;
    rc = taskforce_task_act(ctx->conn, &by, id, ctx->req->params[1], body);
    json_decref(body);
    if (rc) return rc;
    /* a drill's force closed with this task: the simulated event is over, so
     * its 【演练】 alarm clears (and can be closed with its record) */
    int64_t drill = 0, unit = 0;
    int level = 0;
    if (!drill_of_closed_task(ctx->conn, id, &drill, &unit, &level) && drill && level && api_warn() &&
        warn_external_alarm(api_warn(), WARN_RULE_DRILL, drill, unit, level, false, NULL, clock_now_ms()))
        log_warn("drill alarm not cleared", "detail", ws_err_message());
    return api_reply_json(ctx, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "action", ctx->req->params[1]));
}

static ws_err my_tasks(api_ctx *ctx)
{
    const char *state = api_query(ctx, "state");
    if (state && strcmp(state, "open") && strcmp(state, "done") && strcmp(state, "cancelled"))
        return ws_fail(WS_EINVAL, "state", "state is open, done or cancelled");
    json_t *items = NULL;
    ws_err rc = ctx->who.person_id > 0 ? taskforce_my_tasks(ctx->conn, ctx->who.person_id, state, &items) : WS_OK;
    if (!items) items = json_array();
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static ws_err rules_get(api_ctx *ctx)
{
    json_t *o = NULL;
    ws_err rc = taskforce_rules_json(ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", o));
}

static ws_err rules_put(api_ctx *ctx)
{
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    static const char *const keys[] = {"items", NULL};
    rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = taskforce_rules_put(ctx->conn, &by, json_object_get(body, "items"));
    json_decref(body);
    return rc ? rc : rules_get(ctx);
}

static ws_err incidents_list(api_ctx *ctx)
{
    int limit;
    int64_t cursor, unit = 0, next = 0;
    ws_err rc = api_page(ctx, &limit, &cursor);
    if (!rc) rc = api_query_id(ctx, "unit_id", &unit);
    json_t *items = NULL;
    if (!rc) rc = incident_list(ctx->conn, ctx->who.scope_path, unit, limit, cursor, &items, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(items, next));
}

static ws_err incidents_create(api_ctx *ctx)
{
    json_t *body = NULL, *o = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    int64_t id = 0;
    rc = incident_report(ctx->conn, &by, body, &id);
    json_decref(body);
    if (!rc) rc = incident_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 201, o);
}

static ws_err incidents_get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = incident_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

/* ------------------------------------------------------------------ drills */

static ws_err scenarios_list(api_ctx *ctx)
{
    json_t *items = NULL;
    ws_err rc = drill_scenarios_json(ctx->conn, &items);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static ws_err drills_list(api_ctx *ctx)
{
    json_t *items = NULL;
    ws_err rc = drill_list(ctx->conn, ctx->who.scope_path, &items);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static ws_err drills_start(api_ctx *ctx)
{
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    int64_t id = 0;
    int level = 0;
    char title[256] = "";
    static const char *const keys[] = {"unit_id", "scenario", NULL};
    const char *scenario = NULL;
    rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = json_opt_text(body, "scenario", "scenario", &scenario);
    if (!rc && !json_is_integer(json_object_get(body, "unit_id"))) rc = ws_fail(WS_EINVAL, "unit_id", "unit_id is required");
    if (!rc)
        rc = drill_start(ctx->conn, &by, scenario, json_integer_value(json_object_get(body, "unit_id")), &id, &level,
                         title, sizeof title);
    int64_t unit = json_integer_value(json_object_get(body, "unit_id"));
    json_decref(body);
    if (rc) return rc;
    /* played out as if real: the drill's alarm through the engine, paged and
     * handled like any other, its title saying it is a drill */
    if (level && api_warn() &&
        warn_external_alarm(api_warn(), WARN_RULE_DRILL, id, unit, level, true, title, clock_now_ms()))
        log_warn("drill alarm not raised", "detail", ws_err_message());
    json_t *o = NULL;
    rc = drill_json(ctx->conn, &ctx->who, id, WARN_RULE_DRILL, &o);
    return rc ? rc : api_reply_json(ctx, 201, o);
}

static ws_err drills_get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = drill_json(ctx->conn, &ctx->who, id, WARN_RULE_DRILL, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

#define R(m, p, fn, act, sum) {m, p, fn, API_AUTH, act, sum, "task forces", NULL, 0, 0}
const api_route api_taskforce_routes[] = {
    R("GET", "/api/v1/task-forces", forces_list, "taskforce.read",
      "Task forces 专项工作组 in the caller's scope (?unit_id= subtree, &state=open|closed), newest first, "
      "with their progress"),
    R("POST", "/api/v1/task-forces", forces_create, "taskforce.write",
      "Open a task force by hand {unit_id, title, drill}; forces for 重大 hazards, 紧急 alarms and serious "
      "incidents form by themselves"),
    R("GET", "/api/v1/task-forces/{id}", forces_get, "taskforce.read",
      "One force: members, tasks, links (documents, similar past cases), timeline, progress"),
    R("POST", "/api/v1/task-forces/{id}/tasks", forces_add_task, "taskforce.write",
      "Add a task {title, kind action|budget|document, department_id, assignee_person_id, due_at}"),
    R("POST", "/api/v1/task-force-tasks/{id}/actions/{action}", tasks_act, "taskforce.read",
      "done {note, amount (budget tasks, yuan)} or cancel {note}, by the task's assignee or taskforce.write; "
      "the force closes with its last open task"),
    R("GET", "/api/v1/me/tasks", my_tasks, "taskforce.read", "The caller's task-force tasks (?state=)"),
    R("GET", "/api/v1/task-force-rules", rules_get, "taskforce.read",
      "Which department gets which task for each trigger (major_hazard, emergency_alarm, serious_incident, drill)"),
    R("PUT", "/api/v1/task-force-rules", rules_put, "taskforce.rules",
      "Replace the rules {items: [{trigger, department_code, task_title, task_kind, due_hours}]}"),
    R("GET", "/api/v1/incidents", incidents_list, "taskforce.read", "Incidents in scope (?unit_id=)"),
    R("POST", "/api/v1/incidents", incidents_create, "incident.write",
      "Report an incident {unit_id, title, description, occurred_at, severity minor|serious|major|critical, "
      "people_affected, injuries, fatalities}; serious and above form a task force at once"),
    R("GET", "/api/v1/incidents/{id}", incidents_get, "taskforce.read", "One incident, with its task force"),
    R("GET", "/api/v1/drill-scenarios", scenarios_list, "taskforce.read",
      "The collaboration stress test's scenarios (协同压力测试: 硫化氢泄漏, 罐区发现重大事故隐患, ...)"),
    R("GET", "/api/v1/drills", drills_list, "taskforce.read", "Drills run in the caller's scope, newest first"),
    R("POST", "/api/v1/drills", drills_start, "drill.run",
      "Start a drill {scenario, unit_id}: a task force marked as a drill and, where the scenario says so, a "
      "【演练】 alarm through the early-warning engine"),
    R("GET", "/api/v1/drills/{id}", drills_get, "taskforce.read",
      "A drill's report: the alarm's acknowledgement, each step's time by department and person, next to "
      "the earlier drills of the scenario"),
};
const size_t api_taskforce_nroutes = sizeof api_taskforce_routes / sizeof api_taskforce_routes[0];
