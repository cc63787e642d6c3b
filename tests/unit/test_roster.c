/* test_roster.c — shift rosters (src/plant/roster.c) on real stores: who is
 * on duty in a unit at an instant, in the unit's zone — day and night shifts
 * across midnight (Asia/Shanghai) and across both DST changes
 * (Europe/Berlin: a night shift ends at 08:00 local, 11 or 13 hours after
 * it began); the walk up to the nearest ancestor unit with someone on duty;
 * the bulk add all or nothing with refusals naming entries[i].field; scope
 * and permissions; crews (班组) and their schedules; `audit verify` clean. */
#include "unit/plant_fixture.h"

/* Local wall time to UTC: ordinary, spring gap (moves forward), autumn
 * overlap (the earlier instant). */
static void test_local_time(void **state)
{
    (void)state;
    int64_t day = 0, ms = 0;
    assert_true(plant_date_parse("2026-03-10", &day));
    char s[11];
    plant_date_format(day, s);
    assert_string_equal(s, "2026-03-10");
    assert_false(plant_date_parse("2026-02-29", &day));
    assert_true(plant_date_parse("2028-02-29", &day));
    assert_false(plant_date_parse("2026-3-10", &day));

    assert_true(plant_date_parse("2026-03-10", &day));
    OK(plant_local_to_utc("Asia/Shanghai", day, 8 * 60, &ms));
    assert_int_equal(ms, utc("2026-03-10", 0, 0));
    OK(plant_local_to_utc("Asia/Shanghai", day, 20 * 60 + 720, &ms)); /* next morning 08:00 */
    assert_int_equal(ms, utc("2026-03-11", 0, 0));

    assert_true(plant_date_parse("2026-03-29", &day)); /* CET -> CEST at 02:00 */
    OK(plant_local_to_utc("Europe/Berlin", day, 1 * 60 + 30, &ms));
    assert_int_equal(ms, utc("2026-03-29", 0, 30));
    OK(plant_local_to_utc("Europe/Berlin", day, 2 * 60 + 30, &ms)); /* does not exist: 03:30 */
    assert_int_equal(ms, utc("2026-03-29", 1, 30));
    OK(plant_local_to_utc("Europe/Berlin", day, 3 * 60 + 30, &ms));
    assert_int_equal(ms, utc("2026-03-29", 1, 30));
    assert_true(plant_date_parse("2026-10-25", &day)); /* CEST -> CET at 03:00 */
    OK(plant_local_to_utc("Europe/Berlin", day, 2 * 60 + 30, &ms)); /* twice: the first */
    assert_int_equal(ms, utc("2026-10-25", 0, 30));
    OK(plant_local_to_utc("Europe/Berlin", day, 8 * 60, &ms));
    assert_int_equal(ms, utc("2026-10-25", 7, 0));

    OK(plant_local_day("Asia/Shanghai", utc("2026-03-10", 16, 30), &day)); /* 00:30 next day */
    plant_date_format(day, s);
    assert_string_equal(s, "2026-03-11");
}

static int64_t shift(store_conn *c, int64_t unit, const char *name, const char *start, int len)
{
    plant_shift_in in = {.unit_id = unit, .name = name, .start = start, .length_min = len};
    int64_t id = 0;
    OK(plant_shift_create(c, &TRUSTED, &in, &id));
    return id;
}

/* The one person on duty (0 none) and where found. */
static int64_t duty(store_conn *c, int64_t unit, const char *role, int64_t at, int64_t *from)
{
    int64_t ids[8];
    size_t n = 0;
    OK(plant_on_duty_at(c, unit, role, at, ids, 8, &n, from));
    assert_true(n <= 1);
    return n ? ids[0] : 0;
}

/* Shanghai: 白班 08:00-20:00 and 夜班 20:00-08:00 crossing midnight; a
 * safety officer on the site is found from the area by walking up; nobody
 * anywhere is n = 0. */
