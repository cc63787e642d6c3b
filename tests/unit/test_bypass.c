/* test_bypass.c — the register of interlock bypasses (联锁旁路,
 * src/plant/bypass.c) on real stores: the lifecycle drawn in bypass.c (every
 * allowed transition, the others refused naming "state"); the approver is a
 * person other than the requester and holds bypass.approve; the expiry is
 * at most bypass_max_hours (data) from the approval that set it, longer
 * refused unless extended by a new approval; plant_tick flags overdue
 * bypasses expired, once, with an audit leaf, and returns them for the
 * engine's "联锁旁路超期" alarm; scope; `audit verify` clean. */
#include "unit/plant_fixture.h"

#include <math.h>

#include "core/clock.h"

#define HOUR_MS 3600000LL

typedef struct bworld {
    world w;
    int64_t point, eq;
} bworld;

static bworld bw_make(store_conn *c)
{
    bworld b = {.w = org_world(c)};
    point_in p = {.set = POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME | POINT_SET_KIND,
                  .unit_id = b.w.area, .tag = "PT-101", .name = "压缩机出口压力", .kind = "pressure",
                  .range_low = NAN, .range_high = NAN, .resolution = NAN, .exposure_limit = NAN,
                  .ll = NAN, .l = NAN, .h = NAN, .hh = NAN, .deadband = NAN};
    OK(point_create(c, &TRUSTED, &p, &b.point));
    plant_equipment_in e = {.unit_id = b.w.area, .code = "K-101", .name = "压缩机", .kind = "compressor"};
    OK(plant_equipment_create(c, &TRUSTED, &e, &b.eq));
    return b;
}

static plant_bypass_in request(const bworld *b, int64_t hours)
{
    plant_bypass_in in = {.unit_id = b->w.area, .point_id = b->point, .interlock = "PSHH-101 高高联锁停机",
                          .reason = "变送器检修", .measures = "现场专人监护压力表，每小时记录",
                          .requested_by_person_id = b->w.p[0],
                          .expires_at = clock_now_ms() + hours * HOUR_MS};
    return in;
}

static const char *state_of(store_conn *c, int64_t id)
{
    static plant_bypass b;
    OK(plant_bypass_get(c, id, &b));
    return b.state;
}

static void test_lifecycle(void **state)
{
    tctx *t = *state;
    bworld b = bw_make(t->c);
    plant_bypass_in in = request(&b, 8);
    int64_t id = 0;
    OK(plant_bypass_request(t->c, &TRUSTED, &in, &id));
    assert_string_equal(state_of(t->c, id), "requested");
    REFUSED(plant_bypass_activate(t->c, &TRUSTED, id), WS_ECONFLICT, "state");
    assert_non_null(strstr(ws_err_message(), "requested"));
    REFUSED(plant_bypass_restore(t->c, &TRUSTED, id), WS_ECONFLICT, "state");
    /* The requester cannot approve his own bypass. */
    REFUSED(plant_bypass_approve(t->c, &TRUSTED, id, b.w.p[0]), WS_EINVAL, "approver_person_id");
    REFUSED(plant_bypass_approve(t->c, &TRUSTED, id, 0), WS_EINVAL, "approver_person_id");
    REFUSED(plant_bypass_approve(t->c, &TRUSTED, id, b.w.q[0]), WS_EINVAL, "approver_person_id");
    /* An account with a person approves as that person. */
    auth_subject so = subject(ROLE_SAFETY_OFFICER, b.w.p[0], b.w.ent_path);
    org_caller self = {&WHO, &so};
    REFUSED(plant_bypass_approve(t->c, &self, id, 0), WS_EINVAL, "approver_person_id");
    so.person_id = b.w.p[2];
    REFUSED(plant_bypass_approve(t->c, &self, id, b.w.p[3]), WS_EINVAL, "approver_person_id");
    /* A department head may request but not approve. */
    auth_subject dh = subject(ROLE_DEPT_HEAD, b.w.p[3], b.w.ent_path);
    org_caller dby = {&WHO, &dh};
    REFUSED(plant_bypass_approve(t->c, &dby, id, 0), WS_EFORBIDDEN, "");
    OK(plant_bypass_approve(t->c, &self, id, 0));
    plant_bypass bp;
    OK(plant_bypass_get(t->c, id, &bp));
    assert_string_equal(bp.state, "approved");
    assert_int_equal(bp.approver_person_id, b.w.p[2]);
    assert_true(bp.approved_at > 0);
    REFUSED(plant_bypass_approve(t->c, &self, id, 0), WS_ECONFLICT, "state");
    OK(plant_bypass_activate(t->c, &dby, id));
    assert_string_equal(state_of(t->c, id), "active");
    REFUSED(plant_bypass_cancel(t->c, &TRUSTED, id), WS_ECONFLICT, "state");
    OK(plant_bypass_restore(t->c, &dby, id));
    OK(plant_bypass_get(t->c, id, &bp));
    assert_string_equal(bp.state, "restored");
    assert_true(bp.closed_at > 0);
    assert_string_equal(bp.closed_by, "account:1");
    REFUSED(plant_bypass_restore(t->c, &TRUSTED, id), WS_ECONFLICT, "state");
    REFUSED(plant_bypass_extend(t->c, &TRUSTED, id, b.w.p[1], clock_now_ms() + HOUR_MS), WS_ECONFLICT, "state");

    /* Cancelled before it runs. */
    int64_t c2 = 0;
    in = request(&b, 4);
    in.point_id = 0;
    in.equipment_id = b.eq;
    OK(plant_bypass_request(t->c, &TRUSTED, &in, &c2));
    OK(plant_bypass_cancel(t->c, &TRUSTED, c2));
    assert_string_equal(state_of(t->c, c2), "cancelled");
    REFUSED(plant_bypass_approve(t->c, &TRUSTED, c2, b.w.p[1]), WS_ECONFLICT, "state");
    verify_clean(t->c);
}

