/* attach.c — storing and reading attachments: the content-addressed files
 * under DATA/attachments, their rows, the quotas and the scope checks.
 * image.c recognises and cleans the bytes; see attach.h for the invariants.
 *
 * An upload, in order:
 *   unit + permission ─► name ─► per-file cap ─► kind by magic bytes ─►
 *   (image: clean + thumbnail | PDF: as sent) ─► SHA-256 of what is stored ─►
 *   BEGIN, lock ─► total quota (files not yet stored only) ─► write files
 *   (tmp, fsync, rename, fsync dir) ─► blob rows, attachment row, audit leaf
 *   ─► COMMIT
 * A rollback after the files were written leaves them on disk without a row:
 * harmless (the next identical upload reuses them) and not counted. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/attach.h"
#include "attach/attach_int.h"
#include "core/clock.h"
#include "core/sha256.h"
#include "store/q_attach.h"

#define DIR_MAX 512

static const audit_col attach_cols[] = {
    {"id", AC_INT},         {"sha256", AC_TEXT},   {"size", AC_INT},
    {"media_type", AC_TEXT}, {"filename", AC_TEXT}, {"width", AC_INT},
    {"height", AC_INT},     {"thumb_sha256", AC_TEXT}, {"unit_id", AC_INT},
    {"uploaded_by", AC_INT}, {"created_at", AC_INT},
};
const audit_entity ATTACH_ENTITY = {"attachment", "attachments", attach_cols,
                                    (int)(sizeof attach_cols / sizeof attach_cols[0])};

static char dir[DIR_MAX];
static attach_limits limits = {ATTACH_MAX_FILE_DEFAULT, ATTACH_MAX_TOTAL_DEFAULT,
                               ATTACH_MAX_PIXELS_DEFAULT};

ws_err attach_init(const char *data_dir, const attach_limits *lim)
{
    ws_err rc = attach_vips_start();
    if (rc) return rc;
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium did not start");
    if ((rc = audit_register(&ATTACH_ENTITY))) return rc;
    limits.max_file = lim && lim->max_file ? lim->max_file : ATTACH_MAX_FILE_DEFAULT;
    limits.max_total = lim && lim->max_total ? lim->max_total : ATTACH_MAX_TOTAL_DEFAULT;
    limits.max_pixels = lim && lim->max_pixels ? lim->max_pixels : ATTACH_MAX_PIXELS_DEFAULT;
    if (!data_dir || !*data_dir) return ws_fail(WS_EINVAL, "data", "no data directory");
    int n = snprintf(dir, sizeof dir, "%s/attachments", data_dir);
    if (n < 0 || (size_t)n >= sizeof dir - 80) {
        dir[0] = 0;
        return ws_fail(WS_EINVAL, "data", "the data directory path is too long");
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ws_fail(WS_EIO, "data", "cannot create %s: %s", dir, strerror(errno));
    return WS_OK;
}

attach_limits attach_get_limits(void) { return limits; }
const char *attach_dir(void) { return dir; }

void attach_blob_path(const char *sha256, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%.2s/%s", dir, sha256, sha256 + 2);
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t h[WS_SHA256_LEN];
    ws_sha256(h, p, n);
    hex_encode(h, sizeof h, out);
}

/* ------------------------------------------------------------------ files */

static ws_err io_fail(const char *what, const char *path)
{
    return ws_fail(WS_EIO, NULL, "cannot %s %s: %s", what, path, strerror(errno));
}

/* Make sure the file named sha256 holds p[0..n): when a file of that size is
 * there already it is kept (same name, same content); otherwise written to a
 * temporary name in the same directory, fsynced, renamed into place, and the
 * directory fsynced, so after a crash there is the whole file or none. */
