package dev.bollard.http;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives memory back while no client is served. G1 sizes the heap for throughput: after a busy time it keeps up to
 * 70% of the heap free (its {@code MaxHeapFreeRatio}), so an idle registry stayed at 120-190 MiB of heap around 30
 * MiB of live data. Tight free ratios all the time halved throughput under load (docs/benchmarks.md, issue 15: G1
 * marked every few hundred milliseconds); here they hold only while idle: then one full collection shrinks the heap
 * to the live data plus 30%, as the periodic collection that {@code ./bollard serve} asks G1 for
 * ({@code -XX:G1PeriodicGCInterval}) would have a little later. The server's buffer pool is emptied just before, so
 * that the same collection frees its direct buffers.
 * The first request after that restores the ratios (within one check, 10 s).
 *
 * <p>Idle means that no request other than monitoring ({@code /metrics}, {@code /healthz}, {@code /readyz}) arrived
 * for {@link #IDLE_AFTER}. Both ratios are "manageable" flags that the JVM lets a process change while it runs; when
 * the operator set either on the command line, or the periodic collection is off, nothing is changed.
 */
final class IdleMemory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdleMemory.class);
    static final Duration IDLE_AFTER = Duration.ofSeconds(30);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(10);
    static final String IDLE_MIN_FREE = "10";
    static final String IDLE_MAX_FREE = "30";

    private final HotSpotDiagnosticMXBean vm;
    private final LongSupplier requests;
    private final @Nullable ArrayByteBufferPool buffers;
    private final Runnable collect;
    private final String busyMinFree;
    private final String busyMaxFree;
    private final @Nullable ScheduledExecutorService checker;
    private long lastSeen = -1;
    private long quietSince;
    private boolean lowered;

    private IdleMemory(HotSpotDiagnosticMXBean vm, LongSupplier requests, @Nullable ArrayByteBufferPool buffers,
                       Runnable collect, boolean schedule) {
        this.vm = vm;
        this.collect = collect;
        this.requests = requests;
        this.buffers = buffers;
        this.busyMinFree = vm.getVMOption("MinHeapFreeRatio").getValue();
        this.busyMaxFree = vm.getVMOption("MaxHeapFreeRatio").getValue();
        if (schedule) {
            checker = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("bollard-idle-memory").daemon().factory());
            ScheduledFuture<?> unused = checker.scheduleWithFixedDelay(() -> check(System.nanoTime()),
                    CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            checker = null;
        }
    }

    /**
     * Starts checking every 10 s, when this JVM runs G1's periodic collection and the operator left both free ratios
     * at their defaults; otherwise empty (nothing would return the memory, or the operator decided).
     *
     * @param requests the number of non-monitoring requests received so far
     */
    static Optional<IdleMemory> start(LongSupplier requests, @Nullable ArrayByteBufferPool buffers) {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (!applies(vm)) {
            return Optional.empty();
        }
        return Optional.of(new IdleMemory(vm, requests, buffers, System::gc, true));
    }

    /** Unscheduled, for a test that calls {@link #check} with its own times; {@code collect} stands for the GC. */
    static IdleMemory forTest(LongSupplier requests, Runnable collect) {
        return new IdleMemory(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class), requests, null,
                collect, false);
    }

    static boolean applies(HotSpotDiagnosticMXBean vm) {
        return !vm.getVMOption("G1PeriodicGCInterval").getValue().equals("0")
                && vm.getVMOption("MinHeapFreeRatio").getOrigin() == VMOption.Origin.DEFAULT
                && vm.getVMOption("MaxHeapFreeRatio").getOrigin() == VMOption.Origin.DEFAULT;
    }

    /** One check at {@code nanos} (System.nanoTime's scale): lowers the ratios once idle, restores them once busy. */
    synchronized void check(long nanos) {
        try {
            long seen = requests.getAsLong();
            if (seen != lastSeen) {
                lastSeen = seen;
                quietSince = nanos;
                if (lowered) {
                    // Order matters: the JVM refuses a minimum above the maximum at every step.
                    vm.setVMOption("MaxHeapFreeRatio", busyMaxFree);
                    vm.setVMOption("MinHeapFreeRatio", busyMinFree);
                    lowered = false;
                    LOG.debug("requests again: heap free ratios back to {}-{}%", busyMinFree, busyMaxFree);
                }
            } else if (!lowered && nanos - quietSince >= IDLE_AFTER.toNanos()) {
                vm.setVMOption("MinHeapFreeRatio", IDLE_MIN_FREE);
                vm.setVMOption("MaxHeapFreeRatio", IDLE_MAX_FREE);
                lowered = true;
                if (buffers != null) {
                    buffers.clear();
                }
                // The collection the periodic one would run within the next 30-60 s, run now that it shrinks the
                // heap (a full, compacting GC under G1); nobody is being served to notice its pause.
                collect.run();
                LOG.debug("idle for {} s: heap free ratios {}-{}% until the next request", IDLE_AFTER.toSeconds(),
                        IDLE_MIN_FREE, IDLE_MAX_FREE);
            }
        } catch (RuntimeException e) {
            // Never worth more than a line: the registry works the same, only with more memory while idle.
            LOG.warn("could not adjust the heap's free ratios while idle: {}", e.toString());
        }
    }

    boolean lowered() {
        return lowered;
    }

    @Override
    public synchronized void close() {
        if (checker != null) {
            checker.shutdownNow();
        }
        if (lowered) {
            vm.setVMOption("MaxHeapFreeRatio", busyMaxFree);
            vm.setVMOption("MinHeapFreeRatio", busyMinFree);
            lowered = false;
        }
    }
}
