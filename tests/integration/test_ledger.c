/* test_ledger.c — ledger exports (台账) over HTTP on SQLite and PostgreSQL, as
 * a safety office would check the files it downloads:
 *  - 10,000 people imported through POST /imports/people; the admin's
 *    ?format=xlsx export of that site is a valid workbook (read back with the
 *    import reader) with the header and exactly 10,000 data rows, the phone
 *    column included; Content-Type and Content-Disposition (RFC 5987 name
 *    人员台账-YYYYMMDD.xlsx) as a browser needs them;
 *  - the same filters as the list: ?q= narrows the CSV to one person; the
 *    CSV starts with a BOM, has CRLF line ends and the Chinese headings;
 *  - a regulator scoped to another site gets its people only, without the
 *    手机 column, in both formats, and 404 for a unit outside the scope;
 *  - units and accounts export too; ?format=pdf is 400 naming "format"; a
 *    regulator may not export accounts (403, like the list). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "integration/common.h"
#include "org/org.h"

#define NPEOPLE 10000
#define REG_PW "Regulator-Pass-2026"

/* The header row of a table must be exactly these headings. */
static void assert_header(const org_table *t, const char *const *want, int n)
{
    assert_true(t->nrows >= 1);
    assert_int_equal(t->rows[0].ncells, n);
    for (int i = 0; i < n; i++) assert_string_equal(t->rows[0].cells[i], want[i]);
}

static const char *const WITH_PHONE[] = {"序号", "姓名", "工号", "单位", "部门",
                                         "岗位", "手机", "状态", "离职日期"};
static const char *const NO_PHONE[] = {"序号", "姓名", "工号", "单位", "部门",
                                       "岗位", "状态", "离职日期"};

