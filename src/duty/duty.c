/* duty.c — duty lists and their tasks (duty.h draws the task's states). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "duty/duty.h"
#include "plant/plant.h"
#include "store/q_duty.h"

static const audit_col duty_cols[] = {
    {"id", AC_INT},       {"enterprise_id", AC_INT}, {"post_id", AC_INT},   {"mh_role", AC_TEXT},
    {"title", AC_TEXT},   {"description", AC_TEXT},  {"frequency", AC_TEXT}, {"statutory", AC_INT},
    {"source", AC_TEXT},  {"active", AC_INT},        {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col task_cols[] = {
    {"id", AC_INT},        {"duty_id", AC_INT},   {"person_id", AC_INT},  {"risk_object_id", AC_INT},
    {"unit_id", AC_INT},   {"period", AC_TEXT},   {"due_at", AC_INT},     {"state", AC_TEXT},
    {"done_at", AC_INT},   {"note", AC_TEXT},     {"created_at", AC_INT}, {"updated_at", AC_INT},
};
const audit_entity DUTY_ENTITY = {"duty", "duties", duty_cols, (int)(sizeof duty_cols / sizeof duty_cols[0])};
const audit_entity DUTY_ENTITY_TASK = {"duty_task", "duty_tasks", task_cols,
                                       (int)(sizeof task_cols / sizeof task_cols[0])};

#define TICK_MAX 2000 /* tasks one pass makes or marks, per kind */

ws_err duty_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&DUTY_ENTITY);
    if (!rc) rc = audit_register(&DUTY_ENTITY_TASK);
    if (!rc) done = true;
    return rc;
}

static const audit_actor *who_of(const org_caller *by)
{
    static const audit_actor sys = {"system:duty"};
    return by && by->actor ? by->actor : &sys;
}

static const char *const freqs[] = {"daily", "weekly", "monthly", "quarterly", "yearly", NULL};

/* ------------------------------------------------------------------ periods */

static void civil(int64_t z, int *y, int *m, int *d) /* days since 1970-01-01 -> date */
{
    int64_t yy;
    clock_civil_from_days(z, &yy, m, d);
    *y = (int)yy;
}

int duty_period(const char *frequency, int64_t day, char key[16], int64_t *end_day)
{
    int y, m, d;
    civil(day, &y, &m, &d);
    if (y < 1970 || y > 9999) return -1; /* keeps every key within 16 bytes */
    y = y % 10000;
    m = m % 100;
    d = d % 100;
    if (!strcmp(frequency, "daily")) {
        snprintf(key, 16, "%04d-%02d-%02d", y, m, d);
        *end_day = day + 1;
    } else if (!strcmp(frequency, "weekly")) {
        int wd = (int)((day + 3) % 7); /* 0 = Monday (1970-01-01 was a Thursday) */
        if (wd < 0) wd += 7;
        int64_t monday = day - wd, thursday = monday + 3;
        int ty, tm, td;
        civil(thursday, &ty, &tm, &td); /* the ISO year is the Thursday's */
        int week = ((int)((thursday - clock_days_from_civil(ty, 1, 1)) / 7) + 1) % 100;
        ty %= 10000;
        snprintf(key, 16, "%04d-W%02d", ty, week);
        *end_day = monday + 7;
    } else if (!strcmp(frequency, "monthly")) {
        snprintf(key, 16, "%04d-%02d", y, m);
        *end_day = m == 12 ? clock_days_from_civil(y + 1, 1, 1) : clock_days_from_civil(y, m + 1, 1);
    } else if (!strcmp(frequency, "quarterly")) {
        int q = (m - 1) / 3 + 1;
        snprintf(key, 16, "%04d-Q%d", y, q);
        *end_day = q == 4 ? clock_days_from_civil(y + 1, 1, 1) : clock_days_from_civil(y, q * 3 + 1, 1);
    } else if (!strcmp(frequency, "yearly")) {
        snprintf(key, 16, "%04d", y);
        *end_day = clock_days_from_civil(y + 1, 1, 1);
    } else {
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------------- duties */

static json_t *duty_json(store_stmt *st)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:s, s:o, s:s, s:b, s:o, s:b, s:o}", "id", (json_int_t)store_col_int(st, 0),
                     "enterprise_id", json_id(store_col_opt_int(st, 1)), "post_id", json_id(store_col_opt_int(st, 2)),
                     "mh_role", json_str(store_col_text(st, 3)), "title", store_col_text(st, 4), "description",
                     json_str(store_col_text(st, 5)), "frequency", store_col_text(st, 6), "statutory",
                     store_col_int(st, 7) != 0, "source", json_str(store_col_text(st, 8)), "active",
                     store_col_int(st, 9) != 0, "post", json_str(store_col_text(st, 12)));
}

