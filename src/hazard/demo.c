/* demo.c — the safety records of the demo plant (`worksafe demo`): a risk
 * register for 华东精细化工 (a major-hazard tank farm with its three responsible
 * persons, the synthesis workshop's reactors, the distillation unit, the
 * loading station) assessed by LEC, with control measures and inspection
 * tasks; a drawn plan of each site with its areas' polygons for the
 * four-colour map; its gas detectors and DCS tags (位号) with the GB/T 50493
 * defaults; and hidden dangers in every state of their lifecycle,
 * moved there through the same code paths and guards as a user's requests
 * (reported by the grid's people, graded and assigned by the safety officer,
 * rectified by the assignee, accepted by someone else; a 重大 one with 五落实,
 * its 治理方案 and 挂牌督办; one past its deadline, marked overdue by the
 * timer). Runs inside the demo's transaction after org_demo_seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "attach/attach.h"
#include "core/clock.h"
#include "hazard/hazard.h"
#include "org/org.h"
#include "risk/risk.h"
#include "telemetry/point.h"
#include "telemetry/gorilla.h"
#include "telemetry/series.h"

#define DAY 86400000LL
#define HOUR 3600000LL
#define MINUTE 60000LL

typedef struct demo_ctx {
    store_conn *c;
    const audit_actor *who;
    org_caller trusted;
    int64_t ent;
    char ent_path[AUTH_PATH_MAX];
} demo_ctx;

/* A unit by code, with its leader (0 when none); 0 when missing. */
static int64_t unit_of(demo_ctx *d, const char *code, int64_t *leader)
{
    org_unit u;
    if (org_unit_by_code(d->c, code, &u)) return 0;
    if (leader) *leader = u.leader_person_id;
    return u.id;
}

static void as_person(demo_ctx *d, auth_subject *s, int64_t person, unsigned roles)
{
    memset(s, 0, sizeof *s);
    s->account_id = 1;
    s->person_id = person;
    s->roles = roles;
    snprintf(s->scope_path, sizeof s->scope_path, "%s", d->ent_path);
}

/* ------------------------------------------------------------ register */

typedef struct demo_event {
    const char *description, *accident_type;
    double inherent[3], residual[3];
    const char *measures[3][2]; /* category, text */
    const char *task, *frequency, *post; /* the inspection task of the first measure */
    int every_hours;
} demo_event;

static ws_err add_event(demo_ctx *d, int64_t runit, const demo_event *e, int64_t grid,
                        int64_t *event_id)
{
    risk_event_in ev = {.risk_unit_id = runit, .description = e->description,
                        .accident_type = e->accident_type, .method = "LEC", .has_residual = true,
                        .active = true};
    memcpy(ev.inherent, e->inherent, sizeof ev.inherent);
    memcpy(ev.residual, e->residual, sizeof ev.residual);
    ws_err rc = risk_event_create(d->c, &d->trusted, &ev, event_id);
    for (int i = 0; !rc && i < 3 && e->measures[i][0]; i++) {
        risk_measure_in m = {.event_id = *event_id, .category = e->measures[i][0],
                             .text = e->measures[i][1], .active = true};
        int64_t mid = 0;
        rc = risk_measure_create(d->c, &d->trusted, &m, &mid);
        if (!rc && i == 0 && e->task) {
            org_post p;
            risk_task_in t = {.measure_id = mid, .what = e->task, .frequency = e->frequency,
                              .every_hours = e->every_hours, .active = true};
            if (e->post && !org_post_find(d->c, d->ent, e->post, &p)) t.post_id = p.id;
            else t.grid_unit_id = grid;
            int64_t tid = 0;
            rc = risk_task_create(d->c, &d->trusted, &t, &tid);
        }
    }
    return rc;
}

