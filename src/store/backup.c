/* Online backup of a node's database (`ronda backup`): a consistent copy taken with
 * SQLite's backup API while other processes keep writing.
 *
 * Consistency: we open one read transaction on the source before the first step and keep
 * it until the last, so every page comes from the same WAL snapshot; writers in other
 * processes go on appending to the WAL meanwhile (WAL readers never block writers), and
 * the backup is never restarted by their commits. The copy is written to PATH.partial,
 * switched to rollback-journal mode (one self-contained file), checked with
 * `PRAGMA quick_check`, synced, and only then linked to PATH, which must not exist.
 *
 * Nothing is left behind on failure: the partial copy and SQLite's files beside it (its
 * rollback journal, which a full disk leaves as PATH.partial-journal) are removed, and the
 * cause (disk full, I/O error, ...) is the kind returned, its text ronda_store_errmsg(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"

#define BACKUP_STEP_PAGES 256 /* pages per step: progress granularity (1 MiB at 4 KiB pages) */
#define BACKUP_BUSY_MAX 500   /* busy steps (10 ms apart) before giving up: 5 s */

static ronda_err fsync_path(const char *path, int dir) {
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return RONDA_ERR_IO;
    int rc = fsync(fd), err = errno;
    close(fd);
    return rc == 0 ? RONDA_OK : err == ENOSPC ? RONDA_ERR_DB_FULL : RONDA_ERR_IO;
}

/* Remove the partial copy and every file SQLite may have made beside it. */
static void remove_partial(const char *tmp) {
    static const char *const suffix[] = {"", "-journal", "-wal", "-shm"};
    char p[4300];
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        snprintf(p, sizeof p, "%s%s", tmp, suffix[i]);
        unlink(p);
    }
}

static void parent_dir(const char *path, char *out, size_t len) {
    snprintf(out, len, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, len, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

ronda_err ronda_store_backup(ronda_store *s, const char *path,
                             void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx) {
    if (!path || !*path || s->in_txn) return RONDA_ERR_INVALID;
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", path) >= sizeof tmp) return RONDA_ERR_INVALID;
    if (access(path, F_OK) == 0) return RONDA_ERR_EXISTS;
    remove_partial(tmp); /* a stale partial copy from an interrupted backup */

    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        ronda_err oe = store_fail_on(s, dst, rc);
        sqlite3_close(dst);
        remove_partial(tmp);
        return rc == SQLITE_CANTOPEN ? RONDA_ERR_IO : oe;
    }
    sqlite3_extended_result_codes(dst, 1);
    ronda_err e = RONDA_ERR_DB;
    store_idle(s);
    /* One read snapshot for the whole copy (see the top of this file). */
    if ((rc = sqlite3_exec(s->db, "BEGIN DEFERRED; SELECT count(*) FROM meta;", NULL, NULL, NULL)) != SQLITE_OK) {
        e = store_fail(s, rc);
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b) {
        e = store_fail_on(s, dst, 0);
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        goto out;
    }
    int busy = 0;
    do {
        rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) { /* the destination is ours: rare */
            if (++busy > BACKUP_BUSY_MAX) break;
            sqlite3_sleep(10);
            continue;
        }
        if (progress && (rc == SQLITE_OK || rc == SQLITE_DONE)) {
            int total = sqlite3_backup_pagecount(b);
            progress(ctx, (uint64_t)(total - sqlite3_backup_remaining(b)), (uint64_t)total);
        }
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    int fin = sqlite3_backup_finish(b); /* the step's error again, set on dst */
    if (rc != SQLITE_DONE || fin != SQLITE_OK) e = store_fail_on(s, dst, rc != SQLITE_DONE ? rc : fin);
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_DONE || fin != SQLITE_OK) goto out;

    /* One self-contained file: no -wal beside it to forget when copying it off-site. */
    char *mode = NULL;
    sqlite3_stmt *st;
    if ((rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL)) != SQLITE_OK ||
        (rc = sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL)) != SQLITE_OK) {
        e = store_fail_on(s, dst, rc);
        goto out;
    }
    rc = sqlite3_step(st);
    mode = rc == SQLITE_ROW ? (char *)sqlite3_column_text(st, 0) : NULL;
    int ok = mode && strcmp(mode, "ok") == 0;
    if (rc != SQLITE_ROW) e = store_fail_on(s, dst, rc); /* the check did not run: no verdict */
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) goto out;
    if (!ok) {
        e = RONDA_ERR_TAMPERED;
        goto out;
    }
    e = RONDA_OK;
out:
    if (sqlite3_close(dst) != SQLITE_OK && e == RONDA_OK) e = RONDA_ERR_IO;
    if (e == RONDA_OK) e = fsync_path(tmp, 0);
    if (e == RONDA_OK && link(tmp, path) != 0) e = errno == EEXIST ? RONDA_ERR_EXISTS : RONDA_ERR_IO;
    remove_partial(tmp);
    if (e == RONDA_OK) {
        char dir[4200];
        parent_dir(path, dir, sizeof dir);
        (void)fsync_path(dir, 1);
    }
    return e;
}
