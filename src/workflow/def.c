/* def.c — a workflow definition from JSON to its parsed form, validated
 * strictly, with the statutory guards of the key's profile enforced.
 *
 * What is refused (WS_EINVAL, field = the JSON path such as
 * "actions[3].from[0]", or the guard's id for a guard refusal):
 *   unknown members, wrong types, ids outside [a-z][a-z0-9_]*, duplicates,
 *   dangling state and field names, limits out of range, options that do not
 *   apply to a field's type, an initial or terminal state that is not one,
 *   terminal states with actions out or SLA timers, states the initial state
 *   cannot reach, non-terminal states with no way out, actions nobody may
 *   fire, engine-stamped fields offered as input;
 *   and, for a key with a rule profile (wf_profile_guarded):
 *   1. a guarded state missing, or the initial state being a guarded one;
 *   2. an action into a guarded state without every guard of that state;
 *   3. a terminal state other than the profile's end reachable from the
 *      first guarded state (a rectification that started can only end by
 *      acceptance);
 *   4. a guard that could never pass because the definition never collects
 *      what it reads (accepted_at on the accepting action; a rectification
 *      step that records rectified_at and stamps the rectifier). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "workflow/wf_int.h"

#define PATH_MAX_LEN 96

/* Error paths are built by snprintf into small buffers; a path cut short in
 * an error message is harmless, so the truncation warning is off here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

bool wf_ident_ok(const char *s, size_t max)
{
    if (!s || !(*s >= 'a' && *s <= 'z')) return false;
    size_t n = 0;
    for (; s[n]; n++) {
        char ch = s[n];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
        if (n >= max) return false;
    }
    return true;
}

/* ------------------------------------------------------------- JSON helpers */

static ws_err members_ok(const json_t *o, const char *path, const char *const *allowed)
{
    if (!json_is_object(o)) return ws_fail(WS_EINVAL, path, "%s must be an object", path);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (!strcmp(allowed[i], k)) ok = true;
        if (!ok) {
            char p[PATH_MAX_LEN + 48];
            snprintf(p, sizeof p, "%s.%s", path, k);
            return ws_fail(WS_EINVAL, p, "%s is not a known member", p);
        }
    }
    return WS_OK;
}

/* String member: required or optional (*out NULL when absent). */
static ws_err str_member(const json_t *o, const char *path, const char *name, bool required,
                         size_t max, const char **out)
{
    char p[PATH_MAX_LEN + 48];
    snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", name);
    const json_t *v = json_object_get(o, name);
    *out = NULL;
    if (!v) return required ? ws_fail(WS_EINVAL, p, "%s is required", p) : WS_OK;
    if (!json_is_string(v)) return ws_fail(WS_EINVAL, p, "%s must be a string", p);
    size_t n = json_string_length(v);
    if (n == 0 || n > max) return ws_fail(WS_EINVAL, p, "%s must be 1 to %zu bytes", p, max);
    *out = json_string_value(v);
    return WS_OK;
}

static ws_err ident_member(const json_t *o, const char *path, const char *name, bool required,
                           const char **out)
{
    ws_err rc = str_member(o, path, name, required, WF_ID_MAX, out);
    if (rc || !*out) return rc;
    if (!wf_ident_ok(*out, WF_ID_MAX)) {
        char p[PATH_MAX_LEN + 48];
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", name);
        return ws_fail(WS_EINVAL, p, "%s must match [a-z][a-z0-9_]* (at most %d bytes)", p,
                       WF_ID_MAX);
    }
    return WS_OK;
}

static ws_err int_member(const json_t *o, const char *path, const char *name, int64_t lo,
                         int64_t hi, bool *has, int64_t *out)
{
    char p[PATH_MAX_LEN + 48];
    snprintf(p, sizeof p, "%s.%s", path, name);
    const json_t *v = json_object_get(o, name);
    *has = v != NULL;
    if (!v) return WS_OK;
    if (!json_is_integer(v)) return ws_fail(WS_EINVAL, p, "%s must be an integer", p);
    int64_t i = (int64_t)json_integer_value(v);
    if (i < lo || i > hi)
        return ws_fail(WS_EINVAL, p, "%s must be between %lld and %lld", p, (long long)lo,
                       (long long)hi);
    *out = i;
    return WS_OK;
}

/* An array member of at most max strings, each checked by ident (or a
 * plain string up to 64 bytes when !ident), no duplicates. */
