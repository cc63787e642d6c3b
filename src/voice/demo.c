/* demo.c — the demo's anonymous reports and points (worksafe demo): a
 * catalogue, reports answered, overdue and turned into a hidden danger, the
 * points of the demo's people and one redemption. */
#include <stdio.h>
#include <string.h>

#include "bank/bank.h"
#include "core/clock.h"
#include "org/org.h"
#include "store/q_voice.h"
#include "voice/voice.h"

#define HOUR_MS 3600000LL

/* Move report id back in time: sent `ago` ms before now, due reply_hours later. */
static ws_err backdate(store_conn *c, const audit_actor *who, int64_t id, int64_t ago)
{
    int64_t now = clock_now_ms(), created = now - ago;
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_VOICE_BACKDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_int(st, 2, created);
    if (!rc) rc = store_bind_int(st, 3, created + 72 * HOUR_MS);
    if (!rc) rc = store_step(st, &(bool){false});
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &VOICE_ENTITY_REPORT, id, "update", NULL);
    return rc;
}

ws_err voice_demo_seed(store_conn *c, const audit_actor *who, const struct org_demo_ids *ids,
                       char (*codes)[VOICE_CODE_BUF], const char **states, int cap, int *n)
{
    if (n) *n = 0;
    static const bank_item_in items[] = {
        {"leave_day", "带薪休假一天", 300, true, -1},
        {"training_place", "外部安全培训名额", 200, true, 10},
        {"safety_shoes", "劳保鞋兑换券", 80, false, 50},
        {"canteen_tickets", "食堂餐券（10 张）", 20, false, -1},
    };
    ws_err rc = WS_OK;
    int64_t item_ids[4] = {0};
    for (int i = 0; !rc && i < 4; i++) rc = bank_item_create(c, who, &items[i], &item_ids[i]);
    static const struct {
        const char *category, *text, *state;
        int64_t ago_h;
    } reps[] = {
        {"violation", "合成车间夜班有人在防爆区域内使用普通手机充电，多次看到，没人管。", "answered", 30},
        {"equipment", "罐区 2 号储罐呼吸阀附近有明显异味，怀疑密封失效，希望尽快检查。", "hazard", 20},
        {"management", "承包商进场培训走过场，签字代签，请核查。", "overdue", 80},
        {"hazard", "二厂区消防通道被材料堆放堵住一半。", "open", 2},
    };
    int64_t units[4] = {ids->area_synthesis, ids->area_tank_farm, ids->site1, ids->site2};
    voice_caller staff = {who, NULL};
    for (int i = 0; !rc && i < 4; i++) {
        char code[VOICE_CODE_BUF];
        int64_t id = 0;
        voice_in in = {units[i], reps[i].category, reps[i].text, NULL, 0};
        rc = voice_submit(c, &in, code, &id);
        if (!rc) rc = backdate(c, who, id, reps[i].ago_h * HOUR_MS);
        if (!rc && !strcmp(reps[i].state, "answered")) {
            rc = voice_reply(c, &staff, id, "感谢反映。已对合成车间夜班进行专项检查，收缴违规充电器 3 个，"
                             "并对班组长进行了考核。", false);
            if (!rc) rc = voice_judge(c, &staff, id, true);
            if (!rc) rc = voice_rate(c, code, 5);
            /* the points buy a reward that needs no name */
            bank_holder_ref h = {0, id};
            if (!rc) rc = bank_redeem(c, who, h, item_ids[3], NULL, NULL);
        } else if (!rc && !strcmp(reps[i].state, "hazard")) {
            rc = voice_reply(c, &staff, id, "已安排设备部现场检测，确认呼吸阀密封老化，已转为隐患整改。", false);
            if (!rc) rc = voice_judge(c, &staff, id, true);
            if (!rc) rc = voice_to_hazard(c, &staff, id, "罐区2号储罐呼吸阀密封失效（匿名举报）", "03", NULL);
        }
        if (!rc && codes && n && *n < cap) {
            snprintf(codes[*n], VOICE_CODE_BUF, "%s", code);
            states[*n] = reps[i].state;
            (*n)++;
        }
    }
    /* the overdue one escalates at the first tick of the server */
    /* points of the demo's people: patrols done and data contributed */
    static const struct {
        int who;
        const char *rule;
        int times;
    } earn[] = {{0, "patrol_done", 40}, {1, "patrol_done", 25}, {2, "patrol_done", 12}, {3, "data_contributed", 30},
                {4, "patrol_done", 18}, {0, "data_contributed", 15}};
    int64_t people[5] = {ids->person_grid_leader, ids->person_worker, ids->person_tank_grid_leader,
                         ids->person_tank_operator, ids->person_tank_operator2};
    for (size_t k = 0; !rc && k < sizeof earn / sizeof earn[0]; k++)
        for (int t = 0; !rc && t < earn[k].times; t++) {
            bank_holder_ref h = {people[earn[k].who], 0};
            rc = bank_earn(c, who, earn[k].rule, h, "demo", (int64_t)(k * 1000 + (size_t)t + 1), NULL);
        }
    bank_holder_ref w = {ids->person_grid_leader, 0};
    if (!rc) rc = bank_redeem(c, who, w, item_ids[2], NULL, NULL);
    return rc;
}
