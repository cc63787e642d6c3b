/* test_patrol.c — grid patrols (src/patrol) on real stores: a fresh SQLite
 * file per test and, when WS_TEST_PG_URL is set, a fresh PostgreSQL
 * database per test; the test clock moves time.
 *
 * What a user would check: the patrol day follows the grid's shifts and
 * zone (a check at 02:00 after a 20:00 night shift belongs to the day
 * before; without shifts the day is local midnight to midnight); the timer
 * makes each grid's patrol once however often it runs; a scan nonce used
 * twice, for another point, for another patrol, or after its 10 minutes is
 * refused, naming the nonce; a failed item opens a hidden danger linked
 * both ways; a check recorded offline keeps the phone's time and says so;
 * the rota makes a cross patrol that only the inspecting leader records;
 * a patrol nobody finished is missed and escalated once to the leader above,
 * through the outbox; the evidence log verifies clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "bank/bank.h"
#include "audit/audit.h"
#include "core/clock.h"
#include "core/json.h"
#include "hazard/hazard.h"
#include "ledger/ledger.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "org/org.h"
#include "patrol/patrol.h"
#include "plant/plant.h"
#include "risk/risk.h"
#include "store/store.h"
#include "workflow/workflow.h"
#include "unit/pgdb.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};
static char tmpdir[128];

#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct world {
    int64_t ent, site, area, grid_a, grid_b, grid_night;
    int64_t manager, leader_a, leader_b, member_a, area_head;
    int64_t tpl, obj_a, p1, p2, pb1;
    auth_subject s_leader_a, s_leader_b, s_member_a, s_regulator;
} world;

typedef struct tctx {
    testdb db;
    fixture *f;
    store_conn *c;
    world w;
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;

static int64_t T(const char *rfc3339)
{
    int64_t ms = 0;
    if (clock_parse_rfc3339(rfc3339, &ms)) fail_msg("bad time %s", rfc3339);
    return ms;
}

static int64_t unit(int64_t parent, const char *kind, const char *code, const char *tz,
                    int64_t leader)
{
    org_unit_in in = {.parent_id = parent, .kind = kind, .code = code, .name = code, .tz = tz,
                      .leader_person_id = leader};
    int64_t id = 0;
    if (org_unit_create(tc.c, &TRUSTED, &in, &id)) fail_msg("unit: %s", ws_err_message());
    return id;
}

static int64_t person(int64_t u, const char *name, const char *phone)
{
    org_person_in in = {.unit_id = u, .name = name, .phone = phone};
    int64_t id = 0;
    if (org_person_create(tc.c, &TRUSTED, &in, &id)) fail_msg("person: %s", ws_err_message());
    return id;
}

static void lead(int64_t u, int64_t p)
{
    org_unit_patch pt = {.set = ORG_SET_LEADER, .leader_person_id = p};
    if (org_unit_update(tc.c, &TRUSTED, u, &pt)) fail_msg("leader: %s", ws_err_message());
}

static void subject(auth_subject *s, int64_t account, int64_t person_id, unsigned roles,
                    int64_t scope_unit)
{
    memset(s, 0, sizeof *s);
    s->account_id = account;
    s->person_id = person_id;
    s->roles = roles;
    org_unit u;
    assert_int_equal(org_unit_get(tc.c, scope_unit, &u), WS_OK);
    snprintf(s->scope_path, sizeof s->scope_path, "%s", u.path);
}

static int64_t point(int64_t grid, const char *code, int64_t tpl, int64_t obj, bool gps,
                     bool photo)
{
    patrol_point_in in = {.grid_unit_id = grid, .code = code, .name = code, .template_id = tpl,
                          .risk_object_id = obj, .has_gps = gps, .lat = 31.98, .lon = 120.89,
                          .radius_m = 30, .photo_required = photo};
    int64_t id = 0;
    if (patrol_point_create(tc.c, &TRUSTED, &in, &id)) fail_msg("point: %s %s", ws_err_field(), ws_err_message());
    return id;
}

static void make_world(world *w)
{
    if (org_create_root(tc.c, &WHO, "enterprise", "ENT", "化工企业", &w->ent))
        fail_msg("root: %s", ws_err_message());
    w->site = unit(w->ent, "site", "SITE", "Asia/Shanghai", 0);
    w->area = unit(w->site, "area", "AREA", NULL, 0);
    w->manager = person(w->site, "厂长", "13900000001");
    w->area_head = person(w->area, "车间主任", "13900000002");
    lead(w->area, w->area_head);
    w->grid_a = unit(w->area, "grid", "GA", NULL, 0);
    w->grid_b = unit(w->area, "grid", "GB", NULL, 0);
    w->leader_a = person(w->grid_a, "网格长甲", "13900000003");
    w->leader_b = person(w->grid_b, "网格长乙", "13900000004");
    w->member_a = person(w->grid_a, "网格员", NULL);
    lead(w->grid_a, w->leader_a);
    lead(w->grid_b, w->leader_b);
    json_t *items = json_pack("[s,s]", "消防器材完好", "通道畅通");
    if (patrol_template_create(tc.c, &TRUSTED, w->ent, "日常巡查", items, &w->tpl))
        fail_msg("template: %s", ws_err_message());
    json_decref(items);
    /* A risk object in grid A with one control measure (accident type 08). */
    risk_object_in o = {.unit_id = w->grid_a, .kind = "installation", .name = "储罐",
                        .responsible_person_id = w->leader_a};
    int64_t ru = 0, ev = 0, m = 0;
    assert_int_equal(risk_object_create(tc.c, &TRUSTED, &o, &w->obj_a), WS_OK);
    risk_unit_in rui = {.object_id = w->obj_a, .name = "罐顶", .responsible_person_id = w->leader_a};
    assert_int_equal(risk_unit_create(tc.c, &TRUSTED, &rui, &ru), WS_OK);
    risk_event_in ei = {.risk_unit_id = ru, .description = "储罐泄漏遇点火源爆炸",
                        .accident_type = "08", .method = "LEC", .inherent = {3, 6, 7}};
    assert_int_equal(risk_event_create(tc.c, &TRUSTED, &ei, &ev), WS_OK);
    risk_measure_in mi = {.event_id = ev, .category = "engineering", .text = "呼吸阀完好无堵塞"};
    assert_int_equal(risk_measure_create(tc.c, &TRUSTED, &mi, &m), WS_OK);
    w->p1 = point(w->grid_a, "GA-01", w->tpl, 0, true, false);
    w->p2 = point(w->grid_a, "GA-02", 0, w->obj_a, false, false);
    w->pb1 = point(w->grid_b, "GB-01", w->tpl, 0, false, false);
    subject(&w->s_leader_a, 11, w->leader_a, ROLE_GRID_LEADER, w->grid_a);
    subject(&w->s_leader_b, 12, w->leader_b, ROLE_GRID_LEADER, w->area);
    subject(&w->s_member_a, 13, w->member_a, ROLE_WORKER, w->grid_a);
    subject(&w->s_regulator, 14, 0, ROLE_REGULATOR, w->ent);
}

