/* act.c — the actions of a permit's lifecycle (permit.h draws it). Each
 * action loads the permit, checks the state, the caller's right and the
 * action's own fields, runs the compliance engine where the law decides
 * (submit, approve, check-in, resume), and saves the row with its timeline
 * entry in one transaction. A refusal by a rule is WS_ECONFLICT with the
 * rule's id as the field and its evidence as the message; the verdicts go
 * back to the caller, so the phone shows every rule, not only the first. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "permit/permit_int.h"
#include "warn/warn.h"

#define MIN_MS 60000LL

/* Rules the application itself must satisfy (the applicant fixes them before
 * submitting): the window, the grade's inputs, workers' certificates, the
 * guardian and the permit served. The steps after submit (measures, gas,
 * approvals, check-in) are judged when they are taken. */
static bool application_rule(const pr_verdict *v)
{
    static const char *const fields[] = {"planned", "grade", "workers", "height", "mass", "serves",
                                         "extension", "continuous_monitor", NULL};
    for (int i = 0; fields[i]; i++)
        if (!strncmp(v->field, fields[i], strlen(fields[i]))) return true;
    return !strcmp(v->field, "guardian"); /* assigned and qualified; the check-in comes later */
}

/* The first failing verdict that pick() selects, as WS_ECONFLICT. */
static ws_err refuse_by(const pr_report *r, bool (*pick)(const pr_verdict *))
{
    for (int i = 0; i < r->n; i++) {
        const pr_verdict *v = &r->v[i];
        if (v->result == PR_FAIL && (!pick || pick(v)))
            return ws_fail(WS_ECONFLICT, v->rule, "%s (%s): %s", v->rule, v->clause, v->evidence);
    }
    return WS_OK;
}

