/* journal.h — the ingest journal of the engine (journal.c has the format).
 * Kept apart from warn_int.h because alarm.h's `alarm` type clashes with
 * unistd.h's alarm(), which journal.c needs. */
#ifndef WS_WARN_JOURNAL_H
#define WS_WARN_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/reading.h"

#define WARN_PATH_MAX 1024

/* ------------------------------------------------------------ journal */

typedef struct warn_journal {
    char dir[WARN_PATH_MAX];
    int fd;              /* the current segment, O_APPEND */
    int64_t seg_first;   /* its first sequence */
    uint64_t seg_bytes;
    int64_t next_seq;    /* sequence of the next reading */
    int64_t low_seq;     /* first sequence still in a segment */
    bool broken;         /* a torn record could not be cut: appends refused until the next segment */
} warn_journal;

/* One batch's record, built by the caller before it takes the owner's lock
 * (journal_record), appended under it (journal_write): only the write, in
 * sequence order, is serial. */
typedef struct journal_rec {
    uint8_t *buf; /* header and payload; journal_rec_free */
    size_t len, n;
} journal_rec;

typedef ws_err (*journal_apply_fn)(void *ctx, const ws_reading *r, size_t n, int64_t first_seq);

ws_err journal_open(warn_journal *j, const char *dir);
/* Feed every whole record to fn in order, cut a torn tail, then open a new
 * segment for appends. Must be called once after journal_open. */
ws_err journal_replay(warn_journal *j, journal_apply_fn fn, void *ctx, uint64_t *replayed);
/* Build the record of r[0..n) into rec (its sequence is set by journal_write). */
ws_err journal_record(const ws_reading *r, size_t n, journal_rec *rec);
void journal_rec_free(journal_rec *rec);
/* Append a built record; *first_seq = the sequence of its first reading. */
ws_err journal_write(warn_journal *j, journal_rec *rec, int64_t *first_seq);
/* Go on from sequence seq in a new segment when seq is above next_seq;
 * otherwise nothing. */
ws_err journal_skip_to(warn_journal *j, int64_t seq);
/* Start a new segment; *boundary = its first sequence. */
ws_err journal_rotate(warn_journal *j, int64_t *boundary);
/* Remove the segments wholly before boundary (their readings all committed
 * to the series store); *kept = the bytes of the segments left. */
ws_err journal_drop_before(warn_journal *j, int64_t boundary, uint64_t *kept);
void journal_close(warn_journal *j);

#endif
