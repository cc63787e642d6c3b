/* api_org.c — the organisation resources: units, departments, posts, people
 * and bulk imports (docs/internals/org.md; contract in the API brief).
 *
 *   GET/POST /api/v1/units ?parent_id=&kind=&active=    GET/PATCH /api/v1/units/{id}
 *   GET  /api/v1/units/{id}/tree                        the subtree, nested in "children"
 *   POST /api/v1/units/{id}/actions/deactivate
 *   GET/POST /api/v1/departments ?enterprise_id=        PATCH /api/v1/departments/{id}
 *   GET/POST /api/v1/posts ?enterprise_id=              PATCH /api/v1/posts/{id}
 *   GET/POST /api/v1/people ?unit_id=&active=&q=        GET/PATCH /api/v1/people/{id}
 *   POST /api/v1/people/{id}/actions/deactivate {reason?}
 *   POST /api/v1/people/{id}/actions/transfer {unit_id, department_id?, reason?}
 *   POST /api/v1/people/{id}/actions/erase {reason}   a leaver's personal data (admins)
 *   GET  /api/v1/people/{id}/transfers
 *   POST /api/v1/imports/units | /api/v1/imports/people  (body: CSV or XLSX; ?dry_run=1)
 *
 * Every GET list also answers ?format=xlsx|csv with its ledger (台账): the
 * same filters and scope, every matching row (not paginated, at most
 * LEDGER_MAX_ROWS), Chinese headings (api_ledger.h, docs/internals/ledger.md).
 *
 * Permissions: the dispatcher checks the route's action by role; here every
 * resource is checked again with its unit path (outside the caller's scope:
 * 404), lists are filtered by the scope path, and the phone number is left
 * out for callers without person.contact (regulators). Writes go through
 * src/org, which repeats the checks on every unit it touches and appends the
 * audit leaves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "org/org.h"

#define TREE_MAX 5000

/* The caller as org sees it; actor_name is the caller's buffer. */
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

/* A read check of a unit path: WS_ENOTFOUND outside the scope. */
static ws_err can(api_ctx *ctx, const char *action, const char *path)
{
    auth_resource r = {0};
    r.unit_path = path;
    return auth_decide(&ctx->who, action, &r);
}

/* ------------------------------------------------------------------ units */

static json_t *unit_json(const org_unit *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(u->id));
    json_object_set_new(o, "parent_id", json_id(u->parent_id));
    json_object_set_new(o, "kind", json_str(u->kind));
    json_object_set_new(o, "code", json_str(u->code));
    json_object_set_new(o, "name", json_str(u->name));
    json_object_set_new(o, "tz", json_str(u->tz));
    json_object_set_new(o, "leader_person_id", json_id(u->leader_person_id));
    json_object_set_new(o, "path", json_str(u->path));
    json_object_set_new(o, "enterprise_id", json_id(u->enterprise_id));
    json_object_set_new(o, "active", json_boolean(u->active));
    json_object_set_new(o, "created_at", json_time(u->created_at));
    json_object_set_new(o, "updated_at", json_time(u->updated_at));
    return o;
}

/* The unit of path parameter 0, readable by the caller. */
static ws_err load_unit(api_ctx *ctx, org_unit *u)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = org_unit_get(ctx->conn, id, u);
    if (!rc) rc = can(ctx, "unit.read", u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such unit");
    return rc;
}

static ws_err reply_unit(api_ctx *ctx, int status, int64_t id)
{
    org_unit u;
    ws_err rc = org_unit_get(ctx->conn, id, &u);
    if (rc) return rc;
    return api_reply_json(ctx, status, unit_json(&u));
}

static const ledger_col unit_ledger_cols[] = {
    {"单位编码", LEDGER_TEXT, 16}, {"单位名称", LEDGER_TEXT, 32}, {"类型", LEDGER_TEXT, 10},
    {"上级单位", LEDGER_TEXT, 32}, {"时区", LEDGER_TEXT, 16},   {"负责人", LEDGER_TEXT, 12},
    {"状态", LEDGER_TEXT, 8},      {"创建时间", LEDGER_TIME, 18},
};
static const ledger_spec unit_ledger = {"单位台账", NULL, true, unit_ledger_cols, 8, 0};

/* Every unit the filter matches, as a ledger. */
static ws_err units_export(api_ctx *ctx, org_unit_filter *f, ledger_format fmt)
{
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    org_unit *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    ws_err rc = names ? ledger_open(&unit_ledger, fmt, &l) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    f->limit = API_LEDGER_PAGE;
    f->cursor = 0;
    do {
        if (!rc) rc = org_unit_list(ctx->conn, f, &items, &n, &next);
        for (size_t i = 0; !rc && i < n; i++) {
            const org_unit *u = &items[i];
            rc = ledger_text(l, u->code);
            if (!rc) rc = ledger_text(l, u->name);
            if (!rc) rc = ledger_text(l, api_kind_zh(u->kind));
            if (!rc) rc = ledger_text(l, api_unit_name(names, u->parent_id, NULL));
            if (!rc) rc = ledger_text(l, u->tz);
            if (!rc) rc = ledger_text(l, api_person_name(names, u->leader_person_id));
            if (!rc) rc = ledger_text(l, u->active ? "在用" : "已停用");
            if (!rc) rc = ledger_time(l, u->created_at, u->tz);
            if (!rc) rc = ledger_row_end(l);
        }
        free(items);
        items = NULL;
        f->cursor = next;
    } while (!rc && next > 0);
    return api_ledger_finish(ctx, &unit_ledger, fmt, l, names, rc);
}

