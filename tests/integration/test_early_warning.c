/* test_early_warning.c — the early-warning path end to end, over the wire,
 * against the real server (SQLite and PostgreSQL):
 *
 *  - HTTP batches (line format and JSON) raise, clear and re-raise alarms;
 *    malformed input is refused whole (400 naming the line) and stores
 *    nothing; the alarm is acknowledged, refused closing while active, and
 *    closed with its handling record; its events tell the story; /metrics
 *    counts it.
 *  - kill -9 of the server while a client ingests and alarms are open: every
 *    acknowledged reading is there after the restart, the open alarms are
 *    the same (not lost, not doubled), and the evidence log verifies.
 *  - A real mosquitto broker and a real Modbus TCP server (libmodbus inside
 *    the test) configured in DATA/integrations.json feed the same engine.
 *  - Paging: the person on duty gets a message with a one-time acknowledge
 *    link and the point's response card (报警处置卡, refused naming the
 *    field until it is right), which the link's answer and the alarm's
 *    detail carry too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <modbus/modbus.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "integration/common.h"

typedef struct T {
    ws_server s;
    char tok[65];
    long long area;
} T;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void setup(T *t, const char *backend)
{
    memset(t, 0, sizeof *t);
    const char *extra[] = {"--org-kind", "enterprise", "--org-name", "预警化工", NULL};
    assert_int_equal(ws_server_start(&t->s, backend, extra), 0);
    assert_int_equal(ws_login(&t->s, "admin", WS_ADMIN_PW, t->tok), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/me", t->tok, NULL, &r), 200);
    long long ent = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[256];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"TF\",\"name\":\"罐区\"}", ent);
    t->area = ws_post_id(&t->s, t->tok, "/api/v1/units", b);
}

static long long add_point(T *t, const char *tag, const char *kind)
{
    char b[256];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"%s\",\"name\":\"%s\",\"kind\":\"%s\"%s}",
             t->area, tag, tag, kind, strcmp(kind, "toxic") ? "" : ",\"exposure_limit\":10,\"uom\":\"mg/m3\"");
    return ws_post_id(&t->s, t->tok, "/api/v1/points", b);
}

static long ingest(T *t, const char *body, const char *ctype, json_t **r)
{
    return ws_http(&t->s, "POST", "/api/v1/ingest", t->tok, body, strlen(body), ctype, r, NULL);
}

/* Raw readings of a point in [from, to) (at most 2000). */
static long long history_count(T *t, long long point, long long from, long long to)
{
    char p[256], a[40], b[40];
    time_t fa = (time_t)(from / 1000), tb = (time_t)(to / 1000 + 1);
    strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", gmtime(&fa));
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tb));
    snprintf(p, sizeof p, "/api/v1/points/%lld/history?from=%s&to=%s&max_points=2000", point, a, b);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", p, t->tok, NULL, &r), 200);
    if (strcmp(json_string_value(json_object_get(r, "tier")), "raw"))
        fail_msg("history is not raw: %s", json_string_value(json_object_get(r, "tier")));
    long long n = (long long)json_array_size(json_object_get(r, "items"));
    json_decref(r);
    return n;
}

/* The open alarms of a point: count and the first one's id and state. */
static int open_alarms(T *t, long long point, long long *id, char *state, size_t cap)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/alarms?state=open&limit=500", t->tok, NULL, &r), 200);
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r, "items"), i, a) {
        if (json_integer_value(json_object_get(a, "point_id")) != point) continue;
        if (!n && id) *id = json_integer_value(json_object_get(a, "id"));
        if (!n && state) snprintf(state, cap, "%s", json_string_value(json_object_get(a, "state")));
        n++;
    }
    json_decref(r);
    return n;
}

static long act(T *t, long long id, const char *what, const char *body, json_t **r)
{
    char p[128];
    snprintf(p, sizeof p, "/api/v1/alarms/%lld/actions/%s", id, what);
    return ws_req(&t->s, "POST", p, t->tok, body, r);
}

/* ------------------------------------------------------------------ HTTP */

/* n lines "ZZ-9 1" (a tag not in the register), line bad (1-based; 0:
 * none) "ZZ-9 x"; caller frees. */
static char *short_lines(size_t n, size_t bad)
{
    char *b = malloc(n * 7 + 1), *q = b;
    assert_non_null(b);
    for (size_t i = 1; i <= n; i++, q += 7) memcpy(q, i == bad ? "ZZ-9 x\n" : "ZZ-9 1\n", 7);
    *q = 0;
    return b;
}

/* Bodies of many short lines: the array the readings are decoded into is
 * sized for longer lines and grows (the line numbers of errors stay right);
 * past 262,144 readings the body is checked whole, then decoded again in
 * slices. Either way a bad line refuses the whole body, naming it. */
static void big_bodies(T *t)
{
    static const struct { size_t n, bad; } c[] = {
        {60000, 0}, {60000, 55000}, {270000, 0}, {270000, 269990}, {270000, 10},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *b = short_lines(c[i].n, c[i].bad), want[32];
        json_t *r = NULL;
        long st = ingest(t, b, "text/plain", &r);
        if (c[i].bad) {
            assert_int_equal(st, 400);
            snprintf(want, sizeof want, "line %zu", c[i].bad);
            assert_string_equal(ws_err_field_of(r), want);
        } else {
            assert_int_equal(st, 200);
            assert_int_equal(json_integer_value(json_object_get(r, "unknown_tag")), (json_int_t)c[i].n);
            assert_int_equal(json_integer_value(json_object_get(r, "accepted")), 0);
        }
        json_decref(r);
        free(b);
    }
}

/* The 报警记录台账 (?format=csv|xlsx): the list's rows with their handling
 * record, in the page's words; from/to filter by the time raised. closed is
 * the lifecycle's closed GT-201 alarm, open its 紧急. */
