/* test_hazard.c — hidden dangers over HTTP on SQLite and PostgreSQL, as the
 * people of a plant use them, against the real server (test build, deadline
 * timer every second):
 *  - a worker reports a hazard with a photo (its GPS EXIF is gone from the
 *    stored file), place, GB 6441 type and GB/T 13861 factor; bad input is a
 *    4xx naming the field and writes nothing;
 *  - the safety officer grades it 重大 and assigns it; starting rectification
 *    without a 五落实 item or a 治理方案 part is refused naming it;
 *  - a regulator lists it for supervision (挂牌督办) with regulator
 *    acceptance: the manager may then not accept, the regulator may, but not
 *    dated before the rectification; the closed hazard has closed_at;
 *  - the rectifier may not accept his own work (403);
 *  - a hazard past its deadline is marked overdue and escalated to the site
 *    leader by the server's own timer, with no request;
 *  - the same hazard again at the same place is flagged as a recurrence;
 *  - an admin saves a new version of the hazard lifecycle with an approval
 *    step and a custom field through the API: a new hazard follows it, an
 *    open one keeps its version, the server is never restarted;
 *  - text search, filters, the board's counts and the XLSX ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "integration/common.h"

#define PW "Hazard-Pass-2026"
#define PHOTO "tests/data/photo-gps.jpg"

typedef struct plant {
    ws_server s;
    char admin[65], worker[65], officer[65], assignee[65], manager[65], reg[65];
    long long root, site, area, other_area;
    long long p_worker, p_officer, p_assignee, p_manager, p_leader, p_reg;
} plant;

static long long person(plant *p, long long unit, const char *name)
{
    char body[200];
    snprintf(body, sizeof body, "{\"unit_id\":%lld,\"name\":\"%s\"}", unit, name);
    return ws_post_id(&p->s, p->admin, "/api/v1/people", body);
}

static void account(plant *p, const char *user, const char *role, long long scope, long long pid,
                    char tok[65])
{
    char body[300];
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"" PW "\",\"roles\":[\"%s\"],"
             "\"scope_unit_id\":%lld,\"person_id\":%lld}",
             user, role, scope, pid);
    ws_post_id(&p->s, p->admin, "/api/v1/accounts", body);
    assert_int_equal(ws_login(&p->s, user, PW, tok), 200);
}

static void make_plant(plant *p, const char *backend)
{
    memset(p, 0, sizeof *p);
    assert_int_equal(ws_server_start(&p->s, backend, NULL), 0);
    assert_int_equal(ws_login(&p->s, "admin", WS_ADMIN_PW, p->admin), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&p->s, "GET", "/api/v1/me", p->admin, NULL, &r), 200);
    p->root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char body[300];
    snprintf(body, sizeof body, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂\"}",
             p->root);
    p->site = ws_post_id(&p->s, p->admin, "/api/v1/units", body);
    snprintf(body, sizeof body, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A1\",\"name\":\"罐区\"}",
             p->site);
    p->area = ws_post_id(&p->s, p->admin, "/api/v1/units", body);
    snprintf(body, sizeof body, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A2\",\"name\":\"装车站\"}",
             p->site);
    p->other_area = ws_post_id(&p->s, p->admin, "/api/v1/units", body);
    p->p_worker = person(p, p->area, "王工");
    p->p_officer = person(p, p->site, "李安全");
    p->p_assignee = person(p, p->area, "赵整改");
    p->p_manager = person(p, p->root, "陈经理");
    p->p_leader = person(p, p->site, "周厂长");
    p->p_reg = person(p, p->root, "孙监管");
    snprintf(body, sizeof body, "{\"leader_person_id\":%lld}", p->p_leader);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/units/%lld", p->site);
    assert_int_equal(ws_req(&p->s, "PATCH", path, p->admin, body, NULL), 200);
    account(p, "worker", "worker", p->area, p->p_worker, p->worker);
    account(p, "officer", "safety_officer", p->site, p->p_officer, p->officer);
    account(p, "assignee", "worker", p->area, p->p_assignee, p->assignee);
    account(p, "manager", "manager", p->root, p->p_manager, p->manager);
    account(p, "regulator", "regulator", p->root, p->p_reg, p->reg);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static bool holds(const char *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

static long long report(plant *p, const char *tok, long long unit, const char *title,
                        const char *extra)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"unit_id\":%lld,\"title\":\"%s\",\"accident_type\":\"08\"%s}",
             unit, title, extra ? extra : "");
    return ws_post_id(&p->s, tok, "/api/v1/hazards", body);
}

static json_t *get(plant *p, const char *tok, const char *path)
{
    json_t *r = NULL;
    long st = ws_req(&p->s, "GET", path, tok, NULL, &r);
    if (st != 200) fail_msg("GET %s -> %ld %s", path, st, ws_err_field_of(r));
    return r;
}

static json_t *hazard(plant *p, const char *tok, long long id)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/hazards/%lld", id);
    return get(p, tok, path);
}

static const char *str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* POST an action; expect status (and the error field when want_field). */
static void act(plant *p, const char *tok, long long id, const char *action, const char *body,
                long want, const char *want_field)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/hazards/%lld/actions/%s", id, action);
    json_t *r = NULL;
    long st = ws_req(&p->s, "POST", path, tok, body ? body : "{}", &r);
    if (st != want)
        fail_msg("%s -> %ld (%s: %s), want %ld", action, st, ws_err_field_of(r),
                 json_string_value(json_object_get(json_object_get(r, "error"), "message")), want);
    if (want_field) assert_string_equal(ws_err_field_of(r), want_field);
    json_decref(r);
}

