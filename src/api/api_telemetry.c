/* api_telemetry.c — the points (位号) and devices register over REST
 * (docs/internals/telemetry.md "Points and devices"):
 *
 *   GET/POST /api/v1/devices ?unit_id=&kind=&q=&active=    GET/PATCH /api/v1/devices/{id}
 *   GET/POST /api/v1/points ?unit_id=&device_id=&kind=&q=&active=
 *                                                          GET/PATCH /api/v1/points/{id}
 *   GET/PUT  /api/v1/points/{id}/location                  where the detector is (WGS-84)
 *   POST     /api/v1/imports/points ?dry_run=1             the register from CSV or XLSX
 *
 * Lists also answer ?format=xlsx|csv with the ledger (设备台账, 位号台账),
 * same filters and scope (api_ledger.h). Permissions: point.read (every role
 * in its scope) and point.write (admin, manager, safety_officer) on the
 * row's unit path; outside the scope 404. Limits and ranges are numbers or
 * null (none); a PATCH with "hh": null removes HH. Nothing is removed:
 * PATCH {"active": false} retires a row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "core/clock.h"
#include "core/log.h"
#include "telemetry/point.h"
#include "telemetry/response.h"
#include "telemetry/series.h"
#include "warn/warn.h"

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
        rc = auth_decide(&ctx->who, "point.read", &r);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such %s", what);
    return rc;
}

static json_t *num(double v) { return isnan(v) ? json_null() : json_real(v); }

/* The engine evaluates the register as changed (limits, maintenance mode). */
static void engine_reload(void)
{
    if (api_warn() && warn_reload_points(api_warn()))
        log_warn("the engine did not reload the point register", "detail", ws_err_message());
}

/* The list filter of the query string. */
static ws_err filter_of(api_ctx *ctx, point_filter *f)
{
    memset(f, 0, sizeof *f);
    f->scope_path = ctx->who.scope_path;
    ws_err rc = api_page(ctx, &f->limit, &f->cursor);
    if (!rc) rc = api_query_bool(ctx, "active", &f->active);
    if (!rc) rc = api_query_id(ctx, "unit_id", &f->unit_id);
    f->kind = api_query(ctx, "kind");
    f->q = api_query(ctx, "q");
    if (!rc && f->q && strlen(f->q) > 100)
        rc = ws_fail(WS_EINVAL, "q", "q is longer than 100 bytes");
    return rc;
}

/* "%g" of v into out, "" when none. */
static const char *numtxt(double v, char *out, size_t cap)
{
    if (isnan(v)) out[0] = 0;
    else snprintf(out, cap, "%.10g", v);
    return out;
}

/* ---------------------------------------------------------------- devices */

static json_t *device_json(const point_device *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(d->id));
    json_object_set_new(o, "unit_id", json_id(d->unit_id));
    json_object_set_new(o, "code", json_str(d->code));
    json_object_set_new(o, "name", json_str(d->name));
    json_object_set_new(o, "kind", json_str(d->kind));
    json_object_set_new(o, "vendor", d->vendor[0] ? json_str(d->vendor) : json_null());
    json_object_set_new(o, "model", d->model[0] ? json_str(d->model) : json_null());
    json_object_set_new(o, "protocol", json_str(d->protocol));
    json_object_set_new(o, "calibration_due",
                        d->calibration_due[0] ? json_str(d->calibration_due) : json_null());
    json_object_set_new(o, "maintenance_until", json_time(d->maintenance_until));
    json_object_set_new(o, "in_maintenance",
                        json_boolean(point_device_in_maintenance(d, clock_now_ms())));
    json_object_set_new(o, "active", json_boolean(d->active));
    json_object_set_new(o, "created_at", json_time(d->created_at));
    json_object_set_new(o, "updated_at", json_time(d->updated_at));
    return o;
}

typedef struct {
    int64_t unit_id;
    const char *code, *name, *kind, *vendor, *model, *protocol, *calibration_due;
    int64_t maintenance_until;
    bool active;
} device_body;

