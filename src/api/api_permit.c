/* api_permit.c — special-work permits over REST (docs/internals/permit.md):
 *
 *   GET/POST /api/v1/permits ?unit_id=&state=(open|draft|...)&type=&package_id=&from=&to=
 *   GET/PATCH /api/v1/permits/{id}            one permit (record, live verdicts, timeline)
 *   GET      /api/v1/permits/{id}/precheck    what the permit still lacks
 *   POST     /api/v1/permits/{id}/actions/{submit|confirm_measures|gas|approve|check_in|
 *                                              suspend|resume|close|cancel}
 *   GET      /api/v1/permits/{id}/qr.svg      QR code of the permit's live page
 *   POST     /api/v1/permit-packages          GET /api/v1/permit-packages/{id}
 *   POST     /api/v1/permit-packages/{id}/assessment   the joint risk assessment
 *   GET/POST /api/v1/certificates ?person_id=  POST /api/v1/certificates/{id}/revoke
 *   POST     /api/v1/certificates/import?enterprise_id=   (xlsx or CSV body)
 *   GET      /api/v1/permit-types              the types, their locked steps and rules
 *   GET      /api/v1/permit-profiles           PUT /api/v1/permit-profiles/active {key}
 *   GET      /api/v1/holiday-calendars         PUT /api/v1/holiday-calendars/{year}
 *   GET/PUT  /api/v1/permit-conflicts          the SIMOPS matrix
 *   GET      /api/v1/permit-report ?unit_id=&from=&to=&format=xlsx   compliance audit
 *
 * A refusal by a rule is 409 with the error naming the rule, and the check's
 * report beside it ("verdicts": every rule; "effective_grade",
 * "required_posts", "conflicts"), so the phone shows all that fails at once.
 * Permissions: permit.read, permit.write, permit.approve, permit.admin (certificates),
 * permit.rules (profile, calendar, matrix: install-wide)
 * (src/auth/policy.c); outside the scope 404. Someone scoped to a grid also
 * lists and reads the permits and job packages of the area that holds it
 * (属地), read only:
 * GET /permits/{id} says "writable": false, and any action is 404 for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "core/clock.h"
#include "core/json.h"
#include "permit/permit.h"
#include "risk/risk.h"

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

static permit_svc *svc(void) { return api_permits(); }

#define NEED_SVC \
    if (!svc()) return ws_fail(WS_EUNAVAILABLE, NULL, "the permit service is not running")

/* The permit readable by the caller. */
static ws_err readable(api_ctx *ctx, int64_t *id, permit_row *p)
{
    ws_err rc = api_param_id(ctx, 0, id);
    if (!rc) rc = permit_get(ctx->conn, *id, p);
    if (!rc) {
        auth_resource r = api_unit_resource(ctx, p->unit_path);
        rc = auth_decide(&ctx->who, "permit.read", &r);
        if (rc) permit_row_free(p);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such permit");
    return rc;
}

static ws_err reply_permit(api_ctx *ctx, int status, int64_t id)
{
    permit_row p;
    json_t *o = NULL;
    ws_err rc = permit_get(ctx->conn, id, &p);
    if (!rc) rc = permit_json(svc(), ctx->conn, &p, true, &o);
    permit_row_free(&p);
    return rc ? rc : api_reply_json(ctx, status, o);
}

/* ----------------------------------------------------------------- permits */

static ws_err permits_list(api_ctx *ctx)
{
    permit_filter f = {.scope_path = ctx->who.scope_path};
    ws_err rc = api_page(ctx, &f.limit, &f.cursor);
    if (!rc) rc = api_query_id(ctx, "unit_id", &f.unit_id);
    if (!rc) rc = api_query_id(ctx, "package_id", &f.package_id);
    if (!rc) rc = api_query_time(ctx, "from", 0, &f.from);
    if (!rc) rc = api_query_time(ctx, "to", 0, &f.to);
    f.state = api_query(ctx, "state");
    f.type = api_query(ctx, "type");
    if (!rc && f.type && pr_type_of(f.type) < 0) rc = ws_fail(WS_EINVAL, "type", "no such operation type");
    if (rc) return rc;
    json_t *items = NULL;
    int64_t next = 0;
    rc = permit_list(ctx->conn, &f, &items, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(items, next));
}

static ws_err permits_create(api_ctx *ctx)
{
    NEED_SVC;
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    int64_t id = 0;
    rc = permit_create(svc(), ctx->conn, &by, body, &id);
    json_decref(body);
    return rc ? rc : reply_permit(ctx, 201, id);
}

static ws_err permits_get(api_ctx *ctx)
{
    NEED_SVC;
    int64_t id;
    permit_row p;
    ws_err rc = readable(ctx, &id, &p);
    if (rc) return rc;
    json_t *o = NULL;
    rc = permit_json(svc(), ctx->conn, &p, true, &o);
    /* read only for the caller: a permit of the area above a grid (属地) */
    auth_resource r = {.unit_path = p.unit_path};
    if (!rc) json_object_set_new(o, "writable", json_boolean(auth_decide(&ctx->who, "permit.write", &r) == WS_OK));
    permit_row_free(&p);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err permits_patch(api_ctx *ctx)
{
    NEED_SVC;
    int64_t id;
    json_t *body = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    rc = permit_update(svc(), ctx->conn, &by, id, body);
    json_decref(body);
    return rc ? rc : reply_permit(ctx, 200, id);
}

static ws_err permits_precheck(api_ctx *ctx)
{
    NEED_SVC;
    int64_t id;
    permit_row p;
    ws_err rc = readable(ctx, &id, &p);
    if (rc) return rc;
    permit_row_free(&p);
    json_t *o = NULL;
    rc = permit_precheck(svc(), ctx->conn, id, clock_now_ms(), &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err permits_action(api_ctx *ctx)
{
    NEED_SVC;
    int64_t id;
    json_t *body = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_body_object(ctx, true, &body);
    if (rc) return rc;
    CALLER;
    json_t *report = NULL;
    rc = permit_act(svc(), ctx->conn, &by, id, ctx->req->params[1], body, &report);
    json_decref(body);
    if (rc == WS_ECONFLICT && report) {
        /* the rule that refused, and every verdict of the check */
        json_object_set_new(report, "error", json_pack("{s:s, s:s, s:s}", "code", ws_err_code(rc), "message",
                                                        ws_err_message(), "field", ws_err_field()));
        return api_reply_json(ctx, 409, report);
    }
    json_decref(report);
    return rc ? rc : reply_permit(ctx, 200, id);
}

static ws_err permits_qr(api_ctx *ctx)
{
    NEED_SVC;
    int64_t id;
    permit_row p;
    ws_err rc = readable(ctx, &id, &p);
    if (rc) return rc;
    /* the live page, and the evidence-log leaf of the record as printed */
    char url[600];
    json_t *o = NULL;
    const char *origin = api_public_origin();
    rc = permit_json(svc(), ctx->conn, &p, false, &o);
    json_int_t leaf = json_integer_value(json_object_get(json_object_get(o, "evidence"), "seq"));
    snprintf(url, sizeof url, "%s/permits/%lld?code=%s&leaf=%lld", origin, (long long)id, p.code, (long long)leaf);
    json_decref(o);
    permit_row_free(&p);
    if (rc) return rc;
    char *svg = NULL;
    size_t len = 0;
    if ((rc = risk_qr_svg(url, &svg, &len, NULL))) return rc;
    buf_reset(&ctx->resp->body);
    rc = buf_append(&ctx->resp->body, svg, len);
    free(svg);
    if (rc) return rc;
    ctx->resp->status = 200;
    ctx->resp->content_type = "image/svg+xml";
    return WS_OK;
}

/* ---------------------------------------------------------------- packages */

static ws_err packages_create(api_ctx *ctx)
{
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    int64_t id = 0;
    static const char *const keys[] = {"unit_id", "title", NULL};
    json_t *unit = json_object_get(body, "unit_id");
    const char *title = NULL;
    rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = json_opt_text(body, "title", "title", &title);
    if (!rc && !json_is_integer(unit)) rc = ws_fail(WS_EINVAL, "unit_id", "unit_id is required");
    if (!rc) rc = permit_package_create(ctx->conn, &by, json_integer_value(unit), title, &id);
    json_decref(body);
    json_t *o = NULL;
    if (!rc) rc = permit_package_json(ctx->conn, id, NULL, &o);
    return rc ? rc : api_reply_json(ctx, 201, o);
}

static ws_err packages_get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    char path[AUTH_PATH_MAX];
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = permit_package_json(ctx->conn, id, path, &o);
    if (!rc) { /* 属地: an area above the caller's grid reads too */
        auth_resource r = api_unit_resource(ctx, path);
        if ((rc = auth_decide(&ctx->who, "permit.read", &r))) json_decref(o);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such job package");
    if (rc) return rc;
    permit_filter f = {.scope_path = ctx->who.scope_path, .package_id = id, .limit = 200};
    json_t *items = NULL;
    int64_t next = 0;
    if (!(rc = permit_list(ctx->conn, &f, &items, &next))) json_object_set_new(o, "permits", items);
    if (rc) json_decref(o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err packages_assess(api_ctx *ctx)
{
    int64_t id;
    json_t *body = NULL, *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    static const char *const keys[] = {"joint_assessment", NULL};
    const char *text = NULL;
    rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = json_opt_text(body, "joint_assessment", "joint_assessment", &text);
    if (!rc) rc = permit_package_assess(ctx->conn, &by, id, text);
    json_decref(body);
    if (!rc) rc = permit_package_json(ctx->conn, id, NULL, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

/* ------------------------------------------------------------ certificates */

static ws_err certs_list(api_ctx *ctx)
{
    int limit;
    int64_t cursor, person = 0, next = 0;
    ws_err rc = api_page(ctx, &limit, &cursor);
    if (!rc) rc = api_query_id(ctx, "person_id", &person);
    json_t *items = NULL;
    CALLER;
    if (!rc) rc = permit_cert_list(ctx->conn, &by, ctx->who.scope_path, person, limit, cursor, &items, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(items, next));
}

typedef struct cert_body {
    int64_t person_id;
    const char *type, *number, *issued_on, *authority;
    int64_t expires_at;
} cert_body;
#define NF(a) (sizeof(a) / sizeof((a)[0]))
static const json_field cert_fields[] = {
    {"person_id", JF_ID, true, false, offsetof(cert_body, person_id), 0, 0, 0, -1},
    {"type", JF_STRING, true, false, offsetof(cert_body, type), 31, 0, 0, -1},
    {"number", JF_STRING, true, false, offsetof(cert_body, number), 39, 0, 0, -1},
    {"issued_on", JF_STRING, false, true, offsetof(cert_body, issued_on), 10, 0, 0, -1},
    {"authority", JF_STRING, false, true, offsetof(cert_body, authority), 200, 0, 0, -1},
    {"expires_at", JF_TIME, true, false, offsetof(cert_body, expires_at), 0, 0, 0, -1},
};

static ws_err certs_create(api_ctx *ctx)
{
    cert_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, cert_fields, NF(cert_fields), &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    permit_cert_in in = {.person_id = b.person_id, .type = b.type, .number = b.number, .issued_on = b.issued_on,
                         .authority = b.authority, .expires_at = b.expires_at};
    int64_t id = 0;
    rc = permit_cert_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    json_t *items = NULL;
    int64_t next = 0;
    rc = permit_cert_list(ctx->conn, &by, ctx->who.scope_path, in.person_id, 200, id - 1, &items, &next);
    json_t *o = rc ? NULL : json_incref(json_array_get(items, 0));
    json_decref(items);
    return rc ? rc : api_reply_json(ctx, 201, o ? o : json_object());
}

static ws_err certs_revoke(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (rc) return rc;
    CALLER;
    rc = permit_cert_revoke(ctx->conn, &by, id);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "revoked", 1));
}

static ws_err certs_import(api_ctx *ctx)
{
    int64_t ent = 0;
    ws_err rc = api_query_id(ctx, "enterprise_id", &ent);
    if (!rc && !ent) rc = ws_fail(WS_EINVAL, "enterprise_id", "?enterprise_id= names the enterprise");
    if (!rc && !ctx->req->body_len) rc = ws_fail(WS_EINVAL, "file", "the body is the xlsx or CSV file");
    if (rc) return rc;
    CALLER;
    int n = 0;
    rc = permit_cert_import(ctx->conn, &by, ent, ctx->req->body, ctx->req->body_len, NULL, &n);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:i}", "imported", n));
}

/* ---------------------------------------------------------- rules as data */

static ws_err types_list(api_ctx *ctx)
{
    NEED_SVC;
    json_t *o = NULL;
    ws_err rc = permit_types_json(svc(), ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err profiles_list(api_ctx *ctx)
{
    NEED_SVC;
    json_t *o = NULL;
    ws_err rc = permit_profiles_json(svc(), ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", o));
}

static ws_err profiles_select(api_ctx *ctx)
{
    NEED_SVC;
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    static const char *const keys[] = {"key", NULL};
    const char *key = NULL;
    rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = json_opt_text(body, "key", "key", &key);
    if (!rc) rc = permit_profile_select(svc(), ctx->conn, &by, key);
    json_decref(body);
    return rc ? rc : profiles_list(ctx);
}

static ws_err calendars_list(api_ctx *ctx)
{
    json_t *o = NULL;
    ws_err rc = permit_calendars_json(ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", o));
}

static ws_err calendars_put(api_ctx *ctx)
{
    NEED_SVC;
    const char *ys = ctx->req->params[0];
    char *end = NULL;
    long year = strtol(ys, &end, 10);
    if (!end || *end) return ws_fail(WS_ENOTFOUND, "year", "no such year");
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    rc = permit_calendar_put(svc(), ctx->conn, &by, (int)year, body);
    json_decref(body);
    return rc ? rc : calendars_list(ctx);
}

static ws_err conflicts_list(api_ctx *ctx)
{
    json_t *o = NULL;
    ws_err rc = permit_conflicts_json(ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", o));
}

static ws_err conflicts_put(api_ctx *ctx)
{
    json_t *body = NULL;
    ws_err rc = api_body_object(ctx, false, &body);
    if (rc) return rc;
    CALLER;
    static const char *const keys[] = {"items", NULL};
    rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = permit_conflicts_put(ctx->conn, &by, json_object_get(body, "items"));
    json_decref(body);
    return rc ? rc : conflicts_list(ctx);
}

/* ------------------------------------------------------------------ report */

static const ledger_col report_cols[] = {
    {"作业票编号", LEDGER_TEXT, 18}, {"作业类型", LEDGER_TEXT, 10}, {"等级", LEDGER_TEXT, 6},
    {"实际等级", LEDGER_TEXT, 8},    {"状态", LEDGER_TEXT, 8},     {"作业内容", LEDGER_TEXT, 28},
    {"作业地点", LEDGER_TEXT, 20},   {"计划开始", LEDGER_TIME, 17}, {"计划结束", LEDGER_TIME, 17},
    {"检查规则数", LEDGER_INT, 8},   {"违规规则", LEDGER_TEXT, 18}, {"条款", LEDGER_TEXT, 22},
    {"依据", LEDGER_TEXT, 60},
};
static const ledger_spec report_spec = {"特殊作业合规审计", "特殊作业票合规审计（GB 30871）", true, report_cols,
                                        NF(report_cols), 0};

static ws_err report_get(api_ctx *ctx)
{
    NEED_SVC;
    int64_t unit = 0, from = 0, to = 0;
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_query_id(ctx, "unit_id", &unit);
    if (!rc) rc = api_query_time(ctx, "from", 0, &from);
    if (!rc) rc = api_query_time(ctx, "to", 0, &to);
    if (!rc && (!from || !to)) rc = ws_fail(WS_EINVAL, from ? "to" : "from", "from and to (RFC 3339) are required");
    if (!rc) rc = api_ledger_format(ctx, &fmt, &file);
    json_t *o = NULL;
    if (!rc) rc = permit_report(svc(), ctx->conn, ctx->who.scope_path, unit, from, to, &o);
    if (rc || !file) return rc ? rc : api_reply_json(ctx, 200, o);
    ledger *l = NULL;
    if ((rc = ledger_open(&report_spec, fmt, &l))) {
        json_decref(o);
        return rc;
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(o, "items"), i, p) {
        if (rc) break;
        const json_t *viol = json_object_get(p, "violations");
        size_t nv = json_array_size(viol), rows = nv ? nv : 1;
        for (size_t k = 0; k < rows && !rc; k++) {
            const json_t *v = nv ? json_array_get(viol, k) : NULL;
            int64_t ps = 0, pe = 0;
            clock_parse_rfc3339(json_string_value(json_object_get(p, "planned_start")), &ps);
            clock_parse_rfc3339(json_string_value(json_object_get(p, "planned_end")), &pe);
            const char *cells[] = {"code", "type", "grade", "effective_grade", "state", "title", "location"};
            for (size_t c = 0; c < 7 && !rc; c++) rc = ledger_text(l, json_string_value(json_object_get(p, cells[c])));
            if (!rc) rc = ledger_time(l, ps, NULL);
            if (!rc) rc = ledger_time(l, pe, NULL);
            if (!rc) rc = ledger_int(l, (int64_t)json_array_size(json_object_get(p, "verdicts")));
            if (!rc) rc = ledger_text(l, v ? json_string_value(json_object_get(v, "rule")) : "合规");
            if (!rc) rc = ledger_text(l, v ? json_string_value(json_object_get(v, "clause")) : "");
            if (!rc) rc = ledger_text(l, v ? json_string_value(json_object_get(v, "evidence")) : "");
            if (!rc) rc = ledger_row_end(l);
        }
    }
    json_decref(o);
    if (rc) {
        ledger_free(l);
        return rc;
    }
    return api_ledger_reply(ctx, &report_spec, fmt, l, NULL);
}

/* ----------------------------------------------------------------- routes */

#define R(m, p, fn, act, sum) {m, p, fn, API_AUTH, act, sum, "permits", NULL, 0, 0}
const api_route api_permit_routes[] = {
    R("GET", "/api/v1/permits", permits_list, "permit.read",
      "Special-work permits 特殊作业票 (?unit_id= subtree, &state= a state or open, &type=, &package_id=, "
      "&from=&to= planned window overlap), newest first"),
    R("POST", "/api/v1/permits", permits_create, "permit.write",
      "Apply for a permit (draft): type, grade, unit_id, title, location, planned_start, planned_end, "
      "workers [{person_id, cert_type, cert_no}], guardian_person_id, gas_points, measures (extra items), "
      "height_m, mass_t, hot_tapping, enriched_oxygen, package_id, serves_permit_id"),
    R("GET", "/api/v1/permits/{id}", permits_get, "permit.read",
      "One permit: its record, the live verdicts of every rule, the timeline"),
    R("PATCH", "/api/v1/permits/{id}", permits_patch, "permit.write", "Change a draft (the application's fields)"),
    R("GET", "/api/v1/permits/{id}/precheck", permits_precheck, "permit.read",
      "Pre-check: every rule with its verdict, what is still missing, and conflicting permits"),
    R("POST", "/api/v1/permits/{id}/actions/{action}", permits_action, "permit.write",
      "submit, confirm_measures {confirmed, not_applicable}, gas {kind, unit, value, ...}, approve {post} "
      "(permit.approve and the post), check_in (the guardian; activates when every rule passes), "
      "suspend {reason}, resume, close {note}, cancel {reason}; 409 names the failing rule with all verdicts"),
    R("GET", "/api/v1/permits/{id}/qr.svg", permits_qr, "permit.read",
      "QR code (SVG) of the permit's live page and the evidence-log leaf of its record (?leaf=)"),
    R("POST", "/api/v1/permit-packages", packages_create, "permit.write",
      "A job package 作业包: {unit_id, title}; permits join it when applying (package_id)"),
    R("GET", "/api/v1/permit-packages/{id}", packages_get, "permit.read", "A job package with its permits"),
    R("POST", "/api/v1/permit-packages/{id}/assessment", packages_assess, "permit.approve",
      "Record the joint risk assessment 联合风险评估 of a package {joint_assessment}"),
    R("GET", "/api/v1/certificates", certs_list, "permit.read",
      "Special-operation certificates and guardian qualifications (?person_id=); numbers whole for "
      "permit.admin over the holder's unit, masked (T320***********0017) for others"),
    R("POST", "/api/v1/certificates", certs_create, "permit.admin",
      "Register a certificate: person_id, type, number, expires_at, issued_on, authority"),
    R("POST", "/api/v1/certificates/{id}/revoke", certs_revoke, "permit.admin", "Revoke a certificate"),
    R("POST", "/api/v1/certificates/import", certs_import, "permit.admin",
      "Import certificates from xlsx or CSV (工号, 证书类型, 证书编号, 有效期至, 发证机关, 发证日期) for "
      "?enterprise_id=; all rows or none, a bad row named"),
    R("GET", "/api/v1/permit-types", types_list, "permit.read",
      "The eight operation types: the locked lifecycle, the statutory measures, and the rules of the "
      "profile in force for each (grades, validity, gas analysis, certificates, approval chains)"),
    R("GET", "/api/v1/permit-profiles", profiles_list, "permit.read",
      "The rule profiles (GB 30871-2022 chemical, 工贸 reference, construction) with every rule's clause, "
      "edition and whether its number is confirmed"),
    R("PUT", "/api/v1/permit-profiles/active", profiles_select, "permit.rules", "Switch the profile in force {key}"),
    R("GET", "/api/v1/holiday-calendars", calendars_list, "permit.read",
      "The national holiday calendars (holidays and 调休 working days) per year"),
    R("PUT", "/api/v1/holiday-calendars/{year}", calendars_put, "permit.rules",
      "Load a year's calendar {year, source, holidays [{from, to, name}], workdays [dates]}"),
    R("GET", "/api/v1/permit-conflicts", conflicts_list, "permit.read",
      "The simultaneous-operations matrix (refuse | joint) per pair of types"),
    R("PUT", "/api/v1/permit-conflicts", conflicts_put, "permit.rules",
      "Replace the matrix {items: [{type_a, type_b, verdict, note}]}"),
    R("GET", "/api/v1/permit-report", report_get, "permit.read",
      "Compliance audit of a unit and period (?unit_id=&from=&to=, &format=xlsx): each permit with every "
      "rule checked and each violation with its clause and evidence"),
};
const size_t api_permit_nroutes = sizeof api_permit_routes / sizeof api_permit_routes[0];
