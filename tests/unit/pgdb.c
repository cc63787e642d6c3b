/* pgdb.c — PostgreSQL helpers shared by the unit tests (pgdb.h). */
#include "unit/pgdb.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

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
