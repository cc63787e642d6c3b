/* hazard.c — hidden-danger records on the workflow engine (hazard.h has the
 * flow and the invariants): report, read, act, supervise, the timer.
 *
 * Every write runs in one transaction (the caller's when open): the engine's
 * rows and leaves, then this module's row, terms and leaf. The row is a
 * mirror of the instance for the ledger queries; hazard_sync rewrites it from
 * the instance after every move, so it cannot drift. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "hazard/hazard.h"
#include "bank/bank.h"
#include "hazard/inspection.h"
#include "org/org.h"
#include "attach/attach.h"
#include "risk/risk.h"
#include "store/q_hazard.h"

static const audit_col hazard_cols[] = {
    {"id", AC_INT},           {"unit_id", AC_INT},          {"instance_id", AC_INT},
    {"title", AC_TEXT},       {"description", AC_TEXT},     {"accident_type", AC_TEXT},
    {"hazard_factor", AC_TEXT}, {"risk_event_id", AC_INT},  {"lat", AC_REAL},
    {"lon", AC_REAL},         {"location", AC_TEXT},        {"photo_ids", AC_TEXT},
    {"source", AC_TEXT},      {"found_at", AC_INT},         {"reporter_person_id", AC_INT},
    {"grade", AC_TEXT},       {"state", AC_TEXT},           {"deadline", AC_INT},
    {"assignee_person_id", AC_INT}, {"rectifier_person_id", AC_INT},
    {"acceptor_person_id", AC_INT}, {"overdue", AC_INT},    {"recurrence_of", AC_INT},
    {"sup_level", AC_TEXT},   {"sup_document_no", AC_TEXT}, {"sup_note", AC_TEXT},
    {"sup_regulator_acceptance", AC_INT}, {"sup_at", AC_INT}, {"sup_by", AC_TEXT},
    {"created_at", AC_INT},   {"updated_at", AC_INT},       {"closed_at", AC_INT},
};
static const audit_col factor_cols[] = {
    {"id", AC_INT}, {"code", AC_TEXT}, {"name", AC_TEXT}, {"parent", AC_TEXT},
    {"created_at", AC_INT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity HAZARD_ENTITY = {"hazard", "hazards", hazard_cols, NCOLS(hazard_cols)};
const audit_entity HAZARD_ENTITY_FACTOR = {"hazard_factor", "hazard_factors", factor_cols,
                                           NCOLS(factor_cols)};

static int recurrence_days = 90;
static const audit_actor SYSTEM = {"system"};

ws_err hazard_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&HAZARD_ENTITY);
    if (!rc) rc = audit_register(&HAZARD_ENTITY_FACTOR);
    if (!rc) rc = inspection_init();
    if (!rc) done = true;
    return rc;
}

void hazard_set_recurrence_days(int days)
{
    if (days >= 1 && days <= 3650) recurrence_days = days;
}

/* ---------------------------------------------------------------- helpers */

static const audit_actor *who_of(const wf_actor *by)
{
    return by && by->actor ? by->actor : &SYSTEM;
}

/* Text of at most max bytes of UTF-8 without control characters (line breaks
 * allowed when multiline); required ones may not be blank. */
static ws_err check_text(const char *s, const char *field, size_t max, bool required,
                         bool multiline)
{
    size_t n = s ? strlen(s) : 0;
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    if (s && !org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not UTF-8", field);
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s contains a control character", field);
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') blank = false;
    }
    if (required && blank) return ws_fail(WS_EINVAL, field, "%s is required", field);
    return WS_OK;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

void hazard_code(int64_t id, int64_t created_at, char *out, size_t cap)
{
    time_t t = (time_t)(created_at / 1000 + 8 * 3600); /* the year in China */
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "YH-%04d-%06lld", tm.tm_year + 1900, (long long)id);
}

/* ------------------------------------------------------------ search terms */

static bool is_cjk(unsigned cp)
{
    return (cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0x20000 && cp <= 0x3FFFF);
}

/* Decode one UTF-8 code point at s (valid UTF-8 assumed, else one byte). */
static unsigned next_cp(const unsigned char *s, int *len)
{
    unsigned c = s[0];
    if (c < 0x80) return *len = 1, c;
    if ((c & 0xE0) == 0xC0 && s[1]) return *len = 2, ((c & 0x1F) << 6) | (s[1] & 0x3F);
    if ((c & 0xF0) == 0xE0 && s[1] && s[2])
        return *len = 3, ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    if ((c & 0xF8) == 0xF0 && s[1] && s[2] && s[3])
        return *len = 4, ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) |
                         (s[3] & 0x3F);
    return *len = 1, 0xFFFD;
}

static int add_term(char (*terms)[64], int n, int max, const char *t, size_t len)
{
    if (n >= max || len == 0 || len >= 64) return n;
    for (int i = 0; i < n; i++)
        if (strlen(terms[i]) == len && !memcmp(terms[i], t, len)) return n;
    memcpy(terms[n], t, len);
    terms[n][len] = 0;
    return n + 1;
}

/* CJK runs give their bigrams (a lone character itself); runs of ASCII
 * letters and digits give the lower-cased word (at most 32 bytes). */
int hazard_terms_of(const char *str, char (*terms)[64], int max)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    int n = 0;
    while (*s && n < max) {
        int len;
        unsigned cp = next_cp(s, &len);
        if (is_cjk(cp)) {
            const unsigned char *prev = s;
            int plen = len, run = 1;
            s += len;
            for (;;) {
                int l2;
                unsigned cp2 = *s ? next_cp(s, &l2) : 0;
                if (!cp2 || !is_cjk(cp2)) break;
                n = add_term(terms, n, max, (const char *)prev, (size_t)(plen + l2));
                prev = s;
                plen = l2;
                s += l2;
                run++;
            }
            if (run == 1) n = add_term(terms, n, max, (const char *)prev, (size_t)plen);
        } else if (cp < 0x80 && ((cp | 0x20) - 'a' < 26 || cp - '0' < 10)) {
            char w[33];
            size_t k = 0;
            while (*s < 0x80 && (((unsigned)(*s | 0x20) - 'a') < 26 || (unsigned)(*s - '0') < 10)) {
                if (k < 32) w[k++] = (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s);
                s++;
            }
            n = add_term(terms, n, max, w, k);
        } else {
            s += len;
        }
    }
    return n;
}

