/* point.h — the register of points (位号) and devices: what the early-warning
 * engine evaluates. A device is a field instrument or system (gas detector,
 * PLC, DCS, camera) on an org unit; a point is one measured quantity with its
 * tag, kind, unit of measure, range, sensor resolution and LL/L/H/HH limits
 * with a deadband and an on-delay, optionally on a device.
 *
 * How it fits: telemetry sits on store (named queries in store/q_telemetry.c),
 * audit (every write appends a leaf in its transaction), auth (auth_decide on
 * the row's unit path: "point.read", "point.write") and org (units,
 * org_caller). api/api_telemetry.c turns these structs into JSON. The alarm
 * wiring (next step of issue 4) builds a thr_config of alarm/threshold.h from
 * a point's limits; this module may not include alarm headers (same layer),
 * so it checks limits itself (point_limits_check) with the stricter rule the
 * register needs.
 *
 * GB/T 50493-2019 defaults (docs/internals/telemetry.md "Points and
 * devices"), applied when a gas point is created without any of LL/L/H/HH,
 * stored as ordinary, editable limits:
 *   combustible %LEL: H 25 (一级), HH 50 (二级), deadband 1, range 0..100
 *   oxygen %VOL:      L 19.5, H 23.5, deadband 0.2, range 0..30
 *   toxic:            H = 100 %, HH = 200 % of exposure_limit (required for
 *                     every toxic point), deadband 5 % of it
 *
 * Invariants (asserted by tests/unit/test_points.c):
 *  1. Limits present are strictly ordered LL < L < H < HH and lie within the
 *     range; a refusal names the field (ll, l, h, hh, range_high, ...).
 *  2. A toxic point always has an exposure limit > 0.
 *  3. Tags and device codes are unique across the install (ingest finds a
 *     point by its tag alone): a duplicate is WS_ECONFLICT naming it.
 *  4. Every change has its audit leaf in the same transaction. */
#ifndef WS_TELEMETRY_POINT_H
#define WS_TELEMETRY_POINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "org/org.h"
#include "store/store.h"

#define POINT_TAG_MAX 63
#define POINT_CODE_MAX 63
#define POINT_NAME_MAX 200
#define POINT_VENDOR_MAX 100
#define POINT_UOM_MAX 15
#define POINT_DELAY_MAX_MS 86400000

extern const audit_entity POINT_ENTITY_DEVICE; /* "device" */
extern const audit_entity POINT_ENTITY_POINT;  /* "point" */

/* Register the audited entities (idempotent). */
ws_err point_init(void);

/* ---------------------------------------------------------------- devices */

typedef struct point_device {
    int64_t id, unit_id;
    char code[POINT_CODE_MAX + 1];
    char name[POINT_NAME_MAX + 1];
    char kind[16];     /* gas_detector, plc, dcs, camera, other */
    char vendor[POINT_VENDOR_MAX + 1];
    char model[POINT_VENDOR_MAX + 1];
    char protocol[16]; /* http, mqtt, modbus, camera */
    char calibration_due[11];  /* YYYY-MM-DD, "" none */
    int64_t maintenance_until; /* ms UTC, 0 none: readings recorded, nobody paged */
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} point_device;

/* Bits of point_device_in.set, in the API's field order. */
enum {
    POINT_DSET_UNIT = 1u << 0, POINT_DSET_CODE = 1u << 1, POINT_DSET_NAME = 1u << 2,
    POINT_DSET_KIND = 1u << 3, POINT_DSET_VENDOR = 1u << 4, POINT_DSET_MODEL = 1u << 5,
    POINT_DSET_PROTOCOL = 1u << 6, POINT_DSET_CAL = 1u << 7, POINT_DSET_MAINT = 1u << 8,
    POINT_DSET_ACTIVE = 1u << 9,
};

typedef struct point_device_in {
    unsigned set; /* updates: which fields apply; create uses all */
    int64_t unit_id;
    const char *code, *name, *kind, *vendor, *model, *protocol, *calibration_due;
    int64_t maintenance_until; /* 0 = none */
    bool active;
} point_device_in;

