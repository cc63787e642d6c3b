/* verify.c — `worksafe audit verify`: recompute the evidence log from what
 * is stored and report every disagreement as a finding.
 *
 *   1. every leaf hash from the leaf's stored fields (and the sequence has no
 *      gaps), and the root from the leaves against the head row;
 *   2. every stored checkpoint: its signature with our key, and its root
 *      against the root recomputed at its size;
 *   3. every record version: SHA-256(salt || content) against its leaf;
 *   4. every registered entity's live table against the last version of each
 *      record: "changed outside worksafe" (naming the columns), "created
 *      outside worksafe", "deleted outside worksafe";
 *   5. with --against FILE, each checkpoint a regulator saved: signed by our
 *      key, and consistent with the log as it is now (a consistency proof
 *      from the saved size to the current size, verified as RFC 9162 says).
 *
 * The whole log's leaf hashes are held in memory (32 bytes a leaf): O(n). */
#include "audit/audit_int.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/q_audit.h"

#define AGAINST_CAP (16u << 20)

typedef struct vctx {
    void (*report)(const audit_finding *f, void *arg);
    void *arg;
    uint64_t nfind;
    uint8_t (*leaves)[AUDIT_HASH_LEN]; /* recomputed leaf hashes */
    size_t n, alloc;
} vctx;

static void finding(vctx *v, const char *entity, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding(vctx *v, const char *entity, int64_t id, const char *fmt, ...)
{
    audit_finding f;
    memset(&f, 0, sizeof f);
    snprintf(f.entity, sizeof f.entity, "%s", entity);
    f.id = id;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f.what, sizeof f.what, fmt, ap);
    va_end(ap);
    v->nfind++;
    if (v->report) v->report(&f, v->arg);
}

static ws_err push_leaf(vctx *v, const uint8_t h[AUDIT_HASH_LEN])
{
    if (v->n == v->alloc) {
        size_t na = v->alloc ? v->alloc * 2 : 1024;
        if (na > SIZE_MAX / AUDIT_HASH_LEN) return ws_fail(WS_ENOMEM, NULL, "out of memory");
        void *p = realloc(v->leaves, na * AUDIT_HASH_LEN);
        if (!p) return ws_fail(WS_ENOMEM, NULL, "out of memory");
        v->leaves = p;
        v->alloc = na;
    }
    memcpy(v->leaves[v->n++], h, AUDIT_HASH_LEN);
    return WS_OK;
}

static bool blob32(store_stmt *st, int i, uint8_t out[AUDIT_HASH_LEN])
{
    size_t n = 0;
    const void *p = store_col_null(st, i) ? NULL : store_col_blob(st, i, &n);
    if (!p || n != AUDIT_HASH_LEN) return false;
    memcpy(out, p, AUDIT_HASH_LEN);
    return true;
}

