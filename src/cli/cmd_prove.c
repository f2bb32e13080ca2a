/* ronda prove: inclusion and consistency proofs over the hq writers' trees (proto/tree.md),
 * written as JSON files anyone can check offline (`ronda prove --check`, or the independent
 * verifier tests/independent/ronda_verify.py --proof). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* A proof file is a record (<= 64 KiB as hex), one or two checkpoint part 0s (each <= 64
 * KiB as hex) and at most 64 hashes: 512 KiB holds any with room; more is not a proof. */
#define PROOF_FILE_MAX (512u * 1024u)

static const char prove_help[] =
    "usage: ronda prove [--dir DIR] ID [--checkpoint CPID] [--out FILE]\n"
    "       ronda prove [--dir DIR] --consistency OLD NEW [--out FILE]\n"
    "       ronda prove --check FILE [--authority KEY]\n"
    "\n"
    "Proofs over the Merkle tree of an hq node's log (proto/tree.md): every checkpoint an hq\n"
    "node writes carries the size and root of a tree over the records its checkpoints have\n"
    "named, and each tree extends the writer's previous one.\n"
    "\n"
    "  ID                 inclusion proof of record ID against the newest checkpoint whose\n"
    "                     tree holds it (of any hq writer), or against --checkpoint CPID (the\n"
    "                     id `ronda checkpoint` printed: its first part)\n"
    "  --consistency OLD NEW   proof that the tree of checkpoint OLD is a prefix of NEW's\n"
    "                     (two checkpoints of one writer, OLD not later than NEW)\n"
    "  --out FILE         write the proof there (default: stdout)\n"
    "  --check FILE       verify a proof file offline: the record's and the checkpoints'\n"
    "                     signatures, their note signatures, and the path against the root.\n"
    "                     Not checked offline: that the writer is an hq member (the roster)\n"
    "                     and what the checkpoint says of the ledger (`ronda audit`)\n"
    "  --authority KEY    with --check: the network's authority key (hex); default the\n"
    "                     file's own `authority`, which then proves nothing about the network\n"
    "\n"
    "Exit status: 0 proved / OK; 1 no checkpoint covers the record, the tree does not match,\n"
    "or the proof does not verify; 2 bad command line; 3 the node or a file could not be used.\n";

static int write_proof(json_t *p, const char *out) {
    char *text = json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) return cli_fail(EXIT_ENV, "prove", RONDA_ERR_NOMEM, NULL, NULL);
    int rc = EXIT_OK;
    if (!out || strcmp(out, "-") == 0) {
        puts(text);
    } else {
        FILE *f = fopen(out, "w");
        if (!f || fputs(text, f) < 0 || fputc('\n', f) == EOF) rc = EXIT_ENV;
        if (f && fclose(f) != 0) rc = EXIT_ENV;
        if (rc != EXIT_OK) fprintf(stderr, "ronda: prove: cannot write %s\n  check the path and free space\n", out);
    }
    free(text);
    return rc;
}

static int check_file(const char *file, const char *authority) {
    uint8_t auth[32];
    if (authority && ronda_unhex(authority, auth, 32) != RONDA_OK)
        return cli_usage("prove", "--authority is 64 hex digits (the authority's key)");
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "ronda: prove: cannot open %s\n", file);
        return EXIT_ENV;
    }
    char *buf = malloc(PROOF_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, PROOF_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        fprintf(stderr, "ronda: prove: cannot read %s\n", file);
        return EXIT_ENV;
    }
    if (n > PROOF_FILE_MAX) {
        free(buf);
        fprintf(stderr, "ronda: prove: %s is larger than a proof can be (%u bytes): not a proof\n", file,
                PROOF_FILE_MAX);
        return EXIT_REFUSED;
    }
    json_error_t je;
    json_t *p = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!p) {
        fprintf(stderr, "ronda: prove: %s is not JSON (line %d: %s)\n", file, je.line, je.text);
        return EXIT_REFUSED;
    }
    ronda_proof_result r;
    ronda_detail d = {{0}};
    ronda_err e = ronda_proof_check(p, authority ? auth : NULL, &r, &d);
    json_decref(p);
    if (e == RONDA_ERR_NOMEM) return cli_fail(EXIT_ENV, "prove --check", e, &d, NULL);
    if (e != RONDA_OK) {
        printf("FAILED: %s\n", d.text[0] ? d.text : ronda_strerror(e));
        return EXIT_REFUSED;
    }
    char w[13], id[13];
    cli_short(r.writer, w);
    if (r.consistency) {
        printf("OK: consistency: writer %s's tree at checkpoint seq %llu (size %llu) is a prefix of its tree at "
               "seq %llu (size %llu)\n",
               w, (unsigned long long)r.old_seq, (unsigned long long)r.old_size, (unsigned long long)r.seq,
               (unsigned long long)r.size);
    } else {
        cli_short(r.record, id);
        printf("OK: inclusion: record %s is leaf %llu of writer %s's tree at checkpoint seq %llu (size %llu)\n", id,
               (unsigned long long)r.index, w, (unsigned long long)r.seq, (unsigned long long)r.size);
    }
    printf("checked: record and checkpoint signatures, %d note signature%s, the path to the root%s\n", r.notes,
           r.notes == 1 ? "" : "s", authority ? ", the authority given" : " (authority: the file's own)");
    printf("not checked offline: that the writer is an hq member (the roster), the checkpoint's claims about the "
           "ledger (`ronda audit`)\n");
    return EXIT_OK;
}

int cmd_prove(int argc, char **argv) {
    const char *dir = NULL, *cp = NULL, *out = NULL, *check = NULL, *authority = NULL;
    int consistency = 0;
    const opt opts[] = {
        {"dir", OPT_STR, &dir},     {"checkpoint", OPT_STR, &cp},       {"out", OPT_STR, &out},
        {"check", OPT_STR, &check}, {"authority", OPT_STR, &authority}, {"consistency", OPT_FLAG, &consistency}};
    const char *pos[2];
    size_t npos;
    int rc = cli_parse("prove", prove_help, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 2, &npos);
    if (rc >= 0) return rc;
    if (check) {
        if (npos || consistency || cp || out) return cli_usage("prove", "--check FILE takes only --authority");
        return check_file(check, authority);
    }
    if (authority) return cli_usage("prove", "--authority goes with --check");
    if (consistency ? npos != 2 : npos != 1)
        return cli_usage("prove", consistency ? "--consistency needs OLD and NEW (checkpoint ids)"
                                              : "name one record ID (or --consistency OLD NEW, or --check FILE)");
    if (consistency && cp) return cli_usage("prove", "--checkpoint goes with an inclusion proof");
    uint8_t a[32], b[32], c[32];
    if (ronda_unhex(pos[0], a, 32) != RONDA_OK || (npos > 1 && ronda_unhex(pos[1], b, 32) != RONDA_OK) ||
        (cp && ronda_unhex(cp, c, 32) != RONDA_OK))
        return cli_usage("prove", "ids are 64 hex digits (`ronda log`, `ronda checkpoint`)");
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    json_t *p = NULL;
    ronda_detail d = {{0}};
    ronda_err e = consistency ? ronda_store_prove_consistency(n.store, a, b, &p, &d)
                              : ronda_store_prove_inclusion(n.store, a, cp ? c : NULL, &p, &d);
    node_close(&n);
    if (e != RONDA_OK) return cli_fail(cli_exit_for(e, EXIT_REFUSED), "prove", e, &d, NULL);
    rc = write_proof(p, out);
    json_decref(p);
    return rc;
}
