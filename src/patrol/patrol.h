/* patrol.h — grid patrols (网格巡查) with proof at each point, and the
 * cross-supervision rota (交叉监督). Rank 7 (uses hazard, risk, plant,
 * notify, org, attach); SQL in src/store/q_patrol.c, schema migration 19,
 * REST in src/api/api_patrol.c, docs/internals/patrol.md.
 *
 * A patrol point is a place in a grid (a unit of kind grid) with a printed
 * QR code naming it (<origin>/patrol/scan/<code>), an optional GPS position
 * and radius, and whether a photo is required. Its check items come from a
 * checklist template and from the control measures of the risk objects in
 * the grid's subtree (a point that names a risk object takes that object's
 * measures; the measures of objects no point names go to the grid's first
 * point).
 *
 * The patrol day of a grid begins at the earliest start of the active
 * shifts of the grid or, when it has none, of its nearest ancestor with
 * shifts (plant), in the grid's zone; without shifts at local midnight. So
 * with shifts 08:00 and 20:00 the day of 2026-03-10 runs from 08:00 that
 * day to 08:00 the next, and a check at 02:00 belongs to the day before.
 *
 *   patrol_tick ─► every active grid with points: today's own patrol (slot
 *                  'own', assignee the grid leader) and the cross patrols of
 *                  the rota rows due that weekday (slot 'rota:<id>', assignee
 *                  the inspector grid's leader, the rota's template at every
 *                  point); INSERT .. ON CONFLICT DO NOTHING: idempotent
 *              ─► open patrols whose day ended PATROL_SYNC_GRACE_MS ago →
 *                  missed, escalated to the nearest ancestor unit leader
 *                  (not the assignee) through every notification channel,
 *                  recorded in escalated_to
 *
 *   states:  pending ─first check─► in_progress ─last stop─► done
 *            pending | in_progress ─timer (day over + grace)─► missed
 *
 * Proof at a point (patrol_check): a one-time nonce the server issued for
 * (patrol, point) — 'scan' (PATROL_SCAN_TTL_MS) fetched when the QR is
 * scanned, or 'offline', fetched for every stop when the patrol starts and
 * valid until the day ends plus the grace. Random (libsodium), stored as a
 * SHA-256, spent once. Refused (409, field "nonce"): unknown, used, for
 * another patrol, for another point, expired. Plus GPS against the point's
 * radius, a photo where required (400 "photo_ids"), and the time: the
 * server's on arrival, or for a check recorded offline the phone's
 * (client_time, within the day and after the nonce was issued), flagged
 * phone_time. An offline check without any nonce is accepted and recorded
 * as not proved by a nonce.
 *
 * Invariants (tests/unit/test_patrol.c asserts them):
 *  1. At most one patrol per (grid, day, slot); each stop once per patrol.
 *  2. A nonce is spent at most once, only for its patrol and point.
 *  3. A check writes the hazards of its failed items, their links, the stop,
 *     the patrol's state, the nonce's use and the audit leaves in one
 *     transaction: all or nothing.
 *  4. A missed patrol is escalated once. */
#ifndef WS_PATROL_H
#define WS_PATROL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/err.h"
#include "hazard/inspection.h"
#include "org/org.h"
#include "store/store.h"
#include "workflow/workflow.h"

#define PATROL_ITEMS_MAX 50
#define PATROL_ITEM_MAX 300          /* bytes of one check item */
#define PATROL_CODE_MAX 32
#define PATROL_NAME_MAX 100
#define PATROL_PHOTOS_MAX 10
#define PATROL_SCAN_TTL_MS (10 * 60000LL)      /* a scan nonce lives 10 minutes */
#define PATROL_SYNC_GRACE_MS (2 * 3600000LL)   /* offline checks arrive until day end + 2 h */
#define PATROL_SKEW_MS (5 * 60000LL)           /* a phone clock ahead of the server by more: refused */
#define PATROL_NONCE_LEN 43                    /* base64url of 32 random bytes */

ws_err patrol_init(void);

/* ------------------------------------------------------------ registers */

/* A checklist template of an enterprise: items a JSON array of 1..50 texts.
 * Permission patrol.admin on the enterprise. */
ws_err patrol_template_create(store_conn *c, const org_caller *by, int64_t enterprise_id,
                              const char *name, const json_t *items, int64_t *id);
/* Rename a template, replace its items, retire it (active false: refused
 * with WS_ECONFLICT on "active" while an active point or rota row uses it)
 * or bring it back. Permission patrol.admin on its enterprise. Patrols
 * already made keep the items they were made with. name or items NULL and
 * active < 0 leave that part as it is. *out (caller owns) is the template
 * as stored, when out is not NULL. */
ws_err patrol_template_update(store_conn *c, const org_caller *by, int64_t id, const char *name,
                              const json_t *items, int active, json_t **out);
/* Templates of enterprises in or above the path (caller owns *out). */
ws_err patrol_template_list(store_conn *c, const char *path, json_t **out);

typedef struct patrol_point_in {
    int64_t grid_unit_id;
    const char *code, *name;    /* code: 1..32 of A-Z a-z 0-9 - _, unique */
    int64_t template_id;        /* 0 none */
    int64_t risk_object_id;     /* 0 none; an object of the grid's subtree */
    bool has_gps;
    double lat, lon, radius_m;  /* radius 1..5000 m, 30 by default */
    bool photo_required;
} patrol_point_in;
/* Permission patrol.admin on the grid. */
ws_err patrol_point_create(store_conn *c, const org_caller *by, const patrol_point_in *in,
                           int64_t *id);
