/* Bundles: export a consistent snapshot as a msgpack stream; import one through the same
 * checks as the network, in bounded batches, with signatures checked in parallel.
 *
 * Import memory does not grow with the bundle: a read buffer of two records' maximum and
 * one batch of at most RONDA_BATCH_MAX records are all that is held. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/batch.h"
#include "record/canon.h"
#include "store/store_int.h"

#define READ_BUF (2u * RONDA_RECORD_MAX) /* always room for one whole record after compaction */

/* ------------------------------------------------------------------ export */

typedef struct export_ctx {
    FILE *out;
    int failed;
} export_ctx;

static int export_row(void *ctx, const ronda_row *r) {
    export_ctx *x = ctx;
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 3);
    cwr_bin(&w, r->envelope, r->envelope_len);
    cwr_bin(&w, r->signature, r->signature_len);
    if (r->body)
        cwr_bin(&w, r->body, r->body_len);
    else
        cwr_nil(&w);
    int ok = !w.failed && fwrite(w.buf.data, 1, w.buf.size, x->out) == w.buf.size;
    cwr_destroy(&w);
    if (!ok) x->failed = 1;
    return !ok;
}

/* Header keys in canonical order: by encoded length, then bytes. */
static void write_header(cwr *w, const ronda_bundle_header *h) {
    cwr_map(w, 7);
    cwr_str(w, "forks", 5);
    cwr_uint(w, h->forks);
    cwr_str(w, "digest", 6);
    cwr_bin(w, h->digest, RONDA_HASH_BYTES);
    cwr_str(w, "format", 6);
    cwr_str(w, RONDA_BUNDLE_FORMAT, strlen(RONDA_BUNDLE_FORMAT));
    cwr_str(w, "created", 7);
    cwr_uint(w, h->created_ms);
    cwr_str(w, "records", 7);
    cwr_uint(w, h->records);
    cwr_str(w, "version", 7);
    cwr_uint(w, RONDA_BUNDLE_VERSION);
    cwr_str(w, "authority", 9);
    cwr_bin(w, h->authority, RONDA_KEY_BYTES);
}

ronda_err ronda_bundle_export(ronda_store *s, FILE *out, uint64_t now_ms, ronda_bundle_header *header) {
    ronda_err e = store_exec(s, "BEGIN"); /* a read snapshot: counts, digest and rows agree */
    if (e != RONDA_OK) return e;
    ronda_stats st;
    ronda_bundle_header h;
    memset(&h, 0, sizeof h);
    if ((e = ronda_store_stats(s, &st)) != RONDA_OK) goto out;
    memcpy(h.authority, s->authority, RONDA_KEY_BYTES);
    memcpy(h.digest, st.digest, RONDA_HASH_BYTES);
    h.records = st.records;
    h.forks = st.forks;
    h.created_ms = now_ms;
    cwr w;
    cwr_init(&w);
    write_header(&w, &h);
    int ok = !w.failed && fwrite(w.buf.data, 1, w.buf.size, out) == w.buf.size;
    cwr_destroy(&w);
    if (!ok) {
        e = RONDA_ERR_IO;
        goto out;
    }
    export_ctx x = {out, 0};
    e = ronda_store_each(s, NULL, export_row, &x);
    if (x.failed || fflush(out) != 0) e = RONDA_ERR_IO;
out:
    store_exec(s, "COMMIT");
    if (e == RONDA_OK && header) *header = h;
    return e;
}

/* ------------------------------------------------------------------ import */

typedef struct reader {
    FILE *in;
    uint8_t *buf;
    size_t start, end; /* unread bytes are buf[start..end) */
    int eof;
} reader;

/* Make the next whole msgpack value available; *len its size. 0 at a clean end of stream. */
static ronda_err next_value(reader *r, size_t max, const uint8_t **val, size_t *len) {
    for (;;) {
        if (r->start == r->end && r->eof) return RONDA_ERR_NOT_FOUND; /* clean end */
        crd c = crd_make(r->buf + r->start, r->end - r->start);
        ronda_err e = crd_skip(&c, RONDA_DEPTH_MAX);
        size_t have = r->end - r->start;
        if (e == RONDA_OK) {
            *val = r->buf + r->start;
            *len = (size_t)(c.p - (r->buf + r->start));
            if (*len > max) return RONDA_ERR_TOO_BIG;
            r->start += *len;
            return RONDA_OK;
        }
        if (e != RONDA_ERR_TRUNCATED) return e;
        if (have >= max) return RONDA_ERR_TOO_BIG; /* declares more than a record may hold */
        if (r->eof) return RONDA_ERR_TRUNCATED;
        if (r->start > 0) { /* compact, then fill */
            memmove(r->buf, r->buf + r->start, have);
            r->start = 0;
            r->end = have;
        }
        size_t got = fread(r->buf + r->end, 1, READ_BUF - r->end, r->in);
        r->end += got;
        if (got == 0) {
            if (ferror(r->in)) return RONDA_ERR_IO;
            r->eof = 1;
        }
    }
}

