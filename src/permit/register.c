/* register.c — who may work: the register of special-operation certificates
 * (特种作业操作证, 特种设备作业人员证) and guardian qualifications (type
 * "guardian"), with an Excel/CSV import; and job packages (作业包), the
 * permits of one job with their joint risk assessment (联合风险评估).
 *
 * A certificate is (type, number), unique, held by one person, with an
 * expiry; it is revoked, never deleted (a permit's record keeps pointing at
 * what was shown). The rules read the register at every check, so a
 * certificate that expires or is revoked fails the next one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/json.h"
#include "permit/permit_int.h"
#include "store/q_permit.h"

#define CERT_TYPE_MAX 31
#define CERT_NUMBER_MAX 39
#define CERT_IMPORT_MAX 5000

/* Certificate types: the special operations of the permit types and the
 * guardian qualification. */
static const char *const cert_types[] = {"welding_cutting", "electrician", "work_at_height", "crane_operator",
                                         "rigger", "confined_space", "guardian", NULL};
static const char *const cert_labels[] = {"焊接与热切割作业", "电工作业", "高处作业", "起重机司机",
                                          "司索/指挥", "有限空间作业", "监护人", NULL};

static bool cert_type_ok(const char *t)
{
    for (int i = 0; t && cert_types[i]; i++)
        if (!strcmp(cert_types[i], t)) return true;
    return false;
}

static const char *cert_type_from_label(const char *s)
{
    for (int i = 0; s && cert_types[i]; i++)
        if (!strcmp(cert_types[i], s) || !strcmp(cert_labels[i], s)) return cert_types[i];
    return NULL;
}

/* "YYYY-MM-DD" (a day) -> the end of that day at +08:00 in ms. */
static int day_end_ms(const char *s, int64_t *ms)
{
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31 ||
        y < 1990 || y > 2200)
        return -1;
    char t[40];
    snprintf(t, sizeof t, "%04d-%02d-%02dT23:59:59+08:00", y, m, d);
    return clock_parse_rfc3339(t, ms);
}

/* A register row; the number masked (pr_cert_mask) unless full. */
static json_t *cert_json(store_stmt *st, bool full)
{
    char masked[PR_CERT_NO_MAX];
    if (!full) pr_cert_mask(store_col_text(st, 3), masked, sizeof masked);
    return json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:s, s:b, s:o, s:s}", "id", (json_int_t)store_col_int(st, 0),
                     "person_id", (json_int_t)store_col_int(st, 1), "type", store_col_text(st, 2), "number",
                     full ? store_col_text(st, 3) : masked, "issued_on", json_str(store_col_text(st, 4)), "expires_at",
                     json_time(store_col_int(st, 5)), "authority", store_col_text(st, 6), "revoked",
                     store_col_int(st, 7) != 0, "created_at", json_time(store_col_int(st, 8)), "person_name",
                     store_col_text(st, 10));
}

static ws_err cert_insert(store_conn *c, const org_caller *by, const permit_cert_in *in, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_CERT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, in->person_id);
    if (!rc) rc = store_bind_text(st, 2, in->type);
    if (!rc) rc = store_bind_text(st, 3, in->number);
    if (!rc) rc = store_bind_opt_text(st, 4, in->issued_on && in->issued_on[0] ? in->issued_on : NULL);
    if (!rc) rc = store_bind_int(st, 5, in->expires_at);
    if (!rc) rc = store_bind_text(st, 6, in->authority ? in->authority : "");
    if (!rc) rc = store_bind_int(st, 7, in->revoked);
    if (!rc) rc = store_bind_int(st, 8, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    if (rc == WS_ECONFLICT) rc = ws_fail(WS_ECONFLICT, "number", "a certificate %s %s is on record already", in->type, in->number);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &PERMIT_ENTITY_CERTIFICATE, *id, "create", NULL);
    return rc;
}

static ws_err cert_check(store_conn *c, const org_caller *by, const permit_cert_in *in)
{
    org_person per;
    ws_err rc = in->person_id > 0 ? org_person_get(c, in->person_id, &per)
                                  : ws_fail(WS_EINVAL, "person_id", "whose certificate (person_id)?");
    if (rc == WS_ENOTFOUND) return ws_fail(WS_EINVAL, "person_id", "no such person (person_id)");
    if (rc) return rc;
    if ((rc = permit_allow(by, "permit.admin", per.unit_path)) == WS_ENOTFOUND)
        return ws_fail(WS_ENOTFOUND, "person_id", "no such person (person_id)");
    if (rc) return rc;
    if (!cert_type_ok(in->type))
        return ws_fail(WS_EINVAL, "type", "type is one of welding_cutting, electrician, work_at_height, "
                       "crane_operator, rigger, confined_space, guardian");
    if ((rc = permit_text(in->number, "number", CERT_NUMBER_MAX, true))) return rc;
    if ((rc = permit_text(in->authority ? in->authority : "", "authority", 200, false))) return rc;
    int64_t ms;
    if (in->issued_on && in->issued_on[0] && day_end_ms(in->issued_on, &ms))
        return ws_fail(WS_EINVAL, "issued_on", "issued_on is a date YYYY-MM-DD");
    if (in->expires_at <= 0) return ws_fail(WS_EINVAL, "expires_at", "expires_at is required (有效期至)");
    return WS_OK;
}

