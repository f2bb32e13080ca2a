/* Witnesses: a checkpoint's signed note (proto/note.md), the cosignatures other HQs add to
 * it, the note an auditor exports, and the check of a kept note against a ledger.
 *
 * Why: a checkpoint inside the ledger cannot reveal its own removal. Its note, kept outside,
 * can: it names the writer's log (origin), its size and root, and the checkpoint's seq in
 * the writer's chain, signed by the writer and by the HQs that hold every record it names.
 * A ledger that no longer holds that checkpoint, or holds another record in its place, is
 * caught by anyone who kept the note.
 *
 * Every note head is made by ronda_checkpoint_head(): it alone decides which body keys give
 * size and root (a Merkle tree's `size`/`root` when part 0 has them, else `records` and the
 * ledger digest), so notes change in one place when the checkpoint body does.
 *
 * Nothing here trusts a note, a cosign or a view row: a note is parsed with bounds on every
 * line, a cosignature is verified before a note carries it, and a checkpoint is re-read from
 * its signed record (never from a view) before it is cosigned or compared. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static void set_detail(ronda_detail *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_detail(ronda_detail *d, const char *fmt, ...) {
    if (!d) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->text, sizeof d->text, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ the note head */

ronda_err ronda_checkpoint_head(const uint8_t authority[RONDA_KEY_BYTES], const uint8_t writer[RONDA_KEY_BYTES],
                                uint64_t seq, const ronda_checkpoint *part0, ronda_note_head *out) {
    ronda_note_head h;
    memset(&h, 0, sizeof h);
    /* The tree's size and root when the body has them; the ledger digest before. */
    const ronda_uint *n = part0->size.set ? &part0->size : &part0->records;
    const uint8_t *root = part0->size.set ? part0->root : part0->digest;
    if (!n->set || !root || seq == 0) return RONDA_ERR_SCHEMA;
    memcpy(h.root, root, RONDA_HASH_BYTES);
    h.size = n->v;
    h.seq = seq;
    memcpy(h.writer, writer, 32);
    ronda_note_key_name(authority, writer, h.origin);
    *out = h;
    return RONDA_OK;
}

void ronda_note_key_name(const uint8_t authority[RONDA_KEY_BYTES], const uint8_t key[RONDA_KEY_BYTES],
                         char out[RONDA_NOTE_ORIGIN_LEN + 1]) {
    char a[65], k[65];
    ronda_hex(authority, 32, a);
    ronda_hex(key, 32, k);
    snprintf(out, RONDA_NOTE_ORIGIN_LEN + 1, "ronda/%.16s/%s", a, k);
}

void ronda_note_key_id(const char *name, const uint8_t key[RONDA_KEY_BYTES], uint8_t id[RONDA_NOTE_KEY_ID_BYTES]) {
    crypto_hash_sha256_state st;
    const uint8_t sep[2] = {0x0a, RONDA_NOTE_SIG_ALG_ED25519};
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep, sizeof sep);
    crypto_hash_sha256_update(&st, key, 32);
    crypto_hash_sha256_final(&st, h);
    memcpy(id, h, RONDA_NOTE_KEY_ID_BYTES);
}

size_t ronda_note_text(const ronda_note_head *h, char *out, size_t cap) {
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, h->root, 32, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, cap, "%s\n%llu\n%s\nronda-checkpoint %llu\n", h->origin, (unsigned long long)h->size, b64,
                     (unsigned long long)h->seq);
    return n < 0 ? cap : (size_t)n;
}

#define NOTE_TEXT_MAX 256u /* origin 87 + size 20 + root 44 + "ronda-checkpoint " 17 + seq 20 + 4 newlines */

void ronda_note_sign(const uint8_t secret[RONDA_SECRET_BYTES], const ronda_note_head *h, uint8_t sig[RONDA_SIG_BYTES]) {
    char text[NOTE_TEXT_MAX];
    size_t n = ronda_note_text(h, text, sizeof text);
    crypto_sign_detached(sig, NULL, (const uint8_t *)text, n, secret);
}

int ronda_note_verify(const ronda_note_head *h, const uint8_t key[RONDA_KEY_BYTES],
                      const uint8_t sig[RONDA_SIG_BYTES]) {
    char text[NOTE_TEXT_MAX];
    size_t n = ronda_note_text(h, text, sizeof text);
    return n < sizeof text && crypto_sign_verify_detached(sig, (const uint8_t *)text, n, key) == 0;
}

