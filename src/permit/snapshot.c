/* snapshot.c — the JSON form of a permit snapshot (pr_permit), read by
 * pr_permit_from_json. The permit module builds the snapshot from the store
 * itself; this form serves the pre-check API (a draft sent by a client), the
 * compliance report's exports and the recorded cases in tests/data/permits/.
 *
 * Member names are the struct's, except that times drop the "_ms" suffix and
 * are RFC 3339 strings (or null = not yet): "planned_start":
 * "2026-03-02T08:00:00+08:00". Arrays give ngas/nworkers/napprovals. Unknown
 * members are refused naming their path ("gas[2].unit"). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "permit/permit_rules.h"

typedef enum { F_STR, F_INT, F_DBL, F_BOOL, F_TIME } ftype;

typedef struct fdesc {
    const char *name;
    ftype t;
    size_t off, size;
} fdesc;

#define FS(st, m) {#m, F_STR, offsetof(st, m), sizeof(((st *)0)->m)}
#define FI(st, m) {#m, F_INT, offsetof(st, m), sizeof(((st *)0)->m)}
#define FD(st, m) {#m, F_DBL, offsetof(st, m), sizeof(((st *)0)->m)}
#define FB(st, m) {#m, F_BOOL, offsetof(st, m), sizeof(((st *)0)->m)}
#define FT(st, name, m) {name, F_TIME, offsetof(st, m), sizeof(((st *)0)->m)}

static const fdesc PERMIT_F[] = {
    FS(pr_permit, grade), FD(pr_permit, height_m), FD(pr_permit, mass_t), FS(pr_permit, tz),
    FT(pr_permit, "planned_start", planned_start_ms), FT(pr_permit, "planned_end", planned_end_ms),
    FT(pr_permit, "activated", activated_ms), FT(pr_permit, "suspended", suspended_ms),
    FT(pr_permit, "resumed", resumed_ms), FB(pr_permit, enriched_oxygen),
    FB(pr_permit, continuous_monitor), FB(pr_permit, hot_tapping), FI(pr_permit, guardian_person_id),
    FB(pr_permit, guardian_qualified), FT(pr_permit, "guardian_qual_expires", guardian_qual_expires_ms),
    FT(pr_permit, "guardian_checkin", guardian_checkin_ms), FI(pr_permit, nmeasures),
    FI(pr_permit, nmeasures_confirmed), FT(pr_permit, "served_start", served_start_ms),
    FT(pr_permit, "served_end", served_end_ms), FS(pr_permit, extension_reason), {NULL, F_STR, 0, 0}};

static const fdesc GAS_F[] = {FT(pr_gas, "at", at_ms), FD(pr_gas, value), FS(pr_gas, substance),
                              FD(pr_gas, lel_pct_vol), FD(pr_gas, limit), FB(pr_gas, portable),
                              FS(pr_gas, position), FI(pr_gas, analyst_person_id), {NULL, F_STR, 0, 0}};

static const fdesc WORKER_F[] = {FI(pr_worker, person_id), FS(pr_worker, name), FS(pr_worker, cert_type),
                                 FS(pr_worker, cert_no), FT(pr_worker, "cert_expires", cert_expires_ms),
                                 FB(pr_worker, cert_revoked), {NULL, F_STR, 0, 0}};

static const fdesc APPROVAL_F[] = {FS(pr_approval, post), FI(pr_approval, person_id),
                                   FT(pr_approval, "at", at_ms), {NULL, F_STR, 0, 0}};

static ws_err bad(const char *path, const char *msg)
{
    return ws_fail(WS_EINVAL, path, "%s: %s", path, msg);
}

static void pathf(char *out, size_t cap, const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n >= cap) n = cap - 1;
    memcpy(out, a, n);
    size_t m = strlen(b);
    if (n + m >= cap) m = cap - 1 - n;
    memcpy(out + n, b, m);
    out[n + m] = 0;
}

/* One member by its descriptor. Returns WS_OK and sets *done when the name
 * is the descriptor's. */
static ws_err set_field(const fdesc *f, void *obj, const json_t *v, const char *path)
{
    char *at = (char *)obj + f->off;
    if (json_is_null(v)) {
        memset(at, 0, f->size);
        return WS_OK;
    }
    switch (f->t) {
    case F_STR:
        if (!json_is_string(v) || json_string_length(v) >= f->size) return bad(path, "must be a short string");
        memcpy(at, json_string_value(v), json_string_length(v) + 1);
        return WS_OK;
    case F_INT: {
        if (!json_is_integer(v)) return bad(path, "must be an integer");
        json_int_t i = json_integer_value(v);
        if (f->size == sizeof(int)) {
            if (i < 0 || i > 100000) return bad(path, "must be from 0 to 100000");
            *(int *)at = (int)i;
        } else *(int64_t *)at = (int64_t)i;
        return WS_OK;
    }
    case F_DBL:
        if (!json_is_number(v)) return bad(path, "must be a number");
        *(double *)at = json_number_value(v);
        return WS_OK;
    case F_BOOL:
        if (!json_is_boolean(v)) return bad(path, "must be true or false");
        *(bool *)at = json_is_true(v);
        return WS_OK;
    case F_TIME: {
        int64_t ms;
        if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), &ms))
            return bad(path, "must be an RFC 3339 time or null");
        *(int64_t *)at = ms;
        return WS_OK;
    }
    }
    return bad(path, "unknown field type");
}

