/* test_permit_rules.c — the GB 30871 compliance engine (src/permit/rules.c,
 * calendar.c, snapshot.c) at and around every boundary a safety officer
 * would check: gas test age 29/30/31 min, validity 7 h 59 / 8 h / 8 h 01,
 * O2 19.4/19.5/21.0/21.1 %, combustible limits, the night / holiday / 调休
 * upgrade, height and hoisting grades, certificates, temporary power, the
 * break re-test, periodic re-tests and expiry while running, approvals and
 * the guardian; profile refusals naming the path; the compiled-in data equal
 * to data/permit/; and every recorded case in tests/data/permits/ giving
 * exactly its expected failing rules. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "permit/permit_rules.h"

static pr_profile *g_chem, *g_gongmao, *g_constr;
static pr_calendar *g_cal;

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static int64_t T(const char *s)
{
    int64_t ms = 0;
    if (clock_parse_rfc3339(s, &ms)) fail_msg("bad time %s", s);
    return ms;
}

static pr_profile *load_profile(const char *key)
{
    const char *text = pr_profile_builtin(key);
    assert_non_null(text);
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    assert_non_null(doc);
    pr_profile *p = NULL;
    ws_err rc = pr_profile_parse(doc, &p);
    if (rc) fail_msg("%s: %s", key, ws_err_message());
    json_decref(doc);
    return p;
}

static int setup(void **state)
{
    g_chem = load_profile("gb30871_2022_chem");
    g_gongmao = load_profile("gongmao_ref");
    g_constr = load_profile("construction");
    json_t *doc = json_loads(pr_calendar_builtin(), 0, NULL);
    assert_non_null(doc);
    assert_int_equal(pr_calendar_parse(doc, &g_cal), WS_OK);
    json_decref(doc);
    return 0;
}

static int teardown(void **state)
{
    pr_profile_free(g_chem);
    pr_profile_free(g_gongmao);
    pr_profile_free(g_constr);
    pr_calendar_free(g_cal);
    return 0;
}

static void add_gas(pr_permit *p, int64_t at, pr_gas_kind k, pr_gas_unit u, double v)
{
    pr_gas *g = &p->gas[p->ngas++];
    memset(g, 0, sizeof *g);
    g->at_ms = at;
    g->kind = k;
    g->unit = u;
    g->value = v;
    g->portable = true;
    snprintf(g->substance, sizeof g->substance, "%s", k == PR_GAS_OXYGEN ? "O2" : k == PR_GAS_TOXIC ? "H2S" : "甲烷");
}

static void add_worker(pr_permit *p, const char *cert, int64_t expires)
{
    pr_worker *w = &p->workers[p->nworkers];
    memset(w, 0, sizeof *w);
    w->person_id = 100 + p->nworkers;
    snprintf(w->name, sizeof w->name, "工人%d", p->nworkers + 1);
    snprintf(w->cert_type, sizeof w->cert_type, "%s", cert);
    snprintf(w->cert_no, sizeof w->cert_no, "T%06d", 1000 + p->nworkers);
    w->cert_expires_ms = expires;
    p->nworkers++;
}

static void approve(pr_permit *p, const char *post, int64_t at)
{
    pr_approval *a = &p->approvals[p->napprovals++];
    snprintf(a->post, sizeof a->post, "%s", post);
    a->person_id = 200 + p->napprovals;
    a->at_ms = at;
}

/* A hot-work permit of grade g on Tuesday 2026-03-03 09:00–16:00 that passes
 * every rule when activated at 09:00: combustible 0 %LEL at 08:45, a welder
 * with a valid certificate, a qualified guardian checked in at 08:50, all
 * measures confirmed, every approval of the chain at 08:00. */
static void hot_ok(pr_permit *p, const char *g)
{
    memset(p, 0, sizeof *p);
    p->type = PT_HOT_WORK;
    snprintf(p->grade, sizeof p->grade, "%s", g);
    p->planned_start_ms = T("2026-03-03T09:00:00+08:00");
    p->planned_end_ms = T("2026-03-03T16:00:00+08:00");
    add_gas(p, T("2026-03-03T08:45:00+08:00"), PR_GAS_COMBUSTIBLE, PR_UNIT_PCT_LEL, 0);
    add_worker(p, "welding_cutting", T("2027-01-01T00:00:00+08:00"));
    p->guardian_person_id = 7;
    p->guardian_qualified = true;
    p->guardian_checkin_ms = T("2026-03-03T08:50:00+08:00");
    p->nmeasures = p->nmeasures_confirmed = 12;
    p->continuous_monitor = !strcmp(g, "special");
    int64_t at = T("2026-03-03T08:00:00+08:00");
    approve(p, "workshop_head", at);
    if (strcmp(g, "2")) approve(p, "safety_dept", at);
    if (!strcmp(g, "special")) approve(p, "plant_manager", at);
}

/* A confined-space entry the same day, 09:00–17:00, O2 20.9 % and 0 %LEL at
 * 08:40 (upper, middle, lower share one sample each). */
static void cs_ok(pr_permit *p)
{
    memset(p, 0, sizeof *p);
    p->type = PT_CONFINED_SPACE;
    p->planned_start_ms = T("2026-03-03T09:00:00+08:00");
    p->planned_end_ms = T("2026-03-03T17:00:00+08:00");
    add_gas(p, T("2026-03-03T08:40:00+08:00"), PR_GAS_OXYGEN, PR_UNIT_PCT_VOL, 20.9);
    add_gas(p, T("2026-03-03T08:40:00+08:00"), PR_GAS_COMBUSTIBLE, PR_UNIT_PCT_LEL, 0);
    add_worker(p, "", 0); /* confined space needs no special-operation certificate */
    p->guardian_person_id = 7;
    p->guardian_qualified = true;
    p->guardian_checkin_ms = T("2026-03-03T08:50:00+08:00");
    p->nmeasures = p->nmeasures_confirmed = 9;
    approve(p, "workshop_head", T("2026-03-03T08:00:00+08:00"));
}

static const pr_verdict *find(const pr_report *r, const char *rule)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].rule, rule)) return &r->v[i];
    return NULL;
}

