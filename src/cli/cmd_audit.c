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

#define CHECKPOINT_EVERY_HQ_S 3600u /* `ronda run` on an hq node: one checkpoint an hour */

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

/* ------------------------------------------------------------------ periodic (ronda run) */

int run_checkpoints_init(run_checkpoints *c, node *n, const char *every, ronda_mono now, char *note, size_t len) {
    uint8_t self[32];
    json_t *m = NULL;
    ronda_store_node(n->store, self);
    int hq = ronda_store_member(n->store, self, &m) == RONDA_OK && json_string_value(json_object_get(m, "role")) &&
             strcmp(json_string_value(json_object_get(m, "role")), "hq") == 0;
    json_decref(m);
    note[0] = '\0';
    unsigned long s = hq ? CHECKPOINT_EVERY_HQ_S : 0;
    if (every) {
        char *end;
        s = strtoul(every, &end, 10);
        if (*every == '\0' || *end != '\0' || s > 366ul * 24 * 3600)
            return cli_usage("run", "--checkpoint-every is a number of seconds (0: never)");
        if (s && !hq) snprintf(note, len, "--checkpoint-every ignored: only hq members write checkpoints");
        if (!hq) s = 0;
    }
    memset(c, 0, sizeof *c);
    c->hq = hq;
    ronda_guard g;
    uint64_t gseq;
    c->guarded = ronda_store_guard(n->store, &g, &gseq) == RONDA_OK && g == RONDA_GUARD_FORKED;
    c->every_ms = (uint64_t)s * 1000u;
    c->next_ms = now.ms + c->every_ms;
    if (s && !note[0]) snprintf(note, len, "a checkpoint every %lu s", s);
    return -1;
}

/* One checkpoint now, unless this node's newest still signs for the whole ledger. */
static int write_checkpoint(run_checkpoints *c, node *n, ronda_mono now, ronda_wall wall, const char *why, char *text,
                            size_t len) {
    uint8_t self[32];
    int fresh = 0;
    int64_t content = 0, any = 0;
    ronda_store_node(n->store, self);
    ronda_err e = ronda_store_checkpoint_fresh(n->store, self, &fresh);
    if (e == RONDA_OK) e = ronda_store_marks(n->store, &content, &any);
    if (e != RONDA_OK) {
        snprintf(text, len, "checkpoint not written: %s (reading the ledger)", ronda_strerror(e));
        return -1;
    }
    c->content_mark = content;
    if (fresh || any == 0) return 0; /* no identical checkpoint; an empty ledger has nothing to sign */
    c->last_ms = now.ms ? now.ms : 1;
    uint8_t id[32];
    unsigned parts = 0;
    ronda_detail d = {{0}};
    e = ronda_store_checkpoint(n->store, n->secret, wall.ms, id, &parts, &d);
    /* A restored or forked node writes nothing (the guard, docs/operations.md): the daemon
     * says so at start; not an error at every tick. */
    if (e == RONDA_ERR_BEHIND || (e == RONDA_ERR_INVALID && c->guarded)) return 0;
    if (e != RONDA_OK) {
        snprintf(text, len, "checkpoint not written: %s (%s)", ronda_strerror(e), d.text);
        return -1;
    }
    char hex[65];
    ronda_hex(id, 32, hex);
    snprintf(text, len, "checkpoint %.16s written %s (%u part%s)", hex, why, parts, parts == 1 ? "" : "s");
    return 1;
}

int run_checkpoints_tick(run_checkpoints *c, node *n, ronda_mono now, ronda_wall wall, char *text, size_t len) {
    if (!c->every_ms || now.ms < c->next_ms) return 0; /* the timer: monotonic */
    c->next_ms = now.ms + c->every_ms;
    return write_checkpoint(c, n, now, wall, "on the hour", text, len);
}

int run_checkpoints_start(run_checkpoints *c, node *n, ronda_mono now, ronda_wall wall, char *text, size_t len) {
    if (!c->every_ms) return 0;
    return write_checkpoint(c, n, now, wall, "at start", text, len);
}

