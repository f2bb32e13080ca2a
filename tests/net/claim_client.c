/* ronda-claim: a hostile admitted member's forged frontier claim, sent to a live daemon (the
 * daemon test of the restore guard, tests/net/claim_test.sh).
 *
 *   ronda-claim NODE_DIR ENDPOINT SERVER_CURVE_HEX AUTHORITY_HEX VICTIM_HEX SEQ MS
 *
 * Connects with the member's CURVE key (NODE_DIR/curve.key) to ENDPOINT, and for MS
 * milliseconds sends, every 200 ms, a HELLO with a digest nobody holds and a FRONTIER whose
 * one entry names VICTIM's key at seq SEQ with a head nobody signed. The daemon answers with
 * its frontier and WANTs; this client answers each WANT with an empty reply (it cannot do
 * better: the records do not exist). Exit 0 once it was connected, sent and was answered. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/net.h"
#include "record/canon.h"
#include "util/util.h"

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int ready_seen;
static unsigned got, wants;
static net *client;
static uint32_t server_peer;
static void on_ready(void *ctx, uint32_t peer) {
    (void)ctx;
    (void)peer;
    ready_seen = 1;
}
/* A WANT [3, author, from, max] gets RECORDS [4, 1, author, []]: none of what was claimed. */
static void on_msg(void *ctx, uint32_t peer, const uint8_t *data, size_t len) {
    (void)ctx;
    (void)peer;
    got++;
    crd r = crd_make(data, len);
    uint32_t n, alen;
    uint64_t type, from, max;
    const uint8_t *author;
    if (crd_array(&r, &n) != RONDA_OK || n != 4 || crd_uint(&r, &type) != RONDA_OK || type != 3 ||
        crd_bin(&r, &author, &alen) != RONDA_OK || alen != 32 || crd_uint(&r, &from) != RONDA_OK ||
        crd_uint(&r, &max) != RONDA_OK)
        return;
    wants++;
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 4);
    cwr_uint(&w, 1);
    cwr_bin(&w, author, 32);
    cwr_array(&w, 0);
    uint8_t *out = NULL;
    size_t olen = 0;
    if (cwr_take(&w, &out, &olen) == RONDA_OK) (void)net_send(client, server_peer, out, olen);
    cwr_destroy(&w);
    free(out);
}

static int take(cwr *w, uint8_t **out, size_t *len) {
    int ok = cwr_take(w, out, len) == RONDA_OK;
    cwr_destroy(w);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 8 || sodium_init() < 0) {
        fprintf(stderr, "usage: ronda-claim NODE_DIR ENDPOINT SERVER_CURVE_HEX AUTHORITY_HEX VICTIM_HEX SEQ MS\n");
        return 2;
    }
    uint8_t csk[32], cpk[32], server[32], authority[32], victim[32], head[32], digest[32];
    char path[512];
    snprintf(path, sizeof path, "%s/curve.key", argv[1]);
    if (keyfile_read(path, "ronda-curve25519-secret-v1", csk, sizeof csk) != RONDA_OK ||
        ronda_unhex(argv[3], server, 32) != RONDA_OK || ronda_unhex(argv[4], authority, 32) != RONDA_OK ||
        ronda_unhex(argv[5], victim, 32) != RONDA_OK) {
        fprintf(stderr, "ronda-claim: bad key file or hex argument\n");
        return 2;
    }
    crypto_scalarmult_base(cpk, csk);
    uint64_t seq = strtoull(argv[6], NULL, 10), ms = strtoull(argv[7], NULL, 10);
    memset(head, 0x5a, sizeof head);
    memset(digest, 0xa5, sizeof digest);
    uint8_t *hello = NULL, *frontier = NULL;
    size_t hlen = 0, flen = 0;
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 0); /* HELLO */
    cwr_uint(&w, 1);
    cwr_bin(&w, authority, 32);
    cwr_bin(&w, digest, 32);
    if (!take(&w, &hello, &hlen)) return 2;
    cwr_init(&w);
    cwr_array(&w, 3);
    cwr_uint(&w, 2); /* FRONTIER, last chunk, one entry */
    cwr_uint(&w, 1);
    cwr_array(&w, 1);
    cwr_array(&w, 3);
    cwr_bin(&w, victim, 32);
    cwr_uint(&w, seq);
    cwr_bin(&w, head, 32);
    if (!take(&w, &frontier, &flen)) return 2;
    net *n = NULL;
    if (net_new(NULL, cpk, csk, &n) != RONDA_OK) return 2;
    uint32_t peer = net_connect(n, argv[2], server, NULL);
    client = n;
    server_peer = peer;
    net_events ev = {NULL, NULL, NULL, on_msg, on_ready, NULL};
    unsigned sent = 0;
    uint64_t end = mono_ms() + ms, next = 0;
    while (mono_ms() < end) {
        if (ready_seen && mono_ms() >= next) {
            if (net_send(n, peer, hello, hlen) == RONDA_OK && net_send(n, peer, frontier, flen) == RONDA_OK) sent++;
            next = mono_ms() + 200;
        }
        (void)net_poll(n, 20, &ev);
    }
    net_destroy(&n);
    free(hello);
    free(frontier);
    printf("sent %u claims, received %u messages, answered %u WANTs with nothing\n", sent, got, wants);
    sodium_memzero(csk, sizeof csk);
    return sent > 0 && got > 0 ? 0 : 1;
}
