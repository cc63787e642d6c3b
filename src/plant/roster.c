/* roster.c — minimal shift rosters: "who is on duty in a unit, in its time
 * zone" (plant.h invariants 1 and 2).
 *
 * A shift (白班 08:00 for 720 min, 夜班 20:00 for 720 min) belongs to a unit
 * and is local wall-clock time of the unit's zone (units.tz). A roster entry
 * puts a person on a shift of a local day D in a duty role; it covers
 *
 *     [ utc(D, start), utc(D, start + length) )
 *
 * where utc() turns a local wall time into an instant (plant_local_to_utc):
 * with offsets a before and b after the nearest transition, the candidates
 * are L - a and L - b; the one whose own offset matches wins, the earlier
 * of two (autumn overlap: 01:30 happens twice), L - a when none (spring gap:
 * 02:30 does not exist and becomes 03:30). So a night shift 20:00 + 720 min
 * ends at 08:00 local on the DST night too, 11 or 13 hours later.
 *
 * plant_on_duty looks at entries of the instant's local day and the day
 * before (a shift lasts at most 1440 min, so nothing older can reach it),
 * in the unit and then up its path, each unit in its own zone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "plant/plant_int.h"
#include "store/q_plant.h"

#define DAY_MS 86400000LL
#define MIN_MS 60000LL

static const char *const duty_roles[] = {"operator", "grid_leader", "safety_officer", "manager",
                                         NULL};

bool plant_role_valid(const char *role) { return plant_one_of(role, duty_roles); }

/* --------------------------------------------------------- calendar, zones */

void plant_date_format(int64_t day, char out[11])
{
    int64_t y;
    int m, d;
    clock_civil_from_days(day, &y, &m, &d);
    unsigned yy = (unsigned)(y < 0 ? 0 : y % 10000);
    const unsigned v[3] = {yy, (unsigned)m, (unsigned)d};
    const int w[3] = {4, 2, 2};
    char *o = out;
    for (int i = 0; i < 3; i++) {
        for (int k = w[i] - 1, div = 1; k >= 0; k--, div *= 10) o[k] = (char)('0' + v[i] / (unsigned)div % 10);
        o += w[i];
        if (i < 2) *o++ = '-';
    }
    *o = 0;
}

bool plant_date_parse(const char *s, int64_t *day)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1) return false;
    int dm = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (d > dm) return false;
    *day = clock_days_from_civil(y, m, d);
    return true;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

ws_err plant_local_day(const char *tz, int64_t ms, int64_t *day)
{
    int off = 0;
    ws_err rc = plant_tz_offset(tz, ms, &off);
    if (!rc) *day = floor_div(ms + off * MIN_MS, DAY_MS);
    return rc;
}

ws_err plant_local_to_utc(const char *tz, int64_t day, int64_t minute, int64_t *ms)
{
    int64_t local = day * DAY_MS + minute * MIN_MS;
    int a = 0, b = 0, oa = 0, ob = 0;
    /* The offsets a day either side: at most one transition between them
     * for any real zone. */
    ws_err rc = plant_tz_offset(tz, local - DAY_MS, &a);
    if (!rc) rc = plant_tz_offset(tz, local + DAY_MS, &b);
    if (rc) return rc;
    int64_t ua = local - a * MIN_MS, ub = local - b * MIN_MS;
    if ((rc = plant_tz_offset(tz, ua, &oa)) || (rc = plant_tz_offset(tz, ub, &ob))) return rc;
    bool va = oa == a, vb = ob == b;
    if (va && vb) *ms = ua < ub ? ua : ub; /* overlap: the earlier */
    else if (vb) *ms = ub;
    else *ms = ua; /* valid, or in a gap: moved forward by it */
    return WS_OK;
}

/* ----------------------------------------------------------------- shifts */

