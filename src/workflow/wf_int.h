/* wf_int.h — private to src/workflow: the parsed form of a definition
 * (def.c), the rule profile with its built-in fields and statutory guards
 * (profile.c), and the helpers the engine (engine.c, timer.c) shares.
 *
 * A parsed definition borrows every string from its JSON document, which it
 * owns; it is immutable once parsed and shared through the cache. */
#ifndef WS_WF_INT_H
#define WS_WF_INT_H

#include "workflow/workflow.h"

#define WF_MAX_STATES 40
#define WF_MAX_ACTIONS 80
#define WF_MAX_FIELDS 60     /* custom fields of a definition */
#define WF_MAX_LIST 32       /* from, required, optional, posts, guards of one action */
#define WF_MAX_ESC 6         /* escalation steps of a state */
#define WF_MAX_EFFECTS 8

typedef enum {
    WF_T_STRING,
    WF_T_INTEGER,
    WF_T_DATE,        /* "2026-05-31" */
    WF_T_TIME,        /* RFC 3339 with offset */
    WF_T_ENUM,
    WF_T_BOOLEAN,
    WF_T_ATTACHMENTS, /* array of attachment ids */
    WF_T_PERSON,      /* a person id */
} wf_type;

typedef struct wf_field {
    const char *id;
    const char *label;
    wf_type type;
    size_t max_len;          /* string: bytes */
    int64_t min, max;        /* integer bounds (inclusive) */
    bool has_min, has_max;
    size_t max_items;        /* attachments */
    const json_t *values;    /* enum of a custom field: array of strings */
    const char *const *cvalues; /* enum of a built-in field */
    size_t ncvalues;
    bool builtin;
    bool engine_only;        /* stamped by the engine, never submitted */
} wf_field;

/* Relations (bits). Positive ones admit the actor; negative ones must all
 * hold. */
enum {
    WF_REL_ASSIGNEE = 1u << 0,
    WF_REL_REPORTER = 1u << 1,
    WF_REL_RECTIFIER = 1u << 2,
    WF_REL_RESPONSIBLE = 1u << 3,
    WF_REL_NOT_RECTIFIER = 1u << 8,
    WF_REL_NOT_REPORTER = 1u << 9,
};
#define WF_REL_NEGATIVE 0xFF00u

typedef struct wf_allow {
    unsigned roles;
    const char *posts[WF_MAX_LIST];
    int nposts;
    unsigned relations;
    bool anyone;   /* "anyone": true — every account in scope */
} wf_allow;

/* Escalation target kinds. */
enum { WF_TGT_ROLE, WF_TGT_UNIT_LEADER, WF_TGT_PARENT_LEADER, WF_TGT_PERSON_FIELD };

typedef struct wf_target {
    int kind;
    unsigned role;         /* WF_TGT_ROLE: one role bit */
    const char *field;     /* WF_TGT_PERSON_FIELD */
    const json_t *json;    /* the descriptor as written */
} wf_target;

typedef struct wf_state {
    const char *id;
    const char *label;
    bool terminal;
    int64_t sla_ms;          /* 0 = none (unless sla_field) */
    const char *sla_field;   /* due from a time/date field of the data */
    int64_t every_ms;        /* between escalation steps */
    wf_target esc[WF_MAX_ESC];
    int nesc;
    const json_t *on_enter;  /* array of effect descriptors, may be NULL */
} wf_state;

typedef struct wf_action {
    const char *id;
    const char *label;
    const char *from[WF_MAX_LIST];
    int nfrom;
    const char *to;
    wf_allow allow;
    const char *required[WF_MAX_LIST];
    int nreq;
    const char *optional[WF_MAX_LIST];
    int nopt;
    unsigned guards;         /* bits of wf_guard */
    const char *stamp[4];    /* engine-only person fields set to the actor */
    int nstamp;
} wf_action;

typedef struct wf_def {
    char key[WF_KEY_MAX + 1];
    int version;
    char digest[65];
    json_t *doc;             /* owned */
    const char *name;
    const char *initial;
    wf_state states[WF_MAX_STATES];
    int nstates;
    wf_action actions[WF_MAX_ACTIONS];
    int nactions;
    wf_field fields[WF_MAX_FIELDS]; /* custom */
    int nfields;
    wf_action start;         /* start fields and allow (from/to unused) */
    int refs;                /* cache references (engine.c) */
} wf_def;

