/* test_voice.c — anonymous reports over the wire, on SQLite and PostgreSQL.
 *
 * The must-show of issue 6: anonymous reports are sent with distinctive
 * X-Forwarded-For, X-Real-IP and Forwarded headers, a unique User-Agent, a
 * cookie (carrying a real admin session, which must not be picked up) and a
 * JPEG whose EXIF holds GPS, a camera make and a serial number; the safety
 * staff answer, the reporter reads the answer back with the receipt code,
 * rates it, redeems points; then a backup (so that on PostgreSQL the
 * database's content lands in the data directory as a dump) and EVERY file
 * under the data directory — the database, its WAL, attachments, journal,
 * backups and the server's captured stdout/stderr (server.log) — is scanned
 * for each identifier as text, as hex and as base64, and for the photo's EXIF
 * block: none is found. Also: the photo served to the staff has no EXIF; the
 * leaves of the report name the actor "anonymous"; a wrong code is 404; the
 * rate limit answers 429 without keeping who. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "integration/common.h"

#define FIXTURE "tests/data/photo-gps.jpg"

static const char *const idents[] = {
    "203.0.113.77", "198.51.100.23", "192.0.2.61", "2001:db8:beef::77",
    "WS-Probe/7.3 (ZQXJ-unique-agent-8842)", "ZQXJ-unique-agent-8842", "cookie-ZKQW-5531",
    "ABC123", "TestCam",
};
#define NIDENT (sizeof idents / sizeof idents[0])

typedef struct body {
    char *p;
    size_t n;
} body;

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
    body *b = arg;
    size_t n = sz * nm;
    char *q = realloc(b->p, b->n + n + 1);
    if (!q) return 0;
    memcpy(q + b->n, p, n);
    b->p = q;
    b->n += n;
    q[b->n] = 0;
    return n;
}

/* A public POST with the identifying headers a phone behind a proxy sends. */
static long anon_post(ws_server *s, const char *path, const char *json, const char *admin_tok, json_t **reply)
{
    char url[256], cookie[256];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    snprintf(cookie, sizeof cookie, "Cookie: ws_session=%s; tracker=cookie-ZKQW-5531", admin_tok);
    struct curl_slist *hd = NULL;
    hd = curl_slist_append(hd, "Content-Type: application/json");
    hd = curl_slist_append(hd, "X-Forwarded-For: 203.0.113.77, 2001:db8:beef::77");
    hd = curl_slist_append(hd, "X-Real-IP: 198.51.100.23");
    hd = curl_slist_append(hd, "Forwarded: for=192.0.2.61;proto=https");
    hd = curl_slist_append(hd, cookie);
    hd = curl_slist_append(hd, "Origin: http://203.0.113.77");
    body b = {0};
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "WS-Probe/7.3 (ZQXJ-unique-agent-8842)");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    long st = 0;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    *reply = b.p ? json_loads(b.p, 0, NULL) : NULL;
    free(b.p);
    return st;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    if (len > 0 && fread(p, 1, (size_t)len, f) != (size_t)len) len = 0;
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* Needles: each identifier as text, hex (lower and upper) and base64. */
typedef struct needles {
    char v[NIDENT * 4 + 2][200];
    size_t len[NIDENT * 4 + 2];
    int n;
} needles;

static void add(needles *nd, const void *p, size_t n)
{
    memcpy(nd->v[nd->n], p, n);
    nd->len[nd->n++] = n;
}

static void make_needles(needles *nd, const char *exif, size_t exif_n)
{
    memset(nd, 0, sizeof *nd);
    for (size_t i = 0; i < NIDENT; i++) {
        const char *s = idents[i];
        size_t n = strlen(s);
        add(nd, s, n);
        char hex[200];
        sodium_bin2hex(hex, sizeof hex, (const unsigned char *)s, n);
        add(nd, hex, strlen(hex));
        for (char *q = hex; *q; q++) if (*q >= 'a' && *q <= 'f') *q = (char)(*q - 32);
        add(nd, hex, strlen(hex));
        char b64[200];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s, n, sodium_base64_VARIANT_ORIGINAL);
        /* without padding, whose last characters depend on what follows */
        size_t bl = strlen(b64);
        while (bl && b64[bl - 1] == '=') bl--;
        if (bl > 4) bl -= 2;
        add(nd, b64, bl);
    }
    /* the EXIF block of the photo: its first 48 bytes after "Exif\0\0" */
    add(nd, exif, exif_n);
}

static int scanned;

