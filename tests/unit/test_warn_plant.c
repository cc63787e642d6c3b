/* test_warn_plant.c — the engine with its neighbours, in-process on a real
 * SQLite file (and PostgreSQL when WS_TEST_PG_URL is set), times explicit
 * (warn_tick takes now): escalation paging along the duty roster, the plant
 * timer's overdue interlock bypass, retention on the engine's timer, a STALE
 * reading (a Sparkplug DEATH), a process monitor across a restart, the
 * bounds of the rule backtest, a shift handover nobody takes and a shift
 * change with no handover. The
 * fixture is tests/unit/warn_fixture.h, shared with test_warn.c. */
#include "unit/warn_fixture.h"
#include "telemetry/response.h"
#include "handover/handover.h"
#include "warn/backtest.h"

/* Escalation pages the people on duty (page.c): the grid leader on the
 * unit's roster at once, then the safety officer — each named and
 * mentioned by phone in a message to every active channel, titled with the
 * alarm (escalation events carry no title of their own; the pages once went
 * out as a bare "【报警】"), with the point's response card (its time limit
 * and steps) and the special work under way in its area (active hot work,
 * a suspended job), the safety officer at the card's 3 minutes rather than
 * the chain's 5 — and, once the alarm is acknowledged, not the manager. */
static void t_escalation_pages(void **state)
{
    (void)state;
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    int64_t gl = 0, so = 0, shift = 0, ch = 0;
    org_person_in p1 = {.unit_id = tc.unit_id, .name = "王网格", .phone = "13800000001"};
    org_person_in p2 = {.unit_id = tc.unit_id, .name = "李安全", .phone = "13800000002"};
    OK(org_person_create(c, &TRUSTED, &p1, &gl));
    OK(org_person_create(c, &TRUSTED, &p2, &so));
    plant_shift_in sh = {.unit_id = tc.unit_id, .name = "全天", .start = "00:00", .length_min = 1440, .active = true};
    OK(plant_shift_create(c, &TRUSTED, &sh, &shift));
    char days[3][16];
    plant_roster_in r[6];
    for (int i = 0; i < 3; i++) { /* yesterday, today and tomorrow in the unit's zone (Asia/Shanghai) */
        time_t t = (time_t)(clock_now_ms() / 1000) + (i - 1) * 86400 + 8 * 3600;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(days[i], sizeof days[i], "%Y-%m-%d", &tm);
        r[2 * i] = (plant_roster_in){shift, gl, days[i], "grid_leader"};
        r[2 * i + 1] = (plant_roster_in){shift, so, days[i], "safety_officer"};
    }
    OK(plant_roster_add(c, &TRUSTED, r, 6, NULL));
    notify_channel_in chi = {.kind = "webhook", .name = "短信网关", .url = "http://127.0.0.1:9/hook", .active = true};
    OK(notify_channel_create(c, &WHO, &chi, clock_now_ms(), &ch));
    store_release(c);
    /* hot work under way in the unit, and a suspended job: the message lists them */
    char ins[640];
    for (int k = 0; k < 2; k++) {
        snprintf(ins, sizeof ins, "INSERT INTO permits (unit_id, code, type, grade, state, profile, title, location, "
                 "planned_start, planned_end, applicant_person_id, doc, created_by, created_at, updated_at) VALUES "
                 "($1, '%s', '%s', '1', '%s', 'default', '%s', '罐顶', 0, %lld, %lld, '{}', 'test', 0, 0) RETURNING id",
                 k ? "MB-TEST-0001" : "DH-TEST-0001", k ? "blind_plate" : "hot_work", k ? "suspended" : "active",
                 k ? "出口盲板抽堵" : "T-105 罐顶动火", (long long)clock_now_ms() + 3600000, (long long)gl);
        assert_true(sql_int(ins, tc.unit_id) > 0);
    }
    int64_t pid = add_point("GT-105");
    /* the point's response card: its time limit and steps go into the message */
    point_response_in card = {"法兰渗漏", "闪爆", "撤离无关人员\n关闭根部阀", 3};
    OK(store_acquire(tc.s, &c));
    OK(point_response_put(c, &TRUSTED, pid, &card, NULL));
    store_release(c);
    engine_open();
    int64_t t0 = clock_now_ms() - 20 * 60000;
    warn_result res;
    in1("GT-105", 30, t0, &res);
    const char *rows = "SELECT count(*) FROM notify_outbox WHERE channel_id = $1";
    OK(warn_tick(tc.w, t0 + 1000));
    assert_int_equal(sql_int(rows, ch), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM notify_outbox WHERE body LIKE '%王网格 @13800000001%' "
                             "AND body LIKE '%网格长%' AND mentions LIKE '%13800000001%' "
                             "AND title LIKE '【报警】GT-105 %高报%' AND body LIKE '%GT-105 %' "
                             "AND body LIKE '%响应时限：3 分钟内%' AND body LIKE '%处置：撤离无关人员 关闭根部阀%' "
                             "AND body LIKE '%区域内作业：DH-TEST-0001 T-105 罐顶动火；MB-TEST-0001 出口盲板抽堵（已暂停）%'", 0), 1);
    OK(warn_tick(tc.w, t0 + 2 * 60000)); /* nothing due before the card's 3 minutes */
    assert_int_equal(sql_int(rows, ch), 1);
    OK(warn_tick(tc.w, t0 + 4 * 60000)); /* the card's 3 minutes, not the chain's 5 */
    assert_int_equal(sql_int(rows, ch), 2);
    assert_int_equal(sql_int("SELECT count(*) FROM notify_outbox WHERE body LIKE '%李安全 @13800000002%' "
                             "AND body LIKE '%安全员%' AND mentions LIKE '%13800000002%' AND title LIKE '%GT-105%' "
                             "AND mentions NOT LIKE '%13800000001%'", 0), 1);
    officer o;
    officer_init(&o, so);
    OK(warn_ack(tc.w, &o.by, sql_int("SELECT id FROM alarms WHERE open = 1", 0)));
    OK(warn_tick(tc.w, t0 + 16 * 60000));
    assert_int_equal(sql_int(rows, ch), 2);
    assert_int_equal(events_of("escalate"), 2);
    engine_close();
}