static ws_err seed_register(demo_ctx *d, const org_demo_ids *ids, int64_t *ev_tank,
                            int64_t *ev_reactor)
{
    int64_t gq_leader = 0, hc_leader = 0, zx_leader = 0;
    int64_t gq = unit_of(d, "HDJX-S2-GQ", &gq_leader), hc = unit_of(d, "HDJX-S1-HC", &hc_leader);
    int64_t zx = unit_of(d, "HDJX-S2-ZX", &zx_leader);
    int64_t g_tank = unit_of(d, "HDJX-S2-GQ-G1", NULL), g_reactor = unit_of(d, "HDJX-S1-HC-G1", NULL);
    int64_t g_load = unit_of(d, "HDJX-S2-ZX-G1", NULL);
    if (!gq || !hc || !zx || !g_tank || !g_reactor || !g_load)
        return ws_fail(WS_EINTERNAL, NULL, "the demo organisation lacks its areas");
    /* An area without a leader answers to the head of production. */
    if (!gq_leader) gq_leader = ids->person_dept_head;
    if (!hc_leader) hc_leader = ids->person_dept_head;
    if (!zx_leader) unit_of(d, "HDJX-S2-ZX-G1", &zx_leader);
    if (!zx_leader) zx_leader = ids->person_dept_head;
    ws_err rc;
    int64_t obj = 0, ru = 0, ev = 0;

    /* 罐区: a 重大危险源 with its three 包保责任人. */
    risk_object_in tank = {.unit_id = gq, .kind = "installation", .code = "MH-01",
                           .name = "甲醇罐区 (二级重大危险源)",
                           .description = "4 × 2000 m³ 内浮顶甲醇储罐, 防火堤, 泡沫站",
                           .responsible_person_id = gq_leader, .major_hazard = true,
                           .mh_principal_person_id = ids->person_manager,
                           .mh_technical_person_id = ids->person_safety_officer,
                           .mh_operational_person_id = gq_leader,
                           .active = true};
    if ((rc = risk_object_create(d->c, &d->trusted, &tank, &obj))) return rc;
    risk_unit_in tu = {.object_id = obj, .name = "甲醇储罐 T-101~T-104", .description = "储存、收发",
                       .responsible_person_id = gq_leader, .active = true};
    if ((rc = risk_unit_create(d->c, &d->trusted, &tu, &ru))) return rc;
    static const demo_event tank_leak = {
        "储罐或管线泄漏, 遇点火源引发火灾爆炸", "08", {3, 6, 40}, {3, 6, 40}, /* interlock missing */
        {{"engineering", "可燃气体检测报警仪与罐根紧急切断阀联锁, SIS 独立设置"},
         {"management", "每班巡检液位、压力、呼吸阀, 动火作业按一级管理"},
         {"emergency", "罐区泄漏火灾专项预案, 每半年演练一次"}},
        "检查可燃气体报警仪在线、示值正常, 紧急切断阀处于自动位", "daily", NULL};
    if ((rc = add_event(d, ru, &tank_leak, g_tank, ev_tank))) return rc;
    static const demo_event tank_confined = {
        "清罐作业中毒和窒息", "19", {1, 2, 40}, {0.5, 2, 15},
        {{"management", "受限空间作业票, 作业前 30 分钟内气体分析"},
         {"ppe", "正压式空气呼吸器、安全绳"},
         {"emergency", "有人晕倒严禁盲目施救: 佩戴正压式空气呼吸器救援, 同时呼叫 120"}},
        "检查正压式空气呼吸器压力与有效期", "weekly", "safety_officer"};
    if ((rc = add_event(d, ru, &tank_confined, g_tank, &ev))) return rc;

    /* 合成车间: the reactors. */
    risk_object_in syn = {.unit_id = hc, .kind = "process", .code = "PR-HC-01",
                          .name = "磺化反应工艺 (重点监管危险化工工艺)",
                          .responsible_person_id = hc_leader, .active = true};
    if ((rc = risk_object_create(d->c, &d->trusted, &syn, &obj))) return rc;
    risk_unit_in su = {.object_id = obj, .name = "磺化反应釜 R-201", .responsible_person_id = hc_leader,
                       .active = true};
    if ((rc = risk_unit_create(d->c, &d->trusted, &su, &ru))) return rc;
    static const demo_event runaway = {
        "冷却失效导致反应失控, 超温超压", "17", {3, 6, 15}, {1, 6, 15},
        {{"engineering", "温度与加料阀、冷却水阀联锁, 设置爆破片"},
         {"training", "岗位操作法与异常工况处置培训, 每季度考核"},
         {"emergency", "超温超压: 立即停止加料、全开冷却水, 无效时紧急泄放, 人员撤至上风向"}},
        "检查反应釜温度、压力联锁投用, 冷却水流量正常", "hours", NULL, 2};
    if ((rc = add_event(d, ru, &runaway, g_reactor, ev_reactor))) return rc;
    static const demo_event burn = {
        "取样时物料喷溅灼烫", "07", {1, 6, 3}, {0.5, 6, 3},
        {{"ppe", "防酸面罩、耐酸手套"}, {"management", "密闭取样器"},
         {"emergency", "灼烫处用大量流动清水冲洗 15 分钟以上, 再送医"}},
        NULL, NULL, NULL};
    if ((rc = add_event(d, ru, &burn, g_reactor, &ev))) return rc;

    /* 精馏车间. */
    int64_t jl_leader = 0, jl = unit_of(d, "HDJX-S1-JL", &jl_leader);
    int64_t g_col = unit_of(d, "HDJX-S1-JL-G1", NULL);
    risk_object_in col = {.unit_id = jl, .kind = "installation", .code = "IN-JL-01",
                          .name = "甲醇精馏装置", .responsible_person_id = jl_leader ? jl_leader
                                                                                    : ids->person_dept_head,
                          .active = true};
    if ((rc = risk_object_create(d->c, &d->trusted, &col, &obj))) return rc;
    risk_unit_in cu = {.object_id = obj, .name = "精馏塔 T-301 及再沸器", .responsible_person_id = col.responsible_person_id,
                       .active = true};
    if ((rc = risk_unit_create(d->c, &d->trusted, &cu, &ru))) return rc;
    static const demo_event reboiler = {
        "再沸器或塔釜泄漏着火", "08", {3, 6, 40}, {1, 6, 40},
        {{"engineering", "塔釜液位、压力高高联锁切断蒸汽"},
         {"management", "动火、检修作业票管理, 泄漏点每周检测 (LDAR)"},
         {"emergency", "切断蒸汽与进料, 启动消防水炮, 按装置火灾预案处置"}},
        "检查塔釜液位计、压力表示值与 DCS 一致", "daily", NULL, 0};
    if ((rc = add_event(d, ru, &reboiler, g_col, &ev))) return rc;

    /* 装卸站. */
    risk_object_in load = {.unit_id = zx, .kind = "activity", .code = "AC-ZX-01",
                           .name = "甲醇汽车装卸作业", .responsible_person_id = zx_leader,
                           .active = true};
    if ((rc = risk_object_create(d->c, &d->trusted, &load, &obj))) return rc;
    risk_unit_in lu = {.object_id = obj, .name = "装车鹤位 1#~3#", .responsible_person_id = zx_leader,
                       .active = true};
    if ((rc = risk_unit_create(d->c, &d->trusted, &lu, &ru))) return rc;
    static const demo_event static_fire = {
        "静电积聚放电引燃甲醇蒸气", "08", {1, 6, 15}, {0.5, 6, 15},
        {{"engineering", "静电接地报警器与装车泵联锁"},
         {"management", "装车前核对驾驶员、押运员资质"},
         {"emergency", "立即停泵、关闭紧急切断阀, 用干粉灭火器扑救初起火灾"}},
        "检查静电接地夹完好、接地电阻 ≤ 10 Ω", "daily", NULL};
    return add_event(d, ru, &static_fire, g_load, &ev);
}