#define TERMS_MAX 400

static ws_err write_terms(store_conn *c, int64_t id, const char *const *texts, int ntexts)
{
    static __thread char terms[TERMS_MAX][64];
    int n = 0;
    for (int i = 0; i < ntexts; i++) {
        char part[TERMS_MAX][64];
        int k = hazard_terms_of(texts[i], part, TERMS_MAX - n);
        for (int j = 0; j < k; j++) n = add_term(terms, n, TERMS_MAX, part[j], strlen(part[j]));
    }
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, Q_HAZARD_TERMS_DELETE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_HAZARD_TERM_INSERT, &st);
    for (int i = 0; !rc && i < n; i++) {
        rc = store_reset(st);
        if (!rc) rc = store_bind_text(st, 1, terms[i]);
        if (!rc) rc = store_bind_int(st, 2, id);
        if (!rc) rc = store_step(st, &row);
    }
    store_finalize(st);
    return rc;
}

/* --------------------------------------------------------- reference data */

static const struct { const char *code, *name; } top_factors[] = {
    {"1", "人的因素"}, {"2", "物的因素"}, {"3", "环境因素"}, {"4", "管理因素"},
};

ws_err hazard_factor_name(store_conn *c, const char *code, char *name, size_t cap)
{
    for (size_t i = 0; i < sizeof top_factors / sizeof top_factors[0]; i++)
        if (code && !strcmp(code, top_factors[i].code)) {
            copy(name, cap, top_factors[i].name);
            return WS_OK;
        }
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_HAZARD_FACTOR_GET, &st);
    if (!rc) rc = store_bind_text(st, 1, code ? code : "");
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) copy(name, cap, store_col_text(st, 0));
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "hazard_factor", "no such hazard factor code");
    return rc;
}

ws_err hazard_reference(store_conn *c, json_t **out)
{
    json_t *types = json_array(), *factors = json_array();
    for (int i = 1; i <= 20; i++) {
        char code[4] = {(char)('0' + i / 10), (char)('0' + i % 10), 0, 0};
        const char *name = NULL;
        if (risk_accident_type(code, &name))
            json_array_append_new(types, json_pack("{s:s,s:s}", "code", code, "name", name));
    }
    for (size_t i = 0; i < sizeof top_factors / sizeof top_factors[0]; i++)
        json_array_append_new(factors, json_pack("{s:s,s:s,s:n}", "code", top_factors[i].code,
                                                 "name", top_factors[i].name, "parent"));
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_HAZARD_FACTOR_LIST, &st);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(factors, json_pack("{s:s,s:s,s:s}", "code", store_col_text(st, 0),
                                                 "name", store_col_text(st, 1), "parent",
                                                 store_col_text(st, 2)));
    store_finalize(st);
    if (rc) {
        json_decref(types);
        json_decref(factors);
        return rc;
    }
    *out = json_pack("{s:o,s:o}", "accident_types", types, "hazard_factors", factors);
    return WS_OK;
}

static bool digits(const char *s, size_t lo, size_t hi)
{
    size_t n = s ? strlen(s) : 0;
    if (n < lo || n > hi) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

ws_err hazard_factors_import(store_conn *c, const audit_actor *who, const json_t *items,
                             int *added)
{
    if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 5000)
        return ws_fail(WS_EINVAL, "items", "items must be an array of 1..5000 codes");
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    size_t i;
    json_t *it;
    int n = 0;
    json_array_foreach(items, i, it) {
        if (rc) break;
        char f[48];
        const char *code = json_string_value(json_object_get(it, "code"));
        const char *name = json_string_value(json_object_get(it, "name"));
        const char *parent = json_string_value(json_object_get(it, "parent"));
        if (!json_is_object(it) || json_object_size(it) > 3) {
            snprintf(f, sizeof f, "items[%zu]", i);
            rc = ws_fail(WS_EINVAL, f, "each item is {code, name, parent}");
            break;
        }
        if (!digits(code, 2, 12)) {
            snprintf(f, sizeof f, "items[%zu].code", i);
            rc = ws_fail(WS_EINVAL, f, "code must be 2 to 12 digits (GB/T 13861)");
            break;
        }
        snprintf(f, sizeof f, "items[%zu].name", i);
        if ((rc = check_text(name, f, HAZARD_NAME_MAX, true, false))) break;
        char pname[HAZARD_NAME_MAX + 1];
        snprintf(f, sizeof f, "items[%zu].parent", i);
        if (!digits(parent, 1, 11) || strncmp(code, parent, strlen(parent)) != 0) {
            rc = ws_fail(WS_EINVAL, f, "parent must be a shorter code that begins %s", code);
            break;
        }
        if (hazard_factor_name(c, parent, pname, sizeof pname)) {
            rc = ws_fail(WS_EINVAL, f, "parent %s is not a known code (import parents first)",
                         parent);
            break;
        }
        if (!hazard_factor_name(c, code, pname, sizeof pname)) {
            snprintf(f, sizeof f, "items[%zu].code", i);
            rc = ws_fail(WS_ECONFLICT, f, "code %s exists already", code);
            break;
        }
        store_stmt *st = NULL;
        bool row = false;
        int64_t id = 0;
        rc = store_prepare(c, Q_HAZARD_FACTOR_INSERT, &st);
        if (!rc) rc = store_bind_text(st, 1, code);
        if (!rc) rc = store_bind_text(st, 2, name);
        if (!rc) rc = store_bind_text(st, 3, parent);
        if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) id = store_col_int(st, 0);
        store_finalize(st);
        if (!rc) rc = audit_record(c, who ? who : &SYSTEM, &HAZARD_ENTITY_FACTOR, id, "create",
                                   NULL);
        n++;
    }
    rc = store_tx_finish(c, own, rc);
    if (!rc && added) *added = n;
    return rc;
}