/* An interlock bypass past its expiry raises 联锁旁路超期 on the plant timer,
 * once; restoring the interlock clears it at the next minute, so it can be
 * acknowledged and closed with its record (before, it stayed raised for
 * ever and could never be closed). */
static void t_bypass_overdue(void **state)
{
    (void)state;
    int64_t pt = add_point("PSHH-101");
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    int64_t req = 0, appr = 0, id = 0;
    org_person_in p1 = {.unit_id = tc.unit_id, .name = "赵操作"}, p2 = {.unit_id = tc.unit_id, .name = "钱主任"};
    OK(org_person_create(c, &TRUSTED, &p1, &req));
    OK(org_person_create(c, &TRUSTED, &p2, &appr));
    int64_t now = clock_now_ms();
    plant_bypass_in in = {.unit_id = tc.unit_id, .point_id = pt, .interlock = "PSHH-101 高高联锁停机",
                          .reason = "变送器更换", .measures = "专人监盘，就地压力表每 15 分钟记录",
                          .requested_by_person_id = req, .expires_at = now + 3600000};
    OK(plant_bypass_request(c, &TRUSTED, &in, &id));
    OK(plant_bypass_approve(c, &TRUSTED, id, appr));
    OK(plant_bypass_activate(c, &TRUSTED, id));
    store_release(c);
    engine_open();
    const char *raised = "SELECT count(*) FROM alarms WHERE rule_id = 103 AND source_id = $1 AND state = 'unack' "
                         "AND title LIKE '联锁旁路超期：PSHH-101%'";
    OK(warn_tick(tc.w, now + 30 * 60000));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 103", 0), 0);
    OK(warn_tick(tc.w, now + 62 * 60000));
    assert_int_equal(sql_int(raised, id), 1);
    OK(warn_tick(tc.w, now + 64 * 60000)); /* once */
    assert_int_equal(sql_int("SELECT count(*) FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id "
                             "WHERE a.rule_id = 103 AND e.kind = 'raise'", 0), 1);
    OK(store_acquire(tc.s, &c));
    OK(plant_bypass_restore(c, &TRUSTED, id));
    store_release(c);
    OK(warn_tick(tc.w, now + 66 * 60000));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 103 AND state = 'rtn_unack'", 0), 1);
    int64_t aid = sql_int("SELECT id FROM alarms WHERE rule_id = 103", 0);
    officer o;
    officer_init(&o, appr);
    OK(warn_ack(tc.w, &o.by, aid));
    OK(warn_close_alarm(tc.w, &o.by, aid, "联锁旁路超期未恢复", "恢复联锁并复核定值"));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 103 AND open = 1", 0), 0);
    engine_close();
}

/* A shift handover nobody takes (src/handover): after 30 minutes waiting the
 * timer raises one 预警 "交接班超时未接" on its unit, naming it and the
 * giver, once however often it runs; taken over, the alarm clears. */
static void t_handover_waiting(void **state)
{
    (void)state;
    store_conn *c;
    OK(handover_init());
    OK(store_acquire(tc.s, &c));
    int64_t giver = 0, taker = 0, id = 0;
    org_person_in p1 = {.unit_id = tc.unit_id, .name = "孙交班"}, p2 = {.unit_id = tc.unit_id, .name = "周接班"};
    OK(org_person_create(c, &TRUSTED, &p1, &giver));
    OK(org_person_create(c, &TRUSTED, &p2, &taker));
    int64_t now = clock_now_ms();
    handover_in in = {.unit_id = tc.unit_id, .note = "R-101 搅拌电流偏高，已通知电工。", .person_id = giver};
    OK(handover_give(c, &TRUSTED, &in, &id));
    engine_open();
    int raised = -1;
    OK(handover_tick(c, tc.w, now + 29 * 60000, &raised));
    assert_int_equal(raised, 0);
    OK(handover_tick(c, tc.w, now + 31 * 60000, &raised));
    assert_int_equal(raised, 1);
    const char *open = "SELECT count(*) FROM alarms WHERE rule_id = 108 AND source_id = $1 AND level = 1 "
                       "AND state = 'unack' AND title LIKE '交接班超时未接：测试化工（孙交班 交班%'";
    assert_int_equal(sql_int(open, id), 1);
    OK(handover_tick(c, tc.w, now + 33 * 60000, &raised)); /* once */
    assert_int_equal(raised, 0);
    assert_int_equal(sql_int("SELECT count(*) FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id "
                             "WHERE a.rule_id = 108 AND e.kind = 'raise'", 0), 1);
    OK(handover_take(c, &TRUSTED, id, true, NULL, taker));
    OK(handover_tick(c, tc.w, now + 35 * 60000, &raised));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 108 AND state = 'rtn_unack'", 0), 1);
    store_release(c);
    engine_close();
}

