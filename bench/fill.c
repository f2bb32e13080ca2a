/* ronda-fill: append N realistic dialogue records to an existing, admitted node, in
 * batches of 1,000 per transaction, with the node's own key. For sync benchmarks:
 *
 *   ronda-fill DIR N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "ronda/ronda.h"
#include "util/util.h"

#define FILL_BATCH 1000

int main(int argc, char **argv) {
    if (argc != 3 || ronda_init() != RONDA_OK) {
        fprintf(stderr, "usage: ronda-fill DIR N\n");
        return 2;
    }
    char path[4096];
    uint8_t sk[RONDA_SECRET_BYTES];
    snprintf(path, sizeof path, "%s/sign.key", argv[1]);
    if (keyfile_read(path, "ronda-ed25519-secret-v1", sk, sizeof sk) != RONDA_OK) {
        fprintf(stderr, "ronda-fill: cannot read %s\n", path);
        return 3;
    }
    snprintf(path, sizeof path, "%s/ronda.db", argv[1]);
    ronda_store *s;
    if (ronda_store_open(path, NULL, &s) != RONDA_OK) return 3;
    long n = atol(argv[2]);
    static const char *const places[] = {"Durenan", "Umbulsari", "Lumbang", "Sekar"};
    static const char *const cats[] = {"traffic", "social_problem", "unrest", "aspiration"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000u;
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i++) {
        if (i % FILL_BATCH == 0 && ronda_store_begin(s) != RONDA_OK) rc = 1;
        json_t *b = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:i}", "when", "2026-01-25T09:00:00+07:00", "title",
            "Patroli Dialogis di warung kopi", "venue", "Warung kopi dekat pasar", "polres", "Bojonegoro", "polsek",
            places[i % 4], "programme", "patroli_dialogis", "topics", "category", cats[i % 4], "summary",
            "Warga menyampaikan keresahan tentang kelancaran lalu lintas dan daerah rawan di sekitar pasar",
            "participants", (int)(i % 50) + 5);
        uint8_t *body;
        size_t len;
        ronda_detail d;
        if (ronda_body_from_json(RONDA_KIND_DIALOGUE, b, &body, &len, &d) != RONDA_OK ||
            ronda_store_append(s, sk, RONDA_KIND_DIALOGUE, body, len, now, NULL, &d) != RONDA_OK) {
            fprintf(stderr, "ronda-fill: record %ld: %s\n", i, d.text);
            rc = 1;
        }
        free(body);
        json_decref(b);
        if (rc == 0 && (i % FILL_BATCH == FILL_BATCH - 1 || i == n - 1) && ronda_store_commit(s) != RONDA_OK) rc = 1;
    }
    sodium_memzero(sk, sizeof sk);
    ronda_store_close(&s);
    return rc;
}
