/* crew.c — crews (班组): named groups of a unit's people rostered as one
 * (plant.h invariant 7). A plant on 四班两倒 has four crews, 甲乙丙丁, each
 * with a 班长 (roster role grid_leader: the first step of an alarm's
 * escalation) and operators; a crew is put on a shift for a run of days in
 * one request (plant_crew_schedule), and the entries it makes name it, so
 * the roster reads 甲班 and 延续排班 carries the crew on with its people.
 *
 * The members are one column of the crew's row, "person_id:role,..." in the
 * crew's order, so the evidence log seals who was in the crew at every
 * change. Names are looked up when the crew is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "plant/plant_int.h"
#include "store/q_plant.h"

#define MEMBERS_MAX (PLANT_CREW_MAX * 40) /* "id:grid_leader," a member: at most 20 + 1 + 15 + 1 */

static const char *const crew_roles[] = {"grid_leader", "operator", NULL};

/* Scan the members column "id:role,..." (at most PLANT_CREW_MAX) into ids
 * and, when roles is not NULL, roles; the count. A malformed tail is
 * dropped: the column is only written here. */
static size_t members_scan(const char *s, int64_t *ids, char (*roles)[16])
{
    size_t n = 0;
    while (s && *s && n < PLANT_CREW_MAX) {
        char *end;
        long long id = strtoll(s, &end, 10);
        if (end == s || *end != ':') break;
        const char *role = end + 1, *stop = strchr(role, ',');
        int len = (int)(stop ? (size_t)(stop - role) : strlen(role));
        ids[n] = id;
        if (roles) snprintf(roles[n], sizeof roles[n], "%.*s", len < 15 ? len : 15, role);
        n++;
        s = stop ? stop + 1 : NULL;
    }
    return n;
}

static void crew_row(store_stmt *st, void *out)
{
    plant_crew *cr = out;
    memset(cr, 0, sizeof *cr);
    cr->id = store_col_int(st, 0);
    cr->unit_id = store_col_int(st, 1);
    plant_copy(cr->name, sizeof cr->name, store_col_text(st, 2));
    int64_t ids[PLANT_CREW_MAX];
    char roles[PLANT_CREW_MAX][16];
    cr->nmembers = members_scan(store_col_text(st, 3), ids, roles);
    for (size_t i = 0; i < cr->nmembers; i++) {
        cr->members[i].person_id = ids[i];
        memcpy(cr->members[i].role, roles[i], sizeof roles[i]);
    }
    cr->active = store_col_int(st, 4) != 0;
    cr->created_at = store_col_int(st, 5);
    cr->updated_at = store_col_int(st, 6);
    plant_copy(cr->unit_path, sizeof cr->unit_path, store_col_text(st, 7));
}

/* The members' names and whether they are still active (a person erased
 * reads as the erasure left the name). */
static ws_err member_names(store_conn *c, plant_crew *cr)
{
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_PLANT_PERSON_NAME, &st);
    for (size_t i = 0; !rc && i < cr->nmembers; i++) {
        bool row = false;
        rc = store_reset(st);
        if (!rc) rc = store_bind_int(st, 1, cr->members[i].person_id);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) {
            plant_copy(cr->members[i].name, sizeof cr->members[i].name, store_col_text(st, 0));
            cr->members[i].active = store_col_int(st, 1) != 0;
        }
    }
    store_finalize(st);
    return rc;
}

ws_err plant_crew_get(store_conn *c, int64_t id, plant_crew *cr)
{
    ws_err rc = plant_get_one(c, Q_CREW_GET, id, crew_row, cr, "crew");
    return rc ? rc : member_names(c, cr);
}

ws_err plant_crew_list(store_conn *c, const plant_filter *f, plant_crew **items, size_t *n,
                       int64_t *next)
{
    plant_bind x[] = {PB_INT(f->active)};
    ws_err rc = plant_list_run(c, Q_CREW_LIST, f, x, 1, crew_row, sizeof **items, (void **)items,
                               n, next);
    for (size_t i = 0; !rc && i < *n; i++) rc = member_names(c, &(*items)[i]);
    if (rc) {
        free(*items);
        *items = NULL;
        *n = 0;
    }
    return rc;
}

/* The members column of in's members (roles of at most 15 bytes, ids of
 * at most 19 digits: MEMBERS_MAX holds PLANT_CREW_MAX of them). */
static void members_text(const plant_crew_in *in, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < in->nmembers && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%lld:%s", i ? "," : "",
                                (long long)in->person_ids[i], in->roles[i]);
}

/* in's members checked (people of the unit's enterprise, a role each, no one
 * twice, at most one 班长, in no other active crew of the unit) and written
 * as the column into out. */
