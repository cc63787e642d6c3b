/* incident.c — the minimal incident record (事故/事件): what, where, when,
 * how severe, and who was affected. A serious one (serious, major,
 * critical) forms its task force in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "store/q_taskforce.h"
#include "taskforce/taskforce.h"

static const char *const severities[] = {"minor", "serious", "major", "critical", NULL};

static ws_err text(const json_t *body, const char *name, size_t max, bool required, const char **out)
{
    const json_t *v = json_object_get(body, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) return ws_fail(WS_EINVAL, name, "%s is required", name);
        return WS_OK;
    }
    const char *s = json_string_value(v);
    if (!s) return ws_fail(WS_EINVAL, name, "%s is text", name);
    size_t n = strlen(s);
    if (n > max) return ws_fail(WS_EINVAL, name, "%s is longer than %zu bytes", name, max);
    if (!org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, name, "%s is not valid UTF-8", name);
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')
            return ws_fail(WS_EINVAL, name, "%s must not contain control characters", name);
        if (ch > ' ') blank = false;
    }
    if (required && blank) return ws_fail(WS_EINVAL, name, "%s must not be empty", name);
    *out = s;
    return WS_OK;
}

static ws_err count(const json_t *body, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(body, name);
    *out = 0;
    if (!v) return WS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000)
        return ws_fail(WS_EINVAL, name, "%s is a count, 0 or more", name);
    *out = json_integer_value(v);
    return WS_OK;
}

ws_err incident_report(store_conn *c, const org_caller *by, const json_t *body, int64_t *id)
{
    if (!json_is_object(body)) return ws_fail(WS_EINVAL, "body", "the body must be a JSON object");
    static const char *const known[] = {"unit_id", "title", "description", "occurred_at", "severity",
                                        "people_affected", "injuries", "fatalities", NULL};
    ws_err rc = json_known_keys(body, NULL, known);
    const char *title, *desc, *sev = json_string_value(json_object_get(body, "severity"));
    int64_t affected, injuries, fatalities, occurred = 0, unit_id = 0;
    if (!rc) rc = json_opt_id(body, "unit_id", "unit_id", &unit_id);
    if (!rc) rc = text(body, "title", TF_TITLE_MAX, true, &title);
    if (!rc) rc = text(body, "description", TF_TEXT_MAX, false, &desc);
    if (!rc) rc = count(body, "people_affected", &affected);
    if (!rc) rc = count(body, "injuries", &injuries);
    if (!rc) rc = count(body, "fatalities", &fatalities);
    if (rc) return rc;
    bool sev_ok = false;
    for (int i = 0; sev && severities[i]; i++) sev_ok |= !strcmp(sev, severities[i]);
    if (!sev_ok) return ws_fail(WS_EINVAL, "severity", "severity is minor, serious, major or critical");
    const json_t *ov = json_object_get(body, "occurred_at");
    if (!ov || !json_is_string(ov) || clock_parse_rfc3339(json_string_value(ov), &occurred))
        return ws_fail(WS_EINVAL, "occurred_at", "occurred_at is the time it happened (RFC 3339)");
    int64_t now = clock_now_ms();
    if (occurred > now + 60000) return ws_fail(WS_EINVAL, "occurred_at", "occurred_at lies in the future");
    org_unit u;
    rc = unit_id > 0 ? org_unit_get(c, unit_id, &u) : ws_fail(WS_EINVAL, "unit_id", "unit_id is required (where)");
    if (rc == WS_ENOTFOUND) return ws_fail(WS_EINVAL, "unit_id", "no such unit (unit_id)");
    if (!rc && by && by->subject) {
        auth_resource r = {0};
        r.unit_path = u.path;
        rc = auth_decide(by->subject, "incident.write", &r);
        if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit (unit_id)");
    }
    if (rc) return rc;
    if (!u.enterprise_id) return ws_fail(WS_EINVAL, "unit_id", "an incident happens in a unit of an enterprise");
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    static const audit_actor sys = {"system"};
    const audit_actor *who = by && by->actor ? by->actor : &sys;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_INCIDENT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, u.id);
    if (!rc) rc = store_bind_text(st, 2, title);
    if (!rc) rc = store_bind_opt_text(st, 3, desc);
    if (!rc) rc = store_bind_int(st, 4, occurred);
    if (!rc) rc = store_bind_text(st, 5, sev);
    if (!rc) rc = store_bind_int(st, 6, affected);
    if (!rc) rc = store_bind_int(st, 7, injuries);
    if (!rc) rc = store_bind_int(st, 8, fatalities);
    if (!rc) rc = store_bind_text(st, 9, who->name);
    if (!rc) rc = store_bind_opt_int(st, 10, by && by->subject ? by->subject->person_id : 0);
    if (!rc) rc = store_bind_int(st, 11, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &TF_ENTITY_INCIDENT, *id, "report", NULL);
    if (!rc && strcmp(sev, "minor")) {
        char t[TF_TITLE_MAX + 1];
        snprintf(t, sizeof t, "事故处置组：%.160s", title);
        taskforce_source src = {.kind = "incident", .id = *id, .trigger = "serious_incident", .unit_id = u.id,
                                .title = t};
        int64_t fid = 0;
        rc = taskforce_form(c, NULL, &src, &fid, NULL);
    }
    return store_tx_finish(c, own, rc);
}

static json_t *incident_row(store_stmt *st)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:o, s:s, s:I, s:I, s:I, s:s, s:o, s:s, s:o, s:s}", "id",
                     (json_int_t)store_col_int(st, 0), "unit_id", (json_int_t)store_col_int(st, 1), "title",
                     store_col_text(st, 2), "description", json_str(store_col_text(st, 3)), "occurred_at",
                     json_time(store_col_int(st, 4)), "severity", store_col_text(st, 5), "people_affected",
                     (json_int_t)store_col_int(st, 6), "injuries", (json_int_t)store_col_int(st, 7), "fatalities",
                     (json_int_t)store_col_int(st, 8), "reported_by", store_col_text(st, 9), "reporter_person_id",
                     json_id(store_col_opt_int(st, 10)), "state", store_col_text(st, 11), "created_at",
                     json_time(store_col_int(st, 12)), "unit_path", store_col_text(st, 14));
}

ws_err incident_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = NULL;
    ws_err rc = store_prepare(c, Q_INCIDENT_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *out = incident_row(st);
    store_finalize(st);
    if (!rc && !*out) rc = ws_fail(WS_ENOTFOUND, "id", "no such incident");
    if (!rc && s) {
        auth_resource r = {0};
        r.unit_path = json_string_value(json_object_get(*out, "unit_path"));
        rc = auth_decide(s, "taskforce.read", &r);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such incident");
    }
    if (!rc) {
        /* its task force, when one formed */
        st = NULL;
        rc = store_prepare(c, Q_TF_BY_SOURCE, &st);
        if (!rc) rc = store_bind_text(st, 1, "incident");
        if (!rc) rc = store_bind_int(st, 2, id);
        if (!rc) rc = store_step(st, &row);
        if (!rc) json_object_set_new(*out, "task_force_id", row ? json_integer(store_col_int(st, 0)) : json_null());
        store_finalize(st);
    }
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

ws_err incident_list(store_conn *c, const char *scope_path, int64_t unit_id, int limit, int64_t cursor,
                     json_t **items, int64_t *next)
{
    if (limit < 1 || limit > 200) limit = 50;
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    *next = 0;
    ws_err rc = store_prepare(c, Q_INCIDENT_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, scope_path ? scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, unit_id);
    if (!rc) rc = store_bind_int(st, 3, cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    int k = 0;
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (k++ == limit) {
            *next = json_integer_value(json_object_get(json_array_get(*items, (size_t)limit - 1), "id"));
            break;
        }
        json_array_append_new(*items, incident_row(st));
    }
    store_finalize(st);
    return rc;
}