/* ------------------------------------------------------------ profile.c */

/* Statutory guards, compiled in. */
typedef enum {
    WF_G_FIVE_ASSURANCES = 1u << 0,
    WF_G_RECTIFICATION_PLAN = 1u << 1,
    WF_G_ACCEPTOR_NOT_RECTIFIER = 1u << 2,
    WF_G_ACCEPTANCE_AFTER_RECTIFICATION = 1u << 3,
} wf_guard;
#define WF_G_COUNT 4

/* Guard id <-> bit; 0 for an unknown id. Names are static. */
unsigned wf_guard_bit(const char *id);
const char *wf_guard_id(unsigned bit);
const char *wf_guard_title(unsigned bit); /* "五落实 (five assurances)" */

/* The guarded states of key's profile: state id and the guards that every
 * action into it must carry. n = 0 for keys without a profile. The last
 * guarded state is the profile's end ("closed"): once the state before the
 * first guarded one has been left, no other terminal state may be reachable. */
typedef struct wf_guarded_state {
    const char *state;
    unsigned guards;
} wf_guarded_state;
int wf_profile_guarded(const char *key, const wf_guarded_state **out);

/* Built-in fields (all keys). NULL when id is not built in. */
const wf_field *wf_builtin_field(const char *id);
/* The field spec of id in def: a custom field or a built-in one. */
const wf_field *wf_def_field(const wf_def *d, const char *id);

/* Evaluate the guards of bits against data (the instance's data merged with
 * the submitted fields) for the actor's person (0 = none) at now. Fails with
 * the guard's error (see workflow_fire). */
ws_err wf_guards_check(unsigned bits, const json_t *data, int64_t actor_person, int64_t now);

/* Role name -> bit (one of auth_role), 0 if unknown. */
unsigned wf_role_bit(const char *name);

/* ---------------------------------------------------------------- def.c */

/* Parse and validate doc (borrowed; the def takes its own reference) for
 * key. Strict: unknown members, wrong types, dangling state or field names
 * and bad limits are refused naming a path such as "actions[2].to"; the
 * profile's guards are enforced (field = the guard id). Caller frees with
 * wf_def_free. */
ws_err wf_def_parse(const char *key, const json_t *doc, wf_def **out);
void wf_def_free(wf_def *d);
const wf_state *wf_def_state(const wf_def *d, const char *id);
const wf_action *wf_def_action(const wf_def *d, const char *id);
/* Check one submitted value against its field spec (field named by id). */
ws_err wf_field_check(const wf_field *f, const json_t *v);
/* ms of a time or date value ("2026-05-31" is that day's 00:00 at +08:00),
 * -1 when v is neither. */
int64_t wf_time_of(const json_t *v);
/* True for [a-z][a-z0-9_]{0,max-1}. */
bool wf_ident_ok(const char *s, size_t max);

/* ------------------------------------------------------------- engine.c */

/* Own transaction unless the caller has one; wf_tx_end commits or rolls
 * back an own one and keeps rc's detail. */
ws_err wf_tx_begin(store_conn *c, bool *own);
ws_err wf_tx_end(store_conn *c, bool own, ws_err rc);
/* by's audit actor, or "system". Static or borrowed. */
const audit_actor *wf_who(const wf_actor *by);
/* Version of key (0 = latest) parsed, from the cache; *stored (may be NULL)
 * false for a compiled default not written yet. Release with
 * wf_def_release. */
ws_err wf_def_load(store_conn *c, const char *key, int version, wf_def **out, bool *stored);
void wf_def_release(wf_def *d);
/* Write key's compiled default as version 1 when nothing is stored. */
ws_err wf_materialise(store_conn *c, const audit_actor *who, const char *key);
/* Append a timeline entry with its audit leaf (detail may be NULL). */
ws_err wf_event(store_conn *c, const audit_actor *who, int64_t inst, int64_t at, const char *kind,
                const char *action, const char *from, const char *to, const json_t *detail);
/* May subject s (NULL = trusted) act under allow on an instance with data at
 * unit_path? WS_ENOTFOUND outside the scope, WS_EFORBIDDEN otherwise. */
ws_err wf_may(store_conn *c, const auth_subject *s, const wf_allow *a, const json_t *data,
              const char *unit_path, const char *what);
/* A field spec as the pages see it (new reference). */
json_t *wf_field_json(const wf_field *f);

#endif
