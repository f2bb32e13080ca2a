/* Canonical msgpack: a bounded reader that refuses every non-canonical encoding, and a
 * writer (over msgpack-c's packer) that produces only canonical encodings.
 *
 * The reader never allocates: every declared length or count is checked against the
 * bytes that remain before anything is read, so hostile sizes cost nothing. */
#ifndef RONDA_CANON_H
#define RONDA_CANON_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "ronda/ronda.h"

typedef struct crd {
    const uint8_t *p;   /* next byte to read */
    const uint8_t *end; /* one past the last byte */
} crd;

static inline crd crd_make(const uint8_t *p, size_t len) {
    crd r = {p, p ? p + len : p}; /* no bytes may come as NULL: NULL + 0 is undefined */
    return r;
}
static inline size_t crd_left(const crd *r) { return (size_t)(r->end - r->p); }

/* Each reads one value of its type at r->p in canonical form and advances past it.
 * On failure nothing is promised about r. */
ronda_err crd_array(crd *r, uint32_t *count);
ronda_err crd_map(crd *r, uint32_t *count);
ronda_err crd_uint(crd *r, uint64_t *v);
ronda_err crd_str(crd *r, const uint8_t **s, uint32_t *len);
ronda_err crd_bin(crd *r, const uint8_t **b, uint32_t *len);
/* 1 and advances when the next byte is nil, else 0 and does not move. */
int crd_nil(crd *r);
/* Validate and skip one whole value of any v1 type (nil, uint, str, bin, array, map with
 * str keys in canonical order), at most `depth` levels deep. */
ronda_err crd_skip(crd *r, unsigned depth);
/* Whether `len` bytes are valid UTF-8 without NUL (v1 strings). */
int canon_utf8_ok(const uint8_t *s, size_t len);

/* Writer: a msgpack-c packer over a growable buffer. It keeps count of the containers it
 * has open (how many items each still needs), so that a wrong array or map count, which
 * would send bytes no peer can read, stops at the writer (RONDA_ASSERT in cwr_take) rather
 * than at the reader. It does not check string contents: text from a form may hold what v1
 * refuses (a NUL), and the reader refuses it after sealing (the writer asserts only what
 * our own code decides: counts, nesting, lengths). */
typedef struct cwr {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    int failed;                     /* a write failed for lack of memory */
    unsigned depth;                 /* containers open (a full one closes at the next value) */
    uint32_t left[RONDA_DEPTH_MAX]; /* items each open container still needs */
} cwr;

void cwr_init(cwr *w);
void cwr_destroy(cwr *w);
void cwr_array(cwr *w, uint32_t n);
void cwr_map(cwr *w, uint32_t n);
void cwr_uint(cwr *w, uint64_t v);
void cwr_nil(cwr *w);
void cwr_str(cwr *w, const char *s, size_t len);
void cwr_bin(cwr *w, const uint8_t *b, size_t len);
/* Append bytes that are already canonical values written by another cwr (each counts as
 * one item of the open container; a value of them that does not read back is a bug). */
void cwr_raw(cwr *w, const uint8_t *b, size_t len);
/* 1 when every container opened has all its items (a writer ready to be read). */
int cwr_complete(const cwr *w);
/* Hand the bytes to the caller (malloc'd); the writer is then empty. Asserts that the
 * bytes are complete values (cwr_complete) unless a write failed (RONDA_ERR_NOMEM then). */
ronda_err cwr_take(cwr *w, uint8_t **out, size_t *len);

#endif
