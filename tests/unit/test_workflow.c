/* test_workflow.c — the workflow engine (src/workflow) on real stores: a
 * fresh SQLite file per test and, when WS_TEST_PG_URL is set, a fresh
 * PostgreSQL database per test.
 *
 * What a user would check: the default hazard lifecycle runs end to end;
 * a 重大 hazard cannot start rectification without each 五落实 item and each
 * part of the 治理方案 (the refusal names the missing item); the rectifier
 * cannot accept; acceptance dated before the rectification is refused; a
 * definition that drops or routes around a statutory guard is refused when
 * saved, naming the guard; an admin adds an approval step and a custom field
 * and new instances follow it while open ones keep their version; an SLA
 * past due escalates within one tick of the test clock to the right person;
 * the pages' list of actions fits the user; audit verify stays clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/json.h"
#include "org/org.h"
#include "store/store.h"
#include "workflow/workflow.h"
#include "unit/pgdb.h"

static const audit_actor WHO = {"account:1"};
static const org_caller TRUSTED = {&WHO, NULL};
static char tmpdir[128];

/* ============================================================ on a store */

typedef struct fixture {
    store_kind kind;
    char pg_admin[512];
    int n;
} fixture;

typedef struct world {
    int64_t ent, site, area;
    int64_t reporter, officer, assignee, manager, leader_site, leader_ent;
    auth_subject s_reporter, s_officer, s_assignee, s_manager, s_outsider;
} world;

typedef struct tctx {
    testdb db;
    fixture *f;
    store *s;
    store_conn *c;
    char url[1024];
    world w;
} tctx;

static fixture fx_sqlite = {.kind = STORE_SQLITE}, fx_pg = {.kind = STORE_POSTGRES};
static tctx tc;


static int64_t person(store_conn *c, int64_t unit, const char *name)
{
    org_person_in in = {.unit_id = unit, .name = name};
    int64_t id = 0;
    if (org_person_create(c, &TRUSTED, &in, &id)) fail_msg("person: %s", ws_err_message());
    return id;
}

static int64_t unit(store_conn *c, int64_t parent, const char *kind, const char *code)
{
    org_unit_in in = {.parent_id = parent, .kind = kind, .code = code, .name = code};
    int64_t id = 0;
    if (org_unit_create(c, &TRUSTED, &in, &id)) fail_msg("unit: %s", ws_err_message());
    return id;
}

static void set_leader(store_conn *c, int64_t u, int64_t p)
{
    org_unit_patch pa = {.set = ORG_SET_LEADER, .leader_person_id = p};
    if (org_unit_update(c, &TRUSTED, u, &pa)) fail_msg("leader: %s", ws_err_message());
}

static void subject(auth_subject *s, int64_t account, int64_t person_id, unsigned roles,
                    const char *scope)
{
    memset(s, 0, sizeof *s);
    s->account_id = account;
    s->person_id = person_id;
    s->roles = roles;
    snprintf(s->scope_path, sizeof s->scope_path, "%s", scope);
}

static void make_world(store_conn *c, world *w)
{
    if (org_create_root(c, &WHO, "enterprise", "ENT", "化工企业", &w->ent))
        fail_msg("root: %s", ws_err_message());
    w->site = unit(c, w->ent, "site", "SITE");
    w->area = unit(c, w->site, "area", "AREA");
    w->reporter = person(c, w->area, "报告人");
    w->officer = person(c, w->site, "安全员");
    w->assignee = person(c, w->area, "整改人");
    w->manager = person(c, w->ent, "经理");
    w->leader_site = person(c, w->site, "厂区负责人");
    w->leader_ent = person(c, w->ent, "企业负责人");
    set_leader(c, w->site, w->leader_site);
    set_leader(c, w->ent, w->leader_ent);
    org_unit u;
    assert_int_equal(org_unit_get(c, w->ent, &u), WS_OK);
    subject(&w->s_reporter, 11, w->reporter, ROLE_WORKER, u.path);
    subject(&w->s_officer, 12, w->officer, ROLE_SAFETY_OFFICER, u.path);
    subject(&w->s_assignee, 13, w->assignee, ROLE_WORKER, u.path);
    subject(&w->s_manager, 14, w->manager, ROLE_MANAGER, u.path);
    subject(&w->s_outsider, 15, 0, ROLE_MANAGER, "/999999/");
}

static int db_setup(void **state)
{
    fixture *f = *state;
    memset(&tc, 0, sizeof tc);
    tc.f = f;
    f->n++;
    if (testdb_open(&tc.db, f->kind == STORE_POSTGRES ? f->pg_admin : NULL, tmpdir, "wf", f->n)) return -1;
    tc.s = tc.db.s;
    snprintf(tc.url, sizeof tc.url, "%s", tc.db.url);
    if (store_acquire(tc.s, &tc.c)) return -1;
    make_world(tc.c, &tc.w);
    *state = &tc;
    return 0;
}

