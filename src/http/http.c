/* The HQ web server (http.h, docs/http.md): libmicrohttpd does HTTP, jansson does JSON;
 * this file routes, checks, authorises and answers.
 *
 * Every request is untrusted: only GET and HEAD are served (a read-only API refuses any
 * body), every query parameter is checked against the endpoint's list and its limits
 * before anything reaches the database (an unknown or bad one is a 400 that names it),
 * every query runs on a read-only connection under a deadline (RONDA_HTTP_QUERY_MS), and
 * connections, per-address connections, idle time and header memory are bounded by
 * libmicrohttpd options set from limits.h. Errors are JSON: {"error": code, "message": text}.
 *
 * Authorisation: `Authorization: Bearer TOKEN` (the token file, 0600), or the dashboard's
 * session cookie. The cookie is not the token: it is a random session id the server holds
 * (at most SESSIONS_MAX, each for SESSION_MAX_AGE_S, ended by /api/logout), set HttpOnly and
 * SameSite=Strict by GET /api/session when that request carries the token, so the page's
 * JavaScript never stores the token and other sites cannot use the session. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "record/canon.h"
#include "ronda/report.h"
#include "util/util.h"

/* Query parameters one request may carry: no endpoint takes more than 10, and each costs
 * libmicrohttpd a record of the connection's memory (on_uri). */
#define PARAMS_MAX 16
#define SESSION_MAX_AGE_S 43200
/* Dashboard sessions held at once (each a login with the token); when full, the one that
 * expires first is ended for a new one. The token holder may make sessions at will, so
 * this only bounds memory. */
#define SESSIONS_MAX 64u
#define METRICS_MAX (64u * 1024u)

struct http_server {
    struct MHD_Daemon *mhd;
    char dir[4096];
    char token_hex[2 * HTTP_TOKEN_BYTES + 1]; /* compared in constant time */
    /* Sessions: a random cookie value each, held here until it expires or /api/logout ends
     * it (a cookie that is not held is refused, so a logged-out cookie is worthless). */
    pthread_mutex_t ses_mu;
    struct {
        char hex[2 * HTTP_TOKEN_BYTES + 1]; /* the cookie's value; "" = a free slot */
        uint64_t expires_ms;                /* CLOCK_MONOTONIC */
    } ses[SESSIONS_MAX];
    char zone[8];
    int zone_offset_min;
    http_log_fn log;
    void *log_ctx;
    /* read-only connections, one per server thread */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    ronda_store *pool[RONDA_HTTP_THREADS];
    int busy[RONDA_HTTP_THREADS];
    /* the daemon's published state */
    pthread_mutex_t snap_mu;
    http_snapshot snap;
};

static void logf_(http_server *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_(http_server *h, int level, const char *fmt, ...) {
    if (!h->log) return;
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    h->log(h->log_ctx, level, text);
}

int http_zone_offset(const char *zone) {
    if (!zone || strcmp(zone, "WIB") == 0) return 7 * 60; /* Asia/Jakarta: Java, Sumatra */
    if (strcmp(zone, "WITA") == 0) return 8 * 60;         /* Asia/Makassar: Bali, Sulawesi */
    if (strcmp(zone, "WIT") == 0) return 9 * 60;          /* Asia/Jayapura: Maluku, Papua */
    return -1;
}

ronda_err http_token(const char *dir, char hex_out[2 * HTTP_TOKEN_BYTES + 1]) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, HTTP_TOKEN_FILE);
    uint8_t tok[HTTP_TOKEN_BYTES];
    ronda_err e = keyfile_read(path, HTTP_TOKEN_TYPE, tok, sizeof tok);
    if (e == RONDA_ERR_NOT_FOUND) {
        randombytes_buf(tok, sizeof tok);
        e = keyfile_write(path, HTTP_TOKEN_TYPE, tok, sizeof tok);
    }
    if (e == RONDA_OK) ronda_hex(tok, sizeof tok, hex_out);
    sodium_memzero(tok, sizeof tok);
    return e;
}

/* ---- responses */

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r, const char *type) {
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Send j (consumed) as JSON; `cookie` (may be NULL) becomes a Set-Cookie header. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j, const char *cookie) {
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(j);
    if (!text) return MHD_NO;
    size_t n = strlen(text);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (r && cookie) MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    if (r && status == MHD_HTTP_UNAUTHORIZED) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (r && status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (!r) free(text);
    return queue(c, status, r, "application/json; charset=utf-8");
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code, const char *message) {
    return send_json(c, status, json_pack("{s:s, s:s}", "error", code, "message", message), NULL);
}

/* ---- query parameters */

/* The records' own check (no overlong forms, surrogates or code points above U+10FFFF): a
 * value that passes here is text a record could hold. */
static int utf8_valid(const char *s) { return canon_utf8_ok((const uint8_t *)s, strlen(s)); }

typedef struct params {
    const char *const *allowed;
    int count;
    char problem[200]; /* the first problem found */
} params;

static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    params *p = cls;
    if (p->problem[0]) return MHD_NO;
    if (++p->count > PARAMS_MAX) {
        snprintf(p->problem, sizeof p->problem, "more than %d query parameters", PARAMS_MAX);
        return MHD_NO;
    }
    int known = 0;
    for (size_t i = 0; p->allowed[i] && !known; i++) known = strcmp(key, p->allowed[i]) == 0;
    if (!known) {
        char list[120] = "";
        size_t o = 0;
        for (size_t i = 0; p->allowed[i] && o < sizeof list - 1; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? " " : "", p->allowed[i]);
        snprintf(p->problem, sizeof p->problem, "unknown query parameter \"%s\" (this endpoint takes: %s)",
                 utf8_valid(key) && strlen(key) <= 40 ? key : "?", list[0] ? list : "none");
        return MHD_NO;
    }
    if (value && strlen(value) > RONDA_SEARCH_TEXT_MAX) {
        snprintf(p->problem, sizeof p->problem, "%s is longer than %u bytes", key, RONDA_SEARCH_TEXT_MAX);
        return MHD_NO;
    }
    if (value && !utf8_valid(value)) {
        snprintf(p->problem, sizeof p->problem, "%s is not UTF-8 text", key);
        return MHD_NO;
    }
    return MHD_YES;
}

