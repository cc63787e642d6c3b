/* sha256.h — SHA-256 for the whole server, in one place: nettle's (Debian
 * nettle-dev, already under GnuTLS), which uses the CPU's SHA extensions
 * where it has them. On this project's 2-core machine it hashes 1.4 GB/s at
 * 16 KiB against libsodium's 0.36 (portable code), and 64-byte inputs in
 * 0.08 µs against 0.39: the series store's seals and the evidence log hash
 * every stored reading and every alarm event. libsodium stays for argon2id,
 * Ed25519 and random bytes; the tests check these digests against it.
 *
 * Header only: the context is nettle's struct, on the caller's stack;
 * nothing is allocated. */
#ifndef WS_CORE_SHA256_H
#define WS_CORE_SHA256_H

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

#define WS_SHA256_LEN 32

typedef struct sha256_ctx ws_sha256_ctx;

static inline void ws_sha256_init(ws_sha256_ctx *c) { sha256_init(c); }

static inline void ws_sha256_update(ws_sha256_ctx *c, const void *p, size_t n)
{
    if (n) sha256_update(c, n, (const uint8_t *)p);
}

/* Writes the digest; c is then ready for a new message. */
static inline void ws_sha256_final(ws_sha256_ctx *c, uint8_t out[WS_SHA256_LEN])
{
    sha256_digest(c, WS_SHA256_LEN, out);
}

static inline void ws_sha256(uint8_t out[WS_SHA256_LEN], const void *p, size_t n)
{
    ws_sha256_ctx c;
    ws_sha256_init(&c);
    ws_sha256_update(&c, p, n);
    ws_sha256_final(&c, out);
}

#endif
