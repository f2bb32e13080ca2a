/* Logging and progress for the ronda command (docs/operations.md, "Logs").
 *
 * Log lines go to stderr, one line per event. Under systemd (stderr is the journal:
 * $JOURNAL_STREAM is set) or with `prefix = always`, each line starts with the syslog
 * priority as `<N>` so the journal files it at that priority; otherwise it reads
 * `ronda[PID] LEVEL: text`. Keys and record ids appear as their first 12 hex digits, always
 * through cli_short(). Secrets are never passed to these functions.
 *
 * Progress of long operations: a status line rewritten in place when stderr is a terminal,
 * or one JSON object per line on stderr (`{"event":"progress",...}`) when asked for JSON;
 * nothing otherwise (a log file gets no carriage returns). */
#ifndef RONDA_CLI_LOG_H
#define RONDA_CLI_LOG_H

#include <stdarg.h>
#include <stdint.h>

#define LOG_ERR_ 3
#define LOG_WARNING_ 4
#define LOG_NOTICE_ 5
#define LOG_INFO_ 6
#define LOG_DEBUG_ 7

/* level: "error" .. "debug" (syslog 3..7); prefix: "auto", "always", "never". -1 on a bad
 * word. */
int log_level_parse(const char *word);
void log_setup(int level, const char *prefix);
int log_enabled(int level);
void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vwrite(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

typedef enum progress_mode { PROGRESS_NONE, PROGRESS_TTY, PROGRESS_JSON } progress_mode;

typedef struct progress {
    const char *op;     /* "catch-up", "import", "backup", "rebuild" */
    const char *unit;   /* "records", "pages" */
    progress_mode mode; /* where it goes */
    uint64_t last_ms;   /* last time shown (rate limit) */
    int shown;          /* a terminal line is on screen */
} progress;

/* word: "auto" (a terminal line when stderr is a terminal), "tty", "json" or "none". */
void progress_init(progress *p, const char *op, const char *unit, const char *word);
/* At most every PROGRESS_EVERY_MS unless `final`. */
void progress_update(progress *p, uint64_t done, uint64_t total, int final);

#define PROGRESS_EVERY_MS 250 /* terminal and JSON progress at most this often */

#endif
