/* api_monitor.c — process monitors (多变量过程监控, src/warn/monitor.c) over REST:
 *
 *   GET  /api/v1/process-monitors ?unit_id= (subtree) &active=   newest first
 *   POST /api/v1/process-monitors ?dry_run=1                     train and start one (dry run:
 *                                                                train and backtest only)
 *        {"name", "unit_id", "point_ids":[…], "train_from", "train_to",
 *         "level"?, "on_delay_min"?, "comment"?,
 *         "run_point_id"?, "run_min"?, "run_max"?}                 the run condition 运行工况
 *   GET  /api/v1/process-monitors/{id}                           with the last 240 minutes
 *   POST /api/v1/process-monitors/{id}/actions/deactivate        stop it for good
 *
 * Permissions: "monitor.read" (admins, managers, safety officers,
 * department heads) and "monitor.write" (admins, managers, safety
 * officers), each on the monitor's unit; outside the scope 404. Training
 * runs while the request waits: the largest monitor (32 points, 14 days,
 * 20,160 minutes) fits in about 0.5 s on the 2-core test machine (release
 * build), besides reading its minute buckets from the series store. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "telemetry/point.h"
#include "warn/warn.h"

#define NF(a) (sizeof(a) / sizeof((a)[0]))

static const char *state_name(warn_mon_state s)
{
    switch (s) {
    case WARN_MON_WAITING: return "waiting";
    case WARN_MON_NORMAL: return "normal";
    case WARN_MON_ABNORMAL: return "abnormal";
    case WARN_MON_NO_DATA: return "no_data";
    case WARN_MON_IDLE: return "idle";
    default: return "inactive";
    }
}

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* c, when given (one monitor), adds each point's unit of measure. */
static json_t *monitor_json(store_conn *c, const warn_monitor *m, bool history)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(m->id));
    json_object_set_new(o, "unit_id", json_id(m->unit_id));
    json_object_set_new(o, "name", json_str(m->name));
    json_object_set_new(o, "comment", json_str(m->comment));
    json_object_set_new(o, "level", json_integer(m->level));
    json_object_set_new(o, "on_delay_min", json_integer(m->on_delay_min));
    json_object_set_new(o, "train_from", json_time(m->train_from));
    json_object_set_new(o, "train_to", json_time(m->train_to));
    json_object_set_new(o, "samples", json_integer(m->samples));
    json_object_set_new(o, "components", m->components > 0 ? json_integer(m->components) : json_null());
    json_object_set_new(o, "active", json_boolean(m->active));
    json_object_set_new(o, "created_by_person_id", json_id(m->created_by_person_id));
    json_object_set_new(o, "created_at", json_time(m->created_at));
    json_object_set_new(o, "deactivated_at", json_time(m->deactivated_at));
    json_object_set_new(o, "state", json_str(state_name(m->state)));
    bool judged = m->last_minute > 0 && m->state != WARN_MON_INACTIVE;
    json_object_set_new(o, "last_minute", judged ? json_time(m->last_minute) : json_null());
    json_object_set_new(o, "ratio", judged && m->state != WARN_MON_NO_DATA ? num_or_null(m->ratio) : json_null());
    json_object_set_new(o, "missing_point_id", m->state == WARN_MON_NO_DATA ? json_id(m->missing_point_id) : json_null());
    json_t *pts = json_array();
    warn *w = api_warn();
    for (int j = 0; j < m->npoints; j++) {
        json_t *p = json_object();
        warn_latest l;
        bool known = w && !warn_point_latest(w, m->point_ids[j], &l);
        json_object_set_new(p, "id", json_id(m->point_ids[j]));
        json_object_set_new(p, "tag", known ? json_str(l.tag) : json_null());
        json_object_set_new(p, "value", known && l.src_ms ? num_or_null(l.value) : json_null());
        json_object_set_new(p, "contribution", judged && m->state != WARN_MON_NO_DATA ? json_real(m->contrib[j]) : json_null());
        json_object_set_new(p, "hold_min", json_integer(m->hold_min[j]));
        point pt;
        if (c && !point_get(c, m->point_ids[j], &pt)) json_object_set_new(p, "uom", json_str(pt.uom));
        json_array_append_new(pts, p);
    }
    json_object_set_new(o, "points", pts);
    json_t *run = json_null();
    if (m->run_point_id) {
        warn_latest l;
        run = json_object();
        json_object_set_new(run, "point_id", json_id(m->run_point_id));
        json_object_set_new(run, "tag", w && !warn_point_latest(w, m->run_point_id, &l) ? json_str(l.tag) : json_null());
        json_object_set_new(run, "min", num_or_null(m->run_min));
        json_object_set_new(run, "max", num_or_null(m->run_max));
    }
    json_object_set_new(o, "run", run);
    if (history) {
        json_t *h = json_array();
        for (int k = 0; k < m->nhist; k++) {
            json_t *e = json_array();
            json_array_append_new(e, json_time(m->hist_t[k]));
            json_array_append_new(e, num_or_null(m->hist_ratio[k]));
            json_array_append_new(h, e);
        }
        json_object_set_new(o, "history", h);
    }
    return o;
}

