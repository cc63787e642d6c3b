/* store_sqlite.c — the SQLite backend of store.h (the embedded default).
 *
 * Each pool connection is one sqlite3 handle opened in multi-thread mode
 * (the pool guarantees one thread at a time) with WAL, foreign_keys=ON,
 * busy_timeout=5000, synchronous=NORMAL and secure_delete=ON (deleted and
 * overwritten content is zeroed in the pages written, so an erasure of
 * personal data does not leave the old bytes in free space of the file;
 * docs/internals/store.md). store_begin is BEGIN IMMEDIATE so writers queue
 * on the lock up front instead of failing on upgrade.
 *
 * Statement cache: statements prepared from a constant (the Q_* strings) are
 * kept per connection in a small open-addressing table keyed by the SQL
 * pointer; the text is compared too, so a reused heap address can never pick
 * up another statement. store_finalize resets a cached statement and returns
 * it to the cache; a hot GET therefore never re-prepares. When the cached
 * statement is already in use (the same query nested), or the table is full,
 * a private statement is prepared and destroyed at finalize.
 *
 * Errors: SQLITE_CONSTRAINT_* become WS_ECONFLICT naming the table and column
 * from SQLite's message ("UNIQUE constraint failed: units.code"); everything
 * else is WS_ESTORE with SQLite's message logged (it never holds bound values). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store_be.h"

#define CACHE_SLOTS 256          /* power of two */
#define CACHE_MAX (CACHE_SLOTS * 3 / 4)

typedef struct sq_stmt {
    store_stmt base;
    sqlite3_stmt *vm;
    char *key_text;     /* cached only: copy of the original SQL, to verify hits */
    bool cached, in_use, done;
    int64_t changes;
    int64_t rows;       /* rows returned so far */
} sq_stmt;

typedef struct sq_conn {
    store_conn base;
    sqlite3 *db;
    sq_stmt *cache[CACHE_SLOTS];
    int ncached;
} sq_conn;

#define SQC(c) ((sq_conn *)(c))
#define SQS(st) ((sq_stmt *)(st))

static const char empty_blob[1];

/* ---- errors ----------------------------------------------------------------- */

/* Turn the SQLite error just raised on db into a ws_err. */
static ws_err sq_error(sqlite3 *db, int code, const char *what, const char *sql)
{
    int ext = sqlite3_extended_errcode(db);
    const char *msg = sqlite3_errmsg(db);
    if ((code & 0xff) == SQLITE_CONSTRAINT || (ext & 0xff) == SQLITE_CONSTRAINT) {
        const char *kind = "integrity";
        switch (ext) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY: kind = "unique"; break;
        case SQLITE_CONSTRAINT_FOREIGNKEY: kind = "foreign key"; break;
        case SQLITE_CONSTRAINT_NOTNULL: kind = "not null"; break;
        case SQLITE_CONSTRAINT_CHECK: kind = "check"; break;
        default: break;
        }
        /* "… constraint failed: t.a, t.b" -> table t, column b (the last,
         * which for composite keys is the distinguishing one). */
        char table[64] = "", column[64] = "";
        const char *colon = msg ? strstr(msg, "failed: ") : NULL;
        if (colon) {
            const char *item = colon + 8, *comma;
            while ((comma = strstr(item, ", ")) != NULL)
                item = comma + 2;
            const char *dot = strchr(item, '.');
            if (dot) {
                snprintf(table, sizeof table, "%.*s", (int)(dot - item), item);
                snprintf(column, sizeof column, "%s", dot + 1);
            } else {
                snprintf(column, sizeof column, "%s", item);
            }
        }
        return store_fail_conflict(kind, table[0] ? table : NULL, column[0] ? column : NULL);
    }
    char m[300];
    snprintf(m, sizeof m, "%s (code %d)", msg ? msg : "?", ext);
    return store_fail_engine("sqlite", what, m, sql);
}

/* ---- connections ------------------------------------------------------------- */

