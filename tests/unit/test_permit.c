/* test_permit.c — special-work permits in-process (src/permit) on a real
 * SQLite file (and PostgreSQL when WS_TEST_PG_URL is set), with the test
 * build's clock set to a working Tuesday morning in Asia/Shanghai so that no
 * night or holiday upgrade depends on when the test runs.
 *
 * What a user checks: a hot-work permit goes from application to work only
 * through every statutory step, and each refusal names the rule (a missing
 * certificate, a gas test 31 minutes old, a detector beyond the pass limit);
 * exactly 30 minutes still passes; only the chain's posts approve, never the
 * applicant; only the guardian checks in; a conflicting permit in the same
 * area is refused naming the other, and goes ahead inside one job package
 * with a joint assessment; a linked detector crossing the limit suspends the
 * permit with one 紧急 alarm; the window running out expires it; a terminal
 * permit never moves again; the evidence log verifies (permit.h invariants). */
#include <math.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/json.h"
#include "permit/permit.h"
#include "permit/permit_int.h"
#include "telemetry/series.h"
#include "warn/warn.h"
#include "unit/plant_fixture.h"

#define MIN 60000LL
#define HOUR (60 * MIN)

typedef struct pw {
    world w;
    int64_t applicant, welder, guardian, head, safety, other, point;
    auth_subject s_app, s_guard, s_head, s_safety, s_other;
    org_caller app, guard, head_c, safety_c, other_c;
    audit_actor a_app, a_guard, a_head, a_safety, a_other;
    permit_svc *svc;
    series *ser;
    warn *eng;
    char dir[256];
} pw;
static pw P;

static int64_t person(const char *name, const char *phone, int64_t post)
{
    int64_t id = 0;
    org_person_in in = {.unit_id = P.w.area, .name = name, .phone = phone, .post_ids = post ? &post : NULL,
                        .npost = post ? 1 : 0};
    OK(org_person_create(tc.c, &TRUSTED, &in, &id));
    return id;
}

static void cert(int64_t who, const char *type, const char *number, int64_t expires)
{
    permit_cert_in in = {.person_id = who, .type = type, .number = number, .expires_at = expires,
                         .authority = "应急管理局"};
    int64_t id;
    OK(permit_cert_create(tc.c, &TRUSTED, &in, &id));
}

/* A working Tuesday, 09:00 in Shanghai: 2026-12-01T01:00:00Z. */
static void clock_to_tuesday(void)
{
    int64_t target;
    assert_int_equal(clock_parse_rfc3339("2026-12-01T09:00:00+08:00", &target), 0);
    clock_test_advance(target - clock_now_ms());
}