int run_checkpoints_synced(run_checkpoints *c, node *n, ronda_mono now, ronda_wall wall, char *text, size_t len) {
    if (!c->hq) return 0;
    int64_t content = 0, any = 0;
    if (ronda_store_marks(n->store, &content, &any) != RONDA_OK) {
        snprintf(text, len, "after a catch-up: the ledger could not be read");
        return -1;
    }
    int rc = 0;
    text[0] = '\0';
    /* Cosign first: the other HQs' checkpoints this catch-up brought. Only when the ledger
     * moved since the last pass (a pass over an unchanged ledger finds nothing new). */
    if (any != c->cosign_mark) {
        unsigned wrote = 0;
        ronda_detail d = {{0}};
        ronda_err e = ronda_store_cosign_pass(n->store, n->secret, wall.ms, RONDA_COSIGN_PASS_MAX, &wrote, &d);
        if (e == RONDA_ERR_BEHIND || (e == RONDA_ERR_INVALID && c->guarded)) {
            e = RONDA_OK;
            wrote = 0;
        }
        if (e != RONDA_OK) {
            snprintf(text, len, "cosignatures not written: %s (%s)", ronda_strerror(e), d.text);
            return -1;
        }
        if (ronda_store_marks(n->store, &content, &any) != RONDA_OK) any = 0;
        /* A full pass may leave more: look again at the next round. */
        c->cosign_mark = wrote == RONDA_COSIGN_PASS_MAX ? 0 : any;
        if (wrote) {
            snprintf(text, len, "%u cosignature%s of other HQs' checkpoints written", wrote, wrote == 1 ? "" : "s");
            rc = 1;
        }
    }
    if (!c->every_ms || content == c->content_mark) return rc;
    if (c->last_ms && now.ms - c->last_ms < RONDA_CHECKPOINT_GAP_MS) return rc; /* later, at the next round */
    size_t used = strlen(text);
    int w = write_checkpoint(c, n, now, wall, "after a catch-up", text + used + (used ? 2 : 0),
                             len - used - (used ? 2 : 0));
    if (used && w != 0) memcpy(text + used, "; ", 2);
    return w != 0 ? w : rc;
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

typedef struct audit_ctx {
    ronda_store *s;
    json_t *notes;    /* array: each --note checked (null until one is) */
    json_t *ages;     /* array: every hq writer's newest checkpoint */
    json_t *warnings; /* array: those older than the limit, or none */
    uint64_t newest_ms, max_age_ms, newest_cp_ms;
    int any_cp;
    json_t *findings; /* array */
    json_t *excluded; /* array: records after their author's revocation (notes) */
    json_t *chains;   /* array */
    progress prog;    /* a terminal line, or JSON events with --json (cli/log.h) */
    uint64_t total;   /* the last total the audit reported */
} audit_ctx;

static void on_audit_finding(void *vctx, const ronda_finding *f) {
    audit_ctx *c = vctx;
    char id[65], au[65];
    ronda_hex(f->id, 32, id);
    ronda_hex(f->author, 32, au);
    json_array_append_new(strcmp(f->what, "excluded") == 0 ? c->excluded : c->findings,
                          json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:s}", "what", f->what, "error",
                                    ronda_errname(f->err), "rowid", (json_int_t)f->rowid, "id", id, "author", au, "seq",
                                    (json_int_t)f->seq, "detail", f->detail));
    /* the structured parts, for the plain words (null when the finding has none) */
    json_t *x = json_array_get(strcmp(f->what, "excluded") == 0 ? c->excluded : c->findings,
                               json_array_size(strcmp(f->what, "excluded") == 0 ? c->excluded : c->findings) - 1);
    char dh[65];
    ronda_hex(f->dialogue, 32, dh);
    json_object_set_new(x, "dialogue", f->has_dialogue ? json_string(dh) : json_null());
    json_object_set_new(x, "field", f->field ? json_string(f->field) : json_null());
    json_object_set_new(x, "records_value", f->records_value ? json_string(f->records_value) : json_null());
    json_object_set_new(x, "view_value", f->view_value ? json_string(f->view_value) : json_null());
}

