/* test_org_files.c — reading import files, without a store: validators, CSV
 * in UTF-8 with and without BOM and in GBK, XLSX written by libxlsxwriter and
 * a hand-built XLSX with inline strings. The imports themselves (all or
 * nothing, dry runs, scope) are in test_org.c on real stores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "org/org.h"

/* ======================================================== file reading */

static char tmpdir[128];

static const char *cellv(const org_table *t, size_t r, int c)
{
    assert_true(r < t->nrows);
    assert_true(c < t->rows[r].ncells);
    return t->rows[r].cells[c];
}

#include "unit/org_samples.h"

static void test_validators(void **state)
{
    (void)state;
    assert_true(org_utf8_valid("abc 安全", strlen("abc 安全")));
    assert_false(org_utf8_valid("\xC0\xAF", 2));         /* overlong */
    assert_false(org_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    assert_false(org_utf8_valid("\xE5\xAE", 2));         /* truncated */
    assert_false(org_utf8_valid("\xB0\xB2\xC8\xAB", 4)); /* 安全 in GBK */
    assert_true(org_phone_valid("13900000001"));
    assert_true(org_phone_valid("+86 139-0000-0001"));
    assert_true(org_phone_valid(""));
    assert_false(org_phone_valid("1234"));
    assert_false(org_phone_valid("139000000011234567890"));
    assert_false(org_phone_valid("139-abcd-0001"));
    assert_false(org_phone_valid("+- -+"));
    assert_true(org_tz_valid("Asia/Shanghai"));
    assert_true(org_tz_valid("UTC"));
    assert_false(org_tz_valid("Asia/Nowhere"));
    assert_false(org_tz_valid("../../etc/passwd"));
    assert_false(org_tz_valid("/etc/passwd"));
    assert_false(org_tz_valid("Asia"));  /* a directory, not a zone */
    assert_true(org_kind_valid("grid"));
    assert_false(org_kind_valid("department"));
}

static void test_csv_utf8(void **state)
{
    (void)state;
    /* BOM, CRLF, quoting with a comma, a doubled quote, a line break inside
     * quotes, a blank line (row 4) that keeps its number, a trailing
     * empty field, full-width spaces trimmed. */
    const char csv[] = "\xEF\xBB\xBF"
                       "编码,名称,类型\r\n"
                       "A1,\"合成车间, 一号\",area\r\n"
                       "A2,\"说 \"\"危险\"\" 品\nB 栋\",grid\r\n"
                       "\r\n"
                       "\xE3\x80\x80" "A3\xE3\x80\x80,罐区,\n";
    org_table t;
    assert_int_equal(org_table_read(csv, sizeof csv - 1, 100, &t), WS_OK);
    assert_int_equal(t.nrows, 4);
    assert_string_equal(cellv(&t, 0, 0), "编码");
    assert_int_equal(t.rows[1].rownum, 2);
    assert_string_equal(cellv(&t, 1, 1), "合成车间, 一号");
    assert_string_equal(cellv(&t, 2, 1), "说 \"危险\" 品\nB 栋");
    assert_int_equal(t.rows[3].rownum, 5);
    assert_string_equal(cellv(&t, 3, 0), "A3");
    assert_int_equal(t.rows[3].ncells, 3);
    assert_string_equal(cellv(&t, 3, 2), "");
    org_table_free(&t);

    /* Without BOM, LF only, the same. */
    const char plain[] = "code,name\nX,名称\n";
    assert_int_equal(org_table_read(plain, sizeof plain - 1, 100, &t), WS_OK);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(cellv(&t, 1, 1), "名称");
    org_table_free(&t);

    /* Trailing empty columns beyond the 64 read are ignored; values there are not. */
    char wide[400] = "code,name";
    for (int i = 0; i < 100; i++) strcat(wide, ",");
    strcat(wide, "\nX,y");
    for (int i = 0; i < 100; i++) strcat(wide, ",");
    strcat(wide, "\n");
    assert_int_equal(org_table_read(wide, strlen(wide), 100, &t), WS_OK);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(cellv(&t, 1, 1), "y");
    org_table_free(&t);
    strcat(wide, "Z,z");
    for (int i = 0; i < 70; i++) strcat(wide, ",");
    strcat(wide, "late\n");
    assert_int_equal(org_table_read(wide, strlen(wide), 100, &t), WS_EINVAL);
    assert_non_null(strstr(ws_err_message(), "row 3"));

    /* Broken quoting and row caps are refused with the row named. */
    const char open[] = "code,name\nX,\"never closed\n";
    assert_int_equal(org_table_read(open, sizeof open - 1, 100, &t), WS_EINVAL);
    assert_non_null(strstr(ws_err_message(), "row 2"));
    const char after[] = "code,name\nX,\"a\"b\n";
    assert_int_equal(org_table_read(after, sizeof after - 1, 100, &t), WS_EINVAL);
    const char many[] = "code\n1\n2\n3\n";
    assert_int_equal(org_table_read(many, sizeof many - 1, 2, &t), WS_ETOOBIG);
    assert_int_equal(org_table_read(many, sizeof many - 1, 3, &t), WS_OK);
    org_table_free(&t);
    assert_int_equal(org_table_read("", 0, 3, &t), WS_EINVAL);
    assert_int_equal(org_table_read("\n\n", 2, 3, &t), WS_EINVAL);
    /* Neither UTF-8 nor GBK (0xFF never starts a GB18030 character). */
    assert_int_equal(org_table_read("a,\xFF\xFE\n", 5, 3, &t), WS_EINVAL);
    assert_string_equal(ws_err_field(), "file");
}

static void test_csv_gbk(void **state)
{
    (void)state;
    size_t n;
    char *gbk = to_gbk("姓名,工号,手机,单位编码,部门,岗位\r\n张三,HD9001,13900009001,GRID-1,生产,操作工；班长\r\n", &n);
    assert_false(org_utf8_valid(gbk, n)); /* really GBK bytes */
    org_table t;
    assert_int_equal(org_table_read(gbk, n, 10, &t), WS_OK);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(cellv(&t, 0, 0), "姓名");
    assert_string_equal(cellv(&t, 1, 0), "张三");
    assert_string_equal(cellv(&t, 1, 5), "操作工；班长");
    org_table_free(&t);
    free(gbk);
}

static void test_xlsx_writer(void **state)
{
    (void)state;
    size_t n;
    char *x = people_xlsx("GRID-1", &n);
    org_table t;
    assert_int_equal(org_table_read(x, n, 10, &t), WS_OK);
    assert_int_equal(t.nrows, 4);
    assert_string_equal(cellv(&t, 0, 3), "单位编码");
    assert_string_equal(cellv(&t, 1, 0), "赵一");
    assert_string_equal(cellv(&t, 1, 2), "13900000100"); /* a number, read as digits */
    assert_string_equal(cellv(&t, 3, 2), "13900000102");
    assert_string_equal(cellv(&t, 3, 4), "safety");
    assert_int_equal(t.rows[3].rownum, 4);
    org_table_free(&t);
    free(x);
}

static void add_part(zip_t *z, const char *name, const char *text)
{
    zip_source_t *s = zip_source_buffer(z, text, strlen(text), 0);
    assert_non_null(s);
    assert_true(zip_file_add(z, name, s, ZIP_FL_OVERWRITE) >= 0);
}

/* A workbook as other tools write it: prefixed elements, the first sheet
 * not named sheet1.xml, inline and rich strings, cells without references,
 * exponent numbers, booleans, a skipped row. */
static void test_xlsx_inline(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/inline.xlsx", tmpdir);
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
    add_part(z, "[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>");
    add_part(z, "xl/workbook.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<x:workbook xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
            "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
            "<x:sheets><x:sheet name=\"人员\" sheetId=\"3\" r:id=\"rId7\"/>"
            "<x:sheet name=\"旧\" sheetId=\"1\" r:id=\"rId1\"/></x:sheets></x:workbook>");
    add_part(z, "xl/_rels/workbook.xml.rels",
            "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/"
            "package/2006/relationships\">"
            "<Relationship Id=\"rId1\" Type=\"w\" Target=\"worksheets/sheet1.xml\"/>"
            "<Relationship Id=\"rId7\" Type=\"w\" Target=\"/xl/worksheets/data.xml\"/>"
            "</Relationships>");
    add_part(z, "xl/worksheets/sheet1.xml",
            "<worksheet><sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>WRONG</t></is></c>"
            "</row></sheetData></worksheet>");
    add_part(z, "xl/worksheets/data.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
            "<x:sheetData>"
            "<x:row r=\"1\"><x:c t=\"inlineStr\"><x:is><x:t>name</x:t></x:is></x:c>"
            "<x:c t=\"inlineStr\"><x:is><x:t>phone</x:t></x:is></x:c>"
            "<x:c t=\"inlineStr\"><x:is><x:t>flag</x:t></x:is></x:c></x:row>"
            "<x:row r=\"3\"><x:c r=\"A3\" t=\"inlineStr\"><x:is><x:r><x:t>张</x:t></x:r>"
            "<x:r><x:t xml:space=\"preserve\">三</x:t></x:r></x:is></x:c>"
            "<x:c r=\"B3\"><x:v>1.3900001234E10</x:v></x:c>"
            "<x:c r=\"C3\" t=\"b\"><x:v>1</x:v></x:c></x:row>"
            "<x:row r=\"4\"><x:c r=\"C4\" t=\"str\"><x:f>A1</x:f><x:v>公式 &amp; 值</x:v></x:c></x:row>"
            "</x:sheetData></x:worksheet>");
    assert_int_equal(zip_close(z), 0);
    size_t n;
    char *x = slurp(path, &n);
    unlink(path);
    org_table t;
    assert_int_equal(org_table_read(x, n, 10, &t), WS_OK);
    assert_int_equal(t.nrows, 3);
    assert_string_equal(cellv(&t, 0, 0), "name");
    assert_int_equal(t.rows[1].rownum, 3);
    assert_string_equal(cellv(&t, 1, 0), "张三");
    assert_string_equal(cellv(&t, 1, 1), "13900001234");
    assert_string_equal(cellv(&t, 1, 2), "TRUE");
    assert_int_equal(t.rows[2].rownum, 4);
    assert_string_equal(cellv(&t, 2, 0), "");
    assert_string_equal(cellv(&t, 2, 2), "公式 & 值");
    org_table_free(&t);

    /* A damaged ZIP is refused as a file error, not a crash. */
    x[n / 2] ^= 0x55;
    x[n / 2 + 1] ^= 0x55;
    ws_err rc = org_table_read(x, n / 2 + 8, 10, &t);
    assert_int_equal(rc, WS_EINVAL);
    free(x);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_org_files_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    const struct CMUnitTest files[] = {
        cmocka_unit_test(test_validators),  cmocka_unit_test(test_csv_utf8),
        cmocka_unit_test(test_csv_gbk),     cmocka_unit_test(test_xlsx_writer),
        cmocka_unit_test(test_xlsx_inline),
    };
    int failed = cmocka_run_group_tests_name("org_files", files, NULL, NULL);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
