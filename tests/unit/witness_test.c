/* Witnesses (proto/note.md, proto/record.md §4 cosign): the note's text, key names and key
 * ids against a vector computed independently (Python hashlib and nacl from the spec's
 * words), the strict parser, the one function that gives a checkpoint's note head, and in a
 * store: the note a ledger gives, cosigning (once per checkpoint), the audit of cosigns and
 * the check of a kept note. */
#include "fixtures.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static fx_key M1, HQ, HQ2;

/* Independently computed (Python: nacl.signing.SigningKey(bytes(range(1, 33))),
 * hashlib.sha256(name + b"\n\x01" + pk)[:4], base64.b64encode), for authority 32 x 0xaa,
 * size 1234, root 32 x 0x42, seq 7. */
static const char KAT_PK[] = "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664";
static const char KAT_KEY_ID[] = "a103f6c4";
static const char KAT_NOTE[] =
    "ronda/aaaaaaaaaaaaaaaa/79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664\n"
    "1234\n"
    "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n"
    "ronda-checkpoint 7\n"
    "\n"
    "\xe2\x80\x94 ronda/aaaaaaaaaaaaaaaa/79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664 "
    "oQP2xNFxU6osKTy/2debb02EOl+b/GdTJVMsUpv5yQ1jiV8hu2hpu1VbgFNLG6tQFQpYxLFl7DIB3AFnFEgRs4vyRQs=\n";

static void kat_key(uint8_t pk[32], uint8_t sk[64]) {
    uint8_t seed[32];
    for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(i + 1);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

static void test_vector(void **state) {
    (void)state;
    uint8_t pk[32], sk[64], auth[32], kid[4];
    kat_key(pk, sk);
    char hex[65];
    ronda_hex(pk, 32, hex);
    assert_string_equal(hex, KAT_PK);
    memset(auth, 0xaa, 32);
    uint8_t digest[32];
    memset(digest, 0x42, 32);
    ronda_checkpoint body = {.records = {1234, 1}, .digest = digest};
    ronda_note_head h;
    assert_ok(ronda_checkpoint_head(auth, pk, 7, &body, &h));
    char text[512];
    size_t n = ronda_note_text(&h, text, sizeof text);
    const char *blank = strstr(KAT_NOTE, "\n\n");
    assert_int_equal(n, (size_t)(blank - KAT_NOTE) + 1);
    assert_memory_equal(text, KAT_NOTE, n);
    ronda_note_key_id(h.origin, pk, kid);
    ronda_hex(kid, 4, hex);
    assert_string_equal(hex, KAT_KEY_ID);
    /* Ed25519 is deterministic: our signature is the vector's. */
    uint8_t sig[64];
    ronda_note_sign(sk, &h, sig);
    ronda_note *p = malloc(sizeof *p);
    ronda_detail d = {{0}};
    assert_ok(ronda_note_parse(KAT_NOTE, strlen(KAT_NOTE), p, &d));
    assert_int_equal(p->n_sigs, 1);
    assert_true(p->sigs[0].ed25519);
    assert_memory_equal(p->sigs[0].key_id, kid, 4);
    assert_memory_equal(p->sigs[0].sig, sig, 64);
    assert_string_equal(p->sigs[0].name, h.origin);
    assert_int_equal(p->head.size, 1234);
    assert_int_equal(p->head.seq, 7);
    assert_memory_equal(p->head.writer, pk, 32);
    assert_memory_equal(p->head.root, h.root, 32);
    assert_true(ronda_note_verify(&p->head, pk, p->sigs[0].sig));
    p->head.size++; /* the signature covers every line */
    assert_false(ronda_note_verify(&p->head, pk, p->sigs[0].sig));
    free(p);
}

/* Part 0's tree keys win over the ledger digest: the one place notes would change. */
static void test_head_keys(void **state) {
    (void)state;
    uint8_t k[32] = {1}, a[32] = {2};
    ronda_note_head h;
    uint8_t digest[32], root[32];
    memset(digest, 0x11, 32);
    memset(root, 0x22, 32);
    ronda_checkpoint b = {.records = {5, 1}, .digest = digest, .size = {9, 1}, .root = root};
    assert_ok(ronda_checkpoint_head(a, k, 3, &b, &h));
    assert_int_equal(h.size, 9);
    assert_int_equal(h.root[0], 0x22);
    b.size = (ronda_uint){0, 0};
    b.root = NULL;
    assert_ok(ronda_checkpoint_head(a, k, 3, &b, &h));
    assert_int_equal(h.size, 5);
    assert_int_equal(h.root[0], 0x11);
    b.digest = NULL;
    assert_err(ronda_checkpoint_head(a, k, 3, &b, &h), RONDA_ERR_SCHEMA);
}

/* Replace the first `from` in the vector by `to`; parse must refuse it. */
static void refuse(const char *from, const char *to) {
    const char *at = strstr(KAT_NOTE, from);
    assert_non_null(at);
    char buf[2048];
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - KAT_NOTE), KAT_NOTE, to, at + strlen(from));
    ronda_note *p = malloc(sizeof *p);
    ronda_detail d = {{0}};
    ronda_err e = ronda_note_parse(buf, strlen(buf), p, &d);
    free(p);
    if (e == RONDA_OK) fail_msg("accepted a note with \"%s\" for \"%s\"", to, from);
    assert_true(d.text[0] != '\0');
}

