/* profile.c — the rule profile compiled into worksafe: the built-in fields
 * every definition may use, the statutory guards and the states they lock,
 * and the default hazard lifecycle.
 *
 * Sources (../shared/domain/REGULATIONS.md, "Hidden dangers"):
 *  - 五落实 (责任, 措施, 资金, 时限, 预案) before a 重大事故隐患 is rectified;
 *  - the six-part 治理方案 of a 重大事故隐患 (《安全生产事故隐患排查治理暂行规定》
 *    原安监总局16号令 art. 15);
 *  - acceptance by someone other than the rectifier, never dated before the
 *    rectification (closure lifecycle 排查 → 登记 → 评估 → 治理 → 验收 → 销号).
 * These are code, not data an administrator edits: a definition may add
 * steps and fields around them, never remove or route around them (def.c).
 *
 * The default hazard lifecycle (drawn in docs/internals/workflow.md):
 *
 *   reported ─assess─► assessed ─assign─► assigned ─start_rectification─► rectifying
 *      │                 │  ▲                │      [five_assurances,        │  ▲
 *      └──reject─────────┴──┼─► rejected     │       rectification_plan]     │  │
 *                           └──return_assignment                           rectify│
 *                                                                             ▼  │
 *              closed ◄─accept [acceptor_not_rectifier, ─── acceptance ──reject_acceptance
 *                               acceptance_after_rectification]            [five_assurances,
 *                                                                           rectification_plan]
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "workflow/wf_int.h"

/* ------------------------------------------------------------------ roles */

unsigned wf_role_bit(const char *name)
{
    static const struct { const char *n; unsigned b; } r[] = {
        {"admin", ROLE_ADMIN},           {"manager", ROLE_MANAGER},
        {"safety_officer", ROLE_SAFETY_OFFICER}, {"dept_head", ROLE_DEPT_HEAD},
        {"grid_leader", ROLE_GRID_LEADER}, {"worker", ROLE_WORKER},
        {"regulator", ROLE_REGULATOR},
    };
    for (size_t i = 0; name && i < sizeof r / sizeof r[0]; i++)
        if (!strcmp(r[i].n, name)) return r[i].b;
    return 0;
}

/* --------------------------------------------------------- built-in fields */

#define S(id_, label_, len_) {.id = id_, .label = label_, .type = WF_T_STRING, .max_len = len_, .builtin = true}
#define P(id_, label_, eo_) {.id = id_, .label = label_, .type = WF_T_PERSON, .builtin = true, .engine_only = eo_}
#define T(id_, label_) {.id = id_, .label = label_, .type = WF_T_TIME, .builtin = true}

static const char *const grades[] = {"general", "major"};