/* Same order as the POINT_DSET_* bits. REQ: required on creation. */
#define DEVICE_FIELDS(REQ)                                                                        \
    {"unit_id", JF_ID, REQ, false, offsetof(device_body, unit_id), 0, 0, 0, -1},                  \
    {"code", JF_STRING, REQ, false, offsetof(device_body, code), POINT_CODE_MAX, 0, 0, -1},       \
    {"name", JF_STRING, REQ, false, offsetof(device_body, name), POINT_NAME_MAX, 0, 0, -1},       \
    {"kind", JF_STRING, REQ, false, offsetof(device_body, kind), 15, 0, 0, -1},                   \
    {"vendor", JF_STRING, false, true, offsetof(device_body, vendor), POINT_VENDOR_MAX, 0, 0, -1}, \
    {"model", JF_STRING, false, true, offsetof(device_body, model), POINT_VENDOR_MAX, 0, 0, -1},  \
    {"protocol", JF_STRING, REQ, false, offsetof(device_body, protocol), 15, 0, 0, -1},           \
    {"calibration_due", JF_STRING, false, true, offsetof(device_body, calibration_due), 10, 0, 0, \
     -1},                                                                                        \
    {"maintenance_until", JF_TIME, false, true, offsetof(device_body, maintenance_until), 0, 0, 0, \
     -1}
static const json_field device_fields[] = {DEVICE_FIELDS(true)};
#define N_DEVICE (sizeof device_fields / sizeof device_fields[0])
static const json_field device_patch_fields[] = {
    DEVICE_FIELDS(false),
    {"active", JF_BOOL, false, false, offsetof(device_body, active), 0, 0, 0, -1},
};
#define N_DEVICE_PATCH (sizeof device_patch_fields / sizeof device_patch_fields[0])

static point_device_in device_in(const device_body *b, unsigned set)
{
    point_device_in in = {.set = set, .unit_id = b->unit_id, .code = b->code, .name = b->name,
                          .kind = b->kind, .vendor = b->vendor, .model = b->model,
                          .protocol = b->protocol, .calibration_due = b->calibration_due,
                          .maintenance_until = b->maintenance_until, .active = b->active};
    return in;
}

static ws_err reply_device(api_ctx *ctx, int status, int64_t id)
{
    point_device d;
    ws_err rc = point_device_get(ctx->conn, id, &d);
    if (rc) return rc;
    return api_reply_json(ctx, status, device_json(&d));
}

static const char *device_kind_zh(const char *k)
{
    if (!strcmp(k, "gas_detector")) return "气体探测器";
    if (!strcmp(k, "plc")) return "PLC";
    if (!strcmp(k, "dcs")) return "DCS";
    if (!strcmp(k, "camera")) return "摄像机";
    if (!strcmp(k, "other")) return "其他";
    return k;
}

static const ledger_col device_ledger_cols[] = {
    {"设备编码", LEDGER_TEXT, 16}, {"设备名称", LEDGER_TEXT, 28}, {"类型", LEDGER_TEXT, 12},
    {"厂家", LEDGER_TEXT, 16},     {"型号", LEDGER_TEXT, 14},     {"通信协议", LEDGER_TEXT, 10},
    {"所属单位", LEDGER_TEXT, 24}, {"检定到期", LEDGER_TEXT, 12}, {"维护至", LEDGER_TIME, 18},
    {"状态", LEDGER_TEXT, 8},      {"创建时间", LEDGER_TIME, 18},
};
static const ledger_spec device_ledger = {"设备台账", NULL, true, device_ledger_cols, 11, 0};

