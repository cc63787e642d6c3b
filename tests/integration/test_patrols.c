/* test_patrols.c — grid patrols over HTTP against the real server, on
 * SQLite and (with WS_TEST_PG_URL) PostgreSQL: the server's timer makes a
 * grid's patrol; a scan nonce proves one check once; a nonce used twice,
 * for another point or for another patrol is refused (409 naming "nonce");
 * a check without a nonce online is 400; a failed item opens a hidden
 * danger that points back to the patrol; the QR code names the scan page;
 * an offline check keeps the phone's time and says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "integration/common.h"

static long long wait_patrol(ws_server *s, const char *tok, long long grid)
{
    char p[96];
    snprintf(p, sizeof p, "/api/v1/patrols?unit_id=%lld", grid);
    for (int i = 0; i < 500; i++) {
        json_t *r = NULL;
        ws_server_tick(s);
        ws_req(s, "GET", p, tok, NULL, &r);
        long long id = json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "id"));
        json_decref(r);
        if (id) return id;
        usleep(20000);
    }
    fail_msg("no patrol for grid %lld", grid);
    return 0;
}

static char *nonce(ws_server *s, const char *tok, long long patrol, long long point)
{
    char p[96], b[64];
    snprintf(p, sizeof p, "/api/v1/patrols/%lld/nonces", patrol);
    snprintf(b, sizeof b, "{\"point_id\":%lld}", point);
    json_t *r = NULL;
    long st = ws_req(s, "POST", p, tok, b, &r);
    if (st != 201) fail_msg("nonce -> %ld %s", st, ws_err_field_of(r));
    char *n = strdup(json_string_value(json_object_get(r, "nonce")));
    json_decref(r);
    return n;
}

static long check(ws_server *s, const char *tok, long long patrol, long long point, const char *n,
                  const char *items, json_t **r)
{
    char p[96], b[512];
    snprintf(p, sizeof p, "/api/v1/patrols/%lld/actions/check", patrol);
    if (n) snprintf(b, sizeof b, "{\"point_id\":%lld,\"nonce\":\"%s\",\"items\":%s,\"lat\":31.9801,\"lon\":120.8901}", point, n, items);
    else snprintf(b, sizeof b, "{\"point_id\":%lld,\"items\":%s}", point, items);
    return ws_req(s, "POST", p, tok, b, r);
}

static void patrols_over_http(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int k = 0; k < nb; k++) {
        ws_server s;
        const char *extra[] = {"--org-kind", "enterprise", "--org-name", "化工企业", NULL};
        ws_serve_extra[0] = "--tick-seconds";
        ws_serve_extra[1] = "1";
        assert_int_equal(ws_server_start(&s, be[k], extra), 0);
        char tok[65];
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long ent = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        char b[512];
        snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂区\"}", ent);
        long long site = ws_post_id(&s, tok, "/api/v1/units", b);
        long long grid[2];
        for (int g = 0; g < 2; g++) {
            snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"grid\",\"code\":\"G%d\",\"name\":\"网格%d\"}", site, g, g);
            grid[g] = ws_post_id(&s, tok, "/api/v1/units", b);
        }
        snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"name\":\"日常\",\"items\":[\"消防器材完好\",\"通道畅通\"]}", ent);
        long long tpl = ws_post_id(&s, tok, "/api/v1/patrol-templates", b);
        /* A bad point names its field. */
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"bad code\",\"name\":\"点\"}", grid[0]);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/patrol-points", tok, b, &r), 400);
        assert_string_equal(ws_err_field_of(r), "code");
        json_decref(r);
        long long pt[3];
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"A1\",\"name\":\"储罐\",\"template_id\":%lld,"
                 "\"lat\":31.98,\"lon\":120.89,\"radius_m\":20}", grid[0], tpl);
        pt[0] = ws_post_id(&s, tok, "/api/v1/patrol-points", b);
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"A2\",\"name\":\"泵房\",\"template_id\":%lld}", grid[0], tpl);
        pt[1] = ws_post_id(&s, tok, "/api/v1/patrol-points", b);
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"B1\",\"name\":\"装车台\",\"template_id\":%lld}", grid[1], tpl);
        pt[2] = ws_post_id(&s, tok, "/api/v1/patrol-points", b);
        /* The QR code names the scan page of the point. */
        char p[128], *raw = NULL;
        snprintf(p, sizeof p, "/api/v1/patrol-points/%lld/qr.svg", pt[0]);
        assert_int_equal(ws_http(&s, "GET", p, tok, NULL, 0, NULL, NULL, &raw), 200);
        assert_non_null(strstr(raw, "<svg"));
        free(raw);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/patrol-points?code=A2", tok, NULL, &r), 200);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "id")), pt[1]);
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "scan_path")),
                            "/patrol/scan/A2");
        json_decref(r);
        long long pa = wait_patrol(&s, tok, grid[0]), pb = wait_patrol(&s, tok, grid[1]);
        const char *ok2 = "[{\"ok\":true},{\"ok\":true}]";
        /* Online without a nonce: 400. */
        assert_int_equal(check(&s, tok, pa, pt[0], NULL, ok2, &r), 400);
        assert_string_equal(ws_err_field_of(r), "nonce");
        json_decref(r);
        /* Another point, another patrol: 409 naming the nonce. */
        char *n1 = nonce(&s, tok, pa, pt[1]);
        assert_int_equal(check(&s, tok, pa, pt[0], n1, ok2, &r), 409);
        assert_string_equal(ws_err_field_of(r), "nonce");
        json_decref(r);
        char *nb2 = nonce(&s, tok, pb, pt[2]);
        assert_int_equal(check(&s, tok, pa, pt[0], nb2, ok2, &r), 409);
        assert_string_equal(ws_err_field_of(r), "nonce");
        json_decref(r);
        /* The right one, with a failed item: a hazard, linked both ways. */
        char *n0 = nonce(&s, tok, pa, pt[0]);
        assert_int_equal(check(&s, tok, pa, pt[0], n0, "[{\"ok\":false,\"note\":\"灭火器过期\"},{\"ok\":true}]", &r), 200);
        assert_int_equal(json_integer_value(json_object_get(r, "hazards_opened")), 1);
        json_t *stop = json_array_get(json_object_get(r, "stops"), 0);
        long long hid = json_integer_value(json_array_get(json_object_get(stop, "hazard_ids"), 0));
        json_t *proof = json_object_get(stop, "proof");
        assert_string_equal(json_string_value(json_object_get(proof, "nonce")), "scan");
        assert_string_equal(json_string_value(json_object_get(proof, "gps")), "within");
        assert_string_equal(json_string_value(json_object_get(stop, "time_source")), "server");
        assert_string_equal(json_string_value(json_object_get(r, "state")), "in_progress");
        json_decref(r);
        snprintf(p, sizeof p, "/api/v1/hazards/%lld/patrol", hid);
        assert_int_equal(ws_req(&s, "GET", p, tok, NULL, &r), 200);
        assert_int_equal(json_integer_value(json_object_get(r, "id")), pa);
        json_decref(r);
        /* The same nonce again (at the other point): refused. */
        assert_int_equal(check(&s, tok, pa, pt[1], n0, ok2, &r), 409);
        assert_string_equal(ws_err_field_of(r), "nonce");
        assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")), "used"));
        json_decref(r);
        /* Offline: the phone's time is kept and flagged; the patrol is done. */
        char ct[40], body[512];
        clock_format_rfc3339(((long long)time(NULL) + 1) * 1000, ct, sizeof ct); /* after the nonce was issued */
        snprintf(p, sizeof p, "/api/v1/patrols/%lld/actions/check", pa);
        snprintf(body, sizeof body, "{\"point_id\":%lld,\"nonce\":\"%s\",\"offline\":true,\"client_time\":\"%s\",\"items\":%s}",
                 pt[1], n1, ct, ok2);
        /* n1 is a scan nonce fetched online: it proves an offline check too. */
        assert_int_equal(ws_req(&s, "POST", p, tok, body, &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "done");
        stop = json_array_get(json_object_get(r, "stops"), 1);
        assert_string_equal(json_string_value(json_object_get(stop, "time_source")), "phone");
        assert_non_null(json_string_value(json_object_get(stop, "received_at")));
        json_decref(r);
        /* The list carries each patrol's progress: of grid 0's two stops both
         * checked, one found wrong; grid 1's one stop not yet checked. */
        for (int g = 0; g < 2; g++) {
            snprintf(p, sizeof p, "/api/v1/patrols?unit_id=%lld", grid[g]);
            assert_int_equal(ws_req(&s, "GET", p, tok, NULL, &r), 200);
            json_t *it = json_array_get(json_object_get(r, "items"), 0);
            assert_int_equal(json_integer_value(json_object_get(it, "id")), g ? pb : pa);
            assert_int_equal(json_integer_value(json_object_get(it, "stops_total")), g ? 1 : 2);
            assert_int_equal(json_integer_value(json_object_get(it, "stops_done")), g ? 0 : 2);
            assert_int_equal(json_integer_value(json_object_get(it, "stops_flagged")), g ? 0 : 1);
            json_decref(r);
        }
        /* Who may record it, as the page is told: the admin may; a worker of
         * the site, not of the grid, reads it but may not. */
        snprintf(p, sizeof p, "/api/v1/patrols/%lld", pb);
        assert_int_equal(ws_req(&s, "GET", p, tok, NULL, &r), 200);
        assert_true(json_is_true(json_object_get(r, "can_check")));
        json_decref(r);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"厂区员工\",\"phone\":\"13900000001\"}", site);
        long long person = ws_post_id(&s, tok, "/api/v1/people", b);
        snprintf(b, sizeof b, "{\"username\":\"site_worker\",\"password\":\"Site-Worker-Pass9\",\"roles\":[\"worker\"],"
                 "\"scope_unit_id\":%lld,\"person_id\":%lld}", site, person);
        ws_post_id(&s, tok, "/api/v1/accounts", b);
        char wtok[65];
        assert_int_equal(ws_login(&s, "site_worker", "Site-Worker-Pass9", wtok), 200);
        assert_int_equal(ws_req(&s, "GET", p, wtok, NULL, &r), 200);
        assert_true(json_is_false(json_object_get(r, "can_check")));
        json_decref(r);
        /* A regulator-less world: a bad body names the field. */
        snprintf(body, sizeof body, "{\"point_id\":%lld,\"items\":[{\"ok\":\"yes\"}]}", pt[2]);
        snprintf(p, sizeof p, "/api/v1/patrols/%lld/actions/check", pb);
        assert_int_equal(ws_req(&s, "POST", p, tok, body, &r), 400);
        assert_string_equal(ws_err_field_of(r), "items[0].ok");
        json_decref(r);
        free(n0);
        free(n1);
        free(nb2);
        ws_server_destroy(&s);
    }
}

