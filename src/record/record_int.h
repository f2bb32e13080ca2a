/* Records, internal: what only the store may do. */
#ifndef RONDA_RECORD_INT_H
#define RONDA_RECORD_INT_H

#include "ronda/ronda.h"

/* ronda_record_open without the signature check, for a record ronda_record_seal has just
 * signed in this process (libsodium's signing is not re-checked; every other check runs). */
ronda_err record_open_sealed(const uint8_t *bytes, size_t len, ronda_record *out, ronda_detail *d);

#endif
