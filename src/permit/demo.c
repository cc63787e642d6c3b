/* demo.c — the special-work permits of `worksafe demo`: the tank farm's
 * certificates and guardian qualifications, and permits in every state, each
 * taken through the real lifecycle by the people of the demo plant (so every
 * verdict, timeline entry and evidence leaf is what a real permit has).
 *
 * The approval chain depends on when the demo is made (a night or a rest day
 * upgrades hot work by one grade), so each permit is approved by whoever
 * holds each post of the chain the rules ask for at that moment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "permit/permit_int.h"
#include "telemetry/point.h"

#define MIN 60000LL
#define HOUR (60 * MIN)

typedef struct demo {
    permit_svc *s;
    store_conn *c;
    const org_demo_ids *ids;
    int64_t now;
    int64_t tank_grid, pump_grid;
} demo;

static char park_path[AUTH_PATH_MAX];

static org_caller as(const org_demo_ids *ids, int64_t person, auth_subject *sub, audit_actor *a, char *name)
{
    memset(sub, 0, sizeof *sub);
    snprintf(sub->scope_path, sizeof sub->scope_path, "%s", park_path);
    sub->account_id = 1; /* the demo acts as its people, with the install's rights */
    sub->person_id = person;
    sub->roles = ROLE_ADMIN;
    snprintf(name, 32, "person:%lld", (long long)person);
    a->name = name;
    (void)ids;
    return (org_caller){a, sub};
}

/* The person of the demo holding post code (the chain's approvers). */
static int64_t holder(const demo *d, const char *post)
{
    if (strstr(post, "workshop_head")) return d->ids->person_tank_head;
    if (strstr(post, "safety_dept")) return d->ids->person_safety_officer;
    if (strstr(post, "plant_manager")) return d->ids->person_manager;
    return 0;
}

static ws_err step(demo *d, int64_t person, int64_t id, const char *action, const char *body_json)
{
    auth_subject sub;
    audit_actor a;
    char name[32];
    org_caller by = as(d->ids, person, &sub, &a, name);
    json_error_t je;
    json_t *body = body_json ? json_loads(body_json, 0, &je) : NULL;
    ws_err rc = permit_act(d->s, d->c, &by, id, action, body, NULL);
    json_decref(body);
    if (rc) log_warn("demo permit step refused", "action", action, "detail", ws_err_message());
    return rc;
}

/* Approve with every post of the chain the rules ask for now. */
static ws_err approve_all(demo *d, int64_t id)
{
    json_t *pre = NULL;
    ws_err rc = permit_precheck(d->s, d->c, id, clock_now_ms(), &pre);
    size_t i;
    json_t *post;
    json_array_foreach(json_object_get(pre, "required_posts"), i, post) {
        if (rc) break;
        const char *entry = json_string_value(post);
        char code[48];
        snprintf(code, sizeof code, "%.*s", (int)strcspn(entry, "|"), entry);
        char body[96];
        snprintf(body, sizeof body, "{\"post\":\"%s\"}", code);
        rc = step(d, holder(d, code), id, "approve", body);
    }
    json_decref(pre);
    return rc;
}

static ws_err cert(demo *d, int64_t person, const char *type, const char *number, int64_t expires)
{
    static const audit_actor who = {"cli"};
    const org_caller by = {&who, NULL};
    permit_cert_in in = {.person_id = person, .type = type, .number = number, .expires_at = expires,
                         .authority = "滨江市应急管理局", .issued_on = "2024-03-15"};
    int64_t id;
    return permit_cert_create(d->c, &by, &in, &id);
}

static int64_t point_id(demo *d, const char *tag)
{
    point p;
    return point_get_by_tag(d->c, tag, &p) ? 0 : p.id;
}

