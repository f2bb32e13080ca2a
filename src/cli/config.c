/* The configuration table and its three sources (see config.h and docs/configuration.md).
 *
 * The INI file is read with inih through our own line reader, for two reasons: inih tells
 * its handler no line numbers (Debian builds it without INI_HANDLER_LINENO), and it reports
 * only the first syntax error. Our reader hands inih one line at a time, so the line count
 * at the moment inih calls the handler is the line of that key; and it classifies each
 * line itself, so every malformed line is reported, not just the first. The file's size is
 * bounded (RONDA_CONFIG_FILE_MAX) and so is every line (inih's buffer). */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/config.h"

typedef enum cfg_type {
    CFG_T_TEXT,     /* any printable text up to RONDA_NAME_MAX */
    CFG_T_PATH,     /* a file-system path */
    CFG_T_ENDPOINT, /* tcp://HOST:PORT or ipc://PATH */
    CFG_T_UINT,     /* a decimal number in [min, max] */
    CFG_T_CHOICE,   /* one word of `choices` */
    CFG_T_HOSTPORT, /* [HOST:]PORT, HOST an address or [V6] */
} cfg_type;

typedef struct cfg_key {
    cfg_id id;
    const char *section, *name; /* in the INI file */
    const char *flag;           /* --flag (ronda run), or NULL */
    const char *env;            /* environment variable, or NULL */
    cfg_type type;
    int list;        /* may be given several times (flags and file); env: space-separated */
    const char *def; /* default, as text ("" = none) */
    unsigned long min, max;
    const char *choices; /* CFG_T_CHOICE: space-separated words; CFG_T_ENDPOINT: extra words allowed */
    const char *help;    /* one line, for `config show` */
} cfg_key;

/* The table. Keep docs/configuration.md and deploy/examples/ronda.ini in step with it. */
static const cfg_key keys[] = {
    {CFG_DIR, "node", "dir", "dir", "RONDA_DIR", CFG_T_PATH, 0, "ronda-node", 0, 0, NULL,
     "the node directory (ronda.db, sign.key, curve.key)"},
    {CFG_LISTEN, "net", "listen", "listen", "RONDA_LISTEN", CFG_T_ENDPOINT, 0, "", 0, 0, "none",
     "where to serve peers; empty: the endpoint of this node's member record; none: do not serve"},
    {CFG_PEER, "net", "peer", "peer", "RONDA_PEERS", CFG_T_ENDPOINT, 1, "", 0, 0, NULL,
     "a peer to always connect to (its key comes from the roster); repeatable"},
    {CFG_FANOUT, "net", "fanout", "fanout", "RONDA_FANOUT", CFG_T_UINT, 0, "3", 0, 16, NULL,
     "further peers chosen at random from the roster"},
    {CFG_COMPRESS, "net", "compress", "compress", "RONDA_COMPRESS", CFG_T_CHOICE, 0, "zstd", 0, 0, "zstd none",
     "RECORDS to peers that announce zstd go compressed; none: sent as they are, zstd not announced"},
    {CFG_LOG_LEVEL, "log", "level", "log-level", "RONDA_LOG_LEVEL", CFG_T_CHOICE, 0, "info", 0, 0,
     "error warning notice info debug", "the least important log lines written"},
    {CFG_LOG_PREFIX, "log", "prefix", "log-prefix", "RONDA_LOG_PREFIX", CFG_T_CHOICE, 0, "auto", 0, 0,
     "auto always never", "<N> priority prefixes for the journal; auto: when $JOURNAL_STREAM is set"},
    {CFG_PROGRESS, "log", "progress", "progress", "RONDA_PROGRESS", CFG_T_CHOICE, 0, "auto", 0, 0, "auto tty json none",
     "catch-up progress on stderr; auto: a status line when stderr is a terminal"},
    {CFG_CHECKPOINT_EVERY, "audit", "checkpoint_every", "checkpoint-every", "RONDA_CHECKPOINT_EVERY", CFG_T_UINT, 0, "",
     0, 31536000, NULL,
     "hq nodes: seconds between signed checkpoints; empty: 3600 on hq, none on other roles; 0: never"},
    {CFG_VIEW_CHECK, "audit", "view_check", "view-check", "RONDA_VIEW_CHECK", CFG_T_UINT, 0, "600", 0, 31536000, NULL,
     "seconds between checks of the derived views against the records (at start, then this often); 0: never"},
    {CFG_HTTP, "http", "listen", "http", "RONDA_HTTP", CFG_T_HOSTPORT, 0, "", 0, 0, NULL,
     "[HOST:]PORT for the read-only HQ dashboard, JSON API and /metrics (HOST default 127.0.0.1); empty: off"},
    {CFG_HTTP_ZONE, "http", "zone", "http-zone", "RONDA_HTTP_ZONE", CFG_T_CHOICE, 0, "WIB", 0, 0, "WIB WITA WIT",
     "the dashboard's time zone"},
};
_Static_assert(sizeof keys / sizeof keys[0] == CFG__COUNT, "one row per key");

