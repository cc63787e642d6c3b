/* channel.c — channel settings and the outbox view for the admin API (see
 * channel.h). Every change runs in one transaction with its evidence-log
 * event ("notify_channel" create|update|test: kind, name, rate, active,
 * has_secret — never the URL or the secret). */
#include "notify/channel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/q_notify.h"

static ws_err validate(const char *kind, const char *name, const char *url, const char *secret, int rate)
{
    if (!kind || (strcmp(kind, "dingtalk") && strcmp(kind, "wecom") && strcmp(kind, "webhook")))
        return ws_fail(WS_EINVAL, "kind", "kind must be dingtalk, wecom or webhook");
    if (!name || !name[0] || strlen(name) > NOTIFY_NAME_MAX)
        return ws_fail(WS_EINVAL, "name", "name must be 1-%d bytes", NOTIFY_NAME_MAX);
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) > NOTIFY_URL_MAX ||
        strlen(url) < 10)
        return ws_fail(WS_EINVAL, "url", "url must be an http(s) URL of at most %d bytes", NOTIFY_URL_MAX);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f) return ws_fail(WS_EINVAL, "url", "url must not hold spaces or controls");
    if (strstr(url, "***")) return ws_fail(WS_EINVAL, "url", "the url is masked: send the full robot URL");
    if (secret && (!secret[0] || strlen(secret) > NOTIFY_SECRET_MAX))
        return ws_fail(WS_EINVAL, "secret", "secret must be 1-%d bytes", NOTIFY_SECRET_MAX);
    if (secret && strcmp(kind, "wecom") == 0)
        return ws_fail(WS_EINVAL, "secret", "WeCom robots take no secret (the key is in the URL)");
    if (rate < 1 || rate > 600) return ws_fail(WS_EINVAL, "rate_per_min", "rate_per_min must be 1-600");
    return WS_OK;
}

void notify_url_mask(const char *url, char *out, size_t cap)
{
    if (!cap) return;
    size_t o = 0;
    bool in_value = false;
    const char *q = strchr(url, '?');
    for (const char *p = url; *p && o + 1 < cap; p++) {
        if (q && p > q && in_value && *p != '&' && *p != '#') continue;
        if (q && p >= q && (*p == '&' || *p == '?')) in_value = false;
        out[o++] = *p;
        if (q && p > q && *p == '=' && !in_value) {
            in_value = true;
            for (const char *m = "***"; *m && o + 1 < cap; m++) out[o++] = *m;
        }
        if (*p == '#') q = NULL; /* fragment: nothing more to hide */
    }
    out[o] = '\0';
}

static ws_err audit_change(store_conn *c, const audit_actor *who, int64_t id, const char *action, const char *kind,
                           const char *name, int rate, bool active, bool has_secret)
{
    audit_field f[] = {
        {"kind", AC_TEXT, 0, kind},
        {"name", AC_TEXT, 0, name},
        {"rate_per_min", AC_INT, rate, NULL},
        {"active", AC_INT, active, NULL},
        {"has_secret", AC_INT, has_secret, NULL},
    };
    return audit_event(c, who, "notify_channel", id, action, f, 5, NULL);
}

/* The full row, secret included (internal; never leaves this file). */
typedef struct full {
    notify_channel ch;
    char url[NOTIFY_URL_MAX + 1];
    char secret[NOTIFY_SECRET_MAX + 1];
} full;

static void read_info(store_stmt *st, full *f)
{
    memset(f, 0, sizeof *f);
    f->ch.id = store_col_int(st, 0);
    snprintf(f->ch.kind, sizeof f->ch.kind, "%s", store_col_text(st, 1));
    snprintf(f->ch.name, sizeof f->ch.name, "%s", store_col_text(st, 2));
    snprintf(f->url, sizeof f->url, "%s", store_col_text(st, 3));
    notify_url_mask(f->url, f->ch.url, sizeof f->ch.url);
    f->ch.has_secret = !store_col_null(st, 4);
    if (f->ch.has_secret) snprintf(f->secret, sizeof f->secret, "%s", store_col_text(st, 4));
    f->ch.rate_per_min = (int)store_col_int(st, 5);
    f->ch.active = store_col_int(st, 6) != 0;
    f->ch.paused_until = store_col_int(st, 7);
    f->ch.created_at = store_col_int(st, 8);
    f->ch.updated_at = store_col_int(st, 9);
}

