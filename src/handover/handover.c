/* handover.c — the shift handover record (handover.h): its window, the
 * snapshot the server reads at hand-over time, and its states:
 *
 *              accept (another person)
 *   handed ---------------------------> accepted
 *      |
 *      | refuse (another person, with the reason)
 *      v
 *   refused
 *
 * A refused handover stays as the record of why; the outgoing shift sets
 * things right and hands over again (a new record, whose window starts
 * where the last accepted one ended). Anything else is WS_ECONFLICT naming
 * "state". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "handover/handover.h"
#include "notify/outbox.h"
#include "plant/plant.h"
#include "store/q_handover.h"
#include "warn/warn.h"

#define HOUR_MS 3600000LL
#define FOLLOW_ON_MS (24 * HOUR_MS) /* invariant 5: an earlier handover this recent starts the window */

static const audit_col cols[] = {
    {"id", AC_INT},           {"unit_id", AC_INT},        {"shift_id", AC_INT},
    {"period_from", AC_INT},  {"period_to", AC_INT},      {"state", AC_TEXT},
    {"handed_by_person_id", AC_INT}, {"handed_note", AC_TEXT}, {"summary", AC_TEXT},
    {"snapshot", AC_TEXT},    {"taken_by_person_id", AC_INT}, {"taken_at", AC_INT},
    {"taken_note", AC_TEXT},  {"created_at", AC_INT},     {"updated_at", AC_INT},
    {"taken_on_roster", AC_INT}, /* migration 32; NULL (left out of the leaf) before */
};
const audit_entity HANDOVER_ENTITY = {"handover", "handovers", cols,
                                      (int)(sizeof cols / sizeof cols[0])};

ws_err handover_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&HANDOVER_ENTITY);
    if (!rc) rc = audit_register(&HANDOVER_SETTING_ENTITY);
    if (!rc) done = true;
    return rc;
}

static const audit_actor *who_of(const org_caller *by)
{
    static const audit_actor sys = {"system"};
    return by && by->actor ? by->actor : &sys;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static bool blank(const char *s)
{
    while (s && *s && (unsigned char)*s <= ' ') s++;
    return !s || !*s;
}

/* A note: lines allowed, not blank. */
static ws_err note_ok(const char *s) { return org_check_free_text(s, "note", HANDOVER_NOTE_MAX, true, true); }

/* The unit, readable or writable (action) by the caller; to sign a
 * handover of it (sign), active and inside an enterprise (whose people sign). */
static ws_err unit_for(store_conn *c, const org_caller *by, const char *action, int64_t unit_id,
                       bool sign, org_unit *u)
{
    ws_err rc = unit_id > 0 ? org_unit_get(c, unit_id, u) : WS_ENOTFOUND;
    if (!rc) rc = org_allow(by, action, u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (rc || !sign) return rc;
    if (!u->active) return ws_fail(WS_ECONFLICT, "unit_id", "the unit is deactivated");
    if (u->enterprise_id <= 0)
        return ws_fail(WS_EINVAL, "unit_id", "a handover is signed for a unit inside an enterprise");
    return WS_OK;
}

/* The person signing: the caller's own when the account has one (given must
 * then be 0 or the same), else given; active, of the unit's enterprise. */
static ws_err signer(store_conn *c, const org_caller *by, const org_unit *u, int64_t given,
                     const char *field, int64_t *who)
{
    int64_t self = by && by->subject ? by->subject->person_id : 0;
    if (self > 0 && given > 0 && given != self)
        return ws_fail(WS_EINVAL, field, "you sign as yourself (%s)", field);
    *who = self > 0 ? self : given;
    if (*who <= 0)
        return ws_fail(WS_EINVAL, field, "who signs (%s)? the account has no person", field);
    org_person p;
    ws_err rc = org_person_get(c, *who, &p);
    if (rc == WS_ENOTFOUND || (!rc && (!p.active || p.enterprise_id != u->enterprise_id)))
        return ws_fail(WS_EINVAL, field, "no such active person in this enterprise (%s)", field);
    return rc;
}

/* -------------------------------------------------------------- the window */

/* One occurrence of a rostered shift: its row, when it ran (ms UTC), the
 * local day it started on (days since 1970-01-01) and the local minute of
 * the day it ended. */
typedef struct {
    int64_t id, from, to, day;
    int end_min;
    const char *name;
} shift_occ;

/* Calls fn for each occurrence starting on the local days (today - back) ..
 * today, at now, of the active shifts of the unit at upath, or of its nearest
 * ancestor with shifts (only the deepest unit's). */
static ws_err each_shift(store_conn *c, const char *upath, int64_t now, int back,
                         void (*fn)(void *arg, const shift_occ *o), void *arg)
{
    store_stmt *st = NULL;
    bool row = false;
    char path[AUTH_PATH_MAX] = "";
    ws_err rc = store_prepare(c, Q_HANDOVER_SHIFTS, &st);
    if (!rc) rc = store_bind_text(st, 1, upath);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (path[0] && strcmp(path, store_col_text(st, 5))) break;
        copy(path, sizeof path, store_col_text(st, 5));
        const char *tz = store_col_text(st, 4);
        int64_t sm = store_col_int(st, 2), len = store_col_int(st, 3), today;
        shift_occ o = {.id = store_col_int(st, 0), .end_min = (int)((sm + len) % 1440),
                       .name = store_col_text(st, 1)};
        if ((rc = plant_local_day(tz, now, &today))) break;
        for (int64_t day = today - back; day <= today && !rc; day++) {
            o.day = day;
            rc = plant_local_to_utc(tz, day, sm, &o.from);
            if (!rc) rc = plant_local_to_utc(tz, day, sm + len, &o.to);
            if (!rc) fn(arg, &o);
        }
    }
    store_finalize(st);
    return rc;
}

typedef struct {
    int64_t since, now, best, start;
    bool have;
    handover_draft *d;
} shift_pick;

static void pick_shift(void *arg, const shift_occ *o)
{
    shift_pick *k = arg;
    int64_t score;
    if (o->from > k->now) return;
    if (k->since > 0) { /* overlap, larger is better: scored as its negative */
        int64_t lo = o->from > k->since ? o->from : k->since, hi = o->to < k->now ? o->to : k->now;
        if (hi <= lo) return;
        score = lo - hi;
    } else {
        score = o->to > k->now ? o->to - k->now : k->now - o->to;
    }
    if (!k->have || score < k->best) {
        k->have = true;
        k->best = score;
        k->start = o->from;
        k->d->shift_id = o->id;
        k->d->shift_day = o->day;
        copy(k->d->shift_name, sizeof k->d->shift_name, o->name);
    }
}

/* The rostered shift of u (or of its nearest ancestor with shifts) being
 * handed over at now: with an earlier handover at since (> 0), the
 * occurrence that overlaps [since, now] most; else the one, started by now,
 * whose end is nearest now, and *start its start. */
static ws_err shift_at(store_conn *c, const org_unit *u, int64_t since, int64_t now,
                       handover_draft *d, int64_t *start)
{
    shift_pick k = {.since = since, .now = now, .d = d};
    ws_err rc = each_shift(c, u->path, now, 1, pick_shift, &k);
    if (!rc && k.have) *start = k.start;
    return rc;
}

typedef struct {
    int64_t after;
    bool have;
    shift_occ o;
    char name[HANDOVER_SHIFT_NAME_MAX + 1];
} next_pick;

static void pick_next(void *arg, const shift_occ *o)
{
    next_pick *k = arg;
    if (o->from <= k->after || (k->have && o->from >= k->o.from)) return;
    k->have = true;
    k->o = *o;
    copy(k->name, sizeof k->name, o->name);
    k->o.name = k->name;
}

/* The people rostered on occurrence (shift, day) in any role, each once,
 * as {id, name, roles[]}; at most HANDOVER_LIST_CAP. With crews, also the
 * names of the crews (班组) they were rostered with, each once, in order of
 * their first member. */
static ws_err roster_of(store_conn *c, int64_t shift_id, int64_t day, json_t **out, json_t **crews)
{
    char d[11];
    plant_date_format(day, d);
    store_stmt *st = NULL;
    bool row = false;
    json_t *people = json_array(), *last = NULL, *cs = crews ? json_array() : NULL;
    int64_t last_id = 0;
    ws_err rc = people && (cs || !crews) ? store_prepare(c, Q_HANDOVER_ROSTER, &st)
                                         : ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) rc = store_bind_int(st, 1, shift_id);
    if (!rc) rc = store_bind_text(st, 2, d);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t id = store_col_int(st, 0);
        if (id != last_id) {
            if (json_array_size(people) >= HANDOVER_LIST_CAP) break;
            last = json_pack("{s:I, s:s, s:[]}", "id", (json_int_t)id, "name", store_col_text(st, 1), "roles");
            if (!last || json_array_append_new(people, last)) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
            last_id = id;
        }
        if (!rc) json_array_append_new(json_object_get(last, "roles"), json_string(store_col_text(st, 2)));
        if (!rc && cs && !store_col_null(st, 3)) {
            const char *crew = store_col_text(st, 3);
            size_t i;
            json_t *x;
            bool seen = false;
            json_array_foreach(cs, i, x) seen = seen || !strcmp(json_string_value(x), crew);
            if (!seen && json_array_append_new(cs, json_string(crew))) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        }
    }
    store_finalize(st);
    if (rc) {
        json_decref(people);
        json_decref(cs);
        return rc;
    }
    *out = people;
    if (crews) *crews = cs;
    return rc;
}

