/* q_notify.h — named queries of the notification outbox (src/notify/outbox.c);
 * the schema is migration "notification outbox" of src/store/migrations.c.
 *
 * Column orders of the row-returning queries (outbox.c relies on them):
 *   channel rows: id, kind, name, url, secret, rate_per_min, tokens, bucket_at,
 *                 paused_until
 *   due rows:     id, level, title, body, mentions, items, attempts
 *   outbox rows:  id, channel_id, level, title, body, mentions, items,
 *                 created_at, next_attempt_at, attempts, state, merged_into,
 *                 sent_at, last_error
 *   channel info: id, kind, name, url, secret, rate_per_min, active,
 *                 paused_until, created_at, updated_at  (channel.c)
 *   outbox list:  the outbox row columns, then the channel's name  (channel.c)
 * Migration 13 adds notify_acklinks (acklink.c). */
#ifndef WS_Q_NOTIFY_H
#define WS_Q_NOTIFY_H

extern const char Q_NOTIFY_CHANNEL_INSERT[]; /* $1 kind, $2 name, $3 url, $4 secret, $5 rate,
                                                $6 tokens (double), $7 now -> id */
extern const char Q_NOTIFY_CHANNEL_ACTIVE[]; /* -> channel rows, by id */
extern const char Q_NOTIFY_CHANNEL_BUCKET[]; /* $1 id, $2 tokens (double), $3 bucket_at,
                                                $4 paused_until */
extern const char Q_NOTIFY_INSERT[];         /* $1 channel, $2 level, $3 title, $4 body,
                                                $5 mentions, $6 now, $7 items -> id */
extern const char Q_NOTIFY_DUE[];            /* $1 channel, $2 now, $3 limit -> due rows,
                                                emergencies first, then by id */
extern const char Q_NOTIFY_MERGE[];          /* $1 id, $2 digest id */
extern const char Q_NOTIFY_SENT[];           /* $1 id, $2 now */
extern const char Q_NOTIFY_RETRY[];          /* $1 id, $2 next_attempt_at, $3 last_error,
                                                $4 state (pending|failed) */
extern const char Q_NOTIFY_GET[];            /* $1 id -> outbox row */


/* Channel settings (src/notify/channel.c). */
extern const char Q_NOTIFY_CHANNEL_LIST[];   /* -> channel info rows, by id */
extern const char Q_NOTIFY_CHANNEL_GET[];    /* $1 id -> channel info row */
extern const char Q_NOTIFY_CHANNEL_UPDATE[]; /* $1 id, $2 kind, $3 name, $4 url, $5 secret,
                                                $6 rate, $7 active, $8 now */
extern const char Q_NOTIFY_OUTBOX_LIST[];    /* $1 state ('' any), $2 channel (0 any),
                                                $3 before id (0 none), $4 limit
                                                -> outbox list rows, newest first */
/* The sender thread (src/notify/sender.c). */
extern const char Q_NOTIFY_NEXT_DUE[];       /* -> min next_attempt_at of pending rows on
                                                active channels (NULL when none) */
extern const char Q_NOTIFY_OLDEST_PENDING[]; /* -> channel_id, name, min created_at of its
                                                pending rows; active channels only */
extern const char Q_NOTIFY_PENDING_COUNT[];  /* -> pending rows */
/* One-time acknowledge links (src/notify/acklink.c). */
extern const char Q_NOTIFY_ACKLINK_USE[];    /* $1 nonce, $2 alarm, $3 person, $4 expires_at,
                                                $5 now -> nonce; no row when already used */
extern const char Q_NOTIFY_ACKLINK_PURGE[];  /* $1 now: rows whose link has expired */
extern const char Q_NOTIFY_KEY_INIT[];       /* $1 meta key, $2 value: insert unless present */

#endif