static ws_err units_list(api_ctx *ctx)
{
    org_unit_filter f = {.scope_path = ctx->who.scope_path};
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = api_page(ctx, &f.limit, &f.cursor);
    if (!rc) rc = api_query_id(ctx, "parent_id", &f.parent_id);
    if (!rc) rc = api_query_bool(ctx, "active", &f.active);
    f.kind = api_query(ctx, "kind");
    if (!rc && f.kind && !org_kind_valid(f.kind))
        rc = ws_fail(WS_EINVAL, "kind", "kind must be park, enterprise, site, area, grid or workshop");
    if (rc) return rc;
    if (file) return units_export(ctx, &f, fmt);
    org_unit *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = org_unit_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, unit_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

typedef struct {
    int64_t parent_id;
    const char *kind, *code, *name, *tz;
    int64_t leader_person_id;
} unit_body;

static const json_field unit_create_fields[] = {
    {"parent_id", JF_ID, true, false, offsetof(unit_body, parent_id), 0, 0, 0, -1},
    {"kind", JF_STRING, true, false, offsetof(unit_body, kind), ORG_KIND_MAX, 0, 0, -1},
    {"code", JF_STRING, true, false, offsetof(unit_body, code), ORG_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(unit_body, name), ORG_NAME_MAX, 0, 0, -1},
    {"tz", JF_STRING, false, true, offsetof(unit_body, tz), ORG_TZ_MAX, 0, 0, -1},
    {"leader_person_id", JF_ID, false, true, offsetof(unit_body, leader_person_id), 0, 0, 0, -1},
};
#define N_UNIT_CREATE (sizeof unit_create_fields / sizeof unit_create_fields[0])

static ws_err units_create(api_ctx *ctx)
{
    unit_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, unit_create_fields, N_UNIT_CREATE, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    org_unit_in in = {.parent_id = b.parent_id, .kind = b.kind, .code = b.code, .name = b.name,
                      .tz = b.tz, .leader_person_id = b.leader_person_id};
    int64_t id = 0;
    rc = org_unit_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return reply_unit(ctx, 201, id);
}

static ws_err units_get(api_ctx *ctx)
{
    org_unit u;
    ws_err rc = load_unit(ctx, &u);
    if (rc) return rc;
    return api_reply_json(ctx, 200, unit_json(&u));
}

/* Same order as the ORG_SET_* bits. */
static const json_field unit_patch_fields[] = {
    {"parent_id", JF_ID, false, false, offsetof(unit_body, parent_id), 0, 0, 0, -1},
    {"kind", JF_STRING, false, false, offsetof(unit_body, kind), ORG_KIND_MAX, 0, 0, -1},
    {"code", JF_STRING, false, false, offsetof(unit_body, code), ORG_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, false, false, offsetof(unit_body, name), ORG_NAME_MAX, 0, 0, -1},
    {"tz", JF_STRING, false, false, offsetof(unit_body, tz), ORG_TZ_MAX, 0, 0, -1},
    {"leader_person_id", JF_ID, false, true, offsetof(unit_body, leader_person_id), 0, 0, 0, -1},
};
#define N_UNIT_PATCH (sizeof unit_patch_fields / sizeof unit_patch_fields[0])

static ws_err units_patch(api_ctx *ctx)
{
    org_unit u;
    ws_err rc = load_unit(ctx, &u);
    if (rc) return rc;
    unit_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, unit_patch_fields, N_UNIT_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    org_unit_patch p = {.set = (unsigned)present, .parent_id = b.parent_id, .kind = b.kind,
                        .code = b.code, .name = b.name, .tz = b.tz,
                        .leader_person_id = b.leader_person_id};
    rc = org_unit_update(ctx->conn, &by, u.id, &p);
    json_decref(root);
    if (rc) return rc;
    return reply_unit(ctx, 200, u.id);
}

static ws_err units_deactivate(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    org_unit u;
    ws_err rc = load_unit(ctx, &u);
    if (rc) return rc;
    CALLER;
    rc = org_unit_deactivate(ctx->conn, &by, u.id);
    if (rc) return rc;
    return reply_unit(ctx, 200, u.id);
}

typedef struct {
    int64_t id;
    size_t i;
} id_ix;

static int id_cmp(const void *a, const void *b)
{
    const id_ix *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static ws_err units_tree(api_ctx *ctx)
{
    org_unit root;
    ws_err rc = load_unit(ctx, &root);
    if (rc) return rc;
    org_unit *items = NULL;
    size_t n = 0;
    rc = org_unit_subtree(ctx->conn, &root, TREE_MAX, &items, &n);
    if (rc) return rc;
    json_t **nodes = calloc(n ? n : 1, sizeof *nodes);
    id_ix *ix = calloc(n ? n : 1, sizeof *ix);
    if (!nodes || !ix) {
        free(nodes);
        free(ix);
        free(items);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        nodes[i] = unit_json(&items[i]);
        json_object_set_new(nodes[i], "children", json_array());
        ix[i] = (id_ix){items[i].id, i};
    }
    qsort(ix, n, sizeof *ix, id_cmp);
    json_t *top = NULL;
    /* Parents come first (ordered by path length); attach each to its parent. */
    for (size_t i = 0; i < n; i++) {
        id_ix key = {items[i].parent_id, 0};
        id_ix *p = items[i].id == root.id ? NULL : bsearch(&key, ix, n, sizeof *ix, id_cmp);
        if (p) json_array_append(json_object_get(nodes[p->i], "children"), nodes[i]);
        else if (items[i].id == root.id) top = nodes[i];
    }
    if (top) json_incref(top);
    for (size_t i = 0; i < n; i++) json_decref(nodes[i]);
    free(nodes);
    free(ix);
    free(items);
    if (!top) return ws_fail(WS_ENOTFOUND, "id", "no such unit");
    return api_reply_json(ctx, 200, top);
}

/* ---------------------------------------------------- departments, posts */

static json_t *dept_json(const org_dept *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(d->id));
    json_object_set_new(o, "enterprise_id", json_id(d->enterprise_id));
    json_object_set_new(o, "code", json_str(d->code));
    json_object_set_new(o, "name", json_str(d->name));
    json_object_set_new(o, "active", json_boolean(d->active));
    json_object_set_new(o, "created_at", json_time(d->created_at));
    json_object_set_new(o, "updated_at", json_time(d->updated_at));
    return o;
}

static json_t *post_json(const org_post *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(p->id));
    json_object_set_new(o, "enterprise_id", json_id(p->enterprise_id));
    json_object_set_new(o, "department_id", json_id(p->department_id));
    json_object_set_new(o, "code", json_str(p->code));
    json_object_set_new(o, "name", json_str(p->name));
    json_object_set_new(o, "active", json_boolean(p->active));
    json_object_set_new(o, "created_at", json_time(p->created_at));
    json_object_set_new(o, "updated_at", json_time(p->updated_at));
    return o;
}

