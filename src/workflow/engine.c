/* engine.c — the workflow engine over the store: definitions (versions,
 * the compiled defaults, the parse cache), instances (start, fire, the
 * actions a user may take, the timeline) and the effect hook. The timer is
 * timer.c; parsing and the statutory locks are def.c and profile.c.
 *
 * One move of an instance (workflow_fire):
 *
 *   load instance ─► load its pinned version ─► action from this state? (409)
 *     ─► actor may fire it? scope (404), roles / posts / relations (403)
 *     ─► fields: known, typed, required present (400)
 *     ─► guards on data ⊕ fields (400 / 409, naming what is missing)
 *     ─► stamp the actor, compute due_at, UPDATE … WHERE state and
 *        updated_at are unchanged (409 when someone moved it meanwhile)
 *     ─► timeline entry + audit leaves ─► effects of the new state (entries,
 *        hook) ─► commit (own transaction) or leave to the caller's.
 *
 * The cache holds parsed versions keyed by key, version and the SHA-256 of
 * the stored body; versions never change, so entries never go stale, and
 * the latest version number is always read from the store. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/sha256.h"
#include "store/q_workflow.h"
#include "workflow/wf_int.h"

/* ------------------------------------------------------- audited entities */

static const audit_col def_cols[] = {
    {"id", AC_INT},     {"wf_key", AC_TEXT},     {"version", AC_INT},     {"body", AC_TEXT},
    {"digest", AC_TEXT}, {"created_at", AC_INT}, {"created_by", AC_TEXT},
};
static const audit_col inst_cols[] = {
    {"id", AC_INT},          {"wf_key", AC_TEXT},  {"def_version", AC_INT}, {"unit_id", AC_INT},
    {"state", AC_TEXT},      {"data", AC_TEXT},    {"entered_at", AC_INT},  {"due_at", AC_INT},
    {"escalations", AC_INT}, {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col event_cols[] = {
    {"id", AC_INT},         {"instance_id", AC_INT}, {"at", AC_INT},    {"kind", AC_TEXT},
    {"action", AC_TEXT},    {"from_state", AC_TEXT}, {"to_state", AC_TEXT},
    {"actor", AC_TEXT},     {"detail", AC_TEXT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity WF_ENTITY_DEFINITION = {"workflow_definition", "workflow_defs", def_cols,
                                           NCOLS(def_cols)};
const audit_entity WF_ENTITY_INSTANCE = {"workflow_instance", "workflow_instances", inst_cols,
                                         NCOLS(inst_cols)};
const audit_entity WF_ENTITY_EVENT = {"workflow_event", "workflow_events", event_cols,
                                      NCOLS(event_cols)};

ws_err workflow_init(void)
{
    static bool done;
    if (done) return WS_OK;
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to start");
    const audit_entity *all[] = {&WF_ENTITY_DEFINITION, &WF_ENTITY_INSTANCE, &WF_ENTITY_EVENT};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

/* ------------------------------------------------------------ transactions */

ws_err wf_tx_begin(store_conn *c, bool *own) { return store_tx_join(c, own); }

ws_err wf_tx_end(store_conn *c, bool own, ws_err rc) { return store_tx_finish(c, own, rc); }

static const audit_actor SYSTEM = {"system"};

const audit_actor *wf_who(const wf_actor *by)
{
    return by && by->actor ? by->actor : &SYSTEM;
}

/* ------------------------------------------------------------------- cache */

#define CACHE_MAX 32
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static wf_def *cache[CACHE_MAX];

static void digest_hex(const char *body, char out[65])
{
    unsigned char h[WS_SHA256_LEN];
    ws_sha256(h, (const unsigned char *)body, strlen(body));
    for (size_t i = 0; i < sizeof h; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

void wf_def_release(wf_def *d)
{
    if (!d) return;
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_MAX; i++)
        if (cache[i] == d) {
            d->refs--;
            pthread_mutex_unlock(&cache_mu);
            return;
        }
    pthread_mutex_unlock(&cache_mu);
    wf_def_free(d); /* never cached */
}

/* The parsed form of body (key, version, digest); from the cache or parsed
 * now. The caller releases it with wf_def_release. */
static ws_err def_from_body(const char *key, int version, const char *body, const char *digest,
                            wf_def **out)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_MAX; i++) {
        wf_def *d = cache[i];
        if (d && d->version == version && !strcmp(d->key, key) && !strcmp(d->digest, digest)) {
            d->refs++;
            *out = d;
            pthread_mutex_unlock(&cache_mu);
            return WS_OK;
        }
    }
    pthread_mutex_unlock(&cache_mu);
    json_error_t e;
    json_t *doc = json_loads(body, JSON_REJECT_DUPLICATES, &e);
    if (!doc) return ws_fail(WS_ECORRUPT, NULL, "stored workflow %s v%d is not JSON", key, version);
    wf_def *d = NULL;
    ws_err rc = wf_def_parse(key, doc, &d);
    json_decref(doc);
    if (rc) return rc;
    d->version = version;
    snprintf(d->digest, sizeof d->digest, "%s", digest);
    pthread_mutex_lock(&cache_mu);
    int slot = -1;
    for (int i = 0; i < CACHE_MAX && slot < 0; i++)
        if (!cache[i]) slot = i;
    for (int i = 0; i < CACHE_MAX && slot < 0; i++)
        if (cache[i]->refs == 0) {
            wf_def_free(cache[i]);
            cache[i] = NULL;
            slot = i;
        }
    if (slot >= 0) {
        cache[slot] = d;
        d->refs = 1;
    }
    pthread_mutex_unlock(&cache_mu);
    *out = d;
    return WS_OK;
}

/* ------------------------------------------------------------- definitions */

static ws_err latest_stored(store_conn *c, const char *key, int *version)
{
    store_stmt *st = NULL;
    bool row = false;
    *version = 0;
    ws_err rc = store_prepare(c, Q_WF_DEF_LATEST, &st);
    if (!rc) rc = store_bind_text(st, 1, key);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *version = (int)store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

/* Version of key (0 = latest) parsed; *stored false when it is the
 * compiled default not yet written. WS_ENOTFOUND when there is none. */
ws_err wf_def_load(store_conn *c, const char *key, int version, wf_def **out, bool *stored)
{
    *out = NULL;
    if (stored) *stored = true;
    if (!wf_ident_ok(key, WF_KEY_MAX)) return ws_fail(WS_ENOTFOUND, "key", "no such workflow");
    ws_err rc;
    if (version == 0) {
        rc = latest_stored(c, key, &version);
        if (rc) return rc;
    }
    if (version > 0) {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_WF_DEF_GET, &st);
        if (!rc) rc = store_bind_text(st, 1, key);
        if (!rc) rc = store_bind_int(st, 2, version);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) rc = def_from_body(key, version, store_col_text(st, 3), store_col_text(st, 4), out);
        store_finalize(st);
        if (rc || row) return rc;
    }
    /* Nothing stored: the compiled default reads as version 1. */
    const char *builtin = workflow_builtin_default(key);
    int any = 0;
    rc = latest_stored(c, key, &any);
    if (rc) return rc;
    if (!builtin || any || (version != 0 && version != 1))
        return ws_fail(WS_ENOTFOUND, "version", "no such workflow or version");
    char dg[65];
    digest_hex(builtin, dg);
    if (stored) *stored = false;
    return def_from_body(key, 1, builtin, dg, out);
}

/* Insert body as version of key with its leaf. */
static ws_err insert_version(store_conn *c, const audit_actor *who, const char *key, int version,
                             const char *body)
{
    char dg[65];
    digest_hex(body, dg);
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    ws_err rc = store_prepare(c, Q_WF_DEF_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, key);
    if (!rc) rc = store_bind_int(st, 2, version);
    if (!rc) rc = store_bind_text(st, 3, body);
    if (!rc) rc = store_bind_text(st, 4, dg);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (!rc) rc = store_bind_text(st, 6, who->name);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (rc) return rc;
    return audit_record(c, who, &WF_ENTITY_DEFINITION, id, "create", NULL);
}

static ws_err lock_defs(store_conn *c)
{
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, Q_WF_DEF_LOCK, &st);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

/* Write the compiled default of key as version 1 when nothing is stored
 * (inside the caller's transaction). */
ws_err wf_materialise(store_conn *c, const audit_actor *who, const char *key)
{
    const char *builtin = workflow_builtin_default(key);
    if (!builtin) return WS_OK;
    ws_err rc = lock_defs(c);
    int v = 0;
    if (!rc) rc = latest_stored(c, key, &v);
    if (rc || v) return rc;
    return insert_version(c, who, key, 1, builtin);
}

ws_err workflow_def_check(const char *key, const json_t *body)
{
    wf_def *d = NULL;
    ws_err rc = wf_def_parse(key, body, &d);
    wf_def_free(d);
    return rc;
}

ws_err workflow_def_save(store_conn *c, const audit_actor *who, const char *key,
                         const json_t *body, int *version)
{
    ws_err rc = workflow_def_check(key, body);
    if (rc) return rc;
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (strlen(text) > WF_DEF_MAX_BYTES) {
        free(text);
        return ws_fail(WS_ETOOBIG, "body", "a workflow definition is at most %u bytes",
                       WF_DEF_MAX_BYTES);
    }
    bool own;
    int v = 0;
    rc = wf_tx_begin(c, &own);
    if (!rc) rc = lock_defs(c);
    if (!rc) rc = wf_materialise(c, who, key);
    if (!rc) rc = latest_stored(c, key, &v);
    if (!rc) rc = insert_version(c, who, key, v + 1, text);
    rc = wf_tx_end(c, own, rc);
    free(text);
    if (!rc && version) *version = v + 1;
    return rc;
}

static json_t *def_json(const char *key, int version, const char *digest, int64_t created_at,
                        const char *created_by, bool builtin, const json_t *doc)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_str(key));
    json_object_set_new(o, "version", json_integer(version));
    json_object_set_new(o, "digest", json_str(digest));
    json_object_set_new(o, "created_at", json_time(created_at));
    json_object_set_new(o, "created_by", json_str(created_by));
    json_object_set_new(o, "builtin", json_boolean(builtin));
    json_object_set(o, "definition", (json_t *)doc);
    return o;
}

ws_err workflow_def_get(store_conn *c, const char *key, int version, json_t **out)
{
    *out = NULL;
    wf_def *d = NULL;
    bool stored;
    ws_err rc = wf_def_load(c, key, version, &d, &stored);
    if (rc) return rc;
    int64_t at = 0;
    char by[64] = "";
    if (stored) {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_WF_DEF_GET, &st);
        if (!rc) rc = store_bind_text(st, 1, key);
        if (!rc) rc = store_bind_int(st, 2, d->version);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) {
            at = store_col_int(st, 5);
            snprintf(by, sizeof by, "%s", store_col_text(st, 6));
        }
        store_finalize(st);
    }
    if (!rc) *out = def_json(key, d->version, d->digest, at, stored ? by : NULL, !stored, d->doc);
    wf_def_release(d);
    return rc;
}

