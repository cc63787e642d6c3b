/* equipment.c — the minimal equipment register and its work orders, and the
 * calibration half of the timer (plant.h invariants 3 and 4).
 *
 * Work order lifecycle (plant_workorder_act; anything else is WS_ECONFLICT
 * naming "state" with the current state in the message):
 *
 *              start                done (note)
 *     open ------------> in_progress ------------> done
 *       |                    |
 *       | cancel (note)      | cancel (note)
 *       +--------------------+-----------------> cancelled
 *
 * done and cancelled are closed: closed_at, closed_by (the actor) and the
 * note are set and the order no longer changes. Orders opened by the engine
 * (source alarm or rule) are deduplicated while open; calibration orders
 * (source "calibration", source_id the device, source_ref its due date) are
 * opened by plant_tick once per device and due date — closing one does not
 * bring it back; a new due date on the device (after calibration) does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "plant/plant_int.h"
#include "store/q_plant.h"

#define DAY_MS 86400000LL

static const char *const statuses[] = {"in_service", "out_of_service", NULL};
static const char *const wo_kinds[] = {"corrective", "preventive", "calibration", NULL};
static const char *const wo_states[] = {"open", "in_progress", "done", "cancelled", NULL};
static const char *const wo_sources[] = {"manual", "alarm", "rule", "calibration", NULL};

/* A code: ASCII letters, digits and _ . : / -, 1..max bytes. */
static bool ident_valid(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == ':' || ch == '/' || ch == '-'))
            return false;
    }
    return true;
}

/* The unit and enterprise of a device or point (sql), WS_EINVAL naming field
 * when none. */
static ws_err ref_unit(store_conn *c, const char *sql, int64_t id, const char *field,
                       int64_t *unit_id, int64_t *enterprise_id)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *unit_id = store_col_int(st, 0);
        *enterprise_id = store_col_opt_int(st, 1);
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_EINVAL, field, "no such %s", field);
    return rc;
}

/* ---------------------------------------------------------------- equipment */

static void equipment_row(store_stmt *st, void *out)
{
    plant_equipment *e = out;
    memset(e, 0, sizeof *e);
    e->id = store_col_int(st, 0);
    e->unit_id = store_col_int(st, 1);
    plant_copy(e->code, sizeof e->code, store_col_text(st, 2));
    plant_copy(e->name, sizeof e->name, store_col_text(st, 3));
    plant_copy(e->kind, sizeof e->kind, store_col_text(st, 4));
    e->device_id = store_col_opt_int(st, 5);
    plant_copy(e->status, sizeof e->status, store_col_text(st, 6));
    e->created_at = store_col_int(st, 7);
    e->updated_at = store_col_int(st, 8);
    plant_copy(e->unit_path, sizeof e->unit_path, store_col_text(st, 9));
}

ws_err plant_equipment_get(store_conn *c, int64_t id, plant_equipment *e)
{
    return plant_get_one(c, Q_EQUIPMENT_GET, id, equipment_row, e, "equipment");
}

ws_err plant_equipment_list(store_conn *c, const plant_filter *f, plant_equipment **items,
                            size_t *n, int64_t *next)
{
    plant_bind x[] = {PB_TEXT(f->kind), PB_TEXT(f->status), PB_INT(f->device_id), PB_TEXT(f->q)};
    ws_err rc = plant_filter_one_of(f->status, statuses, "status");
    if (rc) return rc;
    return plant_list_run(c, Q_EQUIPMENT_LIST, f, x, 4, equipment_row, sizeof **items,
                          (void **)items, n, next);
}

ws_err plant_equipment_of_device(store_conn *c, int64_t device_id, int64_t *id)
{
    return plant_int_of(c, Q_EQUIPMENT_OF_DEVICE, device_id, -1, id, NULL);
}

