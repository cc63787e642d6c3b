/* camera.h — what the AI-camera decoders (hikvision.c, dahua.c) produce: one
 * camera event, mapped to a worksafe violation with the vendor's raw type
 * kept, plus the per-camera mapping table both decoders consult first.
 *
 * A camera event is a fixed-size struct (bounded strings, copied), so it
 * outlives the body or stream block it came from and nothing is allocated per
 * event. Resolving the camera to a point, storing pictures through the
 * attachment store and raising alarms happen later, above the decoders. */
#ifndef WS_INGEST_CAMERA_H
#define WS_INGEST_CAMERA_H

#include <stdbool.h>
#include <stdint.h>
#include <strings.h>

typedef enum {
    WS_VIOL_OTHER = 0,     /* recognised but not a safety violation (motion, I/O, crowd…), or unknown */
    WS_VIOL_NO_HELMET = 1, /* 未戴安全帽 */
    WS_VIOL_INTRUSION = 2, /* 区域入侵 / 越界 */
    WS_VIOL_SMOKING = 3,   /* 吸烟 */
    WS_VIOL_FIRE = 4,      /* 烟火 / flame */
} ws_violation;

typedef enum {
    WS_CAM_HIKVISION = 1,
    WS_CAM_DAHUA = 2,
} ws_cam_vendor;

typedef enum {
    WS_CAM_START = 0, /* Hikvision eventState=active, Dahua action=Start */
    WS_CAM_STOP = 1,  /* Hikvision eventState=inactive, Dahua action=Stop */
    WS_CAM_PULSE = 2, /* Dahua action=Pulse (a one-shot event) */
} ws_cam_action;

#define WS_CAM_STR 64

typedef struct ws_camera_event {
    uint8_t vendor;          /* ws_cam_vendor */
    uint8_t violation;       /* ws_violation */
    uint8_t action;          /* ws_cam_action */
    bool heartbeat;          /* a keep-alive, not an alarm (Hikvision inactive, Dahua Heartbeat) */
    bool retransmission;     /* Hikvision isDataRetransmission=true: a re-sent alarm */
    int32_t channel;         /* as sent: Hikvision channelID (1-based; >32 on an NVR = IP channel
                              * channel-32), Dahua index (0-based); -1 = none */
    uint32_t post_count;     /* Hikvision activePostCount; 0 = none */
    int64_t source_ms;       /* the camera's time, ms UTC; 0 = none (arrival time stands) */
    int16_t offset_min;      /* the offset the camera wrote its time in (minutes east of UTC) */
    char raw_type[WS_CAM_STR];    /* eventType / Code exactly as sent (truncated) */
    char rule[WS_CAM_STR];        /* rule name (AIOP ruleName, Dahua data.Name) */
    char rule_id[WS_CAM_STR];     /* rule id (AIOP ruleID, Dahua data.RuleID) */
    char target[32];              /* targetType / detectionTarget / recognitionType / ObjectType */
    char ip[48];                  /* ipAddress (or ipv6Address when no IPv4) */
    char mac[24];                 /* macAddress */
    char device_id[WS_CAM_STR];   /* deviceID (ISUP PUID) */
    char channel_name[WS_CAM_STR];
    char description[128];        /* eventDescription */
} ws_camera_event;

/* A per-camera mapping entry: when `match` equals (case-insensitively) the
 * event's raw type, rule name or rule id, the event gets `violation`. The
 * table is consulted before the built-in mapping, so an AI box's custom
 * algorithm ("AIOP_Video" rule "吸烟检测") or a code not known here can be
 * mapped per camera without a new build. */
typedef struct ws_cam_rule {
    const char *match;
    uint8_t violation; /* ws_violation */
} ws_cam_rule;

/* Static name of a violation: "other", "no_helmet", "intrusion", "smoking", "fire". */
static inline const char *ws_violation_name(int v)
{
    static const char *const n[] = {"other", "no_helmet", "intrusion", "smoking", "fire"};
    return v >= 0 && v <= WS_VIOL_FIRE ? n[v] : "other";
}

/* Apply a per-camera table to ev; returns true when an entry matched. */
static inline bool ws_cam_rules_apply(const ws_cam_rule *map, unsigned nmap, ws_camera_event *ev)
{
    for (unsigned i = 0; map && i < nmap; i++) {
        const char *m = map[i].match;
        if (!m || !*m) continue;
        if (!strcasecmp(m, ev->raw_type) || (ev->rule[0] && !strcasecmp(m, ev->rule)) ||
            (ev->rule_id[0] && !strcasecmp(m, ev->rule_id))) {
            ev->violation = map[i].violation <= WS_VIOL_FIRE ? map[i].violation : WS_VIOL_OTHER;
            return true;
        }
    }
    return false;
}

#endif
