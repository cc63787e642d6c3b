/* q_alarmrule.h — named queries of the alarm rule sets (src/alarm/ruleset.c);
 * the schema is migration 14 of src/store/migrations.c.
 *
 * Column order of the row-returning queries (ruleset.c relies on it):
 *   set rows: id (the version), comment, created_by_person_id, created_at,
 *             active, doc  (LIST leaves doc out) */
#ifndef WS_Q_ALARMRULE_H
#define WS_Q_ALARMRULE_H

extern const char Q_ALARMRULE_LIST[];         /* -> set rows without doc, by version */
extern const char Q_ALARMRULE_GET[];          /* $1 version -> set row */
extern const char Q_ALARMRULE_ACTIVE[];       /* -> the active set row */
extern const char Q_ALARMRULE_NEXT_VERSION[]; /* -> max(version) + 1 */
extern const char Q_ALARMRULE_INSERT[];       /* $1 version, $2 doc, $3 comment, $4 person (NULL),
                                                 $5 created_at, $6 active */
extern const char Q_ALARMRULE_SEED[];         /* the same, ON CONFLICT DO NOTHING -> id when
                                                 inserted */
extern const char Q_ALARMRULE_OTHER_ACTIVE[]; /* $1 version -> ids of other active rows */
extern const char Q_ALARMRULE_SET_ACTIVE[];   /* $1 version, $2 active 0/1 */

#endif
