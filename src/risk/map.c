/* map.c — the four-colour map (四色图) and the QR code of the risk card
 * (risk.h, section "Four-colour map and risk card"; docs/internals/risk.md).
 *
 * A site plan is an image attachment set as the plan of an org unit
 * (site_plans, one per unit); each area below that unit may carry one
 * polygon on it (area_shapes) in coordinates normalised to the image. The
 * colour of an area is not stored: like the register's levels it is
 * computed on read, the highest level of the active risk objects in the
 * area's subtree, with the objects counted per level (q_risk.c,
 * Q_RISK_MAP_COUNTS). Writes check risk.write on the plan's unit and append
 * their audit leaf in the same transaction (the caller's when one is open).
 *
 * The attachment is checked through a named query of this module (the risk
 * module does not include src/attach: peers of one layer stay apart); the
 * caller must be allowed attachment.read on the attachment's unit.
 *
 * risk_qr_svg draws a QR code from libqrencode's matrix as one SVG path of
 * horizontal runs, so the card prints sharp at any size. */
#include <math.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "risk/risk_int.h"
#include "store/q_risk.h"

/* ------------------------------------------------------- audited entities */

static const audit_col plan_cols[] = {
    {"id", AC_INT},     {"unit_id", AC_INT},    {"attachment_id", AC_INT}, {"width", AC_INT},
    {"height", AC_INT}, {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col shape_cols[] = {
    {"id", AC_INT},     {"plan_id", AC_INT},    {"unit_id", AC_INT},
    {"points", AC_TEXT}, {"created_at", AC_INT}, {"updated_at", AC_INT},
};
const audit_entity RISK_ENTITY_SITE_PLAN = {"site_plan", "site_plans", plan_cols,
                                            (int)(sizeof plan_cols / sizeof plan_cols[0])};
const audit_entity RISK_ENTITY_AREA_SHAPE = {"area_shape", "area_shapes", shape_cols,
                                             (int)(sizeof shape_cols / sizeof shape_cols[0])};

ws_err risk_map_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&RISK_ENTITY_SITE_PLAN);
    if (!rc) rc = audit_register(&RISK_ENTITY_AREA_SHAPE);
    if (!rc) done = true;
    return rc;
}

/* ---------------------------------------------------------------- helpers */

static ws_err tx_begin(store_conn *c, bool *own)
{
    *own = !store_in_tx(c);
    return *own ? store_begin(c) : WS_OK;
}


static ws_err leaf(store_conn *c, const org_caller *by, const audit_entity *e, int64_t id,
                   const char *action)
{
    audit_actor sys = {"system"};
    return audit_record(c, by && by->actor ? by->actor : &sys, e, id, action, NULL);
}

/* The plan's unit for a write: exists, risk.write in the caller's scope
 * (outside it WS_ENOTFOUND naming "unit_id"), active. */
static ws_err map_unit(store_conn *c, const org_caller *by, int64_t unit_id, org_unit *u)
{
    ws_err rc = org_unit_get(c, unit_id, u);
    if (!rc) rc = org_allow(by, "risk.write", u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (rc) return rc;
    if (!u->active) return ws_fail(WS_ECONFLICT, "unit_id", "the unit is deactivated");
    return WS_OK;
}

/* ------------------------------------------------------------------ plans */

static void plan_row(store_stmt *st, risk_plan *p)
{
    memset(p, 0, sizeof *p);
    p->id = store_col_int(st, 0);
    p->unit_id = store_col_int(st, 1);
    p->attachment_id = store_col_int(st, 2);
    p->width = store_col_int(st, 3);
    p->height = store_col_int(st, 4);
    p->created_at = store_col_int(st, 5);
    p->updated_at = store_col_int(st, 6);
}

ws_err risk_plan_get(store_conn *c, int64_t unit_id, risk_plan *p)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_RISK_PLAN_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, unit_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) plan_row(st, p);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "unit_id", "the unit has no site plan");
    return rc;
}

/* The attachment as a plan: readable by the caller, an image; its size. */
static ws_err plan_image(store_conn *c, const org_caller *by, int64_t id, int64_t *w, int64_t *h)
{
    store_stmt *st = NULL;
    bool row = false;
    char type[64] = "", path[AUTH_PATH_MAX] = "";
    ws_err rc = store_prepare(c, Q_RISK_PLAN_ATTACHMENT, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *w = store_col_int(st, 0);
        *h = store_col_int(st, 1);
        risk_copy(type, sizeof type, store_col_text(st, 2));
        risk_copy(path, sizeof path, store_col_text(st, 3));
    }
    store_finalize(st);
    if (rc) return rc;
    rc = row ? org_allow(by, "attachment.read", path) : WS_ENOTFOUND;
    if (rc == WS_ENOTFOUND || rc == WS_EFORBIDDEN)
        return ws_fail(WS_ENOTFOUND, "attachment_id", "no such attachment");
    if (rc) return rc;
    if (strncmp(type, "image/", 6) || *w <= 0 || *h <= 0)
        return ws_fail(WS_EINVAL, "attachment_id",
                       "a site plan must be an image (JPEG, PNG or WebP), not %s", type);
    return WS_OK;
}

