/* q_notify.h — named queries of the notification outbox (src/notify/outbox.c);
 * the schema is migration "notification outbox" of src/store/migrations.c.
 *
 * Column orders of the row-returning queries (outbox.c relies on them):
 *   channel rows: id, kind, name, url, secret, rate_per_min, tokens, bucket_at,
 *                 paused_until
 *   due rows:     id, level, title, body, mentions, items, attempts
 *   outbox rows:  id, channel_id, level, title, body, mentions, items,
 *                 created_at, next_attempt_at, attempts, state, merged_into,
 *                 sent_at, last_error */
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

#endif
