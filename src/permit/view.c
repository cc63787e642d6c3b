/* view.c — what people read about permits: lists, one permit with its live
 * verdicts and timeline, the pre-check of a draft, the compliance report of a
 * unit and period, and the rules as data (profiles, holiday calendars). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "auth/auth.h"
#include "org/org.h"
#include "permit/permit_int.h"
#include "store/q_permit.h"

#define REPORT_MAX 2000

static json_t *summary_json(const permit_row *p)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:s}",
                          "id", (json_int_t)p->id, "code", p->code, "type", p->type, "grade", p->grade, "state",
                          p->state, "unit_id", (json_int_t)p->unit_id, "package_id", json_id(p->package_id),
                          "title", p->title, "location", p->location, "planned_start", json_time(p->planned_start),
                          "planned_end", json_time(p->planned_end), "applicant_person_id",
                          (json_int_t)p->applicant_person_id, "guardian_person_id", json_id(p->guardian_person_id),
                          "activated_at", json_time(p->activated_at), "suspended_at", json_time(p->suspended_at),
                          "closed_at", json_time(p->closed_at), "profile", p->profile);
    if (p->reason[0]) json_object_set_new(o, "reason", json_string(p->reason));
    const char *eg = json_string_value(json_object_get(p->doc, "effective_grade"));
    if (eg) json_object_set_new(o, "effective_grade", json_string(eg));
    return o;
}

ws_err permit_list(store_conn *c, const permit_filter *f, json_t **items, int64_t *next)
{
    if (f->state && *f->state && strcmp(f->state, "open") && !permit_state_known(f->state))
        return ws_fail(WS_EINVAL, "state", "no such permit state"); /* not an empty list */
    int limit = f->limit >= 1 && f->limit <= 200 ? f->limit : 50;
    permit_row *rows = NULL;
    size_t n = 0;
    permit_bind b[] = {PB_TEXT(f->scope_path ? f->scope_path : "/"), PB_INT(f->unit_id), PB_INT(f->cursor),
                       PB_INT(limit + 1), PB_TEXT(f->state ? f->state : ""), PB_TEXT(f->type ? f->type : ""),
                       PB_INT(f->package_id), PB_INT(f->from), PB_INT(f->to)};
    ws_err rc = permit_rows(c, Q_PERMIT_LIST, b, 9, &rows, &n, (size_t)limit + 1);
    if (rc) return rc;
    *items = json_array();
    *next = 0;
    for (size_t i = 0; i < n && i < (size_t)limit; i++) json_array_append_new(*items, summary_json(&rows[i]));
    if (n > (size_t)limit) *next = rows[limit - 1].id;
    permit_rows_free(rows, n);
    return WS_OK;
}

/* The name of a timeline actor as recorded ("person:33" the person's name,
 * "account:10" its person's name or else its username); NULL for anything
 * else (cli, system) or an id that no longer resolves. Into out. */
static const char *actor_name(store_conn *c, const char *actor, char *out, size_t cap)
{
    long long id = 0;
    char kind[16];
    if (!actor || sscanf(actor, "%15[a-z]:%lld", kind, &id) != 2 || id <= 0) return NULL;
    if (!strcmp(kind, "account")) {
        auth_account a;
        if (auth_account_get(c, id, &a)) return NULL;
        if (!a.person_id) return snprintf(out, cap, "%s", a.username) >= 0 ? out : NULL;
        id = a.person_id;
    } else if (strcmp(kind, "person")) {
        return NULL;
    }
    org_person p;
    if (org_person_get(c, id, &p)) return NULL;
    snprintf(out, cap, "%s", p.name);
    return out;
}

static ws_err timeline(store_conn *c, int64_t id, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = json_array();
    ws_err rc = store_prepare(c, Q_PERMIT_EVENTS, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_error_t je;
        const char *d = store_col_text(st, 6);
        json_t *detail = d ? json_loads(d, 0, &je) : NULL;
        json_array_append_new(*out, json_pack("{s:I, s:o, s:s, s:o, s:o, s:s, s:o}", "id",
                                              (json_int_t)store_col_int(st, 0), "at", json_time(store_col_int(st, 1)),
                                              "kind", store_col_text(st, 2), "from", json_str(store_col_text(st, 3)),
                                              "to", json_str(store_col_text(st, 4)), "actor", store_col_text(st, 5),
                                              "detail", detail ? detail : json_null()));
    }
    store_finalize(st);
    /* names after the statement is done (a lookup is a statement of its own) */
    size_t i;
    json_t *e;
    json_array_foreach(*out, i, e) {
        char name[ORG_NAME_MAX + 1];
        const char *n = rc ? NULL : actor_name(c, json_string_value(json_object_get(e, "actor")), name, sizeof name);
        json_object_set_new(e, "actor_name", n ? json_string(n) : json_null());
    }
    if (!rc) ws_err_clear(); /* an actor that did not resolve is not this request's error */
    return rc;
}

