/* test_audit.c — the evidence log: the RFC 6962 vectors of
 * ../shared/domain/INTEGRATIONS.md §5.3, generated proofs against the RFC 9162
 * verifiers (every m < n <= 64, with tampering), the frontier against MTH,
 * the byte layout of docs/internals/audit.md, signed checkpoint notes, and
 * the log on a real SQLite store (and PostgreSQL when WS_TEST_PG_URL is set):
 * records, tampering behind the server's back, a rebuilt log caught by
 * the checkpoints a regulator saved, and purges (erasure of personal data)
 * that leave tombstones and a log that still verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/audit_int.h"
#include "core/buf.h"
#include "core/sha256.h"
#include "store/store.h"
#include "unit/pgdb.h"

typedef uint8_t hash_t[AUDIT_HASH_LEN];

static void hex_to(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    assert_int_equal(hex_decode(hex, out, n), 0);
}

static void assert_hash_hex(const uint8_t h[AUDIT_HASH_LEN], const char *hex)
{
    char got[2 * AUDIT_HASH_LEN + 1];
    hex_encode(h, AUDIT_HASH_LEN, got);
    assert_string_equal(got, hex);
}

/* The vector notation "e3b0c442…b855": first 8 and last 4 hex digits. */
static void assert_hash_abbrev(const uint8_t h[AUDIT_HASH_LEN], const char *head, const char *tail)
{
    char got[2 * AUDIT_HASH_LEN + 1];
    hex_encode(h, AUDIT_HASH_LEN, got);
    assert_memory_equal(got, head, strlen(head));
    assert_string_equal(got + 2 * AUDIT_HASH_LEN - strlen(tail), tail);
}

/* ---- RFC 6962 vectors ---------------------------------------------------- */

static const char *const vec_leaves[8] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

static void vector_leaf_hashes(hash_t out[8])
{
    for (int i = 0; i < 8; i++) {
        uint8_t data[16];
        size_t n = strlen(vec_leaves[i]) / 2;
        if (n) hex_to(vec_leaves[i], data);
        audit_leaf_hash(data, n, out[i]);
    }
}

static void test_vector_roots(void **state)
{
    (void)state;
    static const char *const heads[8] = {"e3b0c442", "6e340b9c", "fac54203", "aeb6bcfe",
                                         "d37ee418", "4e3bbb1f", "76e67dad", "ddb89be4"};
    static const char *const tails[8] = {"b855", "a01d", "c125", "6e77",
                                         "14b7", "64d4", "87ef", "4c8c"};
    hash_t lv[8], root;
    vector_leaf_hashes(lv);
    for (int n = 0; n < 8; n++) {
        audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])lv, (size_t)n, root);
        assert_hash_abbrev(root, heads[n], tails[n]);
    }
    audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])lv, 8, root);
    assert_hash_hex(root, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    /* Size 4 is given in full as the last hash of the 6->8 proof. */
    audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])lv, 4, root);
    assert_hash_hex(root, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
}

static void test_vector_inclusion(void **state)
{
    (void)state;
    hash_t lv[8], root, path[AUDIT_PROOF_MAX];
    vector_leaf_hashes(lv);
    audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])lv, 8, root);
    size_t n = audit_inclusion_path((const uint8_t (*)[AUDIT_HASH_LEN])lv, 8, 0, path);
    assert_int_equal(n, 3);
    assert_hash_hex(path[0], "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
    assert_hash_hex(path[1], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
    assert_hash_hex(path[2], "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
    assert_true(audit_verify_inclusion(0, 8, lv[0], (const uint8_t (*)[AUDIT_HASH_LEN])path, n, root));
    assert_false(audit_verify_inclusion(1, 8, lv[0], (const uint8_t (*)[AUDIT_HASH_LEN])path, n, root));
    assert_false(audit_verify_inclusion(0, 8, lv[1], (const uint8_t (*)[AUDIT_HASH_LEN])path, n, root));
}

static void test_vector_consistency(void **state)
{
    (void)state;
    hash_t lv[8], r1, r2, r5, r6, r8, path[AUDIT_PROOF_MAX];
    const uint8_t (*L)[AUDIT_HASH_LEN] = (const uint8_t (*)[AUDIT_HASH_LEN])lv;
    const uint8_t (*P)[AUDIT_HASH_LEN] = (const uint8_t (*)[AUDIT_HASH_LEN])path;
    vector_leaf_hashes(lv);
    audit_root_of(L, 1, r1);
    audit_root_of(L, 2, r2);
    audit_root_of(L, 5, r5);
    audit_root_of(L, 6, r6);
    audit_root_of(L, 8, r8);

    size_t n = audit_consistency_path(L, 8, 6, path);
    assert_int_equal(n, 3);
    assert_hash_hex(path[0], "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a");
    assert_hash_hex(path[1], "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
    assert_hash_hex(path[2], "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
    assert_true(audit_verify_consistency(6, 8, r6, r8, P, n));
    assert_false(audit_verify_consistency(6, 8, r5, r8, P, n));

    n = audit_consistency_path(L, 5, 2, path);
    assert_int_equal(n, 2);
    assert_hash_hex(path[0], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
    assert_hash_hex(path[1], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
    assert_true(audit_verify_consistency(2, 5, r2, r5, P, n));

    n = audit_consistency_path(L, 1, 1, path);
    assert_int_equal(n, 0);
    assert_true(audit_verify_consistency(1, 1, r1, r1, P, 0));
    assert_false(audit_verify_consistency(1, 1, r1, r2, P, 0));
    /* An empty proof between different sizes, and size 0, never verify. */
    assert_false(audit_verify_consistency(1, 2, r1, r2, P, 0));
    assert_false(audit_verify_consistency(0, 2, r1, r2, P, 1));
}

/* ---- generated proofs, every m < n <= 64 -------------------------------- */

static void make_leaves(hash_t *lv, size_t n, uint32_t salt)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t d[8] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i,
                        (uint8_t)(salt >> 24), (uint8_t)(salt >> 16), (uint8_t)(salt >> 8),
                        (uint8_t)salt};
        audit_leaf_hash(d, sizeof d, lv[i]);
    }
}

static void test_proofs_agree(void **state)
{
    (void)state;
    enum { N = 64 };
    hash_t lv[N], roots[N + 1], path[AUDIT_PROOF_MAX], bad[AUDIT_PROOF_MAX + 1];
    const uint8_t (*L)[AUDIT_HASH_LEN] = (const uint8_t (*)[AUDIT_HASH_LEN])lv;
    const uint8_t (*P)[AUDIT_HASH_LEN] = (const uint8_t (*)[AUDIT_HASH_LEN])path;
    const uint8_t (*B)[AUDIT_HASH_LEN] = (const uint8_t (*)[AUDIT_HASH_LEN])bad;
    make_leaves(lv, N, 7);
    for (size_t n = 0; n <= N; n++) audit_root_of(L, n, roots[n]);
    unsigned checked = 0;
    for (size_t n = 1; n <= N; n++) {
        for (size_t m = 0; m < n; m++) {
            /* Inclusion of leaf m in the tree of n. */
            size_t k = audit_inclusion_path(L, n, m, path);
            assert_true(audit_verify_inclusion(m, n, lv[m], P, k, roots[n]));
            assert_false(audit_verify_inclusion(m, n, lv[(m + 1) % N], P, k, roots[n]));
            assert_false(audit_verify_inclusion(m, n, lv[m], P, k, roots[n - 1]));
            assert_false(audit_verify_inclusion(n, n, lv[m], P, k, roots[n]));
            if (n < N) assert_false(audit_verify_inclusion(m, n + 1, lv[m], P, k, roots[n + 1]));
            for (size_t j = 0; j < k; j++) {
                memcpy(bad, path, k * AUDIT_HASH_LEN);
                bad[j][j % AUDIT_HASH_LEN] ^= 0x01;
                assert_false(audit_verify_inclusion(m, n, lv[m], B, k, roots[n]));
            }
            if (k > 0) assert_false(audit_verify_inclusion(m, n, lv[m], P, k - 1, roots[n]));
            memcpy(bad, path, k * AUDIT_HASH_LEN);
            memcpy(bad[k], lv[0], AUDIT_HASH_LEN);
            assert_false(audit_verify_inclusion(m, n, lv[m], B, k + 1, roots[n]));

            /* Consistency of the tree of m (m >= 1) with the tree of n. */
            if (m == 0) continue;
            k = audit_consistency_path(L, n, m, path);
            assert_true(k > 0);
            assert_true(audit_verify_consistency(m, n, roots[m], roots[n], P, k));
            assert_false(audit_verify_consistency(m, n, roots[m - 1], roots[n], P, k));
            assert_false(audit_verify_consistency(m, n, roots[m], roots[n - 1], P, k));
            assert_false(audit_verify_consistency(n, m, roots[n], roots[m], P, k));
            for (size_t j = 0; j < k; j++) {
                memcpy(bad, path, k * AUDIT_HASH_LEN);
                bad[j][31 - j % AUDIT_HASH_LEN] ^= 0x80;
                assert_false(audit_verify_consistency(m, n, roots[m], roots[n], B, k));
            }
            assert_false(audit_verify_consistency(m, n, roots[m], roots[n], P, k - 1));
            memcpy(bad, path, k * AUDIT_HASH_LEN);
            memcpy(bad[k], lv[0], AUDIT_HASH_LEN);
            assert_false(audit_verify_consistency(m, n, roots[m], roots[n], B, k + 1));
            checked++;
        }
    }
    assert_int_equal(checked, N * (N - 1) / 2);
    /* Every leaf's path at once (audit_inclusion_paths) is PATH's, for every
     * size; an index beyond the tree gets none. */
    for (size_t n = 1; n <= N; n++) {
        hash_t d[N];
        size_t m[N + 1], cnt[N + 1];
        static uint8_t paths[N + 1][AUDIT_PATH_DEPTH][AUDIT_HASH_LEN];
        memcpy(d, lv, sizeof d);
        for (size_t j = 0; j <= n; j++) m[j] = n - j; /* out of order, one past the end */
        audit_inclusion_paths(d, n, m, n + 1, paths, cnt);
        assert_int_equal(cnt[0], 0);
        for (size_t j = 1; j <= n; j++) {
            size_t k = audit_inclusion_path(L, n, m[j], path);
            assert_int_equal(cnt[j], k);
            assert_memory_equal(paths[j], path, k * AUDIT_HASH_LEN);
        }
    }
    /* A tree that differs in one old leaf is not consistent with the new one. */
    hash_t other[N], oroot;
    make_leaves(other, N, 7);
    other[3][0] ^= 1;
    audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])other, 10, oroot);
    size_t k = audit_consistency_path(L, 40, 10, path);
    assert_false(audit_verify_consistency(10, 40, oroot, roots[40], P, k));
}

