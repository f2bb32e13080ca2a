/* ronda limits: every bound the code enforces, in one place, each with its reason.
 *
 * Every loop over untrusted input is bounded by one of these. Relationships between
 * them are checked at compile time at the bottom of this file. */
#ifndef RONDA_LIMITS_H
#define RONDA_LIMITS_H

/* Whole encoded record ([envelope, signature, body]). A dialogue with the maximum
 * number of topics and messages fits with room to spare; anything bigger is hostile. */
#define RONDA_RECORD_MAX 65536u

/* Encoded envelope. The v1 envelope is at most 1+1+34+9+34+9+(1+16)+34 = 139 bytes;
 * 256 leaves room and refuses anything that could only be padding. */
#define RONDA_ENVELOPE_MAX 256u

/* Encoded body: the record minus envelope, signature and framing. */
#define RONDA_BODY_MAX (RONDA_RECORD_MAX - RONDA_ENVELOPE_MAX - 128u)

/* Free text fields (topic summaries, actions, messages): a long paragraph, not a file. */
#define RONDA_TEXT_MAX 4096u

/* Short fields (names, places, Polres, Polsek, endpoints). */
#define RONDA_NAME_MAX 160u

/* Kind strings ("dialogue", "resolution", ...). */
#define RONDA_KIND_MAX 16u

/* Items in any list field (officers, topics, stakeholders, messages). The source
 * reports never list more than a dozen; 64 bounds the derived-view work per record. */
#define RONDA_LIST_MAX 64u

/* Nesting depth of any msgpack value we decode. v1 needs 4 (amend > body > topics >
 * topic); 6 refuses deep-nesting attacks long before the C stack notices. */
#define RONDA_DEPTH_MAX 6u

/* Frontier entries (author, seq, head) in one checkpoint record. An entry is at most 94
 * encoded bytes (map of 3: "seq" + uint64, "head" + 32 bytes, "author" + 32 bytes), so 512
 * entries and the fixed fields (~110 bytes) stay under RONDA_BODY_MAX with a quarter to spare.
 * A node holding more authors writes its checkpoint as consecutive parts of this many. */
#define RONDA_CHECKPOINT_AUTHORS_MAX 512u
#define RONDA_CHECKPOINT_ENTRY_MAX 94u

/* Parts of one checkpoint: 64 x 512 = 32,768 authors, some 50 times the Polsek and Polres of
 * East Java. A network that outgrows it must raise this bound (and the sync window with it). */
#define RONDA_CHECKPOINT_PARTS_MAX 64u

/* Checkpoint notes (proto/note.md). A note is four body lines and one signature line per
 * signer; a line is at most 256 bytes (a signature line is ~190: the em dash, an 87-byte key
 * name and 92 base64 characters). 64 signers is more than the Polres of a province (East
 * Java has 39) with room; a note file larger than RONDA_NOTE_MAX is refused unread. */
#define RONDA_NOTE_LINE_MAX 256u
#define RONDA_NOTE_SIGS_MAX 64u
#define RONDA_NOTE_MAX (20u * 1024u)

/* Cosignatures `ronda run` writes in one pass (after a catch-up): each costs the frontier
 * lookups of one checkpoint (up to 512 per part), so a pass stays short; the rest follow in
 * the next pass. */
#define RONDA_COSIGN_PASS_MAX 16u

/* `ronda audit` warns when an hq writer's newest checkpoint (or the ledger's) is older than
 * this, measured against the newest record the ledger holds: a checkpoint an hour (the
 * default of `ronda run`) that stopped twice in a row. */
#define RONDA_CHECKPOINT_STALE_MS (2u * 3600u * 1000u)

/* `ronda run` writes a checkpoint after a catch-up that brought new records, at most this
 * often: a busy network (a record a minute) must not cost every HQ a checkpoint a minute. */
#define RONDA_CHECKPOINT_GAP_MS (10u * 60u * 1000u)

/* Participants in one dialogue: larger than any gathering a precinct holds. */
#define RONDA_PARTICIPANTS_MAX 1000000u

