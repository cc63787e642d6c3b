/* test_ledger.c — the ledger writer (src/ledger): CSV bytes as Excel on a
 * Chinese Windows needs them (BOM, RFC 4180 quoting, CRLF, formula guard),
 * workbooks read back as the ZIP they are (libzip) and through the
 * project's own import reader, time zones from the TZif files, the row cap
 * and the download file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "ledger/ledger.h"
#include "org/org.h"

/* 2026-11-28 02:26:37 UTC = 10:26 in Shanghai. */
#define T_NOV ((int64_t)1795832797000)

static const ledger_col unit_cols[] = {
    {"单位编码", LEDGER_TEXT, 14},
    {"单位名称", LEDGER_TEXT, 30},
    {"人数", LEDGER_INT, 8},
    {"创建时间", LEDGER_TIME, 18},
    {"离职日期", LEDGER_DATE, 12},
};
static const ledger_spec unit_spec = {"单位台账", NULL, true, unit_cols, 5, 0};

static char tmpdir[128];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws-test-ledger-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    setenv("TMPDIR", tmpdir, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rmdir(tmpdir);
    return 0;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

/* Three rows with awkward cells; returns the finished bytes in out. */
static void write_sample(ledger_format f, buf *out)
{
    ledger *l = NULL;
    assert_int_equal(ledger_open(&unit_spec, f, &l), WS_OK);
    assert_int_equal(ledger_text(l, "E001"), WS_OK);
    assert_int_equal(ledger_text(l, "华东精细化工有限公司"), WS_OK);
    assert_int_equal(ledger_int(l, 42), WS_OK);
    assert_int_equal(ledger_time(l, T_NOV, "Asia/Shanghai"), WS_OK);
    assert_int_equal(ledger_time(l, T_NOV, NULL), WS_OK);
    assert_int_equal(ledger_row_end(l), WS_OK);
    assert_int_equal(ledger_text(l, "=HYPERLINK(\"http://evil\",\"x\")"), WS_OK);
    assert_int_equal(ledger_text(l, "合成车间, \"一号\"\n二行"), WS_OK);
    assert_int_equal(ledger_int(l, -3), WS_OK);
    assert_int_equal(ledger_time(l, 0, NULL), WS_OK); /* empty */
    assert_int_equal(ledger_row_end(l), WS_OK);      /* last cell left out: empty */
    assert_int_equal(ledger_text(l, "+86 139"), WS_OK);
    assert_int_equal(ledger_text(l, "-1"), WS_OK);
    assert_int_equal(ledger_text(l, "@SUM(A1)"), WS_OK);
    assert_int_equal(ledger_row_end(l), WS_OK);
    assert_int_equal(ledger_rows(l), 3);
    assert_int_equal(ledger_finish(l, out), WS_OK);
    ledger_free(l);
}

static void test_csv(void **state)
{
    (void)state;
    buf out = BUF_INIT(1 << 20);
    write_sample(LEDGER_CSV, &out);
    const char *want =
        "\xEF\xBB\xBF"
        "序号,单位编码,单位名称,人数,创建时间,离职日期\r\n"
        "1,E001,华东精细化工有限公司,42,2026-11-28 10:26,2026-11-28\r\n"
        "2,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",\"合成车间, \"\"一号\"\"\n二行\",-3,,\r\n"
        "3,'+86 139,'-1,'@SUM(A1),,\r\n";
    assert_string_equal(out.data, want);
    /* The project's own reader (what an import would see) gets the cells back. */
    org_table t;
    assert_int_equal(org_table_read(out.data, out.len, 100, &t), WS_OK);
    assert_int_equal(t.nrows, 4);
    assert_string_equal(t.rows[0].cells[2], "单位名称");
    assert_string_equal(t.rows[2].cells[2], "合成车间, \"一号\"\n二行");
    org_table_free(&t);
    buf_free(&out);
}

/* The text of a ZIP part (caller frees), NULL when absent. */
static char *zip_text(const buf *b, const char *name)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(b->data, b->len, 0, &ze);
    assert_non_null(src);
    zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
    assert_non_null(z);
    zip_stat_t st;
    char *text = NULL;
    if (zip_stat(z, name, 0, &st) == 0) {
        zip_file_t *f = zip_fopen(z, name, 0);
        assert_non_null(f);
        text = calloc(1, st.size + 1);
        assert_int_equal(zip_fread(f, text, st.size), (zip_int64_t)st.size);
        zip_fclose(f);
    }
    zip_close(z);
    zip_error_fini(&ze);
    return text;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static void test_xlsx(void **state)
{
    (void)state;
    buf out = BUF_INIT(1 << 24);
    write_sample(LEDGER_XLSX, &out);
    assert_int_equal(dir_entries(tmpdir), 0); /* the private directory is gone */
    assert_memory_equal(out.data, "PK\x03\x04", 4);
    char *sheet = zip_text(&out, "xl/worksheets/sheet1.xml");
    char *book = zip_text(&out, "xl/workbook.xml");
    char *styles = zip_text(&out, "xl/styles.xml");
    assert_non_null(sheet);
    assert_non_null(book);
    /* The sheet is named after the ledger; header plus three data rows. */
    assert_non_null(strstr(book, "name=\"单位台账\""));
    assert_int_equal(count(sheet, "<row "), 4);
    /* Headings and text are strings in the sheet (constant-memory mode writes
     * them inline), the formula-looking text too, and no cell is a formula. */
    assert_non_null(strstr(sheet, "<t>序号</t>"));
    assert_non_null(strstr(sheet, "<t>单位名称</t>"));
    assert_non_null(strstr(sheet, "<t>华东精细化工有限公司</t>"));
    assert_non_null(strstr(sheet, "=HYPERLINK("));
    assert_null(strstr(sheet, "<f>"));
    assert_non_null(strstr(sheet, "<pane ")); /* header frozen */
    assert_non_null(strstr(sheet, "<col "));  /* widths */
    assert_non_null(strstr(styles, "yyyy-mm-dd hh:mm"));
    assert_non_null(strstr(styles, "<b/>")); /* bold header */
    /* 2026-11-28 10:26:37 as an Excel serial: 46354 days + 10:26:37. */
    assert_non_null(strstr(sheet, "<v>46354.4351"));
    /* Read back through the import reader. */
    org_table t;
    assert_int_equal(org_table_read(out.data, out.len, 100, &t), WS_OK);
    assert_int_equal(t.nrows, 4);
    assert_string_equal(t.rows[0].cells[0], "序号");
    assert_string_equal(t.rows[0].cells[5], "离职日期");
    assert_string_equal(t.rows[1].cells[0], "1");
    assert_string_equal(t.rows[1].cells[2], "华东精细化工有限公司");
    assert_string_equal(t.rows[3].cells[1], "+86 139"); /* no apostrophe in XLSX */
    org_table_free(&t);
    free(sheet);
    free(book);
    free(styles);
    buf_free(&out);
}

static void test_title_and_cap(void **state)
{
    (void)state;
    static const ledger_col cols[] = {{"姓名", LEDGER_TEXT, 0}};
    ledger_spec s = {"人员台账", "人员台账（导出）", false, cols, 1, 2};
    for (int f = LEDGER_XLSX; f <= LEDGER_CSV; f++) {
        ledger *l = NULL;
        buf out = BUF_INIT(1 << 24);
        assert_int_equal(ledger_open(&s, (ledger_format)f, &l), WS_OK);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(ledger_text(l, "张三"), WS_OK);
            assert_int_equal(ledger_row_end(l), WS_OK);
        }
        assert_int_equal(ledger_text(l, "李四"), WS_ETOOBIG);
        assert_string_equal(ws_err_field(), "limit");
        assert_non_null(strstr(ws_err_message(), "narrow the filter"));
        assert_int_equal(ledger_row_end(l), WS_ETOOBIG);
        if (f == LEDGER_CSV) {
            assert_int_equal(ledger_finish(l, &out), WS_OK);
            assert_string_equal(out.data, "\xEF\xBB\xBF人员台账（导出）\r\n姓名\r\n张三\r\n张三\r\n");
        }
        ledger_free(l); /* also unfinished: nothing left behind */
        assert_int_equal(dir_entries(tmpdir), 0);
        buf_free(&out);
    }
}

