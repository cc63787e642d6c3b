/* q_warn.h — named queries of the early-warning engine (src/warn): alarms,
 * their events, and the alarm API's reads. */
#ifndef WS_STORE_Q_WARN_H
#define WS_STORE_Q_WARN_H

extern const char Q_ALARM_UPSERT[];
extern const char Q_ALARM_EVENT_INSERT[];
extern const char Q_ALARM_OPEN_DOCS[];
extern const char Q_ALARM_POINT_SRC_MS[];
extern const char Q_ALARM_COUNTERS[];
extern const char Q_ALARM_LIST[];
extern const char Q_ALARM_LEDGER[];
extern const char Q_ALARM_GET[];
extern const char Q_ALARM_EVENTS[];
extern const char Q_ALARM_PICTURE_INSERT[];
extern const char Q_ALARM_PICTURES[];
extern const char Q_ALARM_CTX_AREA[];    /* $1 unit -> id, name, path of the nearest area at or above it */
extern const char Q_ALARM_CTX_PERMITS[]; /* $1 path, $2 limit -> active/suspended permits under it */
extern const char Q_ALARM_TITLE[]; /* $1 alarm id -> title */

/* An alarm event a that (re)announced its alarm to the operator: a raise, a
 * reactivation, or an unshelving back to unacknowledged. Time to
 * acknowledge counts from the last one before the acknowledgement (the KPI
 * page and the 报警记录台账 alike). */
#define Q_ANNUNCIATION(a) \
    "(" a ".kind IN ('raise', 'reactivate') OR (" a ".kind = 'unshelve' AND " a ".state_to = 'unack'))"

#endif
