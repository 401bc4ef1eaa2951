package dev.bollard.auth.oidc;

import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.bollard.auth.WorkloadTokens;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks keyless robots' ID tokens with Nimbus: the signature by a key in the issuer's published JWK set (found by
 * discovery, an asymmetric algorithm only), the issuer ({@code iss}) exactly, the audience ({@code aud}) among the
 * token's, and {@code exp} in the future (with Nimbus's minute of clock skew); {@code sub} is required. Issuers are
 * those of {@code auth.oidc.workload-issuers} when it lists some, else any {@code https://} one.
 */
public final class WorkloadTokenVerifier implements WorkloadTokens {
    private static final Logger LOG = LoggerFactory.getLogger(WorkloadTokenVerifier.class);

    private final Discovery discovery;
    private final List<String> allowedIssuers;

    public WorkloadTokenVerifier(Discovery discovery, List<String> allowedIssuers) {
        this.discovery = discovery;
        this.allowedIssuers = List.copyOf(allowedIssuers);
    }

    /** Whether robots may trust this issuer here. */
    boolean allowed(String issuer) {
        return allowedIssuers.isEmpty() ? issuer.startsWith("https://") : allowedIssuers.contains(issuer);
    }

    @Override
    public Optional<Map<String, Object>> verify(String token, String issuer, String audience) {
        if (!allowed(issuer)) {
            LOG.warn("a keyless robot trusts {}, which auth.oidc.workload-issuers does not allow", issuer);
            return Optional.empty();
        }
        Discovery.Known known = discovery.issuer(issuer);
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(known.keySelector());
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(Set.of(audience),
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", "iss", "aud"), null));
        try {
            return Optional.of(processor.process(token, null).toJSONObject());
        } catch (ParseException | BadJOSEException | com.nimbusds.jose.JOSEException e) {
            LOG.info("a keyless robot's token from {} was refused: {}", issuer, e.getMessage());
            return Optional.empty();
        }
    }
}
