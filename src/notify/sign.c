/* sign.c — DingTalk robot signature (see sign.h). HMAC-SHA256 through
 * libsodium's init/update/final form, which takes a key of any length (the
 * one-call crypto_auth_hmacsha256 expects exactly 32 bytes, and a robot's
 * SEC… secret is longer); standard Base64 with padding; then every byte
 * outside [A-Za-z0-9-_.*] percent-encoded, as Java's URLEncoder does, so
 * '+', '/' and '=' become %2B, %2F and %3D. */
#include "notify/sign.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '*';
}

ws_err notify_dingtalk_sign(const char *secret, int64_t ts_ms, char *out, size_t cap)
{
    if (!out || !cap) return ws_fail(WS_ETOOBIG, "sign", "no room for the signature");
    out[0] = '\0';
    if (!secret || !secret[0]) return ws_fail(WS_EINVAL, "secret", "the robot secret is empty");
    if (ts_ms < 0) return ws_fail(WS_EINVAL, "timestamp", "negative timestamp");
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to start");

    char ts[24];
    int tn = snprintf(ts, sizeof ts, "%" PRId64 "\n", ts_ms);
    size_t klen = strlen(secret);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, klen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tn);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)secret, klen);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);

    char b64[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);

    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)b64; *p; p++) {
        size_t need = unreserved(*p) ? 1 : 3;
        if (o + need >= cap) {
            out[0] = '\0';
            return ws_fail(WS_ETOOBIG, "sign", "signature needs more than %zu bytes", cap);
        }
        if (need == 1) out[o++] = (char)*p;
        else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return WS_OK;
}

ws_err notify_webhook_sign(const char *secret, int64_t ts_ms, const char *body, size_t len, char *out,
                           size_t cap)
{
    if (!out || cap < NOTIFY_WEBHOOK_SIG_MAX) return ws_fail(WS_ETOOBIG, "sign", "no room for the signature");
    out[0] = '\0';
    if (!secret || !secret[0]) return ws_fail(WS_EINVAL, "secret", "the webhook secret is empty");
    if (ts_ms < 0) return ws_fail(WS_EINVAL, "timestamp", "negative timestamp");
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to start");
    char ts[24];
    int tn = snprintf(ts, sizeof ts, "%" PRId64 ".", ts_ms);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tn);
    if (len) crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, (unsigned long long)len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, cap - 7, mac, sizeof mac);
    return WS_OK;
}