/* A workshop (code, name) under the test enterprise with day and night
 * shifts (08:00, 20:00 Asia/Shanghai) and two people of it. */
static void shift_workshop(store_conn *c, const char *code, const char *name, const char *n1, const char *n2,
                           int64_t *ws, int64_t *p1, int64_t *p2)
{
    int64_t s1 = 0, s2 = 0;
    org_unit_in ui = {.parent_id = tc.unit_id, .kind = "workshop", .code = code, .name = name, .tz = "Asia/Shanghai"};
    OK(org_unit_create(c, &TRUSTED, &ui, ws));
    org_person_in a = {.unit_id = *ws, .name = n1}, b = {.unit_id = *ws, .name = n2};
    OK(org_person_create(c, &TRUSTED, &a, p1));
    OK(org_person_create(c, &TRUSTED, &b, p2));
    plant_shift_in d1 = {.unit_id = *ws, .name = "白班", .start = "08:00", .length_min = 720, .active = true};
    plant_shift_in d2 = {.unit_id = *ws, .name = "夜班", .start = "20:00", .length_min = 720, .active = true};
    OK(plant_shift_create(c, &TRUSTED, &d1, &s1));
    OK(plant_shift_create(c, &TRUSTED, &d2, &s2));
}

/* A shift change that passes with no handover (交接班未交): a workshop that
 * keeps handovers in worksafe (one at the change before), with day and
 * night shifts (08:00, 20:00 Asia/Shanghai). 29 minutes after the 20:00 end
 * nothing; at 31 one 预警 naming the unit and the shift; once however often
 * the timer runs; a handover made clears it. At the next change, with that
 * alarm still open (returned, unclosed), it is raised again, once; a
 * handover made an hour before a change counts for it; a change more than
 * six hours back is not looked at. */
static void t_handover_missed(void **state)
{
    (void)state;
    const int64_t M = 60000, H = 3600000;
    store_conn *c;
    OK(handover_init());
    OK(store_acquire(tc.s, &c));
    int64_t ws = 0, giver = 0, taker = 0, id = 0, day = 0, end = 0;
    shift_workshop(c, "HO-W2", "二车间", "郑白班", "钱夜班", &ws, &giver, &taker);
    /* the end of a day shift (20:00 local) a day or two back */
    OK(plant_local_day("Asia/Shanghai", clock_now_ms() - 20 * H, &day));
    OK(plant_local_to_utc("Asia/Shanghai", day, 20 * 60, &end));
    org_caller at = TRUSTED;
    at.at_ms = end - 12 * H + 5 * M; /* the morning's handover: the workshop keeps them */
    handover_in in = {.unit_id = ws, .note = "夜班无异常。", .person_id = taker};
    OK(handover_give(c, &at, &in, &id));
    at.at_ms += 5 * M;
    OK(handover_take(c, &at, id, true, NULL, giver));
    engine_open();
    int raised = -1;
    OK(handover_tick(c, tc.w, end + 29 * M, &raised));
    assert_int_equal(raised, 0);
    OK(handover_tick(c, tc.w, end + 31 * M, &raised));
    assert_int_equal(raised, 1);
    const char *open = "SELECT count(*) FROM alarms WHERE rule_id = 109 AND source_id = $1 AND unit_id = $1 "
                       "AND level = 1 AND state = 'unack' AND title = '交接班未交：二车间（白班 20:00 交班，已过 31 分钟，未见交接班记录）'";
    assert_int_equal(sql_int(open, ws), 1);
    OK(handover_tick(c, tc.w, end + 33 * M, &raised)); /* once */
    assert_int_equal(raised, 0);
    const char *raises = "SELECT count(*) FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id "
                         "WHERE a.rule_id = 109 AND a.source_id = $1 AND e.kind IN ('raise', 'reactivate')";
    assert_int_equal(sql_int(raises, ws), 1);
    /* the day shift hands over, late: the alarm returns */
    at.at_ms = end + 40 * M;
    in.person_id = giver;
    OK(handover_give(c, &at, &in, &id));
    OK(handover_tick(c, tc.w, end + 41 * M, &raised));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 109 AND source_id = $1 AND state = 'rtn_unack'", ws), 1);
    at.at_ms = end + 45 * M;
    OK(handover_take(c, &at, id, true, NULL, taker));
    /* the next change (08:00): nobody hands over; raised again though the
     * first alarm was never closed, and only once */
    const int64_t next = end + 12 * H;
    OK(handover_tick(c, tc.w, next + 31 * M, &raised));
    assert_int_equal(raised, 1);
    OK(handover_tick(c, tc.w, next + 32 * M, &raised));
    assert_int_equal(raised, 0);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 109 AND source_id = $1 AND state = 'unack'", ws), 1);
    handover_missed_clear(tc.w, ws, next + 33 * M); /* as POST /handovers does */
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 109 AND source_id = $1 AND state = 'rtn_unack'", ws), 1);
    /* more than six hours after a change, and nothing newer: not looked at */
    at.at_ms = next + 50 * M;
    in.person_id = taker;
    OK(handover_give(c, &at, &in, &id));
    at.at_ms += 5 * M;
    OK(handover_take(c, &at, id, true, NULL, giver));
    OK(handover_tick(c, tc.w, next + 56 * M, &raised));
    OK(handover_tick(c, tc.w, next + 7 * H, &raised));
    assert_int_equal(raised, 0);
    /* the change after (20:00): a handover an hour before it counts */
    at.at_ms = next + 11 * H;
    in.person_id = giver;
    OK(handover_give(c, &at, &in, &id));
    at.at_ms += 5 * M;
    OK(handover_take(c, &at, id, true, NULL, taker));
    OK(handover_tick(c, tc.w, next + 12 * H + 31 * M, &raised));
    assert_int_equal(raised, 0);
    assert_int_equal(sql_int(raises, ws), 2);
    /* 交接班统计 over those two days, from the first handover: four shift
     * ends, two with a handover in time (the morning's, and the one an hour
     * early); four handovers, each taken in 5 minutes */
    json_t *k = NULL;
    handover_filter hf = {.scope_path = "/", .unit_id = ws};
    OK(handover_kpi(c, &hf, 2, next + 12 * H + 40 * M, &k));
    assert_int_equal(json_array_size(k), 1);
    json_t *u = json_array_get(k, 0);
    assert_int_equal(json_integer_value(json_object_get(u, "unit_id")), ws);
    assert_int_equal(json_integer_value(json_object_get(u, "shift_ends")), 4);
    assert_int_equal(json_integer_value(json_object_get(u, "in_time")), 2);
    assert_true(json_real_value(json_object_get(u, "in_time_rate")) == 0.5);
    assert_int_equal(json_integer_value(json_object_get(u, "handovers")), 4);
    assert_int_equal(json_integer_value(json_object_get(u, "accepted")), 4);
    assert_true(json_real_value(json_object_get(u, "take_median_min")) == 5.0);
    assert_int_equal(json_integer_value(json_object_get(u, "take_late")), 0);
    json_decref(k);
    assert_int_equal(handover_kpi(c, &hf, 91, next, &k), WS_EINVAL);
    assert_string_equal(ws_err_field(), "days");
    store_release(c);
    engine_close();
}

