package dev.bollard.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorCodeTest {

    @Test
    void everyCodeOfTheDistributionSpecIsPresent() {
        // code-1 .. code-14 of the distribution spec's error code table
        assertThat(Arrays.stream(ErrorCode.values()).map(Enum::name)).contains(
                "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
                "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN",
                "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS");
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void codesAreUpperSnakeCaseWithAMessage(ErrorCode code) {
        assertThat(code.name()).matches("[A-Z]+(_[A-Z]+)*");
        assertThat(code.message()).isNotBlank();
        assertThat(code.message()).isEqualTo(code.message().strip());
    }

    @Test
    void messagesOfTheSpec() {
        assertThat(ErrorCode.BLOB_UNKNOWN.message()).isEqualTo("blob unknown to registry");
        assertThat(ErrorCode.MANIFEST_INVALID.message()).isEqualTo("manifest invalid");
        assertThat(ErrorCode.NAME_INVALID.message()).isEqualTo("invalid repository name");
        assertThat(ErrorCode.UNSUPPORTED.message()).isEqualTo("the operation is unsupported");
        assertThat(ErrorCode.DENIED.message()).isEqualTo("requested access to the resource is denied");
    }

    @Test
    void messagesAreDistinct() {
        assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::message)).doesNotHaveDuplicates();
    }
}
