/* permit.c — the special-work permit record and its locked lifecycle (drawn
 * in permit.h): applying, the statutory steps, enforcement of the GB 30871
 * verdicts (permit_rules.h) on every move into active, and the timeline.
 *
 * A permit is one row: the queried columns plus `doc`, its record as JSON
 * (workers, measures, gas tests, approvals, signatures, linked gas points).
 * Every change rewrites the row, appends a timeline entry and writes the
 * audit leaves of both in one transaction (invariant 2). The snapshot the
 * rules see is built from the row, the certificate register and the permit
 * a temporary-power permit serves, so a certificate revoked yesterday fails
 * today's check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "permit/permit_int.h"
#include "store/q_permit.h"
#include "telemetry/point.h"
#include "warn/warn.h"

/* ------------------------------------------------------- audited entities */

static const audit_col permit_cols[] = {
    {"id", AC_INT},          {"unit_id", AC_INT},       {"package_id", AC_INT},
    {"code", AC_TEXT},       {"type", AC_TEXT},         {"grade", AC_TEXT},
    {"state", AC_TEXT},      {"profile", AC_TEXT},      {"title", AC_TEXT},
    {"location", AC_TEXT},   {"planned_start", AC_INT}, {"planned_end", AC_INT},
    {"applicant_person_id", AC_INT}, {"guardian_person_id", AC_INT},
    {"serves_permit_id", AC_INT},    {"activated_at", AC_INT},
    {"suspended_at", AC_INT}, {"closed_at", AC_INT},    {"reason", AC_TEXT},
    {"doc", AC_TEXT},        {"created_by", AC_TEXT},   {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col event_cols[] = {
    {"id", AC_INT},         {"permit_id", AC_INT}, {"at", AC_INT},    {"kind", AC_TEXT},
    {"from_state", AC_TEXT}, {"to_state", AC_TEXT}, {"actor", AC_TEXT}, {"detail", AC_TEXT},
};
static const audit_col package_cols[] = {
    {"id", AC_INT},          {"unit_id", AC_INT},     {"title", AC_TEXT},
    {"joint_assessment", AC_TEXT}, {"assessed_by_person_id", AC_INT}, {"assessed_at", AC_INT},
    {"created_by", AC_TEXT}, {"created_at", AC_INT},  {"updated_at", AC_INT},
};
static const audit_col cert_cols[] = {
    {"id", AC_INT},         {"person_id", AC_INT}, {"type", AC_TEXT},    {"number", AC_TEXT},
    {"issued_on", AC_TEXT}, {"expires_at", AC_INT}, {"authority", AC_TEXT}, {"revoked", AC_INT},
    {"created_at", AC_INT}, {"updated_at", AC_INT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity PERMIT_ENTITY = {"permit", "permits", permit_cols, NCOLS(permit_cols)};
const audit_entity PERMIT_ENTITY_EVENT = {"permit_event", "permit_events", event_cols, NCOLS(event_cols)};
const audit_entity PERMIT_ENTITY_PACKAGE = {"permit_package", "permit_packages", package_cols,
                                            NCOLS(package_cols)};
const audit_entity PERMIT_ENTITY_CERTIFICATE = {"certificate", "certificates", cert_cols, NCOLS(cert_cols)};

ws_err permit_init(void)
{
    static bool done;
    if (done) return WS_OK;
    const audit_entity *all[] = {&PERMIT_ENTITY, &PERMIT_ENTITY_EVENT, &PERMIT_ENTITY_PACKAGE,
                                 &PERMIT_ENTITY_CERTIFICATE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

/* ---------------------------------------------------------------- helpers */

void permit_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
}

const char *permit_actor(const org_caller *by)
{
    return by && by->actor && by->actor->name ? by->actor->name : "system";
}

static ws_err cert_lookup(store_conn *c, int64_t person, const char *type, const char *number,
                          int64_t *expires, bool *revoked, char *num_out, size_t cap);

ws_err permit_allow(const org_caller *by, const char *action, const char *path)
{
    return org_allow(by, action, path);
}

ws_err permit_text(const char *s, const char *field, size_t max, bool required)
{
    size_t n = s ? strlen(s) : 0;
    bool blank = true;
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool sp = ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
        if ((ch < 0x20 || ch == 0x7f) && !sp)
            return ws_fail(WS_EINVAL, field, "%s must not contain control characters", field);
        if (!sp) blank = false;
    }
    if (n && !org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not valid UTF-8", field);
    if (required && blank) return ws_fail(WS_EINVAL, field, "%s must not be empty", field);
    return WS_OK;
}

bool permit_terminal(const char *state)
{
    return !strcmp(state, "closed") || !strcmp(state, "cancelled") || !strcmp(state, "expired");
}

bool permit_state_known(const char *state)
{
    static const char *const states[] = {"draft",  "applied", "identified", "tested", "approved", "active",
                                         "suspended", "closed", "cancelled", "expired"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (!strcmp(state, states[i])) return true;
    return false;
}

ws_err permit_param(store_conn *c, const char *name, char *out, size_t cap)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PERMIT_PARAM, &st);
    if (!rc) rc = store_bind_text(st, 1, name);
    if (!rc) rc = store_step(st, &row);
    if (!rc) permit_copy(out, cap, row ? store_col_text(st, 0) : "");
    store_finalize(st);
    return rc;
}

/* ms of an RFC 3339 string member of o, 0 when absent; WS_EINVAL when it is
 * there but not a time. */
static ws_err time_member(const json_t *o, const char *name, int64_t *ms)
{
    const json_t *v = json_object_get(o, name);
    *ms = 0;
    if (!v || json_is_null(v)) return WS_OK;
    if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), ms))
        return ws_fail(WS_EINVAL, name, "%s is not a time with offset (RFC 3339)", name);
    return WS_OK;
}

static int64_t int_member(const json_t *o, const char *name)
{
    const json_t *v = json_object_get(o, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static const char *str_member(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "";
}

/* ------------------------------------------------------------------- rows */

void permit_row_read(store_stmt *st, permit_row *p)
{
    memset(p, 0, sizeof *p);
    p->id = store_col_int(st, 0);
    p->unit_id = store_col_int(st, 1);
    p->package_id = store_col_opt_int(st, 2);
    permit_copy(p->code, sizeof p->code, store_col_text(st, 3));
    permit_copy(p->type, sizeof p->type, store_col_text(st, 4));
    permit_copy(p->grade, sizeof p->grade, store_col_text(st, 5));
    permit_copy(p->state, sizeof p->state, store_col_text(st, 6));
    permit_copy(p->profile, sizeof p->profile, store_col_text(st, 7));
    permit_copy(p->title, sizeof p->title, store_col_text(st, 8));
    permit_copy(p->location, sizeof p->location, store_col_text(st, 9));
    p->planned_start = store_col_int(st, 10);
    p->planned_end = store_col_int(st, 11);
    p->applicant_person_id = store_col_int(st, 12);
    p->guardian_person_id = store_col_opt_int(st, 13);
    p->serves_permit_id = store_col_opt_int(st, 14);
    p->activated_at = store_col_opt_int(st, 15);
    p->suspended_at = store_col_opt_int(st, 16);
    p->closed_at = store_col_opt_int(st, 17);
    permit_copy(p->reason, sizeof p->reason, store_col_text(st, 18));
    const char *doc = store_col_text(st, 19);
    json_error_t je;
    p->doc = doc ? json_loads(doc, 0, &je) : NULL;
    if (!json_is_object(p->doc)) {
        json_decref(p->doc);
        p->doc = json_object();
    }
    permit_copy(p->created_by, sizeof p->created_by, store_col_text(st, 20));
    p->created_at = store_col_int(st, 21);
    p->updated_at = store_col_int(st, 22);
    permit_copy(p->unit_path, sizeof p->unit_path, store_col_text(st, 23));
    permit_copy(p->unit_tz, sizeof p->unit_tz, store_col_text(st, 24));
}

void permit_row_free(permit_row *p)
{
    if (!p) return;
    json_decref(p->doc);
    p->doc = NULL;
}

ws_err permit_get(store_conn *c, int64_t id, permit_row *p)
{
    store_stmt *st = NULL;
    bool row = false;
    memset(p, 0, sizeof *p);
    ws_err rc = store_prepare(c, Q_PERMIT_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) permit_row_read(st, p);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such permit");
    return rc;
}

ws_err permit_rows(store_conn *c, const char *sql, const permit_bind *b, int nb, permit_row **out,
                   size_t *n, size_t max)
{
    *out = NULL;
    *n = 0;
    permit_row *rows = calloc(max ? max : 1, sizeof *rows);
    if (!rows) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    for (int i = 0; !rc && i < nb; i++)
        rc = b[i].is_text ? store_bind_text(st, i + 1, b[i].s) : store_bind_int(st, i + 1, b[i].i);
    while (!rc && *n < max && !(rc = store_step(st, &row)) && row) permit_row_read(st, &rows[(*n)++]);
    store_finalize(st);
    if (rc) {
        permit_rows_free(rows, *n);
        *n = 0;
        return rc;
    }
    *out = rows;
    return WS_OK;
}

void permit_rows_free(permit_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) permit_row_free(&rows[i]);
    free(rows);
}

/* Write p back with a timeline entry (kind, from -> p->state, detail
 * borrowed, may be NULL) and the audit leaves of both, inside the caller's
 * transaction. */
ws_err permit_save(store_conn *c, const org_caller *by, const permit_row *p, const char *kind,
                   const char *from, const json_t *detail, int64_t now)
{
    char *doc = json_dump_compact(p->doc);
    if (!doc) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (strlen(doc) > PERMIT_DOC_MAX) {
        free(doc);
        return ws_fail(WS_ETOOBIG, "doc", "the permit's record would exceed %u bytes", PERMIT_DOC_MAX);
    }
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PERMIT_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, p->id);
    if (!rc) rc = store_bind_opt_int(st, 2, p->package_id);
    if (!rc) rc = store_bind_text(st, 3, p->grade);
    if (!rc) rc = store_bind_text(st, 4, p->state);
    if (!rc) rc = store_bind_text(st, 5, p->title);
    if (!rc) rc = store_bind_text(st, 6, p->location);
    if (!rc) rc = store_bind_int(st, 7, p->planned_start);
    if (!rc) rc = store_bind_int(st, 8, p->planned_end);
    if (!rc) rc = store_bind_opt_int(st, 9, p->guardian_person_id);
    if (!rc) rc = store_bind_opt_int(st, 10, p->serves_permit_id);
    if (!rc) rc = store_bind_opt_int(st, 11, p->activated_at);
    if (!rc) rc = store_bind_opt_int(st, 12, p->suspended_at);
    if (!rc) rc = store_bind_opt_int(st, 13, p->closed_at);
    if (!rc) rc = store_bind_opt_text(st, 14, p->reason[0] ? p->reason : NULL);
    if (!rc) rc = store_bind_text(st, 15, doc);
    if (!rc) rc = store_bind_int(st, 16, now);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    free(doc);
    audit_actor sys = {"system"};
    const audit_actor *who = by && by->actor ? by->actor : &sys;
    if (!rc) rc = audit_record(c, who, &PERMIT_ENTITY, p->id, kind, NULL);
    if (!rc) rc = permit_event(c, by, p->id, now, kind, from, p->state, detail);
    return rc;
}

ws_err permit_event(store_conn *c, const org_caller *by, int64_t permit_id, int64_t at, const char *kind,
                    const char *from, const char *to, const json_t *detail)
{
    char *d = detail ? json_dump_compact(detail) : NULL;
    store_stmt *st = NULL;
    int64_t id = 0;
    bool row = false;
    ws_err rc = store_prepare(c, Q_PERMIT_EVENT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, permit_id);
    if (!rc) rc = store_bind_int(st, 2, at);
    if (!rc) rc = store_bind_text(st, 3, kind);
    if (!rc) rc = store_bind_opt_text(st, 4, from);
    if (!rc) rc = store_bind_opt_text(st, 5, to);
    if (!rc) rc = store_bind_text(st, 6, permit_actor(by));
    if (!rc) rc = store_bind_opt_text(st, 7, d);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    free(d);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &PERMIT_ENTITY_EVENT, id, kind, NULL);
    return rc;
}