static int db_teardown(void **state)
{
    tctx *t = *state;
    if (t->c) store_release(t->c);
    testdb_close(&t->db);
    *state = t->f;
    return 0;
}

static void no_findings(const audit_finding *f, void *arg)
{
    (void)arg;
    fail_msg("audit verify: %s %lld: %s", f->entity, (long long)f->id, f->what);
}

static void verify_clean(store_conn *c)
{
    uint64_t n = 0;
    if (audit_verify(c, NULL, no_findings, NULL, &n)) fail_msg("audit verify: %s", ws_err_message());
    assert_true(n > 0);
}

/* ---------------------------------------------------------------- helpers */

static wf_actor as(const auth_subject *s)
{
    wf_actor a = {&WHO, s};
    return a;
}

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j) fail_msg("bad test JSON at %d: %s", e.position, e.text);
    return j;
}

/* Fire and expect rc; when rc is an error, the field must be want_field. */
static void fire_expect(const auth_subject *s, int64_t id, const char *action, const char *fields,
                        ws_err want, const char *want_field)
{
    wf_actor a = as(s);
    json_t *f = fields ? J(fields) : NULL;
    ws_err_clear();
    char st[WF_ID_MAX + 1] = "";
    ws_err rc = workflow_fire(tc.c, &a, id, action, f, st);
    json_decref(f);
    if (rc != want)
        fail_msg("%s: got %d (%s: %s), want %d", action, rc, ws_err_field(), ws_err_message(), want);
    if (want_field && strcmp(ws_err_field(), want_field))
        fail_msg("%s: field %s (%s), want %s", action, ws_err_field(), ws_err_message(), want_field);
}

static void fire_ok(const auth_subject *s, int64_t id, const char *action, const char *fields,
                    const char *want_state)
{
    wf_actor a = as(s);
    json_t *f = fields ? J(fields) : NULL;
    char st[WF_ID_MAX + 1] = "";
    ws_err rc = workflow_fire(tc.c, &a, id, action, f, st);
    json_decref(f);
    if (rc) fail_msg("%s: %d %s: %s", action, rc, ws_err_field(), ws_err_message());
    assert_string_equal(st, want_state);
}

static int64_t start(const auth_subject *s, const char *key, int64_t u, const char *fields)
{
    wf_actor a = as(s);
    json_t *f = fields ? J(fields) : NULL;
    int64_t id = 0;
    ws_err rc = workflow_start(tc.c, &a, key, u, f, &id);
    json_decref(f);
    if (rc) fail_msg("start: %d %s: %s", rc, ws_err_field(), ws_err_message());
    return id;
}

static void time_at(int64_t delta_ms, char *out, size_t cap)
{
    clock_format_rfc3339(clock_now_ms() + delta_ms, out, cap);
}

/* Take a major hazard to "assigned" with the five assurances and plan
 * given as extra (a JSON fragment starting with ',' or ""). */
static int64_t major_assigned(const char *extra)
{
    world *w = &tc.w;
    int64_t id = start(&w->s_reporter, "hazard", w->area, NULL);
    fire_ok(&w->s_officer, id, "assess", "{\"grade\":\"major\"}", "assessed");
    char dl[40], body[2048];
    time_at(7 * 86400000LL, dl, sizeof dl);
    snprintf(body, sizeof body, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"%s}",
             (long long)w->assignee, dl, extra);
    fire_ok(&w->s_officer, id, "assign", body, "assigned");
    return id;
}

#define FIVE                                                                              \
    ",\"responsible_person_id\":%lld,\"measures\":\"更换法兰垫片并加装泄漏报警\","      \
    "\"funds\":\"5万元\",\"contingency_plan\":\"泄漏应急处置方案\""
#define PLAN                                                                              \
    ",\"plan_goal\":\"消除泄漏\",\"plan_methods\":\"停车检修\",\"plan_funds\":\"5万元, 垫片\"," \
    "\"plan_org\":\"设备部 张三\",\"plan_schedule\":\"7日内\",\"plan_safety\":\"隔离, 监护\""

/* ------------------------------------------------------------------ tests */

/* A back-dated history (the demo's seeding): the start and each action are
 * recorded at the actor's at_ms, with due times from there; an actor without
 * one is recorded now. */