static void world_up(void)
{
    clock_to_tuesday();
    P.w = org_world(tc.c);
    int64_t post_head = 0, post_safety = 0;
    OK(org_post_create(tc.c, &TRUSTED, P.w.ent, 0, "workshop_head", "车间主任", &post_head));
    OK(org_post_create(tc.c, &TRUSTED, P.w.ent, 0, "safety_dept", "安全管理部", &post_safety));
    P.applicant = person("申请人赵", "13800000001", 0);
    P.welder = person("焊工钱", "13800000002", 0);
    P.guardian = person("监护人孙", "13800000003", 0);
    P.head = person("车间主任李", "13800000004", post_head);
    P.safety = person("安全部周", "13800000005", post_safety);
    P.other = person("旁人吴", "13800000006", 0);
    cert(P.guardian, "guardian", "JH-001", clock_now_ms() + 365 * 24 * HOUR);
    const char *path = P.w.ent_path;
    P.s_app = subject(ROLE_WORKER, P.applicant, path);
    P.s_guard = subject(ROLE_WORKER, P.guardian, path);
    P.s_head = subject(ROLE_DEPT_HEAD, P.head, path);
    P.s_safety = subject(ROLE_SAFETY_OFFICER, P.safety, path);
    P.s_other = subject(ROLE_WORKER, P.other, path);
    P.a_app.name = "account:app";
    P.a_guard.name = "account:guard";
    P.a_head.name = "account:head";
    P.a_safety.name = "account:safety";
    P.a_other.name = "account:other";
    P.app = (org_caller){&P.a_app, &P.s_app};
    P.guard = (org_caller){&P.a_guard, &P.s_guard};
    P.head_c = (org_caller){&P.a_head, &P.s_head};
    P.safety_c = (org_caller){&P.a_safety, &P.s_safety};
    P.other_c = (org_caller){&P.a_other, &P.s_other};
    /* a fixed combustible detector of the area */
    point_in in = {.set = POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME | POINT_SET_KIND, .unit_id = P.w.area,
                   .tag = "GT-201", .name = "动火点可燃气体", .kind = "combustible", .range_low = NAN,
                   .range_high = NAN, .resolution = NAN, .exposure_limit = NAN, .ll = NAN, .l = NAN, .h = NAN,
                   .hh = NAN, .deadband = NAN, .active = true};
    OK(point_create(tc.c, &TRUSTED, &in, &P.point));
    /* the early-warning engine and the permit service, timers driven by the test */
    snprintf(P.dir, sizeof P.dir, "%s/eng%d", tmpdir, tc.f->n + (tc.f->kind == STORE_POSTGRES ? 100 : 0));
    mkdir(P.dir, 0700);
    char surl[1400], wal[300];
    OK(series_url(tc.url, P.dir, surl, sizeof surl));
    OK(series_open(surl, NULL, &P.ser));
    snprintf(wal, sizeof wal, "%s/journal", P.dir);
    warn_config wc = {.db = tc.s, .db_url = tc.url, .series = P.ser, .wal_dir = wal, .no_thread = true};
    OK(warn_open(&wc, &P.eng));
    permit_config pc = {.db = tc.s, .warn = P.eng, .no_thread = true};
    OK(permit_open(&pc, &P.svc));
}

static void world_down(void)
{
    permit_close(P.svc);
    warn_close(P.eng);
    OK(series_close(P.ser));
    memset(&P, 0, sizeof P);
}

static int setup(void **state)
{
    int rc = db_setup(state);
    if (!rc) world_up();
    return rc;
}

static int teardown(void **state)
{
    world_down();
    return db_teardown(state);
}

static const char *rfc(int64_t ms, char *out)
{
    return clock_format_rfc3339(ms, out, 40);
}

/* A hot-work permit of grade g in the area, starting in `lead` ms, for `len`. */
static int64_t hot_work(const char *grade, int64_t lead, int64_t len, int64_t package, bool with_cert_no)
{
    char a[40], b[40];
    int64_t now = clock_now_ms();
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:[{s:I, s:s, s:s}], s:I, s:[I]}", "type",
                             "hot_work", "grade", grade, "unit_id", (json_int_t)P.w.area, "title", "更换 P-101 出口法兰",
                             "location", "罐区东侧管廊", "planned_start", rfc(now + lead, a), "planned_end",
                             rfc(now + lead + len, b), "workers", "person_id", (json_int_t)P.welder, "cert_type",
                             "welding_cutting", "cert_no", with_cert_no ? "T-HG-0001" : "", "guardian_person_id",
                             (json_int_t)P.guardian, "gas_points", (json_int_t)P.point);
    if (package) json_object_set_new(body, "package_id", json_integer(package));
    int64_t id = 0;
    OK(permit_create(P.svc, tc.c, &P.app, body, &id));
    json_decref(body);
    return id;
}

static ws_err act(const org_caller *by, int64_t id, const char *action, const char *body_json)
{
    json_error_t je;
    json_t *body = body_json ? json_loads(body_json, 0, &je) : NULL;
    ws_err rc = permit_act(P.svc, tc.c, by, id, action, body, NULL);
    json_decref(body);
    return rc;
}

static const char *state_of(int64_t id)
{
    static char s[16];
    permit_row p;
    OK(permit_get(tc.c, id, &p));
    snprintf(s, sizeof s, "%s", p.state);
    permit_row_free(&p);
    return s;
}