/* Steps 1 and 3: one pass over audit_leaf joined with record_version. */
static ws_err check_leaves(store_conn *c, vctx *v)
{
    store_stmt *st = NULL;
    bool row = false;
    buf lb = BUF_INIT(4096);
    ws_err rc = store_prepare(c, Q_AUDIT_VERIFY_LEAVES, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t seq = store_col_int(st, 0);
        audit_leaf_fields l = {.seq = (uint64_t)seq, .ts = store_col_int(st, 1),
                               .actor = store_col_text(st, 2), .entity = store_col_text(st, 3),
                               .entity_id = store_col_int(st, 4), .action = store_col_text(st, 5)};
        if (seq != (int64_t)v->n)
            finding(v, "audit_leaf", (int64_t)v->n, "the log has a gap: leaf %" PRIu64
                    " is missing (next stored leaf is %" PRId64 ")", (uint64_t)v->n, seq);
        uint8_t stored[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN];
        bool ch_ok = blob32(st, 6, l.content_hash), lh_ok = blob32(st, 7, stored);
        buf_reset(&lb);
        if (!ch_ok) memset(l.content_hash, 0, AUDIT_HASH_LEN);
        rc = audit_enc_leaf(&lb, &l);
        if (rc) break;
        audit_leaf_hash((const uint8_t *)lb.data, lb.len, h);
        if (!ch_ok || !lh_ok || sodium_memcmp(h, stored, AUDIT_HASH_LEN) != 0)
            finding(v, "audit_leaf", seq, "leaf %" PRId64 " (%s %s %" PRId64
                    ") does not match its stored hash", seq, l.action, l.entity, l.entity_id);
        rc = push_leaf(v, h);
        if (rc) break;

        /* Step 3: the version behind the leaf. */
        if (store_col_null(st, 8)) {
            finding(v, l.entity, l.entity_id, "the stored version of leaf %" PRId64 " is missing",
                    seq);
            continue;
        }
        if (strcmp(store_col_text(st, 8), l.entity) != 0 || store_col_int(st, 9) != l.entity_id) {
            finding(v, l.entity, l.entity_id, "the stored version of leaf %" PRId64
                    " belongs to another record", seq);
            continue;
        }
        uint8_t salt[AUDIT_HASH_LEN];
        if (store_col_null(st, 10) || store_col_null(st, 11)) continue; /* purged by policy */
        size_t cn = 0;
        const void *content = store_col_blob(st, 11, &cn);
        if (!blob32(st, 10, salt)) {
            finding(v, l.entity, l.entity_id, "the salt of version %" PRId64 " is malformed", seq);
            continue;
        }
        audit_content_hash(salt, content, content ? cn : 0, h);
        if (!ch_ok || sodium_memcmp(h, l.content_hash, AUDIT_HASH_LEN) != 0)
            finding(v, l.entity, l.entity_id, "the stored version of leaf %" PRId64
                    " does not match the leaf's content hash", seq);
    }
    store_finalize(st);
    buf_free(&lb);
    return rc;
}

/* Step 2: stored checkpoints. */
static ws_err check_stored_checkpoints(store_conn *c, vctx *v)
{
    typedef struct cp {
        uint64_t size;
        uint8_t root[AUDIT_HASH_LEN];
        bool root_ok;
        char *note;
    } cp;
    cp *cps = NULL;
    size_t k = 0, alloc = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_AUDIT_CHECKPOINT_ALL, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (k == alloc) {
            size_t na = alloc ? alloc * 2 : 16;
            cp *p = realloc(cps, na * sizeof *p);
            if (!p) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            cps = p;
            alloc = na;
        }
        cp *x = &cps[k];
        int64_t sz = store_col_int(st, 0);
        x->size = sz < 0 ? 0 : (uint64_t)sz;
        x->root_ok = blob32(st, 1, x->root);
        x->note = strdup(store_col_text(st, 2));
        if (!x->note) {
            rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
            break;
        }
        k++;
    }
    store_finalize(st);
    if (!rc && k > 0 && !audit_have_key())
        rc = ws_fail(WS_EINTERNAL, NULL, "audit key not loaded: cannot check checkpoint signatures");
    uint64_t *sizes = NULL;
    uint8_t (*roots)[AUDIT_HASH_LEN] = NULL;
    size_t inlog = 0;
    if (!rc && k > 0) {
        sizes = calloc(k, sizeof *sizes);
        roots = calloc(k, AUDIT_HASH_LEN);
        if (!sizes || !roots) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    if (!rc) {
        /* Ordered by size, so the ones within the log come first. */
        for (size_t i = 0; i < k && cps[i].size <= v->n; i++) sizes[inlog++] = cps[i].size;
        audit_roots_at((const uint8_t (*)[AUDIT_HASH_LEN])v->leaves, v->n, sizes, inlog, roots);
        for (size_t i = 0; i < k; i++) {
            cp *x = &cps[i];
            int64_t id = (int64_t)x->size;
            audit_note note;
            audit_note_check(x->note, strlen(x->note), &note);
            if (!note.parsed || note.size != x->size || !x->root_ok ||
                memcmp(note.root, x->root, AUDIT_HASH_LEN) != 0)
                finding(v, "checkpoint", id, "stored checkpoint of size %" PRIu64
                        " is malformed or disagrees with its note", x->size);
            else if (!note.signed_ours || !note.sig_valid)
                finding(v, "checkpoint", id, "stored checkpoint of size %" PRIu64
                        " is not validly signed by this log's key", x->size);
            if (i >= inlog)
                finding(v, "checkpoint", id, "stored checkpoint of size %" PRIu64
                        " is beyond the log's %zu leaves", x->size, v->n);
            else if (!x->root_ok || sodium_memcmp(x->root, roots[i], AUDIT_HASH_LEN) != 0)
                finding(v, "checkpoint", id, "stored checkpoint of size %" PRIu64
                        " does not match the log's root at that size", x->size);
        }
    }
    for (size_t i = 0; i < k; i++) free(cps[i].note);
    free(cps);
    free(sizes);
    free(roots);
    return rc;
}

