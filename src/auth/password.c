/* password.c — password hashing (argon2id via libsodium), the password
 * policy, random passwords, and the process-wide set-up of the auth module.
 *
 * Hashing uses crypto_pwhash_str with the INTERACTIVE limits (64 MiB, 2
 * passes). The test build (-DWS_TEST_HASH, never installed) uses libsodium's
 * minimum limits instead: the same argon2id, stored and verified the same
 * way, at 8 KiB and one pass; the test suite hashes some 700 passwords and
 * spent 40 % of its CPU here. test-run.sh checks that a password set by the
 * release binary is stored with m=65536,t=2. A counting semaphore lets at
 * most AUTH_MAX_HASHERS hashes or verifications run at once in the whole
 * process, so a login flood costs at most 2 x 64 MiB and queues instead of
 * exhausting memory. Callers hash before they open a write transaction, so
 * the slow part never holds the database's write lock. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/log.h"

#define AUTH_MAX_HASHERS 2
#ifdef WS_TEST_HASH
#define HASH_OPS crypto_pwhash_OPSLIMIT_MIN
#define HASH_MEM crypto_pwhash_MEMLIMIT_MIN
#else
#define HASH_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define HASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE
#endif
#define PW_MIN 10
#define PW_MAX 128

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT, entity_once = PTHREAD_ONCE_INIT;
static ws_err crypto_rc = WS_OK, entity_rc = WS_OK;
static sem_t hashers;

static void crypto_run(void)
{
    if (sodium_init() < 0)
        crypto_rc = ws_fail(WS_EINTERNAL, NULL, "libsodium failed to initialise");
    else if (sem_init(&hashers, 0, AUTH_MAX_HASHERS) != 0)
        crypto_rc = ws_fail(WS_EINTERNAL, NULL, "cannot create the hashing semaphore");
}

/* libsodium and the semaphore; every hashing function calls this first. */
static ws_err crypto_ready(void)
{
    pthread_once(&crypto_once, crypto_run);
    return crypto_rc;
}

static void entity_run(void)
{
    entity_rc = audit_register(&AUDIT_ENTITY_ACCOUNT);
    if (entity_rc) log_error("cannot register the account entity with the audit log");
}

ws_err auth_init(void)
{
    ws_err rc = crypto_ready();
    if (rc) return rc;
    pthread_once(&entity_once, entity_run);
    return entity_rc;
}

static void hashers_take(void)
{
    while (sem_wait(&hashers) != 0 && errno == EINTR) {
    }
}

static void hashers_give(void) { sem_post(&hashers); }

ws_err auth_hash_password(const char *password, char *out, size_t cap)
{
    ws_err rc = crypto_ready();
    if (rc) return rc;
    if (cap < crypto_pwhash_STRBYTES) return ws_fail(WS_EINTERNAL, NULL, "hash buffer too small");
    hashers_take();
    int r = crypto_pwhash_str(out, password, strlen(password), HASH_OPS, HASH_MEM);
    hashers_give();
    if (r != 0) return ws_fail(WS_ENOMEM, NULL, "not enough memory to hash a password");
    return WS_OK;
}

ws_err auth_verify_password(const char *password, const char *hash)
{
    ws_err rc = crypto_ready();
    if (rc) return rc;
    hashers_take();
    int r = crypto_pwhash_str_verify(hash, password, strlen(password));
    hashers_give();
    return r == 0 ? WS_OK : WS_EUNAUTH;
}

ws_err auth_check_password_policy(const char *password, const char *field)
{
    size_t n = password ? strlen(password) : 0;
    if (n < PW_MIN)
        return ws_fail(WS_EINVAL, field, "the password must be at least %d bytes long", PW_MIN);
    if (n > PW_MAX)
        return ws_fail(WS_EINVAL, field, "the password must be at most %d bytes long", PW_MAX);
    int lower = 0, upper = 0, digit = 0, other = 0;
    for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
        if (*p >= 'a' && *p <= 'z') lower = 1;
        else if (*p >= 'A' && *p <= 'Z') upper = 1;
        else if (*p >= '0' && *p <= '9') digit = 1;
        else other = 1;
    }
    if (lower + upper + digit + other < 2)
        return ws_fail(WS_EINVAL, field,
                       "the password must mix at least two kinds of characters "
                       "(lower case, upper case, digits, others)");
    return WS_OK;
}

void auth_random_password(char *out, size_t cap)
{
    /* No 0/O, 1/l/I: these passwords are read off a screen and typed. */
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    if (cap) out[0] = 0;
    if (cap < 17 || crypto_ready() != WS_OK) return;
    int lower, upper, digit;
    do {
        lower = upper = digit = 0;
        for (int i = 0; i < 16; i++) {
            char ch = alphabet[randombytes_uniform((uint32_t)(sizeof alphabet - 1))];
            lower |= ch >= 'a' && ch <= 'z';
            upper |= ch >= 'A' && ch <= 'Z';
            digit |= ch >= '0' && ch <= '9';
            out[i] = ch;
        }
        out[16] = 0;
    } while (!(lower && upper && digit));
}
