/* q_workflow.h — named queries of the workflow engine (src/workflow):
 * definitions and their versions, instances, timeline events, and the few
 * organisation facts the engine reads (a person's posts, unit leaders).
 *
 * Column orders of the row-returning queries:
 *   def rows:      id, wf_key, version, body, digest, created_at, created_by
 *   instance rows: id, wf_key, def_version, unit_id, state, data, entered_at,
 *                  due_at, escalations, created_at, updated_at, unit path
 *   event rows:    id, at, kind, action, from_state, to_state, actor, detail
 *   unit rows:     id, parent_id, leader_person_id, path */
#ifndef WS_Q_WORKFLOW_H
#define WS_Q_WORKFLOW_H

/* Serialises definition saves (a meta row upsert holds a row lock on
 * PostgreSQL until the transaction ends). */
extern const char Q_WF_DEF_LOCK[];
extern const char Q_WF_DEF_LATEST[];   /* $1 key -> version (no row: none) */
extern const char Q_WF_DEF_GET[];      /* $1 key, $2 version -> def row */
extern const char Q_WF_DEF_INSERT[];   /* $1 key, $2 version, $3 body, $4 digest, $5 now,
                                          $6 created_by -> id */
extern const char Q_WF_DEF_LATEST_ALL[]; /* -> def rows, the latest version of each key */

extern const char Q_WF_INST_INSERT[];  /* $1 key, $2 version, $3 unit, $4 state, $5 data,
                                          $6 now, $7 due_at|NULL -> id */
extern const char Q_WF_INST_GET[];     /* $1 id -> instance row */
/* Optimistic move: only when state and updated_at are still $6 and $7. */
extern const char Q_WF_INST_MOVE[];    /* $1 id, $2 state, $3 data, $4 now, $5 due_at|NULL,
                                          $6 old state, $7 old updated_at */
extern const char Q_WF_INST_ESCALATE[]; /* $1 id, $2 due_at|NULL, $3 escalations, $4 now,
                                           $5 old escalations, $6 state */
extern const char Q_WF_INST_DUE[];     /* $1 now, $2 limit -> id */

extern const char Q_WF_EVENT_INSERT[]; /* $1 instance, $2 at, $3 kind, $4 action, $5 from,
                                          $6 to, $7 actor, $8 detail -> id */
extern const char Q_WF_EVENT_LIST[];   /* $1 instance -> event rows, oldest first */

extern const char Q_WF_PERSON_POSTS[]; /* $1 person -> post code of each active post */
extern const char Q_WF_PERSON_ACTIVE[]; /* $1 person -> active */
extern const char Q_WF_UNIT[];         /* $1 unit -> unit row */

#endif
