/* journal.c — the ingest journal: every batch of readings is appended here
 * (one write(2)) before it is applied and acknowledged, so an acknowledged
 * batch survives kill -9 of the server (the page cache outlives the
 * process). Readings are not fsynced: a power cut may lose the last seconds
 * of readings, never alarm state (that is fsynced in the main store).
 *
 * Files: <dir>/ingest-<first_seq 20 digits>.wal, a new segment at each
 * checkpoint. Record layout (little-endian):
 *
 *   u32 magic | u32 payload bytes | u32 CRC-32C of payload |
 *   u32 readings | i64 first_seq | payload
 *
 *   magic "WSJ2" (written): per reading
 *     u8 head (tag length in bits 0-5, quality in bits 6-7), tag bytes,
 *     varint of the zigzagged source_ms minus the record's previous
 *     reading's (the first: minus 0), f64 value
 *   magic "WSJ1" (read, from before 2026-11-30): per reading
 *     u8 tag length, tag bytes, i64 source_ms, f64 value, u8 quality
 *
 * WSJ2 is about a quarter smaller (a gateway's readings share a time or
 * step by a second: one or two bytes instead of eight, and the quality
 * rides in the length byte); the journal's write(2) is a copy into the
 * page cache of every byte, a tenth of the ingest server's time before.
 *
 * Reading k of a record has sequence first_seq + k. Replay reads the segments
 * in order and stops at the first record that is short or fails its CRC (a
 * write torn by the crash); that tail is cut off so new records follow whole
 * ones. Owner: the engine (warn.c), under its mutex; journal_record touches
 * no journal state and is called before the mutex is taken. */
#include "warn/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "telemetry/gorilla.h"

#define J_MAGIC1 0x314a5357u /* "WSJ1" */
#define J_MAGIC2 0x324a5357u /* "WSJ2" */
#define J_HDR 24
#define J_MAX_READINGS (1u << 22)
#define J1_MAX (1u + WS_TAG_MAX + 17u) /* bytes of a reading, at most */
#define J2_MAX (1u + WS_TAG_MAX + 10u + 8u)
_Static_assert(WS_Q_STALE <= 3 && WS_TAG_MAX <= 63, "a WSJ2 head byte holds the tag length and the quality");

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Decode the reading at *pos of a record's payload buf[0..len) into r and
 * move *pos past it; *prev is the previous reading's time (WSJ2). False
 * when it runs past len or does not decode. */
static bool get_reading(uint32_t magic, const uint8_t *buf, size_t len, size_t *pos, int64_t *prev,
                        ws_reading *r)
{
    size_t at = *pos;
    if (at >= len) return false;
    uint8_t head = buf[at++];
    size_t tl = magic == J_MAGIC2 ? head & 63u : head;
    if (tl > WS_TAG_MAX || len - at < tl) return false;
    memcpy(r->tag, buf + at, tl);
    r->tag[tl] = 0;
    at += tl;
    if (magic == J_MAGIC1) {
        if (len - at < 17) return false;
        r->source_ms = (int64_t)get64(buf + at);
        uint64_t bits = get64(buf + at + 8);
        memcpy(&r->value, &bits, 8);
        r->quality = buf[at + 16];
        *pos = at + 17;
        return true;
    }
    uint64_t z = 0;
    for (unsigned sh = 0;; sh += 7) {
        if (at >= len || sh > 63) return false;
        uint8_t b = buf[at++];
        z |= (uint64_t)(b & 127u) << sh;
        if (!(b & 128u)) break;
    }
    if (len - at < 8) return false;
    *prev = (int64_t)((uint64_t)*prev + ((z >> 1) ^ (0 - (z & 1)))); /* wraps as the writer's did */
    r->source_ms = *prev;
    uint64_t bits = get64(buf + at);
    memcpy(&r->value, &bits, 8);
    r->quality = head >> 6;
    *pos = at + 8;
    return true;
}

static void seg_path(const warn_journal *j, int64_t first, char *out, size_t cap)
{
    snprintf(out, cap, "%s/ingest-%020lld.wal", j->dir, (long long)first);
}

