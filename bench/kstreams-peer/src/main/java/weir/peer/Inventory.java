package weir.peer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inventory: productInventory.csv (product_id,category,stock,rating,
 * no header), loaded once from the file into an immutable map shared by
 * every task. weir keeps it in a global store filled from the same file;
 * the benchmark never uses weir's optional inventory topic, so a map is
 * the plain Kafka Streams equivalent (a GlobalKTable would need a topic).
 *
 * Row rules are weir's (apps/recommendation/inventory.c): one CSV row of
 * exactly 4 fields (RFC 4180 quoting; unquoted fields lose surrounding
 * spaces and tabs, as libcsv does), id and category 1..127 bytes without
 * control characters, stock an integer >= 0, rating a finite number.
 * A bad row is skipped, counted and logged; a later row of the same id
 * replaces an earlier one; empty lines are skipped.
 */
public final class Inventory {
    /** One product. */
    public static final class Product {
        public final String id;
        public final byte[] idUtf8;
        public final String category;
        public final long stock;
        public final double rating;

        Product(String id, String category, long stock, double rating) {
            this.id = id;
            this.idUtf8 = id.getBytes(StandardCharsets.UTF_8);
            this.category = category;
            this.stock = stock;
            this.rating = rating;
        }
    }

    static final int FIELD_MAX = 128; // weir's REC_FIELD_MAX, NUL included

    private final Map<String, Product> byId;
    private final Map<String, List<Product>> byCategory;
    private final int badRows;

    private Inventory(Map<String, Product> byId, int badRows) {
        this.byId = byId;
        this.badRows = badRows;
        Map<String, List<Product>> cat = new HashMap<>();
        for (Product p : byId.values())
            cat.computeIfAbsent(p.category, k -> new ArrayList<>()).add(p);
        for (Map.Entry<String, List<Product>> e : cat.entrySet())
            e.setValue(Collections.unmodifiableList(e.getValue()));
        this.byCategory = cat;
    }