static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "patrol", f->n))
        return -1;
    if (store_acquire(tc.db.s, &tc.c)) return -1;
    make_world(&tc.w);
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

static void verify_clean(void)
{
    uint64_t n = 0;
    if (audit_verify(tc.c, NULL, no_findings, NULL, &n)) fail_msg("audit verify: %s", ws_err_message());
    assert_true(n > 0);
}

/* The patrol of grid (slot own unless cross) made for today. */
static int64_t patrol_of(int64_t grid, const char *kind, json_t **out)
{
    json_t *a = NULL;
    int64_t next = 0;
    org_unit g;
    assert_int_equal(org_unit_get(tc.c, grid, &g), WS_OK);
    patrol_filter f = {.path = g.path, .limit = 50};
    assert_int_equal(patrol_list(tc.c, &f, &a, &next), WS_OK);
    size_t i;
    json_t *p;
    int64_t id = 0;
    json_array_foreach(a, i, p) if (!strcmp(json_string_value(json_object_get(p, "kind")), kind) &&
                                    json_integer_value(json_object_get(p, "grid_unit_id")) == grid) {
        id = json_integer_value(json_object_get(p, "id"));
        break;
    }
    json_decref(a);
    if (!id) fail_msg("no %s patrol for grid %lld", kind, (long long)grid);
    if (out) assert_int_equal(patrol_get_json(tc.c, NULL, id, out), WS_OK);
    return id;
}

