/* auth_int.h — private to src/auth: the transaction helpers shared by
 * session.c and account.c. A function that writes opens its own write
 * transaction when the caller has none, and otherwise joins the caller's
 * (which then commits or rolls back). */
#ifndef WS_AUTH_INT_H
#define WS_AUTH_INT_H

#include "auth/auth.h"

static inline ws_err auth_tx_begin(store_conn *c, bool *own) { return store_tx_join(c, own); }
static inline ws_err auth_tx_end(store_conn *c, bool own, ws_err rc)
{
    return store_tx_finish(c, own, rc);
}

/* Copy a column of at most cap-1 bytes. */
static inline void auth_copy(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    while (src[n] && n + 1 < cap) n++;
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
    dst[n] = 0;
}

#endif