static ws_err equipment_fields(const plant_equipment_in *in, unsigned set, plant_equipment *e)
{
    ws_err rc;
    if (set & PLANT_EQ_CODE) {
        if (!ident_valid(in->code, PLANT_CODE_MAX))
            return ws_fail(WS_EINVAL, "code", "code must be 1 to %d ASCII letters, digits or _ . : / -",
                           PLANT_CODE_MAX);
        plant_copy(e->code, sizeof e->code, in->code);
    }
    if (set & PLANT_EQ_NAME) {
        if ((rc = plant_text(in->name, "name", PLANT_NAME_MAX, true, false))) return rc;
        plant_copy(e->name, sizeof e->name, in->name);
    }
    if (set & PLANT_EQ_KIND) {
        if ((rc = plant_text(in->kind, "kind", PLANT_KIND_MAX, true, false))) return rc;
        plant_copy(e->kind, sizeof e->kind, in->kind);
    }
    if (set & PLANT_EQ_STATUS) {
        const char *s = in->status && *in->status ? in->status : "in_service";
        if (!plant_one_of(s, statuses))
            return ws_fail(WS_EINVAL, "status", "status must be in_service or out_of_service");
        plant_copy(e->status, sizeof e->status, s);
    }
    if (set & PLANT_EQ_UNIT) e->unit_id = in->unit_id;
    if (set & PLANT_EQ_DEVICE) e->device_id = in->device_id > 0 ? in->device_id : 0;
    return WS_OK;
}

/* The code is free, the device in the enterprise. */
static ws_err equipment_refs(store_conn *c, const plant_equipment *e, int64_t enterprise_id)
{
    int64_t other = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_EQUIPMENT_BY_CODE, &st);
    if (!rc) rc = store_bind_text(st, 1, e->code);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) other = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && other && other != e->id)
        return ws_fail(WS_ECONFLICT, "code", "equipment code %s is already used", e->code);
    if (!rc && e->device_id > 0) {
        int64_t du = 0, de = 0;
        rc = ref_unit(c, Q_PLANT_DEVICE_UNIT, e->device_id, "device_id", &du, &de);
        if (!rc && de != enterprise_id)
            rc = ws_fail(WS_EINVAL, "device_id", "no such device in this enterprise (device_id)");
    }
    return rc;
}

static ws_err equipment_write(store_conn *c, const plant_equipment *e, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    int k = insert ? 0 : 1;
    ws_err rc = store_prepare(c, insert ? Q_EQUIPMENT_INSERT : Q_EQUIPMENT_UPDATE, &st);
    if (!rc && !insert) rc = store_bind_int(st, 1, e->id);
    if (!rc) rc = store_bind_int(st, k + 1, e->unit_id);
    if (!rc) rc = store_bind_text(st, k + 2, e->code);
    if (!rc) rc = store_bind_text(st, k + 3, e->name);
    if (!rc) rc = store_bind_text(st, k + 4, e->kind);
    if (!rc) rc = store_bind_opt_int(st, k + 5, e->device_id);
    if (!rc) rc = store_bind_text(st, k + 6, e->status);
    if (!rc) rc = store_bind_int(st, k + 7, clock_now_ms());
    if (!rc) rc = plant_run(st, insert ? id : NULL, "code");
    store_finalize(st);
    return rc;
}

ws_err plant_equipment_create(store_conn *c, const org_caller *by, const plant_equipment_in *in,
                              int64_t *id)
{
    org_unit u;
    plant_equipment e = {0};
    bool own = false;
    ws_err rc = equipment_fields(in, ~0u, &e);
    if (!rc) rc = plant_row_unit(c, by, "plant.write", in->unit_id, "unit_id", &u);
    if (!rc) rc = equipment_refs(c, &e, u.enterprise_id);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = equipment_write(c, &e, true, id);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_EQUIPMENT, *id, "create");
    return store_tx_finish(c, own, rc);
}

