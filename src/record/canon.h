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
    crd r = {p, p + len};
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

/* Writer: a msgpack-c packer over a growable buffer. */
typedef struct cwr {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    int failed; /* a write failed for lack of memory */
} cwr;

void cwr_init(cwr *w);
void cwr_destroy(cwr *w);
void cwr_array(cwr *w, uint32_t n);
void cwr_map(cwr *w, uint32_t n);
void cwr_uint(cwr *w, uint64_t v);
void cwr_nil(cwr *w);
void cwr_str(cwr *w, const char *s, size_t len);
void cwr_bin(cwr *w, const uint8_t *b, size_t len);
/* Append bytes that are already one canonical value. */
void cwr_raw(cwr *w, const uint8_t *b, size_t len);
/* Hand the bytes to the caller (malloc'd); the writer is then empty. */
ronda_err cwr_take(cwr *w, uint8_t **out, size_t *len);

#endif