static void alarm_ledger(T *t, long long closed, long long open)
{
    char *raw = NULL, line[64];
    json_t *r = NULL;
    assert_int_equal(ws_http(&t->s, "GET", "/api/v1/alarms?state=all&format=csv", t->tok, NULL, 0, NULL, NULL, &raw),
                     200);
    assert_memory_equal(raw, "\xEF\xBB\xBF", 3); /* Excel on Chinese Windows reads UTF-8 with a BOM */
    assert_non_null(strstr(raw, "序号,报警编号,级别,所属单位,位号,报警内容,报警值,发生次数,报警时间,确认时间,"
                                "确认人,确认用时(秒),恢复时间,关闭时间,关闭人,原因,处置措施,状态\r\n"));
    /* newest first: the 紧急 and the 报警 the same reading raised again (open),
     * then the closed 报警 with its record */
    snprintf(line, sizeof line, "\r\n1,%lld,紧急,罐区,GT-201,", open);
    assert_non_null(strstr(raw, line));
    assert_non_null(strstr(raw, ",60 %LEL,1,"));
    snprintf(line, sizeof line, "\r\n3,%lld,报警,罐区,GT-201,", closed);
    char *row = strstr(raw, line);
    assert_non_null(row);
    char *end = strstr(row + 2, "\r\n");
    assert_non_null(end);
    assert_string_equal(end, "\r\n"); /* the last row */
    *end = 0;
    assert_non_null(strstr(row, ",30 %LEL,1,"));
    /* acknowledged and closed by the admin, an account without a person */
    char *who = strstr(row, ",admin,");
    assert_non_null(who);
    assert_non_null(strstr(who + 6, ",admin,"));
    assert_non_null(strstr(row, ",法兰泄漏,紧固法兰并复测合格,已关闭"));
    free(raw);
    raw = NULL;
    /* the same as a workbook */
    assert_int_equal(ws_http(&t->s, "GET", "/api/v1/alarms?state=closed&format=xlsx", t->tok, NULL, 0, NULL, NULL,
                             &raw),
                     200);
    assert_memory_equal(raw, "PK\x03\x04", 4);
    free(raw);
    raw = NULL;
    /* raised from a time after both: the header only; bad times name their field */
    char p[160], a[40];
    time_t later = time(NULL) + 3600;
    strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", gmtime(&later));
    snprintf(p, sizeof p, "/api/v1/alarms?state=all&format=csv&from=%s", a);
    assert_int_equal(ws_http(&t->s, "GET", p, t->tok, NULL, 0, NULL, NULL, &raw), 200);
    assert_null(strstr(raw, "GT-201"));
    free(raw);
    snprintf(p, sizeof p, "/api/v1/alarms?state=all&to=%s", a);
    assert_int_equal(ws_req(&t->s, "GET", p, t->tok, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 3);
    json_decref(r);
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/alarms?from=yesterday", t->tok, NULL, &r), 400);
    assert_string_equal(ws_err_field_of(r), "from");
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/alarms?from=%s&to=%s", a, a);
    assert_int_equal(ws_req(&t->s, "GET", p, t->tok, NULL, &r), 400);
    assert_string_equal(ws_err_field_of(r), "to");
    json_decref(r);
    /* q: part of the tag in any case, or of the title; % is a character */
    static const struct { const char *q; size_t n; } qs[] = {
        {"gt-201", 3}, {"%E9%AB%98%E9%AB%98%E6%8A%A5", 1} /* 高高报 */, {"%25", 0}, {"T-2_1", 0}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        snprintf(p, sizeof p, "/api/v1/alarms?state=all&q=%s", qs[i].q);
        assert_int_equal(ws_req(&t->s, "GET", p, t->tok, NULL, &r), 200);
        if (json_array_size(json_object_get(r, "items")) != qs[i].n)
            fail_msg("q=%s: %zu alarms, not %zu", qs[i].q, json_array_size(json_object_get(r, "items")), qs[i].n);
        json_decref(r);
    }
    assert_int_equal(ws_http(&t->s, "GET", "/api/v1/alarms?state=all&format=csv&q=%E9%AB%98%E9%AB%98%E6%8A%A5",
                             t->tok, NULL, 0, NULL, NULL, &raw),
                     200);
    assert_non_null(strstr(raw, "\r\n1,"));
    assert_null(strstr(raw, "\r\n2,"));
    free(raw);
    char longq[80];
    memset(longq, 'a', 65);
    longq[65] = 0;
    snprintf(p, sizeof p, "/api/v1/alarms?q=%s", longq);
    assert_int_equal(ws_req(&t->s, "GET", p, t->tok, NULL, &r), 400);
    assert_string_equal(ws_err_field_of(r), "q");
    json_decref(r);
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/alarms?format=pdf", t->tok, NULL, &r), 400);
    assert_string_equal(ws_err_field_of(r), "format");
    json_decref(r);
}

/* 确认用时 in the ledger counts from the announcement an acknowledgement
 * answered: GT-201's open 报警 (raised about a minute ago) is acknowledged,
 * returns to normal, comes back now and is acknowledged again within
 * seconds, not a minute after it was first raised. */
static void acked_in(T *t)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(&t->s, "GET", "/api/v1/alarms?level=2&q=GT-201", t->tok, NULL, &r), 200);
    long long h = json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "id"));
    json_decref(r);
    assert_true(h > 0);
    assert_int_equal(act(t, h, "ack", "{}", &r), 200);
    json_decref(r);
    char b[160];
    long long now = now_ms();
    snprintf(b, sizeof b, "GT-201 4 %lld\nGT-201 30 %lld\n", now - 2000, now - 1000);
    assert_int_equal(ingest(t, b, "text/plain", NULL), 200);
    assert_int_equal(act(t, h, "ack", "{}", &r), 200); /* unacknowledged again: it came back */
    json_decref(r);
    char *raw = NULL, key[40];
    assert_int_equal(ws_http(&t->s, "GET", "/api/v1/alarms?state=all&format=csv&level=2", t->tok, NULL, 0, NULL, NULL,
                             &raw),
                     200);
    snprintf(key, sizeof key, ",%lld,报警,", h);
    char *row = strstr(raw, key);
    assert_non_null(row);
    /* 序号,报警编号,级别,所属单位,位号,报警内容,报警值,发生次数,报警时间,确认时间,确认人,确认用时(秒) */
    char *f = row + 1;
    for (int k = 1; k < 11; k++) f = strchr(f, ',') + 1;
    long secs = strtol(f, NULL, 10);
    if (secs < 0 || secs > 20) fail_msg("确认用时 %ld s (from the first raise, not the reactivation?)", secs);
    free(raw);
}

