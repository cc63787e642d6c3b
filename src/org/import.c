/* import.c — bulk import of units and people from CSV or XLSX.
 *
 * Three phases, all or nothing:
 *   1. read the file into rows (table.c) and map the header row, in Chinese
 *      or English, to the known columns; unknown or missing columns fail;
 *   2. check every row on its own (formats, duplicates inside the file) and
 *      collect every error;
 *   3. apply the rows in one transaction through the same functions the API
 *      uses (org_unit_create, org_person_update, …), so permissions, the
 *      enterprise isolation and the audit leaves are exactly those of single
 *      writes; collect the errors of rows that fail; commit only when no row
 *      failed and this is not a dry run, else roll back.
 * Units are applied parents first (a child may come before its parent in the
 * file); an existing code updates that unit. People are matched by employee
 * number within their unit; a row without one always creates a person. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org/org_int.h"

/* ------------------------------------------------------------------ header */

typedef org_import_col colspec;

static const colspec unit_cols[] = {
    {"code", {"code", "编码", "代码", "单位编码"}, true},
    {"name", {"name", "名称", "单位名称"}, true},
    {"kind", {"kind", "类型", "单位类型"}, true},
    {"parent_code", {"parent_code", "上级编码", "上级单位编码", "上级代码"}, true},
    {"tz", {"tz", "时区", "timezone", "time_zone"}, false},
};
enum { U_CODE, U_NAME, U_KIND, U_PARENT, U_TZ, U_NCOLS };

static const colspec person_cols[] = {
    {"name", {"name", "姓名"}, true},
    {"employee_no", {"employee_no", "工号", "员工编号"}, false},
    {"phone", {"phone", "手机", "手机号", "手机号码", "电话", "联系电话"}, false},
    {"unit_code", {"unit_code", "单位编码", "单位代码"}, true},
    {"department", {"department", "部门"}, false},
    {"posts", {"posts", "岗位"}, false},
};
enum { P_NAME, P_EMPNO, P_PHONE, P_UNIT, P_DEPT, P_POSTS, P_NCOLS };

/* Chinese kind names (glossary of DESIGN.md: 车间 is an area). */
static const struct {
    const char *zh, *kind;
} kind_names[] = {
    {"园区", "park"}, {"企业", "enterprise"}, {"公司", "enterprise"}, {"厂区", "site"},
    {"车间", "area"}, {"区域", "area"},       {"网格", "grid"},       {"工段", "workshop"},
};

