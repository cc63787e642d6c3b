/* bypass.c — the register of interlock bypasses (联锁旁路): a safety
 * interlock of a point or a piece of equipment taken out of service for a
 * reason, with risk measures while it is out, an approver who is not the
 * requester, and an expiry (plant.h invariant 5).
 *
 *                approve              activate            restore
 *   requested ------------> approved ----------> active ----------> restored
 *       |                      |                  |  ^                 ^
 *       | cancel               | cancel     tick  |  | extend          |
 *       v                      v      (expires_at)v  | (new approval)  | restore
 *   cancelled              cancelled             expired --------------+
 *
 *   approve, extend: permission bypass.approve; the approver is a person of
 *     the enterprise other than the requester (approver_person_id, the
 *     caller's own person when the account has one).
 *   request, activate, restore, cancel: plant.write.
 *   expiry: expires_at after now and at most plant_params bypass_max_hours
 *     (72 by default) after the request, approval or extension that set it;
 *     a longer bypass needs a new approval (extend) before it runs out.
 *   tick: an active bypass past expires_at becomes expired (audit leaf) and
 *     is handed to the engine, which raises "联锁旁路超期"; an expired bypass
 *     is still in the field until someone restores it (or extends it).
 * Anything else is WS_ECONFLICT naming "state" with the state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "plant/plant_int.h"
#include "store/q_plant.h"

#define HOUR_MS 3600000LL

static void bypass_row(store_stmt *st, void *out)
{
    plant_bypass *b = out;
    memset(b, 0, sizeof *b);
    b->id = store_col_int(st, 0);
    b->unit_id = store_col_int(st, 1);
    b->point_id = store_col_opt_int(st, 2);
    b->equipment_id = store_col_opt_int(st, 3);
    plant_copy(b->interlock, sizeof b->interlock, store_col_text(st, 4));
    plant_copy(b->reason, sizeof b->reason, store_col_text(st, 5));
    plant_copy(b->measures, sizeof b->measures, store_col_text(st, 6));
    b->requested_by_person_id = store_col_int(st, 7);
    b->approver_person_id = store_col_opt_int(st, 8);
    plant_copy(b->state, sizeof b->state, store_col_text(st, 9));
    b->expires_at = store_col_int(st, 10);
    b->requested_at = store_col_int(st, 11);
    b->approved_at = store_col_opt_int(st, 12);
    b->activated_at = store_col_opt_int(st, 13);
    b->expired_at = store_col_opt_int(st, 14);
    b->closed_at = store_col_opt_int(st, 15);
    plant_copy(b->closed_by, sizeof b->closed_by, store_col_text(st, 16));
    b->extensions = (int)store_col_int(st, 17);
    b->created_at = store_col_int(st, 18);
    b->updated_at = store_col_int(st, 19);
    plant_copy(b->unit_path, sizeof b->unit_path, store_col_text(st, 20));
}

ws_err plant_bypass_get(store_conn *c, int64_t id, plant_bypass *b)
{
    return plant_get_one(c, Q_BYPASS_GET, id, bypass_row, b, "bypass");
}

ws_err plant_bypass_list(store_conn *c, const plant_filter *f, plant_bypass **items, size_t *n,
                         int64_t *next)
{
    static const char *const states[] = {"requested", "approved", "active", "expired", "restored", "cancelled", NULL};
    plant_bind x[] = {PB_TEXT(f->state), PB_INT(f->point_id), PB_INT(f->equipment_id)};
    ws_err rc = plant_filter_one_of(f->state, states, "state");
    if (rc) return rc;
    return plant_list_run(c, Q_BYPASS_LIST, f, x, 3, bypass_row, sizeof **items, (void **)items,
                          n, next);
}

/* expires_at lies after now and within the maximum from now. */
static ws_err expiry_ok(store_conn *c, int64_t expires_at, int64_t now)
{
    int64_t max_h = 72;
    ws_err rc = plant_param(c, "bypass_max_hours", 72, &max_h);
    if (rc) return rc;
    if (expires_at <= now) return ws_fail(WS_EINVAL, "expires_at", "expires_at must lie in the future");
    if (expires_at > now + max_h * HOUR_MS)
        return ws_fail(WS_EINVAL, "expires_at",
                       "a bypass may run at most %lld h from its approval: ask for a shorter one "
                       "and extend it with a new approval", (long long)max_h);
    return WS_OK;
}

static ws_err bypass_write(store_conn *c, const org_caller *by, const plant_bypass *b,
                           const char *action)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_BYPASS_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, b->id);
    if (!rc) rc = store_bind_opt_int(st, 2, b->approver_person_id);
    if (!rc) rc = store_bind_text(st, 3, b->state);
    if (!rc) rc = store_bind_int(st, 4, b->expires_at);
    if (!rc) rc = store_bind_opt_int(st, 5, b->approved_at);
    if (!rc) rc = store_bind_opt_int(st, 6, b->activated_at);
    if (!rc) rc = store_bind_opt_int(st, 7, b->expired_at);
    if (!rc) rc = store_bind_opt_int(st, 8, b->closed_at);
    if (!rc) rc = store_bind_opt_text(st, 9, b->closed_by);
    if (!rc) rc = store_bind_int(st, 10, b->extensions);
    if (!rc) rc = store_bind_int(st, 11, clock_now_ms());
    if (!rc) rc = plant_run(st, NULL, "id");
    store_finalize(st);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_BYPASS, b->id, action);
    return rc;
}

