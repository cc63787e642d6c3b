/* test_attach.c — attachments (src/attach) on real stores: a fresh SQLite
 * file per test and, when WS_TEST_PG_URL is set, a fresh PostgreSQL
 * database per test, each with its own data directory.
 *
 * What a user would check: a phone photo with GPS and a serial number in its
 * EXIF is stored (and thumbnailed) without them and upright; identical
 * content is one file on disk; the per-file, pixel and total quotas refuse
 * with 413 naming "file" and write nothing; a text file called .jpg is 415;
 * a truncated JPEG or PDF is 400, never a 500; scope and roles decide who
 * reads and writes; a file changed on disk is refused, not served; every
 * upload is a leaf and `audit verify` stays clean. (Tests may hold SQL
 * text; production code keeps it in src/store/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "attach/attach.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "org/org.h"
#include "store/store.h"
#include "unit/pgdb.h"

#define FIXTURE "tests/data/photo-gps.jpg"

static const audit_actor WHO = {"account:1"};

/* libx265 (reached when this test writes a HEIC to upload) keeps an
 * allocation for the life of the process; that is not ours to fix. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libx265.so\n"; }
static char tmpdir[128];

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct tctx {
    testdb db;
    fixture *f;
    store *s;
    store_conn *c;
    char url[1024];
    char data[256];
    int64_t unit[2]; /* two enterprises */
    int64_t account;
    char path[2][32];
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;



/* A fresh, migrated database, a fresh data directory, two enterprises. */
static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    snprintf(tc.data, sizeof tc.data, "%s/%s%d", tmpdir, f->kind == STORE_SQLITE ? "s" : "p", f->n);
    if (mkdir(tc.data, 0700) != 0) return -1;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tc.data, "ws", 0)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    if (store_acquire(tc.s, &tc.c) || attach_init(tc.data, NULL) ||
        org_create_root(tc.c, &WHO, "enterprise", "EA", "企业甲", &tc.unit[0]) ||
        org_create_root(tc.c, &WHO, "enterprise", "EB", "企业乙", &tc.unit[1]) ||
        auth_create_account(tc.c, &WHO, "uploader", "Upload-Pass-2026", ROLE_WORKER, tc.unit[0], 0,
                            false, &tc.account)) {
        fprintf(stderr, "setup: %s\n", ws_err_message());
        if (tc.c) store_release(tc.c);
        testdb_close(&tc.db);
        return -1;
    }
    for (int i = 0; i < 2; i++)
        snprintf(tc.path[i], sizeof tc.path[i], "/%lld/", (long long)tc.unit[i]);
    *state = &tc;
    return 0;
}

static int db_teardown(void **state)
{
    tctx *t = *state;
    if (t->c) store_release(t->c);
    testdb_close(&t->db);
    *state = t->f;
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)len + 1);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static bool holds(const void *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

/* Files (not directories) under DATA/attachments, temporary ones included. */
static int count_files(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) n += count_files(p);
        else n++;
    }
    closedir(dp);
    return n;
}