ws_err workflow_def_list(store_conn *c, json_t **out)
{
    json_t *a = json_array();
    store_stmt *st = NULL;
    bool row = false, has_hazard = false;
    ws_err rc = store_prepare(c, Q_WF_DEF_LATEST_ALL, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        const char *key = store_col_text(st, 1);
        json_t *doc = json_loads(store_col_text(st, 3), 0, NULL);
        json_t *o = json_object();
        json_object_set_new(o, "key", json_str(key));
        json_object_set_new(o, "name", json_str(json_string_value(json_object_get(doc, "name"))));
        json_object_set_new(o, "version", json_integer(store_col_int(st, 2)));
        json_object_set_new(o, "created_at", json_time(store_col_int(st, 5)));
        json_object_set_new(o, "builtin", json_false());
        json_array_append_new(a, o);
        json_decref(doc);
        if (!strcmp(key, "hazard")) has_hazard = true;
    }
    store_finalize(st);
    if (!rc && !has_hazard) {
        json_t *doc = json_loads(workflow_builtin_default("hazard"), 0, NULL);
        json_t *o = json_object();
        json_object_set_new(o, "key", json_str("hazard"));
        json_object_set_new(o, "name", json_str(json_string_value(json_object_get(doc, "name"))));
        json_object_set_new(o, "version", json_integer(1));
        json_object_set_new(o, "created_at", json_null());
        json_object_set_new(o, "builtin", json_true());
        json_array_append_new(a, o);
        json_decref(doc);
    }
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return WS_OK;
}

