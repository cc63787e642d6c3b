/* log.c — the writing side of the evidence log and the proofs read from it.
 *
 * audit_record() and audit_event() encode content (encode.c), salt and hash
 * it, and append one leaf: a row in audit_leaf, the salted content in
 * record_version (so every version can be re-hashed later) and the new size
 * and frontier in audit_head. They run inside the caller's write transaction,
 * so a rolled-back change leaves no leaf and a committed change always has
 * one. Appenders are serialised on the audit_head row: PostgreSQL locks it
 * (SELECT … FOR UPDATE), SQLite's BEGIN IMMEDIATE already admits one writer.
 *
 * Proofs are computed from the leaf hashes stored in audit_leaf, read in full
 * up to the requested size: O(n) time and memory per proof (docs say so;
 * a cache of perfect-subtree hashes is the obvious next step). */
#include "audit/audit_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/q_audit.h"

#define MAX_ENTITIES 64
#define MAX_COLS 128
#define MAX_NAME 64 /* entity, action: bytes */
#define MAX_ACTOR 128

static const audit_entity *registry[MAX_ENTITIES];
static int nregistry;

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;
static void sodium_start(void) { sodium_ok = sodium_init() >= 0; }

ws_err audit_register(const audit_entity *e)
{
    if (!e || !e->name || !*e->name || !e->table || !e->cols || e->ncols < 1 ||
        e->ncols > MAX_COLS || strlen(e->name) >= sizeof(((audit_finding *)0)->entity))
        return ws_fail(WS_EINTERNAL, NULL, "audit_register: malformed entity");
    if (strcmp(e->cols[0].name, "id") != 0 || e->cols[0].type != AC_INT)
        return ws_fail(WS_EINTERNAL, NULL, "audit_register: column 0 of %s must be the integer id",
                       e->name);
    for (int i = 0; i < nregistry; i++) {
        if (registry[i] == e) return WS_OK;
        if (strcmp(registry[i]->name, e->name) == 0)
            return ws_fail(WS_EINTERNAL, NULL, "audit_register: entity %s registered twice", e->name);
    }
    if (nregistry == MAX_ENTITIES)
        return ws_fail(WS_EINTERNAL, NULL, "audit_register: more than %d entities", MAX_ENTITIES);
    registry[nregistry++] = e;
    return WS_OK;
}

int audit_entity_count(void) { return nregistry; }
const audit_entity *audit_entity_at(int i) { return i >= 0 && i < nregistry ? registry[i] : NULL; }

/* ---- head -------------------------------------------------------------- */

/* Reads the head row with st (already prepared); *found false when absent. */
static ws_err read_head(store_stmt *st, bool *found, audit_frontier *f)
{
    bool row = false;
    ws_err rc = store_step(st, &row);
    if (rc) return rc;
    *found = row;
    if (!row) {
        audit_frontier_init(f);
        return WS_OK;
    }
    int64_t size = store_col_int(st, 0);
    size_t n = 0;
    const void *p = store_col_blob(st, 1, &n);
    rc = audit_frontier_decode(p, p ? n : 0, f);
    if (rc) return rc;
    if (size < 0 || (uint64_t)size != f->size)
        return ws_fail(WS_ECORRUPT, NULL, "audit head: size %lld does not match its frontier",
                       (long long)size);
    return WS_OK;
}

static ws_err head_load(store_conn *c, bool lock, audit_frontier *f)
{
    const char *q = lock && store_conn_backend(c) == STORE_POSTGRES ? Q_AUDIT_HEAD_LOCK_PG
                                                                    : Q_AUDIT_HEAD_GET;
    store_stmt *st = NULL;
    bool found = false;
    ws_err rc = store_prepare(c, q, &st);
    if (!rc) rc = read_head(st, &found, f);
    store_finalize(st);
    st = NULL;
    if (rc || found || !lock) return rc;
    /* First append: create the row, then lock it. ON CONFLICT makes two
     * first appenders on PostgreSQL meet on the row lock, not on an error. */
    uint8_t enc[AUDIT_FRONTIER_ENC_MAX];
    audit_frontier_init(f);
    size_t n = audit_frontier_encode(f, enc);
    rc = store_prepare(c, Q_AUDIT_HEAD_INIT, &st);
    if (!rc) rc = store_bind_blob(st, 1, enc, n);
    bool row;
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    st = NULL;
    if (rc) return rc;
    rc = store_prepare(c, q, &st);
    if (!rc) rc = read_head(st, &found, f);
    store_finalize(st);
    if (!rc && !found) rc = ws_fail(WS_ESTORE, NULL, "audit head: row missing after insert");
    return rc;
}

