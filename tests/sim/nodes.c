/* The nodes' lives: records they write (dialogues, resolutions, amends), the authority's
 * admissions and revocations, crashes (also inside a transaction), restores from old
 * backups, and restarts (sim.h). */
#include "sim.h"

/* ------------------------------------------------------------------ records */

static void when_text(uint64_t ms, char out[80]) {
    time_t t = (time_t)(ms / 1000u) + 7 * 3600; /* WIB */
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

const char *const polsek_names[] = {"Durenan", "Umbulsari", "Lumbang", "Sekar", "Gandusari", "Pogalan"};
static const char *const categories[] = {"vulnerable_area", "social_problem", "traffic", "unrest",
                                         "criticism",       "aspiration",     "other"};
static const char *const programmes[] = {"candu", "warkop", "curhat", "patroli_dialogis", "partnership", "other"};
static const char *const statuses[] = {"in_progress", "referred", "resolved"};

json_t *dialogue_json(world *w, node *nd, unsigned *topics) {
    char when[80];
    when_text(node_now(w, nd), when);
    unsigned nt = 1 + (unsigned)rng_below(&w->work, 3);
    json_t *t = json_array();
    for (unsigned i = 0; i < nt; i++) {
        char summary[120];
        snprintf(summary, sizeof summary, "Warga menyampaikan keresahan %u dari node %d (%" PRIu64 ")", i, nd->idx,
                 rng_below(&w->work, 100000));
        json_array_append_new(
            t, json_pack("{s:s, s:s}", "summary", summary, "category", categories[rng_below(&w->work, 7)]));
    }
    *topics = nt;
    json_t *msgs = NULL;
    if (w->fat) {
        char text[800];
        memset(text, 'a' + (int)rng_below(&w->work, 26), sizeof text - 1);
        text[sizeof text - 1] = '\0';
        msgs = json_pack("[s, s]", text, text);
    }
    char title[80];
    snprintf(title, sizeof title, "Dialog kamtibmas %" PRIu64, rng_below(&w->work, 1000000));
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I}", "when", when, "title", title, "venue",
                          "Warung kopi dekat pasar", "polres", "Trenggalek", "polsek", polsek_names[nd->idx % 6],
                          "topics", t, "programme", programmes[rng_below(&w->work, 6)], "participants",
                          (json_int_t)(5 + rng_below(&w->work, 200)));
    if (msgs) json_object_set_new(j, "messages", msgs);
    return j;
}

static void add_dlg(world *w, const uint8_t *id, unsigned topics, int author) {
    if (w->ndlgs == w->capdlgs) {
        w->capdlgs = w->capdlgs ? 2 * w->capdlgs : 64;
        w->dlgs = realloc(w->dlgs, w->capdlgs * sizeof *w->dlgs);
        if (!w->dlgs) abort();
    }
    dlg *d = &w->dlgs[w->ndlgs++];
    memcpy(d->id, id, RONDA_ID_BYTES);
    d->topics = topics;
    d->author = author;
}

static int holds(node *nd, const uint8_t *id) {
    char hex[65];
    uint8_t got[RONDA_ID_BYTES];
    ronda_hex(id, RONDA_ID_BYTES, hex);
    return ronda_store_resolve(nd->s, hex, got) == RONDA_OK;
}

/* Append `count` records at node i (in one transaction when more than one): dialogues, and
 * resolutions of held dialogues and amends of its own when there are some. */
