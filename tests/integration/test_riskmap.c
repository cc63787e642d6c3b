/* test_riskmap.c — the four-colour map and the risk card over the wire, on
 * SQLite and PostgreSQL: a site plan set from an uploaded image, polygons
 * saved and read back, bad polygons refused naming the field, an area's
 * colour following the highest level below it as a child's event changes,
 * the card's content, and the QR code: the SVG parses (expat), has the
 * quiet zone and exactly the modules of QRcode_encodeString for the
 * page's address. `audit verify` is clean at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <expat.h>
#include <math.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/common.h"

typedef struct T {
    ws_server s;
    char tok[65];
    long long park, ent, site, area_a, grid, area_b, other_site, person, attach;
} T;

static void setup(T *t, const char *backend)
{
    const char *extra[] = {"--org-kind", "park", "--org-name", "地图园区", NULL};
    assert_int_equal(ws_server_start(&t->s, backend, extra), 0);
    assert_int_equal(ws_login(&t->s, "admin", WS_ADMIN_PW, t->tok), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/me", t->tok, NULL, &r), 200);
    t->park = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[512];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E1\",\"name\":\"企业\"}", t->park);
    t->ent = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂区\"}", t->ent);
    t->site = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S2\",\"name\":\"二厂区\"}", t->ent);
    t->other_site = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A\",\"name\":\"合成车间\"}", t->site);
    t->area_a = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"grid\",\"code\":\"AG\",\"name\":\"反应釜网格\"}", t->area_a);
    t->grid = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"B\",\"name\":\"仓库\"}", t->site);
    t->area_b = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"张工\",\"phone\":\"13900000001\"}", t->site);
    t->person = ws_post_id(&t->s, t->tok, "/api/v1/people", b);
    FILE *f = fopen("tests/data/photo-gps.jpg", "rb");
    assert_non_null(f);
    char *jpg = malloc(1 << 20);
    size_t n = fread(jpg, 1, 1 << 20, f);
    fclose(f);
    char p[128];
    snprintf(p, sizeof p, "/api/v1/attachments?unit_id=%lld&filename=plan.jpg", t->site);
    assert_int_equal(ws_http(&t->s, "POST", p, t->tok, jpg, n, "image/jpeg", &r, NULL), 201);
    t->attach = json_integer_value(json_object_get(r, "id"));
    json_decref(r);
    free(jpg);
}

/* PUT path body and check the status and the error field. */
static void put_fails(T *t, const char *path, const char *body, long want, const char *field)
{
    json_t *r = NULL;
    long st = ws_req(&t->s, "PUT", path, t->tok, body, &r);
    if (st != want || strcmp(ws_err_field_of(r), field))
        fail_msg("PUT %s %s -> %ld field '%s', want %ld '%s'", path, body, st, ws_err_field_of(r), want,
                 field);
    json_decref(r);
}

/* The area of the map of t->site for area_id (NULL when it has no polygon);
 * *map keeps the reply (caller decrefs). */
static json_t *area_of(T *t, long long area_id, json_t **map)
{
    char p[64];
    snprintf(p, sizeof p, "/api/v1/risk/maps/%lld", t->site);
    assert_int_equal(ws_req(&t->s, "GET", p, t->tok, NULL, map), 200);
    json_t *a = json_object_get(*map, "areas"), *x;
    size_t i;
    json_array_foreach(a, i, x) if (json_integer_value(json_object_get(x, "area_unit_id")) == area_id) return x;
    return NULL;
}

static const char *level_of(T *t, long long area_id, long long *count_high, long long *count_major)
{
    static char lv[16];
    json_t *m = NULL, *a = area_of(t, area_id, &m);
    assert_non_null(a);
    const char *l = json_string_value(json_object_get(a, "level"));
    snprintf(lv, sizeof lv, "%s", l ? l : "none");
    json_t *c = json_object_get(a, "counts");
    if (count_high) *count_high = json_integer_value(json_object_get(c, "high"));
    if (count_major) *count_major = json_integer_value(json_object_get(c, "major"));
    json_decref(m);
    return lv;
}

