/* outbox.c — the notification outbox (see outbox.h and docs/internals/notify.md).
 *
 * A pass, per active channel:
 *   refill the token bucket (rate per minute, at most NOTIFY_BURST tokens);
 *   read the due pending rows, emergencies first;
 *   when more than one non-emergency row is due, write ONE digest row and mark
 *   those rows merged into it (one short transaction);
 *   send emergencies one by one, then the digest or the single message, each
 *   taking a token; stop when the bucket is empty or the robot is paused;
 *   record each result on its row (sent, or attempts+1 with a backoff and
 *   the error with the channel's URL and secret scrubbed out);
 *   save the bucket.
 * Requests go through the notify_http function pointer, outside any database
 * transaction. A single sender is assumed (the server runs one). */
#include "notify/outbox.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "notify/channel.h"
#include "notify/sign.h"
#include "store/q_notify.h"

#define DUE_BATCH 500
#define REPLY_CAP 4096
#define ERR_MAX 200

static const char *const LEVEL_NAME[] = {"notice", "alarm", "emergency"};
static const char *const LEVEL_ZH[] = {"预警", "报警", "紧急"};

const char *notify_level_name(notify_level l)
{
    return (l >= NOTIFY_NOTICE && l <= NOTIFY_EMERGENCY) ? LEVEL_NAME[l] : "notice";
}

static notify_level level_of(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, LEVEL_NAME[i]) == 0) return (notify_level)i;
    return NOTIFY_NOTICE;
}

/* ================================================================ libcurl */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Keeps the first cap bytes of the reply, swallows the rest. */
static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    size_t len = size * n, room = b->cap > b->len ? b->cap - b->len : 0;
    if (room) (void)buf_append(b, p, len < room ? len : room);
    return len;
}

ws_err notify_http_curl(void *arg, const notify_http_req *rq, long *status, buf *reply)
{
    (void)arg;
    *status = 0;
    pthread_once(&curl_once, curl_start);
    CURL *h = curl_easy_init();
    if (!h) return ws_fail(WS_ENOMEM, NULL, "libcurl could not start a request");
    char ct[160];
    snprintf(ct, sizeof ct, "Content-Type: %s", rq->content_type ? rq->content_type : "application/json");
    struct curl_slist *hd = curl_slist_append(NULL, ct);
    struct curl_slist *hd2 = hd ? curl_slist_append(hd, "Expect:") : NULL;
    if (!hd2) {
        curl_slist_free_all(hd);
        curl_easy_cleanup(h);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    hd = hd2;
    for (int i = 0; i < NOTIFY_HTTP_HEADERS && rq->headers[i]; i++) {
        if (!(hd2 = curl_slist_append(hd, rq->headers[i]))) {
            curl_slist_free_all(hd);
            curl_easy_cleanup(h);
            return ws_fail(WS_ENOMEM, NULL, "out of memory");
        }
        hd = hd2;
    }
    bool get = rq->method && strcmp(rq->method, "GET") == 0;
    long tmo = rq->timeout_ms > 0 ? rq->timeout_ms : 10000;
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    if (get) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        const char *body = rq->body ? rq->body : "";
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, tmo < 5000 ? tmo : 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* "" disables proxies, including http_proxy from the environment: the
     * outbound proxy is a setting, not an accident of the service's env. */
    curl_easy_setopt(h, CURLOPT_PROXY, rq->proxy ? rq->proxy : "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "worksafe-notify");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
    ws_err rc = WS_OK;
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK)
        rc = ws_fail(WS_EIO, NULL, "%s", curl_easy_strerror(cc)); /* generic: no URL in it */
    else
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return rc;
}

/* ================================================================ writes */

static bool mention_ok(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = m[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
              ch == '.' || ch == '-' || ch == '@'))
            return false;
    }
    return true;
}

static bool is_mobile(const char *m)
{
    if (!*m) return false;
    for (; *m; m++)
        if (*m < '0' || *m > '9') return false;
    return true;
}

