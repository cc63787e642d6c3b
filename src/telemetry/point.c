/* point.c — the points (位号) and devices register (point.h has the shape,
 * the GB/T 50493 defaults and the invariants), with their audited entities.
 *
 * Every write: permission (point.write on the row's org unit; outside the
 * scope WS_ENOTFOUND), field checks naming the field, the row and its leaf,
 * in one transaction (the caller's when one is open). Defaults are applied
 * once, at creation, and stored: from then on they are ordinary data that a
 * PATCH changes and that the same checks guard. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/q_telemetry.h"
#include "telemetry/point.h"
#include "telemetry/response.h"

/* ------------------------------------------------------- audited entities */

static const audit_col device_cols[] = {
    {"id", AC_INT},           {"unit_id", AC_INT},         {"code", AC_TEXT},
    {"name", AC_TEXT},        {"kind", AC_TEXT},           {"vendor", AC_TEXT},
    {"model", AC_TEXT},       {"protocol", AC_TEXT},       {"calibration_due", AC_TEXT},
    {"maintenance_until", AC_INT}, {"active", AC_INT},     {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col point_cols[] = {
    {"id", AC_INT},           {"device_id", AC_INT},     {"unit_id", AC_INT},
    {"tag", AC_TEXT},         {"name", AC_TEXT},         {"kind", AC_TEXT},
    {"uom", AC_TEXT},         {"range_low", AC_REAL},    {"range_high", AC_REAL},
    {"resolution", AC_REAL},  {"exposure_limit", AC_REAL}, {"ll", AC_REAL},
    {"l", AC_REAL},           {"h", AC_REAL},            {"hh", AC_REAL},
    {"deadband", AC_REAL},    {"on_delay_ms", AC_INT},   {"active", AC_INT},
    {"created_at", AC_INT},   {"updated_at", AC_INT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity POINT_ENTITY_DEVICE = {"device", "devices", device_cols, NCOLS(device_cols)};
const audit_entity POINT_ENTITY_POINT = {"point", "points", point_cols, NCOLS(point_cols)};

ws_err point_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&POINT_ENTITY_DEVICE);
    if (!rc) rc = audit_register(&POINT_ENTITY_POINT);
    if (!rc) rc = audit_register(&POINT_ENTITY_LOCATION);
    if (!rc) rc = audit_register(&POINT_ENTITY_RESPONSE); /* response.c */
    if (!rc) done = true;
    return rc;
}

/* ---------------------------------------------------------------- helpers */

static void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

static ws_err allow(const org_caller *by, const char *path)
{
    return org_allow(by, "point.write", path);
}

static ws_err leaf(store_conn *c, const org_caller *by, const audit_entity *e, int64_t id,
                   const char *action)
{
    audit_actor sys = {"system"};
    return audit_record(c, by && by->actor ? by->actor : &sys, e, id, action, NULL);
}

ws_err point_text_check(const char *s, const char *field, size_t max, bool required, bool multiline)
{
    /* the register's texts are line-broken, never tabbed: stricter than a note */
    if (multiline && s && strchr(s, '\t'))
        return ws_fail(WS_EINVAL, field, "%s must not contain control characters other than line breaks",
                       field);
    return org_check_free_text(s, field, max, required, multiline);
}

static bool one_of(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (!strcmp(s, *set)) return true;
    return false;
}

static const char *const device_kinds[] = {"gas_detector", "plc", "dcs", "camera", "other", NULL};
static const char *const protocols[] = {"http", "mqtt", "modbus", "camera", NULL};
static const char *const point_kinds[] = {"combustible", "toxic",  "oxygen", "temperature",
                                          "pressure",    "level",  "flow",   "analysis",
                                          "status",      "camera", NULL};

/* A tag or a device code: ASCII letters, digits and _ . : / -, 1..max bytes. */
static bool ident_valid(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == ':' || ch == '/' || ch == '-'))
            return false;
    }
    return true;
}

