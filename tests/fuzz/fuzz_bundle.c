/* libFuzzer harness: bundle import (ronda_bundle_import) into a real temporary store.
 *
 * Input: one mode byte, then the bundle stream. Mode bit 0 chooses the store: empty (only
 * the authority known) or already holding the harness's ledger, so the seeds (real bundles
 * of that ledger) reach storing, duplicates and forks. Oracles: no crash or sanitizer
 * report; an import is all or nothing (a refused bundle leaves the ledger's digest and
 * counts as they were); an accepted one read exactly the records its header declares, its
 * stored records are in the ledger's count, and the whole store still verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_finding(void *ctx, const ronda_finding *f) {
    uint64_t *bad = ctx;
    if (strcmp(f->what, "fork") != 0) (*bad)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0; /* fmemopen refuses an empty buffer */
    fz_init();
    ronda_store *s = fz_store("bundle.db", data[0] & 1);
    ronda_stats before, after;
    if (ronda_store_stats(s, &before) != RONDA_OK) fz_fail("stats");
    FILE *in = fmemopen((void *)(data + 1), size - 1, "rb");
    if (!in) fz_fail("fmemopen");
    ronda_import_result res;
    ronda_err e = ronda_bundle_import(s, in, 1, NULL, NULL, &res);
    fclose(in);
    if (ronda_store_stats(s, &after) != RONDA_OK) fz_fail("stats after import");
    if (e != RONDA_OK) {
        if (after.records != before.records || after.forks != before.forks ||
            memcmp(after.digest, before.digest, RONDA_HASH_BYTES) != 0)
            fz_fail("a refused bundle (%s: %s) changed the ledger", ronda_errname(e), res.detail.text);
    } else {
        if (res.read != res.header.records + res.header.forks) fz_fail("import read other than the header declares");
        if (after.records != before.records + res.stored || after.forks != before.forks + res.forks)
            fz_fail("import counts disagree with the ledger");
        uint64_t bad = 0;
        ronda_verify_summary sum;
        if (ronda_store_verify(s, 1, no_finding, &bad, &sum) != RONDA_OK || bad != 0)
            fz_fail("an imported ledger does not verify (%llu findings)", (unsigned long long)bad);
    }
    fz_store_drop(&s, "bundle.db");
    return 0;
}