/* -------------------------------------------------------------- the row */

typedef struct hrow {
    hazard_row r;
    char description[HAZARD_TEXT_MAX + 1];
    bool has_gps;
    double lat, lon;
    char photo_ids[512];
    char sup_document_no[65], sup_note[2001], sup_by[64];
    bool sup_regulator_acceptance;
    int64_t sup_at;
    char unit_path[AUTH_PATH_MAX];
} hrow;

static void read_row(store_stmt *st, hazard_row *r, char *path, size_t pcap)
{
    memset(r, 0, sizeof *r);
    r->id = store_col_int(st, 0);
    r->unit_id = store_col_int(st, 1);
    r->instance_id = store_col_int(st, 2);
    copy(r->title, sizeof r->title, store_col_text(st, 3));
    copy(r->accident_type, sizeof r->accident_type, store_col_text(st, 4));
    copy(r->hazard_factor, sizeof r->hazard_factor, store_col_text(st, 5));
    r->risk_event_id = store_col_opt_int(st, 6);
    copy(r->location, sizeof r->location, store_col_text(st, 7));
    copy(r->grade, sizeof r->grade, store_col_text(st, 8));
    copy(r->state, sizeof r->state, store_col_text(st, 9));
    copy(r->source, sizeof r->source, store_col_text(st, 10));
    copy(r->sup_level, sizeof r->sup_level, store_col_text(st, 11));
    r->found_at = store_col_int(st, 12);
    r->deadline = store_col_opt_int(st, 13);
    r->created_at = store_col_int(st, 14);
    r->updated_at = store_col_int(st, 15);
    r->closed_at = store_col_opt_int(st, 16);
    r->reporter_person_id = store_col_opt_int(st, 17);
    r->assignee_person_id = store_col_opt_int(st, 18);
    r->rectifier_person_id = store_col_opt_int(st, 19);
    r->acceptor_person_id = store_col_opt_int(st, 20);
    r->recurrence_of = store_col_opt_int(st, 21);
    r->overdue = store_col_int(st, 22) != 0;
    copy(r->unit_name, sizeof r->unit_name, store_col_text(st, 23));
    if (path) copy(path, pcap, store_col_text(st, 24));
}

static ws_err get_row(store_conn *c, int64_t id, hrow *h)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_HAZARD_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        memset(h, 0, sizeof *h);
        read_row(st, &h->r, h->unit_path, sizeof h->unit_path);
        copy(h->description, sizeof h->description, store_col_text(st, 25));
        h->has_gps = !store_col_null(st, 26);
        h->lat = store_col_double(st, 26);
        h->lon = store_col_double(st, 27);
        copy(h->photo_ids, sizeof h->photo_ids, store_col_text(st, 28));
        copy(h->sup_document_no, sizeof h->sup_document_no, store_col_text(st, 29));
        copy(h->sup_note, sizeof h->sup_note, store_col_text(st, 30));
        h->sup_regulator_acceptance = store_col_opt_int(st, 31) != 0;
        h->sup_at = store_col_opt_int(st, 32);
        copy(h->sup_by, sizeof h->sup_by, store_col_text(st, 33));
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such hazard");
    return rc;
}

/* Read the row for subject s: outside the scope is WS_ENOTFOUND. */
static ws_err get_scoped(store_conn *c, const auth_subject *s, const char *action, int64_t id,
                         hrow *h)
{
    ws_err rc = get_row(c, id, h);
    if (rc || !s) return rc;
    auth_resource res = {.unit_path = h->unit_path, .state = h->r.state,
                         .reporter_person_id = h->r.reporter_person_id,
                         .assignee_person_id = h->r.assignee_person_id};
    rc = auth_decide(s, action, &res);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such hazard");
    return rc;
}

/* Rewrite the mirror columns from the instance (state, grade, deadline,
 * people, closed_at; overdue cleared when closed or when the deadline moved
 * into the future) and append the hazard's leaf. */
static ws_err sync_row(store_conn *c, const audit_actor *who, int64_t id, int64_t instance_id)
{
    wf_instance in;
    ws_err rc = workflow_instance_get(c, instance_id, &in);
    if (rc) return rc;
    bool terminal = false;
    rc = workflow_state_info(c, in.key, in.version, in.state, &terminal, NULL, 0);
    hrow h;
    if (!rc) rc = get_row(c, id, &h);
    if (rc) {
        workflow_instance_free(&in);
        return rc;
    }
    int64_t now = clock_now_ms();
    int64_t deadline = workflow_time_of(json_object_get(in.data, "deadline"));
    const char *grade = json_string_value(json_object_get(in.data, "grade"));
    bool overdue = !terminal && h.r.overdue && deadline > 0 && deadline <= now;
    store_stmt *st = NULL;
    bool row;
    rc = store_prepare(c, Q_HAZARD_SYNC, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, in.state);
    if (!rc) rc = store_bind_opt_text(st, 3, grade);
    if (!rc) rc = store_bind_opt_int(st, 4, deadline);
    if (!rc) rc = store_bind_opt_int(st, 5, json_integer_value(json_object_get(in.data, "assignee_person_id")));
    if (!rc) rc = store_bind_opt_int(st, 6, json_integer_value(json_object_get(in.data, "rectifier_person_id")));
    if (!rc) rc = store_bind_opt_int(st, 7, json_integer_value(json_object_get(in.data, "acceptor_person_id")));
    if (!rc) rc = store_bind_int(st, 8, overdue);
    if (!rc) rc = store_bind_int(st, 9, now);
    if (!rc) rc = store_bind_opt_int(st, 10, terminal ? (h.r.closed_at ? h.r.closed_at : now) : 0);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    workflow_instance_free(&in);
    if (!rc) rc = audit_record(c, who, &HAZARD_ENTITY, id, "update", NULL);
    return rc;
}