static ws_err need_engine(void)
{
    return api_warn() ? WS_OK : ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
}

/* GET /api/v1/process-monitors */
static ws_err monitors_list(api_ctx *ctx)
{
    int64_t unit_id = 0;
    int active = -1;
    ws_err rc = need_engine();
    if (!rc) rc = api_query_id(ctx, "unit_id", &unit_id);
    if (!rc) rc = api_query_bool(ctx, "active", &active);
    warn_monitor *items = NULL;
    size_t n = 0;
    if (!rc) rc = warn_monitor_list(api_warn(), ctx->conn, ctx->who.scope_path, unit_id, active, &items, &n);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, monitor_json(NULL, &items[i], false));
    free(items);
    json_t *o = json_object();
    json_object_set_new(o, "items", a);
    return api_reply_json(ctx, 200, o);
}

static json_t *backtest_json(const warn_monitor_backtest *b)
{
    json_t *o = json_object(), *a = json_array();
    json_object_set_new(o, "from", json_time(b->from));
    json_object_set_new(o, "to", json_time(b->to));
    json_object_set_new(o, "minutes", json_integer(b->minutes));
    json_object_set_new(o, "outside", json_integer(b->outside));
    json_object_set_new(o, "max_ratio", b->minutes ? json_real(b->max_ratio) : json_null());
    json_object_set_new(o, "alarms", json_integer(b->alarms));
    for (int i = 0; i < b->nlisted; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "raised_at", json_time(b->raised[i]));
        json_object_set_new(e, "cleared_at", json_time(b->cleared[i]));
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "listed", a);
    return o;
}

/* One monitor the caller may read: WS_ENOTFOUND outside the scope; with
 * bt (a creation), its backtest too. */
static ws_err reply_one(api_ctx *ctx, int status, int64_t id, const warn_monitor_backtest *bt)
{
    warn_monitor *m = malloc(sizeof *m);
    if (!m) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = warn_monitor_get(api_warn(), ctx->conn, id, m);
    if (!rc) {
        auth_resource r = {0};
        r.unit_path = m->unit_path;
        rc = auth_decide(&ctx->who, "monitor.read", &r);
    }
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such process monitor");
    if (!rc) {
        json_t *o = monitor_json(ctx->conn, m, true);
        if (bt) json_object_set_new(o, "backtest", backtest_json(bt));
        rc = api_reply_json(ctx, status, o);
    }
    free(m);
    return rc;
}

/* GET /api/v1/process-monitors/{id} */
static ws_err monitors_get(api_ctx *ctx)
{
    int64_t id = 0;
    ws_err rc = need_engine();
    if (!rc) rc = api_param_id(ctx, 0, &id);
    return rc ? rc : reply_one(ctx, 200, id, NULL);
}

typedef struct {
    int64_t unit_id, train_from, train_to, level, on_delay_min, run_point_id;
    double run_min, run_max;
    const char *name, *comment;
    json_t *point_ids;
} monitor_body;
static const json_field monitor_fields[] = {
    {"name", JF_STRING, true, false, offsetof(monitor_body, name), WARN_MON_NAME_MAX, 0, 0, -1},
    {"unit_id", JF_ID, true, false, offsetof(monitor_body, unit_id), 0, 0, 0, -1},
    {"point_ids", JF_ARRAY, true, false, offsetof(monitor_body, point_ids), WARN_MON_POINTS_MAX, 0, 0, -1},
    {"train_from", JF_TIME, true, false, offsetof(monitor_body, train_from), 0, 0, 0, -1},
    {"train_to", JF_TIME, true, false, offsetof(monitor_body, train_to), 0, 0, 0, -1},
    {"level", JF_INT, false, false, offsetof(monitor_body, level), 0, 1, 3, -1},
    {"on_delay_min", JF_INT, false, false, offsetof(monitor_body, on_delay_min), 0, 1, 60, -1},
    {"comment", JF_STRING, false, true, offsetof(monitor_body, comment), WARN_MON_COMMENT_MAX, 0, 0, -1},
    {"run_point_id", JF_ID, false, true, offsetof(monitor_body, run_point_id), 0, 0, 0, -1},
    {"run_min", JF_NUMBER, false, false, offsetof(monitor_body, run_min), 0, 0, 0, -1},
    {"run_max", JF_NUMBER, false, false, offsetof(monitor_body, run_max), 0, 0, 0, -1},
};