ws_err audit_head(store_conn *c, uint64_t *size, uint8_t root[AUDIT_HASH_LEN])
{
    audit_frontier f;
    ws_err rc = head_load(c, false, &f);
    if (rc) return rc;
    if (size) *size = f.size;
    if (root) audit_frontier_root(&f, root);
    return WS_OK;
}

/* ---- append ------------------------------------------------------------ */

static ws_err check_name(const char *what, const char *s, size_t max)
{
    if (!s || !*s || strlen(s) > max)
        return ws_fail(WS_EINTERNAL, NULL, "audit: %s must be 1..%zu bytes", what, max);
    return WS_OK;
}

static ws_err append_leaf(store_conn *c, const audit_actor *who, const char *entity, int64_t id,
                          const char *action, const buf *content, int64_t *seq_out)
{
    const char *actor = who && who->name ? who->name : "system";
    ws_err rc = check_name("actor", actor, MAX_ACTOR);
    if (!rc) rc = check_name("entity", entity, MAX_NAME);
    if (!rc) rc = check_name("action", action, MAX_NAME);
    if (rc) return rc;
    pthread_once(&sodium_once, sodium_start);
    if (!sodium_ok) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to initialise");

    audit_frontier f;
    rc = head_load(c, true, &f);
    if (rc) return rc;

    audit_leaf_fields l = {.seq = f.size, .ts = clock_now_ms(), .actor = actor, .entity = entity,
                           .action = action, .entity_id = id};
    uint8_t salt[AUDIT_HASH_LEN], leaf_hash[AUDIT_HASH_LEN];
    randombytes_buf(salt, sizeof salt);
    audit_content_hash(salt, (const uint8_t *)content->data, content->len, l.content_hash);
    buf lb = BUF_INIT(4096);
    rc = audit_enc_leaf(&lb, &l);
    if (rc) goto done;
    audit_leaf_hash((const uint8_t *)lb.data, lb.len, leaf_hash);

    store_stmt *st = NULL;
    bool row;
    rc = store_prepare(c, Q_AUDIT_LEAF_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, (int64_t)l.seq);
    if (!rc) rc = store_bind_int(st, 2, l.ts);
    if (!rc) rc = store_bind_text(st, 3, actor);
    if (!rc) rc = store_bind_text(st, 4, entity);
    if (!rc) rc = store_bind_int(st, 5, id);
    if (!rc) rc = store_bind_text(st, 6, action);
    if (!rc) rc = store_bind_blob(st, 7, l.content_hash, AUDIT_HASH_LEN);
    if (!rc) rc = store_bind_blob(st, 8, leaf_hash, AUDIT_HASH_LEN);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    st = NULL;
    if (rc) goto done;

    rc = store_prepare(c, Q_AUDIT_VERSION_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, (int64_t)l.seq);
    if (!rc) rc = store_bind_text(st, 2, entity);
    if (!rc) rc = store_bind_int(st, 3, id);
    if (!rc) rc = store_bind_blob(st, 4, salt, sizeof salt);
    if (!rc) rc = store_bind_blob(st, 5, content->data, content->len);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    st = NULL;
    if (rc) goto done;

    audit_frontier_push(&f, leaf_hash);
    uint8_t enc[AUDIT_FRONTIER_ENC_MAX];
    size_t n = audit_frontier_encode(&f, enc);
    rc = store_prepare(c, Q_AUDIT_HEAD_SET, &st);
    if (!rc) rc = store_bind_int(st, 1, (int64_t)f.size);
    if (!rc) rc = store_bind_blob(st, 2, enc, n);
    if (!rc) rc = store_step(st, &row);
    if (!rc && store_changes(st) != 1)
        rc = ws_fail(WS_ESTORE, NULL, "audit head: update touched %lld rows",
                     (long long)store_changes(st));
    store_finalize(st);
    if (!rc && seq_out) *seq_out = (int64_t)l.seq;
done:
    buf_free(&lb);
    return rc;
}

