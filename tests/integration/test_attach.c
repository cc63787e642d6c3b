/* test_attach.c — attachments over the wire, on SQLite and PostgreSQL:
 *  - a phone photo with GPS and a serial number in its EXIF is uploaded; what
 *    comes back (the file and its thumbnail) has neither, nor any EXIF, and
 *    is served with its type and its original name;
 *  - the same photo again is the same file (same sha256);
 *  - a text file called .jpg is 415, a truncated JPEG 400, a body over the
 *    per-file cap 413, a missing unit_id 400 — each naming the field;
 *  - a worker of another site gets 404, and cannot upload there;
 *  - backup, more uploads, the attachment files lost, restore: the photo is
 *    back byte for byte, the later upload is gone, audit verify passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/common.h"

#define FIXTURE "tests/data/photo-gps.jpg"
#define PW "Attach-Pass-2026"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static bool holds(const void *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

static long upload(ws_server *s, const char *tok, long long unit, const char *name, const char *p,
                   size_t n, json_t **r)
{
    char path[256];
    if (name) snprintf(path, sizeof path, "/api/v1/attachments?unit_id=%lld&filename=%s", unit, name);
    else snprintf(path, sizeof path, "/api/v1/attachments?unit_id=%lld", unit);
    return ws_http(s, "POST", path, tok, p, n, "image/jpeg", r, NULL);
}

static long long root_unit(ws_server *s, const char *tok)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "GET", "/api/v1/me", tok, NULL, &r), 200);
    long long id = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    return id;
}

static void upload_clean_serve(void **state)
{
    const char *be[2];
    int nb = ws_backends(be);
    size_t n;
    char *photo = slurp(FIXTURE, &n);
    assert_true(holds(photo, n, "Exif") && holds(photo, n, "ABC123"));
    for (int b = 0; b < nb; b++) {
        ws_server s;
        char tok[65], wtok[65];
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        long long root = root_unit(&s, tok);

        json_t *r = NULL;
        /* 照片.jpg, percent-encoded in the query */
        assert_int_equal(upload(&s, tok, root, "%E7%85%A7%E7%89%87.jpg", photo, n, &r), 201);
        long long id = json_integer_value(json_object_get(r, "id"));
        char sha[65];
        snprintf(sha, sizeof sha, "%s", json_string_value(json_object_get(r, "sha256")));
        assert_string_equal(json_string_value(json_object_get(r, "media_type")), "image/jpeg");
        assert_int_equal(json_integer_value(json_object_get(r, "width")), 600);
        assert_int_equal(json_integer_value(json_object_get(r, "height")), 800);
        assert_string_equal(json_string_value(json_object_get(r, "filename")), "照片.jpg");
        char url[128], turl[128];
        snprintf(url, sizeof url, "%s", json_string_value(json_object_get(r, "url")));
        snprintf(turl, sizeof turl, "%s", json_string_value(json_object_get(r, "thumb_url")));
        json_decref(r);

        ws_file d;
        assert_int_equal(ws_fetch(&s, url, tok, NULL, 0, NULL, &d), 200);
        assert_string_equal(d.ctype, "image/jpeg");
        assert_non_null(strstr(d.disp, "filename*=UTF-8''%E7%85%A7%E7%89%87.jpg"));
        assert_true(d.n > 1000 && (unsigned char)d.p[0] == 0xFF && (unsigned char)d.p[1] == 0xD8);
        assert_false(holds(d.p, d.n, "Exif"));
        assert_false(holds(d.p, d.n, "ABC123"));
        free(d.p);
        assert_int_equal(ws_fetch(&s, turl, tok, NULL, 0, NULL, &d), 200);
        assert_string_equal(d.ctype, "image/jpeg");
        assert_true(d.n > 100 && d.n < n);
        assert_false(holds(d.p, d.n, "Exif"));
        free(d.p);

        /* Same content: same file. */
        assert_int_equal(upload(&s, tok, root, NULL, photo, n, &r), 201);
        assert_string_equal(json_string_value(json_object_get(r, "sha256")), sha);
        assert_true(json_integer_value(json_object_get(r, "id")) != id);
        json_decref(r);

        /* Judged by content; 4xx naming the field, never a 5xx. */
        const char text[] = "not a photo at all\n";
        assert_int_equal(upload(&s, tok, root, "photo.jpg", text, sizeof text - 1, &r), 415);
        assert_string_equal(ws_err_field_of(r), "file");
        json_decref(r);
        assert_int_equal(upload(&s, tok, root, "cut.jpg", photo, n / 2, &r), 400);
        assert_string_equal(ws_err_field_of(r), "file");
        json_decref(r);
        assert_int_equal(ws_http(&s, "POST", "/api/v1/attachments", tok, photo, n, "image/jpeg", &r, NULL),
                         400);
        assert_string_equal(ws_err_field_of(r), "unit_id");
        json_decref(r);
        size_t big = ((size_t)20 << 20) + 1;
        char *huge = calloc(1, big);
        memcpy(huge, photo, n);
        assert_int_equal(upload(&s, tok, root, NULL, huge, big, &r), 413);
        json_decref(r);
        free(huge);

        /* A worker of another site does not see it. */
        char body[256];
        /* Two sites; the worker's scope is the second. */
        snprintf(body, sizeof body, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂\"}",
                 root);
        long long site1 = ws_post_id(&s, tok, "/api/v1/units", body);
        snprintf(body, sizeof body, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S2\",\"name\":\"二厂\"}",
                 root);
        long long site2 = ws_post_id(&s, tok, "/api/v1/units", body);
        snprintf(body, sizeof body,
                 "{\"username\":\"w2\",\"password\":\"" PW "\",\"roles\":[\"worker\"],\"scope_unit_id\":%lld}",
                 site2);
        ws_post_id(&s, tok, "/api/v1/accounts", body);
        assert_int_equal(ws_login(&s, "w2", PW, wtok), 200);
        assert_int_equal(upload(&s, tok, site1, NULL, photo, n, &r), 201);
        snprintf(url, sizeof url, "/api/v1/attachments/%lld", json_integer_value(json_object_get(r, "id")));
        json_decref(r);
        assert_int_equal(ws_fetch(&s, url, wtok, NULL, 0, NULL, &d), 404);
        free(d.p);
        assert_int_equal(ws_fetch(&s, url, tok, NULL, 0, NULL, &d), 200);
        free(d.p);
        assert_int_equal(upload(&s, wtok, site1, NULL, photo, n, &r), 404);
        json_decref(r);
        assert_int_equal(upload(&s, wtok, site2, NULL, photo, n, &r), 201);
        json_decref(r);
        ws_server_destroy(&s);
    }
    free(photo);
}

