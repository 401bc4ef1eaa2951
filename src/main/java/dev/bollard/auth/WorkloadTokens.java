package dev.bollard.auth;

import java.util.Map;
import java.util.Optional;

/**
 * Checks the ID tokens keyless robots present ({@link RobotTrust}): signed by a key the issuer publishes, unexpired,
 * from that issuer and for that audience. The implementation fetches the issuers' keys
 * ({@code dev.bollard.auth.oidc.WorkloadTokenVerifier}).
 */
public interface WorkloadTokens {
    /**
     * The token's claims when it checks out for {@code issuer} and {@code audience}; empty when it does not, or the
     * issuer is not one keyless robots may trust here.
     *
     * @throws IdentitySource.Unavailable when the issuer's keys cannot be fetched
     */
    Optional<Map<String, Object>> verify(String token, String issuer, String audience);

    /** No keyless robots: every token is refused. */
    WorkloadTokens NONE = (token, issuer, audience) -> Optional.empty();
}