/* ---- step 4: live tables against their last versions --------------------- */

typedef struct latest {
    int64_t id;
    int64_t seq;
    bool del, purged, seen;
    uint8_t content_hash[AUDIT_HASH_LEN];
    uint8_t salt[AUDIT_HASH_LEN];
    uint8_t *content;
    size_t clen;
} latest;

static latest *find_latest(latest *a, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && a[lo].id == id ? &a[lo] : NULL;
}

/* The last version of every record of e (of record id alone when id > 0),
 * by id; *out is the caller's (free each content, then the array). */
static ws_err load_history(store_conn *c, const audit_entity *e, int64_t id_only, latest **out,
                           size_t *nout)
{
    latest *a = NULL;
    size_t n = 0, alloc = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, id_only > 0 ? Q_AUDIT_RECORD_HISTORY : Q_AUDIT_ENTITY_HISTORY, &st);
    if (!rc) rc = store_bind_text(st, 1, e->name);
    if (!rc && id_only > 0) rc = store_bind_int(st, 2, id_only);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        size_t cn = 0;
        const uint8_t *content = store_col_null(st, 5) ? NULL : store_col_blob(st, 5, &cn);
        if (content && audit_enc_is_event(content, cn)) continue; /* events are not versions */
        int64_t id = store_col_int(st, 0);
        latest *x;
        if (n > 0 && a[n - 1].id == id) {
            x = &a[n - 1];
            free(x->content);
        } else {
            if (n == alloc) {
                size_t na = alloc ? alloc * 2 : 256;
                latest *p = realloc(a, na * sizeof *p);
                if (!p) {
                    rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                    break;
                }
                a = p;
                alloc = na;
            }
            x = &a[n++];
        }
        memset(x, 0, sizeof *x);
        x->id = id;
        x->seq = store_col_int(st, 1);
        x->del = strcmp(store_col_text(st, 2), "delete") == 0;
        bool ok = blob32(st, 3, x->content_hash);
        x->purged = !content || !blob32(st, 4, x->salt) || !ok;
        if (content && cn) {
            x->content = malloc(cn);
            if (!x->content) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            memcpy(x->content, content, cn);
            x->clen = cn;
        }
    }
    store_finalize(st);
    *out = a;
    *nout = n;
    return rc;
}

/* The live row at st (columns in e's order) against x, its record's last
 * version (NULL when it has none): AUDIT_REC_SAME, _CHANGED (the columns
 * that differ, comma-separated, in cols), _CREATED or _PURGED. enc is
 * scratch. */
static ws_err compare_row(const audit_entity *e, store_stmt *st, const latest *x, buf *enc,
                          audit_rec_state *state, char *cols, size_t cap)
{
    *cols = 0;
    if (!x || x->del) {
        *state = AUDIT_REC_CREATED;
        return WS_OK;
    }
    if (x->purged) { /* the last version was purged by policy */
        *state = AUDIT_REC_PURGED;
        return WS_OK;
    }
    buf_reset(enc);
    ws_err rc = audit_enc_row(enc, e, st);
    if (rc) return rc;
    uint8_t h[AUDIT_HASH_LEN];
    audit_content_hash(x->salt, (const uint8_t *)enc->data, enc->len, h);
    *state = AUDIT_REC_SAME;
    if (sodium_memcmp(h, x->content_hash, AUDIT_HASH_LEN) != 0) {
        *state = AUDIT_REC_CHANGED;
        audit_enc_diff(x->content, x->clen, (const uint8_t *)enc->data, enc->len, cols, cap);
    }
    return WS_OK;
}

