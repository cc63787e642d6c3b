/* acklink.h — signed one-time acknowledge links (issue 4 item 6): each alarm
 * message names a person on duty and carries a link that lets that person
 * acknowledge the alarm as themselves, once, without signing in.
 *
 * A token is URL-safe Base64 (no padding, 96 characters) of 72 bytes:
 *   version (1) | nonce (15 random) | alarm_id (8, big-endian) |
 *   person_id (8) | expires_ms (8) | MAC (32)
 * where MAC = crypto_auth (HMAC-SHA512-256) of the first 40 bytes under a
 * 32-byte server key kept in the meta table (created at first use). Redeeming
 * checks the MAC in constant time and the expiry, then records the nonce in
 * notify_acklinks (migration 13) inside the caller's transaction, so the
 * acknowledgement and the use of the link commit or roll back together and a
 * second use is refused. The lead's route turns a redeemed link into an
 * acknowledgement (warn_ack as that person). Tokens and the key are
 * credentials: never logged. See docs/internals/notify.md. */
#ifndef WS_NOTIFY_ACKLINK_H
#define WS_NOTIFY_ACKLINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define NOTIFY_ACKLINK_KEYBYTES 32
#define NOTIFY_ACKLINK_TOKEN_LEN 96
#define NOTIFY_ACKLINK_TOKEN_MAX (NOTIFY_ACKLINK_TOKEN_LEN + 1)

/* The server key: read from meta ("notify.acklink_key"), created with
 * randombytes on first use (two servers racing agree on the first one
 * stored). Call once at start and keep it. */
ws_err notify_acklink_key(store_conn *c, unsigned char key[NOTIFY_ACKLINK_KEYBYTES]);

/* Write the token for (alarm_id, person_id), valid until expires_ms (ms UTC),
 * into out (NUL-terminated; cap >= NOTIFY_ACKLINK_TOKEN_MAX, else WS_ETOOBIG).
 * WS_EINVAL naming the field for ids < 1 or expires_ms < 1. */
ws_err notify_acklink_make(const unsigned char key[NOTIFY_ACKLINK_KEYBYTES], int64_t alarm_id,
                           int64_t person_id, int64_t expires_ms, char *out, size_t cap);

/* Check token at time now and use it up: on WS_OK *alarm_id and *person_id
 * are what the link was made for and its nonce is recorded (joining the
 * caller's transaction when one is open). Errors, all with field "token":
 *   WS_EFORBIDDEN  malformed, tampered with (MAC mismatch) or expired;
 *   WS_ECONFLICT   already used. */
ws_err notify_acklink_redeem(store_conn *c, const unsigned char key[NOTIFY_ACKLINK_KEYBYTES],
                             const char *token, int64_t now, int64_t *alarm_id, int64_t *person_id);

/* Check token at time now without using it up (the link's page shows the
 * alarm before the person acknowledges): *alarm_id, *person_id, or the
 * WS_EFORBIDDEN of notify_acklink_redeem. Whether it was used is not known
 * here. */
ws_err notify_acklink_check(const unsigned char key[NOTIFY_ACKLINK_KEYBYTES], const char *token, int64_t now,
                            int64_t *alarm_id, int64_t *person_id);

/* Forget used nonces of links that expired before now (they are refused by
 * their expiry anyway). */
ws_err notify_acklink_purge(store_conn *c, int64_t now);

#endif