ws_err notify_channel_add(store_conn *c, const char *kind, const char *name, const char *url,
                          const char *secret, int rate_per_min, int64_t now, int64_t *id)
{
    if (!kind || (strcmp(kind, "dingtalk") && strcmp(kind, "wecom") && strcmp(kind, "webhook")))
        return ws_fail(WS_EINVAL, "kind", "kind must be dingtalk, wecom or webhook");
    if (!name || !name[0] || strlen(name) > 100) return ws_fail(WS_EINVAL, "name", "name must be 1-100 bytes");
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) > 1000)
        return ws_fail(WS_EINVAL, "url", "url must be an http(s) URL");
    if (secret && (!secret[0] || strlen(secret) > 200))
        return ws_fail(WS_EINVAL, "secret", "secret must be 1-200 bytes");
    if (secret && strcmp(kind, "wecom") == 0)
        return ws_fail(WS_EINVAL, "secret", "WeCom robots take no secret (the key is in the URL)");
    if (rate_per_min == 0) rate_per_min = NOTIFY_RATE_DEFAULT;
    if (rate_per_min < 1 || rate_per_min > 600)
        return ws_fail(WS_EINVAL, "rate_per_min", "rate must be 1-600 a minute");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_CHANNEL_INSERT, &st);
    if (rc) return rc;
    if ((rc = store_bind_text(st, 1, kind)) || (rc = store_bind_text(st, 2, name)) ||
        (rc = store_bind_text(st, 3, url)) || (rc = store_bind_text(st, 4, secret)) ||
        (rc = store_bind_int(st, 5, rate_per_min)) || (rc = store_bind_double(st, 6, NOTIFY_BURST)) ||
        (rc = store_bind_int(st, 7, now)) || (rc = store_step(st, &row)))
        goto done;
    if (id) *id = row ? store_col_int(st, 0) : 0;
done:
    store_finalize(st);
    return rc;
}

static ws_err insert_row(store_conn *c, int64_t channel, notify_level level, const char *title,
                         const char *body, const char *mentions, int64_t items, int64_t now, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_INSERT, &st);
    if (rc) return rc;
    if ((rc = store_bind_int(st, 1, channel)) || (rc = store_bind_text(st, 2, LEVEL_NAME[level])) ||
        (rc = store_bind_text(st, 3, title)) || (rc = store_bind_text(st, 4, body)) ||
        (rc = store_bind_text(st, 5, mentions)) || (rc = store_bind_int(st, 6, now)) ||
        (rc = store_bind_int(st, 7, items)) || (rc = store_step(st, &row)))
        goto done;
    if (id) *id = row ? store_col_int(st, 0) : 0;
done:
    store_finalize(st);
    return rc;
}

ws_err notify_enqueue(store_conn *c, int64_t channel, notify_level level, const char *title,
                      const char *body, const char *const *mentions, int n, int64_t now, int64_t *id)
{
    if (channel <= 0) return ws_fail(WS_EINVAL, "channel", "no channel");
    if (level < NOTIFY_NOTICE || level > NOTIFY_EMERGENCY) return ws_fail(WS_EINVAL, "level", "bad level");
    if (!title || !title[0] || strlen(title) > NOTIFY_TITLE_MAX)
        return ws_fail(WS_EINVAL, "title", "title must be 1-%d bytes", NOTIFY_TITLE_MAX);
    if (!body) body = "";
    if (strlen(body) > NOTIFY_BODY_MAX) return ws_fail(WS_ETOOBIG, "body", "body over %d bytes", NOTIFY_BODY_MAX);
    if (n < 0 || n > NOTIFY_MENTIONS_MAX) return ws_fail(WS_EINVAL, "mentions", "at most %d mentions", NOTIFY_MENTIONS_MAX);
    char ms[NOTIFY_MENTIONS_MAX * 66] = "";
    size_t ml = 0;
    for (int i = 0; i < n; i++) {
        if (!mentions[i] || !mention_ok(mentions[i]))
            return ws_fail(WS_EINVAL, "mentions", "a mention must be a mobile or a userid");
        ml += (size_t)snprintf(ms + ml, sizeof ms - ml, "%s%s", i ? "," : "", mentions[i]);
    }
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = insert_row(c, channel, level, title, body, ms, 1, now, id);
    return store_tx_finish(c, own, rc);
}

void notify_to_all(store_conn *c, notify_level level, const char *title, const char *body,
                   const char *const *mentions, int n, int64_t now, const char *what)
{
    notify_channel *ch = NULL;
    size_t nch = 0;
    if (notify_channel_list(c, &ch, &nch)) nch = 0;
    for (size_t k = 0; k < nch; k++)
        if (ch[k].active && notify_enqueue(c, ch[k].id, level, title, body, mentions, n, now, NULL))
            log_warn("notice not queued", "what", what, "channel", ch[k].name, "detail", ws_err_message());
    free(ch);
    ws_err_clear();
}

