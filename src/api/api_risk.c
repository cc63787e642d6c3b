/* api_risk.c — the risk register over REST (docs/internals/risk.md):
 *
 *   GET  /api/v1/risk/rules                          the active rule set (LEC, LS, levels)
 *   GET/POST /api/v1/risk/rule-sets, POST /api/v1/risk/rule-sets/{id}/actions/activate
 *                                                    every version; a new one; the active one
 *   POST /api/v1/imports/risk ?dry_run=1             bulk import of a register (CSV or XLSX)
 *   GET/POST /api/v1/risk/objects ?unit_id=&kind=&active=   GET/PATCH /api/v1/risk/objects/{id}
 *   GET/POST /api/v1/risk/units ?object_id=&active=         GET/PATCH /api/v1/risk/units/{id}
 *   GET/POST /api/v1/risk/events ?risk_unit_id=&active=     GET/PATCH /api/v1/risk/events/{id}
 *   GET/POST /api/v1/risk/measures ?event_id=&category=&active=
 *                                                    GET/PATCH /api/v1/risk/measures/{id}
 *   GET/POST /api/v1/risk/tasks ?measure_id=&active=        GET/PATCH /api/v1/risk/tasks/{id}
 *
 * Permissions: risk.read (every role in its scope, regulators too, and the
 * register of an area above the scope: a grid's people read their area's)
 * and risk.write (admin, manager, safety_officer), on the unit path of the
 * record's risk object; outside 404. Lists are filtered the same way.
 * Levels are shown as code, Chinese name and colour. Nothing is removed:
 * PATCH {"active": false} retires a record, and an inactive event no longer
 * counts in its unit's level. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
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

/* A read check of a record's unit path: WS_ENOTFOUND outside the scope. */
static ws_err can_read(api_ctx *ctx, ws_err rc, const char *path, const char *what)
{
    if (!rc) {
        auth_resource r = api_unit_resource(ctx, path);
        rc = auth_decide(&ctx->who, "risk.read", &r);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such %s", what);
    return rc;
}

/* The common list filter: scope, page, ?active=, and the parent id. */
static ws_err filter_of(api_ctx *ctx, const char *parent, risk_filter *f)
{
    memset(f, 0, sizeof *f);
    f->scope_path = ctx->who.scope_path;
    ws_err rc = api_page(ctx, &f->limit, &f->cursor);
    if (!rc) rc = api_query_bool(ctx, "active", &f->active);
    if (!rc) rc = api_query_id(ctx, parent, &f->parent_id);
    return rc;
}

/* Level fields (level, level_name, colour) of rank into o; null when 0. */
static void level_into(json_t *o, int rank)
{
    risk_level l = risk_level_of_rank(rank);
    json_object_set_new(o, "level", json_str(l.code));
    json_object_set_new(o, "level_name", json_str(l.name));
    json_object_set_new(o, "colour", json_str(l.colour));
}

static json_t *num(double v) { return isnan(v) ? json_null() : json_real(v); }

/* ------------------------------------------------------------------ rules */

/* A rule set as JSON: header, tables (lec, ls, levels, boundary). */
static json_t *rules_json(const risk_rules *r)
{
    char *tables = risk_rules_tables_json(r);
    json_t *t = tables ? json_loads(tables, 0, NULL) : NULL;
    free(tables);
    if (!t) return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(r->id));
    json_object_set_new(o, "code", json_str(r->code));
    json_object_set_new(o, "version", json_integer(r->version));
    json_object_set_new(o, "name", json_str(r->name));
    json_object_set_new(o, "source", json_str(r->source));
    json_object_set_new(o, "edition", json_str(r->edition));
    json_object_set_new(o, "effective_on", json_str(r->effective_on));
    json_object_set_new(o, "profile", json_str(r->profile));
    json_object_update(o, t);
    json_decref(t);
    return o;
}

static ws_err rules_get(api_ctx *ctx)
{
    risk_rules r;
    ws_err rc = risk_rules_active(ctx->conn, &r);
    if (rc) return rc;
    json_t *o = rules_json(&r);
    if (!o) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    return api_reply_json(ctx, 200, o);
}

/* GET /api/v1/risk/rule-sets: every stored version, oldest first. */
static ws_err rule_sets_list(api_ctx *ctx)
{
    risk_rule_set_row *items = NULL;
    size_t n = 0;
    ws_err rc = risk_ruleset_list(ctx->conn, &items, &n);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = rules_json(&items[i].r);
        if (!o) continue;
        json_object_set_new(o, "active", json_boolean(items[i].active));
        json_object_set_new(o, "created_at", json_time(items[i].created_at));
        json_array_append_new(a, o);
    }
    free(items);
    json_t *o = json_object();
    json_object_set_new(o, "items", a);
    return api_reply_json(ctx, 200, o);
}

typedef struct {
    const char *code, *name, *source, *edition, *effective_on, *profile, *boundary;
    json_t *lec, *ls;
} ruleset_body;