/* 交接班要求 (src/handover/settings.c): a workshop required to hand over,
 * which never used the record, gets 交接班未交 after its own wait (15
 * minutes, not 30); with an early window of 60 minutes a handover 90
 * minutes before a change does not count for it; a handover of the unit
 * waits 15 minutes before 交接班超时未接; the figures use the unit's values.
 * Refusals name the field; a unit without settings has the defaults. */
static void t_handover_settings(void **state)
{
    (void)state;
    const int64_t M = 60000, H = 3600000;
    store_conn *c;
    OK(handover_init());
    OK(store_acquire(tc.s, &c));
    int64_t ws = 0, giver = 0, taker = 0, id = 0, day = 0, end = 0;
    shift_workshop(c, "HO-W3", "三车间", "吴白班", "郑夜班", &ws, &giver, &taker);
    handover_settings hs, bad = {.unit_id = ws, .wait_min = 4, .early_min = 60};
    OK(handover_settings_get(c, &TRUSTED, ws, &hs));
    assert_true(!hs.stored && !hs.required && hs.wait_min == HANDOVER_WAIT_MIN && hs.early_min == HANDOVER_EARLY_MIN);
    assert_int_equal(handover_settings_put(c, &TRUSTED, &bad), WS_EINVAL);
    assert_string_equal(ws_err_field(), "wait_min");
    bad.wait_min = 15;
    bad.early_min = 481;
    assert_int_equal(handover_settings_put(c, &TRUSTED, &bad), WS_EINVAL);
    assert_string_equal(ws_err_field(), "early_min");
    bad.unit_id = 999999;
    bad.early_min = 60;
    assert_int_equal(handover_settings_put(c, &TRUSTED, &bad), WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "unit_id");
    const handover_settings set = {.unit_id = ws, .required = true, .wait_min = 15, .early_min = 60};
    OK(handover_settings_put(c, &TRUSTED, &set));
    OK(handover_settings_get(c, &TRUSTED, ws, &hs));
    assert_true(hs.stored && hs.required && hs.wait_min == 15 && hs.early_min == 60 && hs.updated_at > 0);
    /* the end of a day shift (20:00 local) a day or two back; the workshop never handed over */
    OK(plant_local_day("Asia/Shanghai", clock_now_ms() - 20 * H, &day));
    OK(plant_local_to_utc("Asia/Shanghai", day, 20 * 60, &end));
    engine_open();
    int raised = -1;
    OK(handover_tick(c, tc.w, end + 14 * M, &raised));
    assert_int_equal(raised, 0);
    OK(handover_tick(c, tc.w, end + 16 * M, &raised));
    assert_int_equal(raised, 1);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 109 AND source_id = $1 AND state = 'unack' "
                             "AND title = '交接班未交：三车间（白班 20:00 交班，已过 16 分钟，未见交接班记录）'", ws), 1);
    /* 90 minutes before the next change is too early for it */
    const int64_t next = end + 12 * H;
    org_caller at = TRUSTED;
    at.at_ms = next - 90 * M;
    handover_in in = {.unit_id = ws, .note = "夜班无异常。", .person_id = giver};
    OK(handover_give(c, &at, &in, &id));
    at.at_ms += 5 * M;
    OK(handover_take(c, &at, id, true, NULL, taker));
    OK(handover_tick(c, tc.w, next + 16 * M, &raised));
    assert_int_equal(raised, 1);
    /* a handover waits 15 minutes, not 30, before 交接班超时未接 */
    at.at_ms = next + 20 * M;
    in.person_id = taker;
    OK(handover_give(c, &at, &in, &id));
    OK(handover_tick(c, tc.w, next + 34 * M, &raised));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 108 AND source_id = $1", id), 0);
    OK(handover_tick(c, tc.w, next + 36 * M, &raised));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 108 AND source_id = $1 AND state = 'unack'", id), 1);
    /* the figures: one end since the first handover (less 60 minutes), none in time */
    json_t *k = NULL;
    handover_filter hf = {.scope_path = "/", .unit_id = ws};
    OK(handover_kpi(c, &hf, 2, next + 40 * M, &k));
    json_t *u = json_array_get(k, 0);
    assert_int_equal(json_integer_value(json_object_get(u, "wait_min")), 15);
    assert_int_equal(json_integer_value(json_object_get(u, "early_min")), 60);
    assert_int_equal(json_integer_value(json_object_get(u, "shift_ends")), 1);
    assert_int_equal(json_integer_value(json_object_get(u, "in_time")), 0);
    assert_int_equal(json_integer_value(json_object_get(u, "waiting")), 1);
    json_decref(k);
    store_release(c);
    engine_close();
}

