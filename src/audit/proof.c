/* proof.c — one record's proof file, checked offline with nothing but the
 * file and the log's verifier key (`worksafe audit check-proof`).
 *
 * The evidence page writes the file (docs/internals/audit.md §8):
 *   {"format": "worksafe-record-proof/1", "checkpoint": "<signed note>",
 *    "entity": "hazard", "id": 12,
 *    "items": [{"seq", "ts", "actor", "entity", "entity_id", "action",
 *               "content_hash", "path": [hex, ...], "salt"?, "content"?}]}
 * Checked: the checkpoint's signature under the given key; for each item,
 * that it is the record's (entity, id), that its leaf recomputed from its
 * fields (§3) is in the checkpoint's tree (RFC 9162 §2.1.3.2 with the path),
 * and, where salt and content are given (base64), that SHA-256(salt ||
 * content) is its content hash. Every item is reported as a line; nothing
 * in the file is trusted that these checks do not cover (the key comes from
 * the caller, never from the file). */
#include "audit/audit_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"

#define PROOF_ITEMS_MAX 10000
#define PROOF_CONTENT_MAX (1u << 20)

static void say(void (*line)(const char *msg, void *arg), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(void (*line)(const char *msg, void *arg), void *arg, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    line(msg, arg);
}

static bool hex32(const char *s, uint8_t out[AUDIT_HASH_LEN])
{
    size_t got = 0;
    return s && strlen(s) == 2 * AUDIT_HASH_LEN &&
           sodium_hex2bin(out, AUDIT_HASH_LEN, s, strlen(s), NULL, &got, NULL) == 0 &&
           got == AUDIT_HASH_LEN;
}

/* base64 s into a fresh buffer (caller frees); NULL when malformed or too long. */
static uint8_t *unb64(const char *s, size_t *n)
{
    size_t len = s ? strlen(s) : 0;
    if (!s || len > PROOF_CONTENT_MAX * 4 / 3 + 4) return NULL;
    uint8_t *out = malloc(len ? len : 1);
    if (out && sodium_base642bin(out, len ? len : 1, s, len, NULL, n, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) == 0)
        return out;
    free(out);
    return NULL;
}

/* One item: "" when it checks out, else what failed (into why). */
static void check_item(json_t *it, const char *entity, int64_t id, const audit_note *note,
                       bool *content_checked, char *why, size_t cap)
{
    *why = 0;
    *content_checked = false;
    const char *ts = json_string_value(json_object_get(it, "ts"));
    const char *actor = json_string_value(json_object_get(it, "actor"));
    const char *ent = json_string_value(json_object_get(it, "entity"));
    const char *action = json_string_value(json_object_get(it, "action"));
    json_t *seq = json_object_get(it, "seq"), *eid = json_object_get(it, "entity_id");
    json_t *path = json_object_get(it, "path");
    audit_leaf_fields f = {0};
    if (!ts || !actor || !ent || !action || !json_is_integer(seq) || json_integer_value(seq) < 0 ||
        !json_is_integer(eid) || clock_parse_rfc3339(ts, &f.ts) != 0 ||
        !hex32(json_string_value(json_object_get(it, "content_hash")), f.content_hash)) {
        snprintf(why, cap, "malformed item");
        return;
    }
    f.seq = (uint64_t)json_integer_value(seq);
    f.actor = actor;
    f.entity = ent;
    f.action = action;
    f.entity_id = json_integer_value(eid);
    if (strcmp(ent, entity) != 0 || f.entity_id != id) {
        snprintf(why, cap, "a change of %s %lld, not of this record", ent, (long long)f.entity_id);
        return;
    }
    if (!json_is_array(path) || json_array_size(path) > AUDIT_PROOF_MAX) {
        snprintf(why, cap, "no inclusion path (sealed after the checkpoint?)");
        return;
    }
    uint8_t p[AUDIT_PROOF_MAX][AUDIT_HASH_LEN], leaf[AUDIT_HASH_LEN];
    size_t np = json_array_size(path);
    for (size_t i = 0; i < np; i++)
        if (!hex32(json_string_value(json_array_get(path, i)), p[i])) {
            snprintf(why, cap, "malformed inclusion path");
            return;
        }
    buf b = BUF_INIT(4096);
    ws_err rc = audit_enc_leaf(&b, &f);
    if (!rc) audit_leaf_hash((const uint8_t *)b.data, b.len, leaf);
    buf_free(&b);
    if (rc) {
        snprintf(why, cap, "malformed item");
        return;
    }
    if (!audit_verify_inclusion(f.seq, note->size, leaf, (const uint8_t (*)[AUDIT_HASH_LEN])p, np,
                                note->root)) {
        snprintf(why, cap, "not in the signed log as shown (its fields or path were changed)");
        return;
    }
    const char *salt64 = json_string_value(json_object_get(it, "salt"));
    const char *content64 = json_string_value(json_object_get(it, "content"));
    if (!salt64 || !content64) return;
    size_t ns = 0, nc = 0;
    uint8_t *salt = unb64(salt64, &ns), *content = unb64(content64, &nc);
    uint8_t h[AUDIT_HASH_LEN];
    if (!salt || !content || ns != AUDIT_HASH_LEN) {
        snprintf(why, cap, "malformed salt or content");
    } else {
        audit_content_hash(salt, content, nc, h);
        if (sodium_memcmp(h, f.content_hash, AUDIT_HASH_LEN) != 0)
            snprintf(why, cap, "its content is not what was sealed");
        else *content_checked = true;
    }
    free(salt);
    free(content);
}

ws_err audit_proof_check(const char *text, size_t n, const char *verifier_key,
                         void (*line)(const char *msg, void *arg), void *arg, bool *ok)
{
    *ok = false;
    audit_vkey k;
    ws_err rc = audit_vkey_parse(verifier_key, &k);
    if (rc) return rc;
    json_error_t je;
    json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    if (!root) return ws_fail(WS_EINVAL, "file", "not JSON: %s (line %d)", je.text, je.line);
    const char *fmt = json_string_value(json_object_get(root, "format"));
    const char *cp = json_string_value(json_object_get(root, "checkpoint"));
    const char *entity = json_string_value(json_object_get(root, "entity"));
    json_t *idj = json_object_get(root, "id"), *items = json_object_get(root, "items");
    if (!fmt || strcmp(fmt, "worksafe-record-proof/1") != 0 || !cp || !entity ||
        !json_is_integer(idj) || !json_is_array(items) || json_array_size(items) > PROOF_ITEMS_MAX) {
        json_decref(root);
        return ws_fail(WS_EINVAL, "file", "not a worksafe-record-proof/1 file");
    }
    int64_t id = json_integer_value(idj);
    audit_note note;
    audit_note_check_with(cp, strlen(cp), &k, &note);
    bool all = note.parsed && note.sig_valid;
    if (!note.parsed) say(line, arg, "FAIL checkpoint: malformed");
    else if (!note.sig_valid)
        say(line, arg, "FAIL checkpoint of %s, %llu entries: not signed by this key", note.origin,
            (unsigned long long)note.size);
    else
        say(line, arg, "ok   checkpoint of %s, %llu entries: signature valid", note.origin,
            (unsigned long long)note.size);
    size_t i, nchecked = 0;
    json_t *it;
    json_array_foreach(items, i, it) {
        char why[160];
        bool content = false;
        *why = 0;
        if (note.parsed) check_item(it, entity, id, &note, &content, why, sizeof why);
        if (!note.sig_valid && !*why) snprintf(why, sizeof why, "the checkpoint is not signed by this key");
        const char *ts = json_string_value(json_object_get(it, "ts"));
        const char *actor = json_string_value(json_object_get(it, "actor"));
        const char *action = json_string_value(json_object_get(it, "action"));
        say(line, arg, "%s #%lld %s %s %s%s%s", *why ? "FAIL" : "ok  ",
            (long long)json_integer_value(json_object_get(it, "seq")), ts ? ts : "?",
            actor ? actor : "?", action ? action : "?", *why ? ": " : content ? " (content verified)" : "",
            why);
        if (*why) all = false;
        else nchecked++;
    }
    if (json_array_size(items) == 0) {
        say(line, arg, "FAIL the file holds no change of %s %lld", entity, (long long)id);
        all = false;
    }
    say(line, arg, "%s: %s %lld, %zu of %zu changes proved in the signed log", all ? "OK" : "FAILED",
        entity, (long long)id, nchecked, json_array_size(items));
    json_decref(root);
    *ok = all;
    return WS_OK;
}
