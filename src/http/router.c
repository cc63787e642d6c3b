/* router.c — matches a request's method and path against the API route
 * patterns ("/api/v1/units/{id}/actions/deactivate"); see http_int.h.
 *
 * At start each pattern is compiled into segments: a literal (text, length)
 * or a parameter. A request path is split into at most HTTP_MAX_SEGS
 * (offset, length) pairs on the stack; a route fits when it has as many
 * segments and every literal is equal byte for byte. Among the routes that
 * fit, the most specific wins: compare the literal/parameter shape segment by
 * segment, a literal beating a parameter at the first difference. Parameters
 * are copied into the caller's http_match, so nothing is allocated per request.
 *
 * Invariants (asserted by tests/unit/test_http_router.c):
 *  1. A path that fits some pattern but not with the method gives
 *     HTTP_MATCH_METHOD with every method of the fitting patterns in allow.
 *  2. A path that fits no pattern gives HTTP_MATCH_NOT_FOUND, whatever the
 *     method; so does an empty segment ("//", trailing "/").
 *  3. Parameters are never empty and never contain '/'. */
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct seg {
    const char *text; /* literal text (borrowed from the pattern); NULL for a parameter */
    size_t len;
} seg;

typedef struct croute {
    const api_route *r;
    seg segs[HTTP_MAX_SEGS];
    int nsegs;
    int nparams;
    unsigned shape; /* bit (HTTP_MAX_SEGS-1-i) set when segment i is literal */
} croute;

struct http_router {
    croute *routes;
    size_t n;
};

static bool name_ok(const char *p, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || c == '_' || (i && c >= '0' && c <= '9'))) return false;
    }
    return true;
}

static ws_err compile(const api_route *r, croute *out)
{
    const char *p = r->pattern;
    memset(out, 0, sizeof *out);
    out->r = r;
    if (!p || p[0] != '/' || !r->method || !r->method[0])
        return ws_fail(WS_EINTERNAL, NULL, "route pattern %s: must start with '/'", p ? p : "(null)");
    while (*p == '/') {
        const char *s = ++p;
        while (*p && *p != '/') p++;
        size_t len = (size_t)(p - s);
        if (!len) return ws_fail(WS_EINTERNAL, NULL, "route pattern %s: empty segment", r->pattern);
        if (out->nsegs == HTTP_MAX_SEGS)
            return ws_fail(WS_EINTERNAL, NULL, "route pattern %s: too many segments", r->pattern);
        seg *g = &out->segs[out->nsegs];
        if (s[0] == '{') {
            if (len < 3 || s[len - 1] != '}' || !name_ok(s + 1, len - 2))
                return ws_fail(WS_EINTERNAL, NULL, "route pattern %s: bad parameter", r->pattern);
            if (out->nparams == API_MAX_PARAMS)
                return ws_fail(WS_EINTERNAL, NULL, "route pattern %s: too many parameters",
                               r->pattern);
            g->text = NULL;
            out->nparams++;
        } else {
            if (memchr(s, '{', len) || memchr(s, '}', len))
                return ws_fail(WS_EINTERNAL, NULL, "route pattern %s: brace in a literal", r->pattern);
            g->text = s;
            out->shape |= 1u << (HTTP_MAX_SEGS - 1 - out->nsegs);
        }
        g->len = len;
        out->nsegs++;
    }
    if (*p) return ws_fail(WS_EINTERNAL, NULL, "route pattern %s: malformed", r->pattern);
    return WS_OK;
}

/* Same method and the same literals in the same places: the two could never
 * be told apart. */
static bool same_shape(const croute *a, const croute *b)
{
    if (a->nsegs != b->nsegs || a->shape != b->shape || strcmp(a->r->method, b->r->method))
        return false;
    for (int i = 0; i < a->nsegs; i++)
        if (a->segs[i].text &&
            (a->segs[i].len != b->segs[i].len || memcmp(a->segs[i].text, b->segs[i].text, a->segs[i].len)))
            return false;
    return true;
}

