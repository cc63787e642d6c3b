/* response.c — alarm response cards (response.h): one per point in
 * alarm_responses (migration 29), written whole (PUT), each write with its
 * evidence-log leaf in the same transaction. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/q_response.h"
#include "telemetry/point.h"
#include "telemetry/response.h"

static const audit_col response_cols[] = {
    {"id", AC_INT},           {"cause", AC_TEXT},        {"consequence", AC_TEXT},
    {"action", AC_TEXT},      {"response_min", AC_INT},  {"updated_by_person_id", AC_INT},
    {"updated_at", AC_INT},
};
const audit_entity POINT_ENTITY_RESPONSE = {"alarm_response", "alarm_responses", response_cols,
                                            (int)(sizeof response_cols / sizeof response_cols[0])};

static void read_card(store_stmt *st, int c, point_response *out)
{
    snprintf(out->cause, sizeof out->cause, "%s", store_col_text(st, c));
    snprintf(out->consequence, sizeof out->consequence, "%s", store_col_text(st, c + 1));
    snprintf(out->action, sizeof out->action, "%s", store_col_text(st, c + 2));
    out->response_min = (int)store_col_int(st, c + 3);
    out->updated_by_person_id = store_col_opt_int(st, c + 4);
    out->updated_at = store_col_int(st, c + 5);
}

ws_err point_response_get(store_conn *c, int64_t point_id, point_response *out)
{
    memset(out, 0, sizeof *out);
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_RESPONSE_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, point_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        out->point_id = point_id;
        read_card(st, 0, out);
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "response", "the point has no alarm response card yet");
    return rc;
}

ws_err point_response_of_alarm(store_conn *c, int64_t alarm_id, point_response *out, bool *found)
{
    memset(out, 0, sizeof *out);
    *found = false;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_RESPONSE_OF_ALARM, &st);
    if (!rc) rc = store_bind_int(st, 1, alarm_id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        out->point_id = store_col_int(st, 0);
        read_card(st, 1, out);
        *found = true;
    }
    store_finalize(st);
    return rc;
}

ws_err point_response_put(store_conn *c, const org_caller *by, int64_t point_id, const point_response_in *in,
                          bool *written)
{
    if (written) *written = false;
    ws_err rc = point_writable(c, by, point_id);
    if (rc) return rc;
    if ((rc = point_text_check(in->cause, "cause", RESPONSE_TEXT_MAX, false, true)) ||
        (rc = point_text_check(in->consequence, "consequence", RESPONSE_TEXT_MAX, false, true)) ||
        (rc = point_text_check(in->action, "action", RESPONSE_ACTION_MAX, true, true)))
        return rc;
    if (in->response_min < 1 || in->response_min > RESPONSE_MIN_MAX)
        return ws_fail(WS_EINVAL, "response_min", "response_min must be a whole number of minutes from 1 to %d",
                       RESPONSE_MIN_MAX);
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    point_response old;
    ws_err had = point_response_get(c, point_id, &old);
    if (had != WS_OK && had != WS_ENOTFOUND) return store_tx_finish(c, own, had);
    ws_err_clear();
    const char *cause = in->cause ? in->cause : "", *conseq = in->consequence ? in->consequence : "";
    if (!had && old.response_min == in->response_min && !strcmp(old.action, in->action) &&
        !strcmp(old.cause, cause) && !strcmp(old.consequence, conseq))
        return store_tx_finish(c, own, WS_OK); /* the same card: nothing to write */
    store_stmt *st = NULL;
    int64_t person = by && by->subject ? by->subject->person_id : 0;
    rc = store_prepare(c, Q_RESPONSE_PUT, &st);
    if (!rc) rc = store_bind_int(st, 1, point_id);
    if (!rc) rc = store_bind_text(st, 2, cause);
    if (!rc) rc = store_bind_text(st, 3, conseq);
    if (!rc) rc = store_bind_text(st, 4, in->action);
    if (!rc) rc = store_bind_int(st, 5, in->response_min);
    if (!rc) rc = person > 0 ? store_bind_int(st, 6, person) : store_bind_null(st, 6);
    if (!rc) rc = store_bind_int(st, 7, clock_now_ms());
    bool row = false;
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) {
        audit_actor sys = {"system"};
        rc = audit_record(c, by && by->actor ? by->actor : &sys, &POINT_ENTITY_RESPONSE, point_id,
                          had ? "create" : "update", NULL);
    }
    rc = store_tx_finish(c, own, rc);
    if (!rc && written) *written = true;
    return rc;
}