ws_err risk_plan_set(store_conn *c, const org_caller *by, int64_t unit_id, int64_t attachment_id,
                     risk_plan *out)
{
    org_unit u;
    risk_plan p;
    int64_t w = 0, h = 0, id = 0;
    bool own = false, exists;
    ws_err rc = map_unit(c, by, unit_id, &u);
    if (!rc) rc = plan_image(c, by, attachment_id, &w, &h);
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = risk_plan_get(c, unit_id, &p);
    exists = !rc;
    if (rc == WS_ENOTFOUND) {
        ws_err_clear();
        rc = WS_OK;
    }
    store_stmt *st = NULL;
    if (!rc) rc = store_prepare(c, exists ? Q_RISK_PLAN_UPDATE : Q_RISK_PLAN_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, exists ? p.id : unit_id);
    if (!rc) rc = store_bind_int(st, 2, attachment_id);
    if (!rc) rc = store_bind_int(st, 3, w);
    if (!rc) rc = store_bind_int(st, 4, h);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    bool row = false;
    if (!rc) rc = store_step(st, &row);
    if (!rc) id = exists ? p.id : (row ? store_col_int(st, 0) : 0);
    store_finalize(st);
    if (!rc && !id) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_SITE_PLAN, id, exists ? "update" : "create");
    if (!rc && out) rc = risk_plan_get(c, unit_id, out);
    return risk_tx_end(c, own, rc);
}

/* ----------------------------------------------------------------- counts */

ws_err risk_map_counts(store_conn *c, const char *path, int64_t counts[5], int *rank)
{
    store_stmt *st = NULL;
    bool row = false;
    memset(counts, 0, 5 * sizeof counts[0]);
    if (rank) *rank = 0;
    ws_err rc = store_prepare(c, Q_RISK_MAP_COUNTS, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t lv = store_col_int(st, 0);
        if (lv >= 0 && lv <= 4) counts[lv] += store_col_int(st, 1);
        if (rank && lv > *rank && lv <= 4) *rank = (int)lv;
    }
    store_finalize(st);
    return rc;
}

/* ----------------------------------------------------------------- shapes */

ws_err risk_shape_list(store_conn *c, int64_t plan_id, risk_shape **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    size_t cap = 0;
    risk_shape *v = NULL;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_RISK_SHAPE_LIST, &st);
    if (!rc) rc = store_bind_int(st, 1, plan_id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            risk_shape *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            v = nv;
        }
        risk_shape *s = &v[(*n)++];
        memset(s, 0, sizeof *s);
        s->id = store_col_int(st, 0);
        s->plan_id = store_col_int(st, 1);
        s->unit_id = store_col_int(st, 2);
        risk_copy(s->name, sizeof s->name, store_col_text(st, 3));
        risk_copy(s->kind, sizeof s->kind, store_col_text(st, 4));
        risk_copy(s->unit_path, sizeof s->unit_path, store_col_text(st, 5));
        risk_copy(s->points, sizeof s->points, store_col_text(st, 6));
        s->updated_at = store_col_int(st, 7);
    }
    store_finalize(st);
    for (size_t i = 0; !rc && i < *n; i++)
        rc = risk_map_counts(c, v[i].unit_path, v[i].counts, &v[i].level_rank);
    if (rc) {
        free(v);
        *n = 0;
        return rc;
    }
    *items = v;
    return WS_OK;
}

ws_err risk_shape_check(const double *xy, size_t npoints)
{
    if (npoints < RISK_SHAPE_MIN_POINTS || npoints > RISK_SHAPE_MAX_POINTS)
        return ws_fail(WS_EINVAL, "points", "a polygon has %d to %d points, not %zu",
                       RISK_SHAPE_MIN_POINTS, RISK_SHAPE_MAX_POINTS, npoints);
    double area2 = 0;
    for (size_t i = 0; i < npoints; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y) || x < 0 || x > 1 || y < 0 || y > 1) {
            char f[24];
            snprintf(f, sizeof f, "points[%zu]", i);
            return ws_fail(WS_EINVAL, f, "%s: coordinates are fractions of the image, 0 to 1", f);
        }
        size_t j = (i + 1) % npoints;
        area2 += x * xy[2 * j + 1] - xy[2 * j] * y;
    }
    if (fabs(area2) < 1e-9) return ws_fail(WS_EINVAL, "points", "the polygon encloses no area");
    return WS_OK;
}

/* The area unit of a shape: an existing unit strictly below the map's. */
static ws_err area_unit(store_conn *c, const org_unit *map, int64_t area_id, org_unit *a,
                        bool need_active)
{
    ws_err rc = org_unit_get(c, area_id, a);
    size_t n = strlen(map->path);
    if (rc == WS_ENOTFOUND || (!rc && (strncmp(a->path, map->path, n) || !a->path[n])))
        return ws_fail(WS_ENOTFOUND, "area_unit_id", "no such unit below unit %lld",
                       (long long)map->id);
    if (rc) return rc;
    if (need_active && !a->active)
        return ws_fail(WS_ECONFLICT, "area_unit_id", "the area is deactivated");
    return WS_OK;
}

