/* audit_int.h — private to src/audit (and its unit test): the compact Merkle
 * frontier, the canonical encodings, the signed-note helpers and the entity
 * registry that the files of the module share. Nothing outside src/audit and
 * tests/unit/test_audit.c includes this file. */
#ifndef WS_AUDIT_INT_H
#define WS_AUDIT_INT_H

#include "audit/audit.h"
#include "core/buf.h"

/* ---- frontier (merkle.c) ------------------------------------------------
 * The log's O(log n) state: a stack of perfect subtrees, bottom (largest,
 * leftmost) first. Their sizes are the set bits of size, decreasing. */
#define AUDIT_FRONTIER_MAX 64
typedef struct audit_frontier {
    uint64_t size; /* leaves appended */
    int n;         /* entries on the stack */
    struct {
        uint64_t size;
        uint8_t hash[AUDIT_HASH_LEN];
    } e[AUDIT_FRONTIER_MAX];
} audit_frontier;

/* Encoded: 0x01 then per entry size (uint64 BE) || hash; never empty. */
#define AUDIT_FRONTIER_ENC_MAX (1 + AUDIT_FRONTIER_MAX * (8 + AUDIT_HASH_LEN))

void audit_frontier_init(audit_frontier *f);
void audit_frontier_push(audit_frontier *f, const uint8_t leaf[AUDIT_HASH_LEN]);
void audit_frontier_root(const audit_frontier *f, uint8_t out[AUDIT_HASH_LEN]);
/* out has room for AUDIT_FRONTIER_ENC_MAX bytes; returns the length. */
size_t audit_frontier_encode(const audit_frontier *f, uint8_t *out);
/* Parses and checks the shape (sizes are the set bits of the total, in
 * decreasing order). WS_ECORRUPT when malformed. */
ws_err audit_frontier_decode(const uint8_t *p, size_t n, audit_frontier *f);

/* Roots of the tree over leaves[0:sizes[i]] for k sizes in one pass; sizes
 * sorted ascending, each <= n (roots of sizes out of order are not set). */
void audit_roots_at(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, const uint64_t *sizes,
                    size_t k, uint8_t (*roots)[AUDIT_HASH_LEN]);

void audit_sha256(const uint8_t *p, size_t n, uint8_t out[AUDIT_HASH_LEN]);
/* SHA-256(salt || content). */
void audit_content_hash(const uint8_t salt[AUDIT_HASH_LEN], const uint8_t *content, size_t n,
                        uint8_t out[AUDIT_HASH_LEN]);

/* ---- canonical encodings (encode.c) -------------------------------------- */
#define AUDIT_LEAF_VERSION 0x01
#define AUDIT_MAGIC_RECORD "WSR1"
#define AUDIT_MAGIC_EVENT "WSE1"
#define AUDIT_T_NULL 0
#define AUDIT_T_INT 1
#define AUDIT_T_TEXT 2
#define AUDIT_T_BLOB 3
#define AUDIT_T_REAL 4
#define AUDIT_CONTENT_CAP (16u << 20) /* a record's encoding is at most 16 MiB */

typedef struct audit_leaf_fields {
    uint64_t seq;
    int64_t ts;
    const char *actor;
    const char *entity;
    const char *action;
    int64_t entity_id;
    uint8_t content_hash[AUDIT_HASH_LEN];
} audit_leaf_fields;

/* The leaf content (the bytes hashed after the 0x00 prefix) into b. */
ws_err audit_enc_leaf(buf *b, const audit_leaf_fields *l);
/* The canonical record encoding of the current row of st, a statement from
 * store_scan_table() with e's columns in e's order. Declared column types
 * are used, so both backends give the same bytes. */
ws_err audit_enc_row(buf *b, const audit_entity *e, store_stmt *st);
/* The record encoding with zero columns: the content of a "delete" leaf. */
ws_err audit_enc_deleted(buf *b, const char *entity);
/* The event encoding ("WSE1" magic, then the fields like columns). */
ws_err audit_enc_event(buf *b, const char *entity, const audit_field *fields, int nfields);
/* The integer column name of a record encoding into *out; false when the
 * encoding is malformed or has no such integer column. */
bool audit_enc_int(const uint8_t *p, size_t n, const char *name, int64_t *out);
/* True when content is an event encoding (starts with "WSE1"). */
bool audit_enc_is_event(const uint8_t *p, size_t n);
/* Names of the columns whose encoded values differ between two record
 * encodings of the same entity, comma-separated into out ("" when the
 * encodings cannot be compared column by column). */
void audit_enc_diff(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, char *out,
                    size_t cap);

/* ---- registry (log.c) ----------------------------------------------------- */
int audit_entity_count(void);
const audit_entity *audit_entity_at(int i);

/* ---- keys and signed notes (checkpoint.c) ---------------------------------- */
bool audit_have_key(void);
/* The checkpoint note for (size, root) signed with the loaded key (caller
 * frees *note). WS_EINTERNAL when no key is loaded. */
ws_err audit_note_sign(uint64_t size, const uint8_t root[AUDIT_HASH_LEN], char **note);

/* A parsed checkpoint note. */
typedef struct audit_note {
    char origin[256];
    uint64_t size;
    uint8_t root[AUDIT_HASH_LEN];
    bool parsed;      /* body had origin, size and root in the right form */
    bool signed_ours; /* a signature line with our key name and key ID */
    bool sig_valid;   /* ... and that signature verifies over the body */
    int nsigs;        /* signature lines seen */
} audit_note;

/* Parse one note (body, blank line, signature lines) from text of length n
 * and check its signatures against the loaded key. */
void audit_note_check(const char *text, size_t n, audit_note *out);
/* A verifier key as published: "name+keyid+base64(0x01 || public key)"
 * (audit.md §7). audit_vkey_parse checks its form and that keyid is the
 * name's and key's (WS_EINVAL on "key" otherwise). */
#define AUDIT_ORIGIN_MAX 200
typedef struct audit_vkey {
    char name[AUDIT_ORIGIN_MAX + 1];
    uint8_t keyid[4];
    uint8_t pk[32];
} audit_vkey;
ws_err audit_vkey_parse(const char *s, audit_vkey *out);
/* audit_note_check against the key k instead of the loaded one. */
void audit_note_check_with(const char *text, size_t n, const audit_vkey *k, audit_note *out);
/* Split a file's text into notes (separated by one or more blank lines
 * after the signature lines; CRLF tolerated) and call fn for each. */
void audit_notes_each(const char *text, size_t n, void (*fn)(const char *note, size_t len, void *arg),
                      void *arg);

#endif
