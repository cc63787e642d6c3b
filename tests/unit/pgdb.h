/* pgdb.h — what the unit tests share to run on a fresh database: a statement
 * on the maintenance database of WS_TEST_PG_URL (CREATE/DROP DATABASE), the
 * URL of another database on the same server, and the one fixture that makes
 * a fresh migrated SQLite or PostgreSQL database per test (testdb_open).
 * Linked into every unit test binary by the Makefile. */
#ifndef WS_TEST_PGDB_H
#define WS_TEST_PGDB_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Run sql (no rows) on the database of url; notices are silenced, errors
 * printed. True on success. */
bool pgdb_exec(const char *url, const char *sql);
/* base with its database name replaced by db (query string kept). */
void pgdb_url_for(const char *base, const char *db, char *out, size_t cap);

/* A fresh, migrated database for one test. */
typedef struct testdb {
    bool pg;
    char pg_admin[512];
    char pg_db[64];
    char url[1024];
    store *s; /* pool of 4 */
} testdb;

/* pg_admin NULL or "": the SQLite file <dir>/<name><n>.db; else the
 * PostgreSQL database ws_<name>_<pid>_<n> on pg_admin's server (dropped first
 * when left over), copied from a migrated template of the current schema
 * (built by the first caller, pgdb.c). Opens it. 0 on success; otherwise -1
 * with the reason on stderr and nothing left open or created. */
int testdb_open(testdb *d, const char *pg_admin, const char *dir, const char *name, int n);
/* Close the store and drop the PostgreSQL database. */
void testdb_close(testdb *d);

#endif
