/* log.c — logfmt writer; see log.h. */
#include "core/log.h"
#include "core/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static log_level min_level = LOG_INFO;

void log_set_level(log_level min) { min_level = min; }

/* Append s to line at *n (cap cap), quoting when it holds space, '=', '"' or
 * control bytes. Truncates silently at the line cap, which is the one place a
 * truncation is acceptable: a log line, not data. */
static void put(char *line, size_t cap, size_t *n, const char *s, int quote_ok)
{
    int need = 0;
    for (const char *p = s; *p; p++)
        if (*p == ' ' || *p == '=' || *p == '"' || (unsigned char)*p < 0x20) need = 1;
    if (!*s) need = 1;
    if (!quote_ok) need = 0;
    if (need && *n < cap) line[(*n)++] = '"';
    for (const char *p = s; *p && *n + 2 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (need && (c == '"' || c == '\\')) { line[(*n)++] = '\\'; line[(*n)++] = (char)c; }
        else if (c == '\n') { line[(*n)++] = '\\'; line[(*n)++] = 'n'; }
        else if (c < 0x20) line[(*n)++] = '?';
        else line[(*n)++] = (char)c;
    }
    if (need && *n < cap) line[(*n)++] = '"';
}

void log_kv(log_level lv, const char *msg, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (lv < min_level) return;
    char line[2048];
    size_t n = 0;
    char ts[40];
    clock_format_rfc3339(clock_now_ms(), ts, sizeof ts);
    n += (size_t)snprintf(line, sizeof line, "ts=%s level=%s msg=", ts, names[lv]);
    put(line, sizeof line - 1, &n, msg, 1);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k) break;
        const char *v = va_arg(ap, const char *);
        if (n + 1 < sizeof line - 1) line[n++] = ' ';
        put(line, sizeof line - 1, &n, k, 0);
        if (n + 1 < sizeof line - 1) line[n++] = '=';
        put(line, sizeof line - 1, &n, v ? v : "", 1);
    }
    va_end(ap);
    line[n++] = '\n';
    ssize_t w = write(2, line, n);
    (void)w;
}
