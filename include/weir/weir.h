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
#include <weir/statestore.h>

#include <weir/record.h>
#include <weir/processor.h>
#include <weir/topology.h>
#include <weir/dsl.h>
#include <weir/test_driver.h>

#include <weir/conf.h>
#include <weir/app.h>
#include <weir/mock.h>

#endif /* WEIR_WEIR_H */
