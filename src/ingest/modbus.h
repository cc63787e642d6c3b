/* modbus.h — Modbus TCP polling through libmodbus: per-device point tables
 * (function code, address, type, word order, scale/offset, optional 4–20 mA
 * scaling with NAMUR NE 43 fault detection) parsed strictly from JSON, a
 * request plan grouping the points into as few reads as possible, and a
 * poller that delivers one batch of ws_reading per poll to an ingest_sink_fn.
 *
 * How it fits: an ingest adapter (src/ingest, depends on src/core and
 * libmodbus only). The server (cmd_serve.c) builds the devices from its
 * configuration and wires the sink to warn_sink (WARN_SRC_MODBUS); /metrics
 * reads modbus_poller_stats. Format and decisions: docs/internals/ingest.md,
 * "Modbus TCP".
 *
 * Device configuration (JSON object; unknown keys, duplicate keys and wrong
 * types are refused with WS_EINVAL naming the field, e.g.
 * "points[3].word_order"):
 *   {"name":"GDS-1", "host":"10.0.0.5", "port":502, "unit_id":1,
 *    "interval_ms":1000, "timeout_ms":500,
 *    "points":[{"tag":"GT-101", "function":3, "address":0, "type":"f32",
 *               "word_order":"CDAB", "scale":1, "offset":0,
 *               "ma4_20":{"raw_at_4ma":4000,"raw_at_20ma":20000,
 *                         "eng_low":0,"eng_high":100}}]}
 * Defaults: port 502, unit_id 1, interval_ms 1000, timeout_ms 1000,
 * word_order ABCD, scale 1, offset 0; name defaults to "host:port/unit". */
#ifndef WS_INGEST_MODBUS_H
#define WS_INGEST_MODBUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/ingest.h"
#include "ingest/reading.h"

#define MODBUS_CFG_MAX_POINTS 4096
#define MODBUS_HOST_MAX 255

typedef enum { MB_FC_COILS = 1, MB_FC_DISCRETE = 2, MB_FC_HOLDING = 3, MB_FC_INPUT = 4 } modbus_fc;

typedef enum { MB_T_BOOL = 0, MB_T_U16, MB_T_I16, MB_T_U32, MB_T_I32, MB_T_F32, MB_T_F64 } modbus_type;

/* How the bytes of a multi-byte value sit in the registers. With the value's
 * big-endian bytes A B C D (…H for 64 bits):
 *   ABCD  registers in order, high byte first (Modbus standard)   [A B][C D]
 *   CDAB  word swap: registers in reverse order, bytes kept        [C D][A B]
 *   BADC  byte swap inside each register, registers in order       [B A][D C]
 *   DCBA  fully little-endian                                      [D C][B A]
 * For 64 bits CDAB reverses all four registers ([G H][E F][C D][A B]). For
 * 16-bit types only the byte swap matters (BADC and DCBA swap the bytes). */
typedef enum { MB_ABCD = 0, MB_CDAB, MB_BADC, MB_DCBA } modbus_order;

typedef struct modbus_point {
    char tag[WS_TAG_MAX + 1];
    uint8_t function;      /* modbus_fc */
    uint8_t type;          /* modbus_type */
    uint8_t order;         /* modbus_order */
    bool ma;               /* 4–20 mA scaling below applies */
    uint16_t address;      /* 0-based protocol address */
    double scale, offset;  /* value = raw * scale + offset (not with ma) */
    double raw_at_4ma, raw_at_20ma, eng_low, eng_high;
    /* the plan (set by the parser): which request holds it, at what index */
    uint16_t req, at;
} modbus_point;

/* One read request of the plan: same function, contiguous addresses, at most
 * 125 registers (FC 3/4) or 2000 bits (FC 1/2). */
typedef struct modbus_request {
    uint8_t function;
    uint16_t start, count;
} modbus_request;