/* snap[key]: one occurrence of a rostered shift with its roster now, the
 * people and their crews. */
static ws_err put_occurrence(store_conn *c, json_t *snap, const char *key, int64_t shift_id,
                             const char *name, int64_t day, int64_t from)
{
    json_t *people = NULL, *crews = NULL;
    char d[11];
    plant_date_format(day, d);
    ws_err rc = roster_of(c, shift_id, day, &people, &crews);
    if (rc) return rc;
    json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "shift_id", (json_int_t)shift_id, "shift_name",
                          name, "day", d, "from", json_time(from), "people", people, "crews", crews);
    if (!o || json_object_set_new(snap, key, o)) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    return WS_OK;
}

/* Invariant 6: the snapshot's "outgoing", the occurrence handed over, and
 * "incoming", the one after it, each with its roster now; nothing when the
 * unit has no shifts. */
static ws_err read_incoming(store_conn *c, const org_unit *u, const handover_draft *d, json_t *snap)
{
    if (d->shift_id <= 0) return WS_OK;
    ws_err rc = put_occurrence(c, snap, "outgoing", d->shift_id, d->shift_name, d->shift_day, d->shift_from);
    next_pick k = {.after = d->shift_from};
    /* a shift lasts at most a day, so the next one starts within a day of its start */
    if (!rc) rc = each_shift(c, u->path, d->shift_from + 26 * HOUR_MS, 2, pick_next, &k);
    if (rc || !k.have) return rc;
    return put_occurrence(c, snap, "incoming", k.o.id, k.name, k.o.day, k.o.from);
}

static ws_err window(store_conn *c, const org_unit *u, int hours, int64_t now, handover_draft *d)
{
    int64_t shift_start = 0, last = 0;
    bool found = false;
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_HANDOVER_LAST, &st);
    if (!rc) rc = store_bind_int(st, 1, u->id);
    if (!rc) rc = store_step(st, &found);
    if (!rc && found) last = store_col_opt_int(st, 0);
    store_finalize(st);
    if (!(last > 0 && last < now && last >= now - FOLLOW_ON_MS)) last = 0;
    if (!rc) rc = shift_at(c, u, last, now, d, &shift_start);
    if (rc) return rc;
    d->shift_from = d->shift_id > 0 ? shift_start : 0;
    d->period_to = now;
    if (last) {
        d->period_from = last;
        d->from_kind = "previous";
    } else if (d->shift_id > 0) {
        d->period_from = shift_start;
        d->from_kind = "shift";
    } else {
        d->period_from = now - (int64_t)(hours > 0 ? hours : HANDOVER_HOURS_DEFAULT) * HOUR_MS;
        d->from_kind = "hours";
    }
    return WS_OK;
}

/* ------------------------------------------------------------ the snapshot */

typedef json_t *(*row_fn)(store_stmt *st);

