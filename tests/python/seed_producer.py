#!/usr/bin/env python3
"""Produce the recommendation tutorial's traffic from Python.

An independent client for weir's wire-compatibility test: it shares no
code with weir (kafka-python for Kafka, the Apache Avro library for the
encoding, urllib for the Confluent-compatible registry API) and produces
what the tutorial's own generator produces: ClickStream and Sales records
in Avro with the Confluent framing (magic byte 0, 4-byte big-endian schema
id, Avro binary), the schemas registered under "<topic>-value", record keys
that are timestamp strings, users user-0..user-99 and products 0..199.

It also writes a ground-truth file in weir-datagen's format (one
tab-separated line per record, in produce order) so that the test can
compute the expected recommendations independently of Kafka.
"""

import argparse
import io
import json
import random
import struct
import sys
import urllib.request

import avro.io
import avro.schema
from kafka import KafkaProducer


def register(registry, subject, schema_text):
    """Registers schema_text under subject; returns its id."""
    body = json.dumps({"schema": schema_text}).encode()
    req = urllib.request.Request(
        f"{registry}/subjects/{subject}/versions",
        data=body,
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["id"]


def framed(schema, schema_id, datum):
    """The Confluent wire format of datum."""
    buf = io.BytesIO()
    buf.write(b"\x00")
    buf.write(struct.pack(">I", schema_id))
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--registry", required=True,
                    help="base URL with the API path, e.g. "
                         "http://127.0.0.1:8080/apis/ccompat/v7")
    ap.add_argument("--clicks-topic", required=True)
    ap.add_argument("--sales-topic", required=True)
    ap.add_argument("--schemas", required=True,
                    help="folder with clickStream.avsc and sales.avsc")
    ap.add_argument("--ground-truth", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start-ms", type=int, required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--clicks-per-sec", type=int, default=5)
    ap.add_argument("--sales-per-sec", type=int, default=20)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    texts = {}
    for name in ("clickStream", "sales"):
        with open(f"{args.schemas}/{name}.avsc") as f:
            texts[name] = f.read()
    click_schema = avro.schema.parse(texts["clickStream"])
    sale_schema = avro.schema.parse(texts["sales"])
    click_id = register(args.registry, f"{args.clicks_topic}-value",
                        texts["clickStream"])
    sale_id = register(args.registry, f"{args.sales_topic}-value",
                       texts["sales"])

    producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all",
                             linger_ms=5)
    gt = open(args.ground_truth, "w")
    produced = 0
    for second in range(args.seconds):
        base = args.start_ms + second * 1000
        events = [("click", base + i * 1000 // args.clicks_per_sec)
                  for i in range(args.clicks_per_sec)]
        events += [("sale", base + i * 1000 // args.sales_per_sec)
                   for i in range(args.sales_per_sec)]
        events.sort(key=lambda e: e[1])
        for kind, ts in events:
            user = f"user-{rng.randrange(100)}"
            product = str(rng.randrange(200))
            key = str(ts)
            if kind == "click":
                value = framed(click_schema, click_id,
                               {"user_id": user, "product_id": product})
                topic = args.clicks_topic
                line = [topic, str(ts), key, user, product]
            else:
                invoice = f"inv-{rng.randrange(10**9)}"
                quantity = str(rng.randrange(1, 6))
                cost = f"{rng.randrange(100, 100000) / 100:.2f}"
                value = framed(sale_schema, sale_id, {
                    "user_id": user, "product_id": product,
                    "invoice_id": invoice, "quantity": quantity,
                    "unit_cost": cost})
                topic = args.sales_topic
                line = [topic, str(ts), key, user, product, invoice,
                        quantity, cost]
            producer.send(topic, key=key.encode(), value=value,
                          timestamp_ms=ts)
            gt.write("\t".join(line) + "\n")
            produced += 1
    producer.flush(60)
    producer.close()
    gt.close()
    print(f"seed_producer: {produced} records", file=sys.stderr)


if __name__ == "__main__":
    main()