/* May the caller see the reference data of an enterprise? Yes when the
 * enterprise lies in the scope or the scope lies inside the enterprise. */
static ws_err enterprise_visible(api_ctx *ctx, int64_t enterprise_id)
{
    org_unit e;
    ws_err rc = org_unit_get(ctx->conn, enterprise_id, &e);
    if (!rc) {
        const char *s = ctx->who.scope_path;
        bool inside = strncmp(s, e.path, strlen(e.path)) == 0;
        rc = can(ctx, "unit.read", inside ? s : e.path);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "not found");
    return rc;
}

static ws_err ref_filter(api_ctx *ctx, org_ref_filter *f)
{
    memset(f, 0, sizeof *f);
    f->scope_path = ctx->who.scope_path;
    ws_err rc = api_page(ctx, &f->limit, &f->cursor);
    if (!rc) rc = api_query_id(ctx, "enterprise_id", &f->enterprise_id);
    return rc;
}

static const ledger_col dept_ledger_cols[] = {
    {"部门编码", LEDGER_TEXT, 14}, {"部门名称", LEDGER_TEXT, 24}, {"所属企业", LEDGER_TEXT, 32},
    {"状态", LEDGER_TEXT, 8},      {"创建时间", LEDGER_TIME, 18},
};
static const ledger_spec dept_ledger = {"部门台账", NULL, true, dept_ledger_cols, 5, 0};
static const ledger_col post_ledger_cols[] = {
    {"岗位编码", LEDGER_TEXT, 14}, {"岗位名称", LEDGER_TEXT, 24}, {"所属企业", LEDGER_TEXT, 32},
    {"所属部门", LEDGER_TEXT, 20}, {"状态", LEDGER_TEXT, 8},      {"创建时间", LEDGER_TIME, 18},
};
static const ledger_spec post_ledger = {"岗位台账", NULL, true, post_ledger_cols, 6, 0};

/* Every department (posts: false) or post (true) the filter matches, as a
 * ledger. */
static ws_err refs_export(api_ctx *ctx, org_ref_filter *f, ledger_format fmt, bool posts)
{
    const ledger_spec *spec = posts ? &post_ledger : &dept_ledger;
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    ws_err rc = names ? ledger_open(spec, fmt, &l) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    int64_t next = 0;
    f->limit = API_LEDGER_PAGE;
    f->cursor = 0;
    do {
        org_dept *d = NULL;
        org_post *p = NULL;
        size_t n = 0;
        if (!rc) rc = posts ? org_post_list(ctx->conn, f, &p, &n, &next)
                            : org_dept_list(ctx->conn, f, &d, &n, &next);
        for (size_t i = 0; !rc && i < n; i++) {
            const char *tz = NULL;
            int64_t ent = posts ? p[i].enterprise_id : d[i].enterprise_id;
            const char *ent_name = api_unit_name(names, ent, &tz);
            rc = ledger_text(l, posts ? p[i].code : d[i].code);
            if (!rc) rc = ledger_text(l, posts ? p[i].name : d[i].name);
            if (!rc) rc = ledger_text(l, ent_name);
            if (!rc && posts) rc = ledger_text(l, api_dept_name(names, p[i].department_id));
            if (!rc) rc = ledger_text(l, (posts ? p[i].active : d[i].active) ? "在用" : "已停用");
            if (!rc) rc = ledger_time(l, posts ? p[i].created_at : d[i].created_at, tz);
            if (!rc) rc = ledger_row_end(l);
        }
        free(d);
        free(p);
        f->cursor = next;
    } while (!rc && next > 0);
    return api_ledger_finish(ctx, spec, fmt, l, names, rc);
}