/* The stage that judges a permit in its state now. */
static pr_stage stage_of(const char *state)
{
    if (!strcmp(state, "active")) return PR_STAGE_RUNNING;
    if (permit_terminal(state)) return PR_STAGE_AUDIT;
    if (!strcmp(state, "approved")) return PR_STAGE_ACTIVATE;
    if (!strcmp(state, "suspended")) return PR_STAGE_RESUME;
    return PR_STAGE_PRECHECK;
}

/* The newest evidence-log leaf of the permit's record: what the printed
 * permit and its QR code cite, so a regulator can ask for its inclusion
 * proof (GET /api/v1/audit/proof/inclusion). */
static ws_err evidence(store_conn *c, int64_t id, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = json_null();
    ws_err rc = store_prepare(c, Q_PERMIT_LEAF, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        size_t n = 0;
        const unsigned char *h = store_col_blob(st, 1, &n);
        char hex[2 * 32 + 1] = "";
        for (size_t i = 0; h && n == 32 && i < n; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
        *out = json_pack("{s:I, s:s, s:o}", "seq", (json_int_t)store_col_int(st, 0), "leaf_hash", hex, "at",
                         json_time(store_col_int(st, 2)));
    }
    store_finalize(st);
    return rc;
}

/* The record as the API shows it: the workers' certificate numbers masked
 * (pr_cert_mask; the register keeps them whole). New reference. */
static json_t *record_json(const json_t *doc)
{
    json_t *r = json_deep_copy(doc);
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(r, "workers"), i, w) {
        const char *no = json_string_value(json_object_get(w, "cert_no"));
        if (!no || !no[0]) continue;
        char masked[PR_CERT_NO_MAX];
        pr_cert_mask(no, masked, sizeof masked);
        json_object_set_new(w, "cert_no", json_string(masked));
    }
    return r;
}

ws_err permit_json(permit_svc *s, store_conn *c, const permit_row *p, bool with_timeline, json_t **out)
{
    json_t *o = summary_json(p);
    json_object_set_new(o, "record", record_json(p->doc));
    json_object_set_new(o, "created_by", json_string(p->created_by));
    json_object_set_new(o, "created_at", json_time(p->created_at));
    json_object_set_new(o, "updated_at", json_time(p->updated_at));
    json_object_set_new(o, "serves_permit_id", json_id(p->serves_permit_id));
    ws_err rc = WS_OK;
    pr_report *r = calloc(1, sizeof *r);
    if (!r) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) rc = permit_check(s, c, p, clock_now_ms(), stage_of(p->state), r);
    if (!rc) json_object_set_new(o, "verdicts", pr_report_json(r));
    free(r);
    json_t *ev = NULL;
    if (!rc && !(rc = evidence(c, p->id, &ev))) json_object_set_new(o, "evidence", ev);
    if (!rc && with_timeline) {
        json_t *t = NULL;
        rc = timeline(c, p->id, &t);
        if (!rc) json_object_set_new(o, "timeline", t);
        else json_decref(t);
    }
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

ws_err permit_precheck(permit_svc *s, store_conn *c, int64_t id, int64_t now, json_t **out)
{
    permit_row p;
    ws_err rc = permit_get(c, id, &p);
    if (rc) return rc;
    pr_report *r = calloc(1, sizeof *r);
    json_t *conflicts = NULL;
    int blocking = -1;
    if (!r) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    pr_stage stage = stage_of(p.state);
    if (stage == PR_STAGE_AUDIT || stage == PR_STAGE_RUNNING) stage = PR_STAGE_PRECHECK;
    if (!rc) rc = permit_check(s, c, &p, now, stage, r);
    if (!rc) rc = permit_conflicts_of(c, &p, false, &conflicts, &blocking);
    if (!rc) {
        json_t *o = pr_report_json(r);
        json_t *missing = json_array();
        for (int i = 0; i < r->n; i++)
            if (r->v[i].result == PR_FAIL)
                json_array_append_new(missing, json_pack("{s:s, s:s, s:s}", "rule", r->v[i].rule, "field",
                                                         r->v[i].field, "evidence", r->v[i].evidence));
        /* the lifecycle's own steps still ahead */
        const char *steps[] = {"draft", "submit", "applied", "confirm_measures", "identified", "gas", "tested",
                               "approve", "approved", "check_in", NULL};
        for (int i = 0; steps[i]; i += 2)
            if (!strcmp(p.state, steps[i]))
                for (int k = i; steps[k]; k += 2)
                    json_array_append_new(missing, json_pack("{s:s, s:s, s:s}", "rule", "lifecycle", "field",
                                                             steps[k + 1], "evidence", "尚未完成的步骤 (step not yet taken)"));
        json_object_set_new(o, "missing", missing);
        json_object_set_new(o, "conflicts", conflicts);
        json_object_set_new(o, "state", json_string(p.state));
        json_object_set_new(o, "ready", json_boolean(r->nfail == 0 && blocking < 0));
        conflicts = NULL;
        *out = o;
    }
    json_decref(conflicts);
    free(r);
    permit_row_free(&p);
    return rc;
}

