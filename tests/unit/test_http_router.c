/* test_http_router.c — the parts of src/http that decide what a request gets,
 * tested without a network: the router (pattern matching, 404 versus 405
 * with Allow, parameters, specificity, refusal of clashing or malformed
 * patterns), listen-address rules (plain HTTP only on loopback), static-file
 * path safety, content types, the single-page-app fallback, ETag/304, the
 * Prometheus exposition, and the self-signed certificate `init` makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/http.h"
#include "http/http_int.h"

/* A route table shaped like the real one; handlers are never called here. */
static const api_route table[] = {
    {"GET", "/api/v1/units", NULL, API_AUTH, "unit.read", "List units", "org", NULL, 0},
    {"POST", "/api/v1/units", NULL, API_AUTH, "unit.write", "Create a unit", "org", NULL, 0},
    {"GET", "/api/v1/units/{id}", NULL, API_AUTH, "unit.read", "Get a unit", "org", NULL, 0},
    {"PATCH", "/api/v1/units/{id}", NULL, API_AUTH, "unit.write", "Change a unit", "org", NULL, 0},
    {"POST", "/api/v1/units/{id}/actions/deactivate", NULL, API_AUTH, "unit.write", "Deactivate", "org",
     NULL, 0},
    {"GET", "/api/v1/units/{id}/tree", NULL, API_AUTH, "unit.read", "Subtree", "org", NULL, 0},
    {"GET", "/api/v1/units/export", NULL, API_AUTH, "unit.read", "Export", "org", NULL, 0},
    {"GET", "/api/v1/people/{person_id}/posts/{post_id}", NULL, API_AUTH, NULL, "Two params", "org",
     NULL, 0},
    {"GET", "/api/v1/audit/proof/inclusion", NULL, API_PUBLIC, NULL, "Inclusion proof", "audit", NULL,
     0},
    {"POST", "/api/v1/auth/login", NULL, API_PUBLIC, NULL, "Log in", "auth", NULL, 0},
};
#define NT (sizeof table / sizeof table[0])

static const api_route *ptrs[NT];

static http_router *build(void)
{
    for (size_t i = 0; i < NT; i++) ptrs[i] = &table[i];
    http_router *r = NULL;
    assert_int_equal(http_router_build(ptrs, NT, &r), WS_OK);
    assert_non_null(r);
    return r;
}

static int idx(const char *method, const char *pattern)
{
    for (size_t i = 0; i < NT; i++)
        if (!strcmp(table[i].method, method) && !strcmp(table[i].pattern, pattern)) return (int)i;
    return -2;
}

static void test_match_and_params(void **state)
{
    http_router *r = build();
    http_match m;
    assert_int_equal(http_router_match(r, "GET", "/api/v1/units", &m), HTTP_MATCH_OK);
    assert_int_equal(m.route, idx("GET", "/api/v1/units"));
    assert_int_equal(m.nparams, 0);
    assert_int_equal(http_router_match(r, "POST", "/api/v1/units", &m), HTTP_MATCH_OK);
    assert_int_equal(m.route, idx("POST", "/api/v1/units"));

    assert_int_equal(http_router_match(r, "GET", "/api/v1/units/12", &m), HTTP_MATCH_OK);
    assert_int_equal(m.route, idx("GET", "/api/v1/units/{id}"));
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.params[0], "12");

    assert_int_equal(http_router_match(r, "POST", "/api/v1/units/7/actions/deactivate", &m), HTTP_MATCH_OK);
    assert_int_equal(m.route, idx("POST", "/api/v1/units/{id}/actions/deactivate"));
    assert_string_equal(m.params[0], "7");

    assert_int_equal(http_router_match(r, "GET", "/api/v1/people/3/posts/44", &m), HTTP_MATCH_OK);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(m.params[0], "3");
    assert_string_equal(m.params[1], "44");

    /* A parameter is whatever the segment holds; the handler validates it. */
    assert_int_equal(http_router_match(r, "GET", "/api/v1/units/abc", &m), HTTP_MATCH_OK);
    assert_string_equal(m.params[0], "abc");

    /* HEAD is answered by the GET route. */
    assert_int_equal(http_router_match(r, "HEAD", "/api/v1/units/5/tree", &m), HTTP_MATCH_OK);
    assert_int_equal(m.route, idx("GET", "/api/v1/units/{id}/tree"));
    http_router_free(r);
}

