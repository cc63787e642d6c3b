/* dept.c — departments and posts (岗位) of an enterprise.
 *
 * Both belong to exactly one enterprise (a unit of kind enterprise) and are
 * unique by code within it. A new enterprise gets the default departments
 * below. They are deactivated, never deleted, and not while active people
 * are in them; writes need org.write on the enterprise. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "org/org_int.h"
#include "store/q_org.h"

static const struct {
    const char *code, *name;
} default_depts[] = {
    {"safety", "安全"},  {"production", "生产"}, {"technology", "技术"},
    {"equipment", "设备"}, {"finance", "财务"},  {"purchasing", "采购"},
    {"hr", "人力"},
};

static void dept_row(store_stmt *st, org_dept *d)
{
    memset(d, 0, sizeof *d);
    d->id = store_col_int(st, 0);
    d->enterprise_id = store_col_int(st, 1);
    org_copy(d->code, sizeof d->code, store_col_text(st, 2));
    org_copy(d->name, sizeof d->name, store_col_text(st, 3));
    d->active = store_col_int(st, 4) != 0;
    d->created_at = store_col_int(st, 5);
    d->updated_at = store_col_int(st, 6);
}

static void post_row(store_stmt *st, org_post *p)
{
    memset(p, 0, sizeof *p);
    p->id = store_col_int(st, 0);
    p->enterprise_id = store_col_int(st, 1);
    p->department_id = store_col_null(st, 2) ? 0 : store_col_int(st, 2);
    org_copy(p->code, sizeof p->code, store_col_text(st, 3));
    org_copy(p->name, sizeof p->name, store_col_text(st, 4));
    p->active = store_col_int(st, 5) != 0;
    p->created_at = store_col_int(st, 6);
    p->updated_at = store_col_int(st, 7);
}

/* One-row lookup with (int a, text b) or (int a) binds into a dept/post. */
static ws_err get_one(store_conn *c, const char *sql, int64_t a, const char *b, bool post,
                      void *out, bool *found)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_int(st, 1, a);
    if (!rc && b) rc = store_bind_text(st, 2, b);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        if (post) post_row(st, out);
        else dept_row(st, out);
    }
    store_finalize(st);
    *found = row;
    return rc;
}

ws_err org_dept_get(store_conn *c, int64_t id, org_dept *d)
{
    bool found;
    ws_err rc = get_one(c, Q_ORG_DEPT_GET, id, NULL, false, d, &found);
    if (!rc && !found) rc = ws_fail(WS_ENOTFOUND, "id", "no department %lld", (long long)id);
    return rc;
}

ws_err org_post_get(store_conn *c, int64_t id, org_post *p)
{
    bool found;
    ws_err rc = get_one(c, Q_ORG_POST_GET, id, NULL, true, p, &found);
    if (!rc && !found) rc = ws_fail(WS_ENOTFOUND, "id", "no post %lld", (long long)id);
    return rc;
}

ws_err org_dept_find(store_conn *c, int64_t enterprise_id, const char *code_or_name, org_dept *d)
{
    bool found;
    ws_err rc = get_one(c, Q_ORG_DEPT_BY_CODE, enterprise_id, code_or_name, false, d, &found);
    if (!rc && !found)
        rc = get_one(c, Q_ORG_DEPT_BY_NAME, enterprise_id, code_or_name, false, d, &found);
    if (!rc && !found)
        rc = ws_fail(WS_ENOTFOUND, "department", "no department %s in this enterprise",
                     code_or_name);
    return rc;
}

ws_err org_post_find(store_conn *c, int64_t enterprise_id, const char *code_or_name, org_post *p)
{
    bool found;
    ws_err rc = get_one(c, Q_ORG_POST_BY_CODE, enterprise_id, code_or_name, true, p, &found);
    if (!rc && !found)
        rc = get_one(c, Q_ORG_POST_BY_NAME, enterprise_id, code_or_name, true, p, &found);
    if (!rc && !found)
        rc = ws_fail(WS_ENOTFOUND, "posts", "no post %s in this enterprise", code_or_name);
    return rc;
}

/* The enterprise unit id, checked for kind, activity and org.write. */
static ws_err enterprise_for_write(store_conn *c, const org_caller *by, int64_t enterprise_id)
{
    org_unit e;
    ws_err rc = org_unit_get(c, enterprise_id, &e);
    if (!rc) rc = org_allow(by, "org.write", e.path);
    if (rc == WS_ENOTFOUND || (!rc && strcmp(e.kind, "enterprise") != 0))
        return ws_fail(WS_ENOTFOUND, "enterprise_id", "no enterprise %lld",
                       (long long)enterprise_id);
    if (!rc && !e.active)
        rc = ws_fail(WS_ECONFLICT, "enterprise_id", "the enterprise is deactivated");
    return rc;
}