static const wf_field builtins[] = {
    {.id = "grade", .label = "隐患等级 (general 一般 / major 重大)", .type = WF_T_ENUM,
     .cvalues = grades, .ncvalues = 2, .builtin = true},
    P("reporter_person_id", "报告人", true),
    P("assignee_person_id", "整改责任人 (assignee)", false),
    /* 五落实 */
    P("responsible_person_id", "责任落实: 负责人", false),
    S("measures", "措施落实", 4000),
    S("funds", "资金落实", 500),
    T("deadline", "时限落实 (rectification deadline)"),
    S("contingency_plan", "预案落实", 4000),
    /* 治理方案, six parts */
    S("plan_goal", "治理的目标和任务", 4000),
    S("plan_methods", "采取的方法和措施", 4000),
    S("plan_funds", "经费和物资的落实", 4000),
    S("plan_org", "负责治理的机构和人员", 4000),
    S("plan_schedule", "治理的时限和要求", 4000),
    S("plan_safety", "安全措施和应急预案", 4000),
    /* rectification and acceptance */
    T("rectified_at", "整改完成时间"),
    S("rectification_note", "整改情况", 4000),
    P("rectifier_person_id", "整改人", true),
    T("accepted_at", "验收时间"),
    S("acceptance_note", "验收意见", 4000),
    P("acceptor_person_id", "验收人", true),
    S("reason", "理由 (return, rejection)", 500),
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

const wf_field *wf_builtin_field(const char *id)
{
    for (size_t i = 0; id && i < NBUILTIN; i++)
        if (!strcmp(builtins[i].id, id)) return &builtins[i];
    return NULL;
}

const wf_field *wf_def_field(const wf_def *d, const char *id)
{
    for (int i = 0; d && i < d->nfields; i++)
        if (!strcmp(d->fields[i].id, id)) return &d->fields[i];
    return wf_builtin_field(id);
}

/* ------------------------------------------------------------------ guards */

static const struct {
    unsigned bit;
    const char *id, *title;
} guards[] = {
    {WF_G_FIVE_ASSURANCES, "five_assurances", "五落实 (five assurances)"},
    {WF_G_RECTIFICATION_PLAN, "rectification_plan", "治理方案 (six-part rectification plan)"},
    {WF_G_ACCEPTOR_NOT_RECTIFIER, "acceptor_not_rectifier", "验收人不得为整改人 (acceptor is not the rectifier)"},
    {WF_G_ACCEPTANCE_AFTER_RECTIFICATION, "acceptance_after_rectification",
     "验收不得早于整改 (acceptance not dated before rectification)"},
};

unsigned wf_guard_bit(const char *id)
{
    for (size_t i = 0; id && i < WF_G_COUNT; i++)
        if (!strcmp(guards[i].id, id)) return guards[i].bit;
    return 0;
}

const char *wf_guard_id(unsigned bit)
{
    for (size_t i = 0; i < WF_G_COUNT; i++)
        if (guards[i].bit == bit) return guards[i].id;
    return "?";
}

const char *wf_guard_title(unsigned bit)
{
    for (size_t i = 0; i < WF_G_COUNT; i++)
        if (guards[i].bit == bit) return guards[i].title;
    return "?";
}

static const wf_guarded_state hazard_guarded[] = {
    {"rectifying", WF_G_FIVE_ASSURANCES | WF_G_RECTIFICATION_PLAN},
    {"closed", WF_G_ACCEPTOR_NOT_RECTIFIER | WF_G_ACCEPTANCE_AFTER_RECTIFICATION},
};

int wf_profile_guarded(const char *key, const wf_guarded_state **out)
{
    if (key && !strcmp(key, "hazard")) {
        *out = hazard_guarded;
        return (int)(sizeof hazard_guarded / sizeof hazard_guarded[0]);
    }
    *out = NULL;
    return 0;
}

/* A field counts as present when it is a non-empty string, a number, a
 * boolean or a non-empty array. */
static bool present(const json_t *data, const char *id)
{
    const json_t *v = json_object_get(data, id);
    if (!v || json_is_null(v)) return false;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        return *s != 0;
    }
    if (json_is_array(v)) return json_array_size(v) > 0;
    return true;
}

/* Major hazards only; the grade must be known (fail closed). */
static ws_err need_major_items(const json_t *data, const char *guard, const char *const (*items)[2],
                               size_t n)
{
    const char *grade = json_string_value(json_object_get(data, "grade"));
    if (!grade)
        return ws_fail(WS_EINVAL, "grade", "%s: the hazard has no grade (一般/重大) yet, so it "
                       "cannot be decided whether rectification may start", guard);
    if (strcmp(grade, "major") != 0) return WS_OK;
    for (size_t i = 0; i < n; i++)
        if (!present(data, items[i][0]))
            return ws_fail(WS_EINVAL, items[i][0],
                           "%s: a major hazard (重大事故隐患) needs %s (%s) before rectification "
                           "starts", guard, items[i][0], items[i][1]);
    return WS_OK;
}