static void lifecycle(const char *backend)
{
    T t;
    setup(&t, backend);
    long long gt = add_point(&t, "GT-201", "combustible");
    long long t0 = now_ms() - 60000;
    char b[512];
    json_t *r = NULL;

    /* malformed: refused whole, naming the line; nothing stored */
    snprintf(b, sizeof b, "GT-201 10 %lld\nGT-201 abc %lld\n", t0, t0 + 1000);
    assert_int_equal(ingest(&t, b, "text/plain", &r), 400);
    assert_string_equal(ws_err_field_of(r), "line 2");
    json_decref(r);
    assert_int_equal(history_count(&t, gt, t0 - 1000, t0 + 60000), 0);

    /* over H (25 %LEL): one 报警 */
    snprintf(b, sizeof b, "GT-201 10 %lld\nGT-201 30 %lld\nGT-201 33 %lld\nNOPE-1 1\n", t0, t0 + 1000,
             t0 + 2000);
    assert_int_equal(ingest(&t, b, "text/plain", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "accepted")), 3);
    assert_int_equal(json_integer_value(json_object_get(r, "unknown_tag")), 1);
    json_decref(r);
    long long id = 0;
    char st[32];
    assert_int_equal(open_alarms(&t, gt, &id, st, sizeof st), 1);
    assert_string_equal(st, "unack");

    /* a late reading below the limit does not clear it (JSON batch) */
    snprintf(b, sizeof b, "{\"readings\":[{\"tag\":\"GT-201\",\"value\":1,\"t\":%lld}]}", t0 + 500);
    assert_int_equal(ingest(&t, b, "application/json", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "late")), 1);
    json_decref(r);
    assert_int_equal(open_alarms(&t, gt, NULL, st, sizeof st), 1);
    assert_string_equal(st, "unack");

    /* acknowledge; closing while still active is refused naming the state */
    assert_int_equal(act(&t, id, "ack", "{}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "acked");
    assert_non_null(json_string_value(json_object_get(r, "acked_at")));
    json_decref(r);
    assert_int_equal(act(&t, id, "ack", "{}", &r), 409);
    json_decref(r);
    assert_int_equal(act(&t, id, "close", "{\"cause\":\"法兰泄漏\",\"action\":\"紧固\"}", &r), 409);
    assert_string_equal(ws_err_field_of(r), "state");
    json_decref(r);
    assert_int_equal(act(&t, id, "close", "{\"cause\":\"法兰泄漏\"}", &r), 400);
    assert_string_equal(ws_err_field_of(r), "action");
    json_decref(r);

    /* back below H less the deadband: returned to normal, then closed */
    snprintf(b, sizeof b, "GT-201 4 %lld\n", t0 + 3000);
    assert_int_equal(ingest(&t, b, "text/plain", NULL), 200);
    assert_int_equal(open_alarms(&t, gt, NULL, st, sizeof st), 1);
    assert_string_equal(st, "rtn_acked");
    assert_int_equal(act(&t, id, "close", "{\"cause\":\"法兰泄漏\",\"action\":\"紧固法兰并复测合格\"}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "closed");
    assert_string_equal(json_string_value(json_object_get(r, "cause")), "法兰泄漏");
    json_decref(r);
    assert_int_equal(open_alarms(&t, gt, NULL, NULL, 0), 0);

    /* its story */
    char p[64];
    snprintf(p, sizeof p, "/api/v1/alarms/%lld", id);
    assert_int_equal(ws_req(&t.s, "GET", p, t.tok, NULL, &r), 200);
    /* the value comes with the point's unit of measure (combustible: %LEL) */
    assert_string_equal(json_string_value(json_object_get(r, "uom")), "%LEL");
    /* what is around it: its area (the point's unit is one), no work under
     * way there, nobody on a roster */
    json_t *cx = json_object_get(r, "context");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(cx, "area"), "unit_id")), t.area);
    assert_int_equal(json_array_size(json_object_get(cx, "permits")), 0);
    assert_int_equal(json_array_size(json_object_get(cx, "on_duty")), 0);
    /* raise, ack, clear, close in that order (escalation steps between) */
    const char *want[] = {"raise", "ack", "clear", "close"};
    size_t i, k = 0;
    json_t *e;
    json_array_foreach(json_object_get(r, "events"), i, e) {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        if (k < 4 && !strcmp(kind, want[k])) k++;
        else if (strcmp(kind, "escalate")) fail_msg("unexpected event %s at %zu", kind, i);
    }
    assert_int_equal(k, 4);
    json_decref(r);

    /* 紧急 over HH (50 %LEL); shelving it needs another person's approval */
    snprintf(b, sizeof b, "GT-201 60 %lld\n", t0 + 4000);
    assert_int_equal(ingest(&t, b, "text/plain", NULL), 200);
    json_t *al = NULL;
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?level=3", t.tok, NULL, &al), 200);
    long long hh = json_integer_value(json_object_get(json_array_get(json_object_get(al, "items"), 0), "id"));
    json_decref(al);
    assert_true(hh > 0);
    char until[40];
    time_t u = time(NULL) + 3600;
    strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime(&u));
    snprintf(b, sizeof b, "{\"reason\":\"标定\",\"until\":\"%s\"}", until);
    assert_int_equal(act(&t, hh, "shelve", b, &r), 403);
    assert_string_equal(ws_err_field_of(r), "approver");
    json_decref(r);
    alarm_ledger(&t, id, hh);
    acked_in(&t);

    /* CSV history (a DCS export in local time): a bad row refuses the file, naming it;
     * a good one is stored as history and raises nothing, even over H */
    long long gt9 = add_point(&t, "GT-209", "combustible");
    const char *bad_csv = "time,tag,value\n2026-11-20 08:00:00,GT-209,3.5\n2026-11-20 08:01:00,GT-209,x\n";
    assert_int_equal(ws_http(&t.s, "POST", "/api/v1/imports/readings?tz=Asia/Shanghai", t.tok, bad_csv,
                             strlen(bad_csv), "text/csv", &r, NULL), 400);
    assert_non_null(strstr(ws_err_field_of(r), "line 3"));
    json_decref(r);
    const char *csv = "time,GT-209\n2026-11-20 08:00:00,3.5\n2026-11-20 08:01:00,41.0\n2026-11-20 08:02:00,2.0\n";
    assert_int_equal(ws_http(&t.s, "POST", "/api/v1/imports/readings?tz=Asia/Shanghai", t.tok, csv,
                             strlen(csv), "text/csv", &r, NULL), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "accepted")), 3);
    json_decref(r);
    /* 2026-11-20 08:00 in Shanghai is 00:00 UTC */
    assert_int_equal(history_count(&t, gt9, 1795132800000LL, 1795132800000LL + 180000), 3);
    assert_int_equal(open_alarms(&t, gt9, NULL, NULL, 0), 0);
    assert_int_equal(ws_http(&t.s, "POST", "/api/v1/imports/readings?tz=Mars/Base", t.tok, csv, strlen(csv),
                             "text/csv", &r, NULL), 400);
    assert_string_equal(ws_err_field_of(r), "tz");
    json_decref(r);
    /* not CSV: a header alone, an Excel file's bytes, JSON */
    static const struct { const char *body; size_t len; const char *type, *field; long status; } not_csv[] = {
        {"time,tag,value\r\n", 16, "text/csv", "body", 400},
        {"PK\x03\x04\0\0\0\0", 8, "text/csv", "body", 400},
        {"{}", 2, "application/json", "Content-Type", 415},
        {"time,GT-209\n", 12, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Content-Type", 415},
    };
    for (size_t ci = 0; ci < sizeof not_csv / sizeof not_csv[0]; ci++) {
        long got = ws_http(&t.s, "POST", "/api/v1/imports/readings", t.tok, not_csv[ci].body, not_csv[ci].len,
                           not_csv[ci].type, &r, NULL);
        if (got != not_csv[ci].status || strcmp(ws_err_field_of(r), not_csv[ci].field))
            fail_msg("history import %zu: %ld %s", ci, got, ws_err_field_of(r));
        json_decref(r);
    }

    /* /metrics counts it all */
    char *raw = NULL;
    assert_int_equal(ws_http(&t.s, "GET", "/metrics", NULL, NULL, 0, NULL, NULL, &raw), 200);
    assert_non_null(strstr(raw, "ingest_readings_total "));
    assert_non_null(strstr(raw, "ingest_unknown_tag_total 1"));
    assert_non_null(strstr(raw, "ingest_late_total 1"));
    assert_non_null(strstr(raw, "ingest_refused_batches_total 2")); /* the bad line batch and the bad CSV */
    assert_non_null(strstr(raw, "ingest_refused_last{sample=\"csv: line 3 value value_syntax (1 bad)\"} 1"));
    free(raw);
    if (!strcmp(backend, "sqlite")) big_bodies(&t); /* the decoding does not depend on the backend */

    ws_server_destroy(&t.s);
}

