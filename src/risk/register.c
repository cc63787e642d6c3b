/* register.c — the risk register: risk objects, risk units, risk events,
 * control measures and inspection tasks (risk.h has the shape and the
 * invariants), with their audited entities.
 *
 * Every write: permission (risk.write on the object's org unit; outside the
 * scope WS_ENOTFOUND), field checks naming the field, the row, and its leaf,
 * in one transaction (the caller's when one is open). Parents must be
 * active to take a new child. Levels of units and objects are not stored:
 * the reading queries take MAX(residual_rank) over the active events below,
 * so a child's change is visible in its parents at once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "risk/risk_int.h"
#include "store/q_risk.h"

/* ------------------------------------------------------- audited entities */

static const audit_col ruleset_cols[] = {
    {"id", AC_INT},         {"code", AC_TEXT},    {"version", AC_INT},
    {"name", AC_TEXT},      {"source", AC_TEXT},  {"edition", AC_TEXT},
    {"effective_on", AC_TEXT}, {"profile", AC_TEXT}, {"tables", AC_TEXT},
    {"active", AC_INT},     {"created_at", AC_INT},
};
static const audit_col object_cols[] = {
    {"id", AC_INT},          {"unit_id", AC_INT},      {"kind", AC_TEXT},
    {"code", AC_TEXT},       {"name", AC_TEXT},        {"description", AC_TEXT},
    {"responsible_person_id", AC_INT}, {"major_hazard", AC_INT},
    {"mh_principal_person_id", AC_INT}, {"mh_technical_person_id", AC_INT},
    {"mh_operational_person_id", AC_INT}, {"active", AC_INT},
    {"created_at", AC_INT},  {"updated_at", AC_INT},
};
static const audit_col unit_cols[] = {
    {"id", AC_INT},     {"object_id", AC_INT}, {"name", AC_TEXT},
    {"description", AC_TEXT}, {"responsible_person_id", AC_INT}, {"active", AC_INT},
    {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col event_cols[] = {
    {"id", AC_INT},            {"risk_unit_id", AC_INT},   {"description", AC_TEXT},
    {"accident_type", AC_TEXT}, {"method", AC_TEXT},       {"rule_set_id", AC_INT},
    {"inherent_l", AC_REAL},   {"inherent_e", AC_REAL},    {"inherent_c", AC_REAL},
    {"inherent_s", AC_REAL},   {"inherent_score", AC_REAL}, {"inherent_level", AC_TEXT},
    {"residual_l", AC_REAL},   {"residual_e", AC_REAL},    {"residual_c", AC_REAL},
    {"residual_s", AC_REAL},   {"residual_score", AC_REAL}, {"residual_level", AC_TEXT},
    {"residual_rank", AC_INT}, {"active", AC_INT},         {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col measure_cols[] = {
    {"id", AC_INT},     {"event_id", AC_INT},   {"category", AC_TEXT}, {"content", AC_TEXT},
    {"active", AC_INT}, {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col task_cols[] = {
    {"id", AC_INT},          {"measure_id", AC_INT}, {"what", AC_TEXT},
    {"frequency", AC_TEXT},  {"every_hours", AC_INT}, {"post_id", AC_INT},
    {"grid_unit_id", AC_INT}, {"active", AC_INT},    {"created_at", AC_INT},
    {"updated_at", AC_INT},
};

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity RISK_ENTITY_RULE_SET = {"risk_rule_set", "risk_rule_sets", ruleset_cols,
                                           NCOLS(ruleset_cols)};
const audit_entity RISK_ENTITY_OBJECT = {"risk_object", "risk_objects", object_cols,
                                         NCOLS(object_cols)};
const audit_entity RISK_ENTITY_UNIT = {"risk_unit", "risk_units", unit_cols, NCOLS(unit_cols)};
const audit_entity RISK_ENTITY_EVENT = {"risk_event", "risk_events", event_cols,
                                        NCOLS(event_cols)};
const audit_entity RISK_ENTITY_MEASURE = {"risk_measure", "risk_measures", measure_cols,
                                          NCOLS(measure_cols)};
const audit_entity RISK_ENTITY_TASK = {"risk_task", "risk_tasks", task_cols, NCOLS(task_cols)};

ws_err risk_init(void)
{
    static bool done;
    if (done) return WS_OK;
    const audit_entity *all[] = {&RISK_ENTITY_RULE_SET, &RISK_ENTITY_OBJECT, &RISK_ENTITY_UNIT,
                                 &RISK_ENTITY_EVENT,    &RISK_ENTITY_MEASURE, &RISK_ENTITY_TASK};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

/* ---------------------------------------------------------------- helpers */

void risk_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

ws_err risk_tx_end(store_conn *c, bool own, ws_err rc) { return store_tx_finish(c, own, rc); }

static ws_err tx_begin(store_conn *c, bool *own) { return store_tx_join(c, own); }

static ws_err allow(const org_caller *by, const char *path)
{
    return org_allow(by, "risk.write", path);
}

static ws_err leaf(store_conn *c, const org_caller *by, const audit_entity *e, int64_t id,
                   const char *action)
{
    audit_actor sys = {"system"};
    return audit_record(c, by && by->actor ? by->actor : &sys, e, id, action, NULL);
}

/* Text of at most max bytes, valid UTF-8, no control characters (line
 * breaks allowed when multiline); required: not empty or blank. */
static ws_err check_text(const char *s, const char *field, size_t max, bool required,
                         bool multiline)
{
    size_t n = s ? strlen(s) : 0;
    bool blank = true;
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s must not contain control characters", field);
        if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') blank = false;
    }
    if (n && !org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not valid UTF-8", field);
    if (required && blank) return ws_fail(WS_EINVAL, field, "%s must not be empty", field);
    return WS_OK;
}

static bool one_of(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (!strcmp(s, *set)) return true;
    return false;
}

static const char *const object_kinds[] = {"installation", "unit", "process", "activity", NULL};
static const char *const categories[] = {"engineering", "management", "training", "ppe",
                                         "emergency", NULL};
static const char *const frequencies[] = {"daily", "weekly", "monthly", "hours", NULL};

/* A person who is active and works in enterprise_id (what names field). */
static ws_err check_person(store_conn *c, int64_t id, int64_t enterprise_id, const char *field,
                           const char *what, bool required)
{
    if (id <= 0) {
        if (!required) return WS_OK;
        return ws_fail(WS_EINVAL, field, "%s (%s) is required", what, field);
    }
    org_person p;
    ws_err rc = org_person_get(c, id, &p);
    if (rc == WS_ENOTFOUND || (!rc && p.enterprise_id != enterprise_id))
        return ws_fail(WS_EINVAL, field, "no such person in this enterprise (%s)", field);
    if (rc) return rc;
    if (!p.active) return ws_fail(WS_EINVAL, field, "%s has left (%s)", what, field);
    return WS_OK;
}

/* Step a prepared write; *id gets the RETURNING id when asked for. */
static ws_err run(store_stmt *st, int64_t *id)
{
    bool row = false;
    ws_err rc = store_step(st, &row);
    if (!rc && id) {
        if (!row) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
        else *id = store_col_int(st, 0);
    }
    return rc;
}

/* Read one row of sql bound to id with reader into out; WS_ENOTFOUND naming
 * field when there is none. */
typedef void (*row_reader)(store_stmt *st, void *out);
static ws_err get_one(store_conn *c, const char *sql, int64_t id, row_reader rd, void *out,
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

static ws_err list_run(store_conn *c, const char *sql, const risk_filter *f, row_reader rd,
                       size_t size, void **items, size_t *n, int64_t *next)
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
    if (!rc) rc = store_bind_int(st, 2, f->parent_id);
    if (!rc) rc = store_bind_text(st, 3, f->kind ? f->kind : "");
    if (!rc) rc = store_bind_int(st, 4, f->active);
    if (!rc) rc = store_bind_int(st, 5, f->cursor);
    if (!rc) rc = store_bind_int(st, 6, limit + 1);
    size_t k = 0;
    while (!rc && !(rc = store_step(st, &row)) && row && k < (size_t)limit + 1)
        rd(st, buf + size * k++);
    store_finalize(st);
    if (rc) {
        free(buf);
        return rc;
    }
    if (k > (size_t)limit) {
        k = (size_t)limit;
        *next = *(int64_t *)(void *)(buf + size * (k - 1)); /* id is every struct's first member */
    }
    *items = buf;
    *n = k;
    return WS_OK;
}

/* ---------------------------------------------------------------- objects */

static void object_row(store_stmt *st, void *out)
{
    risk_object *o = out;
    memset(o, 0, sizeof *o);
    o->id = store_col_int(st, 0);
    o->unit_id = store_col_int(st, 1);
    risk_copy(o->kind, sizeof o->kind, store_col_text(st, 2));
    risk_copy(o->code, sizeof o->code, store_col_text(st, 3));
    risk_copy(o->name, sizeof o->name, store_col_text(st, 4));
    risk_copy(o->description, sizeof o->description, store_col_text(st, 5));
    o->responsible_person_id = store_col_int(st, 6);
    o->major_hazard = store_col_int(st, 7) != 0;
    o->mh_principal_person_id = store_col_int(st, 8);
    o->mh_technical_person_id = store_col_int(st, 9);
    o->mh_operational_person_id = store_col_int(st, 10);
    o->active = store_col_int(st, 11) != 0;
    o->created_at = store_col_int(st, 12);
    o->updated_at = store_col_int(st, 13);
    risk_copy(o->unit_path, sizeof o->unit_path, store_col_text(st, 14));
    o->level_rank = (int)store_col_int(st, 15);
    o->nunits = store_col_int(st, 16);
}

ws_err risk_object_get(store_conn *c, int64_t id, risk_object *o)
{
    return get_one(c, Q_RISK_OBJECT_GET, id, object_row, o, "risk object");
}

ws_err risk_object_list(store_conn *c, const risk_filter *f, risk_object **items, size_t *n,
                        int64_t *next)
{
    if (f->kind && !one_of(f->kind, object_kinds)) /* an unknown kind is an error, not an empty list */
        return ws_fail(WS_EINVAL, "kind", "kind is installation, unit, process or activity");
    return list_run(c, Q_RISK_OBJECT_LIST, f, object_row, sizeof **items, (void **)items, n,
                    next);
}

/* The org unit an object sits on: exists, in the caller's write scope,
 * active, inside an enterprise. */
static ws_err object_unit(store_conn *c, const org_caller *by, int64_t unit_id, org_unit *u)
{
    ws_err rc = org_unit_get(c, unit_id, u);
    if (!rc) rc = allow(by, u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (rc) return rc;
    if (!u->active) return ws_fail(WS_ECONFLICT, "unit_id", "the unit is deactivated");
    if (u->enterprise_id <= 0)
        return ws_fail(WS_EINVAL, "unit_id", "a risk object sits in an enterprise or below it");
    return WS_OK;
}

/* The whole object as it will be stored: every rule of the shape. */
static ws_err check_object(store_conn *c, const risk_object *o, int64_t enterprise_id)
{
    ws_err rc;
    if (!one_of(o->kind, object_kinds))
        return ws_fail(WS_EINVAL, "kind", "kind must be installation, unit, process or activity");
    if ((rc = check_text(o->code, "code", RISK_CODE_MAX, false, false)) ||
        (rc = check_text(o->name, "name", RISK_NAME_MAX, true, false)) ||
        (rc = check_text(o->description, "description", RISK_TEXT_MAX, false, true)) ||
        (rc = check_person(c, o->responsible_person_id, enterprise_id, "responsible_person_id",
                           "责任人", true)))
        return rc;
    /* 《危险化学品企业重大危险源安全包保责任制办法(试行)》: three named persons. */
    if ((rc = check_person(c, o->mh_principal_person_id, enterprise_id,
                           "mh_principal_person_id", "重大危险源主要负责人", o->major_hazard)) ||
        (rc = check_person(c, o->mh_technical_person_id, enterprise_id,
                           "mh_technical_person_id", "重大危险源技术负责人", o->major_hazard)) ||
        (rc = check_person(c, o->mh_operational_person_id, enterprise_id,
                           "mh_operational_person_id", "重大危险源操作负责人", o->major_hazard)))
        return rc;
    return WS_OK;
}

static ws_err object_write(store_conn *c, const risk_object *o, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    int k = insert ? 0 : 1;
    ws_err rc = store_prepare(c, insert ? Q_RISK_OBJECT_INSERT : Q_RISK_OBJECT_UPDATE, &st);
    if (!rc && !insert) rc = store_bind_int(st, 1, o->id);
    if (!rc) rc = store_bind_int(st, k + 1, o->unit_id);
    if (!rc) rc = store_bind_text(st, k + 2, o->kind);
    if (!rc) rc = store_bind_opt_text(st, k + 3, o->code);
    if (!rc) rc = store_bind_text(st, k + 4, o->name);
    if (!rc) rc = store_bind_opt_text(st, k + 5, o->description);
    if (!rc) rc = store_bind_int(st, k + 6, o->responsible_person_id);
    if (!rc) rc = store_bind_int(st, k + 7, o->major_hazard);
    if (!rc) rc = store_bind_opt_int(st, k + 8, o->mh_principal_person_id);
    if (!rc) rc = store_bind_opt_int(st, k + 9, o->mh_technical_person_id);
    if (!rc) rc = store_bind_opt_int(st, k + 10, o->mh_operational_person_id);
    if (!rc && !insert) rc = store_bind_int(st, 12, o->active);
    if (!rc) rc = store_bind_int(st, insert ? 11 : 13, clock_now_ms());
    if (!rc) rc = run(st, insert ? id : NULL);
    store_finalize(st);
    return rc;
}

static void object_apply(risk_object *o, const risk_object_in *in, unsigned set)
{
    if (set & RISK_SET_UNIT) o->unit_id = in->unit_id;
    if (set & RISK_SET_KIND) risk_copy(o->kind, sizeof o->kind, in->kind);
    if (set & RISK_SET_CODE) risk_copy(o->code, sizeof o->code, in->code);
    if (set & RISK_SET_NAME) risk_copy(o->name, sizeof o->name, in->name);
    if (set & RISK_SET_DESC) risk_copy(o->description, sizeof o->description, in->description);
    if (set & RISK_SET_RESP) o->responsible_person_id = in->responsible_person_id;
    if (set & RISK_SET_MH) o->major_hazard = in->major_hazard;
    if (set & RISK_SET_MH_PRINCIPAL) o->mh_principal_person_id = in->mh_principal_person_id;
    if (set & RISK_SET_MH_TECHNICAL) o->mh_technical_person_id = in->mh_technical_person_id;
    if (set & RISK_SET_MH_OPERATIONAL) o->mh_operational_person_id = in->mh_operational_person_id;
    if (set & RISK_SET_ACTIVE) o->active = in->active;
}

/* Fixed arrays: strings longer than they hold are refused before copying. */
static ws_err object_lengths(const risk_object_in *in, unsigned set)
{
    ws_err rc = WS_OK;
    if ((set & RISK_SET_KIND) && in->kind && strlen(in->kind) >= 16)
        rc = ws_fail(WS_EINVAL, "kind", "kind must be installation, unit, process or activity");
    if (!rc && (set & RISK_SET_CODE)) rc = check_text(in->code, "code", RISK_CODE_MAX, false, false);
    if (!rc && (set & RISK_SET_NAME)) rc = check_text(in->name, "name", RISK_NAME_MAX, false, false);
    if (!rc && (set & RISK_SET_DESC))
        rc = check_text(in->description, "description", RISK_TEXT_MAX, false, true);
    return rc;
}

ws_err risk_object_create(store_conn *c, const org_caller *by, const risk_object_in *in,
                          int64_t *id)
{
    org_unit u;
    risk_object o = {0};
    bool own = false;
    ws_err rc = object_lengths(in, ~0u);
    if (!rc) rc = object_unit(c, by, in->unit_id, &u);
    if (rc) return rc;
    object_apply(&o, in, ~0u & ~(unsigned)RISK_SET_ACTIVE);
    o.active = true;
    if (!o.major_hazard) /* the three persons belong to major hazards only */
        o.mh_principal_person_id = o.mh_technical_person_id = o.mh_operational_person_id = 0;
    rc = check_object(c, &o, u.enterprise_id);
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = object_write(c, &o, true, id);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_OBJECT, *id, "create");
    return risk_tx_end(c, own, rc);
}

ws_err risk_object_update(store_conn *c, const org_caller *by, int64_t id,
                          const risk_object_in *in)
{
    risk_object o = {0};
    org_unit u;
    bool own = false;
    ws_err rc = object_lengths(in, in->set);
    if (!rc) rc = risk_object_get(c, id, &o);
    if (!rc) rc = allow(by, o.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such risk object");
    if (rc) return rc;
    object_apply(&o, in, in->set);
    if (!o.major_hazard && (in->set & RISK_SET_MH))
        o.mh_principal_person_id = o.mh_technical_person_id = o.mh_operational_person_id = 0;
    rc = (in->set & RISK_SET_UNIT) ? object_unit(c, by, o.unit_id, &u) : org_unit_get(c, o.unit_id, &u);
    if (!rc) rc = check_object(c, &o, u.enterprise_id);
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = object_write(c, &o, false, NULL);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_OBJECT, id, "update");
    return risk_tx_end(c, own, rc);
}

/* ------------------------------------------------------------------ units */

static void unit_row(store_stmt *st, void *out)
{
    risk_unit *u = out;
    memset(u, 0, sizeof *u);
    u->id = store_col_int(st, 0);
    u->object_id = store_col_int(st, 1);
    risk_copy(u->name, sizeof u->name, store_col_text(st, 2));
    risk_copy(u->description, sizeof u->description, store_col_text(st, 3));
    u->responsible_person_id = store_col_int(st, 4);
    u->active = store_col_int(st, 5) != 0;
    u->created_at = store_col_int(st, 6);
    u->updated_at = store_col_int(st, 7);
    risk_copy(u->unit_path, sizeof u->unit_path, store_col_text(st, 8));
    u->level_rank = (int)store_col_int(st, 9);
    u->nevents = store_col_int(st, 10);
}

ws_err risk_unit_get(store_conn *c, int64_t id, risk_unit *u)
{
    return get_one(c, Q_RISK_UNIT_GET, id, unit_row, u, "risk unit");
}

ws_err risk_unit_list(store_conn *c, const risk_filter *f, risk_unit **items, size_t *n,
                      int64_t *next)
{
    return list_run(c, Q_RISK_UNIT_LIST, f, unit_row, sizeof **items, (void **)items, n, next);
}

/* The enterprise of an object (for its people and posts). */
static ws_err object_enterprise(store_conn *c, const risk_object *o, int64_t *ent)
{
    org_unit u;
    ws_err rc = org_unit_get(c, o->unit_id, &u);
    *ent = rc ? 0 : u.enterprise_id;
    return rc;
}

/* A parent for a new child: readable and writable by the caller, active. */
static ws_err parent_ok(const org_caller *by, ws_err rc, const char *path, bool active,
                        const char *field, const char *what)
{
    if (!rc) rc = allow(by, path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, field, "no such %s", what);
    if (rc) return rc;
    if (!active) return ws_fail(WS_ECONFLICT, field, "the %s is deactivated", what);
    return WS_OK;
}

static ws_err unit_write(store_conn *c, const risk_unit *u, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, insert ? Q_RISK_UNIT_INSERT : Q_RISK_UNIT_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, insert ? u->object_id : u->id);
    if (!rc) rc = store_bind_text(st, 2, u->name);
    if (!rc) rc = store_bind_opt_text(st, 3, u->description);
    if (!rc) rc = store_bind_int(st, 4, u->responsible_person_id);
    if (!rc && !insert) rc = store_bind_int(st, 5, u->active);
    if (!rc) rc = store_bind_int(st, insert ? 5 : 6, clock_now_ms());
    if (!rc) rc = run(st, insert ? id : NULL);
    store_finalize(st);
    return rc;
}

static ws_err unit_common(store_conn *c, const risk_object *o, const risk_unit *u)
{
    int64_t ent = 0;
    ws_err rc = check_text(u->name, "name", RISK_NAME_MAX, true, false);
    if (!rc) rc = check_text(u->description, "description", RISK_TEXT_MAX, false, true);
    if (!rc) rc = object_enterprise(c, o, &ent);
    if (!rc) rc = check_person(c, u->responsible_person_id, ent, "responsible_person_id", "责任人",
                               true);
    return rc;
}

static ws_err unit_lengths(const risk_unit_in *in, unsigned set)
{
    ws_err rc = WS_OK;
    if (set & RISK_SET_NAME) rc = check_text(in->name, "name", RISK_NAME_MAX, false, false);
    if (!rc && (set & RISK_SET_DESC))
        rc = check_text(in->description, "description", RISK_TEXT_MAX, false, true);
    return rc;
}

ws_err risk_unit_create(store_conn *c, const org_caller *by, const risk_unit_in *in, int64_t *id)
{
    risk_object o = {0};
    risk_unit u = {0};
    bool own = false;
    ws_err rc = unit_lengths(in, ~0u);
    if (rc) return rc;
    rc = risk_object_get(c, in->object_id, &o);
    rc = parent_ok(by, rc, o.unit_path, o.active, "object_id", "risk object");
    if (rc) return rc;
    u.object_id = o.id;
    risk_copy(u.name, sizeof u.name, in->name);
    risk_copy(u.description, sizeof u.description, in->description);
    u.responsible_person_id = in->responsible_person_id;
    rc = unit_common(c, &o, &u);
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = unit_write(c, &u, true, id);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_UNIT, *id, "create");
    return risk_tx_end(c, own, rc);
}

ws_err risk_unit_update(store_conn *c, const org_caller *by, int64_t id, const risk_unit_in *in)
{
    risk_unit u = {0};
    risk_object o = {0};
    bool own = false;
    ws_err rc = unit_lengths(in, in->set);
    if (!rc) rc = risk_unit_get(c, id, &u);
    if (!rc) rc = allow(by, u.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such risk unit");
    if (rc) return rc;
    if (in->set & RISK_SET_NAME) risk_copy(u.name, sizeof u.name, in->name);
    if (in->set & RISK_SET_DESC) risk_copy(u.description, sizeof u.description, in->description);
    if (in->set & RISK_SET_RESP) u.responsible_person_id = in->responsible_person_id;
    if (in->set & RISK_SET_ACTIVE) u.active = in->active;
    rc = risk_object_get(c, u.object_id, &o);
    if (!rc) rc = unit_common(c, &o, &u);
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = unit_write(c, &u, false, NULL);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_UNIT, id, "update");
    return risk_tx_end(c, own, rc);
}

/* ----------------------------------------------------------------- events */

static void event_row(store_stmt *st, void *out)
{
    risk_event *e = out;
    memset(e, 0, sizeof *e);
    e->id = store_col_int(st, 0);
    e->risk_unit_id = store_col_int(st, 1);
    e->object_id = store_col_int(st, 2);
    risk_copy(e->description, sizeof e->description, store_col_text(st, 3));
    risk_copy(e->accident_type, sizeof e->accident_type, store_col_text(st, 4));
    e->method = !strcmp(store_col_text(st, 5), "LS") ? RISK_LS : RISK_LEC;
    e->rule_set_id = store_col_int(st, 6);
    bool ls = e->method == RISK_LS;
    e->inherent.v[0] = store_col_opt_double(st, 7);
    e->inherent.v[1] = store_col_opt_double(st, ls ? 10 : 8);
    e->inherent.v[2] = ls ? NAN : store_col_opt_double(st, 9);
    e->inherent.score = store_col_double(st, 11);
    e->inherent.rank = risk_rank_of(store_col_text(st, 12));
    e->residual.v[0] = store_col_opt_double(st, 13);
    e->residual.v[1] = store_col_opt_double(st, ls ? 16 : 14);
    e->residual.v[2] = ls ? NAN : store_col_opt_double(st, 15);
    e->residual.score = store_col_double(st, 17);
    e->residual.rank = risk_rank_of(store_col_text(st, 18));
    e->active = store_col_int(st, 20) != 0;
    e->created_at = store_col_int(st, 21);
    e->updated_at = store_col_int(st, 22);
    risk_copy(e->unit_path, sizeof e->unit_path, store_col_text(st, 23));
}

ws_err risk_event_get(store_conn *c, int64_t id, risk_event *e)
{
    return get_one(c, Q_RISK_EVENT_GET, id, event_row, e, "risk event");
}

ws_err risk_event_list(store_conn *c, const risk_filter *f, risk_event **items, size_t *n,
                       int64_t *next)
{
    return list_run(c, Q_RISK_EVENT_LIST, f, event_row, sizeof **items, (void **)items, n, next);
}

/* Assess in->inherent and in->residual (or the inherent values again) with
 * the active rule set into e. */
static ws_err event_assess(store_conn *c, const risk_event_in *in, risk_event *e)
{
    risk_rules r;
    if (!in->method || (strcmp(in->method, "LEC") && strcmp(in->method, "LS")))
        return ws_fail(WS_EINVAL, "method", "method must be LEC or LS");
    e->method = !strcmp(in->method, "LS") ? RISK_LS : RISK_LEC;
    ws_err rc = risk_rules_active(c, &r);
    if (!rc) rc = risk_assess(&r, e->method, in->inherent, "inherent_", &e->inherent);
    if (!rc)
        rc = risk_assess(&r, e->method, in->has_residual ? in->residual : in->inherent,
                         in->has_residual ? "residual_" : "inherent_", &e->residual);
    e->rule_set_id = r.id;
    return rc;
}

static ws_err event_write(store_conn *c, const risk_event *e, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    int k = insert ? 0 : 1;
    bool ls = e->method == RISK_LS;
    const risk_assessment *a[2] = {&e->inherent, &e->residual};
    ws_err rc = store_prepare(c, insert ? Q_RISK_EVENT_INSERT : Q_RISK_EVENT_UPDATE, &st);
    if (!rc && !insert) rc = store_bind_int(st, 1, e->id);
    if (!rc) rc = store_bind_int(st, k + 1, e->risk_unit_id);
    if (!rc) rc = store_bind_text(st, k + 2, e->description);
    if (!rc) rc = store_bind_opt_text(st, k + 3, e->accident_type);
    if (!rc) rc = store_bind_text(st, k + 4, ls ? "LS" : "LEC");
    if (!rc) rc = store_bind_int(st, k + 5, e->rule_set_id);
    for (int i = 0; i < 2 && !rc; i++) {
        int b = k + 6 + i * 6; /* l, e, c, s, score, level */
        rc = store_bind_opt_double(st, b, a[i]->v[0]);
        if (!rc) rc = store_bind_opt_double(st, b + 1, ls ? NAN : a[i]->v[1]);
        if (!rc) rc = store_bind_opt_double(st, b + 2, ls ? NAN : a[i]->v[2]);
        if (!rc) rc = store_bind_opt_double(st, b + 3, ls ? a[i]->v[1] : NAN);
        if (!rc) rc = store_bind_double(st, b + 4, a[i]->score);
        if (!rc) rc = store_bind_text(st, b + 5, risk_level_of_rank(a[i]->rank).code);
    }
    if (!rc) rc = store_bind_int(st, k + 18, e->residual.rank);
    if (!rc && !insert) rc = store_bind_int(st, 20, e->active);
    if (!rc) rc = store_bind_int(st, insert ? 19 : 21, clock_now_ms());
    if (!rc) rc = run(st, insert ? id : NULL);
    store_finalize(st);
    return rc;
}

static ws_err event_fields(const risk_event_in *in, unsigned set)
{
    ws_err rc = WS_OK;
    if (set & RISK_SET_EV_DESC)
        rc = check_text(in->description, "description", RISK_TEXT_MAX, true, true);
    if (!rc && (set & RISK_SET_EV_TYPE) && in->accident_type && *in->accident_type &&
        !risk_accident_type(in->accident_type, NULL))
        rc = ws_fail(WS_EINVAL, "accident_type",
                     "accident_type must be a GB 6441 code from 01 to 20");
    return rc;
}

ws_err risk_event_create(store_conn *c, const org_caller *by, const risk_event_in *in,
                         int64_t *id)
{
    risk_unit u = {0};
    risk_event e = {0};
    bool own = false;
    ws_err rc = event_fields(in, ~0u);
    if (rc) return rc;
    rc = risk_unit_get(c, in->risk_unit_id, &u);
    rc = parent_ok(by, rc, u.unit_path, u.active, "risk_unit_id", "risk unit");
    if (rc) return rc;
    e.risk_unit_id = u.id;
    risk_copy(e.description, sizeof e.description, in->description);
    risk_copy(e.accident_type, sizeof e.accident_type, in->accident_type);
    e.active = true;
    rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = event_assess(c, in, &e);
    if (!rc) rc = event_write(c, &e, true, id);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_EVENT, *id, "create");
    return risk_tx_end(c, own, rc);
}

ws_err risk_event_update(store_conn *c, const org_caller *by, int64_t id, const risk_event_in *in)
{
    risk_event e = {0};
    bool own = false;
    ws_err rc = event_fields(in, in->set);
    if (!rc) rc = risk_event_get(c, id, &e);
    if (!rc) rc = allow(by, e.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such risk event");
    if (rc) return rc;
    if (in->set & RISK_SET_EV_DESC) risk_copy(e.description, sizeof e.description, in->description);
    if (in->set & RISK_SET_EV_TYPE)
        risk_copy(e.accident_type, sizeof e.accident_type, in->accident_type);
    if (in->set & RISK_SET_EV_ACTIVE) e.active = in->active;
    rc = tx_begin(c, &own);
    if (rc) return rc;
    if (in->set & RISK_SET_EV_ASSESS) rc = event_assess(c, in, &e);
    if (!rc) rc = event_write(c, &e, false, NULL);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_EVENT, id, "update");
    return risk_tx_end(c, own, rc);
}

/* --------------------------------------------------------------- measures */

static void measure_row(store_stmt *st, void *out)
{
    risk_measure *m = out;
    memset(m, 0, sizeof *m);
    m->id = store_col_int(st, 0);
    m->event_id = store_col_int(st, 1);
    risk_copy(m->category, sizeof m->category, store_col_text(st, 2));
    risk_copy(m->text, sizeof m->text, store_col_text(st, 3));
    m->active = store_col_int(st, 4) != 0;
    m->created_at = store_col_int(st, 5);
    m->updated_at = store_col_int(st, 6);
    risk_copy(m->unit_path, sizeof m->unit_path, store_col_text(st, 7));
}

ws_err risk_measure_get(store_conn *c, int64_t id, risk_measure *m)
{
    return get_one(c, Q_RISK_MEASURE_GET, id, measure_row, m, "control measure");
}

ws_err risk_measure_list(store_conn *c, const risk_filter *f, risk_measure **items, size_t *n,
                         int64_t *next)
{
    return list_run(c, Q_RISK_MEASURE_LIST, f, measure_row, sizeof **items, (void **)items, n,
                    next);
}

static ws_err measure_fields(const risk_measure_in *in, unsigned set)
{
    if ((set & RISK_SET_M_CATEGORY) && !one_of(in->category, categories))
        return ws_fail(WS_EINVAL, "category",
                       "category must be engineering, management, training, ppe or emergency");
    if (set & RISK_SET_M_TEXT) return check_text(in->text, "text", RISK_TEXT_MAX, true, true);
    return WS_OK;
}

static ws_err measure_write(store_conn *c, const risk_measure *m, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, insert ? Q_RISK_MEASURE_INSERT : Q_RISK_MEASURE_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, insert ? m->event_id : m->id);
    if (!rc) rc = store_bind_text(st, 2, m->category);
    if (!rc) rc = store_bind_text(st, 3, m->text);
    if (!rc && !insert) rc = store_bind_int(st, 4, m->active);
    if (!rc) rc = store_bind_int(st, insert ? 4 : 5, clock_now_ms());
    if (!rc) rc = run(st, insert ? id : NULL);
    store_finalize(st);
    return rc;
}

ws_err risk_measure_create(store_conn *c, const org_caller *by, const risk_measure_in *in,
                           int64_t *id)
{
    risk_event e = {0};
    risk_measure m = {0};
    bool own = false;
    ws_err rc = measure_fields(in, ~0u);
    if (rc) return rc;
    rc = risk_event_get(c, in->event_id, &e);
    rc = parent_ok(by, rc, e.unit_path, e.active, "event_id", "risk event");
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    m.event_id = e.id;
    risk_copy(m.category, sizeof m.category, in->category);
    risk_copy(m.text, sizeof m.text, in->text);
    rc = measure_write(c, &m, true, id);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_MEASURE, *id, "create");
    return risk_tx_end(c, own, rc);
}

ws_err risk_measure_update(store_conn *c, const org_caller *by, int64_t id,
                           const risk_measure_in *in)
{
    risk_measure m = {0};
    bool own = false;
    ws_err rc = measure_fields(in, in->set);
    if (!rc) rc = risk_measure_get(c, id, &m);
    if (!rc) rc = allow(by, m.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such control measure");
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    if (in->set & RISK_SET_M_CATEGORY) risk_copy(m.category, sizeof m.category, in->category);
    if (in->set & RISK_SET_M_TEXT) risk_copy(m.text, sizeof m.text, in->text);
    if (in->set & RISK_SET_M_ACTIVE) m.active = in->active;
    rc = measure_write(c, &m, false, NULL);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_MEASURE, id, "update");
    return risk_tx_end(c, own, rc);
}

/* ------------------------------------------------------------------ tasks */

static void task_row(store_stmt *st, void *out)
{
    risk_task *t = out;
    memset(t, 0, sizeof *t);
    t->id = store_col_int(st, 0);
    t->measure_id = store_col_int(st, 1);
    risk_copy(t->what, sizeof t->what, store_col_text(st, 2));
    risk_copy(t->frequency, sizeof t->frequency, store_col_text(st, 3));
    t->every_hours = store_col_int(st, 4);
    t->post_id = store_col_int(st, 5);
    t->grid_unit_id = store_col_int(st, 6);
    t->active = store_col_int(st, 7) != 0;
    t->created_at = store_col_int(st, 8);
    t->updated_at = store_col_int(st, 9);
    risk_copy(t->unit_path, sizeof t->unit_path, store_col_text(st, 10));
}

ws_err risk_task_get(store_conn *c, int64_t id, risk_task *t)
{
    return get_one(c, Q_RISK_TASK_GET, id, task_row, t, "inspection task");
}

ws_err risk_task_list(store_conn *c, const risk_filter *f, risk_task **items, size_t *n,
                      int64_t *next)
{
    return list_run(c, Q_RISK_TASK_LIST, f, task_row, sizeof **items, (void **)items, n, next);
}

/* The whole task as it will be stored. ent: the object's enterprise. */
static ws_err check_task(store_conn *c, const org_caller *by, const risk_task *t, int64_t ent)
{
    ws_err rc = check_text(t->what, "what", RISK_TEXT_MAX, true, true);
    if (rc) return rc;
    if (!one_of(t->frequency, frequencies))
        return ws_fail(WS_EINVAL, "frequency", "frequency must be daily, weekly, monthly or hours");
    if (!strcmp(t->frequency, "hours") && (t->every_hours < 1 || t->every_hours > 8760))
        return ws_fail(WS_EINVAL, "every_hours",
                       "every_hours (1..8760) is required when frequency is hours");
    if (strcmp(t->frequency, "hours") && t->every_hours)
        return ws_fail(WS_EINVAL, "every_hours", "every_hours goes with frequency hours only");
    if (!t->post_id && !t->grid_unit_id)
        return ws_fail(WS_EINVAL, "post_id", "a task names a post_id or a grid_unit_id");
    if (t->post_id) {
        org_post p;
        rc = org_post_get(c, t->post_id, &p);
        if (rc == WS_ENOTFOUND || (!rc && (p.enterprise_id != ent || !p.active)))
            return ws_fail(WS_EINVAL, "post_id", "no such post in this enterprise");
        if (rc) return rc;
    }
    if (t->grid_unit_id) {
        org_unit g;
        rc = org_unit_get(c, t->grid_unit_id, &g);
        if (!rc) rc = allow(by, g.path);
        if (rc == WS_ENOTFOUND || (!rc && (g.enterprise_id != ent || !g.active)))
            return ws_fail(WS_EINVAL, "grid_unit_id", "no such unit in this enterprise");
        if (rc) return rc;
    }
    return WS_OK;
}

static ws_err task_write(store_conn *c, const risk_task *t, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, insert ? Q_RISK_TASK_INSERT : Q_RISK_TASK_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, insert ? t->measure_id : t->id);
    if (!rc) rc = store_bind_text(st, 2, t->what);
    if (!rc) rc = store_bind_text(st, 3, t->frequency);
    if (!rc) rc = store_bind_opt_int(st, 4, t->every_hours);
    if (!rc) rc = store_bind_opt_int(st, 5, t->post_id);
    if (!rc) rc = store_bind_opt_int(st, 6, t->grid_unit_id);
    if (!rc && !insert) rc = store_bind_int(st, 7, t->active);
    if (!rc) rc = store_bind_int(st, insert ? 7 : 8, clock_now_ms());
    if (!rc) rc = run(st, insert ? id : NULL);
    store_finalize(st);
    return rc;
}

static ws_err task_lengths(const risk_task_in *in, unsigned set)
{
    if ((set & RISK_SET_T_WHAT) && in->what && strlen(in->what) > RISK_TEXT_MAX)
        return ws_fail(WS_EINVAL, "what", "what is longer than %d bytes", RISK_TEXT_MAX);
    if ((set & RISK_SET_T_FREQ) && !one_of(in->frequency, frequencies))
        return ws_fail(WS_EINVAL, "frequency", "frequency must be daily, weekly, monthly or hours");
    return WS_OK;
}

static void task_apply(risk_task *t, const risk_task_in *in, unsigned set)
{
    if (set & RISK_SET_T_WHAT) risk_copy(t->what, sizeof t->what, in->what);
    if (set & RISK_SET_T_FREQ) risk_copy(t->frequency, sizeof t->frequency, in->frequency);
    if (set & RISK_SET_T_HOURS) t->every_hours = in->every_hours;
    if (set & RISK_SET_T_POST) t->post_id = in->post_id;
    if (set & RISK_SET_T_GRID) t->grid_unit_id = in->grid_unit_id;
    if (set & RISK_SET_T_ACTIVE) t->active = in->active;
}

static ws_err task_enterprise(store_conn *c, const char *path, int64_t *ent)
{
    /* The path's enterprise: that of the object's unit (last id of the path). */
    const char *p = path + strlen(path);
    if (p > path) p--;
    while (p > path && p[-1] != '/') p--;
    org_unit u;
    ws_err rc = org_unit_get(c, strtoll(p, NULL, 10), &u);
    *ent = rc ? 0 : u.enterprise_id;
    return rc;
}

ws_err risk_task_create(store_conn *c, const org_caller *by, const risk_task_in *in, int64_t *id)
{
    risk_measure m = {0};
    risk_task t = {0};
    int64_t ent = 0;
    bool own = false;
    ws_err rc = task_lengths(in, ~0u);
    if (rc) return rc;
    rc = risk_measure_get(c, in->measure_id, &m);
    rc = parent_ok(by, rc, m.unit_path, m.active, "measure_id", "control measure");
    if (rc) return rc;
    t.measure_id = m.id;
    task_apply(&t, in, ~0u & ~(unsigned)RISK_SET_T_ACTIVE);
    t.active = true;
    rc = task_enterprise(c, m.unit_path, &ent);
    if (!rc) rc = check_task(c, by, &t, ent);
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = task_write(c, &t, true, id);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_TASK, *id, "create");
    return risk_tx_end(c, own, rc);
}

ws_err risk_task_update(store_conn *c, const org_caller *by, int64_t id, const risk_task_in *in)
{
    risk_task t;
    int64_t ent = 0;
    bool own = false;
    ws_err rc = task_lengths(in, in->set);
    if (!rc) rc = risk_task_get(c, id, &t);
    if (!rc) rc = allow(by, t.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such inspection task");
    if (rc) return rc;
    task_apply(&t, in, in->set);
    if ((in->set & RISK_SET_T_FREQ) && strcmp(t.frequency, "hours") && !(in->set & RISK_SET_T_HOURS))
        t.every_hours = 0;
    rc = task_enterprise(c, t.unit_path, &ent);
    if (!rc) rc = check_task(c, by, &t, ent);
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = task_write(c, &t, false, NULL);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_TASK, id, "update");
    return risk_tx_end(c, own, rc);
}