static void test_on_duty_shanghai(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t day = shift(t->c, w.area, "白班", "08:00", 720);
    int64_t night = shift(t->c, w.area, "夜班", "20:00", 720);
    int64_t site_day = shift(t->c, w.site, "常白班", "08:30", 540);
    plant_roster_in e[] = {
        {day, w.p[0], "2026-03-10", "grid_leader"},
        {night, w.p[1], "2026-03-10", "grid_leader"},
        {site_day, w.p[2], "2026-03-10", "safety_officer"},
        {day, w.p[3], "2026-03-10", "operator"},
        {night, w.p[3], "2026-03-09", "grid_leader"},
    };
    int64_t ids[5] = {0};
    OK(plant_roster_add(t->c, &TRUSTED, e, 5, ids));
    assert_true(ids[4] > ids[0]);
    int64_t from = 0;
    /* 2026-03-10 09:00 +08 = 01:00 UTC */
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-10", 1, 0), &from), w.p[0]);
    assert_int_equal(from, w.area);
    /* 07:59 +08 on the 10th: still the night shift of the 9th */
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-09", 23, 59), NULL), w.p[3]);
    /* 21:00 and 02:00 +08 (after midnight) and 07:59: the night shift of the 10th */
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-10", 13, 0), NULL), w.p[1]);
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-10", 18, 0), NULL), w.p[1]);
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-10", 23, 59), NULL), w.p[1]);
    /* 08:00 +08 on the 11th: nobody rostered, nowhere up the tree */
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-11", 0, 0), &from), 0);
    assert_int_equal(from, 0);
    /* The safety officer of the site, asked from the area. */
    assert_int_equal(duty(t->c, w.area, "safety_officer", utc("2026-03-10", 1, 0), &from), w.p[2]);
    assert_int_equal(from, w.site);
    /* 08:29 +08: the site's shift has not begun. */
    assert_int_equal(duty(t->c, w.area, "safety_officer", utc("2026-03-10", 0, 29), NULL), 0);
    /* A person who left is not on duty; their entries stay, marked. */
    plant_roster r;
    OK(plant_roster_get(t->c, ids[0], &r));
    assert_int_equal(r.person_id, w.p[0]);
    assert_true(r.person_active);
    OK(org_person_deactivate(t->c, &TRUSTED, w.p[0], "离职"));
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-10", 1, 0), NULL), 0);
    OK(plant_roster_get(t->c, ids[0], &r));
    assert_false(r.person_active);
    /* A retired shift neither. */
    plant_shift_in off = {.set = PLANT_SH_ACTIVE, .active = false};
    OK(plant_shift_update(t->c, &TRUSTED, night, &off));
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-10", 13, 0), NULL), 0);
    int64_t ids2[2];
    size_t n = 0;
    REFUSED(plant_on_duty(t->c, w.area, "boss", 0, ids2, 2, &n), WS_EINVAL, "role");
    verify_clean(t->c);
}

/* Berlin: the night shift 20:00 + 720 min ends at 08:00 local on both DST
 * nights: 11 h of real time in March, 13 h in October. */