ws_err plant_bypass_request(store_conn *c, const org_caller *by, const plant_bypass_in *in,
                            int64_t *id)
{
    org_unit u;
    bool own = false;
    int64_t now = org_now(by); /* the demo records a past request (by->at_ms) */
    ws_err rc = plant_text(in->interlock, "interlock", PLANT_NAME_MAX, true, false);
    if (!rc) rc = plant_text(in->reason, "reason", PLANT_TEXT_MAX, true, true);
    if (!rc) rc = plant_text(in->measures, "measures", PLANT_TEXT_MAX, true, true);
    if (!rc) rc = plant_row_unit(c, by, "plant.write", in->unit_id, "unit_id", &u);
    if (rc) return rc;
    if (in->point_id <= 0 && in->equipment_id <= 0)
        return ws_fail(WS_EINVAL, "point_id", "a bypass is of a point (point_id) or equipment (equipment_id)");
    if (in->point_id > 0) {
        store_stmt *st = NULL;
        bool row = false;
        int64_t ent = -1;
        rc = store_prepare(c, Q_PLANT_POINT_UNIT, &st);
        if (!rc) rc = store_bind_int(st, 1, in->point_id);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) ent = store_col_opt_int(st, 1);
        store_finalize(st);
        if (!rc && ent != u.enterprise_id)
            rc = ws_fail(WS_EINVAL, "point_id", "no such point in this enterprise (point_id)");
        if (rc) return rc;
    }
    if (in->equipment_id > 0) {
        plant_equipment e;
        org_unit eu;
        rc = plant_equipment_get(c, in->equipment_id, &e);
        if (!rc) rc = org_unit_get(c, e.unit_id, &eu);
        if (rc == WS_ENOTFOUND || (!rc && eu.enterprise_id != u.enterprise_id))
            return ws_fail(WS_EINVAL, "equipment_id", "no such equipment in this enterprise (equipment_id)");
        if (rc) return rc;
    }
    int64_t who = in->requested_by_person_id;
    if (who <= 0 && by && by->subject) who = by->subject->person_id;
    if (who <= 0)
        return ws_fail(WS_EINVAL, "requested_by_person_id",
                       "who asks for the bypass (requested_by_person_id)? the account has no person");
    if ((rc = plant_person_check(c, who, u.enterprise_id, "requested_by_person_id"))) return rc;
    if ((rc = expiry_ok(c, in->expires_at, now))) return rc;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_BYPASS_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, u.id);
    if (!rc) rc = store_bind_opt_int(st, 2, in->point_id > 0 ? in->point_id : 0);
    if (!rc) rc = store_bind_opt_int(st, 3, in->equipment_id > 0 ? in->equipment_id : 0);
    if (!rc) rc = store_bind_text(st, 4, in->interlock);
    if (!rc) rc = store_bind_text(st, 5, in->reason);
    if (!rc) rc = store_bind_text(st, 6, in->measures);
    if (!rc) rc = store_bind_int(st, 7, who);
    if (!rc) rc = store_bind_int(st, 8, in->expires_at);
    if (!rc) rc = store_bind_int(st, 9, now);
    if (!rc) rc = plant_run(st, id, "id");
    store_finalize(st);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_BYPASS, *id, "create");
    return store_tx_finish(c, own, rc);
}

