/* Hex encoding of ids and keys: lower case out, either case in, exact length only. */
#include <string.h>

#include "ronda/ronda.h"

void ronda_hex(const uint8_t *bytes, size_t len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

static int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

ronda_err ronda_unhex(const char *hex, uint8_t *out, size_t len) {
    if (hex == NULL || strlen(hex) != 2 * len) return RONDA_ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return RONDA_ERR_INVALID;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return RONDA_OK;
}
