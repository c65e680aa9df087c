package weir.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer's topology under Kafka Streams' TopologyTestDriver (one
 * partition per topic, so one upstream task per input): the ranking,
 * "bought before" by event time, the latest click, repeat avoidance,
 * the empty list, late clicks, and windows that close by the watermark
 * markers. Each expected line is worked out by hand
 * from weir's rules (apps/recommendation/README.md).
 */
class TopologyTest {
    static final long T = 1719579600000L; // 2024-06-28 13:00:00 UTC
    static final Schema CLICK = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"ClickStream\","
            + "\"namespace\":\"com.github.streamshub.kafka.data.generator.schema\",\"fields\":["
            + "{\"name\":\"user_id\",\"type\":\"string\"},{\"name\":\"product_id\",\"type\":\"string\"}]}");
    static final Schema SALE = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Sales\","
            + "\"namespace\":\"com.github.streamshub.kafka.data.generator.schema\",\"fields\":["
            + "{\"name\":\"user_id\",\"type\":\"string\"},{\"name\":\"product_id\",\"type\":\"string\"},"
            + "{\"name\":\"invoice_id\",\"type\":\"string\"},{\"name\":\"quantity\",\"type\":\"string\"},"
            + "{\"name\":\"unit_cost\",\"type\":\"string\"}]}");

    @TempDir
    Path dir;
    TopologyTestDriver driver;
    TestInputTopic<byte[], byte[]> clicks, sales;
    TestOutputTopic<String, String> out;

    @BeforeEach
    void setUp() throws IOException {
        // category a: 1 (viewed below), 2 and 10 rated 9, 3 rated 7, 4 out
        // of stock; category b: 20 alone; 30, 31 in c.
        Path inv = dir.resolve("inv.csv");
        Files.writeString(inv, "1,a,5,5\n2,a,5,9\n3,a,5,7\n10,a,5,9\n4,a,0,10\n20,b,1,1\n"
                + "30,c,1,1\n31,c,1,2\n32,c,1,3\n33,c,1,4\n34,c,1,5\n35,c,1,6\n36,c,1,7\n37,c,1,8\n");
        Recommend.Config rc = new Recommend.Config();
        rc.clicksTopic = "t-clicks-by-user-repartition";
        rc.salesTopic = "t-sales-by-user-repartition";
        rc.clickTasks = rc.salesTasks = 1;
        var topo = Main.topology("clicks", "sales", "out",
                new ConfluentAvroDeserializer("http://unused", Map.of(1, CLICK, 2, SALE)),
                Inventory.load(inv), rc, 100, 30000);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "t");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        driver = new TopologyTestDriver(topo, p);
        clicks = driver.createInputTopic("clicks", Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
        sales = driver.createInputTopic("sales", Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
        out = driver.createOutputTopic("out", Serdes.String().deserializer(), Serdes.String().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    static byte[] avro(int id, Schema s, String... fields) {
        GenericRecord r = new GenericData.Record(s);
        for (int i = 0; i < fields.length; i++)
            r.put(i, fields[i]);
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(new byte[] {0, 0, 0, 0, (byte) id});
            BinaryEncoder e = EncoderFactory.get().binaryEncoder(b, null);
            new GenericDatumWriter<GenericRecord>(s).write(r, e);
            e.flush();
            return b.toByteArray();
        } catch (IOException x) {
            throw new RuntimeException(x);
        }
    }

    void click(String user, String product, long ts) {
        clicks.pipeInput(Long.toString(ts).getBytes(), avro(1, CLICK, user, product), ts);
    }

    void sale(String user, String product, long ts) {
        sales.pipeInput(Long.toString(ts).getBytes(), avro(2, SALE, user, product, "inv", "1", "9.99"), ts);
    }

    /** Both upstream tasks at @p ts, then their markers. */
    void advance(long ts) {
        click("user-x", "20", ts);
        sale("user-x", "20", ts);
        markers();
    }

    void markers() {
        driver.advanceWallClockTime(Duration.ofMillis(1100));
    }

    /** The output without user-x's windows: "key|value|timestamp". */
    List<String> output() {
        List<String> l = new ArrayList<>();
        for (TestRecord<String, String> r : out.readRecordsToList())
            if (!r.key().equals("user-x"))
                l.add(r.key() + "|" + r.value() + "|" + r.timestamp());
        return l;
    }

    @Test
    void ranksNotShownThenBoughtThenRatingThenId() {
        sale("user-1", "3", T + 500);
        click("user-1", "1", T + 1000);
        advance(T + 6000); // = end + grace: closes [T, T+5000)
        assertEquals(List.of("user-1|user-1,\"3,2,10\",\"2024-06-28 13:00:05\"|" + (T + 5000)), output());
    }

    @Test
    void boughtBeforeIsByEventTimeNotArrival() {
        click("user-1", "1", T + 1000);
        sale("user-1", "10", T + 5500); // arrives first... stamped after the end: no
        sale("user-1", "3", T + 4999);  // arrives after the click, stamped before the end: yes
        advance(T + 6000);
        assertEquals(List.of("user-1|user-1,\"3,2,10\",\"2024-06-28 13:00:05\"|" + (T + 5000)), output());
    }

    @Test
    void theLatestClickWinsAndAtOneMillisecondTheLargerId() {
        click("user-1", "20", T + 3000);
        click("user-1", "1", T + 1000); // earlier: not the viewed one
        click("user-2", "2", T + 2000);
        click("user-2", "10", T + 2000); // same ms: 10 > 2 numerically
        click("user-2", "3", T + 2000);
        advance(T + 6000);
        List<String> o = output();
        // user-1 views 20 (category b, nothing else): the empty list
        assertTrue(o.contains("user-1|user-1,\"\",\"2024-06-28 13:00:05\"|" + (T + 5000)), o.toString());
        // user-2 views 10: 2 (9), 3 (7), 1 (5)
        assertTrue(o.contains("user-2|user-2,\"2,3,1\",\"2024-06-28 13:00:05\"|" + (T + 5000)), o.toString());
        assertEquals(2, o.size());
    }

    @Test
    void productsShownWithinTheTtlGoLast() {
        click("user-1", "30", T + 1000); // c: 37..32 by rating, then 31
        advance(T + 6000);
        click("user-1", "30", T + 7000);
        advance(T + 11000);
        assertEquals(List.of("user-1|user-1,\"37,36,35,34,33,32\",\"2024-06-28 13:00:05\"|" + (T + 5000),
                "user-1|user-1,\"31,37,36,35,34,33\",\"2024-06-28 13:00:10\"|" + (T + 10000)), output());
    }

    /**
     * Windows close by the markers, not by the records' timestamps: a
     * click far ahead does not close user-1's window, and sales that
     * arrive after it but are stamped before the window's end count.
     * (The test driver runs every sub-topology in one task, so both
     * upstreams share one stream time here; the minimum over upstream
     * tasks is UnitTest's, and check.sh's on a real broker.)
     */
    @Test
    void windowsCloseByTheMarkersNotByRecordTimestamps() {
        click("user-1", "1", T + 1000);
        click("user-2", "1", T + 60000); // event time far ahead
        sale("user-1", "3", T + 2000);
        assertEquals(List.of(), output()); // no marker yet
        sale("user-1", "2", T + 4000);
        markers();
        assertEquals(List.of("user-1|user-1,\"2,3,10\",\"2024-06-28 13:00:05\"|" + (T + 5000)), output());
    }

    @Test
    void lateClicksAndUnknownProductsAreDropped() {
        click("user-1", "1", T + 1000);
        advance(T + 6000);
        click("user-1", "2", T + 4000); // its window is closed: late
        click("user-3", "999", T + 7000); // unknown product
        advance(T + 12000);
        assertEquals(List.of("user-1|user-1,\"2,10,3\",\"2024-06-28 13:00:05\"|" + (T + 5000)), output());
    }
}