static ws_err code_free(store_conn *c, const char *sql, int64_t enterprise_id, const char *code,
                        int64_t self, bool post, const char *what)
{
    union {
        org_dept d;
        org_post p;
    } any;
    bool found;
    ws_err rc = get_one(c, sql, enterprise_id, code, post, &any, &found);
    if (rc || !found) return rc;
    int64_t other = post ? any.p.id : any.d.id;
    if (other == self) return WS_OK;
    return ws_fail(WS_ECONFLICT, "code", "this enterprise already has a %s with code %s", what,
                   code);
}

static ws_err insert_dept(store_conn *c, const org_caller *by, int64_t enterprise_id,
                          const char *code, const char *name, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t nid = 0;
    ws_err rc = store_prepare(c, Q_ORG_DEPT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, enterprise_id);
    if (!rc) rc = store_bind_text(st, 2, code);
    if (!rc) rc = store_bind_text(st, 3, name);
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) nid = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && nid <= 0) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_DEPARTMENT, nid, "create");
    if (!rc && id) *id = nid;
    return rc;
}

ws_err org_default_departments(store_conn *c, const org_caller *by, int64_t enterprise_id)
{
    ws_err rc = WS_OK;
    for (size_t i = 0; !rc && i < sizeof default_depts / sizeof default_depts[0]; i++)
        rc = insert_dept(c, by, enterprise_id, default_depts[i].code, default_depts[i].name, NULL);
    return rc;
}

ws_err org_dept_create(store_conn *c, const org_caller *by, int64_t enterprise_id, const char *code,
                       const char *name, int64_t *id)
{
    ws_err rc = org_check_code(code, "code");
    if (!rc) rc = org_check_name(name, "name", ORG_NAME_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    rc = enterprise_for_write(c, by, enterprise_id);
    if (!rc) rc = code_free(c, Q_ORG_DEPT_BY_CODE, enterprise_id, code, 0, false, "department");
    if (!rc) rc = insert_dept(c, by, enterprise_id, code, name, id);
    return org_tx_end(c, own, rc);
}

ws_err org_dept_update(store_conn *c, const org_caller *by, int64_t id, unsigned set,
                       const char *code, const char *name, bool active)
{
    ws_err rc = WS_OK;
    if (set & ORG_SET_DEPT_CODE) rc = org_check_code(code, "code");
    if (!rc && (set & ORG_SET_DEPT_NAME)) rc = org_check_name(name, "name", ORG_NAME_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_dept d;
    org_unit e;
    rc = org_dept_get(c, id, &d);
    if (!rc) rc = org_unit_get(c, d.enterprise_id, &e);
    if (!rc) rc = org_allow(by, "org.write", e.path);
    if (rc) goto done;
    if ((set & ORG_SET_DEPT_CODE) && strcmp(code, d.code) != 0) {
        rc = code_free(c, Q_ORG_DEPT_BY_CODE, d.enterprise_id, code, d.id, false, "department");
        if (rc) goto done;
        org_copy(d.code, sizeof d.code, code);
    }
    if (set & ORG_SET_DEPT_NAME) org_copy(d.name, sizeof d.name, name);
    const char *action = "update";
    if ((set & ORG_SET_DEPT_ACTIVE) && active != d.active) {
        if (!active) {
            int64_t n = 0;
            rc = org_query_int(c, Q_ORG_DEPT_ACTIVE_PEOPLE, 1, id, 0, &n);
            if (!rc && n > 0)
                rc = ws_fail(WS_ECONFLICT, "active",
                             "%lld active people are in this department; move them first",
                             (long long)n);
            if (rc) goto done;
        }
        d.active = active;
        action = active ? "activate" : "deactivate";
    }
    store_stmt *st = NULL;
    bool row;
    rc = store_prepare(c, Q_ORG_DEPT_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, d.id);
    if (!rc) rc = store_bind_text(st, 2, d.code);
    if (!rc) rc = store_bind_text(st, 3, d.name);
    if (!rc) rc = store_bind_int(st, 4, d.active ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_DEPARTMENT, d.id, action);
done:
    return org_tx_end(c, own, rc);
}

/* A department for a post: same enterprise, active. */
static ws_err check_post_dept(store_conn *c, int64_t enterprise_id, int64_t department_id)
{
    if (department_id <= 0) return WS_OK;
    org_dept d;
    ws_err rc = org_dept_get(c, department_id, &d);
    if (rc == WS_ENOTFOUND || (!rc && d.enterprise_id != enterprise_id))
        return ws_fail(WS_EINVAL, "department_id", "no such department in this enterprise");
    if (!rc && !d.active)
        rc = ws_fail(WS_ECONFLICT, "department_id", "the department is deactivated");
    return rc;
}

ws_err org_post_create(store_conn *c, const org_caller *by, int64_t enterprise_id,
                       int64_t department_id, const char *code, const char *name, int64_t *id)
{
    ws_err rc = org_check_code(code, "code");
    if (!rc) rc = org_check_name(name, "name", ORG_NAME_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    rc = enterprise_for_write(c, by, enterprise_id);
    if (!rc) rc = check_post_dept(c, enterprise_id, department_id);
    if (!rc) rc = code_free(c, Q_ORG_POST_BY_CODE, enterprise_id, code, 0, true, "post");
    store_stmt *st = NULL;
    bool row = false;
    int64_t nid = 0;
    if (!rc) rc = store_prepare(c, Q_ORG_POST_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, enterprise_id);
    if (!rc) rc = store_bind_opt_int(st, 2, department_id);
    if (!rc) rc = store_bind_text(st, 3, code);
    if (!rc) rc = store_bind_text(st, 4, name);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) nid = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && nid <= 0) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_POST, nid, "create");
    if (!rc && id) *id = nid;
    return org_tx_end(c, own, rc);
}

