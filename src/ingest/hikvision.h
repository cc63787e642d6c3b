/* hikvision.h — the Hikvision ISAPI event push (EventNotificationAlert):
 * an XML body (expat), a JSON body (jansson), or multipart/form-data with
 * the event part and picture parts (INTEGRATIONS.md §3.1).
 *
 * The HTTP receiver (later) hands the request's Content-Type and body to
 * hik_decode(), which fills one ws_camera_event (camera.h) and returns the
 * pictures as slices of the body — offset, length, content type — so the
 * caller stores them through the attachment store with its quotas without a
 * copy here. Pure: no I/O; the parsers' own allocations end before return. */
#ifndef WS_INGEST_HIKVISION_H
#define WS_INGEST_HIKVISION_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/camera.h"

#define HIK_PICS_MAX 8

typedef struct hik_picture {
    size_t off, len;          /* the picture is body[off .. off+len) */
    char content_type[48];    /* e.g. "image/jpeg" */
    char name[64];            /* filename, else the form-data name, else the Content-ID */
} hik_picture;

typedef struct hik_event {
    ws_camera_event ev;
    hik_picture pics[HIK_PICS_MAX];
    size_t npics;
    uint32_t pics_dropped;         /* picture parts beyond HIK_PICS_MAX */
    uint32_t pictures_announced;   /* detectionPicturesNumber, 0 = none */
} hik_event;

/* Decode one push. content_type is the request header (NULL or "" = sniff
 * '<' or '{'); default_offset_min is the camera's zone for a dateTime sent
 * without an offset; map (may be NULL) is the camera's own mapping, consulted
 * before the built-in one. Errors: WS_EINVAL (malformed, no eventType, bad
 * dateTime, an identity field over its cap; field names what), WS_EMEDIA
 * (not XML, JSON or multipart). */
ws_err hik_decode(const char *content_type, const uint8_t *body, size_t len, int default_offset_min,
                  const ws_cam_rule *map, unsigned nmap, hik_event *out);

/* Built-in mapping of an ISAPI event to a violation (used by hik_decode
 * after the camera's map): eventType, then a recognitionType of
 * "safetyHelmet", then for AIOP_Video keywords of the rule name or
 * description. Exposed for tests and the docs. */
ws_violation hik_map(const ws_camera_event *ev);

/* "2022-01-31T13:53:05+01:00" (offset ±hh:mm, ±hhmm or Z; fraction
 * optional; no offset = default_offset_min) → ms UTC. 0 or -1. */
int hik_parse_time(const char *s, int default_offset_min, int64_t *ms, int *offset_min);

#endif