/* Apply: a draft of type at unit for [start, end), by the tank operator. */
static ws_err apply(demo *d, const char *json_tail, const char *type, const char *grade, int64_t unit,
                    const char *title, const char *location, int64_t start, int64_t end, int64_t *id)
{
    char a[40], b[40], body[2048];
    snprintf(body, sizeof body,
             "{\"type\":\"%s\",%s%s%s\"unit_id\":%lld,\"title\":\"%s\",\"location\":\"%s\","
             "\"planned_start\":\"%s\",\"planned_end\":\"%s\"%s%s}",
             type, grade ? "\"grade\":\"" : "", grade ? grade : "", grade ? "\"," : "", (long long)unit, title,
             location, clock_format_rfc3339(start, a, sizeof a), clock_format_rfc3339(end, b, sizeof b),
             json_tail[0] ? "," : "", json_tail);
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    if (!j) return ws_fail(WS_EINTERNAL, NULL, "demo permit body does not parse: %s", je.text);
    auth_subject sub;
    audit_actor ac;
    char name[32];
    org_caller by = as(d->ids, d->ids->person_tank_operator, &sub, &ac, name);
    ws_err rc = permit_create(d->s, d->c, &by, j, id);
    json_decref(j);
    return rc;
}

static ws_err gas(demo *d, int64_t id, const char *body) { return step(d, d->ids->person_tank_operator2, id, "gas", body); }