static const char *str_or(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int64_t self_person(const org_caller *by)
{
    return by && by->subject ? by->subject->person_id : 0;
}

/* An early-warning context fact for the work in progress (composite rules
 * read "hot_work_active" in an area). */
static void publish_fact(permit_svc *s, const permit_row *p, bool on)
{
    if (!s || !s->cfg.warn) return;
    const char *fact = !strcmp(p->type, "hot_work") ? "hot_work_active"
                       : !strcmp(p->type, "confined_space") ? "confined_space_active" : NULL;
    if (fact && warn_context_set(s->cfg.warn, p->unit_id, fact, on, on ? p->planned_end : 0))
        log_warn("permit context fact not published", "detail", ws_err_message());
}

ws_err permit_signature(store_conn *c, const org_caller *by, const json_t *body, json_t *doc,
                        const char *role, int64_t now)
{
    const json_t *v = json_object_get(body, "signature_attachment_id");
    if (!v || json_is_null(v)) return WS_OK;
    if (!json_is_integer(v))
        return ws_fail(WS_EINVAL, "signature_attachment_id", "signature_attachment_id is an attachment id");
    attach_info a;
    ws_err rc = attach_get(c, by ? by->subject : NULL, json_integer_value(v), &a);
    if (rc == WS_ENOTFOUND || rc == WS_EFORBIDDEN)
        return ws_fail(WS_EINVAL, "signature_attachment_id", "no such attachment (signature_attachment_id)");
    if (rc) return rc;
    if (strncmp(a.media_type, "image/", 6))
        return ws_fail(WS_EINVAL, "signature_attachment_id", "a signature is an image (the drawn signature)");
    json_t *sigs = json_object_get(doc, "signatures");
    if (!json_is_array(sigs)) {
        sigs = json_array();
        json_object_set_new(doc, "signatures", sigs);
    }
    json_array_append_new(sigs, json_pack("{s:s, s:I, s:s, s:I, s:s}", "role", role, "attachment_id",
                                          (json_int_t)a.id, "sha256", a.sha256, "at_ms", (json_int_t)now,
                                          "by", permit_actor(by)));
    return WS_OK;
}

/* ------------------------------------------------------------------ steps */

static ws_err do_submit(permit_svc *s, store_conn *c, permit_row *p, int64_t now, pr_report *r)
{
    if (!json_array_size(json_object_get(p->doc, "workers")))
        return ws_fail(WS_EINVAL, "workers", "name the people who do the work (workers)");
    if (p->guardian_person_id <= 0)
        return ws_fail(WS_EINVAL, "guardian_person_id", "name the guardian (监护人, guardian_person_id)");
    ws_err rc = permit_check(s, c, p, now, PR_STAGE_PRECHECK, r);
    if (!rc) rc = refuse_by(r, application_rule);
    if (!rc) permit_copy(p->state, sizeof p->state, "applied");
    return rc;
}

/* {"confirmed":[i...], "not_applicable":[i...]}: none given confirms all. */
static ws_err do_measures(permit_svc *s, store_conn *c, const org_caller *by, const json_t *body,
                          permit_row *p, int64_t now)
{
    json_t *ms = json_object_get(p->doc, "measures");
    size_t n = json_array_size(ms);
    const json_t *conf = json_object_get(body, "confirmed"), *na = json_object_get(body, "not_applicable");
    if ((conf && !json_is_array(conf)) || (na && !json_is_array(na)))
        return ws_fail(WS_EINVAL, conf && !json_is_array(conf) ? "confirmed" : "not_applicable",
                       "a list of the measures' positions (0-based)");
    for (int pass = 0; pass < 2; pass++) {
        const json_t *list = pass ? na : conf;
        size_t i;
        json_t *x;
        json_array_foreach(list, i, x) {
            json_int_t k = json_is_integer(x) ? json_integer_value(x) : -1;
            if (k < 0 || (size_t)k >= n) {
                char f[48];
                snprintf(f, sizeof f, "%s[%zu]", pass ? "not_applicable" : "confirmed", i);
                return ws_fail(WS_EINVAL, f, "no measure at position %lld", (long long)k);
            }
        }
    }
    for (size_t k = 0; k < n; k++) {
        json_t *m = json_array_get(ms, k);
        bool is_na = false, is_conf = !conf && !na;
        size_t i;
        json_t *x;
        json_array_foreach(conf, i, x) if ((size_t)json_integer_value(x) == k) is_conf = true;
        json_array_foreach(na, i, x) if ((size_t)json_integer_value(x) == k) is_na = true;
        if (!is_conf && !is_na) continue;
        json_object_set_new(m, "confirmed_at_ms", json_integer(now));
        json_object_set_new(m, "confirmed_by", json_string(permit_actor(by)));
        json_object_set_new(m, "confirmed_person_id", json_integer(self_person(by)));
        if (is_na) json_object_set_new(m, "not_applicable", json_true());
    }
    for (size_t k = 0; k < n; k++) {
        const json_t *m = json_array_get(ms, k);
        if (!json_integer_value(json_object_get(m, "confirmed_at_ms"))) {
            char f[48];
            snprintf(f, sizeof f, "measures[%zu]", k);
            return ws_fail(WS_EINVAL, f, "安全措施未确认 (measure not confirmed): %s",
                           json_string_value(json_object_get(m, "item")));
        }
    }
    pr_type t = (pr_type)pr_type_of(p->type);
    permit_copy(p->state, sizeof p->state, permit_needs_gas(t) ? "identified" : "tested");
    (void)s;
    return WS_OK;
}

static ws_err do_gas(store_conn *c, const org_caller *by, const json_t *body, permit_row *p, int64_t now)
{
    const char *kind = json_string_value(json_object_get(body, "kind"));
    const char *unit = json_string_value(json_object_get(body, "unit"));
    if (!kind || (strcmp(kind, "combustible") && strcmp(kind, "oxygen") && strcmp(kind, "toxic")))
        return ws_fail(WS_EINVAL, "kind", "kind is combustible, oxygen or toxic");
    if (!unit || (strcmp(unit, "%LEL") && strcmp(unit, "%VOL") && strcmp(unit, "mg/m3") && strcmp(unit, "ppm")))
        return ws_fail(WS_EINVAL, "unit", "unit is %%LEL, %%VOL, mg/m3 or ppm");
    if (!strcmp(kind, "oxygen") && strcmp(unit, "%VOL"))
        return ws_fail(WS_EINVAL, "unit", "oxygen is measured in %%VOL");
    if (!strcmp(kind, "combustible") && strcmp(unit, "%LEL") && strcmp(unit, "%VOL"))
        return ws_fail(WS_EINVAL, "unit", "a combustible gas is measured in %%LEL or %%VOL");
    const json_t *v = json_object_get(body, "value");
    double value = json_number_value(v);
    if (!json_is_number(v) || !isfinite(value) || value < 0 || value > 1000000)
        return ws_fail(WS_EINVAL, "value", "value is the measured number (0 or more)");
    if (!strcmp(unit, "%LEL") && value > 100) return ws_fail(WS_EINVAL, "value", "%%LEL is at most 100");
    if (!strcmp(unit, "%VOL") && value > 100) return ws_fail(WS_EINVAL, "value", "%%VOL is at most 100");
    static const char *const nums[] = {"lel_pct_vol", "limit"};
    for (int i = 0; i < 2; i++) {
        const json_t *x = json_object_get(body, nums[i]);
        if (x && (!json_is_number(x) || json_number_value(x) < 0 || json_number_value(x) > 1000000))
            return ws_fail(WS_EINVAL, nums[i], "%s is a number, 0 or more", nums[i]);
    }
    if (!strcmp(kind, "toxic") && json_number_value(json_object_get(body, "limit")) <= 0)
        return ws_fail(WS_EINVAL, "limit", "a toxic gas needs its exposure limit (GBZ 2.1) in the same unit (limit)");
    if (!strcmp(kind, "combustible") && !strcmp(unit, "%VOL") &&
        json_number_value(json_object_get(body, "lel_pct_vol")) <= 0)
        return ws_fail(WS_EINVAL, "lel_pct_vol", "by volume, the pass limit depends on the substance's LEL (lel_pct_vol)");
    const char *sub = json_string_value(json_object_get(body, "substance"));
    const char *pos = json_string_value(json_object_get(body, "position"));
    ws_err rc = permit_text(sub ? sub : "", "substance", 31, false);
    if (!rc && pos && strcmp(pos, "upper") && strcmp(pos, "middle") && strcmp(pos, "lower") && pos[0])
        rc = ws_fail(WS_EINVAL, "position", "position is upper, middle or lower");
    const json_t *port = json_object_get(body, "portable");
    if (!rc && port && !json_is_boolean(port)) rc = ws_fail(WS_EINVAL, "portable", "portable is true or false");
    int64_t at = now;
    const json_t *atv = json_object_get(body, "at");
    if (!rc && atv && (!json_is_string(atv) || clock_parse_rfc3339(json_string_value(atv), &at)))
        rc = ws_fail(WS_EINVAL, "at", "at is the time of the analysis (RFC 3339)");
    if (!rc && at > now + MIN_MS) rc = ws_fail(WS_EINVAL, "at", "a gas analysis cannot lie in the future");
    if (!rc && at < now - 24 * 60 * MIN_MS)
        rc = ws_fail(WS_EINVAL, "at", "a gas analysis is recorded within 24 h of being made");
    if (!rc) rc = permit_signature(c, by, body, p->doc, "gas_analyst", now);
    if (rc) return rc;
    json_t *g = json_object_get(p->doc, "gas");
    if (!json_is_array(g)) {
        g = json_array();
        json_object_set_new(p->doc, "gas", g);
    }
    if (json_array_size(g) >= PR_MAX_GAS) {
        /* keep the first test (the record of the start) and the newest ones */
        json_array_remove(g, 1);
    }
    json_t *x = json_pack("{s:I, s:s, s:s, s:f, s:s, s:b, s:s, s:I, s:s}", "at_ms", (json_int_t)at, "kind", kind,
                          "unit", unit, "value", value, "substance", sub ? sub : "", "portable",
                          json_is_true(port), "position", pos ? pos : "", "analyst_person_id",
                          (json_int_t)self_person(by), "recorded_by", permit_actor(by));
    for (int i = 0; i < 2; i++)
        if (json_object_get(body, nums[i])) json_object_set(x, nums[i], json_object_get(body, nums[i]));
    json_array_append_new(g, x);
    if (!strcmp(p->state, "identified")) permit_copy(p->state, sizeof p->state, "tested");
    return WS_OK;
}

/* Does the person hold a post with this code? */
static ws_err holds_post(store_conn *c, int64_t person, const char *code, bool *yes)
{
    org_person per;
    *yes = false;
    ws_err rc = org_person_get(c, person, &per);
    for (int i = 0; !rc && i < per.npost && !*yes; i++) {
        org_post post;
        rc = org_post_get(c, per.post_ids[i], &post);
        if (!rc && !strcmp(post.code, code)) *yes = true;
    }
    return rc == WS_ENOTFOUND ? WS_OK : rc;
}

/* Does post satisfy a chain entry ("safety_dept" or alternatives
 * "plant_manager|chief_engineer")? */
static bool post_in(const char *entry, const char *post)
{
    size_t n = strlen(post);
    for (const char *e = entry; *e;) {
        const char *bar = strchr(e, '|');
        size_t len = bar ? (size_t)(bar - e) : strlen(e);
        if (len == n && !strncmp(e, post, n)) return true;
        if (!bar) break;
        e = bar + 1;
    }
    return false;
}

static bool before_approval(const pr_verdict *v)
{
    return application_rule(v) || !strncmp(v->field, "measures", 8);
}

static ws_err do_approve(permit_svc *s, store_conn *c, const org_caller *by, const json_t *body,
                         permit_row *p, int64_t now, pr_report *r)
{
    const char *post = json_string_value(json_object_get(body, "post"));
    const char *opinion = NULL;
    ws_err rc = permit_allow(by, "permit.approve", p->unit_path);
    if (!rc) rc = json_opt_text(body, "opinion", "opinion", &opinion);
    if (rc) return rc;
    if (!post || !post[0]) return ws_fail(WS_EINVAL, "post", "approve as which post of the chain (post)?");
    if ((rc = permit_text(opinion ? opinion : "", "opinion", 500, false))) return rc;
    int64_t person = self_person(by);
    if (by && by->subject && person <= 0)
        return ws_fail(WS_EFORBIDDEN, "post", "approving needs an account linked to a person");
    if (person > 0 && person == p->applicant_person_id)
        return ws_fail(WS_EFORBIDDEN, "post", "the applicant does not approve his own permit");
    if ((rc = permit_check(s, c, p, now, PR_STAGE_PRECHECK, r))) return rc;
    if ((rc = refuse_by(r, before_approval))) return rc;
    int entry = -1;
    for (int i = 0; i < r->nrequired_posts && entry < 0; i++)
        if (post_in(r->required_posts[i], post)) entry = i;
    bool in_chain = entry >= 0;
    if (!in_chain)
        return ws_fail(WS_EINVAL, "post", "post %s is not in the approval chain of this permit's effective "
                       "grade %s", post, r->effective_grade);
    json_t *ap = json_object_get(p->doc, "approvals");
    if (!json_is_array(ap)) {
        ap = json_array();
        json_object_set_new(p->doc, "approvals", ap);
    }
    size_t i;
    json_t *x;
    json_array_foreach(ap, i, x) {
        if (post_in(r->required_posts[entry], str_or(x, "post")))
            return ws_fail(WS_ECONFLICT, "post", "the step %s has been approved already", r->required_posts[entry]);
        if (person > 0 && json_integer_value(json_object_get(x, "person_id")) == person)
            return ws_fail(WS_ECONFLICT, "post", "one person approves one step of a permit");
    }
    if (person > 0) {
        bool yes = false;
        if ((rc = holds_post(c, person, post, &yes))) return rc;
        if (!yes) return ws_fail(WS_EFORBIDDEN, "post", "you do not hold the post %s", post);
    }
    if ((rc = permit_signature(c, by, body, p->doc, "approver", now))) return rc;
    json_array_append_new(ap, json_pack("{s:s, s:I, s:I, s:s, s:s}", "post", post, "person_id", (json_int_t)person,
                                        "at_ms", (json_int_t)now, "by", permit_actor(by), "opinion",
                                        opinion ? opinion : ""));
    size_t done = 0;
    for (int k = 0; k < r->nrequired_posts; k++) {
        json_array_foreach(ap, i, x) if (post_in(r->required_posts[k], str_or(x, "post"))) {
            done++;
            break;
        }
    }
    if (done == (size_t)r->nrequired_posts) permit_copy(p->state, sizeof p->state, "approved");
    return WS_OK;
}

/* Activation and resumption: every rule of the stage, then the conflicts. */
static ws_err enter_active(permit_svc *s, store_conn *c, permit_row *p, int64_t now, pr_stage stage,
                           pr_report *r, json_t **conflicts)
{
    ws_err rc = permit_check(s, c, p, now, stage, r);
    if (!rc) rc = refuse_by(r, NULL);
    if (rc) return rc;
    int blocking = -1;
    if ((rc = permit_conflicts_of(c, p, true, conflicts, &blocking))) return rc;
    if (blocking >= 0) {
        const json_t *k = json_array_get(*conflicts, (size_t)blocking);
        return ws_fail(WS_ECONFLICT, "conflict", "与作业票 %s（%s，%s）在同一区域、时间重叠：%s",
                       str_or(k, "code"), str_or(k, "type"), str_or(k, "state"), str_or(k, "reason"));
    }
    permit_copy(p->state, sizeof p->state, "active");
    if (!p->activated_at) p->activated_at = now;
    p->reason[0] = 0; /* suspended_at stays: the last break, for the audit */
    return WS_OK;
}

static ws_err need_reason(const json_t *body, const char *what, char *out, size_t cap)
{
    const char *reason = json_string_value(json_object_get(body, "reason"));
    ws_err rc = permit_text(reason, "reason", PERMIT_TEXT_MAX, true);
    if (rc) return ws_fail(WS_EINVAL, "reason", "%s needs a reason (reason)", what);
    permit_copy(out, cap, reason);
    return WS_OK;
}

ws_err permit_act(permit_svc *s, store_conn *c, const org_caller *by, int64_t id, const char *action,
                  const json_t *body, json_t **report)
{
    /* each action: the states it leaves from and the members its body may have */
    static const char *const k_sign[] = {"signature_attachment_id", NULL};
    static const char *const k_gas[] = {"kind", "unit", "value", "substance", "lel_pct_vol", "limit",
                                        "portable", "position", "at", "signature_attachment_id", NULL};
    static const char *const k_measures[] = {"confirmed", "not_applicable", NULL};
    static const char *const k_approve[] = {"post", "opinion", "signature_attachment_id", NULL};
    static const char *const k_reason[] = {"reason", NULL};
    static const char *const k_none[] = {NULL};
    static const char *const k_close[] = {"note", "signature_attachment_id", NULL};
    static const struct { const char *action, *states; const char *const *keys; } from[] = {
        {"submit", "|draft|", k_sign},
        {"confirm_measures", "|applied|", k_measures},
        {"gas", "|identified|tested|approved|active|suspended|", k_gas},
        {"approve", "|tested|", k_approve},
        {"check_in", "|approved|", k_sign},
        {"suspend", "|active|", k_reason},
        {"resume", "|suspended|", k_none},
        {"close", "|active|suspended|", k_close},
        {"cancel", "|draft|applied|identified|tested|approved|suspended|", k_reason},
    };
    if (report) *report = NULL;
    const char *states = NULL;
    const char *const *keys = NULL;
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++)
        if (!strcmp(from[i].action, action)) states = from[i].states, keys = from[i].keys;
    if (!states)
        return ws_fail(WS_ENOTFOUND, "action", "no such action (submit, confirm_measures, gas, approve, "
                       "check_in, suspend, resume, close, cancel)");
    if (body && !json_is_object(body)) return ws_fail(WS_EINVAL, "body", "the body must be a JSON object");
    if (body) {
        ws_err krc = json_known_keys(body, NULL, keys);
        if (krc) return krc;
    }
    json_t *empty = body ? NULL : json_object();
    if (!body) body = empty;
    permit_row p;
    pr_report *r = calloc(1, sizeof *r);
    json_t *conflicts = NULL;
    bool checked = false, own = false, was_active = false;
    int64_t now = clock_now_ms();
    ws_err rc = r ? store_tx_join(c, &own) : ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (rc) {
        free(r);
        json_decref(empty);
        return rc;
    }
    rc = permit_for(c, by, id, "permit.write", &p);
    if (rc) goto out_norow;
    char key[24], from_state[16];
    snprintf(key, sizeof key, "|%s|", p.state);
    permit_copy(from_state, sizeof from_state, p.state);
    if (!strstr(states, key)) {
        rc = ws_fail(WS_ECONFLICT, "state", "a permit in state %s cannot take the action %s", p.state, action);
        goto out;
    }
    was_active = !strcmp(p.state, "active");
    if (!strcmp(action, "submit")) {
        checked = true;
        rc = do_submit(s, c, &p, now, r);
        if (!rc) rc = permit_signature(c, by, body, p.doc, "applicant", now);
    } else if (!strcmp(action, "confirm_measures")) {
        rc = do_measures(s, c, by, body, &p, now);
    } else if (!strcmp(action, "gas")) {
        rc = do_gas(c, by, body, &p, now);
        if (!rc && !permit_check(s, c, &p, now, PR_STAGE_PRECHECK, r)) checked = true;
    } else if (!strcmp(action, "approve")) {
        checked = true;
        rc = do_approve(s, c, by, body, &p, now, r);
    } else if (!strcmp(action, "check_in")) {
        int64_t person = self_person(by);
        if (by && by->subject && person != p.guardian_person_id)
            rc = ws_fail(WS_EFORBIDDEN, "guardian_person_id", "the guardian named on the permit checks in, in person");
        if (!rc) {
            json_object_set_new(p.doc, "guardian_checkin_at", json_integer(now));
            rc = permit_signature(c, by, body, p.doc, "guardian", now);
        }
        checked = true;
        if (!rc) rc = enter_active(s, c, &p, now, PR_STAGE_ACTIVATE, r, &conflicts);
    } else if (!strcmp(action, "resume")) {
        json_object_set_new(p.doc, "resumed_at", json_integer(now));
        checked = true;
        rc = enter_active(s, c, &p, now, PR_STAGE_RESUME, r, &conflicts);
    } else if (!strcmp(action, "suspend")) {
        rc = need_reason(body, "suspending", p.reason, sizeof p.reason);
        permit_copy(p.state, sizeof p.state, "suspended");
        p.suspended_at = now;
    } else if (!strcmp(action, "close")) {
        const char *note = NULL;
        rc = json_opt_text(body, "note", "note", &note);
        if (!rc) rc = permit_text(note ? note : "", "note", PERMIT_TEXT_MAX, false);
        if (!rc && note) json_object_set_new(p.doc, "close_note", json_string(note));
        if (!rc) rc = permit_signature(c, by, body, p.doc, "close", now);
        permit_copy(p.state, sizeof p.state, "closed");
        p.closed_at = now;
    } else {
        rc = need_reason(body, "cancelling", p.reason, sizeof p.reason);
        permit_copy(p.state, sizeof p.state, "cancelled");
        p.closed_at = now;
    }
    if (!rc) {
        json_t *detail = json_object();
        if (json_object_size(body)) json_object_set_new(detail, "body", json_deep_copy(body));
        if (checked && r->nfail == 0 && r->n) json_object_set_new(detail, "rules", json_integer(r->n));
        rc = permit_save(c, by, &p, action, from_state, detail, now);
        json_decref(detail);
    }
out:
    if (report && checked && r->n) {
        *report = pr_report_json(r);
        if (conflicts) json_object_set(*report, "conflicts", conflicts);
    }
    rc = store_tx_finish(c, own, rc);
    if (!rc && strcmp(p.state, from_state)) {
        bool active = !strcmp(p.state, "active");
        if (active != was_active) publish_fact(s, &p, active);
        if (active) permit_relink(s); /* its detectors are watched from the next second */
        /* the work is over: a gas alarm of the permit no longer holds */
        if (permit_terminal(p.state) && s && s->cfg.warn)
            (void)warn_external_alarm(s->cfg.warn, WARN_RULE_PERMIT_GAS, p.id, p.unit_id, 3, false, NULL, now);
    }
    permit_row_free(&p);
    json_decref(conflicts);
    free(r);
    json_decref(empty);
    return rc;
out_norow:
    rc = store_tx_finish(c, own, rc);
    free(r);
    json_decref(empty);
    return rc;
}