static void gas(int64_t id, double lel)
{
    char b[160];
    snprintf(b, sizeof b, "{\"kind\":\"combustible\",\"unit\":\"%%LEL\",\"value\":%g,\"portable\":true,"
             "\"substance\":\"甲烷\"}", lel);
    OK(act(&P.other_c, id, "gas", b));
}

/* Does the report have a failing verdict of rule? */
static bool fails(const json_t *rep, const char *rule)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rep, "verdicts"), i, v)
        if (!strcmp(json_string_value(json_object_get(v, "rule")), rule) &&
            !strcmp(json_string_value(json_object_get(v, "result")), "fail"))
            return true;
    return false;
}

/* Up to approved: submit, measures, gas, both approvals of 一级. */
static void to_approved(int64_t id, double lel)
{
    OK(act(&P.app, id, "submit", NULL));
    OK(act(&P.app, id, "confirm_measures", NULL));
    gas(id, lel);
    OK(act(&P.head_c, id, "approve", "{\"post\":\"workshop_head\"}"));
    OK(act(&P.safety_c, id, "approve", "{\"post\":\"safety_dept\"}"));
    assert_string_equal(state_of(id), "approved");
}

/* The whole way of a 一级 hot-work permit, with each statutory refusal. */
static void t_lifecycle(void **state)
{
    (void)state;
    int64_t id = hot_work("1", 0, 6 * HOUR, 0, true);
    assert_string_equal(state_of(id), "draft");
    json_t *pre = NULL;
    OK(permit_precheck(P.svc, tc.c, id, clock_now_ms(), &pre));
    assert_false(json_is_true(json_object_get(pre, "ready")));
    assert_true(json_array_size(json_object_get(pre, "missing")) > 0);
    json_decref(pre);
    /* the welder's certificate is not on record: submit names the rule */
    REFUSED(act(&P.app, id, "submit", NULL), WS_ECONFLICT, "certificate");
    cert(P.welder, "welding_cutting", "T-HG-0001", clock_now_ms() + 30 * 24 * HOUR);
    /* nobody skips a step */
    REFUSED(act(&P.guard, id, "check_in", NULL), WS_ECONFLICT, "state");
    OK(act(&P.app, id, "submit", NULL));
    assert_string_equal(state_of(id), "applied");
    REFUSED(act(&P.head_c, id, "approve", "{\"post\":\"workshop_head\"}"), WS_ECONFLICT, "state");
    REFUSED(act(&P.app, id, "confirm_measures", "{\"confirmed\":[0,1]}"), WS_EINVAL, "measures[2]");
    OK(act(&P.app, id, "confirm_measures", NULL));
    assert_string_equal(state_of(id), "identified");
    gas(id, 12); /* over the 10 %LEL pass limit: recorded, judged at check-in */
    assert_string_equal(state_of(id), "tested");
    /* approvals: the applicant never, a post outside the chain never, each post once */
    auth_subject self = subject(ROLE_DEPT_HEAD, P.applicant, P.w.ent_path);
    org_caller app_as_head = {&P.a_app, &self};
    REFUSED(act(&app_as_head, id, "approve", "{\"post\":\"workshop_head\"}"), WS_EFORBIDDEN, "post");
    REFUSED(act(&P.head_c, id, "approve", "{\"post\":\"plant_manager\"}"), WS_EINVAL, "post");
    REFUSED(act(&P.head_c, id, "approve", "{\"post\":\"safety_dept\"}"), WS_EFORBIDDEN, "post");
    OK(act(&P.head_c, id, "approve", "{\"post\":\"workshop_head\"}"));
    assert_string_equal(state_of(id), "tested");
    REFUSED(act(&P.head_c, id, "approve", "{\"post\":\"workshop_head\"}"), WS_ECONFLICT, "post");
    OK(act(&P.safety_c, id, "approve", "{\"post\":\"safety_dept\"}"));
    assert_string_equal(state_of(id), "approved");
    /* only the guardian checks in; the gas is over the pass limit */
    REFUSED(act(&P.other_c, id, "check_in", NULL), WS_EFORBIDDEN, "guardian_person_id");
    /* the refusal carries every verdict: the 12 %LEL test fails its pass limit */
    json_t *rep = NULL;
    assert_int_equal(permit_act(P.svc, tc.c, &P.guard, id, "check_in", NULL, &rep), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "gas_before_start");
    assert_true(fails(rep, "combustible_limit"));
    assert_false(fails(rep, "validity_hot_work"));
    json_decref(rep);
    gas(id, 4);
    clock_test_advance(31 * MIN);
    REFUSED(act(&P.guard, id, "check_in", NULL), WS_ECONFLICT, "gas_before_start");
    assert_string_equal(state_of(id), "approved");
    gas(id, 3);
    clock_test_advance(30 * MIN - 2000); /* 30 minutes less the real time this test takes (the exact
                                             boundary is pinned in test_permit_rules) */
    OK(act(&P.guard, id, "check_in", NULL));
    assert_string_equal(state_of(id), "active");
    /* a break and a resume: after 30 min of 一级, a new test is needed */
    OK(act(&P.app, id, "suspend", "{\"reason\":\"午休\"}"));
    clock_test_advance(31 * MIN);
    REFUSED(act(&P.app, id, "resume", NULL), WS_ECONFLICT, "gas_after_break_hot_work");
    gas(id, 2);
    OK(act(&P.app, id, "resume", NULL));
    OK(act(&P.app, id, "close", "{\"note\":\"完工，现场已清理\"}"));
    /* invariant 3: terminal is terminal */
    REFUSED(act(&P.app, id, "resume", NULL), WS_ECONFLICT, "state");
    REFUSED(act(&P.app, id, "cancel", "{\"reason\":\"x\"}"), WS_ECONFLICT, "state");
    /* invariant 2: a timeline entry per change, each with its leaf */
    /* create, submit, measures, 4 gas tests, 2 approvals, check-in, suspend, resume, close */
    assert_int_equal(count_sql(tc.c, "SELECT count(*) FROM permit_events"), 13);
    assert_int_equal(count_sql(tc.c, "SELECT count(*) FROM audit_leaf WHERE entity = 'permit_event'"), 13);
    assert_int_equal(count_sql(tc.c, "SELECT count(*) FROM audit_leaf WHERE entity = 'permit'"), 13);
    verify_clean(tc.c);
}

