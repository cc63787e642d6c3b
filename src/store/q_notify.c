/* q_notify.c — SQL of the notification outbox; see q_notify.h for parameters
 * and column orders. Written once for SQLite 3.40 and PostgreSQL 15. */
#include "store/q_notify.h"

const char Q_NOTIFY_CHANNEL_INSERT[] =
    "INSERT INTO notify_channels (kind, name, url, secret, rate_per_min, tokens, bucket_at, "
    "paused_until, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, $7, $7) RETURNING id";
const char Q_NOTIFY_CHANNEL_ACTIVE[] =
    "SELECT id, kind, name, url, secret, rate_per_min, tokens, bucket_at, paused_until "
    "FROM notify_channels WHERE active = 1 ORDER BY id";
const char Q_NOTIFY_CHANNEL_BUCKET[] =
    "UPDATE notify_channels SET tokens = $2, bucket_at = $3, paused_until = $4 WHERE id = $1";

const char Q_NOTIFY_INSERT[] =
    "INSERT INTO notify_outbox (channel_id, level, title, body, mentions, items, created_at, "
    "next_attempt_at, attempts, state) "
    "VALUES ($1, $2, $3, $4, $5, $7, $6, $6, 0, 'pending') RETURNING id";
const char Q_NOTIFY_DUE[] =
    "SELECT id, level, title, body, mentions, items, attempts FROM notify_outbox "
    "WHERE channel_id = $1 AND state = 'pending' AND next_attempt_at <= $2 "
    "ORDER BY CASE WHEN level = 'emergency' THEN 0 ELSE 1 END, id LIMIT $3";
const char Q_NOTIFY_MERGE[] =
    "UPDATE notify_outbox SET state = 'merged', merged_into = $2 WHERE id = $1 AND state = 'pending'";
const char Q_NOTIFY_SENT[] =
    "UPDATE notify_outbox SET state = 'sent', attempts = attempts + 1, sent_at = $2, "
    "last_error = NULL WHERE id = $1";
const char Q_NOTIFY_RETRY[] =
    "UPDATE notify_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, "
    "state = $4 WHERE id = $1";
const char Q_NOTIFY_GET[] =
    "SELECT id, channel_id, level, title, body, mentions, items, created_at, next_attempt_at, "
    "attempts, state, merged_into, sent_at, last_error FROM notify_outbox WHERE id = $1";
