/* tls.c — the certificate side of HTTPS: making a self-signed certificate at
 * `worksafe init` and loading the configured one at start.
 *
 * Why self-signed: a plant network rarely has a public name, but phones allow
 * the camera, GPS and offline pages only on HTTPS. The certificate init makes
 * is what a careful admin would make by hand: ECDSA P-256 signed with SHA-256,
 * serverAuth only, not a CA, 825 days (the longest validity iOS accepts for a
 * TLS server certificate), names localhost, the host name and 127.0.0.1/::1 as
 * subject alternative names (browsers ignore the common name). A certificate
 * from the plant's own CA replaces it by pointing cert/key at other files.
 *
 * Key handling: the key file is written with mode 0600 through a temporary
 * file and rename(2), so a crash never leaves half a key; the in-memory copy
 * handed to libmicrohttpd is wiped when the server stops (server.c). */
#include "http/http.h"
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define CERT_DAYS 825

/* Write len bytes to path with mode, through path.tmp and rename. */
static ws_err write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return ws_fail(WS_EINVAL, "path", "path too long: %s", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return ws_fail(WS_EIO, "path", "cannot create %s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) goto fail;
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, mode) || fsync(fd)) goto fail;
    if (close(fd)) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path)) goto fail;
    return WS_OK;
fail:;
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    return ws_fail(WS_EIO, "path", "cannot write %s: %s", path, strerror(e));
}

static bool dns_name_ok(const char *h)
{
    size_t n = strlen(h);
    if (!n || n > 253) return false;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            return false;
    return true;
}

#define GT(call)                                                                          \
    do {                                                                                  \
        int gr_ = (call);                                                                 \
        if (gr_ < 0) {                                                                    \
            rc = ws_fail(WS_EINTERNAL, NULL, "TLS certificate: %s: %s", #call,            \
                         gnutls_strerror(gr_));                                           \
            goto done;                                                                    \
        }                                                                                 \
    } while (0)

ws_err http_tls_selfsigned(const char *cert_path, const char *key_path, const char *hostname)
{
    ws_err rc = WS_OK;
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t cpem = {NULL, 0}, kpem = {NULL, 0};
    char host[256] = "localhost";
    if (!cert_path || !key_path) return ws_fail(WS_EINVAL, "cert", "certificate and key paths are required");
    if (hostname && *hostname) snprintf(host, sizeof host, "%s", hostname);
    else if (gethostname(host, sizeof host - 1)) snprintf(host, sizeof host, "localhost");

    GT(gnutls_global_init());
    GT(gnutls_x509_privkey_init(&key));
    GT(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
    GT(gnutls_x509_crt_init(&crt));
    GT(gnutls_x509_crt_set_version(crt, 3));
    unsigned char serial[16];
    GT(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial));
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive, full length */
    GT(gnutls_x509_crt_set_serial(crt, serial, sizeof serial));
    time_t now = time(NULL);
    GT(gnutls_x509_crt_set_activation_time(crt, now - 3600)); /* tolerate a clock a bit behind */
    GT(gnutls_x509_crt_set_expiration_time(crt, now + (time_t)CERT_DAYS * 86400));

    unsigned char ip[16];
    bool host_ip4 = inet_pton(AF_INET, host, ip) == 1, host_ip6 = !host_ip4 && inet_pton(AF_INET6, host, ip) == 1;
    const char *cn = (host_ip4 || host_ip6 || dns_name_ok(host)) ? host : "localhost";
    GT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)));
    GT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "worksafe", 8));
    GT(gnutls_x509_crt_set_key(crt, key));

    GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND));
    if (strcmp(host, "localhost") && !host_ip4 && !host_ip6 && dns_name_ok(host))
        GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host, (unsigned)strlen(host),
                                                GNUTLS_FSAN_APPEND));
    unsigned char lo4[4] = {127, 0, 0, 1}, lo6[16] = {0};
    lo6[15] = 1;
    GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo4, 4, GNUTLS_FSAN_APPEND));
    GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo6, 16, GNUTLS_FSAN_APPEND));
    if ((host_ip4 && memcmp(ip, lo4, 4)) || (host_ip6 && memcmp(ip, lo6, 16)))
        GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, host_ip4 ? 4 : 16,
                                                GNUTLS_FSAN_APPEND));

    GT(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
    GT(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
    GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
    unsigned char kid[64];
    size_t kidlen = sizeof kid;
    GT(gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, kid, &kidlen));
    GT(gnutls_x509_crt_set_subject_key_id(crt, kid, kidlen));
    GT(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));

    GT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem));
    GT(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &kpem));
    if ((rc = write_atomic(key_path, kpem.data, kpem.size, 0600))) goto done;
    if ((rc = write_atomic(cert_path, cpem.data, cpem.size, 0644))) goto done;
    log_info("made a self-signed TLS certificate", "cert", cert_path, "name", cn);
done:
    if (kpem.data) {
        explicit_bzero(kpem.data, kpem.size);
        gnutls_free(kpem.data);
    }
    if (cpem.data) gnutls_free(cpem.data);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
    gnutls_global_deinit();
    return rc;
}

/* Read a whole PEM file of at most 1 MiB into a NUL-terminated string. */
static ws_err read_pem(const char *path, const char *field, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "re");
    if (!f) return ws_fail(WS_EIO, field, "cannot read %s: %s", path, strerror(errno));
    buf b = BUF_INIT(1 << 20);
    char chunk[4096];
    size_t n;
    ws_err rc = WS_OK;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = buf_append(&b, chunk, n);
    if (!rc && ferror(f)) rc = ws_fail(WS_EIO, field, "cannot read %s", path);
    fclose(f);
    explicit_bzero(chunk, sizeof chunk);
    if (!rc && !b.len) rc = ws_fail(WS_EIO, field, "%s is empty", path);
    if (rc) {
        if (b.data) explicit_bzero(b.data, b.alloc);
        buf_free(&b);
        if (rc == WS_ETOOBIG) rc = ws_fail(WS_EIO, field, "%s is larger than 1 MiB", path);
        return rc;
    }
    *out = buf_steal(&b);
    return WS_OK;
}

ws_err http_tls_load(const char *cert_path, const char *key_path, char **cert, char **key)
{
    *cert = *key = NULL;
    if (!cert_path || !*cert_path || !key_path || !*key_path)
        return ws_fail(WS_EINVAL, "cert", "HTTPS needs a certificate and a key file");
    ws_err rc = read_pem(cert_path, "cert", cert);
    if (!rc) rc = read_pem(key_path, "key", key);
    if (rc) {
        free(*cert);
        *cert = NULL;
        return rc;
    }
    /* Say so early when the certificate is unusable or about to expire. */
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0) return WS_OK;
    gnutls_datum_t d = {(unsigned char *)*cert, (unsigned)strlen(*cert)};
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
        gnutls_x509_crt_deinit(crt);
        free(*cert);
        explicit_bzero(*key, strlen(*key));
        free(*key);
        *cert = *key = NULL;
        return ws_fail(WS_EIO, "cert", "%s holds no PEM certificate", cert_path);
    }
    time_t exp = gnutls_x509_crt_get_expiration_time(crt);
    gnutls_x509_crt_deinit(crt);
    time_t now = time(NULL);
    char days[32];
    snprintf(days, sizeof days, "%lld", (long long)((exp - now) / 86400));
    if (exp <= now) log_error("the TLS certificate has expired; browsers will refuse it", "cert", cert_path);
    else if (exp - now < 30 * 86400)
        log_warn("the TLS certificate expires soon", "cert", cert_path, "days_left", days);
    return WS_OK;
}
