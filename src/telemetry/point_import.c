/* point_import.c — bulk import of the point register (位号台账) from CSV or
 * XLSX; see point_import in point.h.
 *
 * A plant's tag list comes from the DCS or the gas detection vendor as a
 * spreadsheet of hundreds to thousands of rows. Made one by one through the
 * API, each point makes the engine re-read the whole register; imported,
 * they are one transaction and one reload. Three phases, as the unit and
 * people imports (org/import.c, whose shared pieces this uses):
 *   1. read the file and map the header row to the columns below;
 *   2. check every row on its own (required cells, kinds, numbers, a tag
 *      twice in the file) and collect every error;
 *   3. in one transaction, each row through point_create / point_update,
 *      so permissions, checks and audit leaves are those of single writes;
 *      a row equal to its point counts as unchanged and writes nothing.
 *      A row with 处置措施 also writes the point's alarm response card
 *      (point_response_put, telemetry/response.h) unless it is the same; an
 *      empty 处置措施 leaves the card as it is.
 * Commit only when no row failed and this is not a dry run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "telemetry/point.h"
#include "telemetry/response.h"

static const org_import_col cols[] = {
    {"tag", {"tag", "位号"}, true},
    {"name", {"name", "名称", "位号名称"}, true},
    {"kind", {"kind", "类型"}, true},
    {"unit_code", {"unit_code", "单位编码"}, true},
    {"uom", {"uom", "计量单位"}, false},
    {"range_low", {"range_low", "量程下限"}, false},
    {"range_high", {"range_high", "量程上限"}, false},
    {"resolution", {"resolution", "分辨率"}, false},
    {"exposure_limit", {"exposure_limit", "接触限值"}, false},
    {"ll", {"ll", "低低限(ll)", "低低限", "低低报"}, false},
    {"l", {"l", "低限(l)", "低限", "低报"}, false},
    {"h", {"h", "高限(h)", "高限", "高报"}, false},
    {"hh", {"hh", "高高限(hh)", "高高限", "高高报"}, false},
    {"deadband", {"deadband", "回差"}, false},
    {"on_delay_ms", {"on_delay_ms", "报警延时(毫秒)", "报警延时"}, false},
    {"device_code", {"device_code", "设备编码"}, false},
    {"active", {"active", "状态"}, false},
    /* the alarm response card (报警处置卡) */
    {"action", {"action", "处置措施", "处置步骤"}, false},
    {"response_min", {"response_min", "响应时限(分钟)", "响应时限"}, false},
    {"cause", {"cause", "可能原因"}, false},
    {"consequence", {"consequence", "后果", "不及时处置的后果"}, false},
    /* the export's own columns, read past */
    {"no", {"no", "序号"}, false},
    {"unit", {"unit", "所属单位"}, false},
    {"created_at", {"created_at", "创建时间"}, false},
};
enum {
    C_TAG, C_NAME, C_KIND, C_UNIT, C_UOM, C_RLOW, C_RHIGH, C_RES, C_EXPO, C_LL, C_L, C_H, C_HH,
    C_DEADBAND, C_DELAY, C_DEVICE, C_ACTIVE, C_ACTION, C_RESPMIN, C_CAUSE, C_CONSEQ, C_NO, C_UNITNAME,
    C_CREATED, C_NCOLS
};
/* The number columns, in the order of row.num. */
static const int num_cols[] = {C_RLOW, C_RHIGH, C_RES, C_EXPO, C_LL, C_L, C_H, C_HH, C_DEADBAND};
#define NNUM (sizeof num_cols / sizeof num_cols[0])

static const struct {
    const char *zh, *kind;
} kinds[] = {
    {"可燃气体", "combustible"}, {"有毒气体", "toxic"}, {"氧气", "oxygen"},
    {"温度", "temperature"},     {"压力", "pressure"},  {"液位", "level"},
    {"流量", "flow"},            {"分析", "analysis"},  {"状态", "status"},
    {"视频", "camera"},
};