static pr_result result_of(const pr_profile *pf, const pr_permit *p, int64_t now, pr_stage st, const char *rule,
                           pr_report *r)
{
    assert_int_equal(pr_check(pf, g_cal, p, now, st, r), WS_OK);
    const pr_verdict *v = find(r, rule);
    if (!v) fail_msg("rule %s not in the report", rule);
    return v->result;
}

static void print_fails(const pr_report *r)
{
    for (int i = 0; i < r->n; i++)
        if (r->v[i].result == PR_FAIL) print_message("  fail %s [%s] %s\n", r->v[i].rule, r->v[i].field, r->v[i].evidence);
}

/* ------------------------------------------------------------------ */

static void baseline_permits_pass(void **state)
{
    pr_permit p;
    pr_report r;
    const char *grades[] = {"special", "1", "2"};
    for (int i = 0; i < 3; i++) {
        hot_ok(&p, grades[i]);
        assert_int_equal(pr_check(g_chem, g_cal, &p, T("2026-03-03T09:00:00+08:00"), PR_STAGE_ACTIVATE, &r), WS_OK);
        print_fails(&r);
        assert_int_equal(r.nfail, 0);
        assert_string_equal(r.effective_grade, grades[i]);
        assert_string_equal(r.upgrade_reason, "");
        assert_true(r.pass_limit_lel == 10);
    }
    cs_ok(&p);
    assert_int_equal(pr_check(g_chem, g_cal, &p, T("2026-03-03T09:00:00+08:00"), PR_STAGE_ACTIVATE, &r), WS_OK);
    print_fails(&r);
    assert_int_equal(r.nfail, 0);
    assert_int_equal(r.validity_ms, 24 * HOUR);
}

static void gas_before_start_29_30_31(void **state)
{
    static const struct {
        int minutes;
        pr_result want;
    } rows[] = {{29, PR_PASS}, {30, PR_PASS}, {31, PR_FAIL}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pr_permit p;
        pr_report r;
        hot_ok(&p, "1");
        int64_t now = T("2026-03-03T09:00:00+08:00");
        p.gas[0].at_ms = now - rows[i].minutes * MIN;
        assert_int_equal(result_of(g_chem, &p, now, PR_STAGE_ACTIVATE, "gas_before_start", &r), rows[i].want);
        char want[64];
        snprintf(want, sizeof want, "开始作业前 %d 分钟; 上限 30 分钟", rows[i].minutes);
        assert_non_null(strstr(find(&r, "gas_before_start")->evidence, want));
        if (rows[i].want == PR_FAIL) {
            assert_string_equal(find(&r, "gas_before_start")->field, "gas[0]");
            assert_non_null(strstr(find(&r, "gas_before_start")->evidence, "(gas test 31 min before start; limit 30)"));
        }
    }
    /* 30 min and one second is over the limit */
    pr_permit p;
    pr_report r;
    hot_ok(&p, "1");
    int64_t now = T("2026-03-03T09:00:00+08:00");
    p.gas[0].at_ms = now - 30 * MIN - 1000;
    assert_int_equal(result_of(g_chem, &p, now, PR_STAGE_ACTIVATE, "gas_before_start", &r), PR_FAIL);
    /* a later failing sample is not hidden by an earlier passing one */
    hot_ok(&p, "1");
    add_gas(&p, now - 5 * MIN, PR_GAS_COMBUSTIBLE, PR_UNIT_PCT_LEL, 12);
    assert_int_equal(result_of(g_chem, &p, now, PR_STAGE_ACTIVATE, "gas_before_start", &r), PR_FAIL);
    assert_int_equal(find(&r, "combustible_limit")->result, PR_FAIL);
    /* no test at all: the pre-check lists it, naming the field */
    hot_ok(&p, "1");
    p.ngas = 0;
    assert_int_equal(result_of(g_chem, &p, now - HOUR, PR_STAGE_PRECHECK, "gas_before_start", &r), PR_FAIL);
    assert_string_equal(find(&r, "gas_before_start")->field, "gas");
    /* audit: the test must precede activation by at most 30 min */
    hot_ok(&p, "1");
    p.activated_ms = T("2026-03-03T09:20:00+08:00");
    assert_int_equal(result_of(g_chem, &p, T("2026-03-04T09:00:00+08:00"), PR_STAGE_AUDIT, "gas_before_start", &r),
                     PR_FAIL);
    assert_non_null(strstr(find(&r, "gas_before_start")->evidence, "35 分钟"));
    p.activated_ms = T("2026-03-03T09:15:00+08:00");
    assert_int_equal(result_of(g_chem, &p, T("2026-03-04T09:00:00+08:00"), PR_STAGE_AUDIT, "gas_before_start", &r),
                     PR_PASS);
    /* a test taken after activation does not count for the audit */
    p.gas[0].at_ms = T("2026-03-03T09:16:00+08:00");
    assert_int_equal(result_of(g_chem, &p, T("2026-03-04T09:00:00+08:00"), PR_STAGE_AUDIT, "gas_before_start", &r),
                     PR_FAIL);
}