static void backup_restore(void **state)
{
    const char *be[2];
    int nb = ws_backends(be);
    size_t n;
    char *photo = slurp(FIXTURE, &n);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        char tok[65], out[8192], bdir[300], cmd[700];
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        long long root = root_unit(&s, tok);
        json_t *r = NULL;
        assert_int_equal(upload(&s, tok, root, "before.jpg", photo, n, &r), 201);
        long long before = json_integer_value(json_object_get(r, "id"));
        json_decref(r);
        ws_file orig;
        char url[96];
        snprintf(url, sizeof url, "/api/v1/attachments/%lld", before);
        assert_int_equal(ws_fetch(&s, url, tok, NULL, 0, NULL, &orig), 200);

        snprintf(bdir, sizeof bdir, "%s/backups/attach-backup", s.dir);
        const char *bk[] = {"backup", "--out", bdir, NULL};
        assert_int_equal(ws_cli(&s, true, out, sizeof out, bk), 0);
        assert_non_null(strstr(out, "2 attachment files"));
        snprintf(cmd, sizeof cmd, "grep -c '  attachments/' %s/MANIFEST | grep -qx 2", bdir);
        assert_int_equal(system(cmd), 0);
        if (!s.pg) { /* the series store's own file is in the backup, with its sum */
            snprintf(cmd, sizeof cmd, "grep -q '  series.db$' %s/MANIFEST && test -s %s/series.db",
                     bdir, bdir);
            assert_int_equal(system(cmd), 0);
        }

        const char pdf[] = "%PDF-1.4\n%%EOF\n";
        assert_int_equal(upload(&s, tok, root, "after.pdf", pdf, sizeof pdf - 1, &r), 201);
        long long after = json_integer_value(json_object_get(r, "id"));
        json_decref(r);

        /* The disk loses every attachment; the backup brings them back. */
        assert_int_equal(ws_server_stop(&s), 0);
        snprintf(cmd, sizeof cmd, "rm -rf %s/attachments", s.dir);
        assert_int_equal(system(cmd), 0);
        const char *rs[] = {"restore", "--from", bdir, NULL};
        assert_int_equal(ws_cli(&s, true, out, sizeof out, rs), 0);
        const char *vf[] = {"audit", "verify", NULL};
        assert_int_equal(ws_cli(&s, true, out, sizeof out, vf), 0);
        if (!s.pg) {
            snprintf(cmd, sizeof cmd, "cmp -s %s/series.db %s/series.db", bdir, s.dir);
            assert_int_equal(system(cmd), 0);
        }
        assert_int_equal(ws_server_restart(&s), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        ws_file d;
        assert_int_equal(ws_fetch(&s, url, tok, NULL, 0, NULL, &d), 200);
        assert_int_equal(d.n, orig.n);
        assert_memory_equal(d.p, orig.p, d.n);
        free(d.p);
        snprintf(url, sizeof url, "/api/v1/attachments/%lld/thumb", before);
        assert_int_equal(ws_fetch(&s, url, tok, NULL, 0, NULL, &d), 200);
        free(d.p);
        snprintf(url, sizeof url, "/api/v1/attachments/%lld", after);
        assert_int_equal(ws_fetch(&s, url, tok, NULL, 0, NULL, &d), 404);
        free(d.p);
        free(orig.p);
        /* A damaged attachment in the backup is refused before anything is touched. */
        snprintf(cmd, sizeof cmd, "f=$(find %s/attachments -type f | head -1); rm -f \"$f\"; cp %s \"$f\"",
                 bdir, FIXTURE);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(ws_server_stop(&s), 0);
        assert_int_not_equal(ws_cli(&s, true, out, sizeof out, rs), 0);
        assert_non_null(strstr(out, "checksum"));
        ws_server_destroy(&s);
    }
    free(photo);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(upload_clean_serve),
        cmocka_unit_test(backup_restore),
    };
    int rc = cmocka_run_group_tests_name("attach_http", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
