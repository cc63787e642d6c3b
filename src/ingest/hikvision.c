/* hikvision.c — decoding a Hikvision ISAPI event push (see hikvision.h).
 *
 * One field table serves both document forms: XML elements (matched on local
 * names, as the namespace is either hikvision.com or isapi.org) and JSON keys
 * land in set_field(). Direct children of EventNotificationAlert give the
 * camera identity and the event; the first targetType / detectionTarget /
 * recognitionType / ruleName / ruleID anywhere below give target and rule.
 * Identity fields longer than their cap are refused (a truncated MAC would
 * name another camera); descriptive text is truncated on a UTF-8 boundary.
 *
 * Multipart bodies are cut by each part's Content-Length when it has one (a
 * JPEG may contain any bytes), else at the next delimiter. XML with a DOCTYPE
 * is refused (no entity expansion), and element nesting is capped. */
#include "ingest/hikvision.h"
#include "core/clock.h"

#include <ctype.h>
#include <expat.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_MAX_DEPTH 32
#define TEXT_MAX 255

/* ---- time ------------------------------------------------------------- */

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int hik_parse_time(const char *s, int default_offset_min, int64_t *ms, int *offset_min)
{
    size_t n = strlen(s);
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return -1;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60 || h < 0 ||
        mi < 0 || se < 0)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return -1;
    const char *p = s + 19;
    int frac = 0;
    if (*p == '.') {
        int k = 0;
        p++;
        while (isdigit((unsigned char)*p)) {
            if (k < 3) frac = frac * 10 + (*p - '0');
            k++;
            p++;
        }
        if (k == 0 || k > 9) return -1;
        for (; k < 3; k++) frac *= 10;
    }
    int off = default_offset_min;
    if (*p == 'Z' || *p == 'z') {
        off = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        oh = digits(p, 2);
        if (oh < 0) return -1;
        p += 2;
        if (*p == ':') p++;
        om = digits(p, 2);
        if (om < 0) return -1;
        p += 2;
        if (oh > 14 || om > 59) return -1;
        off = sign * (oh * 60 + om);
    }
    if (*p) return -1;
    int64_t days = clock_days_from_civil(y, mo, d);
    *ms = ((days * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se)) - (int64_t)off * 60) * 1000 + frac;
    if (offset_min) *offset_min = off;
    return 0;
}

/* ---- fields ------------------------------------------------------------ */

typedef struct ctx {
    hik_event *out;
    int default_off;
    bool have_type, have_state, have_v4, have_channel;
    ws_err rc;          /* first failure, detail recorded */
} ctx;

/* Copy with truncation on a UTF-8 boundary. */
static void copy_trunc(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(dst, s, n);
    dst[n] = 0;
}

static bool copy_exact(ctx *c, const char *field, char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        if (!c->rc) c->rc = ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, cap - 1);
        return false;
    }
    memcpy(dst, s, n);
    dst[n] = 0;
    return true;
}

static bool parse_uint(const char *s, size_t n, uint32_t *v)
{
    uint64_t x = 0;
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (!n || n > 10) return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (x > 0x7FFFFFFF) return false;
    *v = (uint32_t)x;
    return true;
}

