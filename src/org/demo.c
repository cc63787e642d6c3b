/* demo.c — the demo organisation of `worksafe demo`: a chemical park with a
 * fine-chemicals enterprise (two sites, six areas, ten grids, the default
 * departments, a dozen posts and forty people, grid leaders as the grids'
 * leaders) and a second, small enterprise in the same park that shows the
 * isolation between enterprises.
 *
 * All names are invented; phone numbers are of the form 139 0000 00NN, which
 * are well-formed but clearly fictitious. Codes are hierarchical
 * (HDJX-S1-HC-G1 = enterprise HDJX, site 1, area 合成车间, grid 1), which is
 * what we recommend to users too. Everything goes through the same org
 * functions as the API, so every row has its audit leaf. */
#include <stdio.h>
#include <string.h>

#include "org/org_int.h"
#include "store/q_org.h"

#define PARK_CODE "JSBJ"
#define PARK_NAME "江苏滨江化工园区"

typedef struct demo_unit {
    const char *parent, *kind, *code, *name;
} demo_unit;

static const demo_unit units[] = {
    {PARK_CODE, "enterprise", "HDJX", "华东精细化工有限公司"},
    {"HDJX", "site", "HDJX-S1", "一厂区"},
    {"HDJX", "site", "HDJX-S2", "二厂区"},
    {"HDJX-S1", "area", "HDJX-S1-HC", "合成车间"},
    {"HDJX-S1", "area", "HDJX-S1-JL", "精馏车间"},
    {"HDJX-S1", "area", "HDJX-S1-CK", "仓库"},
    {"HDJX-S2", "area", "HDJX-S2-GQ", "罐区"},
    {"HDJX-S2", "area", "HDJX-S2-ZX", "装卸站"},
    {"HDJX-S2", "area", "HDJX-S2-WS", "污水处理站"},
    {"HDJX-S1-HC", "grid", "HDJX-S1-HC-G1", "反应釜区网格"},
    {"HDJX-S1-HC", "grid", "HDJX-S1-HC-G2", "投料区网格"},
    {"HDJX-S1-JL", "grid", "HDJX-S1-JL-G1", "精馏塔区网格"},
    {"HDJX-S1-JL", "grid", "HDJX-S1-JL-G2", "溶剂回收网格"},
    {"HDJX-S1-CK", "grid", "HDJX-S1-CK-G1", "甲类仓库网格"},
    {"HDJX-S1-CK", "grid", "HDJX-S1-CK-G2", "丙类仓库网格"},
    {"HDJX-S2-GQ", "grid", "HDJX-S2-GQ-G1", "甲类储罐网格"},
    {"HDJX-S2-GQ", "grid", "HDJX-S2-GQ-G2", "乙类储罐网格"},
    {"HDJX-S2-ZX", "grid", "HDJX-S2-ZX-G1", "汽车装卸网格"},
    {"HDJX-S2-WS", "grid", "HDJX-S2-WS-G1", "污水处理网格"},
    {PARK_CODE, "enterprise", "BJXC", "滨江新材料科技有限公司"},
    {"BJXC", "site", "BJXC-S1", "厂区"},
    {"BJXC-S1", "area", "BJXC-S1-JH", "聚合车间"},
    {"BJXC-S1-JH", "grid", "BJXC-S1-JH-G1", "聚合釜网格"},
};

typedef struct demo_post {
    const char *enterprise, *dept, *code, *name; /* dept: a default department code or NULL */
} demo_post;

static const demo_post posts[] = {
    {"HDJX", NULL, "general_manager", "总经理"},
    {"HDJX", "safety", "safety_director", "安全总监"},
    {"HDJX", NULL, "dept_manager", "部门经理"},
    {"HDJX", "production", "site_manager", "厂长"},
    {"HDJX", "production", "workshop_head", "车间主任"},
    {"HDJX", "production", "grid_leader", "网格长"},
    {"HDJX", "production", "shift_leader", "班长"},
    {"HDJX", "production", "operator", "操作工"},
    {"HDJX", "safety", "safety_officer", "安全员"},
    {"HDJX", "equipment", "equipment_tech", "设备员"},
    {"HDJX", "technology", "lab_analyst", "化验员"},
    {"HDJX", "equipment", "electrician", "电工"},
    {"HDJX", "equipment", "welder", "焊工"},
    {"HDJX", "purchasing", "storekeeper", "仓管员"},
    /* the posts special-work permits are approved by (the rule profile's chain) */
    {"HDJX", "safety", "safety_dept", "安全管理部门（作业票审批）"},
    {"HDJX", "production", "plant_manager", "主管厂长"},
    {"BJXC", NULL, "general_manager", "总经理"},
    {"BJXC", "safety", "safety_officer", "安全员"},
    {"BJXC", "production", "grid_leader", "网格长"},
    {"BJXC", "production", "operator", "操作工"},
};