/* Hot work and confined-space entry in one area at one time: refused across
 * packages, naming the other permit; inside one package only after the
 * joint assessment. */
static void t_conflicts(void **state)
{
    (void)state;
    cert(P.welder, "welding_cutting", "T-HG-0001", clock_now_ms() + 30 * 24 * HOUR);
    int64_t first = hot_work("1", 0, 6 * HOUR, 0, true);
    to_approved(first, 3);
    OK(act(&P.guard, first, "check_in", NULL));
    int64_t second = hot_work("1", 0, 6 * HOUR, 0, true);
    to_approved(second, 3);
    /* hot work beside hot work in the matrix needs a joint assessment: refused outside a package */
    REFUSED(act(&P.guard, second, "check_in", NULL), WS_ECONFLICT, "conflict");
    permit_row p;
    OK(permit_get(tc.c, first, &p));
    assert_non_null(strstr(ws_err_message(), p.code));
    permit_row_free(&p);
    OK(act(&P.app, second, "cancel", "{\"reason\":\"改为同一作业包\"}"));
    OK(act(&P.app, first, "close", NULL));
    /* one job package: joint assessment first */
    int64_t pkg = 0;
    OK(permit_package_create(tc.c, &P.app, P.w.area, "P-101 检修作业包", &pkg));
    int64_t a = hot_work("1", 0, 6 * HOUR, pkg, true);
    int64_t b = hot_work("1", 0, 6 * HOUR, pkg, true);
    to_approved(a, 3);
    to_approved(b, 3);
    OK(act(&P.guard, a, "check_in", NULL));
    REFUSED(act(&P.guard, b, "check_in", NULL), WS_ECONFLICT, "conflict");
    OK(permit_package_assess(tc.c, &P.safety_c, pkg, "两处动火间距 20 m，分设监护，统一指挥"));
    OK(act(&P.guard, b, "check_in", NULL));
    assert_string_equal(state_of(b), "active");
    verify_clean(tc.c);
}

