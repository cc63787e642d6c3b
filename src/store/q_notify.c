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

#define CHANNEL_INFO                                                                            \
    "SELECT id, kind, name, url, secret, rate_per_min, active, paused_until, created_at, "     \
    "updated_at FROM notify_channels "
const char Q_NOTIFY_CHANNEL_LIST[] = CHANNEL_INFO "ORDER BY id";
const char Q_NOTIFY_CHANNEL_GET[] = CHANNEL_INFO "WHERE id = $1";
const char Q_NOTIFY_CHANNEL_UPDATE[] =
    "UPDATE notify_channels SET kind = $2, name = $3, url = $4, secret = $5, rate_per_min = $6, "
    "active = $7, updated_at = $8 WHERE id = $1";
const char Q_NOTIFY_OUTBOX_LIST[] =
    "SELECT o.id, o.channel_id, o.level, o.title, o.body, o.mentions, o.items, o.created_at, "
    "o.next_attempt_at, o.attempts, o.state, o.merged_into, o.sent_at, o.last_error, c.name "
    "FROM notify_outbox o JOIN notify_channels c ON c.id = o.channel_id "
    "WHERE (CAST($1 AS TEXT) = '' OR o.state = $1) "
    "AND (CAST($2 AS BIGINT) = 0 OR o.channel_id = $2) "
    "AND (CAST($3 AS BIGINT) = 0 OR o.id < $3) "
    "ORDER BY o.id DESC LIMIT $4";

const char Q_NOTIFY_NEXT_DUE[] =
    "SELECT min(o.next_attempt_at) FROM notify_outbox o JOIN notify_channels c ON c.id = o.channel_id "
    "WHERE o.state = 'pending' AND c.active = 1";
const char Q_NOTIFY_OLDEST_PENDING[] =
    "SELECT c.id, c.name, min(o.created_at) FROM notify_outbox o "
    "JOIN notify_channels c ON c.id = o.channel_id "
    "WHERE o.state = 'pending' AND c.active = 1 GROUP BY c.id, c.name";
const char Q_NOTIFY_PENDING_COUNT[] = "SELECT count(*) FROM notify_outbox WHERE state = 'pending'";

const char Q_NOTIFY_ACKLINK_USE[] =
    "INSERT INTO notify_acklinks (nonce, alarm_id, person_id, expires_at, used_at) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (nonce) DO NOTHING RETURNING nonce";
const char Q_NOTIFY_ACKLINK_PURGE[] = "DELETE FROM notify_acklinks WHERE expires_at < $1";
const char Q_NOTIFY_KEY_INIT[] =
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
