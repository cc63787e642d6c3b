/* api_hazard.c — hidden dangers over REST (src/hazard; contract in
 * docs/internals/hazard.md).
 *
 *   GET  /api/v1/hazards/reference               GB 6441 types, GB/T 13861 codes
 *   POST /api/v1/hazards/factors                 import finer GB/T 13861 codes
 *   GET  /api/v1/hazards                         the ledger (filters, pages, xlsx/csv)
 *   POST /api/v1/hazards                         report one
 *   GET  /api/v1/hazards/stats                   counts for the board
 *   GET  /api/v1/hazards/{id}                    one, with its workflow data
 *   GET  /api/v1/hazards/{id}/timeline           every step
 *   GET  /api/v1/hazards/{id}/actions            what the caller may do now
 *   POST /api/v1/hazards/{id}/actions/{action}   do it (fields as the body)
 *   POST /api/v1/hazards/{id}/supervision        挂牌督办 (regulator)
 *
 * Reads need hazard.read in scope; the list's unit_id narrows the caller's
 * scope to a subtree inside it. Who may fire an action is the workflow
 * definition's business; the body of an action is the definition's fields,
 * so it is decoded here only as a flat JSON object (duplicate keys and bad
 * UTF-8 refused) and checked field by field by the engine. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "hazard/hazard.h"
#include "risk/risk.h"

static ws_err actor_of(api_ctx *ctx, audit_actor *who, char *abuf, size_t cap, wf_actor *by)
{
    who->name = api_actor(ctx, abuf, cap);
    *by = (wf_actor){.actor = who, .subject = &ctx->who};
    return WS_OK;
}

static ws_err reference(api_ctx *ctx)
{
    json_t *o = NULL;
    ws_err rc = hazard_reference(ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

typedef struct factors_body {
    json_t *items;
} factors_body;
static const json_field factors_fields[] = {
    {"items", JF_ARRAY, true, false, offsetof(factors_body, items), 5000, 0, 0, -1},
};

static ws_err factors_import(api_ctx *ctx)
{
    factors_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, factors_fields, 1, &b, NULL, &root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
    int added = 0;
    rc = hazard_factors_import(ctx->conn, &who, b.items, &added);
    json_decref(root);
    if (rc) return rc;
    return api_reply_json(ctx, 201, json_pack("{s:i}", "added", added));
}

/* ---------------------------------------------------------------- list */

/* The caller's scope narrowed to ?unit_id= (a subtree inside the scope). */
static ws_err list_path(api_ctx *ctx, char *path, size_t cap)
{
    int64_t unit_id = 0;
    ws_err rc = api_query_id(ctx, "unit_id", &unit_id);
    if (rc) return rc;
    snprintf(path, cap, "%s", ctx->who.scope_path);
    if (!unit_id) return WS_OK;
    char up[AUTH_PATH_MAX];
    rc = auth_unit_path(ctx->conn, unit_id, "unit_id", up, sizeof up);
    if (rc) return rc;
    if (!auth_in_scope(&ctx->who, up)) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    snprintf(path, cap, "%s", up);
    return WS_OK;
}

static const ledger_col hazard_ledger_cols[] = {
    {"隐患编号", LEDGER_TEXT, 16}, {"隐患名称", LEDGER_TEXT, 36}, {"所属单位", LEDGER_TEXT, 20},
    {"具体位置", LEDGER_TEXT, 20}, {"事故类型", LEDGER_TEXT, 12}, {"隐患等级", LEDGER_TEXT, 10},
    {"状态", LEDGER_TEXT, 10},     {"是否超期", LEDGER_TEXT, 8},  {"挂牌督办", LEDGER_TEXT, 8},
    {"发现时间", LEDGER_TIME, 18}, {"报告人", LEDGER_TEXT, 10},   {"整改责任人", LEDGER_TEXT, 10},
    {"整改期限", LEDGER_TIME, 18}, {"整改人", LEDGER_TEXT, 10},   {"验收人", LEDGER_TEXT, 10},
    {"销号时间", LEDGER_TIME, 18},
};
static const ledger_spec hazard_ledger = {"隐患排查治理台账", NULL, true, hazard_ledger_cols,
                                          sizeof hazard_ledger_cols / sizeof hazard_ledger_cols[0],
                                          0};

