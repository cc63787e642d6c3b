/* admit.c — rate limits for the anonymous door that never store who.
 *
 * Choice (docs/internals/voice.md, "Rate limits"): a fixed one-hour window
 * per source and one for everyone. A source is the peer address passed
 * through HMAC-SHA-256 under a key drawn from libsodium's randombytes at the
 * start of each window; the key and the table of counters live only in this
 * process's memory and are wiped (sodium_memzero) when the window turns, so
 * after the hour nobody — not even someone who later reads the server's
 * memory or its disk — can tell whether two reports came from the same
 * address. Nothing here is written to the database or the log. Behind a
 * reverse proxy every peer is the proxy: the per-source limit then acts as a
 * second global limit, and X-Forwarded-For is never read (a sender could
 * forge it, and reading it would be handling an identifier).
 *
 * A proof-of-work token was the alternative: it needs no address at all but
 * costs a phone seconds of battery per report and stops nobody with a GPU;
 * the hourly-keyed HMAC limits a flood from one address without keeping it. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/q_voice.h"
#include "voice/voice.h"
#include "voice/voice_int.h"

#define SLOTS 4096 /* distinct sources remembered per hour; beyond that the global limit rules */
#define HOUR_MS 3600000LL

typedef struct slot {
    uint8_t tag[16]; /* the first 16 bytes of the HMAC; all zero = free */
    uint32_t sent, lookups;
} slot;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int64_t window; /* start of the current hour window, ms */
    uint8_t key[crypto_auth_hmacsha256_KEYBYTES];
    uint32_t sent, lookups;
    slot slots[SLOTS];
} st;

static void turn(int64_t now)
{
    int64_t w = now - now % HOUR_MS;
    if (w == st.window) return;
    sodium_memzero(&st, sizeof st);
    st.window = w;
    randombytes_buf(st.key, sizeof st.key);
}

/* The counters of this source (NULL when the table is full). */
static slot *slot_of(const char *peer)
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)peer, strlen(peer), st.key);
    uint32_t h;
    memcpy(&h, mac, sizeof h);
    static const uint8_t zero[16];
    slot *found = NULL;
    for (uint32_t i = 0; i < SLOTS && !found; i++) {
        slot *s = &st.slots[(h + i) % SLOTS];
        if (!memcmp(s->tag, mac, 16)) found = s;
        else if (!memcmp(s->tag, zero, 16)) {
            memcpy(s->tag, mac, 16);
            found = s;
        }
    }
    sodium_memzero(mac, sizeof mac);
    return found;
}

ws_err voice_admit(store_conn *c, const char *peer, char kind, int64_t now)
{
    int64_t per_source = 20, global = 600;
    ws_err rc = voice_param_int(c, "source_per_hour", &per_source);
    if (!rc) rc = voice_param_int(c, "global_per_hour", &global);
    if (rc) return rc;
    /* Looking a report up costs nothing to the staff: more lookups than sends. */
    if (kind == 'f') {
        per_source *= 10;
        global *= 10;
    }
    pthread_mutex_lock(&mu);
    turn(now);
    uint32_t *all = kind == 'f' ? &st.lookups : &st.sent;
    slot *s = peer && *peer ? slot_of(peer) : NULL;
    uint32_t *mine = s ? (kind == 'f' ? &s->lookups : &s->sent) : NULL;
    bool ok = *all < (uint64_t)global && (!mine || *mine < (uint64_t)per_source);
    if (ok) {
        (*all)++;
        if (mine) (*mine)++;
    }
    int64_t wait_min = (st.window + HOUR_MS - now + 59999) / 60000;
    pthread_mutex_unlock(&mu);
    if (!ok)
        return ws_fail(WS_ERATE, NULL, "too many reports in this hour; try again in %lld minutes",
                       (long long)wait_min);
    return WS_OK;
}

void voice_admit_reset(void)
{
    pthread_mutex_lock(&mu);
    sodium_memzero(&st, sizeof st);
    pthread_mutex_unlock(&mu);
}