static void t_lifecycle_sqlite(void **s) { (void)s; lifecycle("sqlite"); }
static void t_lifecycle_pg(void **s)
{
    (void)s;
    if (!getenv("WS_TEST_PG_URL")) skip();
    lifecycle("postgres");
}

/* ------------------------------------------------------------------ kill -9 */

typedef struct feeder {
    T *t;
    long long t0;
    atomic_int acked;  /* batches answered 200 */
    atomic_bool stop;
} feeder;

/* Posts batches of 5 readings of GT-301 (1 s apart) until a POST fails. */
static void *feed(void *arg)
{
    feeder *f = arg;
    char b[512];
    for (int k = 0; !atomic_load(&f->stop) && k < 360; k++) {
        size_t n = 0;
        for (int i = 0; i < 5; i++)
            n += (size_t)snprintf(b + n, sizeof b - n, "GT-301 %d %lld\n", 1 + (k + i) % 5,
                                  f->t0 + (long long)(k * 5 + i) * 1000);
        json_t *r = NULL;
        long st = ws_http(&f->t->s, "POST", "/api/v1/ingest", f->t->tok, b, n, "text/plain", &r, NULL);
        json_decref(r);
        if (st != 200) break;
        atomic_fetch_add(&f->acked, 1);
    }
    return NULL;
}

static void kill9(const char *backend)
{
    T t;
    setup(&t, backend);
    long long gt = add_point(&t, "GT-301", "combustible");
    long long gt2 = add_point(&t, "GT-302", "combustible");
    long long t0 = now_ms() - 3 * 3600 * 1000;
    char b[256];
    /* now, so that the 5-minute stale rule stays quiet during the test */
    snprintf(b, sizeof b, "GT-302 40 %lld\n", now_ms() - 1000);
    assert_int_equal(ingest(&t, b, "text/plain", NULL), 200);
    long long aid = 0;
    assert_int_equal(open_alarms(&t, gt2, &aid, NULL, 0), 1);
    char p[64];
    snprintf(p, sizeof p, "/api/v1/alarms/%lld", aid);
    json_t *r = NULL;
    assert_int_equal(ws_req(&t.s, "GET", p, t.tok, NULL, &r), 200);
    size_t events_before = json_array_size(json_object_get(r, "events"));
    json_decref(r);

    feeder f = {.t = &t, .t0 = t0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, feed, &f), 0);
    while (atomic_load(&f.acked) < 40) msleep(5);
    assert_int_equal(kill(t.s.pid, SIGKILL), 0);
    waitpid(t.s.pid, NULL, 0);
    atomic_store(&f.stop, true);
    pthread_join(th, NULL);
    int acked = atomic_load(&f.acked);

    assert_int_equal(ws_server_restart(&t.s), 0);
    assert_int_equal(ws_login(&t.s, "admin", WS_ADMIN_PW, t.tok), 200);
    long long n = history_count(&t, gt, t0 - 1000, t0 + 2000 * 1000);
    /* every acknowledged batch is there; at most the one in flight more */
    if (n < acked * 5LL || n > (acked + 1) * 5LL)
        fail_msg("%lld readings after kill -9, %d batches acknowledged", n, acked);
    /* the open alarm is the same one, with the same events (none doubled) */
    long long aid2 = 0;
    assert_int_equal(open_alarms(&t, gt2, &aid2, NULL, 0), 1);
    assert_int_equal(aid2, aid);
    assert_int_equal(ws_req(&t.s, "GET", p, t.tok, NULL, &r), 200);
    size_t events_after = json_array_size(json_object_get(r, "events"));
    json_decref(r);
    /* the escalation timer may have taken its next step meanwhile, never a raise */
    assert_true(events_after >= events_before);
    assert_int_equal(ws_req(&t.s, "GET", p, t.tok, NULL, &r), 200);
    size_t i;
    json_t *e;
    int raises = 0;
    json_array_foreach(json_object_get(r, "events"), i, e)
        raises += !strcmp(json_string_value(json_object_get(e, "kind")), "raise");
    json_decref(r);
    assert_int_equal(raises, 1);
    /* it can still be acknowledged */
    assert_int_equal(act(&t, aid, "ack", "{}", NULL), 200);
    assert_int_equal(ws_server_stop(&t.s), 0);
    char out[4096];
    const char *args[] = {"audit", "verify", NULL};
    int rc = ws_cli(&t.s, true, out, sizeof out, args);
    if (rc) fail_msg("audit verify after kill -9: %s", out);
    ws_server_destroy(&t.s);
}

static void t_kill9_sqlite(void **s) { (void)s; kill9("sqlite"); }
static void t_kill9_pg(void **s)
{
    (void)s;
    if (!getenv("WS_TEST_PG_URL")) skip();
    kill9("postgres");
}

/* ------------------------------------------------------ MQTT and Modbus */

#define BROKER "/usr/sbin/mosquitto"

typedef struct mb_srv {
    modbus_t *ctx;
    modbus_mapping_t *map;
    int lfd, port;
    pthread_t th;
    atomic_bool stop;
    pthread_mutex_t lock;
} mb_srv;

static void *mb_main(void *arg)
{
    mb_srv *s = arg;
    uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
    while (!atomic_load(&s->stop)) {
        struct pollfd pf = {.fd = s->lfd, .events = POLLIN};
        if (poll(&pf, 1, 20) <= 0) continue;
        int lfd = s->lfd;
        int cfd = modbus_tcp_accept(s->ctx, &lfd);
        if (cfd < 0) continue;
        while (!atomic_load(&s->stop)) {
            struct pollfd pc = {.fd = cfd, .events = POLLIN};
            if (poll(&pc, 1, 20) <= 0) continue;
            int n = modbus_receive(s->ctx, q);
            if (n < 0) break;
            if (n == 0) continue;
            pthread_mutex_lock(&s->lock);
            modbus_reply(s->ctx, q, n, s->map);
            pthread_mutex_unlock(&s->lock);
        }
        close(cfd);
        modbus_set_socket(s->ctx, -1);
    }
    return NULL;
}

