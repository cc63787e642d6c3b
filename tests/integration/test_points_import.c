/* test_points_import.c — POST /api/v1/imports/points: a point register from
 * CSV and XLSX made in one go and evaluated at once; every bad row listed
 * and nothing written; a dry run that writes nothing; the 位号台账 export
 * coming back in unchanged, and edited; alarm response cards (处置措施, a
 * cell of several lines) written with the register, refused naming the
 * column, and coming back in with the export unchanged; a register of 5,000
 * points whose readings are all stored. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "integration/common.h"

typedef struct T {
    ws_server s;
    char tok[65];
} T;

static const char *const HDR = "位号,名称,类型,单位编码,计量单位,量程下限,量程上限,高限(H),高高限(HH),状态\n";

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    const char *extra[] = {"--org-kind", "enterprise", "--org-name", "导入化工", NULL};
    if (ws_server_start(&t->s, "sqlite", extra) != 0) return -1;
    if (ws_login(&t->s, "admin", WS_ADMIN_PW, t->tok) != 200) return -1;
    json_t *r = NULL;
    if (ws_req(&t->s, "GET", "/api/v1/me", t->tok, NULL, &r) != 200) return -1;
    long long ent = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[256];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"TF\",\"name\":\"罐区\"}", ent);
    if (ws_req(&t->s, "POST", "/api/v1/units", t->tok, b, &r) != 201) return -1;
    json_decref(r);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    ws_server_destroy(&t->s);
    free(t);
    return 0;
}

static long import(T *t, const char *body, size_t len, bool dry, json_t **r)
{
    return ws_http(&t->s, "POST", dry ? "/api/v1/imports/points?dry_run=1" : "/api/v1/imports/points", t->tok,
                   body, len, "text/csv", r, NULL);
}

static long long count(json_t *r, const char *k) { return json_integer_value(json_object_get(r, k)); }

static long long npoints(T *t)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/points?limit=200", t->tok, NULL, &r), 200);
    long long n = (long long)json_array_size(json_object_get(r, "items"));
    json_decref(r);
    return n;
}

/* The point with this tag (a new reference the caller drops). */
static json_t *point_of(T *t, const char *tag)
{
    char p[128];
    snprintf(p, sizeof p, "/api/v1/points?q=%s", tag);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", p, t->tok, NULL, &r), 200);
    json_t *it = json_incref(json_array_get(json_object_get(r, "items"), 0));
    json_decref(r);
    if (!it) fail_msg("no point %s", tag);
    return it;
}

/* GET path into memory, with its length (an XLSX file has NUL bytes). */
static ws_file fetch(T *t, const char *path)
{
    ws_file f;
    assert_int_equal(ws_fetch(&t->s, path, t->tok, NULL, 0, NULL, &f), 200);
    return f;
}

/* The field of the row error on this row ("" when none). */
static const char *row_error(json_t *r, int row, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(json_object_get(r, "error"), "rows"), i, e) {
        if (json_integer_value(json_object_get(e, "row")) == row &&
            !strcmp(json_string_value(json_object_get(e, "field")), field))
            return json_string_value(json_object_get(e, "message"));
    }
    return "";
}

