/* mqtt_bench.c — `make bench-mqtt`: MQTT messages per second that worksafe's
 * client (src/ingest/mqtt.c) takes in, next to a bare `mosquitto_sub` fed by
 * the same publisher through the same broker, in the same run.
 *
 *   mqtt_bench run [-n N]     broker on a free loopback port; then, twice and
 *                             alternating, (a) mosquitto_sub -t 'bench/#' to a
 *                             pipe whose lines are counted, (b) the worksafe
 *                             client (format "line", QoS 0) into the sink of
 *                             sink.h; each while the publisher sends N
 *                             one-reading messages. Best of the two each.
 *                             Last line: mqtt sub_msgs_per_s=N worksafe_msgs_per_s=N ratio=N
 *   mqtt_bench pub -p PORT [-n N]  just the publisher (bench/nodered/run.sh uses it)
 *
 * The publisher is one libmosquitto client at QoS 0 writing as fast as the
 * broker reads (it waits for the socket only when its queue is not drained).
 * A subscriber's rate is messages received / (time of the last one − start of
 * publishing); messages the broker dropped would show as received < N. The
 * broker runs with max_queued_messages 1000000 so it queues rather than drops. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "ingest/mqtt.h"
#include "sink.h"

static int g_port;
static long g_n = 200000;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &n)) exit(1);
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

/* ---- publisher -------------------------------------------------------- */

static void read_pending(struct mosquitto *m)
{
    for (;;) {
        struct pollfd p = {.fd = mosquitto_socket(m), .events = POLLIN};
        if (p.fd < 0 || poll(&p, 1, 0) <= 0 || mosquitto_loop_read(m, 1)) return;
    }
}

/* One message: topic bench/GT-<k>, payload "GT-<k> <value>" (line format). */
static double publish(int port, long n)
{
    struct mosquitto *m = mosquitto_new("bench-pub", true, NULL);
    if (!m || mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "publisher: cannot connect to 127.0.0.1:%d\n", port);
        exit(1);
    }
    double t0 = now();
    for (long i = 0; i < n; i++) {
        char topic[32], pl[48];
        int k = (int)(i % 100);
        snprintf(topic, sizeof topic, "bench/GT-%03d", k);
        int len = snprintf(pl, sizeof pl, "GT-%03d %ld.%ld", k, (i * 7) % 40, i % 10);
        int rc = mosquitto_publish(m, NULL, topic, len, pl, 0, false);
        if (rc) { fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc)); exit(1); }
        while (mosquitto_want_write(m)) { /* the broker has not taken everything yet */
            struct pollfd p = {.fd = mosquitto_socket(m), .events = POLLOUT};
            poll(&p, 1, 100);
            if (mosquitto_loop_write(m, 1)) break;
        }
        if ((i & 1023) == 0) { read_pending(m); mosquitto_loop_misc(m); }
    }
    double dt = now() - t0;
    /* Read the CONNACK (and anything else) before closing: closing a socket
     * with unread bytes makes the kernel reset it and drop what it has not
     * sent yet, i.e. the tail of the messages. */
    read_pending(m);
    mosquitto_disconnect(m);
    while (mosquitto_want_write(m)) {
        struct pollfd p = {.fd = mosquitto_socket(m), .events = POLLOUT};
        poll(&p, 1, 100);
        if (mosquitto_loop_write(m, 1)) break;
    }
    read_pending(m);
    mosquitto_destroy(m);
    return dt;
}

typedef struct pubarg { int port; long n; double secs; } pubarg;
static void *pub_thread(void *a)
{
    pubarg *p = a;
    p->secs = publish(p->port, p->n);
    return NULL;
}

static void probe(const char *topic)
{
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    if (m && mosquitto_connect(m, "127.0.0.1", g_port, 10) == MOSQ_ERR_SUCCESS) {
        mosquitto_publish(m, NULL, topic, 9, "PROBE-1 0", 0, false);
        mosquitto_loop(m, 10, 1);
        mosquitto_disconnect(m);
    }
    mosquitto_destroy(m);
}

/* ---- (a) mosquitto_sub ------------------------------------------------ */