ws_err permit_cert_create(store_conn *c, const org_caller *by, const permit_cert_in *in, int64_t *id)
{
    ws_err rc = cert_check(c, by, in);
    if (rc) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    return store_tx_finish(c, own, cert_insert(c, by, in, id));
}

ws_err permit_cert_revoke(store_conn *c, const org_caller *by, int64_t id)
{
    store_stmt *st = NULL;
    bool row = false;
    char path[AUTH_PATH_MAX] = "";
    ws_err rc = store_prepare(c, Q_CERT_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) permit_copy(path, sizeof path, store_col_text(st, 11));
    store_finalize(st);
    if (!rc && !row) rc = WS_ENOTFOUND;
    if (!rc) rc = permit_allow(by, "permit.admin", path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such certificate");
    if (rc) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    st = NULL;
    rc = store_prepare(c, Q_CERT_REVOKE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_int(st, 2, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &PERMIT_ENTITY_CERTIFICATE, id, "revoke", NULL);
    return store_tx_finish(c, own, rc);
}

ws_err permit_cert_list(store_conn *c, const org_caller *by, const char *scope_path, int64_t person_id, int limit,
                        int64_t cursor, json_t **items, int64_t *next)
{
    if (limit < 1 || limit > 200) limit = 50;
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    *next = 0;
    ws_err rc = store_prepare(c, Q_CERT_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, scope_path ? scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, person_id);
    if (!rc) rc = store_bind_int(st, 3, cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    int k = 0;
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (k++ == limit) {
            *next = json_integer_value(json_object_get(json_array_get(*items, (size_t)limit - 1), "id"));
            break;
        }
        /* the register's keepers see whole numbers; others need only know the certificate */
        bool full = !by || permit_allow(by, "permit.admin", store_col_text(st, 11)) == WS_OK;
        json_array_append_new(*items, cert_json(st, full));
    }
    store_finalize(st);
    if (rc) {
        json_decref(*items);
        *items = NULL;
    }
    return rc;
}

/* The column of a header cell among the names given. */
static int column(const org_table_row *h, const char *const *names)
{
    for (int i = 0; i < h->ncells; i++)
        for (int k = 0; names[k]; k++)
            if (!strcasecmp(h->cells[i], names[k])) return i;
    return -1;
}

ws_err permit_cert_import(store_conn *c, const org_caller *by, int64_t enterprise_id, const char *data,
                          size_t len, const char *filename, int *imported)
{
    (void)filename;
    *imported = 0;
    org_unit ent;
    ws_err rc = org_unit_get(c, enterprise_id, &ent);
    if (rc == WS_ENOTFOUND || (!rc && ent.enterprise_id != ent.id))
        return ws_fail(WS_EINVAL, "enterprise_id", "no such enterprise (enterprise_id)");
    if (rc) return rc;
    if ((rc = permit_allow(by, "permit.admin", ent.path)) == WS_ENOTFOUND)
        return ws_fail(WS_EINVAL, "enterprise_id", "no such enterprise (enterprise_id)");
    if (rc) return rc;
    org_table t;
    if ((rc = org_table_read(data, len, CERT_IMPORT_MAX, &t))) return rc;
    static const char *const c_emp[] = {"工号", "employee_no", NULL}, *const c_type[] = {"证书类型", "type", NULL},
                             *const c_num[] = {"证书编号", "number", NULL},
                             *const c_exp[] = {"有效期至", "expires_on", NULL},
                             *const c_auth[] = {"发证机关", "authority", NULL},
                             *const c_iss[] = {"发证日期", "issued_on", NULL};
    const org_table_row *h = t.nrows ? &t.rows[0] : NULL;
    int ce = h ? column(h, c_emp) : -1, ct = h ? column(h, c_type) : -1, cn = h ? column(h, c_num) : -1,
        cx = h ? column(h, c_exp) : -1, ca = h ? column(h, c_auth) : -1, ci = h ? column(h, c_iss) : -1;
    if (ce < 0 || ct < 0 || cn < 0 || cx < 0) {
        org_table_free(&t);
        return ws_fail(WS_EINVAL, "file", "the header needs 工号, 证书类型, 证书编号 and 有效期至 (employee_no, "
                       "type, number, expires_on)");
    }
    bool own = false;
    if ((rc = store_tx_join(c, &own))) {
        org_table_free(&t);
        return rc;
    }
    for (size_t r = 1; !rc && r < t.nrows; r++) {
        const org_table_row *row = &t.rows[r];
        const char *emp = ce < row->ncells ? row->cells[ce] : "";
        const char *type = ct < row->ncells ? cert_type_from_label(row->cells[ct]) : NULL;
        permit_cert_in in = {.number = cn < row->ncells ? row->cells[cn] : "",
                             .authority = ca >= 0 && ca < row->ncells ? row->cells[ca] : "",
                             .issued_on = ci >= 0 && ci < row->ncells ? row->cells[ci] : ""};
        bool blank = !emp[0] && !in.number[0];
        if (blank) continue;
        org_person *people = NULL;
        size_t np = 0;
        int64_t nx = 0;
        org_person_filter f = {.scope_path = ent.path, .active = 1, .q = emp, .limit = 20};
        rc = emp[0] ? org_person_list(c, &f, &people, &np, &nx) : WS_OK;
        for (size_t k = 0; !rc && k < np; k++)
            if (!strcmp(people[k].employee_no, emp)) in.person_id = people[k].id;
        free(people);
        if (!rc && in.person_id <= 0)
            rc = ws_fail(WS_EINVAL, "file", "row %d 工号: no active person with employee_no %.40s", row->rownum, emp);
        if (!rc && !type)
            rc = ws_fail(WS_EINVAL, "file", "row %d 证书类型: not a certificate type we know", row->rownum);
        in.type = type;
        if (!rc && day_end_ms(cx < row->ncells ? row->cells[cx] : "", &in.expires_at))
            rc = ws_fail(WS_EINVAL, "file", "row %d 有效期至: a date YYYY-MM-DD", row->rownum);
        if (!rc && (rc = cert_check(c, by, &in))) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s", ws_err_message());
            rc = ws_fail(rc, "file", "row %d %s: %s", row->rownum, ws_err_field(), msg);
        }
        int64_t id;
        if (!rc && (rc = cert_insert(c, by, &in, &id))) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s", ws_err_message());
            rc = ws_fail(rc, "file", "row %d 证书编号: %s", row->rownum, msg);
        }
        if (!rc) (*imported)++;
    }
    org_table_free(&t);
    return store_tx_finish(c, own, rc);
}

