/* RFC 6962 Merkle trees with SHA-256 (proto/tree.md): hashes, roots, a compact range, and
 * inclusion and consistency proofs with their verification.
 *
 * The proofs are made by the recursive definitions of RFC 6962 §2.1.1 (PATH) and §2.1.2
 * (PROOF/SUBPROOF), each subtree root by the recursive MTH; they are verified by the
 * iterative algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, which never build a tree. Both
 * sides written from the RFCs, so a slip on one side shows as a failed proof in the unit
 * test over every size and index up to 64 (tests/unit/tree_test.c). */
#include <sodium.h>
#include <string.h>

#include "ronda/ronda.h"
#include "ronda/tree.h"
#include "util/assert.h"

_Static_assert(RONDA_TREE_HASH_BYTES == crypto_hash_sha256_BYTES, "tree hashes are SHA-256");
_Static_assert(RONDA_TREE_PROOF_MAX >= 64, "a path in a tree below 2^63 leaves has at most 63 hashes, a "
                                           "consistency proof at most 64");

void ronda_tree_leaf_hash(const uint8_t *data, size_t len, ronda_tree_hash *out) {
    crypto_hash_sha256_state h;
    const uint8_t prefix = 0x00;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, &prefix, 1);
    if (len) crypto_hash_sha256_update(&h, data, len);
    crypto_hash_sha256_final(&h, out->b);
}

void ronda_tree_node_hash(const ronda_tree_hash *left, const ronda_tree_hash *right, ronda_tree_hash *out) {
    crypto_hash_sha256_state h;
    const uint8_t prefix = 0x01;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, &prefix, 1);
    crypto_hash_sha256_update(&h, left->b, RONDA_TREE_HASH_BYTES);
    crypto_hash_sha256_update(&h, right->b, RONDA_TREE_HASH_BYTES);
    crypto_hash_sha256_final(&h, out->b);
}

/* The largest power of two below n (n >= 2): where RFC 6962 splits a tree of n leaves. */
static uint64_t split(uint64_t n) {
    RONDA_ASSERT(n >= 2);
    uint64_t k = 1;
    while (k << 1 < n) k <<= 1;
    return k;
}

/* MTH of n >= 1 leaves: recursion depth at most 63. */
static void mth(const ronda_tree_hash *leaves, uint64_t n, ronda_tree_hash *out) {
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    uint64_t k = split(n);
    ronda_tree_hash l, r;
    mth(leaves, k, &l);
    mth(leaves + k, n - k, &r);
    ronda_tree_node_hash(&l, &r, out);
}

void ronda_tree_root(const ronda_tree_hash *leaves, uint64_t n, ronda_tree_hash *out) {
    if (n == 0) {
        crypto_hash_sha256(out->b, NULL, 0);
        return;
    }
    mth(leaves, n, out);
}

/* ------------------------------------------------------------------ the compact range */

void ronda_tree_range_init(ronda_tree_range *r) { memset(r, 0, sizeof *r); }

ronda_err ronda_tree_range_append(ronda_tree_range *r, const ronda_tree_hash *leaf) {
    if (r->size >= RONDA_TREE_SIZE_MAX) return RONDA_ERR_TOO_BIG;
    RONDA_ASSERT(r->n < 64);
    r->stack[r->n++] = *leaf;
    /* Each trailing 1 bit of the old size is a full subtree of the new leaf's height to its
     * left: merge them, as binary addition carries. */
    for (uint64_t s = r->size; s & 1; s >>= 1) {
        RONDA_ASSERT(r->n >= 2);
        ronda_tree_node_hash(&r->stack[r->n - 2], &r->stack[r->n - 1], &r->stack[r->n - 2]);
        r->n--;
    }
    r->size++;
    RONDA_ASSERT((unsigned)__builtin_popcountll(r->size) == r->n);
    return RONDA_OK;
}

void ronda_tree_range_root(const ronda_tree_range *r, ronda_tree_hash *out) {
    if (r->n == 0) {
        crypto_hash_sha256(out->b, NULL, 0);
        return;
    }
    /* The right-most subtrees first: RFC 6962 splits at the largest power of two, so the
     * tree is the left subtree over the fold of everything to its right. */
    ronda_tree_hash acc = r->stack[r->n - 1];
    for (unsigned i = r->n - 1; i-- > 0;) ronda_tree_node_hash(&r->stack[i], &acc, &acc);
    *out = acc;
}

/* ------------------------------------------------------------------ inclusion */

