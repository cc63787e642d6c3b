/* policy.c — the one permission decision of worksafe: auth_decide().
 *
 * Every request is decided here from (the account's roles and scope; the
 * action; the resource's unit, state and the account's relation to it).
 * The decision is data: a table of rules, one row per (action, roles) grant.
 * Later issues add rows (and, if needed, new relation kinds), not new
 * mechanisms. docs/internals/auth.md shows the table as a matrix; keep both
 * in step.
 *
 * A rule grants `action` to any account holding one of `roles`, provided
 *   1. the resource's state is one of `states` (NULL = any state);
 *   2. the relation holds (REL_NONE = no relation needed), e.g. the account
 *      is the resource's reporter;
 *   3. when `scoped`, the resource's unit lies inside the account's scope
 *      subtree (a resource with no unit is in every scope).
 * The decision for (subject, action, resource):
 *   WS_OK          some rule grants it;
 *   WS_ENOTFOUND   a rule of one of the account's roles would grant it but
 *                  the resource lies outside the scope (its existence is not
 *                  revealed: the same answer as a missing id);
 *   WS_EFORBIDDEN  otherwise: none of the account's roles may do this.
 * With no resource (r == NULL: the route-level check before a handler runs)
 * only the roles count; the handler repeats the check with the resource.
 * An action with no rule at all is a programming error (WS_EINTERNAL), so a
 * typo denies instead of silently granting or being mistaken for a 403. */
#include <string.h>

#include "auth/auth.h"

/* REL_AREA_ABOVE: the resource's unit is an area that holds the account's
 * scope unit (a grid in it, or deeper). */
enum { REL_NONE, REL_OWNER, REL_REPORTER, REL_ASSIGNEE, REL_AREA_ABOVE };

typedef struct rule {
    const char *action;
    unsigned roles;
    bool scoped;
    int relation;
    const char *states; /* "|open|rectifying|" or NULL */
} rule;

#define A ROLE_ADMIN
#define M ROLE_MANAGER
#define SO ROLE_SAFETY_OFFICER
#define DH ROLE_DEPT_HEAD
#define GL ROLE_GRID_LEADER
#define W ROLE_WORKER
#define RG ROLE_REGULATOR

