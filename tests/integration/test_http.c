/* test_http.c — the HTTP layer of the real server over loopback: /healthz,
 * the security headers, 404/405/413 envelopes, keep-alive, static files
 * (index.html, SPA fallback, ETag/304, no path traversal), /metrics after
 * traffic, the OpenAPI document against the route table, and HTTPS with the
 * certificate `init` made, verified by the client, plus the refusal of plain
 * HTTP on a non-loopback address. The HTTP layer does not depend on the store
 * backend, so this runs on SQLite only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "integration/common.h"

static ws_server srv;

typedef struct reply {
    long status;
    char *body;
    size_t len;
    char *head;
    size_t hlen;
    long connects; /* new connections this exchange opened */
} reply;

typedef struct acc {
    char *p;
    size_t n;
} acc;

static size_t sink(char *d, size_t sz, size_t nm, void *u)
{
    acc *a = u;
    size_t add = sz * nm;
    char *q = realloc(a->p, a->n + add + 1);
    if (!q) return 0;
    memcpy(q + a->n, d, add);
    a->p = q;
    a->n += add;
    q[a->n] = 0;
    return add;
}

/* One exchange on handle h (reused for keep-alive checks). extra is a
 * NULL-terminated header list; cainfo turns on certificate verification. */
static void fetch(CURL *h, const char *url, const char *method, const char *const *extra,
                  const char *body, size_t blen, bool chunked, const char *cainfo, reply *r)
{
    memset(r, 0, sizeof *r);
    acc b = {0}, hd = {0};
    struct curl_slist *sl = curl_slist_append(NULL, "Expect:");
    for (int i = 0; extra && extra[i]; i++) sl = curl_slist_append(sl, extra[i]);
    if (chunked) sl = curl_slist_append(sl, "Transfer-Encoding: chunked");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD")) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    if (cainfo) {
        curl_easy_setopt(h, CURLOPT_CAINFO, cainfo);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        if (!chunked) curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK && rc != CURLE_COULDNT_CONNECT) fprintf(stderr, "curl %s %s: %s\n", method, url, curl_easy_strerror(rc));
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    }
    curl_slist_free_all(sl);
    r->body = b.p ? b.p : strdup("");
    r->len = b.n;
    r->head = hd.p ? hd.p : strdup("");
    r->hlen = hd.n;
}

static void reply_free(reply *r)
{
    free(r->body);
    free(r->head);
}

/* Value of header name in the (last) header block; "" when absent. */
static const char *header(const reply *r, const char *name, char *out, size_t cap)
{
    out[0] = 0;
    size_t nl = strlen(name);
    for (const char *p = r->head; p && *p;) {
        const char *e = strstr(p, "\r\n");
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ') v++;
            size_t vl = l - (size_t)(v - p);
            if (vl >= cap) vl = cap - 1;
            memcpy(out, v, vl);
            out[vl] = 0;
        }
        p = e ? e + 2 : NULL;
    }
    return out;
}

static void url_of(char *out, size_t cap, const char *path) { snprintf(out, cap, "%s%s", srv.base, path); }

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return ws_server_start(&srv, "sqlite", NULL);
}

static int teardown(void **state)
{
    ws_server_destroy(&srv);
    return 0;
}

static void assert_security_headers(const reply *r, bool tls, bool no_store)
{
    char v[512];
    assert_string_equal(header(r, "Content-Security-Policy", v, sizeof v),
                        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                        "frame-ancestors 'none'; base-uri 'self'");
    assert_string_equal(header(r, "X-Content-Type-Options", v, sizeof v), "nosniff");
    assert_string_equal(header(r, "Referrer-Policy", v, sizeof v), "no-referrer");
    assert_string_equal(header(r, "X-Frame-Options", v, sizeof v), "DENY");
    header(r, "Strict-Transport-Security", v, sizeof v);
    if (tls) assert_string_equal(v, "max-age=31536000");
    else assert_string_equal(v, "");
    if (no_store) assert_string_equal(header(r, "Cache-Control", v, sizeof v), "no-store");
}

