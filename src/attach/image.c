/* image.c — what an uploaded file is (by its magic bytes) and, for images,
 * the cleaning that happens before anything is stored: decode with libvips,
 * refuse too many pixels from the header alone, turn upright by the EXIF
 * orientation, re-encode without metadata, make a thumbnail.
 *
 *   bytes ─sniff─► kind ─(image)─► loader (header only) ─► pixels ≤ max? ─►
 *   autorot ─► to sRGB ─► encode, strip ─► stored bytes ─► thumbnail (JPEG)
 *
 * Only the four loaders named in the table below are ever called, directly:
 * libvips' generic loader (which would also reach ImageMagick, SVG, …) is
 * never used on client bytes. The operation cache is off, because an image
 * made from a request's buffer must not outlive the request. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "attach/attach.h"
#include "attach/attach_int.h"
#include "core/log.h"

typedef int (*loader_fn)(void *buf, size_t len, VipsImage **out, ...);

enum { K_JPEG, K_PNG, K_WEBP, K_HEIC, K_PDF, K_COUNT };

static const attach_kind kinds[K_COUNT] = {
    [K_JPEG] = {"JPEG", "image/jpeg", true},
    [K_PNG] = {"PNG", "image/png", true},
    [K_WEBP] = {"WebP", "image/webp", true},
    [K_HEIC] = {"HEIC", "image/jpeg", true}, /* browsers show JPEG, not HEIC */
    [K_PDF] = {"PDF", "application/pdf", false},
};

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static bool vips_ok, heif_ok;

/* libvips' own warnings (a damaged tile, …) go to our log, not stderr. */
static void on_vips_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer arg)
{
    (void)domain, (void)level, (void)arg;
    log_debug("libvips", "detail", msg);
}

static void vips_start_once(void)
{
    if (VIPS_INIT("worksafe") != 0) {
        log_error("libvips failed to start", "detail", vips_error_buffer());
        return;
    }
    /* Cached operations would keep images that borrow request buffers. */
    vips_cache_set_max(0);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, on_vips_log,
                      NULL);
    /* One thread per image: the HTTP pool already gives parallelism. */
    vips_concurrency_set(1);
    heif_ok = vips_type_find("VipsOperation", "heifload_buffer") != 0;
    vips_ok = true;
}

ws_err attach_vips_start(void)
{
    pthread_once(&vips_once, vips_start_once);
    return vips_ok ? WS_OK : ws_fail(WS_EINTERNAL, NULL, "libvips did not start");
}

static bool has(const uint8_t *p, size_t n, size_t at, const char *s)
{
    size_t l = strlen(s);
    return n >= at + l && memcmp(p + at, s, l) == 0;
}

const attach_kind *attach_sniff(const uint8_t *p, size_t n)
{
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return &kinds[K_JPEG];
    if (has(p, n, 0, "\x89PNG\r\n\x1a\n")) return &kinds[K_PNG];
    if (has(p, n, 0, "RIFF") && has(p, n, 8, "WEBPVP8")) return &kinds[K_WEBP];
    /* ISO BMFF: size, "ftyp", major brand; HEIC from phones is heic/heix/mif1. */
    if (heif_ok && has(p, n, 4, "ftyp") &&
        (has(p, n, 8, "heic") || has(p, n, 8, "heix") || has(p, n, 8, "mif1")))
        return &kinds[K_HEIC];
    if (has(p, n, 0, "%PDF-")) return &kinds[K_PDF];
    return NULL;
}

const char *attach_media_static(const char *media_type)
{
    for (int i = 0; i < K_COUNT; i++)
        if (media_type && strcmp(media_type, kinds[i].media_type) == 0) return kinds[i].media_type;
    return NULL;
}

static loader_fn loader_of(const attach_kind *k)
{
    if (k == &kinds[K_JPEG]) return (loader_fn)vips_jpegload_buffer;
    if (k == &kinds[K_PNG]) return (loader_fn)vips_pngload_buffer;
    if (k == &kinds[K_WEBP]) return (loader_fn)vips_webpload_buffer;
    if (k == &kinds[K_HEIC]) return (loader_fn)vips_heifload_buffer;
    return NULL;
}

/* The libvips error as a reason for the log; the client gets a plain one. */
static ws_err undecodable(const attach_kind *k)
{
    log_warn("image rejected", "kind", k->name, "detail", vips_error_buffer());
    vips_error_clear();
    return ws_fail(WS_EINVAL, "file",
                   "the %s image cannot be decoded: it is damaged or incomplete", k->name);
}

/* Replace *img with next (which takes over), unreffing the old one. */
static void swap(VipsImage **img, VipsImage *next)
{
    g_object_unref(*img);
    *img = next;
}

