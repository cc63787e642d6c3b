/* force.c — forming a task force from its rules, its tasks and their
 * closing, the timeline, and the JSON views (taskforce.h draws the state
 * machine and lists the invariants). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "store/q_taskforce.h"
#include "taskforce/taskforce.h"
#include "workflow/workflow.h"

/* ------------------------------------------------------- audited entities */

static const audit_col force_cols[] = {
    {"id", AC_INT},          {"unit_id", AC_INT},   {"source_kind", AC_TEXT}, {"source_id", AC_INT},
    {"trigger_kind", AC_TEXT}, {"title", AC_TEXT},  {"state", AC_TEXT},       {"drill", AC_INT},
    {"links", AC_TEXT},      {"opened_at", AC_INT}, {"closed_at", AC_INT},    {"created_by", AC_TEXT},
    {"updated_at", AC_INT},
};
static const audit_col member_cols[] = {
    {"id", AC_INT}, {"force_id", AC_INT}, {"person_id", AC_INT}, {"department_id", AC_INT},
    {"role", AC_TEXT}, {"joined_at", AC_INT},
};
static const audit_col task_cols[] = {
    {"id", AC_INT},      {"force_id", AC_INT}, {"department_id", AC_INT}, {"assignee_person_id", AC_INT},
    {"title", AC_TEXT},  {"kind", AC_TEXT},    {"amount_cents", AC_INT},  {"state", AC_TEXT},
    {"due_at", AC_INT},  {"done_at", AC_INT},  {"note", AC_TEXT},         {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col event_cols[] = {
    {"id", AC_INT}, {"force_id", AC_INT}, {"at", AC_INT}, {"kind", AC_TEXT}, {"actor", AC_TEXT}, {"detail", AC_TEXT},
};
static const audit_col incident_cols[] = {
    {"id", AC_INT},          {"unit_id", AC_INT},         {"title", AC_TEXT},      {"description", AC_TEXT},
    {"occurred_at", AC_INT}, {"severity", AC_TEXT},       {"people_affected", AC_INT}, {"injuries", AC_INT},
    {"fatalities", AC_INT},  {"reported_by", AC_TEXT},    {"reporter_person_id", AC_INT}, {"state", AC_TEXT},
    {"created_at", AC_INT},  {"updated_at", AC_INT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity TF_ENTITY_FORCE = {"task_force", "task_forces", force_cols, NCOLS(force_cols)};
const audit_entity TF_ENTITY_MEMBER = {"task_force_member", "task_force_members", member_cols, NCOLS(member_cols)};
const audit_entity TF_ENTITY_TASK = {"task_force_task", "task_force_tasks", task_cols, NCOLS(task_cols)};
const audit_entity TF_ENTITY_EVENT = {"task_force_event", "task_force_events", event_cols, NCOLS(event_cols)};
const audit_entity TF_ENTITY_INCIDENT = {"incident", "incidents", incident_cols, NCOLS(incident_cols)};

ws_err taskforce_init(void)
{
    static bool done;
    if (done) return WS_OK;
    const audit_entity *all[] = {&TF_ENTITY_FORCE, &TF_ENTITY_MEMBER, &TF_ENTITY_TASK, &TF_ENTITY_EVENT,
                                 &TF_ENTITY_INCIDENT};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

/* ---------------------------------------------------------------- helpers */

static const audit_actor *who_of(const org_caller *by)
{
    static const audit_actor sys = {"system:taskforce"};
    return by && by->actor ? by->actor : &sys;
}

static ws_err step_once(store_stmt *st) /* runs st to its end, one row read */
{
    bool row = false;
    return store_step(st, &row);
}

static ws_err event(store_conn *c, const org_caller *by, int64_t force, int64_t at, const char *kind,
                    const json_t *detail)
{
    char *d = detail ? json_dump_compact(detail) : NULL;
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    ws_err rc = store_prepare(c, Q_TF_EVENT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, force);
    if (!rc) rc = store_bind_int(st, 2, at);
    if (!rc) rc = store_bind_text(st, 3, kind);
    if (!rc) rc = store_bind_text(st, 4, who_of(by)->name);
    if (!rc) rc = store_bind_opt_text(st, 5, d);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    free(d);
    if (!rc) rc = audit_record(c, who_of(by), &TF_ENTITY_EVENT, id, kind, NULL);
    return rc;
}


/* Where the force's links come from: the source's photos, similar past
 * cases in the enterprise, earlier forces of the unit. */
static json_t *links_of(store_conn *c, const taskforce_source *src, const org_unit *u)
{
    json_t *links = json_object(), *cases = json_array(), *docs = json_array();
    if (!strcmp(src->kind, "hazard")) {
        store_stmt *st = NULL;
        bool row = false;
        char type[16] = "", factor[32] = "";
        if (!store_prepare(c, Q_TF_HAZARD_SOURCE, &st) && !store_bind_int(st, 1, src->id) &&
            !store_step(st, &row) && row) {
            snprintf(type, sizeof type, "%s", store_col_text(st, 2) ? store_col_text(st, 2) : "");
            snprintf(factor, sizeof factor, "%s", store_col_text(st, 3) ? store_col_text(st, 3) : "");
            json_error_t je;
            json_t *photos = store_col_text(st, 4) ? json_loads(store_col_text(st, 4), 0, &je) : NULL;
            size_t i;
            json_t *p;
            json_array_foreach(photos, i, p) json_array_append_new(docs, json_pack("{s:s, s:O}", "kind", "photo",
                                                                                   "attachment_id", p));
            json_decref(photos);
        }
        store_finalize(st);
        org_unit e;
        st = NULL;
        if (type[0] && !org_unit_get(c, u->enterprise_id, &e) && !store_prepare(c, Q_TF_SIMILAR_HAZARDS, &st) &&
            !store_bind_text(st, 1, e.path) && !store_bind_text(st, 2, type) && !store_bind_text(st, 3, factor) &&
            !store_bind_int(st, 4, src->id)) {
            while (!store_step(st, &row) && row)
                json_array_append_new(cases, json_pack("{s:s, s:I, s:s, s:s, s:o}", "kind", "hazard", "id",
                                                       (json_int_t)store_col_int(st, 0), "title", store_col_text(st, 1),
                                                       "state", store_col_text(st, 2), "found_at",
                                                       json_time(store_col_int(st, 3))));
        }
        store_finalize(st);
    }
    /* the unit's risk card and plan, where the drawings of the place are */
    json_array_append_new(docs, json_pack("{s:s, s:s}", "kind", "risk_map", "href", "/risk/map"));
    json_object_set_new(links, "documents", docs);
    json_object_set_new(links, "similar_cases", cases);
    return links;
}

static ws_err add_member(store_conn *c, const org_caller *by, int64_t force, int64_t person, int64_t dept,
                         const char *role, int64_t now)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    ws_err rc = store_prepare(c, Q_TF_MEMBER_ADD, &st);
    if (!rc) rc = store_bind_int(st, 1, force);
    if (!rc) rc = store_bind_int(st, 2, person);
    if (!rc) rc = store_bind_opt_int(st, 3, dept);
    if (!rc) rc = store_bind_text(st, 4, role);
    if (!rc) rc = store_bind_int(st, 5, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && id) rc = audit_record(c, who_of(by), &TF_ENTITY_MEMBER, id, "join", NULL);
    return rc;
}

static ws_err add_task(store_conn *c, const org_caller *by, int64_t force, int64_t dept, int64_t assignee,
                       const char *title, const char *kind, int64_t due, int64_t now, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_TF_TASK_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, force);
    if (!rc) rc = store_bind_opt_int(st, 2, dept);
    if (!rc) rc = store_bind_opt_int(st, 3, assignee);
    if (!rc) rc = store_bind_text(st, 4, title);
    if (!rc) rc = store_bind_text(st, 5, kind);
    if (!rc) rc = store_bind_opt_int(st, 6, due);
    if (!rc) rc = store_bind_int(st, 7, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who_of(by), &TF_ENTITY_TASK, *id, "create", NULL);
    return rc;
}

/* ------------------------------------------------------------------ forming */

ws_err taskforce_form(store_conn *c, const org_caller *by, const taskforce_source *src, int64_t *id, bool *created)
{
    bool local = false;
    if (!created) created = &local;
    *created = false;
    *id = 0;
    org_unit u;
    ws_err rc = org_unit_get(c, src->unit_id, &u);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_EINVAL, "unit_id", "no such unit (unit_id)");
    if (rc) return rc;
    if (!u.enterprise_id) return ws_fail(WS_EINVAL, "unit_id", "a task force belongs to a unit of an enterprise");
    if ((rc = org_allow(by, "taskforce.write", u.path)) == WS_ENOTFOUND)
        return ws_fail(WS_EINVAL, "unit_id", "no such unit (unit_id)");
    if (rc) return rc;
    int64_t now = org_now(by);
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    int64_t source_id = src->id;
    if (!source_id) source_id = -now; /* a manual force: its own, unique source */
    json_t *links = links_of(c, src, &u);
    char *ltext = json_dump_compact(links);
    json_decref(links);
    char title[TF_TITLE_MAX + 40];
    snprintf(title, sizeof title, "%s%.200s", src->drill ? "【演练】" : "", src->title ? src->title : "");
    store_stmt *st = NULL;
    bool row = false;
    rc = ltext ? store_prepare(c, Q_TF_INSERT, &st) : WS_ENOMEM;
    if (!rc) rc = store_bind_int(st, 1, u.id);
    if (!rc) rc = store_bind_text(st, 2, src->kind);
    if (!rc) rc = store_bind_int(st, 3, source_id);
    if (!rc) rc = store_bind_text(st, 4, src->trigger);
    if (!rc) rc = store_bind_text(st, 5, title);
    if (!rc) rc = store_bind_int(st, 6, src->drill);
    if (!rc) rc = store_bind_text(st, 7, ltext);
    if (!rc) rc = store_bind_text(st, 8, who_of(by)->name);
    if (!rc) rc = store_bind_int(st, 9, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    if (st) store_finalize(st);
    free(ltext);
    if (!rc && !row) { /* formed already (invariant 1) */
        st = NULL;
        rc = store_prepare(c, Q_TF_BY_SOURCE, &st);
        if (!rc) rc = store_bind_text(st, 1, src->kind);
        if (!rc) rc = store_bind_int(st, 2, source_id);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) *id = store_col_int(st, 0);
        store_finalize(st);
        return store_tx_finish(c, own, rc);
    }
    if (!rc) rc = audit_record(c, who_of(by), &TF_ENTITY_FORCE, *id, "open", NULL);
    /* members and tasks by the trigger's rules */
    struct rulerow { char dept[32], title[TF_TITLE_MAX + 1], kind[16]; int64_t due_h; } rules[32];
    int nrules = 0;
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_TF_RULES, &st);
    if (!rc) rc = store_bind_text(st, 1, src->trigger);
    while (!rc && nrules < 32 && !(rc = store_step(st, &row)) && row) {
        snprintf(rules[nrules].dept, sizeof rules[0].dept, "%s", store_col_text(st, 0));
        snprintf(rules[nrules].title, sizeof rules[0].title, "%s", store_col_text(st, 1));
        snprintf(rules[nrules].kind, sizeof rules[0].kind, "%s", store_col_text(st, 2));
        rules[nrules].due_h = store_col_int(st, 3);
        nrules++;
    }
    if (st) store_finalize(st);
    json_t *missing = json_array();
    int ntasks = 0;
    for (int i = 0; !rc && i < nrules; i++) {
        int64_t dept = 0, lead = 0;
        st = NULL;
        rc = store_prepare(c, Q_TF_DEPT_BY_CODE, &st);
        if (!rc) rc = store_bind_int(st, 1, u.enterprise_id);
        if (!rc) rc = store_bind_text(st, 2, rules[i].dept);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) dept = store_col_int(st, 0);
        store_finalize(st);
        if (!rc && dept) {
            st = NULL;
            rc = store_prepare(c, Q_TF_DEPT_LEAD, &st);
            if (!rc) rc = store_bind_int(st, 1, dept);
            if (!rc) rc = store_step(st, &row);
            if (!rc && row) lead = store_col_int(st, 0);
            store_finalize(st);
        }
        if (!rc && !lead) json_array_append_new(missing, json_string(rules[i].dept));
        if (!rc && lead) rc = add_member(c, by, *id, lead, dept, "member", now);
        int64_t tid = 0;
        if (!rc)
            rc = add_task(c, by, *id, dept, lead, rules[i].title, rules[i].kind,
                          rules[i].due_h > 0 ? now + rules[i].due_h * 3600000LL : 0, now, &tid);
        if (!rc) ntasks++;
    }
    /* the unit's leader leads the force */
    if (!rc && u.leader_person_id > 0) rc = add_member(c, by, *id, u.leader_person_id, 0, "lead", now);
    json_t *detail = json_pack("{s:s, s:I, s:s, s:i, s:o}", "source_kind", src->kind, "source_id",
                               (json_int_t)source_id, "trigger", src->trigger, "tasks", ntasks,
                               "departments_without_people", missing);
    if (!rc) rc = event(c, by, *id, now, "open", detail);
    json_decref(detail);
    if (!rc) *created = true;
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------------------- tasks */

typedef struct task_row {
    int64_t id, force_id, department_id, assignee, amount_cents, due_at, done_at;
    char title[TF_TITLE_MAX + 1], kind[16], state[16], force_state[16], path[AUTH_PATH_MAX];
    char note[TF_TEXT_MAX + 1];
} task_row;

static ws_err task_get(store_conn *c, int64_t id, task_row *t)
{
    store_stmt *st = NULL;
    bool row = false;
    memset(t, 0, sizeof *t);
    ws_err rc = store_prepare(c, Q_TF_TASK_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        t->id = store_col_int(st, 0);
        t->force_id = store_col_int(st, 1);
        t->department_id = store_col_opt_int(st, 2);
        t->assignee = store_col_opt_int(st, 3);
        snprintf(t->title, sizeof t->title, "%s", store_col_text(st, 4));
        snprintf(t->kind, sizeof t->kind, "%s", store_col_text(st, 5));
        t->amount_cents = store_col_opt_int(st, 6);
        snprintf(t->state, sizeof t->state, "%s", store_col_text(st, 7));
        t->due_at = store_col_opt_int(st, 8);
        t->done_at = store_col_opt_int(st, 9);
        snprintf(t->note, sizeof t->note, "%s", store_col_text(st, 10) ? store_col_text(st, 10) : "");
        snprintf(t->path, sizeof t->path, "%s", store_col_text(st, 15));
        snprintf(t->force_state, sizeof t->force_state, "%s", store_col_text(st, 16));
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such task");
    return rc;
}

static ws_err text_ok(const char *s, const char *field, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')
            return ws_fail(WS_EINVAL, field, "%s must not contain control characters", field);
    }
    if (n && !org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not valid UTF-8", field);
    return WS_OK;
}

/* Close the force when it has no open task left (invariant 2). */
static ws_err maybe_close(store_conn *c, const org_caller *by, int64_t force, int64_t now)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t open = 1;
    ws_err rc = store_prepare(c, Q_TF_OPEN_TASKS, &st);
    if (!rc) rc = store_bind_int(st, 1, force);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) open = store_col_int(st, 0);
    store_finalize(st);
    if (rc || open) return rc;
    st = NULL;
    rc = store_prepare(c, Q_TF_CLOSE, &st);
    if (!rc) rc = store_bind_int(st, 1, force);
    if (!rc) rc = store_bind_int(st, 2, now);
    if (!rc) rc = step_once(st);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who_of(by), &TF_ENTITY_FORCE, force, "close", NULL);
    if (!rc) rc = event(c, by, force, now, "close", NULL);
    return rc;
}