static void healthz_headers_keepalive(void **state)
{
    CURL *h = curl_easy_init();
    char url[256], v[256];
    reply r;
    url_of(url, sizeof url, "/healthz");
    fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    assert_non_null(json_string_value(json_object_get(j, "version")));
    json_decref(j);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "application/json; charset=utf-8");
    assert_security_headers(&r, false, true);
    assert_int_equal(r.connects, 1);
    reply_free(&r);

    /* The same connection serves the next requests (keep-alive), also after
     * an API error and a static file. */
    const char *paths[] = {"/api/v1/nope", "/", "/healthz"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        url_of(url, sizeof url, paths[i]);
        fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
        assert_true(r.status == 200 || r.status == 404);
        assert_int_equal(r.connects, 0);
        reply_free(&r);
    }
    curl_easy_cleanup(h);
}

static void api_errors(void **state)
{
    CURL *h = curl_easy_init();
    char url[256], v[256];
    reply r;
    url_of(url, sizeof url, "/api/v1/no/such/route");
    fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 404);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_string_equal(ws_err_code_of(j), "not_found");
    json_decref(j);
    assert_security_headers(&r, false, true);
    reply_free(&r);

    url_of(url, sizeof url, "/api/v1/me");
    fetch(h, url, "DELETE", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(header(&r, "Allow", v, sizeof v), "GET");
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(ws_err_code_of(j), "method_not_allowed");
    json_decref(j);
    reply_free(&r);

    /* Over the 1 MiB cap: declared (Content-Length) and streamed (chunked). */
    size_t big = (1u << 20) + 10;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    body[big] = 0;
    const char *ct[] = {"Content-Type: application/json", NULL};
    url_of(url, sizeof url, "/api/v1/auth/login");
    for (int chunked = 0; chunked < 2; chunked++) {
        fetch(h, url, "POST", ct, body, big, chunked, NULL, &r);
        assert_int_equal(r.status, 413);
        j = json_loads(r.body, 0, NULL);
        assert_string_equal(ws_err_code_of(j), "too_large");
        assert_string_equal(ws_err_field_of(j), "body");
        json_decref(j);
        reply_free(&r);
    }
    free(body);
    curl_easy_cleanup(h);
}

static void static_files(void **state)
{
    CURL *h = curl_easy_init();
    char url[256], v[256], etag[128];
    reply r;
    url_of(url, sizeof url, "/");
    fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
    assert_non_null(strcasestr(r.body, "<html"));
    assert_security_headers(&r, false, false);
    assert_string_equal(header(&r, "Cache-Control", v, sizeof v), "no-cache");
    header(&r, "ETag", etag, sizeof etag);
    assert_true(etag[0] == '"');
    char *index = strdup(r.body);
    reply_free(&r);

    char inm[200];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *hdr[] = {inm, NULL};
    fetch(h, url, "GET", hdr, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.len, 0);
    reply_free(&r);

    /* A page route of the single-page app gets index.html. */
    url_of(url, sizeof url, "/units/12");
    fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, index);
    reply_free(&r);

    url_of(url, sizeof url, "/app.js");
    fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/javascript; charset=utf-8");
    reply_free(&r);

    const char *bad[] = {"/nope.js", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                         "/pages/..%2f..%2f..%2fetc%2fpasswd", "/.stamp"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        url_of(url, sizeof url, bad[i]);
        fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
        assert_int_equal(r.status, 404);
        assert_null(strstr(r.body, "root:"));
        reply_free(&r);
    }
    url_of(url, sizeof url, "/index.html");
    fetch(h, url, "POST", NULL, "x", 1, false, NULL, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(header(&r, "Allow", v, sizeof v), "GET, HEAD");
    reply_free(&r);
    free(index);
    curl_easy_cleanup(h);
}

/* The value of the first sample line starting with prefix, or -1. */
static double sample(const char *text, const char *prefix)
{
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, prefix, strlen(prefix))) return strtod(p + strlen(prefix), NULL);
        p = strchr(p, '\n');
        if (p) p++;
    }
    return -1;
}