static void test_frontier(void **state)
{
    (void)state;
    enum { N = 201 };
    hash_t *lv = malloc(N * sizeof *lv);
    assert_non_null(lv);
    make_leaves(lv, N, 99);
    const uint8_t (*L)[AUDIT_HASH_LEN] = (const uint8_t (*)[AUDIT_HASH_LEN])lv;
    audit_frontier f, g;
    audit_frontier_init(&f);
    uint64_t sizes[N];
    hash_t want[N], got[N];
    for (size_t n = 0; n < N; n++) {
        hash_t a, b;
        audit_root_of(L, n, a);
        audit_frontier_root(&f, b);
        assert_memory_equal(a, b, AUDIT_HASH_LEN);
        assert_int_equal(f.size, n);
        /* The stored form round-trips. */
        uint8_t enc[AUDIT_FRONTIER_ENC_MAX];
        size_t len = audit_frontier_encode(&f, enc);
        assert_int_equal(len, 1 + (size_t)__builtin_popcountll(n) * 40);
        assert_int_equal(audit_frontier_decode(enc, len, &g), WS_OK);
        assert_int_equal(g.size, n);
        audit_frontier_root(&g, b);
        assert_memory_equal(a, b, AUDIT_HASH_LEN);
        sizes[n] = n;
        memcpy(want[n], a, AUDIT_HASH_LEN);
        if (n < N - 1) audit_frontier_push(&f, lv[n]);
    }
    audit_roots_at(L, N - 1, sizes, N, got);
    assert_memory_equal(want, got, sizeof want);
    /* Malformed frontiers are refused. */
    uint8_t enc[AUDIT_FRONTIER_ENC_MAX];
    size_t len = audit_frontier_encode(&f, enc); /* 200 = 128 + 64 + 8 */
    assert_int_equal(len, 1 + 3 * 40);
    enc[0] = 2;
    assert_int_equal(audit_frontier_decode(enc, len, &g), WS_ECORRUPT);
    enc[0] = 1;
    assert_int_equal(audit_frontier_decode(enc, len - 1, &g), WS_ECORRUPT);
    enc[1 + 40 + 7] = 3; /* second entry's size 3: not a power of two */
    assert_int_equal(audit_frontier_decode(enc, len, &g), WS_ECORRUPT);
    assert_int_equal(audit_frontier_decode(enc, 0, &g), WS_ECORRUPT);
    free(lv);
}

/* ---- byte layouts of docs/internals/audit.md ----------------------------- */

/* One integer column of a record encoding: the example of audit.md §4.1
 * (test_item: id 2, name 张三, qty -5, data 00ff). */
static void test_enc_int(void **state)
{
    (void)state;
    static const char hex[] = "57535231" "00000009" "746573745f6974656d"
                              "00000002" "6964" "01" "0000000000000002"
                              "00000004" "6e616d65" "02" "00000006" "e5bca0e4b889"
                              "00000003" "717479" "01" "fffffffffffffffb"
                              "00000004" "64617461" "03" "00000002" "00ff";
    uint8_t b[128];
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &b[i]);
    int64_t v = 0;
    assert_true(audit_enc_int(b, n, "id", &v));
    assert_int_equal(v, 2);
    assert_true(audit_enc_int(b, n, "qty", &v));
    assert_int_equal(v, -5);
    assert_false(audit_enc_int(b, n, "name", &v));    /* text, not an integer */
    assert_false(audit_enc_int(b, n, "unit_id", &v)); /* no such column */
    assert_false(audit_enc_int(b, n - 1, "id", &v));  /* cut short: malformed */
    assert_false(audit_enc_int(NULL, 0, "id", &v));
}

static void test_leaf_layout(void **state)
{
    (void)state;
    audit_leaf_fields l = {.seq = 5, .ts = 1700000000123, .actor = "account:1", .entity = "person",
                           .action = "update", .entity_id = 42};
    for (int i = 0; i < AUDIT_HASH_LEN; i++) l.content_hash[i] = (uint8_t)i;
    buf b = BUF_INIT(1024);
    assert_int_equal(audit_enc_leaf(&b, &l), WS_OK);
    char hex[512];
    hex_encode((const uint8_t *)b.data, b.len, hex);
    assert_string_equal(hex, "01"                                   /* format version */
                             "0000000000000005"                     /* seq */
                             "0000018bcfe5687b"                     /* ts ms */
                             "00000009" "6163636f756e743a31"        /* "account:1" */
                             "00000006" "706572736f6e"              /* "person" */
                             "00000006" "757064617465"              /* "update" */
                             "000000000000002a"                     /* entity id 42 */
                             "000102030405060708090a0b0c0d0e0f"
                             "101112131415161718191a1b1c1d1e1f");   /* content hash */
    buf_free(&b);

    /* An event: "WSE1", entity, then fields like columns. */
    audit_field f[2] = {{.name = "ip", .type = AC_TEXT, .s = "::1"},
                        {.name = "ok", .type = AC_INT, .i = -1}};
    assert_int_equal(audit_enc_event(&b, "session", f, 2), WS_OK);
    hex_encode((const uint8_t *)b.data, b.len, hex);
    assert_string_equal(hex, "57534531" "00000007" "73657373696f6e"
                             "00000002" "6970" "02" "00000003" "3a3a31"
                             "00000002" "6f6b" "01" "ffffffffffffffff");
    assert_true(audit_enc_is_event((const uint8_t *)b.data, b.len));
    buf_free(&b);
    assert_int_equal(audit_enc_deleted(&b, "person"), WS_OK);
    hex_encode((const uint8_t *)b.data, b.len, hex);
    assert_string_equal(hex, "57535231" "00000006" "706572736f6e");
    assert_false(audit_enc_is_event((const uint8_t *)b.data, b.len));
    buf_free(&b);
}