ws_err taskforce_task_act(store_conn *c, const org_caller *by, int64_t task_id, const char *action,
                          const json_t *body)
{
    task_row t;
    ws_err rc = task_get(c, task_id, &t);
    if (rc) return rc;
    bool mine = by && by->subject && by->subject->person_id > 0 && by->subject->person_id == t.assignee;
    rc = org_allow(by, "taskforce.read", t.path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such task");
    if (!rc && !mine) rc = org_allow(by, "taskforce.write", t.path);
    if (rc == WS_EFORBIDDEN) return ws_fail(WS_EFORBIDDEN, "assignee_person_id", "the task's assignee or a manager closes it");
    if (rc) return rc;
    bool done = !strcmp(action, "done");
    if (!done && strcmp(action, "cancel")) return ws_fail(WS_ENOTFOUND, "action", "no such action (done, cancel)");
    if (strcmp(t.state, "open"))
        return ws_fail(WS_ECONFLICT, "state", "the task is %s already", t.state);
    if (!strcmp(t.force_state, "closed")) return ws_fail(WS_ECONFLICT, "state", "the task force is closed");
    static const char *const keys[] = {"note", "amount", NULL};
    const char *note = NULL;
    if ((rc = json_known_keys(body, NULL, keys)) || (rc = json_opt_text(body, "note", "note", &note)) ||
        (rc = text_ok(note, "note", TF_TEXT_MAX)))
        return rc;
    if (!done && (!note || !note[0])) return ws_fail(WS_EINVAL, "note", "cancelling a task needs a note (why)");
    int64_t cents = t.amount_cents;
    const json_t *amount = json_object_get(body, "amount");
    if (done && !strcmp(t.kind, "budget")) {
        double a = json_number_value(amount);
        if (!json_is_number(amount) || !isfinite(a) || a < 0 || a > 1e12)
            return ws_fail(WS_EINVAL, "amount", "a budget task is done with the approved amount in yuan (amount)");
        cents = (int64_t)llround(a * 100);
    } else if (amount) {
        return ws_fail(WS_EINVAL, "amount", "only a budget task has an amount");
    }
    int64_t now = org_now(by);
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_TF_TASK_SET, &st);
    if (!rc) rc = store_bind_int(st, 1, task_id);
    if (!rc) rc = store_bind_text(st, 2, done ? "done" : "cancelled");
    if (!rc) rc = store_bind_int(st, 3, now);
    if (!rc) rc = store_bind_opt_text(st, 4, note && note[0] ? note : NULL);
    if (!rc) rc = store_bind_opt_int(st, 5, cents);
    if (!rc) rc = store_bind_int(st, 6, now);
    if (!rc) rc = step_once(st);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who_of(by), &TF_ENTITY_TASK, task_id, action, NULL);
    json_t *detail = json_pack("{s:I, s:s}", "task_id", (json_int_t)task_id, "title", t.title);
    if (cents && done) json_object_set_new(detail, "amount", json_real((double)cents / 100));
    if (!rc) rc = event(c, by, t.force_id, now, done ? "task_done" : "task_cancelled", detail);
    json_decref(detail);
    if (!rc) rc = maybe_close(c, by, t.force_id, now);
    return store_tx_finish(c, own, rc);
}