static void metrics_after_traffic(void **state)
{
    CURL *h = curl_easy_init();
    char url[256], v[256];
    reply r;
    char tok[65];
    assert_int_equal(ws_login(&srv, "admin", WS_ADMIN_PW, tok), 200);
    url_of(url, sizeof url, "/healthz");
    for (int i = 0; i < 3; i++) {
        fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
        reply_free(&r);
    }
    url_of(url, sizeof url, "/metrics");
    fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/plain; version=0.0.4; charset=utf-8");
    assert_true(sample(r.body, "http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} ") >= 3);
    if (sample(r.body, "http_requests_total{route=\"/api/v1/auth/login\",method=\"POST\",status=\"200\"} ") < 1)
        fail_msg("no login counted in:\n%s", r.body);
    assert_true(sample(r.body, "http_request_duration_seconds_count{route=\"/api/v1/auth/login\"} ") >= 1);
    assert_true(sample(r.body, "http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} ") >= 3);
    assert_true(sample(r.body, "store_statements_total ") > 0);
    assert_true(sample(r.body, "store_statement_seconds_total ") > 0);
    assert_true(sample(r.body, "process_start_time_seconds ") > 1.7e9);
    /* Raw paths never become labels. */
    assert_null(strstr(r.body, "/api/v1/no/such/route"));
    reply_free(&r);
    curl_easy_cleanup(h);
}