/* --------------------------------------------------------------- instances */

void workflow_instance_free(wf_instance *in)
{
    if (!in) return;
    json_decref(in->data);
    in->data = NULL;
}

ws_err workflow_instance_get(store_conn *c, int64_t id, wf_instance *in)
{
    memset(in, 0, sizeof *in);
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_WF_INST_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no such workflow instance");
    if (!rc) {
        in->id = store_col_int(st, 0);
        snprintf(in->key, sizeof in->key, "%s", store_col_text(st, 1));
        in->version = (int)store_col_int(st, 2);
        in->unit_id = store_col_int(st, 3);
        snprintf(in->state, sizeof in->state, "%s", store_col_text(st, 4));
        in->data = json_loads(store_col_text(st, 5), 0, NULL);
        in->entered_at = store_col_int(st, 6);
        in->due_at = store_col_null(st, 7) ? 0 : store_col_int(st, 7);
        in->escalations = (int)store_col_int(st, 8);
        in->created_at = store_col_int(st, 9);
        in->updated_at = store_col_int(st, 10);
        snprintf(in->unit_path, sizeof in->unit_path, "%s", store_col_text(st, 11));
        if (!json_is_object(in->data)) {
            json_decref(in->data);
            in->data = NULL;
            rc = ws_fail(WS_ECORRUPT, NULL, "instance %lld has no data object", (long long)id);
        }
    }
    store_finalize(st);
    return rc;
}

