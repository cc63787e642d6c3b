/* inspection.c — inspection occurrences of risk tasks and their records
 * (inspection.h has the schedule rules, the flow and the invariants).
 *
 * Windows are computed from local wall-clock time in the site's zone with
 * the TZif reader of the ledgers (ledger_tz_offset: no process-global TZ in
 * a threaded server). A local time is turned into an instant by two
 * offset look-ups (the offset at the guess, then at the corrected guess),
 * which is exact outside DST gaps and picks the later instant in them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "core/buf.h"
#include "core/clock.h"
#include "hazard/hazard.h"
#include "hazard/inspection.h"
#include "ledger/ledger.h"
#include "org/org.h"
#include "risk/risk.h"
#include "store/q_inspection.h"

static const audit_col insp_cols[] = {
    {"id", AC_INT},           {"task_id", AC_INT},       {"unit_id", AC_INT},
    {"risk_event_id", AC_INT}, {"window_start", AC_INT}, {"window_end", AC_INT},
    {"state", AC_TEXT},       {"post_id", AC_INT},       {"grid_unit_id", AC_INT},
    {"items", AC_TEXT},       {"results", AC_TEXT},      {"hazard_ids", AC_TEXT},
    {"done_by_person_id", AC_INT}, {"done_by", AC_TEXT}, {"done_at", AC_INT},
    {"created_at", AC_INT},   {"updated_at", AC_INT},
};
const audit_entity INSPECTION_ENTITY = {"inspection", "inspections", insp_cols,
                                        (int)(sizeof insp_cols / sizeof insp_cols[0])};

static const audit_actor SYSTEM = {"system"};

ws_err inspection_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&INSPECTION_ENTITY);
    if (!rc) done = true;
    return rc;
}

/* ------------------------------------------------------------- windows */

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}


static int64_t offset_ms(const char *tz, int64_t ms)
{
    return (int64_t)ledger_tz_offset(tz, ms) * 60000;
}

/* The local day (days since the epoch) of instant ms in tz. */
static int64_t local_day(const char *tz, int64_t ms)
{
    return floor_div(ms + offset_ms(tz, ms), DAY_MS);
}

/* The instant of local day `day` at minute `min` in tz. */
static int64_t local_to_utc(const char *tz, int64_t day, int64_t min)
{
    int64_t t0 = day * DAY_MS + min * 60000;
    int64_t guess = t0 - offset_ms(tz, t0);
    return t0 - offset_ms(tz, guess);
}

ws_err inspection_window(const char *tz, const char *frequency, int64_t every_hours,
                         int64_t anchor_ms, int64_t now, int64_t *start, int64_t *end)
{
    if (!tz || !*tz) tz = LEDGER_DEFAULT_TZ;
    int64_t d = local_day(tz, now);
    if (frequency && !strcmp(frequency, "daily")) {
        *start = local_to_utc(tz, d, 0);
        *end = local_to_utc(tz, d + 1, 0);
    } else if (frequency && !strcmp(frequency, "weekly")) {
        int64_t back = floor_div(d + 3, 7) * 7 - (d + 3); /* 1970-01-01 was a Thursday */
        d += back;                                         /* the Monday on or before */
        *start = local_to_utc(tz, d, 0);
        *end = local_to_utc(tz, d + 7, 0);
    } else if (frequency && !strcmp(frequency, "monthly")) {
        int64_t y;
        int m, dd;
        clock_civil_from_days(d, &y, &m, &dd);
        *start = local_to_utc(tz, clock_days_from_civil(y, m, 1), 0);
        *end = local_to_utc(tz, m == 12 ? clock_days_from_civil(y + 1, 1, 1)
                                        : clock_days_from_civil(y, m + 1, 1), 0);
    } else if (frequency && !strcmp(frequency, "hours") && every_hours >= 1 &&
               every_hours <= 8760) {
        if (24 % every_hours == 0) {
            /* Wall-clock slots of the local day; an empty slot (skipped by a
             * DST change) is never the one that holds now. */
            for (int back = 0; back < 2; back++, d--) {
                int64_t lo = local_to_utc(tz, d, 0);
                for (int64_t k = 0; k < 24 / every_hours; k++) {
                    int64_t a = k ? local_to_utc(tz, d, k * every_hours * 60) : lo;
                    int64_t b = (k + 1) * every_hours < 24
                                    ? local_to_utc(tz, d, (k + 1) * every_hours * 60)
                                    : local_to_utc(tz, d + 1, 0);
                    if (a <= now && now < b) {
                        *start = a;
                        *end = b;
                        return WS_OK;
                    }
                }
            }
            return ws_fail(WS_EINTERNAL, "frequency", "no hourly window holds the instant");
        }
        int64_t a = local_to_utc(tz, local_day(tz, anchor_ms), 0);
        int64_t step = every_hours * HOUR_MS;
        *start = a + floor_div(now - a, step) * step;
        *end = *start + step;
    } else {
        return ws_fail(WS_EINVAL, "frequency", "frequency must be daily, weekly, monthly or "
                       "hours with every_hours 1..8760");
    }
    return WS_OK;
}

