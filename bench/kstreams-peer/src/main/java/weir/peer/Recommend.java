package weir.peer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Everything downstream of the two repartition topics, per user: one
 * processor, because its steps share the task's event time (the
 * watermark tracker) and stores, and none has a Kafka Streams DSL shape
 * that keeps weir's semantics (the DSL's windows use Kafka Streams' own
 * stream time; see Watermarks).
 *
 * What it does is weir's, step for step (apps/recommendation/):
 * - a sale: "purchases" keeps the earliest sale time per (user, product)
 *   (proc_recommend.c record-purchase); "bought before" is then asked by
 *   event time at the window's close, so a sale stamped before the
 *   window's end counts however late it arrives, as long as it arrives
 *   before the window closes — and the window closes only when every
 *   upstream sales task has passed end + grace too;
 * - a click: dropped as late when the user's history already answered a
 *   window ending at or after this click's window's end (the guard,
 *   click_window.c) or when event time has passed the window's end +
 *   grace; otherwise the window's aggregate becomes the later click (by
 *   time; at the same millisecond the larger product id) with its
 *   product's category ("latest-clicks", a tumbling window of 5 s with
 *   1 s grace, start aligned to the epoch);
 * - a marker: the tracker moves; when event time passes a window's end
 *   + grace, every such window is answered once, in window order (start,
 *   then user), and deleted (final results only, weir's dsl_agg.c):
 *   recommend ranks the viewed product's category (proc_recommend.c,
 *   rank.c), writes the CSV line (format.c) with timestamp = window end
 *   and records the window in the user's history (history.c).
 *
 * Stores (Kafka Streams key-value stores, RocksDB, changelogged):
 * "latest-clicks": [window start, 8 bytes big-endian][user] -> [click
 * time, 8 bytes BE][product id] NUL [category]; ordered by window start,
 * so closing windows is one range scan, the way Kafka Streams' own
 * suppression buffer is kept. (A Kafka Streams window store would not
 * do: it drops writes older than its own max-timestamp-seen minus the
 * retention, the very stream time this peer must not use.)
 * "purchases": user NUL product -> time (8 bytes BE).
 * "recent-recommendations": user -> History text.
 */
public final class Recommend implements Processor<String, String, String, String> {
    public static final String STORE_WINDOWS = "latest-clicks";
    public static final String STORE_PURCHASES = "purchases";
    public static final String STORE_RECENT = "recent-recommendations";

    public static final class Config {
        public long windowMs = 5000, graceMs = 1000, repeatTtlMs = 600000;
        public int count = 6;
        public String clicksTopic, salesTopic; // the repartition topics
        public int clickTasks, salesTasks;     // upstream tasks (input partitions)
        /** Kafka Streams' own stream time (the task's largest timestamp
         *  seen) instead of the markers: wrong on purpose, for showing
         *  what the markers are for (--event-time task). */
        public boolean taskTime;
    }

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private final Config cfg;
    private final Inventory inventory;
    private ProcessorContext<String, String> ctx;
    private KeyValueStore<Bytes, byte[]> windows, purchases, recent;
    private Watermarks.Tracker tracker;
    private long now = Long.MIN_VALUE;     // event time: the tracker's progress
    private long emitted = Long.MIN_VALUE; // windows with start <= this are answered

    public Recommend(Config cfg, Inventory inventory) {
        this.cfg = cfg;
        this.inventory = inventory;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        ctx = context;
        windows = context.getStateStore(STORE_WINDOWS);
        purchases = context.getStateStore(STORE_PURCHASES);
        recent = context.getStateStore(STORE_RECENT);
        tracker = new Watermarks.Tracker(cfg.clickTasks, cfg.salesTasks);
    }

