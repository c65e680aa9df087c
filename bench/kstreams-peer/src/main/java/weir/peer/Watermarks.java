package weir.peer;

import java.util.Arrays;

/**
 * Event time across the repartition, as weir does it
 * (framework/host/watermark.c).
 *
 * Kafka Streams' stream time is per task: the largest timestamp the
 * task has seen. After a repartition a task reads records written by
 * every upstream task; during a catch-up one upstream task can be far
 * ahead of another, so the downstream task's stream time runs ahead of
 * what the slow writers have sent, and a windowed aggregation would drop
 * their records as late and close windows before their last records
 * came. So, as in weir, every upstream task writes a marker to every
 * partition of its repartition topic (in the same transaction as its
 * records, after them): which upstream task it is and its stream time.
 * A downstream task's event time is the minimum over the latest marker
 * of every upstream task that can write to it. An upstream task that is
 * caught up and has had no record for idle.timeout.ms says "idle" in its
 * marker and stops holding the minimum back; when every one is idle the
 * progress is the maximum over them.
 *
 * Marker: a record with an empty key (user ids are never empty; Kafka
 * Streams does not pass a null-keyed record on to a repartition topic),
 * a null value and the header
 * {@value #HEADER}, whose value is weir's 18-byte layout: u8 version
 * (1), u8 flags (bit 0: idle), i32 upstream (0 clicks, 1 sales), i32
 * upstream partition, i64 stream time (Long.MIN_VALUE: none yet), all
 * big-endian.
 */
public final class Watermarks {
    public static final String HEADER = "weir.peer.wm";
    public static final int CLICKS = 0, SALES = 1;
    static final int SIZE = 18;

    private Watermarks() {
    }

    public static byte[] encode(int upstream, int partition, long time, boolean idle) {
        byte[] b = new byte[SIZE];
        b[0] = 1;
        b[1] = (byte) (idle ? 1 : 0);
        putInt(b, 2, upstream);
        putInt(b, 6, partition);
        putLong(b, 10, time);
        return b;
    }

    /** A decoded marker, or null for bytes that are not one. */
    public static final class Marker {
        public final int upstream, partition;
        public final long time;
        public final boolean idle;

        Marker(int upstream, int partition, long time, boolean idle) {
            this.upstream = upstream;
            this.partition = partition;
            this.time = time;
            this.idle = idle;
        }
    }

    public static Marker decode(byte[] b) {
        if (b == null || b.length != SIZE || b[0] != 1)
            return null;
        return new Marker(getInt(b, 2), getInt(b, 6), getLong(b, 10), (b[1] & 1) != 0);
    }

    /** What one downstream task knows of its upstream tasks. */
    public static final class Tracker {
        private final long[][] time;
        private final boolean[][] idle;

        /** @param tasks the number of upstream tasks of each upstream
         *  (index CLICKS, SALES): the partitions of each input topic. */
        public Tracker(int... tasks) {
            time = new long[tasks.length][];
            idle = new boolean[tasks.length][];
            for (int u = 0; u < tasks.length; u++) {
                time[u] = new long[tasks[u]];
                Arrays.fill(time[u], Long.MIN_VALUE);
                idle[u] = new boolean[tasks[u]];
            }
        }

        /** Records a marker (time never moves back); false when it is
         *  from an upstream task this tracker does not know. */
        public boolean update(Marker m) {
            if (m.upstream < 0 || m.upstream >= time.length || m.partition < 0 || m.partition >= time[m.upstream].length)
                return false;
            if (m.time > time[m.upstream][m.partition])
                time[m.upstream][m.partition] = m.time;
            idle[m.upstream][m.partition] = m.idle;
            return true;
        }

        /** The minimum over the upstream tasks that are not idle; when
         *  all are idle the maximum; Long.MIN_VALUE while a non-idle one
         *  has sent no marker. */
        public long progress() {
            long minActive = Long.MAX_VALUE, maxAll = Long.MIN_VALUE;
            boolean anyActive = false, any = false;
            for (int u = 0; u < time.length; u++) {
                for (int p = 0; p < time[u].length; p++) {
                    any = true;
                    maxAll = Math.max(maxAll, time[u][p]);
                    if (idle[u][p])
                        continue;
                    anyActive = true;
                    minActive = Math.min(minActive, time[u][p]);
                }
            }
            if (!any)
                return Long.MIN_VALUE;
            return anyActive ? minActive : maxAll;
        }
    }

    static void putInt(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++)
            b[off + i] = (byte) (v >>> (24 - 8 * i));
    }

    static int getInt(byte[] b, int off) {
        int v = 0;
        for (int i = 0; i < 4; i++)
            v = (v << 8) | (b[off + i] & 0xff);
        return v;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++)
            b[off + i] = (byte) (v >>> (56 - 8 * i));
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++)
            v = (v << 8) | (b[off + i] & 0xff);
        return v;
    }
}