static ws_err get_full(store_conn *c, int64_t id, full *f)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_CHANNEL_GET, &st);
    if (rc) return rc;
    if (!(rc = store_bind_int(st, 1, id)) && !(rc = store_step(st, &row))) {
        if (row) read_info(st, f);
        else rc = ws_fail(WS_ENOTFOUND, "id", "no such channel");
    }
    store_finalize(st);
    return rc;
}

ws_err notify_channel_get(store_conn *c, int64_t id, notify_channel *out)
{
    full f;
    ws_err rc = get_full(c, id, &f);
    if (!rc) *out = f.ch;
    memset(f.secret, 0, sizeof f.secret);
    return rc;
}

ws_err notify_channel_list(store_conn *c, notify_channel **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    store_stmt *st = NULL;
    bool row = false;
    notify_channel *v = NULL;
    size_t len = 0, cap = 0;
    ws_err rc = store_prepare(c, Q_NOTIFY_CHANNEL_LIST, &st);
    if (rc) return rc;
    full f;
    while (!(rc = store_step(st, &row)) && row) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 16;
            notify_channel *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        read_info(st, &f);
        v[len++] = f.ch;
    }
    memset(f.secret, 0, sizeof f.secret);
    store_finalize(st);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return WS_OK;
}

ws_err notify_channel_create(store_conn *c, const audit_actor *who, const notify_channel_in *in, int64_t now,
                             int64_t *id)
{
    int rate = in->rate_per_min ? in->rate_per_min : NOTIFY_RATE_DEFAULT;
    bool active = (in->set & NOTIFY_CSET_ACTIVE) ? in->active : true;
    ws_err rc = validate(in->kind, in->name, in->url, in->secret, rate);
    if (rc) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    int64_t nid = 0;
    rc = notify_channel_add(c, in->kind, in->name, in->url, in->secret, rate, now, &nid);
    if (!rc && !active) {
        notify_channel_in off = {.set = NOTIFY_CSET_ACTIVE, .active = false};
        store_stmt *st = NULL;
        bool row = false;
        if (!(rc = store_prepare(c, Q_NOTIFY_CHANNEL_UPDATE, &st))) {
            if (!(rc = store_bind_int(st, 1, nid)) && !(rc = store_bind_text(st, 2, in->kind)) &&
                !(rc = store_bind_text(st, 3, in->name)) && !(rc = store_bind_text(st, 4, in->url)) &&
                !(rc = store_bind_text(st, 5, in->secret)) && !(rc = store_bind_int(st, 6, rate)) &&
                !(rc = store_bind_int(st, 7, off.active)) && !(rc = store_bind_int(st, 8, now)))
                rc = store_step(st, &row);
            store_finalize(st);
        }
    }
    if (!rc) rc = audit_change(c, who, nid, "create", in->kind, in->name, rate, active, in->secret != NULL);
    rc = store_tx_finish(c, own, rc);
    if (!rc && id) *id = nid;
    return rc;
}

ws_err notify_channel_update(store_conn *c, const audit_actor *who, int64_t id, const notify_channel_in *in,
                             int64_t now)
{
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    full f;
    if ((rc = get_full(c, id, &f))) goto done;
    const char *kind = (in->set & NOTIFY_CSET_KIND) ? in->kind : f.ch.kind;
    const char *name = (in->set & NOTIFY_CSET_NAME) ? in->name : f.ch.name;
    const char *url = (in->set & NOTIFY_CSET_URL) ? in->url : f.url;
    const char *secret = (in->set & NOTIFY_CSET_SECRET) ? in->secret : (f.ch.has_secret ? f.secret : NULL);
    int rate = (in->set & NOTIFY_CSET_RATE) ? in->rate_per_min : f.ch.rate_per_min;
    bool active = (in->set & NOTIFY_CSET_ACTIVE) ? in->active : f.ch.active;
    if ((rc = validate(kind, name, url, secret, rate))) goto done;
    store_stmt *st = NULL;
    bool row = false;
    if ((rc = store_prepare(c, Q_NOTIFY_CHANNEL_UPDATE, &st))) goto done;
    if (!(rc = store_bind_int(st, 1, id)) && !(rc = store_bind_text(st, 2, kind)) &&
        !(rc = store_bind_text(st, 3, name)) && !(rc = store_bind_text(st, 4, url)) &&
        !(rc = store_bind_text(st, 5, secret)) && !(rc = store_bind_int(st, 6, rate)) &&
        !(rc = store_bind_int(st, 7, active)) && !(rc = store_bind_int(st, 8, now)))
        rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = audit_change(c, who, id, "update", kind, name, rate, active, secret != NULL);
done:
    memset(f.secret, 0, sizeof f.secret);
    return store_tx_finish(c, own, rc);
}