/* The bypass for action (permission perm) in one of the states "|a|b|". */
static ws_err for_action(store_conn *c, const org_caller *by, int64_t id, const char *perm,
                         const char *states, const char *action, plant_bypass *b)
{
    ws_err rc = plant_bypass_get(c, id, b);
    if (!rc) rc = plant_allow(by, perm, b->unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such bypass");
    if (rc) return rc;
    char key[20];
    snprintf(key, sizeof key, "|%s|", b->state);
    if (!strstr(states, key))
        return ws_fail(WS_ECONFLICT, "state", "a bypass in state %s cannot be %s", b->state, action);
    return WS_OK;
}

/* The approver of b: the caller's person when it has one, else given; an
 * active person of the enterprise other than the requester. */
static ws_err approver_of(store_conn *c, const org_caller *by, const plant_bypass *b,
                          int64_t given, int64_t *approver)
{
    int64_t self = by && by->subject ? by->subject->person_id : 0;
    if (self > 0 && given > 0 && given != self)
        return ws_fail(WS_EINVAL, "approver_person_id", "you approve as yourself (approver_person_id)");
    int64_t who = self > 0 ? self : given;
    if (who <= 0)
        return ws_fail(WS_EINVAL, "approver_person_id",
                       "who approves (approver_person_id)? the account has no person");
    if (who == b->requested_by_person_id)
        return ws_fail(WS_EINVAL, "approver_person_id",
                       "the approver must be someone other than the requester");
    org_unit u;
    ws_err rc = org_unit_get(c, b->unit_id, &u);
    if (!rc) rc = plant_person_check(c, who, u.enterprise_id, "approver_person_id");
    if (!rc) *approver = who;
    return rc;
}

static ws_err finish(store_conn *c, const org_caller *by, const plant_bypass *b, const char *action)
{
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    return store_tx_finish(c, own, bypass_write(c, by, b, action));
}

ws_err plant_bypass_approve(store_conn *c, const org_caller *by, int64_t id,
                            int64_t approver_person_id)
{
    plant_bypass b;
    int64_t now = org_now(by);
    ws_err rc = for_action(c, by, id, "bypass.approve", "|requested|", "approved", &b);
    if (!rc) rc = approver_of(c, by, &b, approver_person_id, &b.approver_person_id);
    if (!rc) rc = expiry_ok(c, b.expires_at, now);
    if (rc) return rc;
    plant_copy(b.state, sizeof b.state, "approved");
    b.approved_at = now;
    return finish(c, by, &b, "approve");
}

ws_err plant_bypass_activate(store_conn *c, const org_caller *by, int64_t id)
{
    plant_bypass b;
    int64_t now = org_now(by);
    ws_err rc = for_action(c, by, id, "plant.write", "|approved|", "activated", &b);
    if (rc) return rc;
    if (b.expires_at <= now)
        return ws_fail(WS_EINVAL, "expires_at", "the approved expiry has passed: ask again");
    plant_copy(b.state, sizeof b.state, "active");
    b.activated_at = now;
    return finish(c, by, &b, "activate");
}

ws_err plant_bypass_restore(store_conn *c, const org_caller *by, int64_t id)
{
    plant_bypass b;
    ws_err rc = for_action(c, by, id, "plant.write", "|active|expired|", "restored", &b);
    if (rc) return rc;
    plant_copy(b.state, sizeof b.state, "restored");
    b.closed_at = clock_now_ms();
    plant_copy(b.closed_by, sizeof b.closed_by, plant_actor(by));
    return finish(c, by, &b, "restore");
}

ws_err plant_bypass_cancel(store_conn *c, const org_caller *by, int64_t id)
{
    plant_bypass b;
    ws_err rc = for_action(c, by, id, "plant.write", "|requested|approved|", "cancelled", &b);
    if (rc) return rc;
    plant_copy(b.state, sizeof b.state, "cancelled");
    b.closed_at = clock_now_ms();
    plant_copy(b.closed_by, sizeof b.closed_by, plant_actor(by));
    return finish(c, by, &b, "cancel");
}

ws_err plant_bypass_extend(store_conn *c, const org_caller *by, int64_t id,
                           int64_t approver_person_id, int64_t expires_at)
{
    plant_bypass b;
    int64_t now = clock_now_ms();
    ws_err rc = for_action(c, by, id, "bypass.approve", "|active|expired|", "extended", &b);
    if (!rc) rc = approver_of(c, by, &b, approver_person_id, &b.approver_person_id);
    if (!rc && expires_at <= b.expires_at)
        rc = ws_fail(WS_EINVAL, "expires_at", "an extension ends later than the current expiry");
    if (!rc) rc = expiry_ok(c, expires_at, now);
    if (rc) return rc;
    plant_copy(b.state, sizeof b.state, "active");
    b.expires_at = expires_at;
    b.approved_at = now;
    b.extensions++;
    return finish(c, by, &b, "extend");
}

ws_err plant_bypass_expire(store_conn *c, int64_t now_ms, plant_tick_out *out)
{
    int64_t ids[PLANT_TICK_MAX + 1];
    size_t n = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_BYPASS_OVERDUE, &st);
    if (!rc) rc = store_bind_int(st, 1, now_ms);
    if (!rc) rc = store_bind_int(st, 2, PLANT_TICK_MAX + 1);
    while (!rc && n < PLANT_TICK_MAX + 1 && !(rc = store_step(st, &row)) && row)
        ids[n++] = store_col_int(st, 0);
    store_finalize(st);
    if (rc) return rc;
    if (n > PLANT_TICK_MAX) {
        out->more_expired = true;
        n = PLANT_TICK_MAX;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        plant_bypass b;
        bool own = false;
        if ((rc = store_tx_join(c, &own))) break;
        rc = plant_bypass_get(c, ids[i], &b);
        bool due = !rc && !strcmp(b.state, "active") && b.expires_at <= now_ms;
        if (due) {
            plant_copy(b.state, sizeof b.state, "expired");
            b.expired_at = now_ms;
            rc = bypass_write(c, NULL, &b, "expire");
        }
        rc = store_tx_finish(c, own, rc);
        if (!rc && due) {
            plant_expired *x = &out->expired[out->n_expired++];
            x->bypass_id = b.id;
            x->unit_id = b.unit_id;
            x->point_id = b.point_id;
            x->equipment_id = b.equipment_id;
            x->expires_at = b.expires_at;
            plant_copy(x->interlock, sizeof x->interlock, b.interlock);
        }
    }
    return rc;
}