static void import_register(void **state)
{
    T *t = *state;
    json_t *r = NULL;
    char b[2048];

    /* Three points and a retired one, Chinese headings, one file. */
    int n = snprintf(b, sizeof b,
                     "%sGT-101,储罐区可燃气体 1,可燃气体,TF,%%LEL,0,100,,,在用\n"
                     "TT-201,反应釜温度,温度,TF,℃,0,300,180,220,\n"
                     "OX-301,氧含量,氧气,TF,%%VOL,0,30,,,在用\n"
                     "PT-401,旧压力表,压力,TF,MPa,0,4,3.2,3.6,已停用\n",
                     HDR);
    assert_int_equal(import(t, b, (size_t)n, false, &r), 200);
    assert_int_equal(count(r, "created"), 4);
    assert_int_equal(count(r, "updated"), 0);
    json_decref(r);
    json_t *p = point_of(t, "TT-201");
    assert_true(json_real_value(json_object_get(p, "h")) == 180);
    assert_true(json_real_value(json_object_get(p, "hh")) == 220);
    assert_string_equal(json_string_value(json_object_get(p, "uom")), "℃");
    json_decref(p);
    p = point_of(t, "GT-101"); /* GB/T 50493 defaults: 25 / 50 %LEL */
    assert_true(json_real_value(json_object_get(p, "h")) == 25);
    json_decref(p);
    p = point_of(t, "PT-401");
    assert_false(json_is_true(json_object_get(p, "active")));
    json_decref(p);

    /* The same file again: nothing changes, and the gas point keeps the
     * limits it got by default although its cells are empty. */
    assert_int_equal(import(t, b, (size_t)n, false, &r), 200);
    assert_int_equal(count(r, "unchanged"), 4);
    assert_int_equal(count(r, "created") + count(r, "updated"), 0);
    json_decref(r);
    p = point_of(t, "GT-101");
    assert_true(json_real_value(json_object_get(p, "h")) == 25);
    assert_true(json_real_value(json_object_get(p, "hh")) == 50);
    json_decref(p);

    /* The engine knows them at once: a reading over H raises an alarm. */
    const char *rd = "GT-101 30\n";
    assert_int_equal(ws_http(&t->s, "POST", "/api/v1/ingest", t->tok, rd, strlen(rd), "text/plain", &r, NULL), 200);
    assert_int_equal(count(r, "accepted"), 1);
    json_decref(r);
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/alarms?state=open&q=GT-101", t->tok, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);

    /* Every bad row listed, nothing written. */
    long long before = npoints(t);
    n = snprintf(b, sizeof b,
                 "%sNEW-1,好的一行,可燃气体,TF,,,,,,\n"
                 "NEW-2,类型不对,烟雾,TF,,,,,,\n"
                 "NEW-3,数不对,温度,TF,℃,0,abc,,,\n"
                 ",没有位号,温度,TF,,,,,,\n"
                 "NEW-1,重复,可燃气体,TF,,,,,,\n"
                 "NEW-5,单位不存在,温度,XX,,,,,,\n"
                 "NEW-6,限值倒了,温度,TF,℃,0,300,250,200,\n"
                 "NEW-7,状态不对,温度,TF,℃,0,300,,,报废\n",
                 HDR);
    assert_int_equal(import(t, b, (size_t)n, false, &r), 400);
    assert_string_not_equal(row_error(r, 3, "kind"), "");
    assert_string_not_equal(row_error(r, 4, "range_high"), "");
    assert_string_not_equal(row_error(r, 5, "tag"), "");
    assert_string_not_equal(row_error(r, 6, "tag"), ""); /* NEW-1 twice */
    assert_string_not_equal(row_error(r, 7, "unit_code"), "");
    assert_string_equal(row_error(r, 2, "tag"), "");    /* the good row has none */
    assert_string_not_equal(row_error(r, 9, "active"), "");
    assert_int_equal(json_array_size(json_object_get(json_object_get(r, "error"), "rows")), 7);
    json_decref(r);
    assert_int_equal(npoints(t), before);

    /* An unknown heading is named. */
    const char *odd = "位号,名称,类型,单位编码,颜色\nZZ-1,x,温度,TF,红\n";
    assert_int_equal(import(t, odd, strlen(odd), false, &r), 400);
    assert_string_equal(row_error(r, 1, "颜色"), "unknown column \"颜色\"");
    json_decref(r);

    /* A dry run counts and writes nothing. */
    n = snprintf(b, sizeof b, "%sNEW-9,试运行,温度,TF,℃,0,300,,,\n", HDR);
    assert_int_equal(import(t, b, (size_t)n, true, &r), 200);
    assert_int_equal(count(r, "created"), 1);
    assert_true(json_is_true(json_object_get(r, "dry_run")));
    json_decref(r);
    assert_int_equal(npoints(t), before);

    /* The 位号台账 export comes back in unchanged, as CSV and as XLSX. */
    ws_file csv = fetch(t, "/api/v1/points?format=csv");
    assert_int_equal(import(t, csv.p, csv.n, false, &r), 200);
    assert_int_equal(count(r, "unchanged"), before);
    assert_int_equal(count(r, "created") + count(r, "updated"), 0);
    json_decref(r);
    ws_file x = fetch(t, "/api/v1/points?format=xlsx");
    assert_memory_equal(x.p, "PK", 2);
    assert_int_equal(ws_http(&t->s, "POST", "/api/v1/imports/points", t->tok, x.p, x.n,
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &r, NULL),
                     200);
    assert_int_equal(count(r, "unchanged"), before);
    json_decref(r);
    free(x.p);

    /* Edited in the sheet: TT-201's H from 180 to 190 updates that point only. */
    char *edit = malloc(csv.n + 1);
    memcpy(edit, csv.p, csv.n);
    edit[csv.n] = 0;
    char *row = strstr(edit, "TT-201");
    assert_non_null(row);
    char *h = strstr(row, ",180,");
    assert_non_null(h);
    memcpy(h, ",190,", 5);
    assert_int_equal(import(t, edit, csv.n, false, &r), 200);
    assert_int_equal(count(r, "updated"), 1);
    assert_int_equal(count(r, "unchanged"), before - 1);
    json_decref(r);
    p = point_of(t, "TT-201");
    assert_true(json_real_value(json_object_get(p, "h")) == 190);
    json_decref(p);
    free(edit);
    free(csv.p);

    /* Response cards: GT-101's written (its point as it was), TT-201 left
     * without one; the same file again changes nothing. */
    const char *cards = "位号,名称,类型,单位编码,处置措施,响应时限(分钟),可能原因,后果\n"
                        "GT-101,储罐区可燃气体 1,可燃气体,TF,\"关闭根部阀\n设警戒区\",10,法兰渗漏,闪爆\n"
                        "TT-201,反应釜温度,温度,TF,,,,\n";
    assert_int_equal(import(t, cards, strlen(cards), false, &r), 200);
    assert_int_equal(count(r, "updated"), 1);
    assert_int_equal(count(r, "unchanged"), 1);
    json_decref(r);
    p = point_of(t, "GT-101");
    char rp[96];
    snprintf(rp, sizeof rp, "/api/v1/points/%lld/response", (long long)json_integer_value(json_object_get(p, "id")));
    json_decref(p);
    assert_int_equal(ws_req(&t->s, "GET", rp, t->tok, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "action")), "关闭根部阀\n设警戒区");
    assert_int_equal(json_integer_value(json_object_get(r, "response_min")), 10);
    assert_string_equal(json_string_value(json_object_get(r, "consequence")), "闪爆");
    json_decref(r);
    assert_int_equal(import(t, cards, strlen(cards), false, &r), 200);
    assert_int_equal(count(r, "unchanged"), 2);
    json_decref(r);
    const char *badcards = "位号,名称,类型,单位编码,处置措施,响应时限(分钟),可能原因,后果\n"
                           "GT-101,储罐区可燃气体 1,可燃气体,TF,关阀,十分钟,,\n"
                           "TT-201,反应釜温度,温度,TF,,,超温,\n";
    assert_int_equal(import(t, badcards, strlen(badcards), false, &r), 400);
    assert_string_not_equal(row_error(r, 2, "response_min"), "");
    assert_string_not_equal(row_error(r, 3, "action"), "");
    json_decref(r);
    /* the export carries the card and comes back in unchanged */
    csv = fetch(t, "/api/v1/points?format=csv");
    assert_non_null(memmem(csv.p, csv.n, "处置措施", strlen("处置措施")));
    assert_int_equal(import(t, csv.p, csv.n, false, &r), 200);
    assert_int_equal(count(r, "unchanged"), before);
    json_decref(r);
    free(csv.p);
}

