/* libFuzzer harness: the HQ server's checks of what a browser sends (src/http): query
 * parameters (names per endpoint, count, length, UTF-8), numbers, filters (names, enums,
 * dates), report groupings, dialogue ids, the listen address and the zone.
 *
 * No server runs: http.c is compiled into this harness, so its static checks are called as
 * the request handler calls them, and the one libmicrohttpd call they make on a connection
 * (MHD_lookup_connection_value) is answered from the fuzzed query string. The query string
 * is split and unescaped as libmicrohttpd does (`&`, `=`, `+`, %XX).
 *
 * Input: one byte choosing the endpoint, then the query string (or, for the last choices,
 * a listen address or zone name). Oracles: no crash or sanitizer report; a value the
 * checks let through to the store is at most RONDA_SEARCH_TEXT_MAX bytes of valid UTF-8
 * (docs/http.md promises 400 otherwise: the same UTF-8 the records use); numbers are in
 * their range. */
#include "http/http.c"

#include <strings.h>

#include "fuzz_common.h"
#include "record/canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAIRS_MAX 1024u /* more than PARAMS_MAX, so its check is reached */

typedef struct pair {
    const char *key, *value; /* value NULL: the key had no '=' */
} pair;
static pair pairs[PAIRS_MAX];
static size_t npairs;
static struct MHD_Connection *const fake = (struct MHD_Connection *)&npairs; /* any non-NULL pointer */

/* The harness's stand-in for libmicrohttpd's lookup: the first value given for `key`. */
const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key) {
    if (connection != fake || kind != MHD_GET_ARGUMENT_KIND) fz_fail("unexpected lookup");
    for (size_t i = 0; i < npairs; i++)
        if (strcmp(pairs[i].key, key) == 0) return pairs[i].value;
    return NULL;
}

/* Split and unescape in place, as libmicrohttpd parses a URL's arguments. */
static void parse_query(char *q) {
    npairs = 0;
    for (char *save = NULL, *tok = strtok_r(q, "&", &save); tok && npairs < PAIRS_MAX;
         tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq) *eq++ = '\0';
        for (char *p = tok; *p; p++)
            if (*p == '+') *p = ' ';
        MHD_http_unescape(tok);
        if (eq) {
            for (char *p = eq; *p; p++)
                if (*p == '+') *p = ' ';
            MHD_http_unescape(eq);
        }
        pairs[npairs++] = (pair){tok, eq};
    }
}

static void text_ok(const char *what, const char *v) {
    if (!v) return;
    size_t n = strlen(v);
    if (n > RONDA_SEARCH_TEXT_MAX) fz_fail("%s of %zu bytes let through", what, n);
    if (!canon_utf8_ok((const uint8_t *)v, n)) fz_fail("%s that is not valid UTF-8 let through", what);
}

static void numbers(void) {
    static const struct {
        const char *key;
        unsigned lo, hi;
    } nums[] = {{"limit", 1, RONDA_LIST_LIMIT_MAX},
                {"offset", 0, RONDA_LIST_OFFSET_MAX},
                {"overdue_days", 0, RONDA_OVERDUE_DAYS_MAX}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char problem[200] = "";
        unsigned v = 7777777;
        if (arg_uint(fake, nums[i].key, nums[i].lo, nums[i].hi, nums[i].lo, &v, problem, sizeof problem)) {
            if (v < nums[i].lo || v > nums[i].hi) fz_fail("%s = %u let through", nums[i].key, v);
        } else if (!problem[0]) {
            fz_fail("%s refused without a reason", nums[i].key);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const p_report[] = {"by", "polres", "polsek", "programme", "from", "to", "overdue_days", NULL};
    static const char *const p_list[] = {"polres", "polsek", "programme", "category", "status", "from",
                                         "to",     "q",      "limit",     "offset",   NULL};
    static const char *const p_follow[] = {"state", "polres",       "polsek", "programme", "category", "from",
                                           "to",    "overdue_days", "limit",  "offset",    NULL};
    static const char *const none[] = {NULL};
    static const char *const *const endpoints[] = {p_report, p_list, p_follow, none};
    if (size < 1 || size > 4 * RONDA_HTTP_URL_MAX) return 0;
    fz_init();
    char *q = malloc(size);
    if (!q) fz_fail("out of memory");
    memcpy(q, data + 1, size - 1);
    q[size - 1] = '\0';
    uint8_t which = data[0] % 6;

    if (which == 4) { /* the listen address, as --http gives it */
        struct sockaddr_storage ss;
        int v6 = -1, loopback = -1;
        char shown[80];
        if (parse_listen(q, &ss, &v6, &loopback, shown, sizeof shown) && (v6 < 0 || loopback < 0))
            fz_fail("an accepted listen address left its family unset");
        free(q);
        return 0;
    }
    if (which == 5) { /* the zone, and a dialogue id in the URL path */
        int off = http_zone_offset(q);
        if (off != -1 && (off < 0 || off > 24 * 60)) fz_fail("zone offset %d", off);
        uint8_t id[RONDA_ID_BYTES];
        if (strlen(q) == 2 * RONDA_ID_BYTES && ronda_unhex(q, id, sizeof id) == RONDA_OK) {
            char back[2 * RONDA_ID_BYTES + 1];
            ronda_hex(id, sizeof id, back);
            if (strcasecmp(back, q) != 0) fz_fail("an id does not read back as its hex");
        }
        free(q);
        return 0;
    }

    parse_query(q);
    params p = {endpoints[which], 0, ""};
    for (size_t i = 0; i < npairs; i++)
        if (check_param(&p, MHD_GET_ARGUMENT_KIND, pairs[i].key, pairs[i].value) == MHD_NO) break;
    if (!p.problem[0] && npairs > PARAMS_MAX) fz_fail("more than PARAMS_MAX parameters let through");
    if (!p.problem[0]) { /* what the endpoint goes on to check, then hands to the store */
        for (size_t i = 0; i < npairs; i++) text_ok(pairs[i].key, pairs[i].value);
        ronda_filter f;
        read_filter(fake, &f);
        ronda_detail d = {{0}};
        if (ronda_filter_check(&f, &d) == RONDA_OK) {
            text_ok("polres", f.polres);
            text_ok("q", f.text);
        } else if (!d.text[0]) {
            fz_fail("a filter refused without a reason");
        }
        ronda_report_by by;
        const char *b = arg(fake, "by");
        if (b && ronda_report_by_parse(b, &by) == RONDA_OK && strcmp(ronda_report_by_name(by), b) != 0)
            fz_fail("by = %s parses to %s", b, ronda_report_by_name(by));
        numbers();
    }
    free(q);
    return 0;
}
