/* q_response.h — SQL of the alarm response cards (src/telemetry/response.c;
 * table alarm_responses of migration 29). */
#ifndef WS_Q_RESPONSE_H
#define WS_Q_RESPONSE_H

/* $1 point id -> cause, consequence, action, response_min,
 * updated_by_person_id, updated_at */
extern const char Q_RESPONSE_GET[];
/* $1 point id, $2 cause, $3 consequence, $4 action, $5 response_min,
 * $6 updated_by_person_id (NULL none), $7 updated_at: insert or replace */
extern const char Q_RESPONSE_PUT[];
/* $1 alarm id -> the card of the alarm's point: as Q_RESPONSE_GET, with the
 * point's id first */
extern const char Q_RESPONSE_OF_ALARM[];

/* -> point id, response_min of every card, by point id (the engine's
 * register: the escalation of its alarms) */
extern const char Q_RESPONSE_LIMITS[];

#endif
