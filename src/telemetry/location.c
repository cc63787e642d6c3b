/* location.c — where the detectors are: a point's installed position in
 * WGS-84 degrees (point_locations, migration 17), and the located points
 * near a work location, nearest first. A special-work permit uses it to link
 * the gas detectors within its radius (src/permit). The search narrows by a
 * latitude/longitude box in SQL and measures the great-circle distance here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/q_telemetry.h"
#include "telemetry/point.h"

#define EARTH_M 6371008.8
#define NEAR_SCAN 512

static const audit_col location_cols[] = {
    {"id", AC_INT}, {"lat", AC_REAL}, {"lon", AC_REAL}, {"note", AC_TEXT}, {"updated_at", AC_INT},
};
const audit_entity POINT_ENTITY_LOCATION = {"point_location", "point_locations", location_cols, 5};

double point_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double r = M_PI / 180;
    double dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * EARTH_M * asin(sqrt(a < 1 ? a : 1));
}

ws_err point_location_set(store_conn *c, const org_caller *by, int64_t point_id, double lat, double lon,
                          const char *note)
{
    if (!isfinite(lat) || lat < -90 || lat > 90) return ws_fail(WS_EINVAL, "lat", "lat is -90..90 degrees (WGS-84)");
    if (!isfinite(lon) || lon < -180 || lon > 180)
        return ws_fail(WS_EINVAL, "lon", "lon is -180..180 degrees (WGS-84)");
    if (note && strlen(note) > POINT_NAME_MAX) return ws_fail(WS_EINVAL, "note", "note is at most %d bytes", POINT_NAME_MAX);
    for (const char *q = note; q && *q; q++)
        if ((unsigned char)*q < 0x20) return ws_fail(WS_EINVAL, "note", "note must not contain control characters");
    ws_err rc = point_writable(c, by, point_id);
    if (rc) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_LOCATION_PUT, &st);
    if (!rc) rc = store_bind_int(st, 1, point_id);
    if (!rc) rc = store_bind_double(st, 2, lat);
    if (!rc) rc = store_bind_double(st, 3, lon);
    if (!rc) rc = store_bind_opt_text(st, 4, note && note[0] ? note : NULL);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    audit_actor sys = {"system"};
    if (!rc) rc = audit_record(c, by && by->actor ? by->actor : &sys, &POINT_ENTITY_LOCATION, point_id, "set", NULL);
    return store_tx_finish(c, own, rc);
}

ws_err point_location_get(store_conn *c, int64_t point_id, point_location *out)
{
    store_stmt *st = NULL;
    bool row = false;
    memset(out, 0, sizeof *out);
    ws_err rc = store_prepare(c, Q_LOCATION_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, point_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        out->lat = store_col_double(st, 0);
        out->lon = store_col_double(st, 1);
        snprintf(out->note, sizeof out->note, "%s", store_col_text(st, 2) ? store_col_text(st, 2) : "");
        out->updated_at = store_col_int(st, 3);
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "location", "the point has no location");
    return rc;
}

static int by_distance(const void *a, const void *b)
{
    double x = ((const point_near *)a)->distance_m, y = ((const point_near *)b)->distance_m;
    return x < y ? -1 : x > y;
}

ws_err point_nearby(store_conn *c, const char *path_prefix, double lat, double lon, double radius_m,
                    point_near *out, size_t cap, size_t *n)
{
    *n = 0;
    if (!isfinite(lat) || !isfinite(lon) || !(radius_m > 0) || radius_m > 10000)
        return ws_fail(WS_EINVAL, "radius", "a search is around a WGS-84 position within 10 km");
    double dlat = radius_m / EARTH_M * 180 / M_PI;
    double cl = cos(lat * M_PI / 180);
    double dlon = cl > 1e-6 ? dlat / cl : 180;
    point_near *all = calloc(NEAR_SCAN, sizeof *all);
    if (!all) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    size_t k = 0;
    ws_err rc = store_prepare(c, Q_LOCATION_NEAR, &st);
    if (!rc) rc = store_bind_double(st, 1, lat - dlat);
    if (!rc) rc = store_bind_double(st, 2, lat + dlat);
    if (!rc) rc = store_bind_double(st, 3, lon - dlon);
    if (!rc) rc = store_bind_double(st, 4, lon + dlon);
    if (!rc) rc = store_bind_text(st, 5, path_prefix ? path_prefix : "/");
    if (!rc) rc = store_bind_int(st, 6, NEAR_SCAN);
    while (!rc && k < NEAR_SCAN && !(rc = store_step(st, &row)) && row) {
        double d = point_distance_m(lat, lon, store_col_double(st, 3), store_col_double(st, 4));
        if (d > radius_m) continue;
        point_near *x = &all[k++];
        x->id = store_col_int(st, 0);
        snprintf(x->tag, sizeof x->tag, "%s", store_col_text(st, 1));
        snprintf(x->kind, sizeof x->kind, "%s", store_col_text(st, 2));
        x->distance_m = d;
    }
    store_finalize(st);
    if (!rc) {
        qsort(all, k, sizeof *all, by_distance);
        *n = k < cap ? k : cap;
        memcpy(out, all, *n * sizeof *out);
    }
    free(all);
    return rc;
}