ws_err taskforce_task_add(store_conn *c, const org_caller *by, int64_t force_id, const json_t *body, int64_t *task_id)
{
    json_t *f = NULL;
    ws_err rc = taskforce_json(c, by ? by->subject : NULL, force_id, &f);
    if (rc) return rc;
    const char *path = json_string_value(json_object_get(f, "unit_path"));
    bool closed = !strcmp(json_string_value(json_object_get(f, "state")), "closed");
    int64_t unit = json_integer_value(json_object_get(f, "unit_id"));
    rc = org_allow(by, "taskforce.write", path);
    json_decref(f);
    if (rc) return rc;
    if (closed) return ws_fail(WS_ECONFLICT, "state", "the task force is closed");
    static const char *const keys[] = {"title", "kind", "assignee_person_id", "department_id", "due_at", NULL};
    if ((rc = json_known_keys(body, NULL, keys))) return rc;
    const char *title = json_string_value(json_object_get(body, "title"));
    const json_t *kv = json_object_get(body, "kind");
    const char *kind = json_string_value(kv);
    if (kv && !kind) return ws_fail(WS_EINVAL, "kind", "kind is action, budget or document");
    if (!title || !title[0]) return ws_fail(WS_EINVAL, "title", "title is required");
    if ((rc = text_ok(title, "title", TF_TITLE_MAX))) return rc;
    if (kind && strcmp(kind, "action") && strcmp(kind, "budget") && strcmp(kind, "document"))
        return ws_fail(WS_EINVAL, "kind", "kind is action, budget or document");
    int64_t assignee = 0, dept = 0;
    if ((rc = json_opt_id(body, "assignee_person_id", "assignee_person_id", &assignee)) ||
        (rc = json_opt_id(body, "department_id", "department_id", &dept)))
        return rc;
    org_unit u;
    if ((rc = org_unit_get(c, unit, &u))) return rc;
    if (assignee) {
        org_person p;
        rc = org_person_get(c, assignee, &p);
        if (rc == WS_ENOTFOUND || (!rc && (p.enterprise_id != u.enterprise_id || !p.active)))
            return ws_fail(WS_EINVAL, "assignee_person_id", "no such active person in this enterprise");
        if (rc) return rc;
        if (!dept) dept = p.department_id;
    }
    if (dept) {
        org_dept d;
        rc = org_dept_get(c, dept, &d);
        if (rc == WS_ENOTFOUND || (!rc && d.enterprise_id != u.enterprise_id))
            return ws_fail(WS_EINVAL, "department_id", "no such department in this enterprise");
        if (rc) return rc;
    }
    int64_t due = 0;
    const json_t *dv = json_object_get(body, "due_at");
    if (dv && (!json_is_string(dv) || clock_parse_rfc3339(json_string_value(dv), &due)))
        return ws_fail(WS_EINVAL, "due_at", "due_at is a time (RFC 3339)");
    int64_t now = org_now(by);
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    rc = add_task(c, by, force_id, dept, assignee, title, kind ? kind : "action", due, now, task_id);
    if (!rc && assignee) rc = add_member(c, by, force_id, assignee, dept, "member", now);
    json_t *detail = json_pack("{s:I, s:s}", "task_id", (json_int_t)*task_id, "title", title);
    if (!rc) rc = event(c, by, force_id, now, "task_added", detail);
    json_decref(detail);
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------------------- views */

static json_t *task_json(store_stmt *st)
{
    int64_t cents = store_col_opt_int(st, 6);
    return json_pack("{s:I, s:I, s:o, s:o, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)store_col_int(st, 0), "force_id", (json_int_t)store_col_int(st, 1), "department_id",
                     json_id(store_col_opt_int(st, 2)), "assignee_person_id", json_id(store_col_opt_int(st, 3)),
                     "title", store_col_text(st, 4), "kind", store_col_text(st, 5), "amount",
                     cents ? json_real((double)cents / 100) : json_null(), "state", store_col_text(st, 7), "due_at",
                     json_time(store_col_opt_int(st, 8)), "done_at", json_time(store_col_opt_int(st, 9)), "note",
                     json_str(store_col_text(st, 10)), "department", json_str(store_col_text(st, 13)), "assignee",
                     json_str(store_col_text(st, 14)), "force_state", json_str(store_col_text(st, 16)));
}

static json_t *force_json(store_stmt *st)
{
    json_error_t je;
    const char *l = store_col_text(st, 8);
    json_t *links = l ? json_loads(l, 0, &je) : NULL;
    return json_pack("{s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:s, s:s}", "id",
                     (json_int_t)store_col_int(st, 0), "unit_id", (json_int_t)store_col_int(st, 1), "source_kind",
                     store_col_text(st, 2), "source_id", (json_int_t)store_col_int(st, 3), "trigger",
                     store_col_text(st, 4), "title", store_col_text(st, 5), "state", store_col_text(st, 6), "drill",
                     store_col_int(st, 7) != 0, "links", links ? links : json_object(), "opened_at",
                     json_time(store_col_int(st, 9)), "closed_at", json_time(store_col_opt_int(st, 10)),
                     "created_by", store_col_text(st, 11), "unit_path", store_col_text(st, 13));
}

static ws_err rows_into(store_conn *c, const char *sql, int64_t arg, json_t *(*fn)(store_stmt *), json_t *out)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_int(st, 1, arg);
    while (!rc && !(rc = store_step(st, &row)) && row) json_array_append_new(out, fn(st));
    store_finalize(st);
    return rc;
}