static void test_backdated_history(void **state)
{
    (void)state;
    world *w = &tc.w;
    int64_t now = clock_now_ms(), t0 = now - 10 * 86400000LL;
    wf_actor rep = {&WHO, &w->s_reporter, t0}, off = {&WHO, &w->s_officer, t0 + 5400000};
    int64_t id = 0;
    assert_int_equal(workflow_start(tc.c, &rep, "hazard", w->area, NULL, &id), WS_OK);
    json_t *f = J("{\"grade\":\"general\"}");
    assert_int_equal(workflow_fire(tc.c, &off, id, "assess", f, NULL), WS_OK);
    json_decref(f);
    wf_instance in;
    assert_int_equal(workflow_instance_get(tc.c, id, &in), WS_OK);
    assert_true(in.entered_at == t0 + 5400000);
    workflow_instance_free(&in);
    fire_ok(&w->s_officer, id, "reject", "{\"reason\":\"重复上报\"}", "rejected");
    json_t *tl = NULL;
    assert_int_equal(workflow_timeline(tc.c, id, &tl), WS_OK);
    int64_t at[3];
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(tl, i, e) {   /* the start and the actions (effects aside) */
        const char *k = json_string_value(json_object_get(e, "kind"));
        if (n < 3 && (!strcmp(k, "start") || !strcmp(k, "action")))
            at[n++] = workflow_time_of(json_object_get(e, "at"));
    }
    json_decref(tl);
    assert_int_equal(n, 3);
    assert_true(at[0] == t0);
    assert_true(at[1] == t0 + 5400000);
    assert_true(at[2] >= now);
    verify_clean(tc.c);
}

/* A general hazard through the whole default lifecycle, with its timeline. */
static void test_general_lifecycle(void **state)
{
    world *w = &tc.w;
    int64_t id = start(&w->s_reporter, "hazard", w->area, NULL);
    wf_instance in;
    assert_int_equal(workflow_instance_get(tc.c, id, &in), WS_OK);
    assert_string_equal(in.state, "reported");
    assert_int_equal(in.version, 1);
    assert_int_equal(json_integer_value(json_object_get(in.data, "reporter_person_id")), w->reporter);
    assert_true(in.due_at > clock_now_ms());
    workflow_instance_free(&in);
    /* A worker may not assess; an unknown grade is refused. */
    fire_expect(&w->s_reporter, id, "assess", "{\"grade\":\"general\"}", WS_EFORBIDDEN, NULL);
    fire_expect(&w->s_officer, id, "assess", "{\"grade\":\"huge\"}", WS_EINVAL, "grade");
    fire_expect(&w->s_officer, id, "assess", "{}", WS_EINVAL, "grade");
    fire_expect(&w->s_officer, id, "assess", "{\"grade\":\"general\",\"x\":1}", WS_EINVAL, "x");
    fire_expect(&w->s_officer, id, "rectify", NULL, WS_ECONFLICT, "action");
    fire_expect(&w->s_outsider, id, "assess", "{\"grade\":\"general\"}", WS_ENOTFOUND, NULL);
    fire_ok(&w->s_officer, id, "assess", "{\"grade\":\"general\"}", "assessed");
    char dl[40], body[512];
    time_at(3 * 86400000LL, dl, sizeof dl);
    snprintf(body, sizeof body, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"}",
             (long long)w->assignee, dl);
    fire_ok(&w->s_officer, id, "assign", body, "assigned");
    /* The assignee (a worker) may start: a relation admits them. */
    fire_ok(&w->s_assignee, id, "start_rectification", NULL, "rectifying");
    char rt[40], at[40];
    time_at(-60000, rt, sizeof rt);
    snprintf(body, sizeof body, "{\"rectified_at\":\"%s\",\"rectification_photos\":[3,4]}", rt);
    fire_expect(&w->s_reporter, id, "rectify", body, WS_EFORBIDDEN, NULL);
    fire_ok(&w->s_assignee, id, "rectify", body, "acceptance");
    time_at(0, at, sizeof at);
    snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", at);
    fire_ok(&w->s_manager, id, "accept", body, "closed");
    assert_int_equal(workflow_instance_get(tc.c, id, &in), WS_OK);
    assert_int_equal(in.due_at, 0);
    assert_int_equal(json_integer_value(json_object_get(in.data, "rectifier_person_id")), w->assignee);
    assert_int_equal(json_integer_value(json_object_get(in.data, "acceptor_person_id")), w->manager);
    workflow_instance_free(&in);
    json_t *tl = NULL;
    assert_int_equal(workflow_timeline(tc.c, id, &tl), WS_OK);
    const char *want[] = {"start", "effect", "assess", "assign", "effect", "start_rectification",
                          "effect", "rectify", "effect", "accept"};
    assert_int_equal(json_array_size(tl), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < json_array_size(tl); i++) {
        json_t *e = json_array_get(tl, i);
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const char *act = json_string_value(json_object_get(e, "action"));
        assert_string_equal(strcmp(kind, "action") ? kind : act, want[i]);
    }
    json_decref(tl);
    verify_clean(tc.c);
}

/* 重大: each 五落实 item and each part of the 治理方案 is required before
 * rectification starts; the refusal names what is missing. */
