/* test_cli.c — the command line and server lifecycle over the wire:
 * help and version, init refusing an initialised directory, serve refusing a
 * newer schema and a non-loopback plain-HTTP address, HTTPS on the listener,
 * SIGTERM exiting cleanly with committed writes kept across a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integration/common.h"

static void help_and_version(void **state)
{
    ws_server s = {0};
    char out[16384]; /* init prints every migration before the password */
    const char *v[] = {"version", NULL};
    assert_int_equal(ws_cli(&s, false, out, sizeof out, v), 0);
    assert_non_null(strstr(out, "worksafe "));
    const char *h[] = {"--help", NULL};
    assert_int_equal(ws_cli(&s, false, out, sizeof out, h), 0);
    assert_non_null(strstr(out, "init"));
    assert_non_null(strstr(out, "restore"));
    const char *sh[] = {"serve", "--help", NULL};
    assert_int_equal(ws_cli(&s, false, out, sizeof out, sh), 0);
    assert_non_null(strstr(out, "--listen"));
    const char *bad[] = {"serve", "--no-such-option", "1", NULL};
    assert_int_not_equal(ws_cli(&s, false, out, sizeof out, bad), 0);
    assert_non_null(strstr(out, "no-such-option"));
}

static void init_generates_password(void **state)
{
    ws_server s = {0};
    snprintf(s.dir, sizeof s.dir, "/tmp/ws-it-gen-%d", (int)getpid());
    char out[16384]; /* init prints every migration before the password */
    snprintf(out, sizeof out, "rm -rf '%s'", s.dir); /* one a dead run with this pid left */
    assert_int_equal(system(out), 0);
    const char *a[] = {"init", "--data", s.dir, NULL};
    assert_int_equal(ws_cli(&s, false, out, sizeof out, a), 0);
    const char *p = strstr(out, "admin password: ");
    assert_non_null(p);
    char pw[64];
    assert_int_equal(sscanf(p, "admin password: %63s", pw), 1);
    assert_true(strlen(pw) >= 12);
    /* A second init on the same directory refuses and changes nothing. */
    assert_int_not_equal(ws_cli(&s, false, out, sizeof out, a), 0);
    assert_non_null(strstr(out, "already"));
    /* The generated password works, and the account must change it first. */
    assert_int_equal(ws_server_restart(&s), 0);
    char tok[65];
    assert_int_equal(ws_login(&s, "admin", pw, tok), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&s, "GET", "/api/v1/units", tok, NULL, &r), 403);
    json_decref(r);
    assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r, "must_change_password")));
    json_decref(r);
    char body[256];
    snprintf(body, sizeof body, "{\"old_password\":\"%s\",\"new_password\":\"Brand-New-Pass-9\"}", pw);
    assert_int_equal(ws_req(&s, "POST", "/api/v1/auth/password", tok, body, NULL), 204);
    assert_int_equal(ws_login(&s, "admin", "Brand-New-Pass-9", tok), 200);
    assert_int_equal(ws_req(&s, "GET", "/api/v1/units", tok, NULL, NULL), 200);
    ws_server_destroy(&s);
}

static void sigterm_keeps_committed_writes(void **state)
{
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        char tok[65];
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        json_int_t root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        char body[256];
        snprintf(body, sizeof body,
                 "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S-KEEP\",\"name\":\"一厂区\"}",
                 (long long)root);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/units", tok, body, &r), 201);
        json_int_t id = json_integer_value(json_object_get(r, "id"));
        json_decref(r);
        assert_int_equal(ws_server_stop(&s), 0); /* SIGTERM: clean exit */
        assert_int_equal(ws_server_restart(&s), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        char path[64];
        snprintf(path, sizeof path, "/api/v1/units/%lld", (long long)id);
        assert_int_equal(ws_req(&s, "GET", path, tok, NULL, &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "name")), "一厂区");
        json_decref(r);
        ws_server_destroy(&s);
    }
}

static void refuses_newer_schema_and_open_http(void **state)
{
    ws_server s;
    assert_int_equal(ws_server_start(&s, "sqlite", NULL), 0);
    assert_int_equal(ws_server_stop(&s), 0);
    char out[4096], cmd[600];
    /* Plain HTTP on a non-loopback address is refused. */
    const char *a[] = {"serve", "--data", s.dir, "--listen", "0.0.0.0:18999", NULL};
    assert_int_not_equal(ws_cli(&s, false, out, sizeof out, a), 0);
    assert_non_null(strstr(out, "listen"));
    /* A database from a newer worksafe is refused, untouched. */
    snprintf(cmd, sizeof cmd, "sqlite3 %s/worksafe.db 'UPDATE schema_version SET version = version + 1'",
             s.dir);
    assert_int_equal(system(cmd), 0);
    const char *b[] = {"serve", "--data", s.dir, "--listen", "127.0.0.1:18998", NULL};
    assert_int_not_equal(ws_cli(&s, false, out, sizeof out, b), 0);
    assert_non_null(strstr(out, "newer"));
    ws_server_destroy(&s);
}

static size_t discard(char *d, size_t a, size_t b, void *u) { return a * b; }

static void https_listener(void **state)
{
    ws_server s;
    assert_int_equal(ws_server_start(&s, "sqlite", NULL), 0);
    assert_int_equal(ws_server_stop(&s), 0);
    /* serve with both listeners: HTTPS on a free port beside plain HTTP. */
    char tls[32], plain[32];
    int tls_port = ws_free_port(), plain_port = ws_free_port();
    snprintf(tls, sizeof tls, "127.0.0.1:%d", tls_port);
    snprintf(plain, sizeof plain, "127.0.0.1:%d", plain_port);
    const char *args[] = {"serve", "--data", s.dir, "--listen-tls", tls, "--listen", plain, NULL};
    int pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execv("build/test/worksafe", (char *const *)(const char *[]){"build/test/worksafe", args[0],
                  args[1], args[2], args[3], args[4], args[5], args[6], NULL});
        _exit(127);
    }
    s.pid = pid;
    snprintf(s.base, sizeof s.base, "http://%s", plain);
    long st = 0;
    for (int i = 0; i < 100 && st != 200; i++) {
        st = ws_http(&s, "GET", "/healthz", NULL, NULL, 0, NULL, NULL, NULL);
        if (st != 200) usleep(50000);
    }
    assert_int_equal(st, 200);
    CURL *h = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "https://%s/healthz", tls);
    curl_easy_setopt(h, CURLOPT_URL, url);
    char ca[300];
    snprintf(ca, sizeof ca, "%s/tls/cert.pem", s.dir);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca); /* the self-signed certificate made by init */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L); /* it names the host, not 127.0.0.1 */
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 200);
    curl_easy_cleanup(h);
    assert_int_equal(ws_server_stop(&s), 0);
    ws_server_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_and_version),
        cmocka_unit_test(init_generates_password),
        cmocka_unit_test(sigterm_keeps_committed_writes),
        cmocka_unit_test(refuses_newer_schema_and_open_http),
        cmocka_unit_test(https_listener),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
