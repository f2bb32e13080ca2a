/* Verbs that make and manage nodes: init, authority init|admit|revoke, join, status, rebuild. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/log.h"
#include "ronda/report.h"
#include "util/util.h"

#define DAY_MS (24ull * 3600ull * 1000ull)
#define ADMIT_SKEW_MS (10ull * 60ull * 1000ull) /* a node's clock may run this far behind the authority's */

/* Create dir (0700) with fresh keys and an empty database. */
static int make_node(const char *dir, const uint8_t *authority, const char *name, uint8_t sign_pk[32],
                     uint8_t curve_pk[32]) {
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "ronda: cannot create %s: %s\n", dir, strerror(errno));
        return EXIT_ENV;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, NODE_DB);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        fprintf(stderr, "ronda: %s already holds a node; refusing to overwrite it\n", dir);
        return EXIT_ENV;
    }
    uint8_t sk[RONDA_SECRET_BYTES], csk[32];
    crypto_sign_keypair(sign_pk, sk);
    crypto_box_keypair(curve_pk, csk);
    snprintf(path, sizeof path, "%s/%s", dir, NODE_SIGN_KEY);
    ronda_err e = keyfile_write(path, SIGN_KEY_TYPE, sk, sizeof sk);
    if (e == RONDA_OK) {
        snprintf(path, sizeof path, "%s/%s", dir, NODE_CURVE_KEY);
        e = keyfile_write(path, CURVE_KEY_TYPE, csk, sizeof csk);
    }
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(csk, sizeof csk);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, path, e, NULL, "remove stale key files from an earlier attempt");
    ronda_store *s;
    snprintf(path, sizeof path, "%s/%s", dir, NODE_DB);
    e = ronda_store_create(path, authority ? authority : sign_pk, sign_pk, &s);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, path, e, NULL, NULL);
    ronda_store_close(&s);
    /* The public half, for the authority's `admit --request`. */
    char spk[65], ccpk[65];
    ronda_hex(sign_pk, 32, spk);
    ronda_hex(curve_pk, 32, ccpk);
    json_t *req = json_pack("{s:s, s:s, s:s}", "name", name, "sign_key", spk, "curve_key", ccpk);
    snprintf(path, sizeof path, "%s/%s", dir, NODE_REQUEST);
    int bad = !req || json_dump_file(req, path, JSON_INDENT(2)) != 0;
    json_decref(req);
    if (bad) {
        fprintf(stderr, "ronda: cannot write %s\n", path);
        return EXIT_ENV;
    }
    return EXIT_OK;
}

static const char init_help[] = "usage: ronda init [--dir DIR] --authority KEY [--name NAME]\n"
                                "\n"
                                "Create a node: a signing key (sign.key), a CurveZMQ key (curve.key), both mode 0600,\n"
                                "and an empty ledger (ronda.db) that trusts the authority KEY (64 hex digits, printed\n"
                                "by `ronda authority init`). Also writes join-request.json: hand it to the authority,\n"
                                "which admits the node with `ronda authority admit --request FILE`.\n";

