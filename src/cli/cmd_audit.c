/* `ronda checkpoint`, `ronda audit`, `ronda history`, and the periodic checkpoints of
 * `ronda run`: the auditor's verbs (docs/audit.md, docs/cli.md).
 *
 * The audit itself is ronda_store_audit(); this file only gathers its findings and the
 * chains held and presents them three ways: a terminal summary, JSON for tools, and one
 * self-contained HTML page (inline CSS, no external assets) an auditor can hand on. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/audit_report.h"
#include "cli/cli.h"
#include "cli/log.h"
#include "http/http.h"
#include "util/util.h"

static int tz_minutes(void) {
    const char *tz = cli_tz();
    int off = ((tz[1] - '0') * 10 + (tz[2] - '0')) * 60 + (tz[4] - '0') * 10 + (tz[5] - '0');
    return tz[0] == '-' ? -off : off;
}

static void when(int64_t ms, char out[32]) { time_format(ms, tz_minutes(), out); }

/* ------------------------------------------------------------------ ronda checkpoint */

static const char checkpoint_help[] =
    "usage: ronda checkpoint [--dir DIR] [--json] [--export FILE]\n"
    "\n"
    "Sign what this node holds: append a checkpoint record naming, for every author, the\n"
    "last record held (seq and id), with the record count and the ledger digest. Only hq\n"
    "members write checkpoints; they replicate like any record. An auditor later checks\n"
    "that every record a checkpoint names is still held (`ronda audit`). More than 512\n"
    "authors are signed for in consecutive parts. `ronda run` writes one every hour on hq\n"
    "nodes (--checkpoint-every).\n"
    "\n"
    "  --export FILE  write nothing; instead give this node's newest checkpoint as a signed\n"
    "                 note (proto/note.md) with every cosignature of other HQs the ledger\n"
    "                 holds, to FILE (- for stdout). An auditor keeps it and later runs\n"
    "                 `ronda audit --note FILE` to detect truncation or rewriting.\n";

static int export_note(const char *dir, const char *file) {
    node n;
    int rc;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    uint8_t self[32];
    ronda_store_node(n.store, self);
    char *text = NULL;
    size_t len = 0;
    unsigned cos = 0;
    ronda_detail d = {{0}};
    ronda_err e = ronda_store_note(n.store, self, &text, &len, &cos, &d);
    node_close(&n);
    if (e == RONDA_ERR_NOT_FOUND || e == RONDA_ERR_TAMPERED) return cli_fail(EXIT_REFUSED, "checkpoint", e, &d, NULL);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "checkpoint", e, &d, NULL);
    int out_rc = EXIT_OK;
    if (strcmp(file, "-") == 0) {
        fwrite(text, 1, len, stdout);
    } else {
        FILE *f = fopen(file, "w");
        if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
            perror(file);
            out_rc = EXIT_ENV;
        } else {
            fprintf(stderr, "ronda: checkpoint: note written to %s (%u cosignature%s)\n", file, cos,
                    cos == 1 ? "" : "s");
        }
    }
    free(text);
    return out_rc;
}

int cmd_checkpoint(int argc, char **argv) {
    const char *dir = NULL, *export = NULL;
    int as_json = 0;
    const opt opts[] = {{"dir", OPT_STR, &dir}, {"json", OPT_FLAG, &as_json}, {"export", OPT_STR, &export}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("checkpoint", checkpoint_help, argc, argv, opts, 3, pos, 0, &npos);
    if (rc >= 0) return rc;
    if (export) return export_note(dir, export);
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 1)) != EXIT_OK) return rc;
    uint8_t id[32];
    unsigned parts = 0;
    ronda_detail d = {{0}};
    ronda_err e = ronda_store_checkpoint(n.store, n.secret, cli_now_ms(), id, &parts, &d);
    ronda_stats st;
    if (e == RONDA_OK) e = ronda_store_stats(n.store, &st);
    node_close(&n);
    if (e == RONDA_ERR_ROLE || e == RONDA_ERR_NOT_MEMBER || e == RONDA_ERR_REVOKED)
        return cli_fail(EXIT_REFUSED, "checkpoint", e, &d, "checkpoints are written by hq members only");
    if (e == RONDA_ERR_INVALID || e == RONDA_ERR_TOO_BIG) return cli_fail(EXIT_REFUSED, "checkpoint", e, &d, NULL);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "checkpoint", e, &d, NULL);
    char hex[65], dh[65];
    ronda_hex(id, 32, hex);
    ronda_hex(st.digest, 32, dh);
    if (as_json) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:s}", "id", hex, "parts", (json_int_t)parts, "authors",
                              (json_int_t)st.authors, "digest", dh);
        cli_print_json(o, 1);
        json_decref(o);
    } else {
        printf("%s\n", hex);
    }
    return EXIT_OK;
}