static void test_literal_beats_param(void **state)
{
    http_router *r = build();
    http_match m;
    assert_int_equal(http_router_match(r, "GET", "/api/v1/units/export", &m), HTTP_MATCH_OK);
    assert_int_equal(m.route, idx("GET", "/api/v1/units/export"));
    assert_int_equal(m.nparams, 0);
    /* PATCH has no literal route, so the {id} route takes "export" as an id. */
    assert_int_equal(http_router_match(r, "PATCH", "/api/v1/units/export", &m), HTTP_MATCH_OK);
    assert_int_equal(m.route, idx("PATCH", "/api/v1/units/{id}"));
    assert_string_equal(m.params[0], "export");
    http_router_free(r);
}

static void test_405_lists_allowed_methods(void **state)
{
    http_router *r = build();
    http_match m;
    assert_int_equal(http_router_match(r, "DELETE", "/api/v1/units/12", &m), HTTP_MATCH_METHOD);
    assert_string_equal(m.allow, "GET, PATCH");
    assert_int_equal(m.route, -1);
    assert_int_equal(http_router_match(r, "PUT", "/api/v1/units", &m), HTTP_MATCH_METHOD);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(http_router_match(r, "GET", "/api/v1/auth/login", &m), HTTP_MATCH_METHOD);
    assert_string_equal(m.allow, "POST");
    /* /units/export fits both the literal GET and the PATCH {id} route. */
    assert_int_equal(http_router_match(r, "POST", "/api/v1/units/export", &m), HTTP_MATCH_METHOD);
    assert_string_equal(m.allow, "GET, PATCH");
    http_router_free(r);
}

static void test_404(void **state)
{
    http_router *r = build();
    http_match m;
    const char *paths[] = {
        "/api/v1/nothing", "/api/v1/units/", "/api/v1/units//tree", "/api//v1/units", "//api/v1/units",
        "/api/v1/units/1/actions/destroy", "/api/v1/units/1/tree/x", "/api/v2/units", "/api/v1",
        "api/v1/units", "", "/api/v1/UNITS",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_int_equal(http_router_match(r, "GET", paths[i], &m), HTTP_MATCH_NOT_FOUND);
        assert_int_equal(http_router_match(r, "POST", paths[i], &m), HTTP_MATCH_NOT_FOUND);
    }
    /* Too many segments, and a parameter longer than the parameter buffer. */
    assert_int_equal(http_router_match(r, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", &m), HTTP_MATCH_NOT_FOUND);
    char lng[600] = "/api/v1/units/";
    memset(lng + strlen(lng), '9', 400);
    assert_int_equal(http_router_match(r, "GET", lng, &m), HTTP_MATCH_NOT_FOUND);
    http_router_free(r);
}

static void test_build_refuses_bad_tables(void **state)
{
    static const api_route clash[] = {
        {"GET", "/api/v1/units/{id}", NULL, API_AUTH, NULL, "a", "t", NULL, 0},
        {"GET", "/api/v1/units/{unit_id}", NULL, API_AUTH, NULL, "b", "t", NULL, 0},
    };
    static const api_route bad[][1] = {
        {{"GET", "api/v1/x", NULL, API_AUTH, NULL, "", "", NULL, 0}},
        {{"GET", "/api/v1/{id", NULL, API_AUTH, NULL, "", "", NULL, 0}},
        {{"GET", "/api/v1/{}", NULL, API_AUTH, NULL, "", "", NULL, 0}},
        {{"GET", "/api//x", NULL, API_AUTH, NULL, "", "", NULL, 0}},
        {{"GET", "/api/v1/x/", NULL, API_AUTH, NULL, "", "", NULL, 0}},
        {{"GET", "/api/{a}/{b}/{c}/{d}/{e}", NULL, API_AUTH, NULL, "", "", NULL, 0}},
        {{"GET", "/api/v1/x{id}", NULL, API_AUTH, NULL, "", "", NULL, 0}},
    };
    const api_route *p[2] = {&clash[0], &clash[1]};
    http_router *r = NULL;
    assert_int_equal(http_router_build(p, 2, &r), WS_EINTERNAL);
    assert_null(r);
    assert_non_null(strstr(ws_err_message(), "clash"));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p[0] = &bad[i][0];
        assert_int_equal(http_router_build(p, 1, &r), WS_EINTERNAL);
        assert_null(r);
    }
    /* Same pattern with another method is fine. */
    static const api_route ok[] = {
        {"GET", "/api/v1/units/{id}", NULL, API_AUTH, NULL, "a", "t", NULL, 0},
        {"PATCH", "/api/v1/units/{id}", NULL, API_AUTH, NULL, "b", "t", NULL, 0},
    };
    p[0] = &ok[0];
    p[1] = &ok[1];
    assert_int_equal(http_router_build(p, 2, &r), WS_OK);
    http_router_free(r);
}

static void test_listen_addresses(void **state)
{
    struct sockaddr_storage ss;
    bool loop;
    const char *loopback[] = {"127.0.0.1:8080", "127.9.8.7:1", "localhost:0", "[::1]:8080",
                              "[::ffff:127.0.0.1]:80"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        assert_int_equal(http_parse_listen(loopback[i], "listen", &ss, &loop), WS_OK);
        assert_true(loop);
    }
    assert_int_equal(http_parse_listen("127.0.0.1:8080", "listen", &ss, &loop), WS_OK);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    assert_int_equal(http_parse_listen("[::1]:8443", "listen", &ss, &loop), WS_OK);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8443);

    const char *open[] = {"0.0.0.0:8443", ":8443", "10.1.2.3:80", "[::]:8443", "128.0.0.1:80",
                          "[::ffff:10.0.0.1]:80"};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        assert_int_equal(http_parse_listen(open[i], "listen_tls", &ss, &loop), WS_OK);
        assert_false(loop);
    }
    const char *bad[] = {"8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                         "example.com:80", "[::1]8080", "::1:8080", "127.0.0.1:80x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(http_parse_listen(bad[i], "listen", &ss, &loop), WS_EINVAL);
        assert_string_equal(ws_err_field(), "listen");
    }
}

