/* test_equipment.c — the equipment register and its work orders
 * (src/plant/equipment.c) on real stores: codes unique, devices in the same
 * enterprise, refusals naming the field; the work order state machine
 * (every transition the diagram allows, every other one refused naming
 * "state" with the state in the message); the engine's dedupe (one open
 * order per equipment and rule; a new one once it is closed); calibration
 * orders from plant_tick (one per device and due date, in the unit's zone,
 * never again for the same due date); scope; `audit verify` clean. */
#include "unit/plant_fixture.h"

#define DAY_MS 86400000LL

static int64_t device(store_conn *c, int64_t unit, const char *code, const char *due)
{
    point_device_in d = {.unit_id = unit, .code = code, .name = "可燃气体探测器",
                         .kind = "gas_detector", .protocol = "modbus", .calibration_due = due};
    int64_t id = 0;
    OK(point_device_create(c, &TRUSTED, &d, &id));
    return id;
}

static void test_equipment_register(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t dev = device(t->c, w.area, "GD-01", NULL), dev2 = device(t->c, w.area2, "GD-02", NULL);
    plant_equipment_in in = {.unit_id = w.area, .code = "P-101", .name = "进料泵", .kind = "pump",
                             .device_id = dev};
    int64_t id = 0, id2 = 0;
    OK(plant_equipment_create(t->c, &TRUSTED, &in, &id));
    plant_equipment e;
    OK(plant_equipment_get(t->c, id, &e));
    assert_string_equal(e.status, "in_service");
    assert_int_equal(e.device_id, dev);
    int64_t of = 0;
    OK(plant_equipment_of_device(t->c, dev, &of));
    assert_int_equal(of, id);

    REFUSED(plant_equipment_create(t->c, &TRUSTED, &in, &id2), WS_ECONFLICT, "code");
    in.code = "P 102";
    REFUSED(plant_equipment_create(t->c, &TRUSTED, &in, &id2), WS_EINVAL, "code");
    in.code = "P-102";
    in.device_id = dev2;
    REFUSED(plant_equipment_create(t->c, &TRUSTED, &in, &id2), WS_EINVAL, "device_id");
    in.device_id = 0;
    in.status = "broken";
    REFUSED(plant_equipment_create(t->c, &TRUSTED, &in, &id2), WS_EINVAL, "status");
    in.status = NULL;
    in.name = "";
    REFUSED(plant_equipment_create(t->c, &TRUSTED, &in, &id2), WS_EINVAL, "name");
    in.name = "备用泵";
    in.kind = NULL;
    REFUSED(plant_equipment_create(t->c, &TRUSTED, &in, &id2), WS_EINVAL, "kind");
    in.kind = "pump";
    OK(plant_equipment_create(t->c, &TRUSTED, &in, &id2));

    plant_equipment_in up = {.set = PLANT_EQ_STATUS, .status = "out_of_service"};
    OK(plant_equipment_update(t->c, &TRUSTED, id2, &up));
    /* Scope: E2's safety officer sees nothing of it. */
    auth_subject so2 = subject(ROLE_SAFETY_OFFICER, 0, w.ent2_path);
    org_caller by2 = {&WHO, &so2};
    REFUSED(plant_equipment_update(t->c, &by2, id2, &up), WS_ENOTFOUND, "id");
    in.code = "P-103";
    REFUSED(plant_equipment_create(t->c, &by2, &in, &id2), WS_ENOTFOUND, "unit_id");

    plant_filter f = {.scope_path = w.ent_path, .limit = 50, .status = "out_of_service"};
    plant_equipment *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(plant_equipment_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    assert_string_equal(items[0].code, "P-102");
    free(items);
    f = (plant_filter){.scope_path = w.ent_path, .q = "进料"};
    OK(plant_equipment_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    free(items);
    f = (plant_filter){.scope_path = w.ent2_path};
    OK(plant_equipment_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 0);
    free(items);
    verify_clean(t->c);
}

/* open -> in_progress -> done; open|in_progress -> cancelled; nothing else. */
static void test_workorder_states(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    plant_equipment_in ein = {.unit_id = w.area, .code = "C-201", .name = "压缩机", .kind = "compressor"};
    int64_t eq = 0, a = 0, b = 0;
    OK(plant_equipment_create(t->c, &TRUSTED, &ein, &eq));
    plant_workorder_in in = {.equipment_id = eq, .title = "更换机封", .description = "泄漏\n需停机",
                             .assignee_person_id = w.p[0], .due_at = 1900000000000LL};
    OK(plant_workorder_open(t->c, &TRUSTED, &in, &a, NULL));
    plant_workorder wo;
    OK(plant_workorder_get(t->c, a, &wo));
    assert_string_equal(wo.state, "open");
    assert_string_equal(wo.kind, "corrective");
    assert_string_equal(wo.source_kind, "manual");
    assert_string_equal(wo.created_by, "account:1");
    assert_int_equal(wo.unit_id, w.area);

    REFUSED(plant_workorder_act(t->c, &TRUSTED, a, "done", "完成"), WS_ECONFLICT, "state");
    assert_non_null(strstr(ws_err_message(), "open"));
    OK(plant_workorder_act(t->c, &TRUSTED, a, "start", NULL));
    REFUSED(plant_workorder_act(t->c, &TRUSTED, a, "start", NULL), WS_ECONFLICT, "state");
    assert_non_null(strstr(ws_err_message(), "in_progress"));
    REFUSED(plant_workorder_act(t->c, &TRUSTED, a, "done", " "), WS_EINVAL, "note");
    OK(plant_workorder_act(t->c, &TRUSTED, a, "done", "已更换机封，试车正常"));
    OK(plant_workorder_get(t->c, a, &wo));
    assert_string_equal(wo.state, "done");
    assert_true(wo.closed_at > 0);
    assert_string_equal(wo.closed_by, "account:1");
    assert_string_equal(wo.close_note, "已更换机封，试车正常");
    REFUSED(plant_workorder_act(t->c, &TRUSTED, a, "cancel", "x"), WS_ECONFLICT, "state");
    assert_non_null(strstr(ws_err_message(), "done"));
    plant_workorder_in up = {.set = PLANT_WO_TITLE, .title = "改"};
    REFUSED(plant_workorder_update(t->c, &TRUSTED, a, &up), WS_ECONFLICT, "state");
    REFUSED(plant_workorder_act(t->c, &TRUSTED, a, "reopen", NULL), WS_ENOTFOUND, "action");

    OK(plant_workorder_open(t->c, &TRUSTED, &in, &b, NULL));
    OK(plant_workorder_update(t->c, &TRUSTED, b, &up));
    REFUSED(plant_workorder_act(t->c, &TRUSTED, b, "cancel", NULL), WS_EINVAL, "note");
    OK(plant_workorder_act(t->c, &TRUSTED, b, "cancel", "重复"));
    OK(plant_workorder_get(t->c, b, &wo));
    assert_string_equal(wo.state, "cancelled");
    assert_string_equal(wo.title, "改");

    /* Refusals name the field. */
    plant_workorder_in bad = in;
    bad.kind = "repair";
    REFUSED(plant_workorder_open(t->c, &TRUSTED, &bad, &b, NULL), WS_EINVAL, "kind");
    bad = in;
    bad.title = NULL;
    REFUSED(plant_workorder_open(t->c, &TRUSTED, &bad, &b, NULL), WS_EINVAL, "title");
    bad = in;
    bad.assignee_person_id = w.q[0];
    REFUSED(plant_workorder_open(t->c, &TRUSTED, &bad, &b, NULL), WS_EINVAL, "assignee_person_id");
    bad = in;
    bad.equipment_id = 0;
    REFUSED(plant_workorder_open(t->c, &TRUSTED, &bad, &b, NULL), WS_EINVAL, "equipment_id");
    bad = in;
    bad.source_kind = "rule";
    REFUSED(plant_workorder_open(t->c, &TRUSTED, &bad, &b, NULL), WS_EINVAL, "source_id");
    /* A worker may not. */
    auth_subject wk = subject(ROLE_WORKER, 0, w.ent_path);
    org_caller wby = {&WHO, &wk};
    REFUSED(plant_workorder_open(t->c, &wby, &in, &b, NULL), WS_EFORBIDDEN, "");
    verify_clean(t->c);
}

/* A count-in-window rule firing again while its order is open gets the same
 * order; once closed, the next firing opens a new one. */
static void test_engine_dedupe(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    plant_equipment_in ein = {.unit_id = w.area, .code = "V-301", .name = "调节阀", .kind = "valve"};
    int64_t eq = 0, a = 0, b = 0, other = 0;
    OK(plant_equipment_create(t->c, &TRUSTED, &ein, &eq));
    plant_workorder_in in = {.equipment_id = eq, .kind = "preventive",
                             .title = "30天内同一故障3次：预防性维护", .source_kind = "rule",
                             .source_id = 42};
    bool created = false;
    OK(plant_workorder_open(t->c, NULL, &in, &a, &created));
    assert_true(created);
    OK(plant_workorder_open(t->c, NULL, &in, &b, &created));
    assert_false(created);
    assert_int_equal(b, a);
    OK(plant_workorder_act(t->c, NULL, a, "start", NULL));
    OK(plant_workorder_open(t->c, NULL, &in, &b, &created)); /* in progress: still open */
    assert_int_equal(b, a);
    in.source_id = 43; /* another rule: another order */
    OK(plant_workorder_open(t->c, NULL, &in, &other, &created));
    assert_true(created && other != a);
    in.source_id = 42;
    OK(plant_workorder_act(t->c, NULL, a, "done", "已维护"));
    OK(plant_workorder_open(t->c, NULL, &in, &b, &created));
    assert_true(created);
    assert_true(b != a);
    plant_workorder wo;
    OK(plant_workorder_get(t->c, b, &wo));
    assert_string_equal(wo.created_by, "system");
    assert_int_equal(wo.source_id, 42);
    plant_filter f = {.scope_path = "/", .source_kind = "rule", .state = "open"};
    plant_workorder *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(plant_workorder_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 2);
    free(items);
    verify_clean(t->c);
}

/* plant_tick: one calibration order per device whose due date lies within
 * calibration_lead_days in its unit's zone, never twice for a due date. */
static void test_calibration_orders(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    /* now: 2026-06-01 17:00 UTC = 2026-06-02 01:00 in Shanghai, 19:00 in Berlin */
    int64_t now = utc("2026-06-01", 17, 0);
    int64_t d_soon = device(t->c, w.area, "GD-11", "2026-06-09");  /* 7 days from the 2nd (Shanghai) */
    int64_t d_late = device(t->c, w.area, "GD-12", "2026-06-10");  /* 8 days: not yet */
    int64_t d_ber = device(t->c, w.area2, "GD-13", "2026-06-09"); /* 8 days from the 1st (Berlin) */
    int64_t d_past = device(t->c, w.area, "GD-14", "2026-05-01");  /* overdue */
    device(t->c, w.area, "GD-15", NULL);                           /* none */
    plant_equipment_in ein = {.unit_id = w.area, .code = "GA-11", .name = "探测器", .kind = "instrument",
                              .device_id = d_soon};
    int64_t eq = 0;
    OK(plant_equipment_create(t->c, &TRUSTED, &ein, &eq));

    plant_tick_out out;
    OK(plant_tick(t->c, now, &out));
    assert_int_equal(out.calibration_opened, 2);
    plant_filter f = {.scope_path = "/", .kind = "calibration"};
    plant_workorder *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(plant_workorder_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 2);
    assert_int_equal(items[0].device_id, d_soon);
    assert_int_equal(items[0].equipment_id, eq);
    assert_string_equal(items[0].source_ref, "2026-06-09");
    assert_int_equal(items[0].due_at, utc("2026-06-09", 16, 0)); /* end of the 9th, +08 */
    assert_non_null(strstr(items[0].title, "GD-11"));
    assert_int_equal(items[1].device_id, d_past);
    free(items);

    OK(plant_tick(t->c, now + 60000, &out)); /* again: nothing new */
    assert_int_equal(out.calibration_opened, 0);
    /* Close it: the same due date never comes back. */
    f.device_id = d_soon;
    OK(plant_workorder_list(t->c, &f, &items, &n, &next));
    int64_t wo = items[0].id;
    free(items);
    OK(plant_workorder_act(t->c, NULL, wo, "start", NULL));
    OK(plant_workorder_act(t->c, NULL, wo, "done", "已检定，证书 JD-2026-118"));
    int64_t last = 0;
    OK(plant_device_last_calibrated(t->c, d_soon, &last));
    assert_true(last > 0);
    OK(plant_device_last_calibrated(t->c, d_late, &last));
    assert_int_equal(last, 0);
    OK(plant_tick(t->c, now + 120000, &out));
    assert_int_equal(out.calibration_opened, 0);
    /* A day later the 8-day ones are due too (Berlin's and GD-12). */
    OK(plant_tick(t->c, now + DAY_MS, &out));
    assert_int_equal(out.calibration_opened, 2);
    f = (plant_filter){.scope_path = w.ent2_path, .kind = "calibration"};
    OK(plant_workorder_list(t->c, &f, &items, &n, &next));
    assert_int_equal(n, 1);
    assert_int_equal(items[0].device_id, d_ber);
    assert_int_equal(items[0].due_at, utc("2026-06-09", 22, 0)); /* end of the 9th, CEST */
    free(items);
    /* A new due date after calibration: a new order when it comes near. */
    point_device_in up = {.set = POINT_DSET_CAL, .calibration_due = "2026-06-05"};
    OK(point_device_update(t->c, &TRUSTED, d_soon, &up));
    OK(plant_tick(t->c, now + DAY_MS, &out));
    assert_int_equal(out.calibration_opened, 1);
    /* The lead time is data. */
    assert_int_equal(count_sql(t->c, "SELECT value FROM plant_params WHERE name = 'calibration_lead_days'"), 7);
    verify_clean(t->c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST(test_equipment_register),
        DB_TEST(test_workorder_states),
        DB_TEST(test_engine_dedupe),
        DB_TEST(test_calibration_orders),
    };
    return run_all("equipment", tests, sizeof tests / sizeof tests[0]);
}