ws_err plant_equipment_update(store_conn *c, const org_caller *by, int64_t id,
                              const plant_equipment_in *in)
{
    plant_equipment e;
    org_unit u;
    bool own = false;
    ws_err rc = plant_equipment_get(c, id, &e);
    if (!rc) rc = plant_allow(by, "plant.write", e.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such equipment");
    if (!rc) rc = equipment_fields(in, in->set, &e);
    if (rc) return rc;
    rc = (in->set & PLANT_EQ_UNIT) ? plant_row_unit(c, by, "plant.write", e.unit_id, "unit_id", &u)
                                   : org_unit_get(c, e.unit_id, &u);
    if (!rc) rc = equipment_refs(c, &e, u.enterprise_id);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = equipment_write(c, &e, false, NULL);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_EQUIPMENT, id, "update");
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------------ work orders */

static void workorder_row(store_stmt *st, void *out)
{
    plant_workorder *w = out;
    memset(w, 0, sizeof *w);
    w->id = store_col_int(st, 0);
    w->unit_id = store_col_int(st, 1);
    w->equipment_id = store_col_opt_int(st, 2);
    w->device_id = store_col_opt_int(st, 3);
    plant_copy(w->kind, sizeof w->kind, store_col_text(st, 4));
    plant_copy(w->title, sizeof w->title, store_col_text(st, 5));
    plant_copy(w->description, sizeof w->description, store_col_text(st, 6));
    plant_copy(w->state, sizeof w->state, store_col_text(st, 7));
    w->due_at = store_col_opt_int(st, 8);
    w->assignee_person_id = store_col_opt_int(st, 9);
    plant_copy(w->source_kind, sizeof w->source_kind, store_col_text(st, 10));
    w->source_id = store_col_opt_int(st, 11);
    plant_copy(w->source_ref, sizeof w->source_ref, store_col_text(st, 12));
    plant_copy(w->created_by, sizeof w->created_by, store_col_text(st, 13));
    w->closed_at = store_col_opt_int(st, 14);
    plant_copy(w->closed_by, sizeof w->closed_by, store_col_text(st, 15));
    plant_copy(w->close_note, sizeof w->close_note, store_col_text(st, 16));
    w->created_at = store_col_int(st, 17);
    w->updated_at = store_col_int(st, 18);
    plant_copy(w->unit_path, sizeof w->unit_path, store_col_text(st, 19));
}

ws_err plant_workorder_get(store_conn *c, int64_t id, plant_workorder *w)
{
    return plant_get_one(c, Q_WORKORDER_GET, id, workorder_row, w, "work order");
}

ws_err plant_workorder_list(store_conn *c, const plant_filter *f, plant_workorder **items,
                            size_t *n, int64_t *next)
{
    plant_bind x[] = {PB_TEXT(f->state), PB_TEXT(f->kind), PB_INT(f->equipment_id),
                      PB_INT(f->device_id), PB_INT(f->person_id), PB_TEXT(f->source_kind)};
    ws_err rc = plant_filter_one_of(f->state, wo_states, "state");
    if (!rc) rc = plant_filter_one_of(f->kind, wo_kinds, "kind");
    if (!rc) rc = plant_filter_one_of(f->source_kind, wo_sources, "source");
    if (rc) return rc;
    return plant_list_run(c, Q_WORKORDER_LIST, f, x, 6, workorder_row, sizeof **items,
                          (void **)items, n, next);
}

ws_err plant_device_last_calibrated(store_conn *c, int64_t device_id, int64_t *at_ms)
{
    return plant_int_of(c, Q_CALIBRATION_LAST, device_id, -1, at_ms, NULL);
}

/* Title, description, due, assignee of in per set into w. */
static ws_err workorder_fields(store_conn *c, const plant_workorder_in *in, unsigned set,
                               int64_t enterprise_id, plant_workorder *w)
{
    ws_err rc;
    if (set & PLANT_WO_TITLE) {
        if ((rc = plant_text(in->title, "title", PLANT_NAME_MAX, true, false))) return rc;
        plant_copy(w->title, sizeof w->title, in->title);
    }
    if (set & PLANT_WO_DESC) {
        if ((rc = plant_text(in->description, "description", PLANT_TEXT_MAX, false, true))) return rc;
        plant_copy(w->description, sizeof w->description, in->description);
    }
    if (set & PLANT_WO_DUE) {
        if (in->due_at < 0) return ws_fail(WS_EINVAL, "due_at", "due_at must be a time");
        w->due_at = in->due_at;
    }
    if (set & PLANT_WO_ASSIGNEE) {
        if (in->assignee_person_id > 0 &&
            (rc = plant_person_check(c, in->assignee_person_id, enterprise_id, "assignee_person_id")))
            return rc;
        w->assignee_person_id = in->assignee_person_id > 0 ? in->assignee_person_id : 0;
    }
    return WS_OK;
}

static ws_err workorder_write(store_conn *c, const plant_workorder *w)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_WORKORDER_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, w->id);
    if (!rc) rc = store_bind_text(st, 2, w->title);
    if (!rc) rc = store_bind_opt_text(st, 3, w->description);
    if (!rc) rc = store_bind_opt_int(st, 4, w->due_at);
    if (!rc) rc = store_bind_opt_int(st, 5, w->assignee_person_id);
    if (!rc) rc = store_bind_text(st, 6, w->state);
    if (!rc) rc = store_bind_opt_int(st, 7, w->closed_at);
    if (!rc) rc = store_bind_opt_text(st, 8, w->closed_by);
    if (!rc) rc = store_bind_opt_text(st, 9, w->close_note);
    if (!rc) rc = store_bind_int(st, 10, clock_now_ms());
    if (!rc) rc = plant_run(st, NULL, "id");
    store_finalize(st);
    return rc;
}

