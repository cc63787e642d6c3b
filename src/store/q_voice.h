/* q_voice.h — named queries of the anonymous reports (src/voice); the schema
 * is migration 18 of src/store/migrations.c.
 *
 * Report rows: id, unit_id, category, body, photo_ids, state, validity,
 *   due_at, escalations, next_escalation_at, first_reply_at, rating,
 *   hazard_id, revealed_person_id, created_at, updated_at, unit path,
 *   unit name, unit leader person id.
 * Message rows: id, author, account_id, body, created_at. */
#ifndef WS_Q_VOICE_H
#define WS_Q_VOICE_H

extern const char Q_VOICE_PARAM[];          /* $1 name -> value */
extern const char Q_VOICE_PARAMS[];         /* -> name, value */
extern const char Q_VOICE_PARAM_SET[];      /* $1 name, $2 value */

/* Units a reporter may choose: enterprises, sites, areas and workshops,
 * active -> id, name, kind, enterprise id, enterprise name */
extern const char Q_VOICE_PUBLIC_UNITS[];
extern const char Q_VOICE_PUBLIC_UNIT[];    /* $1 id -> id (when it may be chosen) */

extern const char Q_VOICE_INSERT[];         /* $1 code_hash, $2 unit, $3 category, $4 body, $5 photo_ids,
                                               $6 due_at, $7 now -> id */
extern const char Q_VOICE_GET[];            /* $1 id -> report row */
extern const char Q_VOICE_BY_CODE[];        /* $1 code_hash -> report row */
extern const char Q_VOICE_LIST[];           /* $1 path, $2 state ('' any, 'overdue'), $3 cursor (0 = newest),
                                               $4 limit, $5 now -> report rows, newest first */
extern const char Q_VOICE_SET_STATE[];      /* $1 id, $2 state, $3 next_escalation_at, $4 first_reply_at,
                                               $5 now */
extern const char Q_VOICE_SET_RATING[];     /* $1 id, $2 rating, $3 now */
extern const char Q_VOICE_SET_VALIDITY[];   /* $1 id, $2 validity, $3 now */
extern const char Q_VOICE_SET_HAZARD[];     /* $1 id, $2 hazard, $3 now */
extern const char Q_VOICE_SET_REVEALED[];   /* $1 id, $2 person, $3 now */
extern const char Q_VOICE_ESCALATE[];       /* $1 id, $2 next_escalation_at, $3 now */
extern const char Q_VOICE_DUE[];            /* $1 now, $2 limit -> ids of open reports due an escalation */
extern const char Q_VOICE_STATS[];          /* $1 path, $2 now -> open, overdue, answered, closed */

/* The demo only: a report sent earlier ($2 created_at, $3 due_at). */
extern const char Q_VOICE_BACKDATE[];       /* $1 id, $2 created_at, $3 due_at */

extern const char Q_VOICE_MSG_INSERT[];     /* $1 report, $2 author, $3 account, $4 body, $5 now -> id */
extern const char Q_VOICE_MSGS[];           /* $1 report -> message rows, oldest first */

#endif
