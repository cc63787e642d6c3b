/* test_upgrade.c — upgrades from every committed data-directory fixture
 * (tests/data/fixtures/vN). The current binary serves a copy of each: a
 * schema older than the binary's is backed up first (backups/pre-migrate-vN-…)
 * and migrated; the log still verifies; the records and the accounts are
 * still there. A fixture newer than the binary would be refused (tested in
 * test_cli with a bumped version). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "integration/common.h"
#include "store/store.h"

static int count_backups(const char *dir)
{
    char p[320];
    snprintf(p, sizeof p, "%s/backups", dir);
    DIR *d = opendir(p);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "pre-migrate-v", 13)) n++;
    if (d) closedir(d);
    return n;
}

static void every_fixture_upgrades(void **state)
{
    DIR *d = opendir("tests/data/fixtures");
    assert_non_null(d);
    struct dirent *e;
    int fixtures = 0;
    while ((e = readdir(d))) {
        int v;
        char extra;
        if (sscanf(e->d_name, "v%d%c", &v, &extra) != 1) continue;
        fixtures++;
        ws_server s = {0};
        snprintf(s.dir, sizeof s.dir, "/tmp/ws-it-upgrade-%d-v%d", (int)getpid(), v);
        char cmd[1200], out[8192];
        snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/backups && cp -r tests/data/fixtures/%s/. %s/",
                 s.dir, s.dir, e->d_name, s.dir);
        assert_int_equal(system(cmd), 0);
        assert_true(v <= store_schema_latest());
        assert_int_equal(ws_server_restart(&s), 0);
        /* Older schema: backed up before the migration. */
        assert_int_equal(count_backups(s.dir), v < store_schema_latest() ? 1 : 0);
        char tok[65];
        assert_int_equal(ws_login(&s, "admin", "Admin-Pass-2026", tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/people?limit=200", tok, NULL, &r), 200);
        char *txt = json_dumps(r, 0);
        assert_non_null(strstr(txt, "王伟"));
        free(txt);
        json_decref(r);
        char wtok[65];
        assert_int_equal(ws_login(&s, "fx.worker", "Worker-Pass-2026", wtok), 200);
        assert_int_equal(ws_server_stop(&s), 0);
        const char *vf[] = {"audit", "verify", NULL};
        if (ws_cli(&s, true, out, sizeof out, vf) != 0) fail_msg("fixture %s: verify: %s", e->d_name, out);
        snprintf(cmd, sizeof cmd, "sqlite3 %s/worksafe.db 'SELECT version FROM schema_version'", s.dir);
        FILE *p = popen(cmd, "r");
        int now = 0;
        assert_int_equal(fscanf(p, "%d", &now), 1);
        pclose(p);
        assert_int_equal(now, store_schema_latest());
        ws_server_destroy(&s);
    }
    closedir(d);
    assert_true(fixtures >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_fixture_upgrades),
    };
    return cmocka_run_group_tests_name("upgrade", tests, NULL, NULL);
}
