/* q_workflow.c — SQL of the workflow engine; see q_workflow.h for the
 * parameters and column orders. Written once for SQLite 3.40 and
 * PostgreSQL 15. */
#include "store/q_workflow.h"

#define DEF_COLS "id, wf_key, version, body, digest, created_at, created_by"
#define INST_COLS                                                                          \
    "i.id, i.wf_key, i.def_version, i.unit_id, i.state, i.data, i.entered_at, i.due_at, " \
    "i.escalations, i.created_at, i.updated_at, u.path"

const char Q_WF_DEF_LOCK[] =
    "INSERT INTO meta (key, value) VALUES ('workflow_def_lock', '1') "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
const char Q_WF_DEF_LATEST[] =
    "SELECT version FROM workflow_defs WHERE wf_key = $1 ORDER BY version DESC LIMIT 1";
const char Q_WF_DEF_GET[] =
    "SELECT " DEF_COLS " FROM workflow_defs WHERE wf_key = $1 AND version = $2";
const char Q_WF_DEF_INSERT[] =
    "INSERT INTO workflow_defs (wf_key, version, body, digest, created_at, created_by) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
const char Q_WF_DEF_LATEST_ALL[] =
    "SELECT " DEF_COLS " FROM workflow_defs d WHERE version = "
    "(SELECT MAX(x.version) FROM workflow_defs x WHERE x.wf_key = d.wf_key) ORDER BY wf_key";

const char Q_WF_INST_INSERT[] =
    "INSERT INTO workflow_instances (wf_key, def_version, unit_id, state, data, entered_at, "
    "due_at, escalations, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $6, $6) "
    "RETURNING id";
const char Q_WF_INST_GET[] =
    "SELECT " INST_COLS " FROM workflow_instances i JOIN units u ON u.id = i.unit_id "
    "WHERE i.id = $1";
const char Q_WF_INST_MOVE[] =
    "UPDATE workflow_instances SET state = $2, data = $3, entered_at = $4, due_at = $5, "
    "escalations = 0, updated_at = $4 WHERE id = $1 AND state = $6 AND updated_at = $7";
const char Q_WF_INST_ESCALATE[] =
    "UPDATE workflow_instances SET due_at = $2, escalations = $3, updated_at = $4 "
    "WHERE id = $1 AND escalations = $5 AND state = $6";
const char Q_WF_INST_DUE[] =
    "SELECT id FROM workflow_instances WHERE due_at IS NOT NULL AND due_at <= $1 "
    "ORDER BY due_at, id LIMIT $2";

const char Q_WF_EVENT_INSERT[] =
    "INSERT INTO workflow_events (instance_id, at, kind, action, from_state, to_state, actor, "
    "detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
const char Q_WF_EVENT_LIST[] =
    "SELECT id, at, kind, action, from_state, to_state, actor, detail FROM workflow_events "
    "WHERE instance_id = $1 ORDER BY id";

const char Q_WF_PERSON_POSTS[] =
    "SELECT p.code FROM person_posts pp JOIN posts p ON p.id = pp.post_id "
    "WHERE pp.person_id = $1 AND p.active = 1 ORDER BY p.id";
const char Q_WF_PERSON_ACTIVE[] = "SELECT active FROM people WHERE id = $1";
const char Q_WF_UNIT[] = "SELECT id, parent_id, leader_person_id, path FROM units WHERE id = $1";
