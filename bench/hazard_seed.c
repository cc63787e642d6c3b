/* hazard_seed.c — bulk generation of hidden dangers for `make bench-hazards`
 * (bench/hazards.c) and the 10,000-hazard ledger test
 * (tests/integration/test_hazard_ledger.c), which both #include it.
 *
 * hazard_seed() writes N hidden dangers into a worksafe database that `init`
 * and the API already seeded (a SQLite file path or a postgres:// URL): N
 * workflow_instances rows (key "hazard", the given definition version), N
 * hazards rows mirroring them and their hazard_terms, with set-based SQL (a
 * recursive CTE on SQLite, generate_series on PostgreSQL) in one
 * transaction (defv 0: the newest version already pinned by a reported
 * hazard). Titles come from a Chinese vocabulary (place + object +
 * problem: 3,000 titles) and 20 locations; the terms of every (title,
 * location) pair are computed with the server's own hazard_terms_of() and
 * joined in, plus the terms of the code YH-<year>-<id>, exactly the rows
 * hazard_report writes. Time runs over the last three years, ids newest
 * last; hazards older than 60 days are almost all closed, the lingering open
 * ones are past their deadline and marked overdue=1 (the server's overdue
 * timer finds nothing left to do); grades 3% 重大, none before assessment.
 * Instances get due_at NULL, so no SLA escalation runs on them, and data
 * holds only the grade. No audit leaves are written: this is load, not
 * history. SQL lives here, outside src/store, because it never runs in the
 * server. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hazard/hazard.h"

static void die(const char *fmt, const char *a)
{
    fprintf(stderr, "hazards: ");
    fprintf(stderr, fmt, a ? a : "");
    fputc('\n', stderr);
    exit(1);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ vocabulary */

static const char *const PLACES[] = {"一号", "二号", "三号", "东侧", "西侧",
                                     "南侧", "北侧", "二层", "顶部", "底部"};
/* object, GB 6441 accident type, GB/T 13861 top class */
static const struct { const char *name, *type, *factor; } OBJECTS[] = {
    {"储罐", "17", "2"},     {"法兰", "08", "2"},       {"安全阀", "17", "2"},
    {"压力表", "17", "2"},   {"消防栓", "08", "4"},     {"灭火器", "08", "4"},
    {"配电箱", "05", "2"},   {"接地线", "05", "2"},     {"输送管道", "08", "2"},
    {"阀门", "19", "2"},     {"离心泵", "03", "2"},     {"疏散通道", "20", "3"},
    {"防护栏杆", "09", "2"}, {"呼吸阀", "08", "2"},     {"静电接地", "08", "2"},
    {"可燃气体报警器", "18", "2"}, {"洗眼器", "07", "4"}, {"电缆桥架", "05", "2"},
    {"脚手架", "09", "1"},   {"叉车", "02", "1"},
};
static const char *const PROBLEMS[] = {"泄漏", "锈蚀", "螺栓松动", "过期未校验", "堆放杂物",
                                       "损坏", "缺失", "接地不良", "标识不清", "压力异常",
                                       "未关闭", "超期未检", "被占用", "渗漏", "老化"};
static const char *const LOCATIONS[] = {
    "甲类罐区", "装车站", "泵房", "配电室", "中控室", "危化品仓库", "污水处理站",
    "锅炉房", "空压站", "办公楼", "化验室", "循环水站", "火炬区", "原料库",
    "成品库", "维修车间", "消防站", "变电所", "门卫", "停车场"};
#define NP (int)(sizeof PLACES / sizeof PLACES[0])
#define NO (int)(sizeof OBJECTS / sizeof OBJECTS[0])
#define NR (int)(sizeof PROBLEMS / sizeof PROBLEMS[0])
#define NT (NP * NO * NR) /* 3,000 titles */
#define NL (int)(sizeof LOCATIONS / sizeof LOCATIONS[0])

static void title_of(int t, char *out, size_t cap, int *object)
{
    int p = t % NP, o = (t / NP) % NO, r = t / (NP * NO);
    snprintf(out, cap, "%s%s%s", PLACES[p], OBJECTS[o].name, PROBLEMS[r]);
    *object = o;
}