static ws_err members_of(store_conn *c, const plant_crew_in *in, const org_unit *u, int64_t self,
                         char *out, size_t cap)
{
    if (in->nmembers < 1 || in->nmembers > PLANT_CREW_MAX || !in->person_ids || !in->roles)
        return ws_fail(WS_EINVAL, "members", "members must hold 1 to %d people", PLANT_CREW_MAX);
    char f[40];
    size_t leaders = 0;
    for (size_t i = 0; i < in->nmembers; i++) {
        snprintf(f, sizeof f, "members[%zu].role", i);
        if (!plant_one_of(in->roles[i], crew_roles))
            return ws_fail(WS_EINVAL, f, "%s must be grid_leader (班长) or operator", f);
        if (!strcmp(in->roles[i], "grid_leader") && ++leaders > 1)
            return ws_fail(WS_EINVAL, f, "a crew has one 班长 (grid_leader): %s is a second", f);
        snprintf(f, sizeof f, "members[%zu].person_id", i);
        ws_err rc = plant_person_check(c, in->person_ids[i], u->enterprise_id, f);
        if (rc) return rc;
        for (size_t k = 0; k < i; k++)
            if (in->person_ids[k] == in->person_ids[i])
                return ws_fail(WS_EINVAL, f, "%s is listed twice", f);
    }
    members_text(in, out, cap);
    /* in another active crew of the unit? */
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_CREW_OF_UNIT, &st);
    if (!rc) rc = store_bind_int(st, 1, u->id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (store_col_int(st, 0) == self) continue;
        int64_t other[PLANT_CREW_MAX];
        size_t nother = members_scan(store_col_text(st, 2), other, NULL);
        for (size_t i = 0; !rc && i < in->nmembers; i++)
            for (size_t k = 0; k < nother; k++)
                if (other[k] == in->person_ids[i]) {
                    snprintf(f, sizeof f, "members[%zu].person_id", i);
                    rc = ws_fail(WS_ECONFLICT, f, "%s is in the crew %s already (one crew a person)", f,
                                 store_col_text(st, 1));
                    break;
                }
    }
    store_finalize(st);
    return rc;
}

static ws_err crew_name_free(store_conn *c, int64_t unit_id, const char *name, int64_t self)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_CREW_BY_NAME, &st);
    if (!rc) rc = store_bind_int(st, 1, unit_id);
    if (!rc) rc = store_bind_text(st, 2, name);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row && store_col_int(st, 0) != self)
        rc = ws_fail(WS_ECONFLICT, "name", "the unit has a crew named %s already", name);
    store_finalize(st);
    return rc;
}

ws_err plant_crew_create(store_conn *c, const org_caller *by, const plant_crew_in *in, int64_t *id)
{
    org_unit u;
    char members[MEMBERS_MAX];
    bool own = false;
    ws_err rc = plant_text(in->name, "name", PLANT_SHIFT_NAME_MAX, true, false);
    if (!rc) rc = plant_row_unit(c, by, "plant.write", in->unit_id, "unit_id", &u);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = crew_name_free(c, u.id, in->name, 0);
    if (!rc) rc = members_of(c, in, &u, 0, members, sizeof members);
    store_stmt *st = NULL;
    if (!rc) rc = store_prepare(c, Q_CREW_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, u.id);
    if (!rc) rc = store_bind_text(st, 2, in->name);
    if (!rc) rc = store_bind_text(st, 3, members);
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (!rc) rc = plant_run(st, id, "name");
    store_finalize(st);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_CREW, *id, "create");
    return store_tx_finish(c, own, rc);
}

ws_err plant_crew_update(store_conn *c, const org_caller *by, int64_t id, const plant_crew_in *in)
{
    plant_crew *cr = malloc(sizeof *cr);
    if (!cr) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    char members[MEMBERS_MAX] = "";
    org_unit u;
    bool own = false;
    ws_err rc = plant_get_one(c, Q_CREW_GET, id, crew_row, cr, "crew");
    if (!rc) rc = plant_allow(by, "plant.write", cr->unit_path);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such crew");
    if (!rc && (in->set & PLANT_CR_NAME)) rc = plant_text(in->name, "name", PLANT_SHIFT_NAME_MAX, true, false);
    if (!rc) rc = org_unit_get(c, cr->unit_id, &u);
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) {
        free(cr);
        return rc;
    }
    const char *name = (in->set & PLANT_CR_NAME) ? in->name : cr->name;
    bool active = (in->set & PLANT_CR_ACTIVE) ? in->active : cr->active;
    /* the members given, or the crew's own: checked again when a retired
     * crew comes back (someone may have joined another crew meanwhile) */
    int64_t ids[PLANT_CREW_MAX];
    const char *roles[PLANT_CREW_MAX];
    for (size_t i = 0; i < cr->nmembers; i++) {
        ids[i] = cr->members[i].person_id;
        roles[i] = cr->members[i].role;
    }
    plant_crew_in own_members = {.nmembers = cr->nmembers, .person_ids = ids, .roles = roles};
    const plant_crew_in *m = (in->set & PLANT_CR_MEMBERS) ? in : &own_members;
    rc = crew_name_free(c, u.id, name, id);
    if (!rc && (m == in || (active && !cr->active))) rc = members_of(c, m, &u, id, members, sizeof members);
    else if (!rc) members_text(m, members, sizeof members);
    store_stmt *st = NULL;
    if (!rc) rc = store_prepare(c, Q_CREW_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, name);
    if (!rc) rc = store_bind_text(st, 3, members);
    if (!rc) rc = store_bind_int(st, 4, active);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (!rc) rc = plant_run(st, NULL, "name");
    store_finalize(st);
    if (!rc) rc = plant_leaf(c, by, &PLANT_ENTITY_CREW, id, "update");
    free(cr);
    return store_tx_finish(c, own, rc);
}