static int64_t count_rows(store_conn *c)
{
    store_stmt *st;
    bool row;
    static const char q[] = "SELECT COUNT(*) FROM attachments";
    assert_int_equal(store_prepare(c, q, &st), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    int64_t n = store_col_int(st, 0);
    store_finalize(st);
    return n;
}

static auth_subject subject(tctx *t, int side, unsigned roles)
{
    auth_subject s;
    memset(&s, 0, sizeof s);
    s.account_id = t->account;
    s.roles = roles;
    s.scope_unit_id = t->unit[side];
    snprintf(s.scope_path, sizeof s.scope_path, "%s", t->path[side]);
    return s;
}

/* An image made with libvips, encoded by saver ("jpg", "png", "webp", "heic"). */
static uint8_t *make_image(int w, int h, int bands, const char *suffix, size_t *n)
{
    VipsImage *x = NULL, *img = NULL;
    void *b = NULL;
    assert_int_equal(vips_xyz(&x, w, h, NULL), 0);
    VipsImage *band = NULL, *scaled = NULL;
    assert_int_equal(vips_extract_band(x, &band, 0, NULL), 0);
    assert_int_equal(vips_linear1(band, &scaled, 255.0 / w, 0, NULL), 0);
    VipsImage *in[4] = {scaled, scaled, scaled, scaled};
    VipsImage *joined = NULL;
    assert_int_equal(vips_bandjoin(in, &joined, bands, NULL), 0);
    assert_int_equal(vips_cast_uchar(joined, &img, NULL), 0);
    img->Type = VIPS_INTERPRETATION_sRGB;
    int r = vips_image_write_to_buffer(img, suffix, &b, n, NULL);
    g_object_unref(joined);
    g_object_unref(scaled);
    g_object_unref(band);
    g_object_unref(x);
    g_object_unref(img);
    if (r) {
        vips_error_clear();
        return NULL;
    }
    uint8_t *p = malloc(*n);
    memcpy(p, b, *n);
    g_free(b);
    return p;
}

/* Load stored bytes with libvips: dimensions and whether any EXIF is left. */
static void probe(const buf *b, int *w, int *h, bool *exif, int *bands)
{
    VipsImage *img = vips_image_new_from_buffer(b->data, b->len, "", NULL);
    assert_non_null(img);
    *w = vips_image_get_width(img);
    *h = vips_image_get_height(img);
    *exif = vips_image_get_typeof(img, VIPS_META_EXIF_NAME) != 0 ||
            vips_image_get_typeof(img, VIPS_META_XMP_NAME) != 0;
    if (bands) *bands = vips_image_get_bands(img);
    g_object_unref(img);
}

static void set_limits(uint64_t file, uint64_t total, uint64_t pixels)
{
    attach_limits l = {file, total, pixels};
    assert_int_equal(attach_init(tc.data, &l), WS_OK);
}

/* ------------------------------------------------------------------ tests */

/* The fixture really carries GPS and a serial; what is stored does not. */
static void test_gps_exif_stripped(void **state)
{
    tctx *t = *state;
    size_t n;
    uint8_t *p = slurp(FIXTURE, &n);
    assert_true(holds(p, n, "Exif"));
    assert_true(holds(p, n, "ABC123"));
    buf orig = {(char *)p, n, n, n};
    int w, h;
    bool exif;
    probe(&orig, &w, &h, &exif, NULL);
    assert_true(exif);
    assert_int_equal(w, 800); /* sideways: orientation 6 */

    attach_info a;
    auth_subject worker = subject(t, 0, ROLE_WORKER);
    assert_int_equal(attach_put(t->c, &WHO, &worker, t->unit[0], "C:\\DCIM\\照片 1.jpg", p, n, &a),
                     WS_OK);
    assert_string_equal(a.media_type, "image/jpeg");
    assert_string_equal(a.filename, "照片 1.jpg");
    assert_int_equal(a.width, 600); /* upright */
    assert_int_equal(a.height, 800);
    assert_int_equal(a.uploaded_by, t->account);
    assert_int_equal(strlen(a.sha256), 64);
    assert_int_equal(strlen(a.thumb_sha256), 64);

    buf b = BUF_INIT(64 << 20);
    assert_int_equal(attach_read(&a, false, &b), WS_OK);
    assert_int_equal(b.len, (size_t)a.size);
    assert_false(holds(b.data, b.len, "Exif"));
    assert_false(holds(b.data, b.len, "ABC123"));
    assert_false(holds(b.data, b.len, "TestCam"));
    probe(&b, &w, &h, &exif, NULL);
    assert_false(exif);
    assert_int_equal(w, 600);
    assert_int_equal(h, 800);
    /* The file on disk is named by the SHA-256 of these bytes. */
    char path[1024];
    attach_blob_path(a.sha256, path, sizeof path);
    size_t dn;
    uint8_t *disk = slurp(path, &dn);
    assert_int_equal(dn, b.len);
    assert_memory_equal(disk, b.data, dn);
    free(disk);

    buf_reset(&b);
    assert_int_equal(attach_read(&a, true, &b), WS_OK);
    assert_false(holds(b.data, b.len, "Exif"));
    assert_false(holds(b.data, b.len, "ABC123"));
    probe(&b, &w, &h, &exif, NULL);
    assert_false(exif);
    assert_int_equal(h, ATTACH_THUMB_PX);
    assert_int_equal(w, 240);
    buf_free(&b);

    /* The leaf is there and the log verifies. */
    uint64_t checked = 0;
    assert_int_equal(audit_verify(t->c, NULL, NULL, NULL, &checked), WS_OK);
    assert_true(checked >= 3);
    free(p);
}

static void test_dedupe(void **state)
{
    tctx *t = *state;
    size_t n;
    uint8_t *p = slurp(FIXTURE, &n);
    attach_info a, b;
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "a.jpg", p, n, &a), WS_OK);
    uint64_t used1 = 0, used2 = 0;
    assert_int_equal(attach_usage(t->c, &used1), WS_OK);
    assert_int_equal(used1, (uint64_t)(a.size + a.thumb_size));
    char d[300];
    snprintf(d, sizeof d, "%s/attachments", t->data);
    assert_int_equal(count_files(d), 2);
    /* The same photo again, in the other enterprise, under another name. */
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[1], "b.jpg", p, n, &b), WS_OK);
    assert_true(b.id != a.id);
    assert_string_equal(b.sha256, a.sha256);
    assert_string_equal(b.thumb_sha256, a.thumb_sha256);
    assert_int_equal(b.unit_id, t->unit[1]);
    assert_int_equal(count_files(d), 2);
    assert_int_equal(attach_usage(t->c, &used2), WS_OK);
    assert_int_equal(used2, used1);
    assert_int_equal(count_rows(t->c), 2);
    free(p);
}