/* Retention on the engine's timer (warn_config.retention_days, here 1): at
 * the first checkpoint and then once a day, raw readings of chunks older
 * than a day go and minute buckets older than two days, and the evidence
 * log records it; what is younger stays raw. Three chunks (each sealed by a
 * checkpoint): three days old, a day and a half, an hour. */
static void t_retention(void **state)
{
    (void)state;
    int64_t pid = add_point("GT-106");
    series_config sc = {.max_age_ms = 1}; /* a checkpoint seals every open chunk */
    engine_open_with(&sc, 0);
    const int64_t now = clock_now_ms(), D = 86400000, M = 60000, ago[3] = {3 * D, 3 * D / 2, 3600000};
    for (int g = 0; g < 3; g++) {
        ws_reading r[10];
        for (int k = 0; k < 10; k++) r[k] = rd("GT-106", 2 + k % 3, now - ago[g] + k * M);
        OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 10, NULL));
        usleep(2000);
        OK(warn_tick(tc.w, now + (g + 1) * 11000)); /* a checkpoint: seals the group's chunk */
    }
    engine_close();
    const char *retained = "SELECT count(*) FROM audit_leaf WHERE entity = 'series' AND action = 'retain'";
    assert_int_equal(sql_int(retained, 0), 0);
    tc.retention_days = 1;
    engine_open_with(&sc, 0);
    OK(warn_tick(tc.w, now + 60000));
    assert_int_equal(sql_int(retained, 0), 1);
    series_sample out[64];
    size_t n = 0;
    series_history_info info;
    OK(series_history(tc.ser, pid, now - 4 * D, now - 5 * D / 2, 64, out, &n, &info)); /* all gone */
    assert_int_equal(n, 0);
    OK(series_history(tc.ser, pid, now - ago[1] - M, now - ago[1] + 20 * M, 64, out, &n, &info)); /* minutes only */
    assert_int_equal(n, 10);
    assert_int_not_equal(info.tier, SERIES_TIER_RAW);
    OK(series_history(tc.ser, pid, now - 2 * 3600000, now, 64, out, &n, &info)); /* still raw */
    assert_int_equal(n, 10);
    assert_int_equal(info.tier, SERIES_TIER_RAW);
    OK(warn_tick(tc.w, now + 5 * 60000)); /* once a day */
    assert_int_equal(sql_int(retained, 0), 1);
    engine_close();
    tc.retention_days = 0;
}

/* A reading of quality STALE — what a Sparkplug NDEATH/DDEATH makes of every
 * point of the dead node (ingest/sparkplug.c) — raises the point's 数据中断
 * through the engine and never a value alarm; the next good reading clears
 * it, and a late STALE one changes nothing. */
static void t_stale_quality(void **state)
{
    (void)state;
    add_point("GT-107");
    engine_open();
    int64_t t0 = clock_now_ms() - 60000;
    warn_result res;
    in1("GT-107", 3, t0, &res);
    ws_reading dead = {.source_ms = t0 + 1000, .value = NAN, .quality = WS_Q_STALE};
    snprintf(dead.tag, sizeof dead.tag, "GT-107");
    OK(warn_ingest(tc.w, WARN_SRC_MQTT, &dead, 1, &res));
    const char *stale = "SELECT count(*) FROM alarms WHERE rule_id = $1 AND state = 'unack' AND title LIKE 'GT-107 %数据中断'";
    assert_int_equal(sql_int(stale, 1 + THR_STALE), 1);
    assert_int_equal(open_alarms(), 1);
    in1("GT-107", 3.2, t0 + 2000, &res);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = $1 AND state = 'rtn_unack'", 1 + THR_STALE), 1);
    dead.source_ms = t0 + 1500; /* late: stored, not evaluated */
    OK(warn_ingest(tc.w, WARN_SRC_MQTT, &dead, 1, &res));
    assert_int_equal(res.late, 1);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = $1 AND state = 'rtn_unack'", 1 + THR_STALE), 1);
    engine_close();
}