/* The nearest leader at or above unit_id (0 when none). */
static int64_t leader_above(store_conn *c, int64_t unit_id)
{
    for (int depth = 0; unit_id > 0 && depth < 64; depth++) {
        org_unit u;
        if (org_unit_get(c, unit_id, &u)) return 0;
        if (u.leader_person_id > 0) return u.leader_person_id;
        unit_id = u.parent_id;
    }
    return 0;
}

/* Recurrence: the same hazard at the same unit within the period. */
static ws_err check_recurrence(store_conn *c, const audit_actor *who, int64_t id,
                               int64_t instance_id, const hazard_in *in, int64_t now)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t earlier = 0;
    ws_err rc = store_prepare(c, Q_HAZARD_RECURRENCE, &st);
    if (!rc) rc = store_bind_int(st, 1, in->unit_id);
    if (!rc) rc = store_bind_int(st, 2, in->risk_event_id);
    if (!rc) rc = store_bind_text(st, 3, in->accident_type);
    if (!rc) rc = store_bind_text(st, 4, in->hazard_factor ? in->hazard_factor : "");
    if (!rc) rc = store_bind_int(st, 5, now - (int64_t)recurrence_days * 86400000LL);
    if (!rc) rc = store_bind_int(st, 6, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) earlier = store_col_int(st, 0);
    store_finalize(st);
    if (rc || !earlier) return rc;
    st = NULL;
    rc = store_prepare(c, Q_HAZARD_SET_RECURRENCE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_int(st, 2, earlier);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (rc) return rc;
    int64_t leader = leader_above(c, in->unit_id);
    json_t *det = json_pack("{s:I,s:i,s:{s:s,s:I}}", "recurrence_of", (json_int_t)earlier,
                            "period_days", recurrence_days, "escalated_to", "kind",
                            "unit_leader", "person_id", (json_int_t)leader);
    rc = workflow_note(c, who, instance_id, "recurrence", det);
    json_decref(det);
    return rc;
}

/* ------------------------------------------------------------ reporting */

static ws_err validate(store_conn *c, const auth_subject *s, const hazard_in *in, int64_t now)
{
    ws_err rc;
    if ((rc = check_text(in->title, "title", HAZARD_TITLE_MAX, true, false)) ||
        (rc = check_text(in->description, "description", HAZARD_TEXT_MAX, false, true)) ||
        (rc = check_text(in->location, "location", HAZARD_LOCATION_MAX, false, false)))
        return rc;
    if (!in->accident_type || !risk_accident_type(in->accident_type, NULL))
        return ws_fail(WS_EINVAL, "accident_type",
                       "accident_type must be a GB 6441 code from 01 to 20");
    if (in->hazard_factor) {
        char name[HAZARD_NAME_MAX + 1];
        if (hazard_factor_name(c, in->hazard_factor, name, sizeof name))
            return ws_fail(WS_EINVAL, "hazard_factor", "hazard_factor is not a known GB/T 13861 "
                           "code (see /api/v1/hazards/reference)");
    }
    if (in->grade && strcmp(in->grade, "general") && strcmp(in->grade, "major"))
        return ws_fail(WS_EINVAL, "grade", "grade must be general or major");
    if (in->has_gps && (!isfinite(in->lat) || in->lat < -90 || in->lat > 90))
        return ws_fail(WS_EINVAL, "lat", "lat must be between -90 and 90");
    if (in->has_gps && (!isfinite(in->lon) || in->lon < -180 || in->lon > 180))
        return ws_fail(WS_EINVAL, "lon", "lon must be between -180 and 180");
    if (in->found_at > now + 60000)
        return ws_fail(WS_EINVAL, "found_at", "found_at may not be in the future");
    if (in->found_at && in->found_at < now - 366LL * 86400000)
        return ws_fail(WS_EINVAL, "found_at", "found_at is more than a year ago");
    if (in->n_photos > HAZARD_PHOTOS_MAX)
        return ws_fail(WS_EINVAL, "photo_ids", "at most %d photos", HAZARD_PHOTOS_MAX);
    for (size_t i = 0; i < in->n_photos; i++) {
        attach_info a;
        for (size_t j = 0; j < i; j++)
            if (in->photo_ids[j] == in->photo_ids[i])
                return ws_fail(WS_EINVAL, "photo_ids", "photo %lld is listed twice",
                               (long long)in->photo_ids[i]);
        if (attach_get(c, s, in->photo_ids[i], &a))
            return ws_fail(WS_EINVAL, "photo_ids", "photo %lld does not exist",
                           (long long)in->photo_ids[i]);
        if (strncmp(a.media_type, "image/", 6))
            return ws_fail(WS_EINVAL, "photo_ids", "attachment %lld is not an image",
                           (long long)in->photo_ids[i]);
    }
    if (in->risk_event_id > 0) {
        risk_event e;
        if (risk_event_get(c, in->risk_event_id, &e) ||
            (s && !in->event_vouched && !auth_in_scope(s, e.unit_path)))
            return ws_fail(WS_EINVAL, "risk_event_id", "no such risk event");
    }
    if (in->source && strcmp(in->source, "report") && strcmp(in->source, "inspection") &&
        strcmp(in->source, "anonymous")) /* anonymous: turned from an anonymous report (src/voice) */
        return ws_fail(WS_EINVAL, "source", "source must be report or inspection");
    return WS_OK;
}