/* ------------------------------------------------------- the application */

/* The statutory safety measures of each type (the measures table of the
 * standard's appendix forms, abridged). A plant adds its own items to a
 * permit; these cannot be removed. */
static const char *const measures_hot[] = {
    "动火设备内部构件已清理干净，蒸汽吹扫或水洗、置换合格",
    "与动火设备相连的管线已断开并加盲板，未以水封或关阀代替盲板",
    "动火点周围的孔洞、窨井、地沟、污水井等已清除易燃物并覆盖隔离",
    "动火点周围 15 m 内无可燃物，30 m 内无可燃气体排放",
    "电焊回路线接在焊件上，把线未穿过下水井或与其他设备搭接",
    "乙炔气瓶直立并防倾倒，气瓶与火源间距不小于 10 m",
    "现场配备灭火器、灭火毯等消防器材",
    NULL};
static const char *const measures_confined[] = {
    "与受限空间连通的管道已用盲板或拆除短节有效隔离",
    "受限空间已清洗、置换，通风良好，严禁用纯氧通风",
    "设置安全警示标志，出入口畅通",
    "配备正压式空气呼吸器、救生绳等应急救援器材",
    "照明使用安全电压，潮湿环境不超过 12 V",
    "进出人员、工具清点登记，专人监护",
    NULL};
