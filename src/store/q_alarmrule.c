/* q_alarmrule.c — SQL of q_alarmrule.h (alarm rule sets, migration 14). */
#include "store/q_alarmrule.h"

#define SET_COLS "id, comment, created_by_person_id, created_at, active"

const char Q_ALARMRULE_LIST[] = "SELECT " SET_COLS " FROM alarm_rule_sets ORDER BY id";
const char Q_ALARMRULE_GET[] = "SELECT " SET_COLS ", doc FROM alarm_rule_sets WHERE id = $1";
const char Q_ALARMRULE_ACTIVE[] =
    "SELECT " SET_COLS ", doc FROM alarm_rule_sets WHERE active = 1 ORDER BY id LIMIT 1";
const char Q_ALARMRULE_NEXT_VERSION[] = "SELECT coalesce(max(id), 0) + 1 FROM alarm_rule_sets";
const char Q_ALARMRULE_INSERT[] =
    "INSERT INTO alarm_rule_sets (id, doc, comment, created_by_person_id, created_at, active) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
const char Q_ALARMRULE_SEED[] =
    "INSERT INTO alarm_rule_sets (id, doc, comment, created_by_person_id, created_at, active) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id";
const char Q_ALARMRULE_OTHER_ACTIVE[] =
    "SELECT id FROM alarm_rule_sets WHERE active = 1 AND id <> $1";
const char Q_ALARMRULE_SET_ACTIVE[] = "UPDATE alarm_rule_sets SET active = $2 WHERE id = $1";