static void validity_boundaries(void **state)
{
    static const struct {
        pr_type type;
        const char *grade;
        int64_t len;
        pr_result want;
        const char *rule;
    } rows[] = {
        {PT_HOT_WORK, "1", 7 * HOUR + 59 * MIN, PR_PASS, "validity_hot_work"},
        {PT_HOT_WORK, "1", 8 * HOUR, PR_PASS, "validity_hot_work"},
        {PT_HOT_WORK, "1", 8 * HOUR + MIN, PR_FAIL, "validity_hot_work"},
        {PT_HOT_WORK, "special", 8 * HOUR, PR_PASS, "validity_hot_work"},
        {PT_HOT_WORK, "special", 8 * HOUR + MIN, PR_FAIL, "validity_hot_work"},
        {PT_CONFINED_SPACE, "", 24 * HOUR, PR_PASS, "validity_confined_space"},
        {PT_CONFINED_SPACE, "", 24 * HOUR + MIN, PR_FAIL, "validity_confined_space"},
        {PT_WORK_AT_HEIGHT, "", 7 * DAY, PR_PASS, "validity_height"},
        {PT_WORK_AT_HEIGHT, "", 7 * DAY + MIN, PR_FAIL, "validity_height"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pr_permit p;
        pr_report r;
        hot_ok(&p, rows[i].grade);
        p.type = rows[i].type;
        p.height_m = 3;
        p.planned_start_ms = T("2026-03-03T09:00:00+08:00");
        p.planned_end_ms = p.planned_start_ms + rows[i].len;
        pr_result got = result_of(g_chem, &p, T("2026-03-03T08:00:00+08:00"), PR_STAGE_PRECHECK, rows[i].rule, &r);
        if (got != rows[i].want) fail_msg("row %zu: %s", i, find(&r, rows[i].rule)->evidence);
        if (got == PR_FAIL) assert_string_equal(find(&r, rows[i].rule)->field, "planned_end");
    }
    /* 二级 72 h, on weekdays only (Mon 2026-03-02 06:00 .. Thu 06:00 crosses nights -> upgraded);
     * judged on a daytime window the 72 h limit shows in the report */
    pr_permit p;
    pr_report r;
    hot_ok(&p, "2");
    assert_int_equal(pr_check(g_chem, g_cal, &p, T("2026-03-03T08:00:00+08:00"), PR_STAGE_PRECHECK, &r), WS_OK);
    assert_int_equal(r.validity_ms, 72 * HOUR);
    hot_ok(&p, "1");
    p.planned_end_ms = p.planned_start_ms + 8 * HOUR + MIN;
    result_of(g_chem, &p, T("2026-03-03T08:00:00+08:00"), PR_STAGE_PRECHECK, "validity_hot_work", &r);
    assert_non_null(strstr(find(&r, "validity_hot_work")->evidence, "有效期 8 小时 1 分, 一级上限 8 小时"));
    /* activation outside the window */
    hot_ok(&p, "1");
    assert_int_equal(result_of(g_chem, &p, T("2026-03-03T08:59:00+08:00"), PR_STAGE_ACTIVATE, "validity_hot_work", &r),
                     PR_FAIL);
    assert_string_equal(find(&r, "validity_hot_work")->field, "planned_start");
}

static void running_expires_and_retests(void **state)
{
    pr_permit p;
    pr_report r;
    hot_ok(&p, "1");
    p.activated_ms = p.planned_start_ms;
    /* one minute before the end: fine; at the end: expire */
    assert_int_equal(result_of(g_chem, &p, p.planned_end_ms - MIN, PR_STAGE_RUNNING, "validity_hot_work", &r), PR_PASS);
    assert_int_equal(result_of(g_chem, &p, p.planned_end_ms, PR_STAGE_RUNNING, "validity_hot_work", &r), PR_FAIL);
    assert_int_equal(find(&r, "validity_hot_work")->effect, PR_EFFECT_EXPIRE);
    /* confined space re-test every 2 h: 120 min pass, 121 suspend */
    cs_ok(&p);
    p.activated_ms = p.planned_start_ms;
    int64_t last = T("2026-03-03T08:40:00+08:00");
    assert_int_equal(result_of(g_chem, &p, last + 120 * MIN, PR_STAGE_RUNNING, "gas_periodic_confined_space", &r),
                     PR_PASS);
    assert_int_equal(result_of(g_chem, &p, last + 121 * MIN, PR_STAGE_RUNNING, "gas_periodic_confined_space", &r),
                     PR_FAIL);
    assert_int_equal(find(&r, "gas_periodic_confined_space")->effect, PR_EFFECT_SUSPEND);
    assert_non_null(strstr(find(&r, "gas_periodic_confined_space")->evidence, "121 分钟前; 间隔上限 120 分钟"));
    /* a reading beyond the limit while running suspends */
    cs_ok(&p);
    add_gas(&p, T("2026-03-03T10:00:00+08:00"), PR_GAS_OXYGEN, PR_UNIT_PCT_VOL, 19.0);
    assert_int_equal(result_of(g_chem, &p, T("2026-03-03T10:01:00+08:00"), PR_STAGE_RUNNING, "oxygen_range", &r),
                     PR_FAIL);
    assert_int_equal(find(&r, "oxygen_range")->effect, PR_EFFECT_SUSPEND);
    /* 特级 without continuous monitoring: refused, and suspends while running */
    hot_ok(&p, "special");
    p.continuous_monitor = false;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "gas_continuous", &r), PR_FAIL);
    assert_string_equal(find(&r, "gas_continuous")->field, "continuous_monitor");
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms + HOUR, PR_STAGE_RUNNING, "gas_continuous", &r), PR_FAIL);
    assert_int_equal(find(&r, "gas_continuous")->effect, PR_EFFECT_SUSPEND);
    hot_ok(&p, "1");
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "gas_continuous", &r), PR_NA);
}

static void oxygen_boundaries(void **state)
{
    static const struct {
        double o2;
        bool enriched;
        pr_result want;
    } rows[] = {{19.4, false, PR_FAIL}, {19.5, false, PR_PASS}, {20.9, false, PR_PASS}, {21.0, false, PR_PASS},
                {21.1, false, PR_FAIL}, {23.5, true, PR_PASS},  {23.6, true, PR_FAIL},  {19.4, true, PR_FAIL}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pr_permit p;
        pr_report r;
        cs_ok(&p);
        p.gas[0].value = rows[i].o2;
        p.enriched_oxygen = rows[i].enriched;
        pr_result got = result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "oxygen_range", &r);
        if (got != rows[i].want) fail_msg("O2 %g: %s", rows[i].o2, find(&r, "oxygen_range")->evidence);
        /* the before-start timing rule also refuses a failing latest sample */
        assert_int_equal(find(&r, "gas_before_start")->result, rows[i].want);
    }
    pr_permit p;
    pr_report r;
    cs_ok(&p);
    p.gas[0].value = 21.1;
    result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "oxygen_range", &r);
    assert_string_equal(find(&r, "oxygen_range")->field, "gas[0]");
    assert_non_null(strstr(find(&r, "oxygen_range")->evidence, "氧含量 21.1%vol, 合格范围 19.5–21%vol"));
    /* a later passing sample at the same position supersedes the failing one */
    add_gas(&p, T("2026-03-03T08:50:00+08:00"), PR_GAS_OXYGEN, PR_UNIT_PCT_VOL, 20.8);
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "oxygen_range", &r), PR_PASS);
    /* each position is judged: a failing lower point fails */
    cs_ok(&p);
    snprintf(p.gas[0].position, sizeof p.gas[0].position, "upper");
    add_gas(&p, T("2026-03-03T08:41:00+08:00"), PR_GAS_OXYGEN, PR_UNIT_PCT_VOL, 19.2);
    snprintf(p.gas[2].position, sizeof p.gas[2].position, "lower");
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "oxygen_range", &r), PR_FAIL);
    assert_string_equal(find(&r, "oxygen_range")->field, "gas[2]");
}

