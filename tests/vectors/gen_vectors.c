/* ronda-vectors: print the test vectors of proto/record.md §7 as JSON on stdout.
 *
 * Everything is fixed: Ed25519 key pairs come from seeds that are BLAKE2b-256 of a label,
 * the HLC values are constants, and Ed25519 signatures are deterministic, so the output is
 * the same byte for byte on every run and machine. The `vectors_stable` test diffs it
 * against the checked-in proto/vectors.json; tests/independent/ronda_verify.py --vectors
 * re-derives every byte of it with other implementations.
 *
 * The seven records form one small, valid ledger in causal order:
 *   authority seq 1  member      admits Polsek Durenan (Polres Trenggalek)
 *   member    seq 1  dialogue    a Candu Kamtibmas evening in Desa Kamulan
 *   member    seq 2  resolution  topic 1 of that dialogue, referred to the Dishub
 *   member    seq 3  amend       corrects the dialogue's participant count
 *   authority seq 2  revoke      withdraws the node's key after its seq 3
 *   authority seq 3  member      admits Polres Trenggalek's HQ node (role hq)
 *   hq        seq 1  checkpoint  the HQ signs the frontier it holds: the authority at seq 3,
 *                                the node at seq 3; 6 records and their ledger digest */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ronda/ronda.h"

/* Unix ms of local times in WIB (+07:00). */
#define MS_VALID_FROM 1761930000000ull  /* 2025-11-01T00:00:00+07:00 */
#define MS_VALID_UNTIL 1793466000000ull /* 2026-11-01T00:00:00+07:00 */
#define MS_MEMBER 1761958800000ull      /* 2025-11-01T08:00:00+07:00 */
#define MS_DIALOGUE 1763647500000ull    /* 2025-11-20T21:05:00+07:00 */
#define MS_RESOLUTION 1763954100000ull  /* 2025-11-24T10:15:00+07:00 */
#define MS_AMEND 1764036000000ull       /* 2025-11-25T09:00:00+07:00 */
#define MS_REVOKE 1764554400000ull      /* 2025-12-01T09:00:00+07:00 */
#define MS_HQ_MEMBER 1764558000000ull   /* 2025-12-01T10:00:00+07:00 */
#define MS_CHECKPOINT 1764561600000ull  /* 2025-12-01T11:00:00+07:00 */

typedef struct key {
    const char *label; /* the seed is BLAKE2b-256 of this */
    uint8_t seed[32];
    uint8_t pk[RONDA_KEY_BYTES];
    uint8_t sk[RONDA_SECRET_BYTES];
    uint64_t seq;                 /* last seq written */
    uint8_t last[RONDA_ID_BYTES]; /* id of the last record written */
} key;

static void die(const char *what, ronda_err e, const ronda_detail *d) {
    fprintf(stderr, "ronda-vectors: %s: %s%s%s\n", what, ronda_strerror(e), d && d->text[0] ? ": " : "",
            d ? d->text : "");
    exit(1);
}

static void key_make(key *k, const char *label) {
    k->label = label;
    crypto_generichash(k->seed, sizeof k->seed, (const uint8_t *)label, strlen(label), NULL, 0);
    crypto_sign_seed_keypair(k->pk, k->sk, k->seed);
    k->seq = 0;
}

static json_t *hexj(const uint8_t *b, size_t n) {
    char *h = malloc(2 * n + 1);
    if (!h) die("hex", RONDA_ERR_NOMEM, NULL);
    ronda_hex(b, n, h);
    json_t *j = json_string(h);
    free(h);
    return j;
}

