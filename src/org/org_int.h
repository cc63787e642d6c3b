/* org_int.h — private to src/org: helpers shared by unit.c, dept.c,
 * person.c, import.c and demo.c (transactions, permission checks, audit
 * leaves, field validation, row readers). */
#ifndef WS_ORG_INT_H
#define WS_ORG_INT_H

#include "org/org.h"

/* Open a transaction unless the caller has one; *own tells org_tx_end. */
ws_err org_tx_begin(store_conn *c, bool *own);
/* Commit (rc == WS_OK) or roll back an own transaction; keeps the error
 * detail of rc across the rollback. Returns the final code. */
ws_err org_tx_end(store_conn *c, bool own, ws_err rc);

/* Append a leaf for row id of e. */
ws_err org_audit(store_conn *c, const org_caller *by, const audit_entity *e, int64_t id,
                 const char *action);
/* The actor's name for person_transfers.actor. */
const char *org_actor_name(const org_caller *by);

/* Field checks; each fails with WS_EINVAL naming field. */
ws_err org_check_code(const char *code, const char *field);
ws_err org_check_name(const char *name, const char *field, size_t max);
ws_err org_check_text(const char *s, const char *field, size_t max); /* optional free text */
ws_err org_check_empno(const char *s); /* NULL or "" accepted */

/* Readers of one row of the column orders in store/q_org.h. */
void org_unit_row(store_stmt *st, org_unit *u);
void org_person_row(store_stmt *st, org_person *p);

/* Run a prepared one-row, one-integer query with int binds a, b (b used
 * when nbind == 2) and return the integer (0 when no row). */
ws_err org_query_int(store_conn *c, const char *sql, int nbind, int64_t a, int64_t b,
                     int64_t *out);


/* The default departments of a new enterprise. */
ws_err org_default_departments(store_conn *c, const org_caller *by, int64_t enterprise_id);

/* The id of the person with employee_no in unit_id, 0 when none. */
ws_err org_person_by_empno(store_conn *c, int64_t unit_id, const char *empno, int64_t *id);

/* Copy src into a fixed array of cap bytes (truncating). */
void org_copy(char *dst, size_t cap, const char *src);

#endif
