/*
 * engine.c: lookups in the engine's plan, and its deadline (see
 * engine_int.h).
 */
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "engine_int.h"

int weir__engine_topic_index(const weir__engine_t *eng, const char *name)
{
    for (size_t i = 0; name && i < eng->topic_cnt; i++)
        if (!strcmp(eng->topics[i].name, name))
            return (int)i;
    return -1;
}

const weir__plan_topic_t *weir__engine_topic(const weir__engine_t *eng,
                                             const char *name)
{
    int i = weir__engine_topic_index(eng, name);
    return i >= 0 ? &eng->topics[i] : NULL;
}

int64_t weir__engine_deadline(const weir__engine_t *eng)
{
    int64_t t = eng->wait_timeout_ms;
    return weir__mono_ms() + (t < 0 ? INT64_MAX / 2 : t);
}

char *weir__engine_changelog_topic(const weir__engine_t *eng,
                                   const char *store)
{
    size_t len = strlen(eng->app_id) + strlen(store) + 12;
    char *s = weir__malloc(len);
    if (s)
        snprintf(s, len, "%s-%s-changelog", eng->app_id, store);
    return s;
}

bool weir__engine_store_has_changelog(const weir__engine_t *eng,
                                      const weir__store_spec_t *st)
{
    return st->changelog && !st->global && st->subtopology >= 0 &&
           (size_t)st->subtopology < eng->sub_cnt;
}

void weir__engine_store_log(void *opaque, int level, const char *fac,
                            const char *msg)
{
    const weir__engine_t *eng = opaque;
    weir__log(&eng->log, level, fac, "%s", msg);
}