static void test_on_duty_berlin_dst(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t night = shift(t->c, w.area2, "Nachtschicht", "20:00", 720);
    int64_t early = shift(t->c, w.area2, "Frühschicht", "02:30", 120);
    plant_roster_in e[] = {
        {night, w.q[0], "2026-03-28", "operator"},
        {night, w.q[1], "2026-10-24", "operator"},
        {early, w.q[1], "2026-03-29", "grid_leader"},
    };
    OK(plant_roster_add(t->c, &TRUSTED, e, 3, NULL));
    /* March: 20:00 CET = 19:00 UTC; 08:00 CEST = 06:00 UTC. */
    assert_int_equal(duty(t->c, w.area2, "operator", utc("2026-03-28", 18, 59), NULL), 0);
    assert_int_equal(duty(t->c, w.area2, "operator", utc("2026-03-28", 19, 0), NULL), w.q[0]);
    assert_int_equal(duty(t->c, w.area2, "operator", utc("2026-03-29", 5, 59), NULL), w.q[0]);
    assert_int_equal(duty(t->c, w.area2, "operator", utc("2026-03-29", 6, 30), NULL), 0);
    /* October: 20:00 CEST = 18:00 UTC; 08:00 CET = 07:00 UTC. */
    assert_int_equal(duty(t->c, w.area2, "operator", utc("2026-10-24", 18, 0), NULL), w.q[1]);
    assert_int_equal(duty(t->c, w.area2, "operator", utc("2026-10-25", 6, 30), NULL), w.q[1]);
    assert_int_equal(duty(t->c, w.area2, "operator", utc("2026-10-25", 7, 0), NULL), 0);
    /* A shift starting in the spring gap (02:30) starts at 03:30 CEST and
     * still ends at 04:30 local. */
    assert_int_equal(duty(t->c, w.area2, "grid_leader", utc("2026-03-29", 1, 29), NULL), 0);
    assert_int_equal(duty(t->c, w.area2, "grid_leader", utc("2026-03-29", 1, 30), NULL), w.q[1]);
    assert_int_equal(duty(t->c, w.area2, "grid_leader", utc("2026-03-29", 2, 29), NULL), w.q[1]);
    assert_int_equal(duty(t->c, w.area2, "grid_leader", utc("2026-03-29", 2, 30), NULL), 0);
    verify_clean(t->c);
}

/* Refusals name the field; a bulk add is all or nothing. */
static void test_refusals(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t id = 0;
    plant_shift_in s = {.unit_id = w.area, .name = "白班", .start = "24:00", .length_min = 720};
    REFUSED(plant_shift_create(t->c, &TRUSTED, &s, &id), WS_EINVAL, "start");
    s.start = "8:00";
    REFUSED(plant_shift_create(t->c, &TRUSTED, &s, &id), WS_EINVAL, "start");
    s.start = "08:00";
    s.length_min = 0;
    REFUSED(plant_shift_create(t->c, &TRUSTED, &s, &id), WS_EINVAL, "length_min");
    s.length_min = 1441;
    REFUSED(plant_shift_create(t->c, &TRUSTED, &s, &id), WS_EINVAL, "length_min");
    s.length_min = 720;
    s.name = " ";
    REFUSED(plant_shift_create(t->c, &TRUSTED, &s, &id), WS_EINVAL, "name");
    s.name = "白班";
    s.unit_id = w.park;
    REFUSED(plant_shift_create(t->c, &TRUSTED, &s, &id), WS_EINVAL, "unit_id");
    s.unit_id = w.area;
    OK(plant_shift_create(t->c, &TRUSTED, &s, &id));
    REFUSED(plant_shift_create(t->c, &TRUSTED, &s, &id), WS_ECONFLICT, "name");

    plant_roster_in e[] = {
        {id, w.p[0], "2026-03-10", "operator"},
        {id, w.p[1], "2026-03-10", "boss"},
    };
    REFUSED(plant_roster_add(t->c, &TRUSTED, e, 2, NULL), WS_EINVAL, "entries[1].role");
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM roster_entries"), 0);
    e[1].role = "operator";
    e[1].day = "2026-02-30";
    REFUSED(plant_roster_add(t->c, &TRUSTED, e, 2, NULL), WS_EINVAL, "entries[1].day");
    e[1].day = "2026-03-10";
    e[1].person_id = w.q[0]; /* another enterprise */
    REFUSED(plant_roster_add(t->c, &TRUSTED, e, 2, NULL), WS_EINVAL, "entries[1].person_id");
    e[1].person_id = w.p[1];
    e[1].shift_id = 9999;
    REFUSED(plant_roster_add(t->c, &TRUSTED, e, 2, NULL), WS_ENOTFOUND, "entries[1].shift_id");
    e[1].shift_id = id;
    OK(plant_roster_add(t->c, &TRUSTED, e, 2, NULL));
    REFUSED(plant_roster_add(t->c, &TRUSTED, e, 1, NULL), WS_ECONFLICT, "entries[0]");
    REFUSED(plant_roster_add(t->c, &TRUSTED, e, 0, NULL), WS_EINVAL, "entries");
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM roster_entries"), 2);
    verify_clean(t->c);
}

