/* demo.c — the demo plant's grid patrols: two checklist templates, patrol
 * points with QR codes in the grids of 合成车间 and 罐区, a
 * cross-supervision ring in each workshop, and patrols in several states:
 * a week of days walked in full during the day (checks back-dated through
 * wf_actor.at_ms), but for 反应釜区网格's own patrol five days ago (missed);
 * two days ago nobody patrolled (missed, escalated to the workshop head),
 * today 乙类储罐网格 is done with a failed item that opened a hidden
 * danger, 投料区网格 is in progress, and 反应釜区网格 (the demo grid
 * leader's) waits to be patrolled. Each write is its own transaction (the timer's
 * passes open their own): call it outside one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "attach/attach.h"
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

/* A photo of a tank farm's fire dike taken at a patrol (drawn here: sky, a
 * tank behind a concrete wall with its joints, the yellow kerb, asphalt,
 * with sensor noise; the light varies with seed), stored as a JPEG
 * attachment of unit. */
#define PH_W 640
#define PH_H 480
static ws_err dike_photo(store_conn *c, const audit_actor *who, int64_t unit, unsigned seed,
                         int64_t *id)
{
    unsigned char *px = malloc((size_t)PH_W * PH_H * 3);
    if (!px) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    unsigned r = seed * 2654435761u + 1;
    int light = (int)(seed % 5) * 6 - 12;
    for (int y = 0; y < PH_H; y++)
        for (int x = 0; x < PH_W; x++) {
            int c3[3];
            int dx = x - 320, dy = y - 250;
            if (y < 300 && dx * dx / 4 + dy * dy < 150 * 150 && y > 110) { /* the tank */
                c3[0] = 205 - y / 8, c3[1] = 208 - y / 8, c3[2] = 212 - y / 8;
            } else if (y < 250) { /* sky */
                c3[0] = 150 + y / 4, c3[1] = 185 + y / 6, c3[2] = 230;
            } else if (y < 380) { /* the dike wall, joints every 80 px */
                int joint = x % 80 < 2 || y == 300;
                c3[0] = c3[1] = c3[2] = joint ? 120 : 168;
                c3[2] += 4;
            } else if (y < 392) { /* the kerb */
                int stripe = (x / 24) % 2;
                c3[0] = stripe ? 230 : 40, c3[1] = stripe ? 190 : 40, c3[2] = stripe ? 40 : 40;
            } else { /* asphalt */
                c3[0] = c3[1] = 78, c3[2] = 82;
            }
            r = r * 1103515245u + 12345u;
            int noise = (int)((r >> 16) % 13) - 6;
            for (int k = 0; k < 3; k++) {
                int v = c3[k] + light + noise;
                px[3 * ((size_t)y * PH_W + x) + k] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    ws_err rc = WS_OK;
    void *jpg = NULL;
    size_t len = 0;
    if (VIPS_INIT("worksafe")) rc = ws_fail(WS_EINTERNAL, NULL, "libvips did not start");
    VipsImage *im = rc ? NULL : vips_image_new_from_memory(px, (size_t)PH_W * PH_H * 3, PH_W, PH_H, 3,
                                                          VIPS_FORMAT_UCHAR);
    if (!rc && (!im || vips_jpegsave_buffer(im, &jpg, &len, "Q", 80, NULL)))
        rc = ws_fail(WS_EINTERNAL, NULL, "cannot draw the demo photo: %s", vips_error_buffer());
    if (im) g_object_unref(im);
    free(px);
    attach_info info;
    if (!rc) rc = attach_put(c, who, NULL, unit, "防火堤巡查照片.jpg", jpg, len, &info);
    g_free(jpg);
    if (!rc) *id = info.id;
    return rc;
}

/* Check every pending stop of patrol id up to max stops; item 0 of the
 * first stop fails when fail is set. by->at_ms 0: now; else the first check
 * at by->at_ms and the next ones 12 minutes apart. */
static ws_err walk(store_conn *c, const wf_actor *by0, int64_t id, int max, bool fail)
{
    json_t *p = NULL;
    wf_actor step = *by0;
    const wf_actor *by = &step;
    ws_err rc = patrol_get_json(c, NULL, id, &p);
    size_t i;
    json_t *s;
    int done = 0;
    json_array_foreach(json_object_get(p, "stops"), i, s) {
        if (rc || done >= max) break;
        int64_t point = json_integer_value(json_object_get(s, "point_id"));
        if (by0->at_ms) step.at_ms = by0->at_ms + done * 12 * 60000LL;
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
        int64_t photo = 0;
        if (!rc && json_is_true(json_object_get(s, "photo_required"))) {
            rc = dike_photo(c, by->actor, json_integer_value(json_object_get(p, "grid_unit_id")),
                            (unsigned)(id * 31 + point), &photo);
            in.photo_ids = &photo;
            in.n_photos = 1;
        }
        if (!rc) rc = patrol_check(c, by, id, &in, NULL);
        done++;
    }
    json_decref(p);
    return rc;
}

/* Walk the patrols the last tick made (the newest patrol day), each from two
 * hours into its day, an hour apart; the own patrol of grid skip is left. */
static ws_err walk_day(store_conn *c, const wf_actor *by, int64_t skip)
{
    patrol_filter f = {.path = "/", .limit = 1};
    json_t *a = NULL;
    int64_t next = 0;
    ws_err rc = patrol_list(c, &f, &a, &next);
    char day[16] = "";
    if (!rc && json_array_size(a))
        snprintf(day, sizeof day, "%s", json_string_value(json_object_get(json_array_get(a, 0), "day")));
    json_decref(a);
    a = NULL;
    f = (patrol_filter){.path = "/", .day = day, .state = "pending", .limit = 100};
    if (!rc && *day) rc = patrol_list(c, &f, &a, &next);
    size_t i;
    json_t *p;
    int k = 0;
    json_array_foreach(a, i, p) {
        if (rc) break;
        int64_t id = json_integer_value(json_object_get(p, "id"));
        if (json_integer_value(json_object_get(p, "grid_unit_id")) == skip &&
            !strcmp(json_string_value(json_object_get(p, "kind")), "own"))
            continue;
        patrol_row r;
        rc = patrol_load(c, id, &r, NULL);
        wf_actor at = *by;
        at.at_ms = r.window_start + (2 + k++) * 3600000LL;
        if (!rc) rc = walk(c, &at, id, 100, false);
    }
    json_decref(a);
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
    /* The week before: each day's patrols made by that day's tick and walked
     * from two hours into the day, an hour apart; five days ago 反应釜区网格's
     * own patrol was not, and two days ago nobody patrolled: missed, and
     * escalated at the next tick. */
    for (int ago = 7; ago >= 1 && !rc; ago--) {
        rc = patrol_tick(c, now - ago * DAY_MS, NULL, NULL);
        if (!rc && ago != 2) rc = walk_day(c, &wby, ago == 5 ? hc1 : 0);
    }
    if (!rc) rc = patrol_tick(c, now, NULL, NULL);
    int64_t p_gq2 = rc ? 0 : own_patrol(c, gq2), p_hc2 = rc ? 0 : own_patrol(c, hc2);
    if (!rc && p_gq2) rc = walk(c, &wby, p_gq2, 10, true);
    if (!rc && p_hc2) rc = walk(c, &wby, p_hc2, 1, false);
    return rc;
}