static void test_quotas(void **state)
{
    tctx *t = *state;
    size_t n;
    uint8_t *p = slurp(FIXTURE, &n);
    attach_info a;
    char d[300];
    snprintf(d, sizeof d, "%s/attachments", t->data);

    /* Per file: the upload itself. */
    set_limits(n - 1, 0, 0);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, p, n, &a), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "file");
    /* Pixels: refused from the header. */
    set_limits(0, 0, 600 * 800 - 1);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, p, n, &a), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "file");
    assert_non_null(strstr(ws_err_message(), "megapixels"));
    /* Total: room for one photo, not for a second, different one. */
    set_limits(0, 0, 0);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, p, n, &a), WS_OK);
    uint64_t used = 0;
    assert_int_equal(attach_usage(t->c, &used), WS_OK);
    set_limits(0, used + 100, 0);
    int files = count_files(d);
    size_t pn;
    uint8_t *png = make_image(400, 300, 3, ".png", &pn);
    assert_non_null(png);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, png, pn, &a), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "file");
    assert_non_null(strstr(ws_err_message(), "quota"));
    assert_int_equal(count_rows(t->c), 1);
    assert_int_equal(count_files(d), files);
    /* ...but the same photo again costs nothing and still fits. */
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, p, n, &a), WS_OK);
    assert_int_equal(count_rows(t->c), 2);
    set_limits(0, 0, 0);
    free(png);
    free(p);
}

/* A 48-megapixel PNG that is a few kilobytes: refused before decoding. */
static void test_decompression_bomb(void **state)
{
    tctx *t = *state;
    VipsImage *black = NULL;
    void *b = NULL;
    size_t n = 0;
    assert_int_equal(vips_black(&black, 8000, 6000, NULL), 0);
    assert_int_equal(vips_pngsave_buffer(black, &b, &n, "compression", 9, NULL), 0);
    g_object_unref(black);
    assert_true(n < 1000000);
    attach_info a;
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, b, n, &a), WS_ETOOBIG);
    assert_string_equal(ws_err_field(), "file");
    g_free(b);
    assert_int_equal(count_rows(t->c), 0);
}

