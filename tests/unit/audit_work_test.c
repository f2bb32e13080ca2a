/* The audit's work is linear in the ledger: on a ~20,000-record ledger of one busy precinct
 * (dialogues, follow-ups, amendments that add topics, another node's follow-ups of those
 * topics, a checkpoint), `ronda_store_audit` checks no more signatures than verify does
 * plus the authority's records and the checkpoints (it opens no record a second time),
 * and runs at most a few times verify's SQLite instructions. Both are counted, not timed:
 * signatures by wrapping libsodium's verify (ld --wrap), SQLite instructions by a progress
 * handler on the store's connection, which also interrupts an audit that runs past its
 * budget (a quadratic audit then fails at once instead of running for minutes).
 *
 * The same ledger holds two dangling references the audit must still find: a follow-up of
 * a topic no version of its dialogue has, and one of a dialogue the ledger does not hold. */
#include "fixtures.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ronda/report.h"
#include "store/store_int.h"

#define DIALOGUES 12000u
#define AMEND_EVERY 40u /* every 40th dialogue gets an amendment adding a topic */
#define VM_CHUNK 256    /* SQLite instructions per progress callback */
#define VM_FACTOR 4u    /* the audit may run this many times verify's instructions */

static atomic_ulong sig_checks;

int __real_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                                       const unsigned char *pk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                                       const unsigned char *pk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                                       const unsigned char *pk) {
    atomic_fetch_add(&sig_checks, 1);
    return __real_crypto_sign_verify_detached(sig, m, mlen, pk);
}

typedef struct vm {
    uint64_t chunks, budget; /* budget 0: none */
} vm;

static int on_vm(void *ctx) {
    vm *c = ctx;
    c->chunks++;
    return c->budget && c->chunks > c->budget; /* non-zero interrupts the statement */
}

typedef struct seen {
    unsigned n, refs;
    char what[256];
} seen;

static void on_finding(void *ctx, const ronda_finding *f) {
    seen *s = ctx;
    s->n++;
    if (strcmp(f->what, "reference") == 0) s->refs++;
    size_t l = strlen(s->what);
    if (l + 40 < sizeof s->what) snprintf(s->what + l, sizeof s->what - l, "%s ", f->what);
}

static fx_key M1, M2, HQ;

static void append(fx_world *w, const fx_key *k, ronda_kind kind, json_t *j, uint8_t id[32]) {
    assert_ok(fx_append(w, k, kind, j, id));
}

static json_t *amend_json(const uint8_t target[32], json_t *body) {
    char hex[65];
    fx_hex(target, 32, hex);
    return json_pack("{s:o, s:s, s:s, s:s}", "body", body, "kind", "dialogue", "reason", "Topik kedua terlewat",
                     "target", hex);
}

static void test_linear(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint64_t records = 3, refs = 0;
    uint8_t last_amended[32] = {0};
    assert_ok(ronda_store_begin(w->s));
    for (unsigned i = 0; i < DIALOGUES; i++) {
        uint8_t d[32];
        append(w, &M1, RONDA_KIND_DIALOGUE, fx_dialogue_json("Trenggalek", "Durenan", "2026-02-01", "traffic", "A"), d);
        records++;
        if (i % 2 == 0) { /* its own follow-up, as a precinct writes most of them */
            append(w, &M1, RONDA_KIND_RESOLUTION, fx_resolution_json(d, 0, "resolved", NULL, "Selesai"), NULL);
            records++;
            refs++;
        }
        if (i % AMEND_EVERY == 0) { /* a topic added by amendment, followed up by another node */
            json_t *b = fx_dialogue_json("Trenggalek", "Durenan", "2026-02-01", "traffic", "A");
            fx_topic(b, "social_problem", "B");
            append(w, &M1, RONDA_KIND_AMEND, amend_json(d, b), NULL);
            append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(d, 1, "in_progress", NULL, "Patroli"), NULL);
            records += 2;
            refs += 2;
            memcpy(last_amended, d, 32);
        }
        if (i % 1000 == 999) {
            assert_ok(ronda_store_commit(w->s));
            assert_ok(ronda_store_begin(w->s));
        }
    }
    uint8_t none[32];
    memset(none, 0x5a, 32);
    append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(last_amended, 2, "resolved", NULL, "Topik 2"), NULL);
    append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(none, 0, "resolved", NULL, "Tidak ada"), NULL);
    records += 2;
    refs += 2;
    assert_ok(ronda_store_commit(w->s));
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), NULL, NULL, NULL));
    records++;

    vm c = {0, 0};
    sqlite3_progress_handler(w->s->db, VM_CHUNK, on_vm, &c);
    ronda_verify_summary vs;
    atomic_store(&sig_checks, 0);
    assert_ok(ronda_store_verify(w->s, 2, NULL, NULL, &vs));
    uint64_t verify_sigs = atomic_load(&sig_checks), verify_vm = c.chunks;
    assert_int_equal(vs.records, records);
    assert_int_equal(vs.findings, 0);

    c.chunks = 0;
    c.budget = VM_FACTOR * verify_vm;
    atomic_store(&sig_checks, 0);
    seen got;
    memset(&got, 0, sizeof got);
    ronda_audit_summary sum;
    ronda_err e = ronda_store_audit(w->s, 2, on_finding, NULL, &got, &sum);
    uint64_t audit_sigs = atomic_load(&sig_checks);
    sqlite3_progress_handler(w->s->db, 0, NULL, NULL);
    print_message("verify: %llu signatures, %llu x %d SQLite instructions; audit: %llu signatures, %llu x %d\n",
                  (unsigned long long)verify_sigs, (unsigned long long)verify_vm, VM_CHUNK,
                  (unsigned long long)audit_sigs, (unsigned long long)c.chunks, VM_CHUNK);
    if (e != RONDA_OK)
        fail_msg("audit failed (%s) after %llu x %d SQLite instructions, budget %u x verify's %llu: not linear",
                 ronda_errname(e), (unsigned long long)c.chunks, VM_CHUNK, VM_FACTOR, (unsigned long long)verify_vm);
    /* Beyond verify's own: the authority's member records (places), its revocations (none
     * here) and each checkpoint, once, with its note signature (proto/note.md). */
    assert_true(audit_sigs <= verify_sigs + 3 + 1 + 1);
    assert_true(c.chunks <= VM_FACTOR * verify_vm);
    assert_int_equal(sum.verify.records, records);
    assert_int_equal(sum.references, refs); /* each amend counts its target */
    assert_int_equal(sum.checkpoints, 1);
    assert_int_equal(sum.claims_held, 3);
    assert_int_equal(got.refs, 2);
    assert_int_equal(got.n, 2);
    assert_int_equal(sum.findings, 2);

    /* A read-only store (the dashboard's) audits too: its scratch tables are temporary. */
    ronda_store *ro = NULL;
    assert_ok(ronda_store_open_readonly(w->path, &ro));
    memset(&got, 0, sizeof got);
    assert_ok(ronda_store_audit(ro, 2, on_finding, NULL, &got, &sum));
    assert_int_equal(got.refs, 2);
    assert_int_equal(sum.references, refs);
    /* and is read-only again after it (query_only back on: not even a temporary table) */
    assert_int_equal(sqlite3_exec(ro->db, "CREATE TEMP TABLE t(a)", NULL, NULL, NULL), SQLITE_READONLY);
    ronda_store_close(&ro);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 0x61);
    fx_key_make(&M2, 0x62);
    fx_key_make(&HQ, 0x63);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_linear, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
