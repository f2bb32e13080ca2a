/* A program of libronda's users: it includes <ronda/ronda.h> alone, is compiled as strict C11
 * (-std=c11 -pedantic -Wall -Wextra -Werror) and links either libronda.so or the public
 * libronda.a (tests/lib/lib_api.sh builds it both ways). It creates a ledger in the directory
 * given, appends the authority's member record of the test vectors (proto/vectors.json),
 * reads it back, verifies the ledger and checks a Merkle root, printing one line that both
 * builds must print alike.
 *
 * It also defines functions named as libronda's internal ones (net_new, store_stmt,
 * time_format): a library that let them out would clash at the link or call the wrong one.
 *
 *   api_use DIR */
#include <ronda/ronda.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int net_new(void);
int store_stmt(void);
int time_format(void);
int net_new(void) { return 1; }
int store_stmt(void) { return 2; }
int time_format(void) { return 3; }

/* The test vectors' authority (proto/vectors.json): seed and public key. */
static const char AUTHORITY_SEED[] = "30846c917cee0301f4be36690386bca7629dc971896262b00707ea015a72069d";
static const char AUTHORITY_KEY[] = "23147575d417742067b763ceb1535bc2f3076f1dd81630f15126c4e136e0a879";
static const char MEMBER_BODY[] =
    "{\"name\": \"Polsek Durenan\", \"role\": \"precinct\", \"polres\": \"Trenggalek\", \"polsek\": \"Durenan\","
    " \"endpoint\": \"tcp://10.35.3.12:7400\","
    " \"sign_key\": \"6c083eec54705864a2234225ac6da7e6dd841d742b87b9c2a7a0f288649c4976\","
    " \"curve_key\": \"acb94da3b097555ac843d9d300bf9e1f10f8bd39f9dc342d70fc623ede2a4f7f\","
    " \"valid_from\": 1761930000000, \"valid_until\": 1793466000000}";
static const uint64_t NOW_MS = 1761958800000u;

static int fail(const char *what, ronda_err e, const ronda_detail *d) {
    fprintf(stderr, "api_use: %s: %s (%s)%s%s\n", what, ronda_strerror(e), ronda_errname(e),
            d && d->text[0] ? ": " : "", d ? d->text : "");
    return 1;
}

/* ronda_store_verify's findings: `f` is borrowed, so only its class is copied out. */
static void on_finding(void *ctx, const ronda_finding *f) {
    unsigned *n = ctx;
    (*n)++;
    fprintf(stderr, "api_use: finding %s: %s\n", f->what, f->detail);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: api_use DIR\n");
        return 2;
    }
    if (net_new() != 1 || store_stmt() != 2 || time_format() != 3) {
        fprintf(stderr, "api_use: a function of this program was replaced by the library's\n");
        return 1;
    }
    ronda_err e = ronda_init();
    if (e != RONDA_OK) return fail("ronda_init", e, NULL);
    if (strcmp(ronda_errname(RONDA_ERR_BEHIND), "behind") != 0) return fail("ronda_errname", RONDA_ERR_BEHIND, NULL);

    uint8_t secret[RONDA_SECRET_BYTES], key[RONDA_KEY_BYTES];
    if ((e = ronda_unhex(AUTHORITY_SEED, secret, 32)) != RONDA_OK ||
        (e = ronda_unhex(AUTHORITY_KEY, secret + 32, RONDA_KEY_BYTES)) != RONDA_OK ||
        (e = ronda_unhex(AUTHORITY_KEY, key, RONDA_KEY_BYTES)) != RONDA_OK)
        return fail("ronda_unhex", e, NULL);

    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/ledger.db", argv[1]) >= sizeof path) return 2;
    ronda_store *s = NULL;
    if ((e = ronda_store_create(path, key, key, &s)) != RONDA_OK) return fail("ronda_store_create", e, NULL);

    ronda_detail d = {{0}};
    json_error_t jerr;
    json_t *json = json_loads(MEMBER_BODY, 0, &jerr);
    uint8_t *body = NULL;
    size_t body_len = 0;
    if (!json) return fail("json_loads", RONDA_ERR_MALFORMED, NULL);
    e = ronda_body_from_json(RONDA_KIND_MEMBER, json, &body, &body_len, &d);
    json_decref(json);
    if (e != RONDA_OK) return fail("ronda_body_from_json", e, &d);
    uint8_t id[RONDA_ID_BYTES], head[RONDA_ID_BYTES];
    e = ronda_store_append(s, secret, RONDA_KIND_MEMBER, body, body_len, NOW_MS, id, &d);
    free(body);
    if (e != RONDA_OK) return fail("ronda_store_append", e, &d);

    uint64_t seq = 0;
    if ((e = ronda_store_head(s, key, &seq, head)) != RONDA_OK) return fail("ronda_store_head", e, NULL);
    if (seq != 1 || memcmp(head, id, RONDA_ID_BYTES) != 0) {
        fprintf(stderr, "api_use: the head is seq %llu, not the record appended\n", (unsigned long long)seq);
        return 1;
    }
    unsigned findings = 0;
    ronda_verify_summary sum;
    if ((e = ronda_store_verify(s, 1, on_finding, &findings, &sum)) != RONDA_OK)
        return fail("ronda_store_verify", e, NULL);
    ronda_stats st;
    if ((e = ronda_store_stats(s, &st)) != RONDA_OK) return fail("ronda_store_stats", e, NULL);
    if (findings != 0 || sum.findings != 0 || sum.records != 1 || st.records != 1) {
        fprintf(stderr, "api_use: verify found %u findings in %llu records\n", findings,
                (unsigned long long)sum.records);
        return 1;
    }
    ronda_store_close(&s);
    if (s != NULL) return fail("ronda_store_close", RONDA_ERR_INVALID, NULL);

    /* A tree of one leaf: its root is the leaf's hash. */
    ronda_tree_hash leaf, root;
    ronda_tree_leaf_hash(id, sizeof id, &leaf);
    ronda_tree_root(&leaf, 1, &root);
    if (memcmp(root.b, leaf.b, sizeof root.b) != 0) return fail("ronda_tree_root", RONDA_ERR_TAMPERED, NULL);

    char hex[2 * RONDA_ID_BYTES + 1], digest[2 * RONDA_HASH_BYTES + 1];
    ronda_hex(id, sizeof id, hex);
    ronda_hex(st.digest, sizeof st.digest, digest);
    printf("ronda %s: member %s, digest %s, %s\n", RONDA_VERSION, hex, digest, ronda_kind_name(RONDA_KIND_MEMBER));
    return 0;
}