static json_t *member_json(store_stmt *st)
{
    return json_pack("{s:I, s:o, s:s, s:o, s:s, s:o}", "person_id", (json_int_t)store_col_int(st, 1), "department_id",
                     json_id(store_col_opt_int(st, 2)), "role", store_col_text(st, 3), "joined_at",
                     json_time(store_col_int(st, 4)), "name", store_col_text(st, 5), "department",
                     json_str(store_col_text(st, 6)));
}

static json_t *event_json(store_stmt *st)
{
    json_error_t je;
    const char *d = store_col_text(st, 4);
    json_t *detail = d ? json_loads(d, 0, &je) : NULL;
    return json_pack("{s:I, s:o, s:s, s:s, s:o}", "id", (json_int_t)store_col_int(st, 0), "at",
                     json_time(store_col_int(st, 1)), "kind", store_col_text(st, 2), "actor", store_col_text(st, 3),
                     "detail", detail ? detail : json_null());
}

ws_err taskforce_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = NULL;
    ws_err rc = store_prepare(c, Q_TF_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    json_t *o = !rc && row ? force_json(st) : NULL;
    store_finalize(st);
    if (!rc && !o) rc = ws_fail(WS_ENOTFOUND, "id", "no such task force");
    if (!rc && s) {
        auth_resource r = {0};
        r.unit_path = json_string_value(json_object_get(o, "unit_path"));
        rc = auth_decide(s, "taskforce.read", &r);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such task force");
    }
    json_t *members = json_array(), *tasks = json_array(), *events = json_array();
    if (!rc) rc = rows_into(c, Q_TF_MEMBERS, id, member_json, members);
    if (!rc) rc = rows_into(c, Q_TF_TASKS, id, task_json, tasks);
    if (!rc) rc = rows_into(c, Q_TF_EVENTS, id, event_json, events);
    if (rc) {
        json_decref(o);
        json_decref(members);
        json_decref(tasks);
        json_decref(events);
        return rc;
    }
    size_t i, open = 0;
    json_t *t;
    json_array_foreach(tasks, i, t) open += !strcmp(json_string_value(json_object_get(t, "state")), "open");
    json_object_set_new(o, "members", members);
    json_object_set_new(o, "tasks", tasks);
    json_object_set_new(o, "timeline", events);
    json_object_set_new(o, "progress", json_pack("{s:I, s:I}", "tasks", (json_int_t)json_array_size(tasks), "open",
                                                 (json_int_t)open));
    *out = o;
    return WS_OK;
}