static void test_static_paths(void **state)
{
    char out[256];
    assert_int_equal(http_static_path("/srv/web", "/", out, sizeof out), 0);
    assert_string_equal(out, "/srv/web/index.html");
    assert_int_equal(http_static_path("/srv/web", "/pages/home.js", out, sizeof out), 0);
    assert_string_equal(out, "/srv/web/pages/home.js");
    assert_int_equal(http_static_path("/srv/web", "/app.v2.js", out, sizeof out), 0);
    const char *unsafe[] = {"/..", "/../etc/passwd", "/pages/../../etc/passwd", "/a/./b", "/.stamp",
                            "/pages/.git/config", "/a//b", "/a/", "/a\\..\\b", "/a\x01", "relative",
                            ""};
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++)
        assert_int_equal(http_static_path("/srv/web", unsafe[i], out, sizeof out), -1);
    /* libmicrohttpd hands over decoded paths; a still-encoded one is just a
     * file name with '%' in it, inside web_dir. */
    assert_int_equal(http_static_path("/srv/web", "/%2e%2e/x", out, sizeof out), 0);
    assert_int_equal(strncmp(out, "/srv/web/", 9), 0);
    assert_int_equal(http_static_path(NULL, "/", out, sizeof out), -1);
    assert_int_equal(http_static_path("/srv/web", "/index.html", out, 10), -1); /* does not fit */

    assert_true(http_is_page_route("/"));
    assert_true(http_is_page_route("/units/12"));
    assert_true(http_is_page_route("/v1.2/people")); /* the dot is not in the last segment */
    assert_false(http_is_page_route("/app.js"));
    assert_false(http_is_page_route("/pages/missing.css"));
}