ws_err hazard_report(store_conn *c, const wf_actor *by, const hazard_in *in, int64_t *id)
{
    const auth_subject *s = by ? by->subject : NULL;
    const audit_actor *who = who_of(by);
    int64_t now = wf_now(by);
    char path[AUTH_PATH_MAX];
    ws_err rc = auth_unit_path(c, in->unit_id, "unit_id", path, sizeof path);
    if (!rc && s) {
        auth_resource res = {.unit_path = path};
        rc = auth_decide(s, "hazard.report", &res);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    }
    if (rc) return rc;
    if ((rc = validate(c, s, in, now))) return rc;
    bool own = false;
    int64_t iid = 0, hid = 0;
    char *photos = NULL;
    json_t *fields = json_object();
    if (in->grade) json_object_set_new(fields, "grade", json_string(in->grade));
    rc = store_tx_join(c, &own);
    if (!rc) rc = workflow_start(c, by, "hazard", in->unit_id, fields, &iid);
    wf_instance wi;
    bool have = false;
    if (!rc) rc = workflow_instance_get(c, iid, &wi);
    if (!rc) have = true;
    if (!rc && in->n_photos) {
        json_t *a = json_array();
        for (size_t i = 0; i < in->n_photos; i++)
            json_array_append_new(a, json_integer(in->photo_ids[i]));
        photos = json_dumps(a, JSON_COMPACT);
        json_decref(a);
    }
    if (!rc) {
        store_stmt *st = NULL;
        bool row = false;
        int64_t reporter = json_integer_value(json_object_get(wi.data, "reporter_person_id"));
        rc = store_prepare(c, Q_HAZARD_INSERT, &st);
        if (!rc) rc = store_bind_int(st, 1, in->unit_id);
        if (!rc) rc = store_bind_int(st, 2, iid);
        if (!rc) rc = store_bind_text(st, 3, in->title);
        if (!rc) rc = store_bind_opt_text(st, 4, in->description);
        if (!rc) rc = store_bind_text(st, 5, in->accident_type);
        if (!rc) rc = store_bind_opt_text(st, 6, in->hazard_factor);
        if (!rc) rc = store_bind_opt_int(st, 7, in->risk_event_id);
        if (!rc) rc = in->has_gps ? store_bind_double(st, 8, in->lat) : store_bind_null(st, 8);
        if (!rc) rc = in->has_gps ? store_bind_double(st, 9, in->lon) : store_bind_null(st, 9);
        if (!rc) rc = store_bind_opt_text(st, 10, in->location);
        if (!rc) rc = store_bind_opt_text(st, 11, photos);
        if (!rc) rc = store_bind_text(st, 12, in->source ? in->source : "report");
        if (!rc) rc = store_bind_int(st, 13, in->found_at ? in->found_at : now);
        if (!rc) rc = store_bind_opt_int(st, 14, reporter);
        if (!rc) rc = store_bind_opt_text(st, 15, in->grade);
        if (!rc) rc = store_bind_text(st, 16, wi.state);
        if (!rc) rc = store_bind_null(st, 17);
        if (!rc) rc = store_bind_null(st, 18);
        if (!rc) rc = store_bind_int(st, 19, now);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) hid = store_col_int(st, 0);
        store_finalize(st);
    }
    if (!rc) {
        char code[24];
        hazard_code(hid, now, code, sizeof code);
        const char *texts[] = {code, in->title, in->location, in->description};
        rc = write_terms(c, hid, texts, 4);
    }
    if (!rc) rc = check_recurrence(c, who, hid, iid, in, now);
    if (!rc) rc = audit_record(c, who, &HAZARD_ENTITY, hid, "create", NULL);
    rc = store_tx_finish(c, own, rc);
    if (have) workflow_instance_free(&wi);
    json_decref(fields);
    free(photos);
    if (!rc && id) *id = hid;
    return rc;
}

/* ------------------------------------------------------------- reading */

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    return ms > 0 ? json_string(clock_format_rfc3339(ms, t, sizeof t)) : json_null();
}

static json_t *id_or_null(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

static json_t *text_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *hazard_row_json(const hazard_row *r)
{
    char code[24];
    const char *tname = NULL;
    hazard_code(r->id, r->created_at, code, sizeof code);
    risk_accident_type(r->accident_type, &tname);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "code", json_string(code));
    json_object_set_new(o, "unit_id", json_integer(r->unit_id));
    json_object_set_new(o, "unit_name", json_string(r->unit_name));
    json_object_set_new(o, "title", json_string(r->title));
    json_object_set_new(o, "accident_type", json_string(r->accident_type));
    json_object_set_new(o, "accident_type_name", text_or_null(tname));
    json_object_set_new(o, "hazard_factor", text_or_null(r->hazard_factor));
    json_object_set_new(o, "risk_event_id", id_or_null(r->risk_event_id));
    json_object_set_new(o, "location", text_or_null(r->location));
    json_object_set_new(o, "grade", text_or_null(r->grade));
    json_object_set_new(o, "state", json_string(r->state));
    json_object_set_new(o, "source", json_string(r->source));
    json_object_set_new(o, "deadline", time_or_null(r->deadline));
    json_object_set_new(o, "overdue", json_boolean(r->overdue));
    json_object_set_new(o, "recurrent", json_boolean(r->recurrence_of > 0));
    json_object_set_new(o, "recurrence_of", id_or_null(r->recurrence_of));
    json_object_set_new(o, "supervised", json_boolean(r->sup_level[0] != 0));
    json_object_set_new(o, "reporter_person_id", id_or_null(r->reporter_person_id));
    json_object_set_new(o, "assignee_person_id", id_or_null(r->assignee_person_id));
    json_object_set_new(o, "rectifier_person_id", id_or_null(r->rectifier_person_id));
    json_object_set_new(o, "acceptor_person_id", id_or_null(r->acceptor_person_id));
    json_object_set_new(o, "found_at", time_or_null(r->found_at));
    json_object_set_new(o, "created_at", time_or_null(r->created_at));
    json_object_set_new(o, "updated_at", time_or_null(r->updated_at));
    json_object_set_new(o, "closed_at", time_or_null(r->closed_at));
    return o;
}