static const json_field ruleset_fields[] = {
    {"code", JF_STRING, true, false, offsetof(ruleset_body, code), RISK_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(ruleset_body, name), RISK_NAME_MAX, 0, 0, -1},
    {"source", JF_STRING, true, false, offsetof(ruleset_body, source), 599, 0, 0, -1},
    {"edition", JF_STRING, true, false, offsetof(ruleset_body, edition), RISK_NAME_MAX, 0, 0, -1},
    {"effective_on", JF_STRING, true, false, offsetof(ruleset_body, effective_on), 10, 0, 0, -1},
    {"profile", JF_STRING, true, false, offsetof(ruleset_body, profile), RISK_CODE_MAX, 0, 0, -1},
    {"lec", JF_OBJECT, true, false, offsetof(ruleset_body, lec), 0, 0, 0, -1},
    {"ls", JF_OBJECT, true, false, offsetof(ruleset_body, ls), 0, 0, 0, -1},
    {"boundary", JF_STRING, false, false, offsetof(ruleset_body, boundary), 32, 0, 0, -1},
};
#define N_RULESET (sizeof ruleset_fields / sizeof ruleset_fields[0])

/* POST /api/v1/risk/rule-sets: a new, inactive version. */
static ws_err rule_sets_create(api_ctx *ctx)
{
    ruleset_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, ruleset_fields, N_RULESET, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    risk_rules *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(root);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    snprintf(r->code, sizeof r->code, "%s", b.code);
    snprintf(r->name, sizeof r->name, "%s", b.name);
    snprintf(r->source, sizeof r->source, "%s", b.source);
    snprintf(r->edition, sizeof r->edition, "%s", b.edition);
    snprintf(r->effective_on, sizeof r->effective_on, "%s", b.effective_on);
    snprintf(r->profile, sizeof r->profile, "%s", b.profile);
    rc = risk_ruleset_check_tables(root, r);
    int64_t id = 0;
    if (!rc) rc = risk_ruleset_create(ctx->conn, &by, r, &id);
    json_decref(root);
    if (!rc) rc = risk_rules_get(ctx->conn, id, r);
    json_t *o = rc ? NULL : rules_json(r);
    free(r);
    if (rc) return rc;
    if (!o) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    json_object_set_new(o, "active", json_false());
    return api_reply_json(ctx, 201, o);
}

/* POST /api/v1/risk/rule-sets/{id}/actions/activate */
static ws_err rule_sets_activate(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (rc) return rc;
    CALLER;
    rc = risk_ruleset_activate(ctx->conn, &by, id);
    if (rc) return rc;
    risk_rules r;
    rc = risk_rules_active(ctx->conn, &r);
    if (rc) return rc;
    json_t *o = rules_json(&r);
    if (!o) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    json_object_set_new(o, "active", json_true());
    return api_reply_json(ctx, 200, o);
}

/* ----------------------------------------------------------------- import */

static ws_err import_media(api_ctx *ctx)
{
    const api_req *q = ctx->req;
    const char *ct = q->header ? q->header(q->hctx, "Content-Type") : NULL;
    static const char *const ok[] = {
        "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"};
    if (!q->body_len) return ws_fail(WS_EINVAL, "file", "send the CSV or XLSX file as the body");
    if (!ct || !*ct) return WS_OK;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = strlen(ok[i]);
        if (strncasecmp(ct, ok[i], n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' '))
            return WS_OK;
    }
    return ws_fail(WS_EMEDIA, "Content-Type",
                   "send the file as text/csv or as an XLSX workbook "
                   "(application/vnd.openxmlformats-officedocument.spreadsheetml.sheet)");
}

static json_t *level_counts(const int *a)
{
    static const char *const names[RISK_IMP_NLEVELS] = {"objects", "units", "events",
                                                        "measures", "tasks"};
    json_t *o = json_object();
    for (int k = 0; k < RISK_IMP_NLEVELS; k++) json_object_set_new(o, names[k], json_integer(a[k]));
    return o;
}

/* POST /api/v1/imports/risk: the same reply as the unit and people imports,
 * with counts per level beside the totals. */
static ws_err import_risk(api_ctx *ctx)
{
    int dry = 0;
    ws_err rc = import_media(ctx);
    if (!rc) rc = api_query_bool(ctx, "dry_run", &dry);
    if (rc) return rc;
    CALLER;
    risk_import_result r;
    const api_req *q = ctx->req;
    rc = risk_import(ctx->conn, &by, q->body, q->body_len, dry == 1, &r);
    if (rc == WS_EINVAL && r.base.nerrors) {
        json_t *rows = json_array();
        for (size_t i = 0; i < r.base.nerrors; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "row", json_integer(r.base.errors[i].row));
            json_object_set_new(o, "field", json_str(r.base.errors[i].field));
            json_object_set_new(o, "message", json_str(r.base.errors[i].message));
            json_array_append_new(rows, o);
        }
        json_t *err = json_object();
        json_object_set_new(err, "code", json_string(ws_err_code(rc)));
        json_object_set_new(err, "message", json_str(ws_err_message()));
        json_object_set_new(err, "field", json_str(ws_err_field()));
        json_object_set_new(err, "rows", rows);
        json_object_set_new(err, "omitted", json_integer((json_int_t)r.base.omitted));
        json_t *env = json_object();
        json_object_set_new(env, "error", err);
        risk_import_result_free(&r);
        return api_reply_json(ctx, 400, env);
    }
    if (rc) {
        risk_import_result_free(&r);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "created", json_integer(r.base.created));
    json_object_set_new(o, "updated", json_integer(r.base.updated));
    json_object_set_new(o, "unchanged", json_integer(r.base.unchanged));
    json_t *lv = json_object();
    json_object_set_new(lv, "created", level_counts(r.created));
    json_object_set_new(lv, "updated", level_counts(r.updated));
    json_object_set_new(lv, "unchanged", level_counts(r.unchanged));
    json_object_set_new(o, "levels", lv);
    json_object_set_new(o, "dry_run", json_boolean(dry == 1));
    json_object_set_new(o, "errors", json_array());
    risk_import_result_free(&r);
    return api_reply_json(ctx, 200, o);
}

