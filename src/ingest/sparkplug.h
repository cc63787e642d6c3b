/* sparkplug.h — Sparkplug B over MQTT: topic parsing, a payload reader (a
 * small protobuf wire-format reader written here) and the per-edge-node
 * session state (alias tables from BIRTH, bdSeq, seq, DEATH → stale).
 *
 * The MQTT client (libmosquitto, later) hands each message to
 * spb_session_handle(), which fills a caller's array of ws_reading and says
 * whether a rebirth should be requested; the caller decides whether worksafe
 * may publish that NCMD (an admin setting, off by default). Nothing here does
 * I/O or allocates per message: the session's tables are allocated once.
 *
 * Wire format (proto2, package org.eclipse.tahu.protobuf, message Payload),
 * field numbers from the Sparkplug B specification's sparkplug_b.proto as
 * summarised in shared/domain/INTEGRATIONS.md §4.3 [S31] (the .proto itself
 * is EPL-2.0 and is not copied here):
 *   Payload: timestamp=1 (uint64, ms UTC)  metrics=2 (repeated Metric)
 *            seq=3 (uint64)  uuid=4 (string)  body=5 (bytes)
 *   Metric:  name=1 (string)  alias=2 (uint64)  timestamp=3 (uint64)
 *            datatype=4 (uint32)  is_historical=5  is_transient=6 (bool)
 *            is_null=7 (bool)  metadata=8  properties=9 (messages, skipped)
 *            oneof value: int_value=10 (uint32)  long_value=11 (uint64)
 *            float_value=12 (fixed32)  double_value=13 (fixed64)
 *            boolean_value=14 (bool)  string_value=15 (string)
 *            bytes_value=16  dataset_value=17  template_value=18 (skipped)
 * Datatypes: Int8=1 Int16=2 Int32=3 Int64=4 UInt8=5 UInt16=6 UInt32=7
 *   UInt64=8 Float=9 Double=10 Boolean=11 String=12 DateTime=13 Text=14
 *   UUID=15 DataSet=16 Bytes=17 File=18 Template=19. Signed types travel in
 *   the unsigned fields as two's complement of their width.
 *
 * Tags: a metric of edge node N becomes the reading tag "N/<metric name>",
 * one of device D "N/D/<metric name>"; with spb_opts.include_group the group
 * id comes first ("G/N/D/<name>"). Longer than WS_TAG_MAX → the metric is
 * refused (counted bad). Mapping tags to points is the point table's job. */
#ifndef WS_INGEST_SPARKPLUG_H
#define WS_INGEST_SPARKPLUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/reading.h"

/* ---- topic ------------------------------------------------------------ */

typedef enum {
    SPB_NBIRTH, SPB_NDEATH, SPB_DBIRTH, SPB_DDEATH, SPB_NDATA, SPB_DDATA, SPB_NCMD, SPB_DCMD, SPB_STATE,
} spb_type;

#define SPB_ID_MAX 63

typedef struct spb_topic {
    uint8_t type;                 /* spb_type */
    char group[SPB_ID_MAX + 1];   /* empty for STATE */
    char node[SPB_ID_MAX + 1];    /* edge node id; the host id for STATE */
    char device[SPB_ID_MAX + 1];  /* empty for node messages */
} spb_topic;

/* Parse "spBv1.0/<group>/<type>/<edge node>[/<device>]" (device required for
 * D* types, forbidden for N* types) or "spBv1.0/STATE/<host id>". Ids are
 * non-empty, at most SPB_ID_MAX bytes, without '/', '+', '#'. WS_EINVAL with
 * field "topic" otherwise. */
ws_err spb_topic_parse(const char *topic, size_t len, spb_topic *out);

/* ---- payload ---------------------------------------------------------- */

typedef enum {
    SPB_V_NONE = 0, SPB_V_INT, SPB_V_LONG, SPB_V_FLOAT, SPB_V_DOUBLE, SPB_V_BOOL, SPB_V_STRING,
    SPB_V_OTHER, /* bytes, dataset, template: present but not decoded */
} spb_vkind;

