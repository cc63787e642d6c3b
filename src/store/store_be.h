/* store_be.h — private to src/store: the shapes shared by store.c (dispatch,
 * pool, statistics) and the two backends (store_sqlite.c, store_pg.c).
 *
 * Each backend embeds the common header structs below as the FIRST member of
 * its own connection and statement structs and fills a store_ops table; the
 * public functions of store.h live in store.c and dispatch through it. */
#ifndef WS_STORE_BE_H
#define WS_STORE_BE_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/buf.h"
#include "store/store.h"

typedef struct store_ops {
    const char *name;                                   /* "sqlite", "postgres" */
    ws_err (*conn_open)(store *s, store_conn **out);    /* one pool member */
    void (*conn_close)(store_conn *c);
    /* Called when a connection goes back to the pool: repair a broken link. */
    void (*conn_check)(store_conn *c);
    ws_err (*exec)(store_conn *c, const char *sql);
    ws_err (*begin)(store_conn *c);
    ws_err (*commit)(store_conn *c);
    void (*rollback)(store_conn *c);
    /* cacheable: sql is a long-lived constant and may key the per-connection
     * statement cache; otherwise the statement is private and destroyed by
     * finalize. */
    ws_err (*prepare)(store_conn *c, const char *sql, bool cacheable, store_stmt **out);
    ws_err (*bind_int)(store_stmt *st, int idx, int64_t v);
    ws_err (*bind_double)(store_stmt *st, int idx, double v);
    ws_err (*bind_text)(store_stmt *st, int idx, const char *s);
    ws_err (*bind_blob)(store_stmt *st, int idx, const void *p, size_t n);
    ws_err (*bind_null)(store_stmt *st, int idx);
    ws_err (*step)(store_stmt *st, bool *row);
    int (*col_count)(store_stmt *st);
    bool (*col_null)(store_stmt *st, int i);
    int64_t (*col_int)(store_stmt *st, int i);
    double (*col_double)(store_stmt *st, int i);
    const char *(*col_text)(store_stmt *st, int i);
    const void *(*col_blob)(store_stmt *st, int i, size_t *n);
    int64_t (*changes)(store_stmt *st);
    ws_err (*reset)(store_stmt *st);
    void (*finalize)(store_stmt *st);
    ws_err (*backup)(store *s, const char *dest_path);
    ws_err (*restore)(const char *target, const char *src_path);
    ws_err (*sync)(store *s);                           /* store_sync; NULL: commits are durable */
    /* SQL that answers one row, one column: 1 when table schema_version exists. */
    const char *sql_has_version_table;
} store_ops;

struct store {
    store_kind kind;
    const store_ops *ops;
    char *target;           /* SQLite: file path; PostgreSQL: the libpq URI */
    int size;
    store_conn **all;       /* size connections */
    store_conn **idle;      /* stack of free connections */
    int nidle;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic uint64_t statements;
    _Atomic uint64_t ns_total;
    _Atomic bool dir_synced;   /* SQLite: store_sync has synced the WAL's directory */
};

struct store_conn {
    store *s;
    bool in_tx;
};

struct store_stmt {
    store_conn *c;
    const char *sql;        /* as given ($N placeholders) */
    char *owned_sql;        /* set when the statement owns its SQL (scan_table) */
    bool started;           /* first step has run */
};

extern const store_ops store_sqlite_ops;
extern const store_ops store_pg_ops;

/* Scan sql ($N placeholders), skipping quoted strings, quoted identifiers and
 * comments. When out is not NULL, append sql with each $N rewritten to ?N
 * (SQLite). *nparams receives the highest N. WS_EINVAL for $0 or N > 999. */
ws_err store_sql_scan(const char *sql, buf *out, int *nparams);

/* Map the neutral type words of a migration (migrate.c) for kind into out. */
ws_err store_migration_sql(store_kind kind, const char *sql, buf *out);

/* Run argv[0] (searched in PATH, then /usr/lib/postgresql/<ver>/bin) with
 * argv, stdin from /dev/null, no shell, and wait. password (may be NULL) is
 * passed as PGPASSWORD in the child's environment, never on its command
 * line. WS_OK when it exits 0. */
ws_err store_run_tool(const char *const *argv, const char *password);

/* Record a non-conflict engine failure: logs msg (engine text, never values)
 * with log_warn and returns ws_fail(WS_ESTORE, …). */
ws_err store_fail_engine(const char *engine, const char *what, const char *msg, const char *sql);

/* Record a constraint violation: kind ("unique", "foreign key", "not null",
 * "check"), table and column (either may be NULL). Returns WS_ECONFLICT. */
ws_err store_fail_conflict(const char *kind, const char *table, const char *column);

#endif