void do_append(world *w, int i, unsigned count) {
    node *nd = &w->nodes[i];
    if (count > 1 && ronda_store_begin(nd->s) != RONDA_OK) {
        failf(w, "node %d: begin failed", i);
        return;
    }
    size_t first_new = w->ndlgs;
    for (unsigned k = 0; k < count && !w->fail[0]; k++) {
        uint64_t pick = rng_below(&w->work, 10);
        ronda_kind kind = RONDA_KIND_DIALOGUE;
        json_t *j = NULL;
        unsigned topics = 0;
        const dlg *target = w->ndlgs ? &w->dlgs[rng_below(&w->work, w->ndlgs)] : NULL;
        char when[80], hex[65];
        when_text(node_now(w, nd), when);
        if (pick < 3 && target && holds(nd, target->id)) {
            kind = RONDA_KIND_RESOLUTION;
            const char *status = statuses[rng_below(&w->work, 3)];
            ronda_hex(target->id, RONDA_ID_BYTES, hex);
            j = json_pack("{s:s, s:I, s:s, s:s, s:s}", "when", when, "topic",
                          (json_int_t)rng_below(&w->work, target->topics), "action",
                          "Patroli ditingkatkan di lokasi rawan", "status", status, "dialogue", hex);
            if (strcmp(status, "referred") == 0) json_object_set_new(j, "referred_to", json_string("Forkopimca"));
        } else if (pick == 3 && target && target->author == i) {
            kind = RONDA_KIND_AMEND;
            ronda_hex(target->id, RONDA_ID_BYTES, hex);
            unsigned t2;
            json_t *body = dialogue_json(w, nd, &t2);
            /* topics must not shrink below what resolutions may already name */
            json_t *tl = json_object_get(body, "topics");
            while (json_array_size(tl) < target->topics)
                json_array_append_new(tl, json_pack("{s:s, s:s}", "summary", "Tambahan", "category", "other"));
            j = json_pack("{s:o, s:s, s:s, s:s}", "body", body, "kind", "dialogue", "reason", "Koreksi peserta",
                          "target", hex);
        } else {
            j = dialogue_json(w, nd, &topics);
        }
        uint8_t *body = NULL, id[RONDA_ID_BYTES];
        size_t len = 0;
        ronda_detail d = {{0}};
        ronda_err e = ronda_body_from_json(kind, j, &body, &len, &d);
        if (e == RONDA_OK) e = ronda_store_append(nd->s, nd->sk, kind, body, len, node_now(w, nd), id, &d);
        json_decref(j);
        free(body);
        if (e == RONDA_ERR_REVOKED && i == w->revoked) { /* its revocation has reached it */
            nd->knows_revoked = 1;
            vlog(w, "node %d: append refused, it holds its own revocation", i);
            if (count > 1) ronda_store_rollback(nd->s);
            w->ndlgs = first_new;
            return;
        }
        if (e == RONDA_ERR_BEHIND && i == w->restorer && w->restore_done) { /* the restore guard */
            w->appends_refused++;
            if (count > 1) ronda_store_rollback(nd->s);
            w->ndlgs = first_new;
            return;
        }
        if (e != RONDA_OK) {
            failf(w, "node %d: append of a %s failed: %s (%s)", i, ronda_kind_name(kind), errname(e), d.text);
            break;
        }
        trace_mix(w, id, sizeof id);
        if (kind == RONDA_KIND_DIALOGUE) add_dlg(w, id, topics, i);
    }
    if (count > 1) {
        if (w->fail[0]) {
            ronda_store_rollback(nd->s);
            w->ndlgs = first_new;
            return;
        }
        if (ronda_store_commit(nd->s) != RONDA_OK) {
            failf(w, "node %d: commit of %u records failed", i, count);
            w->ndlgs = first_new;
            return;
        }
    }
    if (!w->fail[0]) {
        w->expected += count;
        w->appended += count;
        w->written[i] += count;
    }
}

/* The authority (node 0) admits signing key `pk` as member number i. */
ronda_err admit_key(world *w, const uint8_t *pk, int i) {
    node *auth = &w->nodes[0];
    char sign[65], curve[65];
    uint8_t ck[RONDA_KEY_BYTES];
    for (size_t k = 0; k < sizeof ck; k++) ck[k] = (uint8_t)rng_next(&w->setup);
    ronda_hex(pk, RONDA_KEY_BYTES, sign);
    ronda_hex(ck, RONDA_KEY_BYTES, curve);
    char name[64];
    snprintf(name, sizeof name, "Polsek %s %d", polsek_names[i % 6], i);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", name, "role", i % 5 == 4 ? "hq" : "precinct", "polres",
                  "Trenggalek", "sign_key", sign, "curve_key", curve, "valid_from", (json_int_t)(T0_MS - DAY_MS),
                  "valid_until", (json_int_t)(T0_MS + (i == w->long_member ? 730 : 30) * DAY_MS));
    if (i % 5 != 4) json_object_set_new(j, "polsek", json_string(polsek_names[i % 6]));
    /* An endpoint to dial (peer choice, src/node/peers.h), but not for every seventh member:
     * a phone that only dials out. */
    if (i % 7 != 6) {
        char ep[32];
        snprintf(ep, sizeof ep, "sim://node%d", i);
        json_object_set_new(j, "endpoint", json_string(ep));
    }
    uint8_t *body = NULL;
    size_t len = 0;
    ronda_detail d = {{0}};
    ronda_err e = ronda_body_from_json(RONDA_KIND_MEMBER, j, &body, &len, &d);
    if (e == RONDA_OK)
        e = ronda_store_append(auth->s, w->nodes[0].sk, RONDA_KIND_MEMBER, body, len, node_now(w, auth), NULL, &d);
    json_decref(j);
    free(body);
    if (e != RONDA_OK)
        failf(w, "admit node %d: %s (%s)", i, errname(e), d.text);
    else
        w->written[0]++;
    return e;
}

