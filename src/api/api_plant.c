/* api_plant.c — the plant registers over REST (docs/internals/plant.md):
 *
 *   GET/POST /api/v1/shifts ?unit_id=&active=          GET/PATCH /api/v1/shifts/{id}
 *   GET/POST /api/v1/roster-entries ?unit_id=&role=&from=&to=&person_id=&shift_id=
 *            (POST {"entries":[{shift_id, day, person_id, role}, ...]}: a week, all or nothing)
 *                                                      GET/DELETE /api/v1/roster-entries/{id}
 *   GET      /api/v1/units/{id}/on-duty ?role=&at=     who is on duty (walks up the tree)
 *   GET/POST /api/v1/crews ?unit_id=&active=           GET/PATCH /api/v1/crews/{id}
 *            POST /api/v1/crews/{id}/actions/schedule {shift_id, days}: 按班组排班
 *   GET/POST /api/v1/equipment ?unit_id=&kind=&status=&device_id=&q=
 *                                                      GET/PATCH /api/v1/equipment/{id}
 *   GET/POST /api/v1/work-orders ?unit_id=&state=&kind=&equipment_id=&device_id=&assignee=&source=
 *            GET/PATCH /api/v1/work-orders/{id}, POST /api/v1/work-orders/{id}/actions/{start|done|cancel}
 *   GET/POST /api/v1/bypasses ?unit_id=&state=&point_id=&equipment_id=   GET /api/v1/bypasses/{id}
 *            POST /api/v1/bypasses/{id}/actions/{approve|activate|restore|extend|cancel}
 *
 * Permissions: plant.read (every role in its scope), plant.write (admin,
 * manager, safety officer, department head), bypass.approve (admin,
 * manager, safety officer; never the requester) on the row's unit path;
 * outside the scope 404. Times RFC 3339; days YYYY-MM-DD in the unit's zone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "plant/plant.h"

static org_caller caller(api_ctx *ctx, audit_actor *a, char *name, size_t cap)
{
    a->name = api_actor(ctx, name, cap);
    org_caller by = {a, &ctx->who};
    return by;
}

#define CALLER                                   \
    char actor_name_[32];                        \
    audit_actor actor_;                          \
    org_caller by = caller(ctx, &actor_, actor_name_, sizeof actor_name_)

/* A read check of a row's unit path: WS_ENOTFOUND outside the scope. */
static ws_err can_read(api_ctx *ctx, ws_err rc, const char *path, const char *what)
{
    if (!rc) {
        auth_resource r = {0};
        r.unit_path = path;
        rc = auth_decide(&ctx->who, "plant.read", &r);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such %s", what);
    return rc;
}

static ws_err filter_of(api_ctx *ctx, plant_filter *f)
{
    memset(f, 0, sizeof *f);
    f->scope_path = ctx->who.scope_path;
    f->active = -1;
    ws_err rc = api_page(ctx, &f->limit, &f->cursor);
    if (!rc) rc = api_query_id(ctx, "unit_id", &f->unit_id);
    if (!rc) rc = api_query_bool(ctx, "active", &f->active);
    if (!rc) rc = api_query_id(ctx, "equipment_id", &f->equipment_id);
    if (!rc) rc = api_query_id(ctx, "device_id", &f->device_id);
    if (!rc) rc = api_query_id(ctx, "point_id", &f->point_id);
    if (!rc) rc = api_query_id(ctx, "shift_id", &f->shift_id);
    if (!rc) rc = api_query_id(ctx, "person_id", &f->person_id);
    f->state = api_query(ctx, "state");
    f->kind = api_query(ctx, "kind");
    f->status = api_query(ctx, "status");
    f->role = api_query(ctx, "role");
    f->from = api_query(ctx, "from");
    f->to = api_query(ctx, "to");
    f->source_kind = api_query(ctx, "source");
    f->q = api_query(ctx, "q");
    const char *const texts[] = {f->state, f->kind, f->status, f->role, f->from, f->to, f->source_kind, f->q};
    static const char *const names[] = {"state", "kind", "status", "role", "from", "to", "source", "q"};
    for (size_t i = 0; !rc && i < sizeof names / sizeof names[0]; i++)
        if (texts[i] && strlen(texts[i]) > 100)
            rc = ws_fail(WS_EINVAL, names[i], "%s is longer than 100 bytes", names[i]);
    int64_t day;
    if (!rc && f->from && !plant_date_parse(f->from, &day))
        rc = ws_fail(WS_EINVAL, "from", "from is a date YYYY-MM-DD");
    if (!rc && f->to && !plant_date_parse(f->to, &day)) rc = ws_fail(WS_EINVAL, "to", "to is a date YYYY-MM-DD");
    return rc;
}

#define LIST(fn, type, list_fn, json_fn)                                           \
    static ws_err fn(api_ctx *ctx)                                                 \
    {                                                                              \
        plant_filter f;                                                            \
        ws_err rc = filter_of(ctx, &f);                                            \
        type *items = NULL;                                                        \
        size_t n = 0;                                                              \
        int64_t next = 0;                                                          \
        if (!rc) rc = list_fn(ctx->conn, &f, &items, &n, &next);                   \
        if (rc) return rc;                                                         \
        json_t *a = json_array();                                                  \
        for (size_t i = 0; i < n; i++) json_array_append_new(a, json_fn(&items[i])); \
        free(items);                                                               \
        return api_reply_json(ctx, 200, api_page_json(a, next));                   \
    }

#define GET_ONE(fn, type, get_fn, json_fn, what)                                   \
    static ws_err fn(api_ctx *ctx)                                                 \
    {                                                                              \
        type x;                                                                    \
        int64_t id;                                                                \
        ws_err rc = api_param_id(ctx, 0, &id);                                     \
        if (!rc) rc = get_fn(ctx->conn, id, &x);                                   \
        rc = can_read(ctx, rc, x.unit_path, what);                                 \
        if (rc) return rc;                                                         \
        return api_reply_json(ctx, 200, json_fn(&x));                              \
    }

/* The row (get_fn) readable by the caller, before a write. */
#define READABLE(get_fn, type, what)                                               \
    type x_;                                                                       \
    int64_t id;                                                                    \
    ws_err rc = api_param_id(ctx, 0, &id);                                         \
    if (!rc) rc = get_fn(ctx->conn, id, &x_);                                      \
    rc = can_read(ctx, rc, x_.unit_path, what);                                    \
    if (rc) return rc

/* ----------------------------------------------------------------- shifts */

static json_t *shift_json(const plant_shift *s)
{
    char hm[8];
    snprintf(hm, sizeof hm, "%02d:%02d", (s->start_min / 60) % 24, s->start_min % 60);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(s->id));
    json_object_set_new(o, "unit_id", json_id(s->unit_id));
    json_object_set_new(o, "name", json_str(s->name));
    json_object_set_new(o, "start", json_str(hm));
    json_object_set_new(o, "length_min", json_integer(s->length_min));
    json_object_set_new(o, "active", json_boolean(s->active));
    json_object_set_new(o, "created_at", json_time(s->created_at));
    json_object_set_new(o, "updated_at", json_time(s->updated_at));
    return o;
}