static void at(int64_t delta_ms, char *out, size_t cap)
{
    clock_format_rfc3339(clock_now_ms() + delta_ms, out, cap);
}

static bool timeline_has(plant *p, const char *tok, long long id, const char *kind,
                         const char *needle)
{
    char path[80];
    snprintf(path, sizeof path, "/api/v1/hazards/%lld/timeline", id);
    json_t *r = get(p, tok, path);
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r, "items"), i, e) {
        if (strcmp(str(e, "kind"), kind)) continue;
        char *d = json_dumps(e, JSON_COMPACT);
        if (!needle || strstr(d, needle)) found = true;
        free(d);
    }
    json_decref(r);
    return found;
}

static bool actions_have(plant *p, const char *tok, long long id, const char *action)
{
    char path[80];
    snprintf(path, sizeof path, "/api/v1/hazards/%lld/actions", id);
    json_t *r = get(p, tok, path);
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r, "items"), i, e) found |= !strcmp(str(e, "action"), action);
    json_decref(r);
    return found;
}

#define FIVE                                                                                \
    "\"responsible_person_id\":%lld,\"measures\":\"更换法兰垫片并加装泄漏检测\","            \
    "\"funds\":\"5万元\",\"contingency_plan\":\"罐区泄漏专项预案\""
#define PLAN                                                                                \
    "\"plan_goal\":\"消除泄漏\",\"plan_methods\":\"停罐倒料后更换\",\"plan_funds\":\"5万元\"," \
    "\"plan_org\":\"设备部\",\"plan_schedule\":\"7日内\""