static void test_parse_strict(void **state) {
    (void)state;
    refuse("1234\n", "01234\n");                                   /* leading zero */
    refuse("1234\n", "-1234\n");                                   /* sign */
    refuse("1234\n", "12345678901234567890\n");                    /* above 2^63 */
    refuse("QkI=\n", "QkJ=\n");                                    /* non-canonical base64 bits */
    refuse("QkI=\n", "QkI\n");                                     /* unpadded */
    refuse("ronda-checkpoint 7\n", "ronda-checkpoint 0\n");        /* seq 0 */
    refuse("ronda-checkpoint 7\n", "ronda-checkpoint 7\nextra\n"); /* a fifth body line */
    refuse("\n\n", "\n");                                          /* no blank line */
    refuse("1234\n", "1234\r\n");                                  /* CR */
    refuse("ronda/aaaa", "ronda/AAAA");                            /* upper-case hex origin */
    refuse("\xe2\x80\x94 ", "- ");                                 /* not an em dash */
    refuse("RQs=\n", "RQs=");                                      /* no final newline */
    refuse("oQP2", "o QP2");                                       /* a space in the signature */
    /* no signature line at all */
    const char *blank = strstr(KAT_NOTE, "\n\n");
    ronda_note *p = malloc(sizeof *p);
    ronda_detail d = {{0}};
    assert_err(ronda_note_parse(KAT_NOTE, (size_t)(blank - KAT_NOTE) + 2, p, &d), RONDA_ERR_MALFORMED);
    /* too large: refused before it is read */
    char *big = malloc(RONDA_NOTE_MAX + 2);
    memset(big, 'a', RONDA_NOTE_MAX + 1);
    big[RONDA_NOTE_MAX + 1] = '\n';
    assert_err(ronda_note_parse(big, RONDA_NOTE_MAX + 2, p, &d), RONDA_ERR_TOO_BIG);
    free(big);
    free(p);
}

typedef struct seen {
    char what[2048];
    unsigned n;
} seen;

static void on_finding(void *ctx, const ronda_finding *f) {
    seen *s = ctx;
    size_t l = strlen(s->what);
    snprintf(s->what + l, sizeof s->what - l, "%s ", f->what);
    s->n++;
}

static seen audit(ronda_store *s, ronda_audit_summary *sum) {
    seen got;
    memset(&got, 0, sizeof got);
    assert_ok(ronda_store_audit(s, 1, on_finding, NULL, &got, sum));
    return got;
}