static void test_major_needs_five_and_plan(void **state)
{
    world *w = &tc.w;
    static const char *const five[] = {"responsible_person_id", "measures", "funds",
                                       "contingency_plan"};
    char extra[1024];
    /* deadline is required at assign; drop each other item in turn. */
    for (size_t k = 0; k < 4; k++) {
        snprintf(extra, sizeof extra, FIVE PLAN, (long long)w->officer);
        /* remove item k: rebuild as an object, delete it, back to a fragment */
        char full[1200];
        snprintf(full, sizeof full, "{\"x\":0%s}", extra);
        json_t *all = J(full);
        json_object_del(all, "x");
        json_object_del(all, five[k]);
        char *rest = json_dumps(all, JSON_COMPACT);
        json_decref(all);
        char frag[1200];
        snprintf(frag, sizeof frag, ",%s", rest + 1);
        frag[strlen(frag) - 1] = 0;
        free(rest);
        int64_t id = major_assigned(strlen(frag) > 1 ? frag : "");
        fire_expect(&w->s_assignee, id, "start_rectification", NULL, WS_EINVAL, five[k]);
        assert_non_null(strstr(ws_err_message(), "five_assurances"));
    }
    /* Five given, the plan missing part by part. */
    snprintf(extra, sizeof extra, FIVE, (long long)w->officer);
    int64_t id = major_assigned(extra);
    fire_expect(&w->s_assignee, id, "start_rectification", NULL, WS_EINVAL, "plan_goal");
    assert_non_null(strstr(ws_err_message(), "rectification_plan"));
    fire_expect(&w->s_assignee, id, "start_rectification",
                "{\"plan_goal\":\"a\",\"plan_methods\":\"b\",\"plan_funds\":\"c\",\"plan_org\":\"d\","
                "\"plan_schedule\":\"e\"}",
                WS_EINVAL, "plan_safety");
    /* Nothing was written by the refusals. */
    wf_instance in;
    assert_int_equal(workflow_instance_get(tc.c, id, &in), WS_OK);
    assert_string_equal(in.state, "assigned");
    assert_null(json_object_get(in.data, "plan_goal"));
    workflow_instance_free(&in);
    /* Blank text does not count. */
    fire_expect(&w->s_assignee, id, "start_rectification",
                "{\"plan_goal\":\"a\",\"plan_methods\":\"b\",\"plan_funds\":\"c\",\"plan_org\":\"d\","
                "\"plan_schedule\":\"e\",\"plan_safety\":\"  \"}",
                WS_EINVAL, "plan_safety");
    fire_ok(&w->s_assignee, id, "start_rectification",
            "{\"plan_goal\":\"a\",\"plan_methods\":\"b\",\"plan_funds\":\"c\",\"plan_org\":\"d\","
            "\"plan_schedule\":\"e\",\"plan_safety\":\"f\"}",
            "rectifying");
    verify_clean(tc.c);
}

/* The rectifier may not accept; acceptance may not be dated before the
 * rectification (nor in the future). */
static void test_acceptance_guards(void **state)
{
    world *w = &tc.w;
    char extra[1024], body[256], t[40];
    snprintf(extra, sizeof extra, FIVE PLAN, (long long)w->officer);
    int64_t id = major_assigned(extra);
    /* The safety officer rectifies this one himself. */
    fire_ok(&w->s_officer, id, "start_rectification", NULL, "rectifying");
    fire_expect(&w->s_officer, id, "rectify", "{\"rectified_at\":\"2026-01-01T00:00:00Z\"}",
                WS_EFORBIDDEN, NULL); /* not the assignee */
    time_at(-3600000, t, sizeof t);
    snprintf(body, sizeof body, "{\"rectified_at\":\"%s\"}", t);
    fire_ok(&w->s_assignee, id, "rectify", body, "acceptance");
    /* The rectifier is refused even with an accepting role. */
    auth_subject rect_mgr = w->s_assignee;
    rect_mgr.roles |= ROLE_MANAGER;
    time_at(0, t, sizeof t);
    snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t);
    fire_expect(&rect_mgr, id, "accept", body, WS_EFORBIDDEN, NULL);
    /* Dated before the rectification, or in the future. */
    time_at(-2 * 3600000, t, sizeof t);
    snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t);
    fire_expect(&w->s_manager, id, "accept", body, WS_EINVAL, "accepted_at");
    assert_non_null(strstr(ws_err_message(), "acceptance_after_rectification"));
    time_at(3600000, t, sizeof t);
    snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t);
    fire_expect(&w->s_manager, id, "accept", body, WS_EINVAL, "accepted_at");
    /* A trusted caller has no person: the guard fails closed. */
    wf_actor sys = {&WHO, NULL};
    time_at(0, t, sizeof t);
    snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t);
    json_t *f = J(body);
    assert_int_equal(workflow_fire(tc.c, &sys, id, "accept", f, NULL), WS_EFORBIDDEN);
    assert_string_equal(ws_err_field(), "acceptor_not_rectifier");
    json_decref(f);
    /* Even when an admin removes the editable not_rectifier relation, the
     * locked guard refuses the rectifier. */
    json_t *doc = J(workflow_builtin_default("hazard"));
    json_t *acts = json_object_get(doc, "actions");
    size_t i;
    json_t *a;
    json_array_foreach(acts, i, a) {
        json_t *allow = json_object_get(a, "allow");
        json_object_del(allow, "relations");
        if (!strcmp(json_string_value(json_object_get(a, "id")), "rectify"))
            json_object_set_new(allow, "roles", json_pack("[s]", "manager"));
    }
    int v = 0;
    assert_int_equal(workflow_def_save(tc.c, &WHO, "hazard", doc, &v), WS_OK);
    assert_int_equal(v, 2);
    json_decref(doc);
    int64_t id2 = major_assigned(extra);
    fire_ok(&w->s_manager, id2, "start_rectification", NULL, "rectifying");
    time_at(-1000, t, sizeof t);
    snprintf(body, sizeof body, "{\"rectified_at\":\"%s\"}", t);
    fire_ok(&w->s_manager, id2, "rectify", body, "acceptance");
    time_at(0, t, sizeof t);
    snprintf(body, sizeof body, "{\"accepted_at\":\"%s\"}", t);
    fire_expect(&w->s_manager, id2, "accept", body, WS_ECONFLICT, "acceptor_not_rectifier");
    fire_ok(&w->s_officer, id2, "accept", body, "closed");
    /* The first instance is on v1 still, and closes by another person. */
    fire_ok(&w->s_manager, id, "accept", body, "closed");
    verify_clean(tc.c);
}