static void lifecycle(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    size_t n;
    char *photo = slurp(PHOTO, &n);
    for (int b = 0; b < nb; b++) {
        plant p;
        make_plant(&p, be[b]);
        json_t *r = NULL;
        char body[2048], t1[40], t2[40], path[160];

        /* Reference data. */
        r = get(&p, p.worker, "/api/v1/hazards/reference");
        assert_int_equal(json_array_size(json_object_get(r, "accident_types")), 20);
        assert_int_equal(json_array_size(json_object_get(r, "hazard_factors")), 4);
        json_decref(r);
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/hazards/factors", p.admin,
                                "{\"items\":[{\"code\":\"12\",\"name\":\"行为性危险和有害因素\","
                                "\"parent\":\"1\"},{\"code\":\"1202\",\"name\":\"违章作业\","
                                "\"parent\":\"12\"}]}",
                                NULL),
                         201);
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/hazards/factors", p.admin,
                                "{\"items\":[{\"code\":\"99\",\"name\":\"x\",\"parent\":\"8\"}]}", &r),
                         400);
        assert_string_equal(ws_err_field_of(r), "items[0].parent");
        json_decref(r);
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/hazards/factors", p.worker,
                                "{\"items\":[{\"code\":\"13\",\"name\":\"x\",\"parent\":\"1\"}]}", NULL),
                         403);

        /* The worker photographs it. */
        snprintf(path, sizeof path, "/api/v1/attachments?unit_id=%lld&filename=leak.jpg", p.area);
        assert_int_equal(ws_http(&p.s, "POST", path, p.worker, photo, n, "image/jpeg", &r, NULL), 201);
        long long ph = json_integer_value(json_object_get(r, "id"));
        char url[128];
        snprintf(url, sizeof url, "%s", str(r, "url"));
        json_decref(r);
        char *raw = NULL;
        assert_int_equal(ws_http(&p.s, "GET", url, p.worker, NULL, 0, NULL, NULL, &raw), 200);
        assert_false(holds(raw, 200000 < n ? 200000 : n, "GPS"));
        assert_false(holds(raw, n, "ABC123"));
        free(raw);

        /* Bad input: 4xx naming the field, nothing written. */
        const char *bad[][2] = {
            {"{\"unit_id\":%lld,\"accident_type\":\"08\"}", "title"},
            {"{\"unit_id\":%lld,\"title\":\" \",\"accident_type\":\"08\"}", "title"},
            {"{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"21\"}", "accident_type"},
            {"{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"08\",\"photo_ids\":[999999]}",
             "photo_ids"},
            {"{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"08\",\"lat\":31.2}", "lon"},
            {"{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"08\",\"lat\":91,\"lon\":1}", "lat"},
            {"{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"08\",\"grade\":\"huge\"}", "grade"},
            {"{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"08\",\"hazard_factor\":\"77\"}",
             "hazard_factor"},
            {"{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"08\",\"colour\":\"red\"}", "colour"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(body, sizeof body, bad[i][0], p.area);
            long st = ws_req(&p.s, "POST", "/api/v1/hazards", p.worker, body, &r);
            if (st != 400) fail_msg("bad %zu -> %ld", i, st);
            assert_string_equal(ws_err_field_of(r), bad[i][1]);
            json_decref(r);
        }
        snprintf(body, sizeof body, "{\"unit_id\":%lld,\"title\":\"x\",\"accident_type\":\"08\"}",
                 p.root + 100000);
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/hazards", p.worker, body, NULL), 404);
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/hazards", p.reg, body, NULL), 403);
        r = get(&p, p.admin, "/api/v1/hazards");
        assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
        json_decref(r);

        /* The report. */
        snprintf(body, sizeof body,
                 ",\"description\":\"2号储罐进料法兰有泄漏痕迹\",\"hazard_factor\":\"1202\","
                 "\"location\":\"2号储罐\",\"lat\":31.95,\"lon\":120.88,\"photo_ids\":[%lld]",
                 ph);
        long long h1 = report(&p, p.worker, p.area, "储罐法兰泄漏", body);
        r = hazard(&p, p.worker, h1);
        assert_string_equal(str(r, "state"), "reported");
        assert_string_equal(str(r, "accident_type_name"), "火灾");
        assert_string_equal(str(r, "hazard_factor_name"), "违章作业");
        assert_int_equal(strncmp(str(r, "code"), "YH-20", 5), 0);
        assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "photo_ids"), 0)), ph);
        assert_int_equal(json_integer_value(json_object_get(r, "reporter_person_id")), p.p_worker);
        assert_false(json_is_true(json_object_get(r, "recurrent")));
        json_decref(r);

        /* Who may do what now. */
        assert_true(actions_have(&p, p.officer, h1, "assess"));
        assert_false(actions_have(&p, p.worker, h1, "assess"));
        act(&p, p.worker, h1, "assess", "{\"grade\":\"major\"}", 403, NULL);
        act(&p, p.officer, h1, "assess", "{\"grade\":\"major\",\"colour\":1}", 400, "colour");
        act(&p, p.officer, h1, "accept", "{}", 409, "action");
        act(&p, p.officer, h1, "assess", "{\"grade\":\"major\"}", 200, NULL);
        at(7 * 86400000LL, t1, sizeof t1);
        snprintf(body, sizeof body, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"}", p.p_assignee,
                 t1);
        act(&p, p.officer, h1, "assign", body, 200, NULL);

        /* 五落实 and the 治理方案, each named when missing. */
        act(&p, p.assignee, h1, "start_rectification", "{}", 400, "responsible_person_id");
        snprintf(body, sizeof body, "{" FIVE "," PLAN "}", p.p_assignee);
        act(&p, p.assignee, h1, "start_rectification", body, 400, "plan_safety");
        snprintf(body, sizeof body,
                 "{\"responsible_person_id\":%lld,\"measures\":\"m\",\"contingency_plan\":\"c\"," PLAN
                 ",\"plan_safety\":\"s\"}",
                 p.p_assignee);
        act(&p, p.assignee, h1, "start_rectification", body, 400, "funds");
        snprintf(body, sizeof body, "{" FIVE "," PLAN ",\"plan_safety\":\"动火作业票+监护\"}",
                 p.p_assignee);
        act(&p, p.assignee, h1, "start_rectification", body, 200, NULL);

        /* 挂牌督办 by the regulator, who keeps the acceptance. */
        snprintf(path, sizeof path, "/api/v1/hazards/%lld/supervision", h1);
        const char *sup = "{\"level\":\"city\",\"document_no\":\"市应急督〔2026〕12号\","
                          "\"regulator_acceptance\":true}";
        assert_int_equal(ws_req(&p.s, "POST", path, p.manager, sup, NULL), 403);
        assert_int_equal(ws_req(&p.s, "POST", path, p.reg, "{\"level\":\"moon\",\"document_no\":\"1\"}",
                                &r), 400);
        assert_string_equal(ws_err_field_of(r), "level");
        json_decref(r);
        assert_int_equal(ws_req(&p.s, "POST", path, p.reg, sup, &r), 200);
        assert_string_equal(str(json_object_get(r, "supervision"), "level"), "city");
        json_decref(r);
        assert_true(timeline_has(&p, p.manager, h1, "supervision", "市应急督"));

        at(-1000, t2, sizeof t2);
        snprintf(body, sizeof body, "{\"rectified_at\":\"%s\",\"rectification_note\":\"已更换\"}", t2);
        act(&p, p.worker, h1, "rectify", body, 403, NULL);
        act(&p, p.assignee, h1, "rectify", body, 200, NULL);
        at(0, t1, sizeof t1);
        snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t1);
        act(&p, p.manager, h1, "accept", body, 403, "action");
        assert_false(actions_have(&p, p.manager, h1, "accept"));
        assert_true(actions_have(&p, p.reg, h1, "accept"));
        at(-3600000, t2, sizeof t2);
        snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t2);
        act(&p, p.reg, h1, "accept", body, 400, "accepted_at");
        snprintf(body, sizeof body, "{\"accepted_at\":\"%s\",\"acceptance_note\":\"现场验收合格\"}", t1);
        act(&p, p.reg, h1, "accept", body, 200, NULL);
        r = hazard(&p, p.worker, h1);
        assert_string_equal(str(r, "state"), "closed");
        assert_true(json_is_string(json_object_get(r, "closed_at")));
        assert_int_equal(json_integer_value(json_object_get(r, "acceptor_person_id")), p.p_reg);
        assert_int_equal(json_integer_value(json_object_get(r, "rectifier_person_id")), p.p_assignee);
        json_decref(r);
        for (const char *k = "start"; k; k = strcmp(k, "start") ? NULL : "action")
            assert_true(timeline_has(&p, p.worker, h1, k, NULL));
        assert_true(timeline_has(&p, p.worker, h1, "action", "\"to\":\"closed\""));
        assert_true(timeline_has(&p, p.worker, h1, "action", "\"actor_name\":\"赵整改\""));

        /* The rectifier may not accept his own work. */
        long long h2 = report(&p, p.officer, p.other_area, "装车鹤管静电接地线断开",
                              ",\"grade\":\"general\"");
        act(&p, p.officer, h2, "assess", "{\"grade\":\"general\"}", 200, NULL);
        at(86400000, t1, sizeof t1);
        snprintf(body, sizeof body, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"}", p.p_officer, t1);
        act(&p, p.officer, h2, "assign", body, 200, NULL);
        act(&p, p.officer, h2, "start_rectification", "{}", 200, NULL);
        at(-1000, t2, sizeof t2);
        snprintf(body, sizeof body, "{\"rectified_at\":\"%s\"}", t2);
        act(&p, p.officer, h2, "rectify", body, 200, NULL);
        at(0, t1, sizeof t1);
        snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t1);
        act(&p, p.officer, h2, "accept", body, 403, NULL); /* the not_rectifier relation */
        act(&p, p.manager, h2, "accept", body, 200, NULL);

        /* The same hazard again at the same place: a recurrence. */
        long long h3 = report(&p, p.worker, p.area, "储罐法兰再次渗漏", ",\"hazard_factor\":\"1202\"");
        r = hazard(&p, p.officer, h3);
        assert_true(json_is_true(json_object_get(r, "recurrent")));
        assert_int_equal(json_integer_value(json_object_get(r, "recurrence_of")), h1);
        json_decref(r);
        char leader[40];
        snprintf(leader, sizeof leader, "\"person_id\":%lld", p.p_leader);
        assert_true(timeline_has(&p, p.officer, h3, "recurrence", leader));

        /* Search, filters, board. */
        r = get(&p, p.officer, "/api/v1/hazards?q=%E6%B3%95%E5%85%B0"); /* 法兰 */
        assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
        json_decref(r);
        r = get(&p, p.officer, "/api/v1/hazards?q=%E9%B9%A4%E7%AE%A1%20%E6%8E%A5%E5%9C%B0"); /* 鹤管 接地 */
        assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0),
                                                            "id")), h2);
        json_decref(r);
        r = get(&p, p.officer, "/api/v1/hazards?state=closed");
        assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
        json_decref(r);
        snprintf(path, sizeof path, "/api/v1/hazards?unit_id=%lld&limit=1", p.area);
        r = get(&p, p.worker, path);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
        assert_true(json_is_integer(json_object_get(r, "next_cursor")));
        json_decref(r);
        snprintf(path, sizeof path, "/api/v1/hazards?unit_id=%lld", p.other_area);
        assert_int_equal(ws_req(&p.s, "GET", path, p.worker, NULL, NULL), 404);
        r = get(&p, p.manager, "/api/v1/hazards/stats");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "by_state"), "closed")), 2);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "by_state"), "reported")), 1);
        json_decref(r);
        assert_int_equal(ws_req(&p.s, "GET", "/api/v1/hazards?q=%25", p.officer, NULL, &r), 400);
        assert_string_equal(ws_err_field_of(r), "q");
        json_decref(r);
        ws_server_destroy(&p.s);
    }
    free(photo);
}