/* ---- signed notes -------------------------------------------------------- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    if (tmpdir[0]) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ws_test_audit_XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void key_path(char *out, size_t cap, const char *name)
{
    make_tmpdir();
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

typedef struct note_seen {
    int count;
    uint64_t sizes[4];
    bool valid[4];
} note_seen;

static void each(const char *txt, size_t len, void *arg)
{
    note_seen *s = arg;
    audit_note n;
    audit_note_check(txt, len, &n);
    if (s->count < 4) {
        s->sizes[s->count] = n.size;
        s->valid[s->count] = n.parsed && n.sig_valid;
    }
    s->count++;
}

static void count_line(const char *msg, void *arg)
{
    int *fails = arg;
    if (strncmp(msg, "FAIL", 4) == 0) (*fails)++;
}

/* A proof file (proof.c) over a one-leaf log signed here: it checks out
 * with the key; any malformed part is a usage error or a failure, never a
 * crash; keys are parsed strictly. */
static void test_proof_file(void **state)
{
    (void)state;
    char k[300], k2[300], vk[200], vk2[200];
    key_path(k, sizeof k, "proof.key");
    key_path(k2, sizeof k2, "proof2.key");
    unlink(k);
    unlink(k2);
    assert_int_equal(audit_keygen(k), WS_OK);
    assert_int_equal(audit_keygen(k2), WS_OK);
    assert_int_equal(audit_open(k2, "plant.example/audit/v1"), WS_OK);
    assert_int_equal(audit_verifier_key(vk2, sizeof vk2), WS_OK);
    assert_int_equal(audit_open(k, "plant.example/audit/v1"), WS_OK);
    assert_int_equal(audit_verifier_key(vk, sizeof vk), WS_OK);

    uint8_t salt[32], ch[AUDIT_HASH_LEN], leaf[AUDIT_HASH_LEN];
    const uint8_t content[] = "WSR1 content";
    memset(salt, 7, sizeof salt);
    audit_content_hash(salt, content, sizeof content - 1, ch);
    audit_leaf_fields f = {.seq = 0, .ts = 1700000000123, .actor = "account:1", .entity = "hazard",
                           .action = "create", .entity_id = 12};
    memcpy(f.content_hash, ch, sizeof ch);
    buf b = BUF_INIT(4096);
    assert_int_equal(audit_enc_leaf(&b, &f), WS_OK);
    audit_leaf_hash((const uint8_t *)b.data, b.len, leaf);
    buf_free(&b);
    char *note = NULL, chex[65], s64[64], c64[64];
    assert_int_equal(audit_note_sign(1, leaf, &note), WS_OK);
    hex_encode(ch, 32, chex);
    sodium_bin2base64(s64, sizeof s64, salt, sizeof salt, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(c64, sizeof c64, content, sizeof content - 1, sodium_base64_VARIANT_ORIGINAL);
    char file[2048];
    const char *tmpl = "{\"format\":\"worksafe-record-proof/1\",\"checkpoint\":%s,\"entity\":\"hazard\","
                       "\"id\":12,\"items\":[{\"seq\":0,\"ts\":\"2023-11-14T22:13:20.123Z\",\"actor\":"
                       "\"account:1\",\"entity\":\"hazard\",\"entity_id\":12,\"action\":\"create\","
                       "\"content_hash\":\"%s\",\"path\":[],\"salt\":\"%s\",\"content\":\"%s\"}]}";
    json_t *js = json_string(note);
    char *jnote = json_dumps(js, JSON_ENCODE_ANY);
    snprintf(file, sizeof file, tmpl, jnote, chex, s64, c64);
    int fails = 0;
    bool ok = false;
    assert_int_equal(audit_proof_check(file, strlen(file), vk, count_line, &fails, &ok), WS_OK);
    assert_true(ok);
    assert_int_equal(fails, 0);
    /* another key: the checkpoint is not its */
    fails = 0;
    assert_int_equal(audit_proof_check(file, strlen(file), vk2, count_line, &fails, &ok), WS_OK);
    assert_false(ok);
    assert_true(fails >= 2);
    /* the content altered */
    char *alt = strdup(file), *c = strstr(alt, c64);
    c[0] = c[0] == 'A' ? 'B' : 'A';
    assert_int_equal(audit_proof_check(alt, strlen(alt), vk, count_line, &fails, &ok), WS_OK);
    assert_false(ok);
    free(alt);
    /* every prefix of the file, and a few malformed ones: an error or a failure, no crash */
    for (size_t n = 0; n < strlen(file); n += 7) {
        ws_err rc = audit_proof_check(file, n, vk, count_line, &fails, &ok);
        assert_true(rc == WS_EINVAL || (rc == WS_OK && !ok));
    }
    const char *bad[] = {"[]", "{\"format\":\"worksafe-record-proof/1\"}",
                         "{\"format\":\"worksafe-record-proof/1\",\"checkpoint\":\"x\",\"entity\":\"h\",\"id\":1,\"items\":[1,{},{\"seq\":-1},{\"path\":[1]}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ws_err rc = audit_proof_check(bad[i], strlen(bad[i]), vk, count_line, &fails, &ok);
        assert_true(rc == WS_EINVAL || (rc == WS_OK && !ok));
    }
    /* keys: the form, and the key ID against the name and key */
    char wrong[200];
    snprintf(wrong, sizeof wrong, "other.example%s", strchr(vk, '+'));
    assert_int_equal(audit_proof_check(file, strlen(file), wrong, count_line, &fails, &ok), WS_EINVAL);
    assert_int_equal(audit_proof_check(file, strlen(file), "a+b+c", count_line, &fails, &ok), WS_EINVAL);
    assert_int_equal(audit_proof_check(file, strlen(file), "", count_line, &fails, &ok), WS_EINVAL);
    free(jnote);
    json_decref(js);
    free(note);
    audit_close();
}

static void test_keys_and_notes(void **state)
{
    (void)state;
    char k1[300], k2[300];
    key_path(k1, sizeof k1, "note1.key");
    key_path(k2, sizeof k2, "note2.key");
    unlink(k1);
    unlink(k2);
    assert_int_equal(audit_keygen(k1), WS_OK);
    assert_int_equal(audit_keygen(k1), WS_ECONFLICT); /* never overwritten */
    struct stat sb;
    assert_int_equal(stat(k1, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(audit_keygen(k2), WS_OK);

    assert_int_equal(audit_open(k1, "bad origin"), WS_EINVAL);
    assert_int_equal(audit_open(k1, "plant.example/audit/v1"), WS_OK);
    assert_string_equal(audit_origin(), "plant.example/audit/v1");
    char vk[200];
    assert_int_equal(audit_verifier_key(vk, sizeof vk), WS_OK);
    /* "<name>+<8 hex>+<base64 of 33 bytes>" */
    assert_memory_equal(vk, "plant.example/audit/v1+", 23);
    assert_int_equal(vk[23 + 8], '+');
    assert_int_equal(strlen(vk), 23 + 8 + 1 + 44);

    uint8_t root[AUDIT_HASH_LEN];
    memset(root, 0xab, sizeof root);
    char *note = NULL;
    assert_int_equal(audit_note_sign(17, root, &note), WS_OK);
    const char *body = "plant.example/audit/v1\n17\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n";
    assert_memory_equal(note, body, strlen(body));
    assert_memory_equal(note + strlen(body), "\xe2\x80\x94 plant.example/audit/v1 ", 27);
    assert_int_equal(note[strlen(note) - 1], '\n');
    /* The signature checks out independently: keyID and Ed25519 over the body. */
    const char *b64 = note + strlen(body) + 27;
    uint8_t sig[68];
    size_t got = 0;
    assert_int_equal(sodium_base642bin(sig, sizeof sig, b64, strlen(b64) - 1, NULL, &got, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(got, 68);
    uint8_t typed[33], pk[32];
    assert_int_equal(sodium_base642bin(typed, sizeof typed, vk + 32, 44, NULL, &got, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(typed[0], 0x01);
    memcpy(pk, typed + 1, 32);
    char idhex[9];
    hex_encode(sig, 4, idhex);
    assert_memory_equal(vk + 23, idhex, 8);
    assert_int_equal(crypto_sign_verify_detached(sig + 4, (const uint8_t *)body, strlen(body) - 1, pk),
                     0);

    audit_note n;
    audit_note_check(note, strlen(note), &n);
    assert_true(n.parsed);
    assert_true(n.signed_ours);
    assert_true(n.sig_valid);
    assert_int_equal(n.size, 17);
    assert_memory_equal(n.root, root, sizeof root);

    /* Tampered size: our key, bad signature. */
    char *t = strdup(note);
    t[strlen("plant.example/audit/v1\n")] = '2';
    audit_note_check(t, strlen(t), &n);
    assert_true(n.parsed && n.signed_ours);
    assert_false(n.sig_valid);
    free(t);

    /* Signed by another key with the same name: not ours. */
    assert_int_equal(audit_open(k2, "plant.example/audit/v1"), WS_OK);
    audit_note_check(note, strlen(note), &n);
    assert_true(n.parsed);
    assert_false(n.signed_ours);
    assert_int_equal(n.nsigs, 1);
    assert_int_equal(audit_open(k1, "plant.example/audit/v1"), WS_OK);

    /* A file of notes: CRLF, extra blank lines, a cosignature from an unknown
     * witness, all tolerated; three notes found. */
    char *n2 = NULL;
    assert_int_equal(audit_note_sign(18, root, &n2), WS_OK);
    buf file = BUF_INIT(1 << 16);
    assert_int_equal(buf_printf(&file, "\n\n%s\n\n", note), WS_OK);
    for (const char *p = n2; *p; p++) {
        if (*p == '\n') assert_int_equal(buf_puts(&file, "\r\n"), WS_OK);
        else assert_int_equal(buf_putc(&file, *p), WS_OK);
    }
    assert_int_equal(buf_puts(&file, "\xe2\x80\x94 witness.example AAAA\n"), WS_OK);
    assert_int_equal(buf_printf(&file, "%s", note), WS_OK);
    note_seen seen = {0};
    audit_notes_each(file.data, file.len, each, &seen);
    assert_int_equal(seen.count, 3);
    assert_int_equal(seen.sizes[0], 17);
    assert_int_equal(seen.sizes[1], 18);
    assert_int_equal(seen.sizes[2], 17);
    assert_true(seen.valid[0] && seen.valid[1] && seen.valid[2]);
    buf_free(&file);
    free(note);
    free(n2);
}

/* ---- the log on a real store ---------------------------------------------- */

typedef struct fixture {
    store_kind kind;
    store *s, *rebuilt;
    char dir[128];
    char url[1024], url2[1024];
    char pg_admin[256], pg_db[64], pg_db2[64];
    char key1[300], key2[300], saved[300];
} fixture;

static fixture fx_sqlite, fx_pg;

static const audit_col item_cols[] = {
    {"id", AC_INT}, {"name", AC_TEXT}, {"qty", AC_INT}, {"price", AC_REAL}, {"data", AC_BLOB},
};
static const audit_entity ITEM = {"test_item", "audit_test_items", item_cols, 5};
static const audit_actor WHO = {"account:1"};
#define ORIGIN "test.worksafe/audit/v1"

/* Tests may hold SQL text; production code keeps it in src/store/. */
static const char T_INS[] =
    "INSERT INTO audit_test_items (id, name, qty, price, data) VALUES ($1, $2, $3, $4, $5)";
static const char T_SET_NAME[] = "UPDATE audit_test_items SET name = $2 WHERE id = $1";
static const char T_SET_QTY[] = "UPDATE audit_test_items SET qty = $2 WHERE id = $1";
static const char T_DEL[] = "DELETE FROM audit_test_items WHERE id = $1";
static const char T_CONTENT[] = "SELECT content, salt FROM record_version WHERE seq = $1";
static const char T_LEAF[] = "SELECT leaf_hash, content_hash FROM audit_leaf WHERE seq = $1";

static const char T_CP_ROOT[] = "UPDATE audit_checkpoint SET root = $2 WHERE size = $1";

static void set_checkpoint_root(store_conn *c, int64_t size, const uint8_t root[32])
{
    store_stmt *st = NULL;
    bool row;
    assert_int_equal(store_prepare(c, T_CP_ROOT, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, size), WS_OK);
    assert_int_equal(store_bind_blob(st, 2, root, 32), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_int_equal(store_changes(st), 1);
    store_finalize(st);
}

static void exec_ok(store_conn *c, const char *sql)
{
    ws_err rc = store_exec(c, sql);
    if (rc) fprintf(stderr, "exec %s: %s\n", sql, ws_err_message());
    assert_int_equal(rc, WS_OK);
}

static void run(store_conn *c, const char *sql, int64_t id, const char *text, int64_t num)
{
    store_stmt *st = NULL;
    bool row;
    assert_int_equal(store_prepare(c, sql, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, id), WS_OK);
    if (sql == T_SET_NAME) assert_int_equal(store_bind_text(st, 2, text), WS_OK);
    if (sql == T_SET_QTY) assert_int_equal(store_bind_int(st, 2, num), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    store_finalize(st);
}

static void insert_item(store_conn *c, int64_t id, const char *name, bool qty_null, int64_t qty,
                        bool price_null, double price, const void *data, size_t dn)
{
    store_stmt *st = NULL;
    bool row;
    assert_int_equal(store_prepare(c, T_INS, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, id), WS_OK);
    assert_int_equal(store_bind_text(st, 2, name), WS_OK);
    assert_int_equal(qty_null ? store_bind_null(st, 3) : store_bind_int(st, 3, qty), WS_OK);
    assert_int_equal(price_null ? store_bind_null(st, 4) : store_bind_double(st, 4, price), WS_OK);
    assert_int_equal(data ? store_bind_blob(st, 5, data, dn) : store_bind_null(st, 5), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    store_finalize(st);
}

/* Bytes of the record_version content at seq, as hex. */
static void stored_content_hex(store_conn *c, int64_t seq, char *out, size_t cap)
{
    store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(store_prepare(c, T_CONTENT, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, seq), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    size_t n = 0;
    const void *p = store_col_blob(st, 0, &n);
    assert_true(2 * n + 1 <= cap);
    hex_encode(p, n, out);
    /* And the leaf commits to SHA-256(salt || content). */
    size_t sn = 0;
    const void *salt = store_col_blob(st, 1, &sn);
    assert_int_equal(sn, 32);
    uint8_t want[32];
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    crypto_hash_sha256_update(&hs, salt, sn);
    crypto_hash_sha256_update(&hs, p, n);
    crypto_hash_sha256_final(&hs, want);
    store_finalize(st);
    assert_int_equal(store_prepare(c, T_LEAF, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, seq), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    const void *ch = store_col_blob(st, 1, &sn);
    assert_int_equal(sn, 32);
    assert_memory_equal(ch, want, 32);
    store_finalize(st);
}

typedef struct findings {
    int n;
    audit_finding f[64];
} findings;

static void collect(const audit_finding *f, void *arg)
{
    findings *fs = arg;
    if (fs->n < 64) fs->f[fs->n] = *f;
    fs->n++;
}

static bool has(const findings *fs, const char *entity, int64_t id, const char *what)
{
    for (int i = 0; i < fs->n && i < 64; i++)
        if (strcmp(fs->f[i].entity, entity) == 0 && fs->f[i].id == id &&
            strstr(fs->f[i].what, what))
            return true;
    return false;
}

static void dump(const findings *fs)
{
    for (int i = 0; i < fs->n && i < 64; i++)
        fprintf(stderr, "  finding: %s %lld: %s\n", fs->f[i].entity, (long long)fs->f[i].id,
                fs->f[i].what);
}

static ws_err verify(store_conn *c, const char *against, findings *fs, uint64_t *leaves)
{
    memset(fs, 0, sizeof *fs);
    ws_err rc = audit_verify(c, against, collect, fs, leaves);
    if (rc != WS_OK) dump(fs);
    return rc;
}

static void verify_clean(store_conn *c, const char *against, uint64_t want_leaves)
{
    findings fs;
    uint64_t n = 0;
    assert_int_equal(verify(c, against, &fs, &n), WS_OK);
    assert_int_equal(fs.n, 0);
    assert_int_equal(n, want_leaves);
}

static void append_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fprintf(fp, "%s\n", text);
    fclose(fp);
}

static void create_table(store_conn *c, store_kind k)
{
    if (k == STORE_POSTGRES)
        exec_ok(c, "CREATE TABLE audit_test_items (id BIGINT PRIMARY KEY, name TEXT, qty BIGINT, "
                   "price DOUBLE PRECISION, data BYTEA)");
    else
        exec_ok(c, "CREATE TABLE audit_test_items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, "
                   "price REAL, data BLOB)");
}

static store_conn *acq(store *s)
{
    store_conn *c = NULL;
    assert_int_equal(store_acquire(s, &c), WS_OK);
    return c;
}

static void test_log_on_store(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f->s);
    assert_int_equal(store_migrate(c), WS_OK);
    create_table(c, f->kind);
    assert_int_equal(audit_register(&ITEM), WS_OK);
    assert_int_equal(audit_register(&ITEM), WS_OK); /* idempotent */
    assert_int_equal(audit_keygen(f->key1), WS_OK);
    assert_int_equal(audit_keygen(f->key2), WS_OK);
    assert_int_equal(audit_open(f->key1, ORIGIN), WS_OK);

    uint64_t size = 99;
    uint8_t root[32], r2[32], empty[32];
    assert_int_equal(audit_head(c, &size, root), WS_OK);
    assert_int_equal(size, 0);
    audit_root_of(NULL, 0, empty);
    assert_memory_equal(root, empty, 32);
    verify_clean(c, NULL, 0);

    /* Outside a transaction audit_record refuses. */
    assert_int_equal(audit_record(c, &WHO, &ITEM, 1, "create", NULL), WS_EINTERNAL);

    int64_t seq = -1;
    static const uint8_t d1[] = {1, 2}, d2[] = {0, 0xff};
    assert_int_equal(store_begin(c), WS_OK);
    insert_item(c, 1, "alpha", false, 3, false, 2.5, d1, 2);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 1, "create", &seq), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    assert_int_equal(seq, 0);

    assert_int_equal(store_begin(c), WS_OK);
    run(c, T_SET_NAME, 1, "alpha-2", 0);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 1, "update", &seq), WS_OK);
    insert_item(c, 2, "\xe5\xbc\xa0\xe4\xb8\x89", false, -5, true, 0, d2, 2); /* 张三 */
    assert_int_equal(audit_record(c, &WHO, &ITEM, 2, "create", &seq), WS_OK);
    insert_item(c, 3, "gamma", true, 0, true, 0, NULL, 0);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 3, "create", &seq), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    assert_int_equal(seq, 3);

    /* A delete is recorded after the row is gone, never before. */
    assert_int_equal(store_begin(c), WS_OK);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 3, "delete", &seq), WS_EINTERNAL);
    run(c, T_DEL, 3, NULL, 0);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 3, "delete", &seq), WS_OK);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 3, "update", NULL), WS_ENOTFOUND);
    assert_int_equal(store_commit(c), WS_OK);
    assert_int_equal(seq, 4);
    audit_rec_check gone;
    assert_int_equal(audit_record_check(c, "test_item", 3, &gone), WS_OK);
    assert_int_equal(gone.state, AUDIT_REC_DELETED);
    assert_int_equal(gone.last_seq, 4);

    /* A rolled-back change leaves no leaf. */
    assert_int_equal(store_begin(c), WS_OK);
    insert_item(c, 4, "delta", false, 1, false, 1.0, NULL, 0);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 4, "create", &seq), WS_OK);
    store_rollback(c);

    /* An event opens its own transaction. */
    audit_field ev[2] = {{.name = "ip", .type = AC_TEXT, .s = "127.0.0.1"},
                         {.name = "ok", .type = AC_INT, .i = 1}};
    assert_int_equal(audit_event(c, &WHO, "session", 1, "login", ev, 2, &seq), WS_OK);
    assert_int_equal(seq, 5);
    assert_false(store_in_tx(c));
    assert_int_equal(audit_head(c, &size, root), WS_OK);
    assert_int_equal(size, 6);

    /* The canonical encoding is the one docs/internals/audit.md specifies,
     * byte for byte, whichever engine stored the row. */
    char hex[1024];
    stored_content_hex(c, 2, hex, sizeof hex);
    assert_string_equal(hex, "57535231" "00000009" "746573745f6974656d"
                             "00000002" "6964" "01" "0000000000000002"
                             "00000004" "6e616d65" "02" "00000006" "e5bca0e4b889"
                             "00000003" "717479" "01" "fffffffffffffffb"
                             /* price is NULL: left out */
                             "00000004" "64617461" "03" "00000002" "00ff");
    stored_content_hex(c, 1, hex, sizeof hex);
    assert_string_equal(hex, "57535231" "00000009" "746573745f6974656d"
                             "00000002" "6964" "01" "0000000000000001"
                             "00000004" "6e616d65" "02" "00000007" "616c7068612d32"
                             "00000003" "717479" "01" "0000000000000003"
                             "00000005" "7072696365" "04" "4004000000000000"
                             "00000004" "64617461" "03" "00000002" "0102");
    stored_content_hex(c, 4, hex, sizeof hex);
    assert_string_equal(hex, "57535231" "00000009" "746573745f6974656d");
    stored_content_hex(c, 5, hex, sizeof hex);
    assert_string_equal(hex, "57534531" "00000007" "73657373696f6e"
                             "00000002" "6970" "02" "00000009" "3132372e302e302e31"
                             "00000002" "6f6b" "01" "0000000000000001");

    /* Proofs from the store verify against the head. */
    for (uint64_t n = 1; n <= size; n++) {
        uint8_t rn[32];
        assert_int_equal(audit_root_at(c, n, rn), WS_OK);
        for (uint64_t i = 0; i < n; i++) {
            uint8_t lh[32], (*path)[32] = NULL;
            size_t np = 0;
            assert_int_equal(audit_proof_inclusion(c, i, n, lh, &path, &np), WS_OK);
            assert_true(audit_verify_inclusion(i, n, lh, (const uint8_t (*)[32])path, np, rn));
            free(path);
        }
        uint8_t (*path)[32] = NULL;
        size_t np = 0;
        assert_int_equal(audit_proof_consistency(c, n, size, &path, &np), WS_OK);
        assert_true(audit_verify_consistency(n, size, rn, root, (const uint8_t (*)[32])path, np));
        free(path);
    }
    assert_int_equal(audit_root_at(c, size, r2), WS_OK);
    assert_memory_equal(r2, root, 32);
    {
        uint8_t lh[32], (*path)[32] = NULL;
        size_t np = 0;
        assert_int_equal(audit_proof_inclusion(c, 6, 6, lh, &path, &np), WS_EINVAL);
        assert_int_equal(audit_proof_inclusion(c, 0, 7, lh, &path, &np), WS_EINVAL);
        assert_int_equal(audit_proof_consistency(c, 0, 6, &path, &np), WS_EINVAL);
        assert_int_equal(audit_proof_consistency(c, 3, 7, &path, &np), WS_EINVAL);
        assert_null(path);
    }

    /* A checkpoint, kept by the regulator; signing again gives the same note. */
    char *note = NULL, *again = NULL;
    assert_int_equal(audit_checkpoint(c, &note), WS_OK);
    assert_int_equal(audit_checkpoint(c, &again), WS_OK);
    assert_string_equal(note, again);
    audit_note an;
    audit_note_check(note, strlen(note), &an);
    assert_true(an.parsed && an.sig_valid);
    assert_int_equal(an.size, 6);
    assert_memory_equal(an.root, root, 32);
    append_file(f->saved, note);
    free(note);
    free(again);
    verify_clean(c, NULL, 6);

    assert_int_equal(store_begin(c), WS_OK);
    run(c, T_SET_QTY, 2, NULL, 7);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 2, "update", &seq), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    assert_int_equal(audit_checkpoint(c, &note), WS_OK);
    append_file(f->saved, note);
    free(note);
    verify_clean(c, f->saved, 7);

    /* Behind the server's back: a changed value is named, with its column;
     * putting it back makes the log verify again. */
    findings fs;
    audit_rec_check rk;
    assert_int_equal(audit_record_check(c, "test_item", 1, &rk), WS_OK);
    assert_int_equal(rk.state, AUDIT_REC_SAME);
    assert_int_equal(rk.last_seq, 1);
    exec_ok(c, "UPDATE audit_test_items SET qty = 99 WHERE id = 1");
    assert_int_equal(verify(c, NULL, &fs, NULL), WS_ECORRUPT);
    assert_int_equal(fs.n, 1);
    assert_true(has(&fs, "test_item", 1, "changed outside worksafe (columns: qty"));
    /* the same for the one record, as the evidence page asks */
    assert_int_equal(audit_record_check(c, "test_item", 1, &rk), WS_OK);
    assert_int_equal(rk.state, AUDIT_REC_CHANGED);
    assert_string_equal(rk.cols, "qty");
    assert_int_equal(audit_record_check(c, "test_item", 2, &rk), WS_OK);
    assert_int_equal(rk.state, AUDIT_REC_SAME);
    assert_int_equal(audit_record_check(c, "no_such_thing", 1, &rk), WS_EINVAL);
    assert_int_equal(audit_record_check(c, "test_item", 0, &rk), WS_EINVAL);
    assert_int_equal(audit_record_check(c, "test_item", 77, &rk), WS_OK);
    assert_int_equal(rk.state, AUDIT_REC_NONE);
    assert_int_equal(rk.last_seq, -1);
    exec_ok(c, "UPDATE audit_test_items SET qty = 3 WHERE id = 1");
    verify_clean(c, f->saved, 7);

    exec_ok(c, "UPDATE audit_test_items SET price = 2.5000001 WHERE id = 1");
    assert_int_equal(verify(c, NULL, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "test_item", 1, "columns: price"));
    exec_ok(c, "UPDATE audit_test_items SET price = 2.5 WHERE id = 1");

    /* Deleted and created behind its back. */
    exec_ok(c, "DELETE FROM audit_test_items WHERE id = 2");
    exec_ok(c, "INSERT INTO audit_test_items (id, name) VALUES (3, 'gamma')");
    exec_ok(c, "INSERT INTO audit_test_items (id, name) VALUES (9, 'ghost')");
    assert_int_equal(verify(c, NULL, &fs, NULL), WS_ECORRUPT);
    assert_int_equal(fs.n, 3);
    assert_true(has(&fs, "test_item", 2, "deleted outside worksafe"));
    assert_true(has(&fs, "test_item", 3, "created outside worksafe"));
    assert_true(has(&fs, "test_item", 9, "created outside worksafe"));
    assert_int_equal(audit_record_check(c, "test_item", 2, &rk), WS_OK);
    assert_int_equal(rk.state, AUDIT_REC_DELETED_OUTSIDE);
    assert_int_equal(audit_record_check(c, "test_item", 3, &rk), WS_OK);
    assert_int_equal(rk.state, AUDIT_REC_CREATED); /* its last leaf is the delete */
    assert_int_equal(audit_record_check(c, "test_item", 9, &rk), WS_OK);
    assert_int_equal(rk.state, AUDIT_REC_CREATED);
    exec_ok(c, "DELETE FROM audit_test_items WHERE id IN (3, 9)");
    insert_item(c, 2, "\xe5\xbc\xa0\xe4\xb8\x89", false, 7, true, 0, d2, 2);
    verify_clean(c, f->saved, 7);

    /* The log itself: a leaf's field, a version's owner, the head. */
    exec_ok(c, "UPDATE audit_leaf SET actor = 'account:2' WHERE seq = 1");
    exec_ok(c, "UPDATE record_version SET entity_id = 5 WHERE seq = 0");
    assert_int_equal(verify(c, NULL, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "audit_leaf", 1, "does not match its stored hash"));
    assert_true(has(&fs, "test_item", 1, "belongs to another record"));
    assert_true(has(&fs, "audit_head", 1, "root does not match"));
    assert_true(has(&fs, "checkpoint", 6, "does not match the log's root"));
    exec_ok(c, "UPDATE audit_leaf SET actor = 'account:1' WHERE seq = 1");
    exec_ok(c, "UPDATE record_version SET entity_id = 1 WHERE seq = 0");
    verify_clean(c, f->saved, 7);

    /* Never sign a second root for a size that already has one. */
    set_checkpoint_root(c, 7, empty);
    assert_int_equal(audit_checkpoint(c, &note), WS_ECORRUPT);
    assert_null(note);
    assert_int_equal(verify(c, NULL, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "checkpoint", 7, "disagrees with its note"));
    assert_int_equal(audit_head(c, &size, root), WS_OK);
    set_checkpoint_root(c, 7, root);
    verify_clean(c, f->saved, 7);
    store_release(c);
}

