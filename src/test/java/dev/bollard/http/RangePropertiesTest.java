package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.jspecify.annotations.Nullable;

/**
 * Properties of the parsers of HTTP range headers and /v2 paths: a blob GET's {@code Range} always resolves to the
 * whole blob, a part inside it, or 416, never an exception; an upload's {@code Content-Range} parses or fails with
 * BLOB_UPLOAD_INVALID / SIZE_INVALID; any path resolves to a route or fails with NAME_INVALID.
 */
class RangePropertiesTest {

    @Property(tries = 3000)
    void anyRangeHeaderResolvesInsideTheBlob(@ForAll("rangeHeaders") @Nullable String header,
            @ForAll("sizes") long size) {
        ByteRange.Result r = ByteRange.parse(header, size);
        if (r instanceof ByteRange.Result.Part(long first, long last)) {
            assertThat(first).isBetween(0L, last);
            assertThat(last).isLessThan(size);
        }
    }

    @Property
    void aValidRangeInsideTheBlobIsExactlyThatPart(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 2) long size,
            @ForAll @LongRange(min = 0) long a, @ForAll @LongRange(min = 0) long b) {
        long first = Math.min(a, b) % size;
        long last = first + (Math.max(a, b) - Math.min(a, b)) % (size - first);
        assertThat(ByteRange.parse("bytes=" + first + "-" + last, size)).isEqualTo(new ByteRange.Result.Part(first, last));
        assertThat(ByteRange.parse("bytes=" + first + "-", size)).isEqualTo(new ByteRange.Result.Part(first, size - 1));
        assertThat(ByteRange.parse("bytes=" + size + "-" + Math.max(size, last), size))
                .isEqualTo(new ByteRange.Result.Unsatisfiable());
    }

    @Property(tries = 3000)
    void anyContentRangeParsesOrIsRefusedWithTheSpecsCodes(@ForAll("rangeHeaders") @Nullable String header,
            @ForAll("lengths") @Nullable Long contentLength) {
        try {
            ContentRange range = ContentRange.of(header, contentLength);
            if (range != null) {
                assertThat(range.start()).isNotNegative();
                assertThat(range.length()).isPositive();
                if (contentLength != null) {
                    assertThat(range.length()).isEqualTo(contentLength);
                }
            }
        } catch (BollardException e) {
            assertThat(e.code()).isIn(ErrorCode.BLOB_UPLOAD_INVALID, ErrorCode.SIZE_INVALID);
        }
    }

    @Property(tries = 3000)
    void anyPathIsARouteOrAnInvalidName(@ForAll("paths") String rawPath) {
        try {
            Route route = Route.parse(rawPath);
            if (route.kind() != Route.Kind.BASE && route.kind() != Route.Kind.CATALOG
                    && route.kind() != Route.Kind.NOT_FOUND) {
                assertThat(route.requireRepository().value()).isNotEmpty();
            }
        } catch (BollardException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID);
        }
    }

    @Provide
    Arbitrary<@Nullable String> rangeHeaders() {
        Arbitrary<String> number = Arbitraries.oneOf(Arbitraries.longs().greaterOrEqual(0).map(String::valueOf),
                Arbitraries.of("", "0", "-1", "99999999999999999999999", "1e3", " 1", "٣"));
        Arbitrary<String> shaped = Combinators.combine(Arbitraries.of("bytes=", "bytes ", "Bytes=", "", "bytes=,",
                "items="), number, Arbitraries.of("-", "--", ",", ""), number,
                Arbitraries.of("", "/*", "/100", ", 0-1", ",-5", "/", " ")).as((p, a, d, b, s) -> p + a + d + b + s);
        return Arbitraries.oneOf(shaped, Arbitraries.strings().ofMaxLength(60)).injectNull(0.05);
    }

    @Provide
    Arbitrary<Long> sizes() {
        return Arbitraries.oneOf(Arbitraries.of(0L, 1L, 2L, Long.MAX_VALUE), Arbitraries.longs().between(0, 1 << 20),
                Arbitraries.longs().greaterOrEqual(0));
    }

    @Provide
    Arbitrary<@Nullable Long> lengths() {
        return Arbitraries.oneOf(Arbitraries.of(0L, 1L, -1L), Arbitraries.longs()).injectNull(0.3);
    }

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> segment = Arbitraries.oneOf(Arbitraries.of("acme", "app", "blobs", "uploads", "manifests",
                        "tags", "list", "referrers", "_catalog", "..", ".", "", "%00", "%2F", "%2e%2e", "%", "%zz", "-",
                        "sha256:" + "a".repeat(64), "v1", "A", "a".repeat(300), "ü", "\uD83D\uDE00"),
                Arbitraries.strings().ofMaxLength(12));
        return segment.list().ofMaxSize(8).map(l -> "/v2/" + String.join("/", l));
    }
}