static void people_ledgers(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        char tok[65], rtok[65], path[256], body[512];
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
        long long root = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
        json_decref(r);
        snprintf(body, sizeof body,
                 "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S1\",\"name\":\"一厂区\"}", root);
        long long s1 = ws_post_id(&s, tok, "/api/v1/units", body);
        snprintf(body, sizeof body,
                 "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"S2\",\"name\":\"二厂区\"}", root);
        long long s2 = ws_post_id(&s, tok, "/api/v1/units", body);
        snprintf(body, sizeof body,
                 "{\"unit_id\":%lld,\"name\":\"=CMD()\",\"employee_no\":\"Z-1\",\"phone\":\"13700000000\"}",
                 s2);
        ws_post_id(&s, tok, "/api/v1/people", body);

        /* 10,000 people into S1 through the import. */
        size_t cap = (size_t)NPEOPLE * 64 + 256, len = 0;
        char *csv = malloc(cap);
        assert_non_null(csv);
        len += (size_t)snprintf(csv + len, cap - len, "姓名,工号,手机,单位编码\r\n");
        for (int i = 1; i <= NPEOPLE; i++)
            len += (size_t)snprintf(csv + len, cap - len, "%s%05d,E%05d,139%08d,S1\r\n",
                                    i == 77 ? "王五" : "员工", i, i, i);
        ws_file imp;
        long st = ws_fetch(&s, "/api/v1/imports/people", tok, csv, len, "text/csv", &imp);
        free(csv);
        r = imp.p ? json_loads(imp.p, 0, NULL) : NULL;
        free(imp.p);
        if (st != 200) fail_msg("import -> %ld (%s %s)", st, ws_err_code_of(r), ws_err_field_of(r));
        assert_int_equal(json_integer_value(json_object_get(r, "created")), NPEOPLE);
        json_decref(r);

        /* Admin, XLSX, the site's 10,000 people. */
        ws_file f;
        snprintf(path, sizeof path, "/api/v1/people?unit_id=%lld&format=xlsx", s1);
        assert_int_equal(ws_fetch(&s, path, tok, NULL, 0, NULL, &f), 200);
        assert_string_equal(f.ctype,
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert_non_null(strstr(f.disp, "attachment; "));
        assert_non_null(strstr(f.disp, "filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%8F%B0%E8%B4%A6-20"));
        assert_non_null(strstr(f.disp, ".xlsx"));
        assert_memory_equal(f.p, "PK\x03\x04", 4);
        org_table t;
        assert_int_equal(org_table_read(f.p, f.n, 20000, &t), WS_OK);
        assert_header(&t, WITH_PHONE, 9);
        assert_int_equal(t.nrows, 1 + NPEOPLE);
        assert_string_equal(t.rows[1].cells[0], "1");
        assert_string_equal(t.rows[NPEOPLE].cells[0], "10000");
        assert_string_equal(t.rows[77].cells[1], "王五00077");
        assert_string_equal(t.rows[77].cells[2], "E00077");
        assert_string_equal(t.rows[77].cells[3], "一厂区");
        assert_string_equal(t.rows[77].cells[6], "13900000077");
        assert_string_equal(t.rows[77].cells[7], "在职");
        org_table_free(&t);
        free(f.p);

        /* Admin, CSV, the same filters as the list: q narrows to one. */
        snprintf(path, sizeof path, "/api/v1/people?unit_id=%lld&q=%%E7%%8E%%8B%%E4%%BA%%94&format=csv", s1);
        assert_int_equal(ws_fetch(&s, path, tok, NULL, 0, NULL, &f), 200);
        assert_string_equal(f.ctype, "text/csv; charset=utf-8");
        assert_non_null(strstr(f.disp, ".csv"));
        assert_string_equal(f.p, "\xEF\xBB\xBF序号,姓名,工号,单位,部门,岗位,手机,状态,离职日期\r\n"
                                 "1,王五00077,E00077,一厂区,,,13900000077,在职,\r\n");
        free(f.p);

        /* A regulator of S2: its people only, no phone column, formula guarded. */
        snprintf(body, sizeof body,
                 "{\"username\":\"reg2\",\"password\":\"%s\",\"roles\":[\"regulator\"],"
                 "\"scope_unit_id\":%lld}", REG_PW, s2);
        ws_post_id(&s, tok, "/api/v1/accounts", body);
        assert_int_equal(ws_login(&s, "reg2", REG_PW, rtok), 200);
        assert_int_equal(ws_fetch(&s, "/api/v1/people?format=csv", rtok, NULL, 0, NULL, &f), 200);
        assert_string_equal(f.p, "\xEF\xBB\xBF序号,姓名,工号,单位,部门,岗位,状态,离职日期\r\n"
                                 "1,'=CMD(),Z-1,二厂区,,,在职,\r\n");
        free(f.p);
        assert_int_equal(ws_fetch(&s, "/api/v1/people?format=xlsx", rtok, NULL, 0, NULL, &f), 200);
        assert_int_equal(org_table_read(f.p, f.n, 100, &t), WS_OK);
        assert_header(&t, NO_PHONE, 8);
        assert_int_equal(t.nrows, 2);
        assert_string_equal(t.rows[1].cells[1], "=CMD()"); /* a string cell, not a formula */
        assert_null(memmem(f.p, f.n, "13700000000", 11));
        org_table_free(&t);
        free(f.p);
        snprintf(path, sizeof path, "/api/v1/people?unit_id=%lld&format=xlsx", s1);
        assert_int_equal(ws_req(&s, "GET", path, rtok, NULL, &r), 404);
        json_decref(r);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/accounts?format=csv", rtok, NULL, &r), 403);
        json_decref(r);

        /* Units and accounts; a wrong format. */
        assert_int_equal(ws_fetch(&s, "/api/v1/units?kind=site&format=csv", tok, NULL, 0, NULL, &f), 200);
        assert_non_null(strstr(f.p, "\xEF\xBB\xBF序号,单位编码,单位名称,类型,上级单位,时区,负责人,状态,创建时间\r\n"
                                    "1,S1,一厂区,厂区,"));
        assert_non_null(strstr(f.p, ",Asia/Shanghai,,在用,20"));
        assert_non_null(strstr(f.disp, "%E5%8D%95%E4%BD%8D%E5%8F%B0%E8%B4%A6-")); /* 单位台账 */
        free(f.p);
        assert_int_equal(ws_fetch(&s, "/api/v1/accounts?format=csv", tok, NULL, 0, NULL, &f), 200);
        assert_non_null(strstr(f.p, ",reg2,监管人员,二厂区,,启用,否,"));
        assert_null(strstr(f.p, "argon2"));
        free(f.p);
        assert_int_equal(ws_fetch(&s, "/api/v1/departments?format=xlsx", tok, NULL, 0, NULL, &f), 200);
        assert_int_equal(org_table_read(f.p, f.n, 100, &t), WS_OK);
        assert_string_equal(t.rows[0].cells[2], "部门名称");
        assert_true(t.nrows >= 2);
        org_table_free(&t);
        free(f.p);
        assert_int_equal(ws_req(&s, "GET", "/api/v1/people?format=pdf", tok, NULL, &r), 400);
        assert_string_equal(ws_err_field_of(r), "format");
        json_decref(r);
        /* Without format the list is still the JSON page. */
        assert_int_equal(ws_req(&s, "GET", "/api/v1/people?limit=2", tok, NULL, &r), 200);
        assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
        json_decref(r);

        assert_int_equal(ws_server_stop(&s), 0);
        ws_server_destroy(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(people_ledgers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