static void shift_row(store_stmt *st, void *out)
{
    plant_shift *s = out;
    memset(s, 0, sizeof *s);
    s->id = store_col_int(st, 0);
    s->unit_id = store_col_int(st, 1);
    plant_copy(s->name, sizeof s->name, store_col_text(st, 2));
    s->start_min = (int)store_col_int(st, 3);
    s->length_min = (int)store_col_int(st, 4);
    s->active = store_col_int(st, 5) != 0;
    s->created_at = store_col_int(st, 6);
    s->updated_at = store_col_int(st, 7);
    plant_copy(s->unit_path, sizeof s->unit_path, store_col_text(st, 8));
}

ws_err plant_shift_get(store_conn *c, int64_t id, plant_shift *s)
{
    return plant_get_one(c, Q_SHIFT_GET, id, shift_row, s, "shift");
}

ws_err plant_shift_list(store_conn *c, const plant_filter *f, plant_shift **items, size_t *n,
                        int64_t *next)
{
    plant_bind x[] = {PB_INT(f->active)};
    return plant_list_run(c, Q_SHIFT_LIST, f, x, 1, shift_row, sizeof **items, (void **)items, n,
                          next);
}

/* "HH:MM" 00:00..23:59 into minutes. */
static bool hhmm(const char *s, int *min)
{
    if (!s || strlen(s) != 5 || s[2] != ':') return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return false;
    *min = h * 60 + m;
    return true;
}

static ws_err shift_fields(const plant_shift_in *in, unsigned set, plant_shift *s)
{
    ws_err rc;
    if (set & PLANT_SH_NAME) {
        if ((rc = plant_text(in->name, "name", PLANT_SHIFT_NAME_MAX, true, false))) return rc;
        plant_copy(s->name, sizeof s->name, in->name);
    }
    if ((set & PLANT_SH_START) && !hhmm(in->start, &s->start_min))
        return ws_fail(WS_EINVAL, "start", "start must be a local time HH:MM (00:00 to 23:59)");
    if (set & PLANT_SH_LENGTH) {
        if (in->length_min < 1 || in->length_min > 1440)
            return ws_fail(WS_EINVAL, "length_min", "length_min must be 1 to 1440 minutes");
        s->length_min = (int)in->length_min;
    }
    if (set & PLANT_SH_ACTIVE) s->active = in->active;
    return WS_OK;
}

static ws_err shift_name_free(store_conn *c, const plant_shift *s)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_SHIFT_BY_NAME, &st);
    if (!rc) rc = store_bind_int(st, 1, s->unit_id);
    if (!rc) rc = store_bind_text(st, 2, s->name);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row && store_col_int(st, 0) != s->id)
        rc = ws_fail(WS_ECONFLICT, "name", "the unit has a shift named %s already", s->name);
    store_finalize(st);
    return rc;
}

static ws_err shift_write(store_conn *c, const plant_shift *s, bool insert, int64_t *id)
{
    store_stmt *st = NULL;
    int64_t now = clock_now_ms();
    ws_err rc = store_prepare(c, insert ? Q_SHIFT_INSERT : Q_SHIFT_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, insert ? s->unit_id : s->id);
    if (!rc) rc = store_bind_text(st, 2, s->name);
    if (!rc) rc = store_bind_int(st, 3, s->start_min);
    if (!rc) rc = store_bind_int(st, 4, s->length_min);
    if (!rc && !insert) rc = store_bind_int(st, 5, s->active);
    if (!rc) rc = store_bind_int(st, insert ? 5 : 6, now);
    if (!rc) rc = plant_run(st, insert ? id : NULL, "name");
    store_finalize(st);
    return rc;
}

ws_err plant_shift_create(store_conn *c, const org_caller *by, const plant_shift_in *in,
                          int64_t *id)
{
    org_unit u;
    plant_shift s = {0};
    bool own = false;
    ws_err rc = shift_fields(in, PLANT_SH_NAME | PLANT_SH_START | PLANT_SH_LENGTH, &s);
    if (!rc) rc = plant_row_unit(c, by, "plant.write", in->unit_id, "unit_id", &u);
    if (rc) return rc;
    s.unit_id = in->unit_id;
    s.active = true;
    rc = shift_name_free(c, &s);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = shift_write(c, &s, true, id);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_SHIFT, *id, "create");
    return store_tx_finish(c, own, rc);
}

