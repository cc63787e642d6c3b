/* voice.h — anonymous reports (匿名举报): a public door that needs no account,
 * answered by the safety staff within a deadline that escalates when missed
 * (docs/internals/voice.md).
 *
 *   voice_submit (public) ─► row (code hash only) ─► photos (EXIF stripped) ─► leaves ─► receipt code, shown once
 *   voice_follow / voice_message / voice_rate (public, by receipt code)
 *   voice_reply / voice_judge / voice_to_hazard (staff with voice.answer, in scope)
 *   voice_tick (timer) ─► open reports past their due time escalate up the unit
 *                         chain through the notification outbox
 *
 *     open ──reply──► answered ──reporter writes──► open (due again)
 *       │               │
 *       └──reply+close──┴──close──► closed (no more messages; rating stays possible)
 *
 * Invariants (tests/unit/test_voice.c and tests/integration/test_voice.c):
 *  1. Nothing that identifies the sender is stored or logged: no address, user
 *     agent, cookie or account id; photos are re-encoded without metadata and
 *     their rows name no uploader and no file name; the actor of every leaf
 *     is "anonymous". The rate limiter keeps, in memory only, keyed HMACs of
 *     addresses under a key that changes every hour and is never written.
 *  2. The receipt code (100 random bits) is returned once; the row keeps only
 *     its SHA-256, so the database alone does not open anyone's report.
 *  3. A report is due a staff reply reply_hours (voice_params, 72 by default)
 *     after it is sent, or after the reporter writes again; each missed due
 *     time escalates one level up (the unit's leader, then each parent's) and
 *     sets the next one escalate_every_hours later, until a staff reply.
 *  4. Every change has its leaf in the same transaction. */
#ifndef WS_VOICE_H
#define WS_VOICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "store/store.h"
#include "workflow/workflow.h"

#define VOICE_TEXT_MAX 4000
#define VOICE_PHOTOS_MAX 3
#define VOICE_CODE_CHARS 20               /* Crockford base32: 100 bits */
#define VOICE_CODE_BUF 32                 /* "XXXX-XXXX-XXXX-XXXX-XXXX" + NUL */

extern const audit_entity VOICE_ENTITY_REPORT;  /* "voice_report" */
extern const audit_entity VOICE_ENTITY_MESSAGE; /* "voice_message" */

ws_err voice_init(void);

/* The categories a reporter chooses from: [{key, name}] (static table). */
json_t *voice_categories(void);
/* Units a reporter may choose (caller owns): [{id, name, kind, enterprise_id,
 * enterprise}] — enterprises, sites, areas and workshops that are active;
 * grids and people are never listed. */
ws_err voice_public_units(store_conn *c, json_t **out);

/* ---------------------------------------------------------- public side */

/* Admission under the rate limits, before anything is read or written:
 * WS_ERATE when the source (peer, hashed in memory under the hour's key) or
 * everyone together sent too many in this hour. kind: 's' a submission,
 * 'f' a follow-up lookup. */
ws_err voice_admit(store_conn *c, const char *peer, char kind, int64_t now);

typedef struct voice_photo {
    const void *data;
    size_t len;
} voice_photo;

typedef struct voice_in {
    int64_t unit_id;
    const char *category, *text;
    const voice_photo *photos;
    size_t n_photos;
} voice_in;

/* Send a report: validated (fields named), photos stored without metadata
 * (images only: JPEG, PNG, WebP), row and leaves in one transaction. code
 * gets the receipt code (the only copy); *id may be NULL. */
ws_err voice_submit(store_conn *c, const voice_in *in, char code[VOICE_CODE_BUF], int64_t *id);

/* The report as its reporter sees it (caller owns): unit, category, text,
 * state, due time, messages (staff shown as the safety office, never by
 * name), rating, validity, the hidden danger's code, points. WS_ENOTFOUND for
 * an unknown code (the same for a malformed one). */
ws_err voice_follow(store_conn *c, const char *code, json_t **out);
/* The reporter writes again (not after close): due again in reply_hours. */
ws_err voice_message(store_conn *c, const char *code, const char *text);
/* The reporter rates the answer 1..5, once, after a staff reply. */
ws_err voice_rate(store_conn *c, const char *code, int64_t rating);
/* The report id of a receipt code (WS_ENOTFOUND when unknown). */
ws_err voice_report_of(store_conn *c, const char *code, int64_t *id);
/* The reporter, signed in as s (with a person), reveals themselves: the
 * report records the person and its points move to them (bank_reveal). */
ws_err voice_reveal(store_conn *c, const audit_actor *who, const auth_subject *s, const char *code,
                    int64_t *moved);

/* ----------------------------------------------------------- staff side */

/* Reports under path (already inside the caller's scope), newest first;
 * state "" any, "open", "answered", "closed" or "overdue". *items caller
 * owns; *next the cursor of the next page (0 none). */
ws_err voice_list(store_conn *c, const char *path, const char *state, int64_t cursor, int limit,
                  json_t **items, int64_t *next);
/* Counts under path: open, overdue, answered, closed. */
ws_err voice_stats(store_conn *c, const char *path, json_t **out);
/* One report with its messages (staff names shown), WS_ENOTFOUND outside
 * the subject's voice.read scope. */
ws_err voice_get(store_conn *c, const auth_subject *s, int64_t id, json_t **out);

typedef struct voice_caller {
    const audit_actor *actor;
    const auth_subject *subject; /* checked with voice.answer on the report's unit */
} voice_caller;
/* A staff reply (1..VOICE_TEXT_MAX bytes); close ends the conversation. */
ws_err voice_reply(store_conn *c, const voice_caller *by, int64_t id, const char *text, bool close);
/* Judge the report valid or not (once it is valid it stays so); valid pays
 * the report's receipt code the "voice_valid" rule's points. */
ws_err voice_judge(store_conn *c, const voice_caller *by, int64_t id, bool valid);
/* Turn the report into a hidden danger (hazard_report, source "anonymous",
 * the report's unit, text and photos; accident_type a GB 6441 code, title
 * NULL = from the text). The report links to it; WS_ECONFLICT when it already
 * has one. */
ws_err voice_to_hazard(store_conn *c, const voice_caller *by, int64_t id, const char *title,
                       const char *accident_type, int64_t *hazard_id);

/* ---------------------------------------------------------------- timer */

/* Escalate every open report whose due time has passed (invariant 3),
 * telling the unit chain's leader through every active channel. */
ws_err voice_tick(store_conn *c, int64_t now, int *escalated);

/* ------------------------------------------------------------ settings */

/* {"reply_hours","escalate_every_hours","source_per_hour","global_per_hour"} */
ws_err voice_params_json(store_conn *c, json_t **out);
/* Set one (reply_hours 1..720, escalate_every_hours 1..720, the rate limits
 * 1..100000); an event leaf records it. */
ws_err voice_param_set(store_conn *c, const audit_actor *who, const char *name, int64_t value);

/* The demo: a few reports (answered, overdue, turned into a hazard), a
 * catalogue, points earned and a redemption. */
struct org_demo_ids;
/* codes (may be NULL) gets the receipt codes of the demo reports with a
 * word of their state ("answered", …) in states, at most cap; *n the count. */
ws_err voice_demo_seed(store_conn *c, const audit_actor *who, const struct org_demo_ids *ids,
                       char (*codes)[VOICE_CODE_BUF], const char **states, int cap, int *n);

#endif
