/* drill.c — the collaboration stress test (协同压力测试): an administrator
 * starts a scenario ("硫化氢泄漏 in 罐区"); it is played out as if real — a
 * task force formed by the scenario's rules (trigger drill_<scenario>),
 * marked as a drill in its title and flag, and, where the scenario says so,
 * a 紧急 alarm titled 【演练】 raised through the early-warning engine (the
 * API layer raises it: this module does not reach the engine) so it is paged,
 * acknowledged and closed like a real one. The report measures how long each
 * department and person took: the alarm's acknowledgement from its raise,
 * and each task from the force's forming to its close; and sets it next to
 * the earlier drills of the same scenario. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "store/q_taskforce.h"
#include "taskforce/taskforce.h"

ws_err drill_start(store_conn *c, const org_caller *by, const char *scenario, int64_t unit_id, int64_t *drill_id,
                   int *alarm_level, char *title, size_t cap)
{
    *drill_id = 0;
    *alarm_level = 0;
    store_stmt *st = NULL;
    bool row = false;
    char stitle[128] = "";
    ws_err rc = store_prepare(c, Q_DRILL_SCENARIO, &st);
    if (!rc) rc = store_bind_text(st, 1, scenario ? scenario : "");
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        snprintf(stitle, sizeof stitle, "%s", store_col_text(st, 0));
        *alarm_level = (int)store_col_int(st, 2);
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_EINVAL, "scenario", "no such drill scenario (scenario)");
    org_unit u;
    if (!rc) rc = org_unit_get(c, unit_id, &u);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_EINVAL, "unit_id", "no such unit (unit_id)");
    if (!rc && by && by->subject) {
        auth_resource r = {0};
        r.unit_path = u.path;
        rc = auth_decide(by->subject, "drill.run", &r);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "unit_id", "no such unit (unit_id)");
    }
    if (rc) return rc;
    int64_t now = org_now(by);
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    static const audit_actor sys = {"system"};
    const audit_actor *who = by && by->actor ? by->actor : &sys;
    st = NULL;
    rc = store_prepare(c, Q_DRILL_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, scenario);
    if (!rc) rc = store_bind_int(st, 2, unit_id);
    if (!rc) rc = store_bind_int(st, 3, *alarm_level);
    if (!rc) rc = store_bind_text(st, 4, who->name);
    if (!rc) rc = store_bind_int(st, 5, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *drill_id = store_col_int(st, 0);
    store_finalize(st);
    const audit_field f[] = {{"scenario", AC_TEXT, 0, scenario}, {"unit_id", AC_INT, unit_id, NULL}};
    if (!rc) rc = audit_event(c, who, "drill", *drill_id, "start", f, 2, NULL);
    char trig[64], t[TF_TITLE_MAX + 1];
    snprintf(trig, sizeof trig, "drill_%.40s", scenario);
    snprintf(t, sizeof t, "%.80s：%.100s", stitle, u.name);
    taskforce_source src = {.kind = "drill", .id = *drill_id, .trigger = trig, .unit_id = unit_id, .title = t,
                            .drill = true};
    int64_t force = 0;
    if (!rc) rc = taskforce_form(c, by, &src, &force, NULL);
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_DRILL_SET_FORCE, &st);
    if (!rc) rc = store_bind_int(st, 1, *drill_id);
    if (!rc) rc = store_bind_int(st, 2, force);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (title) snprintf(title, cap, "【演练】%.80s：%.100s", stitle, u.name);
    return store_tx_finish(c, own, rc);
}

static json_t *drill_row(store_stmt *st)
{
    return json_pack("{s:I, s:s, s:I, s:o, s:i, s:o, s:s, s:s, s:s}", "id", (json_int_t)store_col_int(st, 0),
                     "scenario", store_col_text(st, 1), "unit_id", (json_int_t)store_col_int(st, 2), "force_id",
                     json_id(store_col_opt_int(st, 3)), "alarm_level", (int)store_col_int(st, 4), "started_at",
                     json_time(store_col_int(st, 5)), "started_by", store_col_text(st, 6), "unit_path",
                     store_col_text(st, 7), "title", store_col_text(st, 8));
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The measured times of a drill: the alarm's acknowledgement, each task's
 * time from the force's forming, per department, the whole. */
