/* The tree of an hq writer's log (proto/tree.md): built from its checkpoints and the records
 * they name, by the writer (ronda_store_checkpoint), the audit and the prover alike, so all
 * three grow the same tree by the same code. Internal to the store. */
#ifndef RONDA_STORE_TLOG_H
#define RONDA_STORE_TLOG_H

#include "store/store_int.h"

/* One frontier entry of a checkpoint: (author, seq, head). */
typedef struct tlog_entry {
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t seq;
    uint8_t head[RONDA_ID_BYTES];
} tlog_entry;

/* The highest seq of an author already in the tree. */
typedef struct tlog_mark {
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t seq;
} tlog_mark;

typedef struct tlog {
    ronda_tree_range range; /* the tree so far, O(log n) */
    tlog_mark *marks;       /* ascending by author (at most the authors of one checkpoint's union) */
    size_t n_marks;
    int keep;                /* keep every leaf (the prover) */
    ronda_tree_hash *leaves; /* when keep: leaf hashes in order */
    uint8_t (*ids)[32];      /* when keep: the record id of each leaf */
    size_t cap_leaves;
    uint64_t epochs; /* checkpoints appended */
} tlog;

void tlog_init(tlog *t, int keep);
void tlog_free(tlog *t);

/* Appends the epoch of one complete checkpoint whose frontier (all parts) is `e[0..n)`,
 * ascending by author: for each entry, the author's records with seq in (mark, seq], the
 * record at seq being `head`. RONDA_ERR_NOT_FOUND when one is not held, RONDA_ERR_CHAIN when
 * the record held at seq is not `head` (d names it); t is then unusable. */
ronda_err tlog_epoch(ronda_store *s, tlog *t, const tlog_entry *e, size_t n, ronda_detail *d) RONDA_MUST_CHECK;

/* A checkpoint of the writer as the walk meets it (its part 0). */
typedef struct tlog_cp {
    uint8_t id[RONDA_ID_BYTES]; /* part 0's id */
    uint64_t seq;               /* part 0's seq */
    int has_tree;               /* part 0 has size and root */
    uint64_t size;
    ronda_tree_hash root;
} tlog_cp;

/* Walks `writer`'s checkpoints in chain order, appending each complete one's epoch to t,
 * then calls cb (may be NULL) with the checkpoint and the tree after it; cb returns nonzero
 * to stop. Incomplete or malformed checkpoints (parts missing or out of order) are not
 * epochs. Records that do not open are skipped (verify reports them). */
ronda_err tlog_walk(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], tlog *t,
                    int (*cb)(void *ctx, const tlog_cp *cp, const tlog *t), void *ctx,
                    ronda_detail *d) RONDA_MUST_CHECK;

/* The writer's own tree, saved beside its newest checkpoint so the next one costs the records
 * since, not the whole tree (table tree_state: a cache, not a view; it is believed only when
 * it names the writer's newest checkpoint and its size and root are that checkpoint's).
 *
 * tlog_resume fills t (empty, from tlog_init(t, 0)) with the saved state when it is valid,
 * else by tlog_walk over the writer's checkpoints; *resumed (may be NULL) says which.
 * tlog_save records t as the tree after the checkpoint whose parts are seqs first..last of
 * `writer` (part 0's id `cp`), in the caller's transaction. */
ronda_err tlog_resume(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], tlog *t, int *resumed,
                      ronda_detail *d) RONDA_MUST_CHECK;
ronda_err tlog_save(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], const tlog *t,
                    const uint8_t cp[RONDA_ID_BYTES], uint64_t first, uint64_t last) RONDA_MUST_CHECK;

#endif
