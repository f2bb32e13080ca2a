/* RONDA_ASSERT (src/util/assert.h): a broken invariant aborts the process with the expression,
 * file, line and function on stderr, in every build type (NDEBUG is defined below and changes
 * nothing), and a holding one costs nothing visible. Each case runs in a forked child whose
 * stderr is a pipe; the parent checks how the child ended and what it wrote. The canonical
 * writer's own assertions (a container short of its items, nesting deeper than the reader
 * takes) are checked the same way, beside the writes that must not trip them. */
#define NDEBUG 1 /* must not turn RONDA_ASSERT off */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/canon.h"
#include "util/assert.h"

typedef struct outcome {
    int signalled, sig, exited, code;
    char err[2048]; /* what the child wrote on stderr */
} outcome;

/* Run fn in a child with stderr on a pipe. */
static void run_child(void (*fn)(void), outcome *o) {
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 2);
        close(fd[1]);
        fn();
        _exit(0);
    }
    close(fd[1]);
    memset(o, 0, sizeof *o);
    size_t n = 0;
    ssize_t r;
    while (n < sizeof o->err - 1 && (r = read(fd[0], o->err + n, sizeof o->err - 1 - n)) > 0) n += (size_t)r;
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    o->signalled = WIFSIGNALED(status);
    o->sig = o->signalled ? WTERMSIG(status) : 0;
    o->exited = WIFEXITED(status);
    o->code = o->exited ? WEXITSTATUS(status) : -1;
}

static void expect_abort(const outcome *o, const char *text) {
    if (!o->signalled || o->sig != SIGABRT)
        fail_msg("child did not abort (exited %d code %d, signal %d); stderr: %s", o->exited, o->code, o->sig, o->err);
    if (!strstr(o->err, text)) fail_msg("stderr lacks \"%s\": %s", text, o->err);
}

static void expect_clean(const outcome *o) {
    if (!o->exited || o->code != 0 || o->err[0])
        fail_msg("child did not exit cleanly (signal %d, code %d); stderr: %s", o->sig, o->code, o->err);
}

static volatile int two = 2; /* volatile: the compiler may not fold the checks away */

static void child_holds(void) {
    RONDA_ASSERT(two + two == 4);
    RONDA_ASSERT_MSG(two > 1, "two is %d", two);
}

static void child_fails(void) { RONDA_ASSERT(two + two == 5); }
static const int child_fails_line = __LINE__ - 1;

static void child_fails_msg(void) { RONDA_ASSERT_MSG(two * 3 <= 4, "%d items for %d slots", two * 3, 4); }
static const int child_fails_msg_line = __LINE__ - 1;

/* The canonical writer: an array of 2 given one item is not handed out. */
static void child_short_array(void) {
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 2);
    cwr_uint(&w, 1);
    uint8_t *out;
    size_t len;
    if (cwr_take(&w, &out, &len) == RONDA_OK) free(out);
    cwr_destroy(&w);
}

/* Nested one deeper than the reader takes (RONDA_DEPTH_MAX). */
static void child_too_deep(void) {
    cwr w;
    cwr_init(&w);
    for (unsigned i = 0; i <= RONDA_DEPTH_MAX; i++) cwr_array(&w, 1);
    cwr_destroy(&w);
}

/* Complete values, nested exactly RONDA_DEPTH_MAX deep, raw values counted as items, maps
 * counting a key and a value each, empty containers: no assertion, and the reader takes it. */
static void child_writer_ok(void) {
    cwr inner;
    cwr_init(&inner);
    uint8_t rec[3] = {1, 2, 3};
    cwr_bin(&inner, rec, sizeof rec);
    cwr_bin(&inner, rec, 1);
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 3);
    cwr_map(&w, 1);
    cwr_str(&w, "k", 1);
    cwr_array(&w, 0);
    cwr_array(&w, 2);
    cwr_raw(&w, (const uint8_t *)inner.buf.data, inner.buf.size); /* two values: fills the array */
    for (unsigned i = 0; i < RONDA_DEPTH_MAX - 1; i++) cwr_array(&w, 1);
    cwr_nil(&w);
    uint8_t *out = NULL;
    size_t len = 0;
    RONDA_ASSERT(cwr_take(&w, &out, &len) == RONDA_OK);
    crd r = crd_make(out, len);
    RONDA_ASSERT(crd_skip(&r, RONDA_DEPTH_MAX) == RONDA_OK && crd_left(&r) == 0);
    free(out);
    cwr_destroy(&w);
    cwr_destroy(&inner);
}

static void holds_silently(void **state) {
    (void)state;
    outcome o;
    run_child(child_holds, &o);
    expect_clean(&o);
}

static void fails_with_location(void **state) {
    (void)state;
    outcome o;
    run_child(child_fails, &o);
    char want[256];
    snprintf(want, sizeof want, "ronda: assertion failed: two + two == 5 (tests/unit/assert_test.c:%d, child_fails)\n",
             child_fails_line);
    expect_abort(&o, want);
}

static void fails_with_message(void **state) {
    (void)state;
    outcome o;
    run_child(child_fails_msg, &o);
    char want[256];
    snprintf(want, sizeof want,
             "ronda: assertion failed: two * 3 <= 4: 6 items for 4 slots (tests/unit/assert_test.c:%d, "
             "child_fails_msg)\n",
             child_fails_msg_line);
    expect_abort(&o, want);
}

static void writer_short_container(void **state) {
    (void)state;
    outcome o;
    run_child(child_short_array, &o);
    expect_abort(&o, "ronda: assertion failed: cwr_complete(w): a container of the 2 bytes written lacks items "
                     "(src/record/canon.c:");
}

static void writer_too_deep(void **state) {
    (void)state;
    outcome o;
    run_child(child_too_deep, &o);
    char want[256];
    snprintf(want, sizeof want,
             "ronda: assertion failed: w->depth < RONDA_DEPTH_MAX: a container nested %u deep (src/record/canon.c:",
             RONDA_DEPTH_MAX + 1);
    expect_abort(&o, want);
}

static void writer_complete_values(void **state) {
    (void)state;
    outcome o;
    run_child(child_writer_ok, &o);
    expect_clean(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(holds_silently),     cmocka_unit_test(fails_with_location),
        cmocka_unit_test(fails_with_message), cmocka_unit_test(writer_short_container),
        cmocka_unit_test(writer_too_deep),    cmocka_unit_test(writer_complete_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