typedef struct {
    const char *name, *start;
    int64_t length_min;
    bool active;
    int64_t unit_id;
} shift_body;

static const json_field shift_patch_fields[] = {
    {"name", JF_STRING, false, false, offsetof(shift_body, name), PLANT_SHIFT_NAME_MAX, 0, 0, -1},
    {"start", JF_STRING, false, false, offsetof(shift_body, start), 5, 0, 0, -1},
    {"length_min", JF_INT, false, false, offsetof(shift_body, length_min), 0, 1, 1440, -1},
    {"active", JF_BOOL, false, false, offsetof(shift_body, active), 0, 0, 0, -1},
};
static const json_field shift_fields[] = {
    {"name", JF_STRING, true, false, offsetof(shift_body, name), PLANT_SHIFT_NAME_MAX, 0, 0, -1},
    {"start", JF_STRING, true, false, offsetof(shift_body, start), 5, 0, 0, -1},
    {"length_min", JF_INT, true, false, offsetof(shift_body, length_min), 0, 1, 1440, -1},
    {"unit_id", JF_ID, true, false, offsetof(shift_body, unit_id), 0, 0, 0, -1},
};
#define NF(a) (sizeof a / sizeof a[0])

static ws_err reply_shift(api_ctx *ctx, int status, int64_t id)
{
    plant_shift s;
    ws_err rc = plant_shift_get(ctx->conn, id, &s);
    return rc ? rc : api_reply_json(ctx, status, shift_json(&s));
}

LIST(shifts_list, plant_shift, plant_shift_list, shift_json)
GET_ONE(shifts_get, plant_shift, plant_shift_get, shift_json, "shift")

static ws_err shifts_create(api_ctx *ctx)
{
    shift_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, shift_fields, NF(shift_fields), &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    plant_shift_in in = {.unit_id = b.unit_id, .name = b.name, .start = b.start,
                         .length_min = b.length_min};
    int64_t id = 0;
    rc = plant_shift_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    return rc ? rc : reply_shift(ctx, 201, id);
}

static ws_err shifts_patch(api_ctx *ctx)
{
    READABLE(plant_shift_get, plant_shift, "shift");
    shift_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, shift_patch_fields, NF(shift_patch_fields), &b, &present, &root);
    if (rc) return rc;
    CALLER;
    plant_shift_in in = {.set = (unsigned)present, .name = b.name, .start = b.start,
                         .length_min = b.length_min, .active = b.active};
    rc = plant_shift_update(ctx->conn, &by, id, &in);
    json_decref(root);
    return rc ? rc : reply_shift(ctx, 200, id);
}

/* ----------------------------------------------------------------- roster */

static json_t *roster_json(const plant_roster *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(r->id));
    json_object_set_new(o, "unit_id", json_id(r->unit_id));
    json_object_set_new(o, "day", json_str(r->day));
    json_object_set_new(o, "shift_id", json_id(r->shift_id));
    json_object_set_new(o, "shift_name", json_str(r->shift_name));
    json_object_set_new(o, "person_id", json_id(r->person_id));
    json_object_set_new(o, "person_name", json_str(r->person_name));
    json_object_set_new(o, "person_active", json_boolean(r->person_active));
    json_object_set_new(o, "role", json_str(r->role));
    json_object_set_new(o, "crew_id", r->crew_id ? json_id(r->crew_id) : json_null());
    json_object_set_new(o, "crew_name", r->crew_id ? json_str(r->crew_name) : json_null());
    json_object_set_new(o, "created_at", json_time(r->created_at));
    return o;
}

LIST(roster_list, plant_roster, plant_roster_list, roster_json)

/* The caller's own shifts, now and in the next 36 hours (a person's own
 * duties: no scope applies). */
static ws_err my_shifts(api_ctx *ctx)
{
    plant_my_shift m[PLANT_MY_SHIFTS_MAX];
    size_t n = 0;
    int64_t now = clock_now_ms();
    ws_err rc = ctx->who.person_id > 0 ? plant_shifts_of(ctx->conn, ctx->who.person_id, now, m, &n) : WS_OK;
    if (rc) return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = roster_json(&m[i].r);
        json_object_set_new(o, "start", json_time(m[i].from_ms));
        json_object_set_new(o, "end", json_time(m[i].to_ms));
        json_object_set_new(o, "now", json_boolean(m[i].from_ms <= now && now < m[i].to_ms));
        json_array_append_new(items, o);
    }
    return api_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}
