/* dahua_stream.c — the Dahua event stream client (see dahua_stream.h): one
 * thread per camera running a libcurl transfer through a multi handle, so
 * that stop can wake it at once (curl_multi_wakeup) and a quiet stream is
 * noticed by our own clock rather than by libcurl's average-speed check.
 *
 *     connect (digest: 401 challenge, then the request again with the answer)
 *        │ 200 multipart                       │ 401 / other status / refused
 *        ▼                                     ▼
 *     body bytes ──► dahua_feed ──► events    wait backoff (doubling to the max)
 *        │ closed / error / no byte for dead_ms      │
 *        └──────────────► wait backoff ◄──────────────┘──► connect again
 *
 * A stream that delivered at least one block resets the backoff, so a camera
 * that drops every few hours reconnects after backoff_min, while one that
 * refuses the password is retried at a falling rate. The body of a non-200
 * answer never reaches the decoder. Memory: the parser (about 17 KiB) lives
 * in the stream struct; nothing is allocated per event (jansson's parse of
 * the data object aside, inside dahua.c). */
#include "ingest/dahua_stream.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

struct dahua_stream {
    dahua_stream_opts o;
    char *url, *user, *password;
    pthread_t th;
    pthread_mutex_t lock;   /* stop, stats, last_error */
    pthread_cond_t cond;    /* CLOCK_MONOTONIC; the backoff wait */
    bool stop;
    CURLM *multi;
    dahua_stream_stats st;  /* under lock */
    dahua_stats prev;       /* parser counters of the finished connections */
    char last_error[160];   /* under lock */
    /* the transfer's state (stream thread only) */
    CURL *easy;
    char ctype[256];
    bool ready;             /* the parser was started for this 200 answer */
    bool got_block;         /* a block arrived on this connection */
    int64_t last_byte;      /* mono ms */
    int64_t last_log;       /* mono ms of the last bad-block log line */
    dahua_parser parser;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void set_error(dahua_stream *s, const char *msg)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->last_error, sizeof s->last_error, "%s", msg);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ callbacks */

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    dahua_stream *s = ud;
    size_t len = size * n;
    s->last_byte = clock_mono_ms();
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        s->ctype[0] = 0; /* a new answer (the 401 before the 200, a 100) */
    } else if (len > 13 && !strncasecmp(p, "Content-Type:", 13)) {
        const char *v = p + 13;
        size_t vn = len - 13;
        while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
        while (vn && isspace((unsigned char)v[vn - 1])) vn--;
        if (vn >= sizeof s->ctype) vn = sizeof s->ctype - 1;
        memcpy(s->ctype, v, vn);
        s->ctype[vn] = 0;
    }
    return len;
}

/* The boundary parameter of a Content-Type (quoted or not) into out; empty
 * when there is none (the decoder then takes "myboundary"). */
static void boundary_of(const char *ct, char *out, size_t cap)
{
    out[0] = 0;
    const char *b = strcasestr(ct, "boundary=");
    if (!b) return;
    b += 9;
    bool q = *b == '"';
    if (q) b++;
    size_t n = 0;
    while (b[n] && n + 1 < cap && (q ? b[n] != '"' : (b[n] != ';' && !isspace((unsigned char)b[n])))) n++;
    memcpy(out, b, n);
    out[n] = 0;
}