static ws_err list_member(const json_t *o, const char *path, const char *name, size_t max,
                          bool ident, const char **out, int *n)
{
    char p[PATH_MAX_LEN + 48];
    snprintf(p, sizeof p, "%s.%s", path, name);
    const json_t *a = json_object_get(o, name);
    *n = 0;
    if (!a) return WS_OK;
    if (!json_is_array(a)) return ws_fail(WS_EINVAL, p, "%s must be an array", p);
    if (json_array_size(a) > max) return ws_fail(WS_EINVAL, p, "%s has more than %zu items", p, max);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        if (!s || (ident ? !wf_ident_ok(s, WF_ID_MAX) : (!*s || json_string_length(v) > 64)))
            return ws_fail(WS_EINVAL, p, "%s[%zu] must be %s", p, i,
                           ident ? "an id matching [a-z][a-z0-9_]*" : "a string of 1 to 64 bytes");
        for (int k = 0; k < *n; k++)
            if (!strcmp(out[k], s)) return ws_fail(WS_EINVAL, p, "%s lists %s twice", p, s);
        out[(*n)++] = s;
    }
    return WS_OK;
}

static ws_err bool_member(const json_t *o, const char *path, const char *name, bool *out)
{
    const json_t *v = json_object_get(o, name);
    *out = false;
    if (!v) return WS_OK;
    if (!json_is_boolean(v)) return ws_fail(WS_EINVAL, path, "%s.%s must be true or false", path, name);
    *out = json_is_true(v);
    return WS_OK;
}

/* ------------------------------------------------------------ field values */

/* "YYYY-MM-DD" -> days since the epoch, or INT64_MIN. */
static int64_t parse_date(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return INT64_MIN;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return INT64_MIN;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return INT64_MIN;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) return INT64_MIN;
    return clock_days_from_civil(y, m, d);
}

int64_t wf_time_of(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s) return -1;
    int64_t days = parse_date(s);
    if (days != INT64_MIN) return days * 86400000LL - 8 * 3600000LL; /* 00:00 +08:00 */
    int64_t ms;
    if (clock_parse_rfc3339(s, &ms) != 0) return -1;
    return ms;
}

ws_err wf_field_check(const wf_field *f, const json_t *v)
{
    const char *id = f->id;
    if (!v || json_is_null(v)) return ws_fail(WS_EINVAL, id, "%s may not be null", id);
    switch (f->type) {
    case WF_T_STRING:
        if (!json_is_string(v)) return ws_fail(WS_EINVAL, id, "%s must be a string", id);
        if (json_string_length(v) > f->max_len)
            return ws_fail(WS_EINVAL, id, "%s is longer than %zu bytes", id, f->max_len);
        return WS_OK;
    case WF_T_INTEGER: {
        if (!json_is_integer(v)) return ws_fail(WS_EINVAL, id, "%s must be an integer", id);
        int64_t i = (int64_t)json_integer_value(v);
        if (f->has_min && i < f->min)
            return ws_fail(WS_EINVAL, id, "%s must be at least %lld", id, (long long)f->min);
        if (f->has_max && i > f->max)
            return ws_fail(WS_EINVAL, id, "%s must be at most %lld", id, (long long)f->max);
        return WS_OK;
    }
    case WF_T_DATE:
        if (parse_date(json_string_value(v)) == INT64_MIN)
            return ws_fail(WS_EINVAL, id, "%s must be a date such as \"2026-05-31\"", id);
        return WS_OK;
    case WF_T_TIME: {
        int64_t ms;
        const char *s = json_string_value(v);
        if (!s || clock_parse_rfc3339(s, &ms) != 0)
            return ws_fail(WS_EINVAL, id,
                           "%s must be an RFC 3339 time such as \"2026-05-31T08:00:00+08:00\"", id);
        return WS_OK;
    }
    case WF_T_ENUM: {
        const char *s = json_string_value(v);
        if (s) {
            for (size_t i = 0; i < f->ncvalues; i++)
                if (!strcmp(f->cvalues[i], s)) return WS_OK;
            size_t i;
            json_t *e;
            json_array_foreach(f->values, i, e)
                if (!strcmp(json_string_value(e), s)) return WS_OK;
        }
        return ws_fail(WS_EINVAL, id, "%s must be one of the listed values", id);
    }
    case WF_T_BOOLEAN:
        if (!json_is_boolean(v)) return ws_fail(WS_EINVAL, id, "%s must be true or false", id);
        return WS_OK;
    case WF_T_ATTACHMENTS: {
        if (!json_is_array(v)) return ws_fail(WS_EINVAL, id, "%s must be an array of attachment ids", id);
        if (json_array_size(v) > f->max_items)
            return ws_fail(WS_EINVAL, id, "%s holds at most %zu attachments", id, f->max_items);
        size_t i, k;
        json_t *e, *e2;
        json_array_foreach(v, i, e) {
            if (!json_is_integer(e) || json_integer_value(e) < 1)
                return ws_fail(WS_EINVAL, id, "%s[%zu] must be an attachment id", id, i);
            json_array_foreach(v, k, e2)
                if (k < i && json_integer_value(e2) == json_integer_value(e))
                    return ws_fail(WS_EINVAL, id, "%s lists an attachment twice", id);
        }
        return WS_OK;
    }
    case WF_T_PERSON:
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return ws_fail(WS_EINVAL, id, "%s must be a person id", id);
        return WS_OK;
    }
    return ws_fail(WS_EINTERNAL, id, "unknown field type");
}