/* A register larger than the series store's first segment (4,096 open
 * chunks): 5,000 points in one file, a reading each in one line batch; every
 * reading is stored and the last point's history has it (before the table
 * grew, the readings of the points past 4,096 were refused). */
static void large_register(void **state)
{
    T *t = *state;
    enum { N = 5000 };
    size_t cap = 64 + N * 48;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t n = (size_t)snprintf(b, cap, "位号,名称,类型,单位编码\n");
    for (int i = 0; i < N; i++) n += (size_t)snprintf(b + n, cap - n, "BIG-%05d,大位号 %d,可燃气体,TF\n", i, i);
    json_t *r = NULL;
    assert_int_equal(import(t, b, n, false, &r), 200);
    assert_int_equal(count(r, "created"), N);
    json_decref(r);
    long long at = (long long)time(NULL) * 1000 - 60000;
    n = 0;
    for (int i = 0; i < N; i++) n += (size_t)snprintf(b + n, cap - n, "BIG-%05d %d %lld\n", i, 1 + i % 7, at);
    assert_int_equal(ws_http(&t->s, "POST", "/api/v1/ingest", t->tok, b, n, "text/plain", &r, NULL), 200);
    assert_int_equal(count(r, "accepted"), N);
    assert_int_equal(count(r, "failed"), 0);
    json_decref(r);
    free(b);
    json_t *p = point_of(t, "BIG-04999");
    char path[200], from[40], to[40];
    time_t s0 = (time_t)(at / 1000 - 3600), s1 = (time_t)(at / 1000 + 3600);
    struct tm g;
    strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&s0, &g));
    strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&s1, &g));
    snprintf(path, sizeof path, "/api/v1/points/%lld/history?from=%s&to=%s",
             (long long)json_integer_value(json_object_get(p, "id")), from, to);
    json_decref(p);
    assert_int_equal(ws_req(&t->s, "GET", path, t->tok, NULL, &r), 200);
    json_t *items = json_object_get(r, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_true(json_real_value(json_object_get(json_array_get(items, 0), "last")) == 1 + 4999 % 7);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(import_register),
        cmocka_unit_test(large_register),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
