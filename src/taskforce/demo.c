/* demo.c — the task forces of `worksafe demo`: the forces the demo's 重大
 * hazards and 紧急 alarms form by themselves (the same rules as in use), one
 * of them half done (the budget approved, the production measure taken),
 * a serious incident at the loading station with its force, and two earlier
 * drills of the H₂S-leak scenario in 罐区 (three weeks and one week ago,
 * back-dated through org_caller.at_ms), the second faster than the first,
 * so a drill's report has earlier ones to stand next to. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "store/q_taskforce.h"
#include "taskforce/taskforce.h"

ws_err taskforce_demo_seed(store_conn *c, const org_demo_ids *ids)
{
    int formed = 0;
    ws_err rc = taskforce_tick(c, clock_now_ms(), &formed);
    if (rc) return rc;
    /* the first hazard force: the budget and the production task done */
    json_t *items = NULL;
    int64_t next = 0;
    rc = taskforce_list(c, "/", 0, "open", 200, 0, &items, &next);
    int64_t hazard_force = 0;
    size_t i;
    json_t *f;
    json_array_foreach(items, i, f)
        if (!strcmp(json_string_value(json_object_get(f, "source_kind")), "hazard"))
            hazard_force = json_integer_value(json_object_get(f, "id"));
    json_decref(items);
    static const audit_actor who = {"cli"};
    const org_caller by = {&who, NULL};
    if (!rc && hazard_force) {
        json_t *force = NULL;
        rc = taskforce_json(c, NULL, hazard_force, &force);
        json_t *t;
        json_array_foreach(json_object_get(force, "tasks"), i, t) {
            if (rc) break;
            const char *kind = json_string_value(json_object_get(t, "kind"));
            const char *title = json_string_value(json_object_get(t, "title"));
            json_t *body = NULL;
            if (!strcmp(kind, "budget"))
                body = json_pack("{s:f, s:s}", "amount", 186000.0, "note", "治理资金 18.6 万元，列入本月安全投入");
            else if (strstr(title, "停产"))
                body = json_pack("{s:s}", "note", "T-101 已倒空隔离，周边动火作业暂停");
            if (body) rc = taskforce_task_act(c, &by, json_integer_value(json_object_get(t, "id")), "done", body);
            json_decref(body);
        }
        json_decref(force);
    }
    /* a serious incident at the loading station */
    org_unit u;
    if (!rc) rc = org_unit_by_code(c, "HDJX-S2-ZX-G1", &u);
    if (!rc) {
        char at[40];
        clock_format_rfc3339(clock_now_ms() - 5 * 3600000LL, at, sizeof at);
        json_t *b = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:i}", "unit_id", (json_int_t)u.id, "title",
                              "槽车卸甲醇软管接头脱开，一名操作工眼部溅伤", "description",
                              "2# 鹤位卸车时快速接头脱开，约 20 L 甲醇泄漏，已用沙土围堵回收；伤者已冲洗并送医。",
                              "occurred_at", at, "severity", "serious", "people_affected", 2, "injuries", 1);
        int64_t id = 0;
        rc = incident_report(c, &by, b, &id);
        json_decref(b);
    }
    /* two H₂S-leak drills in 罐区 at 10:00 (UTC+8): each department's task
     * done so many minutes after the force formed, in the order of the
     * scenario's rules (production, safety, equipment, medical) */
    static const int mins[2][4] = {{9, 21, 47, 33}, {6, 14, 29, 18}};
    for (int k = 0; k < 2 && !rc; k++) {
        int64_t day = (clock_now_ms() - (k ? 7 : 21) * 86400000LL) / 86400000LL * 86400000LL;
        int64_t t0 = day + 2 * 3600000LL;
        org_caller at = {&who, NULL, t0};
        int64_t drill = 0;
        int level = 0;
        rc = drill_start(c, &at, "h2s_leak", ids->area_tank_farm, &drill, &level, NULL, 0);
        json_t *d = NULL, *force = NULL;
        if (!rc) rc = drill_json(c, NULL, drill, 0, &d);
        if (!rc) rc = taskforce_json(c, NULL, json_integer_value(json_object_get(d, "force_id")), &force);
        /* done in time order: the force closes with the last */
        json_t *tasks = json_object_get(force, "tasks");
        for (int left = 4; left > 0 && !rc; left--) {
            int first = -1;
            for (int n = 0; n < 4 && n < (int)json_array_size(tasks); n++)
                if ((first < 0 || mins[k][n] < mins[k][first]) &&
                    !strcmp(json_string_value(json_object_get(json_array_get(tasks, (size_t)n), "state")), "open"))
                    first = n;
            if (first < 0) break;
            at.at_ms = t0 + mins[k][first] * 60000LL;
            json_t *body = json_pack("{s:s}", "note", "演练：按预案完成");
            json_t *t = json_array_get(tasks, (size_t)first);
            rc = taskforce_task_act(c, &at, json_integer_value(json_object_get(t, "id")), "done", body);
            json_object_set_new(t, "state", json_string("done"));
            json_decref(body);
        }
        json_decref(force);
        json_decref(d);
    }
    return rc;
}