static void path_rec(const ronda_tree_hash *leaves, uint64_t n, uint64_t m, ronda_tree_hash *path, unsigned *len) {
    if (n <= 1) return;
    uint64_t k = split(n);
    if (m < k) {
        path_rec(leaves, k, m, path, len);
        mth(leaves + k, n - k, &path[(*len)++]);
    } else {
        path_rec(leaves + k, n - k, m - k, path, len);
        mth(leaves, k, &path[(*len)++]);
    }
}

ronda_err ronda_tree_inclusion_proof(const ronda_tree_hash *leaves, uint64_t n, uint64_t index, ronda_tree_hash *path,
                                     unsigned *len) {
    if (index >= n || n > RONDA_TREE_SIZE_MAX) return RONDA_ERR_INVALID;
    unsigned l = 0;
    path_rec(leaves, n, index, path, &l); /* at most 63 hashes: one per level */
    RONDA_ASSERT(l <= RONDA_TREE_PROOF_MAX);
    *len = l;
    return RONDA_OK;
}

int ronda_tree_inclusion_verify(const ronda_tree_hash *leaf, uint64_t index, uint64_t size, const ronda_tree_hash *path,
                                unsigned len, const ronda_tree_hash *root) {
    if (index >= size || size > RONDA_TREE_SIZE_MAX || len > RONDA_TREE_PROOF_MAX) return 0;
    uint64_t fn = index, sn = size - 1;
    ronda_tree_hash r = *leaf;
    for (unsigned i = 0; i < len; i++) {
        if (sn == 0) return 0; /* a longer path than the tree is high */
        if ((fn & 1) || fn == sn) {
            ronda_tree_node_hash(&path[i], &r, &r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            ronda_tree_node_hash(&r, &path[i], &r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(r.b, root->b, RONDA_TREE_HASH_BYTES) == 0;
}

/* ------------------------------------------------------------------ consistency */

static void subproof(const ronda_tree_hash *leaves, uint64_t n, uint64_t m, int whole, ronda_tree_hash *path,
                     unsigned *len) {
    if (m == n) {
        if (!whole) mth(leaves, n, &path[(*len)++]);
        return;
    }
    uint64_t k = split(n);
    if (m <= k) {
        subproof(leaves, k, m, whole, path, len);
        mth(leaves + k, n - k, &path[(*len)++]);
    } else {
        subproof(leaves + k, n - k, m - k, 0, path, len);
        mth(leaves, k, &path[(*len)++]);
    }
}

ronda_err ronda_tree_consistency_proof(const ronda_tree_hash *leaves, uint64_t n, uint64_t m, ronda_tree_hash *path,
                                       unsigned *len) {
    if (m == 0 || m > n || n > RONDA_TREE_SIZE_MAX) return RONDA_ERR_INVALID;
    unsigned l = 0;
    subproof(leaves, n, m, 1, path, &l); /* one hash per level, and one more: at most 64 */
    RONDA_ASSERT(l <= RONDA_TREE_PROOF_MAX);
    *len = l;
    return RONDA_OK;
}

int ronda_tree_consistency_verify(uint64_t m, uint64_t n, const ronda_tree_hash *old_root,
                                  const ronda_tree_hash *new_root, const ronda_tree_hash *path, unsigned len) {
    if (m == 0 || m > n || n > RONDA_TREE_SIZE_MAX || len > RONDA_TREE_PROOF_MAX) return 0;
    if (m == n) return len == 0 && sodium_memcmp(old_root->b, new_root->b, RONDA_TREE_HASH_BYTES) == 0;
    if (len == 0) return 0;
    /* When m is a power of two the old tree is a full subtree of the new one, and the proof
     * leaves its root out: the old root stands first. */
    const ronda_tree_hash *first;
    unsigned i = 0;
    if ((m & (m - 1)) == 0) {
        first = old_root;
    } else {
        first = &path[0];
        i = 1;
    }
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    ronda_tree_hash fr = *first, sr = *first;
    for (; i < len; i++) {
        if (sn == 0) return 0;
        if ((fn & 1) || fn == sn) {
            ronda_tree_node_hash(&path[i], &fr, &fr);
            ronda_tree_node_hash(&path[i], &sr, &sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            ronda_tree_node_hash(&sr, &path[i], &sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(fr.b, old_root->b, RONDA_TREE_HASH_BYTES) == 0 &&
           sodium_memcmp(sr.b, new_root->b, RONDA_TREE_HASH_BYTES) == 0;
}