/* Minutes [i0, i1) of two correlated points MV-A, MV-B (B = 2A + noise;
 * with `off`, B 3 units below its relation), a reading a minute at t0 + i
 * minutes + 1 s. */
static double mv_a(int i) { return 50 + 5 * sin(i / 30.0) + (double)((2654435761u * (unsigned)(i + 1)) >> 20 & 255) / 256.0; }
static void mv_minutes(int64_t t0, int i0, int i1, bool off)
{
    ws_reading r[2 * 256];
    for (int i = i0; i < i1;) {
        int k = 0;
        for (; i < i1 && k < 2 * 256; i++) {
            unsigned h = 2654435761u * (unsigned)(i + 1);
            double a = mv_a(i);
            double b = 2 * a + (double)(h >> 8 & 255) / 256.0 - (off ? 3 : 0);
            r[k++] = rd("MV-A", a, t0 + (int64_t)i * 60000 + 1000);
            r[k++] = rd("MV-B", b, t0 + (int64_t)i * 60000 + 1000);
        }
        OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, (size_t)k, NULL));
    }
}

/* A process monitor's alarm across a restart (monitor.c): raised once after
 * its on-delay while MV-B is off its relation to MV-A; a restart during the
 * departure refits the model from the stored matrix and judges the last
 * hour again without a second raise or a clear, and the alarm is still the
 * one, active. */
static void t_monitor_restart(void **state)
{
    (void)state;
    int64_t ids[2] = {add_point_kind("MV-A", 0, "temperature"), add_point_kind("MV-B", 0, "temperature")};
    engine_open();
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    const int64_t M = 60000, now = clock_now_ms() / M * M, t0 = now - 1600 * M;
    mv_minutes(t0, 0, 1500, false);
    warn_monitor_in in = {.unit_id = tc.unit_id, .name = "两点监控", .point_ids = ids, .npoints = 2,
                          .train_from = t0, .train_to = t0 + 1500 * M};
    int64_t id = 0;
    OK(warn_monitor_create(tc.w, c, &TRUSTED, &in, false, NULL, NULL, &id));
    store_release(c);
    mv_minutes(t0, 1500, 1588, false);
    mv_minutes(t0, 1588, 1600, true); /* the last 12 minutes off */
    OK(warn_tick(tc.w, clock_now_ms()));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 107 AND state = 'unack'", 0), 1);
    assert_int_equal(events_of("raise"), 1);
    const char *changes = "SELECT count(*) FROM alarm_events WHERE kind <> 'escalate'"; /* escalation goes on */
    int64_t events = sql_int(changes, 0);
    engine_close();
    engine_open();
    ws_reading more[2] = {rd("MV-A", 50, now + 1000), rd("MV-B", 97, now + 1000)}; /* live again */
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, more, 2, NULL));
    OK(warn_tick(tc.w, clock_now_ms() + 2000));
    OK(store_acquire(tc.s, &c));
    warn_monitor *m = malloc(sizeof *m);
    OK(warn_monitor_get(tc.w, c, id, m));
    store_release(c);
    assert_int_equal(m->state, WARN_MON_ABNORMAL); /* judged again after the restart */
    assert_true(m->nhist >= 50);
    free(m);
    assert_int_equal(events_of("raise"), 1);
    assert_int_equal(events_of("clear"), 0);
    assert_int_equal(sql_int(changes, 0), events);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 107 AND state = 'unack'", 0), 1);
    engine_close();
}

/* An analyser's sample of minute i: AN-C = A/2 + noise, `off` below it. */
static double an_c(int i, double off) { return mv_a(i) / 2 + (double)((2654435761u * (unsigned)(i + 7)) >> 12 & 255) / 1024.0 - off; }

/* warn_monitor_replay's events counted: [0] starts, [1] raises. */
static bool replay_count(void *arg, const warn_monitor *m, warn_replay_ev ev, int64_t at, double ratio)
{
    (void)m, (void)at, (void)ratio;
    int *n = arg;
    n[0] += ev == WARN_REPLAY_START;
    n[1] += ev == WARN_REPLAY_RAISE;
    return true;
}

/* A point sampled every 15 minutes (an analyser) in a monitor beside two
 * read every minute (monitor.c "hold"): training learns its hold (twice
 * its interval: 30) and a point sampled every 45 minutes is refused by
 * name; live, the monitor judges every minute on the held sample instead
 * of waiting or saying no_data; a sample that arrives after its minute was
 * judged is taken up for the minutes after, so its departure raises the
 * alarm before the next sample; the replay of `rules backtest` raises it
 * too; the holds survive a restart. */
