package weir.peer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a user was recently recommended (weir's history.c), the value of
 * the store "recent-recommendations", in weir's text form: the end of
 * the last window answered, then one line per window within the TTL,
 * "end\tid\tid...".
 */
public final class History {
    private static final class Entry {
        final long end;
        final String[] ids;

        Entry(long end, String[] ids) {
            this.end = end;
            this.ids = ids;
        }
    }

    private long lastEnd = Long.MIN_VALUE;
    private final List<Entry> entries = new ArrayList<>();

    public long lastEnd() {
        return lastEnd;
    }

    /** Recommended in an earlier window ending less than ttl before
     *  windowEnd. */
    public boolean shown(String id, long windowEnd, long ttlMs) {
        for (Entry e : entries) {
            if (e.end >= windowEnd || windowEnd - e.end >= ttlMs)
                continue;
            for (String s : e.ids)
                if (s.equals(id))
                    return true;
        }
        return false;
    }

    public void add(long windowEnd, List<String> ids, long ttlMs) {
        entries.removeIf(e -> windowEnd - e.end >= ttlMs);
        if (windowEnd > lastEnd)
            lastEnd = windowEnd;
        if (ids.isEmpty() || ttlMs == 0)
            return;
        entries.add(new Entry(windowEnd, ids.toArray(new String[0])));
    }

    public byte[] encode() {
        StringBuilder sb = new StringBuilder(32 + entries.size() * 32);
        sb.append(lastEnd).append('\n');
        for (Entry e : entries) {
            sb.append(e.end);
            for (String id : e.ids)
                sb.append('\t').append(id);
            sb.append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static History decode(byte[] b) {
        History h = new History();
        String s = new String(b, StandardCharsets.UTF_8);
        int pos = 0;
        boolean first = true;
        while (pos < s.length()) {
            int nl = s.indexOf('\n', pos);
            if (nl < 0)
                throw new IllegalStateException("recent-recommendations: unterminated line");
            String[] parts = s.substring(pos, nl).split("\t", -1);
            long v = Long.parseLong(parts[0]);
            if (first) {
                h.lastEnd = v;
                first = false;
            } else {
                h.entries.add(new Entry(v, Arrays.copyOfRange(parts, 1, parts.length)));
            }
            pos = nl + 1;
        }
        if (first)
            throw new IllegalStateException("recent-recommendations: empty value");
        return h;
    }

    /** Only the first line: the end of the last window answered. */
    public static long lastEnd(byte[] b) {
        int nl = 0;
        while (nl < b.length && b[nl] != '\n')
            nl++;
        return Long.parseLong(new String(b, 0, nl, StandardCharsets.US_ASCII));
    }
}
