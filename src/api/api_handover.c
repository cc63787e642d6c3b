/* api_handover.c — shift handovers (交接班记录, src/handover) over REST:
 *
 *   GET  /api/v1/units/{id}/handover-draft ?hours=   what a handover would hold now
 *   GET/PUT /api/v1/units/{id}/handover-settings     交接班要求 {required, wait_min, early_min}
 *   GET  /api/v1/handovers ?unit_id=&state=&format=  newest first, without snapshots;
 *                                                    ?format=xlsx|csv: 交接班记录台账
 *   POST /api/v1/handovers {unit_id, note, hours, handed_by_person_id}
 *   GET  /api/v1/handovers/kpi ?unit_id=&days=       交接班统计 per unit (handover_kpi)
 *   GET  /api/v1/handovers/{id}                      with the snapshot
 *   POST /api/v1/handovers/{id}/actions/{accept|refuse} {note, taken_by_person_id}
 *
 * Permissions: plant.read (every role in scope) to read, handover.write
 * (every role but the regulator) to hand over and take, plant.write to set
 * a unit's 交接班要求; outside the scope
 * 404. Times RFC 3339. Taking a handover clears its 交接班超时未接 alarm at
 * once, and handing over the unit's 交接班未交 (the timer would within a
 * minute). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "core/clock.h"
#include "core/json.h"
#include "handover/handover.h"

static org_caller caller(api_ctx *ctx, audit_actor *a, char *name, size_t cap)
{
    a->name = api_actor(ctx, name, cap);
    org_caller by = {a, &ctx->who};
    return by;
}

#define NF(a) (sizeof(a) / sizeof((a)[0]))

#define CALLER                                   \
    char actor_name_[32];                        \
    audit_actor actor_;                          \
    org_caller by = caller(ctx, &actor_, actor_name_, sizeof actor_name_)

/* Stored JSON text as a value; an unreadable one (never written so) is null. */
static json_t *stored(const char *text)
{
    json_t *v = text && *text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

static json_t *person(int64_t id, const char *name)
{
    return id > 0 ? json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name) : json_null();
}

static json_t *handover_json(const handover *h, bool with_snapshot)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o}",
                          "id", (json_int_t)h->id, "unit_id", (json_int_t)h->unit_id, "unit_name",
                          h->unit_name, "shift_id", json_id(h->shift_id), "shift_name",
                          json_str(h->shift_id ? h->shift_name : NULL), "period_from",
                          json_time(h->period_from), "period_to", json_time(h->period_to), "state",
                          h->state, "handed_by", person(h->handed_by_person_id, h->handed_by_name),
                          "handed_at", json_time(h->created_at), "note", h->handed_note,
                          "taken_by", person(h->taken_by_person_id, h->taken_by_name), "taken_at",
                          json_time(h->taken_at), "taken_note",
                          json_str(h->taken_note[0] ? h->taken_note : NULL), "summary",
                          stored(h->summary));
    json_object_set_new(o, "taken_on_roster", h->taken_on_roster < 0 ? json_null() : json_boolean(h->taken_on_roster));
    if (with_snapshot) json_object_set_new(o, "snapshot", stored(h->snapshot));
    return o;
}

static ws_err reply_one(api_ctx *ctx, int status, int64_t id)
{
    handover h;
    ws_err rc = handover_get(ctx->conn, id, &h);
    if (rc) return rc;
    rc = api_reply_json(ctx, status, handover_json(&h, true));
    handover_clear(&h);
    return rc;
}

/* ?name= a whole number lo..hi; *out unchanged when absent. */
static ws_err query_range(api_ctx *ctx, const char *name, long lo, long hi, int *out)
{
    const char *s = api_query(ctx, name);
    char *end = NULL;
    long v = s ? strtol(s, &end, 10) : 0;
    if (s && (*end || end == s || v < lo || v > hi))
        return ws_fail(WS_EINVAL, name, "%s is a whole number %ld..%ld", name, lo, hi);
    if (s) *out = (int)v;
    return WS_OK;
}

