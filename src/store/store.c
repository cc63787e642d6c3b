/* store.c — the public face of the store: picks a backend from the URL, keeps
 * the connection pool, counts statement timings for /metrics, and dispatches
 * every call of store.h to the backend's store_ops table (store_be.h).
 *
 * Pool: store_open() opens every connection up front, so a bad URL or an
 * unreachable server fails at startup rather than on the first request.
 * store_acquire() blocks on a condition variable until one is idle;
 * store_release() rolls back a transaction the caller left open (and logs it:
 * that is a bug above), lets the backend repair a broken link, and wakes one
 * waiter.
 *
 * Also here: the $N placeholder scanner both backends use, store_scan_table
 * (which builds its SQL from validated identifiers), the error helpers that
 * keep engine messages in the log and parameter values out of it, and the
 * child-process runner for pg_dump/pg_restore (no shell, an argv array). */
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/store_be.h"

/* ---- URL parsing --------------------------------------------------------- */

static bool is_pg_url(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

/* Caller frees *target. */
static ws_err parse_url(const char *url, const store_ops **ops, char **target)
{
    if (!url || !*url)
        return ws_fail(WS_EINVAL, "db", "database URL or path is empty");
    if (is_pg_url(url)) {
        *ops = &store_pg_ops;
        *target = strdup(url);
    } else {
        if (strncmp(url, "sqlite:", 7) == 0)
            url += 7;
        if (!*url)
            return ws_fail(WS_EINVAL, "db", "SQLite path is empty");
        if (strstr(url, "://"))
            return ws_fail(WS_EINVAL, "db", "unsupported database URL scheme");
        *ops = &store_sqlite_ops;
        *target = strdup(url);
    }
    return *target ? WS_OK : ws_fail(WS_ENOMEM, NULL, "out of memory");
}

/* ---- open, close, pool --------------------------------------------------- */

ws_err store_open(const char *url, int pool, store **out)
{
    *out = NULL;
    if (pool < 1 || pool > 1024)
        return ws_fail(WS_EINVAL, "pool", "pool size must be 1..1024");
    store *s = calloc(1, sizeof *s);
    if (!s)
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = parse_url(url, &s->ops, &s->target);
    if (rc) {
        free(s);
        return rc;
    }
    s->kind = s->ops == &store_pg_ops ? STORE_POSTGRES : STORE_SQLITE;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    atomic_init(&s->statements, 0);
    atomic_init(&s->ns_total, 0);
    s->all = calloc((size_t)pool, sizeof *s->all);
    s->idle = calloc((size_t)pool, sizeof *s->idle);
    if (!s->all || !s->idle) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto fail;
    }
    for (int i = 0; i < pool; i++) {
        rc = s->ops->conn_open(s, &s->all[i]);
        if (rc)
            goto fail;
        s->all[i]->s = s;
        s->size++;
        s->idle[s->nidle++] = s->all[i];
    }
    *out = s;
    return WS_OK;
fail:
    store_close(s);
    return rc;
}