int cmd_init(int argc, char **argv) {
    const char *dir = NULL, *authority = NULL, *name = NULL;
    const opt opts[] = {{"dir", OPT_STR, &dir}, {"authority", OPT_STR, &authority}, {"name", OPT_STR, &name}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("init", init_help, argc, argv, opts, 3, pos, 0, &npos);
    if (rc >= 0) return rc;
    uint8_t auth[32], pk[32], cpk[32];
    if (!authority) return cli_usage("init", "--authority KEY is required (the authority's public key)");
    if (ronda_unhex(authority, auth, 32) != RONDA_OK) return cli_usage("init", "--authority must be 64 hex digits");
    dir = cli_dir(dir);
    if ((rc = make_node(dir, auth, name ? name : dir, pk, cpk)) != EXIT_OK) return rc;
    char spk[65], ccpk[65], path[4200];
    ronda_hex(pk, 32, spk);
    ronda_hex(cpk, 32, ccpk);
    snprintf(path, sizeof path, "%s/%s", dir, NODE_REQUEST);
    printf("node created in %s\n  signing key: %s\n  curve key:   %s\n", dir, spk, ccpk);
    printf("next: give %s to the authority, which runs\n"
           "  ronda authority admit --request %s --role precinct --polres P --polsek S\n"
           "then take its roster with `ronda join --dir %s ROSTER.bundle`.\n",
           path, path, dir);
    return EXIT_OK;
}

static const char authority_help[] =
    "usage: ronda authority init   [--dir DIR]\n"
    "       ronda authority admit  [--dir DIR] (--request FILE | --sign-key KEY --curve-key KEY --name NAME)\n"
    "                              --role precinct|hq|auditor [--polres P] [--polsek S]\n"
    "                              [--endpoint tcp://HOST:PORT] [--valid-days N] [--name NAME]\n"
    "       ronda authority revoke [--dir DIR] --member KEY --reason TEXT [--last-seq N --last-id ID]\n"
    "\n"
    "The authority (e.g. the Polda) admits nodes by signing `member` records and withdraws\n"
    "them with `revoke` records. Both are ordinary ledger records: export the authority's\n"
    "ledger and import (or `join`) it at every node.\n"
    "\n"
    "init    creates the authority's directory, key and ledger; prints its public key, which\n"
    "        every node is initialised with. To run the authority as a node too (so its\n"
    "        records replicate live), admit its own join-request.json as an auditor.\n"
    "admit   a precinct names its --polres and --polsek, an hq its --polres; auditors write\n"
    "        nothing. Membership is valid from now (less 10 minutes of clock skew) for\n"
    "        --valid-days (default 365).\n"
    "revoke  names the member's last good record: records after --last-seq are refused,\n"
    "        whatever time they claim. Default: the last record of the member this ledger\n"
    "        holds (0 if none).\n";

static int authority_init(int argc, char **argv) {
    const char *dir = NULL;
    const opt opts[] = {{"dir", OPT_STR, &dir}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("authority init", authority_help, argc, argv, opts, 1, pos, 0, &npos);
    if (rc >= 0) return rc;
    dir = cli_dir(dir);
    uint8_t pk[32], cpk[32];
    if ((rc = make_node(dir, NULL, "authority", pk, cpk)) != EXIT_OK) return rc;
    char hex[65];
    ronda_hex(pk, 32, hex);
    printf("authority created in %s\n  authority key: %s\n", dir, hex);
    printf("next: on each node, `ronda init --dir NODE --authority %s`\n", hex);
    return EXIT_OK;
}

static int append_body(node *n, ronda_kind kind, json_t *body, const char *verb) {
    ronda_detail d = {{0}};
    uint8_t *bytes = NULL, id[32];
    size_t len;
    ronda_err e = ronda_body_from_json(kind, body, &bytes, &len, &d);
    if (e != RONDA_OK) return cli_fail(EXIT_REFUSED, verb, e, &d, "fix the field named above");
    e = ronda_store_append(n->store, n->secret, kind, bytes, len, cli_now_ms(), id, &d);
    free(bytes);
    if (e != RONDA_OK)
        return cli_fail(e == RONDA_ERR_BEHIND ? EXIT_BEHIND : EXIT_REFUSED, verb, e, &d,
                        e == RONDA_ERR_BEHIND ? cli_behind_hint(n->store) : NULL);
    char hex[65];
    ronda_hex(id, 32, hex);
    puts(hex);
    return EXIT_OK;
}

static int authority_admit(int argc, char **argv) {
    const char *dir = NULL, *request = NULL, *sign = NULL, *curve = NULL, *name = NULL, *role = NULL, *polres = NULL,
               *polsek = NULL, *endpoint = NULL, *days = NULL;
    const opt opts[] = {{"dir", OPT_STR, &dir},           {"request", OPT_STR, &request},
                        {"sign-key", OPT_STR, &sign},     {"curve-key", OPT_STR, &curve},
                        {"name", OPT_STR, &name},         {"role", OPT_STR, &role},
                        {"polres", OPT_STR, &polres},     {"polsek", OPT_STR, &polsek},
                        {"endpoint", OPT_STR, &endpoint}, {"valid-days", OPT_STR, &days}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("authority admit", authority_help, argc, argv, opts, 10, pos, 0, &npos);
    if (rc >= 0) return rc;
    json_t *req = NULL;
    if (request) {
        json_error_t jerr;
        req = json_load_file(request, 0, &jerr);
        if (!json_is_object(req)) {
            json_decref(req);
            fprintf(stderr, "ronda: %s: not a join request (%s, line %d)\n", request, jerr.text, jerr.line);
            return EXIT_USAGE;
        }
        if (!sign) sign = json_string_value(json_object_get(req, "sign_key"));
        if (!curve) curve = json_string_value(json_object_get(req, "curve_key"));
        if (!name) name = json_string_value(json_object_get(req, "name"));
    }
    rc = EXIT_USAGE;
    char *end = NULL;
    unsigned long long nd = days ? strtoull(days, &end, 10) : 365;
    if (!sign || !curve || !name)
        cli_usage("authority admit", "give --request FILE, or --sign-key, --curve-key and --name");
    else if (!role)
        cli_usage("authority admit", "--role precinct|hq|auditor is required");
    else if (days && (*end || nd == 0 || nd > 3650))
        cli_usage("authority admit", "--valid-days must be 1..3650");
    else
        rc = -1;
    if (rc >= 0) {
        json_decref(req);
        return rc;
    }
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 1)) != EXIT_OK) {
        json_decref(req);
        return rc;
    }
    uint8_t auth[32];
    ronda_store_authority(n.store, auth);
    if (memcmp(auth, n.secret + 32, 32) != 0) {
        fprintf(stderr, "ronda: %s is a node, not the authority\n", n.dir);
        node_close(&n);
        json_decref(req);
        return EXIT_USAGE;
    }
    uint64_t now = cli_now_ms();
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "name", name, "role", role, "sign_key", sign, "curve_key", curve,
                  "valid_from", (json_int_t)(now - ADMIT_SKEW_MS), "valid_until", (json_int_t)(now + nd * DAY_MS));
    if (polres) json_object_set_new(body, "polres", json_string(polres));
    if (polsek) json_object_set_new(body, "polsek", json_string(polsek));
    if (endpoint) json_object_set_new(body, "endpoint", json_string(endpoint));
    rc = append_body(&n, RONDA_KIND_MEMBER, body, "authority admit");
    json_decref(body);
    json_decref(req);
    node_close(&n);
    return rc;
}

