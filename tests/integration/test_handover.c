/* test_handover.c — the shift handover record (src/handover) over the wire,
 * on SQLite and PostgreSQL.
 *
 * An area with an alarm raised, a bypass in force and a work order open,
 * under an enterprise with day and night shifts. The draft's window starts
 * at the rostered shift and lists what the next shift inherits. Bad input
 * names its field; the regulator may not hand over. Operator 甲 hands over;
 * a second handover of the unit is refused while it waits; the alarm is
 * acknowledged afterwards and the record still shows it as it was handed
 * over. 甲 cannot take their own handover, 乙 must say why they refuse, and
 * a refused or accepted one cannot be taken again (invariants 1-3 of
 * handover.h). Handed over again and accepted, the next draft starts where
 * it ended (invariant 5). Lists filter by state and by scope; the ledger
 * (CSV) holds both records newest first. Changing a
 * sealed snapshot behind the server's back makes `audit verify` fail
 * (invariant 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "integration/common.h"

#define PW "Shift-Pass-2026"

typedef struct T {
    ws_server s;
    char admin[65], a[65], b[65], reg[65], other[65];
    long long ent, ent2, area, pa, pb, px, alarm;
    char tz[16]; /* the plant's zone (zone_for) */
} T;

static long long unit(T *t, long long parent, const char *kind, const char *code, const char *name)
{
    char b[300];
    snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"%s\",\"code\":\"%s\",\"name\":\"%s\",\"tz\":\"%s\"}",
             parent, kind, code, name, t->tz);
    return ws_post_id(&t->s, t->admin, "/api/v1/units", b);
}

/* The plant's zone, chosen so that its clock reads about local_hour now
 * (an Etc/GMT zone: the sign is the other way round). A handover's shift
 * depends on the hour (the one just ended, 08:00–14:00 and 20:00–02:00, or
 * the one running), so each backend runs in one phase, whatever the time. */
static void zone_for(int local_hour, char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm g;
    gmtime_r(&now, &g);
    int off = ((local_hour - g.tm_hour) % 24 + 24) % 24; /* 0..23 */
    if (off > 14) off -= 24;                             /* -9..14 */
    if (off == 0) snprintf(out, cap, "Etc/GMT");
    else snprintf(out, cap, "Etc/GMT%+d", -off);
}

static long long person(T *t, long long u, const char *name, const char *phone)
{
    char b[200];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"%s\",\"phone\":\"%s\"}", u, name, phone);
    return ws_post_id(&t->s, t->admin, "/api/v1/people", b);
}

static void account(T *t, const char *user, const char *role, long long scope, long long p, char tok[65])
{
    char b[300];
    if (p)
        snprintf(b, sizeof b, "{\"username\":\"%s\",\"password\":\"" PW "\",\"roles\":[\"%s\"],"
                 "\"scope_unit_id\":%lld,\"person_id\":%lld}", user, role, scope, p);
    else
        snprintf(b, sizeof b, "{\"username\":\"%s\",\"password\":\"" PW "\",\"roles\":[\"%s\"],"
                 "\"scope_unit_id\":%lld}", user, role, scope);
    ws_post_id(&t->s, t->admin, "/api/v1/accounts", b);
    assert_int_equal(ws_login(&t->s, user, PW, tok), 200);
}

/* POST path body as tok: the status, and the error's field into field. */
static long post(T *t, const char *tok, const char *path, const char *body, char field[64])
{
    json_t *r = NULL;
    long st = ws_req(&t->s, "POST", path, tok, body, &r);
    snprintf(field, 64, "%s", ws_err_field_of(r));
    json_decref(r);
    return st;
}

static json_t *get(T *t, const char *tok, const char *path, long want)
{
    json_t *r = NULL;
    long st = ws_req(&t->s, "GET", path, tok, NULL, &r);
    if (st != want) fail_msg("GET %s -> %ld (%s)", path, st, ws_err_field_of(r));
    return r;
}

static long long num(json_t *o, const char *path) /* "a.b.c" */
{
    char key[64];
    const char *p = path;
    while (o && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        o = json_object_get(o, key);
        p += n + (p[n] == '.');
    }
    return json_integer_value(o);
}

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The world: an enterprise with shifts, an area with an alarm, a bypass in
 * force and an open work order; people and accounts. */