ws_err wf_guards_check(unsigned bits, const json_t *data, int64_t actor_person, int64_t now)
{
    static const char *const five[][2] = {
        {"responsible_person_id", "责任"}, {"measures", "措施"}, {"funds", "资金"},
        {"deadline", "时限"}, {"contingency_plan", "预案"},
    };
    static const char *const plan[][2] = {
        {"plan_goal", "治理的目标和任务"},   {"plan_methods", "采取的方法和措施"},
        {"plan_funds", "经费和物资的落实"},   {"plan_org", "负责治理的机构和人员"},
        {"plan_schedule", "治理的时限和要求"}, {"plan_safety", "安全措施和应急预案"},
    };
    ws_err rc;
    if (bits & WF_G_FIVE_ASSURANCES) {
        rc = need_major_items(data, "five_assurances", five, sizeof five / sizeof five[0]);
        if (rc) return rc;
    }
    if (bits & WF_G_RECTIFICATION_PLAN) {
        rc = need_major_items(data, "rectification_plan", plan, sizeof plan / sizeof plan[0]);
        if (rc) return rc;
    }
    if (bits & WF_G_ACCEPTOR_NOT_RECTIFIER) {
        json_int_t rect = json_integer_value(json_object_get(data, "rectifier_person_id"));
        if (rect <= 0)
            return ws_fail(WS_ECONFLICT, "acceptor_not_rectifier",
                           "acceptor_not_rectifier: no rectifier is recorded, so the acceptance "
                           "cannot be checked; the rectification step must come first");
        if (actor_person <= 0)
            return ws_fail(WS_EFORBIDDEN, "acceptor_not_rectifier",
                           "acceptor_not_rectifier: acceptance needs an account linked to a person");
        if (rect == actor_person)
            return ws_fail(WS_ECONFLICT, "acceptor_not_rectifier",
                           "acceptor_not_rectifier: the person who rectified the hazard may not "
                           "accept it (验收人不得为整改人)");
    }
    if (bits & WF_G_ACCEPTANCE_AFTER_RECTIFICATION) {
        int64_t r = wf_time_of(json_object_get(data, "rectified_at"));
        int64_t a = wf_time_of(json_object_get(data, "accepted_at"));
        if (r < 0)
            return ws_fail(WS_EINVAL, "rectified_at",
                           "acceptance_after_rectification: no rectification time is recorded");
        if (a < 0)
            return ws_fail(WS_EINVAL, "accepted_at",
                           "acceptance_after_rectification: the acceptance needs accepted_at");
        if (a < r)
            return ws_fail(WS_EINVAL, "accepted_at",
                           "acceptance_after_rectification: accepted_at is before the "
                           "rectification (rectified_at); acceptance can never be dated before it");
        if (a > now)
            return ws_fail(WS_EINVAL, "accepted_at",
                           "acceptance_after_rectification: accepted_at lies in the future");
    }
    return WS_OK;
}

/* ------------------------------------------------------ the default hazard */

