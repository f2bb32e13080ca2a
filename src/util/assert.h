/* Assertions that run in every build type: RONDA_ASSERT(cond) states an invariant of ronda's
 * own code, and a broken one stops the process at once, naming the expression, file, line
 * and function, before it can write a wrong record, reply or row.
 *
 * An assertion is for a bug, never for bad input. Bytes from a peer, a file, a form or the
 * clock are refused with a ronda_err, counted and logged; a check of them is never an
 * assertion, however impossible the input looks (docs/architecture.md, "Assertions"). What
 * is asserted is what our own code has already established: a bound it enforced, a value it
 * computed, the relation between two of its fields.
 *
 * NDEBUG does not turn these off (the build strips it anyway): an invariant checked only in
 * the builds nobody deploys is checked where it never breaks. Keep each one cheap (values in
 * hand, no I/O); sync_check() is the place for walks over whole structures. */
#ifndef RONDA_UTIL_ASSERT_H
#define RONDA_UTIL_ASSERT_H

/* Writes "ronda: assertion failed: <expr> (<file>:<line>, <func>)" to stderr and aborts. */
_Noreturn void ronda_assert_fail(const char *expr, const char *file, int line, const char *func) __attribute__((cold));
/* The same with a printf-style explanation after the expression: "<expr>: <text> (...)". */
_Noreturn void ronda_assert_failf(const char *expr, const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((cold, format(printf, 5, 6)));

#define RONDA_ASSERT(cond)                                                                                             \
    (__builtin_expect(!!(cond), 1) ? (void)0 : ronda_assert_fail(#cond, __FILE__, __LINE__, __func__))
/* RONDA_ASSERT_MSG(n <= cap, "%zu of %zu", n, cap): the values that broke it, for the report. */
#define RONDA_ASSERT_MSG(cond, ...)                                                                                    \
    (__builtin_expect(!!(cond), 1) ? (void)0 : ronda_assert_failf(#cond, __FILE__, __LINE__, __func__, __VA_ARGS__))

#endif