static json_t *person_or_null(store_conn *c, int64_t id)
{
    auth_person_info p;
    if (id <= 0 || auth_person_info_get(c, id, &p)) return json_null();
    return json_string(p.name);
}

ws_err hazard_get_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    hrow h;
    ws_err rc = get_scoped(c, s, "hazard.read", id, &h);
    if (rc) return rc;
    wf_instance in;
    rc = workflow_instance_get(c, h.r.instance_id, &in);
    if (rc) return rc;
    char label[128] = "";
    workflow_state_info(c, in.key, in.version, in.state, NULL, label, sizeof label);
    json_t *o = hazard_row_json(&h.r);
    json_object_set_new(o, "description", text_or_null(h.description));
    json_object_set_new(o, "state_label", json_string(label));
    json_object_set_new(o, "lat", h.has_gps ? json_real(h.lat) : json_null());
    json_object_set_new(o, "lon", h.has_gps ? json_real(h.lon) : json_null());
    json_t *photos = h.photo_ids[0] ? json_loads(h.photo_ids, 0, NULL) : NULL;
    json_object_set_new(o, "photo_ids", photos ? photos : json_array());
    char fname[HAZARD_NAME_MAX + 1] = "";
    if (h.r.hazard_factor[0]) hazard_factor_name(c, h.r.hazard_factor, fname, sizeof fname);
    json_object_set_new(o, "hazard_factor_name", text_or_null(fname));
    json_object_set_new(o, "reporter_name", person_or_null(c, h.r.reporter_person_id));
    json_object_set_new(o, "assignee_name", person_or_null(c, h.r.assignee_person_id));
    json_object_set_new(o, "rectifier_name", person_or_null(c, h.r.rectifier_person_id));
    json_object_set_new(o, "acceptor_name", person_or_null(c, h.r.acceptor_person_id));
    if (h.r.sup_level[0]) {
        json_t *sv = json_object();
        json_object_set_new(sv, "level", json_string(h.r.sup_level));
        json_object_set_new(sv, "document_no", json_string(h.sup_document_no));
        json_object_set_new(sv, "note", text_or_null(h.sup_note));
        json_object_set_new(sv, "regulator_acceptance", json_boolean(h.sup_regulator_acceptance));
        json_object_set_new(sv, "at", time_or_null(h.sup_at));
        json_object_set_new(sv, "by", json_string(h.sup_by));
        json_object_set_new(o, "supervision", sv);
    } else {
        json_object_set_new(o, "supervision", json_null());
    }
    json_object_set_new(o, "workflow", json_pack("{s:I,s:s,s:i}", "instance_id",
                                                 (json_int_t)in.id, "key", in.key, "version",
                                                 in.version));
    json_object_set_new(o, "data", json_incref(in.data));
    workflow_instance_free(&in);
    *out = o;
    return WS_OK;
}

ws_err hazard_actions(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    hrow h;
    ws_err rc = get_scoped(c, s, "hazard.read", id, &h);
    if (!rc) rc = workflow_actions_for(c, h.r.instance_id, s, out);
    /* A supervised hazard whose acceptance the regulator keeps. */
    if (!rc && h.sup_regulator_acceptance && s && !(s->roles & ROLE_REGULATOR)) {
        size_t i;
        json_t *a;
        json_array_foreach(*out, i, a) {
            const char *act = json_string_value(json_object_get(a, "action"));
            if (act && !strcmp(act, "accept")) {
                json_array_remove(*out, i);
                break;
            }
        }
    }
    return rc;
}

/* "account:12" -> the name of the account's person, else its username. */
static json_t *actor_name(store_conn *c, const char *actor)
{
    long long acc = 0;
    char tail;
    auth_account a;
    if (!actor || sscanf(actor, "account:%lld%c", &acc, &tail) != 1 || acc < 1 ||
        auth_account_get(c, acc, &a))
        return json_null();
    json_t *p = person_or_null(c, a.person_id);
    if (json_is_string(p)) return p;
    return json_string(a.username);
}

ws_err hazard_timeline(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    hrow h;
    ws_err rc = get_scoped(c, s, "hazard.read", id, &h);
    if (!rc) rc = workflow_timeline(c, h.r.instance_id, out);
    size_t i;
    json_t *e;
    if (!rc)
        json_array_foreach(*out, i, e)
            json_object_set_new(e, "actor_name",
                                actor_name(c, json_string_value(json_object_get(e, "actor"))));
    return rc;
}

/* ------------------------------------------------------------ changing */

ws_err hazard_act(store_conn *c, const wf_actor *by, int64_t id, const char *action,
                  const json_t *fields)
{
    const auth_subject *s = by ? by->subject : NULL;
    hrow h;
    ws_err rc = get_scoped(c, s, "hazard.read", id, &h);
    if (rc) return rc;
    if (h.sup_regulator_acceptance && action && !strcmp(action, "accept") && s &&
        !(s->roles & ROLE_REGULATOR))
        return ws_fail(WS_EFORBIDDEN, "action", "this major hazard is under supervision "
                       "(挂牌督办) and its acceptance is the regulator's");
    bool own = false;
    rc = store_tx_join(c, &own);
    char now_state[WF_ID_MAX + 1] = "";
    if (!rc) rc = workflow_fire(c, by, h.r.instance_id, action, fields, now_state);
    if (!rc) rc = sync_row(c, who_of(by), id, h.r.instance_id);
    /* issue 6 (points bank): a hidden danger confirmed (assessed, 已评估) earns
     * its reporter the rule's points once; an anonymous report's hazard pays
     * the report's receipt code through src/voice instead. */
    if (!rc && !strcmp(now_state, "assessed") && h.r.reporter_person_id > 0 &&
        strcmp(h.r.source, "anonymous")) {
        bank_holder_ref to = {h.r.reporter_person_id, 0};
        rc = bank_earn(c, who_of(by), "hazard_confirmed", to, "hazard", id, NULL);
    }
    return store_tx_finish(c, own, rc);
}