json_t *inspection_items_of(const char *what)
{
    json_t *a = json_array();
    const char *p = what ? what : "";
    while (*p && json_array_size(a) < INSP_ITEMS_MAX) {
        size_t n = strcspn(p, "\n");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
        if (e > s) json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
        p += n;
        if (*p) p++;
    }
    if (json_array_size(a) == 0) json_array_append_new(a, json_string(what ? what : ""));
    return a;
}

/* ------------------------------------------------------------- helpers */

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    return ms > 0 ? json_string(clock_format_rfc3339(ms, t, sizeof t)) : json_null();
}

static json_t *id_or_null(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

static json_t *json_of_text(const char *s)
{
    json_t *v = s && *s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

/* ---------------------------------------------------------------- tick */

typedef struct due_task {
    int64_t id, every_hours, post_id, grid_id, created_at, unit_id, event_id, place_id;
    char frequency[16], tz[ORG_TZ_MAX + 1];
    char *what;
} due_task;

#define TICK_BATCH 200

/* The zone of a unit: its own, else the nearest ancestor's. */
static void zone_of(store_conn *c, int64_t unit_id, char *tz, size_t cap)
{
    for (int depth = 0; !tz[0] && unit_id > 0 && depth < 64; depth++) {
        org_unit u;
        if (org_unit_get(c, unit_id, &u)) break;
        snprintf(tz, cap, "%s", u.tz);
        unit_id = u.parent_id;
    }
}

static ws_err insert_window(store_conn *c, const due_task *t, const char *items, int64_t start,
                            int64_t end, int64_t now, int *created)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    ws_err rc = store_prepare(c, Q_INSP_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, t->id);
    if (!rc) rc = store_bind_int(st, 2, t->place_id);
    if (!rc) rc = store_bind_int(st, 3, t->event_id);
    if (!rc) rc = store_bind_int(st, 4, start);
    if (!rc) rc = store_bind_int(st, 5, end);
    if (!rc) rc = store_bind_opt_int(st, 6, t->post_id);
    if (!rc) rc = store_bind_opt_int(st, 7, t->grid_id);
    if (!rc) rc = store_bind_text(st, 8, items);
    if (!rc) rc = store_bind_int(st, 9, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && id) {
        rc = audit_record(c, &SYSTEM, &INSPECTION_ENTITY, id, "create", NULL);
        if (!rc) (*created)++;
    }
    return rc;
}

static ws_err generate(store_conn *c, const due_task *t, int64_t now, int *created)
{
    int64_t s0, e0, s1, e1;
    if (inspection_window(t->tz, t->frequency, t->every_hours, t->created_at, now, &s0, &e0) ||
        inspection_window(t->tz, t->frequency, t->every_hours, t->created_at, e0, &s1, &e1)) {
        ws_err_clear();
        return WS_OK; /* a task the register would not accept: nothing to make */
    }
    json_t *a = inspection_items_of(t->what);
    char *items = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (!items) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    int made = 0;
    ws_err rc = store_begin(c);
    if (!rc) rc = insert_window(c, t, items, s0, e0, now, &made);
    if (!rc) rc = insert_window(c, t, items, s1, e1, now, &made);
    rc = store_tx_finish(c, true, rc);
    free(items);
    if (!rc) *created += made;
    return rc;
}

static ws_err mark_missed(store_conn *c, int64_t now, int *missed)
{
    int64_t ids[500];
    int n = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_INSP_MISSED_DUE, &st);
    if (!rc) rc = store_bind_int(st, 1, now);
    if (!rc) rc = store_bind_int(st, 2, 500);
    while (!rc && n < 500 && !(rc = store_step(st, &row)) && row) ids[n++] = store_col_int(st, 0);
    store_finalize(st);
    for (int i = 0; !rc && i < n; i++) {
        rc = store_begin(c);
        if (rc) break;
        st = NULL;
        int64_t changed = 0;
        rc = store_prepare(c, Q_INSP_MARK_MISSED, &st);
        if (!rc) rc = store_bind_int(st, 1, ids[i]);
        if (!rc) rc = store_bind_int(st, 2, now);
        if (!rc) rc = store_step(st, &row);
        if (!rc) changed = store_changes(st);
        store_finalize(st);
        if (!rc && changed == 1) {
            rc = audit_record(c, &SYSTEM, &INSPECTION_ENTITY, ids[i], "missed", NULL);
            if (!rc) (*missed)++;
        }
        rc = store_tx_finish(c, true, rc);
    }
    return rc;
}