static void combustible_and_toxic(void **state)
{
    static const struct {
        pr_gas_unit unit;
        double value, lel;
        pr_result want;
    } rows[] = {
        {PR_UNIT_PCT_LEL, 10, 0, PR_PASS},   {PR_UNIT_PCT_LEL, 10.1, 0, PR_FAIL},
        {PR_UNIT_PCT_VOL, 0.5, 5, PR_PASS},  {PR_UNIT_PCT_VOL, 0.51, 5, PR_FAIL},
        {PR_UNIT_PCT_VOL, 0.5, 4, PR_PASS},  {PR_UNIT_PCT_VOL, 0.2, 3.9, PR_PASS},
        {PR_UNIT_PCT_VOL, 0.21, 3.9, PR_FAIL}, {PR_UNIT_PCT_VOL, 0.3, 0, PR_FAIL}, /* LEL unknown: the stricter 0.2 */
        {PR_UNIT_PPM, 1, 0, PR_FAIL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pr_permit p;
        pr_report r;
        hot_ok(&p, "1");
        p.gas[0].unit = rows[i].unit;
        p.gas[0].value = rows[i].value;
        p.gas[0].lel_pct_vol = rows[i].lel;
        pr_result got = result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "combustible_limit", &r);
        if (got != rows[i].want) fail_msg("row %zu: %s", i, find(&r, "combustible_limit")->evidence);
    }
    static const struct {
        double value, limit;
        pr_result want;
    } tox[] = {{10, 10, PR_PASS}, {10.1, 10, PR_FAIL}, {1, 0, PR_FAIL}};
    for (size_t i = 0; i < sizeof tox / sizeof tox[0]; i++) {
        pr_permit p;
        pr_report r;
        cs_ok(&p);
        add_gas(&p, T("2026-03-03T08:40:00+08:00"), PR_GAS_TOXIC, PR_UNIT_MG_M3, tox[i].value);
        p.gas[2].limit = tox[i].limit;
        assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "toxic_limit", &r), tox[i].want);
    }
    pr_permit p;
    pr_report r;
    cs_ok(&p);
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "toxic_limit", &r), PR_PASS);
}

static void upgrade_night_holiday_tiaoxiu(void **state)
{
    static const struct {
        const char *start, *end, *grade, *want, *reason;
    } rows[] = {
        /* a night job on a weekday */
        {"2026-03-03T22:30:00+08:00", "2026-03-03T23:30:00+08:00", "2", "1", "夜间 22:00–06:00"},
        {"2026-03-03T21:00:00+08:00", "2026-03-03T22:00:00+08:00", "2", "2", ""},
        {"2026-03-03T21:00:00+08:00", "2026-03-03T22:01:00+08:00", "2", "1", "夜间"},
        {"2026-03-04T05:59:00+08:00", "2026-03-04T07:00:00+08:00", "2", "1", "夜间"},
        {"2026-03-04T06:00:00+08:00", "2026-03-04T07:00:00+08:00", "2", "2", ""},
        {"2026-03-03T22:30:00+08:00", "2026-03-03T23:30:00+08:00", "1", "special", "夜间"},
        {"2026-03-03T22:30:00+08:00", "2026-03-03T23:30:00+08:00", "special", "special", "夜间"},
        /* 国庆节 */
        {"2026-10-01T09:00:00+08:00", "2026-10-01T12:00:00+08:00", "2", "1", "国庆节"},
        /* 2026-02-14 is a Saturday but a 调休 working day: no upgrade */
        {"2026-02-14T09:00:00+08:00", "2026-02-14T12:00:00+08:00", "2", "2", ""},
        /* 2026-02-21 is a Saturday inside 春节 */
        {"2026-02-21T09:00:00+08:00", "2026-02-21T12:00:00+08:00", "2", "1", "春节"},
        /* an ordinary Saturday is a rest day */
        {"2026-03-07T09:00:00+08:00", "2026-03-07T12:00:00+08:00", "2", "1", "休息日"},
        /* a Friday job ending before the weekend */
        {"2026-03-06T09:00:00+08:00", "2026-03-06T17:00:00+08:00", "2", "2", ""},
        /* 2027 is not in the calendar: weekends only */
        {"2027-03-06T09:00:00+08:00", "2027-03-06T12:00:00+08:00", "2", "1", "休息日"},
        {"2027-03-01T09:00:00+08:00", "2027-03-01T12:00:00+08:00", "2", "2", ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pr_permit p;
        pr_report r;
        hot_ok(&p, rows[i].grade);
        p.planned_start_ms = T(rows[i].start);
        p.planned_end_ms = T(rows[i].end);
        assert_int_equal(pr_check(g_chem, g_cal, &p, p.planned_start_ms - HOUR, PR_STAGE_PRECHECK, &r), WS_OK);
        if (strcmp(r.effective_grade, rows[i].want))
            fail_msg("row %zu: effective %s, want %s (%s)", i, r.effective_grade, rows[i].want, r.upgrade_reason);
        if (rows[i].reason[0]) assert_non_null(strstr(r.upgrade_reason, rows[i].reason));
        else assert_string_equal(r.upgrade_reason, "");
        const pr_verdict *v = find(&r, "grade_upgrade");
        assert_non_null(v);
        assert_false(v->confirmed);
        if (!strncmp(rows[i].start, "2027", 4)) assert_non_null(strstr(v->evidence, "calendar lacks 2027"));
    }
    /* the upgraded grade drives the other rules: a night 二级 job of 10 h fails the 一级 8 h limit,
     * and needs the 一级 approvals */
    pr_permit p;
    pr_report r;
    hot_ok(&p, "2");
    p.planned_start_ms = T("2026-03-03T20:00:00+08:00");
    p.planned_end_ms = T("2026-03-04T06:00:00+08:00");
    assert_int_equal(result_of(g_chem, &p, T("2026-03-03T19:00:00+08:00"), PR_STAGE_PRECHECK, "validity_hot_work", &r),
                     PR_FAIL);
    assert_int_equal(find(&r, "approvals_hot_work")->result, PR_FAIL);
    assert_non_null(strstr(find(&r, "approvals_hot_work")->evidence, "safety_dept"));
    /* calendar lookups directly */
    const char *name;
    bool known;
    assert_int_equal(pr_calendar_day(g_cal, 2026, 10, 1, &name, &known), 2);
    assert_string_equal(name, "国庆节");
    assert_true(known);
    assert_int_equal(pr_calendar_day(g_cal, 2026, 2, 14, &name, &known), 0);
    assert_int_equal(pr_calendar_day(g_cal, 2026, 2, 21, &name, &known), 2);
    assert_int_equal(pr_calendar_day(g_cal, 2026, 3, 7, &name, &known), 1);
    assert_int_equal(pr_calendar_day(g_cal, 2026, 3, 3, &name, &known), 0);
    assert_int_equal(pr_calendar_day(g_cal, 2027, 3, 6, &name, &known), 1);
    assert_false(known);
    assert_int_equal(pr_calendar_day(NULL, 2026, 10, 1, &name, &known), 0); /* a Thursday, no calendar */
}

static void hot_tapping_is_special(void **state)
{
    pr_permit p;
    pr_report r;
    hot_ok(&p, "1");
    p.hot_tapping = true;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "grade_hot_work", &r), PR_FAIL);
    assert_string_equal(r.effective_grade, "special");
    assert_string_equal(find(&r, "grade_hot_work")->field, "grade");
    assert_int_equal(find(&r, "gas_continuous")->result, PR_FAIL);
    hot_ok(&p, "special");
    p.hot_tapping = true;
    assert_int_equal(pr_check(g_chem, g_cal, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, &r), WS_OK);
    print_fails(&r);
    assert_int_equal(r.nfail, 0);
}