GET_ONE(roster_get, plant_roster, plant_roster_get, roster_json, "roster entry")

typedef struct {
    json_t *entries;
} roster_body;
static const json_field roster_fields[] = {
    {"entries", JF_ARRAY, true, false, offsetof(roster_body, entries), PLANT_ROSTER_BATCH_MAX, 0, 0, -1},
};

static ws_err roster_create(api_ctx *ctx)
{
    roster_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, roster_fields, NF(roster_fields), &b, NULL, &root);
    if (rc) return rc;
    size_t n = json_array_size(b.entries);
    plant_roster_in *in = calloc(n ? n : 1, sizeof *in);
    int64_t *ids = calloc(n ? n : 1, sizeof *ids);
    if (!in || !ids) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *e = json_array_get(b.entries, i);
        char f[40];
        json_t *sid = json_object_get(e, "shift_id"), *pid = json_object_get(e, "person_id");
        json_t *day = json_object_get(e, "day"), *role = json_object_get(e, "role");
        json_t *crew = json_object_get(e, "crew_id");
        if (!json_is_object(e)) {
            snprintf(f, sizeof f, "entries[%zu]", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be an object", f);
        } else if (!json_is_integer(sid) || json_integer_value(sid) < 1) {
            snprintf(f, sizeof f, "entries[%zu].shift_id", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be an id", f);
        } else if (!json_is_integer(pid) || json_integer_value(pid) < 1) {
            snprintf(f, sizeof f, "entries[%zu].person_id", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be an id", f);
        } else if (!json_is_string(day)) {
            snprintf(f, sizeof f, "entries[%zu].day", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be a date YYYY-MM-DD", f);
        } else if (!json_is_string(role)) {
            snprintf(f, sizeof f, "entries[%zu].role", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be operator, grid_leader, safety_officer or manager", f);
        } else if (crew && !json_is_null(crew) && (!json_is_integer(crew) || json_integer_value(crew) < 1)) {
            snprintf(f, sizeof f, "entries[%zu].crew_id", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be an id or null", f);
        } else {
            in[i] = (plant_roster_in){json_integer_value(sid), json_integer_value(pid),
                                      json_string_value(day), json_string_value(role),
                                      json_is_integer(crew) ? json_integer_value(crew) : 0};
        }
    }
    if (!rc) {
        CALLER;
        rc = plant_roster_add(ctx->conn, &by, in, n, ids);
    }
    json_t *a = rc ? NULL : json_array();
    for (size_t i = 0; !rc && i < n; i++) {
        plant_roster r;
        rc = plant_roster_get(ctx->conn, ids[i], &r);
        if (!rc) json_array_append_new(a, roster_json(&r));
    }
    free(in);
    free(ids);
    json_decref(root);
    if (rc) {
        json_decref(a);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "items", a);
    return api_reply_json(ctx, 201, o);
}

static ws_err roster_delete(api_ctx *ctx)
{
    READABLE(plant_roster_get, plant_roster, "roster entry");
    CALLER;
    rc = plant_roster_delete(ctx->conn, &by, id);
    if (rc) return rc;
    return api_reply_json(ctx, 200, json_object());
}

/* ------------------------------------------------------------------ crews */

static json_t *crew_json(const plant_crew *cr)
{
    json_t *o = json_object(), *m = json_array();
    json_object_set_new(o, "id", json_id(cr->id));
    json_object_set_new(o, "unit_id", json_id(cr->unit_id));
    json_object_set_new(o, "name", json_str(cr->name));
    for (size_t i = 0; i < cr->nmembers; i++)
        json_array_append_new(m, json_pack("{s:o,s:s,s:s,s:b}", "person_id", json_id(cr->members[i].person_id),
                                           "person_name", cr->members[i].name, "role", cr->members[i].role,
                                           "active", cr->members[i].active));
    json_object_set_new(o, "members", m);
    json_object_set_new(o, "active", json_boolean(cr->active));
    json_object_set_new(o, "created_at", json_time(cr->created_at));
    json_object_set_new(o, "updated_at", json_time(cr->updated_at));
    return o;
}

LIST(crews_list, plant_crew, plant_crew_list, crew_json)

/* The crew struct is large (its members): on the heap. */
static ws_err reply_crew(api_ctx *ctx, ws_err rc, int status, int64_t id, bool check_read)
{
    plant_crew *cr = rc ? NULL : malloc(sizeof *cr);
    if (!rc && !cr) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) rc = plant_crew_get(ctx->conn, id, cr);
    if (check_read) rc = can_read(ctx, rc, cr ? cr->unit_path : "", "crew");
    json_t *o = rc ? NULL : crew_json(cr);
    free(cr);
    return rc ? rc : api_reply_json(ctx, status, o);
}

static ws_err crews_get(api_ctx *ctx)
{
    int64_t id = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    return reply_crew(ctx, rc, 200, id, true);
}

typedef struct {
    int64_t unit_id;
    const char *name;
    json_t *members;
    bool active;
} crew_body;
static const json_field crew_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(crew_body, unit_id), 0, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(crew_body, name), PLANT_SHIFT_NAME_MAX, 0, 0, -1},
    {"members", JF_ARRAY, true, false, offsetof(crew_body, members), PLANT_CREW_MAX, 0, 0, -1},
};
static const json_field crew_patch_fields[] = {
    {"name", JF_STRING, false, false, offsetof(crew_body, name), PLANT_SHIFT_NAME_MAX, 0, 0, -1},
    {"members", JF_ARRAY, false, false, offsetof(crew_body, members), PLANT_CREW_MAX, 0, 0, -1},
    {"active", JF_BOOL, false, false, offsetof(crew_body, active), 0, 0, 0, -1},
};

/* members [{person_id, role}] into ids and roles (borrowed from the body). */
static ws_err crew_members(json_t *a, int64_t *ids, const char **roles, size_t *n)
{
    *n = json_array_size(a);
    if (*n < 1) return ws_fail(WS_EINVAL, "members", "members must hold 1 to %d people", PLANT_CREW_MAX);
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(a, i), *pid = json_object_get(e, "person_id"), *role = json_object_get(e, "role");
        char f[40];
        if (!json_is_object(e)) {
            snprintf(f, sizeof f, "members[%zu]", i);
            return ws_fail(WS_EINVAL, f, "%s must be an object", f);
        }
        if (!json_is_integer(pid) || json_integer_value(pid) < 1) {
            snprintf(f, sizeof f, "members[%zu].person_id", i);
            return ws_fail(WS_EINVAL, f, "%s must be an id", f);
        }
        if (!json_is_string(role)) {
            snprintf(f, sizeof f, "members[%zu].role", i);
            return ws_fail(WS_EINVAL, f, "%s must be grid_leader (班长) or operator", f);
        }
        ids[i] = json_integer_value(pid);
        roles[i] = json_string_value(role);
    }
    return WS_OK;
}