/* Permission: point.write on the unit (outside the scope WS_ENOTFOUND naming
 * unit_id). Refusals name the field. */
ws_err point_device_create(store_conn *c, const org_caller *by, const point_device_in *in,
                           int64_t *id);
ws_err point_device_update(store_conn *c, const org_caller *by, int64_t id,
                           const point_device_in *in);
/* Read one (no permission check: callers decide on unit_path). */
ws_err point_device_get(store_conn *c, int64_t id, point_device *d);
/* Whether readings of the device at now_ms are maintenance/calibration
 * readings (recorded, never paged). */
bool point_device_in_maintenance(const point_device *d, int64_t now_ms);

typedef struct point_filter {
    const char *scope_path; /* rows whose unit path starts with this */
    int64_t unit_id;        /* subtree; 0 any */
    int64_t device_id;      /* points only; 0 any */
    const char *kind;       /* NULL any */
    const char *q;          /* in tag/code (case-insensitive) or name; NULL any */
    int active;             /* -1 any, 0, 1 */
    int64_t cursor;
    int limit;              /* 1..200, default 50 */
} point_filter;
/* Pages ordered by id; caller frees *items. */
ws_err point_device_list(store_conn *c, const point_filter *f, point_device **items, size_t *n,
                         int64_t *next);

/* ----------------------------------------------------------------- points */

typedef struct point {
    int64_t id, device_id, unit_id; /* device_id 0: none */
    char tag[POINT_TAG_MAX + 1];
    char name[POINT_NAME_MAX + 1];
    char kind[16]; /* combustible, toxic, oxygen, temperature, pressure, level, flow,
                      analysis (在线分析: a composition), status, camera */
    char uom[POINT_UOM_MAX + 1];
    /* NaN = none */
    double range_low, range_high, resolution, exposure_limit;
    double ll, l, h, hh;
    double deadband;     /* >= 0, engineering units */
    int64_t on_delay_ms; /* 0 .. POINT_DELAY_MAX_MS */
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} point;

enum {
    POINT_SET_DEVICE = 1u << 0, POINT_SET_UNIT = 1u << 1, POINT_SET_TAG = 1u << 2,
    POINT_SET_NAME = 1u << 3, POINT_SET_KIND = 1u << 4, POINT_SET_UOM = 1u << 5,
    POINT_SET_RANGE_LOW = 1u << 6, POINT_SET_RANGE_HIGH = 1u << 7,
    POINT_SET_RESOLUTION = 1u << 8, POINT_SET_EXPOSURE = 1u << 9, POINT_SET_LL = 1u << 10,
    POINT_SET_L = 1u << 11, POINT_SET_H = 1u << 12, POINT_SET_HH = 1u << 13,
    POINT_SET_DEADBAND = 1u << 14, POINT_SET_ON_DELAY = 1u << 15, POINT_SET_ACTIVE = 1u << 16,
};
#define POINT_SET_LIMITS (POINT_SET_LL | POINT_SET_L | POINT_SET_H | POINT_SET_HH)

typedef struct point_in {
    unsigned set; /* which fields were given (create too: defaults fill the rest) */
    int64_t device_id, unit_id;
    const char *tag, *name, *kind, *uom;
    double range_low, range_high, resolution, exposure_limit; /* NaN = none */
    double ll, l, h, hh;                                     /* NaN = none */
    double deadband;
    int64_t on_delay_ms;
    bool active;
} point_in;

/* Permission: point.write on the unit. A gas point created without LL/L/H/HH
 * gets the GB/T 50493 defaults above (and the deadband and range when not
 * given); a toxic point without exposure_limit is WS_EINVAL naming it. */
ws_err point_create(store_conn *c, const org_caller *by, const point_in *in, int64_t *id);
ws_err point_update(store_conn *c, const org_caller *by, int64_t id, const point_in *in);
ws_err point_get(store_conn *c, int64_t id, point *p);
/* org_check_free_text without tabs: text of at most max bytes, valid
 * UTF-8, no control characters (line breaks allowed when multiline);
 * required: not blank. WS_EINVAL naming field. For the point register and
 * what hangs off it. */