static ws_err devices_export(api_ctx *ctx, point_filter *f, ledger_format fmt)
{
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    point_device *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    ws_err rc = names ? ledger_open(&device_ledger, fmt, &l) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    f->limit = API_LEDGER_PAGE;
    f->cursor = 0;
    do {
        if (!rc) rc = point_device_list(ctx->conn, f, &items, &n, &next);
        for (size_t i = 0; !rc && i < n; i++) {
            const point_device *d = &items[i];
            const char *tz = NULL;
            const char *unit = api_unit_name(names, d->unit_id, &tz);
            rc = ledger_text(l, d->code);
            if (!rc) rc = ledger_text(l, d->name);
            if (!rc) rc = ledger_text(l, device_kind_zh(d->kind));
            if (!rc) rc = ledger_text(l, d->vendor);
            if (!rc) rc = ledger_text(l, d->model);
            if (!rc) rc = ledger_text(l, d->protocol);
            if (!rc) rc = ledger_text(l, unit);
            if (!rc) rc = ledger_text(l, d->calibration_due);
            if (!rc) rc = ledger_time(l, d->maintenance_until, tz);
            if (!rc) rc = ledger_text(l, d->active ? "在用" : "已停用");
            if (!rc) rc = ledger_time(l, d->created_at, tz);
            if (!rc) rc = ledger_row_end(l);
        }
        free(items);
        items = NULL;
        f->cursor = next;
    } while (!rc && next > 0);
    return api_ledger_finish(ctx, &device_ledger, fmt, l, names, rc);
}

static ws_err devices_list(api_ctx *ctx)
{
    point_filter f;
    ledger_format fmt;
    bool file = false;
    ws_err rc = filter_of(ctx, &f);
    if (!rc) rc = api_ledger_format(ctx, &fmt, &file);
    if (rc) return rc;
    if (file) return devices_export(ctx, &f, fmt);
    point_device *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = point_device_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, device_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err devices_create(api_ctx *ctx)
{
    device_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, device_fields, N_DEVICE, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    point_device_in in = device_in(&b, ~0u);
    int64_t id = 0;
    rc = point_device_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    /* no reload: a new device has no points yet (they name it after) */
    return reply_device(ctx, 201, id);
}

static ws_err devices_get(api_ctx *ctx)
{
    point_device d;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = point_device_get(ctx->conn, id, &d);
    rc = can_read(ctx, rc, d.unit_path, "device");
    if (rc) return rc;
    return api_reply_json(ctx, 200, device_json(&d));
}

static ws_err devices_patch(api_ctx *ctx)
{
    point_device d;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = point_device_get(ctx->conn, id, &d);
    rc = can_read(ctx, rc, d.unit_path, "device");
    if (rc) return rc;
    device_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, device_patch_fields, N_DEVICE_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    point_device_in in = device_in(&b, (unsigned)present);
    rc = point_device_update(ctx->conn, &by, id, &in);
    json_decref(root);
    if (rc) return rc;
    engine_reload();
    return reply_device(ctx, 200, id);
}

/* ----------------------------------------------------------------- points */

/* POST /api/v1/imports/points: the register from a file; one engine reload
 * for the whole file. */
static ws_err points_import(api_ctx *ctx)
{
    bool applied = false;
    ws_err rc = api_import_run(ctx, point_import, &applied);
    if (applied) engine_reload();
    return rc;
}

static json_t *point_json(const point *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(p->id));
    json_object_set_new(o, "device_id", json_id(p->device_id));
    json_object_set_new(o, "unit_id", json_id(p->unit_id));
    json_object_set_new(o, "tag", json_str(p->tag));
    json_object_set_new(o, "name", json_str(p->name));
    json_object_set_new(o, "kind", json_str(p->kind));
    json_object_set_new(o, "uom", p->uom[0] ? json_str(p->uom) : json_null());
    json_object_set_new(o, "range_low", num(p->range_low));
    json_object_set_new(o, "range_high", num(p->range_high));
    json_object_set_new(o, "resolution", num(p->resolution));
    json_object_set_new(o, "exposure_limit", num(p->exposure_limit));
    json_object_set_new(o, "ll", num(p->ll));
    json_object_set_new(o, "l", num(p->l));
    json_object_set_new(o, "h", num(p->h));
    json_object_set_new(o, "hh", num(p->hh));
    json_object_set_new(o, "deadband", num(p->deadband));
    json_object_set_new(o, "on_delay_ms", json_integer(p->on_delay_ms));
    json_object_set_new(o, "active", json_boolean(p->active));
    json_object_set_new(o, "created_at", json_time(p->created_at));
    json_object_set_new(o, "updated_at", json_time(p->updated_at));
    return o;
}

typedef struct {
    int64_t device_id, unit_id;
    const char *tag, *name, *kind, *uom;
    double range_low, range_high, resolution, exposure_limit, ll, l, h, hh, deadband;
    int64_t on_delay_ms;
    bool active;
} point_body;

