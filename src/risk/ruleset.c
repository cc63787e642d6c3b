/* ruleset.c — managing the stored rule sets of risk assessment: listing
 * every version, adding a new version of the tables (checked strictly, so a
 * typing mistake cannot grade a whole register wrongly) and choosing the
 * active one (docs/internals/risk.md "Rule sets").
 *
 * How it fits: rules.c owns the built-in set, the JSON form of the tables
 * and the assessment; this file only adds rows to risk_rule_sets and moves
 * the active flag, with audit leaves ("risk_rule_set" create / update) in
 * the same transaction. Events keep the rule_set_id they were assessed with,
 * so activating another version changes new assessments only. Permission:
 * "risk.rules.write" (admins). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "risk/risk_int.h"
#include "store/q_risk.h"

static ws_err allow_rules(const org_caller *by)
{
    if (!by || !by->subject) return WS_OK;
    return auth_decide(by->subject, "risk.rules.write", NULL);
}

static ws_err leaf(store_conn *c, const org_caller *by, int64_t id, const char *action)
{
    audit_actor sys = {"system"};
    return audit_record(c, by && by->actor ? by->actor : &sys, &RISK_ENTITY_RULE_SET, id, action,
                        NULL);
}

/* ------------------------------------------------------------------- list */

ws_err risk_ruleset_list(store_conn *c, risk_rule_set_row **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    risk_rules act;
    ws_err rc = risk_rules_active(c, &act); /* stores the built-in set when none is */
    if (rc) return rc;
    size_t cap = 8, k = 0;
    risk_rule_set_row *a = calloc(cap, sizeof *a);
    store_stmt *st = NULL;
    bool row = false;
    if (!a) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    rc = store_prepare(c, Q_RISK_RULESET_LIST, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (k == cap) {
            risk_rule_set_row *p = realloc(a, cap * 2 * sizeof *a);
            if (!p) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            a = p;
            cap *= 2;
        }
        risk_rule_set_row *x = &a[k];
        memset(x, 0, sizeof *x);
        x->r.id = store_col_int(st, 0);
        risk_copy(x->r.code, sizeof x->r.code, store_col_text(st, 1));
        x->r.version = store_col_int(st, 2);
        risk_copy(x->r.name, sizeof x->r.name, store_col_text(st, 3));
        risk_copy(x->r.source, sizeof x->r.source, store_col_text(st, 4));
        risk_copy(x->r.edition, sizeof x->r.edition, store_col_text(st, 5));
        risk_copy(x->r.effective_on, sizeof x->r.effective_on, store_col_text(st, 6));
        risk_copy(x->r.profile, sizeof x->r.profile, store_col_text(st, 7));
        rc = risk_rules_parse_tables(store_col_text(st, 8), &x->r);
        x->active = store_col_int(st, 9) != 0;
        x->created_at = store_col_int(st, 10);
        k++;
    }
    store_finalize(st);
    if (rc) {
        free(a);
        return rc;
    }
    *items = a;
    *n = k;
    return WS_OK;
}

/* ----------------------------------------------------------------- checks */