static void mb_start(mb_srv *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    s->ctx = modbus_new_tcp("127.0.0.1", s->port);
    s->map = modbus_mapping_new(0, 0, 16, 0);
    assert_non_null(s->map);
    assert_int_equal(pthread_create(&s->th, NULL, mb_main, s), 0);
}

static void mb_stop(mb_srv *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    close(s->lfd);
    modbus_mapping_free(s->map);
    modbus_free(s->ctx);
}

static int wait_alarm(T *t, long long point, int ms)
{
    for (int i = 0; i < ms / 50; i++) {
        int n = open_alarms(t, point, NULL, NULL, 0);
        if (n) return n;
        msleep(50);
    }
    return 0;
}

static void t_plant_adapters(void **state)
{
    (void)state;
    if (access(BROKER, X_OK)) skip();
    T t;
    setup(&t, "sqlite");
    long long mq = add_point(&t, "GT-401", "combustible");
    long long mb = add_point(&t, "AT-402", "toxic"); /* H 10, HH 20 */
    /* broker */
    int bport = ws_free_port();
    char conf[400], path[400];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", t.s.dir);
    FILE *f = fopen(conf, "w");
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
               "persistence false\n%s", bport, geteuid() == 0 ? "user root\n" : "");
    fclose(f);
    pid_t bpid = fork();
    if (bpid == 0) {
        int dn = open("/dev/null", 1);
        dup2(dn, 1), dup2(dn, 2);
        execl(BROKER, BROKER, "-c", conf, (char *)NULL);
        _exit(127);
    }
    mb_srv m;
    mb_start(&m);
    /* 4–20 mA transmitter on holding register 0: 0..20 mg/m³ over raw 4000..20000 (µA) */
    m.map->tab_registers[0] = 4000;
    assert_int_equal(ws_server_stop(&t.s), 0);
    snprintf(path, sizeof path, "%s/integrations.json", t.s.dir);
    f = fopen(path, "w");
    fprintf(f,
            "{\"mqtt\":{\"host\":\"127.0.0.1\",\"port\":%d,\"client_id\":\"ws-test\","
            "\"subscriptions\":[{\"topic\":\"plant/+/gas\",\"format\":\"line\"}]},"
            "\"modbus\":[{\"host\":\"127.0.0.1\",\"port\":%d,\"unit_id\":1,\"interval_ms\":100,"
            "\"timeout_ms\":500,\"points\":[{\"tag\":\"AT-402\",\"function\":3,\"address\":0,"
            "\"type\":\"u16\",\"ma4_20\":{\"raw_at_4ma\":4000,\"raw_at_20ma\":20000,\"eng_low\":0,"
            "\"eng_high\":20}}]}]}",
            bport, m.port);
    fclose(f);
    assert_int_equal(ws_server_restart(&t.s), 0);
    assert_int_equal(ws_login(&t.s, "admin", WS_ADMIN_PW, t.tok), 200);

    /* MQTT: a line payload over HH → 紧急 */
    struct mosquitto *pub = NULL;
    mosquitto_lib_init();
    pub = mosquitto_new("ws-test-pub", true, NULL);
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        ok = mosquitto_connect(pub, "127.0.0.1", bport, 30) == MOSQ_ERR_SUCCESS;
        if (!ok) msleep(50);
    }
    assert_true(ok);
    mosquitto_loop_start(pub);
    for (int i = 0; i < 60 && !open_alarms(&t, mq, NULL, NULL, 0); i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "GT-401 60");
        mosquitto_publish(pub, NULL, "plant/tankfarm/gas", (int)strlen(msg), msg, 1, false);
        msleep(100);
    }
    assert_int_equal(open_alarms(&t, mq, NULL, NULL, 0), 2); /* H and HH */
    mosquitto_disconnect(pub);
    mosquitto_loop_stop(pub, true);
    mosquitto_destroy(pub);
    mosquitto_lib_cleanup();

    /* Modbus: 4 mA = 0 (no alarm), then 16.8 mA = 16 mg/m³ over H (10) */
    msleep(400);
    assert_int_equal(open_alarms(&t, mb, NULL, NULL, 0), 0);
    pthread_mutex_lock(&m.lock);
    m.map->tab_registers[0] = 16800;
    pthread_mutex_unlock(&m.lock);
    assert_int_equal(wait_alarm(&t, mb, 5000), 1);

    char *raw = NULL;
    assert_int_equal(ws_http(&t.s, "GET", "/metrics", NULL, NULL, 0, NULL, NULL, &raw), 200);
    assert_non_null(strstr(raw, "mqtt_connected 1"));
    assert_non_null(strstr(raw, "modbus_polls_total "));
    free(raw);
    ws_server_destroy(&t.s);
    mb_stop(&m);
    kill(bpid, SIGTERM);
    waitpid(bpid, NULL, 0);
}

/* ------------------------------------------------------------- cameras */