static ws_err crews_create(api_ctx *ctx)
{
    crew_body b = {0};
    json_t *root = NULL;
    int64_t ids[PLANT_CREW_MAX], id = 0;
    const char *roles[PLANT_CREW_MAX];
    size_t n = 0;
    ws_err rc = api_decode(ctx, crew_fields, NF(crew_fields), &b, NULL, &root);
    if (!rc) rc = crew_members(b.members, ids, roles, &n);
    if (!rc) {
        CALLER;
        plant_crew_in in = {.unit_id = b.unit_id, .name = b.name, .nmembers = n, .person_ids = ids, .roles = roles};
        rc = plant_crew_create(ctx->conn, &by, &in, &id);
    }
    json_decref(root);
    return reply_crew(ctx, rc, 201, id, false);
}

static ws_err crews_patch(api_ctx *ctx)
{
    int64_t id = 0, ids[PLANT_CREW_MAX];
    const char *roles[PLANT_CREW_MAX];
    size_t n = 0;
    crew_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, crew_patch_fields, NF(crew_patch_fields), &b, &present, &root);
    if (!rc && (present & 2u)) rc = crew_members(b.members, ids, roles, &n);
    if (!rc) {
        CALLER;
        plant_crew_in in = {.set = (unsigned)present, .name = b.name, .nmembers = n, .person_ids = ids,
                            .roles = roles, .active = b.active};
        rc = plant_crew_update(ctx->conn, &by, id, &in);
    }
    json_decref(root);
    return reply_crew(ctx, rc, 200, id, false);
}

typedef struct {
    int64_t shift_id;
    json_t *days;
} schedule_body;
static const json_field schedule_fields[] = {
    {"shift_id", JF_ID, true, false, offsetof(schedule_body, shift_id), 0, 0, 0, -1},
    {"days", JF_ARRAY, true, false, offsetof(schedule_body, days), PLANT_SCHEDULE_DAYS, 0, 0, -1},
};

/* 按班组排班: every member of the crew on the shift on each day. */
static ws_err crews_schedule(api_ctx *ctx)
{
    int64_t id = 0;
    schedule_body b = {0};
    json_t *root = NULL;
    const char **days = NULL;
    size_t n = 0, added = 0, kept = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, schedule_fields, NF(schedule_fields), &b, NULL, &root);
    if (!rc) {
        n = json_array_size(b.days);
        days = calloc(n ? n : 1, sizeof *days);
        if (!days) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; !rc && i < n; i++) {
        days[i] = json_string_value(json_array_get(b.days, i));
        if (!days[i]) {
            char f[32];
            snprintf(f, sizeof f, "days[%zu]", i);
            rc = ws_fail(WS_EINVAL, f, "%s must be a date YYYY-MM-DD", f);
        }
    }
    if (!rc) {
        CALLER;
        rc = plant_crew_schedule(ctx->conn, &by, id, b.shift_id, days, n, &added, &kept);
    }
    free(days);
    json_decref(root);
    if (rc) return rc;
    return api_reply_json(ctx, 200, json_pack("{s:I,s:I}", "added", (json_int_t)added, "kept", (json_int_t)kept));
}

/* Who is on duty for ?role= (default grid_leader) at ?at= (default now). */
static ws_err units_on_duty(api_ctx *ctx)
{
    int64_t unit_id, at = clock_now_ms(), ids[32], from = 0;
    size_t n = 0;
    org_unit u;
    ws_err rc = api_param_id(ctx, 0, &unit_id);
    if (!rc) rc = org_unit_get(ctx->conn, unit_id, &u);
    rc = can_read(ctx, rc, u.path, "unit");
    if (rc) return rc;
    const char *role = api_query(ctx, "role"), *a = api_query(ctx, "at");
    if (!role) role = "grid_leader";
    if (a && clock_parse_rfc3339(a, &at) != 0)
        return ws_fail(WS_EINVAL, "at", "at must be an RFC 3339 time");
    rc = plant_on_duty_at(ctx->conn, unit_id, role, at, ids, 32, &n, &from);
    if (rc) return rc;
    json_t *people = json_array();
    for (size_t i = 0; i < n; i++) {
        org_person p;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_id(ids[i]));
        json_object_set_new(o, "name", json_str(org_person_get(ctx->conn, ids[i], &p) ? "" : p.name));
        json_array_append_new(people, o);
    }
    json_t *o = json_object();
    json_object_set_new(o, "unit_id", json_id(unit_id));
    json_object_set_new(o, "role", json_str(role));
    json_object_set_new(o, "at", json_time(at));
    json_object_set_new(o, "found_unit_id", json_id(from));
    json_object_set_new(o, "people", people);
    return api_reply_json(ctx, 200, o);
}