static json_t *stop_of(json_t *p, int64_t point_id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(p, "stops"), i, s)
        if (json_integer_value(json_object_get(s, "point_id")) == point_id) return s;
    fail_msg("no stop for point %lld", (long long)point_id);
    return NULL;
}

static ws_err check(const auth_subject *s, int64_t patrol, int64_t pt, const char *nonce,
                    const bool *ok, size_t n, bool offline, int64_t client_time, int *opened)
{
    inspection_result r[8];
    memset(r, 0, sizeof r);
    for (size_t i = 0; i < n; i++) {
        r[i].ok = ok[i];
        r[i].note = ok[i] ? NULL : "呼吸阀被冰堵";
    }
    audit_actor who = {"account:9"};
    wf_actor by = {&who, s};
    patrol_check_in in = {.point_id = pt, .nonce = nonce, .items = r, .n = n, .has_gps = true,
                          .lat = 31.9801, .lon = 120.8901, .offline = offline,
                          .client_time = client_time};
    return patrol_check(tc.c, &by, patrol, &in, opened);
}

static ws_err nonce(const auth_subject *s, int64_t patrol, int64_t pt, char out[PATROL_NONCE_LEN + 1])
{
    audit_actor who = {"account:9"};
    wf_actor by = {&who, s};
    int64_t a, e;
    return patrol_nonce_issue(tc.c, &by, patrol, pt, out, &a, &e);
}

/* ---------------------------------------------------------------- days */

static void test_day_follows_shifts_across_midnight(void **state)
{
    (void)state;
    world *w = &tc.w;
    /* Without shifts: local midnight to midnight in Shanghai. */
    int64_t d, s, e;
    assert_int_equal(patrol_day_of(tc.c, w->grid_a, T("2026-03-10T05:00:00Z"), &d, &s, &e), WS_OK);
    char day[11];
    plant_date_format(d, day);
    assert_string_equal(day, "2026-03-10");
    assert_int_equal(s, T("2026-03-09T16:00:00Z"));
    assert_int_equal(e, T("2026-03-10T16:00:00Z"));
    /* The area works 08:00 (day) and 20:00 (night, 12 h): the day begins at 08:00. */
    plant_shift_in sh1 = {.unit_id = w->area, .name = "白班", .start = "08:00", .length_min = 720,
                          .active = true};
    plant_shift_in sh2 = {.unit_id = w->area, .name = "夜班", .start = "20:00", .length_min = 720,
                          .active = true};
    int64_t id;
    assert_int_equal(plant_shift_create(tc.c, &TRUSTED, &sh1, &id), WS_OK);
    assert_int_equal(plant_shift_create(tc.c, &TRUSTED, &sh2, &id), WS_OK);
    /* 02:00 on 03-11 local (18:00Z on 03-10) is the night shift of 03-10. */
    assert_int_equal(patrol_day_of(tc.c, w->grid_a, T("2026-03-10T18:00:00Z"), &d, &s, &e), WS_OK);
    plant_date_format(d, day);
    assert_string_equal(day, "2026-03-10");
    assert_int_equal(s, T("2026-03-10T00:00:00Z"));
    assert_int_equal(e, T("2026-03-11T00:00:00Z"));
    /* 08:00 local begins the next day. */
    assert_int_equal(patrol_day_of(tc.c, w->grid_a, T("2026-03-11T00:00:00Z"), &d, &s, &e), WS_OK);
    plant_date_format(d, day);
    assert_string_equal(day, "2026-03-11");
    /* The timer makes the patrol of that day once, however often it runs. */
    int made = 0, missed = 0;
    int64_t now = T("2026-03-10T18:00:00Z");
    assert_int_equal(patrol_tick(tc.c, now, &made, &missed), WS_OK);
    assert_int_equal(made, 2); /* grid A and grid B */
    assert_int_equal(patrol_tick(tc.c, now + 10 * MIN, &made, &missed), WS_OK);
    assert_int_equal(made, 0);
    json_t *p = NULL;
    patrol_of(w->grid_a, "own", &p);
    assert_string_equal(json_string_value(json_object_get(p, "day")), "2026-03-10");
    assert_int_equal(json_integer_value(json_object_get(p, "assignee_person_id")), w->leader_a);
    /* Items: the template's at GA-01, the risk object's measure at GA-02. */
    json_t *s1 = stop_of(p, w->p1), *s2 = stop_of(p, w->p2);
    assert_int_equal(json_array_size(json_object_get(s1, "items")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(s1, "items"), 0), "text")),
                        "消防器材完好");
    json_t *it = json_array_get(json_object_get(s2, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it, "text")), "呼吸阀完好无堵塞");
    assert_true(json_integer_value(json_object_get(it, "event_id")) > 0);
    json_decref(p);
    verify_clean();
}

