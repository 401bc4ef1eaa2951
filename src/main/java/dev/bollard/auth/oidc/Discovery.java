package dev.bollard.auth.oidc;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import dev.bollard.auth.IdentitySource;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What OIDC issuers publish, fetched when first needed and kept: their metadata (discovery at
 * {@code <issuer>/.well-known/openid-configuration}, re-read after {@link #METADATA_TTL}) and their signing keys (the
 * JWK set at {@code jwks_uri}, cached and refreshed by Nimbus's {@link JWKSourceBuilder}, which also re-reads it when a
 * token names a key it does not know: key rotation at the issuer needs nothing here). Shared by the web UI's sign-in
 * and keyless robots. An issuer that does not answer is {@link IdentitySource.Unavailable}.
 */
public final class Discovery {
    static final Duration METADATA_TTL = Duration.ofHours(1);
    /** Signature algorithms accepted on tokens: asymmetric ones only (a client secret must not be a verification key). */
    private static final Set<JWSAlgorithm> ASYMMETRIC = Set.copyOf(new LinkedHashSet<>(List.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384,
            JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512, JWSAlgorithm.EdDSA)));
    private static final int MAX_DOCUMENT_BYTES = 512 * 1024;

    private final int timeoutMillis;
    private final Clock clock;
    private final Map<String, Known> known = new ConcurrentHashMap<>();

    /** An issuer as last read: its metadata and its keys. */
    record Known(OIDCProviderMetadata metadata, JWKSource<SecurityContext> keys, Instant readAt) {
        /** A key selector for tokens signed by this issuer with the asymmetric algorithms it announces. */
        JWSVerificationKeySelector<SecurityContext> keySelector() {
            Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
            List<JWSAlgorithm> announced = metadata.getIDTokenJWSAlgs();
            if (announced != null) {
                announced.stream().filter(ASYMMETRIC::contains).forEach(algorithms::add);
            }
            return new JWSVerificationKeySelector<>(algorithms.isEmpty() ? ASYMMETRIC : algorithms, keys);
        }
    }

    public Discovery(Duration timeout) {
        this(timeout, Clock.systemUTC());
    }

    Discovery(Duration timeout, Clock clock) {
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        this.clock = clock;
    }

    /**
     * The issuer's metadata and keys, read now when not known or older than {@link #METADATA_TTL}.
     *
     * @throws IdentitySource.Unavailable when the issuer does not answer or answers nonsense
     */
    Known issuer(String issuer) {
        Known k = known.get(issuer);
        if (k != null && k.readAt().plus(METADATA_TTL).isAfter(clock.instant())) {
            return k;
        }
        try {
            OIDCProviderMetadata metadata = OIDCProviderMetadata.resolve(new Issuer(issuer), timeoutMillis, timeoutMillis);
            JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(metadata.getJWKSetURI().toURL(),
                    new DefaultResourceRetriever(timeoutMillis, timeoutMillis, MAX_DOCUMENT_BYTES)).build();
            Known fresh = new Known(metadata, keys, clock.instant());
            known.put(issuer, fresh);
            return fresh;
        } catch (GeneralException | IOException | IllegalArgumentException e) {
            if (k != null) {
                return k; // the issuer is down: what it said an hour ago is still what we know best
            }
            throw new IdentitySource.Unavailable("the OIDC issuer " + issuer + " could not be asked for its "
                    + "configuration: " + e.getMessage(), e);
        }
    }
}
