/* demo.c — what `worksafe demo` shows of early warning: a duty roster for
 * the week (四班两倒: four crews on the enterprise's day and night shifts,
 * with the manager and safety officer on call), an equipment register entry with a work order, an
 * active interlock bypass, and alarms in every state, raised through the
 * engine itself from readings of the demo's detectors:
 *
 *   GT-103  报警, cleared, acknowledged and closed with its handling record
 *   AT-201  报警 (methanol over its exposure limit), acknowledged, still active
 *   GT-301  紧急 (over HH 50 %LEL at the loading arm) and its 报警, unacknowledged
 *   OX-201  报警 (oxygen deficiency), returned to normal, unacknowledged
 *   GT-302  报警, shelved while the detector is calibrated, with its reason
 *
 * and, before those, a week of alarms handled and closed, each with its
 * cause and action (the history tab, the 报警记录台账 and the KPI page have
 * a week to show): the pump seal of the work order, an exhaust fan trip,
 * nitrogen purging, GT-102's flange weep at the very minutes the week of
 * readings (hazard_demo_readings) has it over H, a worn loading arm seal,
 * and GT-104 chattering across H for half a minute (a wet sensor head;
 * the KPI page's bad actors name it).
 *
 * The gas detectors have response cards (报警处置卡: steps, time limit,
 * cause, consequence), so each alarm and duty message says what to do.
 *
 * Times are relative to now, so the console looks alive whenever the demo
 * is made. Runs once, on a fresh demo database (cmd_demo.c). */
#include "warn/warn_int.h"

#include <stdio.h>
#include <string.h>

#include "plant/plant.h"
#include "telemetry/point.h"
#include "telemetry/response.h"

static ws_err in1(warn *w, const char *tag, double v, int64_t t)
{
    ws_reading r = {.source_ms = t, .value = v, .quality = 0};
    snprintf(r.tag, sizeof r.tag, "%s", tag);
    return warn_ingest(w, WARN_SRC_HTTP, &r, 1, NULL);
}

static int64_t open_id(warn *w, const char *tag, int cond)
{
    const wpoint *p = NULL;
    for (size_t i = 0; i < w->npts; i++)
        if (!strcmp(w->pts[i].tag, tag)) p = &w->pts[i];
    const alarm *a = p ? alarm_table_get(w->alarms, WARN_RULE_THR_BASE + cond, p->id) : NULL;
    return a ? a->id : 0;
}

/* 四班两倒 (org_demo_crew_on) from eight days back to six days on (the week
 * of alarms handled was handled by the people on duty then): four crews
 * 甲乙丙丁班 (plant crews; 甲班 is crew 0, 冯超's), and
 * each shift its crew's 班长 (grid_leader) and three operators, and the
 * 值班领导 (manager) and 安全值班 (safety_officer) of its day, who are on
 * call 24 h from 08:00. The shift running now has 冯超's crew, 王建国 and
 * 张丽; the next one 王磊's crew. */
