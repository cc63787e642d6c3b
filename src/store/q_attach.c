/* q_attach.c — SQL of the attachments module; see q_attach.h. */
#include "store/q_attach.h"

const char Q_ATTACH_INSERT[] =
    "INSERT INTO attachments (sha256, size, media_type, filename, width, height, thumb_sha256, "
    "unit_id, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
    "RETURNING id";
const char Q_ATTACH_GET[] =
    "SELECT a.id, a.sha256, a.size, a.media_type, a.filename, a.width, a.height, a.thumb_sha256, "
    "a.unit_id, a.uploaded_by, a.created_at, u.path, b.size "
    "FROM attachments a JOIN units u ON u.id = a.unit_id "
    "LEFT JOIN attachment_blobs b ON b.sha256 = a.thumb_sha256 WHERE a.id = $1";
const char Q_ATTACH_BLOB_PUT[] =
    "INSERT INTO attachment_blobs (sha256, size, created_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (sha256) DO NOTHING";
const char Q_ATTACH_BLOB_GET[] = "SELECT size FROM attachment_blobs WHERE sha256 = $1";
const char Q_ATTACH_USAGE[] = "SELECT COALESCE(SUM(size), 0) FROM attachment_blobs";
const char Q_ATTACH_LOCK[] =
    "INSERT INTO meta (key, value) VALUES ('attach_write_lock', '1') "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