/* ================================================================ reads */

static char *dup(const char *s)
{
    char *p = strdup(s ? s : "");
    return p;
}

ws_err notify_get(store_conn *c, int64_t id, notify_row *out)
{
    memset(out, 0, sizeof *out);
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_GET, &st);
    if (rc) return rc;
    if ((rc = store_bind_int(st, 1, id)) || (rc = store_step(st, &row))) goto done;
    if (!row) {
        rc = ws_fail(WS_ENOTFOUND, "id", "no such message");
        goto done;
    }
    out->id = store_col_int(st, 0);
    out->channel_id = store_col_int(st, 1);
    out->level = level_of(store_col_text(st, 2));
    out->title = dup(store_col_text(st, 3));
    out->body = dup(store_col_text(st, 4));
    out->mentions = dup(store_col_text(st, 5));
    out->items = store_col_int(st, 6);
    out->created_at = store_col_int(st, 7);
    out->next_attempt_at = store_col_int(st, 8);
    out->attempts = store_col_int(st, 9);
    out->state = dup(store_col_text(st, 10));
    out->merged_into = store_col_int(st, 11);
    out->sent_at = store_col_int(st, 12);
    out->last_error = dup(store_col_text(st, 13));
    if (!out->title || !out->body || !out->mentions || !out->state || !out->last_error) {
        notify_row_free(out);
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
done:
    store_finalize(st);
    return rc;
}

void notify_row_free(notify_row *r)
{
    free(r->title);
    free(r->body);
    free(r->mentions);
    free(r->state);
    free(r->last_error);
    memset(r, 0, sizeof *r);
}

/* ================================================================ the pass */

typedef enum { K_DINGTALK, K_WECOM, K_WEBHOOK } chan_kind;

typedef struct chan {
    int64_t id, bucket_at, paused_until;
    int rate;
    double tokens;
    chan_kind kind;
    char *name, *url, *secret; /* url and secret: credentials */
} chan;

typedef struct msg {
    int64_t id, items, attempts;
    notify_level level;
    char *title, *body, *mentions;
} msg;

static void msg_free(msg *m)
{
    free(m->title);
    free(m->body);
    free(m->mentions);
}

/* Replace every occurrence of needle in s (in place) by "***". */
static void scrub_one(char *s, const char *needle, size_t nl)
{
    if (nl < 4) return;
    char *p;
    while ((p = strstr(s, needle))) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + nl, strlen(p + nl) + 1);
    }
}

/* Remove the channel's credentials from s: the secret, the URL, and each
 * value of its query string (access_token=…, key=…). */
static void scrub(char *s, const chan *ch)
{
    if (ch->secret) scrub_one(s, ch->secret, strlen(ch->secret));
    scrub_one(s, ch->url, strlen(ch->url));
    const char *q = strchr(ch->url, '?');
    while (q && *q) {
        const char *v = strchr(q, '=');
        if (!v) break;
        v++;
        size_t vl = strcspn(v, "&#");
        char tmp[1024];
        if (vl < sizeof tmp) {
            memcpy(tmp, v, vl);
            tmp[vl] = '\0';
            scrub_one(s, tmp, vl);
        }
        q = strchr(v, '&');
    }
}

/* Bytes of s up to max, cut at a UTF-8 character boundary and at the first
 * newline. */
static size_t first_line(const char *s, size_t max)
{
    size_t n = strcspn(s, "\r\n");
    if (n <= max) return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return n;
}

/* Append the comma-separated mentions of src to dst (a list of up to
 * NOTIFY_MENTIONS_MAX), skipping ones already there. */