static ws_err open_segment(warn_journal *j, int64_t first)
{
    char p[WARN_PATH_MAX + 64];
    seg_path(j, first, p, sizeof p);
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return ws_fail(WS_EIO, "journal", "cannot open %s: %s", p, strerror(errno));
    if (j->fd >= 0) close(j->fd);
    j->fd = fd;
    j->seg_first = first;
    j->seg_bytes = 0;
    j->broken = false; /* a fresh segment has no torn tail */
    return WS_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The first sequences of the segments in dir, sorted; caller frees *out. */
static ws_err list_segments(const char *dir, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return ws_fail(WS_EIO, "journal", "cannot read %s: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    ws_err rc = WS_OK;
    while ((e = readdir(d))) {
        long long first;
        char tail[8];
        if (sscanf(e->d_name, "ingest-%20lld.%4s", &first, tail) != 2 || strcmp(tail, "wal")) continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            int64_t *g = realloc(*out, nc * sizeof *g);
            if (!g) { rc = WS_ENOMEM; break; }
            *out = g;
            cap = nc;
        }
        (*out)[(*n)++] = first;
    }
    closedir(d);
    if (*n) qsort(*out, *n, sizeof **out, cmp_i64);
    return rc;
}

ws_err journal_open(warn_journal *j, const char *dir)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    if (snprintf(j->dir, sizeof j->dir, "%s", dir) >= (int)sizeof j->dir)
        return ws_fail(WS_ETOOBIG, "journal", "journal directory path too long");
    if (mkdir(dir, 0700) && errno != EEXIST)
        return ws_fail(WS_EIO, "journal", "cannot create %s: %s", dir, strerror(errno));
    j->next_seq = 1;
    return WS_OK;
}

void journal_close(warn_journal *j)
{
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
}

ws_err journal_replay(warn_journal *j, journal_apply_fn fn, void *ctx, uint64_t *replayed)
{
    int64_t *segs = NULL;
    size_t nseg = 0;
    ws_err rc = list_segments(j->dir, &segs, &nseg);
    if (rc) return rc;
    ws_reading *rd = malloc(4096 * sizeof *rd);
    uint8_t *buf = NULL;
    size_t bcap = 0;
    uint64_t total = 0;
    /* an empty segment (a checkpoint's last rotation) still names the next
     * sequence: sequences never start again at 1, which would put new
     * readings under the series store's sealed marks of an earlier run */
    int64_t next = nseg ? segs[nseg - 1] : 1;
    if (!rd) { rc = WS_ENOMEM; goto done; }
    j->low_seq = nseg ? segs[0] : 1;
    for (size_t s = 0; s < nseg && !rc; s++) {
        char p[WARN_PATH_MAX + 64];
        seg_path(j, segs[s], p, sizeof p);
        int fd = open(p, O_RDWR | O_CLOEXEC);
        if (fd < 0) { rc = ws_fail(WS_EIO, "journal", "cannot open %s", p); break; }
        off_t off = 0;
        for (;;) {
            uint8_t h[J_HDR];
            ssize_t k = pread(fd, h, J_HDR, off);
            if (k == 0) break;
            uint32_t len = k == J_HDR ? get32(h + 4) : 0, cnt = k == J_HDR ? get32(h + 12) : 0;
            uint32_t magic = k == J_HDR ? get32(h) : 0;
            bool ok = (magic == J_MAGIC1 || magic == J_MAGIC2) && cnt <= J_MAX_READINGS &&
                      len <= cnt * (magic == J_MAGIC1 ? J1_MAX : J2_MAX);
            if (ok && len > bcap) {
                uint8_t *g = realloc(buf, len);
                if (!g) { rc = WS_ENOMEM; break; }
                buf = g;
                bcap = len;
            }
            if (ok) ok = pread(fd, buf, len, off + J_HDR) == (ssize_t)len &&
                         gorilla_crc32c(buf, len) == get32(h + 8);
            if (!ok) {
                /* a torn tail: cut it so later records follow whole ones */
                char o[24];
                snprintf(o, sizeof o, "%lld", (long long)off);
                log_warn("ingest journal: torn record cut off", "file", p, "offset", o);
                if (ftruncate(fd, off)) rc = ws_fail(WS_EIO, "journal", "cannot cut %s", p);
                break;
            }
            int64_t first = (int64_t)get64(h + 16);
            size_t pos = 0, i = 0;
            int64_t prev = 0;
            while (i < cnt && !rc) {
                size_t m = 0;
                for (; m < 4096 && i < cnt; m++, i++)
                    if (!get_reading(magic, buf, len, &pos, &prev, &rd[m])) { rc = WS_ECORRUPT; break; }
                if (!rc && m) rc = fn(ctx, rd, m, first + (int64_t)(i - m));
            }
            if (rc == WS_ECORRUPT) rc = ws_fail(WS_ECORRUPT, "journal", "record in %s does not decode", p);
            total += cnt;
            if (first + (int64_t)cnt > next) next = first + (int64_t)cnt;
            off += J_HDR + len;
        }
        close(fd);
    }
    if (!rc) {
        j->next_seq = next;
        rc = open_segment(j, next); /* older segments stay until a checkpoint has sealed them */
    }
done:
    if (replayed) *replayed = total;
    free(segs);
    free(buf);
    free(rd);
    return rc;
}