#define NUMF(n, m) {n, JF_NUMBER, false, true, offsetof(point_body, m), 0, 0, 0, -1}
/* Same order as the POINT_SET_* bits. REQ: required on creation. */
#define POINT_FIELDS(REQ)                                                                         \
    {"device_id", JF_ID, false, true, offsetof(point_body, device_id), 0, 0, 0, -1},              \
    {"unit_id", JF_ID, REQ, false, offsetof(point_body, unit_id), 0, 0, 0, -1},                   \
    {"tag", JF_STRING, REQ, false, offsetof(point_body, tag), POINT_TAG_MAX, 0, 0, -1},           \
    {"name", JF_STRING, REQ, false, offsetof(point_body, name), POINT_NAME_MAX, 0, 0, -1},        \
    {"kind", JF_STRING, REQ, false, offsetof(point_body, kind), 15, 0, 0, -1},                    \
    {"uom", JF_STRING, false, true, offsetof(point_body, uom), POINT_UOM_MAX, 0, 0, -1},          \
    NUMF("range_low", range_low), NUMF("range_high", range_high), NUMF("resolution", resolution), \
    NUMF("exposure_limit", exposure_limit), NUMF("ll", ll), NUMF("l", l), NUMF("h", h),          \
    NUMF("hh", hh),                                                                               \
    {"deadband", JF_NUMBER, false, false, offsetof(point_body, deadband), 0, 0, 0, -1},          \
    {"on_delay_ms", JF_INT, false, false, offsetof(point_body, on_delay_ms), 0, 0,                \
     POINT_DELAY_MAX_MS, -1}
static const json_field point_fields[] = {POINT_FIELDS(true)};
#define N_POINT (sizeof point_fields / sizeof point_fields[0])
static const json_field point_patch_fields[] = {
    POINT_FIELDS(false),
    {"active", JF_BOOL, false, false, offsetof(point_body, active), 0, 0, 0, -1},
};
#define N_POINT_PATCH (sizeof point_patch_fields / sizeof point_patch_fields[0])

/* A number field: NaN when absent or null (none). */
static double numf(const json_t *root, const char *name, double v)
{
    const json_t *x = json_object_get(root, name);
    return !x || json_is_null(x) ? NAN : v;
}

static point_in point_in_of(const point_body *b, const json_t *root, unsigned set)
{
    point_in in = {.set = set, .device_id = b->device_id, .unit_id = b->unit_id, .tag = b->tag,
                   .name = b->name, .kind = b->kind, .uom = b->uom,
                   .range_low = numf(root, "range_low", b->range_low),
                   .range_high = numf(root, "range_high", b->range_high),
                   .resolution = numf(root, "resolution", b->resolution),
                   .exposure_limit = numf(root, "exposure_limit", b->exposure_limit),
                   .ll = numf(root, "ll", b->ll), .l = numf(root, "l", b->l),
                   .h = numf(root, "h", b->h), .hh = numf(root, "hh", b->hh),
                   .deadband = numf(root, "deadband", b->deadband),
                   .on_delay_ms = b->on_delay_ms, .active = b->active};
    return in;
}

static ws_err reply_point(api_ctx *ctx, int status, int64_t id)
{
    point p;
    ws_err rc = point_get(ctx->conn, id, &p);
    if (rc) return rc;
    return api_reply_json(ctx, status, point_json(&p));
}

