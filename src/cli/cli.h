/* The ronda command: shared helpers for its verbs (options, node directory, output). */
#ifndef RONDA_CLI_H
#define RONDA_CLI_H

#include <stdio.h>

#include "ronda/ronda.h"

/* Exit codes (docs/cli.md): */
#define EXIT_OK 0      /* success */
#define EXIT_REFUSED 1 /* verification found problems, or input was refused */
#define EXIT_USAGE 2   /* bad command line */
#define EXIT_ENV 3     /* the node directory, a file, or the database could not be used */
#define EXIT_BEHIND 4  /* the node may be behind its own history (restored): it writes nothing yet */

/* The hint printed when an append is refused with RONDA_ERR_BEHIND. */
/* For RONDA_ERR_BEHIND: the forked guard's way forward, or the restore guard's. */
const char *cli_behind_hint(ronda_store *s);
#define CLI_FORKED_HINT                                                                                                \
    "this key signed two records for one seq and writes no more: create a new key (`ronda init` in a new "             \
    "directory), have the authority admit it and revoke this key at the seq before the fork (docs/operations.md, "     \
    "\"A forked chain\"); `ronda status` shows the guard"
#define CLI_BEHIND_HINT                                                                                                \
    "run `ronda run` until it has synced with a peer (docs/operations.md, \"Backup and restore\"); "                   \
    "`ronda status` shows the guard"

/* The hint when this node's clock is off by more than the bound. */
#define CLI_CLOCK_HINT                                                                                                 \
    "set this PC's clock (enable NTP: `timedatectl set-ntp true`); peers refuse records dated beyond "                 \
    "RONDA_CLOCK_AHEAD_MAX_MS of their clocks (docs/operations.md, \"Clocks\")"

/* A node directory holds these files. */
#define NODE_DB "ronda.db"
#define NODE_SIGN_KEY "sign.key"
#define NODE_CURVE_KEY "curve.key"
#define NODE_REQUEST "join-request.json"
#define SIGN_KEY_TYPE "ronda-ed25519-secret-v1"
#define CURVE_KEY_TYPE "ronda-curve25519-secret-v1"

typedef struct node {
    char dir[4096];
    ronda_store *store;
    uint8_t secret[RONDA_SECRET_BYTES]; /* wiped on close */
    int has_secret;
} node;

/* The daemon's estimate of this node's clock offset from its peers (ronda_store_clock_offset),
 * when one younger than RONDA_CLOCK_OFFSET_STALE_MS is stored: 1 and *offset_ms, *age_ms;
 * 0 when none (no daemon ran lately, no peer told its clock, or this clock was stepped
 * since: a measurement from the future is no measurement). */
int cli_clock_offset(node *n, int64_t *offset_ms, uint64_t *age_ms);

/* The node directory: --dir, else $RONDA_DIR, else "./ronda-node". */
const char *cli_dir(const char *flag);
/* Open the node at dir; with want_secret also load its signing key. Prints the error and
 * returns an exit code (0 on success). */
int node_open(node *n, const char *dir, int want_secret);
void node_close(node *n);
/* path = dir/name */
void node_path(const node *n, const char *name, char *out, size_t len);

/* Wall clock in ms since the epoch (the CLI is the only place that reads it). */
uint64_t cli_now_ms(void);
/* Time zone offset for times typed without one and for "now": $RONDA_TZ or +07:00 (WIB). */
const char *cli_tz(void);
/* Now as a v1 time string at cli_tz(). */
void cli_now_str(char out[32]);

/* Print "ronda: <what>: <error text>[ (<detail>)]" and a hint; return code. For a database
 * failure the hint is its fix (ronda_err_fix), whatever `hint` says. */
int cli_fail(int code, const char *what, ronda_err e, const ronda_detail *d, const char *hint);
/* "<error text> (<SQLite's text>); fix: <what to do>" for an error of the store s (NULL:
 * none), for logs: the cause of a database failure and its fix, never "database error" alone. */
void cli_error_text(ronda_store *s, ronda_err e, char *out, size_t len);
/* The exit code of a failed operation that refused nothing: a database failure of any kind
 * (ronda_err_is_db) or a file error is EXIT_ENV, anything else `other`. */
int cli_exit_for(ronda_err e, int other);
/* Print a usage error and return EXIT_USAGE. */
int cli_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print JSON to stdout (pretty when `pretty`). */
void cli_print_json(json_t *j, int pretty);
/* Short form of an id or key for humans: the first 12 hex digits. */
void cli_short(const uint8_t *bytes, char out[13]);

/* Verbs */
int cmd_init(int argc, char **argv);
int cmd_authority(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_prove(int argc, char **argv);

/* A tiny option parser shared by every verb: --name VALUE, --name=VALUE, --flag. */
typedef enum opt_kind { OPT_FLAG, OPT_STR, OPT_LIST } opt_kind;
typedef struct strlist {
    const char *v[RONDA_LIST_MAX];
    size_t n;
} strlist;
typedef struct opt {
    const char *name; /* without the leading -- */
    opt_kind kind;
    void *dst; /* int*, const char**, strlist* */
} opt;

/* Parse argv[1..]; positional arguments go to pos (at most npos_max). Returns -1 to go on,
 * EXIT_OK after printing `help` for --help, or EXIT_USAGE after printing the error. */
int cli_parse(const char *verb, const char *help, int argc, char **argv, const opt *opts, size_t nopts,
              const char **pos, size_t npos_max, size_t *npos);

#endif