static ws_err sq_conn_open(store *s, store_conn **out)
{
    sq_conn *c = calloc(1, sizeof *c);
    if (!c)
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    int r = sqlite3_open_v2(s->target, &c->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (r != SQLITE_OK) {
        char m[300];
        snprintf(m, sizeof m, "%s", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(r));
        sqlite3_close(c->db);
        free(c);
        log_warn("cannot open SQLite database", "error", m);
        return ws_fail(WS_ESTORE, "db", "cannot open SQLite database: %s", m);
    }
    sqlite3_extended_result_codes(c->db, 1);
    char *err = NULL;
    r = sqlite3_exec(c->db,
                     "PRAGMA busy_timeout = 5000;"
                     "PRAGMA journal_mode = WAL;"
                     "PRAGMA foreign_keys = ON;"
                     "PRAGMA synchronous = NORMAL;"
                     "PRAGMA secure_delete = ON;",
                     NULL, NULL, &err);
    if (r != SQLITE_OK) {
        ws_err rc = store_fail_engine("sqlite", "open", err, NULL);
        sqlite3_free(err);
        sqlite3_close(c->db);
        free(c);
        return rc;
    }
    *out = &c->base;
    return WS_OK;
}

static void sq_stmt_destroy(sq_stmt *st)
{
    sqlite3_finalize(st->vm);
    free(st->key_text);
    free(st->base.owned_sql);
    free(st);
}

static void sq_conn_close(store_conn *cc)
{
    sq_conn *c = SQC(cc);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (c->cache[i])
            sq_stmt_destroy(c->cache[i]);
    if (sqlite3_close(c->db) != SQLITE_OK) {
        log_warn("SQLite closed with statements still open (not finalized)");
        sqlite3_close_v2(c->db);   /* freed when the last one is finalized */
    }
    free(c);
}

/* A transaction opened behind the store's back (store_exec("BEGIN")) must
 * not travel to the next user of this connection. */
static void sq_conn_check(store_conn *cc)
{
    sq_conn *c = SQC(cc);
    if (!sqlite3_get_autocommit(c->db)) {
        log_warn("SQLite connection returned with an open transaction; rolling back");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

static ws_err sq_exec(store_conn *cc, const char *sql)
{
    sq_conn *c = SQC(cc);
    int r = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return r == SQLITE_OK ? WS_OK : sq_error(c->db, r, "exec", sql);
}

static ws_err sq_begin(store_conn *c) { return sq_exec(c, "BEGIN IMMEDIATE"); }
static ws_err sq_commit(store_conn *c) { return sq_exec(c, "COMMIT"); }

static void sq_rollback(store_conn *cc)
{
    sq_conn *c = SQC(cc);
    if (!sqlite3_get_autocommit(c->db))   /* SQLite may have rolled back already */
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- statements ------------------------------------------------------------------- */

static size_t slot_of(const char *sql)
{
    uintptr_t k = (uintptr_t)sql;
    k ^= k >> 17;
    k *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 24) & (CACHE_SLOTS - 1);
}

static ws_err sq_compile(sq_conn *c, const char *sql, bool persistent, sq_stmt **out)
{
    buf b = BUF_INIT(1024 * 1024);
    int np;
    ws_err rc = store_sql_scan(sql, &b, &np);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    sq_stmt *st = calloc(1, sizeof *st);
    if (!st) {
        buf_free(&b);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    const char *tail = NULL;
    int r = sqlite3_prepare_v3(c->db, b.data ? b.data : "", (int)b.len + 1,
                               persistent ? SQLITE_PREPARE_PERSISTENT : 0, &st->vm, &tail);
    if (r != SQLITE_OK) {
        rc = sq_error(c->db, r, "prepare", sql);
    } else if (!st->vm) {
        rc = ws_fail(WS_EINTERNAL, NULL, "store_prepare: empty SQL");
    } else {
        while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';'))
            tail++;
        if (tail && *tail)
            rc = ws_fail(WS_EINTERNAL, NULL, "store_prepare: more than one statement");
    }
    buf_free(&b);
    if (rc) {
        sqlite3_finalize(st->vm);
        free(st);
        return rc;
    }
    st->base.c = &c->base;
    st->base.sql = sql;
    *out = st;
    return WS_OK;
}

static ws_err sq_prepare(store_conn *cc, const char *sql, bool cacheable, store_stmt **out)
{
    sq_conn *c = SQC(cc);
    size_t free_slot = CACHE_SLOTS;
    if (cacheable) {
        size_t h = slot_of(sql);
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
            size_t k = (h + i) & (CACHE_SLOTS - 1);
            sq_stmt *e = c->cache[k];
            if (!e) {
                free_slot = k;
                break;
            }
            if (e->base.sql != sql)
                continue;
            if (strcmp(e->key_text, sql) != 0) {
                if (e->in_use)
                    break;              /* stale and busy: go private */
                /* Same address, different text: the old string is gone. */
                sq_stmt *fresh;
                ws_err rc = sq_compile(c, sql, true, &fresh);
                if (rc)
                    return rc;
                fresh->key_text = strdup(sql);
                if (!fresh->key_text) {
                    sq_stmt_destroy(fresh);
                    return ws_fail(WS_ENOMEM, NULL, "out of memory");
                }
                fresh->cached = true;
                sq_stmt_destroy(e);
                c->cache[k] = e = fresh;
            }
            if (e->in_use)
                break;                  /* nested use of one query: go private */
            e->in_use = true;
            e->done = false;
            e->changes = 0;
            e->rows = 0;
            e->base.started = false;
            *out = &e->base;
            return WS_OK;
        }
    }
    bool keep = cacheable && free_slot < CACHE_SLOTS && c->ncached < CACHE_MAX;
    sq_stmt *st;
    ws_err rc = sq_compile(c, sql, keep, &st);
    if (rc)
        return rc;
    if (keep) {
        st->key_text = strdup(sql);
        if (st->key_text) {
            st->cached = true;
            c->cache[free_slot] = st;
            c->ncached++;
        }
    }
    st->in_use = true;
    *out = &st->base;
    return WS_OK;
}

static ws_err bind_rc(store_stmt *st, int r, int idx)
{
    if (r == SQLITE_OK)
        return WS_OK;
    if (r == SQLITE_RANGE)
        return ws_fail(WS_EINTERNAL, NULL, "bind index %d out of range", idx);
    if (r == SQLITE_NOMEM || r == SQLITE_TOOBIG)
        return ws_fail(r == SQLITE_TOOBIG ? WS_ETOOBIG : WS_ENOMEM, NULL, "cannot bind parameter %d", idx);
    return sq_error(SQC(st->c)->db, r, "bind", st->sql);
}

static ws_err sq_bind_int(store_stmt *st, int idx, int64_t v)
{
    return bind_rc(st, sqlite3_bind_int64(SQS(st)->vm, idx, v), idx);
}
static ws_err sq_bind_double(store_stmt *st, int idx, double v)
{
    return bind_rc(st, sqlite3_bind_double(SQS(st)->vm, idx, v), idx);
}
static ws_err sq_bind_text(store_stmt *st, int idx, const char *s)
{
    return bind_rc(st, sqlite3_bind_text64(SQS(st)->vm, idx, s, strlen(s), SQLITE_TRANSIENT, SQLITE_UTF8),
                   idx);
}
static ws_err sq_bind_blob(store_stmt *st, int idx, const void *p, size_t n)
{
    if (n == 0)   /* a NULL pointer would bind SQL NULL; an empty blob is not NULL */
        return bind_rc(st, sqlite3_bind_zeroblob(SQS(st)->vm, idx, 0), idx);
    return bind_rc(st, sqlite3_bind_blob64(SQS(st)->vm, idx, p, n, SQLITE_TRANSIENT), idx);
}
static ws_err sq_bind_null(store_stmt *st, int idx)
{
    return bind_rc(st, sqlite3_bind_null(SQS(st)->vm, idx), idx);
}

static ws_err sq_step(store_stmt *sst, bool *row)
{
    sq_stmt *st = SQS(sst);
    *row = false;
    if (st->done)
        return WS_OK;
    int r = sqlite3_step(st->vm);
    if (r == SQLITE_ROW) {
        st->rows++;
        *row = true;
        return WS_OK;
    }
    st->done = true;
    sqlite3 *db = SQC(sst->c)->db;
    if (r == SQLITE_DONE) {
        st->changes = sqlite3_stmt_readonly(st->vm) ? 0 : sqlite3_changes64(db);
        return WS_OK;
    }
    ws_err rc = sq_error(db, r, "step", sst->sql);
    sqlite3_reset(st->vm);
    return rc;
}

static bool col_ok(sq_stmt *st, int i) { return i >= 0 && i < sqlite3_column_count(st->vm); }

static int sq_col_count(store_stmt *st) { return sqlite3_column_count(SQS(st)->vm); }
static bool sq_col_null(store_stmt *st, int i)
{
    return !col_ok(SQS(st), i) || sqlite3_column_type(SQS(st)->vm, i) == SQLITE_NULL;
}
static int64_t sq_col_int(store_stmt *st, int i)
{
    return col_ok(SQS(st), i) ? sqlite3_column_int64(SQS(st)->vm, i) : 0;
}
static double sq_col_double(store_stmt *st, int i)
{
    return col_ok(SQS(st), i) ? sqlite3_column_double(SQS(st)->vm, i) : 0.0;
}
static const char *sq_col_text(store_stmt *st, int i)
{
    return col_ok(SQS(st), i) ? (const char *)sqlite3_column_text(SQS(st)->vm, i) : "";
}
static const void *sq_col_blob(store_stmt *st, int i, size_t *n)
{
    *n = 0;
    if (!col_ok(SQS(st), i) || sqlite3_column_type(SQS(st)->vm, i) == SQLITE_NULL)
        return NULL;
    const void *p = sqlite3_column_blob(SQS(st)->vm, i);
    *n = (size_t)sqlite3_column_bytes(SQS(st)->vm, i);
    return p ? p : empty_blob;
}

static int64_t sq_changes(store_stmt *sst)
{
    sq_stmt *st = SQS(sst);
    if (st->done)
        return st->changes;
    /* Mid-iteration of INSERT/UPDATE/DELETE … RETURNING: SQLite reports
     * the count only when the statement completes, but every changed row
     * yields one RETURNING row, so the rows seen so far are a lower bound
     * that is exact for the usual single-row INSERT … RETURNING id. */
    return sqlite3_stmt_readonly(st->vm) ? 0 : st->rows;
}

static ws_err sq_reset(store_stmt *sst)
{
    sq_stmt *st = SQS(sst);
    sqlite3_reset(st->vm);
    sqlite3_clear_bindings(st->vm);
    st->done = false;
    st->changes = 0;
    st->rows = 0;
    return WS_OK;
}

static void sq_finalize(store_stmt *sst)
{
    sq_stmt *st = SQS(sst);
    if (st->cached) {
        sqlite3_reset(st->vm);
        sqlite3_clear_bindings(st->vm);
        st->in_use = false;
        st->done = false;
        return;
    }
    sq_stmt_destroy(st);
}

/* ---- backup and restore ------------------------------------------------------------ */

static ws_err sq_backup(store *s, const char *dest)
{
    store_conn *c;
    ws_err rc = store_acquire(s, &c);
    if (rc)
        return rc;
    store_stmt *st = NULL;
    bool row;
    /* VACUUM INTO takes an expression: bind the path, no quoting games. */
    rc = sq_prepare(c, "VACUUM INTO $1", false, &st);
    if (!rc)
        rc = sq_bind_text(st, 1, dest);
    if (!rc)
        rc = store_step(st, &row);
    store_finalize(st);
    store_release(c);
    if (!rc)
        log_info("backup written", "engine", "sqlite", "path", dest);
    return rc;
}

/* Check that path is a SQLite database that passes quick_check. */
static ws_err sq_check_file(const char *path)
{
    sqlite3 *db = NULL;
    ws_err rc = WS_OK;
    int r = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *vm = NULL;
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &vm, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_step(vm);
    if (r != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(vm, 0), "ok") != 0)
        rc = ws_fail(WS_EINVAL, "path", "not a valid SQLite backup");
    sqlite3_finalize(vm);
    sqlite3_close(db);
    return rc;
}

