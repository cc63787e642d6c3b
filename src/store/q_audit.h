/* q_audit.h — named queries of the evidence log (src/audit). The tables are
 * audit_leaf, record_version, audit_head and audit_checkpoint (migrations.c);
 * docs/internals/audit.md explains what each holds. */
#ifndef WS_Q_AUDIT_H
#define WS_Q_AUDIT_H

/* audit_head: the single row id = 1 (size, frontier). Appenders read it with
 * the _LOCK variant chosen by backend: PostgreSQL locks the row (FOR UPDATE);
 * SQLite has no row locks, and the write transaction (BEGIN IMMEDIATE)
 * already serialises writers. */
extern const char Q_AUDIT_HEAD_GET[];
extern const char Q_AUDIT_HEAD_LOCK_PG[];
extern const char Q_AUDIT_HEAD_INIT[];   /* $1 empty frontier; no-op when present */
extern const char Q_AUDIT_HEAD_SET[];    /* $1 size, $2 frontier */

extern const char Q_AUDIT_LEAF_INSERT[];    /* $1..$8 seq ts actor entity entity_id action content_hash leaf_hash */
extern const char Q_AUDIT_VERSION_INSERT[]; /* $1..$5 seq entity entity_id salt content */
extern const char Q_AUDIT_LEAF_HASHES[];    /* $1 size: seq, leaf_hash for seq < size */
/* Every leaf with its version (NULL columns when the version row is missing). */
extern const char Q_AUDIT_VERIFY_LEAVES[];
/* $1 entity: entity_id, seq, action, content_hash, salt, content by id, seq. */
extern const char Q_AUDIT_ENTITY_HISTORY[];
/* $1 entity, $2 id: the same columns for one record, by seq. */
extern const char Q_AUDIT_RECORD_HISTORY[];

/* Purges (audit_purge, audit_purge_events): salt and content of versions
 * become NULL; leaves are never touched. */
/* $1 entity, $2 entity_id, $3 the event magic "WSE1" as a blob: record
 * versions (content not starting with $3) / event versions (starting with it). */
extern const char Q_AUDIT_VERSION_PURGE_RECORD[];
extern const char Q_AUDIT_VERSION_PURGE_EVENTS[];

extern const char Q_AUDIT_CHECKPOINT_INSERT[]; /* $1 size $2 ts $3 root $4 note */
extern const char Q_AUDIT_CHECKPOINT_ROOT[];   /* $1 size: root */
extern const char Q_AUDIT_CHECKPOINT_ALL[];    /* size, root, note by size */

/* Timeline pages: seq, ts, actor, entity, entity_id, action, content_hash, leaf_hash. */
extern const char Q_AUDIT_LEAVES_PAGE[];        /* $1 from seq, $2 limit */
extern const char Q_AUDIT_LEAVES_PAGE_ENTITY[]; /* $1 entity, $2 from seq, $3 limit */
extern const char Q_AUDIT_LEAVES_PAGE_RECORD[]; /* $1 entity, $2 id, $3 from seq, $4 limit */
/* The same leaf columns, then the version's salt and content (NULL when purged). */
extern const char Q_AUDIT_RECORD_PAGE[];        /* $1 entity, $2 id, $3 from seq, $4 limit */
/* $1 id: the unit path of that record (no row when it is gone). */
extern const char Q_AUDIT_UNIT_HAZARD[];
extern const char Q_AUDIT_UNIT_PERMIT[];
extern const char Q_AUDIT_UNIT_ALARM[];
extern const char Q_AUDIT_UNIT_INSPECTION[];
extern const char Q_AUDIT_UNIT_PATROL[];
extern const char Q_AUDIT_UNIT_WORK_ORDER[];
extern const char Q_AUDIT_UNIT_BYPASS[];

#endif
