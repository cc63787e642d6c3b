/* patrol_int.h — what the files of src/patrol share (not for other modules). */
#ifndef WS_PATROL_INT_H
#define WS_PATROL_INT_H

#include "audit/audit.h"
#include "patrol/patrol.h"

extern const audit_entity PATROL_TEMPLATE_ENTITY, PATROL_POINT_ENTITY, PATROL_ROTA_ENTITY,
    PATROL_ENTITY, PATROL_STOP_ENTITY;

/* The fields of a patrol row the checks need. */
typedef struct patrol_row {
    int64_t id, grid_unit_id, rota_id, window_start, window_end, assignee_person_id;
    char kind[8], state[16], day[11];
    char path[AUTH_PATH_MAX];
} patrol_row;

/* Load patrol id (WS_ENOTFOUND "id"); *json (may be NULL) gets it as the API shows it. */
ws_err patrol_load(store_conn *c, int64_t id, patrol_row *r, json_t **json);
/* WS_OK when the subject may record checks of the patrol (action patrol.do
 * in scope, then the assignee, a member or leader of the grid for own
 * patrols, or an admin, manager or safety officer); 404/403 otherwise. */
ws_err patrol_may_check(store_conn *c, const auth_subject *s, const patrol_row *r);
json_t *patrol_time_json(int64_t ms);

#endif
