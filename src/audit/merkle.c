/* merkle.c — the pure RFC 6962 part of the evidence log: leaf and node
 * hashes, the Merkle tree hash (MTH), inclusion and consistency proof
 * generation (RFC 6962 §2.1.1–2.1.2) and verification (RFC 9162 §2.1.3.2,
 * §2.1.4.2), and the compact frontier that lets an appender keep the root in
 * O(log n) state. No I/O and no store here: log.c feeds leaf hashes from the
 * audit_leaf table, and offline verifiers can use these functions as they are.
 *
 * Notation as in ../shared/domain/INTEGRATIONS.md §5: D[n] is the list of n
 * leaf hashes, k is the largest power of two smaller than n. */
#include "audit/audit_int.h"

#include <sodium.h>
#include <string.h>

#include "core/sha256.h"

void audit_sha256(const uint8_t *p, size_t n, uint8_t out[AUDIT_HASH_LEN])
{
    ws_sha256(out, p, n);
}

void audit_content_hash(const uint8_t salt[AUDIT_HASH_LEN], const uint8_t *content, size_t n,
                        uint8_t out[AUDIT_HASH_LEN])
{
    ws_sha256_ctx st;
    ws_sha256_init(&st);
    ws_sha256_update(&st, salt, AUDIT_HASH_LEN);
    ws_sha256_update(&st, content, n);
    ws_sha256_final(&st, out);
}

void audit_leaf_hash(const uint8_t *data, size_t n, uint8_t out[AUDIT_HASH_LEN])
{
    static const uint8_t prefix = 0x00;
    ws_sha256_ctx st;
    ws_sha256_init(&st);
    ws_sha256_update(&st, &prefix, 1);
    ws_sha256_update(&st, data, n);
    ws_sha256_final(&st, out);
}

void audit_node_hash(const uint8_t l[AUDIT_HASH_LEN], const uint8_t r[AUDIT_HASH_LEN],
                     uint8_t out[AUDIT_HASH_LEN])
{
    uint8_t in[1 + 2 * AUDIT_HASH_LEN];
    in[0] = 0x01;
    memcpy(in + 1, l, AUDIT_HASH_LEN);
    memcpy(in + 1 + AUDIT_HASH_LEN, r, AUDIT_HASH_LEN);
    ws_sha256(out, in, sizeof in);
}

/* Largest power of two strictly smaller than n (n >= 2). */
static size_t split_point(size_t n)
{
    size_t k = 1;
    while (k << 1 < n) k <<= 1;
    return k;
}

void audit_root_of(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, uint8_t out[AUDIT_HASH_LEN])
{
    if (n == 0) {
        ws_sha256(out, (const uint8_t *)"", 0);
        return;
    }
    if (n == 1) {
        memcpy(out, leaves[0], AUDIT_HASH_LEN);
        return;
    }
    size_t k = split_point(n);
    uint8_t l[AUDIT_HASH_LEN], r[AUDIT_HASH_LEN];
    audit_root_of(leaves, k, l);
    audit_root_of(leaves + k, n - k, r);
    audit_node_hash(l, r, out);
}

/* PATH(m, D[n]) appended to out at *cnt. */
static void path_rec(const uint8_t (*d)[AUDIT_HASH_LEN], size_t n, size_t m,
                     uint8_t (*out)[AUDIT_HASH_LEN], size_t *cnt)
{
    if (n <= 1) return;
    size_t k = split_point(n);
    if (m < k) {
        path_rec(d, k, m, out, cnt);
        audit_root_of(d + k, n - k, out[(*cnt)++]);
    } else {
        path_rec(d + k, n - k, m - k, out, cnt);
        audit_root_of(d, k, out[(*cnt)++]);
    }
}

size_t audit_inclusion_path(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, size_t m,
                            uint8_t (*out)[AUDIT_HASH_LEN])
{
    size_t cnt = 0;
    if (m >= n) return 0;
    path_rec(leaves, n, m, out, &cnt);
    return cnt;
}

