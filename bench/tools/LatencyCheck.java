/*
 * LatencyCheck.java: the latency probe of weir-bench-latency, with the
 * Java client (kafka-clients) instead of librdkafka, to check that the C
 * probe does not add a lag of its own (issue 12 saw a librdkafka
 * read_committed consumer see quiet partitions seconds late).
 * bench/suite.sh --latency-cross-check runs both on the same output
 * topic and compares them window by window.
 *
 *   java -cp '<kafka libs>/*' bench/tools/LatencyCheck.java \
 *        BOOTSTRAP TOPIC GRACE_MS RAW_FILE
 *
 * Reads every partition of TOPIC read_committed from the beginning until
 * SIGTERM and writes one "window_end_ms<TAB>latency_ms" line per record
 * to RAW_FILE: arrival wall time minus (record timestamp + grace).
 */
import java.io.FileWriter;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class LatencyCheck {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: LatencyCheck BOOTSTRAP TOPIC GRACE_MS RAW_FILE");
            System.exit(2);
        }
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        String topic = args[1];
        long grace = Long.parseLong(args[2]);
        AtomicBoolean stop = new AtomicBoolean(false);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.set(true);
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try (PrintWriter out = new PrintWriter(new FileWriter(args[3]));
             KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            c.partitionsFor(topic).forEach(
                pi -> tps.add(new TopicPartition(topic, pi.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    out.println(r.timestamp() + "\t" + (now - r.timestamp() - grace));
                }
            }
        } finally {
            done.countDown();
        }
    }
}