static ws_err depts_list(api_ctx *ctx)
{
    org_ref_filter f;
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = ref_filter(ctx, &f);
    if (rc) return rc;
    if (file) return refs_export(ctx, &f, fmt, false);
    org_dept *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = org_dept_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, dept_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err posts_list(api_ctx *ctx)
{
    org_ref_filter f;
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = ref_filter(ctx, &f);
    if (rc) return rc;
    if (file) return refs_export(ctx, &f, fmt, true);
    org_post *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = org_post_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, post_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

typedef struct {
    int64_t enterprise_id;
    const char *code, *name;
    bool active;
    int64_t department_id;
} ref_body;

static const json_field dept_create_fields[] = {
    {"enterprise_id", JF_ID, true, false, offsetof(ref_body, enterprise_id), 0, 0, 0, -1},
    {"code", JF_STRING, true, false, offsetof(ref_body, code), ORG_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(ref_body, name), ORG_NAME_MAX, 0, 0, -1},
};
#define N_DEPT_CREATE (sizeof dept_create_fields / sizeof dept_create_fields[0])

/* Same order as ORG_SET_DEPT_CODE, _NAME, _ACTIVE, ORG_SET_POST_DEPT. */
static const json_field ref_patch_fields[] = {
    {"code", JF_STRING, false, false, offsetof(ref_body, code), ORG_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, false, false, offsetof(ref_body, name), ORG_NAME_MAX, 0, 0, -1},
    {"active", JF_BOOL, false, false, offsetof(ref_body, active), 0, 0, 0, -1},
    {"department_id", JF_ID, false, true, offsetof(ref_body, department_id), 0, 0, 0, -1},
};
#define N_DEPT_PATCH 3
#define N_POST_PATCH 4

static const json_field post_create_fields[] = {
    {"enterprise_id", JF_ID, true, false, offsetof(ref_body, enterprise_id), 0, 0, 0, -1},
    {"department_id", JF_ID, false, true, offsetof(ref_body, department_id), 0, 0, 0, -1},
    {"code", JF_STRING, true, false, offsetof(ref_body, code), ORG_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(ref_body, name), ORG_NAME_MAX, 0, 0, -1},
};
#define N_POST_CREATE (sizeof post_create_fields / sizeof post_create_fields[0])

static ws_err depts_create(api_ctx *ctx)
{
    ref_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, dept_create_fields, N_DEPT_CREATE, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    int64_t id = 0;
    rc = org_dept_create(ctx->conn, &by, b.enterprise_id, b.code, b.name, &id);
    json_decref(root);
    org_dept d;
    if (!rc) rc = org_dept_get(ctx->conn, id, &d);
    if (rc) return rc;
    return api_reply_json(ctx, 201, dept_json(&d));
}

static ws_err depts_patch(api_ctx *ctx)
{
    int64_t id;
    org_dept d;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = org_dept_get(ctx->conn, id, &d);
    if (!rc) rc = enterprise_visible(ctx, d.enterprise_id);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such department");
    if (rc) return rc;
    ref_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, ref_patch_fields, N_DEPT_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    rc = org_dept_update(ctx->conn, &by, id, (unsigned)present, b.code, b.name, b.active);
    json_decref(root);
    if (!rc) rc = org_dept_get(ctx->conn, id, &d);
    if (rc) return rc;
    return api_reply_json(ctx, 200, dept_json(&d));
}

static ws_err posts_create(api_ctx *ctx)
{
    ref_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, post_create_fields, N_POST_CREATE, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    int64_t id = 0;
    rc = org_post_create(ctx->conn, &by, b.enterprise_id, b.department_id, b.code, b.name, &id);
    json_decref(root);
    org_post p;
    if (!rc) rc = org_post_get(ctx->conn, id, &p);
    if (rc) return rc;
    return api_reply_json(ctx, 201, post_json(&p));
}

static ws_err posts_patch(api_ctx *ctx)
{
    int64_t id;
    org_post p;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = org_post_get(ctx->conn, id, &p);
    if (!rc) rc = enterprise_visible(ctx, p.enterprise_id);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such post");
    if (rc) return rc;
    ref_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, ref_patch_fields, N_POST_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    rc = org_post_update(ctx->conn, &by, id, (unsigned)present, b.code, b.name, b.active,
                         b.department_id);
    json_decref(root);
    if (!rc) rc = org_post_get(ctx->conn, id, &p);
    if (rc) return rc;
    return api_reply_json(ctx, 200, post_json(&p));
}

/* ----------------------------------------------------------------- people */

static json_t *person_json(const org_person *p, bool contact)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(p->id));
    json_object_set_new(o, "unit_id", json_id(p->unit_id));
    json_object_set_new(o, "department_id", json_id(p->department_id));
    json_object_set_new(o, "employee_no", p->employee_no[0] ? json_str(p->employee_no) : json_null());
    json_object_set_new(o, "name", json_str(p->name));
    if (contact) json_object_set_new(o, "phone", p->phone[0] ? json_str(p->phone) : json_null());
    json_object_set_new(o, "active", json_boolean(p->active));
    json_object_set_new(o, "left_at", json_time(p->left_at));
    json_t *posts = json_array();
    for (int i = 0; i < p->npost; i++) json_array_append_new(posts, json_id(p->post_ids[i]));
    json_object_set_new(o, "post_ids", posts);
    json_object_set_new(o, "created_at", json_time(p->created_at));
    json_object_set_new(o, "updated_at", json_time(p->updated_at));
    return o;
}