static int authority_revoke(int argc, char **argv) {
    const char *dir = NULL, *member = NULL, *reason = NULL, *last_seq = NULL, *last_id = NULL;
    const opt opts[] = {{"dir", OPT_STR, &dir},
                        {"member", OPT_STR, &member},
                        {"reason", OPT_STR, &reason},
                        {"last-seq", OPT_STR, &last_seq},
                        {"last-id", OPT_STR, &last_id}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("authority revoke", authority_help, argc, argv, opts, 5, pos, 0, &npos);
    if (rc >= 0) return rc;
    uint8_t key[32], id[32];
    if (!member || ronda_unhex(member, key, 32) != RONDA_OK)
        return cli_usage("authority revoke", "--member KEY (the member's signing key, 64 hex digits) is required");
    if (!reason) return cli_usage("authority revoke", "--reason TEXT is required");
    if ((last_seq == NULL) != (last_id == NULL))
        return cli_usage("authority revoke", "give --last-seq and --last-id together, or neither");
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 1)) != EXIT_OK) return rc;
    uint64_t seq = 0;
    char hex[65] = "";
    if (last_seq) {
        char *end;
        seq = strtoull(last_seq, &end, 10);
        if (*end || (seq > 0 && ronda_unhex(last_id, id, 32) != RONDA_OK)) {
            node_close(&n);
            return cli_usage("authority revoke", "--last-seq N and --last-id ID (64 hex digits)");
        }
        if (seq > 0) ronda_hex(id, 32, hex);
    } else if (ronda_store_head(n.store, key, &seq, id) == RONDA_OK) {
        ronda_hex(id, 32, hex);
    }
    json_t *body = json_pack("{s:s, s:s, s:I}", "member", member, "reason", reason, "last_seq", (json_int_t)seq);
    if (seq > 0) json_object_set_new(body, "last_id", json_string(hex));
    rc = append_body(&n, RONDA_KIND_REVOKE, body, "authority revoke");
    json_decref(body);
    node_close(&n);
    return rc;
}

int cmd_authority(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "init") == 0) return authority_init(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "admit") == 0) return authority_admit(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "revoke") == 0) return authority_revoke(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(authority_help, stdout);
        return EXIT_OK;
    }
    if (argc >= 2)
        fprintf(stderr, "ronda authority: unknown action \"%s\" (init, admit or revoke)\n\n", argv[1]);
    else
        fprintf(stderr, "ronda authority: name the action (init, admit or revoke)\n\n");
    fputs(authority_help, stderr);
    return EXIT_USAGE;
}

