/* purge.c — purges that policy allows (today: erasure of a person's personal
 * data; later: retention), leaving tombstones (docs/internals/audit.md,
 * "Purges and tombstones").
 *
 * A purge never removes or rewrites a leaf: the tree, every checkpoint and
 * every proof stay valid. It sets salt and content of the purged versions in
 * record_version to NULL, so nobody can read (or brute-force from the salted
 * hash) what they held any more, and it appends two leaves:
 *   - the tombstone: entity and id of the record, action "purge", content the
 *     record's current row, which the caller has already anonymised; so the
 *     live row still has a last version that `audit verify` compares it with;
 *   - an event leaf, entity "erasure", id the record's id, action "purge",
 *     fields {entity, id, reason}: why, for whoever reads the log.
 * audit_purge_events() does the same for events about a record (the "session"
 * events of an account carry its username): their versions lose salt and
 * content, and the "erasure" event records it; an event has no row, so there
 * is no tombstone of its own.
 *
 * Both run inside the caller's write transaction, after the caller has
 * anonymised the row: a rolled-back erasure leaves every version intact. */
#include "audit/audit_int.h"

#include <string.h>

#include "store/q_audit.h"

#define PURGE_REASON_MAX 500 /* bytes */

static ws_err check_reason(const char *reason)
{
    size_t n = reason ? strlen(reason) : 0;
    if (n == 0) return ws_fail(WS_EINVAL, "reason", "a purge needs a reason");
    if (n > PURGE_REASON_MAX)
        return ws_fail(WS_EINVAL, "reason", "reason is longer than %d bytes", PURGE_REASON_MAX);
    return WS_OK;
}

/* Null salt and content of the versions of (entity, id) that q selects. */
static ws_err null_versions(store_conn *c, const char *q, const char *entity, int64_t id)
{
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, q, &st);
    if (!rc) rc = store_bind_text(st, 1, entity);
    if (!rc) rc = store_bind_int(st, 2, id);
    if (!rc) rc = store_bind_blob(st, 3, AUDIT_MAGIC_EVENT, 4);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

static ws_err erasure_event(store_conn *c, const audit_actor *who, const char *entity, int64_t id,
                            const char *reason, int64_t *seq_out)
{
    audit_field f[3] = {
        {.name = "entity", .type = AC_TEXT, .s = entity},
        {.name = "id", .type = AC_INT, .i = id},
        {.name = "reason", .type = AC_TEXT, .s = reason},
    };
    return audit_event(c, who, "erasure", id, "purge", f, 3, seq_out);
}

ws_err audit_purge(store_conn *c, const audit_actor *who, const audit_entity *e, int64_t id,
                   const char *reason, int64_t *seq_out)
{
    if (!c || !e || !e->name || id < 1)
        return ws_fail(WS_EINTERNAL, NULL, "audit_purge: bad arguments");
    if (!store_in_tx(c))
        return ws_fail(WS_EINTERNAL, NULL, "audit_purge must run inside a write transaction");
    ws_err rc = check_reason(reason);
    if (!rc) rc = null_versions(c, Q_AUDIT_VERSION_PURGE_RECORD, e->name, id);
    if (!rc) rc = audit_record(c, who, e, id, "purge", seq_out);
    if (!rc) rc = erasure_event(c, who, e->name, id, reason, NULL);
    return rc;
}

ws_err audit_purge_events(store_conn *c, const audit_actor *who, const char *entity, int64_t id,
                          const char *reason, int64_t *seq_out)
{
    if (!c || !entity || !*entity || id < 1)
        return ws_fail(WS_EINTERNAL, NULL, "audit_purge_events: bad arguments");
    if (!store_in_tx(c))
        return ws_fail(WS_EINTERNAL, NULL, "audit_purge_events must run inside a write transaction");
    ws_err rc = check_reason(reason);
    if (!rc) rc = null_versions(c, Q_AUDIT_VERSION_PURGE_EVENTS, entity, id);
    if (!rc) rc = erasure_event(c, who, entity, id, reason, seq_out);
    return rc;
}