/* A value for a field; top = a direct child of the alert. */
static void set_field(ctx *c, const char *name, const char *s, size_t n, bool top)
{
    ws_camera_event *ev = &c->out->ev;
    uint32_t u;
    if (!top) goto nested;
    if (!strcmp(name, "ipAddress")) {
        if (n && copy_exact(c, "ipAddress", ev->ip, sizeof ev->ip, s, n)) c->have_v4 = true;
    } else if (!strcmp(name, "ipv6Address")) {
        if (n && !c->have_v4) copy_exact(c, "ipv6Address", ev->ip, sizeof ev->ip, s, n);
    } else if (!strcmp(name, "macAddress")) {
        copy_exact(c, "macAddress", ev->mac, sizeof ev->mac, s, n);
    } else if (!strcmp(name, "channelID") || (!strcmp(name, "dynChannelID") && !c->have_channel)) {
        if (!parse_uint(s, n, &u)) {
            if (!c->rc) c->rc = ws_fail(WS_EINVAL, name, "%s is not a channel number", name);
            return;
        }
        ev->channel = (int32_t)u;
        c->have_channel = !strcmp(name, "channelID");
    } else if (!strcmp(name, "dateTime")) {
        char t[48];
        int off = 0;
        if (n >= sizeof t || (memcpy(t, s, n), t[n] = 0, hik_parse_time(t, c->default_off, &ev->source_ms, &off))) {
            if (!c->rc) c->rc = ws_fail(WS_EINVAL, "dateTime", "dateTime is not an ISO 8601 time");
            return;
        }
        ev->offset_min = (int16_t)off;
    } else if (!strcmp(name, "activePostCount")) {
        if (parse_uint(s, n, &u)) ev->post_count = u;
    } else if (!strcmp(name, "detectionPicturesNumber")) {
        if (parse_uint(s, n, &u)) c->out->pictures_announced = u;
    } else if (!strcmp(name, "eventType")) {
        if (copy_exact(c, "eventType", ev->raw_type, sizeof ev->raw_type, s, n)) c->have_type = n > 0;
    } else if (!strcmp(name, "eventState")) {
        c->have_state = true;
        ev->action = (n == 8 && !strncasecmp(s, "inactive", 8)) ? WS_CAM_STOP : WS_CAM_START;
    } else if (!strcmp(name, "eventDescription")) {
        copy_trunc(ev->description, sizeof ev->description, s, n);
    } else if (!strcmp(name, "channelName")) {
        copy_trunc(ev->channel_name, sizeof ev->channel_name, s, n);
    } else if (!strcmp(name, "deviceID")) {
        copy_exact(c, "deviceID", ev->device_id, sizeof ev->device_id, s, n);
    } else if (!strcmp(name, "isDataRetransmission")) {
        ev->retransmission = n == 4 && !strncasecmp(s, "true", 4);
    }
    return;
nested:
    if (!strcmp(name, "targetType") || !strcmp(name, "detectionTarget") || !strcmp(name, "recognitionType")) {
        if (!ev->target[0] && n) copy_trunc(ev->target, sizeof ev->target, s, n);
    } else if (!strcmp(name, "ruleName")) {
        if (!ev->rule[0] && n) copy_trunc(ev->rule, sizeof ev->rule, s, n);
    } else if (!strcmp(name, "ruleID")) {
        if (!ev->rule_id[0] && n) copy_trunc(ev->rule_id, sizeof ev->rule_id, s, n);
    }
}

/* ---- XML --------------------------------------------------------------- */

typedef struct xctx {
    ctx *c;
    XML_Parser p;
    int depth;
    bool root_ok;
    char text[TEXT_MAX + 1];
    size_t tlen;
    bool toolong; /* informational: the text was cut at TEXT_MAX */
    const char *stop; /* why we stopped the parser */
} xctx;

static const char *local_name(const char *n)
{
    const char *l = strrchr(n, '|');
    return l ? l + 1 : n;
}

