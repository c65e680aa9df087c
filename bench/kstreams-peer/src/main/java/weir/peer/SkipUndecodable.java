package weir.peer;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * Skips (and counts) a record whose bytes do not decode, as weir's app
 * dead-letters it; anything else (the registry unreachable for minutes)
 * fails, since skipping would lose good data (weir does the same).
 */
public final class SkipUndecodable implements DeserializationExceptionHandler {
    @Override
    public DeserializationHandlerResponse handle(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
            Exception exception) {
        if (exception instanceof SerializationException) {
            Stats.badRecords.increment();
            System.err.printf("undecodable record %s [%d] @%d skipped: %s%n", record.topic(), record.partition(),
                    record.offset(), exception.getMessage());
            return DeserializationHandlerResponse.CONTINUE;
        }
        return DeserializationHandlerResponse.FAIL;
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
