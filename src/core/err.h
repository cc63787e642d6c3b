/* err.h — the one error enum of worksafe and a per-thread error detail.
 *
 * Every function that can fail returns ws_err; WS_OK is 0 so the idiom is
 *     rc = f(); if (rc) goto fail;
 * The detail (a message for a person and the name of the offending field) is
 * kept per thread by ws_fail() and read once by the API layer, which maps the
 * code to an HTTP status in exactly one table (api/api.c: api_status_of). */
#ifndef WS_ERR_H
#define WS_ERR_H

typedef enum ws_err {
    WS_OK = 0,
    WS_EINVAL,       /* bad input: malformed, wrong type, out of range     400 */
    WS_EUNAUTH,      /* no or bad credentials                             401 */
    WS_EFORBIDDEN,   /* authenticated, but the role may not do this       403 */
    WS_ENOTFOUND,    /* no such thing, or outside the caller's scope      404 */
    WS_EMETHOD,      /* route exists, method does not                     405 */
    WS_ECONFLICT,    /* duplicate, or a state that forbids the action     409 */
    WS_ETOOBIG,      /* body or field over its cap                        413 */
    WS_EMEDIA,       /* unsupported content type                          415 */
    WS_ELOCKED,      /* account locked after repeated failures            423 */
    WS_ERATE,        /* too many requests                                 429 */
    WS_ENOMEM,       /* allocation failed                                 500 */
    WS_EIO,          /* file or network I/O failed                        500 */
    WS_ESTORE,       /* the database refused or failed                    500 */
    WS_ECORRUPT,     /* integrity check failed (audit verify, schema)     500 */
    WS_ESCHEMA,      /* database schema newer than this binary            500 */
    WS_EINTERNAL,    /* a bug                                             500 */
    WS_EUNAVAILABLE, /* a service the request needs is not running        503 */
    WS_ERR_COUNT
} ws_err;

/* Snake-case code for the error envelope, e.g. "invalid_input". Static. */
const char *ws_err_code(ws_err e);

/* Record the detail of an error for this thread and return e, so callers write
 *     return ws_fail(WS_EINVAL, "name", "name must not be empty");
 * field may be NULL. The message is copied (truncated to 255 bytes). */
ws_err ws_fail(ws_err e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The detail recorded last on this thread; borrowed, valid until the next
 * ws_fail/ws_err_clear on this thread. Empty strings when none. */
const char *ws_err_message(void);
const char *ws_err_field(void);
void ws_err_clear(void);

#endif