/* ---------------------------------------------------------------- objects */

static json_t *object_json(const risk_object *x)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(x->id));
    json_object_set_new(o, "unit_id", json_id(x->unit_id));
    json_object_set_new(o, "kind", json_str(x->kind));
    json_object_set_new(o, "code", x->code[0] ? json_str(x->code) : json_null());
    json_object_set_new(o, "name", json_str(x->name));
    json_object_set_new(o, "description", json_str(x->description));
    json_object_set_new(o, "responsible_person_id", json_id(x->responsible_person_id));
    json_object_set_new(o, "major_hazard", json_boolean(x->major_hazard));
    json_object_set_new(o, "mh_principal_person_id", json_id(x->mh_principal_person_id));
    json_object_set_new(o, "mh_technical_person_id", json_id(x->mh_technical_person_id));
    json_object_set_new(o, "mh_operational_person_id", json_id(x->mh_operational_person_id));
    level_into(o, x->level_rank);
    json_object_set_new(o, "units", json_integer(x->nunits));
    json_object_set_new(o, "active", json_boolean(x->active));
    json_object_set_new(o, "created_at", json_time(x->created_at));
    json_object_set_new(o, "updated_at", json_time(x->updated_at));
    return o;
}

typedef struct {
    int64_t unit_id;
    const char *kind, *code, *name, *description;
    int64_t responsible_person_id;
    bool major_hazard;
    int64_t principal, technical, operational;
    bool active;
} object_body;

/* Same order as the RISK_SET_* bits. REQ: required on creation. */
#define OBJECT_FIELDS(REQ)                                                                       \
    {"unit_id", JF_ID, REQ, false, offsetof(object_body, unit_id), 0, 0, 0, -1},                  \
    {"kind", JF_STRING, REQ, false, offsetof(object_body, kind), 16, 0, 0, -1},                   \
    {"code", JF_STRING, false, true, offsetof(object_body, code), RISK_CODE_MAX, 0, 0, -1},       \
    {"name", JF_STRING, REQ, false, offsetof(object_body, name), RISK_NAME_MAX, 0, 0, -1},        \
    {"description", JF_STRING, false, true, offsetof(object_body, description), RISK_TEXT_MAX,    \
     0, 0, -1},                                                                                  \
    {"responsible_person_id", JF_ID, REQ, false, offsetof(object_body, responsible_person_id), 0, \
     0, 0, -1},                                                                                  \
    {"major_hazard", JF_BOOL, false, false, offsetof(object_body, major_hazard), 0, 0, 0, -1},    \
    {"mh_principal_person_id", JF_ID, false, true, offsetof(object_body, principal), 0, 0, 0, -1}, \
    {"mh_technical_person_id", JF_ID, false, true, offsetof(object_body, technical), 0, 0, 0, -1}, \
    {"mh_operational_person_id", JF_ID, false, true, offsetof(object_body, operational), 0, 0, 0, \
     -1}
static const json_field object_fields[] = {OBJECT_FIELDS(true)};
#define N_OBJECT (sizeof object_fields / sizeof object_fields[0])
static const json_field object_patch_fields[] = {
    OBJECT_FIELDS(false),
    {"active", JF_BOOL, false, false, offsetof(object_body, active), 0, 0, 0, -1},
};
#define N_OBJECT_PATCH (sizeof object_patch_fields / sizeof object_patch_fields[0])

static risk_object_in object_in(const object_body *b, unsigned set)
{
    risk_object_in in = {.set = set, .unit_id = b->unit_id, .kind = b->kind, .code = b->code,
                         .name = b->name, .description = b->description,
                         .responsible_person_id = b->responsible_person_id,
                         .major_hazard = b->major_hazard, .mh_principal_person_id = b->principal,
                         .mh_technical_person_id = b->technical,
                         .mh_operational_person_id = b->operational, .active = b->active};
    return in;
}

static ws_err reply_object(api_ctx *ctx, int status, int64_t id)
{
    risk_object o;
    ws_err rc = risk_object_get(ctx->conn, id, &o);
    if (rc) return rc;
    return api_reply_json(ctx, status, object_json(&o));
}