/* ------------------------------------------------------------------ ronda audit */

static const char audit_help[] =
    "usage: ronda audit [--dir DIR | --bundle FILE] [--json] [--html FILE] [--threads N]\n"
    "                   [--lang id|en] [--zone WIB|WITA|WIT] [--note FILE ...]\n"
    "                   [--max-checkpoint-age SECONDS]\n"
    "\n"
    "Audit a ledger (a node's database, or a bundle in a private temporary database), no\n"
    "running node needed: every signature, canonical form, body hash, chain link and\n"
    "membership at the time of writing (as `ronda verify`), then every checkpoint (each\n"
    "record it names must be held: otherwise records were lost or withheld; another id\n"
    "for an (author, seq) is fork evidence), every amend target and resolution reference,\n"
    "and every derived view (what reports and the dashboard read) against the records.\n"
    "Prints the findings, each in plain words (which dialogue or follow-up, what is wrong,\n"
    "what it means, what to do next), a summary by Polres and Polsek and every author's chain.\n"
    "\n"
    "  --json       the whole report as JSON on stdout\n"
    "  --html FILE  also write the report as one self-contained HTML page\n"
    "  --threads N  signature checks in parallel (default: one per core)\n"
    "  --lang L     the plain words in id (Bahasa Indonesia, default) or en; the page holds both\n"
    "  --zone Z     dates and times of the report in WIB (default), WITA or WIT, as the dashboard\n"
    "  --note FILE  a checkpoint note kept from earlier (`ronda checkpoint --export`, GET /checkpoint):\n"
    "               its signatures must hold and the ledger must still hold its checkpoint and every\n"
    "               record it named (else findings truncated, rewritten or note); repeatable\n"
    "  --max-checkpoint-age SECONDS  warn when an HQ's newest checkpoint (or the ledger's) is older than\n"
    "               this before the ledger's newest record, or there is none (default 7200; a warning,\n"
    "               not a finding)\n"
    "Progress goes to stderr: a line on a terminal, JSON events with --json. Exit status: 0 no finding; 1 findings\n"
    "(or the bundle was refused); 2 bad command line; 3 the database or a file unusable.\n";

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* ---- the report on the terminal (the model's figures; each finding's words from its JSON) */

static void print_summary(const ronda_audit_report *r, const char *source) {
    const ronda_audit_summary *m = &r->sum;
    char dhex[65];
    ronda_hex(r->stats.digest, RONDA_HASH_BYTES, dhex);
    printf("ronda audit of the %s\n", source);
    printf("  %llu records from %llu authors; %llu forks (%llu fork-evidence records); %llu excluded after a "
           "revocation\n",
           (unsigned long long)m->verify.records, (unsigned long long)m->verify.authors,
           (unsigned long long)m->verify.fork_seqs, (unsigned long long)m->verify.forks,
           (unsigned long long)m->verify.excluded);
    printf("  %llu checkpoints naming %llu records: %llu held, %llu after a revocation; %llu references\n",
           (unsigned long long)m->checkpoints, (unsigned long long)m->claims, (unsigned long long)m->claims_held,
           (unsigned long long)m->claims_revoked, (unsigned long long)m->references);
    printf("  %llu cosignatures of checkpoints; %llu checkpoints carry a note signature\n",
           (unsigned long long)m->cosigns, (unsigned long long)m->notes);
    printf("  %llu checkpoint tree roots recomputed from the records (proto/tree.md)", (unsigned long long)m->roots);
    if (m->roots_unchecked)
        printf("; %llu not: an earlier checkpoint of their writer could not be rebuilt (see the findings)",
               (unsigned long long)m->roots_unchecked);
    printf("\n");
    printf("  digest %s\n\n", dhex);
}

