/* `ronda record dialogue|resolution|amend`: build a body from flags and/or a JSON file,
 * sign it with the node's key and append it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "util/util.h"

static const char record_help[] =
    "usage: ronda record dialogue   [--dir DIR] [--json FILE] [fields...]\n"
    "       ronda record resolution [--dir DIR] [--json FILE] [fields...]\n"
    "       ronda record amend      [--dir DIR] --target ID --reason TEXT [--json FILE] [fields...]\n"
    "\n"
    "Append a signed record to this node's chain and print its id. Fields come from flags,\n"
    "from a JSON file (--json, the body as in proto/record.md), or both (flags win).\n"
    "\n"
    "dialogue fields:\n"
    "  --polres NAME --polsek NAME   default: this node's membership\n"
    "  --programme P                 candu | warkop | curhat | patroli_dialogis | partnership | other\n"
    "  --title TEXT --venue PLACE [--village NAME]\n"
    "  --when TIME                   YYYY-MM-DDTHH:MM[:SS][+HH:MM] (default now; offset $RONDA_TZ)\n"
    "  --officer NAME ...  --stakeholder GROUP ...  --participants N\n"
    "  --topic CATEGORY:SUMMARY ...  categories: vulnerable_area social_problem traffic unrest\n"
    "                                criticism aspiration other  (at least one topic)\n"
    "  --message TEXT ...            messages the officers delivered\n"
    "resolution fields (the follow-up of one topic of a dialogue, possibly another node's):\n"
    "  --dialogue ID --topic N       N counts the dialogue's topics from 0\n"
    "  --status in_progress|referred|resolved  [--referred-to STAKEHOLDER] (required if referred)\n"
    "  --action TEXT [--when TIME]\n"
    "amend (a correction; the original stays in the ledger and views show the correction):\n"
    "  --target ID --reason TEXT     ID: an earlier dialogue or resolution of this node\n"
    "  the fields of the target's kind change its current content; --json FILE replaces it.\n"
    "\n"
    "IDs may be abbreviated to 8 or more hex digits.\n";

typedef struct rflags {
    const char *dir, *json, *polres, *polsek, *programme, *title, *venue, *village, *when, *participants;
    const char *dialogue, *topic_index, *status, *referred_to, *action, *target, *reason;
    strlist officers, stakeholders, topics, messages;
} rflags;

/* Load the --json body file. On failure prints why and sets *rc: EXIT_ENV when the file
 * cannot be read, EXIT_REFUSED when its content is refused (too large, not a JSON object). */
static json_t *load_json(const char *path, int *rc) {
    struct stat st;
    *rc = EXIT_ENV;
    if (stat(path, &st) != 0) {
        perror(path);
        return NULL;
    }
    *rc = EXIT_REFUSED;
    if (st.st_size > (off_t)RONDA_JSON_FILE_MAX) {
        fprintf(stderr, "ronda: %s is larger than %u bytes\n", path, RONDA_JSON_FILE_MAX);
        return NULL;
    }
    json_error_t err;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(j)) {
        if (j)
            fprintf(stderr, "ronda: %s: not a JSON object (the body is an object {...})\n", path);
        else
            fprintf(stderr, "ronda: %s: not JSON: %s (line %d)\n", path, err.text, err.line);
        json_decref(j);
        return NULL;
    }
    return j;
}

static int set_str(json_t *o, const char *key, const char *v) {
    return v ? json_object_set_new(o, key, json_string(v)) : 0;
}

static int set_list(json_t *o, const char *key, const strlist *l) {
    if (l->n == 0) return 0;
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++) json_array_append_new(a, json_string(l->v[i]));
    return json_object_set_new(o, key, a);
}

static int set_uint(json_t *o, const char *key, const char *v, const char *verb) {
    if (!v) return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || !*v || v[0] == '-' || errno == ERANGE || x > (unsigned long long)INT64_MAX)
        return cli_usage(verb, "--%s must be a whole number", key);
    json_object_set_new(o, key, json_integer((json_int_t)x));
    return 0;
}

static int set_when(json_t *o, const char *v, const char *verb) {
    char t[32];
    if (!v) {
        if (json_object_get(o, "when")) return 0;
        cli_now_str(t);
    } else if (time_normalise(v, cli_tz(), t) != RONDA_OK) {
        return cli_usage(verb, "--when \"%s\" is not a time like 2026-01-25T09:00 or 2026-01-25T09:00:00+07:00", v);
    }
    json_object_set_new(o, "when", json_string(t));
    return 0;
}