static ws_err objects_list(api_ctx *ctx)
{
    risk_filter f;
    ws_err rc = filter_of(ctx, "unit_id", &f);
    f.kind = api_query(ctx, "kind");
    if (rc) return rc;
    risk_object *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = risk_object_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, object_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err objects_create(api_ctx *ctx)
{
    object_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, object_fields, N_OBJECT, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    risk_object_in in = object_in(&b, ~0u);
    int64_t id = 0;
    rc = risk_object_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return reply_object(ctx, 201, id);
}

static ws_err objects_get(api_ctx *ctx)
{
    risk_object o;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_object_get(ctx->conn, id, &o);
    rc = can_read(ctx, rc, o.unit_path, "risk object");
    if (rc) return rc;
    return api_reply_json(ctx, 200, object_json(&o));
}

static ws_err objects_patch(api_ctx *ctx)
{
    risk_object o;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_object_get(ctx->conn, id, &o);
    rc = can_read(ctx, rc, o.unit_path, "risk object");
    if (rc) return rc;
    object_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, object_patch_fields, N_OBJECT_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    risk_object_in in = object_in(&b, (unsigned)present);
    rc = risk_object_update(ctx->conn, &by, id, &in);
    json_decref(root);
    if (rc) return rc;
    return reply_object(ctx, 200, id);
}

/* ------------------------------------------------------------------ units */

static json_t *unit_json(const risk_unit *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(u->id));
    json_object_set_new(o, "object_id", json_id(u->object_id));
    json_object_set_new(o, "name", json_str(u->name));
    json_object_set_new(o, "description", json_str(u->description));
    json_object_set_new(o, "responsible_person_id", json_id(u->responsible_person_id));
    level_into(o, u->level_rank);
    json_object_set_new(o, "events", json_integer(u->nevents));
    json_object_set_new(o, "active", json_boolean(u->active));
    json_object_set_new(o, "created_at", json_time(u->created_at));
    json_object_set_new(o, "updated_at", json_time(u->updated_at));
    return o;
}

typedef struct {
    int64_t object_id;
    const char *name, *description;
    int64_t responsible_person_id;
    bool active;
} unit_body;

#define UNIT_FIELDS(REQ)                                                                         \
    {"name", JF_STRING, REQ, false, offsetof(unit_body, name), RISK_NAME_MAX, 0, 0, -1},          \
    {"description", JF_STRING, false, true, offsetof(unit_body, description), RISK_TEXT_MAX, 0,   \
     0, -1},                                                                                     \
    {"responsible_person_id", JF_ID, REQ, false, offsetof(unit_body, responsible_person_id), 0,   \
     0, 0, -1}
static const json_field unit_fields[] = {
    {"object_id", JF_ID, true, false, offsetof(unit_body, object_id), 0, 0, 0, -1},
    UNIT_FIELDS(true),
};
#define N_UNIT (sizeof unit_fields / sizeof unit_fields[0])
/* present bits: name, description, responsible_person_id, active */
static const json_field unit_patch_fields[] = {
    UNIT_FIELDS(false),
    {"active", JF_BOOL, false, false, offsetof(unit_body, active), 0, 0, 0, -1},
};
#define N_UNIT_PATCH (sizeof unit_patch_fields / sizeof unit_patch_fields[0])

static ws_err reply_unit(api_ctx *ctx, int status, int64_t id)
{
    risk_unit u;
    ws_err rc = risk_unit_get(ctx->conn, id, &u);
    if (rc) return rc;
    return api_reply_json(ctx, status, unit_json(&u));
}

static ws_err units_list(api_ctx *ctx)
{
    risk_filter f;
    ws_err rc = filter_of(ctx, "object_id", &f);
    if (rc) return rc;
    risk_unit *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = risk_unit_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, unit_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err units_create(api_ctx *ctx)
{
    unit_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, unit_fields, N_UNIT, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    risk_unit_in in = {.object_id = b.object_id, .name = b.name, .description = b.description,
                       .responsible_person_id = b.responsible_person_id};
    int64_t id = 0;
    rc = risk_unit_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return reply_unit(ctx, 201, id);
}

static ws_err units_get(api_ctx *ctx)
{
    risk_unit u;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_unit_get(ctx->conn, id, &u);
    rc = can_read(ctx, rc, u.unit_path, "risk unit");
    if (rc) return rc;
    return api_reply_json(ctx, 200, unit_json(&u));
}

static ws_err units_patch(api_ctx *ctx)
{
    risk_unit u;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_unit_get(ctx->conn, id, &u);
    rc = can_read(ctx, rc, u.unit_path, "risk unit");
    if (rc) return rc;
    unit_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, unit_patch_fields, N_UNIT_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    unsigned set = 0;
    if (present & 1) set |= RISK_SET_NAME;
    if (present & 2) set |= RISK_SET_DESC;
    if (present & 4) set |= RISK_SET_RESP;
    if (present & 8) set |= RISK_SET_ACTIVE;
    risk_unit_in in = {.set = set, .name = b.name, .description = b.description,
                       .responsible_person_id = b.responsible_person_id, .active = b.active};
    rc = risk_unit_update(ctx->conn, &by, id, &in);
    json_decref(root);
    if (rc) return rc;
    return reply_unit(ctx, 200, id);
}

/* ----------------------------------------------------------------- events */

static json_t *assessment_json(risk_method m, const risk_assessment *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "l", num(a->v[0]));
    if (m == RISK_LS) {
        json_object_set_new(o, "s", num(a->v[1]));
    } else {
        json_object_set_new(o, "e", num(a->v[1]));
        json_object_set_new(o, "c", num(a->v[2]));
    }
    json_object_set_new(o, "score", json_real(a->score));
    level_into(o, a->rank);
    return o;
}

