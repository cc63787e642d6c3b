/* checkpoint.c — the log's signing key and its signed checkpoints.
 *
 * The key is an Ed25519 seed (32 bytes) kept in a file of mode 0600, written
 * once by audit_keygen() at `worksafe init` and loaded by audit_open(). A
 * checkpoint is a C2SP signed note (tlog-checkpoint):
 *
 *     <origin>\n<size>\n<base64 root>\n\n— <origin> <base64(keyID[4] || sig[64])>\n
 *
 * with keyID = SHA-256(origin || 0x0A || 0x01 || public key)[0:4] and the
 * signature over the text up to and including the newline of the root line.
 * The key name is the origin. The key stays in this file's statics; it is
 * never logged and is wiped by audit_close(). */
#include "audit/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/sha256.h"
#include "store/q_audit.h"

#define ORIGIN_MAX AUDIT_ORIGIN_MAX
#define KEYFILE_MAX 256
static const char SIG_PREFIX[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */

static struct {
    bool loaded;
    char origin[ORIGIN_MAX + 1];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    uint8_t keyid[4];
} key;

bool audit_have_key(void) { return key.loaded; }
const char *audit_origin(void) { return key.loaded ? key.origin : ""; }

static void compute_keyid(const char *name, const uint8_t pk[32], uint8_t out[4])
{
    ws_sha256_ctx st;
    uint8_t h[WS_SHA256_LEN];
    static const uint8_t sep[2] = {0x0A, 0x01};
    ws_sha256_init(&st);
    ws_sha256_update(&st, (const uint8_t *)name, strlen(name));
    ws_sha256_update(&st, sep, 2);
    ws_sha256_update(&st, pk, 32);
    ws_sha256_final(&st, h);
    memcpy(out, h, 4);
}

ws_err audit_keygen(const char *key_path)
{
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to initialise");
    uint8_t seed[crypto_sign_SEEDBYTES];
    char hex[2 * sizeof seed + 2];
    int fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return ws_fail(WS_ECONFLICT, "key", "audit key %s already exists", key_path);
        return ws_fail(WS_EIO, "key", "cannot create audit key %s: %s", key_path, strerror(errno));
    }
    randombytes_buf(seed, sizeof seed);
    hex_encode(seed, sizeof seed, hex);
    size_t n = strlen(hex);
    hex[n++] = '\n';
    ws_err rc = WS_OK;
    if (write(fd, hex, n) != (ssize_t)n || fsync(fd) != 0)
        rc = ws_fail(WS_EIO, "key", "cannot write audit key %s: %s", key_path, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = ws_fail(WS_EIO, "key", "cannot write audit key %s: %s", key_path, strerror(errno));
    if (rc) unlink(key_path);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(hex, sizeof hex);
    return rc;
}

/* Reads the seed: 32 raw bytes, or 64 hex digits with surrounding space. */
static ws_err read_seed(const char *path, uint8_t seed[crypto_sign_SEEDBYTES])
{
    char data[KEYFILE_MAX + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ws_fail(WS_EIO, "key", "cannot open audit key %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) == 0 && (sb.st_mode & 077))
        log_warn("audit key file is readable by group or others", "path", path);
    ssize_t n = read(fd, data, KEYFILE_MAX);
    close(fd);
    if (n < 0) return ws_fail(WS_EIO, "key", "cannot read audit key %s: %s", path, strerror(errno));
    ws_err rc = WS_OK;
    if (n == crypto_sign_SEEDBYTES) {
        memcpy(seed, data, crypto_sign_SEEDBYTES);
    } else {
        size_t a = 0, b = (size_t)n;
        while (a < b && (data[a] == ' ' || data[a] == '\n' || data[a] == '\r' || data[a] == '\t')) a++;
        while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\n' || data[b - 1] == '\r' ||
                         data[b - 1] == '\t'))
            b--;
        data[b] = 0;
        if (b - a != 2 * crypto_sign_SEEDBYTES || hex_decode(data + a, seed, crypto_sign_SEEDBYTES))
            rc = ws_fail(WS_EINVAL, "key", "audit key %s is not a 32-byte Ed25519 seed", path);
    }
    sodium_memzero(data, sizeof data);
    return rc;
}

ws_err audit_open(const char *key_path, const char *origin)
{
    if (sodium_init() < 0) return ws_fail(WS_EINTERNAL, NULL, "libsodium failed to initialise");
    if (!origin || !*origin || strlen(origin) > ORIGIN_MAX)
        return ws_fail(WS_EINVAL, "origin", "audit origin must be 1..%d bytes", ORIGIN_MAX);
    for (const char *p = origin; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == '+' || *p == 0x7f)
            return ws_fail(WS_EINVAL, "origin",
                           "audit origin must not contain spaces, control characters or '+'");
    uint8_t seed[crypto_sign_SEEDBYTES];
    ws_err rc = read_seed(key_path, seed);
    if (rc) return rc;
    audit_close();
    crypto_sign_seed_keypair(key.pk, key.sk, seed);
    sodium_memzero(seed, sizeof seed);
    snprintf(key.origin, sizeof key.origin, "%s", origin);
    compute_keyid(key.origin, key.pk, key.keyid);
    key.loaded = true;
    return WS_OK;
}

void audit_close(void)
{
    sodium_memzero(&key, sizeof key);
}

ws_err audit_verifier_key(char *out, size_t cap)
{
    if (!key.loaded) return ws_fail(WS_EINTERNAL, NULL, "audit key not loaded");
    uint8_t typed[1 + crypto_sign_PUBLICKEYBYTES];
    char hex[9], b64[sodium_base64_ENCODED_LEN(sizeof typed, sodium_base64_VARIANT_ORIGINAL)];
    typed[0] = 0x01;
    memcpy(typed + 1, key.pk, sizeof key.pk);
    hex_encode(key.keyid, 4, hex);
    sodium_bin2base64(b64, sizeof b64, typed, sizeof typed, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, cap, "%s+%s+%s", key.origin, hex, b64);
    if (n < 0 || (size_t)n >= cap) return ws_fail(WS_EINTERNAL, NULL, "verifier key buffer too small");
    return WS_OK;
}

ws_err audit_note_sign(uint64_t size, const uint8_t root[AUDIT_HASH_LEN], char **note)
{
    *note = NULL;
    if (!key.loaded) return ws_fail(WS_EINTERNAL, NULL, "audit key not loaded");
    char rb64[sodium_base64_ENCODED_LEN(AUDIT_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(rb64, sizeof rb64, root, AUDIT_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
    buf b = BUF_INIT(1024);
    ws_err rc = buf_printf(&b, "%s\n%" PRIu64 "\n%s\n", key.origin, size, rb64);
    if (rc) goto fail;
    uint8_t sig[4 + crypto_sign_BYTES];
    memcpy(sig, key.keyid, 4);
    crypto_sign_detached(sig + 4, NULL, (const uint8_t *)b.data, b.len, key.sk);
    char sb64[sodium_base64_ENCODED_LEN(sizeof sig, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(sb64, sizeof sb64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    rc = buf_printf(&b, "\n%s%s %s\n", SIG_PREFIX, key.origin, sb64);
    if (rc) goto fail;
    *note = buf_steal(&b);
    return WS_OK;
fail:
    buf_free(&b);
    return rc;
}

ws_err audit_checkpoint(store_conn *c, char **note)
{
    *note = NULL;
    if (!key.loaded) return ws_fail(WS_EINTERNAL, NULL, "audit key not loaded");
    uint64_t size;
    uint8_t root[AUDIT_HASH_LEN];
    ws_err rc = audit_head(c, &size, root);
    if (rc) return rc;

    /* Never sign two different roots for one size (C2SP). */
    store_stmt *st = NULL;
    bool row = false, have = false;
    rc = store_prepare(c, Q_AUDIT_CHECKPOINT_ROOT, &st);
    if (!rc) rc = store_bind_int(st, 1, (int64_t)size);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        size_t n = 0;
        const void *p = store_col_blob(st, 0, &n);
        have = true;
        if (!p || n != AUDIT_HASH_LEN || memcmp(p, root, AUDIT_HASH_LEN) != 0)
            rc = ws_fail(WS_ECORRUPT, NULL,
                         "a checkpoint of size %" PRIu64 " with a different root exists; "
                         "refusing to sign (run audit verify)", size);
    }
    store_finalize(st);
    st = NULL;
    if (rc) return rc;

    char *text = NULL;
    rc = audit_note_sign(size, root, &text);
    if (rc) return rc;
    if (!have) {
        rc = store_prepare(c, Q_AUDIT_CHECKPOINT_INSERT, &st);
        if (!rc) rc = store_bind_int(st, 1, (int64_t)size);
        if (!rc) rc = store_bind_int(st, 2, clock_now_ms());
        if (!rc) rc = store_bind_blob(st, 3, root, AUDIT_HASH_LEN);
        if (!rc) rc = store_bind_text(st, 4, text);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
    }
    if (rc) {
        free(text);
        return rc;
    }
    *note = text;
    return WS_OK;
}

/* ---- parsing notes ------------------------------------------------------- */

typedef struct line {
    const char *p;
    size_t n; /* without "\n" and a trailing "\r" */
    size_t next; /* offset after the line's "\n" */
} line;

static bool next_line(const char *t, size_t n, size_t off, line *l)
{
    if (off >= n) return false;
    const char *e = memchr(t + off, '\n', n - off);
    size_t end = e ? (size_t)(e - t) : n;
    l->p = t + off;
    l->n = end - off;
    l->next = e ? end + 1 : n;
    if (l->n && l->p[l->n - 1] == '\r') l->n--;
    return true;
}

static bool is_blank(const line *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i] != ' ' && l->p[i] != '\t') return false;
    return true;
}

static bool is_sig(const line *l)
{
    size_t k = sizeof SIG_PREFIX - 1;
    return l->n > k && memcmp(l->p, SIG_PREFIX, k) == 0;
}

static bool parse_u64(const char *p, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20 || (n > 1 && p[0] == '0')) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (x > (UINT64_MAX - d) / 10) return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

static bool b64_decode(const char *p, size_t n, uint8_t *out, size_t want)
{
    size_t got = 0;
    if (n == 0 || n > 200) return false;
    if (sodium_base642bin(out, want, p, n, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    return got == want;
}

/* One signature line "— <name> <base64>" against the key (name, keyid, pk). */
static void check_sig(const line *l, const buf *body, const char *name, const uint8_t keyid[4],
                      const uint8_t pk[32], audit_note *out)
{
    size_t k = sizeof SIG_PREFIX - 1;
    const char *p = l->p + k, *end = l->p + l->n;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    out->nsigs++;
    if (!sp || !name) return;
    size_t name_len = (size_t)(sp - p);
    if (name_len != strlen(name) || memcmp(p, name, name_len) != 0) return;
    uint8_t sig[4 + crypto_sign_BYTES];
    if (!b64_decode(sp + 1, (size_t)(end - sp - 1), sig, sizeof sig)) return;
    if (memcmp(sig, keyid, 4) != 0) return;
    out->signed_ours = true;
    if (crypto_sign_verify_detached(sig + 4, (const uint8_t *)body->data, body->len, pk) == 0)
        out->sig_valid = true;
}

ws_err audit_vkey_parse(const char *s, audit_vkey *out)
{
    memset(out, 0, sizeof *out);
    const char *p1 = s ? strchr(s, '+') : NULL;
    const char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p1 || !p2 || p1 == s || (size_t)(p1 - s) > ORIGIN_MAX || p2 - p1 != 9)
        return ws_fail(WS_EINVAL, "key", "a verifier key is name+keyid+base64 (audit.md §7)");
    memcpy(out->name, s, (size_t)(p1 - s));
    uint8_t typed[1 + crypto_sign_PUBLICKEYBYTES], id[4];
    size_t got = 0;
    if (sodium_hex2bin(out->keyid, 4, p1 + 1, 8, NULL, &got, NULL) != 0 || got != 4 ||
        !b64_decode(p2 + 1, strlen(p2 + 1), typed, sizeof typed) || typed[0] != 0x01)
        return ws_fail(WS_EINVAL, "key", "a verifier key is name+keyid+base64 (audit.md §7)");
    memcpy(out->pk, typed + 1, sizeof out->pk);
    compute_keyid(out->name, out->pk, id);
    if (memcmp(id, out->keyid, 4) != 0)
        return ws_fail(WS_EINVAL, "key", "the verifier key's ID does not match its name and key");
    return WS_OK;
}

static void note_check(const char *text, size_t n, const char *name, const uint8_t keyid[4],
                       const uint8_t pk[32], audit_note *out);

void audit_note_check(const char *text, size_t n, audit_note *out)
{
    note_check(text, n, key.loaded ? key.origin : NULL, key.keyid, key.pk, out);
}

void audit_note_check_with(const char *text, size_t n, const audit_vkey *k, audit_note *out)
{
    note_check(text, n, k->name, k->keyid, k->pk, out);
}

static void note_check(const char *text, size_t n, const char *name, const uint8_t keyid[4],
                       const uint8_t pk[32], audit_note *out)
{
    memset(out, 0, sizeof *out);
    buf body = BUF_INIT(8192);
    line l;
    size_t off = 0;
    int nbody = 0;
    bool ok = true;
    /* Skip blank lines before the body. */
    while (next_line(text, n, off, &l) && is_blank(&l)) off = l.next;
    /* Body: origin, size, root, then any extension lines, up to a blank line.
     * The signed text is the body lines, each ended by "\n". */
    while (next_line(text, n, off, &l) && !is_blank(&l) && !is_sig(&l)) {
        off = l.next;
        if (buf_append(&body, l.p, l.n) || buf_putc(&body, '\n')) ok = false;
        if (nbody == 0) {
            if (l.n >= sizeof out->origin) ok = false;
            else {
                memcpy(out->origin, l.p, l.n);
                out->origin[l.n] = 0;
            }
        } else if (nbody == 1) {
            if (!parse_u64(l.p, l.n, &out->size)) ok = false;
        } else if (nbody == 2) {
            if (!b64_decode(l.p, l.n, out->root, AUDIT_HASH_LEN)) ok = false;
        }
        nbody++;
    }
    out->parsed = ok && nbody >= 3;
    while (next_line(text, n, off, &l) && is_blank(&l)) off = l.next;
    while (out->parsed && next_line(text, n, off, &l) && is_sig(&l)) {
        off = l.next;
        check_sig(&l, &body, name, keyid, pk, out);
    }
    buf_free(&body);
}

void audit_notes_each(const char *text, size_t n, void (*fn)(const char *note, size_t len, void *arg),
                      void *arg)
{
    /* States: 0 outside a note, 1 in its body, 2 after the body (blank lines),
     * 3 in its signature lines. A non-blank, non-signature line after the
     * body or the signatures starts the next note. */
    int state = 0;
    size_t start = 0, end = 0, off = 0;
    line l;
    while (next_line(text, n, off, &l)) {
        bool blank = is_blank(&l), sig = is_sig(&l);
        switch (state) {
        case 0:
            if (!blank) {
                start = off;
                state = sig ? 3 : 1;
            }
            break;
        case 1:
            if (blank) state = 2;
            else if (sig) state = 3;
            break;
        case 2:
            if (sig) state = 3;
            else if (!blank) {
                fn(text + start, end - start, arg);
                start = off;
                state = 1;
            }
            break;
        case 3:
            if (blank) {
                fn(text + start, end - start, arg);
                state = 0;
            } else if (!sig) {
                fn(text + start, end - start, arg);
                start = off;
                state = 1;
            }
            break;
        }
        if (!blank) end = l.next;
        off = l.next;
    }
    if (state != 0) fn(text + start, end - start, arg);
}
