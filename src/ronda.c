/* Library-wide things: initialisation and error texts. */
#include <sodium.h>

#include "record/schema.h"
#include "ronda/ronda.h"

static const struct {
    const char *name;
    const char *text;
} errors[RONDA_ERR__COUNT] = {
    [RONDA_OK] = {"ok", "success"},
    [RONDA_ERR_NOMEM] = {"nomem", "out of memory"},
    [RONDA_ERR_INVALID] = {"invalid", "invalid argument"},
    [RONDA_ERR_IO] = {"io", "input/output error"},
    [RONDA_ERR_DB] = {"db", "database error"},
    [RONDA_ERR_TRUNCATED] = {"truncated", "input ends before the value it declares"},
    [RONDA_ERR_MALFORMED] = {"malformed", "not the v1 layout or not canonical msgpack"},
    [RONDA_ERR_TOO_BIG] = {"too_big", "a size limit is exceeded"},
    [RONDA_ERR_VERSION] = {"version", "unknown format version"},
    [RONDA_ERR_KIND] = {"kind", "unknown record kind"},
    [RONDA_ERR_SIGNATURE] = {"signature", "signature does not verify"},
    [RONDA_ERR_BODY_HASH] = {"body_hash", "body does not match its hash"},
    [RONDA_ERR_SCHEMA] = {"schema", "body breaks its kind's schema"},
    [RONDA_ERR_CHAIN] = {"chain", "prev does not name the author's previous record"},
    [RONDA_ERR_GAP] = {"gap", "the author's previous record is missing"},
    [RONDA_ERR_NOT_MEMBER] = {"not_member", "author is not a member at the record's time"},
    [RONDA_ERR_REVOKED] = {"revoked", "author was revoked before this record"},
    [RONDA_ERR_ROLE] = {"role", "author's role may not write this kind"},
    [RONDA_ERR_PLACE] = {"place", "dialogue names a Polres/Polsek its author is not admitted for"},
    [RONDA_ERR_REFERENCE] = {"reference", "record refers to a record it may not"},
    [RONDA_ERR_NOT_FOUND] = {"not_found", "not found"},
    [RONDA_ERR_EXISTS] = {"exists", "already exists"},
    [RONDA_ERR_KEY] = {"key", "key file is unreadable, readable by others, or malformed"},
    [RONDA_ERR_TAMPERED] = {"tampered", "stored bytes disagree with their index"},
    [RONDA_ERR_BEHIND] = {"behind", "this node may be behind its own history; it writes nothing until a peer "
                                    "confirms its head"},
    [RONDA_ERR_FUTURE] = {"future", "the record's time is ahead of this node's clock by more than the bound "
                                    "(RONDA_CLOCK_AHEAD_MAX_MS): not stored yet"},
    [RONDA_ERR_DB_FULL] = {"db_full", "disk full: the database could not be written"},
    [RONDA_ERR_DB_IO] = {"db_io", "disk I/O error reading or writing the database"},
    [RONDA_ERR_DB_BUSY] = {"db_busy", "database busy: another process kept it locked"},
    [RONDA_ERR_DB_CORRUPT] = {"db_corrupt", "database file is damaged (corrupt, or not a database)"},
    [RONDA_ERR_DB_READONLY] = {"db_readonly", "database is read-only: it may not be written"},
    [RONDA_ERR_VIEW] = {"view", "the derived views (what reports and the dashboard read) disagree with the signed "
                                "records"},
};

/* The fix of each database kind; docs/operations.md ("When the database fails") says more. */
static const char *const fixes[RONDA_ERR__COUNT] = {
    [RONDA_ERR_DB_FULL] = "free space on that disk (`df -h`) or move the node to a larger one, then retry; "
                          "nothing of the failed step was stored",
    [RONDA_ERR_DB_IO] = "the disk or its file system failed: check the kernel log (`dmesg`) and the disk's health, "
                        "then run `ronda verify`; restore from a backup if it finds damage",
    [RONDA_ERR_DB_BUSY] = "another process (a backup, an import, a second `ronda run`) holds the database: wait "
                          "for it to finish and retry",
    [RONDA_ERR_DB_CORRUPT] = "stop the node and run `ronda verify`; restore the last good backup (`ronda restore`), "
                             "then let `ronda run` fetch the rest from peers",
    [RONDA_ERR_DB_READONLY] = "give the node's user write access to the node directory and its files, and check "
                              "the disk is not mounted read-only",
    [RONDA_ERR_VIEW] = "run `ronda rebuild` to rebuild the views from the records, then find out who changed the "
                       "database file outside ronda",
};

const char *ronda_strerror(ronda_err err) {
    return err >= 0 && err < RONDA_ERR__COUNT && errors[err].text ? errors[err].text : "unknown error";
}

const char *ronda_errname(ronda_err err) {
    return err >= 0 && err < RONDA_ERR__COUNT && errors[err].name ? errors[err].name : "unknown";
}

const char *ronda_err_fix(ronda_err err) { return err >= 0 && err < RONDA_ERR__COUNT ? fixes[err] : NULL; }

ronda_err ronda_init(void) {
    if (sodium_init() < 0) return RONDA_ERR_INVALID;
    schema_selfcheck();
    return RONDA_OK;
}