static ws_err measure(store_conn *c, json_t *d, int64_t alarm_rule)
{
    int64_t force = json_integer_value(json_object_get(d, "force_id"));
    json_t *f = NULL;
    ws_err rc = force ? taskforce_json(c, NULL, force, &f) : WS_OK;
    if (rc) return rc;
    int64_t opened = 0;
    if (f) clock_parse_rfc3339(json_string_value(json_object_get(f, "opened_at")), &opened);
    json_t *steps = json_array();
    double times[64];
    int nt = 0, open = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(f, "tasks"), i, t) {
        int64_t done = 0;
        const char *state = json_string_value(json_object_get(t, "state"));
        if (json_string_value(json_object_get(t, "done_at")))
            clock_parse_rfc3339(json_string_value(json_object_get(t, "done_at")), &done);
        double s = done && opened ? (double)(done - opened) / 1000.0 : -1;
        if (!strcmp(state, "open")) open++;
        else if (s >= 0 && nt < 64) times[nt++] = s;
        json_array_append_new(steps, json_pack("{s:O, s:O, s:O, s:s, s:o}", "task", json_object_get(t, "title"),
                                               "department", json_object_get(t, "department"), "person",
                                               json_object_get(t, "assignee"), "state", state, "seconds",
                                               s >= 0 ? json_real(s) : json_null()));
    }
    json_object_set_new(d, "steps", steps);
    json_object_set_new(d, "open_tasks", json_integer(open));
    if (f) json_object_set(d, "state", json_object_get(f, "state"));
    int64_t closed = 0;
    if (f && json_string_value(json_object_get(f, "closed_at")))
        clock_parse_rfc3339(json_string_value(json_object_get(f, "closed_at")), &closed);
    json_object_set_new(d, "total_seconds", closed && opened ? json_real((double)(closed - opened) / 1000.0) : json_null());
    if (nt) qsort(times, (size_t)nt, sizeof times[0], cmpd);
    json_object_set_new(d, "median_task_seconds", nt ? json_real(times[(nt - 1) / 2]) : json_null());
    json_decref(f);
    /* the alarm, when the scenario raised one */
    store_stmt *st = NULL;
    bool row = false;
    json_t *alarm = json_null();
    rc = store_prepare(c, Q_DRILL_ALARM, &st);
    if (!rc) rc = store_bind_int(st, 1, alarm_rule);
    if (!rc) rc = store_bind_int(st, 2, json_integer_value(json_object_get(d, "id")));
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        int64_t raised = store_col_int(st, 0), acked = store_col_opt_int(st, 1);
        alarm = json_pack("{s:o, s:o, s:o, s:s, s:o}", "raised_at", json_time(raised), "acked_at", json_time(acked),
                          "acked_by", json_str(store_col_text(st, 2)), "state", store_col_text(st, 3),
                          "ack_seconds", acked ? json_real((double)(acked - raised) / 1000.0) : json_null());
    }
    store_finalize(st);
    json_object_set_new(d, "alarm", alarm);
    return rc;
}

ws_err drill_json(store_conn *c, const auth_subject *s, int64_t id, int64_t alarm_rule, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = NULL;
    ws_err rc = store_prepare(c, Q_DRILL_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    json_t *d = !rc && row ? drill_row(st) : NULL;
    store_finalize(st);
    if (!rc && !d) rc = ws_fail(WS_ENOTFOUND, "id", "no such drill");
    if (!rc && s) {
        auth_resource r = {0};
        r.unit_path = json_string_value(json_object_get(d, "unit_path"));
        rc = auth_decide(s, "taskforce.read", &r);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such drill");
    }
    if (!rc) rc = measure(c, d, alarm_rule);
    /* next to the earlier drills of the same scenario */
    json_t *earlier = json_array();
    int64_t ids[20];
    int n = 0;
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_DRILL_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, s ? s->scope_path : "/");
    if (!rc) rc = store_bind_text(st, 2, json_string_value(json_object_get(d, "scenario")));
    if (!rc) rc = store_bind_int(st, 3, 21);
    while (!rc && n < 20 && !(rc = store_step(st, &row)) && row)
        if (store_col_int(st, 0) < id) ids[n++] = store_col_int(st, 0);
    store_finalize(st);
    for (int i = 0; !rc && i < n; i++) {
        json_t *e = NULL;
        st = NULL;
        rc = store_prepare(c, Q_DRILL_GET, &st);
        if (!rc) rc = store_bind_int(st, 1, ids[i]);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) e = drill_row(st);
        store_finalize(st);
        if (!rc && e) rc = measure(c, e, alarm_rule);
        if (!rc && e) {
            json_t *alarm = json_object_get(e, "alarm");
            json_array_append_new(earlier, json_pack("{s:O, s:O, s:O, s:O, s:O, s:o}", "id", json_object_get(e, "id"),
                                                     "started_at", json_object_get(e, "started_at"), "total_seconds",
                                                     json_object_get(e, "total_seconds"), "median_task_seconds",
                                                     json_object_get(e, "median_task_seconds"), "state",
                                                     json_object_get(e, "state"), "ack_seconds",
                                                     json_is_object(alarm) ? json_incref(json_object_get(alarm, "ack_seconds"))
                                                                           : json_null()));
        }
        json_decref(e);
    }
    if (rc) {
        json_decref(earlier);
        json_decref(d);
        return rc;
    }
    json_object_set_new(d, "earlier", earlier);
    *out = d;
    return WS_OK;
}

ws_err drill_list(store_conn *c, const char *scope, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    ws_err rc = store_prepare(c, Q_DRILL_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, scope ? scope : "/");
    if (!rc) rc = store_bind_text(st, 2, "");
    if (!rc) rc = store_bind_int(st, 3, 200);
    while (!rc && !(rc = store_step(st, &row)) && row) json_array_append_new(*items, drill_row(st));
    store_finalize(st);
    return rc;
}

ws_err drill_scenarios_json(store_conn *c, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    ws_err rc = store_prepare(c, Q_DRILL_SCENARIOS, &st);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(*items, json_pack("{s:s, s:s, s:s, s:i}", "key", store_col_text(st, 0), "title",
                                                store_col_text(st, 1), "description", store_col_text(st, 2),
                                                "alarm_level", (int)store_col_int(st, 3)));
    store_finalize(st);
    return rc;
}

ws_err drill_of_closed_task(store_conn *c, int64_t task_id, int64_t *drill_id, int64_t *unit_id, int *alarm_level)
{
    store_stmt *st = NULL;
    bool row = false;
    *drill_id = *unit_id = 0;
    *alarm_level = 0;
    ws_err rc = store_prepare(c, Q_DRILL_OF_CLOSED_TASK, &st);
    if (!rc) rc = store_bind_int(st, 1, task_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *drill_id = store_col_int(st, 0);
        *unit_id = store_col_int(st, 1);
        *alarm_level = (int)store_col_int(st, 2);
    }
    store_finalize(st);
    return rc;
}