/* A log rebuilt from scratch and re-signed fails against the saved notes. */
static void test_rebuilt_log(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f->rebuilt);
    assert_int_equal(store_migrate(c), WS_OK);
    create_table(c, f->kind);
    assert_int_equal(audit_open(f->key2, ORIGIN), WS_OK); /* a new key, same name */
    static const uint8_t d1[] = {1, 2};
    int64_t seq;
    assert_int_equal(store_begin(c), WS_OK);
    insert_item(c, 1, "alpha-2", false, 4, false, 2.5, d1, 2); /* history rewritten */
    for (int i = 0; i < 7; i++)
        assert_int_equal(audit_record(c, &WHO, &ITEM, 1, i ? "update" : "create", &seq), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    char *note = NULL;
    assert_int_equal(audit_checkpoint(c, &note), WS_OK);
    free(note);
    verify_clean(c, NULL, 7); /* consistent with itself */

    findings fs;
    assert_int_equal(verify(c, f->saved, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "saved_checkpoint", 6, "not signed by this log's key"));
    assert_true(has(&fs, "saved_checkpoint", 6, "is not consistent with the log"));
    assert_true(has(&fs, "saved_checkpoint", 7, "not signed by this log's key"));
    assert_true(has(&fs, "saved_checkpoint", 7, "is not consistent with the log"));

    /* Even with the old key (stolen), the rewritten history is caught. */
    assert_int_equal(audit_open(f->key1, ORIGIN), WS_OK);
    assert_int_equal(verify(c, f->saved, &fs, NULL), WS_ECORRUPT);
    assert_false(has(&fs, "saved_checkpoint", 6, "not signed"));
    assert_true(has(&fs, "saved_checkpoint", 6, "is not consistent with the log"));
    assert_true(has(&fs, "saved_checkpoint", 7, "is not consistent with the log"));
    store_release(c);

    /* The genuine log still passes against the same file, with its key. */
    c = acq(f->s);
    verify_clean(c, f->saved, 7);
    /* A saved file that is garbage is a finding, not a pass. */
    char junk[320];
    snprintf(junk, sizeof junk, "%s/junk.txt", f->dir);
    append_file(junk, "hello\nworld\n");
    assert_int_equal(verify(c, junk, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "saved_checkpoint", 1, "malformed"));
    store_release(c);
}

