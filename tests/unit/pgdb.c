/* pgdb.c — PostgreSQL helpers shared by the unit tests (pgdb.h). */
#include "unit/pgdb.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"

static void quiet(void *arg, const char *msg) { (void)arg, (void)msg; }

bool pgdb_exec(const char *url, const char *sql)
{
    PGconn *pc = PQconnectdb(url);
    bool ok = false;
    if (PQstatus(pc) == CONNECTION_OK) {
        PQsetNoticeProcessor(pc, quiet, NULL); /* "does not exist, skipping" */
        PGresult *r = PQexec(pc, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) fprintf(stderr, "pg: %s", PQerrorMessage(pc));
        PQclear(r);
    } else {
        fprintf(stderr, "pg connect: %s", PQerrorMessage(pc));
    }
    PQfinish(pc);
    return ok;
}

void pgdb_url_for(const char *base, const char *db, char *out, size_t cap)
{
    const char *host = strstr(base, "://");
    const char *slash = host ? strchr(host + 3, '/') : NULL;
    const char *query = strchr(base, '?');
    int len = slash ? (int)(slash - base) : query ? (int)(query - base) : (int)strlen(base);
    snprintf(out, cap, "%.*s/%s%s", len, base, db, query ? query : "");
}

static void drop(testdb *d)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", d->pg_db);
    pgdb_exec(d->pg_admin, sql);
}

int testdb_open(testdb *d, const char *pg_admin, const char *dir, const char *name, int n)
{
    memset(d, 0, sizeof *d);
    d->pg = pg_admin && *pg_admin;
    if (!d->pg) {
        snprintf(d->url, sizeof d->url, "sqlite:%s/%s%d.db", dir, name, n);
    } else {
        snprintf(d->pg_admin, sizeof d->pg_admin, "%s", pg_admin);
        snprintf(d->pg_db, sizeof d->pg_db, "ws_%s_%ld_%d", name, (long)getpid(), n);
        drop(d);
        char sql[160];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", d->pg_db);
        if (!pgdb_exec(pg_admin, sql)) return -1;
        pgdb_url_for(pg_admin, d->pg_db, d->url, sizeof d->url);
    }
    store_conn *c = NULL;
    if (store_open(d->url, 4, &d->s) || store_acquire(d->s, &c) || store_migrate(c)) {
        fprintf(stderr, "store: %s\n", ws_err_message());
        if (c) store_release(c);
        store_close(d->s);
        d->s = NULL;
        if (d->pg) drop(d);
        return -1;
    }
    store_release(c);
    return 0;
}

void testdb_close(testdb *d)
{
    store_close(d->s);
    d->s = NULL;
    if (d->pg) drop(d);
}