/* "— name base64\n" for one signature. */
static int sig_line(char *out, size_t cap, const char *name, const uint8_t key[32], const uint8_t sig[64]) {
    uint8_t blob[RONDA_NOTE_KEY_ID_BYTES + RONDA_SIG_BYTES];
    ronda_note_key_id(name, key, blob);
    memcpy(blob + RONDA_NOTE_KEY_ID_BYTES, sig, RONDA_SIG_BYTES);
    char b64[sodium_base64_ENCODED_LEN(sizeof blob, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, cap, "\xe2\x80\x94 %s %s\n", name, b64);
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* ------------------------------------------------------------------ parsing a note */

/* Strict base64 (standard alphabet, padded, canonical): decodes exactly and re-encodes to
 * the same characters, so one value has one spelling. Returns the decoded length or -1. */
static int b64_strict(const char *s, size_t len, uint8_t *out, size_t max) {
    size_t got = 0;
    const char *end = NULL;
    if (len == 0 || len % 4 != 0) return -1;
    if (sodium_base642bin(out, max, s, len, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + len)
        return -1;
    char again[sodium_base64_ENCODED_LEN(RONDA_NOTE_LINE_MAX, sodium_base64_VARIANT_ORIGINAL)];
    if (got > RONDA_NOTE_LINE_MAX) return -1;
    sodium_bin2base64(again, sizeof again, out, got, sodium_base64_VARIANT_ORIGINAL);
    if (strlen(again) != len || memcmp(again, s, len) != 0) return -1;
    return (int)got;
}

static int all_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* A decimal without sign or leading zero, at most 2^63-1. */
static int parse_dec(const char *s, size_t n, uint64_t *out) {
    if (n == 0 || n > 19 || (n > 1 && s[0] == '0')) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10u + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX) return 0;
    *out = v;
    return 1;
}

ronda_err ronda_note_parse(const char *text, size_t len, ronda_note *out, ronda_detail *d) {
    if (len > RONDA_NOTE_MAX) {
        set_detail(d, "larger than RONDA_NOTE_MAX (%u bytes)", RONDA_NOTE_MAX);
        return RONDA_ERR_TOO_BIG;
    }
    if (len == 0 || text[len - 1] != '\n') {
        set_detail(d, "a note ends with a newline");
        return RONDA_ERR_MALFORMED;
    }
    static const char dash[] = "\xe2\x80\x94 ";
    ronda_note *n = calloc(1, sizeof *n);
    if (!n) return RONDA_ERR_NOMEM;
    ronda_err e = RONDA_ERR_MALFORMED;
    size_t line = 0, at = 0;
    int blank_seen = 0;
    while (at < len) {
        const char *p = text + at;
        const char *nl = memchr(p, '\n', len - at);
        size_t l = (size_t)(nl - p); /* text ends with '\n': nl is never NULL */
        line++;
        if (l > RONDA_NOTE_LINE_MAX) {
            set_detail(d, "line %zu: longer than RONDA_NOTE_LINE_MAX (%u bytes)", line, RONDA_NOTE_LINE_MAX);
            e = RONDA_ERR_TOO_BIG;
            goto out;
        }
        for (size_t i = 0; i < l; i++)
            if (p[i] == '\0' || p[i] == '\r' || p[i] == '\t') {
                set_detail(d, "line %zu: a NUL, tab or carriage return", line);
                goto out;
            }
        at += l + 1;
        if (line == 1) {
            if (l != RONDA_NOTE_ORIGIN_LEN || memcmp(p, "ronda/", 6) != 0 || p[22] != '/' || !all_hex(p + 6, 16) ||
                !all_hex(p + 23, 64)) {
                set_detail(d, "line 1: the origin is not ronda/<16 hex digits>/<64 hex digits>");
                goto out;
            }
            memcpy(n->head.origin, p, l);
            memcpy(n->authority_prefix, p + 6, 16);
            char hex[65];
            memcpy(hex, p + 23, 64);
            hex[64] = '\0';
            if (ronda_unhex(hex, n->head.writer, 32) != RONDA_OK) goto out;
        } else if (line == 2) {
            if (!parse_dec(p, l, &n->head.size)) {
                set_detail(d, "line 2: the size is not a decimal number below 2^63");
                goto out;
            }
        } else if (line == 3) {
            uint8_t root[RONDA_NOTE_LINE_MAX];
            if (b64_strict(p, l, root, sizeof root) != 32) {
                set_detail(d, "line 3: the root is not the strict base64 of 32 bytes");
                goto out;
            }
            memcpy(n->head.root, root, 32);
        } else if (line == 4) {
            if (l < 18 || memcmp(p, "ronda-checkpoint ", 17) != 0 || !parse_dec(p + 17, l - 17, &n->head.seq) ||
                n->head.seq == 0) {
                set_detail(d, "line 4: not \"ronda-checkpoint <seq>\"");
                goto out;
            }
        } else if (line == 5) {
            if (l != 0) {
                set_detail(d, "line 5: a blank line must end the note's text (ronda writes four lines)");
                goto out;
            }
            blank_seen = 1;
        } else {
            if (l < sizeof dash - 1 || memcmp(p, dash, sizeof dash - 1) != 0) {
                set_detail(d, "line %zu: a signature line starts with an em dash and a space", line);
                goto out;
            }
            if (n->n_sigs == RONDA_NOTE_SIGS_MAX) {
                set_detail(d, "more than RONDA_NOTE_SIGS_MAX (%u) signatures", RONDA_NOTE_SIGS_MAX);
                e = RONDA_ERR_TOO_BIG;
                goto out;
            }
            const char *name = p + sizeof dash - 1;
            size_t rest = l - (sizeof dash - 1);
            const char *sp = memchr(name, ' ', rest);
            if (!sp || sp == name) {
                set_detail(d, "line %zu: no key name and signature", line);
                goto out;
            }
            size_t nl_name = (size_t)(sp - name);
            for (size_t i = 0; i < nl_name; i++)
                if (name[i] == '+' || (unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e) {
                    set_detail(d, "line %zu: a key name is printable ASCII without '+' or spaces", line);
                    goto out;
                }
            ronda_note_sig *g = &n->sigs[n->n_sigs];
            memcpy(g->name, name, nl_name);
            g->name[nl_name] = '\0';
            uint8_t blob[RONDA_NOTE_LINE_MAX];
            int got = b64_strict(sp + 1, rest - nl_name - 1, blob, sizeof blob);
            if (got < (int)RONDA_NOTE_KEY_ID_BYTES + 1) {
                set_detail(d, "line %zu: the signature is not strict base64 of a key id and a signature", line);
                goto out;
            }
            memcpy(g->key_id, blob, RONDA_NOTE_KEY_ID_BYTES);
            g->ed25519 = got == (int)(RONDA_NOTE_KEY_ID_BYTES + RONDA_SIG_BYTES);
            if (g->ed25519) memcpy(g->sig, blob + RONDA_NOTE_KEY_ID_BYTES, RONDA_SIG_BYTES);
            n->n_sigs++;
        }
    }
    if (!blank_seen || n->n_sigs == 0) {
        set_detail(d, "%s",
                   !blank_seen ? "the note ends before its four lines and the blank line"
                               : "the note has no signature line");
        goto out;
    }
    *out = *n;
    e = RONDA_OK;
out:
    free(n);
    return e;
}

/* ------------------------------------------------------------------ checkpoints in the ledger */

/* Part 0 of a checkpoint, re-read from its signed record. */
typedef struct cp0 {
    uint8_t id[RONDA_ID_BYTES];
    uint64_t seq, hlc;
    store_body body; /* owned (store_body_free) */
} cp0;

/* The record of `author` at `seq`, opened (signature, body hash, schema): 1 and *body (owned)
 * when it verifies, 0 when not held or not verifying, -1 on a database error. */
static int record_at(ronda_store *s, const uint8_t *author, uint64_t seq, ronda_kind *kind, uint8_t id[32],
                     uint64_t *hlc, store_body *body) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT envelope, signature, body FROM records WHERE author = ?1 AND seq = ?2", -1,
                           &st, NULL) != SQLITE_OK) {
        store_fail(s, 0);
        return -1;
    }
    sqlite3_bind_blob(st, 1, author, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    int rc = sqlite3_step(st), got = 0;
    ronda_record rec;
    if (rc == SQLITE_ROW) {
        if (store_open_row(st, 0, &rec) && memcmp(rec.author, author, 32) == 0 && rec.seq == seq) {
            if (!store_body_keep(body, &rec.typed)) {
                got = -1; /* out of memory: no verdict on the record */
            } else {
                got = 1;
                *kind = rec.kind;
                memcpy(id, rec.id, 32);
                *hlc = rec.hlc;
            }
        }
    } else if (rc != SQLITE_DONE) {
        store_fail(s, rc);
        got = -1;
    }
    sqlite3_finalize(st);
    return got;
}

/* The writer's newest checkpoint's part 0 (verifying): 1 found, 0 none, -1 database error.
 * Walks back over the writer's checkpoint records only (the (author, seq) index), at most
 * the parts of one checkpoint past its newest record. */
static int newest_cp0(ronda_store *s, const uint8_t *writer, cp0 *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT envelope, signature, body FROM records WHERE author = ?1 AND kind = 'checkpoint'"
                           " ORDER BY seq DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        store_fail(s, 0);
        return -1;
    }
    sqlite3_bind_blob(st, 1, writer, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)RONDA_CHECKPOINT_PARTS_MAX);
    int rc = SQLITE_DONE, found = 0;
    while (!found && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_record rec;
        if (!store_open_row(st, 0, &rec) || memcmp(rec.author, writer, 32) != 0)
            continue; /* a row that does not verify is the audit's finding, never a checkpoint */
        if (rec.kind == RONDA_KIND_CHECKPOINT && rec.typed.u.checkpoint.part.v == 0) {
            if (!store_body_keep(&out->body, &rec.typed)) {
                rc = SQLITE_NOMEM;
                break;
            }
            memcpy(out->id, rec.id, 32);
            out->seq = rec.seq;
            out->hlc = rec.hlc;
            found = 1;
        }
    }
    if (!found && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        store_fail(s, rc);
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

static int is_hq(ronda_store *s, const uint8_t *key) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM members WHERE sign_key = ?1 AND role = 'hq' LIMIT 1", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
    int yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* What the ledger holds of a checkpoint's claims: every part (seq0 .. seq0+parts-1 of the
 * writer, agreeing with part 0), every entry's record, and the digest and record count over
 * its entries. */
