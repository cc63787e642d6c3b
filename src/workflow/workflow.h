/* workflow.h — the workflow engine: lifecycles as data.
 *
 * A definition (JSON, docs/internals/workflow.md) lists states (one initial,
 * some terminal), actions (from -> to), who may fire each (roles, posts,
 * relations such as assignee or "not_rectifier"), the fields each action
 * requires or accepts (built-in fields of the rule profile and custom fields
 * with types and validation), SLA timers per state with an escalation chain,
 * and effects on entering a state (notify, create a task, open a task force),
 * which are recorded as descriptors and handed to a hook; executing them
 * belongs to later issues.
 *
 * Definitions are versioned by key ("hazard"): saving creates version N+1,
 * instances pin the version they started on, new instances use the latest.
 * Versions are immutable, so the parsed form is cached by content digest and
 * never goes stale; the latest version number is read from the store on
 * every start, so a save takes effect at once, without a restart, in every
 * process that shares the database. A key with a compiled-in default (the
 * hazard lifecycle) reads as version 1 until something is saved or started;
 * the default is then written to the store in that same transaction.
 *
 * The law is not editable. Statutory guards (five_assurances,
 * rectification_plan, acceptor_not_rectifier, acceptance_after_rectification)
 * come from the compiled rule profile. For a profiled key, every action into
 * a guarded state must carry that state's guards, the initial state may not
 * be guarded, and no terminal state other than the guarded end may be
 * reachable once rectification started; a definition that breaks one is
 * refused when saved (WS_EINVAL, field = the guard's id). Guards are
 * evaluated on every fire against the instance's data merged with the
 * submitted fields, and fail closed when what they read is missing.
 *
 * Audit: the engine writes the audit leaves of the rows it writes
 * (workflow_definition, workflow_instance, workflow_event) inside the
 * transaction it runs in. A caller that also changes its own record (a
 * hazard row) opens the transaction, calls the engine, writes its row and
 * its own leaf, and commits: one transaction, every change with its leaf.
 * Functions join the caller's transaction when one is open, else they open
 * and commit their own; on failure inside a caller's transaction the caller
 * must roll back.
 *
 * Invariants (tests/unit/test_workflow.c asserts them):
 *  1. An instance's state is always a state of its pinned version, and
 *     moves only by an action of that version whose `from` holds it.
 *  2. Every move, start and escalation has a timeline entry and audit leaves
 *     in the same transaction as the change.
 *  3. A saved definition validates strictly and keeps every statutory guard
 *     of its key's profile on every path into a guarded state.
 *  4. A guard that cannot read what it needs refuses (fails closed).
 *  5. due_at is NULL in terminal states; one tick escalates every instance
 *     whose due_at has passed by one step of its state's chain. */
#ifndef WS_WORKFLOW_H
#define WS_WORKFLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "core/clock.h"
#include "store/store.h"

#define WF_KEY_MAX 40         /* [a-z][a-z0-9_]* */
#define WF_ID_MAX 40          /* state, action and field ids, same alphabet */
#define WF_DEF_MAX_BYTES (256u << 10)

/* Audited entities, registered by workflow_init(). */
extern const audit_entity WF_ENTITY_DEFINITION; /* "workflow_definition" */
extern const audit_entity WF_ENTITY_INSTANCE;   /* "workflow_instance" */
extern const audit_entity WF_ENTITY_EVENT;      /* "workflow_event" (timeline) */

/* Register the audited entities. Call once at start-up (idempotent). */
ws_err workflow_init(void);

/* Who acts. subject NULL is a trusted caller (CLI, seeding, tests of the
 * engine itself): permissions are skipped, guards never are. actor names the
 * audit leaves and timeline entries. */
typedef struct wf_actor {
    const audit_actor *actor;
    const auth_subject *subject;
    int64_t at_ms; /* 0: now. Else when it happened: only the demo's seeding, which
                      writes a plausible history, sets it (never from a request) */
} wf_actor;

/* The time an action of by is recorded at: by->at_ms, or now. */
static inline int64_t wf_now(const wf_actor *by)
{
    return by && by->at_ms ? by->at_ms : clock_now_ms();
}

/* ------------------------------------------------------------ definitions */

/* Keys with their latest version; JSON array [{"key","name","version",
 * "created_at"}] (caller owns). Includes keys that only have a compiled
 * default. */
ws_err workflow_def_list(store_conn *c, json_t **out);
/* One version (version 0 = the latest) as {"key","version","digest",
 * "created_at","created_by","builtin","definition":{...}} (caller owns).
 * WS_ENOTFOUND when there is no such key or version. */
ws_err workflow_def_get(store_conn *c, const char *key, int version, json_t **out);
/* Validate body (a definition document, see the doc) strictly and save it as
 * the next version of key; *version gets its number. Refusals name the field
 * (WS_EINVAL), or the guard whose removal or bypass was attempted. */