    @Override
    public void process(Record<String, String> rec) {
        Header wm = rec.headers().lastHeader(Watermarks.HEADER);
        if (wm != null) {
            if (!cfg.taskTime)
                marker(wm.value());
            return;
        }
        if (cfg.taskTime && ctx.currentStreamTimeMs() > now)
            now = ctx.currentStreamTimeMs();
        String topic = ctx.recordMetadata().map(RecordMetadata::topic).orElse("");
        if (rec.key() == null || rec.key().isEmpty() || rec.value() == null) {
            Stats.dropped.increment();
            return;
        }
        if (topic.equals(cfg.salesTopic))
            sale(rec);
        else if (topic.equals(cfg.clicksTopic))
            click(rec);
        else
            Stats.dropped.increment();
        if (cfg.taskTime)
            closeWindows();
    }

    // ---- sales ----

    private static byte[] purchaseKey(byte[] user, String product) {
        byte[] p = product.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[user.length + 1 + p.length];
        System.arraycopy(user, 0, k, 0, user.length);
        System.arraycopy(p, 0, k, user.length + 1, p.length);
        return k;
    }

    private void sale(Record<String, String> rec) {
        Bytes key = Bytes.wrap(purchaseKey(rec.key().getBytes(StandardCharsets.UTF_8), rec.value()));
        byte[] old = purchases.get(key);
        if (old == null || old.length != 8 || rec.timestamp() < Watermarks.getLong(old, 0)) {
            byte[] ts = new byte[8];
            Watermarks.putLong(ts, 0, rec.timestamp());
            purchases.put(key, ts);
        }
    }

    // ---- clicks ----

    private static byte[] windowKey(long start, byte[] user) {
        byte[] k = new byte[8 + user.length];
        Watermarks.putLong(k, 0, start);
        System.arraycopy(user, 0, k, 8, user.length);
        return k;
    }

    private void click(Record<String, String> rec) {
        long ts = rec.timestamp();
        long start = ts - ts % cfg.windowMs;
        long end = start + cfg.windowMs;
        byte[] user = rec.key().getBytes(StandardCharsets.UTF_8);
        byte[] hist = recent.get(Bytes.wrap(user));
        if (hist != null && History.lastEnd(hist) >= end) {
            Stats.lateClicks.increment(); // answered already
            return;
        }
        if (now != Long.MIN_VALUE && end + cfg.graceMs <= now) {
            Stats.lateClicks.increment(); // closed by event time
            return;
        }
        Inventory.Product p = inventory.get(rec.value());
        if (p == null) {
            Stats.dropped.increment();
            return;
        }
        Bytes key = Bytes.wrap(windowKey(start, user));
        byte[] old = windows.get(key);
        boolean newer = old == null;
        if (!newer) {
            long oldTs = Watermarks.getLong(old, 0);
            newer = ts > oldTs || (ts == oldTs && Inventory.idCompare(p.idUtf8, clickId(old)) > 0);
        }
        if (newer)
            windows.put(key, encodeClick(ts, p));
    }

    private static byte[] encodeClick(long ts, Inventory.Product p) {
        byte[] cat = p.category.getBytes(StandardCharsets.UTF_8);
        byte[] v = new byte[8 + p.idUtf8.length + 1 + cat.length];
        Watermarks.putLong(v, 0, ts);
        System.arraycopy(p.idUtf8, 0, v, 8, p.idUtf8.length);
        System.arraycopy(cat, 0, v, 8 + p.idUtf8.length + 1, cat.length);
        return v;
    }

    private static int nul(byte[] v) {
        int i = 8;
        while (v[i] != 0)
            i++;
        return i;
    }

    private static byte[] clickId(byte[] v) {
        int n = nul(v);
        byte[] id = new byte[n - 8];
        System.arraycopy(v, 8, id, 0, id.length);
        return id;
    }

    // ---- event time, closing windows ----

    private void marker(byte[] value) {
        Watermarks.Marker m = Watermarks.decode(value);
        if (m == null || !tracker.update(m))
            return;
        long p = tracker.progress();
        if (p == Long.MIN_VALUE)
            return;
        if (p > now)
            now = p;
        closeWindows();
    }