/* Saving a definition that drops or bypasses a guard is refused, naming it. */
static void test_guards_locked_on_save(void **state)
{
    static const struct {
        const char *action, *guard;
    } on[] = {
        {"start_rectification", "five_assurances"},
        {"start_rectification", "rectification_plan"},
        {"reject_acceptance", "five_assurances"},
        {"accept", "acceptor_not_rectifier"},
        {"accept", "acceptance_after_rectification"},
    };
    for (size_t k = 0; k < sizeof on / sizeof on[0]; k++) {
        json_t *doc = J(workflow_builtin_default("hazard"));
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(doc, "actions"), i, a) {
            if (strcmp(json_string_value(json_object_get(a, "id")), on[k].action)) continue;
            json_t *g = json_object_get(a, "guards"), *keep = json_array();
            size_t j;
            json_t *e;
            json_array_foreach(g, j, e)
                if (strcmp(json_string_value(e), on[k].guard)) json_array_append(keep, e);
            json_object_set_new(a, "guards", keep);
        }
        ws_err_clear();
        int v = 0;
        assert_int_equal(workflow_def_save(tc.c, &WHO, "hazard", doc, &v), WS_EINVAL);
        assert_string_equal(ws_err_field(), on[k].guard);
        assert_non_null(strstr(ws_err_message(), on[k].guard));
        json_decref(doc);
    }
    /* Bypasses: a second way into rectifying; a way out to another end; an
     * initial state that is guarded; the acceptance without its date. */
    static const struct {
        const char *patch, *guard;
    } by[] = {
        {"{\"id\":\"fast_track\",\"from\":[\"assessed\"],\"to\":\"rectifying\","
         "\"allow\":{\"roles\":[\"admin\"]}}", "five_assurances"},
        {"{\"id\":\"fast_track\",\"from\":[\"assessed\"],\"to\":\"rectifying\","
         "\"allow\":{\"roles\":[\"admin\"]},\"guards\":[\"five_assurances\"]}", "rectification_plan"},
        {"{\"id\":\"close_now\",\"from\":[\"rectifying\"],\"to\":\"closed\","
         "\"allow\":{\"roles\":[\"admin\"]},\"required\":[\"accepted_at\"]}", "acceptor_not_rectifier"},
        {"{\"id\":\"give_up\",\"from\":[\"rectifying\"],\"to\":\"rejected\","
         "\"allow\":{\"roles\":[\"admin\"]}}", "acceptor_not_rectifier"},
    };
    for (size_t k = 0; k < sizeof by / sizeof by[0]; k++) {
        json_t *doc = J(workflow_builtin_default("hazard"));
        json_array_append_new(json_object_get(doc, "actions"), J(by[k].patch));
        int v = 0;
        assert_int_equal(workflow_def_save(tc.c, &WHO, "hazard", doc, &v), WS_EINVAL);
        assert_string_equal(ws_err_field(), by[k].guard);
        json_decref(doc);
    }
    json_t *doc = J(workflow_builtin_default("hazard"));
    json_object_set_new(doc, "initial", json_str("rectifying"));
    assert_int_equal(workflow_def_check("hazard", doc), WS_EINVAL);
    assert_string_equal(ws_err_field(), "five_assurances");
    json_object_set_new(doc, "initial", json_str("reported"));
    /* closed may not become non-terminal, nor vanish. */
    json_t *states = json_object_get(doc, "states");
    size_t i;
    json_t *s;
    json_array_foreach(states, i, s)
        if (!strcmp(json_string_value(json_object_get(s, "id")), "closed"))
            json_object_set_new(s, "id", json_str("done"));
    assert_int_equal(workflow_def_check("hazard", doc), WS_EINVAL);
    json_decref(doc);
    /* Another key has no profile: the same shape without guards is fine. */
    doc = J(workflow_builtin_default("hazard"));
    json_array_foreach(json_object_get(doc, "actions"), i, s) json_object_del(s, "guards");
    assert_int_equal(workflow_def_check("work_order", doc), WS_OK);
    assert_int_equal(workflow_def_check("hazard", doc), WS_EINVAL);
    json_decref(doc);
    /* Nothing was saved. */
    json_t *got = NULL;
    assert_int_equal(workflow_def_get(tc.c, "hazard", 0, &got), WS_OK);
    assert_int_equal(json_integer_value(json_object_get(got, "version")), 1);
    assert_true(json_is_true(json_object_get(got, "builtin")));
    json_decref(got);
}