static ws_err draft(api_ctx *ctx)
{
    int64_t unit_id = 0;
    int hours = 0;
    handover_draft d;
    ws_err rc = api_param_id(ctx, 0, &unit_id);
    if (!rc) rc = query_range(ctx, "hours", 1, 24, &hours);
    CALLER;
    if (!rc) rc = handover_draft_make(ctx->conn, &by, unit_id, hours, clock_now_ms(), &d);
    if (rc) return rc;
    json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:s, s:O, s:O}", "unit_id", (json_int_t)d.unit_id,
                          "shift_id", json_id(d.shift_id), "shift_name",
                          json_str(d.shift_id ? d.shift_name : NULL), "period_from",
                          json_time(d.period_from), "period_to", json_time(d.period_to), "from_kind",
                          d.from_kind, "summary", d.summary, "snapshot", d.snapshot);
    handover_draft_clear(&d);
    return api_reply_json(ctx, 200, o);
}

/* 交接班记录台账: each record with what was handed on, for the regulator's file. */
static const ledger_col ledger_cols[] = {
    {"交班时间", LEDGER_TIME, 18},  {"单位", LEDGER_TEXT, 16},      {"班次", LEDGER_TEXT, 8},
    {"本班起", LEDGER_TIME, 18},    {"交班人", LEDGER_TEXT, 10},    {"交班说明", LEDGER_TEXT, 40},
    {"本班紧急", LEDGER_INT, 8},    {"本班报警", LEDGER_INT, 8},    {"本班预警", LEDGER_INT, 8},
    {"遗留报警", LEDGER_INT, 8},    {"在用旁路", LEDGER_INT, 8},    {"进行中作业", LEDGER_INT, 10},
    {"未完成工单", LEDGER_INT, 10}, {"状态", LEDGER_TEXT, 8},       {"接班人", LEDGER_TEXT, 10},
    {"接班时间", LEDGER_TIME, 18},  {"接班意见/拒绝原因", LEDGER_TEXT, 30},
    {"接班人在值班表", LEDGER_TEXT, 12}, /* 是 / 否; blank: not taken, or that roster named nobody */
};
static const ledger_spec handover_ledger = {"交接班记录台账", NULL, true, ledger_cols,
                                            sizeof ledger_cols / sizeof ledger_cols[0], 0};

static ws_err ledger_row(ledger *l, const handover *h, api_names *names)
{
    static const char *const states[][2] = {{"handed", "待接班"}, {"accepted", "已接班"}, {"refused", "拒绝接班"}};
    const char *tz = NULL, *state = h->state;
    api_unit_name(names, h->unit_id, &tz);
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(states[i][0], h->state)) state = states[i][1];
    json_t *sum = stored(h->summary), *lv = json_object_get(sum, "raised_by_level");
    static const char *const levels[] = {"3", "2", "1"}; /* 紧急, 报警, 预警 */
    static const char *const counts[] = {"open_alarms", "bypasses", "permits", "work_orders"};
    ws_err rc = ledger_time(l, h->created_at, tz);
    if (!rc) rc = ledger_text(l, h->unit_name);
    if (!rc) rc = ledger_text(l, h->shift_id ? h->shift_name : NULL);
    if (!rc) rc = ledger_time(l, h->period_from, tz);
    if (!rc) rc = ledger_text(l, h->handed_by_name);
    if (!rc) rc = ledger_text(l, h->handed_note);
    for (size_t i = 0; !rc && i < 3; i++) rc = ledger_int(l, json_integer_value(json_object_get(lv, levels[i])));
    for (size_t i = 0; !rc && i < 4; i++) rc = ledger_int(l, json_integer_value(json_object_get(sum, counts[i])));
    if (!rc) rc = ledger_text(l, state);
    if (!rc) rc = ledger_text(l, h->taken_by_person_id ? h->taken_by_name : NULL);
    if (!rc) rc = ledger_time(l, h->taken_at, tz);
    if (!rc) rc = ledger_text(l, h->taken_note[0] ? h->taken_note : NULL);
    if (!rc) rc = ledger_text(l, h->taken_on_roster < 0 ? NULL : h->taken_on_roster ? "是" : "否");
    if (!rc) rc = ledger_row_end(l);
    json_decref(sum);
    return rc;
}

/* The list with f's filters, to the end, as a ledger. */
static ws_err export_list(api_ctx *ctx, handover_filter *f, ledger_format fmt)
{
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    ws_err rc = names ? ledger_open(&handover_ledger, fmt, &l) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    f->limit = API_LEDGER_PAGE;
    f->cursor = 0;
    do {
        handover *items = NULL;
        size_t n = 0;
        if (!rc) rc = handover_list(ctx->conn, f, &items, &n, &f->cursor);
        for (size_t i = 0; !rc && i < n; i++) rc = ledger_row(l, &items[i], names);
        handover_list_free(items, n);
    } while (!rc && f->cursor);
    return api_ledger_finish(ctx, &handover_ledger, fmt, l, names, rc);
}