static void setup(T *t, const char *backend)
{
    /* SQLite in the running night shift (about 03:00), PostgreSQL early in
     * the day shift, when a first handover hands over the night just ended */
    zone_for(strcmp(backend, "postgres") ? 3 : 9, t->tz, sizeof t->tz);
    const char *extra[] = {"--org-kind", "park", "--org-name", "交接班园区", NULL};
    assert_int_equal(ws_server_start(&t->s, backend, extra), 0);
    assert_int_equal(ws_login(&t->s, "admin", WS_ADMIN_PW, t->admin), 200);
    json_t *r = get(t, t->admin, "/api/v1/me", 200);
    long long park = num(r, "scope.id");
    json_decref(r);
    t->ent = unit(t, park, "enterprise", "E1", "精细化工");
    t->ent2 = unit(t, park, "enterprise", "E2", "新材料");
    t->area = unit(t, t->ent, "area", "A1", "合成车间");
    t->pa = person(t, t->area, "操作工甲", "13900000011");
    t->pb = person(t, t->area, "操作工乙", "13900000012");
    t->px = person(t, t->ent2, "外企员工", "");
    account(t, "jia", "worker", t->ent, t->pa, t->a);
    account(t, "yi", "worker", t->ent, t->pb, t->b);
    account(t, "reg", "regulator", t->ent, 0, t->reg);
    account(t, "other", "manager", t->ent2, t->px, t->other);
    char b[600];
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"白班\",\"start\":\"08:00\",\"length_min\":720}", t->ent);
    ws_post_id(&t->s, t->admin, "/api/v1/shifts", b);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"夜班\",\"start\":\"20:00\",\"length_min\":720}", t->ent);
    ws_post_id(&t->s, t->admin, "/api/v1/shifts", b);
    /* an alarm: 30 %LEL on a combustible point (over H 25) */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"GT-1\",\"name\":\"可燃气体\",\"kind\":\"combustible\"}", t->area);
    long long point = ws_post_id(&t->s, t->admin, "/api/v1/points", b);
    long long now = (long long)time(NULL) * 1000;
    snprintf(b, sizeof b, "GT-1 30 %lld\n", now - 1000);
    json_t *x = NULL;
    assert_int_equal(ws_http(&t->s, "POST", "/api/v1/ingest", t->admin, b, strlen(b), "text/plain", &x, NULL), 200);
    json_decref(x);
    char p[128];
    snprintf(p, sizeof p, "/api/v1/alarms?unit_id=%lld", t->area);
    r = get(t, t->admin, p, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    t->alarm = num(json_array_get(json_object_get(r, "items"), 0), "id");
    json_decref(r);
    /* a bypass in force and an open work order */
    char soon[40];
    time_t s = time(NULL) + 3600;
    strftime(soon, sizeof soon, "%Y-%m-%dT%H:%M:%SZ", gmtime(&s));
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"point_id\":%lld,\"interlock\":\"GT-1 联锁\",\"reason\":\"校验\","
             "\"measures\":\"专人监护\",\"requested_by_person_id\":%lld,\"expires_at\":\"%s\"}", t->area, point, t->pa, soon);
    long long bp = ws_post_id(&t->s, t->admin, "/api/v1/bypasses", b);
    snprintf(p, sizeof p, "/api/v1/bypasses/%lld/actions/approve", bp);
    snprintf(b, sizeof b, "{\"approver_person_id\":%lld}", t->pb);
    assert_int_equal(ws_req(&t->s, "POST", p, t->admin, b, NULL), 200);
    snprintf(p, sizeof p, "/api/v1/bypasses/%lld/actions/activate", bp);
    assert_int_equal(ws_req(&t->s, "POST", p, t->admin, "{}", NULL), 200);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"code\":\"P-1\",\"name\":\"进料泵\",\"kind\":\"pump\"}", t->area);
    long long eq = ws_post_id(&t->s, t->admin, "/api/v1/equipment", b);
    snprintf(b, sizeof b, "{\"equipment_id\":%lld,\"title\":\"P-1 机封渗漏\"}", eq);
    ws_post_id(&t->s, t->admin, "/api/v1/work-orders", b);
    /* the shift's group robot (nothing listens: the messages stay in the outbox) */
    ws_post_id(&t->s, t->admin, "/api/v1/notify/channels",
               "{\"kind\":\"webhook\",\"name\":\"班组群\",\"url\":\"http://127.0.0.1:9/hook\"}");
}