ws_err permit_report(permit_svc *s, store_conn *c, const char *scope_path, int64_t unit_id, int64_t from,
                     int64_t to, json_t **out)
{
    if (from <= 0 || to <= from) return ws_fail(WS_EINVAL, "to", "a report covers from < to");
    if (to - from > 366LL * 86400000) return ws_fail(WS_EINVAL, "to", "a report covers at most a year");
    permit_row *rows = NULL;
    size_t n = 0;
    permit_bind b[] = {PB_TEXT(scope_path ? scope_path : "/"), PB_INT(unit_id), PB_INT(from), PB_INT(to),
                       PB_INT(REPORT_MAX + 1)};
    ws_err rc = permit_rows(c, Q_PERMIT_REPORT, b, 5, &rows, &n, REPORT_MAX + 1);
    if (rc) return rc;
    pr_report *r = calloc(1, sizeof *r);
    json_t *items = json_array();
    int nviol = 0, nclean = 0;
    if (!r) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    int64_t now = clock_now_ms();
    for (size_t i = 0; !rc && i < n && i < REPORT_MAX; i++) {
        const permit_row *p = &rows[i];
        pr_stage st = permit_terminal(p->state) || !strcmp(p->state, "active") || !strcmp(p->state, "suspended")
                          ? PR_STAGE_AUDIT : PR_STAGE_PRECHECK;
        if ((rc = permit_check(s, c, p, now, st, r))) break;
        json_t *o = summary_json(p);
        json_t *rep = pr_report_json(r);
        json_object_set(o, "verdicts", json_object_get(rep, "verdicts"));
        json_object_set(o, "effective_grade", json_object_get(rep, "effective_grade"));
        json_t *viol = json_array();
        for (int k = 0; k < r->n; k++)
            if (r->v[k].result == PR_FAIL)
                json_array_append_new(viol, json_pack("{s:s, s:s, s:s, s:b, s:s}", "rule", r->v[k].rule, "clause",
                                                      r->v[k].clause, "edition", r->v[k].edition, "confirmed",
                                                      r->v[k].confirmed, "evidence", r->v[k].evidence));
        json_decref(rep);
        if (json_array_size(viol)) nviol++;
        else nclean++;
        json_object_set_new(o, "violations", viol);
        json_array_append_new(items, o);
    }
    free(r);
    bool truncated = n > REPORT_MAX;
    permit_rows_free(rows, n);
    if (rc) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o, s:o, s:I, s:I, s:I, s:b, s:o}", "from", json_time(from), "to", json_time(to), "permits",
                     (json_int_t)json_array_size(items), "with_violations", (json_int_t)nviol, "compliant",
                     (json_int_t)nclean, "truncated", truncated, "items", items);
    return WS_OK;
}

/* ---------------------------------------------------------- rules as data */

ws_err permit_profiles_json(permit_svc *s, store_conn *c, json_t **out)
{
    char active[40] = "";
    ws_err rc = permit_param(c, "profile", active, sizeof active);
    if (rc) return rc;
    *out = json_array();
    for (size_t i = 0; i < s->nprofiles; i++) {
        const char *key = pr_profile_key(s->profiles[i]);
        json_array_append_new(*out, json_pack("{s:s, s:b, s:O}", "key", key, "active", !strcmp(key, active), "doc",
                                              pr_profile_json(s->profiles[i])));
    }
    return WS_OK;
}

ws_err permit_profile_select(permit_svc *s, store_conn *c, const org_caller *by, const char *key)
{
    bool known = false;
    for (size_t i = 0; key && i < s->nprofiles; i++) known |= !strcmp(pr_profile_key(s->profiles[i]), key);
    if (!known) return ws_fail(WS_EINVAL, "key", "no such rule profile (key)");
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_PERMIT_PARAM_SET, &st);
    if (!rc) rc = store_bind_text(st, 1, "profile");
    if (!rc) rc = store_bind_text(st, 2, key);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    const audit_field f[] = {{"profile", AC_TEXT, 0, key}};
    audit_actor sys = {"system"};
    if (!rc) rc = audit_event(c, by && by->actor ? by->actor : &sys, "permit_profile", 0, "select", f, 1, NULL);
    return store_tx_finish(c, own, rc);
}

