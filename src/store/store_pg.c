/* store_pg.c — the PostgreSQL backend of store.h (libpq). Stub until the full backend lands. */
#include "store/store_be.h"

static ws_err pg_conn_open(store *s, store_conn **out)
{
    (void)s;
    (void)out;
    return ws_fail(WS_ESTORE, "db", "PostgreSQL backend not available yet");
}
static ws_err pg_restore_(const char *t, const char *p)
{
    (void)t;
    (void)p;
    return ws_fail(WS_ESTORE, "db", "PostgreSQL backend not available yet");
}

const store_ops store_pg_ops = {
    .name = "postgres",
    .conn_open = pg_conn_open,
    .restore = pg_restore_,
};