/* Concurrent appenders are serialised: the sequence stays dense. */
typedef struct worker_arg {
    store *s;
    int id;
    int fails;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    store_conn *c = NULL;
    if (store_acquire(w->s, &c)) {
        w->fails++;
        return NULL;
    }
    for (int i = 0; i < 25; i++) {
        audit_field fl = {.name = "n", .type = AC_INT, .i = i};
        if (audit_event(c, &WHO, "session", w->id, "login", &fl, 1, NULL)) w->fails++;
    }
    store_release(c);
    return NULL;
}

static void test_concurrent_appends(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f->s);
    uint64_t before, after;
    assert_int_equal(audit_head(c, &before, NULL), WS_OK);
    store_release(c);
    pthread_t th[3];
    worker_arg wa[3];
    for (int i = 0; i < 3; i++) {
        wa[i] = (worker_arg){.s = f->s, .id = i + 1};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &wa[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(wa[i].fails, 0);
    }
    c = acq(f->s);
    assert_int_equal(audit_head(c, &after, NULL), WS_OK);
    assert_int_equal(after, before + 75);
    verify_clean(c, f->saved, after);
    store_release(c);
}

/* ---- purges: erasure of personal data --------------------------------------- */

static const char T_PURGED[] =
    "SELECT COUNT(*) FROM record_version WHERE entity = $1 AND entity_id = $2 "
    "AND content IS NULL AND salt IS NULL";