static int dialogue_fields(json_t *b, const rflags *f, node *n) {
    const char *verb = "record dialogue";
    json_t *m = NULL;
    uint8_t key[32];
    ronda_store_node(n->store, key);
    if ((!f->polres && !json_object_get(b, "polres")) || (!f->polsek && !json_object_get(b, "polsek"))) {
        if (ronda_store_member(n->store, key, &m) == RONDA_OK) {
            json_t *pr = json_object_get(m, "polres"), *ps = json_object_get(m, "polsek");
            if (!json_object_get(b, "polres") && json_is_string(pr)) json_object_set(b, "polres", pr);
            if (!json_object_get(b, "polsek") && json_is_string(ps)) json_object_set(b, "polsek", ps);
            json_decref(m);
        }
    }
    set_str(b, "polres", f->polres);
    set_str(b, "polsek", f->polsek);
    set_str(b, "programme", f->programme);
    set_str(b, "title", f->title);
    set_str(b, "venue", f->venue);
    set_str(b, "village", f->village);
    set_list(b, "officers", &f->officers);
    set_list(b, "stakeholders", &f->stakeholders);
    set_list(b, "messages", &f->messages);
    if (f->topics.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < f->topics.n; i++) {
            const char *c = strchr(f->topics.v[i], ':');
            if (!c || c == f->topics.v[i]) {
                json_decref(a);
                return cli_usage(verb, "--topic takes CATEGORY:SUMMARY, e.g. traffic:\"Jalan rusak di depan pasar\"");
            }
            json_array_append_new(a, json_pack("{s:s%, s:s}", "category", f->topics.v[i], (size_t)(c - f->topics.v[i]),
                                               "summary", c + 1));
        }
        json_object_set_new(b, "topics", a);
    }
    int rc = set_uint(b, "participants", f->participants, verb);
    return rc ? rc : set_when(b, f->when, verb);
}

static int resolve_id(node *n, const char *hex, const char *verb, const char *flag, char out[65]) {
    uint8_t id[32];
    ronda_err e = ronda_store_resolve(n->store, hex, id);
    if (e == RONDA_ERR_NOT_FOUND) {
        fprintf(stderr, "ronda %s: no record %s here\n  hint: `ronda log` lists the ids this node holds\n", verb, hex);
        return EXIT_REFUSED;
    }
    if (e != RONDA_OK) return cli_usage(verb, "%s \"%s\" is not an id (8 to 64 hex digits, unambiguous)", flag, hex);
    ronda_hex(id, 32, out);
    return 0;
}

/* The ledger does not check a resolution's topic when it stores one (the dialogue may arrive
 * later), so check what this node signs: when the dialogue is held here, it must be a dialogue
 * and have the topic. Returns 0, or EXIT_REFUSED after saying why. */
static int check_topic(json_t *b, node *n, const char *verb) {
    const char *hex = json_string_value(json_object_get(b, "dialogue"));
    json_t *topic = json_object_get(b, "topic"), *shown = NULL;
    uint8_t id[32];
    if (!hex || !json_is_integer(topic) || ronda_unhex(hex, id, 32) != RONDA_OK ||
        ronda_store_show(n->store, id, &shown) != RONDA_OK)
        return 0;
    const char *kind = json_string_value(json_object_get(shown, "kind"));
    json_t *cur = json_object_get(json_object_get(shown, "view"), "current");
    if (!cur) cur = json_object_get(shown, "body");
    size_t ntopics = json_array_size(json_object_get(cur, "topics"));
    json_int_t t = json_integer_value(topic);
    int rc = 0;
    if (!kind || strcmp(kind, "dialogue") != 0) {
        fprintf(stderr, "ronda %s: %.12s is a %s, not a dialogue\n", verb, hex,
                kind ? kind : "record that does not verify");
        rc = EXIT_REFUSED;
    } else if (ntopics > 0 && (t < 0 || (size_t)t >= ntopics)) {
        fprintf(stderr, "ronda %s: dialogue %.12s has no topic %lld (it has %zu, numbered from 0)\n", verb, hex,
                (long long)t, ntopics);
        rc = EXIT_REFUSED;
    }
    json_decref(shown);
    return rc;
}