static ws_err list(api_ctx *ctx)
{
    handover_filter f = {.scope_path = ctx->who.scope_path};
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = api_page(ctx, &f.limit, &f.cursor);
    if (!rc) rc = api_query_id(ctx, "unit_id", &f.unit_id);
    f.state = api_query(ctx, "state");
    if (!rc && f.state && strcmp(f.state, "handed") && strcmp(f.state, "accepted") && strcmp(f.state, "refused"))
        rc = ws_fail(WS_EINVAL, "state", "state is handed, accepted or refused");
    if (!rc && file) return export_list(ctx, &f, fmt);
    handover *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    if (!rc) rc = handover_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, handover_json(&items[i], false));
    handover_list_free(items, n);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

/* GET /handovers/kpi?unit_id=&days= — 交接班统计 (handover_kpi) */
static ws_err kpi(api_ctx *ctx)
{
    handover_filter f = {.scope_path = ctx->who.scope_path};
    int days = 30;
    ws_err rc = api_query_id(ctx, "unit_id", &f.unit_id);
    if (!rc) rc = query_range(ctx, "days", 1, HANDOVER_KPI_DAYS_MAX, &days);
    json_t *items = NULL;
    int64_t now = clock_now_ms();
    if (!rc) rc = handover_kpi(ctx->conn, &f, days, now, &items);
    if (rc) return rc;
    char from[32], to[32];
    return api_reply_json(ctx, 200, json_pack("{s:I,s:s,s:s,s:i,s:i,s:o}", "days", (json_int_t)days, "from",
                                              clock_format_rfc3339(now - days * 86400000LL, from, sizeof from),
                                              "to", clock_format_rfc3339(now, to, sizeof to), "wait_min",
                                              HANDOVER_WAIT_MIN, "early_min", HANDOVER_EARLY_MIN, "items", items));
}

static ws_err get_one(api_ctx *ctx)
{
    int64_t id = 0;
    handover h;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = handover_get(ctx->conn, id, &h);
    if (rc) return rc;
    auth_resource r = {0};
    r.unit_path = h.unit_path;
    rc = auth_decide(&ctx->who, "plant.read", &r);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such handover");
    if (!rc) rc = api_reply_json(ctx, 200, handover_json(&h, true));
    handover_clear(&h);
    return rc;
}

typedef struct {
    int64_t unit_id, hours, person_id;
    const char *note;
} give_body;
static const json_field give_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(give_body, unit_id), 0, 0, 0, -1},
    {"note", JF_STRING, true, false, offsetof(give_body, note), HANDOVER_NOTE_MAX, 0, 0, -1},
    {"hours", JF_INT, false, false, offsetof(give_body, hours), 0, 1, 24, -1},
    {"handed_by_person_id", JF_ID, false, true, offsetof(give_body, person_id), 0, 0, 0, -1},
};