/* The distinct terms of title t and location l, as write_terms builds them
 * (terms of each text, in order, duplicates dropped). */
static int combo_terms(int t, int l, char (*out)[64], int max)
{
    char title[160], part[64][64];
    int o, n = 0;
    title_of(t, title, sizeof title, &o);
    const char *texts[] = {title, LOCATIONS[l]};
    for (int k = 0; k < 2; k++) {
        int m = hazard_terms_of(texts[k], part, 64);
        for (int j = 0; j < m; j++) {
            bool dup = false;
            for (int i = 0; i < n && !dup; i++) dup = !strcmp(out[i], part[j]);
            if (!dup && n < max) memcpy(out[n++], part[j], 64);
        }
    }
    return n;
}

/* ------------------------------------------------------------- databases */

typedef struct db {
    sqlite3 *lite;
    PGconn *pg;
} db;

static void db_exec(db *d, const char *sql)
{
    if (d->lite) {
        char *err = NULL;
        if (sqlite3_exec(d->lite, sql, NULL, NULL, &err) != SQLITE_OK) {
            fprintf(stderr, "SQL: %.300s\n", sql);
            die("sqlite: %s", err);
        }
        return;
    }
    PGresult *r = PQexec(d->pg, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        fprintf(stderr, "SQL: %.300s\n", sql);
        die("postgres: %s", PQerrorMessage(d->pg));
    }
    PQclear(r);
}

static long long db_int(db *d, const char *sql)
{
    long long v = 0;
    if (d->lite) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK)
            die("sqlite: %s", sqlite3_errmsg(d->lite));
        if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    }
    PGresult *r = PQexec(d->pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) die("postgres: %s", PQerrorMessage(d->pg));
    if (PQntuples(r) > 0) v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* Rows of a small table, tab-separated fields, one per line: a COPY on
 * PostgreSQL, one prepared INSERT per row on SQLite. */
static void db_load(db *d, const char *table, int ncols, const char *rows)
{
    char sql[256];
    if (d->pg) {
        snprintf(sql, sizeof sql, "COPY %s FROM STDIN", table);
        PGresult *r = PQexec(d->pg, sql);
        if (PQresultStatus(r) != PGRES_COPY_IN) die("postgres: %s", PQerrorMessage(d->pg));
        PQclear(r);
        if (PQputCopyData(d->pg, rows, (int)strlen(rows)) != 1 || PQputCopyEnd(d->pg, NULL) != 1)
            die("postgres: %s", PQerrorMessage(d->pg));
        r = PQgetResult(d->pg);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) die("postgres: %s", PQerrorMessage(d->pg));
        PQclear(r);
        while ((r = PQgetResult(d->pg))) PQclear(r);
        return;
    }
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (?%s)", table,
             ncols == 4 ? ",?,?,?" : ncols == 3 ? ",?,?" : ",?");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK)
        die("sqlite: %s", sqlite3_errmsg(d->lite));
    for (const char *p = rows; *p;) {
        const char *eol = strchr(p, '\n');
        sqlite3_reset(st);
        for (int c = 1; c <= ncols; c++) {
            size_t k = strcspn(p, c == ncols ? "\n" : "\t");
            sqlite3_bind_text(st, c, p, (int)k, SQLITE_TRANSIENT);
            p += k + (c == ncols ? 0 : 1);
        }
        if (sqlite3_step(st) != SQLITE_DONE) die("sqlite: %s", sqlite3_errmsg(d->lite));
        p = eol + 1;
    }
    sqlite3_finalize(st);
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

__attribute__((format(printf, 2, 3))) static void sb_add(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (b->p && (size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) die("out of memory%s", "");
    }
}

#define DAY 86400000LL

/* Generate n hazards into target (a SQLite file or a postgres:// URL) whose
 * instances pin version defv of the hazard lifecycle, at the units of the
 * comma-separated list units. Progress goes to stderr unless quiet. Returns
 * the count of hazards in the database; exits on any error. */