ronda_err admit(world *w, int i) { return admit_key(w, w->nodes[i].pk, i); }

void sim_on_ban(void *ctx, uint32_t peer) {
    node *nd = ctx;
    nd->bans_heard++;
    nd->last_ban = peer;
}

/* The authority revokes node i, its last good record being the last the authority holds. */
void revoke(world *w, int i) {
    node *auth = &w->nodes[0], *nd = &w->nodes[i];
    uint64_t seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    ronda_err e = ronda_store_head(auth->s, nd->pk, &seq, head);
    if (e == RONDA_ERR_NOT_FOUND)
        seq = 0;
    else if (e != RONDA_OK) {
        failf(w, "revoke: head: %s", errname(e));
        return;
    }
    char member[65], last[65];
    ronda_hex(nd->pk, RONDA_KEY_BYTES, member);
    json_t *j =
        json_pack("{s:s, s:s, s:I}", "member", member, "reason", "Kunci perangkat hilang", "last_seq", (json_int_t)seq);
    if (seq > 0) {
        ronda_hex(head, RONDA_ID_BYTES, last);
        json_object_set_new(j, "last_id", json_string(last));
    }
    uint8_t *body = NULL;
    size_t len = 0;
    ronda_detail d = {{0}};
    e = ronda_body_from_json(RONDA_KIND_REVOKE, j, &body, &len, &d);
    if (e == RONDA_OK)
        e = ronda_store_append(auth->s, auth->sk, RONDA_KIND_REVOKE, body, len, node_now(w, auth), NULL, &d);
    json_decref(j);
    free(body);
    if (e != RONDA_OK) {
        failf(w, "revoke node %d: %s (%s)", i, errname(e), d.text);
        return;
    }
    w->written[0]++;
    w->expected++;
    w->revoke_seq = seq;
    w->revoke_done = 1;
    trace_u64(w, 0x77770000u + (unsigned)i);
    vlog(w, "authority revokes node %d after its seq %" PRIu64 " (it wrote %" PRIu64 ")", i, seq, w->written[i]);
}

/* As SIGKILL: the core is dropped with nothing applied or committed (sync_abandon), then its
 * connections go down at the other ends only. */
void crash(world *w, int i) {
    node *nd = &w->nodes[i];
    int in_txn = nd->held, lost = snapshot_committed(w, i);
    sync_abandon(&nd->c);
    ronda_store_close(&nd->s);
    nd->alive = 0;
    nd->held = 0;
    nd->crash_armed = 0;
    for (size_t li = 0; li < w->nlinks; li++)
        if (w->links[li].a == i || w->links[li].b == i) link_down(w, li);
    nd->up_at = w->now + 300 + rng_below(&w->work, 4700);
    w->crashes++;
    if (in_txn) w->txn_crashes++;
    if (in_txn && lost) w->txn_lost++;
    if (!in_txn && lost) failf(w, "node %d: its connection held uncommitted records outside a hold", i);
    trace_u64(w, 0x33330000u + (unsigned)i);
    vlog(w, "node %d crashes%s%s (back at %" PRIu64 " ms)", i, in_txn ? " in the middle of a transaction" : "",
         lost ? ", losing what it had not committed" : "", nd->up_at);
}

/* Crashes in the middle of a transaction: now and then a group-committing node is armed, and
 * crashes right after it takes a RECORDS message in a held pass (before sync_release). */
void arm_txn_crash(world *w) {
    if (!rng_chance(&w->fault, 1.5 / (double)w->o->steps)) return;
    node *nd = &w->nodes[rng_below(&w->fault, w->n)];
    if (nd->alive && nd->group) nd->crash_armed = 1;
}

void maybe_txn_crash(world *w, int i, int type) {
    node *nd = &w->nodes[i];
    if (nd->crash_armed && nd->alive && nd->held && (type == 4 || type == 5) && nodes_down(w) + 1 <= (int)w->n / 2)
        crash(w, i);
}

/* ------------------------------------------------------------------ restores from old backups */