/* Scope: an E2 safety officer neither sees nor writes E1's rosters; a
 * worker of E1 reads (the API decides) but never writes; lists filter. */
static void test_scope_and_lists(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t day = shift(t->c, w.area, "白班", "08:00", 720);
    shift(t->c, w.area2, "Tag", "06:00", 480);
    plant_roster_in e[7];
    char days[7][16];
    for (int i = 0; i < 7; i++) { /* a week */
        snprintf(days[i], sizeof days[i], "2026-03-%02u", (unsigned)(9 + i) % 100u);
        e[i] = (plant_roster_in){day, w.p[i % 2], days[i], "grid_leader"};
    }
    int64_t ids[7];
    OK(plant_roster_add(t->c, &TRUSTED, e, 7, ids));

    auth_subject so2 = subject(ROLE_SAFETY_OFFICER, 0, w.ent2_path);
    org_caller by2 = {&WHO, &so2};
    REFUSED(plant_roster_add(t->c, &by2, e, 1, NULL), WS_ENOTFOUND, "entries[0].shift_id");
    REFUSED(plant_roster_delete(t->c, &by2, ids[0]), WS_ENOTFOUND, "id");
    plant_shift_in s = {.unit_id = w.area, .name = "夜班", .start = "20:00", .length_min = 720};
    int64_t id = 0;
    REFUSED(plant_shift_create(t->c, &by2, &s, &id), WS_ENOTFOUND, "unit_id");
    auth_subject wk = subject(ROLE_WORKER, 0, w.ent_path);
    org_caller wby = {&WHO, &wk};
    REFUSED(plant_shift_create(t->c, &wby, &s, &id), WS_EFORBIDDEN, "");
    auth_subject so = subject(ROLE_SAFETY_OFFICER, 0, w.ent_path);
    org_caller by = {&WHO, &so};
    OK(plant_shift_create(t->c, &by, &s, &id));

    plant_filter f = {.scope_path = w.ent_path, .active = -1, .limit = 50};
    plant_shift *sh = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(plant_shift_list(t->c, &f, &sh, &n, &next));
    assert_int_equal(n, 2); /* not Berlin's */
    free(sh);
    plant_roster *r = NULL;
    f.from = "2026-03-10";
    f.to = "2026-03-12";
    OK(plant_roster_list(t->c, &f, &r, &n, &next));
    assert_int_equal(n, 3);
    assert_string_equal(r[0].day, "2026-03-10");
    assert_string_equal(r[0].shift_name, "白班");
    assert_string_equal(r[0].person_name, "李娜");
    free(r);
    f.from = f.to = NULL;
    f.person_id = w.p[0];
    f.limit = 2;
    OK(plant_roster_list(t->c, &f, &r, &n, &next));
    assert_int_equal(n, 2);
    assert_true(next > 0);
    free(r);
    f.cursor = next;
    OK(plant_roster_list(t->c, &f, &r, &n, &next));
    assert_int_equal(n, 2); /* p0 has 4 of the 7 days */
    assert_int_equal(next, 0);
    free(r);
    f = (plant_filter){.scope_path = w.ent2_path, .active = -1};
    OK(plant_roster_list(t->c, &f, &r, &n, &next));
    assert_int_equal(n, 0);
    free(r);

    OK(plant_roster_delete(t->c, &by, ids[0]));
    plant_roster one;
    REFUSED(plant_roster_get(t->c, ids[0], &one), WS_ENOTFOUND, "id");
    verify_clean(t->c);
}

static int64_t crew(store_conn *c, const org_caller *by, int64_t unit, const char *name, size_t n,
                    const int64_t *pids, const char *const *roles, ws_err want, const char *field)
{
    plant_crew_in in = {.unit_id = unit, .name = name, .nmembers = n, .person_ids = pids, .roles = roles};
    int64_t id = 0;
    if (want) REFUSED(plant_crew_create(c, by, &in, &id), want, field);
    else OK(plant_crew_create(c, by, &in, &id));
    return id;
}