ws_err hazard_supervise(store_conn *c, const wf_actor *by, int64_t id,
                        const hazard_supervision *in)
{
    const auth_subject *s = by ? by->subject : NULL;
    hrow h;
    ws_err rc = get_scoped(c, s, "hazard.supervise", id, &h);
    if (rc) return rc;
    if (!in->level || (strcmp(in->level, "province") && strcmp(in->level, "city") &&
                       strcmp(in->level, "county")))
        return ws_fail(WS_EINVAL, "level", "level must be province, city or county");
    if ((rc = check_text(in->document_no, "document_no", 64, true, false)) ||
        (rc = check_text(in->note, "note", 2000, false, true)))
        return rc;
    if (strcmp(h.r.grade, "major"))
        return ws_fail(WS_ECONFLICT, "grade", "only a major hazard (重大事故隐患) is listed for "
                       "supervision");
    if (h.r.closed_at)
        return ws_fail(WS_ECONFLICT, "state", "the hazard is closed");
    const audit_actor *who = who_of(by);
    int64_t now = clock_now_ms();
    bool own = false, row;
    store_stmt *st = NULL;
    rc = store_tx_join(c, &own);
    if (!rc) rc = store_prepare(c, Q_HAZARD_SUPERVISE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, in->level);
    if (!rc) rc = store_bind_text(st, 3, in->document_no);
    if (!rc) rc = store_bind_opt_text(st, 4, in->note);
    if (!rc) rc = store_bind_int(st, 5, in->regulator_acceptance);
    if (!rc) rc = store_bind_int(st, 6, now);
    if (!rc) rc = store_bind_text(st, 7, who->name);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &HAZARD_ENTITY, id, "supervise", NULL);
    if (!rc) {
        json_t *det = json_pack("{s:s,s:s,s:b}", "level", in->level, "document_no",
                                in->document_no, "regulator_acceptance",
                                in->regulator_acceptance);
        rc = workflow_note(c, who, h.r.instance_id, "supervision", det);
        json_decref(det);
    }
    return store_tx_finish(c, own, rc);
}

/* -------------------------------------------------------------- lists */

/* A LIKE pattern (escape '!') for lower-cased word w. */
static void like_of(const char *w, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    out[k++] = '%';
    for (size_t i = 0; i < n && k + 3 < cap; i++) {
        char ch = w[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        if (ch == '%' || ch == '_' || ch == '!') out[k++] = '!';
        out[k++] = ch;
    }
    out[k++] = '%';
    out[k] = 0;
}

/* Rows of a list query appended to *v (grown as needed) until *n reaches
 * want or the query ends. */
static ws_err take_rows(store_stmt *st, size_t want, hazard_row **v, size_t *cap, size_t *n)
{
    bool row = false;
    ws_err rc = WS_OK;
    while (*n < want && !(rc = store_step(st, &row)) && row) {
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            hazard_row *nv = realloc(*v, nc * sizeof *nv);
            if (!nv) return ws_fail(WS_ENOMEM, NULL, "out of memory");
            *v = nv;
            *cap = nc;
        }
        read_row(st, &(*v)[(*n)++], NULL, 0);
    }
    return rc;
}

static ws_err bind_common(store_stmt *st, const hazard_filter *f, int64_t cursor, size_t want)
{
    ws_err rc = store_bind_text(st, 1, f->path ? f->path : "/");
    if (!rc) rc = store_bind_text(st, 2, f->grade ? f->grade : "");
    if (!rc) rc = store_bind_int(st, 3, f->supervised);
    if (!rc) rc = store_bind_int(st, 4, cursor);
    if (!rc) rc = store_bind_int(st, 5, (int64_t)want);
    return rc;
}

/* Postings of one term are walked newest first in windows of this many. */
#define TERM_WINDOW 1024

/* The lower bound of the window of term's postings below hi: the id of the
 * TERM_WINDOW-th one, or 0 when fewer remain. */