static ws_err text_field(const json_t *body, const char *name, size_t max, bool required, const char **out)
{
    const json_t *v = json_object_get(body, name);
    *out = NULL;
    if (!v || json_is_null(v)) return required ? ws_fail(WS_EINVAL, name, "%s is required", name) : WS_OK;
    const char *s = json_string_value(v);
    if (!s) return ws_fail(WS_EINVAL, name, "%s is text", name);
    size_t n = strlen(s);
    if (n > max) return ws_fail(WS_EINVAL, name, "%s is longer than %zu bytes", name, max);
    if (!org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, name, "%s is not valid UTF-8", name);
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')
            return ws_fail(WS_EINVAL, name, "%s must not contain control characters", name);
        if (ch > ' ') blank = false;
    }
    if (required && blank) return ws_fail(WS_EINVAL, name, "%s must not be empty", name);
    *out = s;
    return WS_OK;
}

static ws_err freq_field(const json_t *body, bool required, const char **out)
{
    const char *f = json_string_value(json_object_get(body, "frequency"));
    *out = f;
    if (!f && !required && !json_object_get(body, "frequency")) return WS_OK;
    for (int i = 0; f && freqs[i]; i++)
        if (!strcmp(freqs[i], f)) return WS_OK;
    return ws_fail(WS_EINVAL, "frequency", "frequency is daily, weekly, monthly, quarterly or yearly");
}


ws_err duty_create(store_conn *c, const org_caller *by, const json_t *body, int64_t *id)
{
    if (!json_is_object(body)) return ws_fail(WS_EINVAL, "body", "the body must be a JSON object");
    static const char *const keys[] = {"title", "description", "frequency", "enterprise_id", "post_id", NULL};
    const char *title, *desc, *freq;
    ws_err rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = text_field(body, "title", 200, true, &title);
    if (!rc) rc = text_field(body, "description", 2000, false, &desc);
    if (!rc) rc = freq_field(body, true, &freq);
    if (rc) return rc;
    int64_t ent = json_integer_value(json_object_get(body, "enterprise_id"));
    int64_t post_id = json_integer_value(json_object_get(body, "post_id"));
    org_unit u;
    rc = ent > 0 ? org_unit_get(c, ent, &u) : ws_fail(WS_EINVAL, "enterprise_id", "enterprise_id is required");
    if (rc == WS_ENOTFOUND || (!rc && u.enterprise_id != u.id))
        return ws_fail(WS_EINVAL, "enterprise_id", "no such enterprise (enterprise_id)");
    if (rc) return rc;
    if ((rc = org_allow(by, "duty.write", u.path)) == WS_ENOTFOUND)
        return ws_fail(WS_ENOTFOUND, "enterprise_id", "no such enterprise (enterprise_id)");
    if (rc) return rc;
    org_post p;
    rc = post_id > 0 ? org_post_get(c, post_id, &p) : ws_fail(WS_EINVAL, "post_id", "a duty belongs to a post (post_id)");
    if (rc == WS_ENOTFOUND || (!rc && p.enterprise_id != ent))
        return ws_fail(WS_EINVAL, "post_id", "no such post in this enterprise (post_id)");
    if (rc) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_DUTY_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, ent);
    if (!rc) rc = store_bind_int(st, 2, post_id);
    if (!rc) rc = store_bind_text(st, 3, title);
    if (!rc) rc = store_bind_opt_text(st, 4, desc);
    if (!rc) rc = store_bind_text(st, 5, freq);
    if (!rc) rc = store_bind_int(st, 6, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who_of(by), &DUTY_ENTITY, *id, "create", NULL);
    return store_tx_finish(c, own, rc);
}