static void height_and_hoisting_grades(void **state)
{
    static const struct {
        double h;
        const char *g;
    } hs[] = {{1.99, ""}, {2, "1"}, {5, "1"}, {5.01, "2"}, {15, "2"}, {15.01, "3"}, {30, "3"}, {30.01, "4"}};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        pr_permit p = {.type = PT_WORK_AT_HEIGHT, .height_m = hs[i].h};
        char g[PR_GRADE_MAX];
        assert_string_equal(pr_grade_of(&p, g, sizeof g), hs[i].g);
    }
    static const struct {
        double m;
        const char *g;
    } ms[] = {{39.9, "3"}, {40, "2"}, {100, "2"}, {100.1, "1"}};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        pr_permit p = {.type = PT_LIFTING, .mass_t = ms[i].m};
        char g[PR_GRADE_MAX];
        assert_string_equal(pr_grade_of(&p, g, sizeof g), ms[i].g);
    }
    /* the rule: an applied grade that contradicts the height is refused */
    pr_permit p;
    pr_report r;
    hot_ok(&p, "1");
    p.type = PT_WORK_AT_HEIGHT;
    p.height_m = 5.01;
    snprintf(p.workers[0].cert_type, sizeof p.workers[0].cert_type, "work_at_height");
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "grade_height", &r), PR_FAIL);
    assert_string_equal(r.effective_grade, "2");
    assert_string_equal(find(&r, "grade_height")->field, "grade");
    p.grade[0] = 0;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "grade_height", &r), PR_PASS);
    assert_true(find(&r, "grade_height")->confirmed);
    /* hoisting 100.1 t is 一级 and needs the plant manager or chief engineer */
    hot_ok(&p, "");
    p.type = PT_LIFTING;
    p.mass_t = 100.1;
    snprintf(p.workers[0].cert_type, sizeof p.workers[0].cert_type, "rigger");
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "approvals_lifting", &r), PR_FAIL);
    assert_string_equal(r.effective_grade, "1");
    assert_int_equal(r.nrequired_posts, 3);
    assert_string_equal(r.required_posts[2], "plant_manager|chief_engineer");
    approve(&p, "chief_engineer", p.planned_start_ms - HOUR);
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "approvals_lifting", &r), PR_PASS);
    assert_int_equal(find(&r, "certificate")->result, PR_PASS);
}

static void certificates(void **state)
{
    pr_permit p;
    pr_report r;
    hot_ok(&p, "1");
    add_worker(&p, "welding_cutting", 0);
    /* expires the day before the planned end */
    p.workers[1].cert_expires_ms = p.planned_end_ms - DAY;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "certificate", &r), PR_FAIL);
    assert_string_equal(find(&r, "certificate")->field, "workers[1].cert");
    assert_non_null(strstr(find(&r, "certificate")->evidence, "于 2026-03-02 到期"));
    /* valid exactly until the planned end */
    p.workers[1].cert_expires_ms = p.planned_end_ms;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "certificate", &r), PR_PASS);
    p.workers[1].cert_revoked = true;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "certificate", &r), PR_FAIL);
    p.workers[1].cert_revoked = false;
    snprintf(p.workers[1].cert_type, sizeof p.workers[1].cert_type, "electrician");
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "certificate", &r), PR_FAIL);
    p.nworkers = 0;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_PRECHECK, "certificate", &r), PR_FAIL);
    assert_string_equal(find(&r, "certificate")->field, "workers");
    /* confined space needs none */
    cs_ok(&p);
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "certificate", &r), PR_NA);
}