ws_err taskforce_list(store_conn *c, const char *scope_path, int64_t unit_id, const char *state, int limit,
                      int64_t cursor, json_t **items, int64_t *next)
{
    if (limit < 1 || limit > 200) limit = 50;
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    *next = 0;
    ws_err rc = store_prepare(c, Q_TF_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, scope_path ? scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, unit_id);
    if (!rc) rc = store_bind_text(st, 3, state ? state : "");
    if (!rc) rc = store_bind_int(st, 4, cursor);
    if (!rc) rc = store_bind_int(st, 5, limit + 1);
    int k = 0;
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (k++ == limit) {
            *next = json_integer_value(json_object_get(json_array_get(*items, (size_t)limit - 1), "id"));
            break;
        }
        json_array_append_new(*items, force_json(st));
    }
    store_finalize(st);
    /* progress of each */
    size_t i;
    json_t *f;
    json_array_foreach(*items, i, f) {
        if (rc) break;
        json_t *tasks = json_array();
        rc = rows_into(c, Q_TF_TASKS, json_integer_value(json_object_get(f, "id")), task_json, tasks);
        size_t k2, open = 0;
        json_t *t;
        json_array_foreach(tasks, k2, t) open += !strcmp(json_string_value(json_object_get(t, "state")), "open");
        json_object_set_new(f, "progress", json_pack("{s:I, s:I}", "tasks", (json_int_t)json_array_size(tasks),
                                                     "open", (json_int_t)open));
        json_decref(tasks);
    }
    if (rc) {
        json_decref(*items);
        *items = NULL;
    }
    return rc;
}