static json_t *event_json(const risk_event *e)
{
    json_t *o = json_object();
    const char *tname = NULL;
    json_object_set_new(o, "id", json_id(e->id));
    json_object_set_new(o, "risk_unit_id", json_id(e->risk_unit_id));
    json_object_set_new(o, "object_id", json_id(e->object_id));
    json_object_set_new(o, "description", json_str(e->description));
    bool typed = risk_accident_type(e->accident_type, &tname);
    json_object_set_new(o, "accident_type", typed ? json_str(e->accident_type) : json_null());
    json_object_set_new(o, "accident_type_name", typed ? json_str(tname) : json_null());
    json_object_set_new(o, "method", json_str(e->method == RISK_LS ? "LS" : "LEC"));
    json_object_set_new(o, "rule_set_id", json_id(e->rule_set_id));
    json_object_set_new(o, "inherent", assessment_json(e->method, &e->inherent));
    json_object_set_new(o, "residual", assessment_json(e->method, &e->residual));
    level_into(o, e->residual.rank); /* an event's level is its residual level */
    json_object_set_new(o, "active", json_boolean(e->active));
    json_object_set_new(o, "created_at", json_time(e->created_at));
    json_object_set_new(o, "updated_at", json_time(e->updated_at));
    return o;
}

typedef struct {
    int64_t risk_unit_id;
    const char *description, *accident_type, *method;
    double v[2][4]; /* inherent, residual: l, e, c, s */
    bool active;
} event_body;

#define EV_NUM(name, i, k) \
    {name, JF_NUMBER, false, false, offsetof(event_body, v) + sizeof(double) * (4 * (i) + (k)), 0, 0, 0, -1}
#define EVENT_FIELDS(REQ)                                                                        \
    {"description", JF_STRING, REQ, false, offsetof(event_body, description), RISK_TEXT_MAX, 0,   \
     0, -1},                                                                                     \
    {"accident_type", JF_STRING, false, true, offsetof(event_body, accident_type), 2, 0, 0, -1},  \
    {"method", JF_STRING, REQ, false, offsetof(event_body, method), 3, 0, 0, -1},                 \
    EV_NUM("inherent_l", 0, 0), EV_NUM("inherent_e", 0, 1), EV_NUM("inherent_c", 0, 2),           \
    EV_NUM("inherent_s", 0, 3), EV_NUM("residual_l", 1, 0), EV_NUM("residual_e", 1, 1),           \
    EV_NUM("residual_c", 1, 2), EV_NUM("residual_s", 1, 3)
/* present bits: risk_unit_id 0, description 1, accident_type 2, method 3,
 * inherent l e c s 4..7, residual l e c s 8..11 (the patch table lacks bit 0
 * and adds active as bit 12 once shifted). */
static const json_field event_fields[] = {
    {"risk_unit_id", JF_ID, true, false, offsetof(event_body, risk_unit_id), 0, 0, 0, -1},
    EVENT_FIELDS(true),
};
#define N_EVENT (sizeof event_fields / sizeof event_fields[0])
static const json_field event_patch_fields[] = {
    EVENT_FIELDS(false),
    {"active", JF_BOOL, false, false, offsetof(event_body, active), 0, 0, 0, -1},
};
#define N_EVENT_PATCH (sizeof event_patch_fields / sizeof event_patch_fields[0])

/* The factor values of the body (present bits from bit 4 of the create
 * table: inherent l e c s, residual l e c s) into in, by method. */
static ws_err event_values(const event_body *b, uint64_t present, risk_event_in *in)
{
    static const char *const names[2][4] = {
        {"inherent_l", "inherent_e", "inherent_c", "inherent_s"},
        {"residual_l", "residual_e", "residual_c", "residual_s"}};
    bool ls = in->method && !strcmp(in->method, "LS");
    for (int i = 0; i < 2; i++) {
        double *dst = i ? in->residual : in->inherent;
        for (int k = 0; k < 4; k++) {
            bool has = present & (1ull << (4 + 4 * i + k));
            bool used = ls ? (k == 0 || k == 3) : k < 3;
            if (has && !used)
                return ws_fail(WS_EINVAL, names[i][k], "%s is not used by the %s method",
                               names[i][k], ls ? "LS" : "LEC");
            if (i == 1 && has) in->has_residual = true;
        }
        dst[0] = present & (1ull << (4 + 4 * i)) ? b->v[i][0] : NAN;
        dst[1] = present & (1ull << (4 + 4 * i + (ls ? 3 : 1))) ? b->v[i][ls ? 3 : 1] : NAN;
        dst[2] = !ls && (present & (1ull << (4 + 4 * i + 2))) ? b->v[i][2] : NAN;
    }
    return WS_OK;
}

