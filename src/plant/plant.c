/* plant.c — what the plant registers share (plant_int.h): the audited
 * entities, permission and audit helpers, text checks, generic row readers
 * and keyset lists, the parameters kept as data, and the timer that joins
 * the bypass and calibration halves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plant/plant_int.h"
#include "store/q_plant.h"

/* ------------------------------------------------------- audited entities */

static const audit_col shift_cols[] = {
    {"id", AC_INT},         {"unit_id", AC_INT}, {"name", AC_TEXT},       {"start_min", AC_INT},
    {"length_min", AC_INT}, {"active", AC_INT},  {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col roster_cols[] = {
    {"id", AC_INT},        {"unit_id", AC_INT}, {"day", AC_TEXT},       {"shift_id", AC_INT},
    {"person_id", AC_INT}, {"role", AC_TEXT},   {"created_at", AC_INT},
    {"crew_id", AC_INT}, /* migration 34; NULL (left out of the leaf) for one person's entry */
};
static const audit_col crew_cols[] = {
    {"id", AC_INT},         {"unit_id", AC_INT},    {"name", AC_TEXT},      {"members", AC_TEXT},
    {"active", AC_INT},     {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col equipment_cols[] = {
    {"id", AC_INT},        {"unit_id", AC_INT},   {"code", AC_TEXT},       {"name", AC_TEXT},
    {"kind", AC_TEXT},     {"device_id", AC_INT}, {"status", AC_TEXT},     {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col workorder_cols[] = {
    {"id", AC_INT},           {"unit_id", AC_INT},      {"equipment_id", AC_INT},
    {"device_id", AC_INT},    {"kind", AC_TEXT},        {"title", AC_TEXT},
    {"description", AC_TEXT}, {"state", AC_TEXT},       {"due_at", AC_INT},
    {"assignee_person_id", AC_INT}, {"source_kind", AC_TEXT}, {"source_id", AC_INT},
    {"source_ref", AC_TEXT},  {"created_by", AC_TEXT},  {"closed_at", AC_INT},
    {"closed_by", AC_TEXT},   {"close_note", AC_TEXT},  {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col bypass_cols[] = {
    {"id", AC_INT},           {"unit_id", AC_INT},       {"point_id", AC_INT},
    {"equipment_id", AC_INT}, {"interlock", AC_TEXT},    {"reason", AC_TEXT},
    {"measures", AC_TEXT},    {"requested_by_person_id", AC_INT},
    {"approver_person_id", AC_INT}, {"state", AC_TEXT},  {"expires_at", AC_INT},
    {"requested_at", AC_INT}, {"approved_at", AC_INT},   {"activated_at", AC_INT},
    {"expired_at", AC_INT},   {"closed_at", AC_INT},     {"closed_by", AC_TEXT},
    {"extensions", AC_INT},   {"created_at", AC_INT},    {"updated_at", AC_INT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity PLANT_ENTITY_SHIFT = {"shift", "shifts", shift_cols, NCOLS(shift_cols)};
const audit_entity PLANT_ENTITY_ROSTER = {"roster_entry", "roster_entries", roster_cols,
                                          NCOLS(roster_cols)};
const audit_entity PLANT_ENTITY_EQUIPMENT = {"equipment", "equipment", equipment_cols,
                                             NCOLS(equipment_cols)};
const audit_entity PLANT_ENTITY_WORKORDER = {"work_order", "work_orders", workorder_cols,
                                             NCOLS(workorder_cols)};
const audit_entity PLANT_ENTITY_BYPASS = {"bypass", "bypasses", bypass_cols, NCOLS(bypass_cols)};
const audit_entity PLANT_ENTITY_CREW = {"crew", "crews", crew_cols, NCOLS(crew_cols)};

static plant_tz_fn tz_fn;

ws_err plant_init(plant_tz_fn tz)
{
    static bool done;
    if (tz) tz_fn = tz;
    if (done) return WS_OK;
    const audit_entity *all[] = {&PLANT_ENTITY_SHIFT, &PLANT_ENTITY_ROSTER, &PLANT_ENTITY_EQUIPMENT,
                                 &PLANT_ENTITY_WORKORDER, &PLANT_ENTITY_BYPASS, &PLANT_ENTITY_CREW};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

ws_err plant_tz_offset(const char *tz, int64_t ms, int *minutes)
{
    if (!tz_fn)
        return ws_fail(WS_EINTERNAL, NULL, "plant_init was not given a time-zone function");
    *minutes = tz_fn(tz, ms);
    return WS_OK;
}

/* ---------------------------------------------------------------- helpers */

void plant_copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

ws_err plant_allow(const org_caller *by, const char *action, const char *path)
{
    return org_allow(by, action, path);
}

ws_err plant_leaf(store_conn *c, const org_caller *by, const audit_entity *e, int64_t id,
                  const char *action)
{
    audit_actor sys = {"system"};
    return audit_record(c, by && by->actor ? by->actor : &sys, e, id, action, NULL);
}

const char *plant_actor(const org_caller *by)
{
    return by && by->actor && by->actor->name ? by->actor->name : "system";
}

ws_err plant_text(const char *s, const char *field, size_t max, bool required, bool multiline)
{
    return org_check_free_text(s, field, max, required, multiline);
}

ws_err plant_filter_one_of(const char *s, const char *const *set, const char *param)
{
    if (!s || plant_one_of(s, set)) return WS_OK;
    char list[160] = "";
    for (size_t i = 0; set[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", set[i]);
    return ws_fail(WS_EINVAL, param, "%s is one of %s", param, list);
}

bool plant_one_of(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (!strcmp(s, *set)) return true;
    return false;
}

ws_err plant_row_unit(store_conn *c, const org_caller *by, const char *action, int64_t unit_id,
                      const char *field, org_unit *u)
{
    ws_err rc = unit_id > 0 ? org_unit_get(c, unit_id, u) : WS_ENOTFOUND;
    if (!rc) rc = plant_allow(by, action, u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, field, "no such unit");
    if (rc) return rc;
    if (!u->active) return ws_fail(WS_ECONFLICT, field, "the unit is deactivated");
    if (u->enterprise_id <= 0)
        return ws_fail(WS_EINVAL, field, "plant records sit in an enterprise or below it");
    return WS_OK;
}

ws_err plant_person_check(store_conn *c, int64_t person_id, int64_t enterprise_id,
                          const char *field)
{
    org_person p;
    ws_err rc = person_id > 0 ? org_person_get(c, person_id, &p) : WS_ENOTFOUND;
    if (rc == WS_ENOTFOUND || (!rc && p.enterprise_id != enterprise_id))
        return ws_fail(WS_EINVAL, field, "no such person in this enterprise (%s)", field);
    if (rc) return rc;
    if (!p.active) return ws_fail(WS_EINVAL, field, "the person (%s) has left", field);
    return WS_OK;
}

ws_err plant_run(store_stmt *st, int64_t *id, const char *field)
{
    bool row = false;
    ws_err rc = store_step(st, &row);
    if (rc == WS_ECONFLICT) return ws_fail(WS_ECONFLICT, field, "%s is already used", field);
    if (!rc && id) {
        if (!row) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
        else *id = store_col_int(st, 0);
    }
    return rc;
}

ws_err plant_int_of(store_conn *c, const char *sql, int64_t a, int64_t b, int64_t *v,
                    bool *found)
{
    store_stmt *st = NULL;
    bool row = false;
    *v = 0;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_int(st, 1, a);
    if (!rc && b >= 0) rc = store_bind_int(st, 2, b);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row && !store_col_null(st, 0)) *v = store_col_int(st, 0);
    if (found) *found = row && !rc;
    store_finalize(st);
    return rc;
}

ws_err plant_get_one(store_conn *c, const char *sql, int64_t id, plant_row_fn rd, void *out,
                     const char *what)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) rd(st, out);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such %s", what);
    return rc;
}

ws_err plant_list_run(store_conn *c, const char *sql, const plant_filter *f,
                      const plant_bind *extra, int nextra, plant_row_fn rd, size_t size,
                      void **items, size_t *n, int64_t *next)
{
    *items = NULL;
    *n = 0;
    *next = 0;
    int limit = f->limit >= 1 && f->limit <= 200 ? f->limit : 50;
    char *buf = calloc((size_t)limit + 1, size);
    if (!buf) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_text(st, 1, f->scope_path ? f->scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, f->unit_id);
    if (!rc) rc = store_bind_int(st, 3, f->cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    for (int i = 0; !rc && i < nextra; i++)
        rc = extra[i].is_text ? store_bind_text(st, 5 + i, extra[i].s)
                              : store_bind_int(st, 5 + i, extra[i].i);
    size_t k = 0;
    while (!rc && k < (size_t)limit + 1 && !(rc = store_step(st, &row)) && row)
        rd(st, buf + size * k++);
    store_finalize(st);
    if (rc) {
        free(buf);
        return rc;
    }
    if (k > (size_t)limit) {
        k = (size_t)limit;
        *next = *(int64_t *)(void *)(buf + size * (k - 1)); /* id is each struct's first member */
    }
    *items = buf;
    *n = k;
    return WS_OK;
}

ws_err plant_param(store_conn *c, const char *name, int64_t dflt, int64_t *value)
{
    store_stmt *st = NULL;
    bool row = false;
    *value = dflt;
    ws_err rc = store_prepare(c, Q_PLANT_PARAM, &st);
    if (!rc) rc = store_bind_text(st, 1, name);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *value = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

/* ------------------------------------------------------------------ timer */

ws_err plant_tick(store_conn *c, int64_t now_ms, plant_tick_out *out)
{
    plant_tick_out local;
    if (!out) out = &local;
    memset(out, 0, sizeof *out);
    ws_err rc = plant_bypass_expire(c, now_ms, out);
    ws_err rc2 = plant_calibration_open(c, now_ms, out);
    return rc ? rc : rc2;
}
