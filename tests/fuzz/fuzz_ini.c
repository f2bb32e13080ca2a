/* libFuzzer harness: the INI reader (src/cli/config.c over inih): the node's configuration
 * file, as `ronda config check` and `ronda run --config` read it.
 *
 * The input is written to a file (config_load reads a path, checks it is a regular file of
 * at most RONDA_CONFIG_FILE_MAX bytes, and counts lines itself) and loaded quietly; the
 * effective configuration is then shown. Oracles: no crash or sanitizer report; a file
 * that loads without problems shows every value it set exactly as given, and shown again
 * (the output of `config show` is itself a configuration file) loads without problems to
 * the same values. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *path, const void *b, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (len && write(fd, b, len) != (ssize_t)len)) fz_fail("cannot write %s", path);
    close(fd);
}

static int same_values(const config *a, const config *b) {
    for (int i = 0; i < CFG__COUNT; i++) {
        const char *const *va, *const *vb;
        size_t na = config_list(a, (cfg_id)i, &va), nb = config_list(b, (cfg_id)i, &vb);
        if (na != nb) return 0;
        for (size_t j = 0; j < na; j++)
            if (strcmp(va[j], vb[j]) != 0) return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[300], shown[300];
    static config c, again;
    if (!path[0]) {
        fz_init();
        snprintf(path, sizeof path, "%s/fuzz.ini", fz_dir());
        snprintf(shown, sizeof shown, "%s/shown.ini", fz_dir());
        /* The environment is a layer of its own: none of it may leak into these files. */
        static const char *const env[] = {"RONDA_CONFIG", "RONDA_DIR",       "RONDA_LISTEN",           "RONDA_PEERS",
                                          "RONDA_FANOUT", "RONDA_LOG_LEVEL", "RONDA_LOG_PREFIX",       "RONDA_PROGRESS",
                                          "RONDA_HTTP",   "RONDA_HTTP_ZONE", "RONDA_CHECKPOINT_EVERY", NULL};
        for (size_t i = 0; env[i]; i++) unsetenv(env[i]);
    }
    write_file(path, data, size);
    opt opts[CONFIG_OPTS_MAX];
    (void)config_opts(&c, opts, CONFIG_OPTS_MAX); /* zeroes c, as every verb does */
    int rc = config_load(&c, path, 1);
    if (rc == EXIT_OK && c.errors) fz_fail("config_load says OK with %u problems", c.errors);
    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    if (!f) fz_fail("open_memstream");
    config_show(&c, f);
    fclose(f);
    if (rc == EXIT_OK) {
        write_file(shown, out, out_len);
        (void)config_opts(&again, opts, CONFIG_OPTS_MAX);
        if (config_load(&again, shown, 1) != EXIT_OK)
            fz_fail("the shown configuration does not load (%u problems):\n%s", again.errors, out);
        if (!same_values(&c, &again)) fz_fail("the shown configuration loads to other values:\n%s", out);
        config_free(&again);
    }
    free(out);
    config_free(&c);
    return 0;
}
