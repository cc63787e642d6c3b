/* dahua.c — the Dahua eventManager stream: an incremental multipart framer
 * and the block parser (see dahua.h).
 *
 * Framing states:
 *   SEEK   lines until a delimiter line "--<boundary>" (garbage is counted)
 *   HDR    part header lines until an empty line; Content-Length noted. A
 *          line starting "Code=" or "Heartbeat" here is a block sent without
 *          headers: it starts the body.
 *   LEN    exactly Content-Length bytes of body (over DAHUA_BLOCK_MAX: SKIP)
 *   SKIP   Content-Length bytes dropped
 *   UNTIL  body lines until the next delimiter line (no Content-Length);
 *          past DAHUA_BLOCK_MAX the lines are dropped, only the delimiter
 *          is looked for.
 * A block with Content-Length is delivered as soon as its last byte arrives,
 * not when the next part starts, so an alarm is never held for a heartbeat.
 *
 * Block: key=value pairs split on ';', each on its first '='; the value of
 * "data" is the rest of the block (JSON may hold ';' and '='). */
#include "ingest/dahua.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum { ST_SEEK, ST_HDR, ST_LEN, ST_SKIP, ST_UNTIL };

/* ---- mapping ----------------------------------------------------------- */

static const struct { const char *code; uint8_t v; } dahua_codes[] = {
    {"CrossLineDetection", WS_VIOL_INTRUSION},
    {"CrossRegionDetection", WS_VIOL_INTRUSION},
    {"SmokingDetection", WS_VIOL_SMOKING},
    {"SmokingDetect", WS_VIOL_SMOKING},
    {"FireWarning", WS_VIOL_FIRE},
    {"FireDetection", WS_VIOL_FIRE},
    {"SmokeDetection", WS_VIOL_FIRE}, /* smoke of a fire, not a cigarette */
    {"HelmetDetection", WS_VIOL_NO_HELMET},
    {"WorkClothesDetection", WS_VIOL_NO_HELMET}, /* see dahua_map */
    /* recognised, not violations */
    {"VideoMotion", WS_VIOL_OTHER},
    {"VideoLoss", WS_VIOL_OTHER},
    {"VideoBlind", WS_VIOL_OTHER},
    {"AlarmLocal", WS_VIOL_OTHER},
    {"LeftDetection", WS_VIOL_OTHER},
    {"ParkingDetection", WS_VIOL_OTHER},
    {"FaceDetection", WS_VIOL_OTHER},
    {"SmartMotionHuman", WS_VIOL_OTHER},
};

ws_violation dahua_map(const ws_camera_event *ev)
{
    for (size_t i = 0; i < sizeof dahua_codes / sizeof dahua_codes[0]; i++) {
        if (strcasecmp(ev->raw_type, dahua_codes[i].code)) continue;
        /* One code covers helmet and workwear rules (the device calls them
         * "Helmet Detection" / "Workwear Detection"): a workwear-only rule is
         * not a missing helmet. */
        if (!strcasecmp(ev->raw_type, "WorkClothesDetection") && !strcasestr(ev->rule, "helmet") &&
            !strstr(ev->rule, "安全帽") &&
            (strcasestr(ev->rule, "workwear") || strcasestr(ev->rule, "clothes") || strstr(ev->rule, "工装") ||
             strstr(ev->rule, "工作服")))
            return WS_VIOL_OTHER;
        return (ws_violation)dahua_codes[i].v;
    }
    return WS_VIOL_OTHER;
}

/* ---- block ------------------------------------------------------------- */

static void copy_trunc(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(dst, s, n);
    dst[n] = 0;
}

