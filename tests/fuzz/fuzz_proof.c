/* libFuzzer harness: proof files (proto/tree.md §5), as `ronda prove --check` reads them from
 * an auditor's disk: the JSON text, then ronda_proof_from_json (every field checked) and
 * ronda_proof_verify (the records opened, the path checked against the checkpoints' roots).
 *
 * Oracles: no crash or sanitizer report; a file that reads as a proof writes back
 * (ronda_proof_json) to one that reads to the same proof, byte for byte; a verdict is one
 * of the documented errors; ronda_proof_check gives the same verdict as the two steps. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ronda/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const ronda_proof *a, const ronda_proof *b) {
    return a->consistency == b->consistency && memcmp(a->authority, b->authority, 32) == 0 &&
           memcmp(a->writer, b->writer, 32) == 0 && a->record_len == b->record_len &&
           (!a->record_len || memcmp(a->record, b->record, a->record_len) == 0) &&
           a->checkpoint_len == b->checkpoint_len &&
           (!a->checkpoint_len || memcmp(a->checkpoint, b->checkpoint, a->checkpoint_len) == 0) &&
           a->old_len == b->old_len && (!a->old_len || memcmp(a->old, b->old, a->old_len) == 0) &&
           a->index == b->index && a->size == b->size && a->old_size == b->old_size && a->new_size == b->new_size &&
           a->path_len == b->path_len && memcmp(a->path, b->path, a->path_len * sizeof a->path[0]) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    if (!init) {
        if (ronda_init() != RONDA_OK) fz_fail("ronda_init");
        init = 1;
    }
    if (size > 512u * 1024u) return 0; /* `ronda prove --check` refuses larger files first (PROOF_FILE_MAX) */
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) return 0;
    ronda_proof p, back;
    ronda_detail d = {{0}};
    ronda_err e = ronda_proof_from_json(j, &p, &d);
    if (e != RONDA_OK && e != RONDA_ERR_MALFORMED && e != RONDA_ERR_NOMEM)
        fz_fail("ronda_proof_from_json: unexpected %s", ronda_errname(e));
    if (e == RONDA_OK) {
        json_t *w = ronda_proof_json(&p);
        if (!w) fz_fail("ronda_proof_json failed on a proof it read");
        if (ronda_proof_from_json(w, &back, &d) != RONDA_OK) fz_fail("a proof written back does not read: %s", d.text);
        if (!same(&p, &back)) fz_fail("a proof written back reads to another proof");
        ronda_proof_free(&back);
        json_decref(w);
        ronda_proof_result r1, r2;
        ronda_err v = ronda_proof_verify(&p, NULL, &r1, &d);
        if (v != RONDA_OK && v != RONDA_ERR_MALFORMED && v != RONDA_ERR_SIGNATURE && v != RONDA_ERR_TAMPERED &&
            v != RONDA_ERR_NOMEM)
            fz_fail("ronda_proof_verify: unexpected %s", ronda_errname(v));
        ronda_err c = ronda_proof_check(j, NULL, &r2, &d);
        if (c != v) fz_fail("ronda_proof_check says %s, the two steps %s", ronda_errname(c), ronda_errname(v));
        if (v == RONDA_OK && (r1.consistency != r2.consistency || r1.size != r2.size || r1.seq != r2.seq))
            fz_fail("ronda_proof_check and ronda_proof_verify disagree on what was proved");
        ronda_proof_free(&p);
    }
    json_decref(j);
    return 0;
}