static int copy_path(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
    if (in && ferror(in)) ok = 0;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

static void backup_path(const world *w, char *out, size_t len) { snprintf(out, len, "%s/backup.db", w->dir); }

/* --restores: in that share of seeds, one precinct node (not the late joiner nor the revoked
 * one) is backed up a while into the run and later restored from that copy. Its own stream,
 * so seeds without a restore replay as before. */
void plan_restore(world *w, uint64_t active) {
    if (!rng_chance(&w->rst, w->o->restores) || w->n < 3) return;
    int r = 1 + (int)rng_below(&w->rst, w->n - 1);
    if (r == w->late || r == w->revoked) return;
    w->restorer = r;
    w->backup_at = active / 10 + rng_below(&w->rst, active * 3 / 10 + 1);
    w->restore_at = w->backup_at + active / 10 + rng_below(&w->rst, active * 3 / 10 + 1);
}

/* As `ronda restore`: the node crashes (sync_abandon), its database is replaced by the backup
 * with the guard set to restored at its own head, and it restarts later from that. What it
 * is known to hold starts again from the backup: the records it wrote after the backup are
 * gone from it (its peers may hold them). */
static void restore_node(world *w, int i) {
    node *nd = &w->nodes[i];
    char bak[640];
    backup_path(w, bak, sizeof bak);
    crash(w, i);
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (int k = 0; k < 4; k++) {
        char p[640];
        snprintf(p, sizeof p, "%s%s", nd->path, sfx[k]);
        unlink(p);
    }
    ronda_store *s = NULL;
    uint64_t seq = 0, before = nd->seen_seq[i];
    uint8_t head[RONDA_ID_BYTES];
    ronda_stats st;
    if (copy_path(bak, nd->path) != 0 || ronda_store_open(nd->path, NULL, &s) != RONDA_OK) {
        failf(w, "node %d: cannot restore its backup", i);
        return;
    }
    if (ronda_store_head(s, nd->pk, &seq, head) != RONDA_OK) seq = 0;
    if (ronda_store_set_guard(s, RONDA_GUARD_RESTORED, seq) != RONDA_OK ||
        ronda_store_digest(s, nd->committed_digest, NULL) != RONDA_OK || ronda_store_stats(s, &st) != RONDA_OK)
        failf(w, "node %d: cannot set the restore guard", i);
    nd->committed_records = st.records + st.forks;
    memset(nd->seen_seq, 0, sizeof nd->seen_seq);
    nd->s = s; /* the baseline for the loss check is now the backup */
    check_frontier(w, i, 0);
    ronda_store_close(&nd->s);
    w->backup_seq = seq;
    w->restored_lost = before > seq ? before - seq : 0;
    w->restore_done = 1;
    trace_u64(w, 0x88880000u + (unsigned)i);
    vlog(w, "node %d restored from its backup: own records up to seq %" PRIu64 " (it held %" PRIu64 ")", i, seq,
         before);
}

void restore_events(world *w) {
    if (w->restorer < 0) return;
    node *nd = &w->nodes[w->restorer];
    if (!w->backup_done && w->now >= w->backup_at && nd->alive) {
        char bak[640];
        backup_path(w, bak, sizeof bak);
        if (ronda_store_backup(nd->s, bak, NULL, NULL) != RONDA_OK) failf(w, "node %d: backup failed", w->restorer);
        w->backup_done = 1;
        vlog(w, "node %d backed up", w->restorer);
    } else if (w->backup_done && !w->restore_done && w->now >= w->restore_at && nd->alive) {
        restore_node(w, w->restorer);
    }
}

/* Every fourth node announces no features, as a node configured with `compress = none`:
 * the others must send it RECORDS as they are, and still take its messages. */
void sim_features(world *w, int i) {
    if (i % 4 == 3 && !w->all_features) sync_set_features(w->nodes[i].c, 0);
}

void restart(world *w, int i) {
    node *nd = &w->nodes[i];
    ronda_err e = ronda_store_open(nd->path, NULL, &nd->s);
    if (e != RONDA_OK) {
        failf(w, "node %d: reopen failed: %s", i, errname(e));
        return;
    }
    ronda_store_set_clock(nd->s, store_wall, nd);
    check_restart(w, i);
    if ((e = sync_new(nd->s, sim_log, nd, &nd->c)) != RONDA_OK) {
        failf(w, "node %d: sync_new failed: %s", i, errname(e));
        return;
    }
    sync_on_ban(nd->c, sim_on_ban, nd);
    sim_features(w, i);
    nd->alive = 1;
    nd->next_tick = w->now + rng_below(&w->work, TICK_MS);
    trace_u64(w, 0x44440000u + (unsigned)i);
    vlog(w, "node %d restarts", i);
    for (size_t li = 0; li < w->nlinks; li++)
        if (w->links[li].a == i || w->links[li].b == i) link_up(w, li);
}