static ws_err write_blob(const char *sha256, const uint8_t *p, size_t n)
{
    static unsigned counter;
    char sub[DIR_MAX + 8], path[DIR_MAX + 80], tmp[DIR_MAX + 120];
    struct stat sb;
    if (!dir[0]) return ws_fail(WS_EINTERNAL, NULL, "attach_init was not called");
    attach_blob_path(sha256, path, sizeof path);
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size == n) return WS_OK;
    snprintf(sub, sizeof sub, "%s/%.2s", dir, sha256);
    if (mkdir(sub, 0700) != 0 && errno != EEXIST) return io_fail("create", sub);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%ld-%u", sub, sha256 + 2, (long)getpid(),
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return io_fail("create", tmp);
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    ws_err rc = WS_OK;
    if (off != n || fsync(fd) != 0) rc = io_fail("write", tmp);
    if (close(fd) != 0 && !rc) rc = io_fail("write", tmp);
    if (!rc && rename(tmp, path) != 0) rc = io_fail("rename into place", path);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    int dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) rc = io_fail("sync", sub);
        close(dfd);
    }
    return rc;
}

ws_err attach_read(const attach_info *a, bool thumb, buf *out)
{
    const char *sha = thumb ? a->thumb_sha256 : a->sha256;
    int64_t want = thumb ? a->thumb_size : a->size;
    if (!sha[0]) return ws_fail(WS_ENOTFOUND, "thumb", "this attachment has no thumbnail");
    char path[DIR_MAX + 80];
    attach_blob_path(sha, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ws_fail(WS_ECORRUPT, NULL, "attachment %lld: %s is missing: %s", (long long)a->id,
                       path, strerror(errno));
    size_t start = out->len;
    ws_err rc = WS_OK;
    uint8_t b[65536];
    ssize_t n;
    /* Never read more than the row says (plus one byte, to notice growth). */
    while ((n = read(fd, b, sizeof b)) > 0) {
        if ((int64_t)(out->len - start + (size_t)n) > want + 1) {
            rc = ws_fail(WS_ECORRUPT, NULL, "attachment %lld: %s is larger than recorded",
                         (long long)a->id, path);
            break;
        }
        if ((rc = buf_append(out, b, (size_t)n))) break;
    }
    if (!rc && n < 0) rc = io_fail("read", path);
    close(fd);
    char h[65];
    if (!rc) {
        sha256_hex((const uint8_t *)out->data + start, out->len - start, h);
        if ((int64_t)(out->len - start) != want || strcmp(h, sha) != 0)
            rc = ws_fail(WS_ECORRUPT, NULL, "attachment %lld: %s does not match its SHA-256",
                         (long long)a->id, path);
    }
    if (rc) out->len = start;
    return rc;
}

/* ------------------------------------------------------------------ rows */

/* The client's name for the file: its last path component, 1..255 bytes of
 * UTF-8 without control characters. "" when none was given. */
static ws_err clean_filename(const char *in, char out[ATTACH_FILENAME_MAX + 1])
{
    out[0] = 0;
    if (!in || !*in) return WS_OK;
    const char *base = in;
    for (const char *s = in; *s; s++)
        if (*s == '/' || *s == '\\') base = s + 1;
    size_t n = strlen(base);
    if (n == 0 || n > ATTACH_FILENAME_MAX || !strcmp(base, ".") || !strcmp(base, ".."))
        return ws_fail(WS_EINVAL, "filename", "filename must be a file name of 1 to %d bytes",
                       ATTACH_FILENAME_MAX);
    const unsigned char *s = (const unsigned char *)base;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n || c < 0x20 || c == 0x7F || c == 0xC0 || c == 0xC1 || c > 0xF4)
            return ws_fail(WS_EINVAL, "filename",
                           "filename must be UTF-8 text without control characters");
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return ws_fail(WS_EINVAL, "filename", "filename must be UTF-8 text");
        i += len;
    }
    memcpy(out, base, n + 1);
    return WS_OK;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static ws_err row_get(store_conn *c, int64_t id, attach_info *a)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_ATTACH_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no attachment %lld", (long long)id);
    if (!rc) {
        memset(a, 0, sizeof *a);
        a->id = store_col_int(st, 0);
        copy_text(a->sha256, sizeof a->sha256, store_col_text(st, 1));
        a->size = store_col_int(st, 2);
        a->media_type = attach_media_static(store_col_text(st, 3));
        if (!a->media_type) a->media_type = "application/octet-stream";
        copy_text(a->filename, sizeof a->filename, store_col_text(st, 4));
        a->width = store_col_int(st, 5);
        a->height = store_col_int(st, 6);
        copy_text(a->thumb_sha256, sizeof a->thumb_sha256, store_col_text(st, 7));
        a->unit_id = store_col_int(st, 8);
        a->uploaded_by = store_col_int(st, 9);
        a->created_at = store_col_int(st, 10);
        copy_text(a->unit_path, sizeof a->unit_path, store_col_text(st, 11));
        a->thumb_size = store_col_int(st, 12);
    }
    store_finalize(st);
    return rc;
}