/* One checkpoint-age warning: an HQ's (a) or, with a NULL a, the ledger's. */
static void print_warning(const ronda_audit_report *r, const ronda_report_age *a) {
    char w[65];
    if (a) ronda_hex(a->age.writer, RONDA_KEY_BYTES, w);
    const char *nm = !a ? "(ledger)" : a->author_name ? a->author_name : w;
    ronda_report_age_warning warn = a ? a->warning : r->ledger_warning;
    uint64_t age_ms = a ? a->age_ms : r->ledger_age_ms;
    if (warn == RONDA_AGE_NONE)
        printf("WARN checkpoint-age %s: no checkpoint at all; records newer than the last checkpoint can be "
               "removed without a trace\n",
               nm);
    else
        printf("WARN checkpoint-age %s: newest checkpoint is %lld min older than the ledger's newest record "
               "(limit %llu min)\n",
               nm, (long long)(age_ms / 60000), (unsigned long long)(r->max_age_ms / 60000u));
}

static void print_warnings_notes(const ronda_audit_report *r) {
    size_t nwarn = r->ledger_warning != RONDA_AGE_OK;
    for (size_t i = 0; i < r->nages; i++)
        if (r->ages[i].warning != RONDA_AGE_OK) {
            print_warning(r, &r->ages[i]);
            nwarn++;
        }
    if (r->ledger_warning != RONDA_AGE_OK) print_warning(r, NULL);
    for (size_t i = 0; i < r->nnotes; i++) {
        const ronda_note_check *c = &r->notes[i].check;
        char w[65];
        ronda_hex(c->head.writer, RONDA_KEY_BYTES, w);
        printf("NOTE note %s: checkpoint seq %lld of %.12s, size %lld; writer %s, %lld cosigner%s; %lld of %lld "
               "records it named held\n",
               r->notes[i].file, (long long)c->head.seq, c->parsed ? w : "", (long long)c->head.size,
               c->writer_signed ? "signed" : "NOT signed", (long long)c->cosigners, c->cosigners == 1 ? "" : "s",
               (long long)c->claims_held, (long long)c->claims);
    }
    if (nwarn || r->nnotes) printf("\n");
}

static void print_findings(const ronda_audit_report *r, json_t *doc, const char *lang) {
    json_t *findings = json_object_get(doc, "findings");
    printf("Findings (%zu)\n", r->nfindings);
    for (size_t i = 0; i < r->nfindings; i++) {
        const ronda_report_finding *x = &r->findings[i];
        char id[65];
        ronda_hex(x->f.id, RONDA_ID_BYTES, id);
        const char *check = x->f.err == RONDA_ERR_VIEW && x->f.field ? x->f.field : ronda_errname(x->f.err);
        printf("FAIL %-13s %-10s %s seq %lld record %.12s: %s\n", ronda_finding_kind_name(x->f.kind), check,
               x->author_name ? x->author_name : "-", (long long)x->f.seq, id, x->f.detail);
        audit_print_plain(stdout, json_array_get(findings, i), lang);
    }
    if (r->nexcluded) {
        printf("\nExcluded (%zu): written after their author's revocation; held, outside the ledger, not "
               "findings\n",
               r->nexcluded);
        for (size_t i = 0; i < r->nexcluded; i++) {
            char id[65];
            ronda_hex(r->excluded[i].f.id, RONDA_ID_BYTES, id);
            printf("NOTE excluded %s seq %lld record %.12s\n",
                   r->excluded[i].author_name ? r->excluded[i].author_name : "-", (long long)r->excluded[i].f.seq, id);
        }
    }
}