static json_t *alarm_row(store_stmt *st)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)store_col_int(st, 0),
                     "level", (json_int_t)store_col_int(st, 1), "title", store_col_text(st, 2),
                     "state", store_col_text(st, 3), "raised_at", json_time(store_col_int(st, 4)),
                     "acked_by", json_str(store_col_null(st, 5) ? NULL : store_col_text(st, 5)),
                     "closed_by", json_str(store_col_null(st, 6) ? NULL : store_col_text(st, 6)));
}

static json_t *bypass_row(store_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:s}", "id", (json_int_t)store_col_int(st, 0), "interlock",
                     store_col_text(st, 1), "state", store_col_text(st, 2), "expires_at",
                     json_time(store_col_int(st, 3)), "measures", store_col_text(st, 4));
}

static json_t *permit_row(store_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)store_col_int(st, 0),
                     "code", store_col_text(st, 1), "type", store_col_text(st, 2), "grade",
                     store_col_text(st, 3), "title", store_col_text(st, 4), "state",
                     store_col_text(st, 5), "planned_end", json_time(store_col_int(st, 6)));
}

static json_t *order_row(store_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)store_col_int(st, 0), "title",
                     store_col_text(st, 1), "kind", store_col_text(st, 2), "state",
                     store_col_text(st, 3), "due_at", json_time(store_col_opt_int(st, 4)));
}

/* {"items":[...], "more":bool} of sql ($1 path, $2 limit, $3 the window's
 * end when to > 0, $4 its start when from > 0) into snap[key]; the count of
 * items into sum[key]. */
static ws_err read_list(store_conn *c, const char *sql, const char *path, int64_t from, int64_t to,
                        row_fn fn, const char *key, json_t *snap, json_t *sum)
{
    store_stmt *st = NULL;
    bool row = false;
    json_t *items = json_array();
    size_t n = 0;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, HANDOVER_LIST_CAP + 1);
    if (!rc && to > 0) rc = store_bind_int(st, 3, to);
    if (!rc && from > 0) rc = store_bind_int(st, 4, from);
    while (!rc && !(rc = store_step(st, &row)) && row)
        if (++n <= HANDOVER_LIST_CAP) json_array_append_new(items, fn(st));
    store_finalize(st);
    json_object_set_new(snap, key, json_pack("{s:o, s:b}", "items", items, "more", n > HANDOVER_LIST_CAP));
    json_object_set_new(sum, key, json_integer((json_int_t)json_array_size(items)));
    return rc;
}

/* The counts of alarms raised in the window by level: {"1":n,"2":n,"3":n}. */
static ws_err read_levels(store_conn *c, const char *path, const handover_draft *d, json_t *sum)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t by_level[4] = {0};
    ws_err rc = store_prepare(c, Q_HANDOVER_LEVELS, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, d->period_from);
    if (!rc) rc = store_bind_int(st, 3, d->period_to);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t lv = store_col_int(st, 0);
        if (lv >= 1 && lv <= 3) by_level[lv] = store_col_int(st, 1);
    }
    store_finalize(st);
    json_object_set_new(sum, "raised_by_level",
                        json_pack("{s:I, s:I, s:I}", "1", (json_int_t)by_level[1], "2",
                                  (json_int_t)by_level[2], "3", (json_int_t)by_level[3]));
    return rc;
}

/* Who is on duty at the hand-over along the escalation chain. */
static ws_err read_duty(store_conn *c, const org_unit *u, int64_t now, json_t *snap)
{
    static const char *const chain[] = {"grid_leader", "safety_officer", "manager"};
    json_t *duty = json_object();
    ws_err rc = WS_OK;
    for (size_t r = 0; r < 3 && !rc; r++) {
        int64_t ids[8];
        size_t n = 0;
        json_t *people = json_array();
        rc = plant_on_duty(c, u->id, chain[r], now, ids, 8, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            org_person p;
            if (org_person_get(c, ids[i], &p)) continue;
            json_array_append_new(people, json_pack("{s:I, s:s}", "id", (json_int_t)p.id, "name", p.name));
        }
        json_object_set_new(duty, chain[r], people);
    }
    json_object_set_new(snap, "on_duty", duty);
    return rc;
}

ws_err handover_draft_make(store_conn *c, const org_caller *by, int64_t unit_id, int hours,
                           int64_t now, handover_draft *d)
{
    memset(d, 0, sizeof *d);
    org_unit u;
    if (hours < 0 || hours > 24) return ws_fail(WS_EINVAL, "hours", "hours is 1..24");
    ws_err rc = unit_for(c, by, "plant.read", unit_id, false, &u);
    if (!rc) rc = window(c, &u, hours, now, d);
    if (rc) return rc;
    d->unit_id = u.id;
    d->snapshot = json_object();
    d->summary = json_object();
    const int64_t from = d->period_from, to = d->period_to;
    rc = read_levels(c, u.path, d, d->summary);
    if (!rc) rc = read_list(c, Q_HANDOVER_RAISED, u.path, from, to, alarm_row, "raised", d->snapshot, d->summary);
    if (!rc) rc = read_list(c, Q_HANDOVER_OPEN, u.path, 0, to, alarm_row, "open_alarms", d->snapshot, d->summary);
    /* (made by the window's end: a handover recorded for a past instant, as the demo's, lists none newer) */
    if (!rc) rc = read_list(c, Q_HANDOVER_BYPASSES, u.path, 0, to, bypass_row, "bypasses", d->snapshot, d->summary);
    if (!rc) rc = read_list(c, Q_HANDOVER_PERMITS, u.path, 0, to, permit_row, "permits", d->snapshot, d->summary);
    if (!rc) rc = read_list(c, Q_HANDOVER_ORDERS, u.path, 0, to, order_row, "work_orders", d->snapshot, d->summary);
    if (!rc) rc = read_duty(c, &u, now, d->snapshot);
    if (!rc) rc = read_incoming(c, &u, d, d->snapshot);
    if (rc) handover_draft_clear(d);
    return rc;
}

void handover_draft_clear(handover_draft *d)
{
    json_decref(d->summary);
    json_decref(d->snapshot);
    d->summary = d->snapshot = NULL;
}

/* ----------------------------------------------------------------- telling */

/* "12-02 07:52": ms in the zone tz. */
static void local_hm(const char *tz, int64_t ms, char out[24])
{
    int64_t day, midnight;
    char d[11];
    if (plant_local_day(tz, ms, &day) || plant_local_to_utc(tz, day, 0, &midnight)) {
        snprintf(out, 24, "-");
        return;
    }
    plant_date_format(day, d);
    int m = (int)((ms - midnight) / 60000);
    snprintf(out, 24, "%.5s %02d:%02d", d + 5, m / 60 % 100, m % 60);
}