static int64_t open_gas_alarms(int64_t permit)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM alarms WHERE rule_id = %d AND source_id = %lld AND open = 1",
             WARN_RULE_PERMIT_GAS, (long long)permit);
    return count_sql(tc.c, sql);
}

/* The live gas link: the fixed detector beyond the permit's pass limit
 * suspends it with one 紧急 alarm; readings back to normal clear the
 * condition, the permit waits for a person; the window running out expires
 * it. */
static void t_gas_link_and_expiry(void **state)
{
    (void)state;
    cert(P.welder, "welding_cutting", "T-HG-0001", clock_now_ms() + 30 * 24 * HOUR);
    int64_t id = hot_work("1", 0, 2 * HOUR, 0, true);
    to_approved(id, 3);
    ws_reading r = {.source_ms = clock_now_ms(), .value = 2, .quality = 0};
    snprintf(r.tag, sizeof r.tag, "GT-201");
    OK(warn_ingest(P.eng, WARN_SRC_HTTP, &r, 1, NULL));
    OK(act(&P.guard, id, "check_in", NULL));
    int moved = 0;
    OK(permit_tick(P.svc, clock_now_ms(), &moved));
    assert_int_equal(moved, 0);
    assert_string_equal(state_of(id), "active");
    /* 12 %LEL: under the detector's own alarm limit (25), over the permit's (10) */
    r.source_ms = clock_now_ms() + 1000;
    r.value = 12;
    OK(warn_ingest(P.eng, WARN_SRC_HTTP, &r, 1, NULL));
    /* the 1 s pass (not the full one) watches the linked detectors */
    OK(permit_tick_at(P.svc, clock_now_ms() + 1000, false, &moved));
    assert_int_equal(moved, 1);
    assert_string_equal(state_of(id), "suspended");
    assert_int_equal(open_gas_alarms(id), 1);
    assert_int_equal(count_sql(tc.c, "SELECT count(*) FROM alarms WHERE open = 1"), 1); /* one, not two */
    assert_int_equal(count_sql(tc.c, "SELECT max(level) FROM alarms WHERE open = 1"), 3);
    OK(permit_tick(P.svc, clock_now_ms() + 2000, &moved));
    assert_int_equal(open_gas_alarms(id), 1);
    /* back to normal: the alarm's condition clears, the permit stays suspended */
    r.source_ms = clock_now_ms() + 3000;
    r.value = 1;
    OK(warn_ingest(P.eng, WARN_SRC_HTTP, &r, 1, NULL));
    OK(permit_tick(P.svc, clock_now_ms() + 3000, &moved));
    assert_string_equal(state_of(id), "suspended");
    assert_int_equal(count_sql(tc.c, "SELECT count(*) FROM alarms WHERE open = 1 AND state = 'rtn_unack'"), 1);
    /* the validity runs out: expired, and terminal */
    clock_test_advance(3 * HOUR);
    OK(permit_tick(P.svc, clock_now_ms(), &moved));
    assert_string_equal(state_of(id), "expired");
    REFUSED(act(&P.app, id, "resume", NULL), WS_ECONFLICT, "state");
    verify_clean(tc.c);
}

/* The detectors around a work location: a hot-work permit applied for 9 m
 * from GT-201 links it by itself; 60 m away (beyond the 15 m radius) it
 * links none; an oxygen analyser next to it counts for confined space only. */