static const char *const measures_blind[] = {
    "管道、设备已降压、排空",
    "盲板位置图已标注并编号，盲板规格符合要求",
    "作业人员按介质穿戴防护器具",
    "易燃易爆场所使用防爆工具，作业点附近无动火",
    "现场设置警戒",
    NULL};
static const char *const measures_height[] = {
    "作业人员身体条件符合要求，穿戴安全帽、安全带（高挂低用）",
    "脚手架或作业平台已验收合格",
    "垂直交叉作业设置隔离层",
    "工具、材料有防坠落措施",
    "遇五级以上大风、雷雨等恶劣天气停止露天高处作业",
    NULL};
static const char *const measures_lifting[] = {
    "吊装方案已审批，起重机械及吊具检验合格",
    "吊装区域设置警戒，无关人员撤离",
    "司索、指挥人员持证，指挥信号明确",
    "不得利用管道、管架、电杆等作为锚点",
    "恶劣天气停止吊装",
    NULL};
static const char *const measures_power[] = {
    "安装、维修、拆除由持证电工进行",
    "配电箱有漏电保护，一机一闸一保护",
    "线路架设或埋设符合要求，有防破损措施",
    "爆炸危险场所使用防爆电气设备",
    NULL};
static const char *const measures_excavation[] = {
    "地下电缆、管道、光缆等已核实并标注",
    "坑槽设置护栏和警示标志，夜间设警示灯",
    "按土质放坡或支撑，设置人员上下通道",
    "机械开挖避开地下设施",
    NULL};
static const char *const measures_road[] = {
    "断路方案及影响范围已通知相关部门",
    "设置路障和警示标志，夜间设警示灯",
    "保留消防通道或有应急疏导方案",
    "作业结束及时恢复道路并报告",
    NULL};

const char *const *permit_statutory_measures(pr_type t)
{
    static const char *const *const by_type[PT_COUNT] = {
        measures_hot, measures_confined, measures_blind, measures_height,
        measures_lifting, measures_power, measures_excavation, measures_road};
    return t >= 0 && t < PT_COUNT ? by_type[t] : NULL;
}

/* Types whose lifecycle has the gas-analysis step (气体分析). */
bool permit_needs_gas(pr_type t) { return t == PT_HOT_WORK || t == PT_CONFINED_SPACE; }

static const char *code_prefix(pr_type t)
{
    static const char *const p[PT_COUNT] = {"DH", "SX", "MB", "GC", "DZ", "LD", "DT", "DL"};
    return t >= 0 && t < PT_COUNT ? p[t] : "ZY";
}

/* A person of enterprise ent, active (field names the member). */
ws_err permit_person(store_conn *c, int64_t id, int64_t ent, const char *field, org_person *out)
{
    org_person tmp;
    org_person *p = out ? out : &tmp;
    ws_err rc = org_person_get(c, id, p);
    if (rc == WS_ENOTFOUND || (!rc && (p->enterprise_id != ent || !p->active)))
        return ws_fail(WS_EINVAL, field, "no such active person in this enterprise (%s)", field);
    return rc;
}