bool point_tag_valid(const char *tag) { return ident_valid(tag, POINT_TAG_MAX); }

/* A real calendar date YYYY-MM-DD (1900..9999). */
static bool date_valid(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1) return false;
    int dm = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return d <= dm;
}

/* Step a prepared write; *id gets the RETURNING id when asked for. A
 * constraint violation is a duplicate of field. */
static ws_err run(store_stmt *st, int64_t *id, const char *field)
{
    bool row = false;
    ws_err rc = store_step(st, &row);
    if (rc == WS_ECONFLICT) return ws_fail(WS_ECONFLICT, field, "%s is already used", field);
    if (!rc && id) {
        if (!row) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
        else *id = store_col_int(st, 0);
    }
    return rc;
}

typedef void (*row_reader)(store_stmt *st, void *out);

/* The first column of sql bound to text key, 0 when no row. */
static ws_err id_of(store_conn *c, const char *sql, const char *key, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    *id = 0;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_text(st, 1, key);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

static ws_err get_one(store_conn *c, const char *sql, int64_t id, row_reader rd, void *out,
                      const char *what)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) rd(st, out);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such %s", what);
    return rc;
}

static ws_err list_run(store_conn *c, const char *sql, const point_filter *f, bool points,
                       row_reader rd, size_t size, void **items, size_t *n, int64_t *next)
{
    *items = NULL;
    *n = 0;
    *next = 0;
    /* an unknown kind is an error, not an empty list */
    if (f->kind && !one_of(f->kind, points ? point_kinds : device_kinds))
        return ws_fail(WS_EINVAL, "kind", "no such %s kind", points ? "point" : "device");
    int limit = f->limit >= 1 && f->limit <= 200 ? f->limit : 50;
    char *buf = calloc((size_t)limit + 1, size);
    if (!buf) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_text(st, 1, f->scope_path ? f->scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, f->unit_id);
    if (!rc) rc = store_bind_text(st, 3, f->kind ? f->kind : "");
    if (!rc) rc = store_bind_int(st, 4, f->active);
    if (!rc) rc = store_bind_text(st, 5, f->q ? f->q : "");
    if (!rc) rc = store_bind_int(st, 6, f->cursor);
    if (!rc) rc = store_bind_int(st, 7, limit + 1);
    if (!rc && points) rc = store_bind_int(st, 8, f->device_id);
    size_t k = 0;
    while (!rc && !(rc = store_step(st, &row)) && row && k < (size_t)limit + 1)
        rd(st, buf + size * k++);
    store_finalize(st);
    if (rc) {
        free(buf);
        return rc;
    }
    if (k > (size_t)limit) {
        k = (size_t)limit;
        *next = *(int64_t *)(void *)(buf + size * (k - 1)); /* id is each struct's first member */
    }
    *items = buf;
    *n = k;
    return WS_OK;
}

/* The org unit a row sits on: exists, in the caller's write scope, active,
 * inside an enterprise. */
