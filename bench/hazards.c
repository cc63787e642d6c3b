/* hazards.c — the C half of `make bench-hazards` (bench/hazards.sh drives it).
 *
 * Four commands, linked with the release library build/rel/libworksafe.a so
 * that the tokeniser (hazard_terms_of) and the list SQL (Q_HAZARD_LIST_*) are
 * the server's own, not copies:
 *
 *   hazards seed DB N DEF_VERSION UNIT_ID,UNIT_ID,...
 *       Bulk-generate N hidden dangers (bench/hazard_seed.c says how) and
 *       print "ROWS SECONDS".
 *   hazards http BASE TOKEN PATH CONC SECONDS
 *       CONC threads, each a keep-alive libcurl handle, GET BASE+PATH with the
 *       bearer token for SECONDS; every reply must be 200 with a JSON page.
 *       Prints "rps=N p99_ms=N items=N" (items of the first page).
 *   hazards ceiling-sqlite FILE QUERY CONC SECONDS PATH [ARG]
 *       The same SQL (the Q_HAZARD_LIST_* text) with the same parameters the
 *       server binds, run directly on SQLite by CONC threads each with its own
 *       connection (no server, no HTTP), stepping and reading every row.
 *       Prints "rps=N p99_ms=N rows=N".
 *   hazards sql QUERY PATH [ARG]
 *       That SQL with its $n replaced by the same parameters as literals, for
 *       pgbench -f (the PostgreSQL ceiling).
 *
 * QUERY is "state" (ARG a state: Q_HAZARD_LIST_STATE), "overdue"
 * (Q_HAZARD_LIST_OVERDUE) or "terms" (ARG the text typed: Q_HAZARD_LIST_TERMS).
 * PATH is the unit-subtree path the server would bind as $1 (the caller's
 * scope narrowed to ?unit_id=). Bench code: SQL here is allowed outside
 * src/store, it never runs in the server. */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hazard/hazard.h"
#include "core/buf.h"
#include "store/q_hazard.h"
#include "store/store_be.h"

#include "hazard_seed.c"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_seed(int argc, char **argv)
{
    if (argc != 6) die("usage: hazards seed DB N DEF_VERSION UNIT_ID,...%s", "");
    double secs = 0;
    long long rows = hazard_seed(argv[2], atoll(argv[3]), atoll(argv[4]), argv[5], false, &secs);
    printf("%lld %.0f\n", rows, secs);
    return 0;
}

/* ------------------------------------------------- the queries' parameters */

typedef struct qparams {
    const char *sql;
    int n;
    bool is_int[17];
    char val[17][200];
} qparams;

/* The parameters hazard_list binds for this query (see src/hazard/hazard.c). */
static void params_of(const char *query, const char *path, const char *arg, qparams *q)
{
    memset(q, 0, sizeof *q);
    snprintf(q->val[0], 200, "%s", path);
    snprintf(q->val[1], 200, "%s", "");
    q->is_int[2] = q->is_int[3] = q->is_int[4] = true;
    snprintf(q->val[2], 200, "0");
    snprintf(q->val[3], 200, "0");
    snprintf(q->val[4], 200, "51"); /* page size 50, one more to know there is a next */
    if (!strcmp(query, "state")) {
        q->sql = Q_HAZARD_LIST_STATE;
        q->n = 6;
        snprintf(q->val[5], 200, "%s", arg ? arg : "rectifying");
    } else if (!strcmp(query, "overdue")) {
        q->sql = Q_HAZARD_LIST_OVERDUE;
        q->n = 6;
    } else if (!strcmp(query, "terms")) {
        q->sql = Q_HAZARD_LIST_TERMS;
        q->n = 15;
        char terms[4][64];
        int nt = hazard_terms_of(arg ? arg : "", terms, 4);
        if (!nt) die("no terms in %s", arg);
        for (int i = 0; i < 4; i++) snprintf(q->val[5 + i], 200, "%s", terms[i < nt ? i : nt - 1]);
        int np = 0;
        for (const char *p = arg; *p && np < 4;) { /* like_of() of each word */
            while (*p == ' ' || *p == '\t') p++;
            size_t k = strcspn(p, " \t");
            if (k) {
                char *o = q->val[9 + np++];
                size_t m = 0;
                o[m++] = '%';
                for (size_t i = 0; i < k && m + 3 < 160; i++) {
                    char ch = p[i];
                    if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
                    if (ch == '%' || ch == '_' || ch == '!') o[m++] = '!';
                    o[m++] = ch;
                }
                o[m++] = '%';
                o[m] = 0;
            }
            p += k;
        }
        for (int i = np; i < 4; i++) snprintf(q->val[9 + i], 200, "%%");
        snprintf(q->val[13], 200, "%s", "");
        q->is_int[14] = q->is_int[15] = q->is_int[16] = true;
        snprintf(q->val[14], 200, "0");
        /* The first window of the first term's postings, as hazard_list
         * walks them: [lo, hi) with lo from Q_HAZARD_TERM_WINDOW (hazards.sh
         * looks it up and passes it in WS_BENCH_TERM_LO). */
        q->n = 17;
        snprintf(q->val[15], 200, "%lld", (long long)INT64_MAX);
        const char *lo = getenv("WS_BENCH_TERM_LO");
        snprintf(q->val[16], 200, "%s", lo && *lo ? lo : "0");
    } else {
        die("unknown query %s (state, overdue, terms)", query);
    }
}