/* ------------------------------------------------------------------ parse */

static const struct { const char *n; wf_type t; } types[] = {
    {"string", WF_T_STRING}, {"integer", WF_T_INTEGER}, {"date", WF_T_DATE},
    {"time", WF_T_TIME},     {"enum", WF_T_ENUM},       {"boolean", WF_T_BOOLEAN},
    {"attachments", WF_T_ATTACHMENTS}, {"person", WF_T_PERSON},
};

static ws_err parse_field(const json_t *o, const char *path, wf_field *f, const wf_def *d)
{
    static const char *const m[] = {"id", "type", "label", "max_len", "min", "max", "values",
                                    "max_items", NULL};
    ws_err rc = members_ok(o, path, m);
    const char *type = NULL;
    if (!rc) rc = ident_member(o, path, "id", true, &f->id);
    if (!rc) rc = str_member(o, path, "type", true, 16, &type);
    if (!rc) rc = str_member(o, path, "label", false, 200, &f->label);
    if (rc) return rc;
    char p[PATH_MAX_LEN + 16];
    snprintf(p, sizeof p, "%s.id", path);
    if (wf_builtin_field(f->id))
        return ws_fail(WS_EINVAL, p, "%s is a built-in field; choose another id", f->id);
    for (int i = 0; i < d->nfields; i++)
        if (!strcmp(d->fields[i].id, f->id)) return ws_fail(WS_EINVAL, p, "field %s is declared twice", f->id);
    bool known = false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i].n, type)) f->type = types[i].t, known = true;
    snprintf(p, sizeof p, "%s.type", path);
    if (!known)
        return ws_fail(WS_EINVAL, p, "%s must be string, integer, date, time, enum, boolean, "
                       "attachments or person", p);
    /* Options apply to one type each. */
    const struct { const char *n; wf_type t; } opt[] = {
        {"max_len", WF_T_STRING}, {"min", WF_T_INTEGER}, {"max", WF_T_INTEGER},
        {"values", WF_T_ENUM},    {"max_items", WF_T_ATTACHMENTS},
    };
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if (json_object_get(o, opt[i].n) && opt[i].t != f->type) {
            snprintf(p, sizeof p, "%s.%s", path, opt[i].n);
            return ws_fail(WS_EINVAL, p, "%s does not apply to a %s field", opt[i].n, type);
        }
    bool has;
    int64_t v = 0;
    switch (f->type) {
    case WF_T_STRING:
        f->max_len = 500;
        rc = int_member(o, path, "max_len", 1, 20000, &has, &v);
        if (!rc && has) f->max_len = (size_t)v;
        return rc;
    case WF_T_INTEGER:
        rc = int_member(o, path, "min", INT64_MIN, INT64_MAX, &f->has_min, &f->min);
        if (!rc) rc = int_member(o, path, "max", INT64_MIN, INT64_MAX, &f->has_max, &f->max);
        if (!rc && f->has_min && f->has_max && f->min > f->max) {
            snprintf(p, sizeof p, "%s.min", path);
            return ws_fail(WS_EINVAL, p, "%s is above max", p);
        }
        return rc;
    case WF_T_ATTACHMENTS:
        f->max_items = 10;
        rc = int_member(o, path, "max_items", 1, 50, &has, &v);
        if (!rc && has) f->max_items = (size_t)v;
        return rc;
    case WF_T_ENUM: {
        snprintf(p, sizeof p, "%s.values", path);
        const json_t *a = json_object_get(o, "values");
        if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > 50)
            return ws_fail(WS_EINVAL, p, "%s must be an array of 1 to 50 strings", p);
        size_t i, k;
        json_t *e, *e2;
        json_array_foreach(a, i, e) {
            if (!json_is_string(e) || json_string_length(e) < 1 || json_string_length(e) > 100)
                return ws_fail(WS_EINVAL, p, "%s[%zu] must be a string of 1 to 100 bytes", p, i);
            json_array_foreach(a, k, e2)
                if (k < i && !strcmp(json_string_value(e), json_string_value(e2)))
                    return ws_fail(WS_EINVAL, p, "%s lists %s twice", p, json_string_value(e));
        }
        f->values = a;
        return WS_OK;
    }
    default:
        return WS_OK;
    }
}