ws_err attach_get(store_conn *c, const auth_subject *subject, int64_t id, attach_info *out)
{
    ws_err rc = row_get(c, id, out);
    if (rc || !subject) return rc;
    auth_resource res = {.unit_path = out->unit_path};
    rc = auth_decide(subject, "attachment.read", &res);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

static ws_err scalar(store_conn *c, const char *q, const char *arg, bool *found, int64_t *v)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, q, &st);
    if (!rc && arg) rc = store_bind_text(st, 1, arg);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *v = store_col_int(st, 0);
    if (found) *found = row;
    store_finalize(st);
    return rc;
}

ws_err attach_usage(store_conn *c, uint64_t *bytes)
{
    int64_t v = 0;
    ws_err rc = scalar(c, Q_ATTACH_USAGE, NULL, NULL, &v);
    *bytes = v > 0 ? (uint64_t)v : 0;
    return rc;
}

/* Bytes a file would add: 0 when it is stored already. */
static ws_err new_bytes(store_conn *c, const char *sha, size_t n, uint64_t *add)
{
    bool found = false;
    int64_t v = 0;
    ws_err rc = scalar(c, Q_ATTACH_BLOB_GET, sha, &found, &v);
    if (!rc && !found) *add += n;
    return rc;
}

static ws_err put_blob(store_conn *c, const char *sha, const uint8_t *p, size_t n, int64_t now)
{
    ws_err rc = write_blob(sha, p, n);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row;
    rc = store_prepare(c, Q_ATTACH_BLOB_PUT, &st);
    if (!rc) rc = store_bind_text(st, 1, sha);
    if (!rc) rc = store_bind_int(st, 2, (int64_t)n);
    if (!rc) rc = store_bind_int(st, 3, now);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

typedef struct upload {
    const uint8_t *stored;
    size_t stored_len;
    const char *media_type;
    int width, height;
    const uint8_t *thumb;
    size_t thumb_len;
    char sha[65], thumb_sha[65];
} upload;

/* Inside the transaction: quota, files, rows, leaf. */
static ws_err store_upload(store_conn *c, const audit_actor *who, const auth_subject *subject,
                           int64_t unit_id, const char *filename, const upload *u, int64_t *id)
{
    store_stmt *st = NULL;
    bool row;
    uint64_t used = 0, add = 0;
    int64_t now = clock_now_ms();
    ws_err rc = store_prepare(c, Q_ATTACH_LOCK, &st);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    st = NULL;
    if (!rc) rc = attach_usage(c, &used);
    if (!rc) rc = new_bytes(c, u->sha, u->stored_len, &add);
    if (!rc && u->thumb) rc = new_bytes(c, u->thumb_sha, u->thumb_len, &add);
    if (rc) return rc;
    if (add && used + add > limits.max_total)
        return ws_fail(WS_ETOOBIG, "file",
                       "the attachment storage is full (%llu of %llu bytes used; this file needs "
                       "%llu more): ask an administrator to raise the quota",
                       (unsigned long long)used, (unsigned long long)limits.max_total,
                       (unsigned long long)add);
    if ((rc = put_blob(c, u->sha, u->stored, u->stored_len, now))) return rc;
    if (u->thumb && (rc = put_blob(c, u->thumb_sha, u->thumb, u->thumb_len, now))) return rc;
    rc = store_prepare(c, Q_ATTACH_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, u->sha);
    if (!rc) rc = store_bind_int(st, 2, (int64_t)u->stored_len);
    if (!rc) rc = store_bind_text(st, 3, u->media_type);
    if (!rc) rc = store_bind_opt_text(st, 4, filename);
    if (!rc) rc = store_bind_opt_int(st, 5, u->width);
    if (!rc) rc = store_bind_opt_int(st, 6, u->height);
    if (!rc) rc = store_bind_opt_text(st, 7, u->thumb ? u->thumb_sha : NULL);
    if (!rc) rc = store_bind_int(st, 8, unit_id);
    if (!rc) rc = store_bind_opt_int(st, 9, subject ? subject->account_id : 0);
    if (!rc) rc = store_bind_int(st, 10, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) *id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &ATTACH_ENTITY, *id, "create", NULL);
    return rc;
}