ws_err taskforce_my_tasks(store_conn *c, int64_t person_id, const char *state, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    ws_err rc = store_prepare(c, Q_TF_MY_TASKS, &st);
    if (!rc) rc = store_bind_int(st, 1, person_id);
    if (!rc) rc = store_bind_text(st, 2, state ? state : "");
    while (!rc && !(rc = store_step(st, &row)) && row) json_array_append_new(*items, task_json(st));
    store_finalize(st);
    return rc;
}

ws_err taskforce_rules_json(store_conn *c, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = json_array();
    ws_err rc = store_prepare(c, Q_TF_RULES_ALL, &st);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(*out, json_pack("{s:s, s:s, s:s, s:s, s:I}", "trigger", store_col_text(st, 0),
                                              "department_code", store_col_text(st, 1), "task_title",
                                              store_col_text(st, 2), "task_kind", store_col_text(st, 3),
                                              "due_hours", (json_int_t)store_col_int(st, 4)));
    store_finalize(st);
    return rc;
}

ws_err taskforce_rules_put(store_conn *c, const org_caller *by, const json_t *items)
{
    static const char *const triggers[] = {"major_hazard", "emergency_alarm", "serious_incident", "drill", NULL};
    if (!json_is_array(items) || json_array_size(items) > 200)
        return ws_fail(WS_EINVAL, "items", "the rules are a list of at most 200 {trigger, department_code, "
                       "task_title, task_kind, due_hours}");
    size_t i;
    json_t *r;
    static const char *const keys[] = {"trigger", "department_code", "task_title", "task_kind", "due_hours", NULL};
    json_array_foreach(items, i, r) {
        char f[48];
        snprintf(f, sizeof f, "items[%zu]", i);
        if (!json_is_object(r)) return ws_fail(WS_EINVAL, f, "a rule is an object");
        ws_err krc = json_known_keys(r, f, keys);
        if (krc) return krc;
        const char *t = json_string_value(json_object_get(r, "trigger"));
        bool ok = t && !strncmp(t, "drill_", 6) && strlen(t) < 48 && strspn(t, "abcdefghijklmnopqrstuvwxyz_") == strlen(t);
        for (int k = 0; t && triggers[k]; k++) ok |= !strcmp(t, triggers[k]);
        snprintf(f, sizeof f, "items[%zu].trigger", i);
        if (!ok) return ws_fail(WS_EINVAL, f, "trigger is major_hazard, emergency_alarm, serious_incident, drill or drill_<scenario>");
        const char *d = json_string_value(json_object_get(r, "department_code"));
        snprintf(f, sizeof f, "items[%zu].department_code", i);
        if (!d || !d[0] || strlen(d) > 31) return ws_fail(WS_EINVAL, f, "a department code");
        const char *title = json_string_value(json_object_get(r, "task_title"));
        snprintf(f, sizeof f, "items[%zu].task_title", i);
        if (!title || !title[0] || text_ok(title, f, TF_TITLE_MAX)) return ws_fail(WS_EINVAL, f, "a task title of 1..200 bytes");
        const char *kind = json_string_value(json_object_get(r, "task_kind"));
        snprintf(f, sizeof f, "items[%zu].task_kind", i);
        if (!kind || (strcmp(kind, "action") && strcmp(kind, "budget") && strcmp(kind, "document")))
            return ws_fail(WS_EINVAL, f, "task_kind is action, budget or document");
        json_int_t h = json_integer_value(json_object_get(r, "due_hours"));
        snprintf(f, sizeof f, "items[%zu].due_hours", i);
        if (!json_is_integer(json_object_get(r, "due_hours")) || h < 0 || h > 24 * 365)
            return ws_fail(WS_EINVAL, f, "due_hours is 0..8760");
    }
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_TF_RULES_CLEAR, &st);
    if (!rc) rc = step_once(st);
    store_finalize(st);
    json_array_foreach(items, i, r) {
        if (rc) break;
        st = NULL;
        rc = store_prepare(c, Q_TF_RULE_INSERT, &st);
        if (!rc) rc = store_bind_text(st, 1, json_string_value(json_object_get(r, "trigger")));
        if (!rc) rc = store_bind_text(st, 2, json_string_value(json_object_get(r, "department_code")));
        if (!rc) rc = store_bind_text(st, 3, json_string_value(json_object_get(r, "task_title")));
        if (!rc) rc = store_bind_text(st, 4, json_string_value(json_object_get(r, "task_kind")));
        if (!rc) rc = store_bind_int(st, 5, json_integer_value(json_object_get(r, "due_hours")));
        if (!rc) rc = store_bind_int(st, 6, (int64_t)i + 1);
        if (!rc) rc = step_once(st);
        store_finalize(st);
    }
    if (rc == WS_ECONFLICT) rc = ws_fail(WS_EINVAL, "items", "a rule is listed twice");
    if (!rc) {
        char *text = json_dump_compact(items);
        const audit_field f[] = {{"rules", AC_TEXT, 0, text ? text : "[]"}};
        rc = audit_event(c, who_of(by), "task_force_rules", 0, "replace", f, 1, NULL);
        free(text);
    }
    return store_tx_finish(c, own, rc);
}