static void test_type_by_content(void **state)
{
    tctx *t = *state;
    attach_info a;
    const char text[] = "这不是照片, just text in a file named photo.jpg\n";
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "photo.jpg", text, sizeof text - 1, &a),
                     WS_EMEDIA);
    assert_string_equal(ws_err_field(), "file");
    const char gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "x.png", gif, sizeof gif - 1, &a),
                     WS_EMEDIA);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "x.png", "", 0, &a), WS_EINVAL);
    assert_string_equal(ws_err_field(), "file");

    /* Truncated JPEG: a 4xx naming the file, nothing stored. */
    size_t n;
    uint8_t *p = slurp(FIXTURE, &n);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "cut.jpg", p, n / 2, &a), WS_EINVAL);
    assert_string_equal(ws_err_field(), "file");
    /* Only the magic bytes of a JPEG. */
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "m.jpg", p, 16, &a), WS_EINVAL);
    free(p);

    /* PNG stays PNG and keeps its alpha; the thumbnail is a JPEG. */
    uint8_t *png = make_image(500, 200, 4, ".png", &n);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "plan.png", png, n, &a), WS_OK);
    assert_string_equal(a.media_type, "image/png");
    assert_int_equal(a.width, 500);
    buf b = BUF_INIT(64 << 20);
    int w, h, bands;
    bool exif;
    assert_int_equal(attach_read(&a, false, &b), WS_OK);
    assert_true(b.len > 8 && !memcmp(b.data, "\x89PNG", 4));
    probe(&b, &w, &h, &exif, &bands);
    assert_int_equal(bands, 4);
    buf_reset(&b);
    assert_int_equal(attach_read(&a, true, &b), WS_OK);
    assert_true((uint8_t)b.data[0] == 0xFF && (uint8_t)b.data[1] == 0xD8);
    probe(&b, &w, &h, &exif, &bands);
    assert_int_equal(w, ATTACH_THUMB_PX);
    assert_int_equal(bands, 3);
    free(png);

    /* WebP stays WebP. */
    uint8_t *webp = make_image(320, 240, 3, ".webp", &n);
    assert_non_null(webp);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, webp, n, &a), WS_OK);
    assert_string_equal(a.media_type, "image/webp");
    free(webp);

    /* HEIC (when this libvips can write one to test with) becomes JPEG. */
    uint8_t *heic = make_image(320, 240, 3, ".heic", &n);
    if (heic) {
        assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "IMG_1.HEIC", heic, n, &a), WS_OK);
        assert_string_equal(a.media_type, "image/jpeg");
        free(heic);
    } else {
        fprintf(stderr, "heic: this libvips cannot write HEIC; upload not tested\n");
    }

    /* PDF as sent, without a thumbnail; an incomplete one is refused. */
    const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "方案.pdf", pdf, sizeof pdf - 1, &a),
                     WS_OK);
    assert_string_equal(a.media_type, "application/pdf");
    assert_string_equal(a.thumb_sha256, "");
    buf_reset(&b);
    assert_int_equal(attach_read(&a, false, &b), WS_OK);
    assert_int_equal(b.len, sizeof pdf - 1);
    assert_memory_equal(b.data, pdf, b.len);
    assert_int_equal(attach_read(&a, true, &b), WS_ENOTFOUND);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, pdf, 20, &a), WS_EINVAL);
    buf_free(&b);

    /* Names: a path is cut to its last part; control characters refused. */
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "a\nb.pdf", pdf, sizeof pdf - 1, &a),
                     WS_EINVAL);
    assert_string_equal(ws_err_field(), "filename");
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], "../../etc/x.pdf", pdf, sizeof pdf - 1, &a),
                     WS_OK);
    assert_string_equal(a.filename, "x.pdf");
}