/* Members of o by table; extra(name, value) handles members the table lacks
 * (returns 1 when it took it). */
typedef ws_err (*extra_fn)(void *obj, const char *name, const json_t *v, const char *path, int *took);

static ws_err read_obj(const fdesc *tab, void *obj, const json_t *o, const char *base, extra_fn extra)
{
    char path[128];
    if (!json_is_object(o)) return bad(base, "must be an object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        char dot[64];
        dot[0] = '.';
        pathf(dot + 1, sizeof dot - 1, k, "");
        pathf(path, sizeof path, base, dot);
        const fdesc *f = NULL;
        for (int i = 0; tab[i].name; i++)
            if (!strcmp(tab[i].name, k)) f = &tab[i];
        if (f) {
            ws_err rc = set_field(f, obj, v, path);
            if (rc) return rc;
            continue;
        }
        int took = 0;
        if (extra) {
            ws_err rc = extra(obj, k, v, path, &took);
            if (rc) return rc;
        }
        if (!took) return bad(path, "unknown member");
    }
    return WS_OK;
}

static const char *const GAS_KINDS[] = {"combustible", "oxygen", "toxic"};
static const char *const GAS_UNITS[] = {"%LEL", "%vol", "mg/m3", "ppm"};

static ws_err gas_extra(void *obj, const char *name, const json_t *v, const char *path, int *took)
{
    pr_gas *g = obj;
    const char *s = json_string_value(v);
    if (!strcmp(name, "kind")) {
        *took = 1;
        for (int i = 0; i < 3; i++)
            if (s && !strcmp(s, GAS_KINDS[i])) {
                g->kind = (pr_gas_kind)i;
                return WS_OK;
            }
        return bad(path, "must be combustible, oxygen or toxic");
    }
    if (!strcmp(name, "unit")) {
        *took = 1;
        for (int i = 0; i < 4; i++)
            if (s && !strcmp(s, GAS_UNITS[i])) {
                g->unit = (pr_gas_unit)i;
                return WS_OK;
            }
        return bad(path, "must be %LEL, %vol, mg/m3 or ppm");
    }
    return WS_OK;
}

static ws_err permit_extra(void *obj, const char *name, const json_t *v, const char *path, int *took)
{
    pr_permit *p = obj;
    char item[128], idx[24];
    size_t i;
    json_t *e;
    ws_err rc;
    if (!strcmp(name, "type")) {
        *took = 1;
        int t = pr_type_of(json_string_value(v));
        if (t < 0) return bad(path, "must be a permit type such as hot_work");
        p->type = (pr_type)t;
        return WS_OK;
    }
    if (!strcmp(name, "gas")) {
        *took = 1;
        if (!json_is_array(v) || json_array_size(v) > PR_MAX_GAS) return bad(path, "must list at most 32 samples");
        json_array_foreach(v, i, e) {
            snprintf(idx, sizeof idx, "[%zu]", i);
            pathf(item, sizeof item, path, idx);
            if ((rc = read_obj(GAS_F, &p->gas[i], e, item, gas_extra))) return rc;
            if (!json_object_get(e, "kind") || !json_object_get(e, "unit") || !json_object_get(e, "at"))
                return bad(item, "needs at, kind and unit");
        }
        p->ngas = (int)json_array_size(v);
        return WS_OK;
    }
    if (!strcmp(name, "workers")) {
        *took = 1;
        if (!json_is_array(v) || json_array_size(v) > PR_MAX_WORKERS) return bad(path, "must list at most 32 workers");
        json_array_foreach(v, i, e) {
            snprintf(idx, sizeof idx, "[%zu]", i);
            pathf(item, sizeof item, path, idx);
            if ((rc = read_obj(WORKER_F, &p->workers[i], e, item, NULL))) return rc;
        }
        p->nworkers = (int)json_array_size(v);
        return WS_OK;
    }
    if (!strcmp(name, "approvals")) {
        *took = 1;
        if (!json_is_array(v) || json_array_size(v) > PR_MAX_APPROVALS)
            return bad(path, "must list at most 8 approvals");
        json_array_foreach(v, i, e) {
            snprintf(idx, sizeof idx, "[%zu]", i);
            pathf(item, sizeof item, path, idx);
            if ((rc = read_obj(APPROVAL_F, &p->approvals[i], e, item, NULL))) return rc;
        }
        p->napprovals = (int)json_array_size(v);
        return WS_OK;
    }
    return WS_OK;
}

ws_err pr_permit_from_json(const json_t *o, pr_permit *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(o)) return bad("permit", "must be an object");
    if (!json_is_string(json_object_get(o, "type"))) return bad("permit.type", "is required");
    ws_err rc = read_obj(PERMIT_F, out, o, "permit", permit_extra);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}