ws_err plant_shift_update(store_conn *c, const org_caller *by, int64_t id,
                          const plant_shift_in *in)
{
    plant_shift s;
    bool own = false;
    ws_err rc = plant_shift_get(c, id, &s);
    if (!rc) rc = plant_allow(by, "plant.write", s.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such shift");
    if (!rc) rc = shift_fields(in, in->set, &s);
    if (!rc && (in->set & PLANT_SH_NAME)) rc = shift_name_free(c, &s);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = shift_write(c, &s, false, NULL);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_SHIFT, id, "update");
    return store_tx_finish(c, own, rc);
}

/* ----------------------------------------------------------------- roster */

static void roster_row(store_stmt *st, void *out)
{
    plant_roster *r = out;
    memset(r, 0, sizeof *r);
    r->id = store_col_int(st, 0);
    r->unit_id = store_col_int(st, 1);
    plant_copy(r->day, sizeof r->day, store_col_text(st, 2));
    r->shift_id = store_col_int(st, 3);
    r->person_id = store_col_int(st, 4);
    plant_copy(r->role, sizeof r->role, store_col_text(st, 5));
    r->created_at = store_col_int(st, 6);
    plant_copy(r->shift_name, sizeof r->shift_name, store_col_text(st, 7));
    plant_copy(r->person_name, sizeof r->person_name, store_col_text(st, 8));
    plant_copy(r->unit_path, sizeof r->unit_path, store_col_text(st, 9));
    r->crew_id = store_col_int(st, 10);
    plant_copy(r->crew_name, sizeof r->crew_name, store_col_text(st, 11));
    r->person_active = store_col_int(st, 12) != 0;
}

ws_err plant_roster_get(store_conn *c, int64_t id, plant_roster *r)
{
    return plant_get_one(c, Q_ROSTER_GET, id, roster_row, r, "roster entry");
}

ws_err plant_roster_list(store_conn *c, const plant_filter *f, plant_roster **items, size_t *n,
                         int64_t *next)
{
    plant_bind x[] = {PB_TEXT(f->role), PB_TEXT(f->from), PB_TEXT(f->to), PB_INT(f->person_id),
                      PB_INT(f->shift_id)};
    ws_err rc = plant_filter_one_of(f->role, duty_roles, "role");
    if (rc) return rc;
    return plant_list_run(c, Q_ROSTER_LIST, f, x, 5, roster_row, sizeof **items, (void **)items,
                          n, next);
}

/* One entry's checks; field names carry the entry's index. */
static ws_err roster_one(store_conn *c, const org_caller *by, const plant_roster_in *e, size_t i,
                         plant_shift *s)
{
    char f[48];
    int64_t day;
    snprintf(f, sizeof f, "entries[%zu].shift_id", i);
    ws_err rc = e->shift_id > 0 ? plant_shift_get(c, e->shift_id, s) : WS_ENOTFOUND;
    if (!rc) rc = plant_allow(by, "plant.write", s->unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, f, "no such shift (%s)", f);
    if (rc) return rc;
    if (!s->active) return ws_fail(WS_EINVAL, f, "the shift (%s) is retired", f);
    snprintf(f, sizeof f, "entries[%zu].day", i);
    if (!plant_date_parse(e->day, &day)) return ws_fail(WS_EINVAL, f, "%s must be a date YYYY-MM-DD", f);
    snprintf(f, sizeof f, "entries[%zu].role", i);
    if (!plant_role_valid(e->role))
        return ws_fail(WS_EINVAL, f, "%s must be operator, grid_leader, safety_officer or manager", f);
    if (e->crew_id) { /* a crew of the shift's unit (retired or not: a copy of the rota keeps it) */
        int64_t unit = 0;
        bool found = false;
        rc = plant_int_of(c, Q_CREW_UNIT, e->crew_id, -1, &unit, &found);
        if (rc) return rc;
        snprintf(f, sizeof f, "entries[%zu].crew_id", i);
        if (!found || unit != s->unit_id) return ws_fail(WS_EINVAL, f, "%s must be a crew of the shift's unit", f);
    }
    org_unit u;
    rc = org_unit_get(c, s->unit_id, &u);
    snprintf(f, sizeof f, "entries[%zu].person_id", i);
    if (!rc) rc = plant_person_check(c, e->person_id, u.enterprise_id, f);
    return rc;
}

