/* voice.c — anonymous reports: the record, the receipt code, the reporter's
 * and the staff's side, escalation and settings. Contract and invariants in
 * voice.h; SQL in src/store/q_voice.c; docs/internals/voice.md. */
#include "voice/voice.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "bank/bank.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/sha256.h"
#include "hazard/hazard.h"
#include "notify/outbox.h"
#include "org/org.h"
#include "store/q_voice.h"
#include "voice/voice_int.h"

static const audit_col report_cols[] = {
    {"id", AC_INT},          {"code_hash", AC_TEXT},      {"unit_id", AC_INT},
    {"category", AC_TEXT},   {"body", AC_TEXT},           {"photo_ids", AC_TEXT},
    {"state", AC_TEXT},      {"validity", AC_TEXT},       {"due_at", AC_INT},
    {"escalations", AC_INT}, {"next_escalation_at", AC_INT}, {"first_reply_at", AC_INT},
    {"rating", AC_INT},      {"hazard_id", AC_INT},       {"revealed_person_id", AC_INT},
    {"created_at", AC_INT},  {"updated_at", AC_INT},
};
static const audit_col message_cols[] = {
    {"id", AC_INT}, {"report_id", AC_INT}, {"author", AC_TEXT}, {"account_id", AC_INT},
    {"body", AC_TEXT}, {"created_at", AC_INT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity VOICE_ENTITY_REPORT = {"voice_report", "voice_reports", report_cols, NCOLS(report_cols)};
const audit_entity VOICE_ENTITY_MESSAGE = {"voice_message", "voice_messages", message_cols, NCOLS(message_cols)};

/* Every leaf of the public side names this actor and nothing else. */
static const audit_actor ANON = {"anonymous"};
static const audit_actor SYS = {"system:voice"};
#define HOUR_MS 3600000LL

ws_err voice_init(void)
{
    static bool done;
    if (done) return WS_OK;
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium did not start");
    ws_err rc = audit_register(&VOICE_ENTITY_REPORT);
    if (!rc) rc = audit_register(&VOICE_ENTITY_MESSAGE);
    if (!rc) rc = bank_init();
    if (!rc) done = true;
    return rc;
}

static const char *const categories[][2] = {
    {"hazard", "隐患/不安全状态"},   {"violation", "违章指挥/违章作业"}, {"equipment", "设备设施"},
    {"environment", "环境/职业健康"}, {"management", "管理问题"},          {"other", "其他"},
};
#define NCAT (sizeof categories / sizeof categories[0])

json_t *voice_categories(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < NCAT; i++)
        json_array_append_new(a, json_pack("{s:s,s:s}", "key", categories[i][0], "name", categories[i][1]));
    return a;
}

static const char *category_name(const char *key)
{
    for (size_t i = 0; i < NCAT; i++)
        if (!strcmp(categories[i][0], key)) return categories[i][1];
    return NULL;
}

/* ---------------------------------------------------------- settings */

ws_err voice_param_int(store_conn *c, const char *name, int64_t *out)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_VOICE_PARAM, &st);
    if (!rc) rc = store_bind_text(st, 1, name);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *out = strtoll(store_col_text(st, 0), NULL, 10);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ESTORE, name, "voice_params has no %s", name);
    return rc;
}

static const char *const param_names[] = {"reply_hours", "escalate_every_hours", "source_per_hour",
                                          "global_per_hour"};

ws_err voice_params_json(store_conn *c, json_t **out)
{
    json_t *o = json_object();
    ws_err rc = WS_OK;
    for (size_t i = 0; !rc && i < 4; i++) {
        int64_t v = 0;
        rc = voice_param_int(c, param_names[i], &v);
        json_object_set_new(o, param_names[i], json_integer(v));
    }
    if (rc) {
        json_decref(o);
        o = NULL;
    }
    *out = o;
    return rc;
}