static int on_age(void *vctx, const ronda_checkpoint_age *a) {
    audit_ctx *c = vctx;
    char w[65], id[65];
    ronda_hex(a->writer, 32, w);
    ronda_hex(a->id, 32, id);
    json_t *m = NULL;
    const char *name = NULL;
    if (ronda_store_member(c->s, a->writer, &m) == RONDA_OK) name = json_string_value(json_object_get(m, "name"));
    uint64_t age = a->has && c->newest_ms > a->signed_ms ? c->newest_ms - a->signed_ms : 0;
    json_t *o = json_pack("{s:s, s:s?, s:o, s:o, s:o, s:I, s:I}", "writer", w, "author_name", name, "checkpoint",
                          a->has ? json_string(id) : json_null(), "seq",
                          a->has ? json_integer((json_int_t)a->seq) : json_null(), "signed_ms",
                          a->has ? json_integer((json_int_t)a->signed_ms) : json_null(), "age_ms", (json_int_t)age,
                          "cosigners", (json_int_t)a->cosigners);
    json_decref(m);
    if (!o) return 1;
    json_array_append(c->ages, o);
    if (!a->has || age > c->max_age_ms) {
        json_object_set_new(o, "warning", json_string(a->has ? "stale" : "none"));
        json_array_append(c->warnings, o);
    }
    json_decref(o);
    if (a->has) {
        if (!c->any_cp || a->signed_ms > c->newest_cp_ms) c->newest_cp_ms = a->signed_ms;
        c->any_cp = 1;
    }
    return 0;
}

/* Each finding's context from the store (what the ledger still knows of its record:
 * ronda_store_finding_context), at most RONDA_EXPLAIN_FINDINGS_MAX of them, rebuilt from the
 * finding's JSON once the audit is done (the audit's callback must stay quick). */
static ronda_err add_contexts(ronda_store *s, json_t *findings) {
    size_t i;
    json_t *x;
    json_array_foreach(findings, i, x) {
        if (i >= RONDA_EXPLAIN_FINDINGS_MAX) break;
        ronda_finding f;
        memset(&f, 0, sizeof f);
        f.what = json_string_value(json_object_get(x, "what"));
        const char *en = json_string_value(json_object_get(x, "error"));
        for (int k = 0; en && k < RONDA_ERR__COUNT; k++)
            if (strcmp(ronda_errname((ronda_err)k), en) == 0) f.err = (ronda_err)k;
        const char *h = json_string_value(json_object_get(x, "id"));
        if (h && ronda_unhex(h, f.id, 32) != RONDA_OK) memset(f.id, 0, 32);
        h = json_string_value(json_object_get(x, "author"));
        if (h && ronda_unhex(h, f.author, 32) != RONDA_OK) memset(f.author, 0, 32);
        h = json_string_value(json_object_get(x, "dialogue"));
        f.has_dialogue = h && ronda_unhex(h, f.dialogue, 32) == RONDA_OK;
        f.seq = (uint64_t)json_integer_value(json_object_get(x, "seq"));
        json_t *cx = NULL;
        ronda_err e = ronda_store_finding_context(s, &f, &cx);
        if (e != RONDA_OK) return e;
        json_object_set_new(x, "context", cx);
    }
    return RONDA_OK;
}

static void on_progress(void *vctx, uint64_t done, uint64_t total) {
    audit_ctx *c = vctx;
    c->total = total;
    progress_update(&c->prog, done, total, 0);
}

static int on_chain(void *vctx, json_t *chain) {
    audit_ctx *c = vctx;
    json_array_append(c->chains, chain);
    return 0;
}

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The chain (author) a finding is about; NULL for findings about the whole store. */
static json_t *chain_of(audit_ctx *c, const char *author) {
    size_t i;
    json_t *ch;
    json_array_foreach(c->chains, i, ch) if (strcmp(jstr(ch, "author"), author) == 0) return ch;
    return NULL;
}

/* Findings per chain, and the summary by Polres and Polsek: {polres: {polsek: {...}}};
 * "(HQ)" is the Polres's own node, "(network)" the authority and unknown keys. */