static ws_err reply_event(api_ctx *ctx, int status, int64_t id)
{
    risk_event e;
    ws_err rc = risk_event_get(ctx->conn, id, &e);
    if (rc) return rc;
    return api_reply_json(ctx, status, event_json(&e));
}

static ws_err events_list(api_ctx *ctx)
{
    risk_filter f;
    ws_err rc = filter_of(ctx, "risk_unit_id", &f);
    if (rc) return rc;
    risk_event *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = risk_event_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, event_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err events_create(api_ctx *ctx)
{
    event_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, event_fields, N_EVENT, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    risk_event_in in = {.risk_unit_id = b.risk_unit_id, .description = b.description,
                        .accident_type = b.accident_type, .method = b.method};
    rc = event_values(&b, present, &in);
    int64_t id = 0;
    if (!rc) rc = risk_event_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return reply_event(ctx, 201, id);
}

static ws_err events_get(api_ctx *ctx)
{
    risk_event e;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_event_get(ctx->conn, id, &e);
    rc = can_read(ctx, rc, e.unit_path, "risk event");
    if (rc) return rc;
    return api_reply_json(ctx, 200, event_json(&e));
}

static ws_err events_patch(api_ctx *ctx)
{
    risk_event e;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_event_get(ctx->conn, id, &e);
    rc = can_read(ctx, rc, e.unit_path, "risk event");
    if (rc) return rc;
    event_body b = {0};
    uint64_t p = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, event_patch_fields, N_EVENT_PATCH, &b, &p, &root);
    if (rc) return rc;
    CALLER;
    uint64_t present = p << 1; /* the bit positions of the create table */
    risk_event_in in = {.description = b.description, .accident_type = b.accident_type,
                        .method = b.method, .active = b.active};
    if (present & (1u << 1)) in.set |= RISK_SET_EV_DESC;
    if (present & (1u << 2)) in.set |= RISK_SET_EV_TYPE;
    if (present & (0x1ffull << 3)) in.set |= RISK_SET_EV_ASSESS; /* method or any value */
    if (present & (1ull << 12)) in.set |= RISK_SET_EV_ACTIVE;
    if ((in.set & RISK_SET_EV_ASSESS) && !in.method)
        in.method = e.method == RISK_LS ? "LS" : "LEC"; /* a new assessment, same method */
    rc = event_values(&b, present, &in);
    /* Reassessed with the same method: values not given keep theirs. */
    bool same = (in.set & RISK_SET_EV_ASSESS) &&
                !strcmp(in.method, e.method == RISK_LS ? "LS" : "LEC");
    for (int k = 0; same && !rc && k < 3; k++) {
        if (isnan(in.inherent[k])) in.inherent[k] = e.inherent.v[k];
        if (isnan(in.residual[k])) in.residual[k] = e.residual.v[k];
        in.has_residual = true;
    }
    if (!rc) rc = risk_event_update(ctx->conn, &by, id, &in);
    json_decref(root);
    if (rc) return rc;
    return reply_event(ctx, 200, id);
}

/* --------------------------------------------------------------- measures */

static json_t *measure_json(const risk_measure *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(m->id));
    json_object_set_new(o, "event_id", json_id(m->event_id));
    json_object_set_new(o, "category", json_str(m->category));
    json_object_set_new(o, "text", json_str(m->text));
    json_object_set_new(o, "active", json_boolean(m->active));
    json_object_set_new(o, "created_at", json_time(m->created_at));
    json_object_set_new(o, "updated_at", json_time(m->updated_at));
    return o;
}

typedef struct {
    int64_t event_id;
    const char *category, *text;
    bool active;
} measure_body;

#define MEASURE_FIELDS(REQ)                                                                      \
    {"category", JF_STRING, REQ, false, offsetof(measure_body, category), 16, 0, 0, -1},          \
    {"text", JF_STRING, REQ, false, offsetof(measure_body, text), RISK_TEXT_MAX, 0, 0, -1}
static const json_field measure_fields[] = {
    {"event_id", JF_ID, true, false, offsetof(measure_body, event_id), 0, 0, 0, -1},
    MEASURE_FIELDS(true),
};
#define N_MEASURE (sizeof measure_fields / sizeof measure_fields[0])
static const json_field measure_patch_fields[] = {
    MEASURE_FIELDS(false),
    {"active", JF_BOOL, false, false, offsetof(measure_body, active), 0, 0, 0, -1},
};
#define N_MEASURE_PATCH (sizeof measure_patch_fields / sizeof measure_patch_fields[0])

static ws_err reply_measure(api_ctx *ctx, int status, int64_t id)
{
    risk_measure m;
    ws_err rc = risk_measure_get(ctx->conn, id, &m);
    if (rc) return rc;
    return api_reply_json(ctx, status, measure_json(&m));
}

