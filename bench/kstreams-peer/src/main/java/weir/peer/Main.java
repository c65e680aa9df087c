package weir.peer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.LogAndSkipOnInvalidTimestamp;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams peer of weir's recommendation app (README.md beside
 * the pom). Runs until SIGTERM/SIGINT (a clean close) or --duration-s.
 */
public final class Main {
    static final String USAGE = String.join("\n",
            "Usage: run.sh --bootstrap HOST:PORT --registry URL --application-id ID --threads N",
            "              [--clicks-topic T] [--sales-topic T] [--output-topic T]",
            "              [--inventory FILE] [--state-dir DIR] [--commit-interval-ms MS]",
            "              [--idle-timeout-ms MS] [--duration-s S] [--progress-interval-s S]",
            "              [--describe]",
            "",
            "The Kafka Streams peer of weir-recommend: the same topology and the same",
            "output, record for record, under exactly_once_v2.",
            "",
            "  --bootstrap HOST:PORT      Kafka bootstrap servers (required)",
            "  --registry URL             Confluent-compatible registry API, e.g.",
            "                             http://host:port/apis/ccompat/v7 (required)",
            "  --application-id ID        application.id (required)",
            "  --threads N                num.stream.threads (required)",
            "  --clicks-topic T           default flink.click.streams",
            "  --sales-topic T            default flink.sales.records",
            "  --output-topic T           default flink.recommended.products (must exist)",
            "  --inventory FILE           default apps/recommendation/data/productInventory.csv",
            "  --state-dir DIR            state.dir (default: Kafka Streams', <tmp>/kafka-streams)",
            "  --commit-interval-ms MS    default 100 (weir's and Kafka Streams' default under EOS)",
            "  --idle-timeout-ms MS       weir's idle.timeout.ms: a caught-up input partition",
            "                             without records this long stops holding back event",
            "                             time after the repartition (default 30000; -1 never)",
            "  --duration-s S             close after S seconds (default: until SIGTERM)",
            "  --progress-interval-s S    progress line on stderr every S s (default 5; 0 none)",
            "  --event-time MODE          watermarks (default): weir's event time across the",
            "                             repartition; task: Kafka Streams' own stream time",
            "                             (each task's largest timestamp seen), wrong during a",
            "                             catch-up: only for showing why (check.sh --peer-args)",
            "  --describe                 print the topology and exit");

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new java.util.HashMap<>();
        boolean describe = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(USAGE);
                return;
            }
            if (a.equals("--describe")) {
                describe = true;
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length || !KNOWN.contains(a)) {
                System.err.println("run.sh: bad argument '" + a + "'\n" + USAGE);
                System.exit(2);
            }
            o.put(a.substring(2), args[++i]);
        }
        for (String req : List.of("bootstrap", "registry", "application-id", "threads"))
            if (!o.containsKey(req) && !describe) {
                System.err.println("run.sh: --" + req + " is required\n" + USAGE);
                System.exit(2);
            }
        String clicks = o.getOrDefault("clicks-topic", "flink.click.streams");
        String sales = o.getOrDefault("sales-topic", "flink.sales.records");
        String output = o.getOrDefault("output-topic", "flink.recommended.products");
        String appId = o.get("application-id");
        long commitMs = Long.parseLong(o.getOrDefault("commit-interval-ms", "100"));
        long idleMs = Long.parseLong(o.getOrDefault("idle-timeout-ms", "30000"));
        long progressS = Long.parseLong(o.getOrDefault("progress-interval-s", "5"));
        Path invPath = Path.of(o.getOrDefault("inventory", "apps/recommendation/data/productInventory.csv"));
        if (!Files.isReadable(invPath)) {
            System.err.println("run.sh: inventory file " + invPath + " is not readable");
            System.exit(2);
        }
        Inventory inv = Inventory.load(invPath);
        System.err.printf("inventory %s: %d products, %d bad rows skipped%n", invPath, inv.size(), inv.badRows());

        Recommend.Config rc = new Recommend.Config();
        rc.clicksTopic = appId + "-clicks-by-user-repartition";
        rc.salesTopic = appId + "-sales-by-user-repartition";
        String eventTime = o.getOrDefault("event-time", "watermarks");
        if (!eventTime.equals("watermarks") && !eventTime.equals("task")) {
            System.err.println("run.sh: --event-time is watermarks or task");
            System.exit(2);
        }
        rc.taskTime = eventTime.equals("task");
        if (describe) {
            rc.clickTasks = rc.salesTasks = 1;
        } else {
            int[] parts;
            try {
                parts = partitions(o.get("bootstrap"), clicks, sales);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                System.err.println("run.sh: cannot describe the input topics " + clicks + " and " + sales + " at "
                        + o.get("bootstrap") + ": " + (e.getCause() != null ? e.getCause() : e));
                System.exit(2);
                return;
            }
            rc.clickTasks = parts[0];
            rc.salesTasks = parts[1];
        }
        Topology topo = topology(clicks, sales, output,
                new ConfluentAvroDeserializer(o.getOrDefault("registry", "http://unused")), inv, rc, commitMs, idleMs);
        if (describe) {
            System.out.println(topo.describe());
            return;
        }

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.get("bootstrap"));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(o.get("threads")));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Kafka Streams' own default under exactly_once_v2 is 100 ms too;
        // weir's is 100 (CONFIGURATION.md commit.interval.ms).
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
        if (o.containsKey("state-dir"))
            p.put(StreamsConfig.STATE_DIR_CONFIG, o.get("state-dir"));
        // Semantics, not tuning: a record that does not decode is skipped
        // (weir dead-letters it), one with a negative timestamp too (weir
        // drops it as "invalid-timestamp").
        p.put(StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, SkipUndecodable.class);
        p.put(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, LogAndSkipOnInvalidTimestamp.class);
        // weir's consumers start at the earliest offset; Kafka Streams'
        // default is "earliest" too. Everything else is Kafka Streams'
        // default: one RocksDB instance per store and task with its
        // default options, the 10 MB record cache
        // (statestore.cache.max.bytes), the producer's and consumer's
        // Streams defaults (linger.ms=100 etc.), replication.factor -1
        // (the broker's default), no standby replicas. The settings Kafka
        // Streams' documentation recommends are for resiliency
        // (replication, acks), which a single broker makes moot, not for
        // throughput.

        System.err.printf("Kafka Streams %s, application.id %s, %s thread(s), exactly_once_v2, commit every %d ms,"
                + " idle timeout %d ms; inputs %s (%d partitions), %s (%d partitions)%n",
                org.apache.kafka.common.utils.AppInfoParser.getVersion(), appId, o.get("threads"), commitMs, idleMs,
                clicks, rc.clickTasks, sales, rc.salesTasks);
        KafkaStreams streams = new KafkaStreams(topo, p, new LagAwareClientSupplier());
        CountDownLatch done = new CountDownLatch(1);
        long t0 = System.nanoTime();
        streams.setStateListener((now, before) -> {
            System.err.printf("[%7.1fs] state %s -> %s%n", (System.nanoTime() - t0) / 1e9, before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING)
                done.countDown();
        });
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("stream thread failed: " + e);
            e.printStackTrace();
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable close = () -> {
            if (!closed.compareAndSet(false, true))
                return;
            streams.close(Duration.ofSeconds(60));
            System.err.printf("[%7.1fs] closed | %s%n", (System.nanoTime() - t0) / 1e9, Stats.line());
        };
        // SIGTERM/SIGINT: a clean close (the JVM then exits with 143/130).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close.run();
            done.countDown();
        }, "peer-close"));
        streams.start();
        Thread progress = null;
        if (progressS > 0) {
            progress = new Thread(() -> {
                try {
                    while (true) {
                        Thread.sleep(progressS * 1000);
                        System.err.printf("[%7.1fs] %s | %s%n", (System.nanoTime() - t0) / 1e9, streams.state(),
                                Stats.line());
                    }
                } catch (InterruptedException e) {
                    // stop
                }
            }, "peer-progress");
            progress.setDaemon(true);
            progress.start();
        }
        long duration = Long.parseLong(o.getOrDefault("duration-s", "0"));
        if (duration > 0)
            done.await(duration, TimeUnit.SECONDS);
        else
            done.await();
        if (progress != null)
            progress.interrupt();
        boolean failed = streams.state() == KafkaStreams.State.ERROR;
        close.run(); // --duration-s elapsed, or the client stopped by itself
        System.exit(failed ? 1 : 0);
    }

    private static final List<String> KNOWN = List.of("--bootstrap", "--registry", "--application-id", "--threads",
            "--clicks-topic", "--sales-topic", "--output-topic", "--inventory", "--state-dir",
            "--commit-interval-ms", "--idle-timeout-ms", "--duration-s", "--progress-interval-s", "--event-time");

    /** Partitions of the two input topics: the upstream task counts. */
    static int[] partitions(String bootstrap, String clicks, String sales) throws Exception {
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(ap)) {
            Map<String, TopicDescription> d = admin.describeTopics(List.of(clicks, sales)).allTopicNames()
                    .get(60, TimeUnit.SECONDS);
            return new int[] {d.get(clicks).partitions().size(), d.get(sales).partitions().size()};
        }
    }

    /**
     * The topology, in the shape of weir's (topology.c): both inputs
     * keyed by user through repartition topics named as weir names them,
     * then one processor per user task.
     */
    static Topology topology(String clicks, String sales, String output,
            org.apache.kafka.common.serialization.Deserializer<GenericRecord> avro, Inventory inv,
            Recommend.Config rc, long markerIntervalMs, long idleTimeoutMs) {
        StreamsBuilder b = new StreamsBuilder();
        var avroSerde = Serdes.serdeFrom(new org.apache.kafka.common.serialization.Serializer<GenericRecord>() {
            @Override
            public byte[] serialize(String topic, GenericRecord data) {
                throw new UnsupportedOperationException("the peer never writes Avro");
            }
        }, avro);
        MarkerPartitioner mp = new MarkerPartitioner();

        KStream<String, String> clicksByUser = b
                .stream(clicks, Consumed.with(Serdes.ByteArray(), avroSerde).withName("clicks-source"))
                .process(() -> new ByUser(Watermarks.CLICKS, clicks, inv, markerIntervalMs, idleTimeoutMs),
                        Named.as("clicks-key-by-user"))
                .repartition(Repartitioned.<String, String>as("clicks-by-user").withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.String()).withStreamPartitioner(mp));
        KStream<String, String> salesByUser = b
                .stream(sales, Consumed.with(Serdes.ByteArray(), avroSerde).withName("sales-source"))
                .process(() -> new ByUser(Watermarks.SALES, sales, inv, markerIntervalMs, idleTimeoutMs),
                        Named.as("sales-key-by-user"))
                .repartition(Repartitioned.<String, String>as("sales-by-user").withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.String()).withStreamPartitioner(mp));

        // Kafka Streams' defaults for stores: RocksDB, changelogged
        // (compacted, as Kafka Streams creates them), cached as the DSL
        // caches its aggregation stores by default.
        for (String s : List.of(Recommend.STORE_WINDOWS, Recommend.STORE_PURCHASES, Recommend.STORE_RECENT))
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(s), Serdes.Bytes(),
                    Serdes.ByteArray()).withCachingEnabled());

        clicksByUser.merge(salesByUser, Named.as("by-user"))
                .process(() -> new Recommend(rc, inv), Named.as("recommend"), Recommend.STORE_WINDOWS,
                        Recommend.STORE_PURCHASES, Recommend.STORE_RECENT)
                .to(output, Produced.with(Serdes.String(), Serdes.String()).withName("recommendations-sink"));
        return b.build();
    }
}
