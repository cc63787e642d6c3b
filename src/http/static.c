/* static.c — serves the built web assets (build/web, or the installed copy)
 * below web_dir; see http_int.h.
 *
 * Safety: the URL path (already percent-decoded by libmicrohttpd) is checked
 * segment by segment before it touches the file system: no "..", no ".", no
 * hidden files, no backslashes or control bytes. Only regular files are
 * served.
 *
 * Single-page app: a GET for a path whose last segment has no dot ("/units/12")
 * that names no file is answered with index.html, so the browser's router
 * takes over; a missing file with an extension is a real 404.
 *
 * Caching: every reply carries an ETag (inode, size, mtime) and If-None-Match
 * gives 304. Files whose name carries a content hash ("app.3f9a2c1d.js") are
 * cached for a year as immutable; everything else is "no-cache", i.e.
 * revalidated on each use, so an upgrade is seen at once. */
#include "http/http_int.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int http_static_path(const char *web_dir, const char *url, char *out, size_t cap)
{
    if (!web_dir || !url || url[0] != '/') return -1;
    if (!strcmp(url, "/")) url = "/index.html";
    for (const char *p = url; *p;) {
        /* p is at a '/'; inspect the segment after it. */
        const char *s = ++p;
        while (*p && *p != '/') {
            unsigned char c = (unsigned char)*p;
            if (c < 0x20 || c == 0x7f || c == '\\') return -1;
            p++;
        }
        if (p == s) return -1; /* empty segment, including a trailing '/' */
        if (s[0] == '.') return -1; /* ".", "..", ".hidden" */
    }
    int n = snprintf(out, cap, "%s%s", web_dir, url);
    if (n < 0 || (size_t)n >= cap) return -1;
    return 0;
}

bool http_is_page_route(const char *url)
{
    const char *last = strrchr(url, '/');
    return !strchr(last ? last : url, '.');
}

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"webmanifest", "application/manifest+json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
};

const char *http_content_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot + 1, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* "name.<8+ hex digits>.ext" or "name-<hex>.ext": a build step put a content
 * hash in the name, so the file at that name never changes. */
static bool fingerprinted(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *ext = strrchr(base, '.');
    if (!ext) return false;
    const char *p = ext;
    size_t n = 0;
    bool digit = false;
    while (p > base) {
        char c = p[-1];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
            digit |= c <= '9';
            n++;
            p--;
        } else break;
    }
    return n >= 8 && digit && p > base + 1 && (p[-1] == '.' || p[-1] == '-');
}

/* Does the If-None-Match list name etag (or "*")? */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm) return false;
    size_t el = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == '*') return true;
        if (!strncmp(p, "W/", 2)) p += 2;
        if (!strncmp(p, etag, el) && (p[el] == 0 || p[el] == ',' || p[el] == ' ')) return true;
        while (*p && *p != ',') p++;
    }
    return false;
}

static int open_regular(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static struct MHD_Response *not_found(int *status)
{
    static const char msg[] = "not found\n";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    *status = MHD_HTTP_NOT_FOUND;
    return r;
}

struct MHD_Response *http_static_response(const char *web_dir, const char *url, const char *inm,
                                          int *status)
{
    char path[4096];
    struct stat st;
    int fd = -1;
    if (http_static_path(web_dir, url, path, sizeof path)) return not_found(status);
    fd = open_regular(path, &st);
    if (fd < 0 && http_is_page_route(url)) {
        snprintf(path, sizeof path, "%s/index.html", web_dir);
        fd = open_regular(path, &st);
    }
    if (fd < 0) return not_found(status);

    char etag[80];
    snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st.st_ino,
             (uint64_t)st.st_size,
             (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec);
    const char *cache = fingerprinted(path) ? "public, max-age=31536000, immutable" : "no-cache";
    struct MHD_Response *r;
    if (etag_matches(inm, etag)) {
        close(fd);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        *status = MHD_HTTP_NOT_MODIFIED;
    } else {
        r = MHD_create_response_from_fd((size_t)st.st_size, fd); /* owns fd from here */
        if (!r) close(fd);
        *status = MHD_HTTP_OK;
        if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, http_content_type(path));
    }
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    }
    return r;
}
