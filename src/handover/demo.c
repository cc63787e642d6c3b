/* demo.c — the demo plant's shift handovers (handover_demo_seed): a day of
 * handovers at the enterprise's shift changes (08:00 and 20:00 local), as
 * the people of the two areas on the roster's crews would have signed
 * them (none left waiting: a buyer hands over and takes one themselves).
 * Written through handover_give and handover_take at past instants
 * (org_caller.at_ms), so each snapshot is what the server reads for that
 * window. */
#include <stdio.h>

#include "core/clock.h"
#include "handover/handover.h"
#include "plant/plant.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL

static ws_err hand(store_conn *c, int64_t unit, int64_t giver, int64_t at, const char *note,
                   int64_t *id)
{
    static const audit_actor demo = {"system:demo"};
    org_caller by = {&demo, NULL, at};
    handover_in in = {.unit_id = unit, .note = note, .person_id = giver};
    return handover_give(c, &by, &in, id);
}

static ws_err take(store_conn *c, int64_t id, int64_t taker, int64_t at, bool accept,
                   const char *note)
{
    static const audit_actor demo = {"system:demo"};
    org_caller by = {&demo, NULL, at};
    return handover_take(c, &by, id, accept, note, taker);
}

/* The demo's crew on the enterprise's roster at instant at (its 班长 on duty). */
static ws_err crew_at(store_conn *c, const org_demo_ids *ids, int64_t at, const int64_t **crew)
{
    int64_t on[8];
    size_t n = 0;
    ws_err rc = plant_on_duty(c, ids->enterprise, "grid_leader", at, on, 8, &n);
    for (int i = 0; !rc && i < ORG_DEMO_CREWS; i++)
        for (size_t j = 0; j < n; j++)
            if (on[j] == ids->crew[i][ORG_CREW_LEADER]) {
                *crew = ids->crew[i];
                return WS_OK;
            }
    return rc ? rc : ws_fail(WS_EINTERNAL, NULL, "none of the demo's crews is on the roster at %lld", (long long)at);
}

ws_err handover_demo_seed(store_conn *c, const org_demo_ids *ids, int64_t now)
{
    /* The latest shift change at least 15 minutes ago, in the enterprise's zone. */
    org_unit ent;
    int64_t today, change = 0;
    ws_err rc = org_unit_get(c, ids->enterprise, &ent);
    if (!rc) rc = plant_local_day(ent.tz, now, &today);
    for (int64_t k = 0; !rc && k < 4; k++) {
        int64_t t;
        rc = plant_local_to_utc(ent.tz, today - k / 2, k % 2 ? 8 * 60 : 20 * 60, &t);
        if (!rc && t <= now - 15 * MIN_MS && t > change) change = t;
    }
    if (rc) return rc;
    const int64_t b1 = change, b2 = change - 12 * HOUR_MS, b3 = change - 24 * HOUR_MS;
    const int64_t syn = ids->grid_synthesis, tank = ids->area_tank_farm;
    /* the crews on the roster's four shifts around these changes (warn_demo_seed's 四班两倒) */
    const int64_t *s3, *s2, *s1, *s0;
    rc = crew_at(c, ids, b3 - MIN_MS, &s3);
    if (!rc) rc = crew_at(c, ids, b2 - MIN_MS, &s2);
    if (!rc) rc = crew_at(c, ids, b1 - MIN_MS, &s1);
    if (!rc) rc = crew_at(c, ids, b1 + MIN_MS, &s0);
    if (rc) return rc;
    enum { L = ORG_CREW_LEADER, SYN = ORG_CREW_SYNTHESIS, TANK = ORG_CREW_TANK };
    int64_t id;
    /* In the order they happened (ids follow time, as lists are newest first):
     * 合成车间's reactor grid at three changes, the middle one refused once;
     * 罐区 at the last two, its bypass and work order handed on, the last
     * taken by 陶然, standing in for his crew's 罐区 operator off the roster. */
    rc = hand(c, syn, s3[SYN], b3 + 5 * MIN_MS, "R-201 反应温度平稳，本班报警已处理；无遗留事项。", &id);
    if (!rc) rc = take(c, id, s2[SYN], b3 + 12 * MIN_MS, true, NULL);
    if (!rc) rc = hand(c, syn, s2[L], b2 + 4 * MIN_MS, "本班无异常。", &id);
    if (!rc) rc = take(c, id, s1[SYN], b2 + 9 * MIN_MS, false,
                       "未交代 R-201 冷却水压力预警的处理情况，请补充后再交班。");
    if (!rc) rc = hand(c, tank, s2[TANK], b2 + 7 * MIN_MS,
                       "T-101 高液位联锁旁路在用（LT-101 校验），装车流量限 30 m³/h，现场专人监护；"
                       "P-101A 机封渗漏待修，备泵运行。", &id);
    if (!rc) rc = take(c, id, s1[TANK], b2 + 14 * MIN_MS, true, "已到泵房核对备泵运行。");
    if (!rc) rc = hand(c, syn, s2[L], b2 + 20 * MIN_MS,
                       "R-201 冷却水压力预警一次，查为过滤器堵塞，清洗后恢复；其余正常。", &id);
    if (!rc) rc = take(c, id, s1[SYN], b2 + 26 * MIN_MS, true, "已到现场核对。");
    if (!rc) rc = hand(c, syn, s1[SYN], b1 + 6 * MIN_MS, "本班报警均已确认；R-201 夹套温度仍需关注。", &id);
    if (!rc) rc = take(c, id, s0[L], b1 + 11 * MIN_MS, true, NULL);
    if (!rc) rc = hand(c, tank, s1[TANK], b1 + 8 * MIN_MS,
                       "T-101 联锁旁路仍在用，到期前须恢复或续批；P-101A 工单未完成，备泵运行。", &id);
    if (!rc) rc = take(c, id, ids->person_tank_operator, b1 + 15 * MIN_MS, true, NULL);
    return rc;
}
