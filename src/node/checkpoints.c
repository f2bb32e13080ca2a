/* The checkpoint schedule of a running node (see checkpoints.h). */
#include <stdio.h>
#include <string.h>

#include "node/checkpoints.h"

ronda_err node_checkpoints_init(node_checkpoints *c, ronda_store *s, long every_s, ronda_mono now, char *note,
                                size_t len) {
    uint8_t self[RONDA_KEY_BYTES];
    ronda_member_info m;
    note[0] = '\0';
    memset(c, 0, sizeof *c);
    ronda_store_node(s, self);
    ronda_err e = ronda_store_member_info(s, self, &m);
    if (e != RONDA_OK && e != RONDA_ERR_NOT_FOUND) return e;
    int hq = e == RONDA_OK && m.role == RONDA_ROLE_HQ;
    unsigned long secs = hq ? NODE_CHECKPOINT_EVERY_HQ_S : 0;
    if (every_s >= 0) {
        if (every_s > 0 && !hq) snprintf(note, len, "--checkpoint-every ignored: only hq members write checkpoints");
        secs = hq ? (unsigned long)every_s : 0;
    }
    c->hq = hq;
    ronda_guard g;
    uint64_t gseq;
    c->guarded = ronda_store_guard(s, &g, &gseq) == RONDA_OK && g == RONDA_GUARD_FORKED;
    c->every_ms = (uint64_t)secs * 1000u;
    c->next_ms = now.ms + c->every_ms;
    if (secs && !note[0]) snprintf(note, len, "a checkpoint every %lu s", secs);
    return RONDA_OK;
}

/* One checkpoint now, unless this node's newest still signs for the whole ledger. */
static int write_checkpoint(node_checkpoints *c, ronda_store *s, const uint8_t *secret, ronda_mono now, ronda_wall wall,
                            const char *why, char *text, size_t len) {
    uint8_t self[32];
    int fresh = 0;
    int64_t content = 0, any = 0;
    ronda_store_node(s, self);
    ronda_err e = ronda_store_checkpoint_fresh(s, self, &fresh);
    if (e == RONDA_OK) e = ronda_store_marks(s, &content, &any);
    if (e != RONDA_OK) {
        snprintf(text, len, "checkpoint not written: %s (reading the ledger)", ronda_strerror(e));
        return -1;
    }
    c->content_mark = content;
    if (fresh || any == 0) return 0; /* no identical checkpoint; an empty ledger has nothing to sign */
    c->last_ms = now.ms ? now.ms : 1;
    uint8_t id[32];
    unsigned parts = 0;
    ronda_detail d = {{0}};
    e = ronda_store_checkpoint(s, secret, wall.ms, id, &parts, &d);
    /* A restored or forked node writes nothing (the guard, docs/operations.md): the daemon
     * says so at start; not an error at every tick. */
    if (e == RONDA_ERR_BEHIND || (e == RONDA_ERR_INVALID && c->guarded)) return 0;
    if (e != RONDA_OK) {
        snprintf(text, len, "checkpoint not written: %s (%s)", ronda_strerror(e), d.text);
        return -1;
    }
    char hex[65];
    ronda_hex(id, 32, hex);
    snprintf(text, len, "checkpoint %.16s written %s (%u part%s)", hex, why, parts, parts == 1 ? "" : "s");
    return 1;
}

int node_checkpoints_tick(node_checkpoints *c, ronda_store *s, const uint8_t *secret, ronda_mono now, ronda_wall wall,
                          char *text, size_t len) {
    if (!c->every_ms || now.ms < c->next_ms) return 0; /* the timer: monotonic */
    c->next_ms = now.ms + c->every_ms;
    return write_checkpoint(c, s, secret, now, wall, "on the hour", text, len);
}

int node_checkpoints_start(node_checkpoints *c, ronda_store *s, const uint8_t *secret, ronda_mono now, ronda_wall wall,
                           char *text, size_t len) {
    if (!c->every_ms) return 0;
    return write_checkpoint(c, s, secret, now, wall, "at start", text, len);
}

int node_checkpoints_synced(node_checkpoints *c, ronda_store *s, const uint8_t *secret, ronda_mono now, ronda_wall wall,
                            char *text, size_t len) {
    if (!c->hq) return 0;
    int64_t content = 0, any = 0;
    if (ronda_store_marks(s, &content, &any) != RONDA_OK) {
        snprintf(text, len, "after a catch-up: the ledger could not be read");
        return -1;
    }
    int rc = 0;
    text[0] = '\0';
    /* Cosign first: the other HQs' checkpoints this catch-up brought. Only when the ledger
     * moved since the last pass (a pass over an unchanged ledger finds nothing new). */
    if (any != c->cosign_mark) {
        unsigned wrote = 0;
        ronda_detail d = {{0}};
        ronda_err e = ronda_store_cosign_pass(s, secret, wall.ms, RONDA_COSIGN_PASS_MAX, &wrote, &d);
        if (e == RONDA_ERR_BEHIND || (e == RONDA_ERR_INVALID && c->guarded)) {
            e = RONDA_OK;
            wrote = 0;
        }
        if (e != RONDA_OK) {
            snprintf(text, len, "cosignatures not written: %s (%s)", ronda_strerror(e), d.text);
            return -1;
        }
        if (ronda_store_marks(s, &content, &any) != RONDA_OK) any = 0;
        /* A full pass may leave more: look again at the next round. */
        c->cosign_mark = wrote == RONDA_COSIGN_PASS_MAX ? 0 : any;
        if (wrote) {
            snprintf(text, len, "%u cosignature%s of other HQs' checkpoints written", wrote, wrote == 1 ? "" : "s");
            rc = 1;
        }
    }
    if (!c->every_ms || content == c->content_mark) return rc;
    if (c->last_ms && now.ms - c->last_ms < RONDA_CHECKPOINT_GAP_MS) return rc; /* later, at the next round */
    size_t used = strlen(text);
    int w = write_checkpoint(c, s, secret, now, wall, "after a catch-up", text + used + (used ? 2 : 0),
                             len - used - (used ? 2 : 0));
    if (used && w != 0) memcpy(text + used, "; ", 2);
    return w != 0 ? w : rc;
}