static ws_err rosters(store_conn *c, const org_demo_ids *ids, int64_t now)
{
    static const audit_actor who = {"cli"};
    const org_caller by = {&who, NULL};
    int64_t day_shift, night_shift;
    plant_shift_in d = {.unit_id = ids->enterprise, .name = "白班", .start = "08:00", .length_min = 720, .active = true};
    plant_shift_in n = {.unit_id = ids->enterprise, .name = "夜班", .start = "20:00", .length_min = 720, .active = true};
    ws_err rc = plant_shift_create(c, &by, &d, &day_shift);
    if (!rc) rc = plant_shift_create(c, &by, &n, &night_shift);
    org_unit ent;
    int64_t today, t8, t20;
    if (!rc) rc = org_unit_get(c, ids->enterprise, &ent);
    if (!rc) rc = plant_local_day(ent.tz, now, &today);
    if (!rc) rc = plant_local_to_utc(ent.tz, today, 8 * 60, &t8);
    if (!rc) rc = plant_local_to_utc(ent.tz, today, 20 * 60, &t20);
    if (rc) return rc;
    /* the four crews 甲乙丙丁班, each of a 班长 and three operators */
    static const char *const crew_names[4] = {"甲班", "乙班", "丙班", "丁班"};
    int64_t crew_id[4];
    for (int i = 0; !rc && i < 4; i++) {
        int64_t pids[ORG_DEMO_CREW_SIZE];
        const char *roles[ORG_DEMO_CREW_SIZE];
        for (int m = 0; m < ORG_DEMO_CREW_SIZE; m++) {
            pids[m] = ids->crew[i][m];
            roles[m] = m == ORG_CREW_LEADER ? "grid_leader" : "operator";
        }
        plant_crew_in ci = {.unit_id = ids->enterprise, .name = crew_names[i], .nmembers = ORG_DEMO_CREW_SIZE,
                            .person_ids = pids, .roles = roles};
        rc = plant_crew_create(c, &by, &ci, &crew_id[i]);
    }
    if (rc) return rc;
    const bool s0_day = now >= t8 && now < t20;
    const int64_t d0 = now < t8 ? today - 1 : today; /* the day shift 0 belongs to */
    enum { DAYS = 15 };
    char days[DAYS][11];
    plant_roster_in in[DAYS * 2 * 6];
    size_t k = 0;
    for (int i = 0; i < DAYS; i++) {
        const int64_t day = today - 8 + i, from0 = day - d0;
        plant_date_format(day, days[i]);
        const int64_t sh[2] = {day_shift, night_shift};
        for (int j = 0; j < 2; j++) {
            const int on = org_demo_crew_on(2 * from0 + j - !s0_day, s0_day);
            const int64_t *crew = ids->crew[on];
            in[k++] = (plant_roster_in){sh[j], crew[ORG_CREW_LEADER], days[i], "grid_leader", crew_id[on]};
            for (int m = ORG_CREW_LEADER + 1; m < ORG_DEMO_CREW_SIZE; m++)
                in[k++] = (plant_roster_in){sh[j], crew[m], days[i], "operator", crew_id[on]};
            in[k++] = (plant_roster_in){sh[j], ids->duty_manager[((from0 % 4) + 4) % 4], days[i], "manager"};
            in[k++] = (plant_roster_in){sh[j], ids->duty_safety[((from0 % 2) + 2) % 2], days[i], "safety_officer"};
        }
    }
    return plant_roster_add(c, &by, in, k, NULL);
}

static ws_err registers(store_conn *c, const org_demo_ids *ids, int64_t now)
{
    static const audit_actor who = {"cli"};
    const org_caller by = {&who, NULL};
    /* found and bypassed a day ago, so that the day of handovers hands them on */
    const org_caller day_ago = {&who, NULL, now - 26 * 3600000LL};
    int64_t eq, wo, bp;
    plant_equipment_in e = {.unit_id = ids->area_tank_farm, .code = "P-101A", .name = "甲醇装车泵 A",
                            .kind = "pump", .status = "in_service"};
    ws_err rc = plant_equipment_create(c, &by, &e, &eq);
    plant_workorder_in w = {.equipment_id = eq, .kind = "corrective", .title = "P-101A 机械密封渗漏",
                            .description = "巡检发现密封处有甲醇渗漏痕迹，更换机械密封", .due_at = now + 2 * 86400000LL};
    if (!rc) rc = plant_workorder_open(c, &day_ago, &w, &wo, NULL);
    plant_bypass_in b = {.unit_id = ids->area_tank_farm, .equipment_id = eq,
                         .interlock = "T-101 高液位联锁 LSHH-101",
                         .reason = "液位计 LT-101 校验，临时旁路",
                         .measures = "专人现场监护液位，装车流量限制在 30 m³/h，校验完成立即恢复",
                         .requested_by_person_id = ids->person_dept_head,
                         .expires_at = now + 6 * 3600000LL};
    if (!rc) rc = plant_bypass_request(c, &day_ago, &b, &bp);
    if (!rc) rc = plant_bypass_approve(c, &day_ago, bp, ids->person_safety_officer);
    if (!rc) rc = plant_bypass_activate(c, &day_ago, bp);
    return rc;
}

/* Who acted in the demo's past: the person on the roster in role at instant
 * at (the crew's 班长, the safety officer on call), as themselves. Those
 * without an account act under their name, as through the signed link of
 * their duty message (warn_ack_link). d must stay put while d->by is used. */
typedef struct duty_actor {
    auth_subject s;
    char name[32];
    audit_actor a;
    org_caller by;
} duty_actor;