/* A parameter's value, NULL when absent or empty. */
static const char *arg(struct MHD_Connection *c, const char *key) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    return v && *v ? v : NULL;
}

/* A number in [lo, hi]; absent gives def. 0 with `problem` filled when malformed. */
static int arg_uint(struct MHD_Connection *c, const char *key, unsigned lo, unsigned hi, unsigned def, unsigned *out,
                    char *problem, size_t len) {
    const char *v = arg(c, key);
    if (!v) {
        *out = def;
        return 1;
    }
    unsigned long x = 0;
    size_t n = strlen(v);
    int ok = n > 0 && n <= 9;
    for (size_t i = 0; ok && i < n; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
        x = x * 10 + (unsigned long)(v[i] - '0');
    }
    if (!ok || x < lo || x > hi) {
        snprintf(problem, len, "%s must be a whole number from %u to %u", key, lo, hi);
        return 0;
    }
    *out = (unsigned)x;
    return 1;
}

/* ---- the read-only connection pool */

static ronda_store *pool_take(http_server *h, int *slot) {
    pthread_mutex_lock(&h->pool_mu);
    for (;;) {
        for (int i = 0; i < (int)RONDA_HTTP_THREADS; i++)
            if (!h->busy[i]) {
                h->busy[i] = 1;
                *slot = i;
                pthread_mutex_unlock(&h->pool_mu);
                ronda_store_timeout(h->pool[i], RONDA_HTTP_QUERY_MS);
                return h->pool[i];
            }
        pthread_cond_wait(&h->pool_cv, &h->pool_mu);
    }
}

static void pool_give(http_server *h, int slot) {
    pthread_mutex_lock(&h->pool_mu);
    h->busy[slot] = 0;
    pthread_cond_signal(&h->pool_cv);
    pthread_mutex_unlock(&h->pool_mu);
}

static enum MHD_Result db_error(struct MHD_Connection *c, ronda_store *s, ronda_err e) {
    if (ronda_store_timed_out(s))
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "query_timeout",
                          "the query ran longer than RONDA_HTTP_QUERY_MS (5 s) and was abandoned: narrow the filter");
    if (e == RONDA_ERR_TOO_BIG)
        return send_error(c, MHD_HTTP_BAD_REQUEST, "too_many_groups",
                          "the report has more groups than RONDA_REPORT_GROUPS_MAX: narrow the filter");
    if (e == RONDA_ERR_INVALID)
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", "the search needs at least one word");
    /* A lock held by another process passes: "try again", not "broken". */
    return send_error(c, e == RONDA_ERR_DB_BUSY ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR,
                      "database", ronda_strerror(e));
}

static uint64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- endpoints */

static void read_filter(struct MHD_Connection *c, ronda_filter *f) {
    memset(f, 0, sizeof *f);
    f->polres = arg(c, "polres");
    f->polsek = arg(c, "polsek");
    f->programme = arg(c, "programme");
    f->category = arg(c, "category");
    f->status = arg(c, "status");
    f->date_from = arg(c, "from");
    f->date_to = arg(c, "to");
    f->text = arg(c, "q");
}

static enum MHD_Result ep_report(http_server *h, struct MHD_Connection *c, ronda_store *s) {
    (void)h;
    ronda_filter f;
    read_filter(c, &f);
    ronda_report_by by = RONDA_REPORT_BY_POLRES;
    char problem[200] = "";
    unsigned overdue;
    ronda_detail d = {{0}};
    if (arg(c, "by") && ronda_report_by_parse(arg(c, "by"), &by) != RONDA_OK)
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", "by is one of polres polsek programme month");
    if (!arg_uint(c, "overdue_days", 0, RONDA_OVERDUE_DAYS_MAX, 30, &overdue, problem, sizeof problem))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", problem);
    if (ronda_filter_check(&f, &d) != RONDA_OK) return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", d.text);
    json_t *out = NULL;
    ronda_err e = ronda_store_report(s, &f, by, overdue, (int64_t)wall_ms(), &out);
    return e == RONDA_OK ? send_json(c, MHD_HTTP_OK, out, NULL) : db_error(c, s, e);
}