static const char *const source_names[] = {"default", "file", "environment", "flag"};

/* ------------------------------------------------------------------ values */

static void value_clear(cfg_value *v) {
    for (size_t i = 0; i < v->n; i++) free(v->v[i]);
    memset(v, 0, sizeof *v);
}

static int value_add(cfg_value *v, const char *s, size_t len) {
    if (v->n >= RONDA_CONFIG_LIST_MAX) return -1;
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    v->v[v->n++] = copy;
    return 0;
}

static int has_word(const char *words, const char *w) {
    size_t wl = strlen(w);
    for (const char *p = words; p && *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == wl && strncmp(p, w, l) == 0) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* NULL when `s` is a valid value for k, else what is wrong with it (a static string). */
static const char *check_value(const cfg_key *k, const char *s) {
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return "contains a control character";
    if (len == 0) return k->def[0] ? "is empty (delete the line to get the default)" : "is empty";
    /* inih reads a ';' after a space as the start of a comment, and a value begins after the
     * spaces that follow '='; so neither could be written back by `config show`. */
    if (s[0] == ';')
        return "begins with ';' (a comment after `key =` needs a value before it; delete the line for the default)";
    for (size_t i = 1; i < len; i++)
        if (s[i] == ';' && (s[i - 1] == ' ' || s[i - 1] == '\t'))
            return "holds ' ;', which the file reads as a comment";
    switch (k->type) {
    case CFG_T_TEXT:
        return len > RONDA_NAME_MAX ? "is longer than 160 bytes" : NULL;
    case CFG_T_PATH:
        return len >= 4000 ? "is longer than 4000 bytes" : NULL;
    case CFG_T_CHOICE:
        return has_word(k->choices, s) ? NULL : "is not one of the allowed words";
    case CFG_T_UINT: {
        if (len > 9 || strspn(s, "0123456789") != len) return "is not a decimal number";
        unsigned long u = strtoul(s, NULL, 10);
        return u < k->min || u > k->max ? "is out of range" : NULL;
    }
    case CFG_T_HOSTPORT: {
        if (len > 64) return "is longer than 64 bytes";
        const char *port = s, *colon = strrchr(s, ':');
        if (s[0] == '[') {
            const char *end = strchr(s, ']');
            if (!end || end == s + 1 || end[1] != ':') return "is not [V6]:PORT";
            port = end + 2;
        } else if (colon) {
            if (colon == s) return "has an empty host";
            for (const char *h = s; h < colon; h++)
                if (*h == ' ' || *h == '/' || *h == ':') return "has a malformed host";
            port = colon + 1;
        }
        size_t pl = strlen(port);
        if (pl == 0 || pl > 5 || strspn(port, "0123456789") != pl) return "has no port number";
        unsigned long p = strtoul(port, NULL, 10);
        return p < 1 || p > 65535 ? "has a port out of 1..65535" : NULL;
    }
    case CFG_T_ENDPOINT: {
        if (k->choices && has_word(k->choices, s)) return NULL;
        if (len > RONDA_NAME_MAX) return "is longer than 160 bytes";
        if (strncmp(s, "ipc://", 6) == 0) return len > 6 ? NULL : "names no socket path";
        if (strncmp(s, "tcp://", 6) != 0) return "is not tcp://HOST:PORT or ipc://PATH";
        const char *colon = strrchr(s + 6, ':');
        if (!colon || colon == s + 6) return "is not tcp://HOST:PORT";
        const char *port = colon + 1;
        size_t pl = strlen(port);
        if (pl == 0 || pl > 5 || strspn(port, "0123456789") != pl) return "has no port number";
        unsigned long p = strtoul(port, NULL, 10);
        if (p < 1 || p > 65535) return "has a port out of 1..65535";
        for (const char *h = s + 6; h < colon; h++)
            if (*h == ' ' || *h == '/') return "has a malformed host";
        return NULL;
    }
    }
    return "has an unknown type";
}

static void describe_allowed(const cfg_key *k, char *out, size_t len) {
    switch (k->type) {
    case CFG_T_CHOICE:
        snprintf(out, len, "one of: %s", k->choices);
        break;
    case CFG_T_UINT:
        snprintf(out, len, "a number from %lu to %lu", k->min, k->max);
        break;
    case CFG_T_ENDPOINT:
        snprintf(out, len, "tcp://HOST:PORT or ipc://PATH%s%s", k->choices ? " or " : "", k->choices ? k->choices : "");
        break;
    case CFG_T_HOSTPORT:
        snprintf(out, len, "PORT, HOST:PORT or [V6]:PORT");
        break;
    default:
        snprintf(out, len, "text");
    }
}

/* ------------------------------------------------------------------ the INI file */

/* The longest line inih reads whole: its line buffer less the newline and the NUL. A longer
 * line is refused (read_line), so `config show` keeps each line it prints within it. */
#define CONFIG_LINE_MAX ((size_t)INI_MAX_LINE - 2u)

typedef struct reader {
    config *c;
    FILE *f;
    unsigned line;         /* lines handed to inih so far: the current line */
    int in_key;            /* the previous meaningful line was a key (continuations follow it) */
    unsigned reported[64]; /* lines already reported (so inih's own error line is not repeated) */
    size_t nreported;
    int quiet;
    const cfg_key *last_key; /* the key of the current section/name, for continuation lines */
    char section[64];
} reader;

static void file_error(reader *r, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void file_error(reader *r, unsigned line, const char *fmt, ...) {
    r->c->errors++;
    if (r->nreported < sizeof r->reported / sizeof r->reported[0]) r->reported[r->nreported++] = line;
    if (r->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%u: ", r->c->file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* inih's reader: one whole line per call, classified first. */
static char *read_line(char *str, int num, void *stream) {
    reader *r = stream;
    if (!fgets(str, num, r->f)) return NULL;
    r->line++;
    size_t len = strlen(str);
    if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(r->f)) {
        int ch;
        while ((ch = fgetc(r->f)) != EOF && ch != '\n') {}
        file_error(r, r->line, "line longer than %d characters", num - 2);
        str[0] = '\0'; /* inih sees a blank line */
        return str;
    }
    const char *p = str;
    int indented = *p == ' ' || *p == '\t';
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (*p == '\0' || *p == ';' || *p == '#') return str;
    if (*p == '[') {
        if (!strchr(p, ']')) {
            file_error(r, r->line, "section header without a closing ']'");
            str[0] = '\0';
        }
        r->in_key = 0;
        return str;
    }
    if (indented && r->in_key) return str; /* inih: a continuation of the previous value */
    const char *eq = strpbrk(p, "=:");
    if (!eq || eq == p) {
        file_error(r, r->line, "not `key = value`, `[section]` or a comment");
        str[0] = '\0';
        r->in_key = 0;
        return str;
    }
    r->in_key = 1;
    return str;
}

static int on_value(void *user, const char *section, const char *name, const char *value) {
    reader *r = user;
    config *c = r->c;
    unsigned line = r->line;
    if (!section[0]) {
        file_error(r, line, "\"%s\" is outside any section (put it under [node], [net] or [log])", name);
        return 1;
    }
    const cfg_key *k = NULL;
    int section_known = 0;
    for (size_t i = 0; i < CFG__COUNT; i++) {
        if (strcmp(keys[i].section, section) != 0) continue;
        section_known = 1;
        if (strcmp(keys[i].name, name) == 0) k = &keys[i];
    }
    if (!section_known) {
        file_error(r, line, "unknown section [%s] (sections: node, net, log)", section);
        return 1;
    }
    if (!k) {
        char names[200] = "";
        for (size_t i = 0; i < CFG__COUNT; i++)
            if (strcmp(keys[i].section, section) == 0)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "",
                         keys[i].name);
        file_error(r, line, "unknown key \"%s\" in [%s] (keys there: %s)", name, section, names);
        return 1;
    }
    cfg_value *v = &c->val[k->id];
    if (v->src == CFG_SRC_FILE && !k->list) {
        file_error(r, line, "%s is given again (first on line %u); give it once", k->name, v->line[0]);
        return 1;
    }
    const char *why = check_value(k, value);
    if (why) {
        char allowed[160];
        describe_allowed(k, allowed, sizeof allowed);
        file_error(r, line, "%s = \"%s\" %s; expected %s", k->name, value, why, allowed);
        return 1;
    }
    if (v->src != CFG_SRC_FILE) {
        value_clear(v);
        v->src = CFG_SRC_FILE;
    }
    if (value_add(v, value, strlen(value)) != 0)
        file_error(r, line, "%s is given more than %u times", k->name, RONDA_CONFIG_LIST_MAX);
    else
        v->line[v->n - 1] = line;
    return 1;
}

static int load_file(config *c, const char *path, int quiet) {
    snprintf(c->file, sizeof c->file, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!quiet)
            fprintf(stderr, "ronda: cannot read the configuration %s (%s)\n  hint: check --config or $RONDA_CONFIG\n",
                    path, strerror(errno));
        c->errors++;
        return EXIT_ENV;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)RONDA_CONFIG_FILE_MAX) {
        fclose(f);
        if (!quiet) fprintf(stderr, "ronda: %s: not a regular file of at most %u bytes\n", path, RONDA_CONFIG_FILE_MAX);
        c->errors++;
        return EXIT_ENV;
    }
    static reader r; /* large-ish; one file at a time */
    memset(&r, 0, sizeof r);
    r.c = c;
    r.f = f;
    r.quiet = quiet;
    int rc = ini_parse_stream(read_line, &r, on_value, &r);
    fclose(f);
    if (rc < 0) {
        if (!quiet) fprintf(stderr, "ronda: %s: cannot parse (out of memory)\n", path);
        c->errors++;
        return EXIT_ENV;
    }
    if (rc > 0) { /* inih's first syntax error: report it unless our reader did */
        int seen = 0;
        for (size_t i = 0; i < r.nreported; i++) seen |= r.reported[i] == (unsigned)rc;
        if (!seen) file_error(&r, (unsigned)rc, "cannot parse this line");
    }
    return EXIT_OK;
}