ws_err inspection_tick(store_conn *c, int64_t now, int *created, int *missed)
{
    int ncreated = 0, nmissed = 0;
    int64_t after = 0;
    ws_err rc = WS_OK;
    due_task *v = calloc(TICK_BATCH, sizeof *v);
    if (!v) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (;;) {
        int n = 0;
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_INSP_TASKS_DUE, &st);
        if (!rc) rc = store_bind_int(st, 1, after);
        if (!rc) rc = store_bind_int(st, 2, TICK_BATCH);
        while (!rc && n < TICK_BATCH && !(rc = store_step(st, &row)) && row) {
            due_task *t = &v[n];
            memset(t, 0, sizeof *t);
            t->id = store_col_int(st, 0);
            snprintf(t->frequency, sizeof t->frequency, "%s", store_col_text(st, 1));
            t->every_hours = store_col_opt_int(st, 2);
            t->post_id = store_col_opt_int(st, 3);
            t->grid_id = store_col_opt_int(st, 4);
            t->what = strdup(store_col_text(st, 5) ? store_col_text(st, 5) : "");
            t->created_at = store_col_int(st, 6);
            t->unit_id = store_col_int(st, 7);
            snprintf(t->tz, sizeof t->tz, "%s", store_col_text(st, 8) ? store_col_text(st, 8) : "");
            t->event_id = store_col_int(st, 9);
            t->place_id = store_col_int(st, 10);
            n++;
            if (!t->what) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        }
        store_finalize(st);
        for (int i = 0; !rc && i < n; i++) {
            if (!v[i].tz[0]) zone_of(c, v[i].unit_id, v[i].tz, sizeof v[i].tz);
            rc = generate(c, &v[i], now, &ncreated);
        }
        for (int i = 0; i < n; i++) free(v[i].what);
        if (rc || n < TICK_BATCH) break;
        after = v[n - 1].id;
    }
    free(v);
    if (!rc) rc = mark_missed(c, now, &nmissed);
    if (created) *created = ncreated;
    if (missed) *missed = nmissed;
    return rc;
}

/* ------------------------------------------------------------- reading */

/* The fields of one occurrence from an INSP_ROW statement. */
typedef struct irow {
    int64_t id, task_id, unit_id, event_id, start, end, post_id, grid_id;
    char state[12];
    char path[AUTH_PATH_MAX];
} irow;