static ws_err check_entity(store_conn *c, const audit_entity *e, vctx *v)
{
    latest *hist = NULL;
    size_t nh = 0;
    ws_err rc = load_history(c, e, 0, &hist, &nh);
    const char *names[128];
    for (int i = 0; i < e->ncols && i < 128; i++) names[i] = e->cols[i].name;
    store_stmt *st = NULL;
    bool row = false;
    buf enc = BUF_INIT(AUDIT_CONTENT_CAP);
    if (!rc) rc = store_scan_table(c, e->table, names, e->ncols, 0, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t id = store_col_int(st, 0);
        latest *x = find_latest(hist, nh, id);
        if (x) x->seen = true;
        audit_rec_state state;
        char cols[120];
        if ((rc = compare_row(e, st, x, &enc, &state, cols, sizeof cols))) break;
        if (state == AUDIT_REC_CREATED)
            finding(v, e->name, id, "created outside worksafe (%s)",
                    x ? "its last leaf is a delete" : "no leaf for this record");
        else if (state == AUDIT_REC_CHANGED && *cols)
            finding(v, e->name, id, "changed outside worksafe (columns: %s; last leaf %" PRId64 ")",
                    cols, x->seq);
        else if (state == AUDIT_REC_CHANGED)
            finding(v, e->name, id, "changed outside worksafe (last leaf %" PRId64 ")", x->seq);
    }
    store_finalize(st);
    for (size_t i = 0; !rc && i < nh; i++)
        if (!hist[i].seen && !hist[i].del)
            finding(v, e->name, hist[i].id, "deleted outside worksafe (last leaf %" PRId64 ")",
                    hist[i].seq);
    for (size_t i = 0; i < nh; i++) free(hist[i].content);
    free(hist);
    buf_free(&enc);
    return rc;
}

ws_err audit_record_check(store_conn *c, const char *entity, int64_t id, audit_rec_check *out)
{
    memset(out, 0, sizeof *out);
    out->last_seq = -1;
    const audit_entity *e = NULL;
    for (int i = 0; audit_entity_at(i); i++)
        if (strcmp(audit_entity_at(i)->name, entity) == 0) e = audit_entity_at(i);
    if (!e) return ws_fail(WS_EINVAL, "entity", "%s is not a kind of record the log seals", entity);
    if (id <= 0) return ws_fail(WS_EINVAL, "id", "id must be a positive integer");
    latest *hist = NULL;
    size_t nh = 0;
    ws_err rc = load_history(c, e, id, &hist, &nh);
    const latest *x = nh ? &hist[0] : NULL;
    const char *names[128];
    for (int i = 0; i < e->ncols && i < 128; i++) names[i] = e->cols[i].name;
    store_stmt *st = NULL;
    bool row = false;
    buf enc = BUF_INIT(AUDIT_CONTENT_CAP);
    if (!rc) rc = store_scan_table(c, e->table, names, e->ncols, id, &st);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row)
        rc = compare_row(e, st, x, &enc, &out->state, out->cols, sizeof out->cols);
    else if (!rc)
        out->state = !x ? AUDIT_REC_NONE : x->del ? AUDIT_REC_DELETED : AUDIT_REC_DELETED_OUTSIDE;
    if (x) out->last_seq = x->seq;
    if (!rc && out->state == AUDIT_REC_DELETED_OUTSIDE && !x->purged && x->content) {
        uint8_t h[AUDIT_HASH_LEN];
        int64_t unit = 0;
        audit_content_hash(x->salt, x->content, x->clen, h);
        if (sodium_memcmp(h, x->content_hash, AUDIT_HASH_LEN) == 0 &&
            audit_enc_int(x->content, x->clen, "unit_id", &unit) && unit > 0)
            out->sealed_unit = unit;
    }
    store_finalize(st);
    for (size_t i = 0; i < nh; i++) free(hist[i].content);
    free(hist);
    buf_free(&enc);
    return rc;
}

/* ---- step 5: checkpoints saved by a regulator ------------------------------ */

typedef struct against_ctx {
    vctx *v;
    uint8_t cur_root[AUDIT_HASH_LEN];
    int index;
} against_ctx;

