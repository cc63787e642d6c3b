/* buf.h — a growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * Every input-sized allocation in worksafe goes through a buf with a cap, so a
 * large input fails with WS_ETOOBIG instead of growing without bound. The data
 * is always NUL-terminated (the NUL is not counted in len). */
#ifndef WS_BUF_H
#define WS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct buf {
    char *data;   /* owned; NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;   /* hard limit on len */
} buf;

#define BUF_INIT(c) {NULL, 0, 0, (c)}

void buf_init(buf *b, size_t cap);
void buf_free(buf *b);
void buf_reset(buf *b); /* len = 0, keeps memory */
ws_err buf_append(buf *b, const void *p, size_t n);
/* Room for n more bytes without a further allocation (within the cap). */
ws_err buf_reserve(buf *b, size_t n);
ws_err buf_puts(buf *b, const char *s);
ws_err buf_putc(buf *b, char c);
ws_err buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append the whole file at path (WS_ETOOBIG past the cap; WS_EIO naming
 * field when it cannot be opened or read). */
ws_err buf_append_file(buf *b, const char *path, const char *field);
/* Hands the data to the caller (caller frees) and resets b. May be NULL when empty. */
char *buf_steal(buf *b);

/* Append at most max bytes of s to the NUL-terminated string out (cap
 * bytes in all), cut at a UTF-8 character boundary. */
void str_append_utf8(char *out, size_t cap, const char *s, size_t max);
/* Lower-case hex of n bytes into out (cap >= 2n+1). Returns out. */
char *hex_encode(const uint8_t *p, size_t n, char *out);
/* Decode exactly 2*n hex digits; returns 0 or -1. */
int hex_decode(const char *s, uint8_t *out, size_t n);

#endif