static int resolution_fields(json_t *b, const rflags *f, node *n) {
    const char *verb = "record resolution";
    if (f->dialogue) {
        char hex[65];
        int rc = resolve_id(n, f->dialogue, verb, "--dialogue", hex);
        if (rc) return rc;
        json_object_set_new(b, "dialogue", json_string(hex));
    }
    int rc = set_uint(b, "topic", f->topic_index, verb);
    if (rc) return rc;
    set_str(b, "status", f->status);
    set_str(b, "action", f->action);
    if (f->referred_to)
        set_str(b, "referred_to", f->referred_to);
    else if (f->status && strcmp(f->status, "referred") != 0)
        json_object_del(b, "referred_to");
    rc = set_when(b, f->when, verb);
    return rc ? rc : check_topic(b, n, verb);
}

static int append(node *n, ronda_kind kind, json_t *body, const char *verb) {
    /* A clock off by more than the bound writes records that peers will not take (too far
     * ahead) or that predate the memberships they need (too far behind): refuse, and say
     * how to fix it, rather than pile up records that never sync. */
    int64_t off;
    uint64_t age;
    if (cli_clock_offset(n, &off, &age)) {
        uint64_t mag = off < 0 ? (uint64_t)0 - (uint64_t)off : (uint64_t)off;
        if (mag > RONDA_CLOCK_AHEAD_MAX_MS) {
            fprintf(
                stderr,
                "ronda: %s: this node's clock is %llu s %s its peers' (at most %u s; `ronda run` measured it %llu s "
                "ago): nothing written\nhint: %s\n",
                verb, (unsigned long long)(mag / 1000u), off > 0 ? "ahead of" : "behind",
                RONDA_CLOCK_AHEAD_MAX_MS / 1000u, (unsigned long long)(age / 1000u), CLI_CLOCK_HINT);
            return EXIT_ENV;
        }
    }
    ronda_detail d = {{0}};
    uint8_t *bytes = NULL, id[32];
    size_t len;
    ronda_err e = ronda_body_from_json(kind, body, &bytes, &len, &d);
    if (e != RONDA_OK) return cli_fail(EXIT_REFUSED, verb, e, &d, "see `ronda record --help` for the fields");
    e = ronda_store_append(n->store, n->secret, kind, bytes, len, cli_now_ms(), id, &d);
    free(bytes);
    if (e != RONDA_OK)
        return cli_fail(e == RONDA_ERR_BEHIND ? EXIT_BEHIND : cli_exit_for(e, EXIT_REFUSED), verb, e, &d,
                        e == RONDA_ERR_NOT_MEMBER ? "this node is not admitted yet: `ronda join` the authority's bundle"
                        : e == RONDA_ERR_BEHIND   ? cli_behind_hint(n->store)
                                                  : NULL);
    char hex[65];
    ronda_hex(id, 32, hex);
    puts(hex);
    return EXIT_OK;
}

/* The amend's replacement: the target's current content with the flags applied. */
static int amend_body(json_t *b, const rflags *f, node *n) {
    const char *verb = "record amend";
    if (!f->target || !f->reason) return cli_usage(verb, "--target ID and --reason TEXT are required");
    char hex[65];
    int rc = resolve_id(n, f->target, verb, "--target", hex);
    if (rc) return rc;
    uint8_t id[32];
    if (ronda_unhex(hex, id, 32) != RONDA_OK) return EXIT_USAGE;
    json_t *shown = NULL;
    ronda_err se = ronda_store_show(n->store, id, &shown);
    if (se != RONDA_OK) return cli_fail(cli_exit_for(se, EXIT_ENV), verb, se, NULL, NULL);
    const char *kind = json_string_value(json_object_get(shown, "kind"));
    json_t *cur = json_object_get(json_object_get(shown, "view"), "current");
    if (!cur) cur = json_object_get(shown, "body");
    json_t *inner = json_object_get(b, "body");
    if (!inner)
        inner = json_is_object(cur) ? json_deep_copy(cur) : json_object();
    else
        json_incref(inner);
    if (kind && strcmp(kind, "dialogue") == 0)
        rc = dialogue_fields(inner, f, n);
    else if (kind && strcmp(kind, "resolution") == 0) {
        rflags g = *f;
        if (g.topics.n == 1) { /* one --topic is the index for a resolution */
            g.topic_index = g.topics.v[0];
            g.topics.n = 0;
        }
        rc = resolution_fields(inner, &g, n);
    } else
        rc = cli_usage(verb, "only dialogues and resolutions can be amended (the target is a %s)", kind ? kind : "?");
    json_object_set_new(b, "body", inner);
    json_object_set_new(b, "target", json_string(hex));
    json_object_set_new(b, "kind", json_string(kind ? kind : ""));
    json_object_set_new(b, "reason", json_string(f->reason));
    json_decref(shown);
    return rc;
}