/* POST /api/v1/process-monitors (?dry_run=1) */
static ws_err monitors_create(api_ctx *ctx)
{
    int dry = 0;
    ws_err rc = need_engine();
    if (!rc) rc = api_query_bool(ctx, "dry_run", &dry);
    monitor_body b = {.run_min = NAN, .run_max = NAN};
    json_t *root = NULL;
    if (!rc) rc = api_decode(ctx, monitor_fields, NF(monitor_fields), &b, NULL, &root);
    if (rc) return rc;
    int64_t ids[WARN_MON_POINTS_MAX];
    size_t np = json_array_size(b.point_ids);
    for (size_t j = 0; !rc && j < np; j++) {
        json_t *e = json_array_get(b.point_ids, j);
        if (json_is_integer(e) && json_integer_value(e) > 0) {
            ids[j] = json_integer_value(e);
            continue;
        }
        char f[40];
        snprintf(f, sizeof f, "point_ids[%zu]", j);
        rc = ws_fail(WS_EINVAL, f, "%s must be a point id", f);
    }
    if (!rc && !b.run_point_id && (!isnan(b.run_min) || !isnan(b.run_max)))
        rc = ws_fail(WS_EINVAL, "run_point_id", "run_min and run_max need the run condition's point");
    char actor_name[32];
    audit_actor actor = {api_actor(ctx, actor_name, sizeof actor_name)};
    org_caller by = {&actor, &ctx->who};
    warn_monitor_in in = {.unit_id = b.unit_id, .name = b.name, .comment = b.comment, .point_ids = ids,
                          .npoints = (int)np, .train_from = b.train_from, .train_to = b.train_to,
                          .level = (int)b.level, .on_delay_min = (int)b.on_delay_min,
                          .run_point_id = b.run_point_id, .run_min = b.run_min, .run_max = b.run_max};
    int64_t id = 0;
    warn_monitor_fit fit;
    warn_monitor_backtest bt;
    if (!rc) rc = warn_monitor_create(api_warn(), ctx->conn, &by, &in, dry == 1, &bt, &fit, &id);
    json_decref(root);
    if (rc) return rc;
    if (dry == 1) {
        json_t *o = json_object();
        json_object_set_new(o, "valid", json_true());
        json_object_set_new(o, "components", json_integer(fit.components));
        json_t *holds = json_array();
        for (size_t j = 0; j < np; j++) json_array_append_new(holds, json_integer(fit.hold_min[j]));
        json_object_set_new(o, "hold_min", holds);
        json_object_set_new(o, "backtest", backtest_json(&bt));
        return api_reply_json(ctx, 200, o);
    }
    return reply_one(ctx, 201, id, &bt);
}

/* POST /api/v1/process-monitors/{id}/actions/deactivate */
static ws_err monitors_deactivate(api_ctx *ctx)
{
    int64_t id = 0;
    ws_err rc = need_engine();
    if (!rc) rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_no_body(ctx);
    if (rc) return rc;
    char actor_name[32];
    audit_actor actor = {api_actor(ctx, actor_name, sizeof actor_name)};
    org_caller by = {&actor, &ctx->who};
    rc = warn_monitor_deactivate(api_warn(), ctx->conn, &by, id);
    return rc ? rc : reply_one(ctx, 200, id, NULL);
}

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "process monitors", body, nbody, 0}
const api_route api_monitor_routes[] = {
    R("GET", "/api/v1/process-monitors", monitors_list, "monitor.read",
      "Process monitors 多变量过程监控 in the caller's scope (?unit_id= subtree, &active=), newest "
      "first, each with its state (waiting, normal, abnormal, no_data, inactive), the last minute "
      "judged, its statistic over the limit (ratio) and each point's share of it",
      NULL, 0),
    R("POST", "/api/v1/process-monitors", monitors_create, "monitor.write",
      "Train and start a monitor of 2..32 points of a unit on the 1-minute means of a window of "
      "normal operation (24 h .. 14 days, in the past); it raises an alarm of level (default 1 预警) "
      "when the group leaves its normal region for on_delay_min minutes (default 3). Refusals name "
      "the field: point_ids[i] (unknown, outside the unit, constant, sampled less often than every "
      "30 minutes), train_from (too few minutes). A point sampled less often than every minute or "
      "two keeps its last value for twice its interval (hold_min, learnt from the window; 5 "
      "otherwise) and is not waited for. With a run condition (run_point_id and run_min and/or "
      "run_max) only the minutes in which that point's mean lies in the range are trained on and "
      "judged; the others are state idle and clear an alarm as normal minutes do. "
      "The reply's backtest says what it would have raised on the stored minutes after its window "
      "(up to 7 days, to now), which it judges first; ?dry_run=1 trains and backtests only (200)",
      monitor_fields, NF(monitor_fields)),
    R("GET", "/api/v1/process-monitors/{id}", monitors_get, "monitor.read",
      "One monitor with the last 240 minutes judged: history [[minute, ratio], …]", NULL, 0),
    R("POST", "/api/v1/process-monitors/{id}/actions/deactivate", monitors_deactivate, "monitor.write",
      "Stop a monitor for good (retraining is a new monitor); its alarm clears", NULL, 0),
};
const size_t api_monitor_nroutes = NF(api_monitor_routes);