static ws_err measures_list(api_ctx *ctx)
{
    risk_filter f;
    ws_err rc = filter_of(ctx, "event_id", &f);
    f.kind = api_query(ctx, "category");
    if (rc) return rc;
    risk_measure *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = risk_measure_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, measure_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err measures_create(api_ctx *ctx)
{
    measure_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, measure_fields, N_MEASURE, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    risk_measure_in in = {.event_id = b.event_id, .category = b.category, .text = b.text};
    int64_t id = 0;
    rc = risk_measure_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return reply_measure(ctx, 201, id);
}

static ws_err measures_get(api_ctx *ctx)
{
    risk_measure m;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_measure_get(ctx->conn, id, &m);
    rc = can_read(ctx, rc, m.unit_path, "control measure");
    if (rc) return rc;
    return api_reply_json(ctx, 200, measure_json(&m));
}

static ws_err measures_patch(api_ctx *ctx)
{
    risk_measure m;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_measure_get(ctx->conn, id, &m);
    rc = can_read(ctx, rc, m.unit_path, "control measure");
    if (rc) return rc;
    measure_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, measure_patch_fields, N_MEASURE_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    /* present bits: category, text, active = the RISK_SET_M_* bits */
    risk_measure_in in = {.set = (unsigned)present, .category = b.category, .text = b.text,
                          .active = b.active};
    rc = risk_measure_update(ctx->conn, &by, id, &in);
    json_decref(root);
    if (rc) return rc;
    return reply_measure(ctx, 200, id);
}

/* ------------------------------------------------------------------ tasks */

static json_t *task_json(const risk_task *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(t->id));
    json_object_set_new(o, "measure_id", json_id(t->measure_id));
    json_object_set_new(o, "what", json_str(t->what));
    json_object_set_new(o, "frequency", json_str(t->frequency));
    json_object_set_new(o, "every_hours", t->every_hours ? json_integer(t->every_hours) : json_null());
    json_object_set_new(o, "post_id", json_id(t->post_id));
    json_object_set_new(o, "grid_unit_id", json_id(t->grid_unit_id));
    json_object_set_new(o, "active", json_boolean(t->active));
    json_object_set_new(o, "created_at", json_time(t->created_at));
    json_object_set_new(o, "updated_at", json_time(t->updated_at));
    return o;
}

typedef struct {
    int64_t measure_id;
    const char *what, *frequency;
    int64_t every_hours, post_id, grid_unit_id;
    bool active;
} task_body;

#define TASK_FIELDS(REQ)                                                                         \
    {"what", JF_STRING, REQ, false, offsetof(task_body, what), RISK_TEXT_MAX, 0, 0, -1},          \
    {"frequency", JF_STRING, REQ, false, offsetof(task_body, frequency), 16, 0, 0, -1},           \
    {"every_hours", JF_INT, false, true, offsetof(task_body, every_hours), 0, 1, 8760, -1},       \
    {"post_id", JF_ID, false, true, offsetof(task_body, post_id), 0, 0, 0, -1},                   \
    {"grid_unit_id", JF_ID, false, true, offsetof(task_body, grid_unit_id), 0, 0, 0, -1}
static const json_field task_fields[] = {
    {"measure_id", JF_ID, true, false, offsetof(task_body, measure_id), 0, 0, 0, -1},
    TASK_FIELDS(true),
};
#define N_TASK (sizeof task_fields / sizeof task_fields[0])
static const json_field task_patch_fields[] = {
    TASK_FIELDS(false),
    {"active", JF_BOOL, false, false, offsetof(task_body, active), 0, 0, 0, -1},
};
#define N_TASK_PATCH (sizeof task_patch_fields / sizeof task_patch_fields[0])

static ws_err reply_task(api_ctx *ctx, int status, int64_t id)
{
    risk_task t;
    ws_err rc = risk_task_get(ctx->conn, id, &t);
    if (rc) return rc;
    return api_reply_json(ctx, status, task_json(&t));
}