/* ---- the QR code's SVG, parsed with expat ---- */
typedef struct svg {
    int svg_elems, rect_elems, path_elems, view;
    char d[200000];
} svg;

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **at)
{
    svg *s = ud;
    if (!strcmp(name, "svg")) s->svg_elems++;
    if (!strcmp(name, "rect")) s->rect_elems++;
    if (!strcmp(name, "path")) s->path_elems++;
    for (int i = 0; at[i]; i += 2) {
        if (!strcmp(name, "svg") && !strcmp(at[i], "viewBox")) {
            int a, b, w, h;
            if (sscanf(at[i + 1], "%d %d %d %d", &a, &b, &w, &h) == 4 && !a && !b && w == h) s->view = w;
        }
        if (!strcmp(name, "path") && !strcmp(at[i], "d")) snprintf(s->d, sizeof s->d, "%s", at[i + 1]);
    }
}

static void check_qr(const char *text, size_t len, const char *url)
{
    svg *s = calloc(1, sizeof *s);
    XML_Parser p = XML_ParserCreate("UTF-8");
    XML_SetUserData(p, s);
    XML_SetElementHandler(p, on_start, NULL);
    assert_int_equal(XML_Parse(p, text, (int)len, 1), XML_STATUS_OK);
    XML_ParserFree(p);
    assert_int_equal(s->svg_elems, 1);
    assert_int_equal(s->path_elems, 1);
    QRcode *q = QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(q);
    int w = q->width, all = w + 8;
    assert_int_equal(s->view, all); /* the symbol and a quiet zone of 4 modules each side */
    unsigned char *m = calloc((size_t)all * (size_t)all, 1);
    const char *d = s->d;
    int x, y, run, run2, k, dark = 0;
    while (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &k) == 4) {
        assert_int_equal(run, run2);
        assert_true(x >= 4 && y >= 4 && x + run <= all - 4 && y < all - 4);
        for (int i = 0; i < run; i++) m[y * all + x + i] = 1;
        dark += run;
        d += k;
    }
    assert_int_equal(*d, 0); /* the whole path was runs */
    int want = 0;
    for (int r = 0; r < w; r++)
        for (int c = 0; c < w; c++) {
            int on = q->data[r * w + c] & 1;
            want += on;
            if (on != m[(r + 4) * all + c + 4]) fail_msg("module %d,%d differs", r, c);
        }
    assert_int_equal(dark, want);
    QRcode_free(q);
    free(m);
    free(s);
}