static double run_sub(void)
{
    int fds[2];
    if (pipe(fds)) exit(1);
    char port[8];
    snprintf(port, sizeof port, "%d", g_port);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("mosquitto_sub", "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "bench/#", "-q", "0",
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    char buf[65536];
    /* subscribed once a probe comes through; then drain stragglers */
    for (int i = 0;; i++) {
        if (i > 200) { fprintf(stderr, "mosquitto_sub never received a probe\n"); exit(1); }
        probe("bench/probe");
        msleep(50);
        if (read(fds[0], buf, sizeof buf) > 0) break;
    }
    msleep(300);
    while (read(fds[0], buf, sizeof buf) > 0) {}
    pubarg pa = {g_port, g_n, 0};
    pthread_t t;
    double t0 = now(), last = t0;
    pthread_create(&t, NULL, pub_thread, &pa);
    long lines = 0;
    while (lines < g_n) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (poll(&p, 1, 3000) <= 0) break; /* 3 s without a message: the rest is lost */
        ssize_t k = read(fds[0], buf, sizeof buf);
        if (k <= 0) { if (k < 0 && errno == EAGAIN) continue; break; }
        for (ssize_t i = 0; i < k; i++) lines += buf[i] == '\n';
        last = now();
    }
    pthread_join(t, NULL);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    double rate = (double)lines / (last - t0);
    fprintf(stderr, "mosquitto_sub: %ld/%ld messages in %.2f s (publisher %.2f s): %.0f msg/s\n", lines, g_n,
            last - t0, pa.secs, rate);
    return rate;
}

/* ---- (b) worksafe ----------------------------------------------------- */

static double run_worksafe(void)
{
    ingest_sink_fn fn;
    void *ctx;
    if (bench_mqtt_sink_open(&fn, &ctx)) { fprintf(stderr, "sink: %s\n", ws_err_message()); exit(1); }
    ingest_mqtt_config c;
    ingest_mqtt_config_defaults(&c);
    c.port = g_port;
    c.qos = 0;
    snprintf(c.client_id, sizeof c.client_id, "worksafe-bench");
    c.nsubs = 1;
    snprintf(c.subs[0].topic, sizeof c.subs[0].topic, "bench/#");
    c.subs[0].format = INGEST_MQTT_LINE;
    ingest_mqtt *m;
    if (ingest_mqtt_start(&c, fn, ctx, &m)) { fprintf(stderr, "start: %s\n", ws_err_message()); exit(1); }
    ingest_mqtt_counts st;
    for (int i = 0;; i++) {
        if (i > 200) { fprintf(stderr, "worksafe never received a probe\n"); exit(1); }
        ingest_mqtt_stats(m, &st);
        if (st.connected) probe("bench/probe");
        msleep(50);
        ingest_mqtt_stats(m, &st);
        if (st.readings > 0) break;
    }
    msleep(300);
    ingest_mqtt_stats(m, &st);
    uint64_t base = st.readings, got = 0;
    pubarg pa = {g_port, g_n, 0};
    pthread_t t;
    double t0 = now(), last = t0, idle = t0;
    pthread_create(&t, NULL, pub_thread, &pa);
    while (got < (uint64_t)g_n) {
        msleep(1);
        ingest_mqtt_stats(m, &st);
        double tn = now();
        if (st.readings - base > got) { got = st.readings - base; last = idle = tn; }
        else if (tn - idle > 3.0) break;
    }
    pthread_join(t, NULL);
    ingest_mqtt_stats(m, &st);
    ingest_mqtt_stop(m);
    bench_mqtt_sink_close(ctx);
    double rate = (double)got / (last - t0);
    fprintf(stderr, "worksafe: %llu/%ld messages in %.2f s (publisher %.2f s, bad %llu): %.0f msg/s\n",
            (unsigned long long)got, g_n, last - t0, pa.secs, (unsigned long long)st.bad_payloads, rate);
    return rate;
}

int main(int argc, char **argv)
{
    if (argc < 2) goto usage;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-n")) g_n = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-p")) g_port = atoi(argv[i + 1]);
        else goto usage;
    }
    if (g_n < 1) goto usage;
    mosquitto_lib_init();
    if (!strcmp(argv[1], "pub")) {
        if (!g_port) goto usage;
        double s = publish(g_port, g_n);
        printf("published %ld in %.3f s\n", g_n, s);
        return 0;
    }
    if (strcmp(argv[1], "run")) goto usage;
    char dir[] = "/tmp/ws-bench-mqtt-XXXXXX", conf[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    g_port = free_port();
    FILE *f = fopen(conf, "w");
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\npersistence false\n"
               "log_dest none\n%s",
            g_port, geteuid() == 0 ? "user root\n" : "");
    fclose(f);
    pid_t broker = fork();
    if (broker == 0) {
        execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !port_open(g_port); i++) msleep(10);
    double sub = 0, ws = 0;
    for (int round = 0; round < 2; round++) {
        double a = run_sub(), b = run_worksafe();
        if (a > sub) sub = a;
        if (b > ws) ws = b;
    }
    kill(broker, SIGTERM);
    waitpid(broker, NULL, 0);
    unlink(conf);
    rmdir(dir);
    printf("mqtt sub_msgs_per_s=%.0f worksafe_msgs_per_s=%.0f ratio=%.2f\n", sub, ws, sub > 0 ? ws / sub : 0);
    return 0;
usage:
    fprintf(stderr, "usage: mqtt_bench run [-n N] | mqtt_bench pub -p PORT [-n N]\n");
    return 2;
}
