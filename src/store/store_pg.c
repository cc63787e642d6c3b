/* store_pg.c — the PostgreSQL backend of store.h (libpq).
 *
 * Each pool connection is one PGconn opened with the URL as given (libpq
 * parses postgres:// and postgresql:// URIs), client encoding UTF8, and
 * notices silenced. SQL arrives with $N placeholders, which PostgreSQL speaks
 * natively.
 *
 * Execution: statements prepared from constants (the Q_* strings) are cached
 * per connection keyed by the SQL pointer (the text is compared too) and
 * prepared on the server once, under a per-connection name "ws_<n>", at their
 * first execution, when the parameter types are known: integers go as int8,
 * doubles as float8 (both in text form, exact: %.17g), text as "unknown" so
 * the server infers the column's type, blobs as bytea in binary format.
 * Private statements (nested use of a cached one, store_scan_table) and the
 * rare execution whose blob parameter meets a slot prepared without bytea
 * type go through PQexecParams. Results are read whole, in text format:
 * integers and doubles are parsed from text, bytea is decoded from its hex
 * form, booleans "t"/"f" read as 1/0.
 *
 * Errors: SQLSTATE class 23 becomes WS_ECONFLICT naming the table and column
 * (the column list is taken from the DETAIL "Key (a, b)=(…)" whose values are
 * never copied or logged); everything else is WS_ESTORE with the SQLSTATE and
 * the primary message logged, except class 22 (data exceptions), whose
 * messages quote input values and are therefore not logged.
 *
 * Backup and restore run pg_dump/pg_restore (store.c, store_run_tool) with
 * the password, if the URL carries one, moved from argv to PGPASSWORD. */
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_be.h"

#define CACHE_SLOTS 256
#define CACHE_MAX (CACHE_SLOTS * 3 / 4)

/* Type OIDs from pg_type.h (stable since forever). */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_FLOAT8 701

typedef struct pg_param {
    char *heap;           /* text or blob copy, grown as needed */
    size_t heap_cap;
    char num[40];         /* ints and doubles as text */
} pg_param;

typedef struct pg_col {
    unsigned char *dec;   /* decoded bytea of the current row */
    size_t dec_cap, dec_len;
    int dec_row;          /* row dec belongs to, -1 when none */
} pg_col;

typedef struct pg_stmt {
    store_stmt base;
    char *key_text;       /* cached only: copy of the SQL, to verify hits */
    bool cached, in_use;
    char name[24];
    bool prepared;
    int nparams;
    Oid *prep_types;      /* types the server statement was prepared with */
    const char **values;
    int *lengths, *formats;
    Oid *types;
    pg_param *slots;
    PGresult *res;
    int nrows, row;
    bool done;
    int64_t changes;
    pg_col *cols;
    int ncols_alloc;
} pg_stmt;

typedef struct pg_conn {
    store_conn base;
    PGconn *pc;
    pg_stmt *cache[CACHE_SLOTS];
    int ncached;
    unsigned next_name;
} pg_conn;

#define PGC(c) ((pg_conn *)(c))
#define PGS(st) ((pg_stmt *)(st))

static const char empty_blob[1];

/* ---- errors ------------------------------------------------------------------- */

/* Columns of "Key (a, b)=(…)": the last one into col. Values are not read. */
static void detail_column(const char *detail, char *col, size_t cap)
{
    col[0] = 0;
    const char *k = detail ? strstr(detail, "Key (") : NULL;
    if (!k)
        return;
    k += 5;
    const char *end = strstr(k, ")=");
    if (!end)
        return;
    const char *item = k;
    for (const char *p = k; p < end; p++)
        if (p[0] == ',' && p[1] == ' ')
            item = p + 2;
    if (*item == '"')
        item++;
    size_t n = (size_t)(end - item);
    if (n && item[n - 1] == '"')
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(col, item, n);
    col[n] = 0;
}