typedef struct claims {
    uint64_t entries, held, other; /* claims; held with the named id; held with another id */
    unsigned parts, parts_held;    /* parts named by part 0; parts found agreeing */
    int consistent;                /* all parts held, digest and record count those of the entries */
} claims;

static ronda_err check_claims(ronda_store *s, const uint8_t *writer, uint64_t seq0, const ronda_checkpoint *body0,
                              claims *c) {
    memset(c, 0, sizeof *c);
    unsigned parts = (unsigned)body0->parts.v;
    if (parts == 0 || parts > RONDA_CHECKPOINT_PARTS_MAX || !body0->digest) return RONDA_OK;
    c->parts = parts;
    uint64_t records = body0->records.v, sum = 0;
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, RONDA_HASH_BYTES);
    crypto_generichash_update(&h, (const uint8_t *)"ronda-ledger-v1", 15);
    sqlite3_stmt *by_seq = NULL;
    ronda_entry *en = malloc(RONDA_CHECKPOINT_AUTHORS_MAX * sizeof *en);
    if (!en) return RONDA_ERR_NOMEM;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM records WHERE author = ?1 AND seq = ?2", -1, &by_seq, NULL) !=
        SQLITE_OK) {
        free(en);
        return store_fail(s, 0);
    }
    ronda_err e = RONDA_OK;
    for (unsigned p = 0; p < parts && e == RONDA_OK; p++) {
        store_body kept = {NULL, {0}};
        const ronda_checkpoint *b = body0;
        if (p > 0) {
            ronda_kind k;
            uint8_t id[32];
            uint64_t hlc;
            int got = record_at(s, writer, seq0 + p, &k, id, &hlc, &kept);
            if (got < 0) {
                e = RONDA_ERR_DB;
                break;
            }
            b = &kept.b.u.checkpoint;
            if (!got || k != RONDA_KIND_CHECKPOINT || b->part.v != p || b->parts.v != parts ||
                b->records.v != records || !b->digest || memcmp(b->digest, body0->digest, 32) != 0) {
                store_body_free(&kept);
                continue; /* a missing or disagreeing part: not consistent */
            }
        }
        c->parts_held++;
        size_t n = ronda_body_entries(&b->frontier, en, RONDA_CHECKPOINT_AUTHORS_MAX);
        for (size_t i = 0; i < n; i++) {
            uint64_t seq = en[i].seq.v;
            store_frontier_entry(&h, en[i].author, seq, en[i].head);
            sum += seq;
            c->entries++;
            sqlite3_reset(by_seq);
            sqlite3_bind_blob(by_seq, 1, en[i].author, 32, SQLITE_STATIC);
            sqlite3_bind_int64(by_seq, 2, (int64_t)seq);
            int rc = sqlite3_step(by_seq);
            if (rc == SQLITE_ROW) {
                if (sqlite3_column_bytes(by_seq, 0) == 32 &&
                    memcmp(sqlite3_column_blob(by_seq, 0), en[i].head, 32) == 0)
                    c->held++;
                else
                    c->other++;
            } else if (rc != SQLITE_DONE) {
                e = store_fail(s, rc); /* a failed read is no missing record */
                break;
            }
        }
        sqlite3_reset(by_seq); /* before the part's bytes go: the statement bound its pointers */
        store_body_free(&kept);
    }
    sqlite3_finalize(by_seq);
    free(en);
    uint8_t got[32];
    crypto_generichash_final(&h, got, sizeof got);
    c->consistent = c->parts_held == parts && sum == records && sodium_memcmp(got, body0->digest, 32) == 0;
    return e;
}

