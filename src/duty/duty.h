/* duty.h — duty lists (岗位安全履职清单): concrete safety duties per post,
 * each with a frequency, and the tasks they make per person and period.
 *
 * A duty belongs to a post of an enterprise ("检查本区域机泵接地电阻",
 * monthly), or is one of the statutory duties of the three responsible
 * persons of every major hazard installation (主要负责人 quarterly, 技术负责人
 * monthly, 操作负责人 weekly — shipped as data, editable in wording and
 * frequency, not removable). duty_tick makes, for the current period of each
 * active duty, one task per person holding the post (or per installation and
 * its named person), in the person's unit's zone; a task still open when its
 * period ends becomes missed. A person marks a task done with a note.
 *
 *   open ──done──► done        open ──period over (tick)──► missed
 *
 * Invariants (tests/integration/test_duty.c):
 *  1. At most one task per (duty, person, installation, period): ticks are
 *     idempotent.
 *  2. done and missed are final; every change has its audit leaf.
 * Permissions: duty.read (every role in scope), duty.write (admin, manager,
 * safety officer: define duties); a task's own person marks it done. */
#ifndef WS_DUTY_H
#define WS_DUTY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "org/org.h"
#include "store/store.h"

extern const audit_entity DUTY_ENTITY;      /* "duty" */
extern const audit_entity DUTY_ENTITY_TASK; /* "duty_task" */

ws_err duty_init(void);

/* Define a duty of a post: {enterprise_id, post_id, title, description,
 * frequency daily|weekly|monthly|quarterly|yearly}. */
ws_err duty_create(store_conn *c, const org_caller *by, const json_t *body, int64_t *id);
/* Change title, description, frequency or active (a statutory duty cannot
 * be deactivated). */
ws_err duty_update(store_conn *c, const org_caller *by, int64_t id, const json_t *body);
ws_err duty_list(store_conn *c, int64_t enterprise_id, json_t **items);

/* Make the tasks of the current periods and mark the ended ones missed.
 * *made, *missed (may be NULL) count them. */
ws_err duty_tick(store_conn *c, int64_t now, int *made, int *missed);

/* The caller's duties: open tasks and those done or missed in the last day. */
ws_err duty_my(store_conn *c, int64_t person_id, int64_t now, json_t **items);
/* Mark done {note} by the task's own person (or a trusted caller). */
ws_err duty_task_done(store_conn *c, const org_caller *by, int64_t task_id, const json_t *body);
/* A person's tasks (the person's unit under scope_path, else none): open
 * first, then the newest, at most 200. */
ws_err duty_tasks_of(store_conn *c, const char *scope_path, int64_t person_id, json_t **items);
/* Completion per person in scope since since_ms: tasks, done, missed, open. */
ws_err duty_completion(store_conn *c, const char *scope_path, int64_t since_ms, json_t **items);

/* The demo's duties of its posts, and today's tasks. */
ws_err duty_demo_seed(store_conn *c, int64_t enterprise_id, int64_t now);

/* The period of frequency containing local day (days since 1970-01-01):
 * key ("2026-11-29", "2026-W48", "2026-11", "2026-Q4", "2026") and the
 * local day after its end. -1 for an unknown frequency. */
int duty_period(const char *frequency, int64_t day, char key[16], int64_t *end_day);

#endif