/* Records verified and committed together on import: large enough to amortise the
 * transaction and the thread hand-off, small enough that a batch stays in cache. */
#define RONDA_BATCH_MAX 1024u

/* A bundle header map: a few fixed keys. */
#define RONDA_BUNDLE_HEADER_MAX 4096u

/* SQLite page cache per database connection, in KiB. The derived views index records by
 * their (random) ids, so every append touches pages all over the file: with SQLite's 2 MiB
 * default a 100,000-record ledger reads most of them back from the OS on every insert.
 * 32 MiB holds the indexes' working set of a precinct's or an HQ's ledger; memory stays
 * bounded by it, whatever the ledger's size. */
#define RONDA_DB_CACHE_KIB 32768u

/* Threads that verify signatures in parallel on import and verify. */
#define RONDA_VERIFY_THREADS_MAX 16u
/* Differences between the views and the records reported one by one by a view check: a
 * table emptied or rewritten would otherwise make a finding per row (millions); beyond this
 * the check counts them and says how many more there are. */
#define RONDA_VIEW_FINDINGS_MAX 200u

/* A JSON body file given to `ronda record --json`. */
#define RONDA_JSON_FILE_MAX (1024u * 1024u)

/* Rows a query prints unless told otherwise. */
#define RONDA_QUERY_ROWS_DEFAULT 1000u

/* A node's INI configuration file (docs/configuration.md): a few dozen short lines. */
#define RONDA_CONFIG_FILE_MAX (64u * 1024u)

/* Values of one repeatable configuration key (`peer`): the daemon's bootstrap peers. */
#define RONDA_CONFIG_LIST_MAX 16u
/* Groups in one report (`ronda report`, /api/report). East Java has about 40 Polres and
 * 600 Polsek, and a decade is 120 months: a report with more groups is a mistake or an
 * attack on the server's memory. */
#define RONDA_REPORT_GROUPS_MAX 4096u

/* Items one list request returns (dialogues, follow-ups): a screenful or a CSV page. */
#define RONDA_LIST_LIMIT_MAX 500u
#define RONDA_LIST_LIMIT_DEFAULT 50u

/* How far a list may be paged: SQLite skips an offset row by row, so a deep offset costs
 * as much as reading those rows. Narrow the filter instead. */
#define RONDA_LIST_OFFSET_MAX 100000u

/* Words typed into a search box: a sentence, not a document. */
#define RONDA_SEARCH_TEXT_MAX 256u

/* --overdue-days / overdue_days: ten years. */
#define RONDA_OVERDUE_DAYS_MAX 3650u

/* HTTP server (src/http): simultaneous connections, per client address, threads answering
 * (each with its own read-only database connection), the seconds an idle connection is
 * kept, memory per connection for headers, the longest URL, and the time one query may
 * run before it is abandoned (a pathological search must not hold a thread). */
#define RONDA_HTTP_CONNECTIONS_MAX 64u
#define RONDA_HTTP_PER_IP_MAX 16u
#define RONDA_HTTP_THREADS 2u
#define RONDA_HTTP_IDLE_S 15u
#define RONDA_HTTP_CONN_MEMORY (32u * 1024u)
#define RONDA_HTTP_URL_MAX 2048u
#define RONDA_HTTP_QUERY_MS 5000u

/* HLC: milliseconds since the epoch in the high 48 bits, a counter in the low 16. */
#define RONDA_HLC_COUNTER_BITS 16u

/* How far a record's time (hlc >> 16) may be ahead of the receiving node's wall clock.
 * Beyond it the record is not stored (RONDA_ERR_FUTURE) until the clock reaches it, and a
 * node's own HLC follows another author's at most this far ahead of its clock: so a member
 * signing records a year ahead (or a PC whose clock runs months fast) pushes nobody's HLC
 * past its own membership. It must tolerate the clock errors an office PC really has: drift
 * of seconds a day without NTP, a clock set by hand from a watch, a PC set to the time of
 * another of Indonesia's zones (WIB/WITA/WIT: up to 2 h) or a missed hour; 4 h covers those
 * with room (a node 3 h behind still syncs). A clock set to local time on a PC that believes
 * it is UTC (7-9 h) is beyond it: that node is told so (`ronda status`, `ronda record`)
 * instead of signing hours-wrong times that readers would take for true. The same bound
 * widens membership windows for connecting (ronda_store_live_members): a node whose clock
 * is a little behind still admits a just-admitted member's handshake. */