static void t_camera_push(void **state)
{
    (void)state;
    T t;
    setup(&t, "sqlite");
    char b[512];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"code\":\"CAM-01\",\"name\":\"罐区北门\","
             "\"kind\":\"camera\",\"protocol\":\"camera\"}", t.area);
    long long dev = ws_post_id(&t.s, t.tok, "/api/v1/devices", b);
    for (int i = 2; i <= 3; i++) {
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"code\":\"CAM-0%d\",\"name\":\"门岗%d\","
                 "\"kind\":\"camera\",\"protocol\":\"camera\"}", t.area, i, i);
        ws_post_id(&t.s, t.tok, "/api/v1/devices", b);
    }
    assert_int_equal(ws_server_stop(&t.s), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/integrations.json", t.s.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"cameras\":[{\"code\":\"CAM-01\",\"vendor\":\"hikvision\",\"user\":\"cam\","
               "\"password\":\"pw-123\",\"map\":{\"吸烟检测\":\"smoking\"}},"
               "{\"code\":\"CAM-02\",\"vendor\":\"hikvision\",\"allow\":[\"127.0.0.0/8\"]},"
               "{\"code\":\"CAM-03\",\"vendor\":\"hikvision\",\"allow\":[\"10.9.9.0/24\"]}]}");
    fclose(f);
    assert_int_equal(ws_server_restart(&t.s), 0);
    assert_int_equal(ws_login(&t.s, "admin", WS_ADMIN_PW, t.tok), 200);

    /* XML intrusion push: wrong credentials are refused, right ones raise 报警 */
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><EventNotificationAlert version=\"2.0\">"
        "<channelID>1</channelID><dateTime>2026-11-28T08:15:30+08:00</dateTime>"
        "<activePostCount>1</activePostCount><eventType>fielddetection</eventType>"
        "<eventState>active</eventState><channelName>北门</channelName></EventNotificationAlert>";
    json_t *r = NULL;
    long st = ws_http(&t.s, "POST", "/api/v1/cameras/CAM-01/events", NULL, xml, strlen(xml),
                      "application/xml", &r, NULL);
    assert_int_equal(st, 401);
    json_decref(r);
    /* basic auth: cam:pw-123 */
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/cameras/CAM-01/events", t.s.base);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' -u cam:wrong -H 'Content-Type: application/xml' "
             "--data-binary @- %s <<'EOF'\n%s\nEOF", url, xml);
    FILE *p = popen(cmd, "r");
    char code[8] = "";
    assert_non_null(fgets(code, sizeof code, p));
    pclose(p);
    assert_string_equal(code, "401");
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' -u cam:pw-123 -H 'Content-Type: application/xml' "
             "--data-binary @- %s <<'EOF'\n%s\nEOF", url, xml);
    p = popen(cmd, "r");
    assert_non_null(fgets(code, sizeof code, p));
    pclose(p);
    assert_string_equal(code, "200");
    json_t *al = NULL;
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?level=2", t.tok, NULL, &al), 200);
    json_t *a = json_array_get(json_object_get(al, "items"), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "source_id")), dev);
    assert_non_null(strstr(json_string_value(json_object_get(a, "title")), "区域入侵"));
    json_decref(al);

    /* multipart JSON fire event with a JPEG: 紧急 with its picture */
    char body_path[400];
    snprintf(body_path, sizeof body_path, "%s/push.bin", t.s.dir);
    f = fopen(body_path, "wb");
    fprintf(f, "--b\r\nContent-Type: application/json\r\n\r\n"
               "{\"channelID\":1,\"dateTime\":\"2026-11-28T08:20:00+08:00\",\"eventType\":\"fireDetection\","
               "\"eventState\":\"active\",\"activePostCount\":1}\r\n"
               "--b\r\nContent-Disposition: form-data; name=\"pic\"; filename=\"fire.jpg\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n");
    FILE *jp = fopen("tests/data/photo-gps.jpg", "rb");
    assert_non_null(jp);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, jp)) > 0) fwrite(buf, 1, k, f);
    fclose(jp);
    fprintf(f, "\r\n--b--\r\n");
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' -u cam:pw-123 "
             "-H 'Content-Type: multipart/form-data; boundary=b' --data-binary @%s %s", body_path, url);
    p = popen(cmd, "r");
    assert_non_null(fgets(code, sizeof code, p));
    pclose(p);
    assert_string_equal(code, "200");
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?level=3", t.tok, NULL, &al), 200);
    a = json_array_get(json_object_get(al, "items"), 0);
    long long fire = json_integer_value(json_object_get(a, "id"));
    assert_non_null(strstr(json_string_value(json_object_get(a, "title")), "烟火"));
    json_decref(al);
    char pth[64];
    snprintf(pth, sizeof pth, "/api/v1/alarms/%lld", fire);
    assert_int_equal(ws_req(&t.s, "GET", pth, t.tok, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r, "pictures")), 1);
    json_decref(r);
    /* allow-lists: a camera that cannot authenticate pushes from its own address */
    assert_int_equal(ws_http(&t.s, "POST", "/api/v1/cameras/CAM-02/events", NULL, xml, strlen(xml),
                             "application/xml", &r, NULL), 200);
    json_decref(r);
    assert_int_equal(ws_http(&t.s, "POST", "/api/v1/cameras/CAM-03/events", NULL, xml, strlen(xml),
                             "application/xml", &r, NULL), 401);
    json_decref(r);
    /* a malformed push is counted, never stored */
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' -u cam:pw-123 -H 'Content-Type: application/xml' "
             "--data-binary '<EventNotificationAlert><eventType>' %s", url);
    p = popen(cmd, "r");
    assert_non_null(fgets(code, sizeof code, p));
    pclose(p);
    assert_string_equal(code, "400");
    ws_server_destroy(&t.s);
}

/* A Dahua camera on the loopback: the first request of each connection gets
 * a digest challenge, the next an event stream — an intrusion (Start) and
 * then heartbeats until the test stops it. The digest itself is checked in
 * tests/unit/test_dahua_stream.c; here what counts is the way from the
 * stream to the alarm. */
typedef struct dahua_dev {
    int lfd, port;
    pthread_t th;
    atomic_bool stop;
    atomic_int streams;
} dahua_dev;

static void *dahua_main(void *arg)
{
    dahua_dev *d = arg;
    while (!atomic_load(&d->stop)) {
        struct pollfd pf = {.fd = d->lfd, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0) continue;
        int c = accept(d->lfd, NULL, NULL);
        if (c < 0) continue;
        char req[4096];
        size_t n = 0;
        while (n < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
            ssize_t k = recv(c, req + n, sizeof req - 1 - n, 0);
            if (k <= 0) break;
            n += (size_t)k;
            req[n] = 0;
        }
        req[n] = 0;
        if (!strstr(req, "Authorization: Digest")) {
            const char *ch = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"Login to DH\", "
                             "qop=\"auth\", nonce=\"9f2c1a\", opaque=\"x\"\r\nContent-Length: 0\r\n\r\n";
            (void)!send(c, ch, strlen(ch), MSG_NOSIGNAL);
            /* the client may ask again on the same connection */
            n = 0;
            req[0] = 0;
            while (n < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
                struct pollfd q = {.fd = c, .events = POLLIN};
                if (poll(&q, 1, 2000) <= 0) break;
                ssize_t k = recv(c, req + n, sizeof req - 1 - n, 0);
                if (k <= 0) break;
                n += (size_t)k;
                req[n] = 0;
            }
            if (!strstr(req, "Authorization: Digest")) {
                close(c);
                continue;
            }
        }
        atomic_fetch_add(&d->streams, 1);
        const char *head = "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n\r\n";
        const char *ev = "Code=CrossRegionDetection;action=Start;index=0;data={\"Name\":\"north fence\"}";
        char part[512];
        int pl = snprintf(part, sizeof part, "--myboundary\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s\r\n\r\n",
                          strlen(ev), ev);
        bool ok = send(c, head, strlen(head), MSG_NOSIGNAL) > 0 && send(c, part, (size_t)pl, MSG_NOSIGNAL) > 0;
        const char *hb = "--myboundary\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nHeartbeat\r\n\r\n";
        while (ok && !atomic_load(&d->stop)) {
            usleep(200000);
            ok = send(c, hb, strlen(hb), MSG_NOSIGNAL) > 0;
        }
        close(c);
    }
    return NULL;
}