/* Insert w (unit, refs, kind, source set) as open; audit leaf. In a tx. */
static ws_err workorder_insert(store_conn *c, const org_caller *by, const plant_workorder *w,
                               int64_t *id)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_WORKORDER_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, w->unit_id);
    if (!rc) rc = store_bind_opt_int(st, 2, w->equipment_id);
    if (!rc) rc = store_bind_opt_int(st, 3, w->device_id);
    if (!rc) rc = store_bind_text(st, 4, w->kind);
    if (!rc) rc = store_bind_text(st, 5, w->title);
    if (!rc) rc = store_bind_opt_text(st, 6, w->description);
    if (!rc) rc = store_bind_opt_int(st, 7, w->due_at);
    if (!rc) rc = store_bind_opt_int(st, 8, w->assignee_person_id);
    if (!rc) rc = store_bind_text(st, 9, w->source_kind);
    if (!rc) rc = store_bind_opt_int(st, 10, w->source_id);
    if (!rc) rc = store_bind_opt_text(st, 11, w->source_ref);
    if (!rc) rc = store_bind_text(st, 12, plant_actor(by));
    if (!rc) rc = store_bind_int(st, 13, org_now(by)); /* the demo records a past one (by->at_ms) */
    if (!rc) rc = plant_run(st, id, "id");
    store_finalize(st);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_WORKORDER, *id, "create");
    return rc;
}

