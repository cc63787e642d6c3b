/* log.h — logfmt lines on stderr: ts=… level=… msg="…" key=value …
 *
 * Never pass a secret (password, token, key) as a value: there is no
 * redaction layer, the rule is that callers do not log secrets. */
#ifndef WS_LOG_H
#define WS_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_set_level(log_level min);
/* kv is a NULL-terminated list of key, value string pairs; values are quoted
 * and escaped when they need it. One write(2) per line, so lines of
 * concurrent threads never interleave. */
void log_kv(log_level lv, const char *msg, ...) __attribute__((sentinel));

#define log_info(...)  log_kv(LOG_INFO, __VA_ARGS__, (const char *)0)
#define log_warn(...)  log_kv(LOG_WARN, __VA_ARGS__, (const char *)0)
#define log_error(...) log_kv(LOG_ERROR, __VA_ARGS__, (const char *)0)
#define log_debug(...) log_kv(LOG_DEBUG, __VA_ARGS__, (const char *)0)

#endif