static void test_formats_and_names(void **state)
{
    (void)state;
    ledger_format f;
    assert_int_equal(ledger_format_parse("xlsx", &f), WS_OK);
    assert_int_equal(f, LEDGER_XLSX);
    assert_int_equal(ledger_format_parse("CSV", &f), WS_OK);
    assert_int_equal(f, LEDGER_CSV);
    assert_int_equal(ledger_format_parse("pdf", &f), WS_EINVAL);
    assert_string_equal(ws_err_field(), "format");
    assert_int_equal(ledger_format_parse(NULL, &f), WS_EINVAL);
    assert_string_equal(ledger_content_type(LEDGER_CSV), "text/csv; charset=utf-8");

    ledger_spec s = {"人员台账", NULL, true, unit_cols, 1, 0};
    char name[128], disp[512];
    /* 2026-11-27 17:00 UTC is already the 28th in Shanghai, still the 27th in London. */
    int64_t t = (int64_t)1795798800000;
    assert_int_equal(ledger_filename(&s, LEDGER_XLSX, t, "Asia/Shanghai", name, sizeof name), WS_OK);
    assert_string_equal(name, "人员台账-20261128.xlsx");
    assert_int_equal(ledger_filename(&s, LEDGER_CSV, t, "Europe/London", name, sizeof name), WS_OK);
    assert_string_equal(name, "人员台账-20261127.csv");
    assert_int_equal(ledger_disposition("人员台账-20261128.xlsx", disp, sizeof disp), WS_OK);
    assert_string_equal(disp, "attachment; filename=\"ledger-20261128.xlsx\"; "
                              "filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%8F%B0%E8%B4%A6-20261128.xlsx");
    assert_int_equal(ledger_disposition("人员台账-20261128.xlsx", disp, 20), WS_ETOOBIG);
}