/* ------------------------------------------------------------- nonces */

/* Move the test clock three hours into the patrol day when the present one
 * began or ends within the hour: the tests below move the clock by up to
 * eleven minutes either way and must stay inside the day (they failed when
 * run in the ten minutes before local midnight, or the minute after).
 * Returns the shift, to be undone. */
static int64_t clear_of_day_edges(int64_t grid)
{
    int64_t day, s, e, now = clock_now_ms();
    assert_int_equal(patrol_day_of(tc.c, grid, now, &day, &s, &e), WS_OK);
    int64_t shift = now - s < 60 * MIN ? s + 180 * MIN - now : e - now < 60 * MIN ? e + 180 * MIN - now : 0;
    clock_test_advance(shift);
    return shift;
}

static void test_nonce_rules(void **state)
{
    (void)state;
    world *w = &tc.w;
    int64_t shifted = clear_of_day_edges(w->grid_a);
    int64_t now = clock_now_ms();
    assert_int_equal(patrol_tick(tc.c, now, NULL, NULL), WS_OK);
    int64_t pa = patrol_of(w->grid_a, "own", NULL), pb = patrol_of(w->grid_b, "own", NULL);
    char n1[PATROL_NONCE_LEN + 1], n2[PATROL_NONCE_LEN + 1], nb[PATROL_NONCE_LEN + 1];
    const bool ok2[2] = {true, true};
    /* No nonce at all (online): refused, naming it. */
    assert_int_equal(check(&w->s_leader_a, pa, w->p1, NULL, ok2, 2, false, 0, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "nonce");
    /* A nonce for GA-02 used at GA-01: another point. */
    assert_int_equal(nonce(&w->s_leader_a, pa, w->p2, n2), WS_OK);
    assert_int_equal(check(&w->s_leader_a, pa, w->p1, n2, ok2, 2, false, 0, NULL), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "nonce");
    assert_non_null(strstr(ws_err_message(), "another point"));
    /* A nonce of grid B's patrol used on grid A's: another patrol. */
    assert_int_equal(nonce(&w->s_leader_b, pb, w->pb1, nb), WS_OK);
    assert_int_equal(check(&w->s_leader_a, pa, w->p1, nb, ok2, 2, false, 0, NULL), WS_ECONFLICT);
    assert_non_null(strstr(ws_err_message(), "another patrol"));
    /* A made-up nonce. */
    char fake[PATROL_NONCE_LEN + 1];
    memset(fake, 'A', PATROL_NONCE_LEN);
    fake[PATROL_NONCE_LEN] = 0;
    assert_int_equal(check(&w->s_leader_a, pa, w->p1, fake, ok2, 2, false, 0, NULL), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "nonce");
    /* The right nonce works once; the record says what was proved. */
    assert_int_equal(nonce(&w->s_member_a, pa, w->p1, n1), WS_OK);
    assert_int_equal(check(&w->s_member_a, pa, w->p1, n1, ok2, 2, false, 0, NULL), WS_OK);
    json_t *p = NULL;
    assert_int_equal(patrol_get_json(tc.c, NULL, pa, &p), WS_OK);
    assert_string_equal(json_string_value(json_object_get(p, "state")), "in_progress");
    json_t *pr = json_object_get(stop_of(p, w->p1), "proof");
    assert_string_equal(json_string_value(json_object_get(pr, "nonce")), "scan");
    assert_string_equal(json_string_value(json_object_get(pr, "gps")), "within");
    assert_true(json_real_value(json_object_get(pr, "distance_m")) < 30);
    assert_false(json_is_true(json_object_get(pr, "photo")));
    assert_string_equal(json_string_value(json_object_get(pr, "time_source")), "server");
    json_decref(p);
    /* ...and is refused the second time (here at the other point, still GA's patrol). */
    const bool ok1[1] = {true};
    assert_int_equal(check(&w->s_leader_a, pa, w->p2, n1, ok1, 1, false, 0, NULL), WS_ECONFLICT);
    assert_non_null(strstr(ws_err_message(), "used already"));
    /* Expired: 11 minutes after issue. */
    assert_int_equal(nonce(&w->s_leader_a, pa, w->p2, n2), WS_OK);
    clock_test_advance(11 * MIN);
    assert_int_equal(check(&w->s_leader_a, pa, w->p2, n2, ok1, 1, false, 0, NULL), WS_ECONFLICT);
    assert_non_null(strstr(ws_err_message(), "expired"));
    clock_test_advance(-11 * MIN);
    /* A regulator records nothing; another grid's worker is refused. */
    assert_int_equal(nonce(&w->s_regulator, pa, w->p2, n2), WS_EFORBIDDEN);
    verify_clean();
    clock_test_advance(-shifted);
}

/* --------------------------------------------------- failed item → hazard */

static void test_failed_item_opens_hazard_and_offline(void **state)
{
    (void)state;
    world *w = &tc.w;
    int64_t shifted = clear_of_day_edges(w->grid_a);
    int64_t now = clock_now_ms();
    assert_int_equal(patrol_tick(tc.c, now, NULL, NULL), WS_OK);
    int64_t pa = patrol_of(w->grid_a, "own", NULL);
    /* Start (online): one offline nonce per stop. */
    audit_actor who = {"account:11"};
    wf_actor by = {&who, &w->s_leader_a};
    json_t *nonces = NULL;
    assert_int_equal(patrol_start(tc.c, &by, pa, &nonces), WS_OK);
    assert_int_equal(json_array_size(nonces), 2);
    const char *off2 = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(nonces, i, x) if (json_integer_value(json_object_get(x, "point_id")) == w->p2)
        off2 = json_string_value(json_object_get(x, "nonce"));
    assert_non_null(off2);
    /* An offline nonce does not prove an online check. */
    const bool bad[1] = {false};
    assert_int_equal(check(&w->s_leader_a, pa, w->p2, off2, bad, 1, false, 0, NULL), WS_EINVAL);
    /* Offline at GA-02, five minutes ago by the phone, the measure failed. */
    int opened = 0;
    clock_test_advance(10 * MIN); /* synced ten minutes later; checked five minutes before that */
    int64_t phone = now + 5 * MIN;
    ws_err crc = check(&w->s_leader_a, pa, w->p2, off2, bad, 1, true, phone, &opened);
    if (crc) fail_msg("check: %s: %s", ws_err_field(), ws_err_message());
    assert_int_equal(opened, 1);
    json_t *p = NULL;
    assert_int_equal(patrol_get_json(tc.c, NULL, pa, &p), WS_OK);
    json_t *st = stop_of(p, w->p2);
    assert_string_equal(json_string_value(json_object_get(st, "time_source")), "phone");
    assert_string_equal(json_string_value(json_object_get(json_object_get(st, "proof"), "nonce")), "offline");
    char t1[40], t2[40];
    assert_string_equal(json_string_value(json_object_get(st, "checked_at")),
                        clock_format_rfc3339(phone, t1, sizeof t1));
    assert_string_equal(json_string_value(json_object_get(st, "client_time")), t1);
    assert_non_null(json_string_value(json_object_get(st, "received_at")));
    (void)t2;
    int64_t hid = json_integer_value(json_array_get(json_object_get(st, "hazard_ids"), 0));
    assert_true(hid > 0);
    json_decref(p);
    /* The hazard: at the grid, the measure's event and accident type,
     * found at the phone's time, and it points back to the patrol. */
    json_t *h = NULL;
    assert_int_equal(hazard_get_json(tc.c, NULL, hid, &h), WS_OK);
    assert_int_equal(json_integer_value(json_object_get(h, "unit_id")), w->grid_a);
    assert_string_equal(json_string_value(json_object_get(h, "accident_type")), "08");
    assert_non_null(strstr(json_string_value(json_object_get(h, "title")), "呼吸阀完好无堵塞"));
    assert_string_equal(json_string_value(json_object_get(h, "found_at")), t1);
    json_decref(h);
    int64_t back = 0, sid = 0;
    assert_int_equal(patrol_of_hazard(tc.c, hid, &back, &sid), WS_OK);
    assert_int_equal(back, pa);
    /* Offline without any nonce: accepted, recorded as not proved; the
     * last stop finishes the patrol. */
    const bool ok2[2] = {true, true};
    assert_int_equal(check(&w->s_leader_a, pa, w->p1, NULL, ok2, 2, true, 0, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "client_time");
    assert_int_equal(check(&w->s_leader_a, pa, w->p1, NULL, ok2, 2, true, now - MIN, NULL), WS_OK);
    clock_test_advance(-10 * MIN);
    assert_int_equal(patrol_get_json(tc.c, NULL, pa, &p), WS_OK);
    assert_string_equal(json_string_value(json_object_get(p, "state")), "done");
    assert_string_equal(json_string_value(json_object_get(json_object_get(stop_of(p, w->p1), "proof"), "nonce")),
                        "none");
    /* the patrol done earned its assignee the points bank's patrol_done, once */
    int64_t assignee = json_integer_value(json_object_get(p, "assignee_person_id")), bal = 0, earned = 0;
    bank_holder_ref who_earned = {.person_id = assignee};
    assert_int_equal(bank_balance(tc.c, who_earned, &bal, &earned), WS_OK);
    assert_int_equal(earned, 2);
    json_decref(p);
    /* A finished record does not change. */
    assert_int_equal(check(&w->s_leader_a, pa, w->p1, NULL, ok2, 2, true, now, NULL), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "state");
    json_decref(nonces);
    verify_clean();
    clock_test_advance(-shifted);
}

/* ------------------------------------------------- cross-supervision */

static void test_cross_supervision(void **state)
{
    (void)state;
    world *w = &tc.w;
    json_t *items = json_pack("[s]", "交叉检查：动火作业票现场核对");
    int64_t xt = 0;
    assert_int_equal(patrol_template_create(tc.c, &TRUSTED, w->ent, "交叉监督", items, &xt), WS_OK);
    json_decref(items);
    /* A ring under the area: A inspects B, B inspects A. */
    int count = 0;
    assert_int_equal(patrol_rota_set(tc.c, &TRUSTED, w->area, NULL, 0, xt, &count), WS_OK);
    assert_int_equal(count, 2);
    json_t *rota = NULL;
    org_unit a;
    assert_int_equal(org_unit_get(tc.c, w->area, &a), WS_OK);
    assert_int_equal(patrol_rota_list(tc.c, a.path, &rota), WS_OK);
    assert_int_equal(json_array_size(rota), 2);
    json_decref(rota);
    /* A rota row of a grid inspecting itself is refused. */
    patrol_rota_in self = {w->grid_a, w->grid_a, xt, 127};
    assert_int_equal(patrol_rota_set(tc.c, &TRUSTED, w->area, &self, 1, 0, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "items[0].target_grid_id");
    int64_t now = clock_now_ms();
    int made = 0;
    assert_int_equal(patrol_tick(tc.c, now, &made, NULL), WS_OK);
    assert_int_equal(made, 4); /* two own, two cross */
    json_t *p = NULL;
    int64_t xb = patrol_of(w->grid_b, "cross", &p);
    assert_int_equal(json_integer_value(json_object_get(p, "assignee_person_id")), w->leader_a);
    json_t *st = stop_of(p, w->pb1);
    assert_int_equal(json_array_size(json_object_get(st, "items")), 1);
    json_decref(p);
    /* Grid B's own leader may not record the cross patrol of grid B... */
    char n[PATROL_NONCE_LEN + 1];
    assert_int_equal(nonce(&w->s_leader_b, xb, w->pb1, n), WS_EFORBIDDEN);
    /* ...grid A's leader, scoped to the area, does. */
    auth_subject la = w->s_leader_a;
    org_unit ar;
    assert_int_equal(org_unit_get(tc.c, w->area, &ar), WS_OK);
    snprintf(la.scope_path, sizeof la.scope_path, "%s", ar.path);
    assert_int_equal(nonce(&la, xb, w->pb1, n), WS_OK);
    const bool ok[1] = {true};
    assert_int_equal(check(&la, xb, w->pb1, n, ok, 1, false, 0, NULL), WS_OK);
    assert_int_equal(patrol_get_json(tc.c, NULL, xb, &p), WS_OK);
    assert_string_equal(json_string_value(json_object_get(p, "state")), "done");
    json_decref(p);
    /* Scoped to grid A only, the cross patrol of B is not even visible. */
    assert_int_equal(nonce(&w->s_leader_a, xb, w->pb1, n), WS_ENOTFOUND);
    /* An edit keeps the rows that stay, with their ids (which name the
     * day's cross patrols): B's inspection of A dropped, A's of B keeps its
     * row, and the same day's tick makes no patrol again. */
    assert_int_equal(patrol_rota_list(tc.c, a.path, &rota), WS_OK);
    int64_t ab_id = 0;
    for (size_t i = 0; i < json_array_size(rota); i++) {
        json_t *r = json_array_get(rota, i);
        if (json_integer_value(json_object_get(r, "inspector_grid_id")) == w->grid_a)
            ab_id = json_integer_value(json_object_get(r, "id"));
    }
    json_decref(rota);
    assert_true(ab_id > 0);
    patrol_rota_in ab = {w->grid_a, w->grid_b, xt, 0}; /* 0: every day, as stored 127 */
    assert_int_equal(patrol_rota_set(tc.c, &TRUSTED, w->area, &ab, 1, 0, &count), WS_OK);
    assert_int_equal(count, 1);
    assert_int_equal(patrol_rota_list(tc.c, a.path, &rota), WS_OK);
    assert_int_equal(json_array_size(rota), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rota, 0), "id")), ab_id);
    json_decref(rota);
    assert_int_equal(patrol_tick(tc.c, now, &made, NULL), WS_OK);
    assert_int_equal(made, 0);
    verify_clean();
}