/* ------------------------------------------------------------------ public */

size_t config_opts(config *c, opt *out, size_t cap) {
    memset(c, 0, sizeof *c);
    size_t n = 0;
    for (size_t i = 0; i < CFG__COUNT && n < cap; i++) {
        if (!keys[i].flag) continue;
        out[n].name = keys[i].flag;
        out[n].kind = keys[i].list ? OPT_LIST : OPT_STR;
        out[n].dst = keys[i].list ? (void *)&c->flag_list[i] : (void *)&c->flag_str[i];
        n++;
    }
    return n;
}

static void set_layer(config *c, const cfg_key *k, cfg_source src, const char *const *vals, size_t n, const char *what,
                      int quiet) {
    cfg_value nv;
    memset(&nv, 0, sizeof nv);
    nv.src = src;
    for (size_t i = 0; i < n; i++) {
        const char *why = check_value(k, vals[i]);
        if (why) {
            if (!quiet) {
                char allowed[160];
                describe_allowed(k, allowed, sizeof allowed);
                fprintf(stderr, "ronda: %s \"%s\" %s; expected %s\n", what, vals[i], why, allowed);
            }
            c->errors++;
            value_clear(&nv);
            return;
        }
        if (value_add(&nv, vals[i], strlen(vals[i])) != 0) {
            if (!quiet) fprintf(stderr, "ronda: %s: more than %u values\n", what, RONDA_CONFIG_LIST_MAX);
            c->errors++;
            value_clear(&nv);
            return;
        }
    }
    value_clear(&c->val[k->id]);
    c->val[k->id] = nv;
}