static ws_err parse_target(const json_t *o, const char *path, wf_target *t, const wf_def *d)
{
    static const char *const m[] = {"kind", "role", "field", NULL};
    const char *kind = NULL, *role = NULL, *field = NULL;
    ws_err rc = members_ok(o, path, m);
    if (!rc) rc = str_member(o, path, "kind", true, 32, &kind);
    if (!rc) rc = str_member(o, path, "role", false, 32, &role);
    if (!rc) rc = ident_member(o, path, "field", false, &field);
    if (rc) return rc;
    char p[PATH_MAX_LEN + 16];
    t->json = o;
    if (!strcmp(kind, "role")) {
        t->kind = WF_TGT_ROLE;
        snprintf(p, sizeof p, "%s.role", path);
        if (!role || !(t->role = wf_role_bit(role)))
            return ws_fail(WS_EINVAL, p, "%s must name a role (admin, manager, safety_officer, "
                           "dept_head, grid_leader, worker, regulator)", p);
        if (field) goto extra;
        return WS_OK;
    }
    if (!strcmp(kind, "unit_leader") || !strcmp(kind, "parent_unit_leader")) {
        t->kind = kind[0] == 'u' ? WF_TGT_UNIT_LEADER : WF_TGT_PARENT_LEADER;
        if (role || field) goto extra;
        return WS_OK;
    }
    if (!strcmp(kind, "person_field")) {
        t->kind = WF_TGT_PERSON_FIELD;
        t->field = field;
        snprintf(p, sizeof p, "%s.field", path);
        const wf_field *f = field ? wf_def_field(d, field) : NULL;
        if (!f || f->type != WF_T_PERSON)
            return ws_fail(WS_EINVAL, p, "%s must name a person field", p);
        if (role) goto extra;
        return WS_OK;
    }
    snprintf(p, sizeof p, "%s.kind", path);
    return ws_fail(WS_EINVAL, p, "%s must be role, unit_leader, parent_unit_leader or person_field", p);
extra:
    return ws_fail(WS_EINVAL, path, "%s has a member its kind does not use", path);
}

static ws_err parse_effect(const json_t *o, const char *path, const wf_def *d)
{
    static const char *const m[] = {"kind", "to", "title", "when", NULL};
    const char *kind = NULL, *title = NULL;
    ws_err rc = members_ok(o, path, m);
    if (!rc) rc = str_member(o, path, "kind", true, 32, &kind);
    if (!rc) rc = str_member(o, path, "title", false, 200, &title);
    if (rc) return rc;
    char p[PATH_MAX_LEN + 16];
    snprintf(p, sizeof p, "%s.kind", path);
    if (strcmp(kind, "notify") && strcmp(kind, "create_task") && strcmp(kind, "open_task_force"))
        return ws_fail(WS_EINVAL, p, "%s must be notify, create_task or open_task_force", p);
    const json_t *to = json_object_get(o, "to");
    snprintf(p, sizeof p, "%s.to", path);
    if (!to && strcmp(kind, "open_task_force"))
        return ws_fail(WS_EINVAL, p, "%s is required for %s", p, kind);
    if (to) {
        wf_target t;
        rc = parse_target(to, p, &t, d);
        if (rc) return rc;
    }
    const json_t *when = json_object_get(o, "when");
    if (when) {
        static const char *const wm[] = {"field", "equals", NULL};
        snprintf(p, sizeof p, "%s.when", path);
        const char *field;
        rc = members_ok(when, p, wm);
        if (!rc) rc = ident_member(when, p, "field", true, &field);
        if (rc) return rc;
        const wf_field *f = wf_def_field(d, field);
        const json_t *eq = json_object_get(when, "equals");
        if (!f) return ws_fail(WS_EINVAL, p, "%s.field names no field", p);
        if (!eq || (!json_is_string(eq) && !json_is_integer(eq) && !json_is_boolean(eq)))
            return ws_fail(WS_EINVAL, p, "%s.equals must be a string, integer or boolean", p);
    }
    return WS_OK;
}

