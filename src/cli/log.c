/* Log lines and progress displays (see log.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/log.h"

static int log_level = LOG_INFO_;
static int log_prefix; /* 1: <N> priority prefixes */

static const char *const level_names[8] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};

int log_level_parse(const char *word) {
    for (int i = LOG_ERR_; i <= LOG_DEBUG_; i++)
        if (strcmp(word, level_names[i]) == 0) return i;
    return -1;
}

void log_setup(int level, const char *prefix) {
    log_level = level;
    if (strcmp(prefix, "always") == 0)
        log_prefix = 1;
    else if (strcmp(prefix, "never") == 0)
        log_prefix = 0;
    else
        log_prefix = getenv("JOURNAL_STREAM") != NULL;
}

int log_enabled(int level) { return level <= log_level; }

void log_vwrite(int level, const char *fmt, va_list ap) {
    if (level > log_level) return;
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    /* One event, one line: a newline inside a message (from a peer's text) must not forge a
     * second log line. */
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    if (log_prefix)
        fprintf(stderr, "<%d>%s\n", level & 7, text);
    else
        fprintf(stderr, "ronda[%d] %s: %s\n", (int)getpid(), level_names[level & 7], text);
}

void log_write(int level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void progress_init(progress *p, const char *op, const char *unit, const char *word) {
    memset(p, 0, sizeof *p);
    p->op = op;
    p->unit = unit;
    if (!word || strcmp(word, "auto") == 0)
        p->mode = isatty(STDERR_FILENO) ? PROGRESS_TTY : PROGRESS_NONE;
    else if (strcmp(word, "tty") == 0)
        p->mode = PROGRESS_TTY;
    else if (strcmp(word, "json") == 0)
        p->mode = PROGRESS_JSON;
    else
        p->mode = PROGRESS_NONE;
}

void progress_update(progress *p, uint64_t done, uint64_t total, int final) {
    if (p->mode == PROGRESS_NONE) return;
    uint64_t now = mono_ms();
    if (!final && p->last_ms && now - p->last_ms < PROGRESS_EVERY_MS) return;
    p->last_ms = now;
    if (p->mode == PROGRESS_JSON) {
        fprintf(stderr,
                "{\"event\":\"progress\",\"op\":\"%s\",\"done\":%llu,\"total\":%llu,\"unit\":\"%s\",\"final\":%s}\n",
                p->op, (unsigned long long)done, (unsigned long long)total, p->unit, final ? "true" : "false");
        fflush(stderr);
        return;
    }
    unsigned pct = total ? (unsigned)(done * 100u / total) : 100u;
    fprintf(stderr, "\r%s: %llu / %llu %s (%u%%)\033[K", p->op, (unsigned long long)done, (unsigned long long)total,
            p->unit, pct);
    p->shown = 1;
    if (final) {
        fputc('\n', stderr);
        p->shown = 0;
    }
    fflush(stderr);
}