static seen check_note(ronda_store *s, const char *text, ronda_note_check *nc) {
    seen got;
    memset(&got, 0, sizeof got);
    assert_ok(ronda_store_check_note(s, text, strlen(text), on_finding, &got, nc));
    return got;
}

/* A ledger with two HQs: HQ's checkpoint gives a note; HQ2 cosigns it once; the note then
 * carries both signatures, the audit checks the cosign, and the kept note passes. */
static void test_cosign_and_note(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ2, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Jalan"), NULL));
    char *text = NULL;
    size_t len = 0;
    unsigned cos = 9;
    ronda_detail d = {{0}};
    assert_err(ronda_store_note(w->s, HQ.pk, &text, &len, &cos, &d), RONDA_ERR_NOT_FOUND);
    uint8_t id[32];
    unsigned parts = 0;
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), id, &parts, &d));
    assert_ok(ronda_store_note(w->s, HQ.pk, &text, &len, &cos, &d));
    assert_int_equal(cos, 0);
    assert_int_equal(strlen(text), len);
    /* the precinct cannot cosign; HQ does not cosign itself; HQ2 cosigns once */
    unsigned wrote = 9;
    assert_ok(ronda_store_cosign_pass(w->s, M1.sk, fx_now(w), 16, &wrote, &d));
    assert_int_equal(wrote, 0);
    assert_ok(ronda_store_cosign_pass(w->s, HQ.sk, fx_now(w), 16, &wrote, &d));
    assert_int_equal(wrote, 0);
    assert_ok(ronda_store_cosign_pass(w->s, HQ2.sk, fx_now(w), 16, &wrote, &d));
    assert_int_equal(wrote, 1);
    assert_ok(ronda_store_cosign_pass(w->s, HQ2.sk, fx_now(w), 16, &wrote, &d));
    assert_int_equal(wrote, 0); /* at most one cosign per checkpoint per cosigner */
    free(text);
    assert_ok(ronda_store_note(w->s, HQ.pk, &text, &len, &cos, &d));
    assert_int_equal(cos, 1);
    ronda_note *p = malloc(sizeof *p);
    assert_ok(ronda_note_parse(text, len, p, &d));
    assert_int_equal(p->n_sigs, 2);
    free(p);
    ronda_audit_summary sum;
    seen got = audit(w->s, &sum);
    assert_int_equal(got.n, 0);
    assert_int_equal(sum.cosigns, 1);
    assert_int_equal(sum.notes, 1);
    ronda_note_check nc;
    got = check_note(w->s, text, &nc);
    assert_int_equal(got.n, 0);
    assert_true(nc.writer_signed);
    assert_int_equal(nc.cosigners, 1);
    assert_int_equal(nc.claims, nc.claims_held);
    assert_int_equal(nc.claims, 2); /* the authority and M1 */

    /* A note whose size was changed: no signature holds, and the ledger says another size. */
    char *bad = strdup(text);
    char *nl = strchr(bad, '\n');
    nl[1] = nl[1] == '9' ? '8' : (char)(nl[1] + 1);
    got = check_note(w->s, bad, &nc);
    assert_non_null(strstr(got.what, "note"));
    assert_non_null(strstr(got.what, "rewritten"));
    free(bad);
    /* A note naming a checkpoint seq the ledger does not hold: truncated. */
    bad = malloc(len + 16);
    char *l4 = strstr(text, "ronda-checkpoint ");
    snprintf(bad, len + 16, "%.*sronda-checkpoint 99%s", (int)(l4 - text), text, strchr(l4, '\n'));
    got = check_note(w->s, bad, &nc);
    assert_non_null(strstr(got.what, "truncated"));
    free(bad);
    /* Garbage: a note finding, never a crash. */
    got = check_note(w->s, "not a note\n", &nc);
    assert_string_equal(got.what, "note ");
    assert_false(nc.parsed);
    free(text);
}

/* A cosign whose signature does not verify, or that names a checkpoint not held, is a
 * `witness` finding (the second is what a truncated copy shows). */
