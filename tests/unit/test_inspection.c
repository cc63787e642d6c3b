/* test_inspection.c — inspection occurrences of risk tasks (src/hazard/
 * inspection.c) on real stores: a fresh SQLite file per test and, when
 * WS_TEST_PG_URL is set, a fresh PostgreSQL database per test.
 *
 * What a user would check: a daily, weekly, monthly or hourly check starts
 * at local midnight (or the local hour) of the site, in Shanghai and in
 * Berlin across both DST changes; the timer makes each check once however
 * often it runs, and a check nobody did is marked missed when its period
 * ends; a failed item opens a hidden danger from the risk event (its
 * accident type, or 其它伤害 when it has none; the event's id; source
 * inspection; the item's photos), all or nothing; someone without the post
 * is refused; a done record never changes; audit verify stays clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "attach/attach.h"
#include "audit/audit.h"
#include "core/clock.h"
#include "core/json.h"
#include "hazard/hazard.h"
#include "hazard/inspection.h"
#include "org/org.h"
#include "risk/risk.h"
#include "store/store.h"
#include "workflow/workflow.h"
#include "unit/pgdb.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};
static char tmpdir[128];

#define DAY 86400000LL
#define HOUR 3600000LL

/* ================================================== windows (no store) */

static int64_t T(const char *rfc3339)
{
    int64_t ms = 0;
    if (clock_parse_rfc3339(rfc3339, &ms)) fail_msg("bad time %s", rfc3339);
    return ms;
}

static void window_is(const char *tz, const char *freq, int64_t hours, const char *now,
                      const char *want_start, const char *want_end)
{
    int64_t s = 0, e = 0;
    assert_int_equal(inspection_window(tz, freq, hours, T("2026-01-01T00:00:00Z"), T(now), &s, &e),
                     WS_OK);
    char a[40], b[40];
    if (s != T(want_start) || e != T(want_end))
        fail_msg("%s %s %lld at %s: [%s, %s), want [%s, %s)", tz, freq, (long long)hours, now,
                 clock_format_rfc3339(s, a, sizeof a), clock_format_rfc3339(e, b, sizeof b),
                 want_start, want_end);
}

static void test_windows_shanghai(void **state)
{
    (void)state;
    const char *z = "Asia/Shanghai";
    /* 13:00 in Shanghai on Tuesday 2026-03-10. */
    window_is(z, "daily", 0, "2026-03-10T05:00:00Z", "2026-03-09T16:00:00Z", "2026-03-10T16:00:00Z");
    /* Just before and at local midnight. */
    window_is(z, "daily", 0, "2026-03-10T15:59:59Z", "2026-03-09T16:00:00Z", "2026-03-10T16:00:00Z");
    window_is(z, "daily", 0, "2026-03-10T16:00:00Z", "2026-03-10T16:00:00Z", "2026-03-11T16:00:00Z");
    /* The week begins on Monday 2026-03-09; Sunday 23:00 is still that week. */
    window_is(z, "weekly", 0, "2026-03-12T05:00:00Z", "2026-03-08T16:00:00Z", "2026-03-15T16:00:00Z");
    window_is(z, "weekly", 0, "2026-03-15T15:00:00Z", "2026-03-08T16:00:00Z", "2026-03-15T16:00:00Z");
    window_is(z, "monthly", 0, "2026-03-10T05:00:00Z", "2026-02-28T16:00:00Z", "2026-03-31T16:00:00Z");
    window_is(z, "monthly", 0, "2026-12-31T17:00:00Z", "2026-12-31T16:00:00Z", "2027-01-31T16:00:00Z");
    /* Every 8 hours: 00-08, 08-16, 16-24 local. */
    window_is(z, "hours", 8, "2026-03-10T05:00:00Z", "2026-03-10T00:00:00Z", "2026-03-10T08:00:00Z");
    window_is(z, "hours", 8, "2026-03-10T15:00:00Z", "2026-03-10T08:00:00Z", "2026-03-10T16:00:00Z");
    /* Every 5 hours (not dividing a day): from local midnight of the anchor
     * day 2026-01-01 (2025-12-31T16:00Z), in elapsed time. */
    window_is(z, "hours", 5, "2026-01-01T00:30:00Z", "2025-12-31T21:00:00Z", "2026-01-01T02:00:00Z");
    int64_t s, e;
    assert_int_equal(inspection_window(z, "yearly", 0, 0, 0, &s, &e), WS_EINVAL);
    assert_string_equal(ws_err_field(), "frequency");
    assert_int_equal(inspection_window(z, "hours", 0, 0, 0, &s, &e), WS_EINVAL);
}