/* One metric; name and string value borrow from the payload bytes. */
typedef struct spb_metric {
    const char *name;   /* not NUL-terminated; NULL when absent */
    size_t name_len;
    uint64_t alias;
    int64_t timestamp;  /* ms UTC, 0 = absent */
    uint32_t datatype;  /* 0 = absent */
    bool has_alias;
    bool is_null;
    uint8_t vkind;      /* spb_vkind */
    uint64_t u;         /* int_value / long_value / boolean_value */
    float f;
    double d;
    const char *str;    /* string_value, not NUL-terminated */
    size_t str_len;
} spb_metric;

typedef struct spb_payload {
    const uint8_t *p;   /* the bytes (borrowed) */
    size_t n;
    int64_t timestamp;  /* ms UTC, 0 = absent */
    int64_t seq;        /* -1 = absent */
    size_t nmetrics;
    size_t pos;         /* iteration cursor for spb_next_metric */
} spb_payload;

/* Check the whole payload (every length against the remaining bytes, every
 * wire type, every metric) and fill out's header fields. On WS_EINVAL the
 * detail (field "payload") says what and at which byte offset. */
ws_err spb_payload_scan(const uint8_t *p, size_t n, spb_payload *out);
/* After a successful scan: the next metric, in order; false at the end. */
bool spb_next_metric(spb_payload *pl, spb_metric *m);

/* ---- session ---------------------------------------------------------- */

typedef struct spb_opts {
    bool include_group;    /* tag = "<group>/<node>[/<device>]/<metric>" */
} spb_opts;

typedef struct spb_result {
    spb_topic topic;
    size_t nout;           /* readings written to out */
    uint32_t bad;          /* metrics refused: unknown alias, tag too long, value missing */
    uint32_t skipped;      /* metrics that are not readings: bdSeq, Node Control/…, strings, templates */
    bool rebirth;          /* a rebirth of topic.node should be requested (NCMD Node Control/Rebirth) */
    bool seq_gap;          /* seq did not follow the previous message of this node */
    bool ignored;          /* no effect: a stale NDEATH (old bdSeq), NCMD/DCMD/STATE */
    bool has_bdseq;
    uint64_t bdseq;        /* bdSeq of an NBIRTH/NDEATH */
} spb_result;

typedef struct spb_session spb_session;

/* A session tracking up to max_scopes edge nodes + devices and max_points
 * BIRTH metrics in all. Caller owns: spb_session_free. NULL when out of memory. */
spb_session *spb_session_new(size_t max_scopes, size_t max_points, const spb_opts *opts);
void spb_session_free(spb_session *s);

/* Handle one MQTT message. Readings go to out[0..cap) (res->nout of them):
 *   NBIRTH/DBIRTH  replace the alias table of that node/device (an NBIRTH also
 *                  forgets the node's devices) and yield the BIRTH's values;
 *   NDATA/DDATA    yield values, aliases resolved through the BIRTH's table;
 *                  an unknown alias, or data from a node/device without a live
 *                  BIRTH, is counted bad and sets res->rebirth;
 *   NDEATH         when its bdSeq matches the live NBIRTH's (or either has
 *                  none), yields every point of the node and its devices with
 *                  quality WS_Q_STALE and marks them offline; otherwise ignored;
 *   DDEATH         the same for one device;
 *   NCMD/DCMD/STATE ignored (worksafe does not act on commands).
 * Errors: WS_EINVAL (topic or payload malformed; the session is unchanged),
 * WS_ETOOBIG (more readings than cap, or the session's tables are full; the
 * session is unchanged). */
ws_err spb_session_handle(spb_session *s, const char *topic, size_t topic_len, const uint8_t *payload,
                          size_t n, ws_reading *out, size_t cap, spb_result *res);

/* Points of BIRTHs currently held (for /metrics and sizing out). */
size_t spb_session_points(const spb_session *s);

#endif