ws_err plant_crew_schedule(store_conn *c, const org_caller *by, int64_t crew_id, int64_t shift_id,
                           const char *const *days, size_t ndays, size_t *added, size_t *kept)
{
    *added = *kept = 0;
    if (ndays < 1 || ndays > PLANT_SCHEDULE_DAYS)
        return ws_fail(WS_EINVAL, "days", "days must hold 1 to %d dates", PLANT_SCHEDULE_DAYS);
    plant_crew *cr = malloc(sizeof *cr);
    if (!cr) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    plant_shift s;
    ws_err rc = plant_get_one(c, Q_CREW_GET, crew_id, crew_row, cr, "crew");
    if (!rc) rc = plant_allow(by, "plant.write", cr->unit_path);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such crew");
    if (!rc && !cr->active) rc = ws_fail(WS_ECONFLICT, "id", "the crew %s is retired", cr->name);
    if (!rc) {
        rc = shift_id > 0 ? plant_shift_get(c, shift_id, &s) : WS_ENOTFOUND;
        if (rc == WS_ENOTFOUND || (!rc && s.unit_id != cr->unit_id))
            rc = ws_fail(WS_EINVAL, "shift_id", "shift_id must be a shift of the crew's unit");
        else if (!rc && !s.active) rc = ws_fail(WS_EINVAL, "shift_id", "the shift %s is retired", s.name);
    }
    for (size_t i = 0; !rc && i < ndays; i++) {
        int64_t d;
        char f[32];
        snprintf(f, sizeof f, "days[%zu]", i);
        if (!plant_date_parse(days[i], &d)) rc = ws_fail(WS_EINVAL, f, "%s must be a date YYYY-MM-DD", f);
    }
    /* a member who has left since is named here, not as an entry */
    org_unit u;
    if (!rc) rc = org_unit_get(c, cr->unit_id, &u);
    for (size_t k = 0; !rc && k < cr->nmembers; k++) {
        char f[40];
        snprintf(f, sizeof f, "members[%zu].person_id", k);
        rc = plant_person_check(c, cr->members[k].person_id, u.enterprise_id, f);
    }
    if (rc) {
        free(cr);
        return rc;
    }
    size_t cap = cr->nmembers * ndays, n = 0;
    if (cap > PLANT_ROSTER_BATCH_MAX) {
        rc = ws_fail(WS_EINVAL, "days", "a crew of %zu is rostered for at most %d days at once",
                     cr->nmembers, PLANT_ROSTER_BATCH_MAX / (int)cr->nmembers);
        free(cr);
        return rc;
    }
    plant_roster_in *in = calloc(cap ? cap : 1, sizeof *in);
    bool own = false;
    rc = in ? store_tx_join(c, &own) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    if (!rc) rc = store_prepare(c, Q_ROSTER_EXISTS, &st);
    for (size_t i = 0; !rc && i < ndays; i++)
        for (size_t k = 0; !rc && k < cr->nmembers; k++) {
            bool row = false, twice = false; /* twice: the same day given twice */
            for (size_t j = 0; j < n && !twice; j++)
                twice = in[j].person_id == cr->members[k].person_id && !strcmp(in[j].day, days[i]);
            if (twice) continue;
            rc = store_reset(st);
            if (!rc) rc = store_bind_int(st, 1, s.id);
            if (!rc) rc = store_bind_text(st, 2, days[i]);
            if (!rc) rc = store_bind_int(st, 3, cr->members[k].person_id);
            if (!rc) rc = store_bind_text(st, 4, cr->members[k].role);
            if (!rc) rc = store_step(st, &row);
            if (!rc && row) ++*kept;
            else if (!rc) in[n++] = (plant_roster_in){s.id, cr->members[k].person_id, days[i], cr->members[k].role, cr->id};
        }
    store_finalize(st);
    /* each entry checked and sealed as any other */
    if (!rc && n) rc = plant_roster_add(c, by, in, n, NULL);
    if (!rc) *added = n;
    free(in);
    free(cr);
    return store_tx_finish(c, own, rc);
}
