/* sign.h — the signature of DingTalk custom robots (加签), for the outbox that
 * sends alarms to people (issue 4 item 6; INTEGRATIONS.md §1):
 *   sign = urlencode(base64(HMAC-SHA256(key = secret,
 *                                        msg = "<ts_ms>\n<secret>")))
 * appended to the robot URL as &timestamp=<ts_ms>&sign=<sign>. DingTalk
 * refuses a timestamp more than an hour away from its own clock, so ts_ms is
 * the sending time, taken by the caller (the test build's clock in tests).
 * Pure function over libsodium; no allocation, no logging (the secret is one).
 * notify_webhook_sign() signs the generic webhook's body the same way. */
#ifndef WS_NOTIFY_SIGN_H
#define WS_NOTIFY_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Room that always suffices: 44 Base64 characters, each at worst
 * percent-encoded to 3, and the NUL. */
#define NOTIFY_SIGN_MAX (44 * 3 + 1)

/* Write the URL-ready sign for secret and ts_ms into out (NUL-terminated).
 * WS_ETOOBIG when out cannot hold it all (nothing truncated: out is ""),
 * WS_EINVAL for a NULL/empty secret or a negative timestamp,
 * WS_EINTERNAL if libsodium cannot start. */
ws_err notify_dingtalk_sign(const char *secret, int64_t ts_ms, char *out, size_t cap);

/* The generic webhook's signature, for a gateway (SMS, voice) to check that a
 * request comes from this server and is fresh:
 *   X-Worksafe-Timestamp: <ts_ms>
 *   X-Worksafe-Signature: sha256=<hex(HMAC-SHA256(key = secret,
 *                                            msg = "<ts_ms>." body))>
 * (lower-case hex, 64 digits). The receiver recomputes it over the raw body
 * and refuses a timestamp far from its clock. */
#define NOTIFY_WEBHOOK_SIG_MAX (7 + 64 + 1)
/* Write "sha256=<hex>" into out. WS_ETOOBIG when cap < NOTIFY_WEBHOOK_SIG_MAX,
 * WS_EINVAL for an empty secret or a negative timestamp. */
ws_err notify_webhook_sign(const char *secret, int64_t ts_ms, const char *body, size_t len, char *out,
                           size_t cap);

#endif