/* Seal the next record of `k`'s chain, append its vector to `out` and return its id. */
static void emit(json_t *out, const char *name, key *k, ronda_kind kind, uint64_t ms, uint16_t counter, json_t *body,
                 uint8_t id_out[RONDA_ID_BYTES]) {
    ronda_detail d = {{0}};
    uint8_t *b = NULL, *rec_bytes = NULL;
    size_t blen = 0, rlen = 0;
    ronda_err e;
    if ((e = ronda_body_from_json(kind, body, &b, &blen, &d)) != RONDA_OK) die(name, e, &d);
    uint64_t seq = k->seq + 1, hlc = ms << RONDA_HLC_COUNTER_BITS | counter;
    if ((e = ronda_record_seal(k->sk, seq, seq > 1 ? k->last : NULL, hlc, kind, b, blen, &rec_bytes, &rlen)) !=
        RONDA_OK)
        die(name, e, NULL);
    ronda_record rec;
    if ((e = ronda_record_open(rec_bytes, rlen, &rec, &d)) != RONDA_OK) die(name, e, &d);

    json_t *v = json_object();
    json_object_set_new(v, "name", json_string(name));
    json_object_set_new(v, "kind", json_string(ronda_kind_name(kind)));
    json_object_set_new(v, "signer", json_string(k->label));
    json_object_set_new(v, "seed", hexj(k->seed, sizeof k->seed));
    json_object_set_new(v, "public_key", hexj(k->pk, sizeof k->pk));
    json_object_set_new(v, "seq", json_integer((json_int_t)seq));
    json_object_set_new(v, "prev", seq > 1 ? hexj(k->last, RONDA_ID_BYTES) : json_null());
    json_object_set_new(v, "hlc", json_integer((json_int_t)hlc));
    json_object_set_new(v, "hlc_ms", json_integer((json_int_t)ms));
    json_object_set_new(v, "hlc_counter", json_integer(counter));
    json_object_set_new(v, "body", json_incref(body));
    json_object_set_new(v, "body_hex", hexj(b, blen));
    json_object_set_new(v, "body_hash", hexj(rec.body_hash, RONDA_HASH_BYTES));
    json_object_set_new(v, "envelope", hexj(rec.envelope, rec.envelope_len));
    json_object_set_new(v, "signature", hexj(rec.signature, RONDA_SIG_BYTES));
    json_object_set_new(v, "id", hexj(rec.id, RONDA_ID_BYTES));
    json_object_set_new(v, "record", hexj(rec_bytes, rlen));
    json_array_append_new(out, v);

    k->seq = seq;
    memcpy(k->last, rec.id, RONDA_ID_BYTES);
    if (id_out) memcpy(id_out, rec.id, RONDA_ID_BYTES);
    free(b);
    free(rec_bytes);
}

/* The dialogue body; `participants` differs between the original and the amend. */
static json_t *dialogue_body(int participants) {
    json_t *topics = json_array();
    json_array_append_new(topics, json_pack("{s:s, s:s}", "summary",
                                            "Pemuda berkumpul dan minum minuman keras di pos ronda hingga larut "
                                            "malam",
                                            "category", "social_problem"));
    json_array_append_new(topics, json_pack("{s:s, s:s}", "summary",
                                            "Lampu penerangan jalan di jalur Durenan\xe2\x80\x93"
                                            "Bandung padam, rawan kecelakaan dan penjambretan",
                                            "category", "vulnerable_area"));
    json_array_append_new(topics, json_pack("{s:s, s:s}", "summary",
                                            "Warga meminta patroli malam ditambah menjelang panen cengkeh", "category",
                                            "aspiration"));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:[s,s], s:[s,s], s:s, s:i, s:[s,s,s]}", "when",
                     "2025-11-20T19:30:00+07:00", "title", "Candu Kamtibmas bersama warga Desa Kamulan", "venue",
                     "Warung kopi Pak Slamet, Dusun Krajan", "polres", "Trenggalek", "polsek", "Durenan", "topics",
                     topics, "village", "Kamulan", "messages",
                     "Laporkan gangguan kamtibmas lewat layanan Polri 110, gratis 24 jam",
                     "Hidupkan kembali siskamling di setiap RT", "officers", "Kapolsek Durenan",
                     "Bhabinkamtibmas Desa Kamulan", "programme", "candu", "participants", participants, "stakeholders",
                     "Pemerintah Desa Kamulan", "Karang Taruna", "Babinsa Koramil Durenan");
}

/* --tree: the Merkle tree vectors of proto/tree.md (proto/tree-vectors.json): the eight
 * reference leaves of Certificate Transparency, the root of each prefix, every inclusion
 * proof and every consistency proof of those trees. */