/* d acting as person (account name username, roles), over the whole park. */
static void as_person(duty_actor *d, const org_demo_ids *ids, int64_t person, unsigned roles, const char *username)
{
    memset(d, 0, sizeof *d);
    d->s.account_id = 1;
    d->s.person_id = person;
    d->s.roles = roles;
    snprintf(d->s.username, sizeof d->s.username, "%.63s", username);
    snprintf(d->s.scope_path, sizeof d->s.scope_path, "/%lld/", (long long)ids->park);
    d->s.scope_unit_id = ids->park;
    snprintf(d->name, sizeof d->name, "person:%lld", (long long)person); /* sealed as the person */
    d->a.name = d->name;
    d->by = (org_caller){&d->a, &d->s};
}

static ws_err on_duty(store_conn *c, const org_demo_ids *ids, const char *role, int64_t at, duty_actor *d)
{
    int64_t on[8];
    size_t n = 0;
    ws_err rc = plant_on_duty(c, ids->enterprise, role, at, on, 8, &n);
    if (!rc && !n) rc = ws_fail(WS_EINTERNAL, NULL, "nobody on the demo's roster as %s", role);
    org_person p;
    if (!rc) rc = org_person_get(c, on[0], &p);
    if (rc) return rc;
    as_person(d, ids, on[0], strcmp(role, "grid_leader") ? ROLE_SAFETY_OFFICER : ROLE_GRID_LEADER, p.name);
    return WS_OK;
}

/* An alarm of the past week, handled: a reading before, the peak at minute
 * `at` of the week of readings (0 a week ago, as hazard_demo_readings), the
 * acknowledgement, the reading back to normal and the close, minutes after
 * the peak. */
typedef struct past_alarm {
    const char *tag;
    int at;
    double before, peak, after;
    int ack_min, clear_min, close_min;
    bool by_grid_leader; /* acknowledged by the 班长 on duty, else the safety officer */
    const char *cause, *action;
} past_alarm;

static const past_alarm PAST[] = {
    {"GT-201", 1 * 1440 + 500, 1.2, 27.6, 2.1, 2, 8, 35, true, "P-101A 机械密封渗漏，泵房内甲醇蒸气积聚",
     "切换至备用泵 P-101B，开启强制通风，开具 P-101A 机械密封更换工单"},
    {"AT-201", 2 * 1440 + 300, 6.0, 29.0, 7.5, 6, 20, 55, false, "泵房排风机 EF-02 跳停，甲醇浓度升高",
     "复位并恢复排风机运行，人员撤至上风向，复测低于接触限值后恢复作业"},
    {"OX-201", 3 * 1440 + 1320, 20.8, 19.2, 20.7, 9, 15, 70, true, "R-201 氮气置换后人孔附近氧含量偏低",
     "加强通风置换，进入前复测氧含量，受限空间作业票补录气体检测记录"},
    /* the week of readings has GT-102 over H from minute 4·1440 + 611 */
    {"GT-102", 4 * 1440 + 611, 12.0, 25.2, 1.0, 4, 4, 50, true, "T-102 罐根进料阀法兰渗漏",
     "更换法兰垫片并紧固，便携式检测仪复测 0 %LEL，列入月度检修计划"},
    {"GT-301", 5 * 1440 + 700, 3.0, 26.1, 2.2, 1, 3, 30, true, "1# 鹤管密封圈磨损，装车时少量逸散",
     "暂停装车，更换鹤管密封圈，复测合格后恢复装车"},
};

/* Each acknowledged by the 班长 or the safety officer on duty then, and
 * closed by the safety officer on duty then. */
