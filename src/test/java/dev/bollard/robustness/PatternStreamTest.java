package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The generator the big-blob test relies on: any read pattern yields the same bytes, ranges and digest. */
class PatternStreamTest {

    @Test
    void readsOfAnySizeAgreeWithRangesAndDigest() {
        long seed = 42;
        int size = 1_000_003;
        byte[] whole = PatternStream.bytes(seed, 0, size);
        PatternStream stream = new PatternStream(seed, size);
        SplittableRandom random = new SplittableRandom(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[70_000];
        for (int n; (n = stream.read(buffer, 3, 1 + random.nextInt(buffer.length - 3))) > 0; ) {
            out.write(buffer, 3, n);
        }
        assertThat(out.toByteArray()).isEqualTo(whole);
        assertThat(stream.digest()).isEqualTo(RegistryClient.sha256(whole)).isEqualTo(PatternStream.digestOf(seed, size));
        for (int i = 0; i < 100; i++) {
            int offset = random.nextInt(size);
            int length = random.nextInt(Math.min(5000, size - offset) + 1);
            byte[] expected = java.util.Arrays.copyOfRange(whole, offset, offset + length);
            assertThat(PatternStream.bytes(seed, offset, length)).isEqualTo(expected);
        }
        assertThat(PatternStream.bytes(seed + 1, 0, 64)).isNotEqualTo(java.util.Arrays.copyOf(whole, 64));
    }
}
