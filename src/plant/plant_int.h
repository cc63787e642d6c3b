/* plant_int.h — what the files of src/plant share and nobody else uses:
 * permission, audit and text checks, the generic row readers and lists, and
 * the two halves of the timer. */
#ifndef WS_PLANT_INT_H
#define WS_PLANT_INT_H

#include "plant/plant.h"

/* auth_decide(action) on path; a trusted caller (no subject) passes. */
ws_err plant_allow(const org_caller *by, const char *action, const char *path);
/* The audit leaf of row id of e in the open transaction. */
ws_err plant_leaf(store_conn *c, const org_caller *by, const audit_entity *e, int64_t id,
                  const char *action);
/* The caller's actor name ("system" when none), for created_by/closed_by. */
const char *plant_actor(const org_caller *by);
/* Text of at most max bytes, valid UTF-8, no control characters (newlines
 * and tabs allowed when multiline); required: not blank. */
ws_err plant_text(const char *s, const char *field, size_t max, bool required, bool multiline);
bool plant_one_of(const char *s, const char *const *set);
/* A list filter's value s (NULL: no filter) one of set, else WS_EINVAL
 * naming the query parameter: an unknown value is an error, not an empty list. */
ws_err plant_filter_one_of(const char *s, const char *const *set, const char *param);
void plant_copy(char *dst, size_t cap, const char *src);
/* The unit of a new row: exists, action allowed on it (else WS_ENOTFOUND
 * naming field), active, inside an enterprise. */
ws_err plant_row_unit(store_conn *c, const org_caller *by, const char *action, int64_t unit_id,
                      const char *field, org_unit *u);
/* person_id is an active person of enterprise_id, else WS_EINVAL naming
 * field. */
ws_err plant_person_check(store_conn *c, int64_t person_id, int64_t enterprise_id,
                          const char *field);
/* Step a write; *id from RETURNING when id; a constraint violation is a
 * WS_ECONFLICT naming field. */
ws_err plant_run(store_stmt *st, int64_t *id, const char *field);
/* The first integer column of sql bound to ints a, b (b < 0: not bound);
 * *v 0 and *found false when no row. */
ws_err plant_int_of(store_conn *c, const char *sql, int64_t a, int64_t b, int64_t *v,
                    bool *found);

typedef void (*plant_row_fn)(store_stmt *st, void *out);
ws_err plant_get_one(store_conn *c, const char *sql, int64_t id, plant_row_fn rd, void *out,
                     const char *what);

/* A list parameter after $1..$4: text or integer. */
typedef struct plant_bind {
    const char *s; /* text when not NULL... */
    int64_t i;     /* ...else this integer */
    bool is_text;
} plant_bind;
#define PB_TEXT(x) ((plant_bind){(x) ? (x) : "", 0, true})
#define PB_INT(x) ((plant_bind){NULL, (x), false})
/* Run a list query: $1 scope, $2 unit subtree, $3 cursor, $4 limit + 1, then
 * extra. Rows into a calloc'd array of size-byte structs whose first member
 * is the int64_t id (caller frees *items). */
ws_err plant_list_run(store_conn *c, const char *sql, const plant_filter *f,
                      const plant_bind *extra, int nextra, plant_row_fn rd, size_t size,
                      void **items, size_t *n, int64_t *next);

/* Zone offset in minutes through the function of plant_init. */
ws_err plant_tz_offset(const char *tz, int64_t ms, int *minutes);

/* The timer's halves (bypass.c, equipment.c). */
ws_err plant_bypass_expire(store_conn *c, int64_t now_ms, plant_tick_out *out);
ws_err plant_calibration_open(store_conn *c, int64_t now_ms, plant_tick_out *out);

#endif