ws_err journal_record(const ws_reading *r, size_t n, journal_rec *rec)
{
    *rec = (journal_rec){0};
    if (n > J_MAX_READINGS) return ws_fail(WS_ETOOBIG, "readings", "at most %u readings a batch", J_MAX_READINGS);
    uint8_t *buf = malloc(J_HDR + n * J2_MAX);
    if (!buf) return WS_ENOMEM;
    uint8_t *p = buf + J_HDR;
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t wd[WS_TAG_WORDS];
        size_t tl = ws_tag_words(r[i].tag, wd);
        *p++ = (uint8_t)(tl | (size_t)(r[i].quality & 3u) << 6);
        if (tl < 16) memcpy(p, r[i].tag, 16); /* a fixed size, inlined: the record has room for 63 */
        else memcpy(p, r[i].tag, tl);
        p += tl;
        uint64_t d = (uint64_t)r[i].source_ms - (uint64_t)prev; /* wraps; replay adds it back */
        prev = r[i].source_ms;
        uint64_t z = (d << 1) ^ (0 - (d >> 63));
        while (z >= 128) *p++ = (uint8_t)(z | 128u), z >>= 7;
        *p++ = (uint8_t)z;
        uint64_t bits;
        memcpy(&bits, &r[i].value, 8);
        put64(p, bits);
        p += 8;
    }
    uint32_t len = (uint32_t)(p - buf - J_HDR);
    put32(buf, J_MAGIC2);
    put32(buf + 4, len);
    put32(buf + 8, gorilla_crc32c(buf + J_HDR, len));
    put32(buf + 12, (uint32_t)n);
    *rec = (journal_rec){buf, J_HDR + len, n};
    return WS_OK;
}

void journal_rec_free(journal_rec *rec)
{
    free(rec->buf);
    *rec = (journal_rec){0};
}

ws_err journal_write(warn_journal *j, journal_rec *rec, int64_t *first_seq)
{
    if (j->broken) return ws_fail(WS_EIO, "journal", "the ingest journal has a torn record it could not cut");
    put64(rec->buf + 16, (uint64_t)j->next_seq);
    size_t n = rec->n;
    const uint8_t *out = rec->buf;
    size_t total = rec->len, done = 0;
    while (done < total) {
        ssize_t k = write(j->fd, out + done, total - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            int e = errno;
            /* Cut the partial record now: left in the middle of the file, a replay would stop
             * at it and drop every batch after it. If that fails too, refuse further appends. */
            if (done && ftruncate(j->fd, (off_t)j->seg_bytes)) j->broken = true;
            return ws_fail(WS_EIO, "journal", "cannot append to the ingest journal: %s",
                           k < 0 ? strerror(e) : "short write");
        }
        done += (size_t)k;
    }
    j->seg_bytes += total;
    *first_seq = j->next_seq;
    j->next_seq += (int64_t)n;
    return WS_OK;
}

ws_err journal_skip_to(warn_journal *j, int64_t seq)
{
    if (seq <= j->next_seq) return WS_OK;
    ws_err rc = open_segment(j, seq);
    if (!rc) j->next_seq = seq;
    return rc;
}

ws_err journal_rotate(warn_journal *j, int64_t *boundary)
{
    *boundary = j->next_seq;
    if (j->seg_bytes == 0 && j->seg_first == j->next_seq) return WS_OK;
    return open_segment(j, j->next_seq);
}

ws_err journal_drop_before(warn_journal *j, int64_t boundary, uint64_t *kept)
{
    int64_t *segs = NULL;
    size_t n = 0;
    *kept = 0;
    ws_err rc = list_segments(j->dir, &segs, &n);
    if (rc) return rc;
    j->low_seq = j->seg_first;
    for (size_t i = 0; i < n; i++) {
        char p[WARN_PATH_MAX + 64];
        seg_path(j, segs[i], p, sizeof p);
        /* wholly before boundary: the next segment starts at or before it */
        if (segs[i] != j->seg_first && i + 1 < n && segs[i + 1] <= boundary) {
            if (unlink(p) && errno != ENOENT) rc = ws_fail(WS_EIO, "journal", "cannot remove %s", p);
            continue;
        }
        struct stat st;
        if (!stat(p, &st)) *kept += (uint64_t)st.st_size;
        if (segs[i] < j->low_seq) j->low_seq = segs[i];
    }
    free(segs);
    return rc;
}
