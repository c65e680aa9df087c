/**
 * @file weir.h
 * @brief The umbrella header: every public weir header.
 *
 * Include this, or just the headers you use (smaller rebuilds; avoids
 * pulling in avro.h and protobuf-c.h when you need neither serde).
 *
 * Where to start:
 * - weir/dsl.h: streams, tables, windows, aggregations, joins;
 * - weir/topology.h and weir/processor.h: the processor API underneath;
 * - weir/test_driver.h: run a topology in-process, with no broker;
 * - weir/app.h and weir/conf.h: run it against Kafka.
 *
 * **Two audiences for stores.** A topology's code reads and writes the
 * stores the framework gives it through weir/store.h and
 * weir/window_store.h: data access only (get, put, delete, range, fetch,
 * ...). Whoever owns stores (the framework itself, a benchmark, a
 * program that uses the state stores without Kafka) also needs their
 * lifecycle: creating and opening them, transactions, changelogs,
 * restore, checkpoints. That is weir/statestore.h, and this umbrella
 * leaves it out on purpose, as do weir/processor.h, weir/dsl.h and every
 * other processor-facing header: a processor cannot commit, abort or
 * restore a store the framework owns, because nothing it includes
 * declares how. Owners include weir/statestore.h themselves.
 *
 * **Names.** Functions are `weir_<subject>_<verb>()`. A function that
 * makes an object is `weir_<subject>[_<kind>]_new()` when it makes it
 * from its arguments alone (weir_kv_store_memory_new(),
 * weir_registry_http_new(), weir_serde_csv_new()), and
 * `weir_<subject>[_<kind>]_open()` when it attaches to state that
 * outlives the process and may find it there already: locked, written by
 * another version, corrupt (weir_kv_store_rocksdb_open(),
 * weir_task_dir_open()). However it was made, an object is released
 * with `_destroy()`, which takes NULL and never deletes files.
 * Callbacks of an app are registered on its conf and share the conf's
 * one opaque (weir/conf.h). Every function that returns a weir_error_t *
 * is WEIR_WARN_UNUSED (weir/common.h): handle the error or destroy it,
 * never drop it.
 */
#ifndef WEIR_WEIR_H
#define WEIR_WEIR_H

#include <weir/common.h>
#include <weir/error.h>
#include <weir/log.h>
#include <weir/buf.h>

#include <weir/serde.h>
#include <weir/serde_avro.h>
#include <weir/serde_csv.h>
#include <weir/serde_protobuf.h>
#include <weir/registry.h>

#include <weir/store.h>
#include <weir/window_store.h>
/* Not weir/statestore.h: see "Two audiences for stores" above. */

#include <weir/record.h>
#include <weir/processor.h>
#include <weir/topology.h>
#include <weir/dsl.h>
#include <weir/test_driver.h>

#include <weir/conf.h>
#include <weir/app_state.h>
#include <weir/app.h>
#include <weir/mock.h>

#endif /* WEIR_WEIR_H */