static int cmd_sql(int argc, char **argv)
{
    if (argc < 4) die("usage: hazards sql QUERY PATH [ARG]%s", "");
    qparams q;
    params_of(argv[2], argv[3], argc > 4 ? argv[4] : NULL, &q);
    for (const char *p = q.sql; *p;) {
        if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            int k = 0;
            p++;
            while (*p >= '0' && *p <= '9') k = k * 10 + (*p++ - '0');
            if (k < 1 || k > q.n) die("parameter out of range in %s", q.sql);
            if (q.is_int[k - 1]) {
                fputs(q.val[k - 1], stdout);
            } else {
                putchar('\'');
                for (const char *v = q.val[k - 1]; *v; v++) {
                    if (*v == '\'') putchar('\'');
                    putchar(*v);
                }
                putchar('\'');
            }
        } else {
            putchar(*p++);
        }
    }
    puts(";");
    return 0;
}

/* ------------------------------------------------------------ load runner */

typedef struct worker {
    pthread_t th;
    const char *url, *auth; /* http */
    const char *file;       /* sqlite */
    const char *sql;        /* sqlite: the text as store_sqlite compiles it ($n -> ?n) */
    const qparams *q;
    double until;
    double *lat;
    size_t n, cap;
    long long rows, errors, first_items;
    char err[300];
} worker;

static void record(worker *w, double dt)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
        if (!w->lat) die("out of memory%s", "");
    }
    w->lat[w->n++] = dt;
}

typedef struct body {
    char *p;
    size_t n;
} body;

static size_t on_body(char *d, size_t sz, size_t nm, void *u)
{
    body *b = u;
    size_t k = sz * nm;
    char *p = realloc(b->p, b->n + k + 1);
    if (!p) return 0;
    memcpy(p + b->n, d, k);
    b->p = p;
    b->n += k;
    p[b->n] = 0;
    return k;
}

static void *http_worker(void *arg)
{
    worker *w = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, w->auth);
    body b = {0};
    curl_easy_setopt(h, CURLOPT_URL, w->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    w->first_items = -1;
    while (now_s() < w->until) {
        b.n = 0;
        double t = now_s();
        CURLcode cc = curl_easy_perform(h);
        double dt = now_s() - t;
        long st = 0;
        if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        if (st != 200 || !b.p || strncmp(b.p, "{", 1)) {
            if (!w->errors++)
                snprintf(w->err, sizeof w->err, "status %ld curl %d: %.200s", st, (int)cc,
                         b.p && b.n ? b.p : "");
            continue;
        }
        if (w->first_items < 0) { /* count the items of the first page */
            long long k = 0;
            for (const char *p = b.p; (p = strstr(p, "\"code\":\"YH-")); p++) k++;
            w->first_items = k;
        }
        record(w, dt);
    }
    free(b.p);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return NULL;
}

