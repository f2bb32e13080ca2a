/* The store's clock: the wall clock a record's time is checked against on the way in, and
 * the node's clock-offset estimate that the daemon keeps in meta for `ronda record`.
 *
 * A record whose time (hlc >> 16) is more than RONDA_CLOCK_AHEAD_MAX_MS ahead of this
 * clock is not stored: held, it would drag every later append's HLC past the node's own
 * membership (store.c caps that too). It is refused with RONDA_ERR_FUTURE, which does not
 * count against the peer that relayed it, and is stored when a later round brings it again
 * once the clock allows it. The clock is injectable so that the simulator and the unit
 * tests run on their own time. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

#define OFFSET_TEXT_MAX 48 /* "-9223372036854775808 18446744073709551615" fits */

void ronda_store_set_clock(ronda_store *s, ronda_wall (*now)(void *ctx), void *ctx) {
    s->clock = now;
    s->clock_ctx = ctx;
}

ronda_wall ronda_wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (ronda_wall){(uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u};
}

ronda_mono ronda_mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ronda_mono){(uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u};
}

ronda_wall store_clock(const ronda_store *s) { return s->clock ? s->clock(s->clock_ctx) : ronda_wall_now(); }

ronda_err store_check_future(const ronda_store *s, const ronda_record *rec, ronda_detail *d) {
    uint64_t now = store_clock(s).ms, at = ronda_hlc_ms(rec->hlc);
    if (at <= now || at - now <= RONDA_CLOCK_AHEAD_MAX_MS) return RONDA_OK;
    if (d)
        snprintf(d->text, sizeof d->text,
                 "record time is %" PRIu64 " s ahead of this node's clock (at most %u s): stored once the clock "
                 "reaches it",
                 (at - now) / 1000u, RONDA_CLOCK_AHEAD_MAX_MS / 1000u);
    return RONDA_ERR_FUTURE;
}

ronda_err ronda_store_set_clock_offset(ronda_store *s, int64_t offset_ms, ronda_wall measured) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_offset', ?1)", -1, &st,
                           NULL) != SQLITE_OK)
        return RONDA_ERR_DB;
    char text[OFFSET_TEXT_MAX + 1];
    int len = snprintf(text, sizeof text, "%" PRId64 " %" PRIu64, offset_ms, measured.ms);
    sqlite3_bind_blob(st, 1, text, len, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RONDA_OK : RONDA_ERR_DB;
}

ronda_err ronda_store_clock_offset(ronda_store *s, int64_t *offset_ms, ronda_wall *measured) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'clock_offset'", -1, &st, NULL) != SQLITE_OK)
        return RONDA_ERR_DB;
    int rc = sqlite3_step(st);
    ronda_err e = rc == SQLITE_DONE ? RONDA_ERR_NOT_FOUND : RONDA_ERR_DB;
    if (rc == SQLITE_ROW) {
        char text[OFFSET_TEXT_MAX + 1] = "";
        int len = sqlite3_column_bytes(st, 0);
        const void *v = sqlite3_column_blob(st, 0);
        if (v && len > 0 && len <= OFFSET_TEXT_MAX) memcpy(text, v, (size_t)len);
        long long off;
        unsigned long long at;
        /* Another process's row: an unreadable one is no estimate, not a reason to refuse. */
        e = RONDA_ERR_NOT_FOUND;
        if (sscanf(text, "%lld %llu", &off, &at) == 2) {
            *offset_ms = (int64_t)off;
            *measured = (ronda_wall){(uint64_t)at};
            e = RONDA_OK;
        }
    }
    sqlite3_finalize(st);
    return e;
}