static bool may_contact(api_ctx *ctx, const char *path)
{
    auth_resource r = {0};
    r.unit_path = path;
    bool ok = auth_decide(&ctx->who, "person.contact", path ? &r : NULL) == WS_OK;
    ws_err_clear();
    return ok;
}

/* The person of path parameter 0, readable by the caller. */
static ws_err load_person(api_ctx *ctx, org_person *p)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = org_person_get(ctx->conn, id, p);
    if (!rc) rc = can(ctx, "person.read", p->unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such person");
    return rc;
}

static ws_err reply_person(api_ctx *ctx, int status, int64_t id)
{
    org_person p;
    ws_err rc = org_person_get(ctx->conn, id, &p);
    if (rc) return rc;
    return api_reply_json(ctx, status, person_json(&p, may_contact(ctx, p.unit_path)));
}

/* The people ledger; the phone column only for callers with person.contact. */
static const ledger_col person_ledger_cols[] = {
    {"姓名", LEDGER_TEXT, 12}, {"工号", LEDGER_TEXT, 12}, {"单位", LEDGER_TEXT, 28},
    {"部门", LEDGER_TEXT, 16}, {"岗位", LEDGER_TEXT, 24}, {"手机", LEDGER_TEXT, 16},
    {"状态", LEDGER_TEXT, 8},  {"离职日期", LEDGER_DATE, 12},
};
static const ledger_col person_ledger_cols_nophone[] = {
    {"姓名", LEDGER_TEXT, 12}, {"工号", LEDGER_TEXT, 12}, {"单位", LEDGER_TEXT, 28},
    {"部门", LEDGER_TEXT, 16}, {"岗位", LEDGER_TEXT, 24}, {"状态", LEDGER_TEXT, 8},
    {"离职日期", LEDGER_DATE, 12},
};

static ws_err people_export(api_ctx *ctx, org_person_filter *f, ledger_format fmt, bool contact)
{
    ledger_spec spec = {"人员台账", NULL, true, contact ? person_ledger_cols : person_ledger_cols_nophone,
                        contact ? 8 : 7, 0};
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    ws_err rc = names ? ledger_open(&spec, fmt, &l) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    int64_t next = 0;
    f->limit = API_LEDGER_PAGE;
    f->cursor = 0;
    do {
        org_person *items = NULL;
        size_t n = 0;
        if (!rc) rc = org_person_list(ctx->conn, f, &items, &n, &next);
        for (size_t i = 0; !rc && i < n; i++) {
            const org_person *p = &items[i];
            const char *tz = NULL;
            const char *unit = api_unit_name(names, p->unit_id, &tz);
            char posts[600] = "";
            size_t len = 0;
            for (int k = 0; k < p->npost; k++) {
                int w = snprintf(posts + len, sizeof posts - len, "%s%s", k ? "、" : "",
                                 api_post_name(names, p->post_ids[k]));
                if (w < 0 || (size_t)w >= sizeof posts - len) break;
                len += (size_t)w;
            }
            rc = ledger_text(l, p->name);
            if (!rc) rc = ledger_text(l, p->employee_no);
            if (!rc) rc = ledger_text(l, unit);
            if (!rc) rc = ledger_text(l, api_dept_name(names, p->department_id));
            if (!rc) rc = ledger_text(l, posts);
            if (!rc && contact) rc = ledger_text(l, p->phone);
            if (!rc) rc = ledger_text(l, p->active ? "在职" : "已离职");
            if (!rc) rc = ledger_time(l, p->left_at, tz);
            if (!rc) rc = ledger_row_end(l);
        }
        free(items);
        f->cursor = next;
    } while (!rc && next > 0);
    return api_ledger_finish(ctx, &spec, fmt, l, names, rc);
}

static ws_err people_list(api_ctx *ctx)
{
    org_person_filter f = {.scope_path = ctx->who.scope_path};
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = api_page(ctx, &f.limit, &f.cursor);
    if (!rc) rc = api_query_id(ctx, "unit_id", &f.unit_id);
    if (!rc) rc = api_query_bool(ctx, "active", &f.active);
    f.q = api_query(ctx, "q");
    if (!rc && f.q && strlen(f.q) > 100)
        rc = ws_fail(WS_EINVAL, "q", "q is longer than 100 bytes");
    if (rc) return rc;
    bool contact = may_contact(ctx, NULL);
    f.q_phone = contact; /* no probing for numbers one may not see */
    if (file) return people_export(ctx, &f, fmt, contact);
    org_person *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = org_person_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, person_json(&items[i], contact));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