static enum MHD_Result ep_dialogues(http_server *h, struct MHD_Connection *c, ronda_store *s) {
    (void)h;
    ronda_filter f;
    read_filter(c, &f);
    char problem[200] = "";
    unsigned limit, offset;
    ronda_detail d = {{0}};
    if (!arg_uint(c, "limit", 1, RONDA_LIST_LIMIT_MAX, RONDA_LIST_LIMIT_DEFAULT, &limit, problem, sizeof problem) ||
        !arg_uint(c, "offset", 0, RONDA_LIST_OFFSET_MAX, 0, &offset, problem, sizeof problem))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", problem);
    if (ronda_filter_check(&f, &d) != RONDA_OK) return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", d.text);
    json_t *out = NULL;
    ronda_err e = ronda_store_dialogues(s, &f, offset, limit, &out);
    return e == RONDA_OK ? send_json(c, MHD_HTTP_OK, out, NULL) : db_error(c, s, e);
}

/* A record at a forked seq is in no report: the fork evidence is in no view, so it has no
 * dialogue page, and the ledger's version is frozen (proto/record.md §3). Both pages show
 * the two versions instead ("fork": ronda_store_fork_versions), which is what HQ needs. */
static ronda_err fork_page(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
    json_t *fv = NULL;
    ronda_err e = ronda_store_fork_versions(s, id, &fv);
    if (e != RONDA_OK) return e;
    char hex[2 * RONDA_ID_BYTES + 1];
    ronda_hex(id, RONDA_ID_BYTES, hex);
    *out = json_pack("{s:s, s:o}", "id", hex, "fork", fv);
    return *out ? RONDA_OK : RONDA_ERR_NOMEM;
}

static enum MHD_Result ep_dialogue(http_server *h, struct MHD_Connection *c, ronda_store *s, const char *hex) {
    (void)h;
    uint8_t id[RONDA_ID_BYTES];
    if (strlen(hex) != 2 * RONDA_ID_BYTES || ronda_unhex(hex, id, sizeof id) != RONDA_OK)
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", "a dialogue id is 64 hex digits");
    json_t *out = NULL;
    ronda_err e = ronda_store_dialogue(s, id, &out);
    if (e == RONDA_ERR_NOT_FOUND) e = fork_page(s, id, &out);
    json_t *fv = NULL; /* the ledger's version at a forked seq: the fork, both versions */
    if (e == RONDA_OK && json_is_true(json_object_get(out, "frozen")) &&
        ronda_store_fork_versions(s, id, &fv) == RONDA_OK)
        json_object_set_new(out, "fork", fv);
    if (e == RONDA_ERR_NOT_FOUND)
        return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no dialogue with this id is held by this node");
    return e == RONDA_OK ? send_json(c, MHD_HTTP_OK, out, NULL) : db_error(c, s, e);
}

static enum MHD_Result ep_followups(http_server *h, struct MHD_Connection *c, ronda_store *s) {
    (void)h;
    ronda_filter f;
    read_filter(c, &f);
    char problem[200] = "";
    unsigned limit, offset, overdue;
    ronda_detail d = {{0}};
    static const char *const states[] = {"open", "overdue", "in_progress", "referred", "resolved", "all", NULL};
    const char *state = arg(c, "state") ? arg(c, "state") : "open";
    int ok = 0;
    for (int i = 0; states[i]; i++) ok |= strcmp(state, states[i]) == 0;
    if (!ok)
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request",
                          "state is one of open overdue in_progress referred resolved all");
    if (!arg_uint(c, "limit", 1, RONDA_LIST_LIMIT_MAX, RONDA_LIST_LIMIT_DEFAULT, &limit, problem, sizeof problem) ||
        !arg_uint(c, "offset", 0, RONDA_LIST_OFFSET_MAX, 0, &offset, problem, sizeof problem) ||
        !arg_uint(c, "overdue_days", 0, RONDA_OVERDUE_DAYS_MAX, 30, &overdue, problem, sizeof problem))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", problem);
    if (ronda_filter_check(&f, &d) != RONDA_OK) return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", d.text);
    json_t *out = NULL;
    ronda_err e = ronda_store_followups(s, &f, state, overdue, (int64_t)wall_ms(), offset, limit, &out);
    return e == RONDA_OK ? send_json(c, MHD_HTTP_OK, out, NULL) : db_error(c, s, e);
}

static void snapshot(http_server *h, http_snapshot *out) {
    pthread_mutex_lock(&h->snap_mu);
    *out = h->snap;
    pthread_mutex_unlock(&h->snap_mu);
}

static double lag_s(const http_peer *p, uint64_t now) {
    uint64_t since = p->last_sync_ms ? p->last_sync_ms : p->up_ms;
    return now > since ? (double)(now - since) / 1000.0 : 0.0;
}

/* This node's clock against its peers': the estimate, the bound, and a warning when the
 * node is off by more (its records are refused, it refuses theirs). */
static json_t *clock_json(const http_snapshot *sn) {
    uint64_t mag = sn->offset_ms < 0 ? (uint64_t)0 - (uint64_t)sn->offset_ms : (uint64_t)sn->offset_ms;
    int off = sn->offset_peers > 0 && mag > RONDA_CLOCK_AHEAD_MAX_MS;
    char warning[200];
    snprintf(warning, sizeof warning, "this node's clock is %llu s %s its peers': set the PC's clock (enable NTP)",
             (unsigned long long)(mag / 1000u), sn->offset_ms > 0 ? "ahead of" : "behind");
    return json_pack("{s:o, s:I, s:I, s:b, s:o}", "offset_ms",
                     sn->offset_peers ? json_integer((json_int_t)sn->offset_ms) : json_null(), "peers",
                     (json_int_t)sn->offset_peers, "bound_ms", (json_int_t)RONDA_CLOCK_AHEAD_MAX_MS, "off", off,
                     "warning", off ? json_string(warning) : json_null());
}