/* A PDF is stored as sent; it must at least be whole (end with %%EOF). */
static ws_err check_pdf(const uint8_t *p, size_t n)
{
    size_t from = n > 1024 ? n - 1024 : 0;
    if (memmem(p + from, n - from, "%%EOF", 5)) return WS_OK;
    return ws_fail(WS_EINVAL, "file", "the PDF is incomplete (it does not end with %%%%EOF)");
}

ws_err attach_put(store_conn *c, const audit_actor *who, const auth_subject *subject,
                  int64_t unit_id, const char *filename, const void *data, size_t len,
                  attach_info *out)
{
    char path[AUTH_PATH_MAX], name[ATTACH_FILENAME_MAX + 1];
    ws_err rc;
    if (!dir[0]) return ws_fail(WS_EINTERNAL, NULL, "attach_init was not called");
    if (unit_id < 1) return ws_fail(WS_EINVAL, "unit_id", "unit_id is required");
    if ((rc = auth_unit_path(c, unit_id, "unit_id", path, sizeof path))) return rc;
    if (subject) {
        auth_resource res = {.unit_path = path};
        if ((rc = auth_decide(subject, "attachment.write", &res))) return rc;
    }
    if ((rc = clean_filename(filename, name))) return rc;
    if (!data || len == 0)
        return ws_fail(WS_EINVAL, "file", "the file is empty: send its bytes as the request body");
    if (len > limits.max_file)
        return ws_fail(WS_ETOOBIG, "file", "the file is %zu bytes; at most %llu bytes (%llu MiB) are accepted",
                       len, (unsigned long long)limits.max_file,
                       (unsigned long long)(limits.max_file >> 20));
    const attach_kind *k = attach_sniff(data, len);
    if (!k)
        return ws_fail(WS_EMEDIA, "file",
                       "the file is not a JPEG, PNG, WebP or HEIC image or a PDF document "
                       "(judged by its content, not by its name or Content-Type)");
    attach_image im = {0};
    upload u = {.stored = data, .stored_len = len, .media_type = k->media_type};
    if (k->image) {
        if ((rc = attach_image_clean(k, data, len, limits.max_pixels, &im))) return rc;
        u.stored = im.stored;
        u.stored_len = im.stored_len;
        u.media_type = im.media_type;
        u.width = im.width;
        u.height = im.height;
        u.thumb = im.thumb;
        u.thumb_len = im.thumb_len;
        sha256_hex(u.thumb, u.thumb_len, u.thumb_sha);
    } else if ((rc = check_pdf(data, len))) {
        return rc;
    }
    sha256_hex(u.stored, u.stored_len, u.sha);

    bool own = !store_in_tx(c);
    int64_t id = 0;
    rc = own ? store_begin(c) : WS_OK;
    if (!rc) rc = store_upload(c, who, subject, unit_id, name, &u, &id);
    if (own) {
        if (!rc) rc = store_commit(c);
        if (rc) {
            char msg[256], field[64];
            copy_text(msg, sizeof msg, ws_err_message());
            copy_text(field, sizeof field, ws_err_field());
            store_rollback(c);
            rc = ws_fail(rc, field[0] ? field : NULL, "%s", msg);
        }
    }
    attach_image_free(&im);
    if (!rc && out) rc = row_get(c, id, out);
    return rc;
}
