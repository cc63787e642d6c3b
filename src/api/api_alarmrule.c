/* api_alarmrule.c — the alarm rule sets over REST (docs/internals/alarm.md
 * "Rules"; src/alarm/ruleset.h):
 *
 *   GET  /api/v1/alarm-rules                            every version, oldest first
 *   GET  /api/v1/alarm-rules/{version}                  one version with its rules
 *   POST /api/v1/alarm-rules ?dry_run=1                 a new, inactive version
 *        {"comment": "why", "rules": [...]}             (dry run: only validated)
 *   POST /api/v1/alarm-rules/{version}/actions/activate make it the active one
 *   POST /api/v1/alarm-rules/backtest                   what a version, or a draft's
 *        {"version": N | "rules": [...],                rules, would have raised on
 *         "from", "to", "tags": [...]}                  the stored history (试算)
 *
 * Permissions: "alarmrule.read" (admins, managers, safety officers:
 * the quarterly rule-library review) and "alarmrule.write" (admins). Rule
 * sets are install-wide, not tied to a unit; a backtest replays the points
 * and process monitors of the caller's scope only. A refused rule names its
 * field as a path into the body: "rules[3].window_s".
 *
 * A backtest runs on the request's thread, one at a time (429 while another
 * runs), over at most BT_MAX_DAYS and BT_MAX_READINGS stored readings (413
 * naming "to" beyond them: the CLI has no bound). Default range: the 7 days
 * before now; a `to` up to a day ahead (a client's clock) ends at now. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/ruleset.h"
#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"
#include "telemetry/series.h"
#include "warn/backtest.h"
#include "warn/warn.h"

#define BT_MAX_DAYS 92
#define BT_DEFAULT_DAYS 7
#define BT_MAX_READINGS INT64_C(20000000)
#define BT_MAX_TAGS 64

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
typedef struct bt_body {
    int64_t version;
    json_t *rules;
    int64_t from, to;
    json_t *tags;
} bt_body;

static const json_field bt_fields[] = {
    {"version", JF_ID, false, false, offsetof(bt_body, version), 0, 0, 0, -1},
    {"rules", JF_ARRAY, false, false, offsetof(bt_body, rules), RULE_MAX, 0, 0, -1},
    {"from", JF_TIME, false, false, offsetof(bt_body, from), 0, 0, 0, -1},
    {"to", JF_TIME, false, false, offsetof(bt_body, to), 0, 0, 0, -1},
    {"tags", JF_ARRAY, false, false, offsetof(bt_body, tags), BT_MAX_TAGS, 0, 0, -1},
};
#define N_BT (sizeof bt_fields / sizeof bt_fields[0])
enum { BT_HAS_FROM = 1u << 2, BT_HAS_TO = 1u << 3 }; /* api_decode's present: bit i for bt_fields[i] */

static atomic_flag bt_running = ATOMIC_FLAG_INIT;

/* The set to replay: a stored version's or the draft's rules. */
static ws_err bt_set(api_ctx *ctx, const bt_body *b, rule_set *set)
{
    if ((b->version > 0) == (b->rules != NULL))
        return ws_fail(WS_EINVAL, b->version > 0 ? "rules" : "version",
                       "give either version (a stored rule set) or rules (a draft), not both");
    if (b->rules) {
        json_t *doc = json_object();
        json_object_set(doc, "rules", b->rules);
        char *txt = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!txt) return ws_fail(WS_ENOMEM, NULL, "out of memory");
        ws_err rc = rule_set_parse(txt, strlen(txt), set);
        free(txt);
        return rc;
    }
    alarm_ruleset_row r;
    ws_err rc = alarm_ruleset_get(ctx->conn, b->version, &r);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "version", "no such alarm rule set version");
    if (rc) return rc;
    rc = rule_set_parse(r.doc, strlen(r.doc), set);
    alarm_ruleset_row_free(&r);
    return rc;
}