static json_t *by_unit(audit_ctx *c) {
    size_t i;
    json_t *ch, *f;
    json_array_foreach(c->chains, i, ch) json_object_set_new(ch, "findings", json_integer(0));
    json_t *store_findings = json_integer(0);
    json_array_foreach(c->findings, i, f) {
        json_t *owner = chain_of(c, jstr(f, "author"));
        if (owner)
            json_object_set_new(owner, "findings",
                                json_integer(json_integer_value(json_object_get(owner, "findings")) + 1));
        else
            json_integer_set(store_findings, json_integer_value(store_findings) + 1);
    }
    json_t *units = json_object();
    json_array_foreach(c->chains, i, ch) {
        const char *pr = jstr(ch, "polres") ? jstr(ch, "polres") : "(network)";
        const char *ps = jstr(ch, "polsek")                                               ? jstr(ch, "polsek")
                         : jstr(ch, "role") && strcmp(jstr(ch, "role"), "hq") == 0        ? "(HQ)"
                         : jstr(ch, "role") && strcmp(jstr(ch, "role"), "authority") == 0 ? "(authority)"
                                                                                          : "(unknown key)";
        json_t *p = json_object_get(units, pr);
        if (!p) json_object_set_new(units, pr, p = json_object());
        json_t *u = json_object_get(p, ps);
        if (!u)
            json_object_set_new(p, ps,
                                u = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "nodes", 0, "records", 0, "dialogues",
                                              0, "resolutions", 0, "checkpoints", 0, "findings", 0));
        json_t *k = json_object_get(ch, "kinds");
#define ADD(key, v) json_object_set_new(u, key, json_integer(json_integer_value(json_object_get(u, key)) + (v)))
        ADD("nodes", 1);
        ADD("records", json_integer_value(json_object_get(ch, "records")));
        ADD("dialogues", json_integer_value(json_object_get(k, "dialogue")));
        ADD("resolutions", json_integer_value(json_object_get(k, "resolution")));
        ADD("checkpoints", json_integer_value(json_object_get(k, "checkpoint")));
        ADD("findings", json_integer_value(json_object_get(ch, "findings")));
#undef ADD
    }
    if (json_integer_value(store_findings)) {
        json_t *p = json_object_get(units, "(network)");
        if (!p) json_object_set_new(units, "(network)", p = json_object());
        json_object_set_new(p, "(whole ledger)",
                            json_pack("{s:i, s:i, s:i, s:i, s:i, s:O}", "nodes", 0, "records", 0, "dialogues", 0,
                                      "resolutions", 0, "checkpoints", 0, "findings", store_findings));
    }
    json_decref(store_findings);
    return units;
}

static void audit_ctx_free(audit_ctx *c, char **note_text, size_t n) {
    json_decref(c->findings);
    json_decref(c->chains);
    json_decref(c->excluded);
    json_decref(c->ages);
    json_decref(c->warnings);
    json_decref(c->notes);
    c->findings = c->chains = c->excluded = c->ages = c->warnings = c->notes = NULL;
    for (size_t k = 0; k < n; k++) free(note_text[k]);
}

