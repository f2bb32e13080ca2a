/* Helpers shared by the ronda command's verbs. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "cli/cli.h"
#include "util/util.h"

const char *cli_dir(const char *flag) {
    if (flag && *flag) return flag;
    const char *env = getenv("RONDA_DIR");
    return env && *env ? env : "ronda-node";
}

void node_path(const node *n, const char *name, char *out, size_t len) { snprintf(out, len, "%s/%s", n->dir, name); }

int node_open(node *n, const char *dir, int want_secret) {
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "%s", dir);
    char path[4200];
    node_path(n, NODE_DB, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ronda: no node at %s (%s)\n  hint: create one with `ronda init --dir %s`, or pass --dir\n",
                dir, strerror(errno), dir);
        return EXIT_ENV;
    }
    fclose(f);
    ronda_err e = ronda_store_open(path, NULL, &n->store);
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "open database", e, NULL, "is it a ronda database?");
    if (want_secret) {
        node_path(n, NODE_SIGN_KEY, path, sizeof path);
        e = keyfile_read(path, SIGN_KEY_TYPE, n->secret, RONDA_SECRET_BYTES);
        if (e != RONDA_OK) {
            node_close(n);
            return cli_fail(EXIT_ENV, path, e, NULL, "the key file must exist, be mode 0600 and hold one key line");
        }
        uint8_t node_key[RONDA_KEY_BYTES];
        ronda_store_node(n->store, node_key);
        if (memcmp(node_key, n->secret + 32, 32) != 0) {
            node_close(n);
            fprintf(stderr, "ronda: %s does not belong to this database\n", path);
            return EXIT_ENV;
        }
        n->has_secret = 1;
    }
    return EXIT_OK;
}

void node_close(node *n) {
    ronda_store_close(&n->store);
    sodium_memzero(n->secret, sizeof n->secret);
    n->has_secret = 0;
}

uint64_t cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int cli_clock_offset(node *n, int64_t *offset_ms, uint64_t *age_ms) {
    int64_t off;
    ronda_wall at;
    if (ronda_store_clock_offset(n->store, &off, &at) != RONDA_OK) return 0;
    uint64_t now = ronda_wall_now().ms;
    if (at.ms > now || now - at.ms > RONDA_CLOCK_OFFSET_STALE_MS) return 0;
    *offset_ms = off;
    *age_ms = now - at.ms;
    return 1;
}

const char *cli_tz(void) {
    const char *tz = getenv("RONDA_TZ");
    char probe[32];
    if (tz && strlen(tz) == 6 && time_normalise("2000-01-01T00:00", tz, probe) == RONDA_OK) return tz;
    return "+07:00";
}

void cli_now_str(char out[32]) {
    const char *tz = cli_tz();
    int off = ((tz[1] - '0') * 10 + (tz[2] - '0')) * 60 + (tz[4] - '0') * 10 + (tz[5] - '0');
    if (tz[0] == '-') off = -off;
    time_format((int64_t)cli_now_ms(), off, out);
}

int cli_fail(int code, const char *what, ronda_err e, const ronda_detail *d, const char *hint) {
    fprintf(stderr, "ronda: %s: %s", what, ronda_strerror(e));
    if (d && d->text[0]) fprintf(stderr, " (%s)", d->text);
    fputc('\n', stderr);
    if (ronda_err_fix(e)) hint = ronda_err_fix(e); /* the cause's fix beats a guess */
    if (hint) fprintf(stderr, "  hint: %s\n", hint);
    return code;
}

void cli_error_text(ronda_store *s, ronda_err e, char *out, size_t len) {
    const char *msg = s && ronda_err_is_db(e) ? ronda_store_errmsg(s) : "";
    const char *fix = ronda_err_fix(e);
    snprintf(out, len, "%s%s%s%s%s%s [%s]", ronda_strerror(e), *msg ? " (" : "", msg, *msg ? ")" : "",
             fix ? "; fix: " : "", fix ? fix : "", ronda_errname(e));
}

int cli_exit_for(ronda_err e, int other) { return ronda_err_is_db(e) || e == RONDA_ERR_IO ? EXIT_ENV : other; }

int cli_usage(const char *verb, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "ronda %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  see `ronda %s --help`\n", verb);
    return EXIT_USAGE;
}

void cli_print_json(json_t *j, int pretty) {
    char *s = json_dumps(j, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (s) {
        puts(s);
        free(s);
    }
}

void cli_short(const uint8_t *bytes, char out[13]) {
    char hex[65];
    ronda_hex(bytes, 32, hex);
    memcpy(out, hex, 12);
    out[12] = '\0';
}

int cli_parse(const char *verb, const char *help, int argc, char **argv, const opt *opts, size_t nopts,
              const char **pos, size_t npos_max, size_t *npos) {
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help, stdout);
            return EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (strcmp(a, "--") == 0) continue;
            if (*npos >= npos_max) return cli_usage(verb, "unexpected argument \"%s\"", a);
            pos[(*npos)++] = a;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const opt *o = NULL;
        for (size_t k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0) o = &opts[k];
        if (!o) return cli_usage(verb, "unknown option --%.*s", (int)nlen, name);
        if (o->kind == OPT_FLAG) {
            if (eq) return cli_usage(verb, "--%s takes no value", o->name);
            *(int *)o->dst = 1;
            continue;
        }
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!val) return cli_usage(verb, "--%s needs a value", o->name);
        if (o->kind == OPT_STR) {
            *(const char **)o->dst = val;
        } else {
            strlist *l = o->dst;
            if (l->n >= RONDA_LIST_MAX) return cli_usage(verb, "too many --%s (at most %u)", o->name, RONDA_LIST_MAX);
            l->v[l->n++] = val;
        }
    }
    return -1;
}

const char *cli_behind_hint(ronda_store *s) {
    ronda_guard g = RONDA_GUARD_NONE;
    uint64_t seq = 0;
    if (s && ronda_store_guard(s, &g, &seq) == RONDA_OK && g == RONDA_GUARD_FORKED) return CLI_FORKED_HINT;
    return CLI_BEHIND_HINT;
}
