package weir.peer;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier;

/**
 * Kafka Streams' default clients, with one addition: the stream threads'
 * main consumers are remembered by client id, so that a processor,
 * running on its stream thread, can ask that thread's own consumer
 * whether an input partition is caught up (Consumer.currentLag(), the
 * lag Kafka Streams itself uses to decide max.task.idle.ms). weir's
 * equivalent is librdkafka's end-of-partition event. The consumer is
 * only ever called from the thread that owns it.
 */
public final class LagAwareClientSupplier extends DefaultKafkaClientSupplier {
    private static final Map<String, Consumer<byte[], byte[]>> MAIN = new ConcurrentHashMap<>();

    @Override
    public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
        Consumer<byte[], byte[]> c = super.getConsumer(config);
        Object id = config.get(ConsumerConfig.CLIENT_ID_CONFIG);
        if (id != null)
            MAIN.put(id.toString(), c);
        return c;
    }

    /**
     * The lag of @p tp as the calling stream thread's consumer knows it
     * (its client id is the thread's name + "-consumer"); empty when
     * unknown.
     */
    public static OptionalLong currentLag(TopicPartition tp) {
        Consumer<byte[], byte[]> c = MAIN.get(Thread.currentThread().getName() + "-consumer");
        if (c == null)
            return OptionalLong.empty();
        try {
            return c.currentLag(tp);
        } catch (RuntimeException e) { // not assigned (any more)
            return OptionalLong.empty();
        }
    }
}