static void x_stop(xctx *x, const char *why)
{
    if (!x->stop) x->stop = why;
    XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL x_start(void *ud, const char *name, const char **atts)
{
    xctx *x = ud;
    (void)atts;
    if (++x->depth > XML_MAX_DEPTH) return x_stop(x, "XML nested too deeply");
    if (x->depth == 1) {
        if (strcmp(local_name(name), "EventNotificationAlert")) return x_stop(x, "root is not EventNotificationAlert");
        x->root_ok = true;
    }
    x->tlen = 0;
    x->toolong = false;
}

static void XMLCALL x_text(void *ud, const char *s, int len)
{
    xctx *x = ud;
    size_t k = (size_t)len;
    if (k > TEXT_MAX - x->tlen) {
        k = TEXT_MAX - x->tlen;
        x->toolong = true;
    }
    memcpy(x->text + x->tlen, s, k);
    x->tlen += k;
}

static void XMLCALL x_end(void *ud, const char *name)
{
    xctx *x = ud;
    if (x->depth >= 2) {
        size_t a = 0, b = x->tlen;
        while (a < b && isspace((unsigned char)x->text[a])) a++;
        while (b > a && isspace((unsigned char)x->text[b - 1])) b--;
        const char *ln = local_name(name);
        /* text over TEXT_MAX arrives cut: descriptive fields keep the cut,
         * identity fields are refused by set_field (their caps are smaller) */
        x->text[b] = 0;
        set_field(x->c, ln, x->text + a, b - a, x->depth == 2);
    }
    x->depth--;
    x->tlen = 0;
    x->toolong = false;
}

static void XMLCALL x_doctype(void *ud, const char *name, const char *sysid, const char *pubid, int internal)
{
    (void)name, (void)sysid, (void)pubid, (void)internal;
    x_stop(ud, "DOCTYPE is not accepted");
}

static ws_err decode_xml(ctx *c, const uint8_t *p, size_t n)
{
    if (n > 0x7FFFFFFF) return ws_fail(WS_ETOOBIG, "body", "XML body too large");
    xctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.p = XML_ParserCreateNS(NULL, '|');
    if (!x.p) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    XML_SetUserData(x.p, &x);
    XML_SetElementHandler(x.p, x_start, x_end);
    XML_SetCharacterDataHandler(x.p, x_text);
    XML_SetStartDoctypeDeclHandler(x.p, x_doctype);
    XML_SetParamEntityParsing(x.p, XML_PARAM_ENTITY_PARSING_NEVER);
    enum XML_Status st = XML_Parse(x.p, (const char *)p, (int)n, XML_TRUE);
    ws_err rc = WS_OK;
    if (c->rc) rc = c->rc;
    else if (x.stop) rc = ws_fail(WS_EINVAL, "body", "%s", x.stop);
    else if (st != XML_STATUS_OK)
        rc = ws_fail(WS_EINVAL, "body", "XML: %s at line %lu column %lu", XML_ErrorString(XML_GetErrorCode(x.p)),
                     (unsigned long)XML_GetCurrentLineNumber(x.p), (unsigned long)XML_GetCurrentColumnNumber(x.p));
    else if (!x.root_ok) rc = ws_fail(WS_EINVAL, "body", "no EventNotificationAlert");
    XML_ParserFree(x.p);
    return rc;
}

/* ---- JSON -------------------------------------------------------------- */

static void j_value(ctx *c, const char *key, json_t *v, bool top)
{
    char num[32];
    if (json_is_string(v)) set_field(c, key, json_string_value(v), json_string_length(v), top);
    else if (json_is_integer(v)) {
        int k = snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        set_field(c, key, num, (size_t)k, top);
    } else if (json_is_boolean(v))
        set_field(c, key, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5, top);
}

static void j_walk(ctx *c, json_t *v, int depth)
{
    if (depth > XML_MAX_DEPTH) return;
    const char *k;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, m) {
            if (json_is_object(m) || json_is_array(m)) j_walk(c, m, depth + 1);
            else j_value(c, k, m, false);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) j_walk(c, m, depth + 1);
    }
}

static ws_err decode_json(ctx *c, const uint8_t *p, size_t n)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &je);
    if (!root) return ws_fail(WS_EINVAL, "body", "JSON: %s at line %d column %d", je.text, je.line, je.column);
    json_t *alert = root;
    json_t *inner = json_object_get(root, "EventNotificationAlert");
    if (json_is_object(inner)) alert = inner;
    if (!json_is_object(alert)) {
        json_decref(root);
        return ws_fail(WS_EINVAL, "body", "JSON event is not an object");
    }
    const char *k;
    json_t *m;
    json_object_foreach(alert, k, m) {
        if (json_is_object(m) || json_is_array(m)) j_walk(c, m, 1);
        else j_value(c, k, m, true);
    }
    json_decref(root);
    return c->rc;
}

/* ---- multipart --------------------------------------------------------- */

static bool media_is(const char *ct, size_t n, const char *want)
{
    size_t l = strlen(want);
    return n == l && !strncasecmp(ct, want, l);
}

