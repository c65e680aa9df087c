package weir.peer;

import java.util.concurrent.atomic.LongAdder;

/** Counters for the progress line (all tasks of the process). */
public final class Stats {
    public static final LongAdder recordsIn = new LongAdder();
    public static final LongAdder badRecords = new LongAdder();
    public static final LongAdder dropped = new LongAdder();
    public static final LongAdder lateClicks = new LongAdder();
    public static final LongAdder windowsClosed = new LongAdder();
    public static final LongAdder markersOut = new LongAdder();

    private Stats() {
    }

    public static String line() {
        return "records in " + recordsIn.sum() + " | windows closed " + windowsClosed.sum()
                + " | recommendations out " + windowsClosed.sum() + " | late clicks " + lateClicks.sum()
                + " | dropped " + dropped.sum() + " | undecodable " + badRecords.sum()
                + " | markers out " + markersOut.sum();
    }
}