static enum MHD_Result ep_network(http_server *h, struct MHD_Connection *c, ronda_store *s) {
    json_t *out = NULL;
    ronda_err e = ronda_store_network(s, &out);
    if (e != RONDA_OK) return db_error(c, s, e);
    http_snapshot *sn = malloc(sizeof *sn); /* ~5 KiB: off the server thread's stack */
    if (!sn) {
        json_decref(out);
        return MHD_NO;
    }
    snapshot(h, sn);
    json_t *peers = json_array();
    for (size_t i = 0; i < sn->npeers; i++) {
        const http_peer *p = &sn->peers[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(p->id));
        json_object_set_new(o, "direction", json_string(p->outgoing ? "outgoing" : "incoming"));
        json_t *m = NULL;
        if (p->known) {
            char hex[65];
            ronda_hex(p->sign, 32, hex);
            json_object_set_new(o, "key", json_string(hex));
            if (ronda_store_member(s, p->sign, &m) == RONDA_OK) {
                json_object_set(o, "name", json_object_get(m, "name"));
                json_object_set(o, "polres", json_object_get(m, "polres"));
                json_object_set(o, "polsek", json_object_get(m, "polsek"));
                json_object_set(o, "role", json_object_get(m, "role"));
                json_decref(m);
            }
        }
        json_object_set_new(o, "up_since_ms", json_integer((json_int_t)p->up_ms));
        json_object_set_new(o, "last_sync_ms",
                            p->last_sync_ms ? json_integer((json_int_t)p->last_sync_ms) : json_null());
        json_object_set_new(o, "lag_s", json_real(lag_s(p, sn->taken_ms)));
        json_object_set_new(o, "refused_records", json_integer((json_int_t)p->bad));
        json_object_set_new(o, "clock_offset_ms", p->has_offset ? json_integer((json_int_t)p->offset_ms) : json_null());
        json_object_set_new(o, "banned", json_boolean(p->banned));
        json_array_append_new(peers, o);
    }
    json_object_set_new(out, "peers", peers);
    json_object_set_new(out, "snapshot_ms", json_integer((json_int_t)sn->taken_ms));
    json_object_set_new(out, "clock", clock_json(sn));
    json_object_set_new(out, "sync",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received", (json_int_t)sn->sync.received,
                                  "stored", (json_int_t)sn->sync.stored, "duplicates", (json_int_t)sn->sync.duplicates,
                                  "rejected", (json_int_t)sn->sync.rejected, "forks", (json_int_t)sn->sync.forks,
                                  "handshakes_refused", (json_int_t)sn->net.zap_refused, "handshakes_accepted",
                                  (json_int_t)sn->net.zap_accepted));
    free(sn);
    return send_json(c, MHD_HTTP_OK, out, NULL);
}

static enum MHD_Result ep_config(http_server *h, struct MHD_Connection *c, ronda_store *s) {
    uint8_t key[32];
    char hex[65];
    ronda_store_node(s, key);
    ronda_hex(key, 32, hex);
    json_t *m = NULL, *o = json_object();
    json_object_set_new(o, "node", json_string(hex));
    if (ronda_store_member(s, key, &m) == RONDA_OK) {
        json_object_set(o, "name", json_object_get(m, "name"));
        json_object_set(o, "polres", json_object_get(m, "polres"));
        json_object_set(o, "polsek", json_object_get(m, "polsek"));
        json_object_set(o, "role", json_object_get(m, "role"));
        json_decref(m);
    }
    json_object_set_new(o, "zone", json_string(h->zone));
    json_object_set_new(o, "zone_offset_min", json_integer(h->zone_offset_min));
    json_object_set_new(o, "now_ms", json_integer((json_int_t)wall_ms()));
    json_object_set_new(o, "version", json_string(RONDA_VERSION));
    /* The daemon's last view check: the dashboard's red banner while the views disagree. */
    http_snapshot *sn = malloc(sizeof *sn);
    if (sn) {
        snapshot(h, sn);
        json_object_set_new(o, "views",
                            json_pack("{s:b, s:I, s:s, s:I, s:o, s:o}", "enabled", sn->view_enabled, "checks",
                                      (json_int_t)sn->view_checks, "result", ronda_errname((ronda_err)sn->view_err),
                                      "disagreements", (json_int_t)sn->view_disagreements, "checked_ms",
                                      sn->view_checks ? json_integer((json_int_t)sn->view_checked_ms) : json_null(),
                                      "first", sn->view_first[0] ? json_string(sn->view_first) : json_null()));
        free(sn);
    }
    return send_json(c, MHD_HTTP_OK, o, NULL);
}

/* Prometheus text exposition format 0.0.4. */
typedef struct textbuf {
    char *p;
    size_t len, cap;
} textbuf;