/* ------------------------------------------------------------------ the note of a ledger */

typedef struct sigvec {
    uint8_t (*key)[32];
    uint8_t (*sig)[64];
    size_t n, cap;
} sigvec;

static int sigvec_push(sigvec *v, const uint8_t *key, const uint8_t *sig) {
    for (size_t i = 0; i < v->n; i++)
        if (memcmp(v->key[i], key, 32) == 0) return 1; /* one line per cosigner */
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        uint8_t(*k)[32] = realloc(v->key, cap * 32);
        if (!k) return 0;
        v->key = k;
        uint8_t(*g)[64] = realloc(v->sig, cap * 64);
        if (!g) return 0;
        v->sig = g;
        v->cap = cap;
    }
    memcpy(v->key[v->n], key, 32);
    memcpy(v->sig[v->n], sig, 64);
    v->n++;
    return 1;
}

static int key_cmp(const void *x, const void *y) { return memcmp(x, y, 32); }

/* The cosignatures held for checkpoint `id` that verify over `h` by hq members other than
 * the writer, ascending by key (at most RONDA_NOTE_SIGS_MAX - 1: a note's room). */
static ronda_err cosigs_of(ronda_store *s, const uint8_t id[32], const ronda_note_head *h, sigvec *v) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT r.envelope, r.signature, r.body FROM cosigns c JOIN records r ON r.id = c.record"
                           " WHERE c.checkpoint = ?1 ORDER BY c.cosigner LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)(4u * RONDA_NOTE_SIGS_MAX)); /* a few cosigns per cosigner at most */
    ronda_err e = RONDA_OK;
    int rc = SQLITE_DONE;
    while (v->n + 1 < RONDA_NOTE_SIGS_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_record rec;
        if (!store_open_row(st, 0, &rec) || rec.kind != RONDA_KIND_COSIGN) continue;
        /* The view only says where to look: the record itself must name this checkpoint. */
        const ronda_cosign *b = &rec.typed.u.cosign;
        int ok = memcmp(b->checkpoint, id, 32) == 0 && memcmp(rec.author, h->writer, 32) != 0 && is_hq(s, rec.author) &&
                 ronda_note_verify(h, rec.author, b->note_sig);
        if (ok && !sigvec_push(v, rec.author, b->note_sig)) {
            e = RONDA_ERR_NOMEM;
            break;
        }
    }
    if (e == RONDA_OK && v->n + 1 < RONDA_NOTE_SIGS_MAX && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    /* ascending by key: sort keys and signatures together */
    for (size_t i = 1; i < v->n; i++)
        for (size_t j = i; j > 0 && key_cmp(v->key[j - 1], v->key[j]) > 0; j--) {
            uint8_t tk[32], ts[64];
            memcpy(tk, v->key[j], 32), memcpy(v->key[j], v->key[j - 1], 32), memcpy(v->key[j - 1], tk, 32);
            memcpy(ts, v->sig[j], 64), memcpy(v->sig[j], v->sig[j - 1], 64), memcpy(v->sig[j - 1], ts, 64);
        }
    return e;
}