static void from_data(ws_camera_event *ev, json_t *d)
{
    json_t *v = json_object_get(d, "Name");
    if (json_is_string(v)) copy_trunc(ev->rule, sizeof ev->rule, json_string_value(v), json_string_length(v));
    v = json_object_get(d, "RuleID");
    if (json_is_integer(v)) snprintf(ev->rule_id, sizeof ev->rule_id, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v)) copy_trunc(ev->rule_id, sizeof ev->rule_id, json_string_value(v), json_string_length(v));
    json_t *o = json_object_get(d, "Object");
    v = json_object_get(json_is_object(o) ? o : d, "ObjectType");
    if (json_is_string(v)) copy_trunc(ev->target, sizeof ev->target, json_string_value(v), json_string_length(v));
    v = json_object_get(d, "UTC"); /* seconds; (?) per INTEGRATIONS.md §7 */
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 32503680000LL)
        ev->source_ms = (int64_t)json_integer_value(v) * 1000;
}

ws_err dahua_parse_block(const char *s, size_t n, const ws_cam_rule *map, unsigned nmap, ws_camera_event *ev,
                         json_t **data)
{
    memset(ev, 0, sizeof *ev);
    ev->vendor = WS_CAM_DAHUA;
    ev->channel = -1;
    if (data) *data = NULL;
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n == 9 && !strncasecmp(s, "Heartbeat", 9)) {
        ev->heartbeat = true;
        ev->action = WS_CAM_PULSE;
        memcpy(ev->raw_type, "Heartbeat", 10);
        return WS_OK;
    }
    bool have_code = false, have_action = false;
    const char *ds = NULL;
    size_t dn = 0, i = 0;
    while (i < n) {
        size_t k = i;
        while (k < n && s[k] != '=' && s[k] != ';') k++;
        if (k == n || s[k] != '=') return ws_fail(WS_EINVAL, "block", "a key without '=' at byte %zu", i);
        const char *key = s + i;
        size_t kn = k - i, vs = k + 1, ve;
        if (kn == 4 && !strncasecmp(key, "data", 4)) {
            ve = n; /* the rest, ';' and '=' included */
        } else {
            ve = vs;
            while (ve < n && s[ve] != ';') ve++;
        }
        const char *v = s + vs;
        size_t vn = ve - vs;
        while (vn && isspace((unsigned char)v[vn - 1])) vn--;
        if (kn == 4 && !strncasecmp(key, "Code", 4)) {
            if (vn == 0 || vn >= sizeof ev->raw_type) return ws_fail(WS_EINVAL, "Code", "Code is empty or too long");
            for (size_t j = 0; j < vn; j++)
                if ((unsigned char)v[j] < 0x20 || v[j] == 0x7F)
                    return ws_fail(WS_EINVAL, "Code", "Code holds a control character");
            memcpy(ev->raw_type, v, vn);
            ev->raw_type[vn] = 0;
            have_code = true;
        } else if (kn == 6 && !strncasecmp(key, "action", 6)) {
            if (vn == 5 && !strncasecmp(v, "Start", 5)) ev->action = WS_CAM_START;
            else if (vn == 4 && !strncasecmp(v, "Stop", 4)) ev->action = WS_CAM_STOP;
            else if (vn == 5 && !strncasecmp(v, "Pulse", 5)) ev->action = WS_CAM_PULSE;
            else return ws_fail(WS_EINVAL, "action", "action is not Start, Stop or Pulse");
            have_action = true;
        } else if (kn == 5 && !strncasecmp(key, "index", 5)) {
            int64_t x = 0;
            if (vn == 0 || vn > 6) return ws_fail(WS_EINVAL, "index", "index is not a channel number");
            for (size_t j = 0; j < vn; j++) {
                if (!isdigit((unsigned char)v[j])) return ws_fail(WS_EINVAL, "index", "index is not a channel number");
                x = x * 10 + (v[j] - '0');
            }
            ev->channel = (int32_t)x;
        } else if (kn == 4 && !strncasecmp(key, "data", 4)) {
            ds = v;
            dn = vn;
        }
        i = ve + 1;
    }
    if (!have_code) return ws_fail(WS_EINVAL, "Code", "block without Code=");
    if (!have_action) return ws_fail(WS_EINVAL, "action", "block without action=");
    if (ds && dn) {
        json_error_t je;
        json_t *d = json_loadb(ds, dn, JSON_REJECT_DUPLICATES, &je);
        if (d && !json_is_object(d)) {
            json_decref(d);
            d = NULL;
        }
        if (d) from_data(ev, d);
        if (data) *data = d;
        else json_decref(d);
    }
    if (!ws_cam_rules_apply(map, nmap, ev)) ev->violation = (uint8_t)dahua_map(ev);
    return WS_OK;
}