static const char hazard_default[] =
    "{\"name\":\"隐患排查治理\","
    "\"initial\":\"reported\","
    "\"fields\":["
    "{\"id\":\"rectification_photos\",\"type\":\"attachments\",\"max_items\":9,\"label\":\"整改照片\"}],"
    "\"start\":{\"allow\":{\"anyone\":true},\"optional\":[\"grade\"]},"
    "\"states\":["
    "{\"id\":\"reported\",\"label\":\"已上报\","
    "\"sla\":{\"seconds\":86400,\"escalate_to\":[{\"kind\":\"role\",\"role\":\"safety_officer\"},"
    "{\"kind\":\"unit_leader\"}]},"
    "\"on_enter\":[{\"kind\":\"notify\",\"to\":{\"kind\":\"role\",\"role\":\"safety_officer\"}}]},"
    "{\"id\":\"assessed\",\"label\":\"已评估\","
    "\"sla\":{\"seconds\":86400,\"escalate_to\":[{\"kind\":\"unit_leader\"}]}},"
    "{\"id\":\"assigned\",\"label\":\"已派单\","
    "\"sla\":{\"seconds\":259200,\"escalate_to\":[{\"kind\":\"unit_leader\"},"
    "{\"kind\":\"parent_unit_leader\"}]},"
    "\"on_enter\":[{\"kind\":\"notify\",\"to\":{\"kind\":\"person_field\",\"field\":\"assignee_person_id\"}}]},"
    "{\"id\":\"rectifying\",\"label\":\"整改中\","
    "\"sla\":{\"due_field\":\"deadline\",\"every_seconds\":86400,"
    "\"escalate_to\":[{\"kind\":\"unit_leader\"},{\"kind\":\"parent_unit_leader\"}]},"
    "\"on_enter\":[{\"kind\":\"create_task\",\"to\":{\"kind\":\"person_field\",\"field\":\"assignee_person_id\"},"
    "\"title\":\"隐患整改\"},"
    "{\"kind\":\"open_task_force\",\"when\":{\"field\":\"grade\",\"equals\":\"major\"}}]},"
    "{\"id\":\"acceptance\",\"label\":\"待验收\","
    "\"sla\":{\"seconds\":864000,\"escalate_to\":[{\"kind\":\"role\",\"role\":\"safety_officer\"},"
    "{\"kind\":\"parent_unit_leader\"}]},"
    "\"on_enter\":[{\"kind\":\"notify\",\"to\":{\"kind\":\"role\",\"role\":\"safety_officer\"}}]},"
    "{\"id\":\"closed\",\"label\":\"已销号\",\"terminal\":true},"
    "{\"id\":\"rejected\",\"label\":\"不予受理\",\"terminal\":true}],"
    "\"actions\":["
    "{\"id\":\"assess\",\"label\":\"评估定级\",\"from\":[\"reported\"],\"to\":\"assessed\","
    "\"allow\":{\"roles\":[\"admin\",\"manager\",\"safety_officer\"]},\"required\":[\"grade\"]},"
    "{\"id\":\"reject\",\"label\":\"不予受理\",\"from\":[\"reported\",\"assessed\"],\"to\":\"rejected\","
    "\"allow\":{\"roles\":[\"admin\",\"manager\",\"safety_officer\"]},\"required\":[\"reason\"]},"
    "{\"id\":\"assign\",\"label\":\"派单\",\"from\":[\"assessed\"],\"to\":\"assigned\","
    "\"allow\":{\"roles\":[\"admin\",\"manager\",\"safety_officer\"]},"
    "\"required\":[\"assignee_person_id\",\"deadline\"],"
    "\"optional\":[\"grade\",\"responsible_person_id\",\"measures\",\"funds\",\"contingency_plan\","
    "\"plan_goal\",\"plan_methods\",\"plan_funds\",\"plan_org\",\"plan_schedule\",\"plan_safety\"]},"
    "{\"id\":\"return_assignment\",\"label\":\"退回派单\",\"from\":[\"assigned\"],\"to\":\"assessed\","
    "\"allow\":{\"relations\":[\"assignee\"],\"roles\":[\"admin\",\"manager\",\"safety_officer\"]},"
    "\"required\":[\"reason\"]},"
    "{\"id\":\"start_rectification\",\"label\":\"开始整改\",\"from\":[\"assigned\"],\"to\":\"rectifying\","
    "\"allow\":{\"relations\":[\"assignee\"],\"roles\":[\"admin\",\"manager\",\"safety_officer\"]},"
    "\"optional\":[\"responsible_person_id\",\"measures\",\"funds\",\"deadline\",\"contingency_plan\","
    "\"plan_goal\",\"plan_methods\",\"plan_funds\",\"plan_org\",\"plan_schedule\",\"plan_safety\"],"
    "\"guards\":[\"five_assurances\",\"rectification_plan\"]},"
    "{\"id\":\"rectify\",\"label\":\"整改完成\",\"from\":[\"rectifying\"],\"to\":\"acceptance\","
    "\"allow\":{\"relations\":[\"assignee\"]},"
    "\"required\":[\"rectified_at\"],\"optional\":[\"rectification_note\",\"rectification_photos\"],"
    "\"stamp\":[\"rectifier_person_id\"]},"
    "{\"id\":\"accept\",\"label\":\"验收通过\",\"from\":[\"acceptance\"],\"to\":\"closed\","
    "\"allow\":{\"roles\":[\"admin\",\"manager\",\"safety_officer\",\"regulator\"],"
    "\"relations\":[\"not_rectifier\"]},"
    "\"required\":[\"accepted_at\"],\"optional\":[\"acceptance_note\"],"
    "\"stamp\":[\"acceptor_person_id\"],"
    "\"guards\":[\"acceptor_not_rectifier\",\"acceptance_after_rectification\"]},"
    "{\"id\":\"reject_acceptance\",\"label\":\"验收不通过\",\"from\":[\"acceptance\"],\"to\":\"rectifying\","
    "\"allow\":{\"roles\":[\"admin\",\"manager\",\"safety_officer\",\"regulator\"],"
    "\"relations\":[\"not_rectifier\"]},"
    "\"required\":[\"reason\"],\"guards\":[\"five_assurances\",\"rectification_plan\"]}]}";

const char *workflow_builtin_default(const char *key)
{
    if (key && !strcmp(key, "hazard")) return hazard_default;
    return NULL;
}