static const char T_KEPT[] =
    "SELECT COUNT(*) FROM record_version WHERE entity = $1 AND entity_id = $2 "
    "AND content IS NOT NULL AND salt IS NOT NULL";
static const char T_LEAVES_OF[] =
    "SELECT COUNT(*) FROM audit_leaf WHERE entity = $1 AND entity_id = $2";
static const char T_ALL_CONTENT[] = "SELECT content FROM record_version WHERE content IS NOT NULL";
static const char T_LEAF_AT[] = "SELECT entity, entity_id, action FROM audit_leaf WHERE seq = $1";

static const char T_SET_VERSION[] = "UPDATE record_version SET salt = $2, content = $3 WHERE seq = $1";

static void set_version(store_conn *c, int64_t seq, const uint8_t *salt, const void *content,
                        size_t n)
{
    store_stmt *st = NULL;
    bool row;
    assert_int_equal(store_prepare(c, T_SET_VERSION, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, seq), WS_OK);
    assert_int_equal(salt ? store_bind_blob(st, 2, salt, 32) : store_bind_null(st, 2), WS_OK);
    assert_int_equal(content ? store_bind_blob(st, 3, content, n) : store_bind_null(st, 3), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_int_equal(store_changes(st), 1);
    store_finalize(st);
}

static int64_t count_of(store_conn *c, const char *sql, const char *entity, int64_t id)
{
    store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(store_prepare(c, sql, &st), WS_OK);
    assert_int_equal(store_bind_text(st, 1, entity), WS_OK);
    assert_int_equal(store_bind_int(st, 2, id), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    int64_t n = store_col_int(st, 0);
    store_finalize(st);
    return n;
}

/* How many stored versions still hold the bytes of s. */
static int versions_holding(store_conn *c, const char *s)
{
    store_stmt *st = NULL;
    bool row = false;
    int n = 0;
    assert_int_equal(store_prepare(c, T_ALL_CONTENT, &st), WS_OK);
    while (store_step(st, &row) == WS_OK && row) {
        size_t len = 0;
        const void *p = store_col_blob(st, 0, &len);
        if (p && memmem(p, len, s, strlen(s))) n++;
    }
    store_finalize(st);
    return n;
}

static void assert_leaf(store_conn *c, int64_t seq, const char *entity, int64_t id,
                        const char *action)
{
    store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(store_prepare(c, T_LEAF_AT, &st), WS_OK);
    assert_int_equal(store_bind_int(st, 1, seq), WS_OK);
    assert_int_equal(store_step(st, &row), WS_OK);
    assert_true(row);
    assert_string_equal(store_col_text(st, 0), entity);
    assert_int_equal(store_col_int(st, 1), id);
    assert_string_equal(store_col_text(st, 2), action);
    store_finalize(st);
}

static void test_purge(void **state)
{
    fixture *f = *state;
    store_conn *c = acq(f->s);
    uint64_t before = 0, after = 0;
    int64_t seq = -1, eseq = -1;
    assert_int_equal(audit_head(c, &before, NULL), WS_OK);
    const char *name = "\xe6\x9d\x8e\xe5\x9b\x9b 13912345678"; /* 李四 and a phone number */

    /* A record with personal data in two versions, and a login event about it. */
    assert_int_equal(store_begin(c), WS_OK);
    insert_item(c, 20, name, false, 1, true, 0, NULL, 0);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 20, "create", NULL), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    assert_int_equal(store_begin(c), WS_OK);
    run(c, T_SET_QTY, 20, NULL, 2);
    assert_int_equal(audit_record(c, &WHO, &ITEM, 20, "update", NULL), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);
    audit_field ev[1] = {{.name = "username", .type = AC_TEXT, .s = "li.si"}};
    assert_int_equal(audit_event(c, &WHO, "session", 20, "login", ev, 1, NULL), WS_OK);
    assert_int_equal(versions_holding(c, "13912345678"), 2);
    assert_int_equal(versions_holding(c, "li.si"), 1);

    /* Only inside a transaction, only with a reason, only for a row that exists. */
    assert_int_equal(audit_purge(c, &WHO, &ITEM, 20, "erasure request", NULL), WS_EINTERNAL);
    assert_int_equal(store_begin(c), WS_OK);
    assert_int_equal(audit_purge(c, &WHO, &ITEM, 20, "", NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "reason");
    assert_int_equal(audit_purge(c, &WHO, &ITEM, 77, "erasure request", NULL), WS_ENOTFOUND);
    store_rollback(c);

    /* Rolled back: every version keeps its content. */
    assert_int_equal(store_begin(c), WS_OK);
    run(c, T_SET_NAME, 20, "x", 0);
    assert_int_equal(audit_purge(c, &WHO, &ITEM, 20, "erasure request", NULL), WS_OK);
    store_rollback(c);
    assert_int_equal(count_of(c, T_PURGED, "test_item", 20), 0);
    assert_int_equal(versions_holding(c, "13912345678"), 2);

    /* The caller anonymises the row, then purges, in one transaction. */
    assert_int_equal(store_begin(c), WS_OK);
    run(c, T_SET_NAME, 20, "erased", 0);
    assert_int_equal(audit_purge(c, &WHO, &ITEM, 20, "\xe6\x9c\xac\xe4\xba\xba\xe7\x94\xb3\xe8\xaf\xb7",
                                 &seq), WS_OK); /* 本人申请 */
    assert_int_equal(audit_purge_events(c, &WHO, "session", 20, "erasure request", &eseq), WS_OK);
    assert_int_equal(store_commit(c), WS_OK);

    /* Leaves are appended, never removed: the record's own leaves grow by
     * one (the tombstone); the log by the tombstone and two "erasure" events. */
    assert_int_equal(audit_head(c, &after, NULL), WS_OK);
    assert_int_equal(after, before + 3 + 3);
    assert_int_equal(count_of(c, T_LEAVES_OF, "test_item", 20), 3);
    assert_int_equal(count_of(c, T_LEAVES_OF, "session", 20), 1);
    assert_int_equal(count_of(c, T_LEAVES_OF, "erasure", 20), 2);
    assert_leaf(c, seq, "test_item", 20, "purge");
    assert_leaf(c, seq + 1, "erasure", 20, "purge");
    assert_leaf(c, eseq, "erasure", 20, "purge");
    assert_int_equal(eseq, seq + 2);
    /* The earlier versions and the event lost salt and content; the
     * tombstone holds the anonymised row. */
    assert_int_equal(count_of(c, T_PURGED, "test_item", 20), 2);
    assert_int_equal(count_of(c, T_KEPT, "test_item", 20), 1);
    assert_int_equal(count_of(c, T_PURGED, "session", 20), 1);
    assert_int_equal(versions_holding(c, "13912345678"), 0);
    assert_int_equal(versions_holding(c, "\xe6\x9d\x8e\xe5\x9b\x9b"), 0);
    assert_int_equal(versions_holding(c, "li.si"), 0);
    assert_int_equal(versions_holding(c, "erased"), 1);
    /* ...and the reason is there for the regulator. */
    assert_int_equal(versions_holding(c, "\xe6\x9c\xac\xe4\xba\xba\xe7\x94\xb3\xe8\xaf\xb7"), 1);
    char hex[1024];
    stored_content_hex(c, eseq, hex, sizeof hex);
    assert_string_equal(hex, "57534531" "00000007" "65726173757265"                 /* erasure */
                             "00000006" "656e74697479" "02" "00000007" "73657373696f6e" /* session */
                             "00000002" "6964" "01" "0000000000000014"
                             "00000006" "726561736f6e" "02" "0000000f"
                             "6572617375726520726571756573" "74");
    /* Other records are untouched. */
    assert_int_equal(count_of(c, T_PURGED, "test_item", 1), 0);

    /* The log verifies: purged versions are skipped, the leaf chain, the
     * checkpoints and the live row against the tombstone are checked. */
    verify_clean(c, f->saved, after);
    char *note = NULL;
    assert_int_equal(audit_checkpoint(c, &note), WS_OK);
    append_file(f->saved, note);
    free(note);
    verify_clean(c, f->saved, after);

    /* Tampering after the purge is still caught: the row... */
    findings fs;
    exec_ok(c, "UPDATE audit_test_items SET name = 'restored' WHERE id = 20");
    assert_int_equal(verify(c, NULL, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "test_item", 20, "changed outside worksafe (columns: name"));
    exec_ok(c, "UPDATE audit_test_items SET name = 'erased' WHERE id = 20");
    verify_clean(c, f->saved, after);
    /* ...the tombstone leaf... */
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE audit_leaf SET action = 'update' WHERE seq = %lld",
             (long long)seq);
    exec_ok(c, sql);
    assert_int_equal(verify(c, f->saved, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "audit_leaf", seq, "does not match its stored hash"));
    assert_true(has(&fs, "saved_checkpoint", (int64_t)after, "not consistent"));
    snprintf(sql, sizeof sql, "UPDATE audit_leaf SET action = 'purge' WHERE seq = %lld",
             (long long)seq);
    exec_ok(c, sql);
    /* ...and content slipped back into a purged version (the create). */
    static const uint8_t zero[32], junk[2] = {1, 2};
    set_version(c, (int64_t)before, zero, junk, 2);
    assert_int_equal(verify(c, NULL, &fs, NULL), WS_ECORRUPT);
    assert_true(has(&fs, "test_item", 20, "does not match the leaf's content hash"));
    set_version(c, (int64_t)before, NULL, NULL, 0);
    verify_clean(c, f->saved, after);
    store_release(c);
}

static void fill_paths(fixture *f)
{
    snprintf(f->key1, sizeof f->key1, "%s/audit1.key", f->dir);
    snprintf(f->key2, sizeof f->key2, "%s/audit2.key", f->dir);
    snprintf(f->saved, sizeof f->saved, "%s/saved-checkpoints.txt", f->dir);
}

static int setup_sqlite(void **state)
{
    fixture *f = &fx_sqlite;
    *state = f;
    f->kind = STORE_SQLITE;
    snprintf(f->dir, sizeof f->dir, "/tmp/ws_audit_test_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    fill_paths(f);
    if (snprintf(f->url, sizeof f->url, "sqlite:%s/ws.db", f->dir) >= (int)sizeof f->url ||
        snprintf(f->url2, sizeof f->url2, "sqlite:%s/rebuilt.db", f->dir) >= (int)sizeof f->url2)
        return -1;
    if (store_open(f->url, 4, &f->s) || store_open(f->url2, 1, &f->rebuilt)) {
        fprintf(stderr, "store_open: %s\n", ws_err_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown_sqlite(void **state)
{
    fixture *f = *state ? *state : &fx_sqlite;
    if (f->s) store_close(f->s);
    if (f->rebuilt) store_close(f->rebuilt);
    audit_close();
    return f->dir[0] ? remove_dir(f->dir) : 0;
}


static bool pg_fresh_db(const char *admin, const char *db)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
    pgdb_exec(admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    return pgdb_exec(admin, sql);
}

static int setup_pg(void **state)
{
    fixture *f = &fx_pg;
    *state = f;
    f->kind = STORE_POSTGRES;
    snprintf(f->pg_admin, sizeof f->pg_admin, "%s", getenv("WS_TEST_PG_URL"));
    snprintf(f->pg_db, sizeof f->pg_db, "ws_audit_test_%ld", (long)getpid());
    snprintf(f->pg_db2, sizeof f->pg_db2, "ws_audit_rebuilt_%ld", (long)getpid());
    pgdb_url_for(f->pg_admin, f->pg_db, f->url, sizeof f->url);
    pgdb_url_for(f->pg_admin, f->pg_db2, f->url2, sizeof f->url2);
    snprintf(f->dir, sizeof f->dir, "/tmp/ws_audit_pgtest_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    fill_paths(f);
    if (!pg_fresh_db(f->pg_admin, f->pg_db) || !pg_fresh_db(f->pg_admin, f->pg_db2)) return -1;
    if (store_open(f->url, 4, &f->s) || store_open(f->url2, 1, &f->rebuilt)) {
        fprintf(stderr, "store_open: %s\n", ws_err_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_pg(void **state)
{
    fixture *f = *state ? *state : &fx_pg;
    if (f->s) store_close(f->s);
    if (f->rebuilt) store_close(f->rebuilt);
    audit_close();
    if (!f->pg_db[0]) return 0;
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", f->pg_db);
    bool ok = pgdb_exec(f->pg_admin, sql);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", f->pg_db2);
    ok = pgdb_exec(f->pg_admin, sql) && ok;
    return (f->dir[0] ? remove_dir(f->dir) : 0) == 0 && ok ? 0 : -1;
}

static int teardown_pure(void **state)
{
    (void)state;
    audit_close();
    return tmpdir[0] ? remove_dir(tmpdir) : 0;
}

/* core/sha256.h (nettle, the CPU's SHA extensions) against FIPS 180-2's
 * vectors and against libsodium's portable SHA-256 for every length up to
 * 600 bytes, whole and fed in uneven pieces (block edges at 55, 56, 64). */
static void test_sha256_agrees(void **state)
{
    (void)state;
    uint8_t h[WS_SHA256_LEN], want[32];
    ws_sha256(h, "abc", 3);
    assert_hash_hex(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ws_sha256(h, "", 0);
    assert_hash_hex(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    uint8_t msg[600];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 131 + 7);
    for (size_t n = 0; n <= sizeof msg; n++) {
        crypto_hash_sha256(want, msg, n);
        ws_sha256(h, msg, n);
        assert_memory_equal(h, want, 32);
        ws_sha256_ctx c;
        ws_sha256_init(&c);
        for (size_t at = 0, step = 1; at < n; at += step, step = step * 3 % 67 + 1)
            ws_sha256_update(&c, msg + at, step < n - at ? step : n - at);
        ws_sha256_final(&c, h);
        assert_memory_equal(h, want, 32);
    }
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_sha256_agrees),
        cmocka_unit_test(test_vector_roots),
        cmocka_unit_test(test_vector_inclusion),
        cmocka_unit_test(test_vector_consistency),
        cmocka_unit_test(test_proofs_agree),
        cmocka_unit_test(test_frontier),
        cmocka_unit_test(test_leaf_layout),
        cmocka_unit_test(test_enc_int),
        cmocka_unit_test(test_keys_and_notes),
        cmocka_unit_test(test_proof_file),
    };
    const struct CMUnitTest on_store[] = {
        cmocka_unit_test(test_log_on_store),
        cmocka_unit_test(test_rebuilt_log),
        cmocka_unit_test(test_concurrent_appends),
        cmocka_unit_test(test_purge),
    };
    int failed = cmocka_run_group_tests_name("audit_pure", pure, NULL, teardown_pure);
    failed += cmocka_run_group_tests_name("audit_sqlite", on_store, setup_sqlite, teardown_sqlite);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg)
        failed += cmocka_run_group_tests_name("audit_postgres", on_store, setup_pg, teardown_pg);
    else
        fprintf(stderr, "audit_postgres: skipped (WS_TEST_PG_URL not set)\n");
    return failed ? 1 : 0;
}