static ws_err past_week(warn *w, store_conn *c, const org_demo_ids *ids, int64_t now)
{
    const int64_t M = 60000, start = (now / M - 7 * 1440) * M;
    ws_err rc = WS_OK;
    for (size_t i = 0; !rc && i < sizeof PAST / sizeof PAST[0]; i++) {
        const past_alarm *a = &PAST[i];
        int64_t t = start + a->at * M + 30000; /* between the week's readings, a minute apart */
        int cond = a->peak < a->before ? THR_L : THR_H;
        duty_actor ack, close;
        rc = on_duty(c, ids, a->by_grid_leader ? "grid_leader" : "safety_officer", t + a->ack_min * M, &ack);
        if (!rc) rc = on_duty(c, ids, "safety_officer", t + a->close_min * M, &close);
        if (!rc) rc = in1(w, a->tag, a->before, t - 3 * M);
        if (!rc) rc = in1(w, a->tag, a->peak, t);
        if (!rc) rc = warn_operate_at(w, &ack.by, open_id(w, a->tag, cond), OP_ACK, &(op_args){0}, false,
                                      t + a->ack_min * M);
        if (!rc) rc = in1(w, a->tag, a->after, t + a->clear_min * M);
        if (!rc) rc = warn_operate_at(w, &close.by, open_id(w, a->tag, cond), OP_CLOSE,
                                      &(op_args){.cause = a->cause, .action = a->action}, false,
                                      t + a->close_min * M);
    }
    return rc;
}

/* GT-104 chattering two days ago: readings every 5 s either side of H (25,
 * deadband 1) for half a minute — three annunciations, six transitions, one
 * short of the core's flap suppression — then back to normal; acknowledged
 * by the 班长 on duty and closed with its record by the safety officer. */
static ws_err chatter(warn *w, store_conn *c, const org_demo_ids *ids, int64_t now)
{
    const int64_t M = 60000, t0 = (now / M - 2 * 1440 - 260) * M + 30000;
    duty_actor ack, close;
    ws_err rc = on_duty(c, ids, "grid_leader", t0 + 5 * M, &ack);
    if (!rc) rc = on_duty(c, ids, "safety_officer", t0 + 45 * M, &close);
    if (!rc) rc = in1(w, "GT-104", 3.5, t0 - M);
    for (int i = 0; !rc && i < 6; i++) rc = in1(w, "GT-104", i % 2 ? 23.2 : 26.8, t0 + i * 5000);
    if (!rc) rc = in1(w, "GT-104", 3.2, t0 + 2 * M);
    if (!rc) rc = in1(w, "GT-104", 3.1, t0 + 4 * M);
    if (!rc) rc = warn_operate_at(w, &ack.by, open_id(w, "GT-104", THR_H), OP_ACK, &(op_args){0}, false, t0 + 5 * M);
    if (!rc) rc = warn_operate_at(w, &close.by, open_id(w, "GT-104", THR_H), OP_CLOSE,
                                  &(op_args){.cause = "T-104 罐根探头防雨罩脱落，探头受潮，读数在报警值附近跳变",
                                             .action = "装回防雨罩并烘干探头，标定合格；列入报警评审：评估该点增加 10 秒延时"},
                                  false, t0 + 45 * M);
    return rc;
}

/* Response cards (报警处置卡) of the demo's gas detectors, written by the
 * safety officer: what the person paged does, within how many minutes. */
static ws_err response_cards(warn *w, store_conn *c, const org_caller *by_so)
{
    static const struct {
        const char *tags[4];
        point_response_in in;
    } cards[] = {
        {{"GT-101", "GT-102", "GT-103", "GT-104"},
         {"罐根法兰、阀门或排污口渗漏；探头受潮或标定漂移", "可燃气体在防火堤内积聚，遇点火源闪爆",
          "通知内操查看罐区液位与阀门状态，暂停该罐收发料\n佩戴便携式四合一检测仪到现场，从上风向接近确认泄漏点\n"
          "确认泄漏：关闭根部阀，设警戒区，禁止一切动火和车辆进入，报告安全员\n确认误报：记录读数，联系仪表工标定",
          10}},
        {{"GT-301", "GT-302", NULL, NULL},
         {"鹤管密封圈磨损或快速接头未锁紧，装车时逸散", "装车区可燃气体积聚，静电或车辆火花引燃",
          "立即停止装车，关闭鹤管切断阀和紧急切断阀\n罐车熄火，司机离开驾驶室到安全区\n"
          "佩戴便携式检测仪确认泄漏点，超过 50 %LEL 时启动装车区喷淋\n检测低于 10 %LEL 且处理完毕后，经安全员同意方可恢复装车",
          5}},
        {{"GT-201", "AT-201", NULL, NULL},
         {"装车泵机械密封渗漏，或泵房排风机停运", "甲醇蒸气积聚：中毒和爆炸",
          "确认泵房排风机运行，未运行时立即启动备用风机\n人员佩戴防毒面具后进入，切换至备用泵并隔离漏点\n"
          "浓度超过接触限值 2 倍时撤离泵房，报告安全员启动应急预案",
          5}},
        {{"OX-201", NULL, NULL, NULL},
         {"氮气置换或氮封泄漏，釜旁通风不良", "缺氧窒息",
          "禁止人员进入釜旁和受限空间，已进入者立即撤出\n开启强制通风，查找氮气泄漏点并关闭氮气阀\n"
          "复测氧含量 19.5～23.5 %VOL 后方可进入",
          3}},
    };
    ws_err rc = WS_OK;
    for (size_t i = 0; !rc && i < sizeof cards / sizeof cards[0]; i++)
        for (int k = 0; !rc && k < 4 && cards[i].tags[k]; k++) {
            wpoint *p = NULL;
            for (size_t j = 0; j < w->npts && !p; j++)
                if (!strcmp(w->pts[j].tag, cards[i].tags[k])) p = &w->pts[j];
            if (p) rc = point_response_put(c, by_so, p->id, &cards[i].in, NULL);
            /* the engine's register as a reload would read it (the demo's
             * engine runs no thread yet) */
            if (p && !rc) p->respond_ms = cards[i].in.response_min * 60000;
        }
    return rc;
}