const char *point_kind_zh(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i].kind)) return kinds[i].zh;
    return kind;
}

static const char *kind_of(const char *s)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(s, kinds[i].zh) || !strcasecmp(s, kinds[i].kind)) return kinds[i].kind;
    return NULL;
}

/* 在用 / 已停用 (the export's words), or true/false, 1/0; empty: in use. */
static int active_of(const char *s)
{
    static const char *const yes[] = {"", "在用", "启用", "true", "1", "yes"};
    static const char *const no[] = {"已停用", "停用", "false", "0", "no"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!strcasecmp(s, yes[i])) return 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (!strcasecmp(s, no[i])) return 0;
    return -1;
}

typedef struct prow {
    int rownum;
    const char *tag, *name, *kind, *unit, *uom, *device;
    point_response_in card; /* card.action "": no card on this row */
    double num[NNUM]; /* NaN: the cell is empty */
    int64_t on_delay_ms;
    bool has_delay, has_active; /* those cells are not empty */
    bool active, bad;
} prow;

/* The POINT_SET_* bit of each number column, in the order of prow.num. */
static const unsigned num_bits[NNUM] = {POINT_SET_RANGE_LOW, POINT_SET_RANGE_HIGH, POINT_SET_RESOLUTION,
                                        POINT_SET_EXPOSURE,  POINT_SET_LL,         POINT_SET_L,
                                        POINT_SET_H,         POINT_SET_HH,         POINT_SET_DEADBAND};

/* Phase 2: one row on its own. */
static void check_row(prow *w, const org_table_row *tr, const int *idx, org_import_result *r)
{
    w->rownum = tr->rownum;
    w->tag = org_import_cell(tr, idx, C_TAG);
    w->name = org_import_cell(tr, idx, C_NAME);
    w->unit = org_import_cell(tr, idx, C_UNIT);
    w->uom = org_import_cell(tr, idx, C_UOM);
    w->device = org_import_cell(tr, idx, C_DEVICE);
    size_t before = r->nerrors + r->omitted;
    static const int need[] = {C_TAG, C_NAME, C_KIND, C_UNIT};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (!*org_import_cell(tr, idx, need[k]))
            org_import_error_add(r, w->rownum, cols[need[k]].key, "%s (%s) is required",
                                 cols[need[k]].key, cols[need[k]].aliases[1]);
    const char *k = org_import_cell(tr, idx, C_KIND);
    w->kind = kind_of(k);
    if (*k && !w->kind)
        org_import_error_add(r, w->rownum, "kind", "类型 must be %s",
                             "可燃气体, 有毒气体, 氧气, 温度, 压力, 液位, 流量, 分析, 状态 or 视频");
    for (size_t i = 0; i < NNUM; i++)
        if (!org_import_number(org_import_cell(tr, idx, num_cols[i]), &w->num[i]))
            org_import_error_add(r, w->rownum, cols[num_cols[i]].key, "%s (%s) is not a number",
                                 cols[num_cols[i]].key, cols[num_cols[i]].aliases[1]);
    double d;
    bool ok = org_import_number(org_import_cell(tr, idx, C_DELAY), &d);
    if (ok && !isnan(d)) ok = d >= 0 && d <= POINT_DELAY_MAX_MS && d == (double)(int64_t)d;
    if (!ok)
        org_import_error_add(r, w->rownum, "on_delay_ms", "报警延时(毫秒) is whole milliseconds, 0 to %d",
                             POINT_DELAY_MAX_MS);
    w->has_delay = ok && !isnan(d);
    w->on_delay_ms = w->has_delay ? (int64_t)d : 0;
    w->has_active = *org_import_cell(tr, idx, C_ACTIVE) != 0;
    int a = active_of(org_import_cell(tr, idx, C_ACTIVE));
    if (a < 0) org_import_error_add(r, w->rownum, "active", "状态 is 在用 or 已停用");
    w->active = a != 0;
    w->card = (point_response_in){org_import_cell(tr, idx, C_CAUSE), org_import_cell(tr, idx, C_CONSEQ),
                                  org_import_cell(tr, idx, C_ACTION), 0};
    const char *mins = org_import_cell(tr, idx, C_RESPMIN);
    if (*w->card.action) {
        double m;
        if (!org_import_number(mins, &m) || isnan(m) || m < 1 || m > RESPONSE_MIN_MAX || m != (double)(int64_t)m)
            org_import_error_add(r, w->rownum, "response_min", "响应时限(分钟) is whole minutes, 1 to %d, "
                                 "when 处置措施 is given", RESPONSE_MIN_MAX);
        else
            w->card.response_min = (int64_t)m;
    } else if (*mins || *w->card.cause || *w->card.consequence) {
        org_import_error_add(r, w->rownum, "action", "处置措施 is required when 响应时限, 可能原因 or 后果 is given");
    }
    w->bad = r->nerrors + r->omitted > before;
}