/* The body of the newest outbox message titled title; fails when none. */
static char *told(T *t, const char *title)
{
    json_t *r = get(t, t->admin, "/api/v1/notify/outbox?limit=200", 200), *x;
    size_t i;
    char *body = NULL;
    json_array_foreach(json_object_get(r, "items"), i, x) if (!body && !strcmp(str(x, "title"), title))
        body = strdup(str(x, "body"));
    json_decref(r);
    if (!body) fail_msg("no message titled %s", title);
    return body;
}

static void run(const char *backend)
{
    T t;
    memset(&t, 0, sizeof t);
    setup(&t, backend);
    char p[160], b[2300], f[64];
    long long now = (long long)time(NULL) * 1000;

    /* the draft: the shift's window and what is handed on */
    snprintf(p, sizeof p, "/api/v1/units/%lld/handover-draft", t.area);
    json_t *d = get(&t, t.a, p, 200);
    assert_string_equal(str(d, "from_kind"), "shift");
    assert_true(!strcmp(str(d, "shift_name"), "白班") || !strcmp(str(d, "shift_name"), "夜班"));
    json_t *sum = json_object_get(d, "summary");
    assert_int_equal(num(sum, "raised_by_level.2"), 1);
    assert_int_equal(num(sum, "open_alarms"), 1);
    assert_int_equal(num(sum, "bypasses"), 1);
    assert_int_equal(num(sum, "work_orders"), 1);
    json_t *snap = json_object_get(d, "snapshot");
    assert_int_equal(num(json_array_get(json_object_get(json_object_get(snap, "open_alarms"), "items"), 0), "id"), t.alarm);
    assert_string_equal(str(json_array_get(json_object_get(json_object_get(snap, "bypasses"), "items"), 0), "interlock"),
                        "GT-1 联锁");
    /* invariant 6: the next shift is the other one, its roster empty so far */
    json_t *next = json_object_get(snap, "incoming");
    assert_string_equal(str(next, "shift_name"), strcmp(str(d, "shift_name"), "白班") ? "白班" : "夜班");
    assert_int_equal(json_array_size(json_object_get(next, "people")), 0);
    long long next_shift = num(next, "shift_id");
    char next_day[11];
    snprintf(next_day, sizeof next_day, "%s", str(next, "day"));
    json_decref(d);
    snprintf(p, sizeof p, "/api/v1/units/%lld/handover-draft?hours=25", t.area);
    json_decref(get(&t, t.a, p, 400));

    /* 交接班要求: the defaults until set; bad input names the field; workers may not set them */
    snprintf(p, sizeof p, "/api/v1/units/%lld/handover-settings", t.area);
    json_t *hs = get(&t, t.reg, p, 200);
    assert_string_equal(str(hs, "source"), "default");
    assert_int_equal(num(hs, "wait_min"), 30);
    json_decref(hs);
    static const char *const bad_settings[][2] = {
        {"{\"wait_min\":30,\"early_min\":120}", "required"},
        {"{\"required\":\"yes\",\"wait_min\":30,\"early_min\":120}", "required"},
        {"{\"required\":false,\"wait_min\":\"30\",\"early_min\":120}", "wait_min"},
        {"{\"required\":false,\"wait_min\":241,\"early_min\":120}", "wait_min"},
        {"{\"required\":false,\"wait_min\":30,\"early_min\":-1}", "early_min"},
    };
    for (size_t i = 0; i < sizeof bad_settings / sizeof bad_settings[0]; i++) {
        json_t *e = NULL;
        assert_int_equal(ws_req(&t.s, "PUT", p, t.admin, bad_settings[i][0], &e), 400);
        assert_string_equal(str(json_object_get(e, "error"), "field"), bad_settings[i][1]);
        json_decref(e);
    }
    /* (not required: the server's timer would then page for this area's shift ends) */
    const char *keep = "{\"required\":false,\"wait_min\":45,\"early_min\":120}";
    assert_int_equal(ws_req(&t.s, "PUT", p, t.a, keep, NULL), 403);
    hs = NULL;
    assert_int_equal(ws_req(&t.s, "PUT", p, t.admin, keep, &hs), 200);
    assert_string_equal(str(hs, "source"), "unit");
    assert_int_equal(num(hs, "wait_min"), 45);
    json_decref(hs);

    /* bad input names the field; the regulator may not hand over */
    snprintf(b, sizeof b, "{\"unit_id\":%lld}", t.area);
    assert_int_equal(post(&t, t.a, "/api/v1/handovers", b, f), 400);
    assert_string_equal(f, "note");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"   \"}", t.area);
    assert_int_equal(post(&t, t.a, "/api/v1/handovers", b, f), 400);
    assert_string_equal(f, "note");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"正常\\u007f\"}", t.area); /* DEL, a control character */
    assert_int_equal(post(&t, t.a, "/api/v1/handovers", b, f), 400);
    assert_string_equal(f, "note");
    int k = snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"", t.area);
    memset(b + k, 'x', 2001);
    snprintf(b + k + 2001, sizeof b - (size_t)k - 2001, "\"}");
    assert_int_equal(post(&t, t.a, "/api/v1/handovers", b, f), 400);
    assert_string_equal(f, "note");
    assert_int_equal(post(&t, t.a, "/api/v1/handovers", "{\"unit_id\":999999,\"note\":\"x\"}", f), 404);
    assert_string_equal(f, "unit_id");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"正常\",\"hours\":0}", t.area);
    assert_int_equal(post(&t, t.a, "/api/v1/handovers", b, f), 400);
    assert_string_equal(f, "hours");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"正常\",\"handed_by_person_id\":%lld}", t.area, t.pb);
    assert_int_equal(post(&t, t.a, "/api/v1/handovers", b, f), 400); /* 甲 signs as 甲 */
    assert_string_equal(f, "handed_by_person_id");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"正常\"}", t.area);
    assert_int_equal(post(&t, t.admin, "/api/v1/handovers", b, f), 400); /* the admin has no person */
    assert_string_equal(f, "handed_by_person_id");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"正常\",\"handed_by_person_id\":%lld}", t.area, t.px);
    assert_int_equal(post(&t, t.admin, "/api/v1/handovers", b, f), 400); /* not of this enterprise */
    assert_string_equal(f, "handed_by_person_id");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"正常\"}", t.area);
    assert_int_equal(post(&t, t.reg, "/api/v1/handovers", b, f), 403);
    assert_int_equal(post(&t, t.other, "/api/v1/handovers", b, f), 404);
    snprintf(p, sizeof p, "/api/v1/handovers?unit_id=%lld", t.area);
    json_t *l = get(&t, t.admin, p, 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0); /* nothing half-written */
    json_decref(l);

    /* 甲 hands over; a second one waits its turn */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"GT-1 报警未确认，联锁旁路在用，P-1 待修。\"}", t.area);
    json_t *h = NULL;
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/handovers", t.a, b, &h), 201);
    long long h1 = num(h, "id");
    assert_string_equal(str(h, "state"), "handed");
    assert_int_equal(num(h, "handed_by.id"), t.pa);
    assert_int_equal(num(h, "summary.open_alarms"), 1);
    assert_true(json_is_null(json_object_get(h, "taken_by")));
    json_decref(h);
    assert_int_equal(post(&t, t.b, "/api/v1/handovers", b, f), 409);
    assert_string_equal(f, "unit_id");
    /* the group is told, with what is handed on; the next shift's roster is empty */
    char *m = told(&t, "交接班待接：合成车间（操作工甲 交班）");
    if (!strstr(m, "遗留报警 1 · 在用旁路 1 · 进行中作业 0 · 未完成工单 1") || !strstr(m, "下一班值班表未排人") ||
        !strstr(m, "GT-1 报警未确认"))
        fail_msg("the handover message: %s", m);
    free(m);

    /* the alarm is acknowledged afterwards: the record keeps it as handed over */
    snprintf(p, sizeof p, "/api/v1/alarms/%lld/actions/ack", t.alarm);
    assert_int_equal(ws_req(&t.s, "POST", p, t.b, "{}", NULL), 200);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld", h1);
    h = get(&t, t.b, p, 200);
    json_t *a0 = json_array_get(json_object_get(json_object_get(json_object_get(h, "snapshot"), "open_alarms"), "items"), 0);
    assert_string_equal(str(a0, "state"), "unack");
    json_decref(h);
    json_decref(get(&t, t.other, p, 404)); /* another enterprise's manager */

    /* taking: not by the giver; a refusal says why; final once taken */
    snprintf(p, sizeof p, "/api/v1/handovers/%lld/actions/accept", h1);
    assert_int_equal(post(&t, t.a, p, "{}", f), 400);
    assert_string_equal(f, "taken_by_person_id");
    assert_int_equal(post(&t, t.reg, p, "{}", f), 403);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld/actions/refuse", h1);
    assert_int_equal(post(&t, t.b, p, "{}", f), 400);
    assert_string_equal(f, "note");
    assert_int_equal(post(&t, t.b, p, "{\"note\":\"旁路到期时间未交代\"}", f), 200);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld", h1);
    h = get(&t, t.b, p, 200);
    assert_true(json_is_null(json_object_get(h, "taken_on_roster"))); /* the roster named nobody */
    json_decref(h);
    m = told(&t, "拒绝接班：合成车间（操作工乙 拒绝）"); /* the giver is mentioned */
    if (!strstr(m, "旁路到期时间未交代") || !strstr(m, "操作工甲 @13900000011")) fail_msg("the refusal message: %s", m);
    free(m);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld/actions/refuse", h1);
    assert_int_equal(post(&t, t.b, p, "{\"note\":\"再拒\"}", f), 409);
    assert_string_equal(f, "state");
    snprintf(p, sizeof p, "/api/v1/handovers/%lld/actions/accept", h1);
    assert_int_equal(post(&t, t.b, p, "{}", f), 409);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld/actions/sign", h1);
    assert_int_equal(post(&t, t.b, p, "{}", f), 404);
    assert_string_equal(f, "action");

    /* the next shift's roster now names 甲 only */
    snprintf(b, sizeof b, "{\"entries\":[{\"shift_id\":%lld,\"day\":\"%s\",\"person_id\":%lld,\"role\":\"operator\"},"
             "{\"shift_id\":%lld,\"day\":\"%s\",\"person_id\":%lld,\"role\":\"grid_leader\"}]}",
             next_shift, next_day, t.pa, next_shift, next_day, t.pa);
    assert_int_equal(post(&t, t.admin, "/api/v1/roster-entries", b, f), 201);
    /* 甲's own shifts (GET /me/shifts): the next one, in both roles, with its
     * instants and whether it runs now (the incoming shift of a handover of
     * the shift just ended is the one running); 乙, on no roster, has none */
    l = get(&t, t.a, "/api/v1/me/shifts", 200);
    json_t *ms = json_object_get(l, "items");
    assert_int_equal(json_array_size(ms), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *x = json_array_get(ms, i);
        assert_int_equal(num(x, "shift_id"), next_shift);
        assert_string_equal(str(x, "day"), next_day);
        assert_int_equal(num(x, "person_id"), t.pa);
        int64_t from = 0, to = 0;
        assert_int_equal(clock_parse_rfc3339(str(x, "start"), &from), 0);
        assert_int_equal(clock_parse_rfc3339(str(x, "end"), &to), 0);
        long long at = (long long)time(NULL) * 1000;
        assert_true(to - from == 720 * 60000LL && to > at && from <= at + 12 * 3600000LL);
        assert_int_equal(json_is_true(json_object_get(x, "now")), from <= at && at < to);
    }
    json_decref(l);
    l = get(&t, t.b, "/api/v1/me/shifts", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
    /* handed over again (the snapshot names the roster once however many
     * roles), accepted by 乙, who is not on it: taken, and recorded so */
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"GT-1 联锁旁路 1 小时后到期，到期前恢复。\"}", t.area);
    h = NULL;
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/handovers", t.a, b, &h), 201);
    long long h2 = num(h, "id");
    json_decref(h);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld", h2);
    h = get(&t, t.b, p, 200);
    json_t *ppl = json_object_get(json_object_get(json_object_get(h, "snapshot"), "incoming"), "people");
    assert_int_equal(json_array_size(ppl), 1);
    assert_int_equal(num(json_array_get(ppl, 0), "id"), t.pa);
    assert_int_equal(json_array_size(json_object_get(json_array_get(ppl, 0), "roles")), 2);
    json_decref(h);
    m = told(&t, "交接班待接：合成车间（操作工甲 交班）"); /* the newest: the giver is not asked to take it */
    if (!strstr(m, "- 接班：下一班值班表未排人")) fail_msg("the second handover message: %s", m);
    free(m);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld/actions/accept", h2);
    h = NULL;
    assert_int_equal(ws_req(&t.s, "POST", p, t.b, "{\"note\":\"已核对\"}", &h), 200);
    assert_string_equal(str(h, "state"), "accepted");
    assert_int_equal(num(h, "taken_by.id"), t.pb);
    assert_string_equal(str(h, "taken_note"), "已核对");
    assert_true(json_is_false(json_object_get(h, "taken_on_roster")));
    char ended[40];
    snprintf(ended, sizeof ended, "%s", str(h, "period_to"));
    json_decref(h);
    snprintf(p, sizeof p, "/api/v1/units/%lld/handover-draft", t.area);
    d = get(&t, t.b, p, 200);
    assert_string_equal(str(d, "from_kind"), "previous");
    assert_string_equal(str(d, "period_from"), ended);
    assert_int_equal(num(d, "summary.raised_by_level.2"), 0); /* raised before the window */
    json_decref(d);
    /* 乙 hands over to 甲, who is on the roster. At night 乙's next shift is
     * the one 甲 was rostered on above; early in the day shift it is not (甲
     * handed over the night that just ended, 乙 now hands over the day, and
     * the night follows): then 甲 is rostered on that one too. */
    snprintf(p, sizeof p, "/api/v1/units/%lld/handover-draft", t.area);
    d = get(&t, t.b, p, 200);
    json_t *in3 = json_object_get(json_object_get(d, "snapshot"), "incoming");
    if (num(in3, "shift_id") != next_shift || strcmp(str(in3, "day"), next_day)) {
        snprintf(b, sizeof b, "{\"entries\":[{\"shift_id\":%lld,\"day\":\"%s\",\"person_id\":%lld,\"role\":\"operator\"}]}",
                 num(in3, "shift_id"), str(in3, "day"), t.pa);
        assert_int_equal(post(&t, t.admin, "/api/v1/roster-entries", b, f), 201);
    }
    /* and crew 丙班 (操作工丙) is scheduled onto it: the snapshot and the
     * message name the crew of the incoming shift */
    long long pc = person(&t, t.area, "操作工丙", "13900000013");
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"丙班\",\"members\":[{\"person_id\":%lld,\"role\":\"operator\"}]}",
             t.ent, pc);
    long long crew = ws_post_id(&t.s, t.admin, "/api/v1/crews", b);
    snprintf(p, sizeof p, "/api/v1/crews/%lld/actions/schedule", crew);
    snprintf(b, sizeof b, "{\"shift_id\":%lld,\"days\":[\"%s\"]}", num(in3, "shift_id"), str(in3, "day"));
    assert_int_equal(post(&t, t.admin, p, b, f), 200);
    char in3_shift[40];
    snprintf(in3_shift, sizeof in3_shift, "%s", str(in3, "shift_name"));
    json_decref(d);
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"note\":\"正常\"}", t.area);
    long long h3 = 0;
    h = NULL;
    assert_int_equal(ws_req(&t.s, "POST", "/api/v1/handovers", t.b, b, &h), 201);
    h3 = num(h, "id");
    json_decref(h);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld", h3);
    h = get(&t, t.b, p, 200);
    json_t *snap3 = json_object_get(h, "snapshot"), *in4 = json_object_get(snap3, "incoming");
    assert_int_equal(json_array_size(json_object_get(in4, "crews")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(in4, "crews"), 0)), "丙班");
    assert_int_equal(json_array_size(json_object_get(in4, "people")), 2);
    /* the handed-over occurrence too: the shift 乙 hands over, its crews none */
    json_t *out4 = json_object_get(snap3, "outgoing");
    assert_string_equal(str(out4, "shift_name"), str(h, "shift_name"));
    assert_int_equal(json_array_size(json_object_get(out4, "crews")), 0);
    json_decref(h);
    m = told(&t, "交接班待接：合成车间（操作工乙 交班）"); /* the roster mentioned */
    char crew_line[160];
    snprintf(crew_line, sizeof crew_line, "- 接班班次：%s 丙班（", in3_shift);
    if (!strstr(m, "- 接班：操作工甲 @13900000011、操作工丙 @13900000013\n") || !strstr(m, crew_line))
        fail_msg("the third handover message: %s", m);
    free(m);
    snprintf(p, sizeof p, "/api/v1/handovers/%lld/actions/accept", h3);
    h = NULL;
    assert_int_equal(ws_req(&t.s, "POST", p, t.a, "{}", &h), 200);
    assert_true(json_is_true(json_object_get(h, "taken_on_roster")));
    json_decref(h);
    snprintf(p, sizeof p, "/api/v1/handovers/kpi?unit_id=%lld&days=1", t.area);
    json_t *kp = get(&t, t.reg, p, 200);
    assert_int_equal(num(json_array_get(json_object_get(kp, "items"), 0), "taken_off_roster"), 1);
    assert_int_equal(num(json_array_get(json_object_get(kp, "items"), 0), "handovers"), 3);
    json_decref(kp);

    /* lists: newest first, by state, by scope */
    snprintf(p, sizeof p, "/api/v1/handovers?unit_id=%lld", t.area);
    l = get(&t, t.reg, p, 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 3);
    assert_int_equal(num(json_array_get(json_object_get(l, "items"), 0), "id"), h3);
    assert_int_equal(num(json_array_get(json_object_get(l, "items"), 1), "id"), h2);
    assert_null(json_object_get(json_array_get(json_object_get(l, "items"), 0), "snapshot"));
    json_decref(l);
    l = get(&t, t.admin, "/api/v1/handovers?state=refused", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
    assert_int_equal(num(json_array_get(json_object_get(l, "items"), 0), "id"), h1);
    json_decref(l);
    json_decref(get(&t, t.admin, "/api/v1/handovers?state=open", 400));
    l = get(&t, t.other, "/api/v1/handovers", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
    (void)now;
    /* the ledger: the records, newest first, with what they handed on */
    char *raw = NULL;
    snprintf(p, sizeof p, "/api/v1/handovers?unit_id=%lld&format=csv", t.area);
    assert_int_equal(ws_http(&t.s, "GET", p, t.reg, NULL, 0, NULL, NULL, &raw), 200);
    assert_non_null(strstr(raw, "交班时间"));
    char *r1 = strstr(raw, "已接班"), *r2 = strstr(raw, "拒绝接班");
    if (!r1 || !r2 || r1 > r2) fail_msg("the ledger lacks a record or its order: %s", raw);
    assert_non_null(strstr(raw, "旁路到期时间未交代"));
    assert_non_null(strstr(raw, "操作工甲"));
    assert_non_null(strstr(raw, "接班人在值班表"));
    assert_non_null(strstr(raw, "已核对,否")); /* 乙 off the roster */
    free(raw);

    /* the snapshot is sealed: changed behind the server's back, verify fails */
    char out[8192], cmd[1200], want[64];
    const char *vf[] = {"audit", "verify", NULL};
    assert_int_equal(ws_cli(&t.s, true, out, sizeof out, vf), 0);
    if (t.s.pg)
        snprintf(cmd, sizeof cmd, "psql -q -v ON_ERROR_STOP=1 '%s' -c \"UPDATE handovers SET snapshot = "
                 "replace(snapshot, 'unack', 'closed') WHERE id = %lld\" >/dev/null", t.s.db, h1);
    else
        snprintf(cmd, sizeof cmd, "sqlite3 %s/worksafe.db \"UPDATE handovers SET snapshot = "
                 "replace(snapshot, 'unack', 'closed') WHERE id = %lld\"", t.s.dir, h1);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(ws_cli(&t.s, true, out, sizeof out, vf), 1);
    snprintf(want, sizeof want, "handover %lld", h1);
    if (!strstr(out, want)) fail_msg("audit verify did not name %s: %s", want, out);
    ws_server_destroy(&t.s);
}

static void handover_record(void **state)
{
    (void)state;
    const char *be[2];
    int n = ws_backends(be);
    for (int i = 0; i < n; i++) run(be[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(handover_record)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
