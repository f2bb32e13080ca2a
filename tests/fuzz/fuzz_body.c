/* libFuzzer harness: one body decoder (the schema of one record kind), fed directly.
 *
 * A mutated record fails its signature long before its body is parsed, so the body
 * decoders are fuzzed on their own: built once per kind (-DFUZZ_KIND=RONDA_KIND_...).
 * Oracles: no crash or sanitizer report; a body the decoder accepts converts to JSON and
 * back to exactly the same bytes (canonical form has one encoding per value, and
 * ronda_body_from_json must accept whatever a peer's body decodes to); and sealed into a
 * record, the same bytes open as a whole record. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#ifndef FUZZ_KIND
#error "build with -DFUZZ_KIND=RONDA_KIND_<KIND>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    const ronda_kind kind = FUZZ_KIND;
    json_t *json = NULL;
    ronda_detail d = {{0}};
    ronda_err e = ronda_body_to_json(kind, data, size, &json, &d);
    if (e != RONDA_OK) {
        if (json) fz_fail("a refused body returned JSON");
        if (ronda_body_to_json(kind, data, size, NULL, NULL) != e) fz_fail("the check alone disagrees");
        return 0;
    }
    if (ronda_body_to_json(kind, data, size, NULL, NULL) != RONDA_OK) fz_fail("the check alone refuses");
    uint8_t *again = NULL;
    size_t again_len = 0;
    e = ronda_body_from_json(kind, json, &again, &again_len, &d);
    if (e != RONDA_OK) fz_fail("accepted body does not encode back from its JSON: %s (%s)", ronda_errname(e), d.text);
    if (again_len != size || memcmp(again, data, size) != 0) fz_fail("body changed on a round trip through JSON");
    free(again);
    json_decref(json);

    uint8_t *rec = NULL;
    size_t len = 0;
    const fz_key *k = fz_key_of(ronda_kind_is_authority(kind) ? FZ_AUTHORITY : FZ_M1);
    if (ronda_record_seal(k->sk, 1, NULL, FZ_NOW0_MS << RONDA_HLC_COUNTER_BITS, kind, data, size, &rec, &len) !=
        RONDA_OK)
        fz_fail("an accepted body cannot be sealed");
    ronda_record r;
    if ((e = ronda_record_open(rec, len, &r, &d)) != RONDA_OK)
        fz_fail("a sealed record of an accepted body does not open: %s (%s)", ronda_errname(e), d.text);
    if (r.body_len != size || memcmp(r.body, data, size) != 0) fz_fail("opened record views another body");
    free(rec);
    return 0;
}
