/* json.h — jansson, wrapped: strict decoding of request bodies and small
 * helpers for building replies.
 *
 * A request body is decoded against a field table. The decoder refuses, with
 * WS_EINVAL and the offending field named through ws_fail():
 *   malformed JSON (with line and column), bad UTF-8, NUL in strings,
 *   duplicate keys, a top level that is not an object, unknown fields,
 *   missing required fields, wrong types, strings longer than max_len
 *   (counted in bytes) and integers outside [min, max].
 * Nothing is written by a handler until decoding has succeeded, so bad input
 * never leaves a partial write. */
#ifndef WS_JSON_H
#define WS_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum {
    JF_STRING,  /* const char * (borrowed from the json_t)              */
    JF_INT,     /* int64_t, bounded by min/max                          */
    JF_BOOL,    /* bool                                                 */
    JF_NUMBER,  /* double (integers accepted)                           */
    JF_TIME,    /* int64_t ms, from an RFC 3339 string                  */
    JF_ID,      /* int64_t >= 1; JSON null accepted when nullable, gives 0 */
    JF_ARRAY,   /* json_t * (borrowed), element checks are the caller's */
    JF_OBJECT,  /* json_t * (borrowed)                                  */
} jf_type;

typedef struct json_field {
    const char *name;
    jf_type type;
    bool required;
    bool nullable;     /* JSON null allowed; marks the field present, value zero */
    size_t offset;     /* offsetof(target struct, member)                 */
    size_t max_len;    /* JF_STRING: max bytes (0 = 255); JF_ARRAY: max items (0 = 100) */
    int64_t min, max;  /* JF_INT bounds (both 0 = any int64)              */
    int present_bit;   /* bit in the target's uint64_t at present_offset, -1 = none */
} json_field;

/* Decode body (len bytes, need not be NUL-terminated) into the struct at out.
 * On success *root holds the parsed document (caller owns: json_decref) and
 * every JF_STRING/ARRAY/OBJECT pointer in out borrows from it. present, if not
 * NULL, gets bit i set for each field i that appeared in the body (the table
 * order), which PATCH handlers use. On failure *root is NULL and nothing in
 * out is meaningful. Bodies over max_body bytes fail with WS_ETOOBIG. */
ws_err json_decode_body(const char *body, size_t len, size_t max_body, const json_field *fields,
                        size_t nfields, void *out, uint64_t *present, json_t **root);

/* An optional text member of obj: *out is NULL when key is absent or null,
 * the string (borrowed from obj) when it is one; anything else fails with
 * WS_EINVAL naming field (the path the caller sent, e.g. "items[2].note"). */
ws_err json_opt_text(const json_t *obj, const char *key, const char *field, const char **out);

/* An optional id member of obj: *out is 0 when key is absent or null, the
 * value when it is a whole number >= 1; anything else ("12", 0, 1.5, an
 * object) fails with WS_EINVAL naming field, never read as "none". */
ws_err json_opt_id(const json_t *obj, const char *key, const char *field, int64_t *out);

/* Refuse a member of obj that is not in keys (NULL-terminated): WS_EINVAL
 * naming it as "prefix.key" (or "key" when prefix is NULL), so that a
 * misspelt optional field is an error the sender sees, not data dropped. */
ws_err json_known_keys(const json_t *obj, const char *prefix, const char *const *keys);

/* Serialise v compactly (caller frees). Keys keep insertion order. */
char *json_dump_compact(const json_t *v);

/* Build helpers that never return NULL for a NULL input: json_str(NULL) is
 * JSON null. All return new references. */
json_t *json_str(const char *s);
json_t *json_int(int64_t v);          /* 0 stays 0; use json_id for ids      */
json_t *json_id(int64_t v);           /* v <= 0 becomes JSON null            */
json_t *json_time(int64_t ms);        /* RFC 3339 UTC string; ms <= 0 is null */

#endif
