/* libronda public API: errors, version, and the headers of every module.
 *
 * Fallible functions return ronda_err (RONDA_OK == 0) and write their out-parameters
 * only on success. ronda_strerror() gives a one-line text for every code.
 *
 * Include this header alone: it includes every public header (the headers of include/ronda). Every
 * function they declare is marked RONDA_API (ronda/export.h) and starts with ronda_; the
 * library exports nothing else.
 *
 * Callbacks. A callback is called on the caller's thread, only while the function that
 * takes it runs (one exception: the clock of ronda_store_set_clock(), kept by the store and
 * called from its later calls until it is replaced or the store closed). `ctx` is the
 * caller's own pointer, passed through unchanged: the library never reads or frees it. Every
 * other pointer a callback receives is borrowed: valid only during that call (the library
 * reuses or frees it afterwards); a callback that keeps something copies it (json_incref()s
 * a JSON value). No callback argument is owned by the callee: the comment at each callback
 * says which arguments it borrows. */
#ifndef RONDA_RONDA_H
#define RONDA_RONDA_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/export.h"

#define RONDA_VERSION "0.1.0"

#if defined(__GNUC__)
#define RONDA_MUST_CHECK __attribute__((warn_unused_result))
#else
#define RONDA_MUST_CHECK
#endif

typedef enum ronda_err {
    RONDA_OK = 0,
    RONDA_ERR_NOMEM,      /* out of memory */
    RONDA_ERR_INVALID,    /* bad argument from the caller */
    RONDA_ERR_IO,         /* file or system call failed */
    RONDA_ERR_DB,         /* SQLite failed */
    RONDA_ERR_TRUNCATED,  /* input ends before the value it declares */
    RONDA_ERR_MALFORMED,  /* not the v1 layout, or not canonical msgpack */
    RONDA_ERR_TOO_BIG,    /* a size limit of limits.h is exceeded */
    RONDA_ERR_VERSION,    /* unknown envelope or bundle version */
    RONDA_ERR_KIND,       /* unknown record kind */
    RONDA_ERR_SIGNATURE,  /* Ed25519 signature does not verify */
    RONDA_ERR_BODY_HASH,  /* body does not match the envelope's body hash */
    RONDA_ERR_SCHEMA,     /* body breaks its kind's schema */
    RONDA_ERR_CHAIN,      /* prev does not name the author's previous record */
    RONDA_ERR_GAP,        /* the author's previous record is not held yet */
    RONDA_ERR_NOT_MEMBER, /* author is not a member valid at the record's time */
    RONDA_ERR_REVOKED,    /* author was revoked before this record */
    RONDA_ERR_ROLE,       /* author's role may not write this kind */
    RONDA_ERR_PLACE,      /* dialogue names a Polres/Polsek its author is not admitted for */
    RONDA_ERR_REFERENCE,  /* amend/resolution names a record it may not */
    RONDA_ERR_NOT_FOUND,  /* no such record, key or file */
    RONDA_ERR_EXISTS,     /* would overwrite something that exists */
    RONDA_ERR_KEY,        /* key file missing, unreadable, wrong mode or wrong form */
    RONDA_ERR_TAMPERED,   /* stored bytes and their index columns disagree */
    RONDA_ERR_BEHIND,     /* this node may be behind its own history (restored): no appends */
    RONDA_ERR_FUTURE,     /* the record's time is beyond this node's clock + RONDA_CLOCK_AHEAD_MAX_MS */
    /* SQLite failures a caller can act on (RONDA_ERR_DB stays for the others): mapped from
     * SQLite's result code where the call failed; ronda_err_is_db() is true for each. */
    RONDA_ERR_DB_FULL,     /* the disk holding the database (or the copy) is full */
    RONDA_ERR_DB_IO,       /* the disk failed a read or write of the database */
    RONDA_ERR_DB_BUSY,     /* another process kept the database locked past the busy timeout */
    RONDA_ERR_DB_CORRUPT,  /* the database file is damaged, or is not a database */
    RONDA_ERR_DB_READONLY, /* the database may not be written (permissions, read-only disk) */
    RONDA_ERR_VIEW,        /* the derived views disagree with the signed records (`ronda rebuild`) */
    RONDA_ERR__COUNT
} ronda_err;

/* The two clocks, as distinct types so that one cannot be passed for the other: a
 * monotonic clock for timers (it never steps, whatever NTP or an operator does to the
 * wall clock), and the wall clock (ms since the Unix epoch) for HLCs and for people. */
typedef struct ronda_mono {
    uint64_t ms; /* CLOCK_MONOTONIC, ms: only differences mean anything */
} ronda_mono;
typedef struct ronda_wall {
    uint64_t ms; /* CLOCK_REALTIME, ms since 1970-01-01T00:00:00Z */
} ronda_wall;

/* The two clocks now (clock_gettime). */
RONDA_API ronda_mono ronda_mono_now(void);
RONDA_API ronda_wall ronda_wall_now(void);

/* Text for an error code; never NULL. */
RONDA_API const char *ronda_strerror(ronda_err err);

/* Stable short name of an error code, for logs and JSON ("signature", "gap", ...). */
RONDA_API const char *ronda_errname(ronda_err err);

/* True for RONDA_ERR_DB and each RONDA_ERR_DB_* kind: a caller that treats "the database
 * failed" alike whatever the cause tests this, never `== RONDA_ERR_DB`. */
static inline int ronda_err_is_db(ronda_err err) {
    return err == RONDA_ERR_DB || (err >= RONDA_ERR_DB_FULL && err <= RONDA_ERR_DB_READONLY);
}

/* What an operator does about err (one line, for a hint), or NULL when the error's text
 * says all; never NULL for the RONDA_ERR_DB_* kinds. */
RONDA_API const char *ronda_err_fix(ronda_err err);

/* Initialise libsodium; call once before anything else. Safe to call again. */
RONDA_API ronda_err ronda_init(void) RONDA_MUST_CHECK;

#include "ronda/limits.h"
#include "ronda/record.h"
#include "ronda/body.h"
#include "ronda/store.h"
#include "ronda/bundle.h"
#include "ronda/audit.h"
#include "ronda/audit_report.h"
#include "ronda/witness.h"
#include "ronda/tree.h"
#include "ronda/report.h"
/* The JSON documents (include/ronda/json.h: jansson): part of the umbrella for the library's
 * users; the library's core compiles without them. */
#ifndef RONDA_NO_JSON
#include "ronda/json.h"
#endif

#endif
