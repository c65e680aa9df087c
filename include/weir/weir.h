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
#include <weir/app.h>
#include <weir/mock.h>

#endif /* WEIR_WEIR_H */