static ws_err row_unit(store_conn *c, const org_caller *by, int64_t unit_id, org_unit *u)
{
    ws_err rc = org_unit_get(c, unit_id, u);
    if (!rc) rc = allow(by, u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (rc) return rc;
    if (!u->active) return ws_fail(WS_ECONFLICT, "unit_id", "the unit is deactivated");
    if (u->enterprise_id <= 0)
        return ws_fail(WS_EINVAL, "unit_id", "devices and points sit in an enterprise or below it");
    return WS_OK;
}

static ws_err tx_end(store_conn *c, bool own, ws_err rc) { return store_tx_finish(c, own, rc); }

/* ---------------------------------------------------------------- devices */

static void device_row(store_stmt *st, void *out)
{
    point_device *d = out;
    memset(d, 0, sizeof *d);
    d->id = store_col_int(st, 0);
    d->unit_id = store_col_int(st, 1);
    copy(d->code, sizeof d->code, store_col_text(st, 2));
    copy(d->name, sizeof d->name, store_col_text(st, 3));
    copy(d->kind, sizeof d->kind, store_col_text(st, 4));
    copy(d->vendor, sizeof d->vendor, store_col_text(st, 5));
    copy(d->model, sizeof d->model, store_col_text(st, 6));
    copy(d->protocol, sizeof d->protocol, store_col_text(st, 7));
    copy(d->calibration_due, sizeof d->calibration_due, store_col_text(st, 8));
    d->maintenance_until = store_col_int(st, 9);
    d->active = store_col_int(st, 10) != 0;
    d->created_at = store_col_int(st, 11);
    d->updated_at = store_col_int(st, 12);
    copy(d->unit_path, sizeof d->unit_path, store_col_text(st, 13));
}

ws_err point_device_get(store_conn *c, int64_t id, point_device *d)
{
    return get_one(c, Q_DEVICE_GET, id, device_row, d, "device");
}

ws_err point_device_list(store_conn *c, const point_filter *f, point_device **items, size_t *n,
                         int64_t *next)
{
    return list_run(c, Q_DEVICE_LIST, f, false, device_row, sizeof **items, (void **)items, n,
                    next);
}

bool point_device_in_maintenance(const point_device *d, int64_t now_ms)
{
    return d->maintenance_until > 0 && now_ms < d->maintenance_until;
}

/* Lengths and shapes of what in sets, before anything is copied. */
static ws_err device_fields(const point_device_in *in, unsigned set)
{
    ws_err rc = WS_OK;
    if ((set & POINT_DSET_CODE) && !ident_valid(in->code, POINT_CODE_MAX))
        return ws_fail(WS_EINVAL, "code",
                       "code must be 1 to %d ASCII letters, digits or _ . : / -", POINT_CODE_MAX);
    if (set & POINT_DSET_NAME) rc = point_text_check(in->name, "name", POINT_NAME_MAX, true, false);
    if (!rc && (set & POINT_DSET_KIND) && !one_of(in->kind, device_kinds))
        rc = ws_fail(WS_EINVAL, "kind", "kind must be gas_detector, plc, dcs, camera or other");
    if (!rc && (set & POINT_DSET_VENDOR)) rc = point_text_check(in->vendor, "vendor", POINT_VENDOR_MAX, false, false);
    if (!rc && (set & POINT_DSET_MODEL)) rc = point_text_check(in->model, "model", POINT_VENDOR_MAX, false, false);
    if (!rc && (set & POINT_DSET_PROTOCOL) && !one_of(in->protocol, protocols))
        rc = ws_fail(WS_EINVAL, "protocol", "protocol must be http, mqtt, modbus or camera");
    if (!rc && (set & POINT_DSET_CAL) && in->calibration_due && *in->calibration_due &&
        !date_valid(in->calibration_due))
        rc = ws_fail(WS_EINVAL, "calibration_due", "calibration_due must be a date YYYY-MM-DD");
    if (!rc && (set & POINT_DSET_MAINT) && in->maintenance_until < 0)
        rc = ws_fail(WS_EINVAL, "maintenance_until", "maintenance_until must be a time");
    return rc;
}

static void device_apply(point_device *d, const point_device_in *in, unsigned set)
{
    if (set & POINT_DSET_UNIT) d->unit_id = in->unit_id;
    if (set & POINT_DSET_CODE) copy(d->code, sizeof d->code, in->code);
    if (set & POINT_DSET_NAME) copy(d->name, sizeof d->name, in->name);
    if (set & POINT_DSET_KIND) copy(d->kind, sizeof d->kind, in->kind);
    if (set & POINT_DSET_VENDOR) copy(d->vendor, sizeof d->vendor, in->vendor);
    if (set & POINT_DSET_MODEL) copy(d->model, sizeof d->model, in->model);
    if (set & POINT_DSET_PROTOCOL) copy(d->protocol, sizeof d->protocol, in->protocol);
    if (set & POINT_DSET_CAL) copy(d->calibration_due, sizeof d->calibration_due, in->calibration_due);
    if (set & POINT_DSET_MAINT) d->maintenance_until = in->maintenance_until;
    if (set & POINT_DSET_ACTIVE) d->active = in->active;
}

/* The code is free (or already d's). */
static ws_err device_code_free(store_conn *c, const point_device *d)
{
    int64_t other = 0;
    ws_err rc = id_of(c, Q_DEVICE_BY_CODE, d->code, &other);
    if (!rc && other && other != d->id)
        rc = ws_fail(WS_ECONFLICT, "code", "device code %s is already used", d->code);
    return rc;
}

static ws_err device_write(store_conn *c, const point_device *d, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    int k = insert ? 0 : 1;
    ws_err rc = store_prepare(c, insert ? Q_DEVICE_INSERT : Q_DEVICE_UPDATE, &st);
    if (!rc && !insert) rc = store_bind_int(st, 1, d->id);
    if (!rc) rc = store_bind_int(st, k + 1, d->unit_id);
    if (!rc) rc = store_bind_text(st, k + 2, d->code);
    if (!rc) rc = store_bind_text(st, k + 3, d->name);
    if (!rc) rc = store_bind_text(st, k + 4, d->kind);
    if (!rc) rc = store_bind_opt_text(st, k + 5, d->vendor);
    if (!rc) rc = store_bind_opt_text(st, k + 6, d->model);
    if (!rc) rc = store_bind_text(st, k + 7, d->protocol);
    if (!rc) rc = store_bind_opt_text(st, k + 8, d->calibration_due);
    if (!rc) rc = store_bind_opt_int(st, k + 9, d->maintenance_until);
    if (!rc && !insert) rc = store_bind_int(st, 11, d->active);
    if (!rc) rc = store_bind_int(st, insert ? 10 : 12, clock_now_ms());
    if (!rc) rc = run(st, insert ? id : NULL, "code");
    store_finalize(st);
    return rc;
}

ws_err point_device_create(store_conn *c, const org_caller *by, const point_device_in *in,
                           int64_t *id)
{
    org_unit u;
    point_device d = {0};
    bool own = false;
    ws_err rc = device_fields(in, ~0u);
    if (!rc) rc = row_unit(c, by, in->unit_id, &u);
    if (rc) return rc;
    device_apply(&d, in, ~0u);
    d.active = true;
    rc = device_code_free(c, &d);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = device_write(c, &d, true, id);
    if (!rc) rc = leaf(c, by, &POINT_ENTITY_DEVICE, *id, "create");
    return tx_end(c, own, rc);
}

ws_err point_device_update(store_conn *c, const org_caller *by, int64_t id,
                           const point_device_in *in)
{
    point_device d;
    org_unit u;
    bool own = false;
    ws_err rc = device_fields(in, in->set);
    if (!rc) rc = point_device_get(c, id, &d);
    if (!rc) rc = allow(by, d.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such device");
    if (rc) return rc;
    device_apply(&d, in, in->set);
    if (in->set & POINT_DSET_UNIT) rc = row_unit(c, by, d.unit_id, &u);
    if (!rc && (in->set & POINT_DSET_CODE)) rc = device_code_free(c, &d);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = device_write(c, &d, false, NULL);
    if (!rc) rc = leaf(c, by, &POINT_ENTITY_DEVICE, id, "update");
    return tx_end(c, own, rc);
}

/* ----------------------------------------------------------------- points */

static void point_row(store_stmt *st, void *out)
{
    point *p = out;
    memset(p, 0, sizeof *p);
    p->id = store_col_int(st, 0);
    p->device_id = store_col_null(st, 1) ? 0 : store_col_int(st, 1);
    p->unit_id = store_col_int(st, 2);
    copy(p->tag, sizeof p->tag, store_col_text(st, 3));
    copy(p->name, sizeof p->name, store_col_text(st, 4));
    copy(p->kind, sizeof p->kind, store_col_text(st, 5));
    copy(p->uom, sizeof p->uom, store_col_text(st, 6));
    p->range_low = store_col_opt_double(st, 7);
    p->range_high = store_col_opt_double(st, 8);
    p->resolution = store_col_opt_double(st, 9);
    p->exposure_limit = store_col_opt_double(st, 10);
    p->ll = store_col_opt_double(st, 11);
    p->l = store_col_opt_double(st, 12);
    p->h = store_col_opt_double(st, 13);
    p->hh = store_col_opt_double(st, 14);
    p->deadband = store_col_opt_double(st, 15);
    p->on_delay_ms = store_col_int(st, 16);
    p->active = store_col_int(st, 17) != 0;
    p->created_at = store_col_int(st, 18);
    p->updated_at = store_col_int(st, 19);
    copy(p->unit_path, sizeof p->unit_path, store_col_text(st, 20));
}

ws_err point_get(store_conn *c, int64_t id, point *p)
{
    return get_one(c, Q_POINT_GET, id, point_row, p, "point");
}

ws_err point_get_by_tag(store_conn *c, const char *tag, point *p)
{
    int64_t id = 0;
    ws_err rc = id_of(c, Q_POINT_BY_TAG, tag ? tag : "", &id);
    if (!rc && !id) return ws_fail(WS_ENOTFOUND, "tag", "no point with this tag");
    if (!rc) rc = point_get(c, id, p);
    return rc;
}

ws_err point_device_by_code(store_conn *c, const char *code, int64_t *id)
{
    ws_err rc = id_of(c, Q_DEVICE_BY_CODE, code ? code : "", id);
    if (!rc && !*id) return ws_fail(WS_ENOTFOUND, "code", "no device with this code");
    return rc;
}

ws_err point_list(store_conn *c, const point_filter *f, point **items, size_t *n, int64_t *next)
{
    return list_run(c, Q_POINT_LIST, f, true, point_row, sizeof **items, (void **)items, n,
                    next);
}

void point_defaults(point *p)
{
    bool none = isnan(p->ll) && isnan(p->l) && isnan(p->h) && isnan(p->hh);
    double db = NAN;
    if (!strcmp(p->kind, "combustible")) {
        /* GB/T 50493-2019 5.5.2: 一级 ≤ 25 %LEL, 二级 ≤ 50 %LEL */
        if (!p->uom[0]) copy(p->uom, sizeof p->uom, "%LEL");
        if (isnan(p->range_low) && isnan(p->range_high)) p->range_low = 0, p->range_high = 100;
        if (none) p->h = 25, p->hh = 50;
        db = 1;
    } else if (!strcmp(p->kind, "oxygen")) {
        /* deficiency 19.5 %VOL, enrichment 23.5 %VOL */
        if (!p->uom[0]) copy(p->uom, sizeof p->uom, "%VOL");
        if (isnan(p->range_low) && isnan(p->range_high)) p->range_low = 0, p->range_high = 30;
        if (none) p->l = 19.5, p->h = 23.5;
        db = 0.2;
    } else if (!strcmp(p->kind, "toxic") && isfinite(p->exposure_limit)) {
        /* 一级 ≤ 100 % of the exposure limit, 二级 ≤ 200 % */
        if (none) p->h = p->exposure_limit, p->hh = 2 * p->exposure_limit;
        db = 0.05 * p->exposure_limit;
    }
    if (isnan(p->deadband)) p->deadband = isnan(db) ? 0 : db;
}

static ws_err check_number(double v, const char *field, bool positive)
{
    if (isnan(v)) return WS_OK;
    if (!isfinite(v)) return ws_fail(WS_EINVAL, field, "%s must be a finite number", field);
    if (positive && v <= 0) return ws_fail(WS_EINVAL, field, "%s must be greater than 0", field);
    return WS_OK;
}

ws_err point_check(const point *p)
{
    ws_err rc;
    if (!point_tag_valid(p->tag))
        return ws_fail(WS_EINVAL, "tag", "tag must be 1 to %d ASCII letters, digits or _ . : / -",
                       POINT_TAG_MAX);
    if ((rc = point_text_check(p->name, "name", POINT_NAME_MAX, true, false))) return rc;
    if (!one_of(p->kind, point_kinds))
        return ws_fail(WS_EINVAL, "kind",
                       "kind must be combustible, toxic, oxygen, temperature, pressure, level, "
                       "flow, analysis, status or camera");
    if ((rc = point_text_check(p->uom, "uom", POINT_UOM_MAX, false, false))) return rc;
    if (!strcmp(p->kind, "combustible") && strcmp(p->uom, "%LEL"))
        return ws_fail(WS_EINVAL, "uom", "a combustible gas point measures %%LEL");
    if (!strcmp(p->kind, "oxygen") && strcmp(p->uom, "%VOL"))
        return ws_fail(WS_EINVAL, "uom", "an oxygen point measures %%VOL");
    if (!strcmp(p->kind, "toxic") && strcmp(p->uom, "ppm") && strcmp(p->uom, "mg/m³"))
        return ws_fail(WS_EINVAL, "uom", "a toxic gas point measures ppm or mg/m³");
    if ((rc = check_number(p->range_low, "range_low", false)) ||
        (rc = check_number(p->range_high, "range_high", false)) ||
        (rc = check_number(p->resolution, "resolution", true)) ||
        (rc = check_number(p->exposure_limit, "exposure_limit", true)))
        return rc;
    if (!isnan(p->range_low) && !isnan(p->range_high) && !(p->range_low < p->range_high))
        return ws_fail(WS_EINVAL, "range_high", "range_high must be above range_low");
    if (!strcmp(p->kind, "toxic") && isnan(p->exposure_limit))
        return ws_fail(WS_EINVAL, "exposure_limit",
                       "a toxic gas point needs its exposure limit (exposure_limit, in its uom): "
                       "its H and HH are 100 %% and 200 %% of it");
    if (isnan(p->deadband) || !isfinite(p->deadband) || p->deadband < 0)
        return ws_fail(WS_EINVAL, "deadband", "deadband must be a number >= 0");
    if (p->on_delay_ms < 0 || p->on_delay_ms > POINT_DELAY_MAX_MS)
        return ws_fail(WS_EINVAL, "on_delay_ms", "on_delay_ms must be 0 to %d", POINT_DELAY_MAX_MS);
    /* LL < L < H < HH where present, each inside the range. */
    const double v[4] = {p->ll, p->l, p->h, p->hh};
    static const char *const name[4] = {"ll", "l", "h", "hh"};
    static const char *const label[4] = {"LL", "L", "H", "HH"};
    int prev = -1;
    for (int i = 0; i < 4; i++) {
        if (isnan(v[i])) continue;
        if ((rc = check_number(v[i], name[i], false))) return rc;
        if (prev >= 0 && !(v[prev] < v[i]))
            return ws_fail(WS_EINVAL, name[i], "%s (%g) must be above %s (%g)", label[i], v[i],
                           label[prev], v[prev]);
        if (!isnan(p->range_low) && v[i] < p->range_low)
            return ws_fail(WS_EINVAL, name[i], "%s (%g) is below range_low (%g)", label[i], v[i],
                           p->range_low);
        if (!isnan(p->range_high) && v[i] > p->range_high)
            return ws_fail(WS_EINVAL, name[i], "%s (%g) is above range_high (%g)", label[i],
                           v[i], p->range_high);
        prev = i;
    }
    if (!strcmp(p->kind, "camera") && prev >= 0)
        return ws_fail(WS_EINVAL, name[prev], "a camera point has no limits");
    return WS_OK;
}

/* Lengths of what in sets, before anything is copied into fixed arrays. */
static ws_err point_lengths(const point_in *in, unsigned set)
{
    if ((set & POINT_SET_TAG) && !point_tag_valid(in->tag))
        return ws_fail(WS_EINVAL, "tag", "tag must be 1 to %d ASCII letters, digits or _ . : / -",
                       POINT_TAG_MAX);
    if ((set & POINT_SET_NAME) && in->name && strlen(in->name) > POINT_NAME_MAX)
        return ws_fail(WS_EINVAL, "name", "name is longer than %d bytes", POINT_NAME_MAX);
    if ((set & POINT_SET_KIND) && (!in->kind || strlen(in->kind) >= 16 || !one_of(in->kind, point_kinds)))
        return ws_fail(WS_EINVAL, "kind",
                       "kind must be combustible, toxic, oxygen, temperature, pressure, level, "
                       "flow, analysis, status or camera");
    if ((set & POINT_SET_UOM) && in->uom && strlen(in->uom) > POINT_UOM_MAX)
        return ws_fail(WS_EINVAL, "uom", "uom is longer than %d bytes", POINT_UOM_MAX);
    return WS_OK;
}

static void point_apply(point *p, const point_in *in, unsigned set)
{
    if (set & POINT_SET_DEVICE) p->device_id = in->device_id;
    if (set & POINT_SET_UNIT) p->unit_id = in->unit_id;
    if (set & POINT_SET_TAG) copy(p->tag, sizeof p->tag, in->tag);
    if (set & POINT_SET_NAME) copy(p->name, sizeof p->name, in->name);
    if (set & POINT_SET_KIND) copy(p->kind, sizeof p->kind, in->kind);
    if (set & POINT_SET_UOM) /* mg/m3 is how people type mg/m³ */
        copy(p->uom, sizeof p->uom, in->uom && !strcmp(in->uom, "mg/m3") ? "mg/m³" : in->uom);
    if (set & POINT_SET_RANGE_LOW) p->range_low = in->range_low;
    if (set & POINT_SET_RANGE_HIGH) p->range_high = in->range_high;
    if (set & POINT_SET_RESOLUTION) p->resolution = in->resolution;
    if (set & POINT_SET_EXPOSURE) p->exposure_limit = in->exposure_limit;
    if (set & POINT_SET_LL) p->ll = in->ll;
    if (set & POINT_SET_L) p->l = in->l;
    if (set & POINT_SET_H) p->h = in->h;
    if (set & POINT_SET_HH) p->hh = in->hh;
    if (set & POINT_SET_DEADBAND) p->deadband = in->deadband;
    if (set & POINT_SET_ON_DELAY) p->on_delay_ms = in->on_delay_ms;
    if (set & POINT_SET_ACTIVE) p->active = in->active;
}

/* Everything of p that needs the database: its device (same enterprise) and
 * a free tag. */
static ws_err point_refs(store_conn *c, const point *p, int64_t enterprise_id)
{
    if (p->device_id > 0) {
        point_device d;
        org_unit du;
        ws_err rc = point_device_get(c, p->device_id, &d);
        if (!rc) rc = org_unit_get(c, d.unit_id, &du);
        if (rc == WS_ENOTFOUND || (!rc && du.enterprise_id != enterprise_id))
            return ws_fail(WS_EINVAL, "device_id", "no such device in this enterprise (device_id)");
        if (rc) return rc;
    }
    int64_t other = 0;
    ws_err rc = id_of(c, Q_POINT_BY_TAG, p->tag, &other);
    if (!rc && other && other != p->id)
        rc = ws_fail(WS_ECONFLICT, "tag", "tag %s is already used by another point", p->tag);
    return rc;
}

static ws_err point_write(store_conn *c, const point *p, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    int k = insert ? 0 : 1;
    ws_err rc = store_prepare(c, insert ? Q_POINT_INSERT : Q_POINT_UPDATE, &st);
    if (!rc && !insert) rc = store_bind_int(st, 1, p->id);
    if (!rc) rc = store_bind_opt_int(st, k + 1, p->device_id);
    if (!rc) rc = store_bind_int(st, k + 2, p->unit_id);
    if (!rc) rc = store_bind_text(st, k + 3, p->tag);
    if (!rc) rc = store_bind_text(st, k + 4, p->name);
    if (!rc) rc = store_bind_text(st, k + 5, p->kind);
    if (!rc) rc = store_bind_opt_text(st, k + 6, p->uom);
    if (!rc) rc = store_bind_opt_double(st, k + 7, p->range_low);
    if (!rc) rc = store_bind_opt_double(st, k + 8, p->range_high);
    if (!rc) rc = store_bind_opt_double(st, k + 9, p->resolution);
    if (!rc) rc = store_bind_opt_double(st, k + 10, p->exposure_limit);
    if (!rc) rc = store_bind_opt_double(st, k + 11, p->ll);
    if (!rc) rc = store_bind_opt_double(st, k + 12, p->l);
    if (!rc) rc = store_bind_opt_double(st, k + 13, p->h);
    if (!rc) rc = store_bind_opt_double(st, k + 14, p->hh);
    if (!rc) rc = store_bind_double(st, k + 15, p->deadband);
    if (!rc) rc = store_bind_int(st, k + 16, p->on_delay_ms);
    if (!rc && !insert) rc = store_bind_int(st, 18, p->active);
    if (!rc) rc = store_bind_int(st, insert ? 17 : 19, clock_now_ms());
    if (!rc) rc = run(st, insert ? id : NULL, "tag");
    store_finalize(st);
    return rc;
}

ws_err point_create(store_conn *c, const org_caller *by, const point_in *in, int64_t *id)
{
    org_unit u;
    point p;
    bool own = false;
    memset(&p, 0, sizeof p);
    p.range_low = p.range_high = p.resolution = p.exposure_limit = NAN;
    p.ll = p.l = p.h = p.hh = p.deadband = NAN;
    ws_err rc = point_lengths(in, in->set | POINT_SET_TAG | POINT_SET_KIND);
    if (!rc) rc = row_unit(c, by, in->unit_id, &u);
    if (rc) return rc;
    point_apply(&p, in, in->set & ~(unsigned)POINT_SET_ACTIVE);
    p.unit_id = in->unit_id;
    p.active = true;
    point_defaults(&p);
    rc = point_check(&p);
    if (!rc) rc = point_refs(c, &p, u.enterprise_id);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = point_write(c, &p, true, id);
    if (!rc) rc = leaf(c, by, &POINT_ENTITY_POINT, *id, "create");
    return tx_end(c, own, rc);
}

ws_err point_writable(store_conn *c, const org_caller *by, int64_t id)
{
    point p;
    ws_err rc = point_get(c, id, &p);
    if (!rc) rc = allow(by, p.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such point");
    return rc;
}

ws_err point_update(store_conn *c, const org_caller *by, int64_t id, const point_in *in)
{
    point p;
    org_unit u;
    bool own = false;
    ws_err rc = point_lengths(in, in->set);
    if (!rc) rc = point_get(c, id, &p);
    if (!rc) rc = allow(by, p.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such point");
    if (rc) return rc;
    point_apply(&p, in, in->set);
    if (isnan(p.deadband)) p.deadband = 0;
    rc = (in->set & POINT_SET_UNIT) ? row_unit(c, by, p.unit_id, &u) : org_unit_get(c, p.unit_id, &u);
    if (!rc) rc = point_check(&p);
    if (!rc) rc = point_refs(c, &p, u.enterprise_id);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = point_write(c, &p, false, NULL);
    if (!rc) rc = leaf(c, by, &POINT_ENTITY_POINT, id, "update");
    return tx_end(c, own, rc);
}
