/* v1 time strings: strict parsing, normalisation of what users type, and formatting. */
#include <stdio.h>
#include <string.h>

#include "util/util.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, int n, int *v) {
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int time_parse(const char *s, size_t len, int64_t *ms) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int Y, M, D, h, mi, se, oh, om;
    if (len != RONDA_TIME_LEN) return 0;
    if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' || !digits(s + 8, 2, &D) ||
        s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se) || (s[19] != '+' && s[19] != '-') || !digits(s + 20, 2, &oh) || s[22] != ':' ||
        !digits(s + 23, 2, &om))
        return 0;
    if (Y < 1970 || M < 1 || M > 12 || D < 1 || h > 23 || mi > 59 || se > 59 || oh > 14 || om > 59) return 0;
    if (D > mdays[M - 1] + (M == 2 && leap(Y))) return 0;
    if (ms) {
        int64_t off = (int64_t)(oh * 60 + om) * (s[19] == '-' ? -1 : 1);
        int64_t secs = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + se - off * 60;
        *ms = secs * 1000;
    }
    return 1;
}

ronda_err time_normalise(const char *in, const char *default_offset, char *out) {
    char buf[64];
    size_t n = strlen(in);
    if (n < 16 || n > 25) return RONDA_ERR_INVALID;
    memcpy(buf, in, n + 1);
    if (buf[10] == ' ') buf[10] = 'T';
    /* "YYYY-MM-DDTHH:MM" -> add seconds */
    if (n == 16 || (n > 16 && buf[16] != ':')) {
        memmove(buf + 19, buf + 16, n - 16 + 1);
        memcpy(buf + 16, ":00", 3);
        n += 3;
    }
    if (n == 19) {
        if (strlen(default_offset) != 6) return RONDA_ERR_INVALID;
        memcpy(buf + 19, default_offset, 7);
        n = 25;
    } else if (n == 20 && buf[19] == 'Z') {
        memcpy(buf + 19, "+00:00", 7);
        n = 25;
    }
    if (!time_parse(buf, n, NULL)) return RONDA_ERR_INVALID;
    memcpy(out, buf, RONDA_TIME_LEN + 1);
    return RONDA_OK;
}

void time_format(int64_t ms, int offset_min, char *out) {
    int64_t secs = ms / 1000 + (int64_t)offset_min * 60;
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int off = offset_min < 0 ? -offset_min : offset_min;
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", y % 10000, m % 100, d % 100,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), offset_min < 0 ? '-' : '+', off / 60 % 100,
             off % 60);
    memcpy(out, buf, RONDA_TIME_LEN);
    out[RONDA_TIME_LEN] = '\0';
}