#define RONDA_CLOCK_AHEAD_MAX_MS (4u * 3600u * 1000u)

/* A node's estimate of its clock's offset from its peers' (the daemon writes it to the
 * store's meta; `ronda record` reads it): written when it moved by more than
 * RONDA_CLOCK_OFFSET_STEP_MS, at most every RONDA_CLOCK_OFFSET_WRITE_MS, and not believed
 * once older than RONDA_CLOCK_OFFSET_STALE_MS (the daemon stopped; the clock may have been
 * fixed since). A step of a second is far below the bound and far above network delay. */
#define RONDA_CLOCK_OFFSET_STEP_MS 1000u
#define RONDA_CLOCK_OFFSET_WRITE_MS 5000u
#define RONDA_CLOCK_OFFSET_STALE_MS (10u * 60u * 1000u)

_Static_assert(RONDA_ENVELOPE_MAX + 64u + RONDA_BODY_MAX + 16u <= RONDA_RECORD_MAX,
               "a record holding maximal parts must fit RONDA_RECORD_MAX");
_Static_assert(RONDA_TEXT_MAX < RONDA_BODY_MAX, "one text field must fit a body");
_Static_assert(RONDA_NAME_MAX < RONDA_TEXT_MAX, "names are shorter than texts");
_Static_assert(RONDA_DEPTH_MAX >= 4u, "v1 bodies nest four deep (amend)");
_Static_assert(RONDA_CONFIG_LIST_MAX <= RONDA_LIST_MAX, "a config list fits the option parser's lists");
_Static_assert(RONDA_CHECKPOINT_AUTHORS_MAX *RONDA_CHECKPOINT_ENTRY_MAX + 256u <= RONDA_BODY_MAX,
               "a full checkpoint part must fit a body");
_Static_assert(RONDA_CHECKPOINT_PARTS_MAX >= 1u && RONDA_CHECKPOINT_PARTS_MAX <= 1024u, "checkpoint parts range");
_Static_assert(RONDA_LIST_LIMIT_DEFAULT <= RONDA_LIST_LIMIT_MAX, "default list size within the maximum");
_Static_assert(RONDA_SEARCH_TEXT_MAX < RONDA_TEXT_MAX, "a search fits the FTS term builder");
_Static_assert(RONDA_HTTP_URL_MAX < RONDA_HTTP_CONN_MEMORY / 4, "a maximal URL fits a connection's memory");
_Static_assert(RONDA_CLOCK_AHEAD_MAX_MS >= 3600u * 1000u && RONDA_CLOCK_AHEAD_MAX_MS <= 24u * 3600u * 1000u,
               "the clock bound tolerates an hour and refuses a day");
_Static_assert(RONDA_CLOCK_OFFSET_STEP_MS < RONDA_CLOCK_AHEAD_MAX_MS / 100u, "offset steps are fine against the bound");
_Static_assert(RONDA_CLOCK_OFFSET_WRITE_MS < RONDA_CLOCK_OFFSET_STALE_MS, "a running daemon keeps its estimate fresh");
_Static_assert((RONDA_NOTE_SIGS_MAX + 5u) * RONDA_NOTE_LINE_MAX <= RONDA_NOTE_MAX, "a note of every signer fits");
_Static_assert(RONDA_CHECKPOINT_GAP_MS < RONDA_CHECKPOINT_STALE_MS, "catch-up checkpoints keep a ledger fresh");
_Static_assert(RONDA_BATCH_MAX >= 1u && RONDA_BATCH_MAX <= 65536u, "batch size range");

#endif