static void map_and_card(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int bi = 0; bi < nb; bi++) {
        T *t = calloc(1, sizeof *t);
        setup(t, be[bi]);
        char mp[64], sp[96], b[1024];
        json_t *r = NULL;
        snprintf(mp, sizeof mp, "/api/v1/risk/maps/%lld", t->site);
        /* No plan yet: the map answers with plan null; a polygon is refused. */
        assert_int_equal(ws_req(&t->s, "GET", mp, t->tok, NULL, &r), 200);
        assert_true(json_is_null(json_object_get(r, "plan")));
        assert_int_equal(json_array_size(json_object_get(r, "areas")), 0);
        json_decref(r);
        snprintf(sp, sizeof sp, "%s/shapes/%lld", mp, t->area_a);
        put_fails(t, sp, "{\"points\":[[0.1,0.1],[0.5,0.1],[0.3,0.6]]}", 409, "unit_id");
        /* The plan: an uploaded image; a missing attachment is named. */
        put_fails(t, mp, "{\"attachment_id\":999999}", 404, "attachment_id");
        put_fails(t, mp, "{}", 400, "attachment_id");
        snprintf(b, sizeof b, "{\"attachment_id\":%lld}", t->attach);
        assert_int_equal(ws_req(&t->s, "PUT", mp, t->tok, b, &r), 200);
        json_t *plan = json_object_get(r, "plan");
        assert_int_equal(json_integer_value(json_object_get(plan, "attachment_id")), t->attach);
        assert_int_equal(json_integer_value(json_object_get(plan, "width")), 600); /* upright */
        assert_int_equal(json_integer_value(json_object_get(plan, "height")), 800);
        json_decref(r);

        /* Round trip of a polygon. */
        const double pts[4][2] = {{0.1, 0.125}, {0.55, 0.1}, {0.6, 0.4}, {0.123456, 0.5}};
        assert_int_equal(ws_req(&t->s, "PUT", sp, t->tok,
                                "{\"points\":[[0.1,0.125],[0.55,0.1],[0.6,0.4],[0.123456,0.5]]}", &r),
                         201);
        json_decref(r);
        json_t *m = NULL, *a = area_of(t, t->area_a, &m);
        assert_non_null(a);
        assert_string_equal(json_string_value(json_object_get(a, "name")), "合成车间");
        json_t *got = json_object_get(a, "points");
        assert_int_equal(json_array_size(got), 4);
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 2; k++)
                assert_true(fabs(json_number_value(json_array_get(json_array_get(got, i), k)) - pts[i][k]) < 1e-9);
        assert_true(json_is_null(json_object_get(a, "level"))); /* nothing assessed below */
        json_decref(m);
        /* A second PUT replaces it (200). */
        assert_int_equal(ws_req(&t->s, "PUT", sp, t->tok, "{\"points\":[[0.1,0.1],[0.5,0.1],[0.5,0.5],[0.1,0.5]]}", NULL),
                         200);

        /* Bad polygons are refused naming the field; nothing changes. */
        put_fails(t, sp, "{\"points\":[[0.1,0.1],[0.5,0.1]]}", 400, "points");
        put_fails(t, sp, "{\"points\":[[0.1,0.1],[1.5,0.1],[0.3,0.6]]}", 400, "points[1]");
        put_fails(t, sp, "{\"points\":[[0.1,0.1],[0.5,0.1],[0.3,-0.01]]}", 400, "points[2]");
        put_fails(t, sp, "{\"points\":[[\"a\",0.1],[0.5,0.1],[0.3,0.6]]}", 400, "points[0]");
        put_fails(t, sp, "{\"points\":[[0.1,0.1,0.2],[0.5,0.1],[0.3,0.6]]}", 400, "points[0]");
        put_fails(t, sp, "{\"points\":[[0.1,0.1],[0.2,0.2],[0.3,0.3]]}", 400, "points"); /* flat */
        put_fails(t, sp, "{\"points\":\"0.1,0.1\"}", 400, "points");
        put_fails(t, sp, "{\"points\":[[0.1,0.1],[0.5,0.1],[0.3,0.6]],\"colour\":\"red\"}", 400, "colour");
        put_fails(t, sp, "{\"points\":[[0.1,0.1],[0.5,0.1],[0.3,0.6]", 400, "body");
        {
            char big[8192];
            size_t n = 0;
            n += (size_t)snprintf(big + n, sizeof big - n, "{\"points\":[");
            for (int i = 0; i < 201; i++)
                n += (size_t)snprintf(big + n, sizeof big - n, "%s[%.4f,%.4f]", i ? "," : "",
                                      0.5 + 0.4 * cos(i * 0.031), 0.5 + 0.4 * sin(i * 0.031));
            snprintf(big + n, sizeof big - n, "]}");
            put_fails(t, sp, big, 400, "points");
        }
        m = NULL;
        a = area_of(t, t->area_a, &m);
        assert_int_equal(json_array_size(json_object_get(a, "points")), 4);
        json_decref(m);
        /* The area must lie below the map's unit. */
        snprintf(b, sizeof b, "%s/shapes/%lld", mp, t->site);
        put_fails(t, b, "{\"points\":[[0.1,0.1],[0.5,0.1],[0.3,0.6]]}", 404, "area_unit_id");
        snprintf(b, sizeof b, "%s/shapes/%lld", mp, t->other_site);
        put_fails(t, b, "{\"points\":[[0.1,0.1],[0.5,0.1],[0.3,0.6]]}", 404, "area_unit_id");
        snprintf(b, sizeof b, "%s/shapes/%lld", mp, t->area_b);
        assert_int_equal(ws_req(&t->s, "PUT", b, t->tok, "{\"points\":[[0.6,0.6],[0.9,0.6],[0.9,0.9]]}", NULL), 201);

        /* The colour follows the highest level below the area. */
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"kind\":\"installation\",\"name\":\"反应釜\","
                 "\"responsible_person_id\":%lld}", t->grid, t->person);
        long long obj = ws_post_id(&t->s, t->tok, "/api/v1/risk/objects", b);
        snprintf(b, sizeof b, "{\"object_id\":%lld,\"name\":\"进料\",\"responsible_person_id\":%lld}", obj, t->person);
        long long ru = ws_post_id(&t->s, t->tok, "/api/v1/risk/units", b);
        snprintf(b, sizeof b, "{\"risk_unit_id\":%lld,\"description\":\"泄漏着火\",\"accident_type\":\"05\","
                 "\"method\":\"LEC\",\"inherent_l\":3,\"inherent_e\":6,\"inherent_c\":15}", ru);
        long long ev = ws_post_id(&t->s, t->tok, "/api/v1/risk/events", b); /* D = 270: 较大 */
        snprintf(b, sizeof b, "{\"event_id\":%lld,\"category\":\"engineering\",\"text\":\"可燃气体报警\"}", ev);
        ws_post_id(&t->s, t->tok, "/api/v1/risk/measures", b);
        snprintf(b, sizeof b, "{\"event_id\":%lld,\"category\":\"emergency\",\"text\":\"切断进料，启动喷淋\"}", ev);
        ws_post_id(&t->s, t->tok, "/api/v1/risk/measures", b);
        long long nh = 0, nm = 0;
        assert_string_equal(level_of(t, t->area_a, &nh, &nm), "high");
        assert_int_equal(nh, 1);
        assert_string_equal(level_of(t, t->area_b, NULL, NULL), "none");
        char ep[64];
        snprintf(ep, sizeof ep, "/api/v1/risk/events/%lld", ev);
        assert_int_equal(ws_req(&t->s, "PATCH", ep, t->tok, "{\"residual_c\":40}", NULL), 200); /* 720: 重大 */
        assert_string_equal(level_of(t, t->area_a, &nh, &nm), "major");
        assert_int_equal(nh, 0);
        assert_int_equal(nm, 1);
        assert_int_equal(ws_req(&t->s, "PATCH", ep, t->tok, "{\"residual_l\":0.5,\"residual_c\":7}", NULL), 200);
        assert_string_equal(level_of(t, t->area_a, NULL, NULL), "low"); /* 21 */
        assert_int_equal(ws_req(&t->s, "GET", mp, t->tok, NULL, &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "level")), "low"); /* the whole site */
        assert_string_equal(json_string_value(json_object_get(r, "colour")), "blue");
        assert_true(json_is_true(json_object_get(r, "can_edit")));
        json_decref(r);
        assert_int_equal(ws_req(&t->s, "PATCH", ep, t->tok, "{\"residual_l\":3,\"residual_c\":40}", NULL), 200);

        /* The card: object, units, events with levels, measures, people, address. */
        char cp[96];
        snprintf(cp, sizeof cp, "/api/v1/risk/objects/%lld/card", obj);
        assert_int_equal(ws_req(&t->s, "GET", cp, t->tok, NULL, &r), 200);
        assert_string_equal(json_string_value(json_object_get(json_object_get(r, "object"), "level")), "major");
        assert_string_equal(json_string_value(json_object_get(json_object_get(r, "object"), "colour")), "red");
        assert_string_equal(json_string_value(json_object_get(json_object_get(r, "unit"), "name")), "反应釜网格");
        json_t *p0 = json_array_get(json_object_get(r, "responsible"), 0);
        assert_string_equal(json_string_value(json_object_get(p0, "name")), "张工");
        json_t *u0 = json_array_get(json_object_get(r, "units"), 0);
        json_t *e0 = json_array_get(json_object_get(u0, "events"), 0);
        assert_string_equal(json_string_value(json_object_get(e0, "description")), "泄漏着火");
        assert_string_equal(json_string_value(json_object_get(e0, "level")), "major");
        assert_int_equal(json_array_size(json_object_get(e0, "measures")), 2);
        json_t *em = json_array_get(json_object_get(r, "emergency_measures"), 0);
        assert_string_equal(json_string_value(json_object_get(em, "text")), "切断进料，启动喷淋");
        char url[160];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/risk/objects/%lld", t->s.port, obj);
        assert_string_equal(json_string_value(json_object_get(r, "url")), url);
        json_decref(r);

        /* The QR code of that address. */
        char qp[96], *raw = NULL;
        snprintf(qp, sizeof qp, "/api/v1/risk/objects/%lld/qr.svg", obj);
        assert_int_equal(ws_http(&t->s, "GET", qp, t->tok, NULL, 0, NULL, NULL, &raw), 200);
        check_qr(raw, strlen(raw), url);
        free(raw);

        /* Told the risks of their workplace (安全生产法 第四十四条): a worker
         * scoped to a grid reads the register of the area the grid lies in
         * (a list, the object, its units and its card), not another area's,
         * and writes none of it. */
        {
            char wtok[65], q[160];
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"kind\":\"unit\",\"name\":\"合成车间整体\",\"responsible_person_id\":%lld}", t->area_a, t->person);
            long long on_a = ws_post_id(&t->s, t->tok, "/api/v1/risk/objects", b);
            snprintf(b, sizeof b, "{\"object_id\":%lld,\"name\":\"车间通风\",\"responsible_person_id\":%lld}", on_a, t->person);
            ws_post_id(&t->s, t->tok, "/api/v1/risk/units", b);
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"kind\":\"unit\",\"name\":\"仓库整体\",\"responsible_person_id\":%lld}", t->area_b, t->person);
            long long on_b = ws_post_id(&t->s, t->tok, "/api/v1/risk/objects", b);
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"kind\":\"unit\",\"name\":\"厂区整体\",\"responsible_person_id\":%lld}", t->site, t->person);
            long long on_site = ws_post_id(&t->s, t->tok, "/api/v1/risk/objects", b);
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"网格员\"}", t->grid);
            long long wp = ws_post_id(&t->s, t->tok, "/api/v1/people", b);
            snprintf(b, sizeof b, "{\"username\":\"gw\",\"password\":\"Grid-Pass-2026\",\"roles\":[\"worker\"],"
                     "\"scope_unit_id\":%lld,\"person_id\":%lld}", t->grid, wp);
            ws_post_id(&t->s, t->tok, "/api/v1/accounts", b);
            assert_int_equal(ws_login(&t->s, "gw", "Grid-Pass-2026", wtok), 200);
            assert_int_equal(ws_req(&t->s, "GET", "/api/v1/risk/objects?limit=200", wtok, NULL, &r), 200);
            bool seen_a = false, seen_grid = false;
            size_t i;
            json_t *it;
            json_array_foreach(json_object_get(r, "items"), i, it) {
                long long id = json_integer_value(json_object_get(it, "id"));
                if (id == on_b || id == on_site) fail_msg("the grid's worker lists object %lld of another unit", id);
                seen_a |= id == on_a;
                seen_grid |= id == obj;
            }
            json_decref(r);
            if (!seen_a || !seen_grid) fail_msg("the grid's worker does not list its area's and grid's objects");
            snprintf(q, sizeof q, "/api/v1/risk/units?object_id=%lld", on_a);
            assert_int_equal(ws_req(&t->s, "GET", q, wtok, NULL, &r), 200);
            assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
            json_decref(r);
            long long ids[3] = {on_a, on_b, on_site};
            for (int k = 0; k < 3; k++) {
                long want = k ? 404 : 200;
                snprintf(q, sizeof q, "/api/v1/risk/objects/%lld", ids[k]);
                assert_int_equal(ws_req(&t->s, "GET", q, wtok, NULL, NULL), want);
                snprintf(q, sizeof q, "/api/v1/risk/objects/%lld/card", ids[k]);
                assert_int_equal(ws_req(&t->s, "GET", q, wtok, NULL, NULL), want);
            }
            snprintf(q, sizeof q, "/api/v1/risk/objects/%lld", on_a);
            assert_int_equal(ws_req(&t->s, "PATCH", q, wtok, "{\"name\":\"改名\"}", NULL), 403);
        }

        /* Removing a polygon; a second time there is none. */
        assert_int_equal(ws_req(&t->s, "DELETE", sp, t->tok, NULL, NULL), 204);
        m = NULL;
        assert_null(area_of(t, t->area_a, &m));
        assert_int_equal(json_array_size(json_object_get(m, "areas")), 1);
        json_decref(m);
        assert_int_equal(ws_req(&t->s, "DELETE", sp, t->tok, NULL, &r), 404);
        assert_string_equal(ws_err_field_of(r), "area_unit_id");
        json_decref(r);

        char out[4096];
        const char *vf[] = {"audit", "verify", NULL};
        assert_int_equal(ws_server_stop(&t->s), 0);
        int st = ws_cli(&t->s, true, out, sizeof out, vf);
        if (st) fail_msg("audit verify: %s", out);
        ws_server_destroy(&t->s);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(map_and_card),
    };
    return cmocka_run_group_tests_name("riskmap", tests, NULL, NULL);
}