static void temporary_power(void **state)
{
    static const struct {
        int64_t len;
        bool reason;
        pr_result want;
        const char *field;
    } rows[] = {{15 * DAY, false, PR_PASS, ""},
                {15 * DAY + MIN, false, PR_FAIL, "extension_reason"},
                {15 * DAY + MIN, true, PR_PASS, ""},
                {30 * DAY, true, PR_PASS, ""},
                {30 * DAY + MIN, true, PR_FAIL, "planned_end"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pr_permit p;
        pr_report r;
        hot_ok(&p, "");
        p.type = PT_TEMPORARY_POWER;
        snprintf(p.workers[0].cert_type, sizeof p.workers[0].cert_type, "electrician");
        p.planned_end_ms = p.planned_start_ms + rows[i].len;
        if (rows[i].reason) snprintf(p.extension_reason, sizeof p.extension_reason, "检修延期");
        pr_result got = result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "validity_temporary_power", &r);
        if (got != rows[i].want) fail_msg("row %zu: %s", i, find(&r, "validity_temporary_power")->evidence);
        assert_string_equal(find(&r, "validity_temporary_power")->field, rows[i].field);
    }
    /* inside the window of the permit it serves */
    pr_permit p;
    pr_report r;
    hot_ok(&p, "");
    p.type = PT_TEMPORARY_POWER;
    snprintf(p.workers[0].cert_type, sizeof p.workers[0].cert_type, "electrician");
    p.served_start_ms = p.planned_start_ms;
    p.served_end_ms = p.planned_end_ms - HOUR;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "validity_temporary_power", &r),
                     PR_FAIL);
    p.served_end_ms = p.planned_end_ms;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "validity_temporary_power", &r),
                     PR_PASS);
}

static void resume_after_break(void **state)
{
    static const struct {
        const char *grade;
        int break_min;
        int test_after_min; /* minutes after the break began; <0 none after */
        pr_result want;
    } rows[] = {
        {"2", 60, -1, PR_PASS},  {"2", 61, -1, PR_FAIL},  {"2", 61, 40, PR_PASS}, /* test 21 min old */
        {"1", 30, -1, PR_PASS},  {"1", 31, -1, PR_FAIL},  {"special", 31, 0, PR_FAIL}, /* 31 min old */
        {"special", 31, 1, PR_PASS},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pr_permit p;
        pr_report r;
        hot_ok(&p, rows[i].grade);
        p.activated_ms = p.planned_start_ms;
        p.suspended_ms = T("2026-03-03T11:00:00+08:00");
        int64_t now = p.suspended_ms + rows[i].break_min * MIN;
        add_gas(&p, T("2026-03-03T10:59:00+08:00"), PR_GAS_COMBUSTIBLE, PR_UNIT_PCT_LEL, 0);
        if (rows[i].test_after_min >= 0)
            add_gas(&p, p.suspended_ms + rows[i].test_after_min * MIN, PR_GAS_COMBUSTIBLE, PR_UNIT_PCT_LEL, 1);
        pr_result got = result_of(g_chem, &p, now, PR_STAGE_RESUME, "gas_after_break_hot_work", &r);
        if (got != rows[i].want) fail_msg("row %zu: %s", i, find(&r, "gas_after_break_hot_work")->evidence);
    }
}

static void guardian_measures_approvals(void **state)
{
    pr_permit p;
    pr_report r;
    hot_ok(&p, "special");
    p.guardian_checkin_ms = 0;
    /* the pre-check does not demand a check-in that can only happen at activation */
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms - HOUR, PR_STAGE_PRECHECK, "guardian", &r), PR_PASS);
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "guardian", &r), PR_FAIL);
    assert_string_equal(find(&r, "guardian")->field, "guardian_checkin");
    p.guardian_qualified = false;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms - HOUR, PR_STAGE_PRECHECK, "guardian", &r), PR_FAIL);
    hot_ok(&p, "special");
    p.nmeasures_confirmed = 11;
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "measures", &r), PR_FAIL);
    assert_non_null(strstr(find(&r, "measures")->evidence, "11/12"));
    hot_ok(&p, "special");
    p.napprovals = 2; /* no plant manager */
    assert_int_equal(result_of(g_chem, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "approvals_hot_work", &r), PR_FAIL);
    assert_non_null(strstr(find(&r, "approvals_hot_work")->evidence, "plant_manager|chief_engineer"));
    assert_false(find(&r, "approvals_hot_work")->confirmed);
    /* audit: an approval given after activation does not count */
    hot_ok(&p, "2");
    p.activated_ms = p.planned_start_ms;
    p.approvals[0].at_ms = p.planned_start_ms + MIN;
    assert_int_equal(result_of(g_chem, &p, p.planned_end_ms, PR_STAGE_AUDIT, "approvals_hot_work", &r), PR_FAIL);
}

static void other_profiles(void **state)
{
    pr_permit p;
    pr_report r;
    /* construction: 一/二/三级, same calendar day, the project lead approves */
    hot_ok(&p, "3");
    p.continuous_monitor = false;
    p.napprovals = 0;
    approve(&p, "project_lead", p.planned_start_ms - HOUR);
    assert_int_equal(pr_check(g_constr, g_cal, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, &r), WS_OK);
    print_fails(&r);
    assert_int_equal(r.nfail, 0);
    assert_string_equal(r.required_posts[0], "project_lead");
    p.planned_end_ms = T("2026-03-04T00:00:00+08:00");
    assert_int_equal(result_of(g_constr, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "validity_hot_work", &r), PR_PASS);
    p.planned_end_ms = T("2026-03-04T00:01:00+08:00");
    assert_int_equal(result_of(g_constr, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "validity_hot_work", &r), PR_FAIL);
    /* gongmao: the same rules as the chemical profile */
    hot_ok(&p, "1");
    p.gas[0].at_ms = p.planned_start_ms - 31 * MIN;
    assert_int_equal(result_of(g_gongmao, &p, p.planned_start_ms, PR_STAGE_ACTIVATE, "gas_before_start", &r), PR_FAIL);
    assert_string_equal(pr_profile_key(g_gongmao), "gongmao_ref");
    assert_true(json_is_true(json_object_get(pr_profile_json(g_gongmao), "reference_only")));
}

/* ------------------------------------------------------------ profiles */

static void refused_at(const char *mutation_path, json_t *doc, const char *want_field)
{
    pr_profile *p = NULL;
    ws_err rc = pr_profile_parse(doc, &p);
    if (rc != WS_EINVAL) fail_msg("%s: accepted", mutation_path);
    assert_null(p);
    if (strcmp(ws_err_field(), want_field))
        fail_msg("%s: field %s, want %s (%s)", mutation_path, ws_err_field(), want_field, ws_err_message());
    json_decref(doc);
}

