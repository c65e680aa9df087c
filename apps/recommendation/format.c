/*
 * format.c: the output value, byte for byte what the seed's Flink SQL
 * job writes to flink.recommended.products:
 *
 *     user-27,"140,13,137,95,39,138","2024-06-28 13:01:55"
 *
 * The user is written bare, as the seed does, unless it holds a comma,
 * a quote or a line break, in which case it is quoted CSV-style so the
 * value stays parseable. The window end is printed in UTC whatever the
 * machine's time zone (gmtime_r), so two instances in different zones
 * agree.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rec_format.h"

bool rec_format_utc(int64_t ms, char *buf, size_t size)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    if ((int64_t)t != secs || !gmtime_r(&t, &tm))
        return false;
    return strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) != 0;
}

/* Appends @p s, doubling quotes when @p quoted. */
static char *append(char *p, const char *s, bool quoted)
{
    for (; *s; s++) {
        if (quoted && *s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    return p;
}

char *rec_format_value(const char *user, const char *const *ids, size_t n,
                       int64_t window_end_ms)
{
    char when[64];
    if (!rec_format_utc(window_end_ms, when, sizeof(when)))
        return NULL;
    bool quote_user = strpbrk(user, ",\"\r\n") != NULL;
    /* Worst case every byte is a quote and doubles. */
    size_t size = 2 * strlen(user) + 2 + 1 + 2 + strlen(when) + 4;
    for (size_t i = 0; i < n; i++)
        size += 2 * strlen(ids[i]) + 1;
    char *out = malloc(size + 1);
    if (!out)
        return NULL;
    char *p = out;
    if (quote_user)
        *p++ = '"';
    p = append(p, user, quote_user);
    if (quote_user)
        *p++ = '"';
    *p++ = ',';
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        p = append(p, ids[i], true);
    }
    *p++ = '"';
    *p++ = ',';
    *p++ = '"';
    p = append(p, when, false);
    *p++ = '"';
    *p = '\0';
    return out;
}
