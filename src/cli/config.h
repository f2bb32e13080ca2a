/* A node's configuration (docs/configuration.md): one table of keys, read from an INI file
 * (inih), the environment and command-line flags, with the precedence
 *
 *     flag  >  environment  >  file  >  default
 *
 * Every key is one row of the table in config.c: its [section] and name in the file, its
 * --flag and environment variable (either may be absent), its type, range and default. A
 * new key (an HTTP endpoint, a checkpoint period...) is one enum value and one table row;
 * the flag parser, `ronda config check|show` and validation follow from the row. */
#ifndef RONDA_CLI_CONFIG_H
#define RONDA_CLI_CONFIG_H

#include <stdio.h>

#include "cli/cli.h"

typedef enum cfg_id {
    CFG_DIR,              /* [node] dir: the node directory */
    CFG_LISTEN,           /* [net] listen: the endpoint to serve on */
    CFG_PEER,             /* [net] peer: bootstrap peers (repeatable) */
    CFG_FANOUT,           /* [net] fanout: random roster peers */
    CFG_COMPRESS,         /* [net] compress: zstd for RECORDS to peers that take it, or none */
    CFG_LOG_LEVEL,        /* [log] level */
    CFG_LOG_PREFIX,       /* [log] prefix: systemd <N> priority prefixes */
    CFG_PROGRESS,         /* [log] progress: catch-up progress display */
    CFG_CHECKPOINT_EVERY, /* [audit] checkpoint_every: seconds between an hq node's checkpoints */
    CFG_VIEW_CHECK,       /* [audit] view_check: seconds between the running node's view checks */
    CFG_HTTP,             /* [http] listen: where to serve the HQ dashboard and API */
    CFG_HTTP_ZONE,        /* [http] zone: the dashboard's time zone */
    CFG__COUNT
} cfg_id;

typedef enum cfg_source { CFG_SRC_DEFAULT, CFG_SRC_FILE, CFG_SRC_ENV, CFG_SRC_FLAG } cfg_source;

typedef struct cfg_value {
    char *v[RONDA_CONFIG_LIST_MAX]; /* owned copies */
    size_t n;
    cfg_source src;
    unsigned line[RONDA_CONFIG_LIST_MAX]; /* file line of each value when src is CFG_SRC_FILE */
} cfg_value;

typedef struct config {
    char file[4096]; /* the INI file read, "" when none */
    cfg_value val[CFG__COUNT];
    const char *flag_str[CFG__COUNT]; /* filled by cli_parse through config_opts() */
    strlist flag_list[CFG__COUNT];
    unsigned errors; /* problems reported by config_load */
} config;

#define CONFIG_OPTS_MAX CFG__COUNT

/* Zero c, then append to `out` (at most `cap`) one option per key that has a flag, with
 * c's flag slots as destinations. Returns how many were added. */
size_t config_opts(config *c, opt *out, size_t cap);

/* Resolve every key: defaults, then the INI file `path` (NULL: $RONDA_CONFIG, else none),
 * then the environment, then the flags cli_parse stored. Every problem is printed (with
 * file and line for the file's) and counted in c->errors. Returns EXIT_OK, EXIT_USAGE (bad
 * values or keys) or EXIT_ENV (the file cannot be read). With `quiet`, prints nothing. */
int config_load(config *c, const char *path, int quiet);
void config_free(config *c);

const char *config_str(const config *c, cfg_id id);
unsigned long config_uint(const config *c, cfg_id id);
size_t config_list(const config *c, cfg_id id, const char *const **values);

/* The effective configuration as an INI file, each value's source in a comment. */
void config_show(const config *c, FILE *out);

/* `ronda config check|show` */
int cmd_config(int argc, char **argv);

#endif