ws_err audit_record(store_conn *c, const audit_actor *who, const audit_entity *e, int64_t id,
                    const char *action, int64_t *seq_out)
{
    if (!c || !e || !action || e->ncols < 1 || e->ncols > MAX_COLS || id < 1)
        return ws_fail(WS_EINTERNAL, NULL, "audit_record: bad arguments");
    if (!store_in_tx(c))
        return ws_fail(WS_EINTERNAL, NULL, "audit_record must run inside a write transaction");
    const char *names[MAX_COLS];
    for (int i = 0; i < e->ncols; i++) names[i] = e->cols[i].name;
    bool del = strcmp(action, "delete") == 0;

    buf content = BUF_INIT(AUDIT_CONTENT_CAP);
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_scan_table(c, e->table, names, e->ncols, id, &st);
    if (!rc) rc = store_step(st, &row);
    if (rc) goto done;
    if (del) {
        if (row) {
            rc = ws_fail(WS_EINTERNAL, NULL, "audit: %s %lld still exists; record the delete after "
                         "deleting the row", e->name, (long long)id);
            goto done;
        }
        rc = audit_enc_deleted(&content, e->name);
    } else {
        if (!row) {
            rc = ws_fail(WS_ENOTFOUND, NULL, "audit: no %s with id %lld", e->name, (long long)id);
            goto done;
        }
        rc = audit_enc_row(&content, e, st);
    }
    store_finalize(st);
    st = NULL;
    if (!rc) rc = append_leaf(c, who, e->name, id, action, &content, seq_out);
done:
    store_finalize(st);
    buf_free(&content);
    return rc;
}

ws_err audit_event(store_conn *c, const audit_actor *who, const char *entity, int64_t id,
                   const char *action, const audit_field *fields, int nfields, int64_t *seq_out)
{
    if (!c || nfields < 0 || (nfields > 0 && !fields))
        return ws_fail(WS_EINTERNAL, NULL, "audit_event: bad arguments");
    buf content = BUF_INIT(AUDIT_CONTENT_CAP);
    ws_err rc = check_name("entity", entity, MAX_NAME);
    if (!rc) rc = audit_enc_event(&content, entity, fields, nfields);
    if (rc) goto done;
    bool own = !store_in_tx(c);
    if (own && (rc = store_begin(c))) goto done;
    rc = append_leaf(c, who, entity, id, action, &content, seq_out);
    if (own) {
        if (!rc) rc = store_commit(c);
        if (rc) store_rollback(c);
    }
done:
    buf_free(&content);
    return rc;
}

/* ---- reading leaves and proofs ------------------------------------------ */

/* The leaf hashes of seq 0..size-1 into *out (caller frees). */
static ws_err load_leaves(store_conn *c, uint64_t size, uint8_t (**out)[AUDIT_HASH_LEN])
{
    *out = NULL;
    if (size > SIZE_MAX / AUDIT_HASH_LEN - 1)
        return ws_fail(WS_ENOMEM, NULL, "audit: log too large to load");
    uint8_t (*lv)[AUDIT_HASH_LEN] = malloc((size ? size : 1) * AUDIT_HASH_LEN);
    if (!lv) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    uint64_t i = 0;
    bool row = false;
    ws_err rc = store_prepare(c, Q_AUDIT_LEAF_HASHES, &st);
    if (!rc) rc = store_bind_int(st, 1, (int64_t)size);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        size_t n = 0;
        const void *h = store_col_blob(st, 1, &n);
        if (i >= size || store_col_int(st, 0) != (int64_t)i || !h || n != AUDIT_HASH_LEN) {
            rc = ws_fail(WS_ECORRUPT, NULL, "audit: leaf %llu is missing or malformed",
                         (unsigned long long)i);
            break;
        }
        memcpy(lv[i++], h, AUDIT_HASH_LEN);
    }
    store_finalize(st);
    if (!rc && i != size)
        rc = ws_fail(WS_ECORRUPT, NULL, "audit: log has %llu leaves, head says %llu",
                     (unsigned long long)i, (unsigned long long)size);
    if (rc) {
        free(lv);
        return rc;
    }
    *out = lv;
    return WS_OK;
}

static ws_err check_size(store_conn *c, uint64_t size, const char *field, uint64_t *head_size)
{
    ws_err rc = audit_head(c, head_size, NULL);
    if (rc) return rc;
    if (size > *head_size)
        return ws_fail(WS_EINVAL, field, "%s %llu is beyond the log's size %llu", field,
                       (unsigned long long)size, (unsigned long long)*head_size);
    return WS_OK;
}

