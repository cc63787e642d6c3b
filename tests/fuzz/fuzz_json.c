/* fuzz_json.c — libFuzzer target for request-body decoding (core/json.c).
 *
 * Feeds arbitrary bytes to json_decode_body() with a field table shaped like
 * the API's (every field type, required and nullable fields, byte and item
 * caps, integer bounds) and checks what a handler relies on: on failure no
 * document is returned and the detail names a field; on success every string
 * is within its cap, integers within their bounds, ids >= 1, and the presence
 * bits only name fields of the table, and the document serialised reads back
 * equal. Linked only with core (json, err,
 * clock, buf), under address and undefined-behaviour sanitizers; leaks are
 * reported by libFuzzer's leak checker.
 *   make build/fuzz/fuzz_json && build/fuzz/fuzz_json -max_total_time=20 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

typedef struct req {
    const char *username;
    const char *password;
    int64_t limit;
    bool active;
    double score;
    int64_t at;
    int64_t unit_id;
    int64_t person_id;
    json_t *roles;
    json_t *meta;
    const char *note;
} req;

static const json_field fields[] = {
    {"username", JF_STRING, true, false, offsetof(req, username), 64, 0, 0, -1},
    {"password", JF_STRING, false, false, offsetof(req, password), 128, 0, 0, -1},
    {"limit", JF_INT, false, false, offsetof(req, limit), 0, 1, 200, -1},
    {"active", JF_BOOL, false, false, offsetof(req, active), 0, 0, 0, -1},
    {"score", JF_NUMBER, false, false, offsetof(req, score), 0, 0, 0, -1},
    {"at", JF_TIME, false, true, offsetof(req, at), 0, 0, 0, -1},
    {"unit_id", JF_ID, false, false, offsetof(req, unit_id), 0, 0, 0, -1},
    {"person_id", JF_ID, false, true, offsetof(req, person_id), 0, 0, 0, -1},
    {"roles", JF_ARRAY, false, false, offsetof(req, roles), 7, 0, 0, -1},
    {"meta", JF_OBJECT, false, true, offsetof(req, meta), 0, 0, 0, -1},
    {"note", JF_STRING, false, true, offsetof(req, note), 0, 0, 0, -1},
};
#define NF (sizeof fields / sizeof fields[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    req r;
    uint64_t present = 0;
    json_t *root = NULL;
    memset(&r, 0, sizeof r);
    ws_err_clear();
    ws_err rc = json_decode_body((const char *)data, size, 64 * 1024, fields, NF, &r, &present, &root);
    if (rc) {
        if (root) abort();
        if (rc != WS_EINVAL && rc != WS_ETOOBIG) abort();
        if (!ws_err_field()[0] || !ws_err_message()[0]) abort();
        return 0;
    }
    if (!root || !json_is_object(root)) abort();
    if (!(present & 1) || !r.username || strlen(r.username) > 64) abort();
    if (present >> NF) abort();
    if (r.password && strlen(r.password) > 128) abort();
    if (r.note && strlen(r.note) > 255) abort();
    if ((present & (1u << 2)) && (r.limit < 1 || r.limit > 200)) abort();
    if ((present & (1u << 6)) && r.unit_id < 1) abort();
    if (r.person_id < 0) abort();
    if (r.roles && json_array_size(r.roles) > 7) abort();
    /* Serialising what was accepted must work too (replies echo input), and
     * read back as the same document: reals are written in their shortest
     * form, which must still be the same doubles. */
    char *s = json_dump_compact(root);
    if (!s) abort();
    json_t *back = json_loads(s, 0, NULL);
    if (!back || !json_equal(root, back)) abort();
    json_decref(back);
    free(s);
    json_decref(root);
    return 0;
}