static void test_content_types(void **state)
{
    assert_string_equal(http_content_type("/w/index.html"), "text/html; charset=utf-8");
    assert_string_equal(http_content_type("/w/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(http_content_type("/w/a.css"), "text/css; charset=utf-8");
    assert_string_equal(http_content_type("/w/favicon.svg"), "image/svg+xml");
    assert_string_equal(http_content_type("/w/x.PNG"), "image/png");
    assert_string_equal(http_content_type("/w/i18n.json"), "application/json; charset=utf-8");
    assert_string_equal(http_content_type("/w/manifest.webmanifest"), "application/manifest+json");
    assert_string_equal(http_content_type("/w/f.woff2"), "font/woff2");
    assert_string_equal(http_content_type("/w/x.tar"), "application/octet-stream");
    assert_string_equal(http_content_type("/w.d/noext"), "application/octet-stream");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_static_responses(void **state)
{
    char dir[] = "/tmp/ws_http_test_XXXXXX", p[512];
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/index.html", dir);
    write_file(p, "<!doctype html><title>worksafe</title>");
    snprintf(p, sizeof p, "%s/app.js", dir);
    write_file(p, "console.log(1)");
    snprintf(p, sizeof p, "%s/app.3f9a2c1d.js", dir);
    write_file(p, "console.log(2)");
    snprintf(p, sizeof p, "%s/pages", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/.secret", dir);
    write_file(p, "x");

    int status = 0;
    struct MHD_Response *r = http_static_response(dir, "/app.js", NULL, &status);
    assert_non_null(r);
    assert_int_equal(status, 200);
    assert_string_equal(MHD_get_response_header(r, "Content-Type"), "text/javascript; charset=utf-8");
    assert_string_equal(MHD_get_response_header(r, "Cache-Control"), "no-cache");
    char etag[128];
    snprintf(etag, sizeof etag, "%s", MHD_get_response_header(r, "ETag"));
    assert_int_equal(etag[0], '"');
    MHD_destroy_response(r);

    /* Revalidation: the same ETag gives 304, another one the file. */
    r = http_static_response(dir, "/app.js", etag, &status);
    assert_int_equal(status, 304);
    MHD_destroy_response(r);
    char list[300];
    snprintf(list, sizeof list, "\"other\", W/%s", etag);
    r = http_static_response(dir, "/app.js", list, &status);
    assert_int_equal(status, 304);
    MHD_destroy_response(r);
    r = http_static_response(dir, "/app.js", "\"nope\"", &status);
    assert_int_equal(status, 200);
    MHD_destroy_response(r);

    r = http_static_response(dir, "/app.3f9a2c1d.js", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(MHD_get_response_header(r, "Cache-Control"), "public, max-age=31536000, immutable");
    MHD_destroy_response(r);

    /* "/" and page routes get index.html; files that do not exist do not. */
    const char *pages[] = {"/", "/units/12", "/pages", "/login"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        r = http_static_response(dir, pages[i], NULL, &status);
        assert_int_equal(status, 200);
        assert_string_equal(MHD_get_response_header(r, "Content-Type"), "text/html; charset=utf-8");
        MHD_destroy_response(r);
    }
    const char *missing[] = {"/missing.js", "/pages/x.css", "/.secret", "/../index.html", "/a//b"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        r = http_static_response(dir, missing[i], NULL, &status);
        assert_int_equal(status, 404);
        MHD_destroy_response(r);
    }
    /* No web directory configured: everything is 404. */
    r = http_static_response(NULL, "/", NULL, &status);
    assert_int_equal(status, 404);
    MHD_destroy_response(r);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_metrics_text(void **state)
{
    for (size_t i = 0; i < NT; i++) ptrs[i] = &table[i];
    http_metrics *m = NULL;
    assert_int_equal(http_metrics_new(ptrs, NT, &m), WS_OK);
    int units = idx("GET", "/api/v1/units/{id}");
    http_metrics_record(m, units, "GET", 200, 500000);    /* 0.5 ms */
    http_metrics_record(m, units, "GET", 200, 3000000);   /* 3 ms */
    http_metrics_record(m, units, "GET", 404, 20000000000); /* 20 s: only +Inf */
    http_metrics_record(m, http_metrics_extra(m, HTTP_R_HEALTHZ), "HEAD", 200, 1000);
    http_metrics_record(m, http_metrics_extra(m, HTTP_R_STATIC), "BREW", 418, 1000);
    http_metrics_record(m, -1, "GET", 200, 1); /* ignored */
    http_metrics_in_flight(m, 2);
    http_metrics_streams(m, 3);
    http_metrics_streams(m, -1);
    http_metrics_stream_io(m, 40, 0);
    http_metrics_stream_io(m, 2, 1);
    http_metrics_streams_hung_up(m, 0);
    http_metrics_streams_hung_up(m, 3);
    buf b = BUF_INIT(1 << 20);
    assert_int_equal(http_metrics_render(m, NULL, &b), WS_OK);
    const char *want[] = {
        "# TYPE http_requests_total counter\n",
        "\nhttp_requests_total{route=\"/api/v1/units/{id}\",method=\"GET\",status=\"200\"} 2\n",
        "\nhttp_requests_total{route=\"/api/v1/units/{id}\",method=\"GET\",status=\"404\"} 1\n",
        "\nhttp_requests_total{route=\"/healthz\",method=\"HEAD\",status=\"200\"} 1\n",
        "\nhttp_requests_total{route=\"static\",method=\"other\",status=\"other\"} 1\n",
        "# TYPE http_request_duration_seconds histogram\n",
        "\nhttp_request_duration_seconds_bucket{route=\"/api/v1/units/{id}\",le=\"0.001\"} 1\n",
        "\nhttp_request_duration_seconds_bucket{route=\"/api/v1/units/{id}\",le=\"0.0025\"} 1\n",
        "\nhttp_request_duration_seconds_bucket{route=\"/api/v1/units/{id}\",le=\"0.005\"} 2\n",
        "\nhttp_request_duration_seconds_bucket{route=\"/api/v1/units/{id}\",le=\"10\"} 2\n",
        "\nhttp_request_duration_seconds_bucket{route=\"/api/v1/units/{id}\",le=\"+Inf\"} 3\n",
        "\nhttp_request_duration_seconds_sum{route=\"/api/v1/units/{id}\"} 20.003500000\n",
        "\nhttp_request_duration_seconds_count{route=\"/api/v1/units/{id}\"} 3\n",
        "\nhttp_requests_in_flight 2\n",
        "\nhttp_streams_open 2\n",
        "\nhttp_stream_direct_sends_total 42\n",
        "\nhttp_stream_handbacks_total 1\n",
        "\nhttp_streams_hung_up_total 3\n",
        "\nprocess_start_time_seconds ",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(b.data, want[i])) fail_msg("missing %s in:\n%s", want[i], b.data);
    }
    /* No series for routes that saw no request. */
    assert_null(strstr(b.data, "/api/v1/auth/login"));
    assert_null(strstr(b.data, "store_statements_total")); /* no store given */
    buf_free(&b);
    http_metrics_free(m);
}

static void test_selfsigned_certificate(void **state)
{
    char dir[] = "/tmp/ws_tls_test_XXXXXX", cert[512], key[512];
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    assert_int_equal(http_tls_selfsigned(cert, key, "plant-server.lan"), WS_OK);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    char *c = NULL, *k = NULL;
    assert_int_equal(http_tls_load(cert, key, &c, &k), WS_OK);
    assert_non_null(strstr(c, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(k, "BEGIN PRIVATE KEY"));

    /* The key belongs to the certificate (GnuTLS checks when pairing them). */
    gnutls_certificate_credentials_t cred;
    assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
    gnutls_datum_t cd = {(unsigned char *)c, (unsigned)strlen(c)}, kd = {(unsigned char *)k, (unsigned)strlen(k)};
    assert_true(gnutls_certificate_set_x509_key_mem(cred, &cd, &kd, GNUTLS_X509_FMT_PEM) >= 0);
    gnutls_certificate_free_credentials(cred);

    gnutls_x509_crt_t crt;
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &cd, GNUTLS_X509_FMT_PEM), 0);
    assert_true(gnutls_x509_crt_check_hostname(crt, "localhost"));
    assert_true(gnutls_x509_crt_check_hostname(crt, "plant-server.lan"));
    assert_true(gnutls_x509_crt_check_hostname(crt, "127.0.0.1"));
    assert_false(gnutls_x509_crt_check_hostname(crt, "example.com"));
    time_t now = time(NULL), exp = gnutls_x509_crt_get_expiration_time(crt);
    assert_true(exp > now + 824 * 86400L && exp <= now + 825 * 86400L);
    assert_true(gnutls_x509_crt_get_activation_time(crt) <= now);
    unsigned ca = 1;
    assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca, NULL), 0);
    assert_int_equal(ca, 0);
    assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, NULL), GNUTLS_PK_ECDSA);
    /* Self-signed: its own signature verifies. */
    unsigned verify = 1;
    assert_int_equal(gnutls_x509_crt_verify(crt, &crt, 1, 0, &verify), 0);
    assert_int_equal(verify, 0);
    gnutls_x509_crt_deinit(crt);
    free(c);
    free(k);

    /* A missing or empty file is refused naming the field. */
    assert_int_equal(http_tls_load("/nonexistent/cert.pem", key, &c, &k), WS_EIO);
    assert_string_equal(ws_err_field(), "cert");
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty.pem", dir);
    write_file(empty, "");
    assert_int_equal(http_tls_load(cert, empty, &c, &k), WS_EIO);
    assert_string_equal(ws_err_field(), "key");
    assert_null(c);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_and_params),
        cmocka_unit_test(test_literal_beats_param),
        cmocka_unit_test(test_405_lists_allowed_methods),
        cmocka_unit_test(test_404),
        cmocka_unit_test(test_build_refuses_bad_tables),
        cmocka_unit_test(test_listen_addresses),
        cmocka_unit_test(test_static_paths),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_static_responses),
        cmocka_unit_test(test_metrics_text),
        cmocka_unit_test(test_selfsigned_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