/* Strict validation of the rest of a definition. */
static void test_definition_strict(void **state)
{
    static const struct {
        const char *patch_path, *value, *field;
    } bad[] = {
        {"extra", "1", "definition.extra"},
        {"initial", "\"nowhere\"", "initial"},
        {"fields", "[{\"id\":\"grade\",\"type\":\"string\"}]", "fields[0].id"},
        {"fields", "[{\"id\":\"n\",\"type\":\"integer\",\"min\":5,\"max\":1}]", "fields[0].min"},
        {"fields", "[{\"id\":\"n\",\"type\":\"string\",\"values\":[\"a\"]}]", "fields[0].values"},
        {"fields", "[{\"id\":\"n\",\"type\":\"colour\"}]", "fields[0].type"},
        {"fields", "[{\"id\":\"Bad\",\"type\":\"string\"}]", "fields[0].id"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        json_t *doc = J(workflow_builtin_default("hazard"));
        json_object_set_new(doc, bad[k].patch_path, J(bad[k].value));
        ws_err rc = workflow_def_check("hazard", doc);
        if (rc != WS_EINVAL || strcmp(ws_err_field(), bad[k].field))
            fail_msg("%s: rc %d field %s (%s), want %s", bad[k].value, rc, ws_err_field(),
                     ws_err_message(), bad[k].field);
        json_decref(doc);
    }
    /* An action into an unknown state; one nobody may fire; an engine field
     * offered as input. */
    static const char *const acts[][2] = {
        {"{\"id\":\"x\",\"from\":[\"reported\"],\"to\":\"limbo\",\"allow\":{\"anyone\":true}}",
         "actions[8].to"},
        {"{\"id\":\"x\",\"from\":[\"reported\"],\"to\":\"assessed\",\"allow\":{}}", "actions[8].allow"},
        {"{\"id\":\"x\",\"from\":[\"reported\"],\"to\":\"assessed\",\"allow\":{\"anyone\":true},"
         "\"optional\":[\"rectifier_person_id\"]}", "actions[8].optional"},
        {"{\"id\":\"x\",\"from\":[\"closed\"],\"to\":\"assessed\",\"allow\":{\"anyone\":true}}",
         "actions[8].from"},
    };
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        json_t *doc = J(workflow_builtin_default("hazard"));
        json_array_append_new(json_object_get(doc, "actions"), J(acts[k][0]));
        ws_err rc = workflow_def_check("hazard", doc);
        if (rc != WS_EINVAL || strcmp(ws_err_field(), acts[k][1]))
            fail_msg("%s: rc %d field %s (%s)", acts[k][0], rc, ws_err_field(), ws_err_message());
        json_decref(doc);
    }
    /* The default itself is valid. */
    json_t *doc = J(workflow_builtin_default("hazard"));
    assert_int_equal(workflow_def_check("hazard", doc), WS_OK);
    json_decref(doc);
}

/* An admin adds an approval step and a custom field: new instances follow
 * it, an open one keeps its version; no restart (same store, same process,
 * the cache is keyed by version and content). */