static int by_tag(const void *a, const void *b)
{
    const prow *x = *(const prow *const *)a, *y = *(const prow *const *)b;
    int c = strcmp(x->tag, y->tag);
    return c ? c : x->rownum - y->rownum;
}

static bool same_num(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* Whether point p already has every field in->set gives. */
static bool unchanged(const point *p, const point_in *in)
{
    const double have[NNUM] = {p->range_low, p->range_high, p->resolution, p->exposure_limit, p->ll,
                               p->l,         p->h,          p->hh,         p->deadband};
    const double want[NNUM] = {in->range_low, in->range_high, in->resolution, in->exposure_limit, in->ll,
                               in->l,         in->h,          in->hh,         in->deadband};
    for (size_t i = 0; i < NNUM; i++)
        if ((in->set & num_bits[i]) && !same_num(have[i], want[i])) return false;
    return p->unit_id == in->unit_id && !strcmp(p->name, in->name) && !strcmp(p->kind, in->kind) &&
           (!(in->set & POINT_SET_DEVICE) || p->device_id == in->device_id) &&
           (!(in->set & POINT_SET_UOM) || !strcmp(p->uom, in->uom)) &&
           (!(in->set & POINT_SET_ON_DELAY) || p->on_delay_ms == in->on_delay_ms) &&
           (!(in->set & POINT_SET_ACTIVE) || p->active == in->active);
}

/* A point function's error on this row, its field named as the column. */
static void rc_error(org_import_result *r, int row)
{
    static const char *const rename[][2] = {{"unit_id", "unit_code"}, {"device_id", "device_code"},
                                            {"id", "tag"}};
    const char *f = ws_err_field();
    for (size_t i = 0; i < sizeof rename / sizeof rename[0]; i++)
        if (!strcmp(f, rename[i][0])) f = rename[i][1];
    org_import_error_add(r, row, f, "%s", ws_err_message());
}

/* Phase 3: one row inside the import's transaction. A row's own failure is
 * recorded and WS_OK returned; only a fatal store error comes back. */
static ws_err apply_row(store_conn *c, const org_caller *by, const prow *w, org_import_result *r)
{
    org_unit u;
    ws_err rc = org_unit_by_code(c, w->unit, &u);
    if (rc == WS_ENOTFOUND) {
        org_import_error_add(r, w->rownum, "unit_code", "no unit has the code %.60s", w->unit);
        return WS_OK;
    }
    if (rc) return rc;
    int64_t dev = 0;
    if (*w->device && (rc = point_device_by_code(c, w->device, &dev))) {
        if (rc != WS_ENOTFOUND) return rc;
        org_import_error_add(r, w->rownum, "device_code", "no device has the code %.60s", w->device);
        return WS_OK;
    }
    /* Only the cells given: an empty cell leaves its field as it is, so a
     * tag list without limits, imported again, never strips the limits a
     * gas point got by default (a limit is removed with PATCH {"hh": null}). */
    point_in in = {.set = POINT_SET_UNIT | POINT_SET_TAG | POINT_SET_NAME | POINT_SET_KIND,
                   .device_id = dev, .unit_id = u.id, .tag = w->tag, .name = w->name, .kind = w->kind,
                   .uom = w->uom, .range_low = w->num[0], .range_high = w->num[1], .resolution = w->num[2],
                   .exposure_limit = w->num[3], .ll = w->num[4], .l = w->num[5], .h = w->num[6],
                   .hh = w->num[7], .deadband = w->num[8], .on_delay_ms = w->on_delay_ms, .active = w->active};
    if (*w->device) in.set |= POINT_SET_DEVICE;
    if (*w->uom) in.set |= POINT_SET_UOM;
    if (w->has_delay) in.set |= POINT_SET_ON_DELAY;
    if (w->has_active) in.set |= POINT_SET_ACTIVE;
    for (size_t i = 0; i < NNUM; i++)
        if (!isnan(w->num[i])) in.set |= num_bits[i];
    point p;
    rc = point_get_by_tag(c, w->tag, &p);
    if (rc && rc != WS_ENOTFOUND) return rc;
    int64_t id = 0;
    bool found = !rc, same = found && unchanged(&p, &in);
    if (found) id = p.id;
    if (!same) {
        rc = found ? point_update(c, by, p.id, &in) : point_create(c, by, &in, &id);
        if (!rc && !found && !w->active) { /* made in use; then as the row says */
            point_in off = {.set = POINT_SET_ACTIVE, .active = false};
            rc = point_update(c, by, id, &off);
        }
    }
    bool card_written = false;
    if (!rc && *w->card.action) rc = point_response_put(c, by, id, &w->card, &card_written);
    if (org_import_fatal(rc)) return rc;
    if (rc) rc_error(r, w->rownum);
    else if (!found) r->created++;
    else if (same && !card_written) r->unchanged++;
    else r->updated++;
    return WS_OK;
}

ws_err point_import(store_conn *c, const org_caller *by, const char *data, size_t len, bool dry_run,
                    org_import_result *r)
{
    int idx[C_NCOLS];
    org_table t;
    ws_err rc = org_import_open(c, by, data, len, cols, C_NCOLS, idx, r, &t);
    if (rc) return rc;
    size_t n = t.nrows ? t.nrows - 1 : 0;
    prow *rows = calloc(n ? n : 1, sizeof *rows);
    prow **sorted = calloc(n ? n : 1, sizeof *sorted);
    if (!rows || !sorted) {
        free(rows);
        free(sorted);
        org_table_free(&t);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        check_row(&rows[i], &t.rows[i + 1], idx, r);
        sorted[i] = &rows[i];
    }
    qsort(sorted, n, sizeof *sorted, by_tag);
    for (size_t i = 1; i < n; i++)
        if (*sorted[i]->tag && !strcmp(sorted[i]->tag, sorted[i - 1]->tag)) {
            org_import_error_add(r, sorted[i]->rownum, "tag", "位号 %.64s is also on row %d", sorted[i]->tag,
                                 sorted[i - 1]->rownum);
            sorted[i]->bad = true;
        }
    /* The good rows are applied even when others are bad, so that one
     * reply lists every error; then nothing is kept. */
    rc = store_begin(c);
    for (size_t i = 0; !rc && i < n; i++)
        if (!rows[i].bad) rc = apply_row(c, by, &rows[i], r);
    if (rc) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", ws_err_message());
        store_rollback(c);
        rc = ws_fail(rc, NULL, "%s", msg);
    } else if (r->nerrors || r->omitted || dry_run) {
        store_rollback(c);
    } else {
        rc = store_commit(c);
    }
    free(rows);
    free(sorted);
    org_table_free(&t);
    if (rc) return rc;
    return org_import_outcome(r);
}
