/* q_response.c — SQL of the alarm response cards (see q_response.h). */
#include "store/q_response.h"

#define RESPONSE_COLS "r.cause, r.consequence, r.action, r.response_min, r.updated_by_person_id, r.updated_at"

const char Q_RESPONSE_GET[] = "SELECT " RESPONSE_COLS " FROM alarm_responses r WHERE r.id = $1";

const char Q_RESPONSE_PUT[] =
    "INSERT INTO alarm_responses (id, cause, consequence, action, response_min, updated_by_person_id, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
    "cause = excluded.cause, consequence = excluded.consequence, action = excluded.action, "
    "response_min = excluded.response_min, updated_by_person_id = excluded.updated_by_person_id, "
    "updated_at = excluded.updated_at";

const char Q_RESPONSE_OF_ALARM[] =
    "SELECT r.id, " RESPONSE_COLS " FROM alarms a JOIN alarm_responses r ON r.id = a.point_id WHERE a.id = $1";

const char Q_RESPONSE_LIMITS[] = "SELECT id, response_min FROM alarm_responses ORDER BY id";