/* A point renamed, its checklist dropped, or retired: the next patrols of
 * its grid go without a retired point, and a grid whose points are all
 * retired gets no patrol; the code stays; bad changes name their field. */
static void points_change_and_retire(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int k = 0; k < nb; k++) {
        ws_server s;
        const char *extra[] = {"--org-kind", "enterprise", "--org-name", "化工企业", NULL};
        ws_serve_extra[0] = NULL; /* the timer runs only when asked (ws_server_tick) */
        assert_int_equal(ws_server_start(&s, be[k], extra), 0);
        char tok[65], b[512], p[96];
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long ent = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂区\"}", ent);
        long long site = ws_post_id(&s, tok, "/api/v1/units", b), grid[2];
        for (int g = 0; g < 2; g++) {
            snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"grid\",\"code\":\"G%d\",\"name\":\"网格%d\"}", site, g, g);
            grid[g] = ws_post_id(&s, tok, "/api/v1/units", b);
        }
        snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"name\":\"日常\",\"items\":[\"通道畅通\"]}", ent);
        long long tpl = ws_post_id(&s, tok, "/api/v1/patrol-templates", b);
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"K1\",\"name\":\"储罐\",\"template_id\":%lld}", grid[0], tpl);
        long long keep = ws_post_id(&s, tok, "/api/v1/patrol-points", b);
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"R1\",\"name\":\"拆除的泵房\"}", grid[0]);
        long long gone = ws_post_id(&s, tok, "/api/v1/patrol-points", b);
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"X1\",\"name\":\"停用的装车台\"}", grid[1]);
        long long only = ws_post_id(&s, tok, "/api/v1/patrol-points", b);
        /* bad changes are named; nothing changes */
        snprintf(p, sizeof p, "/api/v1/patrol-points/%lld", keep);
        assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"active\":\"no\"}", &r), 400);
        assert_string_equal(ws_err_field_of(r), "active");
        json_decref(r);
        assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"code\":\"K2\"}", &r), 400);
        assert_string_equal(ws_err_field_of(r), "code");
        json_decref(r);
        assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"template_id\":999999}", &r), 400);
        assert_string_equal(ws_err_field_of(r), "template_id");
        json_decref(r);
        assert_int_equal(ws_req(&s, "PATCH", "/api/v1/patrol-points/999999", tok, "{\"name\":\"x\"}", &r), 404);
        json_decref(r);
        /* a template in use is not retired; renamed and given new items, it is */
        snprintf(p, sizeof p, "/api/v1/patrol-templates/%lld", tpl);
        assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"active\":false}", &r), 409);
        assert_string_equal(ws_err_field_of(r), "active");
        json_decref(r);
        assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"items\":[]}", &r), 400);
        assert_string_equal(ws_err_field_of(r), "items");
        json_decref(r);
        assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"name\":\"日常巡查\",\"items\":[\"通道畅通\",\"无泄漏\"]}", &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "name")), "日常巡查");
        assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
        json_decref(r);
        /* renamed, checklist dropped, photo asked for: the code stays */
        snprintf(p, sizeof p, "/api/v1/patrol-points/%lld", keep);
        assert_int_equal(ws_req(&s, "PATCH", p, tok,
                                "{\"name\":\"1号储罐\",\"template_id\":null,\"photo_required\":true}", &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "name")), "1号储罐");
        assert_string_equal(json_string_value(json_object_get(r, "code")), "K1");
        assert_true(json_is_null(json_object_get(r, "template_id")));
        assert_true(json_is_true(json_object_get(r, "photo_required")));
        json_decref(r);
        /* no point uses the template now: it is retired, and listed no more */
        snprintf(p, sizeof p, "/api/v1/patrol-templates/%lld", tpl);
        assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"active\":false}", &r), 200);
        assert_true(json_is_false(json_object_get(r, "active")));
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/patrol-templates", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
        json_decref(r);
        /* retired */
        for (int g = 0; g < 2; g++) {
            snprintf(p, sizeof p, "/api/v1/patrol-points/%lld", g ? only : gone);
            assert_int_equal(ws_req(&s, "PATCH", p, tok, "{\"active\":false}", &r), 200);
            assert_true(json_is_false(json_object_get(r, "active")));
            json_decref(r);
        }
        /* today's patrol of grid 0 has the kept point only; grid 1 has none */
        long long pa = wait_patrol(&s, tok, grid[0]);
        snprintf(p, sizeof p, "/api/v1/patrols/%lld", pa);
        assert_int_equal(ws_req(&s, "GET", p, tok, NULL, &r), 200);
        json_t *stops = json_object_get(r, "stops");
        assert_int_equal(json_array_size(stops), 1);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(stops, 0), "point_id")), keep);
        json_decref(r);
        snprintf(p, sizeof p, "/api/v1/patrols?unit_id=%lld", grid[1]);
        assert_int_equal(ws_req(&s, "GET", p, tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
        json_decref(r);
        ws_server_destroy(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(patrols_over_http), cmocka_unit_test(points_change_and_retire)};
    return cmocka_run_group_tests_name("patrols", tests, NULL, NULL);
}