/* Turn a failed PGresult (may be NULL) on pc into a ws_err. */
static ws_err pg_error(PGconn *pc, const PGresult *res, const char *what, const char *sql)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (state && strncmp(state, "23", 2) == 0) {
        const char *kind = "integrity";
        if (!strcmp(state, "23505"))
            kind = "unique";
        else if (!strcmp(state, "23503"))
            kind = "foreign key";
        else if (!strcmp(state, "23502"))
            kind = "not null";
        else if (!strcmp(state, "23514"))
            kind = "check";
        else if (!strcmp(state, "23P01"))
            kind = "exclusion";
        const char *table = PQresultErrorField(res, PG_DIAG_TABLE_NAME);
        const char *column = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
        char col[64];
        if (!column || !*column) {
            detail_column(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL), col, sizeof col);
            column = col[0] ? col : NULL;
        }
        if (!column && !strcmp(state, "23514"))
            column = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        return store_fail_conflict(kind, table, column);
    }
    char m[400];
    if (state && strncmp(state, "22", 2) == 0)
        snprintf(m, sizeof m, "SQLSTATE %s data exception (message withheld: it may quote values)", state);
    else if (state)
        snprintf(m, sizeof m, "SQLSTATE %s %s", state, primary ? primary : "");
    else {
        snprintf(m, sizeof m, "%s", PQerrorMessage(pc));
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
            m[--n] = 0;
    }
    return store_fail_engine("postgres", what, m, sql);
}

static void quiet_notice(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

/* ---- connections ------------------------------------------------------------------ */

static ws_err pg_conn_open(store *s, store_conn **out)
{
    pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    c->pc = PQconnectdb(s->target);
    if (!c->pc || PQstatus(c->pc) != CONNECTION_OK) {
        char m[300];
        snprintf(m, sizeof m, "%s", c->pc ? PQerrorMessage(c->pc) : "out of memory");
        for (char *q = m; *q; q++)
            if (*q == '\n')
                *q = ' ';
        PQfinish(c->pc);
        free(c);
        log_warn("cannot connect to PostgreSQL", "error", m);
        return ws_fail(WS_ESTORE, "db", "cannot connect to PostgreSQL: %s", m);
    }
    PQsetNoticeReceiver(c->pc, quiet_notice, NULL);
    if (PQsetClientEncoding(c->pc, "UTF8") != 0) {
        PQfinish(c->pc);
        free(c);
        return ws_fail(WS_ESTORE, "db", "PostgreSQL: cannot set client encoding UTF8");
    }
    *out = &c->base;
    return WS_OK;
}

static void stmt_clear_result(pg_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->nrows = 0;
    st->row = -1;
    st->done = false;
    st->changes = 0;
    for (int i = 0; i < st->ncols_alloc; i++)
        st->cols[i].dec_row = -1;
}

static void stmt_clear_binds(pg_stmt *st)
{
    for (int i = 0; i < st->nparams; i++) {
        st->values[i] = NULL;
        st->lengths[i] = 0;
        st->formats[i] = 0;
        st->types[i] = 0;
    }
}

static void pg_stmt_destroy(pg_stmt *st)
{
    PQclear(st->res);
    for (int i = 0; i < st->nparams; i++)
        free(st->slots[i].heap);
    for (int i = 0; i < st->ncols_alloc; i++)
        free(st->cols[i].dec);
    free(st->cols);
    free(st->slots);
    free(st->values);
    free(st->lengths);
    free(st->formats);
    free(st->types);
    free(st->prep_types);
    free(st->key_text);
    free(st->base.owned_sql);
    free(st);
}

static void pg_conn_close(store_conn *cc)
{
    pg_conn *c = PGC(cc);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (c->cache[i])
            pg_stmt_destroy(c->cache[i]);
    PQfinish(c->pc);
    free(c);
}

static void pg_conn_check(store_conn *cc)
{
    pg_conn *c = PGC(cc);
    if (PQstatus(c->pc) == CONNECTION_BAD) {
        log_warn("PostgreSQL connection lost; reconnecting");
        PQreset(c->pc);
        /* Server-side prepared statements died with the old session. */
        for (int i = 0; i < CACHE_SLOTS; i++)
            if (c->cache[i])
                c->cache[i]->prepared = false;
        return;
    }
    if (PQtransactionStatus(c->pc) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c->pc, "ROLLBACK");
        PQclear(r);
    }
}

static ws_err pg_exec(store_conn *cc, const char *sql)
{
    pg_conn *c = PGC(cc);
    PGresult *r = PQexec(c->pc, sql);
    ExecStatusType t = PQresultStatus(r);
    ws_err rc = (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY)
                    ? WS_OK
                    : pg_error(c->pc, r, "exec", sql);
    PQclear(r);
    return rc;
}