/* R-201's process monitor (多变量过程监控): TI-201, PI-201, FI-201, TI-202 and
 * the analyser AI-201 (a sample every 15 minutes, held 30), judged while
 * FI-201 shows feed (≥ 3 m³/h: the third day's stop is left out),
 * trained by the safety officer on the first six days of the week of
 * readings, then judged over the last day: the jacket outlet's half hour off
 * its relation sixteen hours ago (raised, cleared, acknowledged and closed
 * with its record by the 班长 on duty then)
 * and again for the last 25 minutes (active, not yet acknowledged) —
 * hazard/demo.c's reactor_value. */
static ws_err reactor_monitor(warn *w, store_conn *c, const org_caller *by_so, const org_demo_ids *demo,
                              int64_t now)
{
    static const char *const tags[] = {"TI-201", "PI-201", "FI-201", "TI-202", "AI-201"};
    enum { NP = sizeof tags / sizeof tags[0] };
    const int64_t M = 60000, start = (now / M - 7 * 1440) * M;
    int64_t ids[NP];
    for (int k = 0; k < NP; k++) {
        const wpoint *p = NULL;
        for (size_t i = 0; i < w->npts; i++)
            if (!strcmp(w->pts[i].tag, tags[k])) p = &w->pts[i];
        if (!p) return ws_fail(WS_EINTERNAL, NULL, "demo point %s missing", tags[k]);
        ids[k] = p->id;
    }
    const wpoint *ti = warn_find_point(w, ids[0]);
    warn_monitor_in in = {.unit_id = ti->unit_id, .name = "R-201 反应釜",
                          .comment = "开车稳定后连续 6 天正常运行的数据训练；夹套冷却与反应负荷联动",
                          .point_ids = ids, .npoints = NP, .train_from = start, .train_to = start + 6 * 1440 * M,
                          .level = ALARM_LVL_NOTICE, .on_delay_min = 5,
                          .run_point_id = ids[2], .run_min = 3, .run_max = NAN}; /* FI-201: running */
    int64_t id = 0;
    ws_err rc = warn_monitor_create(w, c, by_so, &in, false, NULL, NULL, &id);
    if (rc) return rc;
    int64_t ep = start + (6 * 1440 + 480) * M; /* the first episode */
    monitor_judge_until(w, id, ep + 3 * 60 * M);
    pthread_mutex_lock(&w->mu);
    const alarm *a = alarm_table_get(w->alarms, WARN_RULE_MVMON, id);
    int64_t aid = a ? a->id : 0;
    pthread_mutex_unlock(&w->mu);
    if (!aid) return ws_fail(WS_EINTERNAL, NULL, "the demo's process monitor raised nothing");
    duty_actor ack, close; /* the 班长 on duty handles a process deviation */
    rc = on_duty(c, demo, "grid_leader", ep + 12 * M, &ack);
    if (!rc) rc = on_duty(c, demo, "grid_leader", ep + 170 * M, &close);
    if (!rc) rc = warn_operate_at(w, &ack.by, aid, OP_ACK, &(op_args){0}, false, ep + 12 * M);
    if (!rc) rc = warn_operate_at(w, &close.by, aid, OP_CLOSE,
                                  &(op_args){.cause = "R-201 夹套冷却水调节阀定位器故障，阀门振荡，夹套出口温度偏离负荷对应值",
                                             .action = "切至手动稳定冷却水量，更换阀门定位器并整定回路，复核温度关系恢复"},
                                  false, ep + 170 * M);
    if (!rc) monitor_judge_until(w, id, now);
    return rc;
}