ronda_err ronda_store_note(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], char **out, size_t *len,
                           unsigned *cosigners, ronda_detail *d) {
    cp0 c;
    memset(&c, 0, sizeof c);
    int got = newest_cp0(s, writer, &c);
    store_idle(s);
    if (got < 0) return store_dberr(s, d, "checkpoints");
    if (got == 0) {
        set_detail(d, "this writer has no checkpoint in the ledger (`ronda checkpoint` writes one)");
        return RONDA_ERR_NOT_FOUND;
    }
    const ronda_checkpoint *cp = &c.body.b.u.checkpoint;
    uint8_t sig[64]; /* the body goes before the note is written */
    ronda_note_head h;
    ronda_err e = RONDA_OK;
    if (cp->note_sig) memcpy(sig, cp->note_sig, sizeof sig);
    if (!cp->note_sig) {
        set_detail(d,
                   "the newest checkpoint (seq %llu) was written before checkpoint notes: write a new one "
                   "(`ronda checkpoint`)",
                   (unsigned long long)c.seq);
        e = RONDA_ERR_NOT_FOUND;
    } else if ((e = ronda_checkpoint_head(s->authority, writer, c.seq, cp, &h)) != RONDA_OK) {
        set_detail(d, "the newest checkpoint has no size and root");
    } else if (!ronda_note_verify(&h, writer, cp->note_sig)) {
        set_detail(d, "the newest checkpoint's note signature (seq %llu) does not verify: run `ronda audit`",
                   (unsigned long long)c.seq);
        e = RONDA_ERR_TAMPERED;
    }
    sigvec v = {NULL, NULL, 0, 0};
    if (e == RONDA_OK) e = cosigs_of(s, c.id, &h, &v);
    store_idle(s);
    store_body_free(&c.body);
    if (e != RONDA_OK) {
        free(v.key);
        free(v.sig);
        if (ronda_err_is_db(e)) return store_dberr(s, d, "cosignatures");
        return e;
    }
    size_t cap = NOTE_TEXT_MAX + 1 + (v.n + 1) * RONDA_NOTE_LINE_MAX;
    char *buf = malloc(cap);
    if (!buf) {
        free(v.key);
        free(v.sig);
        return RONDA_ERR_NOMEM;
    }
    size_t n = ronda_note_text(&h, buf, cap);
    buf[n++] = '\n';
    int l = sig_line(buf + n, cap - n, h.origin, writer, sig);
    n += (size_t)(l > 0 ? l : 0);
    for (size_t i = 0; i < v.n; i++) {
        char name[RONDA_NOTE_ORIGIN_LEN + 1];
        ronda_note_key_name(s->authority, v.key[i], name);
        l = sig_line(buf + n, cap - n, name, v.key[i], v.sig[i]);
        n += (size_t)(l > 0 ? l : 0);
    }
    buf[n] = '\0';
    free(v.key);
    free(v.sig);
    *out = buf;
    *len = n;
    if (cosigners) *cosigners = (unsigned)v.n;
    return RONDA_OK;
}

/* ------------------------------------------------------------------ cosigning */

/* Whether `cosigner` holds a cosign of checkpoint `id` (the view; the audit checks records). */
static int cosigned(ronda_store *s, const uint8_t id[32], const uint8_t *cosigner, int *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM cosigns WHERE checkpoint = ?1 AND cosigner = ?2 LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK) {
        *err = 1;
        return 0;
    }
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, cosigner, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) *err = 1;
    return rc == SQLITE_ROW;
}

