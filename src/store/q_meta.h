/* q_meta.h — named queries on the meta table (instance settings such as the
 * evidence log's origin). */
#ifndef WS_Q_META_H
#define WS_Q_META_H
extern const char Q_META_GET[];
extern const char Q_META_PUT[];
#endif
