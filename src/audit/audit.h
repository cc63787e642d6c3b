/* audit.h — the evidence log: an append-only Merkle log (RFC 6962 hashing)
 * of every change to a record and of logins and permission changes, with
 * signed checkpoints (C2SP checkpoint format, Ed25519) and proofs.
 *
 * How a module uses it: inside its write transaction, after writing the row,
 *     rc = audit_record(conn, actor, &AUDIT_ENTITY_PERSON, id, "update");
 * audit_record reads the row back through the entity's column list, encodes it
 * canonically (docs/internals/audit.md), salts and hashes it, stores the
 * version in record_version and appends a leaf. If the transaction rolls back,
 * so does the leaf: there is never a change without its leaf or a leaf without
 * its change. Appenders serialise on the audit_head row (single writer).
 *
 * Canonical encoding and leaf format are specified in docs/internals/audit.md
 * and are identical on SQLite and PostgreSQL. */
#ifndef WS_AUDIT_H
#define WS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define AUDIT_HASH_LEN 32

typedef enum { AC_INT, AC_TEXT, AC_BLOB, AC_REAL } audit_col_type;

typedef struct audit_col {
    const char *name;
    audit_col_type type;
} audit_col;

/* An audited kind of record: the table and the columns that are hashed, in
 * canonical order. Column 0 must be "id". Defined by the owning module as a
 * static const and registered once at start-up with audit_register(). */
typedef struct audit_entity {
    const char *name;   /* "account", "person", … as it appears in leaves */
    const char *table;
    const audit_col *cols;
    int ncols;
} audit_entity;

/* Register an entity so that audit verify checks its table. Not thread-safe;
 * call during start-up only. At most 64 entities. */
ws_err audit_register(const audit_entity *e);

/* Open the log: load the signing key from key_path (created by
 * audit_keygen) and set the checkpoint origin (e.g. "worksafe.local/audit/v1",
 * also the key name). Call once after the store is migrated. */
ws_err audit_open(const char *key_path, const char *origin);
void audit_close(void);
/* Create a new Ed25519 key at key_path (mode 0600); fails if it exists. */
ws_err audit_keygen(const char *key_path);
/* The public verifier key in the signed-note format
 * "<name>+<hex keyid>+<base64(0x01||pubkey)>" into out (cap >= 160). */
ws_err audit_verifier_key(char *out, size_t cap);

/* The actor of a change: "account:12", "system", "cli", "anonymous". */
typedef struct audit_actor {
    const char *name;
} audit_actor;

/* Append a leaf for the current content of row id of e (or, for action
 * "delete", for its absence). Must be called inside a write transaction on c.
 * *seq_out (optional) receives the leaf's sequence number. */
ws_err audit_record(store_conn *c, const audit_actor *who, const audit_entity *e, int64_t id,
                    const char *action, int64_t *seq_out);

/* A field of an event that is not a stored record (login, logout, restore). */
typedef struct audit_field {
    const char *name;
    audit_col_type type;
    int64_t i;
    const char *s; /* AC_TEXT */
} audit_field;

/* Append a leaf for an event (entity "session", action "login", …) whose
 * content is the given fields. Opens and commits its own transaction when c
 * is not in one. */
ws_err audit_event(store_conn *c, const audit_actor *who, const char *entity, int64_t id,
                   const char *action, const audit_field *fields, int nfields, int64_t *seq_out);

/* Purge record id of e (erasure of personal data), inside the caller's write
 * transaction and after the caller has anonymised the row: every earlier
 * version of (e, id) loses salt and content (the leaves stay); a tombstone
 * leaf, action "purge", commits to the row's current content; and an event
 * leaf (entity "erasure", id, action "purge", fields {entity, id, reason})
 * records why. reason: 1..500 bytes (WS_EINVAL, field "reason"); a missing
 * row is WS_ENOTFOUND. *seq_out (optional): the tombstone's sequence number.
 * docs/internals/audit.md, "Purges and tombstones". */
ws_err audit_purge(store_conn *c, const audit_actor *who, const audit_entity *e, int64_t id,
                   const char *reason, int64_t *seq_out);
/* The same for the events about a record (entity "session", id = an account's
 * id: their fields hold its username): their versions lose salt and content,
 * and an "erasure" event leaf {entity, id, reason} records it; *seq_out gets
 * that leaf's sequence number. Inside the caller's write transaction. */
ws_err audit_purge_events(store_conn *c, const audit_actor *who, const char *entity, int64_t id,
                          const char *reason, int64_t *seq_out);

/* The log as of now: size and root. */
ws_err audit_head(store_conn *c, uint64_t *size, uint8_t root[AUDIT_HASH_LEN]);

/* Sign a checkpoint for the current head, store it in audit_checkpoint (if
 * the size is new) and return the note text (caller frees). */
ws_err audit_checkpoint(store_conn *c, char **note);

/* Inclusion proof of leaf index in the tree of size; fills *path (caller
 * frees) with *n hashes, bottom up. Also returns the leaf hash. */
ws_err audit_proof_inclusion(store_conn *c, uint64_t index, uint64_t size,
                             uint8_t leaf_hash[AUDIT_HASH_LEN], uint8_t (**path)[AUDIT_HASH_LEN],
                             size_t *n);
ws_err audit_proof_consistency(store_conn *c, uint64_t old_size, uint64_t new_size,
                               uint8_t (**path)[AUDIT_HASH_LEN], size_t *n);

