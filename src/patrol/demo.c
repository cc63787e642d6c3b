/* demo.c — the demo plant's grid patrols: two checklist templates, patrol
 * points with QR codes in the grids of 合成车间 and 罐区, a
 * cross-supervision ring in each workshop, and patrols in several states:
 * two days ago nobody patrolled (missed, escalated to the workshop head),
 * today 乙类储罐网格 is done with a failed item that opened a hidden
 * danger, 投料区网格 is in progress, and 反应釜区网格 (the demo grid
 * leader's) waits to be patrolled. Each write is its own transaction (the timer's
 * passes open their own): call it outside one. */
#include <stdio.h>
#include <string.h>

#include "org/org.h"
#include "patrol/patrol_int.h"

#define DAY_MS 86400000LL

static ws_err grid(store_conn *c, const char *code, int64_t *id)
{
    org_unit u;
    ws_err rc = org_unit_by_code(c, code, &u);
    if (!rc) *id = u.id;
    return rc;
}

static ws_err pt(store_conn *c, const org_caller *by, int64_t g, const char *code, const char *name,
                 int64_t tpl, double lat, double lon, bool photo, int64_t *id)
{
    patrol_point_in in = {.grid_unit_id = g, .code = code, .name = name, .template_id = tpl,
                          .has_gps = lat != 0, .lat = lat, .lon = lon, .radius_m = 30,
                          .photo_required = photo};
    int64_t tmp;
    return patrol_point_create(c, by, &in, id ? id : &tmp);
}

/* The patrol of slot 'own' of grid g made by the last tick for today. */
static int64_t own_patrol(store_conn *c, int64_t g)
{
    org_unit u;
    if (org_unit_get(c, g, &u)) return 0;
    patrol_filter f = {.path = u.path, .limit = 20};
    json_t *a = NULL;
    int64_t next = 0, id = 0;
    if (patrol_list(c, &f, &a, &next)) return 0;
    size_t i;
    json_t *p;
    json_array_foreach(a, i, p) {
        const char *st = json_string_value(json_object_get(p, "state"));
        if (!strcmp(json_string_value(json_object_get(p, "kind")), "own") && strcmp(st, "missed") &&
            json_integer_value(json_object_get(p, "grid_unit_id")) == g) {
            id = json_integer_value(json_object_get(p, "id"));
            break;
        }
    }
    json_decref(a);
    return id;
}

/* Check every pending stop of patrol id up to max stops; item 0 of the
 * first stop fails when fail is set. */
static ws_err walk(store_conn *c, const wf_actor *by, int64_t id, int max, bool fail)
{
    json_t *p = NULL;
    ws_err rc = patrol_get_json(c, NULL, id, &p);
    size_t i;
    json_t *s;
    int done = 0;
    json_array_foreach(json_object_get(p, "stops"), i, s) {
        if (rc || done >= max) break;
        int64_t point = json_integer_value(json_object_get(s, "point_id"));
        char n[PATROL_NONCE_LEN + 1];
        int64_t a, e;
        rc = patrol_nonce_issue(c, by, id, point, n, &a, &e);
        inspection_result r[PATROL_ITEMS_MAX];
        memset(r, 0, sizeof r);
        size_t k = json_array_size(json_object_get(s, "items"));
        for (size_t j = 0; j < k && j < PATROL_ITEMS_MAX; j++) r[j].ok = true;
        if (fail && done == 0) {
            r[0].ok = false;
            r[0].note = "罐区东侧消防栓阀门锈死，无法开启";
        }
        double lat = json_real_value(json_object_get(s, "lat")),
               lon = json_real_value(json_object_get(s, "lon"));
        patrol_check_in in = {.point_id = point, .nonce = n, .items = r, .n = k,
                              .has_gps = lat != 0, .lat = lat + 0.00005, .lon = lon};
        if (!rc) rc = patrol_check(c, by, id, &in, NULL);
        done++;
    }
    json_decref(p);
    return rc;
}

ws_err patrol_demo_seed(store_conn *c, const audit_actor *who, const struct org_demo_ids *ids,
                        int64_t now)
{
    org_caller by = {who, NULL};
    wf_actor wby = {who, NULL};
    int64_t hc1 = 0, hc2 = 0, gq1 = 0, gq2 = 0, hc = 0, gq = 0, daily = 0, cross = 0;
    ws_err rc = grid(c, "HDJX-S1-HC-G1", &hc1);
    if (!rc) rc = grid(c, "HDJX-S1-HC-G2", &hc2);
    if (!rc) rc = grid(c, "HDJX-S2-GQ-G1", &gq1);
    if (!rc) rc = grid(c, "HDJX-S2-GQ-G2", &gq2);
    if (!rc) rc = grid(c, "HDJX-S1-HC", &hc);
    if (!rc) rc = grid(c, "HDJX-S2-GQ", &gq);
    json_t *d = json_pack("[s,s,s]", "消防器材完好有效", "安全通道畅通、无杂物", "无跑冒滴漏");
    json_t *x = json_pack("[s,s,s]", "作业票与现场一致、监护人在岗", "劳保用品穿戴规范",
                          "上次交叉检查的隐患已整改");
    if (!rc) rc = patrol_template_create(c, &by, ids->enterprise, "网格日常巡查", d, &daily);
    if (!rc) rc = patrol_template_create(c, &by, ids->enterprise, "交叉监督检查", x, &cross);
    json_decref(d);
    json_decref(x);
    if (!rc) rc = pt(c, &by, hc1, "HC1-01", "1# 反应釜操作平台", daily, 31.98012, 120.89031, false, NULL);
    if (!rc) rc = pt(c, &by, hc1, "HC1-02", "反应釜区可燃气体报警仪", daily, 31.98025, 120.89055, false, NULL);
    if (!rc) rc = pt(c, &by, hc2, "HC2-01", "投料口", daily, 31.98040, 120.89010, false, NULL);
    if (!rc) rc = pt(c, &by, hc2, "HC2-02", "原料暂存间", daily, 0, 0, false, NULL);
    if (!rc) rc = pt(c, &by, gq1, "GQ1-01", "甲类罐组防火堤", daily, 31.97750, 120.89420, true, NULL);
    if (!rc) rc = pt(c, &by, gq1, "GQ1-02", "装卸鹤位", daily, 31.97770, 120.89460, false, NULL);
    if (!rc) rc = pt(c, &by, gq2, "GQ2-01", "乙类罐组消防栓", daily, 31.97700, 120.89380, false, NULL);
    if (!rc) rc = pt(c, &by, gq2, "GQ2-02", "泵房", daily, 31.97690, 120.89400, false, NULL);
    /* Cross-supervision: in each workshop, each grid's leader inspects the other grid. */
    if (!rc) rc = patrol_rota_set(c, &by, hc, NULL, 0, cross, NULL);
    if (!rc) rc = patrol_rota_set(c, &by, gq, NULL, 0, cross, NULL);
    /* Two days ago nobody patrolled: missed and escalated at today's tick. */
    if (!rc) rc = patrol_tick(c, now - 2 * DAY_MS, NULL, NULL);
    if (!rc) rc = patrol_tick(c, now, NULL, NULL);
    int64_t p_gq2 = rc ? 0 : own_patrol(c, gq2), p_hc2 = rc ? 0 : own_patrol(c, hc2);
    if (!rc && p_gq2) rc = walk(c, &wby, p_gq2, 10, true);
    if (!rc && p_hc2) rc = walk(c, &wby, p_hc2, 1, false);
    return rc;
}