static void overdue_by_timer(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        plant p;
        make_plant(&p, be[b]);
        char body[512], t1[40];
        long long h = report(&p, p.worker, p.area, "消防通道堆放杂物", ",\"grade\":\"general\"");
        act(&p, p.officer, h, "assess", "{\"grade\":\"general\"}", 200, NULL);
        at(2000, t1, sizeof t1);
        snprintf(body, sizeof body, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"}", p.p_assignee, t1);
        act(&p, p.officer, h, "assign", body, 200, NULL);
        act(&p, p.assignee, h, "start_rectification", "{}", 200, NULL);
        json_t *r = hazard(&p, p.worker, h);
        assert_false(json_is_true(json_object_get(r, "overdue")));
        json_decref(r);
        /* No request moves it: the server's timer (every second) does. */
        bool overdue = false;
        for (int i = 0; i < 80 && !overdue; i++) {
            usleep(100000);
            if (i < 25) continue;
            r = hazard(&p, p.worker, h);
            overdue = json_is_true(json_object_get(r, "overdue"));
            json_decref(r);
        }
        assert_true(overdue);
        assert_true(timeline_has(&p, p.worker, h, "overdue", NULL));
        char leader[40];
        snprintf(leader, sizeof leader, "\"person_id\":%lld", p.p_leader);
        assert_true(timeline_has(&p, p.worker, h, "escalation", leader));
        r = get(&p, p.officer, "/api/v1/hazards?overdue=1");
        assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
        json_decref(r);
        /* Rectified and accepted: no longer overdue. */
        char t2[40];
        at(-100, t2, sizeof t2);
        snprintf(body, sizeof body, "{\"rectified_at\":\"%s\"}", t2);
        act(&p, p.assignee, h, "rectify", body, 200, NULL);
        at(0, t2, sizeof t2);
        snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t2);
        act(&p, p.officer, h, "accept", body, 200, NULL);
        r = hazard(&p, p.worker, h);
        assert_false(json_is_true(json_object_get(r, "overdue")));
        json_decref(r);
        ws_server_destroy(&p.s);
    }
}

