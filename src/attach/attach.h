/* attach.h — attachments: photos and documents that records (hazards first,
 * then permits, drills, reports) point to.
 *
 * How it fits: the bytes live in files under DATA/attachments/, named by the
 * SHA-256 of the STORED bytes with a two-level fan-out (ab/cdef…), written
 * through a temporary file, fsync and rename; a row per upload in the table
 * attachments (store/q_attach.c) says who uploaded what, for which unit (the
 * scope), under which name. The row is audited (entity "attachment"), and
 * since it holds the file's hash the evidence log commits to the content.
 * attachment_blobs has one row per file on disk: identical content is
 * stored once however many rows point to it, and the total quota counts
 * these files. The API layer (api/api_attach.c) serves them; the backup
 * command copies the directory. docs/internals/attach.md has the details.
 *
 * Invariants (asserted by tests/unit/test_attach.c):
 *  1. A stored file's name is the SHA-256 of its bytes; a read that finds
 *     anything else fails (WS_ECORRUPT) instead of serving it.
 *  2. The type is decided by the content (magic bytes), never by the
 *     client's Content-Type or file name: JPEG, PNG, WebP, HEIC (stored as
 *     JPEG) and PDF; anything else is WS_EMEDIA naming "file".
 *  3. Images are decoded, turned upright by their EXIF orientation and
 *     re-encoded without any metadata (no EXIF, GPS, serial numbers, XMP,
 *     ICC): what is stored is only pixels. Each image has a JPEG thumbnail
 *     of at most ATTACH_THUMB_PX on the long side.
 *  4. Images over max_pixels are refused from their header, before any pixel
 *     is decoded (a decompression bomb costs nothing).
 *  5. A file over max_file is WS_ETOOBIG naming "file"; an upload that would
 *     take the stored files over max_total is WS_ETOOBIG naming "file" too.
 *  6. Every row has its audit leaf in the same transaction; files are on
 *     disk (fsynced) before the row that names them commits. */
#ifndef WS_ATTACH_H
#define WS_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#define ATTACH_MAX_FILE_DEFAULT ((uint64_t)20 << 20)   /* 20 MiB per file */
#define ATTACH_MAX_TOTAL_DEFAULT ((uint64_t)10 << 30)  /* 10 GiB per install */
#define ATTACH_MAX_PIXELS_DEFAULT ((uint64_t)40000000) /* 40 megapixels */
#define ATTACH_THUMB_PX 320
#define ATTACH_FILENAME_MAX 255 /* bytes of the original name */

typedef struct attach_limits {
    uint64_t max_file;   /* bytes of one upload; 0 = default */
    uint64_t max_total;  /* bytes of all stored files; 0 = default */
    uint64_t max_pixels; /* width * height of an image; 0 = default */
} attach_limits;

/* The audited entity "attachment" (table attachments), registered by
 * attach_init(). */
extern const audit_entity ATTACH_ENTITY;

/* Process-wide start-up: libvips (once per process), the entity, and the
 * directory data_dir/attachments (created when missing). May be called again
 * to change the directory or the limits (tests do); lim NULL = defaults. Not
 * thread-safe: call before serving. */
ws_err attach_init(const char *data_dir, const attach_limits *lim);
/* The limits in force. */
attach_limits attach_get_limits(void);
/* DATA/attachments as set by attach_init; "" before. Static. */
const char *attach_dir(void);

/* One attachment as stored. */
typedef struct attach_info {
    int64_t id;
    char sha256[65];
    int64_t size;
    const char *media_type;      /* static: "image/jpeg", "image/png", "image/webp",
                                  * "application/pdf" */
    char filename[ATTACH_FILENAME_MAX + 1]; /* "" when none was given */
    int64_t width, height;       /* 0 for documents */
    char thumb_sha256[65];       /* "" when there is no thumbnail */
    int64_t thumb_size;
    int64_t unit_id;
    int64_t uploaded_by;         /* account id, 0 when none (CLI) */
    int64_t created_at;          /* ms since the epoch */
    char unit_path[AUTH_PATH_MAX];
} attach_info;

/* Store an upload of len bytes for unit_id. subject, when not NULL, must be
 * allowed "attachment.write" on the unit (else WS_EFORBIDDEN, or
 * WS_ENOTFOUND naming "unit_id" outside its scope or for a missing unit).
 * filename (may be NULL) is the client's name for the file: its last path
 * component is kept (1..255 bytes of UTF-8 without control characters, else
 * WS_EINVAL naming "filename"). Failures: WS_ETOOBIG ("file": over the
 * per-file cap, too many pixels, or the total quota), WS_EMEDIA ("file": not
 * an accepted type), WS_EINVAL ("file": the image cannot be decoded, e.g.
 * truncated). Runs inside the caller's transaction when one is open on c,
 * else in its own. Fills *out. */
ws_err attach_put(store_conn *c, const audit_actor *who, const auth_subject *subject,
                  int64_t unit_id, const char *filename, const void *data, size_t len,
                  attach_info *out);

/* The row of attachment id. subject, when not NULL, must be allowed
 * "attachment.read" on its unit (outside the scope: WS_ENOTFOUND, as for a
 * missing id). */
ws_err attach_get(store_conn *c, const auth_subject *subject, int64_t id, attach_info *out);

/* The stored bytes of a (or of its thumbnail when thumb; WS_ENOTFOUND when it
 * has none) appended to out, after checking their SHA-256 against the name
 * (WS_ECORRUPT when they differ or the file is missing). */
ws_err attach_read(const attach_info *a, bool thumb, buf *out);

/* Bytes of all stored files (originals and thumbnails, each once). */
ws_err attach_usage(store_conn *c, uint64_t *bytes);

/* The path of the stored file with hex name sha256 into out. */
void attach_blob_path(const char *sha256, char *out, size_t cap);

#endif