static json_t *row_json(store_stmt *st, irow *r)
{
    irow tmp;
    if (!r) r = &tmp;
    memset(r, 0, sizeof *r);
    r->id = store_col_int(st, 0);
    r->task_id = store_col_int(st, 1);
    r->unit_id = store_col_int(st, 2);
    r->event_id = store_col_int(st, 3);
    r->start = store_col_int(st, 4);
    r->end = store_col_int(st, 5);
    snprintf(r->state, sizeof r->state, "%s", store_col_text(st, 6));
    r->post_id = store_col_opt_int(st, 7);
    r->grid_id = store_col_opt_int(st, 8);
    snprintf(r->path, sizeof r->path, "%s", store_col_text(st, 18));
    const char *freq = store_col_text(st, 19);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "task_id", json_integer(r->task_id));
    json_object_set_new(o, "unit_id", json_integer(r->unit_id));
    json_object_set_new(o, "unit_name", json_string(store_col_text(st, 17)));
    json_object_set_new(o, "risk_event_id", json_integer(r->event_id));
    json_object_set_new(o, "frequency", json_string(freq ? freq : ""));
    json_object_set_new(o, "every_hours", freq && !strcmp(freq, "hours")
                                              ? json_integer(store_col_opt_int(st, 20)) : json_null());
    json_object_set_new(o, "window_start", time_or_null(r->start));
    json_object_set_new(o, "window_end", time_or_null(r->end));
    json_object_set_new(o, "state", json_string(r->state));
    json_object_set_new(o, "post_id", id_or_null(r->post_id));
    json_object_set_new(o, "grid_unit_id", id_or_null(r->grid_id));
    json_object_set_new(o, "items", json_of_text(store_col_text(st, 9)));
    json_object_set_new(o, "results", json_of_text(store_col_text(st, 10)));
    json_t *h = json_of_text(store_col_text(st, 11));
    json_object_set_new(o, "hazard_ids", json_is_array(h) ? h : json_array());
    if (!json_is_array(h)) json_decref(h);
    json_object_set_new(o, "done_by_person_id", id_or_null(store_col_opt_int(st, 12)));
    json_object_set_new(o, "done_at", time_or_null(store_col_opt_int(st, 14)));
    json_object_set_new(o, "created_at", time_or_null(store_col_int(st, 15)));
    json_object_set_new(o, "updated_at", time_or_null(store_col_int(st, 16)));
    return o;
}

static ws_err get_row(store_conn *c, int64_t id, irow *r, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_INSP_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    json_t *o = !rc && row ? row_json(st, r) : NULL;
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such inspection");
    if (rc) {
        json_decref(o);
        return rc;
    }
    if (out) *out = o;
    else json_decref(o);
    return WS_OK;
}

ws_err inspection_list(store_conn *c, const inspection_filter *f, json_t **items, int64_t *next)
{
    int limit = f->limit < 1 ? 50 : f->limit > 200 ? 200 : f->limit;
    *items = NULL;
    *next = 0;
    if (f->state && strcmp(f->state, "pending") && strcmp(f->state, "done") &&
        strcmp(f->state, "missed"))
        return ws_fail(WS_EINVAL, "state", "state must be pending, done or missed");
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_INSP_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, f->path ? f->path : "/");
    if (!rc) rc = store_bind_text(st, 2, f->state ? f->state : "");
    if (!rc) rc = store_bind_int(st, 3, f->from);
    if (!rc) rc = store_bind_int(st, 4, f->to);
    if (!rc) rc = store_bind_int(st, 5, f->person_id > 0 ? f->person_id : 0);
    if (!rc) rc = store_bind_int(st, 6, f->task_id);
    if (!rc) rc = store_bind_int(st, 7, f->cursor);
    if (!rc) rc = store_bind_int(st, 8, limit + 1);
    json_t *a = json_array();
    bool row = false;
    int64_t last = 0;
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if ((int)json_array_size(a) == limit) {
            *next = last;
            break;
        }
        irow r;
        json_array_append_new(a, row_json(st, &r));
        last = r.id;
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        *next = 0;
        return rc;
    }
    *items = a;
    return WS_OK;
}

ws_err inspection_get_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    irow r;
    json_t *o = NULL;
    ws_err rc = get_row(c, id, &r, &o);
    if (rc) return rc;
    if (s) {
        auth_resource res = {.unit_path = r.path};
        rc = auth_decide(s, "inspection.read", &res);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such inspection");
        if (rc) {
            json_decref(o);
            return rc;
        }
    }
    risk_task t;
    if (!risk_task_get(c, r.task_id, &t)) json_object_set_new(o, "what", json_string(t.what));
    risk_event e;
    if (!risk_event_get(c, r.event_id, &e)) {
        const char *tname = NULL;
        risk_accident_type(e.accident_type, &tname);
        json_object_set_new(o, "risk_event",
                            json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)e.id, "description",
                                      e.description, "accident_type",
                                      e.accident_type[0] ? json_string(e.accident_type)
                                                         : json_null(),
                                      "accident_type_name",
                                      tname ? json_string(tname) : json_null()));
    }
    ws_err_clear();
    *out = o;
    return WS_OK;
}