ws_err permit_demo_seed(permit_svc *s, store_conn *c, const org_demo_ids *ids)
{
    demo d = {.s = s, .c = c, .ids = ids, .now = clock_now_ms()};
    org_unit u;
    ws_err rc = org_unit_get(c, ids->park, &u);
    if (!rc) permit_copy(park_path, sizeof park_path, u.path);
    if (!rc) rc = org_unit_by_code(c, "HDJX-S2-GQ-G1", &u);
    if (!rc) d.tank_grid = u.id;
    if (!rc) rc = org_unit_by_code(c, "HDJX-S2-GQ-G2", &u);
    if (!rc) d.pump_grid = u.id;
    if (rc) return rc;
    int64_t now = d.now, year = 365 * 24 * HOUR;
    /* who may work: certificates and guardian qualifications */
    if (!rc) rc = cert(&d, ids->person_welder, "welding_cutting", "T320102198503150017", now + 2 * year);
    if (!rc) rc = cert(&d, ids->person_electrician, "electrician", "T320102199007210035", now + year);
    if (!rc) rc = cert(&d, ids->person_tank_grid_leader, "guardian", "JH-HDJX-2025-011", now + year);
    if (!rc) rc = cert(&d, ids->person_tank_operator2, "guardian", "JH-HDJX-2025-014", now + year);
    if (!rc) rc = cert(&d, ids->person_tank_operator, "work_at_height", "T320102199511020052", now + 3 * year);
    if (!rc) rc = cert(&d, ids->person_tank_operator, "rigger", "Q1-3201-2023-0877", now + 2 * year);
    if (rc) return rc;
    /* where the detectors are: tank roots 25 m apart along the farm's row,
     * the pump house 60 m east, the loading bays 150 m south (invented) */
    static const struct { const char *tag; double lat, lon; } where[] = {
        {"GT-101", 31.94120, 120.87010}, {"GT-102", 31.94120, 120.87036}, {"GT-103", 31.94120, 120.87062},
        {"GT-104", 31.94120, 120.87088}, {"GT-201", 31.94125, 120.87150}, {"AT-201", 31.94128, 120.87152},
        {"GT-301", 31.93985, 120.87040}, {"GT-302", 31.93985, 120.87060},
    };
    static const audit_actor cli = {"cli"};
    const org_caller by_cli = {&cli, NULL};
    for (size_t i = 0; !rc && i < sizeof where / sizeof where[0]; i++) {
        int64_t pid = point_id(&d, where[i].tag);
        if (pid) rc = point_location_set(c, &by_cli, pid, where[i].lat, where[i].lon, "罐区测绘坐标");
    }
    if (rc) return rc;
    char tail[600];
    int64_t hot = 0, conf = 0, height = 0, power = 0, dig = 0, lift = 0, road = 0, blind = 0, old = 0;

    /* 1. 动火 一级, active: the welder at T-103's manhole; GT-103, 5.6 m away,
     * linked by the work location */
    snprintf(tail, sizeof tail, "\"workers\":[{\"person_id\":%lld,\"cert_type\":\"welding_cutting\","
             "\"cert_no\":\"T320102198503150017\"}],\"guardian_person_id\":%lld,"
             "\"location_lat\":31.94125,\"location_lon\":120.87062,"
             "\"measures\":[\"罐顶呼吸阀已关闭并挂牌\"]",
             (long long)ids->person_welder, (long long)ids->person_tank_grid_leader);
    rc = apply(&d, tail, "hot_work", "1", d.tank_grid, "T-103 罐顶人孔法兰更换（焊接）", "罐区 T-103 罐顶",
               now - 20 * MIN, now + 5 * HOUR, &hot);
    if (!rc && !step(&d, ids->person_tank_operator, hot, "submit", NULL) &&
        !step(&d, ids->person_tank_operator, hot, "confirm_measures", NULL) &&
        !gas(&d, hot, "{\"kind\":\"combustible\",\"unit\":\"%LEL\",\"value\":1.2,\"portable\":true,\"substance\":\"甲苯\"}") &&
        !approve_all(&d, hot))
        (void)step(&d, ids->person_tank_grid_leader, hot, "check_in", NULL);

    /* 2. 受限空间, approved, waiting for the guardian: T-104 tank entry */
    snprintf(tail, sizeof tail, "\"workers\":[{\"person_id\":%lld}],\"guardian_person_id\":%lld",
             (long long)ids->person_tank_operator, (long long)ids->person_tank_operator2);
    if (!rc) rc = apply(&d, tail, "confined_space", NULL, d.tank_grid, "T-104 储罐清罐后内部检查", "罐区 T-104 人孔",
                        now + 30 * MIN, now + 8 * HOUR, &conf);
    if (!rc && !step(&d, ids->person_tank_operator, conf, "submit", NULL) &&
        !step(&d, ids->person_tank_operator, conf, "confirm_measures", NULL) &&
        !gas(&d, conf, "{\"kind\":\"oxygen\",\"unit\":\"%VOL\",\"value\":20.8,\"portable\":true,\"position\":\"middle\"}") &&
        !gas(&d, conf, "{\"kind\":\"combustible\",\"unit\":\"%LEL\",\"value\":0,\"portable\":true,\"substance\":\"甲苯\"}"))
        (void)approve_all(&d, conf);

    /* 3. 高处 II 级 (6 m), tested, waiting for approval */
    snprintf(tail, sizeof tail, "\"height_m\":6,\"workers\":[{\"person_id\":%lld,\"cert_type\":\"work_at_height\","
             "\"cert_no\":\"T320102199511020052\"}],\"guardian_person_id\":%lld",
             (long long)ids->person_tank_operator, (long long)ids->person_tank_grid_leader);
    if (!rc) rc = apply(&d, tail, "work_at_height", NULL, d.pump_grid, "泵房管廊 6 m 保温层修补", "泵房东侧管廊",
                        now + HOUR, now + 7 * HOUR, &height);
    if (!rc && !step(&d, ids->person_tank_operator, height, "submit", NULL))
        (void)step(&d, ids->person_tank_operator, height, "confirm_measures", NULL);

    /* 4. 临时用电, applied, serving the hot work */
    snprintf(tail, sizeof tail, "\"serves_permit_id\":%lld,\"workers\":[{\"person_id\":%lld,\"cert_type\":"
             "\"electrician\",\"cert_no\":\"T320102199007210035\"}],\"guardian_person_id\":%lld",
             (long long)hot, (long long)ids->person_electrician, (long long)ids->person_tank_operator2);
    if (!rc) rc = apply(&d, tail, "temporary_power", NULL, d.tank_grid, "电焊机临时电源（服务 T-103 动火）",
                        "罐区配电箱 AP-3", now - 20 * MIN, now + 5 * HOUR, &power);
    if (!rc) (void)step(&d, ids->person_tank_operator, power, "submit", NULL);

    /* 5. 动土, a draft */
    if (!rc) rc = apply(&d, "", "excavation", NULL, d.pump_grid, "泵房排水沟开挖 0.8 m", "泵房北侧",
                        now + 24 * HOUR, now + 30 * HOUR, &dig);

    /* 6. 吊装 三级 (12 t), done and closed */
    snprintf(tail, sizeof tail, "\"mass_t\":12,\"workers\":[{\"person_id\":%lld,\"cert_type\":\"rigger\","
             "\"cert_no\":\"Q1-3201-2023-0877\"}],\"guardian_person_id\":%lld",
             (long long)ids->person_tank_operator, (long long)ids->person_tank_grid_leader);
    if (!rc) rc = apply(&d, tail, "lifting", NULL, d.pump_grid, "P-201 泵体吊出检修（12 t）", "泵房",
                        now - HOUR, now + 3 * HOUR, &lift);

    /* 7. 断路, cancelled */
    snprintf(tail, sizeof tail, "\"workers\":[{\"person_id\":%lld}],\"guardian_person_id\":%lld",
             (long long)ids->person_tank_operator, (long long)ids->person_tank_operator2);
    if (!rc) rc = apply(&d, tail, "road_closure", NULL, d.tank_grid, "罐区环形道路北段断路", "罐区北门",
                        now + 2 * HOUR, now + 6 * HOUR, &road);
    if (!rc && !step(&d, ids->person_tank_operator, road, "submit", NULL))
        (void)step(&d, ids->person_tank_operator, road, "cancel", "{\"reason\":\"与槽车装卸时间冲突，改期\"}");

    /* 8. 盲板抽堵, active then suspended (wind) */
    if (!rc) rc = apply(&d, tail, "blind_plate", NULL, d.pump_grid, "P-201 出口管线盲板抽堵", "泵房 P-201 出口",
                        now - 30 * MIN, now + 4 * HOUR, &blind);
    if (!rc && !step(&d, ids->person_tank_operator, blind, "submit", NULL) &&
        !step(&d, ids->person_tank_operator, blind, "confirm_measures", NULL) && !approve_all(&d, blind) &&
        !step(&d, ids->person_tank_operator2, blind, "check_in", NULL))
        (void)step(&d, ids->person_tank_operator, blind, "suspend", "{\"reason\":\"风力增大至 6 级，暂停作业\"}");

    /* lifting: through to closed */
    if (!rc && !step(&d, ids->person_tank_operator, lift, "submit", NULL) &&
        !step(&d, ids->person_tank_operator, lift, "confirm_measures", NULL) && !approve_all(&d, lift) &&
        !step(&d, ids->person_tank_grid_leader, lift, "check_in", NULL))
        (void)step(&d, ids->person_tank_operator, lift, "close", "{\"note\":\"泵体已吊出，吊装结束，现场清理完毕\"}");

    /* 9. 动火 二级 approved but never started before its window closed: the
     * timer expires it (its window ends while the demo is being made) */
    snprintf(tail, sizeof tail, "\"workers\":[{\"person_id\":%lld,\"cert_type\":\"welding_cutting\","
             "\"cert_no\":\"T320102198503150017\"}],\"guardian_person_id\":%lld",
             (long long)ids->person_welder, (long long)ids->person_tank_grid_leader);
    int64_t end = clock_now_ms() + 1500;
    if (!rc) rc = apply(&d, tail, "hot_work", "2", d.pump_grid, "泵房支架补焊", "泵房西侧", now - 3 * HOUR, end, &old);
    if (!rc && !step(&d, ids->person_tank_operator, old, "submit", NULL))
        (void)step(&d, ids->person_tank_operator, old, "confirm_measures", NULL);
    (void)dig;
    while (!rc && clock_now_ms() <= end) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!rc) rc = permit_tick(s, clock_now_ms(), NULL);
    return rc;
}