static ws_err export_rows(api_ctx *ctx, hazard_filter *f, ledger_format fmt)
{
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    ws_err rc = names ? ledger_open(&hazard_ledger, fmt, &l)
                      : ws_fail(WS_ENOMEM, NULL, "out of memory");
    hazard_row *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    f->limit = API_LEDGER_PAGE;
    f->cursor = 0;
    do {
        if (!rc) rc = hazard_list(ctx->conn, f, &items, &n, &next);
        for (size_t i = 0; !rc && i < n; i++) {
            const hazard_row *r = &items[i];
            const char *tz = NULL, *tname = NULL;
            char code[24];
            hazard_code(r->id, r->created_at, code, sizeof code);
            api_unit_name(names, r->unit_id, &tz);
            risk_accident_type(r->accident_type, &tname);
            rc = ledger_text(l, code);
            if (!rc) rc = ledger_text(l, r->title);
            if (!rc) rc = ledger_text(l, r->unit_name);
            if (!rc) rc = ledger_text(l, r->location);
            if (!rc) rc = ledger_text(l, tname ? tname : r->accident_type);
            if (!rc) rc = ledger_text(l, !strcmp(r->grade, "major")     ? "重大"
                                         : !strcmp(r->grade, "general") ? "一般"
                                                                        : "未定级");
            if (!rc) rc = ledger_text(l, api_hazard_state_zh(r->state));
            if (!rc) rc = ledger_text(l, r->overdue ? "是" : "否");
            if (!rc) rc = ledger_text(l, r->sup_level[0] ? "是" : "否");
            if (!rc) rc = ledger_time(l, r->found_at, tz);
            if (!rc) rc = ledger_text(l, api_person_name(names, r->reporter_person_id));
            if (!rc) rc = ledger_text(l, api_person_name(names, r->assignee_person_id));
            if (!rc) rc = ledger_time(l, r->deadline, tz);
            if (!rc) rc = ledger_text(l, api_person_name(names, r->rectifier_person_id));
            if (!rc) rc = ledger_text(l, api_person_name(names, r->acceptor_person_id));
            if (!rc) rc = ledger_time(l, r->closed_at, tz);
            if (!rc) rc = ledger_row_end(l);
        }
        free(items);
        items = NULL;
        f->cursor = next;
    } while (!rc && next > 0);
    return api_ledger_finish(ctx, &hazard_ledger, fmt, l, names, rc);
}