/* Media type of a Content-Type value: start and length, trimmed. */
static size_t media_type(const char *ct, const char **start)
{
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    *start = ct;
    return n;
}

/* A parameter of a header value (boundary, name, filename), unquoted, into out. */
static bool header_param(const char *v, size_t vn, const char *param, char *out, size_t cap)
{
    size_t pl = strlen(param);
    for (size_t i = 0; i + pl < vn; i++) {
        if ((i == 0 || v[i - 1] == ';' || v[i - 1] == ' ' || v[i - 1] == '\t') && !strncasecmp(v + i, param, pl) &&
            v[i + pl] == '=') {
            const char *s = v + i + pl + 1, *end = v + vn;
            size_t n;
            if (s < end && *s == '"') {
                s++;
                const char *q = memchr(s, '"', (size_t)(end - s));
                if (!q) return false;
                n = (size_t)(q - s);
            } else {
                n = 0;
                while (s + n < end && s[n] != ';' && s[n] != ' ' && s[n] != '\t' && s[n] != '\r') n++;
            }
            if (n == 0 || n >= cap) return false;
            memcpy(out, s, n);
            out[n] = 0;
            return true;
        }
    }
    return false;
}

typedef enum { DOC_NONE, DOC_XML, DOC_JSON } doc_kind;

static doc_kind doc_of_media(const char *mt, size_t n)
{
    if (media_is(mt, n, "application/xml") || media_is(mt, n, "text/xml")) return DOC_XML;
    if (media_is(mt, n, "application/json") || media_is(mt, n, "text/json")) return DOC_JSON;
    return DOC_NONE;
}

static doc_kind sniff(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) i = 3;
    while (i < n && isspace(p[i])) i++;
    if (i < n && p[i] == '<') return DOC_XML;
    if (i < n && p[i] == '{') return DOC_JSON;
    return DOC_NONE;
}

static ws_err decode_doc(ctx *c, doc_kind k, const uint8_t *p, size_t n)
{
    return k == DOC_XML ? decode_xml(c, p, n) : decode_json(c, p, n);
}

/* Position after the line ending at p[i..] (CRLF or LF), or SIZE_MAX. */
static size_t skip_eol(const uint8_t *p, size_t n, size_t i)
{
    if (i < n && p[i] == '\r') i++;
    if (i < n && p[i] == '\n') return i + 1;
    return SIZE_MAX;
}

