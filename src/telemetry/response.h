/* response.h — alarm response cards (报警处置卡): for each point, what the
 * person who gets its alarm should know and do — the likely cause, the
 * consequence of not acting, the action step by step, and the time within
 * which to act (ISA-18.2's alarm response procedure; the 应急处置卡 of a
 * chemical plant's posts). The alarm detail, the acknowledge-link page and
 * the duty message carry it. docs/internals/telemetry.md "Alarm response
 * cards". */
#ifndef WS_TELEMETRY_RESPONSE_H
#define WS_TELEMETRY_RESPONSE_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/err.h"
#include "org/org.h"
#include "store/store.h"

#define RESPONSE_TEXT_MAX 500    /* cause, consequence: bytes */
#define RESPONSE_ACTION_MAX 2000 /* action: bytes, lines allowed */
#define RESPONSE_MIN_MAX 1440    /* response_min: 1 .. a day */

/* "alarm_response", id = the point's; registered by point_init */
extern const audit_entity POINT_ENTITY_RESPONSE;

typedef struct point_response {
    int64_t point_id;
    char cause[RESPONSE_TEXT_MAX + 1];
    char consequence[RESPONSE_TEXT_MAX + 1];
    char action[RESPONSE_ACTION_MAX + 1];
    int response_min;
    int64_t updated_by_person_id; /* 0 none */
    int64_t updated_at;
} point_response;

typedef struct point_response_in {
    const char *cause, *consequence; /* NULL or "": not known */
    const char *action;              /* required */
    int64_t response_min;            /* 1 .. RESPONSE_MIN_MAX */
} point_response_in;

/* The card of point_id: WS_ENOTFOUND naming "response" when it has none (no
 * permission check: callers decide on the point's unit). */
ws_err point_response_get(store_conn *c, int64_t point_id, point_response *out);
/* The card of the point of alarm alarm_id, if it has one: *found. */
ws_err point_response_of_alarm(store_conn *c, int64_t alarm_id, point_response *out, bool *found);
/* Write (create or replace) the card of point_id: point.write on the point's
 * unit (no such point or outside the scope: WS_ENOTFOUND naming "id");
 * refusals name the field. With its evidence-log leaf; a card the same as
 * the stored one writes nothing. *written (may be NULL): whether it wrote. */
ws_err point_response_put(store_conn *c, const org_caller *by, int64_t point_id, const point_response_in *in,
                          bool *written);

#endif
