/* q_audit.c — SQL of the evidence log; see q_audit.h. */
#include "store/q_audit.h"

const char Q_AUDIT_HEAD_GET[] = "SELECT size, frontier FROM audit_head WHERE id = 1";
const char Q_AUDIT_HEAD_LOCK_PG[] = "SELECT size, frontier FROM audit_head WHERE id = 1 FOR UPDATE";
const char Q_AUDIT_HEAD_INIT[] = "INSERT INTO audit_head (id, size, frontier) VALUES (1, 0, $1) "
                                 "ON CONFLICT (id) DO NOTHING";
const char Q_AUDIT_HEAD_SET[] = "UPDATE audit_head SET size = $1, frontier = $2 WHERE id = 1";

const char Q_AUDIT_LEAF_INSERT[] =
    "INSERT INTO audit_leaf (seq, ts, actor, entity, entity_id, action, content_hash, leaf_hash) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const char Q_AUDIT_VERSION_INSERT[] =
    "INSERT INTO record_version (seq, entity, entity_id, salt, content) VALUES ($1, $2, $3, $4, $5)";
const char Q_AUDIT_LEAF_HASHES[] =
    "SELECT seq, leaf_hash FROM audit_leaf WHERE seq < $1 ORDER BY seq";
const char Q_AUDIT_VERIFY_LEAVES[] =
    "SELECT l.seq, l.ts, l.actor, l.entity, l.entity_id, l.action, l.content_hash, l.leaf_hash, "
    "v.entity, v.entity_id, v.salt, v.content "
    "FROM audit_leaf l LEFT JOIN record_version v ON v.seq = l.seq ORDER BY l.seq";
const char Q_AUDIT_ENTITY_HISTORY[] =
    "SELECT l.entity_id, l.seq, l.action, l.content_hash, v.salt, v.content "
    "FROM audit_leaf l LEFT JOIN record_version v ON v.seq = l.seq "
    "WHERE l.entity = $1 ORDER BY l.entity_id, l.seq";
const char Q_AUDIT_RECORD_HISTORY[] =
    "SELECT l.entity_id, l.seq, l.action, l.content_hash, v.salt, v.content "
    "FROM audit_leaf l LEFT JOIN record_version v ON v.seq = l.seq "
    "WHERE l.entity = $1 AND l.entity_id = $2 ORDER BY l.seq";

/* A version's entity and id are its leaf's: found through audit_leaf_entity
 * (migration 25). A version is an event when its content starts with "WSE1" (57 53 45 31);
 * substr on a blob is bytewise on both engines. Versions already purged
 * (content NULL) are left as they are. */
const char Q_AUDIT_VERSION_PURGE_RECORD[] =
    "UPDATE record_version SET salt = NULL, content = NULL "
    "WHERE seq IN (SELECT seq FROM audit_leaf WHERE entity = $1 AND entity_id = $2) "
    "AND content IS NOT NULL AND substr(content, 1, 4) <> $3";
const char Q_AUDIT_VERSION_PURGE_EVENTS[] =
    "UPDATE record_version SET salt = NULL, content = NULL "
    "WHERE seq IN (SELECT seq FROM audit_leaf WHERE entity = $1 AND entity_id = $2) "
    "AND content IS NOT NULL AND substr(content, 1, 4) = $3";

const char Q_AUDIT_CHECKPOINT_INSERT[] =
    "INSERT INTO audit_checkpoint (size, ts, root, note) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (size) DO NOTHING";
const char Q_AUDIT_CHECKPOINT_ROOT[] = "SELECT root FROM audit_checkpoint WHERE size = $1";
const char Q_AUDIT_CHECKPOINT_ALL[] = "SELECT size, root, note FROM audit_checkpoint ORDER BY size";

#define LEAF_COLS \
    "SELECT seq, ts, actor, entity, entity_id, action, content_hash, leaf_hash FROM audit_leaf "
const char Q_AUDIT_LEAVES_PAGE[] = LEAF_COLS "WHERE seq >= $1 ORDER BY seq LIMIT $2";
const char Q_AUDIT_LEAVES_PAGE_ENTITY[] =
    LEAF_COLS "WHERE entity = $1 AND seq >= $2 ORDER BY seq LIMIT $3";
const char Q_AUDIT_LEAVES_PAGE_RECORD[] =
    LEAF_COLS "WHERE entity = $1 AND entity_id = $2 AND seq >= $3 ORDER BY seq LIMIT $4";
const char Q_AUDIT_RECORD_PAGE[] =
    "SELECT l.seq, l.ts, l.actor, l.entity, l.entity_id, l.action, l.content_hash, l.leaf_hash, "
    "v.salt, v.content FROM audit_leaf l LEFT JOIN record_version v ON v.seq = l.seq "
    "WHERE l.entity = $1 AND l.entity_id = $2 AND l.seq >= $3 ORDER BY l.seq LIMIT $4";

/* The unit path of one record, for the read check of its sealed versions. */
#define UNIT_OF(table) \
    "SELECT u.path FROM " table " r JOIN units u ON u.id = r.unit_id WHERE r.id = $1"
const char Q_AUDIT_UNIT_HAZARD[] = UNIT_OF("hazards");
const char Q_AUDIT_UNIT_PERMIT[] = UNIT_OF("permits");
const char Q_AUDIT_UNIT_ALARM[] = UNIT_OF("alarms");
const char Q_AUDIT_UNIT_INSPECTION[] = UNIT_OF("inspections");
const char Q_AUDIT_UNIT_PATROL[] = UNIT_OF("patrols");
const char Q_AUDIT_UNIT_WORK_ORDER[] = UNIT_OF("work_orders");
const char Q_AUDIT_UNIT_BYPASS[] = UNIT_OF("bypasses");