ws_err workflow_def_save(store_conn *c, const audit_actor *who, const char *key,
                         const json_t *body, int *version);
/* Validate only (the editor's "check" button and the tests). */
ws_err workflow_def_check(const char *key, const json_t *body);
/* The compiled-in default of key as JSON text (static), or NULL. */
const char *workflow_builtin_default(const char *key);

/* -------------------------------------------------------------- instances */

typedef struct wf_instance {
    int64_t id;
    char key[WF_KEY_MAX + 1];
    int version;
    int64_t unit_id;
    char state[WF_ID_MAX + 1];
    json_t *data;       /* owned: workflow_instance_free */
    int64_t entered_at; /* ms UTC */
    int64_t due_at;     /* 0 = no SLA running */
    int escalations;    /* steps of the current state's chain already taken */
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} wf_instance;

void workflow_instance_free(wf_instance *in);
/* WS_ENOTFOUND when there is no such instance. Scope checks are the
 * caller's (auth_in_scope on in->unit_path) for reads. */
ws_err workflow_instance_get(store_conn *c, int64_t id, wf_instance *in);

/* Start an instance of the latest version of key at unit_id, in the
 * initial state. fields (may be NULL) are validated against the
 * definition's start fields; reporter_person_id is stamped from the actor.
 * Permission: the unit must lie in the subject's scope (else WS_ENOTFOUND)
 * and the definition's start.allow must admit the subject. */
ws_err workflow_start(store_conn *c, const wf_actor *by, const char *key, int64_t unit_id,
                      const json_t *fields, int64_t *id);

/* Fire action on instance id: checks the actor's right (scope, roles, posts,
 * relations), the fields (unknown ones refused, required ones present, each
 * by its type), and the guards against the data merged with fields; then
 * moves the state, stamps, sets entered_at and due_at, records the timeline
 * entry and the effects, and writes the audit leaves. new_state (cap >=
 * WF_ID_MAX + 1, may be NULL) gets the state entered.
 * Refusals: WS_ENOTFOUND (no instance, or outside the scope), WS_EFORBIDDEN
 * (the actor may not fire it), WS_ECONFLICT (action not possible in this
 * state; acceptor_not_rectifier), WS_EINVAL (a field; five_assurances and
 * rectification_plan name the missing item; acceptance_after_rectification
 * names accepted_at). */
ws_err workflow_fire(store_conn *c, const wf_actor *by, int64_t id, const char *action,
                     const json_t *fields, char *new_state);

/* The actions of the instance's current state the subject may fire, as a
 * JSON array [{"action","label","to","required":[field specs],"optional":
 * [...],"guards":[ids]}] (caller owns). Guards are listed, not evaluated:
 * they depend on the fields submitted. */
ws_err workflow_actions_for(store_conn *c, int64_t id, const auth_subject *who, json_t **out);

/* The timeline of an instance, oldest first: [{"id","at","kind","action",
 * "from","to","actor","detail"}] (caller owns). kind: start, action,
 * escalation, effect. */
ws_err workflow_timeline(store_conn *c, int64_t id, json_t **out);

/* What a domain module needs of a state of version `version` of key: whether
 * it is terminal and its label (cap >= 1, may be NULL). WS_ENOTFOUND when the
 * version or the state does not exist. */
ws_err workflow_state_info(store_conn *c, const char *key, int version, const char *state,
                           bool *terminal, char *label, size_t cap);
/* A time or date field's value (RFC 3339 or YYYY-MM-DD) in ms, 0 when absent
 * or not a time. */
int64_t workflow_time_of(const json_t *v);
/* A timeline entry of a domain module's own kind ("overdue", "recurrence",
 * "supervision") on instance id, with its audit leaf, inside the caller's
 * write transaction. detail is borrowed, may be NULL. */
ws_err workflow_note(store_conn *c, const audit_actor *who, int64_t id, const char *kind,
                     const json_t *detail);

/* ------------------------------------------------------------------ timer */

/* Escalate every instance whose due_at <= now by one step of its state's
 * chain (a timeline entry "escalation" naming the resolved target: a role
 * at the unit, the nearest unit leader at or above the unit, the parent
 * unit's leader, or a person field), then set the next due_at (or none
 * after the last step). Each instance in its own transaction. *escalated
 * (may be NULL) gets the count. */
ws_err workflow_tick(store_conn *c, int64_t now, int *escalated);

/* ---------------------------------------------------------------- effects */

/* Called for each effect descriptor when an instance enters a state, inside
 * the transaction of the move (so a hook that writes an outbox row commits
 * with it). effect is borrowed. A failing hook rolls the move back. */
typedef ws_err (*workflow_effect_hook)(store_conn *c, const wf_instance *in,
                                       const json_t *effect, void *arg);
void workflow_set_effect_hook(workflow_effect_hook fn, void *arg);

#endif
