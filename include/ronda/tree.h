/* Merkle trees of RFC 6962 §2.1 (SHA-256), over which a checkpoint's `size` and `root` are
 * made (proto/tree.md): leaf and node hashes, the root of a list of leaves, a compact range
 * (the O(log n) stack of full-subtree roots) that grows a tree leaf by leaf, and inclusion and
 * consistency proofs with their verification (the algorithms of RFC 9162 §2.1.3.2, §2.1.4.2).
 *
 * Pure code: no SQLite, no allocation. Every function takes leaf *hashes* (already
 * H(0x00 || data)); a proof is at most RONDA_TREE_PROOF_MAX hashes, sizes below 2^63. */
#ifndef RONDA_TREE_H
#define RONDA_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/limits.h"
#include "ronda/record.h"

#define RONDA_TREE_HASH_BYTES 32u
/* A tree below 2^63 leaves has at most 63 levels: a path or a consistency proof has at most
 * 2·63 hashes in theory (consistency), 63 for a path. 64 bounds what a proof file may carry;
 * a consistency proof between sizes below 2^63 never exceeds it (RFC 9162: at most
 * ceil(log2 n) + 1 hashes). */
#define RONDA_TREE_PROOF_MAX 64u
#define RONDA_TREE_SIZE_MAX ((uint64_t)INT64_MAX) /* sizes are < 2^63 (a JSON integer, a msgpack uint) */

/* One SHA-256 value of the tree (a struct, so arrays of them keep their const). */
typedef struct ronda_tree_hash {
    uint8_t b[RONDA_TREE_HASH_BYTES];
} ronda_tree_hash;

/* H(0x00 || data): the hash of a leaf whose data is `len` bytes. */
RONDA_API void ronda_tree_leaf_hash(const uint8_t *data, size_t len, ronda_tree_hash *out);
/* H(0x01 || left || right). */
RONDA_API void ronda_tree_node_hash(const ronda_tree_hash *left, const ronda_tree_hash *right, ronda_tree_hash *out);
/* The root of the tree over the n leaf hashes `leaves` (n = 0: SHA-256 of nothing). */
RONDA_API void ronda_tree_root(const ronda_tree_hash *leaves, uint64_t n, ronda_tree_hash *out);

/* A tree grown leaf by leaf: the roots of its full subtrees, largest first (one per set bit
 * of size). 64 slots: a size below 2^63 has at most 63 set bits. */
typedef struct ronda_tree_range {
    uint64_t size;             /* leaves appended */
    unsigned n;                /* filled slots of `stack` (= popcount(size)) */
    ronda_tree_hash stack[64]; /* full-subtree roots, left to right */
} ronda_tree_range;

RONDA_API void ronda_tree_range_init(ronda_tree_range *r);
/* Appends one leaf hash. RONDA_ERR_TOO_BIG at RONDA_TREE_SIZE_MAX leaves (r unchanged). */
RONDA_API ronda_err ronda_tree_range_append(ronda_tree_range *r, const ronda_tree_hash *leaf) RONDA_MUST_CHECK;
/* The root of the leaves appended so far (the empty tree's for none). */
RONDA_API void ronda_tree_range_root(const ronda_tree_range *r, ronda_tree_hash *out);

/* The audit path (RFC 6962 §2.1.1 PATH) of leaf `index` in the tree over the n leaves, into
 * path[0..*len) (room for RONDA_TREE_PROOF_MAX) from the leaf's sibling up. RONDA_ERR_INVALID when index >= n. */
RONDA_API ronda_err ronda_tree_inclusion_proof(const ronda_tree_hash *leaves, uint64_t n, uint64_t index,
                                               ronda_tree_hash *path, unsigned *len) RONDA_MUST_CHECK;
/* 1 when `path` proves `leaf` is leaf `index` of the tree of `size` leaves with `root`. */
RONDA_API int ronda_tree_inclusion_verify(const ronda_tree_hash *leaf, uint64_t index, uint64_t size,
                                          const ronda_tree_hash *path, unsigned len, const ronda_tree_hash *root);

/* The consistency proof (RFC 6962 §2.1.2 PROOF) that the tree of the first m leaves is a
 * prefix of the tree of all n. RONDA_ERR_INVALID unless 0 < m <= n (m = n: an empty proof). */
RONDA_API ronda_err ronda_tree_consistency_proof(const ronda_tree_hash *leaves, uint64_t n, uint64_t m,
                                                 ronda_tree_hash *path, unsigned *len) RONDA_MUST_CHECK;
/* 1 when `path` proves the tree of size m with `old_root` is a prefix of the tree of size n
 * with `new_root` (RFC 9162 §2.1.4.2; m = n: the roots are equal and the proof is empty). */
RONDA_API int ronda_tree_consistency_verify(uint64_t m, uint64_t n, const ronda_tree_hash *old_root,
                                            const ronda_tree_hash *new_root, const ronda_tree_hash *path, unsigned len);

#endif