/* The paths of k leaves at once, one pass up the tree: each level pairs its
 * nodes (2i, 2i+1) and carries a last lone node up unchanged, which builds
 * the same tree as MTH's split at the largest power of two below n. A leaf's
 * path is its sibling at each level where it has one, bottom up, as PATH
 * gives it. d is overwritten level by level (node i is written after 2i and
 * 2i + 1 are read). O(n) hashes, against O(n) for each leaf with PATH. */
void audit_inclusion_paths(uint8_t (*d)[AUDIT_HASH_LEN], size_t n, const size_t *m, size_t k,
                           uint8_t (*out)[AUDIT_PATH_DEPTH][AUDIT_HASH_LEN], size_t *cnt)
{
    for (size_t j = 0; j < k; j++) cnt[j] = 0;
    for (size_t len = n, level = 0; len > 1; len = (len + 1) / 2, level++) {
        for (size_t j = 0; j < k; j++) {
            if (m[j] >= n) continue;
            size_t at = m[j] >> level, sib = at ^ 1;
            if (sib < len && cnt[j] < AUDIT_PATH_DEPTH) memcpy(out[j][cnt[j]++], d[sib], AUDIT_HASH_LEN);
        }
        for (size_t i = 0; 2 * i < len; i++) {
            if (2 * i + 1 < len) audit_node_hash(d[2 * i], d[2 * i + 1], d[i]);
            else if (i != 2 * i) memcpy(d[i], d[2 * i], AUDIT_HASH_LEN);
        }
    }
}

/* SUBPROOF(m, D[n], b) appended to out at *cnt. */
static void subproof_rec(const uint8_t (*d)[AUDIT_HASH_LEN], size_t n, size_t m, bool b,
                         uint8_t (*out)[AUDIT_HASH_LEN], size_t *cnt)
{
    if (m == n) {
        if (!b) audit_root_of(d, n, out[(*cnt)++]);
        return;
    }
    size_t k = split_point(n);
    if (m <= k) {
        subproof_rec(d, k, m, b, out, cnt);
        audit_root_of(d + k, n - k, out[(*cnt)++]);
    } else {
        subproof_rec(d + k, n - k, m - k, false, out, cnt);
        audit_root_of(d, k, out[(*cnt)++]);
    }
}

size_t audit_consistency_path(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, size_t m,
                              uint8_t (*out)[AUDIT_HASH_LEN])
{
    size_t cnt = 0;
    if (m == 0 || m >= n) return 0;
    subproof_rec(leaves, n, m, true, out, &cnt);
    return cnt;
}

static bool hash_eq(const uint8_t a[AUDIT_HASH_LEN], const uint8_t b[AUDIT_HASH_LEN])
{
    return sodium_memcmp(a, b, AUDIT_HASH_LEN) == 0;
}