int cmd_record(int argc, char **argv) {
    rflags f;
    memset(&f, 0, sizeof f);
    const char *what = argc >= 2 ? argv[1] : "";
    ronda_kind kind = strcmp(what, "dialogue") == 0     ? RONDA_KIND_DIALOGUE
                      : strcmp(what, "resolution") == 0 ? RONDA_KIND_RESOLUTION
                      : strcmp(what, "amend") == 0      ? RONDA_KIND_AMEND
                                                        : RONDA_KIND_NONE;
    if (kind == RONDA_KIND_NONE) {
        int help = argc >= 2 && (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0);
        if (!help && argc >= 2)
            fprintf(stderr, "ronda record: unknown record kind \"%s\" (dialogue, resolution or amend)\n\n", what);
        else if (!help)
            fprintf(stderr, "ronda record: name the record kind (dialogue, resolution or amend)\n\n");
        fputs(record_help, help ? stdout : stderr);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    const opt opts[] = {
        {"dir", OPT_STR, &f.dir},
        {"json", OPT_STR, &f.json},
        {"polres", OPT_STR, &f.polres},
        {"polsek", OPT_STR, &f.polsek},
        {"programme", OPT_STR, &f.programme},
        {"title", OPT_STR, &f.title},
        {"venue", OPT_STR, &f.venue},
        {"village", OPT_STR, &f.village},
        {"when", OPT_STR, &f.when},
        {"participants", OPT_STR, &f.participants},
        {"officer", OPT_LIST, &f.officers},
        {"stakeholder", OPT_LIST, &f.stakeholders},
        {"topic", OPT_LIST, &f.topics},
        {"message", OPT_LIST, &f.messages},
        {"dialogue", OPT_STR, &f.dialogue},
        {"status", OPT_STR, &f.status},
        {"referred-to", OPT_STR, &f.referred_to},
        {"action", OPT_STR, &f.action},
        {"target", OPT_STR, &f.target},
        {"reason", OPT_STR, &f.reason},
    };
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("record", record_help, argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc >= 0) return rc;
    /* --topic is a list for dialogues and one index for resolutions */
    if (kind == RONDA_KIND_RESOLUTION && f.topics.n > 0) {
        if (f.topics.n > 1) return cli_usage("record", "a resolution follows up one --topic");
        f.topic_index = f.topics.v[0];
        f.topics.n = 0;
    }
    json_t *b = f.json ? load_json(f.json, &rc) : json_object();
    if (!b) return f.json ? rc : EXIT_ENV;
    node n;
    if ((rc = node_open(&n, cli_dir(f.dir), 1)) != EXIT_OK) {
        json_decref(b);
        return rc;
    }
    /* Without a membership every record is refused; say so before any field is missed. */
    uint8_t self[32];
    json_t *m = NULL;
    ronda_store_node(n.store, self);
    if (ronda_store_member(n.store, self, &m) == RONDA_ERR_NOT_FOUND) {
        fprintf(stderr,
                "ronda record: this node is not admitted yet, so it may not write\n"
                "  hint: the authority admits %s/%s, then `ronda join --dir %s ROSTER.bundle`\n",
                n.dir, NODE_REQUEST, n.dir);
        json_decref(b);
        node_close(&n);
        return EXIT_REFUSED;
    }
    json_decref(m);
    if (kind == RONDA_KIND_DIALOGUE)
        rc = dialogue_fields(b, &f, &n);
    else if (kind == RONDA_KIND_RESOLUTION)
        rc = resolution_fields(b, &f, &n);
    else
        rc = amend_body(b, &f, &n);
    if (rc == 0)
        rc = append(&n, kind, b,
                    kind == RONDA_KIND_DIALOGUE     ? "record dialogue"
                    : kind == RONDA_KIND_RESOLUTION ? "record resolution"
                                                    : "record amend");
    json_decref(b);
    node_close(&n);
    return rc;
}
