/* raw_sink.c — the ceiling of `make bench-ingest`: an HTTP server on the
 * same library and thread model as worksafe (libmicrohttpd, epoll thread
 * pool of 2 × CPUs) that does nothing with a POSTed batch but append it to a
 * file (one write(2), as worksafe's journal does) and answer 200. What
 * worksafe does on top — decoding, finding points, compressing into the
 * series store, evaluating limits and raising alarms — is measured against
 * this with the same client in the same run.
 *
 *   raw_sink PORT FILE     (runs until killed) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int out_fd;

typedef struct req {
    char *buf;
    size_t n, cap;
} req;

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **ctx)
{
    (void)cls, (void)url, (void)method, (void)version;
    req *r = *ctx;
    if (!r) {
        r = calloc(1, sizeof *r);
        *ctx = r;
        return MHD_YES;
    }
    if (*size) {
        if (r->n + *size > r->cap) {
            r->cap = (r->n + *size) * 2;
            r->buf = realloc(r->buf, r->cap);
        }
        memcpy(r->buf + r->n, data, *size);
        r->n += *size;
        *size = 0;
        return MHD_YES;
    }
    if (r->n && write(out_fd, r->buf, r->n) != (ssize_t)r->n) return MHD_NO;
    static const char ok[] = "{\"accepted\":0}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(sizeof ok - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    req *r = *ctx;
    if (r) free(r->buf);
    free(r);
}

int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    out_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
    if (out_fd < 0) return 1;
    unsigned threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN) * 2;
    if (threads < 4) threads = 4;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)atoi(argv[1]), NULL, NULL, on_req, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
    if (!d) return 1;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGINT);
    sigprocmask(SIG_BLOCK, &s, NULL);
    int sig;
    sigwait(&s, &sig);
    MHD_stop_daemon(d);
    close(out_fd);
    return 0;
}