static void test_new_version_approval_step(void **state)
{
    world *w = &tc.w;
    char extra[1024], body[512], t[40];
    snprintf(extra, sizeof extra, FIVE PLAN, (long long)w->officer);
    int64_t old = major_assigned(extra); /* on v1 (the compiled default, now stored) */
    json_t *doc = J(workflow_builtin_default("hazard"));
    json_array_append_new(json_object_get(doc, "fields"),
                          J("{\"id\":\"approval_note\",\"type\":\"string\",\"max_len\":20,\"label\":\"审批意见\"}"));
    json_array_append_new(json_object_get(doc, "fields"),
                          J("{\"id\":\"cost_yuan\",\"type\":\"integer\",\"min\":0,\"max\":100000000}"));
    json_array_append_new(json_object_get(doc, "states"),
                          J("{\"id\":\"plan_approval\",\"label\":\"方案审批\"}"));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "actions"), i, a)
        if (!strcmp(json_string_value(json_object_get(a, "id")), "start_rectification")) {
            json_object_set_new(a, "id", json_str("submit_plan"));
            json_object_set_new(a, "to", json_str("plan_approval"));
            json_object_del(a, "guards");
        }
    json_array_append_new(json_object_get(doc, "actions"),
                          J("{\"id\":\"approve_plan\",\"label\":\"批准方案\",\"from\":[\"plan_approval\"],"
                            "\"to\":\"rectifying\",\"allow\":{\"roles\":[\"manager\"]},"
                            "\"required\":[\"approval_note\"],\"optional\":[\"cost_yuan\"],"
                            "\"guards\":[\"five_assurances\",\"rectification_plan\"]}"));
    int v = 0;
    if (workflow_def_save(tc.c, &WHO, "hazard", doc, &v))
        fail_msg("save: %s: %s", ws_err_field(), ws_err_message());
    assert_int_equal(v, 2);
    json_decref(doc);
    json_t *got = NULL;
    assert_int_equal(workflow_def_get(tc.c, "hazard", 0, &got), WS_OK);
    assert_int_equal(json_integer_value(json_object_get(got, "version")), 2);
    json_decref(got);
    assert_int_equal(workflow_def_get(tc.c, "hazard", 1, &got), WS_OK);
    assert_false(json_is_true(json_object_get(got, "builtin")));
    json_decref(got);
    /* The new one follows v2. */
    int64_t fresh = major_assigned(extra);
    wf_instance in;
    assert_int_equal(workflow_instance_get(tc.c, fresh, &in), WS_OK);
    assert_int_equal(in.version, 2);
    workflow_instance_free(&in);
    fire_expect(&w->s_assignee, fresh, "start_rectification", NULL, WS_EINVAL, "action");
    fire_ok(&w->s_assignee, fresh, "submit_plan", NULL, "plan_approval");
    fire_expect(&w->s_assignee, fresh, "approve_plan", "{\"approval_note\":\"同意\"}", WS_EFORBIDDEN, NULL);
    fire_expect(&w->s_manager, fresh, "approve_plan", "{}", WS_EINVAL, "approval_note");
    fire_expect(&w->s_manager, fresh, "approve_plan",
                "{\"approval_note\":\"同意，按方案执行，注意动火作业审批\"}", WS_EINVAL, "approval_note");
    fire_expect(&w->s_manager, fresh, "approve_plan", "{\"approval_note\":\"同意\",\"cost_yuan\":-1}",
                WS_EINVAL, "cost_yuan");
    fire_ok(&w->s_manager, fresh, "approve_plan", "{\"approval_note\":\"同意\",\"cost_yuan\":50000}",
            "rectifying");
    /* The open one keeps v1: no approval step there. */
    fire_expect(&w->s_assignee, old, "submit_plan", NULL, WS_EINVAL, "action");
    fire_ok(&w->s_assignee, old, "start_rectification", NULL, "rectifying");
    time_at(-1000, t, sizeof t);
    snprintf(body, sizeof body, "{\"rectified_at\":\"%s\"}", t);
    fire_ok(&w->s_assignee, old, "rectify", body, "acceptance");
    json_t *list = NULL;
    assert_int_equal(workflow_def_list(tc.c, &list), WS_OK);
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "version")), 2);
    json_decref(list);
    verify_clean(tc.c);
}

/* The pages' list of actions fits the user. */
static void test_actions_for(void **state)
{
    world *w = &tc.w;
    int64_t id = start(&w->s_reporter, "hazard", w->area, NULL);
    json_t *acts = NULL;
    assert_int_equal(workflow_actions_for(tc.c, id, &w->s_reporter, &acts), WS_OK);
    assert_int_equal(json_array_size(acts), 0);
    json_decref(acts);
    assert_int_equal(workflow_actions_for(tc.c, id, &w->s_officer, &acts), WS_OK);
    assert_int_equal(json_array_size(acts), 2);
    json_t *first = json_array_get(acts, 0);
    assert_string_equal(json_string_value(json_object_get(first, "action")), "assess");
    json_t *req = json_object_get(first, "required");
    assert_string_equal(json_string_value(json_object_get(json_array_get(req, 0), "type")), "enum");
    json_decref(acts);
    assert_int_equal(workflow_actions_for(tc.c, id, &w->s_outsider, &acts), WS_ENOTFOUND);
}

static json_t *last_event(int64_t id)
{
    json_t *tl = NULL;
    assert_int_equal(workflow_timeline(tc.c, id, &tl), WS_OK);
    json_t *e = json_incref(json_array_get(tl, json_array_size(tl) - 1));
    json_decref(tl);
    return e;
}

/* SLA: past due, one tick escalates to the right target; the next step
 * comes after every_seconds; a field deadline drives the rectifying SLA. */