static ronda_err why(ronda_import_result *res, ronda_err e, const char *text) {
    snprintf(res->detail.text, sizeof res->detail.text, "%s", text);
    return e;
}

static ronda_err read_header(reader *r, ronda_import_result *res) {
    const uint8_t *v;
    size_t len;
    ronda_err e = next_value(r, RONDA_BUNDLE_HEADER_MAX, &v, &len);
    if (e == RONDA_ERR_NOT_FOUND) return why(res, RONDA_ERR_TRUNCATED, "empty file: not a bundle");
    if (e != RONDA_OK) return why(res, e, "bundle header is not a canonical msgpack map");
    crd c = crd_make(v, len);
    uint32_t n;
    if ((e = crd_map(&c, &n)) != RONDA_OK || n != 7)
        return why(res, RONDA_ERR_MALFORMED, "bundle header is not a map of 7");
    static const char *const keys[7] = {"forks", "digest", "format", "created", "records", "version", "authority"};
    ronda_bundle_header h;
    memset(&h, 0, sizeof h);
    for (uint32_t i = 0; i < 7; i++) {
        const uint8_t *k, *b;
        uint32_t kl, bl;
        uint64_t u = 0;
        if ((e = crd_str(&c, &k, &kl)) != RONDA_OK || kl != strlen(keys[i]) || memcmp(k, keys[i], kl) != 0)
            return why(res, RONDA_ERR_MALFORMED, "bundle header keys are not the v1 keys in canonical order");
        switch (i) {
        case 1:
        case 6:
            if ((e = crd_bin(&c, &b, &bl)) != RONDA_OK || bl != 32)
                return why(res, RONDA_ERR_MALFORMED, "bundle header digest/authority is not 32 bytes");
            memcpy(i == 1 ? h.digest : h.authority, b, 32);
            break;
        case 2:
            if ((e = crd_str(&c, &b, &bl)) != RONDA_OK || bl != strlen(RONDA_BUNDLE_FORMAT) ||
                memcmp(b, RONDA_BUNDLE_FORMAT, bl) != 0)
                return why(res, RONDA_ERR_MALFORMED, "not a ronda bundle (format)");
            break;
        default:
            if ((e = crd_uint(&c, &u)) != RONDA_OK) return why(res, RONDA_ERR_MALFORMED, "bundle header count");
            if (i == 0)
                h.forks = u;
            else if (i == 3)
                h.created_ms = u;
            else if (i == 4)
                h.records = u;
            else if (u != RONDA_BUNDLE_VERSION)
                return why(res, RONDA_ERR_VERSION, "bundle version is not 1");
        }
    }
    res->header = h;
    return RONDA_OK;
}

ronda_err ronda_bundle_read_header(FILE *in, ronda_bundle_header *header, ronda_detail *detail) {
    reader r = {in, malloc(READ_BUF), 0, 0, 0};
    ronda_import_result res;
    memset(&res, 0, sizeof res);
    if (!r.buf) return RONDA_ERR_NOMEM;
    ronda_err e = read_header(&r, &res);
    free(r.buf);
    if (e == RONDA_OK)
        *header = res.header;
    else if (detail)
        *detail = res.detail;
    return e;
}

/* One batch of records read from the stream, with the results of their stateless checks. */
typedef struct batch {
    uint8_t *bufs[RONDA_BATCH_MAX];
    size_t lens[RONDA_BATCH_MAX];
    ronda_record recs[RONDA_BATCH_MAX];
    ronda_err errs[RONDA_BATCH_MAX];
    ronda_detail det[RONDA_BATCH_MAX];
    size_t n;
    int end;       /* the stream ended cleanly after these */
    ronda_err err; /* the stream broke after these (read error, truncation, oversize) */
} batch;

static void batch_free(batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        free(b->bufs[i]);
        b->bufs[i] = NULL;
    }
    b->n = 0;
}

/* An import in progress: the stream, the two batches of the pipeline (record/batch.h), the
 * next one to fill, and the result so far. */
typedef struct importing {
    ronda_store *s;
    reader *r;
    batch *b;
    int fill;
    int done; /* the stream ended or broke: no more batches */
    uint64_t total;
    void (*progress)(void *, uint64_t, uint64_t);
    void *progress_ctx;
    ronda_import_result *res;
} importing;

/* The pipeline's next batch: up to RONDA_BATCH_MAX records read into the buffer that the
 * batch before last left (it has been applied). */