ws_err plant_roster_add(store_conn *c, const org_caller *by, const plant_roster_in *in, size_t n,
                        int64_t *ids)
{
    if (n < 1 || n > PLANT_ROSTER_BATCH_MAX)
        return ws_fail(WS_EINVAL, "entries", "entries must hold 1 to %d entries",
                       PLANT_ROSTER_BATCH_MAX);
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    int64_t now = clock_now_ms();
    for (size_t i = 0; !rc && i < n; i++) {
        plant_shift s;
        int64_t id = 0;
        rc = roster_one(c, by, &in[i], i, &s);
        if (rc) break;
        store_stmt *st = NULL;
        rc = store_prepare(c, Q_ROSTER_INSERT, &st);
        if (!rc) rc = store_bind_int(st, 1, s.unit_id);
        if (!rc) rc = store_bind_text(st, 2, in[i].day);
        if (!rc) rc = store_bind_int(st, 3, s.id);
        if (!rc) rc = store_bind_int(st, 4, in[i].person_id);
        if (!rc) rc = store_bind_text(st, 5, in[i].role);
        if (!rc) rc = store_bind_int(st, 6, now);
        if (!rc) rc = store_bind_int(st, 7, in[i].crew_id);
        if (!rc) {
            char f[32];
            snprintf(f, sizeof f, "entries[%zu]", i);
            rc = plant_run(st, &id, f);
            if (rc == WS_ECONFLICT)
                rc = ws_fail(WS_ECONFLICT, f, "%s: the person is on this shift and day in this "
                             "role already", f);
        }
        store_finalize(st);
        if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_ROSTER, id, "create");
        if (!rc && ids) ids[i] = id;
    }
    return store_tx_finish(c, own, rc);
}

ws_err plant_roster_delete(store_conn *c, const org_caller *by, int64_t id)
{
    plant_roster r;
    bool own = false;
    ws_err rc = plant_roster_get(c, id, &r);
    if (!rc) rc = plant_allow(by, "plant.write", r.unit_path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such roster entry");
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_ROSTER_DELETE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = plant_run(st, NULL, "id");
    store_finalize(st);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_ROSTER, id, "delete");
    return store_tx_finish(c, own, rc);
}

/* ---------------------------------------------------------------- on duty */

static void add_id(int64_t *ids, size_t cap, size_t *n, int64_t id)
{
    for (size_t i = 0; i < *n; i++)
        if (ids[i] == id) return;
    if (*n >= cap) return;
    size_t k = *n;
    while (k > 0 && ids[k - 1] > id) { /* keep ascending */
        ids[k] = ids[k - 1];
        k--;
    }
    ids[k] = id;
    (*n)++;
}

/* The people on duty in exactly unit u. */
static ws_err duty_in(store_conn *c, const org_unit *u, const char *role, int64_t at_ms,
                      int64_t *ids, size_t cap, size_t *n)
{
    int64_t today;
    ws_err rc = plant_local_day(u->tz, at_ms, &today);
    if (rc) return rc;
    char d0[11], d1[11];
    plant_date_format(today - 1, d0);
    plant_date_format(today, d1);
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_ROSTER_DUTY, &st);
    if (!rc) rc = store_bind_int(st, 1, u->id);
    if (!rc) rc = store_bind_text(st, 2, role);
    if (!rc) rc = store_bind_text(st, 3, d0);
    if (!rc) rc = store_bind_text(st, 4, d1);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t person = store_col_int(st, 0), day, from, to;
        int64_t start = store_col_int(st, 2), len = store_col_int(st, 3);
        if (!plant_date_parse(store_col_text(st, 1), &day)) continue;
        rc = plant_local_to_utc(u->tz, day, start, &from);
        if (!rc) rc = plant_local_to_utc(u->tz, day, start + len, &to);
        if (!rc && at_ms >= from && at_ms < to) add_id(ids, cap, n, person);
    }
    store_finalize(st);
    return rc;
}