/* Link the fixed detectors within permit_params.gas_radius_m of the work
 * location: combustible ones for hot work; combustible, oxygen and toxic
 * ones for confined space; nearest first. doc.gas_points_near records what
 * was found and how far, so the permit shows why each detector is linked. */
static ws_err link_nearby(store_conn *c, permit_row *p, int64_t ent, pr_type type, double lat, double lon)
{
    char v[24] = "";
    org_unit e;
    ws_err rc = permit_param(c, "gas_radius_m", v, sizeof v);
    if (!rc) rc = org_unit_get(c, ent, &e);
    if (rc) return rc;
    double radius = atof(v) > 0 ? atof(v) : 15;
    point_near near[32];
    size_t n = 0;
    if ((rc = point_nearby(c, e.path, lat, lon, radius, near, 32, &n))) return rc;
    json_t *ids = json_array(), *found = json_array();
    for (size_t i = 0; i < n && json_array_size(ids) < PERMIT_GAS_POINTS_MAX; i++) {
        bool fits = !strcmp(near[i].kind, "combustible") ||
                    (type == PT_CONFINED_SPACE && (!strcmp(near[i].kind, "oxygen") || !strcmp(near[i].kind, "toxic")));
        if (!fits) continue;
        json_array_append_new(ids, json_integer(near[i].id));
        json_array_append_new(found, json_pack("{s:I, s:s, s:s, s:f}", "point_id", (json_int_t)near[i].id, "tag",
                                               near[i].tag, "kind", near[i].kind, "distance_m",
                                               round(near[i].distance_m * 10) / 10));
    }
    json_object_set_new(p->doc, "gas_points", ids);
    json_object_set_new(p->doc, "gas_points_near", found);
    json_object_set_new(p->doc, "gas_radius_m", json_real(radius));
    return WS_OK;
}

/* Validate the application fields of body onto p (create: every required
 * one; update: only those present). */