ws_err notify_channel_test(store_conn *c, const audit_actor *who, int64_t id, int64_t now, int64_t *outbox_id)
{
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    full f;
    if ((rc = get_full(c, id, &f))) goto done;
    memset(f.secret, 0, sizeof f.secret);
    if (!f.ch.active) {
        rc = ws_fail(WS_ECONFLICT, "active", "the channel is switched off");
        goto done;
    }
    char body[300];
    snprintf(body, sizeof body, "这是一条来自 worksafe 的测试消息（通道：%s）。收到即表示通道可用。", f.ch.name);
    rc = notify_enqueue(c, id, NOTIFY_NOTICE, "通知通道测试", body, NULL, 0, now, outbox_id);
    if (!rc)
        rc = audit_change(c, who, id, "test", f.ch.kind, f.ch.name, f.ch.rate_per_min, f.ch.active,
                          f.ch.has_secret);
done:
    return store_tx_finish(c, own, rc);
}

static char *dup_col(store_stmt *st, int i)
{
    return strdup(store_col_null(st, i) ? "" : store_col_text(st, i));
}

void notify_outbox_free(notify_outbox_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) notify_row_free(&items[i].row);
    free(items);
}

ws_err notify_outbox_list(store_conn *c, const char *state, int64_t channel, int64_t before, int limit,
                          notify_outbox_item **out, size_t *n, int64_t *next)
{
    *out = NULL;
    *n = 0;
    *next = 0;
    if (!state) state = "";
    if (*state && strcmp(state, "pending") && strcmp(state, "sent") && strcmp(state, "failed") &&
        strcmp(state, "merged"))
        return ws_fail(WS_EINVAL, "state", "state must be pending, sent, failed or merged");
    if (limit < 1 || limit > 200) return ws_fail(WS_EINVAL, "limit", "limit must be 1-200");
    notify_outbox_item *v = calloc((size_t)limit + 1, sizeof *v);
    if (!v) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    size_t len = 0;
    ws_err rc = store_prepare(c, Q_NOTIFY_OUTBOX_LIST, &st);
    if (!rc && !(rc = store_bind_text(st, 1, state)) && !(rc = store_bind_int(st, 2, channel)) &&
        !(rc = store_bind_int(st, 3, before)) && !(rc = store_bind_int(st, 4, limit + 1))) {
        while (!(rc = store_step(st, &row)) && row && len <= (size_t)limit) {
            notify_row *r = &v[len].row;
            r->id = store_col_int(st, 0);
            r->channel_id = store_col_int(st, 1);
            const char *lv = store_col_text(st, 2);
            r->level = !strcmp(lv, "emergency") ? NOTIFY_EMERGENCY : !strcmp(lv, "alarm") ? NOTIFY_ALARM
                                                                                         : NOTIFY_NOTICE;
            r->title = dup_col(st, 3);
            r->body = dup_col(st, 4);
            r->mentions = dup_col(st, 5);
            r->items = store_col_int(st, 6);
            r->created_at = store_col_int(st, 7);
            r->next_attempt_at = store_col_int(st, 8);
            r->attempts = store_col_int(st, 9);
            r->state = dup_col(st, 10);
            r->merged_into = store_col_opt_int(st, 11);
            r->sent_at = store_col_opt_int(st, 12);
            r->last_error = dup_col(st, 13);
            snprintf(v[len].channel_name, sizeof v[len].channel_name, "%s", store_col_text(st, 14));
            len++;
            if (!r->title || !r->body || !r->mentions || !r->state || !r->last_error) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
        }
    }
    store_finalize(st);
    if (rc) {
        notify_outbox_free(v, len);
        return rc;
    }
    if (len > (size_t)limit) {
        notify_row_free(&v[limit].row);
        len = (size_t)limit;
        *next = v[len - 1].row.id;
    }
    *out = v;
    *n = len;
    return WS_OK;
}