/* --------------------------------------------------------- escalation */

static void test_missed_escalates_once(void **state)
{
    (void)state;
    world *w = &tc.w;
    int64_t ch = 0, now = clock_now_ms();
    assert_int_equal(notify_channel_add(tc.c, "webhook", "值班群", "http://127.0.0.1:9/hook", NULL, 0,
                                        now, &ch), WS_OK);
    assert_int_equal(patrol_tick(tc.c, now, NULL, NULL), WS_OK);
    json_t *p = NULL;
    int64_t pa = patrol_of(w->grid_a, "own", &p);
    int64_t end = 0;
    assert_int_equal(clock_parse_rfc3339(json_string_value(json_object_get(p, "window_end")), &end), 0);
    json_decref(p);
    /* At the end of the day it is not missed yet: offline checks may still arrive. */
    int missed = 0;
    assert_int_equal(patrol_tick(tc.c, end + MIN, NULL, &missed), WS_OK);
    assert_int_equal(missed, 0);
    assert_int_equal(patrol_tick(tc.c, end + PATROL_SYNC_GRACE_MS + MIN, NULL, &missed), WS_OK);
    assert_int_equal(missed, 2); /* grid A and grid B: nobody patrolled */
    assert_int_equal(patrol_tick(tc.c, end + PATROL_SYNC_GRACE_MS + 2 * MIN, NULL, &missed), WS_OK);
    assert_int_equal(missed, 0);
    assert_int_equal(patrol_get_json(tc.c, NULL, pa, &p), WS_OK);
    assert_string_equal(json_string_value(json_object_get(p, "state")), "missed");
    assert_non_null(json_string_value(json_object_get(p, "escalated_at")));
    json_t *to = json_array_get(json_object_get(p, "escalated_to"), 0);
    assert_int_equal(json_integer_value(json_object_get(to, "person_id")), w->area_head);
    json_decref(p);
    /* The message is in the outbox, the area head's phone mentioned. */
    notify_outbox_item *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    assert_int_equal(notify_outbox_list(tc.c, "", ch, 0, 50, &items, &n, &next), WS_OK);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (strstr(items[i].row.title, "巡查未完成") && items[i].row.mentions &&
            strstr(items[i].row.mentions, "13900000002"))
            found++;
    notify_outbox_free(items, n);
    assert_int_equal(found, 2);
    verify_clean();
}