static const ledger_col point_ledger_cols[] = {
    {"位号", LEDGER_TEXT, 18},       {"名称", LEDGER_TEXT, 28},       {"类型", LEDGER_TEXT, 10},
    {"计量单位", LEDGER_TEXT, 10},   {"量程下限", LEDGER_TEXT, 10},   {"量程上限", LEDGER_TEXT, 10},
    {"分辨率", LEDGER_TEXT, 8},      {"接触限值", LEDGER_TEXT, 10},   {"低低限(LL)", LEDGER_TEXT, 10},
    {"低限(L)", LEDGER_TEXT, 10},    {"高限(H)", LEDGER_TEXT, 10},    {"高高限(HH)", LEDGER_TEXT, 10},
    {"回差", LEDGER_TEXT, 8},        {"报警延时(毫秒)", LEDGER_INT, 12}, {"所属单位", LEDGER_TEXT, 24},
    {"单位编码", LEDGER_TEXT, 12},   {"设备编码", LEDGER_TEXT, 16},   {"状态", LEDGER_TEXT, 8},
    {"处置措施", LEDGER_TEXT, 40},   {"响应时限(分钟)", LEDGER_TEXT, 12}, {"可能原因", LEDGER_TEXT, 24},
    {"后果", LEDGER_TEXT, 24},       {"创建时间", LEDGER_TIME, 18},
};
/* The same columns come back in through POST /api/v1/imports/points
 * (the response card's four as well: telemetry/response.h). */
static const ledger_spec point_ledger = {"位号台账", NULL, true, point_ledger_cols,
                                         sizeof point_ledger_cols / sizeof point_ledger_cols[0], 0};

static ws_err points_export(api_ctx *ctx, point_filter *f, ledger_format fmt)
{
    ledger *l = NULL;
    point_response *card = malloc(sizeof *card); /* a few KiB: not on the request's stack */
    api_names *names = card ? api_names_new(ctx->conn) : NULL;
    point *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    ws_err rc = names ? ledger_open(&point_ledger, fmt, &l) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    f->limit = API_LEDGER_PAGE;
    f->cursor = 0;
    int64_t dev_id = 0, unit_id = 0;
    char dev_code[POINT_CODE_MAX + 1] = "", unit_code[ORG_CODE_MAX + 1] = "";
    do {
        if (!rc) rc = point_list(ctx->conn, f, &items, &n, &next);
        for (size_t i = 0; !rc && i < n; i++) {
            const point *p = &items[i];
            const char *tz = NULL;
            const char *unit = api_unit_name(names, p->unit_id, &tz);
            char t[32];
            if (p->device_id != dev_id) { /* points of a device come in runs, mostly */
                point_device d;
                dev_id = p->device_id;
                dev_code[0] = 0;
                if (dev_id > 0 && !point_device_get(ctx->conn, dev_id, &d))
                    snprintf(dev_code, sizeof dev_code, "%s", d.code);
            }
            if (p->unit_id != unit_id) {
                org_unit u;
                unit_id = p->unit_id;
                unit_code[0] = 0;
                if (!org_unit_get(ctx->conn, unit_id, &u)) snprintf(unit_code, sizeof unit_code, "%s", u.code);
            }
            rc = ledger_text(l, p->tag);
            if (!rc) rc = ledger_text(l, p->name);
            if (!rc) rc = ledger_text(l, point_kind_zh(p->kind));
            if (!rc) rc = ledger_text(l, p->uom);
            if (!rc) rc = ledger_text(l, numtxt(p->range_low, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->range_high, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->resolution, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->exposure_limit, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->ll, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->l, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->h, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->hh, t, sizeof t));
            if (!rc) rc = ledger_text(l, numtxt(p->deadband, t, sizeof t));
            if (!rc) rc = ledger_int(l, p->on_delay_ms);
            if (!rc) rc = ledger_text(l, unit);
            if (!rc) rc = ledger_text(l, unit_code);
            if (!rc) rc = ledger_text(l, dev_code);
            if (!rc) rc = ledger_text(l, p->active ? "在用" : "已停用");
            /* its response card, or four empty cells */
            ws_err had = rc ? rc : point_response_get(ctx->conn, p->id, card);
            if (had == WS_ENOTFOUND) card->point_id = 0, ws_err_clear();
            else if (had) rc = had;
            bool has = !rc && card->point_id;
            char mins[16] = "";
            if (has) snprintf(mins, sizeof mins, "%d", card->response_min);
            if (!rc) rc = ledger_text(l, has ? card->action : "");
            if (!rc) rc = ledger_text(l, mins);
            if (!rc) rc = ledger_text(l, has ? card->cause : "");
            if (!rc) rc = ledger_text(l, has ? card->consequence : "");
            if (!rc) rc = ledger_time(l, p->created_at, tz);
            if (!rc) rc = ledger_row_end(l);
        }
        free(items);
        items = NULL;
        f->cursor = next;
    } while (!rc && next > 0);
    free(card);
    return api_ledger_finish(ctx, &point_ledger, fmt, l, names, rc);
}