/* A Dahua camera's event stream (eventManager attach) ends as an alarm of
 * the camera's device: the server connects to the camera named in
 * integrations.json, answers its digest challenge, and an intrusion event
 * raises 区域入侵 (报警) on the camera's area. */
static void t_dahua_stream(void **state)
{
    (void)state;
    T t;
    setup(&t, "sqlite");
    dahua_dev d = {0};
    d.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(d.lfd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(d.lfd, (struct sockaddr *)&a, &al), 0);
    d.port = ntohs(a.sin_port);
    assert_int_equal(listen(d.lfd, 8), 0);
    assert_int_equal(pthread_create(&d.th, NULL, dahua_main, &d), 0);
    char b[512];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"code\":\"CAM-D1\",\"name\":\"罐区北围栏\","
             "\"kind\":\"camera\",\"protocol\":\"camera\"}", t.area);
    long long dev = ws_post_id(&t.s, t.tok, "/api/v1/devices", b);
    assert_int_equal(ws_server_stop(&t.s), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/integrations.json", t.s.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"cameras\":[{\"code\":\"CAM-D1\",\"vendor\":\"dahua\",\"user\":\"admin\","
               "\"password\":\"S3cret\",\"base_url\":\"http://127.0.0.1:%d\"}]}", d.port);
    fclose(f);
    assert_int_equal(ws_server_restart(&t.s), 0);
    assert_int_equal(ws_login(&t.s, "admin", WS_ADMIN_PW, t.tok), 200);
    json_t *hit = NULL;
    for (int i = 0; i < 200 && !hit; i++) {
        json_t *r = NULL;
        assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?state=all&limit=50", t.tok, NULL, &r), 200);
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(r, "items"), k, x)
            if (json_integer_value(json_object_get(x, "source_id")) == dev) hit = json_incref(x);
        json_decref(r);
        if (!hit) usleep(50000);
    }
    atomic_store(&d.stop, true);
    pthread_join(d.th, NULL);
    close(d.lfd);
    if (!hit) fail_msg("no alarm from the Dahua stream (streams opened: %d)", atomic_load(&d.streams));
    assert_true(atomic_load(&d.streams) >= 1);
    assert_non_null(strstr(json_string_value(json_object_get(hit, "title")), "区域入侵"));
    assert_int_equal(json_integer_value(json_object_get(hit, "unit_id")), t.area);
    assert_int_equal(json_integer_value(json_object_get(hit, "level")), 2);
    json_decref(hit);
    ws_server_destroy(&t.s);
}

/* ------------------------------------------------- paging and ack links */

typedef struct receiver {
    int lfd, port;
    pthread_t th;
    atomic_bool stop;
    pthread_mutex_t lock;
    char body[16384];
    int hits;
} receiver;

/* A loopback robot: answers every POST 200 and keeps the last body. */
static void *rx_main(void *arg)
{
    receiver *r = arg;
    while (!atomic_load(&r->stop)) {
        struct pollfd pf = {.fd = r->lfd, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0) continue;
        int c = accept(r->lfd, NULL, NULL);
        if (c < 0) continue;
        char buf[32768];
        size_t n = 0;
        char *he = NULL;
        long want = -1;
        for (;;) {
            ssize_t k = recv(c, buf + n, sizeof buf - 1 - n, 0);
            if (k <= 0) break;
            n += (size_t)k;
            buf[n] = 0;
            if (!he && (he = strstr(buf, "\r\n\r\n"))) {
                char *cl = strcasestr(buf, "Content-Length:");
                want = cl ? atol(cl + 15) : 0;
            }
            if (he && (long)(n - (size_t)(he + 4 - buf)) >= want) break;
        }
        if (he) {
            pthread_mutex_lock(&r->lock);
            snprintf(r->body, sizeof r->body, "%s", he + 4);
            r->hits++;
            pthread_mutex_unlock(&r->lock);
        }
        const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
                          "Connection: close\r\n\r\n{\"errcode\":0,\"errmsg\":\"ok\"}";
        send(c, ok, sizeof ok - 1, MSG_NOSIGNAL);
        close(c);
    }
    return NULL;
}