static void test_time_zones(void **state)
{
    (void)state;
    int64_t summer = (int64_t)1782813600000; /* 2026-06-30 10:00 UTC */
    assert_int_equal(ledger_tz_offset("Asia/Shanghai", T_NOV), 480);
    assert_int_equal(ledger_tz_offset(NULL, T_NOV), 480);
    assert_int_equal(ledger_tz_offset("Asia/Nowhere", T_NOV), 480);
    assert_int_equal(ledger_tz_offset("../../etc/passwd", T_NOV), 480);
    assert_int_equal(ledger_tz_offset("Europe/Berlin", T_NOV), 60);
    assert_int_equal(ledger_tz_offset("Europe/Berlin", summer), 120);
    assert_int_equal(ledger_tz_offset("America/New_York", summer), -240);
    assert_int_equal(ledger_tz_offset("Asia/Kolkata", summer), 330);
    assert_int_equal(ledger_tz_offset("UTC", summer), 0);
    /* Shanghai kept summer time 1986-1991: 1988-07-01 was +09:00. */
    assert_int_equal(ledger_tz_offset("Asia/Shanghai", (int64_t)583718400000), 540);
    char s[32];
    assert_string_equal(ledger_format_time(T_NOV, "Asia/Shanghai", true, s, sizeof s),
                        "2026-11-28 10:26");
    assert_string_equal(ledger_format_time(T_NOV, "Asia/Urumqi", true, s, sizeof s),
                        "2026-11-28 08:26");
    assert_string_equal(ledger_format_time(summer, "America/New_York", false, s, sizeof s),
                        "2026-06-30");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_title_and_cap),
        cmocka_unit_test(test_formats_and_names),
        cmocka_unit_test(test_time_zones),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