static ws_err tasks_list(api_ctx *ctx)
{
    risk_filter f;
    ws_err rc = filter_of(ctx, "measure_id", &f);
    if (rc) return rc;
    risk_task *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = risk_task_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, task_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err tasks_create(api_ctx *ctx)
{
    task_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, task_fields, N_TASK, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    risk_task_in in = {.measure_id = b.measure_id, .what = b.what, .frequency = b.frequency,
                       .every_hours = b.every_hours, .post_id = b.post_id,
                       .grid_unit_id = b.grid_unit_id};
    int64_t id = 0;
    rc = risk_task_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return reply_task(ctx, 201, id);
}

static ws_err tasks_get(api_ctx *ctx)
{
    risk_task t;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_task_get(ctx->conn, id, &t);
    rc = can_read(ctx, rc, t.unit_path, "inspection task");
    if (rc) return rc;
    return api_reply_json(ctx, 200, task_json(&t));
}

static ws_err tasks_patch(api_ctx *ctx)
{
    risk_task t;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = risk_task_get(ctx->conn, id, &t);
    rc = can_read(ctx, rc, t.unit_path, "inspection task");
    if (rc) return rc;
    task_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, task_patch_fields, N_TASK_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    /* present bits: what, frequency, every_hours, post_id, grid_unit_id,
     * active = the RISK_SET_T_* bits */
    risk_task_in in = {.set = (unsigned)present, .what = b.what, .frequency = b.frequency,
                       .every_hours = b.every_hours, .post_id = b.post_id,
                       .grid_unit_id = b.grid_unit_id, .active = b.active};
    rc = risk_task_update(ctx->conn, &by, id, &in);
    json_decref(root);
    if (rc) return rc;
    return reply_task(ctx, 200, id);
}

/* ----------------------------------------------------------------- routes */

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "risk", body, nbody}
const api_route api_risk_routes[] = {
    R("GET", "/api/v1/risk/rules", rules_get, "risk.read",
      "The active risk rule set: LEC and LS tables, cut-offs, levels and colours, with source "
      "and edition", NULL, 0),
    R("GET", "/api/v1/risk/rule-sets", rule_sets_list, "risk.read",
      "Every stored rule set (all versions), oldest first, with its active flag", NULL, 0),
    R("POST", "/api/v1/risk/rule-sets", rule_sets_create, "risk.rules.write",
      "Add a new, inactive version of a rule set: source, edition, effective date, profile and "
      "LEC/LS tables (values positive and distinct, four cut-offs strictly descending)",
      ruleset_fields, N_RULESET),
    R("POST", "/api/v1/risk/rule-sets/{id}/actions/activate", rule_sets_activate,
      "risk.rules.write",
      "Make a rule set the active one: new assessments use it, existing events keep theirs",
      NULL, 0),
    {"POST", "/api/v1/imports/risk", import_risk, API_AUTH, "import.run",
     "Import a risk register (one row per control measure) from CSV (UTF-8 or GBK) or XLSX; "
     "all or nothing; ?dry_run=1", "imports", NULL, 0, ORG_IMPORT_MAX_BYTES},
    R("GET", "/api/v1/risk/objects", objects_list, "risk.read",
      "Risk analysis objects in the caller's scope (?unit_id= subtree, &kind=, &active=)", NULL, 0),
    R("POST", "/api/v1/risk/objects", objects_create, "risk.write",
      "Create a risk analysis object (a major hazard names its three responsible persons)",
      object_fields, N_OBJECT),
    R("GET", "/api/v1/risk/objects/{id}", objects_get, "risk.read",
      "One risk object with its level (the highest of its units')", NULL, 0),
    R("PATCH", "/api/v1/risk/objects/{id}", objects_patch, "risk.write",
      "Change a risk object; {\"active\":false} retires it", object_patch_fields,
      N_OBJECT_PATCH),
    R("GET", "/api/v1/risk/units", units_list, "risk.read",
      "Risk analysis units in the caller's scope (?object_id=, &active=)", NULL, 0),
    R("POST", "/api/v1/risk/units", units_create, "risk.write", "Create a risk analysis unit",
      unit_fields, N_UNIT),
    R("GET", "/api/v1/risk/units/{id}", units_get, "risk.read",
      "One risk unit with its level (the highest of its events')", NULL, 0),
    R("PATCH", "/api/v1/risk/units/{id}", units_patch, "risk.write", "Change a risk unit",
      unit_patch_fields, N_UNIT_PATCH),
    R("GET", "/api/v1/risk/events", events_list, "risk.read",
      "Risk events in the caller's scope (?risk_unit_id=, &active=)", NULL, 0),
    R("POST", "/api/v1/risk/events", events_create, "risk.write",
      "Create a risk event assessed by LEC (l, e, c) or LS (l, s) from the active rule set",
      event_fields, N_EVENT),
    R("GET", "/api/v1/risk/events/{id}", events_get, "risk.read",
      "One risk event: inherent and residual assessment, level = residual level", NULL, 0),
    R("PATCH", "/api/v1/risk/events/{id}", events_patch, "risk.write",
      "Change or reassess a risk event", event_patch_fields, N_EVENT_PATCH),
    R("GET", "/api/v1/risk/measures", measures_list, "risk.read",
      "Control measures in the caller's scope (?event_id=, &category=, &active=)", NULL, 0),
    R("POST", "/api/v1/risk/measures", measures_create, "risk.write",
      "Create a control measure (engineering, management, training, ppe, emergency)",
      measure_fields, N_MEASURE),
    R("GET", "/api/v1/risk/measures/{id}", measures_get, "risk.read", "One control measure",
      NULL, 0),
    R("PATCH", "/api/v1/risk/measures/{id}", measures_patch, "risk.write",
      "Change a control measure", measure_patch_fields, N_MEASURE_PATCH),
    R("GET", "/api/v1/risk/tasks", tasks_list, "risk.read",
      "Inspection tasks in the caller's scope (?measure_id=, &active=)", NULL, 0),
    R("POST", "/api/v1/risk/tasks", tasks_create, "risk.write",
      "Create an inspection task: what, how often (daily, weekly, monthly, every N hours), "
      "which post or grid", task_fields, N_TASK),
    R("GET", "/api/v1/risk/tasks/{id}", tasks_get, "risk.read", "One inspection task", NULL, 0),
    R("PATCH", "/api/v1/risk/tasks/{id}", tasks_patch, "risk.write", "Change an inspection task",
      task_patch_fields, N_TASK_PATCH),
};
const size_t api_risk_nroutes = sizeof api_risk_routes / sizeof api_risk_routes[0];