static void put(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(textbuf *b, const char *fmt, ...) {
    if (b->len >= b->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0) b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap;
}

static void metric(textbuf *b, const char *name, const char *type, const char *help, uint64_t v) {
    put(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, (unsigned long long)v);
}

static enum MHD_Result ep_metrics(http_server *h, struct MHD_Connection *c, ronda_store *s) {
    http_snapshot *sn = malloc(sizeof *sn);
    textbuf b = {malloc(METRICS_MAX), 0, METRICS_MAX};
    if (!sn || !b.p) {
        free(sn);
        free(b.p);
        return MHD_NO;
    }
    snapshot(h, sn);
    uint8_t self[32], head[32];
    uint64_t own = 0, authors = 0;
    ronda_store_node(s, self);
    if (ronda_store_head(s, self, &own, head) != RONDA_OK) own = 0;
    uint8_t digest[32];
    if (ronda_store_digest(s, digest, &authors) != RONDA_OK) authors = 0;
    json_t *nw = NULL;
    json_int_t forks_held = 0, revoked = 0;
    if (ronda_store_network(s, &nw) == RONDA_OK) {
        forks_held = json_integer_value(json_object_get(nw, "fork_count"));
        revoked = (json_int_t)json_array_size(json_object_get(nw, "revocations"));
        json_decref(nw);
    }
    metric(&b, "ronda_records_appended_total", "counter", "Records this node has written (its own chain's length).",
           own);
    metric(&b, "ronda_records_received_total", "counter", "Records received from peers since the daemon started.",
           sn->sync.received);
    metric(&b, "ronda_records_stored_total", "counter", "Received records that were new and stored.", sn->sync.stored);
    metric(&b, "ronda_records_duplicate_total", "counter", "Received records already held.", sn->sync.duplicates);
    metric(&b, "ronda_records_deferred_total", "counter", "Received records not applicable yet (fetched again).",
           sn->sync.deferred);
    metric(&b, "ronda_records_future_total", "counter",
           "Received records dated too far ahead of this node's clock (not stored yet).", sn->sync.future);
    if (sn->offset_peers)
        put(&b,
            "# HELP ronda_clock_offset_seconds This node's clock minus its peers' (median of their HELLO clocks).\n"
            "# TYPE ronda_clock_offset_seconds gauge\nronda_clock_offset_seconds %.3f\n",
            (double)sn->offset_ms / 1000.0);
    put(&b, "# HELP ronda_records_rejected_total Received records refused, by the check that refused them.\n"
            "# TYPE ronda_records_rejected_total counter\n");
    for (int e = 1; e < RONDA_ERR__COUNT; e++)
        if (!ronda_err_is_db((ronda_err)e) && e != RONDA_ERR_VIEW) /* our own failures, never a record's */
            put(&b, "ronda_records_rejected_total{reason=\"%s\"} %llu\n", ronda_errname((ronda_err)e),
                (unsigned long long)sn->sync.rejected_by[e]);
    put(&b, "# HELP ronda_db_errors_total Database failures of this daemon, by kind (docs/operations.md).\n"
            "# TYPE ronda_db_errors_total counter\n");
    for (int e = 1; e < RONDA_ERR__COUNT; e++)
        if (ronda_err_is_db((ronda_err)e))
            put(&b, "ronda_db_errors_total{kind=\"%s\"} %llu\n", ronda_errname((ronda_err)e),
                (unsigned long long)ronda_store_db_errors((ronda_err)e));
    size_t connected = 0;
    double lag_max = 0;
    for (size_t i = 0; i < sn->npeers; i++) {
        connected += !sn->peers[i].banned;
        double l = lag_s(&sn->peers[i], sn->taken_ms);
        if (l > lag_max) lag_max = l;
    }
    if (sn->view_enabled) {
        metric(&b, "ronda_view_disagreements", "gauge",
               "Differences between the derived views and the signed records at the last view check.",
               sn->view_disagreements);
        if (sn->view_checks)
            metric(&b, "ronda_view_check_age_seconds", "gauge", "Seconds since the last view check finished.",
                   sn->taken_ms > sn->view_checked_ms ? (sn->taken_ms - sn->view_checked_ms) / 1000u : 0);
        metric(&b, "ronda_view_check_failed", "gauge", "1 when the last view check could not run (see the log).",
               sn->view_checks && sn->view_err != RONDA_OK && sn->view_err != RONDA_ERR_VIEW);
    }
    metric(&b, "ronda_peers_connected", "gauge", "Peers connected now (both directions).", connected);
    metric(&b, "ronda_handshake_failures_total", "counter", "CurveZMQ handshakes refused by the ZAP allowlist.",
           sn->net.zap_refused);
    metric(&b, "ronda_handshakes_accepted_total", "counter", "CurveZMQ handshakes admitted.", sn->net.zap_accepted);
    put(&b, "# HELP ronda_sync_lag_seconds Seconds since each peer's last round with equal ledger digests.\n"
            "# TYPE ronda_sync_lag_seconds gauge\n");
    for (size_t i = 0; i < sn->npeers; i++) {
        char hex[65] = "unknown";
        if (sn->peers[i].known) ronda_hex(sn->peers[i].sign, 32, hex);
        put(&b, "ronda_sync_lag_seconds{peer=\"%u\",member=\"%.16s\"} %.3f\n", sn->peers[i].id, hex,
            lag_s(&sn->peers[i], sn->taken_ms));
    }
    put(&b,
        "# HELP ronda_sync_lag_max_seconds The largest lag over connected peers.\n"
        "# TYPE ronda_sync_lag_max_seconds gauge\nronda_sync_lag_max_seconds %.3f\n",
        lag_max);
    metric(&b, "ronda_forks", "gauge", "Fork-evidence records held (two records for one author and seq).",
           (uint64_t)forks_held);
    metric(&b, "ronda_forks_received_total", "counter", "Fork evidence received from peers since start.",
           sn->sync.forks);
    metric(&b, "ronda_revoked_members", "gauge", "Members revoked by the authority.", (uint64_t)revoked);
    metric(&b, "ronda_ledger_authors", "gauge", "Chains in the frontier.", authors);
    metric(&b, "ronda_messages_in_total", "counter", "Sync messages received.", sn->sync.msgs_in);
    metric(&b, "ronda_messages_out_total", "counter", "Sync messages sent.", sn->sync.msgs_out);
    metric(&b, "ronda_bytes_in_total", "counter", "Sync bytes received.", sn->sync.bytes_in);
    metric(&b, "ronda_bytes_out_total", "counter", "Sync bytes sent.", sn->sync.bytes_out);
    metric(&b, "ronda_records_wire_bytes_in_total", "counter",
           "Bytes of RECORDS messages received, as they came (compressed or not).", sn->sync.records_wire_in);
    metric(&b, "ronda_records_raw_bytes_in_total", "counter", "Bytes of RECORDS messages received, before compression.",
           sn->sync.records_raw_in);
    metric(&b, "ronda_records_wire_bytes_out_total", "counter",
           "Bytes of RECORDS messages sent, as they went (compressed or not).", sn->sync.records_wire_out);
    metric(&b, "ronda_records_raw_bytes_out_total", "counter", "Bytes of RECORDS messages sent, before compression.",
           sn->sync.records_raw_out);
    metric(&b, "ronda_uptime_seconds", "gauge", "Seconds since the daemon started.",
           sn->taken_ms > sn->started_ms ? (sn->taken_ms - sn->started_ms) / 1000u : 0);
    free(sn);
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
    if (!r) free(b.p);
    return queue(c, MHD_HTTP_OK, r, "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- routing */

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The slot holding cookie value `ck` (a live session), or -1. Call with ses_mu held. */
static int session_find(http_server *h, const char *ck) {
    if (!ck || strlen(ck) != 2 * HTTP_TOKEN_BYTES) return -1;
    uint64_t now = mono_ms();
    for (unsigned i = 0; i < SESSIONS_MAX; i++)
        if (h->ses[i].hex[0] && h->ses[i].expires_ms > now &&
            sodium_memcmp(ck, h->ses[i].hex, 2 * HTTP_TOKEN_BYTES) == 0)
            return (int)i;
    return -1;
}

/* A new session's cookie value into out (2 * HTTP_TOKEN_BYTES + 1). */
static void session_new(http_server *h, char *out) {
    uint8_t id[HTTP_TOKEN_BYTES];
    randombytes_buf(id, sizeof id);
    pthread_mutex_lock(&h->ses_mu);
    unsigned slot = 0;
    for (unsigned i = 1; i < SESSIONS_MAX; i++) /* free slots have expires_ms 0 */
        if (h->ses[i].expires_ms < h->ses[slot].expires_ms) slot = i;
    ronda_hex(id, sizeof id, h->ses[slot].hex);
    h->ses[slot].expires_ms = mono_ms() + SESSION_MAX_AGE_S * 1000ull;
    memcpy(out, h->ses[slot].hex, sizeof h->ses[slot].hex);
    pthread_mutex_unlock(&h->ses_mu);
    sodium_memzero(id, sizeof id);
}

static void session_end(http_server *h, const char *ck) {
    pthread_mutex_lock(&h->ses_mu);
    int i = session_find(h, ck);
    if (i >= 0) {
        sodium_memzero(h->ses[i].hex, sizeof h->ses[i].hex);
        h->ses[i].expires_ms = 0;
    }
    pthread_mutex_unlock(&h->ses_mu);
}

static int authorised(http_server *h, struct MHD_Connection *c, int bearer_only) {
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (a && strncmp(a, "Bearer ", 7) == 0 && strlen(a + 7) == 2 * HTTP_TOKEN_BYTES)
        return sodium_memcmp(a + 7, h->token_hex, 2 * HTTP_TOKEN_BYTES) == 0;
    if (bearer_only) return 0;
    const char *ck = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "ronda_session");
    pthread_mutex_lock(&h->ses_mu);
    int live = session_find(h, ck) >= 0;
    pthread_mutex_unlock(&h->ses_mu);
    return live;
}

static enum MHD_Result serve_asset(struct MHD_Connection *c, const char *url) {
    if (strcmp(url, "/") == 0) url = "/index.html";
    for (size_t i = 0; i < http_assets_count; i++) {
        if (strcmp(url, http_assets[i].path) != 0) continue;
        struct MHD_Response *r =
            MHD_create_response_from_buffer(http_assets[i].len, (void *)http_assets[i].data, MHD_RESPMEM_PERSISTENT);
        if (r)
            MHD_add_response_header(r, "Content-Security-Policy",
                                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                                    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        return queue(c, MHD_HTTP_OK, r, http_assets[i].type);
    }
    return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such page or endpoint (see docs/http.md)");
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, char *text, size_t n) {
    struct MHD_Response *r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (!r) free(text);
    return queue(c, status, r, "text/plain; charset=utf-8");
}

/* GET /checkpoint: this node's newest checkpoint as a signed note with the cosignatures
 * held (proto/note.md). No token: a note holds keys, sizes and hashes, no personal data,
 * and is meant to be copied by anyone who audits later. */
static enum MHD_Result ep_checkpoint(http_server *h, struct MHD_Connection *c) {
    int slot;
    ronda_store *s = pool_take(h, &slot);
    uint8_t self[32];
    ronda_store_node(s, self);
    char *text = NULL;
    size_t len = 0;
    unsigned cos = 0;
    ronda_detail d = {{0}};
    ronda_store_timeout(s, RONDA_HTTP_QUERY_MS);
    ronda_err e = ronda_store_note(s, self, &text, &len, &cos, &d);
    ronda_store_timeout(s, 0);
    pool_give(h, slot);
    if (e == RONDA_OK) return send_text(c, MHD_HTTP_OK, text, len);
    char msg[400];
    int n = snprintf(msg, sizeof msg, "no checkpoint note: %s (%s)\n", d.text[0] ? d.text : "", ronda_strerror(e));
    char *body = strdup(msg);
    if (!body) return MHD_NO;
    return send_text(c, e == RONDA_ERR_NOT_FOUND ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR, body,
                     n > 0 && (size_t)n < sizeof msg ? (size_t)n : strlen(body));
}

static enum MHD_Result route(http_server *h, struct MHD_Connection *c, const char *url) {
    static const char *const none[] = {NULL};
    static const char *const p_report[] = {"by", "polres", "polsek", "programme", "from", "to", "overdue_days", NULL};
    static const char *const p_list[] = {"polres", "polsek", "programme", "category", "status", "from",
                                         "to",     "q",      "limit",     "offset",   NULL};
    static const char *const p_follow[] = {"state", "polres",       "polsek", "programme", "category", "from",
                                           "to",    "overdue_days", "limit",  "offset",    NULL};
    if (strlen(url) > RONDA_HTTP_URL_MAX)
        return send_error(c, MHD_HTTP_URI_TOO_LONG, "uri_too_long", "the URL is longer than RONDA_HTTP_URL_MAX");
    int api = strncmp(url, "/api/", 5) == 0, metrics = strcmp(url, "/metrics") == 0;
    const char *const *allowed = none;
    if (strcmp(url, "/api/report") == 0)
        allowed = p_report;
    else if (strcmp(url, "/api/dialogues") == 0)
        allowed = p_list;
    else if (strcmp(url, "/api/followups") == 0)
        allowed = p_follow;
    params p = {allowed, 0, ""};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_param, &p);
    if (p.problem[0]) return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", p.problem);
    if (strcmp(url, "/checkpoint") == 0) return ep_checkpoint(h, c);
    if (!api && !metrics) return serve_asset(c, url);

    if (strcmp(url, "/api/logout") == 0) {
        session_end(h, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "ronda_session"));
        return send_json(c, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1),
                         "ronda_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    }
    if (strcmp(url, "/api/session") == 0) {
        if (!authorised(h, c, 1))
            return send_error(c, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                              "send the API token as `Authorization: Bearer TOKEN` (the node's http.token file)");
        char cookie[200], id[2 * HTTP_TOKEN_BYTES + 1];
        session_new(h, id);
        snprintf(cookie, sizeof cookie, "ronda_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", id,
                 SESSION_MAX_AGE_S);
        sodium_memzero(id, sizeof id);
        return send_json(c, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1), cookie);
    }
    if (!authorised(h, c, 0))
        return send_error(
            c, MHD_HTTP_UNAUTHORIZED, "unauthorized",
            "log in on the dashboard, or send `Authorization: Bearer TOKEN` (the node's http.token file)");
    int slot;
    ronda_store *s = pool_take(h, &slot);
    enum MHD_Result r;
    if (metrics)
        r = ep_metrics(h, c, s);
    else if (strcmp(url, "/api/report") == 0)
        r = ep_report(h, c, s);
    else if (strcmp(url, "/api/dialogues") == 0)
        r = ep_dialogues(h, c, s);
    else if (strncmp(url, "/api/dialogues/", 15) == 0)
        r = ep_dialogue(h, c, s, url + 15);
    else if (strcmp(url, "/api/followups") == 0)
        r = ep_followups(h, c, s);
    else if (strcmp(url, "/api/network") == 0)
        r = ep_network(h, c, s);
    else if (strcmp(url, "/api/config") == 0)
        r = ep_config(h, c, s);
    else
        r = send_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint (see docs/http.md)");
    ronda_store_timeout(s, 0);
    pool_give(h, slot);
    return r;
}

/* A request's state in *con_cls: set by on_uri (before libmicrohttpd parses the query),
 * then `seen` once on_request has answered. */
static int fresh, crowded, seen;

/* Called with the raw URI before libmicrohttpd parses its query string into its per-
 * connection memory (RONDA_HTTP_CONN_MEMORY). Each parameter takes a record of that memory;
 * a query of hundreds of parameters exhausts it, and libmicrohttpd (0.9.75) then cannot even
 * answer its own error: the connection hangs until RONDA_HTTP_IDLE_S. So a query of more
 * than PARAMS_MAX parameters is cut here, before it is parsed (the URI is the connection's
 * own read buffer, which libmicrohttpd itself writes into while parsing), and the request
 * is answered 400 at once by on_request. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    (void)c;
    char *q = strchr(uri, '?');
    if (!q) return &fresh;
    unsigned n = 1;
    for (const char *p = q + 1; *p; p++) n += *p == '&' || *p == ';';
    if (n <= PARAMS_MAX) return &fresh;
    q[1] = '\0'; /* nothing left to parse */
    return &crowded;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)version;
    (void)upload_data;
    if (*con_cls == &seen) { /* only reached while a client sends a body we already refused */
        *upload_data_size = 0;
        return MHD_YES;
    }
    int too_many = *con_cls == &crowded;
    *con_cls = &seen;
    if (too_many) {
        char text[80];
        snprintf(text, sizeof text, "more than %d query parameters", PARAMS_MAX);
        return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_request", text);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "the API is read-only: use GET");
    const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if ((len && strcmp(len, "0") != 0) ||
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body_refused",
                          "requests carry no body: the API is read-only");
    return route(cls, c, url);
}

