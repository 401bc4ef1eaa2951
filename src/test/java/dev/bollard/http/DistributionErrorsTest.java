package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.registry.OutOfOrderChunk;
import dev.bollard.registry.UploadStatus;
import org.junit.jupiter.api.Test;

/** The statuses of {@code /v2}: each kind's, and the explicit exceptions where the spec's code says otherwise. */
class DistributionErrorsTest {

    @Test
    void aCodeIsAnsweredWithTheStatusOfItsKind() {
        assertThat(status(new BollardException(ErrorCode.MANIFEST_UNKNOWN, "m"))).isEqualTo(404);
        assertThat(status(new BollardException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "m"))).isEqualTo(400);
        assertThat(status(new BollardException(ErrorCode.NAME_INVALID, "m"))).isEqualTo(400);
        assertThat(status(new BollardException(ErrorCode.UNAUTHORIZED, "m"))).isEqualTo(401);
        assertThat(status(new BollardException(ErrorCode.UNSUPPORTED, "m"))).isEqualTo(405);
        assertThat(status(BollardException.throttled(ErrorCode.TOOMANYREQUESTS, "m", 5))).isEqualTo(429);
        assertThat(status(new BollardException(ErrorCode.UNKNOWN, "m"))).isEqualTo(500);
    }

    @Test
    void theExceptionsOfTheSpec() {
        assertThat(status(new BollardException(ErrorCode.DENIED, ErrorCode.Kind.CONFLICT, "immutable", null)))
                .isEqualTo(403);
        assertThat(status(new BollardException(ErrorCode.UNSUPPORTED, ErrorCode.Kind.NOT_FOUND, "no such endpoint",
                null))).isEqualTo(404);
        assertThat(status(new BollardException(ErrorCode.SIZE_INVALID, ErrorCode.Kind.TOO_LARGE, "big", null)))
                .isEqualTo(413);
        assertThat(status(new OutOfOrderChunk(new UploadStatus("r", "u", 10), 3))).isEqualTo(416);
    }

    private static int status(BollardException e) {
        return DistributionErrors.statusOf(e);
    }
}