ws_err org_post_update(store_conn *c, const org_caller *by, int64_t id, unsigned set,
                       const char *code, const char *name, bool active, int64_t department_id)
{
    ws_err rc = WS_OK;
    if (set & ORG_SET_DEPT_CODE) rc = org_check_code(code, "code");
    if (!rc && (set & ORG_SET_DEPT_NAME)) rc = org_check_name(name, "name", ORG_NAME_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_post p;
    org_unit e;
    rc = org_post_get(c, id, &p);
    if (!rc) rc = org_unit_get(c, p.enterprise_id, &e);
    if (!rc) rc = org_allow(by, "org.write", e.path);
    if (rc) goto done;
    if ((set & ORG_SET_DEPT_CODE) && strcmp(code, p.code) != 0) {
        rc = code_free(c, Q_ORG_POST_BY_CODE, p.enterprise_id, code, p.id, true, "post");
        if (rc) goto done;
        org_copy(p.code, sizeof p.code, code);
    }
    if (set & ORG_SET_DEPT_NAME) org_copy(p.name, sizeof p.name, name);
    if ((set & ORG_SET_POST_DEPT) && department_id != p.department_id) {
        rc = check_post_dept(c, p.enterprise_id, department_id);
        if (rc) goto done;
        p.department_id = department_id > 0 ? department_id : 0;
    }
    const char *action = "update";
    if ((set & ORG_SET_DEPT_ACTIVE) && active != p.active) {
        if (!active) {
            int64_t n = 0;
            rc = org_query_int(c, Q_ORG_POST_ACTIVE_PEOPLE, 1, id, 0, &n);
            if (!rc && n > 0)
                rc = ws_fail(WS_ECONFLICT, "active",
                             "%lld active people hold this post; change their posts first",
                             (long long)n);
            if (rc) goto done;
        }
        p.active = active;
        action = active ? "activate" : "deactivate";
    }
    store_stmt *st = NULL;
    bool row;
    rc = store_prepare(c, Q_ORG_POST_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, p.id);
    if (!rc) rc = store_bind_opt_int(st, 2, p.department_id);
    if (!rc) rc = store_bind_text(st, 3, p.code);
    if (!rc) rc = store_bind_text(st, 4, p.name);
    if (!rc) rc = store_bind_int(st, 5, p.active ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 6, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_POST, p.id, action);
done:
    return org_tx_end(c, own, rc);
}

/* A page of departments or posts. */
static ws_err ref_list(store_conn *c, const char *sql, bool post, size_t size,
                       const org_ref_filter *f, void **items, size_t *n, int64_t *next)
{
    int limit = f->limit > 0 && f->limit <= 200 ? f->limit : 50;
    store_stmt *st = NULL;
    bool row;
    char *v = NULL;
    size_t len = 0;
    *items = NULL;
    *n = 0;
    *next = 0;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_text(st, 1, f->scope_path ? f->scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, f->enterprise_id > 0 ? f->enterprise_id : 0);
    if (!rc) rc = store_bind_int(st, 3, f->cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    if (!rc) {
        v = calloc((size_t)limit + 1, size);
        if (!v) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    while (!rc && !(rc = store_step(st, &row)) && row && len <= (size_t)limit) {
        if (post) post_row(st, (org_post *)(void *)(v + len * size));
        else dept_row(st, (org_dept *)(void *)(v + len * size));
        len++;
    }
    store_finalize(st);
    if (rc) {
        free(v);
        return rc;
    }
    if (len > (size_t)limit) {
        len = (size_t)limit;
        *next = post ? ((org_post *)(void *)v)[limit - 1].id : ((org_dept *)(void *)v)[limit - 1].id;
    }
    *items = v;
    *n = len;
    return WS_OK;
}

ws_err org_dept_list(store_conn *c, const org_ref_filter *f, org_dept **items, size_t *n,
                     int64_t *next)
{
    void *v = NULL;
    ws_err rc = ref_list(c, Q_ORG_DEPT_LIST, false, sizeof(org_dept), f, &v, n, next);
    *items = v;
    return rc;
}

ws_err org_post_list(store_conn *c, const org_ref_filter *f, org_post **items, size_t *n,
                     int64_t *next)
{
    void *v = NULL;
    ws_err rc = ref_list(c, Q_ORG_POST_LIST, true, sizeof(org_post), f, &v, n, next);
    *items = v;
    return rc;
}
