/* q_permit.h — named queries of the special-work permits (src/permit); the
 * schema is migration 16 of src/store/migrations.c.
 *
 * Column order of permit rows (permit.c reads them):
 *   id, unit_id, package_id, code, type, grade, state, profile, title,
 *   location, planned_start, planned_end, applicant_person_id,
 *   guardian_person_id, serves_permit_id, activated_at, suspended_at,
 *   closed_at, reason, doc, created_by, created_at, updated_at,
 *   unit path, unit tz
 * Certificate rows: id, person_id, type, number, issued_on, expires_at,
 *   authority, revoked, created_at, updated_at, person name, unit path. */
#ifndef WS_Q_PERMIT_H
#define WS_Q_PERMIT_H

extern const char Q_PERMIT_PARAM[];        /* $1 name -> value */
extern const char Q_PERMIT_PARAM_SET[];    /* $1 name, $2 value */

extern const char Q_PERMIT_INSERT[];       /* $1 unit, $2 package, $3 code, $4 type, $5 grade, $6 profile,
                                              $7 title, $8 location, $9 start, $10 end, $11 applicant,
                                              $12 guardian, $13 serves, $14 doc, $15 created_by, $16 now -> id */
extern const char Q_PERMIT_UPDATE[];       /* $1 id, $2 package, $3 grade, $4 state, $5 title, $6 location,
                                              $7 start, $8 end, $9 guardian, $10 serves, $11 activated,
                                              $12 suspended, $13 closed, $14 reason, $15 doc, $16 now */
extern const char Q_PERMIT_GET[];          /* $1 id -> permit row */
extern const char Q_PERMIT_NEXT_SEQ[];     /* $1 code prefix "DH-20261129-" -> count of codes with it */
extern const char Q_PERMIT_LIST[];         /* $1 scope, $2 unit (subtree) or 0, $3 cursor, $4 limit,
                                              $5 state ('' any, 'open'), $6 type, $7 package, $8 from, $9 to */
extern const char Q_PERMIT_OVERLAP[];      /* $1 unit, $2 start, $3 end, $4 self id, $5 self type,
                                              $6 1 = only active and suspended, $7 limit -> permit rows
                                              (then verdict, note) of that unit, open and past draft,
                                              whose window overlaps and whose type pair is in the
                                              conflict matrix */
extern const char Q_PERMIT_DUE[];          /* $1 after id, $2 limit -> ids of open permits past draft */
extern const char Q_PERMIT_REPORT[];       /* $1 scope, $2 unit or 0, $3 from, $4 to, $5 limit -> permit rows */

extern const char Q_PERMIT_EVENT_INSERT[]; /* $1 permit, $2 at, $3 kind, $4 from, $5 to, $6 actor, $7 detail */
extern const char Q_PERMIT_EVENTS[];       /* $1 permit -> id, at, kind, from_state, to_state, actor, detail */

extern const char Q_PACKAGE_INSERT[];      /* $1 unit, $2 title, $3 created_by, $4 now -> id */
extern const char Q_PACKAGE_ASSESS[];      /* $1 id, $2 text, $3 person, $4 now */
extern const char Q_PACKAGE_GET[];         /* $1 id -> id, unit_id, title, joint_assessment,
                                              assessed_by_person_id, assessed_at, created_by, created_at,
                                              updated_at, unit path */

extern const char Q_CERT_INSERT[];         /* $1 person, $2 type, $3 number, $4 issued_on, $5 expires,
                                              $6 authority, $7 revoked, $8 now -> id */
extern const char Q_CERT_REVOKE[];         /* $1 id, $2 now */
extern const char Q_CERT_GET[];            /* $1 id -> certificate row */
extern const char Q_CERT_BY_NUMBER[];      /* $1 type, $2 number -> certificate row */
extern const char Q_CERT_OF_PERSON[];      /* $1 person, $2 type -> certificate rows, latest expiry first */
extern const char Q_CERT_LIST[];           /* $1 scope, $2 person or 0, $3 cursor, $4 limit -> rows */

extern const char Q_CONFLICT_GET[];        /* $1 type_a, $2 type_b (sorted) -> verdict, note */
extern const char Q_CONFLICT_LIST[];       /* -> type_a, type_b, verdict, note */
extern const char Q_CONFLICT_CLEAR[];
extern const char Q_CONFLICT_INSERT[];     /* $1 a, $2 b, $3 verdict, $4 note */

extern const char Q_PERMIT_LEAF[];         /* $1 permit id -> seq, leaf_hash, ts of its newest audit leaf */

extern const char Q_CALENDAR_LIST[];       /* -> year, doc, loaded_by, loaded_at */
extern const char Q_CALENDAR_PUT[];        /* $1 year, $2 doc, $3 by, $4 now (upsert) */

#endif
