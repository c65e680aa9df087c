package weir.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The pure parts, against weir's rules and formats. */
class UnitTest {
    static int cmp(String a, String b) {
        return Integer.signum(Inventory.idCompare(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void productIdsCompareAsNumbersFirst() {
        assertEquals(-1, cmp("9", "10"));
        assertEquals(1, cmp("10", "9"));
        assertEquals(-1, cmp("199", "a"));
        assertEquals(-1, cmp("03", "3")); // equal numbers: bytewise
        assertEquals(-1, cmp("a", "b"));
        assertEquals(0, cmp("42", "42"));
    }

    @Test
    void inventoryRowsParseAsWeirDoes() {
        Inventory.Product p = Inventory.parse("17,\"home, garden\",3,4.5\r\n");
        assertEquals("17", p.id);
        assertEquals("home, garden", p.category);
        assertEquals(3, p.stock);
        assertEquals(4.5, p.rating);
        assertEquals(" x", Inventory.parse("1,\" x\",0,1").category);
        assertEquals("x", Inventory.parse("1, x ,0,1").category); // unquoted: trimmed
        for (String bad : List.of("1,a,5", "1,a,5,6,7", ",a,5,6", "1,,5,6", "1,a,-1,6", "1,a,x,6", "1,a,5,nan",
                "1,a,5,inf", "1,a,5,\" 5\"", "1,a\"b,5,6", "1,\"a,5,6"))
            assertThrows(IllegalArgumentException.class, () -> Inventory.parse(bad), bad);
    }

    @Test
    void historyRoundTripsAndForgetsAfterTheTtl() {
        History h = new History();
        h.add(5000, List.of("1", "2"), 600000);
        h.add(10000, List.of(), 600000);
        History d = History.decode(h.encode());
        assertEquals(10000, d.lastEnd());
        assertEquals(10000, History.lastEnd(h.encode()));
        assertEquals("10000\n5000\t1\t2\n", new String(h.encode(), StandardCharsets.UTF_8));
        assertTrue(d.shown("2", 10000, 600000));
        assertTrue(!d.shown("2", 5000, 600000)); // not an earlier window
        assertTrue(!d.shown("2", 605000, 600000)); // TTL passed
        d.add(605000, List.of("3"), 600000);
        assertEquals("605000\n605000\t3\n", new String(d.encode(), StandardCharsets.UTF_8));
    }

    @Test
    void outputLineIsTheSeedsCsv() {
        assertEquals("user-27,\"140,13,137,95,39,138\",\"2024-06-28 13:01:55\"",
                Recommend.format("user-27", List.of("140", "13", "137", "95", "39", "138"), 1719579715000L));
        assertEquals("\"a,\"\"b\",\"\",\"1970-01-01 00:00:00\"", Recommend.format("a,\"b", List.of(), 999));
    }

    @Test
    void watermarkProgressIsTheMinimumOfTheActiveUpstreamTasks() {
        Watermarks.Tracker t = new Watermarks.Tracker(2, 1);
        t.update(Watermarks.decode(Watermarks.encode(0, 0, 100, false)));
        t.update(Watermarks.decode(Watermarks.encode(1, 0, 50, false)));
        assertEquals(Long.MIN_VALUE, t.progress()); // clicks task 1 unheard
        t.update(Watermarks.decode(Watermarks.encode(0, 1, 70, false)));
        assertEquals(50, t.progress());
        t.update(Watermarks.decode(Watermarks.encode(1, 0, 40, false))); // never back
        assertEquals(50, t.progress());
        t.update(Watermarks.decode(Watermarks.encode(1, 0, 50, true)));
        assertEquals(70, t.progress()); // idle: out of the minimum
        t.update(Watermarks.decode(Watermarks.encode(0, 0, 100, true)));
        t.update(Watermarks.decode(Watermarks.encode(0, 1, 70, true)));
        assertEquals(100, t.progress()); // all idle: the maximum
        assertTrue(!t.update(Watermarks.decode(Watermarks.encode(0, 2, 1, false))));
    }
}
