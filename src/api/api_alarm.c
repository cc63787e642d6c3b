/* api_alarm.c — alarms over REST (issue 4 item 5), read from the alarms
 * table and changed through the engine (src/warn), which owns the state:
 *
 *   GET  /api/v1/alarms ?state=open|closed|all (default open) &unit_id= &level= &from= &to=
 *                       &q= (tag or title) &limit= &before=; &format=xlsx|csv: the 报警记录台账
 *   GET  /api/v1/alarms/{id}                      with its events
 *   POST /api/v1/alarms/{id}/actions/ack          {}
 *   POST /api/v1/alarms/{id}/actions/shelve       {"reason","until","approver_person_id"}
 *   POST /api/v1/alarms/{id}/actions/unshelve     {}
 *   POST /api/v1/alarms/{id}/actions/close        {"cause","action"}
 *   POST /api/v1/alarms/actions/ack               {"ids":[…]} several at once (1..200)
 *
 * Permissions: alarm.read (every role, in its scope) and alarm.ack (not the
 * regulator) on the alarm's unit; outside the scope 404. An action answers
 * with the alarm as stored after the fsynced change; the bulk ack answers
 * {"acked":[ids],"skipped":[{"id","reason"}]}. */
#include <math.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "core/buf.h"
#include "core/clock.h"
#include "notify/acklink.h"
#include "org/org.h"
#include "plant/plant.h"
#include "store/q_warn.h"
#include "telemetry/response.h"
#include "warn/warn.h"

static json_t *num(double v) { return isnan(v) ? json_null() : json_real(v); }

#define RESPONSE_FIRST_MAX 200 /* bytes of the first step in a list row */

/* The alarm at the current row of st (Q_ALARM_COLS order); *path its unit path. */
static json_t *alarm_row(store_stmt *st, char *path, size_t cap)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(store_col_int(st, 0)));
    json_object_set_new(o, "rule_id", json_integer(store_col_int(st, 1)));
    json_object_set_new(o, "source_id", json_integer(store_col_int(st, 2)));
    json_object_set_new(o, "point_id", json_id(store_col_int(st, 3)));
    json_object_set_new(o, "tag", json_str(*store_col_text(st, 22) ? store_col_text(st, 22) : NULL));
    json_object_set_new(o, "unit_id", json_integer(store_col_int(st, 4)));
    json_object_set_new(o, "unit_name", json_str(store_col_text(st, 21)));
    json_object_set_new(o, "level", json_integer(store_col_int(st, 5)));
    const char *state = store_col_text(st, 6);
    json_object_set_new(o, "state", json_str(state));
    json_object_set_new(o, "open", json_boolean(store_col_int(st, 7)));
    json_object_set_new(o, "title", json_str(store_col_text(st, 8)));
    json_object_set_new(o, "value", num(store_col_opt_double(st, 9)));
    json_object_set_new(o, "uom", json_str(*store_col_text(st, 25) ? store_col_text(st, 25) : NULL));
    json_object_set_new(o, "count", json_integer(store_col_int(st, 10)));
    json_object_set_new(o, "raised_at", json_time(store_col_int(st, 11)));
    json_object_set_new(o, "acked_at", json_time(store_col_int(st, 12)));
    json_object_set_new(o, "acked_by", json_str(*store_col_text(st, 23) ? store_col_text(st, 23) : NULL));
    json_object_set_new(o, "cleared_at", json_time(store_col_int(st, 14)));
    json_object_set_new(o, "closed_at", json_time(store_col_int(st, 15)));
    json_object_set_new(o, "closed_by", json_str(*store_col_text(st, 24) ? store_col_text(st, 24) : NULL));
    /* the first step of the point's response card and its time limit */
    const char *act = store_col_text(st, 26);
    char first[RESPONSE_FIRST_MAX + 4] = "";
    size_t nl = strcspn(act, "\r\n");
    if (nl > RESPONSE_FIRST_MAX) nl = RESPONSE_FIRST_MAX;
    char line[RESPONSE_FIRST_MAX + 1];
    memcpy(line, act, nl);
    line[nl] = 0;
    str_append_utf8(first, sizeof first, line, RESPONSE_FIRST_MAX);
    json_object_set_new(o, "response_first", json_str(first[0] ? first : NULL));
    json_object_set_new(o, "response_min", act[0] ? json_integer(store_col_int(st, 27)) : json_null());
    json_object_set_new(o, "cause", json_str(store_col_text(st, 17)));
    json_object_set_new(o, "action", json_str(store_col_text(st, 18)));
    /* from the core's state: active, shelving, chattering, flood */
    json_error_t je;
    const char *doc = store_col_text(st, 19);
    json_t *d = doc ? json_loads(doc, 0, &je) : NULL;
    json_t *v;
    json_object_set_new(o, "active", json_boolean(d && (v = json_object_get(d, "active")) && json_is_true(v)));
    int64_t until = d && (v = json_object_get(d, "shelved_until")) ? json_integer_value(v) : 0;
    json_object_set_new(o, "shelved_until", json_time(until));
    json_object_set_new(o, "chattering", json_boolean(d && (v = json_object_get(d, "chattering")) && json_is_true(v)));
    int64_t fg = d && (v = json_object_get(d, "flood_group")) ? json_integer_value(v) : 0;
    json_object_set_new(o, "flood_group", json_id(fg));
    json_decref(d);
    snprintf(path, cap, "%s", store_col_text(st, 20));
    return o;
}