/* One method's tables: factors names[0..n) and four cut-offs. */
static ws_err check_method(json_t *m, const char *mname, const char *const *names, int n,
                           risk_method_table *t)
{
    char field[64];
    memset(t, 0, sizeof *t);
    t->nfactors = n;
    if (!json_is_object(m)) return ws_fail(WS_EINVAL, mname, "%s must be an object with factors and cutoffs", mname);
    json_t *fs = json_object_get(m, "factors"), *cs = json_object_get(m, "cutoffs");
    snprintf(field, sizeof field, "%s.factors", mname);
    if (!json_is_object(fs)) return ws_fail(WS_EINVAL, field, "%s must be an object", field);
    for (int i = 0; i < n; i++) {
        snprintf(t->names[i], sizeof t->names[i], "%s", names[i]);
        json_t *a = json_object_get(fs, names[i]);
        snprintf(field, sizeof field, "%s.factors.%s", mname, names[i]);
        if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > RISK_FACTORS_MAX)
            return ws_fail(WS_EINVAL, field, "%s must list 1 to %d values", field,
                           RISK_FACTORS_MAX);
        for (size_t k = 0; k < json_array_size(a); k++) {
            json_t *v = json_array_get(a, k), *val = json_object_get(v, "value"),
                   *lab = json_object_get(v, "label");
            snprintf(field, sizeof field, "%s.factors.%s[%zu].value", mname, names[i], k);
            double x = json_is_number(val) ? json_number_value(val) : NAN;
            double x10 = x * 10;
            if (!json_is_object(v) || isnan(x) || x <= 0 || x > 1e4)
                return ws_fail(WS_EINVAL, field, "%s must be a number above 0 (at most 10000)",
                               field);
            if (fabs(x10 - llround(x10)) > 1e-9)
                return ws_fail(WS_EINVAL, field, "%s = %g: values are in tenths (0.1 steps)",
                               field, x);
            for (size_t j = 0; j < k; j++)
                if (t->f[i][j].x10 == (int)llround(x10))
                    return ws_fail(WS_EINVAL, field, "%s = %g appears twice in %s.factors.%s",
                                   field, x, mname, names[i]);
            snprintf(field, sizeof field, "%s.factors.%s[%zu].label", mname, names[i], k);
            if (lab && !json_is_string(lab))
                return ws_fail(WS_EINVAL, field, "%s must be text", field);
            const char *ls = lab ? json_string_value(lab) : "";
            if (strlen(ls) >= sizeof t->f[i][k].label || !org_utf8_valid(ls, strlen(ls)))
                return ws_fail(WS_EINVAL, field, "%s must be UTF-8 of at most %zu bytes", field,
                               sizeof t->f[i][k].label - 1);
            t->f[i][k].x10 = (int)llround(x10);
            risk_copy(t->f[i][k].label, sizeof t->f[i][k].label, ls);
        }
        t->nf[i] = (int)json_array_size(a);
    }
    snprintf(field, sizeof field, "%s.cutoffs", mname);
    if (!json_is_array(cs) || json_array_size(cs) != 4)
        return ws_fail(WS_EINVAL, field,
                       "%s must list the four levels major, high, medium, low (highest first)",
                       field);
    int64_t scale = 1;
    for (int i = 0; i < n; i++) scale *= 10;
    for (size_t k = 0; k < 4; k++) {
        json_t *v = json_array_get(cs, k), *min = json_object_get(v, "min");
        snprintf(field, sizeof field, "%s.cutoffs[%zu].level", mname, k);
        int rank = risk_rank_of(json_string_value(json_object_get(v, "level")));
        if (rank != 4 - (int)k)
            return ws_fail(WS_EINVAL, field, "%s must be %s (the levels major, high, medium, "
                           "low, highest first)", field, risk_level_of_rank(4 - (int)k).code);
        snprintf(field, sizeof field, "%s.cutoffs[%zu].min", mname, k);
        double x = json_is_number(min) ? json_number_value(min) : NAN;
        if (isnan(x) || x < 0 || x > 1e12)
            return ws_fail(WS_EINVAL, field, "%s must be a number >= 0", field);
        double xs = x * (double)scale;
        if (fabs(xs - llround(xs)) > 1e-6)
            return ws_fail(WS_EINVAL, field, "%s = %g has more decimals than the scores can", field, x);
        if (k && !(x < t->cut[k - 1].min))
            return ws_fail(WS_EINVAL, field, "%s = %g: cut-offs must be strictly descending "
                           "(below %g)", field, x, t->cut[k - 1].min);
        t->cut[k].rank = rank;
        t->cut[k].min = x;
        t->cut[k].min_scaled = llround(xs);
    }
    t->ncut = 4;
    return WS_OK;
}

ws_err risk_ruleset_check_tables(json_t *tables, risk_rules *r)
{
    static const char *const lec[] = {"l", "e", "c"}, *const ls[] = {"l", "s"};
    if (!json_is_object(tables))
        return ws_fail(WS_EINVAL, "lec", "the rule set needs tables lec and ls");
    json_t *b = json_object_get(tables, "boundary");
    if (b && !(json_is_string(b) && !strcmp(json_string_value(b), "min_inclusive")))
        return ws_fail(WS_EINVAL, "boundary",
                       "boundary must be min_inclusive (cut-offs are inclusive lower bounds)");
    ws_err rc = check_method(json_object_get(tables, "lec"), "lec", lec, 3, &r->lec);
    if (!rc) rc = check_method(json_object_get(tables, "ls"), "ls", ls, 2, &r->ls);
    return rc;
}

static bool date_ok(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return false;
    if (s[4] != '-' || s[7] != '-' || y < 1900 || m < 1 || m > 12 || d < 1) return false;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d > days[m - 1]) return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100) || y % 400 == 0)) return false;
    return true;
}

static ws_err check_code(const char *s, const char *field)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > RISK_CODE_MAX)
        return ws_fail(WS_EINVAL, field, "%s is required (at most %d characters)", field,
                       RISK_CODE_MAX);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return ws_fail(WS_EINVAL, field, "%s takes letters, digits, '-', '_' and '.'", field);
    }
    return WS_OK;
}