ronda_err ronda_store_cosign_pass(ronda_store *s, const uint8_t secret[RONDA_SECRET_BYTES], uint64_t now_ms,
                                  unsigned max, unsigned *written, ronda_detail *d) {
    const uint8_t *self = secret + 32;
    unsigned done = 0;
    if (written) *written = 0;
    if (!is_hq(s, self)) return RONDA_OK; /* only hq members cosign (proto/record.md §4) */
    /* The other hq members (bounded by the roster), copied out before any write. */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT sign_key FROM members WHERE role = 'hq' ORDER BY sign_key", -1, &st,
                           NULL) != SQLITE_OK)
        return store_dberr(s, d, "roster");
    sigvec hqs = {NULL, NULL, 0, 0};
    static const uint8_t none[64];
    int rc;
    ronda_err e = RONDA_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sqlite3_column_bytes(st, 0) == 32 && memcmp(sqlite3_column_blob(st, 0), self, 32) != 0 &&
            !sigvec_push(&hqs, sqlite3_column_blob(st, 0), none)) {
            e = RONDA_ERR_NOMEM;
            break;
        }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_dberr(s, d, "roster");
    sqlite3_finalize(st);
    for (size_t i = 0; i < hqs.n && e == RONDA_OK && done < max; i++) {
        cp0 c;
        memset(&c, 0, sizeof c);
        int got = newest_cp0(s, hqs.key[i], &c);
        if (got < 0) {
            e = store_dberr(s, d, "checkpoints");
            break;
        }
        if (got == 0) continue;
        const ronda_checkpoint *cp = &c.body.b.u.checkpoint;
        ronda_note_head h;
        int err = 0;
        /* Only a checkpoint with a valid note signature of its writer, not cosigned by us yet. */
        int want = cp->note_sig && ronda_checkpoint_head(s->authority, hqs.key[i], c.seq, cp, &h) == RONDA_OK &&
                   ronda_note_verify(&h, hqs.key[i], cp->note_sig) && !cosigned(s, c.id, self, &err);
        claims cl;
        if (!err && want && (e = check_claims(s, hqs.key[i], c.seq, cp, &cl)) == RONDA_OK && cl.consistent &&
            cl.held == cl.entries && cl.entries > 0) {
            uint8_t mine[64];
            ronda_note_sign(secret, &h, mine);
            ronda_body b;
            memset(&b, 0, sizeof b);
            b.kind = RONDA_KIND_COSIGN;
            b.u.cosign = (ronda_cosign){.seq = {c.seq, 1},
                                        .root = h.root,
                                        .size = {h.size, 1},
                                        .writer = hqs.key[i],
                                        .note_sig = mine,
                                        .checkpoint = c.id};
            uint8_t *bytes = NULL;
            size_t blen = 0;
            e = ronda_body_encode(&b, &bytes, &blen, d);
            if (e == RONDA_OK) e = ronda_store_append(s, secret, RONDA_KIND_COSIGN, bytes, blen, now_ms, NULL, d);
            if (e == RONDA_OK) done++;
            free(bytes);
        } else if (err) {
            e = store_dberr(s, d, "cosignatures");
        }
        store_body_free(&c.body);
        store_idle(s);
    }
    free(hqs.key);
    free(hqs.sig);
    if (written) *written = done;
    return e;
}

/* ------------------------------------------------------------------ when to write one */

static int sum_seqs(void *ctx, const uint8_t *author, uint64_t seq, const uint8_t *head) {
    (void)author;
    (void)head;
    *(uint64_t *)ctx += seq;
    return 0;
}

ronda_err ronda_store_checkpoint_fresh(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], int *fresh) {
    cp0 c;
    memset(&c, 0, sizeof c);
    int got = newest_cp0(s, writer, &c);
    store_idle(s);
    if (got < 0) return RONDA_ERR_DB;
    if (got == 0) {
        *fresh = 0;
        return RONDA_OK;
    }
    uint64_t records = c.body.b.u.checkpoint.records.v;
    uint64_t parts = c.body.b.u.checkpoint.parts.v;
    store_body_free(&c.body);
    uint64_t sum = 0;
    ronda_err e = ronda_store_frontier(s, sum_seqs, &sum);
    store_idle(s);
    if (e != RONDA_OK) return e;
    *fresh = records + parts == sum;
    return RONDA_OK;
}

ronda_err ronda_store_marks(ronda_store *s, int64_t *content, int64_t *any) {
    static const char *const sql[2] = {
        "SELECT rowid FROM records WHERE kind NOT IN ('checkpoint', 'cosign') ORDER BY rowid DESC LIMIT 1",
        "SELECT rowid FROM records ORDER BY rowid DESC LIMIT 1"};
    int64_t v[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK) return store_fail(s, 0);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) v[i] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, rc);
    }
    *content = v[0];
    *any = v[1];
    return RONDA_OK;
}

/* ------------------------------------------------------------------ ages (audit warning) */