static ws_err parse_state(const json_t *o, const char *path, wf_state *s, const wf_def *d)
{
    static const char *const m[] = {"id", "label", "terminal", "sla", "on_enter", NULL};
    ws_err rc = members_ok(o, path, m);
    if (!rc) rc = ident_member(o, path, "id", true, &s->id);
    if (!rc) rc = str_member(o, path, "label", false, 200, &s->label);
    if (!rc) rc = bool_member(o, path, "terminal", &s->terminal);
    if (rc) return rc;
    char p[PATH_MAX_LEN + 32];
    for (int i = 0; i < d->nstates; i++)
        if (!strcmp(d->states[i].id, s->id)) {
            snprintf(p, sizeof p, "%s.id", path);
            return ws_fail(WS_EINVAL, p, "state %s is declared twice", s->id);
        }
    const json_t *sla = json_object_get(o, "sla");
    if (sla) {
        static const char *const sm[] = {"seconds", "due_field", "every_seconds", "escalate_to", NULL};
        snprintf(p, sizeof p, "%s.sla", path);
        if (s->terminal) return ws_fail(WS_EINVAL, p, "a terminal state has no SLA timer");
        bool has_s, has_e;
        int64_t sec = 0, every = 0;
        rc = members_ok(sla, p, sm);
        if (!rc) rc = int_member(sla, p, "seconds", 60, 366LL * 86400, &has_s, &sec);
        if (!rc) rc = int_member(sla, p, "every_seconds", 60, 366LL * 86400, &has_e, &every);
        if (!rc) rc = ident_member(sla, p, "due_field", false, &s->sla_field);
        if (rc) return rc;
        if (has_s == (s->sla_field != NULL))
            return ws_fail(WS_EINVAL, p, "%s needs exactly one of seconds and due_field", p);
        if (s->sla_field) {
            const wf_field *f = wf_def_field(d, s->sla_field);
            if (!f || (f->type != WF_T_TIME && f->type != WF_T_DATE))
                return ws_fail(WS_EINVAL, p, "%s.due_field must name a time or date field", p);
        }
        s->sla_ms = sec * 1000;
        s->every_ms = has_e ? every * 1000 : has_s ? sec * 1000 : 86400000;
        const json_t *esc = json_object_get(sla, "escalate_to");
        char ep[PATH_MAX_LEN + 48];
        snprintf(ep, sizeof ep, "%s.escalate_to", p);
        if (esc && (!json_is_array(esc) || json_array_size(esc) > WF_MAX_ESC))
            return ws_fail(WS_EINVAL, ep, "%s must be an array of at most %d targets", ep, WF_MAX_ESC);
        size_t i;
        json_t *t;
        json_array_foreach(esc, i, t) {
            char tp[PATH_MAX_LEN + 64];
            snprintf(tp, sizeof tp, "%s[%zu]", ep, i);
            rc = parse_target(t, tp, &s->esc[s->nesc++], d);
            if (rc) return rc;
        }
    }
    const json_t *eff = json_object_get(o, "on_enter");
    if (eff) {
        snprintf(p, sizeof p, "%s.on_enter", path);
        if (!json_is_array(eff) || json_array_size(eff) > WF_MAX_EFFECTS)
            return ws_fail(WS_EINVAL, p, "%s must be an array of at most %d effects", p, WF_MAX_EFFECTS);
        size_t i;
        json_t *e;
        json_array_foreach(eff, i, e) {
            char tp[PATH_MAX_LEN + 64];
            snprintf(tp, sizeof tp, "%s[%zu]", p, i);
            rc = parse_effect(e, tp, d);
            if (rc) return rc;
        }
        s->on_enter = eff;
    }
    return WS_OK;
}

static ws_err parse_allow(const json_t *o, const char *path, wf_allow *a)
{
    static const char *const m[] = {"roles", "posts", "relations", "anyone", NULL};
    const char *roles[8], *rels[8];
    int nroles = 0, nrels = 0;
    ws_err rc = members_ok(o, path, m);
    if (!rc) rc = list_member(o, path, "roles", 7, true, roles, &nroles);
    if (!rc) rc = list_member(o, path, "posts", WF_MAX_LIST, false, a->posts, &a->nposts);
    if (!rc) rc = list_member(o, path, "relations", 6, true, rels, &nrels);
    if (!rc) rc = bool_member(o, path, "anyone", &a->anyone);
    if (rc) return rc;
    char p[PATH_MAX_LEN + 32];
    for (int i = 0; i < nroles; i++) {
        unsigned b = wf_role_bit(roles[i]);
        snprintf(p, sizeof p, "%s.roles", path);
        if (!b) return ws_fail(WS_EINVAL, p, "%s: %s is not a role", p, roles[i]);
        a->roles |= b;
    }
    static const struct { const char *n; unsigned b; } rel[] = {
        {"assignee", WF_REL_ASSIGNEE},       {"reporter", WF_REL_REPORTER},
        {"rectifier", WF_REL_RECTIFIER},     {"responsible", WF_REL_RESPONSIBLE},
        {"not_rectifier", WF_REL_NOT_RECTIFIER}, {"not_reporter", WF_REL_NOT_REPORTER},
    };
    for (int i = 0; i < nrels; i++) {
        unsigned b = 0;
        for (size_t k = 0; k < sizeof rel / sizeof rel[0]; k++)
            if (!strcmp(rel[k].n, rels[i])) b = rel[k].b;
        snprintf(p, sizeof p, "%s.relations", path);
        if (!b)
            return ws_fail(WS_EINVAL, p, "%s: %s is not a relation (assignee, reporter, rectifier, "
                           "responsible, not_rectifier, not_reporter)", p, rels[i]);
        a->relations |= b;
    }
    if (!a->anyone && !a->roles && !a->nposts && !(a->relations & ~WF_REL_NEGATIVE))
        return ws_fail(WS_EINVAL, path, "%s admits nobody: give roles, posts, a relation such as "
                       "assignee, or anyone", path);
    return WS_OK;
}

