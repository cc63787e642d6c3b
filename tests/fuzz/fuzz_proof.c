/* fuzz_proof.c — libFuzzer target for `worksafe audit check-proof`
 * (src/audit/proof.c): a record's proof file, which a regulator receives from
 * a plant and checks on a machine of their own, so nothing in it is trusted.
 *
 * Every input must end in WS_OK (the file was read; ok says whether it
 * checked out) or WS_EINVAL naming "file", never read outside the buffer (a
 * malloc'd copy of the input's exact size), and say ok only for a file whose
 * every change is proved under the key. The key is fixed (a seed written
 * here), so a proof made at start-up, and the seed file made from it, stay
 * valid: start-up builds a five-entry log where hazard 7 changed twice,
 * signs its checkpoint and checks that the proof passes and that a changed
 * field fails. To write that proof as a seed (it prints the key, for
 * `worksafe audit check-proof FILE --key KEY`):
 *   WS_FUZZ_PROOF_SEED=tests/fuzz/seeds-proof/valid.json build/fuzz/fuzz_proof -runs=0
 *   make build/fuzz/fuzz_proof && build/fuzz/fuzz_proof -max_total_time=20 tests/fuzz/seeds-proof */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define ORIGIN "fuzz.worksafe.test"
static char vkey[256];

static void line_sink(const char *msg, void *arg)
{
    (void)msg, (void)arg;
}

/* check-proof on text; aborts on an outcome the contract forbids. */
static bool check(const char *text, size_t n)
{
    bool ok = true;
    ws_err rc = audit_proof_check(text, n, vkey, line_sink, NULL, &ok);
    if (rc != WS_OK && (rc != WS_EINVAL || strcmp(ws_err_field(), "file") != 0)) abort();
    if (rc != WS_OK && ok) abort();
    return rc == WS_OK && ok;
}

static char *hex(const uint8_t h[AUDIT_HASH_LEN], char out[2 * AUDIT_HASH_LEN + 1])
{
    return sodium_bin2hex(out, 2 * AUDIT_HASH_LEN + 1, h, AUDIT_HASH_LEN);
}

/* The log: five entries, hazard 7 at 1 and 3; its proof at size 5 as JSON. */
static char *valid_proof(void)
{
    static const char *const ent[5] = {"permit", "hazard", "alarm", "hazard", "hazard"};
    static const int64_t ids[5] = {3, 7, 1, 7, 8};
    static const char content[] = "WSR1 a hazard's record";
    uint8_t salt[AUDIT_HASH_LEN], leaves[5][AUDIT_HASH_LEN], d[5][AUDIT_HASH_LEN], root[AUDIT_HASH_LEN];
    audit_leaf_fields f[5];
    memset(salt, 0x5a, sizeof salt);
    for (int i = 0; i < 5; i++) {
        f[i] = (audit_leaf_fields){.seq = (uint64_t)i, .ts = 1764633600000 + i * 60000, .actor = "person:4",
                                   .entity = ent[i], .action = i == 1 ? "create" : "update", .entity_id = ids[i]};
        audit_content_hash(salt, (const uint8_t *)content, sizeof content - 1, f[i].content_hash);
        buf b = BUF_INIT(4096);
        if (audit_enc_leaf(&b, &f[i])) abort();
        audit_leaf_hash((const uint8_t *)b.data, b.len, leaves[i]);
        buf_free(&b);
    }
    audit_root_of((const uint8_t (*)[AUDIT_HASH_LEN])leaves, 5, root);
    memcpy(d, leaves, sizeof d);
    static uint8_t paths[2][AUDIT_PATH_DEPTH][AUDIT_HASH_LEN];
    size_t m[2] = {1, 3}, cnt[2];
    audit_inclusion_paths(d, 5, m, 2, paths, cnt);
    char *note = NULL;
    if (audit_note_sign(5, root, &note)) abort();
    char s64[64], c64[64], h[2 * AUDIT_HASH_LEN + 1];
    sodium_bin2base64(s64, sizeof s64, salt, sizeof salt, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(c64, sizeof c64, (const uint8_t *)content, sizeof content - 1,
                      sodium_base64_VARIANT_ORIGINAL);
    json_t *items = json_array();
    for (int j = 0; j < 2; j++) {
        const audit_leaf_fields *l = &f[m[j]];
        json_t *path = json_array();
        for (size_t k = 0; k < cnt[j]; k++) json_array_append_new(path, json_string(hex(paths[j][k], h)));
        char ts[40];
        snprintf(ts, sizeof ts, "2025-12-02T00:0%d:00.000Z", (int)m[j]);
        json_array_append_new(
            items, json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:o,s:s,s:s}", "seq", (json_int_t)l->seq, "ts", ts,
                             "actor", l->actor, "entity", l->entity, "entity_id", (json_int_t)l->entity_id,
                             "action", l->action, "content_hash", hex(l->content_hash, h), "path", path,
                             "salt", s64, "content", c64));
    }
    json_t *root_j = json_pack("{s:s,s:s,s:s,s:i,s:o}", "format", "worksafe-record-proof/1", "checkpoint", note,
                               "entity", "hazard", "id", 7, "items", items);
    free(note);
    char *text = json_dumps(root_j, JSON_INDENT(1));
    json_decref(root_j);
    if (!text) abort();
    return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* A fixed seed, so the committed seed file's signature stays valid. */
    char kp[] = "/tmp/ws-fuzz-proof-XXXXXX";
    int fd = mkstemp(kp);
    static const char seed[] = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed\n";
    if (fd < 0 || write(fd, seed, sizeof seed - 1) != (ssize_t)(sizeof seed - 1)) abort();
    close(fd);
    ws_err rc = audit_open(kp, ORIGIN);
    unlink(kp);
    if (rc || audit_verifier_key(vkey, sizeof vkey)) abort();
    char *text = valid_proof();
    /* The harness itself: the proof passes, and fails once a field changes. */
    if (!check(text, strlen(text))) abort();
    char *actor = strstr(text, "person:4");
    if (!actor) abort();
    actor[7] = '5';
    if (check(text, strlen(text))) abort();
    actor[7] = '4';
    const char *out = getenv("WS_FUZZ_PROOF_SEED");
    if (out) {
        FILE *fp = fopen(out, "w");
        if (!fp || fputs(text, fp) < 0 || fputc('\n', fp) < 0 || fclose(fp)) abort();
        fprintf(stderr, "wrote %s; its key: %s\n", out, vkey);
    }
    free(text);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    (void)check(copy, size);
    free(copy);
    return 0;
}