static ws_err apply_fields(store_conn *c, const json_t *body, permit_row *p, int64_t ent, bool create)
{
    ws_err rc;
    const json_t *v;
    if (!json_is_object(body)) return ws_fail(WS_EINVAL, "body", "the body must be a JSON object");
    static const char *const known[] = {
        "type", "grade", "unit_id", "title", "location", "planned_start", "planned_end", "package_id",
        "serves_permit_id", "height_m", "mass_t", "hot_tapping", "enriched_oxygen",
        "continuous_monitor", "workers", "guardian_person_id", "gas_points", "measures", "note",
        "extension_reason", "applicant_person_id", "signature_attachment_id", "location_lat", "location_lon",
        NULL};
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)body, key, val) {
        bool ok = false;
        for (int i = 0; known[i] && !ok; i++) ok = !strcmp(known[i], key);
        if (!ok) return ws_fail(WS_EINVAL, key, "unknown field %s", key);
    }
    if ((v = json_object_get(body, "title")) || create) {
        if (!json_is_string(v)) return ws_fail(WS_EINVAL, "title", "title is required (作业内容)");
        if ((rc = permit_text(json_string_value(v), "title", PERMIT_TITLE_MAX, true))) return rc;
        permit_copy(p->title, sizeof p->title, json_string_value(v));
    }
    if ((v = json_object_get(body, "location")) || create) {
        if (!json_is_string(v)) return ws_fail(WS_EINVAL, "location", "location is required (作业地点)");
        if ((rc = permit_text(json_string_value(v), "location", PERMIT_TITLE_MAX, true))) return rc;
        permit_copy(p->location, sizeof p->location, json_string_value(v));
    }
    int64_t t;
    if ((rc = time_member(body, "planned_start", &t))) return rc;
    if (t) p->planned_start = t;
    else if (create) return ws_fail(WS_EINVAL, "planned_start", "planned_start is required");
    if ((rc = time_member(body, "planned_end", &t))) return rc;
    if (t) p->planned_end = t;
    else if (create) return ws_fail(WS_EINVAL, "planned_end", "planned_end is required");
    if (p->planned_end <= p->planned_start)
        return ws_fail(WS_EINVAL, "planned_end", "planned_end must come after planned_start");
    if ((v = json_object_get(body, "grade"))) {
        if (!json_is_string(v) || strlen(json_string_value(v)) >= PR_GRADE_MAX)
            return ws_fail(WS_EINVAL, "grade", "grade is special, 1, 2, ... as the type defines");
        permit_copy(p->grade, sizeof p->grade, json_string_value(v));
    }
    pr_type type = (pr_type)pr_type_of(p->type);
    if (type == PT_HOT_WORK && !p->grade[0])
        return ws_fail(WS_EINVAL, "grade", "a hot-work permit needs its grade (special 特级, 1 一级, 2 二级)");
    static const char *const nums[] = {"height_m", "mass_t"};
    for (int i = 0; i < 2; i++) {
        if (!(v = json_object_get(body, nums[i]))) continue;
        double d = json_number_value(v);
        if (!json_is_number(v) || !isfinite(d) || d < 0 || d > 100000)
            return ws_fail(WS_EINVAL, nums[i], "%s must be a number between 0 and 100000", nums[i]);
        json_object_set_new(p->doc, nums[i], json_real(d));
    }
    if (type == PT_WORK_AT_HEIGHT && json_number_value(json_object_get(p->doc, "height_m")) < 2)
        return ws_fail(WS_EINVAL, "height_m", "work at height is work 2 m or more above the base level (height_m)");
    if (type == PT_LIFTING && json_number_value(json_object_get(p->doc, "mass_t")) <= 0)
        return ws_fail(WS_EINVAL, "mass_t", "a lifting permit needs the load's mass in t (mass_t)");
    static const char *const flags[] = {"hot_tapping", "enriched_oxygen", "continuous_monitor"};
    for (int i = 0; i < 3; i++) {
        if (!(v = json_object_get(body, flags[i]))) continue;
        if (!json_is_boolean(v)) return ws_fail(WS_EINVAL, flags[i], "%s is true or false", flags[i]);
        json_object_set_new(p->doc, flags[i], json_deep_copy(v));
    }
    static const char *const texts[] = {"note", "extension_reason"};
    for (int i = 0; i < 2; i++) {
        if (!(v = json_object_get(body, texts[i]))) continue;
        if (!json_is_string(v)) return ws_fail(WS_EINVAL, texts[i], "%s is text", texts[i]);
        if ((rc = permit_text(json_string_value(v), texts[i], PR_TEXT_MAX - 1, false))) return rc;
        json_object_set_new(p->doc, texts[i], json_deep_copy(v));
    }
    if ((v = json_object_get(body, "guardian_person_id"))) {
        if (json_is_null(v)) p->guardian_person_id = 0;
        else {
            if (!json_is_integer(v)) return ws_fail(WS_EINVAL, "guardian_person_id", "guardian_person_id is a person id");
            if ((rc = permit_person(c, json_integer_value(v), ent, "guardian_person_id", NULL))) return rc;
            p->guardian_person_id = json_integer_value(v);
        }
    }
    if ((v = json_object_get(body, "serves_permit_id"))) {
        if (json_is_null(v)) p->serves_permit_id = 0;
        else {
            permit_row other;
            if (!json_is_integer(v)) return ws_fail(WS_EINVAL, "serves_permit_id", "serves_permit_id is a permit id");
            if (type != PT_TEMPORARY_POWER)
                return ws_fail(WS_EINVAL, "serves_permit_id", "only temporary power serves another permit");
            org_unit ou;
            rc = permit_get(c, json_integer_value(v), &other);
            if (!rc) rc = org_unit_get(c, other.unit_id, &ou);
            bool same = !rc && ou.enterprise_id == ent && strcmp(other.type, "temporary_power");
            int64_t oid = other.id;
            permit_row_free(&other);
            if (rc == WS_ENOTFOUND || !same)
                return ws_fail(WS_EINVAL, "serves_permit_id", "no such permit (serves_permit_id)");
            if (rc) return rc;
            p->serves_permit_id = oid;
        }
    }
    if ((v = json_object_get(body, "workers"))) {
        if (!json_is_array(v) || json_array_size(v) > PR_MAX_WORKERS)
            return ws_fail(WS_EINVAL, "workers", "workers is a list of at most %d people", PR_MAX_WORKERS);
        json_t *ws = json_array();
        size_t i;
        json_t *w;
        json_array_foreach(v, i, w) {
            char f[48];
            snprintf(f, sizeof f, "workers[%zu].person_id", i);
            org_person per;
            if (!json_is_object(w) || !json_is_integer(json_object_get(w, "person_id"))) {
                json_decref(ws);
                return ws_fail(WS_EINVAL, f, "each worker is {person_id, cert_type, cert_no}");
            }
            if ((rc = permit_person(c, json_integer_value(json_object_get(w, "person_id")), ent, f, &per))) {
                json_decref(ws);
                return rc;
            }
            const char *ct = NULL, *cn = NULL;
            char ft[48];
            snprintf(ft, sizeof ft, "workers[%zu].cert_type", i);
            snprintf(f, sizeof f, "workers[%zu].cert_no", i);
            if ((rc = json_opt_text(w, "cert_type", ft, &ct)) || (rc = json_opt_text(w, "cert_no", f, &cn))) {
                json_decref(ws);
                return rc;
            }
            if (!ct) ct = "";
            if (!cn) cn = "";
            if (strlen(ct) >= 32 || strlen(cn) >= 40 || permit_text(cn, f, 39, false) ||
                permit_text(ct, f, 31, false)) {
                json_decref(ws);
                return ws_fail(WS_EINVAL, f, "certificate type (< 32 bytes) and number (< 40 bytes) are short text");
            }
            /* a type without a number (or with a masked one): the worker's
             * certificate of that type in the register, recorded whole */
            char found[PR_CERT_NO_MAX] = "";
            if (strchr(cn, '*')) cn = ""; /* a masked number read back from the record */
            if (ct[0] && !cn[0]) {
                int64_t exp;
                bool revoked;
                if ((rc = cert_lookup(c, per.id, ct, "", &exp, &revoked, found, sizeof found))) {
                    json_decref(ws);
                    return rc;
                }
                cn = found;
            }
            json_array_append_new(ws, json_pack("{s:I, s:s, s:s, s:s}", "person_id", (json_int_t)per.id,
                                                "name", per.name, "cert_type", ct, "cert_no", cn));
        }
        json_object_set_new(p->doc, "workers", ws);
    }
    if ((v = json_object_get(body, "gas_points"))) {
        if (!json_is_array(v) || json_array_size(v) > PERMIT_GAS_POINTS_MAX)
            return ws_fail(WS_EINVAL, "gas_points", "gas_points is a list of at most %d point ids",
                           PERMIT_GAS_POINTS_MAX);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) if (!json_is_integer(x) || json_integer_value(x) <= 0) {
            char f[48];
            snprintf(f, sizeof f, "gas_points[%zu]", i);
            return ws_fail(WS_EINVAL, f, "a gas point is a point id");
        }
        json_object_set_new(p->doc, "gas_points", json_deep_copy(v));
    }
    /* the work location (the phone's GPS): the fixed detectors around it */
    const json_t *la = json_object_get(body, "location_lat"), *lo = json_object_get(body, "location_lon");
    if (la || lo) {
        double lat = json_number_value(la), lon = json_number_value(lo);
        if (!json_is_number(la) || !isfinite(lat) || lat < -90 || lat > 90)
            return ws_fail(WS_EINVAL, "location_lat", "location_lat is -90..90 degrees (WGS-84), with location_lon");
        if (!json_is_number(lo) || !isfinite(lon) || lon < -180 || lon > 180)
            return ws_fail(WS_EINVAL, "location_lon", "location_lon is -180..180 degrees (WGS-84), with location_lat");
        json_object_set_new(p->doc, "location_lat", json_real(lat));
        json_object_set_new(p->doc, "location_lon", json_real(lon));
        if (!json_object_get(body, "gas_points") && permit_needs_gas(type) &&
            (rc = link_nearby(c, p, ent, type, lat, lon)))
            return rc;
    }
    if ((v = json_object_get(body, "measures"))) {
        /* the plant's own items, after the statutory ones */
        if (!json_is_array(v) || json_array_size(v) > 32)
            return ws_fail(WS_EINVAL, "measures", "measures is a list of at most 32 extra items");
        json_t *ms = json_array();
        const char *const *stat = permit_statutory_measures(type);
        for (int i = 0; stat && stat[i]; i++)
            json_array_append_new(ms, json_pack("{s:s, s:b}", "item", stat[i], "statutory", 1));
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char f[48];
            snprintf(f, sizeof f, "measures[%zu]", i);
            const char *s = json_is_string(x) ? json_string_value(x) : str_member(x, "item");
            if ((rc = permit_text(s, f, 500, true))) {
                json_decref(ms);
                return rc;
            }
            json_array_append_new(ms, json_pack("{s:s, s:b}", "item", s, "statutory", 0));
        }
        json_object_set_new(p->doc, "measures", ms);
    } else if (create) {
        json_t *ms = json_array();
        const char *const *stat = permit_statutory_measures(type);
        for (int i = 0; stat && stat[i]; i++)
            json_array_append_new(ms, json_pack("{s:s, s:b}", "item", stat[i], "statutory", 1));
        json_object_set_new(p->doc, "measures", ms);
    }
    return WS_OK;
}