static ws_err pg_begin(store_conn *c) { return pg_exec(c, "BEGIN"); }

static ws_err pg_commit(store_conn *cc)
{
    pg_conn *c = PGC(cc);
    PGresult *r = PQexec(c->pc, "COMMIT");
    ws_err rc;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = pg_error(c->pc, r, "commit", "COMMIT");
    else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)   /* the transaction had failed */
        rc = ws_fail(WS_ESTORE, NULL, "transaction was aborted by an earlier error; nothing committed");
    else
        rc = WS_OK;
    PQclear(r);
    return rc;
}

static void pg_rollback(store_conn *cc)
{
    pg_conn *c = PGC(cc);
    PGresult *r = PQexec(c->pc, "ROLLBACK");
    PQclear(r);
}

/* ---- statements ---------------------------------------------------------------------- */

static size_t slot_of(const char *sql)
{
    uintptr_t k = (uintptr_t)sql;
    k ^= k >> 17;
    k *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 24) & (CACHE_SLOTS - 1);
}

static ws_err stmt_new(pg_conn *c, const char *sql, pg_stmt **out)
{
    int np = 0;
    ws_err rc = store_sql_scan(sql, NULL, &np);
    if (rc)
        return rc;
    pg_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    st->nparams = np;
    size_t n = (size_t)(np ? np : 1);
    st->values = calloc(n, sizeof *st->values);
    st->lengths = calloc(n, sizeof *st->lengths);
    st->formats = calloc(n, sizeof *st->formats);
    st->types = calloc(n, sizeof *st->types);
    st->prep_types = calloc(n, sizeof *st->prep_types);
    st->slots = calloc(n, sizeof *st->slots);
    if (!st->values || !st->lengths || !st->formats || !st->types || !st->prep_types || !st->slots) {
        pg_stmt_destroy(st);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    st->base.c = &c->base;
    st->base.sql = sql;
    st->row = -1;
    *out = st;
    return WS_OK;
}

static ws_err pg_prepare(store_conn *cc, const char *sql, bool cacheable, store_stmt **out)
{
    pg_conn *c = PGC(cc);
    size_t free_slot = CACHE_SLOTS;
    if (cacheable) {
        size_t h = slot_of(sql);
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
            size_t k = (h + i) & (CACHE_SLOTS - 1);
            pg_stmt *e = c->cache[k];
            if (!e) {
                free_slot = k;
                break;
            }
            if (e->base.sql != sql)
                continue;
            if (e->in_use)
                break;                      /* nested use: go private */
            if (strcmp(e->key_text, sql) != 0) {
                /* Same address, new text: replace (the old server statement
                 * stays allocated under its name until the session ends). */
                pg_stmt *fresh;
                ws_err rc = stmt_new(c, sql, &fresh);
                if (rc)
                    return rc;
                fresh->key_text = strdup(sql);
                if (!fresh->key_text) {
                    pg_stmt_destroy(fresh);
                    return ws_fail(WS_ENOMEM, NULL, "out of memory");
                }
                fresh->cached = true;
                snprintf(fresh->name, sizeof fresh->name, "ws_%u", c->next_name++);
                pg_stmt_destroy(e);
                c->cache[k] = e = fresh;
            }
            e->in_use = true;
            e->base.started = false;
            *out = &e->base;
            return WS_OK;
        }
    }
    pg_stmt *st;
    ws_err rc = stmt_new(c, sql, &st);
    if (rc)
        return rc;
    if (cacheable && free_slot < CACHE_SLOTS && c->ncached < CACHE_MAX) {
        st->key_text = strdup(sql);
        if (st->key_text) {
            st->cached = true;
            snprintf(st->name, sizeof st->name, "ws_%u", c->next_name++);
            c->cache[free_slot] = st;
            c->ncached++;
        }
    }
    st->in_use = true;
    *out = &st->base;
    return WS_OK;
}

static ws_err check_idx(pg_stmt *st, int idx)
{
    if (idx < 1 || idx > st->nparams)
        return ws_fail(WS_EINTERNAL, NULL, "bind index %d out of range (statement has %d)", idx,
                       st->nparams);
    return WS_OK;
}

