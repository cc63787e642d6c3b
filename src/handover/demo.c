/* demo.c — the demo plant's shift handovers (handover_demo_seed): a day of
 * handovers at the enterprise's shift changes (08:00 and 20:00 local), as
 * the people of the two areas would have signed them (none left waiting:
 * a buyer hands over and takes one themselves). Written through
 * handover_give and handover_take at past instants (org_caller.at_ms), so
 * each snapshot is what the server reads for that window. */
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
    const int64_t gl = ids->person_grid_leader, op = ids->person_worker;
    int64_t id;
    const int64_t tg = ids->person_tank_grid_leader, to = ids->person_tank_operator;
    /* In the order they happened (ids follow time, as lists are newest first):
     * 合成车间's reactor grid at three changes, the middle one refused once;
     * 罐区 at the last two, its bypass and work order handed on. */
    rc = hand(c, syn, op, b3 + 5 * MIN_MS, "R-201 反应温度平稳，本班报警已处理；无遗留事项。", &id);
    if (!rc) rc = take(c, id, gl, b3 + 12 * MIN_MS, true, NULL);
    if (!rc) rc = hand(c, syn, gl, b2 + 4 * MIN_MS, "本班无异常。", &id);
    if (!rc) rc = take(c, id, op, b2 + 9 * MIN_MS, false,
                       "未交代 R-201 冷却水压力预警的处理情况，请补充后再交班。");
    if (!rc) rc = hand(c, tank, to, b2 + 7 * MIN_MS,
                       "T-101 高液位联锁旁路在用（LT-101 校验），装车流量限 30 m³/h，现场专人监护；"
                       "P-101A 机封渗漏待修，备泵运行。", &id);
    if (!rc) rc = take(c, id, tg, b2 + 14 * MIN_MS, true, "已到泵房核对备泵运行。");
    if (!rc) rc = hand(c, syn, gl, b2 + 20 * MIN_MS,
                       "R-201 冷却水压力预警一次，查为过滤器堵塞，清洗后恢复；其余正常。", &id);
    if (!rc) rc = take(c, id, op, b2 + 26 * MIN_MS, true, "已到现场核对。");
    if (!rc) rc = hand(c, syn, op, b1 + 6 * MIN_MS, "本班报警均已确认；R-201 夹套温度仍需关注。", &id);
    if (!rc) rc = take(c, id, gl, b1 + 11 * MIN_MS, true, NULL);
    if (!rc) rc = hand(c, tank, tg, b1 + 8 * MIN_MS,
                       "T-101 联锁旁路仍在用，到期前须恢复或续批；P-101A 工单未完成，备泵运行。", &id);
    if (!rc) rc = take(c, id, to, b1 + 15 * MIN_MS, true, NULL);
    return rc;
}
