/* org_samples.h — import files the org tests build: a people workbook as
 * Excel users make it, and reading a file whole. Included by test_org.c and
 * test_org_files.c; the includer defines `tmpdir`, a scratch directory. */
#ifndef WS_TEST_ORG_SAMPLES_H
#define WS_TEST_ORG_SAMPLES_H

#include <iconv.h>
#include <xlsxwriter.h>

/* The whole file at path (caller frees), its size in *len. */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}


/* A people workbook as Excel users make it: phone numbers typed as numbers.
 * Caller frees. */
static inline char *people_xlsx(const char *unit_code, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/people.xlsx", tmpdir);
    lxw_workbook *wb = workbook_new(path);
    assert_non_null(wb);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "人员");
    const char *head[] = {"姓名", "工号", "手机", "单位编码", "部门", "岗位"};
    for (int c = 0; c < 6; c++) worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], NULL);
    const char *names[] = {"赵一", "钱二", "孙三"};
    for (int r = 0; r < 3; r++) {
        char no[16];
        snprintf(no, sizeof no, "X%03d", r + 1);
        worksheet_write_string(ws, (lxw_row_t)(r + 1), 0, names[r], NULL);
        worksheet_write_string(ws, (lxw_row_t)(r + 1), 1, no, NULL);
        worksheet_write_number(ws, (lxw_row_t)(r + 1), 2, 13900000100.0 + r, NULL);
        worksheet_write_string(ws, (lxw_row_t)(r + 1), 3, unit_code, NULL);
        worksheet_write_string(ws, (lxw_row_t)(r + 1), 4, r == 2 ? "safety" : "生产", NULL);
        worksheet_write_string(ws, (lxw_row_t)(r + 1), 5, r == 0 ? "操作工, 班长" : "操作工", NULL);
    }
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    char *data = slurp(path, len);
    unlink(path);
    return data;
}


/* UTF-8 text into GBK bytes (caller frees). */
static inline char *to_gbk(const char *utf8, size_t *len)
{
    iconv_t cd = iconv_open("GBK", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t inleft = strlen(utf8), cap = inleft * 2 + 8, oleft = cap;
    char *out = malloc(cap), *in = (char *)utf8, *op = out;
    assert_non_null(out);
    assert_true(iconv(cd, &in, &inleft, &op, &oleft) != (size_t)-1);
    iconv_close(cd);
    *len = cap - oleft;
    return out;
}

#endif
