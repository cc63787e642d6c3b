/* timer.c — SLA deadlines of workflow instances: workflow_tick().
 *
 * An instance entering a state with an SLA gets due_at (now + seconds, or
 * the time in the state's due_field, e.g. a hazard's rectification
 * deadline). A tick finds instances whose due_at has passed and takes one
 * step of the state's escalation chain each:
 *
 *   due_at passed ─► step k < n: timeline "escalation" {level k+1, target
 *                    resolved at the instance's unit, was_due}; escalations
 *                    = k+1; due_at += every_seconds (none after the last)
 *                 ─► no chain:    timeline "overdue" once; due_at = none
 *
 * Targets: a role at the unit (recorded with the unit; the notification
 * issue resolves the accounts), the nearest unit leader at or above the
 * unit, the same from the parent unit up, or the person in a field of the
 * data (e.g. the assignee). Each instance moves in its own transaction with
 * its audit leaves; a concurrent fire wins (the UPDATE checks state and
 * escalations) and the tick skips that instance. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "store/q_workflow.h"
#include "workflow/wf_int.h"

#define TICK_BATCH 500

/* The nearest unit at or above unit_id with a leader. */
static ws_err leader_from(store_conn *c, int64_t unit_id, bool skip_self, int64_t *unit_out,
                          int64_t *person_out)
{
    *unit_out = 0;
    *person_out = 0;
    int64_t u = unit_id;
    for (int depth = 0; u > 0 && depth < 64; depth++) {
        store_stmt *st = NULL;
        bool row = false;
        int64_t parent = 0, leader = 0;
        ws_err rc = store_prepare(c, Q_WF_UNIT, &st);
        if (!rc) rc = store_bind_int(st, 1, u);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) {
            parent = store_col_null(st, 1) ? 0 : store_col_int(st, 1);
            leader = store_col_null(st, 2) ? 0 : store_col_int(st, 2);
        }
        store_finalize(st);
        if (rc) return rc;
        if (!row) return WS_OK;
        if (!(skip_self && depth == 0) && leader > 0) {
            *unit_out = u;
            *person_out = leader;
            return WS_OK;
        }
        u = parent;
    }
    return WS_OK;
}

static const char *role_name(unsigned bit)
{
    static const char *const names[] = {"admin", "manager", "safety_officer", "dept_head",
                                        "grid_leader", "worker", "regulator"};
    for (int i = 0; i < 7; i++)
        if (bit == (1u << i)) return names[i];
    return "?";
}

/* The resolved target as JSON (new reference). */
static ws_err resolve(store_conn *c, const wf_target *t, const wf_instance *in, json_t **out)
{
    json_t *o = json_object();
    int64_t unit = 0, person = 0;
    ws_err rc = WS_OK;
    switch (t->kind) {
    case WF_TGT_ROLE:
        json_object_set_new(o, "kind", json_str("role"));
        json_object_set_new(o, "role", json_str(role_name(t->role)));
        json_object_set_new(o, "unit_id", json_id(in->unit_id));
        break;
    case WF_TGT_UNIT_LEADER:
    case WF_TGT_PARENT_LEADER:
        rc = leader_from(c, in->unit_id, t->kind == WF_TGT_PARENT_LEADER, &unit, &person);
        json_object_set_new(o, "kind", json_str(t->kind == WF_TGT_UNIT_LEADER ? "unit_leader"
                                                                              : "parent_unit_leader"));
        json_object_set_new(o, "unit_id", json_id(unit));
        json_object_set_new(o, "person_id", json_id(person));
        break;
    case WF_TGT_PERSON_FIELD: {
        json_int_t p = json_integer_value(json_object_get(in->data, t->field));
        json_object_set_new(o, "kind", json_str("person_field"));
        json_object_set_new(o, "field", json_str(t->field));
        json_object_set_new(o, "person_id", json_id(p));
        break;
    }
    }
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

/* One step for instance id; *did set when it escalated. */
static ws_err step(store_conn *c, int64_t id, int64_t now, bool *did)
{
    static const audit_actor sys = {"system"};
    wf_instance in;
    wf_def *d = NULL;
    bool own = false, loaded = false;
    json_t *det = NULL;
    *did = false;
    ws_err rc = wf_tx_begin(c, &own);
    if (!rc) rc = workflow_instance_get(c, id, &in);
    if (rc) goto out;
    loaded = true;
    if (!in.due_at || in.due_at > now) goto out; /* moved meanwhile */
    rc = wf_def_load(c, in.key, in.version, &d, NULL);
    if (rc) goto out;
    const wf_state *s = wf_def_state(d, in.state);
    if (!s) {
        rc = ws_fail(WS_ECORRUPT, NULL, "instance %lld is in unknown state %s", (long long)id, in.state);
        goto out;
    }
    int k = in.escalations;
    int64_t next = 0;
    const char *kind = "escalation";
    det = json_object();
    json_object_set_new(det, "was_due", json_time(in.due_at));
    if (k < s->nesc) {
        json_t *tgt = NULL;
        rc = resolve(c, &s->esc[k], &in, &tgt);
        if (rc) goto out;
        json_object_set_new(det, "level", json_integer(k + 1));
        json_object_set_new(det, "target", tgt);
        if (k + 1 < s->nesc) next = in.due_at + s->every_ms;
    } else {
        kind = "overdue";
    }
    store_stmt *st = NULL;
    bool row;
    rc = store_prepare(c, Q_WF_INST_ESCALATE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_opt_int(st, 2, next);
    if (!rc) rc = store_bind_int(st, 3, k + 1);
    if (!rc) rc = store_bind_int(st, 4, now);
    if (!rc) rc = store_bind_int(st, 5, k);
    if (!rc) rc = store_bind_text(st, 6, in.state);
    if (!rc) rc = store_step(st, &row);
    bool changed = !rc && store_changes(st) == 1;
    store_finalize(st);
    if (rc || !changed) goto out;
    rc = audit_record(c, &sys, &WF_ENTITY_INSTANCE, id, "update", NULL);
    if (!rc) rc = wf_event(c, &sys, id, now, kind, NULL, in.state, NULL, det);
    if (!rc) *did = true;
out:
    rc = wf_tx_end(c, own, rc);
    json_decref(det);
    if (loaded) workflow_instance_free(&in);
    wf_def_release(d);
    return rc;
}

ws_err workflow_tick(store_conn *c, int64_t now, int *escalated)
{
    int64_t ids[TICK_BATCH];
    int n = 0, done = 0;
    if (escalated) *escalated = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_WF_INST_DUE, &st);
    if (!rc) rc = store_bind_int(st, 1, now);
    if (!rc) rc = store_bind_int(st, 2, TICK_BATCH);
    while (!rc && n < TICK_BATCH && !(rc = store_step(st, &row)) && row)
        ids[n++] = store_col_int(st, 0);
    store_finalize(st);
    for (int i = 0; !rc && i < n; i++) {
        bool did = false;
        rc = step(c, ids[i], now, &did);
        done += did;
    }
    if (escalated) *escalated = done;
    return rc;
}
