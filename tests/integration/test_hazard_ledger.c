/* test_hazard_ledger.c — the 隐患排查治理台账 of 10,000 hidden dangers, as a
 * safety office downloads it, over HTTP on SQLite and PostgreSQL:
 *  - ?format=xlsx as the admin is a valid workbook (read back with the import
 *    reader, org_table_read) named 隐患排查治理台账 with the ledger's header
 *    and exactly 10,000 data rows, newest first, numbered 1..10,000, the
 *    first-reported hazard last with its code, title, unit and state;
 *  - ?state=rectifying&format=csv has exactly as many rows as the database
 *    holds rectifying hazards, every one of them 整改中.
 * How the 10,000 get there: one hazard is reported through POST /hazards
 * (it makes the lifecycle version the others pin), the other 9,999 are
 * written straight into the running server's database by the generator of
 * `make bench-hazards` (bench/hazard_seed.c, included here): workflow
 * instances, hazard rows and search terms from the server's own tokeniser,
 * with set-based SQL. Reporting 10,000 through the API under the sanitizers
 * takes minutes per backend, which is what the bench's generator avoids; the
 * export under test reads whatever rows are in the table either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/common.h"
#include "org/org.h"

#include "../../bench/hazard_seed.c"

#define NHAZARDS 10000

/* A count straight from the server's database (SQLite file or PostgreSQL). */
static long long db_count(ws_server *s, const char *sql)
{
    db d = {0};
    char file[300];
    if (s->pg) {
        d.pg = PQconnectdb(s->db);
        assert_int_equal(PQstatus(d.pg), CONNECTION_OK);
    } else {
        snprintf(file, sizeof file, "%s/worksafe.db", s->dir);
        assert_int_equal(sqlite3_open(file, &d.lite), SQLITE_OK);
    }
    long long v = db_int(&d, sql);
    if (d.pg) PQfinish(d.pg);
    if (d.lite) sqlite3_close(d.lite);
    return v;
}

static const char *const HEADER[] = {"序号",     "隐患编号", "隐患名称", "所属单位", "具体位置",
                                     "事故类型", "隐患等级", "状态",     "是否超期", "挂牌督办",
                                     "发现时间", "报告人",   "整改责任人", "整改期限", "整改人",
                                     "验收人",   "销号时间"};
#define NCOLS (int)(sizeof HEADER / sizeof HEADER[0])

static void ledger_of_10000(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        char tok[65], body[512], units[64], target[600];
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        snprintf(body, sizeof body,
                 "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂区\"}", root);
        long long site = ws_post_id(&s, tok, "/api/v1/units", body);
        snprintf(body, sizeof body,
                 "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"A1\",\"name\":\"罐区\"}", site);
        long long area = ws_post_id(&s, tok, "/api/v1/units", body);
        snprintf(body, sizeof body,
                 "{\"unit_id\":%lld,\"title\":\"最早上报的储罐泄漏\",\"accident_type\":\"17\","
                 "\"location\":\"甲类罐区\"}", area);
        long long first = ws_post_id(&s, tok, "/api/v1/hazards", body);

        snprintf(units, sizeof units, "%lld,%lld", area, site);
        if (s.pg) snprintf(target, sizeof target, "%s", s.db);
        else snprintf(target, sizeof target, "%s/worksafe.db", s.dir);
        assert_int_equal(hazard_seed(target, NHAZARDS - 1, 0, units, true, NULL), NHAZARDS);

        /* XLSX: the whole ledger. */
        ws_file f;
        assert_int_equal(ws_fetch(&s, "/api/v1/hazards?format=xlsx", tok, NULL, 0, NULL, &f), 200);
        assert_string_equal(f.ctype,
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        /* filename*=UTF-8''隐患排查治理台账-YYYYMMDD.xlsx */
        assert_non_null(strstr(f.disp, "attachment; "));
        assert_non_null(strstr(f.disp, "%E9%9A%90%E6%82%A3%E6%8E%92%E6%9F%A5%E6%B2%BB%E7%90%86"
                                       "%E5%8F%B0%E8%B4%A6-20"));
        assert_non_null(strstr(f.disp, ".xlsx"));
        assert_true(f.n > 4);
        assert_memory_equal(f.p, "PK\x03\x04", 4);
        org_table t;
        assert_int_equal(org_table_read(f.p, f.n, 2 * NHAZARDS, &t), WS_OK);
        assert_true(t.nrows >= 1);
        assert_int_equal(t.rows[0].ncells, NCOLS);
        for (int i = 0; i < NCOLS; i++) assert_string_equal(t.rows[0].cells[i], HEADER[i]);
        assert_int_equal(t.nrows, 1 + NHAZARDS);
        assert_string_equal(t.rows[1].cells[0], "1");
        assert_string_equal(t.rows[NHAZARDS].cells[0], "10000");
        /* Newest first: the first-reported hazard is the last row. */
        char code[32];
        const char *last_code = t.rows[NHAZARDS].cells[1];
        snprintf(code, sizeof code, "-%06lld", first);
        assert_non_null(strstr(last_code, "YH-20"));
        assert_non_null(strstr(last_code, code));
        assert_string_equal(t.rows[NHAZARDS].cells[2], "最早上报的储罐泄漏");
        assert_string_equal(t.rows[NHAZARDS].cells[3], "罐区");
        assert_string_equal(t.rows[NHAZARDS].cells[4], "甲类罐区");
        assert_string_equal(t.rows[NHAZARDS].cells[7], "已上报");
        for (size_t i = 1; i < t.nrows; i++) {
            assert_true(t.rows[i].ncells >= 8 && t.rows[i].ncells <= NCOLS); /* trailing empties are not stored */
            assert_true(strncmp(t.rows[i].cells[1], "YH-20", 5) == 0);
            assert_true(t.rows[i].cells[2][0] != 0);
        }
        org_table_free(&t);
        free(f.p);

        /* CSV with the state filter: exactly the rectifying ones. */
        long long want = db_count(&s, "SELECT COUNT(*) FROM hazards WHERE state = 'rectifying'");
        assert_true(want > 100 && want < NHAZARDS / 2);
        assert_int_equal(ws_fetch(&s, "/api/v1/hazards?state=rectifying&format=csv", tok, NULL, 0, NULL, &f), 200);
        assert_string_equal(f.ctype, "text/csv; charset=utf-8");
        const char *head = "\xEF\xBB\xBF序号,隐患编号,隐患名称,所属单位,具体位置,事故类型,隐患等级,状态,"
                           "是否超期,挂牌督办,发现时间,报告人,整改责任人,整改期限,整改人,验收人,销号时间\r\n";
        assert_true(f.n > strlen(head));
        assert_memory_equal(f.p, head, strlen(head));
        long long rows = 0;
        for (char *p = f.p + strlen(head); *p;) {
            char *eol = strstr(p, "\r\n");
            assert_non_null(eol);
            *eol = 0;
            assert_non_null(strstr(p, ",整改中,"));
            rows++;
            p = eol + 2;
        }
        assert_int_equal(rows, want);
        free(f.p);

        assert_int_equal(ws_server_stop(&s), 0);
        ws_server_destroy(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(ledger_of_10000)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