/* ---------------------------------------------------------------- packages */

ws_err permit_package_create(store_conn *c, const org_caller *by, int64_t unit_id, const char *title, int64_t *id)
{
    org_unit u;
    ws_err rc = unit_id > 0 ? org_unit_get(c, unit_id, &u) : ws_fail(WS_EINVAL, "unit_id", "unit_id is required");
    if (rc == WS_ENOTFOUND) return ws_fail(WS_EINVAL, "unit_id", "no such unit (unit_id)");
    if (!rc && (rc = permit_allow(by, "permit.write", u.path)) == WS_ENOTFOUND)
        return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit (unit_id)");
    if (!rc) rc = permit_text(title, "title", PERMIT_TITLE_MAX, true);
    if (rc) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_PACKAGE_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, unit_id);
    if (!rc) rc = store_bind_text(st, 2, title);
    if (!rc) rc = store_bind_text(st, 3, permit_actor(by));
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &PERMIT_ENTITY_PACKAGE, *id, "create", NULL);
    return store_tx_finish(c, own, rc);
}

ws_err permit_package_json(store_conn *c, int64_t id, char *path, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = NULL;
    ws_err rc = store_prepare(c, Q_PACKAGE_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row && path) permit_copy(path, AUTH_PATH_MAX, store_col_text(st, 9));
    if (!rc && row)
        *out = json_pack("{s:I, s:I, s:s, s:o, s:o, s:o, s:s, s:o}", "id", (json_int_t)store_col_int(st, 0), "unit_id",
                         (json_int_t)store_col_int(st, 1), "title", store_col_text(st, 2), "joint_assessment",
                         json_str(store_col_text(st, 3)), "assessed_by_person_id", json_id(store_col_opt_int(st, 4)),
                         "assessed_at", json_time(store_col_opt_int(st, 5)), "created_by", store_col_text(st, 6),
                         "created_at", json_time(store_col_int(st, 7)));
    store_finalize(st);
    if (!rc && !*out) rc = ws_fail(WS_ENOTFOUND, "id", "no such job package");
    return rc;
}

ws_err permit_package_assess(store_conn *c, const org_caller *by, int64_t id, const char *assessment)
{
    store_stmt *st = NULL;
    bool row = false;
    char path[AUTH_PATH_MAX] = "";
    ws_err rc = store_prepare(c, Q_PACKAGE_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) permit_copy(path, sizeof path, store_col_text(st, 9));
    store_finalize(st);
    if (!rc && !row) rc = WS_ENOTFOUND;
    if (!rc) rc = permit_allow(by, "permit.approve", path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such job package");
    if (!rc) rc = permit_text(assessment, "joint_assessment", PERMIT_TEXT_MAX, true);
    if (rc) return rc;
    int64_t person = by && by->subject ? by->subject->person_id : 0;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    st = NULL;
    rc = store_prepare(c, Q_PACKAGE_ASSESS, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, assessment);
    if (!rc) rc = store_bind_opt_int(st, 3, person);
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &PERMIT_ENTITY_PACKAGE, id, "assess", NULL);
    return store_tx_finish(c, own, rc);
}