/* required / optional lists of an action or of start. */
static ws_err parse_inputs(const json_t *o, const char *path, wf_action *a, const wf_def *d)
{
    ws_err rc = list_member(o, path, "required", WF_MAX_LIST, true, a->required, &a->nreq);
    if (!rc) rc = list_member(o, path, "optional", WF_MAX_LIST, true, a->optional, &a->nopt);
    if (rc) return rc;
    char p[PATH_MAX_LEN + 32];
    for (int k = 0; k < a->nreq + a->nopt; k++) {
        bool req = k < a->nreq;
        const char *id = req ? a->required[k] : a->optional[k - a->nreq];
        snprintf(p, sizeof p, "%s.%s", path, req ? "required" : "optional");
        const wf_field *f = wf_def_field(d, id);
        if (!f) return ws_fail(WS_EINVAL, p, "%s: %s is neither a built-in nor a declared field", p, id);
        if (f->engine_only)
            return ws_fail(WS_EINVAL, p, "%s: %s is recorded by the engine, never entered", p, id);
        if (!req)
            for (int r = 0; r < a->nreq; r++)
                if (!strcmp(a->required[r], id))
                    return ws_fail(WS_EINVAL, p, "%s: %s is also required", p, id);
    }
    return WS_OK;
}

static ws_err parse_action(const json_t *o, const char *path, wf_action *a, const wf_def *d)
{
    static const char *const m[] = {"id", "label", "from", "to", "allow", "required", "optional",
                                    "guards", "stamp", NULL};
    ws_err rc = members_ok(o, path, m);
    if (!rc) rc = ident_member(o, path, "id", true, &a->id);
    if (!rc) rc = str_member(o, path, "label", false, 200, &a->label);
    if (!rc) rc = ident_member(o, path, "to", true, &a->to);
    if (!rc) rc = list_member(o, path, "from", WF_MAX_LIST, true, a->from, &a->nfrom);
    if (rc) return rc;
    char p[PATH_MAX_LEN + 32];
    for (int i = 0; i < d->nactions; i++)
        if (!strcmp(d->actions[i].id, a->id)) {
            snprintf(p, sizeof p, "%s.id", path);
            return ws_fail(WS_EINVAL, p, "action %s is declared twice", a->id);
        }
    snprintf(p, sizeof p, "%s.from", path);
    if (!a->nfrom) return ws_fail(WS_EINVAL, p, "%s must list at least one state", p);
    for (int i = 0; i < a->nfrom; i++) {
        const wf_state *s = wf_def_state(d, a->from[i]);
        if (!s) return ws_fail(WS_EINVAL, p, "%s: %s is not a state", p, a->from[i]);
        if (s->terminal) return ws_fail(WS_EINVAL, p, "%s: %s is terminal; nothing leaves it", p, a->from[i]);
    }
    snprintf(p, sizeof p, "%s.to", path);
    if (!wf_def_state(d, a->to)) return ws_fail(WS_EINVAL, p, "%s: %s is not a state", p, a->to);
    snprintf(p, sizeof p, "%s.allow", path);
    const json_t *allow = json_object_get(o, "allow");
    if (!allow) return ws_fail(WS_EINVAL, p, "%s is required", p);
    rc = parse_allow(allow, p, &a->allow);
    if (!rc) rc = parse_inputs(o, path, a, d);
    if (rc) return rc;
    const char *g[WF_G_COUNT + 1];
    int ng = 0;
    rc = list_member(o, path, "guards", WF_G_COUNT, true, g, &ng);
    if (rc) return rc;
    for (int i = 0; i < ng; i++) {
        unsigned b = wf_guard_bit(g[i]);
        snprintf(p, sizeof p, "%s.guards", path);
        if (!b) return ws_fail(WS_EINVAL, p, "%s: %s is not a guard of the rule profile", p, g[i]);
        a->guards |= b;
    }
    rc = list_member(o, path, "stamp", 4, true, a->stamp, &a->nstamp);
    if (rc) return rc;
    for (int i = 0; i < a->nstamp; i++) {
        const wf_field *f = wf_builtin_field(a->stamp[i]);
        snprintf(p, sizeof p, "%s.stamp", path);
        if (!f || !f->engine_only || f->type != WF_T_PERSON || !strcmp(f->id, "reporter_person_id"))
            return ws_fail(WS_EINVAL, p, "%s: %s is not a field the engine stamps with the actor "
                           "(rectifier_person_id, acceptor_person_id)", p, a->stamp[i]);
    }
    return WS_OK;
}

const wf_state *wf_def_state(const wf_def *d, const char *id)
{
    for (int i = 0; id && i < d->nstates; i++)
        if (!strcmp(d->states[i].id, id)) return &d->states[i];
    return NULL;
}

