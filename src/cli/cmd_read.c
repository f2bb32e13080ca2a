/* Verbs that read the ledger: log, show, query, verify. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

static const char log_help[] = "usage: ronda log [--dir DIR] [--author KEY] [--limit N] [--json]\n"
                               "\n"
                               "Records in the order this node received them (fork evidence last): short id, kind,\n"
                               "author, seq and a one-line summary. --json prints one JSON object per line.\n";

typedef struct log_ctx {
    ronda_store *s;
    int as_json;
    unsigned long long limit, n;
} log_ctx;

static int log_row(void *vctx, const ronda_row *r) {
    log_ctx *c = vctx;
    if (c->limit && c->n >= c->limit) return 1;
    c->n++;
    json_t *shown = NULL;
    if (ronda_store_show(c->s, r->id, &shown) != RONDA_OK) return 1;
    json_t *body = json_object_get(shown, "body");
    const char *summary = json_string_value(json_object_get(body, "title"));
    if (!summary) summary = json_string_value(json_object_get(body, "action"));
    if (!summary) summary = json_string_value(json_object_get(body, "reason"));
    if (!summary) summary = json_string_value(json_object_get(body, "name"));
    if (c->as_json) {
        json_object_del(shown, "view");
        cli_print_json(shown, 0);
    } else {
        char id[13], au[13];
        cli_short(r->id, id);
        cli_short(r->author, au);
        const char *name = json_string_value(json_object_get(shown, "author_name"));
        printf("%s %s%-10s %-14s #%-4llu %s%s\n", id, r->fork ? "FORK " : "", r->kind, name ? name : au,
               (unsigned long long)r->seq, json_is_true(json_object_get(shown, "verified")) ? "" : "[FAILS VERIFY] ",
               summary ? summary : "");
    }
    json_decref(shown);
    return 0;
}

int cmd_log(int argc, char **argv) {
    const char *dir = NULL, *author = NULL, *limit = NULL;
    int as_json = 0;
    const opt opts[] = {
        {"dir", OPT_STR, &dir}, {"author", OPT_STR, &author}, {"limit", OPT_STR, &limit}, {"json", OPT_FLAG, &as_json}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("log", log_help, argc, argv, opts, 4, pos, 0, &npos);
    if (rc >= 0) return rc;
    uint8_t key[32];
    if (author && ronda_unhex(author, key, 32) != RONDA_OK)
        return cli_usage("log", "--author takes a key of 64 hex digits");
    log_ctx c = {NULL, as_json, limit ? strtoull(limit, NULL, 10) : 0, 0};
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    c.s = n.store;
    ronda_err e = ronda_store_each(n.store, author ? key : NULL, log_row, &c);
    node_close(&n);
    if (e != RONDA_OK && e != RONDA_ERR_INVALID) return cli_fail(EXIT_ENV, "log", e, NULL, NULL);
    return EXIT_OK;
}

static const char show_help[] =
    "usage: ronda show [--dir DIR] ID\n"
    "\n"
    "One record as JSON: its envelope (author, seq, prev, hlc, kind, body hash, signature),\n"
    "whether it verifies, its body, and for a dialogue its current view: the content after\n"
    "amendments, and every resolution of its topics. ID may be 8 or more hex digits.\n";

int cmd_show(int argc, char **argv) {
    const char *dir = NULL;
    const opt opts[] = {{"dir", OPT_STR, &dir}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("show", show_help, argc, argv, opts, 1, pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) return cli_usage("show", "name the record ID");
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    uint8_t id[32];
    json_t *o = NULL;
    ronda_err e = ronda_store_resolve(n.store, pos[0], id);
    if (e == RONDA_OK) e = ronda_store_show(n.store, id, &o);
    node_close(&n);
    if (e == RONDA_ERR_NOT_FOUND) return cli_fail(EXIT_REFUSED, pos[0], e, NULL, "`ronda log` lists the ids held here");
    if (e == RONDA_ERR_INVALID)
        return cli_usage("show", "\"%s\" is not an id (8 to 64 hex digits, unambiguous)", pos[0]);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "show", e, NULL, NULL);
    cli_print_json(o, 1);
    int ok = json_is_true(json_object_get(o, "verified"));
    json_decref(o);
    return ok ? EXIT_OK : EXIT_REFUSED;
}

static const char query_help[] =
    "usage: ronda query [--dir DIR] [filters] [--json | --csv] [--limit N]\n"
    "\n"
    "Topics raised in dialogues, each with its dialogue and its current follow-up status\n"
    "(open, in_progress, referred, resolved), oldest dialogue first.\n"
    "  --polres NAME --polsek NAME       (case-insensitive)\n"
    "  --programme P                     candu warkop curhat patroli_dialogis partnership other\n"
    "  --from YYYY-MM-DD --to YYYY-MM-DD (the dialogue's local date, inclusive)\n"
    "  --category C                      vulnerable_area social_problem traffic unrest criticism\n"
    "                                    aspiration other\n"
    "  --status S                        open in_progress referred resolved\n"
    "  --text WORDS                      full-text search over titles, places, topics, messages\n"
    "                                    and follow-up actions; every word must match\n"
    "  --limit N                         at most N rows (default 1000)\n";

typedef struct query_ctx {
    int mode; /* 0 text, 1 json, 2 csv */
    json_t *all;
    unsigned long long n;
} query_ctx;