static void mentions_union(char *dst, size_t cap, int *count, const char *src)
{
    char tmp[NOTIFY_MENTIONS_MAX * 66];
    snprintf(tmp, sizeof tmp, "%s", src);
    for (char *save = NULL, *m = strtok_r(tmp, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        if (*count >= NOTIFY_MENTIONS_MAX) return;
        bool seen = false;
        size_t ml = strlen(m);
        for (const char *p = dst; *p;) {
            size_t l = strcspn(p, ",");
            if (l == ml && memcmp(p, m, l) == 0) seen = true;
            p += l + (p[l] == ',');
        }
        if (seen) continue;
        size_t dl = strlen(dst);
        if (dl + ml + 2 > cap) return;
        snprintf(dst + dl, cap - dl, "%s%s", dl ? "," : "", m);
        (*count)++;
    }
}

/* Merge the n due non-emergency rows into one digest row (written, and the
 * rows marked merged into it, in one transaction). On success *d is the
 * digest (caller frees with msg_free). */
static ws_err make_digest(store_conn *c, const chan *ch, const msg *rows, int n, int64_t now, msg *d)
{
    memset(d, 0, sizeof *d);
    buf body = BUF_INIT(NOTIFY_BODY_MAX + 256);
    char ms[NOTIFY_MENTIONS_MAX * 66] = "";
    int mcount = 0;
    int64_t items = 0, omitted = 0;
    notify_level top = NOTIFY_NOTICE;
    ws_err rc = WS_OK;
    for (int i = 0; i < n; i++) {
        const msg *r = &rows[i];
        items += r->items;
        if (r->level > top) top = r->level;
        mentions_union(ms, sizeof ms, &mcount, r->mentions);
        char line[700];
        if (r->items > 1) {
            size_t bl = strlen(r->body);
            if (body.len + bl + 1 > NOTIFY_BODY_MAX - 80) {
                omitted += r->items;
                continue;
            }
            rc = buf_puts(&body, r->body);
            if (!rc && bl && r->body[bl - 1] != '\n') rc = buf_putc(&body, '\n');
            if (rc) goto fail;
            continue;
        }
        size_t tl = first_line(r->title, 200), bl = first_line(r->body, 300);
        int ln = snprintf(line, sizeof line, "- 【%s】**%.*s**%s%.*s\n", LEVEL_ZH[r->level], (int)tl, r->title,
                          bl ? "：" : "", (int)bl, r->body);
        if (ln < 0 || body.len + (size_t)ln > NOTIFY_BODY_MAX - 80) {
            omitted += r->items;
            continue;
        }
        if ((rc = buf_puts(&body, line))) goto fail;
    }
    if (omitted && (rc = buf_printf(&body, "- ……另有 %" PRId64 " 条未列出\n", omitted))) goto fail;
    char title[96];
    snprintf(title, sizeof title, "%" PRId64 " 条消息汇总", items);

    bool own = false;
    if ((rc = store_tx_join(c, &own))) goto fail;
    int64_t did = 0;
    rc = insert_row(c, ch->id, top, title, body.data ? body.data : "", ms, items, now, &did);
    for (int i = 0; !rc && i < n; i++) {
        store_stmt *st = NULL;
        bool row = false;
        if ((rc = store_prepare(c, Q_NOTIFY_MERGE, &st))) break;
        if (!(rc = store_bind_int(st, 1, rows[i].id)) && !(rc = store_bind_int(st, 2, did)))
            rc = store_step(st, &row);
        store_finalize(st);
    }
    if ((rc = store_tx_finish(c, own, rc))) goto fail;
    d->id = did;
    d->items = items;
    d->level = top;
    d->title = strdup(title);
    d->body = buf_steal(&body);
    if (!d->body) d->body = strdup("");
    d->mentions = strdup(ms);
    if (!d->title || !d->body || !d->mentions) {
        msg_free(d);
        memset(d, 0, sizeof *d);
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
fail:
    buf_free(&body);
    return rc;
}

/* The JSON body for the channel's kind (caller frees), or NULL. */
static char *render(const chan *ch, const msg *m)
{
    char head[400];
    snprintf(head, sizeof head, "【%s】%s", LEVEL_ZH[m->level], m->title);
    json_t *mob = json_array(), *uid = json_array();
    char tmp[NOTIFY_MENTIONS_MAX * 66];
    snprintf(tmp, sizeof tmp, "%s", m->mentions);
    for (char *save = NULL, *p = strtok_r(tmp, ",", &save); p; p = strtok_r(NULL, ",", &save))
        json_array_append_new(is_mobile(p) ? mob : uid, json_string(p));
    buf text = BUF_INIT(NOTIFY_BODY_MAX * 2 + 2048);
    json_t *root = NULL;
    ws_err rc = buf_printf(&text, "#### %s\n%s", head, m->body);
    size_t i;
    json_t *v;
    if (ch->kind == K_DINGTALK) {
        /* @mobile must also be in the text for DingTalk to highlight it. */
        if (json_array_size(mob) + json_array_size(uid)) rc = rc ? rc : buf_puts(&text, "\n\n");
        json_array_foreach(mob, i, v) rc = rc ? rc : buf_printf(&text, "@%s ", json_string_value(v));
        json_array_foreach(uid, i, v) rc = rc ? rc : buf_printf(&text, "@%s ", json_string_value(v));
        if (!rc)
            root = json_pack("{s:s, s:{s:s, s:s}, s:{s:O, s:O, s:b}}", "msgtype", "markdown", "markdown", "title",
                             head, "text", text.data, "at", "atMobiles", mob, "atUserIds", uid, "isAtAll", 0);
    } else if (ch->kind == K_WECOM) {
        if (json_array_size(mob)) {
            /* markdown cannot mention a mobile: a text message can. */
            buf plain = BUF_INIT(2048);
            rc = buf_printf(&plain, "【%s】%s\n", LEVEL_ZH[m->level], m->title);
            size_t room = plain.len < 2040 ? 2040 - plain.len : 0, bl = strlen(m->body);
            if (bl > room) {
                bl = room;
                while (bl > 0 && ((unsigned char)m->body[bl] & 0xC0) == 0x80) bl--;
            }
            if (!rc) rc = buf_append(&plain, m->body, bl);
            if (!rc)
                root = json_pack("{s:s, s:{s:s, s:O, s:O}}", "msgtype", "text", "text", "content",
                                 plain.data, "mentioned_list", uid, "mentioned_mobile_list", mob);
            buf_free(&plain);
        } else {
            if (json_array_size(uid)) rc = rc ? rc : buf_puts(&text, "\n");
            json_array_foreach(uid, i, v) rc = rc ? rc : buf_printf(&text, "<@%s>", json_string_value(v));
            if (!rc) root = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content", text.data);
        }
    } else {
        json_array_extend(mob, uid);
        root = json_pack("{s:I, s:s, s:s, s:s, s:I, s:O}", "id", (json_int_t)m->id, "level",
                         LEVEL_NAME[m->level], "title", m->title, "text", m->body, "items",
                         (json_int_t)m->items, "mentions", mob);
    }
    char *out = root ? json_dump_compact(root) : NULL;
    json_decref(root);
    json_decref(mob);
    json_decref(uid);
    buf_free(&text);
    return out;
}

/* Send m on ch. Returns true when delivered; otherwise err holds a scrubbed
 * reason and *throttled says the robot asked us to slow down. */
static bool deliver(const chan *ch, const msg *m, int64_t now, const notify_http *http, char *err,
                    size_t errcap, bool *throttled)
{
    *throttled = false;
    err[0] = '\0';
    char *body = render(ch, m);
    if (!body) {
        snprintf(err, errcap, "could not build the message");
        return false;
    }
    buf url = BUF_INIT(4096);
    bool ok = false;
    ws_err rc = buf_puts(&url, ch->url);
    if (!rc && ch->kind == K_DINGTALK && ch->secret) {
        char sign[NOTIFY_SIGN_MAX];
        rc = notify_dingtalk_sign(ch->secret, now, sign, sizeof sign);
        if (!rc)
            rc = buf_printf(&url, "%ctimestamp=%" PRId64 "&sign=%s", strchr(ch->url, '?') ? '&' : '?', now, sign);
    }
    if (rc) {
        snprintf(err, errcap, "could not sign the request");
        goto done;
    }
    buf reply = BUF_INIT(REPLY_CAP);
    long status = 0;
    notify_http_req rq = {url.data, "application/json;charset=utf-8", body, http->timeout_ms, http->proxy};
    char tsh[48], sigh[32 + NOTIFY_WEBHOOK_SIG_MAX];
    if (ch->kind == K_WEBHOOK && ch->secret) {
        /* sign.h: the gateway checks HMAC-SHA256(secret, ts "." body). */
        memcpy(sigh, "X-Worksafe-Signature: ", 22);
        if (notify_webhook_sign(ch->secret, now, body, strlen(body), sigh + 22, sizeof sigh - 22)) {
            snprintf(err, errcap, "could not sign the request");
            buf_free(&reply);
            goto done;
        }
        snprintf(tsh, sizeof tsh, "X-Worksafe-Timestamp: %" PRId64, now);
        rq.headers[0] = tsh;
        rq.headers[1] = sigh;
    }
    rc = http->post(http->arg, &rq, &status, &reply);
    if (rc) {
        snprintf(err, errcap, "transport: %s", ws_err_message());
    } else if (status < 200 || status > 299) {
        snprintf(err, errcap, "HTTP %ld", status);
    } else if (ch->kind == K_WEBHOOK) {
        ok = true;
    } else {
        json_error_t je;
        json_t *r = reply.data ? json_loadb(reply.data, reply.len, 0, &je) : NULL;
        json_t *code = r ? json_object_get(r, "errcode") : NULL;
        const char *em = r ? json_string_value(json_object_get(r, "errmsg")) : NULL;
        if (!json_is_integer(code)) {
            snprintf(err, errcap, "HTTP %ld with an unreadable reply", status);
        } else if (json_integer_value(code) != 0) {
            json_int_t ec = json_integer_value(code);
            snprintf(err, errcap, "errcode %" JSON_INTEGER_FORMAT ": %.120s", ec, em ? em : "");
            *throttled = (ch->kind == K_DINGTALK && ec == 130101) || (ch->kind == K_WECOM && ec == 45009);
        } else {
            ok = true;
        }
        json_decref(r);
    }
    buf_free(&reply);
done:
    scrub(err, ch);
    buf_free(&url);
    free(body);
    return ok;
}

static int64_t backoff_ms(int64_t attempts)
{
    int64_t d = 1000;
    for (int64_t i = 1; i < attempts && d < NOTIFY_BACKOFF_MAX_MS; i++) d *= 2;
    return d < NOTIFY_BACKOFF_MAX_MS ? d : NOTIFY_BACKOFF_MAX_MS;
}

static ws_err record(store_conn *c, const chan *ch, const msg *m, bool ok, const char *err, bool throttled,
                     int64_t now)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc;
    if (ok) {
        if ((rc = store_prepare(c, Q_NOTIFY_SENT, &st))) return rc;
        if (!(rc = store_bind_int(st, 1, m->id)) && !(rc = store_bind_int(st, 2, now))) rc = store_step(st, &row);
        store_finalize(st);
        return rc;
    }
    int64_t n = m->attempts + 1, delay = backoff_ms(n);
    if (throttled && delay < NOTIFY_THROTTLE_MS) delay = NOTIFY_THROTTLE_MS;
    const char *state = n >= NOTIFY_MAX_ATTEMPTS ? "failed" : "pending";
    char ids[24], ns[24];
    snprintf(ids, sizeof ids, "%" PRId64, m->id);
    snprintf(ns, sizeof ns, "%" PRId64, n);
    log_warn("notify: send failed", "channel", ch->name, "message", ids, "attempt", ns, "state", state, "error",
             err);
    if ((rc = store_prepare(c, Q_NOTIFY_RETRY, &st))) return rc;
    if (!(rc = store_bind_int(st, 1, m->id)) && !(rc = store_bind_int(st, 2, now + delay)) &&
        !(rc = store_bind_text(st, 3, err)) && !(rc = store_bind_text(st, 4, state)))
        rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

static ws_err save_bucket(store_conn *c, const chan *ch)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_CHANNEL_BUCKET, &st);
    if (rc) return rc;
    if (!(rc = store_bind_int(st, 1, ch->id)) && !(rc = store_bind_double(st, 2, ch->tokens)) &&
        !(rc = store_bind_int(st, 3, ch->bucket_at)) && !(rc = store_bind_int(st, 4, ch->paused_until)))
        rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

static ws_err load_due(store_conn *c, int64_t channel, int64_t now, msg **out, int *n)
{
    *out = NULL;
    *n = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_DUE, &st);
    if (rc) return rc;
    msg *v = NULL;
    int len = 0;
    if ((rc = store_bind_int(st, 1, channel)) || (rc = store_bind_int(st, 2, now)) ||
        (rc = store_bind_int(st, 3, DUE_BATCH)))
        goto done;
    for (;;) {
        if ((rc = store_step(st, &row)) || !row) break;
        if (!v && !(v = calloc(DUE_BATCH, sizeof *v))) {
            rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
            break;
        }
        if (len >= DUE_BATCH) break;
        msg *m = &v[len++];
        m->id = store_col_int(st, 0);
        m->level = level_of(store_col_text(st, 1));
        m->title = dup(store_col_text(st, 2));
        m->body = dup(store_col_text(st, 3));
        m->mentions = dup(store_col_text(st, 4));
        m->items = store_col_int(st, 5);
        m->attempts = store_col_int(st, 6);
        if (!m->title || !m->body || !m->mentions) {
            rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
            break;
        }
    }
done:
    store_finalize(st);
    if (rc) {
        for (int i = 0; i < len; i++) msg_free(&v[i]);
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return WS_OK;
}

static ws_err channel_pass(store_conn *c, chan *ch, int64_t now, const notify_http *http, notify_pass_stats *ps)
{
    if (now > ch->bucket_at) {
        ch->tokens += (double)(now - ch->bucket_at) * ch->rate / 60000.0;
        if (ch->tokens > NOTIFY_BURST) ch->tokens = NOTIFY_BURST;
        ch->bucket_at = now;
    }
    msg *rows = NULL, digest = {0};
    int n = 0;
    ws_err rc = load_due(c, ch->id, now, &rows, &n);
    if (rc) return rc;
    int nemerg = 0;
    while (nemerg < n && rows[nemerg].level == NOTIFY_EMERGENCY) nemerg++;
    /* Order to send: the emergencies, then the one other message. */
    const msg *other = NULL;
    if (n - nemerg > 1) {
        if ((rc = make_digest(c, ch, rows + nemerg, n - nemerg, now, &digest))) goto done;
        ps->merged += n - nemerg;
        ps->digests++;
        other = &digest;
    } else if (n - nemerg == 1) {
        other = &rows[nemerg];
    }
    for (int i = 0; i <= nemerg; i++) {
        const msg *m = i < nemerg ? &rows[i] : other;
        if (!m) break;
        if (now < ch->paused_until || ch->tokens < 1.0) break;
        ch->tokens -= 1.0;
        char err[ERR_MAX + 80];
        bool throttled = false;
        bool ok = deliver(ch, m, now, http, err, sizeof err, &throttled);
        ps->requests++;
        if (ok) ps->sent++;
        else ps->failed++;
        if (throttled) {
            ch->paused_until = now + NOTIFY_THROTTLE_MS;
            ch->tokens = 0;
        }
        if (http->on_result) http->on_result(http->result_arg, ch->id, ok);
        if ((rc = record(c, ch, m, ok, err, throttled, now))) goto done;
    }
    rc = save_bucket(c, ch);
done:
    for (int i = 0; i < n; i++) msg_free(&rows[i]);
    free(rows);
    msg_free(&digest);
    return rc;
}

static void chan_free(chan *ch)
{
    free(ch->name);
    free(ch->url);
    free(ch->secret);
}

ws_err notify_send_due(store_conn *c, int64_t now, const notify_http *http, notify_pass_stats *stats)
{
    notify_pass_stats local = {0};
    notify_pass_stats *ps = stats ? stats : &local;
    memset(ps, 0, sizeof *ps);
    if (!http || !http->post) return ws_fail(WS_EINVAL, "http", "no HTTP sender");
    store_stmt *st = NULL;
    bool row = false;
    chan *v = NULL;
    int len = 0, cap = 0;
    ws_err rc = store_prepare(c, Q_NOTIFY_CHANNEL_ACTIVE, &st);
    if (rc) return rc;
    for (;;) {
        if ((rc = store_step(st, &row)) || !row) break;
        if (len == cap) {
            int nc = cap ? cap * 2 : 8;
            chan *nv = realloc(v, (size_t)nc * sizeof *nv);
            if (!nv) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        chan *ch = &v[len++];
        memset(ch, 0, sizeof *ch);
        ch->id = store_col_int(st, 0);
        const char *k = store_col_text(st, 1);
        ch->kind = strcmp(k, "dingtalk") == 0 ? K_DINGTALK : strcmp(k, "wecom") == 0 ? K_WECOM : K_WEBHOOK;
        ch->name = dup(store_col_text(st, 2));
        ch->url = dup(store_col_text(st, 3));
        ch->secret = store_col_null(st, 4) ? NULL : dup(store_col_text(st, 4));
        ch->rate = (int)store_col_int(st, 5);
        ch->tokens = store_col_double(st, 6);
        ch->bucket_at = store_col_int(st, 7);
        ch->paused_until = store_col_int(st, 8);
        if (!ch->name || !ch->url || (!store_col_null(st, 4) && !ch->secret)) {
            rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
            break;
        }
    }
    store_finalize(st);
    for (int i = 0; !rc && i < len; i++) rc = channel_pass(c, &v[i], now, http, ps);
    for (int i = 0; i < len; i++) chan_free(&v[i]);
    free(v);
    return rc;
}
