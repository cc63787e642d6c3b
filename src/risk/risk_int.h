/* risk_int.h — private to src/risk: helpers shared by rules.c and
 * register.c (transactions, copying). */
#ifndef WS_RISK_INT_H
#define WS_RISK_INT_H

#include "risk/risk.h"

/* Commit (rc == WS_OK) or roll back an own transaction, keeping the error
 * detail of rc across the rollback. Returns the final code. */
ws_err risk_tx_end(store_conn *c, bool own, ws_err rc);
/* Copy src into a fixed array of cap bytes (truncating; NULL gives ""). */
void risk_copy(char *dst, size_t cap, const char *src);

#endif
