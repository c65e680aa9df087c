/*
 * topology.c: the recommendation topology, read top to bottom as the
 * dataflow (the diagram is in rec_topology.h), in the DSL.
 *
 * Clicks and sales are keyed by user (select_key, which also refuses bad
 * records by reading the inventory, a global store, through the
 * callback's context) and reduced to the product id (map_values), then
 * repartitioned under names of their own, so that one task holds a
 * user's windows, purchases and history. Clicks then pass the
 * persistent "already answered" guard and go into the DSL's tumbling
 * window (recommend.window.ms, recommend.grace.ms), whose aggregate is
 * the latest click and which emits each window once, when it closes.
 * Processors remain where they are the clearer tool, inside the chain
 * (weir_kstream_process()): recording purchases, and the ranking, which
 * reads three stores and writes the history.
 *
 * The repartitions are explicit (weir_kstream_repartition()) rather than
 * left to the window, which would name its topic after its store: the
 * guard must run after the repartition, in the user's task, and the
 * internal topics keep the names "clicks-by-user" and "sales-by-user".
 *
 * Serdes: the inputs' keys are ignored (bytes), their values are Avro
 * through the schema registry; the repartition topics carry the user id
 * and the product id as strings; the window store holds rec_click_t
 * (rec_serde_click); the output is a string key (the user) and a string
 * value (the CSV line); the inventory's rows are bytes (parsed by its
 * processor, so a row that is not UTF-8 is a bad row, not a failed
 * load).
 */
#include <weir/dsl.h>
#include <weir/serde_avro.h>

#include "rec_steps.h"
#include "rec_topology.h"

/* Keys @p s by user, keeps the product id, and repartitions it through
 * "<name>-repartition". */
static weir_kstream_t *by_user(weir_kstream_t *s, void *ctx, const char *name)
{
    s = weir_kstream_select_key(s, rec_user_of, ctx, weir_serde_string());
    s = weir_kstream_map_values(s, rec_product_of, ctx, weir_serde_string());
    return weir_kstream_repartition(s, name);
}

weir_topology_t *rec_topology_new(const rec_config_t *cfg,
                                  weir_registry_t *reg, weir_error_t **errp)
{
    *errp = rec_config_validate(cfg);
    if (*errp)
        return NULL;
    weir_serde_t *clicks_serde = weir_serde_avro_new(
        reg, rec_schema_clickstream, 0, errp);
    if (!clicks_serde)
        return NULL;
    weir_serde_t *sales_serde = weir_serde_avro_new(reg, rec_schema_sales, 0,
                                                    errp);
    if (!sales_serde) {
        weir_serde_destroy(clicks_serde);
        return NULL;
    }
    weir_topology_t *topo = weir_topology_new();
    if (!topo) {
        weir_serde_destroy(clicks_serde);
        weir_serde_destroy(sales_serde);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    void *ctx = (void *)cfg;

    /* Clicks and sales, keyed by user, to one task per user. */
    weir_kstream_t *clicks = by_user(
        weir_stream(topo, cfg->topic_clicks, weir_serde_bytes(), clicks_serde),
        ctx, REC_REPARTITION_CLICKS);
    weir_kstream_t *sales = by_user(
        weir_stream(topo, cfg->topic_sales, weir_serde_bytes(), sales_serde),
        ctx, REC_REPARTITION_SALES);

    /* Per user: the earliest time each product was bought. */
    weir_topology_add_kv_store(topo, REC_STORE_PURCHASES, NULL);
    weir_kstream_process(sales, "record-purchase", &rec_purchase_ops, ctx,
                         NULL, NULL, REC_STORE_PURCHASES, NULL);

    /* Per user: clicks for windows not answered yet (the history says)... */
    weir_topology_add_kv_store(topo, REC_STORE_RECENT, NULL);
    clicks = weir_kstream_flat_map_values(clicks, rec_unanswered_click, ctx,
                                          NULL);
    weir_topology_connect_store(topo, REC_STORE_RECENT,
                                weir_kstream_name(clicks));

    /* ... the latest of each window, once the window has closed ... */
    weir_kstream_t *closed = weir_kwindowed_aggregate(
        weir_kgrouped_windowed_by(
            weir_kstream_group_by_key(clicks),
            weir_tumbling_windows(cfg->window_ms, cfg->grace_ms)),
        rec_no_click, rec_latest_click, ctx, rec_serde_click(),
        REC_STORE_WINDOWS);

    /* ... answered with a recommendation. */
    weir_kstream_t *recs = weir_kstream_process(
        closed, "recommend", &rec_recommend_ops, ctx, weir_serde_string(),
        weir_serde_string(), REC_STORE_PURCHASES, REC_STORE_RECENT, NULL);
    weir_kstream_to(recs, cfg->topic_recommendations, NULL, NULL);

    /* The inventory, on every instance. */
    weir_topology_add_global_store(
        topo, REC_STORE_INVENTORY, "inventory-source", cfg->inventory_topic,
        weir_serde_bytes(), weir_serde_bytes(), "inventory-loader",
        &rec_inventory_loader_ops, ctx);
    if (cfg->inventory_file)
        weir_topology_global_store_set_file(topo, REC_STORE_INVENTORY,
                                            cfg->inventory_file);

    *errp = weir_topology_build(topo);
    if (*errp) {
        weir_topology_destroy(topo);
        return NULL;
    }
    return topo;
}