static void t_monitor_held(void **state)
{
    (void)state;
    int64_t ids[4] = {add_point_kind("MV-A", 0, "temperature"), add_point_kind("MV-B", 0, "temperature"),
                      add_point_kind("AN-C", 0, "temperature"), add_point_kind("AN-D", 0, "temperature")};
    engine_open();
    const int64_t M = 60000, now = clock_now_ms() / M * M, t0 = now - 1600 * M;
    mv_minutes(t0, 0, 1560, false);
    for (int i = 0; i < 1560; i++) {
        if (i % 15 == 0) in1("AN-C", an_c(i, 0), t0 + i * M + 20000, NULL);
        if (i % 45 == 0) in1("AN-D", an_c(i, 0), t0 + i * M + 30000, NULL);
    }
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    warn_monitor_in in = {.unit_id = tc.unit_id, .name = "分析仪监控", .point_ids = ids, .npoints = 3,
                          .train_from = t0, .train_to = t0 + 1500 * M};
    int64_t id = 0;
    warn_monitor_fit fit;
    ids[2] = ids[3]; /* every 45 minutes: refused */
    assert_int_equal(warn_monitor_create(tc.w, c, &TRUSTED, &in, true, NULL, &fit, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "point_ids[2]");
    ids[2] = sql_int("SELECT id FROM points WHERE tag = 'AN-C'", 0);
    OK(warn_monitor_create(tc.w, c, &TRUSTED, &in, false, NULL, &fit, &id));
    assert_int_equal(fit.hold_min[0], 5);
    assert_int_equal(fit.hold_min[1], 5);
    assert_int_equal(fit.hold_min[2], 30);
    OK(warn_tick(tc.w, clock_now_ms()));
    warn_monitor *m = malloc(sizeof *m);
    OK(warn_monitor_get(tc.w, c, id, m));
    assert_int_equal(m->state, WARN_MON_NORMAL); /* not waiting for AN-C, nor no_data between its samples */
    assert_int_equal(m->last_minute, t0 + 1558 * M);
    mv_minutes(t0, 1560, 1566, false); /* AN-C's sample of 1560 not in yet */
    OK(warn_tick(tc.w, clock_now_ms() + 2000)); /* monitors are judged once a second at most */
    in1("AN-C", an_c(1560, 4), t0 + 1560 * M + 20000, NULL); /* late, and 4 below its relation */
    mv_minutes(t0, 1566, 1574, false);
    OK(warn_tick(tc.w, clock_now_ms() + 4000));
    /* raised on the late sample: the held one of 1545 stood until 1575 */
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 107 AND title LIKE '%主要贡献 AN-C%'", 0), 1);
    /* the replay of `rules backtest` (from the end of the window, a day at
     * a time) over a range ending 30 s into a minute a whole day on: the
     * departure is raised there too (the sample in its own minute) */
    int raises[2] = {0, 0};
    OK(warn_monitor_replay(c, tc.ser, t0, t0 + (1500 + 1440) * M + 30000, replay_count, raises));
    assert_int_equal(raises[0], 1); /* started */
    assert_int_equal(raises[1], 1);
    engine_close();
    engine_open();
    OK(warn_monitor_get(tc.w, c, id, m));
    assert_int_equal(m->hold_min[2], 30);
    assert_int_equal(m->hold_min[0], 5);
    free(m);
    store_release(c);
    engine_close();
}

/* Minutes [i0, i1) of MV-A, MV-B and the run state RUN-S, which reports
 * only on change (1 running, 0 stopped; Sparkplug's report by exception):
 * running, as mv_minutes; stopped, MV-A, MV-B at ambient, far from their
 * running relation. */
static void run_minutes(int64_t t0, int i0, int i1, bool on)
{
    in1("RUN-S", on ? 1 : 0, t0 + (int64_t)i0 * 60000 + 500, NULL);
    if (on) mv_minutes(t0, i0, i1, false);
    for (int i = i0; i < i1 && !on; i++) {
        int64_t t = t0 + (int64_t)i * 60000 + 1000;
        ws_reading r[2] = {rd("MV-A", 20 + (i % 3) * 0.1, t), rd("MV-B", 25 - (i % 2) * 0.1, t)};
        OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 2, NULL));
    }
}

/* A run condition (运行工况, monitor.c): a monitor of MV-A, MV-B gated on
 * the run state RUN-S >= 0.5 (reported only when it changes, so its value
 * stands for hours) trains on a window with a 200-minute stop in it (those
 * minutes left out), and a later stop is state idle, with no alarm, though
 * the stopped readings are far outside the running model; running again,
 * it judges again, across a restart long after RUN-S last changed. A
 * condition without a bound, or with its bounds the wrong way round, is
 * refused by name. */