static void on_event(void *ud, const ws_camera_event *ev, json_t *data)
{
    dahua_stream *s = ud;
    s->got_block = true;
    pthread_mutex_lock(&s->lock);
    s->st.last_event_ms = clock_now_ms();
    pthread_mutex_unlock(&s->lock);
    if (ev->heartbeat) return; /* keep-alive: the clock above is all it is for */
    s->o.cb(s->o.ud, ev, data);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    dahua_stream *s = ud;
    size_t len = size * n;
    s->last_byte = clock_mono_ms();
    long code = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) return len; /* a challenge's or an error's body: not events */
    if (!s->ready) {
        char b[72];
        boundary_of(s->ctype, b, sizeof b);
        dahua_init(&s->parser, b, s->o.map, s->o.nmap);
        s->ready = true;
        pthread_mutex_lock(&s->lock);
        s->st.streams++;
        s->st.connected = true;
        pthread_mutex_unlock(&s->lock);
    }
    uint64_t bad = s->parser.stats.malformed + s->parser.stats.oversized + s->parser.stats.bad_data;
    dahua_feed(&s->parser, (const uint8_t *)p, len, on_event, s);
    pthread_mutex_lock(&s->lock);
    s->st.parser = s->prev;
    s->st.parser.events += s->parser.stats.events;
    s->st.parser.heartbeats += s->parser.stats.heartbeats;
    s->st.parser.oversized += s->parser.stats.oversized;
    s->st.parser.malformed += s->parser.stats.malformed;
    s->st.parser.bad_data += s->parser.stats.bad_data;
    pthread_mutex_unlock(&s->lock);
    if (s->parser.stats.malformed + s->parser.stats.oversized + s->parser.stats.bad_data != bad) {
        int64_t now = clock_mono_ms();
        if (now - s->last_log >= 60000 || s->last_log == 0) { /* a sample a minute, not a flood */
            s->last_log = now;
            log_warn("dahua: bad block skipped", "error", s->parser.last_error);
        }
    }
    return len;
}

/* ------------------------------------------------------------- transfer */

/* One connection, until it ends, goes quiet or stop. Returns true when it
 * streamed at least one block (the backoff restarts). */
static bool one_stream(dahua_stream *s)
{
    CURL *h = curl_easy_init();
    if (!h) {
        set_error(s, "libcurl could not start a request");
        return false;
    }
    s->easy = h;
    s->ctype[0] = 0;
    s->ready = s->got_block = false;
    curl_easy_setopt(h, CURLOPT_URL, s->url);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
    curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
    curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)s->o.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* cameras are on the plant network, never behind the outbound proxy */
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "worksafe-dahua");
    pthread_mutex_lock(&s->lock);
    s->st.connects++;
    pthread_mutex_unlock(&s->lock);
    curl_multi_add_handle(s->multi, h);
    s->last_byte = clock_mono_ms();
    int running = 1;
    bool quiet = false, stopping = false;
    while (running) {
        if (curl_multi_perform(s->multi, &running) != CURLM_OK) break;
        if (!running) break;
        curl_multi_poll(s->multi, NULL, 0, 200, NULL);
        pthread_mutex_lock(&s->lock);
        stopping = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stopping) break;
        if (clock_mono_ms() - s->last_byte > s->o.dead_ms) {
            quiet = true;
            break;
        }
    }
    CURLcode cc = CURLE_OK;
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(s->multi, &left)))
        if (m->msg == CURLMSG_DONE && m->easy_handle == h) cc = m->data.result;
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(s->multi, h);
    curl_easy_cleanup(h);
    s->easy = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->ready) {
        s->prev = s->st.parser; /* this connection's counts, kept */
        s->st.connected = false;
    }
    if (!stopping) {
        if (s->ready) {
            s->st.drops++;
            if (quiet) s->st.dead++;
            snprintf(s->last_error, sizeof s->last_error, "stream ended: %s",
                     quiet ? "no byte within dead_ms" : cc ? curl_easy_strerror(cc) : "closed by the camera");
        } else if (code == 401) {
            s->st.auth_failures++;
            snprintf(s->last_error, sizeof s->last_error, "HTTP 401: the camera refused the user or password");
        } else {
            s->st.http_errors++;
            if (code) snprintf(s->last_error, sizeof s->last_error, "HTTP %ld", code);
            else snprintf(s->last_error, sizeof s->last_error, "%s", quiet ? "no answer within dead_ms" : curl_easy_strerror(cc));
        }
    }
    pthread_mutex_unlock(&s->lock);
    return s->got_block;
}