static void test_cosign_audit(void **state) {
    fx_world *w = *state;
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ2, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint8_t id[32];
    unsigned parts = 0;
    ronda_detail d = {{0}};
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), id, &parts, &d));
    char cph[65], wh[65], zero_sig[129];
    ronda_hex(id, 32, cph);
    ronda_hex(HQ.pk, 32, wh);
    memset(zero_sig, '0', 128);
    zero_sig[128] = '\0';
    json_t *b = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "seq", (json_int_t)1, "root",
                          "4242424242424242424242424242424242424242424242424242424242424242", "size", (json_int_t)3,
                          "writer", wh, "note_sig", zero_sig, "checkpoint", cph);
    assert_ok(fx_append(w, &HQ2, RONDA_KIND_COSIGN, b, NULL));
    ronda_audit_summary sum;
    seen got = audit(w->s, &sum);
    assert_string_equal(got.what, "witness ");
    /* a valid signature over a checkpoint that is not held */
    ronda_note_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.writer, HQ.pk, 32);
    h.seq = 5;
    h.size = 77;
    memset(h.root, 0x42, 32);
    uint8_t auth[32];
    memcpy(auth, w->authority.pk, 32);
    ronda_note_key_name(auth, HQ.pk, h.origin);
    uint8_t sig[64];
    char sh[129], missing[65];
    ronda_note_sign(HQ2.sk, &h, sig);
    ronda_hex(sig, 64, sh);
    memset(missing, 'e', 64);
    missing[64] = '\0';
    b = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "seq", (json_int_t)5, "root",
                  "4242424242424242424242424242424242424242424242424242424242424242", "size", (json_int_t)77, "writer",
                  wh, "note_sig", sh, "checkpoint", missing);
    assert_ok(fx_append(w, &HQ2, RONDA_KIND_COSIGN, b, NULL));
    got = audit(w->s, &sum);
    assert_string_equal(got.what, "witness witness ");
    assert_int_equal(sum.cosigns, 2);
    /* a precinct's cosign is refused at append like its checkpoint */
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    b = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "seq", (json_int_t)5, "root",
                  "4242424242424242424242424242424242424242424242424242424242424242", "size", (json_int_t)77, "writer",
                  wh, "note_sig", sh, "checkpoint", missing);
    assert_err(fx_append(w, &M1, RONDA_KIND_COSIGN, b, NULL), RONDA_ERR_ROLE);
}

/* The ages the audit warns from: the newest checkpoint per hq writer. */
static int on_age(void *ctx, const ronda_checkpoint_age *a) {
    ronda_checkpoint_age *out = ctx;
    if (memcmp(a->writer, HQ.pk, 32) == 0) *out = *a;
    return 0;
}

static void test_ages(void **state) {
    fx_world *w = *state;
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint8_t id[32];
    unsigned parts = 0;
    ronda_detail d = {{0}};
    int fresh = 1;
    assert_ok(ronda_store_checkpoint_fresh(w->s, HQ.pk, &fresh));
    assert_false(fresh);
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), id, &parts, &d));
    assert_ok(ronda_store_checkpoint_fresh(w->s, HQ.pk, &fresh));
    assert_true(fresh); /* nothing added but itself */
    ronda_checkpoint_age a;
    memset(&a, 0, sizeof a);
    uint64_t newest = 0;
    assert_ok(ronda_store_checkpoint_ages(w->s, &newest, on_age, &a));
    assert_true(a.has);
    assert_memory_equal(a.id, id, 32);
    assert_int_equal(newest, a.signed_ms);
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(ronda_store_checkpoint_fresh(w->s, HQ.pk, &fresh));
    assert_false(fresh);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 0x61);
    fx_key_make(&HQ, 0x63);
    fx_key_make(&HQ2, 0x64);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_head_keys),
        cmocka_unit_test(test_parse_strict),
        cmocka_unit_test_setup_teardown(test_cosign_and_note, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cosign_audit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ages, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
