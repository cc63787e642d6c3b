/* pgdb.h — what the unit tests share to run on a fresh PostgreSQL database:
 * a statement on the maintenance database of WS_TEST_PG_URL (CREATE/DROP
 * DATABASE) and the URL of another database on the same server. Linked into
 * every unit test binary by the Makefile. */
#ifndef WS_TEST_PGDB_H
#define WS_TEST_PGDB_H

#include <stdbool.h>
#include <stddef.h>

/* Run sql (no rows) on the database of url; notices are silenced, errors
 * printed. True on success. */
bool pgdb_exec(const char *url, const char *sql);
/* base with its database name replaced by db (query string kept). */
void pgdb_url_for(const char *base, const char *db, char *out, size_t cap);

#endif