static int batch_next(void *ctx, record_batch *out) {
    importing *im = ctx;
    if (im->done) return 0;
    batch *b = &im->b[im->fill];
    im->fill = 1 - im->fill;
    batch_free(b);
    b->end = 0;
    b->err = RONDA_OK;
    while (b->n < RONDA_BATCH_MAX) {
        const uint8_t *v;
        size_t len;
        ronda_err e = next_value(im->r, RONDA_RECORD_MAX, &v, &len);
        if (e == RONDA_ERR_NOT_FOUND) {
            b->end = 1;
            break;
        }
        if (e != RONDA_OK) {
            b->err = e;
            break;
        }
        if (!(b->bufs[b->n] = malloc(len))) {
            b->err = RONDA_ERR_NOMEM;
            break;
        }
        memcpy(b->bufs[b->n], v, len);
        b->lens[b->n++] = len;
    }
    im->done = b->n == 0 || b->end || b->err != RONDA_OK;
    *out = (record_batch){(const uint8_t *const *)b->bufs, b->lens, b->recs, b->errs, b->det, b->n, b};
    return 1;
}

/* Apply a checked batch in order; on a refusal record where and why. Then the stream's own
 * error after it, if any, and the count against the header. */
static ronda_err batch_apply(void *ctx, const record_batch *rb, int *stop) {
    importing *im = ctx;
    batch *b = rb->slot;
    ronda_import_result *res = im->res;
    (void)stop;
    for (size_t i = 0; i < b->n; i++) {
        ronda_outcome o;
        ronda_err e = b->errs[i];
        ronda_detail d = b->det[i];
        if (e == RONDA_OK) e = ronda_store_apply(im->s, &b->recs[i], &o, &d);
        if (e == RONDA_ERR_REVOKED) { /* the exporter held it from before the revoke reached it */
            res->revoked++;
            continue;
        }
        if (e != RONDA_OK) {
            if (!ronda_err_is_db(e)) res->failed_index = res->read + i + 1; /* ours is no refusal of it */
            res->detail = d;
            return e;
        }
        if (o == RONDA_STORED)
            res->stored++;
        else if (o == RONDA_DUPLICATE)
            res->duplicates++;
        else
            res->forks++;
    }
    if (b->err != RONDA_OK) {
        res->failed_index = res->read + b->n + 1;
        return why(res, b->err,
                   b->err == RONDA_ERR_TOO_BIG ? "record larger than RONDA_RECORD_MAX"
                                               : "stream does not hold a whole canonical record here");
    }
    res->read += b->n;
    if (res->read > im->total) {
        res->failed_index = res->read;
        return why(res, RONDA_ERR_MALFORMED, "bundle holds more records than its header declares");
    }
    if (im->progress) im->progress(im->progress_ctx, res->read, im->total);
    return RONDA_OK;
}

ronda_err ronda_bundle_import(ronda_store *s, FILE *in, unsigned threads, void (*progress)(void *, uint64_t, uint64_t),
                              void *ctx, ronda_import_result *res) {
    memset(res, 0, sizeof *res);
    reader r = {in, malloc(READ_BUF), 0, 0, 0};
    batch *b = calloc(2, sizeof *b); /* double buffer: check batch k+1 while applying batch k */
    ronda_err e = RONDA_OK;
    int in_txn = 0;
    if (!r.buf || !b) {
        e = why(res, RONDA_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((e = read_header(&r, res)) != RONDA_OK) goto out;
    if (memcmp(res->header.authority, s->authority, RONDA_KEY_BYTES) != 0) {
        e = why(res, RONDA_ERR_NOT_MEMBER, "bundle belongs to another network (different authority key)");
        goto out;
    }
    if ((e = ronda_store_begin(s)) != RONDA_OK) {
        e = store_dberr(s, &res->detail, "begin");
        goto out;
    }
    in_txn = 1;
    uint64_t total = res->header.records + res->header.forks;
    if (threads == 0) { /* the writing thread needs a core of its own */
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        threads = ncpu > 1 ? (unsigned)(ncpu - 1) : 1;
    }
    importing im = {.s = s, .r = &r, .b = b, .total = total, .progress = progress, .progress_ctx = ctx, .res = res};
    record_pipeline pl = {.next = batch_next, .apply = batch_apply, .ctx = &im, .threads = threads};
    e = record_pipeline_run(&pl);
    batch_free(&b[0]);
    batch_free(&b[1]);
    if (e == RONDA_OK && res->read != total) {
        e = why(res, RONDA_ERR_TRUNCATED, "bundle holds fewer records than its header declares (truncated?)");
        res->failed_index = res->read + 1;
    }
    if (e == RONDA_OK) {
        in_txn = 0;
        if ((e = ronda_store_commit(s)) != RONDA_OK) e = store_dberr(s, &res->detail, "commit");
    }
out:
    if (in_txn) ronda_store_rollback(s);
    if (e != RONDA_OK) res->stored = res->duplicates = res->forks = 0;
    free(r.buf);
    free(b);
    return e;
}