typedef struct {
    int64_t unit_id, department_id;
    const char *employee_no, *name, *phone, *reason;
    json_t *post_ids;
} person_body;

static const json_field person_create_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(person_body, unit_id), 0, 0, 0, -1},
    {"department_id", JF_ID, false, true, offsetof(person_body, department_id), 0, 0, 0, -1},
    {"employee_no", JF_STRING, false, true, offsetof(person_body, employee_no), ORG_EMPNO_MAX, 0,
     0, -1},
    {"name", JF_STRING, true, false, offsetof(person_body, name), ORG_NAME_MAX, 0, 0, -1},
    {"phone", JF_STRING, false, true, offsetof(person_body, phone), ORG_PHONE_MAX, 0, 0, -1},
    {"post_ids", JF_ARRAY, false, true, offsetof(person_body, post_ids), ORG_POSTS_MAX, 0, 0, -1},
};
#define N_PERSON_CREATE (sizeof person_create_fields / sizeof person_create_fields[0])

/* Same order as the ORG_SET_P_* bits; unit_id last (refused: a transfer). */
static const json_field person_patch_fields[] = {
    {"department_id", JF_ID, false, true, offsetof(person_body, department_id), 0, 0, 0, -1},
    {"employee_no", JF_STRING, false, true, offsetof(person_body, employee_no), ORG_EMPNO_MAX, 0,
     0, -1},
    {"name", JF_STRING, false, false, offsetof(person_body, name), ORG_NAME_MAX, 0, 0, -1},
    {"phone", JF_STRING, false, true, offsetof(person_body, phone), ORG_PHONE_MAX, 0, 0, -1},
    {"post_ids", JF_ARRAY, false, true, offsetof(person_body, post_ids), ORG_POSTS_MAX, 0, 0, -1},
    {"unit_id", JF_ID, false, false, offsetof(person_body, unit_id), 0, 0, 0, -1},
};
#define N_PERSON_PATCH (sizeof person_patch_fields / sizeof person_patch_fields[0])

static ws_err post_ids_of(const json_t *arr, int64_t *ids, int *n)
{
    size_t i;
    json_t *v;
    *n = 0;
    if (!arr || json_is_null(arr)) return WS_OK;
    json_array_foreach(arr, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return ws_fail(WS_EINVAL, "post_ids", "post_ids must be a list of post ids");
        if (*n >= ORG_POSTS_MAX)
            return ws_fail(WS_EINVAL, "post_ids", "a person holds at most %d posts", ORG_POSTS_MAX);
        ids[(*n)++] = json_integer_value(v);
    }
    return WS_OK;
}

static ws_err people_create(api_ctx *ctx)
{
    person_body b = {0};
    json_t *root = NULL;
    int64_t posts[ORG_POSTS_MAX];
    int npost = 0;
    ws_err rc = api_decode(ctx, person_create_fields, N_PERSON_CREATE, &b, NULL, &root);
    if (rc) return rc;
    rc = post_ids_of(b.post_ids, posts, &npost);
    CALLER;
    org_person_in in = {.unit_id = b.unit_id, .department_id = b.department_id,
                        .employee_no = b.employee_no, .name = b.name, .phone = b.phone,
                        .post_ids = posts, .npost = npost};
    int64_t id = 0;
    if (!rc) rc = org_person_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return reply_person(ctx, 201, id);
}

static ws_err people_get(api_ctx *ctx)
{
    org_person p;
    ws_err rc = load_person(ctx, &p);
    if (rc) return rc;
    return api_reply_json(ctx, 200, person_json(&p, may_contact(ctx, p.unit_path)));
}

static ws_err people_patch(api_ctx *ctx)
{
    org_person p;
    ws_err rc = load_person(ctx, &p);
    if (rc) return rc;
    person_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    int64_t posts[ORG_POSTS_MAX];
    int npost = 0;
    rc = api_decode(ctx, person_patch_fields, N_PERSON_PATCH, &b, &present, &root);
    if (rc) return rc;
    if (present & (1u << 5))
        rc = ws_fail(WS_EINVAL, "unit_id",
                     "a person changes unit by POST /api/v1/people/{id}/actions/transfer");
    if (!rc) rc = post_ids_of(b.post_ids, posts, &npost);
    CALLER;
    org_person_patch pa = {.set = (unsigned)(present & 0x1f), .department_id = b.department_id,
                           .employee_no = b.employee_no, .name = b.name, .phone = b.phone,
                           .post_ids = posts, .npost = npost};
    if (!rc) rc = org_person_update(ctx->conn, &by, p.id, &pa);
    json_decref(root);
    if (rc) return rc;
    return reply_person(ctx, 200, p.id);
}

static const json_field deactivate_fields[] = {
    {"reason", JF_STRING, false, true, offsetof(person_body, reason), ORG_REASON_MAX, 0, 0, -1},
};

static const json_field transfer_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(person_body, unit_id), 0, 0, 0, -1},
    {"department_id", JF_ID, false, true, offsetof(person_body, department_id), 0, 0, 0, -1},
    {"reason", JF_STRING, false, true, offsetof(person_body, reason), ORG_REASON_MAX, 0, 0, -1},
};
#define N_TRANSFER (sizeof transfer_fields / sizeof transfer_fields[0])