ws_err plant_workorder_open(store_conn *c, const org_caller *by, const plant_workorder_in *in,
                            int64_t *id, bool *created)
{
    plant_workorder w;
    org_unit u;
    bool own = false;
    int64_t ent = 0;
    ws_err rc = WS_OK;
    if (created) *created = false;
    memset(&w, 0, sizeof w);
    /* What it is for: equipment, else a device; the order sits on its unit. */
    if (in->equipment_id > 0) {
        plant_equipment e;
        rc = plant_equipment_get(c, in->equipment_id, &e);
        if (rc == WS_ENOTFOUND) return ws_fail(WS_EINVAL, "equipment_id", "no such equipment");
        if (rc) return rc;
        w.equipment_id = e.id;
        w.unit_id = e.unit_id;
        w.device_id = e.device_id;
    }
    if (in->device_id > 0) {
        int64_t du = 0;
        if ((rc = ref_unit(c, Q_PLANT_DEVICE_UNIT, in->device_id, "device_id", &du, &ent))) return rc;
        if (w.equipment_id && w.device_id && w.device_id != in->device_id)
            return ws_fail(WS_EINVAL, "device_id", "the equipment is linked to another device");
        w.device_id = in->device_id;
        if (!w.unit_id) w.unit_id = du;
    }
    if (!w.unit_id)
        return ws_fail(WS_EINVAL, "equipment_id", "a work order is for equipment (equipment_id) or a device (device_id)");
    rc = plant_row_unit(c, by, "plant.write", w.unit_id, "equipment_id", &u);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, in->equipment_id > 0 ? "equipment_id" : "device_id", "no such equipment");
    if (rc) return rc;
    if (in->device_id > 0 && ent != u.enterprise_id)
        return ws_fail(WS_EINVAL, "device_id", "no such device in this enterprise (device_id)");
    const char *kind = in->kind && *in->kind ? in->kind : "corrective";
    if (!plant_one_of(kind, wo_kinds))
        return ws_fail(WS_EINVAL, "kind", "kind must be corrective, preventive or calibration");
    plant_copy(w.kind, sizeof w.kind, kind);
    const char *src = in->source_kind && *in->source_kind ? in->source_kind : "manual";
    if (strcmp(src, "manual") && strcmp(src, "alarm") && strcmp(src, "rule"))
        return ws_fail(WS_EINVAL, "source_kind", "source_kind must be manual, alarm or rule");
    if (strcmp(src, "manual") && in->source_id <= 0)
        return ws_fail(WS_EINVAL, "source_id", "an %s source needs its id (source_id)", src);
    plant_copy(w.source_kind, sizeof w.source_kind, src);
    w.source_id = strcmp(src, "manual") ? in->source_id : 0;
    rc = workorder_fields(c, in, PLANT_WO_TITLE | PLANT_WO_DESC | PLANT_WO_DUE | PLANT_WO_ASSIGNEE,
                          u.enterprise_id, &w);
    if (rc) return rc;
    if ((rc = store_tx_join(c, &own))) return rc;
    if (w.source_id) { /* one open order per (equipment or device, kind, source) */
        bool found = false;
        store_stmt *st = NULL;
        rc = store_prepare(c, Q_WORKORDER_OPEN_DUP, &st);
        if (!rc) rc = store_bind_int(st, 1, w.equipment_id);
        if (!rc) rc = store_bind_int(st, 2, w.device_id);
        if (!rc) rc = store_bind_text(st, 3, w.kind);
        if (!rc) rc = store_bind_text(st, 4, w.source_kind);
        if (!rc) rc = store_bind_int(st, 5, w.source_id);
        if (!rc) rc = store_step(st, &found);
        if (!rc && found) *id = store_col_int(st, 0);
        store_finalize(st);
        if (!rc && found) return store_tx_finish(c, own, WS_OK);
    }
    if (!rc) rc = workorder_insert(c, by, &w, id);
    if (!rc && created) *created = true;
    return store_tx_finish(c, own, rc);
}

static bool closed(const plant_workorder *w)
{
    return !strcmp(w->state, "done") || !strcmp(w->state, "cancelled");
}

/* The order for a write by by: exists, in scope, plant.write. */
static ws_err workorder_for_write(store_conn *c, const org_caller *by, int64_t id,
                                  plant_workorder *w)
{
    ws_err rc = plant_workorder_get(c, id, w);
    if (!rc) rc = plant_allow(by, "plant.write", w->unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such work order");
    return rc;
}

ws_err plant_workorder_update(store_conn *c, const org_caller *by, int64_t id,
                              const plant_workorder_in *in)
{
    plant_workorder w;
    org_unit u;
    bool own = false;
    ws_err rc = workorder_for_write(c, by, id, &w);
    if (!rc && closed(&w))
        rc = ws_fail(WS_ECONFLICT, "state", "the work order is %s and no longer changes", w.state);
    if (!rc) rc = org_unit_get(c, w.unit_id, &u);
    if (!rc) rc = workorder_fields(c, in, in->set, u.enterprise_id, &w);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = workorder_write(c, &w);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_WORKORDER, id, "update");
    return store_tx_finish(c, own, rc);
}