/* -------------------------------------------------------------- equipment */

static json_t *equipment_json(const plant_equipment *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(e->id));
    json_object_set_new(o, "unit_id", json_id(e->unit_id));
    json_object_set_new(o, "code", json_str(e->code));
    json_object_set_new(o, "name", json_str(e->name));
    json_object_set_new(o, "kind", json_str(e->kind));
    json_object_set_new(o, "device_id", json_id(e->device_id));
    json_object_set_new(o, "status", json_str(e->status));
    json_object_set_new(o, "created_at", json_time(e->created_at));
    json_object_set_new(o, "updated_at", json_time(e->updated_at));
    return o;
}

typedef struct {
    int64_t unit_id;
    const char *code, *name, *kind;
    int64_t device_id;
    const char *status;
} equipment_body;

/* Same order as the PLANT_EQ_* bits. */
#define EQ_FIELDS(REQ)                                                                           \
    {"unit_id", JF_ID, REQ, false, offsetof(equipment_body, unit_id), 0, 0, 0, -1},              \
    {"code", JF_STRING, REQ, false, offsetof(equipment_body, code), PLANT_CODE_MAX, 0, 0, -1},   \
    {"name", JF_STRING, REQ, false, offsetof(equipment_body, name), PLANT_NAME_MAX, 0, 0, -1},   \
    {"kind", JF_STRING, REQ, false, offsetof(equipment_body, kind), PLANT_KIND_MAX, 0, 0, -1},   \
    {"device_id", JF_ID, false, true, offsetof(equipment_body, device_id), 0, 0, 0, -1},         \
    {"status", JF_STRING, false, false, offsetof(equipment_body, status), 15, 0, 0, -1}
static const json_field equipment_fields[] = {EQ_FIELDS(true)};
static const json_field equipment_patch_fields[] = {EQ_FIELDS(false)};

static ws_err reply_equipment(api_ctx *ctx, int status, int64_t id)
{
    plant_equipment e;
    ws_err rc = plant_equipment_get(ctx->conn, id, &e);
    return rc ? rc : api_reply_json(ctx, status, equipment_json(&e));
}

LIST(equipment_list, plant_equipment, plant_equipment_list, equipment_json)
GET_ONE(equipment_get, plant_equipment, plant_equipment_get, equipment_json, "equipment")

static ws_err equipment_create(api_ctx *ctx)
{
    equipment_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, equipment_fields, NF(equipment_fields), &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    plant_equipment_in in = {.set = ~0u, .unit_id = b.unit_id, .code = b.code, .name = b.name,
                             .kind = b.kind, .device_id = b.device_id, .status = b.status};
    int64_t id = 0;
    rc = plant_equipment_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    return rc ? rc : reply_equipment(ctx, 201, id);
}

static ws_err equipment_patch(api_ctx *ctx)
{
    READABLE(plant_equipment_get, plant_equipment, "equipment");
    equipment_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, equipment_patch_fields, NF(equipment_patch_fields), &b, &present, &root);
    if (rc) return rc;
    CALLER;
    plant_equipment_in in = {.set = (unsigned)present, .unit_id = b.unit_id, .code = b.code,
                             .name = b.name, .kind = b.kind, .device_id = b.device_id,
                             .status = b.status};
    if ((in.set & PLANT_EQ_STATUS) && !in.status) in.status = "";
    rc = plant_equipment_update(ctx->conn, &by, id, &in);
    json_decref(root);
    return rc ? rc : reply_equipment(ctx, 200, id);
}

/* ------------------------------------------------------------ work orders */

static json_t *workorder_json(const plant_workorder *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(w->id));
    json_object_set_new(o, "unit_id", json_id(w->unit_id));
    json_object_set_new(o, "equipment_id", json_id(w->equipment_id));
    json_object_set_new(o, "device_id", json_id(w->device_id));
    json_object_set_new(o, "kind", json_str(w->kind));
    json_object_set_new(o, "title", json_str(w->title));
    json_object_set_new(o, "description", w->description[0] ? json_str(w->description) : json_null());
    json_object_set_new(o, "state", json_str(w->state));
    json_object_set_new(o, "due_at", json_time(w->due_at));
    json_object_set_new(o, "assignee_person_id", json_id(w->assignee_person_id));
    json_t *src = json_object();
    json_object_set_new(src, "kind", json_str(w->source_kind));
    json_object_set_new(src, "id", json_id(w->source_id));
    if (w->source_ref[0]) json_object_set_new(src, "ref", json_str(w->source_ref));
    json_object_set_new(o, "source", src);
    json_object_set_new(o, "created_by", json_str(w->created_by));
    json_object_set_new(o, "closed_at", json_time(w->closed_at));
    json_object_set_new(o, "closed_by", w->closed_by[0] ? json_str(w->closed_by) : json_null());
    json_object_set_new(o, "close_note", w->close_note[0] ? json_str(w->close_note) : json_null());
    json_object_set_new(o, "created_at", json_time(w->created_at));
    json_object_set_new(o, "updated_at", json_time(w->updated_at));
    return o;
}