/* ------------------------------------------------------------ hazards */

/* One step of the workflow, recorded at at_ms (a back-dated, plausible time). */
static ws_err act(demo_ctx *d, const auth_subject *s, int64_t at_ms, int64_t id, const char *action,
                  json_t *fields)
{
    wf_actor by = {d->who, s, at_ms};
    ws_err rc = hazard_act(d->c, &by, id, action, fields);
    json_decref(fields);
    return rc;
}

static json_t *at(const char *key, int64_t ms)
{
    char t[40];
    return json_pack("{s:s}", key, clock_format_rfc3339(ms, t, sizeof t));
}

typedef struct demo_hazard {
    const char *unit, *title, *description, *location, *accident_type, *factor;
    int days_ago;
    const char *until; /* the state to take it to */
    bool major;
    int event;         /* 1 the tank farm's leak, 2 the reactor's runaway, 0 none */
} demo_hazard;

static const demo_hazard hazards[] = {
    {"HDJX-S1-HC-G1", "反应釜区东侧消防通道堆放原料桶", "约 20 只空桶占用通道, 宽度不足 4 m",
     "合成车间东门", "08", "4", 0, "reported", false},
    {"HDJX-S1-CK-G1", "甲类仓库防爆灯灯罩破损", "2 号库门口防爆照明灯罩开裂", "甲类仓库 2 号库",
     "08", "2", 1, "reported", false},
    {"HDJX-S2-GQ-G2", "防火堤排水阀处于常开状态", "乙类罐组防火堤雨水排放阀未关闭",
     "乙类罐组东北角", "08", "4", 2, "assessed", false},
    {"HDJX-S1-JL-G1", "精馏塔回流泵机械密封渗漏", "P-305B 机封滴漏, 约 10 滴/分钟", "精馏塔区 P-305B",
     "08", "2", 3, "assigned", false},
    {"HDJX-S1-HC-G1", "R-201 温度计套管腐蚀减薄", "测厚 2.1 mm, 低于设计 3 mm", "反应釜 R-201",
     "17", "2", 6, "rectifying", false, 2},
    {"HDJX-S2-WS-G1", "污水处理站配电室应急照明失效", "断电测试时 3 盏应急灯不亮", "污水站配电室",
     "05", "2", 9, "overdue", false},
    {"HDJX-S2-GQ-G1", "罐区可燃气体报警未与紧急切断阀联锁", "T-101~T-104 罐根阀为手动阀, 报警仅声光",
     "甲醇罐区", "08", "2", 12, "supervised", true, 1},
    {"HDJX-S2-ZX-G1", "2# 鹤位静电接地夹损坏", "夹口弹簧断裂, 无法可靠夹紧", "装卸站 2# 鹤位", "08",
     "2", 10, "acceptance", false},
    {"HDJX-S1-JL-G2", "溶剂回收区洗眼器无水", "洗眼器进水阀关闭", "溶剂回收区", "07", "4", 20,
     "closed", false},
    {"HDJX-S1-HC-G2", "投料口未设置防护栏", "投料平台临边缺少护栏, 高度 2.5 m", "投料平台",
     "09", "2", 25, "closed", false},
    {"HDJX-S1-CK-G2", "丙类仓库货物超高堆放", "经核实为临时周转, 当班已整理", "丙类仓库",
     "10", "1", 4, "rejected", false},
};