/* Pixels in sRGB without alpha (for JPEG), or as they are (PNG, WebP). */
static int to_srgb(VipsImage **img, bool drop_alpha)
{
    VipsImage *t = NULL;
    if (vips_image_get_typeof(*img, VIPS_META_ICC_NAME)) {
        if (vips_icc_transform(*img, &t, "srgb", "embedded", TRUE, "intent",
                               VIPS_INTENT_PERCEPTUAL, NULL) == 0)
            swap(img, t);
        else
            vips_error_clear(); /* a broken profile: fall back to the colourspace */
    }
    VipsInterpretation in = vips_image_get_interpretation(*img);
    if (in != VIPS_INTERPRETATION_sRGB && in != VIPS_INTERPRETATION_B_W &&
        in != VIPS_INTERPRETATION_RGB16 && in != VIPS_INTERPRETATION_GREY16) {
        if (vips_colourspace(*img, &t, VIPS_INTERPRETATION_sRGB, NULL)) return -1;
        swap(img, t);
    }
    if (drop_alpha && vips_image_hasalpha(*img)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int r = vips_flatten(*img, &t, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (r) return -1;
        swap(img, t);
    }
    if (drop_alpha && vips_image_get_format(*img) != VIPS_FORMAT_UCHAR) {
        if (vips_cast_uchar(*img, &t, NULL)) return -1;
        swap(img, t);
    }
    return 0;
}

/* libvips output (g_malloc'd) into a malloc'd copy. */
static ws_err take(void *vbuf, size_t n, uint8_t **out, size_t *out_len)
{
    *out = malloc(n ? n : 1);
    if (!*out) {
        g_free(vbuf);
        return ws_fail(WS_ENOMEM, NULL, "out of memory storing an image");
    }
    memcpy(*out, vbuf, n);
    *out_len = n;
    g_free(vbuf);
    return WS_OK;
}

ws_err attach_image_clean(const attach_kind *k, const uint8_t *p, size_t n, uint64_t max_pixels,
                          attach_image *out)
{
    memset(out, 0, sizeof *out);
    ws_err rc = attach_vips_start();
    if (rc) return rc;
    loader_fn load = loader_of(k);
    if (!load) return ws_fail(WS_EINTERNAL, NULL, "no loader for %s", k->name);
    VipsImage *img = NULL, *th = NULL;
    void *vb = NULL;
    size_t vn = 0;
    /* Header only: libvips decodes pixels when they are first needed. */
    if (load((void *)p, n, &img, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL)) return undecodable(k);
    uint64_t w = (uint64_t)vips_image_get_width(img), h = (uint64_t)vips_image_get_height(img);
    if (w == 0 || h == 0 || w * h > max_pixels) {
        rc = ws_fail(WS_ETOOBIG, "file",
                     "the image is %llu x %llu pixels; at most %llu megapixels are accepted",
                     (unsigned long long)w, (unsigned long long)h,
                     (unsigned long long)(max_pixels / 1000000));
        goto done;
    }
    VipsImage *t = NULL;
    if (vips_autorot(img, &t, NULL)) {
        rc = undecodable(k);
        goto done;
    }
    swap(&img, t);
    bool png = k == &kinds[K_PNG], webp = k == &kinds[K_WEBP];
    if (to_srgb(&img, !png && !webp)) {
        rc = undecodable(k);
        goto done;
    }
    /* strip: no EXIF (GPS, serial numbers), XMP, IPTC or ICC in the output. */
    int r;
    if (png) r = vips_pngsave_buffer(img, &vb, &vn, "strip", TRUE, NULL);
    else if (webp) r = vips_webpsave_buffer(img, &vb, &vn, "Q", 85, "strip", TRUE, NULL);
    else r = vips_jpegsave_buffer(img, &vb, &vn, "Q", 85, "strip", TRUE, NULL);
    if (r) {
        rc = undecodable(k);
        goto done;
    }
    out->width = vips_image_get_width(img);
    out->height = vips_image_get_height(img);
    out->media_type = k->media_type;
    if ((rc = take(vb, vn, &out->stored, &out->stored_len))) goto done;
    vb = NULL;

    /* The thumbnail, from the stored (upright, clean) bytes. */
    if (vips_thumbnail_buffer(out->stored, out->stored_len, &th, ATTACH_THUMB_PX, "height",
                              ATTACH_THUMB_PX, "size", VIPS_SIZE_DOWN, NULL) ||
        to_srgb(&th, true) ||
        vips_jpegsave_buffer(th, &vb, &vn, "Q", 80, "strip", TRUE, NULL)) {
        rc = undecodable(k);
        goto done;
    }
    rc = take(vb, vn, &out->thumb, &out->thumb_len);
    vb = NULL;
done:
    if (vb) g_free(vb);
    if (th) g_object_unref(th);
    if (img) g_object_unref(img);
    if (rc) attach_image_free(out);
    return rc;
}

void attach_image_free(attach_image *im)
{
    free(im->stored);
    free(im->thumb);
    memset(im, 0, sizeof *im);
}