static ws_err points_list(api_ctx *ctx)
{
    point_filter f;
    ledger_format fmt;
    bool file = false;
    ws_err rc = filter_of(ctx, &f);
    if (!rc) rc = api_query_id(ctx, "device_id", &f.device_id);
    if (!rc) rc = api_ledger_format(ctx, &fmt, &file);
    if (rc) return rc;
    if (file) return points_export(ctx, &f, fmt);
    point *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    rc = point_list(ctx->conn, &f, &items, &n, &next);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, point_json(&items[i]));
    free(items);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

static ws_err points_create(api_ctx *ctx)
{
    point_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, point_fields, N_POINT, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    point_in in = point_in_of(&b, root, (unsigned)present);
    int64_t id = 0;
    rc = point_create(ctx->conn, &by, &in, &id);
    json_decref(root);
    if (rc) return rc;
    if (api_warn() && warn_add_point(api_warn(), id))
        log_warn("the engine did not take the new point", "detail", ws_err_message());
    return reply_point(ctx, 201, id);
}

static ws_err points_get(api_ctx *ctx)
{
    point p;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = point_get(ctx->conn, id, &p);
    rc = can_read(ctx, rc, p.unit_path, "point");
    if (rc) return rc;
    return api_reply_json(ctx, 200, point_json(&p));
}

static ws_err points_location_get(api_ctx *ctx)
{
    point p;
    point_location l;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = point_get(ctx->conn, id, &p);
    rc = can_read(ctx, rc, p.unit_path, "point");
    if (!rc) rc = point_location_get(ctx->conn, id, &l);
    if (rc) return rc;
    return api_reply_json(ctx, 200, json_pack("{s:I, s:f, s:f, s:o, s:o}", "point_id", (json_int_t)id, "lat", l.lat,
                                              "lon", l.lon, "note", json_str(l.note[0] ? l.note : NULL),
                                              "updated_at", json_time(l.updated_at)));
}

typedef struct location_body {
    double lat, lon;
    const char *note;
} location_body;
static const json_field location_fields[] = {
    {"lat", JF_NUMBER, true, false, offsetof(location_body, lat), 0, 0, 0, -1},
    {"lon", JF_NUMBER, true, false, offsetof(location_body, lon), 0, 0, 0, -1},
    {"note", JF_STRING, false, true, offsetof(location_body, note), POINT_NAME_MAX, 0, 0, -1},
};

static ws_err points_location_put(api_ctx *ctx)
{
    int64_t id;
    location_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, location_fields, 3, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    rc = point_location_set(ctx->conn, &by, id, b.lat, b.lon, b.note);
    json_decref(root);
    return rc ? rc : points_location_get(ctx);
}

/* The alarm response card (报警处置卡) as JSON. */
json_t *api_response_json(const point_response *r)
{
    return json_pack("{s:I, s:o, s:o, s:s, s:i, s:o, s:o}", "point_id", (json_int_t)r->point_id, "cause",
                     json_str(r->cause[0] ? r->cause : NULL), "consequence",
                     json_str(r->consequence[0] ? r->consequence : NULL), "action", r->action, "response_min",
                     r->response_min, "updated_by_person_id", json_id(r->updated_by_person_id), "updated_at",
                     json_time(r->updated_at));
}

static ws_err points_response_get(api_ctx *ctx)
{
    point p;
    point_response r;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = point_get(ctx->conn, id, &p);
    rc = can_read(ctx, rc, p.unit_path, "point");
    if (!rc) rc = point_response_get(ctx->conn, id, &r);
    if (rc) return rc;
    return api_reply_json(ctx, 200, api_response_json(&r));
}

typedef struct response_body {
    const char *cause, *consequence, *action;
    int64_t response_min;
} response_body;

