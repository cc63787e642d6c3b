/* q_meta.c — SQL of the meta table; see q_meta.h. */
#include "store/q_meta.h"

const char Q_META_GET[] = "SELECT value FROM meta WHERE key = $1";
const char Q_META_PUT[] = "INSERT INTO meta (key, value) VALUES ($1, $2) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
