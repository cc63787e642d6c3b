/* err.c — names of the error codes and the per-thread error detail. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const codes[WS_ERR_COUNT] = {
    [WS_OK] = "ok",
    [WS_EINVAL] = "invalid_input",
    [WS_EUNAUTH] = "unauthenticated",
    [WS_EFORBIDDEN] = "forbidden",
    [WS_ENOTFOUND] = "not_found",
    [WS_EMETHOD] = "method_not_allowed",
    [WS_ECONFLICT] = "conflict",
    [WS_ETOOBIG] = "too_large",
    [WS_EMEDIA] = "unsupported_media_type",
    [WS_ELOCKED] = "locked",
    [WS_ERATE] = "rate_limited",
    [WS_ENOMEM] = "out_of_memory",
    [WS_EIO] = "io_error",
    [WS_ESTORE] = "store_error",
    [WS_ECORRUPT] = "integrity_error",
    [WS_ESCHEMA] = "schema_too_new",
    [WS_EINTERNAL] = "internal_error",
    [WS_EUNAVAILABLE] = "unavailable",
};

static _Thread_local struct {
    char message[256];
    char field[64];
} detail;

const char *ws_err_code(ws_err e)
{
    if ((unsigned)e >= WS_ERR_COUNT) return "internal_error";
    return codes[e];
}

ws_err ws_fail(ws_err e, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail.message, sizeof detail.message, fmt, ap);
    va_end(ap);
    snprintf(detail.field, sizeof detail.field, "%s", field ? field : "");
    return e;
}

const char *ws_err_message(void) { return detail.message; }
const char *ws_err_field(void) { return detail.field; }
void ws_err_clear(void) { detail.message[0] = 0; detail.field[0] = 0; }
