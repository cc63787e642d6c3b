/* level.h — the three alarm levels of worksafe (issue 4 item 5), shared by
 * threshold evaluation and the alarm lifecycle in src/alarm. */
#ifndef WS_ALARM_LEVEL_H
#define WS_ALARM_LEVEL_H

typedef enum alarm_level {
    ALARM_LVL_NONE = 0,
    ALARM_LVL_NOTICE = 1,    /* 预警: approaching a limit, rate of change, anomaly */
    ALARM_LVL_ALARM = 2,     /* 报警: GB/T 50493 一级, L/H */
    ALARM_LVL_EMERGENCY = 3, /* 紧急: 二级, LL/HH, composites */
} alarm_level;

/* "notice", "alarm", "emergency" ("none" for 0); static. */
const char *alarm_level_name(int level);

#endif