ws_err voice_param_set(store_conn *c, const audit_actor *who, const char *name, int64_t value)
{
    size_t k = 0;
    while (k < 4 && strcmp(param_names[k], name)) k++;
    if (k == 4) return ws_fail(WS_EINVAL, name, "no such setting");
    int64_t max = k < 2 ? 720 : 100000;
    if (value < 1 || value > max) return ws_fail(WS_EINVAL, name, "%s must be 1 to %lld", name, (long long)max);
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    store_stmt *st = NULL;
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)value);
    if (!rc) rc = store_prepare(c, Q_VOICE_PARAM_SET, &st);
    if (!rc) rc = store_bind_text(st, 1, name);
    if (!rc) rc = store_bind_text(st, 2, v);
    if (!rc) rc = store_step(st, &(bool){false});
    store_finalize(st);
    audit_field f[] = {{"name", AC_TEXT, 0, name}, {"value", AC_INT, value, NULL}};
    if (!rc) rc = audit_event(c, who, "voice_param", (int64_t)k + 1, "update", f, 2, NULL);
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------ receipt codes */

static const char B32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford */

/* 100 random bits as 20 characters, grouped by 4 with dashes. */
static void code_new(char out[VOICE_CODE_BUF])
{
    uint8_t r[13];
    randombytes_buf(r, sizeof r);
    size_t n = 0;
    for (int i = 0; i < VOICE_CODE_CHARS; i++) {
        int bit = i * 5, v = 0;
        for (int b = 0; b < 5; b++, bit++) v = (v << 1) | ((r[bit / 8] >> (7 - bit % 8)) & 1);
        if (i && i % 4 == 0) out[n++] = '-';
        out[n++] = B32[v];
    }
    out[n] = 0;
    sodium_memzero(r, sizeof r);
}

/* The canonical 20 characters of a typed code (case, dashes, spaces, O/I/L
 * forgiven) into out; false when it cannot be a code. */
static bool code_norm(const char *in, char out[VOICE_CODE_CHARS + 1])
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p; p++) {
        char ch = *p;
        if (ch == '-' || ch == ' ') continue;
        if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
        if (ch == 'O') ch = '0';
        if (ch == 'I' || ch == 'L') ch = '1';
        if (!strchr(B32, ch) || !ch || n >= VOICE_CODE_CHARS) return false;
        out[n++] = ch;
    }
    out[n] = 0;
    return n == VOICE_CODE_CHARS;
}

/* Hex SHA-256 of the canonical code. */
static void code_hash(const char *canon, char hex[65])
{
    uint8_t h[WS_SHA256_LEN];
    ws_sha256(h, (const unsigned char *)canon, strlen(canon));
    sodium_bin2hex(hex, 65, h, sizeof h);
}

/* ------------------------------------------------------------ records */

typedef struct report {
    int64_t id, unit_id, due_at, escalations, next_escalation_at, first_reply_at, rating, hazard_id,
        revealed_person_id, created_at, updated_at, leader_person_id;
    char category[24], state[12], validity[12];
    char *body, *photo_ids;
    char unit_path[AUTH_PATH_MAX], unit_name[ORG_NAME_MAX + 1];
} report;

static void report_free(report *r)
{
    free(r->body);
    free(r->photo_ids);
    r->body = r->photo_ids = NULL;
}

static void read_row(store_stmt *st, report *r)
{
    memset(r, 0, sizeof *r);
    r->id = store_col_int(st, 0);
    r->unit_id = store_col_int(st, 1);
    snprintf(r->category, sizeof r->category, "%s", store_col_text(st, 2));
    r->body = strdup(store_col_text(st, 3));
    r->photo_ids = strdup(store_col_text(st, 4));
    snprintf(r->state, sizeof r->state, "%s", store_col_text(st, 5));
    snprintf(r->validity, sizeof r->validity, "%s", store_col_text(st, 6));
    r->due_at = store_col_int(st, 7);
    r->escalations = store_col_int(st, 8);
    r->next_escalation_at = store_col_opt_int(st, 9);
    r->first_reply_at = store_col_opt_int(st, 10);
    r->rating = store_col_opt_int(st, 11);
    r->hazard_id = store_col_opt_int(st, 12);
    r->revealed_person_id = store_col_opt_int(st, 13);
    r->created_at = store_col_int(st, 14);
    r->updated_at = store_col_int(st, 15);
    snprintf(r->unit_path, sizeof r->unit_path, "%s", store_col_text(st, 16));
    snprintf(r->unit_name, sizeof r->unit_name, "%s", store_col_text(st, 17));
    r->leader_person_id = store_col_opt_int(st, 18);
}