ws_err duty_update(store_conn *c, const org_caller *by, int64_t id, const json_t *body)
{
    store_stmt *st = NULL;
    bool row = false;
    if (!json_is_object(body)) return ws_fail(WS_EINVAL, "body", "the body must be a JSON object");
    static const char *const keys[] = {"title", "description", "frequency", "active", NULL};
    ws_err rc = json_known_keys(body, NULL, keys);
    if (!rc) rc = store_prepare(c, Q_DUTY_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    json_t *d = !rc && row ? duty_json(st) : NULL;
    store_finalize(st);
    if (!rc && !d) rc = ws_fail(WS_ENOTFOUND, "id", "no such duty");
    if (rc) return rc;
    /* an enterprise's duty: duty.write there; a statutory one: only the install's admins (unscoped) */
    int64_t ent = json_integer_value(json_object_get(d, "enterprise_id"));
    org_unit u;
    if (ent > 0) {
        rc = org_unit_get(c, ent, &u);
        if (!rc) rc = org_allow(by, "duty.write", u.path);
    } else if (by && by->subject) {
        rc = auth_decide(by->subject, "duty.statutory", NULL);
    }
    const char *title = json_string_value(json_object_get(d, "title"));
    const char *desc = json_string_value(json_object_get(d, "description"));
    const char *freq = json_string_value(json_object_get(d, "frequency"));
    bool active = json_is_true(json_object_get(d, "active")), statutory = json_is_true(json_object_get(d, "statutory"));
    const char *v;
    if (!rc && json_object_get(body, "title") && !(rc = text_field(body, "title", 200, true, &v))) title = v;
    if (!rc && json_object_get(body, "description") && !(rc = text_field(body, "description", 2000, false, &v))) desc = v;
    if (!rc && json_object_get(body, "frequency") && !(rc = freq_field(body, true, &v))) freq = v;
    const json_t *a = json_object_get(body, "active");
    if (!rc && a && !json_is_boolean(a)) rc = ws_fail(WS_EINVAL, "active", "active is true or false");
    if (!rc && a) active = json_is_true(a);
    if (!rc && statutory && !active)
        rc = ws_fail(WS_ECONFLICT, "active", "a statutory duty (包保责任) cannot be switched off");
    bool own = false;
    if (!rc) rc = store_tx_join(c, &own);
    if (!rc) {
        st = NULL;
        rc = store_prepare(c, Q_DUTY_UPDATE, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_text(st, 2, title);
        if (!rc) rc = store_bind_opt_text(st, 3, desc);
        if (!rc) rc = store_bind_text(st, 4, freq);
        if (!rc) rc = store_bind_int(st, 5, active);
        if (!rc) rc = store_bind_int(st, 6, clock_now_ms());
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (!rc) rc = audit_record(c, who_of(by), &DUTY_ENTITY, id, "update", NULL);
        rc = store_tx_finish(c, own, rc);
    }
    json_decref(d);
    return rc;
}

ws_err duty_list(store_conn *c, int64_t enterprise_id, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    ws_err rc = store_prepare(c, Q_DUTY_LIST, &st);
    if (!rc) rc = store_bind_int(st, 1, enterprise_id);
    while (!rc && !(rc = store_step(st, &row)) && row) json_array_append_new(*items, duty_json(st));
    store_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------------- tick */

typedef struct holder { int64_t person, unit, object; char tz[64]; } holder;

static ws_err make_task(store_conn *c, int64_t duty, const char *freq, const holder *h, int64_t now, int *made)
{
    int64_t day = 0, end_day = 0, due = 0;
    char key[16];
    ws_err rc = plant_local_day(h->tz, now, &day);
    if (rc) return rc;
    if (duty_period(freq, day, key, &end_day)) return WS_OK;
    if ((rc = plant_local_to_utc(h->tz, end_day, 0, &due))) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    rc = store_prepare(c, Q_DUTY_TASK_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, duty);
    if (!rc) rc = store_bind_int(st, 2, h->person);
    if (!rc) rc = store_bind_int(st, 3, h->object);
    if (!rc) rc = store_bind_int(st, 4, h->unit);
    if (!rc) rc = store_bind_text(st, 5, key);
    if (!rc) rc = store_bind_int(st, 6, due);
    if (!rc) rc = store_bind_int(st, 7, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && id) {
        rc = audit_record(c, who_of(NULL), &DUTY_ENTITY_TASK, id, "create", NULL);
        if (!rc) (*made)++;
    }
    return store_tx_finish(c, own, rc);
}

/* The statutory duties of the three responsible persons of every major
 * hazard installation (《危险化学品企业重大危险源安全包保责任制办法(试行)》,
 * 2021; the frequencies as the 办法 sets the minimum checks), written once
 * with their leaves; an admin may reword them or check more often. */
static ws_err ensure_statutory(store_conn *c, int64_t now)
{
    static const struct { const char *role, *title, *desc, *freq; } d[] = {
        {"principal", "组织对重大危险源开展针对性安全风险隐患排查",
         "主要负责人：组织制定重大危险源安全管理制度和应急预案，督促落实包保责任；至少每季度组织一次针对性排查。",
         "quarterly"},
        {"technical", "对重大危险源开展安全检查，组织解决技术问题",
         "技术负责人：落实重大危险源监测监控、安全联锁和紧急切断系统的技术措施；至少每月检查一次。", "monthly"},
        {"operational", "对重大危险源进行现场安全检查，督促落实操作规程",
         "操作负责人：检查重大危险源现场安全状况、操作规程执行和异常处置；至少每周检查一次。", "weekly"},
    };
    store_stmt *st = NULL;
    bool row = false;
    int64_t n = 0;
    ws_err rc = store_prepare(c, Q_DUTY_STATUTORY_COUNT, &st);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) n = store_col_int(st, 0);
    store_finalize(st);
    if (rc || n) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    for (size_t i = 0; !rc && i < sizeof d / sizeof d[0]; i++) {
        int64_t id = 0;
        st = NULL;
        rc = store_prepare(c, Q_DUTY_STATUTORY_INSERT, &st);
        if (!rc) rc = store_bind_text(st, 1, d[i].role);
        if (!rc) rc = store_bind_text(st, 2, d[i].title);
        if (!rc) rc = store_bind_text(st, 3, d[i].desc);
        if (!rc) rc = store_bind_text(st, 4, d[i].freq);
        if (!rc) rc = store_bind_text(st, 5, "危险化学品企业重大危险源安全包保责任制办法(试行) (2021)");
        if (!rc) rc = store_bind_int(st, 6, now);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) id = store_col_int(st, 0);
        store_finalize(st);
        if (!rc) rc = audit_record(c, who_of(NULL), &DUTY_ENTITY, id, "create", NULL);
    }
    return store_tx_finish(c, own, rc);
}

ws_err duty_tick(store_conn *c, int64_t now, int *made_out, int *missed_out)
{
    int made = 0, missed = 0;
    ws_err erc = ensure_statutory(c, now);
    if (erc) return erc;
    struct { int64_t id, post; char role[16], freq[12]; } duties[256];
    int nd = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DUTY_ACTIVE, &st);
    while (!rc && nd < 256 && !(rc = store_step(st, &row)) && row) {
        duties[nd].id = store_col_int(st, 0);
        duties[nd].post = store_col_opt_int(st, 2);
        snprintf(duties[nd].role, sizeof duties[0].role, "%s", store_col_text(st, 3) ? store_col_text(st, 3) : "");
        snprintf(duties[nd].freq, sizeof duties[0].freq, "%s", store_col_text(st, 4));
        nd++;
    }
    store_finalize(st);
    holder *hs = calloc(TICK_MAX, sizeof *hs);
    if (!hs) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (int i = 0; !rc && i < nd && made < TICK_MAX; i++) {
        int nh = 0;
        st = NULL;
        bool mh = duties[i].role[0] != 0;
        rc = store_prepare(c, mh ? Q_DUTY_MH_HOLDERS : Q_DUTY_POST_HOLDERS, &st);
        if (!rc) rc = mh ? store_bind_text(st, 1, duties[i].role) : store_bind_int(st, 1, duties[i].post);
        while (!rc && nh < TICK_MAX && !(rc = store_step(st, &row)) && row) {
            holder *h = &hs[nh];
            if (mh) {
                h->object = store_col_int(st, 0);
                h->unit = store_col_int(st, 1);
                h->person = store_col_opt_int(st, 2);
                snprintf(h->tz, sizeof h->tz, "%s", store_col_text(st, 3));
                if (h->person <= 0) continue; /* an installation without its named person */
            } else {
                h->person = store_col_int(st, 0);
                h->unit = store_col_int(st, 1);
                h->object = 0;
                snprintf(h->tz, sizeof h->tz, "%s", store_col_text(st, 2));
            }
            nh++;
        }
        store_finalize(st);
        for (int k = 0; !rc && k < nh; k++) rc = make_task(c, duties[i].id, duties[i].freq, &hs[k], now, &made);
    }
    free(hs);
    /* periods that ended with the task open: missed */
    int64_t ids[256];
    int n = 0;
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_DUTY_OVERDUE, &st);
    if (!rc) rc = store_bind_int(st, 1, now);
    if (!rc) rc = store_bind_int(st, 2, 256);
    while (!rc && n < 256 && !(rc = store_step(st, &row)) && row) ids[n++] = store_col_int(st, 0);
    store_finalize(st);
    for (int i = 0; !rc && i < n; i++) {
        bool own = false;
        if ((rc = store_tx_join(c, &own))) break;
        st = NULL;
        rc = store_prepare(c, Q_DUTY_TASK_SET, &st);
        if (!rc) rc = store_bind_int(st, 1, ids[i]);
        if (!rc) rc = store_bind_text(st, 2, "missed");
        if (!rc) rc = store_bind_opt_int(st, 3, 0);
        if (!rc) rc = store_bind_opt_text(st, 4, NULL);
        if (!rc) rc = store_bind_int(st, 5, now);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (!rc) rc = audit_record(c, who_of(NULL), &DUTY_ENTITY_TASK, ids[i], "missed", NULL);
        rc = store_tx_finish(c, own, rc);
        if (!rc) missed++;
    }
    if (made_out) *made_out = made;
    if (missed_out) *missed_out = missed;
    return rc;
}

