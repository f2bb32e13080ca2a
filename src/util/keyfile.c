/* Key files: "<type> <hex>\n", created 0600 with O_EXCL so an existing key is never
 * overwritten, and refused on read when others can read them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define KEYFILE_LINE_MAX 256u /* "<type> " + 128 hex digits + newline, with room */

ronda_err keyfile_write(const char *path, const char *type, const uint8_t *key, size_t len) {
    char line[KEYFILE_LINE_MAX];
    char hex[2 * RONDA_SECRET_BYTES + 1];
    if (len > RONDA_SECRET_BYTES || strlen(type) > 64) return RONDA_ERR_INVALID;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? RONDA_ERR_EXISTS : RONDA_ERR_IO;
    ronda_hex(key, len, hex);
    int n = snprintf(line, sizeof line, "%s %s\n", type, hex);
    ssize_t w = write(fd, line, (size_t)n);
    int ok = w == n && fsync(fd) == 0;
    sodium_memzero(line, sizeof line);
    sodium_memzero(hex, sizeof hex);
    if (close(fd) != 0) ok = 0;
    return ok ? RONDA_OK : RONDA_ERR_IO;
}

ronda_err keyfile_read(const char *path, const char *type, uint8_t *key, size_t len) {
    char line[KEYFILE_LINE_MAX + 1];
    struct stat st;
    ronda_err rc = RONDA_ERR_KEY;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? RONDA_ERR_NOT_FOUND : RONDA_ERR_IO;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) goto out; /* others may read it */
    ssize_t n = read(fd, line, KEYFILE_LINE_MAX);
    if (n <= 0) goto out;
    line[n] = '\0';
    size_t tl = strlen(type);
    if ((size_t)n < tl + 2 || memcmp(line, type, tl) != 0 || line[tl] != ' ') goto out;
    char *hex = line + tl + 1;
    char *nl = strchr(hex, '\n');
    if (nl) *nl = '\0';
    if (ronda_unhex(hex, key, len) == RONDA_OK) rc = RONDA_OK;
out:
    sodium_memzero(line, sizeof line);
    close(fd);
    return rc;
}
