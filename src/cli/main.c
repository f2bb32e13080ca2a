/* ronda: the command line. Dispatches verbs; each verb lives in a cmd_*.c file. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: ronda <verb> [options]    (every verb takes --help)\n"
    "\n"
    "ronda keeps a signed, append-only ledger of community-policing dialogues (Warkop,\n"
    "Curhat, Candu Kamtibmas, Patroli Dialogis...) and their follow-ups, one node per\n"
    "Polsek or Polres, under one authority (e.g. the Polda) that admits the nodes.\n"
    "\n"
    "Setting up (init -> admit -> join):\n"
    "  ronda authority init --dir AUTH            once per network: the authority's key\n"
    "  ronda init --dir NODE --authority KEY       on each node: its keys and database\n"
    "  ronda authority admit --dir AUTH --request NODE/join-request.json --role precinct ...\n"
    "  ronda export --dir AUTH roster.bundle       the authority hands out its roster\n"
    "  ronda join --dir NODE roster.bundle         the node takes it: now it may write\n"
    "\n"
    "Verbs:\n"
    "  init                 create a node (keys + database)\n"
    "  authority init|admit|revoke   the authority's work: create, admit a node, revoke one\n"
    "  join BUNDLE          import the authority's roster and check this node is admitted\n"
    "  record dialogue|resolution|amend   append a signed record\n"
    "  log                  list records in arrival order\n"
    "  show ID              one record, verified, with its current view\n"
    "  status               counts, ledger digest, forks (--json)\n"
    "  query                topics by Polres, Polsek, programme, date, category, status, text\n"
    "  report               HQ report per Polres, Polsek, programme or month (--json, --csv)\n"
    "  verify               re-check every signature, link, membership (--bundle FILE: a bundle)\n"
    "  export FILE          write the ledger as a bundle ('-' = stdout)\n"
    "  import FILE          apply a bundle: every record checked, all or nothing\n"
    "  rebuild              drop and rebuild the derived views from the records\n"
    "  checkpoint           (hq) sign the frontier this node holds, for later audits\n"
    "  audit                full audit: findings, summary by Polres/Polsek, chains (--json, --html)\n"
    "  history ID           the provenance of one dialogue: amendments, resolutions, signers\n"
    "  prove ID             Merkle proof of a record against a checkpoint (--consistency OLD NEW,\n"
    "                       --check FILE: verify one offline)\n"
    "  run                  the node daemon: serve and sync with peers over CurveZMQ\n"
    "  backup FILE          a consistent copy of the node's database, while it runs\n"
    "  restore FILE         put a backup in place (it writes nothing until a peer confirms it)\n"
    "  config check|show    check the configuration file, or show the effective one\n"
    "\n"
    "The node directory is --dir DIR, else $RONDA_DIR, else ./ronda-node.\n"
    "Times typed without an offset use $RONDA_TZ (default +07:00, WIB).\n"
    "\n"
    "Exit status: 0 success; 1 verification found problems or input was refused;\n"
    "2 bad command line or configuration; 3 the node directory, a file or the database could\n"
    "not be used; 4 the node may be behind its own history (restored) and writes nothing yet.\n";

int main(int argc, char **argv) {
    static const struct {
        const char *verb;
        int (*fn)(int, char **);
    } verbs[] = {
        {"init", cmd_init},
        {"authority", cmd_authority},
        {"join", cmd_join},
        {"status", cmd_status},
        {"rebuild", cmd_rebuild},
        {"record", cmd_record},
        {"log", cmd_log},
        {"show", cmd_show},
        {"query", cmd_query},
        {"verify", cmd_verify},
        {"export", cmd_export},
        {"import", cmd_import},
        {"run", cmd_run},
        {"backup", cmd_backup},
        {"restore", cmd_restore},
        {"config", cmd_config},
        {"checkpoint", cmd_checkpoint},
        {"audit", cmd_audit},
        {"history", cmd_history},
        {"report", cmd_report},
        {"prove", cmd_prove},
    };
    if (ronda_init() != RONDA_OK) {
        fprintf(stderr, "ronda: libsodium failed to initialise\n");
        return EXIT_ENV;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ronda %s\n", RONDA_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].verb) == 0) return verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ronda: unknown verb \"%s\"\n  see `ronda --help`\n", argv[1]);
    return EXIT_USAGE;
}