static ws_err hazards_list(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    hazard_filter f = {.path = path};
    ledger_format fmt;
    bool file = false;
    int overdue = -1, supervised = -1;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = api_page(ctx, &f.limit, &f.cursor);
    if (!rc) rc = list_path(ctx, path, sizeof path);
    if (!rc) rc = api_query_bool(ctx, "overdue", &overdue);
    if (!rc) rc = api_query_bool(ctx, "supervised", &supervised);
    if (rc) return rc;
    f.overdue = overdue == 1;
    f.supervised = supervised == 1;
    f.state = api_query(ctx, "state");
    f.grade = api_query(ctx, "grade");
    f.q = api_query(ctx, "q");
    if (f.state && strlen(f.state) > WF_ID_MAX)
        return ws_fail(WS_EINVAL, "state", "state is not a state of the hazard lifecycle");
    if (f.state && (rc = hazard_state_check(ctx->conn, f.state))) return rc;
    if (f.grade && strcmp(f.grade, "general") && strcmp(f.grade, "major"))
        return ws_fail(WS_EINVAL, "grade", "grade must be general or major");
    if (file) return export_rows(ctx, &f, fmt);
    hazard_row *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = hazard_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, hazard_row_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err hazards_stats(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    ws_err rc = list_path(ctx, path, sizeof path);
    json_t *o = NULL;
    if (!rc) rc = hazard_stats(ctx->conn, path, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

/* -------------------------------------------------------------- report */

typedef struct report_body {
    int64_t unit_id, risk_event_id, found_at;
    const char *title, *description, *accident_type, *hazard_factor, *location, *grade;
    double lat, lon;
    json_t *photo_ids;
} report_body;
enum { P_LAT = 0, P_LON = 1 };
static const json_field report_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(report_body, unit_id), 0, 0, 0, -1},
    {"title", JF_STRING, true, false, offsetof(report_body, title), HAZARD_TITLE_MAX, 0, 0, -1},
    {"description", JF_STRING, false, true, offsetof(report_body, description), HAZARD_TEXT_MAX,
     0, 0, -1},
    {"accident_type", JF_STRING, true, false, offsetof(report_body, accident_type), 2, 0, 0, -1},
    {"hazard_factor", JF_STRING, false, true, offsetof(report_body, hazard_factor),
     HAZARD_CODE_MAX, 0, 0, -1},
    {"risk_event_id", JF_ID, false, true, offsetof(report_body, risk_event_id), 0, 0, 0, -1},
    {"lat", JF_NUMBER, false, true, offsetof(report_body, lat), 0, 0, 0, -1},
    {"lon", JF_NUMBER, false, true, offsetof(report_body, lon), 0, 0, 0, -1},
    {"location", JF_STRING, false, true, offsetof(report_body, location), HAZARD_LOCATION_MAX, 0,
     0, -1},
    {"photo_ids", JF_ARRAY, false, false, offsetof(report_body, photo_ids), HAZARD_PHOTOS_MAX, 0,
     0, -1},
    {"grade", JF_STRING, false, true, offsetof(report_body, grade), 10, 0, 0, -1},
    {"found_at", JF_TIME, false, false, offsetof(report_body, found_at), 0, 0, 0, -1},
};
#define N_REPORT (sizeof report_fields / sizeof report_fields[0])

static ws_err hazards_report(api_ctx *ctx)
{
    report_body b = {0};
    json_t *root = NULL;
    uint64_t present = 0;
    ws_err rc = api_decode(ctx, report_fields, N_REPORT, &b, &present, &root);
    if (rc) return rc;
    bool has_lat = (present >> 6) & 1 && json_is_number(json_object_get(root, "lat"));
    bool has_lon = (present >> 7) & 1 && json_is_number(json_object_get(root, "lon"));
    int64_t photos[HAZARD_PHOTOS_MAX];
    size_t np = 0;
    if (has_lat != has_lon)
        rc = ws_fail(WS_EINVAL, has_lat ? "lon" : "lat", "lat and lon come together");
    if (!rc && b.photo_ids) {
        size_t i;
        json_t *v;
        json_array_foreach(b.photo_ids, i, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                rc = ws_fail(WS_EINVAL, "photo_ids", "photo_ids holds attachment ids");
                break;
            }
            photos[np++] = json_integer_value(v);
        }
    }
    int64_t id = 0;
    if (!rc) {
        hazard_in in = {.unit_id = b.unit_id, .title = b.title, .description = b.description,
                        .accident_type = b.accident_type, .hazard_factor = b.hazard_factor,
                        .location = b.location, .risk_event_id = b.risk_event_id,
                        .has_gps = has_lat, .lat = b.lat, .lon = b.lon, .photo_ids = photos,
                        .n_photos = np, .grade = b.grade, .found_at = b.found_at};
        char abuf[32];
        audit_actor who;
        wf_actor by;
        actor_of(ctx, &who, abuf, sizeof abuf, &by);
        rc = hazard_report(ctx->conn, &by, &in, &id);
    }
    json_decref(root);
    json_t *o = NULL;
    if (!rc) rc = hazard_get_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 201, o);
}

/* ------------------------------------------------------------- one */

static ws_err hazards_get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = hazard_get_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err hazards_timeline(api_ctx *ctx)
{
    int64_t id;
    json_t *a = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = hazard_timeline(ctx->conn, &ctx->who, id, &a);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, 0));
}

static ws_err hazards_actions(api_ctx *ctx)
{
    int64_t id;
    json_t *a = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = hazard_actions(ctx->conn, &ctx->who, id, &a);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(a, 0));
}

