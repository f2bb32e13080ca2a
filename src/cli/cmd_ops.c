/* Operating a node: `ronda backup` (a consistent copy of a running node's database) and
 * `ronda restore` (put a backup in place, guarded so the node cannot fork its own history).
 * docs/operations.md explains both; src/store/backup.c and src/store/guard.c do the work. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/log.h"
#include "util/util.h"

static void backup_progress(void *ctx, uint64_t done, uint64_t total) {
    progress_update(ctx, done, total, done == total);
}

/* Records in a database file, read-only (the backup is not touched). -1 on error. */
static long long count_records(const char *path) {
    sqlite3 *db = NULL;
    long long n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM records", -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return n;
}

static const char backup_help[] =
    "usage: ronda backup [--dir DIR] [--config FILE] [--progress auto|tty|json|none] FILE\n"
    "\n"
    "Write a consistent copy of the node's database to FILE (which must not exist), with\n"
    "SQLite's online backup API: safe while `ronda run` and `ronda record` write. FILE is one\n"
    "self-contained SQLite file, checked before it is put in place. The key files (sign.key,\n"
    "curve.key) are not in it: keep a copy of them apart, once. Restore with `ronda restore`.\n";

int cmd_backup(int argc, char **argv) {
    static config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *path = NULL, *prog = NULL;
    const opt opts[] = {
        {"dir", OPT_STR, &cfg.flag_str[CFG_DIR]}, {"config", OPT_STR, &path}, {"progress", OPT_STR, &prog}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("backup", backup_help, argc, argv, opts, 3, pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) return cli_usage("backup", "name the backup FILE to write");
    if ((rc = config_load(&cfg, path, 0)) != EXIT_OK) {
        config_free(&cfg);
        return rc;
    }
    node n;
    rc = node_open(&n, config_str(&cfg, CFG_DIR), 0);
    config_free(&cfg);
    if (rc != EXIT_OK) return rc;
    progress p;
    progress_init(&p, "backup", "pages", prog);
    ronda_err e = ronda_store_backup(n.store, pos[0], backup_progress, &p);
    ronda_detail d = {{0}}; /* SQLite's own text of a database failure: the cause */
    if (ronda_err_is_db(e)) snprintf(d.text, sizeof d.text, "%s", ronda_store_errmsg(n.store));
    node_close(&n);
    if (e == RONDA_ERR_EXISTS)
        return cli_fail(EXIT_ENV, pos[0], e, NULL, "a backup never overwrites a file: name a new one");
    if (e != RONDA_OK)
        return cli_fail(EXIT_ENV, "backup", e, &d,
                        "is there room, and may this user write there? nothing was left behind");
    printf("backup: %s: %lld records; keep sign.key and curve.key apart, they are not in it\n", pos[0],
           count_records(pos[0]));
    return EXIT_OK;
}

/* Copy src to dst (which must not exist), then fsync it. */
static int copy_file(const char *src, const char *dst) {
    int in = open(src, O_RDONLY);
    if (in < 0) return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (out < 0) {
        close(in);
        return -1;
    }
    static char buf[1 << 16];
    ssize_t r;
    int ok = 1;
    while (ok && (r = read(in, buf, sizeof buf)) != 0) {
        if (r < 0) {
            if (errno == EINTR) continue;
            ok = 0;
            break;
        }
        for (ssize_t w = 0; ok && w < r;) {
            ssize_t k = write(out, buf + w, (size_t)(r - w));
            if (k < 0 && errno != EINTR) ok = 0;
            if (k > 0) w += k;
        }
    }
    if (ok && fsync(out) != 0) ok = 0;
    close(in);
    if (close(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

/* Move DIR/ronda.db and its -wal/-shm aside to ronda.db.before-restore[-wal|-shm]. */
static int move_aside(const char *dir) {
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char from[4200], to[4200];
    snprintf(to, sizeof to, "%s/%s.before-restore", dir, NODE_DB);
    if (access(to, F_OK) == 0) {
        fprintf(stderr, "ronda: %s exists from an earlier restore\n  hint: move it away first\n", to);
        return EXIT_ENV;
    }
    for (int i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "%s/%s%s", dir, NODE_DB, suffix[i]);
        snprintf(to, sizeof to, "%s/%s.before-restore%s", dir, NODE_DB, suffix[i]);
        if (rename(from, to) != 0 && errno != ENOENT) {
            fprintf(stderr, "ronda: cannot move %s aside (%s)\n", from, strerror(errno));
            return EXIT_ENV;
        }
    }
    return EXIT_OK;
}

static const char restore_help[] =
    "usage: ronda restore [--dir DIR] [--force] FILE\n"
    "       ronda restore [--dir DIR] --confirm\n"
    "\n"
    "Put the backup FILE (from `ronda backup`) in place as DIR's database. Stop the node\n"
    "first. DIR must hold the node's key files (sign.key, curve.key), and the backup must be\n"
    "this node's. An existing database is refused unless --force, which moves it aside to\n"
    "ronda.db.before-restore (with its -wal and -shm).\n"
    "\n"
    "The restored node may be behind its own history: records it wrote after the backup may\n"
    "live at its peers. So it refuses to append (`ronda record` exits 4) until `ronda run` has\n"
    "synced with a peer that confirms its head, or fetched its newer records from one.\n"
    "`ronda status` shows the guard. --confirm lifts it by hand: only when you know that no\n"
    "record of this node newer than the backup exists anywhere (otherwise: a fork).\n";

int cmd_restore(int argc, char **argv) {
    const char *dir = NULL;
    int force = 0, confirm = 0;
    const opt opts[] = {{"dir", OPT_STR, &dir}, {"force", OPT_FLAG, &force}, {"confirm", OPT_FLAG, &confirm}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("restore", restore_help, argc, argv, opts, 3, pos, 1, &npos);
    if (rc >= 0) return rc;
    dir = cli_dir(dir);
    if (confirm) {
        if (npos != 0 || force) return cli_usage("restore", "--confirm takes no FILE and no --force");
        node n;
        if ((rc = node_open(&n, dir, 0)) != EXIT_OK) return rc;
        ronda_err e = ronda_store_set_guard(n.store, RONDA_GUARD_NONE, 0);
        node_close(&n);
        if (e != RONDA_OK) return cli_fail(EXIT_ENV, "restore --confirm", e, NULL, NULL);
        printf("restore: %s may append again (confirmed by hand)\n", dir);
        return EXIT_OK;
    }
    if (npos != 1) return cli_usage("restore", "name the backup FILE to restore");

    char path[4200], db[4200], tmp[4200];
    uint8_t secret[RONDA_SECRET_BYTES], pub[RONDA_KEY_BYTES];
    snprintf(path, sizeof path, "%s/%s", dir, NODE_SIGN_KEY);
    ronda_err e = keyfile_read(path, SIGN_KEY_TYPE, secret, sizeof secret);
    if (e != RONDA_OK)
        return cli_fail(EXIT_ENV, path, e, NULL,
                        "put the node's key files (sign.key, curve.key, mode 0600) into the directory first: "
                        "backups do not hold them");
    memcpy(pub, secret + 32, RONDA_KEY_BYTES);
    sodium_memzero(secret, sizeof secret);
    snprintf(db, sizeof db, "%s/%s", dir, NODE_DB);
    snprintf(tmp, sizeof tmp, "%s/%s.restoring", dir, NODE_DB);
    if (access(db, F_OK) == 0 && !force) {
        fprintf(stderr, "ronda: %s exists\n  hint: stop the node; --force moves it aside to %s.before-restore\n", db,
                NODE_DB);
        return EXIT_ENV;
    }
    unlink(tmp); /* from an interrupted restore */
    if (copy_file(pos[0], tmp) != 0) {
        fprintf(stderr, "ronda: cannot copy %s to %s (%s)\n", pos[0], tmp, strerror(errno));
        unlink(tmp);
        return EXIT_ENV;
    }
    ronda_store *s = NULL;
    e = ronda_store_open(tmp, NULL, &s);
    if (e != RONDA_OK) {
        unlink(tmp);
        return cli_fail(EXIT_REFUSED, pos[0], e, NULL, "is it a backup written by `ronda backup`?");
    }
    uint8_t node_key[RONDA_KEY_BYTES], head[RONDA_ID_BYTES];
    ronda_store_node(s, node_key);
    if (memcmp(node_key, pub, RONDA_KEY_BYTES) != 0) {
        char a[13], b[13];
        cli_short(node_key, a);
        cli_short(pub, b);
        ronda_store_close(&s);
        unlink(tmp);
        fprintf(stderr, "ronda: %s is the backup of node %s, but %s holds the key of node %s\n", pos[0], a, dir, b);
        return EXIT_REFUSED;
    }
    uint64_t seq = 0;
    if (ronda_store_head(s, pub, &seq, head) != RONDA_OK) seq = 0;
    e = ronda_store_set_guard(s, RONDA_GUARD_RESTORED, seq);
    ronda_store_close(&s);
    if (e != RONDA_OK) {
        unlink(tmp);
        return cli_fail(EXIT_ENV, "restore", e, NULL, NULL);
    }
    if (access(db, F_OK) == 0 && (rc = move_aside(dir)) != EXIT_OK) {
        unlink(tmp);
        return rc;
    }
    if (rename(tmp, db) != 0) {
        fprintf(stderr, "ronda: cannot rename %s to %s (%s)\n", tmp, db, strerror(errno));
        return EXIT_ENV;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    printf("restore: %s restored from %s, own records up to seq %llu.\n"
           "It writes nothing until `ronda run` has synced with a peer that confirms its head or sends it\n"
           "its newer records (`ronda status` shows the guard).\n",
           dir, pos[0], (unsigned long long)seq);
    return EXIT_OK;
}