static void csv_field(const char *s) {
    if (!s) return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static const char *const query_cols[] = {"dialogue", "when",        "polres",       "polsek", "programme", "title",
                                         "village",  "venue",       "participants", "topic",  "category",  "summary",
                                         "status",   "referred_to", "action",       NULL};

static int query_row(void *vctx, json_t *row) {
    query_ctx *c = vctx;
    c->n++;
    if (c->mode == 1) {
        json_array_append(c->all, row);
    } else if (c->mode == 2) {
        for (int i = 0; query_cols[i]; i++) {
            json_t *v = json_object_get(row, query_cols[i]);
            char num[32];
            if (i) putchar(',');
            if (json_is_integer(v)) {
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
                csv_field(num);
            } else {
                csv_field(json_string_value(v));
            }
        }
        putchar('\n');
    } else {
        const char *rt = json_string_value(json_object_get(row, "referred_to"));
        printf("%.12s  %.10s  %-11s %-11s %-16s %-15s %-11s%s%s  %s\n",
               json_string_value(json_object_get(row, "dialogue")), json_string_value(json_object_get(row, "when")),
               json_string_value(json_object_get(row, "polres")), json_string_value(json_object_get(row, "polsek")),
               json_string_value(json_object_get(row, "programme")),
               json_string_value(json_object_get(row, "category")), json_string_value(json_object_get(row, "status")),
               rt ? " -> " : "", rt ? rt : "", json_string_value(json_object_get(row, "summary")));
    }
    return 0;
}

int cmd_query(int argc, char **argv) {
    const char *dir = NULL, *limit = NULL;
    int as_json = 0, as_csv = 0;
    ronda_query q;
    memset(&q, 0, sizeof q);
    const opt opts[] = {{"dir", OPT_STR, &dir},
                        {"polres", OPT_STR, &q.polres},
                        {"polsek", OPT_STR, &q.polsek},
                        {"programme", OPT_STR, &q.programme},
                        {"category", OPT_STR, &q.category},
                        {"status", OPT_STR, &q.status},
                        {"from", OPT_STR, &q.date_from},
                        {"to", OPT_STR, &q.date_to},
                        {"text", OPT_STR, &q.text},
                        {"limit", OPT_STR, &limit},
                        {"json", OPT_FLAG, &as_json},
                        {"csv", OPT_FLAG, &as_csv}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("query", query_help, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc >= 0) return rc;
    if (as_json && as_csv) return cli_usage("query", "choose one of --json and --csv");
    const char *dates[2] = {q.date_from, q.date_to};
    for (int i = 0; i < 2; i++) {
        /* a real calendar date: time_parse checks digits, month and day (2026-02-30 is refused) */
        char probe[32];
        if (dates[i] && (strlen(dates[i]) != 10 ||
                         (snprintf(probe, sizeof probe, "%sT00:00:00+00:00", dates[i]), !time_parse(probe, 25, NULL))))
            return cli_usage("query", "dates are YYYY-MM-DD (got \"%s\")", dates[i]);
    }
    if (limit) {
        char *end;
        unsigned long v = strtoul(limit, &end, 10);
        if (*end || v == 0 || v > 10000000) return cli_usage("query", "--limit must be 1..10000000");
        q.limit = (unsigned)v;
    }
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    query_ctx c = {as_json ? 1 : as_csv ? 2 : 0, json_array(), 0};
    if (as_csv) {
        for (int i = 0; query_cols[i]; i++) printf("%s%s", i ? "," : "", query_cols[i]);
        putchar('\n');
    }
    ronda_err e = ronda_store_query(n.store, &q, query_row, &c);
    node_close(&n);
    if (e == RONDA_ERR_INVALID) {
        json_decref(c.all);
        return cli_usage("query", "--text needs at least one word");
    }
    if (e != RONDA_OK) {
        json_decref(c.all);
        return cli_fail(EXIT_ENV, "query", e, NULL, NULL);
    }
    if (as_json)
        cli_print_json(c.all, 1);
    else if (!as_csv) {
        fflush(stdout);
        fprintf(stderr, "%llu topics\n", c.n);
    }
    json_decref(c.all);
    return EXIT_OK;
}

static const char verify_help[] =
    "usage: ronda verify [--dir DIR] [--json] [--threads N]\n"
    "       ronda verify --bundle FILE [--json] [--threads N]\n"
    "\n"
    "Re-check the whole ledger from its stored bytes, trusting nothing derived: canonical\n"
    "form, every signature, body hash and id, every chain link (seq, prev, hlc), each\n"
    "author's membership at the time of writing (rebuilt from the authority's records),\n"
    "the fork evidence, the frontier and the append-only triggers; then every derived view\n"
    "(what reports and the dashboard read) is rebuilt from the records in a temporary copy\n"
    "and compared row by row (a difference is a `view` finding: `ronda rebuild` repairs).\n"
    "With --bundle, the same for a bundle file, into a private temporary database (the node\n"
    "is not touched).\n"
    "Exit status 1 on any finding (a fork is a finding), 0 when everything verifies.\n";

typedef struct verify_ctx {
    int as_json;
    json_t *findings;
} verify_ctx;

static void on_finding(void *vctx, const ronda_finding *f) {
    verify_ctx *c = vctx;
    char id[65], au[65];
    ronda_hex(f->id, 32, id);
    ronda_hex(f->author, 32, au);
    json_array_append_new(c->findings, json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:s}", "what", f->what, "error",
                                                 ronda_errname(f->err), "rowid", (json_int_t)f->rowid, "id", id,
                                                 "author", au, "seq", (json_int_t)f->seq, "detail", f->detail));
    json_t *x = json_array_get(c->findings, json_array_size(c->findings) - 1);
    char dh[65];
    ronda_hex(f->dialogue, 32, dh);
    json_object_set_new(x, "dialogue", f->has_dialogue ? json_string(dh) : json_null());
    json_object_set_new(x, "field", f->field ? json_string(f->field) : json_null());
    json_object_set_new(x, "records_value", f->records_value ? json_string(f->records_value) : json_null());
    json_object_set_new(x, "view_value", f->view_value ? json_string(f->view_value) : json_null());
    /* a view finding names its field where others name the check (its check is "view") */
    if (!c->as_json)
        printf("FAIL %-13s %-10s record %.12s author %.12s seq %llu: %s\n", f->what,
               f->err == RONDA_ERR_VIEW && f->field ? f->field : ronda_errname(f->err), id, au,
               (unsigned long long)f->seq, f->detail);
}