/* Refusals name the field; the 72 h maximum is data. */
static void test_refusals_and_max(void **state)
{
    tctx *t = *state;
    bworld b = bw_make(t->c);
    int64_t id = 0;
    plant_bypass_in in = request(&b, 73);
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "expires_at");
    assert_non_null(strstr(ws_err_message(), "72"));
    in = request(&b, 0);
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "expires_at");
    in = request(&b, 72);
    in.interlock = "";
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "interlock");
    in = request(&b, 72);
    in.reason = NULL;
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "reason");
    in = request(&b, 72);
    in.measures = " \n";
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "measures");
    in = request(&b, 72);
    in.point_id = 0;
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "point_id");
    in = request(&b, 72);
    in.unit_id = b.w.area2; /* the point is E1's */
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "point_id");
    in = request(&b, 72);
    in.requested_by_person_id = 0; /* trusted caller, no person */
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "requested_by_person_id");
    in = request(&b, 72);
    in.requested_by_person_id = b.w.q[1];
    REFUSED(plant_bypass_request(t->c, &TRUSTED, &in, &id), WS_EINVAL, "requested_by_person_id");
    /* Outside the scope: not found; a worker: forbidden. */
    in = request(&b, 72);
    auth_subject so2 = subject(ROLE_SAFETY_OFFICER, 0, b.w.ent2_path);
    org_caller by2 = {&WHO, &so2};
    REFUSED(plant_bypass_request(t->c, &by2, &in, &id), WS_ENOTFOUND, "unit_id");
    auth_subject wk = subject(ROLE_WORKER, b.w.p[1], b.w.ent_path);
    org_caller wby = {&WHO, &wk};
    REFUSED(plant_bypass_request(t->c, &wby, &in, &id), WS_EFORBIDDEN, "");
    /* The caller's person is the requester by default. */
    auth_subject so = subject(ROLE_SAFETY_OFFICER, b.w.p[1], b.w.ent_path);
    org_caller by = {&WHO, &so};
    in.requested_by_person_id = 0;
    OK(plant_bypass_request(t->c, &by, &in, &id));
    plant_bypass bp;
    OK(plant_bypass_get(t->c, id, &bp));
    assert_int_equal(bp.requested_by_person_id, b.w.p[1]);
    REFUSED(plant_bypass_approve(t->c, &by2, id, b.w.p[2]), WS_ENOTFOUND, "id");
    REFUSED(plant_bypass_approve(t->c, &by, id, 0), WS_EINVAL, "approver_person_id");

    /* The maximum is data: 96 h allowed once the parameter says so. */
    OK(store_exec(t->c, "UPDATE plant_params SET value = 96 WHERE name = 'bypass_max_hours'"));
    in = request(&b, 90);
    OK(plant_bypass_request(t->c, &TRUSTED, &in, &id));
    verify_clean(t->c);
}

/* Overdue: the tick flags it expired once and returns it; an extension (a
 * new approval, at most the maximum from now) makes it active again; an
 * expired one is restored. */