static ws_err set_num(store_stmt *sst, int idx, Oid type, const char *text)
{
    pg_stmt *st = PGS(sst);
    ws_err rc = check_idx(st, idx);
    if (rc)
        return rc;
    pg_param *p = &st->slots[idx - 1];
    snprintf(p->num, sizeof p->num, "%s", text);
    st->values[idx - 1] = p->num;
    st->lengths[idx - 1] = 0;
    st->formats[idx - 1] = 0;
    st->types[idx - 1] = type;
    return WS_OK;
}

static ws_err pg_bind_int(store_stmt *st, int idx, int64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)v);
    return set_num(st, idx, OID_INT8, t);
}

static ws_err pg_bind_double(store_stmt *st, int idx, double v)
{
    char t[40];
    if (isnan(v))
        snprintf(t, sizeof t, "NaN");
    else if (isinf(v))
        snprintf(t, sizeof t, "%sInfinity", v < 0 ? "-" : "");
    else
        snprintf(t, sizeof t, "%.17g", v);
    return set_num(st, idx, OID_FLOAT8, t);
}

/* Copy n bytes into the slot's heap buffer. */
static ws_err set_bytes(pg_stmt *st, int idx, const void *p, size_t n, int format, Oid type)
{
    ws_err rc = check_idx(st, idx);
    if (rc)
        return rc;
    if (n > (size_t)0x7fffffff - 1)
        return ws_fail(WS_ETOOBIG, NULL, "parameter %d too large", idx);
    pg_param *s = &st->slots[idx - 1];
    if (s->heap_cap < n + 1) {
        size_t cap = n + 1 < 64 ? 64 : n + 1;
        char *h = realloc(s->heap, cap);
        if (!h)
            return ws_fail(WS_ENOMEM, NULL, "out of memory");
        s->heap = h;
        s->heap_cap = cap;
    }
    if (n)
        memcpy(s->heap, p, n);
    s->heap[n] = 0;
    st->values[idx - 1] = s->heap;
    st->lengths[idx - 1] = (int)n;
    st->formats[idx - 1] = format;
    st->types[idx - 1] = type;
    return WS_OK;
}

static ws_err pg_bind_text(store_stmt *st, int idx, const char *s)
{
    return set_bytes(PGS(st), idx, s, strlen(s), 0, 0);
}

static ws_err pg_bind_blob(store_stmt *st, int idx, const void *p, size_t n)
{
    return set_bytes(PGS(st), idx, p, n, 1, OID_BYTEA);
}

static ws_err pg_bind_null(store_stmt *sst, int idx)
{
    pg_stmt *st = PGS(sst);
    ws_err rc = check_idx(st, idx);
    if (rc)
        return rc;
    st->values[idx - 1] = NULL;
    st->lengths[idx - 1] = 0;
    st->formats[idx - 1] = 0;
    st->types[idx - 1] = 0;
    return WS_OK;
}

/* Can the server statement take this execution's binds? Text-format values
 * convert to whatever type the server chose; binary bytea needs a bytea slot. */
static bool binds_fit(const pg_stmt *st)
{
    for (int i = 0; i < st->nparams; i++)
        if (st->formats[i] == 1 && st->prep_types[i] != OID_BYTEA)
            return false;
    return true;
}

static ws_err execute(pg_stmt *st)
{
    pg_conn *c = PGC(st->base.c);
    const char *sql = st->base.sql;
    PGresult *r;
    if (st->cached && !st->prepared) {
        r = PQprepare(c->pc, st->name, sql, st->nparams, st->nparams ? st->types : NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            ws_err rc = pg_error(c->pc, r, "prepare", sql);
            PQclear(r);
            return rc;
        }
        PQclear(r);
        st->prepared = true;
        if (st->nparams)
            memcpy(st->prep_types, st->types, (size_t)st->nparams * sizeof *st->types);
    }
    if (st->cached && binds_fit(st))
        r = PQexecPrepared(c->pc, st->name, st->nparams, st->values, st->lengths, st->formats, 0);
    else
        r = PQexecParams(c->pc, sql, st->nparams, st->nparams ? st->types : NULL, st->values,
                         st->lengths, st->formats, 0);
    ExecStatusType t = PQresultStatus(r);
    if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK || t == PGRES_EMPTY_QUERY) {
        st->res = r;
        st->nrows = t == PGRES_TUPLES_OK ? PQntuples(r) : 0;
        st->row = -1;
        st->changes = strncmp(PQcmdStatus(r), "SELECT", 6) == 0 ? 0 : atoll(PQcmdTuples(r));
        int nf = PQnfields(r);
        if (nf > st->ncols_alloc) {
            pg_col *cols = realloc(st->cols, (size_t)nf * sizeof *cols);
            if (!cols)
                return ws_fail(WS_ENOMEM, NULL, "out of memory");
            for (int i = st->ncols_alloc; i < nf; i++)
                cols[i] = (pg_col){NULL, 0, 0, -1};
            st->cols = cols;
            st->ncols_alloc = nf;
        }
        return WS_OK;
    }
    ws_err rc = pg_error(c->pc, r, "step", sql);
    /* A statement that no longer matches the schema is re-prepared next time. */
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (st->cached && state && (!strcmp(state, "0A000") || !strcmp(state, "26000")))
        st->prepared = false;
    PQclear(r);
    return rc;
}