/* ---- stream ------------------------------------------------------------ */

void dahua_init(dahua_parser *p, const char *boundary, const ws_cam_rule *map, unsigned nmap)
{
    memset(p, 0, offsetof(dahua_parser, body));
    p->body[0] = 0;
    if (!boundary || !*boundary) boundary = "myboundary";
    if (!strncmp(boundary, "--", 2)) boundary += 2;
    int k = snprintf(p->delim, sizeof p->delim, "--%s", boundary);
    p->delim_len = k > 0 && (size_t)k < sizeof p->delim ? (size_t)k : sizeof p->delim - 1;
    p->map = map;
    p->nmap = nmap;
    p->state = ST_SEEK;
}

static void skipped(dahua_parser *p, uint64_t *counter, const char *why, const char *sample, size_t n)
{
    (*counter)++;
    char smp[49];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 48; i++) smp[k++] = isprint((unsigned char)sample[i]) ? sample[i] : '.';
    smp[k] = 0;
    snprintf(p->last_error, sizeof p->last_error, "%s: \"%s\"", why, smp);
}

static void deliver(dahua_parser *p, const char *s, size_t n, dahua_cb cb, void *ud)
{
    ws_camera_event ev;
    json_t *data = NULL;
    const char *t = s;
    size_t tn = n;
    while (tn && isspace((unsigned char)*t)) t++, tn--;
    if (tn == 0) return; /* an empty part */
    ws_err_clear();
    if (dahua_parse_block(s, n, p->map, p->nmap, &ev, &data)) {
        char why[96];
        snprintf(why, sizeof why, "malformed block (%s)", ws_err_message());
        skipped(p, &p->stats.malformed, why, t, tn);
        return;
    }
    const char *d = memmem(s, n, "data=", 5);
    if (!data && d && d + 5 < s + n) {
        const char *q = d + 5;
        while (q < s + n && isspace((unsigned char)*q)) q++;
        if (q < s + n) skipped(p, &p->stats.bad_data, "data is not a JSON object", d, (size_t)(s + n - d));
    }
    p->stats.events++;
    if (ev.heartbeat) p->stats.heartbeats++;
    if (cb) cb(ud, &ev, data);
    json_decref(data);
}

static bool is_delim(const dahua_parser *p, const char *l, size_t n)
{
    while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t')) n--;
    if (n == p->delim_len + 2 && !memcmp(l + p->delim_len, "--", 2)) n -= 2;
    return n == p->delim_len && !memcmp(l, p->delim, n);
}

static void begin_body(dahua_parser *p)
{
    p->body_len = 0;
    p->body_over = false;
    p->line_start = 0;
    if (p->clen < 0) {
        p->state = ST_UNTIL;
    } else if (p->clen > DAHUA_BLOCK_MAX) {
        skipped(p, &p->stats.oversized, "block over DAHUA_BLOCK_MAX (Content-Length)", "", 0);
        p->left = p->clen;
        p->state = p->left ? ST_SKIP : ST_SEEK;
    } else {
        p->left = p->clen;
        p->state = ST_LEN;
    }
}