typedef struct {
    const char *title, *description;
    int64_t due_at, assignee_person_id, equipment_id, device_id;
    const char *kind;
    json_t *source;
} wo_body;

/* Same order as the PLANT_WO_* bits, then the creation-only fields. */
#define WO_FIELDS(REQ)                                                                            \
    {"title", JF_STRING, REQ, false, offsetof(wo_body, title), PLANT_NAME_MAX, 0, 0, -1},         \
    {"description", JF_STRING, false, true, offsetof(wo_body, description), PLANT_TEXT_MAX, 0, 0, -1}, \
    {"due_at", JF_TIME, false, true, offsetof(wo_body, due_at), 0, 0, 0, -1},                     \
    {"assignee_person_id", JF_ID, false, true, offsetof(wo_body, assignee_person_id), 0, 0, 0, -1}
static const json_field wo_fields[] = {
    WO_FIELDS(true),
    {"equipment_id", JF_ID, false, true, offsetof(wo_body, equipment_id), 0, 0, 0, -1},
    {"device_id", JF_ID, false, true, offsetof(wo_body, device_id), 0, 0, 0, -1},
    {"kind", JF_STRING, false, false, offsetof(wo_body, kind), 15, 0, 0, -1},
    {"source", JF_OBJECT, false, true, offsetof(wo_body, source), 0, 0, 0, -1},
};
static const json_field wo_patch_fields[] = {WO_FIELDS(false)};

static ws_err reply_workorder(api_ctx *ctx, int status, int64_t id)
{
    plant_workorder w;
    ws_err rc = plant_workorder_get(ctx->conn, id, &w);
    return rc ? rc : api_reply_json(ctx, status, workorder_json(&w));
}

LIST(workorders_list_plain, plant_workorder, plant_workorder_list, workorder_json)
GET_ONE(workorders_get, plant_workorder, plant_workorder_get, workorder_json, "work order")

static ws_err workorders_list(api_ctx *ctx)
{
    /* ?assignee= is the person filter of work orders. */
    int64_t who = 0;
    ws_err rc = api_query_id(ctx, "assignee", &who);
    if (rc) return rc;
    if (!who) return workorders_list_plain(ctx);
    plant_filter f;
    rc = filter_of(ctx, &f);
    f.person_id = who;
    plant_workorder *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    if (!rc) rc = plant_workorder_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, workorder_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err workorders_create(api_ctx *ctx)
{
    wo_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, wo_fields, NF(wo_fields), &b, NULL, &root);
    if (rc) return rc;
    plant_workorder_in in = {.equipment_id = b.equipment_id, .device_id = b.device_id,
                             .kind = b.kind, .title = b.title, .description = b.description,
                             .due_at = b.due_at, .assignee_person_id = b.assignee_person_id};
    if (b.source) { /* {"kind":"alarm"|"rule"|"manual","id":N} */
        json_t *k = json_object_get(b.source, "kind"), *i = json_object_get(b.source, "id");
        if (!json_is_string(k)) rc = ws_fail(WS_EINVAL, "source.kind", "source.kind must be manual, alarm or rule");
        else if (i && !json_is_null(i) && !json_is_integer(i)) rc = ws_fail(WS_EINVAL, "source.id", "source.id must be an id");
        in.source_kind = json_string_value(k);
        in.source_id = json_is_integer(i) ? json_integer_value(i) : 0;
    }
    int64_t id = 0;
    bool created = false;
    if (!rc) {
        CALLER;
        rc = plant_workorder_open(ctx->conn, &by, &in, &id, &created);
        if (rc && !strcmp(ws_err_field(), "source_id")) rc = ws_fail(rc, "source.id", "%s", ws_err_message());
        if (rc && !strcmp(ws_err_field(), "source_kind")) rc = ws_fail(rc, "source.kind", "%s", ws_err_message());
    }
    json_decref(root);
    return rc ? rc : reply_workorder(ctx, created ? 201 : 200, id);
}

static ws_err workorders_patch(api_ctx *ctx)
{
    READABLE(plant_workorder_get, plant_workorder, "work order");
    wo_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, wo_patch_fields, NF(wo_patch_fields), &b, &present, &root);
    if (rc) return rc;
    CALLER;
    plant_workorder_in in = {.set = (unsigned)present, .title = b.title, .description = b.description,
                             .due_at = b.due_at, .assignee_person_id = b.assignee_person_id};
    rc = plant_workorder_update(ctx->conn, &by, id, &in);
    json_decref(root);
    return rc ? rc : reply_workorder(ctx, 200, id);
}

typedef struct {
    const char *note;
} note_body;
static const json_field note_fields[] = {
    {"note", JF_STRING, false, true, offsetof(note_body, note), PLANT_TEXT_MAX, 0, 0, -1},
};