static ws_err load(store_conn *c, const char *q, int64_t id, const char *hash, report *r)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, q, &st);
    if (!rc) rc = hash ? store_bind_text(st, 1, hash) : store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) read_row(st, r);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, hash ? "code" : "id", hash ? "no report has this receipt code"
                                                                           : "no such report");
    if (!rc && (!r->body || !r->photo_ids)) {
        report_free(r);
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    return rc;
}

static ws_err load_by_code(store_conn *c, const char *code, report *r)
{
    char canon[VOICE_CODE_CHARS + 1], hex[65];
    if (!code_norm(code, canon)) return ws_fail(WS_ENOTFOUND, "code", "no report has this receipt code");
    code_hash(canon, hex);
    sodium_memzero(canon, sizeof canon);
    return load(c, Q_VOICE_BY_CODE, 0, hex, r);
}

static void report_code(int64_t id, char *out, size_t cap) { snprintf(out, cap, "NM-%06lld", (long long)id); }

static ws_err add_message(store_conn *c, const audit_actor *who, int64_t report_id, const char *author,
                          int64_t account_id, const char *body, int64_t now)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    ws_err rc = store_prepare(c, Q_VOICE_MSG_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, report_id);
    if (!rc) rc = store_bind_text(st, 2, author);
    if (!rc) rc = store_bind_opt_int(st, 3, account_id);
    if (!rc) rc = store_bind_text(st, 4, body);
    if (!rc) rc = store_bind_int(st, 5, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &VOICE_ENTITY_MESSAGE, id, "create", NULL);
    return rc;
}

/* Run one UPDATE of the report (binds: $1 id, then the ints in v, then now)
 * and its leaf. */
static ws_err update(store_conn *c, const audit_actor *who, const char *q, int64_t id, const char *text,
                     const int64_t *v, int nv, int64_t now, const char *action)
{
    store_stmt *st = NULL;
    int k = 1;
    ws_err rc = store_prepare(c, q, &st);
    if (!rc) rc = store_bind_int(st, k++, id);
    if (!rc && text) rc = store_bind_text(st, k++, text);
    for (int i = 0; !rc && i < nv; i++) rc = store_bind_opt_int(st, k++, v[i]);
    if (!rc) rc = store_bind_int(st, k, now);
    if (!rc) rc = store_step(st, &(bool){false});
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &VOICE_ENTITY_REPORT, id, action, NULL);
    return rc;
}

static ws_err text_ok(const char *s, const char *field)
{
    size_t n = s ? strlen(s) : 0;
    const char *p = s;
    while (p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
    if (!n || !*p) return ws_fail(WS_EINVAL, field, "%s must not be empty", field);
    if (n > VOICE_TEXT_MAX) return ws_fail(WS_EINVAL, field, "%s: at most %d bytes", field, VOICE_TEXT_MAX);
    return WS_OK;
}

/* ---------------------------------------------------------- public side */

ws_err voice_public_units(store_conn *c, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    ws_err rc = store_prepare(c, Q_VOICE_PUBLIC_UNITS, &st);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)store_col_int(st, 0),
                                           "name", store_col_text(st, 1), "kind", store_col_text(st, 2),
                                           "enterprise_id", (json_int_t)store_col_int(st, 3), "enterprise",
                                           store_col_text(st, 4)));
    store_finalize(st);
    if (rc) {
        json_decref(a);
        a = NULL;
    }
    *out = a;
    return rc;
}