static ws_err hazards_act(api_ctx *ctx)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (rc) return rc;
    const char *action = ctx->req->nparams > 1 ? ctx->req->params[1] : "";
    json_t *fields = NULL;
    if (ctx->req->body_len && (rc = api_body_object(ctx, false, &fields))) return rc;
    char abuf[32];
    audit_actor who;
    wf_actor by;
    actor_of(ctx, &who, abuf, sizeof abuf, &by);
    rc = hazard_act(ctx->conn, &by, id, action, fields);
    json_decref(fields);
    json_t *o = NULL;
    if (!rc) rc = hazard_get_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

typedef struct sup_body {
    const char *level, *document_no, *note;
    bool regulator_acceptance;
} sup_body;
static const json_field sup_fields[] = {
    {"level", JF_STRING, true, false, offsetof(sup_body, level), 16, 0, 0, -1},
    {"document_no", JF_STRING, true, false, offsetof(sup_body, document_no), 64, 0, 0, -1},
    {"note", JF_STRING, false, true, offsetof(sup_body, note), 2000, 0, 0, -1},
    {"regulator_acceptance", JF_BOOL, false, false, offsetof(sup_body, regulator_acceptance), 0,
     0, 0, -1},
};
#define N_SUP (sizeof sup_fields / sizeof sup_fields[0])

static ws_err hazards_supervise(api_ctx *ctx)
{
    int64_t id;
    sup_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, sup_fields, N_SUP, &b, NULL, &root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who;
    wf_actor by;
    actor_of(ctx, &who, abuf, sizeof abuf, &by);
    hazard_supervision in = {b.level, b.document_no, b.note, b.regulator_acceptance};
    rc = hazard_supervise(ctx->conn, &by, id, &in);
    json_decref(root);
    json_t *o = NULL;
    if (!rc) rc = hazard_get_json(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

const api_route api_hazard_routes[] = {
    {"GET", "/api/v1/hazards/reference", reference, API_AUTH, "hazard.read",
     "GB 6441 accident types and GB/T 13861 hazard-factor codes", "hazards", NULL, 0},
    {"POST", "/api/v1/hazards/factors", factors_import, API_AUTH, "hazard.reference.write",
     "Import finer GB/T 13861 hazard-factor codes (all or nothing)", "hazards", factors_fields,
     1},
    {"GET", "/api/v1/hazards", hazards_list, API_AUTH, "hazard.read",
     "The hidden-danger ledger: ?state, unit_id (subtree), grade, overdue, supervised, q (text), "
     "pages; ?format=xlsx|csv exports it",
     "hazards", NULL, 0},
    {"POST", "/api/v1/hazards", hazards_report, API_AUTH, "hazard.report",
     "Report a hidden danger (photos as attachment ids); starts its lifecycle", "hazards",
     report_fields, N_REPORT},
    {"GET", "/api/v1/hazards/stats", hazards_stats, API_AUTH, "hazard.read",
     "Counts by state, overdue, major open and supervised open (?unit_id subtree)", "hazards",
     NULL, 0},
    {"GET", "/api/v1/hazards/{id}", hazards_get, API_AUTH, "hazard.read",
     "One hidden danger with its workflow data", "hazards", NULL, 0},
    {"GET", "/api/v1/hazards/{id}/timeline", hazards_timeline, API_AUTH, "hazard.read",
     "Every step of a hidden danger, oldest first", "hazards", NULL, 0},
    {"GET", "/api/v1/hazards/{id}/actions", hazards_actions, API_AUTH, "hazard.read",
     "The actions the caller may take now, with their field specs", "hazards", NULL, 0},
    {"POST", "/api/v1/hazards/{id}/actions/{action}", hazards_act, API_AUTH, "hazard.read",
     "Take an action of the hazard's lifecycle (the body holds its fields); statutory guards "
     "apply",
     "hazards", NULL, 0},
    {"POST", "/api/v1/hazards/{id}/supervision", hazards_supervise, API_AUTH, "hazard.supervise",
     "List a major hidden danger for supervision (挂牌督办)", "hazards", sup_fields, N_SUP},
};
const size_t api_hazard_nroutes = sizeof api_hazard_routes / sizeof api_hazard_routes[0];