static ws_err give(api_ctx *ctx)
{
    give_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, give_fields, NF(give_fields), &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    handover_in in = {.unit_id = b.unit_id, .note = b.note, .hours = (int)b.hours, .person_id = b.person_id};
    int64_t id = 0;
    rc = handover_give(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (!rc) handover_missed_clear(api_warn(), b.unit_id, clock_now_ms()); /* 交接班未交, if raised */
    return rc ? rc : reply_one(ctx, 201, id);
}

typedef struct {
    int64_t person_id;
    const char *note;
} take_body;
static const json_field take_fields[] = {
    {"note", JF_STRING, false, true, offsetof(take_body, note), HANDOVER_NOTE_MAX, 0, 0, -1},
    {"taken_by_person_id", JF_ID, false, true, offsetof(take_body, person_id), 0, 0, 0, -1},
};

static ws_err take(api_ctx *ctx)
{
    int64_t id = 0;
    take_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    const char *a = ctx->req->params[1];
    bool accept = !strcmp(a, "accept");
    if (!rc && !accept && strcmp(a, "refuse"))
        rc = ws_fail(WS_ENOTFOUND, "action", "no such action (accept, refuse)");
    if (!rc) rc = api_decode(ctx, take_fields, NF(take_fields), &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    rc = handover_take(ctx->conn, &by, id, accept, b.note, b.person_id);
    json_decref(root);
    if (rc) return rc;
    handover h;
    if ((rc = handover_get(ctx->conn, id, &h))) return rc;
    handover_alarm_clear(api_warn(), id, h.unit_id, clock_now_ms()); /* 交接班超时未接, if raised */
    rc = api_reply_json(ctx, 200, handover_json(&h, true));
    handover_clear(&h);
    return rc;
}

/* ---------------------------------------------------- 交接班要求 of a unit */

static ws_err settings_reply(api_ctx *ctx, int status, int64_t unit_id)
{
    handover_settings hs;
    CALLER;
    ws_err rc = handover_settings_get(ctx->conn, &by, unit_id, &hs);
    if (rc) return rc;
    return api_reply_json(ctx, status, json_pack("{s:I, s:b, s:i, s:i, s:s, s:o}", "unit_id", (json_int_t)unit_id,
                                                 "required", hs.required, "wait_min", hs.wait_min, "early_min",
                                                 hs.early_min, "source", hs.stored ? "unit" : "default",
                                                 "updated_at", json_time(hs.updated_at)));
}

static ws_err settings_get(api_ctx *ctx)
{
    int64_t unit_id = 0;
    ws_err rc = api_param_id(ctx, 0, &unit_id);
    return rc ? rc : settings_reply(ctx, 200, unit_id);
}

typedef struct {
    bool required;
    int64_t wait_min, early_min;
} settings_body;
static const json_field settings_fields[] = {
    {"required", JF_BOOL, true, false, offsetof(settings_body, required), 0, 0, 0, -1},
    {"wait_min", JF_INT, true, false, offsetof(settings_body, wait_min), 0, HANDOVER_WAIT_LO, HANDOVER_WAIT_HI, -1},
    {"early_min", JF_INT, true, false, offsetof(settings_body, early_min), 0, 0, HANDOVER_EARLY_HI, -1},
};

static ws_err settings_put(api_ctx *ctx)
{
    int64_t unit_id = 0;
    settings_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &unit_id);
    if (!rc) rc = api_decode(ctx, settings_fields, NF(settings_fields), &b, NULL, &root);
    if (rc) return rc;
    json_decref(root);
    CALLER;
    handover_settings in = {.unit_id = unit_id, .required = b.required, .wait_min = (int)b.wait_min,
                            .early_min = (int)b.early_min};
    rc = handover_settings_put(ctx->conn, &by, &in);
    return rc ? rc : settings_reply(ctx, 200, unit_id);
}

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "plant", body, nbody, 0}
const api_route api_handover_routes[] = {
    R("GET", "/api/v1/units/{id}/handover-draft", draft, "plant.read",
      "What a shift handover (交接班) of the unit would hold now: its window (from the last "
      "accepted handover, the rostered shift, or ?hours=), the alarms raised in it by level, and "
      "what the next shift inherits (open alarms, bypasses, special work, work orders, on duty)",
      NULL, 0),
    R("GET", "/api/v1/units/{id}/handover-settings", settings_get, "plant.read",
      "交接班要求 of a unit: whether it must hand over in the system (交接班未交 then applies), the "
      "minutes before an untaken handover raises 交接班超时未接, and how early a handover counts for "
      "a shift end (source: unit, or default)",
      NULL, 0),
    R("PUT", "/api/v1/units/{id}/handover-settings", settings_put, "plant.write",
      "Set a unit's 交接班要求 (required, wait_min 5-240, early_min 0-480)", settings_fields,
      NF(settings_fields)),
    R("GET", "/api/v1/handovers", list, "plant.read",
      "Shift handover records, newest first (?unit_id= subtree, &state=handed|accepted|refused); "
      "?format=xlsx|csv: the 交接班记录台账 with what each handed on",
      NULL, 0),
    R("POST", "/api/v1/handovers", give, "handover.write",
      "Hand over (交班): the server seals what it reads now with the note; one handover of a unit "
      "waits at a time", give_fields, NF(give_fields)),
    R("GET", "/api/v1/handovers/kpi", kpi, "plant.read",
      "交接班统计 over the last ?days= (30; 1-90), per unit with handovers (?unit_id= subtree): "
      "rostered shift ends and how many had a handover in time, handovers by state, minutes to take "
      "them", NULL, 0),
    R("GET", "/api/v1/handovers/{id}", get_one, "plant.read",
      "One handover with the snapshot sealed at hand-over time", NULL, 0),
    R("POST", "/api/v1/handovers/{id}/actions/{action}", take, "handover.write",
      "Take a handover (接班): accept, or refuse with a note; someone other than who handed it over",
      take_fields, NF(take_fields)),
};
const size_t api_handover_nroutes = sizeof api_handover_routes / sizeof api_handover_routes[0];