/* One alarm as JSON, checked for read scope (404 outside). */
static ws_err load(api_ctx *ctx, int64_t id, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    char path[AUTH_PATH_MAX];
    *out = NULL;
    ws_err rc = store_prepare(ctx->conn, Q_ALARM_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such alarm");
    if (!rc) {
        json_t *o = alarm_row(st, path, sizeof path);
        auth_resource r = {.unit_path = path};
        rc = auth_decide(&ctx->who, "alarm.read", &r);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such alarm");
        if (rc) json_decref(o);
        else *out = o;
    }
    store_finalize(st);
    return rc;
}

/* The list's filters (GET /alarms and its ledger). */
#define ALARM_Q_MAX 64 /* bytes of ?q= */

typedef struct alarm_filter {
    int open; /* 1 open, 0 closed, -1 all */
    int64_t unit, level, before, limit, from, to;
    char like[2 * ALARM_Q_MAX + 3]; /* ?q= as a LIKE pattern, "" none */
} alarm_filter;

static ws_err read_filter(api_ctx *ctx, alarm_filter *f)
{
    const char *state = api_query(ctx, "state");
    *f = (alarm_filter){.open = 1, .limit = 100};
    if (!state || !strcmp(state, "open")) f->open = 1;
    else if (!strcmp(state, "closed")) f->open = 0;
    else if (!strcmp(state, "all")) f->open = -1;
    else return ws_fail(WS_EINVAL, "state", "state is open, closed or all");
    ws_err rc = api_query_id(ctx, "unit_id", &f->unit);
    if (!rc) rc = api_query_id(ctx, "before", &f->before);
    const char *lv = api_query(ctx, "level");
    if (!rc && lv) {
        char *end;
        f->level = strtol(lv, &end, 10);
        if (*end || f->level < 1 || f->level > 3) rc = ws_fail(WS_EINVAL, "level", "level is 1, 2 or 3");
    }
    const char *lim = api_query(ctx, "limit");
    if (!rc && lim) {
        char *end;
        f->limit = strtol(lim, &end, 10);
        if (*end || f->limit < 1 || f->limit > 500) rc = ws_fail(WS_EINVAL, "limit", "limit is 1..500");
    }
    if (!rc) rc = api_query_time(ctx, "from", 0, &f->from);
    if (!rc) rc = api_query_time(ctx, "to", 0, &f->to);
    if (!rc && f->from && f->to && f->from >= f->to) rc = ws_fail(WS_EINVAL, "to", "to must be after from");
    const char *q = api_query(ctx, "q");
    if (!rc && q && *q && (strlen(q) > ALARM_Q_MAX || !store_like_contains(q, f->like, sizeof f->like)))
        rc = ws_fail(WS_EINVAL, "q", "q is longer than %d bytes", ALARM_Q_MAX);
    return rc;
}

/* sql (Q_ALARM_LIST or Q_ALARM_LEDGER) prepared and bound for f in the
 * caller's scope; *st the caller's. */
static ws_err prepare_list(api_ctx *ctx, const char *sql, const alarm_filter *f, store_stmt **st)
{
    ws_err rc = store_prepare(ctx->conn, sql, st);
    if (!rc) rc = store_bind_text(*st, 1, ctx->who.scope_path);
    if (!rc) rc = store_bind_int(*st, 2, f->open);
    if (!rc) rc = store_bind_int(*st, 3, f->unit);
    if (!rc) rc = store_bind_int(*st, 4, f->level);
    if (!rc) rc = store_bind_int(*st, 5, f->before);
    if (!rc) rc = store_bind_int(*st, 6, f->limit);
    if (!rc) rc = store_bind_int(*st, 7, f->from);
    if (!rc) rc = store_bind_int(*st, 8, f->to);
    if (!rc) rc = store_bind_text(*st, 9, f->like);
    return rc;
}

/* 报警记录台账: every alarm of the list, with its handling record. */
static const ledger_col alarm_ledger_cols[] = {
    {"报警编号", LEDGER_INT, 10},   {"级别", LEDGER_TEXT, 8},       {"所属单位", LEDGER_TEXT, 18},
    {"位号", LEDGER_TEXT, 12},      {"报警内容", LEDGER_TEXT, 36},  {"报警值", LEDGER_TEXT, 14},
    {"发生次数", LEDGER_INT, 8},    {"报警时间", LEDGER_TIME, 18},  {"确认时间", LEDGER_TIME, 18},
    {"确认人", LEDGER_TEXT, 10},    {"确认用时(秒)", LEDGER_INT, 12}, {"恢复时间", LEDGER_TIME, 18},
    {"关闭时间", LEDGER_TIME, 18},  {"关闭人", LEDGER_TEXT, 10},    {"原因", LEDGER_TEXT, 30},
    {"处置措施", LEDGER_TEXT, 30},  {"状态", LEDGER_TEXT, 12},
};
static const ledger_spec alarm_ledger = {"报警记录台账", NULL, true, alarm_ledger_cols,
                                         sizeof alarm_ledger_cols / sizeof alarm_ledger_cols[0], 0};

static const char *level_zh(int64_t level)
{
    return level == 3 ? "紧急" : level == 2 ? "报警" : "预警";
}

/* The page's words for a state (web/i18n-zh.js al.state.*). */
static const char *state_zh(const char *s)
{
    static const char *const map[][2] = {{"unack", "未确认"},       {"acked", "已确认"},
                                         {"rtn_unack", "已恢复未确认"}, {"rtn_acked", "已恢复待关闭"},
                                         {"shelved", "已搁置"},      {"oos", "停用中"},
                                         {"closed", "已关闭"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(s, map[i][0])) return map[i][1];
    return s;
}

/* One ledger row from the current row of Q_ALARM_LEDGER (ALARM_COLS order,
 * then the last announcement before the acknowledgement). */
static ws_err ledger_alarm(ledger *l, store_stmt *st, api_names *names)
{
    const char *tz = NULL;
    api_unit_name(names, store_col_int(st, 4), &tz);
    char value[64] = "";
    double v = store_col_opt_double(st, 9);
    if (!isnan(v)) snprintf(value, sizeof value, "%.6g%s%s", v, *store_col_text(st, 25) ? " " : "",
                            store_col_text(st, 25));
    /* time to acknowledge: from the announcement the acknowledgement answered */
    int64_t announced = store_col_int(st, 28), acked = store_col_int(st, 12);
    ws_err rc = ledger_int(l, store_col_int(st, 0));
    if (!rc) rc = ledger_text(l, level_zh(store_col_int(st, 5)));
    if (!rc) rc = ledger_text(l, store_col_text(st, 21));
    if (!rc) rc = ledger_text(l, store_col_text(st, 22));
    if (!rc) rc = ledger_text(l, store_col_text(st, 8));
    if (!rc) rc = ledger_text(l, value);
    if (!rc) rc = ledger_int(l, store_col_int(st, 10));
    if (!rc) rc = ledger_time(l, store_col_int(st, 11), tz);
    if (!rc) rc = ledger_time(l, acked, tz);
    if (!rc) rc = ledger_text(l, store_col_text(st, 23));
    if (!rc) rc = acked > 0 && announced > 0 ? ledger_int(l, (acked - announced) / 1000) : ledger_text(l, NULL);
    if (!rc) rc = ledger_time(l, store_col_int(st, 14), tz);
    if (!rc) rc = ledger_time(l, store_col_int(st, 15), tz);
    if (!rc) rc = ledger_text(l, store_col_text(st, 24));
    if (!rc) rc = ledger_text(l, store_col_text(st, 17));
    if (!rc) rc = ledger_text(l, store_col_text(st, 18));
    if (!rc) rc = ledger_text(l, state_zh(store_col_text(st, 6)));
    if (!rc) rc = ledger_row_end(l);
    return rc;
}

/* GET /alarms?format=xlsx|csv: the list with f's filters, to the end. */
static ws_err export_alarms(api_ctx *ctx, alarm_filter *f, ledger_format fmt)
{
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    ws_err rc = names ? ledger_open(&alarm_ledger, fmt, &l) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    f->limit = API_LEDGER_PAGE;
    size_t n;
    do {
        store_stmt *st = NULL;
        bool row = false;
        n = 0;
        if (!rc) rc = prepare_list(ctx, Q_ALARM_LEDGER, f, &st);
        while (!rc && !(rc = store_step(st, &row)) && row) {
            f->before = store_col_int(st, 0);
            n++;
            rc = ledger_alarm(l, st, names);
        }
        store_finalize(st);
    } while (!rc && (int64_t)n == f->limit);
    return api_ledger_finish(ctx, &alarm_ledger, fmt, l, names, rc);
}

static ws_err alarms_list(api_ctx *ctx)
{
    alarm_filter f;
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = read_filter(ctx, &f);
    if (rc) return rc;
    if (file) return export_alarms(ctx, &f, fmt);
    store_stmt *st = NULL;
    bool row = false;
    json_t *items = json_array();
    int64_t last = 0;
    int64_t n = 0;
    rc = prepare_list(ctx, Q_ALARM_LIST, &f, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        char path[AUTH_PATH_MAX];
        json_t *o = alarm_row(st, path, sizeof path);
        last = store_col_int(st, 0);
        n++;
        json_array_append_new(items, o);
    }
    store_finalize(st);
    if (rc) {
        json_decref(items);
        return rc;
    }
    json_t *r = json_object();
    json_object_set_new(r, "items", items);
    json_object_set_new(r, "next", n == f.limit ? json_integer(last) : json_null());
    return api_reply_json(ctx, 200, r);
}

/* Where the alarm is, what is under way there and who answers for it now
 * ("context" of GET /alarms/{id}): the area (the nearest unit of kind
 * "area" at or above the alarm's unit, else the unit), the special work
 * active or suspended in it (the first thing to stop when gas is found;
 * listed to whoever may read the alarm, as the permit is posted at the work
 * site for everyone there), and the people on duty along the escalation
 * chain (plant_on_duty: the unit's roster, else the nearest ancestor's). */
#define CTX_PERMITS 20
static ws_err alarm_context(api_ctx *ctx, int64_t unit_id, json_t **out)
{
    json_t *o = json_object(), *permits = json_array(), *duty = json_array();
    char path[AUTH_PATH_MAX] = "", name[ORG_NAME_MAX + 1];
    int64_t area = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = warn_area_of(ctx->conn, unit_id, &area, name, sizeof name, path, sizeof path);
    json_object_set_new(o, "area", area ? json_pack("{s:I,s:s}", "unit_id", (json_int_t)area, "name", name) : json_null());
    if (!rc) rc = store_prepare(ctx->conn, Q_ALARM_CTX_PERMITS, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, CTX_PERMITS);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(permits, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "id",
                                                 (json_int_t)store_col_int(st, 0), "code", store_col_text(st, 1),
                                                 "type", store_col_text(st, 2), "grade", store_col_text(st, 3),
                                                 "state", store_col_text(st, 4), "title", store_col_text(st, 5),
                                                 "location", store_col_text(st, 6), "until",
                                                 json_time(store_col_int(st, 7))));
    store_finalize(st);
    static const char *const chain[] = {"grid_leader", "safety_officer", "manager"};
    int64_t now = clock_now_ms();
    for (size_t k = 0; !rc && k < sizeof chain / sizeof chain[0]; k++) {
        int64_t ids[4];
        size_t n = 0;
        rc = plant_on_duty(ctx->conn, unit_id, chain[k], now, ids, 4, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            auth_person_info pi;
            rc = auth_person_info_get(ctx->conn, ids[i], &pi);
            if (!rc)
                json_array_append_new(duty, json_pack("{s:s,s:I,s:s}", "role", chain[k], "person_id",
                                                      (json_int_t)pi.id, "name", pi.name));
        }
    }
    json_object_set_new(o, "permits", permits);
    json_object_set_new(o, "on_duty", duty);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

static ws_err alarms_get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = load(ctx, id, &o);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    json_t *evs = json_array();
    rc = store_prepare(ctx->conn, Q_ALARM_EVENTS, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_t *e = json_object();
        json_object_set_new(e, "seq", json_integer(store_col_int(st, 0)));
        json_object_set_new(e, "at", json_time(store_col_int(st, 1)));
        json_object_set_new(e, "kind", json_str(store_col_text(st, 2)));
        json_object_set_new(e, "level", json_integer(store_col_int(st, 3)));
        json_object_set_new(e, "state_from", json_str(*store_col_text(st, 4) ? store_col_text(st, 4) : NULL));
        json_object_set_new(e, "state_to", json_str(*store_col_text(st, 5) ? store_col_text(st, 5) : NULL));
        json_object_set_new(e, "who", json_str(*store_col_text(st, 6) ? store_col_text(st, 6) : NULL));
        json_object_set_new(e, "person_id", json_id(store_col_int(st, 7)));
        json_object_set_new(e, "person_name", json_str(*store_col_text(st, 8) ? store_col_text(st, 8) : NULL));
        json_array_append_new(evs, e);
    }
    store_finalize(st);
    if (rc) {
        json_decref(o);
        json_decref(evs);
        return rc;
    }
    json_object_set_new(o, "events", evs);
    json_t *pics = json_array();
    st = NULL;
    rc = store_prepare(ctx->conn, Q_ALARM_PICTURES, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(pics, json_integer(store_col_int(st, 0)));
    store_finalize(st);
    json_object_set_new(o, "pictures", pics);
    /* what to do: the point's alarm response card, if written */
    point_response resp;
    bool found = false;
    if (!rc) rc = point_response_of_alarm(ctx->conn, id, &resp, &found);
    json_object_set_new(o, "response", found ? api_response_json(&resp) : json_null());
    json_t *cx = NULL;
    if (!rc) rc = alarm_context(ctx, json_integer_value(json_object_get(o, "unit_id")), &cx);
    if (!rc) json_object_set_new(o, "context", cx);
    if (rc) {
        json_decref(o);
        return rc;
    }
    return api_reply_json(ctx, 200, o);
}

typedef struct act_body {
    const char *reason, *until, *cause, *action;
    int64_t approver_person_id;
} act_body;

static const json_field shelve_fields[] = {
    {"reason", JF_STRING, true, false, offsetof(act_body, reason), 255, 0, 0, -1},
    {"until", JF_STRING, true, false, offsetof(act_body, until), 40, 0, 0, -1},
    {"approver_person_id", JF_INT, false, true, offsetof(act_body, approver_person_id), 0, 1, INT64_MAX, -1},
};
static const json_field close_fields[] = {
    {"cause", JF_STRING, true, false, offsetof(act_body, cause), 255, 0, 0, -1},
    {"action", JF_STRING, true, false, offsetof(act_body, action), 255, 0, 0, -1},
};

typedef enum { A_ACK, A_SHELVE, A_UNSHELVE, A_CLOSE } act;

static ws_err act_on(api_ctx *ctx, act a)
{
    warn *w = api_warn();
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    int64_t id;
    json_t *cur = NULL, *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = load(ctx, id, &cur); /* 404 outside the read scope */
    json_decref(cur);
    if (rc) return rc;
    act_body b = {0};
    if (a == A_SHELVE) rc = api_decode(ctx, shelve_fields, 3, &b, NULL, &root);
    else if (a == A_CLOSE) rc = api_decode(ctx, close_fields, 2, &b, NULL, &root);
    else rc = api_no_body(ctx);
    if (rc) return rc;
    char actor_name[32];
    audit_actor actor = {api_actor(ctx, actor_name, sizeof actor_name)};
    org_caller by = {&actor, &ctx->who};
    switch (a) {
    case A_ACK: rc = warn_ack(w, &by, id); break;
    case A_UNSHELVE: rc = warn_unshelve(w, &by, id); break;
    case A_CLOSE: rc = warn_close_alarm(w, &by, id, b.cause, b.action); break;
    case A_SHELVE: {
        int64_t until;
        if (clock_parse_rfc3339(b.until, &until)) {
            rc = ws_fail(WS_EINVAL, "until", "until is an RFC 3339 time");
            break;
        }
        rc = warn_shelve(w, &by, id, b.reason, until, b.approver_person_id);
        break;
    }
    }
    json_decref(root);
    if (rc) return rc;
    rc = load(ctx, id, &cur);
    if (rc) return rc;
    return api_reply_json(ctx, 200, cur);
}

/* The response card of the alarm behind an acknowledge link, or null: the
 * link pages show what to do when the card can be read, and are not failed
 * for it (the acknowledgement has been made, or the token checked). */
static json_t *link_response(api_ctx *ctx, int64_t alarm_id)
{
    point_response resp;
    bool found = false;
    if (point_response_of_alarm(ctx->conn, alarm_id, &resp, &found)) found = false;
    ws_err_clear();
    return found ? api_response_json(&resp) : json_null();
}

/* POST /api/v1/alarm-links/{token}/ack: a signed one-time link from a duty
 * message. The token is checked (MAC, expiry) and used up in its own
 * transaction, then the alarm is acknowledged as the person it names. */
static ws_err alarms_link_ack(api_ctx *ctx)
{
    warn *w = api_warn();
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    unsigned char key[NOTIFY_ACKLINK_KEYBYTES];
    int64_t alarm_id = 0, person_id = 0;
    ws_err rc = notify_acklink_key(ctx->conn, key);
    if (!rc) rc = notify_acklink_redeem(ctx->conn, key, ctx->req->params[0], clock_now_ms(), &alarm_id,
                                        &person_id);
    sodium_memzero(key, sizeof key);
    if (rc) return rc;
    org_person p;
    rc = org_person_get(ctx->conn, person_id, &p);
    if (!rc) rc = warn_ack_link(w, person_id, p.name, alarm_id);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ECONFLICT, "state", "the alarm is no longer open");
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "alarm_id", json_integer(alarm_id));
    json_object_set_new(o, "acked_by", json_string(p.name));
    /* the person now acts: the alarm's title and what to do come back */
    char title[256] = "";
    store_stmt *st = NULL;
    bool row = false;
    if (!store_prepare(ctx->conn, Q_ALARM_TITLE, &st) && !store_bind_int(st, 1, alarm_id) && !store_step(st, &row) && row)
        snprintf(title, sizeof title, "%s", store_col_text(st, 0));
    store_finalize(st);
    json_object_set_new(o, "title", json_str(title[0] ? title : NULL));
    json_object_set_new(o, "response", link_response(ctx, alarm_id));
    return api_reply_json(ctx, 200, o);
}