static ws_err workorders_action(api_ctx *ctx)
{
    READABLE(plant_workorder_get, plant_workorder, "work order");
    note_body b = {0};
    json_t *root = NULL;
    rc = api_decode(ctx, note_fields, NF(note_fields), &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    rc = plant_workorder_act(ctx->conn, &by, id, ctx->req->params[1], b.note);
    json_decref(root);
    return rc ? rc : reply_workorder(ctx, 200, id);
}

/* --------------------------------------------------------------- bypasses */

static json_t *bypass_json(const plant_bypass *b)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(b->id));
    json_object_set_new(o, "unit_id", json_id(b->unit_id));
    json_object_set_new(o, "point_id", json_id(b->point_id));
    json_object_set_new(o, "equipment_id", json_id(b->equipment_id));
    json_object_set_new(o, "interlock", json_str(b->interlock));
    json_object_set_new(o, "reason", json_str(b->reason));
    json_object_set_new(o, "measures", json_str(b->measures));
    json_object_set_new(o, "requested_by_person_id", json_id(b->requested_by_person_id));
    json_object_set_new(o, "approver_person_id", json_id(b->approver_person_id));
    json_object_set_new(o, "state", json_str(b->state));
    json_object_set_new(o, "expires_at", json_time(b->expires_at));
    json_object_set_new(o, "overdue", json_boolean(!strcmp(b->state, "expired")));
    json_object_set_new(o, "requested_at", json_time(b->requested_at));
    json_object_set_new(o, "approved_at", json_time(b->approved_at));
    json_object_set_new(o, "activated_at", json_time(b->activated_at));
    json_object_set_new(o, "expired_at", json_time(b->expired_at));
    json_object_set_new(o, "closed_at", json_time(b->closed_at));
    json_object_set_new(o, "closed_by", b->closed_by[0] ? json_str(b->closed_by) : json_null());
    json_object_set_new(o, "extensions", json_integer(b->extensions));
    json_object_set_new(o, "created_at", json_time(b->created_at));
    json_object_set_new(o, "updated_at", json_time(b->updated_at));
    return o;
}

typedef struct {
    int64_t unit_id, point_id, equipment_id;
    const char *interlock, *reason, *measures;
    int64_t requested_by_person_id, expires_at;
} bypass_body;
static const json_field bypass_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(bypass_body, unit_id), 0, 0, 0, -1},
    {"point_id", JF_ID, false, true, offsetof(bypass_body, point_id), 0, 0, 0, -1},
    {"equipment_id", JF_ID, false, true, offsetof(bypass_body, equipment_id), 0, 0, 0, -1},
    {"interlock", JF_STRING, true, false, offsetof(bypass_body, interlock), PLANT_NAME_MAX, 0, 0, -1},
    {"reason", JF_STRING, true, false, offsetof(bypass_body, reason), PLANT_TEXT_MAX, 0, 0, -1},
    {"measures", JF_STRING, true, false, offsetof(bypass_body, measures), PLANT_TEXT_MAX, 0, 0, -1},
    {"requested_by_person_id", JF_ID, false, true, offsetof(bypass_body, requested_by_person_id), 0, 0, 0, -1},
    {"expires_at", JF_TIME, true, false, offsetof(bypass_body, expires_at), 0, 0, 0, -1},
};

typedef struct {
    int64_t approver_person_id, expires_at;
} bypass_act_body;
static const json_field bypass_act_fields[] = {
    {"approver_person_id", JF_ID, false, true, offsetof(bypass_act_body, approver_person_id), 0, 0, 0, -1},
    {"expires_at", JF_TIME, false, false, offsetof(bypass_act_body, expires_at), 0, 0, 0, -1},
};

static ws_err reply_bypass(api_ctx *ctx, int status, int64_t id)
{
    plant_bypass b;
    ws_err rc = plant_bypass_get(ctx->conn, id, &b);
    return rc ? rc : api_reply_json(ctx, status, bypass_json(&b));
}

LIST(bypasses_list, plant_bypass, plant_bypass_list, bypass_json)
GET_ONE(bypasses_get, plant_bypass, plant_bypass_get, bypass_json, "bypass")

static ws_err bypasses_create(api_ctx *ctx)
{
    bypass_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, bypass_fields, NF(bypass_fields), &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    plant_bypass_in in = {.unit_id = b.unit_id, .point_id = b.point_id, .equipment_id = b.equipment_id,
                          .interlock = b.interlock, .reason = b.reason, .measures = b.measures,
                          .requested_by_person_id = b.requested_by_person_id,
                          .expires_at = b.expires_at};
    int64_t id = 0;
    rc = plant_bypass_request(ctx->conn, &by, &in, &id);
    json_decref(root);
    return rc ? rc : reply_bypass(ctx, 201, id);
}

static ws_err bypasses_action(api_ctx *ctx)
{
    READABLE(plant_bypass_get, plant_bypass, "bypass");
    bypass_act_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, bypass_act_fields, NF(bypass_act_fields), &b, &present, &root);
    if (rc) return rc;
    json_decref(root);
    CALLER;
    const char *a = ctx->req->params[1];
    if (!strcmp(a, "approve")) rc = plant_bypass_approve(ctx->conn, &by, id, b.approver_person_id);
    else if (!strcmp(a, "activate")) rc = plant_bypass_activate(ctx->conn, &by, id);
    else if (!strcmp(a, "restore")) rc = plant_bypass_restore(ctx->conn, &by, id);
    else if (!strcmp(a, "cancel")) rc = plant_bypass_cancel(ctx->conn, &by, id);
    else if (!strcmp(a, "extend")) {
        if (!(present & 2u)) return ws_fail(WS_EINVAL, "expires_at", "expires_at is required to extend");
        rc = plant_bypass_extend(ctx->conn, &by, id, b.approver_person_id, b.expires_at);
    } else
        rc = ws_fail(WS_ENOTFOUND, "action", "no such action (approve, activate, restore, extend, cancel)");
    return rc ? rc : reply_bypass(ctx, 200, id);
}