static json_t *chem_doc(void)
{
    return json_loads(pr_profile_builtin("gb30871_2022_chem"), 0, NULL);
}

static json_t *rule_at(json_t *doc, size_t i)
{
    return json_array_get(json_object_get(doc, "rules"), i);
}

static void profile_refusals_name_the_path(void **state)
{
    json_t *d;
    /* index of validity_hot_work in the chemical profile */
    size_t vi = 0;
    d = chem_doc();
    for (size_t i = 0; i < json_array_size(json_object_get(d, "rules")); i++)
        if (!strcmp(json_string_value(json_object_get(rule_at(d, i), "id")), "validity_hot_work")) vi = i;
    json_decref(d);
    char want[96];

    d = chem_doc();
    json_object_set_new(json_object_get(json_object_get(rule_at(d, vi), "params"), "hours"), "special",
                        json_string("eight"));
    snprintf(want, sizeof want, "rules[%zu].params.hours.special", vi);
    refused_at("hours.special", d, want);

    d = chem_doc();
    json_object_set_new(rule_at(d, 3), "colour", json_string("red"));
    refused_at("unknown member", d, "rules[3].colour");

    d = chem_doc();
    json_object_set_new(rule_at(d, 2), "kind", json_string("vibes"));
    refused_at("kind", d, "rules[2].kind");

    d = chem_doc();
    json_object_del(rule_at(d, 1), "clause");
    refused_at("clause", d, "rules[1].clause");

    d = chem_doc();
    json_object_set_new(rule_at(d, 0), "types", json_pack("[s]", "welding"));
    refused_at("types", d, "rules[0].types[0]");

    /* a chemical profile without a statutory rule */
    d = chem_doc();
    json_t *rules = json_object_get(d, "rules");
    for (size_t i = json_array_size(rules); i-- > 0;)
        if (!strcmp(json_string_value(json_object_get(json_array_get(rules, i), "kind")), "gas_before_start"))
            json_array_remove(rules, i);
    refused_at("statutory", d, "rules");
    assert_non_null(strstr(ws_err_message(), "gas_before_start"));

    /* nor may it switch one off */
    d = chem_doc();
    json_object_set_new(rule_at(d, vi), "applicable", json_false());
    snprintf(want, sizeof want, "rules[%zu].applicable", vi);
    refused_at("applicable", d, want);

    d = chem_doc();
    json_object_set_new(d, "extra", json_true());
    refused_at("top member", d, "profile.extra");

    /* a calendar with a holiday in the wrong year */
    json_t *c = json_pack("{s:i,s:s,s:[{s:s,s:s,s:s}]}", "year", 2026, "source", "x", "holidays", "from",
                          "2027-01-01", "to", "2027-01-01", "name", "元旦");
    pr_calendar *cal = NULL;
    assert_int_equal(pr_calendar_parse(c, &cal), WS_EINVAL);
    assert_string_equal(ws_err_field(), "holidays[0].from");
    json_decref(c);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static void compiled_data_equals_files(void **state)
{
    static const struct {
        const char *key, *file;
    } files[] = {{"gb30871_2022_chem", "data/permit/profile-gb30871_2022_chem.json"},
                 {"gongmao_ref", "data/permit/profile-gongmao_ref.json"},
                 {"construction", "data/permit/profile-construction.json"}};
    size_t nkeys = 0;
    while (pr_profile_builtin_key(nkeys)) nkeys++;
    assert_int_equal(nkeys, 3);
    for (size_t i = 0; i < 3; i++) {
        char *s = slurp(files[i].file);
        if (!s) fail_msg("cannot read %s (run from the repository root)", files[i].file);
        if (strcmp(s, pr_profile_builtin(files[i].key)))
            fail_msg("%s differs from the compiled text: run scripts/gen-permit-data.py", files[i].file);
        free(s);
    }
    char *s = slurp("data/permit/calendar-cn.json");
    assert_non_null(s);
    assert_string_equal(s, pr_calendar_builtin());
    free(s);
    assert_null(pr_profile_builtin("nope"));
}

static void snapshot_json(void **state)
{
    json_t *o = json_loads("{\"type\":\"hot_work\",\"grade\":\"1\",\"planned_start\":\"2026-03-03T09:00:00+08:00\","
                           "\"planned_end\":null,\"gas\":[{\"at\":\"2026-03-03T08:45:00+08:00\",\"kind\":\"combustible\","
                           "\"unit\":\"%LEL\",\"value\":3,\"portable\":true}],\"workers\":[{\"name\":\"张三\","
                           "\"cert_type\":\"welding_cutting\",\"cert_expires\":\"2027-01-01T00:00:00Z\"}],"
                           "\"approvals\":[{\"post\":\"workshop_head\",\"at\":\"2026-03-03T08:00:00+08:00\"}],"
                           "\"nmeasures\":3}",
                           0, NULL);
    assert_non_null(o);
    pr_permit p;
    assert_int_equal(pr_permit_from_json(o, &p), WS_OK);
    assert_int_equal(p.type, PT_HOT_WORK);
    assert_int_equal(p.planned_start_ms, T("2026-03-03T01:00:00Z"));
    assert_int_equal(p.planned_end_ms, 0);
    assert_int_equal(p.ngas, 1);
    assert_int_equal(p.gas[0].unit, PR_UNIT_PCT_LEL);
    assert_true(p.gas[0].portable);
    assert_int_equal(p.nworkers, 1);
    assert_string_equal(p.workers[0].name, "张三");
    assert_int_equal(p.napprovals, 1);
    assert_int_equal(p.nmeasures, 3);
    json_object_set_new(json_array_get(json_object_get(o, "gas"), 0), "unit", json_string("ppb"));
    assert_int_equal(pr_permit_from_json(o, &p), WS_EINVAL);
    assert_string_equal(ws_err_field(), "permit.gas[0].unit");
    json_object_set_new(json_array_get(json_object_get(o, "gas"), 0), "unit", json_string("%vol"));
    json_object_set_new(o, "activated", json_string("yesterday"));
    assert_int_equal(pr_permit_from_json(o, &p), WS_EINVAL);
    assert_string_equal(ws_err_field(), "permit.activated");
    json_object_del(o, "activated");
    json_object_set_new(o, "colour", json_string("red"));
    assert_int_equal(pr_permit_from_json(o, &p), WS_EINVAL);
    assert_string_equal(ws_err_field(), "permit.colour");
    json_decref(o);
    /* the report's JSON form */
    pr_permit q;
    pr_report r;
    hot_ok(&q, "1");
    q.gas[0].at_ms -= 20 * MIN; /* 35 min */
    assert_int_equal(pr_check(g_chem, g_cal, &q, q.planned_start_ms, PR_STAGE_ACTIVATE, &r), WS_OK);
    json_t *j = pr_report_json(&r);
    assert_non_null(j);
    assert_true(json_is_false(json_object_get(j, "pass")));
    assert_string_equal(json_string_value(json_object_get(j, "effective_grade")), "1");
    json_t *vs = json_object_get(j, "verdicts");
    bool seen = false;
    for (size_t i = 0; i < json_array_size(vs); i++) {
        json_t *v = json_array_get(vs, i);
        if (strcmp(json_string_value(json_object_get(v, "rule")), "gas_before_start")) continue;
        seen = true;
        assert_string_equal(json_string_value(json_object_get(v, "result")), "fail");
        assert_string_equal(json_string_value(json_object_get(v, "evidence")),
                            "气体分析在开始作业前 35 分钟; 上限 30 分钟 (gas test 35 min before start; limit 30)");
    }
    assert_true(seen);
    json_decref(j);
}

/* ------------------------------------------------------------- cases */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void recorded_cases(void **state)
{
    const char *dir = "tests/data/permits";
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s (run from the repository root)", dir);
    struct dirent *e;
    int ncases = 0, bad = 0;
    char *names[256];
    int nnames = 0;
    while ((e = readdir(d)) && nnames < 256) {
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".json")) names[nnames++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nnames, sizeof names[0], cmp_str);
    for (int f = 0; f < nnames; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        json_error_t je;
        json_t *c = json_load_file(path, 0, &je);
        if (!c) fail_msg("%s: %s", path, je.text);
        const char *key = json_string_value(json_object_get(c, "profile"));
        pr_profile *pf = !strcmp(key, "gb30871_2022_chem") ? g_chem : !strcmp(key, "gongmao_ref") ? g_gongmao
                         : !strcmp(key, "construction")    ? g_constr
                                                           : NULL;
        if (!pf) fail_msg("%s: unknown profile %s", path, key);
        int st = pr_stage_of(json_string_value(json_object_get(c, "stage")));
        if (st < 0) fail_msg("%s: bad stage", path);
        int64_t now = T(json_string_value(json_object_get(c, "now")));
        pr_permit p;
        if (pr_permit_from_json(json_object_get(c, "permit"), &p))
            fail_msg("%s: %s (%s)", path, ws_err_message(), ws_err_field());
        pr_report r;
        assert_int_equal(pr_check(pf, g_cal, &p, now, (pr_stage)st, &r), WS_OK);
        json_t *ex = json_object_get(c, "expect");
        bool want_pass = json_is_true(json_object_get(ex, "pass"));
        json_t *wf = json_object_get(ex, "fail");
        /* the failing rules, sorted */
        char *got[PR_MAX_RULES];
        int ng = 0;
        for (int i = 0; i < r.n; i++)
            if (r.v[i].result == PR_FAIL) got[ng++] = r.v[i].rule;
        qsort(got, (size_t)ng, sizeof got[0], cmp_str);
        bool ok = want_pass == (r.nfail == 0) && (size_t)ng == json_array_size(wf);
        for (int i = 0; ok && i < ng; i++)
            if (strcmp(got[i], json_string_value(json_array_get(wf, (size_t)i)))) ok = false;
        const char *eg = json_string_value(json_object_get(ex, "effective_grade"));
        if (eg && strcmp(eg, r.effective_grade)) ok = false;
        if (!ok) {
            bad++;
            print_message("case %s: effective %s, failing:", names[f], r.effective_grade);
            for (int i = 0; i < ng; i++) print_message(" %s", got[i]);
            print_message("\n");
            print_fails(&r);
        }
        ncases++;
        json_decref(c);
        free(names[f]);
    }
    if (ncases < 20) fail_msg("only %d cases in %s", ncases, dir);
    if (bad) fail_msg("%d of %d cases differ", bad, ncases);
}