bool audit_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[AUDIT_HASH_LEN],
                            const uint8_t (*path)[AUDIT_HASH_LEN], size_t n,
                            const uint8_t root[AUDIT_HASH_LEN])
{
    if (index >= size) return false;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[AUDIT_HASH_LEN];
    memcpy(r, leaf, AUDIT_HASH_LEN);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            audit_node_hash(path[i], r, r);
            if (!(fn & 1)) {
                do {
                    fn >>= 1;
                    sn >>= 1;
                } while (!(fn & 1) && fn != 0);
            }
        } else {
            audit_node_hash(r, path[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && hash_eq(r, root);
}

bool audit_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[AUDIT_HASH_LEN],
                              const uint8_t root2[AUDIT_HASH_LEN],
                              const uint8_t (*path)[AUDIT_HASH_LEN], size_t n)
{
    if (size1 == size2) return n == 0 && hash_eq(root1, root2);
    if (size1 == 0 || size1 > size2) return false;
    if (n == 0) return false;
    /* When size1 is a power of two, the old root is itself the first node. */
    bool pow2 = (size1 & (size1 - 1)) == 0;
    size_t start = pow2 ? 0 : 1;
    uint8_t fr[AUDIT_HASH_LEN], sr[AUDIT_HASH_LEN];
    memcpy(fr, pow2 ? root1 : path[0], AUDIT_HASH_LEN);
    memcpy(sr, fr, AUDIT_HASH_LEN);
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (size_t i = start; i < n; i++) {
        const uint8_t *c = path[i];
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            audit_node_hash(c, fr, fr);
            audit_node_hash(c, sr, sr);
            if (!(fn & 1)) {
                do {
                    fn >>= 1;
                    sn >>= 1;
                } while (!(fn & 1) && fn != 0);
            }
        } else {
            audit_node_hash(sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return hash_eq(fr, root1) && hash_eq(sr, root2) && sn == 0;
}

/* ---- frontier ---------------------------------------------------------- */

void audit_frontier_init(audit_frontier *f)
{
    memset(f, 0, sizeof *f);
}

void audit_frontier_push(audit_frontier *f, const uint8_t leaf[AUDIT_HASH_LEN])
{
    /* n <= popcount(size) < 64, so there is always room for one more. */
    f->e[f->n].size = 1;
    memcpy(f->e[f->n].hash, leaf, AUDIT_HASH_LEN);
    f->n++;
    while (f->n >= 2 && f->e[f->n - 1].size == f->e[f->n - 2].size) {
        audit_node_hash(f->e[f->n - 2].hash, f->e[f->n - 1].hash, f->e[f->n - 2].hash);
        f->e[f->n - 2].size *= 2;
        f->n--;
    }
    f->size++;
}

void audit_frontier_root(const audit_frontier *f, uint8_t out[AUDIT_HASH_LEN])
{
    if (f->n == 0) {
        ws_sha256(out, (const uint8_t *)"", 0);
        return;
    }
    uint8_t r[AUDIT_HASH_LEN];
    memcpy(r, f->e[f->n - 1].hash, AUDIT_HASH_LEN);
    for (int i = f->n - 2; i >= 0; i--) audit_node_hash(f->e[i].hash, r, r);
    memcpy(out, r, AUDIT_HASH_LEN);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

size_t audit_frontier_encode(const audit_frontier *f, uint8_t *out)
{
    size_t o = 0;
    out[o++] = 0x01;
    for (int i = 0; i < f->n; i++) {
        put_u64(out + o, f->e[i].size);
        o += 8;
        memcpy(out + o, f->e[i].hash, AUDIT_HASH_LEN);
        o += AUDIT_HASH_LEN;
    }
    return o;
}

ws_err audit_frontier_decode(const uint8_t *p, size_t n, audit_frontier *f)
{
    audit_frontier_init(f);
    if (n < 1 || p[0] != 0x01 || (n - 1) % (8 + AUDIT_HASH_LEN) != 0 ||
        (n - 1) / (8 + AUDIT_HASH_LEN) > AUDIT_FRONTIER_MAX - 1)
        return ws_fail(WS_ECORRUPT, NULL, "audit head: malformed frontier");
    size_t cnt = (n - 1) / (8 + AUDIT_HASH_LEN);
    uint64_t prev = 0;
    for (size_t i = 0; i < cnt; i++) {
        const uint8_t *q = p + 1 + i * (8 + AUDIT_HASH_LEN);
        uint64_t sz = get_u64(q);
        /* Each entry a power of two, strictly smaller than the one below. */
        if (sz == 0 || (sz & (sz - 1)) != 0 || (i > 0 && sz >= prev))
            return ws_fail(WS_ECORRUPT, NULL, "audit head: malformed frontier");
        f->e[i].size = sz;
        memcpy(f->e[i].hash, q + 8, AUDIT_HASH_LEN);
        f->size += sz;
        prev = sz;
    }
    f->n = (int)cnt;
    return WS_OK;
}

void audit_roots_at(const uint8_t (*leaves)[AUDIT_HASH_LEN], size_t n, const uint64_t *sizes,
                    size_t k, uint8_t (*roots)[AUDIT_HASH_LEN])
{
    audit_frontier f;
    audit_frontier_init(&f);
    size_t j = 0;
    for (size_t i = 0; j < k; i++) {
        while (j < k && sizes[j] == f.size) audit_frontier_root(&f, roots[j++]);
        if (i == n || j == k) break;
        audit_frontier_push(&f, leaves[i]);
    }
}