static ws_err check_text(const char *s, const char *field, size_t cap)
{
    size_t n = s ? strlen(s) : 0;
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s must not contain control characters", field);
        if (s[i] != ' ') blank = false;
    }
    if (blank) return ws_fail(WS_EINVAL, field, "%s is required", field);
    if (n >= cap) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, cap - 1);
    if (!org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not valid UTF-8", field);
    return WS_OK;
}

/* ----------------------------------------------------------------- writes */

static ws_err one_int(store_conn *c, const char *sql, int64_t a, const char *text, int64_t *out,
                      bool *found)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = text ? store_bind_text(st, 1, text) : store_bind_int(st, 1, a);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *out = store_col_int(st, 0);
    store_finalize(st);
    if (found) *found = row;
    return rc;
}

ws_err risk_ruleset_create(store_conn *c, const org_caller *by, const risk_rules *in, int64_t *id)
{
    ws_err rc = allow_rules(by);
    if (!rc) rc = check_code(in->code, "code");
    if (!rc) rc = check_text(in->name, "name", sizeof in->name);
    if (!rc) rc = check_text(in->source, "source", sizeof in->source);
    if (!rc) rc = check_text(in->edition, "edition", sizeof in->edition);
    if (!rc && !date_ok(in->effective_on))
        rc = ws_fail(WS_EINVAL, "effective_on", "effective_on must be a date YYYY-MM-DD");
    if (!rc) rc = check_code(in->profile, "profile");
    if (rc) return rc;
    /* The tables once more through the strict check (a caller may have
     * filled them by hand). */
    char *tables = risk_rules_tables_json(in);
    json_t *tj = tables ? json_loads(tables, 0, NULL) : NULL;
    risk_rules chk = *in;
    rc = tj ? risk_ruleset_check_tables(tj, &chk) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    json_decref(tj);
    if (rc) {
        free(tables);
        return rc;
    }
    risk_rules act;
    rc = risk_rules_active(c, &act); /* the built-in set stays the active one */
    bool own = !store_in_tx(c);
    if (!rc && own) rc = store_begin(c);
    if (rc) {
        free(tables);
        return rc;
    }
    int64_t version = 1;
    rc = one_int(c, Q_RISK_RULESET_NEXT_VERSION, 0, in->code, &version, NULL);
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_RISK_RULESET_CREATE, &st);
    if (!rc) rc = store_bind_text(st, 1, in->code);
    if (!rc) rc = store_bind_int(st, 2, version);
    if (!rc) rc = store_bind_text(st, 3, in->name);
    if (!rc) rc = store_bind_text(st, 4, in->source);
    if (!rc) rc = store_bind_text(st, 5, in->edition);
    if (!rc) rc = store_bind_text(st, 6, in->effective_on);
    if (!rc) rc = store_bind_text(st, 7, in->profile);
    if (!rc) rc = store_bind_text(st, 8, tables);
    if (!rc) rc = store_bind_int(st, 9, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) *id = store_col_int(st, 0);
    store_finalize(st);
    free(tables);
    if (!rc) rc = leaf(c, by, *id, "create");
    return risk_tx_end(c, own, rc);
}

ws_err risk_ruleset_activate(store_conn *c, const org_caller *by, int64_t id)
{
    ws_err rc = allow_rules(by);
    if (rc) return rc;
    risk_rules act;
    rc = risk_rules_active(c, &act);
    if (rc) return rc;
    bool own = !store_in_tx(c);
    if (own && (rc = store_begin(c))) return rc;
    int64_t cur = 0;
    bool found = false;
    rc = one_int(c, Q_RISK_RULESET_ACTIVE_OF, id, NULL, &cur, &found);
    if (!rc && !found) rc = ws_fail(WS_ENOTFOUND, "id", "no such rule set");
    /* The others first, then this one: one active row at the end. */
    int64_t others[64];
    size_t n = 0;
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_RISK_RULESET_OTHER_ACTIVE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    while (!rc && !(rc = store_step(st, &row)) && row && n < 64) others[n++] = store_col_int(st, 0);
    store_finalize(st);
    for (size_t i = 0; !rc && i <= n; i++) {
        int64_t rid = i < n ? others[i] : id;
        if (i == n && cur) break; /* already active */
        rc = store_prepare(c, Q_RISK_RULESET_SET_ACTIVE, &st);
        if (!rc) rc = store_bind_int(st, 1, rid);
        if (!rc) rc = store_bind_int(st, 2, i < n ? 0 : 1);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (!rc) rc = leaf(c, by, rid, "update");
    }
    return risk_tx_end(c, own, rc);
}