static ws_err people_deactivate(api_ctx *ctx)
{
    org_person p;
    ws_err rc = load_person(ctx, &p);
    if (rc) return rc;
    person_body b = {0};
    json_t *root = NULL;
    if (ctx->req->body_len) { /* the body is optional */
        rc = api_decode(ctx, deactivate_fields, 1, &b, NULL, &root);
        if (rc) return rc;
    }
    CALLER;
    rc = org_person_deactivate(ctx->conn, &by, p.id, b.reason);
    json_decref(root);
    if (rc) return rc;
    return reply_person(ctx, 200, p.id);
}

static const json_field erase_fields[] = {
    {"reason", JF_STRING, true, false, offsetof(person_body, reason), ORG_REASON_MAX, 0, 0, -1},
};

/* Erasure of a leaver's personal data: the person keeps its row (name
 * 已删除人员, no number, no phone), its accounts are renamed and closed, and
 * the log keeps tombstones (docs/internals/org.md, "Erasure"). */
static ws_err people_erase(api_ctx *ctx)
{
    org_person p;
    ws_err rc = load_person(ctx, &p);
    if (rc) return rc;
    person_body b = {0};
    json_t *root = NULL;
    rc = api_decode(ctx, erase_fields, 1, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    rc = org_person_erase(ctx->conn, &by, p.id, b.reason);
    json_decref(root);
    if (rc) return rc;
    return reply_person(ctx, 200, p.id);
}

static ws_err people_transfer(api_ctx *ctx)
{
    org_person p;
    ws_err rc = load_person(ctx, &p);
    if (rc) return rc;
    person_body b = {0};
    json_t *root = NULL;
    rc = api_decode(ctx, transfer_fields, N_TRANSFER, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    rc = org_person_transfer(ctx->conn, &by, p.id, b.unit_id, b.department_id, b.reason);
    json_decref(root);
    if (rc) return rc;
    return reply_person(ctx, 200, p.id);
}

static ws_err people_transfers(api_ctx *ctx)
{
    org_person p;
    ws_err rc = load_person(ctx, &p);
    if (rc) return rc;
    org_transfer *t = NULL;
    size_t n = 0;
    rc = org_person_transfers(ctx->conn, p.id, &t, &n);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_id(t[i].id));
        json_object_set_new(o, "person_id", json_id(t[i].person_id));
        json_object_set_new(o, "from_unit_id", json_id(t[i].from_unit_id));
        json_object_set_new(o, "to_unit_id", json_id(t[i].to_unit_id));
        json_object_set_new(o, "from_department_id", json_id(t[i].from_department_id));
        json_object_set_new(o, "to_department_id", json_id(t[i].to_department_id));
        json_object_set_new(o, "reason", t[i].reason[0] ? json_str(t[i].reason) : json_null());
        json_object_set_new(o, "at", json_time(t[i].at));
        json_object_set_new(o, "actor", json_str(t[i].actor));
        json_array_append_new(a, o);
    }
    free(t);
    return api_reply_json(ctx, 200, api_page_json(a, 0));
}

/* ---------------------------------------------------------------- imports */

static ws_err import_media(api_ctx *ctx)
{
    const api_req *r = ctx->req;
    const char *ct = r->header ? r->header(r->hctx, "Content-Type") : NULL;
    static const char *const ok[] = {
        "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"};
    if (!r->body_len) return ws_fail(WS_EINVAL, "file", "send the CSV or XLSX file as the body");
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

static json_t *rows_json(const org_import_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nerrors; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "row", json_integer(r->errors[i].row));
        json_object_set_new(o, "field", json_str(r->errors[i].field));
        json_object_set_new(o, "message", json_str(r->errors[i].message));
        json_array_append_new(a, o);
    }
    return a;
}

ws_err api_import_run(api_ctx *ctx, org_import_fn fn, bool *applied)
{
    *applied = false;
    int dry = 0;
    ws_err rc = import_media(ctx);
    if (!rc) rc = api_query_bool(ctx, "dry_run", &dry);
    if (rc) return rc;
    CALLER;
    org_import_result r;
    const api_req *q = ctx->req;
    rc = fn(ctx->conn, &by, q->body, q->body_len, dry == 1, &r);
    if (rc == WS_EINVAL && r.nerrors) {
        /* The envelope, plus every row error and the counts. */
        json_t *err = json_object();
        json_object_set_new(err, "code", json_string(ws_err_code(rc)));
        json_object_set_new(err, "message", json_str(ws_err_message()));
        json_object_set_new(err, "field", json_str(ws_err_field()));
        json_object_set_new(err, "rows", rows_json(&r));
        json_object_set_new(err, "omitted", json_integer((json_int_t)r.omitted));
        json_t *env = json_object();
        json_object_set_new(env, "error", err);
        org_import_result_free(&r);
        return api_reply_json(ctx, 400, env);
    }
    if (rc) {
        org_import_result_free(&r);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "created", json_integer(r.created));
    json_object_set_new(o, "updated", json_integer(r.updated));
    json_object_set_new(o, "unchanged", json_integer(r.unchanged));
    json_object_set_new(o, "dry_run", json_boolean(dry == 1));
    json_object_set_new(o, "errors", json_array());
    org_import_result_free(&r);
    *applied = dry != 1;
    return api_reply_json(ctx, 200, o);
}