const wf_action *wf_def_action(const wf_def *d, const char *id)
{
    for (int i = 0; id && i < d->nactions; i++)
        if (!strcmp(d->actions[i].id, id)) return &d->actions[i];
    return NULL;
}

static int state_index(const wf_def *d, const char *id)
{
    for (int i = 0; i < d->nstates; i++)
        if (!strcmp(d->states[i].id, id)) return i;
    return -1;
}

/* States reachable from state index from (inclusive) into seen[]. */
static void reach(const wf_def *d, int from, bool *seen)
{
    int queue[WF_MAX_STATES], qn = 0;
    seen[from] = true;
    queue[qn++] = from;
    for (int h = 0; h < qn; h++) {
        const char *sid = d->states[queue[h]].id;
        for (int a = 0; a < d->nactions; a++) {
            const wf_action *ac = &d->actions[a];
            for (int f = 0; f < ac->nfrom; f++)
                if (!strcmp(ac->from[f], sid)) {
                    int t = state_index(d, ac->to);
                    if (t >= 0 && !seen[t]) {
                        seen[t] = true;
                        queue[qn++] = t;
                    }
                }
        }
    }
}

static unsigned lowest_bit(unsigned v) { return v & -v; }

/* The statutory locks of key's profile (see the file comment). */
static ws_err check_profile(const wf_def *d)
{
    const wf_guarded_state *gs;
    int ng = wf_profile_guarded(d->key, &gs);
    if (!ng) return WS_OK;
    for (int g = 0; g < ng; g++) {
        const char *gid = wf_guard_id(lowest_bit(gs[g].guards));
        const wf_state *s = wf_def_state(d, gs[g].state);
        if (!s)
            return ws_fail(WS_EINVAL, gid, "statutory guard %s is locked: the %s lifecycle must "
                           "keep the state %s that it guards", gid, d->key, gs[g].state);
        if (!strcmp(d->initial, gs[g].state))
            return ws_fail(WS_EINVAL, gid, "statutory guard %s is locked: instances may not start "
                           "in %s, which would skip it", gid, gs[g].state);
        if (g == ng - 1 && !s->terminal)
            return ws_fail(WS_EINVAL, gid, "statutory guard %s is locked: %s must stay terminal",
                           gid, gs[g].state);
        for (int a = 0; a < d->nactions; a++) {
            const wf_action *ac = &d->actions[a];
            if (strcmp(ac->to, gs[g].state)) continue;
            unsigned missing = gs[g].guards & ~ac->guards;
            if (missing) {
                unsigned b = lowest_bit(missing);
                return ws_fail(WS_EINVAL, wf_guard_id(b),
                               "statutory guard %s (%s) is locked: action %s enters %s without it",
                               wf_guard_id(b), wf_guard_title(b), ac->id, gs[g].state);
            }
        }
    }
    /* Once rectification started, the only end is the guarded one. */
    bool seen[WF_MAX_STATES] = {false};
    reach(d, state_index(d, gs[0].state), seen);
    const char *end = gs[ng - 1].state;
    const char *endg = wf_guard_id(lowest_bit(gs[ng - 1].guards));
    for (int i = 0; i < d->nstates; i++)
        if (seen[i] && d->states[i].terminal && strcmp(d->states[i].id, end))
            return ws_fail(WS_EINVAL, endg,
                           "statutory guard %s is locked: terminal state %s can be reached from %s "
                           "without passing %s", endg, d->states[i].id, gs[0].state, end);
    /* Guards that could never pass fail closed at run time; refuse them now. */
    bool stamps_rectifier = false;
    for (int a = 0; a < d->nactions; a++) {
        const wf_action *ac = &d->actions[a];
        for (int k = 0; k < ac->nstamp; k++)
            if (!strcmp(ac->stamp[k], "rectifier_person_id")) {
                bool has_time = false;
                for (int r = 0; r < ac->nreq; r++)
                    if (!strcmp(ac->required[r], "rectified_at")) has_time = true;
                if (!has_time)
                    return ws_fail(WS_EINVAL, "acceptance_after_rectification",
                                   "acceptance_after_rectification: action %s stamps the rectifier, "
                                   "so it must require rectified_at", ac->id);
                stamps_rectifier = true;
            }
        if (ac->guards & WF_G_ACCEPTANCE_AFTER_RECTIFICATION) {
            bool has = false;
            for (int r = 0; r < ac->nreq; r++)
                if (!strcmp(ac->required[r], "accepted_at")) has = true;
            if (!has)
                return ws_fail(WS_EINVAL, "acceptance_after_rectification",
                               "acceptance_after_rectification: action %s must require accepted_at",
                               ac->id);
        }
    }
    if (!stamps_rectifier)
        return ws_fail(WS_EINVAL, "acceptor_not_rectifier",
                       "statutory guard acceptor_not_rectifier is locked: some action (the "
                       "rectification) must stamp rectifier_person_id");
    return WS_OK;
}