/* POST /api/v1/alarm-rules/backtest */
static ws_err sets_backtest(api_ctx *ctx)
{
    bt_body b = {0};
    json_t *root = NULL;
    uint64_t present = 0;
    ws_err rc = api_decode(ctx, bt_fields, N_BT, &b, &present, &root);
    if (rc) return rc;
    int64_t now = clock_now_ms();
    if (!(present & BT_HAS_TO)) b.to = now;
    if (!(present & BT_HAS_FROM)) b.from = b.to - BT_DEFAULT_DAYS * INT64_C(86400000);
    const char *tags[BT_MAX_TAGS];
    int ntags = 0;
    rule_set *set = NULL;
    warn_backtest *res = NULL;
    bool held = false;
    if (b.from >= b.to) {
        rc = ws_fail(WS_EINVAL, "from", "from must be before to");
        goto out;
    }
    if (b.to > now + 86400000) {
        rc = ws_fail(WS_EINVAL, "to", "to must not be in the future");
        goto out;
    }
    if (b.to > now) b.to = now; /* a client's clock a little ahead: the history ends now */
    if (b.from >= b.to) {
        rc = ws_fail(WS_EINVAL, "from", "from must be before now");
        goto out;
    }
    if (b.to - b.from > BT_MAX_DAYS * INT64_C(86400000)) {
        rc = ws_fail(WS_EINVAL, "from", "a backtest spans at most %d days here "
                     "(`worksafe rules backtest` has no bound)", BT_MAX_DAYS);
        goto out;
    }
    for (size_t i = 0; b.tags && i < json_array_size(b.tags); i++) {
        const char *t = json_string_value(json_array_get(b.tags, i));
        if (!t || !*t) {
            char f[32];
            snprintf(f, sizeof f, "tags[%zu]", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be a point's tag", f);
            goto out;
        }
        tags[ntags++] = t;
    }
    set = calloc(1, sizeof *set);
    if (!set) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if ((rc = bt_set(ctx, &b, set))) goto out;
    struct series *s = api_series();
    if (!s) {
        rc = ws_fail(WS_EUNAVAILABLE, NULL, "the series store is not open");
        goto out;
    }
    if (atomic_flag_test_and_set(&bt_running)) {
        rc = ws_fail(WS_ERATE, NULL, "another backtest is running; try again when it has finished");
        goto out;
    }
    held = true;
    warn_backtest_opts o = {b.from, b.to, ctx->who.scope_path, tags, ntags, BT_MAX_READINGS};
    int64_t t0 = clock_mono_ms();
    rc = warn_backtest_run(ctx->conn, s, set, &o, &res);
    if (rc) goto out;
    json_t *j = warn_backtest_json(res, b.version);
    json_object_set_new(j, "elapsed_ms", json_integer(clock_mono_ms() - t0));
    rc = api_reply_json(ctx, 200, j);
out:
    if (held) atomic_flag_clear(&bt_running);
    warn_backtest_free(res);
    free(set);
    json_decref(root);
    return rc;
}

const api_route api_alarmrule_routes[] = {
    R("GET", "/api/v1/alarm-rules", sets_list, "alarmrule.read",
      "Every version of the alarm rule set (roc, stale/offline, flatline, count, composite), "
      "oldest first, with the active flag", NULL, 0),
    R("GET", "/api/v1/alarm-rules/{version}", sets_get, "alarmrule.read",
      "One version of the alarm rule set with its rules", NULL, 0),
    R("POST", "/api/v1/alarm-rules", sets_create, "alarmrule.write",
      "Add a new, inactive version of the alarm rule set, checked strictly (a refusal names "
      "the field, e.g. rules[3].window_s); ?dry_run=1 only validates", set_fields, N_SET),
    R("POST", "/api/v1/alarm-rules/backtest", sets_backtest, "alarmrule.read",
      "What a stored version (version) or a draft (rules) would have raised on the stored "
      "history from..to (default: the last 7 days; at most 92) for the points and process "
      "monitors in the caller's scope: per rule and source the raises, time active and first "
      "raises (试算, as `worksafe rules backtest`); one at a time", bt_fields, N_BT),
    R("POST", "/api/v1/alarm-rules/{version}/actions/activate", sets_activate, "alarmrule.write",
      "Make a version the active alarm rule set (the engine reloads it)", NULL, 0),
};
const size_t api_alarmrule_nroutes = sizeof api_alarmrule_routes / sizeof api_alarmrule_routes[0];
