/* q_attach.h — named queries of the attachments module (src/attach): one row
 * per upload (attachments, audited) and one per stored file
 * (attachment_blobs, the dedupe and quota table). */
#ifndef WS_Q_ATTACH_H
#define WS_Q_ATTACH_H
/* $1 sha256 $2 size $3 media_type $4 filename $5 width $6 height $7 thumb_sha256
 * $8 unit_id $9 uploaded_by $10 created_at -> id */
extern const char Q_ATTACH_INSERT[];
/* $1 id -> id, sha256, size, media_type, filename, width, height, thumb_sha256,
 * unit_id, uploaded_by, created_at, unit path, thumb size */
extern const char Q_ATTACH_GET[];
/* $1 sha256 $2 size $3 created_at; nothing when the file is already known */
extern const char Q_ATTACH_BLOB_PUT[];
/* $1 sha256 -> size */
extern const char Q_ATTACH_BLOB_GET[];
/* Serialises uploads on both engines (a row lock on meta in PostgreSQL), so
 * two uploads cannot both pass the total quota check. */
extern const char Q_ATTACH_LOCK[];
/* -> bytes of all stored files */
extern const char Q_ATTACH_USAGE[];
#endif
