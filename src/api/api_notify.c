/* api_notify.c — notification channels and the outbox over REST, for admins
 * (permission notify.admin; docs/internals/notify.md "Channels API"):
 *
 *   GET  /api/v1/notify/channels                      the robots and webhooks
 *   POST /api/v1/notify/channels                      add one
 *   PATCH /api/v1/notify/channels/{id}                change one (active:false switches it off)
 *   POST /api/v1/notify/channels/{id}/actions/test    queue a test message
 *   GET  /api/v1/notify/outbox?state=&channel_id=     the queue with attempts and errors
 *
 * The secret is write-only: replies say "has_secret"; the URL comes back
 * with its query values masked (it holds the robot's token). A PATCH with
 * "secret": null removes the secret. Changes are evidence-log events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "notify/channel.h"
#include "notify/sender.h"

static json_t *channel_json(const notify_channel *ch)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(ch->id));
    json_object_set_new(o, "kind", json_str(ch->kind));
    json_object_set_new(o, "name", json_str(ch->name));
    json_object_set_new(o, "url", json_str(ch->url));
    json_object_set_new(o, "has_secret", json_boolean(ch->has_secret));
    json_object_set_new(o, "rate_per_min", json_integer(ch->rate_per_min));
    json_object_set_new(o, "active", json_boolean(ch->active));
    json_object_set_new(o, "paused_until", json_time(ch->paused_until > clock_now_ms() ? ch->paused_until : 0));
    json_object_set_new(o, "created_at", json_time(ch->created_at));
    json_object_set_new(o, "updated_at", json_time(ch->updated_at));
    return o;
}

static ws_err reply_channel(api_ctx *ctx, int status, int64_t id)
{
    notify_channel ch;
    ws_err rc = notify_channel_get(ctx->conn, id, &ch);
    if (rc) return rc;
    return api_reply_json(ctx, status, channel_json(&ch));
}

typedef struct {
    const char *kind, *name, *url, *secret;
    int64_t rate_per_min;
    bool active;
} channel_body;

/* Same order as the NOTIFY_CSET_* bits. */
#define CHANNEL_FIELDS(REQ)                                                                          \
    {"kind", JF_STRING, REQ, false, offsetof(channel_body, kind), 15, 0, 0, -1},                     \
    {"name", JF_STRING, REQ, false, offsetof(channel_body, name), NOTIFY_NAME_MAX, 0, 0, -1},        \
    {"url", JF_STRING, REQ, false, offsetof(channel_body, url), NOTIFY_URL_MAX, 0, 0, -1},           \
    {"secret", JF_STRING, false, true, offsetof(channel_body, secret), NOTIFY_SECRET_MAX, 0, 0, -1}, \
    {"rate_per_min", JF_INT, false, false, offsetof(channel_body, rate_per_min), 0, 1, 600, -1},     \
    {"active", JF_BOOL, false, false, offsetof(channel_body, active), 0, 0, 0, -1}
static const json_field channel_fields[] = {CHANNEL_FIELDS(true)};
#define N_CHANNEL (sizeof channel_fields / sizeof channel_fields[0])
static const json_field channel_patch_fields[] = {CHANNEL_FIELDS(false)};

static notify_channel_in channel_in(const channel_body *b, uint64_t present)
{
    notify_channel_in in = {.set = (unsigned)present, .kind = b->kind, .name = b->name, .url = b->url,
                            .secret = b->secret, .rate_per_min = (int)b->rate_per_min, .active = b->active};
    return in;
}

static ws_err channels_list(api_ctx *ctx)
{
    notify_channel *v = NULL;
    size_t n = 0;
    ws_err rc = notify_channel_list(ctx->conn, &v, &n);
    if (rc) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, channel_json(&v[i]));
    free(v);
    return api_reply_json(ctx, 200, api_page_json(a, 0));
}

static ws_err channels_create(api_ctx *ctx)
{
    channel_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, channel_fields, N_CHANNEL, &b, &present, &root);
    if (rc) return rc;
    char an[32];
    audit_actor who = {api_actor(ctx, an, sizeof an)};
    notify_channel_in in = channel_in(&b, present);
    int64_t id = 0;
    rc = notify_channel_create(ctx->conn, &who, &in, clock_now_ms(), &id);
    json_decref(root);
    if (rc) return rc;
    return reply_channel(ctx, 201, id);
}