static const char *const order[] = {"reported", "assessed", "assigned", "rectifying",
                                    "acceptance", "closed"};
static int rank_of(const char *state)
{
    for (int i = 0; i < 6; i++)
        if (!strcmp(order[i], state)) return i;
    return 3; /* overdue, supervised: rectifying */
}

static ws_err seed_hazard(demo_ctx *d, const demo_hazard *h, int64_t event, const org_demo_ids *ids,
                          int64_t now)
{
    int64_t leader = 0, unit = unit_of(d, h->unit, &leader);
    if (!unit) return ws_fail(WS_EINTERNAL, NULL, "demo unit %s missing", h->unit);
    auth_subject reporter, officer, assignee;
    as_person(d, &reporter, leader ? leader : ids->person_worker, ROLE_GRID_LEADER);
    as_person(d, &officer, ids->person_safety_officer, ROLE_SAFETY_OFFICER);
    as_person(d, &assignee, leader ? leader : ids->person_grid_leader, ROLE_GRID_LEADER);
    /* A history people would have made: reported 10 minutes to 2 hours after
     * it was found, answered 20 minutes to 8 hours later, assigned 3 hours
     * after that, work started the next day; closed ones rectified on day 4
     * (the second one day 5, after an acceptance refused on day 4) and
     * accepted half a day later; the one awaiting acceptance was sent back
     * once before its work began. The collaboration dashboard reads these. */
    static const int report_min[] = {40, 15, 90, 25, 60, 30, 10, 45, 120, 20, 35};
    static const int answer_min[] = {150, 35, 300, 90, 20, 480, 60, 200, 45, 120, 25};
    size_t k = (size_t)(h - hazards) % (sizeof report_min / sizeof report_min[0]);
    int64_t found = now - h->days_ago * DAY, t = found + report_min[k] * MINUTE;
    if (t > now) t = now;
    hazard_in in = {.unit_id = unit, .title = h->title, .description = h->description,
                    .location = h->location, .accident_type = h->accident_type,
                    .hazard_factor = h->factor, .found_at = found, .risk_event_id = event};
    wf_actor by = {d->who, &reporter, t};
    int64_t id = 0;
    ws_err rc = hazard_report(d->c, &by, &in, &id);
    int until = rank_of(h->until);
    t += answer_min[k] * MINUTE;
    if (!rc && !strcmp(h->until, "rejected"))
        return act(d, &officer, t, id, "reject", json_pack("{s:s}", "reason", "经核实非隐患, 属临时周转"));
    if (rc || until < 1) return rc;
    rc = act(d, &officer, t, id, "assess", json_pack("{s:s}", "grade", h->major ? "major" : "general"));
    if (rc || until < 2) return rc;
    t += 3 * HOUR;
    int64_t deadline = !strcmp(h->until, "overdue") ? now - 2 * DAY : now + (h->major ? 30 : 7) * DAY;
    json_t *f = at("deadline", deadline);
    json_object_set_new(f, "assignee_person_id", json_integer(assignee.person_id));
    if (h->major) {
        json_t *five = json_pack(
            "{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "responsible_person_id",
            (json_int_t)ids->person_manager, "measures",
            "增设罐根气动紧急切断阀 4 台, 与可燃气体报警 (二级 50 %LEL) 联锁, 接入独立 SIS",
            "funds", "86 万元, 已列入年度安全投入", "contingency_plan",
            "罐区泄漏火灾专项预案 (HDJX-YA-03), 整改期间每班增加一次巡检", "plan_goal",
            "实现泄漏自动切断, 满足 GB 50493 与重大危险源监管要求", "plan_methods",
            "分罐停用倒料后施工, 动火作业按特级管理", "plan_funds", "86 万元, 财务部专户",
            "plan_org", "设备部牵头, 生产部、安全部配合, 总经理督办", "plan_schedule",
            "30 日内完成安装调试与联锁测试", "plan_safety",
            "施工期间罐区停止装卸, 设专职监护, 备用泡沫车");
        json_object_update(f, five);
        json_decref(five);
    }
    rc = act(d, &officer, t, id, "assign", f);
    if (!rc && until == 4) {
        /* sent back once for a stop of the loading bay, then assigned again */
        t += 2 * HOUR;
        rc = act(d, &assignee, t, id, "return_assignment",
                 json_pack("{s:s}", "reason", "更换接地夹需停用 2# 鹤位, 请先协调装车计划"));
        t += 3 * HOUR;
        json_t *again = rc ? NULL : at("deadline", deadline);
        if (again) {
            json_object_set_new(again, "assignee_person_id", json_integer(assignee.person_id));
            rc = act(d, &officer, t, id, "assign", again);
        }
    }
    if (rc || until < 3) return rc;
    t += 20 * HOUR;
    rc = act(d, &assignee, t, id, "start_rectification", json_object());
    if (!rc && h->major) {
        wf_actor rb = {d->who, NULL, 0}; /* the park's regulator */
        hazard_supervision sv = {"city", "市应急督〔2026〕7号", "请于期限内完成并报市局验收", true};
        rc = hazard_supervise(d->c, &rb, id, &sv);
    }
    if (rc || until < 4) return rc;
    /* awaiting acceptance: rectified a day ago; closed: rectified on day 4 */
    int64_t done = until == 4 ? now - DAY : found + (4 + (int64_t)(k % 2)) * DAY;
    if (until == 5 && k % 2) {
        /* the first rectification fails its acceptance and is done again */
        json_t *r1 = at("rectified_at", done - DAY);
        json_object_set_new(r1, "rectification_note", json_string("已加装临边护栏"));
        rc = act(d, &assignee, done - DAY + HOUR, id, "rectify", r1);
        if (!rc)
            rc = act(d, &officer, done - DAY / 2, id, "reject_acceptance",
                     json_pack("{s:s}", "reason", "护栏高 1.0 m, 低于 1.2 m 的要求, 且未设挡脚板"));
        if (rc) return rc;
    }
    json_t *r = at("rectified_at", done);
    json_object_set_new(r, "rectification_note", json_string("已更换并复测合格"));
    rc = act(d, &assignee, done + HOUR, id, "rectify", r);
    if (rc || until < 5) return rc;
    json_t *a = at("accepted_at", done + DAY / 2);
    json_object_set_new(a, "acceptance_note", json_string("现场复查合格, 同意销号"));
    return act(d, &officer, done + DAY / 2 + HOUR, id, "accept", a);
}

