package weir.peer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The first step after each Avro source (weir's rekey.c: select_key +
 * map_values), plus the writer side of the watermark markers
 * (Watermarks).
 *
 * A click or a sale is keyed by its user_id and reduced to its
 * product_id; a record with a null value, a missing, empty, over-long
 * (> 1024 bytes) or NUL-holding user_id, a missing or empty product_id,
 * or a product the inventory does not know, goes no further (weir
 * dead-letters it; the peer counts it).
 *
 * Every commit.interval.ms (a wall-clock punctuation, weir sends them
 * at each commit) the task forwards a marker with its stream time to
 * every partition of the repartition topic (MarkerPartitioner) when its
 * time or idleness changed, or a second went by. The task is idle when
 * its input partition is caught up (its consumer's lag is 0) and it has
 * had no record for idle.timeout.ms (weir's rule).
 */
public final class ByUser implements Processor<byte[], GenericRecord, String, String> {
    static final int USER_MAX = 1024;
    static final long MARKER_RESEND_MS = 1000;

    private final int upstream;
    private final Inventory inventory;
    private final long intervalMs, idleTimeoutMs;
    private ProcessorContext<String, String> ctx;
    private TopicPartition input;
    private long lastRecordWall, lastMarkerWall = Long.MIN_VALUE, lastMarkerTime;
    private boolean lastMarkerIdle, sentMarker;

    public ByUser(int upstream, String inputTopic, Inventory inventory, long intervalMs, long idleTimeoutMs) {
        this.upstream = upstream;
        this.inventory = inventory;
        this.intervalMs = intervalMs;
        this.idleTimeoutMs = idleTimeoutMs;
        this.input = new TopicPartition(inputTopic, 0);
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        ctx = context;
        input = new TopicPartition(input.topic(), context.taskId().partition());
        lastRecordWall = context.currentSystemTimeMs(); // see idle()
        context.schedule(Duration.ofMillis(intervalMs), PunctuationType.WALL_CLOCK_TIME, this::marker);
    }

    @Override
    public void process(Record<byte[], GenericRecord> rec) {
        Stats.recordsIn.increment();
        lastRecordWall = ctx.currentSystemTimeMs();
        GenericRecord v = rec.value();
        String user = v == null ? null : field(v, "user_id");
        if (user == null || user.isEmpty() || user.indexOf('\0') >= 0
                || (user.length() > USER_MAX / 3 && user.getBytes(StandardCharsets.UTF_8).length > USER_MAX)) {
            Stats.dropped.increment();
            return;
        }
        String product = field(v, "product_id");
        if (product != null) {
            int nul = product.indexOf('\0');
            if (nul >= 0) // weir looks the id up as a C string
                product = product.substring(0, nul);
        }
        if (product == null || product.isEmpty() || inventory.get(product) == null) {
            Stats.dropped.increment();
            return;
        }
        ctx.forward(rec.withKey(user).withValue(product));
    }

    private static String field(GenericRecord v, String name) {
        Schema.Field f = v.getSchema().getField(name);
        if (f == null)
            return null;
        Object o = v.get(f.pos());
        return o instanceof CharSequence ? o.toString() : null;
    }

    /**
     * Caught up (the thread's consumer says lag 0) and no record for
     * idle.timeout.ms. A task that has had no record at all counts from
     * its start: records Kafka Streams fetched but has not processed yet
     * do not show in the consumer's lag, and a task processes a record of
     * its queue in every loop, so a quiet spell of idle.timeout.ms means
     * none is waiting.
     */
    private boolean idle(long now) {
        if (idleTimeoutMs < 0 || now - lastRecordWall < idleTimeoutMs)
            return false;
        OptionalLong lag = LagAwareClientSupplier.currentLag(input);
        return lag.isPresent() && lag.getAsLong() == 0;
    }

    private void marker(long now) {
        long st = ctx.currentStreamTimeMs();
        long time = st < 0 ? Long.MIN_VALUE : st; // -1: nothing seen yet
        boolean idle = idle(now);
        if (sentMarker && time == lastMarkerTime && idle == lastMarkerIdle && now - lastMarkerWall < MARKER_RESEND_MS)
            return;
        RecordHeaders h = new RecordHeaders();
        h.add(Watermarks.HEADER, Watermarks.encode(upstream, input.partition(), time, idle));
        // Key "": a null key would not reach the repartition topic.
        ctx.forward(new Record<String, String>("", null, Math.max(time, 0), h));
        Stats.markersOut.increment();
        sentMarker = true;
        lastMarkerTime = time;
        lastMarkerIdle = idle;
        lastMarkerWall = now;
    }
}
