/* api_attach.c — attachments over HTTP (src/attach does the work).
 *
 *   POST /api/v1/attachments?unit_id=&filename=   body: the file's raw bytes
 *        -> 201 {id, sha256, media_type, size, width, height, filename,
 *                unit_id, created_at, url, thumb_url}
 *   GET  /api/v1/attachments/{id}          the stored bytes
 *   GET  /api/v1/attachments/{id}/thumb    the JPEG thumbnail (images only)
 *
 * The type is judged by the content, never by Content-Type or the name, so
 * any Content-Type is accepted on upload. Downloads carry the stored type,
 * Content-Disposition with the original name (an ASCII fallback and the UTF-8
 * name in filename*); the server's Cache-Control: no-store stays, since a
 * photo may show a person. Scope: the unit of the attachment, for reading and for writing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "attach/attach.h"
#include "core/clock.h"

static json_t *info_json(const attach_info *a)
{
    char url[96], ts[40];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "sha256", json_string(a->sha256));
    json_object_set_new(o, "media_type", json_string(a->media_type));
    json_object_set_new(o, "size", json_integer(a->size));
    json_object_set_new(o, "width", a->width ? json_integer(a->width) : json_null());
    json_object_set_new(o, "height", a->height ? json_integer(a->height) : json_null());
    json_object_set_new(o, "filename", a->filename[0] ? json_str(a->filename) : json_null());
    json_object_set_new(o, "unit_id", json_integer(a->unit_id));
    json_object_set_new(o, "created_at",
                        json_string(clock_format_rfc3339(a->created_at, ts, sizeof ts)));
    snprintf(url, sizeof url, "/api/v1/attachments/%lld", (long long)a->id);
    json_object_set_new(o, "url", json_string(url));
    snprintf(url, sizeof url, "/api/v1/attachments/%lld/thumb", (long long)a->id);
    json_object_set_new(o, "thumb_url", a->thumb_sha256[0] ? json_string(url) : json_null());
    return o;
}

static ws_err upload(api_ctx *ctx)
{
    int64_t unit_id = 0;
    ws_err rc = api_query_id(ctx, "unit_id", &unit_id);
    if (rc) return rc;
    if (!unit_id) return ws_fail(WS_EINVAL, "unit_id", "unit_id is required");
    char name[48];
    audit_actor who = {api_actor(ctx, name, sizeof name)};
    attach_info a;
    rc = attach_put(ctx->conn, &who, &ctx->who, unit_id, api_query(ctx, "filename"),
                    ctx->req->body, ctx->req->body_len, &a);
    if (rc) return rc;
    return api_reply_json(ctx, 201, info_json(&a));
}

/* Content-Disposition: inline; filename="ascii"; filename*=UTF-8''pct */
static void disposition(const attach_info *a, bool thumb, char *out, size_t cap)
{
    static const char hexd[] = "0123456789ABCDEF";
    char name[ATTACH_FILENAME_MAX + 16], ascii[ATTACH_FILENAME_MAX + 16];
    char pct[3 * (ATTACH_FILENAME_MAX + 16) + 1];
    const char *ext = strcmp(a->media_type, "image/png") == 0    ? "png"
                      : strcmp(a->media_type, "image/webp") == 0 ? "webp"
                      : strcmp(a->media_type, "application/pdf") == 0 ? "pdf"
                                                                   : "jpg";
    if (thumb) snprintf(name, sizeof name, "thumb-%lld.jpg", (long long)a->id);
    else if (a->filename[0]) snprintf(name, sizeof name, "%s", a->filename);
    else snprintf(name, sizeof name, "attachment-%lld.%s", (long long)a->id, ext);
    size_t i = 0, k = 0;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        bool plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                     (*s >= '0' && *s <= '9') || strchr("-._~", *s);
        ascii[i++] = (*s >= 0x20 && *s < 0x7F && *s != '"' && *s != '\\') ? (char)*s : '_';
        if (plain) {
            pct[k++] = (char)*s;
        } else {
            pct[k++] = '%';
            pct[k++] = hexd[*s >> 4];
            pct[k++] = hexd[*s & 15];
        }
    }
    ascii[i] = 0;
    pct[k] = 0;
    snprintf(out, cap, "inline; filename=\"%s\"; filename*=UTF-8''%s", ascii, pct);
}

static ws_err serve(api_ctx *ctx, bool thumb)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (rc) return rc;
    attach_info a;
    if ((rc = attach_get(ctx->conn, &ctx->who, id, &a))) return rc;
    buf_reset(&ctx->resp->body);
    if ((rc = attach_read(&a, thumb, &ctx->resp->body))) return rc;
    char cd[4 * ATTACH_FILENAME_MAX + 128];
    disposition(&a, thumb, cd, sizeof cd);
    api_add_header(ctx->resp, "Content-Disposition", cd);
    ctx->resp->status = 200;
    ctx->resp->content_type = thumb ? "image/jpeg" : a.media_type;
    return WS_OK;
}

static ws_err download(api_ctx *ctx) { return serve(ctx, false); }
static ws_err thumbnail(api_ctx *ctx) { return serve(ctx, true); }

const api_route api_attach_routes[] = {
    {"POST", "/api/v1/attachments", upload, API_AUTH, "attachment.write",
     "Upload a file (raw body; ?unit_id= required, ?filename= optional): JPEG, PNG, WebP, HEIC "
     "or PDF by content; images are re-encoded without metadata (EXIF, GPS) and thumbnailed",
     "attachments", NULL, 0, (size_t)ATTACH_MAX_FILE_DEFAULT},
    {"GET", "/api/v1/attachments/{id}", download, API_AUTH, "attachment.read",
     "The stored bytes of an attachment", "attachments", NULL, 0},
    {"GET", "/api/v1/attachments/{id}/thumb", thumbnail, API_AUTH, "attachment.read",
     "The JPEG thumbnail of an image attachment (320 px long side)", "attachments", NULL, 0},
};
const size_t api_attach_nroutes = sizeof api_attach_routes / sizeof api_attach_routes[0];