/* --------------------------------------------------------------------- tasks */

static json_t *task_json(store_stmt *st)
{
    return json_pack("{s:I, s:I, s:I, s:o, s:I, s:s, s:o, s:s, s:o, s:o, s:s, s:s, s:s, s:o}", "id",
                     (json_int_t)store_col_int(st, 0), "duty_id", (json_int_t)store_col_int(st, 1), "person_id",
                     (json_int_t)store_col_int(st, 2), "risk_object_id", json_id(store_col_int(st, 3)), "unit_id",
                     (json_int_t)store_col_int(st, 4), "period", store_col_text(st, 5), "due_at",
                     json_time(store_col_int(st, 6)), "state", store_col_text(st, 7), "done_at",
                     json_time(store_col_opt_int(st, 8)), "note", json_str(store_col_text(st, 9)), "title",
                     store_col_text(st, 12), "frequency", store_col_text(st, 13), "person", store_col_text(st, 14),
                     "installation", json_str(store_col_text(st, 16)));
}

ws_err duty_my(store_conn *c, int64_t person_id, int64_t now, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    ws_err rc = store_prepare(c, Q_DUTY_MY, &st);
    if (!rc) rc = store_bind_int(st, 1, person_id);
    if (!rc) rc = store_bind_int(st, 2, now - 86400000LL);
    while (!rc && !(rc = store_step(st, &row)) && row) json_array_append_new(*items, task_json(st));
    store_finalize(st);
    return rc;
}

