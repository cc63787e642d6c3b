/* acklink.c — signed one-time acknowledge links (see acklink.h).
 *
 * 72 bytes so that URL-safe Base64 has no padding and no spare bits: every
 * character of the token carries six bits of the signed bytes, so changing
 * any character changes the bytes and the MAC check fails. */
#include "notify/acklink.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "store/q_meta.h"
#include "store/q_notify.h"

#define VERSION 1
#define NONCE_LEN 15
#define BODY_LEN (1 + NONCE_LEN + 8 + 8 + 8) /* the signed part: 40 */
#define RAW_LEN (BODY_LEN + crypto_auth_BYTES) /* 72 */
#define META_KEY "notify.acklink_key"

_Static_assert(crypto_auth_KEYBYTES == NOTIFY_ACKLINK_KEYBYTES, "crypto_auth key size");
_Static_assert(RAW_LEN % 3 == 0 && RAW_LEN / 3 * 4 == NOTIFY_ACKLINK_TOKEN_LEN, "token length");

static void put64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
}

static int64_t get64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = (u << 8) | p[i];
    return (int64_t)u;
}

/* Read the key from meta into key; *found false when absent. */
static ws_err key_read(store_conn *c, unsigned char *key, bool *found)
{
    store_stmt *st = NULL;
    bool row = false;
    *found = false;
    ws_err rc = store_prepare(c, Q_META_GET, &st);
    if (rc) return rc;
    if (!(rc = store_bind_text(st, 1, META_KEY)) && !(rc = store_step(st, &row)) && row) {
        const char *hex = store_col_text(st, 0);
        size_t n = 0;
        if (sodium_hex2bin(key, NOTIFY_ACKLINK_KEYBYTES, hex, strlen(hex), NULL, &n, NULL) != 0 ||
            n != NOTIFY_ACKLINK_KEYBYTES)
            rc = ws_fail(WS_ECORRUPT, NULL, "the acknowledge-link key in meta is malformed");
        else
            *found = true;
    }
    store_finalize(st);
    return rc;
}

ws_err notify_acklink_key(store_conn *c, unsigned char key[NOTIFY_ACKLINK_KEYBYTES])
{
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to start");
    bool found = false;
    ws_err rc = key_read(c, key, &found);
    if (rc || found) return rc;
    unsigned char fresh[NOTIFY_ACKLINK_KEYBYTES];
    char hex[NOTIFY_ACKLINK_KEYBYTES * 2 + 1];
    crypto_auth_keygen(fresh);
    sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
    sodium_memzero(fresh, sizeof fresh);
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_NOTIFY_KEY_INIT, &st);
    if (!rc && !(rc = store_bind_text(st, 1, META_KEY)) && !(rc = store_bind_text(st, 2, hex)))
        rc = store_step(st, &row);
    store_finalize(st);
    sodium_memzero(hex, sizeof hex);
    if ((rc = store_tx_finish(c, own, rc))) return rc;
    /* Read back: a racing writer's key wins if it was first. */
    rc = key_read(c, key, &found);
    if (!rc && !found) rc = ws_fail(WS_ESTORE, NULL, "the acknowledge-link key was not stored");
    return rc;
}

