package weir.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Avro in the Confluent wire format (magic byte 0, 4-byte big-endian
 * schema id, Avro binary), decoded with the writer's schema into a
 * GenericRecord, as Confluent's KafkaAvroDeserializer would (which is
 * not on Maven Central). The writer schema is fetched once per id from
 * the registry's Confluent-compatible API (GET {url}/schemas/ids/{id},
 * JSON with a "schema" field) and cached.
 *
 * {@code url} is the Confluent-compatible base (for Apicurio
 * http://host:port/apis/ccompat/v7). A URL with no path is probed as
 * weir does: the URL itself, then /apis/ccompat/v7, then /apis/ccompat/v6.
 *
 * One instance serves every stream thread: the schema cache is
 * concurrent, and each thread keeps its own readers and decoder.
 * Throws SerializationException for bytes that are not this format, so
 * Kafka Streams' deserialization exception handler decides (the peer
 * logs and skips, as weir dead-letters).
 */
public final class ConfluentAvroDeserializer implements Deserializer<GenericRecord> {
    private final String configuredUrl;
    private volatile String baseUrl; // resolved on first use
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final ThreadLocal<PerThread> local = ThreadLocal.withInitial(PerThread::new);

    private static final class PerThread {
        final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
        BinaryDecoder decoder;
    }

    public ConfluentAvroDeserializer(String registryUrl) {
        this(registryUrl, Map.of());
    }

    /** With schemas already known by id (tests). */
    public ConfluentAvroDeserializer(String registryUrl, Map<Integer, Schema> known) {
        schemas.putAll(known);
        String u = registryUrl;
        while (u.endsWith("/"))
            u = u.substring(0, u.length() - 1);
        this.configuredUrl = u;
    }

    @Override
    public GenericRecord deserialize(String topic, byte[] data) {
        if (data == null)
            return null;
        if (data.length < 5 || data[0] != 0)
            throw new SerializationException(topic + ": not the Confluent wire format (" + data.length + " bytes)");
        int id = ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
        PerThread t = local.get();
        GenericDatumReader<GenericRecord> reader = t.readers.get(id);
        if (reader == null) {
            reader = new GenericDatumReader<>(schema(id));
            t.readers.put(id, reader);
        }
        try {
            t.decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, t.decoder);
            GenericRecord rec = reader.read(null, t.decoder);
            if (!t.decoder.isEnd())
                throw new SerializationException(topic + ": trailing bytes after the Avro record");
            return rec;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SerializationException)
                throw (SerializationException) e;
            throw new SerializationException(topic + ": Avro record does not decode with schema " + id + ": " + e, e);
        }
    }

    private Schema schema(int id) {
        Schema s = schemas.get(id);
        if (s != null)
            return s;
        synchronized (this) {
            s = schemas.get(id);
            if (s == null) {
                s = fetch(id);
                schemas.put(id, s);
            }
        }
        return s;
    }

    /** GET .../schemas/ids/{id}, retried for a while: the registry being
     *  down is not the record's fault. A 404 is the record's fault. */
    private Schema fetch(int id) {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        long backoff = 100;
        while (true) {
            try {
                String base = resolveBase();
                HttpResponse<String> r = get(base + "/schemas/ids/" + id);
                if (r.statusCode() == 200) {
                    JsonNode n = json.readTree(r.body());
                    JsonNode schema = n.get("schema");
                    if (schema == null || !schema.isTextual())
                        throw new SerializationException("registry: no \"schema\" for id " + id);
                    return new Schema.Parser().parse(schema.asText());
                }
                if (r.statusCode() == 404)
                    throw new SerializationException("registry: no schema with id " + id);
                if (r.statusCode() < 500 && r.statusCode() != 408 && r.statusCode() != 429)
                    throw new IllegalStateException("registry: HTTP " + r.statusCode() + " for schema id " + id + ": " + r.body());
            } catch (IOException e) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("registry unreachable: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            if (System.nanoTime() > deadline)
                throw new IllegalStateException("registry: schema id " + id + " not served");
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            backoff = Math.min(backoff * 2, 5000);
        }
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Accept", "application/vnd.schemaregistry.v1+json, application/json").GET().build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private String resolveBase() throws IOException, InterruptedException {
        String b = baseUrl;
        if (b != null)
            return b;
        URI u = URI.create(configuredUrl);
        if (u.getPath() != null && !u.getPath().isEmpty() && !u.getPath().equals("/")) {
            baseUrl = configuredUrl;
            return configuredUrl;
        }
        for (String cand : new String[] {configuredUrl, configuredUrl + "/apis/ccompat/v7", configuredUrl + "/apis/ccompat/v6"}) {
            HttpResponse<String> r = get(cand + "/subjects");
            if (r.statusCode() == 200) {
                baseUrl = cand;
                return cand;
            }
        }
        throw new IOException("no Confluent-compatible API found at " + configuredUrl);
    }
}