/* Images only: a PDF would be stored as sent, metadata and all. */
static bool is_image(const voice_photo *p)
{
    const unsigned char *b = p->data;
    if (p->len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return true;
    if (p->len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return true;
    if (p->len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) return true;
    return false;
}

ws_err voice_submit(store_conn *c, const voice_in *in, char code[VOICE_CODE_BUF], int64_t *id)
{
    code[0] = 0;
    ws_err rc = WS_OK;
    if (!in->category || !category_name(in->category))
        return ws_fail(WS_EINVAL, "category", "choose a category: hazard, violation, equipment, environment, "
                       "management or other");
    if ((rc = text_ok(in->text, "text"))) return rc;
    if (in->n_photos > VOICE_PHOTOS_MAX)
        return ws_fail(WS_EINVAL, "photos", "at most %d photos", VOICE_PHOTOS_MAX);
    for (size_t i = 0; i < in->n_photos; i++)
        if (!is_image(&in->photos[i])) {
            char f[40];
            snprintf(f, sizeof f, "photos[%zu]", i);
            return ws_fail(WS_EMEDIA, f, "a photo must be a JPEG, PNG or WebP image");
        }
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_VOICE_PUBLIC_UNIT, &st);
    if (!rc) rc = store_bind_int(st, 1, in->unit_id);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (rc) return rc;
    if (!row) return ws_fail(WS_EINVAL, "unit_id", "choose a place from the list");
    int64_t hours = 72, now = clock_now_ms();
    if ((rc = voice_param_int(c, "reply_hours", &hours))) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    json_t *ids = json_array();
    for (size_t i = 0; !rc && i < in->n_photos; i++) {
        attach_info a;
        /* no subject, no file name: the row names no uploader */
        rc = attach_put(c, &ANON, NULL, in->unit_id, NULL, in->photos[i].data, in->photos[i].len, &a);
        if (rc) {
            char f[40];
            snprintf(f, sizeof f, "photos[%zu]", i);
            rc = ws_fail(rc, f, "%s", ws_err_message());
        } else {
            json_array_append_new(ids, json_integer(a.id));
        }
    }
    char canon[VOICE_CODE_CHARS + 1], hex[65], *pj = json_dump_compact(ids);
    json_decref(ids);
    if (!rc && !pj) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    code_new(code);
    code_norm(code, canon);
    code_hash(canon, hex);
    sodium_memzero(canon, sizeof canon);
    int64_t nid = 0;
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_VOICE_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, hex);
    if (!rc) rc = store_bind_int(st, 2, in->unit_id);
    if (!rc) rc = store_bind_text(st, 3, in->category);
    if (!rc) rc = store_bind_text(st, 4, in->text);
    if (!rc) rc = store_bind_text(st, 5, pj);
    if (!rc) rc = store_bind_int(st, 6, now + hours * HOUR_MS);
    if (!rc) rc = store_bind_int(st, 7, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) nid = store_col_int(st, 0);
    store_finalize(st);
    free(pj);
    if (!rc) rc = audit_record(c, &ANON, &VOICE_ENTITY_REPORT, nid, "create", NULL);
    rc = store_tx_finish(c, own, rc);
    if (rc) {
        sodium_memzero(code, VOICE_CODE_BUF);
        return rc;
    }
    if (id) *id = nid;
    return WS_OK;
}

ws_err voice_report_of(store_conn *c, const char *code, int64_t *id)
{
    report r;
    ws_err rc = load_by_code(c, code, &r);
    if (rc) return rc;
    *id = r.id;
    report_free(&r);
    return WS_OK;
}

/* Messages of a report: staff names shown only when with_names. */
static ws_err messages_json(store_conn *c, int64_t id, bool with_names, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    ws_err rc = store_prepare(c, Q_VOICE_MSGS, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_t *m = json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)store_col_int(st, 0), "author",
                              store_col_text(st, 1), "body", store_col_text(st, 3), "at",
                              json_time(store_col_int(st, 4)));
        int64_t acc = store_col_opt_int(st, 2);
        if (with_names && acc > 0) json_object_set_new(m, "account_id", json_integer(acc));
        json_array_append_new(a, m);
    }
    store_finalize(st);
    if (!rc && with_names) {
        size_t i;
        json_t *m;
        json_array_foreach(a, i, m) {
            int64_t acc = json_integer_value(json_object_get(m, "account_id"));
            auth_account ac;
            org_person p;
            if (acc < 1 || auth_account_get(c, acc, &ac)) continue;
            if (ac.person_id > 0 && !org_person_get(c, ac.person_id, &p))
                json_object_set_new(m, "by", json_string(p.name));
            else
                json_object_set_new(m, "by", json_string(ac.username));
        }
    }
    if (rc) {
        json_decref(a);
        a = NULL;
    }
    *out = a;
    return rc;
}