static void scan_dir(const char *dir, const needles *nd)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            scan_dir(p, nd);
            continue;
        }
        if (!S_ISREG(st.st_mode)) continue;
        size_t n = 0;
        char *b = slurp(p, &n);
        assert_non_null(b);
        scanned++;
        for (int k = 0; k < nd->n; k++)
            if (memmem(b, n, nd->v[k], nd->len[k]))
                fail_msg("%s holds identifier #%d (%.*s)", p, k, (int)nd->len[k], nd->v[k]);
        free(b);
    }
    closedir(d);
}

static void no_identity_anywhere(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    size_t pn = 0;
    char *photo = slurp(FIXTURE, &pn);
    assert_non_null(photo);
    const char *ex = memmem(photo, pn, "Exif\0\0", 6);
    assert_non_null(ex);
    assert_true(memmem(photo, pn, "ABC123", 6) && memmem(photo, pn, "TestCam", 7));
    needles nd;
    make_needles(&nd, ex + 6, 48);
    /* the needles find what they look for: the EXIF block and the serial in the original */
    assert_non_null(memmem(photo, pn, nd.v[nd.n - 1], nd.len[nd.n - 1]));
    size_t b64n = sodium_base64_ENCODED_LEN(pn, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64n);
    sodium_bin2base64(b64, b64n, (const unsigned char *)photo, pn, sodium_base64_VARIANT_ORIGINAL);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        char tok[65];
        json_t *r = NULL;
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        char buf[512];
        snprintf(buf, sizeof buf, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"VA1\",\"name\":\"罐区\"}", root);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/units", tok, buf, &r), 201);
        long long area = json_integer_value(json_object_get(r, "id"));
        json_decref(r);
        /* the public form lists the area */
        assert_int_equal(ws_req(&s, "GET", "/api/v1/public/report-form", NULL, NULL, &r), 200);
        assert_true(json_array_size(json_object_get(r, "units")) >= 2);
        json_decref(r);

        /* a report with the photo, and one without */
        size_t jn = strlen(b64) + 512;
        char *json = malloc(jn);
        snprintf(json, jn, "{\"unit_id\":%lld,\"category\":\"equipment\",\"text\":\"呼吸阀附近有异味\","
                 "\"photos\":[\"data:image/jpeg;base64,%s\"]}", area, b64);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports", json, tok, &r), 201);
        free(json);
        char code[40];
        snprintf(code, sizeof code, "%s", json_string_value(json_object_get(r, "receipt_code")));
        assert_int_equal(strlen(code), 24);
        assert_int_equal(json_integer_value(json_object_get(r, "photo_count")), 1);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "open");
        json_decref(r);
        snprintf(buf, sizeof buf, "{\"unit_id\":%lld,\"category\":\"violation\",\"text\":\"夜班有人在防爆区玩手机\"}", area);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports", buf, tok, &r), 201);
        json_decref(r);
        /* bad input names the field and writes nothing */
        snprintf(buf, sizeof buf, "{\"unit_id\":%lld,\"category\":\"gossip\",\"text\":\"x\"}", area);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports", buf, tok, &r), 400);
        assert_string_equal(ws_err_field_of(r), "category");
        json_decref(r);
        snprintf(buf, sizeof buf, "{\"unit_id\":%lld,\"category\":\"other\",\"text\":\"x\",\"photos\":[\"JVBERi0xLjQK\"]}", area);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports", buf, tok, &r), 415);
        assert_string_equal(ws_err_field_of(r), "photos[0]");
        json_decref(r);

        /* the staff read it: no account, and the photo without EXIF */
        assert_int_equal(ws_req(&s, "GET", "/api/v1/voice/reports?state=open", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
        long long id = json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 1), "id"));
        json_decref(r);
        snprintf(buf, sizeof buf, "/api/v1/voice/reports/%lld", id);
        assert_int_equal(ws_req(&s, "GET", buf, tok, NULL, &r), 200);
        long long att = json_integer_value(json_array_get(json_object_get(r, "photo_ids"), 0));
        json_decref(r);
        char *raw = NULL;
        snprintf(buf, sizeof buf, "/api/v1/attachments/%lld", att);
        assert_int_equal(ws_http(&s, "GET", buf, tok, NULL, 0, NULL, NULL, &raw), 200);
        assert_null(strstr(raw, "Exif"));
        free(raw);
        /* the safety officer answers; the reporter reads it back, writes, rates */
        snprintf(buf, sizeof buf, "/api/v1/voice/reports/%lld/actions/reply", id);
        assert_int_equal(ws_req(&s, "POST", buf, tok, "{\"text\":\"已安排检修，感谢。\"}", &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "answered");
        json_decref(r);
        snprintf(buf, sizeof buf, "/api/v1/voice/reports/%lld/actions/judge", id);
        assert_int_equal(ws_req(&s, "POST", buf, tok, "{\"valid\":true}", &r), 200);
        json_decref(r);
        char lower[40];
        snprintf(lower, sizeof lower, "%s", code);
        for (char *q = lower; *q; q++) if (*q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
        snprintf(buf, sizeof buf, "{\"code\":\"%s\"}", lower);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports/follow", buf, tok, &r), 200);
        json_t *msgs = json_object_get(r, "messages");
        assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "body")), "已安排检修，感谢。");
        assert_null(json_object_get(json_array_get(msgs, 0), "by")); /* no staff name to the reporter */
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "points"), "balance")), 20);
        json_decref(r);
        snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"rating\":5}", code);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports/rate", buf, tok, &r), 200);
        assert_int_equal(json_integer_value(json_object_get(r, "rating")), 5);
        json_decref(r);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports/rate", buf, tok, &r), 409);
        json_decref(r);
        snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"text\":\"还有一处在北侧\"}", code);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports/message", buf, tok, &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "open");
        json_decref(r);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports/follow", "{\"code\":\"0000-0000-0000-0000-0000\"}", tok, &r), 404);
        json_decref(r);
        /* points of the code buy a reward that needs no name, not one that does */
        assert_int_equal(ws_req(&s, "POST", "/api/v1/bank/items", tok,
                                "{\"code\":\"tickets\",\"name\":\"餐券\",\"cost\":15,\"needs_name\":false}", &r), 201);
        long long tickets = json_integer_value(json_object_get(r, "id"));
        json_decref(r);
        assert_int_equal(ws_req(&s, "POST", "/api/v1/bank/items", tok,
                                "{\"code\":\"leave\",\"name\":\"休假一天\",\"cost\":5,\"needs_name\":true,\"stock\":null}", &r), 201);
        long long leave = json_integer_value(json_object_get(r, "id"));
        json_decref(r);
        snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"item_id\":%lld}", code, leave);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports/redeem", buf, tok, &r), 403);
        json_decref(r);
        snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"item_id\":%lld}", code, tickets);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports/redeem", buf, tok, &r), 201);
        assert_int_equal(json_integer_value(json_object_get(r, "balance")), 5);
        json_decref(r);
        /* the leaves of the report name nobody */
        assert_int_equal(ws_req(&s, "GET", "/api/v1/audit/leaves?limit=200", tok, NULL, &r), 200);
        size_t i;
        json_t *lf;
        int anon = 0;
        json_array_foreach(json_object_get(r, "items"), i, lf) {
            const char *ent = json_string_value(json_object_get(lf, "entity"));
            const char *actor = json_string_value(json_object_get(lf, "actor"));
            if (ent && actor && !strcmp(ent, "voice_report") &&
                !strcmp(json_string_value(json_object_get(lf, "action")), "create")) {
                assert_string_equal(actor, "anonymous");
                anon++;
            }
        }
        json_decref(r);
        assert_int_equal(anon, 2);
        /* the rate limit: four an hour from a source; two sent already (and two refused) */
        assert_int_equal(ws_req(&s, "PUT", "/api/v1/voice/params", tok, "{\"source_per_hour\":5}", &r), 200);
        json_decref(r);
        snprintf(buf, sizeof buf, "{\"unit_id\":%lld,\"category\":\"other\",\"text\":\"第五条\"}", area);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports", buf, tok, &r), 201);
        json_decref(r);
        assert_int_equal(anon_post(&s, "/api/v1/public/reports", buf, tok, &r), 429);
        json_decref(r);

        /* a backup puts the database into the data directory (pg_dump on PostgreSQL) */
        char out[4096], bdir[400];
        snprintf(bdir, sizeof bdir, "%s/backups/voice-scan", s.dir);
        const char *bk[] = {"backup", "--out", bdir, NULL};
        assert_int_equal(ws_cli(&s, true, out, sizeof out, bk), 0);
        assert_int_equal(ws_server_stop(&s), 0); /* flush the WAL and the log */
        scanned = 0;
        scan_dir(s.dir, &nd);
        assert_true(scanned >= 5);
        ws_server_destroy(&s);
    }
    free(b64);
    free(photo);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_identity_anywhere),
    };
    int rc = cmocka_run_group_tests_name("voice_http", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
