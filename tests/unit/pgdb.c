/* pgdb.c — PostgreSQL helpers shared by the unit tests (pgdb.h). */
#include "unit/pgdb.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "store/store_be.h"
#include "store/store_int.h"

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

/* ---- migrated templates ---------------------------------------------------
 * Migrating a fresh database costs about 0.95 s on PostgreSQL and 0.17 s on
 * SQLite on this machine; copying one that is already migrated, 0.33 s
 * (CREATE DATABASE ... TEMPLATE, STRATEGY FILE_COPY) and a few milliseconds
 * (store_restore of a store_backup) (2026-12-02). The unit tests make some 350 databases a run, so each schema
 * is migrated once, by the first process that needs it, and copied after.
 * A template's name carries a hash of every migration's SQL, so an edited
 * migration makes a new one. It is built under a name of its own process and
 * renamed when complete, so a crash mid-way never leaves a half-migrated
 * template under the real name; two processes that race both build one and
 * the loser drops its own. The migrations themselves are tested where they
 * run on empty and older databases (test_store, test_upgrade, `init`). */

/* FNV-1a over every migration's version and its SQL as run on kind (after
 * the dialect mapping, so a change there makes a new template too). */
static uint64_t schema_hash(store_kind kind)
{
    uint64_t h = 14695981039346656037ULL;
    buf sql = BUF_INIT(1 << 22);
    for (int i = 0; i < store_migration_count; i++) {
        char v[16];
        int n = snprintf(v, sizeof v, "%d:", store_migrations[i].version);
        for (int k = 0; k < n; k++) h = (h ^ (unsigned char)v[k]) * 1099511628211ULL;
        buf_reset(&sql);
        if (store_migration_sql(kind, store_migrations[i].sql, &sql)) abort();
        for (size_t k = 0; k < sql.len; k++) h = (h ^ (unsigned char)sql.data[k]) * 1099511628211ULL;
    }
    buf_free(&sql);
    return h;
}

/* Open url, migrate, and (backup not NULL) write a backup of it there with
 * store_backup; close. 0 on success. */
static int migrate_url(const char *url, const char *backup)
{
    store *s = NULL;
    store_conn *c = NULL;
    int rc = store_open(url, 1, &s) || store_acquire(s, &c) || store_migrate(c) ? -1 : 0;
    if (c) store_release(c);
    if (!rc && backup && store_backup(s, backup)) rc = -1;
    if (rc) fprintf(stderr, "store: %s\n", ws_err_message());
    store_close(s);
    return rc;
}

/* 1 when pg_database has a database of this name, 0 when not, -1 on error. */
static int pg_has_db(const char *admin, const char *name)
{
    PGconn *pc = PQconnectdb(admin);
    int has = -1;
    if (PQstatus(pc) == CONNECTION_OK) {
        const char *p[1] = {name};
        PGresult *r = PQexecParams(pc, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK) has = PQntuples(r) > 0;
        PQclear(r);
    }
    PQfinish(pc);
    return has;
}

/* The migrated template database's name on admin's server, built when
 * missing. 0 on success. */
static int pg_template(const char *admin, char name[64])
{
    static char known[64]; /* found or built by this process already */
    if (known[0]) {
        memcpy(name, known, sizeof known);
        return 0;
    }
    snprintf(name, 64, "ws_tmpl_%016llx", (unsigned long long)schema_hash(STORE_POSTGRES));
    int has = pg_has_db(admin, name);
    if (has < 0) return -1;
    if (has) {
        memcpy(known, name, sizeof known);
        return 0;
    }
    char mine[64], sql[256], url[1024];
    snprintf(mine, sizeof mine, "ws_tmpl_new_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", mine);
    if (!pgdb_exec(admin, sql)) return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", mine);
    if (!pgdb_exec(admin, sql)) return -1;
    pgdb_url_for(admin, mine, url, sizeof url);
    if (migrate_url(url, NULL)) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", mine);
        pgdb_exec(admin, sql);
        return -1;
    }
    snprintf(sql, sizeof sql, "ALTER DATABASE %s RENAME TO %s", mine, name);
    if (!pgdb_exec(admin, sql)) {
        /* Another process renamed its own first. */
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", mine);
        pgdb_exec(admin, sql);
        if (pg_has_db(admin, name) != 1) return -1;
    }
    memcpy(known, name, sizeof known);
    return 0;
}

/* Create the database db on admin's server as a copy of the template. */
static bool create_migrated(const char *admin, const char *db)
{
    char sql[200], tmpl[64];
    if (pg_template(admin, tmpl)) return false;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s STRATEGY = FILE_COPY", db, tmpl);
    return pgdb_exec(admin, sql);
}

/* The migrated SQLite template's path, built when missing: a backup
 * (store_backup, VACUUM INTO) of a freshly migrated database, which
 * testdb_open copies into place with store_restore. 0 on success. */
static int sqlite_template(char path[128])
{
    static char known[128]; /* found or built by this process already */
    if (known[0]) {
        memcpy(path, known, sizeof known);
        return 0;
    }
    snprintf(path, 128, "/tmp/ws-testdb-%016llx.db", (unsigned long long)schema_hash(STORE_SQLITE));
    if (access(path, R_OK) != 0) {
        char work[160], mine[160], url[200];
        snprintf(work, sizeof work, "%s.%ld.work", path, (long)getpid());
        snprintf(mine, sizeof mine, "%s.%ld", path, (long)getpid());
        unlink(mine);
        snprintf(url, sizeof url, "sqlite:%s", work);
        int rc = migrate_url(url, mine);
        if (!rc) rc = rename(mine, path);
        const char *sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char f[180];
            snprintf(f, sizeof f, "%s%s", work, sfx[i]);
            unlink(f);
        }
        unlink(mine);
        if (rc) return -1;
    }
    memcpy(known, path, sizeof known);
    return 0;
}

int testdb_open(testdb *d, const char *pg_admin, const char *dir, const char *name, int n)
{
    memset(d, 0, sizeof *d);
    d->pg = pg_admin && *pg_admin;
    if (!d->pg) {
        char tmpl[128];
        snprintf(d->url, sizeof d->url, "sqlite:%s/%s%d.db", dir, name, n);
        if (sqlite_template(tmpl) || store_restore(d->url, tmpl)) {
            fprintf(stderr, "testdb: no migrated SQLite copy at %s: %s\n", d->url, ws_err_message());
            return -1;
        }
    } else {
        snprintf(d->pg_admin, sizeof d->pg_admin, "%s", pg_admin);
        snprintf(d->pg_db, sizeof d->pg_db, "ws_%s_%ld_%d", name, (long)getpid(), n);
        drop(d);
        if (!create_migrated(pg_admin, d->pg_db)) return -1;
        pgdb_url_for(pg_admin, d->pg_db, d->url, sizeof d->url);
    }
    /* Migrating a migrated copy applies nothing; it checks the version. */
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