static void test_expiry_and_extend(void **state)
{
    tctx *t = *state;
    bworld b = bw_make(t->c);
    int64_t id = 0, id2 = 0;
    plant_bypass_in in = request(&b, 2);
    OK(plant_bypass_request(t->c, &TRUSTED, &in, &id));
    OK(plant_bypass_approve(t->c, &TRUSTED, id, b.w.p[2]));
    OK(plant_bypass_activate(t->c, &TRUSTED, id));
    in = request(&b, 1);
    OK(plant_bypass_request(t->c, &TRUSTED, &in, &id2));
    OK(plant_bypass_approve(t->c, &TRUSTED, id2, b.w.p[2]));
    int64_t now = clock_now_ms();

    plant_tick_out out;
    OK(plant_tick(t->c, now + HOUR_MS + 60000, &out)); /* id2 is approved, not active */
    assert_int_equal(out.n_expired, 0);
    OK(plant_tick(t->c, now + 2 * HOUR_MS + 60000, &out));
    assert_int_equal(out.n_expired, 1);
    assert_false(out.more_expired);
    assert_int_equal(out.expired[0].bypass_id, id);
    assert_int_equal(out.expired[0].point_id, b.point);
    assert_int_equal(out.expired[0].unit_id, b.w.area);
    assert_string_equal(out.expired[0].interlock, "PSHH-101 高高联锁停机");
    plant_bypass bp;
    OK(plant_bypass_get(t->c, id, &bp));
    assert_string_equal(bp.state, "expired");
    assert_int_equal(bp.expired_at, now + 2 * HOUR_MS + 60000);
    OK(plant_tick(t->c, now + 3 * HOUR_MS, &out)); /* once */
    assert_int_equal(out.n_expired, 0);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM audit_leaf WHERE entity = 'bypass' AND action = 'expire'"), 1);

    /* The approved one past its expiry cannot be activated. */
    clock_test_advance(HOUR_MS + 60000);
    REFUSED(plant_bypass_activate(t->c, &TRUSTED, id2), WS_EINVAL, "expires_at");
    clock_test_advance(-(HOUR_MS + 60000));

    /* Extend: a new approval by someone other than the requester, later than
     * now and than the old expiry, within the maximum from now. */
    int64_t until = clock_now_ms() + 72 * HOUR_MS + 60000;
    REFUSED(plant_bypass_extend(t->c, &TRUSTED, id, b.w.p[2], until), WS_EINVAL, "expires_at");
    REFUSED(plant_bypass_extend(t->c, &TRUSTED, id, b.w.p[2], bp.expires_at), WS_EINVAL, "expires_at");
    REFUSED(plant_bypass_extend(t->c, &TRUSTED, id, b.w.p[0], bp.expires_at + HOUR_MS), WS_EINVAL,
            "approver_person_id");
    auth_subject dh = subject(ROLE_DEPT_HEAD, b.w.p[3], b.w.ent_path);
    org_caller dby = {&WHO, &dh};
    REFUSED(plant_bypass_extend(t->c, &dby, id, 0, bp.expires_at + HOUR_MS), WS_EFORBIDDEN, "");
    until = clock_now_ms() + 72 * HOUR_MS;
    OK(plant_bypass_extend(t->c, &TRUSTED, id, b.w.p[3], until));
    OK(plant_bypass_get(t->c, id, &bp));
    assert_string_equal(bp.state, "active");
    assert_int_equal(bp.expires_at, until);
    assert_int_equal(bp.extensions, 1);
    assert_int_equal(bp.approver_person_id, b.w.p[3]);
    OK(plant_tick(t->c, until - 1, &out));
    assert_int_equal(out.n_expired, 0);
    OK(plant_tick(t->c, until, &out));
    assert_int_equal(out.n_expired, 1);
    OK(plant_bypass_restore(t->c, &TRUSTED, id));
    assert_string_equal(state_of(t->c, id), "restored");

    /* Lists: by state, in scope. */
    plant_filter f = {.scope_path = b.w.ent_path, .state = "approved"};
    plant_bypass *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(plant_bypass_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, id2);
    free(items);
    f = (plant_filter){.scope_path = b.w.ent2_path};
    OK(plant_bypass_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 0);
    free(items);
    verify_clean(t->c);
}

/* More overdue than a tick returns: the rest next tick, none lost. */
static void test_tick_cap(void **state)
{
    tctx *t = *state;
    bworld b = bw_make(t->c);
    int total = PLANT_TICK_MAX + 3;
    for (int i = 0; i < total; i++) {
        plant_bypass_in in = request(&b, 1);
        int64_t id = 0;
        OK(plant_bypass_request(t->c, &TRUSTED, &in, &id));
        OK(plant_bypass_approve(t->c, &TRUSTED, id, b.w.p[1]));
        OK(plant_bypass_activate(t->c, &TRUSTED, id));
    }
    plant_tick_out out;
    int64_t later = clock_now_ms() + 2 * HOUR_MS;
    OK(plant_tick(t->c, later, &out));
    assert_int_equal(out.n_expired, PLANT_TICK_MAX);
    assert_true(out.more_expired);
    OK(plant_tick(t->c, later, &out));
    assert_int_equal(out.n_expired, 3);
    assert_false(out.more_expired);
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM bypasses WHERE state = 'expired'"), total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST(test_lifecycle),
        DB_TEST(test_refusals_and_max),
        DB_TEST(test_expiry_and_extend),
        DB_TEST(test_tick_cap),
    };
    return run_all("bypass", tests, sizeof tests / sizeof tests[0]);
}