static void openapi_describes_every_route(void **state)
{
    json_t *doc = NULL;
    assert_int_equal(ws_req(&srv, "GET", "/api/v1/openapi.json", NULL, NULL, &doc), 200);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    json_t *paths = json_object_get(doc, "paths");
    size_t n = 0;
    const api_route *const *routes = api_route_table(&n);
    assert_true(n > 10);
    for (size_t i = 0; i < n; i++) {
        char m[16];
        size_t k = 0;
        for (; routes[i]->method[k] && k < 15; k++) m[k] = (char)(routes[i]->method[k] | 0x20);
        m[k] = 0;
        json_t *op = json_object_get(json_object_get(paths, routes[i]->pattern), m);
        if (!op) fail_msg("%s %s is not in the OpenAPI document", routes[i]->method, routes[i]->pattern);
        assert_string_equal(json_string_value(json_object_get(op, "summary")), routes[i]->summary);
        json_t *sec = json_object_get(op, "security");
        if (routes[i]->access != API_AUTH) assert_true(json_is_array(sec) && json_array_size(sec) == 0);
        else assert_null(sec);
        /* Every {param} is a required path parameter. */
        size_t want = 0, got = 0;
        for (const char *p = routes[i]->pattern; (p = strchr(p, '{')); p++) want++;
        json_t *prms = json_object_get(op, "parameters");
        for (size_t k2 = 0; k2 < json_array_size(prms); k2++) {
            json_t *prm = json_array_get(prms, k2);
            if (strcmp(json_string_value(json_object_get(prm, "in")), "path")) continue;
            assert_true(json_is_true(json_object_get(prm, "required")));
            got++;
        }
        assert_int_equal(got, want);
        if (routes[i]->nbody) {
            json_t *schema = json_object_get(
                json_object_get(json_object_get(json_object_get(op, "requestBody"), "content"), "application/json"),
                "schema");
            json_t *props = json_object_get(schema, "properties");
            assert_int_equal(json_object_size(props), routes[i]->nbody);
            assert_true(json_is_false(json_object_get(schema, "additionalProperties")));
        }
    }
    /* Login: both fields required, strings with a cap. */
    json_t *login = json_object_get(json_object_get(paths, "/api/v1/auth/login"), "post");
    json_t *schema = json_object_get(
        json_object_get(json_object_get(json_object_get(login, "requestBody"), "content"), "application/json"),
        "schema");
    json_t *req = json_object_get(schema, "required");
    assert_int_equal(json_array_size(req), 2);
    json_t *user = json_object_get(json_object_get(schema, "properties"), "username");
    assert_string_equal(json_string_value(json_object_get(user, "type")), "string");
    assert_true(json_integer_value(json_object_get(user, "maxLength")) > 0);

    json_t *comp = json_object_get(doc, "components");
    json_t *bearer = json_object_get(json_object_get(comp, "securitySchemes"), "bearerAuth");
    assert_string_equal(json_string_value(json_object_get(bearer, "scheme")), "bearer");
    json_t *err = json_object_get(json_object_get(comp, "schemas"), "Error");
    assert_non_null(json_object_get(json_object_get(err, "properties"), "error"));
    /* Query parameters named in a summary ("?parent_id=&kind=") are listed. */
    json_t *units = json_object_get(json_object_get(paths, "/api/v1/units"), "get");
    bool parent = false;
    for (size_t k = 0; k < json_array_size(json_object_get(units, "parameters")); k++) {
        json_t *prm = json_array_get(json_object_get(units, "parameters"), k);
        if (!strcmp(json_string_value(json_object_get(prm, "name")), "parent_id") &&
            !strcmp(json_string_value(json_object_get(prm, "in")), "query"))
            parent = true;
    }
    assert_true(parent);
    assert_non_null(json_object_get(paths, "/healthz"));
    assert_non_null(json_object_get(paths, "/metrics"));
    json_decref(doc);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &l)) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void https_with_init_certificate(void **state)
{
    char out[4096], addr[64], url[256], cert[400], v[256];
    /* Plain HTTP off loopback is refused, naming the setting. */
    snprintf(addr, sizeof addr, "0.0.0.0:%d", free_port());
    assert_int_equal(ws_server_stop(&srv), 0);
    const char *refuse[] = {"serve", "--listen", addr, NULL};
    assert_int_not_equal(ws_cli(&srv, true, out, sizeof out, refuse), 0);
    assert_non_null(strstr(out, "loopback"));

    /* A port another socket listens on is refused, even when that socket
     * allows port sharing (SO_REUSEPORT): two servers must never split the
     * connections of one port between them. */
    int blocker = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in ba = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t bl = sizeof ba;
    assert_int_equal(setsockopt(blocker, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), 0);
    assert_int_equal(bind(blocker, (struct sockaddr *)&ba, sizeof ba), 0);
    assert_int_equal(listen(blocker, 4), 0);
    assert_int_equal(getsockname(blocker, (struct sockaddr *)&ba, &bl), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(ba.sin_port));
    const char *taken[] = {"serve", "--listen", addr, NULL};
    assert_int_not_equal(ws_cli(&srv, true, out, sizeof out, taken), 0);
    close(blocker);

    /* Plain on loopback and HTTPS side by side. */
    int p1 = free_port(), p2 = free_port();
    char l1[64], l2[64], log[400];
    snprintf(l1, sizeof l1, "127.0.0.1:%d", p1);
    snprintf(l2, sizeof l2, "127.0.0.1:%d", p2);
    snprintf(log, sizeof log, "%s/https.log", srv.dir);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log, "a", stderr);
        (void)f;
        execl("build/test/worksafe", "worksafe", "serve", "--data", srv.dir, "--listen", l1, "--listen-tls",
              l2, "--web", "build/web", (char *)NULL);
        _exit(127);
    }
    snprintf(cert, sizeof cert, "%s/tls/cert.pem", srv.dir);
    CURL *h = curl_easy_init();
    reply r = {0};
    snprintf(url, sizeof url, "https://127.0.0.1:%d/healthz", p2);
    for (int i = 0; i < 200; i++) {
        fetch(h, url, "GET", NULL, NULL, 0, false, cert, &r);
        if (r.status == 200) break;
        reply_free(&r);
        struct timespec t = {0, 50 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    /* Verified against the certificate init made, for the name 127.0.0.1. */
    assert_int_equal(r.status, 200);
    assert_security_headers(&r, true, true);
    reply_free(&r);
    snprintf(url, sizeof url, "https://localhost:%d/healthz", p2);
    fetch(h, url, "GET", NULL, NULL, 0, false, cert, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    /* Login over HTTPS sets a Secure cookie. */
    snprintf(url, sizeof url, "https://127.0.0.1:%d/api/v1/auth/login", p2);
    const char *ct[] = {"Content-Type: application/json", NULL};
    char body[200];
    snprintf(body, sizeof body, "{\"username\":\"admin\",\"password\":\"%s\"}", WS_ADMIN_PW);
    fetch(h, url, "POST", ct, body, strlen(body), false, cert, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Set-Cookie", v, sizeof v), "Secure"));
    reply_free(&r);
    /* The plain listener still answers, without HSTS. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", p1);
    fetch(h, url, "GET", NULL, NULL, 0, false, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_security_headers(&r, false, true);
    reply_free(&r);
    curl_easy_cleanup(h);

    kill(pid, SIGTERM);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(ws_server_restart(&srv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(healthz_headers_keepalive),
        cmocka_unit_test(api_errors),
        cmocka_unit_test(static_files),
        cmocka_unit_test(metrics_after_traffic),
        cmocka_unit_test(openapi_describes_every_route),
        cmocka_unit_test(https_with_init_certificate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
