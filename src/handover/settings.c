/* settings.c — 交接班要求: per-unit handover settings (handover_settings,
 * migration 33; audited entity "handover_setting", row id = the unit's id).
 * A unit may be required to hand over in the system (then 交接班未交 applies
 * whether or not it used the record lately) and may have its own wait before
 * 交接班超时未接 and its own early window; a unit without a row has the
 * defaults of handover.h. Read by the timer and the figures through their
 * own queries (COALESCE with the defaults), written only here. */
#include <string.h>

#include "handover/handover.h"
#include "store/q_handover.h"

static const audit_col cols[] = {
    {"id", AC_INT}, {"required", AC_INT}, {"wait_min", AC_INT}, {"early_min", AC_INT}, {"updated_at", AC_INT},
};
const audit_entity HANDOVER_SETTING_ENTITY = {"handover_setting", "handover_settings", cols,
                                              (int)(sizeof cols / sizeof cols[0])};

static ws_err unit_of(store_conn *c, const org_caller *by, const char *action, int64_t unit_id, org_unit *u)
{
    ws_err rc = unit_id > 0 ? org_unit_get(c, unit_id, u) : WS_ENOTFOUND;
    if (!rc) rc = org_allow(by, action, u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    return rc;
}

ws_err handover_settings_get(store_conn *c, const org_caller *by, int64_t unit_id, handover_settings *s)
{
    org_unit u;
    *s = (handover_settings){.unit_id = unit_id, .wait_min = HANDOVER_WAIT_MIN, .early_min = HANDOVER_EARLY_MIN};
    ws_err rc = unit_of(c, by, "plant.read", unit_id, &u);
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_HANDOVER_SETTINGS_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, unit_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        s->stored = true;
        s->required = store_col_int(st, 0) != 0;
        s->wait_min = (int)store_col_int(st, 1);
        s->early_min = (int)store_col_int(st, 2);
        s->updated_at = store_col_int(st, 3);
    }
    store_finalize(st);
    return rc;
}

ws_err handover_settings_put(store_conn *c, const org_caller *by, const handover_settings *in)
{
    org_unit u;
    if (in->wait_min < HANDOVER_WAIT_LO || in->wait_min > HANDOVER_WAIT_HI)
        return ws_fail(WS_EINVAL, "wait_min", "wait_min is %d..%d minutes", HANDOVER_WAIT_LO, HANDOVER_WAIT_HI);
    if (in->early_min < 0 || in->early_min > HANDOVER_EARLY_HI)
        return ws_fail(WS_EINVAL, "early_min", "early_min is 0..%d minutes", HANDOVER_EARLY_HI);
    ws_err rc = unit_of(c, by, "plant.write", in->unit_id, &u);
    if (rc) return rc;
    if (in->required && (!u.active || u.enterprise_id <= 0))
        return ws_fail(WS_EINVAL, "required", "only an active unit inside an enterprise hands over");
    bool own = false, row = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_HANDOVER_SETTINGS_PUT, &st);
    if (!rc) rc = store_bind_int(st, 1, in->unit_id);
    if (!rc) rc = store_bind_int(st, 2, in->required ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 3, in->wait_min);
    if (!rc) rc = store_bind_int(st, 4, in->early_min);
    if (!rc) rc = store_bind_int(st, 5, org_now(by));
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    static const audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &HANDOVER_SETTING_ENTITY, in->unit_id, "set", NULL);
    return store_tx_finish(c, own, rc);
}