/* ----------------------------------------------------------- completing */

static bool person_fits(store_conn *c, int64_t person, int64_t post, int64_t grid)
{
    if (person <= 0) return false;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_INSP_PERSON_FITS, &st);
    if (!rc) rc = store_bind_int(st, 1, person);
    if (!rc) rc = store_bind_int(st, 2, post);
    if (!rc) rc = store_bind_int(st, 3, grid);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return !rc && row;
}

static ws_err check_note(const char *s, const char *field)
{
    size_t n = s ? strlen(s) : 0;
    if (n > INSP_NOTE_MAX)
        return ws_fail(WS_EINVAL, field, "%s is longer than %d bytes", field, INSP_NOTE_MAX);
    if (s && !org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not UTF-8", field);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s contains a control character", field);
    }
    return WS_OK;
}

static ws_err check_photos(store_conn *c, const auth_subject *s, const inspection_result *r,
                           const char *field)
{
    if (r->n_photos > INSP_PHOTOS_MAX)
        return ws_fail(WS_EINVAL, field, "at most %d photos", INSP_PHOTOS_MAX);
    for (size_t i = 0; i < r->n_photos; i++) {
        for (size_t j = 0; j < i; j++)
            if (r->photo_ids[j] == r->photo_ids[i])
                return ws_fail(WS_EINVAL, field, "photo %lld is listed twice",
                               (long long)r->photo_ids[i]);
        attach_info a;
        if (r->photo_ids[i] < 1 || attach_get(c, s, r->photo_ids[i], &a))
            return ws_fail(WS_EINVAL, field, "photo %lld does not exist",
                           (long long)r->photo_ids[i]);
        if (strncmp(a.media_type, "image/", 6))
            return ws_fail(WS_EINVAL, field, "attachment %lld is not an image",
                           (long long)r->photo_ids[i]);
    }
    return WS_OK;
}

/* Open the hidden danger of failed item i; its refusals name the item. */
static ws_err open_hazard(store_conn *c, const wf_actor *by, const irow *r, const risk_event *e,
                          const char *item, size_t i, const inspection_result *res,
                          int64_t *hid)
{
    char title[HAZARD_TITLE_MAX + 1] = "排查不合格：";
    str_append_utf8(title, sizeof title, item, HAZARD_TITLE_MAX);
    char desc[HAZARD_TEXT_MAX + 1] = "";
    if (res->note && *res->note) {
        str_append_utf8(desc, sizeof desc, res->note, INSP_NOTE_MAX);
        str_append_utf8(desc, sizeof desc, "\n", 1);
    }
    str_append_utf8(desc, sizeof desc, "排查项目：", 64);
    str_append_utf8(desc, sizeof desc, item, 1000);
    if (e && e->description[0]) {
        str_append_utf8(desc, sizeof desc, "\n风险事件：", 64);
        str_append_utf8(desc, sizeof desc, e->description, 800);
    }
    hazard_in in = {.unit_id = r->unit_id, .title = title, .description = desc,
                    .accident_type = e && e->accident_type[0] ? e->accident_type
                                                              : INSP_DEFAULT_ACCIDENT,
                    .risk_event_id = r->event_id, .photo_ids = res->photo_ids,
                    .n_photos = res->n_photos, .source = "inspection",
                    .event_vouched = true};
    ws_err rc = hazard_report(c, by, &in, hid);
    if (rc) {
        char msg[256], field[96];
        snprintf(msg, sizeof msg, "%s", ws_err_message());
        if (ws_err_field()[0]) snprintf(field, sizeof field, "items[%zu].%s", i, ws_err_field());
        else snprintf(field, sizeof field, "items[%zu]", i);
        rc = ws_fail(rc, field, "%s", msg);
    }
    return rc;
}