/* The approval step: assess now leads to pending_approval, from which a
 * manager approves (with a custom field) into assessed. */
static json_t *with_approval(json_t *def)
{
    json_t *d = json_deep_copy(json_object_get(def, "definition"));
    json_array_append_new(json_object_get(d, "fields"),
                          json_pack("{s:s,s:s,s:i,s:s}", "id", "approval_note", "type", "string",
                                    "max_len", 200, "label", "审批意见"));
    json_array_append_new(json_object_get(d, "states"),
                          json_pack("{s:s,s:s}", "id", "pending_approval", "label", "待审批"));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(d, "actions"), i, a)
        if (!strcmp(str(a, "id"), "assess")) json_object_set_new(a, "to", json_string("pending_approval"));
    json_array_append_new(json_object_get(d, "actions"),
                          json_pack("{s:s,s:s,s:[s],s:s,s:{s:[s]},s:[s]}", "id", "approve", "label",
                                    "审批", "from", "pending_approval", "to", "assessed", "allow",
                                    "roles", "manager", "required", "approval_note"));
    return d;
}

static void new_version_live(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        plant p;
        make_plant(&p, be[b]);
        int pid = p.s.pid;
        long long old = report(&p, p.worker, p.area, "旧版本隐患", NULL);
        json_t *def = get(&p, p.admin, "/api/v1/workflows/hazard");
        json_t *d = with_approval(def);
        json_decref(def);
        char *text = json_dumps(d, JSON_COMPACT);
        json_t *r = NULL;
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/workflows/hazard/versions", p.officer, text, NULL),
                         403);
        /* Dropping a statutory guard is refused, naming it. */
        json_t *bad = json_deep_copy(d);
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(bad, "actions"), i, a)
            if (!strcmp(str(a, "id"), "start_rectification"))
                json_object_set_new(a, "guards", json_pack("[s]", "rectification_plan"));
        char *btext = json_dumps(bad, JSON_COMPACT);
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/workflows/hazard/versions", p.admin, btext, &r), 400);
        assert_string_equal(ws_err_field_of(r), "five_assurances");
        json_decref(r);
        free(btext);
        json_decref(bad);
        assert_int_equal(ws_req(&p.s, "POST", "/api/v1/workflows/hazard/versions", p.admin, text, &r), 201);
        int v = (int)json_integer_value(json_object_get(r, "version"));
        assert_true(v >= 2);
        json_decref(r);
        free(text);
        json_decref(d);

        long long fresh = report(&p, p.worker, p.area, "新版本隐患", NULL);
        r = hazard(&p, p.worker, fresh);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "workflow"), "version")), v);
        json_decref(r);
        r = hazard(&p, p.worker, old);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "workflow"), "version")), 1);
        json_decref(r);
        act(&p, p.officer, old, "assess", "{\"grade\":\"general\"}", 200, NULL);
        r = hazard(&p, p.worker, old);
        assert_string_equal(str(r, "state"), "assessed");
        json_decref(r);
        act(&p, p.officer, fresh, "assess", "{\"grade\":\"general\"}", 200, NULL);
        r = hazard(&p, p.worker, fresh);
        assert_string_equal(str(r, "state"), "pending_approval");
        assert_string_equal(str(r, "state_label"), "待审批");
        json_decref(r);
        assert_true(actions_have(&p, p.manager, fresh, "approve"));
        assert_false(actions_have(&p, p.officer, fresh, "approve"));
        act(&p, p.manager, fresh, "approve", "{}", 400, "approval_note");
        act(&p, p.manager, fresh, "approve", "{\"approval_note\":\"同意\"}", 200, NULL);
        r = hazard(&p, p.worker, fresh);
        assert_string_equal(str(r, "state"), "assessed");
        assert_string_equal(str(json_object_get(r, "data"), "approval_note"), "同意");
        json_decref(r);
        assert_int_equal(p.s.pid, pid); /* never restarted */
        assert_int_equal(kill(pid, 0), 0);
        ws_server_destroy(&p.s);
    }
}

int main(void)
{
    static const char *const serve_args[] = {"--tick-seconds", "1", NULL};
    for (int i = 0; serve_args[i]; i++) ws_serve_extra[i] = serve_args[i];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lifecycle),
        cmocka_unit_test(overdue_by_timer),
        cmocka_unit_test(new_version_live),
    };
    return cmocka_run_group_tests_name("hazard", tests, NULL, NULL);
}
