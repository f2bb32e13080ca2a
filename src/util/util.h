/* Small helpers shared by every layer: hex, key files, time strings. No state. */
#ifndef RONDA_UTIL_H
#define RONDA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/ronda.h"

/* v1 time strings are exactly "YYYY-MM-DDTHH:MM:SS+HH:MM" (or -HH:MM): local time with its
 * offset, so a reader knows both the hour at the venue and the instant. */
#define RONDA_TIME_LEN 25u

/* Whether `s` (len bytes) is a valid v1 time; if so and ms != NULL, its UTC instant. */
int time_parse(const char *s, size_t len, int64_t *ms);

/* Normalise a user's time ("2026-01-25T09:00", "2026-01-25 09:00:00+07:00", ...) into v1
 * form in out[RONDA_TIME_LEN+1], using `default_offset` ("+07:00") when none is given. */
ronda_err time_normalise(const char *in, const char *default_offset, char *out);

/* Format a UTC instant in ms as v1 time at the given offset in minutes. */
void time_format(int64_t ms, int offset_min, char *out);

/* Key files: one line "<type> <hex>\n", mode 0600. Reading refuses a group- or
 * world-readable file. The buffer is wiped by the caller with sodium_memzero. */
ronda_err keyfile_write(const char *path, const char *type, const uint8_t *key, size_t len);
ronda_err keyfile_read(const char *path, const char *type, uint8_t *key, size_t len);

#endif