static const json_field response_fields[] = {
    {"cause", JF_STRING, false, true, offsetof(response_body, cause), RESPONSE_TEXT_MAX, 0, 0, -1},
    {"consequence", JF_STRING, false, true, offsetof(response_body, consequence), RESPONSE_TEXT_MAX, 0, 0, -1},
    {"action", JF_STRING, true, false, offsetof(response_body, action), RESPONSE_ACTION_MAX, 0, 0, -1},
    {"response_min", JF_INT, true, false, offsetof(response_body, response_min), 0, 1, RESPONSE_MIN_MAX, -1},
};
#define N_RESPONSE (sizeof response_fields / sizeof response_fields[0])

static ws_err points_response_put(api_ctx *ctx)
{
    int64_t id;
    response_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = api_decode(ctx, response_fields, N_RESPONSE, &b, NULL, &root);
    if (rc) return rc;
    CALLER;
    point_response_in in = {b.cause, b.consequence, b.action, b.response_min};
    bool written = false;
    rc = point_response_put(ctx->conn, &by, id, &in, &written);
    json_decref(root);
    if (written) engine_reload(); /* the escalation of the point's alarms follows the card */
    return rc ? rc : points_response_get(ctx);
}

#define HISTORY_MAX_POINTS 2000
#define HISTORY_MAX_SPAN (400LL * 86400000LL)

/* A point's history for charts: at most max_points samples (raw readings,
 * or minute/hour buckets with min, max, avg, last) over [from, to). */
static ws_err points_history(api_ctx *ctx)
{
    point p;
    int64_t id, now = clock_now_ms(), from, to, max = 500;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = point_get(ctx->conn, id, &p);
    rc = can_read(ctx, rc, p.unit_path, "point");
    if (!rc) rc = api_query_time(ctx, "to", now, &to);
    if (!rc) rc = api_query_time(ctx, "from", to - 86400000LL, &from);
    if (rc) return rc;
    const char *m = api_query(ctx, "max_points");
    if (m) {
        char *end;
        long long v = strtoll(m, &end, 10);
        if (*end || v < 1 || v > HISTORY_MAX_POINTS)
            return ws_fail(WS_EINVAL, "max_points", "max_points must be 1..%d", HISTORY_MAX_POINTS);
        max = v;
    }
    if (from >= to) return ws_fail(WS_EINVAL, "from", "from must be before to");
    if (to - from > HISTORY_MAX_SPAN) return ws_fail(WS_EINVAL, "from", "at most 400 days at once");
    struct series *s = api_series();
    if (!s) return ws_fail(WS_ESTORE, NULL, "the series store is not open");
    series_sample *out = calloc((size_t)max, sizeof *out);
    if (!out) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    size_t n = 0;
    series_history_info info = {0};
    rc = series_history(s, id, from, to, (size_t)max, out, &n, &info);
    if (rc) {
        free(out);
        return rc;
    }
    static const char *const tiers[] = {"raw", "1m", "1h"};
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        char t[40];
        json_t *o = json_object();
        json_object_set_new(o, "t", json_string(clock_format_rfc3339(out[i].t, t, sizeof t)));
        json_object_set_new(o, "n", json_integer(out[i].n));
        json_object_set_new(o, "min", num(out[i].n ? out[i].min : NAN));
        json_object_set_new(o, "max", num(out[i].n ? out[i].max : NAN));
        json_object_set_new(o, "avg", num(out[i].n ? out[i].avg : NAN));
        json_object_set_new(o, "last", num(out[i].n ? out[i].last : NAN));
        json_array_append_new(items, o);
    }
    free(out);
    json_t *r = json_object();
    json_object_set_new(r, "point_id", json_integer(id));
    json_object_set_new(r, "tag", json_string(p.tag));
    json_object_set_new(r, "uom", json_string(p.uom));
    json_object_set_new(r, "tier", json_string(tiers[info.tier]));
    json_object_set_new(r, "width_ms", json_integer(info.width_ms));
    json_object_set_new(r, "items", items);
    return api_reply_json(ctx, 200, r);
}