ws_err plant_on_duty_at(store_conn *c, int64_t unit_id, const char *role, int64_t at_ms,
                        int64_t *ids, size_t cap, size_t *n, int64_t *from_unit)
{
    *n = 0;
    if (from_unit) *from_unit = 0;
    if (!plant_role_valid(role))
        return ws_fail(WS_EINVAL, "role", "role must be operator, grid_leader, safety_officer or manager");
    org_unit u;
    ws_err rc = org_unit_get(c, unit_id, &u);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (rc) return rc;
    /* The path's ids from the unit up: "/1/4/9/" -> 9, 4, 1. */
    int64_t chain[64];
    int depth = 0;
    for (const char *p = u.path; *p && depth < 64;) {
        if (*p == '/') {
            p++;
            continue;
        }
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) break;
        chain[depth++] = v;
        p = end;
    }
    for (int i = depth - 1; i >= 0 && !rc; i--) {
        org_unit x;
        if (chain[i] == u.id) x = u;
        else if ((rc = org_unit_get(c, chain[i], &x))) break;
        rc = duty_in(c, &x, role, at_ms, ids, cap, n);
        if (!rc && *n) {
            if (from_unit) *from_unit = x.id;
            break;
        }
    }
    return rc;
}

static int by_start(const void *a, const void *b)
{
    const plant_my_shift *x = a, *y = b;
    return (x->from_ms > y->from_ms) - (x->from_ms < y->from_ms);
}

ws_err plant_shifts_of(store_conn *c, int64_t person_id, int64_t at_ms, plant_my_shift *out, size_t *n)
{
    *n = 0;
    /* roster days from two days before to two after the UTC date: every zone's yesterday to tomorrow */
    int64_t day = at_ms / 86400000;
    char d0[11], d1[11];
    plant_date_format(day - 2, d0);
    plant_date_format(day + 2, d1);
    plant_filter f = {.scope_path = "/", .from = d0, .to = d1, .person_id = person_id, .limit = 200};
    plant_roster *items = NULL;
    size_t k = 0;
    int64_t next;
    ws_err rc = plant_roster_list(c, &f, &items, &k, &next);
    for (size_t i = 0; i < k && !rc && *n < PLANT_MY_SHIFTS_MAX; i++) {
        plant_shift sh;
        org_unit u;
        int64_t d, from, to;
        if (!plant_date_parse(items[i].day, &d)) continue;
        rc = plant_shift_get(c, items[i].shift_id, &sh);
        if (!rc) rc = org_unit_get(c, items[i].unit_id, &u);
        if (!rc) rc = plant_local_to_utc(u.tz, d, sh.start_min, &from);
        if (!rc) rc = plant_local_to_utc(u.tz, d, sh.start_min + sh.length_min, &to);
        if (rc || !sh.active || to <= at_ms || from > at_ms + 36 * 3600000LL) continue; /* retired: off duty */
        out[*n] = (plant_my_shift){items[i], from, to};
        (*n)++;
    }
    free(items);
    if (!rc) qsort(out, *n, sizeof *out, by_start);
    return rc;
}

ws_err plant_on_duty(store_conn *c, int64_t unit_id, const char *role, int64_t at_ms,
                     int64_t *ids, size_t cap, size_t *n)
{
    return plant_on_duty_at(c, unit_id, role, at_ms, ids, cap, n, NULL);
}