typedef struct demo_person {
    const char *unit, *name, *dept, *posts; /* posts: codes separated by ',' */
    const char *leads;                      /* code of the unit this person leads, or NULL */
} demo_person;

static const demo_person people[] = {
    {"HDJX", "王建国", NULL, "general_manager,plant_manager", "HDJX"},
    {"HDJX", "李明华", "safety", "safety_director", NULL},
    {"HDJX", "张丽", "safety", "safety_officer,safety_dept", NULL},
    {"HDJX", "陈志强", "production", "dept_manager", NULL},
    {"HDJX", "刘芳", "finance", NULL, NULL},
    {"HDJX", "赵磊", "equipment", "dept_manager,equipment_tech", NULL},
    {"HDJX", "孙悦", "hr", NULL, NULL},
    {"HDJX", "周涛", "purchasing", NULL, NULL},
    {"HDJX-S1", "吴刚", "production", "site_manager", "HDJX-S1"},
    {"HDJX-S1-HC", "郑海", "production", "workshop_head", "HDJX-S1-HC"},
    {"HDJX-S1-HC-G1", "王磊", "production", "grid_leader,shift_leader", "HDJX-S1-HC-G1"},
    {"HDJX-S1-HC-G1", "冯超", "production", "operator", NULL},
    {"HDJX-S1-HC-G1", "陈静", "production", "operator", NULL},
    {"HDJX-S1-HC-G1", "褚亮", "equipment", "electrician", NULL},
    {"HDJX-S1-HC-G2", "卫东", "production", "grid_leader,shift_leader", "HDJX-S1-HC-G2"},
    {"HDJX-S1-HC-G2", "蒋敏", "production", "operator", NULL},
    {"HDJX-S1-HC-G2", "沈洋", "production", "operator", NULL},
    {"HDJX-S1-JL", "韩冰", "production", "workshop_head", "HDJX-S1-JL"},
    {"HDJX-S1-JL-G1", "杨帆", "production", "grid_leader", "HDJX-S1-JL-G1"},
    {"HDJX-S1-JL-G1", "朱伟", "production", "operator", NULL},
    {"HDJX-S1-JL-G1", "秦雪", "technology", "lab_analyst", NULL},
    {"HDJX-S1-JL-G2", "许强", "production", "grid_leader", "HDJX-S1-JL-G2"},
    {"HDJX-S1-JL-G2", "何平", "production", "operator", NULL},
    {"HDJX-S1-JL-G2", "吕军", "equipment", "welder", NULL},
    {"HDJX-S1-CK", "施琳", "purchasing", "storekeeper", "HDJX-S1-CK"},
    {"HDJX-S1-CK-G1", "张勇", "purchasing", "grid_leader,storekeeper", "HDJX-S1-CK-G1"},
    {"HDJX-S1-CK-G1", "孔丽", "purchasing", "storekeeper", NULL},
    {"HDJX-S1-CK-G2", "曹阳", "purchasing", "grid_leader", "HDJX-S1-CK-G2"},
    {"HDJX-S1-CK-G2", "严华", "purchasing", "storekeeper", NULL},
    {"HDJX-S2", "华振", "production", "site_manager", "HDJX-S2"},
    {"HDJX-S2-GQ", "金涛", "production", "workshop_head", "HDJX-S2-GQ"},
    {"HDJX-S2-GQ-G1", "魏东", "production", "grid_leader", "HDJX-S2-GQ-G1"},
    {"HDJX-S2-GQ-G1", "陶然", "production", "operator", NULL},
    {"HDJX-S2-GQ-G2", "姜峰", "production", "grid_leader", "HDJX-S2-GQ-G2"},
    {"HDJX-S2-GQ-G2", "戚红", "production", "operator", NULL},
    {"HDJX-S2-ZX-G1", "谢军", "production", "grid_leader,shift_leader", "HDJX-S2-ZX-G1"},
    {"HDJX-S2-ZX-G1", "邹伟", "production", "operator", NULL},
    {"HDJX-S2-WS-G1", "喻明", "production", "grid_leader", "HDJX-S2-WS-G1"},
    {"HDJX-S2-WS-G1", "柏青", "technology", "lab_analyst", NULL},
    {"HDJX-S2-WS-G1", "窦文", "production", "operator", NULL},
    {"BJXC", "刘洋", NULL, "general_manager", "BJXC"},
    {"BJXC", "马丽", "safety", "safety_officer", NULL},
    {"BJXC-S1-JH-G1", "黄伟", "production", "grid_leader", "BJXC-S1-JH-G1"},
    {"BJXC-S1-JH-G1", "林峰", "production", "operator", NULL},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* 四班两倒 (org_demo_ids.crew): four crews of a 班长 (a grid leader) and
 * operators of 合成车间, 罐区 and 精馏 or 污水. 冯超's crew hands over to 王磊's.
 * 陶然 of 罐区 is on none: the demo's handover he takes shows as taken off
 * the roster. */
static const char *const crews[ORG_DEMO_CREWS][ORG_DEMO_CREW_SIZE] = {
    {"谢军", "冯超", "戚红", "何平"},
    {"王磊", "陈静", "姜峰", "朱伟"},
    {"卫东", "蒋敏", "魏东", "许强"},
    {"杨帆", "沈洋", "邹伟", "窦文"},
};
/* 值班领导 and 安全值班, 24 h each in turn */
static const char *const duty_managers[4] = {"王建国", "吴刚", "陈志强", "华振"};
static const char *const duty_safety[2] = {"张丽", "李明华"};

/* The rota's crew (0-3, in no particular order) on shift p: shifts counted
 * from a day shift (p even: the day shift of day p/2, odd: its night);
 * a crew works the day shift of day d and the night of day d + 1. */
static int rota_crew(int64_t p)
{
    int64_t d = (p - (p & 1)) / 2, t = (p & 1) ? d - 1 : d;
    return (int)(((t % 4) + 4) % 4);
}

int org_demo_crew_on(int64_t k, bool s0_day)
{
    int64_t p0 = s0_day ? 0 : 1;
    int map[4] = {-1, -1, -1, -1}, next = 0; /* crews numbered as they come from shift 0 on */
    for (int64_t p = p0; next < 4; p++)
        if (map[rota_crew(p)] < 0) map[rota_crew(p)] = next++;
    return map[rota_crew(p0 + k)];
}

/* Where name is in a duty table, its id there. */
static void place(const char *name, int64_t id, org_demo_ids *out)
{
    for (int i = 0; i < ORG_DEMO_CREWS; i++)
        for (int j = 0; j < ORG_DEMO_CREW_SIZE; j++)
            if (!strcmp(crews[i][j], name)) out->crew[i][j] = id;
    for (int i = 0; i < 4; i++)
        if (!strcmp(duty_managers[i], name)) out->duty_manager[i] = id;
    for (int i = 0; i < 2; i++)
        if (!strcmp(duty_safety[i], name)) out->duty_safety[i] = id;
}

/* The park: created as the root, or the empty root park renamed. */
static ws_err demo_park(store_conn *c, const org_caller *by, int64_t *park)
{
    int64_t roots[2];
    int n = 0;
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_ROOTS, &st);
    while (!rc && n < 2 && !(rc = store_step(st, &row)) && row) roots[n++] = store_col_int(st, 0);
    store_finalize(st);
    if (rc) return rc;
    if (n == 0) return org_create_root(c, by->actor, "park", PARK_CODE, PARK_NAME, park);
    org_unit u;
    int64_t children = 0;
    if (n == 1) rc = org_unit_get(c, roots[0], &u);
    if (!rc && n == 1) rc = org_query_int(c, Q_ORG_UNIT_CHILDREN, 1, roots[0], 0, &children);
    if (rc) return rc;
    if (n > 1 || strcmp(u.kind, "park") != 0 || children > 0)
        return ws_fail(WS_ECONFLICT, NULL,
                       "the demo needs an empty organisation or an empty root park");
    org_unit_patch p = {.set = ORG_SET_CODE | ORG_SET_NAME, .code = PARK_CODE, .name = PARK_NAME};
    rc = org_unit_update(c, by, u.id, &p);
    if (!rc) *park = u.id;
    return rc;
}