ws_err duty_task_done(store_conn *c, const org_caller *by, int64_t task_id, const json_t *body)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DUTY_TASK_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, task_id);
    if (!rc) rc = store_step(st, &row);
    json_t *t = !rc && row ? task_json(st) : NULL;
    char path[AUTH_PATH_MAX] = "";
    if (t) snprintf(path, sizeof path, "%s", store_col_text(st, 15));
    store_finalize(st);
    if (!rc && !t) rc = ws_fail(WS_ENOTFOUND, "id", "no such duty task");
    if (!rc && by && by->subject) {
        auth_resource r = {0};
        r.unit_path = path;
        rc = auth_decide(by->subject, "duty.read", &r);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such duty task");
        if (!rc && by->subject->person_id != json_integer_value(json_object_get(t, "person_id")))
            rc = ws_fail(WS_EFORBIDDEN, "person_id", "a duty is done by the person it belongs to");
    }
    const char *note = NULL;
    if (!rc) rc = text_field(body, "note", 2000, false, &note);
    if (!rc && strcmp(json_string_value(json_object_get(t, "state")), "open"))
        rc = ws_fail(WS_ECONFLICT, "state", "the task is %s already", json_string_value(json_object_get(t, "state")));
    json_decref(t);
    if (rc) return rc;
    int64_t now = clock_now_ms();
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    st = NULL;
    rc = store_prepare(c, Q_DUTY_TASK_SET, &st);
    if (!rc) rc = store_bind_int(st, 1, task_id);
    if (!rc) rc = store_bind_text(st, 2, "done");
    if (!rc) rc = store_bind_int(st, 3, now);
    if (!rc) rc = store_bind_opt_text(st, 4, note && note[0] ? note : NULL);
    if (!rc) rc = store_bind_int(st, 5, now);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who_of(by), &DUTY_ENTITY_TASK, task_id, "done", NULL);
    return store_tx_finish(c, own, rc);
}