static int tree_vectors(void) {
    static const char *const data[8] = {
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
    ronda_tree_hash leaves[8], root, path[RONDA_TREE_PROOF_MAX];
    json_t *lj = json_array(), *roots = json_array(), *inc = json_array(), *con = json_array();
    for (int i = 0; i < 8; i++) {
        uint8_t b[16];
        size_t n = strlen(data[i]) / 2;
        if (n && ronda_unhex(data[i], b, n) != RONDA_OK) die("hex", RONDA_ERR_INVALID, NULL);
        ronda_tree_leaf_hash(b, n, &leaves[i]);
        json_array_append_new(lj, json_pack("{s:s, s:o}", "data", data[i], "hash", hexj(leaves[i].b, 32)));
    }
    for (uint64_t n = 0; n <= 8; n++) {
        ronda_tree_root(leaves, n, &root);
        json_array_append_new(roots, json_pack("{s:I, s:o}", "size", (json_int_t)n, "root", hexj(root.b, 32)));
    }
    for (uint64_t n = 1; n <= 8; n++)
        for (uint64_t i = 0; i < n; i++) {
            unsigned len;
            if (ronda_tree_inclusion_proof(leaves, n, i, path, &len) != RONDA_OK) die("path", RONDA_ERR_INVALID, NULL);
            json_t *p = json_array();
            for (unsigned k = 0; k < len; k++) json_array_append_new(p, hexj(path[k].b, 32));
            json_array_append_new(
                inc, json_pack("{s:I, s:I, s:o}", "index", (json_int_t)i, "size", (json_int_t)n, "path", p));
        }
    for (uint64_t n = 1; n <= 8; n++)
        for (uint64_t m = 1; m <= n; m++) {
            unsigned len;
            if (ronda_tree_consistency_proof(leaves, n, m, path, &len) != RONDA_OK)
                die("proof", RONDA_ERR_INVALID, NULL);
            json_t *p = json_array();
            for (unsigned k = 0; k < len; k++) json_array_append_new(p, hexj(path[k].b, 32));
            json_array_append_new(
                con, json_pack("{s:I, s:I, s:o}", "old_size", (json_int_t)m, "new_size", (json_int_t)n, "path", p));
        }
    json_t *doc = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "format", "ronda tree vectors, proto/tree.md v1", "about",
                            "RFC 6962 trees (SHA-256) over the Certificate Transparency reference leaves: leaf "
                            "hashes, the root of every prefix, every inclusion proof and every consistency proof.",
                            "leaves", lj, "roots", roots, "inclusion", inc, "consistency", con);
    if (!doc) die("json", RONDA_ERR_NOMEM, NULL);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) die("json", RONDA_ERR_NOMEM, NULL);
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    json_decref(doc);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (ronda_init() != RONDA_OK) die("init", RONDA_ERR_INVALID, NULL);
    if (argc > 1 && strcmp(argv[1], "--tree") == 0) return tree_vectors();
    key authority, node;
    key_make(&authority, "ronda test vectors: authority (Polda Jawa Timur)");
    key_make(&node, "ronda test vectors: node (Polsek Durenan)");
    uint8_t curve[RONDA_KEY_BYTES];
    if (crypto_sign_ed25519_pk_to_curve25519(curve, node.pk) != 0) die("curve key", RONDA_ERR_KEY, NULL);

    json_t *vectors = json_array();
    uint8_t dialogue_id[RONDA_ID_BYTES], amend_id[RONDA_ID_BYTES];

    json_t *member =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I}", "name", "Polsek Durenan", "role", "precinct",
                  "polres", "Trenggalek", "polsek", "Durenan", "endpoint", "tcp://10.35.3.12:7400", "sign_key",
                  hexj(node.pk, sizeof node.pk), "curve_key", hexj(curve, sizeof curve), "valid_from",
                  (json_int_t)MS_VALID_FROM, "valid_until", (json_int_t)MS_VALID_UNTIL);
    emit(vectors, "member", &authority, RONDA_KIND_MEMBER, MS_MEMBER, 0, member, NULL);

    json_t *dialogue = dialogue_body(40);
    emit(vectors, "dialogue", &node, RONDA_KIND_DIALOGUE, MS_DIALOGUE, 0, dialogue, dialogue_id);

    json_t *resolution =
        json_pack("{s:s, s:i, s:s, s:s, s:o, s:s}", "when", "2025-11-24T10:00:00+07:00", "topic", 1, "action",
                  "Dilaporkan ke Dinas Perhubungan; tiga lampu jalan diganti dan ruas itu masuk "
                  "rute patroli malam",
                  "status", "referred", "dialogue", hexj(dialogue_id, RONDA_ID_BYTES), "referred_to",
                  "Dinas Perhubungan Kabupaten Trenggalek");
    emit(vectors, "resolution", &node, RONDA_KIND_RESOLUTION, MS_RESOLUTION, 1, resolution, NULL);

    json_t *amend = json_pack("{s:o, s:s, s:s, s:o}", "body", dialogue_body(45), "kind", "dialogue", "reason",
                              "Jumlah peserta dikoreksi menurut daftar hadir: 45 orang", "target",
                              hexj(dialogue_id, RONDA_ID_BYTES));
    emit(vectors, "amend", &node, RONDA_KIND_AMEND, MS_AMEND, 0, amend, amend_id);

    json_t *revoke = json_pack("{s:o, s:s, s:o, s:i}", "member", hexj(node.pk, sizeof node.pk), "reason",
                               "Perangkat node Polsek Durenan diganti; kunci lama ditarik", "last_id",
                               hexj(amend_id, RONDA_ID_BYTES), "last_seq", 3);
    emit(vectors, "revoke", &authority, RONDA_KIND_REVOKE, MS_REVOKE, 0, revoke, NULL);

    key hq;
    key_make(&hq, "ronda test vectors: hq (Polres Trenggalek)");
    uint8_t hq_curve[RONDA_KEY_BYTES];
    if (crypto_sign_ed25519_pk_to_curve25519(hq_curve, hq.pk) != 0) die("curve key", RONDA_ERR_KEY, NULL);
    json_t *hq_member = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I}", "name", "Polres Trenggalek HQ", "role",
                                  "hq", "polres", "Trenggalek", "endpoint", "tcp://10.35.0.2:7400", "sign_key",
                                  hexj(hq.pk, sizeof hq.pk), "curve_key", hexj(hq_curve, sizeof hq_curve), "valid_from",
                                  (json_int_t)MS_VALID_FROM, "valid_until", (json_int_t)MS_VALID_UNTIL);
    emit(vectors, "member_hq", &authority, RONDA_KIND_MEMBER, MS_HQ_MEMBER, 0, hq_member, NULL);

    /* The checkpoint: the frontier ascending by author key, its digest (proto/record.md §6). */
    const key *heads[2] = {&authority, &node};
    if (memcmp(authority.pk, node.pk, RONDA_KEY_BYTES) > 0) {
        heads[0] = &node;
        heads[1] = &authority;
    }
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, RONDA_HASH_BYTES);
    crypto_generichash_update(&h, (const uint8_t *)"ronda-ledger-v1", 15);
    json_t *frontier = json_array();
    for (int i = 0; i < 2; i++) {
        uint8_t entry[32 + 8 + 32];
        memcpy(entry, heads[i]->pk, 32);
        for (int b = 0; b < 8; b++) entry[32 + b] = (uint8_t)(heads[i]->seq >> (56 - 8 * b));
        memcpy(entry + 40, heads[i]->last, 32);
        crypto_generichash_update(&h, entry, sizeof entry);
        json_array_append_new(frontier, json_pack("{s:I, s:o, s:o}", "seq", (json_int_t)heads[i]->seq, "head",
                                                  hexj(heads[i]->last, RONDA_ID_BYTES), "author",
                                                  hexj(heads[i]->pk, RONDA_KEY_BYTES)));
    }
    uint8_t digest[RONDA_HASH_BYTES];
    crypto_generichash_final(&h, digest, sizeof digest);
    json_t *checkpoint =
        json_pack("{s:i, s:i, s:o, s:I, s:o}", "part", 0, "parts", 1, "digest", hexj(digest, sizeof digest), "records",
                  (json_int_t)(authority.seq + node.seq), "frontier", frontier);
    emit(vectors, "checkpoint", &hq, RONDA_KIND_CHECKPOINT, MS_CHECKPOINT, 0, checkpoint, NULL);

    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:{s:s, s:o, s:o}, s:o}", "format", "ronda test vectors, record format v1", "about",
                  "One valid ledger of seven records, in causal order. Seeds are BLAKE2b-256 of the "
                  "signer label. Bodies are given as JSON (ids and keys as lower-case hex) and as "
                  "canonical msgpack; hlc = hlc_ms << 16 | hlc_counter. See proto/record.md.",
                  "sign_tag", RONDA_SIGN_TAG, "authority", "signer", authority.label, "seed",
                  hexj(authority.seed, sizeof authority.seed), "public_key", hexj(authority.pk, sizeof authority.pk),
                  "vectors", vectors);
    if (!doc) die("json", RONDA_ERR_NOMEM, NULL);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) die("json", RONDA_ERR_NOMEM, NULL);
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    json_decref(member);
    json_decref(dialogue);
    json_decref(resolution);
    json_decref(amend);
    json_decref(revoke);
    json_decref(hq_member);
    json_decref(checkpoint);
    json_decref(doc);
    return fflush(stdout) == 0 ? 0 : 1;
}
