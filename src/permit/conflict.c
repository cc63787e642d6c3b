/* conflict.c — simultaneous operations (交叉作业, SIMOPS): permits of the same
 * unit whose planned windows overlap are checked against the conflict
 * matrix (permit_conflicts, data an administrator keeps):
 *   refuse  — never at once, unless both belong to one job package whose
 *             joint risk assessment (联合风险评估) is recorded;
 *   joint   — only inside one job package with its joint assessment.
 * A pair the matrix does not name does not conflict. Activation and
 * resumption count only permits that are active or suspended (work is
 * under way); the pre-check shows every open permit it would meet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "permit/permit_int.h"
#include "store/q_permit.h"

static ws_err package_assessed(store_conn *c, int64_t pkg, bool *yes)
{
    json_t *k = NULL;
    *yes = false;
    ws_err rc = permit_package_json(c, pkg, NULL, &k);
    if (!rc) {
        const char *a = json_string_value(json_object_get(k, "joint_assessment"));
        *yes = a && a[0];
    }
    json_decref(k);
    return rc == WS_ENOTFOUND ? WS_OK : rc;
}

#define CONFLICTS_MAX 200

ws_err permit_conflicts_of(store_conn *c, const permit_row *p, bool active_only, json_t **out, int *blocking)
{
    *out = json_array();
    *blocking = -1;
    bool assessed = false;
    ws_err rc = p->package_id ? package_assessed(c, p->package_id, &assessed) : WS_OK;
    store_stmt *st = NULL;
    bool row = false;
    int n = 0;
    if (!rc) rc = store_prepare(c, Q_PERMIT_OVERLAP, &st);
    if (!rc) rc = store_bind_int(st, 1, p->unit_id);
    if (!rc) rc = store_bind_int(st, 2, p->planned_start);
    if (!rc) rc = store_bind_int(st, 3, p->planned_end);
    if (!rc) rc = store_bind_int(st, 4, p->id);
    if (!rc) rc = store_bind_text(st, 5, p->type);
    if (!rc) rc = store_bind_int(st, 6, active_only);
    if (!rc) rc = store_bind_int(st, 7, CONFLICTS_MAX + 1);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (n++ == CONFLICTS_MAX) {
            json_array_append_new(*out, json_pack("{s:b, s:s}", "truncated", 1, "reason",
                                                  "更多冲突作业票未列出 (more conflicting permits not listed)"));
            break;
        }
        permit_row o;
        permit_row_read(st, &o);
        const char *verdict = store_col_text(st, 25), *note = store_col_text(st, 26);
        bool same_pkg = p->package_id && p->package_id == o.package_id;
        bool resolved = same_pkg && assessed;
        char reason[600];
        if (resolved)
            snprintf(reason, sizeof reason, "%s；同一作业包已做联合风险评估", note);
        else if (same_pkg)
            snprintf(reason, sizeof reason, "%s；同一作业包须先记录联合风险评估 (joint assessment needed)", note);
        else if (!strcmp(verdict, "refuse"))
            snprintf(reason, sizeof reason, "%s；不属于同一作业包，不得同时作业 (refused)", note);
        else
            snprintf(reason, sizeof reason, "%s；须纳入同一作业包并做联合风险评估 (joint assessment needed)", note);
        json_array_append_new(*out, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "permit_id",
                                              (json_int_t)o.id, "code", o.code, "type", o.type, "state", o.state,
                                              "verdict", verdict, "reason", reason, "same_package", same_pkg,
                                              "resolved", resolved));
        if (!resolved && *blocking < 0) *blocking = (int)json_array_size(*out) - 1;
        permit_row_free(&o);
    }
    store_finalize(st);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

ws_err permit_conflicts_json(store_conn *c, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = json_array();
    ws_err rc = store_prepare(c, Q_CONFLICT_LIST, &st);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(*out, json_pack("{s:s, s:s, s:s, s:s}", "type_a", store_col_text(st, 0), "type_b",
                                              store_col_text(st, 1), "verdict", store_col_text(st, 2), "note",
                                              store_col_text(st, 3)));
    store_finalize(st);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

ws_err permit_conflicts_put(store_conn *c, const org_caller *by, const json_t *rows)
{
    if (!json_is_array(rows) || json_array_size(rows) > PT_COUNT * PT_COUNT)
        return ws_fail(WS_EINVAL, "items", "the matrix is a list of at most %d pairs", PT_COUNT * PT_COUNT);
    size_t i;
    json_t *r;
    static const char *const keys[] = {"type_a", "type_b", "verdict", "note", NULL};
    json_array_foreach(rows, i, r) {
        char f[40];
        snprintf(f, sizeof f, "items[%zu]", i);
        if (!json_is_object(r)) return ws_fail(WS_EINVAL, f, "a pair is an object {type_a, type_b, verdict, note}");
        ws_err krc = json_known_keys(r, f, keys);
        if (krc) return krc;
        const char *a = json_string_value(json_object_get(r, "type_a"));
        const char *b = json_string_value(json_object_get(r, "type_b"));
        const char *v = json_string_value(json_object_get(r, "verdict"));
        const char *note = NULL;
        snprintf(f, sizeof f, "items[%zu].type_a", i);
        if (pr_type_of(a) < 0) return ws_fail(WS_EINVAL, f, "not an operation type");
        snprintf(f, sizeof f, "items[%zu].type_b", i);
        if (pr_type_of(b) < 0) return ws_fail(WS_EINVAL, f, "not an operation type");
        snprintf(f, sizeof f, "items[%zu].verdict", i);
        if (!v || (strcmp(v, "refuse") && strcmp(v, "joint"))) return ws_fail(WS_EINVAL, f, "verdict is refuse or joint");
        snprintf(f, sizeof f, "items[%zu].note", i);
        ws_err rc = json_opt_text(r, "note", f, &note);
        if (!rc) rc = permit_text(note ? note : "", f, 400, false);
        if (rc) return rc;
        for (size_t k = 0; k < i; k++) {
            const json_t *o = json_array_get(rows, k);
            const char *oa = json_string_value(json_object_get(o, "type_a"));
            const char *ob = json_string_value(json_object_get(o, "type_b"));
            if ((!strcmp(oa, a) && !strcmp(ob, b)) || (!strcmp(oa, b) && !strcmp(ob, a))) {
                snprintf(f, sizeof f, "items[%zu]", i);
                return ws_fail(WS_EINVAL, f, "the pair %s / %s is listed twice", a, b);
            }
        }
    }
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_CONFLICT_CLEAR, &st);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    json_array_foreach(rows, i, r) {
        if (rc) break;
        const char *a = json_string_value(json_object_get(r, "type_a"));
        const char *b = json_string_value(json_object_get(r, "type_b"));
        const char *note = json_string_value(json_object_get(r, "note")); /* checked above */
        st = NULL;
        rc = store_prepare(c, Q_CONFLICT_INSERT, &st);
        if (!rc) rc = store_bind_text(st, 1, strcmp(a, b) <= 0 ? a : b);
        if (!rc) rc = store_bind_text(st, 2, strcmp(a, b) <= 0 ? b : a);
        if (!rc) rc = store_bind_text(st, 3, json_string_value(json_object_get(r, "verdict")));
        if (!rc) rc = store_bind_text(st, 4, note ? note : "");
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
    }
    if (!rc) {
        char *text = json_dump_compact(rows);
        const audit_field f[] = {{"matrix", AC_TEXT, 0, text ? text : "[]"}};
        audit_actor sys = {"system"};
        rc = audit_event(c, by && by->actor ? by->actor : &sys, "permit_conflicts", 0, "replace", f, 1, NULL);
        free(text);
    }
    return store_tx_finish(c, own, rc);
}