ws_err wf_event(store_conn *c, const audit_actor *who, int64_t inst, int64_t at, const char *kind,
                const char *action, const char *from, const char *to, const json_t *detail)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    ws_err rc = store_prepare(c, Q_WF_EVENT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, inst);
    if (!rc) rc = store_bind_int(st, 2, at);
    if (!rc) rc = store_bind_text(st, 3, kind);
    if (!rc) rc = store_bind_text(st, 4, action);
    if (!rc) rc = store_bind_text(st, 5, from);
    if (!rc) rc = store_bind_text(st, 6, to);
    if (!rc) rc = store_bind_text(st, 7, who->name);
    if (!rc) rc = store_bind_text(st, 8, text);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    free(text);
    if (rc) return rc;
    return audit_record(c, who, &WF_ENTITY_EVENT, id, "create", NULL);
}

/* ---------------------------------------------------------------- effects */

static workflow_effect_hook hook;
static void *hook_arg;

void workflow_set_effect_hook(workflow_effect_hook fn, void *arg)
{
    hook = fn;
    hook_arg = arg;
}

static bool when_holds(const json_t *eff, const json_t *data)
{
    const json_t *when = json_object_get(eff, "when");
    if (!when) return true;
    const json_t *v = json_object_get(data, json_string_value(json_object_get(when, "field")));
    return v && json_equal(v, json_object_get(when, "equals"));
}

/* Record and hand over the effects of entering state. */
static ws_err run_effects(store_conn *c, const audit_actor *who, const wf_state *s,
                          const wf_instance *in, int64_t now)
{
    size_t i;
    json_t *eff;
    json_array_foreach(s->on_enter, i, eff) {
        if (!when_holds(eff, in->data)) continue;
        ws_err rc = wf_event(c, who, in->id, now, "effect", NULL, NULL, s->id, eff);
        if (!rc && hook) rc = hook(c, in, eff, hook_arg);
        if (rc) return rc;
    }
    return WS_OK;
}

/* ------------------------------------------------------------- permission */

static ws_err person_has_post(store_conn *c, int64_t person, const wf_allow *a, bool *has)
{
    *has = false;
    if (person <= 0 || !a->nposts) return WS_OK;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_WF_PERSON_POSTS, &st);
    if (!rc) rc = store_bind_int(st, 1, person);
    while (!rc && !*has && !(rc = store_step(st, &row)) && row)
        for (int i = 0; i < a->nposts; i++)
            if (!strcmp(a->posts[i], store_col_text(st, 0))) *has = true;
    store_finalize(st);
    return rc;
}

static int64_t person_of(const json_t *data, const char *field)
{
    json_int_t v = json_integer_value(json_object_get(data, field));
    return v > 0 ? (int64_t)v : 0;
}