/* The fields both sides see. */
static json_t *report_json(store_conn *c, const report *r, int64_t now)
{
    char code[24];
    report_code(r->id, code, sizeof code);
    json_t *o = json_object();
    json_object_set_new(o, "number", json_string(code));
    json_object_set_new(o, "unit_id", json_integer(r->unit_id));
    json_object_set_new(o, "unit_name", json_str(r->unit_name));
    json_object_set_new(o, "category", json_str(r->category));
    json_object_set_new(o, "category_name", json_str(category_name(r->category)));
    json_object_set_new(o, "text", json_str(r->body));
    json_object_set_new(o, "state", json_str(r->state));
    json_object_set_new(o, "validity", json_str(r->validity));
    json_object_set_new(o, "created_at", json_time(r->created_at));
    json_object_set_new(o, "due_at", json_time(r->due_at));
    json_object_set_new(o, "overdue", json_boolean(!strcmp(r->state, "open") && r->due_at <= now));
    json_object_set_new(o, "escalations", json_integer(r->escalations));
    json_object_set_new(o, "first_reply_at", json_time(r->first_reply_at));
    json_object_set_new(o, "rating", r->rating > 0 ? json_integer(r->rating) : json_null());
    json_error_t e;
    json_t *ph = json_loads(r->photo_ids, 0, &e);
    json_object_set_new(o, "photo_count", json_integer((json_int_t)json_array_size(ph)));
    json_decref(ph);
    if (r->hazard_id > 0) {
        char hc[24] = "";
        hazard_code(r->hazard_id, r->created_at, hc, sizeof hc);
        json_object_set_new(o, "hazard_code", json_string(hc));
    } else {
        json_object_set_new(o, "hazard_code", json_null());
    }
    (void)c;
    return o;
}

ws_err voice_follow(store_conn *c, const char *code, json_t **out)
{
    *out = NULL;
    report r;
    ws_err rc = load_by_code(c, code, &r);
    if (rc) return rc;
    json_t *o = report_json(c, &r, clock_now_ms()), *msgs = NULL;
    rc = messages_json(c, r.id, false, &msgs);
    if (!rc) json_object_set_new(o, "messages", msgs);
    int64_t bal = 0, earned = 0;
    bank_holder_ref h = {0, r.id};
    if (!rc) rc = bank_balance(c, h, &bal, &earned);
    json_object_set_new(o, "points", json_pack("{s:I,s:I}", "balance", (json_int_t)bal, "earned", (json_int_t)earned));
    json_object_set_new(o, "revealed", json_boolean(r.revealed_person_id > 0));
    report_free(&r);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

ws_err voice_message(store_conn *c, const char *code, const char *text)
{
    ws_err rc = text_ok(text, "text");
    if (rc) return rc;
    report r;
    if ((rc = load_by_code(c, code, &r))) return rc;
    int64_t hours = 72, now = clock_now_ms();
    if (!strcmp(r.state, "closed")) rc = ws_fail(WS_ECONFLICT, "state", "this report is closed");
    if (!rc) rc = voice_param_int(c, "reply_hours", &hours);
    bool own = false;
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) {
        report_free(&r);
        return rc;
    }
    rc = add_message(c, &ANON, r.id, "reporter", 0, text, now);
    if (!rc && strcmp(r.state, "open")) {
        /* answered: due again */
        int64_t v[2] = {now + hours * HOUR_MS, 0};
        rc = update(c, &ANON, Q_VOICE_SET_STATE, r.id, "open", v, 2, now, "reopen");
    }
    report_free(&r);
    return store_tx_finish(c, own, rc);
}

ws_err voice_rate(store_conn *c, const char *code, int64_t rating)
{
    if (rating < 1 || rating > 5) return ws_fail(WS_EINVAL, "rating", "rate from 1 to 5");
    report r;
    ws_err rc = load_by_code(c, code, &r);
    if (rc) return rc;
    if (r.first_reply_at <= 0) rc = ws_fail(WS_ECONFLICT, "rating", "rate the answer once there is one");
    else if (r.rating > 0) rc = ws_fail(WS_ECONFLICT, "rating", "this answer is rated already");
    int64_t id = r.id;
    report_free(&r);
    if (rc) return rc;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    rc = update(c, &ANON, Q_VOICE_SET_RATING, id, NULL, &rating, 1, clock_now_ms(), "rate");
    return store_tx_finish(c, own, rc);
}