/* ------------------------------------------------------------ registers */

static void test_points_refuse_bad_input(void **state)
{
    (void)state;
    world *w = &tc.w;
    int64_t id = 0;
    patrol_point_in in = {.grid_unit_id = w->area, .code = "X1", .name = "点"};
    assert_int_equal(patrol_point_create(tc.c, &TRUSTED, &in, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "grid_unit_id");
    in.grid_unit_id = w->grid_a;
    in.code = "GA-01";
    assert_int_equal(patrol_point_create(tc.c, &TRUSTED, &in, &id), WS_ECONFLICT);
    assert_string_equal(ws_err_field(), "code");
    in.code = "含中文";
    assert_int_equal(patrol_point_create(tc.c, &TRUSTED, &in, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "code");
    in.code = "X2";
    in.has_gps = true;
    in.lat = 91;
    assert_int_equal(patrol_point_create(tc.c, &TRUSTED, &in, &id), WS_EINVAL);
    assert_string_equal(ws_err_field(), "lat");
    /* A grid leader may not keep points; a safety officer may. */
    audit_actor who = {"account:11"};
    org_caller gl = {&who, &w->s_leader_a};
    in.has_gps = false;
    assert_int_equal(patrol_point_create(tc.c, &gl, &in, &id), WS_EFORBIDDEN);
    char *svg = NULL;
    size_t len = 0;
    assert_int_equal(patrol_point_qr(tc.c, &w->s_member_a, w->p1, "https://safety.example.com", &svg, &len),
                     WS_OK);
    assert_non_null(strstr(svg, "<svg"));
    free(svg);
    json_t *pt = NULL;
    assert_int_equal(patrol_point_get_json(tc.c, &w->s_member_a, 0, "GA-02", &pt), WS_OK);
    assert_int_equal(json_integer_value(json_object_get(pt, "id")), w->p2);
    json_decref(pt);
    assert_int_equal(patrol_point_get_json(tc.c, &w->s_member_a, 0, "GB-01", &pt), WS_ENOTFOUND);
}

/* ------------------------------------------------------------------ main */

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/patrol/v1")) {
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_patrol_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || auth_init() || risk_init() || workflow_init() || hazard_init() ||
        plant_init(ledger_tz_offset) || patrol_init() || attach_init(tmpdir, NULL))
        return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_day_follows_shifts_across_midnight),
        DB_TEST(test_nonce_rules),
        DB_TEST(test_failed_item_opens_hazard_and_offline),
        DB_TEST(test_cross_supervision),
        DB_TEST(test_missed_escalates_once),
        DB_TEST(test_points_refuse_bad_input),
    };
    int failed = cmocka_run_group_tests_name("patrol_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("patrol_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "patrol_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