static ws_err unit_id(store_conn *c, const char *code, int64_t *id)
{
    org_unit u;
    ws_err rc = org_unit_by_code(c, code, &u);
    if (!rc) *id = u.id;
    return rc;
}

static ws_err seed(store_conn *c, const org_caller *by, org_demo_ids *out)
{
    int64_t park = 0, id = 0;
    ws_err rc = demo_park(c, by, &park);
    if (rc) return rc;
    out->park = park;
    for (size_t i = 0; i < NELEM(units); i++) {
        org_unit_in in = {.kind = units[i].kind, .code = units[i].code, .name = units[i].name};
        rc = unit_id(c, units[i].parent, &in.parent_id);
        if (!rc) rc = org_unit_create(c, by, &in, &id);
        if (rc) return rc;
    }
    for (size_t i = 0; i < NELEM(posts); i++) {
        int64_t ent = 0, dept = 0;
        rc = unit_id(c, posts[i].enterprise, &ent);
        if (!rc && posts[i].dept) {
            org_dept d;
            rc = org_dept_find(c, ent, posts[i].dept, &d);
            dept = d.id;
        }
        if (!rc) rc = org_post_create(c, by, ent, dept, posts[i].code, posts[i].name, &id);
        if (rc) return rc;
    }
    int hd = 0, bj = 0;
    for (size_t i = 0; i < NELEM(people); i++) {
        const demo_person *dp = &people[i];
        org_unit u;
        char empno[16], phone[16];
        bool e2 = strncmp(dp->unit, "BJXC", 4) == 0;
        snprintf(empno, sizeof empno, "%s%04d", e2 ? "BJ" : "HD", e2 ? ++bj : ++hd);
        snprintf(phone, sizeof phone, "139000000%02d", (int)i + 1);
        int64_t post_ids[ORG_POSTS_MAX], dept = 0;
        int npost = 0;
        rc = org_unit_by_code(c, dp->unit, &u);
        if (!rc && dp->dept) {
            org_dept d;
            rc = org_dept_find(c, u.enterprise_id, dp->dept, &d);
            dept = d.id;
        }
        if (!rc && dp->posts) {
            char list[128];
            snprintf(list, sizeof list, "%s", dp->posts);
            for (char *save = NULL, *tok = strtok_r(list, ",", &save); !rc && tok;
                 tok = strtok_r(NULL, ",", &save)) {
                org_post p;
                rc = org_post_find(c, u.enterprise_id, tok, &p);
                if (!rc) post_ids[npost++] = p.id;
            }
        }
        org_person_in in = {.unit_id = u.id, .department_id = dept, .employee_no = empno,
                            .name = dp->name, .phone = phone, .post_ids = post_ids,
                            .npost = npost};
        if (!rc) rc = org_person_create(c, by, &in, &id);
        if (!rc && dp->leads) {
            org_unit led;
            rc = org_unit_by_code(c, dp->leads, &led);
            org_unit_patch p = {.set = ORG_SET_LEADER, .leader_person_id = id};
            if (!rc) rc = org_unit_update(c, by, led.id, &p);
        }
        if (rc) return rc;
        out->npeople++;
        place(dp->name, id, out);
        if (!strcmp(dp->name, "王建国")) out->person_manager = id;
        else if (!strcmp(dp->name, "张丽")) out->person_safety_officer = id;
        else if (!strcmp(dp->name, "陈志强")) out->person_dept_head = id;
        else if (!strcmp(dp->name, "王磊")) out->person_grid_leader = id;
        else if (!strcmp(dp->name, "冯超")) out->person_worker = id;
        else if (!strcmp(dp->name, "刘洋")) out->person_e2_manager = id;
        else if (!strcmp(dp->name, "金涛")) out->person_tank_head = id;
        else if (!strcmp(dp->name, "陶然")) out->person_tank_operator = id;
        else if (!strcmp(dp->name, "魏东")) out->person_tank_grid_leader = id;
        else if (!strcmp(dp->name, "吕军")) out->person_welder = id;
        else if (!strcmp(dp->name, "褚亮")) out->person_electrician = id;
        else if (!strcmp(dp->name, "戚红")) out->person_tank_operator2 = id;
    }
    org_dept d;
    if (!rc) rc = unit_id(c, "HDJX", &out->enterprise);
    if (!rc) rc = unit_id(c, "HDJX-S1", &out->site1);
    if (!rc) rc = unit_id(c, "HDJX-S2", &out->site2);
    if (!rc) rc = unit_id(c, "HDJX-S1-HC", &out->area_synthesis);
    if (!rc) rc = unit_id(c, "HDJX-S2-GQ", &out->area_tank_farm);
    if (!rc) rc = unit_id(c, "HDJX-S1-HC-G1", &out->grid_synthesis);
    if (!rc) rc = unit_id(c, "BJXC", &out->enterprise2);
    if (!rc) rc = org_dept_find(c, out->enterprise, "safety", &d);
    if (!rc) out->dept_safety = d.id;
    if (!rc) rc = org_dept_find(c, out->enterprise, "production", &d);
    if (!rc) out->dept_production = d.id;
    return rc;
}

ws_err org_demo_seed(store_conn *c, const audit_actor *who, org_demo_ids *out)
{
    org_caller by = {who, NULL};
    memset(out, 0, sizeof *out);
    bool own;
    ws_err rc = org_tx_begin(c, &own);
    if (rc) return rc;
    rc = seed(c, &by, out);
    return org_tx_end(c, own, rc);
}
