/*
 * watermark.c: watermark markers and the per-task tracker (see
 * watermark_int.h for the design and the wire format).
 *
 * The tracker is a small array per upstream sub-topology, indexed by the
 * upstream task's partition: progress is recomputed by a scan, which is
 * cheap for the task counts Kafka topologies have (tens to hundreds) and
 * is only done after markers arrive.
 */
#include <string.h>

#include "alloc_int.h"
#include "watermark_int.h"

void weir__wm_encode(const weir__wm_t *wm, unsigned char out[WEIR__WM_SIZE])
{
    out[0] = 1;
    out[1] = wm->idle ? 1 : 0;
    uint32_t sub = (uint32_t)wm->sub, part = (uint32_t)wm->partition;
    uint64_t t = (uint64_t)wm->time;
    for (int i = 0; i < 4; i++) {
        out[2 + i] = (unsigned char)(sub >> (24 - 8 * i));
        out[6 + i] = (unsigned char)(part >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        out[10 + i] = (unsigned char)(t >> (56 - 8 * i));
}

weir_error_t *weir__wm_decode(const void *data, size_t len, weir__wm_t *wm)
{
    const unsigned char *p = data;
    if (!p || len != WEIR__WM_SIZE || p[0] != 1)
        return weir_error_new(WEIR_ERR_SERDE,
                              "not a version-1 watermark marker (%zu bytes)",
                              len);
    uint32_t sub = 0, part = 0;
    uint64_t t = 0;
    for (int i = 0; i < 4; i++) {
        sub = sub << 8 | p[2 + i];
        part = part << 8 | p[6 + i];
    }
    for (int i = 0; i < 8; i++)
        t = t << 8 | p[10 + i];
    wm->idle = p[1] & 1;
    wm->sub = (int32_t)sub;
    wm->partition = (int32_t)part;
    wm->time = (int64_t)t;
    return NULL;
}

typedef struct upstream_s {
    int32_t sub;
    int32_t task_cnt;
    int64_t *time; /* per partition; INT64_MIN: no marker yet */
    bool *idle;
} upstream_t;

struct weir__wm_tracker_s {
    upstream_t *ups;
    size_t cnt;
};

weir__wm_tracker_t *weir__wm_tracker_new(void)
{
    return weir__calloc(1, sizeof(weir__wm_tracker_t));
}

void weir__wm_tracker_destroy(weir__wm_tracker_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cnt; i++) {
        weir__free(t->ups[i].time);
        weir__free(t->ups[i].idle);
    }
    weir__free(t->ups);
    weir__free(t);
}

weir_error_t *weir__wm_tracker_add_upstream(weir__wm_tracker_t *t, int32_t sub,
                                            int32_t task_cnt)
{
    if (task_cnt <= 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "upstream sub-topology %d has %d tasks", sub,
                              task_cnt);
    for (size_t i = 0; i < t->cnt; i++)
        if (t->ups[i].sub == sub)
            return NULL; /* declared through another repartition topic */
    upstream_t *ups = weir__realloc(t->ups, (t->cnt + 1) * sizeof(*ups));
    if (!ups)
        return weir_error_new(WEIR_ERR_NOMEM, "watermark tracker");
    t->ups = ups;
    upstream_t *u = &t->ups[t->cnt];
    u->sub = sub;
    u->task_cnt = task_cnt;
    u->time = weir__malloc((size_t)task_cnt * sizeof(*u->time));
    u->idle = weir__calloc((size_t)task_cnt, sizeof(*u->idle));
    if (!u->time || !u->idle) {
        weir__free(u->time);
        weir__free(u->idle);
        return weir_error_new(WEIR_ERR_NOMEM, "watermark tracker");
    }
    for (int32_t p = 0; p < task_cnt; p++)
        u->time[p] = INT64_MIN;
    t->cnt++;
    return NULL;
}

bool weir__wm_tracker_update(weir__wm_tracker_t *t, const weir__wm_t *wm)
{
    for (size_t i = 0; i < t->cnt; i++) {
        upstream_t *u = &t->ups[i];
        if (u->sub != wm->sub)
            continue;
        if (wm->partition < 0 || wm->partition >= u->task_cnt)
            return false;
        if (wm->time > u->time[wm->partition])
            u->time[wm->partition] = wm->time;
        u->idle[wm->partition] = wm->idle;
        return true;
    }
    return false;
}

int64_t weir__wm_tracker_progress(const weir__wm_tracker_t *t)
{
    int64_t min_active = INT64_MAX, max_all = INT64_MIN;
    bool any_active = false;
    for (size_t i = 0; i < t->cnt; i++) {
        const upstream_t *u = &t->ups[i];
        for (int32_t p = 0; p < u->task_cnt; p++) {
            if (u->time[p] > max_all)
                max_all = u->time[p];
            if (u->idle[p])
                continue;
            any_active = true;
            if (u->time[p] < min_active)
                min_active = u->time[p];
        }
    }
    if (!t->cnt)
        return INT64_MIN;
    return any_active ? min_active : max_all;
}

bool weir__wm_tracker_all_idle(const weir__wm_tracker_t *t)
{
    for (size_t i = 0; i < t->cnt; i++)
        for (int32_t p = 0; p < t->ups[i].task_cnt; p++)
            if (!t->ups[i].idle[p])
                return false;
    return t->cnt > 0;
}