ws_err http_router_build(const api_route *const *routes, size_t n, http_router **out)
{
    *out = NULL;
    http_router *r = calloc(1, sizeof *r);
    if (!r) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    r->routes = calloc(n ? n : 1, sizeof *r->routes);
    if (!r->routes) {
        free(r);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    ws_err rc = WS_OK;
    for (size_t i = 0; i < n; i++) {
        if ((rc = compile(routes[i], &r->routes[i]))) goto fail;
        for (size_t j = 0; j < i; j++)
            if (same_shape(&r->routes[i], &r->routes[j])) {
                rc = ws_fail(WS_EINTERNAL, NULL, "routes %s %s and %s clash", routes[i]->method,
                             routes[i]->pattern, routes[j]->pattern);
                goto fail;
            }
    }
    r->n = n;
    *out = r;
    return WS_OK;
fail:
    http_router_free(r);
    return rc;
}

void http_router_free(http_router *r)
{
    if (!r) return;
    free(r->routes);
    free(r);
}

static bool fits(const croute *c, const char *path, const size_t *off, const size_t *len, int n)
{
    if (c->nsegs != n) return false;
    for (int i = 0; i < n; i++) {
        const seg *g = &c->segs[i];
        if (g->text && (g->len != len[i] || memcmp(g->text, path + off[i], len[i]))) return false;
    }
    return true;
}

static void allow_add(char *allow, size_t cap, const char *m)
{
    /* Skip a method already listed (several patterns may fit). */
    size_t ml = strlen(m);
    for (const char *p = allow; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == ml && !memcmp(p, m, ml)) return;
        if (!e) break;
        p = e + 2;
    }
    size_t n = strlen(allow);
    if (n + (n ? 2 : 0) + ml + 1 > cap) return;
    if (n) {
        memcpy(allow + n, ", ", 2);
        n += 2;
    }
    memcpy(allow + n, m, ml + 1);
}

http_match_kind http_router_match(const http_router *r, const char *method, const char *path,
                                  http_match *m)
{
    size_t off[HTTP_MAX_SEGS], len[HTTP_MAX_SEGS];
    int n = 0;
    m->route = -1;
    m->nparams = 0;
    m->allow[0] = 0;
    if (!path || path[0] != '/') return HTTP_MATCH_NOT_FOUND;
    const char *p = path;
    while (*p == '/') {
        const char *s = ++p;
        while (*p && *p != '/') p++;
        if (p == s || n == HTTP_MAX_SEGS) return HTTP_MATCH_NOT_FOUND;
        off[n] = (size_t)(s - path);
        len[n] = (size_t)(p - s);
        n++;
    }
    bool head = !strcmp(method, "HEAD");
    const croute *best = NULL;
    bool fitted = false;
    for (size_t i = 0; i < r->n; i++) {
        const croute *c = &r->routes[i];
        if (!fits(c, path, off, len, n)) continue;
        fitted = true;
        bool same = !strcmp(c->r->method, method) || (head && !strcmp(c->r->method, "GET"));
        if (!same) continue;
        if (!best || c->shape > best->shape) best = c;
    }
    if (!best) {
        if (!fitted) return HTTP_MATCH_NOT_FOUND;
        for (size_t i = 0; i < r->n; i++)
            if (fits(&r->routes[i], path, off, len, n))
                allow_add(m->allow, sizeof m->allow, r->routes[i].r->method);
        return HTTP_MATCH_METHOD;
    }
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        if (best->segs[i].text) continue;
        if (used + len[i] + 1 > sizeof m->pbuf) return HTTP_MATCH_NOT_FOUND;
        memcpy(m->pbuf + used, path + off[i], len[i]);
        m->pbuf[used + len[i]] = 0;
        m->params[m->nparams++] = m->pbuf + used;
        used += len[i] + 1;
    }
    m->route = (int)(best - r->routes);
    return HTTP_MATCH_OK;
}