/* --------------------------------------------------------------- triggers */

ws_err taskforce_tick(store_conn *c, int64_t now, int *formed)
{
    int n = 0;
    if (formed) *formed = 0;
    static const struct { const char *sql, *kind, *trigger; bool since; } q[] = {
        {Q_TF_NEW_MAJOR_HAZARDS, "hazard", "major_hazard", false},
        {Q_TF_NEW_EMERGENCIES, "alarm", "emergency_alarm", true},
        {Q_TF_NEW_INCIDENTS, "incident", "serious_incident", false},
    };
    ws_err rc = WS_OK;
    for (size_t k = 0; k < sizeof q / sizeof q[0] && !rc; k++) {
        struct { int64_t id, unit; char title[TF_TITLE_MAX + 1]; } found[32];
        int nf = 0;
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, q[k].sql, &st);
        if (!rc && q[k].since) rc = store_bind_int(st, 1, now - 86400000LL);
        if (!rc) rc = store_bind_int(st, q[k].since ? 2 : 1, 32);
        while (!rc && nf < 32 && !(rc = store_step(st, &row)) && row) {
            found[nf].id = store_col_int(st, 0);
            found[nf].unit = store_col_int(st, 1);
            snprintf(found[nf].title, sizeof found[0].title, "%s", store_col_text(st, 2));
            nf++;
        }
        store_finalize(st);
        for (int i = 0; !rc && i < nf; i++) {
            char title[TF_TITLE_MAX + 1];
            static const char *const prefix[] = {"重大隐患专项组：", "紧急报警处置组：", "事故处置组："};
            snprintf(title, sizeof title, "%s%.160s", prefix[k], found[i].title);
            taskforce_source src = {.kind = q[k].kind, .id = found[i].id, .trigger = q[k].trigger,
                                    .unit_id = found[i].unit, .title = title};
            int64_t id = 0;
            bool created = false;
            ws_err one = taskforce_form(c, NULL, &src, &id, &created);
            if (one) log_warn("task force not formed", "source", q[k].kind, "detail", ws_err_message());
            else n += created;
        }
    }
    if (formed) *formed = n;
    return rc;
}