/* May the subject use allow on an instance with data at unit_path?
 * WS_ENOTFOUND outside the scope, WS_EFORBIDDEN otherwise. */
ws_err wf_may(store_conn *c, const auth_subject *s, const wf_allow *a, const json_t *data,
              const char *unit_path, const char *what)
{
    if (!s) return WS_OK;
    if (!s->account_id) return ws_fail(WS_EUNAUTH, NULL, "sign in first");
    if (!auth_in_scope(s, unit_path)) return ws_fail(WS_ENOTFOUND, "id", "not found");
    int64_t me = s->person_id;
    if ((a->relations & WF_REL_NOT_RECTIFIER) && me > 0 &&
        person_of(data, "rectifier_person_id") == me)
        return ws_fail(WS_EFORBIDDEN, NULL, "%s may not be done by the person who rectified", what);
    if ((a->relations & WF_REL_NOT_REPORTER) && me > 0 && person_of(data, "reporter_person_id") == me)
        return ws_fail(WS_EFORBIDDEN, NULL, "%s may not be done by the person who reported", what);
    if (a->anyone || (a->roles & s->roles)) return WS_OK;
    if (me > 0) {
        static const struct { unsigned b; const char *f; } pos[] = {
            {WF_REL_ASSIGNEE, "assignee_person_id"}, {WF_REL_REPORTER, "reporter_person_id"},
            {WF_REL_RECTIFIER, "rectifier_person_id"}, {WF_REL_RESPONSIBLE, "responsible_person_id"},
        };
        for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
            if ((a->relations & pos[i].b) && person_of(data, pos[i].f) == me) return WS_OK;
        bool has = false;
        ws_err rc = person_has_post(c, me, a, &has);
        if (rc) return rc;
        if (has) return WS_OK;
    }
    return ws_fail(WS_EFORBIDDEN, NULL, "you may not %s", what);
}

/* ----------------------------------------------------------------- inputs */

/* Check fields (may be NULL) against the lists of a and merge them into
 * data. */
static ws_err take_inputs(store_conn *c, const wf_def *d, const wf_action *a,
                          const json_t *fields, json_t *data)
{
    if (fields && !json_is_object(fields))
        return ws_fail(WS_EINVAL, "fields", "fields must be an object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)fields, k, v) {
        bool listed = false;
        for (int i = 0; i < a->nreq; i++) listed |= !strcmp(a->required[i], k);
        for (int i = 0; i < a->nopt; i++) listed |= !strcmp(a->optional[i], k);
        if (!listed) /* a member with an empty name names the object */
            return ws_fail(WS_EINVAL, k[0] ? k : "fields", "%s is not a field of %s", k[0] ? k : "\"\"",
                           a->id ? a->id : "the start");
        const wf_field *f = wf_def_field(d, k);
        if (!f) return ws_fail(WS_EINVAL, k, "%s is not a field", k);
        ws_err rc = wf_field_check(f, v);
        if (rc) return rc;
        if (f->type == WF_T_PERSON) {
            store_stmt *st = NULL;
            bool row = false, active = false;
            rc = store_prepare(c, Q_WF_PERSON_ACTIVE, &st);
            if (!rc) rc = store_bind_int(st, 1, (int64_t)json_integer_value(v));
            if (!rc) rc = store_step(st, &row);
            if (!rc && row) active = store_col_int(st, 0) != 0;
            store_finalize(st);
            if (rc) return rc;
            if (!active) return ws_fail(WS_EINVAL, k, "%s is not an active person", k);
        }
    }
    for (int i = 0; i < a->nreq; i++) {
        const json_t *fv = json_object_get(fields, a->required[i]);
        const wf_field *f = wf_def_field(d, a->required[i]);
        bool blank = !fv || (f && f->type == WF_T_STRING && json_string_length(fv) == 0) ||
                     (json_is_array(fv) && json_array_size(fv) == 0);
        if (blank)
            return ws_fail(WS_EINVAL, a->required[i], "%s is required", a->required[i]);
    }
    json_object_update(data, (json_t *)fields);
    return WS_OK;
}

/* due_at for entering s at now with data; 0 = none. */
static int64_t due_of(const wf_state *s, const json_t *data, int64_t now)
{
    if (s->terminal) return 0;
    if (s->sla_field) {
        int64_t t = wf_time_of(json_object_get(data, s->sla_field));
        return t > 0 ? t : 0;
    }
    return s->sla_ms ? now + s->sla_ms : 0;
}