static ws_err decode_multipart(ctx *c, const char *ct, const uint8_t *p, size_t n)
{
    char bnd[80], delim[84];
    if (!header_param(ct, strlen(ct), "boundary", bnd, sizeof bnd))
        return ws_fail(WS_EINVAL, "Content-Type", "multipart without a usable boundary");
    int dl = snprintf(delim, sizeof delim, "--%s", bnd);
    /* The first delimiter: at the start or after a line break. */
    const uint8_t *d = memmem(p, n, delim, (size_t)dl);
    while (d && d != p && d[-1] != '\n') d = memmem(d + 1, n - (size_t)(d + 1 - p), delim, (size_t)dl);
    if (!d) return ws_fail(WS_EINVAL, "body", "multipart body without its boundary");
    size_t pos = (size_t)(d - p), part = 0;
    const uint8_t *doc = NULL;
    size_t doc_len = 0;
    doc_kind dk = DOC_NONE;
    hik_event *out = c->out;
    for (;;) {
        pos += (size_t)dl;
        if (n - pos >= 2 && p[pos] == '-' && p[pos + 1] == '-') break; /* close delimiter */
        while (pos < n && (p[pos] == ' ' || p[pos] == '\t')) pos++;
        pos = skip_eol(p, n, pos);
        if (pos == SIZE_MAX) return ws_fail(WS_EINVAL, "body", "part %zu: truncated delimiter line", part);
        /* headers */
        char mt[48] = "", name[64] = "", cid[64] = "";
        long long clen = -1;
        for (unsigned h = 0;; h++) {
            const uint8_t *nl = memchr(p + pos, '\n', n - pos);
            if (!nl || h > 32) return ws_fail(WS_EINVAL, "body", "part %zu: headers not terminated", part);
            size_t ll = (size_t)(nl - (p + pos));
            const char *line = (const char *)p + pos;
            pos += ll + 1;
            if (ll && line[ll - 1] == '\r') ll--;
            if (ll == 0) break;
            const char *colon = memchr(line, ':', ll);
            if (!colon) return ws_fail(WS_EINVAL, "body", "part %zu: header line without a colon", part);
            size_t hn = (size_t)(colon - line), vn = ll - hn - 1;
            const char *v = colon + 1;
            while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
            if (hn == 12 && !strncasecmp(line, "Content-Type", 12)) {
                size_t mn = 0;
                while (mn < vn && v[mn] != ';' && v[mn] != ' ') mn++;
                copy_trunc(mt, sizeof mt, v, mn);
            } else if (hn == 14 && !strncasecmp(line, "Content-Length", 14)) {
                uint32_t u;
                if (!parse_uint(v, vn, &u)) return ws_fail(WS_EINVAL, "body", "part %zu: bad Content-Length", part);
                clen = u;
            } else if (hn == 19 && !strncasecmp(line, "Content-Disposition", 19)) {
                if (!header_param(v, vn, "filename", name, sizeof name)) header_param(v, vn, "name", name, sizeof name);
            } else if (hn == 10 && !strncasecmp(line, "Content-ID", 10)) {
                size_t a = 0, b = vn;
                if (b && v[0] == '<' && v[b - 1] == '>') a = 1, b--;
                copy_trunc(cid, sizeof cid, v + a, b - a);
            }
        }
        /* body */
        size_t bstart = pos, blen, next;
        if (clen >= 0) {
            if ((size_t)clen > n - pos) return ws_fail(WS_EINVAL, "body", "part %zu: Content-Length past the end", part);
            blen = (size_t)clen;
            next = pos + blen;
            if (next < n && p[next] == '\r') next++;
            if (next < n && p[next] == '\n') next++;
            if (n - next < (size_t)dl || memcmp(p + next, delim, (size_t)dl))
                return ws_fail(WS_EINVAL, "body", "part %zu: no boundary after Content-Length bytes", part);
        } else {
            const uint8_t *q = p + pos;
            for (;;) {
                q = memmem(q, n - (size_t)(q - p), delim, (size_t)dl);
                if (!q) return ws_fail(WS_EINVAL, "body", "part %zu: not terminated by a boundary", part);
                if (q[-1] == '\n') break;
                q++;
            }
            next = (size_t)(q - p);
            blen = next > pos ? next - pos - 1 : 0;
            if (blen && p[pos + blen - 1] == '\r') blen--;
        }
        const char *mts;
        size_t mtn = media_type(mt, &mts);
        doc_kind k = mtn ? doc_of_media(mts, mtn) : sniff(p + bstart, blen);
        if (mtn >= 6 && !strncasecmp(mts, "image/", 6)) {
            if (out->npics < HIK_PICS_MAX) {
                hik_picture *pic = &out->pics[out->npics++];
                pic->off = bstart;
                pic->len = blen;
                copy_trunc(pic->content_type, sizeof pic->content_type, mts, mtn);
                copy_trunc(pic->name, sizeof pic->name, name[0] ? name : cid, strlen(name[0] ? name : cid));
            } else {
                out->pics_dropped++;
            }
        } else if (k != DOC_NONE && !doc) {
            doc = p + bstart;
            doc_len = blen;
            dk = k;
        }
        pos = next;
        part++;
    }
    if (!doc) return ws_fail(WS_EINVAL, "body", "multipart without an XML or JSON event part");
    return decode_doc(c, dk, doc, doc_len);
}

/* ---- mapping ----------------------------------------------------------- */