static void t_monitor_run(void **state)
{
    (void)state;
    int64_t ids[2] = {add_point_kind("MV-A", 0, "temperature"), add_point_kind("MV-B", 0, "temperature")};
    int64_t flow = add_point_kind("RUN-S", 0, "status");
    engine_open();
    const int64_t M = 60000, now = clock_now_ms() / M * M, t0 = now - 1800 * M;
    run_minutes(t0, 0, 600, true);
    run_minutes(t0, 600, 800, false);
    run_minutes(t0, 800, 1640, true);
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    warn_monitor_in in = {.unit_id = tc.unit_id, .name = "带运行工况", .point_ids = ids, .npoints = 2,
                          .train_from = t0, .train_to = t0 + 1640 * M, .run_point_id = flow, .run_min = NAN,
                          .run_max = NAN};
    int64_t id = 0;
    assert_int_equal(warn_monitor_create(tc.w, c, &TRUSTED, &in, true, NULL, NULL, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "run_min");
    in.run_min = 0.5, in.run_max = 0.5;
    assert_int_equal(warn_monitor_create(tc.w, c, &TRUSTED, &in, true, NULL, NULL, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "run_max");
    in.run_max = NAN;
    OK(warn_monitor_create(tc.w, c, &TRUSTED, &in, false, NULL, NULL, &id));
    warn_monitor *m = malloc(sizeof *m);
    OK(warn_monitor_get(tc.w, c, id, m));
    assert_int_equal(m->samples, 1640 - 200); /* the shutdown left out */
    assert_int_equal(m->run_point_id, flow);
    assert_true(m->run_min == 0.5 && isnan(m->run_max));
    run_minutes(t0, 1640, 1670, false);
    OK(warn_tick(tc.w, clock_now_ms()));
    OK(warn_monitor_get(tc.w, c, id, m));
    assert_int_equal(m->state, WARN_MON_IDLE);
    assert_int_equal(m->last_minute, t0 + 1668 * M);
    run_minutes(t0, 1670, 1700, true);
    OK(warn_tick(tc.w, clock_now_ms() + 2000));
    OK(warn_monitor_get(tc.w, c, id, m));
    assert_int_equal(m->state, WARN_MON_NORMAL);
    /* a restart two hours after RUN-S last changed: its value is read back
     * from before the hour judged again, not missing */
    engine_close();
    engine_open();
    mv_minutes(t0, 1700, 1795, false);
    OK(warn_tick(tc.w, clock_now_ms()));
    OK(warn_monitor_get(tc.w, c, id, m));
    assert_int_equal(m->state, WARN_MON_NORMAL);
    assert_int_equal(m->last_minute, t0 + 1793 * M);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 107", 0), 0);
    free(m);
    store_release(c);
    engine_close();
}

/* The backtest's bounds (warn/backtest.h): a range holding more readings
 * than the budget is refused naming "to", with nothing reported; within it
 * every reading is replayed (GT-108's one excursion over H is there); a scope
 * without the point replays nothing of it. */
static void t_backtest_bounds(void **state)
{
    (void)state;
    add_point("GT-108");
    engine_open();
    const int64_t M = 60000, t0 = clock_now_ms() / M * M - 120 * M;
    for (int i = 0; i < 100; i++) in1("GT-108", i == 50 ? 30 : 2 + i % 3, t0 + i * M, NULL);
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    rule_set *set = calloc(1, sizeof *set);
    const char *d = rule_set_default_json();
    OK(rule_set_parse(d, strlen(d), set));
    warn_backtest *b = NULL;
    warn_backtest_opts o = {t0, t0 + 100 * M, "/", NULL, 0, 99};
    assert_int_equal(warn_backtest_run(c, tc.ser, set, &o, &b), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "to");
    assert_null(b);
    o.max_readings = 100;
    OK(warn_backtest_run(c, tc.ser, set, &o, &b));
    json_t *j = warn_backtest_json(b, 1);
    assert_int_equal(json_integer_value(json_object_get(j, "readings")), 100);
    json_t *x = json_array_get(json_object_get(j, "results"), 0);
    assert_string_equal(json_string_value(json_object_get(x, "rule")), "H");
    assert_string_equal(json_string_value(json_object_get(x, "source")), "GT-108");
    assert_int_equal(json_integer_value(json_object_get(x, "raises")), 1);
    json_decref(j);
    warn_backtest_free(b);
    o.scope_path = "/nowhere/";
    OK(warn_backtest_run(c, tc.ser, set, &o, &b));
    j = warn_backtest_json(b, 1);
    assert_int_equal(json_integer_value(json_object_get(j, "points")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "readings")), 0);
    json_decref(j);
    warn_backtest_free(b);
    free(set);
    store_release(c);
    engine_close();
}

int main(void)
{
    const struct CMUnitTest sq[] = {
        T(t_escalation_pages, &fx_sqlite), T(t_bypass_overdue, &fx_sqlite), T(t_retention, &fx_sqlite),
        T(t_stale_quality, &fx_sqlite), T(t_monitor_restart, &fx_sqlite), T(t_monitor_held, &fx_sqlite),
        T(t_monitor_run, &fx_sqlite), T(t_backtest_bounds, &fx_sqlite), T(t_handover_waiting, &fx_sqlite),
        T(t_handover_missed, &fx_sqlite), T(t_handover_settings, &fx_sqlite),
    };
    int rc = cmocka_run_group_tests_name("warn plant (sqlite)", sq, group_setup, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        const struct CMUnitTest pq[] = {
            T(t_escalation_pages, &fx_pg), T(t_bypass_overdue, &fx_pg), T(t_retention, &fx_pg),
            T(t_stale_quality, &fx_pg), T(t_monitor_restart, &fx_pg), T(t_monitor_held, &fx_pg),
            T(t_monitor_run, &fx_pg), T(t_backtest_bounds, &fx_pg), T(t_handover_waiting, &fx_pg),
            T(t_handover_missed, &fx_pg), T(t_handover_settings, &fx_pg),
        };
        rc |= cmocka_run_group_tests_name("warn plant (postgres)", pq, group_setup, group_teardown);
    }
    return rc;
}