static const rule rules[] = {
    /* Every signed-in account: its own profile and password. */
    {"me.read", ROLE_ALL, false, REL_NONE, NULL},
    {"auth.password", ROLE_ALL, false, REL_NONE, NULL},
    /* Organisation. A worker's scope is its own unit subtree. */
    {"unit.read", ROLE_ALL, true, REL_NONE, NULL},
    {"unit.write", A | M, true, REL_NONE, NULL},
    {"org.write", A | M, true, REL_NONE, NULL},
    {"person.read", ROLE_ALL, true, REL_NONE, NULL},
    {"person.write", A | M | DH, true, REL_NONE, NULL},
    /* Erasing a leaver's personal data (irreversible): admins only. */
    {"person.erase", A, true, REL_NONE, NULL},
    /* Phone numbers and other contact data: never to regulators. */
    {"person.contact", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    {"import.run", A | M, true, REL_NONE, NULL},
    /* Accounts: a manager may look, only an admin may change. */
    {"account.read", A | M, true, REL_NONE, NULL},
    {"account.write", A, true, REL_NONE, NULL},
    /* The evidence log and its proofs. */
    {"audit.read", A | SO | RG | M, true, REL_NONE, NULL},
    /* Workflow definitions (the lifecycles of hazards, permits, ...): the
     * safety office and regulators read them, only admins change them. */
    {"workflow.read", A | M | SO | RG, false, REL_NONE, NULL},
    {"workflow.write", A, false, REL_NONE, NULL},
    /* The risk register (risk objects, units, events, measures, tasks; the
     * rule set): everyone in scope reads, regulators too; admins, managers
     * and safety officers keep it. */
    {"risk.read", ROLE_ALL, true, REL_NONE, NULL},
    /* ...and the register of the area the account's grid lies in: the law
     * has every employee told the risks of their workplace (安全生产法 第四十四条). */
    {"risk.read", ROLE_ALL, false, REL_AREA_ABOVE, NULL},
    {"risk.write", A | M | SO, true, REL_NONE, NULL},
    /* The rule sets risk is graded with (LEC/LS tables, cut-offs): a new
     * version and the choice of the active one are an admin's. */
    {"risk.rules.write", A, false, REL_NONE, NULL},
    /* Hidden dangers: everyone in scope reads and reports (a worker reports
     * what he sees); regulators read and list major ones for supervision
     * (挂牌督办). Who may move a hazard through its lifecycle is decided by
     * the workflow definition, checked by the engine. Finer GB/T 13861 codes
     * are reference data kept by admins. */
    {"hazard.read", ROLE_ALL, true, REL_NONE, NULL},
    {"hazard.report", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    {"hazard.supervise", RG, true, REL_NONE, NULL},
    {"hazard.reference.write", A, false, REL_NONE, NULL},
    /* Inspections (排查记录) of risk tasks: everyone in scope reads; all but
     * regulators record one, and the code then asks for the task's post or
     * grid unless the role is admin, manager or safety officer. */
    {"inspection.read", ROLE_ALL, true, REL_NONE, NULL},
    {"inspection.do", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    /* Attachments (photos of hazards, documents): every role in scope reads;
     * all but regulators upload (workers photograph what they report). */
    {"attachment.read", ROLE_ALL, true, REL_NONE, NULL},
    {"attachment.write", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    /* Points (位号) and devices, the register the early-warning engine
     * evaluates (limits, calibration dates, maintenance mode): everyone in
     * scope reads; admins, managers and safety officers keep it. */
    {"point.read", ROLE_ALL, true, REL_NONE, NULL},
    {"point.write", A | M | SO, true, REL_NONE, NULL},
    /* Alarm rule sets (versioned roc/stale/flatline/count/composite rules,
     * install-wide): the safety office reviews them (the quarterly
     * rule-library review, rules backtest); only admins add or activate. */
    {"alarmrule.read", A | M | SO, false, REL_NONE, NULL},
    {"alarmrule.write", A, false, REL_NONE, NULL},
    /* Process monitors (多变量过程监控) of a unit's points: the safety office
     * and the department heads read them; admins, managers and safety
     * officers train and retire them in their scope. */
    {"monitor.read", A | M | SO | DH, true, REL_NONE, NULL},
    {"monitor.write", A | M | SO, true, REL_NONE, NULL},
    /* Plant registers (shift rosters, equipment and work orders, interlock
     * bypasses 联锁旁路): everyone in scope reads; admins, managers, safety
     * officers and department heads (the equipment department) keep them and
     * request bypasses; approving a bypass or its extension is for admins,
     * managers and safety officers, and never the requester (checked in
     * src/plant/bypass.c). */
    {"plant.read", ROLE_ALL, true, REL_NONE, NULL},
    {"plant.write", A | M | SO | DH, true, REL_NONE, NULL},
    {"bypass.approve", A | M | SO, true, REL_NONE, NULL},
    /* Shift handovers (交接班记录, src/handover): read with plant.read; the
     * shift's own people hand over and take — every role but the regulator
     * (the taker is never the one who handed over: src/handover). */
    {"handover.write", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    /* Readings in over HTTP (integration accounts of the DCS/gas system are
     * made with one of these roles), and alarms: everyone in scope sees them;
     * everyone but the regulator acknowledges, shelves and closes — the
     * operator on duty is often a worker account. */
    {"reading.write", A | M | SO, true, REL_NONE, NULL},
    {"alarm.read", ROLE_ALL, true, REL_NONE, NULL},
    /* The dynamic risk index (issue 7): everyone in scope reads it and the
     * weather it uses (weather comes in with reading.write); its parameters
     * are install-wide rule data, changed by admins only. */
    {"riskidx.read", ROLE_ALL, true, REL_NONE, NULL},
    {"riskidx.read", ROLE_ALL, false, REL_AREA_ABOVE, NULL}, /* the index of their grid's area */
    {"riskidx.rules", A, false, REL_NONE, NULL},
    {"alarm.ack", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    /* Special-work permits (特殊作业票, src/permit): everyone in scope reads
     * (the regulator too); everyone but the regulator applies and works the
     * permit (measures, gas tests, guardian check-in, suspend, close);
     * approving is for the approving roles AND the chain's post (checked in
     * src/permit/permit.c: the approver holds the post, is not the
     * applicant); the certificate register is kept by admins, managers and
     * safety officers; the rules as data (profile in force, holiday
     * calendar, conflict matrix) are install-wide: admins only. */
    {"permit.read", ROLE_ALL, true, REL_NONE, NULL},
    /* ...and the permits of the area the account's grid lies in, read only:
     * 属地管理 — work in an area is the business of the people on its ground
     * (GB 30871: the territorial unit takes part in the safety measures). */
    {"permit.read", ROLE_ALL, false, REL_AREA_ABOVE, NULL},
    {"permit.write", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    {"permit.approve", A | M | SO | DH, true, REL_NONE, NULL},
    {"permit.admin", A | M | SO, true, REL_NONE, NULL},
    {"permit.rules", A, false, REL_NONE, NULL},
    /* Task forces (专项工作组, src/taskforce) and incidents: everyone in scope
     * reads; admins, managers, safety officers and department heads open a
     * force by hand and add tasks (a task's own assignee closes it, checked
     * in src/taskforce/force.c); everyone but the regulator reports an
     * incident; the rules (which department gets which task) are
     * install-wide: admins only. */
    {"taskforce.read", ROLE_ALL, true, REL_NONE, NULL},
    {"taskforce.write", A | M | SO | DH, true, REL_NONE, NULL},
    {"taskforce.rules", A, false, REL_NONE, NULL},
    {"incident.write", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    /* The collaboration stress test: admins, managers and safety officers
     * start drills in their scope. */
    {"drill.run", A | M | SO, true, REL_NONE, NULL},
    /* Duty lists (岗位安全履职清单, src/duty): everyone in scope reads; admins,
     * managers and safety officers define an enterprise's duties and read
     * completion per person; a task is done by its own person (checked in
     * src/duty/duty.c); the statutory duties of major hazard installations
     * are install-wide: admins only, and never switched off. */
    {"duty.read", ROLE_ALL, true, REL_NONE, NULL},
    {"duty.write", A | M | SO, true, REL_NONE, NULL},
    {"duty.statutory", A, false, REL_NONE, NULL},
    /* The collaboration dashboard and the committee's risk list: those who
     * steer (admins, managers, safety officers, department heads) and the
     * regulator, in their scope. */
    {"dashboard.read", A | M | SO | DH | RG, true, REL_NONE, NULL},
    /* Grid patrols (网格巡查, src/patrol): everyone in scope reads; all but
     * regulators record a check (then the code asks for the assignee, the
     * grid's leader or members, unless admin, manager or safety officer);
     * admins, managers and safety officers keep points, templates and the
     * cross-supervision rota. */
    {"patrol.read", ROLE_ALL, true, REL_NONE, NULL},
    {"patrol.do", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    {"patrol.admin", A | M | SO, true, REL_NONE, NULL},
    /* Issue 6 (helper "voice"): anonymous reports and the points bank
     * (docs/internals/voice.md, bank.md). The reporter's own routes are
     * public (no account); these are the staff's. */
    {"voice.read", A | M | SO | DH, true, REL_NONE, NULL},
    {"voice.answer", A | M | SO, true, REL_NONE, NULL},
    {"voice.admin", A, false, REL_NONE, NULL},
    /* My points, the catalogue, the leaderboards (in scope); redeeming and
     * revealing oneself need a person; the catalogue and rules: admins. */
    {"bank.read", ROLE_ALL & ~RG, true, REL_NONE, NULL},
    {"bank.redeem", ROLE_ALL & ~RG, false, REL_NONE, NULL},
    {"bank.admin", A | M, false, REL_NONE, NULL},
    /* Notification channels (robot URLs and secrets) and the outbox: the
     * install's admins only. */
    {"notify.admin", A, false, REL_NONE, NULL},
};
#define NRULES (sizeof rules / sizeof rules[0])

bool auth_in_scope(const auth_subject *s, const char *unit_path)
{
    if (!s || !unit_path) return false;
    size_t n = strnlen(s->scope_path, sizeof s->scope_path);
    /* A malformed scope grants nothing (fail closed). */
    if (n < 2 || n >= sizeof s->scope_path || s->scope_path[0] != '/' || s->scope_path[n - 1] != '/')
        return false;
    return strncmp(unit_path, s->scope_path, n) == 0;
}

static bool state_ok(const rule *ru, const char *state)
{
    if (!ru->states) return true;
    if (!state || !*state || strchr(state, '|')) return false;
    size_t n = strlen(state);
    for (const char *p = strstr(ru->states, state); p; p = strstr(p + 1, state))
        if (p > ru->states && p[-1] == '|' && p[n] == '|') return true;
    return false;
}

static bool relation_ok(const rule *ru, const auth_subject *s, const auth_resource *r)
{
    switch (ru->relation) {
    case REL_NONE: return true;
    case REL_OWNER: return r->owner_account_id > 0 && r->owner_account_id == s->account_id;
    case REL_REPORTER: return r->reporter_person_id > 0 && r->reporter_person_id == s->person_id;
    case REL_ASSIGNEE: return r->assignee_person_id > 0 && r->assignee_person_id == s->person_id;
    case REL_AREA_ABOVE: {
        if (!r->unit_is_area || !r->unit_path) return false;
        size_t n = strlen(r->unit_path);
        return n >= 2 && r->unit_path[n - 1] == '/' && strlen(s->scope_path) > n &&
               !strncmp(s->scope_path, r->unit_path, n);
    }
    }
    return false;
}

ws_err auth_decide(const auth_subject *s, const char *action, const auth_resource *r)
{
    if (!s || !s->account_id) return ws_fail(WS_EUNAUTH, NULL, "sign in first");
    if (!action) return ws_fail(WS_EINTERNAL, NULL, "no action given to the permission check");
    bool known = false, role_ok = false, hidden = false;
    for (size_t i = 0; i < NRULES; i++) {
        const rule *ru = &rules[i];
        if (strcmp(ru->action, action) != 0) continue;
        known = true;
        if (!(ru->roles & s->roles)) continue;
        role_ok = true;
        if (!r) return WS_OK;
        bool in_scope = !r->unit_path || auth_in_scope(s, r->unit_path);
        if (!state_ok(ru, r->state) || !relation_ok(ru, s, r)) {
            /* Outside the scope, do not say whether it exists. */
            if (!in_scope) hidden = true;
            continue;
        }
        if (ru->scoped && !in_scope) {
            hidden = true;
            continue;
        }
        return WS_OK;
    }
    if (!known) return ws_fail(WS_EINTERNAL, NULL, "no permission rule for action %s", action);
    if (hidden) return ws_fail(WS_ENOTFOUND, NULL, "not found");
    if (role_ok)
        return ws_fail(WS_EFORBIDDEN, NULL, "this is not allowed in the current state");
    return ws_fail(WS_EFORBIDDEN, NULL, "your role does not allow %s", action);
}
