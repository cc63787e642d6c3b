/* dahua.h — the Dahua eventManager event stream (INTEGRATIONS.md §3.2):
 * GET /cgi-bin/eventManager.cgi?action=attach answers with an endless
 * multipart/x-mixed-replace body whose parts are text blocks
 *     Code=CrossRegionDetection;action=Start;index=0;data={ …JSON… }
 * or "Heartbeat".
 *
 * dahua_feed() takes the stream in whatever chunks the socket returns (a
 * block split across reads works) and calls back once per block with a
 * ws_camera_event (camera.h) and the data JSON parsed when present. Memory is
 * the parser struct itself (fixed buffers, no allocation per block besides
 * jansson's for data); a block larger than DAHUA_BLOCK_MAX, or malformed, is
 * skipped and counted, never buffered without bound. */
#ifndef WS_INGEST_DAHUA_H
#define WS_INGEST_DAHUA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/camera.h"

#define DAHUA_BLOCK_MAX 16384
#define DAHUA_LINE_MAX 256

/* Called once per good block. data is borrowed (valid during the call),
 * NULL when the block has none or it is not valid JSON (counted bad_data). */
typedef void (*dahua_cb)(void *ud, const ws_camera_event *ev, json_t *data);

typedef struct dahua_stats {
    uint64_t events;      /* blocks delivered (heartbeats included) */
    uint64_t heartbeats;
    uint64_t oversized;   /* blocks over DAHUA_BLOCK_MAX, skipped */
    uint64_t malformed;   /* blocks or part headers that are not the format, skipped */
    uint64_t bad_data;    /* delivered without data: its JSON did not parse */
} dahua_stats;

typedef struct dahua_parser {
    dahua_stats stats;
    char last_error[160];  /* why the last block was skipped, with a sample of it */
    /* private */
    char delim[72];
    size_t delim_len;
    const ws_cam_rule *map;
    unsigned nmap;
    int state;
    int64_t clen, left;
    bool line_over, body_over;
    size_t line_len, body_len, line_start;
    char line[DAHUA_LINE_MAX];
    char body[DAHUA_BLOCK_MAX + 1];
} dahua_parser;

/* boundary: from the response's Content-Type (NULL = "myboundary"; a
 * leading "--" is accepted). map: the camera's own mapping (may be NULL),
 * consulted before the built-in one; borrowed for the parser's life. */
void dahua_init(dahua_parser *p, const char *boundary, const ws_cam_rule *map, unsigned nmap);

/* Feed the next n bytes of the stream. Never fails: bad input is counted. */
void dahua_feed(dahua_parser *p, const uint8_t *chunk, size_t n, dahua_cb cb, void *ud);

/* Parse one block's text (no multipart framing). On success fills ev and,
 * when data is not NULL, *data (caller owns: json_decref; NULL when the block
 * has no data or it is not JSON). WS_EINVAL with a reason otherwise. */
ws_err dahua_parse_block(const char *s, size_t n, const ws_cam_rule *map, unsigned nmap, ws_camera_event *ev,
                         json_t **data);

/* Built-in mapping of a Code (and the rule name, for WorkClothesDetection). */
ws_violation dahua_map(const ws_camera_event *ev);

#endif