    public static Inventory load(Path path) throws IOException {
        Map<String, Product> byId = new LinkedHashMap<>();
        int bad = 0, lineno = 0;
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                lineno++;
                if (line.isEmpty())
                    continue;
                try {
                    Product p = parse(line);
                    byId.put(p.id, p);
                } catch (IllegalArgumentException e) {
                    bad++;
                    System.err.printf("inventory %s:%d: row skipped: %s%n", path, lineno, e.getMessage());
                }
            }
        }
        return new Inventory(byId, bad);
    }

    public static Inventory of(List<Product> products) {
        Map<String, Product> byId = new LinkedHashMap<>();
        for (Product p : products)
            byId.put(p.id, p);
        return new Inventory(byId, 0);
    }

    public Product get(String id) {
        return byId.get(id);
    }

    public List<Product> category(String category) {
        List<Product> l = byCategory.get(category);
        return l != null ? l : List.of();
    }

    public int size() {
        return byId.size();
    }

    public int badRows() {
        return badRows;
    }

    /** Parses one row; IllegalArgumentException says what is wrong. */
    public static Product parse(String row) {
        int len = row.length();
        while (len > 0 && (row.charAt(len - 1) == '\n' || row.charAt(len - 1) == '\r'))
            len--;
        List<String> f = splitCsv(row.substring(0, len));
        if (f.size() != 4)
            throw new IllegalArgumentException("expected 4 fields (product_id,category,stock,rating), got " + f.size());
        for (String s : f)
            if (s.getBytes(StandardCharsets.UTF_8).length >= FIELD_MAX)
                throw new IllegalArgumentException("a field is longer than " + (FIELD_MAX - 1) + " bytes");
        if (!cleanText(f.get(0)))
            throw new IllegalArgumentException("product_id is empty or has control characters");
        if (!cleanText(f.get(1)))
            throw new IllegalArgumentException("category is empty or has control characters");
        long stock;
        try {
            String s = stripLeadingCSpace(f.get(2)); // strtoll skips leading space
            if (!s.matches("[+-]?[0-9]+"))
                throw new NumberFormatException();
            stock = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("stock '" + f.get(2) + "' is not an integer >= 0");
        }
        if (stock < 0)
            throw new IllegalArgumentException("stock '" + f.get(2) + "' is not an integer >= 0");
        String rs = f.get(3);
        double rating;
        // strtod's decimal syntax; no leading space (weir refuses it)
        if (!rs.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?"))
            throw new IllegalArgumentException("rating '" + rs + "' is not a number");
        rating = Double.parseDouble(rs);
        if (!Double.isFinite(rating))
            throw new IllegalArgumentException("rating '" + rs + "' is not a number");
        return new Product(f.get(0), f.get(1), stock, rating);
    }

    private static String stripLeadingCSpace(String s) {
        int i = 0;
        while (i < s.length() && " \t\n\u000b\f\r".indexOf(s.charAt(i)) >= 0)
            i++;
        return s.substring(i);
    }

    private static boolean cleanText(String s) {
        if (s.isEmpty())
            return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f)
                return false;
        }
        return true;
    }

    /** One CSV row into fields, strictly (libcsv's CSV_STRICT). */
    static List<String> splitCsv(String row) {
        List<String> out = new ArrayList<>();
        int i = 0, n = row.length();
        while (true) {
            // skip leading spaces and tabs
            while (i < n && (row.charAt(i) == ' ' || row.charAt(i) == '\t'))
                i++;
            StringBuilder sb = new StringBuilder();
            if (i < n && row.charAt(i) == '"') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = row.charAt(i++);
                    if (c == '"') {
                        if (i < n && row.charAt(i) == '"') {
                            sb.append('"');
                            i++;
                        } else {
                            closed = true;
                            break;
                        }
                    } else {
                        sb.append(c);
                    }
                }
                if (!closed)
                    throw new IllegalArgumentException("malformed CSV (unterminated quote)");
                while (i < n && (row.charAt(i) == ' ' || row.charAt(i) == '\t'))
                    i++;
                if (i < n && row.charAt(i) != ',')
                    throw new IllegalArgumentException("malformed CSV (text after a closing quote)");
                out.add(sb.toString());
            } else {
                int start = i;
                while (i < n && row.charAt(i) != ',') {
                    if (row.charAt(i) == '"')
                        throw new IllegalArgumentException("malformed CSV (quote in an unquoted field)");
                    i++;
                }
                int end = i;
                while (end > start && (row.charAt(end - 1) == ' ' || row.charAt(end - 1) == '\t'))
                    end--;
                out.add(row.substring(start, end));
            }
            if (i >= n)
                break;
            i++; // the comma
        }
        return out;
    }

    /**
     * weir's order of product ids (rec_product_id_cmp): non-negative
     * decimal integers first, by value ("9" < "10"), then the others,
     * bytewise (UTF-8, unsigned). Equal numbers written differently are
     * ordered bytewise, so the order is total.
     */
    public static int idCompare(byte[] a, byte[] b) {
        boolean na = isNumber(a), nb = isNumber(b);
        if (na != nb)
            return na ? -1 : 1;
        if (!na)
            return bytesCompare(a, 0, b, 0);
        int da = 0, db = 0;
        while (da < a.length - 1 && a[da] == '0')
            da++;
        while (db < b.length - 1 && b[db] == '0')
            db++;
        int la = a.length - da, lb = b.length - db;
        if (la != lb)
            return la < lb ? -1 : 1;
        int c = bytesCompare(a, da, b, db);
        return c != 0 ? c : bytesCompare(a, 0, b, 0);
    }

    private static boolean isNumber(byte[] s) {
        if (s.length == 0)
            return false;
        for (byte c : s)
            if (c < '0' || c > '9')
                return false;
        return true;
    }

    /** strcmp from the given offsets to the ends. */
    static int bytesCompare(byte[] a, int ia, byte[] b, int ib) {
        while (ia < a.length && ib < b.length) {
            int x = a[ia++] & 0xff, y = b[ib++] & 0xff;
            if (x != y)
                return x < y ? -1 : 1;
        }
        int ra = a.length - ia, rb = b.length - ib;
        return ra == rb ? 0 : (ra < rb ? -1 : 1);
    }
}