static void print_units_chains(const ronda_audit_report *r) {
    printf("\nBy Polres and Polsek          nodes  records  dialogues  resolutions  checkpoints  findings\n");
    for (size_t i = 0; i < r->nunits; i++) {
        const ronda_report_unit *u = &r->units[i];
        printf("  %-13.13s %-14.14s %5lld  %7lld  %9lld  %11lld  %11lld  %8lld\n", u->polres, u->polsek,
               (long long)u->nodes, (long long)u->records, (long long)u->dialogues, (long long)u->resolutions,
               (long long)u->checkpoints, (long long)u->findings);
    }
    printf("\nChains\n");
    for (size_t i = 0; i < r->nchains; i++) {
        const ronda_chain_info *ch = &r->chains[i];
        char a[32], b[32], hex[2 * RONDA_KEY_BYTES + 1];
        when((int64_t)ch->first_ms, a);
        when((int64_t)ch->last_ms, b);
        ronda_hex(ch->author, RONDA_KEY_BYTES, hex);
        const char *name = ch->authority ? "authority" : ch->known && ch->name[0] ? ch->name : "(unknown key)";
        const char *role = ch->authority ? "authority" : ronda_role_name(ch->role);
        printf("  %-24.24s %-9s seq %llu..%llu  %s .. %s  %llu finding%s  %.12s\n", name, role ? role : "-",
               (unsigned long long)ch->first_seq, (unsigned long long)ch->last_seq, a, b,
               (unsigned long long)ch->findings, ch->findings == 1 ? "" : "s", hex);
    }
    printf("\n%s: %zu finding%s\n", r->nfindings == 0 ? "OK" : "FAILED", r->nfindings, r->nfindings == 1 ? "" : "s");
}

/* ---- the command */

typedef struct audit_args {
    const char *dir, *bundle, *html, *lang;
    int as_json;
    unsigned threads;
    uint64_t max_age_ms;
    audit_zone z;
    strlist notes;
    char *note_text[RONDA_LIST_MAX]; /* read before the ledger: a note that cannot be read is a usage problem */
    size_t note_len[RONDA_LIST_MAX];
} audit_args;

static void free_notes(audit_args *a) {
    for (size_t k = 0; k < a->notes.n; k++) {
        free(a->note_text[k]);
        a->note_text[k] = NULL;
    }
}

