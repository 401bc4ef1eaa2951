package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import org.junit.jupiter.api.Test;

/** Routes, Range and Content-Range headers as the HTTP layer reads them. */
class RequestParsingTest {

    @Test
    void routesResolveFromTheEndSoNamesMayContainRouteWords() {
        Route r = Route.parse("/v2/a/blobs/uploads/x/manifests/latest");
        assertThat(r.kind()).isEqualTo(Route.Kind.MANIFEST);
        assertThat(r.repository().value()).isEqualTo("a/blobs/uploads/x");
        assertThat(r.param()).isEqualTo("latest");

        assertThat(Route.parse("/v2/").kind()).isEqualTo(Route.Kind.BASE);
        assertThat(Route.parse("/v2").kind()).isEqualTo(Route.Kind.BASE);
        assertThat(Route.parse("/v2/_catalog").kind()).isEqualTo(Route.Kind.CATALOG);
        assertThat(Route.parse("/v2/ns/app/tags/list").kind()).isEqualTo(Route.Kind.TAGS);
        assertThat(Route.parse("/v2/ns/app/blobs/uploads/").kind()).isEqualTo(Route.Kind.UPLOADS);
        assertThat(Route.parse("/v2/ns/app/blobs/uploads").kind()).isEqualTo(Route.Kind.UPLOADS);
        assertThat(Route.parse("/v2/ns/app/blobs/uploads/abc").param()).isEqualTo("abc");
        assertThat(Route.parse("/v2/ns/app/blobs/sha256:00").kind()).isEqualTo(Route.Kind.BLOB);
        assertThat(Route.parse("/v2/ns/app/referrers/sha256:00").kind()).isEqualTo(Route.Kind.REFERRERS);
        assertThat(Route.parse("/v2/ns/app/other").kind()).isEqualTo(Route.Kind.NOT_FOUND);
        assertThat(Route.parse("/elsewhere").kind()).isEqualTo(Route.Kind.NOT_FOUND);
    }

    @Test
    void percentEscapesAreDecodedBeforeValidation() {
        assertThat(Route.parse("/v2/ns/app/blobs/sha256%3Aab").param()).isEqualTo("sha256:ab");
        assertThatThrownBy(() -> Route.parse("/v2/%2e%2e/x/manifests/latest"))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID));
        assertThatThrownBy(() -> Route.parse("/v2/../x/manifests/latest"))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID));
        assertThatThrownBy(() -> Route.parse("/v2/Upper/manifests/latest"))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID));
        assertThat(Exchange.percentDecode("a%zzb%")).isEqualTo("a%zzb%");
    }

    @Test
    void byteRanges() {
        assertThat(ByteRange.parse(null, 10)).isInstanceOf(ByteRange.Result.Whole.class);
        assertThat(ByteRange.parse("bytes=0-4", 10)).isEqualTo(new ByteRange.Result.Part(0, 4));
        assertThat(ByteRange.parse("bytes=5-", 10)).isEqualTo(new ByteRange.Result.Part(5, 9));
        assertThat(ByteRange.parse("bytes=5-100", 10)).isEqualTo(new ByteRange.Result.Part(5, 9));
        assertThat(ByteRange.parse("bytes=-3", 10)).isEqualTo(new ByteRange.Result.Part(7, 9));
        assertThat(ByteRange.parse("bytes=-30", 10)).isEqualTo(new ByteRange.Result.Part(0, 9));
        assertThat(ByteRange.parse("bytes=10-", 10)).isInstanceOf(ByteRange.Result.Unsatisfiable.class);
        assertThat(ByteRange.parse("bytes=-0", 10)).isInstanceOf(ByteRange.Result.Unsatisfiable.class);
        assertThat(ByteRange.parse("bytes=0-0", 0)).isInstanceOf(ByteRange.Result.Unsatisfiable.class);
        assertThat(ByteRange.parse("bytes=0-1,3-4", 10)).isInstanceOf(ByteRange.Result.Whole.class);
        assertThat(ByteRange.parse("items=0-1", 10)).isInstanceOf(ByteRange.Result.Whole.class);
        assertThat(ByteRange.parse("bytes=4-2", 10)).isInstanceOf(ByteRange.Result.Whole.class);
        assertThat(ByteRange.parse("bytes=99999999999999999999-", 10)).isInstanceOf(ByteRange.Result.Unsatisfiable.class);
    }

    @Test
    void contentRanges() {
        assertThat(ContentRange.of(null, 5L)).isNull();
        assertThat(ContentRange.of("0-4", 5L)).isEqualTo(new ContentRange(0, 4));
        assertThat(ContentRange.of("bytes 10-19/*", null).length()).isEqualTo(10);
        assertThat(ContentRange.of("bytes=10-19", 10L).start()).isEqualTo(10);
        assertThatThrownBy(() -> ContentRange.of("4-2", null))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_INVALID));
        assertThatThrownBy(() -> ContentRange.of("abc", null))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_INVALID));
        // found by RangePropertiesTest: a range ending at Long.MAX_VALUE had a negative length (overflow)
        assertThatThrownBy(() -> ContentRange.of("0-" + Long.MAX_VALUE, null))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_INVALID));
        assertThatThrownBy(() -> ContentRange.of("0-4", 3L))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SIZE_INVALID));
    }
}