/* The id of the shape of area_id on plan_id, 0 when none. */
static ws_err shape_find(store_conn *c, int64_t plan_id, int64_t area_id, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    *id = 0;
    ws_err rc = store_prepare(c, Q_RISK_SHAPE_FIND, &st);
    if (!rc) rc = store_bind_int(st, 1, plan_id);
    if (!rc) rc = store_bind_int(st, 2, area_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

ws_err risk_shape_set(store_conn *c, const org_caller *by, int64_t unit_id, int64_t area_unit_id,
                      const double *xy, size_t npoints, bool *created)
{
    org_unit u, a;
    risk_plan p;
    bool own = false;
    int64_t id = 0;
    ws_err rc = map_unit(c, by, unit_id, &u);
    if (!rc) rc = area_unit(c, &u, area_unit_id, &a, true);
    if (!rc) rc = risk_shape_check(xy, npoints);
    if (rc) return rc;
    rc = risk_plan_get(c, unit_id, &p);
    if (rc == WS_ENOTFOUND)
        return ws_fail(WS_ECONFLICT, "unit_id", "the unit has no site plan yet: set one first");
    if (rc) return rc;
    char pts[RISK_POINTS_TEXT_MAX];
    size_t k = 0;
    pts[k++] = '[';
    for (size_t i = 0; i < npoints; i++)
        k += (size_t)snprintf(pts + k, sizeof pts - k, "%s[%.6g,%.6g]", i ? "," : "", xy[2 * i],
                              xy[2 * i + 1]);
    snprintf(pts + k, sizeof pts - k, "]");
    rc = tx_begin(c, &own);
    if (rc) return rc;
    rc = shape_find(c, p.id, area_unit_id, &id);
    bool exists = id > 0;
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, exists ? Q_RISK_SHAPE_UPDATE : Q_RISK_SHAPE_INSERT, &st);
    if (!rc && exists) {
        rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_text(st, 2, pts);
        if (!rc) rc = store_bind_int(st, 3, clock_now_ms());
    } else if (!rc) {
        rc = store_bind_int(st, 1, p.id);
        if (!rc) rc = store_bind_int(st, 2, area_unit_id);
        if (!rc) rc = store_bind_text(st, 3, pts);
        if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    }
    if (!rc) rc = store_step(st, &row);
    if (!rc && !exists) id = row ? store_col_int(st, 0) : 0;
    store_finalize(st);
    if (!rc && !id) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_AREA_SHAPE, id, exists ? "update" : "create");
    if (created) *created = !exists;
    return risk_tx_end(c, own, rc);
}

ws_err risk_shape_delete(store_conn *c, const org_caller *by, int64_t unit_id,
                         int64_t area_unit_id)
{
    org_unit u, a;
    risk_plan p;
    bool own = false;
    int64_t id = 0;
    ws_err rc = map_unit(c, by, unit_id, &u);
    if (!rc) rc = area_unit(c, &u, area_unit_id, &a, false);
    if (!rc) rc = risk_plan_get(c, unit_id, &p);
    if (!rc) rc = shape_find(c, p.id, area_unit_id, &id);
    if (!rc && !id) rc = ws_fail(WS_ENOTFOUND, "area_unit_id", "the area has no polygon");
    if (!rc) rc = tx_begin(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_RISK_SHAPE_DELETE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = leaf(c, by, &RISK_ENTITY_AREA_SHAPE, id, "delete");
    return risk_tx_end(c, own, rc);
}

/* --------------------------------------------------------------- QR code */

ws_err risk_qr_svg(const char *text, char **svg, size_t *len, int *modules)
{
    *svg = NULL;
    *len = 0;
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q) return ws_fail(WS_EINVAL, NULL, "the text does not fit in a QR code");
    int w = q->width, all = w + 2 * RISK_QR_QUIET;
    buf b, *out = &b;
    buf_init(out, 1 << 20);
    ws_err rc = buf_printf(out,
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                           "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">\n"
                           "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
                           all, all, all * 4, all * 4, all, all);
    for (int y = 0; !rc && y < w; y++) {
        for (int x = 0; !rc && x < w;) {
            if (!(q->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = 0;
            while (x + run < w && (q->data[y * w + x + run] & 1)) run++;
            rc = buf_printf(out, "M%d %dh%dv1h-%dz", x + RISK_QR_QUIET, y + RISK_QR_QUIET, run, run);
            x += run;
        }
    }
    if (!rc) rc = buf_puts(out, "\"/>\n</svg>\n");
    if (modules) *modules = w;
    QRcode_free(q);
    if (rc) {
        buf_free(out);
        return rc;
    }
    *len = out->len;
    *svg = buf_steal(out);
    return *svg ? WS_OK : ws_fail(WS_ENOMEM, NULL, "out of memory");
}
