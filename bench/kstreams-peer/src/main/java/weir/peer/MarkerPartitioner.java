package weir.peer;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitioner of the repartition topics: a data record goes where the
 * producer's default partitioner puts its key (murmur2 of the user id,
 * as weir's repartition does); a watermark marker (empty key: user ids
 * are never empty) goes to every partition (Kafka Streams' multicast,
 * KIP-837).
 */
public final class MarkerPartitioner implements StreamPartitioner<String, String> {
    @Override
    public Optional<Set<Integer>> partitions(String topic, String key, String value, int numPartitions) {
        if (!key.isEmpty())
            return Optional.empty();
        Set<Integer> all = new HashSet<>();
        for (int p = 0; p < numPartitions; p++)
            all.add(p);
        return Optional.of(all);
    }
}