/* ---------------------------------------------------------- site plans */

#define PLAN_W 1200
#define PLAN_H 800

typedef struct demo_area {
    const char *code;
    double x0, y0, x1, y1; /* fractions of the plan */
    int tanks;             /* circles drawn in it */
} demo_area;

static void fill(unsigned char *px, double fx0, double fy0, double fx1, double fy1,
                 const unsigned char rgb[3])
{
    int x0 = (int)(fx0 * PLAN_W), x1 = (int)(fx1 * PLAN_W);
    int y0 = (int)(fy0 * PLAN_H), y1 = (int)(fy1 * PLAN_H);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) memcpy(px + 3 * ((size_t)y * PLAN_W + x), rgb, 3);
}

static void disc(unsigned char *px, int cx, int cy, int r, const unsigned char rgb[3])
{
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if (x >= 0 && y >= 0 && x < PLAN_W && y < PLAN_H &&
                (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                memcpy(px + 3 * ((size_t)y * PLAN_W + x), rgb, 3);
}

/* A plan drawn here (paper, roads, buildings with an outline, tanks as
 * discs), stored as a PNG attachment of the site and set as its plan, with
 * each area's polygon on it. */
static ws_err seed_plan(demo_ctx *d, const char *site_code, const char *filename,
                        const demo_area *areas, int n)
{
    static const unsigned char paper[3] = {244, 241, 234}, road[3] = {217, 212, 199},
                               line[3] = {107, 123, 140}, roof[3] = {201, 211, 220},
                               tank[3] = {168, 182, 196};
    int64_t site = unit_of(d, site_code, NULL);
    if (!site) return ws_fail(WS_EINTERNAL, NULL, "demo site %s missing", site_code);
    unsigned char *px = malloc((size_t)PLAN_W * PLAN_H * 3);
    if (!px) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    fill(px, 0, 0, 1, 1, paper);
    fill(px, 0, 0.02, 1, 0.06, road);
    fill(px, 0, 0.94, 1, 0.98, road);
    fill(px, 0.02, 0, 0.045, 1, road);
    for (int i = 0; i < n; i++) {
        const demo_area *a = &areas[i];
        fill(px, a->x0, a->y0, a->x1, a->y1, line);
        fill(px, a->x0 + 0.004, a->y0 + 0.006, a->x1 - 0.004, a->y1 - 0.006, roof);
        for (int t = 0; t < a->tanks; t++) {
            int cols = (a->tanks + 1) / 2;
            double cw = (a->x1 - a->x0) * PLAN_W / cols, ch = (a->y1 - a->y0) * PLAN_H / 2;
            int r = (int)((cw < ch ? cw : ch) / 3.2);
            int cx = (int)((a->x0 + (a->x1 - a->x0) * (t % cols + 0.5) / cols) * PLAN_W);
            int cy = (int)((a->y0 + (a->y1 - a->y0) * (t / cols + 0.5) / 2) * PLAN_H);
            disc(px, cx, cy, r + 3, line);
            disc(px, cx, cy, r, tank);
        }
    }
    ws_err rc = WS_OK;
    void *png = NULL;
    size_t len = 0;
    if (VIPS_INIT("worksafe")) rc = ws_fail(WS_EINTERNAL, NULL, "libvips did not start");
    VipsImage *im = rc ? NULL : vips_image_new_from_memory(px, (size_t)PLAN_W * PLAN_H * 3,
                                                          PLAN_W, PLAN_H, 3, VIPS_FORMAT_UCHAR);
    if (!rc && (!im || vips_pngsave_buffer(im, &png, &len, NULL)))
        rc = ws_fail(WS_EINTERNAL, NULL, "cannot draw the demo plan: %s", vips_error_buffer());
    if (im) g_object_unref(im);
    free(px);
    attach_info info;
    risk_plan plan;
    if (!rc) rc = attach_put(d->c, d->who, NULL, site, filename, png, len, &info);
    g_free(png);
    if (!rc) rc = risk_plan_set(d->c, &d->trusted, site, info.id, &plan);
    for (int i = 0; !rc && i < n; i++) {
        const demo_area *a = &areas[i];
        double xy[8] = {a->x0, a->y0, a->x1, a->y0, a->x1, a->y1, a->x0, a->y1};
        int64_t area = unit_of(d, a->code, NULL);
        bool created;
        rc = area ? risk_shape_set(d->c, &d->trusted, site, area, xy, 4, &created)
                  : ws_fail(WS_EINTERNAL, NULL, "demo area %s missing", a->code);
    }
    return rc;
}

static ws_err seed_plans(demo_ctx *d)
{
    static const demo_area s1[] = {
        {"HDJX-S1-HC", 0.08, 0.12, 0.44, 0.56, 0},
        {"HDJX-S1-JL", 0.50, 0.12, 0.92, 0.56, 2},
        {"HDJX-S1-CK", 0.08, 0.64, 0.60, 0.90, 0},
    };
    static const demo_area s2[] = {
        {"HDJX-S2-GQ", 0.08, 0.12, 0.56, 0.62, 4},
        {"HDJX-S2-ZX", 0.62, 0.12, 0.94, 0.44, 0},
        {"HDJX-S2-WS", 0.62, 0.54, 0.94, 0.90, 2},
    };
    ws_err rc = seed_plan(d, "HDJX-S1", "一厂区平面图.png", s1, 3);
    return rc ? rc : seed_plan(d, "HDJX-S2", "二厂区平面图.png", s2, 3);
}

/* ------------------------------------------------- devices and points */

/* The gas detectors and DCS tags of the demo plant (位号), with the
 * register's GB/T 50493 defaults for the gas points. */
static ws_err seed_points(demo_ctx *d)
{
    static const struct {
        const char *unit, *code, *name, *kind, *vendor, *model, *protocol, *cal;
    } devs[] = {
        {"HDJX-S2-GQ", "GD-GQ-01", "罐区可燃气体检测报警控制器", "gas_detector", "汉威",
         "HW-2000", "modbus", "2027-03-31"},
        {"HDJX-S2-ZX", "GD-ZX-01", "装卸站气体检测报警控制器", "gas_detector", "汉威", "HW-2000",
         "modbus", "2026-12-15"},
        {"HDJX-S1-HC", "DCS-HC", "合成车间 DCS", "dcs", "浙江中控", "ECS-700", "mqtt", NULL},
    };
    int64_t dev[3] = {0};
    ws_err rc = WS_OK;
    for (int i = 0; !rc && i < 3; i++) {
        point_device_in in = {.unit_id = unit_of(d, devs[i].unit, NULL), .code = devs[i].code,
                              .name = devs[i].name, .kind = devs[i].kind,
                              .vendor = devs[i].vendor, .model = devs[i].model,
                              .protocol = devs[i].protocol, .calibration_due = devs[i].cal,
                              .active = true};
        rc = point_device_create(d->c, &d->trusted, &in, &dev[i]);
    }
    static const struct {
        int dev;
        const char *unit, *tag, *name, *kind, *uom;
        double resolution, exposure_limit;
    } pts[] = {
        {0, "HDJX-S2-GQ-G1", "GT-101", "T-101 罐根可燃气体", "combustible", "%LEL", 0.1, 0},
        {0, "HDJX-S2-GQ-G1", "GT-102", "T-102 罐根可燃气体", "combustible", "%LEL", 0.1, 0},
        {0, "HDJX-S2-GQ-G1", "GT-103", "T-103 罐根可燃气体", "combustible", "%LEL", 0.1, 0},
        {0, "HDJX-S2-GQ-G1", "GT-104", "T-104 罐根可燃气体", "combustible", "%LEL", 0.1, 0},
        {0, "HDJX-S2-GQ-G2", "GT-201", "泵房可燃气体", "combustible", "%LEL", 0.1, 0},
        {0, "HDJX-S2-GQ-G2", "AT-201", "泵房甲醇 (有毒)", "toxic", "mg/m³", 0.1, 25},
        {1, "HDJX-S2-ZX-G1", "GT-301", "1# 鹤位可燃气体", "combustible", "%LEL", 0.1, 0},
        {1, "HDJX-S2-ZX-G1", "GT-302", "2# 鹤位可燃气体", "combustible", "%LEL", 0.1, 0},
        {2, "HDJX-S1-HC-G1", "OX-201", "R-201 釜旁氧含量", "oxygen", "%VOL", 0.1, 0},
        {2, "HDJX-S1-HC-G1", "TI-201", "R-201 反应温度", "temperature", "°C", 0.1, 0},
        {2, "HDJX-S1-HC-G1", "PI-201", "R-201 釜压", "pressure", "MPa", 0.01, 0},
        {2, "HDJX-S1-HC-G1", "FI-201", "R-201 进料流量", "flow", "m³/h", 0.01, 0},
        {2, "HDJX-S1-HC-G1", "TI-202", "R-201 夹套出口温度", "temperature", "°C", 0.1, 0},
        {2, "HDJX-S1-HC-G1", "AI-201", "R-201 出料主产物含量 (在线色谱，每 15 分钟)", "analysis", "%", 0.01, 0},
    };
    for (size_t i = 0; !rc && i < sizeof pts / sizeof pts[0]; i++) {
        point_in in = {.device_id = dev[pts[i].dev], .unit_id = unit_of(d, pts[i].unit, NULL),
                       .tag = pts[i].tag, .name = pts[i].name, .kind = pts[i].kind,
                       .uom = pts[i].uom, .resolution = pts[i].resolution,
                       .exposure_limit = pts[i].exposure_limit, .active = true,
                       .range_low = NAN, .range_high = NAN, .ll = NAN, .l = NAN, .h = NAN,
                       .hh = NAN};
        in.set = POINT_SET_DEVICE | POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME |
                 POINT_SET_KIND | POINT_SET_UOM | POINT_SET_RESOLUTION | POINT_SET_ACTIVE;
        if (pts[i].exposure_limit > 0) in.set |= POINT_SET_EXPOSURE;
        else in.exposure_limit = NAN;
        if (!strcmp(pts[i].kind, "temperature")) {
            in.range_low = 0, in.range_high = 200, in.h = 85, in.hh = 95, in.deadband = 1;
            in.set |= POINT_SET_RANGE_LOW | POINT_SET_RANGE_HIGH | POINT_SET_H | POINT_SET_HH |
                      POINT_SET_DEADBAND;
        } else if (!strcmp(pts[i].kind, "pressure")) {
            in.range_low = 0, in.range_high = 1.6, in.h = 0.6, in.hh = 0.8, in.deadband = 0.02;
            in.set |= POINT_SET_RANGE_LOW | POINT_SET_RANGE_HIGH | POINT_SET_H | POINT_SET_HH |
                      POINT_SET_DEADBAND;
        }
        int64_t id = 0;
        rc = point_create(d->c, &d->trusted, &in, &id);
    }
    return rc;
}

ws_err hazard_demo_seed(store_conn *c, const audit_actor *who, const org_demo_ids *ids)
{
    demo_ctx d = {.c = c, .who = who, .trusted = {who, NULL}, .ent = ids->enterprise};
    org_unit e;
    ws_err rc = org_unit_get(c, ids->enterprise, &e);
    if (rc) return rc;
    snprintf(d.ent_path, sizeof d.ent_path, "%s", e.path);
    int64_t ev_tank = 0, ev_reactor = 0, now = clock_now_ms();
    if ((rc = seed_register(&d, ids, &ev_tank, &ev_reactor)) || (rc = seed_plans(&d)) ||
        (rc = seed_points(&d)))
        return rc;
    for (size_t i = 0; !rc && i < sizeof hazards / sizeof hazards[0]; i++) {
        const demo_hazard *h = &hazards[i];
        rc = seed_hazard(&d, h, h->event == 1 ? ev_tank : h->event == 2 ? ev_reactor : 0, ids, now);
    }
    return rc;
}

/* ------------------------------------------------------ a week of readings */

/* A deterministic noise source (no rand(): the demo is the same every time). */
static double noise(uint64_t *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*st >> 11) / 9007199254740992.0 - 0.5; /* [-0.5, 0.5) */
}

/* R-201's DCS tags move with its load: a daily cycle and a slower swing;
 * its online chromatograph AI-201 reports the product's content every 15
 * minutes, a little lower at high load.
 * The unit stops for four hours on the third day (a planned stop: no feed,
 * cold, depressurised), which the monitor's run condition leaves out.
 * TI-202, the jacket outlet, reads 2.5 °C low for half an hour sixteen hours
 * ago and for the last 25 minutes of the week — a cooling water valve
 * hunting — while every tag stays inside its own limits: what the process
 * monitor of R-201 (warn/demo.c) sees and a single limit does not. The
 * live simulator's minutes (i >= 7·1440) never have it. minute: i's minute
 * since the epoch. */
static bool reactor_value(const point *p, int i, int64_t minute, uint64_t *st, double *x)
{
    /* the load follows the clock (the minute since the epoch), so the live
     * simulator continues the week's history without a jump */
    double day = (double)(minute % 1440) / 1440.0;
    double load = 2 * (day < 0.5 ? day : 1 - day) + 0.15 * sin(2 * 3.14159265358979 * (double)(minute % 173) / 173.0);
    /* a planned four-hour stop on the third day: cold, depressurised, no feed */
    bool down = i >= 2 * 1440 + 600 && i < 2 * 1440 + 840;
    if (down && strcmp(p->tag, "AI-201")) {
        if (!strcmp(p->tag, "TI-201") || !strcmp(p->tag, "TI-202")) *x = 27 + 0.5 * noise(st);
        else if (!strcmp(p->tag, "PI-201")) *x = 0.10 + 0.01 * noise(st);
        else if (!strcmp(p->tag, "FI-201")) *x = 0.02 + 0.02 * noise(st);
        else return false;
        return true;
    }
    if (!strcmp(p->tag, "TI-201")) *x = 72 + 6 * load + noise(st);
    else if (!strcmp(p->tag, "PI-201")) *x = 0.40 + 0.05 * load + 0.02 * noise(st);
    else if (!strcmp(p->tag, "FI-201")) *x = 6.0 + 1.2 * load + 0.1 * noise(st);
    else if (!strcmp(p->tag, "AI-201")) *x = 96.5 - 1.5 * load + 0.1 * noise(st);
    else if (!strcmp(p->tag, "TI-202")) {
        bool hunting = (i >= 6 * 1440 + 480 && i < 6 * 1440 + 510) || (i >= 7 * 1440 - 25 && i < 7 * 1440);
        *x = 41 + 4.5 * load + 0.5 * noise(st) - (hunting ? 2.5 : 0);
    } else
        return false;
    return true;
}

/* The value of a demo point at minute i of the week (i = 0 a week ago),
 * which is minute `minute` since the epoch. */
static double demo_value(const point *p, int i, int64_t minute, uint64_t *st)
{
    double day = (double)(i % 1440) / 1440.0, x;
    if (reactor_value(p, i, minute, st, &x)) {
    } else if (!strcmp(p->kind, "combustible")) {
        x = 0.6 + 0.8 * noise(st) + 0.4;
        /* GT-102: a flange weep three days ago, up to 報警 for a quarter of an hour */
        if (!strcmp(p->tag, "GT-102") && i >= 4 * 1440 + 600 && i < 4 * 1440 + 615)
            x = 12 + (i - (4 * 1440 + 600)) * 1.2;
        if (!strcmp(p->tag, "GT-301") && i % 1440 >= 540 && i % 1440 < 600) x += 2.5; /* loading */
    } else if (!strcmp(p->kind, "toxic")) {
        x = 3 + 2 * day + noise(st);
    } else if (!strcmp(p->kind, "oxygen")) {
        x = 20.9 + 0.25 * noise(st); /* a real cell wanders a digit: not a frozen reading */
    } else if (!strcmp(p->kind, "temperature")) {
        x = 72 + 6 * (day < 0.5 ? day : 1 - day) + noise(st);
    } else if (!strcmp(p->kind, "pressure")) {
        x = 0.42 + 0.04 * noise(st);
    } else {
        x = 0;
    }
    return x < 0 ? 0 : x;
}

int hazard_demo_period_min(const point *p) { return strcmp(p->tag, "AI-201") ? 1 : 15; }

double hazard_demo_value(const point *p, int64_t t_ms, uint64_t *st)
{
    int64_t minute = t_ms / 60000;
    return demo_value(p, (int)(((minute % (7 * 1440)) + 7 * 1440) % (7 * 1440)) % 1440 + 7 * 1440, minute, st);
}

ws_err hazard_demo_readings(store_conn *c, series *s, int64_t now)
{
    point_filter f = {.active = 1, .limit = 200};
    point *pts = NULL;
    size_t n = 0;
    int64_t next = 0;
    ws_err rc = point_list(c, &f, &pts, &n, &next);
    int64_t start = (now / 60000 - 7 * 1440) * 60000;
    for (size_t k = 0; !rc && k < n; k++) {
        uint64_t st = (uint64_t)pts[k].id * 7919u;
        int period = hazard_demo_period_min(&pts[k]);
        rc = series_point_resolution(s, pts[k].id, pts[k].resolution);
        for (int i = 0; !rc && i < 7 * 1440; i++)
            if ((start / 60000 + i) % period == 0)
                rc = series_append(s, pts[k].id, start + (int64_t)i * 60000,
                                   gorilla_quantise(demo_value(&pts[k], i, start / 60000 + i, &st), pts[k].resolution),
                                   0);
    }
    free(pts);
    if (!rc) rc = series_flush_all(s, NULL);
    return rc;
}