static void test_sla_escalation(void **state)
{
    world *w = &tc.w;
    int n = -1;
    int64_t id = start(&w->s_reporter, "hazard", w->area, NULL);
    assert_int_equal(workflow_tick(tc.c, clock_now_ms(), &n), WS_OK);
    assert_int_equal(n, 0);
    clock_test_advance(86400000LL + 1000);
    assert_int_equal(workflow_tick(tc.c, clock_now_ms(), &n), WS_OK);
    assert_int_equal(n, 1);
    json_t *e = last_event(id);
    assert_string_equal(json_string_value(json_object_get(e, "kind")), "escalation");
    json_t *tgt = json_object_get(json_object_get(e, "detail"), "target");
    assert_string_equal(json_string_value(json_object_get(tgt, "role")), "safety_officer");
    assert_int_equal(json_integer_value(json_object_get(tgt, "unit_id")), w->area);
    json_decref(e);
    assert_int_equal(workflow_tick(tc.c, clock_now_ms(), &n), WS_OK);
    assert_int_equal(n, 0); /* once per step */
    clock_test_advance(86400000LL);
    assert_int_equal(workflow_tick(tc.c, clock_now_ms(), &n), WS_OK);
    assert_int_equal(n, 1);
    e = last_event(id);
    tgt = json_object_get(json_object_get(e, "detail"), "target");
    /* The area has no leader: the nearest one above, the site's. */
    assert_string_equal(json_string_value(json_object_get(tgt, "kind")), "unit_leader");
    assert_int_equal(json_integer_value(json_object_get(tgt, "person_id")), w->leader_site);
    assert_int_equal(json_integer_value(json_object_get(tgt, "unit_id")), w->site);
    json_decref(e);
    wf_instance in;
    assert_int_equal(workflow_instance_get(tc.c, id, &in), WS_OK);
    assert_int_equal(in.due_at, 0); /* chain done */
    assert_int_equal(in.escalations, 2);
    workflow_instance_free(&in);
    /* A rectification deadline one hour ahead, then passed. */
    fire_ok(&w->s_officer, id, "assess", "{\"grade\":\"general\"}", "assessed");
    char dl[40], body[256];
    time_at(3600000, dl, sizeof dl);
    snprintf(body, sizeof body, "{\"assignee_person_id\":%lld,\"deadline\":\"%s\"}",
             (long long)w->assignee, dl);
    fire_ok(&w->s_officer, id, "assign", body, "assigned");
    fire_ok(&w->s_assignee, id, "start_rectification", NULL, "rectifying");
    assert_int_equal(workflow_instance_get(tc.c, id, &in), WS_OK);
    int64_t dlms = 0;
    assert_int_equal(clock_parse_rfc3339(dl, &dlms), 0);
    assert_int_equal(in.due_at, dlms);
    assert_int_equal(in.escalations, 0);
    workflow_instance_free(&in);
    clock_test_advance(2 * 3600000LL);
    assert_int_equal(workflow_tick(tc.c, clock_now_ms(), &n), WS_OK);
    assert_int_equal(n, 1);
    e = last_event(id);
    assert_string_equal(json_string_value(json_object_get(e, "from")), "rectifying");
    tgt = json_object_get(json_object_get(e, "detail"), "target");
    assert_int_equal(json_integer_value(json_object_get(tgt, "person_id")), w->leader_site);
    json_decref(e);
    /* The next step, a day later: the parent unit's leader (above the area:
     * the site's leader is the area's parent's). */
    clock_test_advance(86400000LL);
    assert_int_equal(workflow_tick(tc.c, clock_now_ms(), &n), WS_OK);
    assert_int_equal(n, 1);
    e = last_event(id);
    tgt = json_object_get(json_object_get(e, "detail"), "target");
    assert_string_equal(json_string_value(json_object_get(tgt, "kind")), "parent_unit_leader");
    assert_int_equal(json_integer_value(json_object_get(tgt, "person_id")), w->leader_site);
    json_decref(e);
    verify_clean(tc.c);
}

/* ------------------------------------------------------------------ main */

static int group_setup(void **state, fixture *f)
{
    static int keyn;
    char key[300];
    snprintf(key, sizeof key, "%s/audit%d.key", tmpdir, ++keyn);
    if (audit_keygen(key) || audit_open(key, "worksafe.test/workflow/v1")) {
        fprintf(stderr, "audit: %s\n", ws_err_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_sqlite(void **state) { return group_setup(state, &fx_sqlite); }
static int setup_pg(void **state) { return group_setup(state, &fx_pg); }

static int group_teardown(void **state)
{
    (void)state;
    audit_close();
    return 0;
}

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, db_setup, db_teardown)

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_wf_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (org_init() || auth_init() || workflow_init()) return 1;
    const struct CMUnitTest db[] = {
        DB_TEST(test_general_lifecycle),
        DB_TEST(test_backdated_history),
        DB_TEST(test_major_needs_five_and_plan),
        DB_TEST(test_acceptance_guards),
        DB_TEST(test_guards_locked_on_save),
        DB_TEST(test_definition_strict),
        DB_TEST(test_new_version_approval_step),
        DB_TEST(test_actions_for),
        DB_TEST(test_sla_escalation),
    };
    int failed = cmocka_run_group_tests_name("workflow_sqlite", db, setup_sqlite, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        failed += cmocka_run_group_tests_name("workflow_postgres", db, setup_pg, group_teardown);
    } else {
        fprintf(stderr, "workflow_postgres: skipped (WS_TEST_PG_URL not set)\n");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
