package dev.bollard.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import org.junit.jupiter.api.Test;

/** The codes of {@code /api/v1}: the kind of refusal, whichever use case raised it. */
class ApiErrorsTest {

    @Test
    void theRegistrysCodesBecomeTheApisByKind() {
        assertThat(code(new BollardException(ErrorCode.MANIFEST_UNKNOWN, "m"))).isEqualTo("NOT_FOUND");
        assertThat(code(new BollardException(ErrorCode.NAME_UNKNOWN, "m"))).isEqualTo("NOT_FOUND");
        assertThat(code(new BollardException(ErrorCode.NAME_INVALID, "m"))).isEqualTo("INVALID_REQUEST");
        assertThat(code(new BollardException(ErrorCode.DENIED, ErrorCode.Kind.CONFLICT, "immutable", null)))
                .isEqualTo("CONFLICT");
    }

    @Test
    void theApisOwnCodesStay() {
        assertThat(code(BollardException.invalid("m"))).isEqualTo("INVALID_REQUEST");
        assertThat(code(new BollardException(ErrorCode.INVALID_JSON, "m"))).isEqualTo("INVALID_JSON");
        assertThat(code(new BollardException(ErrorCode.INVALID_PAGINATION, "m"))).isEqualTo("INVALID_PAGINATION");
        assertThat(code(new BollardException(ErrorCode.UNAUTHORIZED, "m"))).isEqualTo("UNAUTHORIZED");
        assertThat(code(new BollardException(ErrorCode.DENIED, "m"))).isEqualTo("DENIED");
        assertThat(code(new BollardException(ErrorCode.METHOD_NOT_ALLOWED, "m"))).isEqualTo("METHOD_NOT_ALLOWED");
        assertThat(code(BollardException.throttled(ErrorCode.TOO_MANY_REQUESTS, "m", 5)))
                .isEqualTo("TOO_MANY_REQUESTS");
        assertThat(code(new BollardException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "m")))
                .isEqualTo("UNSUPPORTED_MEDIA_TYPE");
    }

    private static String code(BollardException e) {
        return ApiErrors.codeOf(e);
    }
}
