/*
 * topology.c: the recommendation topology, read top to bottom as the
 * dataflow (the diagram is in rec_topology.h).
 *
 * Why the processor API and not the DSL for the middle: the DSL's
 * callbacks get no processor context, so they cannot read the inventory
 * (a global store) to refuse a click of an unknown product before it
 * counts, and a DSL stream cannot continue from a processor node. So the
 * re-keying, the window and the ranking are processors, and the
 * repartition topics are the framework's (weir_topology_add_repartition,
 * what select_key + group_by_key would make). The window has the DSL's
 * final-results semantics (close at end + grace, emit once) plus a
 * persistent per-user guard against answering a window twice.
 *
 * Serdes: the inputs' keys are ignored (bytes), their values are Avro
 * through the schema registry; the repartition topics carry the user id
 * and the product id as strings; the output is a string key (the user)
 * and a string value (the CSV line); the inventory's rows are bytes
 * (parsed by its processor, so a row that is not UTF-8 is a bad row, not
 * a failed load).
 */
#include <weir/serde_avro.h>

#include "rec_processors.h"
#include "rec_topology.h"

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
    void *opaque = (void *)cfg;

    /* Clicks, re-keyed by user. */
    weir_topology_add_source(topo, "clicks-source", cfg->topic_clicks,
                             weir_serde_bytes(), clicks_serde);
    weir_topology_add_processor(topo, "clicks-rekey", &rec_rekey_ops, opaque,
                                "clicks-source", NULL);
    weir_topology_add_repartition(topo, REC_REPARTITION_CLICKS,
                                  weir_serde_string(), weir_serde_string(),
                                  "clicks-rekey");

    /* Sales, re-keyed by user. */
    weir_topology_add_source(topo, "sales-source", cfg->topic_sales,
                             weir_serde_bytes(), sales_serde);
    weir_topology_add_processor(topo, "sales-rekey", &rec_rekey_ops, opaque,
                                "sales-source", NULL);
    weir_topology_add_repartition(topo, REC_REPARTITION_SALES,
                                  weir_serde_string(), weir_serde_string(),
                                  "sales-rekey");

    /* Per user: purchases, click windows, recommendations. */
    weir_topology_add_processor(topo, "record-purchase", &rec_purchase_ops,
                                opaque,
                                REC_REPARTITION_SALES "-repartition-source",
                                NULL);
    weir_topology_add_kv_store(topo, REC_STORE_PURCHASES, "record-purchase");

    weir_topology_add_processor(topo, "click-window", &rec_click_window_ops,
                                opaque,
                                REC_REPARTITION_CLICKS "-repartition-source",
                                NULL);
    /* Open windows keyed by (start, user); see proc_click_window.c for
     * why this is not a window store. */
    weir_topology_add_kv_store(topo, REC_STORE_WINDOWS, "click-window");

    weir_topology_add_processor(topo, "recommend", &rec_recommend_ops, opaque,
                                "click-window", NULL);
    weir_topology_connect_store(topo, REC_STORE_PURCHASES, "recommend");
    weir_topology_add_kv_store(topo, REC_STORE_RECENT, "recommend");
    weir_topology_connect_store(topo, REC_STORE_RECENT, "click-window");

    weir_topology_add_sink(topo, "recommendations-sink",
                           cfg->topic_recommendations, weir_serde_string(),
                           weir_serde_string(), "recommend", NULL);

    /* The inventory, on every instance. */
    weir_topology_add_global_store(topo, REC_STORE_INVENTORY,
                                   "inventory-source", cfg->inventory_topic,
                                   weir_serde_bytes(), weir_serde_bytes(),
                                   "inventory-loader",
                                   &rec_inventory_loader_ops, opaque);
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