/* GET /api/v1/alarm-links/{token}: what the link is about, before the
 * person acknowledges — the alarm's title, level and state, when it was
 * raised, the response card and, while it is open, its context (the area,
 * the special work under way there, who is on duty: what the duty message
 * that carried the link named already). The token is checked (MAC, expiry)
 * and not used up: opening the link changes nothing. */
static ws_err alarms_link_get(api_ctx *ctx)
{
    unsigned char key[NOTIFY_ACKLINK_KEYBYTES];
    int64_t alarm_id = 0, person_id = 0;
    ws_err rc = notify_acklink_key(ctx->conn, key);
    if (!rc) rc = notify_acklink_check(key, ctx->req->params[0], clock_now_ms(), &alarm_id, &person_id);
    sodium_memzero(key, sizeof key);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    char path[AUTH_PATH_MAX];
    json_t *a = NULL;
    rc = store_prepare(ctx->conn, Q_ALARM_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, alarm_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) a = alarm_row(st, path, sizeof path);
    store_finalize(st);
    if (rc) return rc;
    if (!a) return ws_fail(WS_ENOTFOUND, "token", "the alarm of this link is gone");
    json_t *o = json_object(), *cx = NULL;
    static const char *const keep[] = {"title", "tag", "unit_name", "level", "state", "open", "value", "uom",
                                       "raised_at"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        json_object_set(o, keep[i], json_object_get(a, keep[i]));
    /* while it is open, what is around it: what the duty message it came in already named */
    if (json_is_true(json_object_get(a, "open")) &&
        !alarm_context(ctx, json_integer_value(json_object_get(a, "unit_id")), &cx))
        json_object_set_new(o, "context", cx);
    ws_err_clear();
    json_decref(a);
    json_object_set_new(o, "alarm_id", json_integer(alarm_id));
    json_object_set_new(o, "response", link_response(ctx, alarm_id));
    return api_reply_json(ctx, 200, o);
}

static ws_err alarms_ack(api_ctx *ctx) { return act_on(ctx, A_ACK); }
static ws_err alarms_shelve(api_ctx *ctx) { return act_on(ctx, A_SHELVE); }
static ws_err alarms_unshelve(api_ctx *ctx) { return act_on(ctx, A_UNSHELVE); }
static ws_err alarms_close(api_ctx *ctx) { return act_on(ctx, A_CLOSE); }

/* POST /api/v1/alarms/actions/ack {"ids":[…]}: the console's "acknowledge
 * the selected alarms" in an alarm flood. Every id is checked first (read
 * scope, as a single action: unknown or outside the scope is a 404 naming
 * "ids", and nothing is acknowledged); then each alarm goes through the
 * same engine call as the single ack, so each is its own fsynced ack event
 * by the caller. One that is already acknowledged, or closed meanwhile, is
 * reported in "skipped", not an error of the whole request. Any other
 * failure (storage) stops there with its error: the acknowledgements before
 * it stand, each being complete, and the console reads the list again. */
#define BULK_ACK_MAX 200

typedef struct bulk_body {
    json_t *ids;
} bulk_body;

static const json_field bulk_ack_fields[] = {
    {"ids", JF_ARRAY, true, false, offsetof(bulk_body, ids), BULK_ACK_MAX, 0, 0, -1},
};

/* The ids of arr into ids (the caller's, BULK_ACK_MAX long): 1..BULK_ACK_MAX
 * distinct integers >= 1, else WS_EINVAL naming "ids". */
static ws_err bulk_ids(const json_t *arr, int64_t *ids, size_t *n)
{
    size_t i;
    json_t *v;
    *n = 0;
    if (!json_array_size(arr)) return ws_fail(WS_EINVAL, "ids", "ids must name at least one alarm");
    json_array_foreach(arr, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return ws_fail(WS_EINVAL, "ids", "ids[%zu] is not an alarm id (an integer of at least 1)", i);
        if (*n >= BULK_ACK_MAX) /* the decoder caps the array; kept for the bound of ids */
            return ws_fail(WS_EINVAL, "ids", "ids has more than %d items", BULK_ACK_MAX);
        int64_t id = json_integer_value(v);
        for (size_t k = 0; k < *n; k++)
            if (ids[k] == id) return ws_fail(WS_EINVAL, "ids", "ids names alarm %lld twice", (long long)id);
        ids[(*n)++] = id;
    }
    return WS_OK;
}

static ws_err alarms_bulk_ack(api_ctx *ctx)
{
    warn *w = api_warn();
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    bulk_body b = {0};
    json_t *root = NULL;
    int64_t ids[BULK_ACK_MAX];
    size_t n = 0;
    ws_err rc = api_decode(ctx, bulk_ack_fields, 1, &b, NULL, &root);
    if (!rc) rc = bulk_ids(b.ids, ids, &n);
    json_decref(root);
    if (rc) return rc;
    /* all or nothing on existence and scope, before any change */
    for (size_t i = 0; i < n; i++) {
        json_t *cur = NULL;
        rc = load(ctx, ids[i], &cur);
        json_decref(cur);
        if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "ids", "no such alarm: %lld", (long long)ids[i]);
        if (rc) return rc;
    }
    char actor_name[32];
    audit_actor actor = {api_actor(ctx, actor_name, sizeof actor_name)};
    org_caller by = {&actor, &ctx->who};
    json_t *acked = json_array(), *skipped = json_array();
    for (size_t i = 0; i < n && !rc; i++) {
        const char *reason = NULL;
        rc = warn_ack(w, &by, ids[i]);
        if (rc == WS_ECONFLICT) reason = "already acknowledged";
        else if (rc == WS_ENOTFOUND) reason = "closed"; /* the engine holds open alarms only */
        if (reason) {
            json_t *s = json_object();
            json_object_set_new(s, "id", json_integer(ids[i]));
            json_object_set_new(s, "reason", json_string(reason));
            json_array_append_new(skipped, s);
            ws_err_clear();
            rc = WS_OK;
        } else if (!rc) {
            json_array_append_new(acked, json_integer(ids[i]));
        }
    }
    if (rc) {
        json_decref(acked);
        json_decref(skipped);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "acked", acked);
    json_object_set_new(o, "skipped", skipped);
    return api_reply_json(ctx, 200, o);
}

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "alarms", body, nbody, 0}
const api_route api_alarm_routes[] = {
    R("GET", "/api/v1/alarms", alarms_list, "alarm.read",
      "Alarms in the caller's scope, newest first: ?state=open|closed|all (default open), "
      "&unit_id= subtree, &level=1|2|3 (预警/报警/紧急), &from= &to= (raised at, RFC 3339), "
      "&q= (part of the tag, any case, or of the title), "
      "&limit= (1..500), &before= (id, paging); ?format=xlsx|csv exports the 报警记录台账",
      NULL, 0),
    R("GET", "/api/v1/alarms/{id}", alarms_get, "alarm.read",
      "One alarm with its events (raise, repeat, clear, ack, shelve, escalate, close, …), its response card and what is on site now (area, special work under way there, people on duty)", NULL, 0),
    R("POST", "/api/v1/alarms/{id}/actions/ack", alarms_ack, "alarm.ack",
      "Acknowledge an alarm as the caller (stops its escalation); fsynced before the reply", NULL, 0),
    R("POST", "/api/v1/alarms/{id}/actions/shelve", alarms_shelve, "alarm.ack",
      "Shelve until a time (at most 8 h) with a reason; 紧急 needs approver_person_id, another "
      "person", shelve_fields, 3),
    R("POST", "/api/v1/alarms/{id}/actions/unshelve", alarms_unshelve, "alarm.ack",
      "Back to normal; an active alarm annunciates again", NULL, 0),
    R("POST", "/api/v1/alarms/{id}/actions/close", alarms_close, "alarm.ack",
      "Close with the handling record (cause, action; the caller is the person); only when "
      "cleared and acknowledged", close_fields, 2),
    {"GET", "/api/v1/alarm-links/{token}", alarms_link_get, API_PUBLIC, NULL,
     "What a signed one-time acknowledge link is about (no sign-in; nothing is used up): the "
     "alarm's title, level, state, time and value, and its point's response card; 403 naming "
     "token when the link is not valid or has expired", "alarms", NULL, 0, 0},
    {"POST", "/api/v1/alarm-links/{token}/ack", alarms_link_ack, API_PUBLIC, NULL,
     "Acknowledge through a signed one-time link of a duty message, as the person it was made "
     "for (403 tampered or expired, 409 used)", "alarms", NULL, 0, 0},
    R("POST", "/api/v1/alarms/actions/ack", alarms_bulk_ack, "alarm.ack",
      "Acknowledge several alarms (1..200 distinct ids) as the caller, each its own fsynced ack; "
      "any id unknown or outside the scope: 404 on ids and none acknowledged; already "
      "acknowledged or closed ones come back in skipped with a reason",
      bulk_ack_fields, 1),
};
const size_t api_alarm_nroutes = sizeof api_alarm_routes / sizeof api_alarm_routes[0];
