/* q_alarmkpi.h — named queries of the alarm KPIs (src/api/api_alarmkpi.c,
 * GET /api/v1/alarms/kpi): ISA-18.2 / EEMUA 191 figures per area (the
 * alarm's unit, standing for one operator position) and per person, read
 * from the tables of migration 12 (alarms, alarm_events).
 *
 * Every query takes $1 the unit path prefix (the caller's scope, or the
 * chosen unit's path), $2 from and $3 to (ms UTC, [from, to)). An
 * annunciation is what the alarm core counts for floods: a new alarm
 * (raise), a reactivation, or an un-shelve of an active alarm (state_to
 * unack). Periods are 10 minutes counted from $2. */
#ifndef WS_Q_ALARMKPI_H
#define WS_Q_ALARMKPI_H

/* $4 group (1 unit: annunciations of the unit; 2 person: acknowledgements by
 * the person, 0 for none) -> group id, period index, count; only periods
 * with at least one. Ordered by group. */
extern const char Q_AKPI_RATE[];
/* -> unit_id, level, new alarms raised in the window */
extern const char Q_AKPI_RAISED[];
/* $1 path prefix only -> unit_id, alarms open now */
extern const char Q_AKPI_OPEN[];
/* Time to acknowledge: each ack in the window, measured from the latest
 * annunciation of its alarm before it. $4 group (0 all, 1 unit, 2 person)
 * -> group id, n, sum ms, p90 ms (nearest rank), max ms. */
extern const char Q_AKPI_TTA[];
/* Time to close: alarms closed in the window, closed_at - raised_at; $4 as
 * Q_AKPI_TTA (person: who closed) -> group id, n, sum ms, p90 ms, max ms. */
extern const char Q_AKPI_TTC[];

/* The alarms (identity: rule_id, source_id) annunciated in the window, most
 * often first -> rule_id, source_id, annunciations, chattering (1 when any
 * three of them fell within 60 s), the last one's time, and of the newest
 * alarm row of the identity: id, title, unit_id, point_id, level, and 1
 * when that point has a response card. */
extern const char Q_AKPI_FREQUENT[];
/* Acknowledged within the response card's time limit: acks in the window
 * of alarms whose point has a card (telemetry/response.h), each measured as
 * Q_AKPI_TTA against the card's response_min (as it is now). $4 group as
 * Q_AKPI_TTA -> group id, acks, of them in time. */
extern const char Q_AKPI_ONTIME[];
/* Stale alarms: $1 path prefix, $2 a time -> open alarms still in alarm
 * (unack or acked, not returned to normal nor shelved) whose latest
 * annunciation (or raise) is at or before $2, oldest first: id, title,
 * unit_id, point_id, level, state, since. */
extern const char Q_AKPI_STALE[];

#endif