static const char *kind_of(const char *s)
{
    if (org_kind_valid(s)) return s;
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(s, kind_names[i].zh) == 0) return kind_names[i].kind;
    char low[32];
    size_t n = strlen(s);
    if (n >= sizeof low) return NULL;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    for (size_t i = 0; i < 6; i++) {
        static const char *const k[] = {"park", "enterprise", "site", "area", "grid", "workshop"};
        if (strcmp(low, k[i]) == 0) return k[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------ errors */

void org_import_error_add(org_import_result *r, int row, const char *field, const char *fmt, ...)
{
    if (r->nerrors >= ORG_IMPORT_MAX_ERRORS) {
        r->omitted++;
        return;
    }
    if (r->nerrors % 32 == 0) {
        org_import_error *p = realloc(r->errors, (r->nerrors + 32) * sizeof *p);
        if (!p) {
            r->omitted++;
            return;
        }
        r->errors = p;
    }
    org_import_error *e = &r->errors[r->nerrors++];
    e->row = row;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* An error of an org function on this row, its field renamed to a column. */
static void add_rc_error(org_import_result *r, int row, const char *const *rename)
{
    const char *f = ws_err_field();
    for (int i = 0; rename && rename[i]; i += 2)
        if (strcmp(f, rename[i]) == 0) f = rename[i + 1];
    org_import_error_add(r, row, f, "%s", ws_err_message());
}

void org_import_result_free(org_import_result *r)
{
    if (!r) return;
    free(r->errors);
    r->errors = NULL;
    r->nerrors = 0;
}

ws_err org_import_outcome(org_import_result *r)
{
    if (!r->nerrors) return WS_OK;
    /* By row, keeping the order of one row's errors (insertion sort: stable). */
    for (size_t i = 1; i < r->nerrors; i++) {
        org_import_error e = r->errors[i];
        size_t j = i;
        for (; j > 0 && r->errors[j - 1].row > e.row; j--) r->errors[j] = r->errors[j - 1];
        r->errors[j] = e;
    }
    const org_import_error *e = &r->errors[0];
    char field[48];
    snprintf(field, sizeof field, "row %d: %s", e->row, e->field);
    size_t more = r->nerrors - 1 + r->omitted;
    if (more)
        return ws_fail(WS_EINVAL, field, "row %d: %s: %s (and %zu more errors)", e->row, e->field,
                       e->message, more);
    return ws_fail(WS_EINVAL, field, "row %d: %s: %s", e->row, e->field, e->message);
}

bool org_import_number(const char *s, double *v)
{
    *v = NAN;
    if (!*s) return true;
    char *end = NULL;
    double x = strtod(s, &end);
    while (end && *end == ' ') end++;
    if (end == s || (end && *end) || !isfinite(x)) return false;
    *v = x;
    return true;
}

bool org_import_fatal(ws_err rc)
{
    return rc == WS_ESTORE || rc == WS_ENOMEM || rc == WS_EINTERNAL || rc == WS_EIO ||
           rc == WS_ECORRUPT;
}

/* ---------------------------------------------------------- header mapping */

void org_import_header_norm(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++) {
        char ch = *s;
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        if (ch == ' ' || ch == '-') ch = '_';
        if (ch == '*') continue; /* "编码*": a required-column marker */
        out[o++] = ch;
    }
    out[o] = 0;
}

/* Map header cells to the columns of spec: idx[k] = cell index or -1. */
static void map_header(const org_table *t, const colspec *spec, int nspec, int *idx,
                       org_import_result *r)
{
    const org_table_row *h = &t->rows[0];
    for (int k = 0; k < nspec; k++) idx[k] = -1;
    for (int c = 0; c < h->ncells; c++) {
        char name[96];
        org_import_header_norm(h->cells[c], name, sizeof name);
        if (!name[0]) continue;
        int hit = -1;
        for (int k = 0; k < nspec && hit < 0; k++)
            for (int a = 0; a < 8 && spec[k].aliases[a]; a++)
                if (strcmp(name, spec[k].aliases[a]) == 0) hit = k;
        if (hit < 0) {
            org_import_error_add(r, h->rownum, h->cells[c], "unknown column \"%s\"", h->cells[c]);
        } else if (idx[hit] >= 0) {
            org_import_error_add(r, h->rownum, spec[hit].key, "column %s appears twice", spec[hit].key);
        } else {
            idx[hit] = c;
        }
    }
    for (int k = 0; k < nspec; k++)
        if (spec[k].required && idx[k] < 0)
            org_import_error_add(r, h->rownum, spec[k].key, "the column %s (%s) is missing", spec[k].key,
                      spec[k].aliases[1]);
}

ws_err org_import_open(store_conn *c, const org_caller *by, const char *data, size_t len,
                          const colspec *spec, int nspec, int *idx, org_import_result *r,
                          org_table *t)
{
    memset(r, 0, sizeof *r);
    if (by && by->subject) {
        ws_err rc = auth_decide(by->subject, "import.run", NULL);
        if (rc) return rc;
    }
    if (store_in_tx(c)) return ws_fail(WS_EINTERNAL, NULL, "import runs its own transaction");
    ws_err rc = org_table_read(data, len, ORG_IMPORT_MAX_ROWS, t);
    if (rc) return rc;
    map_header(t, spec, nspec, idx, r);
    return WS_OK;
}

const char *org_import_cell(const org_table_row *row, const int *idx, int k)
{
    int c = idx[k];
    return c >= 0 && c < row->ncells ? row->cells[c] : "";
}

/* ws_fail-style check turned into a row error; true when good. */
static bool row_ok(org_import_result *r, int row, const char *col, ws_err rc)
{
    if (!rc) return true;
    org_import_error_add(r, row, col, "%s", ws_err_message());
    return false;
}

/* Index of codes for duplicate and parent lookups inside the file. */
typedef struct code_ix {
    const char *code;
    size_t i;
} code_ix;

static int ix_cmp(const void *a, const void *b)
{
    const code_ix *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static const code_ix *ix_find(const code_ix *ix, size_t n, const char *code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ix[mid].code, code);
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && strcmp(ix[lo].code, code) == 0 ? &ix[lo] : NULL;
}

/* ------------------------------------------------------------------- units */

typedef struct urow {
    int rownum;
    const char *code, *name, *kind, *parent, *tz;
    bool bad;
} urow;

static const char *const unit_rename[] = {"parent_id", "parent_code", "id", "code", NULL};

/* Apply one unit row inside the import transaction. */
static ws_err apply_unit(store_conn *c, const org_caller *by, const urow *u, bool has_tz,
                         org_import_result *r, bool *ok)
{
    const auth_subject *s = by ? by->subject : NULL;
    org_unit cur, parent = {0};
    *ok = false;
    if (u->parent[0]) {
        ws_err rc = org_unit_by_code(c, u->parent, &parent);
        if (rc && rc != WS_ENOTFOUND) return rc;
        if (rc || (s && !auth_in_scope(s, parent.path))) {
            org_import_error_add(r, u->rownum, "parent_code", "no unit with code %s", u->parent);
            return WS_OK;
        }
    }
    ws_err rc = org_unit_by_code(c, u->code, &cur);
    if (rc && rc != WS_ENOTFOUND) return rc;
    if (rc == WS_ENOTFOUND) {
        int64_t id;
        if (!u->parent[0]) {
            if (s) {
                org_import_error_add(r, u->rownum, "parent_code", "parent_code is required");
                return WS_OK;
            }
            rc = org_create_root(c, by->actor, u->kind, u->code, u->name, &id);
        } else {
            org_unit_in in = {.parent_id = parent.id, .kind = u->kind, .code = u->code,
                              .name = u->name, .tz = has_tz && u->tz[0] ? u->tz : NULL};
            rc = org_unit_create(c, by, &in, &id);
        }
        if (rc) {
            if (org_import_fatal(rc)) return rc;
            add_rc_error(r, u->rownum, unit_rename);
            return WS_OK;
        }
        r->created++;
        *ok = true;
        return WS_OK;
    }
    if (s && !auth_in_scope(s, cur.path)) {
        org_import_error_add(r, u->rownum, "code", "code %s is already used by another unit", u->code);
        return WS_OK;
    }
    org_unit_patch p = {0};
    if (strcmp(cur.name, u->name) != 0) p.set |= ORG_SET_NAME, p.name = u->name;
    if (strcmp(cur.kind, u->kind) != 0) p.set |= ORG_SET_KIND, p.kind = u->kind;
    if (has_tz && u->tz[0] && strcmp(cur.tz, u->tz) != 0) p.set |= ORG_SET_TZ, p.tz = u->tz;
    if (u->parent[0] && parent.id != cur.parent_id)
        p.set |= ORG_SET_PARENT, p.parent_id = parent.id;
    if (!p.set) {
        r->unchanged++;
        *ok = true;
        return WS_OK;
    }
    rc = org_unit_update(c, by, cur.id, &p);
    if (rc) {
        if (org_import_fatal(rc)) return rc;
        add_rc_error(r, u->rownum, unit_rename);
        return WS_OK;
    }
    r->updated++;
    *ok = true;
    return WS_OK;
}

/* Order rows parents first (parents inside the file); rows whose parents
 * form a cycle get an error. Fills order[0..*n). */
static void unit_order(urow *rows, size_t n, const code_ix *ix, size_t *order, size_t *norder,
                       org_import_result *r)
{
    unsigned char *mark = calloc(n ? n : 1, 1); /* 0 new, 1 on the path, 2 done */
    size_t *stack = malloc((n ? n : 1) * sizeof *stack);
    *norder = 0;
    if (!mark || !stack) {
        free(mark);
        free(stack);
        org_import_error_add(r, 0, "file", "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (mark[i]) continue;
        size_t sp = 0;
        stack[sp++] = i;
        while (sp) {
            size_t j = stack[sp - 1];
            if (mark[j] == 2) {
                sp--;
                continue;
            }
            const code_ix *p = rows[j].parent[0] ? ix_find(ix, n, rows[j].parent) : NULL;
            size_t pj = p ? p->i : (size_t)-1;
            if (p && mark[pj] == 0) {
                mark[j] = 1;
                stack[sp++] = pj;
                continue;
            }
            if (p && mark[pj] == 1) {
                org_import_error_add(r, rows[j].rownum, "parent_code",
                          "parent_code %s leads back to this row (a cycle)", rows[j].parent);
                rows[j].bad = true;
            }
            mark[j] = 2;
            order[(*norder)++] = j;
            sp--;
        }
    }
    free(mark);
    free(stack);
}

ws_err org_import_units(store_conn *c, const org_caller *by, const char *data, size_t len,
                        bool dry_run, org_import_result *r)
{
    org_table t;
    int idx[U_NCOLS];
    ws_err rc = org_import_open(c, by, data, len, unit_cols, U_NCOLS, idx, r, &t);
    if (rc) return rc;
    size_t n = t.nrows - 1;
    urow *rows = calloc(n ? n : 1, sizeof *rows);
    code_ix *ix = calloc(n ? n : 1, sizeof *ix);
    size_t *order = calloc(n ? n : 1, sizeof *order);
    if (!rows || !ix || !order) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if (r->nerrors) goto done;

    /* Phase 2: each row on its own. */
    for (size_t i = 0; i < n; i++) {
        const org_table_row *tr = &t.rows[i + 1];
        urow *u = &rows[i];
        u->rownum = tr->rownum;
        u->code = org_import_cell(tr, idx, U_CODE);
        u->name = org_import_cell(tr, idx, U_NAME);
        u->parent = org_import_cell(tr, idx, U_PARENT);
        u->tz = org_import_cell(tr, idx, U_TZ);
        u->kind = kind_of(org_import_cell(tr, idx, U_KIND));
        bool ok = row_ok(r, u->rownum, "code", org_check_code(u->code, "code"));
        ok &= row_ok(r, u->rownum, "name", org_check_name(u->name, "name", ORG_NAME_MAX));
        if (!u->kind) {
            org_import_error_add(r, u->rownum, "kind",
                      "kind must be park, enterprise, site, area, grid or workshop "
                      "(园区, 企业, 厂区, 车间, 网格)");
            u->kind = "";
            ok = false;
        }
        if (u->parent[0])
            ok &= row_ok(r, u->rownum, "parent_code", org_check_code(u->parent, "parent_code"));
        if (u->tz[0] && !org_tz_valid(u->tz)) {
            org_import_error_add(r, u->rownum, "tz", "tz must be an IANA time zone such as Asia/Shanghai");
            ok = false;
        }
        if (u->parent[0] && strcmp(u->parent, u->code) == 0) {
            org_import_error_add(r, u->rownum, "parent_code", "a unit cannot be its own parent");
            ok = false;
        }
        u->bad = !ok;
        ix[i].code = u->code;
        ix[i].i = i;
    }
    qsort(ix, n, sizeof *ix, ix_cmp);
    for (size_t k = 1; k < n; k++)
        if (ix[k].code[0] && strcmp(ix[k].code, ix[k - 1].code) == 0) {
            org_import_error_add(r, rows[ix[k].i].rownum, "code", "code %s also appears in row %d",
                      ix[k].code, rows[ix[k - 1].i].rownum);
            rows[ix[k].i].bad = true;
        }
    size_t norder = 0;
    unit_order(rows, n, ix, order, &norder, r);

    /* Phase 3: apply, parents first. */
    rc = store_begin(c);
    if (rc) goto out;
    bool *failed = calloc(n ? n : 1, sizeof *failed);
    if (!failed) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (size_t k = 0; !rc && k < norder; k++) {
        size_t i = order[k];
        const code_ix *p = rows[i].parent[0] ? ix_find(ix, n, rows[i].parent) : NULL;
        if (rows[i].bad) { /* its errors are already listed */
            failed[i] = true;
            continue;
        }
        if (p && failed[p->i]) {
            org_import_error_add(r, rows[i].rownum, "parent_code", "the parent in row %d was not imported",
                      rows[p->i].rownum);
            failed[i] = true;
            continue;
        }
        bool ok = false;
        rc = apply_unit(c, by, &rows[i], idx[U_TZ] >= 0, r, &ok);
        if (rc) org_import_error_add(r, rows[i].rownum, "code", "%s", ws_err_message());
        failed[i] = !ok;
    }
    free(failed);
    if (rc) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", ws_err_message());
        store_rollback(c);
        rc = ws_fail(rc, NULL, "%s", msg);
        goto out;
    }
    if (r->nerrors || dry_run) store_rollback(c);
    else rc = store_commit(c);
    if (rc) goto out;
done:
    rc = org_import_outcome(r);
out:
    free(rows);
    free(ix);
    free(order);
    org_table_free(&t);
    return rc;
}

/* ------------------------------------------------------------------ people */

typedef struct prow {
    int rownum;
    const char *name, *empno, *phone, *unit, *dept;
    char posts[ORG_POSTS_MAX][ORG_NAME_MAX + 1];
    int nposts;
    bool bad; /* failed its own checks: not applied */
} prow;

static const char *const person_rename[] = {"department_id", "department", "post_ids", "posts",
                                            "unit_id", "unit_code", "id", "employee_no", NULL};

/* Split "操作工；班长, 安全员" on ；;,， into trimmed names. */
static bool split_posts(const char *s, prow *p, org_import_result *r)
{
    p->nposts = 0;
    while (*s) {
        size_t n = 0;
        const char *seps[] = {";", ",", "\xEF\xBC\x9B", "\xEF\xBC\x8C", "\xE3\x80\x81"};
        size_t cut = strlen(s), skip = 0;
        for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
            const char *hit = strstr(s, seps[k]);
            if (hit && (size_t)(hit - s) < cut) cut = (size_t)(hit - s), skip = strlen(seps[k]);
        }
        const char *a = s;
        n = cut;
        while (n && (*a == ' ')) a++, n--;
        while (n && a[n - 1] == ' ') n--;
        if (n) {
            if (p->nposts == ORG_POSTS_MAX) {
                org_import_error_add(r, p->rownum, "posts", "a person holds at most %d posts",
                          ORG_POSTS_MAX);
                return false;
            }
            if (n > ORG_NAME_MAX) {
                org_import_error_add(r, p->rownum, "posts", "a post name is too long");
                return false;
            }
            memcpy(p->posts[p->nposts], a, n);
            p->posts[p->nposts][n] = 0;
            p->nposts++;
        }
        s += cut + skip;
    }
    return true;
}

static bool same_posts(const org_person *cur, const int64_t *ids, int n)
{
    if (cur->npost != n) return false;
    for (int i = 0; i < n; i++) {
        bool have = false;
        for (int j = 0; j < cur->npost; j++)
            if (cur->post_ids[j] == ids[i]) have = true;
        if (!have) return false;
    }
    return true;
}

static ws_err apply_person(store_conn *c, const org_caller *by, const prow *pr, const int *idx,
                           org_import_result *r)
{
    const auth_subject *s = by ? by->subject : NULL;
    org_unit u;
    ws_err rc = org_unit_by_code(c, pr->unit, &u);
    if (rc && rc != WS_ENOTFOUND) return rc;
    if (rc || (s && !auth_in_scope(s, u.path))) {
        org_import_error_add(r, pr->rownum, "unit_code", "no unit with code %s", pr->unit);
        return WS_OK;
    }
    if (u.enterprise_id == 0) {
        org_import_error_add(r, pr->rownum, "unit_code", "unit %s is not inside an enterprise", pr->unit);
        return WS_OK;
    }
    int64_t dept = 0;
    if (pr->dept[0]) {
        org_dept d;
        rc = org_dept_find(c, u.enterprise_id, pr->dept, &d);
        if (rc && rc != WS_ENOTFOUND) return rc;
        if (rc) {
            org_import_error_add(r, pr->rownum, "department", "no department %s in this enterprise",
                      pr->dept);
            return WS_OK;
        }
        dept = d.id;
    }
    int64_t posts[ORG_POSTS_MAX];
    int npost = 0;
    for (int i = 0; i < pr->nposts; i++) {
        org_post p;
        rc = org_post_find(c, u.enterprise_id, pr->posts[i], &p);
        if (rc && rc != WS_ENOTFOUND) return rc;
        if (rc) {
            org_import_error_add(r, pr->rownum, "posts", "no post %s in this enterprise", pr->posts[i]);
            return WS_OK;
        }
        bool dup = false;
        for (int k = 0; k < npost; k++)
            if (posts[k] == p.id) dup = true;
        if (!dup) posts[npost++] = p.id;
    }

    int64_t existing = 0;
    if (pr->empno[0]) {
        org_person cur;
        rc = org_person_by_empno(c, u.id, pr->empno, &existing);
        if (rc) return rc;
        if (existing) rc = org_person_get(c, existing, &cur);
        if (rc) return rc;
        if (existing) {
            if (!cur.active) {
                org_import_error_add(r, pr->rownum, "employee_no",
                          "employee_no %s belongs to %s, who has left; reactivation is not "
                          "done by import", pr->empno, cur.name);
                return WS_OK;
            }
            org_person_patch pa = {0};
            if (strcmp(cur.name, pr->name) != 0) pa.set |= ORG_SET_P_NAME, pa.name = pr->name;
            if (idx[P_PHONE] >= 0 && strcmp(cur.phone, pr->phone) != 0)
                pa.set |= ORG_SET_P_PHONE, pa.phone = pr->phone;
            if (idx[P_DEPT] >= 0 && cur.department_id != dept)
                pa.set |= ORG_SET_P_DEPT, pa.department_id = dept;
            if (idx[P_POSTS] >= 0 && !same_posts(&cur, posts, npost))
                pa.set |= ORG_SET_P_POSTS, pa.post_ids = posts, pa.npost = npost;
            if (!pa.set) {
                r->unchanged++;
                return WS_OK;
            }
            rc = org_person_update(c, by, existing, &pa);
            if (rc) {
                if (org_import_fatal(rc)) return rc;
                add_rc_error(r, pr->rownum, person_rename);
                return WS_OK;
            }
            r->updated++;
            return WS_OK;
        }
    }
    org_person_in in = {.unit_id = u.id, .department_id = dept, .employee_no = pr->empno,
                        .name = pr->name, .phone = pr->phone, .post_ids = posts,
                        .npost = npost};
    int64_t id;
    rc = org_person_create(c, by, &in, &id);
    if (rc) {
        if (org_import_fatal(rc)) return rc;
        add_rc_error(r, pr->rownum, person_rename);
        return WS_OK;
    }
    r->created++;
    return WS_OK;
}

/* Key "unit_code\x1femployee_no" for duplicate detection. */
typedef struct pkey {
    char key[ORG_CODE_MAX + ORG_EMPNO_MAX + 2];
    size_t i;
} pkey;

static int pkey_cmp(const void *a, const void *b)
{
    const pkey *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

ws_err org_import_people(store_conn *c, const org_caller *by, const char *data, size_t len,
                         bool dry_run, org_import_result *r)
{
    org_table t;
    int idx[P_NCOLS];
    ws_err rc = org_import_open(c, by, data, len, person_cols, P_NCOLS, idx, r, &t);
    if (rc) return rc;
    size_t n = t.nrows - 1, nkeys = 0;
    prow *rows = calloc(n ? n : 1, sizeof *rows);
    pkey *keys = calloc(n ? n : 1, sizeof *keys);
    if (!rows || !keys) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if (r->nerrors) goto done;

    for (size_t i = 0; i < n; i++) {
        const org_table_row *tr = &t.rows[i + 1];
        prow *p = &rows[i];
        size_t errors_before = r->nerrors + r->omitted;
        p->rownum = tr->rownum;
        p->name = org_import_cell(tr, idx, P_NAME);
        p->empno = org_import_cell(tr, idx, P_EMPNO);
        p->phone = org_import_cell(tr, idx, P_PHONE);
        p->unit = org_import_cell(tr, idx, P_UNIT);
        p->dept = org_import_cell(tr, idx, P_DEPT);
        row_ok(r, p->rownum, "name", org_check_name(p->name, "name", ORG_NAME_MAX));
        row_ok(r, p->rownum, "employee_no", org_check_empno(p->empno));
        if (!org_phone_valid(p->phone))
            org_import_error_add(r, p->rownum, "phone",
                      "phone must be 5 to 20 characters of digits, '+', '-' and spaces");
        row_ok(r, p->rownum, "unit_code", org_check_code(p->unit, "unit_code"));
        row_ok(r, p->rownum, "department", org_check_text(p->dept, "department", ORG_NAME_MAX));
        split_posts(org_import_cell(tr, idx, P_POSTS), p, r);
        p->bad = r->nerrors + r->omitted != errors_before;
        if (p->empno[0] && p->unit[0] && strlen(p->unit) <= ORG_CODE_MAX &&
            strlen(p->empno) <= ORG_EMPNO_MAX) {
            snprintf(keys[nkeys].key, sizeof keys[nkeys].key, "%s\x1f%s", p->unit, p->empno);
            keys[nkeys++].i = i;
        }
    }
    qsort(keys, nkeys, sizeof *keys, pkey_cmp);
    for (size_t k = 1; k < nkeys; k++)
        if (strcmp(keys[k].key, keys[k - 1].key) == 0) {
            org_import_error_add(r, rows[keys[k].i].rownum, "employee_no",
                      "employee_no %s of unit %s also appears in row %d", rows[keys[k].i].empno,
                      rows[keys[k].i].unit, rows[keys[k - 1].i].rownum);
            rows[keys[k].i].bad = true;
        }

    rc = store_begin(c);
    if (rc) goto out;
    for (size_t i = 0; !rc && i < n; i++) {
        if (rows[i].bad) continue;
        rc = apply_person(c, by, &rows[i], idx, r);
        if (rc) org_import_error_add(r, rows[i].rownum, "name", "%s", ws_err_message());
    }
    if (rc) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", ws_err_message());
        store_rollback(c);
        rc = ws_fail(rc, NULL, "%s", msg);
        goto out;
    }
    if (r->nerrors || dry_run) store_rollback(c);
    else rc = store_commit(c);
    if (rc) goto out;
done:
    rc = org_import_outcome(r);
out:
    free(rows);
    free(keys);
    org_table_free(&t);
    return rc;
}
