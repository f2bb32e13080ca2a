/* Verbs that move ledgers as files: export, import, join. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/log.h"

static const char export_help[] =
    "usage: ronda export [--dir DIR] FILE     ('-' writes to standard output)\n"
    "\n"
    "Write this node's whole ledger as a bundle (proto/bundle.md): a header (authority key,\n"
    "record counts, ledger digest) and every record in the v1 layout, fork evidence last.\n"
    "Taken from one consistent snapshot; the node may keep writing meanwhile.\n";

int cmd_export(int argc, char **argv) {
    const char *dir = NULL;
    const opt opts[] = {{"dir", OPT_STR, &dir}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("export", export_help, argc, argv, opts, 1, pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) return cli_usage("export", "name the bundle FILE to write (or '-')");
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    int to_stdout = strcmp(pos[0], "-") == 0;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.partial", pos[0]);
    FILE *f = to_stdout ? stdout : fopen(tmp, "wb");
    if (!f) {
        node_close(&n);
        perror(pos[0]);
        return EXIT_ENV;
    }
    ronda_bundle_header h;
    ronda_err e = ronda_bundle_export(n.store, f, cli_now_ms(), &h);
    node_close(&n);
    if (!to_stdout) {
        /* Written under another name and renamed: a half-written bundle never has the name. */
        if (fflush(f) != 0 || fsync(fileno(f)) != 0) e = e == RONDA_OK ? RONDA_ERR_IO : e;
        if (fclose(f) != 0) e = e == RONDA_OK ? RONDA_ERR_IO : e;
        if (e == RONDA_OK && rename(tmp, pos[0]) != 0) e = RONDA_ERR_IO;
        if (e != RONDA_OK) unlink(tmp);
    }
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "export", e, NULL, NULL);
    if (!to_stdout)
        fprintf(stderr, "exported %llu records and %llu fork-evidence records to %s\n", (unsigned long long)h.records,
                (unsigned long long)h.forks, pos[0]);
    return EXIT_OK;
}

static void import_progress(void *ctx, uint64_t read, uint64_t total) { progress_update(ctx, read, total, 0); }

/* Import FILE into the node; prints the outcome. Returns an exit code. */
static int import_file(node *n, const char *path, const char *verb, int as_json) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        perror(path);
        return EXIT_ENV;
    }
    ronda_import_result res;
    progress p;
    progress_init(&p, verb, "records", as_json ? "json" : "auto");
    ronda_err e = ronda_bundle_import(n->store, f, 0, import_progress, &p, &res);
    if (f != stdin) fclose(f);
    if (e == RONDA_OK)
        progress_update(&p, res.read, res.read, 1);
    else if (p.shown)
        fputc('\n', stderr);
    if (e != RONDA_OK) {
        char what[200];
        if (ronda_err_is_db(e))
            snprintf(what, sizeof what, "%s: storing %s failed (nothing from it was stored)", verb, path);
        else if (res.failed_index)
            snprintf(what, sizeof what, "%s: record %llu of %s refused", verb, (unsigned long long)res.failed_index,
                     path);
        else
            snprintf(what, sizeof what, "%s: %s refused", verb, path);
        return cli_fail(cli_exit_for(e, EXIT_REFUSED), what, e, &res.detail, "nothing from this bundle was stored");
    }
    printf("%s: %llu records read: %llu stored, %llu already held, %llu fork evidence, %llu skipped"
           " (written after their author's revocation)\n",
           verb, (unsigned long long)res.read, (unsigned long long)res.stored, (unsigned long long)res.duplicates,
           (unsigned long long)res.forks, (unsigned long long)res.revoked);
    return EXIT_OK;
}

static const char import_help[] =
    "usage: ronda import [--dir DIR] [--json] FILE     ('-' reads standard input)\n"
    "\n"
    "Apply a bundle. Every record is checked exactly as the network checks it: canonical\n"
    "form, signature, body hash and schema, chain link, the author's membership, references.\n"
    "All or nothing: on the first refused record nothing of the bundle is stored, and the\n"
    "error names the record and the reason. Records already held are counted, not stored twice.\n"
    "Progress: a status line on a terminal; with --json, {\"event\":\"progress\",...} lines on stderr.\n";

int cmd_import(int argc, char **argv) {
    const char *dir = NULL;
    int as_json = 0;
    const opt opts[] = {{"dir", OPT_STR, &dir}, {"json", OPT_FLAG, &as_json}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("import", import_help, argc, argv, opts, 2, pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) return cli_usage("import", "name the bundle FILE to read (or '-')");
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    rc = import_file(&n, pos[0], "import", as_json);
    node_close(&n);
    return rc;
}

static const char join_help[] =
    "usage: ronda join [--dir DIR] BUNDLE\n"
    "\n"
    "The last step of admitting a node: import the authority's bundle (its roster) and check\n"
    "that it admits this node. Until then the node may not write.\n";

int cmd_join(int argc, char **argv) {
    const char *dir = NULL;
    const opt opts[] = {{"dir", OPT_STR, &dir}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("join", join_help, argc, argv, opts, 1, pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) return cli_usage("join", "name the authority's BUNDLE");
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    rc = import_file(&n, pos[0], "join", 0);
    if (rc == EXIT_OK) {
        uint8_t key[32];
        json_t *m = NULL;
        ronda_store_node(n.store, key);
        if (ronda_store_member(n.store, key, &m) != RONDA_OK) {
            fprintf(stderr,
                    "ronda: join: the bundle does not admit this node yet\n"
                    "  hint: the authority runs `ronda authority admit --request %s/%s ...` first\n",
                    n.dir, NODE_REQUEST);
            rc = EXIT_REFUSED;
        } else {
            printf("joined as %s (%s)\n", json_string_value(json_object_get(m, "name")),
                   json_string_value(json_object_get(m, "role")));
            json_decref(m);
        }
    }
    node_close(&n);
    return rc;
}