/* One finding of audit verify. */
typedef struct audit_finding {
    char entity[32];
    int64_t id;
    char what[160]; /* "changed outside worksafe", "deleted outside worksafe", … */
} audit_finding;

/* Recompute every leaf hash, the tree and every record hash; compare live
 * rows with their last version; check stored checkpoints' signatures and
 * consistency; and, when against_path is given (a file of checkpoints a
 * regulator saved, notes separated by blank lines), their consistency with
 * the log. Findings are passed to report (may be NULL). Returns WS_OK when
 * clean, WS_ECORRUPT when anything was found. */
ws_err audit_verify(store_conn *c, const char *against_path,
                    void (*report)(const audit_finding *f, void *arg), void *arg,
                    uint64_t *leaves_checked);

/* One record against the log (audit verify's step 4 for a single row):
 * whether its live row is still its last sealed version. */
typedef enum {
    AUDIT_REC_SAME,            /* the live row is its last version */
    AUDIT_REC_CHANGED,         /* changed outside worksafe; cols names the columns */
    AUDIT_REC_CREATED,         /* a row with no version, or after its delete leaf */
    AUDIT_REC_DELETED,         /* deleted through worksafe (its last leaf is the delete) */
    AUDIT_REC_DELETED_OUTSIDE, /* sealed, never deleted, and the row is gone */
    AUDIT_REC_PURGED,          /* its last version was purged by policy: nothing to compare */
    AUDIT_REC_NONE,            /* neither a row nor a version */
} audit_rec_state;
typedef struct audit_rec_check {
    audit_rec_state state;
    int64_t last_seq; /* the leaf of its last version (-1 when none) */
    char cols[120];
    /* DELETED_OUTSIDE: the unit_id its last sealed version names, when that
     * version is held and still hashes to its leaf; else 0. Who may read the
     * record is decided by its unit, and the row that said it is gone. */
    int64_t sealed_unit;
} audit_rec_check;
/* entity: a registered entity's name (else WS_EINVAL on "entity"); id > 0. */
ws_err audit_record_check(store_conn *c, const char *entity, int64_t id, audit_rec_check *out);

/* One record's proof file (the evidence page's download, audit.md §8),
 * checked offline against verifier_key ("name+keyid+base64", never taken
 * from the file): each finding and each change as a line to line(); *ok
 * when everything checks out. WS_EINVAL naming "key" or "file" when either
 * is malformed. Needs no store and no loaded key. */
ws_err audit_proof_check(const char *text, size_t n, const char *verifier_key,
                         void (*line)(const char *msg, void *arg), void *arg, bool *ok);

/* --- pure RFC 6962 functions, exposed for tests and offline verifiers --- */
void audit_leaf_hash(const uint8_t *data, size_t n, uint8_t out[AUDIT_HASH_LEN]);
void audit_node_hash(const uint8_t l[AUDIT_HASH_LEN], const uint8_t r[AUDIT_HASH_LEN],
                     uint8_t out[AUDIT_HASH_LEN]);
/* MTH of n leaf hashes. */
void audit_root_of(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, uint8_t out[AUDIT_HASH_LEN]);
bool audit_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[AUDIT_HASH_LEN],
                            const uint8_t (*path)[AUDIT_HASH_LEN], size_t n,
                            const uint8_t root[AUDIT_HASH_LEN]);
bool audit_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[AUDIT_HASH_LEN],
                              const uint8_t root2[AUDIT_HASH_LEN],
                              const uint8_t (*path)[AUDIT_HASH_LEN], size_t n);
/* Proof generation over n leaf hashes (RFC 6962 PATH and PROOF), bottom up,
 * into out (room for AUDIT_PROOF_MAX hashes); returns the count.
 * Inclusion: m < n. Consistency: 0 < m <= n (m == n gives 0 hashes). */
#define AUDIT_PROOF_MAX 130
size_t audit_inclusion_path(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, size_t m,
                            uint8_t (*out)[AUDIT_HASH_LEN]);
size_t audit_consistency_path(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, size_t m,
                              uint8_t (*out)[AUDIT_HASH_LEN]);

/* The inclusion paths of k leaves m[0..k) in the tree of d's n leaf hashes
 * at once, in O(n) (audit_inclusion_path is O(n) for each): out[j] gets
 * cnt[j] hashes, bottom up, as PATH(m[j], D[n]); an m[j] >= n gets none.
 * d is overwritten. */
#define AUDIT_PATH_DEPTH 64
void audit_inclusion_paths(uint8_t (*d)[AUDIT_HASH_LEN], size_t n, const size_t *m, size_t k,
                           uint8_t (*out)[AUDIT_PATH_DEPTH][AUDIT_HASH_LEN], size_t *cnt);
/* The same from the log's first size leaves: each(j, leaf hash, path, count,
 * arg) for every m[j] < size, in order. */
ws_err audit_proofs_inclusion(store_conn *c, uint64_t size, const size_t *m, size_t k,
                              void (*each)(size_t j, const uint8_t leaf[AUDIT_HASH_LEN],
                                           const uint8_t (*path)[AUDIT_HASH_LEN], size_t n,
                                           void *arg),
                              void *arg);

/* The root of the log's tree at size (<= the current size). */
ws_err audit_root_at(store_conn *c, uint64_t size, uint8_t root[AUDIT_HASH_LEN]);
/* The origin (also the key name) set by audit_open; "" before. Static. */
const char *audit_origin(void);

#endif