/* The command line, and the notes it names; -1 to go on, else the exit status. */
static int audit_parse(int argc, char **argv, audit_args *a) {
    const char *threads = NULL, *zone = NULL, *max_age = NULL;
    memset(a, 0, sizeof *a);
    const opt opts[] = {
        {"dir", OPT_STR, &a->dir},   {"bundle", OPT_STR, &a->bundle}, {"json", OPT_FLAG, &a->as_json},
        {"html", OPT_STR, &a->html}, {"threads", OPT_STR, &threads},  {"zone", OPT_STR, &zone},
        {"lang", OPT_STR, &a->lang}, {"note", OPT_LIST, &a->notes},   {"max-checkpoint-age", OPT_STR, &max_age}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("audit", audit_help, argc, argv, opts, 9, pos, 0, &npos);
    if (rc >= 0) return rc;
    a->max_age_ms = RONDA_CHECKPOINT_STALE_MS;
    if (max_age) {
        char *end;
        unsigned long long v = strtoull(max_age, &end, 10);
        if (!*max_age || *end || v == 0 || v > 3650ull * 24 * 3600)
            return cli_usage("audit", "--max-checkpoint-age is a number of seconds (1 to ten years)");
        a->max_age_ms = (uint64_t)v * 1000u;
    }
    for (size_t k = 0; k < a->notes.n; k++) {
        FILE *nf_ = fopen(a->notes.v[k], "rb");
        char *buf = nf_ ? malloc(RONDA_NOTE_MAX + 1) : NULL;
        size_t got = buf ? fread(buf, 1, RONDA_NOTE_MAX + 1, nf_) : 0; /* one byte past the limit: too big */
        int bad = !nf_ || !buf || ferror(nf_);
        if (nf_) fclose(nf_);
        if (bad) {
            perror(a->notes.v[k]);
            free(buf);
            free_notes(a);
            return EXIT_ENV;
        }
        a->note_text[k] = buf;
        a->note_len[k] = got;
    }
    rc = -1;
    /* the dashboard's zones and default (docs/http.md) */
    a->z = (audit_zone){zone ? zone : "WIB", http_zone_offset(zone ? zone : "WIB")};
    if (!a->lang) a->lang = "id";
    if (a->dir && a->bundle)
        rc = cli_usage("audit", "give --dir or --bundle, not both");
    else if (a->z.offset_min < 0)
        rc = cli_usage("audit", "--zone is WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9)");
    else if (strcmp(a->lang, "id") != 0 && strcmp(a->lang, "en") != 0)
        rc = cli_usage("audit", "--lang is id (Bahasa Indonesia, the default) or en (English)");
    if (rc < 0 && threads) {
        char *end;
        unsigned long t = strtoul(threads, &end, 10);
        if (!*threads || *end || t == 0 || t > RONDA_VERIFY_THREADS_MAX)
            rc = cli_usage("audit", "--threads is 1 to %u", RONDA_VERIFY_THREADS_MAX);
        a->threads = (unsigned)t;
    }
    if (rc >= 0) free_notes(a);
    return rc;
}

typedef struct audit_progress {
    progress prog;  /* a terminal line, or JSON events with --json (cli/log.h) */
    uint64_t total; /* the last total the audit reported */
} audit_progress;

static void on_progress(void *vctx, uint64_t done, uint64_t total) {
    audit_progress *p = vctx;
    p->total = total;
    progress_update(&p->prog, done, total, 0);
}

/* A bundle into a private temporary store: *s the store (NULL when the bundle was refused:
 * then *refused says why, the report's one finding); -1 to go on, else the exit status. */
static int open_bundle(const char *bundle, unsigned threads, ronda_store **s, ronda_finding *refused,
                       ronda_import_result *res) {
    FILE *f = fopen(bundle, "rb");
    if (!f) {
        perror(bundle);
        return EXIT_ENV;
    }
    ronda_bundle_header hdr;
    memset(&hdr, 0, sizeof hdr);
    ronda_err e = ronda_bundle_read_header(f, &hdr, &res->detail);
    rewind(f);
    if (e == RONDA_OK) e = ronda_store_open("", hdr.authority, s);
    if (e == RONDA_OK) e = ronda_bundle_import(*s, f, threads, NULL, NULL, res);
    fclose(f);
    if (e != RONDA_OK) {
        memset(refused, 0, sizeof *refused);
        refused->kind = RONDA_FINDING_BUNDLE;
        refused->what = ronda_finding_kind_name(refused->kind);
        refused->err = e;
        refused->seq = res->failed_index;
        snprintf(refused->detail, sizeof refused->detail, "record %llu of the bundle refused: %.200s",
                 (unsigned long long)res->failed_index, res->detail.text);
        ronda_store_close(s);
    }
    return -1;
}

/* The report rendered: the page (--html), then JSON or the terminal's lines. */
static int audit_render(const ronda_audit_report *r, const audit_args *a, const char *source) {
    char now[32];
    when((int64_t)r->audited_ms, now);
    json_t *doc = audit_report_json(r, source, now, &a->z, a->lang);
    if (!doc) return cli_fail(EXIT_ENV, "audit", RONDA_ERR_NOMEM, NULL, NULL);
    int out_rc = r->nfindings == 0 ? EXIT_OK : EXIT_REFUSED;
    FILE *f = a->html ? fopen(a->html, "w") : NULL;
    if (a->html && !f) {
        perror(a->html);
        out_rc = EXIT_ENV;
    } else if (f) {
        audit_write_html(f, source, r, doc, &a->z, a->lang);
        if (fclose(f) != 0) {
            perror(a->html);
            out_rc = EXIT_ENV;
        }
    }
    if (a->as_json) {
        cli_print_json(doc, 1);
    } else {
        print_summary(r, source);
        print_warnings_notes(r);
        print_findings(r, doc, a->lang);
        print_units_chains(r);
    }
    json_decref(doc);
    return out_rc;
}

int cmd_audit(int argc, char **argv) {
    audit_args a;
    int rc = audit_parse(argc, argv, &a);
    if (rc >= 0) return rc;
    audit_progress p = {.total = 0};
    progress_init(&p.prog, "audit", "records", a.as_json ? "json" : "auto");
    node n;
    ronda_store *s = NULL;
    ronda_finding refused;
    ronda_import_result res;
    memset(&res, 0, sizeof res);
    char source[4200];
    if (a.bundle) {
        snprintf(source, sizeof source, "bundle %s", a.bundle);
        rc = open_bundle(a.bundle, a.threads, &s, &refused, &res);
    } else if ((rc = node_open(&n, cli_dir(a.dir), 0)) == EXIT_OK) {
        snprintf(source, sizeof source, "node directory %s", n.dir);
        s = n.store;
        rc = -1;
    }
    if (rc >= 0) {
        free_notes(&a);
        return rc;
    }
    ronda_audit_report_opts o = {.threads = a.threads,
                                 .max_age_ms = a.max_age_ms,
                                 .note_file = a.notes.v,
                                 .note_text = (const char *const *)a.note_text,
                                 .note_len = a.note_len,
                                 .nnotes = a.notes.n,
                                 .prior = a.bundle && !s ? &refused : NULL,
                                 .nprior = a.bundle && !s ? 1 : 0,
                                 .expect_digest = a.bundle && s ? res.header.digest : NULL,
                                 .progress = on_progress,
                                 .progress_ctx = &p};
    ronda_audit_report *r = NULL;
    ronda_err e = ronda_audit_report_build(s, &o, &r);
    if (e == RONDA_OK) r->audited_ms = cli_now_ms(); /* the report is dated when done */
    if (e == RONDA_OK && s)
        progress_update(&p.prog, p.total, p.total, 1);
    else if (e != RONDA_OK && p.prog.shown)
        fputc('\n', stderr);
    if (!a.bundle)
        node_close(&n);
    else
        ronda_store_close(&s);
    free_notes(&a);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "audit", e, NULL, NULL);
    rc = audit_render(r, &a, source);
    ronda_audit_report_destroy(&r);
    return rc;
}

