/* buf.c — capped growable buffer; see buf.h. */
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b, size_t cap) { *b = (buf)BUF_INIT(cap); }

void buf_free(buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

/* Room for extra more bytes (and the NUL) within the cap: by doubling, or
 * exactly when the caller knows the size. */
static ws_err grow(buf *b, size_t extra, bool exact)
{
    if (extra > b->cap || b->len > b->cap - extra)
        return ws_fail(WS_ETOOBIG, NULL, "content exceeds the limit of %zu bytes", b->cap);
    size_t need = b->len + extra + 1;
    if (need <= b->alloc) return WS_OK;
    size_t n = exact ? need : b->alloc ? b->alloc : 256;
    while (n < need) n *= 2;
    char *p = realloc(b->data, n);
    if (!p) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!b->data) p[0] = 0;
    b->data = p;
    b->alloc = n;
    return WS_OK;
}

ws_err buf_reserve(buf *b, size_t n) { return grow(b, n, true); }

ws_err buf_append(buf *b, const void *p, size_t n)
{
    ws_err rc = grow(b, n, false);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return WS_OK;
}

ws_err buf_puts(buf *b, const char *s) { return buf_append(b, s, strlen(s)); }
ws_err buf_putc(buf *b, char c) { return buf_append(b, &c, 1); }

ws_err buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    ws_err rc = n < 0 ? WS_EINTERNAL : grow(b, (size_t)n, false);
    if (!rc) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    return rc;
}

char *buf_steal(buf *b)
{
    char *p = b->data;
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}

void str_append_utf8(char *out, size_t cap, const char *s, size_t max)
{
    size_t have = strlen(out), len = strlen(s), n = len < max ? len : max;
    if (have + n + 1 > cap) n = cap > have ? cap - have - 1 : 0;
    while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    memcpy(out + have, s, n);
    out[have + n] = 0;
}

char *hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
    return out;
}

static int nib(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int h = nib(s[2 * i]), l = h < 0 ? -1 : nib(s[2 * i + 1]);
        if (h < 0 || l < 0) return -1;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return s[2 * n] ? -1 : 0;
}

ws_err buf_append_file(buf *b, const char *path, const char *field)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ws_fail(WS_EIO, field, "cannot open %s: %s", path, strerror(errno));
    char chunk[8192];
    size_t n;
    ws_err rc = WS_OK;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = buf_append(b, chunk, n);
    if (!rc && ferror(f)) rc = ws_fail(WS_EIO, field, "cannot read %s", path);
    fclose(f);
    return rc;
}