static void t_nearby(void **state)
{
    (void)state;
    OK(point_location_set(tc.c, &TRUSTED, P.point, 31.98000, 120.89000, "T-201 罐根"));
    point_in in = {.set = POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME | POINT_SET_KIND, .unit_id = P.w.area,
                   .tag = "OX-201", .name = "氧含量", .kind = "oxygen", .range_low = NAN, .range_high = NAN,
                   .resolution = NAN, .exposure_limit = NAN, .ll = NAN, .l = NAN, .h = NAN, .hh = NAN,
                   .deadband = NAN, .active = true};
    int64_t ox = 0;
    OK(point_create(tc.c, &TRUSTED, &in, &ox));
    OK(point_location_set(tc.c, &TRUSTED, ox, 31.98002, 120.89002, NULL));
    REFUSED(point_location_set(tc.c, &TRUSTED, ox, 95, 120, NULL), WS_EINVAL, "lat");
    /* 9 m north of GT-201 (0.0000809 degrees of latitude) */
    static const char *const cases[][3] = {
        {"hot_work", "31.9800809", "1"}, {"hot_work", "31.9805400", "0"}, {"confined_space", "31.9800809", "2"}};
    for (int i = 0; i < 3; i++) {
        char a[40], b[40], body[700];
        int64_t now = clock_now_ms();
        snprintf(body, sizeof body, "{\"type\":\"%s\",%s\"unit_id\":%lld,\"title\":\"t\",\"location\":\"l\","
                 "\"planned_start\":\"%s\",\"planned_end\":\"%s\",\"location_lat\":%s,\"location_lon\":120.89}",
                 cases[i][0], i == 1 || i == 0 ? "\"grade\":\"1\"," : "", (long long)P.w.area, rfc(now, a),
                 rfc(now + HOUR, b), cases[i][1]);
        json_error_t je;
        json_t *j = json_loads(body, 0, &je);
        assert_non_null(j);
        int64_t id = 0;
        OK(permit_create(P.svc, tc.c, &P.app, j, &id));
        json_decref(j);
        permit_row p;
        OK(permit_get(tc.c, id, &p));
        const json_t *pts = json_object_get(p.doc, "gas_points");
        assert_int_equal(json_array_size(pts), atoi(cases[i][2]));
        if (i == 0) {
            assert_int_equal(json_integer_value(json_array_get(pts, 0)), P.point);
            double d = json_number_value(json_object_get(json_array_get(json_object_get(p.doc, "gas_points_near"), 0),
                                                         "distance_m"));
            assert_true(d > 8.5 && d < 9.5);
        }
        permit_row_free(&p);
    }
}