static ws_err pg_step(store_stmt *sst, bool *row)
{
    pg_stmt *st = PGS(sst);
    *row = false;
    if (st->done)
        return WS_OK;
    if (!st->res) {
        ws_err rc = execute(st);
        if (rc) {
            st->done = true;
            return rc;
        }
    }
    if (st->row + 1 < st->nrows) {
        st->row++;
        *row = true;
    } else {
        st->row = st->nrows;
        st->done = true;
    }
    return WS_OK;
}

static bool cell_ok(pg_stmt *st, int i)
{
    return st->res && i >= 0 && i < PQnfields(st->res) && st->row >= 0 && st->row < st->nrows;
}

static int pg_col_count(store_stmt *st) { return PGS(st)->res ? PQnfields(PGS(st)->res) : 0; }

static bool pg_col_null(store_stmt *sst, int i)
{
    pg_stmt *st = PGS(sst);
    return !cell_ok(st, i) || PQgetisnull(st->res, st->row, i);
}

static int64_t pg_col_int(store_stmt *sst, int i)
{
    pg_stmt *st = PGS(sst);
    if (pg_col_null(sst, i))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, i);
    if (v[0] == 't' && !v[1])
        return 1;
    if (v[0] == 'f' && !v[1])
        return 0;
    return strtoll(v, NULL, 10);
}

static double pg_col_double(store_stmt *sst, int i)
{
    pg_stmt *st = PGS(sst);
    if (pg_col_null(sst, i))
        return 0.0;
    return strtod(PQgetvalue(st->res, st->row, i), NULL);
}