ws_err permit_create(permit_svc *s, store_conn *c, const org_caller *by, const json_t *body, int64_t *id)
{
    permit_row p;
    memset(&p, 0, sizeof p);
    int64_t now = clock_now_ms();
    const json_t *tv = json_object_get(body, "type");
    int type = pr_type_of(json_string_value(tv));
    if (!json_is_object(body)) return ws_fail(WS_EINVAL, "body", "the body must be a JSON object");
    if (type < 0)
        return ws_fail(WS_EINVAL, "type", "type is one of hot_work, confined_space, blind_plate, "
                       "work_at_height, lifting, temporary_power, excavation, road_closure");
    permit_copy(p.type, sizeof p.type, pr_type_name((pr_type)type));
    int64_t unit_id = int_member(body, "unit_id");
    org_unit u;
    ws_err rc = unit_id > 0 ? org_unit_get(c, unit_id, &u) : ws_fail(WS_EINVAL, "unit_id", "unit_id is required (the area of the work)");
    if (rc == WS_ENOTFOUND) return ws_fail(WS_EINVAL, "unit_id", "no such unit (unit_id)");
    if (rc) return rc;
    if ((rc = permit_allow(by, "permit.write", u.path)) == WS_ENOTFOUND)
        return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit (unit_id)");
    if (rc) return rc;
    if (!u.enterprise_id) return ws_fail(WS_EINVAL, "unit_id", "a permit belongs to a unit of an enterprise");
    p.unit_id = u.id;
    permit_copy(p.unit_path, sizeof p.unit_path, u.path);
    p.doc = json_object();
    int64_t applicant = 0, pkg = 0;
    if ((rc = json_opt_id(body, "applicant_person_id", "applicant_person_id", &applicant)) ||
        (rc = json_opt_id(body, "package_id", "package_id", &pkg))) {
        json_decref(p.doc);
        return rc;
    }
    if (by && by->subject && by->subject->person_id > 0) {
        if (applicant > 0 && applicant != by->subject->person_id) {
            json_decref(p.doc);
            return ws_fail(WS_EINVAL, "applicant_person_id", "you apply as yourself (applicant_person_id)");
        }
        applicant = by->subject->person_id;
    }
    if (applicant <= 0) rc = ws_fail(WS_EINVAL, "applicant_person_id", "who applies? the account has no person (applicant_person_id)");
    if (!rc) rc = permit_person(c, applicant, u.enterprise_id, "applicant_person_id", NULL);
    if (!rc) rc = apply_fields(c, body, &p, u.enterprise_id, true);
    if (!rc && pkg > 0) {
        json_t *k = NULL;
        rc = permit_package_json(c, pkg, NULL, &k);
        if (rc == WS_ENOTFOUND || (!rc && int_member(k, "unit_id") != u.id))
            rc = ws_fail(WS_EINVAL, "package_id", "no such job package in this unit (package_id)");
        json_decref(k);
        p.package_id = pkg;
    }
    char profile[40] = "";
    if (!rc) rc = permit_param(c, "profile", profile, sizeof profile);
    if (!rc) rc = permit_signature(c, by, body, p.doc, "applicant", now);
    if (rc) {
        json_decref(p.doc);
        return rc;
    }
    permit_copy(p.profile, sizeof p.profile, profile[0] ? profile : "gb30871_2022_chem");
    (void)s;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) {
        json_decref(p.doc);
        return rc;
    }
    /* the code: DH-20261129-0001 by the unit's local date */
    char day[20], prefix[24];
    int off = permit_tz_offset(u.tz, now);
    int64_t local = now / 1000 + (int64_t)off * 60;
    time_t tt = (time_t)local;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    snprintf(prefix, sizeof prefix, "%s-%s-", code_prefix((pr_type)type), day);
    store_stmt *st = NULL;
    bool row = false;
    int64_t seq = 0;
    rc = store_prepare(c, Q_PERMIT_NEXT_SEQ, &st);
    if (!rc) rc = store_bind_text(st, 1, prefix);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) seq = store_col_int(st, 0);
    store_finalize(st);
    char code[64];
    snprintf(code, sizeof code, "%s%04lld", prefix, (long long)seq + 1);
    permit_copy(p.code, sizeof p.code, code);
    char *doc = json_dump_compact(p.doc);
    st = NULL;
    if (!rc) rc = doc ? store_prepare(c, Q_PERMIT_INSERT, &st) : WS_ENOMEM;
    if (!rc) rc = store_bind_int(st, 1, p.unit_id);
    if (!rc) rc = store_bind_opt_int(st, 2, p.package_id);
    if (!rc) rc = store_bind_text(st, 3, p.code);
    if (!rc) rc = store_bind_text(st, 4, p.type);
    if (!rc) rc = store_bind_text(st, 5, p.grade);
    if (!rc) rc = store_bind_text(st, 6, p.profile);
    if (!rc) rc = store_bind_text(st, 7, p.title);
    if (!rc) rc = store_bind_text(st, 8, p.location);
    if (!rc) rc = store_bind_int(st, 9, p.planned_start);
    if (!rc) rc = store_bind_int(st, 10, p.planned_end);
    if (!rc) rc = store_bind_int(st, 11, applicant);
    if (!rc) rc = store_bind_opt_int(st, 12, p.guardian_person_id);
    if (!rc) rc = store_bind_opt_int(st, 13, p.serves_permit_id);
    if (!rc) rc = store_bind_text(st, 14, doc);
    if (!rc) rc = store_bind_text(st, 15, permit_actor(by));
    if (!rc) rc = store_bind_int(st, 16, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    if (st) store_finalize(st);
    free(doc);
    json_decref(p.doc);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &PERMIT_ENTITY, *id, "create", NULL);
    if (!rc) rc = permit_event(c, by, *id, now, "create", NULL, "draft", NULL);
    return store_tx_finish(c, own, rc);
}

