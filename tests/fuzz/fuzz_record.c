/* libFuzzer harness: the record decoder (ronda_record_open, ronda_record_open_parts) and the
 * canonical reader under it (crd_*).
 *
 * The input is tried four ways: as a whole record; as a whole record without the signature
 * check (the path of records this process sealed itself), so that a mutated record's body
 * hash and body are reached too; through the generic canonical skipper every bundle read
 * uses; and as the envelope of a record whose other parts are the ledger's first record's.
 * Oracles: no crash or sanitizer report; an accepted record encodes back to exactly its
 * bytes; what the signature-checking open accepts the unchecked open accepts with the same
 * id; the skipper accepts every record the decoder accepts. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "record/canon.h"
#include "record/record_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const ronda_record *r, const uint8_t *data, size_t size) {
    uint8_t *out = NULL;
    size_t len = 0;
    if (ronda_record_encode(r, &out, &len) != RONDA_OK) fz_fail("an opened record does not encode");
    if (len != size || memcmp(out, data, size) != 0) fz_fail("an opened record encodes to other bytes");
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    ronda_record r, u;
    ronda_detail d;
    int opened = ronda_record_open(data, size, &r, &d) == RONDA_OK;
    int unchecked = record_open_sealed(data, size, &u, &d) == RONDA_OK;
    if (opened) {
        round_trip(&r, data, size);
        if (!unchecked || memcmp(r.id, u.id, RONDA_ID_BYTES) != 0)
            fz_fail("the unchecked open disagrees with the checked one");
    }
    if (unchecked) round_trip(&u, data, size);

    crd c = crd_make(data, size);
    ronda_err e = crd_skip(&c, RONDA_DEPTH_MAX);
    if (e == RONDA_OK && c.p > data + size) fz_fail("crd_skip read past the end");
    if (opened && (e != RONDA_OK || crd_left(&c) != 0)) fz_fail("crd_skip refuses an accepted record");

    /* The input as an envelope beside a real signature and body: the envelope parser in
     * full, with the signature check then refusing (or, for the real envelope, accepting). */
    const fz_ledger *L = fz_ledger_get();
    ronda_record first;
    if (ronda_record_open(L->rec[0], L->len[0], &first, NULL) != RONDA_OK) fz_fail("ledger record 0 does not open");
    if (ronda_record_open_parts(data, size, first.signature, RONDA_SIG_BYTES, first.body, first.body_len, &r, &d) ==
        RONDA_OK) {
        if (size != first.envelope_len || memcmp(data, first.envelope, size) != 0)
            fz_fail("another envelope verifies under the ledger's first signature");
    }
    return 0;
}