/* ------------------------------------------------------------------- start */

ws_err workflow_start(store_conn *c, const wf_actor *by, const char *key, int64_t unit_id,
                      const json_t *fields, int64_t *id)
{
    const audit_actor *who = wf_who(by);
    const auth_subject *s = by ? by->subject : NULL;
    wf_def *d = NULL;
    json_t *data = json_object();
    bool own = false;
    int64_t now = wf_now(by), iid = 0;
    char *text = NULL;
    ws_err rc = wf_tx_begin(c, &own);
    if (!rc) rc = wf_materialise(c, who, key);
    if (!rc) rc = wf_def_load(c, key, 0, &d, NULL);
    if (rc) goto out;
    /* The unit. */
    char path[AUTH_PATH_MAX] = "";
    {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_WF_UNIT, &st);
        if (!rc) rc = store_bind_int(st, 1, unit_id);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) snprintf(path, sizeof path, "%s", store_col_text(st, 3));
        store_finalize(st);
        if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
        if (rc) goto out;
    }
    rc = wf_may(c, s, &d->start.allow, data, path, "start this workflow");
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (!rc) rc = take_inputs(c, d, &d->start, fields, data);
    if (rc) goto out;
    if (s && s->person_id > 0)
        json_object_set_new(data, "reporter_person_id", json_integer(s->person_id));
    const wf_state *init = wf_def_state(d, d->initial);
    text = json_dumps(data, JSON_COMPACT);
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_WF_INST_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, key);
    if (!rc) rc = store_bind_int(st, 2, d->version);
    if (!rc) rc = store_bind_int(st, 3, unit_id);
    if (!rc) rc = store_bind_text(st, 4, init->id);
    if (!rc) rc = store_bind_text(st, 5, text);
    if (!rc) rc = store_bind_int(st, 6, now);
    if (!rc) rc = store_bind_opt_int(st, 7, due_of(init, data, now));
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) iid = store_col_int(st, 0);
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &WF_ENTITY_INSTANCE, iid, "create", NULL);
    if (!rc) {
        json_t *det = json_pack("{s:i,s:O}", "version", d->version, "fields",
                                fields ? (json_t *)fields : json_object());
        if (!fields) json_decref(json_object_get(det, "fields")); /* O took a ref */
        rc = wf_event(c, who, iid, now, "start", NULL, NULL, init->id, det);
        json_decref(det);
    }
    if (!rc) {
        wf_instance in = {.id = iid, .version = d->version, .unit_id = unit_id, .data = data};
        snprintf(in.key, sizeof in.key, "%s", key);
        snprintf(in.state, sizeof in.state, "%s", init->id);
        rc = run_effects(c, who, init, &in, now);
    }
out:
    rc = wf_tx_end(c, own, rc);
    if (!rc && id) *id = iid;
    free(text);
    json_decref(data);
    wf_def_release(d);
    return rc;
}

/* -------------------------------------------------------------------- fire */