ws_err duty_completion(store_conn *c, const char *scope_path, int64_t since_ms, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    ws_err rc = store_prepare(c, Q_DUTY_COMPLETION, &st);
    if (!rc) rc = store_bind_text(st, 1, scope_path ? scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, since_ms);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t total = store_col_int(st, 3), done = store_col_int(st, 4);
        json_array_append_new(*items, json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:f}", "person_id",
                                                (json_int_t)store_col_int(st, 0), "name", store_col_text(st, 1),
                                                "tasks", (json_int_t)total, "done", (json_int_t)done, "missed",
                                                (json_int_t)store_col_int(st, 5), "open", (json_int_t)store_col_int(st, 6),
                                                "rate", total ? (double)done / (double)total : 0.0));
    }
    store_finalize(st);
    return rc;
}

ws_err duty_tasks_of(store_conn *c, const char *scope_path, int64_t person_id, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    *items = json_array();
    ws_err rc = store_prepare(c, Q_DUTY_OF_PERSON, &st);
    if (!rc) rc = store_bind_int(st, 1, person_id);
    if (!rc) rc = store_bind_text(st, 2, scope_path ? scope_path : "/");
    while (!rc && !(rc = store_step(st, &row)) && row) json_array_append_new(*items, task_json(st));
    store_finalize(st);
    return rc;
}

/* The demo: duties of the demo's posts (an operator's daily check, the
 * electrician's monthly earthing test, the safety officer's weekly check of
 * contractors, a workshop head's monthly inspection), and today's tasks. */
ws_err duty_demo_seed(store_conn *c, int64_t enterprise_id, int64_t now)
{
    static const struct { const char *post, *title, *desc, *freq; } d[] = {
        {"operator", "班前检查本岗位可燃/有毒气体检测器显示正常", "交接班时逐台核对显示值与状态灯，异常立即报告班长", "daily"},
        {"electrician", "检查本区域机泵接地电阻", "用接地电阻测试仪逐台测量，记录数值（不大于 4 Ω）", "monthly"},
        {"safety_officer", "核查承包商入场人员资质", "进场前核对特种作业证、安全教育记录与保险", "weekly"},
        {"workshop_head", "组织车间综合安全检查", "按检查表组织一次车间级检查，发现的问题录入隐患", "monthly"},
    };
    static const audit_actor who = {"cli"};
    const org_caller by = {&who, NULL};
    ws_err rc = WS_OK;
    for (size_t i = 0; !rc && i < sizeof d / sizeof d[0]; i++) {
        org_post p;
        rc = org_post_find(c, enterprise_id, d[i].post, &p);
        if (rc == WS_ENOTFOUND) {
            rc = WS_OK;
            continue;
        }
        json_t *b = json_pack("{s:I, s:I, s:s, s:s, s:s}", "enterprise_id", (json_int_t)enterprise_id, "post_id",
                              (json_int_t)p.id, "title", d[i].title, "description", d[i].desc, "frequency", d[i].freq);
        int64_t id = 0;
        if (!rc) rc = duty_create(c, &by, b, &id);
        json_decref(b);
    }
    if (!rc) rc = duty_tick(c, now, NULL, NULL);
    return rc;
}
