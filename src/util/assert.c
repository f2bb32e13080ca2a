/* The failure path of RONDA_ASSERT (util/assert.h): one line on stderr, then abort(), so a
 * core dump (or the sanitizer's report) holds the state that broke the invariant. */
#include "util/assert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* __FILE__ is the path the compiler was given, often absolute: print it from the source
 * tree's own top directory ("src/store/store.c"), which is what a bug report needs. */
static const char *tree_path(const char *file) {
    const char *best = NULL;
    for (const char *p = file; (p = strstr(p, "/src/")) != NULL; p++) best = p + 1;
    if (!best)
        for (const char *p = file; (p = strstr(p, "/tests/")) != NULL; p++) best = p + 1;
    return best ? best : file;
}

/* Under stderr's lock, so the line is not interleaved with another thread's (the signature
 * workers); the location last, whatever the length of the text before it. */
static void begin(const char *expr) {
    flockfile(stderr);
    fprintf(stderr, "ronda: assertion failed: %s", expr);
}

static _Noreturn void end(const char *file, int line, const char *func) {
    fprintf(stderr, " (%s:%d, %s)\n", tree_path(file), line, func);
    fflush(stderr);
    abort();
}

_Noreturn void ronda_assert_fail(const char *expr, const char *file, int line, const char *func) {
    begin(expr);
    end(file, line, func);
}

_Noreturn void ronda_assert_failf(const char *expr, const char *file, int line, const char *func, const char *fmt,
                                  ...) {
    va_list ap;
    begin(expr);
    fputs(": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    end(file, line, func);
}