static void check_saved_note(const char *text, size_t len, void *arg)
{
    against_ctx *a = arg;
    vctx *v = a->v;
    audit_note note;
    int idx = ++a->index;
    audit_note_check(text, len, &note);
    if (!note.parsed) {
        finding(v, "saved_checkpoint", idx, "saved checkpoint #%d is malformed", idx);
        return;
    }
    int64_t id = (int64_t)note.size;
    if (!note.signed_ours)
        finding(v, "saved_checkpoint", id, "checkpoint of size %" PRIu64
                " (origin %s) is not signed by this log's key", note.size, note.origin);
    else if (!note.sig_valid)
        finding(v, "saved_checkpoint", id, "checkpoint of size %" PRIu64
                " has an invalid signature", note.size);
    if (note.size > v->n) {
        finding(v, "saved_checkpoint", id, "checkpoint of size %" PRIu64
                " is beyond the log's %zu leaves: the log was truncated or rebuilt", note.size,
                v->n);
        return;
    }
    bool ok;
    if (note.size == 0) {
        uint8_t empty[AUDIT_HASH_LEN];
        audit_root_of(NULL, 0, empty);
        ok = sodium_memcmp(empty, note.root, AUDIT_HASH_LEN) == 0;
    } else {
        uint8_t proof[AUDIT_PROOF_MAX][AUDIT_HASH_LEN];
        size_t np = audit_consistency_path((const uint8_t (*)[AUDIT_HASH_LEN])v->leaves, v->n,
                                           note.size, proof);
        ok = audit_verify_consistency(note.size, v->n, note.root, a->cur_root,
                                      (const uint8_t (*)[AUDIT_HASH_LEN])proof, np);
    }
    if (!ok)
        finding(v, "saved_checkpoint", id, "checkpoint of size %" PRIu64
                " is not consistent with the log", note.size);
}

static ws_err check_against(const char *path, vctx *v)
{
    buf b = BUF_INIT(AGAINST_CAP);
    ws_err rc = buf_append_file(&b, path, "against");
    if (!rc) {
        against_ctx a = {.v = v};
        audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])v->leaves, v->n, a.cur_root);
        audit_notes_each(b.data ? b.data : "", b.len, check_saved_note, &a);
        if (a.index == 0)
            finding(v, "saved_checkpoint", 0, "%s holds no checkpoint", path);
    }
    buf_free(&b);
    return rc;
}

ws_err audit_verify(store_conn *c, const char *against_path,
                    void (*report)(const audit_finding *f, void *arg), void *arg,
                    uint64_t *leaves_checked)
{
    vctx v = {.report = report, .arg = arg};
    if (leaves_checked) *leaves_checked = 0;
    if (against_path && !audit_have_key())
        return ws_fail(WS_EINTERNAL, NULL, "audit key not loaded: cannot check saved checkpoints");

    uint64_t hsize = 0;
    uint8_t hroot[AUDIT_HASH_LEN];
    bool head_ok = true;
    ws_err rc = audit_head(c, &hsize, hroot);
    if (rc == WS_ECORRUPT) {
        finding(&v, "audit_head", 1, "the log's head row is malformed: %s", ws_err_message());
        head_ok = false;
        rc = WS_OK;
    }
    if (!rc) rc = check_leaves(c, &v);
    if (!rc && head_ok) {
        uint8_t root[AUDIT_HASH_LEN];
        audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])v.leaves, v.n, root);
        if (hsize != v.n)
            finding(&v, "audit_head", 1, "the head says %" PRIu64 " leaves, the log has %zu",
                    hsize, v.n);
        else if (sodium_memcmp(root, hroot, AUDIT_HASH_LEN) != 0)
            finding(&v, "audit_head", 1, "the head's root does not match the leaves");
    }
    if (!rc) rc = check_stored_checkpoints(c, &v);
    for (int i = 0; !rc && i < audit_entity_count(); i++)
        rc = check_entity(c, audit_entity_at(i), &v);
    if (!rc && against_path) rc = check_against(against_path, &v);
    if (leaves_checked) *leaves_checked = v.n;
    free(v.leaves);
    if (rc) return rc;
    if (v.nfind)
        return ws_fail(WS_ECORRUPT, NULL, "audit verify: %" PRIu64 " finding%s", v.nfind,
                       v.nfind == 1 ? "" : "s");
    return WS_OK;
}
