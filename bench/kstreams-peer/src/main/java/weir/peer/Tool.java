package weir.peer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Small admin commands for check.sh (java -cp kstreams-peer.jar
 * weir.peer.Tool ...):
 *
 *   create BOOTSTRAP PARTITIONS TOPIC...   create topics with retention.ms=-1
 *                                          (ok if they exist)
 *   end BOOTSTRAP TOPIC...                 sum of read_committed end offsets
 *   lag BOOTSTRAP GROUP TOPIC...           "total max" lag of the group's
 *                                          committed offsets behind the
 *                                          read_committed end offsets
 *                                          (a partition without a commit
 *                                          counts from 0); -1 -1 if a
 *                                          topic does not exist yet
 *   watch BOOTSTRAP GROUP PID STABLE_MS TIMEOUT_S OUT_TOPIC IN_TOPIC...
 *                                          follow a running app (PID) until
 *                                          it has consumed and committed
 *                                          its inputs and repartition
 *                                          topics (<GROUP>-*-repartition)
 *                                          and its output has not grown for
 *                                          STABLE_MS; prints progress on
 *                                          stderr and one summary line
 *                                          (key=value) on stdout
 *   read BOOTSTRAP TOPIC                   print every record read_committed,
 *                                          one line "key value timestamp"
 *                                          (kcat's -f '%k %s %T\n'), up to
 *                                          the end offsets of when it starts
 *   delete BOOTSTRAP PREFIX                delete the topics whose name
 *                                          starts with PREFIX (check.sh
 *                                          passes its own run's prefix)
 */
public final class Tool {
    public static void main(String[] a) throws Exception {
        if (a.length < 2) {
            System.err.println("usage: Tool create|end|lag|delete BOOTSTRAP ...");
            System.exit(2);
        }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a[1]);
        try (Admin admin = Admin.create(p)) {
            switch (a[0]) {
            case "create": {
                int parts = Integer.parseInt(a[2]);
                List<NewTopic> nt = new ArrayList<>();
                for (int i = 3; i < a.length; i++)
                    // retention.ms=-1, as weir-datagen makes the inputs: the
                    // records carry 2024 event times, which the broker's
                    // time retention would otherwise delete within minutes.
                    nt.add(new NewTopic(a[i], parts, (short) -1).configs(Map.of("retention.ms", "-1")));
                try {
                    admin.createTopics(nt).all().get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException))
                        throw e;
                }
                break;
            }
            case "end": {
                long sum = 0;
                for (long v : ends(admin, List.of(a).subList(2, a.length)).values())
                    sum += v;
                System.out.println(sum);
                break;
            }
            case "lag": {
                String group = a[2];
                Map<TopicPartition, Long> end;
                try {
                    end = ends(admin, List.of(a).subList(3, a.length));
                } catch (java.util.concurrent.ExecutionException e) {
                    System.out.println("-1 -1");
                    break;
                }
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
                long total = 0, max = 0;
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    long lag = Math.max(0, e.getValue() - (c == null ? 0 : c.offset()));
                    total += lag;
                    max = Math.max(max, lag);
                }
                System.out.println(total + " " + max);
                break;
            }
            case "read":
                read(a[1], a[2], admin);
                break;
            case "watch":
                watch(admin, a);
                break;
            case "delete": {
                String prefix = a[2];
                if (prefix.length() < 8)
                    throw new IllegalArgumentException("prefix too short: " + prefix);
                List<String> mine = new ArrayList<>();
                for (String t : admin.listTopics().names().get(60, TimeUnit.SECONDS))
                    if (t.startsWith(prefix))
                        mine.add(t);
                if (!mine.isEmpty())
                    admin.deleteTopics(mine).all().get(60, TimeUnit.SECONDS);
                System.out.println("deleted " + mine.size() + " topics");
                break;
            }
            default:
                System.err.println("unknown command " + a[0]);
                System.exit(2);
            }
        }
    }

    /**
     * Reads TOPIC read_committed with the Java client from the beginning
     * to the read_committed end offsets (taken first), and prints each
     * record as kcat's '%k %s %T' would (a null key or value prints as
     * an empty string).
     */
    static void read(String bootstrap, String topic, Admin admin) throws Exception {
        Map<TopicPartition, Long> end = ends(admin, List.of(topic));
        Properties cp = new Properties();
        cp.put(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        var de = new org.apache.kafka.common.serialization.ByteArrayDeserializer();
        java.io.PrintStream out = new java.io.PrintStream(new java.io.BufferedOutputStream(System.out, 1 << 16), false,
                java.nio.charset.StandardCharsets.UTF_8);
        try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(cp, de, de)) {
            c.assign(end.keySet());
            c.seekToBeginning(end.keySet());
            long deadline = System.nanoTime() + java.time.Duration.ofMinutes(5).toNanos();
            while (true) {
                boolean done = true;
                for (Map.Entry<TopicPartition, Long> e : end.entrySet())
                    if (c.position(e.getKey()) < e.getValue())
                        done = false;
                if (done)
                    break;
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("read " + topic + ": end offsets not reached in 5 minutes");
                for (var r : c.poll(java.time.Duration.ofMillis(500))) {
                    out.print(r.key() == null ? "" : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8));
                    out.print(' ');
                    out.print(r.value() == null ? "" : new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
                    out.print(' ');
                    out.println(r.timestamp());
                }
            }
        }
        out.flush();
    }

    /** utime+stime in seconds and VmHWM in kB of a live process. */
    static double[] usage(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // CLK_TCK 100
            long hwm = 0;
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status")))
                if (line.startsWith("VmHWM:"))
                    hwm = Long.parseLong(line.replaceAll("[^0-9]", ""));
            return new double[] {cpu, hwm};
        } catch (Exception e) {
            return null;
        }
    }

    static long lag(Admin admin, String group, Map<TopicPartition, Long> end, long[] maxOut) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
        long total = 0, max = 0;
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            long l = Math.max(0, e.getValue() - (c == null ? 0 : c.offset()));
            total += l;
            max = Math.max(max, l);
        }
        maxOut[0] = max;
        return total;
    }

    /** Seconds since process @p pid started (/proc/PID/stat starttime
     *  against /proc/uptime), or -1. */
    static double age(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double start = Long.parseLong(f[19]) / 100.0; // CLK_TCK 100
            double up = Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime"))
                    .split(" ")[0]);
            return up - start;
        } catch (Exception e) {
            return -1;
        }
    }

    /**
     * Times are seconds since the process started. Caught up: the first
     * moment the inputs' lag is 0 and every repartition partition is at
     * most 2 offsets behind its end (the end moves on by itself: the
     * watermark markers, each in a transaction of its own with a commit
     * marker, keep coming once a second, and weir's commits stop before
     * the commit marker of the last transaction).
     */
    static void watch(Admin admin, String[] a) throws Exception {
        String group = a[2];
        long pid = Long.parseLong(a[3]);
        long stableMs = Long.parseLong(a[4]);
        long timeoutS = Long.parseLong(a[5]);
        String out = a[6];
        List<String> in = List.of(a).subList(7, a.length);
        List<String> rep = List.of(group + "-clicks-by-user-repartition", group + "-sales-by-user-repartition");
        double caughtUp = -1, lastOutChange = 0;
        double[] atCaughtUp = null, last = null;
        long lastOut = -1, lastOutAt = System.nanoTime();
        long[] max = new long[1];
        while (true) {
            double t = age(pid);
            double[] u = usage(pid);
            if (u == null || t < 0) {
                System.out.println("result=exited");
                System.exit(1);
            }
            last = u;
            long inLag = lag(admin, group, ends(admin, in), max);
            long repLag = -1, repMax = -1;
            try {
                repLag = lag(admin, group, ends(admin, rep), max);
                repMax = max[0];
            } catch (java.util.concurrent.ExecutionException e) {
                // not created yet
            }
            long o = 0;
            for (long v : ends(admin, List.of(out)).values())
                o += v;
            if (o != lastOut) {
                lastOut = o;
                lastOutAt = System.nanoTime();
                lastOutChange = t;
            }
            if (caughtUp < 0 && inLag == 0 && repLag >= 0 && repMax <= 2) {
                caughtUp = t;
                atCaughtUp = u;
            }
            System.err.printf("  [%6.1fs] input lag %d | repartition lag %d (max %d) | output end %d | cpu %.1fs | rss %d MB%n",
                    t, inLag, repLag, repMax, o, u[0], (long) u[1] / 1024);
            if (caughtUp >= 0 && (System.nanoTime() - lastOutAt) / 1e6 >= stableMs) {
                System.out.printf("result=done caught_up_s=%.1f cpu_at_caught_up_s=%.2f peak_rss_at_caught_up_kb=%d"
                        + " last_output_s=%.1f cpu_s=%.2f peak_rss_kb=%d%n",
                        caughtUp, atCaughtUp[0], (long) atCaughtUp[1], lastOutChange, last[0], (long) last[1]);
                return;
            }
            if (t > timeoutS) {
                System.out.printf("result=timeout t=%.1f%n", t);
                System.exit(1);
            }
            Thread.sleep(500);
        }
    }

    static Map<TopicPartition, Long> ends(Admin admin, List<String> topics) throws Exception {
        Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get(60, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        for (TopicDescription td : d.values())
            for (var pi : td.partitions())
                req.put(new TopicPartition(td.name(), pi.partition()), OffsetSpec.latest());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r = admin
                .listOffsets(req, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(60, TimeUnit.SECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        r.forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }
}