void store_close(store *s)
{
    if (!s)
        return;
    if (s->nidle != s->size)
        log_warn("store closed with connections still acquired");
    for (int i = 0; i < s->size; i++)
        s->ops->conn_close(s->all[i]);
    free(s->all);
    free(s->idle);
    free(s->target);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

store_kind store_backend(const store *s) { return s->kind; }

void store_stats(const store *s, uint64_t *statements, uint64_t *ns_total)
{
    if (statements)
        *statements = atomic_load(&s->statements);
    if (ns_total)
        *ns_total = atomic_load(&s->ns_total);
}

ws_err store_sync(store *s)
{
    return s->ops->sync ? s->ops->sync(s) : WS_OK;
}

ws_err store_acquire(store *s, store_conn **out)
{
    pthread_mutex_lock(&s->mu);
    while (s->nidle == 0)
        pthread_cond_wait(&s->cv, &s->mu);
    *out = s->idle[--s->nidle];
    pthread_mutex_unlock(&s->mu);
    return WS_OK;
}

void store_release(store_conn *c)
{
    if (!c)
        return;
    store *s = c->s;
    if (c->in_tx) {
        log_warn("store connection released inside a transaction; rolling back");
        store_rollback(c);
    }
    s->ops->conn_check(c);
    pthread_mutex_lock(&s->mu);
    s->idle[s->nidle++] = c;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

store_kind store_conn_backend(const store_conn *c) { return c->s->kind; }

/* ---- transactions and statements ------------------------------------------ */

static void account(store *s, int64_t t0)
{
    atomic_fetch_add(&s->statements, 1);
    atomic_fetch_add(&s->ns_total, (uint64_t)(clock_mono_ns() - t0));
}

ws_err store_begin(store_conn *c)
{
    if (c->in_tx)
        return ws_fail(WS_EINTERNAL, NULL, "transaction already open");
    int64_t t0 = clock_mono_ns();
    ws_err rc = c->s->ops->begin(c);
    account(c->s, t0);
    if (!rc)
        c->in_tx = true;
    return rc;
}

ws_err store_commit(store_conn *c)
{
    if (!c->in_tx)
        return ws_fail(WS_EINTERNAL, NULL, "commit without a transaction");
    int64_t t0 = clock_mono_ns();
    ws_err rc = c->s->ops->commit(c);
    account(c->s, t0);
    /* A failed commit leaves nothing applied: both backends roll back. */
    if (rc)
        c->s->ops->rollback(c);
    c->in_tx = false;
    return rc;
}

void store_rollback(store_conn *c)
{
    if (!c->in_tx)
        return;
    c->s->ops->rollback(c);
    c->in_tx = false;
}

bool store_in_tx(const store_conn *c) { return c->in_tx; }

ws_err store_bind_opt_int(store_stmt *st, int idx, int64_t v)
{
    return v > 0 ? store_bind_int(st, idx, v) : store_bind_null(st, idx);
}

ws_err store_bind_opt_text(store_stmt *st, int idx, const char *s)
{
    return s && *s ? store_bind_text(st, idx, s) : store_bind_null(st, idx);
}

ws_err store_bind_opt_double(store_stmt *st, int idx, double v)
{
    return isnan(v) ? store_bind_null(st, idx) : store_bind_double(st, idx, v);
}

bool store_like_contains(const char *q, char *out, size_t cap)
{
    size_t o = 0;
    if (cap) out[0] = 0;
    if (cap < 3) return false;
    out[o++] = '%';
    for (const char *s = q; *s; s++) {
        bool esc = *s == '%' || *s == '_' || *s == '\\';
        if (o + (esc ? 2 : 1) + 2 > cap) { /* the byte (escaped), then "%" and NUL */
            out[0] = 0;
            return false;
        }
        if (esc) out[o++] = '\\';
        out[o++] = *s;
    }
    out[o++] = '%';
    out[o] = 0;
    return true;
}

int64_t store_col_opt_int(store_stmt *st, int i)
{
    return store_col_null(st, i) ? 0 : store_col_int(st, i);
}

double store_col_opt_double(store_stmt *st, int i)
{
    return store_col_null(st, i) ? NAN : store_col_double(st, i);
}

ws_err store_tx_join(store_conn *c, bool *own)
{
    *own = !c->in_tx;
    return *own ? store_begin(c) : WS_OK;
}

ws_err store_tx_finish(store_conn *c, bool own, ws_err rc)
{
    if (!own) return rc;
    if (!rc) {
        rc = store_commit(c);
        if (!rc) return WS_OK;
    }
    char msg[256], field[64];
    snprintf(msg, sizeof msg, "%s", ws_err_message());
    snprintf(field, sizeof field, "%s", ws_err_field());
    store_rollback(c);
    return ws_fail(rc, field[0] ? field : NULL, "%s", msg);
}

ws_err store_exec(store_conn *c, const char *sql)
{
    int64_t t0 = clock_mono_ns();
    ws_err rc = c->s->ops->exec(c, sql);
    account(c->s, t0);
    return rc;
}

ws_err store_prepare(store_conn *c, const char *sql, store_stmt **out)
{
    *out = NULL;
    if (!sql)
        return ws_fail(WS_EINTERNAL, NULL, "store_prepare: no SQL");
    return c->s->ops->prepare(c, sql, true, out);
}

#define OPS(st) ((st)->c->s->ops)

ws_err store_bind_int(store_stmt *st, int idx, int64_t v) { return OPS(st)->bind_int(st, idx, v); }
ws_err store_bind_double(store_stmt *st, int idx, double v)
{
    return OPS(st)->bind_double(st, idx, v);
}
ws_err store_bind_text(store_stmt *st, int idx, const char *s)
{
    return s ? OPS(st)->bind_text(st, idx, s) : OPS(st)->bind_null(st, idx);
}
ws_err store_bind_blob(store_stmt *st, int idx, const void *p, size_t n)
{
    if (!p && n)
        return ws_fail(WS_EINTERNAL, NULL, "store_bind_blob: NULL pointer with length");
    return OPS(st)->bind_blob(st, idx, p, n);
}
ws_err store_bind_null(store_stmt *st, int idx) { return OPS(st)->bind_null(st, idx); }

ws_err store_step(store_stmt *st, bool *row)
{
    int64_t t0 = clock_mono_ns();
    bool first = !st->started;
    st->started = true;
    ws_err rc = OPS(st)->step(st, row);
    if (first) {
        account(st->c->s, t0);
    } else {
        atomic_fetch_add(&st->c->s->ns_total, (uint64_t)(clock_mono_ns() - t0));
    }
    if (rc)
        *row = false;
    return rc;
}

int store_col_count(store_stmt *st) { return OPS(st)->col_count(st); }
bool store_col_null(store_stmt *st, int i) { return OPS(st)->col_null(st, i); }
int64_t store_col_int(store_stmt *st, int i) { return OPS(st)->col_int(st, i); }
double store_col_double(store_stmt *st, int i) { return OPS(st)->col_double(st, i); }
const char *store_col_text(store_stmt *st, int i)
{
    const char *t = OPS(st)->col_text(st, i);
    return t ? t : "";
}
const void *store_col_blob(store_stmt *st, int i, size_t *n)
{
    size_t dummy;
    return OPS(st)->col_blob(st, i, n ? n : &dummy);
}
int64_t store_changes(store_stmt *st) { return OPS(st)->changes(st); }

ws_err store_reset(store_stmt *st)
{
    st->started = false;
    return OPS(st)->reset(st);
}

void store_finalize(store_stmt *st)
{
    if (st)
        OPS(st)->finalize(st);
}

/* ---- generic table scan ---------------------------------------------------- */

static bool ident_ok(const char *s)
{
    if (!s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    size_t n = 0;
    for (; *s; s++, n++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return n <= 63;
}

/* store_scan_table's SQL, interned: the same columns of the same table give
 * the same string, and the backends' statement caches (keyed by the SQL's
 * address) keep it compiled. The audit log reads an entity's row this way on
 * every change it records (each alarm event under ingest), and compiling
 * the SELECT each time was most of that. The strings live until exit; past
 * SCAN_SQL_MAX distinct ones a statement is compiled for its caller alone. */
#define SCAN_SQL_MAX 256
static pthread_mutex_t scan_mu = PTHREAD_MUTEX_INITIALIZER;
static char *scan_sql[SCAN_SQL_MAX];
static size_t nscan_sql;

static const char *scan_intern(const char *sql)
{
    const char *out = NULL;
    pthread_mutex_lock(&scan_mu);
    for (size_t i = 0; i < nscan_sql && !out; i++)
        if (!strcmp(scan_sql[i], sql)) out = scan_sql[i];
    if (!out && nscan_sql < SCAN_SQL_MAX && (scan_sql[nscan_sql] = strdup(sql)))
        out = scan_sql[nscan_sql++];
    pthread_mutex_unlock(&scan_mu);
    return out;
}

ws_err store_scan_table(store_conn *c, const char *table, const char *const *cols, int ncols,
                        int64_t id, store_stmt **out)
{
    *out = NULL;
    if (!ident_ok(table))
        return ws_fail(WS_EINVAL, "table", "invalid table name");
    if (ncols < 1 || ncols > 200)
        return ws_fail(WS_EINVAL, "cols", "need 1..200 columns");
    buf b = BUF_INIT(1024);
    ws_err rc = buf_puts(&b, "SELECT ");
    for (int i = 0; !rc && i < ncols; i++) {
        if (!ident_ok(cols[i])) {
            rc = ws_fail(WS_EINVAL, "cols", "invalid column name at position %d", i);
            break;
        }
        rc = buf_printf(&b, "%s%s", i ? ", " : "", cols[i]);
    }
    if (!rc)
        rc = buf_printf(&b, " FROM %s%s ORDER BY id", table, id > 0 ? " WHERE id = $1" : "");
    if (rc) {
        buf_free(&b);
        return rc;
    }
    char *sql = buf_steal(&b);
    const char *kept = sql ? scan_intern(sql) : NULL;
    store_stmt *st = NULL;
    rc = c->s->ops->prepare(c, kept ? kept : sql, kept != NULL, &st);
    if (kept || rc) free(sql);
    if (rc) return rc;
    if (!kept) st->owned_sql = sql;
    if (id > 0) {
        rc = store_bind_int(st, 1, id);
        if (rc) {
            store_finalize(st);
            return rc;
        }
    }
    *out = st;
    return WS_OK;
}

/* ---- SQL scanning ---------------------------------------------------------- */

ws_err store_sql_scan(const char *sql, buf *out, int *nparams)
{
    int maxn = 0;
    const char *p = sql, *flushed = sql;
    ws_err rc = WS_OK;
    while (*p && !rc) {
        if (*p == '\'' || *p == '"') {            /* '' and "" escape themselves */
            char q = *p++;
            while (*p && !(*p == q && p[1] != q))
                p += (*p == q) ? 2 : 1;
            if (*p)
                p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (*p == '$' && p[1] >= '0' && p[1] <= '9' &&
                   !(p > sql && (p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
                                 ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z')))) {
            const char *d = p + 1;
            int n = 0;
            while (*d >= '0' && *d <= '9' && n <= 999)
                n = n * 10 + (*d++ - '0');
            if (n < 1 || n > 999)
                return ws_fail(WS_EINVAL, NULL, "placeholder out of range 1..999");
            if (n > maxn)
                maxn = n;
            if (out) {
                rc = buf_append(out, flushed, (size_t)(p - flushed));
                if (!rc)
                    rc = buf_putc(out, '?');
                flushed = p + 1;   /* keep the digits */
            }
            p = d;
        } else {
            p++;
        }
    }
    if (!rc && out)
        rc = buf_append(out, flushed, (size_t)(p - flushed));
    if (nparams)
        *nparams = maxn;
    return rc;
}

/* ---- errors ---------------------------------------------------------------- */

ws_err store_fail_engine(const char *engine, const char *what, const char *msg, const char *sql)
{
    char sqlhead[121] = "";
    if (sql) {
        snprintf(sqlhead, sizeof sqlhead, "%s", sql);
        for (char *q = sqlhead; *q; q++)
            if (*q == '\n' || *q == '\t')
                *q = ' ';
    }
    log_warn("store error", "engine", engine, "op", what, "error", msg ? msg : "", "sql", sqlhead);
    return ws_fail(WS_ESTORE, NULL, "database error during %s", what);
}

ws_err store_fail_conflict(const char *kind, const char *table, const char *column)
{
    if (table && column)
        return ws_fail(WS_ECONFLICT, column, "%s constraint failed on %s.%s", kind, table, column);
    if (column)
        return ws_fail(WS_ECONFLICT, column, "%s constraint failed on %s", kind, column);
    if (table)
        return ws_fail(WS_ECONFLICT, NULL, "%s constraint failed on %s", kind, table);
    return ws_fail(WS_ECONFLICT, NULL, "%s constraint failed", kind);
}

/* ---- child processes (pg_dump, pg_restore) ---------------------------------- */

/* Full path of tool in PATH or the PostgreSQL bin directories; caller frees. */
static char *find_tool(const char *tool)
{
    if (strchr(tool, '/'))
        return strdup(tool);
    const char *path = getenv("PATH");
    char full[4096];
    if (path) {
        char *copy = strdup(path), *save = NULL;
        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
             dir = strtok_r(NULL, ":", &save)) {
            snprintf(full, sizeof full, "%s/%s", *dir ? dir : ".", tool);
            if (access(full, X_OK) == 0) {
                free(copy);
                return strdup(full);
            }
        }
        free(copy);
    }
    const char *fixed[] = {"/usr/lib/postgresql/15/bin", "/usr/bin"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        snprintf(full, sizeof full, "%s/%s", fixed[i], tool);
        if (access(full, X_OK) == 0)
            return strdup(full);
    }
    glob_t g;
    char pat[256];
    snprintf(pat, sizeof pat, "/usr/lib/postgresql/*/bin/%s", tool);
    char *found = NULL;
    if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0)
        found = strdup(g.gl_pathv[g.gl_pathc - 1]);
    globfree(&g);
    return found;
}

extern char **environ;

ws_err store_run_tool(const char *const *argv, const char *password)
{
    char *path = find_tool(argv[0]);
    if (!path)
        return ws_fail(WS_EIO, NULL, "%s not found in PATH or /usr/lib/postgresql/*/bin", argv[0]);
    /* The child's environment: ours, with PGPASSWORD replaced. Built before
     * fork, since the child may only make async-signal-safe calls. */
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **envp = calloc(ne + 2, sizeof *envp);
    char *pwvar = NULL;
    if (!envp || (password && asprintf(&pwvar, "PGPASSWORD=%s", password) < 0)) {
        free(envp);
        free(path);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "PGPASSWORD=", 11) != 0)
            envp[k++] = environ[i];
    if (pwvar)
        envp[k++] = pwvar;
    envp[k] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        free(envp);
        if (pwvar)
            memset(pwvar, 0, strlen(pwvar));
        free(pwvar);
        free(path);
        return ws_fail(WS_EIO, NULL, "fork failed: %s", strerror(errno));
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only. */
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 0);
            if (fd > 2)
                close(fd);
        }
        execve(path, (char *const *)argv, envp);
        _exit(127);
    }
    free(envp);
    if (pwvar)
        memset(pwvar, 0, strlen(pwvar));
    free(pwvar);
    int status = 0;
    pid_t r;
    do
        r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    ws_err rc = WS_OK;
    if (r < 0)
        rc = ws_fail(WS_EIO, NULL, "waitpid failed: %s", strerror(errno));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char st[16];
        snprintf(st, sizeof st, "%d", WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
        log_warn("store tool failed", "tool", path, "status", st);
        rc = ws_fail(WS_ESTORE, NULL, "%s failed (status %s)", argv[0], st);
    }
    free(path);
    return rc;
}

/* ---- backup and restore ------------------------------------------------------ */

ws_err store_backup(store *s, const char *dest_path)
{
    if (!dest_path || !*dest_path)
        return ws_fail(WS_EINVAL, "path", "backup path is empty");
    struct stat sb;
    if (lstat(dest_path, &sb) == 0)
        return ws_fail(WS_EINVAL, "path", "backup file already exists");
    return s->ops->backup(s, dest_path);
}

ws_err store_restore(const char *url, const char *src_path)
{
    const store_ops *ops;
    char *target = NULL;
    ws_err rc = parse_url(url, &ops, &target);
    if (rc)
        return rc;
    struct stat sb;
    if (!src_path || stat(src_path, &sb) != 0 || !S_ISREG(sb.st_mode))
        rc = ws_fail(WS_EINVAL, "path", "backup file not found");
    else
        rc = ops->restore(target, src_path);
    free(target);
    return rc;
}