ws_err voice_reveal(store_conn *c, const audit_actor *who, const auth_subject *s, const char *code,
                    int64_t *moved)
{
    if (moved) *moved = 0;
    if (!s || s->person_id < 1)
        return ws_fail(WS_EFORBIDDEN, "person", "this account is not linked to a person");
    report r;
    ws_err rc = load_by_code(c, code, &r);
    if (rc) return rc;
    int64_t id = r.id, already = r.revealed_person_id;
    report_free(&r);
    if (already > 0) return ws_fail(WS_ECONFLICT, "code", "this report's reporter is revealed already");
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    int64_t now = clock_now_ms();
    rc = update(c, who, Q_VOICE_SET_REVEALED, id, NULL, &s->person_id, 1, now, "reveal");
    if (!rc) rc = bank_reveal(c, who, id, s->person_id, moved);
    return store_tx_finish(c, own, rc);
}

/* ----------------------------------------------------------- staff side */

static ws_err scoped(store_conn *c, const auth_subject *s, const char *action, int64_t id, report *r)
{
    ws_err rc = load(c, Q_VOICE_GET, id, NULL, r);
    if (rc) return rc;
    if (s) {
        auth_resource res = {.unit_path = r->unit_path};
        rc = auth_decide(s, action, &res);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "id", "no such report");
        if (rc) report_free(r);
    }
    return rc;
}