ws_err notify_acklink_make(const unsigned char key[NOTIFY_ACKLINK_KEYBYTES], int64_t alarm_id,
                           int64_t person_id, int64_t expires_ms, char *out, size_t cap)
{
    if (!out || cap < NOTIFY_ACKLINK_TOKEN_MAX) return ws_fail(WS_ETOOBIG, "token", "no room for the token");
    out[0] = '\0';
    if (alarm_id < 1) return ws_fail(WS_EINVAL, "alarm_id", "no alarm");
    if (person_id < 1) return ws_fail(WS_EINVAL, "person_id", "no person");
    if (expires_ms < 1) return ws_fail(WS_EINVAL, "expires", "no expiry");
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to start");
    unsigned char raw[RAW_LEN];
    raw[0] = VERSION;
    randombytes_buf(raw + 1, NONCE_LEN);
    put64(raw + 1 + NONCE_LEN, alarm_id);
    put64(raw + 1 + NONCE_LEN + 8, person_id);
    put64(raw + 1 + NONCE_LEN + 16, expires_ms);
    crypto_auth(raw + BODY_LEN, raw, BODY_LEN, key);
    sodium_bin2base64(out, cap, raw, RAW_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return WS_OK;
}

/* The token's fields once its form, MAC and expiry are checked, into raw. */
static ws_err verify(const unsigned char key[NOTIFY_ACKLINK_KEYBYTES], const char *token, int64_t now,
                     unsigned char raw[RAW_LEN])
{
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to start");
    size_t n = 0;
    const char *end = NULL;
    if (!token || strlen(token) != NOTIFY_ACKLINK_TOKEN_LEN ||
        sodium_base642bin(raw, RAW_LEN, token, NOTIFY_ACKLINK_TOKEN_LEN, NULL, &n, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != RAW_LEN || end != token + NOTIFY_ACKLINK_TOKEN_LEN || raw[0] != VERSION)
        return ws_fail(WS_EFORBIDDEN, "token", "this acknowledge link is not valid");
    if (crypto_auth_verify(raw + BODY_LEN, raw, BODY_LEN, key) != 0) /* constant time */
        return ws_fail(WS_EFORBIDDEN, "token", "this acknowledge link is not valid");
    if (now >= get64(raw + 1 + NONCE_LEN + 16))
        return ws_fail(WS_EFORBIDDEN, "token", "this acknowledge link has expired");
    return WS_OK;
}

ws_err notify_acklink_check(const unsigned char key[NOTIFY_ACKLINK_KEYBYTES], const char *token, int64_t now,
                            int64_t *alarm_id, int64_t *person_id)
{
    *alarm_id = *person_id = 0;
    unsigned char raw[RAW_LEN];
    ws_err rc = verify(key, token, now, raw);
    if (rc) return rc;
    *alarm_id = get64(raw + 1 + NONCE_LEN);
    *person_id = get64(raw + 1 + NONCE_LEN + 8);
    return WS_OK;
}

ws_err notify_acklink_redeem(store_conn *c, const unsigned char key[NOTIFY_ACKLINK_KEYBYTES],
                             const char *token, int64_t now, int64_t *alarm_id, int64_t *person_id)
{
    *alarm_id = *person_id = 0;
    unsigned char raw[RAW_LEN];
    ws_err rc = verify(key, token, now, raw);
    if (rc) return rc;
    int64_t alarm = get64(raw + 1 + NONCE_LEN), person = get64(raw + 1 + NONCE_LEN + 8),
            expires = get64(raw + 1 + NONCE_LEN + 16);
    char nonce[NONCE_LEN * 2 + 1];
    sodium_bin2hex(nonce, sizeof nonce, raw + 1, NONCE_LEN);
    bool own = false, row = false;
    rc = store_tx_join(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_NOTIFY_ACKLINK_USE, &st);
    if (!rc && !(rc = store_bind_text(st, 1, nonce)) && !(rc = store_bind_int(st, 2, alarm)) &&
        !(rc = store_bind_int(st, 3, person)) && !(rc = store_bind_int(st, 4, expires)) &&
        !(rc = store_bind_int(st, 5, now)))
        rc = store_step(st, &row);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ECONFLICT, "token", "this acknowledge link has been used already");
    rc = store_tx_finish(c, own, rc);
    if (!rc) {
        *alarm_id = alarm;
        *person_id = person;
    }
    return rc;
}

ws_err notify_acklink_purge(store_conn *c, int64_t now)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_NOTIFY_ACKLINK_PURGE, &st);
    if (rc) return rc;
    if (!(rc = store_bind_int(st, 1, now))) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}