/* ------------------------------------------------------------------ ronda history */

static const char history_help[] = "usage: ronda history ID [--dir DIR] [--json]\n"
                                   "\n"
                                   "The provenance of one dialogue (ID: the dialogue, or one of its amendments or\n"
                                   "resolutions; 8 or more hex digits): the original record, each amendment, each\n"
                                   "resolution and their amendments, in time order, with who signed each (name, role,\n"
                                   "Polres/Polsek), when, and whether it verifies (signature, body, chain link,\n"
                                   "membership at its time). Exit status 1 when any of them does not verify.\n";

static void history_line(json_t *ev) {
    json_t *b = json_object_get(ev, "body"), *sg = json_object_get(ev, "signer");
    const char *kind = jstr(ev, "kind");
    char t[32];
    when(json_integer_value(json_object_get(ev, "signed_ms")), t);
    printf("%s  %-10s %.12s  %s", t, kind, jstr(ev, "id"), jstr(sg, "name") ? jstr(sg, "name") : "(unknown key)");
    if (jstr(sg, "role")) printf(" (%s", jstr(sg, "role"));
    if (jstr(sg, "polres"))
        printf(", %s%s%s", jstr(sg, "polres"), jstr(sg, "polsek") ? "/" : "",
               jstr(sg, "polsek") ? jstr(sg, "polsek") : "");
    if (jstr(sg, "role")) printf(")");
    printf(" seq %lld  %s\n", (long long)json_integer_value(json_object_get(ev, "seq")),
           json_is_true(json_object_get(ev, "verified")) ? "verified" : "DOES NOT VERIFY");
    json_int_t forked = json_integer_value(json_object_get(sg, "forked_at"));
    if (forked > 0)
        printf("      FORKED: its author signed two records for seq %lld; its chain is frozen at seq %lld%s\n",
               (long long)forked, (long long)forked - 1,
               json_integer_value(json_object_get(ev, "seq")) >= forked ? " (this record is beyond it, in no view)"
                                                                        : "");
    if (!json_is_true(json_object_get(ev, "verified"))) printf("      problem: %s\n", jstr(ev, "problem"));
    if (!b || json_is_null(b)) return;
    if (strcmp(kind, "dialogue") == 0) {
        printf("      \"%s\" (%s) at %s, %s/%s, held %s\n", jstr(b, "title"), jstr(b, "programme"), jstr(b, "venue"),
               jstr(b, "polres"), jstr(b, "polsek"), jstr(b, "when"));
        size_t i;
        json_t *tp;
        json_array_foreach(json_object_get(b, "topics"), i, tp)
            printf("      topic %zu [%s] %s\n", i, jstr(tp, "category"), jstr(tp, "summary"));
    } else if (strcmp(kind, "resolution") == 0) {
        printf("      topic %lld: %s%s%s, %s: %s\n", (long long)json_integer_value(json_object_get(b, "topic")),
               jstr(b, "status"), jstr(b, "referred_to") ? " to " : "",
               jstr(b, "referred_to") ? jstr(b, "referred_to") : "", jstr(b, "when"), jstr(b, "action"));
    } else if (strcmp(kind, "amend") == 0) {
        printf("      corrects %.12s (%s): %s\n", jstr(b, "target"), jstr(b, "kind"), jstr(b, "reason"));
    }
}