static const char *pg_col_text(store_stmt *sst, int i)
{
    pg_stmt *st = PGS(sst);
    return cell_ok(st, i) ? PQgetvalue(st->res, st->row, i) : "";
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static const void *pg_col_blob(store_stmt *sst, int i, size_t *n)
{
    pg_stmt *st = PGS(sst);
    *n = 0;
    if (pg_col_null(sst, i))
        return NULL;
    const char *v = PQgetvalue(st->res, st->row, i);
    size_t len = (size_t)PQgetlength(st->res, st->row, i);
    if (PQftype(st->res, i) != OID_BYTEA) {
        *n = len;
        return v;
    }
    pg_col *col = &st->cols[i];
    if (col->dec_row != st->row) {
        size_t need;
        if (len >= 2 && v[0] == '\\' && v[1] == 'x') {
            need = (len - 2) / 2;
            if (col->dec_cap < need + 1) {
                unsigned char *d = realloc(col->dec, need + 1);
                if (!d)
                    return NULL;
                col->dec = d;
                col->dec_cap = need + 1;
            }
            for (size_t k = 0; k < need; k++) {
                int hi = hexval(v[2 + 2 * k]), lo = hexval(v[3 + 2 * k]);
                if (hi < 0 || lo < 0)
                    return NULL;
                col->dec[k] = (unsigned char)(hi << 4 | lo);
            }
        } else {
            /* Escape format (bytea_output = escape). */
            size_t m = 0;
            unsigned char *u = PQunescapeBytea((const unsigned char *)v, &m);
            if (!u)
                return NULL;
            need = m;
            if (col->dec_cap < need + 1) {
                unsigned char *d = realloc(col->dec, need + 1);
                if (!d) {
                    PQfreemem(u);
                    return NULL;
                }
                col->dec = d;
                col->dec_cap = need + 1;
            }
            memcpy(col->dec, u, m);
            PQfreemem(u);
        }
        col->dec_len = need;
        col->dec_row = st->row;
    }
    *n = col->dec_len;
    return col->dec_len ? (const void *)col->dec : (const void *)empty_blob;
}

static int64_t pg_changes(store_stmt *st) { return PGS(st)->changes; }

static ws_err pg_reset(store_stmt *sst)
{
    pg_stmt *st = PGS(sst);
    stmt_clear_result(st);
    stmt_clear_binds(st);
    return WS_OK;
}

static void pg_finalize(store_stmt *sst)
{
    pg_stmt *st = PGS(sst);
    if (st->cached) {
        stmt_clear_result(st);
        stmt_clear_binds(st);
        st->in_use = false;
        return;
    }
    pg_stmt_destroy(st);
}

/* ---- backup and restore -------------------------------------------------------------- */

/* Split a URL's password off: *clean (caller frees) is the URL without it,
 * *password (caller frees, may be NULL) the percent-decoded password. */
static ws_err split_password(const char *url, char **clean, char **password)
{
    *clean = NULL;
    *password = NULL;
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    const char *end = auth + strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    const char *colon = NULL;
    if (at)
        for (const char *p = auth; p < at; p++)
            if (*p == ':') {
                colon = p;
                break;
            }
    if (!colon) {
        *clean = strdup(url);
        return *clean ? WS_OK : ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    size_t plen = (size_t)(at - colon - 1);
    char *pw = malloc(plen + 1), *out = malloc(strlen(url) + 1);
    if (!pw || !out) {
        free(pw);
        free(out);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    size_t k = 0;
    for (const char *p = colon + 1; p < at; p++) {
        if (*p == '%' && p + 2 < at + 1 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            pw[k++] = (char)(hexval(p[1]) << 4 | hexval(p[2]));
            p += 2;
        } else {
            pw[k++] = *p;
        }
    }
    pw[k] = 0;
    size_t head = (size_t)(colon - url);
    memcpy(out, url, head);
    strcpy(out + head, at);
    *clean = out;
    *password = pw;
    return WS_OK;
}

static ws_err run_pg_tool(const char *tool, const char *url, const char *const *opts, const char *file)
{
    char *clean = NULL, *pw = NULL, *dbarg = NULL;
    ws_err rc = split_password(url, &clean, &pw);
    if (rc)
        return rc;
    if (asprintf(&dbarg, "--dbname=%s", clean) < 0) {
        dbarg = NULL;
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto done;
    }
    const char *argv[16];
    int n = 0;
    argv[n++] = tool;
    for (; *opts && n < 12; opts++)
        argv[n++] = *opts;
    argv[n++] = dbarg;
    if (file)
        argv[n++] = file;
    argv[n] = NULL;
    rc = store_run_tool(argv, pw);
done:
    if (pw)
        memset(pw, 0, strlen(pw));
    free(pw);
    free(clean);
    free(dbarg);
    return rc;
}

static ws_err pg_backup(store *s, const char *dest)
{
    char *filearg = NULL;
    if (asprintf(&filearg, "--file=%s", dest) < 0)
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    const char *opts[] = {"--format=custom", filearg, NULL};
    ws_err rc = run_pg_tool("pg_dump", s->target, opts, NULL);
    free(filearg);
    if (!rc)
        log_info("backup written", "engine", "postgres", "path", dest);
    return rc;
}

static ws_err pg_restore_db(const char *target, const char *src)
{
    const char *opts[] = {"--clean", "--if-exists", "--no-owner", "--single-transaction",
                          "--exit-on-error", NULL};
    ws_err rc = run_pg_tool("pg_restore", target, opts, src);
    if (!rc)
        log_info("database restored", "engine", "postgres", "from", src);
    return rc;
}

const store_ops store_pg_ops = {
    .name = "postgres",
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .conn_check = pg_conn_check,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .prepare = pg_prepare,
    .bind_int = pg_bind_int,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_count = pg_col_count,
    .col_null = pg_col_null,
    .col_int = pg_col_int,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .backup = pg_backup,
    .restore = pg_restore_db,
    .sql_has_version_table = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
                             "current_schema() AND tablename = 'schema_version'",
};