typedef struct modbus_device {
    char name[96];
    char host[MODBUS_HOST_MAX + 1];
    int port, unit_id, interval_ms, timeout_ms;
    size_t npoints, nreq;
    modbus_point *points;  /* owned, npoints */
    modbus_request *reqs;  /* owned, nreq: the grouped reads */
} modbus_device;

/* Parse one device from a JSON object. Caller owns *out (modbus_device_free).
 * WS_EINVAL with the field path ("points[3].word_order") on any refusal:
 * unknown or duplicate keys, missing tag/function/address/type, a bad tag,
 * a duplicate tag in the device, a type the function cannot carry (coils and
 * discrete inputs are bool only), a value running past address 65535, a
 * non-finite number, scale 0, raw_at_4ma == raw_at_20ma, eng_low == eng_high,
 * scale/offset given together with ma4_20, or a bool with ma4_20. */
ws_err modbus_device_from_json(const json_t *obj, modbus_device **out);
/* The same from JSON text (duplicate keys refused). */
ws_err modbus_device_parse(const char *text, size_t len, modbus_device **out);
void modbus_device_free(modbus_device *d);

/* Registers (FC 3/4) or bits (FC 1/2) one point occupies: 1, 2 or 4. */
unsigned modbus_type_width(uint8_t function, uint8_t type);

/* Convert a point's raw words into a reading (tag, value, quality; source_ms
 * is left to the caller). regs: the point's registers (FC 3/4), bit: its bit
 * (FC 1/2). A 4–20 mA current below 3.8 mA or above 20.5 mA, or a NaN/inf
 * float, gives WS_Q_BAD and NaN and returns false (a sensor fault); a current
 * in 3.8–4 or 20–20.5 mA is computed and marked WS_Q_UNCERTAIN (NE 43 under
 * and over range). Returns true otherwise. Pure; no allocation. */
bool modbus_point_convert(const modbus_point *p, const uint16_t *regs, uint8_t bit, ws_reading *out);

/* ---------------------------------------------------------------- poller */

typedef struct modbus_stats {
    uint64_t polls;       /* polls that delivered a batch of readings */
    uint64_t failures;    /* polls or connection attempts that failed (timeout, refused, lost) */
    uint64_t faults;      /* readings delivered BAD: 4–20 mA out of NE 43 range, NaN, exception reply */
    uint64_t reconnects;  /* connections made after the first one */
    uint64_t requests;    /* Modbus read requests sent */
    uint64_t stale;       /* STALE batches delivered (once per outage) */
    bool connected;       /* per device: connected now (totals: every device is) */
} modbus_stats;

typedef struct modbus_poller_opts {
    ingest_sink_fn sink;   /* required; never called concurrently (the poller serialises) */
    void *ctx;             /* for sink */
    int backoff_min_ms;    /* first reconnect delay; default 500 */
    int backoff_max_ms;    /* doubling up to this; default 30,000 */
} modbus_poller_opts;

typedef struct modbus_poller modbus_poller;

/* Start one thread per device (a dead or slow PLC then never delays the
 * others: libmodbus calls block up to timeout_ms). On WS_OK the poller owns
 * the devices (devs[i] freed by modbus_poller_stop; the array itself is the
 * caller's); on failure they stay the caller's. Caller owns *out. */
ws_err modbus_poller_start(const modbus_poller_opts *o, modbus_device **devs, size_t n, modbus_poller **out);
/* Stop every thread (a blocking read is cut by shutting its socket down),
 * join them and free everything. NULL is fine. */
void modbus_poller_stop(modbus_poller *p);
/* Totals over the devices into *total; per device (index as given to start)
 * with modbus_poller_device_stats (WS_ENOTFOUND past the end). last_error
 * (may be NULL) gets the device's last failure text, never a secret. */
void modbus_poller_stats(modbus_poller *p, modbus_stats *total);
ws_err modbus_poller_device_stats(modbus_poller *p, size_t i, modbus_stats *st, char *last_error, size_t cap);

#endif