static const char status_help[] =
    "usage: ronda status [--dir DIR] [--json]\n"
    "\n"
    "What this node holds: records, authors (chains), forks found, dialogues, topics,\n"
    "resolutions, members, and the ledger digest. Two nodes with equal digests hold equal\n"
    "ledgers. The JSON has: node, name, authority, records, authors, digest, forks (forked\n"
    "seqs), fork_records (fork-evidence records held: a fork's two lowest ids, and the ledger's\n"
    "own version beside them), suspect_records (records the last view check found no longer\n"
    "verify: left out of every report), ...\n"
    "and clock: this node's clock against its peers' as `ronda run` last measured it\n"
    "({offset_ms, age_ms, bound_ms, off}; null when no recent measurement).\n";

int cmd_status(int argc, char **argv) {
    const char *dir = NULL;
    int as_json = 0;
    const opt opts[] = {{"dir", OPT_STR, &dir}, {"json", OPT_FLAG, &as_json}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("status", status_help, argc, argv, opts, 2, pos, 0, &npos);
    if (rc >= 0) return rc;
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    ronda_stats st;
    ronda_err e = ronda_store_stats(n.store, &st);
    if (e != RONDA_OK) {
        node_close(&n);
        return cli_fail(EXIT_ENV, "status", e, NULL, NULL);
    }
    uint8_t key[32], auth[32];
    char khex[65], ahex[65], dhex[65];
    ronda_store_node(n.store, key);
    ronda_store_authority(n.store, auth);
    ronda_hex(key, 32, khex);
    ronda_hex(auth, 32, ahex);
    ronda_hex(st.digest, 32, dhex);
    ronda_guard guard = RONDA_GUARD_NONE;
    uint64_t guard_seq = 0;
    if (ronda_store_guard(n.store, &guard, &guard_seq) != RONDA_OK) guard = RONDA_GUARD_RESTORED;
    /* The clock against the peers', as the daemon last measured it (none: no recent one). */
    int64_t off = 0;
    uint64_t off_age = 0, mag = 0;
    int has_off = cli_clock_offset(&n, &off, &off_age);
    if (has_off) mag = off < 0 ? (uint64_t)0 - (uint64_t)off : (uint64_t)off;
    int clock_off = has_off && mag > RONDA_CLOCK_AHEAD_MAX_MS;
    json_t *m = NULL;
    const char *name = memcmp(key, auth, 32) == 0 ? "authority" : NULL;
    if (!name && ronda_store_member(n.store, key, &m) == RONDA_OK) name = json_string_value(json_object_get(m, "name"));
    if (as_json) {
        json_t *o =
            json_pack("{s:s, s:s?, s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "node", khex, "name", name,
                      "authority", ahex, "records", (json_int_t)st.records, "authors", (json_int_t)st.authors, "digest",
                      dhex, "forks", (json_int_t)st.fork_seqs, "dialogues", (json_int_t)st.dialogues, "topics",
                      (json_int_t)st.topics, "resolutions", (json_int_t)st.resolutions, "members",
                      (json_int_t)st.members, "revoked", (json_int_t)st.revoked, "admitted", name != NULL);
        json_object_set_new(o, "fork_records", json_integer((json_int_t)st.forks));
        json_object_set_new(o, "suspect_records", json_integer((json_int_t)st.suspects));
        json_object_set_new(o, "guard", json_string(ronda_guard_name(guard)));
        json_object_set_new(o, "clock",
                            has_off ? json_pack("{s:I, s:I, s:I, s:b}", "offset_ms", (json_int_t)off, "age_ms",
                                                (json_int_t)off_age, "bound_ms", (json_int_t)RONDA_CLOCK_AHEAD_MAX_MS,
                                                "off", clock_off)
                                    : json_null());
        json_object_set_new(o, "guard_seq", json_integer((json_int_t)guard_seq));
        json_t *nw = NULL;
        if (ronda_store_network(n.store, &nw) == RONDA_OK) {
            json_object_set(o, "frozen", json_object_get(nw, "frozen")); /* forked chains */
            json_decref(nw);
        }
        cli_print_json(o, 0);
        json_decref(o);
    } else {
        printf("node        %s%s%s%s\n", khex, name ? " (" : "", name ? name : "", name ? ")" : " (not admitted yet)");
        printf("authority   %s\nrecords     %llu from %llu authors\ndigest      %s\nforks       %llu", ahex,
               (unsigned long long)st.records, (unsigned long long)st.authors, dhex, (unsigned long long)st.fork_seqs);
        if (st.forks != st.fork_seqs) printf(" (%llu fork-evidence records)", (unsigned long long)st.forks);
        printf("\n");
        printf("dialogues   %llu with %llu topics, %llu resolutions\nmembers     %llu (%llu revoked)\n",
               (unsigned long long)st.dialogues, (unsigned long long)st.topics, (unsigned long long)st.resolutions,
               (unsigned long long)st.members, (unsigned long long)st.revoked);
        if (st.suspects)
            printf("suspect     %llu record%s no longer verif%s from %s stored bytes: left out of every report and "
                   "page (`ronda verify` names %s; docs/audit.md)\n",
                   (unsigned long long)st.suspects, st.suspects == 1 ? "" : "s", st.suspects == 1 ? "ies" : "y",
                   st.suspects == 1 ? "its" : "their", st.suspects == 1 ? "it" : "them");
        if (guard == RONDA_GUARD_FORKED)
            printf("guard       forked (own chain forked at seq %llu): this key writes no more; a new key must be "
                   "admitted (docs/operations.md, \"A forked chain\")\n",
                   (unsigned long long)guard_seq);
        else if (guard != RONDA_GUARD_NONE)
            printf("guard       %s (own seq %llu): writes nothing until a peer confirms its head\n",
                   ronda_guard_name(guard), (unsigned long long)guard_seq);
        if (has_off)
            printf("clock       %lld s %s peers' (measured %llu s ago)%s%s\n", (long long)(mag / 1000u),
                   off >= 0 ? "ahead of" : "behind", (unsigned long long)(off_age / 1000u),
                   clock_off ? ": OFF BY MORE THAN THE BOUND, records refused; " : "", clock_off ? CLI_CLOCK_HINT : "");
        json_t *nw = NULL;
        if (ronda_store_network(n.store, &nw) == RONDA_OK) {
            json_t *fr = json_object_get(nw, "frozen");
            for (size_t i = 0; i < json_array_size(fr); i++) {
                json_t *f = json_array_get(fr, i);
                const char *fname = json_string_value(json_object_get(f, "name"));
                printf("forked      %.16s%s%s%s: two records for seq %lld; frozen at seq %lld\n",
                       json_string_value(json_object_get(f, "author")), fname ? " (" : "", fname ? fname : "",
                       fname ? ")" : "", (long long)json_integer_value(json_object_get(f, "fork_seq")),
                       (long long)json_integer_value(json_object_get(f, "frozen_at")));
            }
            json_decref(nw);
        }
    }
    json_decref(m);
    node_close(&n);
    return EXIT_OK;
}

static const char rebuild_help[] =
    "usage: ronda rebuild [--dir DIR] [--json]\n"
    "\n"
    "Drop every derived table (frontier, roster, dialogues, topics, resolutions, search index)\n"
    "and rebuild it from the records alone. Records are never touched. Progress: a status line\n"
    "on a terminal; with --json, {\"event\":\"progress\",...} lines on stderr.\n";

static void rebuild_progress(void *ctx, uint64_t done, uint64_t total) { progress_update(ctx, done, total, 0); }

int cmd_rebuild(int argc, char **argv) {
    const char *dir = NULL;
    int as_json = 0;
    const opt opts[] = {{"dir", OPT_STR, &dir}, {"json", OPT_FLAG, &as_json}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("rebuild", rebuild_help, argc, argv, opts, 2, pos, 0, &npos);
    if (rc >= 0) return rc;
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    progress p;
    progress_init(&p, "rebuild", "records", as_json ? "json" : "auto");
    ronda_stats st;
    uint64_t total = ronda_store_stats(n.store, &st) == RONDA_OK ? st.records : 0;
    ronda_err e = ronda_store_rebuild_progress(n.store, rebuild_progress, &p);
    if (e == RONDA_OK) progress_update(&p, total, total, 1);
    node_close(&n);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "rebuild", e, NULL, NULL);
    printf("derived views rebuilt\n");
    return EXIT_OK;
}