ws_err workflow_fire(store_conn *c, const wf_actor *by, int64_t id, const char *action,
                     const json_t *fields, char *new_state)
{
    const audit_actor *who = wf_who(by);
    const auth_subject *s = by ? by->subject : NULL;
    wf_instance in;
    wf_def *d = NULL;
    json_t *data = NULL;
    char *text = NULL;
    bool own = false, loaded = false;
    int64_t now = wf_now(by);
    ws_err rc = wf_tx_begin(c, &own);
    if (!rc) rc = workflow_instance_get(c, id, &in);
    if (rc) goto out;
    loaded = true;
    if (s && !auth_in_scope(s, in.unit_path)) {
        rc = ws_fail(WS_ENOTFOUND, "id", "no such workflow instance");
        goto out;
    }
    rc = wf_def_load(c, in.key, in.version, &d, NULL);
    if (rc) goto out;
    const wf_action *a = wf_def_action(d, action);
    if (!a) {
        rc = ws_fail(WS_EINVAL, "action", "%s is not an action of %s v%d", action ? action : "",
                     in.key, in.version);
        goto out;
    }
    bool from_ok = false;
    for (int i = 0; i < a->nfrom; i++) from_ok |= !strcmp(a->from[i], in.state);
    if (!from_ok) {
        rc = ws_fail(WS_ECONFLICT, "action", "%s is not possible in state %s", a->id, in.state);
        goto out;
    }
    char what[80];
    snprintf(what, sizeof what, "%s", a->label ? a->label : a->id);
    rc = wf_may(c, s, &a->allow, in.data, in.unit_path, what);
    if (rc) goto out;
    data = json_deep_copy(in.data);
    rc = take_inputs(c, d, a, fields, data);
    if (rc) goto out;
    int64_t me = s ? s->person_id : 0;
    rc = wf_guards_check(a->guards, data, me, now);
    if (rc) goto out;
    for (int i = 0; i < a->nstamp; i++) {
        if (me <= 0) {
            rc = ws_fail(WS_EFORBIDDEN, a->stamp[i], "%s records who does it (%s): the account "
                         "must be linked to a person", a->id, a->stamp[i]);
            goto out;
        }
        json_object_set_new(data, a->stamp[i], json_integer(me));
    }
    const wf_state *to = wf_def_state(d, a->to);
    text = json_dumps(data, JSON_COMPACT);
    store_stmt *st = NULL;
    rc = store_prepare(c, Q_WF_INST_MOVE, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_bind_text(st, 2, to->id);
    if (!rc) rc = store_bind_text(st, 3, text);
    if (!rc) rc = store_bind_int(st, 4, now);
    if (!rc) rc = store_bind_opt_int(st, 5, due_of(to, data, now));
    if (!rc) rc = store_bind_text(st, 6, in.state);
    if (!rc) rc = store_bind_int(st, 7, in.updated_at);
    bool row;
    if (!rc) rc = store_step(st, &row);
    if (!rc && store_changes(st) != 1)
        rc = ws_fail(WS_ECONFLICT, "id", "the instance changed meanwhile; reload and try again");
    store_finalize(st);
    if (!rc) rc = audit_record(c, who, &WF_ENTITY_INSTANCE, id, "update", NULL);
    if (!rc) {
        json_t *det = json_object();
        json_object_set(det, "fields", fields ? (json_t *)fields : json_object());
        if (!fields) json_decref(json_object_get(det, "fields"));
        rc = wf_event(c, who, id, now, "action", a->id, in.state, to->id, det);
        json_decref(det);
    }
    if (!rc) {
        json_decref(in.data);
        in.data = data;
        data = NULL;
        snprintf(in.state, sizeof in.state, "%s", to->id);
        rc = run_effects(c, who, to, &in, now);
    }
    if (!rc && new_state) snprintf(new_state, WF_ID_MAX + 1, "%s", to->id);
out:
    rc = wf_tx_end(c, own, rc);
    free(text);
    json_decref(data);
    if (loaded) workflow_instance_free(&in);
    wf_def_release(d);
    return rc;
}

/* ----------------------------------------------------------- actions_for */

static const char *type_name(wf_type t)
{
    static const char *const n[] = {"string", "integer", "date", "time", "enum", "boolean",
                                    "attachments", "person"};
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

json_t *wf_field_json(const wf_field *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_str(f->id));
    json_object_set_new(o, "type", json_str(type_name(f->type)));
    json_object_set_new(o, "label", json_str(f->label));
    json_object_set_new(o, "builtin", json_boolean(f->builtin));
    if (f->type == WF_T_STRING) json_object_set_new(o, "max_len", json_integer((json_int_t)f->max_len));
    if (f->has_min) json_object_set_new(o, "min", json_integer(f->min));
    if (f->has_max) json_object_set_new(o, "max", json_integer(f->max));
    if (f->type == WF_T_ATTACHMENTS)
        json_object_set_new(o, "max_items", json_integer((json_int_t)f->max_items));
    if (f->type == WF_T_ENUM) {
        json_t *v = f->values ? json_deep_copy(f->values) : json_array();
        for (size_t i = 0; i < f->ncvalues; i++) json_array_append_new(v, json_str(f->cvalues[i]));
        json_object_set_new(o, "values", v);
    }
    return o;
}

ws_err workflow_actions_for(store_conn *c, int64_t id, const auth_subject *who, json_t **out)
{
    wf_instance in;
    wf_def *d = NULL;
    *out = NULL;
    ws_err rc = workflow_instance_get(c, id, &in);
    if (rc) return rc;
    if (who && !auth_in_scope(who, in.unit_path)) {
        workflow_instance_free(&in);
        return ws_fail(WS_ENOTFOUND, "id", "no such workflow instance");
    }
    rc = wf_def_load(c, in.key, in.version, &d, NULL);
    json_t *arr = json_array();
    for (int i = 0; !rc && i < d->nactions; i++) {
        const wf_action *a = &d->actions[i];
        bool from_ok = false;
        for (int k = 0; k < a->nfrom; k++) from_ok |= !strcmp(a->from[k], in.state);
        if (!from_ok) continue;
        ws_err may = wf_may(c, who, &a->allow, in.data, in.unit_path, a->id);
        if (may == WS_EFORBIDDEN || may == WS_ENOTFOUND) {
            ws_err_clear();
            continue;
        }
        if (may) {
            rc = may;
            break;
        }
        json_t *o = json_object(), *req = json_array(), *opt = json_array(), *g = json_array();
        json_object_set_new(o, "action", json_str(a->id));
        json_object_set_new(o, "label", json_str(a->label));
        json_object_set_new(o, "to", json_str(a->to));
        for (int k = 0; k < a->nreq; k++) json_array_append_new(req, wf_field_json(wf_def_field(d, a->required[k])));
        for (int k = 0; k < a->nopt; k++) json_array_append_new(opt, wf_field_json(wf_def_field(d, a->optional[k])));
        for (unsigned b = 1; b < (1u << WF_G_COUNT); b <<= 1)
            if (a->guards & b) json_array_append_new(g, json_str(wf_guard_id(b)));
        json_object_set_new(o, "required", req);
        json_object_set_new(o, "optional", opt);
        json_object_set_new(o, "guards", g);
        json_array_append_new(arr, o);
    }
    workflow_instance_free(&in);
    wf_def_release(d);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return WS_OK;
}

ws_err workflow_timeline(store_conn *c, int64_t id, json_t **out)
{
    json_t *a = json_array();
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_WF_EVENT_LIST, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_id(store_col_int(st, 0)));
        json_object_set_new(o, "at", json_time(store_col_int(st, 1)));
        json_object_set_new(o, "kind", json_str(store_col_text(st, 2)));
        for (int k = 3; k <= 5; k++) {
            static const char *const names[] = {"action", "from", "to"};
            json_object_set_new(o, names[k - 3],
                                store_col_null(st, k) ? json_null() : json_str(store_col_text(st, k)));
        }
        json_object_set_new(o, "actor", json_str(store_col_text(st, 6)));
        json_t *det = store_col_null(st, 7) ? NULL : json_loads(store_col_text(st, 7), 0, NULL);
        json_object_set_new(o, "detail", det ? det : json_null());
        json_array_append_new(a, o);
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return WS_OK;
}

/* ------------------------------------------------- for domain modules */

ws_err workflow_state_info(store_conn *c, const char *key, int version, const char *state,
                           bool *terminal, char *label, size_t cap)
{
    wf_def *d = NULL;
    ws_err rc = wf_def_load(c, key, version, &d, NULL);
    if (rc) return rc;
    const wf_state *s = wf_def_state(d, state);
    if (!s) {
        wf_def_release(d);
        return ws_fail(WS_ENOTFOUND, "state", "%s v%d has no state %s", key, version, state);
    }
    if (terminal) *terminal = s->terminal;
    if (label && cap) snprintf(label, cap, "%s", s->label ? s->label : s->id);
    wf_def_release(d);
    return WS_OK;
}

int64_t workflow_time_of(const json_t *v)
{
    int64_t t = wf_time_of(v);
    return t > 0 ? t : 0;
}

ws_err workflow_note(store_conn *c, const audit_actor *who, int64_t id, const char *kind,
                     const json_t *detail)
{
    if (!store_in_tx(c)) return ws_fail(WS_EINTERNAL, NULL, "workflow_note needs a transaction");
    return wf_event(c, who ? who : &SYSTEM, id, clock_now_ms(), kind, NULL, NULL, NULL, detail);
}