void wf_def_free(wf_def *d)
{
    if (!d) return;
    json_decref(d->doc);
    free(d);
}

ws_err wf_def_parse(const char *key, const json_t *doc, wf_def **out)
{
    static const char *const m[] = {"name", "description", "initial", "states", "actions",
                                    "fields", "start", NULL};
    *out = NULL;
    if (!wf_ident_ok(key, WF_KEY_MAX))
        return ws_fail(WS_ENOTFOUND, "key", "a workflow key matches [a-z][a-z0-9_]*");
    wf_def *d = calloc(1, sizeof *d);
    if (!d) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    snprintf(d->key, sizeof d->key, "%s", key);
    d->doc = json_incref((json_t *)doc);
    const char *desc;
    ws_err rc = members_ok(doc, "definition", m);
    if (!rc) rc = str_member(doc, "", "name", true, 200, &d->name);
    if (!rc) rc = str_member(doc, "", "description", false, 2000, &desc);
    if (!rc) rc = ident_member(doc, "", "initial", true, &d->initial);
    if (rc) goto fail;
    char p[PATH_MAX_LEN];
    const json_t *a = json_object_get(doc, "fields");
    size_t i;
    json_t *v;
    if (a && (!json_is_array(a) || json_array_size(a) > WF_MAX_FIELDS)) {
        rc = ws_fail(WS_EINVAL, "fields", "fields must be an array of at most %d fields", WF_MAX_FIELDS);
        goto fail;
    }
    json_array_foreach(a, i, v) {
        snprintf(p, sizeof p, "fields[%zu]", i);
        rc = parse_field(v, p, &d->fields[d->nfields], d);
        if (rc) goto fail;
        d->nfields++;
    }
    a = json_object_get(doc, "states");
    if (!json_is_array(a) || json_array_size(a) < 2 || json_array_size(a) > WF_MAX_STATES) {
        rc = ws_fail(WS_EINVAL, "states", "states must be an array of 2 to %d states", WF_MAX_STATES);
        goto fail;
    }
    json_array_foreach(a, i, v) {
        snprintf(p, sizeof p, "states[%zu]", i);
        rc = parse_state(v, p, &d->states[d->nstates], d);
        if (rc) goto fail;
        d->nstates++;
    }
    a = json_object_get(doc, "actions");
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > WF_MAX_ACTIONS) {
        rc = ws_fail(WS_EINVAL, "actions", "actions must be an array of 1 to %d actions", WF_MAX_ACTIONS);
        goto fail;
    }
    json_array_foreach(a, i, v) {
        snprintf(p, sizeof p, "actions[%zu]", i);
        rc = parse_action(v, p, &d->actions[d->nactions], d);
        if (rc) goto fail;
        d->nactions++;
    }
    const json_t *start = json_object_get(doc, "start");
    d->start.allow.anyone = true;
    if (start) {
        static const char *const sm[] = {"allow", "required", "optional", NULL};
        rc = members_ok(start, "start", sm);
        if (!rc) rc = parse_inputs(start, "start", &d->start, d);
        const json_t *allow = json_object_get(start, "allow");
        if (!rc && allow) {
            memset(&d->start.allow, 0, sizeof d->start.allow);
            rc = parse_allow(allow, "start.allow", &d->start.allow);
        }
        if (rc) goto fail;
    }
    /* The graph. */
    const wf_state *init = wf_def_state(d, d->initial);
    if (!init || init->terminal) {
        rc = ws_fail(WS_EINVAL, "initial", "initial must name a state that is not terminal");
        goto fail;
    }
    /* The statutory locks first: their refusal names the guard. */
    rc = check_profile(d);
    if (rc) goto fail;
    bool seen[WF_MAX_STATES] = {false}, any_terminal = false;
    reach(d, state_index(d, d->initial), seen);
    for (int s = 0; s < d->nstates; s++) {
        const wf_state *st = &d->states[s];
        snprintf(p, sizeof p, "states[%d]", s);
        if (!seen[s]) {
            rc = ws_fail(WS_EINVAL, p, "state %s cannot be reached from %s", st->id, d->initial);
            goto fail;
        }
        any_terminal |= st->terminal;
        bool leaves = false;
        for (int k = 0; k < d->nactions && !leaves; k++)
            for (int f = 0; f < d->actions[k].nfrom; f++)
                if (!strcmp(d->actions[k].from[f], st->id)) leaves = true;
        if (!st->terminal && !leaves) {
            rc = ws_fail(WS_EINVAL, p, "state %s is not terminal but no action leaves it", st->id);
            goto fail;
        }
    }
    if (!any_terminal) {
        rc = ws_fail(WS_EINVAL, "states", "at least one state must be terminal");
        goto fail;
    }
    *out = d;
    return WS_OK;
fail:
    wf_def_free(d);
    return rc;
}