static void test_windows_berlin_dst(void **state)
{
    (void)state;
    const char *z = "Europe/Berlin";
    /* Spring forward on Sunday 2026-03-29 at 02:00 CET: a 23-hour day. */
    window_is(z, "daily", 0, "2026-03-29T12:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
    window_is(z, "daily", 0, "2026-03-28T12:00:00Z", "2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z");
    /* Fall back on Sunday 2026-10-25 at 03:00 CEST: a 25-hour day. */
    window_is(z, "daily", 0, "2026-10-25T12:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    /* The week of Monday 2026-03-23 begins in CET and ends in CEST. */
    window_is(z, "weekly", 0, "2026-03-25T12:00:00Z", "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z");
    window_is(z, "monthly", 0, "2026-03-15T12:00:00Z", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z");
    /* Hourly on the spring day: 01:00-02:00 CET, then 03:00 CEST (02:00
     * local does not exist). */
    window_is(z, "hours", 1, "2026-03-29T00:30:00Z", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z");
    window_is(z, "hours", 1, "2026-03-29T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
    /* Every 12 hours on the autumn day: 00-12 local is 13 hours long. */
    window_is(z, "hours", 12, "2026-10-25T05:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T11:00:00Z");
    /* Invariant 1 over both changes: each window holds the instant and the
     * next one starts where it ends. */
    const char *const freqs[] = {"daily", "weekly", "monthly", "hours", "hours", "hours"};
    const int64_t hours[] = {0, 0, 0, 1, 8, 7};
    const char *const days[] = {"2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z"};
    for (int d = 0; d < 2; d++)
        for (size_t f = 0; f < sizeof hours / sizeof hours[0]; f++)
            for (int64_t now = T(days[d]); now < T(days[d]) + 4 * DAY; now += 17 * 60000) {
                int64_t s, e, s2, e2;
                assert_int_equal(inspection_window(z, freqs[f], hours[f], T(days[0]), now, &s,
                                                   &e), WS_OK);
                assert_true(s <= now && now < e);
                assert_int_equal(inspection_window(z, freqs[f], hours[f], T(days[0]), e, &s2,
                                                   &e2), WS_OK);
                assert_int_equal(s2, e);
            }
}

static void test_items(void **state)
{
    (void)state;
    json_t *a = inspection_items_of("检查阀门有无泄漏\n\n  静电接地完好 \r\n消防器材");
    assert_int_equal(json_array_size(a), 3);
    assert_string_equal(json_string_value(json_array_get(a, 1)), "静电接地完好");
    json_decref(a);
    a = inspection_items_of("一项");
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
}

/* ============================================================ on a store */

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct world {
    int64_t ent, site, berlin, grid, post, other_post;
    int64_t holder, grid_member, outsider_person, officer;
    int64_t event_typed, event_untyped; /* accident type 08 / none */
    int64_t measure_typed, measure_untyped;
    auth_subject s_holder, s_member, s_worker, s_officer, s_regulator, s_other_ent;
} world;

typedef struct tctx {
    testdb db;
    fixture *f;
    store *s;
    store_conn *c;
    char url[1024];
    world w;
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;


static int64_t unit(store_conn *c, int64_t parent, const char *kind, const char *code,
                    const char *tz)
{
    org_unit_in in = {.parent_id = parent, .kind = kind, .code = code, .name = code, .tz = tz};
    int64_t id = 0;
    if (org_unit_create(c, &TRUSTED, &in, &id)) fail_msg("unit: %s", ws_err_message());
    return id;
}

static int64_t person(store_conn *c, int64_t u, const char *name, int64_t post)
{
    org_person_in in = {.unit_id = u, .name = name, .post_ids = &post, .npost = post ? 1 : 0};
    int64_t id = 0;
    if (org_person_create(c, &TRUSTED, &in, &id)) fail_msg("person: %s", ws_err_message());
    return id;
}

static void subject(auth_subject *s, int64_t account, int64_t person_id, unsigned roles,
                    const char *scope)
{
    memset(s, 0, sizeof *s);
    s->account_id = account;
    s->person_id = person_id;
    s->roles = roles;
    snprintf(s->scope_path, sizeof s->scope_path, "%s", scope);
}

/* An object at unit u -> risk unit -> event (accident type or none) -> measure. */
static int64_t measure_at(store_conn *c, int64_t u, int64_t resp, const char *type,
                          int64_t *event)
{
    risk_object_in o = {.unit_id = u, .kind = "installation", .name = "储罐", .responsible_person_id = resp};
    int64_t oid = 0, ruid = 0, eid = 0, mid = 0;
    if (risk_object_create(c, &TRUSTED, &o, &oid)) fail_msg("object: %s", ws_err_message());
    risk_unit_in ru = {.object_id = oid, .name = "罐顶", .responsible_person_id = resp};
    if (risk_unit_create(c, &TRUSTED, &ru, &ruid)) fail_msg("risk unit: %s", ws_err_message());
    risk_event_in ev = {.risk_unit_id = ruid, .description = "储罐泄漏遇点火源爆炸",
                        .accident_type = type, .method = "LEC", .inherent = {3, 6, 7}};
    if (risk_event_create(c, &TRUSTED, &ev, &eid)) fail_msg("event: %s", ws_err_message());
    risk_measure_in m = {.event_id = eid, .category = "management", .text = "日常巡检"};
    if (risk_measure_create(c, &TRUSTED, &m, &mid)) fail_msg("measure: %s", ws_err_message());
    *event = eid;
    return mid;
}

static int64_t task(int64_t measure, const char *what, const char *freq, int64_t hours,
                    int64_t post, int64_t grid)
{
    risk_task_in in = {.measure_id = measure, .what = what, .frequency = freq,
                       .every_hours = hours, .post_id = post, .grid_unit_id = grid};
    int64_t id = 0;
    if (risk_task_create(tc.c, &TRUSTED, &in, &id)) fail_msg("task: %s", ws_err_message());
    return id;
}

static void make_world(store_conn *c, world *w)
{
    if (org_create_root(c, &WHO, "enterprise", "ENT", "化工企业", &w->ent))
        fail_msg("root: %s", ws_err_message());
    w->site = unit(c, w->ent, "site", "SITE", "Asia/Shanghai");
    w->berlin = unit(c, w->ent, "site", "BER", "Europe/Berlin");
    w->grid = unit(c, w->site, "grid", "GRID", NULL);
    if (org_post_create(c, &TRUSTED, w->ent, 0, "OP", "罐区操作工", &w->post) ||
        org_post_create(c, &TRUSTED, w->ent, 0, "EL", "电工", &w->other_post))
        fail_msg("post: %s", ws_err_message());
    w->holder = person(c, w->site, "操作工", w->post);
    w->grid_member = person(c, w->grid, "网格员", 0);
    w->outsider_person = person(c, w->site, "电工甲", w->other_post);
    w->officer = person(c, w->ent, "安全员", 0);
    w->measure_typed = measure_at(c, w->site, w->officer, "08", &w->event_typed);
    w->measure_untyped = measure_at(c, w->berlin, w->officer, NULL, &w->event_untyped);
    org_unit u;
    assert_int_equal(org_unit_get(c, w->ent, &u), WS_OK);
    subject(&w->s_holder, 11, w->holder, ROLE_WORKER, u.path);
    org_unit g;
    assert_int_equal(org_unit_get(c, w->grid, &g), WS_OK);
    /* A grid member's account is scoped to the grid, below the risk object's unit. */
    subject(&w->s_member, 12, w->grid_member, ROLE_WORKER, g.path);
    subject(&w->s_worker, 13, w->outsider_person, ROLE_WORKER, u.path);
    subject(&w->s_officer, 14, w->officer, ROLE_SAFETY_OFFICER, u.path);
    subject(&w->s_regulator, 15, 0, ROLE_REGULATOR, u.path);
    subject(&w->s_other_ent, 16, 0, ROLE_MANAGER, "/999999/");
}

static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "insp", f->n)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    if (store_acquire(tc.s, &tc.c)) return -1;
    make_world(tc.c, &tc.w);
    *state = &tc;
    return 0;
}

static int db_teardown(void **state)
{
    tctx *t = *state;
    if (t->c) store_release(t->c);
    testdb_close(&t->db);
    *state = t->f;
    return 0;
}

static void no_findings(const audit_finding *f, void *arg)
{
    (void)arg;
    fail_msg("audit verify: %s %lld: %s", f->entity, (long long)f->id, f->what);
}

static void verify_clean(store_conn *c)
{
    uint64_t n = 0;
    if (audit_verify(c, NULL, no_findings, NULL, &n)) fail_msg("audit verify: %s", ws_err_message());
    assert_true(n > 0);
}

/* The occurrences of a task (newest first), caller frees. */
static json_t *of_task(int64_t task_id, const char *st)
{
    inspection_filter f = {.path = "/", .state = st, .task_id = task_id, .limit = 200};
    json_t *a = NULL;
    int64_t next = 0;
    if (inspection_list(tc.c, &f, &a, &next)) fail_msg("list: %s", ws_err_message());
    return a;
}

/* The occurrence of task_id whose window holds now. */
static int64_t current_of(int64_t task_id)
{
    int64_t now = clock_now_ms();
    inspection_filter f = {.path = "/", .task_id = task_id, .from = now, .to = now + 1,
                           .limit = 10};
    json_t *a = NULL;
    int64_t next = 0;
    if (inspection_list(tc.c, &f, &a, &next)) fail_msg("list: %s", ws_err_message());
    assert_int_equal(json_array_size(a), 1);
    int64_t id = json_integer_value(json_object_get(json_array_get(a, 0), "id"));
    json_decref(a);
    return id;
}

static const char *state_of(int64_t id)
{
    static char st[16];
    json_t *o = NULL;
    assert_int_equal(inspection_get_json(tc.c, NULL, id, &o), WS_OK);
    snprintf(st, sizeof st, "%s", json_string_value(json_object_get(o, "state")));
    json_decref(o);
    return st;
}

static int64_t count_hazards(void)
{
    hazard_filter f = {.path = "/", .limit = 1000};
    hazard_row *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    assert_int_equal(hazard_list(tc.c, &f, &items, &n, &next), WS_OK);
    free(items);
    return (int64_t)n;
}

static void test_generate_idempotent_and_missed(void **state)
{
    tctx *t = *state;
    world *w = &t->w;
    int64_t daily = task(w->measure_typed, "检查呼吸阀", "daily", 0, w->post, 0);
    int64_t hourly = task(w->measure_untyped, "巡检", "hours", 4, 0, w->grid);
    int made = -1, missed = -1;
    int64_t now = clock_now_ms();
    assert_int_equal(inspection_tick(t->c, now, &made, &missed), WS_OK);
    assert_int_equal(made, 4); /* the current and the next window of each */
    assert_int_equal(missed, 0);
    /* Again, and again a minute later: nothing new. */
    assert_int_equal(inspection_tick(t->c, now, &made, &missed), WS_OK);
    assert_int_equal(made, 0);
    assert_int_equal(inspection_tick(t->c, now + 60000, &made, &missed), WS_OK);
    assert_int_equal(made, 0);
    json_t *a = of_task(daily, NULL);
    assert_int_equal(json_array_size(a), 2);
    /* The current day's window in Shanghai: local midnight to midnight. */
    int64_t s, e;
    assert_int_equal(inspection_window("Asia/Shanghai", "daily", 0, 0, now, &s, &e), WS_OK);
    json_t *cur = json_array_get(a, 1); /* newest first: [next, current] */
    int64_t ws = 0;
    assert_int_equal(clock_parse_rfc3339(json_string_value(json_object_get(cur, "window_start")),
                                         &ws), 0);
    assert_int_equal(ws, s);
    assert_string_equal(json_string_value(json_object_get(cur, "state")), "pending");
    assert_int_equal(json_integer_value(json_object_get(cur, "post_id")), w->post);
    json_decref(a);
    int64_t first = current_of(daily);
    /* A day and a bit later: the first day was not done, so it is missed,
     * and the day after tomorrow's check appears. */
    clock_test_advance(DAY);
    assert_int_equal(inspection_tick(t->c, clock_now_ms(), &made, &missed), WS_OK);
    assert_true(missed >= 1);
    assert_string_equal(state_of(first), "missed");
    a = of_task(daily, NULL);
    assert_int_equal(json_array_size(a), 3);
    json_decref(a);
    a = of_task(daily, "missed");
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    /* Missed stays missed: completing it is refused. */
    wf_actor by = {&WHO, &w->s_holder};
    inspection_result ok = {.ok = true};
    assert_int_equal(inspection_complete(t->c, &by, first, &ok, 1, NULL), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "state");
    /* Mine: the post holder sees the daily task, the grid member the hourly one. */
    inspection_filter f = {.path = "/", .person_id = w->holder, .limit = 200};
    int64_t next;
    assert_int_equal(inspection_list(t->c, &f, &a, &next), WS_OK);
    assert_true(json_array_size(a) >= 2);
    size_t i;
    json_t *it;
    json_array_foreach(a, i, it)
        assert_int_equal(json_integer_value(json_object_get(it, "task_id")), daily);
    json_decref(a);
    f.person_id = w->grid_member;
    assert_int_equal(inspection_list(t->c, &f, &a, &next), WS_OK);
    assert_true(json_array_size(a) >= 2);
    json_array_foreach(a, i, it)
        assert_int_equal(json_integer_value(json_object_get(it, "task_id")), hourly);
    json_decref(a);
    f.person_id = w->outsider_person;
    assert_int_equal(inspection_list(t->c, &f, &a, &next), WS_OK);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    /* A retired task makes no new checks. */
    risk_task_in off = {.set = RISK_SET_T_ACTIVE, .active = false};
    assert_int_equal(risk_task_update(t->c, &TRUSTED, daily, &off), WS_OK);
    clock_test_advance(2 * DAY);
    assert_int_equal(inspection_tick(t->c, clock_now_ms(), &made, &missed), WS_OK);
    a = of_task(daily, NULL);
    assert_int_equal(json_array_size(a), 3);
    json_decref(a);
    verify_clean(t->c);
}

/* A small JPEG uploaded at unit u. */
static int64_t photo(int64_t u)
{
    VipsImage *img = NULL;
    void *jpg = NULL;
    size_t len = 0;
    assert_int_equal(vips_black(&img, 16, 16, "bands", 3, NULL), 0);
    assert_int_equal(vips_image_write_to_buffer(img, ".jpg", &jpg, &len, NULL), 0);
    g_object_unref(img);
    attach_info a;
    ws_err rc = attach_put(tc.c, &WHO, NULL, u, "p.jpg", jpg, len, &a);
    g_free(jpg);
    if (rc) fail_msg("attach: %s", ws_err_message());
    return a.id;
}

static void test_complete_opens_hazard(void **state)
{
    tctx *t = *state;
    world *w = &t->w;
    int64_t tk = task(w->measure_typed, "检查呼吸阀\n检查静电接地", "daily", 0, w->post, 0);
    assert_int_equal(inspection_tick(t->c, clock_now_ms(), NULL, NULL), WS_OK);
    int64_t id = current_of(tk);
    int64_t pic = photo(w->site);
    int64_t photos[] = {pic};
    int64_t bad[] = {pic, 999999};
    inspection_result res[2] = {{.ok = true},
                                {.ok = false, .note = "接地线断开", .photo_ids = photos,
                                 .n_photos = 1}};
    wf_actor holder = {&WHO, &w->s_holder}, worker = {&WHO, &w->s_worker},
             regulator = {&WHO, &w->s_regulator}, stranger = {&WHO, &w->s_other_ent};
    /* Without the post, as a regulator, outside the scope: refused. */
    assert_int_equal(inspection_complete(t->c, &worker, id, res, 2, NULL), WS_EFORBIDDEN);
    assert_int_equal(inspection_complete(t->c, &regulator, id, res, 2, NULL), WS_EFORBIDDEN);
    assert_int_equal(inspection_complete(t->c, &stranger, id, res, 2, NULL), WS_ENOTFOUND);
    /* One result per item. */
    assert_int_equal(inspection_complete(t->c, &holder, id, res, 1, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "items");
    /* A bad photo of the second item: refused naming it, nothing written
     * (the first item's failure would have opened a hazard). */
    inspection_result badres[2] = {{.ok = false, .note = "阀门锈蚀"},
                                   {.ok = false, .photo_ids = bad, .n_photos = 2}};
    assert_int_equal(inspection_complete(t->c, &holder, id, badres, 2, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "items[1].photo_ids");
    assert_int_equal(count_hazards(), 0);
    assert_string_equal(state_of(id), "pending");
    /* The post holder records it: the failed item opens one hazard. */
    int opened = 0;
    assert_int_equal(inspection_complete(t->c, &holder, id, res, 2, &opened), WS_OK);
    assert_int_equal(opened, 1);
    json_t *o = NULL;
    assert_int_equal(inspection_get_json(t->c, &w->s_holder, id, &o), WS_OK);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "done");
    json_t *hids = json_object_get(o, "hazard_ids");
    assert_int_equal(json_array_size(hids), 1);
    int64_t hid = json_integer_value(json_array_get(hids, 0));
    json_t *r1 = json_array_get(json_object_get(o, "results"), 1);
    assert_false(json_is_true(json_object_get(r1, "ok")));
    assert_int_equal(json_integer_value(json_object_get(r1, "hazard_id")), hid);
    assert_string_equal(json_string_value(json_object_get(r1, "item")), "检查静电接地");
    assert_int_equal(json_integer_value(json_object_get(o, "done_by_person_id")), w->holder);
    json_decref(o);
    assert_int_equal(hazard_get_json(t->c, NULL, hid, &o), WS_OK);
    assert_string_equal(json_string_value(json_object_get(o, "source")), "inspection");
    assert_string_equal(json_string_value(json_object_get(o, "accident_type")), "08");
    assert_int_equal(json_integer_value(json_object_get(o, "risk_event_id")), w->event_typed);
    assert_int_equal(json_integer_value(json_object_get(o, "unit_id")), w->site);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "photo_ids"), 0)), pic);
    assert_non_null(strstr(json_string_value(json_object_get(o, "title")), "检查静电接地"));
    assert_non_null(strstr(json_string_value(json_object_get(o, "description")), "接地线断开"));
    assert_int_equal(json_integer_value(json_object_get(o, "reporter_person_id")), w->holder);
    json_decref(o);
    /* Done is final. */
    assert_int_equal(inspection_complete(t->c, &holder, id, res, 2, NULL), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "state");
    assert_int_equal(count_hazards(), 1);
    /* An event without an accident type: the hazard is 其它伤害 (20); a grid
     * member records it; an officer without the grid may too. */
    int64_t tk2 = task(w->measure_untyped, "检查灭火器", "weekly", 0, 0, w->grid);
    assert_int_equal(inspection_tick(t->c, clock_now_ms(), NULL, NULL), WS_OK);
    int64_t id2 = current_of(tk2);
    wf_actor member = {&WHO, &w->s_member};
    inspection_result fail1 = {.ok = false, .note = "压力不足"};
    assert_int_equal(inspection_complete(t->c, &holder, id2, &fail1, 1, NULL), WS_EFORBIDDEN);
    assert_int_equal(inspection_complete(t->c, &member, id2, &fail1, 1, &opened), WS_OK);
    assert_int_equal(inspection_get_json(t->c, NULL, id2, &o), WS_OK);
    hid = json_integer_value(json_array_get(json_object_get(o, "hazard_ids"), 0));
    json_decref(o);
    assert_int_equal(hazard_get_json(t->c, NULL, hid, &o), WS_OK);
    assert_string_equal(json_string_value(json_object_get(o, "accident_type")), "20");
    assert_int_equal(json_integer_value(json_object_get(o, "risk_event_id")), w->event_untyped);
    /* A grid task's place is the grid (its patrollers are scoped to it). */
    assert_int_equal(json_integer_value(json_object_get(o, "unit_id")), w->grid);
    json_decref(o);
    /* The next window has not begun: refused. */
    json_t *a = of_task(tk2, "pending");
    assert_int_equal(json_array_size(a), 1);
    int64_t later = json_integer_value(json_object_get(json_array_get(a, 0), "id"));
    json_decref(a);
    wf_actor officer = {&WHO, &w->s_officer};
    inspection_result ok1 = {.ok = true};
    assert_int_equal(inspection_complete(t->c, &officer, later, &ok1, 1, NULL), WS_ECONFLICT);
    verify_clean(t->c);
}

/* ------------------------------------------------------------------ main */

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/inspection/v1")) {
        fprintf(stderr, "audit: %s\n", ws_err_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_sqlite(void **state) { return group_setup(state, &fx_sqlite); }
static int setup_pg(void **state) { return group_setup(state, &fx_pg); }

static int group_teardown(void **state)
{
    (void)state;
    audit_close();
    return 0;
}

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_insp_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || auth_init() || risk_init() || workflow_init() || hazard_init() ||
        attach_init(tmpdir, NULL))
        return 1;
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_windows_shanghai),
        cmocka_unit_test(test_windows_berlin_dst),
        cmocka_unit_test(test_items),
    };
    int failed = cmocka_run_group_tests_name("inspection_windows", pure, NULL, NULL);
    const struct CMUnitTest db[] = {
        DB_TEST(test_generate_idempotent_and_missed),
        DB_TEST(test_complete_opens_hazard),
    };
    failed += cmocka_run_group_tests_name("inspection_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("inspection_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "inspection_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