    private void closeWindows() {
        long bound = now - cfg.graceMs - cfg.windowMs; // start of the last closed window
        if (emitted != Long.MIN_VALUE && bound <= emitted)
            return;
        long from = emitted >= 0 ? emitted + 1 : 0;
        if (bound >= from) {
            List<KeyValue<Bytes, byte[]>> closed = new ArrayList<>();
            byte[] lo = new byte[8], hi = new byte[8];
            Watermarks.putLong(lo, 0, from);
            Watermarks.putLong(hi, 0, bound + 1); // no key is exactly this: every key has a user
            try (KeyValueIterator<Bytes, byte[]> it = windows.range(Bytes.wrap(lo), Bytes.wrap(hi))) {
                while (it.hasNext()) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    if (Watermarks.getLong(kv.key.get(), 0) <= bound)
                        closed.add(kv);
                }
            }
            for (KeyValue<Bytes, byte[]> kv : closed)
                recommend(kv.key.get(), kv.value);
            for (KeyValue<Bytes, byte[]> kv : closed)
                windows.delete(kv.key);
        }
        emitted = bound;
    }

    // ---- recommend ----

    private static final class Item {
        final Inventory.Product p;
        final boolean shown, bought;

        Item(Inventory.Product p, boolean shown, boolean bought) {
            this.p = p;
            this.shown = shown;
            this.bought = bought;
        }
    }

    static int rank(Item a, Item b) {
        if (a.shown != b.shown)
            return a.shown ? 1 : -1; // not shown recently first
        if (a.bought != b.bought)
            return a.bought ? -1 : 1; // bought before first
        if (a.p.rating != b.p.rating)
            return a.p.rating > b.p.rating ? -1 : 1;
        return Inventory.idCompare(a.p.idUtf8, b.p.idUtf8);
    }

    private void recommend(byte[] key, byte[] click) {
        long end = Watermarks.getLong(key, 0) + cfg.windowMs;
        byte[] userB = new byte[key.length - 8];
        System.arraycopy(key, 8, userB, 0, userB.length);
        String user = new String(userB, StandardCharsets.UTF_8);
        int n = nul(click);
        String viewedId = new String(click, 8, n - 8, StandardCharsets.UTF_8);
        String category = new String(click, n + 1, click.length - n - 1, StandardCharsets.UTF_8);

        byte[] hb = recent.get(Bytes.wrap(userB));
        History h = hb != null ? History.decode(hb) : new History();
        List<Item> items = new ArrayList<>();
        for (Inventory.Product p : inventory.category(category)) {
            if (p.stock <= 0 || !p.category.equals(category) || p.id.equals(viewedId))
                continue;
            boolean shown = h.shown(p.id, end, cfg.repeatTtlMs);
            byte[] bought = purchases.get(Bytes.wrap(purchaseKey(userB, p.id)));
            items.add(new Item(p, shown, bought != null && bought.length == 8 && Watermarks.getLong(bought, 0) < end));
        }
        items.sort(Recommend::rank);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < items.size() && i < cfg.count; i++)
            ids.add(items.get(i).p.id);
        String value = format(user, ids, end);
        h.add(end, ids, cfg.repeatTtlMs);
        recent.put(Bytes.wrap(userB), h.encode());
        ctx.forward(new Record<>(user, value, end));
        Stats.windowsClosed.increment();
    }

    /** weir's format.c: user,"id,id,...","yyyy-MM-dd HH:mm:ss" (UTC). */
    static String format(String user, List<String> ids, long windowEndMs) {
        StringBuilder sb = new StringBuilder(64);
        boolean quote = user.indexOf(',') >= 0 || user.indexOf('"') >= 0 || user.indexOf('\r') >= 0
                || user.indexOf('\n') >= 0;
        if (quote)
            sb.append('"').append(user.replace("\"", "\"\"")).append('"');
        else
            sb.append(user);
        sb.append(",\"");
        for (int i = 0; i < ids.size(); i++) {
            if (i > 0)
                sb.append(',');
            sb.append(ids.get(i).replace("\"", "\"\""));
        }
        sb.append("\",\"");
        sb.append(UTC.format(Instant.ofEpochSecond(Math.floorDiv(windowEndMs, 1000L))));
        sb.append('"');
        return sb.toString();
    }
}