/* The hazard workflow's open_task_force effect: a 重大 hazard entering
 * rectification (the default definition) or wherever a definition puts it;
 * runs inside the move's transaction. */
static ws_err on_effect(store_conn *c, const wf_instance *in, const json_t *effect, void *arg)
{
    (void)arg;
    const char *kind = json_string_value(json_object_get(effect, "kind"));
    if (!kind || strcmp(kind, "open_task_force") || strcmp(in->key, "hazard")) return WS_OK;
    store_stmt *st = NULL;
    bool row = false;
    int64_t hazard = 0;
    char t[TF_TITLE_MAX + 1] = "";
    ws_err rc = store_prepare(c, Q_TF_HAZARD_OF_INSTANCE, &st);
    if (!rc) rc = store_bind_int(st, 1, in->id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        hazard = store_col_int(st, 0);
        snprintf(t, sizeof t, "重大隐患专项组：%.160s", store_col_text(st, 1));
    }
    store_finalize(st);
    if (rc || !hazard) return rc;
    taskforce_source src = {.kind = "hazard", .id = hazard, .trigger = "major_hazard", .unit_id = in->unit_id,
                            .title = t};
    int64_t id = 0;
    return taskforce_form(c, NULL, &src, &id, NULL);
}

void taskforce_hook_workflow(void) { workflow_set_effect_hook(on_effect, NULL); }