static ws_err copy_file(const char *src, const char *dst, mode_t mode)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ws_fail(WS_EIO, "path", "cannot read backup: %s", strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0) {
        close(in);
        return ws_fail(WS_EIO, NULL, "cannot create %s: %s", dst, strerror(errno));
    }
    char chunk[65536];
    ws_err rc = WS_OK;
    for (;;) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ws_fail(WS_EIO, NULL, "read failed: %s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, chunk + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = ws_fail(WS_EIO, NULL, "write failed: %s", strerror(errno));
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    if (!rc && fsync(out) != 0)
        rc = ws_fail(WS_EIO, NULL, "fsync failed: %s", strerror(errno));
    close(in);
    if (close(out) != 0 && !rc)
        rc = ws_fail(WS_EIO, NULL, "close failed: %s", strerror(errno));
    if (rc)
        unlink(dst);
    return rc;
}

static ws_err sq_restore(const char *target, const char *src)
{
    ws_err rc = sq_check_file(src);
    if (rc)
        return rc;
    char tmp[4096], side[4096];
    if (snprintf(tmp, sizeof tmp, "%s.restore-%ld", target, (long)getpid()) >= (int)sizeof tmp)
        return ws_fail(WS_EINVAL, "db", "database path too long");
    struct stat sb;
    mode_t mode = stat(target, &sb) == 0 ? (sb.st_mode & 0777) : 0600;
    unlink(tmp);
    rc = copy_file(src, tmp, mode);
    if (rc)
        return rc;
    /* The old WAL must go before the new file appears: SQLite would replay
     * a leftover WAL into whatever file carries the name. */
    const char *sfx[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", target, sfx[i]);
        if (unlink(side) != 0 && errno != ENOENT) {
            rc = ws_fail(WS_EIO, NULL, "cannot remove %s: %s", side, strerror(errno));
            unlink(tmp);
            return rc;
        }
    }
    if (rename(tmp, target) != 0) {
        rc = ws_fail(WS_EIO, NULL, "cannot move restored file into place: %s", strerror(errno));
        unlink(tmp);
        return rc;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", target);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    log_info("database restored", "engine", "sqlite", "from", src);
    return WS_OK;
}

/* store_sync: the WAL file's data to the disk. Opened by name each time
 * (an open and a close beside an fdatasync of milliseconds), so a WAL that
 * SQLite removed and made again is never missed through a stale descriptor;
 * fdatasync on any descriptor of the file flushes what every connection
 * wrote. No WAL: nothing committed waits in one (the last connection's
 * checkpoint synced the database before removing it). */
static ws_err sq_sync(store *s)
{
    char wal[4096];
    if (snprintf(wal, sizeof wal, "%s-wal", s->target) >= (int)sizeof wal)
        return ws_fail(WS_EINVAL, "db", "database path too long");
    int fd = open(wal, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? WS_OK : ws_fail(WS_EIO, "db", "cannot open the WAL to sync it: %s", strerror(errno));
    int r = fdatasync(fd), e = errno;
    close(fd);
    if (r != 0)
        return ws_fail(WS_EIO, "db", "fdatasync of the WAL failed: %s", strerror(e));
    if (!atomic_load(&s->dir_synced)) { /* the WAL's name, once */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", s->target);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return ws_fail(WS_EIO, "db", "cannot open the database's directory: %s", strerror(errno));
        r = fsync(dfd), e = errno;
        close(dfd);
        if (r != 0)
            return ws_fail(WS_EIO, "db", "fsync of the database's directory failed: %s", strerror(e));
        atomic_store(&s->dir_synced, true);
    }
    return WS_OK;
}

const store_ops store_sqlite_ops = {
    .name = "sqlite",
    .conn_open = sq_conn_open,
    .conn_close = sq_conn_close,
    .conn_check = sq_conn_check,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .prepare = sq_prepare,
    .bind_int = sq_bind_int,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_count = sq_col_count,
    .col_null = sq_col_null,
    .col_int = sq_col_int,
    .col_double = sq_col_double,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .backup = sq_backup,
    .restore = sq_restore,
    .sync = sq_sync,
    .sql_has_version_table =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
};