ws_err audit_root_at(store_conn *c, uint64_t size, uint8_t root[AUDIT_HASH_LEN])
{
    uint64_t hs;
    ws_err rc = check_size(c, size, "size", &hs);
    if (rc) return rc;
    uint8_t (*lv)[AUDIT_HASH_LEN] = NULL;
    rc = load_leaves(c, size, &lv);
    if (rc) return rc;
    audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])lv, size, root);
    free(lv);
    return WS_OK;
}

/* Copies cnt hashes of tmp into a fresh allocation (caller frees). */
static ws_err hand_out(uint8_t (*tmp)[AUDIT_HASH_LEN], size_t cnt, uint8_t (**path)[AUDIT_HASH_LEN],
                       size_t *n)
{
    *path = malloc((cnt ? cnt : 1) * AUDIT_HASH_LEN);
    if (!*path) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (cnt) memcpy(*path, tmp, cnt * AUDIT_HASH_LEN);
    *n = cnt;
    return WS_OK;
}

ws_err audit_proof_inclusion(store_conn *c, uint64_t index, uint64_t size,
                             uint8_t leaf_hash[AUDIT_HASH_LEN], uint8_t (**path)[AUDIT_HASH_LEN],
                             size_t *n)
{
    *path = NULL;
    *n = 0;
    uint64_t hs;
    ws_err rc = check_size(c, size, "size", &hs);
    if (rc) return rc;
    if (index >= size)
        return ws_fail(WS_EINVAL, "index", "index %llu is not below size %llu",
                       (unsigned long long)index, (unsigned long long)size);
    uint8_t (*lv)[AUDIT_HASH_LEN] = NULL;
    rc = load_leaves(c, size, &lv);
    if (rc) return rc;
    uint8_t tmp[AUDIT_PROOF_MAX][AUDIT_HASH_LEN];
    size_t cnt = audit_inclusion_path((const uint8_t (*)[AUDIT_HASH_LEN])lv, size, index, tmp);
    memcpy(leaf_hash, lv[index], AUDIT_HASH_LEN);
    free(lv);
    return hand_out(tmp, cnt, path, n);
}

ws_err audit_proofs_inclusion(store_conn *c, uint64_t size, const size_t *m, size_t k,
                              void (*each)(size_t j, const uint8_t leaf[AUDIT_HASH_LEN],
                                           const uint8_t (*path)[AUDIT_HASH_LEN], size_t n,
                                           void *arg),
                              void *arg)
{
    uint64_t hs;
    ws_err rc = check_size(c, size, "size", &hs);
    if (rc || k == 0) return rc;
    uint8_t (*lv)[AUDIT_HASH_LEN] = NULL;
    if ((rc = load_leaves(c, size, &lv))) return rc;
    uint8_t (*leaf)[AUDIT_HASH_LEN] = malloc(k * AUDIT_HASH_LEN);
    uint8_t (*paths)[AUDIT_PATH_DEPTH][AUDIT_HASH_LEN] = malloc(k * sizeof *paths);
    size_t *cnt = malloc(k * sizeof *cnt);
    if (!leaf || !paths || !cnt) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    } else {
        for (size_t j = 0; j < k; j++)
            if (m[j] < size) memcpy(leaf[j], lv[m[j]], AUDIT_HASH_LEN);
        audit_inclusion_paths(lv, size, m, k, paths, cnt);
        for (size_t j = 0; j < k; j++)
            if (m[j] < size) each(j, leaf[j], (const uint8_t (*)[AUDIT_HASH_LEN])paths[j], cnt[j], arg);
    }
    free(cnt);
    free(paths);
    free(leaf);
    free(lv);
    return rc;
}

ws_err audit_proof_consistency(store_conn *c, uint64_t old_size, uint64_t new_size,
                               uint8_t (**path)[AUDIT_HASH_LEN], size_t *n)
{
    *path = NULL;
    *n = 0;
    uint64_t hs;
    ws_err rc = check_size(c, new_size, "new", &hs);
    if (rc) return rc;
    if (old_size < 1 || old_size > new_size)
        return ws_fail(WS_EINVAL, "old", "old must be between 1 and new (%llu)",
                       (unsigned long long)new_size);
    uint8_t (*lv)[AUDIT_HASH_LEN] = NULL;
    rc = load_leaves(c, new_size, &lv);
    if (rc) return rc;
    uint8_t tmp[AUDIT_PROOF_MAX][AUDIT_HASH_LEN];
    size_t cnt =
        audit_consistency_path((const uint8_t (*)[AUDIT_HASH_LEN])lv, new_size, old_size, tmp);
    free(lv);
    return hand_out(tmp, cnt, path, n);
}