static ws_err points_patch(api_ctx *ctx)
{
    point p;
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = point_get(ctx->conn, id, &p);
    rc = can_read(ctx, rc, p.unit_path, "point");
    if (rc) return rc;
    point_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    rc = api_decode(ctx, point_patch_fields, N_POINT_PATCH, &b, &present, &root);
    if (rc) return rc;
    CALLER;
    point_in in = point_in_of(&b, root, (unsigned)present);
    rc = point_update(ctx->conn, &by, id, &in);
    json_decref(root);
    if (rc) return rc;
    engine_reload();
    return reply_point(ctx, 200, id);
}

/* ----------------------------------------------------------------- routes */

#define R(m, p, fn, act, sum, body, nbody) {m, p, fn, API_AUTH, act, sum, "telemetry", body, nbody, 0}
const api_route api_telemetry_routes[] = {
    R("GET", "/api/v1/devices", devices_list, "point.read",
      "Devices (gas detectors, PLC, DCS, cameras) in the caller's scope (?unit_id= subtree, "
      "&kind=, &q= code or name, &active=); ?format=xlsx|csv gives the 设备台账", NULL, 0),
    R("POST", "/api/v1/devices", devices_create, "point.write",
      "Create a device: code (unique), kind, protocol, calibration due date, maintenance mode "
      "until a time", device_fields, N_DEVICE),
    R("GET", "/api/v1/devices/{id}", devices_get, "point.read", "One device", NULL, 0),
    R("PATCH", "/api/v1/devices/{id}", devices_patch, "point.write",
      "Change a device (e.g. maintenance_until); {\"active\":false} retires it",
      device_patch_fields, N_DEVICE_PATCH),
    R("GET", "/api/v1/points", points_list, "point.read",
      "Points (位号) in the caller's scope (?unit_id= subtree, &device_id=, &kind=, &q= tag or "
      "name, &active=); ?format=xlsx|csv gives the 位号台账", NULL, 0),
    R("POST", "/api/v1/points", points_create, "point.write",
      "Create a point: tag (unique), kind, range, resolution, LL/L/H/HH limits with deadband "
      "and on-delay; gas points without limits get the GB/T 50493-2019 defaults (toxic: "
      "exposure_limit required)", point_fields, N_POINT),
    R("GET", "/api/v1/points/{id}", points_get, "point.read", "One point with its limits", NULL,
      0),
    R("GET", "/api/v1/points/{id}/history", points_history, "point.read",
      "A point's readings for charts: ?from, to (RFC 3339; default the last 24 h), max_points "
      "(1..2000, default 500) — raw readings or minute/hour buckets with min, max, avg, last",
      NULL, 0),
    R("GET", "/api/v1/points/{id}/location", points_location_get, "point.read",
      "Where the detector is installed (WGS-84 lat, lon); 404 naming location when not set", NULL, 0),
    R("PUT", "/api/v1/points/{id}/location", points_location_put, "point.write",
      "Set where the detector is installed: lat, lon (WGS-84 degrees), note — special-work permits "
      "link the gas detectors within their radius", location_fields, 3),
    R("GET", "/api/v1/points/{id}/response", points_response_get, "point.read",
      "The point's alarm response card (报警处置卡): likely cause, consequence, action, the minutes "
      "within which to act; 404 naming response when it has none", NULL, 0),
    R("PUT", "/api/v1/points/{id}/response", points_response_put, "point.write",
      "Write the point's alarm response card: action (required, lines allowed), response_min "
      "(1..1440), cause and consequence (may be null); shown with the point's alarms and in the "
      "duty messages", response_fields, N_RESPONSE),
    R("PATCH", "/api/v1/points/{id}", points_patch, "point.write",
      "Change a point; a limit set to null is removed; limits stay strictly ordered LL < L < H "
      "< HH within the range", point_patch_fields, N_POINT_PATCH),
    {"POST", "/api/v1/imports/points", points_import, API_AUTH, "import.run",
     "Import the point register (位号台账) from CSV (UTF-8 or GBK) or XLSX: 位号, 名称, 类型, 单位编码, "
     "limits, …; a known tag updates its point; all or nothing, every bad row listed; ?dry_run=1",
     "imports", NULL, 0, ORG_IMPORT_MAX_BYTES},
};
const size_t api_telemetry_nroutes = sizeof api_telemetry_routes / sizeof api_telemetry_routes[0];