ws_err voice_list(store_conn *c, const char *path, const char *state, int64_t cursor, int limit,
                  json_t **items, int64_t *next)
{
    *items = NULL;
    *next = 0;
    const char *s = state ? state : "";
    if (*s && strcmp(s, "open") && strcmp(s, "answered") && strcmp(s, "closed") && strcmp(s, "overdue"))
        return ws_fail(WS_EINVAL, "state", "state is open, answered, closed or overdue");
    store_stmt *st = NULL;
    bool row = false;
    int64_t now = clock_now_ms(), last = 0;
    json_t *a = json_array();
    int n = 0;
    ws_err rc = store_prepare(c, Q_VOICE_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_text(st, 2, s);
    if (!rc) rc = store_bind_int(st, 3, cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    if (!rc) rc = store_bind_int(st, 5, now);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (n++ == limit) {
            *next = last;
            break;
        }
        report r;
        read_row(st, &r);
        json_t *o = report_json(c, &r, now);
        json_object_set_new(o, "id", json_integer(r.id));
        json_array_append_new(a, o);
        last = r.id;
        report_free(&r);
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *items = a;
    return WS_OK;
}

ws_err voice_stats(store_conn *c, const char *path, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = NULL;
    ws_err rc = store_prepare(c, Q_VOICE_STATS, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row)
        *out = json_pack("{s:I,s:I,s:I,s:I}", "open", (json_int_t)store_col_int(st, 0), "overdue",
                         (json_int_t)store_col_int(st, 1), "answered", (json_int_t)store_col_int(st, 2), "closed",
                         (json_int_t)store_col_int(st, 3));
    store_finalize(st);
    return rc;
}

ws_err voice_get(store_conn *c, const auth_subject *s, int64_t id, json_t **out)
{
    *out = NULL;
    report r;
    ws_err rc = scoped(c, s, "voice.read", id, &r);
    if (rc) return rc;
    json_t *o = report_json(c, &r, clock_now_ms()), *msgs = NULL;
    json_object_set_new(o, "id", json_integer(r.id));
    json_error_t e;
    json_t *ph = json_loads(r.photo_ids, 0, &e);
    json_object_set_new(o, "photo_ids", ph ? ph : json_array());
    json_object_set_new(o, "hazard_id", json_id(r.hazard_id));
    json_object_set_new(o, "revealed", json_boolean(r.revealed_person_id > 0));
    rc = messages_json(c, r.id, true, &msgs);
    if (!rc) json_object_set_new(o, "messages", msgs);
    report_free(&r);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

ws_err voice_reply(store_conn *c, const voice_caller *by, int64_t id, const char *text, bool close)
{
    ws_err rc = text_ok(text, "text");
    if (rc) return rc;
    report r;
    if ((rc = scoped(c, by->subject, "voice.answer", id, &r))) return rc;
    bool closed = !strcmp(r.state, "closed");
    report_free(&r);
    if (closed) return ws_fail(WS_ECONFLICT, "state", "this report is closed");
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    int64_t now = clock_now_ms();
    int64_t acc = by->subject ? by->subject->account_id : 0;
    rc = add_message(c, by->actor, id, "staff", acc, text, now);
    int64_t v[2] = {0, now}; /* no next escalation; first reply now (kept if earlier) */
    if (!rc) rc = update(c, by->actor, Q_VOICE_SET_STATE, id, close ? "closed" : "answered", v, 2, now,
                         close ? "close" : "reply");
    return store_tx_finish(c, own, rc);
}

ws_err voice_judge(store_conn *c, const voice_caller *by, int64_t id, bool valid)
{
    report r;
    ws_err rc = scoped(c, by->subject, "voice.answer", id, &r);
    if (rc) return rc;
    bool was_valid = !strcmp(r.validity, "valid");
    report_free(&r);
    if (was_valid && !valid) return ws_fail(WS_ECONFLICT, "valid", "a report found valid stays valid");
    if (was_valid) return WS_OK;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    int64_t now = clock_now_ms();
    rc = update(c, by->actor, Q_VOICE_SET_VALIDITY, id, valid ? "valid" : "invalid", NULL, 0, now, "judge");
    if (!rc && valid) {
        bank_holder_ref to = {0, id};
        int64_t pts = 0;
        rc = bank_earn(c, by->actor, "voice_valid", to, "voice_report", id, &pts);
        if (!rc && pts > 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "您的举报经核实属实，获得 %lld 积分（可用回执码兑换无需署名的奖励）。",
                     (long long)pts);
            rc = add_message(c, by->actor, id, "system", 0, msg, now);
        }
    }
    return store_tx_finish(c, own, rc);
}

ws_err voice_to_hazard(store_conn *c, const voice_caller *by, int64_t id, const char *title,
                       const char *accident_type, int64_t *hazard_id)
{
    report r;
    ws_err rc = scoped(c, by->subject, "voice.answer", id, &r);
    if (rc) return rc;
    if (r.hazard_id > 0) {
        report_free(&r);
        return ws_fail(WS_ECONFLICT, "hazard_id", "this report is a hidden danger already");
    }
    char code[24], t[HAZARD_TITLE_MAX + 1], *desc = NULL;
    report_code(r.id, code, sizeof code);
    if (title && *title) {
        snprintf(t, sizeof t, "%s", title);
    } else {
        /* the first line, cut at a character boundary */
        size_t n = 0, max = 60;
        const char *b = r.body;
        while (b[n] && b[n] != '\n' && n < max) n++;
        while (n && b[n] && ((unsigned char)b[n] & 0xC0) == 0x80) n--;
        snprintf(t, sizeof t, "匿名举报：%.*s", (int)n, b);
    }
    if (asprintf(&desc, "来源：匿名举报 %s\n\n%s", code, r.body) < 0) desc = NULL;
    json_error_t e;
    json_t *ph = json_loads(r.photo_ids, 0, &e);
    int64_t photos[VOICE_PHOTOS_MAX];
    size_t np = 0, i;
    json_t *v;
    json_array_foreach(ph, i, v) if (np < VOICE_PHOTOS_MAX) photos[np++] = json_integer_value(v);
    json_decref(ph);
    hazard_in in = {.unit_id = r.unit_id, .title = t, .description = desc,
                    .accident_type = accident_type ? accident_type : "20", .photo_ids = photos,
                    .n_photos = np, .source = "anonymous"};
    bool own = false;
    int64_t hid = 0, now = clock_now_ms();
    rc = desc ? store_tx_join(c, &own) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) {
        wf_actor wa = {by->actor, by->subject};
        rc = hazard_report(c, &wa, &in, &hid);
        if (!rc) rc = update(c, by->actor, Q_VOICE_SET_HAZARD, id, NULL, &hid, 1, now, "to_hazard");
        char hc[24], msg[160];
        hazard_code(hid, now, hc, sizeof hc);
        snprintf(msg, sizeof msg, "已转为隐患 %s 进入整改流程。", hc);
        if (!rc) rc = add_message(c, by->actor, id, "system", 0, msg, now);
        rc = store_tx_finish(c, own, rc);
    }
    free(desc);
    report_free(&r);
    if (!rc && hazard_id) *hazard_id = hid;
    return rc;
}

/* ---------------------------------------------------------------- timer */

/* The leader to tell at escalation level k (1 = the unit's own or nearest
 * ancestor's leader, 2 = the next leader up, …), 0 when none. */
static int64_t leader_at(store_conn *c, const char *path, int64_t k, char *unit_name, size_t cap)
{
    int64_t ids[32];
    int n = 0;
    for (const char *p = path; *p && n < 32;) {
        while (*p == '/') p++;
        if (!*p) break;
        ids[n++] = strtoll(p, NULL, 10);
        while (*p && *p != '/') p++;
    }
    int64_t found = 0;
    int64_t seen = 0;
    for (int i = n - 1; i >= 0; i--) {
        org_unit u;
        if (org_unit_get(c, ids[i], &u) || u.leader_person_id <= 0) continue;
        found = u.leader_person_id;
        snprintf(unit_name, cap, "%s", u.name);
        if (++seen >= k) break;
    }
    return found;
}

static void tell(store_conn *c, const report *r, int64_t level, int64_t now)
{
    char uname[ORG_NAME_MAX + 1] = "", code[24], title[120], body[600], phone[ORG_PHONE_MAX + 1] = "";
    int64_t leader = leader_at(c, r->unit_path, level, uname, sizeof uname);
    org_person p;
    const char *mention[1];
    int nm = 0;
    if (leader > 0 && !org_person_get(c, leader, &p) && p.phone[0]) {
        snprintf(phone, sizeof phone, "%s", p.phone);
        mention[nm++] = phone;
    }
    report_code(r->id, code, sizeof code);
    snprintf(title, sizeof title, "匿名举报 %s 超时未答复", code);
    snprintf(body, sizeof body,
             "匿名举报 %s（%s，%s）已超过答复时限，第 %lld 次升级%s%s。请安全管理人员在“匿名举报”中尽快答复。",
             code, r->unit_name, category_name(r->category) ? category_name(r->category) : r->category,
             (long long)level, uname[0] ? "至" : "", uname[0] ? uname : "");
    notify_to_all(c, NOTIFY_ALARM, title, body, mention, nm, now, "anonymous-report escalation");
}

ws_err voice_tick(store_conn *c, int64_t now, int *escalated)
{
    if (escalated) *escalated = 0;
    int64_t every = 24;
    ws_err rc = voice_param_int(c, "escalate_every_hours", &every);
    int64_t ids[200];
    int n = 0;
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_VOICE_DUE, &st);
    if (!rc) rc = store_bind_int(st, 1, now);
    if (!rc) rc = store_bind_int(st, 2, 200);
    while (!rc && !(rc = store_step(st, &row)) && row && n < 200) ids[n++] = store_col_int(st, 0);
    store_finalize(st);
    for (int i = 0; !rc && i < n; i++) {
        report r;
        if ((rc = load(c, Q_VOICE_GET, ids[i], NULL, &r))) break;
        if (strcmp(r.state, "open") || r.next_escalation_at > now || r.next_escalation_at <= 0) {
            report_free(&r);
            continue;
        }
        if ((rc = store_begin(c))) {
            report_free(&r);
            break;
        }
        int64_t next = r.next_escalation_at + every * HOUR_MS;
        if (next <= now) next = now + every * HOUR_MS;
        rc = update(c, &SYS, Q_VOICE_ESCALATE, r.id, NULL, &next, 1, now, "escalate");
        char msg[200];
        snprintf(msg, sizeof msg, "答复已超过时限，已第 %lld 次升级至上级负责人督办。", (long long)r.escalations + 1);
        if (!rc) rc = add_message(c, &SYS, r.id, "system", 0, msg, now);
        if (!rc) tell(c, &r, r.escalations + 1, now);
        if (!rc) rc = store_commit(c);
        else store_rollback(c);
        if (!rc && escalated) (*escalated)++;
        report_free(&r);
    }
    return rc;
}