static ws_err channels_patch(api_ctx *ctx)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (rc) return rc;
    channel_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    if ((rc = api_decode(ctx, channel_patch_fields, N_CHANNEL, &b, &present, &root))) return rc;
    char an[32];
    audit_actor who = {api_actor(ctx, an, sizeof an)};
    notify_channel_in in = channel_in(&b, present);
    rc = notify_channel_update(ctx->conn, &who, id, &in, clock_now_ms());
    json_decref(root);
    if (rc) return rc;
    return reply_channel(ctx, 200, id);
}

static ws_err channels_test(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    int64_t id, oid = 0;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (rc) return rc;
    char an[32];
    audit_actor who = {api_actor(ctx, an, sizeof an)};
    if ((rc = notify_channel_test(ctx->conn, &who, id, clock_now_ms(), &oid))) return rc;
    notify_sender_poke();
    json_t *o = json_object();
    json_object_set_new(o, "outbox_id", json_id(oid));
    json_object_set_new(o, "channel_id", json_id(id));
    json_object_set_new(o, "state", json_string("pending"));
    return api_reply_json(ctx, 202, o);
}

static ws_err outbox_list(api_ctx *ctx)
{
    int limit;
    int64_t cursor, channel = 0;
    ws_err rc = api_page(ctx, &limit, &cursor);
    if (!rc) rc = api_query_id(ctx, "channel_id", &channel);
    if (rc) return rc;
    notify_outbox_item *v = NULL;
    size_t n = 0;
    int64_t next = 0;
    const char *state = api_query(ctx, "state");
    if (state && strcmp(state, "pending") && strcmp(state, "sent") && strcmp(state, "merged") && strcmp(state, "failed"))
        return ws_fail(WS_EINVAL, "state", "state is pending, sent, merged or failed");
    if ((rc = notify_outbox_list(ctx->conn, state, channel, cursor, limit, &v, &n, &next))) return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const notify_row *r = &v[i].row;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_id(r->id));
        json_object_set_new(o, "channel_id", json_id(r->channel_id));
        json_object_set_new(o, "channel_name", json_str(v[i].channel_name));
        json_object_set_new(o, "level", json_str(notify_level_name(r->level)));
        json_object_set_new(o, "title", json_str(r->title));
        json_object_set_new(o, "body", json_str(r->body));
        json_object_set_new(o, "items", json_integer(r->items));
        json_object_set_new(o, "state", json_str(r->state));
        json_object_set_new(o, "attempts", json_integer(r->attempts));
        json_object_set_new(o, "created_at", json_time(r->created_at));
        json_object_set_new(o, "next_attempt_at",
                            json_time(strcmp(r->state, "pending") ? 0 : r->next_attempt_at));
        json_object_set_new(o, "sent_at", json_time(r->sent_at));
        json_object_set_new(o, "merged_into", json_id(r->merged_into));
        json_object_set_new(o, "last_error", r->last_error[0] ? json_str(r->last_error) : json_null());
        json_array_append_new(a, o);
    }
    notify_outbox_free(v, n);
    return api_reply_json(ctx, 200, api_page_json(a, next));
}

#define R(m, p, fn, sum, body, nbody) {m, p, fn, API_AUTH, "notify.admin", sum, "notify", body, nbody, 0}
const api_route api_notify_routes[] = {
    R("GET", "/api/v1/notify/channels", channels_list,
      "Notification channels (DingTalk and WeCom robots, webhooks): URLs with their query values "
      "masked, has_secret instead of the secret", NULL, 0),
    R("POST", "/api/v1/notify/channels", channels_create,
      "Add a channel: kind dingtalk|wecom|webhook, unique name, http(s) url, secret (DingTalk "
      "加签 or the webhook's HMAC key; write-only), rate_per_min (1-600, default 18), active",
      channel_fields, N_CHANNEL),
    R("PATCH", "/api/v1/notify/channels/{id}", channels_patch,
      "Change a channel; \"secret\": null removes the secret, \"active\": false switches it off",
      channel_patch_fields, N_CHANNEL),
    R("POST", "/api/v1/notify/channels/{id}/actions/test", channels_test,
      "Queue a test message on the channel (202; watch it in the outbox)", NULL, 0),
    R("GET", "/api/v1/notify/outbox", outbox_list,
      "The outbox, newest first (?state=pending|sent|failed|merged, &channel_id=, &limit, "
      "&cursor): attempts, next attempt and the last error (credentials scrubbed)", NULL, 0),
};
const size_t api_notify_nroutes = sizeof api_notify_routes / sizeof api_notify_routes[0];