/* At most max bytes of s on one line, cut at a character. */
static void one_line(char *out, size_t cap, const char *s, size_t max)
{
    out[0] = 0;
    str_append_utf8(out, cap, s, max);
    for (char *q = out; *q; q++)
        if (*q == '\r' || *q == '\n' || *q == '\t') *q = ' ';
    if (strlen(s) > strlen(out)) str_append_utf8(out, cap, "…", 3);
}

/* The people ids[0..n) appended to body as "- who：name @phone、…", their
 * phones into mention (the channels @ them); returns how many. */
static int name_people(store_conn *c, const char *who, const int64_t *ids, size_t n, char *body,
                       size_t cap, char phones[][ORG_PHONE_MAX + 1], const char **mention)
{
    int nm = 0, len = (int)strlen(body);
    len += snprintf(body + len, cap - (size_t)len, "- %s：", who);
    for (size_t i = 0; i < n && len < (int)cap - 200; i++) {
        org_person p;
        if (org_person_get(c, ids[i], &p)) continue;
        len += snprintf(body + len, cap - (size_t)len, "%s%s%s%s", i ? "、" : "", p.name, p.phone[0] ? " @" : "",
                        p.phone);
        if (p.phone[0] && nm < NOTIFY_MENTIONS_MAX) {
            copy(phones[nm], ORG_PHONE_MAX + 1, p.phone);
            mention[nm] = phones[nm];
            nm++;
        }
    }
    if (!n) len += snprintf(body + len, cap - (size_t)len, "下一班值班表未排人");
    snprintf(body + len, cap - (size_t)len, "\n");
    ws_err_clear();
    return nm;
}

/* " 甲班、乙班": the crews of a snapshot's occurrence, or "" (out: 120 bytes). */
static void crews_text(const json_t *occ, char *out, size_t cap)
{
    size_t i;
    json_t *x;
    out[0] = 0;
    json_array_foreach(json_object_get(occ, "crews"), i, x) {
        str_append_utf8(out, cap, i ? "、" : " ", 4);
        str_append_utf8(out, cap, json_string_value(x), 40);
    }
}

/* 交接班待接 to the channels, the next shift's roster mentioned: what the
 * plant's WeChat group gets today, with what is handed on counted. */
static void tell_given(store_conn *c, const org_unit *u, int64_t giver, const char *note,
                       const handover_draft *d, int64_t now)
{
    handover_settings hs;
    if (handover_settings_get(c, NULL, u->id, &hs)) hs.wait_min = HANDOVER_WAIT_MIN;
    char unit[64] = "", who[40] = "", at[24], next_at[24] = "", title[NOTIFY_TITLE_MAX], body[1600],
         line[400], out_crews[120], in_crews[120];
    org_person p;
    str_append_utf8(unit, sizeof unit, u->name, 60);
    if (!org_person_get(c, giver, &p)) str_append_utf8(who, sizeof who, p.name, 36);
    ws_err_clear();
    local_hm(u->tz, now, at);
    snprintf(title, sizeof title, "交接班待接：%s（%s 交班）", unit, who);
    json_t *in = json_object_get(d->snapshot, "incoming"), *people = json_object_get(in, "people");
    crews_text(json_object_get(d->snapshot, "outgoing"), out_crews, sizeof out_crews);
    crews_text(in, in_crews, sizeof in_crews);
    int len = snprintf(body, sizeof body, "- 交班：%s%s%s%s · %s\n", d->shift_id ? d->shift_name : "", out_crews,
                       d->shift_id ? " · " : "", who, at);
    if (in) {
        int64_t from = 0;
        const char *iso = json_string_value(json_object_get(in, "from"));
        if (iso && !clock_parse_rfc3339(iso, &from)) local_hm(u->tz, from, next_at);
        len += snprintf(body + len, sizeof body - (size_t)len, "- 接班班次：%s%s（%s 起）\n",
                        json_string_value(json_object_get(in, "shift_name")), in_crews, next_at);
    }
    one_line(line, sizeof line, note, 300);
    len += snprintf(body + len, sizeof body - (size_t)len, "- 交班说明：%s\n", line);
    len += snprintf(body + len, sizeof body - (size_t)len,
                    "- 移交：遗留报警 %lld · 在用旁路 %lld · 进行中作业 %lld · 未完成工单 %lld\n",
                    (long long)json_integer_value(json_object_get(d->summary, "open_alarms")),
                    (long long)json_integer_value(json_object_get(d->summary, "bypasses")),
                    (long long)json_integer_value(json_object_get(d->summary, "permits")),
                    (long long)json_integer_value(json_object_get(d->summary, "work_orders")));
    int64_t ids[HANDOVER_LIST_CAP];
    size_t n = 0, i;
    json_t *x;
    json_array_foreach(people, i, x) { /* the giver cannot take it (invariant 2) */
        int64_t id = json_integer_value(json_object_get(x, "id"));
        if (id != giver && n < HANDOVER_LIST_CAP) ids[n++] = id;
    }
    char phones[NOTIFY_MENTIONS_MAX][ORG_PHONE_MAX + 1];
    const char *mention[NOTIFY_MENTIONS_MAX];
    int nm = in ? name_people(c, "接班", ids, n, body, sizeof body, phones, mention) : 0;
    len = (int)strlen(body);
    snprintf(body + len, sizeof body - (size_t)len, "- 请在系统中接班；%d 分钟未接将报警\n", hs.wait_min);
    notify_to_all(c, NOTIFY_NOTICE, title, body, mention, nm, now, "handover"); /* a notice: bursts merge */
}

/* 拒绝接班 to the channels, the giver mentioned: they set it right and hand
 * over again. */