int cmd_verify(int argc, char **argv) {
    const char *dir = NULL, *bundle = NULL, *threads = NULL;
    int as_json = 0;
    const opt opts[] = {{"dir", OPT_STR, &dir},
                        {"bundle", OPT_STR, &bundle},
                        {"json", OPT_FLAG, &as_json},
                        {"threads", OPT_STR, &threads}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("verify", verify_help, argc, argv, opts, 4, pos, 0, &npos);
    if (rc >= 0) return rc;
    unsigned nthreads = threads ? (unsigned)strtoul(threads, NULL, 10) : 0;
    ronda_store *s = NULL;
    node n;
    int have_node = 0;
    ronda_import_result res;
    memset(&res, 0, sizeof res);
    verify_ctx c = {as_json, json_array()};
    ronda_err e = RONDA_OK;
    if (bundle) {
        /* A bundle is checked by importing it into a private temporary database with every
         * check the network applies; the authority is the one its header names. */
        FILE *f = fopen(bundle, "rb");
        if (!f) {
            perror(bundle);
            json_decref(c.findings);
            return EXIT_ENV;
        }
        ronda_bundle_header hdr;
        memset(&hdr, 0, sizeof hdr);
        e = ronda_bundle_read_header(f, &hdr, &res.detail);
        rewind(f);
        if (e == RONDA_OK) e = ronda_store_open("", hdr.authority, &s);
        if (e == RONDA_OK) e = ronda_bundle_import(s, f, nthreads, NULL, NULL, &res);
        fclose(f);
        if (e != RONDA_OK) {
            ronda_finding fi;
            memset(&fi, 0, sizeof fi);
            fi.kind = RONDA_FINDING_BUNDLE;
            fi.what = ronda_finding_kind_name(fi.kind);
            fi.err = e;
            fi.seq = res.failed_index;
            snprintf(fi.detail, sizeof fi.detail, "record %llu of the bundle refused: %.200s",
                     (unsigned long long)res.failed_index, res.detail.text);
            on_finding(&c, &fi);
        }
    } else {
        if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) {
            json_decref(c.findings);
            return rc;
        }
        have_node = 1;
        s = n.store;
    }
    ronda_verify_summary sum;
    memset(&sum, 0, sizeof sum);
    ronda_err ve = s && (!bundle || e == RONDA_OK) ? ronda_store_verify(s, nthreads, on_finding, &c, &sum) : RONDA_OK;
    ronda_stats st;
    memset(&st, 0, sizeof st);
    if (s && ve == RONDA_OK && (!bundle || e == RONDA_OK)) ve = ronda_store_stats(s, &st);
    if (have_node)
        node_close(&n);
    else
        ronda_store_close(&s);
    if (ve != RONDA_OK) {
        json_decref(c.findings);
        return cli_fail(EXIT_ENV, "verify", ve, NULL, NULL);
    }
    size_t nf = json_array_size(c.findings);
    char dhex[65];
    ronda_hex(st.digest, 32, dhex);
    int digest_match = !bundle || e != RONDA_OK || memcmp(st.digest, res.header.digest, 32) == 0;
    if (bundle && e == RONDA_OK && !digest_match) {
        ronda_finding fi;
        memset(&fi, 0, sizeof fi);
        fi.kind = RONDA_FINDING_BUNDLE;
        fi.what = ronda_finding_kind_name(fi.kind);
        fi.err = RONDA_ERR_TAMPERED;
        snprintf(fi.detail, sizeof fi.detail, "the records do not give the digest the bundle header declares");
        on_finding(&c, &fi);
        nf++;
    }
    if (as_json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:s, s:o}", "ok", nf == 0, "records", (json_int_t)sum.records,
                              "authors", (json_int_t)sum.authors, "forks", (json_int_t)sum.fork_seqs, "digest", dhex,
                              "findings", json_incref(c.findings));
        json_object_set_new(o, "excluded", json_integer((json_int_t)sum.excluded));
        json_object_set_new(o, "fork_records", json_integer((json_int_t)sum.forks));
        cli_print_json(o, 1);
        json_decref(o);
    } else {
        printf("%s: %llu records from %llu authors checked, %llu forks (%llu fork-evidence records), %zu "
               "findings\ndigest %s\n",
               nf == 0 ? "OK" : "FAILED", (unsigned long long)sum.records, (unsigned long long)sum.authors,
               (unsigned long long)sum.fork_seqs, (unsigned long long)sum.forks, nf, dhex);
        if (sum.excluded)
            printf("%llu records held but excluded: written after their author's revocation\n",
                   (unsigned long long)sum.excluded);
    }
    json_decref(c.findings);
    return nf == 0 ? EXIT_OK : EXIT_REFUSED;
}