ws_err inspection_complete(store_conn *c, const wf_actor *by, int64_t id,
                           const inspection_result *res, size_t n, int *hazards_opened)
{
    const auth_subject *s = by ? by->subject : NULL;
    const audit_actor *who = by && by->actor ? by->actor : &SYSTEM;
    irow r;
    json_t *o = NULL;
    ws_err rc = get_row(c, id, &r, &o);
    if (rc) return rc;
    json_t *items = json_incref(json_object_get(o, "items"));
    json_decref(o);
    if (s) {
        auth_resource ares = {.unit_path = r.path, .state = r.state};
        rc = auth_decide(s, "inspection.do", &ares);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such inspection");
    }
    int64_t now = clock_now_ms();
    if (!rc && strcmp(r.state, "pending"))
        rc = ws_fail(WS_ECONFLICT, "state", "this inspection is %s: a finished record does not "
                     "change", r.state);
    if (!rc && now < r.start)
        rc = ws_fail(WS_ECONFLICT, "state", "this inspection's period has not begun");
    if (!rc && now >= r.end)
        rc = ws_fail(WS_ECONFLICT, "state", "this inspection's period has ended (missed)");
    if (!rc && s &&
        !(s->roles & (ROLE_ADMIN | ROLE_MANAGER | ROLE_SAFETY_OFFICER)) &&
        !person_fits(c, s->person_id, r.post_id, r.grid_id))
        rc = ws_fail(WS_EFORBIDDEN, "id", "only a holder of the task's post or a member of its "
                     "grid may record this inspection");
    size_t nitems = json_array_size(items);
    if (!rc && (n != nitems || !res))
        rc = ws_fail(WS_EINVAL, "items", "items must hold one result per check item (%zu)",
                     nitems);
    for (size_t i = 0; !rc && i < n; i++) {
        char f[48];
        snprintf(f, sizeof f, "items[%zu].note", i);
        rc = check_note(res[i].note, f);
        snprintf(f, sizeof f, "items[%zu].photo_ids", i);
        if (!rc) rc = check_photos(c, s, &res[i], f);
    }
    risk_event e;
    bool have_event = false;
    if (!rc) {
        have_event = !risk_event_get(c, r.event_id, &e);
        ws_err_clear();
    }
    bool own = false;
    if (!rc) {
        rc = store_tx_join(c, &own);
        if (rc) own = false;
    }
    json_t *results = json_array(), *hids = json_array();
    int opened = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *item = json_string_value(json_array_get(items, i));
        int64_t hid = 0;
        if (!res[i].ok) {
            rc = open_hazard(c, by, &r, have_event ? &e : NULL, item ? item : "", i, &res[i],
                             &hid);
            if (rc) break;
            json_array_append_new(hids, json_integer(hid));
            opened++;
        }
        json_t *photos = json_array();
        for (size_t k = 0; k < res[i].n_photos; k++)
            json_array_append_new(photos, json_integer(res[i].photo_ids[k]));
        json_array_append_new(results, json_pack("{s:s,s:b,s:o,s:o,s:o}", "item",
                                                 item ? item : "", "ok", res[i].ok, "note",
                                                 res[i].note && *res[i].note
                                                     ? json_string(res[i].note)
                                                     : json_null(),
                                                 "photo_ids", photos, "hazard_id",
                                                 id_or_null(hid)));
    }
    char *rtext = rc ? NULL : json_dumps(results, JSON_COMPACT);
    char *htext = rc ? NULL : json_dumps(hids, JSON_COMPACT);
    if (!rc && (!rtext || !htext)) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) {
        store_stmt *st = NULL;
        bool row = false;
        int64_t changed = 0;
        rc = store_prepare(c, Q_INSP_COMPLETE, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_text(st, 2, rtext);
        if (!rc) rc = store_bind_text(st, 3, htext);
        if (!rc) rc = store_bind_opt_int(st, 4, s ? s->person_id : 0);
        if (!rc) rc = store_bind_text(st, 5, who->name);
        if (!rc) rc = store_bind_int(st, 6, now);
        if (!rc) rc = store_step(st, &row);
        if (!rc) changed = store_changes(st);
        store_finalize(st);
        if (!rc && changed != 1)
            rc = ws_fail(WS_ECONFLICT, "state", "this inspection was recorded meanwhile");
    }
    if (!rc) rc = audit_record(c, who, &INSPECTION_ENTITY, id, "complete", NULL);
    rc = store_tx_finish(c, own, rc);
    free(rtext);
    free(htext);
    json_decref(results);
    json_decref(hids);
    json_decref(items);
    if (!rc && hazards_opened) *hazards_opened = opened;
    return rc;
}