int cmd_audit(int argc, char **argv) {
    const char *dir = NULL, *bundle = NULL, *threads = NULL, *html = NULL, *zone = NULL, *lang = NULL, *max_age = NULL;
    int as_json = 0;
    strlist notes = {{0}, 0};
    const opt opts[] = {
        {"dir", OPT_STR, &dir},   {"bundle", OPT_STR, &bundle},   {"json", OPT_FLAG, &as_json},
        {"html", OPT_STR, &html}, {"threads", OPT_STR, &threads}, {"zone", OPT_STR, &zone},
        {"lang", OPT_STR, &lang}, {"note", OPT_LIST, &notes},     {"max-checkpoint-age", OPT_STR, &max_age}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("audit", audit_help, argc, argv, opts, 9, pos, 0, &npos);
    if (rc >= 0) return rc;
    uint64_t max_age_ms = RONDA_CHECKPOINT_STALE_MS;
    if (max_age) {
        char *end;
        unsigned long long v = strtoull(max_age, &end, 10);
        if (!*max_age || *end || v == 0 || v > 3650ull * 24 * 3600)
            return cli_usage("audit", "--max-checkpoint-age is a number of seconds (1 to ten years)");
        max_age_ms = (uint64_t)v * 1000u;
    }
    /* The notes are read before the ledger: a note that cannot be read is a usage problem. */
    char *note_text[RONDA_LIST_MAX] = {0};
    size_t note_len[RONDA_LIST_MAX] = {0};
    for (size_t k = 0; k < notes.n; k++) {
        FILE *nf_ = fopen(notes.v[k], "rb");
        char *buf = nf_ ? malloc(RONDA_NOTE_MAX + 1) : NULL;
        size_t got = buf ? fread(buf, 1, RONDA_NOTE_MAX + 1, nf_) : 0; /* one byte past the limit: too big */
        int bad = !nf_ || !buf || ferror(nf_);
        if (nf_) fclose(nf_);
        if (bad) {
            perror(notes.v[k]);
            free(buf);
            for (size_t j = 0; j < k; j++) free(note_text[j]);
            return EXIT_ENV;
        }
        note_text[k] = buf;
        note_len[k] = got;
    }
    if (dir && bundle) return cli_usage("audit", "give --dir or --bundle, not both");
    /* the dashboard's zones and default (docs/http.md) */
    audit_zone z = {zone ? zone : "WIB", http_zone_offset(zone ? zone : "WIB")};
    if (z.offset_min < 0) return cli_usage("audit", "--zone is WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9)");
    if (!lang) lang = "id";
    if (strcmp(lang, "id") != 0 && strcmp(lang, "en") != 0)
        return cli_usage("audit", "--lang is id (Bahasa Indonesia, the default) or en (English)");
    unsigned nthreads = 0;
    if (threads) {
        char *end;
        unsigned long t = strtoul(threads, &end, 10);
        if (!*threads || *end || t == 0 || t > RONDA_VERIFY_THREADS_MAX)
            return cli_usage("audit", "--threads is 1 to %u", RONDA_VERIFY_THREADS_MAX);
        nthreads = (unsigned)t;
    }
    audit_ctx c;
    memset(&c, 0, sizeof c);
    c.max_age_ms = max_age_ms;
    c.ages = json_array();
    c.warnings = json_array();
    c.findings = json_array();
    c.chains = json_array();
    c.excluded = json_array();
    progress_init(&c.prog, "audit", "records", as_json ? "json" : "auto");
    node n;
    int have_node = 0;
    ronda_err e = RONDA_OK;
    ronda_import_result res;
    memset(&res, 0, sizeof res);
    char source[4200];
    if (bundle) {
        snprintf(source, sizeof source, "bundle %s", bundle);
        FILE *f = fopen(bundle, "rb");
        if (!f) {
            perror(bundle);
            audit_ctx_free(&c, note_text, notes.n);
            return EXIT_ENV;
        }
        ronda_bundle_header hdr;
        memset(&hdr, 0, sizeof hdr);
        e = ronda_bundle_read_header(f, &hdr, &res.detail);
        rewind(f);
        if (e == RONDA_OK) e = ronda_store_open("", hdr.authority, &c.s);
        if (e == RONDA_OK) e = ronda_bundle_import(c.s, f, nthreads, NULL, NULL, &res);
        fclose(f);
        if (e != RONDA_OK) {
            ronda_finding fi;
            memset(&fi, 0, sizeof fi);
            fi.what = "bundle";
            fi.err = e;
            fi.seq = res.failed_index;
            snprintf(fi.detail, sizeof fi.detail, "record %llu of the bundle refused: %.200s",
                     (unsigned long long)res.failed_index, res.detail.text);
            on_audit_finding(&c, &fi);
            ronda_store_close(&c.s);
        }
    } else {
        if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) {
            audit_ctx_free(&c, note_text, notes.n);
            return rc;
        }
        snprintf(source, sizeof source, "node directory %s", n.dir);
        have_node = 1;
        c.s = n.store;
    }
    ronda_audit_summary sum;
    memset(&sum, 0, sizeof sum);
    ronda_stats st;
    memset(&st, 0, sizeof st);
    ronda_err ae = RONDA_OK;
    if (c.s) {
        ae = ronda_store_audit(c.s, nthreads, on_audit_finding, on_progress, &c, &sum);
        if (ae == RONDA_OK)
            progress_update(&c.prog, c.total, c.total, 1);
        else if (c.prog.shown)
            fputc('\n', stderr);
        if (ae == RONDA_OK) ae = ronda_store_stats(c.s, &st);
        if (ae == RONDA_OK) ae = ronda_store_chains(c.s, on_chain, &c);
        if (ae == RONDA_OK) ae = ronda_store_checkpoint_ages(c.s, &c.newest_ms, on_age, &c);
        for (size_t k = 0; ae == RONDA_OK && k < notes.n; k++) {
            ronda_note_check nc;
            ae = ronda_store_check_note(c.s, note_text[k], note_len[k], on_audit_finding, &c, &nc);
            if (ae == RONDA_OK) {
                char w[65];
                ronda_hex(nc.head.writer, 32, w);
                if (!c.notes) c.notes = json_array();
                json_array_append_new(c.notes, json_pack("{s:s, s:b, s:s, s:I, s:I, s:b, s:I, s:I, s:I, s:I}", "file",
                                                         notes.v[k], "parsed", nc.parsed, "writer", nc.parsed ? w : "",
                                                         "seq", (json_int_t)nc.head.seq, "size",
                                                         (json_int_t)nc.head.size, "writer_signed", nc.writer_signed,
                                                         "cosigners", (json_int_t)nc.cosigners, "other_signatures",
                                                         (json_int_t)nc.other_sigs, "claims", (json_int_t)nc.claims,
                                                         "claims_held", (json_int_t)nc.claims_held));
            }
        }
        if (ae == RONDA_OK && bundle && memcmp(st.digest, res.header.digest, 32) != 0) {
            ronda_finding fi;
            memset(&fi, 0, sizeof fi);
            fi.what = "bundle";
            fi.err = RONDA_ERR_TAMPERED;
            snprintf(fi.detail, sizeof fi.detail, "the records do not give the digest the bundle header declares");
            on_audit_finding(&c, &fi);
        }
    }
    /* Name each finding's node while the roster is at hand. */
    size_t i;
    json_t *x;
    json_array_foreach(c.findings, i, x) {
        json_t *ch = chain_of(&c, jstr(x, "author"));
        json_object_set_new(x, "author_name", ch && jstr(ch, "name") ? json_string(jstr(ch, "name")) : json_null());
    }
    json_array_foreach(c.excluded, i, x) {
        json_t *ch = chain_of(&c, jstr(x, "author"));
        json_object_set_new(x, "author_name", ch && jstr(ch, "name") ? json_string(jstr(ch, "name")) : json_null());
    }
    if (ae == RONDA_OK && c.s) ae = add_contexts(c.s, c.findings);
    if (have_node)
        node_close(&n);
    else
        ronda_store_close(&c.s);
    for (size_t k = 0; k < notes.n; k++) free(note_text[k]);
    if (ae != RONDA_OK) {
        audit_ctx_free(&c, NULL, 0);
        return cli_fail(EXIT_ENV, "audit", ae, NULL, NULL);
    }
    /* The ledger's newest checkpoint of all, against its newest record (not the auditor's
     * clock: an old copy audited today is judged by its own time). */
    uint64_t ledger_age = c.any_cp && c.newest_ms > c.newest_cp_ms ? c.newest_ms - c.newest_cp_ms : 0;
    if (c.s || have_node) {
        if (!c.any_cp && c.newest_ms)
            json_array_append_new(c.warnings, json_pack("{s:n, s:s, s:n, s:n, s:I, s:I, s:s}", "writer", "author_name",
                                                        "(ledger)", "checkpoint", "signed_ms", "age_ms", (json_int_t)0,
                                                        "cosigners", (json_int_t)0, "warning", "none"));
        else if (c.any_cp && ledger_age > c.max_age_ms)
            json_array_append_new(c.warnings,
                                  json_pack("{s:n, s:s, s:n, s:I, s:I, s:I, s:s}", "writer", "author_name", "(ledger)",
                                            "checkpoint", "signed_ms", (json_int_t)c.newest_cp_ms, "age_ms",
                                            (json_int_t)ledger_age, "cosigners", (json_int_t)0, "warning", "stale"));
    }
    size_t nf = json_array_size(c.findings);
    char dhex[65], now[32];
    ronda_hex(st.digest, 32, dhex);
    uint64_t now_ms = cli_now_ms();
    when((int64_t)now_ms, now);
    json_array_foreach(c.findings, i, x) audit_plain(x, &z);
    json_t *units = by_unit(&c);
    /* the report takes the arrays over; c.findings and c.chains stay valid until it goes */
    json_t *report = json_pack(
        "{s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:o}", "ok", nf == 0, "source",
        source, "audited_at", now, "records", (json_int_t)sum.verify.records, "authors", (json_int_t)sum.verify.authors,
        "forks", (json_int_t)sum.verify.fork_seqs, "excluded", (json_int_t)sum.verify.excluded, "checkpoints",
        (json_int_t)sum.checkpoints, "claims", (json_int_t)sum.claims, "claims_held", (json_int_t)sum.claims_held,
        "claims_revoked", (json_int_t)sum.claims_revoked, "references", (json_int_t)sum.references, "digest", dhex,
        "findings", c.findings, "chains", c.chains, "by_polres", units);
    json_object_set_new(report, "fork_records", json_integer((json_int_t)sum.verify.forks));
    json_object_set_new(report, "excluded_records", c.excluded);
    json_object_set_new(report, "classes", audit_classes(c.findings));
    json_object_set_new(report, "audited_ms", json_integer((json_int_t)now_ms));
    json_object_set_new(report, "zone", json_string(z.name));
    json_object_set_new(report, "zone_offset_min", json_integer(z.offset_min));
    json_object_set_new(report, "lang", json_string(lang));
    json_object_set_new(report, "checkpoint_ages", c.ages);
    json_object_set_new(report, "checkpoint_warnings", c.warnings);
    json_object_set_new(report, "max_checkpoint_age_s", json_integer((json_int_t)(c.max_age_ms / 1000u)));
    json_object_set_new(report, "newest_record_ms", json_integer((json_int_t)c.newest_ms));
    json_object_set_new(report, "notes", c.notes ? c.notes : json_array());
    json_object_set_new(report, "cosigns", json_integer((json_int_t)sum.cosigns));
    json_object_set_new(report, "roots", json_integer((json_int_t)sum.roots));
    json_object_set_new(report, "roots_unchecked", json_integer((json_int_t)sum.roots_unchecked));
    json_object_set_new(report, "checkpoint_notes", json_integer((json_int_t)sum.notes));
    int out_rc = nf == 0 ? EXIT_OK : EXIT_REFUSED;
    if (html) {
        FILE *f = fopen(html, "w");
        if (!f) {
            perror(html);
            out_rc = EXIT_ENV;
        } else {
            audit_write_html(f, source, report, &z, lang);
            if (fclose(f) != 0) {
                perror(html);
                out_rc = EXIT_ENV;
            }
        }
    }
    if (as_json) {
        cli_print_json(report, 1);
    } else {
        printf("ronda audit of the %s\n", source);
        printf("  %llu records from %llu authors; %llu forks (%llu fork-evidence records); %llu excluded after a "
               "revocation\n",
               (unsigned long long)sum.verify.records, (unsigned long long)sum.verify.authors,
               (unsigned long long)sum.verify.fork_seqs, (unsigned long long)sum.verify.forks,
               (unsigned long long)sum.verify.excluded);
        printf("  %llu checkpoints naming %llu records: %llu held, %llu after a revocation; %llu references\n",
               (unsigned long long)sum.checkpoints, (unsigned long long)sum.claims, (unsigned long long)sum.claims_held,
               (unsigned long long)sum.claims_revoked, (unsigned long long)sum.references);
        printf("  %llu cosignatures of checkpoints; %llu checkpoints carry a note signature\n",
               (unsigned long long)sum.cosigns, (unsigned long long)sum.notes);
        printf("  %llu checkpoint tree roots recomputed from the records (proto/tree.md)",
               (unsigned long long)sum.roots);
        if (sum.roots_unchecked)
            printf("; %llu not: an earlier checkpoint of their writer could not be rebuilt (see the findings)",
                   (unsigned long long)sum.roots_unchecked);
        printf("\n");
        printf("  digest %s\n\n", dhex);
        json_array_foreach(c.warnings, i, x) {
            const char *nm = jstr(x, "author_name") ? jstr(x, "author_name") : jstr(x, "writer");
            if (strcmp(jstr(x, "warning"), "none") == 0)
                printf("WARN checkpoint-age %s: no checkpoint at all; records newer than the last checkpoint can be "
                       "removed without a trace\n",
                       nm ? nm : "-");
            else
                printf("WARN checkpoint-age %s: newest checkpoint is %lld min older than the ledger's newest record "
                       "(limit %llu min)\n",
                       nm ? nm : "-", (long long)(json_integer_value(json_object_get(x, "age_ms")) / 60000),
                       (unsigned long long)(c.max_age_ms / 60000u));
        }
        json_array_foreach(json_object_get(report, "notes"), i, x)
            printf("NOTE note %s: checkpoint seq %lld of %.12s, size %lld; writer %s, %lld cosigner%s; %lld of %lld "
                   "records it named held\n",
                   jstr(x, "file"), (long long)json_integer_value(json_object_get(x, "seq")), jstr(x, "writer"),
                   (long long)json_integer_value(json_object_get(x, "size")),
                   json_is_true(json_object_get(x, "writer_signed")) ? "signed" : "NOT signed",
                   (long long)json_integer_value(json_object_get(x, "cosigners")),
                   json_integer_value(json_object_get(x, "cosigners")) == 1 ? "" : "s",
                   (long long)json_integer_value(json_object_get(x, "claims_held")),
                   (long long)json_integer_value(json_object_get(x, "claims")));
        if (json_array_size(c.warnings) || json_array_size(json_object_get(report, "notes"))) printf("\n");
        printf("Findings (%zu)\n", nf);
        json_array_foreach(c.findings, i, x) {
            const char *nm = jstr(x, "author_name");
            const char *check =
                strcmp(jstr(x, "error"), "view") == 0 && jstr(x, "field") ? jstr(x, "field") : jstr(x, "error");
            printf("FAIL %-13s %-10s %s seq %lld record %.12s: %s\n", jstr(x, "what"), check, nm ? nm : "-",
                   (long long)json_integer_value(json_object_get(x, "seq")), jstr(x, "id"), jstr(x, "detail"));
            audit_print_plain(stdout, x, lang);
        }
        if (json_array_size(c.excluded)) {
            printf("\nExcluded (%zu): written after their author's revocation; held, outside the ledger, not "
                   "findings\n",
                   json_array_size(c.excluded));
            json_array_foreach(c.excluded, i, x) {
                const char *nm = jstr(x, "author_name");
                printf("NOTE excluded %s seq %lld record %.12s\n", nm ? nm : "-",
                       (long long)json_integer_value(json_object_get(x, "seq")), jstr(x, "id"));
            }
        }
        printf("\nBy Polres and Polsek          nodes  records  dialogues  resolutions  checkpoints  findings\n");
        const char *pr;
        json_t *p;
        json_object_foreach(units, pr, p) {
            const char *ps;
            json_t *u;
            json_object_foreach(p, ps, u) {
                printf("  %-13.13s %-14.14s %5lld  %7lld  %9lld  %11lld  %11lld  %8lld\n", pr, ps,
                       (long long)json_integer_value(json_object_get(u, "nodes")),
                       (long long)json_integer_value(json_object_get(u, "records")),
                       (long long)json_integer_value(json_object_get(u, "dialogues")),
                       (long long)json_integer_value(json_object_get(u, "resolutions")),
                       (long long)json_integer_value(json_object_get(u, "checkpoints")),
                       (long long)json_integer_value(json_object_get(u, "findings")));
            }
        }
        printf("\nChains\n");
        json_t *ch;
        json_array_foreach(c.chains, i, ch) {
            char a[32], b[32];
            when(json_integer_value(json_object_get(ch, "first_ms")), a);
            when(json_integer_value(json_object_get(ch, "last_ms")), b);
            printf("  %-24.24s %-9s seq %lld..%lld  %s .. %s  %lld finding%s  %.12s\n",
                   jstr(ch, "name") ? jstr(ch, "name") : "(unknown key)", jstr(ch, "role") ? jstr(ch, "role") : "-",
                   (long long)json_integer_value(json_object_get(ch, "first_seq")),
                   (long long)json_integer_value(json_object_get(ch, "last_seq")), a, b,
                   (long long)json_integer_value(json_object_get(ch, "findings")),
                   json_integer_value(json_object_get(ch, "findings")) == 1 ? "" : "s", jstr(ch, "author"));
        }
        printf("\n%s: %zu finding%s\n", nf == 0 ? "OK" : "FAILED", nf, nf == 1 ? "" : "s");
    }
    json_decref(report);
    return out_rc;
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