ws_err warn_demo_seed(warn *w, store_conn *c, const org_demo_ids *ids, int64_t now)
{
    ws_err rc = rosters(c, ids, now);
    if (!rc) rc = registers(c, ids, now);
    if (rc) return rc;
    /* the safety officer's account; sealed as the people who act, as the permit and hazard demos do */
    duty_actor so;
    as_person(&so, ids, ids->person_safety_officer, ROLE_SAFETY_OFFICER, "safety");
    const org_caller by_so = so.by;
    const int64_t M = 60000;
    rc = response_cards(w, c, &by_so);
    if (!rc) rc = past_week(w, c, ids, now);
    if (!rc) rc = chatter(w, c, ids, now);
    /* GT-103: an excursion three hours ago, handled and closed */
    if (!rc) rc = in1(w, "GT-103", 6.2, now - 185 * M + 30000);
    if (!rc) rc = in1(w, "GT-103", 31.4, now - 180 * M + 30000);
    duty_actor da;
    if (!rc) rc = on_duty(c, ids, "safety_officer", now - 178 * M, &da);
    if (!rc) rc = warn_operate_at(w, &da.by, open_id(w, "GT-103", THR_H), OP_ACK, &(op_args){0}, false,
                                  now - 178 * M);
    if (!rc) rc = in1(w, "GT-103", 4.8, now - 170 * M + 30000);
    if (!rc) rc = on_duty(c, ids, "safety_officer", now - 150 * M, &da);
    if (!rc) rc = warn_operate_at(w, &da.by, open_id(w, "GT-103", THR_H), OP_CLOSE,
                                  &(op_args){.cause = "T-103 罐根法兰垫片老化渗漏",
                                             .action = "更换垫片并紧固，便携式检测复测 0 %LEL，恢复正常"},
                                  false, now - 150 * M);
    /* OX-201: oxygen deficiency during nitrogen purging, back to normal, not yet acknowledged */
    if (!rc) rc = in1(w, "OX-201", 20.8, now - 95 * M + 30000);
    if (!rc) rc = in1(w, "OX-201", 19.1, now - 90 * M + 30000);
    if (!rc) rc = in1(w, "OX-201", 20.9, now - 80 * M + 30000);
    /* GT-302: over H, shelved while the detector is calibrated */
    if (!rc) rc = in1(w, "GT-302", 27.5, now - 120 * M + 30000);
    if (!rc) rc = on_duty(c, ids, "safety_officer", now - 115 * M, &da);
    if (!rc) rc = warn_operate_at(w, &da.by, open_id(w, "GT-302", THR_H), OP_SHELVE,
                                  &(op_args){.reason = "探头标定中，便携式检测仪现场监护", .until_ms = now + 4 * 60 * M},
                                  false, now - 115 * M);
    /* AT-201: methanol over its exposure limit, acknowledged by the 班长 on duty, still active */
    if (!rc) rc = in1(w, "AT-201", 12.0, now - 45 * M + 30000);
    if (!rc) rc = in1(w, "AT-201", 31.0, now - 40 * M + 30000);
    if (!rc) rc = on_duty(c, ids, "grid_leader", now - 37 * M, &da);
    if (!rc) rc = warn_operate_at(w, &da.by, open_id(w, "AT-201", THR_H), OP_ACK, &(op_args){0}, false,
                                  now - 37 * M);
    /* GT-301: 紧急 at the loading arm, six minutes ago, nobody has acknowledged */
    if (!rc) rc = in1(w, "GT-301", 8.0, now - 7 * M + 30000);
    if (!rc) rc = in1(w, "GT-301", 56.0, now - 6 * M);
    if (!rc) rc = reactor_monitor(w, c, &by_so, ids, now);
    return rc;
}