/* ----------------------------------------------------------------- routes */

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "plant", body, nbody, 0}
const api_route api_plant_routes[] = {
    R("GET", "/api/v1/shifts", shifts_list, "plant.read",
      "Shift patterns (白班, 夜班) in the caller's scope (?unit_id= subtree, &active=)", NULL, 0),
    R("POST", "/api/v1/shifts", shifts_create, "plant.write",
      "Create a shift of a unit: name, local start HH:MM in the unit's zone, length in minutes "
      "(night shifts cross midnight)", shift_fields, NF(shift_fields)),
    R("GET", "/api/v1/shifts/{id}", shifts_get, "plant.read", "One shift", NULL, 0),
    R("PATCH", "/api/v1/shifts/{id}", shifts_patch, "plant.write",
      "Change a shift; {\"active\":false} retires it", shift_patch_fields, NF(shift_patch_fields)),
    R("GET", "/api/v1/roster-entries", roster_list, "plant.read",
      "Roster entries (?unit_id=, &role=, &from=, &to= local days, &person_id=, &shift_id=)", NULL, 0),
    R("GET", "/api/v1/me/shifts", my_shifts, "me.read",
      "The caller's rostered shifts that run now or begin in the next 36 hours, by start (now: running)", NULL, 0),
    R("POST", "/api/v1/roster-entries", roster_create, "plant.write",
      "Add roster entries (a week at once, all or nothing): {\"entries\":[{shift_id, day, "
      "person_id, role (operator, grid_leader, safety_officer, manager), optional crew_id}]}; "
      "refusals name entries[i].field", roster_fields, NF(roster_fields)),
    R("GET", "/api/v1/roster-entries/{id}", roster_get, "plant.read", "One roster entry", NULL, 0),
    R("DELETE", "/api/v1/roster-entries/{id}", roster_delete, "plant.write",
      "Remove a roster entry", NULL, 0),
    R("GET", "/api/v1/crews", crews_list, "plant.read",
      "Crews 班组 with their members (?unit_id= subtree, &active=)", NULL, 0),
    R("POST", "/api/v1/crews", crews_create, "plant.write",
      "Create a crew of a unit: name (甲班), members [{person_id, role grid_leader (班长, at most "
      "one) or operator}]; a person is in one active crew of a unit", crew_fields, NF(crew_fields)),
    R("GET", "/api/v1/crews/{id}", crews_get, "plant.read", "One crew with its members", NULL, 0),
    R("PATCH", "/api/v1/crews/{id}", crews_patch, "plant.write",
      "Rename a crew, set its members (the whole list), or retire it ({\"active\":false})",
      crew_patch_fields, NF(crew_patch_fields)),
    R("POST", "/api/v1/crews/{id}/actions/schedule", crews_schedule, "plant.write",
      "按班组排班: every member on shift_id (of the crew's unit) on each of days [YYYY-MM-DD], in "
      "their crew role, all or nothing; members already there are kept: {added, kept}",
      schedule_fields, NF(schedule_fields)),
    R("GET", "/api/v1/units/{id}/on-duty", units_on_duty, "plant.read",
      "Who is on duty for ?role= (default grid_leader) at ?at= (RFC 3339, default now) in the "
      "unit, or the nearest ancestor unit with someone on duty", NULL, 0),
    R("GET", "/api/v1/equipment", equipment_list, "plant.read",
      "Equipment (?unit_id= subtree, &kind=, &status=, &device_id=, &q= code or name)", NULL, 0),
    R("POST", "/api/v1/equipment", equipment_create, "plant.write",
      "Create equipment: code (unique), name, kind, optional device_id, status", equipment_fields,
      NF(equipment_fields)),
    R("GET", "/api/v1/equipment/{id}", equipment_get, "plant.read", "One piece of equipment", NULL, 0),
    R("PATCH", "/api/v1/equipment/{id}", equipment_patch, "plant.write",
      "Change equipment (e.g. status out_of_service)", equipment_patch_fields,
      NF(equipment_patch_fields)),
    R("GET", "/api/v1/work-orders", workorders_list, "plant.read",
      "Work orders (?unit_id=, &state=, &kind=, &equipment_id=, &device_id=, &assignee=, &source=)",
      NULL, 0),
    R("POST", "/api/v1/work-orders", workorders_create, "plant.write",
      "Open a work order for equipment or a device: kind corrective|preventive|calibration, "
      "title, due_at, assignee; source {\"kind\":\"alarm\"|\"rule\",\"id\"} returns the open "
      "order of the same source (200) instead of a second one", wo_fields, NF(wo_fields)),
    R("GET", "/api/v1/work-orders/{id}", workorders_get, "plant.read", "One work order", NULL, 0),
    R("PATCH", "/api/v1/work-orders/{id}", workorders_patch, "plant.write",
      "Change title, description, due_at or assignee of an order not closed", wo_patch_fields,
      NF(wo_patch_fields)),
    R("POST", "/api/v1/work-orders/{id}/actions/{action}", workorders_action, "plant.write",
      "start (open -> in_progress), done (in_progress -> done, note), cancel (note)", note_fields,
      NF(note_fields)),
    R("GET", "/api/v1/bypasses", bypasses_list, "plant.read",
      "Interlock bypasses 联锁旁路 (?unit_id=, &state=, &point_id=, &equipment_id=)", NULL, 0),
    R("POST", "/api/v1/bypasses", bypasses_create, "plant.write",
      "Request a bypass of a point or equipment's interlock: reason, risk measures, expires_at "
      "(at most bypass_max_hours, 72 by default)", bypass_fields, NF(bypass_fields)),
    R("GET", "/api/v1/bypasses/{id}", bypasses_get, "plant.read", "One bypass", NULL, 0),
    R("POST", "/api/v1/bypasses/{id}/actions/{action}", bypasses_action, "plant.write",
      "approve and extend (bypass.approve; approver_person_id, not the requester; extend: "
      "expires_at), activate, restore, cancel", bypass_act_fields, NF(bypass_act_fields)),
};
const size_t api_plant_nroutes = sizeof api_plant_routes / sizeof api_plant_routes[0];