/* Certificate numbers as shown outside the register: four characters at each
 * end of a long one, one of a short one, none of a tiny one; characters, not
 * bytes; never longer than the buffer. */
static void cert_mask(void **state)
{
    (void)state;
    char o[PR_CERT_NO_MAX];
    pr_cert_mask("T320102198503150017", o, sizeof o);
    assert_string_equal(o, "T320***********0017");
    pr_cert_mask("GC-7788", o, sizeof o);
    assert_string_equal(o, "G*****8");
    pr_cert_mask("JH1", o, sizeof o);
    assert_string_equal(o, "***");
    pr_cert_mask("", o, sizeof o);
    assert_string_equal(o, "");
    pr_cert_mask("苏安监字第2023001234号", o, sizeof o); /* 16 characters */
    assert_string_equal(o, "苏安监字********234号");
    char small[6];
    pr_cert_mask("T320102198503150017", small, sizeof small);
    assert_string_equal(small, "T320*");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(baseline_permits_pass),
        cmocka_unit_test(gas_before_start_29_30_31),
        cmocka_unit_test(validity_boundaries),
        cmocka_unit_test(running_expires_and_retests),
        cmocka_unit_test(oxygen_boundaries),
        cmocka_unit_test(combustible_and_toxic),
        cmocka_unit_test(upgrade_night_holiday_tiaoxiu),
        cmocka_unit_test(hot_tapping_is_special),
        cmocka_unit_test(height_and_hoisting_grades),
        cmocka_unit_test(certificates),
        cmocka_unit_test(temporary_power),
        cmocka_unit_test(resume_after_break),
        cmocka_unit_test(guardian_measures_approvals),
        cmocka_unit_test(other_profiles),
        cmocka_unit_test(profile_refusals_name_the_path),
        cmocka_unit_test(compiled_data_equals_files),
        cmocka_unit_test(snapshot_json),
        cmocka_unit_test(recorded_cases),
        cmocka_unit_test(cert_mask),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