static const struct { const char *type; uint8_t v; } hik_types[] = {
    {"safetyHelmetDetection", WS_VIOL_NO_HELMET},
    {"fireDetection", WS_VIOL_FIRE},
    {"fielddetection", WS_VIOL_INTRUSION},
    {"linedetection", WS_VIOL_INTRUSION},
    {"regionEntrance", WS_VIOL_INTRUSION},
    {"regionExiting", WS_VIOL_INTRUSION},
    {"loitering", WS_VIOL_INTRUSION},
    /* recognised, not violations: crowd, workwear, motion, I/O, video loss */
    {"personDensityDetection", WS_VIOL_OTHER},
    {"group", WS_VIOL_OTHER},
    {"mixedTargetDetection", WS_VIOL_OTHER},
    {"VMD", WS_VIOL_OTHER},
    {"IO", WS_VIOL_OTHER},
    {"videoloss", WS_VIOL_OTHER},
};

static const struct { const char *kw; uint8_t v; } aiop_words[] = {
    {"helmet", WS_VIOL_NO_HELMET}, {"安全帽", WS_VIOL_NO_HELMET}, {"smok", WS_VIOL_SMOKING},
    {"吸烟", WS_VIOL_SMOKING},     {"抽烟", WS_VIOL_SMOKING},     {"fire", WS_VIOL_FIRE},
    {"flame", WS_VIOL_FIRE},       {"烟火", WS_VIOL_FIRE},        {"火焰", WS_VIOL_FIRE},
    {"intrusion", WS_VIOL_INTRUSION}, {"入侵", WS_VIOL_INTRUSION},
};

ws_violation hik_map(const ws_camera_event *ev)
{
    for (size_t i = 0; i < sizeof hik_types / sizeof hik_types[0]; i++)
        if (!strcasecmp(ev->raw_type, hik_types[i].type)) return (ws_violation)hik_types[i].v;
    if (!strcasecmp(ev->target, "safetyHelmet")) return WS_VIOL_NO_HELMET;
    if (!strcasecmp(ev->raw_type, "AIOP_Video")) {
        const char *texts[] = {ev->rule, ev->description};
        for (size_t t = 0; t < 2; t++)
            for (size_t i = 0; i < sizeof aiop_words / sizeof aiop_words[0]; i++)
                if (strcasestr(texts[t], aiop_words[i].kw)) return (ws_violation)aiop_words[i].v;
    }
    return WS_VIOL_OTHER;
}

ws_err hik_decode(const char *content_type, const uint8_t *body, size_t len, int default_offset_min,
                  const ws_cam_rule *map, unsigned nmap, hik_event *out)
{
    ctx c;
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    out->ev.vendor = WS_CAM_HIKVISION;
    out->ev.channel = -1;
    c.out = out;
    c.default_off = default_offset_min;
    if (!body) len = 0;
    if (len == 0) return ws_fail(WS_EINVAL, "body", "empty body");
    const char *mt = "";
    size_t mtn = content_type ? media_type(content_type, &mt) : 0;
    ws_err rc;
    if (mtn == 0) {
        doc_kind k = sniff(body, len);
        if (k == DOC_NONE) return ws_fail(WS_EMEDIA, "Content-Type", "body is neither XML nor JSON");
        rc = decode_doc(&c, k, body, len);
    } else if (doc_of_media(mt, mtn) != DOC_NONE) {
        rc = decode_doc(&c, doc_of_media(mt, mtn), body, len);
    } else if (media_is(mt, mtn, "multipart/form-data") || media_is(mt, mtn, "multipart/mixed")) {
        rc = decode_multipart(&c, content_type, body, len);
    } else {
        return ws_fail(WS_EMEDIA, "Content-Type", "unsupported Content-Type '%.*s'", (int)(mtn > 40 ? 40 : mtn), mt);
    }
    if (rc) goto fail;
    if (!c.have_type) {
        rc = ws_fail(WS_EINVAL, "eventType", "the event has no eventType");
        goto fail;
    }
    ws_camera_event *ev = &out->ev;
    ev->heartbeat = ev->action == WS_CAM_STOP || !strcasecmp(ev->raw_type, "heartBeat");
    if (!ws_cam_rules_apply(map, nmap, ev)) ev->violation = (uint8_t)hik_map(ev);
    return WS_OK;
fail: {
    /* nothing half-decoded leaks out */
    memset(out, 0, sizeof *out);
    return rc;
}
}