static void test_scope_and_roles(void **state)
{
    tctx *t = *state;
    size_t n;
    uint8_t *p = slurp(FIXTURE, &n);
    attach_info a, g;
    auth_subject in = subject(t, 0, ROLE_WORKER), out = subject(t, 1, ROLE_ADMIN);
    auth_subject reg = subject(t, 0, ROLE_REGULATOR);
    assert_int_equal(attach_put(t->c, &WHO, &in, t->unit[0], NULL, p, n, &a), WS_OK);
    /* Reading: in scope yes (a regulator too), outside as if it did not exist. */
    assert_int_equal(attach_get(t->c, &in, a.id, &g), WS_OK);
    assert_int_equal(g.id, a.id);
    assert_int_equal(attach_get(t->c, &reg, a.id, &g), WS_OK);
    assert_int_equal(attach_get(t->c, &out, a.id, &g), WS_ENOTFOUND);
    assert_int_equal(attach_get(t->c, &in, a.id + 100, &g), WS_ENOTFOUND);
    /* Writing: not into another enterprise, not as a regulator, not to a missing unit. */
    assert_int_equal(attach_put(t->c, &WHO, &out, t->unit[0], NULL, p, n, &a), WS_ENOTFOUND);
    assert_int_equal(attach_put(t->c, &WHO, &reg, t->unit[0], NULL, p, n, &a), WS_EFORBIDDEN);
    assert_int_equal(attach_put(t->c, &WHO, &in, 9999, NULL, p, n, &a), WS_ENOTFOUND);
    assert_string_equal(ws_err_field(), "unit_id");
    assert_int_equal(count_rows(t->c), 1);
    free(p);
}

/* A stored file changed behind worksafe's back is refused, not served. */
static void test_tampered_file(void **state)
{
    tctx *t = *state;
    size_t n;
    uint8_t *p = slurp(FIXTURE, &n);
    attach_info a;
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, p, n, &a), WS_OK);
    char path[1024];
    attach_blob_path(a.sha256, path, sizeof path);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 100, SEEK_SET);
    fputc('X', f);
    fclose(f);
    buf b = BUF_INIT(64 << 20);
    assert_int_equal(attach_read(&a, false, &b), WS_ECORRUPT);
    assert_int_equal(b.len, 0);
    unlink(path);
    assert_int_equal(attach_read(&a, false, &b), WS_ECORRUPT);
    /* The next identical upload writes the file again. */
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, p, n, &a), WS_OK);
    assert_int_equal(attach_read(&a, false, &b), WS_OK);
    buf_free(&b);
    free(p);
}

/* Inside a caller's transaction that rolls back, no row remains. */
static void test_caller_transaction(void **state)
{
    tctx *t = *state;
    const char pdf[] = "%PDF-1.7\n%%EOF";
    attach_info a;
    assert_int_equal(store_begin(t->c), WS_OK);
    assert_int_equal(attach_put(t->c, &WHO, NULL, t->unit[0], NULL, pdf, sizeof pdf - 1, &a), WS_OK);
    store_rollback(t->c);
    assert_int_equal(count_rows(t->c), 0);
    uint64_t used = 1;
    assert_int_equal(attach_usage(t->c, &used), WS_OK);
    assert_int_equal(used, 0);
    assert_int_equal(audit_verify(t->c, NULL, NULL, NULL, NULL), WS_OK);
}

/* ------------------------------------------------------------------ main */

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/attach/v1")) {
        fprintf(stderr, "audit: %s\n", ws_err_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_sqlite(void **state) { return group_setup(state, &fx_sqlite); }
static int setup_pg(void **state) { return group_setup(state, &fx_pg); }

static int group_teardown(void **state)
{
    (void)state;
    audit_close();
    return 0;
}

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_attach_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || auth_init() || attach_init(tmpdir, NULL)) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_gps_exif_stripped), DB_TEST(test_dedupe),
        DB_TEST(test_quotas),            DB_TEST(test_decompression_bomb),
        DB_TEST(test_type_by_content),   DB_TEST(test_scope_and_roles),
        DB_TEST(test_tampered_file),     DB_TEST(test_caller_transaction),
    };
    int failed = cmocka_run_group_tests_name("attach_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("attach_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "attach_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
