/* store.h — the neutral storage API with two backends, SQLite and PostgreSQL.
 *
 * The only place in worksafe that holds SQL text is src/store/: schema
 * migrations (migrations.c) and named queries (q_<module>.c, declared in
 * q_<module>.h). Modules above call store_prepare(conn, Q_SOMETHING), bind typed
 * parameters, and iterate rows. `make check-layers` enforces this.
 *
 * SQL dialect: statements are written once, with PostgreSQL-style numbered
 * placeholders $1..$N; the SQLite backend rewrites them to ?N. Use the subset
 * both engines share (RETURNING, ON CONFLICT, CTEs, || for concatenation).
 * Column types in migrations are TEXT, INTEGER (64-bit on both), REAL, BLOB
 * and ID_PK (an auto-assigned 64-bit primary key); migrations.c maps them.
 * Booleans are INTEGER 0/1. Times are INTEGER milliseconds since the epoch,
 * UTC. So a row reads back byte-identical on both engines, which the audit
 * log's canonical encoding relies on.
 *
 * Threads: a `store` is a pool of connections. A thread takes one with
 * store_acquire() for the length of a request and gives it back with
 * store_release(); a connection is never used by two threads at once.
 * Write transactions: store_begin() takes the write lock up front (SQLite
 * BEGIN IMMEDIATE), so writers are serialised and never deadlock on upgrade. */
#ifndef WS_STORE_H
#define WS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct store store;
typedef struct store_conn store_conn;
typedef struct store_stmt store_stmt;

typedef enum { STORE_SQLITE, STORE_POSTGRES } store_kind;

/* url: "postgres://…" / "postgresql://…" (libpq URI) or a SQLite file path
 * (optionally prefixed "sqlite:"). pool: connections to keep (>= 1).
 * Opens but does not migrate. Caller owns *out (store_close). */
ws_err store_open(const char *url, int pool, store **out);
void store_close(store *s);
store_kind store_backend(const store *s);
/* Timings for /metrics: statements executed and total ns spent in them. */
void store_stats(const store *s, uint64_t *statements, uint64_t *ns_total);

/* Make every transaction committed on s so far survive a power cut. SQLite
 * commits with synchronous=NORMAL: a commit is in the WAL file (it survives
 * a crash of the process) but may not be on the disk yet; this fdatasyncs
 * the WAL file (and, the first time, its directory). PostgreSQL commits are
 * flushed at commit (synchronous_commit): nothing to do. Any thread, no
 * connection needed; concurrent commits may or may not be covered. */
ws_err store_sync(store *s);

/* Blocks until a connection is free. Borrowed from the pool until release. */
ws_err store_acquire(store *s, store_conn **out);
void store_release(store_conn *c);
store_kind store_conn_backend(const store_conn *c);

ws_err store_begin(store_conn *c);     /* write transaction */
ws_err store_commit(store_conn *c);
void store_rollback(store_conn *c);    /* safe to call when no tx is open */
bool store_in_tx(const store_conn *c);
/* Join the caller's write transaction or open one: *own says which. Every
 * module's writes start with it so they nest inside a caller's transaction. */
ws_err store_tx_join(store_conn *c, bool *own);
/* End what store_tx_join began: when own, commit on success and roll back on
 * failure (also when the commit fails). Returns rc (or the commit's failure)
 * with the first failure's detail (field, message) kept for the reply. */
ws_err store_tx_finish(store_conn *c, bool own, ws_err rc);

/* Run SQL without parameters and without rows (may hold several statements). */
ws_err store_exec(store_conn *c, const char *sql);

/* Prepare sql (placeholders $1..$N). sql must outlive the statement; the
 * backends cache prepared statements per connection keyed by the pointer, so
 * pass the Q_* constants, not a formatted string. Caller finalizes. */
ws_err store_prepare(store_conn *c, const char *sql, store_stmt **out);
/* Bind parameter idx (1-based). Text and blobs are copied. */
ws_err store_bind_int(store_stmt *st, int idx, int64_t v);
ws_err store_bind_double(store_stmt *st, int idx, double v);
ws_err store_bind_text(store_stmt *st, int idx, const char *s); /* NULL binds SQL NULL */
ws_err store_bind_blob(store_stmt *st, int idx, const void *p, size_t n);
ws_err store_bind_null(store_stmt *st, int idx);
/* Optional values, NULL when absent: an id or count v <= 0, a NULL or empty
 * string, a NaN. */
ws_err store_bind_opt_int(store_stmt *st, int idx, int64_t v);
ws_err store_bind_opt_text(store_stmt *st, int idx, const char *s);
ws_err store_bind_opt_double(store_stmt *st, int idx, double v);
/* q as a pattern for "LIKE $n ESCAPE '\'" that matches any text containing
 * it: % _ and \ escaped, wrapped in %...%. False (out "") when it does not
 * fit in cap: the caller refuses the query rather than search for less. */
bool store_like_contains(const char *q, char *out, size_t cap);
/* Execute on the first call, then advance. *row is true while a row is
 * available; false at the end. A constraint violation returns WS_ECONFLICT
 * (with the constraint named in the detail), other failures WS_ESTORE. */
ws_err store_step(store_stmt *st, bool *row);
/* Columns are 0-based. Values borrow from the statement and are valid until
 * the next step, reset or finalize. Text is never NULL ("" for SQL NULL). */
int store_col_count(store_stmt *st);
bool store_col_null(store_stmt *st, int i);
int64_t store_col_int(store_stmt *st, int i);
double store_col_double(store_stmt *st, int i);
/* A nullable column: 0 (integers) or NaN (reals) when NULL. */
int64_t store_col_opt_int(store_stmt *st, int i);
double store_col_opt_double(store_stmt *st, int i);
const char *store_col_text(store_stmt *st, int i);
const void *store_col_blob(store_stmt *st, int i, size_t *n);
/* Rows changed by the last INSERT/UPDATE/DELETE this statement ran. */
int64_t store_changes(store_stmt *st);
/* Clear results and binds so the statement can run again. */
ws_err store_reset(store_stmt *st);
void store_finalize(store_stmt *st);

/* Generic reads for the audit verifier and backups: SELECT the named columns
 * of table ORDER BY id (optionally WHERE id = $1 when id > 0). Identifiers
 * must match [a-z_][a-z0-9_]*; the SQL is built here so it stays in store/,
 * and kept, so the connection's statement cache compiles it once. Caller
 * finalizes. */
ws_err store_scan_table(store_conn *c, const char *table, const char *const *cols, int ncols,
                        int64_t id, store_stmt **out);

/* Schema. store_schema_version() reads the applied version (0 for an empty
 * database). store_migrate() applies every migration above it, each in its
 * own transaction, and refuses (WS_ESCHEMA) a database newer than
 * store_schema_latest(). */
int store_schema_latest(void);
ws_err store_schema_version(store_conn *c, int *version);
ws_err store_migrate(store_conn *c);

/* Online consistent copy. SQLite: VACUUM INTO dest_path. PostgreSQL: runs
 * pg_dump --format=custom into dest_path. */
ws_err store_backup(store *s, const char *dest_path);
/* Replace the database content from a backup made by store_backup. The store
 * must not be in use by a server. SQLite: copies the file into place;
 * PostgreSQL: pg_restore --clean into the database of url. */
ws_err store_restore(const char *url, const char *src_path);

#endif