/* Crews (班组, invariant 7): one 班长, a person in one active crew of a unit,
 * people of the enterprise; a crew put on a shift for days all or nothing,
 * the members already there kept, the entries naming the crew and its 班长
 * on duty; retired crews are not scheduled and give their people back; a
 * member who left is named; scope. */
static void test_crews(void **state)
{
    tctx *t = *state;
    world w = org_world(t->c);
    int64_t day = shift(t->c, w.area, "白班", "08:00", 720);
    int64_t site_day = shift(t->c, w.site, "常白班", "08:30", 540);
    const char *lead_op[] = {"grid_leader", "operator", "operator"};
    const char *two_leads[] = {"grid_leader", "grid_leader"};
    const char *boss[] = {"boss"};
    int64_t a_ids[] = {w.p[0], w.p[1]}, b_ids[] = {w.p[2], w.p[3]};
    int64_t a = crew(t->c, &TRUSTED, w.area, "甲班", 2, a_ids, lead_op, WS_OK, NULL);
    int64_t other[] = {w.p[1]}, twice[] = {w.p[2], w.p[2]}, foreign[] = {w.q[0]};
    crew(t->c, &TRUSTED, w.area, "乙班", 1, other, lead_op, WS_ECONFLICT, "members[0].person_id");
    crew(t->c, &TRUSTED, w.area, "乙班", 2, b_ids, two_leads, WS_EINVAL, "members[1].role");
    crew(t->c, &TRUSTED, w.area, "乙班", 1, b_ids, boss, WS_EINVAL, "members[0].role");
    crew(t->c, &TRUSTED, w.area, "乙班", 2, twice, lead_op, WS_EINVAL, "members[1].person_id");
    crew(t->c, &TRUSTED, w.area, "乙班", 1, foreign, lead_op, WS_EINVAL, "members[0].person_id");
    crew(t->c, &TRUSTED, w.area, "乙班", 0, b_ids, lead_op, WS_EINVAL, "members");
    crew(t->c, &TRUSTED, w.area, "甲班", 2, b_ids, lead_op, WS_ECONFLICT, "name");
    int64_t b = crew(t->c, &TRUSTED, w.area, "乙班", 2, b_ids, lead_op, WS_OK, NULL);
    plant_crew *cr = malloc(sizeof *cr);
    OK(plant_crew_get(t->c, a, cr));
    assert_int_equal(cr->nmembers, 2);
    assert_int_equal(cr->members[0].person_id, w.p[0]);
    assert_string_equal(cr->members[0].role, "grid_leader");
    assert_string_equal(cr->members[1].name, "李娜");

    /* 甲班 on the day shift of three days; again with one day new */
    const char *d3[] = {"2026-03-10", "2026-03-11", "2026-03-12"}, *d2[] = {"2026-03-12", "2026-03-13"};
    size_t added = 0, kept = 0;
    OK(plant_crew_schedule(t->c, &TRUSTED, a, day, d3, 3, &added, &kept));
    assert_int_equal(added, 6);
    assert_int_equal(kept, 0);
    OK(plant_crew_schedule(t->c, &TRUSTED, a, day, d2, 2, &added, &kept));
    assert_int_equal(added, 2);
    assert_int_equal(kept, 2);
    int64_t from = 0;
    assert_int_equal(duty(t->c, w.area, "grid_leader", utc("2026-03-11", 1, 0), &from), w.p[0]);
    plant_filter f = {.scope_path = w.ent_path, .active = -1, .limit = 50, .from = "2026-03-12", .to = "2026-03-12"};
    plant_roster *r = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(plant_roster_list(t->c, &f, &r, &n, &next));
    assert_int_equal(n, 2);
    assert_int_equal(r[0].crew_id, a);
    assert_string_equal(r[0].crew_name, "甲班");
    free(r);

    /* refusals change nothing */
    long long before = count_sql(t->c, "SELECT COUNT(*) FROM roster_entries");
    const char *bad[] = {"2026-03-20", "2026-13-01"};
    REFUSED(plant_crew_schedule(t->c, &TRUSTED, a, day, bad, 2, &added, &kept), WS_EINVAL, "days[1]");
    REFUSED(plant_crew_schedule(t->c, &TRUSTED, a, site_day, d2, 2, &added, &kept), WS_EINVAL, "shift_id");
    REFUSED(plant_crew_schedule(t->c, &TRUSTED, a, day, d2, 0, &added, &kept), WS_EINVAL, "days");
    REFUSED(plant_crew_schedule(t->c, &TRUSTED, 9999, day, d2, 2, &added, &kept), WS_ENOTFOUND, "id");
    plant_roster_in foreign_crew[] = {{site_day, w.p[2], "2026-03-10", "operator", a}};
    REFUSED(plant_roster_add(t->c, &TRUSTED, foreign_crew, 1, NULL), WS_EINVAL, "entries[0].crew_id");
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM roster_entries"), before);

    /* retired: not scheduled, its people free; back only while they are */
    plant_crew_in off = {.set = PLANT_CR_ACTIVE, .active = false};
    OK(plant_crew_update(t->c, &TRUSTED, a, &off));
    REFUSED(plant_crew_schedule(t->c, &TRUSTED, a, day, d2, 2, &added, &kept), WS_ECONFLICT, "id");
    int64_t b3[] = {w.p[2], w.p[3], w.p[1]};
    plant_crew_in grow = {.set = PLANT_CR_MEMBERS, .nmembers = 3, .person_ids = b3, .roles = lead_op};
    OK(plant_crew_update(t->c, &TRUSTED, b, &grow));
    plant_crew_in on = {.set = PLANT_CR_ACTIVE, .active = true};
    REFUSED(plant_crew_update(t->c, &TRUSTED, a, &on), WS_ECONFLICT, "members[1].person_id");
    plant_crew_in rename = {.set = PLANT_CR_NAME, .name = "乙班"};
    REFUSED(plant_crew_update(t->c, &TRUSTED, a, &rename), WS_ECONFLICT, "name");

    /* a member who left is named, and nothing is rostered */
    OK(org_person_deactivate(t->c, &TRUSTED, w.p[3], "离职"));
    REFUSED(plant_crew_schedule(t->c, &TRUSTED, b, day, d2, 2, &added, &kept), WS_EINVAL, "members[1].person_id");
    assert_int_equal(count_sql(t->c, "SELECT COUNT(*) FROM roster_entries"), before);
    OK(plant_crew_get(t->c, b, cr)); /* listed, marked as gone */
    assert_true(cr->members[0].active);
    assert_false(cr->members[1].active);

    /* scope: another enterprise's safety officer neither sees nor changes them */
    auth_subject so2 = subject(ROLE_SAFETY_OFFICER, 0, w.ent2_path);
    org_caller by2 = {&WHO, &so2};
    REFUSED(plant_crew_update(t->c, &by2, b, &rename), WS_ENOTFOUND, "id");
    REFUSED(plant_crew_schedule(t->c, &by2, b, day, d2, 2, &added, &kept), WS_ENOTFOUND, "id");
    crew(t->c, &by2, w.area, "丙班", 1, foreign, lead_op, WS_ENOTFOUND, "unit_id");
    plant_crew *list = NULL;
    f = (plant_filter){.scope_path = w.ent2_path, .active = -1, .limit = 50};
    OK(plant_crew_list(t->c, &f, &list, &n, &next));
    assert_int_equal(n, 0);
    free(list);
    f.scope_path = w.ent_path;
    f.active = 1;
    OK(plant_crew_list(t->c, &f, &list, &n, &next));
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, b);
    assert_int_equal(list[0].nmembers, 3);
    free(list);
    free(cr);
    verify_clean(t->c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST(test_local_time),
        DB_TEST(test_on_duty_shanghai),
        DB_TEST(test_on_duty_berlin_dst),
        DB_TEST(test_refusals),
        DB_TEST(test_scope_and_lists),
        DB_TEST(test_crews),
    };
    return run_all("roster", tests, sizeof tests / sizeof tests[0]);
}