int config_load(config *c, const char *path, int quiet) {
    for (size_t i = 0; i < CFG__COUNT; i++) {
        cfg_value *v = &c->val[i];
        value_clear(v);
        if (keys[i].def[0]) (void)value_add(v, keys[i].def, strlen(keys[i].def));
        v->src = CFG_SRC_DEFAULT;
    }
    c->errors = 0;
    c->file[0] = '\0';
    if (!path) path = getenv("RONDA_CONFIG");
    int rc = EXIT_OK;
    if (path && *path) rc = load_file(c, path, quiet);
    for (size_t i = 0; i < CFG__COUNT; i++) {
        const cfg_key *k = &keys[i];
        const char *env = k->env ? getenv(k->env) : NULL;
        if (env && *env) {
            char what[64];
            snprintf(what, sizeof what, "$%s:", k->env);
            if (!k->list) {
                set_layer(c, k, CFG_SRC_ENV, &env, 1, what, quiet);
            } else { /* space- or comma-separated */
                char buf[2048];
                const char *vals[RONDA_CONFIG_LIST_MAX + 1];
                size_t n = 0;
                snprintf(buf, sizeof buf, "%s", env);
                for (char *save = NULL, *t = strtok_r(buf, " ,", &save); t && n <= RONDA_CONFIG_LIST_MAX;
                     t = strtok_r(NULL, " ,", &save))
                    vals[n++] = t;
                set_layer(c, k, CFG_SRC_ENV, vals, n, what, quiet);
            }
        }
        char what[64];
        snprintf(what, sizeof what, "--%s", k->flag ? k->flag : k->name);
        if (!k->list && c->flag_str[i]) set_layer(c, k, CFG_SRC_FLAG, &c->flag_str[i], 1, what, quiet);
        if (k->list && c->flag_list[i].n)
            set_layer(c, k, CFG_SRC_FLAG, c->flag_list[i].v, c->flag_list[i].n, what, quiet);
    }
    if (rc != EXIT_OK) return rc;
    if (c->errors) {
        if (!quiet)
            fprintf(stderr,
                    "ronda: %u configuration problem%s\n  hint: `ronda config check` lists them; "
                    "docs/configuration.md describes every key\n",
                    c->errors, c->errors == 1 ? "" : "s");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

void config_free(config *c) {
    for (size_t i = 0; i < CFG__COUNT; i++) value_clear(&c->val[i]);
}

const char *config_str(const config *c, cfg_id id) { return c->val[id].n ? c->val[id].v[0] : ""; }

unsigned long config_uint(const config *c, cfg_id id) { return strtoul(config_str(c, id), NULL, 10); }

size_t config_list(const config *c, cfg_id id, const char *const **values) {
    *values = (const char *const *)c->val[id].v;
    return c->val[id].n;
}

void config_show(const config *c, FILE *out) {
    const char *section = "";
    for (size_t i = 0; i < CFG__COUNT; i++) {
        const cfg_key *k = &keys[i];
        const cfg_value *v = &c->val[i];
        if (strcmp(section, k->section) != 0) {
            fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
            section = k->section;
        }
        char src[4200];
        fprintf(out, "; %s\n", k->help);
        for (size_t j = 0; j < (v->n ? v->n : 1); j++) {
            if (v->src == CFG_SRC_FILE)
                snprintf(src, sizeof src, "%s:%u", c->file, v->line[j]); /* each value its own line */
            else if (v->src == CFG_SRC_ENV)
                snprintf(src, sizeof src, "$%s", k->env);
            else if (v->src == CFG_SRC_FLAG)
                snprintf(src, sizeof src, "--%s", k->flag);
            else
                snprintf(src, sizeof src, "%s", source_names[v->src]);
            size_t line = v->n ? strlen(k->name) + 3 + strlen(v->v[j]) : 0; /* "name = value" */
            if (v->n == 0)
                fprintf(out, "; %s =    (%s)\n", k->name, src);
            else if (line + 6 + strlen(src) <= CONFIG_LINE_MAX)
                fprintf(out, "%s = %s    ; %s\n", k->name, v->v[j], src);
            else { /* the source on a line of its own (cut to fit: a comment), so the value's line is read back */
                int room = (int)(CONFIG_LINE_MAX - 4 - strlen(k->name)); /* "; NAME: " */
                fprintf(out, "; %s: %.*s\n", k->name, room > 0 ? room : 0, src);
                fprintf(out, line <= CONFIG_LINE_MAX ? "%s = %s\n" : "%s=%s\n", k->name, v->v[j]);
            }
        }
    }
}

/* ------------------------------------------------------------------ ronda config */

static const char config_help[] =
    "usage: ronda config check [--config FILE]\n"
    "       ronda config show  [--config FILE] [run's flags...]\n"
    "\n"
    "check: read the configuration (FILE, else $RONDA_CONFIG) and the environment and report\n"
    "every problem, with file and line: unknown sections or keys, bad values, repeated keys,\n"
    "malformed lines. Exit 0 when there is none, 2 when there are, 3 when FILE is unreadable.\n"
    "show: print the effective configuration as an INI file, each value's source beside it\n"
    "(precedence: flag > environment > file > default). See docs/configuration.md.\n";

int cmd_config(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "show") != 0)) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(config_help, stdout);
            return EXIT_OK;
        }
        return cli_usage("config", "say `check` or `show`");
    }
    int show = strcmp(argv[1], "show") == 0;
    static config c;
    const char *path = NULL;
    opt opts[1 + CONFIG_OPTS_MAX];
    size_t nopts = 1 + config_opts(&c, opts + 1, CONFIG_OPTS_MAX);
    opts[0] = (opt){"config", OPT_STR, &path};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse(show ? "config show" : "config check", config_help, argc - 1, argv + 1, opts, show ? nopts : 1,
                       pos, 0, &npos);
    if (rc >= 0) return rc;
    rc = config_load(&c, path, 0);
    if (show && rc == EXIT_OK) config_show(&c, stdout);
    if (!show && rc == EXIT_OK)
        printf("%s: no problems\n", c.file[0] ? c.file : "no configuration file; defaults and environment");
    config_free(&c);
    return rc;
}
