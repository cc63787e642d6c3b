/* attach_int.h — private to src/attach: recognising a file by its content
 * and turning an uploaded image into clean stored bytes (image.c). */
#ifndef WS_ATTACH_INT_H
#define WS_ATTACH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* An accepted kind of file, recognised by its first bytes. */
typedef struct attach_kind {
    const char *name;        /* "JPEG", for messages */
    const char *media_type;  /* what is served for the STORED bytes */
    bool image;              /* decoded and re-encoded with libvips */
} attach_kind;

/* The kind of p[0..n) by its magic bytes, or NULL when it is none of the
 * accepted kinds. Borrowed, static. */
const attach_kind *attach_sniff(const uint8_t *p, size_t n);
/* A stored media type back to its static string; NULL when unknown. */
const char *attach_media_static(const char *media_type);

/* The result of cleaning an image. stored/thumb are malloc'd (caller frees
 * both with attach_image_free). */
typedef struct attach_image {
    uint8_t *stored;
    size_t stored_len;
    const char *media_type; /* static */
    int width, height;      /* of the stored image, upright */
    uint8_t *thumb;
    size_t thumb_len;
} attach_image;

/* Start libvips once per process (thread-safe). */
ws_err attach_vips_start(void);
/* Decode p[0..n) of kind k (k->image), refuse it when over max_pixels
 * (WS_ETOOBIG, "file") before decoding pixels, turn it upright, re-encode it
 * without metadata, and make a JPEG thumbnail. WS_EINVAL ("file") when it
 * cannot be decoded. */
ws_err attach_image_clean(const attach_kind *k, const uint8_t *p, size_t n, uint64_t max_pixels,
                          attach_image *out);
void attach_image_free(attach_image *im);

#endif
