package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * While no request arrives for 30 s, the heap's free ratios are this JVM's real flags lowered (so that the periodic
 * collection shrinks the heap); the next request puts back what they were. Checked against the running JVM's flags.
 */
class IdleMemoryTest {
    private static final HotSpotDiagnosticMXBean VM = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private static String flag(String name) {
        return VM.getVMOption(name).getValue();
    }

    @Test
    void lowersTheFreeRatiosAfterThirtyQuietSecondsAndRestoresThemOnTheNextRequest() {
        String minBefore = flag("MinHeapFreeRatio");
        String maxBefore = flag("MaxHeapFreeRatio");
        AtomicLong served = new AtomicLong(7);
        AtomicLong collections = new AtomicLong();
        try (IdleMemory idle = IdleMemory.forTest(served::get, collections::incrementAndGet)) {
            long t0 = 1_000 * SECOND;
            idle.check(t0);
            idle.check(t0 + 29 * SECOND);
            assertThat(idle.lowered()).isFalse();
            assertThat(flag("MaxHeapFreeRatio")).isEqualTo(maxBefore);

            idle.check(t0 + 30 * SECOND);
            assertThat(idle.lowered()).isTrue();
            assertThat(flag("MinHeapFreeRatio")).isEqualTo(IdleMemory.IDLE_MIN_FREE);
            assertThat(flag("MaxHeapFreeRatio")).isEqualTo(IdleMemory.IDLE_MAX_FREE);
            assertThat(collections).as("one collection, with the lowered ratios").hasValue(1);
            idle.check(t0 + 35 * SECOND);
            assertThat(collections).as("once per quiet spell").hasValue(1);

            served.incrementAndGet(); // a client is back
            idle.check(t0 + 40 * SECOND);
            assertThat(idle.lowered()).isFalse();
            assertThat(flag("MinHeapFreeRatio")).isEqualTo(minBefore);
            assertThat(flag("MaxHeapFreeRatio")).isEqualTo(maxBefore);

            // Quiet again: counted from the last request seen, not from the first check.
            idle.check(t0 + 65 * SECOND);
            assertThat(idle.lowered()).isFalse();
            idle.check(t0 + 70 * SECOND);
            assertThat(idle.lowered()).isTrue();
            assertThat(collections).hasValue(2);
        }
        assertThat(flag("MinHeapFreeRatio")).as("close restores").isEqualTo(minBefore);
        assertThat(flag("MaxHeapFreeRatio")).isEqualTo(maxBefore);
    }

    @Test
    void leavesAJvmAloneWithoutThePeriodicCollectionOrWithRatiosTheOperatorChose() {
        // The test JVM runs without -XX:G1PeriodicGCInterval: nothing would return the memory, so nothing is changed.
        assertThat(VM.getVMOption("G1PeriodicGCInterval").getValue()).isEqualTo("0");
        assertThat(IdleMemory.applies(VM)).isFalse();
        assertThat(IdleMemory.start(() -> 0, null)).isEmpty();
    }
}
