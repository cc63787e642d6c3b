/* permit_int.h — private to src/permit: the service object, the row and
 * audit helpers permit.c shares with the actions (act.c), the timer and gas
 * link (svc.c), conflicts (conflict.c), certificates and packages
 * (register.c) and the compliance report (report.c). */
#ifndef WS_PERMIT_INT_H
#define WS_PERMIT_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "permit/permit.h"

extern const audit_entity PERMIT_ENTITY_EVENT; /* "permit_event" (the timeline) */

#define PERMIT_MAX_PROFILES 8
#define PERMIT_TICK_PAGE 256    /* open permits read per query of a timer pass */
#define PERMIT_LINKED_MAX 4096  /* permits the 1 s gas pass watches */

struct permit_svc {
    permit_config cfg;
    pthread_mutex_t mu;                        /* profiles, calendar */
    pr_profile *profiles[PERMIT_MAX_PROFILES]; /* the compiled-in ones, parsed once */
    size_t nprofiles;
    pr_calendar *cal;                          /* built-in years + the stored ones */
    bool cal_stale;                            /* a year was loaded: rebuild */
    int64_t started_ms;                        /* linked detectors' silence counts from here at most */
    int64_t *linked;                           /* active/suspended permits with gas points (timer only) */
    size_t nlinked;
    atomic_bool relink;                        /* a permit entered active: rebuild linked next second */
    pthread_t thread;
    bool thread_on;
    atomic_bool stop;
    pthread_mutex_t wait_mu;
    pthread_cond_t wait_cv;
};

typedef struct permit_bind {
    bool is_text;
    int64_t i;
    const char *s;
} permit_bind;
#define PB_INT(v) {false, (v), NULL}
#define PB_TEXT(v) {true, 0, (v)}

void permit_copy(char *dst, size_t cap, const char *src);
const char *permit_actor(const org_caller *by);
/* auth_decide on the unit path (trusted callers pass). */
ws_err permit_allow(const org_caller *by, const char *action, const char *path);
ws_err permit_text(const char *s, const char *field, size_t max, bool required);
bool permit_terminal(const char *state);
bool permit_state_known(const char *state); /* one of the states drawn in permit.h */
ws_err permit_param(store_conn *c, const char *name, char *out, size_t cap);
int permit_tz_offset(const char *tz, int64_t ms);
/* An active person of enterprise ent (field names the member on refusal). */
ws_err permit_person(store_conn *c, int64_t id, int64_t ent, const char *field, org_person *out);

/* A permit row (the column order of q_permit.h) into p; caller frees. */
void permit_row_read(store_stmt *st, permit_row *p);
/* Up to max rows of a permit-row query with binds b; caller frees. */
ws_err permit_rows(store_conn *c, const char *sql, const permit_bind *b, int nb, permit_row **out,
                   size_t *n, size_t max);
void permit_rows_free(permit_row *rows, size_t n);
/* The permit for an action needing perm; 404 outside the scope. Caller frees. */
ws_err permit_for(store_conn *c, const org_caller *by, int64_t id, const char *perm, permit_row *p);
/* Rewrite the row with a timeline entry and both audit leaves (caller's tx). */
ws_err permit_save(store_conn *c, const org_caller *by, const permit_row *p, const char *kind,
                   const char *from, const json_t *detail, int64_t now);
ws_err permit_event(store_conn *c, const org_caller *by, int64_t permit_id, int64_t at, const char *kind,
                    const char *from, const char *to, const json_t *detail);

/* The statutory measures of a type (NULL-terminated, static). */
const char *const *permit_statutory_measures(pr_type t);
bool permit_needs_gas(pr_type t);

/* The snapshot the rules see (row + certificate register + served permit). */
ws_err permit_snapshot(store_conn *c, const permit_row *p, pr_permit *x);
/* pr_check of the permit under its profile and the calendar. */
ws_err permit_check(permit_svc *s, store_conn *c, const permit_row *p, int64_t now, pr_stage stage,
                    pr_report *r);
/* The parsed profile key (falls back to the one in force, then the default)
 * and the calendar; borrowed from s, valid until permit_close. */
ws_err permit_rules_of(permit_svc *s, store_conn *c, const char *key, const pr_profile **pf,
                       const pr_calendar **cal);

/* A year of the calendar was loaded: rebuild it at the next check. */
void permit_calendar_changed(permit_svc *s);
/* One timer pass: every second the linked gas detectors of the permits that
 * have them; full (every 5 s, and after permit_relink) every open permit:
 * RUNNING rules and windows, and the list of linked permits is rebuilt. */
ws_err permit_tick_at(permit_svc *s, int64_t now, bool full, int *changed);
/* A permit entered active: its detectors are watched from the next second. */
void permit_relink(permit_svc *s);

/* A drawn signature (signature_attachment_id in body, an image attachment
 * the caller uploaded) recorded in doc.signatures[role]; none given: OK. */
ws_err permit_signature(store_conn *c, const org_caller *by, const json_t *body, json_t *doc,
                        const char *role, int64_t now);

/* Simultaneous operations: the permits of p's unit overlapping its window
 * that conflict with it, as JSON [{permit_id, code, type, state, verdict,
 * note, resolved}] (new reference); *blocking the first unresolved one's
 * index or -1. active_only: only active and suspended permits count. */
ws_err permit_conflicts_of(store_conn *c, const permit_row *p, bool active_only, json_t **out,
                           int *blocking);

#endif