static void tell_refused(store_conn *c, const handover *h, const char *tz, int64_t taker, const char *note,
                         int64_t now)
{
    char unit[64] = "", who[40] = "", at[24], title[NOTIFY_TITLE_MAX], body[1200], line[400];
    org_person p;
    str_append_utf8(unit, sizeof unit, h->unit_name, 60);
    if (!org_person_get(c, taker, &p)) str_append_utf8(who, sizeof who, p.name, 36);
    ws_err_clear();
    local_hm(tz, h->created_at, at);
    snprintf(title, sizeof title, "拒绝接班：%s（%s 拒绝）", unit, who);
    one_line(line, sizeof line, note, 300);
    snprintf(body, sizeof body, "- 原因：%s\n", line);
    char phones[1][ORG_PHONE_MAX + 1];
    const char *mention[1];
    char what[80];
    snprintf(what, sizeof what, "交班（%s）", at);
    int nm = name_people(c, what, &h->handed_by_person_id, 1, body, sizeof body, phones, mention);
    int len = (int)strlen(body);
    snprintf(body + len, sizeof body - (size_t)len, "- 请补充说明后重新交班\n");
    notify_to_all(c, NOTIFY_NOTICE, title, body, mention, nm, now, "handover refusal");
}

/* ------------------------------------------------------------------ writes */