ws_err point_text_check(const char *s, const char *field, size_t max, bool required, bool multiline);
/* Whether by may write what hangs off point id (its location, its response
 * card): point.write on its unit; no such point or outside the scope is
 * WS_ENOTFOUND naming "id". */
ws_err point_writable(store_conn *c, const org_caller *by, int64_t id);
/* The device with this code (no permission check); WS_ENOTFOUND naming "code". */
ws_err point_device_by_code(store_conn *c, const char *code, int64_t *id);
/* The point of a tag (no permission check); WS_ENOTFOUND naming "tag". */
ws_err point_get_by_tag(store_conn *c, const char *tag, point *p);
ws_err point_list(store_conn *c, const point_filter *f, point **items, size_t *n,
                  int64_t *next);

/* The GB/T 50493 defaults of kind into p (limits, deadband, range, uom when
 * they are unset); p->exposure_limit must be set for toxic. */
void point_defaults(point *p);
/* Every rule of a point's shape and limits (invariants 1 and 2), WS_EINVAL
 * naming the field. No database. */
ws_err point_check(const point *p);
/* ASCII [A-Za-z0-9_.:/-], 1..63 bytes. */
bool point_tag_valid(const char *tag);

/* ------------------------------------------------------ locations (location.c) */

/* Where a detector is installed, WGS-84 degrees (the phone's GPS or the
 * plant's survey). Audited as entity "point_location". */
extern const audit_entity POINT_ENTITY_LOCATION;
typedef struct point_location {
    double lat, lon;
    char note[POINT_NAME_MAX + 1];
    int64_t updated_at;
} point_location;
/* Set or move a point's location. Permission: point.write on the point's
 * unit. Refusals: lat (-90..90), lon (-180..180), note. */
ws_err point_location_set(store_conn *c, const org_caller *by, int64_t point_id, double lat, double lon,
                          const char *note);
/* WS_ENOTFOUND when the point has no location. */
ws_err point_location_get(store_conn *c, int64_t point_id, point_location *out);

typedef struct point_near {
    int64_t id;
    char tag[POINT_TAG_MAX + 1];
    char kind[16];
    double distance_m;
} point_near;
/* Active located points under unit path prefix within radius_m of (lat,
 * lon), nearest first: at most cap into out, *n their number. */
ws_err point_nearby(store_conn *c, const char *path_prefix, double lat, double lon, double radius_m,
                    point_near *out, size_t cap, size_t *n);
/* Great-circle distance in metres (haversine, mean Earth radius). */
double point_distance_m(double lat1, double lon1, double lat2, double lon2);

/* The Chinese word of a point kind (可燃气体 for combustible, …; the ledger's
 * and the import's); the kind itself when it has none. Static. */
const char *point_kind_zh(const char *kind);

/* Import the point register (位号台账) from CSV (UTF-8 or GBK) or XLSX, as
 * org_import_units does for units (org.h): all or nothing, every bad row
 * listed, dry_run rolls back. Columns, Chinese or English: 位号/tag,
 * 名称/name, 类型/kind (可燃气体 … or the code), 单位编码/unit_code (required);
 * 计量单位/uom, 量程下限/range_low, 量程上限/range_high, 分辨率/resolution,
 * 接触限值/exposure_limit, 低低限(LL)/ll, 低限(L)/l, 高限(H)/h, 高高限(HH)/hh,
 * 回差/deadband, 报警延时(毫秒)/on_delay_ms, 设备编码/device_code, 状态/active
 * (在用/已停用); 序号, 所属单位 and 创建时间 of the export are read past. A
 * tag that exists updates that point with the cells given (an empty cell
 * leaves its field as it is: importing a tag list again never strips a gas
 * point's default limits), so the ledger export, edited, comes back in. Permission: import.run, and
 * point.write on each row's unit (point_create / point_update). */
ws_err point_import(store_conn *c, const org_caller *by, const char *data, size_t len, bool dry_run,
                    org_import_result *r);

#endif