/* ---- start, publish, stop */

/* "PORT", "HOST:PORT", "[V6]:PORT"; HOST is an address (or "localhost"), by default 127.0.0.1. */
static int parse_listen(const char *in, struct sockaddr_storage *ss, int *v6, int *loopback, char *shown,
                        size_t shown_len) {
    char host[64] = "127.0.0.1";
    const char *port = in;
    const char *colon = strrchr(in, ':');
    if (in[0] == '[') {
        const char *end = strchr(in, ']');
        if (!end || end[1] != ':' || (size_t)(end - in - 1) >= sizeof host) return 0;
        memcpy(host, in + 1, (size_t)(end - in - 1));
        host[end - in - 1] = '\0';
        port = end + 2;
    } else if (colon) {
        if ((size_t)(colon - in) >= sizeof host) return 0;
        memcpy(host, in, (size_t)(colon - in));
        host[colon - in] = '\0';
        port = colon + 1;
    }
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    char *end;
    unsigned long p = strtoul(port, &end, 10);
    if (!*port || *end || p == 0 || p > 65535) return 0;
    snprintf(shown, shown_len, "%s%s%s:%lu", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", p);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        *v6 = 0;
        *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
        return 1;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        *v6 = 1;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
        return 1;
    }
    return 0;
}

ronda_err http_start(const http_config *cfg, http_server **out, char *why, size_t len) {
    struct sockaddr_storage ss;
    int v6 = 0, loopback = 0;
    int zone = http_zone_offset(cfg->zone);
    if (zone < 0) {
        snprintf(why, len, "--http-zone is one of WIB WITA WIT");
        return RONDA_ERR_INVALID;
    }
    char shown[100];
    if (!parse_listen(cfg->listen, &ss, &v6, &loopback, shown, sizeof shown)) {
        snprintf(why, len, "--http takes PORT, HOST:PORT or [V6]:PORT with HOST an IP address (got \"%s\")",
                 cfg->listen);
        return RONDA_ERR_INVALID;
    }
    http_server *h = calloc(1, sizeof *h);
    if (!h) return RONDA_ERR_NOMEM;
    snprintf(h->dir, sizeof h->dir, "%s", cfg->node_dir);
    snprintf(h->zone, sizeof h->zone, "%s", cfg->zone ? cfg->zone : "WIB");
    h->zone_offset_min = zone;
    h->log = cfg->log;
    h->log_ctx = cfg->log_ctx;
    pthread_mutex_init(&h->pool_mu, NULL);
    pthread_cond_init(&h->pool_cv, NULL);
    pthread_mutex_init(&h->snap_mu, NULL);
    pthread_mutex_init(&h->ses_mu, NULL);
    ronda_err e = http_token(h->dir, h->token_hex);
    if (e != RONDA_OK) {
        snprintf(why, len, "cannot read or create %s/%s (%s): it must be mode 0600", h->dir, HTTP_TOKEN_FILE,
                 ronda_strerror(e));
        http_stop(&h);
        return e;
    }
    char db[4200];
    snprintf(db, sizeof db, "%s/ronda.db", h->dir);
    for (unsigned i = 0; i < RONDA_HTTP_THREADS; i++)
        if ((e = ronda_store_open_readonly(db, &h->pool[i])) != RONDA_OK) {
            snprintf(why, len, "cannot open %s read-only: %s", db, ronda_strerror(e));
            http_stop(&h);
            return e;
        }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    h->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)RONDA_HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, (unsigned)RONDA_HTTP_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)RONDA_HTTP_PER_IP_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)RONDA_HTTP_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RONDA_HTTP_CONN_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(why, len, "cannot serve HTTP on %s (%s): is the port free?", cfg->listen, strerror(errno));
        http_stop(&h);
        return RONDA_ERR_IO;
    }
    logf_(h, 5, "http: dashboard and API on http://%s/ (token in %s/%s)", shown, h->dir, HTTP_TOKEN_FILE);
    if (!loopback)
        logf_(h, 4,
              "http: serving on a non-loopback address without TLS: the token and the data cross the network in "
              "clear; put a TLS proxy in front");
    *out = h;
    return RONDA_OK;
}

void http_publish(http_server *h, const http_snapshot *snap) {
    pthread_mutex_lock(&h->snap_mu);
    h->snap = *snap;
    pthread_mutex_unlock(&h->snap_mu);
}

void http_stop(http_server **hp) {
    if (!hp || !*hp) return;
    http_server *h = *hp;
    if (h->mhd) MHD_stop_daemon(h->mhd);
    for (unsigned i = 0; i < RONDA_HTTP_THREADS; i++) ronda_store_close(&h->pool[i]);
    pthread_mutex_destroy(&h->pool_mu);
    pthread_cond_destroy(&h->pool_cv);
    pthread_mutex_destroy(&h->snap_mu);
    pthread_mutex_destroy(&h->ses_mu);
    sodium_memzero(h->token_hex, sizeof h->token_hex);
    sodium_memzero(h->ses, sizeof h->ses);
    free(h);
    *hp = NULL;
}