/* A change to a point; has_* says which members were sent. */
typedef struct patrol_point_patch {
    bool has_name, has_template, has_photo, has_active;
    const char *name;
    int64_t template_id;        /* 0 = none */
    bool photo_required, active;
} patrol_point_patch;
/* Rename a point, change its checklist or photo rule, retire it (active
 * false) or bring it back. Permission patrol.admin on its grid. The code,
 * grid and place stay (the printed QR names the code). A retired point is
 * left out of the patrols made from then on; patrols already made keep it. */
ws_err patrol_point_update(store_conn *c, const org_caller *by, int64_t id, const patrol_point_patch *in);
/* One point (caller owns); by id, or by code when id is 0. WS_ENOTFOUND
 * outside the subject's scope (subject NULL: no check). */
ws_err patrol_point_get_json(store_conn *c, const auth_subject *s, int64_t id, const char *code,
                             json_t **out);
ws_err patrol_point_list(store_conn *c, const char *path, int64_t grid, int64_t cursor, int limit,
                         json_t **items, int64_t *next);
/* The SVG of the point's QR code naming origin + "/patrol/scan/" + code
 * (origin "" gives a path only). Caller frees *svg. */
ws_err patrol_point_qr(store_conn *c, const auth_subject *s, int64_t id, const char *origin,
                       char **svg, size_t *len);

typedef struct patrol_rota_in {
    int64_t inspector_grid_id, target_grid_id, template_id;
    int weekdays; /* 1..127, bit 0 Monday; 0 means every day */
} patrol_rota_in;
/* Replace the active rota of the grids under unit_id with rows (n may be 0
 * to clear), or, when ring_template_id > 0 and n == 0, with a ring: the
 * grids under the unit by code, each grid's leader inspecting the next one
 * (the last the first) every day. A row in force that is the same as a new
 * one stays, with its id (today's cross patrol names it), the others are
 * retired. Permission patrol.admin on the unit and every grid named.
 * *count the rows in force under the unit afterwards. */
ws_err patrol_rota_set(store_conn *c, const org_caller *by, int64_t unit_id,
                       const patrol_rota_in *rows, size_t n, int64_t ring_template_id, int *count);
ws_err patrol_rota_list(store_conn *c, const char *path, json_t **out);

/* ----------------------------------------------------------------- days */

/* The patrol day holding instant at in the grid (days since 1970-01-01,
 * local) and its window [start, end) in UTC ms. */
ws_err patrol_day_of(store_conn *c, int64_t grid_unit_id, int64_t at, int64_t *day,
                     int64_t *start, int64_t *end);

/* One timer pass: today's patrols, then missed ones escalated. Counts may
 * be NULL. */
ws_err patrol_tick(store_conn *c, int64_t now, int *created, int *missed);

/* ------------------------------------------------------------- reading */

typedef struct patrol_filter {
    const char *path;      /* subtree, already inside the caller's scope */
    const char *state;     /* NULL any */
    const char *day;       /* YYYY-MM-DD or NULL */
    int64_t person_id;     /* > 0: assigned to, or own patrols of a grid they belong to */
    int64_t cursor;
    int limit;
} patrol_filter;
ws_err patrol_list(store_conn *c, const patrol_filter *f, json_t **items, int64_t *next);
/* One patrol with its stops (caller owns). WS_ENOTFOUND outside the scope. */
ws_err patrol_get_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out);
/* The patrol and stop a hazard was opened from (WS_ENOTFOUND when none). */
ws_err patrol_of_hazard(store_conn *c, int64_t hazard_id, int64_t *patrol_id, int64_t *stop_id);

/* --------------------------------------------------------------- proof */

/* A scan nonce for (patrol, point): out gets PATROL_NONCE_LEN chars + NUL.
 * The caller must be one who may check the patrol; it must be open and the
 * point one of its pending stops. */
ws_err patrol_nonce_issue(store_conn *c, const wf_actor *by, int64_t patrol_id, int64_t point_id,
                          char out[PATROL_NONCE_LEN + 1], int64_t *issued_at, int64_t *expires_at);
/* Start (or resume) the patrol: an offline nonce for every pending stop,
 * *out (caller owns) [{point_id, nonce, issued_at, expires_at}]. */
ws_err patrol_start(store_conn *c, const wf_actor *by, int64_t patrol_id, json_t **out);

typedef struct patrol_check_in {
    int64_t point_id;
    const char *nonce;               /* NULL: none (only offline) */
    const inspection_result *items;  /* one per check item, in order */
    size_t n;
    bool has_gps;
    double lat, lon, accuracy_m;
    const int64_t *photo_ids;        /* photos of the point (proof) */
    size_t n_photos;
    bool offline;                    /* recorded without a signal */
    int64_t client_time;             /* the phone's time of the check (ms), 0 none */
} patrol_check_in;
/* Record the check of one point (see the header comment). *hazards may be NULL. */
ws_err patrol_check(store_conn *c, const wf_actor *by, int64_t patrol_id,
                    const patrol_check_in *in, int *hazards);

/* ----------------------------------------------------------------- demo */

struct org_demo_ids;
/* Points, templates, the rota and today's patrols in several states for
 * the demo plant; outside a transaction (each write is its own). */
ws_err patrol_demo_seed(store_conn *c, const audit_actor *who, const struct org_demo_ids *ids,
                        int64_t now);

#endif