ronda_err ronda_store_checkpoint_ages(ronda_store *s, uint64_t *newest_ms,
                                      int (*cb)(void *ctx, const ronda_checkpoint_age *age), void *ctx) {
    sqlite3_stmt *st;
    uint64_t newest = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT max(hlc) FROM heads", -1, &st, NULL) != SQLITE_OK) return store_fail(s, 0);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) newest = ronda_hlc_ms((uint64_t)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return store_fail(s, rc);
    *newest_ms = newest; /* before the callbacks: they measure ages against it */
    sigvec hqs = {NULL, NULL, 0, 0};
    static const uint8_t none[64];
    if (sqlite3_prepare_v2(s->db,
                           "SELECT DISTINCT m.sign_key FROM members m WHERE m.role = 'hq'"
                           " AND EXISTS (SELECT 1 FROM records r WHERE r.author = m.sign_key) ORDER BY m.sign_key",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    ronda_err e = RONDA_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sqlite3_column_bytes(st, 0) == 32 && !sigvec_push(&hqs, sqlite3_column_blob(st, 0), none)) {
            e = RONDA_ERR_NOMEM;
            break;
        }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    for (size_t i = 0; i < hqs.n && e == RONDA_OK; i++) {
        ronda_checkpoint_age a;
        memset(&a, 0, sizeof a);
        memcpy(a.writer, hqs.key[i], 32);
        cp0 c;
        memset(&c, 0, sizeof c);
        int got = newest_cp0(s, hqs.key[i], &c);
        if (got < 0) {
            e = RONDA_ERR_DB;
            break;
        }
        if (got) {
            a.has = 1;
            memcpy(a.id, c.id, 32);
            a.seq = c.seq;
            a.signed_ms = ronda_hlc_ms(c.hlc);
            if (sqlite3_prepare_v2(s->db, "SELECT count(DISTINCT cosigner) FROM cosigns WHERE checkpoint = ?1", -1, &st,
                                   NULL) == SQLITE_OK) {
                sqlite3_bind_blob(st, 1, c.id, 32, SQLITE_STATIC);
                if (sqlite3_step(st) == SQLITE_ROW) a.cosigners = (uint64_t)sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
            }
            store_body_free(&c.body);
        }
        if (cb(ctx, &a)) break;
    }
    free(hqs.key);
    free(hqs.sig);
    store_idle(s);
    return e;
}

/* ------------------------------------------------------------------ checking a kept note */

static void finding(void (*cb)(void *, const ronda_finding *), void *ctx, ronda_finding_kind kind, ronda_err err,
                    const uint8_t *id, const uint8_t *author, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static void finding(void (*cb)(void *, const ronda_finding *), void *ctx, ronda_finding_kind kind, ronda_err err,
                    const uint8_t *id, const uint8_t *author, uint64_t seq, const char *fmt, ...) {
    ronda_finding f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.what = ronda_finding_kind_name(kind);
    f.err = err;
    if (id) memcpy(f.id, id, 32);
    if (author) memcpy(f.author, author, 32);
    f.seq = seq;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f.detail, sizeof f.detail, fmt, ap);
    va_end(ap);
    if (cb) cb(ctx, &f);
}

ronda_err ronda_store_check_note(ronda_store *s, const char *text, size_t len,
                                 void (*cb)(void *ctx, const ronda_finding *f), void *ctx, ronda_note_check *out) {
    ronda_note_check r;
    memset(&r, 0, sizeof r);
    ronda_note *n = malloc(sizeof *n);
    if (!n) return RONDA_ERR_NOMEM;
    ronda_detail d = {{0}};
    ronda_err pe = ronda_note_parse(text, len, n, &d);
    if (pe != RONDA_OK) {
        finding(cb, ctx, RONDA_FINDING_NOTE, pe, NULL, NULL, 0, "the note cannot be read: %s", d.text);
        free(n);
        *out = r;
        return RONDA_OK;
    }
    r.parsed = 1;
    r.head = n->head;
    const uint8_t *w = n->head.writer;
    char ahex[65];
    ronda_hex(s->authority, 32, ahex);
    ronda_err e = RONDA_OK;
    if (memcmp(n->authority_prefix, ahex, 16) != 0) {
        finding(cb, ctx, RONDA_FINDING_NOTE, RONDA_ERR_INVALID, NULL, w, n->head.seq,
                "the note is of another network (origin authority %.16s, this ledger's %.16s)", n->authority_prefix,
                ahex);
        goto done;
    }
    /* Signatures: this network's key names only; another name is some other log's witness. */
    int writer_hq = is_hq(s, w);
    for (size_t i = 0; i < n->n_sigs; i++) {
        const ronda_note_sig *g = &n->sigs[i];
        uint8_t key[32];
        char kn[RONDA_NOTE_ORIGIN_LEN + 1];
        if (strlen(g->name) != RONDA_NOTE_ORIGIN_LEN || memcmp(g->name, "ronda/", 6) != 0 ||
            memcmp(g->name + 6, ahex, 16) != 0 || g->name[22] != '/' ||
            ronda_unhex(g->name + 23, key, 32) != RONDA_OK) {
            r.other_sigs++;
            continue;
        }
        ronda_note_key_name(s->authority, key, kn);
        uint8_t kid[4];
        ronda_note_key_id(kn, key, kid);
        int is_writer = memcmp(key, w, 32) == 0;
        char who[17];
        ronda_hex(key, 8, who);
        if (strcmp(kn, g->name) != 0 || memcmp(kid, g->key_id, 4) != 0 || !g->ed25519) {
            finding(cb, ctx, RONDA_FINDING_NOTE, RONDA_ERR_SIGNATURE, NULL, key, n->head.seq,
                    "signature line %zu (key %s): its key id or form is not an Ed25519 signature of that key", i + 1,
                    who);
        } else if (!ronda_note_verify(&n->head, key, g->sig)) {
            finding(cb, ctx, RONDA_FINDING_NOTE, RONDA_ERR_SIGNATURE, NULL, key, n->head.seq,
                    "signature line %zu (key %s) does not verify over the note's text", i + 1, who);
        } else if (!is_hq(s, key)) {
            finding(cb, ctx, RONDA_FINDING_NOTE, RONDA_ERR_ROLE, NULL, key, n->head.seq,
                    "signature line %zu: key %s is no hq member of this ledger's roster", i + 1, who);
        } else if (is_writer) {
            r.writer_signed = writer_hq;
        } else {
            r.cosigners++;
        }
    }
    if (!r.writer_signed)
        finding(cb, ctx, RONDA_FINDING_NOTE, RONDA_ERR_SIGNATURE, NULL, w, n->head.seq,
                "the note carries no valid signature of its writer (an hq member): it proves nothing");
    /* The ledger: the checkpoint the note names, and every record that named. */
    ronda_kind k = RONDA_KIND_NONE;
    uint8_t id[32];
    uint64_t hlc = 0;
    store_body b = {NULL, {0}};
    int got = record_at(s, w, n->head.seq, &k, id, &hlc, &b);
    if (got < 0) {
        e = RONDA_ERR_DB;
        goto done;
    }
    if (!got) {
        uint64_t top = 0;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "SELECT max(seq) FROM records WHERE author = ?1", -1, &st, NULL) != SQLITE_OK) {
            e = store_fail(s, 0);
            goto done;
        }
        sqlite3_bind_blob(st, 1, w, 32, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) top = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) {
            e = store_fail(s, rc);
            goto done;
        }
        finding(cb, ctx, RONDA_FINDING_TRUNCATED, RONDA_ERR_NOT_FOUND, NULL, w, n->head.seq,
                "the note names the writer's checkpoint at seq %llu (log size %llu); this ledger holds the writer's "
                "chain up to seq %llu%s: records were removed after the note was signed",
                (unsigned long long)n->head.seq, (unsigned long long)n->head.size, (unsigned long long)top,
                top >= n->head.seq ? " but that seq does not verify" : "");
        goto done;
    }
    ronda_note_head held;
    if (k != RONDA_KIND_CHECKPOINT || b.b.u.checkpoint.part.v != 0 ||
        ronda_checkpoint_head(s->authority, w, n->head.seq, &b.b.u.checkpoint, &held) != RONDA_OK) {
        finding(cb, ctx, RONDA_FINDING_REWRITTEN, RONDA_ERR_CHAIN, id, w, n->head.seq,
                "the note names a checkpoint at the writer's seq %llu; this ledger holds a %s record there",
                (unsigned long long)n->head.seq, ronda_kind_name(k) ? ronda_kind_name(k) : "?");
    } else if (held.size != n->head.size || sodium_memcmp(held.root, n->head.root, 32) != 0) {
        finding(cb, ctx, RONDA_FINDING_REWRITTEN, RONDA_ERR_CHAIN, id, w, n->head.seq,
                "the writer's checkpoint at seq %llu says size %llu and another root; the note says size %llu: "
                "the writer's history was rewritten",
                (unsigned long long)n->head.seq, (unsigned long long)held.size, (unsigned long long)n->head.size);
    } else {
        claims cl;
        if ((e = check_claims(s, w, n->head.seq, &b.b.u.checkpoint, &cl)) != RONDA_OK) goto done_b;
        r.claims = cl.entries;
        r.claims_held = cl.held;
        if (cl.parts_held < cl.parts || cl.held + cl.other < cl.entries)
            finding(cb, ctx, RONDA_FINDING_TRUNCATED, RONDA_ERR_NOT_FOUND, id, w, n->head.seq,
                    "the checkpoint the note names is held, but %u of its %u parts and %llu of the %llu records it "
                    "names are not: records were removed after the note was signed",
                    cl.parts - cl.parts_held, cl.parts, (unsigned long long)(cl.entries - cl.held - cl.other),
                    (unsigned long long)cl.entries);
        if (cl.other)
            finding(cb, ctx, RONDA_FINDING_REWRITTEN, RONDA_ERR_CHAIN, id, w, n->head.seq,
                    "%llu record(s) the checkpoint the note names are held under other ids: those chains were "
                    "rewritten (fork evidence)",
                    (unsigned long long)cl.other);
    }
done_b:
    store_body_free(&b);
done:
    store_idle(s);
    free(n);
    if (e != RONDA_OK) return e;
    *out = r;
    return RONDA_OK;
}
