/* channel.h — the settings of notification channels (DingTalk and WeCom
 * robots, generic webhooks) and a view of the outbox, for the admin API
 * (src/api/api_notify.c, permission notify.admin).
 *
 * A channel's URL (it holds the robot's access token or key) and its secret
 * are credentials: reads give the URL with every query value masked ("***")
 * and only whether a secret is set; changes are recorded in the evidence log
 * as "notify_channel" events without them. notify_channel_add (outbox.h) is
 * the bare insert; the functions here add validation of changes and audit. */
#ifndef WS_NOTIFY_CHANNEL_H
#define WS_NOTIFY_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "notify/outbox.h"

#define NOTIFY_NAME_MAX 100
#define NOTIFY_URL_MAX 1000
#define NOTIFY_SECRET_MAX 200

typedef struct notify_channel {
    int64_t id, paused_until, created_at, updated_at;
    char kind[16];
    char name[NOTIFY_NAME_MAX + 1];
    char url[NOTIFY_URL_MAX + 1]; /* masked: query values are "***" */
    bool has_secret, active;
    int rate_per_min;
} notify_channel;

/* Which fields of a notify_channel_in are given (PATCH). */
enum {
    NOTIFY_CSET_KIND = 1u << 0,
    NOTIFY_CSET_NAME = 1u << 1,
    NOTIFY_CSET_URL = 1u << 2,
    NOTIFY_CSET_SECRET = 1u << 3, /* with secret NULL: remove the secret */
    NOTIFY_CSET_RATE = 1u << 4,
    NOTIFY_CSET_ACTIVE = 1u << 5,
};

typedef struct notify_channel_in {
    unsigned set;
    const char *kind, *name, *url, *secret;
    int rate_per_min; /* 0 on create: NOTIFY_RATE_DEFAULT */
    bool active;
} notify_channel_in;

/* Create (kind, name, url required) in one transaction with its audit event.
 * WS_EINVAL naming the field; WS_ECONFLICT "name" for a taken name. */
ws_err notify_channel_create(store_conn *c, const audit_actor *who, const notify_channel_in *in, int64_t now,
                             int64_t *id);
/* Change the fields in in->set; the same checks as create. WS_ENOTFOUND "id". */
ws_err notify_channel_update(store_conn *c, const audit_actor *who, int64_t id, const notify_channel_in *in,
                             int64_t now);
ws_err notify_channel_get(store_conn *c, int64_t id, notify_channel *out);
/* All channels by id into *out (caller frees). */
ws_err notify_channel_list(store_conn *c, notify_channel **out, size_t *n);
/* Queue a test message (notice level) on channel id; *outbox_id the row. */
ws_err notify_channel_test(store_conn *c, const audit_actor *who, int64_t id, int64_t now, int64_t *outbox_id);

/* url with the value of every query parameter replaced by "***". */
void notify_url_mask(const char *url, char *out, size_t cap);

/* The outbox, newest first: state "" or pending|sent|failed|merged,
 * channel 0 = all, before = the previous page's next (0 = start), limit
 * 1..200. *out (caller frees with notify_outbox_free) gets up to limit rows;
 * *next the cursor of the next page or 0. */
typedef struct notify_outbox_item {
    notify_row row;
    char channel_name[NOTIFY_NAME_MAX + 1];
} notify_outbox_item;
ws_err notify_outbox_list(store_conn *c, const char *state, int64_t channel, int64_t before, int limit,
                          notify_outbox_item **out, size_t *n, int64_t *next);
void notify_outbox_free(notify_outbox_item *items, size_t n);

#endif
