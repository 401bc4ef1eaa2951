// Summarises the CPU samples of JFR recordings (those bench/run --jfr DIR writes, one per workload):
// the hottest methods by self time (top frame) and by total time (anywhere on the stack).
//
//   java bench/JfrTop.java [--top N] [--native] [--filter PREFIX] FILE.jfr...
//
// Counts jdk.ExecutionSample events (threads running Java code); with --native also jdk.NativeMethodSample
// (threads in native code, e.g. blocked in read/write/fsync). --filter keeps only frames whose
// class starts with PREFIX in the "total" table (e.g. dev.bollard). Same data as
// `jfr print --events jdk.ExecutionSample FILE`, aggregated.

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

public class JfrTop {
    public static void main(String[] args) throws Exception {
        int top = 25;
        boolean nativeToo = false;
        String filter = null;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--top" -> top = Integer.parseInt(args[++i]);
                case "--native" -> nativeToo = true;
                case "--filter" -> filter = args[++i];
                default -> files.add(Path.of(args[i]));
            }
        }
        if (files.isEmpty()) {
            System.err.println("usage: java bench/JfrTop.java [--top N] [--native] [--filter PREFIX] FILE.jfr...");
            System.exit(2);
        }
        for (Path f : files) {
            Map<String, Integer> self = new HashMap<>();
            Map<String, Integer> total = new HashMap<>();
            Map<String, Integer> threads = new HashMap<>();
            int samples = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(f)) {
                String type = e.getEventType().getName();
                boolean exec = type.equals("jdk.ExecutionSample");
                if (!exec && !(nativeToo && type.equals("jdk.NativeMethodSample"))) {
                    continue;
                }
                RecordedStackTrace st = e.getStackTrace();
                if (st == null || st.getFrames().isEmpty() || (!exec && IDLE.contains(name(st.getFrames().get(0))))) {
                    continue;
                }
                samples++;
                String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
                threads.merge(threadGroup(thread) + (exec ? "" : " [native]"), 1, Integer::sum);
                List<RecordedFrame> frames = st.getFrames();
                self.merge(name(frames.get(0)) + (exec ? "" : " [native]"), 1, Integer::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame fr : frames) {
                    String n = name(fr);
                    if ((filter == null || n.startsWith(filter)) && seen.add(n)) {
                        total.merge(n, 1, Integer::sum);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "== %s: %d samples%s%n", f, samples, nativeToo ? " (Java + native)" : "");
            print("threads", threads, samples, top);
            print("self (top frame)", self, samples, top);
            print("total (anywhere on the stack" + (filter == null ? "" : ", " + filter + "*") + ")", total, samples, top);
        }
    }

    /** Native frames where a thread waits for work rather than doing any. */
    static final Set<String> IDLE = Set.of("sun.nio.ch.Net.accept", "sun.nio.ch.EPoll.wait", "java.lang.Object.wait0",
            "jdk.internal.misc.Unsafe.park", "java.lang.Thread.sleep0", "java.lang.Thread.sleepNanos0",
            "sun.nio.ch.Net.poll", "java.lang.ProcessHandleImpl.waitForProcessExit0");

    static String threadGroup(String name) {
        if (name == null || name.isEmpty()) {
            return "(virtual)";
        }
        return name.replaceAll("[-#]?\\d+$", "");
    }

    static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    static void print(String title, Map<String, Integer> m, int samples, int top) {
        System.out.println("-- " + title);
        m.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf(Locale.ROOT, "%6.1f%%  %6d  %s%n", 100.0 * e.getValue() / samples,
                        e.getValue(), e.getKey()));
    }
}