/* Bad input is refused naming the field, and nothing is written. */
static void t_bad_input(void **state)
{
    (void)state;
    int64_t before = count_sql(tc.c, "SELECT count(*) FROM permits");
    json_error_t je;
    static const struct { const char *body, *field; } cases[] = {
        {"{\"type\":\"fire\"}", "type"},
        {"{\"type\":\"hot_work\",\"grade\":\"1\",\"unit_id\":999999}", "unit_id"},
        {"{\"type\":\"hot_work\",\"unit_id\":%U,\"title\":\"t\",\"location\":\"l\","
         "\"planned_start\":\"2026-12-01T10:00:00+08:00\",\"planned_end\":\"2026-12-01T12:00:00+08:00\"}", "grade"},
        {"{\"type\":\"hot_work\",\"grade\":\"1\",\"unit_id\":%U,\"title\":\"t\",\"location\":\"l\","
         "\"planned_start\":\"2026-12-01T10:00:00+08:00\",\"planned_end\":\"2026-12-01T09:00:00+08:00\"}", "planned_end"},
        {"{\"type\":\"hot_work\",\"grade\":\"1\",\"unit_id\":%U,\"title\":\"t\",\"location\":\"l\","
         "\"planned_start\":\"soon\",\"planned_end\":\"2026-12-01T09:00:00+08:00\"}", "planned_start"},
        {"{\"type\":\"work_at_height\",\"unit_id\":%U,\"title\":\"t\",\"location\":\"l\",\"height_m\":1.5,"
         "\"planned_start\":\"2026-12-01T10:00:00+08:00\",\"planned_end\":\"2026-12-01T12:00:00+08:00\"}", "height_m"},
        {"{\"type\":\"hot_work\",\"grade\":\"1\",\"unit_id\":%U,\"title\":\"t\",\"location\":\"l\",\"colour\":1,"
         "\"planned_start\":\"2026-12-01T10:00:00+08:00\",\"planned_end\":\"2026-12-01T12:00:00+08:00\"}", "colour"},
        {"{\"type\":\"hot_work\",\"grade\":\"1\",\"unit_id\":%U,\"title\":\"t\",\"location\":\"l\","
         "\"workers\":[{\"person_id\":424242}],"
         "\"planned_start\":\"2026-12-01T10:00:00+08:00\",\"planned_end\":\"2026-12-01T12:00:00+08:00\"}",
         "workers[0].person_id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[600], unit[24];
        snprintf(unit, sizeof unit, "%lld", (long long)P.w.area);
        const char *src = cases[i].body;
        size_t n = 0;
        for (; *src && n < sizeof text - 24; src++) {
            if (src[0] == '%' && src[1] == 'U') {
                n += (size_t)snprintf(text + n, sizeof text - n, "%s", unit);
                src++;
            } else
                text[n++] = *src;
        }
        text[n] = 0;
        json_t *b = json_loads(text, 0, &je);
        assert_non_null(b);
        int64_t id = 0;
        ws_err rc = permit_create(P.svc, tc.c, &P.app, b, &id);
        json_decref(b);
        if (rc == WS_OK) fail_msg("case %zu accepted", i);
        assert_string_equal(ws_err_field(), cases[i].field);
    }
    assert_int_equal(count_sql(tc.c, "SELECT count(*) FROM permits"), before);
    /* a gas test with a bad unit, on a real permit */
    cert(P.welder, "welding_cutting", "T-HG-0001", clock_now_ms() + 30 * 24 * HOUR);
    int64_t id = hot_work("1", 0, HOUR, 0, true);
    OK(act(&P.app, id, "submit", NULL));
    OK(act(&P.app, id, "confirm_measures", NULL));
    REFUSED(act(&P.other_c, id, "gas", "{\"kind\":\"oxygen\",\"unit\":\"%LEL\",\"value\":20}"), WS_EINVAL, "unit");
    REFUSED(act(&P.other_c, id, "gas", "{\"kind\":\"combustible\",\"unit\":\"%LEL\",\"value\":-1}"), WS_EINVAL, "value");
    REFUSED(act(&P.other_c, id, "gas", "{\"kind\":\"toxic\",\"unit\":\"mg/m3\",\"value\":3}"), WS_EINVAL, "limit");
    REFUSED(act(&P.app, id, "fly", NULL), WS_ENOTFOUND, "action");
    assert_string_equal(state_of(id), "identified");
}

/* The compliance report names each violation with its clause and evidence. */
static void t_report(void **state)
{
    (void)state;
    cert(P.welder, "welding_cutting", "T-HG-0001", clock_now_ms() + 30 * 24 * HOUR);
    int64_t id = hot_work("1", 0, 6 * HOUR, 0, true);
    to_approved(id, 3);
    OK(act(&P.guard, id, "check_in", NULL));
    OK(act(&P.app, id, "close", NULL));
    int64_t now = clock_now_ms();
    json_t *rep = NULL;
    OK(permit_report(P.svc, tc.c, "/", P.w.area, now - 24 * HOUR, now + 24 * HOUR, &rep));
    assert_int_equal(json_integer_value(json_object_get(rep, "permits")), 1);
    json_t *item = json_array_get(json_object_get(rep, "items"), 0);
    assert_true(json_array_size(json_object_get(item, "verdicts")) >= 10);
    json_decref(rep);
    REFUSED(permit_report(P.svc, tc.c, "/", 0, now, now - 1, &rep), WS_EINVAL, "to");
}

int main(void)
{
    if (permit_init() || warn_init()) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(t_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(t_gas_link_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(t_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(t_report, setup, teardown),
        cmocka_unit_test_setup_teardown(t_nearby, setup, teardown),
    };
    return run_all("permit", tests, sizeof tests / sizeof tests[0]);
}