static void *sqlite_worker(void *arg)
{
    worker *w = arg;
    sqlite3 *lite = NULL;
    sqlite3_stmt *st = NULL;
    /* As the server opens it (store_sqlite.c), read-write, WAL. */
    if (sqlite3_open_v2(w->file, &lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(lite, "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;", NULL, NULL, NULL) ||
        sqlite3_prepare_v3(lite, w->sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        snprintf(w->err, sizeof w->err, "%s", sqlite3_errmsg(lite));
        w->errors++;
        sqlite3_close(lite);
        return NULL;
    }
    w->first_items = -1;
    while (now_s() < w->until) {
        double t = now_s();
        sqlite3_reset(st);
        for (int i = 0; i < w->q->n; i++) {
            if (w->q->is_int[i])
                sqlite3_bind_int64(st, i + 1, atoll(w->q->val[i]));
            else
                sqlite3_bind_text(st, i + 1, w->q->val[i], -1, SQLITE_STATIC);
        }
        long long k = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            int nc = sqlite3_column_count(st);
            for (int c = 0; c < nc; c++) /* read every column, as read_row does */
                if (sqlite3_column_type(st, c) == SQLITE_TEXT) (void)sqlite3_column_text(st, c);
                else (void)sqlite3_column_int64(st, c);
            k++;
        }
        double dt = now_s() - t;
        if (r != SQLITE_DONE) {
            if (!w->errors++) snprintf(w->err, sizeof w->err, "step %d: %s", r, sqlite3_errmsg(lite));
            continue;
        }
        if (w->first_items < 0) w->first_items = k;
        w->rows += k;
        record(w, dt);
    }
    sqlite3_finalize(st);
    sqlite3_close(lite);
    return NULL;
}

/* Run conc workers for secs (after a 1 s warm-up run of the same) and print
 * "rps=N p99_ms=N items=N". */
static int run(worker *proto, void *(*fn)(void *), int conc, double secs)
{
    if (conc < 1 || conc > 64 || secs <= 0) die("bad concurrency or duration%s", "");
    worker ws[64];
    for (int pass = 0; pass < 2; pass++) {
        double len = pass ? secs : 1.0;
        double start = now_s();
        for (int i = 0; i < conc; i++) {
            ws[i] = *proto;
            ws[i].until = start + len;
            if (pthread_create(&ws[i].th, NULL, fn, &ws[i])) die("pthread_create%s", "");
        }
        for (int i = 0; i < conc; i++) pthread_join(ws[i].th, NULL);
        double el = now_s() - start;
        if (!pass) {
            for (int i = 0; i < conc; i++) free(ws[i].lat);
            continue;
        }
        size_t total = 0;
        long long errors = 0, items = -1;
        for (int i = 0; i < conc; i++) {
            total += ws[i].n;
            errors += ws[i].errors;
            if (ws[i].errors) fprintf(stderr, "hazards: %s\n", ws[i].err);
            if (items < 0) items = ws[i].first_items;
        }
        double *all = malloc((total ? total : 1) * sizeof *all);
        size_t k = 0;
        for (int i = 0; i < conc; i++) {
            memcpy(all + k, ws[i].lat, ws[i].n * sizeof *all);
            k += ws[i].n;
            free(ws[i].lat);
        }
        qsort(all, total, sizeof *all, cmp_double);
        double p99 = total ? all[(size_t)((double)(total - 1) * 0.99)] * 1000 : 0;
        double p50 = total ? all[(total - 1) / 2] * 1000 : 0;
        free(all);
        printf("rps=%.0f p99_ms=%.2f p50_ms=%.2f items=%lld errors=%lld\n", (double)total / el,
               p99, p50, items, errors);
        if (errors || !total) return 1;
    }
    return 0;
}

static int cmd_http(int argc, char **argv)
{
    if (argc != 7) die("usage: hazards http BASE TOKEN PATH CONC SECONDS%s", "");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char url[2048], auth[200];
    snprintf(url, sizeof url, "%s%s", argv[2], argv[4]);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[3]);
    worker proto = {.url = url, .auth = auth};
    int rc = run(&proto, http_worker, atoi(argv[5]), atof(argv[6]));
    curl_global_cleanup();
    return rc;
}

static int cmd_ceiling_sqlite(int argc, char **argv)
{
    if (argc < 7) die("usage: hazards ceiling-sqlite FILE QUERY CONC SECONDS PATH [ARG]%s", "");
    qparams q;
    params_of(argv[3], argv[6], argc > 7 ? argv[7] : NULL, &q);
    buf sql = BUF_INIT(1024 * 1024);
    int np = 0;
    if (store_sql_scan(q.sql, &sql, &np) || np != q.n) die("cannot translate %s", q.sql);
    worker proto = {.file = argv[2], .q = &q, .sql = sql.data};
    return run(&proto, sqlite_worker, atoi(argv[4]), atof(argv[5]));
}

int main(int argc, char **argv)
{
    if (argc < 2) die("usage: hazards seed|http|ceiling-sqlite|sql ...%s", "");
    if (!strcmp(argv[1], "seed")) return cmd_seed(argc, argv);
    if (!strcmp(argv[1], "http")) return cmd_http(argc, argv);
    if (!strcmp(argv[1], "ceiling-sqlite")) return cmd_ceiling_sqlite(argc, argv);
    if (!strcmp(argv[1], "sql")) return cmd_sql(argc, argv);
    if (!strcmp(argv[1], "term0") && argc > 2) { /* the term a search walks */
        char t[4][64];
        if (!hazard_terms_of(argv[2], t, 4)) die("no terms in %s", argv[2]);
        printf("%s\n", t[0]);
        return 0;
    }
    die("unknown command %s", argv[1]);
    return 2;
}
