/* api_dashboard.c — the collaboration dashboard (docs/internals/dashboard.md):
 *
 *   GET /api/v1/dashboard/collaboration ?unit_id=&from=&to=   (default: the last 30 days)
 *   GET /api/v1/dashboard/committee-list ?unit_id=&format=xlsx
 *
 * Permission: dashboard.read (admin, manager, safety officer, department
 * head, regulator) in the caller's scope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "core/clock.h"
#include "core/json.h"
#include "dashboard/dashboard.h"
#include "org/org.h"

static ws_err unit_in_scope(api_ctx *ctx, int64_t *unit)
{
    ws_err rc = api_query_id(ctx, "unit_id", unit);
    if (rc || !*unit) return rc;
    org_unit u;
    rc = org_unit_get(ctx->conn, *unit, &u);
    if (!rc && !auth_in_scope(&ctx->who, u.path)) rc = WS_ENOTFOUND;
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit (unit_id)");
    return rc;
}

static ws_err collaboration(api_ctx *ctx)
{
    int64_t unit = 0, now = clock_now_ms(), from = now - 30LL * 86400000, to = now + 1;
    ws_err rc = unit_in_scope(ctx, &unit);
    const char *f = api_query(ctx, "from"), *t = api_query(ctx, "to");
    if (!rc && f && clock_parse_rfc3339(f, &from)) rc = ws_fail(WS_EINVAL, "from", "from is a time (RFC 3339)");
    if (!rc && t && clock_parse_rfc3339(t, &to)) rc = ws_fail(WS_EINVAL, "to", "to is a time (RFC 3339)");
    json_t *o = NULL;
    if (!rc) rc = dashboard_collaboration(ctx->conn, ctx->who.scope_path, unit, from, to, NULL, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static const ledger_col list_cols[] = {
    {"类别", LEDGER_TEXT, 10}, {"事项", LEDGER_TEXT, 40}, {"等级/状态", LEDGER_TEXT, 12},
    {"责任部门", LEDGER_TEXT, 16}, {"地点", LEDGER_TEXT, 16}, {"起始", LEDGER_TIME, 17},
};
static const ledger_spec list_spec = {"安委会跨部门风险清单", "安全生产委员会跨部门风险清单", true, list_cols,
                                      sizeof list_cols / sizeof list_cols[0], 0};

static ws_err committee_list(api_ctx *ctx)
{
    int64_t unit = 0;
    ledger_format fmt;
    bool file = false;
    ws_err rc = unit_in_scope(ctx, &unit);
    if (!rc) rc = api_ledger_format(ctx, &fmt, &file);
    json_t *items = NULL;
    if (!rc) rc = dashboard_committee_list(ctx->conn, ctx->who.scope_path, unit, &items);
    if (rc) return rc;
    if (!file) return api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
    ledger *l = NULL;
    if ((rc = ledger_open(&list_spec, fmt, &l))) {
        json_decref(items);
        return rc;
    }
    static const char *const kinds[][2] = {{"risk", "较大及以上风险"}, {"hazard", "重大/超期隐患"}, {"task_force", "专项组"}};
    static const char *const words[][2] = {{"major", "重大"}, {"high", "较大"}};
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x) {
        if (rc) break;
        const char *k = json_string_value(json_object_get(x, "kind")), *kz = k;
        for (size_t j = 0; j < 3; j++)
            if (!strcmp(kinds[j][0], k)) kz = kinds[j][1];
        /* the status column in the page's words: a risk's level, a hazard's
         * state (已超期 when overdue), a task force's open tasks */
        const char *lv = json_string_value(json_object_get(x, "level")), *st = lv;
        char tasks[48];
        for (size_t j = 0; lv && j < 2; j++)
            if (!strcmp(words[j][0], lv)) st = words[j][1];
        if (!lv && !strcmp(k, "hazard"))
            st = json_is_true(json_object_get(x, "overdue"))
                     ? "已超期"
                     : api_hazard_state_zh(json_string_value(json_object_get(x, "state")));
        else if (!lv) {
            snprintf(tasks, sizeof tasks, "%lld 项任务未完成",
                     (long long)json_integer_value(json_object_get(x, "open_tasks")));
            st = tasks;
        }
        int64_t since = 0;
        const char *s = json_string_value(json_object_get(x, "since"));
        if (s) clock_parse_rfc3339(s, &since);
        rc = ledger_text(l, kz);
        if (!rc) rc = ledger_text(l, json_string_value(json_object_get(x, "title")));
        if (!rc) rc = ledger_text(l, st);
        if (!rc) rc = ledger_text(l, json_string_value(json_object_get(x, "department")));
        if (!rc) rc = ledger_text(l, json_string_value(json_object_get(x, "where")));
        if (!rc) rc = ledger_time(l, since, NULL);
        if (!rc) rc = ledger_row_end(l);
    }
    json_decref(items);
    if (rc) {
        ledger_free(l);
        return rc;
    }
    return api_ledger_reply(ctx, &list_spec, fmt, l, NULL);
}

#define R(m, p, fn, act, sum) {m, p, fn, API_AUTH, act, sum, "dashboard", NULL, 0, 0}
const api_route api_dashboard_routes[] = {
    R("GET", "/api/v1/dashboard/collaboration", collaboration, "dashboard.read",
      "How fast the organisation responds (?unit_id=, &from=&to=, default the last 30 days): report to first "
      "action and assignment to done (median, p90), return and rejection rates, satisfaction, overdue work by "
      "department"),
    R("GET", "/api/v1/dashboard/committee-list", committee_list, "dashboard.read",
      "The cross-department risk list for the safety committee (?unit_id=, &format=xlsx): major and high risks, "
      "open major or overdue hazards, open task forces, each with its department"),
};
const size_t api_dashboard_nroutes = sizeof api_dashboard_routes / sizeof api_dashboard_routes[0];