static ws_err import_units(api_ctx *ctx)
{
    bool applied;
    return api_import_run(ctx, org_import_units, &applied);
}

static ws_err import_people(api_ctx *ctx)
{
    bool applied;
    return api_import_run(ctx, org_import_people, &applied);
}

/* ----------------------------------------------------------------- routes */

const api_route api_org_routes[] = {
    {"GET", "/api/v1/units", units_list, API_AUTH, "unit.read",
     "Units in the caller's scope (?parent_id=&kind=&active=; ?format=xlsx|csv: the 单位台账 file)", "units", NULL, 0},
    {"POST", "/api/v1/units", units_create, API_AUTH, "unit.write",
     "Create a unit under a parent (an enterprise gets the default departments)", "units",
     unit_create_fields, N_UNIT_CREATE},
    {"GET", "/api/v1/units/{id}", units_get, API_AUTH, "unit.read", "One unit", "units", NULL, 0},
    {"PATCH", "/api/v1/units/{id}", units_patch, API_AUTH, "unit.write",
     "Change a unit; a new parent_id moves its subtree", "units", unit_patch_fields,
     N_UNIT_PATCH},
    {"GET", "/api/v1/units/{id}/tree", units_tree, API_AUTH, "unit.read",
     "The unit and its subtree, nested in children", "units", NULL, 0},
    {"POST", "/api/v1/units/{id}/actions/deactivate", units_deactivate, API_AUTH, "unit.write",
     "Deactivate a unit without active children or people", "units", NULL, 0},
    {"GET", "/api/v1/departments", depts_list, API_AUTH, "unit.read",
     "Departments of the enterprises in or around the caller's scope (?enterprise_id=; "
     "?format=xlsx|csv: the 部门台账 file)",
     "departments", NULL, 0},
    {"POST", "/api/v1/departments", depts_create, API_AUTH, "org.write",
     "Create a department of an enterprise", "departments", dept_create_fields, N_DEPT_CREATE},
    {"PATCH", "/api/v1/departments/{id}", depts_patch, API_AUTH, "org.write",
     "Change a department's code, name or active flag", "departments", ref_patch_fields,
     N_DEPT_PATCH},
    {"GET", "/api/v1/posts", posts_list, API_AUTH, "unit.read",
     "Posts of the enterprises in or around the caller's scope (?enterprise_id=; "
     "?format=xlsx|csv: the 岗位台账 file)", "posts", NULL,
     0},
    {"POST", "/api/v1/posts", posts_create, API_AUTH, "org.write", "Create a post (岗位)",
     "posts", post_create_fields, N_POST_CREATE},
    {"PATCH", "/api/v1/posts/{id}", posts_patch, API_AUTH, "org.write",
     "Change a post's code, name, department or active flag", "posts", ref_patch_fields,
     N_POST_PATCH},
    {"GET", "/api/v1/people", people_list, API_AUTH, "person.read",
     "People in the caller's scope (?unit_id= subtree, &active=, &q= name, number or phone; "
     "?format=xlsx|csv: the 人员台账 file)", "people",
     NULL, 0},
    {"POST", "/api/v1/people", people_create, API_AUTH, "person.write", "Create a person",
     "people", person_create_fields, N_PERSON_CREATE},
    {"GET", "/api/v1/people/{id}", people_get, API_AUTH, "person.read", "One person", "people",
     NULL, 0},
    {"PATCH", "/api/v1/people/{id}", people_patch, API_AUTH, "person.write",
     "Change a person (not the unit: use the transfer action)", "people", person_patch_fields,
     N_PERSON_PATCH - 1},
    {"POST", "/api/v1/people/{id}/actions/deactivate", people_deactivate, API_AUTH,
     "person.write", "A person leaves: deactivated, never deleted", "people", deactivate_fields,
     1},
    {"POST", "/api/v1/people/{id}/actions/transfer", people_transfer, API_AUTH, "person.write",
     "Move a person to another unit or department of the enterprise", "people", transfer_fields,
     N_TRANSFER},
    {"POST", "/api/v1/people/{id}/actions/erase", people_erase, API_AUTH, "person.erase",
     "Erase the personal data of a person who has left (irreversible): name, number, phone, "
     "transfer reasons; their accounts are renamed and closed; the log keeps tombstones",
     "people", erase_fields, 1},
    {"GET", "/api/v1/people/{id}/transfers", people_transfers, API_AUTH, "person.read",
     "A person's transfers, oldest first", "people", NULL, 0},
    {"POST", "/api/v1/imports/units", import_units, API_AUTH, "import.run",
     "Import units from CSV (UTF-8 or GBK) or XLSX; all or nothing; ?dry_run=1", "imports",
     NULL, 0, ORG_IMPORT_MAX_BYTES},
    {"POST", "/api/v1/imports/people", import_people, API_AUTH, "import.run",
     "Import people from CSV (UTF-8 or GBK) or XLSX; all or nothing; ?dry_run=1", "imports",
     NULL, 0, ORG_IMPORT_MAX_BYTES},
};
const size_t api_org_nroutes = sizeof api_org_routes / sizeof api_org_routes[0];