/* The permit for an action with permission perm (outside the scope: 404). */
ws_err permit_for(store_conn *c, const org_caller *by, int64_t id, const char *perm, permit_row *p)
{
    ws_err rc = permit_get(c, id, p);
    if (!rc) rc = permit_allow(by, perm, p->unit_path);
    if (rc == WS_ENOTFOUND) {
        permit_row_free(p);
        return ws_fail(WS_ENOTFOUND, "id", "no such permit");
    }
    if (rc) permit_row_free(p);
    return rc;
}

ws_err permit_update(permit_svc *s, store_conn *c, const org_caller *by, int64_t id, const json_t *body)
{
    permit_row p;
    ws_err rc = permit_for(c, by, id, "permit.write", &p);
    if (rc) return rc;
    org_unit u;
    if (strcmp(p.state, "draft"))
        rc = ws_fail(WS_ECONFLICT, "state", "only a draft is edited; this permit is %s", p.state);
    if (!rc && json_object_get(body, "type"))
        rc = ws_fail(WS_EINVAL, "type", "the type of a permit does not change; apply for another");
    if (!rc && json_object_get(body, "unit_id") && int_member(body, "unit_id") != p.unit_id)
        rc = ws_fail(WS_EINVAL, "unit_id", "the unit of a permit does not change; apply for another");
    if (!rc && json_object_get(body, "package_id"))
        rc = ws_fail(WS_EINVAL, "package_id", "join a job package when applying");
    if (!rc) rc = org_unit_get(c, p.unit_id, &u);
    if (!rc) rc = apply_fields(c, body, &p, u.enterprise_id, false);
    (void)s;
    bool own = false;
    if (!rc && !(rc = store_tx_join(c, &own)))
        rc = store_tx_finish(c, own, permit_save(c, by, &p, "update", p.state, NULL, clock_now_ms()));
    permit_row_free(&p);
    return rc;
}

/* ---------------------------------------------------------------- snapshot */

static void gas_of(const json_t *g, pr_gas *x)
{
    memset(x, 0, sizeof *x);
    x->at_ms = int_member(g, "at_ms");
    const char *k = str_member(g, "kind");
    x->kind = !strcmp(k, "oxygen") ? PR_GAS_OXYGEN : !strcmp(k, "toxic") ? PR_GAS_TOXIC : PR_GAS_COMBUSTIBLE;
    const char *u = str_member(g, "unit");
    x->unit = !strcmp(u, "%VOL") ? PR_UNIT_PCT_VOL : !strcmp(u, "mg/m3") ? PR_UNIT_MG_M3
              : !strcmp(u, "ppm") ? PR_UNIT_PPM : PR_UNIT_PCT_LEL;
    x->value = json_number_value(json_object_get(g, "value"));
    permit_copy(x->substance, sizeof x->substance, str_member(g, "substance"));
    x->lel_pct_vol = json_number_value(json_object_get(g, "lel_pct_vol"));
    x->limit = json_number_value(json_object_get(g, "limit"));
    x->portable = json_is_true(json_object_get(g, "portable"));
    permit_copy(x->position, sizeof x->position, str_member(g, "position"));
    x->analyst_person_id = int_member(g, "analyst_person_id");
}