static ws_err term_window(store_conn *c, const char *term, int64_t hi, int64_t *lo)
{
    store_stmt *st = NULL;
    bool row = false;
    *lo = 0;
    ws_err rc = store_prepare(c, Q_HAZARD_TERM_WINDOW, &st);
    if (!rc) rc = store_bind_text(st, 1, term);
    if (!rc) rc = store_bind_int(st, 2, hi);
    if (!rc) rc = store_bind_int(st, 3, TERM_WINDOW - 1);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *lo = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

/* Text search: window by window of the first term's postings, each a query
 * over a known id range, until the page (and one more row) is full. */
static ws_err search_rows(store_conn *c, const hazard_filter *f, char (*terms)[64], int nterms,
                          char (*pats)[160], int npats, size_t want, hazard_row **v,
                          size_t *cap, size_t *n)
{
    int64_t hi = f->cursor > 0 ? f->cursor : INT64_MAX;
    ws_err rc = WS_OK;
    while (!rc && *n < want) {
        int64_t lo = 0;
        rc = term_window(c, terms[0], hi, &lo);
        store_stmt *st = NULL;
        if (!rc) rc = store_prepare(c, Q_HAZARD_LIST_TERMS, &st);
        if (!rc) rc = bind_common(st, f, 0, want - *n);
        for (int i = 0; !rc && i < 4; i++)
            rc = store_bind_text(st, 6 + i, terms[i < nterms ? i : nterms - 1]);
        for (int i = 0; !rc && i < 4; i++)
            rc = store_bind_text(st, 10 + i, i < npats ? pats[i] : "%");
        if (!rc) rc = store_bind_text(st, 14, f->state ? f->state : "");
        if (!rc) rc = store_bind_int(st, 15, f->overdue);
        if (!rc) rc = store_bind_int(st, 16, hi);
        if (!rc) rc = store_bind_int(st, 17, lo);
        if (!rc) rc = take_rows(st, want, v, cap, n);
        store_finalize(st);
        if (lo <= 0) break; /* the postings are exhausted */
        hi = lo;
    }
    return rc;
}

ws_err hazard_state_check(store_conn *c, const char *state)
{
    ws_err rc = workflow_state_info(c, "hazard", 0, state, NULL, NULL, 0);
    if (rc == WS_ENOTFOUND)
        return ws_fail(WS_EINVAL, "state", "state %s is not a state of the hazard lifecycle", state);
    return rc;
}

ws_err hazard_list(store_conn *c, const hazard_filter *f, hazard_row **items, size_t *n,
                   int64_t *next)
{
    *items = NULL;
    *n = 0;
    *next = 0;
    int limit = f->limit < 1 ? 50 : f->limit > HAZARD_EXPORT_MAX ? HAZARD_EXPORT_MAX : f->limit;
    char terms[4][64], pats[4][160];
    int nterms = 0, npats = 0;
    if (f->q && *f->q) {
        if (strlen(f->q) > 200) return ws_fail(WS_EINVAL, "q", "q is longer than 200 bytes");
        nterms = hazard_terms_of(f->q, terms, 4);
        for (const char *p = f->q; *p && npats < 4;) {
            while (*p == ' ' || *p == '\t') p++;
            size_t k = strcspn(p, " \t");
            if (k) like_of(p, k, pats[npats++], sizeof pats[0]);
            p += k;
        }
        if (!nterms)
            return ws_fail(WS_EINVAL, "q", "q needs two Chinese characters or a word of letters "
                           "or digits");
    }
    /* One row more than the page tells whether there is a next page. */
    size_t want = (size_t)limit + 1, cap = 0;
    hazard_row *v = NULL;
    ws_err rc;
    if (nterms) {
        rc = search_rows(c, f, terms, nterms, pats, npats, want, &v, &cap, n);
    } else {
        const char *sql = f->overdue ? Q_HAZARD_LIST_OVERDUE
                          : f->state ? Q_HAZARD_LIST_STATE : Q_HAZARD_LIST;
        store_stmt *st = NULL;
        rc = store_prepare(c, sql, &st);
        if (!rc) rc = bind_common(st, f, f->cursor, want);
        if (!rc && sql == Q_HAZARD_LIST) {
            rc = store_bind_text(st, 6, "");
            if (!rc) rc = store_bind_int(st, 7, 0);
        } else if (!rc) {
            rc = store_bind_text(st, 6, f->state ? f->state : "");
        }
        if (!rc) rc = take_rows(st, want, &v, &cap, n);
        store_finalize(st);
    }
    if (rc) {
        free(v);
        *n = 0;
        return rc;
    }
    if (*n == want) {
        (*n)--;
        *next = v[*n - 1].id;
    }
    *items = v;
    return WS_OK;
}

ws_err hazard_stats(store_conn *c, const char *path, json_t **out)
{
    json_t *by = json_object();
    int64_t overdue = 0, major = 0, sup = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_HAZARD_STATS, &st);
    if (!rc) rc = store_bind_text(st, 1, path ? path : "/");
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_object_set_new(by, store_col_text(st, 0), json_integer(store_col_int(st, 1)));
        overdue += store_col_int(st, 2);
        major += store_col_int(st, 3);
        sup += store_col_int(st, 4);
    }
    store_finalize(st);
    if (rc) {
        json_decref(by);
        return rc;
    }
    *out = json_pack("{s:o,s:I,s:I,s:I}", "by_state", by, "overdue", (json_int_t)overdue,
                     "major_open", (json_int_t)major, "supervised_open", (json_int_t)sup);
    return WS_OK;
}

/* --------------------------------------------------------------- timer */

#define TICK_BATCH 500

ws_err hazard_tick(store_conn *c, int64_t now, int *escalated, int *marked)
{
    int esc = 0, nmarked = 0;
    ws_err rc = workflow_tick(c, now, &esc);
    if (rc) return rc;
    int64_t ids[TICK_BATCH][2];
    int n = 0;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_HAZARD_OVERDUE_DUE, &st);
    if (!rc) rc = store_bind_int(st, 1, now);
    if (!rc) rc = store_bind_int(st, 2, TICK_BATCH);
    while (!rc && n < TICK_BATCH && !(rc = store_step(st, &row)) && row) {
        ids[n][0] = store_col_int(st, 0);
        ids[n][1] = store_col_int(st, 1);
        n++;
    }
    store_finalize(st);
    for (int i = 0; !rc && i < n; i++) {
        /* Each hazard in its own transaction, re-checked by the UPDATE. */
        rc = store_begin(c);
        if (rc) break;
        st = NULL;
        int64_t changed = 0;
        rc = store_prepare(c, Q_HAZARD_MARK_OVERDUE, &st);
        if (!rc) rc = store_bind_int(st, 1, ids[i][0]);
        if (!rc) rc = store_bind_int(st, 2, now);
        if (!rc) rc = store_step(st, &row);
        if (!rc) changed = store_changes(st);
        store_finalize(st);
        if (!rc && changed == 1) {
            rc = audit_record(c, &SYSTEM, &HAZARD_ENTITY, ids[i][0], "overdue", NULL);
            if (!rc) {
                hrow h;
                rc = get_row(c, ids[i][0], &h);
                char t[40];
                json_t *det = rc ? NULL : json_pack("{s:s}", "deadline",
                                                    clock_format_rfc3339(h.r.deadline, t, sizeof t));
                if (!rc) rc = workflow_note(c, &SYSTEM, ids[i][1], "overdue", det);
                json_decref(det);
            }
            if (!rc) nmarked++;
        }
        rc = store_tx_finish(c, true, rc);
    }
    if (escalated) *escalated = esc;
    if (marked) *marked = nmarked;
    return rc;
}