ws_err permit_calendar_put(permit_svc *s, store_conn *c, const org_caller *by, int year, const json_t *doc)
{
    if (year < 2000 || year > 2200) return ws_fail(WS_EINVAL, "year", "year is 2000..2200");
    if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "year")) != year)
        return ws_fail(WS_EINVAL, "year", "the calendar document's year must be %d", year);
    pr_calendar *cal = NULL;
    ws_err rc = pr_calendar_parse(doc, &cal); /* validates: refusals name the member */
    pr_calendar_free(cal);
    if (rc) return rc;
    char *text = json_dump_compact(doc);
    if (!text) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    bool own = false;
    if ((rc = store_tx_join(c, &own))) {
        free(text);
        return rc;
    }
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_CALENDAR_PUT, &st);
    if (!rc) rc = store_bind_int(st, 1, year);
    if (!rc) rc = store_bind_text(st, 2, text);
    if (!rc) rc = store_bind_text(st, 3, permit_actor(by));
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    const audit_field f[] = {{"year", AC_INT, year, NULL}, {"doc", AC_TEXT, 0, text}};
    audit_actor sys = {"system"};
    if (!rc) rc = audit_event(c, by && by->actor ? by->actor : &sys, "holiday_calendar", year, "load", f, 2, NULL);
    free(text);
    rc = store_tx_finish(c, own, rc);
    if (!rc) permit_calendar_changed(s);
    return rc;
}

ws_err permit_calendars_json(store_conn *c, json_t **out)
{
    json_error_t je;
    json_t *all = json_loads(pr_calendar_builtin(), 0, &je);
    if (json_is_object(all)) {
        json_t *arr = json_array();
        json_array_append_new(arr, all);
        all = arr;
    }
    if (!all) all = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v) json_object_set_new(v, "loaded_by", json_string("built-in"));
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_CALENDAR_LIST, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t year = store_col_int(st, 0);
        json_t *doc = json_loads(store_col_text(st, 1), 0, &je);
        if (!doc) continue;
        for (size_t k = json_array_size(all); k-- > 0;)
            if (json_integer_value(json_object_get(json_array_get(all, k), "year")) == year) json_array_remove(all, k);
        json_object_set_new(doc, "loaded_by", json_string(store_col_text(st, 2)));
        json_object_set_new(doc, "loaded_at", json_time(store_col_int(st, 3)));
        json_array_append_new(all, doc);
    }
    store_finalize(st);
    if (rc) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return WS_OK;
}

ws_err permit_types_json(permit_svc *s, store_conn *c, json_t **out)
{
    const pr_profile *pf = NULL;
    const pr_calendar *cal = NULL;
    ws_err rc = permit_rules_of(s, c, NULL, &pf, &cal);
    if (rc) return rc;
    static const char *const lifecycle[] = {"draft", "applied", "identified", "tested", "approved", "active",
                                            "suspended", "closed", "cancelled", "expired", NULL};
    const json_t *rules = json_object_get(pr_profile_json(pf), "rules");
    *out = json_array();
    for (int t = 0; t < PT_COUNT; t++) {
        const char *name = pr_type_name((pr_type)t);
        json_t *states = json_array(), *measures = json_array(), *applies = json_array();
        for (int i = 0; lifecycle[i]; i++)
            if (strcmp(lifecycle[i], "identified") || permit_needs_gas((pr_type)t))
                json_array_append_new(states, json_string(lifecycle[i]));
        const char *const *m = permit_statutory_measures((pr_type)t);
        for (int i = 0; m && m[i]; i++) json_array_append_new(measures, json_string(m[i]));
        size_t i, k;
        json_t *r, *ty;
        json_array_foreach(rules, i, r) {
            const json_t *types = json_object_get(r, "types");
            bool hit = !types;
            json_array_foreach(types, k, ty) hit |= !strcmp(json_string_value(ty), name);
            if (hit) json_array_append(applies, r);
        }
        json_array_append_new(*out, json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}", "type", name, "label",
                                              pr_type_label((pr_type)t), "gas_analysis", permit_needs_gas((pr_type)t),
                                              "states", states, "statutory_measures", measures, "rules", applies));
    }
    *out = json_pack("{s:s, s:o}", "profile", pr_profile_key(pf), "items", *out);
    return WS_OK;
}