ws_err plant_workorder_act(store_conn *c, const org_caller *by, int64_t id, const char *action,
                           const char *note)
{
    plant_workorder w;
    bool own = false;
    ws_err rc = workorder_for_write(c, by, id, &w);
    if (rc) return rc;
    const char *to = NULL;
    bool open = !strcmp(w.state, "open"), going = !strcmp(w.state, "in_progress");
    if (!action) action = "";
    if (!strcmp(action, "start") && open) to = "in_progress";
    else if (!strcmp(action, "done") && going) to = "done";
    else if (!strcmp(action, "cancel") && (open || going)) to = "cancelled";
    else if (strcmp(action, "start") && strcmp(action, "done") && strcmp(action, "cancel"))
        return ws_fail(WS_ENOTFOUND, "action", "no such action (start, done, cancel)");
    if (!to)
        return ws_fail(WS_ECONFLICT, "state", "a work order in state %s cannot %s", w.state, action);
    if (strcmp(to, "in_progress")) {
        if ((rc = plant_text(note, "note", PLANT_TEXT_MAX, true, true))) return rc;
        w.closed_at = clock_now_ms();
        plant_copy(w.closed_by, sizeof w.closed_by, plant_actor(by));
        plant_copy(w.close_note, sizeof w.close_note, note);
    }
    plant_copy(w.state, sizeof w.state, to);
    if ((rc = store_tx_join(c, &own))) return rc;
    rc = workorder_write(c, &w);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_WORKORDER, id, action);
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------------ calibration */

#define CAL_BATCH 64

typedef struct cal_due {
    int64_t device_id, unit_id, equipment_id;
    char code[PLANT_CODE_MAX + 1], name[PLANT_NAME_MAX + 1], due[11], tz[ORG_TZ_MAX + 1];
} cal_due;

ws_err plant_calibration_open(store_conn *c, int64_t now_ms, plant_tick_out *out)
{
    int64_t lead = 7, today_utc = now_ms / DAY_MS;
    ws_err rc = plant_param(c, "calibration_lead_days", 7, &lead);
    if (rc) return rc;
    if (lead < 0) lead = 0;
    if (lead > 366) lead = 366;
    /* Candidates by UTC day + 1 (no zone is a day ahead of UTC); exact per
     * zone below. */
    char last[11];
    plant_date_format(today_utc + lead + 1, last);
    cal_due *due = calloc(CAL_BATCH, sizeof *due);
    if (!due) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    size_t n = 0;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_CALIBRATION_DUE, &st);
    if (!rc) rc = store_bind_text(st, 1, last);
    if (!rc) rc = store_bind_int(st, 2, CAL_BATCH);
    while (!rc && n < CAL_BATCH && !(rc = store_step(st, &row)) && row) {
        cal_due *d = &due[n++];
        d->device_id = store_col_int(st, 0);
        d->unit_id = store_col_int(st, 1);
        plant_copy(d->code, sizeof d->code, store_col_text(st, 2));
        plant_copy(d->name, sizeof d->name, store_col_text(st, 3));
        plant_copy(d->due, sizeof d->due, store_col_text(st, 4));
        plant_copy(d->tz, sizeof d->tz, store_col_text(st, 5));
        d->equipment_id = store_col_opt_int(st, 6);
    }
    store_finalize(st);
    for (size_t i = 0; !rc && i < n; i++) {
        const cal_due *d = &due[i];
        int64_t today = 0, dday = 0, due_at = 0, id = 0;
        if (!plant_date_parse(d->due, &dday)) continue; /* the register checks dates; skip junk */
        rc = plant_local_day(d->tz, now_ms, &today);
        if (rc || dday > today + lead) continue;
        /* Due at the end of the due day in the unit's zone. */
        if ((rc = plant_local_to_utc(d->tz, dday + 1, 0, &due_at))) break;
        plant_workorder w;
        memset(&w, 0, sizeof w);
        w.unit_id = d->unit_id;
        w.equipment_id = d->equipment_id;
        w.device_id = d->device_id;
        plant_copy(w.kind, sizeof w.kind, "calibration");
        snprintf(w.title, sizeof w.title, "检定/校准 %.63s %.100s (到期 %s)", d->code, d->name, d->due);
        w.due_at = due_at;
        plant_copy(w.source_kind, sizeof w.source_kind, "calibration");
        w.source_id = d->device_id;
        plant_copy(w.source_ref, sizeof w.source_ref, d->due);
        bool own = false;
        if ((rc = store_tx_join(c, &own))) break;
        rc = workorder_insert(c, NULL, &w, &id);
        rc = store_tx_finish(c, own, rc);
        if (!rc) out->calibration_opened++;
    }
    free(due);
    return rc;
}