static void *stream_thread(void *arg)
{
    dahua_stream *s = arg;
    int backoff = s->o.backoff_min_ms;
    for (;;) {
        if (one_stream(s)) backoff = s->o.backoff_min_ms;
        int64_t until = clock_mono_ms() + backoff;
        struct timespec ts = {.tv_sec = until / 1000, .tv_nsec = (long)(until % 1000) * 1000000L};
        pthread_mutex_lock(&s->lock);
        while (!s->stop && clock_mono_ms() < until)
            if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) == ETIMEDOUT) break;
        bool stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop) break;
        backoff = backoff * 2 > s->o.backoff_max_ms ? s->o.backoff_max_ms : backoff * 2;
    }
    return NULL;
}

/* ----------------------------------------------------------------- API */

static void free_stream(dahua_stream *s)
{
    if (s->multi) curl_multi_cleanup(s->multi);
    free(s->url);
    free(s->user);
    if (s->password) {
        explicit_bzero(s->password, strlen(s->password));
        free(s->password);
    }
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

ws_err dahua_stream_start(const dahua_stream_opts *o, dahua_stream **out)
{
    *out = NULL;
    if (!o || !o->cb) return ws_fail(WS_EINVAL, "cb", "a Dahua stream needs an event callback");
    const char *b = o->base_url;
    if (!b || (strncmp(b, "http://", 7) && strncmp(b, "https://", 8)) || strlen(b) > 200 ||
        strpbrk(b, " \t\r\n@?#") || strlen(b) <= (b[4] == 's' ? 8u : 7u))
        return ws_fail(WS_EINVAL, "base_url", "base_url must be http://host[:port] or https://… without credentials");
    const char *codes = o->codes && *o->codes ? o->codes : "All";
    if (strlen(codes) > 512 || strspn(codes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_,") !=
                                   strlen(codes))
        return ws_fail(WS_EINVAL, "codes", "codes must be event codes separated by commas");
    if (o->heartbeat_s < 0 || o->heartbeat_s > 3600) return ws_fail(WS_EINVAL, "heartbeat_s", "heartbeat_s must be 1..3600");
    dahua_stream *s = calloc(1, sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    s->o = *o;
    if (s->o.heartbeat_s <= 0) s->o.heartbeat_s = 5;
    if (s->o.dead_ms <= 0) s->o.dead_ms = 3000 * s->o.heartbeat_s;
    if (s->o.connect_timeout_ms <= 0) s->o.connect_timeout_ms = 5000;
    if (s->o.backoff_min_ms <= 0) s->o.backoff_min_ms = 1000;
    if (s->o.backoff_max_ms <= 0) s->o.backoff_max_ms = 60000;
    if (s->o.backoff_max_ms < s->o.backoff_min_ms) s->o.backoff_max_ms = s->o.backoff_min_ms;
    size_t bl = strlen(b);
    while (bl && b[bl - 1] == '/') bl--;
    char url[1024];
    snprintf(url, sizeof url, "%.*s/cgi-bin/eventManager.cgi?action=attach&codes=%%5B%s%%5D&heartbeat=%d", (int)bl, b,
             codes, s->o.heartbeat_s);
    s->o.base_url = s->o.codes = s->o.user = s->o.password = NULL; /* the copies below are the ones used */
    s->url = strdup(url);
    s->user = strdup(o->user ? o->user : "");
    s->password = strdup(o->password ? o->password : "");
    pthread_once(&curl_once, curl_start);
    s->multi = curl_multi_init();
    if (!s->url || !s->user || !s->password || !s->multi) {
        free_stream(s);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    if (pthread_create(&s->th, NULL, stream_thread, s)) {
        free_stream(s);
        return ws_fail(WS_EINTERNAL, NULL, "could not start the Dahua stream thread");
    }
    *out = s;
    return WS_OK;
}

void dahua_stream_stop(dahua_stream *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    curl_multi_wakeup(s->multi);
    pthread_join(s->th, NULL);
    free_stream(s);
}

void dahua_stream_get_stats(dahua_stream *s, dahua_stream_stats *st, char *last_error, size_t cap)
{
    pthread_mutex_lock(&s->lock);
    *st = s->st;
    if (last_error && cap) snprintf(last_error, cap, "%s", s->last_error);
    pthread_mutex_unlock(&s->lock);
}