/* A complete line (without '\n') in state SEEK, HDR or UNTIL. */
static void on_line(dahua_parser *p, dahua_cb cb, void *ud)
{
    const char *l = p->line;
    size_t n = p->line_len;
    bool over = p->line_over;
    p->line_len = 0;
    p->line_over = false;
    switch (p->state) {
    case ST_SEEK:
        if (!over && is_delim(p, l, n)) {
            p->state = ST_HDR;
            p->clen = -1;
        } else {
            size_t k = n;
            while (k && isspace((unsigned char)l[k - 1])) k--;
            if (k || over) skipped(p, &p->stats.malformed, "text outside a part", l, k);
        }
        return;
    case ST_HDR: {
        if (over) {
            skipped(p, &p->stats.malformed, "part header line too long", l, n);
            p->state = ST_SEEK;
            return;
        }
        while (n && (l[n - 1] == '\r' || l[n - 1] == ' ')) n--;
        if (n == 0) {
            begin_body(p);
            return;
        }
        if (is_delim(p, l, n)) { /* an empty part */
            p->clen = -1;
            return;
        }
        if ((n >= 5 && !strncmp(l, "Code=", 5)) || (n == 9 && !strncasecmp(l, "Heartbeat", 9))) {
            p->clen = -1; /* a block sent without part headers */
            begin_body(p);
            memcpy(p->body, l, n);
            p->body[n] = '\n';
            p->body_len = p->line_start = n + 1;
            return;
        }
        const char *colon = memchr(l, ':', n);
        if (!colon) {
            skipped(p, &p->stats.malformed, "part header without a colon", l, n);
            p->state = ST_SEEK;
            return;
        }
        if (colon - l == 14 && !strncasecmp(l, "Content-Length", 14)) {
            const char *v = colon + 1;
            size_t vn = n - (size_t)(v - l);
            int64_t x = 0;
            while (vn && *v == ' ') v++, vn--;
            if (vn == 0 || vn > 12) x = -2;
            for (size_t i = 0; x >= 0 && i < vn; i++) x = isdigit((unsigned char)v[i]) ? x * 10 + (v[i] - '0') : -2;
            if (x < 0) {
                skipped(p, &p->stats.malformed, "bad Content-Length", l, n);
                p->state = ST_SEEK;
                return;
            }
            p->clen = x;
        }
        return;
    }
    case ST_UNTIL:
        if (!over && is_delim(p, l, n)) {
            if (p->body_over) skipped(p, &p->stats.oversized, "block over DAHUA_BLOCK_MAX", p->body, 48);
            else deliver(p, p->body, p->line_start, cb, ud);
            p->state = ST_HDR;
            p->clen = -1;
            p->body_len = 0;
        }
        p->line_start = p->body_len;
        return;
    default:
        return;
    }
}

void dahua_feed(dahua_parser *p, const uint8_t *chunk, size_t n, dahua_cb cb, void *ud)
{
    size_t i = 0;
    while (i < n) {
        if (p->state == ST_LEN || p->state == ST_SKIP) {
            size_t k = n - i < (uint64_t)p->left ? n - i : (size_t)p->left;
            if (p->state == ST_LEN) memcpy(p->body + p->body_len, chunk + i, k), p->body_len += k;
            p->left -= (int64_t)k;
            i += k;
            if (p->left == 0) {
                if (p->state == ST_LEN) deliver(p, p->body, p->body_len, cb, ud);
                p->body_len = 0;
                p->state = ST_SEEK;
            }
            continue;
        }
        const uint8_t *nl = memchr(chunk + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - chunk) : n, k = end - i;
        /* the line buffer only needs to hold headers and delimiter lines */
        size_t room = DAHUA_LINE_MAX - 1 - p->line_len, take = k < room ? k : room;
        memcpy(p->line + p->line_len, chunk + i, take); /* the same bytes whatever the chunking */
        p->line_len += take;
        if (take < k) p->line_over = true;
        if (p->state == ST_UNTIL) {
            size_t add = k + (nl ? 1 : 0);
            if (!p->body_over && p->body_len + add <= DAHUA_BLOCK_MAX) {
                memcpy(p->body + p->body_len, chunk + i, add);
                p->body_len += add;
            } else if (!p->body_over) {
                p->body_over = true;
            }
        }
        i = end;
        if (nl) {
            i++;
            on_line(p, cb, ud);
        }
    }
}