static long long hazard_seed(const char *target, long long n, long long defv, const char *units,
                             bool quiet, double *secs)
{
    if (n < 1 || defv < 0) die("bad N or DEF_VERSION%s", "");
    db d = {0};
    bool pg = strncmp(target, "postgres", 8) == 0;
    if (pg) {
        d.pg = PQconnectdb(target);
        if (PQstatus(d.pg) != CONNECTION_OK) die("postgres: %s", PQerrorMessage(d.pg));
        /* Bulk load: no FK triggers (the rows are consistent by construction),
         * memory for the index builds. */
        db_exec(&d, "SET session_replication_role = replica; SET maintenance_work_mem = '1GB'; "
                    "SET work_mem = '256MB'; SET synchronous_commit = off");
    } else {
        if (sqlite3_open(target, &d.lite) != SQLITE_OK) die("cannot open %s", target);
        db_exec(&d, "PRAGMA busy_timeout = 10000; PRAGMA synchronous = OFF; "
                    "PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY");
    }
    double t0 = now_s();
    db_exec(&d, "BEGIN");
    if (!defv) /* the version the reported hazards pin */
        defv = db_int(&d, "SELECT MAX(def_version) FROM workflow_instances WHERE wf_key = 'hazard'");
    if (defv < 1) die("no hazard lifecycle version yet: report one hazard first%s", "");
    long long hbase = db_int(&d, "SELECT COALESCE(MAX(id), 0) FROM hazards");
    long long ibase = db_int(&d, "SELECT COALESCE(MAX(id), 0) FROM workflow_instances");

    /* Vocabulary tables. */
    db_exec(&d, "CREATE TEMP TABLE bench_units (no BIGINT PRIMARY KEY, unit_id BIGINT)");
    db_exec(&d, "CREATE TEMP TABLE bench_titles (no BIGINT PRIMARY KEY, title TEXT, "
                "accident_type TEXT, factor TEXT)");
    db_exec(&d, "CREATE TEMP TABLE bench_locs (no BIGINT PRIMARY KEY, loc TEXT)");
    db_exec(&d, "CREATE TEMP TABLE bench_ct (combo BIGINT, term TEXT)");
    sbuf b = {0};
    int nunits = 0;
    for (const char *p = units; *p;) {
        sb_add(&b, "%d\t%lld\n", nunits++, atoll(p));
        p += strcspn(p, ",");
        if (*p) p++;
    }
    db_load(&d, "bench_units", 2, b.p);
    b.n = 0;
    for (int t = 0; t < NT; t++) {
        char title[160];
        int o;
        title_of(t, title, sizeof title, &o);
        sb_add(&b, "%d\t%s\t%s\t%s\n", t, title, OBJECTS[o].type, OBJECTS[o].factor);
    }
    db_load(&d, "bench_titles", 4, b.p);
    b.n = 0;
    for (int l = 0; l < NL; l++) sb_add(&b, "%d\t%s\n", l, LOCATIONS[l]);
    db_load(&d, "bench_locs", 2, b.p);
    b.n = 0;
    long long nct = 0;
    for (int t = 0; t < NT; t++)
        for (int l = 0; l < NL; l++) {
            char terms[64][64];
            int k = combo_terms(t, l, terms, 64);
            for (int i = 0; i < k; i++) sb_add(&b, "%d\t%s\n", t * NL + l, terms[i]);
            nct += k;
        }
    db_load(&d, "bench_ct", 2, b.p);
    db_exec(&d, "CREATE INDEX bench_ct_combo ON bench_ct(combo)");
    free(b.p);
    b = (sbuf){0};
    if (!quiet) fprintf(stderr, "hazards: vocabulary %d titles x %d locations, %lld terms (%.1f s)\n", NT, NL,
            nct, now_s() - t0);

    /* One row per hazard to be: place, text, state, dates. */
    int64_t now = (int64_t)time(NULL) * 1000;
    long long span = 3 * 365 * DAY, step = span / n;
    char series[256];
    if (pg)
        snprintf(series, sizeof series, "generate_series(1::bigint, %lld) AS s(i)", n);
    else
        snprintf(series, sizeof series,
                 "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %lld) "
                 "SELECT i FROM s) AS s", n);
    sb_add(&b,
           "CREATE TEMP TABLE bench_gen AS SELECT i, u, t, l, state, found_at, "
           " CASE WHEN state = 'reported' THEN NULL WHEN rg < 3 THEN 'major' ELSE 'general' END AS grade,"
           " CASE WHEN state IN ('assigned','rectifying','acceptance','closed') "
           "  THEN found_at + (7 + rd) * %lld END AS deadline,"
           " CASE WHEN state IN ('assigned','rectifying','acceptance') "
           "  AND found_at + (7 + rd) * %lld < %lld THEN 1 ELSE 0 END AS overdue,"
           " CASE WHEN state = 'closed' THEN CASE WHEN found_at + (3 + rd) * %lld < %lld "
           "  THEN found_at + (3 + rd) * %lld ELSE %lld END "
           "  WHEN state = 'rejected' THEN CASE WHEN found_at + %lld < %lld THEN found_at + %lld "
           "  ELSE %lld END END AS closed_at "
           "FROM (SELECT i, u, t, l, rg, rd, found_at, CASE WHEN %lld - found_at < %lld THEN "
           "  CASE WHEN rs < 80 THEN 'reported' WHEN rs < 130 THEN 'assessed' "
           "  WHEN rs < 230 THEN 'assigned' WHEN rs < 530 THEN 'rectifying' "
           "  WHEN rs < 630 THEN 'acceptance' WHEN rs < 650 THEN 'rejected' ELSE 'closed' END "
           " ELSE CASE WHEN rs < 12 THEN 'rectifying' WHEN rs < 15 THEN 'assigned' "
           "  WHEN rs < 20 THEN 'acceptance' WHEN rs < 50 THEN 'rejected' ELSE 'closed' END "
           " END AS state "
           "FROM (SELECT i, ((i * 2654435761) %% 4294967311) %% %d AS u, "
           "  ((i * 40503 + 17) %% 1000003) %% %d AS t, ((i * 69069 + 1) %% 999983) %% %d AS l, "
           "  ((i * 1103515245 + 12345) %% 2147483648) %% 1000 AS rs, "
           "  (((i * 1103515245 + 12345) %% 2147483648) / 1000) %% 100 AS rg, "
           "  (((i * 1103515245 + 12345) %% 2147483648) / 100000) %% 24 AS rd, "
           "  %lld - (%lld - i) * %lld AS found_at FROM %s) a) b",
           DAY, DAY, (long long)now, DAY, (long long)now, DAY, (long long)now, DAY,
           (long long)now, DAY, (long long)now, (long long)now, 60 * DAY, nunits, NT, NL,
           (long long)now, n, step, series);
    db_exec(&d, b.p);
    b.n = 0;
    if (!quiet) fprintf(stderr, "hazards: plan of %lld hazards (%.1f s)\n", n, now_s() - t0);

    sb_add(&b,
           "INSERT INTO workflow_instances (id, wf_key, def_version, unit_id, state, data, "
           "entered_at, due_at, escalations, created_at, updated_at) "
           "SELECT %lld + g.i, 'hazard', %lld, bu.unit_id, g.state, "
           "CASE WHEN g.grade IS NULL THEN '{}' ELSE '{\"grade\":\"' || g.grade || '\"}' END, "
           "COALESCE(g.closed_at, g.found_at), NULL, 0, g.found_at, COALESCE(g.closed_at, g.found_at) "
           "FROM bench_gen g JOIN bench_units bu ON bu.no = g.u",
           ibase, defv);
    db_exec(&d, b.p);
    b.n = 0;
    if (!quiet) fprintf(stderr, "hazards: workflow_instances (%.1f s)\n", now_s() - t0);
    sb_add(&b,
           "INSERT INTO hazards (id, unit_id, instance_id, title, accident_type, hazard_factor, "
           "location, source, found_at, grade, state, deadline, overdue, created_at, updated_at, "
           "closed_at) "
           "SELECT %lld + g.i, bu.unit_id, %lld + g.i, bt.title, bt.accident_type, bt.factor, "
           "bl.loc, 'report', g.found_at, g.grade, g.state, g.deadline, g.overdue, g.found_at, "
           "COALESCE(g.closed_at, g.found_at), g.closed_at "
           "FROM bench_gen g JOIN bench_units bu ON bu.no = g.u JOIN bench_titles bt ON bt.no = g.t "
           "JOIN bench_locs bl ON bl.no = g.l",
           hbase, ibase);
    db_exec(&d, b.p);
    b.n = 0;
    if (!quiet) fprintf(stderr, "hazards: hazards (%.1f s)\n", now_s() - t0);

    /* Terms: the secondary index is dropped for the load and rebuilt with
     * the definition of migration 5 (on PostgreSQL the primary key too). */
    db_exec(&d, "DROP INDEX hazard_terms_hazard");
    if (pg) db_exec(&d, "ALTER TABLE hazard_terms DROP CONSTRAINT hazard_terms_pkey");
    const char *year = pg ? "to_char(to_timestamp(g.found_at / 1000 + 28800) AT TIME ZONE 'UTC', 'YYYY')"
                          : "strftime('%Y', g.found_at / 1000 + 28800, 'unixepoch')";
    char id6s[256]; /* the id in the code, "%06lld" as hazard_code prints it */
    if (pg)
        snprintf(id6s, sizeof id6s, "lpad((%lld + g.i)::text, GREATEST(6, length((%lld + g.i)::text)), '0')",
                 hbase, hbase);
    else
        snprintf(id6s, sizeof id6s, "printf('%%06d', %lld + g.i)", hbase);
    sb_add(&b,
           "INSERT INTO hazard_terms (term, hazard_id) "
           "SELECT ct.term, %lld + g.i FROM bench_gen g JOIN bench_ct ct ON ct.combo = g.t * %d + g.l "
           "UNION ALL SELECT 'yh', %lld + g.i FROM bench_gen g "
           "UNION ALL SELECT %s, %lld + g.i FROM bench_gen g "
           "UNION ALL SELECT %s, %lld + g.i FROM bench_gen g",
           hbase, NL, hbase, year, hbase, id6s, hbase);
    db_exec(&d, b.p);
    b.n = 0;
    if (!quiet) fprintf(stderr, "hazards: hazard_terms (%.1f s)\n", now_s() - t0);
    if (pg) db_exec(&d, "ALTER TABLE hazard_terms ADD CONSTRAINT hazard_terms_pkey "
                        "PRIMARY KEY (term, hazard_id)");
    db_exec(&d, "CREATE INDEX hazard_terms_hazard ON hazard_terms(hazard_id)");
    if (pg) {
        db_exec(&d, "SELECT setval(pg_get_serial_sequence('hazards', 'id'), "
                    "(SELECT MAX(id) FROM hazards))");
        db_exec(&d, "SELECT setval(pg_get_serial_sequence('workflow_instances', 'id'), "
                    "(SELECT MAX(id) FROM workflow_instances))");
    }
    db_exec(&d, "DROP TABLE bench_gen; DROP TABLE bench_ct; DROP TABLE bench_titles; "
                "DROP TABLE bench_locs; DROP TABLE bench_units");
    db_exec(&d, "COMMIT");
    if (!quiet) fprintf(stderr, "hazards: indexes rebuilt, committed (%.1f s)\n", now_s() - t0);
    if (pg) db_exec(&d, "VACUUM (ANALYZE) hazards");
    if (pg) db_exec(&d, "VACUUM (ANALYZE) hazard_terms");
    if (pg) db_exec(&d, "VACUUM (ANALYZE) workflow_instances");
    long long rows = db_int(&d, "SELECT COUNT(*) FROM hazards");
    long long terms = db_int(&d, "SELECT COUNT(*) FROM hazard_terms");
    if (!quiet) fprintf(stderr, "hazards: %lld hazards, %lld terms (%.1f s)\n", rows, terms, now_s() - t0);
    free(b.p);
    if (secs) *secs = now_s() - t0;
    if (d.pg) PQfinish(d.pg);
    if (d.lite) sqlite3_close(d.lite);
    return rows;
}