ws_err handover_give(store_conn *c, const org_caller *by, const handover_in *in, int64_t *id)
{
    org_unit u;
    int64_t who = 0, waiting = 0, now = org_now(by);
    bool own = false, found = false;
    ws_err rc = note_ok(in->note);
    if (!rc) rc = unit_for(c, by, "handover.write", in->unit_id, true, &u);
    if (!rc) rc = signer(c, by, &u, in->person_id, "handed_by_person_id", &who);
    if (rc || (rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_HANDOVER_WAITING, &st);
    if (!rc) rc = store_bind_int(st, 1, u.id);
    if (!rc) rc = store_step(st, &found);
    if (!rc && found) waiting = store_col_int(st, 0);
    store_finalize(st);
    st = NULL;
    if (!rc && waiting)
        rc = ws_fail(WS_ECONFLICT, "unit_id",
                     "handover %lld of this unit is waiting to be taken: it is accepted or refused first",
                     (long long)waiting);
    handover_draft d = {0};
    char *summary = NULL, *snapshot = NULL;
    if (!rc) rc = handover_draft_make(c, NULL, u.id, in->hours, now, &d);
    if (!rc) {
        summary = json_dumps(d.summary, JSON_COMPACT);
        snapshot = json_dumps(d.snapshot, JSON_COMPACT);
        if (!summary || !snapshot) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    if (!rc) rc = store_prepare(c, Q_HANDOVER_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, u.id);
    if (!rc) rc = store_bind_opt_int(st, 2, d.shift_id);
    if (!rc) rc = store_bind_int(st, 3, d.period_from);
    if (!rc) rc = store_bind_int(st, 4, d.period_to);
    if (!rc) rc = store_bind_int(st, 5, who);
    if (!rc) rc = store_bind_text(st, 6, in->note);
    if (!rc) rc = store_bind_text(st, 7, summary);
    if (!rc) rc = store_bind_text(st, 8, snapshot);
    if (!rc) rc = store_bind_int(st, 9, now);
    bool row = false;
    if (!rc && (rc = store_step(st, &row)) == WS_ECONFLICT) /* the unique index: a hand-over won the race */
        rc = ws_fail(WS_ECONFLICT, "unit_id", "a handover of this unit is waiting to be taken");
    if (!rc && !row) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) *id = store_col_int(st, 0);
    store_finalize(st);
    free(summary);
    free(snapshot);
    if (!rc) tell_given(c, &u, who, in->note, &d, now);
    handover_draft_clear(&d);
    if (!rc) rc = audit_record(c, who_of(by), &HANDOVER_ENTITY, *id, "create", NULL);
    return store_tx_finish(c, own, rc);
}

/* Invariant 6: is who on the roster of the incoming occurrence named in
 * the snapshot, as the roster stands now? *on: 1, 0, or -1 (nobody on it,
 * or no incoming shift). */
static ws_err on_roster(store_conn *c, const char *snapshot, int64_t who, int *on)
{
    *on = -1;
    json_t *snap = json_loads(snapshot, 0, NULL), *people = NULL;
    json_t *in = json_object_get(snap, "incoming");
    int64_t shift = json_integer_value(json_object_get(in, "shift_id")), day;
    ws_err rc = WS_OK;
    if (shift > 0 && plant_date_parse(json_string_value(json_object_get(in, "day")), &day) &&
        !(rc = roster_of(c, shift, day, &people, NULL)) && json_array_size(people)) {
        size_t i;
        json_t *p;
        *on = 0;
        json_array_foreach(people, i, p) if (json_integer_value(json_object_get(p, "id")) == who) *on = 1;
    }
    json_decref(people);
    json_decref(snap);
    return rc;
}

ws_err handover_take(store_conn *c, const org_caller *by, int64_t id, bool accept,
                     const char *note, int64_t person_id)
{
    handover h;
    org_unit u;
    int64_t who = 0, now = org_now(by);
    int on = -1;
    bool own = false;
    ws_err rc = handover_get(c, id, &h);
    if (!rc) rc = org_allow(by, "handover.write", h.unit_path);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such handover");
    if (!rc && strcmp(h.state, "handed"))
        rc = ws_fail(WS_ECONFLICT, "state", "a handover %s cannot be taken", h.state);
    if (blank(note)) note = NULL; /* an acceptance may say nothing */
    if (!rc && note) rc = note_ok(note);
    else if (!rc && !accept) rc = ws_fail(WS_EINVAL, "note", "a refusal says why (note)");
    if (!rc) rc = org_unit_get(c, h.unit_id, &u);
    if (!rc) rc = signer(c, by, &u, person_id, "taken_by_person_id", &who);
    if (!rc && who == h.handed_by_person_id)
        rc = ws_fail(WS_EINVAL, "taken_by_person_id",
                     "the next shift takes the handover: someone other than who handed it over");
    if (!rc) rc = on_roster(c, h.snapshot, who, &on);
    handover_clear(&h);
    if (rc || (rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_HANDOVER_TAKE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, accept ? "accepted" : "refused");
    if (!rc) rc = store_bind_int(st, 3, who);
    if (!rc) rc = store_bind_int(st, 4, now);
    if (!rc) rc = store_bind_opt_text(st, 5, note);
    if (!rc) rc = on < 0 ? store_bind_null(st, 6) : store_bind_int(st, 6, on);
    bool row = false;
    if (!rc) rc = store_step(st, &row);
    if (!rc && store_changes(st) != 1) /* taken meanwhile by someone else */
        rc = ws_fail(WS_ECONFLICT, "state", "the handover was taken meanwhile");
    store_finalize(st);
    if (!rc && !accept) tell_refused(c, &h, u.tz, who, note, now);
    if (!rc) rc = audit_record(c, who_of(by), &HANDOVER_ENTITY, id, accept ? "accept" : "refuse", NULL);
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------------------- timer */

static ws_err missed_pass(store_conn *c, struct warn *w, int64_t now, int *raised);

ws_err handover_tick(store_conn *c, struct warn *w, int64_t now, int *raised)
{
    enum { CAP = 64 };
    struct { int64_t id, unit, at; char title[256]; } due[CAP];
    int64_t done[CAP][2];
    int n = 0, m = 0;
    store_stmt *st = NULL;
    bool row = false;
    if (raised) *raised = 0;
    if (!w) return WS_OK;
    ws_err rc = store_prepare(c, Q_HANDOVER_OVERDUE, &st);
    if (!rc) rc = store_bind_int(st, 1, now);
    if (!rc) rc = store_bind_int(st, 2, HANDOVER_RULE);
    if (!rc) rc = store_bind_int(st, 3, HANDOVER_WAIT_MIN);
    while (!rc && n < CAP && !(rc = store_step(st, &row)) && row) {
        due[n].id = store_col_int(st, 0);
        due[n].unit = store_col_int(st, 1);
        due[n].at = store_col_int(st, 2);
        char unit[64] = "", giver[40] = ""; /* cut at a character, not inside one */
        str_append_utf8(unit, sizeof unit, store_col_text(st, 3), 60);
        str_append_utf8(giver, sizeof giver, store_col_text(st, 4), 36);
        snprintf(due[n].title, sizeof due[n].title, "交接班超时未接：%s（%s 交班，已等待 %lld 分钟）", unit,
                 giver, (long long)((now - due[n].at) / 60000));
        n++;
    }
    store_finalize(st);
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_HANDOVER_TAKEN, &st);
    if (!rc) rc = store_bind_int(st, 1, HANDOVER_RULE);
    while (!rc && m < CAP && !(rc = store_step(st, &row)) && row) {
        done[m][0] = store_col_int(st, 0);
        done[m][1] = store_col_int(st, 1);
        m++;
    }
    store_finalize(st);
    /* the engine is called with no statement open: it writes the alarm itself */
    for (int i = 0; !rc && i < n; i++) {
        rc = warn_external_alarm(w, HANDOVER_RULE, due[i].id, due[i].unit, 1, true, due[i].title, now);
        if (!rc && raised) (*raised)++;
    }
    for (int i = 0; !rc && i < m; i++) handover_alarm_clear(w, done[i][0], done[i][1], now);
    return rc ? rc : missed_pass(c, w, now, raised);
}

void handover_alarm_clear(struct warn *w, int64_t id, int64_t unit_id, int64_t now)
{
    if (w) (void)warn_external_alarm(w, HANDOVER_RULE, id, unit_id, 1, false, NULL, now);
}

void handover_missed_clear(struct warn *w, int64_t unit_id, int64_t now)
{
    if (w) (void)warn_external_alarm(w, HANDOVER_MISSED_RULE, unit_id, unit_id, 1, false, NULL, now);
}

typedef struct {
    int64_t after, upto, end;
    int end_min;
    char name[HANDOVER_SHIFT_NAME_MAX + 1];
} shift_end;

static void latest_end(void *arg, const shift_occ *o)
{
    shift_end *e = arg;
    if (o->to > e->after && o->to <= e->upto && o->to > e->end) {
        e->end = o->to;
        e->end_min = o->end_min;
        copy(e->name, sizeof e->name, o->name);
    }
}

static ws_err count_of(store_conn *c, const char *q, int64_t a, int64_t b, int64_t d, int64_t *n)
{
    store_stmt *st = NULL;
    bool row = false;
    *n = 0;
    ws_err rc = store_prepare(c, q, &st);
    if (!rc) rc = store_bind_int(st, 1, a);
    if (!rc) rc = store_bind_int(st, 2, b);
    if (!rc) rc = store_bind_int(st, 3, d);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *n = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

/* 交接班未交 (handover.h, handover_missed_clear): raise for each unit that
 * keeps handovers and let a shift end pass without one; clear where one was
 * made since. */
static ws_err missed_pass(store_conn *c, struct warn *w, int64_t now, int *raised)
{
    enum { CAP = 64 };
    typedef struct {
        int64_t unit, wait, early;
        char path[AUTH_PATH_MAX], name[64], title[256];
    } keeper;
    keeper *k = calloc(CAP, sizeof *k);
    int64_t done[CAP], after = 0;
    int n = CAP, m = 0;
    if (!k) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = WS_OK;
    while (!rc && n == CAP) { /* the keepers, CAP at a time by unit id */
        int due = 0;
        n = 0;
        rc = store_prepare(c, Q_HANDOVER_KEEPERS, &st);
        if (!rc) rc = store_bind_int(st, 1, now - HANDOVER_KEEP_DAYS * 24 * HOUR_MS);
        if (!rc) rc = store_bind_int(st, 2, now);
        if (!rc) rc = store_bind_int(st, 3, HANDOVER_WAIT_MIN);
        if (!rc) rc = store_bind_int(st, 4, HANDOVER_EARLY_MIN);
        if (!rc) rc = store_bind_int(st, 5, after);
        while (!rc && n < CAP && !(rc = store_step(st, &row)) && row) {
            k[n].unit = after = store_col_int(st, 0);
            copy(k[n].path, sizeof k[n].path, store_col_text(st, 1));
            k[n].name[0] = 0;
            str_append_utf8(k[n].name, sizeof k[n].name, store_col_text(st, 2), 60);
            k[n].wait = store_col_int(st, 3);
            k[n].early = store_col_int(st, 4);
            n++;
        }
        store_finalize(st);
        st = NULL;
        for (int i = 0; !rc && i < n; i++) {
            /* the latest shift end from HANDOVER_LOOK_H to the unit's wait ago */
            shift_end e = {.after = now - HANDOVER_LOOK_H * HOUR_MS, .upto = now - k[i].wait * 60000};
            int64_t since = 0, alarmed = 0;
            rc = each_shift(c, k[i].path, e.upto, 2, latest_end, &e);
            const int64_t end = e.end;
            char sname[40] = "";
            if (!rc && end) rc = count_of(c, Q_HANDOVER_SINCE, k[i].unit, end - k[i].early * 60000, now, &since);
            if (!rc && end && !since)
                rc = count_of(c, Q_HANDOVER_MISSED_RAISED, HANDOVER_MISSED_RULE, k[i].unit, end, &alarmed);
            if (rc || !end || since || alarmed) continue;
            str_append_utf8(sname, sizeof sname, e.name, 36);
            keeper *d = &k[due++]; /* the due ones move to the front of k (due <= i) */
            d->unit = k[i].unit;
            snprintf(d->title, sizeof d->title, "交接班未交：%s（%s %02d:%02d 交班，已过 %lld 分钟，未见交接班记录）",
                     k[i].name, sname, e.end_min / 60, e.end_min % 60, (long long)((now - end) / 60000));
        }
        /* the engine is called with no statement open: it writes the alarm itself */
        for (int i = 0; !rc && i < due; i++) {
            rc = warn_external_alarm(w, HANDOVER_MISSED_RULE, k[i].unit, k[i].unit, 1, true, k[i].title, now);
            if (!rc && raised) (*raised)++;
        }
    }
    if (!rc) rc = store_prepare(c, Q_HANDOVER_MISSED_DONE, &st);
    if (!rc) rc = store_bind_int(st, 1, HANDOVER_MISSED_RULE);
    if (!rc) rc = store_bind_int(st, 2, HANDOVER_WAIT_MIN);
    if (!rc) rc = store_bind_int(st, 3, now);
    if (!rc) rc = store_bind_int(st, 4, HANDOVER_EARLY_MIN);
    while (!rc && m < CAP && !(rc = store_step(st, &row)) && row) done[m++] = store_col_int(st, 0);
    store_finalize(st);
    for (int i = 0; !rc && i < m; i++) handover_missed_clear(w, done[i], now);
    free(k);
    return rc;
}

/* --------------------------------------------------------------- figures */

enum { KPI_ENDS_CAP = 1024, KPI_ROWS_CAP = 50000, KPI_UNITS_CAP = 500 };

typedef struct {
    int64_t from, upto, *ends;
    size_t n;
    bool full; /* more than KPI_ENDS_CAP: said, not cut */
} kpi_ends;

static void collect_end(void *arg, const shift_occ *o)
{
    kpi_ends *e = arg;
    if (o->to < e->from || o->to > e->upto) return;
    if (e->n < KPI_ENDS_CAP) e->ends[e->n++] = o->to;
    else e->full = true;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    int64_t id, wait, early; /* its settings (minutes) */
    size_t first;            /* its first row */
    char path[AUTH_PATH_MAX], name[ORG_NAME_MAX + 1];
} kpi_unit;

/* Unit u's figures from its handovers made[0..n) (times ascending), the
 * minutes each taken one waited, take[0..nt), and counts: accepted, refused,
 * waiting, taken by someone off the next shift's roster. */
static ws_err unit_figures(store_conn *c, const kpi_unit *u, const int64_t *made, size_t n, int64_t *take,
                           size_t nt, const int counts[4], int64_t now, json_t *out)
{
    const int64_t early = u->early * 60000, wait = u->wait * 60000;
    int64_t *ends = malloc(KPI_ENDS_CAP * sizeof *ends);
    if (!ends) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    kpi_ends e = {.from = made[0] - early, .upto = now - wait, .ends = ends};
    int back = (int)((now - e.from) / (24 * HOUR_MS)) + 2;
    ws_err rc = each_shift(c, u->path, now, back, collect_end, &e);
    if (!rc && e.full)
        rc = ws_fail(WS_EINVAL, "days", "%s has more than %d shift ends in this time: choose fewer days",
                     u->name, KPI_ENDS_CAP);
    size_t in_time = 0, late = 0, j = 0;
    if (!rc) qsort(ends, e.n, sizeof *ends, cmp_i64);
    for (size_t i = 0; !rc && i < e.n; i++) { /* both ascending: one pass */
        while (j < n && made[j] < ends[i] - early) j++;
        in_time += j < n && made[j] <= ends[i] + wait;
    }
    free(ends);
    if (rc) return rc;
    qsort(take, nt, sizeof *take, cmp_i64);
    for (size_t i = 0; i < nt; i++) late += take[i] > u->wait;
    json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:I,s:i,s:i,s:i,s:I,s:i,s:I,s:I}", "unit_id", (json_int_t)u->id,
                          "unit_name", u->name, "shift_ends", (json_int_t)e.n, "in_time",
                          (json_int_t)in_time, "handovers", (json_int_t)n, "accepted", counts[0],
                          "refused", counts[1], "waiting", counts[2], "take_late", (json_int_t)late,
                          "taken_off_roster", counts[3], "wait_min", (json_int_t)u->wait, "early_min",
                          (json_int_t)u->early);
    if (!o) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    json_object_set_new(o, "in_time_rate", e.n ? json_real((double)in_time / (double)e.n) : json_null());
    json_object_set_new(o, "take_median_min",
                        nt ? json_real(nt % 2 ? (double)take[nt / 2]
                                              : (double)(take[nt / 2 - 1] + take[nt / 2]) / 2.0)
                           : json_null());
    json_array_append_new(out, o);
    return WS_OK;
}

typedef struct {
    int64_t unit, at, taken;
    int state;   /* 0 accepted, 1 refused, 2 handed */
    bool off;    /* taken by someone off the next shift's roster */
} kpi_row;

ws_err handover_kpi(store_conn *c, const handover_filter *f, int days, int64_t now, json_t **out)
{
    *out = NULL;
    if (days < 1 || days > HANDOVER_KPI_DAYS_MAX)
        return ws_fail(WS_EINVAL, "days", "days is 1 to %d", HANDOVER_KPI_DAYS_MAX);
    kpi_row *rows = malloc(KPI_ROWS_CAP * sizeof *rows);
    kpi_unit *units = malloc(KPI_UNITS_CAP * sizeof *units);
    int64_t *made = malloc(KPI_ROWS_CAP * sizeof *made), *take = malloc(KPI_ROWS_CAP * sizeof *take);
    json_t *a = json_array();
    size_t n = 0, nu = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = rows && units && made && take && a ? WS_OK : ws_fail(WS_ENOMEM, NULL, "out of memory");
    /* all rows first, the shift walks after: no statement is open across them */
    if (!rc) rc = store_prepare(c, Q_HANDOVER_KPI_ROWS, &st);
    if (!rc) rc = store_bind_text(st, 1, f->scope_path ? f->scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, f->unit_id);
    if (!rc) rc = store_bind_int(st, 3, now - (int64_t)days * 24 * HOUR_MS);
    if (!rc) rc = store_bind_int(st, 4, now);
    if (!rc) rc = store_bind_int(st, 5, HANDOVER_WAIT_MIN);
    if (!rc) rc = store_bind_int(st, 6, HANDOVER_EARLY_MIN);
    while (!rc && n < KPI_ROWS_CAP && !(rc = store_step(st, &row)) && row) {
        kpi_row *r = &rows[n];
        r->unit = store_col_int(st, 0);
        if (!nu || units[nu - 1].id != r->unit) {
            if (nu == KPI_UNITS_CAP) break;
            units[nu] = (kpi_unit){.id = r->unit, .first = n, .wait = store_col_int(st, 7),
                                   .early = store_col_int(st, 8)};
            copy(units[nu].path, sizeof units[nu].path, store_col_text(st, 1));
            copy(units[nu].name, sizeof units[nu].name, store_col_text(st, 2));
            nu++;
        }
        const char *state = store_col_text(st, 3);
        r->state = !strcmp(state, "accepted") ? 0 : !strcmp(state, "refused") ? 1 : 2;
        r->at = store_col_int(st, 4);
        r->taken = store_col_opt_int(st, 5);
        r->off = !store_col_null(st, 6) && store_col_int(st, 6) == 0;
        n++;
    }
    store_finalize(st);
    if (!rc && row && (n == KPI_ROWS_CAP || nu == KPI_UNITS_CAP))
        rc = ws_fail(WS_EINVAL, "days", "more than %d handovers or %d units in this time: choose fewer "
                     "days or one unit (unit_id)", KPI_ROWS_CAP, KPI_UNITS_CAP);
    for (size_t k = 0; !rc && k < nu; k++) {
        size_t last = k + 1 < nu ? units[k + 1].first : n, nm = 0, nt = 0;
        int counts[4] = {0, 0, 0, 0};
        for (size_t i = units[k].first; i < last; i++) {
            made[nm++] = rows[i].at;
            counts[rows[i].state]++;
            counts[3] += rows[i].off;
            if (rows[i].taken > 0) take[nt++] = (rows[i].taken - rows[i].at) / 60000;
        }
        rc = unit_figures(c, &units[k], made, nm, take, nt, counts, now, a);
    }
    free(rows);
    free(units);
    free(made);
    free(take);
    if (rc) json_decref(a);
    else *out = a;
    return rc;
}

/* ------------------------------------------------------------------- reads */

static ws_err read_row(store_stmt *st, handover *h)
{
    memset(h, 0, sizeof *h);
    h->id = store_col_int(st, 0);
    h->unit_id = store_col_int(st, 1);
    h->shift_id = store_col_opt_int(st, 2);
    h->period_from = store_col_int(st, 3);
    h->period_to = store_col_int(st, 4);
    copy(h->state, sizeof h->state, store_col_text(st, 5));
    h->handed_by_person_id = store_col_int(st, 6);
    copy(h->handed_note, sizeof h->handed_note, store_col_text(st, 7));
    h->summary = strdup(store_col_text(st, 8));
    h->snapshot = strdup(store_col_text(st, 9));
    h->taken_by_person_id = store_col_opt_int(st, 10);
    h->taken_at = store_col_opt_int(st, 11);
    copy(h->taken_note, sizeof h->taken_note, store_col_text(st, 12));
    h->created_at = store_col_int(st, 13);
    h->updated_at = store_col_int(st, 14);
    copy(h->unit_path, sizeof h->unit_path, store_col_text(st, 15));
    copy(h->unit_name, sizeof h->unit_name, store_col_text(st, 16));
    copy(h->shift_name, sizeof h->shift_name, store_col_text(st, 17));
    copy(h->handed_by_name, sizeof h->handed_by_name, store_col_text(st, 18));
    copy(h->taken_by_name, sizeof h->taken_by_name, store_col_text(st, 19));
    h->taken_on_roster = store_col_null(st, 20) ? -1 : (int)store_col_int(st, 20);
    if (!h->summary || !h->snapshot) {
        handover_clear(h);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    return WS_OK;
}

ws_err handover_get(store_conn *c, int64_t id, handover *h)
{
    store_stmt *st = NULL;
    bool row = false;
    memset(h, 0, sizeof *h);
    ws_err rc = store_prepare(c, Q_HANDOVER_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such handover");
    if (!rc) rc = read_row(st, h);
    store_finalize(st);
    return rc;
}

void handover_clear(handover *h)
{
    free(h->summary);
    free(h->snapshot);
    h->summary = h->snapshot = NULL;
}

ws_err handover_list(store_conn *c, const handover_filter *f, handover **items, size_t *n,
                     int64_t *next)
{
    int limit = f->limit >= 1 && f->limit <= 200 ? f->limit : 50;
    store_stmt *st = NULL;
    bool row = false;
    *items = calloc((size_t)limit + 1, sizeof **items);
    *n = 0;
    *next = 0;
    if (!*items) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = store_prepare(c, Q_HANDOVER_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, f->scope_path ? f->scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, f->unit_id);
    if (!rc) rc = store_bind_int(st, 3, f->cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    if (!rc) rc = store_bind_text(st, 5, f->state ? f->state : "");
    while (!rc && !(rc = store_step(st, &row)) && row && *n <= (size_t)limit)
        if (!(rc = read_row(st, &(*items)[*n]))) (*n)++;
    store_finalize(st);
    if (!rc && *n > (size_t)limit) {
        handover_clear(&(*items)[limit]);
        *n = (size_t)limit;
        *next = (*items)[limit - 1].id;
    }
    if (rc) {
        handover_list_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
    return rc;
}

void handover_list_free(handover *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) handover_clear(&items[i]);
    free(items);
}
