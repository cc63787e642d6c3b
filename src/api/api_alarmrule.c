/* api_alarmrule.c — the alarm rule sets over REST (docs/internals/alarm.md
 * "Rules"; src/alarm/ruleset.h):
 *
 *   GET  /api/v1/alarm-rules                            every version, oldest first
 *   GET  /api/v1/alarm-rules/{version}                  one version with its rules
 *   POST /api/v1/alarm-rules ?dry_run=1                 a new, inactive version
 *        {"comment": "why", "rules": [...]}             (dry run: only validated)
 *   POST /api/v1/alarm-rules/{version}/actions/activate make it the active one
 *
 * Permissions: "alarmrule.read" (admins, managers, safety officers:
 * the quarterly rule-library review) and "alarmrule.write" (admins). Rule
 * sets are install-wide, not tied to a unit. A refused rule names its field
 * as a path into the body: "rules[3].window_s". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/ruleset.h"
#include "api/api.h"
#include "core/log.h"
#include "warn/warn.h"

static json_t *row_json(const alarm_ruleset_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(r->version));
    json_object_set_new(o, "comment", json_string(r->comment));
    json_object_set_new(o, "created_by_person_id", json_id(r->created_by_person_id));
    json_object_set_new(o, "created_at", json_time(r->created_at));
    json_object_set_new(o, "active", json_boolean(r->active));
    if (r->doc) {
        json_t *d = json_loads(r->doc, 0, NULL);
        json_t *rules = d ? json_object_get(d, "rules") : NULL;
        json_object_set(o, "rules", rules ? rules : json_array());
        json_decref(d);
    }
    return o;
}

/* GET /api/v1/alarm-rules */
static ws_err sets_list(api_ctx *ctx)
{
    alarm_ruleset_row *items = NULL;
    size_t n = 0;
    ws_err rc = alarm_ruleset_list(ctx->conn, &items, &n);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, row_json(&items[i]));
    free(items);
    json_t *o = json_object();
    json_object_set_new(o, "items", a);
    return api_reply_json(ctx, 200, o);
}

static ws_err version_param(api_ctx *ctx, int64_t *v)
{
    ws_err rc = api_param_id(ctx, 0, v);
    if (rc) return ws_fail(WS_ENOTFOUND, "version", "no such alarm rule set version");
    return WS_OK;
}

/* GET /api/v1/alarm-rules/{version} */
static ws_err sets_get(api_ctx *ctx)
{
    int64_t v;
    ws_err rc = version_param(ctx, &v);
    if (rc) return rc;
    alarm_ruleset_row r;
    rc = alarm_ruleset_get(ctx->conn, v, &r);
    if (rc) return rc;
    json_t *o = row_json(&r);
    alarm_ruleset_row_free(&r);
    return api_reply_json(ctx, 200, o);
}

typedef struct {
    const char *comment;
    json_t *rules;
} set_body;

static const json_field set_fields[] = {
    {"comment", JF_STRING, true, false, offsetof(set_body, comment), ALARM_RULESET_COMMENT_MAX, 0,
     0, -1},
    {"rules", JF_ARRAY, true, false, offsetof(set_body, rules), RULE_MAX, 0, 0, -1},
};
#define N_SET (sizeof set_fields / sizeof set_fields[0])

static void actor_of(api_ctx *ctx, audit_actor *a, char *name, size_t cap, org_caller *by)
{
    a->name = api_actor(ctx, name, cap);
    by->actor = a;
    by->subject = &ctx->who;
}

/* POST /api/v1/alarm-rules (?dry_run=1) */
static ws_err sets_create(api_ctx *ctx)
{
    int dry = -1;
    ws_err rc = api_query_bool(ctx, "dry_run", &dry);
    if (rc) return rc;
    set_body b = {0};
    json_t *root = NULL;
    rc = api_decode(ctx, set_fields, N_SET, &b, NULL, &root);
    if (rc) return rc;
    json_t *doc = json_object();
    json_object_set(doc, "rules", b.rules);
    char *txt = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char comment[ALARM_RULESET_COMMENT_MAX + 1];
    snprintf(comment, sizeof comment, "%s", b.comment);
    size_t nrules = json_array_size(b.rules);
    json_decref(root);
    if (!txt) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    char name[32];
    audit_actor a;
    org_caller by;
    actor_of(ctx, &a, name, sizeof name, &by);
    int64_t v = 0;
    rc = alarm_ruleset_create(ctx->conn, &by, txt, strlen(txt), comment, dry == 1, &v);
    free(txt);
    if (rc) return rc;
    if (dry == 1) {
        json_t *o = json_object();
        json_object_set_new(o, "valid", json_true());
        json_object_set_new(o, "rules", json_integer((json_int_t)nrules));
        return api_reply_json(ctx, 200, o);
    }
    alarm_ruleset_row r;
    rc = alarm_ruleset_get(ctx->conn, v, &r);
    if (rc) return rc;
    json_t *o = row_json(&r);
    alarm_ruleset_row_free(&r);
    return api_reply_json(ctx, 201, o);
}

/* POST /api/v1/alarm-rules/{version}/actions/activate */
static ws_err sets_activate(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    int64_t v;
    ws_err rc = version_param(ctx, &v);
    if (rc) return rc;
    char name[32];
    audit_actor a;
    org_caller by;
    actor_of(ctx, &a, name, sizeof name, &by);
    rc = alarm_ruleset_activate(ctx->conn, &by, v);
    if (rc) return rc;
    /* the engine evaluates the new version from now on */
    if (api_warn() && warn_reload_rules(api_warn()))
        log_warn("the engine did not load the activated rule set", "detail", ws_err_message());
    alarm_ruleset_row r;
    rc = alarm_ruleset_get(ctx->conn, v, &r);
    if (rc) return rc;
    json_t *o = row_json(&r);
    alarm_ruleset_row_free(&r);
    return api_reply_json(ctx, 200, o);
}

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "alarms", body, nbody}
const api_route api_alarmrule_routes[] = {
    R("GET", "/api/v1/alarm-rules", sets_list, "alarmrule.read",
      "Every version of the alarm rule set (roc, stale/offline, flatline, count, composite), "
      "oldest first, with the active flag", NULL, 0),
    R("GET", "/api/v1/alarm-rules/{version}", sets_get, "alarmrule.read",
      "One version of the alarm rule set with its rules", NULL, 0),
    R("POST", "/api/v1/alarm-rules", sets_create, "alarmrule.write",
      "Add a new, inactive version of the alarm rule set, checked strictly (a refusal names "
      "the field, e.g. rules[3].window_s); ?dry_run=1 only validates", set_fields, N_SET),
    R("POST", "/api/v1/alarm-rules/{version}/actions/activate", sets_activate, "alarmrule.write",
      "Make a version the active alarm rule set (the engine reloads it)", NULL, 0),
};
const size_t api_alarmrule_nroutes = sizeof api_alarmrule_routes / sizeof api_alarmrule_routes[0];