int cmd_history(int argc, char **argv) {
    const char *dir = NULL;
    int as_json = 0;
    const opt opts[] = {{"dir", OPT_STR, &dir}, {"json", OPT_FLAG, &as_json}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("history", history_help, argc, argv, opts, 2, pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) return cli_usage("history", "name the record ID (a dialogue, amendment or resolution)");
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    uint8_t id[32];
    json_t *o = NULL;
    ronda_err e = ronda_store_resolve(n.store, pos[0], id);
    if (e == RONDA_OK) e = ronda_store_history(n.store, id, &o);
    node_close(&n);
    if (e == RONDA_ERR_NOT_FOUND)
        return cli_fail(EXIT_REFUSED, pos[0], e, NULL,
                        "name a dialogue, or an amendment or resolution of one, held here (`ronda log`)");
    if (e == RONDA_ERR_INVALID)
        return cli_usage("history", "\"%s\" is not an id (8 to 64 hex digits, unambiguous)", pos[0]);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "history", e, NULL, NULL);
    if (as_json) {
        cli_print_json(o, 1);
    } else {
        json_t *ev = json_object_get(o, "events");
        printf("History of dialogue %s: %zu record%s\n\n", jstr(o, "dialogue"), json_array_size(ev),
               json_array_size(ev) == 1 ? "" : "s");
        size_t i;
        json_t *x;
        json_array_foreach(ev, i, x) history_line(x);
        printf("\n%s\n",
               json_is_true(json_object_get(o, "verified")) ? "every record verifies" : "SOME RECORDS DO NOT VERIFY");
    }
    int ok = json_is_true(json_object_get(o, "verified"));
    json_decref(o);
    return ok ? EXIT_OK : EXIT_REFUSED;
}