/* The certificate of (type, number) held by person, or of type held by the
 * person with the latest expiry when number is "". */
static ws_err cert_lookup(store_conn *c, int64_t person, const char *type, const char *number,
                          int64_t *expires, bool *revoked, char *num_out, size_t cap)
{
    store_stmt *st = NULL;
    bool row = false;
    *expires = 0;
    *revoked = false;
    ws_err rc = store_prepare(c, number && number[0] ? Q_CERT_BY_NUMBER : Q_CERT_OF_PERSON, &st);
    if (!rc && number && number[0]) {
        rc = store_bind_text(st, 1, type);
        if (!rc) rc = store_bind_text(st, 2, number);
    } else if (!rc) {
        rc = store_bind_int(st, 1, person);
        if (!rc) rc = store_bind_text(st, 2, type);
    }
    if (!rc) rc = store_step(st, &row);
    if (!rc && row && store_col_int(st, 1) == person) {
        *expires = store_col_int(st, 5);
        *revoked = store_col_int(st, 7) != 0;
        if (num_out) permit_copy(num_out, cap, store_col_text(st, 3));
    }
    store_finalize(st);
    return rc;
}

ws_err permit_snapshot(store_conn *c, const permit_row *p, pr_permit *x)
{
    memset(x, 0, sizeof *x);
    int t = pr_type_of(p->type);
    if (t < 0) return ws_fail(WS_ECORRUPT, "type", "permit %lld has an unknown type", (long long)p->id);
    x->type = (pr_type)t;
    permit_copy(x->grade, sizeof x->grade, p->grade);
    x->height_m = json_number_value(json_object_get(p->doc, "height_m"));
    x->mass_t = json_number_value(json_object_get(p->doc, "mass_t"));
    permit_copy(x->tz, sizeof x->tz, p->unit_tz);
    x->planned_start_ms = p->planned_start;
    x->planned_end_ms = p->planned_end;
    x->activated_ms = p->activated_at;
    x->suspended_ms = p->suspended_at; /* the last break's start, kept after a resume (audit) */
    x->resumed_ms = int_member(p->doc, "resumed_at");
    x->enriched_oxygen = json_is_true(json_object_get(p->doc, "enriched_oxygen"));
    x->hot_tapping = json_is_true(json_object_get(p->doc, "hot_tapping"));
    x->continuous_monitor = json_is_true(json_object_get(p->doc, "continuous_monitor")) ||
                            json_array_size(json_object_get(p->doc, "gas_points")) > 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p->doc, "gas"), i, v) if (x->ngas < PR_MAX_GAS) gas_of(v, &x->gas[x->ngas++]);
    ws_err rc = WS_OK;
    json_array_foreach(json_object_get(p->doc, "workers"), i, v) {
        if (x->nworkers >= PR_MAX_WORKERS || rc) break;
        pr_worker *w = &x->workers[x->nworkers++];
        w->person_id = int_member(v, "person_id");
        permit_copy(w->name, sizeof w->name, str_member(v, "name"));
        permit_copy(w->cert_type, sizeof w->cert_type, str_member(v, "cert_type"));
        permit_copy(w->cert_no, sizeof w->cert_no, str_member(v, "cert_no"));
        if (w->cert_type[0])
            rc = cert_lookup(c, w->person_id, w->cert_type, w->cert_no, &w->cert_expires_ms, &w->cert_revoked,
                             w->cert_no, sizeof w->cert_no);
    }
    x->guardian_person_id = p->guardian_person_id;
    if (!rc && p->guardian_person_id > 0) {
        bool revoked = false;
        rc = cert_lookup(c, p->guardian_person_id, "guardian", "", &x->guardian_qual_expires_ms, &revoked, NULL, 0);
        x->guardian_qualified = x->guardian_qual_expires_ms > 0 && !revoked;
    }
    x->guardian_checkin_ms = int_member(p->doc, "guardian_checkin_at");
    json_array_foreach(json_object_get(p->doc, "approvals"), i, v) {
        if (x->napprovals >= PR_MAX_APPROVALS) break;
        pr_approval *a = &x->approvals[x->napprovals++];
        permit_copy(a->post, sizeof a->post, str_member(v, "post"));
        a->person_id = int_member(v, "person_id");
        a->at_ms = int_member(v, "at_ms");
    }
    json_array_foreach(json_object_get(p->doc, "measures"), i, v) {
        x->nmeasures++;
        if (int_member(v, "confirmed_at_ms") > 0) x->nmeasures_confirmed++;
    }
    permit_copy(x->extension_reason, sizeof x->extension_reason, str_member(p->doc, "extension_reason"));
    if (!rc && p->serves_permit_id > 0) {
        permit_row o;
        if (!(rc = permit_get(c, p->serves_permit_id, &o))) {
            x->served_start_ms = o.planned_start;
            x->served_end_ms = o.planned_end;
            permit_row_free(&o);
        } else if (rc == WS_ENOTFOUND) rc = WS_OK;
    }
    return rc;
}

ws_err permit_check(permit_svc *s, store_conn *c, const permit_row *p, int64_t now, pr_stage stage,
                    pr_report *r)
{
    pr_permit *x = malloc(sizeof *x);
    if (!x) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = permit_snapshot(c, p, x);
    const pr_profile *pf = NULL;
    const pr_calendar *cal = NULL;
    if (!rc) rc = permit_rules_of(s, c, p->profile, &pf, &cal);
    if (!rc) rc = pr_check(pf, cal, x, now, stage, r);
    free(x);
    return rc;
}