static void t_paging_and_link(void **state)
{
    (void)state;
    receiver rx;
    memset(&rx, 0, sizeof rx);
    pthread_mutex_init(&rx.lock, NULL);
    rx.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(rx.lfd, (struct sockaddr *)&a, sizeof a), 0);
    listen(rx.lfd, 8);
    socklen_t al = sizeof a;
    getsockname(rx.lfd, (struct sockaddr *)&a, &al);
    rx.port = ntohs(a.sin_port);
    pthread_create(&rx.th, NULL, rx_main, &rx);

    ws_serve_extra[0] = "--public-origin";
    ws_serve_extra[1] = "https://safety.example.com";
    ws_serve_extra[2] = NULL;
    T t;
    setup(&t, "sqlite");
    ws_serve_extra[0] = NULL;
    char b[512];
    snprintf(b, sizeof b, "{\"kind\":\"webhook\",\"name\":\"值班群\",\"url\":\"http://127.0.0.1:%d/hook\","
             "\"secret\":\"hook-secret-0123456789\"}", rx.port);
    ws_post_id(&t.s, t.tok, "/api/v1/notify/channels", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"王网格\",\"phone\":\"13800000001\"}", t.area);
    long long person = ws_post_id(&t.s, t.tok, "/api/v1/people", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"全天\",\"start\":\"00:00\",\"length_min\":1440}", t.area);
    long long shift = ws_post_id(&t.s, t.tok, "/api/v1/shifts", b);
    char days[3][16];
    for (int i = 0; i < 3; i++) {
        time_t d = time(NULL) + 8 * 3600 + (i - 1) * 86400; /* Asia/Shanghai dates around today */
        strftime(days[i], sizeof days[i], "%Y-%m-%d", gmtime(&d));
    }
    snprintf(b, sizeof b, "{\"entries\":[{\"shift_id\":%lld,\"person_id\":%lld,\"day\":\"%s\",\"role\":\"grid_leader\"},"
             "{\"shift_id\":%lld,\"person_id\":%lld,\"day\":\"%s\",\"role\":\"grid_leader\"},"
             "{\"shift_id\":%lld,\"person_id\":%lld,\"day\":\"%s\",\"role\":\"grid_leader\"}]}",
             shift, person, days[0], shift, person, days[1], shift, person, days[2]);
    json_t *r = NULL;
    long st = ws_req(&t.s, "POST", "/api/v1/roster-entries", t.tok, b, &r);
    if (st != 201 && st != 200) fail_msg("roster -> %ld %s", st, ws_err_field_of(r));
    json_decref(r);
    long long gt = add_point(&t, "GT-501", "combustible");
    /* its response card: refused naming the field, then written and read */
    char rp[96];
    snprintf(rp, sizeof rp, "/api/v1/points/%lld/response", gt);
    assert_int_equal(ws_req(&t.s, "GET", rp, t.tok, NULL, &r), 404);
    assert_string_equal(ws_err_field_of(r), "response");
    json_decref(r);
    const struct { const char *body, *field; long status; } bad[] = {
        {"{\"action\":\"  \\n \",\"response_min\":5}", "action", 400},
        {"{\"action\":\"关阀\",\"response_min\":0}", "response_min", 400},
        {"{\"action\":\"关阀\",\"response_min\":5,\"cause\":\"渗\\u0007漏\"}", "cause", 400},
        {"{\"response_min\":5}", "action", 400},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(ws_req(&t.s, "PUT", rp, t.tok, bad[k].body, &r), bad[k].status);
        assert_string_equal(ws_err_field_of(r), bad[k].field);
        json_decref(r);
    }
    assert_int_equal(ws_req(&t.s, "PUT", "/api/v1/points/999999/response", t.tok,
                            "{\"action\":\"关阀\",\"response_min\":5}", &r), 404);
    assert_string_equal(ws_err_field_of(r), "id");
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "PUT", rp, t.tok, "{\"action\":\"撤离无关人员\\n关闭根部阀\",\"response_min\":5,"
                            "\"cause\":\"法兰渗漏\",\"consequence\":null}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "action")), "撤离无关人员\n关闭根部阀");
    assert_true(json_is_null(json_object_get(r, "consequence")));
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "GET", rp, t.tok, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "response_min")), 5);
    assert_string_equal(json_string_value(json_object_get(r, "cause")), "法兰渗漏");
    json_decref(r);
    snprintf(b, sizeof b, "GT-501 60 %lld\n", now_ms() - 500);
    assert_int_equal(ingest(&t, b, "text/plain", NULL), 200);

    /* the grid leader on duty is paged with a one-time link */
    char got[16384] = "";
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&rx.lock);
        if (strstr(rx.body, "/ack/")) snprintf(got, sizeof got, "%s", rx.body);
        pthread_mutex_unlock(&rx.lock);
        if (got[0]) break;
        msleep(50);
    }
    if (!got[0]) fail_msg("no page reached the robot (last body: %s)", rx.body);
    assert_non_null(strstr(got, "13800000001"));
    assert_non_null(strstr(got, "数值：60")); /* the reading that raised it */
    assert_non_null(strstr(got, "https://safety.example.com/ack/"));
    assert_non_null(strstr(got, "响应时限：5 分钟内")); /* the response card, on one line */
    assert_non_null(strstr(got, "处置：撤离无关人员 关闭根部阀"));
    char tok[97];
    const char *k = strstr(got, "/ack/") + 5;
    memcpy(tok, k, 96);
    tok[96] = 0;
    char p[200];
    /* opening the link shows the alarm and what to do, and uses nothing up */
    snprintf(p, sizeof p, "/api/v1/alarm-links/%s", tok);
    for (int twice = 0; twice < 2; twice++) {
        assert_int_equal(ws_req(&t.s, "GET", p, NULL, NULL, &r), 200);
        assert_non_null(strstr(json_string_value(json_object_get(r, "title")), "GT-501"));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "response"), "response_min")), 5);
        assert_null(json_object_get(r, "acked_by")); /* only what the page shows */
        /* and, open, what is around it: who answers for it now (the message named them too) */
        json_t *d0 = json_array_get(json_object_get(json_object_get(r, "context"), "on_duty"), 0);
        assert_string_equal(json_string_value(json_object_get(d0, "name")), "王网格");
        assert_non_null(json_object_get(json_object_get(r, "context"), "permits"));
        json_decref(r);
    }
    snprintf(p, sizeof p, "/api/v1/alarm-links/%s/ack", tok);
    assert_int_equal(ws_req(&t.s, "POST", p, NULL, "{}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "acked_by")), "王网格");
    /* the person who acknowledged now acts: the alarm and its steps come back */
    assert_non_null(strstr(json_string_value(json_object_get(r, "title")), "GT-501"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "response"), "action")),
                        "撤离无关人员\n关闭根部阀");
    long long aid = json_integer_value(json_object_get(r, "alarm_id"));
    json_decref(r);
    assert_int_equal(ws_req(&t.s, "POST", p, NULL, "{}", &r), 409); /* used up */
    json_decref(r);
    tok[10] = tok[10] == 'A' ? 'B' : 'A';
    snprintf(p, sizeof p, "/api/v1/alarm-links/%s/ack", tok);
    assert_int_equal(ws_req(&t.s, "POST", p, NULL, "{}", &r), 403); /* tampered */
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/alarm-links/%s", tok);
    assert_int_equal(ws_req(&t.s, "GET", p, NULL, NULL, &r), 403);
    assert_string_equal(ws_err_field_of(r), "token");
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/alarms/%lld", aid);
    assert_int_equal(ws_req(&t.s, "GET", p, t.tok, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "point_id")), gt);
    assert_string_equal(json_string_value(json_object_get(r, "acked_by")), "王网格");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "response"), "response_min")), 5);
    /* who answers for it now: the grid leader on the roster */
    json_t *duty0 = json_array_get(json_object_get(json_object_get(r, "context"), "on_duty"), 0);
    assert_string_equal(json_string_value(json_object_get(duty0, "role")), "grid_leader");
    assert_string_equal(json_string_value(json_object_get(duty0, "name")), "王网格");
    /* its story names the person who acknowledged, not only the account */
    size_t i;
    json_t *e, *ack = NULL;
    json_array_foreach(json_object_get(r, "events"), i, e)
        if (!strcmp(json_string_value(json_object_get(e, "kind")), "ack")) ack = e;
    assert_non_null(ack);
    assert_string_equal(json_string_value(json_object_get(ack, "person_name")), "王网格");
    json_decref(r);
    /* the console's list gives the first step and the time limit */
    assert_int_equal(ws_req(&t.s, "GET", "/api/v1/alarms?q=GT-501", t.tok, NULL, &r), 200);
    json_t *row = json_array_get(json_object_get(r, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "response_first")), "撤离无关人员");
    assert_int_equal(json_integer_value(json_object_get(row, "response_min")), 5);
    json_decref(r);
    ws_server_destroy(&t.s);
    atomic_store(&rx.stop, true);
    pthread_join(rx.th, NULL);
    close(rx.lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_lifecycle_sqlite), cmocka_unit_test(t_lifecycle_pg),
        cmocka_unit_test(t_kill9_sqlite),     cmocka_unit_test(t_kill9_pg),
        cmocka_unit_test(t_plant_adapters),   cmocka_unit_test(t_camera_push), cmocka_unit_test(t_dahua_stream),
        cmocka_unit_test(t_paging_and_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
